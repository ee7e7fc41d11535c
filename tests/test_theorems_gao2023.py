"""theorems/gao2023_attention_regression.py at the smoke profile: every catalogue row registered with its tag,
DERIVED rows survive, every declared mutant is refuted, the RECONSTRUCTED/ABSTRACT rows run to a verdict."""

from __future__ import annotations

import math

import pytest

import certify
import theorems.gao2023_attention_regression as T  # noqa: F401  (registers the claims)

IDS = [
    "gao2023.softmax_jacobian", "gao2023.softmax_curvature", "gao2023.tensor_trick", "gao2023.kron_blocks",
    "gao2023.kron_quadratic_form", "gao2023.kron_singular_values", "gao2023.loss_matrix_form", "gao2023.grad_x",
    "gao2023.grad_y", "gao2023.hess_xx", "gao2023.hess_yy", "gao2023.hess_xy", "gao2023.flat_direction",
    "gao2023.regularizer_hessian", "gao2023.hessian_pd", "gao2023.hessian_lipschitz", "gao2023.main_convergence",
    "gao2023.runtime", "gao2023.greedy_local_convergence", "gao2023.hessian_pd_joint",
]
TAGS = {"gao2023.hessian_pd": "RECONSTRUCTED", "gao2023.hessian_pd_joint": "RECONSTRUCTED", "gao2023.hessian_lipschitz": "RECONSTRUCTED",
        "gao2023.greedy_local_convergence": "RECONSTRUCTED", "gao2023.main_convergence": "ABSTRACT",
        "gao2023.runtime": "ABSTRACT"}
DERIVED = [i for i in IDS if i not in TAGS]
OTHER = list(TAGS)


def test_every_catalogue_row_is_registered_with_its_tag_and_mutants():
    reg = {k for k in certify.registry() if k.startswith("gao2023.") and "~" not in k}
    assert reg == set(IDS)
    for i in IDS:
        c = certify.get_claim(i)
        assert c.tag == TAGS.get(i, "DERIVED"), i
        assert (c.expect == "holds") == (c.tag == "DERIVED"), i
        assert c.mutants, i
        assert c.statement and c.source, i
    assert certify.get_claim("gao2023.main_convergence").kind == "scaling"
    assert certify.get_claim("gao2023.runtime").kind == "scaling"
    assert "2309.07418" in T.__doc__ and "Deviations" in T.__doc__


@pytest.fixture(scope="module")
def verdicts():
    return {cid: certify.check(cid, profile="smoke", seed=0) for cid in IDS}


@pytest.mark.parametrize("cid", DERIVED)
def test_derived_rows_survive_and_mutants_die(verdicts, cid):
    v = verdicts[cid]
    assert v.status == "survived", (cid, v.reason)
    assert v.valid_examples >= 20, (cid, v.valid_examples)
    assert v.mutants and all(m["killed"] and m["status"] == "refuted" for m in v.mutants.values()), v.mutants


@pytest.mark.parametrize("cid", OTHER)
def test_reconstructed_and_abstract_rows_reach_a_verdict_and_mutants_die(verdicts, cid):
    v = verdicts[cid]
    c = certify.get_claim(cid)
    assert v.status in ("survived", "refuted"), (cid, v.status, v.reason)
    assert v.expected is None and c.expect is None, cid  # the catalogue states no outcome for these rows
    if c.kind == "scaling":
        # every axis is judged against an exponent the paper states (not a module-chosen bound)
        axes = v.scaling["axes"] or {v.scaling["variable"]: v.scaling}
        for name, a in axes.items():
            assert a["stated_exponent"] is not None and a["exponent_bound"] == a["stated_exponent"] + 0.25, name
    else:
        assert v.valid_examples >= 10, (cid, v.valid_examples, v.reason)  # the hypotheses are satisfiable
        assert v.worst is not None and math.isfinite(v.worst.outcome["margin"]), cid
    assert v.mutants and all(m["killed"] for m in v.mutants.values()), v.mutants


def test_runtime_times_the_algorithm_in_n_and_d_with_a_baseline(verdicts):
    """Regression: the row used to fit the module's own FLOP polynomial (exponent exactly 2, cannot fail)."""
    sc = verdicts["gao2023.runtime"].scaling
    assert set(sc["axes"]) == {"n", "d"}
    for name, a in sc["axes"].items():
        assert a["ok"] and a["ci_low"] < a["exponent"] < a["ci_high"], name  # a measured fit has an interval
        assert set(a["baselines"]) == {"one loss evaluation"}
        assert len(a["baselines"]["one loss evaluation"]["y"]) == len(a["x"])
    assert sc["axes"]["n"]["stated_exponent"] == 2.0 and sc["axes"]["d"]["stated_exponent"] == 6.0
    # wall times, not a formula: the raw repeats differ (a FLOP model would repeat itself exactly)
    assert all(y > 0 for a in sc["axes"].values() for y in a["y"]) and len(set(sc["axes"]["n"]["y"])) == 5


def test_main_convergence_is_fitted_against_log_ratio(verdicts):
    mc = verdicts["gao2023.main_convergence"].scaling
    assert mc["variable"] == "log_ratio" and mc["stated_exponent"] == 1.0
    # linear convergence: iterations grow like log(e0/eps), a log-log slope close to 1
    assert 0.6 < mc["exponent"] < 1.25, mc["exponent"]


def _greedy_instance():
    from certify.strategies import attention as SAT

    inst = SAT.make_instance("SELF", 6, 2, 0, realisable=True, start_radius=0.0)
    return {k: inst[k] for k in ("A1", "A2", "A3", "B", "X", "Y", "Xstar", "Ystar") if k in inst}


def test_greedy_local_convergence_premise_is_enforced():
    """Regression: the premise (domain ball of radius R, M a Lipschitz constant on it) was not checked; any strict
    minimiser passed, whatever M and R."""
    c = certify.get_claim("gao2023.greedy_local_convergence")
    inst = _greedy_instance()
    p = dict(c.params)
    assert T._local_assume(inst=inst, **p)
    # M far below the Hessian's observed Lipschitz quotient is not a Lipschitz constant: outside the premise
    assert not T._local_assume(inst=inst, **{**p, "a_M": -30.0})
    # the minimiser must lie in the ball of radius R (here far too small for it)
    assert not T._local_assume(inst=inst, **{**p, "R": 1e-3, "a_M": 30.0})


def test_hessian_pd_joint_is_the_full_hessian_with_regularisers():
    """The joint claim reads lambda_min of [[H_xx + reg_x, H_xy], [H_yx, H_yy + reg_y]], not the blocks."""
    c = certify.get_claim("gao2023.hessian_pd_joint")
    assert c.tag == "RECONSTRUCTED" and c.expect is None and c.mutants
    assert {t["param"] for t in c.tighten} == {"C_w"}


def test_greedy_local_convergence_searches_the_catalogue_ranges():
    """Regression: eps (1e-8), order and hessian were fixed params; the catalogue asks for eps in [1e-12, 1e-1], both
    orders and exact and approximate Hessians."""
    c = certify.get_claim("gao2023.greedy_local_convergence")
    assert {"eps", "order", "hessian"} <= set(c.inputs) and not {"eps", "order", "hessian"} & set(c.params)


def test_smallest_c_w_is_declared_per_r():
    specs = certify.get_claim("gao2023.hessian_pd").tighten
    assert sorted(s["params"]["R"] for s in specs) == [1.0, 2.0, 4.0]
    assert all(s["param"] == "C_w" and s["direction"] == "smallest" for s in specs)

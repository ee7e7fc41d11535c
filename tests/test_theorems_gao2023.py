"""theorems/gao2023_attention_regression.py at the smoke profile: every catalogue row registered with its tag,
DERIVED rows survive, every declared mutant is refuted, the RECONSTRUCTED/ABSTRACT rows run to a verdict."""

from __future__ import annotations

import pytest

import certify
import theorems.gao2023_attention_regression as T  # noqa: F401  (registers the claims)

IDS = [
    "gao2023.softmax_jacobian", "gao2023.softmax_curvature", "gao2023.tensor_trick", "gao2023.kron_blocks",
    "gao2023.kron_quadratic_form", "gao2023.kron_singular_values", "gao2023.loss_matrix_form", "gao2023.grad_x",
    "gao2023.grad_y", "gao2023.hess_xx", "gao2023.hess_yy", "gao2023.hess_xy", "gao2023.flat_direction",
    "gao2023.regularizer_hessian", "gao2023.hessian_pd", "gao2023.hessian_lipschitz", "gao2023.main_convergence",
    "gao2023.runtime", "gao2023.greedy_local_convergence",
]
TAGS = {"gao2023.hessian_pd": "RECONSTRUCTED", "gao2023.hessian_lipschitz": "RECONSTRUCTED",
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
    assert v.status in ("survived", "refuted"), (cid, v.status, v.reason)
    assert not v.as_expected or v.expected is None
    assert v.mutants and all(m["killed"] for m in v.mutants.values()), v.mutants


def test_scaling_rows_report_exponents(verdicts):
    rt = verdicts["gao2023.runtime"].scaling
    assert abs(rt["exponent"] - 2.0) < 0.2  # flop model of one greedy iteration: n^2 terms dominate
    mc = verdicts["gao2023.main_convergence"].scaling
    assert mc["exponent"] < 0.4  # iterations grow like log(1/eps), not like a power of 1/eps

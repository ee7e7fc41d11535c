"""The regression papers (li2023e, deng2023s, gao2023r) and the approximate-Newton framework at the smoke profile:
every catalogue row registered with its tag and expectation, DERIVED rows survive, their mutants are refuted,
and the convergence claims attach their curves."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import certify
import theorems.deng2023s_softmax_regression  # noqa: F401  (registers the claims)
import theorems.framework_approximate_newton  # noqa: F401
import theorems.gao2023r_rescaled_regression  # noqa: F401
import theorems.li2023e_exp_regression  # noqa: F401

FRAMEWORK = ["li2023e.sandwich_parametrization", "li2023e.hessian_sparsification", "li2023e.newton_one_step",
             "li2023e.newton_induction", "li2023e.newton_iterations"]
LI = ["li2023e.grad_hess", "li2023e.hessian_diag_infimum", "li2023e.hessian_pd", "li2023e.regularized_convex",
      "li2023e.hessian_lipschitz_bound", "li2023e.hessian_lipschitz", "li2023e.main_convergence"]
DENG = ["deng2023s.grad", "deng2023s.hessian", "deng2023s.hessian_null", "deng2023s.hessian_pd_sufficient",
        "deng2023s.hessian_pd", "deng2023s.hessian_lipschitz_bound", "deng2023s.hessian_lipschitz",
        "deng2023s.main_convergence"]
GAO = ["gao2023r.grad_hess", "gao2023r.hessian_pd", "gao2023r.main_convergence", "gao2023r.solution_perturbation"]
ALL = FRAMEWORK + LI + DENG + GAO
DERIVED = [i for i in ALL if certify.get_claim(i).tag == "DERIVED"]


def test_every_row_is_registered_with_tag_and_expectation():
    reg = {k for k in certify.registry() if k.split(".")[0] in ("li2023e", "deng2023s", "gao2023r")}
    assert reg == set(ALL)
    assert set(DERIVED) == {
        "li2023e.sandwich_parametrization", "li2023e.grad_hess", "li2023e.hessian_diag_infimum",
        "li2023e.hessian_lipschitz_bound", "deng2023s.grad", "deng2023s.hessian", "deng2023s.hessian_null",
        "deng2023s.hessian_pd_sufficient", "deng2023s.hessian_lipschitz_bound", "gao2023r.grad_hess"}
    for cid in ALL:
        c = certify.get_claim(cid)
        assert (c.expect == "holds") == (c.tag == "DERIVED"), cid
        assert c.mutants, cid  # scaling rows too: their paper states T = log(r0/eps), exponent 1
        assert "arXiv" in c.source or c.source.startswith("derived"), cid
    kinds = {cid: certify.get_claim(cid).kind for cid in ALL}
    assert kinds["li2023e.hessian_sparsification"] == "probability"
    assert kinds["li2023e.newton_iterations"] == "probability"
    assert kinds["deng2023s.main_convergence"] == "probability"
    assert kinds["li2023e.main_convergence"] == kinds["gao2023r.main_convergence"] == "scaling"
    assert certify.get_claim("li2023e.hessian_sparsification").params == dict(eps0=0.01, delta=0.1, C_nnz=1.0,
                                                                              row_tiles=1)
    assert certify.get_claim("li2023e.newton_induction").params["rho"] == 0.4
    assert certify.get_claim("deng2023s.hessian_pd").params["C_w"] == 100.0


@pytest.fixture(scope="module")
def verdicts():
    return {cid: certify.check(cid, profile="smoke", seed=0) for cid in DERIVED}


@pytest.mark.slow
@pytest.mark.parametrize("cid", sorted(DERIVED))
def test_derived_rows_survive_and_mutants_are_refuted(verdicts, cid):
    v = verdicts[cid]
    assert v.status == "survived", (cid, v.reason)
    assert v.mutants and all(m["killed"] for m in v.mutants.values()), v.mutants


@pytest.mark.slow
def test_convergence_claim_attaches_curves():
    v = certify.check("li2023e.newton_induction", profile="smoke", seed=0)
    curves = [p for p in v.plots if p.get("kind") == "curve" and p["name"] == "convergence"]
    assert curves and curves[0].get("logy")
    series = curves[0]["series"]
    assert set(series) == {"||x_t - x*||", "L(x_t) - L(x*)"}
    assert all(m["killed"] for m in v.mutants.values())


def test_regression_designs_cover_their_families():
    import numpy as np

    from certify.strategies import regression as S

    rng = np.random.default_rng(0)
    for kind in S.DESIGN_KINDS:
        A = S.make_design(rng, 9, 3, kind, cond=1e6, eta=1e-10)
        assert A.shape == (9, 3) and abs(np.linalg.norm(A, 2) - 1) < 1e-12
        s = np.linalg.svd(A, compute_uv=False)
        if kind in ("ones", "ones_dense"):
            z = np.linalg.lstsq(A, np.ones(9), rcond=None)[0]
            assert np.linalg.norm(A @ z - 1) < 1e-8
        if kind == "rankdef":
            assert s[-1] < 1e-12
        if kind == "nearsing":
            assert s[-1] / s[0] < 1e-9


def _good_specs():
    from certify.strategies import regression as S

    return S.framework_specs()


@given(spec=_good_specs())
@settings(max_examples=15)
def test_framework_specs_are_l_M_good(spec):
    import numpy as np

    from certify.solvers import newton as N

    inst = N.good_loss(certify.fp, spec)
    assert inst["l"] > 0  # w at or above the PD threshold: hess L(x*) >= l I with l > 0
    r, M, R = N.radius_for(certify.fp, inst, 0.1)
    if spec["kind"] != "quadratic":
        assert np.linalg.norm(inst["x_star"]) + r <= R * (1 + 1e-9)
        assert abs(M * r - 0.1 * inst["l"]) <= 1e-9 * inst["l"]


@given(data=st.data())
@settings(max_examples=15)
def test_targets_respect_their_bounds(data):
    import numpy as np

    from certify.strategies import regression as S

    b = data.draw(S.exp_targets(5, bmax=1e3))
    assert b.shape == (5,) and np.all(np.abs(b) <= 1e3)
    p = data.draw(S.prob_targets(6, bound=2.0))
    assert np.linalg.norm(p) <= 2.0 * (1 + 1e-12)


# ----------------------------------------------------------------------------- regressions of the encoding review
def _rescaled(g, seed=0, n=5, d=2, wv=0.4):
    import numpy as np

    rng = np.random.default_rng(seed)
    A = rng.standard_normal((n, d))
    A /= np.linalg.norm(A, 2)
    b = rng.random(n)
    b /= b.sum()
    return {"A": A, "b": b, "g": g, "x": np.zeros(d)}, wv


def test_solution_perturbation_minimiser_does_not_stall_at_a_stationary_start():
    """Regression: x* was Newton from 0, where grad L = 0 for cosh (even) and sinh (u(0) = 0): the minimiser never
    moved and the claim held with ratio 0 on every cosh/sinh instance."""
    import numpy as np

    from certify.solvers import newton as N
    from theorems import gao2023r_rescaled_regression as G

    found = 0
    for seed in range(8):
        prob, wv = _rescaled("cosh", seed)
        w = np.full(len(prob["b"]), wv)
        fl = N.ClosedFormLoss("rescaled", prob["A"], prob["b"], w, "cosh")
        x0 = N.minimiser(fl, np.zeros(2))[0]
        assert np.linalg.norm(x0) == 0.0  # the old start: stalls at the stationary point 0
        x1, lam, _ = G._global_minimiser(fl, 8, 1.0)
        assert fl.value(certify.fp, x1) <= fl.value(certify.fp, x0) + 1e-12
        if fl.value(certify.fp, x1) < fl.value(certify.fp, x0) - 1e-6:
            found += 1
            assert lam > 0 and np.linalg.norm(x1) > 0
    assert found >= 1, "no cosh instance whose minimiser is away from 0"


def test_solution_perturbation_discards_instances_outside_the_domain():
    c = certify.get_claim("gao2023r.solution_perturbation")
    p = {k: c.params[k] for k in ("rho_p", "regularised", "n_starts", "R", "pd_rtol")}
    from theorems import gao2023r_rescaled_regression as G

    prob, wv = _rescaled("exp", 1)
    args = dict(prob=prob, wv=wv, size=1.0, pseed=0, split=0.5)
    assert G._perturbation_domain(**args, **p)
    assert not G._perturbation_domain(**args, **{**p, "R": 1e-9})  # minimiser outside the ball ||x|| <= R
    assert not G._perturbation_domain(**args, **{**p, "pd_rtol": 1e9})  # Hessian not PD beyond the threshold


def test_sandwich_parametrization_checks_both_directions():
    """Regression: only (parametrisation => sandwich) was tested; the (=>) direction now starts from a sandwiched
    H~ built without H^{1/2} and must find ||E|| <= eps0, attained for a square factor with delta at +-1."""
    import numpy as np

    c = certify.get_claim("li2023e.sandwich_parametrization")
    H = np.diag([1.0, 10.0, 100.0])
    inst = {"q": {"H": H, "x_star": np.zeros(3), "seed": 0}, "eps0": 0.2,
            "spec": {"seed": 3, "spectrum": "uniform", "basis": "random"}}
    o = c.evaluate(certify.fp, inst)
    parts = {p.label: p for p in o.parts}
    assert any(k.startswith("(<=)") for k in parts) and sum(k.startswith("(=>)") for k in parts) == 2
    e = next(p for k, p in parts.items() if "||E|| <= eps0" in k)
    assert 0.0 < float(e.lhs) <= 0.2 * (1 + 1e-9)
    assert not o.violated


def test_newton_induction_discards_a_start_outside_its_premise():
    """Regression: an instance whose r_0 was at resolution passed by a part that was true by construction."""
    from hypothesis import find

    from certify.strategies import regression as S
    from theorems import framework_approximate_newton as F

    spec = find(S.framework_specs(), lambda s: s["kind"] != "quadratic")
    E = {"seed": 0, "spectrum": "uniform", "basis": "random"}
    assert F._induction_start_ok(spec, 1.0, E, False, 0.1)
    assert not F._induction_start_ok(spec, 1e-30, E, False, 0.1)


def test_smallest_constants_are_declared_over_the_catalogue_grids():
    bb = sorted(s["params"]["b_bound"] for s in certify.get_claim("deng2023s.hessian_pd").tighten)
    assert bb == [1.0, 10.0, 100.0]  # the row: smallest C_w as a function of ||b||_2
    grid = {(s["params"]["a"], s["params"]["c1"]) for s in certify.get_claim("gao2023r.hessian_pd").tighten}
    assert len(grid) == 3  # the row: smallest c0 per (a, c1)
    eps0 = certify.get_claim("li2023e.newton_induction").tighten[0]
    assert eps0["param"] == "eps0" and eps0["direction"] == "largest" and eps0["hi"] < 0.1


def test_hessian_sparsification_reaches_large_n_through_a_param():
    import numpy as np

    c = certify.get_claim("li2023e.hessian_sparsification")
    rng = np.random.default_rng(0)
    prob = {"A": rng.standard_normal((40, 3)), "D": rng.random(40) + 0.5}
    small = c.evaluate(certify.fp, {"prob": prob}, rng=np.random.default_rng(1))
    big = c.with_params({"row_tiles": 500}).evaluate(certify.fp, {"prob": prob}, rng=np.random.default_rng(1))
    m_small = next(p.rhs for p in small.parts if p.label == "nnz(D~) <= m")
    m_big = next(p.rhs for p in big.parts if p.label == "nnz(D~) <= m")
    assert m_big > m_small  # m = C_nnz p ln(n / delta) at n = 20000 rows

"""certify.kernels.sampled_regression against its mpmath twin certify.reference.sampled_regression."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest

from certify.errors import InvalidArgument
from certify.kernels import sampled_regression as K
from certify.kernels import sketch as KS
from certify.reference import sampled_regression as R
from certify.reference import sketch as RS
from certify.reference._mparray import to_float
from certify.strategies import sampled_regression as srs

RTOL = 1e-9


@pytest.fixture(scope="module")
def mpm():
    ctx = mpmath.MPContext()
    ctx.dps = 40
    return ctx


def rel(fast, ref):
    ref = np.asarray(to_float(np.asarray(ref, dtype=object)), dtype=float)
    fast = np.asarray(fast, dtype=float)
    return float(np.max(np.abs(fast - ref))) / max(float(np.max(np.abs(ref))), 1e-300)


def _designs():
    rng = np.random.default_rng(3)
    return {f: srs.make_design(rng, 9, 3, f, cond=1e6) for f in srs.DESIGN_FAMILIES}


DES = _designs()


def test_same_public_names():
    assert K.__all__ == R.__all__
    for name in K.__all__:
        assert callable(getattr(K, name)) and callable(getattr(R, name))


@pytest.mark.parametrize("f1,f2", [("well", "coherent"), ("rankdef", "cond"), ("heavy", "sparse")])
def test_kron_gram_and_leverage(mpm, f1, f2):
    A1, A2 = DES[f1][:6], DES[f2][:5, :2]
    assert rel(K.kron_gram(A1, A2), R.kron_gram(mpm, A1, A2)) < RTOL
    lev = K.kron_leverage_scores(A1, A2)
    assert rel(lev, R.kron_leverage_scores(mpm, A1, A2)) < 1e-6
    r1, r2 = np.linalg.matrix_rank(A1), np.linalg.matrix_rank(A2)
    assert abs(lev.sum() - r1 * r2) < 1e-8


def test_kron_sampled_gram_and_sandwich(mpm):
    A1, A2 = DES["coherent"][:7], DES["well"][:6, :2]
    i, j, w = K.kron_sample(A1, A2, 50, 4)
    assert rel(K.kron_sampled_gram(A1, A2, i, j, w), R.kron_sampled_gram(mpm, A1, A2, i, j, w)) < RTOL
    e_fast = K.kron_sandwich_error(A1, A2, i, j, w)
    e_ref = float(R.kron_sandwich_error(mpm, A1, A2, i, j, w))
    assert abs(e_fast - e_ref) < 1e-9 * max(1.0, e_ref)
    # the sampled Gram is unbiased: a huge sample gives a tiny sandwich error
    i, j, w = K.kron_sample(A1, A2, 200000, 5)
    assert K.kron_sandwich_error(A1, A2, i, j, w) < 0.05


@pytest.mark.parametrize("lam", [0.0, 1e-6, 0.3, 1e3])
def test_ridge_scores_and_solves(mpm, lam):
    A = DES["cond"]
    b = np.random.default_rng(1).standard_normal(A.shape[0])
    t = K.ridge_leverage_scores(A, lam)
    assert rel(t, R.ridge_leverage_scores(mpm, A, lam)) < 1e-7
    s = np.linalg.svd(A, compute_uv=False)
    assert abs(t.sum() - np.sum(s**2 / (s**2 + lam))) < 1e-10 * A.shape[1]
    rows, w = K.sample_rows(t + 1e-3, 20, 9)
    rows2, w2 = R.sample_rows(mpm, t + 1e-3, 20, 9)
    assert np.array_equal(rows, rows2) and rel(w, w2) < RTOL
    x = K.sampled_solve(A, b, rows, w, lam)
    assert rel(x, R.sampled_solve(mpm, A, b, rows, w, lam)) < 1e-6
    assert rel([K.regression_cost(A, b, x, lam)], [R.regression_cost(mpm, A, b, x, lam)]) < RTOL


def test_perturbed_scores_are_beta_approximations(mpm):
    t = K.ridge_leverage_scores(DES["coherent"], 0.0)
    p = K.perturb_scores(t, 0.1, 3)
    assert np.all(p >= 0.1 * t - 1e-15) and np.all(p <= t + 1e-15)
    assert p[np.argmax(t)] == pytest.approx(0.1 * t.max())
    assert rel(p, R.perturb_scores(mpm, t, 0.1, 3)) < RTOL


@pytest.mark.parametrize("kind", ["gaussian", "srht", "countsketch", "osnap", "leverage"])
def test_sketch_solve_and_oce(mpm, kind):
    A = DES["well"]
    b = np.random.default_rng(2).standard_normal(A.shape[0])
    sk = KS.draw_sketch(kind, 7, A.shape[0], 11, probs=np.ones(A.shape[0]) if kind == "leverage" else None)
    assert rel(K.sketch_solve(sk, A, b), R.sketch_solve(mpm, sk, A, b)) < 1e-7
    assert abs(K.oce_error(sk, A[:, 0], b) - float(R.oce_error(mpm, sk, A[:, 0], b))) < 1e-12


def test_tensor_sketch_solve_matches_formed(mpm):
    rng = np.random.default_rng(5)
    A1, A2 = rng.standard_normal((5, 2)), rng.standard_normal((4, 2))
    S1, S2 = rng.standard_normal((4, 5)), rng.standard_normal((4, 4))
    b = rng.standard_normal(20)
    x = K.tensor_sketch_solve(S1, S2, A1, A2, b)
    formed = np.linalg.lstsq(np.kron(S1, S2) @ np.kron(A1, A2), np.kron(S1, S2) @ b, rcond=None)[0]
    assert np.max(np.abs(x - formed)) < 1e-10
    assert rel(x, R.tensor_sketch_solve(mpm, S1, S2, A1, A2, b)) < 1e-9


def test_errors_name_the_argument():
    with pytest.raises(InvalidArgument, match="lam"):
        K.ridge_leverage_scores(DES["well"], -1.0)
    with pytest.raises(InvalidArgument, match="kron_sample: bad m"):
        K.kron_sample(DES["well"], DES["well"], 0, 1)


def test_sandwich_error_stable_for_ill_conditioned_factors(mpm):
    # regression: forming P^T (A^T D^2 A) P from the sampled Gram amplified its rounding by kappa^2 (~1e24 here)
    rng = np.random.default_rng(8)
    A1 = srs.make_design(rng, 12, 3, "cond", cond=1e6, spectrum=0)
    A2 = srs.make_design(rng, 10, 3, "cond", cond=1e6, spectrum=2)
    i, j, w = K.kron_sample(A1, A2, 300, 2)
    fast = K.kron_sandwich_error(A1, A2, i, j, w)
    mpm50 = mpmath.MPContext()
    mpm50.dps = 50
    assert abs(fast - float(R.kron_sandwich_error(mpm50, A1, A2, i, j, w))) < 1e-6


def test_a_given_rtol_cuts_the_same_rank_in_both_twins():
    # rtol is relative to singular values in the float64 kernels; the twins once applied it to Gram eigenvalues
    # (sigma^2), so sigma_2 = 1e-4 sigma_1 at rtol 1e-6 was kept in float64 and dropped in mpmath
    mpm = mpmath.MPContext()
    mpm.dps = 40
    A1 = np.array([[1.0, 0.0], [0.0, 1e-4], [0.0, 0.0]])
    A2 = np.array([[1.0], [2.0]])
    rtol = 1e-6
    fp_sum = float(np.sum(KS.leverage_scores(A1, rtol)))
    assert fp_sum == pytest.approx(2.0)
    assert float(sum(RS.leverage_scores(mpm, A1, rtol))) == pytest.approx(2.0)
    assert float(sum(R.kron_leverage_scores(mpm, A1, A2, rtol))) == pytest.approx(2.0)
    # and a singular value below the cut is dropped by both
    assert float(sum(RS.leverage_scores(mpm, A1, 1e-3))) == pytest.approx(1.0)
    assert float(np.sum(KS.leverage_scores(A1, 1e-3))) == pytest.approx(1.0)

"""The approximate-Newton framework: sandwich set, sparsification, Newton runs and the minimiser."""

from __future__ import annotations

import math

import numpy as np
import pytest

from certify.context import fp, mp
from certify.errors import InvalidArgument
from certify.solvers import newton as N


def _pd(rng, p, cond):
    q, _ = np.linalg.qr(rng.standard_normal((p, p)))
    lam = np.logspace(0, -math.log10(cond), p)
    return (q * lam) @ q.T


@pytest.mark.parametrize("spectrum", ["uniform", "plus", "minus", "signs", "split", "zero"])
@pytest.mark.parametrize("basis", ["random", "identity", "aligned"])
def test_draw_E_is_in_the_eps0_ball(spectrum, basis):
    rng = np.random.default_rng(0)
    E = N.draw_E(rng, 5, 0.05, spectrum, basis, direction=np.arange(1.0, 6.0))
    assert np.allclose(E, E.T)
    ev = np.linalg.eigvalsh(E)
    assert np.max(np.abs(ev)) <= 0.05 * (1 + 1e-12)
    if spectrum in ("plus", "minus", "signs", "split"):
        np.testing.assert_allclose(np.abs(ev), 0.05, rtol=1e-12)
    if basis == "aligned" and spectrum == "split":
        v = np.arange(1.0, 6.0) / np.linalg.norm(np.arange(1.0, 6.0))
        assert abs(v @ E @ v - 0.05) < 1e-12


@pytest.mark.parametrize("cond", [1.0, 1e4, 1e8])
def test_sandwich_generalised_eigenvalues_are_one_plus_eig_E(cond):
    rng = np.random.default_rng(1)
    H = _pd(rng, 4, cond)
    E = N.draw_E(rng, 4, 0.01, "uniform", "random")
    Ht = N.sandwich(fp, H, E)
    ge = np.sort(N.generalized_eigs(fp, Ht, H))
    np.testing.assert_allclose(ge, 1 + np.sort(np.linalg.eigvalsh(E)), atol=1e-9 * cond)
    assert N.approximation_error(fp, Ht, H) <= 0.01 + 1e-9 * cond


def test_sandwich_in_mpmath():
    rng = np.random.default_rng(2)
    H = _pd(rng, 3, 1e10)
    E = N.draw_E(rng, 3, 0.01, "signs", "random")
    m = mp(50)
    Ht = N.sandwich(m, m.asarray(H), m.asarray(E))
    err = N.approximation_error(m, Ht, m.asarray(H))
    top = max(abs(v) for v in m.eigvalsh(m.asarray(E)))  # E is +-0.01 up to float rounding
    assert abs(err - top) < 1e-30


def test_leverage_scores():
    rng = np.random.default_rng(3)
    F = rng.standard_normal((30, 4))
    F[:, 3] = F[:, 0] + F[:, 1]  # rank 3
    tau = N.leverage_scores(F)
    ref = np.einsum("ij,jk,ik->i", F, np.linalg.pinv(F.T @ F), F)
    np.testing.assert_allclose(tau, ref, atol=1e-10)
    assert abs(tau.sum() - 3) < 1e-10
    with pytest.raises(InvalidArgument, match="leverage_scores: bad F"):
        N.leverage_scores(np.ones(3))


def test_sample_count_and_sparsify():
    assert N.sample_count(100, 3, 0.1) == math.ceil(3 * math.log(1000))
    with pytest.raises(InvalidArgument, match="delta"):
        N.sample_count(10, 2, 1.5)
    rng = np.random.default_rng(4)
    n, p = 400, 3
    A = rng.standard_normal((n, p))
    D = rng.random(n) * 10.0 ** rng.uniform(-8, 8, n)
    D[::7] = 0.0
    Dt, m = N.sparsify_diag(rng, A, D, delta=0.1, C_nnz=200.0)
    assert np.count_nonzero(Dt) <= m
    assert np.all(Dt[D == 0] == 0)
    H = A.T @ (D[:, None] * A)
    Ht = A.T @ (Dt[:, None] * A)
    assert N.approximation_error(fp, Ht, H) < 0.2  # m ~ 200 p ln(n/delta): close
    with pytest.raises(InvalidArgument, match="non-negative"):
        N.sparsify_diag(rng, A, -np.ones(n), 0.1)


def test_factor_of():
    rng = np.random.default_rng(5)
    A = rng.standard_normal((8, 3))
    D = rng.random(8)
    F = N.factor_of(A, D)
    np.testing.assert_allclose(F.T @ F, A.T @ (D[:, None] * A), atol=1e-12)
    Mh = rng.standard_normal((8, 8))
    M = Mh @ Mh.T
    F = N.factor_of(A, M)
    np.testing.assert_allclose(F.T @ F, A.T @ M @ A, atol=1e-10)
    Dneg = D - 0.3  # indefinite middle: falls back to H^{1/2} when H is PD
    H = A.T @ (Dneg[:, None] * A) + 5 * np.eye(3)
    F = N.factor_of(A, Dneg, H)
    np.testing.assert_allclose(F.T @ F, H, atol=1e-10)


def test_exact_newton_on_a_quadratic_is_one_step():
    rng = np.random.default_rng(6)
    H = _pd(rng, 4, 1e6)
    xs = rng.standard_normal(4)
    run = N.newton(fp, N.QuadraticLoss(H, xs), np.zeros(4), 3, x_star=xs)
    assert run.distances[1] < 1e-8 * run.distances[0] * 1e6 ** 0.5
    curves = run.curves()
    assert curves["iteration"] == [0, 1, 2, 3] and len(curves["distance"]) == 4


def test_approximate_newton_on_a_quadratic_contracts_by_eps0():
    rng = np.random.default_rng(7)
    H = _pd(rng, 5, 1e3)
    xs = rng.standard_normal(5)
    for spectrum in ["plus", "minus", "signs", "uniform"]:
        run = N.newton(fp, N.QuadraticLoss(H, xs), np.zeros(5), 6, hessian=N.sandwich_oracle(0.05, spectrum),
                       rng=rng, x_star=xs, record_eps=True)
        r = np.array(run.distances)
        # e_{t+1} = (I - H~^{-1} H) e_t: H^{1/2} e contracts by eps0/(1-eps0), so ||e|| by that times sqrt(kappa)
        assert np.all(r[1:] <= r[:-1] * 0.05 / 0.95 * math.sqrt(1e3) * (1 + 1e-9))
        assert r[-1] < 1e-4 * r[0]
        assert max(run.eps_realised) <= 0.05 + 1e-12


def _exp_problem(seed=8, n=15, d=3):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((n, d))
    A /= np.linalg.norm(A, 2)
    b = np.exp(A @ (0.3 * rng.standard_normal(d))) + 0.1 * rng.standard_normal(n)
    return N.RegressionLoss("exp", A, b, np.full(n, 2.0), "exp")


def test_minimiser_float_and_mp_polish():
    loss = _exp_problem()
    xs, info = N.minimiser(loss, np.zeros(3))
    assert info["grad_norm"] < 1e-12 and info["lambda_min"] > 0
    xm, info2 = N.minimiser(loss, np.zeros(3), dps=40)
    assert info2["grad_norm_mp"] < 1e-30
    assert np.max(np.abs(mp(40).to_float(xm) - xs)) < 1e-12


@pytest.mark.parametrize("problem,g", [("exp", "cosh"), ("softmax", "exp"), ("rescaled", "sinh")])
def test_newton_converges_on_the_regression_losses(problem, g):
    rng = np.random.default_rng(9)
    n, d = 12, 3
    A = rng.standard_normal((n, d))
    A /= np.linalg.norm(A, 2)
    b = rng.random(n)
    b /= b.sum()
    loss = N.RegressionLoss(problem, A, b, np.full(n, 3.0), g)
    xs, _ = N.minimiser(loss, np.zeros(d))
    run = N.newton(fp, loss, xs + 0.05, 6, x_star=xs)
    assert run.distances[-1] < 1e-12
    run = N.newton(fp, loss, xs + 0.05, 25, hessian=N.sparsified_oracle(0.1, C_nnz=1.0), rng=rng, x_star=xs)
    assert run.distances[-1] < 1e-6 * run.distances[0]
    fac = loss.factor(fp, xs)
    A_, M = fac
    Mm = np.diag(M) if np.ndim(M) == 1 else M
    np.testing.assert_allclose(A_.T @ Mm @ A_, loss.hess(fp, xs), rtol=1e-10, atol=1e-12)


def test_newton_in_mpmath_goes_below_float_resolution():
    loss = _exp_problem(n=6, d=2)
    xs, _ = N.minimiser(loss, np.zeros(2), dps=50)
    m = mp(50)
    run = N.newton(m, loss, m.asarray(m.to_float(xs) + 0.01), 5, x_star=xs)
    assert run.distances[-1] < m.mpm.mpf("1e-40")

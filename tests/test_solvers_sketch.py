"""Sketch-and-precondition solvers (certify.solvers.sketch_precondition) against exact / mpmath references."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import scipy.sparse as sp

from certify.errors import InvalidArgument
from certify.kernels import sketch as K
from certify.reference._mparray import to_float
from certify.solvers import sketch_precondition as S


def _cond_matrix(n, d, kappa, seed=0):
    rng = np.random.default_rng(seed)
    U = np.linalg.qr(rng.standard_normal((n, d)))[0]
    V = np.linalg.qr(rng.standard_normal((d, d)))[0]
    return (U * np.logspace(0, -np.log10(kappa), d)) @ V.T


@pytest.fixture(scope="module")
def mpm():
    ctx = mpmath.MPContext()
    ctx.dps = 50
    return ctx


def _mp_lstsq(mpm, A, b):
    """x* = A^+ b in mpmath via the normal equations at dps 50 (independent of numpy/LAPACK)."""
    x = S.exact_reference_mp(mpm, "P2", A, b, j=0)
    return to_float(x)


@pytest.mark.parametrize("kind", K.KINDS)
@pytest.mark.parametrize("method", ["lsqr", "cg"])
def test_sketch_lstsq_matches_mp_reference(mpm, kind, method):
    A = _cond_matrix(300, 6, 1e6, seed=1)
    A[5] = [0, 0, 0, 0, 0, 300.0]                      # a coherent row
    rng = np.random.default_rng(2)
    b = A @ rng.standard_normal(6) + 0.3 * rng.standard_normal(300)
    xs = _mp_lstsq(mpm, A, b)
    res = S.sketch_lstsq(A, b, rng=3, sketch=kind, m=60, method=method, tol=1e-12)
    assert res.converged
    err = np.linalg.norm(A @ (res.x - xs)) / np.linalg.norm(A @ xs)
    assert err < 1e-10
    assert res.residuals[-1] <= 1e-12 / 2


def test_sketch_lstsq_sparse_csr_and_b_in_colspace(mpm):
    rng = np.random.default_rng(4)
    A = sp.random(400, 5, density=0.05, random_state=5, format="lil")
    for c in range(5):
        A[c, c] = 1.0
    A = A.tocsr()
    b = A @ rng.standard_normal(5)                       # OPT = 0
    res = S.sketch_lstsq(A, b, rng=0, sketch="countsketch", m=50, tol=1e-12)
    xs = _mp_lstsq(mpm, A.toarray(), b)
    assert np.linalg.norm(A @ res.x - b) <= 1e-10 * np.linalg.norm(b)
    assert np.allclose(res.x, xs, rtol=1e-9, atol=1e-12)


def test_richardson_ls_contracts_and_pythagoras():
    A = _cond_matrix(400, 5, 1e3, seed=6)
    b = np.random.default_rng(7).standard_normal(400)
    sk = K.draw_sketch("gaussian", 200, 400, 8)
    eps0 = K.subspace_distortion(sk, A)
    assert eps0 < 0.5
    R = S.preconditioner(A, sk)
    xs = S.exact_reference("P2", A, b, j=0)
    res = S.richardson_ls(A, b, R, iters=25)
    rho = eps0 / (1 - eps0)
    errs = [np.linalg.norm(R @ (x - xs)) for x in res.iterates]
    for t in range(len(errs) - 1):
        if errs[t] > 1e-10 * errs[0]:
            assert errs[t + 1] <= rho * errs[t] * (1 + 1e-6) + 1e-11 * errs[0]   # the bound is nearly attained
    opt = np.linalg.norm(A @ xs - b)
    x = res.iterates[3]
    assert abs(np.linalg.norm(A @ x - b) ** 2 - (opt**2 + np.linalg.norm(A @ (x - xs)) ** 2)) < 1e-10 * opt**2


def test_gram_solvers():
    A = _cond_matrix(500, 6, 1e3, seed=9)
    c = np.random.default_rng(10).standard_normal(6)
    sk = K.draw_sketch("gaussian", 300, 500, 11)
    eps0 = K.subspace_distortion(sk, A)
    R = S.preconditioner(A, sk)
    rho = eps0 / (1 - eps0)
    g = S.gram_richardson(A, c, R, iters=30)
    kap = np.linalg.cond(A)
    for t, r in enumerate(g.residuals):
        assert r <= kap * ((1 + eps0) / (1 - eps0)) ** 1.5 * rho**t * (1 + 1e-8) + 1e-12 * kap**2
    ys = np.linalg.solve(A.T @ A, c)
    assert np.linalg.norm(g.x - ys) / np.linalg.norm(ys) < 1e-8
    cg = S.gram_cg(A, c, R, tol=1e-12)
    assert cg.converged and np.linalg.norm(cg.x - ys) / np.linalg.norm(ys) < 1e-8


@pytest.mark.parametrize("j", [1, 2, 3])
def test_p1_p2_vs_mp_reference(mpm, j):
    A = _cond_matrix(200, 4, 10.0, seed=12)   # kappa^{2j} <= 1e6: 1e-9 reachable in float64
    rng = np.random.default_rng(13)
    c = rng.standard_normal(4)
    b = rng.standard_normal(200)
    p1 = S.solve_p1(A, c, j, eps=1e-9, rng=1)
    x1 = to_float(S.exact_reference_mp(mpm, "P1", A, c, j=j))
    assert p1.info["final_rel_residual"] <= 1e-9
    assert np.allclose(p1.x, x1, rtol=1e-6, atol=0)
    p1r = S.solve_p1(A, c, j, eps=1e-9, rng=1, method="richardson", m=150)
    assert p1r.info["final_rel_residual"] <= 1e-9
    assert np.allclose(S.gram_power_apply(A, x1, j), c, rtol=0, atol=1e-10)
    p2 = S.solve_p2(A, b, j, eps=1e-9, rng=2)
    x2 = to_float(S.exact_reference_mp(mpm, "P2", A, b, j=j))
    opt = np.linalg.norm(S.p2_apply(A, x2, j) - b)
    assert p2.info["residual"] <= (1 + 1e-9) * opt
    assert np.allclose(S.exact_reference("P2", A, b, j=j), x2, rtol=1e-8)
    assert np.allclose(S.exact_reference("P1", A, c, j=j), x1, rtol=1e-8)


def test_stage_tolerance_meets_budget():
    for j, kap in ((1, 10.0), (3, 100.0)):
        es = S.stage_tolerance(1e-8, j, kap)
        assert es * sum(((1 + es) * kap**2) ** k for k in range(j)) <= 1e-8


def test_p3_solver_vs_mp_reference(mpm):
    rng = np.random.default_rng(14)
    A = 0.4 * rng.standard_normal((25, 2))
    b = rng.standard_normal(25)
    lam = 1e-2
    xr = to_float(S.exact_reference_mp(mpm, "P3", A, b, lam=lam))
    Kl = K.attention_kernel(A) + lam * np.eye(25)
    for kw in (dict(q=3, m=8), dict(q=None, m=None)):
        res = S.solve_p3(A, b, eps=1e-10, lam=lam, rng=0, x_ref=xr, **kw)
        assert res.converged and res.info["preconditioned"]
        assert np.linalg.norm(Kl @ res.x - b) <= 1e-10 * np.linalg.norm(b)
        assert np.allclose(res.x, xr, rtol=1e-6, atol=1e-8 * np.abs(xr).max())
    rich = S.solve_p3(A, b, eps=1e-10, lam=lam, method="richardson")
    assert rich.converged
    assert np.allclose(S.exact_reference("P3", A, b, lam=lam), xr, rtol=1e-7)


def test_p3_exact_reference_singular_kernel(mpm):
    A = np.array([[0.1, 0.2], [0.3, -0.1], [0.1, 0.2]])          # duplicated row: K singular
    b = np.array([1.0, 2.0, 3.0])
    x = S.exact_reference("P3", A, b)
    xm = to_float(S.exact_reference_mp(mpm, "P3", A, b))
    Km = K.attention_kernel(A)
    # both give the least-squares (minimum-norm) solution: the residual is the part of b outside range(K)
    assert np.allclose(Km @ x, Km @ xm, atol=1e-8)
    assert abs(np.linalg.norm(Km @ xm - b) - 1.0 / np.sqrt(2) * abs(b[0] - b[2])) < 1e-8


def test_validation():
    with pytest.raises(InvalidArgument, match="preconditioner: bad sk"):
        S.preconditioner(np.ones((10, 3)), K.draw_sketch("gaussian", 2, 10, 0))
    with pytest.raises(InvalidArgument, match="rank-deficient"):
        S.preconditioner(np.ones((10, 3)), K.draw_sketch("gaussian", 5, 10, 0))
    with pytest.raises(InvalidArgument, match="sketch_lstsq: bad b"):
        S.sketch_lstsq(np.eye(4), np.ones(3))
    with pytest.raises(InvalidArgument, match="solve_p1: bad j"):
        S.solve_p1(np.eye(4), np.ones(4), 0)
    with pytest.raises(InvalidArgument, match="exact_reference: bad problem"):
        S.exact_reference("P4", np.eye(3), np.ones(3))

"""Sketch-and-precondition solvers of claims/kernel_regression.md (2308.14304, prefix ``song2023``).

* ``preconditioner(A, sk)``: R from the thin QR of S A (positive diagonal), eq. (9).
* Least squares min ||Ax - b||: ``lsqr`` (Paige-Saunders LSQR on A R^{-1}), ``cgls`` (CG on the preconditioned
  normal equations) and ``richardson_ls`` (eq. (10)); ``sketch_lstsq`` = draw S, precondition, iterate.
* Gram solves (A^T A) y = c: ``gram_richardson`` (eq. (11)) and ``gram_cg``; powers applied matrix-free by
  ``gram_power_apply`` / ``p2_apply`` (eq. (12)); ``solve_p1`` / ``solve_p2`` by nested Gram solves with the
  per-stage tolerance of eq. (14) (eq. (13)).
* Attention kernel regression P3 (K = exp(AA^T) [+ lam I]): ``p3_preconditioner`` (eq. (24): truncated merged
  Taylor features Phi_q, Gaussian feature sketch Z = Phi_q S^T, K~ = Z Z^T + lam I) and ``solve_p3`` (PCG or
  Richardson, eq. (20)).
* ``exact_reference`` (float64) and ``exact_reference_mp`` (mpmath) implement the EXACT BASELINE of section 8
  (``song2023.exact_reference``).

Every iterative solver returns a `SolveResult` with the iterates' residual history (and, with ``record=True``,
the iterates themselves) so convergence can be plotted. A may be dense or scipy.sparse (CSR) everywhere except P3.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp

from certify.errors import invalid
from certify.kernels import sketch as ks

__all__ = [
    "SolveResult",
    "preconditioner",
    "lsqr",
    "cgls",
    "richardson_ls",
    "sketch_lstsq",
    "gram_richardson",
    "gram_cg",
    "gram_power_apply",
    "p2_apply",
    "stage_tolerance",
    "solve_p1",
    "solve_p2",
    "default_q",
    "p3_preconditioner",
    "solve_p3",
    "exact_reference",
    "exact_reference_mp",
]

_HERE = "solvers.sketch_precondition"


@dataclass
class SolveResult:
    x: np.ndarray
    iterations: int
    converged: bool
    residuals: list = field(default_factory=list)     # per-iteration residual measure (see `measure`)
    measure: str = ""
    iterates: list | None = None
    info: dict = field(default_factory=dict)


# ----------------------------------------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------------------------------------


def _A(where, A):
    if sp.issparse(A):
        A = sp.csr_matrix(A, dtype=np.float64)
        if not np.all(np.isfinite(A.data)):
            raise invalid(where, "A", "sparse matrix with non-finite entries", "pass finite values only")
        return A
    a = np.asarray(A)
    if a.dtype == object or a.dtype.kind not in "fiub" or a.ndim != 2 or a.size == 0:
        raise invalid(where, "A", f"array of dtype {a.dtype}, shape {a.shape}",
                      "pass a non-empty 2-D float64 array or a scipy.sparse matrix")
    a = np.ascontiguousarray(a, dtype=np.float64)
    if not np.all(np.isfinite(a)):
        raise invalid(where, "A", "non-finite entries", "pass finite values only")
    return a


def _vec(where, name, b, n):
    v = np.asarray(b)
    if v.dtype == object or v.dtype.kind not in "fiub" or v.shape != (n,):
        raise invalid(where, name, f"shape {v.shape}, dtype {v.dtype}", f"pass a float vector of length {n}")
    v = np.ascontiguousarray(v, dtype=np.float64)
    if not np.all(np.isfinite(v)):
        raise invalid(where, name, "non-finite entries", "pass finite values only")
    return v


def _mv(A, x):
    return np.asarray(A @ x).reshape(-1)


def _rmv(A, y):
    return np.asarray(A.T @ y).reshape(-1)


def _rsolve(R, z):      # R^{-1} z
    return sla.solve_triangular(R, z, lower=False, check_finite=False)


def _rtsolve(R, z):     # R^{-T} z
    return sla.solve_triangular(R, z, lower=False, trans="T", check_finite=False)


# ----------------------------------------------------------------------------------------------------------
# preconditioner and least squares
# ----------------------------------------------------------------------------------------------------------


def preconditioner(A, sk, rtol=1e-13):
    """R (d x d, upper triangular, positive diagonal) with S A = Q R. Raises when S A is numerically
    rank-deficient (diag(R) below rtol * max)."""
    where = _HERE + ".preconditioner"
    A = _A(where, A)
    d = A.shape[1]
    if sk.m < d:
        raise invalid(where, "sk", f"m = {sk.m}", f"draw a sketch with m >= d = {d} rows")
    SA = ks.apply_sketch(sk, A)
    R = sla.qr(SA, mode="r", overwrite_a=True, check_finite=False)[0][:d]
    dg = np.diag(R)
    if np.any(~np.isfinite(dg)) or np.min(np.abs(dg)) <= rtol * np.max(np.abs(dg)):
        raise invalid(where, "A", "S A numerically rank-deficient",
                      "pass A with full column rank (or draw a larger sketch)")
    return np.ascontiguousarray(R * np.sign(dg)[:, None])


def lsqr(A, b, R=None, tol=1e-10, maxiter=None, record=False, safety=2.0):
    """LSQR on min ||A R^{-1} z - b||, x = R^{-1} z (R = I when None).

    Stops when the estimate of ||A(x - x*)|| / ||A x|| (= ||Abar^T r|| / ||Abar x|| for a well-conditioned
    Abar = A R^{-1}, with ||A x||^2 = ||b||^2 - ||r||^2 for LSQR iterates) is <= tol / safety.
    ``residuals``: that estimate per iteration.
    """
    where = _HERE + ".lsqr"
    A = _A(where, A)
    n, d = A.shape
    b = _vec(where, "b", b, n)
    R = np.eye(d) if R is None else np.asarray(R, dtype=np.float64)
    maxiter = 10 * d + 100 if maxiter is None else int(maxiter)
    bnorm = float(np.linalg.norm(b))
    x = np.zeros(d)
    hist, its = [], ([] if record else None)
    if bnorm == 0:
        return SolveResult(x, 0, True, [0.0], "fitted_rel_est", its)
    u = b / bnorm
    beta = bnorm
    v = _rtsolve(R, _rmv(A, u))
    alpha = float(np.linalg.norm(v))
    if alpha == 0:
        return SolveResult(x, 0, True, [0.0], "fitted_rel_est", its, {"rnorm": bnorm})
    v /= alpha
    w = v.copy()
    z = np.zeros(d)
    phibar, rhobar = beta, alpha
    converged = False
    k = 0
    for k in range(1, maxiter + 1):  # noqa: B007 - k is the iteration count returned
        u = _mv(A, _rsolve(R, v)) - alpha * u
        beta = float(np.linalg.norm(u))
        if beta > 0:
            u /= beta
        v = _rtsolve(R, _rmv(A, u)) - beta * v
        alpha = float(np.linalg.norm(v))
        if alpha > 0:
            v /= alpha
        rho = math.hypot(rhobar, beta)
        c, s = rhobar / rho, beta / rho
        theta = s * alpha
        rhobar = -c * alpha
        phi = c * phibar
        phibar = s * phibar
        z += (phi / rho) * w
        w = v - (theta / rho) * w
        arnorm = phibar * alpha * abs(c)
        fitted = math.sqrt(max(bnorm**2 - phibar**2, 0.0))
        est = arnorm / fitted if fitted > 0 else math.inf
        hist.append(est)
        if record:
            its.append(_rsolve(R, z))
        if est <= tol / safety or alpha == 0 or beta == 0:
            converged = True
            break
    x = _rsolve(R, z)
    return SolveResult(x, k, converged, hist, "fitted_rel_est", its, {"rnorm": phibar})


def cgls(A, b, R=None, tol=1e-10, maxiter=None, record=False, safety=2.0):
    """CG on the preconditioned normal equations (A R^{-1})^T (A R^{-1}) z = (A R^{-1})^T b (CGLS form).
    Stops when ||Abar^T r|| / ||A x|| <= tol / safety. ``residuals``: that quantity per iteration."""
    where = _HERE + ".cgls"
    A = _A(where, A)
    n, d = A.shape
    b = _vec(where, "b", b, n)
    R = np.eye(d) if R is None else np.asarray(R, dtype=np.float64)
    maxiter = 10 * d + 100 if maxiter is None else int(maxiter)
    z = np.zeros(d)
    r = b.copy()
    s = _rtsolve(R, _rmv(A, r))
    p = s.copy()
    gamma = float(s @ s)
    hist, its = [], ([] if record else None)
    converged = gamma == 0
    k = 0
    while not converged and k < maxiter:
        k += 1
        q = _mv(A, _rsolve(R, p))
        a = gamma / float(q @ q)
        z += a * p
        r -= a * q
        s = _rtsolve(R, _rmv(A, r))
        gnew = float(s @ s)
        fitted = float(np.linalg.norm(b - r))
        est = math.sqrt(gnew) / fitted if fitted > 0 else math.inf
        hist.append(est)
        if record:
            its.append(_rsolve(R, z))
        if est <= tol / safety:
            converged = True
            break
        p = s + (gnew / gamma) * p
        gamma = gnew
    return SolveResult(_rsolve(R, z), k, converged, hist, "normal_rel", its)


def richardson_ls(A, b, R, iters, x0=None, record=True):
    """Eq. (10): z_{t+1} = z_t - R^{-T} A^T (A R^{-1} z_t - b), x_t = R^{-1} z_t, fixed number of steps.
    ``iterates``: x_0, ..., x_iters; ``residuals``: ||A x_t - b||."""
    where = _HERE + ".richardson_ls"
    A = _A(where, A)
    n, d = A.shape
    b = _vec(where, "b", b, n)
    R = np.asarray(R, dtype=np.float64)
    x = np.zeros(d) if x0 is None else _vec(where, "x0", x0, d).copy()
    z = R @ x
    xs, hist = [x.copy()], [float(np.linalg.norm(_mv(A, x) - b))]
    for _ in range(int(iters)):
        res = _mv(A, _rsolve(R, z)) - b
        z = z - _rtsolve(R, _rmv(A, res))
        x = _rsolve(R, z)
        if record:
            xs.append(x)
        hist.append(float(np.linalg.norm(_mv(A, x) - b)))
    return SolveResult(x, int(iters), True, hist, "residual_norm", xs if record else None)


def _default_m(kind, d, n):
    """Practical sketch sizes for the solvers (the eq. (8) sizes are used by the claims, not here)."""
    if kind == "countsketch":
        return min(n, 40 * d)
    if kind == "osnap":
        return min(n, 4 * d)
    if kind == "leverage":
        return min(n, 10 * d)
    return min(n, 4 * d)


def sketch_lstsq(A, b, rng=0, sketch="countsketch", m=None, s=None, method="lsqr", tol=1e-10, maxiter=None,
                 record=False):
    """Sketch-and-precondition least squares: draw S, R from QR(S A), then LSQR / CGLS / Richardson on A R^{-1}.
    Defaults: CountSketch with m = 40 d rows (O(nnz(A)) to apply; measured fastest in bench/tall_lstsq.py);
    OSNAP uses s = 8 non-zeros per column unless given.
    ``info`` holds the phase timings (sketch, qr, iterate) in seconds."""
    where = _HERE + ".sketch_lstsq"
    A = _A(where, A)
    n, d = A.shape
    b = _vec(where, "b", b, n)
    if sketch not in ks.KINDS:
        raise invalid(where, "sketch", sketch, f"pass one of {ks.KINDS}")
    m = _default_m(sketch, d, n) if m is None else int(m)
    t0 = time.perf_counter()
    probs = None
    if sketch == "leverage":
        probs = ks.leverage_probs(ks.approx_leverage_scores(A, ks.as_rng(rng)))
    sk = ks.draw_sketch(sketch, m, n, rng, s=(min(8, m) if s is None else s) if sketch == "osnap" else None,
                        probs=probs)
    t1 = time.perf_counter()
    R = preconditioner(A, sk)
    t2 = time.perf_counter()
    if method == "lsqr":
        res = lsqr(A, b, R, tol=tol, maxiter=maxiter, record=record)
    elif method == "cg":
        res = cgls(A, b, R, tol=tol, maxiter=maxiter, record=record)
    elif method == "richardson":
        res = richardson_ls(A, b, R, iters=maxiter or 60, record=record)
    else:
        raise invalid(where, "method", method, "pass 'lsqr', 'cg' or 'richardson'")
    t3 = time.perf_counter()
    res.info.update(sketch=sketch, m=m, t_draw=t1 - t0, t_precondition=t2 - t1, t_iterate=t3 - t2, R=R)
    return res


# ----------------------------------------------------------------------------------------------------------
# Gram solves, powers, P1 and P2
# ----------------------------------------------------------------------------------------------------------


def gram_richardson(A, c, R, iters=None, tol=None, maxiter=1000, record=True):
    """Eq. (11): w_{t+1} = w_t - (U w_t - R^{-T} c), U = R^{-T} A^T A R^{-1}, y_t = R^{-1} w_t, from w_0 = 0.
    Runs ``iters`` steps, or until ||(A^T A) y_t - c|| <= tol ||c||. ``residuals[t]`` = ||(A^T A) y_t - c|| / ||c||
    (t = 0 .. T); ``iterates`` = w_t (record=True)."""
    where = _HERE + ".gram_richardson"
    A = _A(where, A)
    d = A.shape[1]
    c = _vec(where, "c", c, d)
    R = np.asarray(R, dtype=np.float64)
    cn = float(np.linalg.norm(c))
    if cn == 0:
        return SolveResult(np.zeros(d), 0, True, [0.0], "gram_rel_residual", [np.zeros(d)] if record else None)
    rc = _rtsolve(R, c)
    w = np.zeros(d)
    ws = [w.copy()] if record else None
    hist = []
    limit = int(iters) if iters is not None else int(maxiter)
    converged = False
    t = 0
    while True:
        step = _rtsolve(R, _rmv(A, _mv(A, _rsolve(R, w)))) - rc      # U w_t - R^{-T} c
        hist.append(float(np.linalg.norm(R.T @ step)) / cn)          # (A^T A) y_t - c = R^T step
        if tol is not None and hist[-1] <= tol:
            converged = True
            break
        if t == limit:
            break
        w = w - step
        t += 1
        if record:
            ws.append(w.copy())
    return SolveResult(_rsolve(R, w), t, converged or iters is not None, hist, "gram_rel_residual", ws)


def gram_cg(A, c, R, tol=1e-12, maxiter=None, record=False):
    """Preconditioned CG for (A^T A) y = c with preconditioner (R^T R)^{-1}; stops when
    ||(A^T A) y - c|| <= tol ||c||. ``residuals``: that relative residual per iteration."""
    where = _HERE + ".gram_cg"
    A = _A(where, A)
    d = A.shape[1]
    c = _vec(where, "c", c, d)
    R = np.asarray(R, dtype=np.float64)
    maxiter = 10 * d + 100 if maxiter is None else int(maxiter)
    cn = float(np.linalg.norm(c))
    y = np.zeros(d)
    if cn == 0:
        return SolveResult(y, 0, True, [0.0], "gram_rel_residual")
    r = c.copy()
    zv = _rsolve(R, _rtsolve(R, r))
    p = zv.copy()
    rz = float(r @ zv)
    hist, its = [1.0], ([] if record else None)
    k, converged = 0, False
    while k < maxiter:
        k += 1
        q = _rmv(A, _mv(A, p))
        a = rz / float(p @ q)
        y += a * p
        r -= a * q
        rel = float(np.linalg.norm(r)) / cn
        hist.append(rel)
        if record:
            its.append(y.copy())
        if rel <= tol:
            converged = True
            break
        zv = _rsolve(R, _rtsolve(R, r))
        rzn = float(r @ zv)
        p = zv + (rzn / rz) * p
        rz = rzn
    return SolveResult(y, k, converged, hist, "gram_rel_residual", its)


def gram_power_apply(A, v, j):
    """(A^T A)^j v by 2j matrix-vector products (eq. (12)); (A^T A)^j is never formed."""
    where = _HERE + ".gram_power_apply"
    A = _A(where, A)
    v = _vec(where, "v", v, A.shape[1])
    for _ in range(int(j)):
        v = _rmv(A, _mv(A, v))
    return v


def p2_apply(A, x, j):
    """A (A^T A)^j x, matrix-free."""
    A = _A(_HERE + ".p2_apply", A)
    return _mv(A, gram_power_apply(A, x, j))


def stage_tolerance(eps, j, kappa):
    """Largest eps_s (bisection, 60 steps) with eps_s * sum_{k<j} ((1 + eps_s) kappa^2)^k <= eps (eq. (14))."""
    def total(es):
        return es * sum(((1 + es) * kappa**2) ** k for k in range(j))
    lo, hi = 0.0, float(eps)
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if total(mid) <= eps:
            lo = mid
        else:
            hi = mid
    return lo


def _draw_R(A, rng, sketch, m):
    n, d = A.shape
    m = _default_m(sketch, d, n) if m is None else int(m)
    probs = ks.leverage_probs(ks.leverage_scores(A)) if sketch == "leverage" else None
    sk = ks.draw_sketch(sketch, m, n, rng, s=min(8, m) if sketch == "osnap" else None, probs=probs)
    return preconditioner(A, sk), sk


def solve_p1(A, b, j, eps=1e-8, rng=0, sketch="gaussian", m=None, method="cg", kappa=None, maxiter=2000):
    """P1: min ||(A^T A)^j x - b|| by nested Gram solves (eq. (13)), each to the per-stage tolerance of
    eq. (14) (kappa = kappa(A), estimated by cond(R) when None). method: 'cg' (gram_cg) or 'richardson'
    (gram_richardson). ``residuals``: relative residual ||(A^T A)^k y_k ... ||, one entry per stage, and the
    final relative residual ||(A^T A)^j x - b|| / ||b|| in ``info['final_rel_residual']``."""
    where = _HERE + ".solve_p1"
    A = _A(where, A)
    d = A.shape[1]
    b = _vec(where, "b", b, d)
    j = int(j)
    if j < 1:
        raise invalid(where, "j", j, "pass an integer j >= 1")
    R, sk = _draw_R(A, rng, sketch, m)
    kap = float(np.linalg.cond(R)) if kappa is None else float(kappa)
    es = stage_tolerance(eps, j, kap)
    y = b
    stages, iters = [], []
    for _ in range(j):
        if method == "cg":
            r = gram_cg(A, y, R, tol=es, maxiter=maxiter)
        elif method == "richardson":
            r = gram_richardson(A, y, R, tol=es, maxiter=maxiter, record=False)
        else:
            raise invalid(where, "method", method, "pass 'cg' or 'richardson'")
        stages.append(r.residuals[-1])
        iters.append(r.iterations)
        y = r.x
    bn = float(np.linalg.norm(b))
    final = float(np.linalg.norm(gram_power_apply(A, y, j) - b)) / bn if bn > 0 else 0.0
    return SolveResult(y, sum(iters), final <= eps, stages, "stage_rel_residual", None,
                       dict(stage_iterations=iters, eps_stage=es, kappa_used=kap, final_rel_residual=final,
                            sketch=sketch, m=sk.m))


def solve_p2(A, b, j, eps=1e-8, rng=0, sketch="gaussian", m=None, method="cg", kappa=None, maxiter=2000):
    """P2: min ||A (A^T A)^j x - b|| = LSQR for y* = A^+ b (one sketch, eq. (10)), then P1 with right-hand side y*
    (eq. (4)). ``info``: residual ||A (A^T A)^j x - b||, the LS iterations, the P1 stage data."""
    where = _HERE + ".solve_p2"
    A = _A(where, A)
    n, d = A.shape
    b = _vec(where, "b", b, n)
    R, sk = _draw_R(A, rng, sketch, m)
    ls = lsqr(A, b, R, tol=min(eps, 1e-6) * 0.1, maxiter=maxiter)
    kap = float(np.linalg.cond(R)) if kappa is None else float(kappa)
    es = stage_tolerance(eps, int(j), kap)
    y = ls.x
    iters = []
    for _ in range(int(j)):
        r = gram_cg(A, y, R, tol=es, maxiter=maxiter) if method == "cg" else \
            gram_richardson(A, y, R, tol=es, maxiter=maxiter, record=False)
        iters.append(r.iterations)
        y = r.x
    res = float(np.linalg.norm(p2_apply(A, y, j) - b))
    return SolveResult(y, ls.iterations + sum(iters), True, ls.residuals, "ls_fitted_rel_est", None,
                       dict(residual=res, ls_iterations=ls.iterations, stage_iterations=iters, eps_stage=es,
                            kappa_used=kap, sketch=sketch, m=sk.m))


# ----------------------------------------------------------------------------------------------------------
# P3: attention kernel regression
# ----------------------------------------------------------------------------------------------------------


def _rho_q(A, q):
    """rho_q = ||A A^T|| (e^beta - sum_{l<=q} beta^l / l!) / beta (eq. (19)); tail summed directly (no cancellation)."""
    beta = float(np.max(np.einsum("ij,ij->i", A, A)))
    if beta == 0:
        return 0.0
    normM = float(np.linalg.norm(A, 2)) ** 2
    term = beta ** (q + 1) / math.factorial(q + 1)
    tail, l = 0.0, q + 1
    while term > 1e-18 * max(tail, 1e-300) or l < q + 3:
        tail += term
        l += 1
        term *= beta / l
        if l > q + 2000:
            break
    return normM * tail / beta


def default_q(A, lam=0.0, eps0=0.5, qmax=60):
    """Smallest q with rho_q <= eps0 * lambda_min(K + lam I) / 2 (the catalogue default of eq. (24));
    lambda_min by a dense eigensolver (this default is a reference choice, O(n^3))."""
    A = _A(_HERE + ".default_q", A)
    lmin = float(np.linalg.eigvalsh(ks.attention_kernel(A))[0]) + lam
    for q in range(qmax + 1):
        if _rho_q(A, q) <= eps0 * max(lmin, 0.0) / 2:
            return q
    return qmax


def p3_preconditioner(A, q, m=None, lam=0.0, rng=0, eps0=0.5, delta=0.1, C_Z=1.0):
    """Eq. (24): Phi_q = merged Taylor features (C(d+q, q) columns), Z = Phi_q S^T with S (m x D_q) i.i.d.
    N(0, 1/m), K~ = Z Z^T + lam I. m defaults to ceil(C_Z C(d+q, q) ln(n/delta) / eps0^2); when m >= D_q the
    sketch is skipped (Z = Phi_q, K~ = T_q + lam I exactly). Returns (Ktilde, info)."""
    where = _HERE + ".p3_preconditioner"
    A = _A(where, A)
    if sp.issparse(A):
        A = A.toarray()
    n, d = A.shape
    Dq = math.comb(d + int(q), int(q))
    if m is None:
        m = math.ceil(C_Z * Dq * math.log(max(n, 2) / delta) / eps0**2)
    Phi = ks.merged_features(A, int(q))
    if m >= Dq:
        Z, sketched = Phi, False
    else:
        S = ks.as_rng(rng).standard_normal((int(m), Dq)) / math.sqrt(m)
        Z, sketched = Phi @ S.T, True
    Kt = Z @ Z.T
    Kt[np.diag_indices(n)] += lam
    return Kt, dict(q=int(q), m=int(m), D_q=Dq, sketched=sketched)


def solve_p3(A, b, eps=1e-8, lam=0.0, q=None, m=None, rng=0, method="pcg", eps0=0.5, delta=0.1,
             maxiter=None, record=False, x_ref=None):
    """P3: min ||(exp(AA^T) + lam I) x - b|| by PCG (or Richardson, eq. (20)) preconditioned with K~ of eq. (24)
    (Cholesky of K~; unpreconditioned CG when K~ is not numerically positive definite, noted in info).
    Stops at ||K x - b|| <= eps ||b||. ``residuals``: relative residuals per iteration; ``info['K_err']``: the
    K-norm errors ||x_t - x_ref||_K / ||x_ref||_K when x_ref is given."""
    where = _HERE + ".solve_p3"
    A = _A(where, A)
    if sp.issparse(A):
        A = A.toarray()
    n, d = A.shape
    b = _vec(where, "b", b, n)
    if float(np.max(np.einsum("ij,ij->i", A, A))) > 700:
        raise invalid(where, "A", "max ||a_i||^2 > 700", "exp(AA^T) overflows float64; use exact_reference_mp")
    K = ks.attention_kernel(A)
    K[np.diag_indices(n)] += lam
    q = default_q(A, lam, eps0) if q is None else int(q)
    Kt, pinfo = p3_preconditioner(A, q, m=m, lam=lam, rng=rng, eps0=eps0, delta=delta)
    try:
        cf = sla.cho_factor(Kt, lower=True, check_finite=False)
        if not np.all(np.isfinite(cf[0])):
            raise np.linalg.LinAlgError
        prec = lambda r: sla.cho_solve(cf, r, check_finite=False)  # noqa: E731
        pinfo["preconditioned"] = True
    except (np.linalg.LinAlgError, ValueError):
        prec = lambda r: r  # noqa: E731
        pinfo["preconditioned"] = False
    maxiter = 10 * n + 100 if maxiter is None else int(maxiter)
    bn = float(np.linalg.norm(b))
    x = np.zeros(n)
    r = b.copy()
    hist, its, kerr = [1.0 if bn > 0 else 0.0], ([x.copy()] if record else None), []

    def kerr_of(xv):
        if x_ref is not None:
            e = xv - x_ref
            return math.sqrt(max(float(e @ K @ e), 0.0) / max(float(x_ref @ K @ x_ref), 1e-300))
        return None

    kerr.append(kerr_of(x))
    converged = bn == 0
    k = 0
    best, best_k, best_x = math.inf, 0, x
    if method == "pcg":
        zv = prec(r)
        p = zv.copy()
        rz = float(r @ zv)
        while not converged and k < maxiter:
            k += 1
            Kp = K @ p
            pKp = float(p @ Kp)
            if pKp <= 0:
                break
            a = rz / pKp
            x = x + a * p
            r = r - a * Kp
            rel = float(np.linalg.norm(b - K @ x)) / bn      # true residual, recorded
            hist.append(rel)
            if rel < best:
                best, best_k, best_x = rel, k, x.copy()
            elif k - best_k > 50:             # stagnation at the float64 floor
                break
            kerr.append(kerr_of(x))
            if record:
                its.append(x.copy())
            if rel <= eps:
                converged = True
                break
            zv = prec(r)
            rzn = float(r @ zv)
            p = zv + (rzn / rz) * p
            rz = rzn
    elif method == "richardson":
        while not converged and k < maxiter:
            k += 1
            x = x + prec(r)
            r = b - K @ x
            rel = float(np.linalg.norm(r)) / bn
            hist.append(rel)
            kerr.append(kerr_of(x))
            if record:
                its.append(x.copy())
            if rel <= eps:
                converged = True
            elif not np.isfinite(rel) or rel > 1e30:
                break
        x = best_x if best < math.inf else x
    else:
        raise invalid(where, "method", method, "pass 'pcg' or 'richardson'")
    final = float(np.linalg.norm(K @ x - b)) / bn if bn > 0 else 0.0
    pinfo.update(final_rel_residual=final, K_err=kerr if x_ref is not None else None)
    return SolveResult(x, k, final <= eps, hist, "rel_residual", its, pinfo)


# ----------------------------------------------------------------------------------------------------------
# exact reference solvers (song2023.exact_reference)
# ----------------------------------------------------------------------------------------------------------


def _pinv_power_apply(M, v, j, rtol):
    lam, V = np.linalg.eigh(M)
    cut = rtol * max(float(np.max(np.abs(lam))), np.finfo(float).tiny)
    inv = np.zeros_like(lam)
    keep = lam > cut
    inv[keep] = lam[keep] ** (-float(j))
    return V @ (inv * (V.T @ v))


def exact_reference(problem, A, b, j=1, lam=0.0, rtol=None):
    """EXACT BASELINE of section 8 in float64: P1 x = V Lam^{-j} V^T b (eigh of A^T A; pseudo-inverse);
    P2 y* = A^+ b by thin QR (SVD when rank-deficient), then x = V Lam^{-j} V^T y*;
    P3 x = (K + lam I)^{-1} b by Cholesky, or K^+ b by eigh when K is not numerically positive definite."""
    where = _HERE + ".exact_reference"
    A = _A(where, A)
    if sp.issparse(A):
        A = A.toarray()
    n, d = A.shape
    rtol = (max(n, d) * np.finfo(float).eps) if rtol is None else float(rtol)
    if problem == "P1":
        b = _vec(where, "b", b, d)
        return _pinv_power_apply(A.T @ A, b, j, rtol**1)
    if problem == "P2":
        b = _vec(where, "b", b, n)
        Q, R = np.linalg.qr(A)
        dg = np.abs(np.diag(R))
        if dg.min() > rtol * dg.max() * 10:
            y = sla.solve_triangular(R, Q.T @ b)
        else:
            y = np.linalg.lstsq(A, b, rcond=rtol)[0]
        return _pinv_power_apply(A.T @ A, y, j, rtol)
    if problem == "P3":
        b = _vec(where, "b", b, n)
        K = ks.attention_kernel(A)
        K[np.diag_indices(n)] += lam
        try:
            cf = sla.cho_factor(K, lower=True)
            x = sla.cho_solve(cf, b)
            if np.all(np.isfinite(x)):
                return x
        except (np.linalg.LinAlgError, ValueError):
            pass
        return _pinv_power_apply(K, b, 1, rtol)
    raise invalid(where, "problem", problem, "pass 'P1', 'P2' or 'P3'")


def exact_reference_mp(mpm, problem, A, b, j=1, lam=0.0, rtol=None):
    """The same oracle in mpmath (object arrays of mpf in and out): eigsy-based pseudo-inverse powers for P1/P2
    (P2 through the normal equations at the context's precision), Cholesky (eigsy pseudo-inverse fallback) of
    exp(AA^T) + lam I for P3. Set mpm.dps per the precision notes (>= 2 j log10 kappa(A) + 20 for P1/P2)."""
    from certify.reference import sketch as rs
    from certify.reference._mparray import from_matrix, to_matrix, to_mp

    where = _HERE + ".exact_reference_mp"
    A = to_mp(mpm, np.asarray(A.toarray() if sp.issparse(A) else A))
    b = to_mp(mpm, np.asarray(b))
    cut = mpm.mpf(10) ** (-(mpm.dps // 2)) if rtol is None else mpm.mpf(rtol)

    def pinv_pow(M, v, p):
        E, Q = mpm.eigsy(to_matrix(mpm, M))
        Qn = from_matrix(Q)
        lam_ = [E[i] for i in range(M.shape[0])]
        top = max(abs(t) for t in lam_)
        coef = Qn.T @ v
        for i, t in enumerate(lam_):
            coef[i] = coef[i] / t**p if t > cut * top else mpm.mpf(0)
        return Qn @ coef

    if problem == "P1":
        return pinv_pow(A.T @ A, b, int(j))
    if problem == "P2":
        G = A.T @ A
        y = pinv_pow(G, A.T @ b, 1)
        return pinv_pow(G, y, int(j))
    if problem == "P3":
        K = rs.attention_kernel(mpm, A)
        for i in range(K.shape[0]):
            K[i, i] += mpm.mpf(lam)
        try:
            x = mpm.cholesky_solve(to_matrix(mpm, K), to_matrix(mpm, b))
            return from_matrix(x, (K.shape[0],))
        except (ZeroDivisionError, ValueError):
            return pinv_pow(K, b, 1)
    raise invalid(where, "problem", problem, "pass 'P1', 'P2' or 'P3'")

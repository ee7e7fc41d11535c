"""mpmath twin of `certify.kernels.sampled_regression` (same names and arguments, `mpm` first).

Independent routes:

* Kronecker quantities by the definition: A1 (x) A2 rows are built entry by entry (a1_i (x) a2_j), the Gram is
  the product of the formed matrix with itself; leverage scores of the formed product by
  a_r^T (A^T A)^+ a_r (mpmath eigendecomposition), not by the product formula.
* The sampled Gram by summing w_s^2 (a_i (x) a'_j)(a_i (x) a'_j)^T term by term.
* Sandwich error by generalised eigenvalues of (A^T D^2 A, A^T A) on the range of A^T A (eigendecomposition of
  the formed Gram; the kernel uses Kronecker-factored inverse square roots).
* Ridge leverage scores by solving (A^T A + lam I) y = a_i (the kernel uses the SVD formula).
* Least squares (sampled, ridge, multiple, sketched, tensor-sketched) by the pseudo-inverse from an mpmath SVD of
  the formed system (the kernel uses LAPACK lstsq and, for tensors, factor-wise sketches).

The random draws (``kron_sample``, ``sample_rows``, ``perturb_scores``) are shared with the kernel.
"""

from __future__ import annotations

import numpy as np

from certify.errors import invalid
from certify.kernels import sampled_regression as _k
from certify.reference import sketch as _rs
from certify.reference._mparray import from_matrix, mp_zeros, to_float, to_matrix, to_mp

__all__ = list(_k.__all__)
_HERE = "reference.sampled_regression"


def _mp(mpm, A, where, name="A"):
    A = np.asarray(A)
    if A.ndim not in (1, 2) or A.size == 0:
        raise invalid(where, name, f"shape {A.shape}", "pass a non-empty 1-D or 2-D array")
    return to_mp(mpm, A)


def _cut(mpm, top, rtol=None):
    """Cut on Gram eigenvalues (top = the largest). A given `rtol` is relative to singular values, as in the
    float64 kernels (sigma_i > rtol sigma_1, i.e. lambda_i > rtol^2 lambda_1), so both twins keep the same rank."""
    return (mpm.mpf(10) ** (-(2 * mpm.dps // 3)) if rtol is None else mpm.mpf(rtol) ** 2) * top


def _kron_matrix(mpm, A1, A2):
    n1, d1 = A1.shape
    n2, d2 = A2.shape
    K = mp_zeros(mpm, (n1 * n2, d1 * d2))
    for i in range(n1):
        for j in range(n2):
            for a in range(d1):
                for b in range(d2):
                    K[i * n2 + j, a * d2 + b] = A1[i, a] * A2[j, b]
    return K


def _eig_range(mpm, G, rtol=None):
    E, Q = mpm.eigsy(to_matrix(mpm, (G + G.T) / 2))
    lam = [E[i] for i in range(G.shape[0])]
    top = max(abs(v) for v in lam) if lam else mpm.mpf(0)
    Qn = from_matrix(Q)
    keep = [i for i in range(len(lam)) if lam[i] > _cut(mpm, top, rtol)]
    return [lam[i] for i in keep], Qn[:, keep]


def _pinv_psd(mpm, G, rtol=None):
    lam, V = _eig_range(mpm, G, rtol)
    return (V / np.array(lam, dtype=object)) @ V.T if lam else mp_zeros(mpm, G.shape)


def kron_gram(mpm, A1, A2):
    K = _kron_matrix(mpm, _mp(mpm, A1, _HERE + ".kron_gram", "A1"), _mp(mpm, A2, _HERE + ".kron_gram", "A2"))
    return K.T @ K


def kron_leverage_scores(mpm, A1, A2, rtol=None):
    K = _kron_matrix(mpm, _mp(mpm, A1, _HERE + ".kron_leverage_scores", "A1"),
                     _mp(mpm, A2, _HERE + ".kron_leverage_scores", "A2"))
    P = _pinv_psd(mpm, K.T @ K, rtol)
    return np.array([K[r] @ P @ K[r] for r in range(K.shape[0])], dtype=object)


def kron_sample(mpm, A1, A2, m, rng, probs=None):
    if probs is not None:
        probs = tuple(np.asarray(to_float(np.asarray(v, dtype=object)), dtype=float) for v in probs)
    return _k.kron_sample(np.asarray(to_float(np.asarray(A1, dtype=object))),
                          np.asarray(to_float(np.asarray(A2, dtype=object))), m, rng, probs=probs)


def kron_sampled_gram(mpm, A1, A2, i, j, w):
    A1 = _mp(mpm, A1, _HERE + ".kron_sampled_gram", "A1")
    A2 = _mp(mpm, A2, _HERE + ".kron_sampled_gram", "A2")
    w = _mp(mpm, w, _HERE + ".kron_sampled_gram", "w")
    D = A1.shape[1] * A2.shape[1]
    G = mp_zeros(mpm, (D, D))
    for s in range(len(w)):
        r = np.array([A1[int(i[s]), a] * A2[int(j[s]), b] for a in range(A1.shape[1]) for b in range(A2.shape[1])],
                     dtype=object)
        G = G + (w[s] * w[s]) * np.outer(r, r)
    return G


def kron_sandwich_error(mpm, A1, A2, i, j, w, rtol=None):
    G = kron_gram(mpm, A1, A2)
    lam, V = _eig_range(mpm, G)          # the context's own cut (a float64 rtol would drop kappa^2 > 1/rtol)
    if not lam:
        return mpm.mpf(0)
    P = V / np.array([mpm.sqrt(v) for v in lam], dtype=object)
    M = P.T @ kron_sampled_gram(mpm, A1, A2, i, j, w) @ P
    E = mpm.eigsy(to_matrix(mpm, (M + M.T) / 2), eigvals_only=True)
    return max(abs(E[k] - 1) for k in range(len(lam)))


def ridge_leverage_scores(mpm, A, lam):
    A = _mp(mpm, A, _HERE + ".ridge_leverage_scores")
    lam = mpm.mpf(lam)
    d = A.shape[1]
    if lam == 0:
        return _rs.leverage_scores(mpm, A)
    G = to_matrix(mpm, A.T @ A + lam * np.array([[mpm.mpf(int(a == b)) for b in range(d)] for a in range(d)],
                                                   dtype=object))
    out = []
    for r in range(A.shape[0]):
        y = mpm.lu_solve(G, to_matrix(mpm, A[r]))
        out.append(mpm.fsum(A[r, k] * y[k] for k in range(d)))
    return np.array(out, dtype=object)


def perturb_scores(mpm, tau, beta, rng):
    g = _k.KS.as_rng(rng)
    t = _mp(mpm, tau, _HERE + ".perturb_scores", "tau")
    tf = to_float(t)
    u = beta + (1.0 - beta) * g.random(t.size)
    u[int(np.argmax(tf))] = beta
    return np.array([t[k] * mpm.mpf(float(u[k])) for k in range(t.size)], dtype=object)


def sample_rows(mpm, scores, m, rng):
    s = _mp(mpm, scores, _HERE + ".sample_rows", "scores")
    rows, _ = _k.sample_rows(np.asarray(to_float(s), dtype=float), m, rng)
    tot = mpm.fsum(s)
    w = np.array([1 / mpm.sqrt(m * s[r] / tot) for r in rows], dtype=object)
    return rows, w


def _pinv_solve(mpm, M, B):
    """Min-norm least squares M^+ B by an mpmath SVD of M."""
    U, S, V = mpm.svd_r(to_matrix(mpm, M), full_matrices=False)
    k = min(M.shape)
    sv = [S[i] for i in range(k)]
    cut = _cut(mpm, sv[0] if sv else mpm.mpf(0))
    Un, Vn = from_matrix(U), from_matrix(V)
    P = mp_zeros(mpm, (M.shape[1], M.shape[0]))
    for i in range(k):
        if sv[i] > cut:
            P = P + np.outer(Vn[i], Un[:, i]) / sv[i]
    return P @ B


def sampled_solve(mpm, A, B, rows, weights, lam=0.0):
    A = _mp(mpm, A, _HERE + ".sampled_solve")
    B = _mp(mpm, B, _HERE + ".sampled_solve", "B")
    w = _mp(mpm, weights, _HERE + ".sampled_solve", "weights")
    SA = np.array([[w[s] * A[r, k] for k in range(A.shape[1])] for s, r in enumerate(rows)], dtype=object)
    SB = np.array([w[s] * B[r] for s, r in enumerate(rows)], dtype=object)
    if lam > 0:
        d = A.shape[1]
        sl = mpm.sqrt(mpm.mpf(lam))
        SA = np.vstack([SA, np.array([[sl if a == b else mpm.mpf(0) for b in range(d)] for a in range(d)],
                                     dtype=object)])
        SB = np.concatenate([SB, mp_zeros(mpm, (d,) + B.shape[1:])])
    return _pinv_solve(mpm, SA, SB)


def regression_cost(mpm, A, B, X, lam=0.0):
    A = _mp(mpm, A, _HERE + ".regression_cost")
    B = _mp(mpm, B, _HERE + ".regression_cost", "B")
    X = _mp(mpm, X, _HERE + ".regression_cost", "X")
    R = (A @ X - B).reshape(-1)
    return mpm.fsum(r * r for r in R) + mpm.mpf(lam) * mpm.fsum(x * x for x in X.reshape(-1))


def sketch_solve(mpm, sk, A, b):
    A = _mp(mpm, A, _HERE + ".sketch_solve")
    b = _mp(mpm, b, _HERE + ".sketch_solve", "b")
    S = _rs.sketch_matrix(mpm, sk)
    return _pinv_solve(mpm, S @ A, S @ b)


def tensor_sketch_solve(mpm, S1, S2, A1, A2, b):
    """Normal equations with the Kronecker Gram G = (A1^T S1^T S1 A1) (x) (A2^T S2^T S2 A2) and right-hand side
    vec(A1^T S1^T S1 B S2^T S2 A2), solved by the pseudo-inverse (the kernel runs lstsq on the formed sketched
    design); exact arithmetic makes the squared condition number harmless at dps >= 2 log10 kappa + 20."""
    where = _HERE + ".tensor_sketch_solve"
    S1, S2 = _mp(mpm, S1, where, "S1"), _mp(mpm, S2, where, "S2")
    A1, A2 = _mp(mpm, A1, where, "A1"), _mp(mpm, A2, where, "A2")
    b = _mp(mpm, b, where, "b")
    n1, n2 = A1.shape[0], A2.shape[0]
    if b.size != n1 * n2:
        raise invalid(where, "b", f"length {b.size}", f"pass b of length n1 n2 = {n1 * n2}")
    T1, T2 = S1 @ A1, S2 @ A2
    G = _kron_matrix(mpm, T1.T @ T1, T2.T @ T2)
    c = (A1.T @ (S1.T @ (S1 @ b.reshape(n1, n2) @ S2.T) @ S2) @ A2).reshape(-1)
    return _pinv_psd(mpm, G) @ c


def oce_error(mpm, sk, g, h):
    g = _mp(mpm, g, _HERE + ".oce_error", "g")
    h = _mp(mpm, h, _HERE + ".oce_error", "h")
    S = _rs.sketch_matrix(mpm, sk)
    StS = S.T @ S
    return abs(g @ StS @ h - mpm.fsum(g[k] * h[k] for k in range(g.size)))

"""Row sampling for regression, Kronecker-structured leverage scores, and sketch-and-solve (float64).

Kernels for claims/related.md sections 4 (gao2024), 9 (song2023q) and 12 (song2023i):

* Kronecker products A1 (x) A2 (n1 n2 x d1 d2, row-major vec: row (i, j) at index i n2 + j is a1_i (x) a2_j) are
  never formed: ``kron_gram`` returns (A1^T A1) (x) (A2^T A2), ``kron_leverage_scores`` the outer product of the
  factor leverage scores, ``kron_sample`` draws product samples (i ~ p, j ~ q independently) with weights
  1/sqrt(m p_i q_j), ``kron_sampled_gram`` forms sum_s w_s^2 (a_i a_i^T) (x) (a'_j a'_j^T) from the m sampled rows
  only.
* Leverage and ridge-leverage scores (thin SVD; the ridge form tau_i^lam = sum_k U_ik^2 s_k^2 / (s_k^2 + lam)),
  beta-approximate scores (``perturb_scores``: every score scaled by a factor in [beta, 1]), weighted sampled
  least squares, ridge and multiple regression (``sampled_solve``).
* ``sketch_solve``: x' = argmin ||S A x - S b|| for a `certify.kernels.sketch.Sketch`; ``tensor_sketch_solve`` the
  same for the design A1 (x) A2 with the tensor-structured dense sketch S1 (x) S2, applied factor-wise:
  (S1 (x) S2)(A1 (x) A2) = (S1 A1) (x) (S2 A2) and (S1 (x) S2) vec(B) = vec(S1 B S2^T).
* ``oce_error``: |g^T S^T S h - g^T h| for one drawn sketch (eq. (34)).

Random draws (``kron_sample``, ``sample_rows``, ``perturb_scores``) are shared with the mpmath twin: they are the
input of both computations.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from certify.errors import invalid
from certify.kernels import sketch as KS

__all__ = [
    "kron_gram",
    "kron_leverage_scores",
    "kron_sample",
    "kron_sampled_gram",
    "kron_sandwich_error",
    "ridge_leverage_scores",
    "perturb_scores",
    "sample_rows",
    "sampled_solve",
    "regression_cost",
    "sketch_solve",
    "tensor_sketch_solve",
    "oce_error",
]

_HERE = "kernels.sampled_regression"


def _mat(where, name, A, ndim=(2,)):
    try:
        A = np.asarray(A, dtype=np.float64)
    except (TypeError, ValueError):
        raise invalid(where, name, type(A).__name__, "pass a real float64 array") from None
    if A.ndim not in ndim or A.size == 0:
        raise invalid(where, name, f"shape {A.shape}", f"pass a non-empty array with ndim in {ndim}")
    if not np.all(np.isfinite(A)):
        raise invalid(where, name, "non-finite entries", "pass finite values only")
    return A


def _svd(A, rtol=None):
    U, s, Vt = np.linalg.svd(A, full_matrices=False)
    rtol = max(A.shape) * np.finfo(float).eps if rtol is None else rtol
    r = int(np.sum(s > rtol * s[0])) if s.size and s[0] > 0 else 0
    return U[:, :r], s[:r], Vt[:r]


# ---------------------------------------------------------------------------------------------- Kronecker


def kron_gram(A1, A2):
    """(A1 (x) A2)^T (A1 (x) A2) computed as (A1^T A1) (x) (A2^T A2)."""
    A1 = _mat(_HERE + ".kron_gram", "A1", A1)
    A2 = _mat(_HERE + ".kron_gram", "A2", A2)
    return np.kron(A1.T @ A1, A2.T @ A2)


def kron_leverage_scores(A1, A2, rtol=None):
    """Leverage scores of the rows of A1 (x) A2 (row-major order, length n1 n2) as sigma_i(A1) sigma_j(A2)."""
    A1 = _mat(_HERE + ".kron_leverage_scores", "A1", A1)
    A2 = _mat(_HERE + ".kron_leverage_scores", "A2", A2)
    t1 = KS.leverage_scores(A1, rtol)
    t2 = KS.leverage_scores(A2, rtol)
    return np.outer(t1, t2).reshape(-1)


def kron_sample(A1, A2, m, rng, probs=None):
    """m product samples: i ~ p = sigma(A1)/rank(A1), j ~ q = sigma(A2)/rank(A2) independently (``probs`` =
    (p, q) overrides, e.g. uniform), weights w_s = 1/sqrt(m p_i q_j). Returns (i, j, w)."""
    where = _HERE + ".kron_sample"
    A1 = _mat(where, "A1", A1)
    A2 = _mat(where, "A2", A2)
    if isinstance(m, bool) or not isinstance(m, (int, np.integer)) or m < 1:
        raise invalid(where, "m", m, "pass an integer >= 1")
    g = KS.as_rng(rng, where)
    if probs is None:
        p = KS.leverage_probs(KS.leverage_scores(A1))
        q = KS.leverage_probs(KS.leverage_scores(A2))
    else:
        p, q = (np.asarray(v, dtype=float) / np.sum(v) for v in probs)
    i = g.choice(A1.shape[0], size=int(m), p=p)
    j = g.choice(A2.shape[0], size=int(m), p=q)
    w = 1.0 / np.sqrt(m * p[i] * q[j])
    return i.astype(np.int64), j.astype(np.int64), w


@numba.njit(cache=True)
def _kron_rows(A1, A2, i, j, w):
    m = i.size
    d1, d2 = A1.shape[1], A2.shape[1]
    out = np.empty((m, d1 * d2))
    for s in range(m):
        for a in range(d1):
            x = w[s] * A1[i[s], a]
            for b in range(d2):
                out[s, a * d2 + b] = x * A2[j[s], b]
    return out


def kron_sampled_gram(A1, A2, i, j, w):
    """(A1 (x) A2)^T D^2 (A1 (x) A2) for the sampled rows (i_s, j_s) with weights w_s: only m rows are formed."""
    where = _HERE + ".kron_sampled_gram"
    A1 = _mat(where, "A1", A1)
    A2 = _mat(where, "A2", A2)
    i = np.ascontiguousarray(i, dtype=np.int64)
    j = np.ascontiguousarray(j, dtype=np.int64)
    w = _mat(where, "w", w, ndim=(1,))
    if not (i.shape == j.shape == w.shape):
        raise invalid(where, "i/j/w", f"shapes {i.shape}, {j.shape}, {w.shape}", "pass three arrays of length m")
    B = _kron_rows(np.ascontiguousarray(A1), np.ascontiguousarray(A2), i, j, w)
    return B.T @ B


def _range_basis(A, rtol):
    """Left singular vectors U = A V diag(1/s) on the numerical range of A (thin SVD)."""
    U, _, _ = _svd(A, rtol)
    return np.ascontiguousarray(U)


def kron_sandwich_error(A1, A2, i, j, w, rtol=None):
    """max |eig(P^T (A^T D^2 A) P) - 1| over the range of A^T A, P = P1 (x) P2 with P_k = V_k diag(1/s_k) (a
    Kronecker-factored inverse square root of A^T A). Computed stably as the Gram of the sampled, reweighted rows
    of U1 (x) U2 (A_k P_k = U_k, the left singular vectors): the rows are transformed before the sum, so the
    rounding of the sampled Gram is not amplified by ||P||^2 = kappa^2. The sandwich (1 -+ eps) holds iff the
    value is <= eps."""
    where = _HERE + ".kron_sandwich_error"
    A1 = _mat(where, "A1", A1)
    A2 = _mat(where, "A2", A2)
    U1, U2 = _range_basis(A1, rtol), _range_basis(A2, rtol)
    if U1.shape[1] == 0 or U2.shape[1] == 0:
        return 0.0
    M = kron_sampled_gram(U1, U2, i, j, w)
    return float(np.max(np.abs(np.linalg.eigvalsh((M + M.T) / 2) - 1.0)))


# ---------------------------------------------------------------------------------------------- sampling


def ridge_leverage_scores(A, lam):
    """tau_i^lam = a_i^T (A^T A + lam I)^{-1} a_i from the thin SVD (lam = 0: the ordinary leverage scores)."""
    where = _HERE + ".ridge_leverage_scores"
    A = _mat(where, "A", A)
    if not (lam >= 0 and math.isfinite(lam)):
        raise invalid(where, "lam", lam, "pass a finite lam >= 0")
    U, s, _ = _svd(A)
    return (U**2) @ (s**2 / (s**2 + lam))


def perturb_scores(tau, beta, rng):
    """beta-approximate scores: tau_i * u_i with u_i uniform in [beta, 1] (so tau~ >= beta tau), u_i = beta at
    the largest score (the worst case for its row)."""
    where = _HERE + ".perturb_scores"
    t = _mat(where, "tau", tau, ndim=(1,))
    if not (0 < beta <= 1):
        raise invalid(where, "beta", beta, "pass 0 < beta <= 1")
    g = KS.as_rng(rng, where)
    u = beta + (1.0 - beta) * g.random(t.size)
    u[int(np.argmax(t))] = beta
    return t * u


def sample_rows(scores, m, rng):
    """m i.i.d. row draws with p_i = scores_i / sum(scores); returns (rows, weights 1/sqrt(m p_row))."""
    where = _HERE + ".sample_rows"
    t = _mat(where, "scores", scores, ndim=(1,))
    if np.any(t < 0) or t.sum() <= 0:
        raise invalid(where, "scores", f"min {t.min():.3g}, sum {t.sum():.3g}", "pass non-negative scores, sum > 0")
    if isinstance(m, bool) or not isinstance(m, (int, np.integer)) or m < 1:
        raise invalid(where, "m", m, "pass an integer >= 1")
    p = t / t.sum()
    g = KS.as_rng(rng, where)
    rows = g.choice(t.size, size=int(m), p=p).astype(np.int64)
    return rows, 1.0 / np.sqrt(m * p[rows])


def sampled_solve(A, B, rows, weights, lam=0.0):
    """argmin_X ||W (A X - B)_rows||_F^2 + lam ||X||_F^2 (B a vector or an n x N matrix) by least squares on
    the stacked [W A_rows; sqrt(lam) I]; minimum-norm solution when rank-deficient."""
    where = _HERE + ".sampled_solve"
    A = _mat(where, "A", A)
    B = _mat(where, "B", B, ndim=(1, 2))
    rows = np.asarray(rows, dtype=np.int64)
    w = _mat(where, "weights", weights, ndim=(1,))
    SA = A[rows] * w[:, None]
    SB = B[rows] * (w if B.ndim == 1 else w[:, None])
    if lam > 0:
        d = A.shape[1]
        SA = np.vstack([SA, math.sqrt(lam) * np.eye(d)])
        SB = np.concatenate([SB, np.zeros((d,) + B.shape[1:])])
    return np.linalg.lstsq(SA, SB, rcond=None)[0]


def regression_cost(A, B, X, lam=0.0):
    """||A X - B||_F^2 + lam ||X||_F^2."""
    where = _HERE + ".regression_cost"
    A = _mat(where, "A", A)
    B = _mat(where, "B", B, ndim=(1, 2))
    X = _mat(where, "X", X, ndim=(1, 2))
    R = A @ X - B
    return float(np.sum(R * R) + lam * np.sum(X * X))


# ---------------------------------------------------------------------------------------------- sketch-and-solve


def sketch_solve(sk, A, b):
    """x' = argmin_x ||S A x - S b||_2 for a drawn sketch (min-norm least squares on the sketched system)."""
    where = _HERE + ".sketch_solve"
    A = _mat(where, "A", A)
    b = _mat(where, "b", b, ndim=(1,))
    return np.linalg.lstsq(KS.apply_sketch(sk, A), KS.apply_sketch(sk, b), rcond=None)[0]


def tensor_sketch_solve(S1, S2, A1, A2, b):
    """x' = argmin ||(S1 (x) S2)(A1 (x) A2) x - (S1 (x) S2) b|| with S1 (m1 x n1), S2 (m2 x n2) dense matrices:
    (S1 A1) (x) (S2 A2) and vec(S1 B S2^T), B = b reshaped n1 x n2 (row-major); A1 (x) A2 is never formed."""
    where = _HERE + ".tensor_sketch_solve"
    S1, S2 = _mat(where, "S1", S1), _mat(where, "S2", S2)
    A1, A2 = _mat(where, "A1", A1), _mat(where, "A2", A2)
    b = _mat(where, "b", b, ndim=(1,))
    n1, n2 = A1.shape[0], A2.shape[0]
    if b.size != n1 * n2:
        raise invalid(where, "b", f"length {b.size}", f"pass b of length n1 n2 = {n1 * n2}")
    SA = np.kron(S1 @ A1, S2 @ A2)
    Sb = (S1 @ b.reshape(n1, n2) @ S2.T).reshape(-1)
    return np.linalg.lstsq(SA, Sb, rcond=None)[0]


def oce_error(sk, g, h):
    """|g^T S^T S h - g^T h| for one drawn sketch S."""
    where = _HERE + ".oce_error"
    g = _mat(where, "g", g, ndim=(1,))
    h = _mat(where, "h", h, ndim=(1,))
    Sg, Sh = KS.apply_sketch(sk, g), KS.apply_sketch(sk, h)
    return float(abs(Sg @ Sh - g @ h))

"""Attention-sparsification quantities in float64 (claims/sparsification.md, arXiv 2304.04397).

Definitions (sparsification.md eqs. (2)-(10)); ``lam`` below is the ``logit_scale`` (default 1):

* ``gram(Z) = lam * Z Z^T``; ``D(Z) = diag(exp(gram(Z)) 1_n)``; ``P(Z) = D(Z)^{-1} exp(gram(Z))``, i.e. the row
  softmax of the logits. Every row is evaluated with a log-sum-exp shift (``log_normalizer`` returns
  ``log D(Z)_ii``, which never overflows, ``normalizer`` returns ``D(Z)_ii`` and may overflow to inf).
* ``attention_diff(X, Y) = P(Y) - P(X)`` is evaluated WITHOUT subtracting two nearly equal matrices:
  with ``E = gram(Y) - gram(X)`` accumulated in one compensated (Dot2) sum per entry, so that E keeps its relative
  accuracy when the two Gram matrices nearly agree,
  ``P(Y)_ik / P(X)_ik = exp(E_ik - c_i)``, ``c_i = log(sum_l P(X)_il exp(E_il)) = log1p(sum_l P(X)_il expm1(E_il))``,
  so ``P(Y)_ik - P(X)_ik = P(X)_ik * expm1(E_ik - c_i)``: relative accuracy even when ``E`` is 1e-14.
* Both readings of the matrix infinity norm: ``norm='max'`` (max_ik |M_ik|) and ``norm='row'``
  (max_i sum_k |M_ik|, the l_inf -> l_inf operator norm).
* Column leverage scores ``tau_i = X_i^T (X X^T)^+ X_i`` from the thin SVD ``X = U S V^T`` (singular values below
  ``rtol * s_max`` dropped): ``tau_i = sum_j V_ij^2``.
* ``spectral_eps(X, Y)``: the smallest eps with ``(1 - eps) G <= Y Y^T <= (1 + eps) G`` (G = X X^T) on range(G):
  ``max |sigma_j(W)^2 - 1|`` for ``W = S^{-1} U^T Y``; ``inf`` when Y has a component outside range(G)
  (beyond ``sqrt(rtol) * ||Y||_2``), since then no finite eps satisfies the upper side of the sandwich.
* ``approx_leverage_scores``: step 1 of (9) with a CountSketch ``Omega`` given by a bucket map ``h`` and signs
  ``sgn``; the whitening is the symmetric ``(T T^T)^{+1/2}`` instead of a Cholesky factor ``L^{-1}``. The two differ
  by an orthogonal factor on the left, and the Gaussian ``Pi`` is rotation invariant, so the estimator has the same
  distribution; the symmetric root is unique, which makes the kernel and its mpmath twin agree number for number.

Dense linear algebra (SVD, eigh) goes through numpy/LAPACK in the wrappers; the loops are numba kernels.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from certify.errors import invalid
from certify.kernels._validate import float_array

__all__ = [
    "NORMS",
    "gram",
    "log_attention",
    "attention",
    "log_normalizer",
    "normalizer",
    "gram_diff",
    "log_attention_ratio",
    "attention_diff",
    "attention_error",
    "matrix_norm",
    "gram_norm",
    "logit_perturbation",
    "numerical_rank",
    "leverage_scores",
    "spectral_eps",
    "approx_leverage_scores",
    "exact_root",
    "sample_columns",
    "weighted_columns",
]

_HERE = "kernels.sparsification"
NORMS = ("max", "row")
DEFAULT_RTOL = 1e-10


# ----------------------------------------------------------------------------------------------------------
# validation
# ----------------------------------------------------------------------------------------------------------


# the shared validator of the float64 kernels (real, finite, C-contiguous float64; messages name the twin)
_arr = float_array


def _scale(where, logit_scale):
    try:
        s = float(logit_scale)
    except (TypeError, ValueError):
        raise invalid(where, "logit_scale", logit_scale, "pass a finite real number (1, 1/d or 1/sqrt(d))") from None
    if not math.isfinite(s):
        raise invalid(where, "logit_scale", logit_scale, "pass a finite real number (1, 1/d or 1/sqrt(d))")
    return s


def _norm_kind(where, norm):
    if norm not in NORMS:
        raise invalid(where, "norm", norm, "pass 'max' (entrywise max) or 'row' (max row sum)")
    return norm


def _rtol(where, rtol):
    if rtol is None:
        return DEFAULT_RTOL
    try:
        t = float(rtol)
    except (TypeError, ValueError):
        raise invalid(where, "rtol", rtol, "pass a float in [0, 1)") from None
    if not (0.0 <= t < 1.0):
        raise invalid(where, "rtol", rtol, "pass a float in [0, 1)")
    return t


def _same_rows(where, name, a, n):
    if a.shape[0] != n:
        raise invalid(where, name, f"shape {a.shape}", f"pass a matrix with n={n} rows (same as X)")


# ----------------------------------------------------------------------------------------------------------
# jitted kernels
# ----------------------------------------------------------------------------------------------------------


@numba.njit(cache=True)
def _gram(Z, lam):
    n, k = Z.shape
    G = np.empty((n, n))
    for i in range(n):
        for j in range(i, n):
            s = 0.0
            for t in range(k):
                s += Z[i, t] * Z[j, t]
            G[i, j] = lam * s
            G[j, i] = lam * s
    return G


@numba.njit(cache=True)
def _two_prod(a, b):
    p = a * b
    c = 134217729.0 * a
    ah = c - (c - a)
    al = a - ah
    c = 134217729.0 * b
    bh = c - (c - b)
    bl = b - bh
    err = al * bl - (((p - ah * bh) - al * bh) - ah * bl)
    return p, err


@numba.njit(cache=True)
def _gram_diff(X, Y, lam):
    """``lam (Y Y^T - X X^T)`` with compensated (Dot2, Ogita-Rump-Oishi) dot products, so that the difference of
    two nearly equal Gram matrices keeps its relative accuracy."""
    n, kx = X.shape
    ky = Y.shape[1]
    E = np.empty((n, n))
    for i in range(n):
        for j in range(i, n):
            s = 0.0
            comp = 0.0
            for t in range(ky):
                p, e = _two_prod(Y[i, t], Y[j, t])
                x = s + p
                z = x - s
                comp += (s - (x - z)) + (p - z) + e
                s = x
            for t in range(kx):
                p, e = _two_prod(-X[i, t], X[j, t])
                x = s + p
                z = x - s
                comp += (s - (x - z)) + (p - z) + e
                s = x
            E[i, j] = lam * (s + comp)
            E[j, i] = E[i, j]
    return E


@numba.njit(cache=True)
def _row_lse(L):
    n, m = L.shape
    out = np.empty(n)
    for i in range(n):
        mx = L[i, 0]
        for k in range(1, m):
            if L[i, k] > mx:
                mx = L[i, k]
        s = 0.0
        for k in range(m):
            s += math.exp(L[i, k] - mx)
        out[i] = mx + math.log(s)
    return out


@numba.njit(cache=True)
def _log_softmax_rows(L):
    n, m = L.shape
    lse = _row_lse(L)
    out = np.empty((n, m))
    for i in range(n):
        for k in range(m):
            out[i, k] = L[i, k] - lse[i]
    return out


@numba.njit(cache=True)
def _row_log_shift(logP, E, i):
    """c_i = log sum_l P_il exp(E_il): log1p(sum_l P_il expm1(E_il)) for small E (no cancellation), LSE otherwise."""
    m = logP.shape[1]
    emax = 0.0
    for k in range(m):
        if abs(E[i, k]) > emax:
            emax = abs(E[i, k])
    if emax < 0.5:
        s = 0.0
        for k in range(m):
            s += math.exp(logP[i, k]) * math.expm1(E[i, k])
        return math.log1p(s)
    mx = logP[i, 0] + E[i, 0]
    for k in range(1, m):
        v = logP[i, k] + E[i, k]
        if v > mx:
            mx = v
    s = 0.0
    for k in range(m):
        s += math.exp(logP[i, k] + E[i, k] - mx)
    return mx + math.log(s)


@numba.njit(cache=True)
def _diff_from_logits(LX, E):
    """P(Y) - P(X) with logits LX (of X) and E = logits(Y) - logits(X): P(X)_ik expm1(E_ik - c_i)."""
    n, m = LX.shape
    logP = _log_softmax_rows(LX)
    out = np.empty((n, m))
    for i in range(n):
        c = _row_log_shift(logP, E, i)
        for k in range(m):
            out[i, k] = math.exp(logP[i, k]) * math.expm1(E[i, k] - c)
    return out


@numba.njit(cache=True)
def _log_ratio_from_logits(LX, E):
    """log P(Y) - log P(X) = E_ik - c_i with c_i = log sum_l P(X)_il exp(E_il) (log1p form for small E)."""
    n, m = LX.shape
    logP = _log_softmax_rows(LX)
    out = np.empty((n, m))
    for i in range(n):
        c = _row_log_shift(logP, E, i)
        for k in range(m):
            out[i, k] = E[i, k] - c
    return out


@numba.njit(cache=True)
def _norm_max(M):
    n, m = M.shape
    v = 0.0
    for i in range(n):
        for k in range(m):
            a = abs(M[i, k])
            if a > v:
                v = a
    return v


@numba.njit(cache=True)
def _norm_row(M):
    n, m = M.shape
    v = 0.0
    for i in range(n):
        s = 0.0
        for k in range(m):
            s += abs(M[i, k])
        if s > v:
            v = s
    return v


@numba.njit(cache=True)
def _row_absmax(M):
    n, m = M.shape
    out = np.zeros(n)
    for i in range(n):
        for k in range(m):
            a = abs(M[i, k])
            if a > out[i]:
                out[i] = a
    return out


@numba.njit(cache=True)
def _countsketch_apply(X, h, sgn, s):
    n, d = X.shape
    T = np.zeros((n, s))
    for i in range(d):
        b = h[i]
        g = sgn[i]
        for r in range(n):
            T[r, b] += g * X[r, i]
    return T


@numba.njit(cache=True)
def _col_sqnorms(M):
    k, d = M.shape
    out = np.zeros(d)
    for i in range(d):
        s = 0.0
        for r in range(k):
            s += M[r, i] * M[r, i]
        out[i] = s
    return out


@numba.njit(cache=True)
def _scale_columns(X, idx, w):
    n = X.shape[0]
    m = idx.shape[0]
    Y = np.empty((n, m))
    for j in range(m):
        c = idx[j]
        for r in range(n):
            Y[r, j] = X[r, c] * w[j]
    return Y


# ----------------------------------------------------------------------------------------------------------
# public wrappers
# ----------------------------------------------------------------------------------------------------------


def gram(Z, logit_scale=1.0):
    """Logit matrix ``logit_scale * Z Z^T`` (n x n, symmetric)."""
    where = f"{_HERE}.gram"
    Z = _arr(where, "Z", Z, 2)
    return _gram(Z, _scale(where, logit_scale))


def log_attention(Z, logit_scale=1.0):
    """``log P(Z)`` entrywise, P(Z) = D(Z)^{-1} exp(logit_scale Z Z^T), by row-wise log-sum-exp."""
    where = f"{_HERE}.log_attention"
    Z = _arr(where, "Z", Z, 2)
    return _log_softmax_rows(_gram(Z, _scale(where, logit_scale)))


def attention(Z, logit_scale=1.0):
    """``P(Z) = D(Z)^{-1} exp(logit_scale Z Z^T)`` (row-stochastic, n x n), stable for logits up to ~1e300."""
    where = f"{_HERE}.attention"
    Z = _arr(where, "Z", Z, 2)
    return np.exp(_log_softmax_rows(_gram(Z, _scale(where, logit_scale))))


def log_normalizer(Z, logit_scale=1.0):
    """``log D(Z)_ii = log sum_k exp(logit_ik)`` for every row i (vector of length n; never overflows)."""
    where = f"{_HERE}.log_normalizer"
    Z = _arr(where, "Z", Z, 2)
    return _row_lse(_gram(Z, _scale(where, logit_scale)))


def normalizer(Z, logit_scale=1.0):
    """``D(Z)_ii = sum_k exp(logit_ik)`` (vector; overflows to inf when a logit exceeds ~709)."""
    where = f"{_HERE}.normalizer"
    Z = _arr(where, "Z", Z, 2)
    with np.errstate(over="ignore"):
        return np.exp(_row_lse(_gram(Z, _scale(where, logit_scale))))


def _pair(where, X, Y):
    X = _arr(where, "X", X, 2)
    Y = _arr(where, "Y", Y, 2)
    _same_rows(where, "Y", Y, X.shape[0])
    return X, Y


def gram_diff(X, Y, logit_scale=1.0):
    """``E = logit_scale (Y Y^T - X X^T)`` with compensated dot products (relative accuracy when E is tiny)."""
    where = f"{_HERE}.gram_diff"
    X, Y = _pair(where, X, Y)
    return _gram_diff(X, Y, _scale(where, logit_scale))


def log_attention_ratio(X, Y, logit_scale=1.0):
    """``log(P(Y)_ik / P(X)_ik) = E_ik - log(sum_l P(X)_il exp(E_il))`` (n x n), no cancellation for small E."""
    where = f"{_HERE}.log_attention_ratio"
    X, Y = _pair(where, X, Y)
    lam = _scale(where, logit_scale)
    return _log_ratio_from_logits(_gram(X, lam), _gram_diff(X, Y, lam))


def attention_diff(X, Y, logit_scale=1.0):
    """``P(Y) - P(X)`` (n x n) without cancellation: ``P(X)_ik * expm1(E_ik - c_i)`` (see module docstring)."""
    where = f"{_HERE}.attention_diff"
    X, Y = _pair(where, X, Y)
    lam = _scale(where, logit_scale)
    return _diff_from_logits(_gram(X, lam), _gram_diff(X, Y, lam))


def matrix_norm(M, norm="max"):
    """``||M||_max`` (norm='max') or ``||M||_{inf->inf}`` = max row sum of |M| (norm='row')."""
    where = f"{_HERE}.matrix_norm"
    M = _arr(where, "M", M, 2)
    return _norm_max(M) if _norm_kind(where, norm) == "max" else _norm_row(M)


def attention_error(X, Y, norm="max", logit_scale=1.0):
    """``||P(Y) - P(X)||_norm`` with norm in {'max', 'row'}."""
    where = f"{_HERE}.attention_error"
    kind = _norm_kind(where, norm)
    X, Y = _pair(where, X, Y)
    lam = _scale(where, logit_scale)
    Dm = _diff_from_logits(_gram(X, lam), _gram_diff(X, Y, lam))
    return _norm_max(Dm) if kind == "max" else _norm_row(Dm)


def gram_norm(X, norm="max", logit_scale=1.0):
    """``||logit_scale X X^T||_norm`` (the hypothesis quantity of eq. (1))."""
    where = f"{_HERE}.gram_norm"
    kind = _norm_kind(where, norm)
    X = _arr(where, "X", X, 2)
    G = _gram(X, _scale(where, logit_scale))
    return _norm_max(G) if kind == "max" else _norm_row(G)


def logit_perturbation(X, Y, logit_scale=1.0):
    """Row-wise ``eta_i = max_k |E_ik|`` with ``E = logit_scale (Y Y^T - X X^T)`` (vector of length n)."""
    where = f"{_HERE}.logit_perturbation"
    X, Y = _pair(where, X, Y)
    lam = _scale(where, logit_scale)
    return _row_absmax(_gram_diff(X, Y, lam))


def _thin_svd(X, rtol):
    U, s, Vt = np.linalg.svd(X, full_matrices=False)
    if s.size == 0 or s[0] == 0.0:
        return U[:, :0], s[:0], Vt[:0]
    keep = s > rtol * s[0]
    return U[:, keep], s[keep], Vt[keep]


def numerical_rank(X, rtol=None):
    """Number of singular values of X above ``rtol * sigma_max`` (rtol default 1e-10)."""
    where = f"{_HERE}.numerical_rank"
    X = _arr(where, "X", X, 2)
    return int(_thin_svd(X, _rtol(where, rtol))[1].size)


def leverage_scores(X, rtol=None):
    """Column leverage scores ``tau_i = X_i^T (X X^T)^+ X_i`` (length d), pseudo-inverse at ``rtol``."""
    where = f"{_HERE}.leverage_scores"
    X = _arr(where, "X", X, 2)
    _, _, Vt = _thin_svd(X, _rtol(where, rtol))
    return _col_sqnorms(np.ascontiguousarray(Vt))


def spectral_eps(X, Y, rtol=None):
    """Smallest eps with ``(1-eps) XX^T <= YY^T <= (1+eps) XX^T``: ``max_j |sigma_j(S^{-1} U^T Y)^2 - 1|``.

    Returns ``inf`` if the part of Y outside range(X X^T) exceeds ``sqrt(rtol) * ||Y||_2`` (no finite eps then).
    """
    where = f"{_HERE}.spectral_eps"
    X, Y = _pair(where, X, Y)
    t = _rtol(where, rtol)
    U, s, _ = _thin_svd(X, t)
    if s.size == 0:
        return 0.0 if not np.any(Y) else math.inf
    C = U.T @ Y
    leak = Y - U @ C
    ny = np.linalg.norm(Y, 2)
    if ny > 0 and np.linalg.norm(leak, 2) > math.sqrt(max(t, 1e-30)) * ny:
        return math.inf
    W = C / s[:, None]
    sw = np.linalg.svd(W, compute_uv=False)
    lam = np.zeros(s.size)
    lam[: sw.size] = sw[: s.size] ** 2
    return float(np.max(np.abs(lam - 1.0)))


def _check_sketch(where, X, h, sgn, Pi):
    n, d = X.shape
    h = np.asarray(h)
    if h.ndim != 1 or h.shape[0] != d or h.dtype.kind not in "iu":
        raise invalid(where, "h", f"shape {h.shape} dtype {h.dtype}", f"pass an integer bucket vector of length d={d}")
    if d and h.min() < 0:
        raise invalid(where, "h", int(h.min()), "bucket indices must be >= 0")
    sgn = _arr(where, "sgn", sgn, 1)
    if sgn.shape[0] != d:
        raise invalid(where, "sgn", f"shape {sgn.shape}", f"pass a sign vector of length d={d}")
    Pi = _arr(where, "Pi", Pi, 2)
    if Pi.shape[1] != n:
        raise invalid(where, "Pi", f"shape {Pi.shape}", f"pass a k x n Gaussian matrix with n={n}")
    return np.ascontiguousarray(h, dtype=np.int64), sgn, Pi


def approx_leverage_scores(X, h, sgn, Pi, rtol=None):
    """Step 1 of (9): ``tau~_i = ||Pi (T T^T)^{+1/2} X_i||^2`` with ``T = X Omega``, Omega = CountSketch(h, sgn).

    ``h[i]`` is the bucket (column of Omega) of coordinate i and ``sgn[i]`` its sign; the number of buckets is
    ``max(h) + 1``. Eigenvalues of ``T T^T`` below ``rtol^2 * lambda_max`` are dropped (pseudo-inverse root).
    """
    where = f"{_HERE}.approx_leverage_scores"
    X = _arr(where, "X", X, 2)
    h, sgn, Pi = _check_sketch(where, X, h, sgn, Pi)
    t = _rtol(where, rtol)
    s = int(h.max()) + 1
    T = _countsketch_apply(X, h, sgn, s)
    U, sv, _ = _thin_svd(T, t)
    if sv.size == 0:
        return np.zeros(X.shape[1])
    W = (U / sv[None, :]) @ U.T  # (T T^T)^{+1/2}
    return _col_sqnorms(np.ascontiguousarray(Pi @ (W @ X)))


def exact_root(X, rtol=None):
    """EXACT BASELINE (12): ``Y = U S`` from the thin SVD ``X = U S V^T`` (singular values below ``rtol * s_max``
    dropped), so ``Y Y^T = X X^T`` and m = numerical rank; one zero column when X = 0."""
    where = f"{_HERE}.exact_root"
    X = _arr(where, "X", X, 2)
    U, s, _ = _thin_svd(X, _rtol(where, rtol))
    if s.size == 0:
        return np.zeros((X.shape[0], 1))
    return np.ascontiguousarray(U * s[None, :])


def sample_columns(X, idx, p):
    """Estimator (8): ``Y = [X_{i_1}/sqrt(m p_{i_1}), ..., X_{i_m}/sqrt(m p_{i_m})]`` with m = len(idx)."""
    where = f"{_HERE}.sample_columns"
    X = _arr(where, "X", X, 2)
    d = X.shape[1]
    idx = np.asarray(idx)
    if idx.ndim != 1 or idx.size == 0 or idx.dtype.kind not in "iu":
        raise invalid(where, "idx", f"shape {idx.shape} dtype {idx.dtype}", "pass a non-empty integer index vector")
    if idx.min() < 0 or idx.max() >= d:
        raise invalid(where, "idx", f"range [{idx.min()}, {idx.max()}]", f"indices must lie in [0, d={d})")
    p = _arr(where, "p", p, 1)
    if p.shape[0] != d:
        raise invalid(where, "p", f"shape {p.shape}", f"pass probabilities of length d={d}")
    idx = np.ascontiguousarray(idx, dtype=np.int64)
    pi = p[idx]
    if np.any(pi <= 0):
        raise invalid(where, "p", float(pi[pi <= 0][0]), "sampled columns need p_i > 0")
    return _scale_columns(X, idx, 1.0 / np.sqrt(idx.size * pi))


def weighted_columns(X, w):
    """``Y = [sqrt(w_i) X_i]_{w_i > 0}`` (the BSS output form); one zero column if every weight is 0."""
    where = f"{_HERE}.weighted_columns"
    X = _arr(where, "X", X, 2)
    w = _arr(where, "w", w, 1)
    if w.shape[0] != X.shape[1]:
        raise invalid(where, "w", f"shape {w.shape}", f"pass weights of length d={X.shape[1]}")
    if np.any(w < 0):
        raise invalid(where, "w", float(w[w < 0][0]), "weights must be >= 0")
    idx = np.flatnonzero(w > 0).astype(np.int64)
    if idx.size == 0:
        return np.zeros((X.shape[0], 1))
    return _scale_columns(X, idx, np.sqrt(w[idx]))

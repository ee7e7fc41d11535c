"""mpmath twin of `certify.kernels.sparsification` (independent routes).

* gram: explicit ``fsum`` of products per entry.
* attention / log_attention / normalizer: ``exp(logit_ik) / fsum_l exp(logit_il)`` directly, no max shift (mpmath
  has no overflow at these magnitudes), logs taken afterwards.
* attention_diff / attention_error: the plain difference ``P(Y) - P(X)`` of the two high-precision matrices (the
  kernel uses an expm1 form instead); the caller's dps decides the cancellation budget.
* numerical_rank / leverage_scores / spectral_eps: from the eigen-decomposition of ``G = X X^T`` (``mpm.eigsy``)
  instead of the SVD of X: ``tau_i = X_i^T G^+ X_i`` literally, eps from the eigenvalues of the whitened
  ``Lambda^{-1/2} Q^T Y Y^T Q Lambda^{-1/2}`` on range(G). Eigenvalues below ``rtol^2 * lambda_max`` are dropped,
  which matches the kernel's ``sigma > rtol * sigma_max``.
* approx_leverage_scores: CountSketch applied by an explicit loop over coordinates, the symmetric root
  ``(T T^T)^{+1/2} = U S^+ U^T`` from mpmath's SVD of T (kernel: LAPACK SVD), then ``||Pi W X_i||^2`` by fsum.
* exact_root: a pivoted Cholesky factorisation of ``X X^T`` written out (kernel: eigh); any square root qualifies.

Every function takes an explicit ``mpmath.MPContext`` ``mpm`` first; arrays are numpy object arrays of mpf.
"""

from __future__ import annotations

import numpy as np

from certify.errors import invalid
from certify.reference._mparray import from_matrix, mp_zeros, to_matrix, to_mp

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

_HERE = "reference.sparsification"
NORMS = ("max", "row")
DEFAULT_RTOL = 1e-10


def _m2(mpm, where, name, x):
    a = x if isinstance(x, np.ndarray) else np.asarray(x, dtype=object if _has_mpf(x) else float)
    if a.ndim != 2 or a.size == 0:
        raise invalid(where, name, f"shape {a.shape}", "pass a non-empty 2-D array")
    return to_mp(mpm, a)


def _m1(mpm, where, name, x):
    a = x if isinstance(x, np.ndarray) else np.asarray(x, dtype=object if _has_mpf(x) else float)
    if a.ndim != 1:
        raise invalid(where, name, f"shape {a.shape}", "pass a 1-D vector")
    return to_mp(mpm, a)


def _has_mpf(x):
    try:
        return any(type(v).__name__ == "mpf" for v in np.asarray(x, dtype=object).reshape(-1))
    except Exception:  # pragma: no cover
        return False


def _norm_kind(where, norm):
    if norm not in NORMS:
        raise invalid(where, "norm", norm, "pass 'max' (entrywise max) or 'row' (max row sum)")
    return norm


def _rtol(mpm, rtol):
    return mpm.mpf(DEFAULT_RTOL if rtol is None else rtol)


def _gram(mpm, Z, lam):
    n, k = Z.shape
    G = mp_zeros(mpm, (n, n))
    for i in range(n):
        for j in range(i, n):
            v = lam * mpm.fsum(Z[i, t] * Z[j, t] for t in range(k))
            G[i, j] = v
            G[j, i] = v
    return G


def _softmax_rows_direct(mpm, L):
    n, m = L.shape
    P = mp_zeros(mpm, (n, m))
    for i in range(n):
        ex = [mpm.exp(L[i, k]) for k in range(m)]
        s = mpm.fsum(ex)
        for k in range(m):
            P[i, k] = ex[k] / s
    return P


def gram(mpm, Z, logit_scale=1.0):
    Z = _m2(mpm, f"{_HERE}.gram", "Z", Z)
    return _gram(mpm, Z, mpm.mpf(logit_scale))


def attention(mpm, Z, logit_scale=1.0):
    Z = _m2(mpm, f"{_HERE}.attention", "Z", Z)
    return _softmax_rows_direct(mpm, _gram(mpm, Z, mpm.mpf(logit_scale)))


def log_attention(mpm, Z, logit_scale=1.0):
    P = attention(mpm, Z, logit_scale)
    out = mp_zeros(mpm, P.shape)
    for i in range(P.shape[0]):
        for k in range(P.shape[1]):
            out[i, k] = mpm.log(P[i, k])
    return out


def normalizer(mpm, Z, logit_scale=1.0):
    Z = _m2(mpm, f"{_HERE}.normalizer", "Z", Z)
    L = _gram(mpm, Z, mpm.mpf(logit_scale))
    return np.array([mpm.fsum(mpm.exp(L[i, k]) for k in range(L.shape[1])) for i in range(L.shape[0])]
                    + [None], dtype=object)[:-1]


def log_normalizer(mpm, Z, logit_scale=1.0):
    return np.array([mpm.log(v) for v in normalizer(mpm, Z, logit_scale)] + [None], dtype=object)[:-1]


def _pair(mpm, where, X, Y):
    X = _m2(mpm, where, "X", X)
    Y = _m2(mpm, where, "Y", Y)
    if Y.shape[0] != X.shape[0]:
        raise invalid(where, "Y", f"shape {Y.shape}", f"pass a matrix with n={X.shape[0]} rows (same as X)")
    return X, Y


def gram_diff(mpm, X, Y, logit_scale=1.0):
    X, Y = _pair(mpm, f"{_HERE}.gram_diff", X, Y)
    lam = mpm.mpf(logit_scale)
    return _gram(mpm, Y, lam) - _gram(mpm, X, lam)


def log_attention_ratio(mpm, X, Y, logit_scale=1.0):
    """``log P(Y)_ik - log P(X)_ik`` as the log of the quotient of the two directly computed matrices."""
    X, Y = _pair(mpm, f"{_HERE}.log_attention_ratio", X, Y)
    lam = mpm.mpf(logit_scale)
    PY = _softmax_rows_direct(mpm, _gram(mpm, Y, lam))
    PX = _softmax_rows_direct(mpm, _gram(mpm, X, lam))
    out = mp_zeros(mpm, PX.shape)
    for i in range(PX.shape[0]):
        for k in range(PX.shape[1]):
            out[i, k] = mpm.log(PY[i, k] / PX[i, k])
    return out


def attention_diff(mpm, X, Y, logit_scale=1.0):
    X, Y = _pair(mpm, f"{_HERE}.attention_diff", X, Y)
    lam = mpm.mpf(logit_scale)
    return _softmax_rows_direct(mpm, _gram(mpm, Y, lam)) - _softmax_rows_direct(mpm, _gram(mpm, X, lam))


def _norm(mpm, M, kind):
    n, m = M.shape
    if kind == "max":
        return max(abs(M[i, k]) for i in range(n) for k in range(m))
    return max(mpm.fsum(abs(M[i, k]) for k in range(m)) for i in range(n))


def matrix_norm(mpm, M, norm="max"):
    where = f"{_HERE}.matrix_norm"
    kind = _norm_kind(where, norm)
    return _norm(mpm, _m2(mpm, where, "M", M), kind)


def attention_error(mpm, X, Y, norm="max", logit_scale=1.0):
    kind = _norm_kind(f"{_HERE}.attention_error", norm)
    return _norm(mpm, attention_diff(mpm, X, Y, logit_scale), kind)


def gram_norm(mpm, X, norm="max", logit_scale=1.0):
    where = f"{_HERE}.gram_norm"
    kind = _norm_kind(where, norm)
    return _norm(mpm, _gram(mpm, _m2(mpm, where, "X", X), mpm.mpf(logit_scale)), kind)


def logit_perturbation(mpm, X, Y, logit_scale=1.0):
    X, Y = _pair(mpm, f"{_HERE}.logit_perturbation", X, Y)
    lam = mpm.mpf(logit_scale)
    E = _gram(mpm, Y, lam) - _gram(mpm, X, lam)
    return np.array([max(abs(E[i, k]) for k in range(E.shape[1])) for i in range(E.shape[0])] + [None],
                    dtype=object)[:-1]


def _range_eig(mpm, G, rtol):
    """Eigenpairs of symmetric G (object array) with lambda > rtol^2 * lambda_max: (list of lambda, n x r array)."""
    n = G.shape[0]
    E, Q = mpm.eigsy(to_matrix(mpm, G))
    lam = [E[i] for i in range(n)]
    top = max(lam)
    if top <= 0:
        return [], np.empty((n, 0), dtype=object)
    keep = [i for i in range(n) if lam[i] > rtol * rtol * top]
    Qa = from_matrix(Q)
    return [lam[i] for i in keep], Qa[:, keep]


def numerical_rank(mpm, X, rtol=None):
    X = _m2(mpm, f"{_HERE}.numerical_rank", "X", X)
    lam, _ = _range_eig(mpm, _gram(mpm, X, mpm.mpf(1)), _rtol(mpm, rtol))
    return len(lam)


def leverage_scores(mpm, X, rtol=None):
    X = _m2(mpm, f"{_HERE}.leverage_scores", "X", X)
    n, d = X.shape
    lam, Q = _range_eig(mpm, _gram(mpm, X, mpm.mpf(1)), _rtol(mpm, rtol))
    Gp = mp_zeros(mpm, (n, n))
    for a in range(n):
        for b in range(n):
            Gp[a, b] = mpm.fsum(Q[a, j] * Q[b, j] / lam[j] for j in range(len(lam)))
    tau = []
    for i in range(d):
        col = X[:, i]
        tau.append(mpm.fsum(col[a] * Gp[a, b] * col[b] for a in range(n) for b in range(n)))
    return np.array(tau + [None], dtype=object)[:-1]


def spectral_eps(mpm, X, Y, rtol=None):
    X, Y = _pair(mpm, f"{_HERE}.spectral_eps", X, Y)
    n, m = Y.shape
    t = _rtol(mpm, rtol)
    lam, Q = _range_eig(mpm, _gram(mpm, X, mpm.mpf(1)), t)
    r = len(lam)
    # component of Y outside range(G)
    C = mp_zeros(mpm, (r, m))
    for j in range(r):
        for c in range(m):
            C[j, c] = mpm.fsum(Q[a, j] * Y[a, c] for a in range(n))
    leak = Y - (Q @ C if r else mp_zeros(mpm, Y.shape))
    if r == 0:
        return mpm.mpf(0) if all(v == 0 for v in Y.reshape(-1)) else mpm.inf
    nl = mpm.sqrt(max(mpm.eigsy(to_matrix(mpm, _gram(mpm, leak, 1)))[0]))
    ny = mpm.sqrt(max(mpm.eigsy(to_matrix(mpm, _gram(mpm, Y, 1)))[0]))
    if ny > 0 and nl > mpm.sqrt(max(t, mpm.mpf(1e-30))) * ny:
        return mpm.inf
    K = mp_zeros(mpm, (r, r))
    for a in range(r):
        for b in range(a, r):
            v = mpm.fsum(C[a, c] * C[b, c] for c in range(m)) / mpm.sqrt(lam[a] * lam[b])
            K[a, b] = v
            K[b, a] = v
    mu, _ = mpm.eigsy(to_matrix(mpm, K))
    return max(abs(mu[i] - 1) for i in range(r))


def approx_leverage_scores(mpm, X, h, sgn, Pi, rtol=None):
    where = f"{_HERE}.approx_leverage_scores"
    X = _m2(mpm, where, "X", X)
    n, d = X.shape
    h = np.asarray(h)
    if h.ndim != 1 or h.shape[0] != d:
        raise invalid(where, "h", f"shape {h.shape}", f"pass an integer bucket vector of length d={d}")
    sgn = _m1(mpm, where, "sgn", sgn)
    Pi = _m2(mpm, where, "Pi", Pi)
    s = int(h.max()) + 1
    T = mp_zeros(mpm, (n, s))
    for i in range(d):
        b = int(h[i])
        for a in range(n):
            T[a, b] += sgn[i] * X[a, i]
    t = _rtol(mpm, rtol)
    if n <= s:
        U, S, _ = mpm.svd_r(to_matrix(mpm, T))
        U = from_matrix(U)
        sv = [S[i] for i in range(min(n, s))]
    else:  # thin: T^T = V S U^T
        V, S, Ut = mpm.svd_r(to_matrix(mpm, T.T))
        U = from_matrix(Ut).T
        sv = [S[i] for i in range(s)]
    top = max(sv) if sv else 0
    if top == 0:
        return np.array([mpm.mpf(0)] * d + [None], dtype=object)[:-1]
    keep = [j for j in range(len(sv)) if sv[j] > t * top]
    W = mp_zeros(mpm, (n, n))
    for a in range(n):
        for b in range(n):
            W[a, b] = mpm.fsum(U[a, j] * U[b, j] / sv[j] for j in keep)
    PW = Pi @ W
    k = PW.shape[0]
    out = []
    for i in range(d):
        out.append(mpm.fsum(mpm.fsum(PW[r, a] * X[a, i] for a in range(n)) ** 2 for r in range(k)))
    return np.array(out + [None], dtype=object)[:-1]


def exact_root(mpm, X, rtol=None):
    """Pivoted Cholesky ``P^T G P = L L^T`` of ``G = X X^T``, stopped when the largest remaining pivot is at most
    ``rtol^2 * max_i G_ii``; returns ``Y = P L`` (n x rank), so ``Y Y^T = G`` up to the dropped remainder."""
    X = _m2(mpm, f"{_HERE}.exact_root", "X", X)
    n = X.shape[0]
    t = _rtol(mpm, rtol)
    A = _gram(mpm, X, mpm.mpf(1))
    top = max(A[i, i] for i in range(n))
    cols = []
    R = A.copy()
    if top <= 0:
        return mp_zeros(mpm, (n, 1))
    for _ in range(n):
        j = max(range(n), key=lambda i: R[i, i])
        piv = R[j, j]
        if piv <= t * t * top:
            break
        c = mp_zeros(mpm, (n,))
        rs = mpm.sqrt(piv)
        for a in range(n):
            c[a] = R[a, j] / rs
        for a in range(n):
            for b in range(n):
                R[a, b] = R[a, b] - c[a] * c[b]
        cols.append(c)
    Y = mp_zeros(mpm, (n, len(cols)))
    for j, c in enumerate(cols):
        Y[:, j] = c
    return Y


def sample_columns(mpm, X, idx, p):
    where = f"{_HERE}.sample_columns"
    X = _m2(mpm, where, "X", X)
    p = _m1(mpm, where, "p", p)
    idx = [int(i) for i in np.asarray(idx).reshape(-1)]
    m = len(idx)
    if m == 0:
        raise invalid(where, "idx", "[]", "pass a non-empty integer index vector")
    Y = mp_zeros(mpm, (X.shape[0], m))
    for j, c in enumerate(idx):
        if not p[c] > 0:
            raise invalid(where, "p", float(p[c]), "sampled columns need p_i > 0")
        w = 1 / mpm.sqrt(m * p[c])
        for a in range(X.shape[0]):
            Y[a, j] = X[a, c] * w
    return Y


def weighted_columns(mpm, X, w):
    where = f"{_HERE}.weighted_columns"
    X = _m2(mpm, where, "X", X)
    w = _m1(mpm, where, "w", w)
    idx = [i for i in range(X.shape[1]) if w[i] > 0]
    if not idx:
        return mp_zeros(mpm, (X.shape[0], 1))
    Y = mp_zeros(mpm, (X.shape[0], len(idx)))
    for j, c in enumerate(idx):
        sw = mpm.sqrt(w[c])
        for a in range(X.shape[0]):
            Y[a, j] = X[a, c] * sw
    return Y

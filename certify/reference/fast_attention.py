"""mpmath twin of `certify.kernels.fast_attention` (independent routes).

* softmax weights a_l = 1 / sum_m exp(s_m - s_l) (no shared normaliser); top-k sets by sorting (−s, index) pairs;
  discarded mass as the plain sum of the discarded weights (mpmath does not underflow); TV from both rows.
* Polynomial method: coefficients from ``mpmath.chebyfit`` (Chebyshev interpolation at first-kind nodes, the same
  polynomial as the kernel's), evaluated entry by entry on the n_q x n scores (no feature map) for
  ``poly_scores``/``poly_attention``; ``poly_factors`` enumerates multi-indices with its own recursion.
* Gradient: the softmax Jacobian J(f) = diag(f) - f f^T applied row by row to q (no closed-form p); the reduction's
  derivatives by ``mpmath.diff`` of f(lam); Riemann sums from those.
* Streaming sums: one fsum over all rows (batch) and a chunked sequential sum (stream) in mpmath.
* LevAttention: pseudo-inverse of K^T K from mpmath's eigendecomposition; f evaluated per entry.

Every function takes an ``mpmath.MPContext`` ``mpm`` first; arrays are numpy object arrays of mpf.
"""

from __future__ import annotations

import numpy as np

from certify.reference._mparray import from_matrix, to_matrix, to_mp

__all__ = [
    "softmax_rows", "topk_sets", "topk_weights", "discarded_mass", "topk_tv", "subset_mass", "heavy_count",
    "attention", "exp_poly_coefficients", "exp_poly_relative_error", "poly_factors", "poly_scores",
    "poly_attention", "perturbed_attention", "gradient_loss", "gradient", "poly_gradient", "reduction_f",
    "reduction_derivatives", "riemann_sum", "stream_factor_sums", "batch_factor_sums", "stream_attention",
    "countsketch_recover", "kernel_attention", "leverage_maximisers", "sensitivity_at", "universal_set_stream",
]


def _a(mpm, x):
    return to_mp(mpm, x if isinstance(x, np.ndarray) else np.asarray(x, dtype=float))


def _obj(rows):
    out = np.empty((len(rows), len(rows[0]) if rows else 0), dtype=object)
    for i, r in enumerate(rows):
        for j, v in enumerate(r):
            out[i, j] = v
    return out


def _vec(vals):
    out = np.empty(len(vals), dtype=object)
    for i, v in enumerate(vals):
        out[i] = v
    return out


def _dot(mpm, u, v):
    return mpm.fsum(a * b for a, b in zip(u, v, strict=True))


def _matmul(mpm, A, B):
    return _obj([[mpm.fsum(A[i, t] * B[t, j] for t in range(A.shape[1])) for j in range(B.shape[1])]
                 for i in range(A.shape[0])])


def _row_softmax(mpm, s):
    return [1 / mpm.fsum(mpm.exp(t - v) for t in s) for v in s]


# ----------------------------------------------------------------------------------------------- top-k
def softmax_rows(mpm, S):
    S = _a(mpm, S)
    return _obj([_row_softmax(mpm, list(S[i])) for i in range(S.shape[0])])


def topk_sets(mpm, S, k):
    S = _a(mpm, S)
    k = int(k)
    return np.array([[l for _, l in sorted((-S[i, l], l) for l in range(S.shape[1]))][:k]
                     for i in range(S.shape[0])], dtype=np.int64)


def topk_weights(mpm, S, k):
    S = _a(mpm, S)
    T = topk_sets(mpm, S, k)
    out = _obj([[mpm.mpf(0)] * S.shape[1] for _ in range(S.shape[0])])
    for i in range(S.shape[0]):
        w = _row_softmax(mpm, [S[i, l] for l in T[i]])
        for l, v in zip(T[i], w, strict=True):
            out[i, l] = v
    return out


def discarded_mass(mpm, S, k):
    S = _a(mpm, S)
    T = topk_sets(mpm, S, k)
    A = softmax_rows(mpm, S)
    out = []
    for i in range(S.shape[0]):
        kept = set(int(t) for t in T[i])
        out.append(mpm.fsum(A[i, l] for l in range(S.shape[1]) if l not in kept))
    return _vec(out)


def topk_tv(mpm, S, k):
    A, Ak = softmax_rows(mpm, S), topk_weights(mpm, S, k)
    return _vec([mpm.fsum(abs(A[i, l] - Ak[i, l]) for l in range(A.shape[1])) / 2 for i in range(A.shape[0])])


def subset_mass(mpm, S, T):
    A = softmax_rows(mpm, S)
    T = np.asarray(T, dtype=np.int64)
    return _vec([mpm.fsum(A[i, l] for l in T[i]) for i in range(A.shape[0])])


def heavy_count(mpm, S, eps_c):
    A = softmax_rows(mpm, S)
    e = mpm.mpf(eps_c)
    return np.array([sum(1 for v in A[i] if v >= e) for i in range(A.shape[0])], dtype=np.int64)


def attention(mpm, Q, K, V, scale):
    Q, K, V = _a(mpm, Q), _a(mpm, K), _a(mpm, V)
    sc = mpm.mpf(scale) if not isinstance(scale, str) else scale
    S = _obj([[sc * _dot(mpm, Q[i], K[j]) for j in range(K.shape[0])] for i in range(Q.shape[0])])
    return _matmul(mpm, softmax_rows(mpm, S), V)


# ----------------------------------------------------------------------------------------------- polynomial method
def exp_poly_coefficients(mpm, R, g):
    R, g = mpm.mpf(R), int(g)
    c, _ = mpm.chebyfit(mpm.exp, [-R, R], g + 1, error=True)
    return _vec(list(reversed(c)))


def exp_poly_relative_error(mpm, coeffs, z):
    c = list(_a(mpm, coeffs))
    z = list(_a(mpm, z))
    return max(abs(mpm.polyval(c[::-1], t) * mpm.exp(-t) - 1) for t in z)


def _indices(d, g):
    """Multi-indices a in N^d with |a| <= g, by recursion on the first coordinate."""
    def rec(dd, budget):
        if dd == 0:
            yield ()
            return
        for a0 in range(budget + 1):
            for rest in rec(dd - 1, budget - a0):
                yield (a0,) + rest
    return sorted(rec(d, g), key=lambda a: (sum(a), a))   # the kernel's column order


def poly_factors(mpm, Q, K, coeffs, scale):
    Q, K, c = _a(mpm, Q), _a(mpm, K), list(_a(mpm, coeffs))
    sc = mpm.mpf(scale)
    idx = _indices(Q.shape[1], len(c) - 1)

    def mono(x, a):
        return mpm.fprod(x[t] ** a[t] for t in range(len(a)))

    w = [c[sum(a)] * mpm.factorial(sum(a)) / mpm.fprod(mpm.factorial(t) for t in a) * sc ** sum(a) for a in idx]
    U1 = _obj([[w[j] * mono(Q[i], a) for j, a in enumerate(idx)] for i in range(Q.shape[0])])
    U2 = _obj([[mono(K[i], a) for a in idx] for i in range(K.shape[0])])
    return U1, U2


def _poly_entries(mpm, Q, K, coeffs, scale):
    Q, K, c = _a(mpm, Q), _a(mpm, K), list(_a(mpm, coeffs))
    sc = mpm.mpf(scale)
    return _obj([[mpm.polyval(c[::-1], sc * _dot(mpm, Q[i], K[j])) for j in range(K.shape[0])]
                 for i in range(Q.shape[0])])


def poly_scores(mpm, Q, K, coeffs, scale):
    return _poly_entries(mpm, Q, K, coeffs, scale)


def poly_attention(mpm, Q, K, V, coeffs, scale):
    P = _poly_entries(mpm, Q, K, coeffs, scale)
    V = _a(mpm, V)
    return _obj([[mpm.fsum(P[i, j] * V[j, l] for j in range(V.shape[0])) / mpm.fsum(P[i])
                  for l in range(V.shape[1])] for i in range(P.shape[0])])


def perturbed_attention(mpm, Q, K, V, rel, scale):
    Q, K, V, rel = _a(mpm, Q), _a(mpm, K), _a(mpm, V), _a(mpm, rel)
    sc = mpm.mpf(scale)
    out = []
    for i in range(Q.shape[0]):
        s = [sc * _dot(mpm, Q[i], K[j]) for j in range(K.shape[0])]
        top = max(s)
        a = [mpm.exp(s[j] - top) * (1 + rel[i, j]) for j in range(K.shape[0])]
        tot = mpm.fsum(a)
        out.append([mpm.fsum(a[j] * V[j, l] for j in range(K.shape[0])) / tot for l in range(V.shape[1])])
    return _obj(out)


# ----------------------------------------------------------------------------------------------- gradient
def _F(mpm, A1, A2, X, sc):
    S = _matmul(mpm, _matmul(mpm, A1, X), A2.T)
    return softmax_rows(mpm, _obj([[sc * v for v in row] for row in S]))


def gradient_loss(mpm, A1, A2, A3, E, X, Y, scale):
    A1, A2, A3, E, X, Y = (_a(mpm, t) for t in (A1, A2, A3, E, X, Y))
    F = _F(mpm, A1, A2, X, mpm.mpf(scale))
    C = _matmul(mpm, F, _matmul(mpm, A3, Y)) - E
    return mpm.fsum(v * v for v in C.reshape(-1)) / 2


def _grad_with_F(mpm, A1, A2, F, C, h, sc):
    n = F.shape[0]
    q = _matmul(mpm, C, h.T)
    P = []
    for j in range(n):
        f = F[j]
        Jq = [mpm.fsum((f[a] * (1 if a == b else 0) - f[a] * f[b]) * q[j, b] for b in range(n)) for a in range(n)]
        P.append(Jq)
    return _obj([[sc * v for v in row] for row in _matmul(mpm, _matmul(mpm, A1.T, _obj(P)), A2)])


def gradient(mpm, A1, A2, A3, E, X, Y, scale):
    A1, A2, A3, E, X, Y = (_a(mpm, t) for t in (A1, A2, A3, E, X, Y))
    sc = mpm.mpf(scale)
    F = _F(mpm, A1, A2, X, sc)
    h = _matmul(mpm, A3, Y)
    return _grad_with_F(mpm, A1, A2, F, _matmul(mpm, F, h) - E, h, sc)


def poly_gradient(mpm, A1, A2, A3, E, X, Y, coeffs, scale):
    A1, A2, A3, E, X, Y = (_a(mpm, t) for t in (A1, A2, A3, E, X, Y))
    sc = mpm.mpf(scale)
    P = _poly_entries(mpm, _matmul(mpm, A1, X), A2, coeffs, scale)
    F = _obj([[v / mpm.fsum(row) for v in row] for row in P])
    h = _matmul(mpm, A3, Y)
    return _grad_with_F(mpm, A1, A2, F, _matmul(mpm, F, h) - E, h, sc)


def reduction_f(mpm, Z, V, lam):
    Z, V = _a(mpm, Z), _a(mpm, V)
    lam = mpm.mpf(lam)
    W = softmax_rows(mpm, _obj([[lam * v for v in row] for row in Z]))
    T = _matmul(mpm, W, V)
    return mpm.fsum(v * v for v in T.reshape(-1))


def reduction_derivatives(mpm, Z, V, lam):
    Z, V = _a(mpm, Z), _a(mpm, V)

    def f(t):
        return reduction_f(mpm, Z, V, t)

    lam = mpm.mpf(lam)
    return f(lam), mpm.diff(f, lam, 1), mpm.diff(f, lam, 2)


def riemann_sum(mpm, Z, V, m, side="left"):
    Z, V = _a(mpm, Z), _a(mpm, V)
    m = int(m)
    nodes = range(m) if side == "left" else range(1, m + 1)
    return mpm.fsum(mpm.diff(lambda t: reduction_f(mpm, Z, V, t), mpm.mpf(i) / m) for i in nodes) / m


# ----------------------------------------------------------------------------------------------- streaming
def _u2_row(mpm, k, idx):
    return [mpm.fprod(k[t] ** a[t] for t in range(len(a))) for a in idx]


def stream_factor_sums(mpm, K, V, g, chunk, overlap=0):
    K, V = _a(mpm, K), _a(mpm, V)
    idx = _indices(K.shape[1], int(g))
    r, dv, n = len(idx), V.shape[1], K.shape[0]
    Sv = [[mpm.mpf(0)] * dv for _ in range(r)]
    s1 = [mpm.mpf(0)] * r
    for b in range(0, n, int(chunk)):
        for i in range(max(0, b - int(overlap)), min(n, b + int(chunk))):
            u = _u2_row(mpm, K[i], idx)
            for a in range(r):
                s1[a] += u[a]
                for l in range(dv):
                    Sv[a][l] += u[a] * V[i, l]
    kept = r * (dv + 1) + min(int(chunk) + int(overlap), n) * (K.shape[1] + dv + r)
    return _obj(Sv), _vec(s1), int(kept)


def batch_factor_sums(mpm, K, V, g):
    K, V = _a(mpm, K), _a(mpm, V)
    idx = _indices(K.shape[1], int(g))
    U = [_u2_row(mpm, K[i], idx) for i in range(K.shape[0])]
    r = len(idx)
    Sv = _obj([[mpm.fsum(U[i][a] * V[i, l] for i in range(K.shape[0])) for l in range(V.shape[1])]
               for a in range(r)])
    return Sv, _vec([mpm.fsum(U[i][a] for i in range(K.shape[0])) for a in range(r)])


def stream_attention(mpm, Q, Sv, s1, coeffs, scale):
    Q, Sv, s1 = _a(mpm, Q), _a(mpm, Sv), _a(mpm, s1)
    U1, _ = poly_factors(mpm, Q, Q[:1], coeffs, scale)
    out = []
    for i in range(Q.shape[0]):
        den = _dot(mpm, U1[i], s1)
        out.append([_dot(mpm, U1[i], Sv[:, l]) / den for l in range(Sv.shape[1])])
    return _obj(out)


def countsketch_recover(mpm, y, k, width, reps, seed):
    y = _a(mpm, y)
    n = y.size
    rng = np.random.default_rng(int(seed))              # the same hash draws as the kernel, in the same order
    h = rng.integers(0, int(width), size=(int(reps), n))
    s = rng.choice([-1.0, 1.0], size=(int(reps), n))
    est = []
    for t in range(int(reps)):
        table = [mpm.mpf(0)] * int(width)
        for i in range(n):
            table[h[t, i]] += s[t, i] * y[i]
        est.append([s[t, i] * table[h[t, i]] for i in range(n)])
    med = []
    for i in range(n):
        col = sorted(est[t][i] for t in range(int(reps)))
        mid = len(col) // 2
        med.append(col[mid] if len(col) % 2 else (col[mid - 1] + col[mid]) / 2)
    keep = sorted(range(n), key=lambda i: (-abs(med[i]), i))[: int(k)]
    out = [mpm.mpf(0)] * n
    for i in keep:
        out[i] = med[i]
    return _vec(out)


# ----------------------------------------------------------------------------------------------- LevAttention
def _fval(mpm, x, p):
    return abs(x) ** mpm.mpf(p)


def kernel_attention(mpm, Q, K, p):
    Q, K = _a(mpm, Q), _a(mpm, K)
    if float(p) == 0:
        return softmax_rows(mpm, _obj([[_dot(mpm, Q[i], K[j]) for j in range(K.shape[0])]
                                       for i in range(Q.shape[0])]))
    out = []
    for i in range(Q.shape[0]):
        f = [_fval(mpm, _dot(mpm, Q[i], K[j]), p) for j in range(K.shape[0])]
        tot = mpm.fsum(f)
        out.append([v / tot if tot > 0 else mpm.mpf(0) for v in f])
    return _obj(out)


def _pinv_gram(mpm, K, rtol):
    G = to_matrix(mpm, _matmul(mpm, K.T, K))
    w, U = mpm.eigsy(G)
    d = K.shape[1]
    top = max(w[i] for i in range(d))
    P = mpm.zeros(d, d)
    for t in range(d):
        if w[t] > mpm.mpf(rtol) * top:
            for a in range(d):
                for b in range(d):
                    P[a, b] += U[a, t] * U[b, t] / w[t]
    return from_matrix(P, (d, d))


def leverage_maximisers(mpm, K, rtol=1e-12):
    K = _a(mpm, K)
    return _matmul(mpm, K, _pinv_gram(mpm, K, rtol))


def sensitivity_at(mpm, K, Yq, p):
    A = kernel_attention(mpm, Yq, K, p)
    return _vec([A[j, j] for j in range(A.shape[0])])


def universal_set_stream(mpm, K, eps, chunk):
    K = _a(mpm, K)
    n, d = K.shape
    P = _pinv_gram(mpm, K, 1e-12)
    e = mpm.mpf(eps)
    U = [j for j in range(n) if _dot(mpm, K[j], [_dot(mpm, P[a], K[j]) for a in range(d)]) >= e]
    return np.array(U, dtype=np.int64), int(2 * d * d + min(int(chunk), n) * (d + 1) + len(U))


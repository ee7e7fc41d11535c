"""Fast and sparse attention in float64 (claims/related.md sections 1, 5, 6, 10, 11).

Shapes: Q (n_q, d), K (n, d), V (n, d_v); logits S = scale Q K^T; attention Att = D^-1 exp(S) V, D = diag(exp(S) 1).

* Exact attention and top-k sparse attention (2404.02690): ``softmax_rows`` (max-shifted), ``topk_sets`` (the k
  largest logits of each row, ties by index), ``topk_weights`` (A^(k): the softmax restricted to the top-k set),
  ``discarded_mass`` (mu_i(k) = exp(lse(discarded) - lse(all)), a log-sum-exp over the discarded set, so a mass
  below 1e-300 is not lost before the exponent), ``topk_tv`` (1/2 sum |A - A^(k)|, computed directly from both
  rows), ``subset_mass`` (sum_{l in T} A_il), ``heavy_count`` (#{l : A_il >= eps_c}).
* Polynomial method (2302.13214): ``exp_poly_coefficients`` (monomial coefficients of the Chebyshev interpolant of
  exp on [-R, R], first-kind nodes), ``exp_poly_relative_error`` (max over given points of |P(z) - e^z| / e^z),
  ``poly_factors`` (U1, U2 with r = C(d+g, g) columns: (U1)_{i,a} = c_|a| multinomial(|a|; a) (scale q_i)^a,
  (U2)_{k,a} = k_k^a, so U1 U2^T = P(scale Q K^T) entrywise), ``poly_scores`` (U1 U2^T, formed: for checks only),
  ``poly_attention`` (T = D~^-1 U1 (U2^T V), D~ = diag(U1 (U2^T 1)); never forms an n x n matrix; features are built
  in row blocks), ``perturbed_attention`` (D~^-1 A~ V with A~ = A o (1 + rel), for the error-transfer bound).
* Attention gradient (2402.04497): ``gradient_loss`` L(X) = 1/2 ||D(X)^-1 exp(scale A1 X A2^T) A3 Y - E||_F^2,
  ``gradient`` dL/dX = scale A1^T p A2 with p = F o q - diag((F o q) 1) F, q = (F h - E) h^T, h = A3 Y;
  ``poly_gradient`` the same with F~ = D~^-1 U1 U2^T, computed as sum over the d columns l of h:
  A1^T diag(c~_l) F~ diag(h_l) A2 (cost O(n r d^2), no n x n matrix); ``reduction_f`` f(lam) =
  ||softmax_row(lam Z) V||_F^2 and ``reduction_derivatives`` (f, f', f'') by softmax cumulants (f' = 2 <T, T'>,
  T' = Cov_W(z, v), T'' = E_W[(z - zbar)^2 (v - vbar)]); ``riemann_sum`` the left/right sums of f' with m nodes.
* Streaming (2311.14652): ``stream_factor_sums`` one pass over (K, V) in chunks accumulating U2^T V and U2^T 1 and
  reporting the floats it keeps (state + one chunk buffer); ``overlap`` re-reads that many rows at each chunk
  boundary (a deliberately broken pass for mutants); ``batch_factor_sums`` forms U2 once; ``stream_attention`` rows
  of T from U1 and the two sums; ``countsketch_recover`` CountSketch (reps x width buckets, hashes from a seed)
  with median estimates and top-k selection.
* LevAttention (2410.05462): ``kernel_attention`` A_ij = f(<q_i, k_j>) / sum_l f(<q_i, k_l>), f = |x|^p (p > 0) or
  exp (p = 0 means exp, max-shifted); ``leverage_maximisers`` y_j = (K^T K)^+ k_j (the maximiser of the p = 2
  sensitivity); ``sensitivity_at`` f(<k_j, y_j>) / sum_l f(<k_l, y_j>) for one y_j per key; ``universal_set_stream``
  two passes over K in chunks (Gram, then leverage scores) keeping {j : tau_j >= eps} and reporting its workspace.

Float64 decisions taken inside (the rank cut-off of the pseudo-inverse, the multistart maximisers of
``sensitivity_maximisers``) are returned so a replay in mpmath reuses them. Not exported (no twin): the helpers
``sensitivity_maximisers`` and ``exp_poly_min_degree``, which only choose inputs for the twinned functions.
"""

from __future__ import annotations

import math

import numpy as np

from certify.errors import invalid
from certify.kernels._validate import float_array
from certify.kernels.hopfield import _multi_indices

__all__ = [
    "softmax_rows", "topk_sets", "topk_weights", "discarded_mass", "topk_tv", "subset_mass", "heavy_count",
    "attention", "exp_poly_coefficients", "exp_poly_relative_error", "poly_factors", "poly_scores",
    "poly_attention", "perturbed_attention", "gradient_loss", "gradient", "poly_gradient", "reduction_f",
    "reduction_derivatives", "riemann_sum", "stream_factor_sums", "batch_factor_sums", "stream_attention",
    "countsketch_recover", "kernel_attention", "leverage_maximisers", "sensitivity_at", "universal_set_stream",
]

_HERE = "kernels.fast_attention"


def _mat(fn, name, x):
    return float_array(f"{_HERE}.{fn}", name, x, 2)


def _k(fn, k, n):
    k = int(k)
    if not 1 <= k <= n:
        raise invalid(f"{_HERE}.{fn}", "k", k, f"pass 1 <= k <= n = {n}")
    return k


# ----------------------------------------------------------------------------------------------- top-k
def softmax_rows(S):
    S = _mat("softmax_rows", "S", S)
    E = np.exp(S - S.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)


def topk_sets(S, k):
    """(rows, k) int indices of the k largest logits of each row; ties broken by the smaller index."""
    S = _mat("topk_sets", "S", S)
    k = _k("topk_sets", k, S.shape[1])
    order = np.argsort(-S, axis=1, kind="stable")
    return np.ascontiguousarray(order[:, :k])


def _lse(x):
    m = np.max(x)
    return m + math.log(float(np.sum(np.exp(x - m))))


def topk_weights(S, k):
    S = _mat("topk_weights", "S", S)
    T = topk_sets(S, k)
    out = np.zeros_like(S)
    for i in range(S.shape[0]):
        s = S[i, T[i]]
        e = np.exp(s - s.max())
        out[i, T[i]] = e / e.sum()
    return out


def discarded_mass(S, k):
    """mu_i(k) = sum_{l not in T_i(k)} A_il = exp(lse(discarded logits) - lse(all logits))."""
    S = _mat("discarded_mass", "S", S)
    k = _k("discarded_mass", k, S.shape[1])
    T = topk_sets(S, k)
    out = np.zeros(S.shape[0])
    for i in range(S.shape[0]):
        keep = np.zeros(S.shape[1], dtype=bool)
        keep[T[i]] = True
        if keep.all():
            continue
        out[i] = math.exp(_lse(S[i, ~keep]) - _lse(S[i]))
    return out


def topk_tv(S, k):
    """1/2 sum_l |A_il - A^(k)_il| per row, from the two rows (not from mu)."""
    S = _mat("topk_tv", "S", S)
    return 0.5 * np.sum(np.abs(softmax_rows(S) - topk_weights(S, k)), axis=1)


def subset_mass(S, T):
    """sum_{l in T_i} A_il for index sets T (rows, k)."""
    S = _mat("subset_mass", "S", S)
    T = np.asarray(T, dtype=np.int64)
    A = softmax_rows(S)
    return np.array([A[i, T[i]].sum() for i in range(S.shape[0])])


def heavy_count(S, eps_c):
    """#{l : A_il >= eps_c} per row (int)."""
    A = softmax_rows(S)
    return np.sum(A >= float(eps_c), axis=1).astype(np.int64)


# ----------------------------------------------------------------------------------------------- exact attention
def attention(Q, K, V, scale):
    Q, K, V = _mat("attention", "Q", Q), _mat("attention", "K", K), _mat("attention", "V", V)
    return softmax_rows(float(scale) * (Q @ K.T)) @ V


# ----------------------------------------------------------------------------------------------- polynomial method
def exp_poly_coefficients(R, g):
    """Monomial coefficients c_0..c_g of the degree-g Chebyshev interpolant of exp on [-R, R] (R > 0)."""
    R, g = float(R), int(g)
    if not R > 0 or g < 0:
        raise invalid(f"{_HERE}.exp_poly_coefficients", "R, g", (R, g), "pass R > 0 and a degree g >= 0")
    from numpy.polynomial import Chebyshev

    P = Chebyshev.interpolate(np.exp, g, domain=[-R, R])
    c = P.convert(kind=np.polynomial.Polynomial, domain=[-R, R], window=[-R, R]).coef
    out = np.zeros(g + 1)
    out[: len(c)] = c
    return out


def _polyval(c, z):
    out = np.zeros_like(z) + c[-1]
    for a in c[-2::-1]:
        out = out * z + a
    return out


def exp_poly_relative_error(coeffs, z):
    """max over the points z of |P(z) - e^z| / e^z (P in monomial coefficients, Horner)."""
    c = float_array(f"{_HERE}.exp_poly_relative_error", "coeffs", coeffs, 1)
    z = float_array(f"{_HERE}.exp_poly_relative_error", "z", z, 1)
    return float(np.max(np.abs(_polyval(c, z) * np.exp(-z) - 1.0)))


def exp_poly_min_degree(R, eps, g_max=200):
    """Smallest g whose Chebyshev interpolant meets relative error eps on a 2001-point grid of [-R, R] (float64:
    a decision that chooses an input, reliable for R <~ 12; callers record the returned g)."""
    z = np.linspace(-R, R, 2001)
    for g in range(g_max + 1):
        if exp_poly_relative_error(exp_poly_coefficients(R, g), z) <= eps:
            return g
    return g_max


def _parents(A):
    """For each multi-index a != 0: (index of a - e_t, t) with t its first non-zero coordinate (A is sorted by
    degree, so the parent comes first): each monomial column is one product of an earlier column."""
    pos = {tuple(int(v) for v in a): i for i, a in enumerate(A)}
    par, var = np.zeros(len(A), dtype=np.int64), np.zeros(len(A), dtype=np.int64)
    for i, a in enumerate(A):
        nz = np.nonzero(a)[0]
        if nz.size:
            t = int(nz[0])
            b = a.copy()
            b[t] -= 1
            par[i], var[i] = pos[tuple(int(v) for v in b)], t
    return par, var


def _features(Y, A, weights):
    """(n, r) monomial features Y^a * weights_a: column a = column (a - e_t) * Y[:, t], n r multiplications."""
    n, r = Y.shape[0], A.shape[0]
    par, var = _parents(A)
    out = np.empty((n, r), order="F")                 # column-contiguous: each step writes one column
    out[:, 0] = 1.0
    Yf = np.asfortranarray(Y)
    for i in range(1, r):
        np.multiply(out[:, par[i]], Yf[:, var[i]], out=out[:, i])
    return np.ascontiguousarray(out * weights[None, :])


def _weights(coeffs, A, fact, scale):
    deg = A.sum(axis=1)
    multinom = np.array([math.factorial(int(t)) for t in deg], dtype=float) / fact
    return np.asarray(coeffs, dtype=float)[deg] * multinom * float(scale) ** deg


def poly_factors(Q, K, coeffs, scale):
    """(U1, U2), each with r = C(d+g, g) columns (g = len(coeffs) - 1): U1 U2^T = P(scale Q K^T) entrywise."""
    Q, K = _mat("poly_factors", "Q", Q), _mat("poly_factors", "K", K)
    c = float_array(f"{_HERE}.poly_factors", "coeffs", coeffs, 1)
    if Q.shape[1] != K.shape[1]:
        raise invalid(f"{_HERE}.poly_factors", "K", f"shape {K.shape}", f"pass d = {Q.shape[1]} columns like Q")
    A, fact = _multi_indices(Q.shape[1], len(c) - 1)
    U1 = _features(Q, A, _weights(c, A, fact, scale))
    U2 = _features(K, A, np.ones(A.shape[0]))
    return U1, U2


def poly_scores(Q, K, coeffs, scale):
    U1, U2 = poly_factors(Q, K, coeffs, scale)
    return U1 @ U2.T


def poly_attention(Q, K, V, coeffs, scale):
    V = _mat("poly_attention", "V", V)
    U1, U2 = poly_factors(Q, K, coeffs, scale)
    return (U1 @ (U2.T @ V)) / (U1 @ U2.sum(axis=0))[:, None]


def perturbed_attention(Q, K, V, rel, scale):
    """D~^-1 A~ V with A~ = A o (1 + rel) (rel an (n_q, n) array of relative perturbations)."""
    Q, K, V = _mat("perturbed_attention", "Q", Q), _mat("perturbed_attention", "K", K), \
        _mat("perturbed_attention", "V", V)
    rel = _mat("perturbed_attention", "rel", rel)
    S = float(scale) * (Q @ K.T)
    E = np.exp(S - S.max(axis=1, keepdims=True)) * (1.0 + rel)
    return (E @ V) / E.sum(axis=1, keepdims=True)


# ----------------------------------------------------------------------------------------------- gradient
def _grad_parts(A1, A2, A3, E, X, Y, scale):
    F = softmax_rows(float(scale) * (A1 @ X @ A2.T))
    h = A3 @ Y
    c = F @ h - E
    return F, h, c


def gradient_loss(A1, A2, A3, E, X, Y, scale):
    args = [_mat("gradient_loss", nm, a) for nm, a in zip("A1 A2 A3 E X Y".split(), (A1, A2, A3, E, X, Y), strict=True)]
    _, _, c = _grad_parts(*args, scale)
    return 0.5 * float(np.sum(c * c))


def gradient(A1, A2, A3, E, X, Y, scale):
    A1, A2, A3, E, X, Y = [_mat("gradient", nm, a) for nm, a in zip("A1 A2 A3 E X Y".split(),
                                                                    (A1, A2, A3, E, X, Y), strict=True)]
    F, h, c = _grad_parts(A1, A2, A3, E, X, Y, scale)
    q = c @ h.T
    Fq = F * q
    p = Fq - Fq.sum(axis=1, keepdims=True) * F
    return float(scale) * (A1.T @ p @ A2)


def poly_gradient(A1, A2, A3, E, X, Y, coeffs, scale):
    """dL/dX with F replaced by F~ = D~^-1 U1 U2^T (polynomial method), never forming an n x n matrix."""
    A1, A2, A3, E, X, Y = [_mat("poly_gradient", nm, a) for nm, a in zip("A1 A2 A3 E X Y".split(),
                                                                         (A1, A2, A3, E, X, Y), strict=True)]
    U1, U2 = poly_factors(A1 @ X, A2, coeffs, scale)
    Dt = U1 @ U2.sum(axis=0)
    W1 = U1 / Dt[:, None]                                  # F~ = W1 U2^T
    h = A3 @ Y
    c = W1 @ (U2.T @ h) - E                                # F~ h - E
    rt = np.sum(c * (W1 @ (U2.T @ h)), axis=1)             # r~_j = <F~_j, c_j h^T row> = c_j . (F~ h)_j
    d = A1.shape[1]
    G = np.zeros((d, A2.shape[1]))
    for l in range(h.shape[1]):
        G += (A1 * c[:, [l]]).T @ (W1 @ (U2.T @ (A2 * h[:, [l]])))
    G -= (A1 * rt[:, None]).T @ (W1 @ (U2.T @ A2))
    return float(scale) * G


def _reduction_moments(Z, V, lam):
    S = float(lam) * Z
    W = np.exp(S - S.max(axis=1, keepdims=True))
    W /= W.sum(axis=1, keepdims=True)
    zbar = np.sum(W * Z, axis=1, keepdims=True)
    dz = Z - zbar
    T = W @ V
    T1 = (W * dz) @ V                                      # Cov_W(z, v) (sum_k W dz = 0)
    var = np.sum(W * dz * dz, axis=1, keepdims=True)
    T2 = (W * (dz * dz - var)) @ V                         # E_W[(z - zbar)^2 (v - vbar)]
    return T, T1, T2


def reduction_f(Z, V, lam):
    Z, V = _mat("reduction_f", "Z", Z), _mat("reduction_f", "V", V)
    T, _, _ = _reduction_moments(Z, V, lam)
    return float(np.sum(T * T))


def reduction_derivatives(Z, V, lam):
    """(f, f', f'') at lam for f(lam) = ||softmax_row(lam Z) V||_F^2."""
    Z, V = _mat("reduction_derivatives", "Z", Z), _mat("reduction_derivatives", "V", V)
    T, T1, T2 = _reduction_moments(Z, V, lam)
    return float(np.sum(T * T)), float(2 * np.sum(T * T1)), float(2 * np.sum(T1 * T1) + 2 * np.sum(T * T2))


def riemann_sum(Z, V, m, side="left"):
    """(1/m) sum f'(i/m) over i = 0..m-1 (left) or 1..m (right)."""
    Z, V = _mat("riemann_sum", "Z", Z), _mat("riemann_sum", "V", V)
    m = int(m)
    if m < 1 or side not in ("left", "right"):
        raise invalid(f"{_HERE}.riemann_sum", "m, side", (m, side), "pass m >= 1 and side 'left' or 'right'")
    nodes = range(m) if side == "left" else range(1, m + 1)
    return math.fsum(reduction_derivatives(Z, V, i / m)[1] for i in nodes) / m


# ----------------------------------------------------------------------------------------------- streaming
def stream_factor_sums(K, V, g, chunk, overlap=0):
    """One pass over the rows of (K, V) in chunks: (U2^T V (r, d_v), U2^T 1 (r,), floats kept).

    Kept floats: the state r (d_v + 1) plus one chunk buffer chunk (d + d_v + r); K and V are never stored."""
    K, V = _mat("stream_factor_sums", "K", K), _mat("stream_factor_sums", "V", V)
    chunk, overlap, g = int(chunk), int(overlap), int(g)
    if chunk < 1 or overlap < 0 or g < 0:
        raise invalid(f"{_HERE}.stream_factor_sums", "chunk, overlap, g", (chunk, overlap, g),
                      "pass chunk >= 1, overlap >= 0 and g >= 0")
    A, _ = _multi_indices(K.shape[1], g)
    ones = np.ones(A.shape[0])
    r, dv = A.shape[0], V.shape[1]
    Sv = np.zeros((r, dv))
    s1 = np.zeros(r)
    n = K.shape[0]
    for b in range(0, n, chunk):
        lo = max(0, b - overlap)
        U2 = _features(K[lo:b + chunk], A, ones)
        Sv += U2.T @ V[lo:b + chunk]
        s1 += U2.sum(axis=0)
    kept = r * (dv + 1) + min(chunk + overlap, n) * (K.shape[1] + dv + r)
    return Sv, s1, int(kept)


def batch_factor_sums(K, V, g):
    K, V = _mat("batch_factor_sums", "K", K), _mat("batch_factor_sums", "V", V)
    A, _ = _multi_indices(K.shape[1], int(g))
    U2 = _features(K, A, np.ones(A.shape[0]))
    return U2.T @ V, U2.sum(axis=0)


def stream_attention(Q, Sv, s1, coeffs, scale):
    """Rows of T: (U1)_i Sv / ((U1)_i s1), U1 from Q and the coefficients."""
    Q = _mat("stream_attention", "Q", Q)
    Sv = _mat("stream_attention", "Sv", Sv)
    c = float_array(f"{_HERE}.stream_attention", "coeffs", coeffs, 1)
    A, fact = _multi_indices(Q.shape[1], len(c) - 1)
    U1 = _features(Q, A, _weights(c, A, fact, scale))
    return (U1 @ Sv) / (U1 @ np.asarray(s1, dtype=float))[:, None]


def _cs_hashes(n, width, reps, seed):
    rng = np.random.default_rng(int(seed))
    return rng.integers(0, int(width), size=(int(reps), n)), rng.choice([-1.0, 1.0], size=(int(reps), n))


def countsketch_recover(y, k, width, reps, seed):
    """k-sparse estimate of y from its CountSketch (reps x width): median estimates, top-k by magnitude."""
    y = float_array(f"{_HERE}.countsketch_recover", "y", y, 1)
    n = y.size
    k = _k("countsketch_recover", k, n)
    h, s = _cs_hashes(n, width, reps, seed)
    est = np.empty((int(reps), n))
    for t in range(int(reps)):
        table = np.bincount(h[t], weights=s[t] * y, minlength=int(width))
        est[t] = s[t] * table[h[t]]
    med = np.median(est, axis=0)
    keep = np.argsort(-np.abs(med), kind="stable")[:k]
    out = np.zeros(n)
    out[keep] = med[keep]
    return out


# ----------------------------------------------------------------------------------------------- LevAttention
def _f(x, p):
    return np.abs(x) ** float(p)


def kernel_attention(Q, K, p):
    """A_ij = f(<q_i, k_j>) / sum_l f(<q_i, k_l>), f = |x|^p (p > 0) or exp (p = 0); rows with sum 0 are 0."""
    Q, K = _mat("kernel_attention", "Q", Q), _mat("kernel_attention", "K", K)
    S = Q @ K.T
    if float(p) == 0:
        return softmax_rows(S)
    F = _f(S / np.maximum(np.max(np.abs(S), axis=1, keepdims=True), 1e-300), p)
    tot = F.sum(axis=1, keepdims=True)
    return np.where(tot > 0, F / np.where(tot > 0, tot, 1.0), 0.0)


def leverage_maximisers(K, rtol=1e-12):
    """Rows y_j = (K^T K)^+ k_j (pseudo-inverse with relative cut-off rtol on the eigenvalues)."""
    K = _mat("leverage_maximisers", "K", K)
    w, U = np.linalg.eigh(K.T @ K)
    keep = w > rtol * max(float(w.max()), 1e-300)
    P = (U[:, keep] / w[keep]) @ U[:, keep].T
    return K @ P


def sensitivity_at(K, Yq, p):
    """f(<k_j, y_j>) / sum_l f(<k_l, y_j>) for each key j and its own query y_j (rows of Yq); 0 where the sum is 0."""
    K, Yq = _mat("sensitivity_at", "K", K), _mat("sensitivity_at", "Yq", Yq)
    A = kernel_attention(Yq, K, p)
    return np.ascontiguousarray(np.diag(A))


def sensitivity_maximisers(K, p, starts=8, seed=0, iters=60):
    """Local maximisers y_j of f(<k_j, y>) / sum_l f(<k_l, y>) (multistart projected gradient ascent on the unit
    sphere, the ratio being scale-invariant for |x|^p); a float64 decision returned for replay."""
    K = _mat("sensitivity_maximisers", "K", K)
    n, d = K.shape
    rng = np.random.default_rng(int(seed))
    p = float(p)
    out = leverage_maximisers(K)
    for j in range(n):
        cands = [out[j], K[j]] + [rng.standard_normal(d) for _ in range(int(starts))]
        best, best_y = -1.0, out[j]
        for y in cands:
            y = y / max(np.linalg.norm(y), 1e-300)
            step = 0.5
            val = _sens_one(K, j, y, p)
            for _ in range(int(iters)):
                s = K @ y
                f = np.abs(s) ** p
                tot = f.sum()
                if tot <= 0:
                    break
                gf = p * np.abs(s) ** (p - 1) * np.sign(s)
                grad = (gf[j] * K[j] * tot - f[j] * (gf @ K)) / tot**2
                grad -= (grad @ y) * y
                y2 = y + step * grad / max(np.linalg.norm(grad), 1e-300)
                y2 /= max(np.linalg.norm(y2), 1e-300)
                v2 = _sens_one(K, j, y2, p)
                if v2 > val:
                    y, val = y2, v2
                else:
                    step *= 0.5
                    if step < 1e-8:
                        break
            if val > best:
                best, best_y = val, y
        out[j] = best_y
    return out


def _sens_one(K, j, y, p):
    f = np.abs(K @ y) ** p
    tot = f.sum()
    return float(f[j] / tot) if tot > 0 else 0.0


def universal_set_stream(K, eps, chunk):
    """Two passes over K in chunks: Gram K^T K, then tau_j = k_j^T (K^T K)^+ k_j; keeps {j : tau_j >= eps}.

    Returns (sorted indices of U, workspace floats: d^2 Gram + one chunk (d + 1) + the kept indices)."""
    K = _mat("universal_set_stream", "K", K)
    n, d = K.shape
    chunk = int(chunk)
    G = np.zeros((d, d))
    for b in range(0, n, chunk):
        Kb = K[b:b + chunk]
        G += Kb.T @ Kb
    w, Uv = np.linalg.eigh(G)
    keep = w > 1e-12 * max(float(w.max()), 1e-300)
    P = (Uv[:, keep] / w[keep]) @ Uv[:, keep].T
    U = []
    for b in range(0, n, chunk):
        Kb = K[b:b + chunk]
        tau = np.sum((Kb @ P) * Kb, axis=1)
        U.extend((b + np.nonzero(tau >= float(eps))[0]).tolist())
    return np.array(U, dtype=np.int64), int(2 * d * d + min(chunk, n) * (d + 1) + len(U))

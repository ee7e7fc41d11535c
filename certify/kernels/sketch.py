"""Randomised sketches, leverage scores, subspace-embedding distortion and the attention kernel exp(AA^T).

float64 kernels (numba) for claims/kernel_regression.md sections 4 and 6.

Sketches (eq. (8)); ``S`` is m x n and is never formed by the fast paths:

* ``gaussian``    S_ik ~ N(0, 1/m) i.i.d.; SA by BLAS.
* ``srht``        S = sqrt(n'/m) P H D: n padded to n' = 2^ceil(log2 n) with zero rows, D random signs, H the
                  orthonormal Walsh-Hadamard matrix applied by a fast Walsh-Hadamard transform (O(n' d log n')),
                  P samples m of the n' rows uniformly (without replacement when m <= n').
* ``countsketch`` column k of S has one +-1 in row h(k); SA in O(nnz(A)) (dense or CSR).
* ``osnap``       column k of S has s entries +-1/sqrt(s) in distinct rows; SA in O(s nnz(A)).
* ``leverage``    m i.i.d. row draws with probabilities p, row i rescaled by 1/sqrt(m p_i).

Randomness: ``draw_sketch(kind, m, n, rng, ...)`` takes an int seed or a ``numpy.random.Generator`` and returns a
`Sketch` holding every random choice, so the same S can be re-applied (``apply_sketch``), formed explicitly
(``sketch_matrix``) or rebuilt in mpmath by ``certify.reference.sketch`` (which forms S entry by entry).

Attention kernel (eqs. (15)-(19)): ``attention_kernel`` (K = exp(AA^T)), ``kernel_factors`` (G and log D_A of the
factorisation K = D_A G D_A, near-duplicate safe), ``taylor_kernel`` (T_q), ``merged_features`` (Psi of eq. (16)),
``kronecker_power`` (A^{(l)}).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from itertools import combinations_with_replacement

import numba
import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp

from certify.errors import invalid
from certify.kernels._validate import float_array

__all__ = [
    "KINDS",
    "Sketch",
    "as_rng",
    "sketch_size",
    "draw_sketch",
    "apply_sketch",
    "sketch_matrix",
    "fwht",
    "leverage_scores",
    "approx_leverage_scores",
    "leverage_probs",
    "orthonormal_basis",
    "subspace_distortion",
    "attention_kernel",
    "kernel_factors",
    "taylor_kernel",
    "merged_features",
    "kronecker_power",
    "multi_indices",
]

_HERE = "kernels.sketch"
KINDS = ("gaussian", "srht", "countsketch", "osnap", "leverage")


# ----------------------------------------------------------------------------------------------------------
# validation
# ----------------------------------------------------------------------------------------------------------


def _matrix(where, name, A, allow_sparse=True, ndim=(2,)):
    """Validate a finite real dense matrix (or vector when 1 in ndim) or a scipy.sparse matrix (-> CSR)."""
    if sp.issparse(A):
        if not allow_sparse:
            raise invalid(where, name, f"sparse {type(A).__name__}", "pass a dense float64 array")
        A = sp.csr_matrix(A, dtype=np.float64)
        if not np.all(np.isfinite(A.data)):
            raise invalid(where, name, "sparse matrix with non-finite entries", "pass finite values only")
        return A
    return float_array(where, name, A, tuple(ndim))


def _posint(where, name, v, lo=1):
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)) or int(v) < lo:
        raise invalid(where, name, v, f"pass an integer >= {lo}")
    return int(v)


def as_rng(rng, where=_HERE + ".as_rng"):
    """An int seed or a numpy Generator -> Generator (a Generator is used as is, so its state advances)."""
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, (bool, np.bool_)) and int(rng) >= 0:
        return np.random.default_rng(int(rng))
    raise invalid(where, "rng", rng, "pass a non-negative int seed or a numpy.random.Generator")


# ----------------------------------------------------------------------------------------------------------
# sketch sizes (eq. (8)); constants are parameters
# ----------------------------------------------------------------------------------------------------------


def sketch_size(kind, n, d, eps0, delta, C=None, C_s=1.0, beta_tau=1.0):
    """Rows m (and s for osnap, else 1) of eq. (8) for an (eps0, delta) embedding of a d-dim subspace of R^n.

    Defaults of C: gaussian 4, srht 1, countsketch 1, osnap 1 (C_O), leverage 1 (C_L). Returns (m, s).
    """
    where = _HERE + ".sketch_size"
    if kind not in KINDS:
        raise invalid(where, "kind", kind, f"pass one of {KINDS}")
    n = _posint(where, "n", n)
    d = _posint(where, "d", d)
    if not (0 < eps0 < 1):
        raise invalid(where, "eps0", eps0, "pass 0 < eps0 < 1")
    if not (0 < delta < 1):
        raise invalid(where, "delta", delta, "pass 0 < delta < 1")
    defaults = dict(gaussian=4.0, srht=1.0, countsketch=1.0, osnap=1.0, leverage=1.0)
    C = defaults[kind] if C is None else float(C)
    s = 1
    ld = math.log(d / delta)  # ln(d/delta) as in table (8); > 0 for every d >= 1 since delta < 1
    if kind == "gaussian":
        m = C * (d + math.log(1.0 / delta)) / eps0**2
    elif kind == "srht":
        m = C / eps0**2 * (math.sqrt(d) + math.sqrt(8.0 * math.log(n / delta))) ** 2 * ld
    elif kind == "countsketch":
        m = C * d * d / (eps0**2 * delta)
    elif kind == "osnap":
        m = C * d * ld / eps0**2
        s = max(1, math.ceil(C_s * ld / eps0))
    else:
        m = C * d * ld / (beta_tau * eps0**2)
    m = max(1, math.ceil(m))
    if kind == "osnap":
        s = min(s, m)
    return m, s


# ----------------------------------------------------------------------------------------------------------
# drawing a sketch
# ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sketch:
    """Every random choice of one drawn sketch S (m x n). Plain arrays: rebuildable in any precision.

    gaussian: ``gauss`` (m, n), already scaled by 1/sqrt(m).
    srht: ``signs`` (n,), ``rows`` (m,) indices into the padded length ``n_pad``.
    countsketch: ``rows`` (n,) target row of each column, ``signs`` (n,).
    osnap: ``rows`` (n, s) distinct target rows of each column, ``signs`` (n, s); entries are signs / sqrt(s).
    leverage: ``rows`` (m,) sampled row indices, ``scale`` (m,) = 1 / sqrt(m p_row).
    """

    kind: str
    m: int
    n: int
    rows: np.ndarray | None = None
    signs: np.ndarray | None = None
    scale: np.ndarray | None = None
    gauss: np.ndarray | None = None
    n_pad: int = 0
    s: int = 1
    probs: np.ndarray | None = field(default=None, repr=False)

    @property
    def shape(self):
        return (self.m, self.n)


def draw_sketch(kind, m, n, rng, s=None, probs=None):
    """Draw S in R^{m x n} of the given kind (see module docstring); rng: int seed or numpy Generator.

    ``s`` (osnap only): non-zeros per column (default min(m, 4)). ``probs`` (leverage only): sampling
    probabilities (non-negative, normalised here); default uniform.
    """
    where = _HERE + ".draw_sketch"
    if kind not in KINDS:
        raise invalid(where, "kind", kind, f"pass one of {KINDS}")
    m = _posint(where, "m", m)
    n = _posint(where, "n", n)
    g = as_rng(rng, where)
    if kind == "gaussian":
        return Sketch(kind, m, n, gauss=g.standard_normal((m, n)) / math.sqrt(m))
    if kind == "srht":
        n_pad = 1 << max(0, (n - 1).bit_length())
        signs = g.choice(np.array([-1.0, 1.0]), size=n)
        rows = g.choice(n_pad, size=m, replace=m > n_pad)
        return Sketch(kind, m, n, rows=rows.astype(np.int64), signs=signs, n_pad=n_pad)
    if kind == "countsketch":
        rows = g.integers(0, m, size=n).astype(np.int64)
        signs = g.choice(np.array([-1.0, 1.0]), size=n)
        return Sketch(kind, m, n, rows=rows, signs=signs)
    if kind == "osnap":
        s = min(m, 4) if s is None else _posint(where, "s", s)
        if s > m:
            raise invalid(where, "s", s, f"pass s <= m = {m}")
        # s distinct rows per column: draw with replacement, redraw the columns that have a repeat (vectorised)
        if s == m:
            rows = np.tile(np.arange(m, dtype=np.int64), (n, 1))
        else:
            rows = g.integers(0, m, size=(n, s))
            while True:
                srt = np.sort(rows, axis=1)
                bad = np.nonzero(np.any(srt[:, 1:] == srt[:, :-1], axis=1))[0]
                if bad.size == 0:
                    break
                rows[bad] = g.integers(0, m, size=(bad.size, s))
        signs = g.choice(np.array([-1.0, 1.0]), size=(n, s))
        return Sketch(kind, m, n, rows=np.ascontiguousarray(rows, dtype=np.int64), signs=signs, s=s)
    # leverage-score (or uniform) row sampling
    if probs is None:
        p = np.full(n, 1.0 / n)
    else:
        p = _matrix(where, "probs", probs, allow_sparse=False, ndim=(1,))
        if p.shape != (n,) or np.any(p < 0) or p.sum() <= 0:
            raise invalid(where, "probs", f"shape {p.shape}, min {p.min():.3g}, sum {p.sum():.3g}",
                          f"pass n = {n} non-negative probabilities with a positive sum")
        p = p / p.sum()
    rows = g.choice(n, size=m, replace=True, p=p).astype(np.int64)
    scale = 1.0 / np.sqrt(m * p[rows])
    return Sketch(kind, m, n, rows=rows, scale=scale, probs=p)


def _check_sketch(where, sk, n):
    if not isinstance(sk, Sketch):
        raise invalid(where, "sk", type(sk).__name__, "pass a Sketch from draw_sketch")
    if sk.n != n:
        raise invalid(where, "A", f"{n} rows", f"the sketch was drawn for n = {sk.n} rows; redraw it")


# ----------------------------------------------------------------------------------------------------------
# numba kernels
# ----------------------------------------------------------------------------------------------------------


@numba.njit(cache=True)
def _fwht_rows_inplace(X):
    """Unnormalised Walsh-Hadamard transform along axis 0 of a C-contiguous (2^k, d) array, in place."""
    npad, d = X.shape
    h = 1
    while h < npad:
        for i in range(0, npad, 2 * h):
            for j in range(i, i + h):
                for c in range(d):
                    a = X[j, c]
                    b = X[j + h, c]
                    X[j, c] = a + b
                    X[j + h, c] = a - b
        h *= 2


@numba.njit(cache=True)
def _srht_dense(A, signs, rows, npad, scale):
    n, d = A.shape
    X = np.zeros((npad, d))
    for i in range(n):
        for c in range(d):
            X[i, c] = signs[i] * A[i, c]
    _fwht_rows_inplace(X)
    m = rows.shape[0]
    out = np.empty((m, d))
    for r in range(m):
        for c in range(d):
            out[r, c] = scale * X[rows[r], c]
    return out


@numba.njit(cache=True)
def _srht_csr(indptr, indices, data, d, signs, rows, npad, scale):
    n = indptr.shape[0] - 1
    X = np.zeros((npad, d))
    for i in range(n):
        for p in range(indptr[i], indptr[i + 1]):
            X[i, indices[p]] += signs[i] * data[p]
    _fwht_rows_inplace(X)
    m = rows.shape[0]
    out = np.empty((m, d))
    for r in range(m):
        for c in range(d):
            out[r, c] = scale * X[rows[r], c]
    return out


@numba.njit(cache=True)
def _hash_dense(A, rows, signs, m, w):
    """out[rows[k, t]] += w * signs[k, t] * A[k] for every column k of S and each of its t < s entries."""
    n, d = A.shape
    s = rows.shape[1]
    out = np.zeros((m, d))
    for k in range(n):
        for t in range(s):
            r = rows[k, t]
            sg = w * signs[k, t]
            for c in range(d):
                out[r, c] += sg * A[k, c]
    return out


@numba.njit(cache=True)
def _hash_csr(indptr, indices, data, d, rows, signs, m, w):
    n = indptr.shape[0] - 1
    s = rows.shape[1]
    out = np.zeros((m, d))
    for k in range(n):
        for t in range(s):
            r = rows[k, t]
            sg = w * signs[k, t]
            for p in range(indptr[k], indptr[k + 1]):
                out[r, indices[p]] += sg * data[p]
    return out


@numba.njit(cache=True)
def _sample_csr(indptr, indices, data, d, rows, scale):
    m = rows.shape[0]
    out = np.zeros((m, d))
    for r in range(m):
        i = rows[r]
        for p in range(indptr[i], indptr[i + 1]):
            out[r, indices[p]] += scale[r] * data[p]
    return out


@numba.njit(cache=True)
def _gauss_kernel(A):
    """G_ik = exp(-||a_i - a_k||^2 / 2) from explicit differences (exact zero distance for duplicates)."""
    n, d = A.shape
    G = np.empty((n, n))
    for i in range(n):
        G[i, i] = 1.0
        for k in range(i):
            acc = 0.0
            for c in range(d):
                t = A[i, c] - A[k, c]
                acc += t * t
            v = math.exp(-0.5 * acc)
            G[i, k] = v
            G[k, i] = v
    return G


@numba.njit(cache=True)
def _taylor_entrywise(M, q):
    """T_q = sum_{l<=q} M^{o l} / l! entrywise by Horner's rule."""
    n1, n2 = M.shape
    T = np.empty((n1, n2))
    for i in range(n1):
        for k in range(n2):
            x = M[i, k]
            acc = 1.0
            for l in range(q, 0, -1):
                acc = 1.0 + acc * x / l
            T[i, k] = acc
    return T


# ----------------------------------------------------------------------------------------------------------
# public sketch functions
# ----------------------------------------------------------------------------------------------------------


def fwht(x):
    """Orthonormal Walsh-Hadamard transform H x along axis 0; len(x) must be a power of two. H is symmetric,
    H_ij = (-1)^{popcount(i & j)} / sqrt(n)."""
    where = _HERE + ".fwht"
    a = _matrix(where, "x", x, allow_sparse=False, ndim=(1, 2))
    n = a.shape[0]
    if n & (n - 1):
        raise invalid(where, "x", f"length {n}", "pad axis 0 to a power of two (SRHT pads with zero rows)")
    X = a.reshape(n, -1).copy()
    _fwht_rows_inplace(X)
    X /= math.sqrt(n)
    return X.reshape(a.shape)


def apply_sketch(sk, A):
    """S A for a dense (n,) / (n, d) array or a scipy.sparse matrix (CSR paths run in O(nnz) for countsketch,
    O(s nnz) for osnap, O(nnz of sampled rows) for leverage). Returns a dense float64 array."""
    where = _HERE + ".apply_sketch"
    A = _matrix(where, "A", A, ndim=(1, 2))
    vec = (not sp.issparse(A)) and A.ndim == 1
    if vec:
        A = A.reshape(-1, 1)
    _check_sketch(where, sk, A.shape[0])
    d = A.shape[1]
    csr = sp.issparse(A)
    if csr:
        A.sort_indices()
        ip, ix, dt = A.indptr.astype(np.int64), A.indices.astype(np.int64), A.data
    if sk.kind == "gaussian":
        out = np.asarray(A.T @ sk.gauss.T).T if csr else sk.gauss @ A
    elif sk.kind == "srht":
        scale = math.sqrt(sk.n_pad / sk.m) / math.sqrt(sk.n_pad)
        out = (_srht_csr(ip, ix, dt, d, sk.signs, sk.rows, sk.n_pad, scale) if csr
               else _srht_dense(A, sk.signs, sk.rows, sk.n_pad, scale))
    elif sk.kind in ("countsketch", "osnap"):
        rows = sk.rows.reshape(sk.n, -1)
        signs = sk.signs.reshape(sk.n, -1)
        w = 1.0 / math.sqrt(rows.shape[1])
        out = _hash_csr(ip, ix, dt, d, rows, signs, sk.m, w) if csr else _hash_dense(A, rows, signs, sk.m, w)
    else:
        out = _sample_csr(ip, ix, dt, d, sk.rows, sk.scale) if csr else A[sk.rows] * sk.scale[:, None]
    out = np.ascontiguousarray(out, dtype=np.float64)
    return out[:, 0] if vec else out


def sketch_matrix(sk):
    """S as an explicit dense (m, n) float64 array (for small n: tests and claims)."""
    where = _HERE + ".sketch_matrix"
    if not isinstance(sk, Sketch):
        raise invalid(where, "sk", type(sk).__name__, "pass a Sketch from draw_sketch")
    if sk.m * sk.n > 50_000_000:
        raise invalid(where, "sk", f"shape {sk.shape}", "form S explicitly only for m*n <= 5e7; use apply_sketch")
    return apply_sketch(sk, np.eye(sk.n))


# ----------------------------------------------------------------------------------------------------------
# leverage scores, subspace embedding distortion
# ----------------------------------------------------------------------------------------------------------


def orthonormal_basis(A, rtol=None):
    """Orthonormal basis U (n x r) of col(A), r the numerical rank (thin QR, SVD fallback when rank-deficient)."""
    where = _HERE + ".orthonormal_basis"
    A = _matrix(where, "A", A)
    if sp.issparse(A):
        A = A.toarray()
    n, d = A.shape
    rtol = max(n, d) * np.finfo(float).eps if rtol is None else float(rtol)
    if n >= d:
        Q, R = np.linalg.qr(A)
        dg = np.abs(np.diag(R))
        if dg.size and dg.min() > rtol * max(dg.max(), np.finfo(float).tiny) * 10:
            return Q
    U, sv, _ = np.linalg.svd(A, full_matrices=False)
    r = int(np.sum(sv > rtol * sv[0])) if sv.size and sv[0] > 0 else 0
    return U[:, :r]


def leverage_scores(A, rtol=None):
    """Exact leverage scores tau_i = a_i^T (A^T A)^+ a_i = ||U_i||^2 (U orthonormal basis of col(A))."""
    U = orthonormal_basis(A, rtol)
    return np.einsum("ij,ij->i", U, U)


def approx_leverage_scores(A, rng, m=None, k=None):
    """Approximate leverage scores (Drineas et al. 2012): R from the QR of S1 A (S1 a countsketch with m rows,
    default 4 d^2 capped at 20 d + 200), then tau~_i = ||a_i^T R^{-1} G||^2 with G (d x k) i.i.d. N(0, 1/k),
    default k = ceil(8 ln n) + 8. Cost O(nnz(A) + d^3 + nnz(A) k). A must have full column rank.
    R is normalised to a positive diagonal (the unique R = chol((S1A)^T S1A)^T)."""
    where = _HERE + ".approx_leverage_scores"
    A = _matrix(where, "A", A)
    n, d = A.shape
    g = as_rng(rng, where)
    m = min(4 * d * d, 20 * d + 200) if m is None else _posint(where, "m", m)
    k = math.ceil(8 * math.log(max(n, 2))) + 8 if k is None else _posint(where, "k", k)
    if m < d:
        raise invalid(where, "m", m, f"pass m >= d = {d}")
    sk = draw_sketch("countsketch", m, n, g)
    G = g.standard_normal((d, k)) / math.sqrt(k)
    SA = apply_sketch(sk, A)
    R = np.linalg.qr(SA, mode="r")
    sgn = np.sign(np.diag(R))
    if np.any(sgn == 0) or np.min(np.abs(np.diag(R))) <= 1e-14 * np.max(np.abs(np.diag(R))):
        raise invalid(where, "A", "rank-deficient sketch S1 A", "pass A with full column rank (or a larger m)")
    R = R * sgn[:, None]
    W = sla.solve_triangular(R, G, lower=False)
    Y = np.asarray(A @ W)
    return np.einsum("ij,ij->i", Y, Y)


def leverage_probs(tau, beta_tau=1.0):
    """Sampling probabilities p_i = tau_i / sum(tau) (>= tau_i / (beta_tau d) when tau is a beta-approximation)."""
    where = _HERE + ".leverage_probs"
    t = _matrix(where, "tau", tau, allow_sparse=False, ndim=(1,))
    if np.any(t < 0):
        raise invalid(where, "tau", f"min {t.min()}", "pass non-negative scores")
    s = t.sum()
    return np.full(t.size, 1.0 / t.size) if s == 0 else t / s


def subspace_distortion(sk, A):
    """eps0_meas = ||U^T S^T S U - I||_2 = max_i |sigma_i(S U)^2 - 1| (= 1 when m < rank)."""
    where = _HERE + ".subspace_distortion"
    A = _matrix(where, "A", A)
    _check_sketch(where, sk, A.shape[0])
    U = orthonormal_basis(A)
    r = U.shape[1]
    if r == 0:
        return 0.0
    sv = np.linalg.svd(apply_sketch(sk, U), compute_uv=False)
    dev = np.abs(sv**2 - 1.0)
    out = float(dev.max())
    if sv.size < r:
        out = max(out, 1.0)
    return out


# ----------------------------------------------------------------------------------------------------------
# the attention kernel exp(A A^T)
# ----------------------------------------------------------------------------------------------------------


def attention_kernel(A):
    """K = exp(A A^T) (entrywise), computed as D_A G D_A (eq. (15)); overflows to inf when ||a_i||^2 > ~709
    (use kernel_factors there)."""
    G, logd = kernel_factors(A)
    with np.errstate(over="ignore"):
        D = np.exp(logd)
        return D[:, None] * G * D[None, :]


def kernel_factors(A):
    """(G, log D_A): G_ik = exp(-||a_i - a_k||^2/2) from explicit differences, log D_A = ||a_i||^2 / 2."""
    where = _HERE + ".kernel_factors"
    A = _matrix(where, "A", A, allow_sparse=False)
    return _gauss_kernel(A), 0.5 * np.einsum("ij,ij->i", A, A)


def taylor_kernel(A, q):
    """T_q = sum_{l=0}^q (A A^T)^{o l} / l! (entrywise Horner)."""
    where = _HERE + ".taylor_kernel"
    A = _matrix(where, "A", A, allow_sparse=False)
    q = _posint(where, "q", q, lo=0)
    return _taylor_entrywise(A @ A.T, q)


def multi_indices(d, l):
    """Exponent vectors alpha (|alpha| = l) in the column order used by merged_features; C(d+l-1, l) of them."""
    out = []
    for comb in combinations_with_replacement(range(d), l):
        alpha = [0] * d
        for c in comb:
            alpha[c] += 1
        out.append(tuple(alpha))
    return out


def merged_features(A, q):
    """Phi_q = [Psi_0, Psi_1/sqrt(1!), ..., Psi_q/sqrt(q!)] with Psi_l[i, alpha] = sqrt(multinomial(l; alpha))
    a_i^alpha; C(d+q, q) columns; Phi_q Phi_q^T = T_q (eq. (16))."""
    where = _HERE + ".merged_features"
    A = _matrix(where, "A", A, allow_sparse=False)
    q = _posint(where, "q", q, lo=0)
    n, d = A.shape
    if math.comb(d + q, q) * n > 20_000_000:
        raise invalid(where, "q", q, f"C(d+q, q) = {math.comb(d + q, q)} columns is too many; lower q or d")
    cols = []
    for l in range(q + 1):
        for alpha in multi_indices(d, l):
            coef = math.factorial(l)
            for a in alpha:
                coef //= math.factorial(a)
            col = np.full(n, math.sqrt(coef / math.factorial(l)))
            for c, a in enumerate(alpha):
                if a:
                    col = col * A[:, c] ** a
            cols.append(col)
    return np.column_stack(cols)


def kronecker_power(A, l):
    """A^{(l)}: row i = a_i (x) ... (x) a_i (l times, row-major Kronecker); A^{(0)} = 1_n. Shape (n, d^l)."""
    where = _HERE + ".kronecker_power"
    A = _matrix(where, "A", A, allow_sparse=False)
    l = _posint(where, "l", l, lo=0)
    n, d = A.shape
    if d**l * n > 20_000_000:
        raise invalid(where, "l", l, f"d^l = {d**l} columns is too many; lower l")
    out = np.ones((n, 1))
    for _ in range(l):
        out = (out[:, :, None] * A[:, None, :]).reshape(n, -1)
    return out

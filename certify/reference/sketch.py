"""mpmath twin of `certify.kernels.sketch` (same names and arguments, `mpm` first).

Independent routes:

* Sketches are formed EXPLICITLY as m x n matrices of mpf, entry by entry, from the drawn random choices
  (Walsh-Hadamard entries by the closed form H_ij = (-1)^{popcount(i & j)} / sqrt(n'), never by a fast
  transform), then multiplied with A.
* Leverage scores by the definition tau_i = a_i^T (A^T A)^+ a_i (mpmath eigendecomposition of A^T A).
* Approximate leverage scores: R from the Cholesky factor of (S1 A)^T (S1 A) (the kernel uses Householder QR).
* Distortion ||U^T S^T S U - I|| by the generalised eigenvalues of ((SA)^T SA, A^T A) via Cholesky of A^T A
  (full column rank), or an mpmath SVD basis when A is rank-deficient (the kernel uses QR + SVD of SU).
* exp(AA^T) entrywise from the inner products (the kernel uses the factorisation D_A G D_A); T_q by summing
  powers; merged features with coefficients 1 / sqrt(prod alpha_c!); Kronecker powers by base-d digit indexing.

The random draws themselves (``draw_sketch``, ``as_rng``, ``multi_indices``) are shared with the kernel: they are
the input of both computations, not a computation to check.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp

from certify.errors import invalid
from certify.kernels import sketch as _k
from certify.reference._mparray import from_matrix, mp_zeros, to_matrix, to_mp

__all__ = list(_k.__all__)

KINDS = _k.KINDS
Sketch = _k.Sketch
_HERE = "reference.sketch"


def as_rng(mpm, rng):
    return _k.as_rng(rng)


def sketch_size(mpm, kind, n, d, eps0, delta, C=None, C_s=1.0, beta_tau=1.0):
    return _k.sketch_size(kind, int(n), int(d), float(eps0), float(delta), C=C, C_s=C_s, beta_tau=beta_tau)


def draw_sketch(mpm, kind, m, n, rng, s=None, probs=None):
    if probs is not None:
        probs = np.array([float(p) for p in np.asarray(probs).reshape(-1)])
    return _k.draw_sketch(kind, m, n, rng, s=s, probs=probs)


def multi_indices(mpm, d, l):
    return _k.multi_indices(d, l)


def _mp(mpm, A, where, name="A"):
    if sp.issparse(A):
        A = A.toarray()
    A = np.asarray(A)
    if A.ndim not in (1, 2) or A.size == 0:
        raise invalid(where, name, f"shape {A.shape}", "pass a non-empty 1-D or 2-D array")
    return to_mp(mpm, A)


def _popcount(x):
    return bin(x).count("1")


def sketch_matrix(mpm, sk):
    """S (m x n) as an object array of mpf, built entry by entry from the draw."""
    m, n = sk.m, sk.n
    S = mp_zeros(mpm, (m, n))
    if sk.kind == "gaussian":
        for i in range(m):
            for k in range(n):
                S[i, k] = mpm.mpf(float(sk.gauss[i, k]))  # the drawn (already scaled) float entries
    elif sk.kind == "srht":
        c = mpm.sqrt(mpm.mpf(sk.n_pad) / m) / mpm.sqrt(sk.n_pad)
        for i in range(m):
            r = int(sk.rows[i])
            for k in range(n):
                S[i, k] = c * (-1) ** _popcount(r & k) * int(sk.signs[k])
    elif sk.kind in ("countsketch", "osnap"):
        rows = np.asarray(sk.rows).reshape(n, -1)
        signs = np.asarray(sk.signs).reshape(n, -1)
        w = 1 / mpm.sqrt(rows.shape[1])
        for k in range(n):
            for t in range(rows.shape[1]):
                S[int(rows[k, t]), k] += w * int(signs[k, t])
    else:
        for i in range(m):
            r = int(sk.rows[i])
            # scale = 1 / sqrt(m p_r), recomputed from the probabilities in high precision
            S[i, r] += 1 / mpm.sqrt(m * mpm.mpf(float(sk.probs[r])))
    return S


def apply_sketch(mpm, sk, A):
    where = _HERE + ".apply_sketch"
    A = _mp(mpm, A, where)
    if A.shape[0] != sk.n:
        raise invalid(where, "A", f"{A.shape[0]} rows", f"the sketch was drawn for n = {sk.n} rows")
    return sketch_matrix(mpm, sk) @ A


def fwht(mpm, x):
    where = _HERE + ".fwht"
    X = _mp(mpm, x, where, "x")
    n = X.shape[0]
    if n & (n - 1):
        raise invalid(where, "x", f"length {n}", "pad axis 0 to a power of two")
    H = mp_zeros(mpm, (n, n))
    c = 1 / mpm.sqrt(n)
    for i in range(n):
        for k in range(n):
            H[i, k] = c * (-1) ** _popcount(i & k)
    return H @ X


def _pinv_psd(mpm, M, rtol=None):
    """Moore-Penrose inverse of a symmetric PSD (Gram) mpf matrix by eigendecomposition; eigenvalues below
    rtol^2 times the largest are dropped (rtol relative to the singular values of the factor)."""
    E, Q = mpm.eigsy(to_matrix(mpm, M))
    r = M.shape[0]
    lam = [E[i] for i in range(r)]
    top = max(abs(v) for v in lam) if lam else 0
    # a given rtol is relative to singular values (sigma_i > rtol sigma_1), as in the float64 kernels
    tol = (mpm.mpf(10) ** (-(2 * mpm.dps // 3)) if rtol is None else mpm.mpf(rtol) ** 2) * top
    Qn = from_matrix(Q)
    P = mp_zeros(mpm, (r, r))
    for i in range(r):
        if lam[i] > tol:
            v = Qn[:, i]
            P = P + np.outer(v, v) / lam[i]
    return P


def leverage_scores(mpm, A, rtol=None):
    A = _mp(mpm, A, _HERE + ".leverage_scores")
    P = _pinv_psd(mpm, A.T @ A, rtol)
    return np.array([A[i] @ P @ A[i] for i in range(A.shape[0])], dtype=object)


def approx_leverage_scores(mpm, A, rng, m=None, k=None):
    where = _HERE + ".approx_leverage_scores"
    Af = np.asarray(A.toarray() if sp.issparse(A) else A)
    n, d = Af.shape
    g = _k.as_rng(rng)
    m = min(4 * d * d, 20 * d + 200) if m is None else int(m)
    k = math.ceil(8 * math.log(max(n, 2))) + 8 if k is None else int(k)
    sk = _k.draw_sketch("countsketch", m, n, g)           # same draws, same order as the kernel
    G = to_mp(mpm, g.standard_normal((d, k))) / mpm.sqrt(k)
    Am = _mp(mpm, Af, where)
    SA = apply_sketch(mpm, sk, Am)
    L = mpm.cholesky(to_matrix(mpm, SA.T @ SA))             # R = L^T, positive diagonal
    W = from_matrix(mpm.inverse(L.T) * to_matrix(mpm, G), (d, k))
    Y = Am @ W
    return np.array([sum(v * v for v in Y[i]) for i in range(n)], dtype=object)


def leverage_probs(mpm, tau, beta_tau=1.0):
    t = _mp(mpm, tau, _HERE + ".leverage_probs", "tau")
    s = sum(t)
    if s == 0:
        return np.array([mpm.mpf(1) / t.size] * t.size, dtype=object)
    return t / s


def orthonormal_basis(mpm, A, rtol=None):
    A = _mp(mpm, A, _HERE + ".orthonormal_basis")
    n, d = A.shape
    U, S, V = mpm.svd_r(to_matrix(mpm, A), full_matrices=False)
    sv = [S[i] for i in range(min(n, d))]
    cut = (mpm.mpf(10) ** (-(2 * mpm.dps // 3)) if rtol is None else mpm.mpf(rtol)) * (sv[0] if sv else 0)
    r = sum(1 for v in sv if v > cut)
    return from_matrix(U)[:, :r]


def subspace_distortion(mpm, sk, A):
    where = _HERE + ".subspace_distortion"
    A = _mp(mpm, A, where)
    n, d = A.shape
    SA = apply_sketch(mpm, sk, A)
    try:
        L = mpm.cholesky(to_matrix(mpm, A.T @ A))
        Li = mpm.inverse(L)
        M = Li * to_matrix(mpm, SA.T @ SA) * Li.T
    except (ZeroDivisionError, ValueError):
        U = orthonormal_basis(mpm, A)
        if U.shape[1] == 0:
            return mpm.mpf(0)
        SU = apply_sketch(mpm, sk, U)
        M = to_matrix(mpm, SU.T @ SU)
    M = (M + M.T) / 2
    E = mpm.eigsy(M, eigvals_only=True)
    return max(abs(E[i] - 1) for i in range(M.rows))


def attention_kernel(mpm, A):
    A = _mp(mpm, A, _HERE + ".attention_kernel")
    n = A.shape[0]
    K = mp_zeros(mpm, (n, n))
    for i in range(n):
        for k in range(n):
            K[i, k] = mpm.exp(mpm.fsum(A[i, c] * A[k, c] for c in range(A.shape[1])))
    return K


def kernel_factors(mpm, A):
    A = _mp(mpm, A, _HERE + ".kernel_factors")
    n, d = A.shape
    G = mp_zeros(mpm, (n, n))
    for i in range(n):
        for k in range(n):
            G[i, k] = mpm.exp(-mpm.fsum((A[i, c] - A[k, c]) ** 2 for c in range(d)) / 2)
    logd = np.array([mpm.fsum(A[i, c] ** 2 for c in range(d)) / 2 for i in range(n)], dtype=object)
    return G, logd


def taylor_kernel(mpm, A, q):
    A = _mp(mpm, A, _HERE + ".taylor_kernel")
    M = A @ A.T
    n = M.shape[0]
    T = mp_zeros(mpm, (n, n))
    P = mp_zeros(mpm, M.shape)
    P[...] = mpm.mpf(1)
    for l in range(int(q) + 1):
        if l > 0:
            P = P * M
        T = T + P / mpm.factorial(l)
    return T


def merged_features(mpm, A, q):
    A = _mp(mpm, A, _HERE + ".merged_features")
    n, d = A.shape
    cols = []
    for l in range(int(q) + 1):
        for alpha in _k.multi_indices(d, l):
            c = 1 / mpm.sqrt(mpm.fprod(mpm.factorial(a) for a in alpha))
            cols.append([c * mpm.fprod(A[i, t] ** alpha[t] for t in range(d)) for i in range(n)])
    out = np.empty((n, len(cols)), dtype=object)
    for j, col in enumerate(cols):
        out[:, j] = col
    return out


def kronecker_power(mpm, A, l):
    A = _mp(mpm, A, _HERE + ".kronecker_power")
    n, d = A.shape
    l = int(l)
    out = np.empty((n, d**l), dtype=object)
    for i in range(n):
        for idx in range(d**l):
            v, x = mpm.mpf(1), idx
            for _ in range(l):           # row-major: the last factor varies fastest
                v *= A[i, x % d]
                x //= d
            out[i, idx] = v
    return out

"""Attention regression (arXiv 2309.07418) in float64: loss, gradients and Hessians in x = vec(X) and y = vec(Y).

Problem (claims/attention_regression.md section 4), row-major vec everywhere:

    Z = s * A1 X A2^T (logit scale s),  S = softmax_row(Z),  V = A3 Y,  C = S V - B,
    L_half = 1/2 ||C||_F^2,   L = ||C||_F^2  (objective "squared", the abstract's form; the default).

Regularisers (section 4.9) are added unscaled to either objective:
    reg_x: "none" | "ridge" (lam_x/2 ||x||^2) | "kron_weighted" (1/2 sum_jk w_x[j,k]^2 (A1 X A2^T)_jk^2),
    reg_y: "none" | "ridge" (lam_y/2 ||Y||_F^2) | "weighted" (1/2 ||diag(w_y) A3 Y||_F^2).

The structured Hessian H_xx never forms the n^2 x d^2 Kronecker matrix (eq. (14)):

    H_xx = s^2 sum_j (a_j a_j^T) (x) M_j,   M_j = A2^T B_j A2,   B_j = J_j V V^T J_j + Gamma(f_j, q_j),

    A2^T J_j V        = [S @ (A2 (x)_row V)]_j - (A2^T f_j)(V^T f_j)^T          (one n x n x d^2 matmul)
    A2^T Gamma_j A2   = [Omega @ (A2 (x)_row A2)]_j - t_j p_j^T - p_j t_j^T      (one n x n x d^2 matmul)

with Omega = S o W, W_jk = q_jk - <f_j, q_j> (centred stably), Q = C V^T, p_j = A2^T f_j, t_j = A2^T (f_j o w_j);
then H_xx[(p,q),(p',q')] = (P Q)[(p,p'),(q,q')] with P = (A1 (x)_row A1)^T (d^2 x n) and Q = [M_j] (n x d^2):
one T_mat(d^2, n, d^2) product (only the rows p <= p' are computed, the rest by symmetry).

The literal Kronecker forms ``*_kron`` build A = A1 (x) A2 explicitly and sum eq. (5) / (12) / (14) block by
block; they exist for checking and benchmarking at small sizes only.
"""

from __future__ import annotations

import numba
import numpy as np

from certify.errors import invalid
from certify.kernels._validate import float_array
from certify.kernels.softmax import (
    _curvature_kernel,
    _jacobian_kernel,
    _softmax_into,
)

__all__ = [
    "logits",
    "attention_matrix",
    "residual",
    "loss",
    "loss_kron",
    "grad_x",
    "grad_y",
    "grad_x_kron",
    "b_blocks",
    "hessian_xx",
    "hessian_xx_kron",
    "hessian_yy",
    "hessian_xy",
    "hessian",
    "reg_x_value",
    "reg_x_grad",
    "reg_x_hessian",
    "reg_y_value",
    "reg_y_grad",
    "reg_y_hessian",
]

_HERE = "kernels.attention"
OBJECTIVES = ("squared", "half_squared", "norm")
REG_X = ("none", "ridge", "kron_weighted")
REG_Y = ("none", "ridge", "weighted")
KRON_MAX_ENTRIES = 40_000_000  # the literal n^2 x d^2 matrix is refused beyond this (320 MB)


# ----------------------------------------------------------------------------------------------------------
# validation
# ----------------------------------------------------------------------------------------------------------


def _check_data(where, A1, A2, A3=None, B=None, X=None, Y=None):
    A1 = float_array(where, "A1", A1, 2)
    n, d = A1.shape
    A2 = float_array(where, "A2", A2, 2)
    if A2.shape != (n, d):
        raise invalid(where, "A2", f"shape {A2.shape}", f"pass shape {(n, d)} like A1")
    out = [A1, A2]
    for name, M, shape in (("A3", A3, (n, d)), ("B", B, (n, d)), ("X", X, (d, d)), ("Y", Y, (d, d))):
        if M is None:
            out.append(None)
            continue
        M = float_array(where, name, M, 2)
        if M.shape != shape:
            raise invalid(where, name, f"shape {M.shape}", f"pass shape {shape} (A1 is {n}x{d})")
        out.append(M)
    return out


def _scalar(where, name, value, positive=False, nonneg=False):
    try:
        v = float(value)
    except Exception:
        raise invalid(where, name, value, "pass a real number") from None
    if not np.isfinite(v) or (positive and v <= 0) or (nonneg and v < 0):
        need = "a positive" if positive else ("a non-negative" if nonneg else "a finite")
        raise invalid(where, name, value, f"pass {need} finite number")
    return v


def _objective_factor(where, objective, derivative):
    if objective not in OBJECTIVES:
        raise invalid(where, "objective", objective, f"use one of {OBJECTIVES}")
    if objective == "norm" and derivative:
        raise invalid(where, "objective", objective,
                      "derivatives are offered for 'squared' and 'half_squared' only (same minimisers)")
    return 2.0 if objective == "squared" else 1.0


class _Reg:
    __slots__ = ("reg_x", "lam_x", "Omega", "reg_y", "lam_y", "wy2")


def _check_reg(where, n, reg_x, lam_x, w_x, reg_y, lam_y, w_y):
    r = _Reg()
    if reg_x not in REG_X:
        raise invalid(where, "reg_x", reg_x, f"use one of {REG_X}")
    if reg_y not in REG_Y:
        raise invalid(where, "reg_y", reg_y, f"use one of {REG_Y}")
    r.reg_x, r.reg_y = reg_x, reg_y
    r.lam_x = _scalar(where, "lam_x", lam_x, nonneg=True)
    r.lam_y = _scalar(where, "lam_y", lam_y, nonneg=True)
    r.Omega = None
    r.wy2 = None
    if reg_x == "kron_weighted":
        if w_x is None:
            raise invalid(where, "w_x", None, f"pass weights of shape ({n}, {n}) or ({n * n},) for reg_x='kron_weighted'")
        w = float_array(where, "w_x", w_x, np.ndim(w_x))
        if w.size != n * n or w.ndim not in (1, 2) or (w.ndim == 2 and w.shape != (n, n)):
            raise invalid(where, "w_x", f"shape {w.shape}", f"pass weights of shape ({n}, {n}) or ({n * n},)")
        r.Omega = np.ascontiguousarray((w * w).reshape(n, n))
    if reg_y == "weighted":
        if w_y is None:
            raise invalid(where, "w_y", None, f"pass weights of shape ({n},) for reg_y='weighted'")
        w = float_array(where, "w_y", w_y, 1)
        if w.shape != (n,):
            raise invalid(where, "w_y", f"shape {w.shape}", f"pass weights of shape ({n},)")
        r.wy2 = w * w
    return r


# ----------------------------------------------------------------------------------------------------------
# jitted kernels (small, typed, pure)
# ----------------------------------------------------------------------------------------------------------


@numba.njit(cache=True)
def _omega_kernel(S, Q, out):
    """out = S o W with W_jk = Q_jk - <S_j, Q_j>, centred after a shift by Q at argmax_k S_jk (stable)."""
    n, m = S.shape
    for j in range(n):
        ref = 0
        for k in range(1, m):
            if S[j, k] > S[j, ref]:
                ref = k
        c = Q[j, ref]
        s = 0.0
        for k in range(m):
            s += S[j, k] * (Q[j, k] - c)
        for k in range(m):
            out[j, k] = S[j, k] * ((Q[j, k] - c) - s)


@numba.njit(cache=True)
def _assemble_blocks(Ub, G2, P, T, out):
    """M_j = U_j U_j^T + G2_j - t_j p_j^T - p_j t_j^T (U_j = A2^T J_j V); all blocks d x d, symmetrised."""
    n, d, _ = Ub.shape
    for j in range(n):
        U = Ub[j]
        for a in range(d):
            for b in range(a, d):
                acc = 0.0
                for c in range(d):
                    acc += U[a, c] * U[b, c]
                g = 0.5 * (G2[j, a, b] + G2[j, b, a])
                v = acc + g - T[j, a] * P[j, b] - P[j, a] * T[j, b]
                out[j, a, b] = v
                out[j, b, a] = v


@numba.njit(cache=True)
def _cov_blocks(S, A, Vm, rows, out):
    """out[j] = A^T J(f_j) Vm = sum_k f_k (a_k - a_t)(v_k - v_t)^T - (sum_k f_k (a_k - a_t))(sum_k f_k (v_k - v_t))^T
    for j in rows, with t = argmax_k f_jk (f_j = S[j]). Shift-invariant covariance form: no O(1) cancellation
    when f_j is saturated (then the result is O(1 - f_t))."""
    n = S.shape[1]
    da = A.shape[1]
    dv = Vm.shape[1]
    ma = np.empty(da)
    mv = np.empty(dv)
    for r in range(rows.shape[0]):
        j = rows[r]
        t = 0
        for k in range(1, n):
            if S[j, k] > S[j, t]:
                t = k
        for a in range(da):
            ma[a] = 0.0
            for b in range(dv):
                out[j, a, b] = 0.0
        for b in range(dv):
            mv[b] = 0.0
        for k in range(n):
            f = S[j, k]
            if f == 0.0 or k == t:
                continue
            for a in range(da):
                fa = f * (A[k, a] - A[t, a])
                ma[a] += fa
                for b in range(dv):
                    out[j, a, b] += fa * (Vm[k, b] - Vm[t, b])
            for b in range(dv):
                mv[b] += f * (Vm[k, b] - Vm[t, b])
        for a in range(da):
            for b in range(dv):
                out[j, a, b] -= ma[a] * mv[b]


@numba.njit(cache=True)
def _loss_kron_kernel(K, x, A3Y, B):
    """Literal eq. (5): sum_j sum_i (<softmax(K_j x), A3 Y[:, i]> - b_ji)^2, K = A1 (x) A2 (n^2 x d^2)."""
    n, d = B.shape
    total = 0.0
    u = np.empty(n)
    f = np.empty(n)
    for j in range(n):
        for r in range(n):
            acc = 0.0
            for c in range(x.shape[0]):
                acc += K[j * n + r, c] * x[c]
            u[r] = acc
        _softmax_into(u, f)
        for i in range(d):
            acc = 0.0
            for r in range(n):
                acc += f[r] * A3Y[r, i]
            cji = acc - B[j, i]
            total += cji * cji
    return total


@numba.njit(cache=True)
def _full_hessian_xx_numba(A1, A2, S, V, C, out_blocks):
    """All-numba variant of the per-j blocks M_j = A2^T B_j A2 (for benchmarking against the BLAS route)."""
    n, d = A1.shape
    JV = np.empty((n, d))
    fw = np.empty(n)
    for j in range(n):
        f = S[j]
        # q_j = V C_j^T ; w = centred q
        q = V @ C[j]
        ref = 0
        for k in range(1, n):
            if f[k] > f[ref]:
                ref = k
        cq = q[ref]
        s = 0.0
        for k in range(n):
            s += f[k] * (q[k] - cq)
        for k in range(n):
            fw[k] = f[k] * ((q[k] - cq) - s)
        # J V = diag(f) V - f (f^T V)
        fV = f @ V
        for k in range(n):
            for i in range(d):
                JV[k, i] = f[k] * V[k, i] - f[k] * fV[i]
        U = A2.T @ JV
        p = A2.T @ f
        t = A2.T @ fw
        G2 = (A2.T * fw) @ A2
        M = U @ U.T + G2
        for a in range(d):
            for b in range(d):
                M[a, b] -= t[a] * p[b] + p[a] * t[b]
        out_blocks[j] = 0.5 * (M + M.T)


# ----------------------------------------------------------------------------------------------------------
# internal building blocks
# ----------------------------------------------------------------------------------------------------------


def _row_kron(A, Bm):
    """(A (x)_row B)[j, (p, q)] = A[j, p] B[j, q]  (n x d1*d2)."""
    return (A[:, :, None] * Bm[:, None, :]).reshape(A.shape[0], -1)


def _softmax_rows_vec(Z):
    """Row softmax exp(Z - rowmax) / rowsum with numpy's SIMD exp: measured ~2x faster than the scalar numba
    loop at n = 256 (numba without fastmath does not vectorise exp); same max-shift stabilisation."""
    S = Z - Z.max(axis=1, keepdims=True)
    np.exp(S, out=S)
    S /= S.sum(axis=1, keepdims=True)
    return S


def _forward(A1, A2, A3, B, X, Y, s):
    Z = (s * (A1 @ X)) @ A2.T
    S = _softmax_rows_vec(Z)
    V = A3 @ Y
    C = S @ V - B
    return S, V, C


def _omega(S, V, C):
    Om = np.empty_like(S)
    _omega_kernel(S, np.ascontiguousarray(C @ V.T), Om)
    return Om


def _blocks_M(A2, S, V, C, Om):
    """M_j = A2^T B_j A2 for all j, shape (n, d, d)."""
    n, d = A2.shape
    P = S @ A2
    U = _jacobian_blocks(S, A2, V, P)
    G2 = (Om @ _row_kron(A2, A2)).reshape(n, d, d)
    T = Om @ A2
    M = np.empty((n, d, d))
    _assemble_blocks(U, G2, P, T, M)
    return M


SATURATION_SWITCH = 1e-2  # rows with 1 - max_k f_jk below this use the centred (numba) covariance form


def _jacobian_blocks(S, A, Vm, P=None):
    """Blocks A^T J(f_j) Vm (n x da x dv): one BLAS matmul S @ (A (x)_row Vm) minus (A^T f_j)(Vm^T f_j)^T, and the
    stable centred form for the saturated rows (where the BLAS route would cancel O(1) terms)."""
    n, da = A.shape
    dv = Vm.shape[1]
    if P is None:
        P = S @ A
    out = (S @ _row_kron(A, Vm)).reshape(n, da, dv)
    out -= P[:, :, None] * (S @ Vm)[:, None, :]
    rest = 1.0 - S.max(axis=1)
    rows = np.nonzero(rest < SATURATION_SWITCH)[0]
    if rows.size:
        _cov_blocks(S, A, Vm, rows.astype(np.int64), out)
    return out


def _pq_sym(L, M, scale=1.0):
    """H[(p,q),(p',q')] = scale * sum_j L[j,p] L[j,p'] M[j,q,q'] (M_j symmetric up to rounding), exactly symmetric.

    One BLAS product over the pairs p <= p' only (d(d+1)/2 x n times n x d^2), then a numba scatter that mirrors
    the blocks and symmetrises."""
    n, d = L.shape
    dd = M.shape[1]
    iu, ju = np.triu_indices(d)
    Pm = np.ascontiguousarray((L[:, iu] * L[:, ju]).T)  # (npairs, n)
    half = Pm @ M.reshape(n, dd * dd)  # (npairs, dd*dd)
    H = np.empty((d * dd, d * dd))
    _scatter_sym(half.reshape(-1, dd, dd), iu.astype(np.int64), ju.astype(np.int64), scale, H)
    return H


@numba.njit(cache=True)
def _scatter_sym(half, iu, ju, scale, H):
    dd = half.shape[1]
    for r in range(iu.shape[0]):
        p = iu[r]
        pp = ju[r]
        for q in range(dd):
            for qq in range(dd):
                v = 0.5 * scale * (half[r, q, qq] + half[r, qq, q])
                H[p * dd + q, pp * dd + qq] = v
                H[pp * dd + qq, p * dd + q] = v


def _pq_general(L, R, M):
    """H[(p,q),(k,i)] = sum_j L[j,p] R[j,i] M[j,q,k]."""
    n, d = L.shape
    d2 = M.shape[1]
    d3 = M.shape[2]
    Pm = _row_kron(L, R).T  # ((p,i), n)
    H4 = (Pm @ M.reshape(n, d2 * d3)).reshape(d, R.shape[1], d2, d3)  # p, i, q, k
    return np.ascontiguousarray(H4.transpose(0, 2, 3, 1)).reshape(d * d2, d3 * R.shape[1])


def _reg_x_grad(reg, A1, A2, X):
    if reg.reg_x == "ridge":
        return reg.lam_x * X.reshape(-1)
    if reg.reg_x == "kron_weighted":
        return (A1.T @ (reg.Omega * (A1 @ X @ A2.T)) @ A2).reshape(-1)
    return None


def _reg_x_hess(reg, A1, A2):
    d = A1.shape[1]
    if reg.reg_x == "ridge":
        return reg.lam_x * np.eye(d * d)
    if reg.reg_x == "kron_weighted":
        # A^T W^2 A = sum_{j,k} Omega_jk (a_j a_j^T) (x) (a'_k a'_k^T)
        M = (reg.Omega.T @ _row_kron(A1, A1)).reshape(-1, d, d)  # indexed by k: sum_j Omega_jk a_j a_j^T
        M = 0.5 * (M + M.transpose(0, 2, 1))
        # H[(p,q),(p',q')] = sum_k M_k[p,p'] A2[k,q] A2[k,q']  -> same structure with roles swapped
        H = _pq_sym(A2, M)  # H'[(q,p),(q',p')]
        return H.reshape(d, d, d, d).transpose(1, 0, 3, 2).reshape(d * d, d * d)
    return None


def _reg_y_grad(reg, A3, Y):
    if reg.reg_y == "ridge":
        return reg.lam_y * Y.reshape(-1)
    if reg.reg_y == "weighted":
        return (A3.T @ (reg.wy2[:, None] * (A3 @ Y))).reshape(-1)
    return None


def _reg_y_hess(reg, A3):
    d = A3.shape[1]
    if reg.reg_y == "ridge":
        return reg.lam_y * np.eye(d * d)
    if reg.reg_y == "weighted":
        return np.kron(A3.T @ (reg.wy2[:, None] * A3), np.eye(d))
    return None


def _common(where, A1, A2, A3, B, X, Y, objective, logit_scale, reg_x, lam_x, w_x, reg_y, lam_y, w_y,
            derivative=True):
    A1, A2, A3, B, X, Y = _check_data(where, A1, A2, A3, B, X, Y)
    fac = _objective_factor(where, objective, derivative)
    s = _scalar(where, "logit_scale", logit_scale, positive=True)
    reg = _check_reg(where, A1.shape[0], reg_x, lam_x, w_x, reg_y, lam_y, w_y)
    return A1, A2, A3, B, X, Y, fac, s, reg


# ----------------------------------------------------------------------------------------------------------
# public API
# ----------------------------------------------------------------------------------------------------------

_DOC_ARGS = """
    A1, A2, A3, B: (n, d) float arrays; X, Y: (d, d). objective: "squared" (default, eq. (5)) or
    "half_squared"; logit_scale: s > 0 multiplying the logits; reg_x/lam_x/w_x and reg_y/lam_y/w_y: regularisers
    (module docstring), added unscaled."""


def logits(A1, A2, X, logit_scale=1.0):
    """Z = s * A1 X A2^T (n x n)."""
    where = f"{_HERE}.logits"
    A1, A2, _, _, X, _ = _check_data(where, A1, A2, X=X)
    s = _scalar(where, "logit_scale", logit_scale, positive=True)
    return (s * (A1 @ X)) @ A2.T


def attention_matrix(A1, A2, X, logit_scale=1.0):
    """S(X) = softmax_row(s * A1 X A2^T) (n x n), row-stochastic, stable for logits of any size."""
    return _softmax_rows_vec(logits(A1, A2, X, logit_scale))


def residual(A1, A2, A3, B, X, Y, logit_scale=1.0):
    """C = S(X) A3 Y - B (n x d)."""
    where = f"{_HERE}.residual"
    A1, A2, A3, B, X, Y = _check_data(where, A1, A2, A3, B, X, Y)
    s = _scalar(where, "logit_scale", logit_scale, positive=True)
    return _forward(A1, A2, A3, B, X, Y, s)[2]


def loss(A1, A2, A3, B, X, Y, objective="squared", logit_scale=1.0,
         reg_x="none", lam_x=0.0, w_x=None, reg_y="none", lam_y=0.0, w_y=None):
    """Matrix form (11): ||softmax_row(s A1 X A2^T) A3 Y - B||_F^2 (x 1/2 for half_squared; sqrt for norm),
    plus regularisers."""
    A1, A2, A3, B, X, Y, fac, s, reg = _common(f"{_HERE}.loss", A1, A2, A3, B, X, Y, objective, logit_scale,
                                             reg_x, lam_x, w_x, reg_y, lam_y, w_y, derivative=False)
    C = _forward(A1, A2, A3, B, X, Y, s)[2]
    sq = float(np.sum(C * C))
    val = np.sqrt(sq) if objective == "norm" else 0.5 * fac * sq
    return val + _reg_values(reg, A1, A2, A3, X, Y)


def _reg_values(reg, A1, A2, A3, X, Y):
    v = 0.0
    if reg.reg_x == "ridge":
        v += 0.5 * reg.lam_x * float(np.sum(X * X))
    elif reg.reg_x == "kron_weighted":
        Z = A1 @ X @ A2.T
        v += 0.5 * float(np.sum(reg.Omega * Z * Z))
    if reg.reg_y == "ridge":
        v += 0.5 * reg.lam_y * float(np.sum(Y * Y))
    elif reg.reg_y == "weighted":
        V = A3 @ Y
        v += 0.5 * float(np.sum(reg.wy2[:, None] * V * V))
    return v


def _kron_matrix(where, A1, A2):
    n, d = A1.shape
    if n * n * d * d > KRON_MAX_ENTRIES:
        raise invalid(where, "A1", f"n={n}, d={d} (n^2 d^2 = {n * n * d * d} entries)",
                      f"the literal Kronecker form is limited to {KRON_MAX_ENTRIES} entries; use the structured form")
    return np.kron(A1, A2)


def loss_kron(A1, A2, A3, B, X, Y, objective="squared", logit_scale=1.0,
              reg_x="none", lam_x=0.0, w_x=None, reg_y="none", lam_y=0.0, w_y=None):
    """Literal eq. (5): builds A = A1 (x) A2 (n^2 x d^2) and sums over (j0, i0). Small sizes only."""
    where = f"{_HERE}.loss_kron"
    A1, A2, A3, B, X, Y, fac, s, reg = _common(where, A1, A2, A3, B, X, Y, objective, logit_scale,
                                             reg_x, lam_x, w_x, reg_y, lam_y, w_y, derivative=False)
    K = _kron_matrix(where, A1, A2)
    sq = float(_loss_kron_kernel(s * K, X.reshape(-1).copy(), A3 @ Y, B))
    val = np.sqrt(sq) if objective == "norm" else 0.5 * fac * sq
    return val + _reg_values(reg, A1, A2, A3, X, Y)


def grad_x(A1, A2, A3, B, X, Y, objective="squared", logit_scale=1.0,
           reg_x="none", lam_x=0.0, w_x=None, reg_y="none", lam_y=0.0, w_y=None):
    """Gradient in x = vec(X) (row-major), (d^2,): fac * s * vec(A1^T G A2), G = S o W (eq. (12)), + reg."""
    A1, A2, A3, B, X, Y, fac, s, reg = _common(f"{_HERE}.grad_x", A1, A2, A3, B, X, Y, objective, logit_scale,
                                             reg_x, lam_x, w_x, reg_y, lam_y, w_y)
    S, V, C = _forward(A1, A2, A3, B, X, Y, s)
    g = (fac * s) * (A1.T @ _omega(S, V, C) @ A2).reshape(-1)
    r = _reg_x_grad(reg, A1, A2, X)
    return g if r is None else g + r


def grad_x_kron(A1, A2, A3, B, X, Y, objective="squared", logit_scale=1.0,
                reg_x="none", lam_x=0.0, w_x=None, reg_y="none", lam_y=0.0, w_y=None):
    """Literal eq. (12): sum_j A_j^T J(f_j) q_j with A = A1 (x) A2 formed explicitly. Small sizes only."""
    where = f"{_HERE}.grad_x_kron"
    A1, A2, A3, B, X, Y, fac, s, reg = _common(where, A1, A2, A3, B, X, Y, objective, logit_scale,
                                             reg_x, lam_x, w_x, reg_y, lam_y, w_y)
    n, d = A1.shape
    K = _kron_matrix(where, A1, A2)
    x = X.reshape(-1)
    V = A3 @ Y
    g = np.zeros(d * d)
    Jm = np.empty((n, n))
    for j in range(n):
        Kj = K[j * n:(j + 1) * n]
        f = np.empty(n)
        _softmax_into(s * (Kj @ x), f)
        c = V.T @ f - B[j]
        q = V @ c
        _jacobian_kernel(f, Jm)
        g += Kj.T @ (Jm @ q)
    g *= fac * s
    r = _reg_x_grad(reg, A1, A2, X)
    return g if r is None else g + r


def grad_y(A1, A2, A3, B, X, Y, objective="squared", logit_scale=1.0,
           reg_x="none", lam_x=0.0, w_x=None, reg_y="none", lam_y=0.0, w_y=None):
    """Gradient in y = vec(Y) (row-major), (d^2,): fac * vec(A3^T S^T C) (eq. (13)), + reg."""
    A1, A2, A3, B, X, Y, fac, s, reg = _common(f"{_HERE}.grad_y", A1, A2, A3, B, X, Y, objective, logit_scale,
                                             reg_x, lam_x, w_x, reg_y, lam_y, w_y)
    S, V, C = _forward(A1, A2, A3, B, X, Y, s)
    g = fac * (A3.T @ (S.T @ C)).reshape(-1)
    r = _reg_y_grad(reg, A3, Y)
    return g if r is None else g + r


def b_blocks(A1, A2, A3, B, X, Y, logit_scale=1.0):
    """The middle matrices B_j = J_j V V^T J_j + Gamma(f_j, q_j) of eq. (14), shape (n, n, n) (L_half, no s^2)."""
    where = f"{_HERE}.b_blocks"
    A1, A2, A3, B, X, Y = _check_data(where, A1, A2, A3, B, X, Y)
    s = _scalar(where, "logit_scale", logit_scale, positive=True)
    S, V, C = _forward(A1, A2, A3, B, X, Y, s)
    n = S.shape[0]
    Q = C @ V.T
    out = np.empty((n, n, n))
    Jm = np.empty((n, n))
    G = np.empty((n, n))
    for j in range(n):
        _jacobian_kernel(S[j], Jm)
        _curvature_kernel(S[j], Q[j].copy(), G)
        JV = Jm @ V
        out[j] = JV @ JV.T + G
    return out


def hessian_xx(A1, A2, A3, B, X, Y, objective="squared", logit_scale=1.0,
               reg_x="none", lam_x=0.0, w_x=None, reg_y="none", lam_y=0.0, w_y=None):
    """Structured H_xx (d^2 x d^2), eq. (14), without the n^2 x d^2 matrix; fac * s^2 * sum_j (a_j a_j^T) (x) M_j."""
    A1, A2, A3, B, X, Y, fac, s, reg = _common(f"{_HERE}.hessian_xx", A1, A2, A3, B, X, Y, objective,
                                             logit_scale, reg_x, lam_x, w_x, reg_y, lam_y, w_y)
    return _hessian_xx(A1, A2, A3, B, X, Y, fac, s, reg)


def _hessian_xx(A1, A2, A3, B, X, Y, fac, s, reg):
    S, V, C = _forward(A1, A2, A3, B, X, Y, s)
    Om = _omega(S, V, C)
    M = _blocks_M(A2, S, V, C, Om)
    H = _pq_sym(A1, M, fac * s * s)  # exactly symmetric
    R = _reg_x_hess(reg, A1, A2)
    if R is not None:
        H += R
        H += H.T
        H *= 0.5
    return H


def _hessian_xx_allnumba(A1, A2, A3, B, X, Y, fac=2.0, s=1.0):
    """Benchmark variant: per-j blocks by a numba loop (no batched BLAS), then the same P.Q product."""
    S, V, C = _forward(A1, A2, A3, B, X, Y, s)
    n, d = A1.shape
    M = np.empty((n, d, d))
    _full_hessian_xx_numba(A1, A2, S, V, C, M)
    return _pq_sym(A1, M, fac * s * s)


def hessian_xx_kron(A1, A2, A3, B, X, Y, objective="squared", logit_scale=1.0,
                    reg_x="none", lam_x=0.0, w_x=None, reg_y="none", lam_y=0.0, w_y=None):
    """Literal eq. (14): sum_j A_j^T B_j A_j with A = A1 (x) A2 and B_j formed explicitly. Small sizes only."""
    where = f"{_HERE}.hessian_xx_kron"
    A1, A2, A3, B, X, Y, fac, s, reg = _common(where, A1, A2, A3, B, X, Y, objective, logit_scale,
                                             reg_x, lam_x, w_x, reg_y, lam_y, w_y)
    n, d = A1.shape
    K = _kron_matrix(where, A1, A2)
    x = X.reshape(-1)
    V = A3 @ Y
    H = np.zeros((d * d, d * d))
    Jm = np.empty((n, n))
    G = np.empty((n, n))
    f = np.empty(n)
    for j in range(n):
        Kj = K[j * n:(j + 1) * n]
        _softmax_into(s * (Kj @ x), f)
        c = V.T @ f - B[j]
        q = V @ c
        _jacobian_kernel(f, Jm)
        _curvature_kernel(f, q, G)
        JV = Jm @ V
        Bj = JV @ JV.T + G
        H += Kj.T @ (Bj @ Kj)
    H *= fac * s * s
    R = _reg_x_hess(reg, A1, A2)
    return H if R is None else H + R


def hessian_yy(A1, A2, A3, B, X, Y, objective="squared", logit_scale=1.0,
               reg_x="none", lam_x=0.0, w_x=None, reg_y="none", lam_y=0.0, w_y=None):
    """H_yy = fac * (A3^T S^T S A3) (x) I_d (row-major vec(Y)), eq. (15), + reg."""
    A1, A2, A3, B, X, Y, fac, s, reg = _common(f"{_HERE}.hessian_yy", A1, A2, A3, B, X, Y, objective,
                                             logit_scale, reg_x, lam_x, w_x, reg_y, lam_y, w_y)
    return _hessian_yy(A1, A2, A3, B, X, Y, fac, s, reg)


def _hessian_yy(A1, A2, A3, B, X, Y, fac, s, reg):
    S, _, _ = _forward(A1, A2, A3, B, X, Y, s)
    SA3 = S @ A3
    core = SA3.T @ SA3
    core = 0.5 * (core + core.T)
    H = fac * np.kron(core, np.eye(A1.shape[1]))
    R = _reg_y_hess(reg, A3)
    if R is not None:
        H += R
        H += H.T
        H *= 0.5
    return H


def hessian_xy(A1, A2, A3, B, X, Y, objective="squared", logit_scale=1.0,
               reg_x="none", lam_x=0.0, w_x=None, reg_y="none", lam_y=0.0, w_y=None):
    """Cross Hessian d^2 L / dx dy (d^2 x d^2), rows x = vec(X), columns y = vec(Y) (row-major), eq. (16)."""
    A1, A2, A3, B, X, Y, fac, s, reg = _common(f"{_HERE}.hessian_xy", A1, A2, A3, B, X, Y, objective,
                                             logit_scale, reg_x, lam_x, w_x, reg_y, lam_y, w_y)
    return _hessian_xy(A1, A2, A3, B, X, Y, fac, s)


def _hessian_xy(A1, A2, A3, B, X, Y, fac, s):
    S, V, C = _forward(A1, A2, A3, B, X, Y, s)
    n, d = A1.shape
    P = S @ A2
    # U_j = A2^T J_j V  and  Z_j = A2^T J_j A3  (d x d each)
    U = _jacobian_blocks(S, A2, V, P)
    Zb = _jacobian_blocks(S, A2, A3, P)
    # term 1: sum_j A1[j,p] (S A3)[j,k] U_j[q,i]   -> indices (p,q),(k,i)
    T1 = _pq_general(A1, S @ A3, U)  # rows (p,q), cols (i,k) ordering from helper: (d*d2, d3*dk)
    # helper returns H[(p,q),(m,r)] with m over M's last axis and r over R's columns: here m = i, r = k
    T1 = T1.reshape(d, d, d, d).transpose(0, 1, 3, 2).reshape(d * d, d * d)
    # term 2: sum_j A1[j,p] C[j,i] Z_j[q,k]  -> helper gives (p,q),(k,i) directly
    T2 = _pq_general(A1, C, Zb)
    return (fac * s) * (T1 + T2)


def hessian(A1, A2, A3, B, X, Y, objective="squared", logit_scale=1.0,
            reg_x="none", lam_x=0.0, w_x=None, reg_y="none", lam_y=0.0, w_y=None):
    """Joint Hessian [[H_xx, H_xy], [H_xy^T, H_yy]] (2d^2 x 2d^2), eq. (17), regularisers included."""
    A1, A2, A3, B, X, Y, fac, s, reg = _common(f"{_HERE}.hessian", A1, A2, A3, B, X, Y, objective,
                                             logit_scale, reg_x, lam_x, w_x, reg_y, lam_y, w_y)
    Hxx = _hessian_xx(A1, A2, A3, B, X, Y, fac, s, reg)
    Hyy = _hessian_yy(A1, A2, A3, B, X, Y, fac, s, reg)
    Hxy = _hessian_xy(A1, A2, A3, B, X, Y, fac, s)
    return np.block([[Hxx, Hxy], [Hxy.T, Hyy]])


# ---- regulariser terms on their own (eq. (21), (22)) --------------------------------------------------------


def _reg_only(where, A1, A2, A3, X, Y, reg_x, lam_x, w_x, reg_y, lam_y, w_y):
    A1, A2, A3, _, X, Y = _check_data(where, A1, A2, A3, None, X, Y)
    reg = _check_reg(where, A1.shape[0], reg_x, lam_x, w_x, reg_y, lam_y, w_y)
    return A1, A2, A3, X, Y, reg


def reg_x_value(A1, A2, X, reg_x="kron_weighted", lam_x=0.0, w_x=None):
    """R_x(x): 1/2 lam_x ||x||^2 (ridge) or 1/2 ||W A x||^2 = 1/2 sum w_jk^2 (A1 X A2^T)_jk^2 (kron_weighted)."""
    A1, A2, _, X, _, reg = _reg_only(f"{_HERE}.reg_x_value", A1, A2, None, X, None, reg_x, lam_x, w_x,
                                     "none", 0.0, None)
    return _reg_values(reg, A1, A2, None, X, None)


def reg_x_grad(A1, A2, X, reg_x="kron_weighted", lam_x=0.0, w_x=None):
    """Gradient of R_x in x (d^2,): vec(A1^T (Omega o (A1 X A2^T)) A2) for kron_weighted."""
    A1, A2, _, X, _, reg = _reg_only(f"{_HERE}.reg_x_grad", A1, A2, None, X, None, reg_x, lam_x, w_x,
                                     "none", 0.0, None)
    g = _reg_x_grad(reg, A1, A2, X)
    return np.zeros(X.size) if g is None else g


def reg_x_hessian(A1, A2, reg_x="kron_weighted", lam_x=0.0, w_x=None):
    """Hessian of R_x (d^2 x d^2): A^T W^2 A for kron_weighted (structured, no n^2 x d^2 matrix)."""
    A1, A2, _, _, _, reg = _reg_only(f"{_HERE}.reg_x_hessian", A1, A2, None, None, None, reg_x, lam_x, w_x,
                                     "none", 0.0, None)
    H = _reg_x_hess(reg, A1, A2)
    d = A1.shape[1]
    return np.zeros((d * d, d * d)) if H is None else H


def reg_y_value(A3, Y, reg_y="weighted", lam_y=0.0, w_y=None):
    """R_y(Y): 1/2 lam_y ||Y||_F^2 (ridge) or 1/2 ||diag(w_y) A3 Y||_F^2 (weighted)."""
    A3, _, _, _, _, Y = _check_data(f"{_HERE}.reg_y_value", A3, A3, Y=Y)
    reg = _check_reg(f"{_HERE}.reg_y_value", A3.shape[0], "none", 0.0, None, reg_y, lam_y, w_y)
    return _reg_values(reg, A3, A3, A3, np.zeros_like(Y), Y)


def reg_y_grad(A3, Y, reg_y="weighted", lam_y=0.0, w_y=None):
    """Gradient of R_y in y = vec(Y) (d^2,)."""
    A3, _, _, _, _, Y = _check_data(f"{_HERE}.reg_y_grad", A3, A3, Y=Y)
    reg = _check_reg(f"{_HERE}.reg_y_grad", A3.shape[0], "none", 0.0, None, reg_y, lam_y, w_y)
    g = _reg_y_grad(reg, A3, Y)
    return np.zeros(Y.size) if g is None else g


def reg_y_hessian(A3, reg_y="weighted", lam_y=0.0, w_y=None):
    """Hessian of R_y (d^2 x d^2): lam_y I (ridge) or (A3^T W_y^2 A3) (x) I_d (weighted, row-major)."""
    A3, _, _, _, _, _ = _check_data(f"{_HERE}.reg_y_hessian", A3, A3)
    reg = _check_reg(f"{_HERE}.reg_y_hessian", A3.shape[0], "none", 0.0, None, reg_y, lam_y, w_y)
    H = _reg_y_hess(reg, A3)
    d = A3.shape[1]
    return np.zeros((d * d, d * d)) if H is None else H

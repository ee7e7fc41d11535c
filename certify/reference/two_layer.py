"""mpmath twin of `certify.kernels.two_layer` (same names, `mpm` first).

Independent route: the derivatives of f = softmax(Cx) with respect to x are taken entrywise,
df_i/dx_k = f_i (c_ik - cbar_k) and d2 f_i/dx_k dx_l = f_i [(c_ik - cbar_k)(c_il - cbar_l) - sum_j f_j (c_jk -
cbar_k)(c_jl - cbar_l)] with cbar = sum_j f_j c_j, and then grad = (df/dx)^T M^T r + C^T W^2 C x,
hess = (df/dx)^T M^T M (df/dx) + sum_i (M^T r)_i d2 f_i + C^T W^2 C (the kernel uses J and Gamma). The softmax is
f_i = 1 / sum_k exp(u_k - u_i) (no max shift).
"""

from __future__ import annotations

import numpy as np

from certify.reference._mparray import mp_zeros, to_mp

__all__ = ["first_layer", "loss", "grad", "hessian", "hessian_factor", "newton_step_structured"]


def first_layer(mpm, C, x):
    C, x = to_mp(mpm, np.asarray(C)), to_mp(mpm, np.asarray(x))
    u = C @ x
    n = len(u)
    return np.array([1 / mpm.fsum(mpm.exp(u[k] - u[i]) for k in range(n)) for i in range(n)], dtype=object)


def _parts(mpm, C, M, b, w, x):
    C, M, b, w, x = (to_mp(mpm, np.asarray(a)) for a in (C, M, b, w, x))
    f = first_layer(mpm, C, x)
    n, d = C.shape
    cbar = np.array([mpm.fsum(f[j] * C[j, k] for j in range(n)) for k in range(d)], dtype=object)
    Dc = C - cbar[None, :]
    Jx = Dc * f[:, None]                                  # df_i / dx_k
    r = M @ f - b
    return C, M, b, w, x, f, Dc, Jx, r


def loss(mpm, C, M, b, w, x, sigma2="identity"):
    C, M, b, w, x = (to_mp(mpm, np.asarray(a)) for a in (C, M, b, w, x))
    z = M @ first_layer(mpm, C, x)
    if sigma2 == "relu":
        z = np.array([v if v > 0 else mpm.mpf(0) for v in z], dtype=object)
    r = z - b
    wc = w * (C @ x)
    return mpm.fsum(v * v for v in r) / 2 + mpm.fsum(v * v for v in wc) / 2


def grad(mpm, C, M, b, w, x):
    C, M, b, w, x, f, Dc, Jx, r = _parts(mpm, C, M, b, w, x)
    return Jx.T @ (M.T @ r) + C.T @ ((w * w) * (C @ x))


def _second(mpm, f, Dc, v):
    n, d = Dc.shape
    out = mp_zeros(mpm, (d, d))
    mean = mp_zeros(mpm, (d, d))
    for j in range(n):
        mean = mean + f[j] * np.outer(Dc[j], Dc[j])
    for i in range(n):
        out = out + (v[i] * f[i]) * (np.outer(Dc[i], Dc[i]) - mean)
    return out


def hessian(mpm, C, M, b, w, x):
    C, M, b, w, x, f, Dc, Jx, r = _parts(mpm, C, M, b, w, x)
    MJ = M @ Jx
    H = MJ.T @ MJ + _second(mpm, f, Dc, M.T @ r) + C.T @ (C * (w * w)[:, None])
    return (H + H.T) / 2


def hessian_factor(mpm, C, M, b, w, x):
    """Middle matrix with hess = C^T B C, from the diagonal-plus-rank-structure written entrywise."""
    C, M, b, w, x = (to_mp(mpm, np.asarray(a)) for a in (C, M, b, w, x))
    f = first_layer(mpm, C, x)
    n = len(f)
    v = M.T @ (M @ f - b)
    s = mpm.fsum(f[i] * v[i] for i in range(n))
    J = np.array([[f[i] * ((1 if i == j else 0) - f[j]) for j in range(n)] for i in range(n)], dtype=object)
    B = J @ (M.T @ M) @ J
    for i in range(n):
        for j in range(n):
            g = -f[i] * v[i] * f[j] - f[i] * f[j] * v[j] + 2 * s * f[i] * f[j]
            if i == j:
                g = g + f[i] * v[i] - s * f[i] + w[i] * w[i]
            B[i, j] = B[i, j] + g
    return (B + B.T) / 2


def newton_step_structured(mpm, C, M, b, w, x, rows=None, weights=None):
    """x - H^{-1} grad with the entrywise Hessian of this module (``rows`` / ``weights`` sparsify the W^2 +
    diag(f o v) - <f,v> diag(f) part to the sampled rows, as in the kernel)."""
    import scipy.sparse as sp

    if sp.issparse(C):
        C = C.toarray()
    H = hessian(mpm, C, M, b, w, x)
    if rows is not None:
        Cm, Mm, bm, wm, xm = (to_mp(mpm, np.asarray(a)) for a in (C, M, b, w, x))
        f = first_layer(mpm, Cm, xm)
        v = Mm.T @ (Mm @ f - bm)
        s = mpm.fsum(f[i] * v[i] for i in range(len(f)))
        diag = f * v + wm * wm - s * f
        full = Cm.T @ (Cm * diag[:, None])
        Wt = to_mp(mpm, np.asarray(weights))
        samp = mp_zeros(mpm, full.shape)
        for k, r in enumerate(rows):
            samp = samp + (diag[int(r)] * Wt[k] * Wt[k]) * np.outer(Cm[int(r)], Cm[int(r)])
        H = H - full + samp
    g = grad(mpm, C, M, b, w, x)
    dm = mpm.lu_solve(mpm.matrix(((H + H.T) / 2).tolist()), mpm.matrix(list(g)))
    return to_mp(mpm, np.asarray(x)) - np.array([dm[i] for i in range(len(g))], dtype=object)

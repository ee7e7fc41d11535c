"""Two-layer regression with a softmax first layer (claims/related.md section 8, template (25)), float64.

L(x) = 1/2 ||sigma2(M f(x)) - b||^2 + 1/2 ||W C x||^2,  f(x) = softmax(C x) in R^n,  W = diag(w),
C in R^{n x d}, M in R^{n2 x n}, b in R^{n2}. For sigma2 = identity, with r = M f - b (eq. (26)):
grad L = C^T J(f) M^T r + C^T W^2 C x;  hess L = C^T (J M^T M J + Gamma(f, M^T r) + W^2) C,
J(f) = diag(f) - f f^T, Gamma(f, v) = diag(f o v) - (f o v) f^T - f (f o v)^T + 2 <f, v> f f^T - <f, v> diag(f).
sigma2 = relu is offered for the loss value only (its derivative is not part of the template's DERIVED rows).
Softmax by log-sum-exp (max-shift).
"""

from __future__ import annotations

import numpy as np

from certify.errors import invalid

__all__ = ["first_layer", "loss", "grad", "hessian", "hessian_factor", "newton_step_structured"]
_HERE = "kernels.two_layer"


def _check(where, C, M, b, w, x):
    arrs = {}
    for name, v, nd in (("C", C, 2), ("M", M, 2), ("b", b, 1), ("w", w, 1), ("x", x, 1)):
        a = np.asarray(v, dtype=np.float64)
        if a.ndim != nd or a.size == 0 or not np.all(np.isfinite(a)):
            raise invalid(where, name, f"shape {a.shape}", f"pass a finite non-empty {nd}-D float64 array")
        arrs[name] = a
    n, d = arrs["C"].shape
    if arrs["M"].shape[1] != n or arrs["b"].shape != (arrs["M"].shape[0],) or arrs["w"].shape != (n,) \
            or arrs["x"].shape != (d,):
        raise invalid(where, "shapes", {k: v.shape for k, v in arrs.items()},
                      "pass C (n, d), M (n2, n), b (n2,), w (n,), x (d,)")
    return arrs["C"], arrs["M"], arrs["b"], arrs["w"], arrs["x"]


def first_layer(C, x):
    """f = softmax(C x) with the max shift."""
    u = np.asarray(C, dtype=float) @ np.asarray(x, dtype=float)
    e = np.exp(u - u.max())
    return e / e.sum()


def loss(C, M, b, w, x, sigma2="identity"):
    C, M, b, w, x = _check(_HERE + ".loss", C, M, b, w, x)
    if sigma2 not in ("identity", "relu"):
        raise invalid(_HERE + ".loss", "sigma2", sigma2, "pass 'identity' or 'relu'")
    z = M @ first_layer(C, x)
    if sigma2 == "relu":
        z = np.maximum(z, 0.0)
    r = z - b
    wc = w * (C @ x)
    return 0.5 * float(r @ r) + 0.5 * float(wc @ wc)


def grad(C, M, b, w, x):
    C, M, b, w, x = _check(_HERE + ".grad", C, M, b, w, x)
    f = first_layer(C, x)
    v = M.T @ (M @ f - b)
    Jv = f * v - f * (f @ v)
    return C.T @ Jv + C.T @ (w**2 * (C @ x))


def hessian_factor(C, M, b, w, x):
    """The n x n middle matrix J M^T M J + Gamma(f, M^T r) + W^2 (hess = C^T (.) C)."""
    C, M, b, w, x = _check(_HERE + ".hessian_factor", C, M, b, w, x)
    f = first_layer(C, x)
    v = M.T @ (M @ f - b)
    J = np.diag(f) - np.outer(f, f)
    MJ = M @ J
    fv = f * v
    s = float(f @ v)
    G = np.diag(fv) - np.outer(fv, f) - np.outer(f, fv) + 2 * s * np.outer(f, f) - s * np.diag(f)
    B = MJ.T @ MJ + G + np.diag(w**2)
    return (B + B.T) / 2


def hessian(C, M, b, w, x):
    C = np.asarray(C, dtype=float)
    B = hessian_factor(C, M, b, w, x)
    H = C.T @ B @ C
    return (H + H.T) / 2


def newton_step_structured(C, M, b, w, x, rows=None, weights=None):
    """One Newton step x - H~^{-1} grad in O(nnz(C) d + n n2 + d^3) without any n x n matrix. C may be a
    scipy.sparse matrix. H = (M J C)^T (M J C) + C^T diag(f o v + w^2 - <f,v> f) C - (C^T fv)(C^T f)^T
    - (C^T f)(C^T fv)^T + 2 <f,v> (C^T f)(C^T f)^T; with ``rows``/``weights`` the diagonal term is sparsified to the
    sampled rows (leverage-score sampling of the diagonal part, eq. (26) of attention_regression.md)."""
    import scipy.sparse as sp

    x = np.asarray(x, dtype=float)
    u = np.asarray(C @ x).reshape(-1)
    f = np.exp(u - u.max())
    f /= f.sum()
    r = M @ f - b
    v = M.T @ r
    Ctf = np.asarray(C.T @ f).reshape(-1)
    JC = (C.multiply(f[:, None]).tocsr() if sp.issparse(C) else C * f[:, None])
    JC = np.asarray(JC.todense()) if sp.issparse(JC) else JC
    JC = JC - np.outer(f, Ctf)
    MJC = M @ JC
    s = float(f @ v)
    fv = f * v
    Cfv = np.asarray(C.T @ fv).reshape(-1)
    diag = fv + w**2 - s * f
    if rows is None:
        Cd = C.multiply(diag[:, None]) if sp.issparse(C) else C * diag[:, None]
        Hd = np.asarray((C.T @ Cd).todense() if sp.issparse(Cd) else C.T @ Cd)
    else:
        Cr = C[rows]
        Cr = np.asarray(Cr.todense()) if sp.issparse(Cr) else Cr
        Hd = Cr.T @ (Cr * (diag[rows] * weights**2)[:, None])
    H = MJC.T @ MJC + Hd - np.outer(Cfv, Ctf) - np.outer(Ctf, Cfv) + 2 * s * np.outer(Ctf, Ctf)
    g = JC.T @ v + np.asarray(C.T @ (w**2 * u)).reshape(-1)
    return x - np.linalg.solve((H + H.T) / 2, g)

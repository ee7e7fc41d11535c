"""mpmath twin of `certify.kernels.regression` (independent routes).

* losses: literal sums at the context's precision (``mpm.fsum``); softmax as ``exp(u_i) / sum_k exp(u_k)``
  without any shift (no overflow in mpmath), rescaled residual with the explicit matrix P = I - b 1^T;
* gradients and Hessians: high-precision numerical differentiation (``mpm.diff``, partial derivatives of
  the loss itself in the requested objective scale), never the closed forms;
* ``phi``: the second derivative in t of 1/2 (g(t) - b)^2 by ``mpm.diff`` (not the table of (34));
* ``phi_infimum``: 1-D numerical minimisation of phi(t; b) (grid scan, then ``findroot`` on phi'), compared
  with the limits t -> +-inf (not the table of (35));
* ``softmax_B`` / ``rescaled_B``: the catalogue's closed forms evaluated literally (J and Gamma from their
  definitions, explicit matrix products, the expanded formulas entry by entry), so a transcription error in a
  form survives at high precision; they are checked against ``mpm.diff`` Hessians in the tests.

Every function takes an explicit ``mpmath.MPContext`` ``mpm`` first, then the kernel twin's arguments.
"""

from __future__ import annotations

import numpy as np

from certify.errors import invalid
from certify.reference._mparray import mp_zeros, to_mp

__all__ = [
    "phi",
    "phi_infimum",
    "exp_loss",
    "exp_grad",
    "exp_hessian",
    "exp_hessian_weights",
    "softmax_loss",
    "softmax_grad",
    "softmax_hessian",
    "softmax_B",
    "rescaled_loss",
    "rescaled_grad",
    "rescaled_hessian",
    "rescaled_B",
]

_HERE = "reference.regression"
_OBJ = ("half_squared", "squared", "norm")


def _vec(mpm, v):
    return list(to_mp(mpm, np.asarray(v, dtype=object) if not isinstance(v, np.ndarray) else v).reshape(-1))


def _mat(mpm, A):
    A = to_mp(mpm, A if isinstance(A, np.ndarray) else np.asarray(A, dtype=float))
    if A.ndim != 2:
        raise invalid(_HERE, "A", f"shape {A.shape}", "pass a 2-D matrix (n, d)")
    return [list(row) for row in A]


def _prob(mpm, A, b, w, x):
    A = _mat(mpm, A)
    n, d = len(A), len(A[0])
    b = _vec(mpm, b)
    w = [mpm.zero] * n if w is None else _vec(mpm, w)
    x = _vec(mpm, x)
    if len(b) != n or len(w) != n or len(x) != d:
        raise invalid(_HERE, "b/w/x", (len(b), len(w), len(x)), f"pass b, w of length {n} and x of length {d}")
    return A, b, w, x


def _fun(mpm, name):
    table = {"exp": mpm.exp, "cosh": mpm.cosh, "sinh": mpm.sinh}
    if name not in table:
        raise invalid(_HERE, "f", name, "use one of 'exp', 'cosh', 'sinh'")
    return table[name]


def _scale(mpm, lh, objective):
    if objective == "half_squared":
        return lh
    if objective == "squared":
        return 2 * lh
    if objective == "norm":
        return mpm.sqrt(2 * lh)
    raise invalid(_HERE, "objective", objective, "use one of 'half_squared', 'squared', 'norm'")


def _dot(mpm, row, x):
    return mpm.fsum(a * c for a, c in zip(row, x, strict=False))


def _grad_by_diff(mpm, F, x):
    d = len(x)
    out = np.empty(d, dtype=object)
    for j in range(d):
        orders = tuple(1 if k == j else 0 for k in range(d))
        out[j] = mpm.diff(F, tuple(x), orders)
    return out


def _hess_by_diff(mpm, F, x):
    d = len(x)
    H = mp_zeros(mpm, (d, d))
    for i in range(d):
        for j in range(i, d):
            orders = [0] * d
            orders[i] += 1
            orders[j] += 1
            H[i, j] = mpm.diff(F, tuple(x), tuple(orders))
            H[j, i] = H[i, j]
    return H


# ----------------------------------------------------------------------------------------------------------
# exp / cosh / sinh regression
# ----------------------------------------------------------------------------------------------------------


def _exp_fn(mpm, A, b, w, f, objective):
    g = _fun(mpm, f)

    def F(*xs):
        terms = []
        for i in range(len(A)):
            ui = _dot(mpm, A[i], xs)
            terms.append((g(ui) - b[i]) ** 2)
            terms.append((w[i] * ui) ** 2)
        return _scale(mpm, mpm.fsum(terms) / 2, objective)

    return F


def exp_loss(mpm, A, b, w, x, f="exp", objective="half_squared"):
    A, b, w, x = _prob(mpm, A, b, w, x)
    return _exp_fn(mpm, A, b, w, f, objective)(*x)


def exp_grad(mpm, A, b, w, x, f="exp", objective="half_squared"):
    A, b, w, x = _prob(mpm, A, b, w, x)
    return _grad_by_diff(mpm, _exp_fn(mpm, A, b, w, f, objective), x)


def exp_hessian(mpm, A, b, w, x, f="exp", objective="half_squared"):
    A, b, w, x = _prob(mpm, A, b, w, x)
    return _hess_by_diff(mpm, _exp_fn(mpm, A, b, w, f, objective), x)


def _phi_scalar(mpm, g, t, bi):
    return mpm.diff(lambda s: (g(s) - bi) ** 2 / 2, t, 2)


def phi(mpm, u, b, f="exp"):
    g = _fun(mpm, f)
    u, b = _vec(mpm, u), _vec(mpm, b)
    return np.array([_phi_scalar(mpm, g, t, bi) for t, bi in zip(u, b, strict=False)] + [None], dtype=object)[:-1]


def exp_hessian_weights(mpm, A, b, w, x, f="exp"):
    A, b, w, x = _prob(mpm, A, b, w, x)
    u = [_dot(mpm, row, x) for row in A]
    ph = phi(mpm, u, b, f)
    return np.array([ph[i] + w[i] ** 2 for i in range(len(u))] + [None], dtype=object)[:-1]


def _phi_closed_from_definition(mpm, f, t, bi):
    """phi = f'^2 + (f - b) f'' from the definition (34) (derivatives of exp/cosh/sinh spelled out)."""
    if f == "exp":
        return mpm.exp(t) ** 2 + (mpm.exp(t) - bi) * mpm.exp(t)
    if f == "cosh":
        return mpm.sinh(t) ** 2 + (mpm.cosh(t) - bi) * mpm.cosh(t)
    return mpm.cosh(t) ** 2 + (mpm.sinh(t) - bi) * mpm.sinh(t)


def _inf_one(mpm, f, bi):
    def ph(t):
        return _phi_closed_from_definition(mpm, f, t, bi)

    # coarse scan over a range that covers every interior critical point for |b| <= 1e6
    lo = -60 if f == "exp" else -20
    if f == "exp" and bi > 0:
        lo = min(lo, int(mpm.floor(mpm.log(bi))) - 60)
    grid = [mpm.mpf(lo) + k * mpm.mpf(20 - lo) / 800 for k in range(801)]
    vals = [ph(t) for t in grid]
    k = min(range(len(vals)), key=lambda i: vals[i])
    best = vals[k]
    step = grid[1] - grid[0]
    # Newton on phi' from several starts around the grid minimum (two critical points can sit within one
    # grid step, e.g. t = 0 and cosh t = b/4 for the cosh family with b just above 4)
    starts = [grid[k] + j * step / 4 for j in range(-4, 5)]
    for t0 in starts:
        try:
            t1 = mpm.findroot(lambda t: mpm.diff(ph, t), t0)
        except (ValueError, ZeroDivisionError):  # pragma: no cover - no convergence from this start
            continue
        if abs(t1 - grid[k]) <= 2 * step:
            best = min(best, ph(t1))
    if f == "exp":  # the t -> -inf limit of 2 e^{2t} - b e^t is 0
        best = min(best, mpm.zero)
    return best


def phi_infimum(mpm, b, f="exp"):
    _fun(mpm, f)
    b = _vec(mpm, b)
    return np.array([_inf_one(mpm, f, bi) for bi in b] + [None], dtype=object)[:-1]


# ----------------------------------------------------------------------------------------------------------
# softmax regression
# ----------------------------------------------------------------------------------------------------------


def _softmax_plain(mpm, u):
    e = [mpm.exp(t) for t in u]
    s = mpm.fsum(e)
    return [t / s for t in e]


def _softmax_fn(mpm, A, b, w, objective):
    def F(*xs):
        u = [_dot(mpm, row, xs) for row in A]
        f = _softmax_plain(mpm, u)
        terms = [(f[i] - b[i]) ** 2 for i in range(len(A))] + [(w[i] * u[i]) ** 2 for i in range(len(A))]
        return _scale(mpm, mpm.fsum(terms) / 2, objective)

    return F


def softmax_loss(mpm, A, b, w, x, objective="squared"):
    A, b, w, x = _prob(mpm, A, b, w, x)
    return _softmax_fn(mpm, A, b, w, objective)(*x)


def softmax_grad(mpm, A, b, w, x, objective="squared"):
    A, b, w, x = _prob(mpm, A, b, w, x)
    return _grad_by_diff(mpm, _softmax_fn(mpm, A, b, w, objective), x)


def softmax_hessian(mpm, A, b, w, x, objective="squared", form="jgamma"):
    if form not in ("jgamma", "expanded"):
        raise invalid(_HERE, "form", form, "use 'jgamma' or 'expanded'")
    A, b, w, x = _prob(mpm, A, b, w, x)
    return _hess_by_diff(mpm, _softmax_fn(mpm, A, b, w, objective), x)


def _matmul(mpm, P, Q):
    n, m, k = len(P), len(Q), len(Q[0])
    return [[mpm.fsum(P[i][t] * Q[t][j] for t in range(m)) for j in range(k)] for i in range(n)]


def softmax_B(mpm, f, b, form="jgamma"):
    f, b = _vec(mpm, f), _vec(mpm, b)
    n = len(f)
    if form == "jgamma":
        J = [[(f[i] if i == k else 0) - f[i] * f[k] for k in range(n)] for i in range(n)]
        J2 = _matmul(mpm, J, J)
        v = [f[i] - b[i] for i in range(n)]
        fv = [f[i] * v[i] for i in range(n)]
        s = mpm.fsum(f[i] * v[i] for i in range(n))
        out = mp_zeros(mpm, (n, n))
        for i in range(n):
            for k in range(n):
                gam = ((fv[i] if i == k else 0) - fv[i] * f[k] - f[i] * fv[k] + 2 * s * f[i] * f[k]
                       - (s * f[i] if i == k else 0))
                out[i, k] = J2[i][k] + gam
        return out
    if form == "expanded":
        a3 = mpm.fsum((3 * f[i] - 2 * b[i]) * f[i] for i in range(n))
        a1 = mpm.fsum((f[i] - b[i]) * f[i] for i in range(n))
        q = [f[i] * (2 * f[i] - b[i]) for i in range(n)]
        out = mp_zeros(mpm, (n, n))
        for i in range(n):
            for k in range(n):
                out[i, k] = a3 * f[i] * f[k] - q[i] * f[k] - f[i] * q[k]
                if i == k:
                    out[i, k] += q[i] - a1 * f[i]
        return out
    raise invalid(_HERE, "form", form, "use 'jgamma' or 'expanded'")


# ----------------------------------------------------------------------------------------------------------
# rescaled regression
# ----------------------------------------------------------------------------------------------------------


def _rescaled_fn(mpm, A, b, w, g, objective):
    gf = _fun(mpm, g)
    n = len(A)
    P = [[(1 if i == k else 0) - b[i] for k in range(n)] for i in range(n)]  # I - b 1^T

    def F(*xs):
        u0 = [_dot(mpm, row, xs) for row in A]
        u = [gf(t) for t in u0]
        c = [_dot(mpm, P[i], u) for i in range(n)]
        terms = [ci**2 for ci in c] + [(w[i] * u0[i]) ** 2 for i in range(n)]
        return _scale(mpm, mpm.fsum(terms) / 2, objective)

    return F


def rescaled_loss(mpm, A, b, w, x, g="exp", objective="norm"):
    A, b, w, x = _prob(mpm, A, b, w, x)
    return _rescaled_fn(mpm, A, b, w, g, objective)(*x)


def rescaled_grad(mpm, A, b, w, x, g="exp", objective="norm"):
    A, b, w, x = _prob(mpm, A, b, w, x)
    return _grad_by_diff(mpm, _rescaled_fn(mpm, A, b, w, g, objective), x)


def rescaled_hessian(mpm, A, b, w, x, g="exp", objective="norm", form="general"):
    if form not in ("general", "expanded") or (form == "expanded" and g != "exp"):
        raise invalid(_HERE, "form", form, "use 'general', or 'expanded' with g='exp'")
    A, b, w, x = _prob(mpm, A, b, w, x)
    return _hess_by_diff(mpm, _rescaled_fn(mpm, A, b, w, g, objective), x)


def rescaled_B(mpm, A, b, x, g="exp", form="general"):
    A, b, _, x = _prob(mpm, A, b, None, x)
    n = len(A)
    t = [_dot(mpm, row, x) for row in A]
    if g == "exp":
        u, u1, u2 = [mpm.exp(s) for s in t], [mpm.exp(s) for s in t], [mpm.exp(s) for s in t]
    elif g == "cosh":
        u, u1, u2 = [mpm.cosh(s) for s in t], [mpm.sinh(s) for s in t], [mpm.cosh(s) for s in t]
    elif g == "sinh":
        u, u1, u2 = [mpm.sinh(s) for s in t], [mpm.cosh(s) for s in t], [mpm.sinh(s) for s in t]
    else:
        raise invalid(_HERE, "g", g, "use one of 'exp', 'cosh', 'sinh'")
    su = mpm.fsum(u)
    c = [u[i] - su * b[i] for i in range(n)]
    bc = mpm.fsum(b[i] * c[i] for i in range(n))
    out = mp_zeros(mpm, (n, n))
    if form == "general":
        P = [[(1 if i == k else 0) - b[i] for k in range(n)] for i in range(n)]
        PD = [[P[i][k] * u1[k] for k in range(n)] for i in range(n)]  # P diag(u')
        PtP = _matmul(mpm, [list(col) for col in zip(*PD, strict=False)], PD)  # diag(u') P^T P diag(u')
        for i in range(n):
            for k in range(n):
                out[i, k] = PtP[i][k] + (u2[i] * (c[i] - bc) if i == k else 0)
        return out
    if form == "expanded" and g == "exp":
        bb = mpm.fsum(bi**2 for bi in b)
        for i in range(n):
            for k in range(n):
                v = -(u[i] * b[i]) * u[k] - u[i] * (u[k] * b[k]) + bb * u[i] * u[k]
                if i == k:
                    v += u[i] * u[i] + u[i] * c[i] - bc * u[i]
                out[i, k] = v
        return out
    raise invalid(_HERE, "form", form, "use 'general', or 'expanded' with g='exp'")

"""mpmath twin of `certify.kernels.softmax` (independent routes).

* softmax:  f_i = 1 / sum_k exp(u_k - u_i)   (no max-shift, no normalisation by a common sum);
* logsumexp: log(fsum(exp(u))) directly (mpmath has no overflow at these magnitudes);
* jacobian: numerical differentiation ``mpm.diff`` of the softmax map at u = log f (entries with f_k = 0
  contribute zero rows and columns: they are the limit of u_k -> -inf);
* jacobian_apply: the differentiated Jacobian applied to v (fsum of the products);
* curvature: mixed second partial derivatives (``mpm.diff`` with orders) of u -> <softmax(u), v> at u = log f.

Every function takes an explicit ``mpmath.MPContext`` ``mpm`` first; arrays are numpy object arrays of mpf.
"""

from __future__ import annotations

import numpy as np

from certify.reference._mparray import mp_zeros, to_mp

__all__ = ["softmax", "softmax_rows", "logsumexp", "jacobian", "jacobian_apply", "curvature"]


def _vec(mpm, x):
    a = to_mp(mpm, np.asarray(x, dtype=object) if not isinstance(x, np.ndarray) else x)
    return a.reshape(-1)


def _softmax_list(mpm, u):
    n = len(u)
    out = []
    for i in range(n):
        s = mpm.fsum(mpm.exp(u[k] - u[i]) for k in range(n))
        out.append(1 / s)
    return out


def softmax(mpm, u):
    u = _vec(mpm, u)
    return np.array(_softmax_list(mpm, list(u)) + [None], dtype=object)[:-1]


def softmax_rows(mpm, Z):
    Z = to_mp(mpm, Z)
    out = mp_zeros(mpm, Z.shape)
    for j in range(Z.shape[0]):
        out[j, :] = softmax(mpm, Z[j, :])
    return out


def logsumexp(mpm, u):
    u = _vec(mpm, u)
    return mpm.log(mpm.fsum(mpm.exp(x) for x in u))


def _support_logits(mpm, f):
    f = _vec(mpm, f)
    supp = [k for k in range(f.shape[0]) if f[k] != 0]
    total = mpm.fsum(f[k] for k in supp)
    # u = log f; a normalisation of f (if it does not sum to 1) is a shift of u and changes nothing below
    # except an overall scale, handled by rescaling the result.
    u = [mpm.log(f[k]) for k in supp]
    return f, supp, u, total


def jacobian(mpm, f):
    """J(f) by differentiating softmax at u = log f (the scale of f is restored: J(c f) = c J(f) + O(c^2)...)."""
    f, supp, u, total = _support_logits(mpm, f)
    n = f.shape[0]
    out = mp_zeros(mpm, (n, n))
    m = len(supp)
    for a in range(m):
        for b in range(m):

            def comp(t, a=a, b=b):
                uu = list(u)
                uu[b] = uu[b] + t
                s = mpm.fsum(mpm.exp(uu[k] - uu[a]) for k in range(m))
                return 1 / s

            out[supp[a], supp[b]] = mpm.diff(comp, 0)
    if total != 1:
        # J(f) for non-normalised f: diag(f) - f f^T = t (diag(p) - t p p^T) with p = f / t.
        p_out = out
        out = mp_zeros(mpm, (n, n))
        for a in supp:
            for b in supp:
                pa = f[a] / total
                d = pa if a == b else 0
                jab = p_out[a, b]
                # p_out = diag(p) - p p^T  ->  diag(f) - f f^T = total*diag(p) - total^2 p p^T
                out[a, b] = total * d + total**2 * (jab - d)
    return out


def jacobian_apply(mpm, f, v):
    J = jacobian(mpm, f)
    v = _vec(mpm, v)
    n = J.shape[0]
    return np.array([mpm.fsum(J[i, k] * v[k] for k in range(n)) for i in range(n)] + [None], dtype=object)[:-1]


def curvature(mpm, f, v):
    """Gamma(f, v) as the Hessian of u -> <softmax(u), v> at u = log f (f assumed normalised)."""
    f, supp, u, total = _support_logits(mpm, f)
    v = _vec(mpm, v)
    n = f.shape[0]
    m = len(supp)
    vs = [v[k] for k in supp]
    out = mp_zeros(mpm, (n, n))

    def g(*uu):
        # <softmax(u), v> = sum_k exp(u_k) v_k / sum_k exp(u_k): O(m) exponentials per evaluation
        e = [mpm.exp(t) for t in uu]
        return mpm.fsum(ek * vk for ek, vk in zip(e, vs, strict=True)) / mpm.fsum(e)

    for a in range(m):
        for b in range(a, m):
            orders = [0] * m
            orders[a] += 1
            orders[b] += 1
            val = mpm.diff(g, tuple(u), tuple(orders))
            out[supp[a], supp[b]] = val
            out[supp[b], supp[a]] = val
    return out

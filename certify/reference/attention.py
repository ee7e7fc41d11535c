"""mpmath twin of `certify.kernels.attention` (independent routes).

* The loss is evaluated in the literal Kronecker / sum form of eq. (5): the logit (j0, k) is the explicit sum
  ``sum_{p,q} (A1)_{j0,p} (A2)_{k,q} X_{p,q}`` (row (j0-1)n+k of A1 (x) A2 times x), softmax as
  ``exp(u) / fsum(exp(u))`` (no max shift: mpmath does not overflow), and the n*d residuals are summed one by one.
* Every derivative (gradients, H_xx, H_yy, H_xy, the joint Hessian, the blocks B_j, the regulariser gradients)
  is obtained by high-precision numerical differentiation ``mpm.diff`` of that loss (or, for B_j, of
  u -> 1/2 sum_i (<softmax(u), h_i> - b_ji)^2), never from the closed forms (12)-(16). The data term and the
  regulariser are differentiated separately (a regulariser of size 1e6 must not swamp the data term's digits);
  the x-regulariser Hessian is the literal matrix (below).
* The kron_weighted regulariser Hessian is the literal product A^T W^2 A with A = A1 (x) A2 built entrywise.

Cost: a Hessian in p variables needs about 2 p^2 loss evaluations; keep n, d small (d <= 3, n <= 8 for Hessians).
"""

from __future__ import annotations

import numpy as np

from certify.errors import invalid
from certify.reference._mparray import mp_zeros, to_mp

__all__ = [
    "logits", "attention_matrix", "residual", "loss", "loss_kron", "grad_x", "grad_y", "grad_x_kron",
    "b_blocks", "hessian_xx", "hessian_xx_kron", "hessian_yy", "hessian_xy", "hessian",
    "reg_x_value", "reg_x_grad", "reg_x_hessian", "reg_y_value", "reg_y_grad", "reg_y_hessian",
]

_HERE = "reference.attention"


def _mp2(mpm, M, name):
    a = to_mp(mpm, M if isinstance(M, np.ndarray) else np.asarray(M, dtype=float))
    if a.ndim != 2:
        raise invalid(_HERE, name, f"shape {a.shape}", "pass a 2-D array")
    return a


def _fac(objective, derivative=True):
    if objective == "squared":
        return 2
    if objective == "half_squared":
        return 1
    if objective == "norm" and not derivative:
        return None
    raise invalid(_HERE, "objective", objective, "use 'squared' or 'half_squared' ('norm' for the loss only)")


class _Problem:
    """Holds the data (as lists of mpf) and evaluates the literal loss at given x, y lists."""

    def __init__(self, mpm, A1, A2, A3, B, X, Y, objective, logit_scale, reg_x, lam_x, w_x, reg_y, lam_y, w_y,
                 derivative=True):
        self.mpm = mpm
        self.A1 = _mp2(mpm, A1, "A1")
        self.n, self.d = self.A1.shape
        self.A2 = _mp2(mpm, A2, "A2")
        self.A3 = _mp2(mpm, A3, "A3") if A3 is not None else None
        self.B = _mp2(mpm, B, "B") if B is not None else None
        self.X = _mp2(mpm, X, "X") if X is not None else None
        self.Y = _mp2(mpm, Y, "Y") if Y is not None else None
        self.objective = objective
        self.fac = _fac(objective, derivative)
        self.s = mpm.mpf(logit_scale)
        self.reg_x, self.reg_y = reg_x, reg_y
        self.lam_x = mpm.mpf(lam_x)
        self.lam_y = mpm.mpf(lam_y)
        n = self.n
        if reg_x not in ("none", "ridge", "kron_weighted"):
            raise invalid(_HERE, "reg_x", reg_x, "use 'none', 'ridge' or 'kron_weighted'")
        if reg_y not in ("none", "ridge", "weighted"):
            raise invalid(_HERE, "reg_y", reg_y, "use 'none', 'ridge' or 'weighted'")
        self.wx = None
        if reg_x == "kron_weighted":
            w = to_mp(mpm, w_x if isinstance(w_x, np.ndarray) else np.asarray(w_x, dtype=float)).reshape(-1)
            self.wx = list(w)  # index (j, k) -> j*n + k
            assert len(self.wx) == n * n
        self.wy = None
        if reg_y == "weighted":
            w = to_mp(mpm, w_y if isinstance(w_y, np.ndarray) else np.asarray(w_y, dtype=float)).reshape(-1)
            self.wy = list(w)

    # literal row (j0, k) of A1 (x) A2: K[(j0,k),(p,q)] = A1[j0,p] A2[k,q]
    def kron_row_dot(self, j0, k, x):
        d = self.d
        A1, A2 = self.A1, self.A2
        return self.mpm.fsum(A1[j0, p] * A2[k, q] * x[p * d + q] for p in range(d) for q in range(d))

    def logits(self, x):
        n = self.n
        return [[self.s * self.kron_row_dot(j0, k, x) for k in range(n)] for j0 in range(n)]

    def softmax_rows(self, x):
        mpm = self.mpm
        out = []
        for u in self.logits(x):
            e = [mpm.exp(t) for t in u]
            tot = mpm.fsum(e)
            out.append([t / tot for t in e])
        return out

    def residuals(self, x, y):
        """c_{j0,i0} = <f_{j0}, A3 Y_{*,i0}> - b_{j0,i0}  (eq. (5), one scalar at a time)."""
        mpm, n, d = self.mpm, self.n, self.d
        F = self.softmax_rows(x)
        H = [[mpm.fsum(self.A3[r, k] * y[k * d + i0] for k in range(d)) for r in range(n)] for i0 in range(d)]
        return [[mpm.fsum(F[j0][r] * H[i0][r] for r in range(n)) - self.B[j0, i0] for i0 in range(d)]
                for j0 in range(n)]

    def reg_value(self, x, y):
        mpm, n, d = self.mpm, self.n, self.d
        v = mpm.mpf(0)
        if self.reg_x == "ridge":
            v += self.lam_x / 2 * mpm.fsum(t * t for t in x)
        elif self.reg_x == "kron_weighted":
            v += mpm.fsum((self.wx[j * n + k] * self.kron_row_dot(j, k, x)) ** 2
                          for j in range(n) for k in range(n)) / 2
        if self.reg_y == "ridge":
            v += self.lam_y / 2 * mpm.fsum(t * t for t in y)
        elif self.reg_y == "weighted":
            v += mpm.fsum((self.wy[r] * mpm.fsum(self.A3[r, k] * y[k * d + i] for k in range(d))) ** 2
                          for r in range(n) for i in range(d)) / 2
        return v

    def data_loss(self, x, y):
        mpm = self.mpm
        sq = mpm.fsum(c * c for row in self.residuals(x, y) for c in row)
        if self.objective == "norm":
            return mpm.sqrt(sq)
        return self.fac * sq / 2

    def loss(self, x, y):
        return self.data_loss(x, y) + self.reg_value(x, y)

    def xy(self):
        return list(self.X.reshape(-1)), list(self.Y.reshape(-1))


def _problem(mpm, A1, A2, A3, B, X, Y, objective, logit_scale, reg_x, lam_x, w_x, reg_y, lam_y, w_y,
             derivative=True):
    return _Problem(mpm, A1, A2, A3, B, X, Y, objective, logit_scale, reg_x, lam_x, w_x, reg_y, lam_y, w_y,
                    derivative)


def _gradient(mpm, fun, z):
    """Gradient of fun(list) at z by mpm.diff, one coordinate at a time."""
    out = []
    for i in range(len(z)):

        def g(t, i=i):
            zz = list(z)
            zz[i] = zz[i] + t
            return fun(zz)

        out.append(mpm.diff(g, 0))
    return np.array(out + [None], dtype=object)[:-1]


def _hess(mpm, fun, z, rows, cols):
    """Second partials d^2 fun / dz_r dz_c for r in rows, c in cols, by mpm.diff with orders."""
    out = mp_zeros(mpm, (len(rows), len(cols)))
    m = len(z)
    cache = {}

    def g(*zz):
        return fun(list(zz))

    for a, r in enumerate(rows):
        for b, c in enumerate(cols):
            key = (min(r, c), max(r, c))
            if key not in cache:
                orders = [0] * m
                orders[r] += 1
                orders[c] += 1
                cache[key] = mpm.diff(g, tuple(z), tuple(orders))
            out[a, b] = cache[key]
    return out


# ------------------------------------------------------------------------------------------------------------


def logits(mpm, A1, A2, X, logit_scale=1.0):
    P = _problem(mpm, A1, A2, None, None, X, None, "squared", logit_scale, "none", 0, None, "none", 0, None)
    L = P.logits(list(P.X.reshape(-1)))
    return np.array(L, dtype=object)


def attention_matrix(mpm, A1, A2, X, logit_scale=1.0):
    P = _problem(mpm, A1, A2, None, None, X, None, "squared", logit_scale, "none", 0, None, "none", 0, None)
    return np.array(P.softmax_rows(list(P.X.reshape(-1))), dtype=object)


def residual(mpm, A1, A2, A3, B, X, Y, logit_scale=1.0):
    P = _problem(mpm, A1, A2, A3, B, X, Y, "squared", logit_scale, "none", 0, None, "none", 0, None)
    x, y = P.xy()
    return np.array(P.residuals(x, y), dtype=object)


def loss(mpm, A1, A2, A3, B, X, Y, objective="squared", logit_scale=1.0,
         reg_x="none", lam_x=0.0, w_x=None, reg_y="none", lam_y=0.0, w_y=None):
    P = _problem(mpm, A1, A2, A3, B, X, Y, objective, logit_scale, reg_x, lam_x, w_x, reg_y, lam_y, w_y,
                 derivative=False)
    x, y = P.xy()
    return P.loss(x, y)


loss_kron = loss


def grad_x(mpm, A1, A2, A3, B, X, Y, objective="squared", logit_scale=1.0,
           reg_x="none", lam_x=0.0, w_x=None, reg_y="none", lam_y=0.0, w_y=None):
    P = _problem(mpm, A1, A2, A3, B, X, Y, objective, logit_scale, reg_x, lam_x, w_x, reg_y, lam_y, w_y)
    x, y = P.xy()
    g = _gradient(mpm, lambda xx: P.data_loss(xx, y), x)
    if reg_x != "none":
        g = g + _gradient(mpm, lambda xx: P.reg_value(xx, y), x)
    return g


grad_x_kron = grad_x


def grad_y(mpm, A1, A2, A3, B, X, Y, objective="squared", logit_scale=1.0,
           reg_x="none", lam_x=0.0, w_x=None, reg_y="none", lam_y=0.0, w_y=None):
    P = _problem(mpm, A1, A2, A3, B, X, Y, objective, logit_scale, reg_x, lam_x, w_x, reg_y, lam_y, w_y)
    x, y = P.xy()
    g = _gradient(mpm, lambda yy: P.data_loss(x, yy), y)
    if reg_y != "none":
        g = g + _gradient(mpm, lambda yy: P.reg_value(x, yy), y)
    return g


def b_blocks(mpm, A1, A2, A3, B, X, Y, logit_scale=1.0):
    """B_j = Hessian in u of 1/2 sum_i (<softmax(u), h_i> - b_ji)^2 at u = row j of the logits (mpm.diff)."""
    P = _problem(mpm, A1, A2, A3, B, X, Y, "half_squared", logit_scale, "none", 0, None, "none", 0, None)
    x, y = P.xy()
    n, d = P.n, P.d
    Hc = [[mpm.fsum(P.A3[r, k] * y[k * d + i0] for k in range(d)) for r in range(n)] for i0 in range(d)]
    U = P.logits(x)
    out = np.empty((n, n, n), dtype=object)
    for j in range(n):

        def phi(u, j=j):
            e = [mpm.exp(t) for t in u]
            tot = mpm.fsum(e)
            f = [t / tot for t in e]
            return mpm.fsum((mpm.fsum(f[r] * Hc[i0][r] for r in range(n)) - P.B[j, i0]) ** 2
                            for i0 in range(d)) / 2

        out[j] = _hess(mpm, phi, U[j], list(range(n)), list(range(n)))
    return out


def hessian_xx(mpm, A1, A2, A3, B, X, Y, objective="squared", logit_scale=1.0,
               reg_x="none", lam_x=0.0, w_x=None, reg_y="none", lam_y=0.0, w_y=None):
    P = _problem(mpm, A1, A2, A3, B, X, Y, objective, logit_scale, reg_x, lam_x, w_x, reg_y, lam_y, w_y)
    return _hxx(mpm, P, A1, A2, reg_x, lam_x, w_x)


def _hxx(mpm, P, A1, A2, reg_x, lam_x, w_x):
    """Data part by mpm.diff; regulariser part literal (lam I or A^T W^2 A), added afterwards."""
    x, y = P.xy()
    p = len(x)
    H = _hess(mpm, lambda xx: P.data_loss(xx, y), x, list(range(p)), list(range(p)))
    if reg_x != "none":
        H = H + reg_x_hessian(mpm, A1, A2, reg_x=reg_x, lam_x=lam_x, w_x=w_x)
    return H


def _hyy(mpm, P, reg_y, lam_y, w_y):
    x, y = P.xy()
    p = len(y)
    H = _hess(mpm, lambda yy: P.data_loss(x, yy), y, list(range(p)), list(range(p)))
    if reg_y != "none":
        H = H + _hess(mpm, lambda yy: P.reg_value(x, yy), y, list(range(p)), list(range(p)))
    return H


hessian_xx_kron = hessian_xx


def hessian_yy(mpm, A1, A2, A3, B, X, Y, objective="squared", logit_scale=1.0,
               reg_x="none", lam_x=0.0, w_x=None, reg_y="none", lam_y=0.0, w_y=None):
    P = _problem(mpm, A1, A2, A3, B, X, Y, objective, logit_scale, reg_x, lam_x, w_x, reg_y, lam_y, w_y)
    return _hyy(mpm, P, reg_y, lam_y, w_y)


def hessian_xy(mpm, A1, A2, A3, B, X, Y, objective="squared", logit_scale=1.0,
               reg_x="none", lam_x=0.0, w_x=None, reg_y="none", lam_y=0.0, w_y=None):
    P = _problem(mpm, A1, A2, A3, B, X, Y, objective, logit_scale, reg_x, lam_x, w_x, reg_y, lam_y, w_y)
    x, y = P.xy()
    p = len(x)
    z = x + y
    return _hess(mpm, lambda zz: P.data_loss(zz[:p], zz[p:]), z, list(range(p)), list(range(p, 2 * p)))


def hessian(mpm, A1, A2, A3, B, X, Y, objective="squared", logit_scale=1.0,
            reg_x="none", lam_x=0.0, w_x=None, reg_y="none", lam_y=0.0, w_y=None):
    P = _problem(mpm, A1, A2, A3, B, X, Y, objective, logit_scale, reg_x, lam_x, w_x, reg_y, lam_y, w_y)
    x, y = P.xy()
    p = len(x)
    z = x + y
    idx = list(range(2 * p))
    H = _hess(mpm, lambda zz: P.data_loss(zz[:p], zz[p:]), z, idx, idx)
    if reg_x != "none":
        H[:p, :p] = H[:p, :p] + reg_x_hessian(mpm, A1, A2, reg_x=reg_x, lam_x=lam_x, w_x=w_x)
    if reg_y != "none":
        H[p:, p:] = H[p:, p:] + _hess(mpm, lambda yy: P.reg_value(x, yy), y, list(range(p)), list(range(p)))
    return H


# ---- regulariser terms -------------------------------------------------------------------------------------


def _reg_problem(mpm, A1, A2, A3, X, Y, reg_x, lam_x, w_x, reg_y, lam_y, w_y):
    if A1 is None:
        A1 = A2 = A3
    return _problem(mpm, A1, A2, A3, None, X, Y, "half_squared", 1, reg_x, lam_x, w_x, reg_y, lam_y, w_y)


def reg_x_value(mpm, A1, A2, X, reg_x="kron_weighted", lam_x=0.0, w_x=None):
    P = _reg_problem(mpm, A1, A2, None, X, None, reg_x, lam_x, w_x, "none", 0, None)
    return P.reg_value(list(P.X.reshape(-1)), [])


def reg_x_grad(mpm, A1, A2, X, reg_x="kron_weighted", lam_x=0.0, w_x=None):
    P = _reg_problem(mpm, A1, A2, None, X, None, reg_x, lam_x, w_x, "none", 0, None)
    return _gradient(mpm, lambda xx: P.reg_value(xx, []), list(P.X.reshape(-1)))


def reg_x_hessian(mpm, A1, A2, reg_x="kron_weighted", lam_x=0.0, w_x=None):
    """Literal: lam_x I (ridge) or A^T W^2 A with A = A1 (x) A2 built entry by entry (kron_weighted)."""
    P = _reg_problem(mpm, A1, A2, None, None, None, reg_x, lam_x, w_x, "none", 0, None)
    n, d = P.n, P.d
    out = mp_zeros(mpm, (d * d, d * d))
    if reg_x == "ridge":
        for i in range(d * d):
            out[i, i] = P.lam_x
    elif reg_x == "kron_weighted":
        K = [[P.A1[j, p] * P.A2[k, q] for p in range(d) for q in range(d)] for j in range(n) for k in range(n)]
        w2 = [t * t for t in P.wx]
        for a in range(d * d):
            for b in range(a, d * d):
                v = mpm.fsum(w2[r] * K[r][a] * K[r][b] for r in range(n * n))
                out[a, b] = v
                out[b, a] = v
    return out


def reg_y_value(mpm, A3, Y, reg_y="weighted", lam_y=0.0, w_y=None):
    P = _reg_problem(mpm, None, None, A3, None, Y, "none", 0, None, reg_y, lam_y, w_y)
    return P.reg_value([], list(P.Y.reshape(-1)))


def reg_y_grad(mpm, A3, Y, reg_y="weighted", lam_y=0.0, w_y=None):
    P = _reg_problem(mpm, None, None, A3, None, Y, "none", 0, None, reg_y, lam_y, w_y)
    return _gradient(mpm, lambda yy: P.reg_value([], yy), list(P.Y.reshape(-1)))


def reg_y_hessian(mpm, A3, reg_y="weighted", lam_y=0.0, w_y=None):
    P = _reg_problem(mpm, None, None, A3, None, None, "none", 0, None, reg_y, lam_y, w_y)
    d = P.d
    y0 = [mpm.mpf(0)] * (d * d)
    return _hess(mpm, lambda yy: P.reg_value([], yy), y0, list(range(d * d)), list(range(d * d)))

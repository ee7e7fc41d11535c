"""Regularised exp / cosh / sinh regression, softmax regression and rescaled regression (float64, numba).

Conventions (claims/attention_regression.md sections 2, 7):

* ``u := A x``; ``W := diag(w)`` (``w=None`` means no regulariser); the regulariser is ``1/2 ||W A x||^2``.
* ``objective``: ``half_squared`` is ``L_h = 1/2 ||residual||^2 + 1/2 ||W A x||^2``; ``squared`` is ``2 L_h``
  (every derivative times 2); ``norm`` is ``sqrt(2 L_h)`` = the l2 norm of the stacked residual
  ``[residual; W A x]`` (same minimisers; derivatives by the chain rule
  ``grad N = grad L_h / N``, ``hess N = hess L_h / N - grad L_h grad L_h^T / N^3``; undefined at N = 0).
* exp-family (li2023e, eqs. 32-37): ``residual = f(u) - b`` with f in {exp, cosh, sinh};
  gradient ``A^T[(f(u) - b) o f'(u)] + A^T W^2 A x``, Hessian ``A^T diag(phi(u; b) + w o w) A`` with
  ``phi = f'^2 + (f - b) f''`` evaluated from the closed forms of the table (34).
  Default objective ``half_squared`` (the abstract's 0.5).
* softmax regression (deng2023s, eqs. 38-43): ``residual = c = softmax(A x) - b``; gradient
  ``A^T(f o c - <f, c> f) + A^T W^2 A x``; Hessian ``A^T (B + W^2) A`` with ``B`` in two forms:
  ``jgamma`` = ``J(f)^2 + Gamma(f, c)`` and ``expanded`` = the expanded formula of (40).
  Default objective ``squared`` (the abstract's form).
* rescaled regression (gao2023r, eqs. 44-48): ``residual = c = P g(Ax)``, ``P = I - b 1^T``; gradient
  ``A^T[u' o (c - <b, c> 1)]``; Hessian ``A^T B A`` with ``B`` in two forms: ``general`` =
  ``diag(u') P^T P diag(u') + diag(u'' o (c - <b, c> 1))`` and ``expanded`` (exp only).
  Default objective ``norm`` (the abstract's plain norm).

Names ending in ``_k`` are the jitted kernels; the public wrappers validate and allocate.
"""

from __future__ import annotations

import numba
import numpy as np

from certify.errors import invalid
from certify.kernels._validate import float_array

# the shared softmax primitives (kernels/softmax.py): stable softmax, J(f) with 1 - f_k as sum_{j != k} f_j,
# the centred J(f) v and Gamma(f, v)
from certify.kernels.softmax import _curvature_kernel, _jacobian_apply_kernel, _others_sum, _softmax_into

__all__ = [
    "FAMILIES",
    "OBJECTIVES",
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

_HERE = "kernels.regression"
FAMILIES = ("exp", "cosh", "sinh")
OBJECTIVES = ("half_squared", "squared", "norm")
_KIND = {"exp": 0, "cosh": 1, "sinh": 2}


# ----------------------------------------------------------------------------------------------------------
# validation
# ----------------------------------------------------------------------------------------------------------


def _arr(where, name, x, ndim):
    return float_array(where, name, x, ndim, want="a 2-D matrix (n, d)" if ndim == 2 else None)


def _check_len(where, name, a, n, what):
    if a.shape[0] != n:
        raise invalid(where, name, f"shape {a.shape}", f"pass a vector of length {n} ({what})")


def _problem(where, A, b, w, x):
    A = _arr(where, "A", A, 2)
    n, d = A.shape
    b = _arr(where, "b", b, 1)
    _check_len(where, "b", b, n, "rows of A")
    if w is None:
        w = np.zeros(n)
    else:
        w = _arr(where, "w", w, 1)
        _check_len(where, "w", w, n, "rows of A")
    x = _arr(where, "x", x, 1)
    _check_len(where, "x", x, d, "columns of A")
    return A, b, w, x


def _family(where, f, name="f"):
    if f not in _KIND:
        raise invalid(where, name, f, "use one of 'exp', 'cosh', 'sinh'")
    return _KIND[f]


def _objective(where, objective):
    if objective not in OBJECTIVES:
        raise invalid(where, "objective", objective, "use one of 'half_squared', 'squared', 'norm'")
    return objective


def _loss_out(lh, objective):
    if objective == "half_squared":
        return float(lh)
    if objective == "squared":
        return float(2.0 * lh)
    return float(np.sqrt(2.0 * lh))


def _grad_out(where, lh, g, objective):
    if objective == "half_squared":
        return g
    if objective == "squared":
        return 2.0 * g
    N = np.sqrt(2.0 * lh)
    if not N > 0.0:
        raise invalid(where, "objective", objective, "the norm objective is not differentiable at zero residual; "
                      "use objective='half_squared'")
    return g / N


def _hess_out(where, lh, g, H, objective):
    if objective == "half_squared":
        return H
    if objective == "squared":
        return 2.0 * H
    N = np.sqrt(2.0 * lh)
    if not N > 0.0:
        raise invalid(where, "objective", objective, "the norm objective is not differentiable at zero residual; "
                      "use objective='half_squared'")
    gu = g / N
    return (H - np.outer(gu, gu)) / N


# ----------------------------------------------------------------------------------------------------------
# jitted kernels: shared pieces
# ----------------------------------------------------------------------------------------------------------


@numba.njit(cache=True)
def _matvec_k(A, x):
    n, d = A.shape
    u = np.zeros(n)
    for i in range(n):
        s = 0.0
        for j in range(d):
            s += A[i, j] * x[j]
        u[i] = s
    return u


@numba.njit(cache=True)
def _rmatvec_k(A, r):
    n, d = A.shape
    g = np.zeros(d)
    for i in range(n):
        ri = r[i]
        if ri != 0.0:
            for j in range(d):
                g[j] += A[i, j] * ri
    return g


@numba.njit(cache=True)
def _symmetrize_k(H):
    """H <- (H + H^T) / 2 in place (exactly symmetric); returns H."""
    d = H.shape[0]
    for i in range(d):
        for j in range(i + 1, d):
            s = 0.5 * (H[i, j] + H[j, i])
            H[i, j] = s
            H[j, i] = s
    return H


@numba.njit(cache=True)
def _sandwich_diag_k(A, D):
    """A^T diag(D) A (d, d), symmetric by construction."""
    n, d = A.shape
    AD = np.empty((n, d))
    for i in range(n):
        for j in range(d):
            AD[i, j] = A[i, j] * D[i]
    return _symmetrize_k(np.dot(np.ascontiguousarray(AD.T), A))


@numba.njit(cache=True)
def _sandwich_k(A, M):
    """A^T M A (d, d) for a symmetric n x n middle matrix M."""
    return _symmetrize_k(np.dot(np.ascontiguousarray(A.T), np.dot(M, A)))


@numba.njit(cache=True)
def _fam_k(t, kind):
    """(g(t), g'(t), g''(t)) for g in {exp, cosh, sinh} (kind 0, 1, 2)."""
    if kind == 0:
        e = np.exp(t)
        return e, e, e
    if kind == 1:
        return np.cosh(t), np.sinh(t), np.cosh(t)
    return np.sinh(t), np.cosh(t), np.sinh(t)


# ----------------------------------------------------------------------------------------------------------
# exp / cosh / sinh regression (li2023e)
# ----------------------------------------------------------------------------------------------------------


@numba.njit(cache=True)
def _phi_k(u, b, kind):
    """phi_i from the closed forms of table (34): exp 2e^{2t} - b e^t; cosh cosh 2t - b cosh t; sinh cosh 2t - b sinh t."""
    n = u.shape[0]
    out = np.empty(n)
    for i in range(n):
        t = u[i]
        if kind == 0:
            e = np.exp(t)
            out[i] = e * (2.0 * e - b[i])
        elif kind == 1:
            out[i] = np.cosh(2.0 * t) - b[i] * np.cosh(t)
        else:
            out[i] = np.cosh(2.0 * t) - b[i] * np.sinh(t)
    return out


@numba.njit(cache=True)
def _phi_inf_k(b, kind):
    """Exact inf_t phi(t; b_i) from table (35)."""
    n = b.shape[0]
    out = np.empty(n)
    for i in range(n):
        bi = b[i]
        if kind == 0:
            out[i] = -bi * bi / 8.0 if bi > 0.0 else 0.0
        elif kind == 1:
            out[i] = 1.0 - bi if bi <= 4.0 else -1.0 - bi * bi / 8.0
        else:
            out[i] = 1.0 - bi * bi / 8.0
    return out


@numba.njit(cache=True)
def _exp_all_k(A, b, w, x, kind, want_hess):
    """Half-squared loss, gradient and (optionally) Hessian of (32)."""
    n, d = A.shape
    u = _matvec_k(A, x)
    r = np.empty(n)
    lh = 0.0
    for i in range(n):
        fv, f1, f2 = _fam_k(u[i], kind)
        res = fv - b[i]
        wu = w[i] * u[i]
        lh += 0.5 * (res * res + wu * wu)
        r[i] = res * f1 + w[i] * wu
    g = _rmatvec_k(A, r)
    if want_hess:
        D = _phi_k(u, b, kind)
        for i in range(n):
            D[i] += w[i] * w[i]
        H = _sandwich_diag_k(A, D)
    else:
        H = np.zeros((0, 0))
    return lh, g, H


def phi(u, b, f="exp"):
    """phi(u_i; b_i) = f'(u_i)^2 + (f(u_i) - b_i) f''(u_i) of (34), entrywise (n,)."""
    where = f"{_HERE}.phi"
    u = _arr(where, "u", u, 1)
    b = _arr(where, "b", b, 1)
    _check_len(where, "b", b, u.shape[0], "same as u")
    return _phi_k(u, b, _family(where, f))


def phi_infimum(b, f="exp"):
    """inf over t in R of phi(t; b_i), entrywise (n,): table (35)."""
    where = f"{_HERE}.phi_infimum"
    b = _arr(where, "b", b, 1)
    return _phi_inf_k(b, _family(where, f))


def exp_hessian_weights(A, b, w, x, f="exp"):
    """The diagonal middle matrix of (34): phi(Ax; b) + w o w (n,), so that the Hessian is A^T diag(.) A."""
    where = f"{_HERE}.exp_hessian_weights"
    A, b, w, x = _problem(where, A, b, w, x)
    kind = _family(where, f)
    return _phi_k(_matvec_k(A, x), b, kind) + w * w


def exp_loss(A, b, w, x, f="exp", objective="half_squared"):
    """L(x) = 0.5 ||f(Ax) - b||^2 + 0.5 ||diag(w) A x||^2 (eq. 32) in the chosen objective scale."""
    where = f"{_HERE}.exp_loss"
    A, b, w, x = _problem(where, A, b, w, x)
    lh, _, _ = _exp_all_k(A, b, w, x, _family(where, f), False)
    return _loss_out(lh, _objective(where, objective))


def exp_grad(A, b, w, x, f="exp", objective="half_squared"):
    """Gradient (33): A^T[(f(u) - b) o f'(u)] + A^T W^2 A x (d,)."""
    where = f"{_HERE}.exp_grad"
    A, b, w, x = _problem(where, A, b, w, x)
    lh, g, _ = _exp_all_k(A, b, w, x, _family(where, f), False)
    return _grad_out(where, lh, g, _objective(where, objective))


def exp_hessian(A, b, w, x, f="exp", objective="half_squared"):
    """Hessian (34): A^T diag(phi(u; b) + w o w) A (d, d)."""
    where = f"{_HERE}.exp_hessian"
    A, b, w, x = _problem(where, A, b, w, x)
    lh, g, H = _exp_all_k(A, b, w, x, _family(where, f), True)
    return _hess_out(where, lh, g, H, _objective(where, objective))


# ----------------------------------------------------------------------------------------------------------
# softmax regression (deng2023s)
# ----------------------------------------------------------------------------------------------------------


@numba.njit(cache=True)
def _add_jacobian_squared(f, out):
    """out += J(f)^2 in O(n^2) (no n^3 product), with 1 - f_k as sum_{j != k} f_j and the sums of squares
    taken around the largest entry (accurate near a vertex):
    (J^2)_ii = f_i^2 (rest_i^2 + sum_{j != i} f_j^2),
    (J^2)_ik = -f_i f_k (f_i rest_i + f_k rest_k - sum_{j != i, k} f_j^2)."""
    n = f.shape[0]
    rest = np.empty(n)
    _others_sum(f, rest)
    m = 0
    for k in range(1, n):
        if f[k] > f[m]:
            m = k
    Q = 0.0
    for j in range(n):
        if j != m:
            Q += f[j] * f[j]
    fm2 = f[m] * f[m]
    for i in range(n):
        excl_i = Q if i == m else fm2 + (Q - f[i] * f[i])
        out[i, i] += f[i] * f[i] * (rest[i] * rest[i] + excl_i)
        for k in range(i + 1, n):
            if i == m:
                ex2 = Q - f[k] * f[k]
            elif k == m:
                ex2 = Q - f[i] * f[i]
            else:
                ex2 = fm2 + (Q - f[i] * f[i] - f[k] * f[k])
            v = -f[i] * f[k] * (f[i] * rest[i] + f[k] * rest[k] - ex2)
            out[i, k] += v
            out[k, i] += v


@numba.njit(cache=True)
def _softmax_B_k(f, b, form):
    """B(x) of (40): form 0 = J(f)^2 + Gamma(f, f - b); form 1 = the expanded formula."""
    n = f.shape[0]
    B = np.empty((n, n))
    if form == 0:
        c = f - b
        _curvature_kernel(f, c, B)
        _add_jacobian_squared(f, B)
    else:
        p = np.empty(n)  # f o (2f - b)
        s3 = 0.0  # <3f - 2b, f>
        s1 = 0.0  # <f - b, f>
        for i in range(n):
            p[i] = f[i] * (2.0 * f[i] - b[i])
            s3 += (3.0 * f[i] - 2.0 * b[i]) * f[i]
            s1 += (f[i] - b[i]) * f[i]
        for i in range(n):
            for k in range(n):
                B[i, k] = s3 * f[i] * f[k] - p[i] * f[k] - f[i] * p[k]
            B[i, i] += p[i] - s1 * f[i]
    for i in range(n):
        for k in range(i + 1, n):
            s = 0.5 * (B[i, k] + B[k, i])
            B[i, k] = s
            B[k, i] = s
    return B


@numba.njit(cache=True)
def _softmax_all_k(A, b, w, x, want_hess, form):
    n, d = A.shape
    u = _matvec_k(A, x)
    f = np.empty(n)
    _softmax_into(u, f)
    c = f - b
    lh = 0.0
    for i in range(n):
        wu = w[i] * u[i]
        lh += 0.5 * (c[i] * c[i] + wu * wu)
    r = np.empty(n)
    _jacobian_apply_kernel(f, c, r)  # J(f) c = f o c - <f, c> f, centred (no cancellation near a vertex)
    for i in range(n):
        r[i] += w[i] * w[i] * u[i]
    g = _rmatvec_k(A, r)
    if want_hess:
        M = _softmax_B_k(f, b, form)
        for i in range(n):
            M[i, i] += w[i] * w[i]
        H = _sandwich_k(A, M)
    else:
        H = np.zeros((0, 0))
    return lh, g, H


_SOFTMAX_FORMS = {"jgamma": 0, "expanded": 1}


def _softmax_form(where, form):
    if form not in _SOFTMAX_FORMS:
        raise invalid(where, "form", form, "use 'jgamma' (J^2 + Gamma(f, c)) or 'expanded' (eq. 40)")
    return _SOFTMAX_FORMS[form]


def softmax_B(f, b, form="jgamma"):
    """Middle matrix B of (40) at f = softmax(Ax) (n, n); form 'jgamma' or 'expanded'."""
    where = f"{_HERE}.softmax_B"
    f = _arr(where, "f", f, 1)
    b = _arr(where, "b", b, 1)
    _check_len(where, "b", b, f.shape[0], "same as f")
    return _softmax_B_k(f, b, _softmax_form(where, form))


def softmax_loss(A, b, w, x, objective="squared"):
    """||softmax(Ax) - b||^2 + ||W A x||^2 (objective 'squared'); half of it for 'half_squared' (eq. 38)."""
    where = f"{_HERE}.softmax_loss"
    A, b, w, x = _problem(where, A, b, w, x)
    lh, _, _ = _softmax_all_k(A, b, w, x, False, 0)
    return _loss_out(lh, _objective(where, objective))


def softmax_grad(A, b, w, x, objective="squared"):
    """Gradient (39): A^T(f o c - <f, c> f) + A^T W^2 A x, times 2 for 'squared'."""
    where = f"{_HERE}.softmax_grad"
    A, b, w, x = _problem(where, A, b, w, x)
    lh, g, _ = _softmax_all_k(A, b, w, x, False, 0)
    return _grad_out(where, lh, g, _objective(where, objective))


def softmax_hessian(A, b, w, x, objective="squared", form="jgamma"):
    """Hessian (40): A^T (B(x) + W^2) A, times 2 for 'squared'."""
    where = f"{_HERE}.softmax_hessian"
    A, b, w, x = _problem(where, A, b, w, x)
    lh, g, H = _softmax_all_k(A, b, w, x, True, _softmax_form(where, form))
    return _hess_out(where, lh, g, H, _objective(where, objective))


# ----------------------------------------------------------------------------------------------------------
# rescaled regression (gao2023r)
# ----------------------------------------------------------------------------------------------------------


@numba.njit(cache=True)
def _rescaled_parts_k(A, b, x, kind):
    n = A.shape[0]
    u0 = _matvec_k(A, x)
    u = np.empty(n)
    u1 = np.empty(n)
    u2 = np.empty(n)
    for i in range(n):
        u[i], u1[i], u2[i] = _fam_k(u0[i], kind)
    s = 0.0
    for i in range(n):
        s += u[i]
    c = np.empty(n)
    for i in range(n):
        c[i] = u[i] - s * b[i]
    bc = 0.0
    for i in range(n):
        bc += b[i] * c[i]
    r = c - bc  # P^T c = c - <b, c> 1
    return u0, u, u1, u2, c, r


@numba.njit(cache=True)
def _rescaled_B_k(A, b, x, kind, form):
    n = A.shape[0]
    u0, u, u1, u2, c, r = _rescaled_parts_k(A, b, x, kind)
    B = np.empty((n, n))
    if form == 0:
        bb = 0.0
        for i in range(n):
            bb += b[i] * b[i]
        for i in range(n):
            for k in range(n):
                B[i, k] = u1[i] * u1[k] * (bb - b[i] - b[k])
            B[i, i] += u1[i] * u1[i] + u2[i] * r[i]
    else:  # exp expanded form of (46)
        bb = 0.0
        bc = 0.0
        for i in range(n):
            bb += b[i] * b[i]
            bc += b[i] * c[i]
        for i in range(n):
            for k in range(n):
                B[i, k] = -(u[i] * b[i]) * u[k] - u[i] * (u[k] * b[k]) + bb * u[i] * u[k]
            B[i, i] += u[i] * u[i] + u[i] * c[i] - bc * u[i]
    for i in range(n):
        for k in range(i + 1, n):
            t = 0.5 * (B[i, k] + B[k, i])
            B[i, k] = t
            B[k, i] = t
    return B


@numba.njit(cache=True)
def _rescaled_all_k(A, b, w, x, kind, want_hess, form):
    n = A.shape[0]
    u0, u, u1, u2, c, r = _rescaled_parts_k(A, b, x, kind)
    lh = 0.0
    q = np.empty(n)
    for i in range(n):
        wu = w[i] * u0[i]
        lh += 0.5 * (c[i] * c[i] + wu * wu)
        q[i] = u1[i] * r[i] + w[i] * wu
    g = _rmatvec_k(A, q)
    if want_hess:
        M = _rescaled_B_k(A, b, x, kind, form)
        for i in range(n):
            M[i, i] += w[i] * w[i]
        H = _sandwich_k(A, M)
    else:
        H = np.zeros((0, 0))
    return lh, g, H


_RESCALED_FORMS = {"general": 0, "expanded": 1}


def _rescaled_form(where, form, kind):
    if form not in _RESCALED_FORMS:
        raise invalid(where, "form", form, "use 'general' (eq. 46) or 'expanded' (exp only)")
    if form == "expanded" and kind != 0:
        raise invalid(where, "form", form, "the expanded form of (46) exists for g='exp' only; use form='general'")
    return _RESCALED_FORMS[form]


def rescaled_B(A, b, x, g="exp", form="general"):
    """Middle matrix B(x) of (46) (n, n), without the regulariser: Hessian of the half-squared loss = A^T B A."""
    where = f"{_HERE}.rescaled_B"
    A, b, _, x = _problem(where, A, b, None, x)
    kind = _family(where, g, "g")
    return _rescaled_B_k(A, b, x, kind, _rescaled_form(where, form, kind))


def rescaled_loss(A, b, w, x, g="exp", objective="norm"):
    """||g(Ax) - <g(Ax), 1> b|| (objective 'norm', regulariser stacked in); (44), (47)."""
    where = f"{_HERE}.rescaled_loss"
    A, b, w, x = _problem(where, A, b, w, x)
    lh, _, _ = _rescaled_all_k(A, b, w, x, _family(where, g, "g"), False, 0)
    return _loss_out(lh, _objective(where, objective))


def rescaled_grad(A, b, w, x, g="exp", objective="norm"):
    """Gradient (45): A^T[u' o (c - <b, c> 1)] + A^T W^2 A x in the chosen objective scale."""
    where = f"{_HERE}.rescaled_grad"
    A, b, w, x = _problem(where, A, b, w, x)
    lh, gr, _ = _rescaled_all_k(A, b, w, x, _family(where, g, "g"), False, 0)
    return _grad_out(where, lh, gr, _objective(where, objective))


def rescaled_hessian(A, b, w, x, g="exp", objective="norm", form="general"):
    """Hessian (46)-(48): A^T (B(x) + W^2) A in the chosen objective scale."""
    where = f"{_HERE}.rescaled_hessian"
    A, b, w, x = _problem(where, A, b, w, x)
    kind = _family(where, g, "g")
    lh, gr, H = _rescaled_all_k(A, b, w, x, kind, True, _rescaled_form(where, form, kind))
    return _hess_out(where, lh, gr, H, _objective(where, objective))

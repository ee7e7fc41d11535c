"""Softmax primitives in float64 (numba): softmax, log-sum-exp, Jacobian J(f), curvature Gamma(f, v).

Conventions (claims/attention_regression.md section 3):

* ``softmax(u) = exp(u - max u) / sum_k exp(u_k - max u)``; ``softmax_rows`` applies it to each row.
* ``J(f) = diag(f) - f f^T``; its diagonal ``f_k (1 - f_k)`` is computed as ``f_k * sum_{j != k} f_j``
  (prefix/suffix sums, no cancellation when f_k is close to 1).
* ``Gamma(f, v) = diag(f o v) - (f o v) f^T - f (f o v)^T + 2 <f, v> f f^T - <f, v> diag(f)``, the Hessian in u
  of ``<softmax(u), v>``. It is evaluated in the equivalent centred form: with ``w = v - <f, v> 1`` (computed
  after shifting v by one of its own entries, so a large constant in v cancels exactly),
  ``Gamma_ik = -f_i f_k (w_i + w_k)`` (i != k) and ``Gamma_kk = f_k w_k (1 - 2 f_k)`` with
  ``1 - 2 f_k = sum_{j != k} f_j - f_k``.
"""

from __future__ import annotations

import numba
import numpy as np

from certify.errors import invalid
from certify.kernels._validate import float_array

__all__ = [
    "softmax",
    "softmax_rows",
    "logsumexp",
    "jacobian",
    "jacobian_apply",
    "curvature",
]

_HERE = "kernels.softmax"


# ----------------------------------------------------------------------------------------------------------
# validation helpers (shared with kernels.attention)
# ----------------------------------------------------------------------------------------------------------


def _same_length(where: str, name: str, a: np.ndarray, n: int) -> None:
    if a.shape[0] != n:
        raise invalid(where, name, f"shape {a.shape}", f"pass a vector of length {n} (same as f)")


# ----------------------------------------------------------------------------------------------------------
# jitted kernels
# ----------------------------------------------------------------------------------------------------------


@numba.njit(cache=True)
def _softmax_into(u, out):
    n = u.shape[0]
    m = u[0]
    for k in range(1, n):
        if u[k] > m:
            m = u[k]
    s = 0.0
    for k in range(n):
        e = np.exp(u[k] - m)
        out[k] = e
        s += e
    inv = 1.0 / s
    for k in range(n):
        out[k] *= inv


@numba.njit(cache=True)
def _softmax_rows_kernel(Z, out):
    for j in range(Z.shape[0]):
        _softmax_into(Z[j], out[j])


@numba.njit(cache=True)
def _logsumexp_kernel(u):
    n = u.shape[0]
    m = u[0]
    for k in range(1, n):
        if u[k] > m:
            m = u[k]
    s = 0.0
    for k in range(n):
        s += np.exp(u[k] - m)
    return m + np.log(s)


@numba.njit(cache=True)
def _others_sum(f, out):
    """out[k] = sum_{j != k} f_j via prefix and suffix sums (no 1 - f_k cancellation)."""
    n = f.shape[0]
    acc = 0.0
    for k in range(n):
        out[k] = acc
        acc += f[k]
    acc = 0.0
    for k in range(n - 1, -1, -1):
        out[k] += acc
        acc += f[k]


@numba.njit(cache=True)
def _centred(f, v, w):
    """w = v - <f, v> 1, computed after shifting v by its entry at argmax f (exact for constant shifts)."""
    n = f.shape[0]
    ref = 0
    for k in range(1, n):
        if f[k] > f[ref]:
            ref = k
    c = v[ref]
    s = 0.0
    for k in range(n):
        s += f[k] * (v[k] - c)
    for k in range(n):
        w[k] = (v[k] - c) - s


@numba.njit(cache=True)
def _jacobian_kernel(f, out):
    n = f.shape[0]
    rest = np.empty(n)
    _others_sum(f, rest)
    for i in range(n):
        for k in range(n):
            if i == k:
                out[i, k] = f[i] * rest[i]
            else:
                out[i, k] = -f[i] * f[k]


@numba.njit(cache=True)
def _jacobian_apply_kernel(f, v, out):
    n = f.shape[0]
    w = np.empty(n)
    _centred(f, v, w)
    for k in range(n):
        out[k] = f[k] * w[k]


@numba.njit(cache=True)
def _curvature_kernel(f, v, out):
    n = f.shape[0]
    w = np.empty(n)
    rest = np.empty(n)
    _centred(f, v, w)
    _others_sum(f, rest)
    for i in range(n):
        for k in range(n):
            if i == k:
                out[i, i] = f[i] * w[i] * (rest[i] - f[i])
            else:
                out[i, k] = -f[i] * f[k] * (w[i] + w[k])


# ----------------------------------------------------------------------------------------------------------
# public wrappers
# ----------------------------------------------------------------------------------------------------------


def softmax(u):
    """Stable softmax of a vector ``u`` (n,) -> (n,), positive entries summing to 1 (up to underflow)."""
    u = float_array(f"{_HERE}.softmax", "u", u, 1)
    out = np.empty_like(u)
    _softmax_into(u, out)
    return out


def softmax_rows(Z):
    """Row-wise stable softmax of ``Z`` (n, n') -> (n, n')."""
    Z = float_array(f"{_HERE}.softmax_rows", "Z", Z, 2)
    if Z.shape[1] == 0:
        raise invalid(f"{_HERE}.softmax_rows", "Z", f"shape {Z.shape}", "pass at least one column")
    out = np.empty_like(Z)
    _softmax_rows_kernel(Z, out)
    return out


def logsumexp(u):
    """``log(sum(exp(u)))`` computed as ``max u + log(sum(exp(u - max u)))``."""
    u = float_array(f"{_HERE}.logsumexp", "u", u, 1)
    return float(_logsumexp_kernel(u))


def jacobian(f):
    """Softmax Jacobian ``J(f) = diag(f) - f f^T`` (n, n) at ``f = softmax(u)``."""
    f = float_array(f"{_HERE}.jacobian", "f", f, 1)
    out = np.empty((f.shape[0], f.shape[0]))
    _jacobian_kernel(f, out)
    return out


def jacobian_apply(f, v):
    """``J(f) v = f o v - <f, v> f`` without forming J (centred, stable for v = constant + noise)."""
    where = f"{_HERE}.jacobian_apply"
    f = float_array(where, "f", f, 1)
    v = float_array(where, "v", v, 1)
    _same_length(where, "v", v, f.shape[0])
    out = np.empty_like(f)
    _jacobian_apply_kernel(f, v, out)
    return out


def curvature(f, v):
    """Curvature operator ``Gamma(f, v)`` (n, n): the Hessian in u of ``<softmax(u), v>`` at f = softmax(u)."""
    where = f"{_HERE}.curvature"
    f = float_array(where, "f", f, 1)
    v = float_array(where, "v", v, 1)
    _same_length(where, "v", v, f.shape[0])
    out = np.empty((f.shape[0], f.shape[0]))
    _curvature_kernel(f, v, out)
    return out

"""`fp`: float64 arithmetic, numpy for the generic operations and the numba kernels of `certify.kernels`
for the domain quantities. The vocabulary is numpy's ufuncs themselves (no wrapper on the hot path)."""

from __future__ import annotations

import math

import numpy as np

from ._base import Context, is_sparse

__all__ = ["FloatContext"]


def _erf(x):
    from scipy.special import erf  # scipy is slow to import; only claims using erf pay for it

    return erf(x)


_AS_IS = frozenset({float, int, bool, type(None)})   # leaves `convert` returns unchanged


class FloatContext(Context):
    """float64 arithmetic: numpy plus the numba kernels of `certify.kernels`."""

    name = "fp"
    _package = "kernels"
    dps = 15
    pi = math.pi
    e = math.e
    inf = math.inf
    nan = math.nan
    eps = 2.0**-52  # np.finfo(float).eps: the spacing of floats at 1
    unit_roundoff = eps / 2  # 2^-53: round-to-nearest error bound
    _value_doc = {"eps": "2^-52", "unit_roundoff": "2^-53", "magnitude": "None (not tracked)"}

    def asarray(self, x, dtype=None):
        """float64, or complex128 when `x` holds complex numbers; sparse matrices pass as they are."""
        if is_sparse(x):
            return x
        if dtype is None:
            x = np.asarray(x)
            dtype = complex if x.dtype.kind == "c" else float
        return np.asarray(x, dtype=dtype)

    def array(self, x):
        return np.array(self.asarray(x))

    def num(self, x):
        return float(x)

    def convert(self, value):
        # the search converts every instance it evaluates: the common leaves (a Python float or int, a float64
        # array) are already float64 values and are returned as `Context.convert` would return them
        t = type(value)
        if t is float or t is int or t is bool or value is None:
            return value
        if t is np.ndarray and value.dtype == np.float64:
            return value
        if t is dict:
            return {k: v if type(v) in _AS_IS else self.convert(v) for k, v in value.items()}
        return super().convert(value)

    def to_float(self, x):
        return np.asarray(x, dtype=float) if isinstance(x, np.ndarray) else float(x)

    def zeros(self, shape):
        return np.zeros(shape)

    def ones(self, shape):
        return np.ones(shape)

    def eye(self, n):
        return np.eye(n)

    exp = staticmethod(np.exp)
    log = staticmethod(np.log)
    sqrt = staticmethod(np.sqrt)
    expm1 = staticmethod(np.expm1)
    log1p = staticmethod(np.log1p)
    cos = staticmethod(np.cos)
    sin = staticmethod(np.sin)
    tan = staticmethod(np.tan)
    arctan = staticmethod(np.arctan)
    arctan2 = staticmethod(np.arctan2)
    cosh = staticmethod(np.cosh)
    sinh = staticmethod(np.sinh)
    tanh = staticmethod(np.tanh)
    erf = staticmethod(_erf)
    sign = staticmethod(np.sign)
    abs = staticmethod(np.abs)
    minimum = staticmethod(np.minimum)
    maximum = staticmethod(np.maximum)
    where = staticmethod(np.where)

    def eigvalsh(self, a):
        return np.linalg.eigvalsh(np.asarray(a, dtype=float))

    def eigh(self, a):
        return np.linalg.eigh(np.asarray(a, dtype=float))

    def cholesky(self, a):
        return np.linalg.cholesky(np.asarray(a, dtype=float))

    def solve(self, a, b):
        return np.linalg.solve(a, b)

    def lstsq(self, a, b):
        return np.linalg.lstsq(a, b, rcond=None)[0]

    def qr(self, a):
        return np.linalg.qr(a)

    def inv(self, a):
        return np.linalg.inv(a)

    def svdvals(self, a):
        return np.linalg.svd(np.asarray(a, dtype=float), compute_uv=False)

    def svd(self, a):
        return np.linalg.svd(np.asarray(a, dtype=float), full_matrices=False)

    def isfinite(self, x):
        return bool(np.all(np.isfinite(x)))

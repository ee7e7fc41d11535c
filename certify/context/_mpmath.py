"""`mp(dps)`: mpmath at `dps` decimal digits on numpy object arrays of `mpf`, with mpmath's own linear algebra
and the independent twins of `certify.reference.<topic>`. Each context owns a private `mpmath.MPContext`,
so nothing here touches the global `mpmath.mp`."""

from __future__ import annotations

import functools
from fractions import Fraction

import numpy as np

from ..errors import invalid
from ._base import ExactContext, exact_number, inexact_input

__all__ = ["MPContext"]


def _nan_min(mpm):
    def minimum(a, b):
        if mpm.isnan(a) or mpm.isnan(b):
            return mpm.nan
        return b if b < a else a

    return minimum


def _nan_max(mpm):
    def maximum(a, b):
        if mpm.isnan(a) or mpm.isnan(b):
            return mpm.nan
        return b if b > a else a

    return maximum


# numpy applies a math ufunc to an object array by calling the element's method of the ufunc's name (np.exp(a)
# calls x.exp() on each x). mpmath's numbers have no such methods, so a claim body written with plain numpy
# (np.exp, np.log, ...) could not run in the reference. Each context owns its mpf/mpc classes, so the methods
# are added to those of this context only, computed by this context at its precision (never through float64).
_UFUNC_METHODS = {
    "exp": lambda m, x: m.exp(x), "log": lambda m, x: m.log(x), "sqrt": lambda m, x: m.sqrt(x),
    "expm1": lambda m, x: m.expm1(x), "log1p": lambda m, x: m.log1p(x), "log2": lambda m, x: m.log(x, 2),
    "log10": lambda m, x: m.log10(x), "exp2": lambda m, x: m.power(2, x), "cbrt": lambda m, x: m.cbrt(x),
    "sin": lambda m, x: m.sin(x), "cos": lambda m, x: m.cos(x), "tan": lambda m, x: m.tan(x),
    "arcsin": lambda m, x: m.asin(x), "arccos": lambda m, x: m.acos(x), "arctan": lambda m, x: m.atan(x),
    "sinh": lambda m, x: m.sinh(x), "cosh": lambda m, x: m.cosh(x), "tanh": lambda m, x: m.tanh(x),
    "arcsinh": lambda m, x: m.asinh(x), "arccosh": lambda m, x: m.acosh(x), "arctanh": lambda m, x: m.atanh(x),
}


def _teach_numpy_ufuncs(m) -> None:
    for cls in (m.mpf, m.mpc):
        for name, fn in _UFUNC_METHODS.items():
            setattr(cls, name, lambda self, _fn=fn: _fn(self.context, self))


class MPContext(ExactContext):
    """mpmath arithmetic at `dps` digits, on numpy object arrays of `mpf`; private precision.

    Conversion is exact: floats and ints (of any size) become the `mpf` of the same value, complex numbers
    the `mpc`, Fractions and Decimals p/q rounded correctly to the working precision, numbers of this
    context pass unchanged, `mpf` of another precision are rounded to this one, at any nesting of lists,
    tuples and object arrays (see `Context.convert`). ``eps`` and ``unit_roundoff`` are both 10^-dps (the
    resolution the theorem modules have always used; mpmath's own ``mpm.eps`` is 2^(1-prec), smaller).
    Magnitude tracking: see `ExactContext`.
    """

    _package = "reference"
    _value_doc = {"eps": "10^-dps", "unit_roundoff": "10^-dps", "magnitude": "mpf or None"}

    def __init__(self, dps: int = 50):
        super().__init__()
        if not isinstance(dps, (int, np.integer)) or isinstance(dps, bool) or dps < 15:
            raise invalid("certify.mp", "dps", dps, "pass an integer number of decimal digits >= 15, e.g. mp(50)")
        import mpmath

        self.mpm = m = mpmath.MPContext()
        m.dps = int(dps)
        self.dps = int(dps)
        self.name = f"mp({self.dps})"
        self._mpf = m.mpf
        self.pi = +m.pi
        self.e = +m.e
        self.inf = m.inf
        self.nan = m.nan
        self.eps = m.mpf(10) ** (-self.dps)
        self.unit_roundoff = self.eps
        _teach_numpy_ufuncs(m)
        self._fns = {
            "exp": m.exp, "log": m.log, "sqrt": m.sqrt, "expm1": m.expm1, "log1p": m.log1p,
            "cos": m.cos, "sin": m.sin, "tan": m.tan, "arctan": m.atan, "cosh": m.cosh, "sinh": m.sinh,
            "tanh": m.tanh, "erf": m.erf, "sign": m.sign, "abs": abs, "arctan2": m.atan2,
            "minimum": _nan_min(m), "maximum": _nan_max(m),
        }

    def _bind(self, fn):
        return functools.partial(fn, self.mpm)

    # -- the hooks of ExactContext --------------------------------------------------------
    def _fn(self, name):
        return self._fns[name]

    def _zero(self):
        return self._mpf(0)

    def _is_context_number(self, v) -> bool:
        return isinstance(v, self._mpf) or isinstance(v, self.mpm.mpc)

    def _scalar(self, v):
        if isinstance(v, (self._mpf, self.mpm.mpc)):
            return v
        if type(v) is float:
            return self._mpf(v)
        if type(v).__name__ == "arb":  # a ball: its midpoint, exactly
            man, exp = v.mid().man_exp()
            return self.mpm.ldexp(self._int(int(man)), int(exp))
        if type(v).__name__ == "acb":
            return self.mpm.mpc(self._scalar(v.real), self._scalar(v.imag))
        if hasattr(v, "_mpc_"):
            return self.mpm.mpc(v)
        if hasattr(v, "_mpf_") or isinstance(v, str):
            return self._mpf(v)  # an mpf of another precision (rounded to this one), a decimal string (rounded)
        x = exact_number(v)
        if isinstance(x, int):
            return self._int(x)
        if isinstance(x, float):
            return self._mpf(x)
        if isinstance(x, complex):
            return self.mpm.mpc(x)
        if isinstance(x, Fraction):
            return self._int(x.numerator) / self._int(x.denominator)  # correctly rounded
        raise inexact_input(self.name, v)

    def _int(self, n: int):
        return self._mpf(n, prec=0)  # exact at any size (mpf(n) rounds to the working precision)

    def _from_python(self, dtype):
        if dtype.kind == "f" and dtype.itemsize <= 8:
            return self._mpf  # Python floats are binary: exact
        if dtype.kind in "iu":
            return self._int
        return self._scalar

    def _largest(self, items):
        try:
            top = max(map(abs, items))  # the common case in one pass; NaN/inf/non-numbers take the careful route
        except (TypeError, ValueError):
            top = None
        if top is not None and self._is_context_number(top) and self.mpm.isfinite(top):
            return top
        return super()._largest(items)

    def _note_value(self, v):
        try:
            a = abs(v)
            if not isinstance(a, self._mpf):
                a = self._scalar(a)  # ints, numpy scalars, mpf of another precision
            return a if self.mpm.isfinite(a) else None
        except (TypeError, ValueError, AttributeError):
            return None

    # -- conversion and constructors ----------------------------------------------------
    def to_float(self, x):
        from ..reference._mparray import to_float

        return to_float(x)

    def zeros(self, shape):
        from ..reference._mparray import mp_zeros

        return mp_zeros(self.mpm, shape)

    def ones(self, shape):
        out = self.zeros(shape)
        out.reshape(-1)[:] = [self.mpm.mpf(1)] * out.size
        return out

    def eye(self, n):
        from ..reference._mparray import mp_eye

        return mp_eye(self.mpm, n)

    def _matrix(self, a):
        from ..reference._mparray import to_matrix

        return to_matrix(self.mpm, self.asarray(a))

    def _array(self, m, shape=None):
        from ..reference._mparray import from_matrix

        return self._note(from_matrix(m, shape))

    # -- reductions and linear algebra -----------------------------------------------------
    def max(self, x, axis=None):
        return self._note(np.max(x, axis=axis))

    def min(self, x, axis=None):
        return self._note(np.min(x, axis=axis))

    def eigvalsh(self, a):
        a = self.asarray(a)
        sym = (a + a.T) / 2
        evals = self.mpm.eigsy(self._matrix(sym), eigvals_only=True)
        return self._note(np.array(sorted(evals[i] for i in range(len(evals))), dtype=object))

    def eigh(self, a):
        a = self.asarray(a)
        sym = (a + a.T) / 2
        evals, vecs = self.mpm.eigsy(self._matrix(sym))
        order = sorted(range(len(evals)), key=lambda i: evals[i])
        q = self._array(vecs)
        return self._note(np.array([evals[i] for i in order], dtype=object)), q[:, order]

    def cholesky(self, a):
        return self._array(self.mpm.cholesky(self._matrix(a)))

    def solve(self, a, b):
        b = self.asarray(b)
        if b.ndim == 2:  # mpmath's lu_solve takes one right-hand side
            return np.stack([self.solve(a, b[:, k]) for k in range(b.shape[1])], axis=1)
        x = self.mpm.lu_solve(self._matrix(a), self._matrix(b))
        return self._array(x, b.shape)

    def lstsq(self, a, b):
        b = self.asarray(b)
        a = self.asarray(a)
        if b.ndim == 1:
            x, _res = self.mpm.qr_solve(self._matrix(a), self._matrix(b))
            return self._array(x, (a.shape[1],))
        cols = [self.lstsq(a, b[:, k]) for k in range(b.shape[1])]
        return np.stack(cols, axis=1)

    def qr(self, a):
        q, r = self.mpm.qr(self._matrix(a), mode="skinny")
        return self._array(q), self._array(r)

    def inv(self, a):
        return self._array(self.mpm.inverse(self._matrix(a)))

    def svdvals(self, a):
        a = self.asarray(a)
        if a.size == 0:
            return np.array([], dtype=object)
        s = self.mpm.svd_r(self._matrix(a), compute_uv=False)
        return self._note(np.array(sorted((s[i] for i in range(len(s))), reverse=True), dtype=object))

    def svd(self, a):
        u, s, v = self.mpm.svd_r(self._matrix(a), full_matrices=False)
        return self._array(u), self._note(np.array([s[i] for i in range(len(s))], dtype=object)), self._array(v)

    def isfinite(self, x):
        if isinstance(x, np.ndarray):
            return all(self.mpm.isfinite(v) for v in x.reshape(-1))
        return bool(self.mpm.isfinite(x))

"""`ball(prec)`: rigorous ball arithmetic (python-flint `arb`) at `prec` bits: every number is an enclosure."""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from ..errors import invalid
from ._base import ExactContext, _MissingTopic, _topics, exact_number, inexact_input, unknown_operation

__all__ = ["BallContext"]


class BallContext(ExactContext):
    """Rigorous ball arithmetic (python-flint `arb`) at `prec` bits: every number is an enclosure.

    Supports the generic operations that have rigorous counterparts (the elementwise vocabulary, sums,
    products, max/min, norms except the spectral one, softmax, logsumexp, solve, inv, eigvalsh via
    arb_mat.eig); it has no domain namespaces, so claims that need `ctx.<topic>` are not proven, only
    confirmed. Comparisons of balls are certain: `m < 0` holds only if the whole enclosure is negative.
    flint's working precision is global: evaluate claim bodies inside `with ctx.precision():` (the
    vocabulary and the constants set it themselves). Conversion is exact: floats, ints (of any size) and
    `mpf` become exact balls (midpoint = the value, radius 0), complex numbers exact `acb`, Fractions and
    Decimals a ball containing p/q, balls pass unchanged (see `Context.convert`). ``eps`` = ``unit_roundoff`` =
    2^-prec. Magnitude tracking (an exact `arb` upper bound): see `ExactContext`.
    """

    _package = "ball"
    _unsupported = ("cholesky", "lstsq", "qr", "eigh", "svd")
    _value_doc = {"eps": "2^-prec", "unit_roundoff": "2^-prec", "magnitude": "arb or None"}

    def __init__(self, prec: int = 200):
        super().__init__()
        if not isinstance(prec, (int, np.integer)) or isinstance(prec, bool) or prec < 53:
            raise invalid("certify.ball", "prec", prec, "pass an integer number of bits >= 53, e.g. ball(200)")
        import flint

        self.flint = flint
        self.prec = int(prec)
        self.dps = int(prec * 0.30103)
        self.name = f"ball({self.prec})"
        arb = self._arb = flint.arb
        self._fns = {
            "exp": arb.exp, "log": arb.log, "sqrt": arb.sqrt, "expm1": arb.expm1, "log1p": arb.log1p,
            "cos": arb.cos, "sin": arb.sin, "tan": arb.tan, "arctan": arb.atan, "cosh": arb.cosh,
            "sinh": arb.sinh, "tanh": arb.tanh, "erf": arb.erf, "sign": arb.sgn, "abs": abs,
            "arctan2": arb.atan2, "minimum": arb.min, "maximum": arb.max,
        }
        self.inf = arb.pos_inf()
        self.nan = arb.nan()
        self.eps = arb((1, -self.prec))  # exact: mantissa 1, exponent -prec
        self.unit_roundoff = self.eps

    def __getattr__(self, topic: str):
        if topic.startswith("_"):
            raise AttributeError(topic)
        if topic in _topics("reference"):
            raise _MissingTopic(f"{self.name}: no rigorous twin for domain namespace {topic!r}")
        raise unknown_operation(self.name, topic, "")

    def precision(self):
        return self.flint.ctx.workprec(self.prec)

    @property
    def pi(self):
        with self.precision():
            return self._arb.pi()

    @property
    def e(self):
        with self.precision():
            return self._arb.const_e()

    # -- the hooks of ExactContext --------------------------------------------------------
    def _fn(self, name):
        return self._fns[name]

    def _unary(self, name, x):
        with self.precision():
            return super()._unary(name, x)

    def _binary(self, name, a, b):
        with self.precision():
            return super()._binary(name, a, b)

    def _zero(self):
        return self._arb(0)

    def _is_context_number(self, v) -> bool:
        return isinstance(v, (self._arb, self.flint.acb))

    def _scalar(self, v):
        arb = self._arb
        if isinstance(v, (arb, self.flint.acb)):
            return v
        if type(v) is float:
            return arb(v)
        if hasattr(v, "_mpc_"):
            return self.flint.acb(self._scalar(v.real), self._scalar(v.imag))
        mpf_tuple = getattr(v, "_mpf_", None)
        if mpf_tuple is not None:  # mpmath mpf: the same binary number, exactly
            sign, man, exp, _bc = mpf_tuple
            if man == 0 and exp != 0:  # mpmath's special values
                return {"+inf": arb.pos_inf(), "-inf": arb.neg_inf()}.get(str(v), arb.nan())
            return arb((-int(man) if sign else int(man), int(exp)))
        if isinstance(v, str):
            with self.precision():
                return arb(v)  # a decimal string: a ball containing it
        x = exact_number(v)
        if isinstance(x, int):
            return arb((x, 0))  # exact at any size (arb(n) rounds to the working precision)
        if isinstance(x, float):
            return arb(x)
        if isinstance(x, complex):
            return self.flint.acb(arb(x.real), arb(x.imag))
        if isinstance(x, Fraction):
            with self.precision():
                return arb(self.flint.fmpq(x.numerator, x.denominator))  # a ball containing p/q
        raise inexact_input(self.name, v)

    def _note_value(self, v):
        try:
            return v.abs_upper() if v.is_finite() else None
        except AttributeError:
            return None

    # -- conversion and constructors ----------------------------------------------------
    def to_float(self, x):
        if isinstance(x, np.ndarray):
            return np.vectorize(lambda v: float(v.mid()), otypes=[float])(x)
        return float(x.mid()) if isinstance(x, self._arb) else float(x)

    def zeros(self, shape):
        return self.asarray(np.zeros(shape))

    def ones(self, shape):
        return self.asarray(np.ones(shape))

    def eye(self, n):
        return self.asarray(np.eye(n))

    # -- reductions and linear algebra -----------------------------------------------------
    @staticmethod
    def _max2(a, b):
        return (a + b + abs(a - b)) / 2  # encloses max(a, b) for every pair of points in the two balls

    @staticmethod
    def _min2(a, b):
        return (a + b - abs(a - b)) / 2

    def _reduce(self, f, x, axis):
        x = np.asarray(x, dtype=object)
        if axis is None:
            flat = list(x.reshape(-1))
            acc = flat[0]
            for v in flat[1:]:
                acc = f(acc, v)
            return acc
        if x.ndim == 1:
            return self._reduce(f, x, None)
        moved = np.moveaxis(x, axis, 0)
        acc = np.array(moved[0], dtype=object)
        for k in range(1, moved.shape[0]):
            acc = np.frompyfunc(f, 2, 1)(acc, moved[k])
        return acc

    def max(self, x, axis=None):
        return self._note(self._reduce(self._max2, x, axis))

    def min(self, x, axis=None):
        return self._note(self._reduce(self._min2, x, axis))

    def _mat(self, a):
        return self.flint.arb_mat(np.asarray(a, dtype=object).tolist())

    def _arr(self, m):
        return self._note(np.array([[m[i, j] for j in range(m.ncols())] for i in range(m.nrows())], dtype=object))

    def solve(self, a, b):
        b = np.asarray(b, dtype=object)
        col = b.reshape(-1, 1) if b.ndim == 1 else b
        x = self._arr(self._mat(a).solve(self._mat(col)))
        return x.reshape(b.shape)

    def inv(self, a):
        return self._arr(self._mat(a).inv())

    def eigvalsh(self, a):
        a = np.asarray(a, dtype=object)
        sym = (a + a.T) / 2
        evals = [e.real for e in self.flint.acb_mat(sym.tolist()).eig()]
        return self._note(np.array(sorted(evals, key=lambda e: float(e.mid())), dtype=object))

    def svdvals(self, a):
        a = np.asarray(a, dtype=object)
        g = a.T @ a if a.shape[0] >= a.shape[1] else a @ a.T
        lam = self.eigvalsh(g)[::-1]
        return self._note(np.array([self._max2(v, self.flint.arb(0)).sqrt() for v in lam], dtype=object))

    def _no(self, what):
        raise _MissingTopic(f"{self.name}: no rigorous {what}; use certify.mp for it")

    def cholesky(self, a):
        self._no("cholesky")

    def lstsq(self, a, b):
        self._no("lstsq")

    def qr(self, a):
        self._no("qr")

    def eigh(self, a):
        self._no("eigh (eigenvectors)")

    def svd(self, a):
        self._no("svd (singular vectors)")

    def isfinite(self, x):
        arr = np.asarray(x, dtype=object).reshape(-1)
        return all(v.is_finite() for v in arr)

"""Numeric contexts: one claim body, several arithmetics (after mpmath's fp / mp / iv design).

* `fp` -- float64: numpy for the generic operations, numba kernels (`certify.kernels.<topic>`) for the
  domain quantities.
* `mp(dps)` -- mpmath at `dps` decimal digits: numpy object arrays of `mpf`, mpmath's own linear algebra,
  and the independent twins in `certify.reference.<topic>`. Each `mp` context owns a private
  `mpmath.MPContext`, so nothing here ever touches the global `mpmath.mp`.

Domain quantities are reached as ``ctx.<topic>.<function>(...)``: under `fp` that is
``certify.kernels.<topic>.<function>(...)``; under `mp` it is
``certify.reference.<topic>.<function>(mpm, ...)`` with the context's `MPContext` as first argument.
"""

from __future__ import annotations

import functools
import importlib
import math
from typing import Any

import numpy as np

from .errors import ReferenceUnavailable, invalid

__all__ = ["Context", "FloatContext", "MPContext", "BallContext", "fp", "mp", "ball"]


class _MissingTopic(ReferenceUnavailable, AttributeError):
    pass


class _Namespace:
    """`ctx.attention`: the functions of one kernel (fp) or reference (mp) module."""

    def __init__(self, ctx: Context, topic: str, module, bind):
        self._ctx, self._topic, self._module, self._bind = ctx, topic, module, bind

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        fn = getattr(self._module, name, None)
        if fn is None or not callable(fn):
            raise _MissingTopic(
                f"{self._ctx.name}: {self._module.__name__} has no function {name!r}; "
                f"add it there (kernels and reference twins share function names)"
            )
        bound = self._bind(fn)
        setattr(self, name, bound)
        return bound

    def __dir__(self):
        return [n for n in dir(self._module) if not n.startswith("_") and callable(getattr(self._module, n))]

    def __repr__(self):
        return f"<{self._ctx.name}.{self._topic} -> {self._module.__name__}>"


class _SoftmaxNamespace:
    """Both the generic softmax (call it) and the `softmax` domain namespace (its attributes)."""

    def __init__(self, ctx):
        self._ctx = ctx

    def __call__(self, x, axis=-1):
        return self._ctx._softmax(x, axis)

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(Context.__getattr__(self._ctx, "softmax"), name)

    def __repr__(self):
        return f"<{self._ctx.name}.softmax>"


class Context:
    """Operations shared by every numeric context. Subclasses supply the arithmetic."""

    name = "ctx"
    is_exact = False
    inf = math.inf
    pi: Any = math.pi
    e: Any = math.e
    _package = ""

    def __init__(self):
        self._namespaces: dict[str, _Namespace] = {}

    # -- domain namespaces -------------------------------------------------------------
    def __getattr__(self, topic: str):
        if topic.startswith("_"):
            raise AttributeError(topic)
        namespaces = self.__dict__.get("_namespaces")
        if namespaces is None:
            raise AttributeError(topic)
        if topic in namespaces:
            return namespaces[topic]
        try:
            module = importlib.import_module(f"certify.{self._package}.{topic}")
        except ModuleNotFoundError as exc:
            if exc.name != f"certify.{self._package}.{topic}":
                raise
            raise _MissingTopic(
                f"{self.name}: no domain namespace {topic!r} (looked for certify.{self._package}.{topic})"
            ) from None
        ns = _Namespace(self, topic, module, self._bind)
        namespaces[topic] = ns
        return ns

    def _bind(self, fn):
        return fn

    # -- conversion --------------------------------------------------------------------
    def convert(self, value):
        """Convert an instance value recursively: arrays and floats become this context's numbers."""
        if isinstance(value, dict):
            return {k: self.convert(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)) and value and all(
            isinstance(v, (np.ndarray, dict)) for v in value
        ):
            return type(value)(self.convert(v) for v in value)
        if isinstance(value, np.ndarray):
            if value.dtype.kind in "iub" and value.dtype != object:
                return value
            return self.asarray(value)
        if isinstance(value, (bool, np.bool_, int, np.integer, str)) or value is None:
            return value
        if isinstance(value, (float, np.floating)):
            return self.num(value)
        if _is_sparse(value):
            return value if not self.is_exact else self.asarray(value.toarray())
        return value

    # -- generic operations available in every context -----------------------------------
    def transpose(self, a):
        return np.asarray(a).T

    def kron(self, a, b):
        return np.kron(a, b)

    def dot(self, a, b):
        return np.dot(a, b)

    def matmul(self, a, b):
        return np.matmul(a, b)

    def sum(self, x, axis=None):
        return np.sum(x, axis=axis)

    def max(self, x, axis=None):
        return np.max(x, axis=axis)

    def min(self, x, axis=None):
        return np.min(x, axis=axis)

    def abs(self, x):
        return np.abs(x)

    def outer(self, a, b):
        return np.outer(a, b)

    def diag(self, v):
        return np.diag(v)

    def reshape(self, x, shape):
        return np.reshape(x, shape)

    def vec(self, x):
        """Row-major vec: vec(X)_{(i-1)d+j} = X_{ij}."""
        return np.reshape(x, -1)

    @property
    def softmax(self):
        """`ctx.softmax(x, axis=-1)` is the stable softmax; `ctx.softmax.<fn>` reaches the domain topic of the
        same name (`certify.kernels.softmax` / `certify.reference.softmax`: jacobian, curvature, ...)."""
        cached = self.__dict__.get("_softmax_ns")
        if cached is None:
            cached = _SoftmaxNamespace(self)
            self.__dict__["_softmax_ns"] = cached
        return cached

    def _softmax(self, x, axis=-1):
        x = self.asarray(x)
        shifted = x - self._keepdims_max(x, axis)
        e = self.exp(shifted)
        return e / np.sum(e, axis=axis, keepdims=True)

    def logsumexp(self, x, axis=None):
        x = self.asarray(x)
        m = self._keepdims_max(x, axis)
        out = m + self.log(np.sum(self.exp(x - m), axis=axis, keepdims=True))
        if axis is None:
            return out.reshape(-1)[0]
        return np.squeeze(out, axis=axis)

    def _keepdims_max(self, x, axis):
        if axis is None or x.ndim == 1:
            out = np.empty((1,) * x.ndim, dtype=x.dtype)
            out.reshape(-1)[0] = self.max(x)
            return out
        return np.expand_dims(self.max(x, axis=axis), axis)

    def eigmin(self, a):
        return self.eigvalsh(a)[0]

    def eigmax(self, a):
        return self.eigvalsh(a)[-1]

    def cond(self, a):
        s = self.svdvals(a)
        return s[0] / s[-1] if s[-1] != 0 else self.num(math.inf)

    def norm(self, x, ord=None):
        """Vector: 2 (default), 1, inf, 'max'. Matrix: 2 (default, spectral), 'fro', 1, inf (max row sum),
        'max' (entrywise max)."""
        x = self.asarray(x)
        if ord is None:
            ord = 2
        if ord == "max":
            return self.max(self.abs(x)) if x.size else self.num(0)
        if x.ndim == 1:
            if ord == 2:
                return self.sqrt(self.sum(x * x))
            if ord == 1:
                return self.sum(self.abs(x))
            if ord == math.inf:
                return self.max(self.abs(x)) if x.size else self.num(0)
        elif x.ndim == 2:
            if ord == 2:
                return self.svdvals(x)[0] if x.size else self.num(0)
            if ord == "fro":
                return self.sqrt(self.sum(x * x))
            if ord == math.inf:
                return self.max(self.sum(self.abs(x), axis=1)) if x.size else self.num(0)
            if ord == 1:
                return self.max(self.sum(self.abs(x), axis=0)) if x.size else self.num(0)
        raise invalid(f"{self.name}.norm", "ord", ord, "use 2, 1, ctx.inf, 'fro' or 'max'")

    def __repr__(self):
        return self.name


def _is_sparse(value) -> bool:
    return type(value).__module__.startswith("scipy.sparse")


class FloatContext(Context):
    """float64 arithmetic: numpy plus the numba kernels of `certify.kernels`."""

    name = "fp"
    _package = "kernels"
    dps = 15

    def asarray(self, x, dtype=None):
        if _is_sparse(x):
            return x
        return np.asarray(x, dtype=float if dtype is None else dtype)

    def num(self, x):
        return float(x)

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
    cosh = staticmethod(np.cosh)
    sinh = staticmethod(np.sinh)
    tanh = staticmethod(np.tanh)

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


class MPContext(Context):
    """mpmath arithmetic at `dps` digits, on numpy object arrays of `mpf`; private precision."""

    is_exact = True
    _package = "reference"

    def __init__(self, dps: int = 50):
        super().__init__()
        if not isinstance(dps, (int, np.integer)) or isinstance(dps, bool) or dps < 15:
            raise invalid("certify.mp", "dps", dps, "pass an integer number of decimal digits >= 15, e.g. mp(50)")
        import mpmath

        self.mpm = mpmath.MPContext()
        self.mpm.dps = int(dps)
        self.dps = int(dps)
        self.name = f"mp({self.dps})"
        self.pi = self.mpm.pi
        self.e = self.mpm.e
        m = self.mpm
        self.exp = self._elementwise(m.exp)
        self.log = self._elementwise(m.log)
        self.sqrt = self._elementwise(m.sqrt)
        self.expm1 = self._elementwise(m.expm1)
        self.log1p = self._elementwise(m.log1p)
        self.cosh = self._elementwise(m.cosh)
        self.sinh = self._elementwise(m.sinh)
        self.tanh = self._elementwise(m.tanh)

    def _bind(self, fn):
        return functools.partial(fn, self.mpm)

    @staticmethod
    def _elementwise(f):
        uf = np.frompyfunc(f, 1, 1)

        def apply(x):
            if isinstance(x, np.ndarray):
                return uf(x) if x.size else x.astype(object)
            return f(x)

        return apply

    def asarray(self, x, dtype=None):
        from .reference._mparray import to_mp

        if _is_sparse(x):
            x = x.toarray()
        if isinstance(x, np.ndarray) and x.dtype == object:
            return x
        return to_mp(self.mpm, np.asarray(x, dtype=float) if not isinstance(x, np.ndarray) else x)

    def num(self, x):
        return self.mpm.mpf(x)

    def to_float(self, x):
        from .reference._mparray import to_float

        return to_float(x)

    def zeros(self, shape):
        from .reference._mparray import mp_zeros

        return mp_zeros(self.mpm, shape)

    def ones(self, shape):
        out = self.zeros(shape)
        out.reshape(-1)[:] = [self.mpm.mpf(1)] * out.size
        return out

    def eye(self, n):
        from .reference._mparray import mp_eye

        return mp_eye(self.mpm, n)

    def _matrix(self, a):
        from .reference._mparray import to_matrix

        return to_matrix(self.mpm, self.asarray(a))

    def _array(self, m, shape=None):
        from .reference._mparray import from_matrix

        return from_matrix(m, shape)

    def eigvalsh(self, a):
        a = self.asarray(a)
        sym = (a + a.T) / 2
        evals = self.mpm.eigsy(self._matrix(sym), eigvals_only=True)
        return np.array(sorted(evals[i] for i in range(len(evals))), dtype=object)

    def eigh(self, a):
        a = self.asarray(a)
        sym = (a + a.T) / 2
        evals, vecs = self.mpm.eigsy(self._matrix(sym))
        order = sorted(range(len(evals)), key=lambda i: evals[i])
        q = self._array(vecs)
        return np.array([evals[i] for i in order], dtype=object), q[:, order]

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
        return np.array(sorted((s[i] for i in range(len(s))), reverse=True), dtype=object)

    def svd(self, a):
        u, s, v = self.mpm.svd_r(self._matrix(a), full_matrices=False)
        return self._array(u), np.array([s[i] for i in range(len(s))], dtype=object), self._array(v)

    def isfinite(self, x):
        if isinstance(x, np.ndarray):
            return all(self.mpm.isfinite(v) for v in x.reshape(-1))
        return bool(self.mpm.isfinite(x))


class BallContext(Context):
    """Rigorous ball arithmetic (python-flint `arb`) at `prec` bits: every number is an enclosure.

    Supports the generic operations that have rigorous counterparts (elementwise functions, sums, products,
    max/min, norms except the spectral one, softmax, logsumexp, solve, inv, eigvalsh via arb_mat.eig);
    it has no domain namespaces, so claims that need `ctx.<topic>` are not proven, only confirmed.
    Comparisons of balls are certain: `m < 0` holds only if the whole enclosure is negative.
    flint's working precision is global: evaluate claim bodies inside `with ctx.precision():`.
    """

    is_exact = True
    _package = "ball"

    def __init__(self, prec: int = 200):
        super().__init__()
        if not isinstance(prec, (int, np.integer)) or isinstance(prec, bool) or prec < 53:
            raise invalid("certify.ball", "prec", prec, "pass an integer number of bits >= 53, e.g. ball(200)")
        import flint

        self.flint = flint
        self.prec = int(prec)
        self.dps = int(prec * 0.30103)
        self.name = f"ball({self.prec})"
        arb = flint.arb
        self.exp = MPContext._elementwise(lambda v: arb(v).exp())
        self.log = MPContext._elementwise(lambda v: arb(v).log())
        self.sqrt = MPContext._elementwise(lambda v: arb(v).sqrt())
        self.expm1 = MPContext._elementwise(lambda v: arb(v).expm1())
        self.log1p = MPContext._elementwise(lambda v: arb(v).log1p())
        self.cosh = MPContext._elementwise(lambda v: arb(v).cosh())
        self.sinh = MPContext._elementwise(lambda v: arb(v).sinh())
        self.tanh = MPContext._elementwise(lambda v: arb(v).tanh())

    def __getattr__(self, topic: str):
        if topic.startswith("_"):
            raise AttributeError(topic)
        raise _MissingTopic(f"{self.name}: no rigorous twin for domain namespace {topic!r}")

    def precision(self):
        return self.flint.ctx.workprec(self.prec)

    def asarray(self, x, dtype=None):
        if _is_sparse(x):
            x = x.toarray()
        arb = self.flint.arb
        if isinstance(x, np.ndarray) and x.dtype == object:
            if x.size and isinstance(x.reshape(-1)[0], arb):
                return x
            return MPContext._elementwise(lambda v: arb(float(v)) if not isinstance(v, arb) else v)(x)
        a = np.asarray(x, dtype=float)
        out = np.empty(a.shape, dtype=object)
        out.reshape(-1)[:] = [arb(float(v)) for v in a.reshape(-1)]
        return out

    def num(self, x):
        return self.flint.arb(float(x)) if not isinstance(x, self.flint.arb) else x

    def to_float(self, x):
        if isinstance(x, np.ndarray):
            return np.vectorize(lambda v: float(v.mid()), otypes=[float])(x)
        return float(x.mid()) if isinstance(x, self.flint.arb) else float(x)

    def zeros(self, shape):
        return self.asarray(np.zeros(shape))

    def ones(self, shape):
        return self.asarray(np.ones(shape))

    def eye(self, n):
        return self.asarray(np.eye(n))

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
        return self._reduce(self._max2, x, axis)

    def min(self, x, axis=None):
        return self._reduce(self._min2, x, axis)

    def _mat(self, a):
        return self.flint.arb_mat(np.asarray(a, dtype=object).tolist())

    def _arr(self, m):
        return np.array([[m[i, j] for j in range(m.ncols())] for i in range(m.nrows())], dtype=object)

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
        return np.array(sorted(evals, key=lambda e: float(e.mid())), dtype=object)

    def svdvals(self, a):
        a = np.asarray(a, dtype=object)
        g = a.T @ a if a.shape[0] >= a.shape[1] else a @ a.T
        lam = self.eigvalsh(g)[::-1]
        return np.array([self._max2(v, self.flint.arb(0)).sqrt() for v in lam], dtype=object)

    def _no(self, what):
        raise _MissingTopic(f"{self.name}: no rigorous {what}; use certify.mp for it")

    def cholesky(self, a):
        self._no("cholesky")

    def lstsq(self, a, b):
        self._no("lstsq")

    def qr(self, a):
        self._no("qr")

    def isfinite(self, x):
        arr = np.asarray(x, dtype=object).reshape(-1)
        return all(v.is_finite() for v in arr)


fp = FloatContext()


@functools.lru_cache(maxsize=8)
def ball(prec: int = 200) -> BallContext:
    """The rigorous ball-arithmetic context at `prec` bits (python-flint)."""
    return BallContext(prec)


@functools.lru_cache(maxsize=16)
def mp(dps: int = 50) -> MPContext:
    """The mpmath context at `dps` decimal digits (cached: `mp(50) is mp(50)`)."""
    return MPContext(dps)


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

from .errors import InvalidArgument, ReferenceUnavailable, invalid

__all__ = ["Context", "FloatContext", "MPContext", "fp", "mp"]


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


class Context:
    """Operations shared by every numeric context. Subclasses supply the arithmetic."""

    name = "ctx"
    is_exact = False
    inf = math.inf
    pi: Any = math.pi
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

    def softmax(self, x, axis=-1):
        x = self.asarray(x)
        shifted = x - np.max(x, axis=axis, keepdims=True)
        e = self.exp(shifted)
        return e / np.sum(e, axis=axis, keepdims=True)

    def logsumexp(self, x, axis=None):
        x = self.asarray(x)
        m = np.max(x, axis=axis, keepdims=True)
        out = m + self.log(np.sum(self.exp(x - m), axis=axis, keepdims=True))
        if axis is None:
            return out.reshape(-1)[0]
        return np.squeeze(out, axis=axis)

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
            return np.max(np.abs(x)) if x.size else self.num(0)
        if x.ndim == 1:
            if ord == 2:
                return self.sqrt(np.sum(x * x))
            if ord == 1:
                return np.sum(np.abs(x))
            if ord == math.inf:
                return np.max(np.abs(x)) if x.size else self.num(0)
        elif x.ndim == 2:
            if ord == 2:
                return self.svdvals(x)[0] if x.size else self.num(0)
            if ord == "fro":
                return self.sqrt(np.sum(x * x))
            if ord == math.inf:
                return np.max(np.sum(np.abs(x), axis=1)) if x.size else self.num(0)
            if ord == 1:
                return np.max(np.sum(np.abs(x), axis=0)) if x.size else self.num(0)
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


fp = FloatContext()


@functools.lru_cache(maxsize=16)
def mp(dps: int = 50) -> MPContext:
    """The mpmath context at `dps` decimal digits (cached: `mp(50) is mp(50)`)."""
    return MPContext(dps)


def _check_ctx(ctx) -> Context:
    if not isinstance(ctx, Context):
        raise InvalidArgument(f"expected a numeric context (certify.fp or certify.mp(dps)), got {ctx!r}")
    return ctx

"""What every numeric context shares: domain namespaces, the unknown-name error, recursive conversion of
instances, the generic operations written once on top of each context's arithmetic, and the magnitude
tracker of the exact contexts."""

from __future__ import annotations

import dataclasses
import difflib
import functools
import importlib
import math
import numbers
import operator
import pkgutil
from decimal import Decimal
from fractions import Fraction

import numpy as np

from ..errors import CertifyError, InexactInput, ReferenceUnavailable, invalid
from ._api import documented_names

__all__ = ["Context", "ExactContext", "UnknownOperation"]


class UnknownOperation(CertifyError, AttributeError):
    """`ctx.<name>` is neither an operation of the context API nor a domain namespace.

    Also an AttributeError, so ``hasattr(ctx, name)`` and ``getattr(ctx, name, default)`` keep working."""


class _MissingTopic(ReferenceUnavailable, AttributeError):
    pass


@functools.lru_cache(maxsize=4)
def _topics(package: str) -> list[str]:
    mod = importlib.import_module(f"certify.{package}")
    return sorted(m.name for m in pkgutil.iter_modules(mod.__path__) if not m.name.startswith("_"))


def unknown_operation(ctx_name: str, name: str, package: str) -> UnknownOperation:
    topics = _topics(package) if package else []
    close = difflib.get_close_matches(name, sorted(documented_names()) + topics, n=4, cutoff=0.6)
    hint = f"close matches: {', '.join(close)}" if close else "no close match"
    if package:
        domains = (f"Domain namespaces: ctx.<topic> for the modules of certify.{package} ({', '.join(topics)}); "
                   f"certify.{package}.{name} does not exist.")
    else:
        domains = f"{ctx_name} has no domain namespaces."
    return UnknownOperation(
        f"ctx has no operation {name!r} in {ctx_name}; {hint}. Operations: the 'Context API' table of the "
        f"README (certify.context.api_rows()). {domains}"
    )


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


def is_sparse(value) -> bool:
    return type(value).__module__.startswith("scipy.sparse")


def _carries_floats(v) -> bool:
    """A float, complex, Fraction or Decimal, or an array or list of them (one level)."""
    if isinstance(v, (float, complex, np.floating, np.complexfloating, Fraction, Decimal)):
        return True
    if isinstance(v, np.ndarray):
        return v.dtype.kind in "fc" or (v.dtype == object and any(_carries_floats(x) for x in v.flat))
    if isinstance(v, (list, tuple)):
        return any(isinstance(x, (float, complex, np.floating, np.ndarray)) for x in v)
    return False


def _rebuild(container, items):
    if hasattr(container, "_fields"):  # namedtuple
        return type(container)(*items)
    return type(container)(items)


def exact_number(v):
    """`v` as one of Python's exact number types, without rounding: int, float, complex (pairs of binary floats)
    or Fraction; None when certify cannot read v's type exactly. Decimals become Fractions (NaN, ±inf floats),
    long doubles beyond float64 Fractions, anything with ``__index__`` (numpy, gmpy2, sympy integers) an int,
    any other `numbers.Rational` a Fraction."""
    if isinstance(v, (float, np.floating)):
        f = float(v)
        return f if f == v or f != f else Fraction(*v.as_integer_ratio())
    if isinstance(v, (complex, np.complex64, np.complex128)):
        return complex(v)
    if isinstance(v, (bool, np.bool_)):
        return int(v)
    if hasattr(type(v), "__index__"):
        return operator.index(v)
    if isinstance(v, Decimal):
        return Fraction(v) if v.is_finite() else float(v)
    if isinstance(v, numbers.Rational):
        return Fraction(int(v.numerator), int(v.denominator))
    return None


def _number_like(v) -> bool:
    t = type(v)
    return isinstance(v, numbers.Number) or any(hasattr(t, m) for m in ("__float__", "__complex__", "__index__"))


def _where(path) -> str:
    if not path:
        return "the value"
    return "input " + str(path[0]) + "".join(f"[{k!r}]" for k in path[1:])


def inexact_input(ctx_name: str, value, path=(), why: str | None = None) -> InexactInput:
    """The error for a number whose type `ctx_name` cannot convert exactly (`path`: where it sits in the instance;
    `why`: the rest of the message, when it is not a number type)."""
    t = type(value)
    err = InexactInput(
        f"{ctx_name}: {_where(path)} is a {t.__module__}.{t.__qualname__} ({value!r:.60}) that certify cannot "
        f"convert exactly; left as it is, the reference would compute with it in its own inexact arithmetic. "
        f"Convert it in the strategy to float, int or fractions.Fraction (or to an array of them)" if why is None
        else f"{ctx_name}: {_where(path)} is a {t.__module__}.{t.__qualname__} {why}")
    err.value = value
    return err


class Context:
    """Operations shared by every numeric context. Subclasses supply the arithmetic.

    The whole API (names, what they do, which context has them) is `certify.context.api_rows()`, rendered
    as the 'Context API' table of the README. Any other name is a domain namespace
    (``ctx.<topic>.<function>``) or an `UnknownOperation`.
    """

    name = "ctx"
    is_exact = False
    _package = ""
    magnitude = None  # float64 does not track (see ExactContext)

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
            raise unknown_operation(self.name, topic, self._package) from None
        ns = _Namespace(self, topic, module, self._bind)
        namespaces[topic] = ns
        return ns

    def _bind(self, fn):
        return fn

    # -- conversion --------------------------------------------------------------------
    def convert(self, value):
        """Convert an instance value into this context's numbers, recursively through dicts, lists, tuples, sets
        and object arrays of instance values (container types are kept). Never rounds in the exact contexts:

        - floats (any numpy width), complex numbers, Fractions, Decimals, mpmath and flint numbers and float,
          complex and object arrays become this context's numbers (`num`, `asarray`): in mp a float or complex
          exactly (mpf, mpc), a Fraction or Decimal p/q correctly rounded to the working precision; in ball an
          exact ball (arb, acb), or for p/q a ball containing it; in fp float64 and complex128;
        - integers stay exact: Python ints pass, numpy integer scalars become Python ints, and in mp and ball
          integer arrays become object arrays of Python ints (no int64 wrap-around: divide them through
          `ctx.num`, as any int input); fp keeps numpy integers as they are;
        - bools, strings, None, bool and string arrays and objects that are not numbers pass unchanged;
        - in mp and ball, a number of any other type (one `exact_number` cannot read) raises `InexactInput`
          naming the input: passed on, the body would compute with it in its own inexact arithmetic.
        """
        return self._convert(value, ())

    def _convert(self, value, path):
        if isinstance(value, dict):
            return {k: self._convert(v, (*path, k)) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return _rebuild(value, [self._convert(v, (*path, i)) for i, v in enumerate(value)])
        if isinstance(value, (set, frozenset)):
            return type(value)(self._convert(v, path) for v in value)
        if isinstance(value, (bool, np.bool_, str, bytes)) or value is None:
            return value
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            # st.builds(SomeDataclass, ...): its fields are instance values like any other (frozen ones too)
            return dataclasses.replace(value, **{f.name: self._convert(getattr(value, f.name), (*path, f.name))
                                                 for f in dataclasses.fields(value) if f.init})
        if isinstance(value, np.ndarray) and value.dtype == object \
                and any(isinstance(v, (list, tuple, np.ndarray, dict)) for v in value.flat):
            out = np.empty(value.shape, dtype=object)  # a container of instance values, e.g. ragged matrices
            for i, v in np.ndenumerate(value):
                out[i] = self._convert(v, (*path, i))
            return out
        try:
            return self._leaf(value)
        except InexactInput as exc:
            raise inexact_input(self.name, exc.value, path, getattr(exc, "why", None)) from None

    def _leaf(self, value):
        """One instance value that is not a container (see `convert`); float64 keeps integers as they are."""
        if isinstance(value, np.ndarray):
            return self.asarray(value) if value.dtype.kind in "fcO" else value
        if isinstance(value, (float, np.floating)) or self._is_number(value):
            return self.num(value)
        self._check_opaque(value)
        return value

    def _check_opaque(self, value) -> None:
        """An object certify passes on unconverted (not a number, container or dataclass): the exact contexts
        refuse one whose attributes hold floats, which the body would compute with in float64."""

    def _is_number(self, value) -> bool:
        return False

    def array(self, x):
        """A new array of this context's numbers from a (nested) list, tuple or array, exactly."""
        out = self.asarray(x)
        return out.copy() if out is x else out

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
        return s[0] / s[-1] if s[-1] != 0 else self.inf

    def norm(self, x, ord=None):
        """Vector: 2 (default), 1, inf, 'max'. Matrix: 2 (default, spectral), 'fro', 1, inf (max row sum),
        'max' (entrywise max)."""
        x = self.asarray(x)
        if ord is None:
            ord = 2
        if not isinstance(ord, str):
            try:
                ord = float(ord)  # ctx.inf is a context number (mpf, arb)
            except (TypeError, ValueError):
                raise invalid(f"{self.name}.norm", "ord", ord, "use 2, 1, ctx.inf, 'fro' or 'max'") from None
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


class ExactContext(Context):
    """A context of arbitrary-precision numbers held in numpy object arrays (mp, ball).

    Subclasses provide `_scalar(v)` (one value -> one context number, exactly where possible),
    `_fn(name)` (the scalar function of a vocabulary name), `_is_context_number(v)` and `_note_value(v)`
    (|v| for the magnitude tracker, or None when v is not a finite number; `_largest` may take a faster route).

    Magnitude tracker: after ``ctx.reset_magnitude()``, ``ctx.magnitude`` is the largest |value| (a context
    number; non-finite values ignored) among the numbers converted by the context (`asarray`, `array`,
    `convert`, `num`) and the results of its operations (vocabulary, reductions, products, linear algebra).
    Arithmetic written with operators (``a + b`` on arrays) is not seen, but its operands were converted and
    its results usually pass through an operation. ``ctx.reset_magnitude(track=False)`` stops tracking
    (``magnitude`` is then None). The tracker is state of the shared, cached context: one computation at a
    time.
    """

    is_exact = True

    def __init__(self):
        super().__init__()
        self._ufuncs: dict = {}

    def reset_magnitude(self, track: bool = True):
        """Start (or restart) recording `magnitude` from zero; `track=False` stops recording."""
        self.magnitude = self._zero() if track else None

    def _note(self, value):
        if self.magnitude is None:
            return value
        if isinstance(value, tuple):
            for v in value:
                self._note(v)
            return value
        items = value.reshape(-1) if isinstance(value, np.ndarray) else (value,)
        if len(items):
            top = self._largest(items)
            if top is not None and top > self.magnitude:
                self.magnitude = top
        return value

    def _largest(self, items):
        """max |v| over the finite numbers among `items` (None if there is none)."""
        best = None
        for v in items:
            a = self._note_value(v)
            if a is not None and (best is None or a > best):
                best = a
        return best

    # -- conversion ------------------------------------------------------------------
    def _is_number(self, value) -> bool:
        return self._is_context_number(value) or type(value).__module__.startswith(("mpmath", "flint"))

    def _leaf(self, value):
        if isinstance(value, np.ndarray):  # integers as Python ints: exact and unbounded (int64 wraps around)
            return value.astype(object) if value.dtype.kind in "iu" else super()._leaf(value)
        if is_sparse(value):
            return self.asarray(value)
        if isinstance(value, (int, np.integer)):
            return value if isinstance(value, int) else int(value)
        if _number_like(value) or self._is_number(value):
            return self.num(value)  # InexactInput for a number type `_scalar` cannot read exactly
        return super()._leaf(value)

    def _check_opaque(self, value) -> None:
        state = getattr(value, "__dict__", None)
        if isinstance(state, dict) and not isinstance(value, type) and any(_carries_floats(v) for v in state.values()):
            # `st.builds(SomeClass, x=st.floats())`: the body would compute with its float attributes in float64 at
            # every precision, and a rounding error would be "confirmed". (Dataclasses are converted.)
            err = InexactInput("opaque object")
            err.value = value
            err.why = (f"whose attributes hold floats ({', '.join(k for k, v in state.items() if _carries_floats(v))}), "
                       "which certify cannot convert: the reference would compute with them in float64. Make the "
                       "class a dataclass (certify converts its fields), or pass the numbers as inputs of their own")
            raise err

    def asarray(self, x, dtype=None):
        """An object array of this context's numbers, converted as by `num`, at any nesting of lists, tuples
        and arrays; returns `x` itself when it already is one."""
        if is_sparse(x):
            x = x.toarray()
        if isinstance(x, np.ndarray) and x.dtype == object:
            flat = x.reshape(-1)
            if all(self._is_context_number(v) for v in flat):
                return self._note(x)
            src = x
        elif isinstance(x, np.ndarray):
            src = x
        else:
            src = np.array(x, dtype=object)
        out = np.empty(src.shape, dtype=object)
        flat_in = src.reshape(-1)
        if src.dtype == object:  # elements may be anything, including ragged sub-lists
            out.reshape(-1)[:] = [self._element(v, x) for v in flat_in]
        else:  # tolist() gives Python numbers (numpy scalars for long doubles), which `_scalar` converts exactly
            out.reshape(-1)[:] = list(map(self._from_python(src.dtype), flat_in.tolist()))
        return self._note(out)

    def _from_python(self, dtype):
        """The converter for the elements of `tolist()` of a numeric array of dtype `dtype`."""
        return self._scalar

    def _element(self, v, whole):
        if isinstance(v, (list, tuple, np.ndarray, dict)):
            raise invalid(f"{self.name}.asarray", "x", whole,
                          "pass a rectangular (non-ragged) nest of numbers, lists, tuples and arrays")
        return self._scalar(v)

    def num(self, x):
        """One context number from a float, int, complex, Fraction, Decimal, decimal string or number of any
        context: exact, except that p/q (Fraction, Decimal) and decimal strings are rounded correctly to the
        working precision (ball: enclosed) and numbers of another precision are rounded to this one. Raises
        `InexactInput` for number types it cannot read exactly (see `exact_number`)."""
        return self._note(self._scalar(x))

    # -- elementwise vocabulary --------------------------------------------------------
    def _operand(self, x):
        if isinstance(x, (np.ndarray, list, tuple)):
            return self.asarray(x)
        return x if self._is_context_number(x) else self._scalar(x)

    def _unary(self, name, x):
        ufunc = self._ufuncs.get(name)
        if ufunc is None:
            ufunc = self._ufuncs[name] = np.frompyfunc(self._fn(name), 1, 1)
        x = self._operand(x)
        if isinstance(x, np.ndarray):
            out = ufunc(x) if x.size else x.copy()
        else:
            out = self._fn(name)(x)
        return self._note(out)

    def _binary(self, name, a, b):
        ufunc = self._ufuncs.get(name)
        if ufunc is None:
            ufunc = self._ufuncs[name] = np.frompyfunc(self._fn(name), 2, 1)
        a, b = self._operand(a), self._operand(b)
        out = ufunc(a, b)
        if isinstance(out, np.ndarray) and out.dtype != object:  # empty operands
            out = out.astype(object)
        return self._note(out)

    def exp(self, x):
        return self._unary("exp", x)

    def log(self, x):
        return self._unary("log", x)

    def sqrt(self, x):
        return self._unary("sqrt", x)

    def expm1(self, x):
        return self._unary("expm1", x)

    def log1p(self, x):
        return self._unary("log1p", x)

    def cos(self, x):
        return self._unary("cos", x)

    def sin(self, x):
        return self._unary("sin", x)

    def tan(self, x):
        return self._unary("tan", x)

    def arctan(self, x):
        return self._unary("arctan", x)

    def cosh(self, x):
        return self._unary("cosh", x)

    def sinh(self, x):
        return self._unary("sinh", x)

    def tanh(self, x):
        return self._unary("tanh", x)

    def erf(self, x):
        return self._unary("erf", x)

    def sign(self, x):
        return self._unary("sign", x)

    def abs(self, x):
        return self._unary("abs", x)

    def arctan2(self, y, x):
        return self._binary("arctan2", y, x)

    def minimum(self, a, b):
        return self._binary("minimum", a, b)

    def maximum(self, a, b):
        return self._binary("maximum", a, b)

    def where(self, cond, a, b):
        """numpy.where with context numbers: elements of `a` where `cond`, else of `b` (broadcast)."""
        cond = np.asarray(cond)
        if cond.dtype == object:
            cond = cond.astype(bool)
        out = np.where(cond, self._operand(a), self._operand(b))
        if out.dtype != object:
            out = out.astype(object)
        return out[()] if out.ndim == 0 else out

    # -- generic operations, tracked ----------------------------------------------------
    def dot(self, a, b):
        return self._note(np.dot(a, b))

    def matmul(self, a, b):
        return self._note(np.matmul(a, b))

    def sum(self, x, axis=None):
        return self._note(np.sum(x, axis=axis))

    def kron(self, a, b):
        return self._note(np.kron(a, b))

    def outer(self, a, b):
        return self._note(np.outer(a, b))

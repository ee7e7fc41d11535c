"""Saving and loading instances: `.npz` (loaded with allow_pickle=False) plus a JSON description.

Replay never depends on Hypothesis: an instance is a dict of arrays, numbers, strings and containers.
Nested keys are flattened with '/' in the npz; the JSON `layout` says how to rebuild each leaf.

Contract: `load_instance(save_instance(x))` gives back `x` exactly, with the same types, for the values
Hypothesis strategies draw:

* numpy arrays of any non-object dtype (float32/float64/int/uint/bool/complex: dtype and shape kept; the bytes
  are in the npz), numpy scalars (``np.float32(1.5)`` stays a float32), Python floats (-0.0, nan, ±inf kept),
  complex numbers (an npz complex128 scalar);
* Python ints of any size (a JSON number up to 2**53, else ``"text"``: the exact decimal digits, as a string so
  that any JSON reader keeps them), bools, strings, None;
* ``fractions.Fraction`` (``"numerator"`` and ``"denominator"`` as exact decimal strings) and ``decimal.Decimal``
  (``"text"``: its exact string, sign, digits and exponent kept, also NaN/Infinity);
* lists, tuples, sets and frozensets (a homogeneous list of plain numbers is one npz array; anything else is
  saved element by element), dicts (any hashable keys saved exactly);
* numpy object arrays of ints, Fractions, Decimals, floats, complex numbers, bools, strings or None (an npz
  string array of tagged exact texts); object arrays of mpmath numbers are saved rounded to float64 (layout
  ``"from": "mpf"``);
* scipy sparse matrices (dense in the npz, rebuilt as CSR);
* dataclass instances and namedtuples (``st.builds``): their class as "module:qualname" and their fields, saved
  as above; replay finds the class in the claim's module (which it loads), never importing a module by name.

Anything else is saved only as its ``repr`` (layout ``"type": "repr"``): the report records it, but it cannot be
rebuilt, and `load_instance` raises `UnsavedValue` naming the input and its type.
"""

from __future__ import annotations

import dataclasses
import decimal
import math
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np

__all__ = ["save_instance", "load_instance", "describe_instance", "UnsavedValue"]

_EXACT_INT = 2 ** 53  # below this every JSON reader keeps an integer exactly


class UnsavedValue(ValueError):
    """An instance leaf saved only as its repr: the report shows it, replay cannot rebuild it."""


# ----------------------------------------------------------------------------- exact texts
def int_text(n: int) -> str:
    """The decimal digits of any int (no limit: CPython limits int <-> str to 4300 digits, Decimal does not)."""
    return str(decimal.Decimal(n))


def text_int(s: str) -> int:
    s = str(s).strip()
    try:
        return int(s)
    except ValueError:
        d = decimal.Decimal(s)
        if d != d.to_integral_value():
            raise ValueError(f"not an integer: {s[:40]!r}") from None
        return int(d)


def _text_decimal(s: str) -> decimal.Decimal:
    return decimal.Decimal(s)  # exact: the constructor never rounds


_TAGS = {int: "i", float: "f", complex: "c", bool: "b", str: "s", Fraction: "q", decimal.Decimal: "d",
         type(None): "n"}


def _tagged(x) -> str | None:
    """An exact text of one object-array element, or None when it has no exact text."""
    t = _TAGS.get(type(x))
    if t is None:
        return None
    if t == "i":
        return "i" + int_text(x)
    if t in ("f", "c"):
        return t + repr(x)
    if t == "q":
        return f"q{int_text(x.numerator)}/{int_text(x.denominator)}"
    if t == "d":
        return "d" + str(x)
    if t == "n":
        return "n"
    return t + str(x)


def _untag(s: str):
    t, body = s[:1], s[1:]
    if t == "i":
        return text_int(body)
    if t == "f":
        return float(body)
    if t == "c":
        return complex(body)
    if t == "b":
        return body == "True"
    if t == "s":
        return body
    if t == "q":
        p, q = body.split("/")
        return Fraction(text_int(p), text_int(q))
    if t == "d":
        return _text_decimal(body)
    if t == "n":
        return None
    raise ValueError(f"bad element text {s[:40]!r}")


def _same(a, b) -> bool:
    """`a` and `b` equal with the same types all the way down (nan equals nan, -0.0 differs from 0.0)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float):
        return (a != a and b != b) or (a == b and math.copysign(1, a) == math.copysign(1, b))
    return a == b


# ----------------------------------------------------------------------------- saving
def _child(prefix: str, name) -> str:
    return f"{prefix}/{name}" if prefix else str(name)


def _plain_keys(d: dict) -> bool:
    return all(isinstance(k, str) and "/" not in k and k != "" for k in d)


def _flatten(value, prefix, arrays, layout):
    if isinstance(value, dict):
        if _plain_keys(value):
            layout[prefix or "/"] = {"type": "dict", "keys": list(value)}
            for k, v in value.items():
                _flatten(v, _child(prefix, k), arrays, layout)
        else:  # keys of any type (ints, tuples, texts with '/'): saved as leaves too
            layout[prefix] = {"type": "dict", "pairs": len(value)}
            for i, (k, v) in enumerate(value.items()):
                _flatten(k, _child(prefix, f"{i}.key"), arrays, layout)
                _flatten(v, _child(prefix, f"{i}.value"), arrays, layout)
        return
    if hasattr(value, "toarray") and type(value).__module__.startswith("scipy.sparse"):
        arrays[prefix] = np.asarray(value.toarray())
        layout[prefix] = {"type": "sparse_csr"}
    elif isinstance(value, np.ndarray):
        _flatten_array(value, prefix, arrays, layout)
    elif isinstance(value, np.generic):
        if value.dtype == object:
            layout[prefix] = {"type": "repr", "value": repr(value), "of": type(value).__name__}
        else:
            arrays[prefix] = np.asarray(value)
            layout[prefix] = {"type": "numpy_scalar", "dtype": str(value.dtype)}
    elif isinstance(value, bool):
        layout[prefix] = {"type": "bool", "value": value}
    elif isinstance(value, int):
        n = int(value)
        layout[prefix] = ({"type": "int", "value": n} if -_EXACT_INT < n < _EXACT_INT
                          else {"type": "int", "text": int_text(n)})
    elif isinstance(value, float):
        arrays[prefix] = np.asarray(float(value))
        layout[prefix] = {"type": "float"}
    elif isinstance(value, complex):
        arrays[prefix] = np.asarray(complex(value), dtype=np.complex128)
        layout[prefix] = {"type": "complex"}
    elif isinstance(value, Fraction):
        layout[prefix] = {"type": "fraction", "numerator": int_text(value.numerator),
                          "denominator": int_text(value.denominator)}
    elif isinstance(value, decimal.Decimal):
        layout[prefix] = {"type": "decimal", "text": str(value)}
    elif isinstance(value, str):
        layout[prefix] = {"type": "str", "value": value}
    elif value is None:
        layout[prefix] = {"type": "none"}
    elif (names := _record_fields(value)) is not None and (cls := _class_path(type(value))) is not None:
        # a dataclass or namedtuple (st.builds): its class, found again in the claim's loaded module, and its fields
        layout[prefix] = {"type": "object", "class": cls, "fields": names}
        for name in names:
            _flatten(getattr(value, name), _child(prefix, name), arrays, layout)
    elif isinstance(value, (list, tuple, set, frozenset)):
        _flatten_seq(value, prefix, arrays, layout)
    else:
        layout[prefix] = {"type": "repr", "value": repr(value)[:2000], "of": type(value).__name__}


def _record_fields(value) -> list[str] | None:
    """The constructor fields of a dataclass instance or a namedtuple, else None."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [f.name for f in dataclasses.fields(value) if f.init]
    if isinstance(value, tuple) and hasattr(type(value), "_fields"):
        return list(type(value)._fields)
    return None


def _class_path(cls) -> str | None:
    """"module:qualname" of a class that can be found again by name (not one defined inside a function)."""
    if "<locals>" in cls.__qualname__:
        return None
    return f"{cls.__module__}:{cls.__qualname__}"


def _resolve_class(path: str, key: str):
    """The class saved as "module:qualname", from a module already loaded (the claim's own, which replay loads):
    replay never imports a module a report names."""
    module, _, qualname = path.partition(":")
    obj = sys.modules.get(module)
    for part in qualname.split("."):
        obj = getattr(obj, part, None) if obj is not None else None
    if not isinstance(obj, type):
        raise UnsavedValue(f"input {key!r} is a {qualname} from module {module!r}, which is not loaded: replay "
                           "rebuilds it only from the claim's own module (run the replay with the claim file)")
    return obj


def _flatten_array(value: np.ndarray, prefix, arrays, layout):
    if value.dtype != object:
        arrays[prefix] = value
        layout[prefix] = {"type": "ndarray"}
        return
    flat = value.reshape(-1).tolist() if value.ndim else [value[()]]
    texts = [_tagged(x) for x in flat]
    if all(t is not None for t in texts):
        arrays[prefix] = np.array(texts, dtype=str).reshape(value.shape) if texts else np.zeros(value.shape, str)
        layout[prefix] = {"type": "ndarray", "object": "tagged"}
        return
    try:  # mpmath numbers (the only other object arrays certify makes): rounded to float64
        arrays[prefix] = np.vectorize(float, otypes=[float])(value)
        layout[prefix] = {"type": "ndarray", "from": "mpf"}
    except (TypeError, ValueError, OverflowError):
        layout[prefix] = {"type": "repr", "value": repr(value)[:2000], "of": "ndarray[object]"}


def _homogeneous_array(value: list):
    """`value` as one npz array when that array gives back exactly `value` (same types), else None."""
    if not value or not all(type(x) in (float, int, bool) for x in value):
        return None if value else np.zeros(0)
    kinds = {type(x) for x in value}
    if len(kinds) != 1:
        return None
    try:
        arr = np.asarray(value)
    except (OverflowError, ValueError):
        return None
    if arr.dtype == object or not _same(arr.tolist(), value):
        return None
    return arr


def _flatten_seq(value, prefix, arrays, layout):
    kind = type(value).__name__ if type(value) in (list, tuple, set, frozenset) else "list"
    items = list(value)
    if isinstance(value, (set, frozenset)):
        try:
            items = sorted(items)
        except TypeError:
            pass
    arr = _homogeneous_array(items)
    if arr is not None:
        arrays[prefix] = arr
        layout[prefix] = {"type": "list", "kind": kind}
        return
    layout[prefix] = {"type": "seq", "kind": kind, "length": len(items)}
    for i, x in enumerate(items):
        _flatten(x, _child(prefix, i), arrays, layout)


def save_instance(instance: dict, path_stem: Path, extra: dict | None = None) -> dict:
    """Write `<stem>.npz` and `<stem>.json`; return the JSON description (relative file names)."""
    path_stem = Path(path_stem)
    path_stem.parent.mkdir(parents=True, exist_ok=True)
    arrays: dict = {}
    layout: dict = {}
    for k, v in instance.items():
        _flatten(v, str(k), arrays, layout)
    np.savez(str(path_stem) + ".npz", **arrays)
    desc = {"npz": path_stem.name + ".npz", "layout": layout, "inputs": [str(k) for k in instance],
            "summary": describe_instance(instance)}
    if extra:
        desc.update(extra)
    from . import jsonio

    with open(str(path_stem) + ".json", "w") as fh:
        jsonio.dump(desc, fh, indent=1, default=_default)
    return desc


def _default(o):
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    return repr(o)


# ----------------------------------------------------------------------------- loading
def load_instance(path_stem: Path) -> tuple[dict, dict]:
    path_stem = Path(str(path_stem).removesuffix(".npz").removesuffix(".json"))
    from . import jsonio

    with open(str(path_stem) + ".json") as fh:
        desc = jsonio.load(fh)
    with np.load(str(path_stem) + ".npz", allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    layout = desc["layout"]

    def build(key):
        spec = layout[key]
        t = spec["type"]
        if t == "dict":
            if "pairs" in spec:
                return {build(_child(key, f"{i}.key")): build(_child(key, f"{i}.value"))
                        for i in range(int(spec["pairs"]))}
            return {k: build(f"{key}/{k}" if key != "/" else k) for k in spec["keys"]}
        if t == "ndarray":
            a = arrays[key]
            if spec.get("object") == "tagged":
                out = np.empty(a.shape, dtype=object)
                for idx, s in np.ndenumerate(a):
                    out[idx] = _untag(str(s))
                return out
            return a
        if t == "numpy_scalar":
            return arrays[key][()]
        if t == "sparse_csr":
            import scipy.sparse as sp

            return sp.csr_matrix(arrays[key])
        if t == "float":
            return float(arrays[key])
        if t == "complex":
            return complex(arrays[key][()])
        if t == "fraction":
            return Fraction(text_int(spec["numerator"]), text_int(spec["denominator"]))
        if t == "decimal":
            return _text_decimal(spec["text"])
        if t == "int":
            return text_int(spec["text"]) if "text" in spec else int(spec["value"])
        if t == "list":
            items = arrays[key].tolist()
            kind = spec.get("kind", "list")
            return items if kind == "list" else _SEQ[kind](items)
        if t == "seq":
            items = [build(_child(key, i)) for i in range(int(spec["length"]))]
            kind = spec.get("kind", "list")
            return items if kind == "list" else _SEQ[kind](items)
        if t in ("bool", "str"):
            return spec["value"]
        if t == "none":
            return None
        if t == "object":
            cls = _resolve_class(spec["class"], key)
            return cls(**{name: build(_child(key, name)) for name in spec["fields"]})
        if t == "repr":
            if "of" not in spec:  # written before certify recorded the type (and saved complex numbers so)
                raise UnsavedValue(f"input {key!r} is saved only as its repr {str(spec.get('value'))[:60]!r} by an "
                                   "older certify: rerun the claim to save it exactly")
            raise UnsavedValue(f"input {key!r} (a {spec['of']}) is saved only as its repr "
                               f"{str(spec.get('value'))[:60]!r}: certify cannot save that type exactly, so it "
                               "cannot be rebuilt")
        raise ValueError(f"cannot rebuild instance leaf {key!r} of type {t!r}")

    top = desc.get("inputs") or [k for k in layout if "/" not in k and k != "/"]  # "inputs": in their order
    return {k: build(k) for k in top}, desc


_SEQ = {"list": list, "tuple": tuple, "set": set, "frozenset": frozenset}


# ----------------------------------------------------------------------------- summaries
def describe_instance(instance: dict, inline_max: int = 36) -> dict:
    """A short, deterministic JSON description: shapes, norms, and small arrays inline.

    Exact values that are not JSON numbers are shown as text: a Fraction as ``"p/q"``, a Decimal as its string, a
    complex number as ``"1.5-2j"``, an int beyond 2**53 as its digits (shortened past 60 digits)."""
    out = {}
    for k, v in instance.items():
        out[k] = _describe(v, inline_max)
    return out


def _fl(x):
    return float(x)  # non-finite values stay floats: the JSON writer notes them (never strings)


def _short(s: str, limit: int = 60) -> str:
    return s if len(s) <= limit else f"{s[:limit // 2]}…{s[-10:]} ({len(s)} chars)"


def _complex_text(z) -> str:
    z = complex(z)
    r = repr(z)
    return r[1:-1] if r.startswith("(") else r


def _scalar(x):
    """One value in a summary: a JSON number when it is one exactly, else an exact (possibly shortened) text."""
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, int):
        n = int(x)
        return n if -_EXACT_INT < n < _EXACT_INT else _short(int_text(n))
    if isinstance(x, (float, np.floating)):
        return _fl(x)
    if isinstance(x, (complex, np.complexfloating)):
        return _complex_text(x)
    if isinstance(x, Fraction):
        if x.denominator == 1:
            return _scalar(x.numerator)
        return _short(f"{int_text(x.numerator)}/{int_text(x.denominator)}")
    if isinstance(x, decimal.Decimal):
        return _short(str(x))
    if isinstance(x, str) or x is None:
        return x
    try:
        return _fl(x)
    except (TypeError, ValueError, OverflowError):
        return _short(repr(x))


def _describe(v, inline_max):
    if isinstance(v, dict):
        if all(isinstance(k, str) for k in v):
            return {k: _describe(x, inline_max) for k, x in v.items()}
        return {repr(k): _describe(x, inline_max) for k, x in v.items()}
    if hasattr(v, "toarray") and type(v).__module__.startswith("scipy.sparse"):
        return {"sparse": True, "shape": list(v.shape), "nnz": int(v.nnz)}
    if isinstance(v, np.ndarray):
        return _describe_array(v, inline_max)
    if isinstance(v, (list, tuple, set, frozenset)):
        return _short(repr(v), 400)
    return _scalar(v)


def _describe_array(v: np.ndarray, inline_max):
    if v.dtype == object:
        flat = v.reshape(-1).tolist() if v.ndim else [v[()]]
        if not all(_tagged(x) is not None for x in flat):  # mpmath numbers: described by their float64 values
            try:
                return _describe_array(np.vectorize(float, otypes=[float])(v), inline_max)
            except (TypeError, ValueError, OverflowError):
                return {"shape": list(v.shape), "dtype": "object", "repr": _short(repr(v), 400)}
        d = {"shape": list(v.shape), "dtype": "object"}
        kinds = sorted({type(x).__name__ for x in flat})
        if kinds:
            d["elements"] = ", ".join(kinds)
        try:
            if flat:
                d["max_abs"] = _fl(max(abs(x) for x in flat))
        except (TypeError, ValueError, OverflowError):
            pass
        if v.size <= inline_max:
            d["values"] = [_scalar(x) for x in flat]
        return d
    a = v
    d = {"shape": list(a.shape), "dtype": str(a.dtype)}
    if a.size and a.dtype.kind in "fiuc":
        d["max_abs"] = _fl(np.max(np.abs(a)))
        if a.ndim == 2 and a.dtype.kind in "fc" and np.all(np.isfinite(a)) and min(a.shape) > 0:
            s = np.linalg.svd(a, compute_uv=False)
            d["norm2"] = _fl(s[0])
            d["sigma_min"] = _fl(s[-1])
    if a.size <= inline_max:
        d["values"] = [_scalar(x) for x in a.reshape(-1).tolist()]
    return d

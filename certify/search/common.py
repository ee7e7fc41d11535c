"""Small pure helpers shared by the search modules.

Contract: `digest` is a stable 64-bit hash of an instance (dicts by sorted key, arrays by shape and bytes);
`copy_instance` deep-copies the mutable parts of an instance (claims may write into their inputs);
`rel_key` maps a relative margin to a sortable float (NaN and non-numbers sort first, as -inf);
`num` is a finite float or None (for plot series and JSON).
"""

from __future__ import annotations

import dataclasses
import hashlib
import math

import numpy as np

__all__ = ["digest", "copy_instance", "rel_key", "num"]


def digest(instance) -> int:
    h = hashlib.blake2b(digest_size=8)

    def feed(v):
        if isinstance(v, dict):
            for k in sorted(v):
                h.update(k.encode())
                feed(v[k])
        elif isinstance(v, np.ndarray):
            h.update(str(v.shape).encode())
            h.update(np.ascontiguousarray(v).tobytes() if v.dtype != object else repr(v).encode())
        elif hasattr(v, "toarray"):
            feed(v.toarray())
        else:
            h.update(repr(v).encode())

    feed(instance)
    return int.from_bytes(h.digest(), "little")


_IMMUTABLE = frozenset({float, int, bool, str, type(None)})


def copy_instance(v):
    if isinstance(v, dict):
        # most leaves of a search's instances are Python scalars: shared, not walked (a microsecond a call)
        return {k: x if type(x) in _IMMUTABLE else copy_instance(x) for k, x in v.items()}
    if isinstance(v, np.ndarray):
        return v.copy()
    if isinstance(v, (list, tuple)):
        items = [copy_instance(x) for x in v]
        return type(v)(*items) if hasattr(v, "_fields") else type(v)(items)   # a namedtuple takes fields
    if hasattr(v, "copy") and hasattr(v, "toarray"):
        return v.copy()
    if dataclasses.is_dataclass(v) and not isinstance(v, type):
        return dataclasses.replace(v, **{f.name: copy_instance(getattr(v, f.name))
                                         for f in dataclasses.fields(v) if f.init})
    return v


def rel_key(rel) -> float:
    try:
        r = float(rel)
    except (TypeError, ValueError, OverflowError):
        return -math.inf
    return -math.inf if r != r else r


def num(v):
    try:
        f = float(v)
    except (TypeError, ValueError, OverflowError):
        return None
    return f if math.isfinite(f) else None

"""The one home of the kernels' argument validators (float64 side). Messages come from
`certify.errors.invalid`: they name the function, the argument, the bad value and the fix.

Contract: `float_array(where, name, x, ndim)` returns a C-contiguous float64 array (a view when `x` already
is one) or raises `InvalidArgument` for an object array (pointing at the mpmath twin
`certify.reference.<topic>`), a non-real dtype, the wrong number of dimensions, an empty array (unless
`allow_empty`) or a non-finite entry. `where` is "kernels.<topic>.<function>".
"""

from __future__ import annotations

import numpy as np

from certify.errors import invalid

__all__ = ["float_array", "topic"]


def topic(where: str) -> str:
    """'kernels.sparsification.gram' -> 'sparsification' (the twin module to point users at)."""
    parts = where.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "kernels" else "*"


def float_array(where: str, name: str, x, ndim: int | tuple, allow_empty: bool = False,
                want: str | None = None) -> np.ndarray:
    """Validate a real, finite float array with `ndim` dimensions (an int, or a tuple of allowed ones);
    `want` words the shape fix (default "a 1-D vector", "a k-D array", "an array with ndim in (...)")."""
    if isinstance(x, np.ndarray) and x.dtype == object:
        raise invalid(where, name, f"object array of shape {x.shape}",
                      f"pass a float64 array (use certify.reference.{topic(where)} for mpmath arrays)")
    try:
        a = np.asarray(x)
    except Exception as exc:  # pragma: no cover - exotic inputs
        raise invalid(where, name, type(x).__name__, f"pass a real float array ({exc})") from None
    if a.dtype.kind not in "fiub":
        raise invalid(where, name, f"dtype {a.dtype}", "pass a real (float64) array")
    if (a.ndim not in ndim) if isinstance(ndim, tuple) else (a.ndim != ndim):
        want = want or (f"an array with ndim in {ndim}" if isinstance(ndim, tuple)
                        else "a 1-D vector" if ndim == 1 else f"a {ndim}-D array")
        raise invalid(where, name, f"shape {a.shape}", f"pass {want}")
    if not allow_empty and a.size == 0:
        raise invalid(where, name, f"shape {a.shape}", "pass a non-empty array")
    a = np.ascontiguousarray(a, dtype=np.float64)
    if not np.all(np.isfinite(a)):
        bad = a[~np.isfinite(a)].reshape(-1)[0]
        raise invalid(where, name, f"non-finite entry {bad}", "pass finite values only")
    return a

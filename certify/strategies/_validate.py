"""The one home of the strategy builders' argument validators. Messages come from `certify.errors.invalid`:
``certify.strategies[.<topic>].<builder>: bad <arg>=<value>; <fix>``.

Contract: every function raises `InvalidArgument` (never returns a bad value); `where` is the builder's
name relative to `certify.strategies` (e.g. "vectors", "sketch.problems").

* `fail(where, arg, value, fix)` raises;
* `int_range(where, arg, value, lo_min)` accepts an int n (meaning (n, n)) or an inclusive (min, max) tuple
  of ints (numpy ints included) with lo_min <= min <= max; returns (min, max) as Python ints;
* `positive(where, arg, value, allow_none)` accepts a positive finite real; returns it as float;
* `bound_to(topic)` gives (fail, int_range) with `where` prefixed by "<topic>." (for a topic module).
"""

from __future__ import annotations

import math

import numpy as np

from certify.errors import invalid

__all__ = ["fail", "int_range", "positive", "bound_to"]


def fail(where: str, arg: str, value, fix: str):
    raise invalid(f"certify.strategies.{where}", arg, value, fix)


def int_range(where: str, arg: str, value, lo_min: int = 0, fix: str | None = None) -> tuple[int, int]:
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        lo = hi = int(value)
    elif isinstance(value, tuple) and len(value) == 2 and all(isinstance(v, (int, np.integer)) for v in value):
        lo, hi = int(value[0]), int(value[1])
    else:
        fail(where, arg, value, fix or f"pass an int or an inclusive (min, max) tuple of ints, e.g. {arg}=(2, 8)")
    if lo < lo_min or hi < lo:
        fail(where, arg, value, fix or f"need {lo_min} <= min <= max")
    return lo, hi


def positive(where: str, arg: str, value, allow_none: bool = True):
    if value is None and allow_none:
        return None
    if not isinstance(value, (int, float, np.integer, np.floating)) or isinstance(value, bool) or not value > 0 \
            or not math.isfinite(value):
        fail(where, arg, value, "pass a positive finite number")
    return float(value)


def bound_to(topic: str):
    """(fail, int_range) for the builders of `certify.strategies.<topic>`."""
    def fail_here(fn, arg, value, fix):
        fail(f"{topic}.{fn}", arg, value, fix)

    def range_here(fn, arg, value, lo_min=1):
        return int_range(f"{topic}.{fn}", arg, value, lo_min)

    return fail_here, range_here

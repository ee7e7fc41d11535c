"""Hypothesis' pool of "local constants", made a function of the claim alone.

Hypothesis (>= 6.131) sometimes draws a literal found in the source of any *local* module loaded in the
process (everything outside the stdlib and site-packages, so certify, theorems and test files count).
Which modules are loaded differs between a forked worker of a pytest session, a fresh Dask worker and a
`certify run` of one claim, so the same seed drew different instances in each: same seed, different
report. Contract: inside `claim_constants(claim)`, Hypothesis sees exactly the constants of the claim's own
module (a literal the user wrote next to the claim is still a good hint, e.g. a boundary value), whatever
else is loaded; outside, Hypothesis behaves as usual. On a Hypothesis without the pool this is a no-op.

The pool is also put in a fixed order. Hypothesis picks a constant by its index in the pool, and its
pool is a set filled in the order the literals were read: in source order when it parses the module, in
sorted order when it reads its on-disk cache (`.hypothesis/constants`). So the first run in a fresh clone
drew other instances than every later run with the same seed.
"""

from __future__ import annotations

import contextlib
import math
import sys

__all__ = ["claim_constants"]


@contextlib.contextmanager
def claim_constants(claim):
    try:
        from hypothesis.internal.conjecture import providers
        from hypothesis.internal.constants_ast import Constants, constants_from_module
    except ImportError:  # pragma: no cover - a Hypothesis without local constants
        yield
        return
    if not hasattr(providers, "_get_local_constants") or not hasattr(providers, "CONSTANTS_CACHE"):
        yield  # pragma: no cover
        return
    module = sys.modules.get(getattr(claim, "module", "") or "")
    pool = _ordered(constants_from_module(module) if module is not None else Constants(), Constants)
    saved = providers._get_local_constants
    providers._get_local_constants = lambda: pool
    # the cache of permitted constants is keyed by choice constraints only: drop entries built from another pool
    providers.CONSTANTS_CACHE.cache.clear()
    try:
        yield
    finally:
        providers._get_local_constants = saved
        providers.CONSTANTS_CACHE.cache.clear()


def _float_order(x: float) -> tuple:
    """A total order on floats: nan last, -0.0 before 0.0."""
    return (x != x, 0.0 if x != x else x, math.copysign(1.0, x))


def _ordered(pool, Constants):  # noqa: N803 - the class, passed in: it lives in Hypothesis internals
    """The same constants in containers that iterate in sorted order, whatever order they were read in."""
    from sortedcontainers import SortedSet  # a dependency of Hypothesis

    return Constants(integers=SortedSet(pool.integers), floats=SortedSet(pool.floats, key=_float_order),
                     bytes=SortedSet(pool.bytes), strings=SortedSet(pool.strings))

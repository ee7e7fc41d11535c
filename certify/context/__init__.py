"""Numeric contexts: one claim body, several arithmetics (after mpmath's fp / mp / iv design).

* `fp` -- float64: numpy for the generic operations, numba kernels (`certify.kernels.<topic>`) for the
  domain quantities.
* `mp(dps)` -- mpmath at `dps` decimal digits: numpy object arrays of `mpf`, mpmath's own linear algebra,
  and the independent twins in `certify.reference.<topic>`. Each `mp` context owns a private
  `mpmath.MPContext`, so nothing here ever touches the global `mpmath.mp`.
* `ball(prec)` -- python-flint `arb` balls at `prec` bits: rigorous enclosures, no domain namespaces.

Every context has the same API (`api_rows()`, the README's 'Context API' table): conversion that never
rounds a context number (`asarray`, `array`, `num`, `convert`), the elementwise vocabulary of
numpy/mpmath with numpy's broadcasting, the constants pi, e, inf, nan, eps, unit_roundoff, reductions,
products and linear algebra. Domain quantities are reached as ``ctx.<topic>.<function>(...)``: under `fp`
that is ``certify.kernels.<topic>.<function>(...)``; under `mp` it is
``certify.reference.<topic>.<function>(mpm, ...)`` with the context's `MPContext` as first argument. Any
other name raises `UnknownOperation` (a `CertifyError` and an `AttributeError`) naming close matches.

The exact contexts can record the largest magnitude a computation saw: ``ctx.reset_magnitude()`` then
``ctx.magnitude`` (see `ExactContext`); confirmation uses it to judge "zero to working precision" by
the size of the computation.
"""

from __future__ import annotations

import functools

from ._api import API, api_rows, api_table_markdown, sync_readme, undocumented
from ._ball import BallContext
from ._base import Context, ExactContext, UnknownOperation
from ._float import FloatContext
from ._mpmath import MPContext

__all__ = ["Context", "ExactContext", "FloatContext", "MPContext", "BallContext", "UnknownOperation",
           "fp", "mp", "ball", "API", "api_rows", "api_table_markdown", "sync_readme", "undocumented"]

fp = FloatContext()


@functools.lru_cache(maxsize=8)
def ball(prec: int = 200) -> BallContext:
    """The rigorous ball-arithmetic context at `prec` bits (python-flint)."""
    return BallContext(prec)


@functools.lru_cache(maxsize=16)
def mp(dps: int = 50) -> MPContext:
    """The mpmath context at `dps` decimal digits (cached: `mp(50) is mp(50)`)."""
    return MPContext(dps)

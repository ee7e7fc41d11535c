"""`certify warmup`: compile the numba kernels ahead of time.

Contract: `warmup(quiet)` calls each kernel module's `warmup()` hook if it has one, then evaluates every
registered bound and probability claim with inputs once in float64 on a generated instance (at most 5
Hypothesis draws to meet its hypotheses), which compiles exactly the kernels the claims use and fills
numba's on-disk cache for later runs and worker processes. A claim that fails is reported, never fatal;
returns exit code 0.
"""

from __future__ import annotations

import sys
import time

__all__ = ["warmup"]


def warmup(quiet: bool = False) -> int:
    import importlib
    import pkgutil
    import warnings

    import numpy as np

    from . import kernels
    from .claim import discover, select
    from .context import fp

    t0 = time.perf_counter()
    names = [m.name for m in pkgutil.iter_modules(kernels.__path__) if not m.name.startswith("_")]
    for name in sorted(names):
        mod = importlib.import_module(f"certify.kernels.{name}")
        hook = getattr(mod, "warmup", None)
        if callable(hook):
            hook()
    discover()
    failed = 0
    claims = [c for c in select(None) if c.kind != "scaling" and c.inputs]
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import strategies as st

    def compile_once(c):
        done = []

        @settings(max_examples=5, deadline=None, database=None, phases=(Phase.generate,),
                  suppress_health_check=list(HealthCheck))
        @given(st.fixed_dictionaries(c.inputs))
        def once(instance):
            if done or not c.check_assume(instance):
                return
            rng = np.random.default_rng(0) if c.takes_rng else None
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                c.evaluate(fp, instance, rng=rng)
            done.append(True)

        once()

    for c in claims:
        t = time.perf_counter()
        try:
            compile_once(c)
        except Exception as exc:  # noqa: BLE001 - warmup reports, the search decides
            failed += 1
            if not quiet:
                print(f"  {c.id}: {type(exc).__name__}: {str(exc)[:100]}", file=sys.stderr)
            continue
        if not quiet:
            print(f"  {c.id}: {time.perf_counter() - t:.2f}s", file=sys.stderr)
    print(f"warmed {len(claims) - failed} claim(s) over {len(names)} kernel module(s) in "
          f"{time.perf_counter() - t0:.1f}s")
    return 0

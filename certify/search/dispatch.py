"""The run of one claim, dispatched by kind.

Contract: `run_claim(claim, profile, seed, ...)` searches a bound or probability claim with the Hypothesis
driver (then its baselines on the instances kept, then its mutants) and a scaling claim with the sweep
fit (then its mutants), within the profile's budget (`examples` / `seconds` override it), and returns the
`Verdict` with `duration_s` set. Mutants never run for a mutant, nor for a scaling claim whose fit raised;
baselines never run after an error.
"""

from __future__ import annotations

import time
from typing import Callable

from ..claim import Claim
from ..profiles import Profile, get_profile
from ..verdict import Verdict
from .baselines import run_baselines
from .driver import Search
from .mutants import run_mutants
from .scaling import run_scaling

__all__ = ["run_claim"]


def run_claim(claim: Claim, profile: Profile | str = "ci", seed: int = 0, *, examples: int | None = None,
              seconds: float | None = None, progress: Callable | None = None, with_mutants: bool = True,
              with_baselines: bool = True) -> Verdict:
    """Search one claim within the profile's budget and return its verdict."""
    profile = get_profile(profile).with_budget(examples, seconds)
    t0 = time.perf_counter()
    if claim.kind == "scaling":
        v = run_scaling(claim, profile, seed)
        if with_mutants and claim.mutants and not claim.is_mutant and v.status != "error":
            v.mutants = run_mutants(claim, profile, seed)
    else:
        v = Search(claim, profile, seed, progress).run()
        if with_baselines and claim.baselines and v.status not in ("error",):
            v.baselines = run_baselines(claim, v, profile, seed)
        if with_mutants and claim.mutants and not claim.is_mutant:
            v.mutants = run_mutants(claim, profile, seed)
    v.duration_s = time.perf_counter() - t0
    return v

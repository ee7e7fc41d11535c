"""Search budgets. `smoke` is for the test suite, `ci` for pull requests (derandomised), `certify` for the
full certification run. Numba compilation never counts: Hypothesis deadlines are always off."""

from __future__ import annotations

from dataclasses import dataclass, replace

from .errors import InvalidArgument

__all__ = ["Profile", "PROFILES", "get_profile"]


@dataclass(frozen=True)
class Profile:
    name: str
    examples: int            # Hypothesis examples for the main search
    refine_evals: int        # fast-margin evaluations in the refinement phase
    refine_starts: int       # worst instances refined
    seconds: float           # wall-clock cap per claim (search + refinement + confirmation)
    trials: int              # default trials per instance for probability claims
    mutant_examples: int     # Hypothesis examples per mutant
    baseline_instances: int  # instances on which each baseline is evaluated
    scaling_repeats: int     # repeats per sweep point (median) for scaling claims
    shrink_seconds: float    # cap on shrinking a counterexample
    timeout: float           # hard kill of one claim's process
    # smallest-safe-constant search (`certify.tighten`): budget of the search at each step, bisections
    tighten_examples: int = 60
    tighten_seconds: float = 20.0
    tighten_steps: int = 3

    def with_budget(self, examples: int | None = None, seconds: float | None = None) -> Profile:
        p = self
        if examples is not None:
            p = replace(p, examples=int(examples), mutant_examples=min(p.mutant_examples, int(examples)))
        if seconds is not None:
            p = replace(p, seconds=float(seconds), timeout=max(p.timeout, 2.0 * float(seconds) + 60.0))
            if examples is None:  # a time budget alone: search until the time is spent
                p = replace(p, examples=10**9)
        return p


PROFILES = {
    "smoke": Profile("smoke", examples=25, refine_evals=40, refine_starts=2, seconds=20.0, trials=20,
                     mutant_examples=25, baseline_instances=5, scaling_repeats=1, shrink_seconds=3.0,
                     timeout=120.0, tighten_examples=15, tighten_seconds=5.0, tighten_steps=1),
    "ci": Profile("ci", examples=120, refine_evals=3000, refine_starts=4, seconds=45.0, trials=60,
                  mutant_examples=60, baseline_instances=20, scaling_repeats=3, shrink_seconds=8.0,
                  timeout=300.0, tighten_examples=60, tighten_seconds=15.0, tighten_steps=3),
    "certify": Profile("certify", examples=1000, refine_evals=2000, refine_starts=5, seconds=300.0, trials=200,
                       mutant_examples=300, baseline_instances=50, scaling_repeats=5, shrink_seconds=30.0,
                       timeout=1200.0, tighten_examples=200, tighten_seconds=40.0, tighten_steps=4),
}


def get_profile(name: str) -> Profile:
    if isinstance(name, Profile):
        return name
    if name not in PROFILES:
        raise InvalidArgument(f"unknown profile {name!r}; use one of {', '.join(PROFILES)}")
    return PROFILES[name]

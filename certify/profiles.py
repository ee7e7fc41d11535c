"""Search budgets. `smoke` is for the test suite, `ci` for pull requests (derandomised), `certify` for the
full certification run. Numba compilation never counts: Hypothesis deadlines are always off.

A profile is a budget of evaluations: `examples` Hypothesis examples and `refine_evals` refinement
evaluations for a cheap claim. Where `eval_seconds` is set, the search measures what one evaluation of the
claim costs (generation included, compilation excluded) and scales both counts down by a power of two so that
their evaluations fit in about `eval_seconds`, never below `min_examples` / `min_refine_evals`: a 1 ms claim
gets thousands of each at `ci`, a 100 ms claim a few hundred. Powers of two keep the sizing stable from run to
run on one machine; the scale chosen is recorded in the verdict's budget. The other way, a claim so cheap that
its counts would use less than half of `eval_seconds` gets up to `refine_boost` times the refinement
evaluations (a power of two, still within the allowance): for a claim of a few microseconds, thousands
more moves cost a fraction of a second, and refinement is where the hard places are reached. A refinement still
improving when its count is spent goes on while the claim's CPU time fits `extend_seconds` (see
Search._extend). `seconds` is a safety net, not the budget: a search it stops records `stopped_by: "time"`."""

from __future__ import annotations

from dataclasses import dataclass, replace

from .errors import InvalidArgument

__all__ = ["Profile", "PROFILES", "get_profile", "sized"]


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
    eval_seconds: float | None = None  # evaluation time the counts are sized to (None: counts as given)
    min_examples: int = 0              # floors of the cost-scaled counts
    min_refine_evals: int = 0
    refine_boost: int = 1              # at most this many times `refine_evals` for a cheap claim (power of two)
    # CPU seconds a refinement still improving may go on to (Search._extend; None: eval_seconds)
    extend_seconds: float | None = None

    def with_budget(self, examples: int | None = None, seconds: float | None = None) -> Profile:
        p = self
        if examples is not None:
            p = replace(p, examples=int(examples), mutant_examples=min(p.mutant_examples, int(examples)),
                        eval_seconds=None)  # an explicit count is the budget, not scaled by cost
        if seconds is not None:
            p = replace(p, seconds=float(seconds), timeout=max(p.timeout, 2.0 * float(seconds) + 60.0))
            if examples is None:  # a time budget alone: search until the time is spent
                p = replace(p, examples=10**9, eval_seconds=None)
        return p


PROFILES = {
    "smoke": Profile("smoke", examples=25, refine_evals=40, refine_starts=2, seconds=20.0, trials=20,
                     mutant_examples=100, baseline_instances=5, scaling_repeats=1, shrink_seconds=3.0,
                     timeout=120.0, tighten_examples=15, tighten_seconds=5.0, tighten_steps=1),
    "ci": Profile("ci", examples=1000, refine_evals=3000, refine_starts=4, seconds=45.0, trials=60,
                  mutant_examples=300, baseline_instances=20, scaling_repeats=3, shrink_seconds=8.0,
                  timeout=300.0, tighten_examples=60, tighten_seconds=15.0, tighten_steps=3,
                  eval_seconds=6.0, min_examples=120, min_refine_evals=400, refine_boost=4, extend_seconds=8.0),
    # eval_seconds 15 (not more): the whole catalogue (140 claims) must stay under an hour on 2 cores. (Both were a
    # third higher while the cost probe took the fastest of two draws, which a slow first path of a strategy made
    # read 1.5-3 times the cost: the budgets the catalogue was timed with.)
    "certify": Profile("certify", examples=10000, refine_evals=20000, refine_starts=5, seconds=300.0, trials=200,
                       mutant_examples=2000, baseline_instances=50, scaling_repeats=5, shrink_seconds=30.0,
                       timeout=1200.0, tighten_examples=200, tighten_seconds=40.0, tighten_steps=4,
                       eval_seconds=15.0, min_examples=1000, min_refine_evals=2000, refine_boost=2,
                       extend_seconds=20.0),
}


def sized(profile: Profile, seconds_per_eval: float | None) -> tuple[Profile, float]:
    """(profile with `examples` / `refine_evals` scaled to the measured cost, the scale: a power of two <= 1)."""
    if profile.eval_seconds is None or not seconds_per_eval or seconds_per_eval <= 0:
        return profile, 1.0
    import math

    want = profile.eval_seconds / (seconds_per_eval * max(1, profile.examples + profile.refine_evals))
    scale = 1.0 if want >= 1.0 else 2.0 ** math.floor(math.log2(want))
    examples = max(min(profile.min_examples, profile.examples), int(profile.examples * scale))
    refine = max(min(profile.min_refine_evals, profile.refine_evals), int(profile.refine_evals * scale))
    boost = 1
    while (2 * boost <= profile.refine_boost and seconds_per_eval * (profile.examples + 2 * boost * profile.refine_evals)
           <= profile.eval_seconds):
        boost *= 2
    return replace(profile, examples=examples, refine_evals=refine * boost), scale


def get_profile(name: str) -> Profile:
    if isinstance(name, Profile):
        return name
    if name not in PROFILES:
        raise InvalidArgument(f"unknown profile {name!r}; use one of {', '.join(PROFILES)}")
    return PROFILES[name]

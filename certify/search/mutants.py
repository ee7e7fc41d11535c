"""Mutants: deliberately wrong variants of a claim, searched to show the search has teeth.

Contract: `run_mutants(claim, profile, seed)` searches every mutant of the claim (a scaling claim's mutants
with the full profile, the others with the reduced mutant budget: `mutant_examples` examples, a quarter of
the refinement evaluations (at least 20) and a third of the seconds (at least 5)) and returns
``{mutant name: {"status", "killed", "examples", "margin", "reason"}}``. A mutant is killed when its search
refutes it (confirmed, or unconfirmed for a fast-only claim).
"""

from __future__ import annotations

from dataclasses import replace

from ..profiles import Profile

__all__ = ["run_mutants", "mutant_profile"]


def mutant_profile(profile: Profile) -> Profile:
    return replace(profile, examples=profile.mutant_examples, refine_evals=max(20, profile.refine_evals // 4),
                   seconds=max(5.0, profile.seconds / 3))


def run_mutants(claim, profile: Profile, seed: int) -> dict:
    from .driver import Search
    from .scaling import run_scaling

    out = {}
    mp_profile = mutant_profile(profile)
    for m in claim.mutants:
        mc = m.apply(claim)
        v = run_scaling(mc, profile, seed) if claim.kind == "scaling" else Search(mc, mp_profile, seed, None).run()
        killed = v.status in ("refuted", "unconfirmed")
        out[m.name] = {"status": v.status, "killed": killed, "examples": v.examples,
                       "margin": None if v.counterexample is None else v.counterexample.outcome.get("margin"),
                       "reason": v.reason}
    return out

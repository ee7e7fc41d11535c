"""Baselines: does a trivial or exact solution also meet the bound, on the instances the search kept?

Contract: `run_baselines(claim, verdict, profile, seed)` evaluates every baseline of the claim in float64 on
the first `profile.baseline_instances` of `verdict.pool` (the worst, then the first, distinct instances)
and returns ``{name: {"instances", "met", "meets_bound", "worst_rel_margin", "worst_ratio", "max_ratio",
"error", "claim_failed_where_met"}}``; the last counts the instances where the baseline meets the bound and the
claim itself (its own algorithm and params, float64, same random stream) does not: a vacuous bound's cost. A baseline is a dict of params (the claim's function with those params) or a callable on the
claim's inputs and params (only the arguments in its signature are passed). A probability claim's
baseline sees trial 0's random stream of each instance.
"""

from __future__ import annotations

import math

import numpy as np

from ..context import fp
from ..profiles import Profile
from ..verdict import Verdict
from .common import copy_instance, num, rel_key
from .trials import trial_rng

__all__ = ["run_baselines"]


def run_baselines(claim, verdict: Verdict, profile: Profile, seed: int) -> dict:
    out = {}
    pool = verdict.pool[: profile.baseline_instances]
    claim_holds: list = []
    for inst in pool if claim.baselines else []:
        try:
            claim_holds.append(bool(_evaluate(claim, None, inst, seed).holds))
        except Exception:  # noqa: BLE001 - an instance where the claim raises is not counted either way
            claim_holds.append(None)
    for name, b in sorted(claim.baselines.items()):
        met, worst_rel, worst_ratio, max_ratio, n, err = 0, math.inf, None, None, 0, None
        failed_where_met = 0
        for i, inst in enumerate(pool):
            try:
                o = _evaluate(claim, b, inst, seed)
            except Exception as exc:  # noqa: BLE001
                err = f"{type(exc).__name__}: {exc}"
                continue
            n += 1
            if o.holds:
                met += 1
                failed_where_met += claim_holds[i] is False
            r = rel_key(o.rel_margin)
            if r < worst_rel:
                worst_rel, worst_ratio = r, num(o.ratio)
            rr = num(o.ratio)
            if rr is not None:
                max_ratio = rr if max_ratio is None else max(max_ratio, rr)
        out[name] = {"instances": n, "met": met, "meets_bound": n > 0 and met == n,
                     "worst_rel_margin": None if worst_rel == math.inf else num(worst_rel),
                     "worst_ratio": worst_ratio, "max_ratio": max_ratio, "error": err,
                     "claim_failed_where_met": failed_where_met}
    return out


def _evaluate(claim, baseline, inst, seed):
    with np.errstate(all="ignore"):
        if baseline is None:  # the claim itself
            rng = trial_rng(seed, inst, 0)() if claim.takes_rng else None
            return claim.evaluate(fp, copy_instance(inst), rng=rng)
        if isinstance(baseline, dict):
            rng = trial_rng(seed, inst, 0)() if claim.takes_rng else None
            return claim.evaluate(fp, copy_instance(inst), rng=rng, params={**claim.params, **baseline})
        return claim.evaluate(fp, copy_instance(inst), rng=trial_rng(seed, inst, 0)(), fn=baseline)

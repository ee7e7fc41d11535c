"""Probability claims: trials, their random streams, and Clopper-Pearson. The one home of the trial loop,
used by the search and by `certify replay`.

Contract:

* `trial_rng(seed, instance, t)` is a factory (every call restarts the stream) of trial t's draws on an
  instance: the same draws in float64, in mpmath confirmation, in baselines and in replay.
* `run_trials(claim, instance, seed, n)` evaluates n float64 trials and returns the probability statement's
  `Outcome` (margin delta - lower CP bound of the failure rate) with the trial statistics.
* `confirm_trials(claim, instance, seed, failed, n)` re-runs the float64 failures in high precision with the
  same draws until the CP lower bound of the confirmed rate exceeds delta (or the failures run out).
"""

from __future__ import annotations

import math

import numpy as np

from ..confirm import MARGINAL_NOTE, MARGINAL_ROUNDOFFS, Confirmation, confirm
from ..context import fp
from ..outcome import Outcome
from .common import copy_instance, digest, rel_key

__all__ = ["clopper_pearson", "trial_rng", "fp_outcome", "failed_trials", "run_trials", "confirm_trials"]


def clopper_pearson(k: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Exact two-sided Clopper-Pearson interval for a binomial proportion k/n."""
    from scipy.stats import beta

    alpha = 1.0 - confidence
    lo = 0.0 if k == 0 else float(beta.ppf(alpha / 2, k, n - k + 1))
    hi = 1.0 if k == n else float(beta.ppf(1 - alpha / 2, k + 1, n - k))
    return lo, hi


def percent(confidence: float) -> str:
    """A confidence as the reason texts write it (97.5%)."""
    return f"{100 * confidence:.4g}%"


def trial_rng(seed: int, instance, trial: int):
    """The random stream of one trial on one instance, as a factory (every call restarts it): the same draws
    in float64, in mpmath confirmation, in baselines and in `certify replay`."""
    key = [int(seed), digest(instance) % (2**63), int(trial)]
    return lambda: np.random.default_rng(key)


def fresh_fp(instance: dict) -> dict:
    """`fp.convert(copy_instance(instance))` in one walk over the common leaves (a Python scalar: shared; a float64
    array: copied, already float64): the search pays it on every evaluation of a body of a few microseconds."""
    out = {}
    for k, v in instance.items():
        t = type(v)
        if t is float or t is int or t is bool or v is None:
            out[k] = v
        elif t is np.ndarray and v.dtype == np.float64:
            out[k] = v.copy()
        else:
            out[k] = fp.convert(copy_instance(v))
    return out


def fp_outcome(claim, instance, rng_factory=None, *, quiet: bool = True) -> Outcome:
    """One float64 evaluation on a copy of the instance (the claim may write into its inputs).

    Floating-point warnings are silenced; `quiet=False` leaves that to a caller that already silenced them
    for its whole loop (entering numpy's errstate costs about a microsecond, a tenth of a cheap claim)."""
    rng = rng_factory() if rng_factory is not None else None
    try:
        if not quiet:
            return claim.evaluate(fp, fresh_fp(instance), rng=rng, converted=True)
        with np.errstate(all="ignore"):
            return claim.evaluate(fp, fresh_fp(instance), rng=rng, converted=True)
    except OverflowError as exc:
        # Python's float arithmetic raises (`a ** k`, `math.exp`, float() of a huge int) where numpy's float64
        # gives inf: the same float64 range problem, so the same path as a float64 NaN margin — a violation
        # the reference (unbounded exponents) decides: a counterexample, or a float artifact where it holds
        return Outcome(margin=math.nan, rel_margin=math.nan, fp_error=f"OverflowError: {exc}")


def failed_trials(claim, instance, seed: int, n: int, first: int = 0) -> tuple[list[int], list[Outcome]]:
    """The trials (of n, numbered from `first`) that fail in float64, and every trial's outcome."""
    fails, outs = [], []
    for t in range(first, first + n):
        o = fp_outcome(claim, instance, trial_rng(seed, instance, t))
        outs.append(o)
        if o.violated:
            fails.append(t)
    return fails, outs


def run_trials(claim, instance, seed: int, n: int) -> tuple[Outcome, dict]:
    delta = claim.verdict_delta
    fails, outs = failed_trials(claim, instance, seed, n)
    k = len(fails)
    lo, hi = clopper_pearson(k, n)
    rate = k / n
    worst_trial = min(outs, key=lambda o: rel_key(o.rel_margin))
    stats = {"trials": n, "failures": k, "rate": rate, "cp_low": lo, "cp_high": hi, "delta": delta,
             "failed_trials": fails, "worst_trial": worst_trial.as_float()}
    # margin of the probability statement: delta minus the lower confidence bound of the failure rate
    margin = delta - lo
    out = Outcome(margin=margin, rel_margin=margin / max(delta, 1e-12), lhs=rate, rhs=delta,
                  ratio=rate / delta, relation="le", scale=delta, evidence=worst_trial.evidence)
    return out, stats


FAMILY_ALPHA = 0.05   # the chance, over a whole search, that a claim whose failure rate is <= delta is refuted


def validation_size(n: int) -> int:
    """Fresh trials that validate a candidate found with n trials per instance."""
    return max(2 * n, 100)


def validation_confidence(attempt: int) -> float:
    """The confidence of the `attempt`-th validation of one search (from 0): the error rates 0.025, 0.0125, ...
    add up to FAMILY_ALPHA however many candidates the search validates."""
    return 1.0 - FAMILY_ALPHA / 2.0 ** (attempt + 1)


def validate_trials(claim, instance, seed: int, n: int, attempt: int) -> Confirmation:
    """Decide a candidate of a probability claim on trials it was not selected by.

    The search picks, among thousands of instances, the one whose n trials failed most often: at a true failure
    rate of exactly delta (or 0.07 against delta 0.1) some instance shows 15 of 60 failures by chance, and the
    same trials re-run cannot tell that luck from a violation (true bounds were refuted so). The candidate is
    judged instead on `validation_size(n)` fresh trials (numbered from n: independent draws), each failure
    re-run whole in high precision, against a Clopper-Pearson bound at `validation_confidence(attempt)`. The
    result carries `validation` = {first_trial, trials, attempt, confidence}: replay repeats exactly this test."""
    m = validation_size(n)
    confidence = validation_confidence(attempt)
    fails, _ = failed_trials(claim, instance, seed, m, first=n)
    c = confirm_trials(claim, instance, seed, fails, m, confidence=confidence)
    c.validation = {"first_trial": n, "trials": m, "attempt": attempt, "confidence": confidence,
                    "float64_failures": len(fails)}
    return c


def confirm_trials(claim, instance, seed: int, failed: list[int], n: int,
                   confidence: float = 0.95) -> Confirmation:
    """Confirm the failed trials one by one, each re-run whole in the reference context with its own draws
    (mode "reference-replay"; "output-only" when the trial's algorithm runs in float64, and then a trial counts
    only if its failure is robust, see `certify.confirm.robust`). An unavailable reference is returned as is;
    otherwise the result is confirmed iff the CP lower bound of the confirmed rate exceeds delta, and marginal
    when it does so only thanks to marginal trials. `detail["confirmed"]` is the number of confirmed failures."""
    delta = claim.verdict_delta
    confirmed, solid, checked, details = 0, 0, 0, []
    mode = "reference-replay"
    last = None
    for t in failed:
        c = confirm(claim, instance, rng_factory=trial_rng(seed, instance, t), mode="reference-replay")
        last = c
        checked += 1
        if c.mode == "output-only":
            mode = "output-only"
        details.append({"trial": t, **c.as_dict()})
        if c.status == "unavailable":
            c.detail = {**c.detail, "confirmed": confirmed}
            return c
        if c.confirmed:
            confirmed += 1
            solid += 0 if c.marginal else 1
            if clopper_pearson(solid, n, confidence)[0] > delta:
                break
    lo, hi = clopper_pearson(confirmed, n, confidence)
    status = "confirmed" if lo > delta else ("unstable" if any(d["status"] == "unstable" for d in details)
                                             else "holds")
    fragile = sum(d["status"] == "fragile" for d in details)
    equal = sum(d["status"] == "equality" for d in details)
    marginal = status == "confirmed" and clopper_pearson(solid, n, confidence)[0] <= delta
    stop = " (stopped once the lower bound exceeded delta)" if checked < len(failed) else ""
    how = ("re-run whole in high precision with the same draws" if mode == "reference-replay" else
           "checked in high precision on the output of the float64 algorithm (output-only) and robust to "
           "rounding-level perturbations")
    extra = "".join([f"; {fragile} fragile (rounding of the float64 path)" if fragile else "",
                     f"; {equal} equality case(s)" if equal else ""])
    if checked >= 5 and confirmed == 0 and mode == "reference-replay":
        # every failure vanished when its trial was re-run with the same draws: the trial did not replay
        extra += ("; not one failure recurred when its trial was re-run with the same draws: if the claim draws "
                  "its randomness elsewhere than from `rng` (np.random, random, a Generator of its own), its "
                  "trials cannot be replayed, so nothing can be confirmed; draw every random number from `rng`")
    out = Confirmation(status, claim.dps, margin_dps=delta - lo, margin_2dps=delta - lo,
                       rel_margin=(delta - lo) / delta, lhs=confirmed / n, rhs=delta,
                       ratio=(confirmed / n) / delta, mode=mode, marginal=marginal,
                       marginal_note=(f"only {solid} of the {confirmed} confirmed failures are not marginal; "
                                      + MARGINAL_NOTE.format(k=MARGINAL_ROUNDOFFS)) if marginal else "",
                       reason=f"{confirmed} of the {checked} float64 failures checked are confirmed ({how}){stop}"
                              f"{extra}; {len(failed)} of {n} trials fail in float64; Clopper-Pearson "
                              f"{percent(confidence)} interval of the confirmed rate [{lo:.4g}, {hi:.4g}] vs "
                              f"delta={delta:g}")
    out.detail = {"trials": details[:20], "last": last.as_dict() if last else None, "confirmed": confirmed,
                  "checked": checked, "fragile": fragile, "equality": equal}
    return out

"""The search: Hypothesis explores (steered by `hypothesis.target` towards low relative margins) and
shrinks; a refinement phase pushes the worst instances further; every float64 violation is confirmed in
high precision before it counts (see `certify.confirm`).

`run_claim` returns a `Verdict`: plain data plus the instances (numpy arrays) that the report writer saves.
"""

from __future__ import annotations

import hashlib
import math
import time
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from .choice_space import record_choices
from .claim import Claim
from .confirm import Confirmation, confirm, evaluate
from .context import fp
from .outcome import Outcome
from .profiles import Profile, get_profile

__all__ = ["Verdict", "run_claim", "clopper_pearson"]


class _Violation(Exception):
    """Raised inside the Hypothesis test so it shrinks a (confirmed) counterexample."""


def _violation():
    # One raise site: Hypothesis tells failures apart by where they are raised, and every violation here
    # is the same failure (a different line would look like a flaky second bug and stop shrinking).
    raise _Violation()


class _TimeUp(BaseException):
    """Stops a Hypothesis run without shrinking (BaseException passes through Hypothesis)."""


@dataclass
class Example:
    instance: dict
    outcome: dict
    rel: float
    evidence: dict = field(default_factory=dict)
    confirmation: dict | None = None
    trial_stats: dict | None = None
    choices: tuple | None = None  # Hypothesis' choice sequence that drew the instance (choice-space refinement)


@dataclass
class Verdict:
    claim_id: str
    status: str
    expected: str | None
    kind: str
    examples: int = 0
    valid_examples: int = 0
    worst: Example | None = None
    minimal: Example | None = None
    counterexample: Example | None = None
    float_artifacts: list = field(default_factory=list)
    unstable: list = field(default_factory=list)
    margins: list = field(default_factory=list)
    ratio_extreme: float | None = None
    plots: list = field(default_factory=list)
    baselines: dict = field(default_factory=dict)
    mutants: dict = field(default_factory=dict)
    refinement: dict = field(default_factory=dict)
    scaling: dict | None = None
    reason: str = ""
    error: str | None = None
    duration_s: float = 0.0
    budget: dict = field(default_factory=dict)
    pool: list = field(default_factory=list, repr=False)  # instances for baselines (not reported)

    @property
    def as_expected(self) -> bool:
        if self.status == "error":
            return False
        if self.expected is None:
            return True
        if self.expected == "holds":
            return self.status != "refuted"
        return self.status == "refuted"


def clopper_pearson(k: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Exact two-sided Clopper-Pearson interval for a binomial proportion k/n."""
    from scipy.stats import beta

    alpha = 1.0 - confidence
    lo = 0.0 if k == 0 else float(beta.ppf(alpha / 2, k, n - k + 1))
    hi = 1.0 if k == n else float(beta.ppf(1 - alpha / 2, k + 1, n - k))
    return lo, hi


def _digest(instance) -> int:
    h = hashlib.blake2b(digest_size=8)

    def feed(v):
        if isinstance(v, dict):
            for k in sorted(v):
                h.update(k.encode())
                feed(v[k])
        elif isinstance(v, np.ndarray):
            h.update(str(v.shape).encode())
            h.update(np.ascontiguousarray(v).tobytes() if v.dtype != object else repr(v).encode())
        elif hasattr(v, "toarray"):
            feed(v.toarray())
        else:
            h.update(repr(v).encode())

    feed(instance)
    return int.from_bytes(h.digest(), "little")


def trial_rng(seed: int, instance, trial: int):
    """The random stream of one trial on one instance, as a factory (every call restarts it): the same draws
    in float64, in mpmath confirmation, in baselines and in `certify replay`."""
    key = [int(seed), _digest(instance) % (2**63), int(trial)]
    return lambda: np.random.default_rng(key)


def _copy(v):
    if isinstance(v, dict):
        return {k: _copy(x) for k, x in v.items()}
    if isinstance(v, np.ndarray):
        return v.copy()
    if isinstance(v, (list, tuple)):
        return type(v)(_copy(x) for x in v)
    if hasattr(v, "copy") and hasattr(v, "toarray"):
        return v.copy()
    return v


def _rel_key(rel) -> float:
    try:
        r = float(rel)
    except (TypeError, ValueError, OverflowError):
        return -math.inf
    return -math.inf if r != r else r


class _Collector:
    """Everything the search learns, kept small: top-k worst, first instances, margin sample, evidence."""

    def __init__(self, claim: Claim, keep: int):
        self.claim = claim
        self.keep = max(keep, 1)
        self.examples = 0
        self.valid = 0
        self.worst: list[Example] = []
        self.firsts: list[Example] = []
        self.margins: list[float] = []
        self.ratio_extreme: float | None = None
        self.artifacts: list[dict] = []
        self.unstable: list[dict] = []
        self.scatter: dict[str, dict] = {}
        self.curves: dict[str, dict] = {}

    def add(self, instance, outcome: Outcome, trial_stats=None) -> Example:
        rel = _rel_key(outcome.rel_margin)
        ex = Example(instance=instance, outcome=outcome.as_float(), rel=rel, evidence=outcome.evidence,
                     trial_stats=trial_stats)
        if len(self.margins) < 2000:
            self.margins.append(rel if rel != -math.inf else None)
        self._ratio(outcome)
        self._evidence(outcome.evidence)
        if len(self.firsts) < self.keep:
            self.firsts.append(ex)
        if len(self.worst) < self.keep or _worst_key(ex) < _worst_key(self.worst[-1]):
            self.worst.append(ex)
            self.worst.sort(key=_worst_key)
            del self.worst[self.keep:]
        return ex

    def _ratio(self, outcome: Outcome):
        if outcome.ratio is None or outcome.relation not in ("le", "ge", "close"):
            return
        try:
            r = float(outcome.ratio)
        except (TypeError, ValueError, OverflowError):
            return
        if r != r:
            return
        if self.ratio_extreme is None:
            self.ratio_extreme = r
        elif outcome.relation == "ge":
            self.ratio_extreme = min(self.ratio_extreme, r)
        else:
            self.ratio_extreme = max(self.ratio_extreme, r)

    def _evidence(self, evidence: dict):
        for name, ev in (evidence or {}).items():
            if not isinstance(ev, dict) or "x" not in ev or "y" not in ev:
                continue
            series = str(ev.get("series", "value"))
            meta = {k: ev[k] for k in ("xlabel", "ylabel", "logx", "logy", "title") if k in ev}
            x, y = ev["x"], ev["y"]
            if np.ndim(x) == 0 and np.ndim(y) == 0:
                plot = self.scatter.setdefault(str(ev.get("plot", name)), {"kind": "scatter", "series": {}, **meta})
                s = plot["series"].setdefault(series, {"x": [], "y": []})
                if len(s["x"]) < 500:
                    s["x"].append(_num(x))
                    s["y"].append(_num(y))

    def plots(self, worst: Example | None) -> list[dict]:
        out = []
        for name in sorted(self.scatter):
            out.append({"name": name, **self.scatter[name]})
        if worst is not None:
            for name, ev in sorted((worst.evidence or {}).items()):
                if isinstance(ev, dict) and "x" in ev and "y" in ev and np.ndim(ev["x"]) == 1:
                    meta = {k: ev[k] for k in ("xlabel", "ylabel", "logx", "logy", "title") if k in ev}
                    name = str(ev.get("plot", name))
                    ys = ev["y"]
                    series = {}
                    if isinstance(ys, dict):
                        for sname, yv in ys.items():
                            series[str(sname)] = {"x": [_num(v) for v in ev["x"]], "y": [_num(v) for v in yv]}
                    else:
                        series[str(ev.get("series", "worst instance"))] = {
                            "x": [_num(v) for v in ev["x"]], "y": [_num(v) for v in ys]}
                    out.append({"name": name, "kind": "curve", "series": series, **meta})
        return out


def _worst_key(ex: Example):
    """Lowest relative margin first; among equals, an instance whose two sides are not both 0 (0 <= 0 is
    tight only in a degenerate way, e.g. u = v in a Lipschitz bound)."""
    o = ex.outcome
    degenerate = o.get("lhs") == 0 and o.get("rhs") == 0
    return (ex.rel, 1 if degenerate else 0)


def _num(v):
    try:
        f = float(v)
    except (TypeError, ValueError, OverflowError):
        return None
    return f if math.isfinite(f) else None


# ----------------------------------------------------------------------------- main entry
def run_claim(claim: Claim, profile: Profile | str = "ci", seed: int = 0, *, examples: int | None = None,
              seconds: float | None = None, progress: Callable | None = None, with_mutants: bool = True,
              with_baselines: bool = True) -> Verdict:
    """Search one claim within the profile's budget and return its verdict."""
    profile = get_profile(profile).with_budget(examples, seconds)
    t0 = time.perf_counter()
    if claim.kind == "scaling":
        v = _run_scaling(claim, profile, seed)
        if with_mutants and claim.mutants and not claim.is_mutant and v.status != "error":
            v.mutants = _run_mutants(claim, profile, seed)
    else:
        v = _Search(claim, profile, seed, progress).run()
        if with_baselines and claim.baselines and v.status not in ("error",):
            v.baselines = _run_baselines(claim, v, profile, seed)
        if with_mutants and claim.mutants and not claim.is_mutant:
            v.mutants = _run_mutants(claim, profile, seed)
    v.duration_s = time.perf_counter() - t0
    return v


class _Search:
    def __init__(self, claim: Claim, profile: Profile, seed: int, progress):
        self.claim = claim
        self.profile = profile
        self.seed = int(seed)
        self.progress = progress
        self.col = _Collector(claim, max(profile.refine_starts, profile.baseline_instances, 3))
        self.t0 = time.perf_counter()
        self.deadline = self.t0 + profile.seconds
        self.clock_started = False
        self.time_stopped = False
        self.left_body: float | None = None
        self.times = {"generate_s": 0.0, "evaluate_s": 0.0, "confirm_s": 0.0}
        self.found: Example | None = None        # first confirmed (or fast-only) violation
        self.found_at: float | None = None
        self.last_violation: Example | None = None
        self.last_instance: dict | None = None
        self.error: str | None = None
        self.last_progress = 0.0
        self.trials = claim.trials or profile.trials
        self.refinement: dict = {}
        self.strategies = dict(claim.inputs)

    # -- one instance ------------------------------------------------------------------
    def _fp_outcome(self, instance, rng_factory=None) -> Outcome:
        with np.errstate(all="ignore"):
            return evaluate(self.claim, fp, _copy(instance), rng_factory)

    def _rng_factory(self, instance, trial):
        return trial_rng(self.seed, instance, trial)

    def _evaluate(self, instance) -> tuple[Outcome, dict | None]:
        t = time.perf_counter()
        try:
            return self._evaluate_untimed(instance)
        finally:
            self.times["evaluate_s"] += time.perf_counter() - t

    def _evaluate_untimed(self, instance) -> tuple[Outcome, dict | None]:
        if self.claim.kind != "probability":
            return self._fp_outcome(instance), None
        delta = self.claim.verdict_delta
        fails, outs = [], []
        for t in range(self.trials):
            o = self._fp_outcome(instance, self._rng_factory(instance, t))
            outs.append(o)
            if o.violated:
                fails.append(t)
        k, n = len(fails), self.trials
        lo, hi = clopper_pearson(k, n)
        rate = k / n
        worst_trial = min(outs, key=lambda o: _rel_key(o.rel_margin))
        stats = {"trials": n, "failures": k, "rate": rate, "cp_low": lo, "cp_high": hi, "delta": delta,
                 "failed_trials": fails, "worst_trial": worst_trial.as_float()}
        # margin of the probability statement: delta minus the lower confidence bound of the failure rate
        margin = delta - lo
        out = Outcome(margin=margin, rel_margin=margin / max(delta, 1e-12), lhs=rate, rhs=delta,
                      ratio=rate / delta, relation="le", scale=delta, evidence=worst_trial.evidence)
        return out, stats

    def _confirm(self, instance, stats) -> Confirmation:
        t = time.perf_counter()
        try:
            return self._confirm_untimed(instance, stats)
        finally:
            self.times["confirm_s"] += time.perf_counter() - t

    def _confirm_untimed(self, instance, stats) -> Confirmation:
        if self.claim.kind != "probability":
            return confirm(self.claim, instance)
        # Re-run the failed trials in high precision with the same random draws; count confirmed failures
        # until the Clopper-Pearson lower bound exceeds delta (or the failures run out).
        n, delta = stats["trials"], self.claim.verdict_delta
        failed = stats["failed_trials"]
        confirmed, checked, details = 0, 0, []
        last = None
        for t in failed:
            c = confirm(self.claim, instance, rng_factory=self._rng_factory(instance, t))
            last = c
            checked += 1
            details.append({"trial": t, **c.as_dict()})
            if c.status == "unavailable":
                return c
            if c.confirmed:
                confirmed += 1
                if clopper_pearson(confirmed, n)[0] > delta:
                    break
        lo, hi = clopper_pearson(confirmed, n)
        status = "confirmed" if lo > delta else ("unstable" if any(d["status"] == "unstable" for d in details)
                                                 else "holds")
        stop = " (stopped once the lower bound exceeded delta)" if checked < len(failed) else ""
        out = Confirmation(status, self.claim.dps, margin_dps=delta - lo, margin_2dps=delta - lo,
                           rel_margin=(delta - lo) / delta, lhs=confirmed / n, rhs=delta,
                           ratio=(confirmed / n) / delta,
                           reason=f"{confirmed} of the {checked} float64 failures checked are confirmed in high "
                                  f"precision{stop}; {len(failed)} of {n} trials fail in float64; Clopper-Pearson "
                                  f"95% interval of the confirmed rate [{lo:.4g}, {hi:.4g}] vs delta={delta:g}")
        out.detail = {"trials": details[:20], "last": last.as_dict() if last else None}
        return out

    def _handle_violation(self, instance, outcome, stats, ex: Example):
        """Decide what a float64 violation means; raise _Violation for a (confirmed) counterexample."""
        if self.found is not None:
            # Shrinking a known counterexample: float64 alone steers; the final one is confirmed afterwards.
            if time.perf_counter() - (self.found_at or 0) < self.profile.shrink_seconds:
                self.last_violation = ex
                _violation()
            return
        if not self.claim.takes_ctx:
            self.found, self.found_at, self.last_violation = ex, time.perf_counter(), ex
            _violation()
        c = self._confirm(instance, stats)
        ex.confirmation = c.as_dict()
        if c.confirmed:
            self.found, self.found_at, self.last_violation = ex, time.perf_counter(), ex
            _violation()
        record = {"margin_fp": outcome.as_float()["margin"], "rel_margin_fp": ex.rel, **c.as_dict()}
        if c.status == "unstable":
            self.col.unstable.append(record)
        elif c.status == "unavailable" and self.claim.takes_ctx:
            self.col.unstable.append(record)
        else:
            self.col.artifacts.append(record)

    def _body(self, instance):
        entered = time.perf_counter()
        if self.left_body is not None:
            # between two calls Hypothesis generated (and, while shrinking, simplified) the next instance
            self.times["generate_s"] += entered - self.left_body
        try:
            self._body_timed(instance)
        finally:
            self.left_body = time.perf_counter()

    def _body_timed(self, instance):
        from hypothesis import assume, target

        if time.perf_counter() > self.deadline and self.found is None:
            raise _TimeUp()
        self.col.examples += 1
        self.last_instance = instance
        if not self.claim.check_assume(instance):
            assume(False)
        self.col.valid += 1
        outcome, stats = self._evaluate(instance)
        if not self.clock_started:
            # the first evaluation pays numba's compilation: the time budget starts after it
            self.clock_started = True
            self.deadline = time.perf_counter() + self.profile.seconds
        ex = self.col.add(instance, outcome, stats)
        ex.choices = record_choices()
        rel = ex.rel
        target(max(-1e300, min(1e300, -rel)) if rel != -math.inf else 1e300, label="-relative margin")
        self._report_progress()
        if outcome.violated:
            self._handle_violation(instance, outcome, stats, ex)

    def _report_progress(self, force=False):
        if self.progress is None:
            return
        now = time.perf_counter()
        if force or now - self.last_progress > 1.0:
            self.last_progress = now
            worst = self.col.worst[0].rel if self.col.worst else None
            self.progress(self.claim.id, self.col.examples, worst)

    # -- phases ------------------------------------------------------------------------
    def _hypothesis(self, n_examples: int, hyp_seed: int):
        from hypothesis import HealthCheck, Phase, Verbosity, given, settings
        from hypothesis import seed as hseed
        from hypothesis import strategies as st

        strategy = st.fixed_dictionaries(self.strategies)

        @hseed(hyp_seed)
        @settings(max_examples=n_examples, deadline=None, database=None, derandomize=False,
                  suppress_health_check=list(HealthCheck), report_multiple_bugs=False,
                  phases=(Phase.explicit, Phase.generate, Phase.target, Phase.shrink),
                  verbosity=Verbosity.quiet, print_blob=False)
        @given(strategy)
        def test(instance):
            self._body(instance)

        test()

    def run(self) -> Verdict:
        from hypothesis.errors import Flaky, Unsatisfiable

        profile = self.profile
        try:
            # one Hypothesis run for the whole budget, so the target phase builds on all that came before;
            # a time budget ends it through _TimeUp
            try:
                self._hypothesis(min(profile.examples, 10**7), self.seed % (2**32))
            except Unsatisfiable:
                pass
        except _TimeUp:
            self.time_stopped = True
        except (_Violation, Flaky):
            pass
        except Exception as exc:  # noqa: BLE001 - a claim that raises is isolated
            self.error = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__, limit=12))
        if self.error is None and self.found is None and self.col.valid > 0:
            try:
                self._refine()
            except _Violation:
                pass
            except Exception as exc:  # noqa: BLE001
                self.error = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__, limit=12))
        self._report_progress(force=True)
        return self._verdict()

    # -- refinement --------------------------------------------------------------------
    def _refinable_inputs(self) -> list[str]:
        return [name for name, s in self.strategies.items() if getattr(s, "certify_contains", None) is not None]

    def _refine(self):
        """Local search from the worst instances, inside the hypotheses.

        The continuous entries of the refinable inputs (those whose strategy has a membership test) form
        one vector; each step tries a sparse move (1-3 coordinates: reaches vertices and ties), a dense move
        of one array, a rare large jump, or a repeat of the last successful move (momentum). Per-coordinate
        scales follow the entries' magnitudes; the step adapts by success (1/5th-rule style). Candidates
        are pulled back into the set by the strategy's projector when it has one, else rejected."""
        names = self._refinable_inputs()
        starts = list(self.col.worst[: self.profile.refine_starts])
        budget = self.profile.refine_evals
        if not starts or budget <= 0:
            self.refinement = {"evals": 0, "improved": False, "reason": "no valid instance"}
            return
        before_all = starts[0].rel
        # value space (membership tests) where the strategies have them, Hypothesis' choice space always
        value_budget = budget // 2 if names else 0
        choice = self._refine_choices(starts, budget - value_budget)
        if not names:
            self.refinement = {"evals": choice["evals"], "before": before_all, "after": choice["after"],
                               "improved": bool(choice["after"] < before_all), "choice_space": choice}
            return
        budget = value_budget
        starts = list(self.col.worst[: self.profile.refine_starts])
        from .strategies import contains, project

        before = starts[0].rel
        rng = np.random.default_rng([self.seed, 7])
        per_start = max(1, budget // len(starts))
        evals, rejected = 0, 0
        best_overall = before
        for start in starts:
            x, fx = start.instance, start.rel
            z0, rebuild = _flatten_continuous(x, names)
            if z0.size == 0:
                continue
            z = z0.copy()
            scales = _coordinate_scales(x, names)
            step, last = 0.1, None
            spent, attempts = 0, 0
            while spent < per_start and attempts < 4 * per_start:
                attempts += 1
                if time.perf_counter() > self.deadline:
                    self.time_stopped = True
                    break
                delta = _propose(z, scales, step, last, rng)
                cand = rebuild(z + delta)
                for n in names:
                    cand[n] = project(self.strategies[n], cand[n])
                if not all(contains(self.strategies[n], cand[n]) for n in names) or not self._assume_ok(cand):
                    rejected += 1
                    step = max(step * 0.95, 1e-12)
                    last = None
                    continue
                spent += 1
                evals += 1
                outcome, stats = self._evaluate(cand)
                ex = self.col.add(cand, outcome, stats)
                self.col.examples += 1
                self.col.valid += 1
                if outcome.violated:
                    self._handle_violation(cand, outcome, stats, ex)
                if ex.rel < fx:
                    znew, _ = _flatten_continuous(cand, names)
                    last = znew - z
                    x, fx, z = cand, ex.rel, znew
                    step = min(step * 1.5, 2.0)
                else:
                    last = None
                    step = max(step * 0.92, 1e-12)
            best_overall = min(best_overall, fx)
        after = min(best_overall, choice["after"])
        self.refinement = {"evals": evals + choice["evals"], "rejected": rejected, "before": before_all,
                           "after": after, "improved": bool(after < before_all), "choice_space": choice}

    def _refine_choices(self, starts, budget: int) -> dict:
        """Refinement in Hypothesis' choice space (any strategy): see certify.choice_space."""
        from hypothesis import strategies as st

        from .choice_space import ChoiceRefiner

        seeds = [e.choices for e in starts if e.choices is not None]
        best = min((e.rel for e in starts), default=math.inf)
        if not seeds or budget <= 0:
            return {"evals": 0, "after": best}

        def margin_of(instance):
            if time.perf_counter() > self.deadline:
                self.time_stopped = True
                raise _TimeUp()
            if not self._assume_ok(instance):
                return math.inf
            outcome, stats = self._evaluate(instance)
            ex = self.col.add(instance, outcome, stats)
            self.col.examples += 1
            self.col.valid += 1
            if outcome.violated:
                self._handle_violation(instance, outcome, stats, ex)
            return ex.rel

        r = ChoiceRefiner(st.fixed_dictionaries(self.strategies), margin_of, seed=self.seed,
                          passthrough=(_Violation, _TimeUp))
        try:
            got = r.refine(seeds, budget)
        except _TimeUp:
            got = r.best
        return {"evals": r.evals, "after": min(best, got.margin) if got is not None else best}

    def _assume_ok(self, instance) -> bool:
        try:
            return self.claim.check_assume(instance)
        except Exception:  # noqa: BLE001 - a predicate that fails outside its domain rejects the point
            return False

    # -- verdict -----------------------------------------------------------------------
    def _verdict(self) -> Verdict:
        c, col = self.claim, self.col
        v = Verdict(claim_id=c.id, status="survived", expected=c.expect, kind=c.kind, examples=col.examples,
                    valid_examples=col.valid, float_artifacts=col.artifacts, unstable=col.unstable,
                    margins=col.margins, ratio_extreme=col.ratio_extreme, refinement=self.refinement,
                    budget={"examples": self.profile.examples, "seconds": self.profile.seconds,
                            "refine_evals": self.profile.refine_evals,
                            "trials": self.trials if c.kind == "probability" else None,
                            # "time" means the seconds cap ended the search: not reproducible bit for bit
                            "stopped_by": ("counterexample" if self.found is not None else
                                           "time" if self.time_stopped else "examples"),
                            # where the search's time went (timing fields: not part of reproducibility)
                            "time_split": {k: round(v, 4) for k, v in self.times.items()}})
        v.worst = col.worst[0] if col.worst else None
        pool, seen = [], set()
        for e in col.worst + col.firsts:
            d = _digest(e.instance)
            if d not in seen:
                seen.add(d)
                pool.append(e.instance)
        v.pool = pool
        if self.error is not None:
            v.status, v.error = "error", self.error
            v.reason = self.error.strip().splitlines()[-1][:300]
            if self.last_instance is not None:
                v.counterexample = Example(instance=self.last_instance, outcome={}, rel=math.nan)
            v.plots = col.plots(v.worst)
            return v
        if self.found is not None:
            minimal = self.last_violation or self.found
            if c.takes_ctx and minimal is not self.found:
                conf = self._confirm(minimal.instance, minimal.trial_stats)
                if conf.confirmed:
                    minimal.confirmation = conf.as_dict()
                else:
                    minimal = self.found
            v.counterexample = self.found
            v.minimal = minimal
            if v.worst is None or self.found.rel <= v.worst.rel:
                v.worst = self.found
            if c.takes_ctx:
                v.status = "refuted"
                conf = minimal.confirmation or {}
                v.reason = (f"counterexample confirmed at dps {conf.get('dps')} and {2 * (conf.get('dps') or 0)}: "
                            f"margin {conf.get('margin_2dps')}"
                            + ("; proven in ball arithmetic" if conf.get("rigorous") else ""))
            else:
                v.status = "unconfirmed"
                v.reason = "float64 violation; the claim has no ctx, so no reference can confirm it"
            v.plots = col.plots(v.worst)
            return v
        v.plots = col.plots(v.worst)
        min_valid = min(5, max(1, self.profile.examples // 5))
        if col.valid < min_valid and col.valid == col.examples and col.valid > 0:
            v.reason = (f"the input space is exhausted: all {col.valid} distinct instance(s) hold; "
                        f"{len(col.artifacts)} float artifact(s)")
        elif col.valid < min_valid:
            v.status = "inconclusive"
            v.reason = (f"only {col.valid} of {col.examples} generated instances satisfied the hypotheses "
                        f"(need {min_valid}); loosen the strategies or the assume predicate")
        elif col.unstable:
            v.status = "inconclusive"
            v.reason = (f"{len(col.unstable)} float64 violation(s) the reference could not decide "
                        f"({col.unstable[0].get('reason', '')})")
        else:
            v.reason = (f"no confirmed counterexample in {col.valid} valid instances; "
                        f"{len(col.artifacts)} float artifact(s)")
        return v


def _continuous_leaves(value, path=()):
    """(path, leaf) for every float array / float inside an input (nested dicts included)."""
    if isinstance(value, dict):
        for k in value:
            yield from _continuous_leaves(value[k], path + (k,))
    elif isinstance(value, np.ndarray) and value.dtype.kind == "f" and value.size:
        yield path, value
    elif isinstance(value, float) and math.isfinite(value):
        yield path, value


def _flatten_continuous(instance, names):
    leaves = [((n,) + p, leaf) for n in names for p, leaf in _continuous_leaves(instance[n])]
    parts = [np.atleast_1d(np.asarray(leaf, dtype=float)).reshape(-1) for _, leaf in leaves]
    z = np.concatenate(parts) if parts else np.zeros(0)

    def rebuild(znew):
        out = _copy(instance)
        i = 0
        for path, leaf in leaves:
            size = np.size(leaf)
            chunk = znew[i:i + size]
            i += size
            new = chunk.reshape(np.shape(leaf)).copy() if isinstance(leaf, np.ndarray) else float(chunk[0])
            target = out
            for key in path[:-1]:
                target = target[key]
            target[path[-1]] = new
        return out

    return z, rebuild


def _coordinate_scales(instance, names):
    scales = []
    for n in names:
        for _, leaf in _continuous_leaves(instance[n]):
            a = np.abs(np.atleast_1d(np.asarray(leaf, dtype=float)).reshape(-1))
            finite = a[np.isfinite(a)]
            rms = float(np.sqrt(np.mean(finite**2))) if finite.size else 1.0
            scales.append(np.where(np.isfinite(a), a, 0.0) + 0.1 * (rms or 1.0))
    return np.concatenate(scales) if scales else np.zeros(0)


def _propose(z, scales, step, last, rng):
    u = rng.uniform()
    if last is not None and u < 0.25:
        return 2.0 * last  # momentum: repeat the successful move, further
    delta = np.zeros_like(z)
    if u < 0.65:
        k = int(rng.integers(1, min(3, z.size) + 1))
        idx = rng.choice(z.size, size=k, replace=False)
        jump = 20.0 if rng.uniform() < 0.15 else 1.0
        delta[idx] = rng.normal(size=k) * step * jump * scales[idx]
    else:
        delta = rng.normal(size=z.size) * step * scales * (rng.uniform(size=z.size) < 0.5)
    return delta


# ----------------------------------------------------------------------------- baselines and mutants
def _run_baselines(claim: Claim, verdict: Verdict, profile: Profile, seed: int) -> dict:
    """Evaluate each baseline on the same instances: does a trivial or exact solution also meet the bound?"""
    out = {}
    pool = verdict.pool
    for name, b in sorted(claim.baselines.items()):
        met, worst_rel, worst_ratio, max_ratio, n, err = 0, math.inf, None, None, 0, None
        for inst in pool[: profile.baseline_instances]:
            try:
                if isinstance(b, dict):
                    params = {**claim.params, **b}
                    o = _eval_with(claim, inst, params, seed)
                else:
                    o = _eval_callable(claim, b, inst, seed)
            except Exception as exc:  # noqa: BLE001
                err = f"{type(exc).__name__}: {exc}"
                continue
            n += 1
            if o.holds:
                met += 1
            r = _rel_key(o.rel_margin)
            if r < worst_rel:
                worst_rel, worst_ratio = r, _num(o.ratio)
            rr = _num(o.ratio)
            if rr is not None:
                max_ratio = rr if max_ratio is None else max(max_ratio, rr)
        out[name] = {"instances": n, "met": met, "meets_bound": n > 0 and met == n,
                     "worst_rel_margin": None if worst_rel == math.inf else _num(worst_rel),
                     "worst_ratio": worst_ratio, "max_ratio": max_ratio, "error": err}
    return out


def _eval_with(claim, inst, params, seed):
    with np.errstate(all="ignore"):
        rng = trial_rng(seed, inst, 0) if claim.takes_rng else None
        return evaluate(claim, fp, _copy(inst), rng, params)


def _eval_callable(claim, fn, inst, seed):
    import inspect

    from .outcome import as_outcome

    kwargs = {**claim.params, **fp.convert(_copy(inst))}
    sig = inspect.signature(fn).parameters
    if "ctx" in sig:
        kwargs["ctx"] = fp
    if "rng" in sig:
        kwargs["rng"] = trial_rng(seed, inst, 0)()
    if not any(p.kind == p.VAR_KEYWORD for p in sig.values()):
        kwargs = {k: v for k, v in kwargs.items() if k in sig}
    with np.errstate(all="ignore"):
        return as_outcome(fn(**kwargs))


def _run_mutants(claim: Claim, profile: Profile, seed: int) -> dict:
    from dataclasses import replace as dc_replace

    out = {}
    mp_profile = dc_replace(profile, examples=profile.mutant_examples,
                            refine_evals=max(20, profile.refine_evals // 4),
                            seconds=max(5.0, profile.seconds / 3))
    for m in claim.mutants:
        mc = m.apply(claim)
        v = _run_scaling(mc, profile, seed) if claim.kind == "scaling" else _Search(mc, mp_profile, seed, None).run()
        killed = v.status in ("refuted", "unconfirmed")
        out[m.name] = {"status": v.status, "killed": killed, "examples": v.examples,
                       "margin": None if v.counterexample is None else v.counterexample.outcome.get("margin"),
                       "reason": v.reason}
    return out


# ----------------------------------------------------------------------------- scaling claims
def _run_scaling(claim: Claim, profile: Profile, seed: int) -> Verdict:
    (name, values), = claim.sweep.items()
    repeats = max(1, min(claim.repeats, profile.scaling_repeats))
    xs, ys, raw = [], [], []
    v = Verdict(claim_id=claim.id, status="survived", expected=claim.expect, kind="scaling")
    try:
        for i, x in enumerate(values):
            qs = []
            for r in range(repeats):
                rng = np.random.default_rng([int(seed), i, r])
                q = claim.fn(rng=rng, **{name: x}, **claim.params)
                qs.append(float(q))
            xs.append(float(x))
            ys.append(float(np.median(qs)))
            raw.append(qs)
    except Exception as exc:  # noqa: BLE001
        v.status = "error"
        v.error = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__, limit=12))
        v.reason = v.error.strip().splitlines()[-1][:300]
        return v
    fit = fit_exponent(xs, ys, claim.fit)
    v.examples = v.valid_examples = len(xs) * repeats
    v.scaling = {"variable": name, "x": xs, "y": ys, "raw": raw, "fit": claim.fit, **fit,
                 "expected_exponent": claim.expected_exponent, "exponent_bound": claim.exponent_bound}
    v.plots = [{"name": "scaling", "kind": "fit", "xlabel": name, "ylabel": "measured",
                "logx": claim.fit in ("loglog", "semilogx"), "logy": claim.fit == "loglog",
                "series": {"measured": {"x": xs, "y": ys}}, "fit": fit}]
    if not fit.get("ok"):
        v.status = "inconclusive"
        v.reason = fit.get("reason", "fit failed")
    elif claim.exponent_bound is not None and fit["ci_low"] > claim.exponent_bound:
        v.status = "refuted"
        v.reason = (f"fitted exponent {fit['exponent']:.3g} (95% CI [{fit['ci_low']:.3g}, {fit['ci_high']:.3g}]) "
                    f"exceeds the bound {claim.exponent_bound:g}")
    else:
        exp_txt = f" (claimed {claim.expected_exponent:g})" if claim.expected_exponent is not None else ""
        v.reason = (f"fitted exponent {fit['exponent']:.3g}, 95% CI [{fit['ci_low']:.3g}, {fit['ci_high']:.3g}]"
                    f"{exp_txt}")
    return v


def fit_exponent(xs, ys, kind: str = "loglog") -> dict[str, Any]:
    """Least-squares slope with a 95% confidence interval (Student t)."""
    from scipy import stats

    x = np.asarray(xs, float)
    y = np.asarray(ys, float)
    if kind in ("loglog", "semilogx"):
        if np.any(x <= 0):
            return {"ok": False, "reason": "sweep values must be positive for a log fit"}
        x = np.log(x)
    if kind == "loglog":
        if np.any(y <= 0):
            return {"ok": False, "reason": "measurements must be positive for a log-log fit"}
        y = np.log(y)
    if len(x) < 3 or np.ptp(x) == 0:
        return {"ok": False, "reason": "need at least 3 distinct sweep values"}
    res = stats.linregress(x, y)
    t = stats.t.ppf(0.975, len(x) - 2)
    se = float(res.stderr) if np.isfinite(res.stderr) else 0.0
    return {"ok": True, "exponent": float(res.slope), "intercept": float(res.intercept),
            "ci_low": float(res.slope - t * se), "ci_high": float(res.slope + t * se),
            "r2": float(res.rvalue**2)}

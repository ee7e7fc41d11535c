"""The Hypothesis driver of one bound or probability claim: Hypothesis explores (steered by
`hypothesis.target` towards low relative margins) and shrinks, refinement pushes the worst instances
further, and every float64 violation is confirmed in high precision before it counts.

Contract: `Search(claim, profile, seed, progress).run()` returns a `Verdict` (never raises for a claim that
raises: that is status "error"). The search is reproducible: same claim, profile and seed give the same
verdict unless the seconds cap ends it (then `budget["stopped_by"] == "time"`). `progress(id, examples,
worst_rel)` is called at most once a second. Float64 violations that the reference does not confirm are
kept as float artifacts or unstable cases; a confirmed one is shrunk (for at most `profile.shrink_seconds`)
and the smallest confirmed violation becomes the minimal counterexample.
"""

from __future__ import annotations

import gc
import math
import time
import traceback

import numpy as np

from ..claim import Claim
from ..confirm import Confirmation, confirm
from ..outcome import Outcome
from ..profiles import Profile, sized
from ..verdict import Example, Verdict
from .choices import ChoiceRefiner, dense_choices, dense_covers, dense_redraw, record_choices
from .common import digest
from .constants import claim_constants
from .evidence import Collector
from .refine import refinable_inputs, refine
from .trials import fp_outcome, run_trials, validate_trials

__all__ = ["Search"]


class _Violation(Exception):
    """Raised inside the Hypothesis test so it shrinks a (confirmed) counterexample."""


def _violation():
    # One raise site: Hypothesis tells failures apart by where they are raised, and every violation here
    # is the same failure (a different line would look like a flaky second bug and stop shrinking).
    raise _Violation()


class _TimeUp(BaseException):
    """Stops a Hypothesis run without shrinking (BaseException passes through Hypothesis)."""


class _DrawsSpent(BaseException):
    """Ends the Hypothesis phase when its draws (valid or not) exceed their allowance, like _TimeUp."""


def _attempts(inner, on_draw):
    """`inner` drawn as is, `on_draw()` told of every draw Hypothesis attempts: also those its own checks
    reject before the body runs (a set or unique list whose moved elements collide), which the body never sees."""
    from hypothesis.strategies import SearchStrategy

    class Attempts(SearchStrategy):
        def do_draw(self, data):
            on_draw()
            return data.draw(inner)

    return Attempts()


class Search:
    built_moves = True   # CMA-ES moves built from a float template (choices._FloatTemplate); False: all replayed

    def __init__(self, claim: Claim, profile: Profile, seed: int, progress):
        self.claim = claim
        self.profile = profile
        self.seed = int(seed)
        self.progress = progress
        self.col = Collector(claim, max(profile.refine_starts, profile.baseline_instances, 3))
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
        self.first_undecided: dict | None = None   # the first violation the reference could not decide
        self.error: str | None = None
        self.last_progress = 0.0
        self.trials = claim.trials or profile.trials
        self.refinement: dict = {}
        self.validations = 0   # candidates of a probability claim judged on fresh trials so far
        self.strategies = dict(claim.inputs)
        self.facts: dict = {}  # read by benchmarks through Verdict.search
        self.scale = 1.0       # the power of two the profile's counts were scaled by (see profiles.sized)
        self.cpu0 = time.process_time()   # CPU time at the start of the search proper (after the cost probes)

    # -- one instance ------------------------------------------------------------------
    def _evaluate(self, instance) -> tuple[Outcome, dict | None]:
        t = time.perf_counter()
        try:
            if self.claim.kind != "probability":
                return fp_outcome(self.claim, instance, quiet=False), None   # run() silenced numpy
            return run_trials(self.claim, instance, self.seed, self.trials)
        finally:
            self.times["evaluate_s"] += time.perf_counter() - t

    def _confirm(self, instance, stats) -> Confirmation:
        t = time.perf_counter()
        try:
            if self.claim.kind != "probability":
                return confirm(self.claim, instance)
            # judged on fresh trials (see validate_trials), the k-th candidate of this search at its own confidence
            self.validations += 1
            return validate_trials(self.claim, instance, self.seed, stats["trials"], self.validations - 1)
        finally:
            self.times["confirm_s"] += time.perf_counter() - t

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
        rel_fp = ex.rel
        self.col.resolve(ex, ex.confirmation)   # ranked (worst, ratio) only with the reference's values
        if c.status == "equality":
            self.col.equality += 1
        if c.confirmed:
            self.found, self.found_at, self.last_violation = ex, time.perf_counter(), ex
            _violation()
        record = {"margin_fp": outcome.as_float()["margin"], "rel_margin_fp": rel_fp, **c.as_dict()}
        if outcome.fp_error:
            record["float64_error"] = outcome.fp_error   # why margin_fp is NaN: float64 raised, not rounded
        if c.status == "unstable" or (c.status == "unavailable" and self.claim.takes_ctx):
            if not self.col.unstable:
                self.first_undecided = instance   # named in the reason of an inconclusive verdict
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
        rank = ex.rank   # the relative margin; 0 <= 0 instances last (see Example.rank)
        target(max(-1e300, min(1e300, -rank)) if rank != -math.inf else 1e300, label="-relative margin")
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
    def _size_budget(self, probes: int = 5, probe_seconds: float = 0.25) -> None:
        """Scale the profile's counts to what one evaluation costs (profiles.sized).

        The cost is the lower median of the timed probes (draw + evaluation, in CPU time of this process) after a
        first, untimed one that pays compilation: `probes` of them, or as many (at least two) as take
        `probe_seconds` (an expensive claim). CPU time is the statistic least moved by other load on a shared
        machine, and the median is not moved by the draw on which Hypothesis first takes a new path of a strategy
        (10-100 times a cheap claim's draw) or by a stall of a few ms: with the fastest of two probes, both such
        draws now and then, a cheap claim was sized to an eighth of its budget in one run of six. So one machine sizes a claim the same way run after run. Probe
        instances come from the strategy with a seeded random source and are not counted: they only measure."""
        if self.profile.eval_seconds is None:
            return
        import random

        from hypothesis import strategies as st

        strategy = st.fixed_dictionaries(self.strategies)
        rng = random.Random(self.seed)
        costs: list = []
        # a collection of the whole heap (a few ms with Hypothesis, numpy and the catalogue loaded) inside a probe
        # of a cheap claim read as ten times its cost: collected before, none during
        collecting = gc.isenabled()
        gc.collect()
        gc.disable()
        try:
            self._probe(strategy, rng, costs, probes, probe_seconds)
        finally:
            if collecting:
                gc.enable()
        cost = sorted(costs)[(len(costs) - 1) // 2] if costs else None
        self.times["probe_s_per_eval"] = cost or 0.0
        self.profile, self.scale = sized(self.profile, cost)
        # the probe paid compilation, which never counts: the seconds cap starts now
        self.deadline = time.perf_counter() + self.profile.seconds
        self.cpu0 = time.process_time()

    def _probe(self, strategy, rng, costs: list, probes: int, probe_seconds: float) -> None:
        from hypothesis.control import BuildContext
        from hypothesis.errors import StopTest
        from hypothesis.internal.conjecture.data import ConjectureData

        done = 0
        for _ in range(4 * (probes + 1)):   # a draw that a filter rejects is not a probe: try a few more
            if len(costs) == probes or (len(costs) >= 2 and sum(costs) >= probe_seconds):
                break
            t = time.process_time()
            try:
                data = ConjectureData(random=rng)
                with BuildContext(data, wrapped_test=None):
                    instance = data.draw(strategy)
                if self._assume_ok(instance):
                    self._evaluate(instance)
            # StopTest is how Hypothesis rejects a draw (a filter out of retries): a BaseException, which made
            # a claim with a strict .filter() an `error` before it ran
            except (Exception, StopTest):  # noqa: BLE001 - a probe that fails measures nothing
                continue
            if done:
                costs.append(time.process_time() - t)
            done += 1

    def _hypothesis(self, n_examples: int, hyp_seed: int):
        from hypothesis import HealthCheck, Phase, Verbosity, given, settings
        from hypothesis import seed as hseed
        from hypothesis import strategies as st

        strategy = _attempts(st.fixed_dictionaries(self.strategies), self._on_draw)

        @hseed(hyp_seed)
        @settings(max_examples=n_examples, deadline=None, database=None, derandomize=False,
                  suppress_health_check=list(HealthCheck), report_multiple_bugs=False,
                  phases=(Phase.explicit, Phase.generate, Phase.target, Phase.shrink),
                  verbosity=Verbosity.quiet, print_blob=False)
        @given(strategy)
        def test(instance):
            self._body(instance)

        with claim_constants(self.claim):
            test()

    def _on_draw(self):
        # Hypothesis allows ~100 rejected draws per valid one; where most draws are rejected (the target phase
        # moving the elements of a frozenset of floats onto each other) that was the whole time cap, and the
        # refinement got nothing. 10 draws per example: a claim whose assume= or filter keeps 1 in 10 is untouched.
        self.draws += 1
        if self.found is None:
            # flags first: Hypothesis may report an exception raised inside a draw as FlakyStrategyDefinition
            if self.draws > self.max_draws:
                self.facts["draws_spent"] = self.draws
                raise _DrawsSpent()
            if time.perf_counter() > self.deadline:
                self.time_stopped = True
                raise _TimeUp()

    def run(self) -> Verdict:
        # the float64 evaluations are silent (a claim's overflow is a value to judge, not a warning); set once
        # here rather than around each of thousands of evaluations
        with np.errstate(all="ignore"):
            return self._run()

    def _run(self) -> Verdict:
        from hypothesis.errors import Flaky, Unsatisfiable

        try:
            self._size_budget()
        except Exception:  # noqa: BLE001 - sizing is an optimisation; the search runs at the full counts
            pass
        profile = self.profile
        try:
            # one Hypothesis run for the whole budget, so the target phase builds on all that came before;
            # a time budget ends it through _TimeUp
            self.draws, self.max_draws = 0, 10 * min(profile.examples, 10**7) + 1000
            try:
                self._hypothesis(min(profile.examples, 10**7), self.seed % (2**32))
            except (Unsatisfiable, _DrawsSpent):
                pass
        except _TimeUp:
            self.time_stopped = True
        except (_Violation, Flaky):
            pass
        except Exception as exc:  # noqa: BLE001 - a claim that raises is isolated
            self.error = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__, limit=12))
        if self.error is None and self.found is None and self.col.valid > 0:
            try:
                # refinement draws at random too (a random dense seed, choices past a moved sequence's end)
                with claim_constants(self.claim):
                    self._refine()
            except _Violation:
                pass
            except Exception as exc:  # noqa: BLE001
                self.error = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__, limit=12))
        if self.error is None and self.found is None and self.claim.takes_ctx:
            self._check_near_violations()
        self._report_progress(force=True)
        return self._verdict()

    def _check_near_violations(self):
        """The worst instances whose float64 margin holds without room are checked in high precision before
        they are reported as the worst case: the reference may say they are violated (a counterexample the
        float64 search could not see), equality cases, or hold with other values (reported instead)."""
        if self.claim.kind == "probability":
            return   # the ranked value is a trial statistic, not a rounding-sensitive number
        for ex in self.col.near_violations():
            c = self._confirm(ex.instance, ex.trial_stats)
            ex.confirmation = c.as_dict()
            if c.confirmed:
                self.found, self.found_at, self.last_violation = ex, time.perf_counter(), ex
                self.col.resolve(ex, ex.confirmation)
                return
            if c.status == "equality":
                self.col.equality += 1
            self.col.resolve(ex, ex.confirmation)   # equality / holds: the reference's values

    # -- refinement --------------------------------------------------------------------
    def _refine(self):
        col = self.col
        starts = list(col.worst[: self.profile.refine_starts])
        self.facts.update(refine_ran=True, refine_before=col.worst[0].rank if col.worst else None,
                          refine_start_rels=[e.rank for e in starts],
                          refine_distinct_starts=len({digest(e.instance) for e in starts}))
        budget = self.profile.refine_evals
        # value space (membership tests) where the strategies have them; Hypothesis' choice space always. Where
        # every refinable input has a dense form (a box vector or matrix, each entry a float choice), CMA-ES in
        # choice space moves what value space would, and value space's (1+1) moves stall on ridges (a minimax of
        # |p| at nodes: 0.13 of the sup with half the budget each, 1.0 with seven eighths in choice space)
        refinable = refinable_inputs(self.strategies)
        redraw, covered = self._dense_form(starts, refinable)
        value_budget = 0 if not refinable else budget // 8 if covered else budget // 2
        try:
            before = starts[0].rank if starts else None
            choice = self._refine_choices(starts, budget - value_budget, redraw)
            if value_budget:
                # what choice-space refinement left unspent (no floats to move, kicks that stopped) is value space's
                value_budget += max(0, budget - value_budget - choice["evals"])
                starts = list(col.worst[: self.profile.refine_starts])
                value = refine(self.strategies, starts, value_budget, self.seed, self.deadline,
                               self._refine_eval, self._assume_ok, self._time_up)
            else:
                value = {"evals": 0, "reason": "no refinable inputs"}
            after = col.worst[0].rank if col.worst else None
            self.refinement = {"evals": value.get("evals", 0) + choice["evals"], "rejected": value.get("rejected", 0),
                               "before": before, "after": after,
                               "improved": bool(before is not None and after is not None and after < before),
                               "choice_space_evals": choice["evals"], "value_space_evals": value.get("evals", 0),
                               "built_evals": choice.get("built_evals", 0),
                               "extended_evals": choice.get("extended_evals", 0)}
        finally:
            self.facts["refine_after"] = col.worst[0].rank if col.worst else None

    def _dense_form(self, starts, refinable: list) -> tuple:
        """(the dense redraw of the worst start that has one (see `dense_redraw`), or None; whether it moves
        every entry of every input in `refinable`)."""
        redraw, instance = None, None
        for e in starts:   # stop at the first that seeds; no redraw of the starts after it
            r = dense_redraw(self.strategies, e.instance)
            if r is not None and (redraw is None or len(r[1]) > 1):
                redraw, instance = r, e.instance
            if redraw is not None and len(redraw[1]) > 1:
                break
        return redraw, bool(refinable) and redraw is not None and dense_covers(self.strategies, instance, refinable)

    def _refine_choices(self, starts, budget: int, redraw) -> dict:
        """Refinement in Hypothesis' choice space, for any strategy (see certify.search.choices)."""
        from hypothesis import strategies as st

        seeds = [e.choices for e in starts if e.choices is not None]
        if not seeds or budget <= 0:
            return {"evals": 0}

        def margin_of(instance):
            if time.perf_counter() > self.deadline:
                self._time_up()
                raise _TimeUp()
            if not self._assume_ok(instance):
                return math.inf
            return self._refine_eval(instance)

        def quiet_margin_of(instance):
            # a move built from a float template: judged here, recorded only after its replay (see ChoiceRefiner)
            if time.perf_counter() > self.deadline:
                self._time_up()
                raise _TimeUp()
            if not self._assume_ok(instance):
                return math.inf, False, None
            # not counted in examples: the report's counts, margin sample and evidence hold recorded instances
            # only, each one the strategy drew (refinement.built_evals counts these moves)
            return self.col.quiet_rank(self._evaluate(instance)[0])

        peek = quiet_margin_of if self.claim.kind != "probability" and self.built_moves else None
        cpu0 = time.process_time()
        # sparse float arrays (hypothesis.extra.numpy.arrays with a fill): three quarters of the budget move every
        # entry of the worst instance's arrays, redrawn densely; the rest the choices as Hypothesis drew them
        # (from the worst instance whose arrays can seed it; else a random dense draw beside the worst instance)
        refiners = []
        if redraw is not None:
            dense = ChoiceRefiner(redraw[0], margin_of, seed=self.seed, passthrough=(_Violation, _TimeUp), peek=peek)
            refiners.append(dense)
        r = ChoiceRefiner(st.fixed_dictionaries(self.strategies), margin_of, seed=self.seed,
                          passthrough=(_Violation, _TimeUp), peek=peek)
        refiners.append(r)
        lead, before = None, 0
        try:
            if redraw is not None:
                dense.refine(redraw[1], 3 * budget // 4)
            r.refine(seeds, budget - refiners[0].evals if redraw is not None else budget)
            if redraw is not None:
                self._carry_over(r, dense)
            ahead = [x for x in refiners if x.best is not None]   # the dense form first: it leads on a tie
            if ahead:
                lead = min(ahead, key=lambda x: x.best.margin)
                before = lead.evals
                self._extend(lead, cpu0, sum(x.evals for x in refiners), budget)
        except _TimeUp:
            pass
        return {"evals": sum(x.evals for x in refiners), "built_evals": sum(x.fast_evals for x in refiners),
                "extended_evals": lead.evals - before if lead is not None else 0,
                **({"dense_evals": dense.evals} if redraw is not None else {})}

    def _carry_over(self, drawn, dense) -> None:
        """Where the choices as drawn (`drawn`) reached a lower margin than the dense form (`dense`), give the dense
        refiner that instance, encoded in its strategy (checked by a replay), so that an extension goes on from it
        in the dense form. Moves of the choices as drawn leave a box input's edge entries (0, +-bound) where they
        are: CMA-ES restarted there converges to the optimum of that face (7/8 of a Chebyshev sup, every run),
        where the dense form moves every entry."""
        if drawn.best is None or (dense.best is not None and not drawn.best.margin < dense.best.margin):
            return
        choices = dense_choices(self.strategies, dense.strategy, drawn.best.instance)
        if choices is not None:
            dense.consider(choices)

    def _extend(self, refiner, cpu0: float, done: int, budget: int, most: int = 8) -> None:
        """Refinement that still improves at its end, or whose CMA-ES restarts ended at different local optima,
        goes on, in rounds that double what it has spent (the last one as many quarter budgets as fit) while the
        search's CPU time fits the profile's `extend_seconds` at the refinement's own measured cost per evaluation
        and the total stays within `most` times `budget`. (A CMA-ES run on a minimax ridge -- the max of |p| at
        Chebyshev nodes -- needs 10-50 thousand evaluations; a search that has converged does not ask for more,
        so the cost sizing of every other claim stands.) The rounds are whole quarters of the budget: as
        reproducible on one machine as the cost sizing itself (see profiles.sized)."""
        if self.profile.eval_seconds is None or done <= 0:
            return
        allowance = self.profile.extend_seconds or self.profile.eval_seconds
        start, spent, round_cpu, round_evals = 0, done, cpu0, done
        while refiner.best is not None:
            count = refiner.evals - start
            gaining = refiner.last_gain >= start + 0.75 * count
            if count <= 0 or not (gaining or refiner.restarts_disagree(start)):
                return   # no gain in the last quarter of the last round, and its restarts agree
            # the cost of a move in the last round: a later round's moves are of its kind (CMA-ES, mostly built),
            # where the first round's opening passes replay every move
            cost = (time.process_time() - round_cpu) / max(round_evals, 1)
            # a round doubles what was spent; where that no longer fits, the last round is what does, in quarters
            # of the budget (a doubling alone left up to half of the allowance unused)
            room = (allowance - (time.process_time() - self.cpu0)) / max(cost, 1e-9)
            extra, unit = min(spent, most * budget - spent), max(1, budget // 4)
            if extra > room:
                extra = unit * int(room // unit)
            if extra < unit:
                return
            start, round_cpu = refiner.evals, time.process_time()
            # still gaining: on from the best, with a step a fifth of a restart's (a CMA-ES run crawling along a
            # ridge, where a wide restart from the best wandered off: 0.88 of the sup stayed 0.88, reached 1.0);
            # else the best is one of several local optima: restarts from elsewhere
            refiner.refine([refiner.best.choices], extra, explore=not gaining, sigma_best=0.05 if gaining else 0.25)
            round_evals = refiner.evals - start
            spent += round_evals

    def _refine_eval(self, cand) -> float:
        self.last_instance = cand   # what the report shows if the body raises here
        outcome, stats = self._evaluate(cand)
        col = self.col
        col.examples += 1
        col.valid += 1
        rel = col.add_unranked(outcome)   # most refinement moves: no Example is needed for them
        if rel is not None:
            return rel
        ex = col.add(cand, outcome, stats)
        if outcome.violated:
            self._handle_violation(cand, outcome, stats, ex)
        return ex.rank

    def _time_up(self):
        self.time_stopped = True

    def _assume_ok(self, instance) -> bool:
        try:
            return self.claim.check_assume(instance)
        except Exception:  # noqa: BLE001 - a predicate that fails outside its domain rejects the point
            return False

    # -- verdict -----------------------------------------------------------------------
    def _verdict(self) -> Verdict:
        c, col = self.claim, self.col
        refinement = self.refinement or {
            "evals": 0, "ran": False,
            "reason": ("the search stopped at a confirmed counterexample before refining" if self.found is not None
                       else "the claim raised before refinement" if self.error is not None
                       else "no instance satisfied the hypotheses" if col.valid == 0
                       else "the time cap ended the search before refinement" if self.time_stopped
                       else "refinement did not run")}
        v = Verdict(claim_id=c.id, status="survived", expected=c.expect, kind=c.kind, examples=col.examples,
                    valid_examples=col.valid, float_artifacts=col.artifacts, unstable=col.unstable,
                    margins=col.margins, ratio_extreme=col.ratio_extreme, refinement=refinement,
                    budget={"examples": self.profile.examples, "seconds": self.profile.seconds,
                            "refine_evals": self.profile.refine_evals, "cost_scale": self.scale,
                            "trials": self.trials if c.kind == "probability" else None,
                            # "time" means the seconds cap ended the search: not reproducible bit for bit
                            "stopped_by": ("counterexample" if self.found is not None else
                                           "time" if self.time_stopped else "examples"),
                            # where the search's time went (timing fields: not part of reproducibility)
                            "time_split": {k: round(v, 4) for k, v in self.times.items()}})
        v.worst = col.worst[0] if col.worst else None
        v.equality_cases = col.equality
        if col.ratio_skipped and col.ratio_extreme is None:
            v.ratio_note = (f"no empirical constant: the bound side was <= 0 on {col.ratio_skipped} instance(s), "
                            "where lhs / rhs is not a constant")
        elif col.ratio_skipped:
            v.ratio_note = (f"ratio over the instances with a positive bound side; {col.ratio_skipped} instance(s) "
                            "with a bound side <= 0 have no empirical constant")
        v.search = {"t0": self.t0, "found_at": None, "refine_ran": False, **self.facts}
        pool, seen = [], set()
        for e in col.worst + col.firsts:
            d = digest(e.instance)
            if d not in seen:
                seen.add(d)
                pool.append(e.instance)
        v.pool = pool
        if self.error is not None:
            v.status, v.error = "error", self.error
            v.reason = self.error.strip().splitlines()[-1][:200]
            if self.last_instance is not None:
                v.counterexample = Example(instance=self.last_instance, outcome={}, rel=math.nan)
                v.reason += _raised_at(self.last_instance, "a claim returned" in v.reason)
            v.plots = col.plots(v.worst)
            return v
        if self.found is not None:
            minimal = self.last_violation or self.found
            if c.takes_ctx and minimal is not self.found:
                conf = self._confirm(minimal.instance, minimal.trial_stats)
                # shrinking walks to the simplest violation, often at the edge of the violating region: there
                # it may be within rounding of the computation (marginal) where the first one found was not,
                # and a refutation shown as marginal reads as doubtful. The robust one is shown then.
                found_marginal = bool((self.found.confirmation or {}).get("marginal"))
                if conf.confirmed and (found_marginal or not conf.marginal):
                    minimal.confirmation = conf.as_dict()
                else:
                    minimal = self.found
            v.counterexample = self.found
            v.minimal = minimal
            v.search["found_at"] = self.found_at
            if v.worst is None or self.found.rel <= v.worst.rel:
                v.worst = self.found
            if c.takes_ctx:
                v.status = "refuted"
                conf = minimal.confirmation or {}
                if c.kind == "probability":
                    v.reason = f"failure rate above delta with confidence: {conf.get('reason', '')}"
                else:
                    v.reason = (f"counterexample confirmed at dps {conf.get('dps')} and "
                                f"{2 * (conf.get('dps') or 0)}: margin {conf.get('margin_2dps')}"
                                + ("; proven in ball arithmetic" if conf.get("rigorous") else ""))
                if conf.get("mode") == "output-only":
                    v.reason += ("; OUTPUT-ONLY confirmation: the algorithm runs in float64 by design, only its "
                                 "output was checked in high precision, and the failure survives rounding-level "
                                 "perturbations of the float64 path")
                if conf.get("marginal"):
                    v.reason += "; MARGINAL: " + conf.get("marginal_note", "")
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
            first = col.unstable[0].get("reason", "") or ""
            v.reason = f"{len(col.unstable)} float64 violation(s) the reference could not decide ({first})"
            if self.first_undecided is not None:
                v.reason += _undecided_at(self.first_undecided, first)
        else:
            v.reason = (f"no confirmed counterexample in {col.valid} valid instances; "
                        f"{len(col.artifacts)} float artifact(s)")
        if col.equality and v.status == "survived":
            v.reason += (f"; {col.equality} equality case(s): instances where float64 saw a violation or a "
                         "near-violation and high precision finds the margin zero to working precision (the claim "
                         "holds with equality there)")
        return v


def _brief(instance) -> str:
    """An instance in one short line for a reason text ("" when it cannot be described)."""
    from ..report.findings import instance_line
    from ..report.instances import describe_instance

    try:
        return instance_line(describe_instance(instance), limit=100)
    except Exception:  # noqa: BLE001 - the reason must not fail on an odd instance
        return ""


def _raised_at(instance, returned: bool = False) -> str:
    """Where a claim's body raised, and what to do about it, for the one-line reason (`returned`: the body
    returned something that is no margin, a mistake of the body whatever the input)."""
    where = f" — raised at {_brief(instance) or 'the saved instance'} (saved as the counterexample)"
    if returned:
        return where + "; fix what the body returns (traceback in `error`)"
    return where + ("; if the claim does not cover such inputs, exclude them with assume=, else fix the body "
                    "(traceback in `error`)")


def _undecided_at(instance, why: str) -> str:
    """Where the reference could not decide, and for a NaN margin what usually causes it."""
    where = _brief(instance)
    text = f"; the first at {where}" if where else ""
    if "NaN" in why and "non-finite inputs" not in why:
        text += ("; a NaN margin usually comes from 0 * log 0, 0 / 0, inf - inf or the log or sqrt of a negative "
                 "number in the body: guard that term (skip p_i = 0 terms, test before dividing) or "
                 "exclude such inputs with assume=")
    return text

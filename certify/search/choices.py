"""Refinement in Hypothesis' choice space: move the choices a strategy drew, and draw again.

Contract: for ANY strategy (plain `hypothesis.strategies` included), an instance is the image of a choice
sequence — the integers, floats, booleans, strings and bytes the strategy asked for — and replaying a
sequence through the same strategy (`ConjectureData.for_choices`) rebuilds the instance. Moving the choices
and replaying therefore only ever produces instances the strategy itself can produce: `map`, `filter`,
`flatmap`, `tuples`, sizes of lists and `sampled_from` all keep their meaning, and the claim's `assume`
still decides validity. A sequence the strategy rejects (filter, `assume` inside a composite, overrun) is
simply not a candidate.

`ChoiceRefiner.refine(seeds, budget)` takes the choice sequences of the worst instances found so far and
spends an evaluation budget on them: first local moves (floats to the bounds of their box, sign flips,
halving/doubling, small relative and absolute steps, zeroing, equalising two floats, all floats to a vertex
of their box, integers by +-1 and to their bounds, booleans flipped), accepted greedily when they lower the
margin; then CMA-ES (the `cma` package) over the continuous choices of the best sequence, clipped to each
choice's bounds, restarted from the next-best seeds while budget remains. Every evaluation counts against the
budget, and the whole procedure is a deterministic function of its seed.

This module relies on Hypothesis internals (`ConjectureData`, `BuildContext`, choice nodes and their
constraints), stable across the supported range (see pyproject's pin); `tests/test_choice_space.py` guards it.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

__all__ = ["ChoiceRefiner", "Candidate", "draw_from_choices", "record_choices"]


@dataclass(order=True)
class Candidate:
    margin: float
    order: int
    choices: tuple = field(compare=False)
    instance: object = field(compare=False, default=None)


def _draw(data, strategy):
    from hypothesis.control import BuildContext

    with BuildContext(data, wrapped_test=None):
        return data.draw(strategy)


def draw_from_choices(strategy, choices) -> tuple[object, tuple] | None:
    """Replay `choices` through `strategy`: (instance, nodes), or None if the strategy rejects them."""
    from hypothesis.errors import HypothesisException, StopTest, UnsatisfiedAssumption
    from hypothesis.internal.conjecture.data import ConjectureData, Status

    data = ConjectureData.for_choices(list(choices))
    try:
        value = _draw(data, strategy)
    except (StopTest, UnsatisfiedAssumption, HypothesisException):
        return None
    except Exception:  # noqa: BLE001 - a strategy that raises on some choices does not produce them
        return None
    if data.status not in (Status.VALID, Status.INTERESTING) and data.status is not None:
        if data.status in (Status.OVERRUN, Status.INVALID):
            return None
    return value, tuple(data.nodes)


def record_choices() -> tuple | None:
    """Inside a running `@given` test: the choices drawn so far (the inputs), or None outside Hypothesis."""
    try:
        from hypothesis.control import current_build_context

        return tuple(current_build_context().data.choices)
    except Exception:  # noqa: BLE001 - no build context, or a backend without a choice sequence
        return None


def _float_bounds(node) -> tuple[float, float]:
    c = node.constraints
    lo, hi = c.get("min_value", -math.inf), c.get("max_value", math.inf)
    return float(lo), float(hi)


def _valid_float(node, x: float) -> bool:
    lo, hi = _float_bounds(node)
    if not (lo <= x <= hi) or math.isnan(x):
        return False
    if math.isinf(x) and not node.constraints.get("allow_infinity", True):
        return False
    small = node.constraints.get("smallest_nonzero_magnitude", 0.0)
    return not (x != 0.0 and abs(x) < small)


def _finite_box(node, scale: float) -> tuple[float, float]:
    lo, hi = _float_bounds(node)
    return (lo if math.isfinite(lo) else -scale), (hi if math.isfinite(hi) else scale)


class ChoiceRefiner:
    """Lower a margin by moving the choices of a strategy's draws; see the module docstring."""

    def __init__(self, strategy, evaluate: Callable[[object], float], seed: int = 0,
                 float_scale: float = 1e3, passthrough: tuple = ()):
        self.strategy = strategy
        self.evaluate = evaluate  # instance -> margin (nan/None/invalid -> +inf: not a candidate)
        self.rng = random.Random(seed)
        self.np_rng = np.random.default_rng(seed)
        self.float_scale = float_scale
        self.passthrough = tuple(passthrough)  # the caller's stop signals (a confirmed violation, time up)
        self.evals = 0
        self.best: Candidate | None = None
        self._seen: dict[tuple, float] = {}
        self._order = 0

    # -- evaluation -------------------------------------------------------------------------------------
    def _score(self, choices: tuple) -> tuple[float, object, tuple] | None:
        key = tuple((type(c).__name__, c) for c in choices)
        if key in self._seen:
            return None
        got = draw_from_choices(self.strategy, choices)
        if got is None:
            self._seen[key] = math.inf
            return None
        instance, nodes = got
        self.evals += 1
        try:
            m = self.evaluate(instance)
        except self.passthrough:
            raise
        except Exception:  # noqa: BLE001 - the search records errors; here it is just not a candidate
            m = math.inf
        m = math.inf if m is None or m != m else float(m)
        self._seen[key] = m
        real = tuple(n.value for n in nodes)
        self._order += 1
        cand = Candidate(m, self._order, real, instance)
        if self.best is None or cand < self.best:
            self.best = cand
        return m, instance, nodes

    # -- local moves ------------------------------------------------------------------------------------
    def _moves(self, nodes: tuple):
        """Candidate choice sequences one move away from `nodes` (a generator; cheapest ideas first)."""
        vals = [n.value for n in nodes]
        floats = [i for i, n in enumerate(nodes) if n.type == "float"]

        def with_(changes):
            v = list(vals)
            for i, x in changes:
                v[i] = x
            return tuple(v)

        # coordinated moves first: a vertex of the box, and a common scale
        if floats:
            vertex = []
            for i in floats:
                lo, hi = _finite_box(nodes[i], self.float_scale)
                vertex.append((i, hi if vals[i] >= 0 else lo))
            yield with_([(i, x) for i, x in vertex if _valid_float(nodes[i], x)])
            for f in (0.5, 2.0, -1.0):
                ch = [(i, vals[i] * f) for i in floats if _valid_float(nodes[i], vals[i] * f)]
                if ch:
                    yield with_(ch)
        order = list(range(len(nodes)))
        self.rng.shuffle(order)
        for i in order:
            n = nodes[i]
            x = vals[i]
            if n.type == "float":
                lo, hi = _finite_box(n, self.float_scale)
                width = hi - lo
                cands = [hi, lo, -x, 0.0, x * 0.5, x * 2.0,
                         x + 1e-3 * width * self.rng.gauss(0, 1), x * (1 + 1e-2 * self.rng.gauss(0, 1)),
                         x + 0.1 * width * self.rng.gauss(0, 1)]
                if floats and len(floats) > 1:
                    j = self.rng.choice(floats)
                    cands.append(vals[j])  # equalise two coordinates: ties and balance points
                for c in cands:
                    if c != x and _valid_float(n, c):
                        yield with_([(i, c)])
            elif n.type == "integer":
                lo, hi = n.constraints.get("min_value"), n.constraints.get("max_value")
                for c in (x - 1, x + 1, lo, hi):
                    if c is not None and c != x and (lo is None or c >= lo) and (hi is None or c <= hi):
                        yield with_([(i, c)])
            elif n.type == "boolean":
                yield with_([(i, not x)])

    def _local(self, start: tuple, budget: int) -> None:
        got = draw_from_choices(self.strategy, start)
        if got is None:
            return
        instance, nodes = got
        cur = self._seen.get(tuple((type(c).__name__, c) for c in start))
        if cur is None:
            r = self._score(start)
            cur = r[0] if r else math.inf
        stop = self.evals + budget
        improved = True
        while improved and self.evals < stop:
            improved = False
            for cand in self._moves(nodes):
                if self.evals >= stop:
                    return
                r = self._score(cand)
                if r is not None and r[0] < cur:
                    cur, instance, nodes = r
                    improved = True
                    break

    # -- CMA-ES over the continuous choices ---------------------------------------------------------------
    def _cmaes(self, start: tuple, budget: int) -> None:
        import warnings

        import cma

        got = draw_from_choices(self.strategy, start)
        if got is None:
            return
        _, nodes = got
        idx = [i for i, n in enumerate(nodes) if n.type == "float"]
        if not idx or budget < 8:
            return
        vals = [n.value for n in nodes]
        boxes = [_finite_box(nodes[i], self.float_scale) for i in idx]
        lo = np.array([b[0] for b in boxes])
        hi = np.array([b[1] for b in boxes])
        width = np.where(hi > lo, hi - lo, 1.0)
        x0 = np.clip((np.array([vals[i] for i in idx], dtype=float) - lo) / width, 0.0, 1.0)
        if len(idx) == 1:
            x0 = np.append(x0, 0.5)  # cma needs two dimensions; the second one is ignored
        stop = self.evals + budget
        popsize = max(6, min(4 + int(3 * math.log(len(idx) + 1)), budget // 4))
        opts = {"bounds": [0.0, 1.0], "seed": int(self.np_rng.integers(1, 2**31 - 1)), "verbose": -9,
                "popsize": popsize, "maxfevals": budget, "tolx": 1e-12, "tolfun": 0.0}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            es = cma.CMAEvolutionStrategy(x0, 0.2, opts)
            while not es.stop() and self.evals < stop:
                xs = es.ask()
                fs = []
                for z in xs:
                    v = list(vals)
                    for k, i in enumerate(idx):
                        c = float(lo[k] + np.clip(z[k], 0.0, 1.0) * width[k])
                        v[i] = c if _valid_float(nodes[i], c) else vals[i]
                    r = self._score(tuple(v))
                    fs.append(math.inf if r is None else r[0])
                    if self.evals >= stop:
                        break
                if len(fs) < len(xs):
                    break
                finite = [f for f in fs if math.isfinite(f)]
                cap = (max(finite) + 1.0 + abs(max(finite))) if finite else 1e300
                es.tell(xs, [f if math.isfinite(f) else cap for f in fs])

    # -- driver -------------------------------------------------------------------------------------------
    def refine(self, seeds: list[tuple], budget: int, local_share: float = 0.3) -> Candidate | None:
        """Spend `budget` evaluations refining from the given choice sequences (best first)."""
        seeds = [tuple(s) for s in seeds if s is not None]
        if not seeds or budget <= 0:
            return self.best
        stop = self.evals + budget
        per_seed = max(1, int(budget * local_share) // len(seeds))
        for s in seeds:
            if self.evals >= stop:
                break
            self._local(s, min(per_seed, stop - self.evals))
        restarts = [self.best.choices] if self.best is not None else []
        restarts += [s for s in seeds if not restarts or s != restarts[0]]
        for s in restarts:
            left = stop - self.evals
            if left < 8:
                break
            self._cmaes(s, max(8, left // 2) if s is not restarts[-1] else left)
        if self.best is not None and stop - self.evals > 0:
            self._local(self.best.choices, stop - self.evals)  # polish the winner with what is left
        return self.best

"""Refinement in Hypothesis' choice space: move the choices a strategy drew, and draw again.

Contract: for ANY strategy (plain `hypothesis.strategies` included), an instance is the image of a choice
sequence — the integers, floats, booleans, strings and bytes the strategy asked for — and replaying a
sequence through the same strategy (`ConjectureData.for_choices`) rebuilds the instance. Moving the choices
and replaying therefore only ever produces instances the strategy itself can produce: `map`, `filter`,
`flatmap`, `tuples`, sizes of lists and `sampled_from` all keep their meaning, and the claim's `assume`
still decides validity. A sequence the strategy rejects (filter, `assume` inside a composite) is simply not a
candidate; one that ends before the strategy is done (a size moved up) is continued with random choices.

`ChoiceRefiner.refine(seeds, budget)` takes the choice sequences of the worst instances found so far and
spends an evaluation budget on them: first local moves (floats to the bounds of their box, sign flips,
halving/doubling, small relative and absolute steps, zeroing, equalising two floats, all floats to a vertex
of their box, integers by +-1 and to their bounds, booleans flipped), accepted greedily when they lower the
margin; then a walk over the integers in which each move is followed by a short CMA-ES run over the floats
(where the best floats move with the integer, a greedy integer move never pays); then CMA-ES (the `cma`
package) over the continuous choices of the best sequence, clipped to each choice's bounds, restarted from the
next-best seeds while budget remains; what CMA-ES leaves (everything, for a strategy without floats) goes to
random kicks of the discrete choices followed by local moves. Every evaluation counts against the budget, and
the whole procedure is a deterministic function of its seed.

Where the strategy only places its float choices at leaves of the instance, CMA-ES moves build the instance from
a checked template instead of replaying the sequence (`_FloatTemplate`), and are judged by the caller's `peek`;
a move that counts (a new best, a violation, one the caller must record) is replayed through the strategy before
it is kept, so the search takes the same path as with replays, and every instance it keeps is drawn.

This module relies on Hypothesis internals (`ConjectureData`, `BuildContext`, choice nodes and their
constraints), stable across the supported range (see pyproject's pin); `tests/test_choice_space.py` guards it.
"""

from __future__ import annotations

import heapq
import itertools
import math
import random
import struct
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

__all__ = ["ChoiceRefiner", "Candidate", "draw_from_choices", "record_choices", "dense_redraw", "dense_covers"]


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


def draw_from_choices(strategy, choices, pad: random.Random | None = None) -> tuple[object, tuple] | None:
    """Replay `choices` through `strategy`: (instance, nodes), or None if the strategy rejects them.

    With `pad`, a strategy that asks for more choices than `choices` holds gets the rest drawn at random from
    `pad` (instead of an overrun): a move of a size (the n of `integers(3, 6).flatmap(n x n matrices)`) then
    yields the larger instance, its first entries as they were. `nodes` are the choices actually drawn."""
    from hypothesis.errors import HypothesisException, StopTest, UnsatisfiedAssumption
    from hypothesis.internal.conjecture.data import ConjectureData, Status

    data = (ConjectureData.for_choices(list(choices)) if pad is None
            else ConjectureData(prefix=list(choices), random=pad))
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


def _sparse_array(strategy):
    """The `hypothesis.extra.numpy.arrays` strategy behind `strategy` when it draws float arrays of a fixed
    shape sparsely (a fill value plus a few explicitly drawn entries, Hypothesis' default when the elements
    have reusable values), else None. Such a draw has only a handful of float choices whatever the size of the
    array, so moving its choices cannot reach an array whose entries all differ."""
    inner = getattr(strategy, "wrapped_strategy", strategy)  # arrays() returns a LazyStrategy
    if type(inner).__name__ != "ArrayStrategy":
        return None
    dtype, fill, shape = getattr(inner, "dtype", None), getattr(inner, "fill", None), getattr(inner, "shape", None)
    if dtype is None or dtype.kind != "f" or fill is None or fill.is_empty or not isinstance(shape, tuple):
        return None
    return inner


def dense_redraw(strategies: dict, instance: dict):
    """(strategy, seeds) to refine `instance` with every entry of its float arrays a choice of its own.

    Two kinds of input hide entries from choice-space moves: a sparse `hypothesis.extra.numpy.arrays(...)` (a fill
    value plus a few explicitly drawn entries) and a `certify.strategies` box input (`cst.vectors`,
    `cst.matrices`: an entry is either an edge value, 0 or +-bound, drawn as an index, or a float; a long vector
    is filled from a seed). The strategy returned draws each such input densely -- a sparse array with the same
    dtype, shape, elements and uniqueness and no fill, a box input as its size and one float of the box per
    entry (`certify_dense`), both values the user's strategy can also draw -- and holds the other inputs at
    their values in `instance`. The seeds are choice sequences of that strategy: one that replays to
    `instance` exactly (checked), unless its sparse arrays lie wholly at the bottom of the float range, and one
    of a random dense draw. (Hypothesis likes arrays filled with 2.2e-308; a homogeneous bound evaluated there
    underflows, and its float64 margin, small and meaningless, ranks such an instance first.) None when no
    input is of either kind."""
    from hypothesis import strategies as st
    from hypothesis.extra.numpy import arrays
    from hypothesis.internal.conjecture.data import ConjectureData

    parts: dict = {}      # input -> (dense strategy, its choice segment for the instance's value, or None)
    for n, s in strategies.items():
        a = _sparse_array(s)
        if a is not None and isinstance(instance.get(n), np.ndarray):
            d = arrays(a.dtype, a.shape, elements=a.element_strategy, fill=st.nothing(), unique=a.unique)
            parts[n] = (d, _sparse_segment(d, instance[n]))
            continue
        dense = getattr(s, "certify_dense", None)
        if dense is not None:
            d, encode = dense
            try:
                seg = encode(instance.get(n))
            except Exception:  # noqa: BLE001 - a value the encoder does not read: no dense form of it
                seg = None
            if seg is not None:
                parts[n] = (d, tuple(seg))
    if not parts:
        return None
    dense = st.fixed_dictionaries({n: parts[n][0] if n in parts else st.just(instance[n]) for n in strategies})
    data = ConjectureData(random=random.Random(0))
    try:
        _draw(data, dense)
    except Exception:  # noqa: BLE001 - a strategy that cannot draw densely: no dense refinement
        return None
    seeds = [tuple(node.value for node in data.nodes)]
    if all(parts[n][1] is not None for n in parts):
        # the inputs' segments in order; what `fixed_dictionaries` itself draws after them is padded
        exact = tuple(c for n in strategies if n in parts for c in parts[n][1])
        got = draw_from_choices(dense, exact, pad=random.Random(0))
        if got is not None and all(_same(got[0][n], instance[n]) for n in parts):
            seeds.insert(0, tuple(node.value for node in got[1]))
    return dense, seeds


def dense_choices(strategies: dict, dense_strategy, instance: dict) -> tuple | None:
    """The choices by which `dense_strategy` (a `dense_redraw` strategy for `strategies`) draws `instance` exactly
    (checked by a replay), or None: an instance found elsewhere, carried over to the dense form."""
    again = dense_redraw(strategies, instance)
    if again is None:
        return None
    got = draw_from_choices(dense_strategy, again[1][0])
    return again[1][0] if got is not None and _same(got[0], instance) else None


def dense_covers(strategies: dict, instance: dict, names) -> bool:
    """Every input in `names` has a dense form (`certify_dense`) that encodes its value in `instance`: choice-space
    refinement of `dense_redraw`'s strategy then moves every entry of those inputs."""
    for n in names:
        dense = getattr(strategies[n], "certify_dense", None)
        try:
            if dense is None or dense[1](instance.get(n)) is None:
                return False
        except Exception:  # noqa: BLE001 - a value the encoder does not read
            return False
    return True


def _sparse_segment(dense_array, value) -> tuple | None:
    """The choices by which `dense_array` (a dense `arrays` strategy) draws `value`: the node layout of a random
    draw with its float entries replaced by value's. None for an array wholly at the bottom of the float range
    (see `dense_redraw`) or a layout that does not match."""
    from hypothesis.internal.conjecture.data import ConjectureData

    entries = [float(v) for v in np.asarray(value).ravel()]
    finite = [abs(v) for v in entries if math.isfinite(v)]
    if not finite or max(finite) <= 1e-150:
        return None
    data = ConjectureData(random=random.Random(0))
    try:
        _draw(data, dense_array)
    except Exception:  # noqa: BLE001
        return None
    nodes = tuple(data.nodes)
    floats = [i for i, node in enumerate(nodes) if node.type == "float"]
    if len(floats) != len(entries):
        return None
    choices = [node.value for node in nodes]
    for i, v in zip(floats, entries, strict=True):
        choices[i] = v
    return tuple(choices)


def _key(choices: tuple) -> tuple:
    # 0.0 and -0.0 (and 1 and True) are different choices: key by type and sign bit, not equality alone
    return tuple((type(c).__name__, c, math.copysign(1.0, c) if isinstance(c, float) else 0) for c in choices)


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


_HELD = (int, bool, str, bytes, type(None))


def _float_leaves(value, out: list) -> bool:
    """Append the float leaves of `value` (Python and numpy float scalars, entries of float64 arrays, row-major) to
    `out`, in order; False where `value` holds something `_rebuild` cannot rebuild (an object, a float32 array)."""
    t = type(value)
    if t is dict:
        return all(_float_leaves(v, out) for v in value.values())
    if t is list or t is tuple:
        return all(_float_leaves(v, out) for v in value)
    if t is float or t is np.float64:
        out.append(float(value))
        return True
    if t is np.ndarray:
        if value.dtype == np.float64:
            out.extend(value.ravel().tolist())
            return True
        return value.dtype.kind in "biu"   # held as drawn
    return t in _HELD or isinstance(value, (np.integer, np.bool_))


def _rebuild(value, floats: list, pos: list):
    """`value` with its float leaves (see `_float_leaves`) replaced, in order, by `floats` from `pos[0]` on."""
    t = type(value)
    if t is dict:
        return {k: _rebuild(v, floats, pos) for k, v in value.items()}
    if t is list:
        return [_rebuild(v, floats, pos) for v in value]
    if t is tuple:
        return tuple(_rebuild(v, floats, pos) for v in value)
    if t is float or t is np.float64:
        pos[0] += 1
        return t(floats[pos[0] - 1])
    if t is np.ndarray:
        if value.dtype != np.float64:
            return value.copy()
        i = pos[0]
        pos[0] += value.size
        return np.array(floats[i:pos[0]], dtype=np.float64).reshape(value.shape)
    return value


def _same(a, b) -> bool:
    """The same value, bit for bit (0.0 and -0.0 differ; arrays by dtype, shape and bytes)."""
    t = type(a)
    if t is not type(b):
        return False
    if t is dict:
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if t is list or t is tuple:
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if t is np.ndarray:
        return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()
    if t is float or t is np.float64:
        return math.copysign(1.0, a) == math.copysign(1.0, b) and (a == b or (a != a and b != b))
    try:
        return bool(a == b)
    except Exception:  # noqa: BLE001 - values without a plain equality
        return False


class _FloatTemplate:
    """An instance as a function of its sequence's float choices, where the strategy puts each float, as drawn, at
    one leaf of the instance (a float, an entry of a float64 array; in any order) and draws nothing else from
    them: `st.lists(st.floats(...)).map(np.array)`, tuples of floats, a dense box input, a `cst.vectors` entry
    drawn as a float beside entries drawn as edge values (leaves that no float moves are constants). Building an
    instance from it is a copy where a replay through Hypothesis costs several times a cheap claim's body.

    Checked before use: on a random move of all the sequence's floats, replayed through the strategy, each float
    must be at exactly one leaf (which gives the order) and every other leaf must keep its value, and the
    template must rebuild that replay, a second random move's replay and the sequence's own instance bit for
    bit. A template is still not proof that the
    strategy draws a given move (a `filter` or an `assume` in a composite may reject it): the refiner replays every
    candidate that counts (a new best, one the search records) and ends the template at the first replay that
    differs from its build."""

    def __init__(self, instance, order: list, leaves: list):
        # order: the float choice at each leaf, in leaf order (None: a leaf no float moves, kept from `leaves`)
        self.instance, self.order, self.leaves = instance, order, leaves
        self.broken = False

    def build(self, choices: tuple):
        floats = [x if i is None else choices[i] for i, x in zip(self.order, self.leaves, strict=True)]
        return _rebuild(self.instance, floats, [0])

    @classmethod
    def check(cls, strategy, nodes: tuple, instance, idx: list, rng: random.Random, scale: float = 1e3):
        leaves: list = []
        if not idx or not _float_leaves(instance, leaves) or len(leaves) < len(idx):
            return None
        vals = [n.value for n in nodes]
        t = None
        for _ in range(2):
            moved = list(vals)
            for i in idx:
                lo, hi = _finite_box(nodes[i], scale)
                c = rng.uniform(lo, hi)
                moved[i] = c if _valid_float(nodes[i], c) else vals[i]
            moved = tuple(moved)
            got = draw_from_choices(strategy, moved)
            if (got is None or len(got[1]) != len(nodes)
                    or any(a.type != b.type or (a.type != "float" and not _same(a.value, b.value))
                           for a, b in zip(got[1], nodes, strict=True))):
                return None
            if t is None:
                # which choice is at which leaf: read off this move, whose floats are distinct
                where = {_bits(moved[i]): i for i in idx}
                got_leaves: list = []
                _float_leaves(got[0], got_leaves)
                order = [where.get(_bits(x)) for x in got_leaves]
                if (len(where) != len(idx) or len(order) != len(leaves)
                        or sorted(o for o in order if o is not None) != idx):
                    return None
                t = cls(instance, order, leaves)
                if not _same(instance, t.build(tuple(vals))):
                    return None
            if not _same(got[0], t.build(moved)):
                return None
        return t


def _other_bound(node) -> float:
    """The bound of a float choice's box it is not at (it is at one: `_at_bound`)."""
    lo, hi = _float_bounds(node)
    return lo if node.value == hi else hi


def _bits(x: float) -> bytes:
    return struct.pack("<d", x)


def _at_bound(node) -> bool:
    """A float choice at a bound of its (finite) box: a vertex coordinate, kicked to the other bound."""
    if node.type != "float":
        return False
    lo, hi = _float_bounds(node)
    return math.isfinite(lo) and math.isfinite(hi) and lo < hi and node.value in (lo, hi)


def _finite_box(node, scale: float) -> tuple[float, float]:
    lo, hi = _float_bounds(node)
    return (lo if math.isfinite(lo) else -scale), (hi if math.isfinite(hi) else scale)


class ChoiceRefiner:
    """Lower a margin by moving the choices of a strategy's draws; see the module docstring."""

    def __init__(self, strategy, evaluate: Callable[[object], float], seed: int = 0,
                 float_scale: float = 1e3, passthrough: tuple = (),
                 peek: Callable[[object], tuple] | None = None):
        self.strategy = strategy
        self.evaluate = evaluate  # instance -> margin (nan/None/invalid -> +inf: not a candidate)
        # instance -> (margin, whether the search must record it), recording nothing: how candidates built from a
        # float template (see _FloatTemplate) are judged before one that counts is replayed. None: always replay
        self.peek = peek
        self._templates: dict[tuple, _FloatTemplate | None] = {}
        self.template_rng = random.Random(seed + 2)
        self.fast_evals = 0
        self._deferred: list = []        # (-margin, order, choices): moves to record at the end (_score_built)
        self.last_gain = 0               # self.evals when the best last fell by more than GAIN
        self._ipop: int | None = None     # CMA-ES population of the next restart: a later refine() goes on doubling it
        self.run_ends: list = []          # (self.evals, best margin) at the end of each CMA-ES run
        self.run_converged = False        # whether the last CMA-ES run stopped by itself (not cut by its budget)
        self._ratio_deferred: tuple | None = None
        self.rng = random.Random(seed)
        self.np_rng = np.random.default_rng(seed)
        self.pad_rng = random.Random(seed + 1)   # choices past the end of a moved sequence (used only there)
        self.float_scale = float_scale
        self.passthrough = tuple(passthrough)  # the caller's stop signals (a confirmed violation, time up)
        self.evals = 0
        self.best: Candidate | None = None
        self._seen: dict[tuple, float] = {}
        self._order = 0

    # -- evaluation -------------------------------------------------------------------------------------
    def _score(self, choices: tuple) -> tuple[float, object, tuple] | None:
        key = _key(choices)
        if key in self._seen:
            return None
        got = draw_from_choices(self.strategy, choices, pad=self.pad_rng)
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
            if self.best is None or m < self.best.margin - self.GAIN * max(1.0, abs(self.best.margin)):
                self.last_gain = self.evals
            self.best = cand
        return m, instance, nodes

    def _template(self, nodes: tuple, instance, idx: list) -> _FloatTemplate | None:
        """The float template of a sequence whose float choices `idx` move and other choices stay (cached by
        those), or None where there is none or no `peek` to judge its candidates."""
        if self.peek is None:
            return None
        key = _key(tuple(n.value if k not in idx else 0.0 for k, n in enumerate(nodes)))
        if key not in self._templates:
            if len(self._templates) > 256:
                self._templates.clear()
            self._templates[key] = _FloatTemplate.check(self.strategy, nodes, instance, idx, self.template_rng,
                                                        self.float_scale)
        t = self._templates[key]
        return None if t is None or t.broken else t

    def _score_built(self, choices: tuple, template: _FloatTemplate) -> tuple[float, object, tuple | None] | None:
        """`_score` for a sequence that differs from `template`'s only in its float choices: the instance is built,
        not replayed, and judged by `peek`; a candidate that counts (a new best, or one the search records) is
        replayed and evaluated as `_score` does, so only instances the strategy draws are ever kept."""
        key = _key(choices)
        if key in self._seen:
            return None
        instance = template.build(choices)
        try:
            m, record, ratio = self.peek(instance)
        except self.passthrough:
            raise
        except Exception:  # noqa: BLE001 - as in _score: not a candidate
            m, record, ratio = math.inf, False, None
        if m is not None and m != m:
            m = math.inf
        if m is None or self.best is None or m < self.best.margin:
            # a new best (or a violation): replayed now, so that the search only ever moves from and reports
            # instances the strategy draws
            r = self._score(choices)
            if r is None or not _same(r[1], instance):
                template.broken = True   # the strategy does not draw what the template builds here
            return r
        self.evals += 1
        self.fast_evals += 1
        self._seen[key] = m
        self._order += 1
        if record:
            # one the search must record (among its worst, or a more extreme constant) that is not a new best:
            # kept, and replayed and recorded at the end (`_record_deferred`), when only the lowest still count
            self._defer(m, ratio, choices)
        return m, instance, None

    _DEFER = 32
    # a fall of the best margin that counts as progress (relative above 1): where a margin converges to 0 (an
    # equality case) CMA-ES lowers it by ever smaller steps, progress no ratio of the report, at 7 digits, shows
    GAIN = 1e-7

    def _defer(self, m: float, ratio: float | None, choices: tuple) -> None:
        heapq.heappush(self._deferred, (-m, self._order, choices))
        if len(self._deferred) > self._DEFER:
            heapq.heappop(self._deferred)   # the highest margin
        if ratio is not None and (self._ratio_deferred is None or ratio > self._ratio_deferred[0]):
            self._ratio_deferred = (ratio, choices)

    def _record_deferred(self) -> None:
        """Replay and evaluate the deferred moves of `_score_built` (lowest margin first), as `_score` would have,
        the most extreme constant among them too; a move the strategy does not draw is dropped."""
        todo = [c for _, _, c in sorted(self._deferred, key=lambda e: (-e[0], e[1]))]
        if self._ratio_deferred is not None and self._ratio_deferred[1] not in todo:
            todo.append(self._ratio_deferred[1])
        self._deferred, self._ratio_deferred = [], None
        for choices in todo:
            got = draw_from_choices(self.strategy, choices)
            if got is None:
                continue
            try:
                self.evaluate(got[0])
            except self.passthrough:
                raise
            except Exception:  # noqa: BLE001 - as in _score
                continue

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
                if len(floats) > 1:
                    # a transfer between two coordinates keeps their sum: moves along a constraint such as
                    # sum(x) = 1, where every one-coordinate move leaves the set `assume` accepts
                    j = self.rng.choice(floats)
                    for d in (1e-3 * width * self.rng.gauss(0, 1), 0.05 * width * self.rng.gauss(0, 1)):
                        if j != i and _valid_float(n, x + d) and _valid_float(nodes[j], vals[j] - d):
                            yield with_([(i, x + d), (j, vals[j] - d)])
            elif n.type == "integer":
                lo, hi = n.constraints.get("min_value"), n.constraints.get("max_value")
                for c in (x - 1, x + 1, lo, hi, 2 * x, x // 2):
                    if c is not None and c != x and (lo is None or c >= lo) and (hi is None or c <= hi):
                        yield with_([(i, c)])
            elif n.type == "boolean":
                yield with_([(i, not x)])

    def _local(self, start: tuple, budget: int) -> None:
        self._walk(start, budget, self._moves)

    def _walk(self, start: tuple, budget: int, moves_of) -> None:
        """First-improvement walk from `start`: the sequences `moves_of(nodes)` yields, scored in turn (`_step`); the
        walk moves to the first lower one and starts over from there, until none is lower or the budget is spent."""
        got = draw_from_choices(self.strategy, start)
        if got is None:
            return
        instance, nodes = got
        cur = self._seen.get(_key(start))
        if cur is None:
            r = self._score(start)
            cur = r[0] if r else math.inf
        stop = self.evals + budget
        improved = True
        while improved and self.evals < stop:
            improved = False
            floats = [i for i, n in enumerate(nodes) if n.type == "float"]
            template = self._template(nodes, instance, floats)
            for cand in moves_of(nodes):
                if self.evals >= stop:
                    return
                r = self._step(cand, nodes, template, cur)
                if r is not None:
                    cur, instance, nodes = r
                    improved = True
                    break

    def _step(self, cand: tuple, nodes: tuple, template: _FloatTemplate | None, cur: float):
        """A move of a walk that stands at `nodes` with margin `cur`: (margin, instance, nodes) of `cand` where it is
        lower, else None. A move built from the template (`_score_built`) that is lower but no new best is
        replayed here, as the walk goes on from it (a replay that differs ends the template and the move)."""
        if (template is not None and not template.broken and len(cand) == len(nodes)
                and all(n.type == "float" or _same(c, n.value) for c, n in zip(cand, nodes, strict=True))):
            r = self._score_built(cand, template)
        else:
            r = self._score(cand)
        if r is None or not r[0] < cur:
            return None
        if r[2] is None:
            got = draw_from_choices(self.strategy, cand, pad=self.pad_rng)
            if got is None or not _same(got[0], r[1]):
                template.broken = True
                return None
            r = (r[0], *got)
        return r

    def _flips(self, start: tuple, budget: int) -> None:
        """Walk over the vertices of the box next to `start`, first improvement: each float at a bound of its box to
        the other bound, then each pair of them at once. Where the greedy walk over one-coordinate moves stops at a
        vertex, a pair often still improves (a cut of a graph one vertex from a better one only two moves away:
        from random vertices of a 14-node max-cut, 13% of one-flip walks end at the maximum, 57% of these)."""
        self._walk(start, budget, self._vertex_moves)

    def _vertex_moves(self, nodes: tuple):
        """Sequences one vertex move from `nodes` (a generator): a float inside its box (a balanced node) to either
        bound; then each float at a bound to the other one, then pairs of them."""
        vals = [n.value for n in nodes]
        at = [i for i, n in enumerate(nodes) if _at_bound(n)]
        self.rng.shuffle(at)
        inside = [i for i, n in enumerate(nodes) if n.type == "float" and i not in at
                  and all(map(math.isfinite, _float_bounds(n)))]
        moves = itertools.chain((((i, b),) for i in inside for b in _float_bounds(nodes[i])),
                                (((i, _other_bound(nodes[i])),) for i in at),
                                (((i, _other_bound(nodes[i])), (j, _other_bound(nodes[j])))
                                 for i, j in itertools.combinations(at, 2)))
        for move in moves:
            if all(_valid_float(nodes[i], x) for i, x in move):
                cand = list(vals)
                for i, x in move:
                    cand[i] = x
                yield tuple(cand)

    # -- integers, each move followed by the floats re-optimised -------------------------------------------
    def _integer_walk(self, budget: int, per_move: int = 80, max_nodes: int = 6) -> None:
        """Move the best sequence's integer choices (by +-1, +-2 and to their bounds), re-optimising its float
        choices after each move by a short, narrow CMA-ES run, and walk while that improves the margin.

        A greedy integer move holds the floats: where the best float values depend on the integer (the
        peak of x^n (1-x) moves with n), every move looks worse than staying and the walk to the integer
        that violates the claim never starts."""
        stop = self.evals + budget
        improved = True
        stride: dict[int, int] = {}   # a move that paid is tried again twice as far (a walk of n steps takes log n)
        while improved and self.best is not None and stop - self.evals >= per_move:
            improved = False
            start = self.best.choices
            got = draw_from_choices(self.strategy, start)
            if got is None:
                return
            nodes = got[1]
            ints = [i for i, n in enumerate(nodes) if n.type == "integer"][:max_nodes]
            if not ints:
                return
            incumbent = self.best.margin
            for i in ints:
                lo, hi = nodes[i].constraints.get("min_value"), nodes[i].constraints.get("max_value")
                v = nodes[i].value
                cands = []
                for c in (v + 2 * stride[i] if stride.get(i) else None, v + 1, v - 1, v + 2, v - 2, 2 * v, v // 2,
                          hi, lo):
                    if (c is not None and c != v and c not in cands and (lo is None or c >= lo)
                            and (hi is None or c <= hi)):
                        cands.append(c)
                for c in cands:
                    if stop - self.evals < per_move:
                        return
                    seq = list(start)
                    seq[i] = c
                    seq = tuple(seq)
                    self._score(seq)
                    self._cmaes(seq, min(per_move, stop - self.evals), sigma0=0.01)
                    if self.best.margin < incumbent:
                        improved = True
                        stride = {i: c - v}
                        break
                if improved:
                    break

    # -- one float: a scan of its whole range ------------------------------------------------------------
    def _scan_one_float(self, budget: int, polish: int = 16) -> None:
        """Where the best sequence draws a single float (other choices held), evaluate it on an even grid
        over its box, then once at the vertex of the parabola through every local minimum of the grid and its
        two neighbours, then polish the lowest of those by Brent's method (scipy) on their brackets. A function of one
        variable with hundreds of local optima (sin t sin(sqrt 2 t) on [0, 1000], false at 2 of ~400 peaks)
        defeats restarts, which land next to a random peak; the parabola reads each peak's height at one
        evaluation."""
        frame = self._float_frame(self.best.choices)
        if frame is None or len(frame[2]) != 1 or budget < 64:
            return
        nodes, vals, (i,), lo, hi, _, _ = frame
        lo, hi = float(lo[0]), float(hi[0])
        stop = self.evals + budget
        n = max(16, (budget - polish * 40) * 4 // 5)   # a fifth of the rest for the parabolas
        xs = np.linspace(lo, hi, n)

        def at(x):
            seq = list(vals)
            seq[i] = float(x)
            seq = tuple(seq)
            if not _valid_float(nodes[i], seq[i]):
                return math.inf, seq
            r = self._score(seq)
            return (self._seen.get(_key(seq), math.inf) if r is None else r[0]), seq

        ys = []
        for x in xs:
            if self.evals >= stop:
                return
            ys.append(at(x)[0])
        minima = [k for k in range(1, n - 1) if ys[k] <= ys[k - 1] and ys[k] <= ys[k + 1] and math.isfinite(ys[k])
                  and math.isfinite(ys[k - 1]) and math.isfinite(ys[k + 1])]
        minima.sort(key=lambda k: ys[k])
        found = []
        h = xs[1] - xs[0]
        for k in minima:
            if stop - self.evals <= polish * 40:
                break
            a, b, c = ys[k - 1], ys[k], ys[k + 1]
            curv = a - 2 * b + c
            x = xs[k] + (0.5 * h * (a - c) / curv if curv > 0 else 0.0)
            x = min(max(x, xs[k - 1]), xs[k + 1])
            found.append((at(x)[0], k, x))
        found.sort()
        from scipy.optimize import minimize_scalar

        for _, k, _x in found[:polish]:
            if stop - self.evals < 40:
                return
            # Brent's method on the bracket around the grid minimum: the peak itself, to rounding
            minimize_scalar(lambda x: at(x)[0], bounds=(float(xs[k - 1]), float(xs[k + 1])), method="bounded",
                            options={"xatol": 1e-12 * max(1.0, abs(float(xs[k]))), "maxiter": 36})

    # -- CMA-ES over the continuous choices ---------------------------------------------------------------
    def _float_frame(self, start: tuple):
        """(nodes, values, float indices, lower, upper, width, instance) of a sequence's float choices, or None."""
        got = draw_from_choices(self.strategy, start)
        if got is None:
            return None
        instance, nodes = got
        idx = [i for i, n in enumerate(nodes) if n.type == "float"]
        if not idx:
            return None
        boxes = [_finite_box(nodes[i], self.float_scale) for i in idx]
        lo = np.array([b[0] for b in boxes])
        hi = np.array([b[1] for b in boxes])
        return nodes, [n.value for n in nodes], idx, lo, hi, np.where(hi > lo, hi - lo, 1.0), instance

    def _cmaes(self, start: tuple, budget: int, popsize: int | None = None, sigma0: float = 0.25,
               random_start: bool = False) -> bool:
        """One CMA-ES run over the float choices of `start` (the other choices held), in the unit box.

        Runs until CMA-ES itself stops (converged or stagnating) or the budget is spent; False when the
        sequence has no float choices. `random_start` draws x0 uniformly in the box (a restart that explores
        instead of refining the incumbent)."""
        import warnings

        import cma

        frame = self._float_frame(start)
        if frame is None or budget < 8:
            return False
        nodes, vals, idx, lo, hi, width, instance = frame
        self._n_floats = len(idx)
        template = self._template(nodes, instance, idx)
        if random_start:
            x0 = self.np_rng.uniform(0.0, 1.0, len(idx))
        else:
            x0 = np.clip((np.array([vals[i] for i in idx], dtype=float) - lo) / width, 0.0, 1.0)
        if len(idx) == 1:
            x0 = np.append(x0, 0.5)  # cma needs two dimensions; the second one is ignored
        stop = self.evals + budget
        popsize = popsize or 4 + int(3 * math.log(max(len(idx), 2)))
        opts = {"bounds": [0.0, 1.0], "seed": int(self.np_rng.integers(1, 2**31 - 1)), "verbose": -9,
                "popsize": popsize, "maxfevals": budget, "tolx": 1e-13, "tolfun": 1e-14,
                "tolfunhist": 1e-14, "tolstagnation": 60 + 20 * len(idx)}
        # a run whose best has not improved for this many generations ends, so that restarts get the budget: on a
        # plateau (every one-coordinate change neutral or worse) CMA-ES's own stagnation test took 5000 evaluations
        patience, run_best, since = max(30, 4 * len(idx)), math.inf, 0
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            es = cma.CMAEvolutionStrategy(x0, sigma0, opts)
            while not es.stop() and self.evals < stop and since < patience:
                xs = es.ask()
                fs = []
                for z in xs:
                    v = list(vals)
                    for k, c in enumerate((lo + np.clip(np.asarray(z)[:len(idx)], 0.0, 1.0) * width).tolist()):
                        i = idx[k]
                        v[i] = c if _valid_float(nodes[i], c) else vals[i]
                    v = tuple(v)
                    if template is not None and not template.broken:
                        r = self._score_built(v, template)
                    else:
                        r = self._score(v)
                    fs.append(self._seen.get(_key(v), math.inf) if r is None else r[0])
                    if self.evals >= stop:
                        break
                if len(fs) < len(xs):
                    break
                finite = [f for f in fs if math.isfinite(f)]
                cap = (max(finite) + 1.0 + abs(max(finite))) if finite else 1e300
                es.tell(xs, [f if math.isfinite(f) else cap for f in fs])
                gen_best = min(finite) if finite else math.inf
                if gen_best < run_best and (math.isinf(run_best)
                                            or gen_best < run_best - 1e-12 * max(1.0, abs(run_best))):
                    run_best, since = gen_best, 0
                else:
                    since += 1
        # a run that stopped by itself (converged, stagnated) ended at a local optimum; one the budget cut did not
        self.run_converged = self.evals < stop
        if math.isfinite(run_best) and budget >= 200 and self.run_converged:
            self.run_ends.append((self.evals, run_best))
        return True

    def consider(self, choices: tuple) -> float | None:
        """Evaluate one sequence found elsewhere as a move of this refiner (its best if lower): its margin, or None
        where it was seen before or the strategy does not draw it."""
        r = self._score(tuple(choices))
        return None if r is None else r[0]

    def restarts_disagree(self, since: int, spread: float = 1e-6) -> bool:
        """CMA-ES runs (of at least 200 evaluations) that ended after evaluation `since` ended at margins more than
        `spread` apart: the landscape has several local optima, where more restarts may find a lower one."""
        ends = [m for at, m in self.run_ends if at > since]
        return len(ends) >= 2 and max(ends) - min(ends) > spread

    # -- driver -------------------------------------------------------------------------------------------
    def refine(self, seeds: list[tuple], budget: int, local_share: float | None = None,
               explore: bool = False, sigma_best: float = 0.25) -> Candidate | None:
        """Spend `budget` evaluations refining from the given choice sequences (best first).

        A greedy pass of local moves from every seed (`local_share` of the budget, by default 10%, 30% below
        1000 evaluations: vertices, ties, signs, integers), a walk over the integers with the floats re-optimised
        after each move (up to 30%, while it improves), then CMA-ES with IPOP restarts (Auger-Hansen 2005): each run goes until CMA-ES stops by
        itself, the next one starts with twice the population, alternately from the incumbent, from the next
        seed, and from a uniform point of the box; last, local moves polish the winner. A run is never cut
        to a fixed share: short runs are what made CMA-ES miss thin regions (null spaces) and sups."""
        seeds = [tuple(s) for s in seeds if s is not None]
        if not seeds or budget <= 0:
            return self.best
        stop = self.evals + budget
        if local_share is None:
            # a small budget buys CMA-ES little: local moves (vertices, ties, signs) are then the better buy
            local_share = 0.1 if budget >= 1000 else 0.3
        polish = max(0, int(0.05 * budget))
        per_seed = max(1, int(budget * local_share) // len(seeds))
        for s in seeds:
            if self.evals >= stop - polish:
                break
            self._local(s, min(per_seed, stop - polish - self.evals))
        if self.best is not None and budget >= 400:
            self._integer_walk(min(int(0.3 * budget), stop - polish - self.evals))
        if self.best is not None and budget >= 2000:
            self._scan_one_float(min(budget // 3, stop - polish - self.evals))
        if self.best is not None and budget >= 400 and self._at_vertex():
            # the greedy pass ended at a vertex of the box (a maximum of a convex or bilinear form is at one):
            # iterated local search over vertices first, where CMA-ES restarted from it only returns to it. Half
            # the budget at a vertex; an eighth where some floats sit inside their box (a balanced max-cut node,
            # or the greedy pass's move of all floats to a bound on a landscape whose violation is elsewhere:
            # half of it there cost a thin cone around a null space 2 starts in 50)
            share = 2 if self._at_vertex(every=True) else 8
            self._kicks(min(budget // share, stop - polish - self.evals))
        popsize, run, polished, idle = self._ipop, 0, False, 0
        from_best_stale = explore   # explore: the best is a local optimum; restarts start from uniform points
        pending = list(seeds[1:])
        while stop - self.evals >= 8 and idle < 3:
            if stop - self.evals - (0 if polished else polish) < 8:
                if polished or self.best is None:
                    break
                # polish the winner; what it leaves goes to further restarts. (Without this branch a room under
                # CMA-ES's minimum of 8 evaluations, reserved for the polish, looped forever.)
                polished = True
                self._local(self.best.choices, stop - self.evals)
                continue
            kind = run % 3
            if kind == 0 and self.best is not None and not from_best_stale:
                start, rnd, sigma = self.best.choices, False, sigma_best
            elif kind == 1 and pending:
                start, rnd, sigma = pending.pop(0), False, 0.25
            else:
                start, rnd, sigma = (self.best.choices if self.best is not None else seeds[0]), True, 0.3
            before, incumbent = self.evals, self.best.margin if self.best is not None else math.inf
            room = stop - self.evals - (0 if polished else polish)
            # a run that goes on from the best along a ridge (sigma_best below a restart's) keeps the base
            # population: a large one moves a narrow step a generation for many evaluations
            # (and the whole round: where it had half and a restart from a uniform point the other half, the budget
            # cut both, every round, and neither converged; the next round starts a run from the best again, with a
            # fresh step, which crawls along a ridge where the cut run's collapsed step did not)
            continuing = kind == 0 and not rnd and sigma_best < 0.25
            # a population that leaves a run fewer than 50 generations of the room buys a few steps of a huge sample
            # (IPOP doubling across extension rounds reached 640 with 2500 evaluations left: 0.39 of a sup)
            pop = None if continuing or popsize is None else max(4, min(popsize, room // 50))
            ran = self._cmaes(start, room, popsize=pop, sigma0=sigma, random_start=rnd)
            if kind == 0 and not rnd:
                # a run from the best that did not lower it: the best is a local optimum CMA-ES returns to, so
                # the next runs that would start there start from a uniform point, until the best moves
                from_best_stale = self.best is None or not self.best.margin < incumbent
            elif self.best is not None and self.best.margin < incumbent:
                from_best_stale = False
            run += 1
            if not ran:
                if self.best is None or all(not self._has_floats(s) for s in [self.best.choices] + pending):
                    break
                idle += 1  # a start whose choices no longer draw: try the next kind, but not forever
                continue
            idle = 0
            if self.evals == before:
                break
            if self.run_converged:
                # IPOP: a run that converged to a local optimum is followed by one with twice the population; one
                # the budget cut keeps it
                base = 4 + int(3 * math.log(max(self._n_floats, 2)))
                popsize = self._ipop = min(2 * (popsize or base), 64 * base)
        if self.best is not None and stop - self.evals > polish:
            self._kicks(stop - polish - self.evals)
        if self.best is not None and stop - self.evals > 0:
            self._local(self.best.choices, stop - self.evals)
        self._record_deferred()
        return self.best

    # -- discrete choices: iterated local search ------------------------------------------------------------
    def _kicks(self, budget: int, idle_limit: int = 200, stale_limit: int = 100) -> None:
        """Spend what CMA-ES left (all of it where a strategy draws no floats: permutations, integers, sets of
        sampled values) on iterated local search: 1-3 random choices of the best sequence kicked -- an integer or
        boolean to a random value of its range, a float at a bound of its box to the other bound, any other
        float to 0 or a uniform point of its box -- then greedy local moves; the best sequence moves when that
        lowers the margin. (Also run before CMA-ES when the greedy pass ends at a vertex of the box; there the
        walk after a kick, and before the first, goes over neighbouring vertices, one and two floats moved at
        once: `_flips`.) Greedy moves alone stop one move away from the point (a permutation one transposition
        from the reverse one, whose swaps are drawn as nested integers).
        Kicks end after `stale_limit` in a row that do not lower the best margin: where it cannot go lower (an
        identity, every instance an equality case) each kick only adds float64 violations to confirm."""
        stop = self.evals + budget
        idle = stale = 0
        vertex = self.best is not None and self._at_vertex()
        if vertex:
            self._flips(self.best.choices, stop - self.evals)
        while self.best is not None and self.evals < stop and idle < idle_limit and stale < stale_limit:
            incumbent = self.best.margin
            got = draw_from_choices(self.strategy, self.best.choices)
            if got is None:
                return
            nodes = got[1]
            discrete = [i for i, n in enumerate(nodes) if n.type in ("integer", "boolean", "float")]
            if not discrete:
                return
            seq = [n.value for n in nodes]
            for i in self.rng.sample(discrete, self.rng.randint(1, min(3, len(discrete)))):
                n = nodes[i]
                if n.type == "boolean":
                    seq[i] = not seq[i]
                    continue
                if n.type == "float":
                    # at a bound of its box: to the other one (a vertex to a neighbouring vertex); else to 0 (a
                    # support switched off) or a uniform point of its box
                    lo, hi = _finite_box(n, self.float_scale)
                    if _at_bound(n):
                        seq[i] = lo if seq[i] == hi else hi
                    else:
                        c = 0.0 if self.rng.random() < 0.5 else self.rng.uniform(lo, hi)
                        seq[i] = c if _valid_float(n, c) else self.rng.uniform(lo, hi)
                    continue
                lo, hi = n.constraints.get("min_value"), n.constraints.get("max_value")
                lo = seq[i] - 16 if lo is None else lo
                hi = seq[i] + 16 if hi is None else hi
                seq[i] = self.rng.randint(lo, hi)
            before = self.evals
            if vertex:
                # at a vertex: the walk over neighbouring vertices, single and paired moves (three passes at most)
                at = sum(1 for n in nodes if _at_bound(n))
                self._flips(tuple(seq), min(stop - self.evals, 3 * (at + at * (at - 1) // 2) + 8))
            else:
                self._local(tuple(seq), min(stop - self.evals, 4 * len(nodes) + 8))
            idle = idle + 1 if self.evals == before else 0   # every kick already seen: the space is spent
            stale = 0 if self.best.margin < incumbent else stale + 1

    def _at_vertex(self, every: bool = False) -> bool:
        """The best sequence draws at least two floats, three quarters of them or more (`every`: all) each at a
        bound of its box (at a maximum of a max-cut, a node whose edges balance may sit anywhere between its
        bounds)."""
        got = draw_from_choices(self.strategy, self.best.choices)
        if got is None:
            return False
        floats = [n for n in got[1] if n.type == "float"]
        at = sum(1 for n in floats if _at_bound(n))
        return len(floats) >= 2 and at >= 2 and (at == len(floats) if every else 4 * at >= 3 * len(floats))

    _n_floats = 2

    def _has_floats(self, choices: tuple) -> bool:
        frame = self._float_frame(choices)
        if frame is not None:
            self._n_floats = len(frame[2])
        return frame is not None

"""Refinement in Hypothesis' choice space: replay is faithful, moves stay inside the strategy, rare violations
of plain-strategy claims are reached."""

import math
import random
from types import SimpleNamespace

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import certify
from certify.search.choices import ChoiceRefiner, draw_from_choices


def fresh_choices(strategy, seed):
    from hypothesis.control import BuildContext
    from hypothesis.internal.conjecture.data import ConjectureData

    d = ConjectureData(random=random.Random(seed))
    with BuildContext(d, wrapped_test=None):
        value = d.draw(strategy)
    return value, tuple(d.choices)


BOX10 = st.lists(st.floats(0.0, 1.0), min_size=10, max_size=10).map(np.array)


def test_replaying_choices_rebuilds_the_instance_through_map_filter_and_flatmap():
    s = st.integers(1, 4).flatmap(lambda n: st.lists(st.floats(-2, 2), min_size=n, max_size=n)).map(np.array) \
        .filter(lambda a: a.sum() > -100)
    for seed in range(20):
        value, choices = fresh_choices(s, seed)
        again, _ = draw_from_choices(s, choices)
        assert np.array_equal(value, again)


def test_a_rejected_sequence_is_not_a_candidate():
    s = st.floats(0, 1).filter(lambda x: math.sin(10 * x) > 0.9)  # not rewritable into bounds
    assert draw_from_choices(s, (0.25,)) is None  # sin(2.5) = 0.6: rejected, and no further choices
    assert draw_from_choices(s, (0.15,))[0] == 0.15


def test_moves_stay_inside_the_strategy():
    s = st.tuples(st.floats(-3.0, 1.5), st.integers(2, 5), st.booleans())
    seen = []

    def evaluate(inst):
        seen.append(inst)
        x, k, b = inst
        return x + k

    _, ch = fresh_choices(s, 0)
    ChoiceRefiner(s, evaluate, seed=0).refine([ch], budget=200)
    assert seen and all(-3.0 <= x <= 1.5 and 2 <= k <= 5 and isinstance(b, bool) for x, k, b in seen)
    assert min(x + k for x, k, _ in seen) == -1.0  # the lower vertex of the box is reached


def test_a_violation_only_at_a_vertex_is_found():
    # sum(x) <= 9.99 over [0, 1]^10 fails only within 1e-3 of the all-ones vertex
    def evaluate(x):
        return 9.99 - float(np.sum(x))

    _, ch = fresh_choices(BOX10, 3)
    best = ChoiceRefiner(BOX10, evaluate, seed=0).refine([ch], budget=300)
    assert best.margin < 0


def test_a_violation_only_at_a_balance_point_is_found():
    s = st.lists(st.floats(-1.0, 1.0), min_size=4, max_size=4).map(np.array)

    def evaluate(x):  # "the spread of four numbers is at least 1e-9": false when they tie
        return float(np.max(x) - np.min(x)) - 1e-9

    _, ch = fresh_choices(s, 5)
    best = ChoiceRefiner(s, evaluate, seed=1).refine([ch], budget=400)
    assert best.margin < 0


def test_cmaes_minimises_a_smooth_interior_margin():
    s = st.lists(st.floats(-5.0, 5.0), min_size=6, max_size=6).map(np.array)
    target = np.linspace(-1, 1, 6)

    def evaluate(x):
        return float(np.sum((x - target) ** 2)) - 1e-6

    _, ch = fresh_choices(s, 2)
    r = ChoiceRefiner(s, evaluate, seed=0)
    best = r.refine([ch], budget=1500, local_share=0.05)
    assert best.margin < 0 and r.evals <= 1500


def test_refinement_is_deterministic():
    def evaluate(x):
        return 9.99 - float(np.sum(x))

    _, ch = fresh_choices(BOX10, 4)
    a = ChoiceRefiner(BOX10, evaluate, seed=3).refine([ch], budget=150)
    b = ChoiceRefiner(BOX10, evaluate, seed=3).refine([ch], budget=150)
    assert a.choices == b.choices and a.margin == b.margin and not math.isnan(a.margin)


# -- sparse arrays (hypothesis.extra.numpy.arrays with a fill) -------------------------------------------------

def test_a_sparse_array_is_redrawn_densely_and_replays_to_the_same_instance():
    from certify.search.choices import dense_redraw, draw_from_choices

    strategies = {"x": arrays(np.float64, (3, 4), elements=st.floats(-1.0, 1.0)), "p": st.sampled_from([2, 3])}
    x = np.linspace(-0.9, 0.8, 12).reshape(3, 4)
    dense, seeds = dense_redraw(strategies, {"x": x, "p": 3})
    assert len(seeds) == 2  # the instance itself and a random dense draw
    got, nodes = draw_from_choices(dense, seeds[0])
    assert got["p"] == 3 and got["x"].tobytes() == x.tobytes()
    assert sum(n.type == "float" for n in nodes) == 12  # every entry is a choice of its own
    # an array wholly at the bottom of the float range is not a seed (its float64 margins mean little)
    _, seeds = dense_redraw(strategies, {"x": np.full((3, 4), 2.2250738585072014e-308), "p": 2})
    assert len(seeds) == 1
    # dense arrays, lists and other strategies: nothing to redraw
    assert dense_redraw({"x": arrays(np.float64, 4, elements=st.floats(-1.0, 1.0), fill=st.nothing())},
                        {"x": np.zeros(4)}) is None
    assert dense_redraw({"x": st.lists(st.floats(-1.0, 1.0), min_size=4, max_size=4)}, {"x": [0.0] * 4}) is None


_W16 = np.linspace(1.0, 2.0, 16)


@certify.claim(id="choicetest.weighted_holder", source="derived", tag="USER",
               statement=r"\|w \circ x\|_1 \le 0.9999 \sqrt{16}\, \|w \circ x\|_2",
               inputs=dict(x=arrays(np.float64, 16, elements=st.floats(-1.0, 1.0))),
               expect="refuted")
def weighted_holder(ctx, x):
    # false only where |w_i x_i| are all (nearly) equal: 16 entries that all differ, which a sparse draw of
    # `arrays` (a fill value and a few explicit entries) never produces and moving its few choices cannot reach
    y = ctx.abs(x * ctx.asarray(_W16))
    return certify.le(ctx.sum(y), 0.9999 * 4.0 * ctx.sqrt(ctx.sum(y * y)))


def test_a_false_bound_needing_every_entry_of_a_sparse_array_is_refuted():
    v = certify.check("choicetest.weighted_holder", profile="ci", seed=0)
    assert v.status == "refuted", (v.reason, v.refinement)


def test_an_integer_whose_best_floats_move_with_it_is_walked_to_the_violation():
    # x^n (1 - x) <= 0.995 / (e n) fails only at n = 100 (the bound of the integer), for x in a window of width
    # 1.5e-4 around 100/101. A greedy move of n holds x at the peak of the current n, where every other n looks
    # worse; the walk re-optimises x after each move of n.
    s = st.tuples(st.integers(1, 100), st.floats(0.0, 1.0))

    def evaluate(nx):
        n, x = nx
        bound = 0.995 / (math.e * n)
        return (bound - x**n * (1 - x)) / bound

    start = (60, 0.5)
    for seed in range(3):
        best = ChoiceRefiner(s, evaluate, seed=seed).refine([start], budget=6000)
        assert best.margin < 0 and best.instance[0] == 100, (seed, best.margin, best.instance)


def test_a_strategy_without_floats_gets_its_budget_spent_on_the_discrete_choices():
    """Regression: with no float choice CMA-ES cannot run and the refinement stopped after one greedy pass
    (65 of 12000 evaluations), one transposition away from the only violation: sum_i i p(i) is smallest,
    56, only at the reverse permutation of 0..7."""
    s = st.permutations(list(range(8)))

    def evaluate(p):
        return sum(i * pi for i, pi in enumerate(p)) - 56.5

    for seed in range(3):
        _, start = fresh_choices(s, seed)
        r = ChoiceRefiner(s, evaluate, seed=seed)
        best = r.refine([start], budget=6000)
        assert list(best.instance) == list(range(8))[::-1], (seed, best.instance, r.evals)


def test_one_float_with_hundreds_of_peaks_is_scanned_not_restarted():
    """Regression: sin t sin(sqrt 2 t) <= 0.9999 on [0, 1000] is false at 2 of ~400 peaks (windows ~0.007
    wide); CMA-ES restarts climb the peak next to where they land and missed it on half the seeds."""
    s = st.floats(0.0, 1000.0)

    def evaluate(t):
        return 0.9999 - math.sin(t) * math.sin(math.sqrt(2.0) * t)

    for seed in range(4):
        _, start = fresh_choices(s, seed)
        best = ChoiceRefiner(s, evaluate, seed=seed).refine([start], budget=12000)   # a cheap claim's at ci
        assert best.margin < 0, (seed, best.instance, best.margin)


def test_a_larger_size_is_reached_when_a_move_needs_more_choices_than_the_sequence_holds():
    """Regression: moving the n of `integers(1, 12).flatmap(n floats)` upwards asked for more choices than the
    sequence held, an overrun, so no move ever left the size Hypothesis drew; the rest is now drawn at random.
    Here the sum of n floats in [0, 1] exceeds 11.5 only at n = 12."""
    s = st.integers(1, 12).flatmap(lambda n: st.lists(st.floats(0.0, 1.0), min_size=n, max_size=n))
    sizes = []

    def evaluate(xs):
        sizes.append(len(xs))
        return 11.5 - sum(xs)

    start = (3, 1.0, 1.0, 1.0)
    assert draw_from_choices(s, start)[0] == [1.0, 1.0, 1.0]
    best = ChoiceRefiner(s, evaluate, seed=0).refine([start], budget=3000)
    assert max(sizes) == 12 and best.margin < 0


# -- float templates: CMA-ES moves built without a replay, replayed where they count ------------------------------
def _template_of(strategy, seed=0):
    from certify.search.choices import _FloatTemplate

    _, ch = fresh_choices(strategy, seed)
    value, nodes = draw_from_choices(strategy, ch)
    idx = [i for i, n in enumerate(nodes) if n.type == "float"]
    return _FloatTemplate.check(strategy, nodes, value, idx, random.Random(0)), nodes, idx


def test_a_float_template_builds_what_the_strategy_draws():
    from certify.search.choices import _same

    s = st.fixed_dictionaries({"x": st.lists(st.floats(-1, 1), min_size=5, max_size=5).map(np.array),
                               "t": st.tuples(st.floats(0, 2), st.integers(1, 3)), "y": st.floats(-4, 4)})
    t, nodes, idx = _template_of(s)
    assert t is not None and len(idx) == 7
    rng = np.random.default_rng(1)
    vals = [n.value for n in nodes]
    for _ in range(20):
        moved = list(vals)
        for i in idx:
            lo, hi = nodes[i].constraints["min_value"], nodes[i].constraints["max_value"]
            moved[i] = float(rng.uniform(lo, hi))
        assert _same(t.build(tuple(moved)), draw_from_choices(s, tuple(moved))[0])


def test_a_float_template_keeps_leaves_no_float_moves():
    # cst.vectors draws an entry as a float or as an edge value (0, +-bound): the edge entries are constants of
    # the template and the float entries move; a constant leaf appended by a map is one too
    from certify import strategies as cst
    from certify.search.choices import _same

    one = st.lists(st.floats(-1, 1), min_size=4, max_size=4)
    for s, seed in ((one.map(lambda v: np.array(v + [1.0])), 3), (cst.vectors(n=8, bound=2.5), None)):
        seeds = [seed] if seed is not None else range(40)
        for k in seeds:   # a cst vector whose entries are drawn as floats and as edge values both
            t, nodes, idx = _template_of(s, seed=k)
            value = draw_from_choices(s, tuple(n.value for n in nodes))[0]
            if seed is None and not (0 < len(idx) < value.size):
                continue
            assert t is not None, (s, k)
            assert sum(o is None for o in t.order) == value.size - len(idx) > 0
            rng = np.random.default_rng(k)
            for _ in range(10):
                moved = [n.value for n in nodes]
                for i in idx:
                    moved[i] = float(rng.uniform(nodes[i].constraints["min_value"], nodes[i].constraints["max_value"]))
                assert _same(t.build(tuple(moved)), draw_from_choices(s, tuple(moved))[0])
            break
        else:
            raise AssertionError("no cst vector drawn with both kinds of entries")


def test_no_float_template_where_the_strategy_does_more_than_place_its_floats():
    one = st.lists(st.floats(-1, 1), min_size=4, max_size=4)
    for s in (one.map(np.sort),                                          # a permutation of the choices
              one.map(lambda v: np.array(v + [v[0] ** 2])),              # a leaf computed from a float
              one.map(lambda v: np.array(v + v[:1])),                    # a float at two leaves
              one.map(lambda v: np.array(v, dtype=np.float32)),          # a rounded copy
              one.map(lambda v: (np.array(v), int(10 * v[0]))),          # a value derived from a float
              one.map(lambda v: np.array(v) / (1 + np.abs(v).sum()))):   # a map that is not the identity
        assert _template_of(s, seed=3)[0] is None, s


def test_built_moves_give_the_search_the_replayed_path_exactly():
    # the same CMA-ES run with and without templates: the same margins at the same moves, so the same best
    s = st.lists(st.floats(-2.5, 2.5), min_size=6, max_size=6).map(np.array)

    def margin(x):
        nodes = np.cos(np.arange(7) * np.pi / 6)
        return float(np.max(np.abs(np.polyval(np.append(x, 1.0)[::-1], nodes))) - 0.1 * x[0])

    _, ch = fresh_choices(s, 2)
    plain = ChoiceRefiner(s, margin, seed=4)
    plain.refine([ch], budget=3000)
    fast = ChoiceRefiner(s, margin, seed=4, peek=lambda x: (margin(x), False, None))
    fast.refine([ch], budget=3000)
    assert fast.fast_evals > 1500
    assert fast.evals == plain.evals and fast.best.margin == plain.best.margin
    assert fast.best.choices == plain.best.choices


def test_a_built_move_the_strategy_rejects_is_never_kept():
    # x[0] < 0.9 by a filter: the template passes its two random probes, and CMA-ES presses against the filter,
    # where built moves beyond it look better; every instance evaluated or kept is one the strategy draws
    s = st.lists(st.floats(-1, 1), min_size=3, max_size=3).filter(lambda v: v[0] < 0.9).map(np.array)
    evaluated = []

    def margin(x):
        return float(-x[0] + 0.01 * x[1] ** 2)

    def evaluate(x):
        evaluated.append(x)
        return margin(x)

    _, ch = fresh_choices(s, 3)
    r = ChoiceRefiner(s, evaluate, seed=3, peek=lambda x: (margin(x), False, None))
    r.refine([ch], budget=1500)
    assert any(t is not None for t in r._templates.values())   # a template was built, and used
    assert evaluated and all(x[0] < 0.9 for x in evaluated)
    assert r.best.instance[0] < 0.9 and r.best.margin < -0.85


def test_moves_that_count_are_recorded_after_a_replay():
    # peek says every move must be recorded: those that are not a new best are replayed at the end, lowest first
    s = st.lists(st.floats(-1, 1), min_size=4, max_size=4).map(np.array)
    recorded = []

    def evaluate(x):
        recorded.append(x.copy())
        return float(np.sum((x - 0.3) ** 2))

    _, ch = fresh_choices(s, 0)
    r = ChoiceRefiner(s, evaluate, seed=0, peek=lambda x: (float(np.sum((x - 0.3) ** 2)), True, None))
    r.refine([ch], budget=800)
    assert r.fast_evals > 0
    assert len(recorded) >= 800 - r.fast_evals + min(r.fast_evals, ChoiceRefiner._DEFER)


def test_box_inputs_with_a_dense_form_cover_value_space():
    # where every refinable input is a box vector or matrix whose dense form moves every entry, most of the
    # refinement budget goes to CMA-ES in choice space (driver._refine); an input without one keeps the split
    from certify import strategies as cst
    from certify.search.choices import dense_covers

    small, long, simplex = cst.vectors(n=7, bound=1.0), cst.vectors(n=100, bound=1.0), cst.simplex_points(n=4)
    inst = {"a": np.zeros(7), "b": np.zeros(100), "p": np.full(4, 0.25)}
    strategies = {"a": small, "b": long, "p": simplex}
    assert dense_covers(strategies, inst, ["a"])
    assert not dense_covers(strategies, inst, ["a", "b"])     # more than 64 entries: no dense form of it
    assert not dense_covers(strategies, inst, ["a", "p"])     # no dense form at all


@certify.claim(id="choicetest.cheb", source="derived", statement="2^-5 <= max_k |p(cos(k pi / 6))|, p monic",
               tag="USER", inputs=dict(c=st.lists(st.floats(-2.0, 2.0), min_size=6, max_size=6).map(np.array)))
def _cheb6(ctx, c):
    m = None
    for k in range(7):
        x = ctx.cos(k * ctx.pi / 6)
        v = ctx.abs(x ** 6 + sum(c[j] * x ** j for j in range(6)))
        m = v if m is None else ctx.maximum(m, v)
    return certify.le(ctx.asarray(2.0) ** -5, m)


def test_a_plain_float_claim_is_refined_mostly_by_built_moves():
    from dataclasses import replace

    from certify.profiles import get_profile
    from certify.search import run_claim

    profile = replace(get_profile("ci"), examples=200, refine_evals=3000, eval_seconds=None)
    v = run_claim(certify.get_claim("choicetest.cheb"), profile, 0, with_mutants=False, with_baselines=False)
    assert v.status == "survived"
    assert v.refinement["built_evals"] > v.refinement["choice_space_evals"] // 2
    c = v.worst.instance["c"]
    assert c.shape == (6,) and np.all(np.abs(c) <= 2.0)


@certify.claim(id="choicetest.bowl", source="derived", statement="|x - 0.3|^2 >= 0", tag="USER",
               inputs=dict(x=st.lists(st.floats(-1.0, 1.0), min_size=3, max_size=3).map(np.array)))
def _bowl(ctx, x):
    return certify.ge(ctx.sum((x - 0.3) ** 2) + 1.0, 1.0)


def test_refinement_goes_on_while_it_still_improves_and_only_then():
    from dataclasses import replace

    from certify.profiles import get_profile
    from certify.search import run_claim

    profile = replace(get_profile("ci"), examples=200, refine_evals=600, eval_seconds=60.0, min_examples=0,
                      min_refine_evals=0, refine_boost=1)
    ridge = run_claim(certify.get_claim("choicetest.cheb"), profile, 0, with_mutants=False, with_baselines=False)
    assert ridge.refinement["extended_evals"] >= 600          # CMA-ES still climbing a minimax ridge at 600
    bowl = run_claim(certify.get_claim("choicetest.bowl"), profile, 0, with_mutants=False, with_baselines=False)
    assert bowl.refinement["extended_evals"] == 0             # converged: no more than the budget
    fixed = run_claim(certify.get_claim("choicetest.cheb"), replace(profile, eval_seconds=None), 0,
                      with_mutants=False, with_baselines=False)
    assert fixed.refinement["extended_evals"] == 0            # explicit counts are the budget


def test_restarts_that_end_apart_mark_a_landscape_with_several_optima():
    s = st.lists(st.floats(-5.0, 5.0), min_size=2, max_size=2).map(np.array)

    def rastrigin(x):
        # tilted, so that its local optima lie at different heights (restarts that converge to two of them
        # disagree; a run its budget cut ends nowhere and does not count)
        return float(20 + np.sum(x ** 2 - 10 * np.cos(2 * np.pi * x)) + x[0] + 0.5 * x[1])

    def bowl(x):
        return float(np.sum((x - 0.3) ** 2))

    _, ch = fresh_choices(s, 0)
    rugged, smooth = ChoiceRefiner(s, rastrigin, seed=1), ChoiceRefiner(s, bowl, seed=1)
    rugged.refine([ch], budget=4000)
    smooth.refine([ch], budget=4000)
    assert len(rugged.run_ends) >= 2 and rugged.restarts_disagree(0)
    assert len(smooth.run_ends) >= 2 and not smooth.restarts_disagree(0)


class _ClimbingRefiner:
    """A refinement that improves at every move and costs 1 ms of CPU per move on the clock below: what
    `Search._extend` sees of a CMA-ES run still climbing a ridge."""

    def __init__(self, clock, evals):
        self.clock, self.evals, self.last_gain, self.rounds = clock, evals, evals, []
        self.best = SimpleNamespace(choices=(0.0,))

    def refine(self, seeds, budget, explore=False, sigma_best=0.25):
        self.rounds.append(budget)
        self.evals += budget
        self.last_gain = self.evals
        self.clock[0] += 1e-3 * budget

    def restarts_disagree(self, since):
        return False


def test_extension_rounds_use_the_allowance_in_quarter_budgets(monkeypatch):
    # a doubling that no longer fits the allowance is cut to the quarters of the budget that do; none past it

    from certify.search import driver

    clock = [1.0]   # CPU seconds: 1 s before the search, 1000 moves of 1 ms spent in refinement
    monkeypatch.setattr(driver.time, "process_time", lambda: clock[0])
    search = SimpleNamespace(profile=SimpleNamespace(eval_seconds=6.0, extend_seconds=8.5), cpu0=0.0)
    r = _ClimbingRefiner(clock, 1000)
    clock[0] += 1.0
    driver.Search._extend(search, r, cpu0=1.0, done=1000, budget=1000, most=8)
    # spent 2 s: a round of 1000 (3 s), of 2000 (5 s), then 3.5 s of room: 14 quarters, not a doubling of 4000
    assert r.rounds == [1000, 2000, 3500]
    assert clock[0] <= 8.5
    r = _ClimbingRefiner(clock, 1000)
    clock[0] = 2.0
    driver.Search._extend(search, r, cpu0=1.0, done=1000, budget=1000, most=4)
    assert r.rounds == [1000, 2000]   # `most` times the budget in all, however much time is left


def test_the_dense_form_takes_over_a_better_instance_the_choices_as_drawn_found():
    # cst.vectors draws an entry as an edge value or a float; moves of the choices as drawn leave edge entries in
    # place, the dense form moves every entry: an extension goes on from the better of the two, in the dense form
    from certify import strategies as cst
    from certify.search import driver
    from certify.search.choices import _same, dense_redraw

    strategies = {"c": cst.vectors(n=6, bound=1.0)}

    def margin(instance):
        return float(np.sum((instance["c"] - 0.5) ** 2))

    drawn = ChoiceRefiner(st.fixed_dictionaries(strategies), margin, seed=0)
    _, ch = fresh_choices(st.fixed_dictionaries(strategies), 3)
    drawn.refine([ch], 200)
    search = SimpleNamespace(strategies=strategies)
    dense_strategy, seeds = dense_redraw(strategies, drawn.best.instance)
    far = ChoiceRefiner(dense_strategy, lambda inst: 100.0 + margin(inst), seed=0)
    far.consider(seeds[-1])
    driver.Search._carry_over(search, drawn, far)   # the dense form's best is worse: it takes the instance
    assert _same(far.best.instance, drawn.best.instance) and far.best.margin == 100.0 + drawn.best.margin
    near = ChoiceRefiner(dense_strategy, lambda inst: margin(inst) - 100.0, seed=0)
    near.consider(seeds[-1])
    evals = near.evals
    driver.Search._carry_over(search, drawn, near)   # already lower: nothing to take
    assert near.evals == evals


def test_a_walk_over_vertices_moves_two_floats_at_once_where_one_never_improves():
    # margin x0 + x1 - 3 x0 x1 on [0, 1]^2 at the vertex (0, 0): 0, each neighbour one move away 1, the
    # opposite vertex -1. A greedy walk of single moves stays at (0, 0); the pair move reaches (1, 1)
    s = st.lists(st.floats(0.0, 1.0), min_size=3, max_size=3).map(np.array)

    def margin(x):
        return float(x[0] + x[1] - 3 * x[0] * x[1] + 5 * x[2])

    start = (0.0, 0.0, 0.0)
    assert draw_from_choices(s, start)[0].tolist() == [0.0, 0.0, 0.0]
    single = ChoiceRefiner(s, margin, seed=0)
    single._local(start, 200)
    assert single.best.margin == 0.0
    paired = ChoiceRefiner(s, margin, seed=0, peek=lambda x: (margin(x), False, None))
    paired._flips(start, 200)
    assert paired.best.margin == -1.0 and paired.best.instance.tolist() == [1.0, 1.0, 0.0]


def test_a_vertex_walk_starts_where_a_float_with_no_effect_sits_inside_its_box():
    # a max-cut whose best cut has a balanced node: its coordinate changes nothing and stays where CMA-ES left it;
    # the walk over vertices must still start (it did only with every float at a bound)
    s = st.lists(st.floats(0.0, 1.0), min_size=4, max_size=4).map(np.array)

    def margin(x):   # x0 + x1 - 3 x0 x1 as above, x2 of no effect, x3 best at 0
        return float(x[0] + x[1] - 3 * x[0] * x[1] + 5 * x[3])

    r = ChoiceRefiner(s, margin, seed=0, peek=lambda x: (margin(x), False, None))
    r.consider((0.0, 0.0, 0.37, 0.0))
    assert r._at_vertex()
    r._kicks(300)
    assert r.best.margin == -1.0

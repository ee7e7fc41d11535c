"""Refinement in Hypothesis' choice space: replay is faithful, moves stay inside the strategy, rare violations
of plain-strategy claims are reached."""

import math
import random

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

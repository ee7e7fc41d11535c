"""Budgets sized by cost (certify.profiles.sized) and the search's use of them; the choice refiner's restarts
reach thin regions (a null space) that one short CMA-ES run missed."""

import random

import numpy as np
from hypothesis import strategies as st

import certify
from certify.profiles import get_profile, sized
from certify.search import run_claim
from certify.search.choices import ChoiceRefiner


def test_a_cheap_claim_gets_the_whole_budget_and_an_expensive_one_a_power_of_two_less():
    ci = get_profile("ci")
    full, scale = sized(ci, 1e-4)
    assert scale == 1.0 and (full.examples, full.refine_evals) == (ci.examples, ci.refine_evals)
    assert ci.examples >= 1000 and ci.refine_evals >= 1000  # thousands for a cheap claim
    cut, scale = sized(ci, 0.02)  # 20 ms an evaluation: 4000 evaluations would take 80 s
    assert scale < 1.0 and np.log2(scale) == int(np.log2(scale))
    assert cut.examples == max(ci.min_examples, int(ci.examples * scale))
    assert (cut.examples + cut.refine_evals) * 0.02 <= ci.eval_seconds or cut.examples == ci.min_examples
    slow, _ = sized(ci, 10.0)
    assert (slow.examples, slow.refine_evals) == (ci.min_examples, ci.min_refine_evals)


def test_explicit_counts_are_not_scaled():
    p = get_profile("ci").with_budget(examples=50)
    assert p.eval_seconds is None and sized(p, 1.0)[0].examples == 50


@certify.claim(id="budgettest.cheap", source="derived", statement="x <= 2", tag="USER",
               inputs=dict(x=st.floats(0.0, 1.0)))
def _cheap(ctx, x):
    return certify.le(ctx.asarray(x), 2.0)


def test_the_search_records_the_scale_it_used():
    v = run_claim(certify.get_claim("budgettest.cheap"), "ci", 0, with_mutants=False, with_baselines=False)
    assert v.budget["cost_scale"] == 1.0 and v.budget["examples"] == get_profile("ci").examples
    assert "probe_s_per_eval" in v.budget["time_split"]


def _fresh(strategy, seed):
    from hypothesis.control import BuildContext
    from hypothesis.internal.conjecture.data import ConjectureData

    d = ConjectureData(random=random.Random(seed))
    with BuildContext(d, wrapped_test=None):
        d.draw(strategy)
    return tuple(d.choices)


def test_a_violation_only_near_a_null_space_is_found():
    # ||A x|| >= 1e-3 ||x|| with A 8 x 10: false only within a thin cone around a 2-dimensional null space
    A = np.random.default_rng(7).standard_normal((8, 10))
    s = st.lists(st.floats(-1.0, 1.0), min_size=10, max_size=10).map(np.array)

    def evaluate(x):
        nx = float(np.linalg.norm(x))
        return float(np.linalg.norm(A @ x)) / nx - 1e-3 if nx > 0.1 else float("inf")

    seeds = [_fresh(s, k) for k in range(4)]
    found = [ChoiceRefiner(s, evaluate, seed=k).refine(seeds, budget=3000).margin < 0 for k in range(2)]
    assert all(found)


_calls = {"n": 0}


@certify.claim(id="budgettest.slow_first_call", source="derived", statement="x <= 2", tag="USER",
               inputs=dict(x=st.floats(0.0, 1.0)))
def _slow_first(ctx, x):
    import time

    _calls["n"] += 1
    if _calls["n"] == 1:
        time.sleep(2.0)  # compilation, paid by the cost probe: it must not eat the seconds cap
    return certify.le(ctx.asarray(x), 2.0)


def test_compilation_in_the_probe_does_not_count_against_the_seconds_cap():
    from dataclasses import replace

    from certify.search.driver import Search

    profile = replace(get_profile("ci"), seconds=1.5, examples=20, refine_evals=20)
    v = Search(certify.get_claim("budgettest.slow_first_call"), profile, 0, None).run()
    assert v.valid_examples >= 20 and v.status == "survived", (v.valid_examples, v.budget)

import math

import numpy as np
import pytest

import certify
from certify.context import mp


def test_le_margin_ratio_and_worst_element():
    o = certify.le(np.array([1.0, 3.0]), np.array([2.0, 2.0]))
    assert o.margin == -1.0 and o.ratio == 1.5 and o.violated
    assert math.isclose(o.rel_margin, -1 / 3)


def test_ge_and_scalar_broadcast():
    o = certify.ge(np.array([2.0, 5.0]), 1.0)
    assert o.margin == 1.0 and o.holds and o.ratio == 2.0


def test_close_is_normwise():
    o = certify.close(np.array([1.0, 1e-20]), np.array([1.0, 0.0]), rtol=1e-12)
    assert o.holds
    bad = certify.close(np.array([1.0 + 1e-6]), np.array([1.0]), rtol=1e-9)
    assert bad.violated and bad.ratio > 100


def test_all_of_takes_the_worst_part():
    o = certify.all_of(certify.le(1.0, 2.0), certify.ge(0.5, 1.0, label="lower"))
    assert o.violated and o.label == "lower"


def test_nan_is_a_violation_never_a_pass():
    o = certify.le(float("nan"), 1.0)
    assert o.violated


def test_mp_values_flow_through():
    m = mp(30)
    o = certify.le(m.num(1) / 3, m.num(0.5))
    assert o.holds and type(o.margin).__module__.startswith("mpmath")


@pytest.mark.parametrize("bad", [dict(rtol=-1.0), dict(rtol=0.0, atol=-1e-3)])
def test_close_rejects_bad_tolerances(bad):
    with pytest.raises(certify.InvalidArgument, match="tolerances"):
        certify.close(1.0, 1.0, **bad)


def test_returning_garbage_is_a_clear_error():
    from certify.outcome import as_outcome

    with pytest.raises(certify.InvalidArgument, match="return a number"):
        as_outcome("yes")


def test_zero_tolerance_means_exact_equality():
    assert certify.close(np.zeros(3), np.zeros(3), rtol=0.0, atol=0.0).holds
    o = certify.close(np.array([1e-300]), np.zeros(1), rtol=0.0, atol=0.0)
    assert o.violated and o.ratio is None


def test_comparing_strings_is_an_invalid_argument():
    with pytest.raises(certify.InvalidArgument, match="cannot compare str"):
        certify.le("a", 1.0)


def test_the_collector_keeps_what_a_naive_record_of_every_instance_would_say():
    # Collector.add skips building a summary for instances that cannot enter `worst`; what it keeps must be
    # what ranking every instance would give: the k lowest margins, every margin (up to its cap), the constant
    import random

    from certify.outcome import Outcome
    from certify.search.evidence import Collector

    rng = random.Random(3)
    col = Collector(None, 3)
    seen = []
    for i in range(400):
        # ratio drawn apart from the margin, so its extreme is met late, among instances that never rank
        rel, rhs, ratio = rng.uniform(0, 1), rng.choice([rng.uniform(0.5, 2), 0.0, -1.0]), rng.uniform(0, 1)
        o = Outcome(margin=rel, rel_margin=rel, lhs=ratio * rhs, rhs=rhs, ratio=ratio, relation="le")
        col.add({"i": i}, o)
        # the rank (Example.rank): the relative margin, but 0 <= 0 (rhs 0 here makes lhs 0 too) ranks as 1
        rank = 1.0 if rhs == 0 else rel
        seen.append((rank, i, ratio if rhs > 0 else None, rel))
    seen.sort()
    assert [e.instance["i"] for e in col.worst] == [i for _r, i, _q, _m in seen[:3]]
    assert sorted(m for m in col.margins) == sorted(m for _r, _i, _q, m in seen)
    assert col.ratio_extreme == max(q for _r, _i, q, _m in seen if q is not None)
    assert col.ratio_skipped == sum(1 for _r, _i, q, _m in seen if q is None)
    assert [e.instance["i"] for e in col.firsts] == sorted(i for _r, i, _q, _m in seen)[:3]

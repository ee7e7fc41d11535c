"""certify.strategies.fast_attention: every drawn instance is a member of its set, and the boundaries are reached
(k = 1 and k = n, entries exactly at +-B, HALFMAX rows, exact duplicate keys, chunk = 1 and chunk = n)."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, find, given, settings

from certify.strategies import contains
from certify.strategies import fast_attention as fst

FAST = settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))


@FAST
@given(fst.logit_rows())
def test_logit_rows_are_members(inst):
    assert contains(fst.logit_rows(), inst)


def test_logit_rows_reach_k_boundaries_and_saturation():
    s = fst.logit_rows()
    find(s, lambda i: i["k"] == i["S"].shape[1] and i["S"].shape[1] > 2)
    find(s, lambda i: i["k"] == 1)
    find(s, lambda i: np.ptp(i["S"]) >= 700)


def test_bounded_qkv_reaches_the_bound_and_halfmax():
    s = fst.bounded_qkv()
    inst = find(s, lambda i: np.all(np.abs(i["Q"]) == i["B"]) and np.all(np.abs(i["K"]) == i["B"]))
    assert contains(s, inst)
    hm = find(s, lambda i: i["K"].shape[0] >= 4 and np.all(i["Q"] == i["B"])
              and np.sum(np.all(i["K"] == i["B"], axis=1)) >= i["K"].shape[0] / 2)
    assert contains(s, hm)


def test_reduction_rows_are_half_at_B():
    s = fst.reduction_instances()
    inst = find(s, lambda i: i["Z"].shape[0] >= 3 and i["lo"] == 0.0)
    assert np.all(np.sum(inst["Z"] == inst["B"], axis=1) >= (inst["Z"].shape[0] + 1) // 2)
    assert not contains(s, {**inst, "Z": inst["Z"] * 0.5})


def test_key_sets_reach_exact_duplicates_and_streams_reach_chunk_ends():
    k = find(fst.key_sets(), lambda i: i["K"].shape[0] > 1 and np.array_equal(i["K"][0], i["K"][1]))
    assert contains(fst.key_sets(), k)
    find(fst.streams(), lambda i: i["chunk"] == 1 and i["K"].shape[0] > 1)
    find(fst.streams(), lambda i: i["chunk"] == i["K"].shape[0] > 64)

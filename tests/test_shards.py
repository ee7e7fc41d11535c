"""Merging shard records: the rules of certify.shards, on records shaped like the runner's."""

import numpy as np

from certify.shards import merge_records, shard_seeds, split_budget


def rec(status, worst=None, ce=None, examples=10, fa=0, baselines=None, seed=0):
    return {"id": "x.y", "status": status, "as_expected": status != "error", "reason": status,
            "examples": examples, "valid_examples": examples - 1, "seed": seed,
            "worst": None if worst is None else {"margin": worst, "tag": f"w{worst}"},
            "counterexample": None if ce is None else {"minimal": {"margin": ce, "tag": f"c{ce}"}},
            "float_artifacts": {"count": fa, "examples": [f"fa{seed}"] * fa},
            "unstable": {"count": 0, "examples": []}, "baselines": baselines or {}, "mutants": {"m": seed},
            "margins": [worst], "ratio_extreme": worst, "budget": {"examples": examples, "stopped_by": "examples"},
            "duration_s": 1.0}


def test_seeds_come_from_seedsequence_and_one_shard_is_the_seed_itself():
    assert shard_seeds(7, 1) == [7]
    kids = np.random.SeedSequence(7).spawn(3)
    assert shard_seeds(7, 3) == [int(k.generate_state(1, dtype=np.uint32)[0]) for k in kids]
    assert len(set(shard_seeds(7, 3))) == 3


def test_budget_splits_evenly():
    assert split_budget(10, 3) == [4, 3, 3] and sum(split_budget(1000, 7)) == 1000
    assert split_budget(None, 2) == [None, None]


def test_a_refutation_in_any_shard_refutes_and_the_minimal_counterexample_wins():
    m = merge_records([rec("survived", 0.5, seed=1), rec("refuted", -0.1, -0.1, seed=2),
                       rec("refuted", -0.3, -0.3, seed=3)])
    assert m["status"] == "refuted"
    assert m["counterexample"]["minimal"]["tag"] == "c-0.3"
    assert m["worst"]["tag"] == "w-0.3"
    assert m["examples"] == 30 and m["valid_examples"] == 27
    assert m["mutants"] == {"m": 1}  # shard 0 runs the mutants


def test_ties_go_to_the_lowest_shard_and_order_of_completion_does_not_matter():
    a, b = rec("refuted", -0.2, -0.2, seed=1), rec("refuted", -0.2, -0.2, seed=2)
    b["counterexample"]["minimal"]["tag"] = "second"
    assert merge_records([a, b])["counterexample"]["minimal"]["tag"] == "c-0.2"
    assert merge_records([b, a])["counterexample"]["minimal"]["tag"] == "second"  # shard order is the input order


def test_pooling_of_artifacts_and_baselines():
    b1 = {"zero": {"instances": 5, "met": 5, "meets_bound": True, "max_ratio": 0.2, "worst_ratio": 0.2,
                   "worst_rel_margin": 0.8, "error": None, "claim_failed_where_met": 2}}
    b2 = {"zero": {"instances": 5, "met": 4, "meets_bound": False, "max_ratio": 1.2, "worst_ratio": 1.2,
                   "worst_rel_margin": -0.2, "error": None, "claim_failed_where_met": 1}}
    r1, r2 = rec("survived", 0.5, fa=2, baselines=b1, seed=1), rec("survived", 0.4, fa=1, baselines=b2, seed=2)
    r1["equality_cases"], r2["equality_cases"] = 3, 4
    m = merge_records([r1, r2])
    assert m["equality_cases"] == 7 and m["baselines"]["zero"]["claim_failed_where_met"] == 3
    assert m["float_artifacts"]["count"] == 3 and m["float_artifacts"]["examples"] == ["fa1", "fa1", "fa2"]
    z = m["baselines"]["zero"]
    assert (z["instances"], z["met"], z["meets_bound"], z["max_ratio"]) == (10, 9, False, 1.2)
    assert m["status"] == "survived" and m["counterexample"] is None
    assert [s["seed"] for s in m["shards"]] == [1, 2]


def test_error_outranks_survived_but_not_refuted():
    assert merge_records([rec("survived", 1.0), rec("error")])["status"] == "error"
    assert merge_records([rec("error"), rec("refuted", -1.0, -1.0)])["status"] == "refuted"


def test_one_shard_is_unchanged():
    r = rec("survived", 0.5)
    assert merge_records([r]) is r

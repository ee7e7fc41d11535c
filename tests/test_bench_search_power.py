"""Smoke test of the search-power benchmark machinery (bench/search_power.py): 1 seed, tiny budgets.

Structural and logical facts only (no timing assertions, no claims about which method wins)."""

import importlib.util
import json
import math
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench" / "search_power.py"


@pytest.fixture(scope="module")
def sp():
    spec = importlib.util.spec_from_file_location("bench_search_power", BENCH)
    mod = importlib.util.module_from_spec(spec)
    sys.modules["bench_search_power"] = mod
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def claims(sp):
    return {c.id: c for c in sp.load_claims()}


def test_benchmark_claims_are_registered_with_honest_expectations(claims):
    false_ids = [i for i, c in claims.items() if c.expect == "refuted"]
    true_ids = [i for i, c in claims.items() if c.expect == "holds"]
    assert len(false_ids) >= 5 and len(true_ids) >= 5
    assert all(i.startswith("bench.") for i in claims)
    for c in claims.values():
        assert c.takes_ctx  # every claim can be confirmed in mpmath
        for name, s in c.inputs.items():
            assert getattr(s, "certify_contains", None) is not None, (c.id, name)  # refinement can move it


def test_false_claims_have_real_violations(claims):
    """A hand-built point in each rare region violates the claim in float64 (so 'refuted' is the truth)."""
    from certify.confirm import confirm, evaluate
    from certify.context import fp

    w = np.array([1.0, 1.13, 1.37, 0.89])
    c = np.array([0.0, 0.1, -0.17, 0.23])
    u = np.array([7.0, 7.0 - 0.31 + 1e-9, -8.0, -8.0, -8.0, -8.0])
    x_slab = np.array([0.9 * (1 - 1e-8), 0.0, 0.0])
    a = np.zeros((3, 3))
    a[0, 0] = 0.6
    points = {
        "bench.vertex_sum": {"x": np.ones(10)},
        "bench.vertex_sum_seeded": {"x": np.ones(24)},
        "bench.balance_quadratic": {"x": (0.05 - c) / w},
        "bench.softmax_tie": {"u": u},
        "bench.slab_contraction": {"x": x_slab},
        "bench.rank_one_max": {"A": a},
    }
    for cid, inst in points.items():
        claim = claims[cid]
        assert claim.check_assume(inst), cid
        for name, v in inst.items():
            assert claim.inputs[name].certify_contains(v), cid
        assert evaluate(claim, fp, inst).violated, cid
        assert confirm(claim, inst).status == "confirmed", cid


def test_certify_and_plain_runs_are_consistent(sp, claims):
    for cid in ("bench.vertex_sum_seeded", "bench.square_expansion"):
        claim = claims[cid]
        c = sp.run_certify(claim, "smoke", 0, examples=10, seconds=10.0)
        assert c["status"] in ("refuted", "survived", "inconclusive")
        assert c["detected"] == (c["status"] == "refuted")
        assert c["wall_s"] > 0 and c["examples"] >= c["valid_examples"] > 0
        if c["detected"]:
            assert c["min_rel"] < 0 and c["counterexample_confirmation"]["status"] == "confirmed"
        if c["refine_ran"]:
            assert c["refine_after"] <= c["refine_before"]  # refinement keeps the best margin seen
        p = sp.run_plain(claim, 0.3, 0)
        assert p["examples"] >= p["valid_examples"] >= 0
        assert p["detected"] == (p["violation_fp_margin"] is not None)
        if p["detected"]:
            assert p["violation_fp_margin"] < 0 and p["min_rel"] < 0
            assert p["violation_confirmation"] in ("confirmed", "holds", "equality", "unstable", "unavailable")
        if claim.expect == "holds":
            # float64 rounding only: confirmation must never call it a counterexample
            assert c["status"] != "refuted"
            if p["detected"]:
                assert p["violation_confirmation"] != "confirmed"


def test_summary_counts_follow_the_runs(sp, claims):
    claim = claims["bench.square_expansion"]
    runs = [{"seed": 0, "certify": sp.run_certify(claim, "smoke", 0, examples=10, seconds=10.0),
             "plain": sp.run_plain(claim, 0.2, 0)}]
    row = sp.summarize_claim(claim, runs)
    assert row["truth"] == "true" and row["seeds"] == 1
    assert row["plain"]["wrong_refutations"] == row["plain"]["detections"] == int(runs[0]["plain"]["detected"])
    assert row["certify"]["wrong_refutations"] == row["certify"]["detections"]
    assert 0 <= row["certify"]["detection_rate"] <= 1
    tot = sp.totals([row])
    assert tot["false_claim_runs"] == 0 and tot["true_claim_runs"] == 1
    assert tot["plain_wrong_refutations"] == row["plain"]["wrong_refutations"]


def test_quick_main_writes_strict_json_and_table(sp, tmp_path):
    out = tmp_path / "sp.json"
    assert sp.main(["--quick", "--claims", "bench.vertex_sum,bench.log_exp", "--out", str(out)]) == 0

    def no_constants(name):
        raise AssertionError(f"non-standard JSON constant {name}")

    data = json.loads(out.read_text(), parse_constant=no_constants)
    assert data["schema"] == "certify-bench-search-power/1"
    assert [r["id"] for r in data["claims"]] == ["bench.vertex_sum", "bench.log_exp"]
    assert data["config"]["seeds"] == [0] and data["config"]["profile"] == "smoke"
    assert "hypothesis" in data["machine"]["versions"]
    for r in data["claims"]:
        assert len(r["runs"]) == 1
        assert r["certify"]["detections"] == sum(run["certify"]["detected"] for run in r["runs"])
    md = out.with_suffix(".md").read_text()
    assert "`bench.vertex_sum`" in md and "`bench.log_exp`" in md
    assert not math.isnan(data["total_wall_s"])

"""bench/search_power_suites.py: the scoring of the plain_strategies / tight_constants suites (synthetic runs, no
search), and the claim tables the suites rely on."""

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def suites():
    sys.path.insert(0, str(ROOT / "bench"))
    spec = importlib.util.spec_from_file_location("bench_search_power_suites", ROOT / "bench" / "search_power_suites.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _run(detected, ratio=None):
    return {"detected": detected, "ratio": ratio}


def test_every_suite_claim_has_a_truth_or_a_sup_and_a_box(suites):
    CP = suites.CP
    ids = set(CP.TRUTH) | set(CP.KNOWN_SUP)
    assert not set(CP.TRUTH) & set(CP.KNOWN_SUP)
    assert ids <= set(CP.BOXES) and CP.HELDOUT <= set(CP.TRUTH)
    assert sum(1 for c in CP.TRUTH if c not in CP.HELDOUT) >= 12 and len(CP.KNOWN_SUP) >= 10


def test_held_out_claims_are_scored_apart_and_fractions_are_capped(suites):
    CP = suites.CP
    false_plain = next(c for c, t in CP.TRUTH.items() if not t and c not in CP.HELDOUT)
    true_held = next(c for c, t in CP.TRUTH.items() if t and c in CP.HELDOUT)
    tight = next(iter(CP.KNOWN_SUP))
    sup = CP.KNOWN_SUP[tight]

    def runs(make):
        return [{s: make(s, k) for s in suites.SEARCHERS} for k in range(3)]

    out = suites.summarize({
        false_plain: runs(lambda s, k: _run(s == "certify" or k == 0)),
        true_held: runs(lambda s, k: _run(s == "plain")),
        tight: runs(lambda s, k: _run(False, sup * (1.5 if s == "plain" else 0.995 if s == "certify" else 0.5))),
    })
    assert out["plain_strategies"]["certify"] == {"detected": 3, "runs": 3, "wrong_refutations": 0}
    assert out["plain_strategies"]["target"]["detected"] == 1
    assert out["heldout"]["plain"]["wrong_refutations"] == 3 and out["plain_strategies"]["plain"]["wrong_refutations"] == 0
    t = out["tight_constants"]
    assert t["plain"]["median_fraction"] == 1.0  # above the sup is float rounding: capped
    assert t["certify"]["reached_099"] == 1 and t["cmaes"]["reached_099"] == 0

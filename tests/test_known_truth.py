"""The known-truth suite of plain-strategy claims (tests/demo/plain_truth.py) through the real pipeline, at
smoke with one seed: no true claim is refuted or inconclusive (equality cases and float traps included), every
false claim is refuted. bench/known_truth.py runs the same suite at ci over 5 seeds."""

import plain_truth
import pytest

import certify


@pytest.mark.parametrize("claim_id", plain_truth.TRUE)
def test_true_claim_survives(claim_id):
    v = certify.check(claim_id, profile="smoke", seed=0)
    assert v.status == "survived", f"{claim_id}: {v.status}: {v.reason}"
    assert v.worst is None or v.worst.outcome.get("margin") is None or v.worst.outcome["margin"] >= 0, v.worst.outcome


def test_equality_cases_are_counted_where_the_claims_hold_with_equality():
    counts = {cid: certify.check(cid, profile="smoke", seed=0).equality_cases
              for cid in ("truth.exp_kernel_psd", "truth.gram_psd")}
    assert all(n >= 1 for n in counts.values()), counts


@pytest.mark.parametrize("claim_id", plain_truth.FALSE)
def test_false_claim_is_refuted(claim_id):
    v = certify.check(claim_id, profile="smoke", seed=0)
    assert v.status == "refuted", f"{claim_id}: {v.status}: {v.reason}"
    assert v.minimal.confirmation["status"] == "confirmed"


def test_the_suite_uses_plain_strategies_only():
    import inspect

    src = inspect.getsource(plain_truth)
    assert "certify.strategies" not in src and "from certify import strategies" not in src
    assert set(plain_truth.TRUE) | set(plain_truth.FALSE) == {c for fam in plain_truth.CASES.values() for c in fam}

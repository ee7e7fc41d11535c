"""The pipeline on claims whose truth is known (tests/demo/known_truth.py): every verdict is reachable."""

import known_truth  # noqa: F401  (registers the demo claims)
import numpy as np
import pytest

import certify


@pytest.fixture(scope="module")
def verdicts():
    ids = ["demo.softmax_sums_to_one", "demo.softmax_lipschitz", "demo.false_sum_bound", "demo.roundoff_equality",
           "demo.fast_only_false", "demo.raises", "demo.coin_true", "demo.coin_false"]
    return {cid: certify.check(cid, profile="smoke", seed=0) for cid in ids}


def test_true_identity_survives(verdicts):
    v = verdicts["demo.softmax_sums_to_one"]
    assert v.status == "survived"
    assert v.valid_examples >= 25
    assert v.counterexample is None


def test_false_bound_is_refuted_with_a_shrunk_confirmed_counterexample(verdicts):
    v = verdicts["demo.false_sum_bound"]
    assert v.status == "refuted" and v.as_expected
    x = v.minimal.instance["x"]
    assert np.sum(x) > 2.9  # really a counterexample
    assert v.minimal.confirmation["status"] == "confirmed"
    assert v.minimal.confirmation["margin_2dps"] < 0
    # shrinking drives the entries to the vertex of the box
    assert np.all(np.abs(x) == 1.0)


def test_roundoff_is_a_float_artifact_never_a_refutation(verdicts):
    v = verdicts["demo.roundoff_equality"]
    assert v.status == "survived"
    assert len(v.float_artifacts) > 0
    assert all(a["status"] in ("equality", "holds") for a in v.float_artifacts)


def test_fast_only_violation_is_unconfirmed(verdicts):
    v = verdicts["demo.fast_only_false"]
    assert v.status == "unconfirmed"
    assert np.max(v.minimal.instance["u"]) > 0.5


def test_raising_claim_is_an_error_with_traceback(verdicts):
    v = verdicts["demo.raises"]
    assert v.status == "error"
    assert "ZeroDivisionError" in v.error
    assert not v.as_expected
    # the one-line reason says where it raised and what to do (it gave the exception alone)
    assert v.counterexample.instance["k"] > 3
    assert f"raised at k={v.counterexample.instance['k']}" in v.reason and "assume=" in v.reason


def test_true_probability_claim_survives(verdicts):
    v = verdicts["demo.coin_true"]
    assert v.status == "survived"
    assert v.worst.trial_stats["failures"] == 0


def test_false_probability_claim_is_refuted_with_rate_and_trials(verdicts):
    v = verdicts["demo.coin_false"]
    assert v.status == "refuted" and v.as_expected
    stats = v.minimal.trial_stats
    assert stats["trials"] == 40
    assert stats["cp_low"] > 0.1
    assert v.minimal.instance["p"] > 0.3


def test_mutants_of_true_claims_are_all_refuted(verdicts):
    for cid in ("demo.softmax_sums_to_one", "demo.softmax_lipschitz"):
        v = verdicts[cid]
        assert v.status == "survived"
        assert v.mutants, cid
        assert all(m["killed"] and m["status"] == "refuted" for m in v.mutants.values()), v.mutants


def test_same_seed_same_verdict():
    a = certify.check("demo.false_sum_bound", profile="smoke", seed=3)
    b = certify.check("demo.false_sum_bound", profile="smoke", seed=3)
    assert a.status == b.status
    np.testing.assert_array_equal(a.minimal.instance["x"], b.minimal.instance["x"])
    assert a.examples == b.examples


def test_param_override_changes_the_verdict():
    v = certify.check("demo.false_sum_bound", profile="smoke", params={"c": 3.0})
    assert v.status == "survived"


def test_refinement_lowers_the_worst_margin():
    v = certify.check("demo.softmax_lipschitz", profile="smoke", seed=1)
    assert v.refinement["evals"] > 0
    assert v.refinement["after"] <= v.refinement["before"]


def test_scalar_evidence_series_share_a_plot():
    from hypothesis import strategies as st

    @certify.claim(id="evidence.shared_plot", inputs=dict(r=st.floats(0.01, 0.1)))
    def shared(ctx, r):
        return certify.le(r, 1.0, evidence={
            "a": {"x": r, "y": r / 2, "plot": "error vs r", "series": "half"},
            "b": {"x": r, "y": r / 3, "plot": "error vs r", "series": "third"}})

    v = certify.check("evidence.shared_plot", profile="smoke")
    plots = {p["name"]: p for p in v.plots}
    assert set(plots["error vs r"]["series"]) == {"half", "third"}
    assert len(plots["error vs r"]["series"]["half"]["x"]) == v.valid_examples


def test_scaling_claim_fits_the_exponent_and_runs_its_mutants():
    @certify.claim(id="evidence.scaling", kind="scaling", sweep={"n": [4, 8, 16, 32]}, expected_exponent=2.0,
                   exponent_bound=2.5, params=dict(power=2.0),
                   mutants=[certify.replace(power=3.0)])
    def quadratic(rng, n, power):
        return float(n) ** power * (1 + 0.01 * rng.uniform())

    v = certify.check("evidence.scaling", profile="smoke")
    assert v.status == "survived"
    assert abs(v.scaling["exponent"] - 2.0) < 0.05
    assert v.mutants["replace(power=3.0)"]["status"] == "refuted"


def test_a_delta_param_moves_the_probability_verdict():
    from hypothesis import strategies as st

    @certify.claim(id="evidence.delta_param", kind="probability", delta=0.1, trials=60,
                   inputs=dict(p=st.just(0.2)), params=dict(delta=0.5))
    def coin(ctx, rng, p, delta):
        return certify.ge(ctx.num(rng.uniform()), p)  # fails with probability 0.2

    assert certify.check("evidence.delta_param", profile="smoke").status == "survived"  # 0.2 < 0.5
    assert certify.check("evidence.delta_param", profile="smoke", params={"delta": 0.05}).status == "refuted"

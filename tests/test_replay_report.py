"""Every refutation of the committed sample report replays (issue 10): `certify replay` re-runs the saved
counterexample without Hypothesis and must reach the same status, the same float64 failure count and the same
confirmed margin (see certify.replay). ~1 minute in all: the probability claims re-run their 200 trials."""

from pathlib import Path

import pytest

from certify.replay import load_report, refuted_ids, replay_check

REPORT = Path(__file__).resolve().parent.parent / "reports"
pytestmark = pytest.mark.slow


def _refuted():
    return refuted_ids(load_report(REPORT))


def test_the_sample_report_has_refutations_to_replay():
    assert len(_refuted()) >= 5


@pytest.mark.parametrize("claim_id", _refuted())
def test_refutation_replays(claim_id):
    res = replay_check(str(REPORT), claim_id)
    assert res.label == "counterexample"
    assert "status" in res.checks
    assert res.reproduced, "\n".join(res.lines)

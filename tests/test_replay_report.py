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


def test_an_error_before_any_instance_has_nothing_to_replay_in_one_line(tmp_path, capsys):
    from certify.replay import replay
    from certify.runner import ReportWriter
    from certify.verdict import failure_record

    w = ReportWriter(tmp_path / "rep", {"profile": "smoke", "seed": 0, "versions": {}})
    w.add(failure_record("t.broken", status="error", reason="StopTest: 7", error="Traceback ...\nStopTest: 7",
                         seed=0, profile="smoke", reproduce="certify run t.broken"))
    w.write()
    assert replay(str(tmp_path / "rep"), "t.broken") == 1
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and "nothing to replay" in out[0] and "StopTest: 7" in out[0], out

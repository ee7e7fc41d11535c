"""The order of a run's tasks (certify.schedule): the longest known first, never a change of result."""

import json
import subprocess
import sys

from test_cli import strip_timing

from certify.runner import ReportWriter, Task
from certify.schedule import durations_file, load_durations, longest_first, record_durations


def _t(cid, shard=0):
    return Task(claim_id=cid, module="m", path="p", shard=shard)


def test_longest_first_puts_untimed_claims_first_then_the_longest():
    tasks = [_t("a"), _t("b"), _t("c"), _t("d"), _t("e")]
    known = {"a": 1.0, "b": 30.0, "d": 30.0, "e": 5.0}
    assert [t.claim_id for t in longest_first(tasks, known)] == ["c", "b", "d", "e", "a"]
    assert [t.claim_id for t in longest_first(tasks, {})] == ["a", "b", "c", "d", "e"]


def test_shards_of_one_claim_stay_together_in_their_order():
    tasks = [_t("a", 0), _t("a", 1), _t("b", 0), _t("b", 1)]
    out = longest_first(tasks, {"a": 1.0, "b": 9.0})
    assert [(t.claim_id, t.shard) for t in out] == [("b", 0), ("b", 1), ("a", 0), ("a", 1)]


def test_durations_round_trip_per_profile_and_a_bad_file_is_ignored(tmp_path, monkeypatch):
    monkeypatch.setenv("CERTIFY_STORAGE_DIRECTORY", str(tmp_path / "store"))
    assert load_durations("ci") == {}
    record_durations("ci", [{"id": "x", "duration_s": 2.5}, {"id": "y", "duration_s": None}])
    record_durations("smoke", [{"id": "x", "duration_s": 0.5}])
    record_durations("ci", [{"id": "z", "duration_s": 1}])
    assert load_durations("ci") == {"x": 2.5, "z": 1.0}
    assert load_durations("smoke") == {"x": 0.5}
    durations_file().write_text("{not json")
    assert load_durations("ci") == {}
    record_durations("ci", [{"id": "x", "duration_s": 3.0}])   # a broken cache is replaced, not an error
    assert load_durations("ci") == {"x": 3.0}
    durations_file().write_text(json.dumps({"ci": {"x": "slow", "y": -1, "z": 4}}))
    assert load_durations("ci") == {"z": 4.0}


def test_an_unwritable_store_is_not_an_error(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("CERTIFY_STORAGE_DIRECTORY", str(blocker / "store"))  # a folder under a file
    record_durations("ci", [{"id": "x", "duration_s": 1.0}])
    assert load_durations("ci") == {}


def _run(demo_path, report, cwd):
    return subprocess.run([sys.executable, "-m", "certify", "run", demo_path, "--no-default", "--profile", "smoke",
                           "--report", str(report), "--no-html", "--jobs", "1", "demo.softmax_sums_to_one",
                           "demo.false_sum_bound", "demo.roundoff_equality"],
                          capture_output=True, text=True, timeout=300, cwd=cwd)


def test_a_run_records_durations_and_the_next_starts_the_longest_first(tmp_path, monkeypatch, demo_path):
    monkeypatch.setenv("CERTIFY_STORAGE_DIRECTORY", str(tmp_path / "store"))
    r1 = _run(demo_path, tmp_path / "a", tmp_path)
    assert r1.returncode == 0, r1.stderr
    ids = {"demo.softmax_sums_to_one", "demo.false_sum_bound", "demo.roundoff_equality"}
    assert set(load_durations("smoke")) == ids
    first = [json.loads(line)["id"] for line in (tmp_path / "a" / "results.jsonl").read_text().splitlines()]
    # make the claim that ran last the longest, the first the shortest: the next run must reverse them
    fake = {cid: float(i) for i, cid in enumerate(first)}
    durations_file().write_text(json.dumps({"smoke": fake}))
    r2 = _run(demo_path, tmp_path / "b", tmp_path)
    assert r2.returncode == 0, r2.stderr
    second = [json.loads(line)["id"] for line in (tmp_path / "b" / "results.jsonl").read_text().splitlines()]
    assert second == first[::-1]
    a = json.dumps(strip_timing(json.loads((tmp_path / "a" / "report.json").read_text())), sort_keys=True)
    b = json.dumps(strip_timing(json.loads((tmp_path / "b" / "report.json").read_text())), sort_keys=True)
    assert a.replace(str(tmp_path / "a"), "DIR") == b.replace(str(tmp_path / "b"), "DIR")
    assert len(json.loads(a)["claims"]) == 3   # report.json rebuilt in full at the end of the run


def test_report_json_is_rebuilt_at_a_bounded_rate_and_in_full_by_write(tmp_path):
    from certify.verdict import failure_record

    w = ReportWriter(tmp_path, {"profile": "smoke", "seed": 0})
    for i in range(5):
        w.add(failure_record(f"t.c{i}", status="survived", reason="", error=None, seed=0, profile="smoke",
                             reproduce=""))
    # the first record is on disk at once; the next four came within a second of it
    assert len(json.loads((tmp_path / "report.json").read_text())["claims"]) == 1
    assert len((tmp_path / "results.jsonl").read_text().splitlines()) == 5   # every record is, always
    w.write()
    assert len(json.loads((tmp_path / "report.json").read_text())["claims"]) == 5

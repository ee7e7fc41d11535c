"""One writer per report directory, no silent loss of results, resume only with the same settings."""

import os
import subprocess
import sys

import pytest

import certify
from certify.reportdir import ReportLock, check_writable, previous_results, stale


def test_a_second_writer_fails_at_once_naming_the_holder(tmp_path):
    with ReportLock(tmp_path):
        code = ("import certify\nfrom certify.reportdir import ReportLock\n"
                f"try:\n    ReportLock({str(tmp_path)!r}).acquire()\nexcept certify.InvalidArgument as e:\n"
                "    print(e)\n")
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                             env={**os.environ})
        assert "is in use by pid" in out.stdout and str(os.getpid()) in out.stdout
    ReportLock(tmp_path).acquire().release()  # free again once released


def test_a_read_only_instances_folder_is_refused(tmp_path):
    (tmp_path / "instances").write_text("a file where the folder should be")
    with pytest.raises(certify.InvalidArgument, match="cannot write"):
        check_writable(tmp_path)


def test_results_are_never_deleted_silently(tmp_path):
    (tmp_path / "results.jsonl").write_text('{"id": "a"}\n')
    with pytest.raises(certify.InvalidArgument, match="--resume .* --overwrite"):
        previous_results(tmp_path, resume=False, overwrite=False)
    msg = previous_results(tmp_path, resume=False, overwrite=True)
    assert "moved to" in msg and not (tmp_path / "results.jsonl").exists()
    assert len(list(tmp_path.glob("results.jsonl.*.bak"))) == 1
    assert previous_results(tmp_path, resume=True, overwrite=False) is None


def test_resume_reruns_claims_whose_settings_changed():
    base = {"profile": "ci", "seed": 0, "budget_examples": None, "budget_seconds": None, "params": {"C": 1.0},
            "shards": 1}
    records = {"a": {"settings": base}, "b": {"settings": {**base, "params": {"C": 2.0}}}}
    diff = stale(records, {"a": base, "b": base, "c": base})
    assert list(diff) == ["b"] and "params" in diff["b"]
    assert stale(records, {"a": {**base, "seed": 1}}) == {"a": "seed: 0 then, 1 now"}

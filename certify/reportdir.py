"""A report directory has one writer at a time, never loses results silently, and resumes only like with like.

Contract:
- `ReportLock(dir)` takes an exclusive lock (`filelock`) on ``dir/.certify.lock`` for the whole run; a second
  run on the same directory fails at once with a one-line InvalidArgument naming the holder (pid, host,
  command, start time, written beside the lock).
- `check_writable(dir)` creates the directory and its `instances/` folder and proves both writable before
  any search runs.
- `settings_of(record)` is the part of a result that must match for `--resume` to reuse it: profile, seed,
  example and seconds budgets, params, shards. `stale(records, wanted)` lists the ids whose settings differ
  from the run's, so resume re-runs exactly those.
- `previous_results(dir, resume, overwrite)`: a run without `--resume` into a directory that has results
  refuses (one line: pass --resume or --overwrite); with `--overwrite` the old results are moved aside to
  ``results.jsonl.<timestamp>.bak`` and the message says where.
- `check_record(obj, where)` accepts a result record (a JSON object with a string `id` and `status`) and
  refuses anything else in one line; `load_report(dir)` reads ``dir/report.json`` for `html` and `replay`:
  not JSON, not a report, a record that is not a record, or an instance path outside the directory
  (`certify.paths.inside`) is an InvalidArgument, so nothing the report names outside it is ever read.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import socket
import sys
from pathlib import Path

from .errors import InvalidArgument

__all__ = ["ReportLock", "check_writable", "settings_of", "stale", "previous_results", "check_record",
           "load_report"]

SETTINGS = ("profile", "seed", "budget_examples", "budget_seconds", "params", "shards")


class ReportLock:
    def __init__(self, report_dir: str | Path):
        self.dir = Path(report_dir)
        self.path = self.dir / ".certify.lock"
        self.info = self.dir / ".certify.lock.json"
        self._lock = None

    def acquire(self):
        from filelock import FileLock, Timeout

        self.dir.mkdir(parents=True, exist_ok=True)
        self._lock = FileLock(str(self.path))
        try:
            self._lock.acquire(timeout=0)
        except Timeout:
            holder = "another certify run"
            try:
                h = json.loads(self.info.read_text())
                holder = f"pid {h.get('pid')} on {h.get('host')} since {h.get('started')} ({h.get('command')})"
            except (OSError, ValueError):
                pass
            raise InvalidArgument(f"--report: {str(self.dir)!r} is in use by {holder}; wait for it or pass "
                                  "another --report directory") from None
        self.info.write_text(json.dumps({
            "pid": os.getpid(), "host": socket.gethostname(), "command": " ".join(sys.argv),
            "started": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")}))
        return self

    def release(self):
        if self._lock is not None:
            try:
                self.info.unlink()
            except OSError:
                pass
            self._lock.release()
            self._lock = None

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc):
        self.release()


def check_writable(report_dir: str | Path) -> Path:
    d = Path(report_dir)
    for folder in (d, d / "instances"):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            probe = folder / ".certify-write-test"
            probe.write_text("")
            probe.unlink()
        except OSError as exc:
            raise InvalidArgument(f"--report: cannot write to {str(folder)!r} ({exc.strerror or exc}); pass a "
                                  "writable directory") from None
    return d


def settings_of(rec: dict) -> dict:
    s = rec.get("settings")
    if isinstance(s, dict):
        return {k: s.get(k) for k in SETTINGS}
    return {"profile": rec.get("profile"), "seed": rec.get("seed"), "budget_examples": None,
            "budget_seconds": None, "params": rec.get("params"), "shards": None}


def stale(records: dict, wanted: dict) -> dict:
    """{claim id: first differing setting} for the records whose settings differ from `wanted[id]`."""
    out = {}
    for cid, want in wanted.items():
        rec = records.get(cid)
        if rec is None:
            continue
        have = settings_of(rec)
        for k in SETTINGS:
            if have.get(k) != want.get(k):
                out[cid] = f"{k}: {have.get(k)!r} then, {want.get(k)!r} now"
                break
    return out


def previous_results(report_dir: str | Path, resume: bool, overwrite: bool) -> str | None:
    """Apply the no-silent-loss rule; return a message to print (or None)."""
    jsonl = Path(report_dir) / "results.jsonl"
    if resume or not jsonl.exists() or jsonl.stat().st_size == 0:
        return None
    if not overwrite:
        raise InvalidArgument(f"--report: {str(report_dir)!r} already holds results (results.jsonl); pass "
                              "--resume to continue that run or --overwrite to start afresh")
    stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    bak = jsonl.with_name(f"results.jsonl.{stamp}.bak")
    os.replace(jsonl, bak)
    return f"overwrite: the earlier results were moved to {bak}"


def check_record(rec, where: str) -> dict:
    if not isinstance(rec, dict):
        raise InvalidArgument(f"{where}: expected a result record (a JSON object), got {type(rec).__name__}; "
                              "the file is damaged or is not a certify report")
    for key in ("id", "status"):
        if not isinstance(rec.get(key), str) or not rec.get(key):
            raise InvalidArgument(f"{where}: a result record without a string {key!r}; the file is damaged or is "
                                  "not a certify report")
    return rec


def _instance_paths(obj, out: list) -> list:
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k in ("npz", "json") and v is not None:
                out.append(v)
            else:
                _instance_paths(v, out)
    elif isinstance(obj, list):
        for v in obj:
            _instance_paths(v, out)
    return out


def load_report(report_dir: str | Path) -> dict:
    """report.json of `report_dir`, checked: a report whose records are records and whose instance paths
    all lie inside the directory."""
    from .paths import inside

    rdir = Path(report_dir)
    path = rdir / "report.json"
    if not path.is_file():
        raise InvalidArgument(f"no report.json in {str(rdir)!r}; pass the directory given to `certify run --report`")
    try:
        path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidArgument(f"{path}: not valid JSON ({type(exc).__name__}); the report is damaged: run "
                              "`certify run --resume` on the directory to rebuild it from results.jsonl") from None
    from .report.jsonio import load_report as read_report

    report = read_report(path)  # strict JSON, non-finite numbers restored, certify-report/1 upgraded; else one line
    if not isinstance(report, dict) or not isinstance(report.get("claims"), list):
        raise InvalidArgument(f"{path}: not a certify report (no list of claims)")
    for i, rec in enumerate(report["claims"]):
        check_record(rec, f"{path}: claims[{i}]")
        for name in _instance_paths(rec, []):
            inside(rdir, name, f"{path}: claim {rec['id']!r}: instance file")
    return report

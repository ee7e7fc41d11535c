"""A run is a set of independent tasks (claim id x seed x budget). Each task is plain data, can be rebuilt in
another process from the claim's module and id, and returns plain data (a report record). Executors are a
seam: `SerialExecutor` (in-process), `ProcessExecutor` (local processes, isolation and timeouts); a
cluster engine (e.g. Dask distributed) only needs `submit(task) -> future of record`.

Results are appended to `results.jsonl` as each claim finishes and `report.json` is rebuilt from it (at a
bounded rate while the run lasts, and at its end), so an interrupted run keeps every finished claim and
`--resume` continues it.
"""

from __future__ import annotations

import json
import math
import multiprocessing
import os
import platform
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from .errors import InvalidArgument
from .report import jsonio
from .report.jsonio import SCHEMA

__all__ = ["Task", "run_task", "SerialExecutor", "ProcessExecutor", "ReportWriter", "read_results", "versions",
           "SCHEMA"]

TIMING_FIELDS = ("duration_s", "created_at", "finished_at", "wall_s", "time_split")


@dataclass
class Task:
    claim_id: str
    module: str
    path: str
    profile: str = "ci"
    seed: int = 0
    examples: int | None = None
    seconds: float | None = None
    params: dict = field(default_factory=dict)
    report_dir: str | None = None
    timeout: float | None = None
    shard: int = 0        # this task's stream of the claim's search (certify.shards)
    shards: int = 1
    shard_seed: int | None = None  # the stream's seed; None: `seed` itself
    tighten: bool = False  # also find the smallest safe constants (always with the certify profile)


def versions() -> dict:
    out = {"python": platform.python_version()}
    import importlib.metadata as md

    for pkg in ("certify", "numpy", "scipy", "numba", "mpmath", "sympy", "hypothesis"):
        try:
            out[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            out[pkg] = None
    return out


def _reproduce(task: Task) -> str:
    from .verdict import reproduce_command

    return reproduce_command(task.claim_id, task.module, task.path, task.profile, task.seed,
                             examples=task.examples, seconds=task.seconds, shards=task.shards, params=task.params)


def run_task(task: Task, progress: Callable | None = None):
    """Rebuild the claim, search it, save its instances, and return its report record (plain data)."""
    from .claim import get_claim, import_claim_home
    from .search import run_claim
    from .verdict import build_record

    t0 = time.perf_counter()
    import_claim_home(task.module, task.path)
    claim = get_claim(task.claim_id)
    if task.params:
        claim = claim.with_params(task.params)
    seed = task.seed if task.shard_seed is None else task.shard_seed
    v = run_claim(claim, task.profile, seed, examples=task.examples, seconds=task.seconds,
                  progress=progress, with_mutants=task.shard == 0)
    rec = build_record(claim, v, seed=task.seed, profile=task.profile, report_dir=task.report_dir,
                       reproduce=_reproduce(task), duration_s=round(time.perf_counter() - t0, 3),
                       stem_suffix=f"__shard{task.shard}" if task.shards > 1 else "")
    if task.shards > 1:
        rec["shard"] = {"index": task.shard, "of": task.shards, "seed": seed}
    rec["tighten"] = _tighten(claim, task) if task.shard == 0 else None
    return writable(rec, lambda reason: _failure_record(task, "error", reason, reason))


def record_problem(rec: dict, validate: bool | None = None) -> str | None:
    """Why `rec` cannot be written to the report (the field and the problem), or None when it can: it must
    serialise with `jsonio` (strict JSON) and, when `validate` (default: when writers validate,
    `jsonio.validate_on_write`), follow the schema's claim definition."""
    try:
        text = jsonio.dumps(rec)
    except jsonio.NotJSONData as exc:
        return f"field {exc.path or '/'} holds a {exc.kind} value {exc.text}, which is not JSON data"
    except (TypeError, ValueError, RecursionError) as exc:
        return f"{type(exc).__name__}: {str(exc)[:300]}"
    if jsonio.validate_on_write() if validate is None else validate:
        import jsonschema

        try:
            jsonio.validate_record(json.loads(text), encoded=True)
        except jsonschema.ValidationError as exc:
            where = "/" + "/".join(str(p) for p in exc.absolute_path)
            return f"field {where} does not follow the report schema: {exc.message[:300]}"
    return None


def _serialises(value) -> bool:
    try:
        jsonio.dumps({"v": value})
    except (TypeError, ValueError, RecursionError):
        return False
    return True


def writable(rec: dict, replacement: Callable[[str], dict], validate: bool | None = None) -> dict:
    """`rec` if it can be written to the report; else the `error` record `replacement(reason)`, whose reason
    names the field and the problem (a result that cannot be written must not take the run down)."""
    problem = record_problem(rec, validate)
    if problem is None:
        return rec
    reason = (f"certify could not write this claim's result to the report: {problem} (a certify bug: please "
              "report it with the claim; the verdict is lost)")
    out = replacement(reason)
    if record_problem(out, validate) is not None:
        # the claim's own summary (e.g. a param) is what cannot be written: keep the fields that can be
        out = {**{k: v for k, v in out.items() if _serialises(v)}, "id": str(rec.get("id")), "status": "error",
               "reason": reason, "error": reason, "as_expected": bool(out.get("as_expected", False))}
    return out


def _tighten(claim, task: Task):
    """The claim's smallest safe constants (`certify.tighten.tighten_records`), in the claim's own task,
    when asked for (`--tighten`) or under the certify profile; None otherwise."""
    if not (task.tighten or task.profile == "certify"):
        return None
    from .tighten import tighten_records

    return tighten_records(claim, task.profile, task.seed)


def shard_tasks(task: Task, shards: int) -> list[Task]:
    """The task split into `shards` seed streams (certify.shards); one shard is the task itself."""
    from dataclasses import replace

    from .shards import shard_seeds, split_budget

    if shards == 1:
        return [task]
    if task.examples is None:
        from .profiles import get_profile

        examples = get_profile(task.profile).examples
    else:
        examples = task.examples
    return [replace(task, shard=i, shards=shards, shard_seed=s, examples=n)
            for i, (s, n) in enumerate(zip(shard_seeds(task.seed, shards), split_budget(examples, shards), strict=True))]


def merge_shards(records: Iterator[dict], shards: int) -> Iterator[dict]:
    """Yield one merged record per claim once all of its shards have arrived (in any order)."""
    from .shards import merge_records

    if shards == 1:
        yield from records
        return
    pending: dict[str, dict[int, dict]] = {}
    for rec in records:
        idx = (rec.get("shard") or {}).get("index", 0)
        got = pending.setdefault(rec["id"], {})
        got[idx] = rec
        if len(got) == shards:
            merged = merge_records([got[i] for i in range(shards)])
            merged.pop("shard", None)
            merged["seed"] = rec.get("seed")
            del pending[rec["id"]]
            yield merged


def _worker(task: Task, conn, parent_pid: int):
    from .procs import die_with_parent

    die_with_parent(parent_pid)
    try:
        def progress(cid, n, worst):
            conn.send(("progress", cid, n, worst))

        rec = run_task(task, progress)
        conn.send(("done", rec))
    except BaseException as exc:  # noqa: BLE001 - everything goes back to the parent as data
        conn.send(("failed", f"{type(exc).__name__}: {exc}",
                   "".join(traceback.format_exception(type(exc), exc, exc.__traceback__, limit=12))))
    finally:
        conn.close()


def _failure_record_of(rec: dict, reason: str) -> dict:
    """The `error` record that replaces `rec` (a record that cannot be written), from what it says of itself."""
    from .verdict import failure_record

    seed = rec.get("seed")
    return failure_record(str(rec.get("id")), status="error", reason=reason, error=reason,
                          seed=seed if isinstance(seed, int) else 0, profile=str(rec.get("profile")),
                          reproduce=str(rec.get("reproduce")))


def _failure_record(task: Task, status: str, reason: str, error: str | None = None) -> dict:
    from .verdict import failure_record

    return failure_record(task.claim_id, status=status, reason=reason, error=error, seed=task.seed,
                          profile=task.profile, reproduce=_reproduce(task))


class SerialExecutor:
    """Runs tasks one after the other in this process (no isolation from hangs; used by the pytest plugin)."""

    def run(self, tasks: list[Task], progress: Callable | None = None) -> Iterator[dict]:
        for t in tasks:
            try:
                yield run_task(t, progress)
            except Exception as exc:  # noqa: BLE001
                yield _failure_record(t, "error", f"{type(exc).__name__}: {exc}", traceback.format_exc())


class ProcessExecutor:
    """Runs each task in its own forked process, `jobs` at a time, killing a task past its timeout."""

    def __init__(self, jobs: int = 1):
        if not isinstance(jobs, int) or jobs < 1:
            raise InvalidArgument(f"--jobs: bad value {jobs!r}; pass a positive integer")
        self.jobs = jobs
        methods = multiprocessing.get_all_start_methods()
        self.mp = multiprocessing.get_context("fork" if "fork" in methods else "spawn")

    def run(self, tasks: list[Task], progress: Callable | None = None,
            on_start: Callable | None = None) -> Iterator[dict]:
        """Yield each task's record as it finishes. `on_start(task, started)` is told when a task's process
        starts (monotonic seconds); its timeout counts from then. Closing the generator (or an exception in
        the caller, e.g. SIGTERM turned into one) kills every running worker."""
        running: dict = {}
        try:
            yield from self._run(list(tasks), running, progress, on_start)
        finally:
            for _t, p, _start in running.values():
                if p.is_alive():
                    p.kill()
            for _t, p, _start in running.values():
                p.join(5)

    def _run(self, pending, running, progress, on_start):
        from multiprocessing.connection import wait

        from .procs import describe_exit

        while pending or running:
            while pending and len(running) < self.jobs:
                t = pending.pop(0)
                parent, child = self.mp.Pipe(duplex=False)
                p = self.mp.Process(target=_worker, args=(t, child, os.getpid()), daemon=True)
                p.start()
                child.close()
                running[parent] = (t, p, time.monotonic())
                if on_start:
                    on_start(t, running[parent][2])
            ready = wait(list(running), timeout=0.5)
            for conn in ready:
                t, p, _start = running[conn]
                try:
                    msg = conn.recv()
                except EOFError:
                    p.join(1)
                    del running[conn]
                    yield _failure_record(t, "error", f"worker process died ({describe_exit(p.exitcode)})")
                    continue
                if msg[0] == "progress":
                    if progress:
                        progress(*msg[1:])
                    continue
                del running[conn]
                p.join(5)
                if msg[0] == "done":
                    yield msg[1]
                else:
                    yield _failure_record(t, "error", msg[1], msg[2])
            now = time.monotonic()
            for conn, (t, p, start) in list(running.items()):
                limit = t.timeout or 600.0
                if now - start > limit:
                    p.kill()
                    p.join(5)
                    del running[conn]
                    yield _failure_record(t, "inconclusive", f"timed out after {limit:.0f} s (hard limit; "
                                          "the claim hangs or its budget is too large for the profile)")


def read_results(jsonl: Path) -> tuple[dict[str, dict], bool]:
    """{id: record} from a results.jsonl (later lines win), and whether a cut-short last line was dropped.
    Anything that is not a record (random bytes, `[1, 2, 3]`, a record without id/status) is an
    InvalidArgument naming the file and line."""
    from .reportdir import check_record

    raw = jsonl.read_bytes()
    lines = raw.split(b"\n")
    records: dict[str, dict] = {}
    cut = False
    for i, line in enumerate(lines, 1):
        if not line.strip():
            continue
        last = i == len(lines)  # no newline after it: the line an interrupted append leaves
        try:
            rec = jsonio.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            if last:
                cut = True
                continue
            raise InvalidArgument(f"{jsonl}:{i}: not a JSON line ({type(exc).__name__}); the file is damaged: "
                                  "move it aside, or pass --overwrite instead of --resume to start afresh") from None
        check_record(rec, f"{jsonl}:{i}")
        records[rec["id"]] = rec
    return records, cut


class ReportWriter:
    """Owns a report directory: appends records as they finish, rewrites report.json atomically.

    Earlier results are never dropped silently: without `resume` a directory holding results is refused
    unless `overwrite` (then they are moved aside and `notes` says where, `certify.reportdir`). With `resume`
    every record is read back strictly: a line that is not a result record is an error naming the file and
    line, except a last line cut short by an interruption, which is dropped and noted.
    """

    def __init__(self, report_dir: str | Path, meta: dict, resume: bool = False, overwrite: bool = False):
        from .reportdir import check_writable, previous_results

        self.dir = Path(report_dir)
        check_writable(self.dir)
        self.jsonl = self.dir / "results.jsonl"
        self.meta = meta
        self.records: dict[str, dict] = {}
        self.notes: list[str] = []
        # report.json is rebuilt from every record (a quarter second at 140 claims), and the run's workers share
        # the machine with it: rebuilt after a claim only once the last rebuild is 20 of its own durations old
        self._written_at, self._write_cost = -math.inf, 0.0
        if resume and self.jsonl.exists():
            self.records, cut = read_results(self.jsonl)
            if cut:
                self.notes.append(f"resume: dropped the last line of {self.jsonl} (cut short by an interruption)")
            self._rewrite_jsonl()
        else:
            moved = previous_results(self.dir, resume, overwrite)
            if moved:
                self.notes.append(moved)

    def _rewrite_jsonl(self):
        tmp = self.jsonl.with_suffix(".tmp")
        with open(tmp, "w") as fh:
            for rid in sorted(self.records):
                fh.write(jsonio.dumps(self.records[rid]) + "\n")
        os.replace(tmp, self.jsonl)

    def done_ids(self) -> set[str]:
        return set(self.records)

    def add(self, rec: dict) -> None:
        # workers check their records (`run_task`); one that still does not serialise becomes an error record
        # instead of ending the run. Validation (the test suite) still fails the run that wrote a bad record.
        rec = writable(rec, lambda reason: _failure_record_of(rec, reason), validate=False)
        if jsonio.validate_on_write():
            jsonio.validate_record(rec)  # before it reaches the disk
        self.records[rec["id"]] = rec
        with open(self.jsonl, "a") as fh:
            fh.write(jsonio.dumps(rec) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        if time.monotonic() - self._written_at >= max(1.0, 20 * self._write_cost):
            self.write()

    def report(self) -> dict:
        from .verdict import report_document

        return report_document(self.meta, self.records.values())

    def write(self) -> Path:
        """Rebuild report.json from every record now (`add` does it at a bounded rate; call at the end)."""
        t0 = time.monotonic()
        path = self.dir / "report.json"
        tmp = path.with_suffix(".tmp")
        report = self.report()
        if jsonio.validate_on_write():
            jsonio.validate_report(report, claims=False)  # each record was validated by add()
        with open(tmp, "w") as fh:
            jsonio.dump(report, fh, indent=1, lead=jsonio.REPORT_LEAD)
            fh.write("\n")
        os.replace(tmp, path)
        self._written_at, self._write_cost = time.monotonic(), time.monotonic() - t0
        return path

"""pytest adapter: `pytest --certify` collects every registered claim as a test item.

A thin layer over `certify.runner`: users' own `@certify.claim` functions in their test files are collected
in place (node id `FILE::certify::<id>`), and the bundled catalogue (`theorems`) is added at session level
(node id `certify::<id>`) when pytest runs on folders; both kinds of node id can be passed to select claims,
and `-k`/`-m` see the catalogue items. An item fails when its verdict is not as expected (an unexpected
refutation or survival, an error, or an inconclusive search unless the claim expects it or
`--certify-allow-inconclusive`); the failure shows the counterexample and the reproduce/replay commands.
JUnit XML gets a one-line summary per claim (`certify_summary`), not the whole record.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .report import jsonio


def pytest_addoption(parser):
    g = parser.getgroup("certify", "certify: claims as tests")
    g.addoption("--certify", action="store_true", help="collect registered certify claims as test items")
    g.addoption("--certify-profile", default="smoke", help="search profile: smoke | ci | certify (default smoke)")
    g.addoption("--certify-seed", type=int, default=0, help="search seed (default 0)")
    g.addoption("--certify-report", default=None, metavar="DIR", help="write report.json (and HTML) to DIR")
    g.addoption("--certify-select", action="append", default=[], metavar="PATTERN",
                help="only claims whose id matches this glob (repeatable)")
    g.addoption("--certify-no-catalogue", action="store_true",
                help="collect only claims defined in test files, not the bundled theorems package")
    g.addoption("--certify-allow-inconclusive", action="store_true",
                help="an inconclusive claim passes (by default it fails: the search decided nothing)")


def _enabled(config) -> bool:
    return bool(config.getoption("--certify", default=False))


def pytest_configure(config):
    config.addinivalue_line("markers", "certify: a certify claim collected as a test")
    if not _enabled(config):
        return
    from .profiles import get_profile

    try:
        get_profile(config.getoption("--certify-profile"))
    except Exception as exc:  # noqa: BLE001
        raise pytest.UsageError(str(exc)) from None
    rdir = config.getoption("--certify-report")
    if rdir and Path(rdir).exists() and not Path(rdir).is_dir():
        raise pytest.UsageError(f"--certify-report: {rdir!r} is a file; pass a directory for report.json "
                                "and the instances")
    if config.getoption("--certify-seed") < 0:
        raise pytest.UsageError(f"--certify-seed: bad value {config.getoption('--certify-seed')}; pass a "
                                "non-negative integer")
    # catalogue node ids (`certify::<id>`, as the run prints them) name no file: take them out of the
    # arguments before pytest looks for a file called "certify", and select those claims
    picked = [a for a in config.args if a.startswith(f"{CATALOGUE}::")]
    if picked:
        config.args[:] = [a for a in config.args if a not in picked]
        config._certify_nodeids = {a.split("::", 1)[1] for a in picked}
    # Under pytest-xdist only the controller collects records (workers send them in user_properties)
    if not hasattr(config, "workerinput"):
        config.pluginmanager.register(_CertifySession(config), "certify-session")


def _selected(config, cid: str) -> bool:
    import fnmatch

    pats = config.getoption("--certify-select")
    return not pats or any(fnmatch.fnmatchcase(cid, p) for p in pats)


CATALOGUE = "certify"  # the collector of claims: node ids are `<file>::certify::<id>` and `certify::<id>`


class ClaimGroup(pytest.Collector):
    """The `certify` node holding claims, so `FILE::certify::ID` and `certify::ID` are node ids pytest can
    select (an item name with `::` in it cannot be matched)."""

    def __init__(self, *, claim_ids: list[str], **kwargs):
        super().__init__(**kwargs)
        self.claim_ids = claim_ids

    def collect(self):
        return [ClaimItem.from_parent(self, name=cid, claim_id=cid) for cid in self.claim_ids]


def pytest_pycollect_makeitem(collector, name, obj):
    rec = getattr(obj, "__certify_claim__", None)
    if rec is None or not _enabled(collector.config):
        if rec is not None:
            return []  # a claim function is not a plain test: never let pytest call it with fixtures
        return None
    if not _selected(collector.config, rec.id):
        return []
    return [ClaimGroup.from_parent(collector, name=CATALOGUE, claim_ids=[rec.id])]


@pytest.hookimpl(tryfirst=True)  # before -k/-m deselect, so they see (and count) the catalogue items
def pytest_collection_modifyitems(session, config, items):
    if not _enabled(config) or config.getoption("--certify-no-catalogue"):
        return
    from .claim import discover, registry
    from .registry import in_catalogue

    picked = getattr(config, "_certify_nodeids", None)
    if picked is None and not _collects_whole_session(config):
        return  # the user named files or node ids: only those
    discover()
    if picked:
        unknown = sorted(picked - set(registry()))
        if unknown:
            raise pytest.UsageError(f"no catalogue claim {', '.join(unknown)}; `certify list` shows the ids")
    present = {getattr(i, "claim_id", None) for i in items}
    ids = [cid for cid in sorted(registry()) if cid not in present and in_catalogue(registry()[cid].module)
           and _selected(config, cid) and (picked is None or cid in picked)]
    if ids:
        group = ClaimGroup.from_parent(session, name=CATALOGUE, nodeid=CATALOGUE, claim_ids=ids)
        found = group.collect()
        # reported like any collected node, so "N tests collected" (and -k's "deselected") count them
        session.ihook.pytest_collectreport(report=pytest.CollectReport(group.nodeid, "passed", None, found))
        items.extend(found)


def _collects_whole_session(config) -> bool:
    """True when pytest runs on folders (or nothing named), not on chosen files or node ids."""
    import os

    return all("::" not in a and (os.path.isdir(a.split("::")[0]) or not a) for a in config.args)


class CertifyFailure(Exception):
    pass


RECORD = "certify_record"


def junit_summary(rec: dict) -> str:
    """One line per claim for JUnit XML: status, expectation, examples, worst margin, reason, reproduce."""
    worst = (rec.get("worst") or {}).get("rel_margin")
    parts = [f"{rec['id']}: {rec['status']} (expected {rec.get('expected')})", f"examples {rec.get('examples', 0)}",
             f"worst rel margin {worst}", str(rec.get("reason") or "")[:300], f"reproduce: {rec.get('reproduce')}"]
    return "; ".join(p for p in parts if p)


class ClaimItem(pytest.Item):
    def __init__(self, *, claim_id: str, **kwargs):
        super().__init__(**kwargs)
        self.claim_id = claim_id
        self.record = None
        self.add_marker("certify")

    def runtest(self):
        from .claim import get_claim
        from .runner import ProcessExecutor, Task

        claim = get_claim(self.claim_id)
        rdir = self.config.getoption("--certify-report")
        task = Task(claim_id=claim.id, module=claim.module, path=claim.path,
                    profile=self.config.getoption("--certify-profile"), seed=self.config.getoption("--certify-seed"),
                    report_dir=str(Path(rdir).resolve()) if rdir else None)
        from .profiles import get_profile

        # each claim in its own process, killed past the profile's hard limit: a hanging claim cannot
        # hang the test session
        task.timeout = get_profile(task.profile).timeout
        rec = next(iter(ProcessExecutor(jobs=1).run([task])))
        self.record = rec
        self.user_properties.append(("certify_status", rec["status"]))
        # the whole record rides on the call report to the controller (pytest-xdist); `teardown` swaps it
        # for a summary before the teardown report, which is what JUnit XML writes
        self.user_properties.append((RECORD, jsonio.dumps(rec)))
        allowed = rec["status"] == "inconclusive" and self.config.getoption("--certify-allow-inconclusive")
        if not rec.get("as_expected", True) and not allowed:
            raise CertifyFailure(rec)

    def teardown(self):
        self.user_properties[:] = [(k, v) for k, v in self.user_properties if k != RECORD]
        if self.record is not None:
            self.user_properties.append(("certify_summary", junit_summary(self.record)))

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, CertifyFailure):
            rec = excinfo.value.args[0]
            lines = [f"{rec['id']}: {rec['status']} (expected {rec.get('expected')})", f"  {rec.get('reason', '')}"]
            ce = rec.get("counterexample") or {}
            minimal = ce.get("minimal") if ce else None
            if minimal:
                lines.append(f"  counterexample margin {minimal.get('margin')!r}, ratio {minimal.get('ratio')!r}")
                summary = (minimal.get("instance") or {}).get("summary")
                if summary:
                    lines.append("  instance: " + json.dumps(summary, sort_keys=True)[:1500])
            if rec.get("error"):
                lines.append(rec["error"])
            lines.append(f"  reproduce: {rec.get('reproduce')}")
            if rec.get("replay") and "REPORT_DIR" not in rec.get("replay", ""):
                lines.append(f"  replay:    {rec['replay']}")
            return "\n".join(lines)
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, None, f"certify {self.claim_id}"


class _CertifySession:
    """The controller's side of a `pytest --certify` session: records, the report writer, the summary."""

    def __init__(self, config):
        self.config = config
        self.records: list[dict] = []
        self.writer = None
        rdir = config.getoption("--certify-report")
        self.lock = None
        self.notes: list[str] = []
        if rdir:
            from .errors import CertifyError
            from .reportdir import ReportLock
            from .runner import ReportWriter, versions

            try:
                self.lock = ReportLock(rdir).acquire()
                # earlier results are moved aside (and the summary says where), never deleted
                self.writer = ReportWriter(rdir, {"profile": config.getoption("--certify-profile"),
                                                  "seed": config.getoption("--certify-seed"), "versions": versions(),
                                                  "budget": None, "seconds": None}, overwrite=True)
            except (CertifyError, OSError) as exc:
                if self.lock is not None:
                    self.lock.release()
                raise pytest.UsageError(f"--certify-report: {exc}") from None
            self.notes = self.writer.notes

    def pytest_unconfigure(self, config):
        if self.lock is not None:
            self.lock.release()
            self.lock = None

    def pytest_runtest_logreport(self, report):
        if report.when != "call":
            return
        for name, value in getattr(report, "user_properties", ()):
            if name == RECORD:
                rec = jsonio.loads(value)
                self.records.append(rec)
                if self.writer is not None:
                    self.writer.add(rec)  # on disk as each claim finishes

    def pytest_terminal_summary(self, terminalreporter):
        config, tr = self.config, terminalreporter
        if not self.records:
            if config.getoption("--certify-select"):
                tr.write_line("certify: no claim matched --certify-select "
                              f"{' '.join(config.getoption('--certify-select'))}", yellow=True)
            return
        from .verdict import status_counts

        counts = status_counts(self.records)
        tr.section("certify")
        for note in self.notes:
            tr.write_line(note)
        tr.write_line(", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) + f"  ({len(self.records)} claims)")
        if self.writer is not None:
            path = self.writer.write()
            html = None
            try:
                from .report import html as html_mod

                html = html_mod.render_dir(self.writer.dir)
            except Exception:  # noqa: BLE001 - the JSON report is the source of truth
                html = None
            tr.write_line(f"report: {path}" + (f"  html: {html}" if html else ""))

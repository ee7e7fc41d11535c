"""pytest adapter: `pytest --certify` collects every registered claim as an item `certify::<id>`.

A thin layer over `certify.runner`: users' own `@certify.claim` functions in their test files are collected
in place (as items of that module), and the bundled catalogue (`theorems`) is added at session level.
An item fails when its verdict is not as expected (an unexpected refutation, or an error); the failure
shows the counterexample and the replay command.
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
    # Under pytest-xdist only the controller collects records (workers send them in user_properties)
    if not hasattr(config, "workerinput"):
        config.pluginmanager.register(_CertifySession(config), "certify-session")


def _selected(config, cid: str) -> bool:
    import fnmatch

    pats = config.getoption("--certify-select")
    return not pats or any(fnmatch.fnmatchcase(cid, p) for p in pats)


def pytest_pycollect_makeitem(collector, name, obj):
    rec = getattr(obj, "__certify_claim__", None)
    if rec is None or not _enabled(collector.config):
        if rec is not None:
            return []  # a claim function is not a plain test: never let pytest call it with fixtures
        return None
    if not _selected(collector.config, rec.id):
        return []
    return [ClaimItem.from_parent(collector, name=f"certify::{rec.id}", claim_id=rec.id)]


def pytest_collection_modifyitems(session, config, items):
    if not _enabled(config) or config.getoption("--certify-no-catalogue"):
        return
    from .claim import discover, registry

    discover()
    present = {getattr(i, "claim_id", None) for i in items}
    for cid in sorted(registry()):
        rec = registry()[cid]
        if cid in present or not rec.module.startswith("theorems") or not _selected(config, cid):
            continue
        items.append(ClaimItem.from_parent(session, name=f"certify::{cid}", claim_id=cid))


class CertifyFailure(Exception):
    pass


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
        self.user_properties.append(("certify_record", jsonio.dumps(rec)))
        if not rec.get("as_expected", True):
            raise CertifyFailure(rec)

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
        if rdir:
            from .runner import ReportWriter, versions

            self.writer = ReportWriter(rdir, {"profile": config.getoption("--certify-profile"),
                                              "seed": config.getoption("--certify-seed"), "versions": versions(),
                                              "budget": None, "seconds": None})

    def pytest_runtest_logreport(self, report):
        if report.when != "call":
            return
        for name, value in getattr(report, "user_properties", ()):
            if name == "certify_record":
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

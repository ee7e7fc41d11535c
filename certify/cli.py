"""The `certify` command: list, show, run, replay, html, tighten, warmup.

Exit codes (`EXIT_CODES`, the README's table is checked against it): 0 every claim as expected; 1 a claim
not as expected (an unexpected refutation or survival, an inconclusive search or an error; a replay that
does not reproduce); 2 a usage error (one line on stderr, never a traceback); 130 interrupted (Ctrl-C or
SIGTERM; the workers are killed and the finished claims stay in the report).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import sys
import time
from pathlib import Path

from .errors import CertifyError, InvalidArgument

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
EXIT_CODES = {
    EXIT_OK: "every claim as expected (a replay: the counterexample reproduced)",
    EXIT_FAILED: "a claim not as expected: an unexpected refutation or survival, an inconclusive search or an "
                 "error (unless the claim says expect=\"inconclusive\" or --allow-inconclusive is given); a "
                 "replay that does not reproduce",
    EXIT_USAGE: "a usage error: a bad argument, a damaged or tampered report, a claim file that does not "
                "import, a report directory in use or not writable (one line on stderr)",
    EXIT_INTERRUPTED: "interrupted (Ctrl-C, SIGTERM): the workers are killed, finished claims are kept "
                      "(continue with --resume)",
}

STATUS_MARK = {"survived": "ok", "refuted": "REFUTED", "unconfirmed": "unconfirmed", "inconclusive": "?",
               "error": "ERROR"}


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2
        self.exit(2, f"certify: error: {message} (see `certify {self.prog.split()[-1]} --help`)\n"
                  if " " in self.prog else f"certify: error: {message} (see `certify --help`)\n")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="certify", description="Certify the claims of papers on attention: search for "
                "counterexamples, confirm them in high precision, measure tightness, report.")
    p.add_argument("--version", action="store_true", help="print the version and exit")
    sub = p.add_subparsers(dest="command", parser_class=_Parser)

    ls = sub.add_parser("list", help="list registered claims (optionally matching glob patterns)")
    ls.add_argument("targets", nargs="*", help="id patterns (globs) or module files/folders")

    sh = sub.add_parser("show", help="show one claim: statement, source, params, mutants, theorem card")
    sh.add_argument("targets", nargs="+", metavar="[FILE ...] ID",
                    help="module files/folders to load (optional), then the claim id")
    sh.add_argument("--paths", nargs="*", default=[], help=argparse.SUPPRESS)

    run = sub.add_parser("run", help="search claims and write a report")
    run.add_argument("targets", nargs="*", help="id patterns (globs, e.g. 'gao2023.*') and/or module files/folders")
    run.add_argument("--profile", default="ci", help="smoke | ci | certify (default ci)")
    run.add_argument("--seed", type=int, default=0)
    run.add_argument("--budget", type=int, default=None, help="examples per claim (overrides the profile)")
    run.add_argument("--seconds", type=float, default=None, help="wall-clock budget per claim")
    run.add_argument("--report", default=None, help="report directory (default runs/<profile>-seed<seed>)")
    run.add_argument("--jobs", type=int, default=1, help="claims run in parallel processes")
    run.add_argument("--param", action="append", default=[], metavar="ID:NAME=VALUE",
                     help="override a claim parameter (repeatable)")
    run.add_argument("--resume", action="store_true",
                     help="continue a run in --report: reuse finished claims run with the same settings")
    run.add_argument("--overwrite", action="store_true",
                     help="start afresh in a --report that holds results (they are moved aside, not deleted)")
    run.add_argument("--allow-inconclusive", action="store_true",
                     help="an inconclusive claim does not fail the run (exit 0)")
    run.add_argument("--tighten", action="store_true",
                     help="also find each claim's smallest safe constants (always on with --profile certify)")
    run.add_argument("--timeout", type=float, default=None,
                     help="hard limit per claim in seconds (default: the profile's; the claim is killed and "
                          "reported inconclusive)")
    run.add_argument("--no-default", action="store_true", help="do not load the bundled theorems package")
    run.add_argument("--html", action="store_true", default=True, help=argparse.SUPPRESS)
    run.add_argument("--no-html", dest="html", action="store_false", help="skip the HTML report")
    run.add_argument("--quiet", action="store_true", help="no progress lines")
    run.add_argument("--executor", choices=["local", "dask", "dask-local"], default="local",
                     help="local processes (default), an existing Dask cluster, or a LocalCluster for this run")
    run.add_argument("--scheduler", default=None, help="Dask scheduler address, with --executor dask")
    run.add_argument("--workers", type=int, default=None, help="LocalCluster workers, with --executor dask-local")
    run.add_argument("--shards", type=int, default=1, help="split each claim's search into K seed streams")

    tg = sub.add_parser("tighten", help="smallest (or largest) param value with no violation found")
    tg.add_argument("targets", nargs="*", help="module files/folders to load, then the claim id (last)")
    tg.add_argument("--param", required=True, help="the numeric param to tighten")
    tg.add_argument("--lo", type=float, default=None)
    tg.add_argument("--hi", type=float, default=None)
    tg.add_argument("--direction", choices=["smallest", "largest"], default=None,
                    help="default: the claim's declared direction, else smallest")
    tg.add_argument("--steps", type=int, default=6, help="bisections once the edge is bracketed")
    tg.add_argument("--profile", default="ci")
    tg.add_argument("--seed", type=int, default=0)
    tg.add_argument("--json", action="store_true", help="print the result as JSON")

    rp = sub.add_parser("replay", help="re-evaluate a saved counterexample or worst instance (no Hypothesis)")
    rp.add_argument("report_dir")
    rp.add_argument("targets", nargs="+", metavar="[FILE ...] ID",
                    help="the claim id; a claim defined outside the catalogue needs its module file named first")
    rp.add_argument("--which", default="auto", choices=["auto", "counterexample", "worst"])

    wu = sub.add_parser("warmup", help="compile the numba kernels ahead of time")
    wu.add_argument("--quiet", action="store_true")

    ht = sub.add_parser("html", help="render report.html from a report.json")
    ht.add_argument("report_dir")
    return p


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args, extra = parser.parse_known_args(argv)
    # id patterns may come after options (`certify run --profile ci 'gao2023.*'`)
    if extra and getattr(args, "targets", None) is not None and not any(e.startswith("-") for e in extra):
        args.targets = list(args.targets) + extra
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if args.version:
        from . import __version__

        print(f"certify {__version__}")
        return 0
    if not args.command:
        parser.print_help()
        return EXIT_USAGE
    _terminate_on_sigterm()
    try:
        return {"list": _cmd_list, "show": _cmd_show, "run": _cmd_run, "replay": _cmd_replay,
                "warmup": _cmd_warmup, "html": _cmd_html,
                "tighten": _cmd_tighten}[args.command](args)
    except CertifyError as exc:
        print(f"certify: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("certify: interrupted; finished claims are in the report (use --resume to continue)",
              file=sys.stderr)
        return EXIT_INTERRUPTED


# ----------------------------------------------------------------------------- helpers
def _split_targets(targets: list[str], load_default: bool = True) -> list[str]:
    """Load module files/folders; return the id patterns. With paths and no pattern, the patterns are the
    claims those files define (so `certify run my_claims.py` runs just them)."""
    from .claim import discover, load_path, registry

    if load_default:
        discover()
    patterns: list[str] = []
    path_modules: list[str] = []
    for t in targets:
        if os.path.exists(t) and (t.endswith(".py") or os.path.isdir(t)):
            path_modules += load_path(t)
        elif t.endswith(".py") or "/" in t:
            raise InvalidArgument(f"no such file or folder: {t!r}; pass a .py file, a folder, or an id pattern")
        else:
            patterns.append(t)
    if path_modules and not patterns:
        patterns = sorted(cid for cid, c in registry().items() if c.module in set(path_modules))
        if not patterns:
            raise InvalidArgument(f"no claims defined in {', '.join(t for t in targets)}; "
                                  "decorate functions with @certify.claim")
    return patterns


def _select(patterns: list[str]):
    from .claim import registry, select

    claims = select(patterns)
    if patterns and not claims:
        raise InvalidArgument(f"no claim matches {' '.join(patterns)!r}; `certify list` shows "
                              f"the {len(registry())} registered ids")
    return claims


def _parse_params(items: list[str]) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for item in items:
        if ":" not in item or "=" not in item.split(":", 1)[1]:
            raise InvalidArgument(f"malformed --param {item!r}; use --param ID:NAME=VALUE, "
                                  "e.g. --param demo.lipschitz:C=0.25")
        cid, rest = item.split(":", 1)
        name, value = rest.split("=", 1)
        if not cid or not name:
            raise InvalidArgument(f"malformed --param {item!r}; use --param ID:NAME=VALUE")
        out.setdefault(cid, {})[name] = value
    return out


# ----------------------------------------------------------------------------- commands
def _cmd_list(args) -> int:
    patterns = _split_targets(args.targets)
    claims = _select(patterns)
    width = max((len(c.id) for c in claims), default=10)
    for c in claims:
        print(f"{c.id:<{width}}  {c.tag:<13} {c.kind:<11} {c.statement[:70]}")
    print(f"{len(claims)} claim(s)", file=sys.stderr)
    return 0


def _files_then_id(targets: list[str], command: str) -> tuple[list[str], str]:
    """`[FILE ...] ID` -> (files, id): the id is the one target that is not a module file or folder."""
    files = [t for t in targets if t.endswith(".py") or os.path.isdir(t) or "/" in t]
    ids = [t for t in targets if t not in files]
    if len(ids) != 1:
        raise InvalidArgument(f"{command}: name exactly one claim id after any module files, e.g. "
                              f"`certify {command} my_claims.py demo.softmax_lipschitz` (got {' '.join(targets)!r})")
    return files, ids[0]


def _cmd_show(args) -> int:
    from .claim import get_claim

    files, cid = _files_then_id(list(args.paths) + list(args.targets), "show")
    _split_targets(files)
    c = get_claim(cid)
    mod = sys.modules.get(c.module)
    print(f"{c.id}  [{c.tag}, {c.kind}]")
    print(f"source:    {c.source}")
    print(f"statement: {c.statement}")
    print(f"expect:    {c.expect}")
    print(f"params:    {json.dumps(c.summary()['params'], sort_keys=True)}")
    print(f"inputs:    {', '.join(c.inputs) or '-'}")
    print(f"assume:    {'yes' if c.assume else 'no'}")
    print(f"mutants:   {', '.join(m.name for m in c.mutants) or '-'}")
    print(f"baselines: {', '.join(c.baselines) or '-'}")
    print(f"reference: {'mpmath at dps %d and %d' % (c.dps, 2 * c.dps) if c.takes_ctx else 'none (fast-only)'}")
    print(f"module:    {c.module} ({c.path})")
    if mod is not None and mod.__doc__:
        print("\n" + mod.__doc__.strip())
    return 0


def _cmd_run(args) -> int:
    from .claim import get_claim
    from .profiles import get_profile
    from .progress import RunProgress, choose_mode
    from .reportdir import ReportLock, stale
    from .runner import ReportWriter, Task, merge_shards, shard_tasks, versions
    from .schedule import load_durations, longest_first, record_durations

    profile = get_profile(args.profile)
    if args.seed < 0:
        raise InvalidArgument(f"--seed: bad value {args.seed}; pass a non-negative integer")
    if args.budget is not None and args.budget < 1:
        raise InvalidArgument(f"--budget: bad value {args.budget}; pass a positive number of examples")
    if args.seconds is not None and args.seconds <= 0:
        raise InvalidArgument(f"--seconds: bad value {args.seconds}; pass a positive number of seconds")
    if args.jobs < 1:
        raise InvalidArgument(f"--jobs: bad value {args.jobs}; pass a positive integer")
    if args.timeout is not None and args.timeout <= 0:
        raise InvalidArgument(f"--timeout: bad value {args.timeout}; pass a positive number of seconds")
    if args.shards < 1:
        raise InvalidArgument(f"--shards: bad value {args.shards}; pass a positive integer")
    if args.resume and args.overwrite:
        raise InvalidArgument("--resume and --overwrite contradict each other; pass one")
    overrides = _parse_params(args.param)
    patterns = _split_targets(args.targets, load_default=not args.no_default)
    claims = _select(patterns)
    if not claims:
        raise InvalidArgument("no claims registered; pass module files/folders or install the theorems package")
    for cid, kv in overrides.items():
        get_claim(cid).with_params(kv)  # validates names and values now, before any work
    report_dir = Path(args.report or f"runs/{profile.name}-seed{args.seed}")
    tp = profile.with_budget(args.budget, args.seconds)
    tasks = [Task(claim_id=c.id, module=c.module, path=c.path, profile=profile.name, seed=args.seed,
                  examples=args.budget, seconds=args.seconds, params=overrides.get(c.id, {}),
                  report_dir=str(report_dir), timeout=args.timeout or tp.timeout, tighten=args.tighten)
             for c in claims]
    # what a result must have been produced with to be reused by --resume (certify.reportdir.SETTINGS)
    wanted = {t.claim_id: {"profile": t.profile, "seed": t.seed, "budget_examples": t.examples,
                           "budget_seconds": t.seconds, "params": t.params, "shards": args.shards}
              for t in tasks}
    meta = {"profile": profile.name, "seed": args.seed, "budget": args.budget, "seconds": args.seconds,
            "versions": versions(), "created_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "command": "certify " + " ".join(sys.argv[1:]) if sys.argv and "certify" in sys.argv[0] else None}
    try:
        lock = ReportLock(report_dir).acquire()
    except OSError as exc:
        raise InvalidArgument(f"--report: cannot use {str(report_dir)!r} ({exc.strerror or exc}); pass a "
                              "writable directory") from None
    try:
        writer = ReportWriter(report_dir, meta, resume=args.resume, overwrite=args.overwrite)
        executor = _executor(args)
        for note in writer.notes:
            print(note, file=sys.stderr)
        changed = stale(writer.records, wanted)
        for cid, why in sorted(changed.items()):
            print(f"resume: {cid} was run with other settings ({why}); running it again", file=sys.stderr)
        done = writer.done_ids() - set(changed)
        todo = [t for t in tasks if t.claim_id not in done]
        if args.resume:
            print(f"resuming: {len(set(wanted) & done)} claim(s) already finished, {len(todo)} to go",
                  file=sys.stderr)
        t0 = time.perf_counter()
        # durations are kept per profile and budget: a run with --budget takes other times
        timing_key = profile.name + "".join(f" {k}={v}" for k, v in (("budget", args.budget),
                                                                      ("seconds", args.seconds)) if v is not None)
        work = longest_first([st for t in todo for st in shard_tasks(t, args.shards)], load_durations(timing_key))
        with RunProgress(len(todo), choose_mode(args.quiet)) as bar:
            def on_start(task, started):
                bar.started(task.claim_id, started, task.timeout)

            runs = executor.run(work, bar.update, **({"on_start": on_start} if _takes_on_start(executor) else {}))
            try:
                for rec in merge_shards(iter(runs), args.shards):
                    rec["settings"] = wanted.get(rec["id"])
                    writer.add(rec)
                    bar.finished(rec["id"], _line(rec, f"[{bar.done + 1}/{len(todo)}]"))
            finally:
                if hasattr(runs, "close"):
                    runs.close()  # kills the workers still running (an interrupt, SIGTERM)
                if hasattr(executor, "close"):
                    executor.close()
                record_durations(timing_key, (writer.records[t.claim_id] for t in todo if t.claim_id in writer.records))
                writer.write()  # always rebuilt from the results, also when nothing was left or on an interrupt
        report = writer.report()
    finally:
        lock.release()
    html_path = None
    if args.html:
        html_path = _render_html(report_dir)
    print(_summary(report, time.perf_counter() - t0))
    print(f"report: {report_dir / 'report.json'}" + (f"  html: {html_path}" if html_path else ""))
    failing = _failing(report["claims"], args.allow_inconclusive)
    allowed = sorted(set(report["summary"]["unexpected"]) - set(failing))
    if allowed:
        print(f"inconclusive allowed by --allow-inconclusive: {', '.join(allowed)}", file=sys.stderr)
    return EXIT_FAILED if failing else EXIT_OK


def _failing(records: list[dict], allow_inconclusive: bool) -> list[str]:
    """Ids that make the run fail: not as expected, except inconclusive ones when those are allowed."""
    return sorted(c["id"] for c in records if not c.get("as_expected", True)
                  and not (allow_inconclusive and c.get("status") == "inconclusive"))


def _takes_on_start(executor) -> bool:
    import inspect

    return "on_start" in inspect.signature(executor.run).parameters


def _terminate_on_sigterm() -> None:
    """SIGTERM (what `timeout` and a CI cancel send) unwinds like Ctrl-C, so the workers are killed and the
    finished claims stay in the report."""
    import signal

    def handler(signum, frame):
        raise KeyboardInterrupt

    try:
        signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread (main() called from a thread): nothing to install
        pass


def _executor(args):
    from .runner import ProcessExecutor

    if args.executor == "local":
        if args.scheduler or args.workers:
            raise InvalidArgument("--scheduler/--workers need --executor dask or dask-local")
        return ProcessExecutor(args.jobs)
    import logging

    from .cluster import DaskExecutor

    if args.executor == "dask":
        if not args.scheduler:
            raise InvalidArgument("--executor dask needs --scheduler tcp://HOST:PORT (or use --executor dask-local)")
        ex = DaskExecutor(scheduler=args.scheduler)
    else:
        ex = DaskExecutor(workers=args.workers or args.jobs)
    # distributed logs its reconnect attempts with tracebacks on the client (its loggers carry their own
    # levels, so each is set); the CLI's contract is one line per failure: ClusterLost says what happened
    for name in list(logging.root.manager.loggerDict):
        if name == "distributed" or name.startswith("distributed."):
            logging.getLogger(name).setLevel(logging.CRITICAL)
    return ex


def _cmd_tighten(args) -> int:
    from .claim import get_claim
    from .tighten import tighten

    if not args.targets:
        raise InvalidArgument("tighten: name the claim id (after any module files), e.g. "
                              "certify tighten deng2023.deterministic_main --param C_r")
    *paths, cid = args.targets
    _split_targets(paths)
    claim = get_claim(cid)

    def step(s):
        print(f"  {args.param}={s['value']!r}: {s['status']}", file=sys.stderr, flush=True)

    r = tighten(claim, args.param, lo=args.lo, hi=args.hi, profile=args.profile, seed=args.seed,
                direction=args.direction, steps=args.steps, progress=step)
    if args.json:
        from .report import jsonio

        print(jsonio.dumps(r.as_record(), indent=1, default=str))  # strict JSON: ±inf as null plus a note
    else:
        print(f"{claim.id}: {r.text}")
    return 0


def _render_html(report_dir: Path):
    from .reportdir import load_report

    try:
        from .report import html as html_mod
    except ImportError:
        return None
    try:
        load_report(report_dir)
        return html_mod.render_dir(report_dir)
    except Exception as exc:  # noqa: BLE001 - the JSON report is the source of truth; HTML is a view
        print(f"certify: warning: HTML rendering failed ({type(exc).__name__}: {exc}); report.json is intact",
              file=sys.stderr)
        return None


def _cmd_html(args) -> int:
    from .reportdir import load_report

    path = Path(args.report_dir)
    load_report(path)  # a damaged or tampered report is refused before anything it names is read
    out = _render_html(path)
    if out is None:
        return 1
    print(out)
    return 0


def _fmt(x, spec=".3g"):
    if x is None:
        return "-"
    if isinstance(x, str):
        return x
    return format(x, spec)


def _line(rec: dict, prefix: str = "") -> str:
    mark = STATUS_MARK.get(rec["status"], rec["status"])
    worst = rec.get("worst") or {}
    exp = "" if rec.get("as_expected", True) else "  (UNEXPECTED)"
    muts = rec.get("mutants") or {}
    mtxt = f"  mutants {sum(m['killed'] for m in muts.values())}/{len(muts)} killed" if muts else ""
    line = (f"{prefix} {rec['id']}: {mark}{exp}  examples {rec.get('examples', 0)}  "
            f"worst rel margin {_fmt(worst.get('rel_margin'))}  ratio {_fmt(rec.get('ratio_extreme'))}"
            f"{mtxt}  {_fmt(rec.get('duration_s'), '.1f')}s")
    if rec["status"] in ("error", "inconclusive") and rec.get("reason"):
        line += f"\n    {_short(rec['reason'])}"   # what went wrong, where, and the fix: not only in report.json
    return line


def _short(text: str, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _summary(report: dict, wall: float) -> str:
    rows = [("claim", "status", "expected", "examples", "worst rel", "ratio", "mutants")]
    for c in report["claims"]:
        muts = c.get("mutants") or {}
        rows.append((c["id"], c["status"] + ("" if c.get("as_expected", True) else " !"),
                     str(c.get("expected") or "-"), str(c.get("examples", 0)),
                     _fmt((c.get("worst") or {}).get("rel_margin")), _fmt(c.get("ratio_extreme")),
                     f"{sum(m['killed'] for m in muts.values())}/{len(muts)}" if muts else "-"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)) for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    counts = ", ".join(f"{k} {v}" for k, v in sorted(report["summary"]["by_status"].items()))
    unexpected = report["summary"]["unexpected"]
    lines.append(f"{len(report['claims'])} claims: {counts}; {len(unexpected)} unexpected; {wall:.1f}s")
    by_id = {c["id"]: c for c in report["claims"]}
    for cid in unexpected:
        c = by_id.get(cid) or {}
        if c.get("status") in ("error", "inconclusive") and c.get("reason"):
            lines.append(f"  {cid}: {_short(c['reason'])}")
    return "\n".join(lines)


def _cmd_replay(args) -> int:
    from .replay import replay

    files, cid = _files_then_id(args.targets, "replay")
    return replay(args.report_dir, cid, args.which, files=files)


def _cmd_warmup(args) -> int:
    from .warmup import warmup

    return warmup(quiet=args.quiet)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

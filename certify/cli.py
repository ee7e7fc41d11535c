"""The `certify` command: list, show, run, replay, warmup.

Exit codes: 0 every claim as expected; 1 an unexpected refutation or an error; 2 a usage error.
User mistakes get a one-line message, never a traceback.
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
    sh.add_argument("id")
    sh.add_argument("--paths", nargs="*", default=[], help="extra module files/folders to load")

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
    run.add_argument("--resume", action="store_true", help="continue an interrupted run in --report")
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
    tg.add_argument("--direction", choices=["smallest", "largest"], default="smallest")
    tg.add_argument("--steps", type=int, default=6, help="bisections once the edge is bracketed")
    tg.add_argument("--profile", default="ci")
    tg.add_argument("--seed", type=int, default=0)
    tg.add_argument("--json", action="store_true", help="print the result as JSON")

    rp = sub.add_parser("replay", help="re-evaluate a saved counterexample or worst instance (no Hypothesis)")
    rp.add_argument("report_dir")
    rp.add_argument("id")
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
        return 2
    try:
        return {"list": _cmd_list, "show": _cmd_show, "run": _cmd_run, "replay": _cmd_replay,
                "warmup": _cmd_warmup, "html": _cmd_html,
                "tighten": _cmd_tighten}[args.command](args)
    except CertifyError as exc:
        print(f"certify: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("certify: interrupted; finished claims are in the report (use --resume to continue)",
              file=sys.stderr)
        return 130


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


def _cmd_show(args) -> int:
    from .claim import get_claim

    _split_targets(args.paths)
    c = get_claim(args.id)
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
    from .runner import ProcessExecutor, ReportWriter, Task, versions

    profile = get_profile(args.profile)
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
    executor = _executor(args)
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
                  report_dir=str(report_dir), timeout=args.timeout or tp.timeout) for c in claims]
    meta = {"profile": profile.name, "seed": args.seed, "budget": args.budget, "seconds": args.seconds,
            "versions": versions(), "created_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "command": "certify " + " ".join(sys.argv[1:]) if sys.argv and "certify" in sys.argv[0] else None}
    writer = ReportWriter(report_dir, meta, resume=args.resume)
    done = writer.done_ids()
    todo = [t for t in tasks if t.claim_id not in done]
    if writer.discarded:
        print(f"resume: {writer.discarded} earlier result(s) in {report_dir} were for another profile or seed "
              f"and are not reused", file=sys.stderr)
    if done and args.resume:
        print(f"resuming: {len(done)} claim(s) already finished, {len(todo)} to go", file=sys.stderr)
    total = len(todo)
    finished = 0
    t0 = time.perf_counter()

    def progress(cid, n, worst):
        if not args.quiet:
            w = "-" if worst is None else f"{worst:+.3g}"
            print(f"  .. {cid}: {n} examples, worst relative margin {w}", file=sys.stderr, flush=True)

    from .runner import merge_shards, shard_tasks

    work = [st for t in todo for st in shard_tasks(t, args.shards)]
    try:
        for rec in merge_shards(executor.run(work, progress), args.shards):
            finished += 1
            writer.add(rec)
            if not args.quiet:
                print(_line(rec, f"[{finished}/{total}]"), file=sys.stderr, flush=True)
    finally:
        if hasattr(executor, "close"):
            executor.close()
    report = writer.report()
    html_path = None
    if args.html:
        html_path = _render_html(report_dir)
    print(_summary(report, time.perf_counter() - t0))
    print(f"report: {report_dir / 'report.json'}" + (f"  html: {html_path}" if html_path else ""))
    return 1 if report["summary"]["unexpected"] else 0


def _executor(args):
    from .runner import ProcessExecutor

    if args.executor == "local":
        if args.scheduler or args.workers:
            raise InvalidArgument("--scheduler/--workers need --executor dask or dask-local")
        return ProcessExecutor(args.jobs)
    from .cluster import DaskExecutor

    if args.executor == "dask":
        if not args.scheduler:
            raise InvalidArgument("--executor dask needs --scheduler tcp://HOST:PORT (or use --executor dask-local)")
        return DaskExecutor(scheduler=args.scheduler)
    return DaskExecutor(workers=args.workers or args.jobs)


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
    try:
        from .report import html as html_mod
    except ImportError:
        return None
    try:
        return html_mod.render_dir(report_dir)
    except Exception as exc:  # noqa: BLE001 - the JSON report is the source of truth; HTML is a view
        print(f"certify: warning: HTML rendering failed ({type(exc).__name__}: {exc}); report.json is intact",
              file=sys.stderr)
        return None


def _cmd_html(args) -> int:
    path = Path(args.report_dir)
    if not (path / "report.json").exists():
        raise InvalidArgument(f"no report.json in {str(path)!r}; pass the directory given to `certify run --report`")
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
    return (f"{prefix} {rec['id']}: {mark}{exp}  examples {rec.get('examples', 0)}  "
            f"worst rel margin {_fmt(worst.get('rel_margin'))}  ratio {_fmt(rec.get('ratio_extreme'))}"
            f"{mtxt}  {_fmt(rec.get('duration_s'), '.1f')}s")


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
    return "\n".join(lines)


def _cmd_replay(args) -> int:
    from .replay import replay

    return replay(args.report_dir, args.id, args.which)


def _cmd_warmup(args) -> int:
    from .warmup import warmup

    return warmup(quiet=args.quiet)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

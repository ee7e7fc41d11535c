"""Claims per minute at a profile for local processes and for Dask workers, in one run on this machine.

Contenders (the same tasks, the same seed and profile, in this order):
  local --jobs 1, local --jobs 2, dask-local --workers 1, dask-local --workers 2.

Reported: wall time and claims per minute per contender; the speed-up of 2 Dask workers over 1 (DESIGN
target >= 1.8x); the per-task overhead of Dask as a fraction of the median task duration (DESIGN target < 2 %).
That overhead is measured per task, not as a difference of two long walls (which on a shared machine is mostly
the difference of the load during the two runs): for a one-wide contender, the time outside the tasks' own work
is (wall - sum of the tasks' `duration_s`, each measured inside its task) / tasks — forking, importing,
shipping the record back, and for Dask the scheduler — and Dask's overhead is that of `dask-local --workers 1`
minus that of `local --jobs 1`. (The difference of the walls is reported beside it.) The kernels are warmed
before any timing (numba's on-disk cache), so compile time is not measured; starting the LocalCluster is a
cost per run, not per task, and is outside the clock. With --repeats R the four contenders run in turn R times
(interleaved, so a change of load touches all of them) and each figure is the median of its R values.
The machine is shared: compare ratios.

Usage:  python bench/dask_throughput.py [PATTERN ...] [--profile ci] [--repeats 1] [--every K]
        [--out bench/results/dask_throughput]
--every K keeps every K-th claim of the (sorted) selection, a deterministic sample of the catalogue when four
contenders over all of it would take too long. The load average before and after each contender is recorded:
the machine is shared, and a contender that ran under more load than another is slower for that reason.
Every contender's BLAS/OpenMP pools are pinned to one thread (set here before numpy loads, inherited by the
forked task processes; Dask's nanny sets the same for its workers): otherwise a local task may use both cores'
BLAS threads where a Dask worker's may not, and the comparison measures thread pools instead of the executor.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ[_var] = "1"


def _tasks(patterns, profile, seed):
    from certify.claim import discover, select
    from certify.runner import Task

    discover()
    claims = select(patterns or None)
    return [Task(claim_id=c.id, module=c.module, path=c.path, profile=profile, seed=seed, timeout=600.0)
            for c in claims]


def _run(executor, tasks):
    t0 = time.perf_counter()
    recs = list(executor.run(tasks))
    return time.perf_counter() - t0, recs


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("patterns", nargs="*")
    ap.add_argument("--profile", default="ci")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--every", type=int, default=1)
    ap.add_argument("--out", default="bench/results/dask_throughput")
    ap.add_argument("--dask-only", action="store_true",
                    help="only dask-local with 1 and 2 workers (the speed-up; no overhead figure): short enough to "
                         "run on the whole catalogue")
    args = ap.parse_args(argv)

    from certify.cluster import DaskExecutor, _warm_worker
    from certify.runner import ProcessExecutor

    tasks = _tasks(args.patterns, args.profile, args.seed)[::max(1, args.every)]
    if not tasks:
        ap.error(f"no catalogue claim matches {args.patterns}")
    _warm_worker(sorted({(t.module, t.path, t.claim_id) for t in tasks}))  # fills numba's on-disk cache
    if args.dask_only:
        return _dask_speedup(tasks, args, DaskExecutor)
    results: dict[str, dict] = {}
    durations: list[float] = []
    contenders = [("local --jobs 1", lambda: ProcessExecutor(1)), ("local --jobs 2", lambda: ProcessExecutor(2)),
                  ("dask-local --workers 1", lambda: DaskExecutor(workers=1)),
                  ("dask-local --workers 2", lambda: DaskExecutor(workers=2))]
    runs: dict[str, list[dict]] = {name: [] for name, _ in contenders}
    for rep in range(args.repeats):
        for name, make in contenders:
            load_before = os.getloadavg()[0]
            ex = make()
            if hasattr(ex, "warm_up"):
                ex.warm_up(tasks)  # compile and import on the workers before the clock starts
            try:
                wall, recs = _run(ex, tasks)
            finally:
                if hasattr(ex, "close"):
                    ex.close()
            inside = sum(r["duration_s"] for r in recs if isinstance(r.get("duration_s"), (int, float)))
            runs[name].append({"wall_s": wall, "inside_s": inside, "recs": recs, "load_before": load_before,
                               "load_after": os.getloadavg()[0]})
            if name == "local --jobs 1":
                durations += [r["duration_s"] for r in recs if r.get("duration_s")]
            print(f"repeat {rep + 1}/{args.repeats}  {name:24s} {wall:8.1f} s  (tasks' own time {inside:8.1f} s)",
                  file=sys.stderr)
    for name, _ in contenders:
        rs = runs[name]
        recs = rs[-1]["recs"]
        statuses = sorted((r["id"], r["status"]) for r in rs[0]["recs"])
        wall = statistics.median(r["wall_s"] for r in rs)
        results[name] = {"wall_s": round(wall, 2), "walls_s": [round(r["wall_s"], 2) for r in rs],
                         "claims_per_min": round(60 * len(tasks) / wall, 2),
                         # one task at a time: the wall minus the tasks' own time is what runs between them
                         "outside_tasks_per_task_s": (round(statistics.median((r["wall_s"] - r["inside_s"]) / len(tasks)
                                                                              for r in rs), 4)
                                                      if name.endswith(" 1") else None),
                         "load_before": round(statistics.median(r["load_before"] for r in rs), 2),
                         "load_after": round(statistics.median(r["load_after"] for r in rs), 2),
                         "stopped_by_time": sum(1 for r in recs if (r.get("budget") or {}).get("stopped_by") == "time"),
                         "mutants_not_killed": sorted(f"{r['id']}:{m}" for r in recs
                                                      for m, mv in (r.get("mutants") or {}).items()
                                                      if not mv.get("killed")),
                         "mutants": sum(len(r.get("mutants") or {}) for r in recs),
                         "statuses": dict((i, s) for i, s in statuses),
                         "same_statuses_every_repeat": len({json.dumps(sorted((x["id"], x["status"]) for x in r["recs"]))
                                                            for r in rs}) == 1}

    same = (len({json.dumps(r["statuses"], sort_keys=True) for r in results.values()}) == 1
            and all(r["same_statuses_every_repeat"] for r in results.values()))
    med_task = statistics.median(durations) if durations else float("nan")
    wall_diff = (results["dask-local --workers 1"]["wall_s"] - results["local --jobs 1"]["wall_s"]) / len(tasks)
    overhead = (results["dask-local --workers 1"]["outside_tasks_per_task_s"]
                - results["local --jobs 1"]["outside_tasks_per_task_s"])
    out = {
        "machine": {"python": platform.python_version(), "cpus": __import__("os").cpu_count()},
        "profile": args.profile, "seed": args.seed, "tasks": len(tasks), "repeats": args.repeats,
        "every": args.every, "patterns": args.patterns,
        "contenders": {k: {kk: vv for kk, vv in v.items() if kk != "statuses"} for k, v in results.items()},
        "statuses_local_jobs_2": results["local --jobs 2"]["statuses"],
        "speedup_dask_2_over_1": round(results["dask-local --workers 1"]["wall_s"]
                                       / results["dask-local --workers 2"]["wall_s"], 3),
        "speedup_local_2_over_1": round(results["local --jobs 1"]["wall_s"] / results["local --jobs 2"]["wall_s"], 3),
        "median_task_s": round(med_task, 3),
        "dask_overhead_per_task_s": round(overhead, 4),
        "dask_overhead_fraction_of_median_task": round(overhead / med_task, 4) if med_task == med_task else None,
        "wall_difference_per_task_s": round(wall_diff, 4),
        "same_verdicts_everywhere": same,
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out + ".json").write_text(json.dumps(out, indent=1, allow_nan=False) + "\n")
    lines = [f"# Dask throughput ({args.profile} profile, seed {args.seed}, {len(tasks)} claims, "
             f"median of {args.repeats} interleaved repeats)", "",
             "| contender | wall s (median) | walls s | claims / min | s per task outside the tasks' own time "
             "| load before / after | claims stopped by the time cap |",
             "|---|---:|---|---:|---:|---|---:|"]
    lines += [f"| {k} | {v['wall_s']} | {', '.join(str(w) for w in v['walls_s'])} | {v['claims_per_min']} | "
              f"{'-' if v['outside_tasks_per_task_s'] is None else v['outside_tasks_per_task_s']} | "
              f"{v['load_before']} / {v['load_after']} | "
              f"{v['stopped_by_time']} |" for k, v in out["contenders"].items()]
    lines += ["", f"- 2 Dask workers over 1: **{out['speedup_dask_2_over_1']}x** (target >= 1.8x); local "
              f"--jobs 2 over 1: {out['speedup_local_2_over_1']}x",
              f"- Dask overhead per task: {out['dask_overhead_per_task_s']} s = "
              f"{out['dask_overhead_fraction_of_median_task']} of the median task ({out['median_task_s']} s; "
              "target < 0.02): dask-local 1 worker minus local --jobs 1, each (wall - tasks' own time) / tasks; "
              f"the difference of the two walls per task: {out['wall_difference_per_task_s']} s",
              f"- same verdicts under every contender: {same}",
              "- mutants not killed (local --jobs 2): "
              + (", ".join(results["local --jobs 2"]["mutants_not_killed"]) or "none")
              + f" of {results['local --jobs 2']['mutants']}",
              "", "2 cores: two workers can at best halve the wall time; other load on the machine shows as a "
              "lower speed-up."]
    Path(args.out + ".md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


def _dask_speedup(tasks, args, DaskExecutor) -> int:  # noqa: N803 - the class, imported by main
    """--dask-only: 1 then 2 dask-local workers, R times in turn; the speed-up of the medians.

    Tasks are submitted as `certify run` does (certify.schedule): the longest first by the durations known,
    here those the previous one-worker run measured (the order does not matter to one worker). Beside each wall
    the tasks' own time is recorded: with 2 workers, wall x 2 - own time is what the workers spent idle or
    waiting (the tail of the run, the scheduler), and own time 2 / own time 1 is how much slower each task ran
    beside another one (two tasks sharing two cores with the machine's other users)."""
    from certify.schedule import longest_first

    walls: dict[int, list[float]] = {1: [], 2: []}
    inside: dict[int, list[float]] = {1: [], 2: []}
    loads: dict[int, list[tuple]] = {1: [], 2: []}
    statuses, checks = [], []
    known: dict[str, float] = {}
    for rep in range(args.repeats):
        for n in (1, 2):
            before = os.getloadavg()[0]
            ordered = longest_first(tasks, known)
            ex = DaskExecutor(workers=n)
            ex.warm_up(ordered)
            try:
                wall, recs = _run(ex, ordered)
            finally:
                ex.close()
            own = sum(r["duration_s"] for r in recs if isinstance(r.get("duration_s"), (int, float)))
            if n == 1:
                known = {r["id"]: r["duration_s"] for r in recs if isinstance(r.get("duration_s"), (int, float))}
            walls[n].append(wall)
            inside[n].append(own)
            loads[n].append((round(before, 2), round(os.getloadavg()[0], 2)))
            statuses.append(json.dumps(sorted((r["id"], r["status"]) for r in recs)))
            # the run is also the whole catalogue at the profile: what it found, for catalogue_ci.md
            checks.append({"workers": n, "unexpected": sorted(r["id"] for r in recs if not r.get("as_expected", True)),
                           "mutants": sum(len(r.get("mutants") or {}) for r in recs),
                           "mutants_not_killed": sorted(f"{r['id']}:{m}" for r in recs
                                                        for m, mv in (r.get("mutants") or {}).items()
                                                        if not mv.get("killed")),
                           "stopped_by_time": sorted(r["id"] for r in recs
                                                     if (r.get("budget") or {}).get("stopped_by") == "time")})
            print(f"repeat {rep + 1}/{args.repeats}  dask-local --workers {n}  {wall:8.1f} s  (tasks' own time "
                  f"{own:8.1f} s)", file=sys.stderr)
    med = {n: statistics.median(w) for n, w in walls.items()}
    idle = [round(1 - i / (2 * w), 4) for w, i in zip(walls[2], inside[2], strict=True)]
    slower = [round(i2 / i1, 3) for i1, i2 in zip(inside[1], inside[2], strict=True)]
    out = {"profile": args.profile, "seed": args.seed, "tasks": len(tasks), "repeats": args.repeats,
           "every": args.every, "order": "longest first (durations of the previous 1-worker run)",
           "walls_s": {str(n): [round(w, 2) for w in ws] for n, ws in walls.items()},
           "tasks_own_s": {str(n): [round(w, 2) for w in ws] for n, ws in inside.items()},
           "idle_fraction_2_workers": idle, "task_slowdown_2_over_1": slower,
           "loads_before_after": {str(n): ls for n, ls in loads.items()},
           "speedup_dask_2_over_1": round(med[1] / med[2], 3),
           "speedups_per_repeat": [round(a / b, 3) for a, b in zip(walls[1], walls[2], strict=True)],
           "same_verdicts": len(set(statuses)) == 1, "catalogue_checks": checks}
    Path(args.out + ".json").write_text(json.dumps(out, indent=1, allow_nan=False) + "\n")
    lines = [f"# Dask speed-up, 2 workers over 1 ({args.profile} profile, seed {args.seed}, {len(tasks)} claims, "
             f"median of {args.repeats})", "",
             "| workers | walls s | tasks' own time s | load before / after |", "|---:|---|---|---|"]
    lines += [f"| {n} | {', '.join(str(round(w, 1)) for w in walls[n])} | "
              f"{', '.join(str(round(w, 1)) for w in inside[n])} | "
              f"{'; '.join(f'{a} / {b}' for a, b in loads[n])} |" for n in (1, 2)]
    lines += ["", f"- 2 Dask workers over 1: **{out['speedup_dask_2_over_1']}x** (target >= 1.8x); per repeat: "
              f"{', '.join(str(x) for x in out['speedups_per_repeat'])}",
              f"- 2 workers idle or waiting (1 - own time / (2 x wall)): {', '.join(str(x) for x in idle)}",
              f"- each task's time beside another / alone (own time 2 / own time 1): "
              f"{', '.join(str(x) for x in slower)}",
              f"- same verdicts in every run: {out['same_verdicts']}",
              f"- every run: unexpected {sorted({u for c in checks for u in c['unexpected']}) or 'none'}; mutants "
              f"not killed {sorted({m for c in checks for m in c['mutants_not_killed']}) or 'none'} of "
              f"{checks[0]['mutants'] if checks else 0}; stopped by the time cap "
              f"{sorted({t for c in checks for t in c['stopped_by_time']}) or 'none'}",
              "- order: the longest first, by the durations of the previous one-worker run (as `certify run` "
              "orders by .certify/durations.json)"]
    Path(args.out + ".md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Search power on claims written the way users write them, against three peers at equal wall time.

Suites (bench/claims_plain.py, never catalogue claims):
  plain_strategies  false bounds with rare violations and true claims with float traps / equality cases,
                    written only with plain Hypothesis strategies. Score: detections, wrong refutations.
  tight_constants   true bounds with a known best constant (half plain strategies, half certify.strategies).
                    Score: ratio_extreme / known sup; reached_099 = runs at >= 0.99 of it.

Searchers, per (claim, seed):
  certify   certify.search.run_claim at the profile (mutants/baselines off). Detection = "refuted" (confirmed
            at dps and 2 dps). Its wall time T is the budget of every peer on that (claim, seed).
  plain     @given on the same strategies, no target; examples until T is used. Detection = first float64
            margin < 0 (what a user of plain Hypothesis sees); on a true claim, a wrong refutation.
  target    the same with hypothesis.target(-relative margin).
  cmaes     CMA-ES (the `cma` package) over the claim's box (BOXES), restarts with doubled population until T;
            integers rounded. No Hypothesis. Detection and wrong refutation as for plain.
The peers' ratio is the largest lhs/rhs among the instances they evaluated (float64, unconfirmed).

Held-out claims (``heldout.*``, CP.HELDOUT) were written after the search was tuned and never run while tuning
it: they are scored like plain_strategies but reported apart, as a check of generalisation.

Usage:  python bench/search_power_suites.py [--seeds 5] [--profile ci] [--claims PAT,...] [--jobs 2]
        [--out bench/results/search_power]   (merges its suites into <out>.json, writes <out>_suites.md)
--jobs runs (claim, seed) tasks in parallel processes; the four searchers of one task always run one after
the other in the same process, so they share whatever load the machine has.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for p in (str(ROOT), str(HERE)):
    if p not in sys.path:
        sys.path.insert(0, p)

import claims_plain as CP  # noqa: E402

from certify.claim import select  # noqa: E402
from certify.confirm import evaluate  # noqa: E402
from certify.context import fp  # noqa: E402

SEARCHERS = ("certify", "plain", "target", "cmaes")


class _TimeUp(BaseException):
    pass


class _Found(BaseException):
    pass


def _fp(claim, instance):
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            if not claim.check_assume(instance):
                return None
            o = evaluate(claim, fp, instance, None)
        except Exception:  # noqa: BLE001 - a peer sees an exception as "no information"
            return None
    f = o.as_float()
    return f


def _ratio(f):
    r = f.get("ratio") if f else None
    return r if isinstance(r, (int, float)) and math.isfinite(r) else None


def run_certify(claim, profile, seed):
    from certify.search import run_claim

    t0 = time.perf_counter()
    v = run_claim(claim, profile, seed, with_mutants=False, with_baselines=False)
    wall = time.perf_counter() - t0
    r = v.ratio_extreme if isinstance(v.ratio_extreme, (int, float)) and math.isfinite(v.ratio_extreme) else None
    return {"detected": v.status == "refuted", "status": v.status, "ratio": r, "seconds": wall,
            "examples": v.examples}


def run_hypothesis(claim, seconds, seed, use_target):
    from hypothesis import HealthCheck, Phase, given, settings, target
    from hypothesis import seed as hseed
    from hypothesis import strategies as st

    state = {"best_ratio": None, "found": False, "n": 0}
    deadline = time.perf_counter() + seconds

    @hseed(seed)
    @settings(max_examples=10**7, deadline=None, database=None, derandomize=False,
              suppress_health_check=list(HealthCheck), phases=(Phase.generate, Phase.target))
    @given(st.fixed_dictionaries(claim.inputs))
    def body(instance):
        if time.perf_counter() > deadline:
            raise _TimeUp()
        state["n"] += 1
        f = _fp(claim, instance)
        if f is None:
            return
        r = _ratio(f)
        if r is not None and (state["best_ratio"] is None or r > state["best_ratio"]):
            state["best_ratio"] = r
        m = f.get("rel_margin")
        if use_target and isinstance(m, (int, float)) and math.isfinite(m):
            target(-float(m))
        if isinstance(f.get("margin"), (int, float)) and f["margin"] < 0:
            state["found"] = True
            raise _Found()

    try:
        body()
    except (_TimeUp, _Found):
        pass
    except Exception:  # noqa: BLE001 - Unsatisfiable and friends: the peer found nothing
        pass
    return {"detected": state["found"], "ratio": state["best_ratio"], "examples": state["n"]}


def run_cmaes(claim, seconds, seed):
    import cma

    lo, hi, ints, decode = CP.BOXES[claim.id]
    width = np.where(hi > lo, hi - lo, 1.0)
    dim = len(lo)
    rng = np.random.default_rng(seed)
    state = {"best_ratio": None, "found": False, "n": 0}
    deadline = time.perf_counter() + seconds

    def f_of(z01):
        z = lo + np.clip(z01, 0, 1) * width
        if ints:
            z[-ints:] = np.round(z[-ints:])
        state["n"] += 1
        f = _fp(claim, decode(z))
        if f is None:
            return 1e300
        r = _ratio(f)
        if r is not None and (state["best_ratio"] is None or r > state["best_ratio"]):
            state["best_ratio"] = r
        if isinstance(f.get("margin"), (int, float)) and f["margin"] < 0:
            state["found"] = True
            raise _Found()
        m = f.get("rel_margin")
        return float(m) if isinstance(m, (int, float)) and math.isfinite(m) else 1e300

    pop = 4 + int(3 * math.log(max(dim, 2)))
    try:
        while time.perf_counter() < deadline:
            x0 = rng.uniform(0, 1, max(dim, 2))
            opts = {"bounds": [0, 1], "seed": int(rng.integers(1, 2**31 - 1)), "verbose": -9, "popsize": pop}
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                es = cma.CMAEvolutionStrategy(x0, 0.3, opts)
                while not es.stop():
                    if time.perf_counter() > deadline:
                        raise _TimeUp()
                    xs = es.ask()
                    es.tell(xs, [f_of(np.asarray(x)[:dim]) for x in xs])
            pop *= 2
    except (_TimeUp, _Found):
        pass
    return {"detected": state["found"], "ratio": state["best_ratio"], "examples": state["n"]}


def run_one(claim, profile, seed):
    out = {"certify": run_certify(claim, profile, seed)}
    t = max(out["certify"]["seconds"], 0.05)
    out["plain"] = run_hypothesis(claim, t, seed, use_target=False)
    out["target"] = run_hypothesis(claim, t, seed, use_target=True)
    out["cmaes"] = run_cmaes(claim, t, seed) if claim.id in CP.BOXES else None
    return out


_PARTIAL: Path | None = None


def _task(task):
    cid, profile, seed = task
    (claim,) = [c for c in select([cid]) if c.id == cid]
    r = run_one(claim, profile, seed)
    if _PARTIAL is not None:  # one line per finished task, so a long run that is stopped keeps what it did
        with open(_PARTIAL, "a") as f:
            f.write(json.dumps({"task": list(task), "result": r}, default=str) + "\n")
    return r


def summarize(runs_by_claim):
    plain = {s: {"detected": 0, "runs": 0, "wrong_refutations": 0} for s in SEARCHERS}
    held = {s: {"detected": 0, "runs": 0, "wrong_refutations": 0} for s in SEARCHERS}
    tight = {s: {"fractions": [], "reached_099": 0, "claims": 0} for s in SEARCHERS}
    rows = []
    for cid, runs in runs_by_claim.items():
        row = {"claim": cid}
        if cid in CP.TRUTH:
            false = not CP.TRUTH[cid]
            tally = held if cid in CP.HELDOUT else plain
            for s in SEARCHERS:
                rs = [r[s] for r in runs if r.get(s) is not None]
                if not rs:
                    continue
                k = sum(bool(r["detected"]) for r in rs)
                if false:
                    tally[s]["detected"] += k
                    tally[s]["runs"] += len(rs)
                else:
                    tally[s]["wrong_refutations"] += k
                row[s] = f"{k}/{len(rs)}"
            row["truth"] = "true" if not false else "false"
            row["heldout"] = cid in CP.HELDOUT
        else:
            sup = CP.KNOWN_SUP[cid]
            for s in SEARCHERS:
                rs = [r[s] for r in runs if r.get(s) is not None]
                if not rs:
                    continue
                # a float64 ratio above the known sup is rounding, not a better search: capped at 1
                fr = [min((r["ratio"] or 0.0) / sup, 1.0) for r in rs]
                med = statistics.median(fr)
                tight[s]["fractions"].append(med)
                tight[s]["claims"] += 1
                tight[s]["reached_099"] += int(med >= 0.99)
                row[s] = round(med, 7)
            row["known_sup"] = sup
            row["strategies"] = "plain" if cid in CP.PLAIN_TIGHT else "certify.strategies"
        rows.append(row)
    tight_out = {s: {"median_fraction": round(statistics.median(v["fractions"]), 7) if v["fractions"] else None,
                     "mean_fraction": round(statistics.fmean(v["fractions"]), 7) if v["fractions"] else None,
                     "reached_099": v["reached_099"], "claims": v["claims"]} for s, v in tight.items()}
    return {"plain_strategies": plain, "heldout": held, "tight_constants": tight_out, "rows": rows}


def render(result):
    L = [f"# search power on plain-strategy suites ({result['profile']} profile, seeds {result['seeds']})", "",
         "Equal wall time per (claim, seed): each peer gets the seconds certify used. certify detects with a "
         "confirmed counterexample; peers at their first float64 violation.", "",
         "## plain_strategies", "", "| searcher | detected | runs | wrong refutations |", "|---|---:|---:|---:|"]
    for s, v in result["plain_strategies"].items():
        L.append(f"| {s} | {v['detected']} | {v['runs']} | {v['wrong_refutations']} |")
    L += ["", "| claim | truth | " + " | ".join(SEARCHERS) + " |", "|---|---|" + "---|" * len(SEARCHERS)]
    for r in result["rows"]:
        if "truth" in r and not r.get("heldout"):
            L.append(f"| `{r['claim']}` | {r['truth']} | " + " | ".join(str(r.get(s, "-")) for s in SEARCHERS) + " |")
    if any(r.get("heldout") for r in result["rows"]):
        L += ["", "## held out (written after tuning; not part of the suite's score)", "",
              "| searcher | detected | runs | wrong refutations |", "|---|---:|---:|---:|"]
        for s, v in result["heldout"].items():
            L.append(f"| {s} | {v['detected']} | {v['runs']} | {v['wrong_refutations']} |")
        L += ["", "| claim | truth | " + " | ".join(SEARCHERS) + " |", "|---|---|" + "---|" * len(SEARCHERS)]
        for r in result["rows"]:
            if r.get("heldout"):
                L.append(f"| `{r['claim']}` | {r['truth']} | " + " | ".join(str(r.get(s, "-")) for s in SEARCHERS)
                         + " |")
    L += ["", "## tight_constants (median over seeds of ratio_extreme / known sup)", "",
          "Fractions above 1 (float64 rounding past the sup) count as 1.", "",
          "| searcher | median fraction | mean fraction | claims >= 0.99 | claims |", "|---|---:|---:|---:|---:|"]
    for s, v in result["tight_constants"].items():
        L.append(f"| {s} | {v['median_fraction']} | {v['mean_fraction']} | {v['reached_099']} | {v['claims']} |")
    L += ["", "| claim | strategies | " + " | ".join(SEARCHERS) + " |", "|---|---|" + "---|" * len(SEARCHERS)]
    for r in result["rows"]:
        if "known_sup" in r:
            L.append(f"| `{r['claim']}` | {r['strategies']} | " + " | ".join(str(r.get(s, "-")) for s in SEARCHERS)
                     + " |")
    when = (f"Assembled from the tasks of --partial runs; certify searched {result['certify_seconds_total']:.0f} s "
            "in all (each peer the same)" if result.get("assembled") else
            f"Total wall time {result['wall_s']:.0f} s with {result.get('jobs', 1)} job(s)")
    L += ["", f"{when}; hypothesis {result['versions']['hypothesis']}, "
          f"cma {result['versions']['cma']}. The machine is shared: compare searchers within this run."]
    return "\n".join(L) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--profile", default="ci")
    ap.add_argument("--claims", default="plain.*,tight.*,heldout.*")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--partial", default=None, help="append each finished task to this JSONL file and skip the "
                    "tasks it already holds (resume a stopped run)")
    ap.add_argument("--summarize-only", action="store_true", help="with --partial: score the tasks it holds, "
                    "run nothing (a stopped run's report says how many runs each claim had)")
    ap.add_argument("--out", default=str(HERE / "results" / "search_power"))
    ap.add_argument("--module", default="claims_plain", help="the claims module in bench/, laid out like "
                    "claims_plain (TRUTH, KNOWN_SUP, BOXES, PLAIN_TIGHT, HELDOUT), e.g. claims_tight7")
    args = ap.parse_args(argv)
    import importlib
    import importlib.metadata as md

    global CP
    if args.module != "claims_plain":
        CP = importlib.import_module(args.module)

    claims = select(args.claims.split(","))
    t0 = time.perf_counter()
    tasks = [(c.id, args.profile, seed) for c in claims for seed in range(args.seeds)]
    global _PARTIAL
    have = {}
    if args.partial:
        _PARTIAL = Path(args.partial)
        if _PARTIAL.exists():
            for line in _PARTIAL.read_text().splitlines():
                rec = json.loads(line)
                have[tuple(rec["task"])] = rec["result"]
    if args.summarize_only:
        tasks = [t for t in tasks if t in have]
        claims = [c for c in claims if any(t[0] == c.id for t in tasks)]
    todo = [t for t in tasks if t not in have]
    if args.jobs > 1:
        import multiprocessing as mp

        with mp.get_context("fork").Pool(args.jobs, maxtasksperchild=4) as pool:
            fresh = pool.map(_task, todo, chunksize=1)
    else:
        fresh = [_task(t) for t in todo]
    have.update(zip(todo, fresh, strict=True))
    done = [have[t] for t in tasks]
    runs = {c.id: [] for c in claims}
    for (cid, _, _), r in zip(tasks, done, strict=True):
        runs[cid].append(r)
    for cid, rs in runs.items():
        print(f"{cid}: " + ", ".join(f"{s}={[r[s]['detected'] if r[s] else None for r in rs]}" for s in SEARCHERS)
              + f" certify_s={[round(r['certify']['seconds'], 1) for r in rs]}", file=sys.stderr, flush=True)
    result = {"profile": args.profile, "seeds": list(range(args.seeds)), **summarize(runs),
              "wall_s": time.perf_counter() - t0, "jobs": args.jobs,
              "certify_seconds_total": round(sum(r["certify"]["seconds"] for rs in runs.values() for r in rs), 1),
              "assembled": bool(args.summarize_only),
              "versions": {"hypothesis": md.version("hypothesis"), "cma": md.version("cma")}}
    out_json = Path(args.out + ".json")
    merged = json.loads(out_json.read_text()) if out_json.exists() else {}
    merged["suites"] = {k: result[k] for k in ("plain_strategies", "heldout", "tight_constants", "rows", "profile",
                                               "seeds", "versions", "jobs", "certify_seconds_total")}
    merged["plain_strategies"] = result["plain_strategies"]
    merged["tight_constants"] = result["tight_constants"]
    out_json.write_text(json.dumps(merged, indent=1, allow_nan=False, default=str) + "\n")
    md_text = render(result)
    Path(args.out + "_suites.md").write_text(md_text)
    print(md_text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

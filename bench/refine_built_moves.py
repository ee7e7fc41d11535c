"""Refinement with CMA-ES moves built from a float template against the same refinement replaying every move
through Hypothesis (`Search.built_moves`), on claims written with plain float strategies and `cst` box inputs.

Each (claim, seed) runs the whole search (`run_claim`, `ci` counts fixed: 1000 examples, 12000 refinement
evaluations, no cost sizing and no extension rounds, so both arms do exactly the same moves); the two arms
alternate, --repeats times, and the CPU time of this process is recorded. Reported per claim: the median CPU
seconds of each arm, their ratio (replayed / built), the share of refinement moves that were built, and whether
the two arms ended at the same worst margin and empirical constant (they must: a built move is judged on the
instance a replay would give, and replayed before it counts). Results: bench/results/refine_built_moves.{json,md}.

Usage: python bench/refine_built_moves.py [--seeds 2] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for p in (str(ROOT), str(HERE)):
    if p not in sys.path:
        sys.path.insert(0, p)

import claims_plain  # noqa: E402,F401 - registers the claims
import claims_tight7  # noqa: E402,F401

from certify.claim import select  # noqa: E402
from certify.profiles import get_profile  # noqa: E402
from certify.search import run_claim  # noqa: E402
from certify.search.driver import Search  # noqa: E402

CLAIMS = ("tight7.duffin_schaeffer", "tight7.b_cheb_plain", "tight7.maxcut", "tight7.cheb_monic",
          "tight7.b_duffin_cst", "tight.kantorovich", "plain.null_space", "plain.vertex_sum")


def one(claim, seed, built: bool):
    profile = replace(get_profile("ci"), refine_evals=12000, eval_seconds=None)
    Search.built_moves = built
    try:
        t = time.process_time()
        v = run_claim(claim, profile, seed, with_mutants=False, with_baselines=False)
        return time.process_time() - t, v
    finally:
        Search.built_moves = True


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "refine_built_moves"))
    args = ap.parse_args(argv)
    import cma  # noqa: F401 - imported once, before any arm is timed

    rows = []
    for cid in CLAIMS:
        (claim,) = [c for c in select([cid]) if c.id == cid]
        for seed in range(args.seeds):
            times = {True: [], False: []}
            last = {}
            for _ in range(args.repeats):
                for built in (True, False):
                    s, v = one(claim, seed, built)
                    times[built].append(s)
                    last[built] = v
            b, r = last[True], last[False]
            same = (b.refinement.get("after") == r.refinement.get("after") and b.ratio_extreme == r.ratio_extreme
                    and b.status == r.status)
            row = {"claim": cid, "seed": seed, "built_s": statistics.median(times[True]),
                   "replayed_s": statistics.median(times[False]),
                   "built_share": round(b.refinement.get("built_evals", 0) / max(1, b.refinement.get("evals", 1)), 3),
                   "same_result": same, "status": b.status}
            row["ratio"] = round(row["replayed_s"] / row["built_s"], 3)
            rows.append(row)
            print(json.dumps(row), flush=True)
    ratios = [r["ratio"] for r in rows]
    result = {"rows": rows, "median_ratio": statistics.median(ratios), "min_ratio": min(ratios),
              "max_ratio": max(ratios), "all_same": all(r["same_result"] for r in rows),
              "seeds": args.seeds, "repeats": args.repeats}
    Path(args.out + ".json").write_text(json.dumps(result, indent=1) + "\n")
    lines = ["# Refinement: built moves against replaying every move (`bench/refine_built_moves.py`)", "",
             f"Whole searches at `ci` counts (1000 examples, 12000 refinement evaluations, no sizing), seeds "
             f"0..{args.seeds - 1}, median CPU seconds of {args.repeats} alternating repeats per arm.", "",
             f"Median ratio (replayed / built) **{result['median_ratio']}**, range {result['min_ratio']} - "
             f"{result['max_ratio']}; same worst margin, constant and status in every pair: **{result['all_same']}**.",
             "", "| claim | seed | built s | replayed s | ratio | moves built | same result |",
             "|---|---:|---:|---:|---:|---:|---|"]
    for r in rows:
        lines.append(f"| `{r['claim']}` | {r['seed']} | {r['built_s']:.2f} | {r['replayed_s']:.2f} | {r['ratio']} | "
                     f"{r['built_share']} | {r['same_result']} |")
    Path(args.out + ".md").write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

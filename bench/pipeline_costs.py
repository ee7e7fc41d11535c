"""Where the time of a search goes, claim by claim (DESIGN §7):

* Hypothesis throughput: the median time to *generate* an instance (Hypothesis engine + strategy) against
  the median time to *evaluate* its float64 margin. Generation must not dominate evaluation.
* High-precision confirmation: the time of one `confirm()` (mpmath at dps and 2*dps) of a counterexample,
  taken from each claim's first mutant (which the search refutes), next to the DESIGN target "within
  seconds at n <= 16".

* Where a real search's time goes: with `--search-report DIR` (a `certify run` report), the sum over the
  catalogue of each claim's `budget.time_split` (Hypothesis generation, float64 evaluation -- Hypothesis
  examples, refinement and probability trials --, high-precision confirmation).

Usage:  python bench/pipeline_costs.py [PATTERN ...] [--examples 40] [--search-report runs/ci-seed0]
        [--out bench/results/pipeline_costs]
Writes <out>.json and <out>.md (medians and ratios from one run; the machine is shared, so compare ratios).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np


def measure_generation(claim, examples: int, seed: int = 0) -> dict:
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hseed
    from hypothesis import strategies as st

    from certify.confirm import evaluate
    from certify.context import fp

    gen, ev = [], []
    state = {"last_end": None}

    @hseed(seed)
    @settings(max_examples=examples, deadline=None, database=None, phases=(Phase.generate,),
              suppress_health_check=list(HealthCheck))
    @given(st.fixed_dictionaries(claim.inputs))
    def body(instance):
        start = time.perf_counter()
        if state["last_end"] is not None:
            gen.append(start - state["last_end"])
        if claim.check_assume(instance):
            rng = (lambda: np.random.default_rng(0)) if claim.takes_rng else None
            t = time.perf_counter()
            with np.errstate(all="ignore"):
                try:
                    evaluate(claim, fp, instance, rng)
                except Exception:  # noqa: BLE001 - costs only; verdicts are the search's business
                    pass
            ev.append(time.perf_counter() - t)
        state["last_end"] = time.perf_counter()

    body()
    gen_total, ev_total = sum(gen), sum(ev[1:])
    gen_med = statistics.median(gen) if gen else None
    ev_med = statistics.median(ev[1:] or ev) if ev else None  # the first evaluation compiles
    return {"generate_median_s": gen_med, "evaluate_median_s": ev_med,
            "generate_over_evaluate": (gen_med / ev_med) if gen_med and ev_med else None,
            "instances": len(gen) + 1, "evaluated": len(ev), "generate_total_s": gen_total,
            "evaluate_total_s": ev_total}


def measure_confirmation(claim, seed: int = 0) -> dict:
    from dataclasses import replace

    from certify.confirm import confirm
    from certify.profiles import get_profile
    from certify.search import _Search

    if not claim.mutants or not claim.takes_ctx:
        return {"confirm_s": None, "note": "no mutant" if not claim.mutants else "fast-only"}
    mc = claim.mutants[0].apply(claim)
    prof = replace(get_profile("smoke"), examples=40, refine_evals=0, shrink_seconds=0.0)
    v = _Search(mc, prof, seed, None).run()
    if v.status != "refuted":
        return {"confirm_s": None, "note": f"mutant {claim.mutants[0].name} not refuted ({v.status})"}
    inst = v.minimal.instance
    rng = None
    if mc.kind == "probability":
        return {"confirm_s": None, "note": "probability claim (trials confirmed one by one)"}
    t = time.perf_counter()
    c = confirm(mc, inst, rng_factory=rng)
    dt = time.perf_counter() - t
    sizes = {k: list(np.shape(x)) for k, x in inst.items() if isinstance(x, np.ndarray)}
    return {"confirm_s": dt, "status": c.status, "dps": c.dps, "instance_shapes": sizes}


def _search_split(report_dir: str) -> dict:
    report = json.loads((Path(report_dir) / "report.json").read_text())
    tot = {"generate_s": 0.0, "evaluate_s": 0.0, "confirm_s": 0.0}
    dominated = []
    for c in report["claims"]:
        split = (c.get("budget") or {}).get("time_split")
        if not split:
            continue
        for k in tot:
            tot[k] += split.get(k, 0.0)
        if split.get("generate_s", 0) > split.get("evaluate_s", 0) + split.get("confirm_s", 0):
            dominated.append(c["id"])
    total = sum(tot.values()) or 1.0
    return {"report": report_dir, "profile": report.get("profile"), **{k: round(v, 2) for k, v in tot.items()},
            "generate_share": round(tot["generate_s"] / total, 3), "claims_where_generation_dominates": dominated}


def _split_lines(split: dict) -> list[str]:
    return [f"In real searches (`{split['report']}`, profile {split['profile']}, main search without mutants): "
            f"generation {split['generate_s']} s, evaluation {split['evaluate_s']} s, confirmation "
            f"{split['confirm_s']} s over the catalogue; generation's share {split['generate_share']}; claims "
            f"whose generation exceeds evaluation + confirmation: {len(split['claims_where_generation_dominates'])}.",
            ""]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("patterns", nargs="*")
    ap.add_argument("--examples", type=int, default=40)
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "pipeline_costs"))
    ap.add_argument("--search-report", default=None, help="a certify run's report dir: summarise time_split")
    args = ap.parse_args(argv)
    search_split = _search_split(args.search_report) if args.search_report else None

    import certify
    from certify.claim import discover, select

    discover()
    rows = []
    for c in select(args.patterns or None):
        if c.kind == "scaling":
            continue
        t0 = time.perf_counter()
        row = {"id": c.id, "kind": c.kind}
        try:
            row.update(measure_generation(c, args.examples))
            row.update(measure_confirmation(c))
        except Exception as exc:  # noqa: BLE001
            row["error"] = f"{type(exc).__name__}: {exc}"
        row["wall_s"] = time.perf_counter() - t0
        rows.append(row)
        print(f"{c.id:45s} gen/eval {row.get('generate_over_evaluate')!s:>22}  confirm {row.get('confirm_s')}",
              file=sys.stderr)
    ratios = [r["generate_over_evaluate"] for r in rows if r.get("generate_over_evaluate")]
    confirms = [r["confirm_s"] for r in rows if r.get("confirm_s")]
    gen_sum = sum(r.get("generate_total_s") or 0 for r in rows)
    ev_sum = sum(r.get("evaluate_total_s") or 0 for r in rows)
    summary = {
        "claims": len(rows),
        "catalogue_generation_share": gen_sum / (gen_sum + ev_sum) if gen_sum + ev_sum else None,
        "median_generate_over_evaluate": statistics.median(ratios) if ratios else None,
        "claims_where_generation_dominates": sorted(r["id"] for r in rows
                                                    if (r.get("generate_over_evaluate") or 0) > 1.0),
        "median_confirm_s": statistics.median(confirms) if confirms else None,
        "max_confirm_s": max(confirms) if confirms else None,
    }
    summary["search_time_split"] = search_split
    out = {"benchmark": "pipeline_costs", "machine": {"python": platform.python_version(),
           "processor": platform.processor() or platform.machine(), "cores": __import__("os").cpu_count()},
           "certify": certify.__version__, "examples": args.examples, "summary": summary, "claims": rows}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out + ".json").write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")
    lines = ["# Pipeline costs (bench/pipeline_costs.py)", "",
             f"Median generate/evaluate ratio: {summary['median_generate_over_evaluate']}; claims where generation "
             f"dominates (ratio > 1): {len(summary['claims_where_generation_dominates'])} of {len(rows)}. "
             f"Share of generation in generate+evaluate time over the whole catalogue (one trial per "
             f"probability instance): {summary['catalogue_generation_share']}.",
             f"Confirmation of one counterexample (mpmath at dps and 2 dps): median "
             f"{summary['median_confirm_s']} s, max {summary['max_confirm_s']} s.", "",
             *(_split_lines(search_split) if search_split else []),
             "| claim | generate (ms) | evaluate (ms) | gen/eval | confirm (s) | note |", "|---|---|---|---|---|---|"]

    def ms(x):
        return "-" if x is None else f"{1000 * x:.3g}"

    for r in rows:
        ratio = r.get("generate_over_evaluate")
        conf = r.get("confirm_s")
        lines.append(f"| {r['id']} | {ms(r.get('generate_median_s'))} | {ms(r.get('evaluate_median_s'))} | "
                     f"{'-' if ratio is None else f'{ratio:.2g}'} | {'-' if conf is None else f'{conf:.2g}'} | "
                     f"{r.get('note') or r.get('error') or ''} |")
    Path(args.out + ".md").write_text("\n".join(lines) + "\n")
    print(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

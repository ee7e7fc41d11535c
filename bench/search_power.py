"""Benchmark: search power of certify against plain Hypothesis, at equal wall time.

Claims (bench/claims_search_power.py, ids ``bench.*``):
  false claims whose violations are rare (vertex of a box, balance points of weighted/shifted coordinates,
  a two-way softmax tie with the rest saturated, a thin slab inside the boundary of the hypothesis set, a
  neighbourhood of rank-one matrices with a prescribed singular value), and true claims that float64 gets
  wrong (rounding identities, cancellation, Cauchy-Schwarz at equality).

Methods, per (claim, seed):
  certify  certify.search.run_claim(claim, profile, seed) with mutants and baselines off: Hypothesis steered by
           hypothesis.target on the relative margin, then refinement, every float64 violation confirmed in mpmath
           at dps and 2*dps. Detection = verdict "refuted" (a confirmed counterexample). Its wall time T is measured.
  plain    plain Hypothesis on the same strategies and the same float64 margin: @given, no target, no
           refinement, no confirmation, database=None, derandomize=False, deadline=None, seed set with
           hypothesis.seed; examples are generated (chunks of max_examples) until T has been used.
           Detection = the first float64 margin < 0. On a true claim that is a wrong refutation. Each plain
           detection is confirmed afterwards (outside the timed window) only to record whether it was genuine.

Margins (DESIGN section 7, "refinement finds strictly lower margins than Hypothesis alone"): for each run we record
the lowest relative margin found by plain Hypothesis, by certify's Hypothesis phase alone (the best margin when
its refinement starts) and by certify after refinement. The Hypothesis-phase margin is read from the verdict
(`Verdict.search`: "refine_before", "refine_after"); when a counterexample is already confirmed in the
Hypothesis phase, refinement does not run and the comparison is "n/a" for that run.

Results: medians / rates over the seeds from ONE run, written to bench/results/search_power.json and .md.
Usage:
  python bench/search_power.py [--seeds 5] [--profile certify] [--examples N] [--seconds S] [--claims PAT,...]
                               [--quick] [--out bench/results/search_power.json]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from certify import search as _search  # noqa: E402
from certify.claim import get_claim, load_path, select  # noqa: E402
from certify.confirm import confirm, evaluate  # noqa: E402
from certify.context import fp  # noqa: E402

CLAIMS_FILE = Path(__file__).resolve().parent / "claims_search_power.py"
DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "search_power.json"


def load_claims(patterns=None) -> list:
    """Import the benchmark claims and return them (false claims first, then true claims)."""
    load_path(str(CLAIMS_FILE))
    mod = next(m for m in sys.modules.values() if getattr(m, "__file__", None)
               and Path(m.__file__).resolve() == CLAIMS_FILE)
    order = {cid: i for i, cid in enumerate(mod.ALL_CLAIMS)}
    claims = select(patterns or ["bench.*"])
    claims = [c for c in claims if c.id in order]
    return sorted(claims, key=lambda c: order[c.id])


def _rel(x) -> float | None:
    try:
        r = float(x)
    except (TypeError, ValueError, OverflowError):
        return None
    if r != r:
        return -math.inf
    return r


# ----------------------------------------------------------------------------- certify
def run_certify(claim, profile: str, seed: int, examples: int | None = None, seconds: float | None = None) -> dict:
    """certify's search on one claim and seed, mutants and baselines off; wall time measured around run_claim.
    How the search went (refinement start margins, time of the first confirmed violation) is read from the
    verdict's `search` facts."""
    t0 = time.perf_counter()
    v = _search.run_claim(claim, profile, seed, examples=examples, seconds=seconds,
                          with_mutants=False, with_baselines=False)
    wall = time.perf_counter() - t0
    facts = v.search or {}
    found_at, t_start = facts.get("found_at"), facts.get("t0")
    worst = v.worst.rel if v.worst is not None else None
    if v.counterexample is not None and v.counterexample.rel is not None:
        worst = min(worst if worst is not None else math.inf, v.counterexample.rel)
    refine_ran = bool(facts.get("refine_ran"))
    before = facts.get("refine_before") if refine_ran else None
    after = facts.get("refine_after") if refine_ran else None
    return {
        "status": v.status,
        "detected": v.status == "refuted",
        "wall_s": wall,
        "duration_s": v.duration_s,
        "time_to_detect_s": (found_at - t_start) if (found_at is not None and t_start is not None
                                                     and v.status == "refuted") else None,
        "examples": v.examples,
        "valid_examples": v.valid_examples,
        "min_rel": _rel(worst),
        "hypothesis_phase_min_rel": _rel(before) if refine_ran else _rel(worst),
        "refine_ran": refine_ran,
        "refine_before": _rel(before) if refine_ran else None,
        "refine_after": _rel(after) if refine_ran else None,
        "refine_evals": v.refinement.get("evals"),
        "refine_start_rels": [_rel(x) for x in facts.get("refine_start_rels", [])],
        "refine_distinct_starts": facts.get("refine_distinct_starts"),
        "found_in": None if v.status != "refuted" else ("refinement" if refine_ran else "hypothesis"),
        "float_artifacts": len(v.float_artifacts),
        "unstable": len(v.unstable),
        "counterexample_confirmation": (v.minimal.confirmation if v.minimal is not None
                                        and v.minimal.confirmation else None),
        "reason": v.reason[:300],
    }


# ----------------------------------------------------------------------------- plain Hypothesis
class _Found(Exception):
    pass


class _TimeUp(BaseException):
    """Stops Hypothesis without shrinking (BaseException passes through it)."""


def _copy(v):
    if isinstance(v, dict):
        return {k: _copy(x) for k, x in v.items()}
    return v.copy() if isinstance(v, np.ndarray) else v


def run_plain(claim, seconds: float, seed: int, chunk: int = 5000, confirm_after: bool = True) -> dict:
    """Plain Hypothesis for `seconds` of wall time: @given over the claim's strategies, no target, no refinement,
    no confirmation; stops at the first float64 violation (margin < 0)."""
    from hypothesis import HealthCheck, Phase, Verbosity, assume, given, settings
    from hypothesis import seed as hseed
    from hypothesis import strategies as st
    from hypothesis.errors import Unsatisfiable

    state = {"examples": 0, "valid": 0, "min_rel": math.inf, "violation": None, "t_detect": None}
    strategy = st.fixed_dictionaries(dict(claim.inputs))
    t0 = time.perf_counter()
    deadline = t0 + seconds

    def body(instance):
        if time.perf_counter() > deadline:
            raise _TimeUp()
        state["examples"] += 1
        if not claim.check_assume(instance):
            assume(False)
        state["valid"] += 1
        with np.errstate(all="ignore"):
            out = evaluate(claim, fp, _copy(instance))
        rel = _rel(out.rel_margin)
        if rel is not None and rel < state["min_rel"]:
            state["min_rel"] = rel
        if out.violated:
            state["violation"] = (instance, out.as_float())
            state["t_detect"] = time.perf_counter() - t0
            raise _Found()

    k = 0
    try:
        while time.perf_counter() < deadline:
            @hseed((int(seed) * 1000003 + 7919 * k + 17) % (2**32))
            @settings(max_examples=chunk, deadline=None, database=None, derandomize=False,
                      phases=(Phase.explicit, Phase.generate), suppress_health_check=list(HealthCheck),
                      verbosity=Verbosity.quiet, print_blob=False, report_multiple_bugs=False)
            @given(strategy)
            def test(instance):
                body(instance)

            try:
                test()
            except Unsatisfiable:
                pass
            k += 1
    except _TimeUp:
        pass
    except _Found:
        pass
    wall = time.perf_counter() - t0
    res = {
        "detected": state["violation"] is not None,
        "wall_s": wall,
        "time_to_detect_s": state["t_detect"],
        "examples": state["examples"],
        "valid_examples": state["valid"],
        "min_rel": None if state["min_rel"] == math.inf else state["min_rel"],
        "hypothesis_chunks_started": k + 1,
        "violation_fp_margin": state["violation"][1]["margin"] if state["violation"] else None,
        "violation_confirmation": None,
    }
    if state["violation"] is not None and confirm_after and claim.takes_ctx:
        c = confirm(claim, state["violation"][0])          # not timed: bookkeeping only
        res["violation_confirmation"] = c.status
    return res


# ----------------------------------------------------------------------------- the benchmark
def _median(xs):
    xs = [x for x in xs if x is not None and not (isinstance(x, float) and math.isnan(x))]
    if not xs:
        return None
    return float(statistics.median(xs))


def run_benchmark(claims, seeds, profile="certify", examples=None, seconds=None, log=print) -> dict:
    """Run both methods on every claim and seed; return raw runs and per-claim summaries."""
    rows = []
    for claim in claims:
        runs = []
        for seed in seeds:
            c = run_certify(claim, profile, seed, examples=examples, seconds=seconds)
            p = run_plain(claim, c["wall_s"], seed)
            runs.append({"seed": seed, "certify": c, "plain": p})
            if log:
                log(f"{claim.id:28s} seed {seed}: certify {c['status']:12s} {c['wall_s']:6.2f}s "
                    f"min_rel {_fmt(c['min_rel'], '.4g')} ({c['found_in'] or '-'}) | plain detected={p['detected']!s:5} "
                    f"ex={p['examples']} min_rel {_fmt(p['min_rel'], '.4g')}", flush=True)
        rows.append(summarize_claim(claim, runs))
    return {"claims": rows, "totals": totals(rows)}


def summarize_claim(claim, runs) -> dict:
    n = len(runs)
    truth = "false" if claim.expect == "refuted" else "true"
    c = [r["certify"] for r in runs]
    p = [r["plain"] for r in runs]
    c_det = sum(x["detected"] for x in c)
    p_det = sum(x["detected"] for x in p)
    refined = [x for x in c if x["refine_ran"] and x["refine_before"] is not None and x["refine_after"] is not None]
    lowered = sum(1 for x in refined if x["refine_after"] < x["refine_before"])
    c_vs_p = [(x["min_rel"], y["min_rel"]) for x, y in zip(c, p, strict=True) if x["min_rel"] is not None
              and y["min_rel"] is not None]
    return {
        "id": claim.id,
        "truth": truth,
        "expect": claim.expect,
        "statement": claim.statement,
        "seeds": n,
        "certify": {
            "detections": c_det, "detection_rate": c_det / n,
            "wrong_refutations": c_det if truth == "true" else 0,
            "statuses": [x["status"] for x in c],
            "found_in": [x["found_in"] for x in c],
            "median_wall_s": _median([x["wall_s"] for x in c]),
            "median_time_to_detect_s": _median([x["time_to_detect_s"] for x in c]),
            "median_examples": _median([x["examples"] for x in c]),
            "median_min_rel": _median([x["min_rel"] for x in c]),
            "median_float_artifacts": _median([x["float_artifacts"] for x in c]),
        },
        "plain": {
            "detections": p_det, "detection_rate": p_det / n,
            "wrong_refutations": p_det if truth == "true" else 0,
            "confirmed_detections": sum(1 for x in p if x["violation_confirmation"] == "confirmed"),
            "median_wall_s": _median([x["wall_s"] for x in p]),
            "median_time_to_detect_s": _median([x["time_to_detect_s"] for x in p]),
            "median_examples": _median([x["examples"] for x in p]),
            "median_min_rel": _median([x["min_rel"] for x in p]),
        },
        "margins": {
            "median_plain_min_rel": _median([x["min_rel"] for x in p]),
            "median_certify_min_rel": _median([x["min_rel"] for x in c]),
            "median_hypothesis_phase_min_rel": _median([x["hypothesis_phase_min_rel"] for x in c]),
            "median_before_refinement_min_rel": _median([x["refine_before"] for x in refined]),
            "median_after_refinement_min_rel": _median([x["refine_after"] for x in refined]),
            "refinement_runs": len(refined),
            "refinement_strictly_lower": lowered,
            "certify_below_plain": sum(1 for a, b in c_vs_p if a < b),
            "certify_vs_plain_pairs": len(c_vs_p),
        },
        "runs": runs,
    }


def totals(rows) -> dict:
    false_rows = [r for r in rows if r["truth"] == "false"]
    true_rows = [r for r in rows if r["truth"] == "true"]
    c_false = sum(r["certify"]["detections"] for r in false_rows)
    p_false = sum(r["plain"]["detections"] for r in false_rows)
    c_wrong = sum(r["certify"]["wrong_refutations"] for r in true_rows)
    p_wrong = sum(r["plain"]["wrong_refutations"] for r in true_rows)
    runs_false = sum(r["seeds"] for r in false_rows)
    runs_true = sum(r["seeds"] for r in true_rows)
    ref_runs = sum(r["margins"]["refinement_runs"] for r in rows)
    ref_lower = sum(r["margins"]["refinement_strictly_lower"] for r in rows)
    ref_runs_f = sum(r["margins"]["refinement_runs"] for r in false_rows)
    ref_lower_f = sum(r["margins"]["refinement_strictly_lower"] for r in false_rows)
    return {
        "false_claim_runs": runs_false,
        "certify_detections": c_false,
        "plain_detections": p_false,
        "certify_detection_rate": c_false / runs_false if runs_false else None,
        "plain_detection_rate": p_false / runs_false if runs_false else None,
        "true_claim_runs": runs_true,
        "certify_wrong_refutations": c_wrong,
        "plain_wrong_refutations": p_wrong,
        "certify_wrong_refutation_claims": [r["id"] for r in true_rows if r["certify"]["wrong_refutations"]],
        "claims_certify_detects_more": [r["id"] for r in false_rows
                                        if r["certify"]["detections"] > r["plain"]["detections"]],
        "claims_plain_detects_more": [r["id"] for r in false_rows
                                      if r["plain"]["detections"] > r["certify"]["detections"]],
        "refinement_runs": ref_runs,
        "refinement_strictly_lower": ref_lower,
        "refinement_runs_false_claims": ref_runs_f,
        "refinement_strictly_lower_false_claims": ref_lower_f,
        "refinement_runs_true_claims": ref_runs - ref_runs_f,
        "refinement_strictly_lower_true_claims": ref_lower - ref_lower_f,
        "median_examples_false_claims_certify": _median([x["certify"]["examples"] for r in false_rows
                                                         for x in r["runs"]]),
        "median_examples_false_claims_plain": _median([x["plain"]["examples"] for r in false_rows
                                                       for x in r["runs"]]),
        "runs_certify_min_margin_below_plain": sum(r["margins"]["certify_below_plain"] for r in rows),
        "runs_with_both_margins": sum(r["margins"]["certify_vs_plain_pairs"] for r in rows),
        "requirement_detects_more": c_false > p_false,
        "requirement_no_wrong_refutation": c_wrong == 0,
    }


# ----------------------------------------------------------------------------- environment and output
def machine_info() -> dict:
    import hypothesis
    import mpmath
    import scipy

    import certify

    info = {
        "python": sys.version.split()[0], "platform": platform.platform(), "machine": platform.machine(),
        "processor": platform.processor(), "cpu_count": os.cpu_count(),
        "versions": {"certify": certify.__version__, "hypothesis": hypothesis.__version__,
                     "numpy": np.__version__, "scipy": scipy.__version__, "mpmath": mpmath.__version__},
    }
    try:
        info["loadavg_at_start"] = os.getloadavg()
    except OSError:
        pass
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        import subprocess

        info["git_commit"] = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True,
                                            text=True, timeout=10).stdout.strip()
    except Exception:  # noqa: BLE001
        pass
    return info


def _fmt(x, spec=".3g"):
    if x is None:
        return "n/a"
    if isinstance(x, float) and math.isinf(x):
        return "-inf" if x < 0 else "inf"
    return format(x, spec)


def render_md(result: dict) -> str:
    cfg, tot = result["config"], result["totals"]
    lines = [
        "# search_power: certify vs plain Hypothesis at equal wall time",
        "",
        f"Profile `{cfg['profile']}` (examples={cfg['examples']}, refine_evals={cfg['refine_evals']}, "
        f"seconds cap={cfg['seconds']}), seeds {cfg['seeds']}, mutants/baselines off. Plain Hypothesis gets, per "
        "(claim, seed), the wall time certify used; it has no target, no refinement, no confirmation, and detects at "
        "the first float64 margin < 0. certify detects with a confirmed counterexample (mpmath, dps and 2 dps).",
        "",
        "| claim | truth | certify detect | plain detect | wrong refut. certify / plain | median s | "
        "lowest rel. margin: plain | certify | refinement: before -> after | refinement lowered |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in result["claims"]:
        c, p, m = r["certify"], r["plain"], r["margins"]
        wrong = (f"{c['wrong_refutations']} / {p['wrong_refutations']}" if r["truth"] == "true" else "-")
        lines.append(
            f"| `{r['id']}` | {r['truth']} | {c['detections']}/{r['seeds']} | {p['detections']}/{r['seeds']} | "
            f"{wrong} | {_fmt(c['median_wall_s'], '.2f')} | {_fmt(m['median_plain_min_rel'], '.6g')} | "
            f"{_fmt(m['median_certify_min_rel'], '.6g')} | {_fmt(m['median_before_refinement_min_rel'], '.6g')} -> "
            f"{_fmt(m['median_after_refinement_min_rel'], '.6g')} | "
            f"{m['refinement_strictly_lower']}/{m['refinement_runs']} |")
    lines += [
        "",
        f"**False claims** ({tot['false_claim_runs']} runs): certify detected {tot['certify_detections']} "
        f"({_fmt(tot['certify_detection_rate'], '.0%')}), plain Hypothesis {tot['plain_detections']} "
        f"({_fmt(tot['plain_detection_rate'], '.0%')}). Claims where certify detects more: "
        f"{', '.join(tot['claims_certify_detects_more']) or 'none'}; where plain detects more: "
        f"{', '.join(tot['claims_plain_detects_more']) or 'none'}. Median examples per run: certify "
        f"{_fmt(tot['median_examples_false_claims_certify'], '.0f')} (Hypothesis examples plus refinement evaluations),"
        f" plain Hypothesis {_fmt(tot['median_examples_false_claims_plain'], '.0f')} in the same wall time.",
        "",
        f"**True claims** ({tot['true_claim_runs']} runs): wrong refutations certify {tot['certify_wrong_refutations']}"
        f" ({', '.join(tot['certify_wrong_refutation_claims']) or 'none'}), plain Hypothesis "
        f"{tot['plain_wrong_refutations']}.",
        "",
        f"**Refinement** (DESIGN section 7): refinement ended strictly below the best margin of certify's "
        f"Hypothesis phase in {tot['refinement_strictly_lower_false_claims']} of "
        f"{tot['refinement_runs_false_claims']} runs on the false claims and in "
        f"{tot['refinement_strictly_lower_true_claims']} of {tot['refinement_runs_true_claims']} on the true claims "
        "(where the Hypothesis phase often already sits a few float64 ulps below zero, e.g. x * (1/x) = 1 - 2^-53, "
        "the lowest value that expression can take). Runs whose counterexample was confirmed in "
        "the Hypothesis phase do not refine (not counted). certify's lowest margin "
        f"was strictly below plain Hypothesis's in {tot['runs_certify_min_margin_below_plain']} of "
        f"{tot['runs_with_both_margins']} runs (all claims; on true claims plain stops at its first violation).",
        "",
        f"Requirements: certify detects more = {tot['requirement_detects_more']}; certify refutes no true claim = "
        f"{tot['requirement_no_wrong_refutation']}.",
        "",
    ]
    wrong = [(r["id"], run) for r in result["claims"] if r["truth"] == "true" for run in r["runs"]
             if run["certify"]["detected"]]
    if wrong:
        lines += ["certify's refutations of TRUE claims (confirmation of the counterexample it reported):", ""]
        for cid, run in wrong:
            conf = run["certify"].get("counterexample_confirmation") or {}
            lines.append(f"- `{cid}` seed {run['seed']}: margin {_fmt(conf.get('margin_dps'))} at dps "
                         f"{conf.get('dps')} and {_fmt(conf.get('margin_2dps'))} at 2 dps, rigorous="
                         f"{conf.get('rigorous')}, ball enclosure of the margin {conf.get('enclosure')}")
        lines.append("")
    lines += [
        "Margins are relative margins (margin / size of the two sides; < 0 is a violation), medians over seeds. "
        "'plain' and 'certify' = lowest margin of each method's run (plain stops at its first violation; certify "
        "at its first confirmed one). 'before -> after' = certify's best margin when refinement starts and when it "
        "ends, medians over the runs where refinement ran (n in the last column).",
        "",
        f"Machine: {result['machine'].get('cpu', '?')}, {result['machine'].get('cpu_count')} cores (shared), "
        f"load average at start {_fmt((result['machine'].get('loadavg_at_start') or [None])[0], '.1f')}, "
        f"Python {result['machine']['python']}, " + ", ".join(f"{k} {v}" for k, v in
                                                             result['machine']['versions'].items()) + ". "
        f"Total wall time {result['total_wall_s']:.0f} s. Raw runs in search_power.json.",
        "",
    ]
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, default=5, help="number of seeds (0..N-1), default 5")
    ap.add_argument("--profile", default="certify", help="certify profile for certify's search (default certify)")
    ap.add_argument("--examples", type=int, default=None, help="override the profile's Hypothesis examples")
    ap.add_argument("--seconds", type=float, default=None, help="override the profile's per-claim seconds cap")
    ap.add_argument("--claims", default=None, help="comma-separated id patterns (default bench.*)")
    ap.add_argument("--quick", action="store_true", help="1 seed, smoke profile (a machinery check, not a result)")
    ap.add_argument("--rerender", default=None, metavar="JSON",
                    help="recompute summaries and the table from the raw runs of a saved result (no search)")
    ap.add_argument("--out", default=None, help=f"output JSON (default {DEFAULT_OUT.relative_to(ROOT)}; "
                                                "--quick writes nothing unless --out is given)")
    args = ap.parse_args(argv)
    if args.seeds < 1:
        ap.error("--seeds must be >= 1")
    if args.rerender:
        return rerender(Path(args.rerender), Path(args.out) if args.out else Path(args.rerender))
    if args.quick:
        args.seeds, args.profile = 1, "smoke"
    from certify.profiles import get_profile

    try:
        prof = get_profile(args.profile).with_budget(args.examples, args.seconds)
    except Exception as exc:  # noqa: BLE001
        ap.error(str(exc))
    claims = load_claims(args.claims.split(",") if args.claims else None)
    if not claims:
        ap.error(f"no benchmark claim matches {args.claims!r}")
    seeds = list(range(args.seeds))
    info = machine_info()
    t0 = time.perf_counter()
    res = run_benchmark(claims, seeds, args.profile, args.examples, args.seconds)
    result = {
        "schema": "certify-bench-search-power/1",
        "config": {"profile": args.profile, "examples": prof.examples, "refine_evals": prof.refine_evals,
                   "refine_starts": prof.refine_starts, "seconds": prof.seconds, "seeds": seeds,
                   "claims": [c.id for c in claims], "plain_chunk_examples": 5000},
        "machine": info,
        "total_wall_s": time.perf_counter() - t0,
        **res,
    }
    out = Path(args.out) if args.out else (None if args.quick else DEFAULT_OUT)
    if out is not None:
        _write(result, out)
    else:
        print(render_md(result))
    return 0


def rerender(src: Path, out: Path) -> int:
    """Rebuild per-claim summaries, totals and the Markdown table from the raw runs saved in `src`."""
    result = json.loads(src.read_text())
    by_id = {c.id: c for c in load_claims()}

    def revive(x):  # JSON stores non-finite floats as strings
        if isinstance(x, dict):
            return {k: revive(v) for k, v in x.items()}
        if isinstance(x, list):
            return [revive(v) for v in x]
        if x in ("inf", "-inf", "nan"):
            return float(x)
        return x

    rows = [summarize_claim(by_id[r["id"]], revive(r["runs"])) for r in result["claims"]]
    result["claims"], result["totals"] = rows, totals(rows)
    _write(result, out)
    return 0


def _write(result: dict, out: Path):
    md = render_md(result)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(_finite(result), indent=1, default=_json_default) + "\n")
    out.with_suffix(".md").write_text(md)
    print(md)
    print(f"wrote {out} and {out.with_suffix('.md')}")


def _finite(o):
    """JSON has no inf/nan: write them as strings."""
    if isinstance(o, dict):
        return {k: _finite(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_finite(v) for v in o]
    if isinstance(o, (float, np.floating)) and not math.isfinite(float(o)):
        return str(float(o))
    return o


def _json_default(o):
    if isinstance(o, (np.floating, np.integer)):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    return str(o)


__all__ = ["load_claims", "run_certify", "run_plain", "run_benchmark", "summarize_claim", "totals", "render_md",
           "machine_info", "main", "get_claim"]

if __name__ == "__main__":
    sys.exit(main())

"""The known-truth suite (tests/demo/plain_truth.py: claims written only with plain Hypothesis strategies)
through the real pipeline, over several seeds: no true claim may be refuted or inconclusive, every false claim
should be refuted.

Families: equality (true, with exact-equality instances), attained (true, exact sup attained), trap (true,
float64 gets them wrong), false. Per (claim, seed): `certify.check(claim, profile, seed)`; the table gives the
statuses, the equality cases and float artifacts counted, and the wall time.

Usage:  python bench/known_truth.py [--profile ci] [--seeds 5] [--out bench/results/known_truth.md]
        [--label after]
Run it with PYTHONPATH pointing at another checkout to measure that version (the label names it).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "tests" / "demo"))

import plain_truth as PT  # noqa: E402

import certify  # noqa: E402


def run(profile: str, seeds: int) -> list[dict]:
    rows = []
    family = {cid: fam for fam, ids in PT.CASES.items() for cid in ids}
    for cid in PT.TRUE + PT.FALSE:
        for seed in range(seeds):
            t = time.perf_counter()
            v = certify.check(cid, profile=profile, seed=seed)
            rows.append({"id": cid, "family": family[cid], "seed": seed, "status": v.status,
                         "equality_cases": getattr(v, "equality_cases", None),
                         "float_artifacts": len(v.float_artifacts), "unstable": len(v.unstable),
                         "worst_margin": (v.worst.outcome.get("margin") if v.worst is not None else None),
                         "seconds": time.perf_counter() - t, "reason": v.reason})
            print(f"{cid:28s} seed {seed} {v.status:12s} {rows[-1]['seconds']:6.1f}s", flush=True)
    return rows


def markdown(rows: list[dict], profile: str, seeds: int, label: str) -> str:
    true_rows = [r for r in rows if r["family"] != "false"]
    false_rows = [r for r in rows if r["family"] == "false"]
    wrong = [r for r in true_rows if r["status"] in ("refuted", "unconfirmed")]
    inconclusive = [r for r in true_rows if r["status"] in ("inconclusive", "error")]
    negative_worst = [r for r in true_rows if isinstance(r["worst_margin"], (int, float)) and r["worst_margin"] < 0]
    refuted = [r for r in false_rows if r["status"] == "refuted"]
    lines = [f"# Known-truth suite ({label}): profile {profile}, seeds 0..{seeds - 1}", "",
             "Claims written only with plain `hypothesis.strategies` (tests/demo/plain_truth.py), run through "
             "`certify.check`. Produced by `python bench/known_truth.py`.", "",
             f"- true claims: {len(true_rows)} runs; refuted {len(wrong)}; inconclusive or error {len(inconclusive)}; "
             f"survived {sum(r['status'] == 'survived' for r in true_rows)}",
             f"- true claims whose reported worst margin is negative (a float artifact shown as the worst case): "
             f"{len(negative_worst)}",
             f"- false claims: {len(false_rows)} runs; refuted {len(refuted)} "
             f"({100 * len(refuted) / max(1, len(false_rows)):.0f} %)",
             f"- median seconds per run: {statistics.median(r['seconds'] for r in rows):.2f}", "",
             "| claim | family | statuses (seed 0..) | equality cases | float artifacts | median s |",
             "|---|---|---|---|---|---|"]
    for cid in PT.TRUE + PT.FALSE:
        rs = [r for r in rows if r["id"] == cid]
        eq = [r["equality_cases"] for r in rs]
        lines.append(f"| {cid} | {rs[0]['family']} | {' '.join(r['status'] for r in rs)} | "
                     f"{'n/a' if None in eq else sum(eq)} | {sum(r['float_artifacts'] for r in rs)} | "
                     f"{statistics.median(r['seconds'] for r in rs):.2f} |")
    bad = wrong + inconclusive
    if bad:
        lines += ["", "Wrong or inconclusive verdicts on true claims:", ""]
        lines += [f"- {r['id']} seed {r['seed']}: {r['status']}: {r['reason'][:200]}" for r in bad]
    missed = [r for r in false_rows if r["status"] != "refuted"]
    if missed:
        lines += ["", "False claims not refuted:", ""]
        lines += [f"- {r['id']} seed {r['seed']}: {r['status']}: {r['reason'][:200]}" for r in missed]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--profile", default="ci")
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--out", default=str(HERE / "results" / "known_truth.md"))
    ap.add_argument("--label", default="this checkout")
    args = ap.parse_args(argv)
    rows = run(args.profile, args.seeds)
    text = markdown(rows, args.profile, args.seeds, args.label)
    Path(args.out).write_text(text)
    print(text)
    true_bad = [r for r in rows if r["family"] != "false" and r["status"] not in ("survived",)]
    return 1 if true_bad else 0


if __name__ == "__main__":
    sys.exit(main())

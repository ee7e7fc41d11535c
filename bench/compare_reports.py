"""Compare two certify report directories for a behaviour-preserving change: same seed and profile must give
the same report.json, timing fields aside, and the same saved instances.

    python bench/compare_reports.py BEFORE_DIR AFTER_DIR [--root-before PATH --root-after PATH]
                                    [--ignore-top KEY ...]

Removed before comparing: the timing fields (`duration_s`, `time_split`, `created_at`, `finished_at`,
`wall_s`), `versions` and `command`; a traceback (`error`) is compared by its exception line only (its frames are framework
files, lines and depth); the report directories themselves and the source roots (given by
--root-before/--root-after) are replaced by placeholders in every string. Top-level keys named by
--ignore-top (e.g. a key the change adds on purpose) are listed but not compared. Instances (.npz) are
compared array by array. Exit code 0 when identical, 1 with the differing paths printed.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import numpy as np

TIMING = {"duration_s", "time_split", "created_at", "finished_at", "wall_s", "versions", "command"}


def normalise(x, subs):
    if isinstance(x, dict):
        return {k: _traceback_tail(v) if k in ("error", "traceback") else normalise(v, subs)
                for k, v in x.items() if k not in TIMING}
    if isinstance(x, list):
        return [normalise(v, subs) for v in x]
    if isinstance(x, str):
        for old, new in subs:
            if old:
                x = x.replace(old, new)
        return x
    return x


def _traceback_tail(v):
    """A traceback's frames are framework files, line numbers and call depth (cut at 12 frames), which a
    restructuring moves: compare its exception line only."""
    if not isinstance(v, str) or "Traceback" not in v:
        return v
    return {"exception": v.strip().splitlines()[-1]}


def diff(a, b, path="", out=None):
    out = [] if out is None else out
    if type(a) is not type(b):
        out.append(f"{path}: type {type(a).__name__} != {type(b).__name__}")
    elif isinstance(a, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                out.append(f"{path}/{k}: only in {'after' if k not in a else 'before'}")
            else:
                diff(a[k], b[k], f"{path}/{k}", out)
    elif isinstance(a, list):
        if len(a) != len(b):
            out.append(f"{path}: length {len(a)} != {len(b)}")
        for i, (x, y) in enumerate(zip(a, b, strict=False)):
            diff(x, y, f"{path}[{i}]", out)
    elif a != b and not (isinstance(a, float) and a != a and b != b):
        out.append(f"{path}: {a!r:.80} != {b!r:.80}")
    return out


def compare_instances(da: Path, db: Path) -> list[str]:
    out = []
    fa = sorted(p.relative_to(da) for p in (da / "instances").glob("*.npz")) if (da / "instances").exists() else []
    fb = sorted(p.relative_to(db) for p in (db / "instances").glob("*.npz")) if (db / "instances").exists() else []
    if fa != fb:
        out.append(f"instances: {sorted(set(map(str, fa)) ^ set(map(str, fb)))} differ")
    for rel in set(fa) & set(fb):
        with np.load(da / rel, allow_pickle=True) as za, np.load(db / rel, allow_pickle=True) as zb:
            if sorted(za.files) != sorted(zb.files):
                out.append(f"{rel}: arrays {za.files} != {zb.files}")
                continue
            for k in za.files:
                x, y = za[k], zb[k]
                same = x.shape == y.shape and x.dtype == y.dtype and (
                    np.array_equal(x, y, equal_nan=x.dtype.kind in "fc") if x.dtype != object
                    else repr(x.tolist()) == repr(y.tolist()))
                if not same:
                    out.append(f"{rel}:{k} differs")
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("before")
    ap.add_argument("after")
    ap.add_argument("--root-before", default="")
    ap.add_argument("--root-after", default="")
    ap.add_argument("--ignore-top", action="append", default=[])
    ap.add_argument("--noise", default=None, metavar="BEFORE2_DIR",
                    help="a second run of the unchanged code: paths that differ between BEFORE and BEFORE2 "
                         "(wall-clock measurements inside claims, e.g. runtime sweeps) are not compared")
    args = ap.parse_args(argv)
    da, db = Path(args.before), Path(args.after)
    ra = json.loads((da / "report.json").read_text())
    rb = json.loads((db / "report.json").read_text())
    # user modules are named after their path (certify_user_<path with non-word characters as _>)
    na = normalise(ra, [(args.root_before, "<ROOT>"), (re.sub(r"\W", "_", args.root_before), "<ROOT>"),
                        (str(da), "<REPORT>")])
    nb = normalise(rb, [(args.root_after, "<ROOT>"), (re.sub(r"\W", "_", args.root_after), "<ROOT>"),
                        (str(db), "<REPORT>")])
    for k in args.ignore_top:
        print(f"not compared: top-level {k!r} (before: {'present' if k in na else 'absent'}, "
              f"after: {'present' if k in nb else 'absent'})")
        na.pop(k, None)
        nb.pop(k, None)
    problems = diff(na, nb) + compare_instances(da, db)
    if args.noise:
        dn = Path(args.noise)
        nn = normalise(json.loads((dn / "report.json").read_text()),
                       [(args.root_before, "<ROOT>"), (re.sub(r"\W", "_", args.root_before), "<ROOT>"),
                        (str(dn), "<REPORT>")])
        for k in args.ignore_top:
            nn.pop(k, None)
        noisy = {p.split(":", 1)[0] for p in diff(na, nn) + compare_instances(da, dn)}
        kept = [p for p in problems if p.split(":", 1)[0] not in noisy]
        print(f"noise: {len(noisy)} path(s) differ between two runs of the unchanged code ({dn}); "
              f"{len(problems) - len(kept)} of the {len(problems)} difference(s) fall on them")
        for p in sorted(noisy)[:20]:
            print("  noisy: " + p)
        problems = kept
    n = len(na.get("claims", []))
    if problems:
        print(f"DIFFERENT: {len(problems)} difference(s) over {n} claims")
        for p in problems[:50]:
            print("  " + p)
        ids = [c.get("id") for c in na.get("claims", [])]
        per: dict = {}
        for p in problems:
            m = re.match(r"/claims\[(\d+)\]/([^/\[]+)", p)
            if m:
                per.setdefault(ids[int(m.group(1))], set()).add(m.group(2))
        for cid in sorted(per):
            print(f"  claim {cid}: {', '.join(sorted(per[cid]))}")
        return 1
    print(f"IDENTICAL: {n} claims, summary {na.get('summary', {}).get('by_status')}, "
          f"instances {len(list((da / 'instances').glob('*.npz'))) if (da / 'instances').exists() else 0}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

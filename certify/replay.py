"""`certify replay`: re-evaluate a saved counterexample or worst instance, without Hypothesis.

Contract: `replay(report_dir, claim_id, which, files)` loads the instance saved in a report ("auto": the minimal
counterexample if there is one, else the worst instance), rebuilds the claim with the params recorded with
the instance, evaluates it in float64 and confirms it in high precision (a probability claim: every trial
with its recorded random stream, through `certify.search.trials`), prints what it finds and returns the
exit code: 0 when a counterexample is reproduced (or a worst instance was replayed), 1 when not.
Loading (`_load`) reads only inside the report directory (`certify.reportdir.load_report`,
`certify.paths.inside`), turns a damaged report or instance into one InvalidArgument, and imports claim code
only from the catalogue or from `files` the user names: a record naming another file is refused with the
command that runs it deliberately.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .errors import InvalidArgument

__all__ = ["replay"]


def _saved_entry(rec: dict, which: str, claim_id: str, rpath: Path):
    entry, label = None, None
    if which in ("auto", "counterexample") and rec.get("counterexample"):
        entry = rec["counterexample"].get("minimal")
        label = "counterexample"
    if entry is None or "npz" not in (entry.get("instance") or {}):
        if which == "counterexample":
            raise InvalidArgument(f"claim {claim_id!r} has no saved counterexample in {rpath}; try --which worst")
        entry = rec.get("worst")
        label = "worst instance"
    if not entry or "npz" not in (entry.get("instance") or {}):
        raise InvalidArgument(f"claim {claim_id!r} has no saved instance in {rpath}")
    return entry, label


def _load(rdir: Path, claim_id: str, which: str, files: list[str]):
    """The record, the saved entry and its label, the instance and its description, and the claim -- read
    only from inside the report directory, with claim code only from the catalogue or the user's `files`."""
    from .claim import discover, load_path, registry
    from .paths import inside
    from .report.instances import load_instance
    from .reportdir import load_report

    report = load_report(rdir)
    rpath = rdir / "report.json"
    recs = [c for c in report["claims"] if c["id"] == claim_id]
    if not recs:
        raise InvalidArgument(f"claim {claim_id!r} is not in {rpath}; it has {len(report['claims'])} claims")
    rec = recs[0]
    entry, label = _saved_entry(rec, which, claim_id, rpath)
    npz = inside(rdir, entry["instance"]["npz"], f"{rpath}: claim {claim_id!r}: instance file")
    try:
        instance, desc = load_instance(npz)
    except Exception as exc:  # noqa: BLE001 - BadZipFile, pickle refusals, a layout that does not fit
        raise InvalidArgument(f"{npz}: the saved instance cannot be read ({type(exc).__name__}: "
                              f"{str(exc)[:150]}); the report is damaged") from None
    # code runs only from the catalogue or from files the user names: never from a path the report names
    discover()
    for f in files:
        load_path(f)
    claim = registry().get(claim_id)
    module, path = rec.get("module") or "", rec.get("path") or ""
    if claim is None:
        where = f"in {path}" if path else f"in module {module!r}" if module else "outside the catalogue"
        shown = path or "FILE.py"
        raise InvalidArgument(f"claim {claim_id!r} is defined {where}, which is not part of the catalogue; replay "
                              "runs only code you name: if you trust that file, run `certify replay "
                              f"{rdir} {shown} {claim_id}`")
    return rec, entry, label, instance, desc, claim


def replay(report_dir: str, claim_id: str, which: str = "auto", files: list[str] | None = None) -> int:
    from .confirm import confirm
    from .context import fp

    rdir = Path(report_dir)
    rec, entry, label, instance, desc, claim = _load(rdir, claim_id, which, list(files or []))
    if desc.get("params"):
        claim = claim.with_params({k: v for k, v in desc["params"].items() if k in claim.params
                                   and not isinstance(claim.params[k], (list, tuple, dict))
                                   and (v is None or isinstance(v, (int, float, str, bool)))})
    if claim.kind == "probability":
        return _replay_probability(claim, rec, entry, instance, label)
    with np.errstate(all="ignore"):
        o = claim.evaluate(fp, instance)
    print(f"{claim.id}: replaying the saved {label}")
    print(f"  float64 margin: {o.as_float()['margin']!r}  ratio: {o.as_float()['ratio']!r}")
    c = confirm(claim, instance)
    if c.status != "unavailable":
        print(f"  mpmath dps {c.dps}: margin {c.margin_dps!r}; dps {2 * c.dps}: margin {c.margin_2dps!r}")
    print(f"  reference verdict: {c.status} ({c.reason})")
    if label == "counterexample":
        reproduced = c.confirmed or (c.status == "unavailable" and o.violated)
        print("  reproduced" if reproduced else "  NOT reproduced")
        return 0 if reproduced else 1
    return 0


def _replay_probability(claim, rec, entry, instance, label) -> int:
    """Re-run every trial with the recorded random streams; re-confirm the failures in high precision."""
    from .search.trials import clopper_pearson, confirm_trials, failed_trials

    stats = entry.get("trials") or {}
    n = int(stats.get("trials") or claim.trials or 20)
    seed = int(rec.get("seed", 0))
    fails, _ = failed_trials(claim, instance, seed, n)
    lo, hi = clopper_pearson(len(fails), n)
    print(f"{claim.id}: replaying the saved {label}: {len(fails)} of {n} trials fail in float64 "
          f"(95% CI [{lo:.4g}, {hi:.4g}], delta={claim.verdict_delta:g})")
    c = confirm_trials(claim, instance, seed, fails, n)
    if c.status == "unavailable":
        print(f"  reference: {c.reason}")
    confirmed = c.detail.get("confirmed", 0)
    lo_c = clopper_pearson(confirmed, n)[0]
    print(f"  confirmed in high precision: {confirmed} failures; lower 95% bound {lo_c:.4g}")
    if label == "counterexample":
        ok = lo_c > claim.verdict_delta or (not claim.takes_ctx and lo > claim.verdict_delta)
        print("  reproduced" if ok else "  NOT reproduced")
        return 0 if ok else 1
    return 0

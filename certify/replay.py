"""`certify replay`: re-evaluate a saved counterexample or worst instance, without Hypothesis.

Contract: `replay(report_dir, claim_id, which)` loads the instance saved in a report ("auto": the minimal
counterexample if there is one, else the worst instance), rebuilds the claim with the params recorded with
the instance, evaluates it in float64 and confirms it in high precision (a probability claim: every trial
with its recorded random stream, through `certify.search.trials`), prints what it finds and returns the
exit code: 0 when a counterexample is reproduced (or a worst instance was replayed), 1 when not.

A counterexample is reproduced when the replay reaches the same conclusion by the same evidence:

* the status -- the reference confirms the violation again (a probability claim: the Clopper-Pearson lower
  bound of the confirmed failure rate exceeds delta again; output-only trials must be robust again);
* the failure count -- a probability claim's trials fail in float64 as often as the report says;
* the confirmed margin -- a bound claim's margin at 2 dps agrees with the recorded one to 1e-6 relative (a
  probability claim's, delta minus the CP lower bound of the confirmed rate, when the record has a
  confirmation mode, i.e. was written by a version that confirms trials the same way).

`replay_check` returns these facts as a `ReplayResult` (used by the tests that replay every refutation of a
report); `load_report` reads a report defensively (non-finite numbers may be written as numbers, tagged
strings or null).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import InvalidArgument

__all__ = ["replay", "replay_check", "load_report", "refuted_ids", "ReplayResult"]


@dataclass
class ReplayResult:
    claim_id: str
    label: str                      # "counterexample" or "worst instance"
    reproduced: bool | None         # None for a worst instance (nothing to reproduce)
    checks: dict = field(default_factory=dict)   # name -> (recorded, replayed, ok)
    lines: list = field(default_factory=list)


def load_report(report_dir) -> dict:
    """The report.json of a report directory: through the report package's loader when it has one, else
    plain JSON (tolerating the NaN/Infinity literals of older reports)."""
    rdir = Path(report_dir)
    rpath = rdir / "report.json"
    if not rpath.exists():
        raise InvalidArgument(f"no report.json in {str(rdir)!r}; pass the directory given to `certify run --report`")
    try:
        from .report import load_report as public_loader  # type: ignore[attr-defined]
    except ImportError:
        public_loader = None
    if public_loader is not None:
        return public_loader(rdir)
    return json.loads(rpath.read_text())


def refuted_ids(report: dict) -> list[str]:
    """Ids of the claims a report says are refuted."""
    return [c["id"] for c in report.get("claims", []) if c.get("status") == "refuted"]


def _num(x):
    """A recorded number, whatever its encoding (number, "inf"/"-inf"/"nan" string, None)."""
    if x is None or isinstance(x, bool):
        return None
    if isinstance(x, (int, float)):
        return float(x)
    if isinstance(x, str):
        try:
            return float(x)
        except ValueError:
            return None
    if isinstance(x, dict) and "value" in x:
        return _num(x["value"])
    return None


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


def _margins_agree(recorded, replayed, rtol: float = 1e-6) -> bool:
    if recorded is None or replayed is None:
        return recorded is None and replayed is None
    if recorded == replayed:
        return True
    if not (math.isfinite(recorded) and math.isfinite(replayed)):
        return False
    return abs(recorded - replayed) <= rtol * max(abs(recorded), abs(replayed))


def replay_check(report_dir: str, claim_id: str, which: str = "auto", report: dict | None = None) -> ReplayResult:
    """Replay one claim of a report; the facts, without printing."""
    from .claim import discover, get_claim, import_claim_home
    from .report.instances import load_instance

    rdir = Path(report_dir)
    rpath = rdir / "report.json"
    report = report if report is not None else load_report(rdir)
    recs = [c for c in report.get("claims", []) if c.get("id") == claim_id]
    if not recs:
        raise InvalidArgument(f"claim {claim_id!r} is not in {rpath}; it has {len(report.get('claims', []))} claims")
    rec = recs[0]
    entry, label = _saved_entry(rec, which, claim_id, rpath)
    instance, desc = load_instance(rdir / entry["instance"]["npz"])
    discover()
    import_claim_home(rec.get("module", ""), rec.get("path", ""))
    claim = get_claim(claim_id)
    if desc.get("params"):
        claim = claim.with_params({k: v for k, v in desc["params"].items() if k in claim.params
                                   and not isinstance(claim.params[k], (list, tuple, dict))
                                   and (v is None or isinstance(v, (int, float, str, bool)))})
    seed = int(rec.get("seed", desc.get("seed", 0)) or 0)
    if claim.kind == "probability":
        return _replay_probability(claim, entry, instance, label, seed)
    return _replay_bound(claim, entry, instance, label)


def _replay_bound(claim, entry, instance, label) -> ReplayResult:
    from .confirm import confirm
    from .context import fp

    res = ReplayResult(claim.id, label, None)
    with np.errstate(all="ignore"):
        o = claim.evaluate(fp, instance)
    res.lines.append(f"{claim.id}: replaying the saved {label}")
    res.lines.append(f"  float64 margin: {o.as_float()['margin']!r}  ratio: {o.as_float()['ratio']!r}")
    c = confirm(claim, instance)
    if c.status != "unavailable":
        res.lines.append(f"  mpmath dps {c.dps}: margin {c.margin_dps!r}; dps {2 * c.dps}: margin {c.margin_2dps!r}")
    res.lines.append(f"  reference verdict: {c.status} ({c.reason})"
                     + (f"; confirmation {c.mode}" if c.status != "unavailable" else ""))
    if c.marginal:
        res.lines.append(f"  MARGINAL: {c.marginal_note}")
    if label != "counterexample":
        return res
    recorded = entry.get("confirmation") or {}
    if c.status == "unavailable":
        ok = bool(o.violated) and not claim.takes_ctx
        res.checks["status"] = ("unconfirmed", "float64 violated" if o.violated else "float64 holds", ok)
    else:
        res.checks["status"] = ("confirmed", c.status, c.confirmed)
        rec_m = _num(recorded.get("margin_2dps"))
        if rec_m is not None:
            res.checks["confirmed margin"] = (rec_m, c.margin_2dps, _margins_agree(rec_m, c.margin_2dps))
    return _conclude(res)


def _replay_probability(claim, entry, instance, label, seed) -> ReplayResult:
    """Re-run every trial with the recorded random streams; re-confirm the failures in high precision."""
    from .search.trials import clopper_pearson, confirm_trials, failed_trials

    res = ReplayResult(claim.id, label, None)
    stats = entry.get("trials") or {}
    n = int(stats.get("trials") or claim.trials or 20)
    fails, _ = failed_trials(claim, instance, seed, n)
    lo, hi = clopper_pearson(len(fails), n)
    res.lines.append(f"{claim.id}: replaying the saved {label}: {len(fails)} of {n} trials fail in float64 "
                     f"(95% CI [{lo:.4g}, {hi:.4g}], delta={claim.verdict_delta:g})")
    if label != "counterexample":
        return res
    rec_fails = stats.get("failures")
    if rec_fails is not None:
        res.checks["failure count"] = (int(rec_fails), len(fails), int(rec_fails) == len(fails))
    if not claim.takes_ctx:
        res.checks["status"] = ("unconfirmed", f"CP lower bound {lo:.4g}", lo > claim.verdict_delta)
        return _conclude(res)
    c = confirm_trials(claim, instance, seed, fails, n)
    if c.status == "unavailable":
        res.lines.append(f"  reference: {c.reason}")
    confirmed = c.detail.get("confirmed", 0)
    lo_c = clopper_pearson(confirmed, n)[0]
    res.lines.append(f"  confirmed in high precision: {confirmed} failures ({c.mode}); lower 95% bound {lo_c:.4g}"
                     + (f"; {c.detail.get('fragile')} fragile" if c.detail.get("fragile") else ""))
    if c.marginal:
        res.lines.append(f"  MARGINAL: {c.marginal_note}")
    res.checks["status"] = ("confirmed", c.status, c.confirmed)
    recorded = entry.get("confirmation") or {}
    rec_m = _num(recorded.get("margin_2dps"))
    if rec_m is not None and "mode" in recorded:
        # delta minus the CP lower bound of the confirmed rate: replay stops confirming at the same trial as the
        # search did. Records without a confirmation mode predate robust output-only trials and stopped by
        # another rule, so for them the status and the failure count are what can be compared.
        res.checks["confirmed margin"] = (rec_m, c.margin_2dps, _margins_agree(rec_m, c.margin_2dps))
    return _conclude(res)


def _conclude(res: ReplayResult) -> ReplayResult:
    res.reproduced = all(ok for _, _, ok in res.checks.values())
    for name, (recorded, replayed, ok) in res.checks.items():
        res.lines.append(f"  {name}: report {recorded!r}, replay {replayed!r}: {'same' if ok else 'DIFFERS'}")
    res.lines.append("  reproduced" if res.reproduced else "  NOT reproduced")
    return res


def replay(report_dir: str, claim_id: str, which: str = "auto") -> int:
    res = replay_check(report_dir, claim_id, which)
    print("\n".join(res.lines))
    return 0 if res.reproduced in (None, True) else 1

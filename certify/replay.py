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

A counterexample is reproduced when the replay reaches the same conclusion by the same evidence:

* the status -- the reference confirms the violation again (a probability claim: the Clopper-Pearson lower
  bound of the confirmed failure rate exceeds delta again; output-only trials must be robust again);
* the failure count -- a probability claim's trials fail in float64 as often as the report says;
* the confirmed margin -- a bound claim's margin at 2 dps agrees with the recorded one to 1e-6 relative (a
  probability claim's, delta minus the CP lower bound of the confirmed rate, when the record has a
  confirmation mode, i.e. was written by a version that confirms trials the same way).

A replay never prints a traceback for a situation it knows: a claim whose body raises at the saved instance
(a claim whose status is `error`, or code changed since the run) gives one line naming the exception and where
the run's traceback is; a claim that ended in an error before any instance was saved, or an instance holding a
value certify cannot save exactly (saved as its repr), gives one line saying there is nothing to replay. All of
these exit 1 (nothing reproduced); a report that is damaged or tampered with is a usage error (exit 2).

`replay_check` returns these facts as a `ReplayResult` (used by the tests that replay every refutation of a
report); `load_report` reads a report through the checked loader (strict JSON, old schemas upgraded).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from .errors import InvalidArgument

__all__ = ["replay", "replay_check", "load_report", "refuted_ids", "ReplayResult"]


class _NothingToReplay(Exception):
    """The report names no instance that replay can evaluate; the message says why, in one line."""


@dataclass
class ReplayResult:
    claim_id: str
    label: str                      # "counterexample" or "worst instance"
    reproduced: bool | None         # None for a worst instance (nothing to reproduce)
    checks: dict = field(default_factory=dict)   # name -> (recorded, replayed, ok)
    lines: list = field(default_factory=list)


def load_report(report_dir) -> dict:
    """The report.json of a report directory, checked (`certify.reportdir.load_report`)."""
    from .reportdir import load_report as checked

    return checked(Path(report_dir))


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
        if rec.get("status") == "error":
            raise _NothingToReplay(f"{claim_id}: the run ended in an error before an instance was saved "
                                   f"({str(rec.get('reason') or '')[:200]}); nothing to replay: the traceback is in "
                                   f"{rpath}, claim {claim_id!r}, field 'error'")
        raise InvalidArgument(f"claim {claim_id!r} has no saved instance in {rpath}")
    if rec.get("status") == "error" and label == "counterexample":
        label = "instance that raised"
    return entry, label


def _margins_agree(recorded, replayed, rtol: float = 1e-6) -> bool:
    if recorded is None or replayed is None:
        return recorded is None and replayed is None
    if recorded == replayed:
        return True
    if not (math.isfinite(recorded) and math.isfinite(replayed)):
        return False
    return abs(recorded - replayed) <= rtol * max(abs(recorded), abs(replayed))


def _load(rdir: Path, claim_id: str, which: str, files: list[str], report: dict | None = None):
    """The record, the saved entry and its label, the instance and its description, and the claim -- read
    only from inside the report directory, with claim code only from the catalogue or the user's `files`."""
    from .claim import discover, load_path, registry
    from .paths import inside
    from .report.instances import UnsavedValue, load_instance

    report = report if report is not None else load_report(rdir)
    rpath = rdir / "report.json"
    recs = [c for c in report["claims"] if c["id"] == claim_id]
    if not recs:
        raise InvalidArgument(f"claim {claim_id!r} is not in {rpath}; it has {len(report.get('claims', []))} claims")
    rec = recs[0]
    entry, label = _saved_entry(rec, which, claim_id, rpath)
    npz = inside(rdir, entry["instance"]["npz"], f"{rpath}: claim {claim_id!r}: instance file")
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
    try:   # after the claim's code: an input of a class defined there (a dataclass) is rebuilt from it
        instance, desc = load_instance(npz)
    except UnsavedValue as exc:
        raise _NothingToReplay(f"{claim_id}: the saved {label} cannot be replayed: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - BadZipFile, pickle refusals, a layout that does not fit
        raise InvalidArgument(f"{npz}: the saved instance cannot be read ({type(exc).__name__}: "
                              f"{str(exc)[:150]}); the report is damaged") from None
    if claim.kind != "scaling" and isinstance(instance, dict) and set(claim.inputs) - set(instance):
        raise InvalidArgument(f"claim {claim_id!r}: the saved instance has inputs {sorted(instance)} but the claim "
                              f"now takes {sorted(claim.inputs)}; the report was written by another version of the "
                              "claim: regenerate it with `certify run`")
    return rec, entry, label, instance, desc, claim


def replay_check(report_dir: str, claim_id: str, which: str = "auto", report: dict | None = None,
                 files: list[str] | tuple = ()) -> ReplayResult:
    """Replay one claim of a report; the facts, without printing."""
    rdir = Path(report_dir)
    try:
        rec, entry, label, instance, desc, claim = _load(rdir, claim_id, which, list(files), report)
    except _NothingToReplay as exc:
        return ReplayResult(claim_id, "nothing", False, lines=[str(exc)])
    if desc.get("params"):
        claim = claim.with_params({k: v for k, v in desc["params"].items() if k in claim.params
                                   and not isinstance(claim.params[k], (list, tuple, dict))
                                   and (v is None or isinstance(v, (int, float, str, bool)))})
    seed = int(rec.get("seed", desc.get("seed", 0)) or 0)
    try:
        if claim.kind == "probability":
            res = _replay_probability(claim, entry, instance, label, seed)
        else:
            res = _replay_bound(claim, entry, instance, label)
    except Exception as exc:  # noqa: BLE001 - the claim's code raised: one line, never a traceback
        return _raised(claim_id, rec, rdir, label, desc, exc)
    if rec.get("status") == "error":
        res.lines.append(f"  the run's claim raised at this instance ({str(rec.get('reason') or '')[:160]}); the "
                         "replay did not raise: the claim code changed since the run, or the error depends on "
                         "more than the instance (the traceback is in report.json, field 'error')")
        res.reproduced = False
    return res


def _raised(claim_id: str, rec: dict, rdir: Path, label: str, desc: dict, exc: Exception) -> ReplayResult:
    """The one-line result of a replay whose claim raised at the saved instance."""
    from .report.findings import instance_line

    where = instance_line(desc.get("summary"), limit=100)
    what = f"{type(exc).__name__}: {str(exc)[:200]}"
    head = f"{claim_id}: the claim raised {what} at the saved {label}" + (f" ({where})" if where else "")
    if rec.get("status") == "error":
        tail = (f"; the run raised there too (status error): its traceback is in {rdir / 'report.json'}, claim "
                f"{claim_id!r}, field 'error'")
    else:
        rounded = sorted(k for k, spec in (desc.get("layout") or {}).items()
                         if isinstance(spec, dict) and spec.get("type") == "float" and spec.get("from"))
        tail = (f"; the run did not raise there (status {rec.get('status')}): " + (
            f"an older certify saved {', '.join(rounded)} rounded to a float (it was a "
            f"{desc['layout'][rounded[0]]['from']}): rerun the claim to save it exactly" if rounded else
            "the claim code changed since the run, or the saved instance differs from the one the run evaluated"))
    return ReplayResult(claim_id, label, False, lines=[head + tail])

def _replay_bound(claim, entry, instance, label) -> ReplayResult:
    from .confirm import confirm
    from .search.trials import fp_outcome

    res = ReplayResult(claim.id, label, None)
    o = fp_outcome(claim, instance)   # as the search evaluated it (an OverflowError is a NaN margin there too)
    res.lines.append(f"{claim.id}: replaying the saved {label}")
    res.lines.append(f"  float64 margin: {o.as_float()['margin']!r}  ratio: {o.as_float()['ratio']!r}"
                     + (f"  (float64 raised {o.fp_error})" if o.fp_error else ""))
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
    from .search.trials import clopper_pearson, confirm_trials, failed_trials, percent, validate_trials

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
    validation = (entry.get("confirmation") or {}).get("validation")
    if isinstance(validation, dict) and isinstance(validation.get("attempt"), int):
        # the candidate was judged on fresh trials (validate_trials): the same test again
        c = validate_trials(claim, instance, seed, n, validation["attempt"])
        m, confidence = c.validation["trials"], c.validation["confidence"]
        res.lines.append(f"  validation on {m} fresh trials (from trial {n}): {c.validation['float64_failures']} "
                         "fail in float64")
    else:   # a report written before validation: the search's own trials
        c = confirm_trials(claim, instance, seed, fails, n)
        m, confidence = n, 0.95
    if c.status == "unavailable":
        res.lines.append(f"  reference: {c.reason}")
    confirmed = c.detail.get("confirmed", 0)
    lo_c = clopper_pearson(confirmed, m, confidence)[0]
    res.lines.append(f"  confirmed in high precision: {confirmed} failures ({c.mode}); lower "
                     f"{percent(confidence)} bound {lo_c:.4g}"
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


def replay(report_dir: str, claim_id: str, which: str = "auto", files: list[str] | None = None) -> int:
    res = replay_check(report_dir, claim_id, which, files=list(files or []))
    print("\n".join(res.lines))
    return 0 if res.reproduced in (None, True) else 1

"""What a search concludes, and the one place that turns it into report data.

Contract:

* `Example` and `Verdict` are the search's result types (plain data plus the instances, numpy arrays).
* `build_record` is the ONLY builder of a claim's report record, for a finished search
  (`build_record(claim, verdict, ...)`), and `failure_record` for a task that never produced a verdict
  (the worker died, timed out or raised). Both start from `Claim.summary()` and carry the keys the readers
  (CLI, pytest plugin, HTML) use; nothing else assembles a record.
* `report_document(meta, records)` is the whole report.json document (schema, findings, summary, cards,
  claims); writers serialise it with `certify.report.jsonio` (strict JSON, non-finite numbers as null plus a
  note), never with `json` directly.
* `status_counts` / `summary` count statuses; `papers` and `cards` collect theorem cards for the report.
  Cards are keyed by the claim's MODULE (`cards`): two modules may share an id prefix (the framework module
  `theorems/framework_approximate_newton.py` registers `li2023e.*` ids), and each claim's card is the
  docstring of the module that defines it. `papers` (keyed by id prefix, first module in id order) stays for
  the readers that group by paper.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Example", "Verdict", "build_record", "failure_record", "example_record", "status_counts",
           "summary", "papers", "cards", "clean", "tighten_record", "report_document"]


@dataclass
class Example:
    """One evaluated instance: the instance, its float64 outcome summary, its relative margin, evidence, and
    (when checked) its high-precision confirmation and probability-trial statistics."""

    instance: dict
    outcome: dict
    rel: float
    evidence: dict = field(default_factory=dict)
    confirmation: dict | None = None
    trial_stats: dict | None = None
    choices: tuple | None = None  # Hypothesis' choice sequence that drew the instance (choice-space refinement)

    @property
    def rank(self) -> float:
        """What the search ranks and steers by: the relative margin, except that an instance where the claim
        holds with both sides exactly 0 (or both below the normal float64 range) ranks as 1 (the top of the scale). 0 <= 0 is tight only in a degenerate
        way (x = 0 in a homogeneous bound, u = v in a Lipschitz bound) and says nothing about how close the
        claim comes to failing; steering to it (relative margin 0, below every instance with a real scale) kept
        the search of such a bound at x = 0."""
        return rank_of(self.rel, self.outcome.get("lhs"), self.outcome.get("rhs"))


DEGENERATE_RANK = 1.0


_MIN_NORMAL = 2.2250738585072014e-308   # the smallest normal float64


def is_degenerate(lhs, rhs) -> bool:
    """Both sides of the comparison 0, or below the smallest normal float64 (None for a side the outcome does
    not have): no scale to read a relative margin against. (0 <= 5e-324 has relative margin 1e-24 against
    the floor of the scale: ranked as the tightest instance, it held a search for 11000 evaluations.)"""
    if lhs is None or rhs is None:
        return False
    try:
        return bool(abs(lhs) < _MIN_NORMAL and abs(rhs) < _MIN_NORMAL)
    except Exception:  # noqa: BLE001 - sides of a type without abs/order: only exact zeros
        return lhs == 0 and rhs == 0


def rank_of(rel: float, lhs, rhs) -> float:
    """`Example.rank` from a relative margin and the two sides (an Example's summary or an Outcome's own)."""
    return DEGENERATE_RANK if rel >= 0 and is_degenerate(lhs, rhs) else rel


@dataclass
class Verdict:
    """The result of searching one claim. `status` is survived | refuted | unconfirmed | inconclusive | error.

    `search` holds facts about how the search went that benchmarks read (not written to the report):
    `t0` and `found_at` (perf_counter seconds), `refine_ran`, `refine_start_rels`, `refine_distinct_starts`.
    """

    claim_id: str
    status: str
    expected: str | None
    kind: str
    examples: int = 0
    valid_examples: int = 0
    worst: Example | None = None
    minimal: Example | None = None
    counterexample: Example | None = None
    float_artifacts: list = field(default_factory=list)
    unstable: list = field(default_factory=list)
    margins: list = field(default_factory=list)
    ratio_extreme: float | None = None
    plots: list = field(default_factory=list)
    baselines: dict = field(default_factory=dict)
    mutants: dict = field(default_factory=dict)
    refinement: dict = field(default_factory=dict)
    scaling: dict | None = None
    reason: str = ""
    error: str | None = None
    duration_s: float = 0.0
    budget: dict = field(default_factory=dict)
    equality_cases: int = 0      # float64 violations the reference found exactly 0 (certify.confirm)
    ratio_note: str = ""         # why ratio_extreme is absent or partial (bound side <= 0)
    pool: list = field(default_factory=list, repr=False)  # instances for baselines (not reported)
    search: dict = field(default_factory=dict, repr=False)  # how the search went (benchmarks; not reported)
    origin: dict = field(default_factory=dict, repr=False)  # claim (with params), seed, profile (certify.check)

    @property
    def as_expected(self) -> bool:
        return _as_expected(self.status, self.expected)

    def as_record(self, report_dir: str | Path | None = None, *, claim=None, seed: int | None = None,
                  profile: str | None = None) -> dict:
        """This verdict as a report record, built by `build_record` as `certify run` builds it; with
        `report_dir` its instances are saved under ``report_dir/instances``. The claim, seed and profile
        default to those `certify.check` ran with."""
        from .claim import get_claim

        claim = claim or self.origin.get("claim") or get_claim(self.claim_id)
        seed = self.origin.get("seed", 0) if seed is None else seed
        profile = profile or self.origin.get("profile", "ci")
        return build_record(claim, self, seed=seed, profile=profile,
                            report_dir=str(report_dir) if report_dir is not None else None,
                            reproduce=reproduce_command(claim.id, claim.module, claim.path, profile, seed),
                            duration_s=self.duration_s)


def reproduce_command(claim_id: str, module: str, path: str | None, profile: str, seed: int, *,
                      examples: int | None = None, seconds: float | None = None, shards: int = 1,
                      params: dict | None = None) -> str:
    """The one-line `certify run` that reproduces a verdict (the claim's file and --no-default for a claim
    outside the catalogue, e.g. one collected from a pytest test file)."""
    import shlex

    from .registry import in_catalogue

    parts = ["certify", "run"]
    if path and not in_catalogue(module):
        parts += [path, "--no-default"]
    parts += [claim_id, "--profile", profile, "--seed", str(seed)]
    if examples is not None:
        parts += ["--budget", str(examples)]
    if seconds is not None:
        parts += ["--seconds", str(seconds)]
    if shards > 1:
        parts += ["--shards", str(shards)]
    for k, v in sorted((params or {}).items()):
        parts += ["--param", f"{claim_id}:{k}={v}"]
    return " ".join(shlex.quote(p) for p in parts)


def _as_expected(status: str, expected: str | None) -> bool:
    # a search that decided nothing (inconclusive) or broke (error) is never what a claim expects, unless it
    # says so: broken claims must not pass CI
    if status == "error":
        return False
    if status == "inconclusive" or expected == "inconclusive":
        return status == expected
    if expected is None:
        return True
    if expected == "holds":
        return status != "refuted"
    return status == "refuted"


def clean(x):
    """A number field of the record: a Python float (±inf and nan kept: the JSON writer encodes them as null
    plus a note), None for what is not a number. Never a string, so the field has one JSON type."""
    if x is None or isinstance(x, bool):
        return None
    try:
        return float(x)
    except (TypeError, ValueError, OverflowError):
        return None


def example_record(ex: Example, stem: Path | None, report_dir: Path | None, extra: dict | None = None) -> dict:
    """The report form of an example; with `stem` and `report_dir` its instance is saved next to the report."""
    from .outcome import reads
    from .report.instances import describe_instance, save_instance

    out = ex.outcome
    rec = {"margin": clean(out.get("margin")), "rel_margin": clean(ex.rel), "ratio": clean(out.get("ratio")),
           "lhs": clean(out.get("lhs")), "rhs": clean(out.get("rhs")), "relation": out.get("relation"),
           "label": out.get("label"), "trust": out.get("trust"),
           "reads": reads(out.get("relation"), out.get("margin"))}
    if ex.confirmation is not None:
        rec["confirmation"] = ex.confirmation
    if ex.trial_stats is not None:
        rec["trials"] = ex.trial_stats
    if stem is not None and report_dir is not None:
        desc = save_instance(ex.instance, stem, extra)
        rec["instance"] = {"npz": str(stem.relative_to(report_dir)) + ".npz",
                           "json": str(stem.relative_to(report_dir)) + ".json", "summary": desc["summary"]}
    else:
        rec["instance"] = {"summary": describe_instance(ex.instance)}
    return rec


def tighten_record(results) -> list | None:
    """The record's `tighten` field: a list of `certify.tighten.TightenResult` (or their `as_record()` dicts),
    one per tightened param; None when tighten did not run (no results)."""
    if not results:
        return None
    return [r.as_record() if hasattr(r, "as_record") else dict(r) for r in results]


def build_record(claim, v: Verdict, *, seed: int, profile: str, report_dir: str | None, reproduce: str,
                 duration_s: float | None, stem_suffix: str = "", tighten=None) -> dict:
    """The report record of a finished search; saves the reported instances under `report_dir`/instances.
    `stem_suffix` keeps the instance files of one claim's shards apart; `tighten` is the list of
    `TightenResult`s of the params tightened for this claim (None: not run)."""
    rdir = Path(report_dir) if report_dir else None
    safe = claim.id.replace("/", "_") + stem_suffix
    inst_dir = rdir / "instances" if rdir else None
    extra = {"claim": claim.id, "params": claim.summary()["params"], "seed": seed, "profile": profile}
    rec = claim.summary()
    rec.update({
        "status": v.status, "as_expected": v.as_expected, "reason": v.reason,
        "examples": v.examples, "valid_examples": v.valid_examples,
        "worst": None, "counterexample": None, "ratio_extreme": clean(v.ratio_extreme),
        "float_artifacts": {"count": len(v.float_artifacts), "examples": v.float_artifacts[:5]},
        "unstable": {"count": len(v.unstable), "examples": v.unstable[:5]},
        "baselines": v.baselines, "mutants": v.mutants, "refinement": v.refinement,
        "scaling": v.scaling, "plots": v.plots, "margins": [clean(m) for m in v.margins[:1000]],
        "error": v.error, "seed": seed, "profile": profile, "budget": v.budget,
        "delta": claim.verdict_delta, "duration_s": duration_s,
        "equality_cases": int(v.equality_cases or 0), "ratio_note": v.ratio_note, "tighten": tighten_record(tighten),
        "reproduce": reproduce,
        "replay": _replay_command(claim, report_dir),
    })
    if v.worst is not None:
        rec["worst"] = example_record(v.worst, inst_dir / f"{safe}__worst" if inst_dir else None, rdir, extra)
    if v.counterexample is not None and v.status in ("refuted", "unconfirmed", "error"):
        ce = {"minimal": None, "worst": None}
        if v.status == "error":
            ce["minimal"] = example_record(v.counterexample, inst_dir / f"{safe}__error" if inst_dir else None,
                                           rdir, extra)
        else:
            m = v.minimal or v.counterexample
            ce["minimal"] = example_record(m, inst_dir / f"{safe}__counterexample" if inst_dir else None,
                                           rdir, extra)
            ce["first_found"] = example_record(v.counterexample, None, None)
            ce["worst"] = rec["worst"]
            conf = m.confirmation or {}
            ce["confirmation"] = conf.get("mode") or ("output-only" if v.status == "unconfirmed" else "reference")
            ce["marginal"] = bool(conf.get("marginal"))
            ce["marginal_note"] = str(conf.get("marginal_note") or "")
        rec["counterexample"] = ce
    minimal_conf = ((rec["counterexample"] or {}).get("minimal") or {}).get("confirmation") or {}
    rec["rigorous"] = bool(minimal_conf.get("rigorous")) if v.status == "refuted" else False
    return rec


def _replay_command(claim, report_dir) -> str:
    """`certify replay DIR [FILE] ID`: replay runs claim code only from the catalogue or files named to it."""
    import shlex

    from .registry import in_catalogue

    parts = ["certify", "replay", str(report_dir or "REPORT_DIR")]
    if claim.path and not in_catalogue(claim.module):
        parts.append(claim.path)
    return " ".join(shlex.quote(p) for p in parts + [claim.id])


def failure_record(claim_id: str, *, status: str, reason: str, error: str | None, seed: int, profile: str,
                   reproduce: str) -> dict:
    """The report record of a task that produced no verdict (the worker died, timed out or raised)."""
    from .claim import get_claim

    try:
        rec = get_claim(claim_id).summary()
    except Exception:  # noqa: BLE001 - the claim itself may be what failed to load
        rec = {"id": claim_id}
    rec.update({"status": status, "as_expected": _as_expected(status, rec.get("expected")), "reason": reason,
                "error": error, "examples": 0, "valid_examples": 0, "worst": None, "counterexample": None,
                "ratio_extreme": None,
                "float_artifacts": {"count": 0, "examples": []}, "unstable": {"count": 0, "examples": []},
                "baselines": {}, "mutants": {}, "refinement": {}, "scaling": None, "plots": [], "margins": [],
                "seed": seed, "profile": profile, "budget": {}, "duration_s": None, "equality_cases": 0,
                "tighten": None, "rigorous": False, "reproduce": reproduce})
    return rec


def report_document(meta: dict, records) -> dict:
    """The whole report.json document: schema, the findings (first), `meta` (profile, seed, versions, ...), the
    summary, theorem cards and the claim records in id order."""
    from .report.findings import findings
    from .report.jsonio import SCHEMA

    claims = sorted(records, key=lambda c: c["id"])
    found = findings(claims)
    summ = summary(claims)
    summ["findings"] = len(found)
    return {"schema": SCHEMA, "findings": found, **meta, "summary": summ, "papers": papers(claims),
            "cards": cards(claims), "claims": claims}


def status_counts(records) -> dict[str, int]:
    """{status: number of records}."""
    counts: dict[str, int] = {}
    for c in records:
        counts[c["status"]] = counts.get(c["status"], 0) + 1
    return counts


def summary(records) -> dict:
    """The report's summary block: how many claims, by status, and the ids not as expected."""
    records = list(records)
    return {"claims": len(records), "by_status": status_counts(records),
            "unexpected": sorted(c["id"] for c in records if not c.get("as_expected", True))}


def _module_card(mod: str) -> str:
    m = sys.modules.get(mod)
    return m.__doc__.strip() if m is not None and m.__doc__ else ""


def papers(records) -> dict:
    """{id prefix: {"module", "card"}}, the first module (in id order) that registers that prefix."""
    out = {}
    for c in records:
        prefix = c["id"].split(".", 1)[0]
        if prefix in out:
            continue
        mod = c.get("module") or ""
        out[prefix] = {"module": mod, "card": _module_card(mod)}
    return out


def cards(records) -> dict:
    """{module: card} for every module that defines a reported claim: the card of a claim is
    ``cards[record["module"]]``, whatever its id prefix."""
    out = {}
    for c in records:
        mod = c.get("module") or ""
        if mod and mod not in out:
            out[mod] = _module_card(mod)
    return out

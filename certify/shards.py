"""One claim's search split into K independent seed streams, and their records merged into one verdict.

Contract:
- `shard_seeds(seed, K)` derives the K stream seeds with `numpy.random.SeedSequence(seed).spawn(K)`; K = 1
  gives back `seed` itself, so `--shards 1` is the unsharded run, record for record.
- `split_budget(n, K)` splits an example budget evenly (the first `n % K` shards take one more).
- `merge_records(records)` is a pure function of the shard records, in shard order, whatever executor ran them
  (local processes or Dask) and whatever order they finished in:
  examples, valid examples, float artifacts and unstable counts are summed and their example lists pooled in
  shard order; the margins are concatenated; the counterexample is the one with the smallest margin, ties to
  the lowest shard index; the worst instance likewise; baselines are pooled by summing their instance and
  met counts and keeping the worst ratio; mutants (run by shard 0 only) come from shard 0. The status is the
  most severe of the shards' (refuted > error > unconfirmed > inconclusive > survived), so a refutation in any
  stream refutes the claim. A probability claim's trials belong to one instance, which one shard drew, so its
  Clopper-Pearson verdict on that instance is the shard's own.
"""

from __future__ import annotations

import math

__all__ = ["shard_seeds", "split_budget", "merge_records", "SEVERITY"]

SEVERITY = ("refuted", "error", "unconfirmed", "inconclusive", "survived")
_POOLED_EXAMPLES = 5


def shard_seeds(seed: int, shards: int) -> list[int]:
    import numpy as np

    if shards == 1:
        return [int(seed)]
    return [int(s.generate_state(1, dtype=np.uint32)[0]) for s in np.random.SeedSequence(int(seed)).spawn(shards)]


def split_budget(n: int | None, shards: int) -> list[int | None]:
    if n is None:
        return [None] * shards
    base, extra = divmod(int(n), shards)
    return [max(1, base + (1 if i < extra else 0)) for i in range(shards)]


def _margin_of(example: dict | None) -> float:
    if not example:
        return math.inf
    m = example.get("margin")
    if not isinstance(m, (int, float)) or m != m:
        return math.inf
    return float(m)


def _pick(records: list[dict], get) -> tuple[int, dict | None]:
    """The shard index and value with the smallest margin; ties go to the lowest shard index."""
    best_i, best, best_m = -1, None, math.inf
    for i, rec in enumerate(records):
        val = get(rec)
        m = _margin_of(val)
        if val is not None and (best is None or m < best_m):
            best_i, best, best_m = i, val, m
    return best_i, best


def _pool(records: list[dict], key: str) -> dict:
    count = sum(int((r.get(key) or {}).get("count") or 0) for r in records)
    examples: list = []
    for r in records:
        examples += list((r.get(key) or {}).get("examples") or [])
    return {"count": count, "examples": examples[:_POOLED_EXAMPLES]}


def _pool_baselines(records: list[dict]) -> dict:
    out: dict = {}
    for r in records:
        for name, b in (r.get("baselines") or {}).items():
            if name not in out:
                out[name] = dict(b)
                continue
            o = out[name]
            o["instances"] = int(o.get("instances") or 0) + int(b.get("instances") or 0)
            o["met"] = int(o.get("met") or 0) + int(b.get("met") or 0)
            o["claim_failed_where_met"] = (int(o.get("claim_failed_where_met") or 0)
                                           + int(b.get("claim_failed_where_met") or 0))
            o["meets_bound"] = o["instances"] > 0 and o["met"] == o["instances"]
            for k, worse in (("max_ratio", max), ("worst_ratio", max), ("worst_rel_margin", min)):
                vals = [v for v in (o.get(k), b.get(k)) if isinstance(v, (int, float))]
                o[k] = worse(vals) if vals else o.get(k)
            o["error"] = o.get("error") or b.get("error")
    return out


def merge_records(records: list[dict]) -> dict:
    """Merge the records of one claim's shards (given in shard order) into one record."""
    if not records:
        raise ValueError("merge_records: no shard records")
    if len(records) == 1:
        return records[0]
    statuses = [r.get("status") for r in records]
    status = min(statuses, key=lambda s: SEVERITY.index(s) if s in SEVERITY else 0)
    lead_i = statuses.index(status)
    if status == "refuted":
        lead_i, _ = _pick(records, lambda r: ((r.get("counterexample") or {}).get("minimal")
                                              if r.get("status") == "refuted" else None))
    worst_i, worst = _pick(records, lambda r: r.get("worst"))
    lead = records[lead_i]
    out = dict(lead)
    out["status"] = status
    out["as_expected"] = lead.get("as_expected")
    out["reason"] = lead.get("reason")
    out["examples"] = sum(int(r.get("examples") or 0) for r in records)
    out["valid_examples"] = sum(int(r.get("valid_examples") or 0) for r in records)
    out["equality_cases"] = sum(int(r.get("equality_cases") or 0) for r in records)
    out["worst"] = worst
    out["counterexample"] = lead.get("counterexample") if status in ("refuted", "unconfirmed", "error") else None
    out["float_artifacts"] = _pool(records, "float_artifacts")
    out["unstable"] = _pool(records, "unstable")
    out["equality_cases"] = sum(int(r.get("equality_cases") or 0) for r in records)
    out["baselines"] = _pool_baselines(records)
    out["mutants"] = records[0].get("mutants") or {}
    out["margins"] = [m for r in records for m in (r.get("margins") or [])][:1000]
    ratios = [r.get("ratio_extreme") for r in records if isinstance(r.get("ratio_extreme"), (int, float))]
    out["ratio_extreme"] = records[worst_i].get("ratio_extreme") if worst_i >= 0 else (max(ratios) if ratios else None)
    durations = [r.get("duration_s") for r in records if isinstance(r.get("duration_s"), (int, float))]
    out["duration_s"] = round(sum(durations), 3) if durations else None
    budget = dict(records[0].get("budget") or {})
    for k in ("examples", "refine_evals", "trials"):
        vals = [(r.get("budget") or {}).get(k) for r in records]
        if all(isinstance(v, int) for v in vals):
            budget[k] = sum(vals)
    budget["stopped_by"] = ",".join(sorted({str((r.get("budget") or {}).get("stopped_by")) for r in records}))
    out["budget"] = budget
    out["shards"] = [{"index": i, "seed": r.get("seed"), "status": r.get("status"), "examples": r.get("examples"),
                      "worst_margin": _margin_of(r.get("worst")) if r.get("worst") else None}
                     for i, r in enumerate(records)]
    for s in out["shards"]:
        if s["worst_margin"] is not None and not math.isfinite(s["worst_margin"]):
            s["worst_margin"] = None
    return out

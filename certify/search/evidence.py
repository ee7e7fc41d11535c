"""Evidence collection: everything the search keeps about the instances it evaluated, kept small.

Contract: `Collector.add(instance, outcome, trial_stats)` records one evaluation and returns its `Example`
(`add_unranked(outcome)` is its fast path for a caller that needs only the relative margin);
the collector keeps the `keep` worst examples (lowest relative margin first; see `worst_key`), the first
`keep` examples, a sample of up to 2000 margins, the extreme ratio, the float artifacts and unstable
confirmations appended by the driver, and the evidence series. `plots(worst)` builds the report's plot
series: scatter plots over all examples, curves from the worst instance.

Only TRUSTED values reach `worst`, `ratio_extreme` and the margin sample (the tightness boxes): a float64
outcome that holds with room (relative margin >= `ROOM`) is trusted as it is (``outcome["trust"] ==
"float64"``); a float64 violation is ranked only once the driver has checked it in high precision
(`resolve`), and then with the REFERENCE values (``trust == "reference"``), so a float artifact such as a
margin of -2.7e11 that the reference says holds never shows as the worst case (it stays in the artifacts
section). Near-violations (0 <= relative margin < `ROOM`) are ranked with their float64 values and flagged;
`near_violations()` lists them for the driver to check before the verdict. Outcomes whose bound side is
<= 0 have no empirical constant (lhs / rhs is not a constant there): they are counted in `ratio_skipped`.
"""

from __future__ import annotations

import math

import numpy as np

from ..outcome import Outcome, _to_float
from ..verdict import Example, is_degenerate, rank_of
from .common import num, rel_key

__all__ = ["Collector", "worst_key", "ROOM"]

# a float64 relative margin at least this large is trusted without a reference check (rounding in a
# well-scaled float64 computation is ~1e-16 relative; 1e-9 leaves a millionfold room for conditioning)
ROOM = 1e-9

# an equality case whose bound side is below this fraction of the computation's size has no empirical constant
EQUALITY_SIDE = 1e-12


class Collector:
    """Everything the search learns, kept small: top-k worst, first instances, margin sample, evidence."""

    def __init__(self, claim, keep: int):
        self.claim = claim
        self.keep = max(keep, 1)
        self.examples = 0
        self.valid = 0
        self.worst: list[Example] = []
        self.firsts: list[Example] = []
        self.margins: list[float] = []
        self.ratio_extreme: float | None = None
        self.artifacts: list[dict] = []
        self.unstable: list[dict] = []
        self.equality = 0          # float64 violations the reference found to be equality cases
        self.ratio_skipped = 0     # trusted outcomes whose bound side is <= 0 (no empirical constant)
        self.scatter: dict[str, dict] = {}
        self.curves: dict[str, dict] = {}

    def add_unranked(self, outcome: Outcome) -> float | None:
        """Record an instance that holds and cannot enter `worst` (strictly above its last) — the common case
        late in a search — and return its rank (`Example.rank`); None, recording nothing, for any other instance
        (which `add` must record). Such an instance leaves only its margin, its constant and its evidence: no
        summary is built for it."""
        worst = self.worst
        if len(worst) < self.keep or len(self.firsts) < self.keep:
            return None
        held = _holding(outcome)
        if held is None:
            return None
        rel, rank = held
        if rank > worst[-1].rank:
            if outcome.evidence:
                self._evidence(outcome.evidence)
            self._count(rel, _float(outcome.ratio), outcome.relation, _float(outcome.rhs))
            return rank
        return None

    def quiet_rank(self, outcome: Outcome) -> tuple[float | None, bool, float | None]:
        """(the rank `add` would give `outcome`, whether `add` must see it, its empirical constant oriented so that
        larger is more extreme, or None), recording nothing. `add` must see an instance that would enter `worst`
        or move `ratio_extreme`, and a violated one (its rank is then None: the reference decides it). For a
        refinement move built without a replay through the strategy (`choices._FloatTemplate`), recorded only
        once a replay shows the strategy draws it; moves that need no record leave no trace in the margin
        sample either."""
        worst = self.worst
        if len(worst) < self.keep or len(self.firsts) < self.keep:
            return None, True, None
        held = _holding(outcome)
        if held is None:
            return None, True, None
        rank = held[1]
        r = self._usable_ratio(_float(outcome.ratio), outcome.relation, _float(outcome.rhs))
        if r is not None and outcome.relation == "ge":
            r = -r
        if rank <= worst[-1].rank:
            return rank, True, r
        extreme = self.ratio_extreme
        if extreme is not None and outcome.relation == "ge":
            extreme = -extreme
        return rank, r is not None and (extreme is None or r > extreme), r

    def add(self, instance, outcome: Outcome, trial_stats=None) -> Example:
        rank = self.add_unranked(outcome)
        if rank is not None:
            return Example(instance=instance, outcome={}, rel=rel_key(outcome.rel_margin), evidence=outcome.evidence,
                           trial_stats=trial_stats)
        rel = rel_key(outcome.rel_margin)
        summary = outcome.as_float()
        ex = Example(instance=instance, outcome=summary, rel=rel, evidence=outcome.evidence,
                     trial_stats=trial_stats)
        self._evidence(outcome.evidence)
        if len(self.firsts) < self.keep:
            self.firsts.append(ex)
        if outcome.violated:
            summary["trust"] = None   # ranked only once checked in high precision (`resolve`)
            return ex
        summary["trust"] = "float64"
        self._rank(ex)
        return ex

    def resolve(self, ex: Example, confirmation: dict) -> None:
        """Rank a float64 violation with the reference's values once it has been checked: a confirmed
        violation, an equality case (margin 0) or a claim that holds there. Unstable, unavailable and fragile
        checks give no trusted value: the example stays out of `worst` and `ratio_extreme`."""
        status = confirmation.get("status")
        if status not in ("confirmed", "equality", "holds"):
            return
        o = dict(ex.outcome)
        if status == "equality":
            margin, rel = 0.0, 0.0
        else:
            margin = confirmation.get("margin_2dps")
            rel = confirmation.get("rel_margin")
        ratio = confirmation.get("ratio")
        rhs = confirmation.get("rhs")
        if ratio is not None and not (isinstance(rhs, (int, float)) and rhs > 0 and math.isfinite(ratio)):
            ratio = None
        size = confirmation.get("size")
        if (status == "equality" and ratio is not None and isinstance(size, (int, float))
                and abs(rhs) <= EQUALITY_SIDE * size):
            # both sides zero to working precision (lambda_max = 0 exactly on both sides): lhs / rhs is a ratio of
            # rounding noise (a helper's Weyl bound reported an empirical constant of 21.9), not a constant
            ratio = None
        o.update(margin=margin, rel_margin=rel, lhs=confirmation.get("lhs"), rhs=rhs, ratio=ratio,
                 trust="reference", float64_margin=ex.outcome.get("margin"))
        ex.outcome = o
        ex.rel = rel_key(rel)
        if any(e is ex for e in self.worst):
            self.worst.sort(key=worst_key)
        else:
            self._rank(ex)

    def reference_checked(self, ex: Example, outcome: Outcome) -> None:
        """Replace a near-violation's float64 values by the reference's (which holds there)."""
        ref = outcome.as_float()
        ref.update(trust="reference", float64_margin=ex.outcome.get("margin"))
        ex.outcome = ref
        ex.rel = rel_key(outcome.rel_margin)
        self.worst.sort(key=worst_key)
        self._ratio_value(ref.get("ratio"), ref.get("relation"), ref.get("rhs"))

    def near_violations(self, k: int = 3) -> list[Example]:
        """The worst ranked examples whose float64 margin holds without room: to check in high precision."""
        return [e for e in self.worst if e.outcome.get("trust") == "float64" and e.rel < ROOM][:k]

    def _count(self, rel: float, ratio, relation, rhs) -> None:
        """What every trusted instance leaves, ranked or not: its margin (up to the sample's cap) and its
        empirical constant."""
        if len(self.margins) < 2000:
            self.margins.append(rel if math.isfinite(rel) else None)
        self._ratio_value(ratio, relation, rhs)

    def _rank(self, ex: Example) -> None:
        rel = ex.rel
        o = ex.outcome
        self._count(rel, o.get("ratio"), o.get("relation"), o.get("rhs"))
        if len(self.worst) < self.keep or worst_key(ex) < worst_key(self.worst[-1]):
            self.worst.append(ex)
            self.worst.sort(key=worst_key)
            del self.worst[self.keep:]

    @staticmethod
    def _usable_ratio(ratio, relation, rhs) -> float | None:
        """The empirical constant an outcome gives (a float, not NaN), or None: none for a relation other than
        le / ge / close, or a bound side <= 0 (lhs / rhs is not a constant there: its sign and size mean nothing)."""
        if relation not in ("le", "ge", "close") or ratio is None:
            return None
        if relation != "close" and not (isinstance(rhs, (int, float)) and rhs > 0):
            return None
        try:
            r = float(ratio)
        except (TypeError, ValueError, OverflowError):
            return None
        return None if r != r else r

    def _ratio_value(self, ratio, relation, rhs):
        if relation in ("le", "ge") and not (isinstance(rhs, (int, float)) and rhs > 0):
            self.ratio_skipped += 1
            return
        r = self._usable_ratio(ratio, relation, rhs)
        if r is None:
            return
        if self.ratio_extreme is None:
            self.ratio_extreme = r
        elif relation == "ge":
            self.ratio_extreme = min(self.ratio_extreme, r)
        else:
            self.ratio_extreme = max(self.ratio_extreme, r)

    def _evidence(self, evidence: dict):
        for name, ev in (evidence or {}).items():
            if not isinstance(ev, dict) or "x" not in ev or "y" not in ev:
                continue
            series = str(ev.get("series", "value"))
            meta = {k: ev[k] for k in ("xlabel", "ylabel", "logx", "logy", "title") if k in ev}
            x, y = ev["x"], ev["y"]
            if np.ndim(x) == 0 and np.ndim(y) == 0:
                plot = self.scatter.setdefault(str(ev.get("plot", name)), {"kind": "scatter", "series": {}, **meta})
                s = plot["series"].setdefault(series, {"x": [], "y": []})
                if len(s["x"]) < 500:
                    s["x"].append(num(x))
                    s["y"].append(num(y))

    def plots(self, worst: Example | None) -> list[dict]:
        out = []
        for name in sorted(self.scatter):
            out.append({"name": name, **self.scatter[name]})
        if worst is not None:
            for name, ev in sorted((worst.evidence or {}).items()):
                if isinstance(ev, dict) and "x" in ev and "y" in ev and np.ndim(ev["x"]) == 1:
                    meta = {k: ev[k] for k in ("xlabel", "ylabel", "logx", "logy", "title") if k in ev}
                    name = str(ev.get("plot", name))
                    ys = ev["y"]
                    series = {}
                    if isinstance(ys, dict):
                        for sname, yv in ys.items():
                            series[str(sname)] = {"x": [num(v) for v in ev["x"]], "y": [num(v) for v in yv]}
                    else:
                        series[str(ev.get("series", "worst instance"))] = {
                            "x": [num(v) for v in ev["x"]], "y": [num(v) for v in ys]}
                    out.append({"name": name, "kind": "curve", "series": series, **meta})
        return out


def _holding(outcome: Outcome) -> tuple[float, float] | None:
    """(relative margin, rank) of an outcome that holds; None for a violated one (or a NaN margin)."""
    margin, rel = outcome.margin, outcome.rel_margin
    if isinstance(margin, float):   # a float64 claim's numbers (Python or numpy floats): no conversions
        if not margin >= 0:   # violated, or NaN
            return None
        rel = float(rel) if isinstance(rel, float) and rel == rel else rel_key(rel)
    elif outcome.violated:
        return None
    else:
        rel = rel_key(rel)
    return rel, rank_of(rel, outcome.lhs, outcome.rhs)


def _float(x) -> float | None:
    return None if x is None else float(x) if isinstance(x, float) else _to_float(x)


def worst_key(ex: Example):
    """Lowest rank first (`Example.rank`: the relative margin, with instances that hold as 0 <= 0 last); among
    equals, an instance whose two sides are not both 0."""
    return (ex.rank, 1 if is_degenerate(ex.outcome.get("lhs"), ex.outcome.get("rhs")) else 0)

"""Evidence collection: everything the search keeps about the instances it evaluated, kept small.

Contract: `Collector.add(instance, outcome, trial_stats)` records one evaluation and returns its `Example`;
the collector keeps the `keep` worst examples (lowest relative margin first; see `worst_key`), the first
`keep` examples, a sample of up to 2000 margins, the extreme ratio, the float artifacts and unstable
confirmations appended by the driver, and the evidence series. `plots(worst)` builds the report's plot
series: scatter plots over all examples, curves from the worst instance.
"""

from __future__ import annotations

import math

import numpy as np

from ..outcome import Outcome
from ..verdict import Example
from .common import num, rel_key

__all__ = ["Collector", "worst_key"]


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
        self.scatter: dict[str, dict] = {}
        self.curves: dict[str, dict] = {}

    def add(self, instance, outcome: Outcome, trial_stats=None) -> Example:
        rel = rel_key(outcome.rel_margin)
        ex = Example(instance=instance, outcome=outcome.as_float(), rel=rel, evidence=outcome.evidence,
                     trial_stats=trial_stats)
        if len(self.margins) < 2000:
            self.margins.append(rel if rel != -math.inf else None)
        self._ratio(outcome)
        self._evidence(outcome.evidence)
        if len(self.firsts) < self.keep:
            self.firsts.append(ex)
        if len(self.worst) < self.keep or worst_key(ex) < worst_key(self.worst[-1]):
            self.worst.append(ex)
            self.worst.sort(key=worst_key)
            del self.worst[self.keep:]
        return ex

    def _ratio(self, outcome: Outcome):
        if outcome.ratio is None or outcome.relation not in ("le", "ge", "close"):
            return
        try:
            r = float(outcome.ratio)
        except (TypeError, ValueError, OverflowError):
            return
        if r != r:
            return
        if self.ratio_extreme is None:
            self.ratio_extreme = r
        elif outcome.relation == "ge":
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


def worst_key(ex: Example):
    """Lowest relative margin first; among equals, an instance whose two sides are not both 0 (0 <= 0 is
    tight only in a degenerate way, e.g. u = v in a Lipschitz bound)."""
    o = ex.outcome
    degenerate = o.get("lhs") == 0 and o.get("rhs") == 0
    return (ex.rel, 1 if degenerate else 0)

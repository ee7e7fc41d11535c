"""Scaling claims: measure a quantity over a sweep and fit its exponent.

Contract: `run_scaling(claim, profile, seed)` evaluates the claim at every sweep value, `min(claim.repeats,
profile.scaling_repeats)` times (at least once) with ``default_rng([seed, i, r])``, fits the exponent of the
medians (`fit_exponent`: least squares with a 95% Student-t interval, on log-log, semi-log-x or linear
axes), and returns a `Verdict` whose `scaling` holds the series and the fit.

Several sweep variables (``sweep={"n": [...], "d": [...]}``) are swept one at a time, the others held at their
first value; each gets its own fit under ``scaling["axes"]``, the first is also the top-level fit.

A measurement is a positive number, or a dict ``{"value": q, "baselines": {name: q_b, ...}}`` whose baseline
measurements (e.g. the times of a trivial or exact solver at the same size) are reported beside the fit.

The ruling (DESIGN.md section 2): an axis is refuted only against the exponent the PAPER states, given as the
param ``stated_exponent_<variable>`` (or ``stated_exponent`` for the first / only variable; None = the paper
states none), when the fitted interval lies above it by more than the param ``exponent_margin`` (default 0.25):
``ci_low > stated + margin``. With no stated exponent the fit is reported only. ``exponent_bound`` on the
claim is the older spelling of ``stated + margin`` and is honoured when no stated exponent is given.
"""

from __future__ import annotations

import traceback
from typing import Any

import numpy as np

from ..profiles import Profile
from ..verdict import Verdict

__all__ = ["run_scaling", "fit_exponent", "stated_exponent", "DEFAULT_MARGIN"]

DEFAULT_MARGIN = 0.25


def stated_exponent(claim, name: str, first: bool) -> float | None:
    """The exponent the paper states for the sweep variable `name` (a param), or None."""
    p = claim.params
    key = f"stated_exponent_{name}"
    if key in p:
        v = p[key]
    elif first and "stated_exponent" in p:
        v = p["stated_exponent"]
    else:
        return None
    return None if v is None else float(v)


def _measure(claim, name, x, fixed, seed, i, repeats):
    qs, base = [], {}
    for r in range(repeats):
        rng = np.random.default_rng([int(seed), i, r])
        q = claim.evaluate(None, {**fixed, name: x}, rng=rng)
        if isinstance(q, dict):
            for k, b in (q.get("baselines") or {}).items():
                base.setdefault(k, []).append(float(b))
            q = q["value"]
        qs.append(float(q))
    return qs, base


def run_scaling(claim, profile: Profile, seed: int) -> Verdict:
    names = list(claim.sweep)
    repeats = max(1, min(claim.repeats, profile.scaling_repeats))
    margin = float(claim.params.get("exponent_margin", DEFAULT_MARGIN))
    v = Verdict(claim_id=claim.id, status="survived", expected=claim.expect, kind="scaling")
    axes: dict[str, dict] = {}
    offset = 0
    try:
        for ai, name in enumerate(names):
            fixed = {k: claim.sweep[k][0] for k in names if k != name}
            xs, ys, raw, bases = [], [], [], {}
            for i, x in enumerate(claim.sweep[name]):
                qs, base = _measure(claim, name, x, fixed, seed, offset + i, repeats)
                xs.append(float(x))
                ys.append(float(np.median(qs)))
                raw.append(qs)
                for k, b in base.items():
                    bases.setdefault(k, []).append(float(np.median(b)))
            offset += len(claim.sweep[name])
            fit = fit_exponent(xs, ys, claim.fit)
            stated = stated_exponent(claim, name, ai == 0)
            bound = (stated + margin) if stated is not None else (claim.exponent_bound if ai == 0 else None)
            axes[name] = {"variable": name, "x": xs, "y": ys, "raw": raw, "fixed": fixed, "fit": claim.fit, **fit,
                          "stated_exponent": stated, "exponent_margin": margin if stated is not None else None,
                          "expected_exponent": stated if stated is not None else
                          (claim.expected_exponent if ai == 0 else None),
                          "exponent_bound": bound,
                          "baselines": {k: {"x": xs, "y": b} for k, b in bases.items()}}
    except Exception as exc:  # noqa: BLE001
        v.status = "error"
        v.error = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__, limit=12))
        v.reason = v.error.strip().splitlines()[-1][:300]
        return v
    first = axes[names[0]]
    v.examples = v.valid_examples = sum(len(a["x"]) for a in axes.values()) * repeats
    v.scaling = {**first, "axes": axes if len(axes) > 1 else {}}
    v.plots = []
    for name, a in axes.items():
        series = {"measured": {"x": a["x"], "y": a["y"]}}
        series.update({f"baseline {k}": b for k, b in a["baselines"].items()})
        v.plots.append({"name": "scaling" if len(axes) == 1 else f"scaling in {name}", "kind": "fit",
                        "xlabel": name, "ylabel": "measured", "logx": claim.fit in ("loglog", "semilogx"),
                        "logy": claim.fit == "loglog", "series": series,
                        "fit": {k: a.get(k) for k in ("ok", "exponent", "intercept", "ci_low", "ci_high", "r2",
                                                      "reason") if k in a}})
    bad = [a for a in axes.values() if not a.get("ok")]
    if bad:
        v.status = "inconclusive"
        v.reason = f"{bad[0]['variable']}: {bad[0].get('reason', 'fit failed')}"
        return v
    above = [a for a in axes.values() if a["exponent_bound"] is not None and a["ci_low"] > a["exponent_bound"]]
    texts = []
    for a in axes.values():
        t = f"{a['variable']}: fitted exponent {a['exponent']:.3g}, 95% CI [{a['ci_low']:.3g}, {a['ci_high']:.3g}]"
        if a["stated_exponent"] is not None:
            t += f" (stated {a['stated_exponent']:g}, refuted above {a['exponent_bound']:g})"
        elif a["exponent_bound"] is not None:
            t += f" (bound {a['exponent_bound']:g})"
        else:
            t += " (no stated exponent: reported only)"
        texts.append(t)
    if above:
        v.status = "refuted"
        v.reason = "interval above the stated exponent + margin; " + "; ".join(texts)
    else:
        v.reason = "; ".join(texts)
    return v


def fit_exponent(xs, ys, kind: str = "loglog") -> dict[str, Any]:
    """Least-squares slope with a 95% confidence interval (Student t)."""
    from scipy import stats

    x = np.asarray(xs, float)
    y = np.asarray(ys, float)
    if kind in ("loglog", "semilogx"):
        if np.any(x <= 0):
            return {"ok": False, "reason": "sweep values must be positive for a log fit"}
        x = np.log(x)
    if kind == "loglog":
        if np.any(y <= 0):
            return {"ok": False, "reason": "measurements must be positive for a log-log fit"}
        y = np.log(y)
    if len(x) < 3 or np.ptp(x) == 0:
        return {"ok": False, "reason": "need at least 3 distinct sweep values"}
    res = stats.linregress(x, y)
    t = stats.t.ppf(0.975, len(x) - 2)
    se = float(res.stderr) if np.isfinite(res.stderr) else 0.0
    return {"ok": True, "exponent": float(res.slope), "intercept": float(res.intercept),
            "ci_low": float(res.slope - t * se), "ci_high": float(res.slope + t * se),
            "r2": float(res.rvalue**2)}

"""Scaling claims: measure a quantity over a sweep and fit its exponent.

Contract: `run_scaling(claim, profile, seed)` evaluates the claim at every sweep value, `min(claim.repeats,
profile.scaling_repeats)` times (at least once) with ``default_rng([seed, i, r])``, fits the exponent of the
medians (`fit_exponent`: least squares with a 95% Student-t interval, on log-log, semi-log-x or linear
axes), and returns a `Verdict` whose `scaling` holds the series and the fit. The claim is refuted only when
it has an `exponent_bound` and the interval lies entirely above it; otherwise the fit is reported.
"""

from __future__ import annotations

import traceback
from typing import Any

import numpy as np

from ..profiles import Profile
from ..verdict import Verdict

__all__ = ["run_scaling", "fit_exponent"]


def run_scaling(claim, profile: Profile, seed: int) -> Verdict:
    (name, values), = claim.sweep.items()
    repeats = max(1, min(claim.repeats, profile.scaling_repeats))
    xs, ys, raw = [], [], []
    v = Verdict(claim_id=claim.id, status="survived", expected=claim.expect, kind="scaling")
    try:
        for i, x in enumerate(values):
            qs = []
            for r in range(repeats):
                rng = np.random.default_rng([int(seed), i, r])
                q = claim.evaluate(None, {name: x}, rng=rng)
                qs.append(float(q))
            xs.append(float(x))
            ys.append(float(np.median(qs)))
            raw.append(qs)
    except Exception as exc:  # noqa: BLE001
        v.status = "error"
        v.error = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__, limit=12))
        v.reason = v.error.strip().splitlines()[-1][:300]
        return v
    fit = fit_exponent(xs, ys, claim.fit)
    v.examples = v.valid_examples = len(xs) * repeats
    v.scaling = {"variable": name, "x": xs, "y": ys, "raw": raw, "fit": claim.fit, **fit,
                 "expected_exponent": claim.expected_exponent, "exponent_bound": claim.exponent_bound}
    v.plots = [{"name": "scaling", "kind": "fit", "xlabel": name, "ylabel": "measured",
                "logx": claim.fit in ("loglog", "semilogx"), "logy": claim.fit == "loglog",
                "series": {"measured": {"x": xs, "y": ys}}, "fit": fit}]
    if not fit.get("ok"):
        v.status = "inconclusive"
        v.reason = fit.get("reason", "fit failed")
    elif claim.exponent_bound is not None and fit["ci_low"] > claim.exponent_bound:
        v.status = "refuted"
        v.reason = (f"fitted exponent {fit['exponent']:.3g} (95% CI [{fit['ci_low']:.3g}, {fit['ci_high']:.3g}]) "
                    f"exceeds the bound {claim.exponent_bound:g}")
    else:
        exp_txt = f" (claimed {claim.expected_exponent:g})" if claim.expected_exponent is not None else ""
        v.reason = (f"fitted exponent {fit['exponent']:.3g}, 95% CI [{fit['ci_low']:.3g}, {fit['ci_high']:.3g}]"
                    f"{exp_txt}")
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

"""High-precision confirmation: a float64 violation becomes a counterexample only if the mpmath reference
shows it at `dps` AND at `2*dps`, with values that agree.

Classification of the two reference margins m1 (dps) and m2 (2 dps), with `scale` the size of the two sides
of the inequality and floor = scale * 10^(5 - dps) the resolution of the lower precision:

* ``confirmed``   -- m1 < 0 and m2 < 0, |m2| above the floor, |m1 - m2| <= max(floor, 1e-3 |m2|);
* ``equality``    -- |m2| <= floor, or |m2| <= |m1| 10^(-dps/2) (the margin shrinks as the precision
  grows): zero to working precision (an equality case, never a refutation);
* ``holds``       -- both margins >= 0: the float64 violation was rounding (a float artifact);
* ``unstable``    -- anything else (signs or values disagree, NaN): the reference cannot decide;
* ``unavailable`` -- the claim has no ctx, or the mp reference raised.
"""

from __future__ import annotations

import math
import traceback
from dataclasses import dataclass, field

import numpy as np

from .context import ball, mp
from .outcome import as_outcome

__all__ = ["Confirmation", "confirm", "classify"]


@dataclass
class Confirmation:
    status: str
    dps: int
    margin_dps: float | None = None
    margin_2dps: float | None = None
    rel_margin: float | None = None
    lhs: float | None = None
    rhs: float | None = None
    ratio: float | None = None
    reason: str = ""
    detail: dict = field(default_factory=dict)
    rigorous: bool | None = None
    enclosure: str | None = None

    @property
    def confirmed(self) -> bool:
        return self.status == "confirmed"

    def as_dict(self) -> dict:
        return {
            "status": self.status, "dps": self.dps, "margin_dps": self.margin_dps,
            "margin_2dps": self.margin_2dps, "rel_margin": self.rel_margin, "lhs": self.lhs,
            "rhs": self.rhs, "ratio": self.ratio, "reason": self.reason, "rigorous": self.rigorous,
            "enclosure": self.enclosure,
        }


def _f(x):
    if x is None:
        return None
    try:
        return float(x)
    except (TypeError, ValueError, OverflowError):
        return math.nan


def _nan(x) -> bool:
    try:
        return bool(x != x)
    except Exception:  # noqa: BLE001
        return True


def _not_real(x) -> bool:
    return isinstance(x, complex) or type(x).__name__ in ("mpc", "acb")


def classify(m1, m2, scale, dps: int) -> str:
    if _nan(m1) or _nan(m2) or _not_real(m1) or _not_real(m2):
        return "unstable"
    try:
        scale = abs(scale)
    except Exception:  # noqa: BLE001
        scale = 1
    if not scale or _nan(scale) or scale == math.inf:
        scale = 1
    import mpmath

    # mpf, not float: 10^-336 underflows float64 to 0 (mpmath's exponent range is unbounded)
    floor = mpmath.mpf(scale) * mpmath.mpf(10) ** (5 - dps)
    if abs(m2) <= floor:
        return "equality"
    if m1 >= 0 and m2 >= 0:
        return "holds"
    if m1 < 0 and m2 < 0 and abs(m1 - m2) <= max(floor, abs(m2) / 1000):
        return "confirmed"
    if m1 != 0 and abs(m2) <= abs(mpmath.mpf(m1)) * mpmath.mpf(10) ** (-dps / 2):
        # the margin shrinks with the working precision: rounding noise around an exact zero
        return "equality"
    return "unstable"


def evaluate(claim, ctx, instance: dict, rng_factory=None, params=None):
    inst = ctx.convert(instance)
    rng = rng_factory() if rng_factory is not None else None
    return as_outcome(claim.call(ctx, inst, rng=rng, params=params))


def instance_dps(instance, base: int, cap: int = 1000) -> int:
    """Working precision for an instance: the claim's dps plus the decimal exponent range of its entries.

    A fixed dps cannot see 1 + 1e-107 or (a + b) - a with b/a = 1e-120: the digits needed grow with the
    spread of magnitudes (and with how far entries sit below 1). Without this, dps and 2 dps can agree on
    a wrong value (both round exp(1e-107) to 1)."""
    mags = []

    def walk(v):
        if isinstance(v, dict):
            for x in v.values():
                walk(x)
        elif isinstance(v, np.ndarray) and v.dtype.kind == "f":
            a = np.abs(v[np.isfinite(v)])
            a = a[a > 0]
            if a.size:
                mags.extend([float(a.min()), float(a.max())])
        elif isinstance(v, (float, np.floating)) and math.isfinite(v) and v != 0:
            mags.append(abs(float(v)))

    walk(instance)
    if not mags:
        return base
    lo, hi = min(mags), max(mags)
    spread = max(math.log10(hi) - math.log10(lo), -math.log10(lo), 0.0)
    return int(min(cap, max(base, base + math.ceil(spread))))


def confirm(claim, instance: dict, *, rng_factory=None, params=None, dps: int | None = None) -> Confirmation:
    """Re-evaluate `claim` on `instance` at dps and 2 dps (fresh identical rng for each evaluation).

    dps defaults to the claim's dps widened by the instance's exponent range (`instance_dps`). A
    confirmed violation is then checked in ball arithmetic where the claim has a rigorous route: an
    enclosure that excludes the mpmath value overrules it (mpmath rounded both times the same way)."""
    dps = int(dps or instance_dps(instance, claim.dps))
    if not claim.takes_ctx:
        return Confirmation("unavailable", dps, reason="fast-only claim (no ctx parameter)")
    try:
        o1 = evaluate(claim, mp(dps), instance, rng_factory, params)
        o2 = evaluate(claim, mp(2 * dps), instance, rng_factory, params)
    except Exception as exc:  # noqa: BLE001 - a failing reference is evidence, not a crash
        tb = traceback.format_exc(limit=8)
        return Confirmation("unavailable", dps, reason=f"reference raised {type(exc).__name__}: {exc}",
                            detail={"traceback": tb})
    scale = o2.scale if o2.scale is not None else 1
    if _not_real(scale):
        scale = 1
    status = classify(o1.margin, o2.margin, scale, dps)
    nan_reason = None
    if _not_real(o1.margin) or _not_real(o2.margin):
        nan_reason = "the reference margin is not a real number (e.g. sqrt or log of a negative value)"
    elif _nan(o1.margin) or _nan(o2.margin):
        nan_reason = "the reference margin is NaN"
    rigorous, enclosure = (None, None)
    reason = None
    if status == "confirmed":
        rigorous, enclosure, verdict = _ball_check(claim, instance, rng_factory, params, dps, o2.margin)
        if verdict is not None:
            status, reason = verdict
    if nan_reason:
        reason = nan_reason
    return Confirmation(
        status, dps, margin_dps=_f(o1.margin), margin_2dps=_f(o2.margin), rel_margin=_f(o2.rel_margin),
        lhs=_f(o2.lhs), rhs=_f(o2.rhs), ratio=_f(o2.ratio),
        reason=reason or {"confirmed": "violated at dps and 2*dps, values agree",
                          "equality": "margin is zero to working precision (equality case)",
                          "holds": "the reference says the claim holds here (float64 rounding)",
                          "unstable": "reference margins at dps and 2*dps disagree"}[status],
        rigorous=rigorous, enclosure=enclosure,
    )


def _ball_check(claim, instance, rng_factory, params, dps, mp_margin):
    """(rigorous, enclosure text, overriding (status, reason) or None)."""
    enc = _ball_margin(claim, instance, rng_factory, params, dps)
    if enc is None:
        return None, None, None
    text = str(enc)
    try:
        mid, rad = float(enc.mid()), float(enc.rad())
        value = float(mp_margin)
    except (TypeError, ValueError, OverflowError, AttributeError):
        # AttributeError: the margin is a plain number (e.g. integers compared): no enclosure to prove it
        return None, text, None
    if bool(enc < 0):
        return True, text, None
    if abs(value - mid) > rad * (1 + 1e-9) + 1e-300:
        if bool(enc >= 0):
            return False, text, ("holds", "ball arithmetic proves the claim holds here; mpmath rounded wrongly")
        return False, text, ("equality", "ball arithmetic contradicts the mpmath value and its enclosure "
                                         "contains 0: an equality case, not a refutation")
    return False, text, None


def _ball_margin(claim, instance, rng_factory, params, dps):
    if not claim.takes_ctx:
        return None
    b = ball(int(2 * dps * 3.33) + 32)
    try:
        with b.precision():
            return evaluate(claim, b, instance, rng_factory, params).margin
    except Exception:  # noqa: BLE001 - no rigorous route for this claim
        return None


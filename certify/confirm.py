"""High-precision confirmation: a float64 violation becomes a counterexample only if the mpmath reference
shows it at `dps` AND at `2*dps`, with values that agree.

Classification of the two reference margins m1 (dps) and m2 (2 dps), with `scale` the size of the two sides
of the inequality and floor = scale * 10^(5 - dps) the resolution of the lower precision:

* ``confirmed``   -- m1 < 0 and m2 < 0, |m2| above the floor, |m1 - m2| <= max(floor, 1e-3 |m2|);
* ``equality``    -- |m2| <= floor: zero to working precision (an equality case, never a refutation);
* ``holds``       -- both margins >= 0: the float64 violation was rounding (a float artifact);
* ``unstable``    -- anything else (signs or values disagree, NaN): the reference cannot decide;
* ``unavailable`` -- the claim has no ctx, or the mp reference raised.
"""

from __future__ import annotations

import math
import traceback
from dataclasses import dataclass, field

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


def classify(m1, m2, scale, dps: int) -> str:
    if _nan(m1) or _nan(m2):
        return "unstable"
    try:
        scale = abs(scale)
    except Exception:  # noqa: BLE001
        scale = 1
    if not scale or _nan(scale) or scale == math.inf:
        scale = 1
    floor = scale * (10 ** (5 - dps))
    if abs(m2) <= floor:
        return "equality"
    if m1 >= 0 and m2 >= 0:
        return "holds"
    if m1 < 0 and m2 < 0 and abs(m1 - m2) <= max(floor, abs(m2) / 1000):
        return "confirmed"
    return "unstable"


def evaluate(claim, ctx, instance: dict, rng_factory=None, params=None):
    inst = ctx.convert(instance)
    rng = rng_factory() if rng_factory is not None else None
    return as_outcome(claim.call(ctx, inst, rng=rng, params=params))


def confirm(claim, instance: dict, *, rng_factory=None, params=None, dps: int | None = None) -> Confirmation:
    """Re-evaluate `claim` on `instance` at dps and 2 dps (fresh identical rng for each evaluation)."""
    dps = int(dps or claim.dps)
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
    status = classify(o1.margin, o2.margin, scale, dps)
    rigorous, enclosure = (None, None)
    if status == "confirmed":
        rigorous, enclosure = prove(claim, instance, "violated", rng_factory, params, dps)
    return Confirmation(
        status, dps, margin_dps=_f(o1.margin), margin_2dps=_f(o2.margin), rel_margin=_f(o2.rel_margin),
        lhs=_f(o2.lhs), rhs=_f(o2.rhs), ratio=_f(o2.ratio),
        reason={"confirmed": "violated at dps and 2*dps, values agree",
                "equality": "margin is zero to working precision (equality case)",
                "holds": "the reference says the claim holds here (float64 rounding)",
                "unstable": "reference margins at dps and 2*dps disagree"}[status],
        rigorous=rigorous, enclosure=enclosure,
    )


def prove(claim, instance: dict, want: str, rng_factory=None, params=None, dps: int = 50):
    """Try to prove, in ball arithmetic, that the margin is < 0 (`want="violated"`) or >= 0 (`"holds"`).

    Returns (True, enclosure) when proven, (False, enclosure) when the enclosure is too wide to decide,
    and (None, None) when no rigorous evaluation exists (the claim uses domain quantities without a ball
    twin, or ball arithmetic raised)."""
    if not claim.takes_ctx:
        return None, None
    b = ball(int(2 * dps * 3.33) + 32)
    try:
        with b.precision():
            o = evaluate(claim, b, instance, rng_factory, params)
            m = o.margin
            proven = bool(m < 0) if want == "violated" else bool(m >= 0)
            text = str(m)
    except Exception:  # noqa: BLE001 - no rigorous route for this claim
        return None, None
    return proven, text

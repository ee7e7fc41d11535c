"""What a claim body returns: a margin with both sides of the inequality, so ratios can be reported.

`le(a, b)` says a <= b: margin b - a, ratio a / b (the empirical constant when b is the paper's bound).
`ge(a, b)` says a >= b: margin a - b, ratio a / b. `close(a, b)` says ||a - b||_max <= atol + rtol ||b||_max.
`all_of(...)` holds when every part holds; its margin is the worst part's.

Arrays compare element-wise (le / ge) and the worst element decides. Every outcome also carries a
*relative margin* in [-inf, 1], the margin divided by the size of the two sides; the search steers by it,
so a claim about numbers of size 1e6 and one about numbers of size 1e-6 are searched alike.
Values may be float64 or mpmath numbers; `Outcome.as_float()` gives the plain summary for reports.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

__all__ = ["Outcome", "le", "ge", "close", "all_of", "as_outcome", "reads"]

_TINY = 1e-300


def _is_mp(x) -> bool:
    """An exact-context number (mpmath mpf or a flint ball): keep it, never round it to float64."""
    mod = type(x).__module__
    return mod.startswith("mpmath") or mod.startswith("flint")


def _keep(x) -> bool:
    """A side value kept as it is: an exact-context number, or a Python int or Fraction (exact at any size: as a
    float64 value 2**60 + 1 would equal 2**60, and 10**400 would be inf)."""
    return _is_mp(x) or (type(x) is int) or isinstance(x, Fraction)


def _flat(x):
    try:
        return _flat_numbers(x)
    except (TypeError, ValueError):
        from .errors import InvalidArgument

        raise InvalidArgument(f"certify.le/ge/close: cannot compare {type(x).__name__} {x!r:.60}; "
                              "pass numbers or numeric arrays") from None


def _flat_numbers(x):
    if isinstance(x, str):
        raise TypeError("a string is not a number")
    if isinstance(x, np.ndarray):
        if x.dtype.kind in "USO" and x.dtype != object:
            raise TypeError("not numeric")
        return x.reshape(-1)
    if isinstance(x, (list, tuple)):
        return np.asarray(x, dtype=object if any(_keep(v) for v in x) else float).reshape(-1)
    return np.array([x], dtype=object if _keep(x) else float)


def _isnan(x) -> bool:
    try:
        return bool(x != x)
    except Exception:  # noqa: BLE001 - exotic number types
        return False


def _isinf(x) -> bool:
    try:
        return bool(abs(x) == math.inf)
    except Exception:  # noqa: BLE001 - exotic number types
        return False


def _absval(x):
    return abs(x)


def _positive(x) -> bool:
    try:
        return bool(x > 0) and not _isinf(x)
    except Exception:  # noqa: BLE001
        return False


def _to_float(x) -> float:
    try:
        return float(x)
    except (TypeError, ValueError, OverflowError):
        return math.nan


@dataclass
class Outcome:
    """A claim's verdict on one instance. `margin >= 0` means the claim holds there."""

    margin: Any
    rel_margin: Any
    lhs: Any = None
    rhs: Any = None
    ratio: Any = None
    relation: str = "margin"
    scale: Any = 1.0
    evidence: dict = field(default_factory=dict)
    parts: list = field(default_factory=list)
    label: str = ""
    output_only: bool = False   # part of the computation ran in float64 by design (see certify.confirm)
    fp_error: str | None = None  # float64 could not evaluate the claim here (an OverflowError): margin NaN

    @property
    def holds(self) -> bool:
        return (not _isnan(self.margin)) and self.margin >= 0

    @property
    def violated(self) -> bool:
        return _isnan(self.margin) or self.margin < 0

    def as_float(self) -> dict:
        d = {
            "margin": _to_float(self.margin),
            "rel_margin": _to_float(self.rel_margin),
            "lhs": None if self.lhs is None else _to_float(self.lhs),
            "rhs": None if self.rhs is None else _to_float(self.rhs),
            "ratio": None if self.ratio is None else _to_float(self.ratio),
            "relation": self.relation,
        }
        if self.label:
            d["label"] = self.label
        return d


_READS = {"le": ("≤", ">"), "ge": ("≥", "<"), "close": ("≈", "≉")}


def reads(relation, margin) -> str | None:
    """How the comparison reads on an instance, as it actually holds there: "lhs 0.2973 > rhs 0.25" for a
    violated `le`, "≤" when it holds (None for a plain margin or an unknown margin)."""
    if relation not in _READS:
        return None
    try:
        m = float(margin)
    except (TypeError, ValueError, OverflowError):
        return None
    if m != m:
        return None
    return _READS[relation][0 if m >= 0 else 1]


def _pick_worst(margins, rels):
    """Index of the worst element: NaN first, then the smallest relative margin, compared in the
    context's own numbers (rounding mpmath values to float64 would make 1e-575 and 1e-673 both 0)."""
    best_i, best = 0, None
    for i in range(len(rels)):
        r = rels[i]
        if _isnan(margins[i]) or _isnan(r):
            return i
        try:
            better = best is None or bool(r < best)
        except TypeError:  # mixed exotic types: fall back to floats
            better = best is None or _to_float(r) < _to_float(best)
        if better:
            best_i, best = i, r
    return best_i


def _relative(margin, a, b):
    scale = max(_absval(a), _absval(b))
    if _isnan(margin):
        return margin, scale
    if _isinf(margin):
        # inf / inf would be NaN (ranked as the worst case): an infinite margin is what it is, the best
        # possible (+inf: e.g. a bound that is +inf) or the worst possible (-inf) relative margin
        return (1.0 if margin > 0 else -math.inf), scale
    if scale == 0:
        return 0 * margin, scale
    rel = margin / scale if scale > _TINY else margin / _TINY
    return rel, scale


def _compare(a, b, relation, evidence, label, output_only=False):
    fa, fb = _flat(a), _flat(b)
    if fa.size != fb.size:
        if fa.size == 1:
            fa = np.repeat(fa, fb.size)
        elif fb.size == 1:
            fb = np.repeat(fb, fa.size)
        else:
            from .errors import InvalidArgument

            raise InvalidArgument(
                f"certify.{relation}: the two sides have {fa.size} and {fb.size} elements; "
                "pass arrays of the same shape or a scalar bound"
            )
    if fa.size == 0:
        return Outcome(margin=0.0, rel_margin=0.0, lhs=0.0, rhs=0.0, ratio=0.0, relation=relation,
                       evidence=dict(evidence or {}), label=label, output_only=output_only)
    margins = [(fb[i] - fa[i]) if relation == "le" else (fa[i] - fb[i]) for i in range(fa.size)]
    rels, scales = [], []
    for i in range(fa.size):
        r, s = _relative(margins[i], fa[i], fb[i])
        rels.append(r)
        scales.append(s)
    i = _pick_worst(margins, rels)
    # lhs / rhs is the empirical constant only against a positive bound: with a bound side <= 0 its sign and
    # size mean nothing (a true bound lse(u) - max(u) <= log(n) - ... would show "1 vs 1.157")
    ratio = fa[i] / fb[i] if _positive(fb[i]) else None
    return Outcome(margin=margins[i], rel_margin=rels[i], lhs=fa[i], rhs=fb[i], ratio=ratio,
                   relation=relation, scale=scales[i], evidence=dict(evidence or {}), label=label,
                   output_only=output_only)


def le(a, b, *, evidence: dict | None = None, label: str = "", output_only: bool = False) -> Outcome:
    """The claim ``a <= b``; return it from a claim body.

    * ``a``, ``b`` -- numbers or numeric arrays in the claim's arithmetic (float64, mpmath, ball); arrays
      compare element-wise (a scalar side broadcasts) and the worst element decides.
    * ``evidence`` -- named series for the report's plots (see `certify.claim`): a scalar ``{"x", "y"}``
      pair accumulates a scatter plot over all examples, list values make a curve of the worst instance.
    * ``label`` -- names this comparison inside an `all_of` (the report shows which part was worst).
    * ``output_only`` -- say True when ``a`` or ``b`` comes from an algorithm that runs in float64 by design
      (e.g. a numpy solver whose output is then checked in ``ctx``): its refutations are then labelled
      ``confirmation: "output-only"`` and must survive rounding-level perturbations of the float64 path.

    The margin is ``b - a`` (negative: violated), the relative margin divides it by the size of the two
    sides (the search steers by it; an infinite margin has relative margin 1 or -inf), and the ratio ``a / b``
    is the empirical constant when ``b`` is the paper's bound with constant 1 (none when ``b <= 0``)::

        return certify.le(ctx.norm(ctx.softmax(u) - ctx.softmax(v), ctx.inf), C * ctx.norm(u - v, ctx.inf))
    """
    return _compare(a, b, "le", evidence, label, output_only)


def ge(a, b, *, evidence: dict | None = None, label: str = "", output_only: bool = False) -> Outcome:
    """The claim ``a >= b``: like `le` with the sides' roles swapped. Margin ``a - b``; ratio ``a / b``
    (below 1 means violated), so for a lower bound ``b`` the ratio says how far above it ``a`` stays.
    ``evidence``, ``label`` and ``output_only`` as in `le`::

        return certify.ge(ctx.eigmin(H), lam_min)   # H is at least lam_min-strongly convex
    """
    return _compare(a, b, "ge", evidence, label, output_only)


def close(a, b, *, rtol: float = 1e-9, atol: float = 0.0, evidence: dict | None = None,
          label: str = "", output_only: bool = False) -> Outcome:
    """The identity ``a == b`` up to ``||a - b||_max <= atol + rtol * ||b||_max`` (norm-wise, not per entry).

    * ``a``, ``b`` -- numbers or arrays of one size (or one side a scalar); ``b`` is the reference side
      whose size scales ``rtol``.
    * ``rtol``, ``atol`` -- non-negative tolerances; they add. Both 0 asks for exact equality, which only an
      exact context can meet: a float64 identity needs ``rtol`` of a few unit roundoffs times the
      condition of the computation, and the high-precision confirmation then decides.
    * ``evidence``, ``label``, ``output_only`` -- as in `le`.

    The margin is ``tol - residual``; the ratio is the residual over the tolerance, so a ratio of 0.01
    means a hundredfold safety factor::

        return certify.close(ctx.sum(ctx.softmax(u)), 1, rtol=0, atol=1e-12)
    """
    if not (rtol >= 0 and atol >= 0):
        from .errors import InvalidArgument

        raise InvalidArgument(f"certify.close: bad tolerances rtol={rtol!r}, atol={atol!r}; "
                              "pass non-negative tolerances (both 0 asks for exact equality)")
    fa, fb = _flat(a), _flat(b)
    if fa.size != fb.size and fb.size != 1 and fa.size != 1:
        from .errors import InvalidArgument

        raise InvalidArgument(f"certify.close: the two sides have {fa.size} and {fb.size} elements; "
                              "pass arrays of the same shape")
    diff = fa - fb
    if diff.size == 0:
        return Outcome(margin=0.0, rel_margin=1.0, lhs=0.0, rhs=0.0, ratio=0.0, relation="close",
                       evidence=dict(evidence or {}), label=label, output_only=output_only)
    resid = max((_absval(v) for v in diff), key=lambda v: math.inf if _isnan(v) else _to_float(v))
    if any(_isnan(v) for v in diff):
        resid = next(v for v in diff if _isnan(v))
    size_b = max(_absval(v) for v in fb)
    tol = atol + rtol * size_b
    margin = tol - resid
    if _isnan(margin):
        rel = margin
    else:
        rel = margin / tol if tol > 0 else (0 * margin if margin == 0 else -1.0)
    ratio = resid / tol if tol > 0 else (0.0 if resid == 0 else None)
    return Outcome(margin=margin, rel_margin=rel, lhs=resid, rhs=tol, ratio=ratio, relation="close",
                   scale=tol, evidence=dict(evidence or {}), label=label, output_only=output_only)


def all_of(*parts, evidence: dict | None = None, label: str = "", output_only: bool = False) -> Outcome:
    """Every part must hold: ``all_of(o1, o2, ...)`` or ``all_of([o1, o2, ...])`` of `le`/`ge`/`close`
    outcomes (or nested `all_of`). The worst part by relative margin gives the margin, ratio and relation,
    and its ``label`` (else "part i") names it in the report; the parts' evidence is merged, then
    ``evidence`` is added on top; it is ``output_only`` when it says so or any part does. No parts is an error::

        return certify.all_of(certify.le(err, bound, label="error"), certify.ge(rank, k, label="rank"))
    """
    if len(parts) == 1 and isinstance(parts[0], (list, tuple)):
        parts = tuple(parts[0])
    if not parts:
        from .errors import InvalidArgument

        raise InvalidArgument("certify.all_of: no parts given; pass one or more outcomes")
    outs = [as_outcome(p) for p in parts]
    margins = [o.margin for o in outs]
    rels = [o.rel_margin for o in outs]
    i = _pick_worst(margins, rels)
    w = outs[i]
    merged: dict = {}
    for o in outs:
        merged.update(o.evidence)
    merged.update(evidence or {})
    return Outcome(margin=w.margin, rel_margin=w.rel_margin, lhs=w.lhs, rhs=w.rhs, ratio=w.ratio,
                   relation=w.relation, scale=w.scale, evidence=merged, parts=outs,
                   label=label or w.label or f"part {i + 1}",
                   output_only=bool(output_only or any(o.output_only for o in outs)))


def as_outcome(value) -> Outcome:
    """Normalise what a claim body returned."""
    if isinstance(value, Outcome):
        return value
    if isinstance(value, (bool, np.bool_)):
        m = 1.0 if value else -1.0
        return Outcome(margin=m, rel_margin=m, relation="bool")
    if isinstance(value, (int, float, np.integer, np.floating)) or _is_mp(value):
        if _isnan(value):
            return Outcome(margin=value, rel_margin=value)
        return Outcome(margin=value, rel_margin=value, scale=1.0)
    from .errors import InvalidArgument

    raise InvalidArgument(
        f"a claim returned {type(value).__name__} ({value!r:.80}); return a number (the margin), "
        "certify.le / ge / close / all_of, or a bool"
    )

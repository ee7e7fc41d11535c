"""High-precision confirmation: a float64 violation becomes a counterexample only if the mpmath reference
shows it at `dps` AND at `2*dps`, with values that agree.

Classification of the reference margins m1 (dps) and m2 (2 dps), with `size` the size of the computation (the
largest magnitude among the instance's inputs and the two sides of the inequality) and floor = size *
10^(5 - dps) the resolution of the lower precision:

* ``confirmed``   -- m1 < 0 and m2 < 0, |m2| above the floor, |m1 - m2| <= max(floor, 1e-3 |m2|);
* ``equality``    -- |m2| <= floor, or the margin shrinks as the precision grows (|m2| <= |m1| 10^(-dps/2), or,
  asked at a third precision 3 dps when dps and 2 dps disagree, |m3| <= max(|m1|, |m2|) 10^(-dps/2)): zero to
  working precision, an equality case, never a refutation. The third precision is what decides a margin that
  is exactly 0 at dps and -4e-101 at 2 dps while every side of the inequality is ~0 (lambda_min of the
  all-ones matrix): the sides alone cannot say how large the computation was, the shrinking can;
* ``holds``       -- both margins >= 0: the float64 violation was rounding (a float artifact);
* when dps and 2 dps disagree by less than size * 10^(-dps/4) and 3 dps agrees with 2 dps far better
  (|m3 - m2| <= |m2 - m1| 10^(-dps/2): the error shrinks with the precision, digits lost to cancellation, not
  a different branch of the computation) and the margin does not shrink, dps was too few digits for it:
  2 dps and 3 dps are classified by the same rules one step up, and may say ``holds`` or ``equality``
  (never ``confirmed``: a refutation needs dps and 2 dps to agree);
* ``fragile``     -- confirmed, but the reference only checked the OUTPUT of a float64 computation and the
  violation does not survive a rounding-level perturbation of that float64 path (see `robust`);
* ``unstable``    -- anything else (signs or values disagree, NaN): the reference cannot decide;
* ``unavailable`` -- the claim has no ctx, or the mp reference raised.

How a confirmation was obtained (``mode``; the report's ``confirmation``): ``reference`` -- the claim body ran in
the reference context; ``reference-replay`` -- a probability trial re-ran whole (algorithm included) in the
reference context with the same random draws; ``output-only`` -- part of the computation ran in float64 by
design (the reference rounded a value to float64 through ``ctx.to_float``, or the claim said so with
``output_only=True`` on its outcome), so only the output was checked in high precision and a refutation also
needs the violation to be robust.

A confirmed violation whose relative margin (|m2| / size) is within `MARGINAL_ROUNDOFFS` float64 unit roundoffs
is ``marginal``: still a counterexample, but the instance satisfies the hypotheses only up to float64 rounding
(e.g. a matrix orthogonal to 1e-16), so the reader should check the encoding.
"""

from __future__ import annotations

import dataclasses
import functools
import linecache
import math
import sys
import traceback
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import numpy as np

from .context import ball, fp, mp
from .outcome import as_outcome

__all__ = ["Confirmation", "confirm", "classify", "robust", "perturb_instance", "MARGINAL_ROUNDOFFS",
           "MARGINAL_NOTE"]

UNIT_ROUNDOFF = 2.0**-53
MARGINAL_ROUNDOFFS = 1e3
MARGINAL_NOTE = ("the violation is within {k:.3g} float64 unit roundoffs of the size of the computation: the "
                 "instance satisfies the hypotheses only up to the rounding of its float64 entries (e.g. a "
                 "matrix orthogonal to 1e-16), so check that the encoding of the hypotheses is exact")
OUTPUT_ONLY_NOTE = ("output-only confirmation: the algorithm ran in float64 by design and only its output was "
                    "checked in high precision; the violation also survives rounding-level perturbations of the "
                    "float64 path")


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
    margin_3dps: float | None = None
    size: float | None = None
    mode: str = "reference"
    marginal: bool = False
    marginal_note: str = ""
    validation: dict | None = None   # probability claims: the fresh trials the candidate was judged on

    @property
    def confirmed(self) -> bool:
        return self.status == "confirmed"

    def as_dict(self) -> dict:
        return {
            "status": self.status, "dps": self.dps, "margin_dps": self.margin_dps,
            "margin_2dps": self.margin_2dps, "margin_3dps": self.margin_3dps, "rel_margin": self.rel_margin,
            "lhs": self.lhs, "rhs": self.rhs, "ratio": self.ratio, "size": self.size, "reason": self.reason,
            "rigorous": self.rigorous, "enclosure": self.enclosure, "mode": self.mode,
            "marginal": self.marginal, "marginal_note": self.marginal_note,
            **({"validation": self.validation} if self.validation is not None else {}),
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


def _abs_or_zero(x):
    """|x| in x's own numbers, 0 for None / NaN / non-real / non-numbers (sizes must never be NaN)."""
    if x is None or _not_real(x) or _nan(x):
        return 0
    try:
        return abs(x)
    except Exception:  # noqa: BLE001
        return 0


def _shrinks(m1, m2, m3, dps: int) -> bool:
    """The margin falls by at least dps/2 digits from (dps, 2 dps) to 3 dps: rounding noise around an exact 0."""
    import mpmath

    if any(_nan(m) or _not_real(m) for m in (m1, m2, m3)):
        return False
    big = max(abs(mpmath.mpf(m1)), abs(mpmath.mpf(m2)))
    if big == 0:
        return False
    return abs(mpmath.mpf(m3)) <= big * mpmath.mpf(10) ** (-dps / 2)


def _float_only_hint(claim, exc: BaseException) -> str:
    """What to change when the reference failed because the body handed its numbers to a float64-only numpy
    routine (np.linalg on an object array, a ufunc the numbers have no method for): the commonest way a claim
    written with plain numpy cannot be checked in high precision."""
    text = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, (AttributeError, TypeError)) and ("'mpf'" in text or "'mpc'" in text or "arb" in text):
        # the body read something of an input's Python type (x.denominator, isinstance(x, float)) that the
        # reference's exact numbers do not have
        return ("; under the reference every number input is this context's exact number (floats, Fractions and "
                "Decimals become mpf, complex mpc, integer arrays Python ints): compute with ctx.num(x) and "
                "ctx operations rather than attributes or isinstance tests of the input's float64 type")
    if "dtype('O')" not in text and "has no callable" not in text and "object arrays" not in text:
        return ""
    where = ""
    home = Path(claim.path).resolve() if getattr(claim, "path", None) else None
    if home is not None:
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if Path(f.filename).resolve() == home]
        if frames:
            f = frames[-1]
            where = f" at {Path(f.filename).name}:{f.lineno} `{(f.line or '').strip()[:80]}`"
    return (f"; the claim body passes the reference's numbers to a float64-only numpy routine{where}: use the ctx "
            "operation of that name (ctx.eigvalsh, ctx.exp, ctx.solve, ...: README, 'Context API') so the "
            "reference can evaluate it")


def _unrounded(x):
    """x as an mpmath number without rounding it: a reference margin keeps its own context's precision
    (`mpmath.mpf(x)` would round it to the global 53 bits, and m2 - m3 at 2 and 3 dps would then show the
    rounding of m2 instead of their difference); a float or int is exact at 53 bits."""
    import mpmath

    return x if hasattr(x, "_mpf_") or hasattr(x, "_mpc_") else mpmath.mpf(x)


def classify(m1, m2, scale, dps: int, m3=None) -> str:
    """Status of the reference margins m1 (dps), m2 (2 dps) and optionally m3 (3 dps); `scale` is the size of
    the computation (see the module docstring)."""
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
    if m3 is not None and _shrinks(m1, m2, m3, dps):
        return "equality"
    lost = abs(_unrounded(m1) - m2)
    if m3 is not None and not (_nan(m3) or _not_real(m3)) \
            and lost <= mpmath.mpf(scale) * mpmath.mpf(10) ** (-dps / 4) \
            and abs(_unrounded(m2) - m3) <= lost * mpmath.mpf(10) ** (-dps / 2):
        # dps itself was not enough (the computation lost more digits than it had): the next two precisions
        # may show the claim holding (a float artifact) or an equality, by the same rules one step up. Never a
        # refutation: that needs dps and 2 dps to agree (a value that only 2 dps and 3 dps see stays unstable)
        upper = classify(m2, m3, scale, 2 * dps)
        return upper if upper in ("holds", "equality") else "unstable"
    return "unstable"


def evaluate(claim, ctx, instance: dict, rng_factory=None, params=None):
    inst = ctx.convert(instance)
    rng = rng_factory() if rng_factory is not None else None
    return as_outcome(claim.call(ctx, inst, rng=rng, params=params))


class _RoundingWatch:
    """A private reference context that notes when the computation leaves the reference arithmetic.

    `rounded`: its `to_float` rounded a value that is not a float64 number -- the claim declared a float64 step
    (output-only; rounding an exact input is not noted). `leak`: the claim's own code turned one of the
    context's numbers into a Python float or complex by itself (`float(x)`, `math.exp(x)`, `np.float64(x)`,
    `dtype=float`): the value that reaches the margin was then computed in float64, and agreeing margins at
    dps and 2 dps prove nothing (a float64 artifact is "confirmed" at any precision). Only conversions made
    directly by code in the claim's file count: the context's own routines may round for their decisions."""

    def __init__(self, dps: int):
        self.ctx = type(mp(dps))(dps)   # a fresh context: the shared mp(dps) stays untouched
        self.rounded = False
        self.leak: str | None = None
        self.home: str | None = None
        self._declared = 0
        base = self.ctx.to_float
        mpf = self.ctx.mpm.mpf

        def to_float(x):
            self._declared += 1
            try:
                out = base(x)
            finally:
                self._declared -= 1
            if not self.rounded:
                try:
                    xs = np.asarray(x, dtype=object).reshape(-1)
                    fs = np.asarray(out, dtype=float).reshape(-1)
                    self.rounded = any(not (np.isfinite(f) and mpf(f) == v) for f, v in zip(fs, xs, strict=True)
                                       if not _nan(v))
                except Exception:  # noqa: BLE001 - exotic values: assume the worst
                    self.rounded = True
            return out

        self.ctx.to_float = to_float
        for cls in (self.ctx.mpm.mpf, self.ctx.mpm.mpc):
            for dunder in ("__float__", "__complex__"):
                original = getattr(cls, dunder, None)
                if original is not None:
                    setattr(cls, dunder, self._watching(original))

    def _watching(self, original):
        watch = self

        def convert(x):
            out = original(x)
            if watch.leak is None and watch.home is not None and not watch._declared:
                caller = sys._getframe(1)
                if _same_file(caller.f_code.co_filename, watch.home):
                    line = linecache.getline(caller.f_code.co_filename, caller.f_lineno).strip()
                    # an exact value handed straight back to the context on the same line (the common
                    # `ctx.asarray(np.array(k, dtype=float).reshape(n, n))`) loses nothing; any other
                    # conversion may feed float64 arithmetic (math.exp(x) of an exact input does)
                    exact = isinstance(out, float) and math.isfinite(out) and x == out
                    if not (exact and "ctx." in line):
                        watch.leak = f"{Path(watch.home).name}:{caller.f_lineno} `{line[:80]}`"
            return out

        return convert


@functools.lru_cache(maxsize=256)
def _same_file(a: str, b: str) -> bool:
    try:
        return Path(a).resolve() == Path(b).resolve()
    except (OSError, ValueError):
        return False


LEAK_NOTE = ("the claim body turned the reference's numbers into float64 values at {where} (float(), math.*, "
             "np.float64, dtype=float): the margin was computed in float64 at every precision, so it cannot "
             "confirm anything. Keep the numbers in the context (ctx.exp, ctx.sqrt, ... or numpy's ufuncs), or "
             "declare a float64 step with ctx.to_float")


_WATCHES: dict[int, _RoundingWatch] = {}


def _watched(dps: int, home: str | None) -> _RoundingWatch:
    w = _WATCHES.get(dps)
    if w is None:
        if len(_WATCHES) > 32:
            _WATCHES.clear()
        w = _WATCHES[dps] = _RoundingWatch(dps)
    w.rounded = False
    w.leak = None
    w.home = home
    return w


class _Leaked(Exception):
    """The reference evaluation left the reference arithmetic without declaring it (see `_RoundingWatch`)."""


def _watched_home(claim) -> str | None:
    """The file whose own float conversions count as leaks: a user's claim file. The bundled catalogue's
    modules are reviewed: their conversions feed evidence plots, sample sizes and declared float64 algorithm
    steps (output-only through `ctx.to_float`), never a margin computed in float64 by accident."""
    from .registry import in_catalogue

    module = getattr(claim, "module", "") or ""
    if in_catalogue(module):
        return None
    return getattr(claim, "path", None) or None


def _evaluate_reference(claim, dps, instance, rng_factory, params):
    """(outcome, whether the evaluation rounded a computed value to float64); raises _Leaked when the claim's
    code converted the reference's numbers to float64 itself."""
    home = _watched_home(claim)
    w = _watched(dps, home)
    try:
        o = evaluate(claim, w.ctx, instance, rng_factory, params)
    finally:
        w.home, leak = None, w.leak
    if leak is not None:
        raise _Leaked(LEAK_NOTE.format(where=leak))
    if home is not None and _float64_result(o):
        raise _Leaked(FLOAT_RESULT_NOTE)
    return o, bool(w.rounded or getattr(o, "output_only", False))


FLOAT_RESULT_NOTE = ("the claim's result reached the reference as float64 numbers (every side a Python or numpy float: "
                     "computed with math.*, float() or numpy float64 from exact inputs such as integers), so the "
                     "margin was computed in float64 at every precision and cannot confirm anything. Compute the "
                     "sides in the context (ctx.num(n), ctx.log, ctx.sqrt, ...)")


def _float64_result(o) -> bool:
    """Every value the reference's margin is read from is a float64 number (not one of the context's)."""
    sides = [v for v in (o.lhs, o.rhs) if v is not None] or [o.margin]
    return all(type(v) is float or isinstance(v, (np.floating, np.complexfloating)) for v in sides)


def _float_leaves(v, exact: bool = False):
    """The float arrays (numpy, real or complex) and float scalars of an instance value, at any nesting of
    dicts, lists and tuples; with `exact`, also complex scalars, Fractions and Decimals (their magnitudes set
    the working precision, `instance_dps`); fields of dataclasses too."""
    if isinstance(v, dict):
        for x in v.values():
            yield from _float_leaves(x, exact)
    elif isinstance(v, (list, tuple, set, frozenset)):
        for x in v:
            yield from _float_leaves(x, exact)
    elif isinstance(v, np.ndarray) and v.dtype.kind in "fc":
        yield v
    elif isinstance(v, (float, np.floating)):
        yield v
    elif exact and isinstance(v, (complex, np.complexfloating, Fraction, Decimal)):
        yield v
    elif dataclasses.is_dataclass(v) and not isinstance(v, type):
        for f in dataclasses.fields(v):
            yield from _float_leaves(getattr(v, f.name), exact)


def _nonfinite_inputs(instance) -> list[str]:
    """The names of the instance's inputs that hold a nan or an infinity (at any nesting)."""
    def bad(leaf) -> bool:
        return not bool(np.all(np.isfinite(leaf))) if isinstance(leaf, np.ndarray) else not math.isfinite(float(leaf))

    if not isinstance(instance, dict):
        return []
    return [str(k) for k, v in instance.items() if any(bad(leaf) for leaf in _float_leaves(v))]


def input_magnitude(instance) -> float:
    """The largest finite magnitude among the instance's floats (0 when there are none). Integers are sizes,
    counts and seeds, not magnitudes of the computation."""
    best = 0.0
    for leaf in _float_leaves(instance):
        if isinstance(leaf, np.ndarray):
            if leaf.dtype.kind == "f" and leaf.size:
                a = np.abs(leaf[np.isfinite(leaf)])
                if a.size:
                    best = max(best, float(a.max()))
        else:
            f = abs(float(leaf))
            if math.isfinite(f):
                best = max(best, f)
    return best


def instance_dps(instance, base: int, cap: int = 1000) -> int:
    """Working precision for an instance: the claim's dps plus the decimal exponent range of its entries.

    A fixed dps cannot see 1 + 1e-107 or (a + b) - a with b/a = 1e-120: the digits needed grow with the
    spread of magnitudes (and with how far entries sit below 1). Without this, dps and 2 dps can agree on
    a wrong value (both round exp(1e-107) to 1)."""
    exps = []   # decimal exponents of the nonzero finite magnitudes
    # lists and tuples too: a plain `st.lists(st.floats())` input is as much the computation's input as an array;
    # complex numbers by their real and imaginary parts; Fractions and Decimals exactly, whatever their size
    for leaf in _float_leaves(instance, exact=True):
        if isinstance(leaf, np.ndarray):
            parts = (leaf.real, leaf.imag) if leaf.dtype.kind == "c" else (leaf,)
            for part in parts:
                a = np.abs(part[np.isfinite(part)])
                a = a[a > 0]
                if a.size:
                    exps.extend([math.log10(float(a.min())), math.log10(float(a.max()))])
        elif isinstance(leaf, (complex, np.complexfloating)):
            exps.extend(math.log10(abs(x)) for x in (leaf.real, leaf.imag) if math.isfinite(x) and x != 0)
        elif isinstance(leaf, (Fraction, Decimal)):
            if leaf != 0 and (not isinstance(leaf, Decimal) or leaf.is_finite()):
                f = Fraction(leaf)
                exps.append(_log10_int(abs(f.numerator)) - _log10_int(f.denominator))
        elif math.isfinite(leaf) and leaf != 0:
            exps.append(math.log10(abs(float(leaf))))
    if not exps:
        return base
    lo, hi = min(exps), max(exps)
    spread = max(hi - lo, -lo, 0.0)
    return int(min(cap, max(base, base + math.ceil(spread))))


def _log10_int(n: int) -> float:
    # math.log10 of an int beyond the float range works (Python computes it from the bits), but stay exact-safe
    return math.log10(n) if n.bit_length() < 1000 else (n.bit_length() - 1) * math.log10(2)


def confirm(claim, instance: dict, *, rng_factory=None, params=None, dps: int | None = None,
            mode: str = "reference", check_robust: bool = True) -> Confirmation:
    """Re-evaluate `claim` on `instance` at dps and 2 dps (fresh identical rng for each evaluation), and at
    3 dps when those two disagree.

    dps defaults to the claim's dps widened by the instance's exponent range (`instance_dps`). A
    confirmed violation is then checked in ball arithmetic where the claim has a rigorous route: an
    enclosure that excludes the mpmath value overrules it (mpmath rounded both times the same way). `mode`
    names how the reference ran ("reference", or "reference-replay" for a re-run probability trial); it becomes
    "output-only" when the evaluation rounded a computed value to float64, and then a confirmed violation must
    also be `robust` (unless `check_robust` is False) or it is ``fragile``."""
    dps = int(dps or instance_dps(instance, claim.dps))
    if not claim.takes_ctx:
        return Confirmation("unavailable", dps, reason="fast-only claim (no ctx parameter)", mode="output-only")
    try:
        o1, r1 = _evaluate_reference(claim, dps, instance, rng_factory, params)
        o2, r2 = _evaluate_reference(claim, 2 * dps, instance, rng_factory, params)
    except _Leaked as exc:
        return Confirmation("unavailable", dps, reason=str(exc), mode=mode)
    except Exception as exc:  # noqa: BLE001 - a failing reference is evidence, not a crash
        tb = traceback.format_exc(limit=8)
        return Confirmation("unavailable", dps,
                            reason=f"reference raised {type(exc).__name__}: {exc}{_float_only_hint(claim, exc)}",
                            detail={"traceback": tb}, mode=mode)
    if r1 or r2:
        mode = "output-only"
    size = _size(o1, o2, instance)
    status = classify(o1.margin, o2.margin, size, dps)
    m3 = None
    if status == "unstable" and not any(_nan(m) or _not_real(m) for m in (o1.margin, o2.margin)):
        try:
            o3, _ = _evaluate_reference(claim, 3 * dps, instance, rng_factory, params)
            m3 = o3.margin
            status = classify(o1.margin, o2.margin, size, dps, m3=m3)
        except Exception:  # noqa: BLE001 - the third precision is a tie-breaker only
            m3 = None
    nan_reason = None
    if _not_real(o1.margin) or _not_real(o2.margin):
        nan_reason = "the reference margin is not a real number (e.g. sqrt or log of a negative value)"
    elif _nan(o1.margin) or _nan(o2.margin):
        nan_reason = "the reference margin is NaN"
    if nan_reason and (names := _nonfinite_inputs(instance)):
        nan_reason += (f"; the instance has non-finite inputs ({', '.join(names)}): st.floats() draws nan and "
                       "+-inf unless given bounds or allow_nan=False, allow_infinity=False")
    rigorous, enclosure = (None, None)
    reason = None
    if status == "equality" and m3 is not None:
        reason = (f"margin {_f(o1.margin):.3g} at dps {dps}, {_f(o2.margin):.3g} at {2 * dps}, {_f(m3):.3g} at "
                  f"{3 * dps}: it shrinks with the working precision, zero to working precision (equality case)")
    elif status == "holds" and m3 is not None:
        reason = (f"dps {dps} lost the margin ({_f(o1.margin):.3g}); decided at dps {2 * dps} and {3 * dps}, "
                  f"which agree ({_f(o2.margin):.3g}, {_f(m3):.3g})")
    if status == "confirmed":
        rigorous, enclosure, verdict = _ball_check(claim, instance, rng_factory, params, dps, o2.margin)
        if verdict is not None:
            status, reason = verdict
    if status == "confirmed" and mode == "output-only" and check_robust:
        ok, why = robust(claim, instance, rng_factory=rng_factory, params=params, dps=dps)
        if not ok:
            status, reason = "fragile", why
        else:
            reason = OUTPUT_ONLY_NOTE
    if nan_reason:
        reason = nan_reason
    marginal, note = False, ""
    if status == "confirmed":
        rel = _relative_to_size(o2.margin, size)
        if rel is not None and rel <= MARGINAL_ROUNDOFFS * UNIT_ROUNDOFF:
            marginal, note = True, MARGINAL_NOTE.format(k=rel / UNIT_ROUNDOFF)
    return Confirmation(
        status, dps, margin_dps=_f(o1.margin), margin_2dps=_f(o2.margin), rel_margin=_f(o2.rel_margin),
        lhs=_f(o2.lhs), rhs=_f(o2.rhs), ratio=_f(o2.ratio), margin_3dps=_f(m3), size=_f(size), mode=mode,
        marginal=marginal, marginal_note=note,
        reason=reason or {"confirmed": "violated at dps and 2*dps, values agree",
                          "equality": "margin is zero to working precision (equality case)",
                          "holds": "the reference says the claim holds here",
                          "unstable": "reference margins at dps and 2*dps disagree"}[status],
        rigorous=rigorous, enclosure=enclosure,
    )


def _size(o1, o2, instance):
    """The size of the computation: the largest magnitude among the inputs and both sides at both precisions
    (in the reference's own numbers, so sizes below the float64 range survive)."""
    cands = [o2.scale, o1.scale, o1.lhs, o1.rhs, o2.lhs, o2.rhs, input_magnitude(instance)]
    best = 0
    for c in cands:
        a = _abs_or_zero(c)
        try:
            if a > best and not (a == math.inf):
                best = a
        except Exception:  # noqa: BLE001
            continue
    return best if best else 1


def _relative_to_size(margin, size):
    try:
        import mpmath

        return float(abs(mpmath.mpf(margin)) / mpmath.mpf(size))
    except Exception:  # noqa: BLE001 - plain numbers (e.g. integers compared)
        try:
            return abs(float(margin)) / float(size)
        except Exception:  # noqa: BLE001
            return None


def _perturb(v, g, ulps: float):
    if isinstance(v, dict):
        return {k: _perturb(x, g, ulps) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return type(v)(_perturb(x, g, ulps) for x in v)
    if isinstance(v, np.ndarray) and v.dtype.kind == "f" and v.size:
        return v * (1 + ulps * UNIT_ROUNDOFF * g.choice([-1.0, 1.0], size=v.shape))
    if isinstance(v, (float, np.floating)) and not isinstance(v, bool):
        return type(v)(v * (1 + ulps * UNIT_ROUNDOFF * float(g.choice([-1.0, 1.0]))))
    return v


def perturb_instance(instance, seed: int, ulps: float = 4.0):
    """A copy of `instance` with every float entry moved by about `ulps` units in the last place (random signs,
    seeded): the same computation, rounded along a different float64 path."""
    return _perturb(instance, np.random.default_rng([0x5EED, int(seed)]), ulps)


class _PerturbedDraws:
    """A random Generator whose float draws are moved by a few ulps (integers untouched): the same trial's
    draws, rounded differently. Anything that needs a real Generator gets the plain one (see `robust`)."""

    def __init__(self, rng, seed: int, ulps: float = 4.0):
        self._rng, self._ulps = rng, ulps
        self._g = np.random.default_rng([0xD2A5, int(seed)])

    def __getattr__(self, name):
        f = getattr(self._rng, name)
        if not callable(f) or name in ("integers", "choice", "permutation", "shuffle", "permuted", "bit_generator",
                                       "spawn", "bytes"):
            return f

        def draw(*args, **kwargs):
            return _perturb(f(*args, **kwargs), self._g, self._ulps)

        return draw


def robust(claim, instance, *, rng_factory=None, params=None, dps=None, tries: int = 3) -> tuple[bool, str]:
    """Does an output-only violation survive a rounding-level perturbation of the float64 path? The instance's
    floats (and the trial's float draws) are moved by a few ulps, staying inside the hypotheses; the float64
    computation re-runs with the same random stream, and its output must again be a violation confirmed in
    high precision. A claim that needs a genuine numpy Generator gets its plain draws (instance moved only)."""
    for k in range(tries):
        p = perturb_instance(instance, k)
        try:
            if not claim.check_assume(p):
                continue
        except Exception:  # noqa: BLE001 - a predicate that fails on the perturbed point rejects it
            continue
        factory = rng_factory
        o = None
        with np.errstate(all="ignore"):
            if rng_factory is not None:
                moved = lambda k=k: _PerturbedDraws(rng_factory(), k)  # noqa: E731
                try:
                    o = claim.evaluate(fp, p, rng=moved())
                    factory = moved
                except Exception:  # noqa: BLE001 - the claim wants a real Generator: move the instance only
                    o = None
            if o is None:
                try:
                    o = claim.evaluate(fp, p, rng=rng_factory() if rng_factory is not None else None)
                except Exception as exc:  # noqa: BLE001
                    return False, (f"fragile: the float64 path raised under a rounding-level perturbation "
                                   f"({type(exc).__name__})")
        if not o.violated:
            return False, ("fragile: the float64 output violates the claim, but the same computation with its "
                           "inputs moved by a few ulps does not (a rounding effect of the float64 path)")
        c = confirm(claim, p, rng_factory=factory, params=params, dps=dps, check_robust=False)
        if not c.confirmed:
            return False, (f"fragile: under a rounding-level perturbation of the float64 path the reference says "
                           f"{c.status} ({c.reason})")
        return True, OUTPUT_ONLY_NOTE
    return False, "fragile: no rounding-level perturbation of the instance stays inside the hypotheses"


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


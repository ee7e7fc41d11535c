"""The smallest safe constant of a claim: search a param for the edge between refuted and survived.

Contract: `tighten(claim, name)` assumes the claim is monotone in the param (a larger constant is never less
safe when `direction="smallest"`; a smaller one never less safe for `"largest"`). It brackets the edge on a
log grid (factors of 2 from the claim's own value, within `lo`/`hi`), then bisects it geometrically (on the
integers for an integer param), running the claim's full search — confirmation included — at every step.
The answer is *the smallest value with no violation found at this budget*: a bound on the true constant
from one side only (a larger budget can only move it up), reported beside the paper's value with the
counterexample that rules out the next value on the unsafe side. Steps that end neither `refuted` nor
`survived` (inconclusive, error) stop the search and are reported as such; the edge is never guessed.

The result is plain data (`TightenResult.as_record()`), stored under the `tighten` field of a claim's record:
``param, direction, paper_value, smallest_safe`` (or ``largest_safe``), ``safe`` (either), ``ruled_out``,
``counterexample``, ``steps``, ``stopped``, ``text``.

Claims declare the constants the catalogue asks to tighten (``tighten=dict(param=..., direction=..., lo=...,
hi=...)`` on `certify.claim`); `tighten` takes the declared direction and limits when the caller gives none, and
`tighten_for_record(claim, profile, seed)` runs every declared search at the profile's tighten budget
(``tighten_examples`` examples and ``tighten_seconds`` per step, ``tighten_steps`` bisections).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Callable

from .errors import InvalidArgument

__all__ = ["tighten", "TightenResult", "tighten_for_record", "tighten_records", "declared"]

_DIRECTIONS = ("smallest", "largest")


@dataclass
class TightenResult:
    claim: str
    param: str
    direction: str
    paper_value: float
    safe: float | None = None  # the smallest (largest) value with no violation found
    ruled_out: float | None = None  # the nearest value on the unsafe side with a confirmed counterexample
    counterexample: dict | None = None
    steps: list = field(default_factory=list)
    stopped: str = "bracketed"  # bracketed | no_safe_value | no_violation | undecided
    profile: str = "ci"
    seed: int = 0

    @property
    def text(self) -> str:
        word = "smallest" if self.direction == "smallest" else "largest"
        if self.stopped == "undecided":
            last = self.steps[-1] if self.steps else {}
            return (f"{self.param}: stopped at {last.get('value')!r}, whose search ended "
                    f"{last.get('status')!r}; no edge reported")
        if self.safe is None:
            return (f"{self.param}: every value tried up to {self.ruled_out:.6g} is refuted "
                    f"(paper: {self.paper_value:.6g})")
        s = (f"{word} {self.param} with no violation found at this budget: {self.safe:.6g} "
             f"(paper: {self.paper_value:.6g}")
        if self.paper_value and self.safe:
            s += f", {self.paper_value / self.safe:.3g}x the observed value" if self.direction == "smallest" \
                else f", {self.safe / self.paper_value:.3g}x the paper's"
        s += ")"
        if self.ruled_out is not None:
            s += f"; {self.ruled_out:.6g} is ruled out by a confirmed counterexample"
        elif self.stopped == "no_violation":
            s += "; no violation found down to the search's limit" if self.direction == "smallest" \
                else "; no violation found up to the search's limit"
        return s

    def as_record(self) -> dict:
        return {"claim": self.claim, "param": self.param, "direction": self.direction,
                "paper_value": self.paper_value, "safe": self.safe, f"{self.direction}_safe": self.safe,
                "ruled_out": self.ruled_out,
                "counterexample": self.counterexample, "steps": self.steps, "stopped": self.stopped,
                "profile": self.profile, "seed": self.seed, "text": self.text}


def _check_args(claim, name, lo, hi, direction, steps):
    if name not in claim.params:
        raise InvalidArgument(f"claim {claim.id}: --param {name!r} is not one of its params "
                              f"{sorted(claim.params) or 'none'}; name the constant to tighten")
    p0 = claim.params[name]
    if isinstance(p0, bool) or not isinstance(p0, (int, float)) or not math.isfinite(p0):
        raise InvalidArgument(f"claim {claim.id}: param {name!r} is {p0!r}, not a finite number; only a "
                              "numeric constant can be tightened")
    if direction not in _DIRECTIONS:
        raise InvalidArgument(f"tighten: direction {direction!r} is not one of {_DIRECTIONS}")
    if not isinstance(steps, int) or steps < 0:
        raise InvalidArgument(f"tighten: steps {steps!r}; pass a non-negative integer")
    for nm, v in (("--lo", lo), ("--hi", hi)):
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float)) or not v > 0
                              or not math.isfinite(v)):
            raise InvalidArgument(f"claim {claim.id}: {nm} {v!r} for {name!r}; pass a positive finite number")
    if p0 <= 0 and (lo is None or hi is None):
        raise InvalidArgument(f"claim {claim.id}: param {name!r} is {p0!r}; a log-grid search needs a positive "
                              "start, so pass both --lo and --hi")
    if lo is not None and hi is not None and lo >= hi:
        raise InvalidArgument(f"claim {claim.id}: --lo {lo!r} is not below --hi {hi!r}")
    return p0


def declared(claim, name: str | None = None) -> dict | None:
    """The claim's declared tighten spec for `name` (the first one when `name` is None), or None. Only specs at
    the claim's current params (``params=`` overrides equal to them) fill in `tighten`'s defaults."""
    for spec in getattr(claim, "tighten", ()) or ():
        at = spec.get("params") or {}
        if (name is None or spec["param"] == name) and all(claim.params.get(k) == v for k, v in at.items()):
            return spec
    return None


def tighten_for_record(claim, profile="certify", seed: int = 0, progress=None) -> dict | None:
    """Run every tighten search the claim declares, at the profile's tighten budget, for the run's report.

    Returns None when the claim declares none; else the first declared search's `TightenResult.as_record()`
    (plus ``"at"``: the other params it fixed, ``{}`` for none), with the other declared searches' records under
    ``"more"`` (a list, empty for one search). Plain data,
    JSON-safe. A search that raises is reported as ``stopped="undecided"`` with the message in ``text``, never
    raised. `tighten_records` gives the same results as a flat list (the report's ``tighten`` field)."""
    from .claim import get_claim
    from .profiles import get_profile

    if isinstance(claim, str):
        claim = get_claim(claim)
    specs = list(getattr(claim, "tighten", ()) or ())
    if not specs or claim.is_mutant:
        return None
    prof = get_profile(profile)
    step_prof = prof.with_budget(examples=prof.tighten_examples, seconds=prof.tighten_seconds)
    step_prof = replace(step_prof, name=prof.name, mutant_examples=0)
    out = []
    for spec in specs:
        at = dict(spec.get("params") or {})
        try:
            r = tighten(claim.with_params(at) if at else claim, spec["param"], lo=spec["lo"], hi=spec["hi"],
                        profile=step_prof, seed=seed, direction=spec["direction"],
                        steps=min(spec["steps"], prof.tighten_steps), max_doublings=6, progress=progress)
            out.append({**r.as_record(), "at": at})
        except Exception as exc:  # noqa: BLE001 - a failed tightening never loses the claim's verdict
            out.append({"claim": claim.id, "param": spec["param"], "direction": spec["direction"],
                        "paper_value": claim.params.get(spec["param"]), "safe": None,
                        f"{spec['direction']}_safe": None, "ruled_out": None, "counterexample": None, "steps": [],
                        "stopped": "undecided", "profile": prof.name, "seed": int(seed),
                        "text": f"{spec['param']}: tightening failed: {type(exc).__name__}: {exc}"[:300], "at": at})
    return {**out[0], "more": out[1:]}


def tighten_records(claim, profile="certify", seed: int = 0, progress=None) -> list | None:
    """`tighten_for_record` as the flat list the report's ``tighten`` field holds (one record per declared
    search), or None when the claim declares none."""
    r = tighten_for_record(claim, profile, seed, progress)
    if r is None:
        return None
    more = r.pop("more")
    return [r, *more]


def tighten(claim, name: str, *, lo: float | None = None, hi: float | None = None, profile="ci", seed: int = 0,
            direction: str | None = None, steps: int = 6, max_doublings: int = 10,
            progress: Callable[[dict], None] | None = None) -> TightenResult:
    """Find the smallest (or largest) value of the param `name` at which the claim's search finds no violation.

    Parameters
    ----------
    claim:
        A `Claim` (or its id).
    name:
        The numeric param to move; the claim's current value is the paper's value and the search starts there.
    lo, hi:
        Limits of the search (default: the start value divided or multiplied by ``2**max_doublings``).
    direction:
        ``"smallest"`` when larger values are safer (a constant in front of a bound, a sample size);
        ``"largest"`` when smaller ones are (a step size, an admissible error). Default: the claim's
        declared direction for this param (``tighten=`` on the claim), else ``"smallest"``; the declared
        ``lo``/``hi`` likewise fill in limits not given.
    steps:
        Bisections after the edge is bracketed; the bracket then spans a factor ``2**(1/2**steps)``.
    progress:
        Called with each step's record ``{"value", "status", "worst_margin"}`` as it finishes.
    """
    from .claim import get_claim
    from .profiles import get_profile
    from .search import run_claim

    if isinstance(claim, str):
        claim = get_claim(claim)
    spec = declared(claim, name) or {}
    direction = direction or spec.get("direction") or "smallest"
    if lo is None and hi is None:
        lo, hi = spec.get("lo"), spec.get("hi")
    p0 = _check_args(claim, name, lo, hi, direction, steps)
    prof = get_profile(profile)
    is_int = isinstance(p0, int)
    start = p0 if p0 > 0 else math.sqrt(lo * hi)
    lo = lo if lo is not None else start / 2.0 ** max_doublings
    hi = hi if hi is not None else start * 2.0 ** max_doublings
    if is_int:
        lo, hi = max(1, math.ceil(lo)), max(1, math.floor(hi))
    res = TightenResult(claim=claim.id, param=name, direction=direction, paper_value=p0, profile=prof.name,
                        seed=int(seed))
    tried: dict = {}

    def run(value):
        value = int(round(value)) if is_int else float(value)
        if value in tried:
            return tried[value]
        v = run_claim(claim.with_params({name: value}), prof, seed, with_mutants=False, with_baselines=False)
        worst = v.worst.outcome.get("margin") if getattr(v, "worst", None) is not None else None
        step = {"value": value, "status": v.status, "worst_margin": worst, "examples": v.examples}
        res.steps.append(step)
        if progress:
            progress(step)
        tried[value] = v
        return v

    def note_unsafe(value, v):
        ex = getattr(v, "minimal", None) or getattr(v, "counterexample", None)
        res.ruled_out = value
        res.counterexample = None if ex is None else {
            k: ex.outcome.get(k) for k in ("margin", "ratio", "lhs", "rhs", "relation", "label")}

    # "safer" moves up for `smallest`; mirror the grid for `largest`
    up = (lambda x: x * 2.0) if direction == "smallest" else (lambda x: x / 2.0)
    down = (lambda x: x / 2.0) if direction == "smallest" else (lambda x: x * 2.0)

    def inside(x):
        return lo <= x <= hi

    def clamp(x):
        return min(max(x, lo), hi)

    x = clamp(start)
    v = run(x)
    if v.status not in ("refuted", "survived"):
        res.stopped = "undecided"
        return res
    safe_x = unsafe_x = None
    if v.status == "survived":
        safe_x = x
        while True:
            nx = clamp(down(x))
            if nx == x or not inside(nx):
                res.stopped = "no_violation"
                res.safe = safe_x
                return res
            x = nx
            v = run(x)
            if v.status == "survived":
                safe_x = x
                continue
            if v.status != "refuted":
                res.stopped, res.safe = "undecided", safe_x
                return res
            unsafe_x = x
            note_unsafe(x, v)
            break
    else:
        unsafe_x = x
        note_unsafe(x, v)
        while True:
            nx = clamp(up(x))
            if nx == x or not inside(nx):
                res.stopped = "no_safe_value"
                return res
            x = nx
            v = run(x)
            if v.status == "refuted":
                unsafe_x = x
                note_unsafe(x, v)
                continue
            if v.status != "survived":
                res.stopped = "undecided"
                return res
            safe_x = x
            break

    for _ in range(steps):
        mid = math.sqrt(safe_x * unsafe_x)
        if is_int:
            mid = round(mid)
            if mid in (safe_x, unsafe_x):
                break
        v = run(mid)
        if v.status == "survived":
            safe_x = mid
        elif v.status == "refuted":
            unsafe_x = mid
            note_unsafe(mid, v)
        else:
            res.stopped = "undecided"
            break
    res.safe = int(safe_x) if is_int else safe_x
    return res

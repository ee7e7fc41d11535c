"""Claim records, the `@claim` decorator and mutants (the registry and discovery live in `certify.registry`).

A claim is a function ``f(ctx, **inputs, **params)`` returning a margin (see `certify.outcome`), with
metadata: a stable id, its source and statement, a provenance tag, Hypothesis strategies for its inputs,
an `assume` predicate (the paper's hypotheses), named params (the paper's constants), an expectation,
and optional baselines and mutants.

Kinds:

* ``bound`` (default) -- one instance, one margin.
* ``probability`` -- the function also takes ``rng`` (a numpy Generator) and returns the margin of ONE
  trial; the verdict compares the failure rate over `trials` trials with `delta`
  (Clopper-Pearson, see `certify.search`). A param named ``delta`` overrides the decorator's delta.
* ``scaling`` -- the function takes ``rng`` and the sweep variable(s) given by ``sweep={name: [values]}``
  and returns a positive measurement (seconds, flops, iterations); the exponent of
  ``fit`` ("loglog": log q vs log x, "semilogx": q vs log x, "linear": q vs x) is reported with a
  confidence interval beside ``expected_exponent``; with ``exponent_bound`` it is also tested.

Scalar evidence (``evidence={"name": {"x": 0.1, "y": 0.02}}``) accumulates into a scatter plot over the
examples; list evidence (``{"x": [...], "y": [...]}``) is a curve, kept for the worst instance (``y`` may
also be a dict of named curves). Optional keys: ``xlabel``, ``ylabel``, ``logx``, ``logy``, ``title``,
``series`` (the legend name of this series) and ``plot`` (the plot it belongs to, default the key), so
several evidence keys can share one plot: ``{"err_trivial": {"x": r, "y": e0, "plot": "error vs r",
"series": "trivial"}, "err_sampled": {..., "plot": "error vs r", "series": "sampled"}}``.
"""

from __future__ import annotations

import functools
import inspect
import re
from dataclasses import dataclass, field, replace
from typing import Callable

from .errors import InvalidArgument
from .registry import (  # noqa: F401  (re-exported: certify.claim is their historical home)
    discover,
    get_claim,
    import_claim_home,
    load_path,
    register,
    registry,
    select,
)


@functools.cache
def _outcome():
    """certify.outcome, imported on first use (importing certify stays light) and then read without the import
    machinery, which costs a microsecond per call on the search's hot path."""
    from . import outcome

    return outcome


__all__ = [
    "Claim", "Mutant", "claim", "scale", "replace_params", "drop_assumption", "mutant",
    "registry", "get_claim", "select", "discover", "load_path", "TAGS", "KINDS",
]

TAGS = ("ABSTRACT", "DERIVED", "RECONSTRUCTED", "USER")
KINDS = ("bound", "probability", "scaling")
EXPECTS = ("holds", "refuted", "inconclusive", None)
_ID_RE = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)+$")
_FITS = ("loglog", "semilogx", "linear")


@dataclass(frozen=True)
class Mutant:
    """A deliberately wrong variant of a claim: the search must refute it (it shows the search has teeth)."""

    name: str
    params: dict = field(default_factory=dict)
    scale: dict = field(default_factory=dict)
    drop_assume: bool = False
    transform: Callable | None = None

    def apply(self, claim: Claim) -> Claim:
        params = dict(claim.params)
        for k, v in self.params.items():
            params[k] = v
        for k, f in self.scale.items():
            params[k] = params[k] * f
        fn = claim.fn
        if self.transform is not None:
            fn = self.transform(claim.fn)
        return replace(
            claim,
            id=f"{claim.id}~{self.name}",
            params=params,
            assume=None if self.drop_assume else claim.assume,
            fn=fn,
            expect="refuted",
            mutants=(),
            baselines={},
            is_mutant=True,
        )


def scale(param: str, factor: float) -> Mutant:
    """Mutant multiplying a named param by `factor` (e.g. halve a constant of an upper bound)."""
    if not isinstance(param, str):
        raise InvalidArgument(f"certify.scale: bad param={param!r}; pass the name of a claim parameter")
    return Mutant(name=f"scale({param},{factor:g})", scale={param: factor})


def replace_params(**params) -> Mutant:
    """Mutant overriding params with wrong values (e.g. a flipped sign or a dropped factor)."""
    if not params:
        raise InvalidArgument("certify.replace: no params given; pass NAME=VALUE pairs")
    desc = ",".join(f"{k}={v!r}" for k, v in sorted(params.items()))
    return Mutant(name=f"replace({desc})", params=params)


def drop_assumption() -> Mutant:
    """Mutant without the `assume` predicate: the statement outside the paper's hypotheses."""
    return Mutant(name="drop_assumption", drop_assume=True)


def mutant(name: str, transform: Callable) -> Mutant:
    """Custom mutant: `transform(fn) -> fn'` wraps the claim function."""
    return Mutant(name=name, transform=transform)


@dataclass(frozen=True)
class Claim:
    id: str
    fn: Callable
    source: str = ""
    statement: str = ""
    tag: str = "USER"
    inputs: dict = field(default_factory=dict)
    assume: Callable | None = None
    params: dict = field(default_factory=dict)
    expect: str | None = "holds"
    kind: str = "bound"
    delta: float | None = None
    trials: int | None = None
    sweep: dict = field(default_factory=dict)
    fit: str = "loglog"
    expected_exponent: float | None = None
    exponent_bound: float | None = None
    repeats: int = 3
    baselines: dict = field(default_factory=dict)
    mutants: tuple = ()
    dps: int = 50
    module: str = ""
    path: str = ""
    title: str = ""
    notes: str = ""
    is_mutant: bool = False
    no_mutant_reason: str = ""
    tighten: tuple = ()

    # -- derived facts ------------------------------------------------------------------
    @property
    def verdict_delta(self) -> float | None:
        """The delta a probability verdict is judged against: the claim's param `delta` when it has one (so
        `--param ID:delta=0.01` moves the procedure and the verdict together), else the decorator's."""
        p = self.params.get("delta")
        if self.kind == "probability" and isinstance(p, (int, float)) and not isinstance(p, bool) and 0 < p < 1:
            return float(p)
        return self.delta

    # Signatures are read once per claim record, not on every evaluation (call/check_assume are the hot path).
    @functools.cached_property
    def _fn_params(self):
        return inspect.signature(self.fn).parameters

    @functools.cached_property
    def _assume_params(self):
        return inspect.signature(self.assume).parameters if self.assume is not None else {}

    @functools.cached_property
    def _wants(self) -> tuple[bool, bool]:
        """(pass ctx, pass rng) to the claim's own function; a scaling claim always gets its rng."""
        return "ctx" in self._fn_params, "rng" in self._fn_params or self.kind == "scaling"

    @property
    def takes_ctx(self) -> bool:
        return "ctx" in self._fn_params

    @property
    def takes_rng(self) -> bool:
        return "rng" in self._fn_params

    @property
    def paper(self) -> str:
        return self.id.split(".", 1)[0].split("~")[0]

    def with_params(self, overrides: dict) -> Claim:
        unknown = sorted(set(overrides) - set(self.params))
        if unknown:
            raise InvalidArgument(
                f"claim {self.id}: unknown param {unknown[0]!r}; its params are "
                f"{sorted(self.params) or 'none'}"
            )
        params = dict(self.params)
        for k, v in overrides.items():
            params[k] = _coerce_like(self.id, k, v, self.params[k])
        return replace(self, params=params)

    def call(self, ctx, instance: dict, rng=None, params: dict | None = None):
        """The raw call on an instance already in `ctx`'s arithmetic (returns what the function returns).
        Prefer `evaluate`; this stays for `certify.confirm`, which converts the instance itself."""
        kwargs = dict(instance)
        kwargs.update(self.params if params is None else params)
        if self.takes_ctx:
            kwargs["ctx"] = ctx
        if self.takes_rng:
            kwargs["rng"] = rng
        return self.fn(**kwargs)

    def evaluate(self, ctx, instance: dict, *, rng=None, params: dict | None = None, fn: Callable | None = None,
                 converted: bool = False):
        """The one way to evaluate a claim: convert `instance` into `ctx`'s arithmetic, call the function
        with the instance, the params (`params` replaces the claim's own), `ctx` and `rng` (a numpy
        Generator or None) where its signature takes them, and return the `Outcome`::

            o = claim.evaluate(certify.fp, {"u": u, "v": v})
            o.violated, o.rel_margin

        `fn` evaluates another function on the claim's inputs and params (a baseline): only the arguments in
        its signature are passed. With ``ctx=None`` the instance is passed as is (scaling claims: the
        instance is ``{sweep variable: value}``) and the function's return value is returned unchanged
        (the measurement). ``converted=True`` says `instance` is already in `ctx`'s numbers (the search's float64
        path converts while it copies)."""
        if fn is None and ctx is not None:
            # the search's hot path (a few microseconds around a body of ten): the claim's own function in a
            # context, with what its signature takes read once per record
            kwargs = {**(self.params if params is None else params),
                      **(instance if converted else ctx.convert(instance))}
            wants_ctx, wants_rng = self._wants
            if wants_ctx:
                kwargs["ctx"] = ctx
            if wants_rng:
                kwargs["rng"] = rng
            out = self.fn(**kwargs)
            return out if type(out) is _outcome().Outcome else _outcome().as_outcome(out)
        target = self.fn if fn is None else fn
        sig = self._fn_params if fn is None else _signature(fn)
        inst = ctx.convert(instance) if ctx is not None else instance
        kwargs = {**(self.params if params is None else params), **inst}
        if "ctx" in sig and ctx is not None:
            kwargs["ctx"] = ctx
        if "rng" in sig or (fn is None and self.kind == "scaling"):  # a mutant's wrapper may hide it
            kwargs["rng"] = rng
        if fn is not None and not any(p.kind == p.VAR_KEYWORD for p in sig.values()):
            kwargs = {k: v for k, v in kwargs.items() if k in sig}
        out = target(**kwargs)
        return out if ctx is None else _outcome().as_outcome(out)

    def check_assume(self, instance: dict) -> bool:
        if self.assume is None:
            return True
        names = self._assume_params
        if any(p.kind == p.VAR_KEYWORD for p in names.values()):
            return bool(self.assume(**instance, **self.params))
        merged = {**self.params, **instance}
        return bool(self.assume(**{k: merged[k] for k in names if k in merged}))

    def summary(self) -> dict:
        return {
            "id": self.id, "source": self.source, "statement": self.statement, "tag": self.tag,
            "kind": self.kind, "params": _jsonable(self.params), "expected": self.expect,
            "module": self.module, "path": self.path, "title": self.title,
            "mutants": [m.name for m in self.mutants], "baselines": sorted(self.baselines),
            "fast_only": not self.takes_ctx and self.kind != "scaling",
        }


@functools.lru_cache(maxsize=256)
def _signature(fn):
    return inspect.signature(fn).parameters


def _coerce_like(cid, name, value, default):
    """`--param` values arrive as strings: parse them like the default."""
    if not isinstance(value, str) or isinstance(default, str):
        return value
    try:
        if isinstance(default, bool):
            if value.lower() in ("1", "true", "yes"):
                return True
            if value.lower() in ("0", "false", "no"):
                return False
            raise ValueError
        if isinstance(default, int):
            return int(value)
        if isinstance(default, float) or default is None:
            return float(value)
    except ValueError:
        raise InvalidArgument(
            f"claim {cid}: bad value {value!r} for param {name!r} (default {default!r}); "
            f"pass a {type(default).__name__}"
        ) from None
    return value


def _jsonable(params: dict) -> dict:
    out = {}
    for k, v in params.items():
        if isinstance(v, (int, float, str, bool)) or v is None:
            out[k] = v
        elif isinstance(v, (list, tuple)) and all(isinstance(x, (int, float, str, bool)) for x in v):
            out[k] = list(v)
        else:
            out[k] = repr(v)
    return out

def claim(
    *,
    id: str,
    source: str = "",
    statement: str = "",
    tag: str = "USER",
    inputs: dict | None = None,
    assume: Callable | None = None,
    params: dict | None = None,
    expect: str | None = "holds",
    kind: str = "bound",
    delta: float | None = None,
    trials: int | None = None,
    sweep: dict | None = None,
    fit: str = "loglog",
    expected_exponent: float | None = None,
    exponent_bound: float | None = None,
    repeats: int = 3,
    baselines: dict | None = None,
    mutants: list | tuple = (),
    dps: int = 50,
    title: str = "",
    notes: str = "",
    no_mutant_reason: str = "",
    tighten: dict | list | tuple | None = None,
):
    """Register a function as a claim: a paper's statement as an executable property.

    The decorated function takes ``ctx`` (the arithmetic: `certify.fp`, `certify.mp(dps)` or
    `certify.ball(prec)`; omit it for a fast-only claim that cannot be confirmed), one argument per input
    and per param, and ``rng`` for probability and scaling claims; it returns `le` / `ge` / `close` /
    `all_of` (bound and probability claims) or a positive measurement (scaling claims). It is registered
    under ``id`` and returned unchanged.

    Identity and provenance:

    * ``id`` -- ``"<paper>.<snake_name>"``, lowercase, unique forever (a second definition under one id is a
      `DuplicateClaim`); the prefix groups claims by paper in the report.
    * ``source`` -- where the statement comes from: an arXiv id and theorem number, or "derived".
    * ``statement`` -- the statement in words and formulas, as the report shows it.
    * ``tag`` -- "DERIVED" (proved from the paper; must survive), "ABSTRACT" (stated in the abstract),
      "RECONSTRUCTED" (a statement rebuilt where the paper is unclear), "USER" (default).
    * ``title``, ``notes`` -- a display name (default the function's name) and free text for the report.

    What is searched:

    * ``inputs`` -- ``{name: Hypothesis strategy}``; use `certify.strategies` builders so that refinement
      can move the values (a plain Hypothesis strategy is searched but not refined).
    * ``assume`` -- the paper's hypotheses, a predicate over (a subset of) the inputs and params by name;
      instances where it is false are discarded (and counted: too many discards is "inconclusive").
    * ``params`` -- the paper's constants, by name; passed to the function and to ``assume``. They are what
      ``--param ID:NAME=VALUE`` and the mutants change; a name may not be both an input and a param.
    * ``expect`` -- "holds" (default), "refuted" (a claim known to be false, e.g. a demo), "inconclusive"
      (a search known not to decide, said out loud) or None (survived or refuted are both fine); a run exits
      1 when a verdict contradicts it, and an ``inconclusive`` or ``error`` verdict contradicts every
      expectation but "inconclusive" (``--allow-inconclusive`` lets inconclusive pass).
    * ``dps`` -- decimal digits of the mpmath confirmation (the second evaluation uses 2 * dps; both are
      widened by the exponent range of the instance).

    Kinds (``kind``):

    * "bound" (default) -- one instance, one margin.
    * "probability" -- the function takes ``rng`` and returns ONE trial's outcome; the verdict compares the
      failure rate over ``trials`` trials (default: the profile's) with ``delta`` (required, in (0, 1)) by a
      Clopper-Pearson bound. A param named ``delta`` overrides the decorator's, so ``--param`` moves the
      procedure and the verdict together.
    * "scaling" -- the function takes ``rng`` and the one variable of ``sweep={name: [values]}`` (at least 3
      values) and returns a positive measurement; ``repeats`` runs per value (median), fitted with ``fit``
      ("loglog", "semilogx", "linear"). ``expected_exponent`` is the paper's exponent (reported beside
      the fitted one); ``exponent_bound`` makes it a test: refuted when the 95% interval lies above it.

    Teeth and comparisons:

    * ``mutants`` -- deliberately wrong variants the search must refute: `certify.scale` (a param times a
      factor), `certify.replace` (params with wrong values), `certify.drop_assumption`, `certify.mutant`
      (a custom transform). Every param they name must exist.
    * ``no_mutant_reason`` -- why a claim has no mutant (e.g. a scaling claim with no stated exponent);
      the catalogue tests require a mutant or this reason.
    * ``baselines`` -- ``{name: dict of params or callable}``: a trivial or exact solution evaluated on the
      instances the search kept, to show whether the bound is informative.
    * ``tighten`` -- the constant(s) whose smallest (or largest) safe value the catalogue asks for:
      ``dict(param="C_w", direction="smallest", lo=..., hi=...)`` or a list of such dicts; optional
      ``params={...}`` fixes other params for that search (e.g. the smallest C_w at b_bound = 10); `certify
      tighten` and the `certify`-profile run search them (`certify.tighten.tighten_for_record`).

    Example::

        import certify
        from certify import strategies as cst

        @certify.claim(id="demo2024.softmax_lipschitz", source="derived", tag="DERIVED",
                       statement="||softmax(u) - softmax(v)||_inf <= C ||u - v||_inf",
                       inputs=dict(u=cst.vectors(n=4, bound=5.0), v=cst.vectors(n=4, bound=5.0)),
                       params=dict(C=0.5), mutants=[certify.scale("C", 0.25)])
        def softmax_lipschitz(ctx, u, v, C):
            lhs = ctx.norm(ctx.softmax(u) - ctx.softmax(v), ctx.inf)
            return certify.le(lhs, C * ctx.norm(u - v, ctx.inf))

    Every argument is validated now, at import time; a bad one raises `InvalidArgument` naming the claim,
    the argument, the bad value and the fix.
    """
    where = f"@certify.claim(id={id!r})"
    if not isinstance(id, str) or not _ID_RE.match(id):
        raise InvalidArgument(
            f"{where}: bad id; use lowercase '<paper>.<snake_name>' (letters, digits, _ and dots), "
            "e.g. 'demo2024.softmax_lipschitz'"
        )
    if tag not in TAGS:
        raise InvalidArgument(f"{where}: bad tag={tag!r}; use one of {', '.join(TAGS)}")
    if kind not in KINDS:
        raise InvalidArgument(f"{where}: bad kind={kind!r}; use one of {', '.join(KINDS)}")
    if expect not in EXPECTS:
        raise InvalidArgument(f"{where}: bad expect={expect!r}; use 'holds', 'refuted', 'inconclusive' or None (no "
                              "expectation)")
    inputs = dict(inputs or {})
    params = dict(params or {})
    from hypothesis.strategies import SearchStrategy

    for name, strat in inputs.items():
        if not isinstance(strat, SearchStrategy):
            raise InvalidArgument(
                f"{where}: input {name!r} is {type(strat).__name__}, not a Hypothesis strategy; "
                "wrap constants in hypothesis.strategies.just(...)"
            )
        if type(getattr(strat, "wrapped_strategy", strat)).__name__ == "DataStrategy":
            # its draws happen inside the body, bound to one Hypothesis run: the instance cannot be saved,
            # re-evaluated in high precision or replayed
            raise InvalidArgument(
                f"{where}: input {name!r} is st.data(), whose draws happen inside the body and cannot be saved, "
                "confirmed in high precision or replayed; draw the values with a strategy instead "
                "(@st.composite, st.tuples, st.flatmap)"
            )
    clash = sorted(set(inputs) & set(params))
    if clash:
        raise InvalidArgument(f"{where}: {clash[0]!r} is both an input and a param; rename one")
    if assume is not None and not callable(assume):
        raise InvalidArgument(f"{where}: assume must be a callable predicate, got {assume!r}")
    if kind == "probability":
        if delta is None or not (0 < delta < 1):
            raise InvalidArgument(f"{where}: kind='probability' needs delta in (0, 1), got {delta!r}")
        if trials is not None and (not isinstance(trials, int) or trials < 1):
            raise InvalidArgument(f"{where}: trials must be a positive int, got {trials!r}")
    if kind == "scaling":
        if not sweep or not isinstance(sweep, dict):
            raise InvalidArgument(f"{where}: kind='scaling' needs sweep={{name: [values], ...}}")
        for values in sweep.values():
            if len(values) < 3:
                raise InvalidArgument(f"{where}: sweep needs at least 3 values to fit an exponent, got {values!r}")
        if fit not in _FITS:
            raise InvalidArgument(f"{where}: bad fit={fit!r}; use one of {', '.join(_FITS)}")
    for m in mutants:
        if not isinstance(m, Mutant):
            raise InvalidArgument(f"{where}: mutants must be certify.scale/replace/drop_assumption/mutant, got {m!r}")
        for p in list(m.params) + list(m.scale):
            if p not in params:
                raise InvalidArgument(f"{where}: mutant {m.name} names unknown param {p!r}; params are {sorted(params)}")
    if not isinstance(no_mutant_reason, str):
        raise InvalidArgument(f"{where}: no_mutant_reason must be a string, got {no_mutant_reason!r}")
    for name, b in (baselines or {}).items():
        if not (callable(b) or isinstance(b, dict)):
            raise InvalidArgument(f"{where}: baseline {name!r} must be a callable or a dict of params")

    tighten_specs = _tighten_specs(where, tighten, params)

    def decorate(fn):
        sig = inspect.signature(fn).parameters
        has_var_kw = any(p.kind == p.VAR_KEYWORD for p in sig.values())
        needed = set(inputs) | set(params) | (set(sweep or {}) if kind == "scaling" else set())
        missing = sorted(n for n in needed if n not in sig and not has_var_kw)
        if missing:
            raise InvalidArgument(f"{where}: function {fn.__name__} lacks argument {missing[0]!r}")
        if kind in ("probability", "scaling") and "rng" not in sig:
            raise InvalidArgument(f"{where}: kind={kind!r} functions take an 'rng' argument")
        # an argument certify would never pass (`context` for ctx, a misspelt input) failed only at run time, as if
        # the claim raised on the first instance
        unknown = [n for n, p in sig.items() if p.default is p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
                   and n not in needed and n not in ("ctx", "rng")]
        if unknown:
            raise InvalidArgument(f"{where}: function {fn.__name__} takes argument {unknown[0]!r}, which is not an "
                                  f"input, a param, 'ctx' or 'rng'; name the context argument 'ctx' (inputs: "
                                  f"{sorted(inputs) or 'none'}, params: {sorted(params) or 'none'})")
        module = getattr(fn, "__module__", "")
        path = ""
        try:
            path = inspect.getsourcefile(fn) or ""
        except TypeError:
            pass
        rec = Claim(
            id=id, fn=fn, source=source, statement=statement, tag=tag, inputs=inputs, assume=assume,
            params=params, expect=expect, kind=kind, delta=delta, trials=trials, sweep=dict(sweep or {}),
            fit=fit, expected_exponent=expected_exponent, exponent_bound=exponent_bound, repeats=repeats,
            baselines=dict(baselines or {}), mutants=tuple(mutants), dps=dps, module=module, path=path,
            title=title or fn.__name__, notes=notes, no_mutant_reason=no_mutant_reason,
            tighten=tighten_specs,
        )
        register(rec)
        fn.__certify_claim__ = rec
        return fn

    return decorate


def _tighten_specs(where, tighten, params) -> tuple:
    """Validate the ``tighten=`` option: one dict or a list of dicts naming a numeric param."""
    if tighten is None:
        return ()
    specs = [tighten] if isinstance(tighten, dict) else list(tighten)
    out = []
    for spec in specs:
        if not isinstance(spec, dict) or "param" not in spec:
            raise InvalidArgument(f"{where}: tighten must be dict(param=NAME, direction=..., lo=..., hi=...), "
                                  f"got {spec!r}")
        unknown = sorted(set(spec) - {"param", "direction", "lo", "hi", "steps", "params"})
        if unknown:
            raise InvalidArgument(f"{where}: tighten has unknown key {unknown[0]!r}; use param, direction, lo, hi, "
                                  "steps, params")
        at = dict(spec.get("params") or {})
        bad = sorted(set(at) - set(params))
        if bad:
            raise InvalidArgument(f"{where}: tighten params names unknown param {bad[0]!r}; params are {sorted(params)}")
        name = spec["param"]
        v = params.get(name)
        if name not in params or isinstance(v, bool) or not isinstance(v, (int, float)):
            raise InvalidArgument(f"{where}: tighten names param {name!r}, which is not a numeric param of the "
                                  f"claim ({sorted(params)})")
        direction = spec.get("direction", "smallest")
        if direction not in ("smallest", "largest"):
            raise InvalidArgument(f"{where}: tighten direction {direction!r}; use 'smallest' or 'largest'")
        lo, hi = spec.get("lo"), spec.get("hi")
        for nm, b in (("lo", lo), ("hi", hi)):
            if b is not None and (isinstance(b, bool) or not isinstance(b, (int, float)) or not b > 0):
                raise InvalidArgument(f"{where}: tighten {nm}={b!r} for {name!r}; pass a positive number")
        if lo is not None and hi is not None and not lo < hi:
            raise InvalidArgument(f"{where}: tighten lo={lo!r} is not below hi={hi!r}")
        out.append({"param": name, "direction": direction, "lo": lo, "hi": hi, "steps": int(spec.get("steps", 4)),
                    "params": at})
    return tuple(out)

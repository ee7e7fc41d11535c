"""certify: turn the claims of theoretical papers on attention into executable properties, search for
counterexamples, confirm them in high precision, measure how tight each claim is, and report.

The public API is re-exported here; importing `certify` stays light (numba, mpmath and Hypothesis load
only when used).

    import certify
    from certify import strategies as cst

    @certify.claim(id="demo2024.softmax_lipschitz", source="...", statement="...", tag="USER",
                   inputs=dict(u=cst.vectors(n=4, bound=5.0), v=cst.vectors(n=4, bound=5.0)),
                   params=dict(C=0.5))
    def softmax_lipschitz(ctx, u, v, C):
        lhs = ctx.norm(ctx.softmax(u) - ctx.softmax(v), ctx.inf)
        return certify.le(lhs, C * ctx.norm(u - v, ctx.inf))

    certify.check("demo2024.softmax_lipschitz", profile="ci")
"""

from __future__ import annotations

import importlib
import os
from typing import TYPE_CHECKING

# `certify.claim` is both a submodule and the decorator: import the (light, stdlib-only) module now and
# bind the decorator over the submodule attribute, so `certify.claim(...)` is always the decorator.
from .claim import claim  # noqa: E402
from .errors import CertifyError, DuplicateClaim, InvalidArgument, ReferenceUnavailable, UnknownClaim  # noqa: F401

# Same for `certify.registry`: the submodule is imported by `certify.claim`; bind the function over it.
from .registry import registry  # noqa: E402, F401, I001

__version__ = "0.1.0"

_LAZY = {
    "scale": ("certify.claim", "scale"),
    "replace": ("certify.claim", "replace_params"),
    "drop_assumption": ("certify.claim", "drop_assumption"),
    "mutant": ("certify.claim", "mutant"),
    "Claim": ("certify.claim", "Claim"),
    "get_claim": ("certify.claim", "get_claim"),
    "discover": ("certify.claim", "discover"),
    "le": ("certify.outcome", "le"),
    "ge": ("certify.outcome", "ge"),
    "close": ("certify.outcome", "close"),
    "all_of": ("certify.outcome", "all_of"),
    "Outcome": ("certify.outcome", "Outcome"),
    "fp": ("certify.context", "fp"),
    "mp": ("certify.context", "mp"),
    "ball": ("certify.context", "ball"),
    "Verdict": ("certify.verdict", "Verdict"),
    "clopper_pearson": ("certify.search", "clopper_pearson"),
    "PROFILES": ("certify.profiles", "PROFILES"),
    "strategies": ("certify.strategies", None),
}

__all__ = sorted([*_LAZY, "claim", "registry", "check", "CertifyError", "InvalidArgument", "UnknownClaim", "DuplicateClaim",
                  "ReferenceUnavailable", "__version__"])

if TYPE_CHECKING:  # pragma: no cover
    from .claim import claim, drop_assumption, scale  # noqa: F401
    from .context import fp, mp  # noqa: F401
    from .outcome import all_of, close, ge, le  # noqa: F401


def __getattr__(name: str):
    if name in _LAZY:
        module, attr = _LAZY[name]
        mod = importlib.import_module(module)
        value = mod if attr is None else getattr(mod, attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'certify' has no attribute {name!r}")


def check(claim_or_id, profile: str = "ci", seed: int = 0, budget: int | None = None,
          seconds: float | None = None, params: dict | None = None, paths=None):
    """Search one claim and return its `certify.verdict.Verdict` (no report is written).

    * ``claim_or_id`` -- a claim id (the bundled catalogue is discovered on demand) or a function decorated
      with `certify.claim`.
    * ``profile`` -- "smoke", "ci" (default) or "certify": the budget of examples, refinement, trials,
      mutants and seconds (see `certify.PROFILES`).
    * ``seed`` -- a non-negative int; the same seed and profile give the same verdict, unless the seconds
      cap ends the search (then ``verdict.budget["stopped_by"] == "time"``).
    * ``budget`` -- examples for the main search, overriding the profile's (mutants get at most as many).
    * ``seconds`` -- a wall-clock cap for the search; alone (no ``budget``) it means search until the time
      is spent.
    * ``params`` -- ``{name: value}`` overrides of the claim's params (unknown names are an error).
    * ``paths`` -- module files or folders to load first (a claim defined in your own file, as
      ``certify run FILE``); ``verdict.as_record()`` turns the result into a report record.

    Example::

        v = certify.check("demo2024.softmax_lipschitz", profile="smoke", seed=1)
        v.status, v.as_expected, v.worst.rel, v.mutants
    """
    from .claim import get_claim, load_path
    from .search import run_claim

    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    for p in paths or ():
        load_path(os.fspath(p))
    c = get_claim(claim_or_id)
    if params:
        c = c.with_params(params)
    if budget is not None and (not isinstance(budget, int) or isinstance(budget, bool) or budget < 1):
        raise InvalidArgument(f"certify.check({c.id!r}): bad budget={budget!r}; pass a positive number of examples")
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise InvalidArgument(f"certify.check({c.id!r}): bad seed={seed!r}; pass a non-negative integer")
    if seconds is not None and (not isinstance(seconds, (int, float)) or not seconds > 0):
        raise InvalidArgument(f"certify.check({c.id!r}): bad seconds={seconds!r}; pass a positive number")
    v = run_claim(c, profile, seed, examples=budget, seconds=seconds)
    v.origin = {"claim": c, "seed": seed, "profile": profile}
    return v

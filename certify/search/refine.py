"""Local refinement: after Hypothesis, push the worst instances further, inside the hypotheses.

Contract: `refine(strategies, starts, budget, seed, deadline, evaluate, assume_ok, time_up)` moves the continuous
entries of the refinable inputs (those whose strategy has a membership test, `certify_contains`) of each
start instance; every candidate that stays in the input sets and satisfies `assume_ok` is passed to
`evaluate(candidate) -> relative margin` (which records it and may raise to stop at a counterexample).
`time_up()` is called when `deadline` (perf_counter seconds) passes. Returns the refinement summary
``{"evals", "rejected", "before", "after", "improved"}`` (or ``{"evals": 0, "improved": False, "reason"}``).
Its random moves come from ``default_rng([seed, 7])``: the same seed gives the same refinement.

The moves: the continuous entries form one vector; each step tries a sparse move (1-3 coordinates: reaches
vertices and ties), a dense move, a rare large jump, or a repeat of the last successful move (momentum).
Per-coordinate scales follow the entries' magnitudes; the step adapts by success (1/5th-rule style).
Candidates are pulled back into the set by the strategy's projector when it has one, else rejected.
"""

from __future__ import annotations

import math
import time
from typing import Callable

import numpy as np

from .common import copy_instance

__all__ = ["refinable_inputs", "refine"]


def refinable_inputs(strategies: dict) -> list[str]:
    return [name for name, s in strategies.items() if getattr(s, "certify_contains", None) is not None]


def refine(strategies: dict, starts: list, budget: int, seed: int, deadline: float,
           evaluate: Callable, assume_ok: Callable, time_up: Callable) -> dict:
    names = refinable_inputs(strategies)
    if not names or not starts or budget <= 0:
        return {"evals": 0, "improved": False, "reason": "no refinable inputs" if not names else "no valid instance"}
    from ..strategies import contains, project

    before = starts[0].rank
    rng = np.random.default_rng([seed, 7])
    per_start = max(1, budget // len(starts))
    evals, rejected = 0, 0
    best_overall = before
    for start in starts:
        x, fx = start.instance, start.rank
        z0, rebuild = _flatten_continuous(x, names)
        if z0.size == 0:
            continue
        z = z0.copy()
        scales = _coordinate_scales(x, names)
        step, last = 0.1, None
        spent, attempts = 0, 0
        while spent < per_start and attempts < 4 * per_start:
            attempts += 1
            if time.perf_counter() > deadline:
                time_up()
                break
            delta = _propose(z, scales, step, last, rng)
            cand = rebuild(z + delta)
            for n in names:
                cand[n] = project(strategies[n], cand[n])
            if not all(contains(strategies[n], cand[n]) for n in names) or not assume_ok(cand):
                rejected += 1
                step = max(step * 0.95, 1e-12)
                last = None
                continue
            spent += 1
            evals += 1
            rel = evaluate(cand)
            if rel < fx:
                znew, _ = _flatten_continuous(cand, names)
                last = znew - z
                x, fx, z = cand, rel, znew
                step = min(step * 1.5, 2.0)
            else:
                last = None
                step = max(step * 0.92, 1e-12)
        best_overall = min(best_overall, fx)
    return {"evals": evals, "rejected": rejected, "before": before, "after": best_overall,
            "improved": bool(best_overall < before)}


def _continuous_leaves(value, path=()):
    """(path, leaf) for every float array / float inside an input (nested dicts included)."""
    if isinstance(value, dict):
        for k in value:
            yield from _continuous_leaves(value[k], path + (k,))
    elif isinstance(value, np.ndarray) and value.dtype.kind == "f" and value.size:
        yield path, value
    elif isinstance(value, float) and math.isfinite(value):
        yield path, value


def _flatten_continuous(instance, names):
    leaves = [((n,) + p, leaf) for n in names for p, leaf in _continuous_leaves(instance[n])]
    parts = [np.atleast_1d(np.asarray(leaf, dtype=float)).reshape(-1) for _, leaf in leaves]
    z = np.concatenate(parts) if parts else np.zeros(0)

    def rebuild(znew):
        out = copy_instance(instance)
        i = 0
        for path, leaf in leaves:
            size = np.size(leaf)
            chunk = znew[i:i + size]
            i += size
            new = chunk.reshape(np.shape(leaf)).copy() if isinstance(leaf, np.ndarray) else float(chunk[0])
            target = out
            for key in path[:-1]:
                target = target[key]
            target[path[-1]] = new
        return out

    return z, rebuild


def _coordinate_scales(instance, names):
    scales = []
    for n in names:
        for _, leaf in _continuous_leaves(instance[n]):
            a = np.abs(np.atleast_1d(np.asarray(leaf, dtype=float)).reshape(-1))
            finite = a[np.isfinite(a)]
            rms = float(np.sqrt(np.mean(finite**2))) if finite.size else 1.0
            scales.append(np.where(np.isfinite(a), a, 0.0) + 0.1 * (rms or 1.0))
    return np.concatenate(scales) if scales else np.zeros(0)


def _propose(z, scales, step, last, rng):
    u = rng.uniform()
    if last is not None and u < 0.25:
        return 2.0 * last  # momentum: repeat the successful move, further
    delta = np.zeros_like(z)
    if u < 0.65:
        k = int(rng.integers(1, min(3, z.size) + 1))
        idx = rng.choice(z.size, size=k, replace=False)
        jump = 20.0 if rng.uniform() < 0.15 else 1.0
        delta[idx] = rng.normal(size=k) * step * jump * scales[idx]
    else:
        delta = rng.normal(size=z.size) * step * scales * (rng.uniform(size=z.size) < 0.5)
    return delta

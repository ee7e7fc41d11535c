"""Helpers shared by the theorem modules of the regression papers (not a theorem module: `_` keeps it out of
discovery). Each works in every numeric context."""

from __future__ import annotations

import math

import numpy as np


def unit_roundoff(ctx):
    """The rounding floor the older theorem modules scale their tolerances by: `ctx.eps` (2^-52 in float64,
    10^-dps in mpmath, 2^-prec in ball), bit for bit what this helper computed before contexts offered it.
    Not `ctx.unit_roundoff`: that is eps/2 in float64 and would halve those tolerances. New code writes
    `ctx.eps` (or `ctx.unit_roundoff`, for a true round-to-nearest bound) directly."""
    return ctx.eps


def to_float64(ctx, a):
    """A float64 numpy array of a context value (for decisions taken in float64 and for evidence)."""
    return np.asarray(ctx.to_float(a), dtype=float)


def times_size(power: int = 1, size: str = "n"):
    """A scaling-claim mutant body: the measurement multiplied by size**power (the stated exponent made
    `power` too small), for `certify.mutant(name, times_size(...))`."""
    def wrap(fn):
        def wrapped(**kw):
            return fn(**kw) * kw[size] ** power

        return wrapped

    return wrap


def log_dimension(n, c_d) -> int:
    """d = ceil(c_d ln n), at least 1: the head dimension d = O(log n) of the fast-attention regimes."""
    return max(1, math.ceil(c_d * math.log(n)))


# why a n^(1+o(1)) row (the polynomial method's time) carries no mutant
ONE_PLUS_O1_REASON = ("n^(1+o(1)) has no finite-size exponent to refute (claims README section 7): the o(1) is "
                      "the growth of r = C(d+g, g) with d = O(log n), which dominates at every measurable n; the "
                      "fitted exponent is reported beside 1")


def max_abs(M):
    """max |M_ij| in the array's own numbers (0 for an empty array)."""
    M = np.asarray(M)
    return max(abs(v) for v in M.reshape(-1)) if M.size else 0


def weight_pattern(ctx, n, wscale, seed):
    """Weights wscale * U[0.5, 1.5) from a seed, as context numbers."""
    rng = np.random.default_rng(seed)
    return ctx.asarray(wscale * (0.5 + rng.random(n)))


def central_gradient(ctx, fun, x, h):
    """Central differences of a scalar function, step h, in the context's arithmetic."""
    d = len(x)
    out = ctx.zeros(d)
    for j in range(d):
        e = ctx.zeros(d)
        e[j] = h
        out[j] = (fun(x + e) - fun(x - e)) / (2 * h)
    return out


def central_jacobian(ctx, gfun, x, h):
    """Symmetrised central-difference Jacobian of a gradient (a Hessian estimate), step h."""
    d = len(x)
    H = ctx.zeros((d, d))
    for j in range(d):
        e = ctx.zeros(d)
        e[j] = h
        col = (gfun(x + e) - gfun(x - e)) / (2 * h)
        for i in range(d):
            H[i, j] = col[i]
    return (H + ctx.transpose(H)) / 2

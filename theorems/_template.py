"""<Paper title> (<Authors>), arXiv NNNN.NNNNN -- the fill-in theorem card (prefix ``template``).

HOW TO USE: copy this file to theorems/<author><year>_<topic>.py (a name without a leading underscore, so that
discovery imports it), replace the ``template.`` prefix of every id by the paper's prefix, rewrite this card and
replace the three example claims by the paper's. Keep the six headings below, in this order, each underlined by a
line of dashes at least as long (tests/test_catalogue.py checks them for every module). State every formula you use
in plain-text math (``||x||_2``, ``A^T``, ``sum_i``, ``<u, v>``, ``o`` for the entrywise product); do not cite
equation numbers of a document outside the repository. This file itself is skipped by discovery (its name starts
with ``_``) and registers only ``template.*`` ids when imported explicitly (tests/test_theorem_template.py does).

Setting
-------
The objects and formulas the claims use, with shapes. Here: u, v in R^n; softmax(u) = exp(u - max u) /
sum_k exp(u_k - max u) (the same as exp(u) / <exp(u), 1_n>, stabilised); its Jacobian J(f) = diag(f) - f f^T,
symmetric PSD with ||J||_2 <= 1/2; a in R^n and Rademacher signs s in {-1, +1}^n; the trapezoid rule
T_n(g) = h (g(0)/2 + g(h) + ... + g(1 - h) + g(1)/2), h = 1/n, for g = exp on [0, 1].

Procedure
---------
What is computed and where (kernels, reference twins, solvers, strategies). Here: softmax by the context's
elementwise vocabulary (``ctx.exp``, ``ctx.max``, ``ctx.sum``), so the same body runs in float64 and, on
confirmation, in mpmath; the signs are drawn from the trial's ``rng``; the trapezoid rule in float64 numpy.

Claims
------
One line per claim: id (TAG, kind), the statement as a formula, the constants as named params.
* template.softmax_lipschitz (DERIVED, bound): ||softmax(u) - softmax(v)||_2 <= C ||u - v||_2, C = 1/2 (the mean
  value theorem with ||J|| <= 1/2).
* template.rademacher_sum (DERIVED, kind=probability): |sum_i s_i a_i| <= c sqrt(2 ln(2/delta)) ||a||_2 with
  probability >= 1 - delta (Hoeffding; c = 1, delta = 0.1).
* template.trapezoid_rate (DERIVED, kind=scaling): |T_n(exp) - (e - 1)| = O(n^-2): fitted exponent in n at most
  -1.9 (expected -2).

Hypotheses
----------
The instance families searched and the paper's hypotheses as encoded (``assume=``), with their ranges. Here:
u, v (the rows of a 2 x n matrix) with n in [1, 8] and entries in [-5, 5]; a with n in [1, 16], entries in
[-10, 10], a != 0; n in {8, 16, 32, 64, 128} for the rate.

Source
------
arXiv NNNN.NNNNN (version, date), where each statement comes from (theorem number, abstract, or derived);
say which statements are RECONSTRUCTED. Here: all three are derived (textbook facts) and serve as examples.

Deviations
----------
Every honest choice that departs from the paper or from the catalogue row, one bullet each: sizes kept small
for the budget, an extra numerical hypothesis and why it is needed, a constant the paper leaves open and the
value chosen, a row that is measured but not refuted. Here:
* The rate claim measures the error at five n only (enough for a log-log fit; the paper would sweep more).
"""

from __future__ import annotations

import math

import numpy as np

import certify
from certify import strategies as cst

SRC = "derived"      # an arXiv id ("arXiv:NNNN.NNNNN Thm 2") or "derived": tests/test_catalogue.py checks it


# ----------------------------------------------------------------------------- a bound claim
def _softmax(ctx, u):
    # Stabilised: subtracting max u changes nothing mathematically and keeps exp from overflowing at u ~ 700.
    # Only ctx vocabulary, so the body is the same in float64 and in the mpmath confirmation; reach for
    # `ctx.is_exact` or `ctx.mpm` only for a decision that really differs by precision, and say why.
    z = ctx.exp(u - ctx.max(u))
    return z / ctx.sum(z)


@certify.claim(
    id="template.softmax_lipschitz",
    source=SRC,
    statement=r"\|\mathrm{softmax}(u)-\mathrm{softmax}(v)\|_2\le C\,\|u-v\|_2,\ C=1/2",
    tag="DERIVED",                      # DERIVED claims are proved: expect="holds" (the default) and must survive
    # Use the builders of certify.strategies (refinement can move their values; a plain Hypothesis strategy is
    # searched but not refined). u and v are the two rows of one matrix, so they always have the same n.
    inputs=dict(uv=cst.matrices(shape=(2, (1, 8)), bound=5.0)),
    params=dict(C=0.5, C_tol=8.0),      # every constant of the statement is a named param (--param overrides it)
    # A mutant is a deliberately wrong statement the search must refute (tests require one or a reason):
    # halving the constant is refuted near u = v at n = 2, where ||J|| = 1/2 is attained.
    mutants=[certify.scale("C", 0.5)],
)
def softmax_lipschitz(ctx, uv, C, C_tol):
    u, v = uv[0], uv[1]
    lhs = ctx.norm(_softmax(ctx, u) - _softmax(ctx, v), 2)
    # Tolerance: a rounding floor proportional to the context's unit roundoff (2^-53 in float64, 10^-dps in
    # mpmath) times the size of what is rounded (here about n entries of size <= 1), never a fixed absolute
    # number: the floor then shrinks with the precision of the confirmation, so a real violation stays one.
    floor = C_tol * ctx.unit_roundoff * len(u)
    return certify.le(lhs, C * ctx.norm(u - v, 2) + floor, label="||softmax(u) - softmax(v)||_2")


# ----------------------------------------------------------------------------- a probability claim
@certify.claim(
    id="template.rademacher_sum",
    source=SRC,
    statement=r"\Pr\big[|\textstyle\sum_i s_i a_i|\le c\sqrt{2\ln(2/\delta)}\,\|a\|_2\big]\ge1-\delta",
    tag="DERIVED",
    inputs=dict(a=cst.vectors(n=(1, 16), bound=10.0)),
    assume=lambda a: bool(np.any(a != 0)),
    # A param named `delta` overrides the decorator's delta: --param moves the procedure and the verdict together.
    params=dict(c=1.0, delta=0.1, signs="random"),
    kind="probability", delta=0.1,      # one call = one trial (it takes `rng`); the verdict compares the failure
                                        # rate over the profile's trials with delta (Clopper-Pearson)
    # A baseline re-runs the claim with other params on the instances the search kept: here the worst-case
    # signs s_i = sign(a_i) (no randomness), showing that the bound says something beyond ||a||_1.
    baselines={"aligned_signs": {"signs": "aligned"}},
    mutants=[certify.scale("c", 0.1)],
)
def rademacher_sum(ctx, a, rng, c, delta, signs):
    # Draw every random choice from `rng` (never np.random directly): replay then reproduces the trial.
    s = np.sign(a) if signs == "aligned" else rng.choice([-1.0, 1.0], size=len(a))
    total = abs(ctx.sum(ctx.asarray(s) * a))             # ctx.asarray: exact conversion, no rounding
    bound = c * ctx.sqrt(2 * ctx.log(ctx.num(2) / ctx.num(delta))) * ctx.norm(a, 2)
    # No rounding floor: the sum of <= 16 terms is exact to a few ulps and the bound is never tight at equality
    # for random signs; add one (as above) if a confirmed float artifact ever shows up here.
    return certify.le(total, bound, label="|sum_i s_i a_i|")


# ----------------------------------------------------------------------------- a scaling claim
def _error_times_n(fn):
    # A custom mutant: the measurement times n, i.e. a rate one power of n slower (-2 -> -1), which the
    # exponent_bound must refute.
    def wrapped(**kw):
        return fn(**kw) * kw["n"]

    return wrapped


@certify.claim(
    id="template.trapezoid_rate",
    source=SRC,
    statement=r"|T_n(\exp)-(e-1)| = O(n^{-2})",
    tag="DERIVED",
    kind="scaling",
    sweep={"n": [8, 16, 32, 64, 128]},  # the one swept variable, at least 3 values
    fit="loglog",
    expected_exponent=-2.0,             # the paper's exponent, reported beside the fitted one
    exponent_bound=-1.9,                # makes it a test: refuted when the 95 % interval lies above the bound
    params=dict(),
    mutants=[certify.mutant("error_times_n", _error_times_n)],
    # For a scaling claim WITHOUT a stated exponent there is no bound to refute and so no mutant that could
    # die: leave out exponent_bound and mutants and write no_mutant_reason="..." instead.
)
def trapezoid_rate(rng, n):
    # A scaling claim returns one positive measurement per call (a time, an error, an iteration count); it
    # takes no ctx (it is measured, not confirmed) and must not use rng here since the measurement is
    # deterministic. Timings would be the median of `repeats` runs.
    x = np.linspace(0.0, 1.0, n + 1)
    g = np.exp(x)
    approx = (g.sum() - (g[0] + g[-1]) / 2) / n
    return abs(approx - (math.e - 1))


"""Benchmark claims for bench/search_power.py: rare violations (false claims) and float64 traps (true claims).

Two families, registered with ids ``bench.*``:

* FALSE claims (``expect="refuted"``) whose violations occupy a tiny part of the input space: a corner of a
  box (vertex), a thin tube around a balance point of shifted/weighted coordinates (ties away from 0 and the
  box's edge values, so Hypothesis's special values 0, +-b do not hit them), an exact two-way tie of softmax
  logits with the others far below, a thin slab inside the boundary of an ellipsoid (an open hypothesis set
  whose boundary does not pass through special values), and a neighbourhood of rank-one matrices with a
  prescribed singular value. Uniform random generation essentially never lands there (the probability per
  example is written beside each claim); steering (``hypothesis.target``) and local refinement can.

* TRUE claims (``expect="holds"``): identities and inequalities exact in real arithmetic that float64
  rounding violates. A search without high-precision confirmation "refutes" them; certify must not (the
  violations must come out as float artifacts).

Every input strategy carries a membership test (``certify_contains``) so certify's refinement can move it.
The claims are written in the context-generic style (they run unchanged under ``certify.fp`` and
``certify.mp(dps)``), so certify confirms float64 violations in mpmath.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

import certify
from certify import strategies as cst

SOURCE = "bench/search_power.py (synthetic benchmark claim)"


def _floats(lo: float, hi: float):
    """Plain Hypothesis floats in [lo, hi], made refinable (membership = the interval)."""
    return cst.refinable(st.floats(lo, hi, allow_nan=False, allow_infinity=False),
                         lambda t: isinstance(t, float) and lo <= t <= hi)


# ============================================================================ FALSE claims, rare violations
# --- vertex of a box ---------------------------------------------------------------------------------------
@certify.claim(
    id="bench.vertex_sum",
    source=SOURCE,
    statement=r"\sum_{i=1}^{10} x_i \le c \quad (x \in [-1,1]^{10},\ c = 9.99)",
    tag="USER",
    inputs=dict(x=cst.vectors(n=10, bound=1.0)),
    params=dict(c=9.99),
    expect="refuted",
    notes="false only within 1e-2 (in l1) of the vertex (1,...,1): uniform volume fraction ~ (5e-4)^10 / 10!; "
          "drawn element-wise, so only Hypothesis's edge values (+-1, 0) or steering reach it",
)
def vertex_sum(ctx, x, c):
    return certify.le(ctx.sum(x), c)


@certify.claim(
    id="bench.vertex_sum_seeded",
    source=SOURCE,
    statement=r"\sum_{i=1}^{24} x_i \le c \quad (x \in [-1,1]^{24},\ c = 13)",
    tag="USER",
    inputs=dict(x=cst.vectors(n=24, bound=1.0)),
    params=dict(c=13.0),
    expect="refuted",
    notes="24 entries are filled from a seed (uniform in the box, sometimes rescaled to touch the bound): "
          "sum has sd ~2.8, c = 13 is ~4.6 sd out (P ~ 2e-6 per example); steering acts only on the seed",
)
def vertex_sum_seeded(ctx, x, c):
    return certify.le(ctx.sum(x), c)


# --- balance point (ties of shifted, weighted coordinates) ---------------------------------------------------
_W = np.array([1.0, 1.13, 1.37, 0.89])
_C = np.array([0.0, 0.1, -0.17, 0.23])


@certify.claim(
    id="bench.balance_quadratic",
    source=SOURCE,
    statement=r"q(x) = \sum_{i<j} (w_i x_i + c_i - w_j x_j - c_j)^2 \ge \tau \quad (x \in [-1,1]^4,\ \tau=10^{-8})",
    tag="USER",
    inputs=dict(x=cst.vectors(n=4, bound=1.0)),
    params=dict(tau=1e-8),
    expect="refuted",
    notes="q is a PSD quadratic form vanishing only on the balance line w_i x_i + c_i = t (all equal); "
          "violated in a tube of radius ~1e-4 around it (uniform probability ~1e-12). The shifts c make sure "
          "0 and +-1 are not balance points",
)
def balance_quadratic(ctx, x, tau):
    z = x * _W + _C
    q = ctx.num(0.0)
    for i in range(len(z)):
        for j in range(i + 1, len(z)):
            q = q + (z[i] - z[j]) ** 2
    return certify.ge(q, tau)


# --- softmax tie -------------------------------------------------------------------------------------------------
_BIAS = np.array([0.0, 0.31, -0.47, 0.83, -0.29, 0.57])


@certify.claim(
    id="bench.softmax_tie",
    source=SOURCE,
    statement=r"p = \mathrm{softmax}(u + \beta):\ |p_{(1)} - \tfrac12| + |p_{(2)} - \tfrac12| \ge \tau"
              r"\quad (u \in [-8,8]^6,\ \tau = 10^{-3})",
    tag="USER",
    inputs=dict(u=cst.vectors(n=6, bound=8.0)),
    params=dict(tau=1e-3),
    expect="refuted",
    notes="false only when the two largest logits u_i + beta_i tie to ~1e-3 and the other four sit ~9 below "
          "(a two-way exact tie with the rest saturated). The fixed bias beta keeps ties away from equal "
          "edge values of u",
)
def softmax_tie(ctx, u, tau):
    p = ctx.softmax(u + _BIAS)
    top = sorted(list(p), reverse=True)
    return certify.ge(abs(top[0] - 0.5) + abs(top[1] - 0.5), tau)


# --- thin slab at the boundary of the hypothesis set -------------------------------------------------------------
_AX = np.array([0.9, 0.8, 0.7])


def _in_ellipsoid(x):
    return float(np.sum((np.asarray(x, float) / _AX) ** 2)) < 1.0


@certify.claim(
    id="bench.slab_contraction",
    source=SOURCE,
    statement=r"\|D^{-1}x\|_2 < 1 \Rightarrow (1 - \|D^{-1}x\|_2^2)^{-1} \le M"
              r"\quad (D = \mathrm{diag}(0.9, 0.8, 0.7),\ M = 10^6)",
    tag="USER",
    inputs=dict(x=cst.vectors(n=3, bound=1.0)),
    assume=lambda x: _in_ellipsoid(x),
    params=dict(M=1e6),
    expect="refuted",
    notes="a Neumann-series style bound, false only in the slab 1 - 1e-6 < ||D^{-1}x||^2 < 1 inside the "
          "boundary of the (open) hypothesis set; the ellipsoid's boundary avoids the special values 0, +-1 "
          "(uniform probability ~1.5e-6 among valid instances; about 26% of the box is valid)",
)
def slab_contraction(ctx, x, M):
    r2 = ctx.sum((x / _AX) ** 2)
    return certify.le(1 / (1 - r2), M)


# --- near a rank-one matrix with a prescribed singular value -------------------------------------------------------
@certify.claim(
    id="bench.rank_one_max",
    source=SOURCE,
    statement=r"\|A\|_F^2 - \sigma_1(A)^2 + (\sigma_1(A) - s_0)^2 \ge \tau"
              r"\quad (A \in \mathbb{R}^{3\times 3},\ \|A\|_2 \le 1,\ s_0 = 0.6,\ \tau = 10^{-6})",
    tag="USER",
    inputs=dict(A=cst.spectral_norm_ball(rows=3, cols=3, radius=1.0)),
    params=dict(s0=0.6, tau=1e-6),
    expect="refuted",
    notes="the left side is sigma_2^2 + sigma_3^2 + (sigma_1 - s0)^2: false only within ~1e-3 of the rank-one "
          "matrices with top singular value s0 (codimension 5 in R^{3x3}); the strategy fills A from a seed",
)
def rank_one_max(ctx, A, s0, tau):
    s = ctx.svdvals(A)
    fro2 = ctx.sum(A * A)
    return certify.ge(fro2 - s[0] ** 2 + (s[0] - s0) ** 2, tau)


# ============================================================================ TRUE claims float64 gets wrong
@certify.claim(
    id="bench.add_sub_roundtrip",
    source=SOURCE + "; exact in real arithmetic",
    statement=r"(a + b) - a \ge b \quad (a \in [-10^8, 10^8]^4,\ b \in [10^{-3}, 1]^4)",
    tag="USER",
    inputs=dict(a=cst.vectors(n=4, bound=1e8), b=cst.vectors(n=4, bound=1.0)),
    assume=lambda b: bool(np.all(np.abs(b) >= 1e-3)),
    expect="holds",
    notes="float64 rounds a + b; about half of the instances with |a| >> |b| violate it in float64",
)
def add_sub_roundtrip(ctx, a, b):
    return certify.ge((a + b) - a, b)


@certify.claim(
    id="bench.reciprocal_product",
    source=SOURCE + "; exact in real arithmetic",
    statement=r"x \cdot (1/x) \ge 1 \quad (x \in [1, 10^4])",
    tag="USER",
    inputs=dict(x=_floats(1.0, 1e4)),
    expect="holds",
    notes="round to nearest gives x * fl(1/x) in {1 - 2^-53, 1}: about 13% of uniform x violate it in float64",
)
def reciprocal_product(ctx, x):
    x = ctx.num(x)
    return certify.ge(x * (1 / x), 1.0)


@certify.claim(
    id="bench.log_exp",
    source=SOURCE + "; exact in real arithmetic",
    statement=r"\log(\exp(x)) \ge x \quad (x \in [-20, 20]^4)",
    tag="USER",
    inputs=dict(x=cst.vectors(n=4, bound=20.0)),
    expect="holds",
)
def log_exp(ctx, x):
    return certify.ge(ctx.log(ctx.exp(x)), x)


@certify.claim(
    id="bench.softmax_sum_exact",
    source=SOURCE + "; exact in real arithmetic",
    statement=r"\sum_i \mathrm{softmax}(u)_i = 1 \text{ exactly (rtol 0)} \quad (u \in [-30, 30]^n,\ 2 \le n \le 12)",
    tag="USER",
    inputs=dict(u=cst.vectors(n=(2, 12), bound=30.0)),
    expect="holds",
    notes="the identity with zero tolerance, written as s <= 1 and s >= 1",
)
def softmax_sum_exact(ctx, u):
    s = ctx.sum(ctx.softmax(u))
    return certify.all_of(certify.le(s, 1.0), certify.ge(s, 1.0))


@certify.claim(
    id="bench.square_expansion",
    source=SOURCE + "; exact in real arithmetic (catastrophic cancellation in float64)",
    statement=r"(1 + x)^2 \ge 1 + 2x + x^2 \quad (x \in [-10^{-3}, 10^{-3}]^4)",
    tag="USER",
    inputs=dict(x=cst.vectors(n=4, bound=1e-3)),
    expect="holds",
)
def square_expansion(ctx, x):
    return certify.ge((1 + x) ** 2, 1 + 2 * x + x * x)


@certify.claim(
    id="bench.cauchy_schwarz",
    source=SOURCE + "; Cauchy-Schwarz, equality iff x and y are parallel",
    statement=r"(x \cdot y)^2 \le (x \cdot x)(y \cdot y) \quad (x, y \in [-1, 1]^5)",
    tag="USER",
    inputs=dict(x=cst.vectors(n=5, bound=1.0), y=cst.vectors(n=5, bound=1.0)),
    expect="holds",
    notes="true with equality on parallel pairs; float64 rounding violates it only near equality, so a "
          "search must first reach (nearly) parallel x, y",
)
def cauchy_schwarz(ctx, x, y):
    return certify.le(ctx.dot(x, y) ** 2, ctx.dot(x, x) * ctx.dot(y, y))


FALSE_CLAIMS = ["bench.vertex_sum", "bench.vertex_sum_seeded", "bench.balance_quadratic", "bench.softmax_tie",
                "bench.slab_contraction", "bench.rank_one_max"]
TRUE_CLAIMS = ["bench.add_sub_roundtrip", "bench.reciprocal_product", "bench.log_exp", "bench.softmax_sum_exact",
               "bench.square_expansion", "bench.cauchy_schwarz"]
ALL_CLAIMS = FALSE_CLAIMS + TRUE_CLAIMS


"""Demo claims whose truth is known: they exercise every verdict of the pipeline.

Used by the test suite (tests/test_demo_claims.py) and as a tutorial: each claim is a few lines.
"""

import numpy as np
from hypothesis import strategies as st

import certify
from certify import strategies as cst


@certify.claim(
    id="demo.softmax_sums_to_one",
    source="definition of softmax",
    statement=r"\sum_i \mathrm{softmax}(u)_i = 1",
    tag="DERIVED",
    inputs=dict(u=cst.vectors(n=(1, 12), bound=50.0)),
    params=dict(rtol=1e-12, shift=0.0),
    mutants=[certify.replace(shift=1e-6)],
)
def softmax_sums_to_one(ctx, u, rtol, shift):
    return certify.close(ctx.sum(ctx.softmax(u)) + shift, 1.0, rtol=rtol)


@certify.claim(
    id="demo.softmax_lipschitz",
    source="standard; ||J(f)||_{inf->inf} <= 2 max_i f_i (1 - f_i) <= 1/2",
    statement=r"\|\mathrm{softmax}(u)-\mathrm{softmax}(v)\|_\infty \le C \|u-v\|_\infty",
    tag="DERIVED",
    inputs=dict(u=cst.vectors(n=4, bound=3.0), v=cst.vectors(n=4, bound=3.0)),
    params=dict(C=0.5),
    mutants=[certify.scale("C", 0.2)],
)
def softmax_lipschitz(ctx, u, v, C):
    lhs = ctx.norm(ctx.softmax(u) - ctx.softmax(v), ctx.inf)
    return certify.le(lhs, C * ctx.norm(u - v, ctx.inf))


@certify.claim(
    id="demo.false_sum_bound",
    source="deliberately false",
    statement=r"x_1 + x_2 + x_3 \le 2.9 \cdot b \text{ for } |x_i| \le b",
    tag="USER",
    inputs=dict(x=cst.vectors(n=3, bound=1.0)),
    params=dict(c=2.9),
    expect="refuted",
)
def false_sum_bound(ctx, x, c):
    return certify.le(ctx.sum(x), c)


@certify.claim(
    id="demo.roundoff_equality",
    source="exact arithmetic: (a + b) - a = b",
    statement=r"(a + b) - a \ge b",
    tag="USER",
    inputs=dict(a=st.floats(1e3, 1e12), b=st.floats(1e-3, 1.0)),
)
def roundoff_equality(ctx, a, b):
    return certify.ge((a + b) - a, b)


@certify.claim(
    id="demo.fast_only_false",
    source="deliberately false, no reference",
    statement=r"\max_i u_i \le 0.5",
    tag="USER",
    inputs=dict(u=cst.vectors(n=(1, 4), bound=1.0)),
)
def fast_only_false(u):
    return certify.le(float(np.max(u)), 0.5)


@certify.claim(
    id="demo.raises",
    source="a bug in the claim code",
    statement="raises on some inputs",
    tag="USER",
    inputs=dict(k=st.integers(0, 10)),
)
def raises(ctx, k):
    if k > 3:
        raise ZeroDivisionError("demo: division by zero in the claim body")
    return 1.0


@certify.claim(
    id="demo.coin_true",
    source="P(|mean of 400 N(0,1)| > 0.25) ~ 6e-7",
    statement=r"\Pr[|\bar z| > 0.25] \le \delta",
    tag="USER",
    kind="probability",
    delta=0.1,
    trials=40,
    inputs=dict(shift=st.floats(-0.01, 0.01)),
)
def coin_true(ctx, rng, shift):
    z = ctx.asarray(rng.normal(size=400))
    return certify.le(ctx.abs(ctx.sum(z) / 400 + shift), 0.25)


@certify.claim(
    id="demo.coin_false",
    source="deliberately false: a uniform variable exceeds p with probability 1 - p",
    statement=r"\Pr[U < p] \le \delta",
    tag="USER",
    kind="probability",
    delta=0.1,
    trials=40,
    inputs=dict(p=st.floats(0.3, 0.9)),
    expect="refuted",
)
def coin_false(ctx, rng, p):
    u = ctx.num(rng.uniform())
    return certify.ge(u, p)

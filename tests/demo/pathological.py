"""Claims that misbehave: they must be isolated, never take the run down."""

import math
import time

from hypothesis import strategies as st

import certify


@certify.claim(id="patho.hangs", statement="never returns", inputs=dict(k=st.integers(0, 3)))
def hangs(ctx, k):
    time.sleep(3600)
    return 1.0


@certify.claim(id="patho.nan_in_float64", statement="exp(x)/exp(x) == 1 (float64 overflows to nan)",
               inputs=dict(x=st.floats(700.0, 800.0)))
def nan_in_float64(ctx, x):
    e = ctx.exp(ctx.num(x))
    return certify.close(e / e, 1.0, rtol=1e-12)


@certify.claim(id="patho.never_valid", statement="hypotheses never satisfied",
               inputs=dict(x=st.floats(0.0, 1.0)), assume=lambda x: x > 2.0)
def never_valid(ctx, x):
    return 1.0


@certify.claim(id="patho.returns_string", statement="returns garbage", inputs=dict(x=st.floats(0.0, 1.0)))
def returns_string(ctx, x):
    return "yes"


@certify.claim(id="patho.nan_everywhere", statement="a margin that is nan in every context",
               inputs=dict(x=st.floats(0.0, 1.0)))
def nan_everywhere(ctx, x):
    return ctx.num(math.nan)


@certify.claim(id="patho.python_float_overflow", statement=r"((a^k + b^k)/2)^{1/k} \le \max(a, b)",
               inputs=dict(a=st.floats(0.0, 1e300), b=st.floats(0.0, 1e300), k=st.integers(1, 8)))
def python_float_overflow(ctx, a, b, k):
    # written as users write it: Python's float `**` raises OverflowError where numpy would give inf
    return certify.le(((a ** k + b ** k) / 2) ** (ctx.num(1) / k), max(a, b) * (1 + 1e-12))


@certify.claim(id="patho.false_past_overflow", statement=r"a^3 \le 10^{400}",
               inputs=dict(a=st.floats(0.0, 1e300)))
def false_past_overflow(ctx, a):
    # false exactly where float64 cannot evaluate it (a > 1e133.3, a^3 beyond the float range)
    return certify.le(a ** 3, ctx.num(10) ** 400)

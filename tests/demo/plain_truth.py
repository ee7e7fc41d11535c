"""Claims with known truth written ONLY with plain `hypothesis.strategies` (issue 10): lists of floats mapped to
numpy arrays, integers, `sampled_from` -- what a new user writes from the README, without certify's strategies.

Four families (the `family` key of `CASES`):

* ``equality``  -- true claims with instances where they hold with EXACT equality (a float64 evaluation there is
  rounding noise around 0: the pipeline must call it an equality case, never a refutation nor inconclusive);
* ``attained``  -- true claims whose exact supremum is attained (the bound is tight on reachable instances);
* ``trap``      -- true claims that float64 gets wrong (cancellation, ill-conditioning): float artifacts only;
* ``false``     -- false claims: the pipeline must refute them.

Used by tests/test_known_truth.py (smoke, one seed) and bench/known_truth.py (ci, 5 seeds).
"""

import math

import numpy as np
from hypothesis import strategies as st

import certify


def _vec(lo, hi, n=(1, 8)):
    return st.lists(st.floats(lo, hi), min_size=n[0], max_size=n[1]).map(np.array)


def _grid_vec(values, n=(1, 8)):
    """Vectors whose entries repeat (sampled_from): equal entries make the equality cases reachable."""
    return st.lists(st.sampled_from(values), min_size=n[0], max_size=n[1]).map(lambda v: np.array(v, dtype=float))


def _matrix(n=(2, 5), d=(1, 3), lo=-2.0, hi=2.0):
    return st.integers(n[0], n[1]).flatmap(lambda rows: st.integers(d[0], d[1]).flatmap(
        lambda cols: st.lists(st.one_of(st.floats(lo, hi), st.sampled_from([0.0, 0.5, -1.0])),
                              min_size=rows * cols, max_size=rows * cols)
        .map(lambda v: np.array(v, dtype=float).reshape(rows, cols))))


_NONNEG = st.one_of(st.floats(0.0, 10.0), st.sampled_from([0.0, 0.25, 1.0, 2.0, 3.0]))

# ----------------------------------------------------------------------------------------------- equality cases


@certify.claim(id="truth.am_gm", statement=r"\sqrt{ab} \le (a+b)/2,\ a, b \ge 0 \ (= \text{ iff } a = b)",
               inputs=dict(a=_NONNEG, b=_NONNEG))
def am_gm(ctx, a, b):
    return certify.le(ctx.sqrt(a * b), (a + b) / 2)


@certify.claim(id="truth.exp_kernel_psd", statement=r"\lambda_{\min}(\exp(AA^\top)) \ge 0 \text{ (entrywise exp)}",
               inputs=dict(A=_matrix(n=(2, 5), d=(1, 2), lo=-1.0, hi=1.0)))
def exp_kernel_psd(ctx, A):
    return certify.ge(ctx.eigmin(ctx.exp(A @ A.T)), 0.0)


@certify.claim(id="truth.gram_psd", statement=r"\lambda_{\min}(XX^\top) \ge 0 \ (= 0 \text{ when rank } X < n)",
               inputs=dict(X=_matrix(n=(2, 5), d=(1, 3))))
def gram_psd(ctx, X):
    return certify.ge(ctx.eigmin(X @ X.T), 0.0)


@certify.claim(id="truth.cauchy_schwarz", statement=r"|\langle u, cu + v\rangle| \le \|u\|\,\|cu + v\|",
               inputs=dict(u=_vec(-3.0, 3.0, (3, 3)), c=st.sampled_from([-2.0, 0.5, 1.0, 3.0]),
                           v=st.one_of(st.just(np.zeros(3)), _vec(-1.0, 1.0, (3, 3)))))
def cauchy_schwarz(ctx, u, c, v):
    w = c * u + v
    return certify.le(ctx.abs(ctx.sum(u * w)), ctx.norm(u, 2) * ctx.norm(w, 2))


# ----------------------------------------------------------------------------------------------- sup attained


@certify.claim(id="truth.norm2_vs_inf", statement=r"\|x\|_2 \le \sqrt{n}\,\|x\|_\infty \ (= \text{ at } |x_i| = c)",
               inputs=dict(x=st.one_of(_vec(-5.0, 5.0), _grid_vec([-1.5, 1.5]))))
def norm2_vs_inf(ctx, x):
    return certify.le(ctx.norm(x, 2), ctx.sqrt(ctx.num(len(x))) * ctx.norm(x, ctx.inf))


@certify.claim(id="truth.popoviciu", statement=r"\mathrm{Var}(x) \le 1/4 \text{ for } x_i \in [0, 1] "
                                               r"(= \text{ at half 0, half 1})",
               inputs=dict(x=st.one_of(_vec(0.0, 1.0, (2, 8)), _grid_vec([0.0, 1.0], (2, 8)))))
def popoviciu(ctx, x):
    mean = ctx.sum(x) / len(x)
    return certify.le(ctx.sum((x - mean) * (x - mean)) / len(x), 0.25)


@certify.claim(id="truth.lse_max", statement=r"\log\sum_i e^{u_i} \le \max_i u_i + \log n \ (= \text{ at } u_i = c)",
               inputs=dict(u=st.one_of(_vec(-20.0, 20.0), _grid_vec([-3.0, 7.0]).map(lambda v: v[:1].repeat(len(v))))))
def lse_max(ctx, u):
    return certify.le(ctx.logsumexp(u), ctx.max(u) + ctx.log(ctx.num(len(u))))


# ----------------------------------------------------------------------------------------------- float traps


@certify.claim(id="truth.cancellation", statement=r"(a + b) - a \ge b \ (\text{float64 loses } b)",
               inputs=dict(a=st.floats(1e8, 1e17), b=st.floats(1e-3, 1.0)))
def cancellation(ctx, a, b):
    return certify.ge((a + b) - a, b)


@certify.claim(id="truth.vandermonde_gram", statement=r"\lambda_{\min}(V^\top V) \ge 0,\ V_{ij} = t_i^j \text{ at } n "
                                                       r"\text{ equispaced } t_i \in [0, 1] \ (\kappa(V) \text{ up to } 10^{16})",
               inputs=dict(d=st.integers(2, 12), extra=st.integers(0, 4), s=st.sampled_from([1.0, 3.0, 1e-3, 1e4])))
def vandermonde_gram(ctx, d, extra, s):
    t = np.linspace(0.0, 1.0, d + extra)
    V = ctx.asarray(s * np.vander(t, d, increasing=True))
    return certify.ge(ctx.eigmin(V.T @ V), 0.0)


@certify.claim(id="truth.log1p_naive", statement=r"\log(1 + x) \ge x - x^2/2 \text{ for } x \ge 0",
               inputs=dict(x=st.one_of(st.floats(1e-15, 1e-9), st.floats(0.0, 5.0))))
def log1p_naive(ctx, x):
    one = ctx.num(1.0)
    return certify.ge(ctx.log(one + x), x - x * x / 2)


# ----------------------------------------------------------------------------------------------- false claims


@certify.claim(id="truth.false_gm_am", statement=r"(a+b)/2 \le \sqrt{ab} \ (\text{false unless } a = b)",
               inputs=dict(a=_NONNEG, b=_NONNEG), expect="refuted")
def false_gm_am(ctx, a, b):
    return certify.le((a + b) / 2, ctx.sqrt(a * b))


@certify.claim(id="truth.false_lse", statement=r"\log\sum_i e^{u_i} \le \max_i u_i + \tfrac12\log n",
               inputs=dict(u=_vec(-5.0, 5.0, (2, 6))), expect="refuted")
def false_lse(ctx, u):
    return certify.le(ctx.logsumexp(u), ctx.max(u) + ctx.log(ctx.num(len(u))) / 2)


@certify.claim(id="truth.false_variance", statement=r"\mathrm{Var}(x) \le 0.16 \text{ for } x_i \in [0, 1]",
               inputs=dict(x=_vec(0.0, 1.0, (2, 8))), expect="refuted")
def false_variance(ctx, x):
    mean = ctx.sum(x) / len(x)
    return certify.le(ctx.sum((x - mean) * (x - mean)) / len(x), 0.16)


@certify.claim(id="truth.false_norm", statement=r"\|x\|_2 \le \|x\|_\infty", inputs=dict(x=_vec(-2.0, 2.0, (2, 6))),
               expect="refuted")
def false_norm(ctx, x):
    return certify.le(ctx.norm(x, 2), ctx.norm(x, ctx.inf))


@certify.claim(id="truth.false_symmetric_psd", statement=r"\lambda_{\min}(A + A^\top) \ge 0 \text{ for any square } A",
               inputs=dict(k=st.integers(2, 4).flatmap(lambda n: st.lists(st.floats(-1.0, 1.0), min_size=n * n,
                                                                           max_size=n * n))),
               expect="refuted")
def false_symmetric_psd(ctx, k):
    n = int(round(math.sqrt(len(k))))
    A = ctx.asarray(np.array(k, dtype=float).reshape(n, n))
    return certify.ge(ctx.eigmin(A + A.T), 0.0)


CASES = {
    "equality": ["truth.am_gm", "truth.exp_kernel_psd", "truth.gram_psd", "truth.cauchy_schwarz"],
    "attained": ["truth.norm2_vs_inf", "truth.popoviciu", "truth.lse_max"],
    "trap": ["truth.cancellation", "truth.vandermonde_gram", "truth.log1p_naive"],
    "false": ["truth.false_gm_am", "truth.false_lse", "truth.false_variance", "truth.false_norm",
              "truth.false_symmetric_psd"],
}
TRUE = CASES["equality"] + CASES["attained"] + CASES["trap"]
FALSE = CASES["false"]

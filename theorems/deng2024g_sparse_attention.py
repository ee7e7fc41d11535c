"""Attention is naturally n^C-sparse (Deng, Song, Yang; v2 adds Xiong), arXiv 2404.02690.

Setting
-------
Rows x_i ~ N(0, sigma^2 I_d), i in [n]; W = W_Q W_K^T in R^{d x d}; logits s_il = lambda_s x_i^T W x_l
(lambda_s = logit_scale, default 1/sqrt(d)); A = softmax_row(S); O = A V. Top-k set T_i(k): the k largest logits of
row i (ties by index); A^(k)_il = exp(s_il) / sum_{l' in T_i(k)} exp(s_il') on T_i(k), else 0; O^(k) = A^(k) V.
Discarded mass mu_i(k) = sum_{l not in T_i(k)} A_il. Error metrics (err_metric): tv = max_i mu_i(k),
out_inf = ||O - O^(k)||_max, out_fro = ||O - O^(k)||_F / sqrt(n).

Procedure
---------
`certify.kernels.fast_attention`: ``topk_sets``, ``topk_weights``, ``discarded_mass`` (a log-sum-exp over the
discarded logits minus the log-sum-exp of the row, so masses far below 1e-300 are exact in mpmath and do not
vanish before the exponent in float64), ``topk_tv`` (from both rows). The mpmath twin sums the discarded weights
directly. Scaling rows draw n Gaussian keys from the sweep's generator and score m_rows query rows (the first m_rows
keys when include_self) against all n keys (O(m n d) per point, never the n x n matrix).

Claims
------
* topk_tv_identity (DERIVED): TV(A_i, A^(k)_i) = 1/2 sum_l |A_il - A^(k)_il| = mu_i(k); for every k-subset T the
  renormalised restriction has TV 1 - sum_{l in T} A_il >= mu_i(k) (checked on a random subset and on the top-k set
  with its k-th key swapped for the (k+1)-th); ||O_i - O^(k)_i||_inf <= 2 mu_i(k) ||V||_max.
* topk_n_pow_c (ABSTRACT v2, scaling): k = ceil(alpha n^C) keys per row; the error (err_metric) decreases in n.
* log_n_floor (ABSTRACT v2, scaling, reported only): k = ceil((ln n)^kappa_k); the error stays above a constant.
* adaptive_window (ABSTRACT v2): over context lengths n_j log-uniform, k_j = ceil(alpha n_j^C) has mean error <=
  the mean error of a fixed k = round(mean k_j) (same average budget).
* collapse (RECONSTRUCTED, v2 Thm 5.1, scaling): #{l : A_il >= eps_c} = O(1) as n grows (W = (t/d) I_d,
  t = sigma^2 tr W).

Hypotheses
----------
topk_tv_identity: any finite logits (WELL, SAT gaps 20..700, exact ties, HALFMAX, BIGNORM up to 700), k in [1, n]
(both ends drawn), V Gaussian or the adversarial +-1 pattern (+1 on the kept keys of row 0). Scaling rows: d fixed
(growth = fixed), sigma = 1, include_self = true, V ~ N(0, 1) (for the out_* metrics).

Source
------
arXiv 2404.02690 v2 abstract ("How Sparse Attention Approximates Exact Attention? Your Attention is Naturally
n^C-Sparse"): Omega(n^C) kept entries give a vanishing error; o(log n) entries a constant error floor; adaptive
windows beat fixed ones. v2 Theorem 5.1 (attention collapse), RECONSTRUCTED. v1 (Apr 2024) has no quantitative
statement.

Deviations
----------
* "The error decreases as n grows" is read as a stated exponent 0 of the error in n: topk_n_pow_c is refuted only
  when the 95% interval of the fitted exponent lies above 0 + exponent_margin (0.25); its mutant multiplies the
  error by n. collapse reads O(1) the same way. log_n_floor (a lower bound with an unfitted constant) is reported.
* Sizes: the identity row uses rows of length <= 256 (catalogue: up to 1e5) so that the mpmath twin stays fast;
  the scaling rows reach n = 1e5 with m_rows = 16 query rows; adaptive_window uses lengths in [16, 256] (catalogue
  [1e2, 1e4]) because its margin is confirmed in mpmath.
* collapse returns max(mean count, 1/m_rows) (a zero count has no logarithm) and sweeps n from 1e3 (below, the
  count is capped by n itself); t = 8 by default (t = 16 shows a count growing like n^0.3 at these sizes).
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import strategies as st

import certify
from certify.kernels import fast_attention as FA
from certify.strategies import fast_attention as fst
from certify.strategies import log_uniform, seeds
from theorems._common import times_size, unit_roundoff

SRC = "arXiv:2404.02690"
CAT = "claims/related.md section 1"
N_SWEEP = [100, 316, 1000, 3162, 10000, 31623, 100000]



def _gaussian_logits(rng, n, d, m_rows, sigma, w_kind, gamma, logit_scale, include_self=True):
    X = sigma * rng.standard_normal((n, d))
    if w_kind == "identity":
        W = np.eye(d)
    elif w_kind == "gaussian":
        W = rng.standard_normal((d, d)) / math.sqrt(d)
    else:
        W = gamma * rng.standard_normal((d, d)) / math.sqrt(d)
    lam = {"1": 1.0, "1/d": 1.0 / d, "1/sqrt(d)": 1.0 / math.sqrt(d)}[logit_scale]
    Qr = X[:m_rows] if include_self else sigma * rng.standard_normal((m_rows, d))
    return lam * (Qr @ W) @ X.T, rng.standard_normal((n, 1))


def _error(S, V, k, err_metric):
    if err_metric == "tv":
        return float(np.max(FA.discarded_mass(S, k)))
    D = FA.softmax_rows(S) @ V - FA.topk_weights(S, k) @ V
    if err_metric == "out_inf":
        return float(np.max(np.abs(D)))
    return float(np.linalg.norm(D) / math.sqrt(S.shape[0]))


@certify.claim(
    id="deng2024g.topk_tv_identity",
    source=f"derived, {CAT} (3)",
    statement=r"\mathrm{TV}(A_{i,*},A^{(k)}_{i,*})=\mu_i(k)\le 1-\textstyle\sum_{l\in T}A_{il}\ (|T|=k);\ "
              r"\|O_{i,*}-O^{(k)}_{i,*}\|_\infty\le 2\mu_i(k)\|V\|_{\max}",
    tag="DERIVED",
    inputs=dict(inst=fst.logit_rows()),
    params=dict(C_out=2.0, tv_half=0.5, C_tol=64.0),
    mutants=[certify.scale("C_out", 0.5), certify.scale("tv_half", 2.0)],
    dps=50,
)
def topk_tv_identity(ctx, inst, C_out, tv_half, C_tol):
    S, V, k = inst["S"], inst["V"], inst["k"]
    fa = ctx.fast_attention
    n = S.shape[1]
    u = unit_roundoff(ctx)
    tol = C_tol * u * n
    mu = fa.discarded_mass(S, k)
    tv = fa.topk_tv(S, k) * (ctx.num(tv_half) / ctx.num(0.5))
    Sf = np.asarray(ctx.to_float(S), dtype=float) if ctx.is_exact else S
    T = FA.topk_sets(Sf, k)
    rng = np.random.default_rng(n * 7919 + k)
    rand = np.array([np.sort(rng.permutation(n)[:k]) for _ in range(S.shape[0])], dtype=np.int64)
    parts = [certify.le(ctx.abs(tv - mu), tol, label="|TV - mu|"),
             certify.ge(1 - fa.subset_mass(S, rand) + tol, mu, label="TV(random k-subset) >= mu")]
    if k < n:
        order = np.argsort(-Sf, axis=1, kind="stable")
        swap = T.copy()
        swap[:, -1] = order[:, k]
        parts.append(certify.ge(1 - fa.subset_mass(S, swap) + tol, mu, label="TV(swapped set) >= mu"))
    O, Ok = fa.softmax_rows(S) @ V, fa.topk_weights(S, k) @ V
    vmax = ctx.norm(V, "max")
    err = ctx.max(ctx.abs(O - Ok), axis=1)
    parts.append(certify.le(err, C_out * mu * vmax + tol * vmax, label="||O_i - O^(k)_i||_inf <= 2 mu ||V||_max"))
    return certify.all_of(*parts)


@certify.claim(
    id="deng2024g.topk_n_pow_c",
    source=f"{SRC} v2 abstract (Omega(n^C)-sparse attention)",
    statement=r"k=\lceil\alpha n^C\rceil\ (C\in(0,1)):\ \text{the error (err\_metric) decreases as } n\text{ grows}",
    tag="ABSTRACT",
    kind="scaling",
    sweep={"n": N_SWEEP},
    fit="loglog",
    exponent_bound=0.25,
    params=dict(alpha=1.0, C=0.5, d=16, m_rows=16, sigma=1.0, w_kind="identity", gamma=1.0,
                logit_scale="1/sqrt(d)", err_metric="tv", exponent_margin=0.25),
    expect=None,
    mutants=[certify.mutant("error_times_n", times_size(1))],
    notes="Stated exponent 0 (the error decreases); refuted only when the CI lies above 0 + exponent_margin.",
)
def topk_n_pow_c(rng, n, alpha, C, d, m_rows, sigma, w_kind, gamma, logit_scale, err_metric, exponent_margin):
    S, V = _gaussian_logits(rng, int(n), int(d), int(m_rows), sigma, w_kind, gamma, logit_scale)
    k = min(int(n), math.ceil(alpha * n**C))
    return max(_error(S, V, k, err_metric), 1e-300)


@certify.claim(
    id="deng2024g.log_n_floor",
    source=f"{SRC} v2 abstract (o(log n) entries: error of constant order)",
    statement=r"k=\lceil(\ln n)^{\kappa_k}\rceil=o(\log n)\Rightarrow \text{error}\ge c_{lb}>0\text{ for all }n",
    tag="ABSTRACT",
    kind="scaling",
    sweep={"n": N_SWEEP},
    fit="loglog",
    expected_exponent=0.0,
    params=dict(kappa_k=0.5, d=16, m_rows=16, sigma=1.0, w_kind="identity", gamma=1.0, logit_scale="1/sqrt(d)",
                err_metric="tv"),
    expect=None,
    no_mutant_reason="a lower bound with an unstated constant c_lb: the fitted exponent of the error in n and its "
                     "values are reported (a floor shows as exponent >= 0), never refuted",
)
def log_n_floor(rng, n, kappa_k, d, m_rows, sigma, w_kind, gamma, logit_scale, err_metric):
    S, V = _gaussian_logits(rng, int(n), int(d), int(m_rows), sigma, w_kind, gamma, logit_scale)
    k = min(int(n), max(1, math.ceil(math.log(n) ** kappa_k)))
    return max(_error(S, V, k, err_metric), 1e-300)


@st.composite
def _length_spread(draw):
    m = draw(st.integers(3, 6))
    d = draw(st.integers(2, 8))
    lens = [int(round(draw(log_uniform(16.0, 256.0)))) for _ in range(m)]
    rng = np.random.default_rng(draw(seeds()))
    return {f"X{j}": rng.standard_normal((nj, d)) for j, nj in enumerate(lens)}


@certify.claim(
    id="deng2024g.adaptive_window",
    source=f"{SRC} v2 abstract (adaptive window vs fixed k)",
    statement=r"n_j\text{ log-uniform}:\ \overline{\mu(\lceil\alpha n_j^C\rceil)}\le\overline{\mu(k_{fix})},\ "
              r"k_{fix}=\mathrm{round}(\overline{\lceil\alpha n_j^C\rceil})",
    tag="ABSTRACT",
    inputs=dict(inst=_length_spread()),
    params=dict(alpha=1.0, C=0.5, budget_ratio=1.0),
    expect=None,
    mutants=[certify.scale("budget_ratio", 0.25)],
    dps=30,
)
def adaptive_window(ctx, inst, alpha, C, budget_ratio):
    Xs = [inst[f"X{j}"] for j in range(len(inst))]
    ns = [X.shape[0] for X in Xs]
    ks = [min(nj, math.ceil(alpha * nj**C)) for nj in ns]
    k_fix = max(1, int(round(sum(ks) / len(ks))))
    ks_ad = [max(1, min(nj, math.ceil(budget_ratio * kj))) for nj, kj in zip(ns, ks, strict=True)]
    fa = ctx.fast_attention
    ad, fx = [], []
    for X, nj, kj in zip(Xs, ns, ks_ad, strict=True):
        d = X.shape[1]
        s = (X[:1] @ ctx.transpose(X)) / ctx.sqrt(ctx.num(d))
        ad.append(fa.discarded_mass(s, kj)[0])
        fx.append(fa.discarded_mass(s, min(nj, k_fix))[0])
    m = ctx.num(len(Xs))
    return certify.le(sum(ad) / m, sum(fx) / m, label="mean error adaptive <= fixed")


@certify.claim(
    id="deng2024g.collapse",
    source=f"{SRC} v2 (Thm 5.1, RECONSTRUCTED)",
    statement=r"\#\{l:A_{il}\ge\varepsilon_c\}=O(1)\text{ as }n\to\infty\ (W=(t/d)I_d,\ t=\sigma^2\operatorname{tr}W)",
    tag="RECONSTRUCTED",
    kind="scaling",
    sweep={"n": N_SWEEP[2:]},
    fit="loglog",
    expected_exponent=0.0,
    exponent_bound=0.25,
    params=dict(eps_c=1e-3, t=8.0, d=16, m_rows=16, exponent_margin=0.25),
    expect=None,
    mutants=[certify.mutant("count_times_n", times_size(1))],
)
def collapse(rng, n, eps_c, t, d, m_rows, exponent_margin):
    X = rng.standard_normal((int(n), int(d)))
    S = (t / d) * (X[: int(m_rows)] @ X.T)
    return max(float(np.mean(FA.heavy_count(S, eps_c))), 1.0 / m_rows)

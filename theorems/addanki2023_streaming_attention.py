"""One-pass streaming attention in sublinear space (Addanki, Li, Song, Yang), arXiv 2311.14652.

Setting
-------
Single-layer self-attention with Q, K, V in R^{n x d}, n >> 2^d. The polynomial method factors
P(Q K^T / d) = U1 U2^T with U1, U2 in R^{n x t}, t = C(d+g, g); with u_i = (U2)_{i,*}^T and v_i = V_{i,*}^T,
U2^T V = sum_i u_i v_i^T (t x d) and U2^T 1_n = sum_i u_i (t) accumulate in one pass with O(t d) state, and row i of
T = D~^-1 U1 (U2^T V) is (U1)_{i,*} (U2^T V) / ((U1)_{i,*} (U2^T 1_n)). Output guarantee (29): per column l,
||T_{*,l} - y_l||_2 <= (1 + eps1) min_{k-sparse y'} ||y' - y_l||_2 + eps2 with probability >= 0.99.

Procedure
---------
`certify.kernels.fast_attention`: ``stream_factor_sums`` (one pass over (K, V) in chunks; reports the floats it
keeps: the t (d_v + 1) state plus one chunk buffer; K and V are never stored), ``batch_factor_sums`` (U2 formed
once), ``stream_attention`` (rows of T from U1 and the sums), ``poly_attention`` (D~^-1 U1 (U2^T V) in one go),
``countsketch_recover`` (CountSketch with reps x width buckets from a seed, median estimates, top-k). The mpmath
twin accumulates the stream sequentially and the batch with fsum, and replays the CountSketch with the same hash
draws.

Claims
------
* streaming_accumulation (DERIVED): the one-pass sums equal the batch products U2^T V, U2^T 1_n, and the row
  formula gives D~^-1 U1 (U2^T V).
* one_pass_sublinear_space (ABSTRACT, scaling): the floats kept by the one-pass algorithm vs n (stated o(n),
  "nearly constant": exponent 0, refuted above 0 + exponent_margin), d = max(1, ceil(c_d log2 n)).
* error_vs_n (ABSTRACT, scaling): the error ||T - Att||_max (sampled rows) decreases as n grows (read as exponent
  0, refuted above 0 + exponent_margin), degree for accuracy n^-c_eps.
* sparse_recovery (RECONSTRUCTED, probability): CountSketch with width ceil(C_w k / eps1) and
  ceil(C_reps ln n) repetitions, then top-k, meets (29) with eps2 = 1/n with probability >= 1 - delta (0.99).

Hypotheses
----------
streaming_accumulation: n <= 200 rows streamed in chunks of 1..64 (1 and n drawn), d <= 3, g <= 4, keys in
[-b, b] or at +-b; the queries for the row formula are the first rows of K scaled so |q.k / d| <= 1/2, where every
partial sum of the exponential series is >= 1/2 (the denominators stay away from 0). sparse_recovery: columns
exactly k-sparse, k-sparse plus noise, heavy-tailed (t_1), flat; k in {1, 4, 16}; eps1 = 0.5.

Source
------
arXiv 2311.14652 (v1 Nov 2023) abstract: one pass, three sketch matrices in o(n) space, K and V never stored, the
error guarantee diminishes as n grows while memory stays nearly constant. The streaming identities (28) are
DERIVED; the k-sparse output guarantee (29) is RECONSTRUCTED (claims/related.md section 10).

Deviations
----------
* The stream is held in memory by the test harness and read chunk by chunk; the kernel never keeps more than one
  chunk (the floats it reports count the state and one chunk buffer).
* sparse_recovery sketches the column y itself (the profiles of the row) rather than the polynomial-method factors
  of an attention output; the (1 + eps1) guarantee is the sparse-recovery step's.
* "Diminishes" and "nearly constant" are read as stated exponents 0 with the 0.25 margin of the scaling ruling.
  error_vs_n's mutant multiplies the error by n^2 (the measured error falls like n^-1 with the degree chosen for
  accuracy n^-c_eps, so a factor n leaves a decreasing error that no exponent bound can refute).
"""

from __future__ import annotations

import math

import numpy as np

import certify
from certify.kernels import fast_attention as FA
from certify.strategies import fast_attention as fst
from theorems._common import log_dimension, max_abs, times_size, unit_roundoff
from theorems._common import to_float64 as _fl

SRC = "arXiv:2311.14652"
CAT = "claims/related.md section 10"





@certify.claim(
    id="addanki2023.streaming_accumulation",
    source=f"derived, {CAT} (28)",
    statement=r"\textstyle\sum_i u_iv_i^\top=U_2^\top V,\ \sum_i u_i=U_2^\top 1_n\ \text{(one pass)},\ "
              r"T_{i,*}=\frac{(U_1)_{i,*}U_2^\top V}{(U_1)_{i,*}U_2^\top 1_n}=(\tilde D^{-1}U_1U_2^\top V)_{i,*}",
    tag="DERIVED",
    inputs=dict(inst=fst.streams(n=(1, 200))),
    params=dict(overlap=0, C_tol=64.0),
    mutants=[certify.replace(overlap=1)],
    dps=30,
)
def streaming_accumulation(ctx, inst, overlap, C_tol):
    K, V, g, chunk = inst["K"], inst["V"], inst["g"], inst["chunk"]
    n, d = K.shape
    fa = ctx.fast_attention
    Sv, s1, _kept = fa.stream_factor_sums(K, V, g, chunk, overlap)
    Sb, sb = fa.batch_factor_sums(K, V, g)
    u = unit_roundoff(ctx)
    b = max(float(np.max(np.abs(_fl(ctx, K)))), 1e-300)
    mono = max(1.0, b) ** g
    vmax = max_abs(V) + 1
    tol = C_tol * u * n * mono
    Qf = 0.5 * _fl(ctx, K)[: min(n, 4)] / (b * b)          # |q.k / d| <= 1/2 (|q_j| <= 1/(2b), |k_j| <= b)
    c = ctx.asarray([1 / ctx.num(math.factorial(j)) for j in range(g + 1)])
    Q = ctx.asarray(Qf)
    sc = ctx.num(1) / d
    Ts = fa.stream_attention(Q, Sv, s1, c, sc)
    Tb = fa.poly_attention(Q, K, V, c, sc)
    return certify.all_of(
        certify.le(max_abs(Sv - Sb), tol * vmax, label="|stream U2^T V - batch|"),
        certify.le(max_abs(s1 - sb), tol, label="|stream U2^T 1 - batch|"),
        certify.le(max_abs(Ts - Tb), tol * vmax * 8, label="|row formula - D~^-1 U1 U2^T V|"),
    )


@certify.claim(
    id="addanki2023.one_pass_sublinear_space",
    source=f"{SRC} abstract (one pass, o(n) space, memory nearly constant)",
    statement=r"\text{floats kept by the one-pass algorithm}=o(n)\ \text{(nearly constant in }n),\ "
              r"d=\max(1,\lceil c_d\log_2 n\rceil)",
    tag="ABSTRACT",
    kind="scaling",
    sweep={"n": [2**10, 2**12, 2**14, 2**16, 2**18]},
    fit="loglog",
    expected_exponent=0.0,
    exponent_bound=0.25,
    params=dict(c_d=0.1, g=4, chunk=4096, exponent_margin=0.25),
    expect=None,
    mutants=[certify.mutant("store_keys", times_size(1))],
)
def one_pass_sublinear_space(rng, n, c_d, g, chunk, exponent_margin):
    n = int(n)
    d = max(1, math.ceil(c_d * math.log2(n)))
    K = rng.uniform(-1.0, 1.0, (n, d))
    V = rng.standard_normal((n, d))
    _, _, kept = FA.stream_factor_sums(K, V, g, chunk)
    return float(kept)


@certify.claim(
    id="addanki2023.error_vs_n",
    source=f"{SRC} abstract (the error guarantee diminishes as n grows)",
    statement=r"\|T-\mathrm{Att}\|_{\max}\text{ decreases in } n\ (\text{degree for accuracy } n^{-c_\varepsilon},\ "
              r"\|Q\|_{\max},\|K\|_{\max},\|V\|_{\max}\le B)",
    tag="ABSTRACT",
    kind="scaling",
    sweep={"n": [2**8, 2**9, 2**10, 2**11, 2**12, 2**13, 2**14]},
    fit="loglog",
    expected_exponent=0.0,
    exponent_bound=0.25,
    params=dict(B=0.75, c_d=0.25, c_eps=1.0, rows=32, exponent_margin=0.25),
    expect=None,
    mutants=[certify.mutant("error_times_n2", times_size(2))],
)
def error_vs_n(rng, n, B, c_d, c_eps, rows, exponent_margin):
    n = int(n)
    d = log_dimension(n, c_d)
    K, V = B * rng.choice([-1.0, 1.0], (n, d)), B * rng.choice([-1.0, 1.0], (n, d))
    g = FA.exp_poly_min_degree(B * B, n ** (-c_eps))
    c = FA.exp_poly_coefficients(B * B, g)
    Sv, s1, _ = FA.stream_factor_sums(K, V, g, 4096)
    idx = rng.choice(n, size=min(n, rows), replace=False)
    T = FA.stream_attention(K[idx], Sv, s1, c, 1.0 / d)
    return max(float(np.max(np.abs(T - FA.attention(K[idx], K, V, 1.0 / d)))), 1e-300)


@certify.claim(
    id="addanki2023.sparse_recovery",
    source=f"{SRC} (locator unknown); {CAT} (29)",
    statement=r"\|\hat y-y\|_2\le(1+\varepsilon_1)\min_{k\text{-sparse }y'}\|y'-y\|_2+\varepsilon_2\ "
              r"\text{w.p.}\ge 0.99\ (\text{width }\lceil C_wk/\varepsilon_1\rceil,\ \lceil C_{reps}\ln n\rceil"
              r"\text{ repetitions})",
    tag="RECONSTRUCTED",
    kind="probability",
    delta=0.01,
    inputs=dict(inst=fst.sparse_columns(n=(16, 128))),
    params=dict(eps1=0.5, C_w=4.0, C_reps=1.0, delta=0.01),
    expect=None,
    mutants=[certify.scale("C_w", 0.05)],
    dps=30,
)
def sparse_recovery(ctx, inst, rng, eps1, C_w, C_reps, delta):
    y, k = inst["y"], inst["k"]
    n = y.size
    width = max(1, math.ceil(C_w * k / eps1))
    reps = max(1, math.ceil(C_reps * math.log(n)))
    seed = int(rng.integers(0, 2**32 - 1))
    yh = ctx.fast_attention.countsketch_recover(y, k, width, reps, seed)
    yf = _fl(ctx, y)
    tail_idx = np.argsort(-np.abs(yf), kind="stable")[k:]
    tail = ctx.sqrt(ctx.sum(y[tail_idx] * y[tail_idx])) if tail_idx.size else ctx.num(0)
    err = ctx.norm(yh - y)
    return certify.le(err, (1 + ctx.num(eps1)) * tail + ctx.num(1) / n, label=f"k={k}, width={width}, reps={reps}")

"""Tight constants, second set (`tight7.*`): true bounds with an exactly known best constant, laid out like
bench/claims_plain.py's tight_constants suite (KNOWN_SUP: sup of lhs/rhs; BOXES: the CMA-ES peer's box;
PLAIN_TIGHT: the ones written with plain hypothesis strategies).

Written in session 7 by a probe helper who had not seen certify's search code tuned on them, and run once on the
code of commit 333d283 (certify 10 of 12 at >= 0.99, CMA-ES 12 of 12). The search changes of that session were
made after reading those misses, so for them this set is *not* held out; batch B (BATCH_B) was written after
batch A's results, to test the diagnoses. Each sup is argued in the comment above its claim and was checked
independently (mpmath closed forms, exact enumeration of 2^13 and 2^19 cuts, LPs for the Chebyshev claims, each
claim evaluated at an explicit maximiser in float64 and at 50 digits, a scipy multistart that never exceeded it).
Hard ones (marked HARD): duffin_schaeffer, maxcut, gibbs, cheb_monic, pinsker_limit, mirsky.

Usage: python bench/search_power_suites.py --module claims_tight7 --claims 'tight7.*' --seeds 3
       --out bench/results/search_power_tight7
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
from hypothesis import strategies as st

import certify
from certify import strategies as cst

TRUTH: dict[str, bool] = {}
KNOWN_SUP: dict[str, float] = {}
BOXES: dict[str, tuple] = {}
HELDOUT: set = set()


def vec(n, lo, hi):
    return st.lists(st.floats(lo, hi), min_size=n, max_size=n).map(np.array)


def box(cid, lo, hi, decode, ints=0):
    BOXES[cid] = (np.asarray(lo, dtype=float), np.asarray(hi, dtype=float), ints, decode)


_R = np.random.default_rng(777)

# =========================================================================== plain hypothesis strategies
# 1. ||C + X||_2 <= ||C + X||_F, X in [-1,1]^{4x5}, C fixed in [-0.5,0.5]: equality iff C + X has rank one
#    (an interior 8-dim manifold, e.g. X = -C + 0.1 u v^T); the box's vertices are not rank one after the shift.
_CF = _R.uniform(-0.5, 0.5, (4, 5))


@certify.claim(id="tight7.frob_rank1", source="||A||_2 <= ||A||_F", statement=r"\|C+X\|_2 \le \|C+X\|_F",
               tag="USER", inputs=dict(x=vec(20, -1.0, 1.0)),
               assume=lambda x: float(np.linalg.norm(np.asarray(x).reshape(4, 5) + _CF)) > 1e-3)
def frob_rank1(ctx, x):
    A = ctx.asarray(_CF) + ctx.reshape(x, (4, 5))
    return certify.le(ctx.max(ctx.svdvals(A)), ctx.norm(A, "fro"))


KNOWN_SUP["tight7.frob_rank1"] = 1.0
box("tight7.frob_rank1", [-1] * 20, [1] * 20, lambda z: dict(x=np.asarray(z, dtype=float)))

# 2. HARD (thin ridge, 7 dims). Duffin-Schaeffer at x = 1: p'(1) = sum_k w_k p(x_k) (Lagrange at the 7
#    Chebyshev extrema x_k = cos(k pi/6)), sum |w_k| = T_6'(1) = 36, so |p'(1)| <= 36 max_k |p(x_k)|;
#    equality only on the ray p = t T_6 (T_6/64 has float coefficients in the box). Monomial basis.
_N6 = 6


@certify.claim(id="tight7.duffin_schaeffer", source="Duffin-Schaeffer 1941 (Markov at the nodes)",
               statement=r"|p'(1)| \le n^2 \max_k |p(\cos(k\pi/n))|,\ \deg p = 6", tag="USER",
               inputs=dict(c=vec(7, -1.0, 1.0)), assume=lambda c: float(np.max(np.abs(c))) > 1e-3)
def duffin_schaeffer(ctx, c):
    return _duffin(ctx, c)


def _duffin(ctx, c):
    dp1 = ctx.sum(ctx.asarray(np.arange(7.0)) * c)
    m = None
    for k in range(_N6 + 1):
        x = ctx.cos(k * ctx.pi / _N6) if k not in (0, _N6) else ctx.asarray(1.0 if k == 0 else -1.0)
        v = ctx.abs(sum(c[j] * x ** j for j in range(7)))
        m = v if m is None else ctx.maximum(m, v)
    return certify.le(ctx.abs(dp1), _N6 ** 2 * m)


KNOWN_SUP["tight7.duffin_schaeffer"] = 1.0
box("tight7.duffin_schaeffer", [-1] * 7, [1] * 7, lambda z: dict(c=np.asarray(z, dtype=float)))

# 3. HARD (many local maxima and an integer). S_n(x) = sum_{k<=n} sin(kx)/k on [0, pi], n <= 60: n local
#    maxima, the highest at x = pi/(n+1) (verified per n by a 20001-point grid), increasing with n; so the
#    sup of S_n(x)/Si(pi) is S_60(pi/61)/Si(pi) = 0.98605723779122117815 (mpmath, 40 digits; the float64 Si(pi)
#    in the claim changes it by < 1e-16).
_SI_PI = float(mpmath.si(mpmath.pi))


@certify.claim(id="tight7.gibbs", source="Gibbs phenomenon / Fejer-Jackson-Gronwall sums",
               statement=r"\sum_{k=1}^n \frac{\sin kx}{k} \le \mathrm{Si}(\pi),\ n \le 60", tag="USER",
               inputs=dict(x=st.floats(0.0, math.pi), n=st.integers(1, 60)))
def gibbs(ctx, x, n):
    x = ctx.asarray(x)
    s = sum(ctx.sin(k * x) / k for k in range(1, n + 1))
    return certify.le(s, _SI_PI)   # the float64 Si(pi): still above every S_n(x), n <= 60


KNOWN_SUP["tight7.gibbs"] = 0.98605723779122117815
box("tight7.gibbs", [0, 1], [math.pi, 60], lambda z: dict(x=float(z[0]), n=int(round(z[1]))), ints=1)

# 4. Samuelson 1968: max_i |x_i - mean| <= sqrt(n-1) * std (population); equality iff all but one x_i are
#    equal (a 2-dim subspace of [-1,1]^10).


@certify.claim(id="tight7.samuelson", source="Samuelson 1968 / Laguerre",
               statement=r"\max_i |x_i - \bar x| \le \sqrt{n-1}\,\sigma(x),\ x \in [-1,1]^{10}", tag="USER",
               inputs=dict(x=vec(10, -1.0, 1.0)), assume=lambda x: float(np.ptp(x)) > 1e-3)
def samuelson(ctx, x):
    n = len(x)
    mu = ctx.sum(x) / n
    d = x - mu
    return certify.le(ctx.max(ctx.abs(d)), ctx.sqrt(ctx.asarray(n - 1.0)) * ctx.sqrt(ctx.sum(d * d) / n))


KNOWN_SUP["tight7.samuelson"] = 1.0
box("tight7.samuelson", [-1] * 10, [1] * 10, lambda z: dict(x=np.asarray(z, dtype=float)))

# 5. Poisson mode vs Stirling: x^k e^-x / k! <= 1/sqrt(2 pi k) (Robbins: k! >= sqrt(2 pi k)(k/e)^k e^{1/(12k+1)});
#    sup over x at x = k; sqrt(2 pi k) k^k e^-k / k! increases in k, so the sup over k <= 50 is at (x, k) = (50, 50):
#    0.99833474363362026450 (mpmath). The peak moves with the integer.


@certify.claim(id="tight7.poisson_stirling", source="Stirling / Robbins 1955",
               statement=r"\frac{x^k e^{-x}}{k!} \le \frac{1}{\sqrt{2\pi k}},\ 1 \le k \le 50,\ 0 \le x \le 60",
               tag="USER", inputs=dict(x=st.floats(0.0, 60.0), k=st.integers(1, 50)))
def poisson_stirling(ctx, x, k):
    x = ctx.asarray(x)
    return certify.le(x ** k * ctx.exp(-x) / ctx.asarray(math.factorial(k)), 1 / ctx.sqrt(2 * ctx.pi * k))


KNOWN_SUP["tight7.poisson_stirling"] = 0.99833474363362026450
box("tight7.poisson_stirling", [0, 1], [60, 50], lambda z: dict(x=float(z[0]), k=int(round(z[1]))), ints=1)

# 6. HARD (vertex among 2^14, many local optima). Weighted max-cut: sum_{i<j} w_ij |x_i - x_j| over [0,1]^14 is
#    convex, so its max is at a vertex: the max-cut weight W*, enumerated over all 2^13 cuts below (exact integers).
_WM = np.triu(_R.integers(0, 5, (14, 14)), 1).astype(float)
_IU = np.nonzero(_WM)
_VC = np.array([[(m >> i) & 1 for i in range(14)] for m in range(2 ** 13)], dtype=float)
_WSTAR = float(max(np.sum(_WM[_IU] * np.abs(v[_IU[0]] - v[_IU[1]])) for v in _VC))


@certify.claim(id="tight7.maxcut", source="max-cut: convex maximisation over a box",
               statement=r"\sum_{i<j} w_{ij} |x_i - x_j| \le \mathrm{maxcut}(w),\ x \in [0,1]^{14}", tag="USER",
               inputs=dict(x=vec(14, 0.0, 1.0)))
def maxcut(ctx, x):
    w = ctx.asarray(_WM[_IU])
    return certify.le(ctx.sum(w * ctx.abs(x[_IU[0]] - x[_IU[1]])), _WSTAR)


KNOWN_SUP["tight7.maxcut"] = 1.0
box("tight7.maxcut", [0] * 14, [1] * 14, lambda z: dict(x=np.asarray(z, dtype=float)))

PLAIN_TIGHT = {"tight7.frob_rank1", "tight7.duffin_schaeffer", "tight7.gibbs", "tight7.samuelson",
               "tight7.poisson_stirling", "tight7.maxcut"}

# =========================================================================== certify.strategies
# 7. ||C+M||_* <= sqrt(3) ||C+M||_F for 3x4: equality iff the three singular values are equal (C + M a scaled
#    matrix with orthonormal rows); C fixed in [-0.6,0.6] so that 0/±1 edge values do not hit it; reachable:
#    M = 0.3 V - C with V V^T = I.
_CN = _R.uniform(-0.6, 0.6, (3, 4))


@certify.claim(id="tight7.nuclear_frob", source="Cauchy-Schwarz on singular values",
               statement=r"\|C+M\|_* \le \sqrt{3}\,\|C+M\|_F", tag="USER",
               inputs=dict(M=cst.matrices(shape=(3, 4), bound=1.0)),
               assume=lambda M: float(np.linalg.norm(M + _CN)) > 1e-3)
def nuclear_frob(ctx, M):
    A = ctx.asarray(_CN) + M
    return certify.le(ctx.sum(ctx.svdvals(A)), ctx.sqrt(ctx.asarray(3.0)) * ctx.norm(A, "fro"))


KNOWN_SUP["tight7.nuclear_frob"] = 1.0
box("tight7.nuclear_frob", [-1] * 12, [1] * 12, lambda z: dict(M=np.asarray(z, dtype=float).reshape(3, 4)))

# 8. HARD (sup only in a limit). Pinsker: 2 TV(p,q)^2 <= KL(p||q), p = softmax(u), q = softmax(v). Constant 2 is
#    best only as p -> q with q split in two halves of equal mass and p - q proportional to +-q on them. Assume
#    the centred logits differ by >= 1e-2 (softmax is shift invariant: u = v + c gives p = q and a float64 KL of
#    pure rounding; the gap keeps KL >= ~1e-6): the sup there is < 1 but >= 0.9999 (verify_claims.py).


def _centred_gap(u, v):
    d = np.asarray(u, dtype=float) - np.asarray(v, dtype=float)
    return float(np.max(np.abs(d - d.mean())))


@certify.claim(id="tight7.pinsker_limit", source="Pinsker 1964 (best constant, Csiszar)",
               statement=r"2\,\mathrm{TV}(p,q)^2 \le \mathrm{KL}(p\|q),\ p, q = \mathrm{softmax}(u), \mathrm{softmax}(v)",
               tag="USER", inputs=dict(u=cst.vectors(n=4, bound=4.0), v=cst.vectors(n=4, bound=4.0)),
               assume=lambda u, v: _centred_gap(u, v) >= 1e-2)
def pinsker_limit(ctx, u, v):
    lp = u - ctx.logsumexp(u)
    lq = v - ctx.logsumexp(v)
    p, q = ctx.exp(lp), ctx.exp(lq)
    tv = ctx.sum(ctx.abs(p - q)) / 2
    return certify.le(2 * tv * tv, ctx.sum(p * (lp - lq)))


KNOWN_SUP["tight7.pinsker_limit"] = 1.0
box("tight7.pinsker_limit", [-4] * 8, [4] * 8, lambda z: dict(u=np.asarray(z[:4], dtype=float),
                                                           v=np.asarray(z[4:], dtype=float)))

# 9. von Neumann trace inequality tr(AB) <= sum_i sigma_i(A) sigma_i(B), 3x3: equality iff A and B^T share
#    singular vectors in order (e.g. A = B^T: tr(B^T B) = sum sigma^2).


@certify.claim(id="tight7.von_neumann", source="von Neumann 1937",
               statement=r"\mathrm{tr}(AB) \le \sum_i \sigma_i(A)\sigma_i(B)", tag="USER",
               inputs=dict(A=cst.matrices(shape=(3, 3), bound=1.0), B=cst.matrices(shape=(3, 3), bound=1.0)),
               assume=lambda A, B: float(np.abs(A).max()) > 1e-3 and float(np.abs(B).max()) > 1e-3)
def von_neumann(ctx, A, B):
    sa, sb = ctx.svdvals(A), ctx.svdvals(B)   # both descending
    return certify.le(ctx.sum(ctx.diag(A @ B)), ctx.sum(sa * sb))


KNOWN_SUP["tight7.von_neumann"] = 1.0
box("tight7.von_neumann", [-1] * 18, [1] * 18, lambda z: dict(A=np.asarray(z[:9], dtype=float).reshape(3, 3),
                                                             B=np.asarray(z[9:], dtype=float).reshape(3, 3)))

# 10. Weighted Holder in 20 dims: sum w_i |x_i| <= ||w||_{4/3} ||x||_4, equality iff |x_i| proportional to
#     w_i^{1/3} (an interior ray: 2^20 sign orthants); vectors of > 16 entries are drawn from a seed.
_WH = _R.uniform(0.2, 2.0, 20)
_WH_N = float(np.sum(_WH ** (4 / 3)) ** 0.75)


@certify.claim(id="tight7.holder_w20", source="Holder, p = 4",
               statement=r"\sum_i w_i |x_i| \le \|w\|_{4/3} \|x\|_4,\ x \in [-1,1]^{20}", tag="USER",
               inputs=dict(x=cst.vectors(n=20, bound=1.0)), assume=lambda x: float(np.max(np.abs(x))) > 1e-3)
def holder_w20(ctx, x):
    w = ctx.asarray(_WH)
    wn = ctx.sum(w ** (ctx.asarray(4.0) / 3)) ** (ctx.asarray(3.0) / 4)
    return certify.le(ctx.sum(w * ctx.abs(x)), wn * ctx.sqrt(ctx.sqrt(ctx.sum(x ** 4))))


KNOWN_SUP["tight7.holder_w20"] = 1.0
box("tight7.holder_w20", [-1] * 20, [1] * 20, lambda z: dict(x=np.asarray(z, dtype=float)))

# 11. HARD-ish (equality on a thin set). Mirsky 1956: spread(A) = lmax - lmin <= sqrt(2||A||_F^2 - 2 tr(A)^2/n)
#     for symmetric A; equality iff the inner n-2 eigenvalues all equal (lmax + lmin)/2. n = 5.


@certify.claim(id="tight7.mirsky", source="Mirsky 1956",
               statement=r"\lambda_{\max} - \lambda_{\min} \le \sqrt{2\|A\|_F^2 - \tfrac{2}{n}\mathrm{tr}(A)^2}",
               tag="USER", inputs=dict(A=cst.symmetric(n=5, bound=1.0)),
               assume=lambda A: float(np.ptp(np.linalg.eigvalsh(A))) > 1e-3)
def mirsky(ctx, A):
    ev = ctx.eigvalsh(A)
    tr = ctx.sum(ctx.diag(A))
    return certify.le(ev[-1] - ev[0], ctx.sqrt(2 * ctx.sum(A * A) - 2 * tr * tr / 5))


KNOWN_SUP["tight7.mirsky"] = 1.0
_TRI5 = np.triu_indices(5)


def _sym5(z):
    a = np.zeros((5, 5))
    a[_TRI5] = z
    return a + np.triu(a, 1).T


box("tight7.mirsky", [-1] * 15, [1] * 15, lambda z: dict(A=_sym5(np.asarray(z, dtype=float))))

# 12. HARD (nonsmooth minimax, 8 dims). Chebyshev: a monic degree-8 p has max_k |p(cos(k pi/8))| >= 2^-7 (else
#     T_8/128 - p, of degree <= 7, alternates at 9 points); equality only at p = T_8/128 =
#     x^8 - 2x^6 + 1.25x^4 - 0.25x^2 + 1/128 (float coefficients, inside the box |c_j| <= 2.5).


@certify.claim(id="tight7.cheb_monic", source="Chebyshev 1854 (monic minimax)",
               statement=r"2^{1-n} \le \max_k |p(\cos(k\pi/n))|,\ p = x^8 + \sum_{j<8} c_j x^j", tag="USER",
               inputs=dict(c=cst.vectors(n=8, bound=2.5)))
def cheb_monic(ctx, c):
    return _cheb(ctx, c)


def _cheb(ctx, c):
    m = None
    for k in range(9):
        x = ctx.cos(k * ctx.pi / 8) if k not in (0, 4, 8) else ctx.asarray({0: 1.0, 4: 0.0, 8: -1.0}[k])
        v = ctx.abs(x ** 8 + sum(c[j] * x ** j for j in range(8)))
        m = v if m is None else ctx.maximum(m, v)
    return certify.le(ctx.asarray(2.0) ** -7, m)


KNOWN_SUP["tight7.cheb_monic"] = 1.0
box("tight7.cheb_monic", [-2.5] * 8, [2.5] * 8, lambda z: dict(c=np.asarray(z, dtype=float)))

# =========================================================================== batch B (written AFTER batch A's
# results, to test the diagnoses; reported apart). Same maxima as batch A claims, other strategies, or a
# larger vertex problem with certify.strategies.
BATCH_B = {"tight7.b_duffin_cst", "tight7.b_cheb_plain", "tight7.b_maxcut20_cst"}


@certify.claim(id="tight7.b_duffin_cst", source="Duffin-Schaeffer 1941 (as tight7.duffin_schaeffer)",
               statement=r"|p'(1)| \le n^2 \max_k |p(\cos(k\pi/n))|,\ \deg p = 6", tag="USER",
               inputs=dict(c=cst.vectors(n=7, bound=1.0)), assume=lambda c: float(np.max(np.abs(c))) > 1e-3)
def b_duffin_cst(ctx, c):
    return _duffin(ctx, c)


KNOWN_SUP["tight7.b_duffin_cst"] = 1.0
box("tight7.b_duffin_cst", [-1] * 7, [1] * 7, lambda z: dict(c=np.asarray(z, dtype=float)))


@certify.claim(id="tight7.b_cheb_plain", source="Chebyshev 1854 (as tight7.cheb_monic)",
               statement=r"2^{1-n} \le \max_k |p(\cos(k\pi/n))|,\ p = x^8 + \sum_{j<8} c_j x^j", tag="USER",
               inputs=dict(c=vec(8, -2.5, 2.5)))
def b_cheb_plain(ctx, c):
    return _cheb(ctx, c)


KNOWN_SUP["tight7.b_cheb_plain"] = 1.0
box("tight7.b_cheb_plain", [-2.5] * 8, [2.5] * 8, lambda z: dict(c=np.asarray(z, dtype=float)))

# max-cut on 20 nodes over [-1,1]^20: sum_{i<j} w_ij |x_i - x_j| / 2 is convex, max at a vertex = the max-cut
# weight, enumerated over all 2^19 cuts (exact integers). cst.vectors of 20 entries are drawn from a seed.
_WM20 = np.triu(np.random.default_rng(2020).integers(0, 5, (20, 20)), 1).astype(float)
_IU20 = np.nonzero(_WM20)


def _maxcut20():
    w = _WM20[_IU20]
    best = 0.0
    for hi in range(2 ** 7):   # chunks of 2^12 cuts (vertex 19 fixed at 0)
        m = (hi << 12) + np.arange(2 ** 12)
        bits = ((m[:, None] >> np.arange(19)) & 1).astype(np.int8)
        bits = np.hstack([bits, np.zeros((len(m), 1), np.int8)])
        cut = (bits[:, _IU20[0]] != bits[:, _IU20[1]]).astype(float) @ w
        best = max(best, float(cut.max()))
    return best


_WSTAR20 = _maxcut20()


@certify.claim(id="tight7.b_maxcut20_cst", source="max-cut: convex maximisation over a box",
               statement=r"\tfrac12\sum_{i<j} w_{ij} |x_i - x_j| \le \mathrm{maxcut}(w),\ x \in [-1,1]^{20}",
               tag="USER", inputs=dict(x=cst.vectors(n=20, bound=1.0)))
def b_maxcut20_cst(ctx, x):
    w = ctx.asarray(_WM20[_IU20])
    return certify.le(ctx.sum(w * ctx.abs(x[_IU20[0]] - x[_IU20[1]])) / 2, _WSTAR20)


KNOWN_SUP["tight7.b_maxcut20_cst"] = 1.0
box("tight7.b_maxcut20_cst", [-1] * 20, [1] * 20, lambda z: dict(x=np.asarray(z, dtype=float)))

PLAIN_TIGHT.add("tight7.b_cheb_plain")

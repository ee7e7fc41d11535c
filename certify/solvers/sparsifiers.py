"""Attention sparsifiers of claims/sparsification.md (arXiv 2304.04397): the reference procedures and baselines.

* `leverage_sampling` -- the randomized reference procedure (9): CountSketch + Gaussian estimate of the column
  leverage scores (`approx_leverage_scores`), probabilities ``p_i = (1-theta) tau~_i / sum tau~ + theta/d``,
  ``m = max(1, floor(C_m n ln(n/delta)))`` i.i.d. draws, ``Y = [X_{i_j} / sqrt(m p_{i_j})]`` (estimator (8)).
* `oblivious_sketch` -- the oblivious alternative of (9) (``y_structure = any``): ``Y = X Omega'`` with an OSNAP
  sketch of ``m = ceil(C_m n ln(n/delta))`` columns.
* `bss_sparsify` -- the deterministic reference procedure (10): Batson-Spielman-Srivastava barrier sparsification
  of the columns, ``<= ceil(c n')`` non-zero weights, ``(1 - eps_c) X X^T <= Y Y^T <= (1 + eps_c) X X^T`` with
  ``eps_c = 2 sqrt(c)/(c+1)``. Returns its iterates (barriers, extreme eigenvalues, chosen column per step).
* `trivial_baseline` (11): ``Y = 0_{n x 1}``; `exact_baseline` (12): a square root of ``X X^T``.

These are the RECONSTRUCTED reference procedures of the catalogue, not the paper's algorithm boxes. They run in
float64 (numpy/LAPACK + the numba kernels of `certify.kernels.sparsification`): the sparsifier is a float64
algorithm whose OUTPUT (the chosen columns and weights) the claims then check in any numeric context, e.g.
``ctx.sparsification.sample_columns(X, res.idx, res.p)`` rebuilds Y at high precision from the same choices.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from certify.errors import invalid
from certify.kernels import sparsification as K

__all__ = [
    "LeverageSketch",
    "SamplingResult",
    "BSSResult",
    "sample_size",
    "draw_leverage_sketch",
    "approx_leverage_scores",
    "sampling_probabilities",
    "leverage_beta",
    "chernoff_sample_size",
    "draw_columns",
    "leverage_sampling",
    "oblivious_sketch",
    "bss_constants",
    "bss_sparsify",
    "trivial_baseline",
    "exact_baseline",
]

_HERE = "solvers.sparsifiers"


def _X(where, X):
    return K._arr(where, "X", X, 2)


def _delta(where, delta):
    try:
        d = float(delta)
    except (TypeError, ValueError):
        raise invalid(where, "delta", delta, "pass a failure probability in (0, 1)") from None
    if not (0.0 < d < 1.0):
        raise invalid(where, "delta", delta, "pass a failure probability in (0, 1)")
    return d


def _pos(where, name, v):
    try:
        f = float(v)
    except (TypeError, ValueError):
        raise invalid(where, name, v, "pass a positive number") from None
    if not (f > 0 and math.isfinite(f)):
        raise invalid(where, name, v, "pass a positive finite number")
    return f


def sample_size(n: int, delta: float, C: float = 1.0) -> int:
    """``max(1, floor(C n ln(n/delta)))``: the m of (9) and of the randomized claim (13).

    The catalogue's (9) writes a ceiling; the floor is used so that the m-bound of claim (13),
    ``m <= C_m n ln(n/delta)``, holds by construction (they differ by less than one column)."""
    where = f"{_HERE}.sample_size"
    delta = _delta(where, delta)
    C = _pos(where, "C", C)
    if int(n) < 1:
        raise invalid(where, "n", n, "pass n >= 1")
    return max(1, math.floor(C * n * math.log(n / delta) + 1e-9))


@dataclass
class LeverageSketch:
    """The random objects of step 1 of (9): CountSketch Omega (bucket ``h``, sign ``sgn``; ``s`` buckets) and the
    ``k x n`` Gaussian ``Pi`` with N(0, 1/k) entries."""

    h: np.ndarray
    sgn: np.ndarray
    Pi: np.ndarray
    s: int
    k: int


def draw_leverage_sketch(rng, n, d, delta=0.1, C_s=1.0, C_k=8.0) -> LeverageSketch:
    """Draw Omega (CountSketch, ``s = max(1, ceil(C_s n ln(n/delta)))`` buckets, the ceiling of (9)) and Pi
    (``k = ceil(C_k ln(d/delta))``)."""
    where = f"{_HERE}.draw_leverage_sketch"
    delta = _delta(where, delta)
    if int(n) < 1:
        raise invalid(where, "n", n, "pass n >= 1")
    s = max(1, math.ceil(_pos(where, "C_s", C_s) * n * math.log(n / delta) - 1e-9))
    k = max(1, math.ceil(_pos(where, "C_k", C_k) * math.log(max(d, 1) / delta) - 1e-9))
    h = rng.integers(0, s, size=d).astype(np.int64)
    sgn = rng.choice(np.array([-1.0, 1.0]), size=d)
    Pi = rng.standard_normal((k, n)) / math.sqrt(k)
    return LeverageSketch(h=h, sgn=sgn, Pi=Pi, s=s, k=k)


def approx_leverage_scores(X, rng=None, delta=0.1, C_s=1.0, C_k=8.0, sketch=None, rtol=None):
    """Step 1 of (9). Returns ``(tau_tilde, sketch)``; pass ``sketch`` to reuse given random objects."""
    where = f"{_HERE}.approx_leverage_scores"
    X = _X(where, X)
    n, d = X.shape
    if sketch is None:
        if rng is None:
            raise invalid(where, "rng", None, "pass a numpy Generator (np.random.default_rng(seed)) or a sketch")
        sketch = draw_leverage_sketch(rng, n, d, delta, C_s, C_k)
    tau = K.approx_leverage_scores(X, sketch.h, sketch.sgn, sketch.Pi, rtol)
    return tau, sketch


def sampling_probabilities(scores, theta=0.0):
    """``p_i = (1 - theta) scores_i / sum(scores) + theta / d`` (uniform when every score is 0)."""
    where = f"{_HERE}.sampling_probabilities"
    sc = K._arr(where, "scores", scores, 1)
    if np.any(sc < 0):
        raise invalid(where, "scores", float(sc[sc < 0][0]), "scores must be >= 0")
    theta = float(theta)
    if not (0.0 <= theta <= 1.0):
        raise invalid(where, "theta", theta, "pass a mixing weight in [0, 1]")
    d = sc.size
    tot = sc.sum()
    if tot <= 0:
        return np.full(d, 1.0 / d)
    return (1.0 - theta) * sc / tot + theta / d


def leverage_beta(X, p, rtol=None):
    """Realised ``beta_tau = min_{tau_i > 0} p_i rank(X) / tau_i`` (p_i >= beta tau_i / rank for every i)."""
    tau = K.leverage_scores(X, rtol)
    rank = max(int(round(float(tau.sum()))), 1)
    pos = tau > 1e-14
    return float(np.min(np.asarray(p)[pos] * rank / tau[pos])) if np.any(pos) else 1.0


def chernoff_sample_size(n, delta, eps, beta=1.0, C_ch=3.0):
    """``ceil(C_ch eps^-2 n ln(n/delta) / beta)``: the m of the matrix-Chernoff sandwich statement."""
    where = f"{_HERE}.chernoff_sample_size"
    delta, eps, beta, C_ch = _delta(where, delta), _pos(where, "eps", eps), _pos(where, "beta", beta), \
        _pos(where, "C_ch", C_ch)
    return max(1, math.ceil(C_ch * n * math.log(n / delta) / (eps * eps * beta) - 1e-9))


def draw_columns(rng, p, m):
    """``m`` i.i.d. column indices with probabilities ``p`` (normalised)."""
    p = np.asarray(p, dtype=float)
    return rng.choice(p.size, size=int(m), replace=True, p=p / p.sum()).astype(np.int64)


@dataclass
class SamplingResult:
    """Output of `leverage_sampling`: ``Y = X[:, idx] / sqrt(m p[idx])`` and what produced it."""

    Y: np.ndarray
    idx: np.ndarray
    p: np.ndarray
    m: int
    scores: np.ndarray
    sketch: LeverageSketch | None
    beta: float  # realised min_i p_i rank / tau_i over tau_i > 0 (the beta_tau of the Chernoff statement)
    rank: int
    iterates: list = field(default_factory=list)  # (prefix size, spectral eps of the rescaled prefix)


def leverage_sampling(X, rng, delta=0.1, C_m=1.0, C_s=1.0, C_k=8.0, theta=0.0, scores="approx", m=None,
                      rtol=None, track=False, diagnostics=True) -> SamplingResult:
    """The randomized reference procedure (9).

    ``scores``: 'approx' (step 1 of (9)), 'exact' (true leverage scores) or 'uniform'. ``m`` overrides
    ``ceil(C_m n ln(n/delta))``. With ``track=True`` the iterates record the spectral eps of the estimator built
    from the first j draws (rescaled to j), for j on a geometric grid. ``diagnostics=False`` skips the exact
    leverage scores (rank, beta are then reported as -1 and nan): use it when timing the procedure itself.
    """
    where = f"{_HERE}.leverage_sampling"
    X = _X(where, X)
    n, d = X.shape
    delta = _delta(where, delta)
    if m is None:
        m = sample_size(n, delta, C_m)
    m = int(m)
    if m < 1:
        raise invalid(where, "m", m, "pass m >= 1")
    tau = K.leverage_scores(X, rtol) if (diagnostics or scores == "exact") else None
    rank = int(round(float(tau.sum()))) if tau is not None else -1
    sketch = None
    if scores == "approx":
        sc, sketch = approx_leverage_scores(X, rng, delta, C_s, C_k, rtol=rtol)
    elif scores == "exact":
        sc = tau
    elif scores == "uniform":
        sc = (np.any(X != 0, axis=0)).astype(float)
    else:
        raise invalid(where, "scores", scores, "pass 'approx', 'exact' or 'uniform'")
    p = sampling_probabilities(sc, theta)
    if tau is not None:
        pos = tau > 1e-14
        beta = float(np.min(p[pos] * max(rank, 1) / tau[pos])) if np.any(pos) else 1.0
    else:
        beta = math.nan
    idx = draw_columns(rng, p, m)
    Y = K.sample_columns(X, idx, p)
    its = []
    if track:
        j = 1
        while True:
            jj = min(j, m)
            its.append((jj, K.spectral_eps(X, K.sample_columns(X, idx[:jj], p), rtol)))
            if jj == m:
                break
            j *= 2
    return SamplingResult(Y=Y, idx=idx, p=p, m=m, scores=sc, sketch=sketch, beta=beta, rank=rank, iterates=its)


def oblivious_sketch(X, rng, delta=0.1, C_m=1.0, nnz_per_col=4, m=None):
    """``Y = X Omega'`` with an OSNAP sketch Omega' in R^{d x m}: each row of Omega' has ``nnz_per_col`` non-zeros
    ``+-1/sqrt(nnz_per_col)`` in distinct random columns (``m = ceil(C_m n ln(n/delta))``)."""
    where = f"{_HERE}.oblivious_sketch"
    X = _X(where, X)
    n, d = X.shape
    if m is None:
        m = sample_size(n, _delta(where, delta), C_m)
    m = int(m)
    s = max(1, min(int(nnz_per_col), m))
    Y = np.zeros((n, m))
    for i in range(d):
        cols = rng.choice(m, size=s, replace=False)
        sg = rng.choice(np.array([-1.0, 1.0]), size=s) / math.sqrt(s)
        Y[:, cols] += X[:, i:i + 1] * sg[None, :]
    return Y


def bss_constants(c, n_rank):
    """Constants of (10) for parameter c > 1 and rank n': dict with dL, dU, eL, eU, l0, u0, Q, lQ, uQ, eps_c."""
    c = float(c)
    sc = math.sqrt(c)
    dL, dU = 1.0, (sc + 1.0) / (sc - 1.0)
    eL, eU = 1.0 / sc, (sc - 1.0) / (c + sc)
    Q = math.ceil(c * n_rank - 1e-9)
    l0, u0 = -n_rank / eL, n_rank / eU
    return dict(dL=dL, dU=dU, eL=eL, eU=eU, l0=l0, u0=u0, Q=Q, lQ=l0 + Q * dL, uQ=u0 + Q * dU,
                eps_c=2.0 * sc / (c + 1.0))


@dataclass
class BSSResult:
    """Output of `bss_sparsify`: weights ``w = s / kappa_s`` on the columns, ``Y = [sqrt(w_i) X_i]_{w_i>0}``."""

    Y: np.ndarray
    weights: np.ndarray
    s: np.ndarray
    kappa: float
    l: float
    u: float
    rank: int
    no_candidate: int  # steps where no column had U(v_i) <= L(v_i) (beyond round-off)
    iterates: list = field(default_factory=list)  # per step: dict(q, i, t, U, L, l, u, lam_min, lam_max)

    @property
    def m(self) -> int:
        return int(np.count_nonzero(self.weights > 0))


def bss_sparsify(X, c=4.0, rtol=None) -> BSSResult:
    """Deterministic reference procedure (10): BSS barrier sparsification of the columns of X (any n x d)."""
    where = f"{_HERE}.bss_sparsify"
    X = _X(where, X)
    c = _pos(where, "c", c)
    if c <= 1.0:
        raise invalid(where, "c", c, "pass c > 1")
    n, d = X.shape
    t_rtol = K._rtol(where, rtol)
    U_, sv, Vt = K._thin_svd(X, t_rtol)
    r = int(sv.size)
    if r == 0:
        return BSSResult(Y=np.zeros((n, 1)), weights=np.zeros(d), s=np.zeros(d), kappa=1.0, l=0.0, u=0.0,
                         rank=0, no_candidate=0, iterates=[])
    V = np.ascontiguousarray(Vt)  # r x d, columns v_i with sum v_i v_i^T = I_r
    nz = np.einsum("ij,ij->j", V, V) > 1e-28
    k = bss_constants(c, r)
    lo, up = k["l0"], k["u0"]
    A = np.zeros((r, r))
    s = np.zeros(d)
    its = []
    bad = 0
    for q in range(k["Q"]):
        a, W = np.linalg.eigh(A)
        Z2 = (W.T @ V) ** 2  # squared coordinates of every v_i in A's eigenbasis
        up2, lo2 = up + k["dU"], lo + k["dL"]
        iu1, iu2 = 1.0 / (up2 - a), 1.0 / (up2 - a) ** 2
        il1, il2 = 1.0 / (a - lo2), 1.0 / (a - lo2) ** 2
        dphi_u = np.sum(1.0 / (up - a)) - np.sum(iu1)
        dphi_l = np.sum(il1) - np.sum(1.0 / (a - lo))
        Uv = (iu2 @ Z2) / dphi_u + iu1 @ Z2
        Lv = (il2 @ Z2) / dphi_l - il1 @ Z2
        gap = np.where(nz, Lv - Uv, -np.inf)
        i = int(np.argmax(gap))
        if gap[i] < -1e-12 * (abs(Lv[i]) + abs(Uv[i])):
            bad += 1
        t = 2.0 / (Uv[i] + Lv[i])
        A += t * np.outer(V[:, i], V[:, i])
        A = 0.5 * (A + A.T)
        s[i] += t
        up, lo = up2, lo2
        ev = np.linalg.eigvalsh(A)
        its.append(dict(q=q, i=i, t=float(t), U=float(Uv[i]), L=float(Lv[i]), l=lo, u=up,
                        lam_min=float(ev[0]), lam_max=float(ev[-1])))
    kappa = 0.5 * (lo + up)
    w = s / kappa
    return BSSResult(Y=K.weighted_columns(X, w), weights=w, s=s, kappa=kappa, l=lo, u=up, rank=r,
                     no_candidate=bad, iterates=its)


def trivial_baseline(X):
    """TRIVIAL BASELINE (11): ``Y = 0_{n x 1}`` (reads nothing of X but n); P(Y) = 1 1^T / n."""
    X = _X(f"{_HERE}.trivial_baseline", X)
    return np.zeros((X.shape[0], 1))


def exact_baseline(X, rtol=None):
    """EXACT BASELINE (12): a square root of ``X X^T`` (``V Lambda^{1/2}``, m = rank X)."""
    return K.exact_root(X, rtol)

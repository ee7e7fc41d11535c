"""Hypothesis strategies for the attention-sparsification claims (claims/sparsification.md, 2304.04397).

Constructive: Hypothesis draws the structure (sizes, family, scale, pattern, noise level, r, u and a seed), a
seeded numpy Generator fills the entries. Families (README section 8 tokens):

* ``dense`` (WELL), ``sparse`` (SPARSE: nnz fraction 1 %, 5 %, 20 %, empty columns), ``aligned`` (ALIGNED: rows
  +-v plus noise 1e-6 .. 1e-1, Gram entries of both signs at the bound), ``dup`` (DUP: exact and near-duplicate
  rows at distance 10^-k), ``rankdef`` (RANKDEF: rank < n), ``coherent`` (COHERENT: a few columns of leverage ~ 1),
  ``heavy`` (heavy-tailed column norms), ``dominant`` (one dominant column), ``tiny`` (TINY: n in {1, 2}).

`gram_bounded` rescales X so that ``||X X^T||_{norm} = u * r`` exactly (up to rounding), r in (0, 0.1) including
r -> 0.1^- and r <= 1e-6, u in (0, 1] including u = 1 (the Gram entry exactly at the bound) and u -> 1^-.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import strategies as st

from . import refinable, seeds
from ._validate import bound_to

__all__ = [
    "FAMILIES",
    "feature_matrix",
    "gram_bounded",
    "r_values",
    "u_values",
    "logit_factors",
    "transfer_pairs",
    "sandwich_pairs",
    "sampling_instances",
]

FAMILIES = ("dense", "sparse", "aligned", "dup", "rankdef", "coherent", "heavy", "dominant", "tiny")
R_MAX = 0.1
_fail, _irange = bound_to("sparsification")


def _fill(rng, family, n, d):
    """One raw X (n x d) of the family (unscaled); never identically zero."""
    if family == "sparse":
        frac = rng.choice([0.01, 0.05, 0.2])
        X = rng.standard_normal((n, d)) * (rng.uniform(size=(n, d)) < frac)
        X[:, rng.uniform(size=d) < 0.2] = 0.0  # empty columns
        for i in range(n):  # no empty rows unless the family wants them (keeps G diagonal positive mostly)
            if not np.any(X[i]) and rng.uniform() < 0.8:
                X[i, rng.integers(d)] = rng.standard_normal()
    elif family == "aligned":
        v = rng.standard_normal(d)
        noise = 10.0 ** rng.uniform(-6, -1)
        signs = rng.choice([-1.0, 1.0], size=(n, 1))
        X = signs * v[None, :] + noise * rng.standard_normal((n, d))
    elif family == "dup":
        X = rng.standard_normal((n, d))
        for i in range(1, n):
            if rng.uniform() < 0.5:
                j = int(rng.integers(i))
                X[i] = X[j] + (0.0 if rng.uniform() < 0.5 else 10.0 ** (-rng.integers(1, 11))) * \
                    rng.standard_normal(d)
    elif family == "rankdef":
        k = int(rng.integers(1, max(2, n)))
        X = rng.standard_normal((n, k)) @ rng.standard_normal((k, d))
    elif family == "coherent":
        X = 1e-2 * rng.standard_normal((n, d))
        few = rng.choice(d, size=min(d, int(rng.integers(1, n + 1))), replace=False)
        X[:, few] = rng.standard_normal((n, few.size)) * 10.0
    elif family == "heavy":
        X = rng.standard_normal((n, d)) * (rng.pareto(1.2, size=d) + 1e-3)[None, :]
    elif family == "dominant":
        X = rng.standard_normal((n, d))
        X[:, int(rng.integers(d))] *= 10.0 ** rng.uniform(1, 3)
    else:  # dense, tiny
        X = rng.standard_normal((n, d))
    if not np.any(X):
        X[0, 0] = 1.0
    return X


def _gram_norm(X, norm):
    G = np.abs(X @ X.T)
    return float(G.max()) if norm == "max" else float(G.sum(axis=1).max())


def feature_matrix(n=(2, 12), d_over_n=(4, 30), d_max=400, families=FAMILIES):
    """Raw X in R^{n x d}, d = ratio * n (ratio drawn in `d_over_n`, capped by `d_max`), from `families`."""
    nlo, nhi = _irange("feature_matrix", "n", n)
    rlo, rhi = _irange("feature_matrix", "d_over_n", d_over_n)
    fams = tuple(families)
    bad = [f for f in fams if f not in FAMILIES]
    if bad or not fams:
        _fail("feature_matrix", "families", families, f"choose from {FAMILIES}")

    @st.composite
    def build(draw):
        fam = draw(st.sampled_from(fams))
        nn = draw(st.integers(1, 2)) if fam == "tiny" else draw(st.integers(nlo, nhi))
        ratio = draw(st.integers(rlo, rhi))
        dd = max(nn, min(int(d_max), ratio * nn))
        rng = np.random.default_rng(draw(seeds()))
        return _fill(rng, fam, nn, dd)

    return refinable(build(), lambda X: isinstance(X, np.ndarray) and X.ndim == 2 and np.all(np.isfinite(X))
                     and bool(np.any(X)))


def r_values(lo=1e-7, hi=R_MAX):
    """r in [lo, hi): log-uniform, plus r <= 1e-6, r = hi (1 - 2^-40) (-> hi^-) and hi/2."""
    edge = [lo, 1e-6, hi * (1 - 2.0 ** -40), hi / 2]
    body = st.floats(math.log10(lo), math.log10(hi), exclude_max=True).map(lambda e: 10.0 ** e)
    return st.one_of(st.sampled_from(edge), body).filter(lambda r: lo <= r < hi)


def u_values():
    """u in (0, 1]: 1 (the Gram entry exactly at the bound), 1^- and a spread over (1e-3, 1)."""
    return st.one_of(st.sampled_from([1.0, 1.0 - 2.0 ** -40, 0.5]), st.floats(1e-3, 1.0))


def gram_bounded(n=(2, 12), d_over_n=(4, 30), d_max=400, families=FAMILIES, norm="max", r=None, u=None):
    """dict(X, r, u) with ``||X X^T||_norm = u r`` (X from `feature_matrix`), r in (0, 0.1), u in (0, 1].

    Pass ``r`` / ``u`` as floats to pin them, or as strategies."""
    if norm not in ("max", "row"):
        _fail("gram_bounded", "norm", norm, "pass 'max' or 'row'")
    xs = feature_matrix(n, d_over_n, d_max, families)
    rs = r_values() if r is None else (st.just(float(r)) if isinstance(r, (int, float)) else r)
    us = u_values() if u is None else (st.just(float(u)) if isinstance(u, (int, float)) else u)

    @st.composite
    def build(draw):
        X = draw(xs)
        rr, uu = draw(rs), draw(us)
        g = _gram_norm(X, norm)
        return {"X": X * math.sqrt(uu * rr / g), "r": float(rr), "u": float(uu)}

    def member(inst):
        X, rr, uu = inst["X"], inst["r"], inst["u"]
        return (X.ndim == 2 and np.all(np.isfinite(X)) and bool(np.any(X)) and 0 < rr < R_MAX and 0 < uu <= 1
                and _gram_norm(X, norm) <= uu * rr * (1 + 1e-9))

    return refinable(build(), member)


def logit_factors(n=(1, 10), k=(1, 8), logit_max=(1e-3, 700.0)):
    """Z (n x k) with largest logit |<z_i, z_k>| equal to a drawn value in `logit_max` (up to 700: saturated rows,
    probabilities down to e^-1400), including exact ties (duplicated rows) and zero rows."""
    nlo, nhi = _irange("logit_factors", "n", n)
    klo, khi = _irange("logit_factors", "k", k)
    lo, hi = logit_max

    @st.composite
    def build(draw):
        nn, kk = draw(st.integers(nlo, nhi)), draw(st.integers(klo, khi))
        top = draw(st.one_of(st.sampled_from([lo, hi, 1.0, 50.0, 200.0]),
                             st.floats(math.log10(lo), math.log10(hi)).map(lambda e: 10.0 ** e)))
        rng = np.random.default_rng(draw(seeds()))
        Z = rng.standard_normal((nn, kk))
        pattern = draw(st.sampled_from(["plain", "ties", "zero_row", "sat"]))
        if pattern == "ties" and nn > 1:
            Z[1] = Z[0]
        elif pattern == "zero_row":
            Z[int(rng.integers(nn))] = 0.0
        elif pattern == "sat":  # one dominant row norm per row index: saturated rows
            Z *= (10.0 ** rng.uniform(-2, 0, size=(nn, 1)))
        g = float(np.max(np.abs(Z @ Z.T)))
        return Z * math.sqrt(top / g) if g > 0 else Z

    return refinable(build(), lambda Z: Z.ndim == 2 and np.all(np.isfinite(Z))
                     and float(np.max(np.abs(Z @ Z.T))) <= 1.01 * hi)


def transfer_pairs(n=(1, 10), d=(1, 12), eta=(1e-12, 10.0)):
    """dict(X, Y) with ``eta = ||Y Y^T - X X^T||_max`` drawn in `eta`: Y = [X, c W] (E = c^2 W W^T >= 0,
    concentrated in one row or spread), Y = X + c W (indefinite E), Y = X with one row rescaled, Y independent."""
    nlo, nhi = _irange("transfer_pairs", "n", n)
    dlo, dhi = _irange("transfer_pairs", "d", d)
    elo, ehi = eta

    @st.composite
    def build(draw):
        nn, dd = draw(st.integers(nlo, nhi)), draw(st.integers(dlo, dhi))
        kind = draw(st.sampled_from(["append_row", "append", "add", "rowscale", "indep"]))
        target = draw(st.one_of(st.sampled_from([elo, ehi, 1e-8, 1.0]),
                                st.floats(math.log10(elo), math.log10(ehi)).map(lambda e: 10.0 ** e)))
        xscale = draw(st.sampled_from([0.1, 1.0, 3.0]))
        rng = np.random.default_rng(draw(seeds()))
        X = rng.standard_normal((nn, dd)) * xscale / math.sqrt(dd)
        if kind in ("append_row", "append"):
            W = np.zeros((nn, 1))
            if kind == "append_row":
                W[int(rng.integers(nn)), 0] = 1.0
            else:
                W = rng.standard_normal((nn, 2))
            E = W @ W.T
            c = math.sqrt(target / np.max(np.abs(E)))
            Y = np.hstack([X, c * W])
        elif kind == "add":
            W = rng.standard_normal((nn, dd))
            # |E(c)| is increasing in c near 0; find c with max|E| ~ target by bisection on log c
            lo_c, hi_c = 1e-16, 1e4
            for _ in range(200):
                c = math.sqrt(lo_c * hi_c)
                Yc = X + c * W
                e = np.max(np.abs(Yc @ Yc.T - X @ X.T))
                lo_c, hi_c = (c, hi_c) if e < target else (lo_c, c)
            Y = X + math.sqrt(lo_c * hi_c) * W
        elif kind == "rowscale":
            i = int(rng.integers(nn))
            Y = X.copy()
            a = float(X[i] @ X[i])
            s2 = max(0.0, 1.0 + rng.choice([-1.0, 1.0]) * target / max(a, 1e-300))
            Y[i] *= math.sqrt(s2)
        else:
            Y = rng.standard_normal((nn, int(rng.integers(1, dd + 2)))) * xscale
        return {"X": X, "Y": Y}

    return refinable(build(), lambda p: p["X"].ndim == 2 and p["Y"].ndim == 2 and p["X"].shape[0] == p["Y"].shape[0]
                     and np.all(np.isfinite(p["X"])) and np.all(np.isfinite(p["Y"]))
                     and float(np.max(np.abs(p["Y"] @ p["Y"].T - p["X"] @ p["X"].T))) <= 1.01 * ehi)


def sandwich_pairs(n=(1, 8), k=(1, 24), eps=(1e-6, 0.99)):
    """dict(B, M): Y := B M has ``Y Y^T = B (M M^T) B^T``, so ``(1 - e) G <= Y Y^T <= (1 + e) G`` (G = B B^T) with
    e = ||M M^T - I|| drawn in `eps` (the whole sandwich set, M = (I + F)^{1/2} with F = e * (random symmetric,
    spectrum in [-1, 1], an extreme eigenvalue at +-1)); B dense, exactly rank deficient (copies / multiples / zero
    rows), near singular (kappa 1e4 .. 1e8) or duplicated."""
    nlo, nhi = _irange("sandwich_pairs", "n", n)
    klo, khi = _irange("sandwich_pairs", "k", k)
    elo, ehi = eps

    @st.composite
    def build(draw):
        nn = draw(st.integers(nlo, nhi))
        kk = draw(st.integers(max(klo, 1), khi))
        e = draw(st.one_of(st.sampled_from([elo, ehi, 0.5]),
                           st.floats(math.log10(elo), math.log10(ehi)).map(lambda t: 10.0 ** t)))
        kind = draw(st.sampled_from(["dense", "rankdef", "nearsing", "dup"]))
        rng = np.random.default_rng(draw(seeds()))
        B = rng.standard_normal((nn, kk))
        if kind == "rankdef" and nn > 1:
            # EXACT rank deficiency (in every precision): rows that are exact copies, sign flips or power-of-two
            # multiples of earlier rows, and zero rows. (A float product A C is only rank deficient up to
            # rounding: its tiny singular values sit at the truncation threshold of eps_meas, an ambiguous case.)
            for i in range(1, nn):
                if rng.uniform() < 0.6:
                    j = int(rng.integers(i))
                    B[i] = B[j] * float(rng.choice([1.0, -1.0, 2.0, 0.5, -4.0, 0.0]))
        elif kind == "nearsing" and min(nn, kk) > 1:
            U, s, Vt = np.linalg.svd(B, full_matrices=False)
            s[-1] = s[0] * 10.0 ** (-rng.integers(4, 9))  # kappa up to 1e8, above the 1e-10 truncation
            B = (U * s) @ Vt
        elif kind == "dup" and nn > 1:
            B[-1] = B[0]
        Q, _ = np.linalg.qr(rng.standard_normal((kk, kk)))
        lam = rng.uniform(-1, 1, size=kk)
        lam[int(rng.integers(kk))] = rng.choice([-1.0, 1.0])
        lamF = e * lam
        M = (Q * np.sqrt(1.0 + lamF)) @ Q.T
        return {"B": B, "M": M}

    return refinable(build(), lambda p: p["B"].ndim == 2 and p["M"].ndim == 2 and p["M"].shape[0] == p["B"].shape[1]
                     and np.all(np.isfinite(p["B"])) and np.all(np.isfinite(p["M"])))


def sampling_instances(n=(1, 6), d=(1, 12), m=(1, 50)):
    """dict(X, p, m) for the estimator (8): d <= 12 columns (some exactly zero), p > 0 on the non-zero columns
    (zero or positive on zero columns), normalised, possibly very skewed (down to 1e-12)."""
    nlo, nhi = _irange("sampling_instances", "n", n)
    dlo, dhi = _irange("sampling_instances", "d", d)
    mlo, mhi = _irange("sampling_instances", "m", m)

    @st.composite
    def build(draw):
        nn, dd, mm = draw(st.integers(nlo, nhi)), draw(st.integers(dlo, dhi)), draw(st.integers(mlo, mhi))
        rng = np.random.default_rng(draw(seeds()))
        X = rng.standard_normal((nn, dd)) * (10.0 ** rng.uniform(-3, 3))
        zero = rng.uniform(size=dd) < 0.25
        if zero.all():
            zero[0] = False
        X[:, zero] = 0.0
        p = 10.0 ** rng.uniform(draw(st.sampled_from([-12.0, -3.0, -0.5])), 0.0, size=dd)
        if draw(st.booleans()):
            p[zero] = 0.0
        p = p / p.sum()
        return {"X": X, "p": p, "m": int(mm)}

    def member(inst):
        X, p = inst["X"], inst["p"]
        nzc = np.any(X != 0, axis=0)
        return bool(np.all(p[nzc] > 0) and np.all(p >= 0) and np.all(np.isfinite(X)))

    return refinable(build(), member)

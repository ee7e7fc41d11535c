"""Hypothesis strategies for the modern Hopfield claims (claims/related.md section 2, 2402.04520).

Hypothesis draws the structure (d, M, family, the target index mu, the noise scale, beta and a seed); a seeded
numpy Generator fills the patterns. Families: ``gaussian`` (WELL), ``sphere`` (all patterns of one norm),
``near_dup`` (DUP: a pattern at distance 10^-k of xi_mu, k = 1..10, or an exact copy), ``antipodal`` (xi_nu = -xi_mu:
the case where the bound of eq. (5) is tight), ``aligned`` (ALIGNED: +-v plus small noise), ``extreme`` (entries at
+-B: the polynomial-method boundary). The query is x = xi_mu + scale * noise with scale in [0, 1] (0 included).
With ``R_max`` the inverse temperature is drawn as a fraction of beta_max = R_max / (B^2 d), B = max entry of
(Xi, x), so that the exponent range of the polynomial method stays bounded (its boundary fraction 1 included).
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import strategies as st

from . import log_uniform, refinable, seeds

__all__ = ["FAMILIES", "retrieval_instances", "query_batches"]

FAMILIES = ("gaussian", "sphere", "near_dup", "antipodal", "aligned", "extreme")


def _patterns(rng, fam, d, M, mu):
    Xi = rng.standard_normal((d, M))
    if fam == "sphere":
        Xi /= np.linalg.norm(Xi, axis=0, keepdims=True)
    elif fam == "near_dup" and M > 1:
        nu = (mu + 1) % M
        k = int(rng.integers(0, 11))
        step = 0.0 if k == 0 else 10.0 ** (-k)
        v = rng.standard_normal(d)
        Xi[:, nu] = Xi[:, mu] + step * v / max(np.linalg.norm(v), 1e-300)
    elif fam == "antipodal" and M > 1:
        Xi[:, (mu + 1) % M] = -Xi[:, mu]
        Xi[:, [j for j in range(M) if j not in (mu, (mu + 1) % M)]] *= 0.5
    elif fam == "aligned":
        v = rng.standard_normal((d, 1))
        Xi = np.sign(rng.uniform(-1, 1, size=(1, M))) * v + 10.0 ** rng.uniform(-6, -1) * Xi
    elif fam == "extreme":
        Xi = np.where(rng.uniform(size=(d, M)) < 0.5, -1.0, 1.0)
    return Xi


def retrieval_instances(d=(1, 6), M=(2, 64), beta=(1e-2, 1e3), families=FAMILIES, R_max=None, scale_max=1.0):
    """dict(Xi (d, M), x (d,), mu, beta)."""
    dlo, dhi = d
    mlo, mhi = M
    fams = tuple(families)

    @st.composite
    def build(draw):
        fam = draw(st.sampled_from(fams))
        dd = draw(st.integers(dlo, dhi))
        MM = draw(st.integers(max(2, mlo) if fam == "antipodal" else mlo, mhi))
        mu = draw(st.integers(0, MM - 1))
        scale = draw(st.one_of(st.sampled_from([0.0, scale_max]), st.floats(0.0, scale_max)))
        rng = np.random.default_rng(draw(seeds()))
        Xi = _patterns(rng, fam, dd, MM, mu)
        x = Xi[:, mu] + scale * rng.standard_normal(dd) / math.sqrt(dd)
        if R_max is None:
            b = draw(log_uniform(*beta))
        else:
            B = max(float(np.max(np.abs(Xi))), float(np.max(np.abs(x))), 1e-12)
            frac = draw(st.one_of(st.just(1.0), log_uniform(1e-3, 1.0)))
            b = frac * R_max / (B * B * dd)
        return {"Xi": Xi, "x": x, "mu": int(mu), "beta": float(b)}

    def member(inst):
        Xi, x, b = inst["Xi"], inst["x"], inst["beta"]
        ok = Xi.ndim == 2 and x.shape == (Xi.shape[0],) and np.all(np.isfinite(Xi)) and np.all(np.isfinite(x))
        ok = ok and 0 <= inst["mu"] < Xi.shape[1] and b > 0
        if ok and R_max is not None:
            B = max(float(np.max(np.abs(Xi))), float(np.max(np.abs(x))))
            ok = b * B * B * Xi.shape[0] <= R_max * (1 + 1e-12)
        elif ok:
            ok = beta[0] <= b <= beta[1]
        return bool(ok)

    return refinable(build(), member)


def query_batches(d=(1, 3), M=(1, 16), L=(1, 16), B=(0.1, 2.0), R_max=8.0):
    """dict(Xi (d, M), X (d, L), beta) with entries in [-B, B] (extremes +-B and HALFMAX-shaped score rows:
    half of each query's scores at the maximum) and beta R-bounded: beta B^2 d <= R_max."""

    @st.composite
    def build(draw):
        dd, MM, LL = draw(st.integers(*d)), draw(st.integers(*M)), draw(st.integers(*L))
        bound = draw(log_uniform(*B))
        shape = draw(st.sampled_from(["uniform", "extreme", "halfmax"]))
        rng = np.random.default_rng(draw(seeds()))
        Xi = rng.uniform(-bound, bound, size=(dd, MM))
        X = rng.uniform(-bound, bound, size=(dd, LL))
        if shape == "extreme":
            Xi, X = np.sign(Xi) * bound, np.sign(X) * bound
        elif shape == "halfmax":
            Xi[:, : (MM + 1) // 2] = bound
            X[:] = bound
        frac = draw(st.one_of(st.just(1.0), log_uniform(1e-3, 1.0)))
        return {"Xi": Xi, "X": X, "beta": float(frac * R_max / (bound * bound * dd))}

    def member(inst):
        Xi, X, b = inst["Xi"], inst["X"], inst["beta"]
        Bm = max(float(np.max(np.abs(Xi))), float(np.max(np.abs(X))))
        return bool(Xi.shape[0] == X.shape[0] and b > 0 and b * Bm * Bm * Xi.shape[0] <= R_max * (1 + 1e-12))

    return refinable(build(), member)

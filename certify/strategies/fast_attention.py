"""Hypothesis strategies for the fast and sparse attention claims (claims/related.md sections 1, 5, 6, 10, 11).

Hypothesis draws the structure (sizes, family, bound, k, a seed); a seeded numpy Generator fills the arrays.
Families (README section 8 tokens): WELL (Gaussian logits), SAT (one logit above the rest by a gap in
{20, 50, 200, 700}), TIES (the top logits exactly tied), HALFMAX (entries in [0, B'] with half of each row at B'),
EXTREME (entries at +-B), COHERENT keys (a few keys of leverage ~ 1), DUP keys (exact and 10^-k copies), sphere
keys, RANKDEF keys, BIGNORM (logit range scaled to R). Boundaries are drawn as such: k in {1, n}, entries
exactly at +-B, eps at the ends of its range.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from . import log_uniform, refinable, seeds

__all__ = ["logit_rows", "bounded_qkv", "gradient_instances", "reduction_instances", "key_sets", "streams",
           "sparse_columns"]


def _finite(*arrs):
    return all(np.all(np.isfinite(a)) for a in arrs)


def logit_rows(n=(2, 256), rows=(1, 3), dv=(1, 3)):
    """dict(S (rows, n) logits, V (n, dv) values, k in [1, n]). V is Gaussian, or +-1 with +1 on the top-k keys of
    row 0 and -1 elsewhere (the case where ||O_i - O^(k)_i||_inf = 2 mu_i(k) ||V||_max is attained)."""

    @st.composite
    def build(draw):
        nn = draw(st.integers(*n))
        rr = draw(st.integers(*rows))
        fam = draw(st.sampled_from(["well", "sat", "ties", "halfmax", "bignorm"]))
        k = draw(st.one_of(st.sampled_from([1, nn]), st.integers(1, nn)))
        rng = np.random.default_rng(draw(seeds()))
        S = rng.standard_normal((rr, nn)) * draw(log_uniform(0.1, 10.0))
        if fam == "sat":
            gap = draw(st.sampled_from([20.0, 50.0, 200.0, 700.0]))
            j = rng.integers(0, nn, size=rr)
            S[np.arange(rr), j] = S.max(axis=1) + gap
        elif fam == "ties":
            t = draw(st.integers(2, max(2, min(nn, 8))))
            S[:, :t] = S.max(axis=1, keepdims=True) + 1.0
        elif fam == "halfmax":
            Bp = draw(log_uniform(1.0, 50.0))
            S = rng.uniform(0.0, Bp, size=(rr, nn))
            S[:, : (nn + 1) // 2] = Bp
        elif fam == "bignorm":
            R = draw(st.sampled_from([10.0, 30.0, 100.0, 300.0, 700.0]))
            S = S / max(np.max(np.abs(S)), 1e-300) * R
        d_v = draw(st.integers(*dv))
        if draw(st.booleans()):
            V = rng.standard_normal((nn, d_v))
        else:
            V = -np.ones((nn, d_v))
            V[np.argsort(-S[0], kind="stable")[:k]] = 1.0
        return {"S": S, "V": V, "k": int(k)}

    def member(inst):
        S, V, k = inst["S"], inst["V"], inst["k"]
        return bool(S.ndim == 2 and V.shape[0] == S.shape[1] and 1 <= k <= S.shape[1] and _finite(S, V))

    return refinable(build(), member)


def bounded_qkv(n=(1, 12), nq=(1, 4), d=(1, 3), B=(0.25, 3.0), shapes=("uniform", "extreme", "halfmax")):
    """dict(Q (nq, d), K (n, d), V (n, dv), B): ||Q||_max, ||K||_max, ||V||_max <= B, with entries at +-B (EXTREME)
    and HALFMAX (Q, K rows at +B on half the keys, so half of each logit row equals the maximum B^2 d)."""

    @st.composite
    def build(draw):
        nn, qq, dd = draw(st.integers(*n)), draw(st.integers(*nq)), draw(st.integers(*d))
        b = draw(log_uniform(*B))
        shape = draw(st.sampled_from(list(shapes)))
        rng = np.random.default_rng(draw(seeds()))
        Q, K = rng.uniform(-b, b, (qq, dd)), rng.uniform(-b, b, (nn, dd))
        V = rng.uniform(-b, b, (nn, draw(st.integers(1, 3))))
        if shape == "extreme":
            Q, K, V = np.sign(Q) * b + (Q == 0) * b, np.sign(K) * b + (K == 0) * b, np.sign(V) * b + (V == 0) * b
        elif shape == "halfmax":
            Q[:] = b
            K[: (nn + 1) // 2] = b
            V = (rng.uniform(size=V.shape) < 0.5) * b
        return {"Q": Q, "K": K, "V": V, "B": float(b)}

    def member(inst):
        b = inst["B"]
        return bool(_finite(inst["Q"], inst["K"], inst["V"])
                    and max(np.max(np.abs(inst[x])) for x in "QKV") <= b * (1 + 1e-12))

    return refinable(build(), member)


def gradient_instances(n=(1, 6), d=(1, 3), families=("well", "bignorm", "sat", "halfmax")):
    """dict(A1, A2, A3, E (n, d), X, Y (d, d)) for the attention loss with logit scale 1/d."""

    @st.composite
    def build(draw):
        nn, dd = draw(st.integers(*n)), draw(st.integers(*d))
        fam = draw(st.sampled_from(list(families)))
        rng = np.random.default_rng(draw(seeds()))
        A1, A2, A3, E = (rng.standard_normal((nn, dd)) for _ in range(4))
        X, Y = rng.standard_normal((dd, dd)), rng.standard_normal((dd, dd))
        if fam == "bignorm":
            X *= draw(st.sampled_from([3.0, 10.0, 30.0]))
        elif fam == "sat":
            A2[0] = A1[0] * 5.0
            X = np.eye(dd) * draw(st.sampled_from([5.0, 20.0]))
        elif fam == "halfmax":
            b = draw(log_uniform(0.5, 4.0))
            A1[:], X = b, np.eye(dd)
            A2[:] = rng.uniform(0, b, (nn, dd))
            A2[: (nn + 1) // 2] = b
            A3 = (rng.uniform(size=(nn, dd)) < 0.5) * 1.0
            Y, E = np.eye(dd), np.zeros((nn, dd))
        return {"A1": A1, "A2": A2, "A3": A3, "E": E, "X": X, "Y": Y}

    def member(inst):
        return bool(_finite(*inst.values()))

    return refinable(build(), member)


def reduction_instances(n=(1, 16), d=(1, 4), B=(1.0, 50.0), lo_frac=(0.0, 1.0)):
    """dict(Z (n, n), V (n, d) in {0, 1}, B, lo): entries of Z in [lo, B] with at least half of each row equal to B
    (the HALFMAX shape of 2402.04497 Lemma E.2); lo = lo_frac B, lo_frac drawn at its ends too."""

    @st.composite
    def build(draw):
        nn, dd = draw(st.integers(*n)), draw(st.integers(*d))
        b = draw(log_uniform(*B))
        fr = draw(st.one_of(st.sampled_from([lo_frac[0]]), st.floats(*lo_frac)))
        lo = fr * b
        rng = np.random.default_rng(draw(seeds()))
        Z = rng.uniform(lo, b, (nn, nn))
        if draw(st.booleans()):
            Z = np.where(rng.uniform(size=Z.shape) < 0.5, lo, Z)
        for i in range(nn):
            Z[i, rng.permutation(nn)[: (nn + 1) // 2]] = b
        V = (rng.uniform(size=(nn, dd)) < draw(st.sampled_from([0.5, 0.1, 0.9]))) * 1.0
        return {"Z": Z, "V": V, "B": float(b), "lo": float(lo)}

    def member(inst):
        Z, b, lo = inst["Z"], inst["B"], inst["lo"]
        half = np.sum(Z == b, axis=1) >= (Z.shape[1] + 1) // 2
        return bool(_finite(Z) and np.all(half) and Z.min() >= lo - 1e-12 and Z.max() <= b * (1 + 1e-12)
                    and set(np.unique(inst["V"])) <= {0.0, 1.0})

    return refinable(build(), member)


def key_sets(n=(2, 48), d=(1, 4), nq=(1, 6), families=("gaussian", "coherent", "sphere", "dup", "rankdef")):
    """dict(K (n, d), Q (nq, d), eps): keys from the families; queries random and aligned with single keys
    (y = (K^T K)^+ k_j, scaled up), the adversarial queries of the heavy-key claims."""

    @st.composite
    def build(draw):
        nn, dd, qq = draw(st.integers(*n)), draw(st.integers(*d)), draw(st.integers(*nq))
        fam = draw(st.sampled_from(list(families)))
        rng = np.random.default_rng(draw(seeds()))
        K = rng.standard_normal((nn, dd))
        if fam == "coherent":
            K[dd:] *= 10.0 ** -draw(st.integers(1, 4))
        elif fam == "sphere":
            K /= np.linalg.norm(K, axis=1, keepdims=True)
        elif fam == "dup" and nn > 1:
            kk = draw(st.integers(0, 10))
            K[1] = K[0] + (0.0 if kk == 0 else 10.0 ** -kk) * rng.standard_normal(dd)
        elif fam == "rankdef" and dd > 1:
            K = K[:, : dd - 1] @ rng.standard_normal((dd - 1, dd))
        Q = rng.standard_normal((qq, dd))
        if draw(st.booleans()):
            G = K.T @ K
            P = np.linalg.pinv(G)
            js = rng.integers(0, nn, size=qq)
            Q = (K[js] @ P) * draw(log_uniform(1.0, 1e3))
        eps = draw(st.one_of(st.sampled_from([0.01, 0.5]), log_uniform(0.01, 0.5)))
        return {"K": K, "Q": Q, "eps": float(eps)}

    def member(inst):
        return bool(_finite(inst["K"], inst["Q"]) and inst["K"].shape[1] == inst["Q"].shape[1]
                    and 0 < inst["eps"] < 1)

    return refinable(build(), member)


def streams(n=(1, 400), d=(1, 3), dv=(1, 3), g=(0, 4), chunk=(1, 64)):
    """dict(K (n, d), V (n, dv), g, chunk): a stream of keys and values read in chunks (chunk in {1, n} drawn)."""

    @st.composite
    def build(draw):
        nn, dd = draw(st.integers(*n)), draw(st.integers(*d))
        rng = np.random.default_rng(draw(seeds()))
        b = draw(log_uniform(0.1, 2.0))
        K = rng.uniform(-b, b, (nn, dd))
        if draw(st.booleans()):
            K = np.sign(K) * b
        V = rng.standard_normal((nn, draw(st.integers(*dv))))
        ch = draw(st.one_of(st.sampled_from([1, nn]), st.integers(*chunk)))
        return {"K": K, "V": V, "g": int(draw(st.integers(*g))), "chunk": int(max(1, ch))}

    def member(inst):
        return bool(_finite(inst["K"], inst["V"]) and inst["K"].shape[0] == inst["V"].shape[0])

    return refinable(build(), member)


def sparse_columns(n=(16, 256), k=(1, 4, 16)):
    """dict(y (n,), k): a column with an exact k-sparse, heavy-tailed (Student t_1) or flat profile."""

    @st.composite
    def build(draw):
        nn = draw(st.integers(*n))
        kk = min(draw(st.sampled_from(list(k))), nn)
        prof = draw(st.sampled_from(["sparse", "heavy", "flat", "sparse_noise"]))
        rng = np.random.default_rng(draw(seeds()))
        if prof == "sparse":
            y = np.zeros(nn)
            y[rng.permutation(nn)[:kk]] = rng.standard_normal(kk) * 10
        elif prof == "sparse_noise":
            y = 0.01 * rng.standard_normal(nn)
            y[rng.permutation(nn)[:kk]] += rng.standard_normal(kk) * 10
        elif prof == "heavy":
            y = rng.standard_t(1.0, nn)
        else:
            y = rng.uniform(0.9, 1.1, nn) * rng.choice([-1.0, 1.0], nn)
        return {"y": y, "k": int(kk)}

    return refinable(build(), lambda inst: bool(_finite(inst["y"]) and 1 <= inst["k"] <= inst["y"].size))

"""Instances for attention regression (arXiv 2309.07418; claims/attention_regression.md section 4).

An instance is a dict of float arrays ``A1, A2, A3, B (n x d), X, Y (d x d)`` plus regularisation weights
``lam_x, w_x (n x n, positive), lam_y, w_y (n,)``. Built constructively: Hypothesis draws the family, the
sizes, the scale and an integer seed; `make_instance` fills the entries with ``np.random.default_rng(seed)``.

Families (README section 8):

* ``WELL``     i.i.d. Gaussian data, X, Y of moderate size.
* ``SELF``     A1 = A2 = A3 (self-attention reading of the abstract).
* ``SAT``      saturated softmax rows: X rescaled so that the widest row gap top1 - top2 equals ``gap``
               (20 ... 700); variant ``tie``: two keys identical, so the two largest logits tie exactly.
* ``BIGNORM``  X rescaled so that max |logit| equals ``R_logit`` (10 ... 700).
* ``ONES``     1_n in range(A2): a constant column (``ones_kind='column'``) or 1_n = A2 z with dense z.
* ``DUP``      exactly duplicated rows of A1 and A2 and a near-duplicate at distance 10^-k.
* ``COND``     A1, A2, A3 with prescribed log-spaced singular values, condition number ``kappa``.
* ``NEARSING`` one singular value of A1, A2 (or A3) set to eta * sigma_max.
* ``TINY``     n, d in {1, 2}.

Options: ``realisable=True`` sets B = S(X*) A3 Y* for a drawn (X*, Y*) (stored as ``Xstar``, ``Ystar``) and starts
(X, Y) near it; ``r_convention in {'each', 'kron'}`` with bound ``R`` rescales to the boundary of section 4.8
(each: ||A_i|| = R, ||X||_F = R, ||Y||_F = R, ||B||_F = R_b; kron: ||A1|| ||A2|| = R, ||x|| = R, ||A3|| = R,
||Y||_F = R).
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from certify.errors import invalid

__all__ = [
    "FAMILIES", "make_instance", "instances", "softmax_logits", "curvature_vectors", "kron_data",
    "attention_matrix_of", "softmax_pairs", "kron_quadratic_data", "flat_instances", "reg_hessian_data",
    "domain_instances",
]

FAMILIES = ("WELL", "SELF", "SAT", "BIGNORM", "ONES", "DUP", "COND", "NEARSING", "TINY")
_HERE = "strategies.attention"


def attention_matrix_of(A1, A2, X, logit_scale=1.0):
    Z = logit_scale * (A1 @ X @ A2.T)
    Z = Z - Z.max(axis=1, keepdims=True)
    E = np.exp(Z)
    return E / E.sum(axis=1, keepdims=True)


def _with_spectrum(rng, n, d, sv):
    k = min(n, d)
    U, _ = np.linalg.qr(rng.normal(size=(n, k)))
    W, _ = np.linalg.qr(rng.normal(size=(d, k)))
    return (U * sv[:k]) @ W.T


def _row_gaps(Z):
    if Z.shape[1] < 2:
        return np.zeros(Z.shape[0])
    srt = np.sort(Z, axis=1)
    return srt[:, -1] - srt[:, -2]


def make_instance(family="WELL", n=4, d=2, seed=0, *, scale=1.0, gap=50.0, R_logit=100.0, kappa=1e3, eta=1e-8,
                  ones_kind="column", dup_k=6, tie=False, realisable=False, start_radius=0.1,
                  r_convention=None, R=2.0, R_b=1.0, lam_x=1.0, lam_y=1.0, w_range=(0.5, 2.0)):
    """Build one attention instance (dict of float arrays); see the module docstring for the families."""
    if family not in FAMILIES:
        raise invalid(f"{_HERE}.make_instance", "family", family, f"use one of {FAMILIES}")
    if n < 1 or d < 1:
        raise invalid(f"{_HERE}.make_instance", "n, d", (n, d), "pass n >= 1 and d >= 1")
    if r_convention not in (None, "each", "kron"):
        raise invalid(f"{_HERE}.make_instance", "r_convention", r_convention, "use None, 'each' or 'kron'")
    rng = np.random.default_rng(seed)
    if family == "TINY":
        n, d = min(n, 2), min(d, 2)
    A1, A2, A3 = (rng.normal(size=(n, d)) for _ in range(3))
    X = rng.normal(size=(d, d)) * scale / np.sqrt(d)
    Y = rng.normal(size=(d, d)) * scale / np.sqrt(d)
    if family == "SELF":
        A2 = A1.copy()
        A3 = A1.copy()
    elif family == "ONES":
        if ones_kind == "column" or d == 1:
            A2[:, 0] = 1.0 if d == 1 else rng.uniform(0.5, 2.0)
        else:
            z = rng.uniform(0.5, 1.5, size=d) * rng.choice([-1.0, 1.0], size=d)
            A2[:, 0] = (1.0 - A2[:, 1:] @ z[1:]) / z[0]
    elif family == "DUP" and n >= 2:
        A1[1] = A1[0]
        A2[1] = A2[0]
        if n >= 3:
            A1[2] = A1[0] + 10.0 ** (-dup_k) * rng.normal(size=d)
            A2[2] = A2[0] + 10.0 ** (-dup_k) * rng.normal(size=d)
    elif family == "COND":
        k = min(n, d)
        sv = np.logspace(0, -np.log10(kappa), k) if k > 1 else np.ones(1)
        A1 = _with_spectrum(rng, n, d, sv * np.sqrt(n))
        A2 = _with_spectrum(rng, n, d, sv[::-1].copy() * np.sqrt(n)) if k > 1 else _with_spectrum(rng, n, d, sv)
        A3 = _with_spectrum(rng, n, d, sv * np.sqrt(n))
    elif family == "NEARSING":
        k = min(n, d)
        sv = np.sqrt(n) * rng.uniform(0.5, 2.0, size=k)
        sv[-1] = eta * sv.max() if k > 1 else sv[-1]
        A1 = _with_spectrum(rng, n, d, sv)
        A3 = _with_spectrum(rng, n, d, np.sort(sv)[::-1])
    if family == "SAT" and tie and n >= 2:
        A2[1] = A2[0]  # keys 0 and 1 identical: their logits tie in every row
    if family == "SAT":
        Z = A1 @ X @ A2.T
        g = _row_gaps(Z)
        if tie:
            # gap between the tied pair and the rest
            srt = np.sort(Z, axis=1)
            g = srt[:, -1] - srt[:, -3] if n >= 3 else np.abs(Z).max(axis=1)
        gmax = g.max()
        if gmax > 0:
            X = X * (gap / gmax)
    elif family == "BIGNORM":
        zmax = np.abs(A1 @ X @ A2.T).max()
        if zmax > 0:
            X = X * (R_logit / zmax)
    if r_convention == "each":
        A1, A2, A3 = (A * (R / max(np.linalg.norm(A, 2), 1e-300)) for A in (A1, A2, A3))
        X = X * (R / max(np.linalg.norm(X), 1e-300))
        Y = Y * (R / max(np.linalg.norm(Y), 1e-300))
    elif r_convention == "kron":
        r = np.sqrt(R)
        A1 = A1 * (r / max(np.linalg.norm(A1, 2), 1e-300))
        A2 = A2 * (r / max(np.linalg.norm(A2, 2), 1e-300))
        A3 = A3 * (R / max(np.linalg.norm(A3, 2), 1e-300))
        X = X * (R / max(np.linalg.norm(X), 1e-300))
        Y = Y * (R / max(np.linalg.norm(Y), 1e-300))
    inst = {}
    if realisable:
        Xs, Ys = X, Y
        B = attention_matrix_of(A1, A2, Xs) @ A3 @ Ys
        X = Xs + start_radius * rng.normal(size=(d, d)) / d
        Y = Ys + start_radius * rng.normal(size=(d, d)) / d
        inst["Xstar"], inst["Ystar"] = Xs, Ys
    else:
        B = rng.normal(size=(n, d))
        if r_convention is not None:
            B = B * (R_b / max(np.linalg.norm(B), 1e-300))
    lo, hi = w_range
    inst.update(
        A1=A1, A2=A2, A3=A3, B=B, X=X, Y=Y,
        lam_x=float(lam_x), w_x=np.exp(rng.uniform(np.log(lo), np.log(hi), size=(n, n))),
        lam_y=float(lam_y), w_y=np.exp(rng.uniform(np.log(lo), np.log(hi), size=n)),
    )
    return inst


def instances(n=(1, 6), d=(1, 3), families=FAMILIES, *, realisable=None, r_convention=None, R=None,
              with_xstar=False, scale=(0.1, 3.0)):
    """Hypothesis strategy of attention instances (dicts) drawn over `families` and the sizes.

    realisable: None (both), True or False. r_convention: None, 'each', 'kron' or 'both'. R: the bound (a number
    or None for a drawn value in [0.5, 3]). with_xstar=False drops Xstar/Ystar from realisable instances.
    """
    for fam in families:
        if fam not in FAMILIES:
            raise invalid(f"{_HERE}.instances", "families", fam, f"use names from {FAMILIES}")

    @st.composite
    def build(draw):
        fam = draw(st.sampled_from(list(families)))
        nn = draw(st.integers(*n)) if isinstance(n, tuple) else int(n)
        dd = draw(st.integers(*d)) if isinstance(d, tuple) else int(d)
        seed = draw(st.integers(0, 2**31 - 1))
        kw = dict(scale=draw(st.floats(*scale)))
        if fam == "SAT":
            kw["gap"] = draw(st.sampled_from([20.0, 50.0, 200.0, 700.0]))
            kw["tie"] = draw(st.booleans())
        elif fam == "BIGNORM":
            kw["R_logit"] = draw(st.sampled_from([10.0, 30.0, 100.0, 300.0, 700.0]))
        elif fam == "ONES":
            kw["ones_kind"] = draw(st.sampled_from(["column", "dense"]))
        elif fam == "DUP":
            kw["dup_k"] = draw(st.integers(1, 10))
        elif fam == "COND":
            kw["kappa"] = draw(st.sampled_from([1.0, 1e2, 1e4, 1e6]))
        elif fam == "NEARSING":
            kw["eta"] = draw(st.sampled_from([1e-4, 1e-6, 1e-8]))
        real = draw(st.booleans()) if realisable is None else bool(realisable)
        kw["realisable"] = real
        if real:
            kw["start_radius"] = draw(st.sampled_from([0.0, 1e-3, 0.1, 1.0]))
        rc = r_convention
        if rc == "both":
            rc = draw(st.sampled_from(["each", "kron"]))
        if rc is not None:
            kw["r_convention"] = rc
            kw["R"] = float(R) if R is not None else draw(st.floats(0.5, 3.0))
        inst = make_instance(fam, nn, dd, seed, **kw)
        if not with_xstar:
            inst.pop("Xstar", None)
            inst.pop("Ystar", None)
        return inst

    return build()


def softmax_logits(n=(1, 64)):
    """Logit vectors u: WELL, BIGNORM (max |u| up to 700), SAT (top gap 20..700, ties of the two largest), TINY."""

    @st.composite
    def build(draw):
        kind = draw(st.sampled_from(["WELL", "BIGNORM", "SAT", "TIE", "TINY"]))
        size = draw(st.integers(*n)) if kind != "TINY" else draw(st.integers(1, 2))
        rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
        u = rng.normal(size=size) * draw(st.floats(0.1, 5.0))
        if kind == "BIGNORM":
            u = u / max(np.abs(u).max(), 1e-300) * draw(st.sampled_from([10.0, 30.0, 100.0, 300.0, 700.0]))
        elif kind == "SAT" and size >= 2:
            k = int(rng.integers(size))
            u[k] = np.delete(u, k).max() + draw(st.sampled_from([20.0, 50.0, 200.0, 700.0]))
        elif kind == "TIE" and size >= 2:
            i, j = rng.choice(size, 2, replace=False)
            u[i] = u[j] = u.max() + draw(st.floats(0.0, 50.0))
        return u

    return build()


def curvature_vectors(n):
    """Vectors v of length n: WELL, a large constant plus small noise, entries up to 1e6."""

    @st.composite
    def build(draw):
        kind = draw(st.sampled_from(["WELL", "CONST", "BIG"]))
        rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
        if kind == "WELL":
            return rng.normal(size=n)
        if kind == "CONST":
            return draw(st.sampled_from([1e3, 1e6, -1e6])) + 1e-3 * rng.normal(size=n)
        return rng.uniform(-1e6, 1e6, size=n)

    return build()


def kron_data(n=(1, 12), d=(1, 5), kinds=("WELL", "SPARSE", "RANKDEF", "TINY", "SELF", "COND", "NEARSING")):
    """(A1, A2, X) for the tensor-trick identities: WELL, SPARSE, RANKDEF, TINY, SELF, COND (kappa up to 1e12),
    NEARSING. Returned as a dict."""

    @st.composite
    def build(draw):
        kind = draw(st.sampled_from(list(kinds)))
        nn = draw(st.integers(*n))
        dd = draw(st.integers(*d))
        if kind == "TINY":
            nn, dd = min(nn, 2), min(dd, 2)
        rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
        A1, A2 = rng.normal(size=(nn, dd)), rng.normal(size=(nn, dd))
        X = rng.normal(size=(dd, dd))
        if kind == "SPARSE":
            A1 *= rng.random((nn, dd)) < 0.3
            A2 *= rng.random((nn, dd)) < 0.3
        elif kind == "RANKDEF" and min(nn, dd) >= 2:
            A1 = rng.normal(size=(nn, 1)) @ rng.normal(size=(1, dd))
        elif kind == "SELF":
            A2 = A1.copy()
        elif kind in ("COND", "NEARSING"):
            k = min(nn, dd)
            if kind == "COND":
                kappa = draw(st.sampled_from([1.0, 1e4, 1e8, 1e12]))
                sv = np.logspace(0, -np.log10(kappa), k) if k > 1 else np.ones(1)
            else:
                sv = rng.uniform(0.5, 2.0, size=k)
                if k > 1:
                    sv[-1] = draw(st.sampled_from([1e-4, 1e-8, 1e-12, 1e-14])) * sv.max()
            A1 = _with_spectrum(rng, nn, dd, sv)
            A2 = _with_spectrum(rng, nn, dd, np.sort(rng.uniform(0.5, 2.0, size=k))[::-1])
        return dict(A1=A1, A2=A2, X=X)

    return build()


# ------------------------------------------------------------------------------------------------------------
# claim-specific composite strategies (theorems/gao2023_attention_regression.py)
# ------------------------------------------------------------------------------------------------------------


def softmax_pairs(n=(1, 64)):
    """dict(u, v): a logit vector (softmax_logits families) and a vector v of the same length
    (WELL, large constant + small noise, entries up to 1e6)."""

    @st.composite
    def build(draw):
        u = draw(softmax_logits(n))
        v = draw(curvature_vectors(u.size))
        return dict(u=u, v=v)

    return build()


def kron_quadratic_data(n=(1, 8), d=(1, 4)):
    """dict(A1, A2, X, M (n x n x n stack, symmetric or not, WELL or BIGNORM entries), G (n x n))."""

    @st.composite
    def build(draw):
        base = draw(kron_data(n=n, d=d, kinds=("WELL", "SPARSE", "RANKDEF", "TINY", "SELF")))
        nn = base["A1"].shape[0]
        rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
        scale = draw(st.sampled_from([1.0, 1e3, 1e6]))
        M = rng.normal(size=(nn, nn, nn)) * scale
        if draw(st.booleans()):
            M = M + M.transpose(0, 2, 1)
        base["M"] = M
        base["G"] = rng.normal(size=(nn, nn)) * scale
        return base

    return build()


def flat_instances(n=(2, 6), d=(1, 3)):
    """Instances for the flat directions (18), (19): ONES (constant column / 1_n = A2 z dense) and WELL (1_n not in
    range(A2) when n > d), A3 rank-deficient in some; plus u (d,), uy (d,) and a step t up to 1e3."""

    @st.composite
    def build(draw):
        fam = draw(st.sampled_from(["ONES", "ONES", "WELL"]))
        nn, dd = draw(st.integers(*n)), draw(st.integers(*d))
        if fam == "WELL":
            nn = max(nn, dd + 1)
        seed = draw(st.integers(0, 2**31 - 1))
        inst = make_instance(fam, nn, dd, seed, ones_kind=draw(st.sampled_from(["column", "dense"])))
        rng = np.random.default_rng(seed + 1)
        if dd >= 2 and draw(st.booleans()):
            A3 = inst["A3"]
            k = rng.normal(size=dd)
            A3 = A3 - np.outer(A3 @ k, k) / (k @ k)  # A3 k = 0
            inst["A3"] = A3
        inst["u"] = rng.normal(size=dd)
        inst["uy"] = rng.normal(size=dd)
        inst["t"] = float(draw(st.sampled_from([1e-3, 1.0, 30.0, 1e3])) * draw(st.sampled_from([1.0, -1.0])))
        return inst

    return build()


def reg_hessian_data(n=(1, 6), d=(1, 3)):
    """dict(A1, A2, X, w (n x n weights spanning 1e-6..1e6, sometimes constant), w1 (n,), w2 (n,)) with A1, A2 COND
    (kappa up to 1e6) or NEARSING (eta down to 1e-8)."""

    @st.composite
    def build(draw):
        nn, dd = draw(st.integers(*n)), draw(st.integers(*d))
        rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
        k = min(nn, dd)
        kind = draw(st.sampled_from(["WELL", "COND", "NEARSING"]))
        mats = []
        for _ in range(2):
            if kind == "COND" and k > 1:
                sv = np.logspace(0, -np.log10(draw(st.sampled_from([1e2, 1e4, 1e6]))), k)
            elif kind == "NEARSING" and k > 1:
                sv = rng.uniform(0.5, 2.0, k)
                sv[-1] = draw(st.sampled_from([1e-4, 1e-6, 1e-8])) * sv.max()
            else:
                sv = rng.uniform(0.5, 2.0, k)
            mats.append(_with_spectrum(rng, nn, dd, sv))
        span = draw(st.sampled_from([0.0, 1.0, 6.0]))  # log10 half-span of the weights
        w = 10.0 ** rng.uniform(-span, span, size=(nn, nn))
        w1 = 10.0 ** rng.uniform(-span, span, size=nn)
        w2 = 10.0 ** rng.uniform(-span, span, size=nn)
        return dict(A1=mats[0], A2=mats[1], X=rng.normal(size=(dd, dd)), w=w, w1=w1, w2=w2)

    return build()


def domain_instances(n=(2, 6), d=(1, 3), families=("WELL", "COND", "NEARSING", "ONES", "DUP", "SAT", "SELF"),
                     r_convention="each", R=2.0, R_b=1.0):
    """Instances at the boundary of the domain of section 4.8 (norms exactly at R, ||B||_F = R_b), for the
    RECONSTRUCTED Hessian claims."""

    @st.composite
    def build(draw):
        fam = draw(st.sampled_from(list(families)))
        nn, dd = draw(st.integers(*n)), draw(st.integers(*d))
        if n[0] >= d[1]:
            nn = max(nn, dd)
        seed = draw(st.integers(0, 2**31 - 1))
        kw = {}
        if fam == "SAT":
            kw = dict(gap=draw(st.sampled_from([20.0, 50.0])), tie=draw(st.booleans()))
        elif fam == "COND":
            kw = dict(kappa=draw(st.sampled_from([1e1, 1e2, 1e3])))
        elif fam == "NEARSING":
            kw = dict(eta=draw(st.sampled_from([1e-2, 1e-3])))
        inst = make_instance(fam, nn, dd, seed, r_convention=r_convention, R=R, R_b=R_b, **kw)
        inst["seed"] = seed
        return inst

    return build()

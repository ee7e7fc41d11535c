"""Hypothesis strategies for the regression papers (li2023e, deng2023s, gao2023r) and the Newton framework.

Constructive: Hypothesis draws the structure (sizes, design kind, spectrum, scale, where a point sits, an
integer seed) and a seeded numpy Generator fills the entries. The composite ``*_problems`` strategies return
one dict (``A``, ``b``, ``x``, ...) so that shapes agree; claims take it as a single input ``prob``.

Instance families covered (claims/README.md section 8): WELL, COND (kappa up to ``cond``), NEARSING, RANKDEF,
ONES (constant column, or 1_n = A z for a dense z), DUP, COHERENT, SPARSE, TINY; b at its norm bound, b spanning
signs and magnitudes (0, +-tiny, the cosh breakpoint 4, up to ``bmax``); points on the sphere ||x|| = R and
saturating points (one logit ahead by a gap); w at the PD threshold (``slack`` = 0); initial points exactly at
the edge of the initialisation region M r0 = iota l (``radius_fraction`` = 1); adversarial approximate Hessians
inside the sandwich (``sandwich_specs``).
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import strategies as st

from certify.errors import invalid

from . import log_uniform, seeds

__all__ = [
    "DESIGN_KINDS",
    "boundary_log",
    "make_design",
    "designs",
    "signed_magnitudes",
    "exp_targets",
    "prob_targets",
    "ball_points",
    "slack",
    "eps0_values",
    "sandwich_specs",
    "exp_problems",
    "softmax_problems",
    "rescaled_problems",
    "quadratic_problems",
    "FRAMEWORK_KINDS",
    "framework_specs",
    "sparsification_problems",
]

DESIGN_KINDS = ("well", "cond", "nearsing", "ones", "ones_dense", "rankdef", "dup", "coherent", "sparse")
_FULL_RANK = ("well", "cond", "nearsing", "ones", "ones_dense", "dup", "coherent", "sparse")
_WHERE = "certify.strategies.regression"


def _orth(rng, n, k):
    q, r = np.linalg.qr(rng.standard_normal((n, k)))
    return q * np.sign(np.where(np.diag(r) == 0, 1.0, np.diag(r)))[None, :]


def make_design(rng, n, d, kind, cond=1e4, eta=1e-8):
    """One n x d design matrix of the given family, normalised to ||A||_2 = 1 (zero matrices excepted)."""
    k = min(n, d)
    if kind == "well":
        A = rng.standard_normal((n, d))
    elif kind == "cond":
        shape = rng.integers(3)
        if k == 1:
            s = np.ones(1)
        elif shape == 0:
            s = np.logspace(0, -math.log10(cond), k)
        elif shape == 1:
            s = np.where(np.arange(k) < (k + 1) // 2, 1.0, 1.0 / cond)
        else:
            s = np.full(k, 1.0 / cond)
            s[0] = 1.0
        A = (_orth(rng, n, k) * s[None, :]) @ _orth(rng, d, k).T
    elif kind == "nearsing":
        s = np.linspace(1.0, 0.3, k)
        if k > 1:
            s[-1] = eta
        A = (_orth(rng, n, k) * s[None, :]) @ _orth(rng, d, k).T
    elif kind == "ones":  # a constant column
        A = rng.standard_normal((n, d))
        A[:, rng.integers(d)] = 1.0
    elif kind == "ones_dense":  # 1_n = A z for a dense z, no constant column
        A = rng.standard_normal((n, d))
        if d >= 2 and n >= 1:
            z = rng.standard_normal(d)
            z[0] = 1.0 if abs(z[0]) < 0.5 else z[0]
            A[:, 0] = (1.0 - A[:, 1:] @ z[1:]) / z[0]
    elif kind == "rankdef":
        r = int(rng.integers(0, k)) if k > 1 else 0
        A = rng.standard_normal((n, r)) @ rng.standard_normal((r, d)) if r > 0 else np.zeros((n, d))
        if r == 0:
            A[0, 0] = 1.0 if d > 1 or n > 1 else 0.0
    elif kind == "dup":
        A = rng.standard_normal((n, d))
        if n >= 2:
            i, j = rng.choice(n, 2, replace=False)
            A[j] = A[i] + (0.0 if rng.random() < 0.5 else 10.0 ** (-rng.integers(1, 11))) * rng.standard_normal(d)
    elif kind == "coherent":
        A = 1e-3 * rng.standard_normal((n, d))
        for j in range(min(d, max(1, n // 3))):
            A[rng.integers(n), j] += 1.0
    elif kind == "sparse":
        dens = [0.005, 0.05, 0.5][rng.integers(3)]
        A = rng.standard_normal((n, d)) * (rng.random((n, d)) < dens)
        if not A.any():
            A[rng.integers(n), rng.integers(d)] = 1.0
    else:
        raise invalid(f"{_WHERE}.make_design", "kind", kind, f"use one of {DESIGN_KINDS}")
    nrm = np.linalg.norm(A, 2)
    return A / nrm if nrm > 0 else A


def boundary_log(lo, hi):
    """Log-uniform floats on [lo, hi] whose simplest draw is the top end hi (then lo): Hypothesis's simplest
    choices are the first alternatives, so the boundary of the hypothesis set is reached early and often."""
    if hi <= lo:
        return st.just(float(hi))
    expo = st.floats(math.log10(lo), math.log10(hi), allow_nan=False)
    return st.one_of(st.sampled_from([float(hi), float(lo)]), expo.map(lambda e: min(hi, max(lo, 10.0**e))))


def _rng_range(name, v):
    if isinstance(v, int):
        return v, v
    if isinstance(v, tuple) and len(v) == 2:
        return int(v[0]), int(v[1])
    raise invalid(_WHERE, name, v, "pass an int or an inclusive (min, max) tuple")


def _norm_choice(norm):
    """Draw the spectral norm: exactly the bound (boundary), or below it."""
    if norm is None:
        return st.just(1.0)
    lo, hi = (norm, norm) if not isinstance(norm, tuple) else norm
    return st.one_of(st.just(float(hi)), log_uniform(lo, hi)) if hi > lo else st.just(float(hi))


@st.composite
def _design_draw(draw, n, d, kinds, cond, norm, full_rank):
    dd = draw(st.integers(*d))
    nn = draw(st.integers(max(n[0], dd) if full_rank else n[0], max(n[1], dd) if full_rank else n[1]))
    kind = draw(st.sampled_from([k for k in kinds if (k in _FULL_RANK or not full_rank)]))
    kappa = draw(boundary_log(cond[0], cond[1]))
    eta = draw(log_uniform(1e-14, 1e-4))
    seed = draw(seeds())
    scale = draw(_norm_choice(norm))
    rng = np.random.default_rng(seed)
    A = make_design(rng, nn, dd, kind, kappa, eta)
    if full_rank:
        s = np.linalg.svd(A, compute_uv=False)
        if not s[-1] > 1e-15 * s[0]:  # e.g. a SPARSE draw with an empty column: repair with a well-posed fill
            A = make_design(rng, nn, dd, "well")
    return A * scale


def designs(n=(1, 30), d=(1, 6), kinds=DESIGN_KINDS, cond=(1.0, 1e8), norm=None, full_rank=False):
    """Design matrices A (n x d) from the families of DESIGN_KINDS. ``norm``: the spectral norm, a value or a
    (min, max) range whose max (the bound) is drawn often; default 1. ``full_rank``: n >= d, no RANKDEF."""
    n, d = _rng_range("n", n), _rng_range("d", d)
    bad = [k for k in kinds if k not in DESIGN_KINDS]
    if bad or not kinds:
        raise invalid(f"{_WHERE}.designs", "kinds", kinds, f"choose from {DESIGN_KINDS}")
    cond = (cond, cond) if not isinstance(cond, tuple) else cond
    return _design_draw(n, d, tuple(kinds), cond, norm, full_rank)


def signed_magnitudes(bmax=1e3, specials=(0.0, 4.0, -4.0, 1e-300, -1e-300, 1.0, -1.0, 2.0, 3.5, 3.999, 4.001)):
    """Scalars spanning signs and magnitudes up to bmax, with the special values (0, +-tiny, the cosh
    breakpoint 4) and +-bmax."""
    sp = [v for v in specials if abs(v) <= bmax] + [bmax, -bmax]
    mag = log_uniform(1e-6, bmax)
    return st.one_of(st.sampled_from(sp), st.tuples(st.sampled_from([-1.0, 1.0]), mag).map(lambda t: t[0] * t[1]))


def exp_targets(n, bmax=1e3, seed=None):
    """A strategy for b in R^n (n fixed): element-wise for n <= 12, else a seeded fill of signed magnitudes."""
    if n <= 12:
        return st.lists(signed_magnitudes(bmax), min_size=n, max_size=n).map(lambda v: np.array(v, dtype=float))

    @st.composite
    def build(draw):
        rng = np.random.default_rng(draw(seeds()))
        top = draw(log_uniform(1e-3, bmax))
        v = rng.choice([-1.0, 1.0], n) * 10.0 ** rng.uniform(-6, math.log10(top), n)
        v[rng.integers(n)] = draw(st.sampled_from([0.0, 4.0, top, -top]))
        return v

    return build()


def _prob_target(rng, n, kind, bound):
    if kind == "simplex":
        v = rng.random(n) ** 3
        return v / v.sum()
    if kind == "vertex":
        v = np.zeros(n)
        v[rng.integers(n)] = 1.0
        return v
    if kind == "zero":
        return np.zeros(n)
    v = rng.standard_normal(n) if kind == "signed" else np.abs(rng.standard_normal(n))
    nv = np.linalg.norm(v)
    v = v / nv if nv > 0 else np.ones(n) / math.sqrt(n)
    return v * bound if kind in ("at_bound", "signed") else v * bound * rng.random()


def prob_targets(n, bound=1.0, kinds=("simplex", "vertex", "at_bound", "signed", "interior", "zero")):
    """b in R^n with ||b||_2 <= bound: probability vectors, vertices, positive and signed vectors exactly at
    the bound, interior points, zero."""

    @st.composite
    def build(draw):
        kind = draw(st.sampled_from(list(kinds)))
        b = _prob_target(np.random.default_rng(draw(seeds())), n, kind, bound)
        nb = np.linalg.norm(b)
        return b * (bound / nb) if nb > bound else b

    return build()


def ball_points(d, R, *, sphere_weight=True):
    """x in R^d with ||x||_2 <= R; exactly on the sphere ||x|| = R often."""

    @st.composite
    def build(draw):
        rng = np.random.default_rng(draw(seeds()))
        v = rng.standard_normal(d)
        v /= max(np.linalg.norm(v), 1e-300)
        t = draw(st.one_of(st.just(1.0), st.floats(0.0, 1.0))) if sphere_weight else draw(st.floats(0.0, 1.0))
        return v * (R * t)

    return build()


def slack():
    """Relative slack above a threshold: exactly 0 (at the threshold) often, else 1e-8 ... 10."""
    return st.one_of(st.just(0.0), log_uniform(1e-8, 10.0))


def eps0_values(lo=1e-6, hi=0.1, *, include_hi=True):
    """eps0 in (lo, hi], the top end (the boundary of the hypothesis) drawn often."""
    base = log_uniform(lo, hi)
    return st.one_of(st.just(float(hi)), base) if include_hi else base.filter(lambda e: e < hi)


def sandwich_specs():
    """How to draw E in (25): spectrum (random, extreme +-eps0, sign patterns) and basis (random, identity,
    aligned with the current error)."""
    return st.fixed_dictionaries(
        {
            "spectrum": st.sampled_from(["signs", "split", "uniform", "plus", "minus"]),
            "basis": st.sampled_from(["random", "aligned", "identity"]),
            "seed": seeds(),
        }
    )


def _point(rng, A, R, where):
    d = A.shape[1]
    if where == "sat" and A.shape[0] >= 2:
        # push one logit ahead: x along the top right singular direction of A's most prominent row
        i = rng.integers(A.shape[0])
        v = A[i].copy()
        nv = np.linalg.norm(v)
        v = v / nv if nv > 0 else rng.standard_normal(d)
        return v / max(np.linalg.norm(v), 1e-300) * R
    v = rng.standard_normal(d)
    v /= max(np.linalg.norm(v), 1e-300)
    if where == "sphere":
        return v * R
    if where == "origin":
        return np.zeros(d)
    return v * R * rng.random()


@st.composite
def _exp_problem(draw, n, d, kinds, cond, norm, bmax, R, families, full_rank, pair, umax):
    A = draw(designs(n, d, kinds, cond, norm, full_rank))
    nn, dd = A.shape
    b = draw(exp_targets(nn, bmax))
    f = draw(st.sampled_from(list(families)))
    rng = np.random.default_rng(draw(seeds()))
    where = draw(st.sampled_from(["sphere", "inside", "origin"]))
    x = _point(rng, A, R, where)
    if umax and draw(st.booleans()):  # BIGNORM: rescale x so that max |(Ax)_i| = U
        top = np.max(np.abs(A @ x))
        if top > 0:
            x = x * (draw(st.sampled_from(list(umax))) / top)
    out = {"A": A, "b": b, "f": f, "x": x}
    if pair:
        out["y"] = _point(rng, A, R, draw(st.sampled_from(["sphere", "inside"])))
        if draw(st.booleans()):  # a nearby pair
            h = draw(log_uniform(1e-6, 1.0)) * R
            y = out["x"] + h * rng.standard_normal(dd) / math.sqrt(dd)
            ny = np.linalg.norm(y)
            out["y"] = y if ny <= R else y * (R / ny)
    return out


def exp_problems(n=(1, 12), d=(1, 4), kinds=DESIGN_KINDS, cond=(1.0, 1e6), norm=None, bmax=1e3, R=1.0,
                 families=("exp", "cosh", "sinh"), full_rank=False, pair=False, umax=None):
    """dict(A, b, f, x[, y]) for (32): A from `designs`, b spanning signs and magnitudes, x in the ball
    ||x|| <= R (on the sphere often, at the origin sometimes); ``pair`` adds a second point y; ``umax`` (a
    list, e.g. (10, 100, 300)) rescales x in half the draws so that max |Ax| hits one of its values (BIGNORM,
    then x leaves the ball)."""
    return _exp_problem(_rng_range("n", n), _rng_range("d", d), tuple(kinds),
                        (cond, cond) if not isinstance(cond, tuple) else cond, norm, bmax, R, tuple(families),
                        full_rank, pair, tuple(umax) if umax else None)


@st.composite
def _softmax_problem(draw, n, d, kinds, cond, norm, b_bound, R, full_rank, pair, realisable):
    A = draw(designs(n, d, kinds, cond, norm, full_rank))
    nn, dd = A.shape
    rng = np.random.default_rng(draw(seeds()))
    where = draw(st.sampled_from(["sphere", "inside", "origin", "sat"]))
    x = _point(rng, A, R, where)
    if realisable and draw(st.booleans()):
        xs = _point(rng, A, R, draw(st.sampled_from(["sphere", "inside", "origin"])))
        u = A @ xs
        e = np.exp(u - u.max())
        b = e / e.sum()
        nb = np.linalg.norm(b)
        b = b * (b_bound / nb) if nb > b_bound else b
        if nb <= b_bound and draw(st.booleans()):  # at the solution: c = f - b = 0
            x = xs
    else:
        b = draw(prob_targets(nn, b_bound))
    out = {"A": A, "b": b, "x": x}
    if pair:
        y = _point(rng, A, R, draw(st.sampled_from(["sphere", "inside", "sat"])))
        if draw(st.booleans()):
            h = draw(log_uniform(1e-6, 1.0)) * R
            y = x + h * rng.standard_normal(dd) / math.sqrt(dd)
            ny = np.linalg.norm(y)
            y = y if ny <= R else y * (R / ny)
        out["y"] = y
    return out


def softmax_problems(n=(1, 12), d=(1, 4), kinds=DESIGN_KINDS, cond=(1.0, 1e6), norm=None, b_bound=1.0, R=1.0,
                     full_rank=False, pair=False, realisable=True):
    """dict(A, b, x[, y]) for (38): ||b||_2 <= b_bound (at the bound often; realisable b = softmax(A x*)
    sometimes), x in the ball (on the sphere, saturating the softmax, at the origin)."""
    return _softmax_problem(_rng_range("n", n), _rng_range("d", d), tuple(kinds),
                            (cond, cond) if not isinstance(cond, tuple) else cond, norm, b_bound, R, full_rank,
                            pair, realisable)


@st.composite
def _rescaled_problem(draw, n, d, kinds, cond, norm, R, families, full_rank):
    A = draw(designs(n, d, kinds, cond, norm, full_rank))
    nn, _ = A.shape
    rng = np.random.default_rng(draw(seeds()))
    sum_kind = draw(st.sampled_from(["one", "zero", "other"]))
    b = rng.standard_normal(nn) if sum_kind != "one" else rng.random(nn)
    if sum_kind == "one":
        b = b / b.sum()
    elif sum_kind == "zero":
        b = b - b.mean()
    out = {"A": A, "b": b, "g": draw(st.sampled_from(list(families))),
           "x": _point(rng, A, R, draw(st.sampled_from(["sphere", "inside", "origin"])))}
    return out


def rescaled_problems(n=(1, 12), d=(1, 4), kinds=DESIGN_KINDS, cond=(1.0, 1e6), norm=None, R=1.0,
                      families=("exp", "cosh", "sinh"), full_rank=False):
    """dict(A, b, g, x) for (44): b with <b, 1_n> in {1, 0, other}."""
    return _rescaled_problem(_rng_range("n", n), _rng_range("d", d), tuple(kinds),
                             (cond, cond) if not isinstance(cond, tuple) else cond, norm, R, tuple(families),
                             full_rank)


@st.composite
def _quadratic(draw, p, cond):
    pp = draw(st.integers(*p))
    kappa = draw(boundary_log(cond[0], cond[1]))
    rng = np.random.default_rng(draw(seeds()))
    shape = draw(st.sampled_from(["logspaced", "two_cluster", "outlier"]))
    if pp == 1:
        lam = np.ones(1)
    elif shape == "logspaced":
        lam = np.logspace(0, -math.log10(kappa), pp)
    elif shape == "two_cluster":
        lam = np.where(np.arange(pp) < (pp + 1) // 2, 1.0, 1.0 / kappa)
    else:
        lam = np.full(pp, 1.0 / kappa)
        lam[0] = 1.0
    lam = lam * draw(log_uniform(1e-2, 1e2))
    Q = _orth(rng, pp, pp)
    H = (Q * lam[None, :]) @ Q.T
    return {"H": (H + H.T) / 2, "x_star": rng.standard_normal(pp), "seed": int(draw(seeds()))}


def quadratic_problems(p=(1, 6), cond=(1.0, 1e8)):
    """dict(H, x_star, seed): a PD Hessian with condition number up to ``cond`` (the top drawn often)."""
    return _quadratic(_rng_range("p", p), (cond, cond) if not isinstance(cond, tuple) else cond)


# ----------------------------------------------------------------------------------------------------------
# the Newton framework: (l, M)-good losses and sparsification instances
# ----------------------------------------------------------------------------------------------------------

FRAMEWORK_KINDS = ("quadratic", "exp", "cosh", "sinh", "softmax")


@st.composite
def _framework_spec(draw, kinds, p, n, cond):
    kind = draw(st.sampled_from(list(kinds)))
    if kind == "quadratic":
        q = draw(quadratic_problems(p, cond))
        return {"kind": kind, "H": q["H"], "x_star": q["x_star"], "seed": q["seed"]}
    dd = draw(st.integers(*p))
    nn = draw(st.integers(max(n[0], dd), max(n[1], dd)))
    dk = draw(st.sampled_from(["well", "cond", "ones", "dup", "coherent"]))
    kappa = draw(boundary_log(1.0, min(cond[1], 1e3)))
    rng = np.random.default_rng(draw(seeds()))
    A = make_design(rng, nn, dd, dk, kappa) * draw(st.one_of(st.just(1.0), log_uniform(0.1, 1.0)))
    smin = np.linalg.svd(A, compute_uv=False)[-1]
    if not smin > 1e-6:
        A = make_design(rng, nn, dd, "well")
        smin = np.linalg.svd(A, compute_uv=False)[-1]
    sl = draw(slack())
    if kind == "softmax":
        bk = draw(st.sampled_from(["simplex", "vertex", "at_bound", "signed", "realisable"]))
        if bk == "realisable":  # b = softmax(A x0), ||x0|| <= 1
            v = rng.standard_normal(dd)
            u = A @ (v / max(np.linalg.norm(v), 1e-300) * rng.random())
            b = np.exp(u - u.max())
            b /= b.sum()
        else:
            b = _prob_target(rng, nn, bk, 1.0)
        thr = 6.0 * (1.0 + np.max(np.abs(b))) + 1.0 / smin**2
        w = np.full(nn, math.sqrt(thr * (1.0 + sl)))
    else:
        b = rng.standard_normal(nn)
        b = b / max(np.linalg.norm(b), 1e-300) * draw(st.one_of(st.just(1.0), st.floats(0.0, 1.0)))
        c0 = 0.0 if kind == "exp" else 1.0
        w = np.sqrt((0.5 * b * b + c0 + 1.0 / smin**2) * (1.0 + sl))
    return {"kind": kind, "A": A, "b": b, "w": w, "seed": int(draw(seeds()))}


def framework_specs(kinds=FRAMEWORK_KINDS, p=(1, 3), n=(1, 8), cond=(1.0, 1e8)):
    """Instances of (l, M)-good losses for (23)-(30): a quadratic with a PD Hessian (M = 0, condition number up to
    ``cond``), or a regularised exp/cosh/sinh regression (32) / softmax regression (38) with ||A|| <= 1, ||b||_2 <= 1
    and w at (or above, by a drawn slack) the PD threshold of li2023e / deng2023s (so the Hessian is PD
    everywhere). Returns dict(kind, H, x_star, seed) or dict(kind, A, b, w, seed)."""
    return _framework_spec(tuple(kinds), _rng_range("p", p), _rng_range("n", n),
                           (cond, cond) if not isinstance(cond, tuple) else cond)


@st.composite
def _sparsification_problem(draw, n, p):
    pp = draw(st.integers(*p))
    nn = draw(st.integers(max(n[0], pp), max(n[1], pp)))
    kind = draw(st.sampled_from(["well", "cond", "coherent", "sparse", "dup"]))
    rng = np.random.default_rng(draw(seeds()))
    A = make_design(rng, nn, pp, kind, draw(log_uniform(1.0, 1e4)))
    spread = draw(st.sampled_from([0.0, 2.0, 8.0]))
    D = 10.0 ** rng.uniform(-spread, spread, nn)
    zero_frac = draw(st.sampled_from([0.0, 0.1, 0.5]))
    D[rng.random(nn) < zero_frac] = 0.0
    return {"A": A, "D": D}


def sparsification_problems(n=(1, 200), p=(1, 6)):
    """dict(A, D) for the sparsification lemma (26): A from COND / COHERENT / SPARSE / DUP / WELL designs, D >= 0
    with entries spread over 10^{+-8} and some zeros."""
    return _sparsification_problem(_rng_range("n", n), _rng_range("p", p))

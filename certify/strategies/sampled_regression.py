"""Hypothesis strategies for sampled / sketched regression, Kronecker designs, the two-layer template and SGD.

Constructive (claims/README.md section 8): Hypothesis draws the structure (sizes, family, spectrum kind, kappa,
residual shape, a seed), a seeded numpy Generator fills the entries. Families:

* ``well``      i.i.d. Gaussian;
* ``cond``      U diag(sigma) V^T with log-spaced, two-cluster or one-outlier spectra, kappa up to ``cond``
                (the top kappa is drawn first: the boundary);
* ``coherent``  a few rows carry leverage ~ 1 (spikes of size 1e3 above a Gaussian bulk);
* ``rankdef``   exactly rank r < min(n, d);
* ``collinear`` two columns at distance 1e-k (k = 3..8);
* ``heavy``     Student-t entries with 2 degrees of freedom (infinite variance);
* ``sparse``    nnz fraction in {0.5 %, 5 %, 50 %} with empty rows; every column keeps one entry.

Right-hand sides: ``random``, ``in_range`` (OPT = 0), ``orthogonal`` (b in col(A)^perp), ``spiky`` (the residual
concentrated on the highest-leverage rows), ``smallest`` (b along the smallest left singular vector).
Test problems of deng2024a (known optima where stated): ``quadratic`` (f* = 0, x* drawn), ``rosenbrock``
(f* = 0 at 1_d), ``logistic`` (logistic loss + lam sum x^2/(1+x^2), non-convex; f* by a reference minimiser).
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import strategies as st

from certify.errors import invalid

from . import seeds

__all__ = [
    "DESIGN_FAMILIES",
    "make_design",
    "make_rhs",
    "designs",
    "regression_problems",
    "kron_pairs",
    "two_layer_problems",
    "sgd_problems",
    "make_sgd_problem",
]

DESIGN_FAMILIES = ("well", "cond", "coherent", "rankdef", "collinear", "heavy", "sparse")
FULL_RANK = ("well", "cond", "coherent", "collinear", "heavy", "sparse")
RHS_KINDS = ("spiky", "random", "in_range", "orthogonal", "smallest")
_WHERE = "certify.strategies.sampled_regression"


def _orth(rng, n, k):
    q, r = np.linalg.qr(rng.standard_normal((n, k)))
    return q * np.sign(np.where(np.diag(r) == 0, 1.0, np.diag(r)))[None, :]


def make_design(rng, n, d, family, cond=1e4, spectrum=0):
    """One n x d design of the given family (see module docstring), scaled to ||A||_2 = 1."""
    k = min(n, d)
    if family == "well":
        A = rng.standard_normal((n, d))
    elif family == "cond":
        if k == 1:
            s = np.ones(1)
        elif spectrum == 0:
            s = np.logspace(0, -math.log10(cond), k)
        elif spectrum == 1:
            s = np.where(np.arange(k) < (k + 1) // 2, 1.0, 1.0 / cond)
        else:
            s = np.ones(k)
            s[-1] = 1.0 / cond
        A = (_orth(rng, n, k) * s[None, :]) @ _orth(rng, d, k).T
    elif family == "coherent":
        A = rng.standard_normal((n, d))
        for j, i in enumerate(rng.choice(n, size=min(d, n, 3), replace=False)):
            A[i, j % d] += 1e3
    elif family == "rankdef":
        r = int(rng.integers(1, k)) if k > 1 else 1
        A = rng.standard_normal((n, r)) @ rng.standard_normal((r, d))
    elif family == "collinear":
        A = rng.standard_normal((n, d))
        if d >= 2:
            A[:, 1] = A[:, 0] + 10.0 ** (-int(rng.integers(3, 9))) * rng.standard_normal(n)
    elif family == "heavy":
        A = rng.standard_t(2, size=(n, d))
    elif family == "sparse":
        dens = (0.005, 0.05, 0.5)[int(rng.integers(3))]
        A = rng.standard_normal((n, d)) * (rng.random((n, d)) < dens)
        for j in range(d):                       # full column rank needs every column non-empty
            if not A[:, j].any():
                A[int(rng.integers(n)), j] = rng.standard_normal() or 1.0
    else:
        raise invalid(f"{_WHERE}.make_design", "family", family, f"use one of {DESIGN_FAMILIES}")
    nrm = np.linalg.norm(A, 2)
    return A / nrm if nrm > 0 else A


def make_rhs(rng, A, kind, N=None):
    """b (n,) or B (n, N) of the given kind for the design A."""
    n = A.shape[0]
    shape = (n,) if N is None else (n, N)
    U, s, _ = np.linalg.svd(A, full_matrices=False)
    r = int(np.sum(s > 1e-13 * s[0]))
    U = U[:, :r]
    g = rng.standard_normal(shape)
    perp = g - U @ (U.T @ g)
    if kind == "in_range":
        return U @ rng.standard_normal((r,) + shape[1:])
    if kind == "orthogonal":
        return perp
    if kind == "smallest":
        return U[:, -1] if N is None else np.outer(U[:, -1], rng.standard_normal(N))
    if kind == "spiky":
        lev = np.sum(U * U, axis=1)
        top = np.argsort(lev)[-max(1, min(3, n // 4)):]
        spike = np.zeros(shape)
        spike[top] = 10.0 * rng.standard_normal((top.size,) + shape[1:])
        spike = spike - U @ (U.T @ spike)       # residual only (b - A x*), concentrated on coherent rows
        return U @ rng.standard_normal((r,) + shape[1:]) + spike + 0.01 * perp
    if kind == "random":
        return g
    raise invalid(f"{_WHERE}.make_rhs", "kind", kind, f"use one of {RHS_KINDS}")


def _kappa(cond):
    lo, hi = cond
    if hi <= lo:
        return st.just(float(hi))
    return st.one_of(st.just(float(hi)), st.floats(math.log10(lo), math.log10(hi)).map(lambda e: 10.0**e))


@st.composite
def designs(draw, n=(8, 60), d=(1, 6), families=DESIGN_FAMILIES, cond=(1.0, 1e12)):
    nn = draw(st.integers(*n))
    dd = draw(st.integers(d[0], min(d[1], nn)))
    fam = draw(st.sampled_from(families))
    kap = draw(_kappa(cond))
    spec = draw(st.integers(0, 2))
    rng = np.random.default_rng(draw(seeds()))
    return make_design(rng, nn, dd, fam, kap, spec)


@st.composite
def regression_problems(draw, n=(20, 200), d=(1, 6), families=FULL_RANK, cond=(1.0, 1e12), rhs=RHS_KINDS,
                        N=None):
    """dict(A, b, family, rhs, kappa); ``N`` = (lo, hi) or a tuple of choices gives B with N columns."""
    nn = draw(st.integers(*n))
    dd = draw(st.integers(d[0], min(d[1], max(1, nn // 4))))
    fam = draw(st.sampled_from(families))
    kap = draw(_kappa(cond))
    spec = draw(st.integers(0, 2))
    kind = draw(st.sampled_from(rhs))
    cols = None if N is None else draw(st.sampled_from(N))
    rng = np.random.default_rng(draw(seeds()))
    A = make_design(rng, nn, dd, fam, kap, spec)
    return {"A": A, "b": make_rhs(rng, A, kind, cols), "family": fam, "rhs": kind, "kappa": kap}


@st.composite
def kron_pairs(draw, n=(2, 40), d=(1, 4), families=DESIGN_FAMILIES, cond=(1.0, 1e10)):
    """dict(A1, A2) with independent families (COND, RANKDEF, COHERENT, heavy tails ...)."""
    out = {}
    for key in ("A1", "A2"):
        nn = draw(st.integers(*n))
        dd = draw(st.integers(d[0], min(d[1], nn)))
        fam = draw(st.sampled_from(families))
        kap = draw(_kappa(cond))
        rng = np.random.default_rng(draw(seeds()))
        out[key] = make_design(rng, nn, dd, fam, kap, draw(st.integers(0, 2)))
        out[key + "_family"] = fam
    return out


@st.composite
def two_layer_problems(draw, n=(1, 12), d=(1, 4), n2=(1, 6), R=2.0, c_norm=1.0, b_bound=1.0, w_factor=(1.0, 2.0),
                       families=("well", "cond", "coherent", "collinear", "sat")):
    """dict(C, M, b, w, x, y, w_factor): ||C|| = c_norm (cond family: kappa up to 1e4), ||M|| <= 1, ||b|| <= b_bound
    (at the bound first), x, y in the ball ||.|| <= R (on the sphere first); w = const * sqrt(w_factor)
    scaled so that w_min^2 = w_factor * (C_w + l / sigma_min(C)^2) is set by the claim (w_factor = 1 is the
    threshold). ``sat``: C x has one logit ahead by a gap (C with a dominant row)."""
    nn = draw(st.integers(*n))
    dd = draw(st.integers(d[0], min(d[1], max(nn, 1))))
    m2 = draw(st.integers(*n2))
    fam = draw(st.sampled_from(families))
    rng = np.random.default_rng(draw(seeds()))
    if fam == "sat":
        C = rng.standard_normal((nn, dd)) * 0.05
        C[int(rng.integers(nn))] += 1.0
        C /= np.linalg.norm(C, 2)
    else:
        C = make_design(rng, nn, dd, "cond" if fam == "cond" else fam, draw(_kappa((1.0, 1e4))), 0)
    C = c_norm * C
    M = rng.standard_normal((m2, nn))
    M /= max(np.linalg.norm(M, 2), 1e-300)
    M *= draw(st.sampled_from([1.0, 0.5, 0.1]))
    b = rng.standard_normal(m2)
    b *= draw(st.sampled_from([b_bound, 0.5 * b_bound, 0.0])) / max(np.linalg.norm(b), 1e-300)
    pts = []
    for _ in range(2):
        v = rng.standard_normal(dd)
        v /= np.linalg.norm(v)
        pts.append(v * R * draw(st.sampled_from([1.0, 0.5, 0.0])))
    wf = draw(st.one_of(st.just(w_factor[0]), st.floats(*w_factor)))
    wshape = 1.0 + draw(st.sampled_from([0.0, 1.0])) * rng.random(nn)     # uniform or spread (min 1)
    gap = 10.0 ** -draw(st.integers(0, 6))
    return {"C": C, "M": M, "b": b, "x": pts[0], "y": pts[0] + gap * (pts[1] - pts[0]), "w_factor": wf,
            "w_shape": wshape, "family": fam}


def _logistic_data(rng, n, d):
    A = rng.standard_normal((n, d)) / math.sqrt(d)
    y = np.where(A @ rng.standard_normal(d) + 0.5 * rng.standard_normal(n) > 0, 1.0, -1.0)
    return A, y


def make_sgd_problem(kind, d, seed, cond=10.0, noise=0.1, lam=0.1, n=200):
    """One deng2024a test problem: dict with f(X), grad(X) for a batch X (k, d) of iterates, stochastic
    gradients sgrad(X, rng), the smoothness constant L, f_star and x0."""
    rng = np.random.default_rng(seed)
    if kind == "quadratic":
        Q = _orth(rng, d, d)
        ev = np.logspace(0, -math.log10(cond), d)
        H = (Q * ev) @ Q.T
        xs = rng.standard_normal(d)

        def f(X):
            E = X - xs
            return 0.5 * np.einsum("ki,ij,kj->k", E, H, E)

        def grad(X):
            return (X - xs) @ H

        def sgrad(X, g):
            return grad(X) + noise * g.standard_normal(X.shape)

        return dict(kind=kind, f=f, grad=grad, sgrad=sgrad, L=float(ev[0]), f_star=0.0, x0=xs + 3 * _unit(rng, d),
                    H=H, x_star=xs)
    if kind == "rosenbrock":
        dd = d + (d % 2)

        def f(X):
            a, b = X[:, 0::2], X[:, 1::2]
            return np.sum(100.0 * (b - a * a) ** 2 + (1 - a) ** 2, axis=1)

        def grad(X):
            a, b = X[:, 0::2], X[:, 1::2]
            G = np.empty_like(X)
            G[:, 0::2] = -400.0 * a * (b - a * a) - 2 * (1 - a)
            G[:, 1::2] = 200.0 * (b - a * a)
            return G

        def sgrad(X, g):
            return grad(X) + noise * g.standard_normal(X.shape)

        x0 = np.tile([-1.2, 1.0], dd // 2) + 0.1 * rng.standard_normal(dd)
        return dict(kind=kind, f=f, grad=grad, sgrad=sgrad, L=None, f_star=0.0, x0=x0, x_star=np.ones(dd))
    if kind == "logistic":
        A, y = _logistic_data(rng, n, d)
        Ay = A * y[:, None]

        def f(X):
            z = X @ Ay.T
            return np.mean(np.logaddexp(0.0, -z), axis=1) + lam * np.sum(X * X / (1 + X * X), axis=1)

        def _g(X, rows):
            z = X @ Ay[rows].T
            s = -0.5 * (1 - np.tanh(z / 2))                 # -sigmoid(-z), stable
            return s @ Ay[rows] / len(rows) + lam * 2 * X / (1 + X * X) ** 2

        def grad(X):
            return _g(X, np.arange(n))

        def sgrad(X, g):
            rows = g.integers(0, n, size=(X.shape[0], 16))
            B = Ay[rows]                                    # (k, 16, d) minibatch per iterate
            z = np.einsum("kd,ksd->ks", X, B)
            s = -0.5 * (1 - np.tanh(z / 2))
            return np.einsum("ks,ksd->kd", s, B) / 16 + lam * 2 * X / (1 + X * X) ** 2

        L = float(np.linalg.norm(A, 2) ** 2 / (4 * n) + 2 * lam)   # |r''| <= 2 for r(x) = x^2/(1+x^2)
        return dict(kind=kind, f=f, grad=grad, sgrad=sgrad, L=L, f_star=None, x0=2 * _unit(rng, d), A=A, y=y,
                    lam=lam)
    raise invalid(f"{_WHERE}.make_sgd_problem", "kind", kind, "use 'quadratic', 'rosenbrock' or 'logistic'")


def _unit(rng, d):
    v = rng.standard_normal(d)
    return v / np.linalg.norm(v)


@st.composite
def sgd_problems(draw, kinds=("quadratic", "rosenbrock", "logistic"), d=(2, 16), bases=("sgd", "sgdm", "adam")):
    """dict(kind, d, seed, cond, noise, base, eta_factor): eta = eta_factor / L (Adam: eta_factor * 0.01)."""
    return {"kind": draw(st.sampled_from(kinds)), "d": draw(st.integers(*d)), "seed": draw(seeds()),
            "cond": draw(st.sampled_from([10.0, 1e3, 1.0])), "noise": draw(st.sampled_from([0.1, 1.0, 0.01])),
            "base": draw(st.sampled_from(bases)), "eta_factor": draw(st.sampled_from([0.5, 0.1, 1.0]))}

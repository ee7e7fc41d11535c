"""A unified framework and acceleration rules for SGD (Deng, Song, Yang), arXiv 2402.01515.

Setting
-------
A first-order method updates x_{t+1} = x_t - eta g_t (x, g in R^d). The abstract reads every direction as
      g_t = grad f_t(x_t) + (2 |<v_t, grad f_t(x_t)>| / ||v_t||^2) v_t      (the decomposition)
for some v_t, and analyses convergence through <v_t, grad f_t(x_t)>. For L-smooth f the descent lemma is
f(x - eta g) <= f(x) - eta <grad f(x), g> + (L eta^2 / 2) ||g||^2.

Procedure
---------
`certify.solvers.sgd`: SGD, SGD with heavy-ball momentum 0.9 and Adam, batched over S = 30 seeds with a shared
noise stream (paired comparison). Reject Accelerating: v_t = d_t - g_t (the method's own deviation from the
stochastic gradient g_t); if <v_t, g_t> < 0 the step uses g_t, otherwise the decomposition's g_t. Random Vector Accelerating:
v_t ~ N(0, sigma_v^2 I) fresh each step; if <v_t, g_t> >= 0 the step adds (2 <v_t, g_t>/||v_t||^2) v_t to the base
direction d_t. Test problems (`certify.strategies.sampled_regression.make_sgd_problem`): noisy quadratics
(f* = 0, kappa in {1, 10, 1e3}), Rosenbrock (f* = 0), logistic regression with the non-convex regulariser
lam sum x^2/(1+x^2) (f* by L-BFGS, lowered to the best value any run reached). Step sizes eta = eta_factor / L
(SGD, SGDm), 0.01 eta_factor (Adam); Rosenbrock uses L = 1e3.

Claims
------
* deng2024a.direction_decomposition (ABSTRACT): for a method's own (g_t, grad f_t(x_t)) there is v_t with the decomposition.
  The set {(2|<v, a>|/||v||^2) v} is the sphere of centre a and radius ||a|| (Thales), so the minimum over v of
  ||g - a - (2|<v,a>|/||v||^2) v|| is | ||g - 2a|| - ||a|| | (a = grad f_t); measured relative to ||g||.
* deng2024a.reject_accelerating (ABSTRACT): Reject Accelerating improves on the base method: the ratios (accelerated / base)
  of min_t E||grad f(x_t)||^2 and of E f(x_T) - f* are <= ratio_bound = 1; refuted when the lower end of the
  95 % paired-bootstrap interval (over S >= 30 seeds) exceeds it.
* deng2024a.random_vector_accelerating (ABSTRACT): the same for Random Vector Accelerating, sigma_v in {0.1, 1, 10}, also on Adam.
* deng2024a.descent_lemma (DERIVED): the descent lemma for quadratics (L = lambda_max(H)) and the logistic problem
  (L = ||A||^2/(4n) + 2 lam, |r''| <= 2 for r(x) = x^2/(1+x^2)).

Hypotheses
----------
d in [2, 16], T = 100 steps, gradient noise sigma in {0.01, 0.1, 1} (Gaussian; logistic: minibatches of 16),
eta_factor in {0.1, 0.5, 1}; for the descent lemma eta up to 10/L and g random, along grad f or along the top
eigenvector (the equality case of the descent lemma for quadratics).

Source
------
arXiv 2402.01515 (v1, Feb 2024), abstract: the direction decomposition, Reject Accelerating and Random Vector
Accelerating "directly lead to an improvement in convergence rate"; appendices on both rules and on Adam with
Random Vector Accelerating. The rules and assumptions are RECONSTRUCTED (the forms written under Setting and Procedure).

Deviations
----------
* In Reject Accelerating v_t is taken as the method's deviation d_t - g_t (the abstract does not say which v_t); plain SGD then
  has v_t = 0 and the rule leaves it unchanged (ratio exactly 1).
* The acceleration claims run the float64 optimisers in every context; only the final statistics are
  re-evaluated at high precision (a refutation is the optimiser's output, labelled as such by its evidence).
* min_t E||grad f||^2 uses the full gradient at the iterates; f(x_T) - f* is the last-iterate gap. A diverged run
  counts as 1e300 in both.
* Baseline ``base_optimiser`` (use_rule = False) runs the base method in place of the accelerated one: ratio 1
  with a degenerate interval, i.e. it meets ratio_bound = 1 by construction and shows what "no improvement" reads.
* direction_decomposition uses the closed-form minimum over v instead of 20 numerical restarts.
"""

from __future__ import annotations

import functools

import numpy as np
from hypothesis import strategies as st

import certify
from certify.solvers import sgd as SGD
from certify.strategies import sampled_regression as srs
from certify.strategies import seeds

SRC = "arXiv:2402.01515"
CAT = "claims/related.md section 7"
BIG = 1e300


@functools.lru_cache(maxsize=256)
def _problem(kind, d, seed, cond, noise):
    return srs.make_sgd_problem(kind, d, seed, cond=cond, noise=noise)


def _eta(P, base, eta_factor):
    if base == "adam":
        return 0.01 * eta_factor
    return eta_factor / (P["L"] if P["L"] else 1e3)


@functools.lru_cache(maxsize=256)
def _f_star(kind, d, seed, cond, noise):
    P = _problem(kind, d, seed, cond, noise)
    if P["f_star"] is not None:
        return float(P["f_star"])
    from scipy.optimize import minimize

    res = minimize(lambda z: float(P["f"](z[None])[0]), P["x0"], jac=lambda z: P["grad"](z[None])[0],
                   method="L-BFGS-B", options={"maxiter": 500, "gtol": 1e-12})
    return float(res.fun)


@functools.lru_cache(maxsize=512)
def _run(kind, d, seed, cond, noise, base, eta_factor, rule, sigma_v, steps, n_seeds):
    P = _problem(kind, d, seed, cond, noise)
    return SGD.run(P, base, steps, _eta(P, base, eta_factor), rule=rule, sigma_v=sigma_v, seeds=n_seeds,
                   seed=seed)


def _min_mean(G):
    return np.min(np.mean(G, axis=-2), axis=-1)


def _mean(G):
    return np.mean(G, axis=-1)


def _ratios(inst, rule, sigma_v, steps, n_seeds):
    key = (inst["kind"], inst["d"], inst["seed"], inst["cond"], inst["noise"])
    base = _run(*key, inst["base"], inst["eta_factor"], None, 1.0, steps, n_seeds)
    acc = _run(*key, inst["base"], inst["eta_factor"], rule, sigma_v, steps, n_seeds)
    fs = min(_f_star(*key), float(np.min(base["f"])), float(np.min(acc["f"])))
    g_b, g_a = (np.minimum(r["grad_sq"], BIG) for r in (base, acc))
    f_b, f_a = (np.minimum(r["f"][:, -1] - fs, BIG) for r in (base, acc))
    r1 = SGD.bootstrap_ratio(g_a, g_b, _min_mean, seed=inst["seed"] % 2**31)
    r2 = SGD.bootstrap_ratio(f_a, f_b, _mean, seed=inst["seed"] % 2**31)
    return r1, r2


def _accel_margin(ctx, inst, rule, sigma_v, ratio_bound, steps, n_seeds, use_rule=True):
    rule = rule if use_rule else None              # baseline: the base optimiser against itself (ratio 1)
    r1, r2 = _ratios(inst, rule, sigma_v, steps, n_seeds)
    lo1, lo2 = ctx.num(min(r1[1], BIG)), ctx.num(min(r2[1], BIG))
    ev = {"grad_ratio": {"x": float(inst["eta_factor"]), "y": min(r1[0], BIG), "xlabel": "eta L",
                         "ylabel": "accelerated / base (min_t E||grad f||^2)"},
          "gap_ratio": {"x": float(inst["eta_factor"]), "y": min(r2[0], BIG), "xlabel": "eta L",
                        "ylabel": "accelerated / base (E f(x_T) - f*)"}}
    tag = f"{inst['base']}+{rule} on {inst['kind']}"
    return certify.all_of(
        certify.le(lo1, ratio_bound, label=f"CI_low of min_t E||grad||^2 ratio ({tag}; point {r1[0]:.3g})"),
        certify.le(lo2, ratio_bound, label=f"CI_low of E f(x_T)-f* ratio ({tag}; point {r2[0]:.3g})"),
        evidence=ev)


def _accel_inst(bases):
    @st.composite
    def draw_inst(draw):
        p = draw(srs.sgd_problems(d=(2, 16), bases=bases))
        p["sigma_v"] = draw(st.sampled_from([1.0, 0.1, 10.0]))
        return p

    return draw_inst()


@st.composite
def _pairs(draw):
    if draw(st.booleans()):
        d = draw(st.integers(1, 64))
        rng = np.random.default_rng(draw(seeds()))
        a = rng.standard_normal(d)
        g = a + draw(st.sampled_from([0.0, 0.1, 1.0, 10.0])) * rng.standard_normal(d)
        return {"g": g, "a": a, "source": "random"}
    p = draw(srs.sgd_problems(d=(2, 16)))
    t = draw(st.integers(1, 20))
    P = _problem(p["kind"], p["d"], p["seed"], p["cond"], p["noise"])
    run = SGD.run(P, p["base"], t, _eta(P, p["base"], p["eta_factor"]), seeds=1, seed=p["seed"], record=True)
    d_t, g_t = run["trace"][-1]
    return {"g": d_t, "a": g_t, "source": f"{p['base']} trace"}


@certify.claim(
    id="deng2024a.direction_decomposition",
    source=f"{SRC} abstract; {CAT} eq. (21)",
    statement=r"\exists v_t:\ g_t=\nabla f_t(x_t)+\frac{2|\langle v_t,\nabla f_t(x_t)\rangle|}{\|v_t\|_2^2}v_t",
    tag="ABSTRACT",
    inputs=dict(inst=_pairs()),
    assume=lambda inst: float(np.linalg.norm(inst["g"])) > 0,
    params=dict(tol=1e-8),
    expect=None,
    mutants=[certify.scale("tol", 0.0)],
)
def direction_decomposition(ctx, inst, tol):
    g, a = inst["g"], inst["a"]
    u = ctx.eps
    resid = abs(ctx.norm(g - 2 * a, 2) - ctx.norm(a, 2))       # distance to the Thales sphere
    rel = resid / ctx.norm(g, 2)
    return certify.le(rel, tol + 1e3 * u, label=f"min_v residual / ||g|| ({inst['source']})")


@certify.claim(
    id="deng2024a.reject_accelerating",
    source=f"{SRC} abstract; rule RECONSTRUCTED, {CAT} eq. (22)",
    statement=r"\text{Reject Accelerating: }\frac{\min_t\mathbb E\|\nabla f(x_t)\|^2\ (\text{accel})}"
              r"{\min_t\mathbb E\|\nabla f(x_t)\|^2\ (\text{base})}\le1,\ \frac{\mathbb E f(x_T)-f^*\ (\text{accel})}"
              r"{\mathbb E f(x_T)-f^*\ (\text{base})}\le1",
    tag="ABSTRACT",
    inputs=dict(inst=_accel_inst(("sgdm", "adam", "sgd"))),
    params=dict(ratio_bound=1.0, steps=100, n_seeds=30, use_rule=True),
    expect=None,
    baselines={"base_optimiser": {"use_rule": False}},
    mutants=[certify.scale("ratio_bound", 0.25)],
)
def reject_accelerating(ctx, inst, ratio_bound, steps, n_seeds, use_rule):
    return _accel_margin(ctx, inst, "reject", 1.0, ratio_bound, steps, n_seeds, use_rule)


@certify.claim(
    id="deng2024a.random_vector_accelerating",
    source=f"{SRC} abstract; rule RECONSTRUCTED, {CAT} eq. (23)",
    statement=r"\text{Random Vector Accelerating }(v_t\sim N(0,\sigma_v^2I)\text{, also on Adam): the same two "
              r"ratios}\le1",
    tag="ABSTRACT",
    inputs=dict(inst=_accel_inst(("sgd", "sgdm", "adam"))),
    params=dict(ratio_bound=1.0, steps=100, n_seeds=30, use_rule=True),
    expect=None,
    baselines={"base_optimiser": {"use_rule": False}},
    mutants=[certify.scale("ratio_bound", 0.25)],
)
def random_vector_accelerating(ctx, inst, ratio_bound, steps, n_seeds, use_rule):
    return _accel_margin(ctx, inst, "random_vector", inst["sigma_v"], ratio_bound, steps, n_seeds, use_rule)


# ----------------------------------------------------------------------------------------------- descent lemma


def _softplus(ctx, t):
    return (t + ctx.abs(t)) / 2 + ctx.log1p(ctx.exp(-ctx.abs(t)))


def _f_grad(ctx, P, x):
    if P["kind"] == "quadratic":
        H, xs = ctx.asarray(P["H"]), ctx.asarray(P["x_star"])
        e = x - xs
        return (e @ H @ e) / 2, H @ e
    A, y, lam = ctx.asarray(P["A"]), ctx.asarray(P["y"]), P["lam"]
    n = A.shape[0]
    z = (A @ x) * y
    sp_ = _softplus(ctx, -z)
    s = ctx.exp(-_softplus(ctx, z))                            # sigmoid(-z)
    f = ctx.sum(sp_) / n + lam * ctx.sum(x * x / (1 + x * x))
    g = -(A.T @ (s * y)) / n + lam * 2 * x / (1 + x * x) ** 2
    return f, g


@st.composite
def _descent_inst(draw):
    kind = draw(st.sampled_from(["quadratic", "logistic"]))
    d = draw(st.integers(1, 12))
    seed = draw(seeds())
    cond = draw(st.sampled_from([1.0, 10.0, 1e3, 1e6]))
    P = _problem(kind, d, seed, cond, 0.0)
    rng = np.random.default_rng(draw(seeds()))
    x = P["x0"] + draw(st.sampled_from([0.0, 1.0, 10.0])) * rng.standard_normal(d)
    gk = draw(st.sampled_from(["top", "grad", "random"]))
    if gk == "top" and kind == "quadratic":
        g = np.linalg.eigh(P["H"])[1][:, -1] * draw(st.sampled_from([1.0, -3.0]))
    elif gk == "grad":
        g = P["grad"](x[None])[0]
    else:
        g = rng.standard_normal(d)
    L = P["L"]
    return {"kind": kind, "d": d, "seed": seed, "cond": cond, "x": x, "g": g,
            "eta": draw(st.sampled_from([1.0, 2.0, 10.0, 0.1])) / L}


@certify.claim(
    id="deng2024a.descent_lemma",
    source=f"derived, {CAT} eq. (24)",
    statement=r"f\ L\text{-smooth}:\ f(x-\eta g)\le f(x)-\eta\langle\nabla f(x),g\rangle+\tfrac{L\eta^2}{2}\|g\|_2^2",
    tag="DERIVED",
    inputs=dict(inst=_descent_inst()),
    params=dict(L_factor=1.0, C_tol=1e3),
    mutants=[certify.scale("L_factor", 0.5)],
)
def descent_lemma(ctx, inst, L_factor, C_tol):
    P = _problem(inst["kind"], inst["d"], inst["seed"], inst["cond"], 0.0)
    x, g, eta = inst["x"], inst["g"], inst["eta"]
    L = L_factor * P["L"]
    u = ctx.eps
    f0, g0 = _f_grad(ctx, P, x)
    f1, _ = _f_grad(ctx, P, x - eta * g)
    rhs = f0 - eta * (g0 @ g) + L * eta * eta / 2 * (g @ g)
    scale = abs(f0) + abs(f1) + eta * abs(g0 @ g) + L * eta * eta * (g @ g)
    return certify.le(f1, rhs + C_tol * u * (1 + scale) * len(x), label=f"f(x - eta g) vs (24) ({inst['kind']})")

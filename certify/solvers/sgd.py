"""SGD, SGD with momentum and Adam, with deng2024a's two acceleration rules (claims/related.md section 7).

Every run advances a batch of independent seeds at once (iterates X of shape (S, d)), so that the expectations
of the claims (over the gradient noise) are means over S >= 30 runs at the cost of one vectorised run.

Base directions d_t from the stochastic gradient g_t = grad f_t(x_t):
  sgd   d_t = g_t;   sgdm  m_t = beta m_{t-1} + g_t, d_t = m_t (heavy ball, beta = 0.9);
  adam  the bias-corrected m_hat / (sqrt(v_hat) + 1e-8) (beta1 0.9, beta2 0.999).
Acceleration rules (eq. (21) g = grad + (2 |<v, grad>| / ||v||^2) v):
  reject         v_t := d_t - g_t (the method's own deviation from the gradient); if <v_t, g_t> < 0 the step
                 uses g_t, otherwise (21) with v_t (eq. (22));
  random_vector  v_t ~ N(0, sigma_v^2 I) fresh each step; if <v_t, g_t> >= 0 the step uses
                 d_t + (2 <v_t, g_t> / ||v_t||^2) v_t, otherwise d_t (eq. (23), also on top of Adam).
The update is x_{t+1} = x_t - eta * direction. Non-finite iterates are frozen at the last finite value and the
run is marked diverged (its recorded values are +inf).
"""

from __future__ import annotations

import numpy as np

from certify.errors import invalid

__all__ = ["BASES", "RULES", "run", "bootstrap_ratio"]

BASES = ("sgd", "sgdm", "adam")
RULES = (None, "reject", "random_vector")
_HERE = "certify.solvers.sgd"


def _rowdot(A, B):
    return np.einsum("kd,kd->k", A, B)


def run(problem, base, steps, eta, rule=None, sigma_v=1.0, seeds=30, seed=0, beta=0.9, record=False):
    """Run ``seeds`` independent copies; returns dict(grad_sq (S, T+1) of ||grad f(x_t)||^2, f (S, T+1),
    diverged (S,) bool, x (S, d) final iterates). The noise stream of seed s is shared by every rule (paired
    comparison); the random vectors of ``random_vector`` come from a separate stream. ``record``: also return
    ``trace``, the list of (direction d_t, stochastic gradient g_t) of seed 0 before any acceleration rule."""
    if base not in BASES:
        raise invalid(_HERE + ".run", "base", base, f"use one of {BASES}")
    if rule not in RULES:
        raise invalid(_HERE + ".run", "rule", rule, f"use one of {RULES}")
    if not (eta > 0):
        raise invalid(_HERE + ".run", "eta", eta, "pass a positive step size")
    noise = np.random.default_rng([int(seed), 0])
    vecs = np.random.default_rng([int(seed), 1])
    X = np.tile(np.asarray(problem["x0"], dtype=float), (int(seeds), 1))
    S, d = X.shape
    m = np.zeros_like(X)
    v2 = np.zeros_like(X)
    gs = np.empty((S, steps + 1))
    fs = np.empty((S, steps + 1))
    alive = np.ones(S, dtype=bool)
    trace = []
    with np.errstate(all="ignore"):
        gs[:, 0] = np.sum(problem["grad"](X) ** 2, axis=1)
        fs[:, 0] = problem["f"](X)
        for t in range(1, steps + 1):
            g = problem["sgrad"](X, noise)
            if base == "sgd":
                D = g
            elif base == "sgdm":
                m = beta * m + g
                D = m
            else:
                m = 0.9 * m + 0.1 * g
                v2 = 0.999 * v2 + 0.001 * g * g
                D = (m / (1 - 0.9**t)) / (np.sqrt(v2 / (1 - 0.999**t)) + 1e-8)
            if record:
                trace.append((D[0].copy(), g[0].copy()))
            if rule == "reject":
                V = D - g
                ip = _rowdot(V, g)
                vv = _rowdot(V, V)
                coef = np.where(vv > 0, 2 * np.abs(ip) / np.where(vv > 0, vv, 1.0), 0.0)
                D = np.where((ip < 0)[:, None], g, g + coef[:, None] * V)
            elif rule == "random_vector":
                V = sigma_v * vecs.standard_normal(X.shape)
                ip = _rowdot(V, g)
                vv = _rowdot(V, V)
                D = D + np.where(ip >= 0, 2 * ip / vv, 0.0)[:, None] * V
            Xn = X - eta * D
            ok = np.all(np.isfinite(Xn), axis=1) & alive
            X = np.where(ok[:, None], Xn, X)
            alive = ok
            gq = np.sum(problem["grad"](X) ** 2, axis=1)
            fq = problem["f"](X)
            bad = ~alive | ~np.isfinite(gq) | ~np.isfinite(fq)
            alive &= ~bad
            gs[:, t] = np.where(alive, gq, np.inf)
            fs[:, t] = np.where(alive, fq, np.inf)
    out = {"grad_sq": gs, "f": fs, "diverged": ~alive, "x": X}
    if record:
        out["trace"] = trace
    return out


def bootstrap_ratio(num, den, reducer, B=400, seed=0, level=0.95):
    """Paired bootstrap of reducer(num) / reducer(den) over the seed axis 0 (num, den of shape (S, ...)).
    Returns (point, lo, hi) of the ratio; an infinite numerator gives +inf."""
    num, den = np.asarray(num, dtype=float), np.asarray(den, dtype=float)
    S = num.shape[0]
    if S < 2 or den.shape[0] != S:
        raise invalid(_HERE + ".bootstrap_ratio", "num/den", (num.shape, den.shape), "pass paired arrays, S >= 2")
    rng = np.random.default_rng(seed)

    def ratio(a, b):
        with np.errstate(all="ignore"):
            r = reducer(a) / reducer(b)
        return np.where(np.isnan(r), 1.0, r)

    point = float(ratio(num[None], den[None])[0])
    idx = rng.integers(0, S, size=(B, S))
    rs = ratio(num[idx], den[idx])
    a = (1 - level) / 2
    return point, float(np.quantile(rs, a)), float(np.quantile(rs, 1 - a))

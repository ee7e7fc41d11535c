"""The shared approximate-Newton framework (claims/attention_regression.md section 5), generic in the loss.

Pieces
------
* Losses: any object with ``value(ctx, x)``, ``grad(ctx, x)``, ``hess(ctx, x)`` and optionally
  ``factor(ctx, x)`` returning ``(A, M)`` with ``hess = A^T M A`` (M an (n,) diagonal or an (n, n) matrix).
  `RegressionLoss` wraps the three regression problems of `certify.kernels.regression` (through
  ``ctx.regression``, so it runs in float64 and in mpmath); `QuadraticLoss` has a constant Hessian (M = 0);
  `FunctionLoss` wraps three callables.
* eps0-approximate Hessians (24), drawn over the WHOLE sandwich set by (25): ``H~ = H^{1/2} (I + E) H^{1/2}``,
  ``E = E^T``, ``||E|| <= eps0``. `draw_E` gives random spectra in [-eps0, eps0], the extreme ``E = +-eps0 I``,
  random sign patterns at +-eps0, and adversarial eigenbases (aligned with a given direction).
* Leverage-score Hessian sparsification (26): `leverage_scores`, `sample_rows` (m = ceil(C_nnz p ln(n/delta))
  i.i.d. rows with probability tau_i / sum tau), `sparsify_diag` (the D-tilde of the lemma for F = D^{1/2} A)
  and `sparsified_hessian` for any factor F with F^T F = H.
* `newton`: the update (27) ``x <- x - H~^{-1} grad`` with exact or approximate Hessians, every iterate recorded.
* `minimiser`: a high-accuracy minimiser (damped Newton in float64, then optionally plain Newton in
  ``certify.mp(dps)`` until the gradient is below 10^{-(dps-10)}).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from certify.errors import invalid

__all__ = [
    "RegressionLoss",
    "ClosedFormLoss",
    "QuadraticLoss",
    "FunctionLoss",
    "sqrtm_psd",
    "sandwich",
    "draw_E",
    "generalized_eigs",
    "approximation_error",
    "leverage_scores",
    "sample_count",
    "sample_rows",
    "sparsify_diag",
    "factor_of",
    "sparsified_hessian",
    "sandwich_oracle",
    "sparsified_oracle",
    "NewtonRun",
    "newton",
    "minimiser",
    "lipschitz_bound",
    "good_loss",
    "radius_for",
]

_HERE = "solvers.newton"


def _fp():
    from certify.context import fp

    return fp


# ----------------------------------------------------------------------------------------------------------
# losses
# ----------------------------------------------------------------------------------------------------------


class RegressionLoss:
    """One of the regression losses of `certify.kernels.regression`, evaluated in any numeric context.

    problem: 'exp' (li2023e, eq. 32; ``g`` in exp/cosh/sinh), 'softmax' (deng2023s, eq. 38) or 'rescaled'
    (gao2023r, eqs. 44, 47; ``g`` in exp/cosh/sinh). ``w=None`` means no regulariser.
    """

    def __init__(self, problem, A, b, w=None, g="exp", objective="half_squared"):
        if problem not in ("exp", "softmax", "rescaled"):
            raise invalid(f"{_HERE}.RegressionLoss", "problem", problem, "use 'exp', 'softmax' or 'rescaled'")
        self.problem, self.A, self.b, self.w, self.g, self.objective = problem, A, b, w, g, objective

    def _data(self, ctx):
        w = None if self.w is None else ctx.asarray(self.w)
        return ctx.asarray(self.A), ctx.asarray(self.b), w

    def _call(self, ctx, what, x):
        A, b, w = self._data(ctx)
        fn = getattr(ctx.regression, f"{self.problem}_{what}")
        if self.problem == "softmax":
            return fn(A, b, w, ctx.asarray(x), objective=self.objective)
        return fn(A, b, w, ctx.asarray(x), self.g, objective=self.objective)

    def value(self, ctx, x):
        return self._call(ctx, "loss", x)

    def grad(self, ctx, x):
        return self._call(ctx, "grad", x)

    def hess(self, ctx, x):
        return self._call(ctx, "hessian", x)

    @property
    def _mult(self):
        if self.objective == "half_squared":
            return 1
        if self.objective == "squared":
            return 2
        return None  # norm: no A^T M A form

    def factor(self, ctx, x):
        """(A, M) with hess = A^T M A: M = phi + w o w (n,) for 'exp', the n x n middle matrix otherwise."""
        mult = self._mult
        if mult is None:
            return None
        A, b, w = self._data(ctx)
        x = ctx.asarray(x)
        n = A.shape[0]
        if self.problem == "exp":
            return A, mult * ctx.regression.exp_hessian_weights(A, b, w, x, self.g)
        if self.problem == "softmax":
            f = ctx.softmax(A @ x)
            M = ctx.regression.softmax_B(f, b)
        else:
            M = ctx.regression.rescaled_B(A, b, x, self.g)
        if w is not None:
            for i in range(n):
                M[i, i] = M[i, i] + w[i] * w[i]
        return A, mult * M


class ClosedFormLoss:
    """The regression losses of (32), (38), (44)+(47) in half-squared form, evaluated from the closed forms
    (33)-(34), (39)-(40), (45)-(48) with the context's generic operations. Fast in mpmath as well (no numerical
    differentiation), for the Newton-framework claims; the closed forms themselves are checked against
    `certify.reference.regression` (mpm.diff) by the DERIVED claims and the kernel tests."""

    def __init__(self, problem, A, b, w=None, g="exp"):
        if problem not in ("exp", "softmax", "rescaled"):
            raise invalid(f"{_HERE}.ClosedFormLoss", "problem", problem, "use 'exp', 'softmax' or 'rescaled'")
        if g not in ("exp", "cosh", "sinh"):
            raise invalid(f"{_HERE}.ClosedFormLoss", "g", g, "use 'exp', 'cosh' or 'sinh'")
        self.problem, self.A, self.b, self.w, self.g = problem, A, b, w, g

    def _d(self, ctx, x):
        A, b = ctx.asarray(self.A), ctx.asarray(self.b)
        w2 = ctx.zeros(A.shape[0]) if self.w is None else ctx.asarray(self.w) ** 2
        return A, b, w2, A @ ctx.asarray(x)

    def _fam(self, ctx, t):
        if self.g == "exp":
            e = ctx.exp(t)
            return e, e, e
        if self.g == "cosh":
            return ctx.cosh(t), ctx.sinh(t), ctx.cosh(t)
        return ctx.sinh(t), ctx.cosh(t), ctx.sinh(t)

    def _parts(self, ctx, x):
        A, b, w2, t = self._d(ctx, x)
        if self.problem == "exp":
            F, F1, F2 = self._fam(ctx, t)
            res = F - b
            return A, w2, t, res, res * F1, None, F1 * F1 + res * F2
        if self.problem == "softmax":
            f = ctx.softmax(t)
            c = f - b
            fc = ctx.sum(f * c)
            J = ctx.diag(f) - ctx.outer(f, f)
            fv = f * c
            gam = (ctx.diag(fv) - ctx.outer(fv, f) - ctx.outer(f, fv) + 2 * fc * ctx.outer(f, f)
                   - fc * ctx.diag(f))
            return A, w2, t, c, f * c - fc * f, J @ J + gam, None
        u, u1, u2 = self._fam(ctx, t)
        c = u - ctx.sum(u) * b
        r = c - ctx.sum(b * c)
        n = A.shape[0]
        PtP = ctx.eye(n) - ctx.outer(b, ctx.ones(n)) - ctx.outer(ctx.ones(n), b) + ctx.sum(b * b) * ctx.outer(
            ctx.ones(n), ctx.ones(n))
        B = ctx.outer(u1, u1) * PtP + ctx.diag(u2 * r)
        return A, w2, t, c, u1 * r, B, None

    def value(self, ctx, x):
        A, w2, t, res, _, _, _ = self._parts(ctx, x)
        return (ctx.sum(res * res) + ctx.sum(w2 * t * t)) / 2

    def grad(self, ctx, x):
        A, w2, t, _, r, _, _ = self._parts(ctx, x)
        return ctx.transpose(A) @ (r + w2 * t)

    def factor(self, ctx, x):
        A, w2, t, _, _, B, D = self._parts(ctx, x)
        if B is None:
            return A, D + w2
        return A, B + ctx.diag(w2)

    def hess(self, ctx, x):
        A, M = self.factor(ctx, x)
        H = ctx.transpose(A) @ (M[:, None] * A if M.ndim == 1 else M @ A)
        return (H + ctx.transpose(H)) / 2


class QuadraticLoss:
    """L(x) = 1/2 (x - x*)^T H (x - x*): Hessian constant (M = 0), minimiser x*, l = lambda_min(H)."""

    def __init__(self, H, x_star):
        self.H, self.x_star = H, x_star

    def value(self, ctx, x):
        e = ctx.asarray(x) - ctx.asarray(self.x_star)
        return ctx.dot(e, ctx.asarray(self.H) @ e) / 2

    def grad(self, ctx, x):
        return ctx.asarray(self.H) @ (ctx.asarray(x) - ctx.asarray(self.x_star))

    def hess(self, ctx, x):
        return ctx.asarray(self.H)

    def factor(self, ctx, x):
        H = ctx.asarray(self.H)
        p = H.shape[0]
        return ctx.transpose(ctx.cholesky(H)), ctx.ones(p)


@dataclass
class FunctionLoss:
    """A loss from callables ``value(ctx, x)``, ``grad(ctx, x)``, ``hess(ctx, x)`` (optional ``factor``)."""

    value_fn: object
    grad_fn: object
    hess_fn: object
    factor_fn: object = None

    def value(self, ctx, x):
        return self.value_fn(ctx, x)

    def grad(self, ctx, x):
        return self.grad_fn(ctx, x)

    def hess(self, ctx, x):
        return self.hess_fn(ctx, x)

    def factor(self, ctx, x):
        return None if self.factor_fn is None else self.factor_fn(ctx, x)


# ----------------------------------------------------------------------------------------------------------
# the sandwich set (24)-(25)
# ----------------------------------------------------------------------------------------------------------


def sqrtm_psd(ctx, H):
    """Symmetric PSD square root V diag(sqrt(max(lambda, 0))) V^T."""
    lam, V = ctx.eigh(ctx.asarray(H))
    p = len(lam)
    s = ctx.zeros(p)
    zero = ctx.num(0)
    for i in range(p):
        s[i] = ctx.sqrt(lam[i]) if lam[i] > zero else zero
    return (V * s[None, :]) @ ctx.transpose(V)


def sandwich(ctx, H, E, root=None):
    """H~ = H^{1/2} (I + E) H^{1/2} (25); ``root`` may pass a precomputed H^{1/2}."""
    R = sqrtm_psd(ctx, H) if root is None else root
    E = ctx.asarray(E)
    p = E.shape[0]
    M = R @ (ctx.eye(p) + E) @ R
    return (M + ctx.transpose(M)) / 2


def _orthogonal(rng, p):
    q, r = np.linalg.qr(rng.standard_normal((p, p)))
    return q * np.sign(np.where(np.diag(r) == 0, 1.0, np.diag(r)))[None, :]


def draw_E(rng, p, eps0, spectrum="uniform", basis="random", direction=None):
    """A symmetric p x p matrix E with ||E|| <= eps0 (float64).

    spectrum: 'uniform' (eigenvalues U[-eps0, eps0]), 'plus' (all +eps0), 'minus' (all -eps0), 'signs' (random
    +-eps0), 'split' (+eps0 on the first eigenvector, -eps0 on the others), 'zero'.
    basis: 'random' (Haar orthogonal), 'identity', or 'aligned' (first eigenvector = ``direction``, e.g. the
    current error x_t - x* or the gradient, the rest random).
    """
    if spectrum == "uniform":
        lam = rng.uniform(-eps0, eps0, p)
    elif spectrum == "plus":
        lam = np.full(p, float(eps0))
    elif spectrum == "minus":
        lam = np.full(p, -float(eps0))
    elif spectrum == "signs":
        lam = float(eps0) * rng.choice([-1.0, 1.0], p)
    elif spectrum == "split":
        lam = np.full(p, -float(eps0))
        lam[0] = float(eps0)
    elif spectrum == "zero":
        lam = np.zeros(p)
    else:
        raise invalid(f"{_HERE}.draw_E", "spectrum", spectrum, "use uniform, plus, minus, signs, split or zero")
    if basis == "identity":
        V = np.eye(p)
    elif basis == "random":
        V = _orthogonal(rng, p)
    elif basis == "aligned":
        v = np.asarray(direction, dtype=float).reshape(-1)
        nv = np.linalg.norm(v)
        if v.shape[0] != p or not nv > 0:
            raise invalid(f"{_HERE}.draw_E", "direction", direction, f"pass a non-zero vector of length {p}")
        M = np.column_stack([v / nv, rng.standard_normal((p, p - 1))])
        V, _ = np.linalg.qr(M)
    else:
        raise invalid(f"{_HERE}.draw_E", "basis", basis, "use 'random', 'identity' or 'aligned'")
    E = (V * lam[None, :]) @ V.T
    return (E + E.T) / 2


def generalized_eigs(ctx, Ht, H):
    """Eigenvalues of the pencil (H~, H) for H > 0: eig(L^{-1} H~ L^{-T}) with H = L L^T (Cholesky)."""
    L = ctx.cholesky(ctx.asarray(H))
    Linv = ctx.inv(L)
    M = Linv @ ctx.asarray(Ht) @ ctx.transpose(Linv)
    return ctx.eigvalsh((M + ctx.transpose(M)) / 2)


def approximation_error(ctx, Ht, H):
    """Realised eps0: max |generalised eigenvalue of (H~, H) - 1|."""
    ev = generalized_eigs(ctx, Ht, H)
    return max(abs(e - 1) for e in ev)


# ----------------------------------------------------------------------------------------------------------
# leverage-score sparsification (26)
# ----------------------------------------------------------------------------------------------------------


def leverage_scores(F, rcond=1e-12):
    """tau_i = F_i (F^T F)^+ F_i^T = squared row norms of the left singular vectors of F (rank-revealing SVD)."""
    F = np.asarray(F, dtype=float)
    if F.ndim != 2 or F.size == 0:
        raise invalid(f"{_HERE}.leverage_scores", "F", f"shape {np.shape(F)}", "pass a non-empty 2-D matrix")
    U, s, _ = np.linalg.svd(F, full_matrices=False)
    keep = s > rcond * (s[0] if s.size else 0.0)
    U = U[:, keep]
    return np.einsum("ij,ij->i", U, U)


def sample_count(n, p, delta, C_nnz=1.0):
    """m = ceil(C_nnz * p * ln(n / delta)) (at least 1)."""
    if not (0 < delta < 1):
        raise invalid(f"{_HERE}.sample_count", "delta", delta, "pass a failure probability in (0, 1)")
    return max(1, int(math.ceil(C_nnz * p * math.log(n / delta))))


def sample_rows(rng, F, delta, C_nnz=1.0, m=None):
    """Leverage-score row sampling of (26): Sigma (n,) with F^T diag(Sigma) F ~ F^T F; returns (Sigma, m)."""
    F = np.asarray(F, dtype=float)
    n, p = F.shape
    if not np.all(np.isfinite(F)):
        raise FloatingPointError("sample_rows: the factor F has non-finite entries")
    tau = leverage_scores(F)
    total = tau.sum()
    if m is None:
        m = sample_count(n, p, delta, C_nnz)
    if not total > 0:
        return np.zeros(n), m
    pi = tau / total
    counts = rng.multinomial(m, pi)
    sigma = np.zeros(n)
    nz = counts > 0
    sigma[nz] = counts[nz] / (m * pi[nz])
    return sigma, m


def sparsify_diag(rng, A, D, delta, C_nnz=1.0, m=None):
    """The lemma's D~ for H = A^T D A, D >= 0 diagonal (n,): sample rows of F = D^{1/2} A; D~ = Sigma o D."""
    D = np.asarray(D, dtype=float)
    if np.any(D < 0):
        raise invalid(f"{_HERE}.sparsify_diag", "D", f"min {D.min()}", "pass a non-negative diagonal (D >= 0)")
    F = np.sqrt(D)[:, None] * np.asarray(A, dtype=float)
    sigma, m = sample_rows(rng, F, delta, C_nnz, m)
    return sigma * D, m


def factor_of(A, M, H=None):
    """A factor F (float64) with F^T F = A^T M A: D^{1/2} A for a diagonal M >= 0, M^{1/2} A for a PSD matrix M;
    falls back to the p x p factor H^{1/2} (when M is indefinite but H is PD) -- then sampling is trivial."""
    A = np.asarray(A, dtype=float)
    M = np.asarray(M, dtype=float)
    if M.ndim == 1:
        if np.all(M >= 0):
            return np.sqrt(M)[:, None] * A
    else:
        lam, V = np.linalg.eigh((M + M.T) / 2)
        if lam.min() >= -1e-14 * max(1.0, abs(lam).max()):
            return ((V * np.sqrt(np.clip(lam, 0, None))[None, :]) @ V.T) @ A
    if H is None:
        H = A.T @ (M[:, None] * A if M.ndim == 1 else M @ A)
    lam, V = np.linalg.eigh((H + H.T) / 2)
    return (V * np.sqrt(np.clip(lam, 0, None))[None, :]) @ V.T


def sparsified_hessian(ctx, rng, F, delta, C_nnz=1.0, m=None):
    """F^T diag(Sigma) F in the context ``ctx`` (Sigma drawn in float64 from the leverage scores of F)."""
    sigma, m = sample_rows(rng, F, delta, C_nnz, m)
    Fc = ctx.asarray(np.asarray(F, dtype=float))
    S = ctx.asarray(sigma)
    H = ctx.transpose(Fc) @ (Fc * S[:, None])
    return (H + ctx.transpose(H)) / 2, m


# ----------------------------------------------------------------------------------------------------------
# Hessian oracles: callables (ctx, x, H, rng, t, loss, x_star) -> H~
# ----------------------------------------------------------------------------------------------------------


def sandwich_oracle(eps0, spectrum="uniform", basis="random"):
    """eps0-approximate Hessians over the sandwich set (25). basis='aligned' aligns the first eigenvector of E
    with the current error x_t - x* (when x* is known) or else with the gradient."""

    def oracle(ctx, x, H, rng, t, loss=None, x_star=None):
        p = H.shape[0]
        direction = None
        if basis == "aligned":
            if x_star is not None:
                direction = ctx.to_float(ctx.asarray(x) - ctx.asarray(x_star))
            else:
                direction = ctx.to_float(loss.grad(ctx, x))
            if not np.linalg.norm(direction) > 0:
                direction = np.ones(p)
        E = draw_E(rng, p, eps0, spectrum, basis, direction)
        return sandwich(ctx, H, ctx.asarray(E))

    oracle.description = f"sandwich(eps0={eps0}, spectrum={spectrum}, basis={basis})"
    return oracle


def sparsified_oracle(delta, C_nnz=1.0, m=None):
    """Leverage-score sparsified Hessians (26) from the loss's A^T M A factorisation (H^{1/2} otherwise)."""

    def oracle(ctx, x, H, rng, t, loss=None, x_star=None):
        fac = loss.factor(ctx, x) if (loss is not None and hasattr(loss, "factor")) else None
        if fac is None:
            F = factor_of(np.eye(H.shape[0]), ctx.to_float(H))
        else:
            A, M = fac
            F = factor_of(ctx.to_float(A), ctx.to_float(M), ctx.to_float(H))
        Ht, _ = sparsified_hessian(ctx, rng, F, delta, C_nnz, m)
        return Ht

    oracle.description = f"sparsified(delta={delta}, C_nnz={C_nnz})"
    return oracle


# ----------------------------------------------------------------------------------------------------------
# Newton iterations (27)
# ----------------------------------------------------------------------------------------------------------


@dataclass
class NewtonRun:
    """Recorded run: iterates x_0..x_T, losses, gradient norms, distances to x* (if known), realised eps0."""

    iterates: list = field(default_factory=list)
    losses: list = field(default_factory=list)
    grad_norms: list = field(default_factory=list)
    distances: list = field(default_factory=list)
    eps_realised: list = field(default_factory=list)
    status: str = "ok"

    def curves(self):
        """Plain floats for plotting (distance and loss against iteration)."""
        out = {"iteration": list(range(len(self.losses))), "loss": [float(v) for v in self.losses],
               "grad_norm": [float(v) for v in self.grad_norms]}
        if self.distances:
            out["distance"] = [float(v) for v in self.distances]
        return out


def newton(ctx, loss, x0, steps, hessian="exact", rng=None, x_star=None, record_eps=False, stop_tol=None):
    """Run ``steps`` iterations of x_{t+1} = x_t - H~_t^{-1} grad L(x_t) (27).

    hessian: 'exact' or an oracle (see `sandwich_oracle`, `sparsified_oracle`) drawing fresh randomness at
    every step from ``rng``. Records every iterate; stops early (status 'singular'/'nonfinite') if a solve
    fails, or when the distance to x* falls below ``stop_tol``.
    """
    if rng is None:
        rng = np.random.default_rng(0)
    x = ctx.asarray(x0)
    run = NewtonRun()
    xs = None if x_star is None else ctx.asarray(x_star)

    def record(x):
        run.iterates.append(x)
        run.losses.append(loss.value(ctx, x))
        run.grad_norms.append(ctx.norm(loss.grad(ctx, x), 2))
        if xs is not None:
            run.distances.append(ctx.norm(x - xs, 2))

    record(x)
    for t in range(int(steps)):
        if stop_tol is not None and xs is not None and run.distances[-1] <= stop_tol:
            break
        g = loss.grad(ctx, x)
        H = loss.hess(ctx, x)
        if not (ctx.isfinite(g) and ctx.isfinite(H)):
            run.status = "nonfinite"
            break
        try:
            Ht = H if hessian == "exact" else hessian(ctx, x, H, rng, t, loss=loss, x_star=xs)
            if record_eps and hessian != "exact":
                run.eps_realised.append(approximation_error(ctx, Ht, H))
            step = ctx.solve(Ht, g)
        except (np.linalg.LinAlgError, ZeroDivisionError, FloatingPointError, ValueError):
            run.status = "singular"
            break
        x = x - step
        if not ctx.isfinite(x):
            run.status = "nonfinite"
            break
        record(x)
    return run


def minimiser(loss, x0, ctx=None, dps=None, max_iter=200, gtol=1e-13):
    """A high-accuracy minimiser: damped (Levenberg + backtracking) Newton in float64 from x0, then plain
    Newton in ``certify.mp(dps)`` (if dps is given) until ||grad|| < 10^{-(dps - 10)} (at most 8 steps).

    Returns (x*, info) where x* is a float64 array (dps None) or an mp object array, and info a dict with the
    final gradient norm, lambda_min of the Hessian there and the number of iterations.
    """
    fp = _fp()
    x = np.asarray(ctx.to_float(x0) if ctx is not None else x0, dtype=float).copy()
    mu = 0.0
    it = 0
    for it in range(max_iter):  # noqa: B007 - it is reported after the loop
        g = loss.grad(fp, x)
        gn = np.linalg.norm(g)
        if gn <= gtol * (1.0 + abs(loss.value(fp, x))):
            break
        H = loss.hess(fp, x)
        lam_min = np.linalg.eigvalsh(H)[0]
        shift = max(mu, -lam_min * 1.01 + 1e-12 if lam_min <= 0 else 0.0)
        f0 = loss.value(fp, x)
        accepted, stagnated = False, False
        for _ in range(60):
            try:
                step = np.linalg.solve(H + shift * np.eye(len(x)), g)
            except np.linalg.LinAlgError:
                shift = 2 * shift + 1e-8
                continue
            pred = float(g @ step)
            if 0 <= pred <= 1e-12 * (1.0 + abs(f0)):
                # round-off regime: the loss cannot see the decrease; accept if the gradient shrinks
                xn = x - step
                accepted = bool(np.linalg.norm(loss.grad(fp, xn)) < gn)
                stagnated = not accepted
                break
            t = 1.0
            while t > 1e-10:
                xn = x - t * step
                fn = loss.value(fp, xn)
                if np.isfinite(fn) and fn <= f0 - 1e-4 * t * pred:
                    accepted = True
                    break
                t *= 0.5
            if accepted or not np.isfinite(f0):
                break
            shift = 4 * shift + 1e-8
        if not accepted or stagnated:
            break
        x = xn
        mu = shift / 4
    info = {"iterations": it, "grad_norm": float(np.linalg.norm(loss.grad(fp, x)))}
    if dps is None:
        info["lambda_min"] = float(np.linalg.eigvalsh(loss.hess(fp, x))[0])
        return x, info
    from certify.context import mp

    mc = mp(int(dps))
    xm = mc.asarray(x)
    target = mc.mpm.mpf(10) ** (-(int(dps) - 10))
    for _ in range(8):
        g = loss.grad(mc, xm)
        if mc.norm(g, 2) < target:
            break
        xm = xm - mc.solve(loss.hess(mc, xm), g)
    info["grad_norm_mp"] = mc.norm(loss.grad(mc, xm), 2)
    info["lambda_min"] = mc.eigvalsh(loss.hess(mc, xm))[0]
    return xm, info


# ----------------------------------------------------------------------------------------------------------
# (l, M)-good instances for the framework claims
# ----------------------------------------------------------------------------------------------------------


def lipschitz_bound(ctx, kind, R, b_inf):
    """A certified Hessian-Lipschitz constant on the ball ||x|| <= R with ||A|| <= R: table (37) for
    exp/cosh/sinh regression (half-squared form), 22 R^3 of (43) for softmax regression (||b||_2 <= 1)."""
    R = ctx.num(R) if not isinstance(R, np.ndarray) else R
    R2 = R * R
    if kind == "exp":
        return R**3 * (4 * ctx.exp(2 * R2) + b_inf * ctx.exp(R2))
    if kind == "cosh":
        return R**3 * (2 * ctx.sinh(2 * R2) + b_inf * ctx.sinh(R2))
    if kind == "sinh":
        return R**3 * (2 * ctx.sinh(2 * R2) + b_inf * ctx.cosh(R2))
    if kind == "softmax":
        return 22 * R**3
    raise invalid(f"{_HERE}.lipschitz_bound", "kind", kind, "use exp, cosh, sinh or softmax")


_MIN_CACHE: dict = {}


def _spec_key(spec):
    parts = [spec["kind"]]
    for k in ("A", "b", "w", "H", "x_star"):
        if k in spec and spec[k] is not None:
            parts.append(np.asarray(spec[k], dtype=float).tobytes())
    return tuple(parts)


def good_loss(ctx, spec):
    """Build the (l, M)-good loss of a `framework_specs` instance in context ``ctx``.

    Returns dict(loss, x_star, l, M, kind, kappa): x* is the minimiser (float64 damped Newton, polished by plain
    Newton in ``ctx`` when it is an mpmath context), l = lambda_min(hess L(x*)), M a certified Hessian-Lipschitz
    constant on a ball containing every point used (M = 0 for the quadratic; for the regressions M depends on
    the radius, see `radius_for`)."""
    kind = spec["kind"]
    if kind == "quadratic":
        H = ctx.asarray(spec["H"])
        xs = ctx.asarray(spec["x_star"])
        loss = QuadraticLoss(H, xs)
        ev = ctx.eigvalsh(H)
        return {"loss": loss, "x_star": xs, "l": ev[0], "M_of_radius": lambda R: ctx.num(0), "kind": kind,
                "kappa": ev[-1] / ev[0], "norm_A": ctx.num(0), "b_inf": ctx.num(0)}
    problem = "softmax" if kind == "softmax" else "exp"
    g = "exp" if kind == "softmax" else kind
    loss = ClosedFormLoss(problem, spec["A"], spec["b"], spec["w"], g)
    key = _spec_key(spec)
    if key not in _MIN_CACHE:
        if len(_MIN_CACHE) > 256:
            _MIN_CACHE.clear()
        x0 = np.zeros(np.asarray(spec["A"]).shape[1])
        _MIN_CACHE[key] = minimiser(ClosedFormLoss(problem, np.asarray(spec["A"], float), np.asarray(spec["b"], float),
                                                   np.asarray(spec["w"], float), g), x0)[0]
    xs = ctx.asarray(_MIN_CACHE[key])
    if ctx.is_exact:
        tol = ctx.mpm.mpf(10) ** (-(ctx.dps - 8))
        for _ in range(8):
            gr = loss.grad(ctx, xs)
            if ctx.norm(gr, 2) < tol:
                break
            xs = xs - ctx.solve(loss.hess(ctx, xs), gr)
    ev = ctx.eigvalsh(loss.hess(ctx, xs))
    A = ctx.asarray(spec["A"])
    norm_A = ctx.norm(A, 2)
    b_inf = ctx.norm(ctx.asarray(spec["b"]), ctx.inf)
    return {"loss": loss, "x_star": xs, "l": ev[0], "kind": kind, "kappa": ev[-1] / ev[0], "norm_A": norm_A,
            "b_inf": b_inf, "M_of_radius": lambda R: lipschitz_bound(ctx, kind, R, b_inf)}


def radius_for(ctx, inst, frac):
    """The domain data of the framework: a radius R of the domain ball (with ||A|| <= R and x* inside),
    M = M(R), and r = frac * l / M such that the ball of radius r around x* stays inside the domain:
    the smallest R >= R0 = max(||A||, ||x*||) (up to bisection accuracy) with ||x*|| + frac l / M(R) <= R
    (M grows with R, so the left side decreases: bisection on a bracket found in float64).
    For M = 0 (quadratic) r = frac * (1 + ||x*||). Returns (r, M, R)."""
    nx = ctx.norm(inst["x_star"], 2)
    if inst["kind"] == "quadratic":
        return frac * (1 + nx), ctx.num(0), ctx.num(math.inf)
    nxf, lf = float(nx), float(inst["l"])
    R0 = max(float(inst["norm_A"]), nxf, 1e-3)

    def excess(R):
        with np.errstate(all="ignore"):
            M = float(inst["M_of_radius"](R)) if not ctx.is_exact else float(lipschitz_bound(_fp(), inst["kind"], R,
                                                                                              float(inst["b_inf"])))
        return nxf + frac * lf / M - R if np.isfinite(M) and M > 0 else -R

    if excess(R0) <= 0:
        R = R0
    else:
        lo, hi = R0, 2 * R0
        while excess(hi) > 0:
            lo, hi = hi, 2 * hi
        for _ in range(200):
            mid = 0.5 * (lo + hi)
            if excess(mid) > 0:
                lo = mid
            else:
                hi = mid
            if hi - lo <= 1e-14 * hi:
                break
        R = hi * (1 + 1e-12)
    Rc = ctx.num(R)
    M = inst["M_of_radius"](Rc)
    return frac * inst["l"] / M, M, Rc


def iterations_to_accuracy(loss, x_star, r0, log_ratio, rng, delta=0.1, C_nnz=1.0, cap=300):
    """Iterations of approximate Newton (27) with leverage-score sparsified Hessians (26), float64, from a
    uniformly random point at distance r0 of x_star, until ||x_t - x*|| <= r0 exp(-log_ratio) (cap if never)."""
    from certify.context import fp

    d = len(x_star)
    v = rng.standard_normal(d)
    x0 = x_star + r0 * v / np.linalg.norm(v)
    eps = r0 * math.exp(-log_ratio)
    run = newton(fp, loss, x0, cap, hessian=sparsified_oracle(delta, C_nnz), rng=rng, x_star=x_star, stop_tol=eps)
    hit = [t for t, r in enumerate(run.distances) if r <= eps]
    return float(hit[0] if hit else cap)

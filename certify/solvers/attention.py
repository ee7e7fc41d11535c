"""Solvers for attention regression (arXiv 2309.07418; claims/attention_regression.md sections 5, 6.2).

Written against a numeric context ``ctx`` (``certify.fp`` or ``certify.mp(dps)``): every loss quantity comes from
``ctx.attention.*`` (numba kernels under fp, the mpmath twin under mp), so the same iteration runs at high
precision. All solvers return their iterates.

* `AttentionProblem` -- data (A1, A2, A3, B), objective, logit scale and regularisers, with loss / gradient /
  Hessian methods in x = vec(X) and y = vec(Y) (row-major).
* `newton_x` -- Newton on x for fixed Y, with the exact H_xx (+ regulariser) or an eps0-approximate Hessian
  ``H~ = H^{1/2} (I + E) H^{1/2}``, ``||E|| <= eps0`` (eq. (25)), E drawn afresh at each step.
* `solve_y` -- the exact regularised least-squares step in Y: ``(fac K + Lambda) Y = fac A3^T S^T B`` with
  ``K = A3^T S^T S A3`` and Lambda = lam_y I (ridge), A3^T W_y^2 A3 (weighted) or 0 (none; least squares).
* `greedy_alternating` -- the reconstructed greedy alternating algorithm of section 6.2 (options ``order``,
  ``hessian``, ``x_steps_per_iter``, regularisers).
* `reference_minimiser` -- a stationary point (x*, y*) by damped joint Newton in float64, then (optionally)
  plain Newton in ``certify.mp(dps)`` until ||grad|| < 10^-(dps-10); reports lambda_min of H_xx, H_yy and the
  joint Hessian there.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from certify.errors import invalid

__all__ = ["AttentionProblem", "Run", "newton_x", "solve_y", "greedy_alternating", "reference_minimiser",
           "approx_hessian"]

_HERE = "solvers.attention"


def _fp():
    from certify.context import fp

    return fp


class AttentionProblem:
    """The regularised attention-regression loss of one instance, evaluated in any numeric context.

    inst: dict with A1, A2, A3, B (n x d) and optionally lam_x, w_x, lam_y, w_y (other keys ignored).
    objective: 'half_squared' (default here, the L_1/2 of section 4) or 'squared'.
    """

    def __init__(self, inst, objective="half_squared", logit_scale=1.0, reg_x="none", reg_y="none",
                 lam_x=None, lam_y=None, w_x=None, w_y=None):
        for k in ("A1", "A2", "A3", "B"):
            if k not in inst:
                raise invalid(f"{_HERE}.AttentionProblem", "inst", sorted(inst), f"the instance needs key {k!r}")
        self.data = {k: inst[k] for k in ("A1", "A2", "A3", "B")}
        self.n, self.d = np.shape(inst["A1"])
        self.objective = objective
        self.fac = 2 if objective == "squared" else 1
        self.opts = dict(
            objective=objective, logit_scale=logit_scale, reg_x=reg_x, reg_y=reg_y,
            lam_x=inst.get("lam_x", 0.0) if lam_x is None else lam_x,
            lam_y=inst.get("lam_y", 0.0) if lam_y is None else lam_y,
            w_x=inst.get("w_x") if w_x is None else w_x,
            w_y=inst.get("w_y") if w_y is None else w_y,
        )

    # ---- conversion helpers
    def _args(self, ctx, X, Y):
        D = {k: ctx.asarray(v) for k, v in self.data.items()}
        return (D["A1"], D["A2"], D["A3"], D["B"], ctx.asarray(X), ctx.asarray(Y))

    def _kw(self, ctx):
        kw = dict(self.opts)
        for k in ("w_x", "w_y"):
            if kw[k] is not None:
                kw[k] = ctx.asarray(kw[k])
        for k in ("lam_x", "lam_y", "logit_scale"):
            kw[k] = ctx.num(kw[k]) if ctx.is_exact else float(kw[k])
        return kw

    def mat(self, ctx, v):
        return ctx.reshape(ctx.asarray(v), (self.d, self.d))

    # ---- quantities in (X, Y) matrices
    def loss(self, ctx, X, Y):
        return ctx.attention.loss(*self._args(ctx, X, Y), **self._kw(ctx))

    def grad_x(self, ctx, X, Y):
        return ctx.attention.grad_x(*self._args(ctx, X, Y), **self._kw(ctx))

    def grad_y(self, ctx, X, Y):
        return ctx.attention.grad_y(*self._args(ctx, X, Y), **self._kw(ctx))

    def hess_xx(self, ctx, X, Y):
        return ctx.attention.hessian_xx(*self._args(ctx, X, Y), **self._kw(ctx))

    def hess_yy(self, ctx, X, Y):
        return ctx.attention.hessian_yy(*self._args(ctx, X, Y), **self._kw(ctx))

    def hessian(self, ctx, X, Y):
        return ctx.attention.hessian(*self._args(ctx, X, Y), **self._kw(ctx))

    def attention(self, ctx, X):
        D = {k: ctx.asarray(v) for k, v in self.data.items()}
        return ctx.attention.attention_matrix(D["A1"], D["A2"], ctx.asarray(X), self._kw(ctx)["logit_scale"])


@dataclass
class Run:
    """Recorded iterates: X_t, Y_t (matrices in the run's context), losses, gradient norms, distances to a
    reference (X*, Y*) when given (dist_x, dist_y), realised approximation errors; status 'ok' | 'singular' |
    'nonfinite'."""

    X: list = field(default_factory=list)
    Y: list = field(default_factory=list)
    losses: list = field(default_factory=list)
    grad_norms: list = field(default_factory=list)
    dist_x: list = field(default_factory=list)
    dist_y: list = field(default_factory=list)
    status: str = "ok"

    def curves(self):
        out = {"iteration": list(range(len(self.losses))), "loss": [float(v) for v in self.losses],
               "grad_norm": [float(v) for v in self.grad_norms]}
        if self.dist_x:
            out["dist_x"] = [float(v) for v in self.dist_x]
            out["dist_y"] = [float(v) for v in self.dist_y]
        return out


def _record(ctx, prob, run, X, Y, star):
    run.X.append(X)
    run.Y.append(Y)
    run.losses.append(prob.loss(ctx, X, Y))
    gx = prob.grad_x(ctx, X, Y)
    gy = prob.grad_y(ctx, X, Y)
    run.grad_norms.append(ctx.sqrt(ctx.sum(gx * gx) + ctx.sum(gy * gy)))
    if star is not None:
        Xs, Ys = star
        run.dist_x.append(ctx.norm(ctx.vec(X - Xs), 2))
        run.dist_y.append(ctx.norm(ctx.vec(Y - Ys), 2))


def approx_hessian(ctx, H, rng, eps0, spectrum="uniform", basis="random", direction=None):
    """An eps0-approximate Hessian H^{1/2} (I + E) H^{1/2} with a fresh symmetric E, ||E|| <= eps0 (eq. (25)).
    (For an indefinite H the root of its PSD part is used.)"""
    from certify.solvers.newton import draw_E, sandwich

    p = H.shape[0]
    E = draw_E(rng, p, float(eps0), spectrum=spectrum, basis=basis,
               direction=None if direction is None else ctx.to_float(direction))
    return sandwich(ctx, H, ctx.asarray(E))


def _check_hessian_opt(where, hessian):
    if hessian not in ("exact", "approx"):
        raise invalid(where, "hessian", hessian, "use 'exact' or 'approx'")


def newton_x(ctx, prob, X0, Y, steps, hessian="exact", eps0=0.01, rng=None, E_spectrum="uniform",
             star=None, stop_tol=None):
    """Newton on x = vec(X) for fixed Y: x <- x - H~^{-1} (grad_x L + grad R_x), ``steps`` iterations.

    Returns a `Run` (Y constant). ``star=(X*, Y*)`` records distances; ``stop_tol`` stops once ||x - x*|| <= it.
    """
    _check_hessian_opt(f"{_HERE}.newton_x", hessian)
    rng = np.random.default_rng(0) if rng is None else rng
    X, Y = ctx.asarray(X0), ctx.asarray(Y)
    star = None if star is None else (ctx.asarray(star[0]), ctx.asarray(star[1]))
    run = Run()
    _record(ctx, prob, run, X, Y, star)
    for _ in range(int(steps)):
        if stop_tol is not None and star is not None and run.dist_x[-1] <= stop_tol:
            break
        X, ok = _x_step(ctx, prob, X, Y, hessian, eps0, rng, E_spectrum)
        if not ok:
            run.status = ok is None and "nonfinite" or "singular"
            break
        _record(ctx, prob, run, X, Y, star)
    return run


def _x_step(ctx, prob, X, Y, hessian, eps0, rng, E_spectrum):
    g = prob.grad_x(ctx, X, Y)
    H = prob.hess_xx(ctx, X, Y)
    if hessian == "approx":
        H = approx_hessian(ctx, H, rng, eps0, spectrum=E_spectrum)
    try:
        step = ctx.solve(H, g)
    except (np.linalg.LinAlgError, ZeroDivisionError):
        return X, False
    Xn = X - prob.mat(ctx, step)
    if not ctx.isfinite(Xn):
        return X, None
    return Xn, True


def solve_y(ctx, prob, X):
    """argmin_Y L(X, Y) + R_y(Y): the regularised least-squares solve (d x d system, d right-hand sides)."""
    D = {k: ctx.asarray(v) for k, v in prob.data.items()}
    kw = prob._kw(ctx)
    S = prob.attention(ctx, X)
    SA3 = S @ D["A3"]
    K = ctx.transpose(SA3) @ SA3
    rhs = ctx.transpose(SA3) @ D["B"]
    fac = prob.fac
    reg = kw["reg_y"]
    if reg == "none":
        return ctx.lstsq(SA3, D["B"])
    if reg == "ridge":
        Lam = kw["lam_y"] * ctx.eye(prob.d)
    elif reg == "weighted":
        w2 = kw["w_y"] * kw["w_y"]
        Lam = ctx.transpose(D["A3"]) @ (D["A3"] * w2[:, None])
    else:
        raise invalid(f"{_HERE}.solve_y", "reg_y", reg, "use 'none', 'ridge' or 'weighted'")
    return _solve_columns(ctx, fac * K + Lam, fac * rhs)


def _solve_columns(ctx, M, R):
    """M^{-1} R column by column (the mp context's solve takes vector right-hand sides)."""
    if not ctx.is_exact:
        return ctx.solve(M, R)
    cols = [ctx.solve(M, R[:, i]) for i in range(R.shape[1])]
    return np.stack(cols, axis=1)


def greedy_alternating(ctx, prob, X0, Y0, T, order="x_first", hessian="exact", eps0=0.01, x_steps_per_iter=1,
                       rng=None, E_spectrum="uniform", star=None, tol=None):
    """Greedy alternating algorithm (section 6.2): per iteration ``x_steps_per_iter`` Newton steps in x (exact or
    eps0-approximate Hessian), then the exact Y-solve; ``order='y_first'`` solves Y before the x-steps.

    Records (X_t, Y_t) after every full iteration (iterate 0 = the start). Stops early when both distances to
    ``star`` are <= tol.
    """
    where = f"{_HERE}.greedy_alternating"
    _check_hessian_opt(where, hessian)
    if order not in ("x_first", "y_first"):
        raise invalid(where, "order", order, "use 'x_first' or 'y_first'")
    if int(x_steps_per_iter) < 1:
        raise invalid(where, "x_steps_per_iter", x_steps_per_iter, "pass an integer >= 1")
    rng = np.random.default_rng(0) if rng is None else rng
    X, Y = ctx.asarray(X0), ctx.asarray(Y0)
    star = None if star is None else (ctx.asarray(star[0]), ctx.asarray(star[1]))
    run = Run()
    _record(ctx, prob, run, X, Y, star)
    for _ in range(int(T)):
        if tol is not None and star is not None and max(run.dist_x[-1], run.dist_y[-1]) <= tol:
            break
        if order == "y_first":
            Y = solve_y(ctx, prob, X)
        ok = True
        for _ in range(int(x_steps_per_iter)):
            X, ok = _x_step(ctx, prob, X, Y, hessian, eps0, rng, E_spectrum)
            if not ok:
                break
        if not ok:
            run.status = "nonfinite" if ok is None else "singular"
            break
        if order == "x_first":
            Y = solve_y(ctx, prob, X)
        _record(ctx, prob, run, X, Y, star)
    return run


def reference_minimiser(prob, X0, Y0, dps=None, max_iter=200, gtol=1e-14):
    """Stationary point (X*, Y*) of the joint loss: damped Newton (Levenberg shift + backtracking) in float64 on
    z = (x, y), then, if ``dps`` is given, plain Newton in ``certify.mp(dps)`` until ||grad|| < 10^-(dps-10)
    (at most 8 steps). Returns (X*, Y*, info); info has the gradient norm, iterations and lambda_min of H_xx,
    H_yy and the joint Hessian at the point (in the precision of the last phase)."""
    fp = _fp()
    d = prob.d
    p = d * d
    X = np.asarray(X0, dtype=float).copy()
    Y = np.asarray(Y0, dtype=float).copy()

    def split(z):
        return z[:p].reshape(d, d), z[p:].reshape(d, d)

    def grad(X, Y):
        return np.concatenate([prob.grad_x(fp, X, Y), prob.grad_y(fp, X, Y)])

    z = np.concatenate([X.reshape(-1), Y.reshape(-1)])
    mu = 0.0
    it = 0
    for it in range(max_iter):  # noqa: B007
        X, Y = split(z)
        g = grad(X, Y)
        f0 = prob.loss(fp, X, Y)
        if np.linalg.norm(g) <= gtol * (1.0 + abs(f0)):
            break
        H = prob.hessian(fp, X, Y)
        lam = np.linalg.eigvalsh(H)[0]
        shift = max(mu, (-1.01 * lam + 1e-12) if lam <= 0 else 0.0)
        accepted = False
        for _ in range(60):
            try:
                step = np.linalg.solve(H + shift * np.eye(2 * p), g)
            except np.linalg.LinAlgError:
                shift = 2 * shift + 1e-8
                continue
            pred = float(g @ step)
            if 0 <= pred <= 1e-13 * (1.0 + abs(f0)):
                zn = z - step
                accepted = bool(np.linalg.norm(grad(*split(zn))) < np.linalg.norm(g))
                break
            t = 1.0
            while t > 1e-10:
                zn = z - t * step
                fn = prob.loss(fp, *split(zn))
                if np.isfinite(fn) and fn <= f0 - 1e-4 * t * pred:
                    accepted = True
                    break
                t *= 0.5
            if accepted:
                break
            shift = 4 * shift + 1e-8
        if not accepted:
            break
        z = zn
        mu = shift / 4
    X, Y = split(z)
    info = {"iterations": it, "grad_norm": float(np.linalg.norm(grad(X, Y))), "precision": "float64"}
    ctx = fp
    if dps is not None:
        from certify.context import mp

        ctx = mp(int(dps))
        Xm, Ym = ctx.asarray(X), ctx.asarray(Y)
        target = ctx.num(10) ** (-(int(dps) - 10))
        for _ in range(8):
            g = np.concatenate([prob.grad_x(ctx, Xm, Ym), prob.grad_y(ctx, Xm, Ym)])
            if ctx.norm(g, 2) < target:
                break
            step = ctx.solve(prob.hessian(ctx, Xm, Ym), g)
            Xm = Xm - prob.mat(ctx, step[:p])
            Ym = Ym - prob.mat(ctx, step[p:])
        g = np.concatenate([prob.grad_x(ctx, Xm, Ym), prob.grad_y(ctx, Xm, Ym)])
        info["grad_norm_mp"] = ctx.norm(g, 2)
        info["precision"] = f"mp(dps={int(dps)})"
        X, Y = Xm, Ym
    info["lambda_min_xx"] = ctx.eigvalsh(prob.hess_xx(ctx, X, Y))[0]
    info["lambda_min_yy"] = ctx.eigvalsh(prob.hess_yy(ctx, X, Y))[0]
    info["lambda_min_joint"] = ctx.eigvalsh(prob.hessian(ctx, X, Y))[0]
    return X, Y, info

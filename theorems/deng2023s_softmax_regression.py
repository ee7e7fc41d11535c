"""Softmax regression (Deng, Li, Song), "Attention Scheme Inspired Softmax Regression", arXiv 2304.10411
(prefix ``deng2023s``).

Setting
-------
A in R^{n x d}, b in R^n, W = diag(w), w in R^n. alpha(x) = <exp(Ax), 1_n>, f(x) = alpha(x)^{-1} exp(Ax) =
softmax(Ax), c(x) = f(x) - b, L(x) = 1/2 ||c(x)||^2 + 1/2 ||W A x||^2 (the abstract writes the squared loss
without 1/2: objective ``squared`` is 2L; the derivative identities here use the half-squared form).
J(f) = diag(f) - f f^T; Gamma(f, v) = diag(f o v) - (f o v) f^T - f (f o v)^T + 2 <f, v> f f^T - <f, v> diag(f).
* Gradient: grad L = A^T J(f) c + A^T W^2 A x = A^T (f o c - <f, c> f) + A^T W^2 A x.
* Hessian: hess L = A^T (B(x) + W^2) A with B = J(f)^2 + Gamma(f, c) = the expanded form
  <3f - 2b, f> f f^T - (f o (2f - b)) f^T - f (f o (2f - b))^T + diag(f o (2f - b)) - <f - b, f> diag(f).
* Null vector and flat direction: B(x) 1_n = 0 for every x; if 1_n = A z and W = 0, then L(x + t z) = L(x) for
  all t and hess L(x) z = 0.
* Norm bounds: ||J(f)^2|| <= 1/4, ||Gamma(f, c)|| <= 6 ||c||_inf, so ||B|| <= 1/4 + 6 ||c||_inf with
  ||c||_inf <= 1 + ||b||_inf; sufficient PD condition: rank A = d and w_min^2 >= 6 (1 + ||b||_inf) + l / sigma_min(A)^2
  imply hess L(x) >= l I_d for all x.
* Hessian-Lipschitz bound: ||A|| <= R and ||b||_2 <= 1 imply ||hess L(x) - hess L(y)|| <= 22 R^3 ||x - y|| for all x, y.
RECONSTRUCTED: the PD lemma w_min^2 >= C_w + l / sigma_min(A)^2 => hess L >= l I_d; the Lipschitz lemma with
M = n^{a_M} exp(b_M R^{k_M}); the main theorem: approximate Newton x_{t+1} = x_t - H~_t^{-1} grad L(x_t) with
(1 - eps0) H <= H~ <= (1 + eps0) H (sparsified Hessians) reaches ||x_T - x*|| <= eps after
T = log(||x0 - x*|| / eps) iterations with probability >= 1 - delta.

Procedure
---------
Kernels `certify.kernels.regression.softmax_*` (stable softmax, centred J(f) c and Gamma from
`certify.kernels.softmax`), mpmath twins in `certify.reference.regression` (mpm.diff of the loss; both forms of B
evaluated literally).

Claims
------
* DERIVED: deng2023s.grad, deng2023s.hessian, deng2023s.hessian_null, deng2023s.hessian_pd_sufficient,
  deng2023s.hessian_lipschitz_bound (the formulas of the Setting).
* RECONSTRUCTED: deng2023s.hessian_pd, deng2023s.hessian_lipschitz, deng2023s.main_convergence (kind=probability,
  with convergence curves attached).

Hypotheses
----------
Instances from `certify.strategies.regression.softmax_problems`: WELL / COND / NEARSING / ONES / DUP / ... designs,
b at its norm bound, probability vectors, vertices, realisable b = softmax(A x*) and the solution itself, points on
the sphere, at the origin, saturating the softmax; scaled by drawn radii.

Source
------
arXiv 2304.10411 v1 abstract (the problem); later version (ICLR 2025 DeLTa workshop: AttReg / RAttReg) for
derivatives, convergence and the sparsified Newton method; lemma locators unknown.

Deviations
----------
* main_convergence is encoded as the probability claim of the main theorem (T = log(||x0 - x*|| / eps) iterations,
  ||x_T - x*|| <= eps w.p. >= 1 - delta); the scaling measurement of the row is the same as
  li2023e.main_convergence with family=softmax: `certify run li2023e.main_convergence --param
  li2023e.main_convergence:family=softmax`.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

import certify
from certify.strategies import log_uniform, seeds
from certify.strategies import regression as S
from theorems._common import central_gradient as _fd_grad
from theorems._common import max_abs as _amax
from theorems._common import unit_roundoff as _eps
from theorems._common import weight_pattern as _w
from theorems.framework_approximate_newton import newton_iterations as _framework_iterations

SRC = "arXiv:2304.10411"


def _J(ctx, f):
    return ctx.diag(f) - ctx.outer(f, f)


def _Gamma(ctx, f, v):
    fv = f * v
    s = ctx.sum(fv)
    return ctx.diag(fv) - ctx.outer(fv, f) - ctx.outer(f, fv) + 2 * s * ctx.outer(f, f) - s * ctx.diag(f)


_PROB = S.softmax_problems(n=(1, 30), d=(1, 6), b_bound=1.0)
_SCALES = dict(Rs=st.sampled_from([1.0, 10.0, 50.0]), bscale=st.one_of(st.sampled_from([0.0, 1.0]),
                                                                         log_uniform(1e-3, 1e3)))


@certify.claim(
    id="deng2023s.grad",
    source=SRC + " abstract (loss); derived",
    statement=r"\nabla L = A^\top J(f)c + A^\top W^2Ax = A^\top(f\circ c-\langle f,c\rangle f) + A^\top W^2Ax",
    tag="DERIVED",
    inputs=dict(prob=_PROB, wscale=st.one_of(st.just(0.0), log_uniform(1e-3, 1e2)), wseed=seeds(), **_SCALES),
    params=dict(gscale=1.0, tol=1e-9, tol_fd=1e-6),
    mutants=[certify.scale("gscale", 1.001)],
    notes="x scaled by Rs (logits up to 50: SAT), b by bscale (||b||_2 from 0 to 1e3). Both closed forms against "
          "ctx.regression.softmax_grad (half-squared; float64 kernel / mpmath mpm.diff of the loss) and, in "
          "float64, central differences (h = 1e-6).",
)
def grad(ctx, prob, wscale, wseed, Rs, bscale, gscale, tol, tol_fd):
    A, b, x = prob["A"], prob["b"] * bscale, prob["x"] * Rs
    w = _w(ctx, A.shape[0], wscale, wseed)
    f = ctx.softmax(A @ x)
    c = f - b
    reg = ctx.transpose(A) @ (w * w * (A @ x))
    g1 = gscale * (ctx.transpose(A) @ (_J(ctx, f) @ c)) + reg
    g2 = gscale * (ctx.transpose(A) @ (f * c - ctx.sum(f * c) * f)) + reg
    ref = ctx.regression.softmax_grad(A, b, w, x, objective="half_squared")
    rt = tol if not ctx.is_exact else ctx.mpm.mpf(10) ** (10 - ctx.dps)
    sc = _amax(ctx.transpose(ctx.abs(A)) @ (ctx.abs(f) * (1 + ctx.abs(b)))) + _amax(ctx.abs(reg))
    parts = [certify.close(g1, ref, rtol=rt, atol=rt * sc + 1e-300, label="A^T J(f) c form"),
             certify.close(g2, ref, rtol=rt, atol=rt * sc + 1e-300, label="f o c - <f,c> f form")]
    if not ctx.is_exact:
        h = 1e-6 / max(1.0, float(np.linalg.norm(A, 2)))

        def loss(z):
            return ctx.regression.softmax_loss(A, b, w, z, objective="half_squared")

        parts.append(certify.close(g1, _fd_grad(ctx, loss, x, h), rtol=tol_fd,
                                   atol=tol_fd * sc + 1e-12 * (1 + abs(loss(x))) / h, label="vs FD"))
    return certify.all_of(*parts)


@certify.claim(
    id="deng2023s.hessian",
    source="derived (attention_regression.md eq. 40)",
    statement=r"\nabla^2L = A^\top(B+W^2)A,\ B = J^2+\Gamma(f,c) = \text{expanded form};\ B = \text{diag} + \text{rank}\le 2",
    tag="DERIVED",
    inputs=dict(prob=S.softmax_problems(n=(1, 12), d=(1, 4), b_bound=1.0),
                wscale=st.one_of(st.just(0.0), log_uniform(1e-3, 1e2)), wseed=seeds(), **_SCALES),
    params=dict(gamma_sign=1.0, rank_cap=2, tol=1e-9),
    mutants=[certify.replace(gamma_sign=-1.0), certify.replace(rank_cap=1)],
    notes="(a) A^T (J^2 + gamma_sign Gamma(f, c) + W^2) A (literal, context operations) against "
          "ctx.regression.softmax_hessian (float64 kernel / mpmath mpm.diff of the loss); (b) the two forms of B "
          "(ctx.regression.softmax_B 'jgamma' vs 'expanded'; tolerance 64 u (1 + ||b||_inf): the expanded form "
          "cancels near a vertex); (c) sigma_{rank_cap+1} of B - diag(f o (2f - b) - <f - b, f> f) <= tol sigma_1.",
)
def hessian(ctx, prob, wscale, wseed, Rs, bscale, gamma_sign, rank_cap, tol):
    A, b, x = prob["A"], prob["b"] * bscale, prob["x"] * Rs
    n = A.shape[0]
    w = _w(ctx, n, wscale, wseed)
    f = ctx.softmax(A @ x)
    c = f - b
    J = _J(ctx, f)
    B = J @ J + gamma_sign * _Gamma(ctx, f, c)
    H = ctx.transpose(A) @ ((B + ctx.diag(w * w)) @ A)
    ref = ctx.regression.softmax_hessian(A, b, w, x, objective="half_squared")
    rt = tol if not ctx.is_exact else ctx.mpm.mpf(10) ** (10 - ctx.dps)
    binf = _amax(ctx.abs(b))
    scale_B = (1 + binf) * _amax(f)
    sc = _amax(ctx.transpose(ctx.abs(A)) @ ctx.abs(A)) * (scale_B + _amax(w * w))
    parts = [certify.close(H, ref, rtol=rt, atol=rt * sc + 1e-300, label="Hessian (40)")]
    Bj = ctx.regression.softmax_B(f, b, "jgamma")
    Be = ctx.regression.softmax_B(f, b, "expanded")
    parts.append(certify.close(Bj, Be, rtol=rt, atol=64 * _eps(ctx) * (1 + binf) + 1e-300, label="two forms of B"))
    if n > rank_cap:
        q = f * (2 * f - b) - ctx.sum((f - b) * f) * f
        s = ctx.svdvals(Bj - ctx.diag(q))
        parts.append(certify.le(s[rank_cap], rt * s[0] + 64 * _eps(ctx) * (1 + binf), label="diag + rank <= 2"))
    return certify.all_of(*parts)


@certify.claim(
    id="deng2023s.hessian_null",
    source="derived (attention_regression.md eq. 41)",
    statement=r"B(x)1_n = 0\ \forall x;\ 1_n = Az,\ W=0 \Rightarrow L(x+tz)=L(x),\ \nabla^2L(x)z = 0",
    tag="DERIVED",
    inputs=dict(prob=S.softmax_problems(n=(1, 12), d=(1, 4), kinds=("ones", "ones_dense"), b_bound=1.0),
                t=st.one_of(st.sampled_from([1e3, -1e3, 1.0]), st.floats(-1e3, 1e3)), **_SCALES),
    assume=lambda prob: bool(np.linalg.norm(prob["A"] @ np.linalg.lstsq(prob["A"], np.ones(len(prob["A"])),
                                                                           rcond=None)[0] - 1) < 1e-10),
    params=dict(null_shift=0.0, tol=1e-9),
    mutants=[certify.replace(null_shift=1.0)],
    notes="ONES designs (a constant column, or 1_n = A z with a dense z); z = A^+ 1_n. Relative residuals.",
)
def hessian_null(ctx, prob, t, Rs, bscale, null_shift, tol):
    A, b, x = prob["A"], prob["b"] * bscale, prob["x"] * Rs
    n = A.shape[0]
    z = ctx.lstsq(A, ctx.ones(n))
    f = ctx.softmax(A @ x)
    v = ctx.ones(n)
    v[0] = v[0] + null_shift
    rt = tol if not ctx.is_exact else ctx.mpm.mpf(10) ** (10 - ctx.dps)
    parts = []
    for form in ("jgamma", "expanded"):
        B = ctx.regression.softmax_B(f, b, form)
        parts.append(certify.le(ctx.norm(B @ v, 2), rt * (ctx.norm(B, "fro") + 1e-300) + 64 * _eps(ctx) * (
            1 + _amax(ctx.abs(b))), label=f"B 1 = 0 ({form})"))
    L0 = ctx.regression.softmax_loss(A, b, None, x, objective="half_squared")
    Lt = ctx.regression.softmax_loss(A, b, None, x + t * z, objective="half_squared")
    parts.append(certify.le(abs(Lt - L0), rt * (1 + abs(t)) * (1 + L0), label="L(x + t z) = L(x)"))
    H = ctx.regression.softmax_hessian(A, b, None, x, objective="half_squared")
    # rounding floor: H = A^T B A is a sum of terms of size ||A||_F^2 max(f) (1 + ||b||_inf)
    floor = 64 * _eps(ctx) * ctx.norm(A, "fro") ** 2 * _amax(f) * (1 + _amax(ctx.abs(b))) * ctx.norm(z, 2)
    parts.append(certify.le(ctx.norm(H @ z, 2), rt * ctx.norm(H, "fro") * ctx.norm(z, 2) + floor + 1e-300,
                            label="hess L z = 0"))
    return certify.all_of(*parts)


@certify.claim(
    id="deng2023s.hessian_pd_sufficient",
    source="derived (attention_regression.md eq. 42)",
    statement=r"\mathrm{rank}A=d,\ w_{\min}^2\ge 6(1+\|b\|_\infty)+l/\sigma_{\min}(A)^2 \Rightarrow \nabla^2L\succeq lI_d\ "
              r"\forall x;\ \|B\|\le 1/4+6\|c\|_\infty",
    tag="DERIVED",
    inputs=dict(prob=S.softmax_problems(n=(1, 12), d=(1, 4), b_bound=10.0, full_rank=True, cond=(1.0, 1e4)),
                slack=S.slack(), Rs=st.sampled_from([1.0, 10.0, 50.0])),
    params=dict(C6=6.0, quarter=0.25, C_gamma=6.0, l=1.0),
    mutants=[certify.replace(C6=0.0), certify.replace(C_gamma=0.0)],
    notes="w_i^2 = (C6 (1 + ||b||_inf) + l / sigma_min(A)^2)(1 + slack) (slack = 0: at the threshold); x scaled "
          "by Rs (SAT, BIGNORM); b up to ||b||_2 = 10.",
)
def hessian_pd_sufficient(ctx, prob, slack, Rs, C6, quarter, C_gamma, l):
    A, b, x = prob["A"], prob["b"], prob["x"] * Rs
    n = A.shape[0]
    smin = ctx.svdvals(A)[-1]
    w2 = (C6 * (1 + ctx.norm(b, ctx.inf)) + l / smin**2) * (1 + slack)
    w = ctx.sqrt(w2) * ctx.ones(n)
    H = ctx.regression.softmax_hessian(A, b, w, x, objective="half_squared")
    f = ctx.softmax(A @ x)
    B = ctx.regression.softmax_B(f, b, "jgamma")
    c = f - b
    return certify.all_of(
        certify.ge(ctx.eigmin(H) + 64 * _eps(ctx) * _amax(H), l, label="lambda_min >= l"),
        certify.le(ctx.norm(B, 2), quarter + C_gamma * ctx.norm(c, ctx.inf) + 64 * _eps(ctx), label="||B|| bound"),
    )


@certify.claim(
    id="deng2023s.hessian_pd",
    source=SRC + " (PD lemma; locator unknown)",
    statement=r"\|b\|_2\le 1,\ w_{\min}^2\ge C_w + l/\sigma_{\min}(A)^2 \Rightarrow \nabla^2L(x)\succeq lI_d\ \forall \|x\|_2\le R",
    tag="RECONSTRUCTED",
    inputs=dict(prob=S.softmax_problems(n=(1, 12), d=(1, 4), b_bound=1.0, R=1.0, full_rank=True, cond=(1.0, 1e6)),
                slack=S.slack()),
    params=dict(C_w=100.0, l=1.0, R=2.0, b_bound=1.0),
    expect=None,
    tighten=[dict(param="C_w", direction="smallest", lo=1e-3, hi=1e4, params=dict(b_bound=bb))
             for bb in (1.0, 10.0, 100.0)],
    mutants=[certify.scale("C_w", 0.0)],
    notes="b at ||b||_2 = b_bound often; x in the ball of radius R (on the sphere, saturating, at the origin, at the "
          "solution); w_min^2 = (C_w + l / sigma_min^2)(1 + slack). Sweep of the catalogue: --param "
          "deng2023s.hessian_pd:C_w=... and b_bound=....",
)
def hessian_pd(ctx, prob, slack, C_w, l, R, b_bound):
    A, b, x = prob["A"], prob["b"] * b_bound, prob["x"] * R
    n = A.shape[0]
    smin = ctx.svdvals(A)[-1]
    w = ctx.sqrt((C_w + l / smin**2) * (1 + slack)) * ctx.ones(n)
    H = ctx.regression.softmax_hessian(A, b, w, x, objective="half_squared")
    return certify.ge(ctx.eigmin(H) + 64 * _eps(ctx) * _amax(H), l)


_LIP = dict(prob=S.softmax_problems(n=(1, 10), d=(1, 4), b_bound=1.0, R=1.0, pair=True),
            Rv=st.one_of(st.sampled_from([0.1, 1.0, 5.0, 10.0]), st.floats(0.1, 10.0)))


def _lip(ctx, prob, Rv, scale_points):
    A = prob["A"] * Rv
    s = Rv if scale_points else 1.0
    x, y = prob["x"] * s, prob["y"] * s
    b = prob["b"]
    dH = ctx.regression.softmax_hessian(A, b, None, x, objective="half_squared") - ctx.regression.softmax_hessian(
        A, b, None, y, objective="half_squared")
    return ctx.norm(dH, 2), ctx.norm(x - y, 2), A.shape[0]


@certify.claim(
    id="deng2023s.hessian_lipschitz_bound",
    source="derived (attention_regression.md eq. 43)",
    statement=r"\|A\|\le R,\ \|b\|_2\le1 \Rightarrow \|\nabla^2L(x)-\nabla^2L(y)\|\le 22R^3\|x-y\|_2\ \forall x,y",
    tag="DERIVED",
    inputs=dict(_LIP, far=st.sampled_from([1.0, 10.0])),
    params=dict(C22=22.0),
    mutants=[certify.scale("C22", 0.002)],
    notes="||A|| = R often (R in [0.1, 10]); x, y anywhere (unit-ball points scaled by `far`, so logits up to 10 R); "
          "pairs at distances 1e-6 ... 10.",
)
def hessian_lipschitz_bound(ctx, prob, Rv, far, C22):
    prob = dict(prob, x=prob["x"] * far, y=prob["y"] * far)
    lhs, dist, _ = _lip(ctx, prob, Rv, False)
    R = ctx.num(Rv)
    return certify.le(lhs, C22 * R**3 * dist + 64 * _eps(ctx) * R**2)


@certify.claim(
    id="deng2023s.hessian_lipschitz",
    source=SRC + " (Lipschitz lemma; locator unknown)",
    statement=r"\|\nabla^2L(x)-\nabla^2L(y)\|\le n^{a_M}\exp(b_M R^{k_M})\|x-y\|_2,\ \|x\|_2,\|y\|_2\le R",
    tag="RECONSTRUCTED",
    inputs=_LIP,
    params=dict(a_M=1.0, b_M=1.0, k_M=2.0),
    expect=None,
    mutants=[certify.replace(a_M=0.0, b_M=-1.0)],
    notes="x, y in the ball of radius R (unit-ball points scaled by R), ||A|| <= R. Evidence: 22 R^3 / M_paper.",
)
def hessian_lipschitz(ctx, prob, Rv, a_M, b_M, k_M):
    lhs, dist, n = _lip(ctx, prob, Rv, True)
    R = ctx.num(Rv)
    Mp = ctx.num(n) ** a_M * ctx.exp(b_M * R**k_M)
    return certify.le(lhs, Mp * dist + 64 * _eps(ctx) * R**2, evidence={
        "derived_over_paper": {"x": float(Rv), "y": float(22 * R**3 / Mp), "xlabel": "R",
                               "ylabel": "22 R^3 / M_paper", "logy": True, "series": "n = %d" % n}})


@certify.claim(
    id="deng2023s.main_convergence",
    source=SRC + " (main theorem; locator unknown)",
    statement=r"T=\lceil\log(\|x_0-x^*\|_2/\epsilon)\rceil \text{ sparsified-Newton steps}:\ "
              r"\Pr[\|x_T-x^*\|_2\le\epsilon]\ge 1-\delta",
    tag="RECONSTRUCTED",
    kind="probability",
    delta=0.1,
    trials=20,
    inputs=dict(spec=S.framework_specs(kinds=("softmax",), p=(1, 4), n=(1, 12)), eps=log_uniform(1e-12, 0.0999),
                start=st.one_of(st.just(1.0), st.floats(0.01, 1.0))),
    params=dict(init_factor=0.1, delta=0.1, C_nnz=1.0, log_base=2.718281828459045, T_factor=1.0,
                hessian_mode="sparsified"),
    expect=None,
    mutants=[certify.replace(T_factor=0.0)],
    baselines={"exact_newton": {"hessian_mode": "exact"}},
    notes="Assumptions of section 7.2: ||A|| <= 1, ||b||_2 <= 1 (realisable b = softmax(A x0) and generic b), w at the "
          "PD threshold of deng2023s.hessian_pd_sufficient, M = 22 R^3 (43), M r0 = start * iota * l. Approximate "
          "Newton (27) with leverage-score sparsified Hessians (26) (factor (B + W^2)^{1/2} A, or hess^{1/2} when B + "
          "W^2 is indefinite). Convergence curves attached.",
)
def main_convergence(ctx, rng, spec, eps, start, init_factor, delta, C_nnz, log_base, T_factor, hessian_mode):
    return _framework_iterations(ctx, rng, spec, eps, start, init_factor, delta, C_nnz, log_base, T_factor,
                                 hessian_mode)

"""certify.solvers.attention: Newton in x, the Y-solve, greedy alternating, reference minimiser (fp and mp)."""

import numpy as np
import pytest

from certify.context import fp, mp
from certify.errors import InvalidArgument
from certify.kernels import attention as K
from certify.solvers import attention as SA
from certify.strategies.attention import make_instance


@pytest.fixture(scope="module")
def setup():
    inst = make_instance("WELL", 6, 2, seed=3, realisable=True, start_radius=0.3)
    prob = SA.AttentionProblem(inst, reg_x="ridge", reg_y="ridge", lam_x=0.1, lam_y=0.1)
    Xs, Ys, info = SA.reference_minimiser(prob, inst["X"], inst["Y"])
    return inst, prob, Xs, Ys, info


def test_reference_minimiser_is_stationary_and_pd(setup):
    inst, prob, Xs, Ys, info = setup
    assert info["grad_norm"] < 1e-12
    assert info["lambda_min_joint"] > 0
    g = np.concatenate([prob.grad_x(fp, Xs, Ys), prob.grad_y(fp, Xs, Ys)])
    assert np.linalg.norm(g) < 1e-12


def test_solve_y_is_the_exact_minimiser_in_y(setup):
    inst, prob, Xs, Ys, _ = setup
    X = Xs + 0.1
    Y = SA.solve_y(fp, prob, X)
    assert np.linalg.norm(prob.grad_y(fp, X, Y)) < 1e-12
    # objective factor: the squared form has the same minimiser in Y only with the factor in front of K
    prob2 = SA.AttentionProblem(inst, objective="squared", reg_y="weighted")
    Y2 = SA.solve_y(fp, prob2, X)
    assert np.linalg.norm(prob2.grad_y(fp, X, Y2)) < 1e-12
    prob3 = SA.AttentionProblem(inst)  # reg none: least squares
    Y3 = SA.solve_y(fp, prob3, X)
    assert np.linalg.norm(prob3.grad_y(fp, X, Y3)) < 1e-10


def test_newton_x_converges_quadratically(setup):
    inst, prob, Xs, Ys, _ = setup
    X0 = Xs + 0.05 * np.random.default_rng(0).normal(size=Xs.shape)
    run = SA.newton_x(fp, prob, X0, Ys, 8, star=(Xs, Ys))
    d = run.curves()["dist_x"]
    assert run.status == "ok"
    assert d[-1] < 1e-13
    assert d[3] < 1e-6 and d[2] < d[1] ** 1.5 * 10  # superlinear
    assert len(run.X) == len(run.losses) == 9


def test_newton_x_approximate_hessian_converges_linearly(setup):
    inst, prob, Xs, Ys, _ = setup
    X0 = Xs + 0.05 * np.random.default_rng(1).normal(size=Xs.shape)
    run = SA.newton_x(fp, prob, X0, Ys, 30, hessian="approx", eps0=0.3, rng=np.random.default_rng(2),
                      star=(Xs, Ys), stop_tol=1e-12)
    d = run.curves()["dist_x"]
    assert d[-1] <= 1e-12
    ratios = [d[t + 1] / d[t] for t in range(len(d) - 2)]
    assert max(ratios) < 0.9


def test_approx_hessian_is_in_the_sandwich(setup):
    inst, prob, Xs, Ys, _ = setup
    H = prob.hess_xx(fp, Xs, Ys)
    Ht = SA.approx_hessian(fp, H, np.random.default_rng(0), 0.1)
    L = np.linalg.cholesky(H)
    ev = np.linalg.eigvalsh(np.linalg.solve(L, np.linalg.solve(L, Ht).T))
    assert np.all(ev >= 0.9 - 1e-12) and np.all(ev <= 1.1 + 1e-12)


@pytest.mark.parametrize("order", ["x_first", "y_first"])
@pytest.mark.parametrize("hessian", ["exact", "approx"])
def test_greedy_alternating_converges_locally(setup, order, hessian):
    inst, prob, Xs, Ys, _ = setup
    X0 = Xs + 0.05 * np.random.default_rng(1).normal(size=Xs.shape)
    run = SA.greedy_alternating(fp, prob, X0, Ys, 40, order=order, hessian=hessian, eps0=0.05,
                                rng=np.random.default_rng(0), star=(Xs, Ys), tol=1e-10)
    c = run.curves()
    assert max(c["dist_x"][-1], c["dist_y"][-1]) <= 1e-10
    assert len(run.X) == len(run.Y) == len(c["loss"])


def test_greedy_more_x_steps(setup):
    inst, prob, Xs, Ys, _ = setup
    X0 = Xs + 0.05
    r1 = SA.greedy_alternating(fp, prob, X0, Ys, 6, x_steps_per_iter=1, star=(Xs, Ys))
    r3 = SA.greedy_alternating(fp, prob, X0, Ys, 6, x_steps_per_iter=3, star=(Xs, Ys))
    assert r3.dist_x[-1] <= r1.dist_x[-1] * 1.01 + 1e-15


def test_greedy_runs_in_mpmath_past_float_resolution():
    inst = make_instance("WELL", 5, 1, seed=2, realisable=True, start_radius=0.0)
    prob = SA.AttentionProblem(inst, reg_x="ridge", reg_y="ridge", lam_x=0.5, lam_y=0.5)
    Xm, Ym, info = SA.reference_minimiser(prob, inst["X"], inst["Y"], dps=30)
    assert float(info["grad_norm_mp"]) < 1e-20
    m = mp(30)
    run = SA.greedy_alternating(m, prob, np.asarray(Xm, dtype=float), np.asarray(Ym, dtype=float), 6, star=(Xm, Ym))
    d = [float(v) for v in run.dist_x]
    assert d[-1] < 1e-20  # below float64 resolution of the iterates


def test_solver_matches_kernel_quantities(setup):
    inst, prob, Xs, Ys, _ = setup
    args = tuple(inst[k] for k in ("A1", "A2", "A3", "B"))
    L = K.loss(*args, Xs, Ys, objective="half_squared", reg_x="ridge", lam_x=0.1, reg_y="ridge", lam_y=0.1)
    assert prob.loss(fp, Xs, Ys) == pytest.approx(L, rel=1e-14)


def test_validation():
    inst = make_instance("WELL", 4, 2, seed=0)
    prob = SA.AttentionProblem(inst)
    with pytest.raises(InvalidArgument, match="bad hessian='inexact'"):
        SA.greedy_alternating(fp, prob, inst["X"], inst["Y"], 2, hessian="inexact")
    with pytest.raises(InvalidArgument, match="bad order='z_first'"):
        SA.greedy_alternating(fp, prob, inst["X"], inst["Y"], 2, order="z_first")
    with pytest.raises(InvalidArgument, match="x_steps_per_iter"):
        SA.greedy_alternating(fp, prob, inst["X"], inst["Y"], 2, x_steps_per_iter=0)
    with pytest.raises(InvalidArgument, match="needs key 'B'"):
        SA.AttentionProblem({k: inst[k] for k in ("A1", "A2", "A3")})

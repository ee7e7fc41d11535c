"""certify.solvers.sgd: base methods, the two acceleration rules of deng2024a, the paired bootstrap."""

from __future__ import annotations

import numpy as np
import pytest

from certify.errors import InvalidArgument
from certify.solvers import sgd
from certify.strategies.sampled_regression import make_sgd_problem


def test_reject_rule_leaves_plain_sgd_unchanged():
    P = make_sgd_problem("quadratic", 5, 1, cond=10.0, noise=0.1)
    a = sgd.run(P, "sgd", 30, 0.5 / P["L"], seeds=4, seed=3)
    b = sgd.run(P, "sgd", 30, 0.5 / P["L"], rule="reject", seeds=4, seed=3)
    np.testing.assert_array_equal(a["grad_sq"], b["grad_sq"])


def test_noiseless_gradient_descent_converges_on_quadratic():
    P = make_sgd_problem("quadratic", 4, 2, cond=10.0, noise=0.0)
    r = sgd.run(P, "sgd", 400, 1.0 / P["L"], seeds=2, seed=0)
    assert r["f"][:, -1].max() < 1e-10 * max(1.0, r["f"][:, 0].max())
    assert not r["diverged"].any()


def test_random_vector_rule_changes_the_run_and_divergence_is_recorded():
    P = make_sgd_problem("quadratic", 6, 4, cond=1.0, noise=0.0)
    # (eta L = 0.5 with H = I would make the accelerated step a scaled Householder reflection: same norms)
    a = sgd.run(P, "sgd", 20, 0.3 / P["L"], seeds=3, seed=1)
    b = sgd.run(P, "sgd", 20, 0.3 / P["L"], rule="random_vector", seeds=3, seed=1)
    assert not np.allclose(a["f"], b["f"], rtol=1e-3, atol=0)
    c = sgd.run(P, "sgd", 600, 5.0 / P["L"], seeds=2, seed=0)      # eta L = 5 > 2 diverges
    assert c["diverged"].all() and np.isinf(c["f"][:, -1]).all()


def test_trace_records_method_direction():
    P = make_sgd_problem("logistic", 3, 0)
    r = sgd.run(P, "sgdm", 3, 0.1, seeds=1, seed=0, record=True)
    (d1, g1), (d2, g2) = r["trace"][0], r["trace"][1]
    np.testing.assert_allclose(d1, g1)
    np.testing.assert_allclose(d2, 0.9 * d1 + g2)


def test_bootstrap_ratio_interval():
    rng = np.random.default_rng(0)
    den = 1.0 + rng.random((40, 5))
    num = 2.0 * den
    point, lo, hi = sgd.bootstrap_ratio(num, den, lambda G: np.mean(G, axis=(-2, -1)))
    assert point == pytest.approx(2.0) and lo == pytest.approx(2.0) and hi == pytest.approx(2.0)
    point, lo, hi = sgd.bootstrap_ratio(den * rng.random((40, 5)), den, lambda G: np.mean(G, axis=(-2, -1)))
    assert lo < point < hi


def test_bad_arguments():
    P = make_sgd_problem("rosenbrock", 2, 0)
    with pytest.raises(InvalidArgument, match="base"):
        sgd.run(P, "lbfgs", 3, 0.1)
    with pytest.raises(InvalidArgument, match="eta"):
        sgd.run(P, "sgd", 3, 0.0)

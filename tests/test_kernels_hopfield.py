"""Modern Hopfield kernels (2402.04520) against their mpmath twins, the polynomial-method guarantee, and the
underflow regime of the retrieval bound (where only logs stay finite in float64)."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest

import certify
from certify.kernels import hopfield as K
from certify.reference import hopfield as R
from certify.reference._mparray import to_float
from certify.solvers import polynomial_method as PM


@pytest.fixture()
def mpm():
    ctx = mpmath.MPContext()
    ctx.dps = 40
    return ctx


def _rel(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b)) / max(1e-300, float(np.max(np.abs(b)))))


@pytest.mark.parametrize("d,M,beta", [(1, 1, 0.5), (2, 3, 1.0), (4, 7, 3.0), (3, 16, 0.05)])
def test_retrieval_kernels_agree_with_twins(mpm, d, M, beta):
    rng = np.random.default_rng(d * 31 + M)
    Xi = rng.standard_normal((d, M))
    mu = M - 1
    x = Xi[:, mu] + 0.3 * rng.standard_normal(d)
    X = rng.standard_normal((d, 4))
    assert _rel(K.retrieve(Xi, x, beta), to_float(R.retrieve(mpm, Xi, x, beta))) < 1e-13
    assert _rel(K.retrieve(Xi, X, beta), to_float(R.retrieve(mpm, Xi, X, beta))) < 1e-13
    err, err_mp = K.retrieval_error(Xi, x, mu, beta), float(R.retrieval_error(mpm, Xi, x, mu, beta))
    assert abs(err - err_mp) <= 1e-13 * max(err_mp, 1e-300)
    if M > 1:
        assert abs(K.log_retrieval_error(Xi, x, mu, beta) - float(R.log_retrieval_error(mpm, Xi, x, mu, beta))) < 1e-12
    for side in ("query_side", "pattern_side"):
        s, s_mp = K.separation(Xi, x, mu, side), float(R.separation(mpm, Xi, x, mu, side))
        assert s == s_mp == math.inf if M == 1 else abs(s - s_mp) < 1e-13 * (1 + d)
    assert _rel(K.pattern_retrieval_errors(Xi, beta), to_float(R.pattern_retrieval_errors(mpm, Xi, beta))) < 1e-12


@pytest.mark.parametrize("g", [0, 1, 3, 6])
def test_lowrank_retrieve_agrees_with_the_entrywise_taylor_twin(mpm, g):
    rng = np.random.default_rng(g)
    Xi, X = rng.uniform(-1, 1, (3, 5)), rng.uniform(-1, 1, (3, 4))
    assert _rel(K.lowrank_retrieve(Xi, X, 0.7, g), to_float(R.lowrank_retrieve(mpm, Xi, X, 0.7, g))) < 1e-12


def test_polynomial_method_degree_meets_delta(mpm):
    rng = np.random.default_rng(5)
    Xi, X = rng.uniform(-1.5, 1.5, (2, 8)), rng.uniform(-1.5, 1.5, (2, 8))
    B, beta, dF = max(np.abs(Xi).max(), np.abs(X).max()), 1.0, 1.0 / 8
    g = PM.taylor_degree(beta * B * B * 2, PM.eps_for_delta(B, dF))
    T = R.retrieve(mpm, Xi, X, beta)
    err = max(abs(a - b) for a, b in zip(R.lowrank_retrieve(mpm, Xi, X, beta, g).reshape(-1), T.reshape(-1),
                                         strict=True))
    assert err <= dF
    # a degree well below it is not enough on this instance (the guarantee is not vacuous)
    worse = max(abs(a - b) for a, b in zip(R.lowrank_retrieve(mpm, Xi, X, beta, 0).reshape(-1), T.reshape(-1),
                                           strict=True))
    assert worse > err


def test_log_error_stays_finite_where_the_error_underflows(mpm):
    Xi = np.array([[1.0, -1.0]])                     # antipodal: Delta~ = 2 at x = xi_0
    beta = 400.0                                     # exp(-800) underflows float64
    assert K.retrieval_error(Xi, Xi[:, 0], 0, beta) == 0.0
    lg = K.log_retrieval_error(Xi, Xi[:, 0], 0, beta)
    assert math.isfinite(lg)
    assert abs(lg - float(R.log_retrieval_error(mpm, Xi, Xi[:, 0], 0, beta))) < 1e-12
    # the bound 2 m (M-1) exp(-beta Delta~) is attained up to the factor 1 + exp(-beta Delta~) in this case
    assert abs(lg - (math.log(2.0) - beta * 2.0)) < 1e-12


def test_kernels_reject_bad_arguments():
    with pytest.raises(certify.InvalidArgument, match="mu"):
        K.retrieval_error(np.eye(2), np.ones(2), 5, 1.0)
    with pytest.raises(certify.InvalidArgument, match="x"):
        K.retrieve(np.eye(2), np.ones(3), 1.0)

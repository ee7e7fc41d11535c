"""certify.kernels.fast_attention against its mpmath twin certify.reference.fast_attention, and the identities
the fast routes rely on (factors never form n x n; streaming equals batch; the maximiser attains tau)."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest

from certify.errors import InvalidArgument
from certify.kernels import fast_attention as K
from certify.kernels import sketch as KS
from certify.reference import fast_attention as R
from certify.reference._mparray import to_float


@pytest.fixture(scope="module")
def mpm():
    ctx = mpmath.MPContext()
    ctx.dps = 40
    return ctx


def f64(x):
    return np.asarray(to_float(np.asarray(x, dtype=object)), dtype=float)


def err(fast, ref):
    ref = f64(ref)
    return float(np.max(np.abs(np.asarray(fast, dtype=float) - ref))) / max(float(np.max(np.abs(ref))), 1e-300)


RNG = np.random.default_rng(7)
S = RNG.standard_normal((3, 11)) * 4
S[1, :3] = S[1].max() + 1.0            # exact ties among the top logits
Q, KK, V = RNG.uniform(-1, 1, (4, 3)), RNG.uniform(-1, 1, (7, 3)), RNG.standard_normal((7, 2))


def test_same_public_names():
    assert set(K.__all__) == set(R.__all__)


@pytest.mark.parametrize("k", [1, 4, 11])
def test_topk_against_twin(mpm, k):
    assert (K.topk_sets(S, k) == R.topk_sets(mpm, S, k)).all()
    assert err(K.topk_weights(S, k), R.topk_weights(mpm, S, k)) < 1e-13
    mu = K.discarded_mass(S, k)
    assert err(mu, R.discarded_mass(mpm, S, k)) < 1e-12 or k == 11
    assert np.allclose(K.topk_tv(S, k), mu, atol=1e-15)
    assert err(K.subset_mass(S, K.topk_sets(S, k)), R.subset_mass(mpm, S, K.topk_sets(S, k))) < 1e-13


def test_ties_break_by_index():
    assert list(K.topk_sets(S, 3)[1]) == [0, 1, 2]


def test_discarded_mass_below_float_range_stays_positive(mpm):
    row = np.array([[0.0, -800.0, -801.0]])
    assert K.discarded_mass(row, 1)[0] == 0.0      # exp(-799.7) is below the float64 range
    ref = R.discarded_mass(mpm, row, 1)[0]
    assert ref > 0 and abs(float(mpmath.log(ref)) - (-800 + math.log1p(math.exp(-1)))) < 1e-9


def test_polynomial_method_against_twin(mpm):
    c = K.exp_poly_coefficients(2.0, 9)
    assert err(c, R.exp_poly_coefficients(mpm, 2.0, 9)) < 1e-10
    z = np.linspace(-2, 2, 33)
    assert abs(K.exp_poly_relative_error(c, z) - float(R.exp_poly_relative_error(mpm, c, z))) < 1e-12
    U1, U2 = K.poly_factors(Q, KK, c, 1 / 3)
    assert U1.shape[1] == math.comb(3 + 9, 9)
    assert err(U1 @ U2.T, R.poly_scores(mpm, Q, KK, c, 1 / 3)) < 1e-12
    T = K.poly_attention(Q, KK, V, c, 1 / 3)
    assert err(T, R.poly_attention(mpm, Q, KK, V, c, 1 / 3)) < 1e-12
    assert np.max(np.abs(T - K.attention(Q, KK, V, 1 / 3))) < 1e-6


def test_gradient_and_poly_gradient_against_twin(mpm):
    rng = np.random.default_rng(2)
    A1, A2, A3, E = (rng.standard_normal((5, 2)) for _ in range(4))
    X, Y = rng.standard_normal((2, 2)), rng.standard_normal((2, 2))
    assert err(K.gradient(A1, A2, A3, E, X, Y, 0.5), R.gradient(mpm, A1, A2, A3, E, X, Y, 0.5)) < 1e-12
    h = 1e-6
    fd = np.zeros((2, 2))
    for a in range(2):
        for b in range(2):
            P = np.zeros((2, 2))
            P[a, b] = h
            fd[a, b] = (K.gradient_loss(A1, A2, A3, E, X + P, Y, 0.5) - K.gradient_loss(A1, A2, A3, E, X - P, Y, 0.5)) / 2 / h
    assert np.max(np.abs(fd - K.gradient(A1, A2, A3, E, X, Y, 0.5))) < 1e-6
    R2 = float(np.max(np.abs(A1 @ X @ A2.T))) * 0.5
    c = K.exp_poly_coefficients(R2, 6)
    assert err(K.poly_gradient(A1, A2, A3, E, X, Y, c, 0.5), R.poly_gradient(mpm, A1, A2, A3, E, X, Y, c, 0.5)) < 1e-10


def test_reduction_derivatives_against_numerical_twin(mpm):
    rng = np.random.default_rng(4)
    Z, Vb = rng.uniform(0, 3, (4, 4)), (rng.uniform(size=(4, 2)) < 0.5) * 1.0
    fast = np.array(K.reduction_derivatives(Z, Vb, 0.3))
    ref = np.array([float(t) for t in R.reduction_derivatives(mpm, Z, Vb, 0.3)])
    assert np.max(np.abs(fast - ref)) < 1e-10
    assert abs(K.riemann_sum(Z, Vb, 4, "left") - float(R.riemann_sum(mpm, Z, Vb, 4, "left"))) < 1e-10


@pytest.mark.parametrize("chunk", [1, 3, 50])
def test_streaming_equals_batch_and_twin(mpm, chunk):
    rng = np.random.default_rng(5)
    Kk, Vv = rng.uniform(-1, 1, (13, 2)), rng.standard_normal((13, 3))
    Sv, s1, kept = K.stream_factor_sums(Kk, Vv, 4, chunk)
    Sb, sb = K.batch_factor_sums(Kk, Vv, 4)
    assert np.allclose(Sv, Sb, atol=1e-13) and np.allclose(s1, sb, atol=1e-13)
    rS, rs, rkept = R.stream_factor_sums(mpm, Kk, Vv, 4, chunk)
    assert err(Sv, rS) < 1e-13 and kept == rkept
    assert err(sb, R.batch_factor_sums(mpm, Kk, Vv, 4)[1]) < 1e-13
    c = np.array([1 / math.factorial(j) for j in range(5)])
    Qs = 0.2 * Kk[:3]
    assert err(K.stream_attention(Qs, Sv, s1, c, 0.5), R.stream_attention(mpm, Qs, rS, rs, c, 0.5)) < 1e-12
    assert np.allclose(K.stream_attention(Qs, Sv, s1, c, 0.5), K.poly_attention(Qs, Kk, Vv, c, 0.5), atol=1e-13)


def test_overlap_double_counts():
    rng = np.random.default_rng(6)
    Kk, Vv = rng.uniform(-1, 1, (10, 2)), rng.standard_normal((10, 1))
    assert not np.allclose(K.stream_factor_sums(Kk, Vv, 2, 3, overlap=1)[1], K.batch_factor_sums(Kk, Vv, 2)[1])


def test_countsketch_against_twin_and_exact_on_sparse(mpm):
    y = np.zeros(40)
    y[[3, 17]] = [5.0, -2.0]
    assert np.allclose(K.countsketch_recover(y, 2, 16, 5, 1), y)
    z = np.random.default_rng(8).standard_normal(40)
    assert err(K.countsketch_recover(z, 3, 8, 5, 2), R.countsketch_recover(mpm, z, 3, 8, 5, 2)) < 1e-13


def test_leverage_sensitivities_against_twin(mpm):
    rng = np.random.default_rng(9)
    Kk, Qq = rng.standard_normal((9, 3)), rng.standard_normal((2, 3))
    for p in (2, 4, 0):
        assert err(K.kernel_attention(Qq, Kk, p), R.kernel_attention(mpm, Qq, Kk, p)) < 1e-12
    Y = K.leverage_maximisers(Kk)
    assert err(Y, R.leverage_maximisers(mpm, Kk)) < 1e-12
    tau = KS.leverage_scores(Kk)
    assert np.allclose(K.sensitivity_at(Kk, Y, 2), tau, atol=1e-13)
    assert err(K.sensitivity_at(Kk, Y, 2), R.sensitivity_at(mpm, Kk, Y, 2)) < 1e-12
    U, work = K.universal_set_stream(Kk, 0.4, 4)
    rU, rwork = R.universal_set_stream(mpm, Kk, 0.4, 4)
    assert list(U) == list(rU) == list(np.nonzero(tau >= 0.4)[0]) and work == rwork
    Y4 = K.sensitivity_maximisers(Kk, 4.0, starts=4, seed=0)
    assert K.sensitivity_at(Kk, Y4, 4.0).sum() <= 3**2 + 1e-9


def test_bad_arguments_name_the_function():
    with pytest.raises(InvalidArgument, match="topk_sets.*k"):
        K.topk_sets(S, 0)
    with pytest.raises(InvalidArgument, match="poly_factors"):
        K.poly_factors(Q, np.ones((3, 2)), [1.0, 1.0], 1.0)
    with pytest.raises(InvalidArgument, match="riemann_sum"):
        K.riemann_sum(np.ones((2, 2)), np.ones((2, 1)), 0)

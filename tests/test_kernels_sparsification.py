"""Kernel vs mpmath reference for certify.kernels.sparsification (2304.04397), plus validation messages."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest

import certify.kernels.sparsification as K
import certify.reference.sparsification as R
from certify.errors import InvalidArgument
from certify.reference._mparray import to_float

TOL = 1e-10


@pytest.fixture(scope="module")
def mpm():
    m = mpmath.MPContext()
    m.dps = 40
    return m


def rel(a, b):
    a = np.asarray(a, dtype=float)
    b = to_float(b) if isinstance(b, np.ndarray) else float(b)
    b = np.asarray(b, dtype=float)
    scale = max(float(np.max(np.abs(b))), 1e-300)
    return float(np.max(np.abs(a - b))) / scale


def _instances():
    rng = np.random.default_rng(7)
    out = []
    X = rng.standard_normal((5, 24)) * 0.05  # WELL, small logits (the claim's regime)
    out.append(("well", X, X[:, :10] * np.sqrt(2.4)))
    A = rng.standard_normal((5, 2)) @ rng.standard_normal((2, 24))  # RANKDEF
    out.append(("rankdef", A, A[:, 3:15] * 1.3))
    D = rng.standard_normal((4, 16))
    D[3] = D[0]  # DUP rows: exact ties
    out.append(("dup", D, D + 1e-3 * rng.standard_normal(D.shape)))
    S = rng.standard_normal((4, 6)) * 6.0  # SAT: logits ~ 200
    out.append(("sat", S, S * 1.01))
    T = rng.standard_normal((1, 5))  # TINY
    out.append(("tiny", T, T[:, :2]))
    Z = rng.standard_normal((4, 20)) * 0.1
    Z[:, ::3] = 0.0  # SPARSE with empty columns
    out.append(("sparse", Z, Z[:, :7]))
    return out


INST = _instances()


@pytest.mark.parametrize("name,X,Y", INST, ids=[i[0] for i in INST])
def test_attention_family_agrees(mpm, name, X, Y):
    assert rel(K.gram(X), R.gram(mpm, X)) < TOL
    assert rel(K.attention(X), R.attention(mpm, X)) < TOL
    assert rel(K.log_attention(X), R.log_attention(mpm, X)) < TOL
    assert rel(K.log_normalizer(X), R.log_normalizer(mpm, X)) < TOL
    assert rel(K.attention_diff(X, Y), R.attention_diff(mpm, X, Y)) < TOL
    assert rel(K.gram_diff(X, Y), R.gram_diff(mpm, X, Y)) < TOL
    assert rel(K.log_attention_ratio(X, Y), R.log_attention_ratio(mpm, X, Y)) < TOL
    assert rel(K.logit_perturbation(X, Y), R.logit_perturbation(mpm, X, Y)) < TOL
    for norm in ("max", "row"):
        assert rel(K.attention_error(X, Y, norm), R.attention_error(mpm, X, Y, norm)) < TOL
        assert rel(K.gram_norm(X, norm), R.gram_norm(mpm, X, norm)) < TOL


@pytest.mark.parametrize("name,X,Y", INST, ids=[i[0] for i in INST])
def test_linear_algebra_agrees(mpm, name, X, Y):
    assert K.numerical_rank(X) == R.numerical_rank(mpm, X)
    assert rel(K.leverage_scores(X), R.leverage_scores(mpm, X)) < 1e-9
    e_k, e_r = K.spectral_eps(X, Y), R.spectral_eps(mpm, X, Y)
    if np.isinf(e_k) or np.isinf(float(e_r)):
        assert e_k == float(e_r)  # both see Y leave range(XX^T)
    else:
        assert abs(e_k - float(e_r)) <= 1e-9 * max(1.0, abs(float(e_r)))
    Yk, Yr = K.exact_root(X), R.exact_root(mpm, X)
    G = K.gram(X)
    assert rel(Yk @ Yk.T, G) < 1e-12
    assert rel(to_float(Yr @ Yr.T), G) < 1e-12
    assert Yk.shape[1] == K.numerical_rank(X) == Yr.shape[1]


def test_tiny_perturbation_keeps_relative_accuracy(mpm):
    rng = np.random.default_rng(3)
    X = rng.standard_normal((5, 30)) * 0.05
    Y = X.copy()
    Y[0, 0] += 1e-13  # eta ~ 1e-14: naive P(Y) - P(X) would lose ~3 digits
    assert rel(K.attention_diff(X, Y), R.attention_diff(mpm, X, Y)) < 1e-12
    assert rel(K.log_attention_ratio(X, Y), R.log_attention_ratio(mpm, X, Y)) < 1e-12


def test_saturated_logits_700():
    Z = np.array([[np.sqrt(700.0), 0.0], [0.0, np.sqrt(700.0)], [0.0, 0.0]])
    P = K.attention(Z)
    assert np.all(np.isfinite(P))
    assert np.allclose(P.sum(axis=1), 1.0)
    assert np.isfinite(K.log_attention(Z)).all() and K.log_attention(Z)[0, 1] < -699
    assert np.isinf(K.normalizer(Z * 2)[0])  # D overflows; log D does not
    assert np.isfinite(K.log_normalizer(Z * 2)).all()


def test_approx_leverage_scores_agree(mpm):
    rng = np.random.default_rng(11)
    for X in (rng.standard_normal((4, 30)), rng.standard_normal((4, 2)) @ rng.standard_normal((2, 30))):
        h = rng.integers(0, 9, size=30)
        sgn = rng.choice([-1.0, 1.0], size=30)
        Pi = rng.standard_normal((7, 4)) / np.sqrt(7)
        assert rel(K.approx_leverage_scores(X, h, sgn, Pi), R.approx_leverage_scores(mpm, X, h, sgn, Pi)) < 1e-9


def test_leverage_identities():
    rng = np.random.default_rng(5)
    X = rng.standard_normal((6, 40))
    tau = K.leverage_scores(X)
    assert np.all(tau >= 0) and np.all(tau <= 1 + 1e-12)
    assert abs(tau.sum() - 6) < 1e-10
    Xr = rng.standard_normal((6, 3)) @ rng.standard_normal((3, 40))
    assert abs(K.leverage_scores(Xr).sum() - 3) < 1e-9


def test_norms_and_spectral_eps_edge_cases():
    M = np.array([[1.0, -2.0], [0.5, 0.25]])
    assert K.matrix_norm(M, "max") == 2.0
    assert K.matrix_norm(M, "row") == 3.0
    X = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    assert K.spectral_eps(X, X) == 0.0
    assert K.spectral_eps(X, np.array([[1.0], [1.0]])) == np.inf  # Y leaves range(XX^T)
    assert K.spectral_eps(X, 2 * X) == pytest.approx(3.0)


def test_sample_and_weighted_columns(mpm):
    rng = np.random.default_rng(2)
    X = rng.standard_normal((3, 8))
    p = np.full(8, 1 / 8)
    idx = np.array([1, 1, 5], dtype=np.int64)
    Y = K.sample_columns(X, idx, p)
    assert np.allclose(Y[:, 0], X[:, 1] / np.sqrt(3 / 8))
    assert rel(Y, R.sample_columns(mpm, X, idx, p)) < 1e-14
    w = np.array([0, 2.0, 0, 0, 0.5, 0, 0, 0])
    assert rel(K.weighted_columns(X, w), R.weighted_columns(mpm, X, w)) < 1e-14
    assert K.weighted_columns(X, np.zeros(8)).shape == (3, 1)


@pytest.mark.parametrize("call,needle", [
    (lambda: K.attention(np.zeros(3)), "kernels.sparsification.attention: bad Z"),
    (lambda: K.attention(np.array([[np.nan, 1.0]])), "non-finite"),
    (lambda: K.attention_error(np.ones((2, 2)), np.ones((3, 2))), "bad Y"),
    (lambda: K.attention_error(np.ones((2, 2)), np.ones((2, 2)), norm="fro"), "bad norm='fro'"),
    (lambda: K.leverage_scores(np.ones((2, 2)), rtol=2.0), "bad rtol=2.0"),
    (lambda: K.sample_columns(np.ones((2, 3)), np.array([5]), np.ones(3) / 3), "bad idx"),
    (lambda: K.sample_columns(np.ones((2, 3)), np.array([0]), np.zeros(3)), "p_i > 0"),
    (lambda: K.weighted_columns(np.ones((2, 3)), -np.ones(3)), "weights must be >= 0"),
    (lambda: K.attention(np.ones((2, 2), dtype=object)), "object array"),
    (lambda: K.gram(np.ones((2, 2)), logit_scale="x"), "bad logit_scale"),
])
def test_validation_messages(call, needle):
    with pytest.raises(InvalidArgument) as e:
        call()
    assert needle in str(e.value)
    assert isinstance(e.value, ValueError)

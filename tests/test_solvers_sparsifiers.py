"""Sparsifiers of 2304.04397: leverage-score sampling (9), BSS (10), baselines (11)-(12)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import certify.kernels.sparsification as K
from certify.errors import InvalidArgument
from certify.solvers import sparsifiers as S


def _X(n, d, seed=0, r=0.05):
    X = np.random.default_rng(seed).standard_normal((n, d))
    return X * np.sqrt(r / np.max(np.abs(X @ X.T)))


@pytest.mark.parametrize("c", [1.5, 4.0, 16.0])
@pytest.mark.parametrize("n,d", [(1, 6), (4, 40), (8, 120)])
def test_bss_guarantee(n, d, c):
    X = _X(n, d, seed=n + d)
    res = S.bss_sparsify(X, c)
    k = S.bss_constants(c, res.rank)
    assert res.rank == n
    assert res.m <= k["Q"]
    assert res.no_candidate == 0
    assert K.spectral_eps(X, res.Y) <= k["eps_c"] + 1e-12
    # the barrier invariant l_q < lambda(A_q) < u_q holds along the run (the iterates)
    for it in res.iterates:
        assert it["l"] < it["lam_min"] <= it["lam_max"] < it["u"]
    assert math.isclose(res.l, k["lQ"]) and math.isclose(res.u, k["uQ"])


def test_bss_rank_deficient_and_zero():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((6, 2)) @ rng.standard_normal((2, 50))
    res = S.bss_sparsify(X, 4.0)
    assert res.rank == 2 and res.m <= 8
    assert K.spectral_eps(X, res.Y) <= S.bss_constants(4.0, 2)["eps_c"]
    z = S.bss_sparsify(np.zeros((3, 5)), 4.0)
    assert z.m == 0 and z.Y.shape == (3, 1)


def test_leverage_sampling_converges_with_m():
    X = _X(6, 300, seed=3)
    rng = np.random.default_rng(0)
    eps = [K.spectral_eps(X, S.leverage_sampling(X, rng, scores="exact", m=m).Y) for m in (20, 200, 2000, 20000)]
    assert eps[-1] < 0.1 < eps[0]
    assert eps[-1] < eps[1] < eps[0]
    res = S.leverage_sampling(X, np.random.default_rng(1), track=True)
    assert res.m == S.sample_size(6, 0.1) == math.floor(6 * math.log(60))
    assert res.iterates[-1][0] == res.m
    assert res.Y.shape == (6, res.m) and res.rank == 6 and res.beta > 0


def test_sampling_is_reproducible_and_unbiased_on_average():
    X = _X(3, 12, seed=4)
    a = S.leverage_sampling(X, np.random.default_rng(5))
    b = S.leverage_sampling(X, np.random.default_rng(5))
    assert np.array_equal(a.idx, b.idx) and np.array_equal(a.Y, b.Y)
    rng = np.random.default_rng(6)
    acc = np.zeros((3, 3))
    T = 3000
    for _ in range(T):
        acc += (lambda Y: Y @ Y.T)(S.leverage_sampling(X, rng, scores="uniform", m=4).Y)
    G = X @ X.T
    assert np.max(np.abs(acc / T - G)) < 0.1 * np.max(np.abs(G))


def test_approx_scores_track_exact_scores_with_big_sketches():
    X = _X(5, 200, seed=8)
    tt, sk = S.approx_leverage_scores(X, np.random.default_rng(0), C_s=40.0, C_k=400.0)
    tau = K.leverage_scores(X)
    assert sk.k >= 2000 and np.max(np.abs(tt / tau - 1)) < 0.5


def test_baselines():
    X = _X(5, 60, seed=9)
    Y0 = S.trivial_baseline(X)
    assert Y0.shape == (5, 1) and not np.any(Y0)
    assert np.allclose(K.attention(Y0), 1 / 5)
    Ye = S.exact_baseline(X)
    assert Ye.shape[1] == 5
    assert K.attention_error(X, Ye, "row") < 1e-14


def test_oblivious_sketch_shape():
    X = _X(4, 50, seed=10)
    Y = S.oblivious_sketch(X, np.random.default_rng(0))
    assert Y.shape == (4, S.sample_size(4, 0.1))


def test_chernoff_size_and_beta():
    assert S.chernoff_sample_size(4, 0.1, 0.5, 1.0, 3.0) == math.ceil(3 * 4 * math.log(40) / 0.25 - 1e-9)
    X = _X(3, 20, seed=11)
    tau = K.leverage_scores(X)
    assert S.leverage_beta(X, tau / tau.sum()) == pytest.approx(1.0)


@pytest.mark.parametrize("call,needle", [
    (lambda: S.bss_sparsify(np.ones((2, 3)), 1.0), "bad c=1.0"),
    (lambda: S.sample_size(3, 1.5), "bad delta=1.5"),
    (lambda: S.leverage_sampling(np.ones((2, 3)), np.random.default_rng(0), scores="magic"), "bad scores"),
    (lambda: S.approx_leverage_scores(np.ones((2, 3))), "bad rng=None"),
    (lambda: S.sampling_probabilities(np.array([-1.0, 1.0])), "scores must be >= 0"),
])
def test_solver_validation(call, needle):
    with pytest.raises(InvalidArgument) as e:
        call()
    assert needle in str(e.value)

"""Regression tests for encodings of the related papers' rows (one per bug found in a real run)."""

import numpy as np

import certify
from certify.confirm import confirm


def _rank_deficient_keys(n=38, d=3, seed=0):
    # the RANKDEF keys of certify.strategies.fast_attention: rank d - 1 in exact arithmetic, but the stored
    # float64 product has sigma_min ~ 1e-16 sigma_1, so "the rank" depends on where a routine cuts
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, d - 1)) @ rng.standard_normal((d - 1, d))


def test_the_leverage_identity_uses_one_numerical_rank_on_both_sides():
    # the certify-profile sample run refuted this DERIVED row (margin -1): tau came from a pseudo-inverse cut at
    # mpmath's default (full rank 3) and y_j = (K^T K)^+ k_j at another (rank 2)
    K = _rank_deficient_keys()
    s = np.linalg.svd(K, compute_uv=False)
    assert s[-1] < 1e-14 * s[0]
    inst = {"inst": {"K": K, "Q": np.ones((1, 3)), "eps": 0.01}}
    c = confirm(certify.get_claim("kannan2024.leverage_identity_p2"), inst)
    assert c.status in ("holds", "equality"), c.reason
    c = confirm(certify.get_claim("kannan2024.sensitivity_cover"), inst)
    assert c.status in ("holds", "equality"), c.reason

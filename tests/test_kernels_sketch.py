"""Sketch kernels (certify.kernels.sketch) against their mpmath twins (certify.reference.sketch)."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import scipy.sparse as sp

from certify.errors import InvalidArgument
from certify.kernels import sketch as K
from certify.reference import sketch as R
from certify.reference._mparray import to_float

RTOL = 1e-10


@pytest.fixture(scope="module")
def mpm():
    ctx = mpmath.MPContext()
    ctx.dps = 30
    return ctx


def relerr(fast, ref):
    fast = np.asarray(fast, dtype=float)
    ref = to_float(ref) if isinstance(ref, np.ndarray) else float(ref)
    scale = max(float(np.max(np.abs(ref))), 1e-300)
    return float(np.max(np.abs(fast - ref))) / scale


def _instances():
    rng = np.random.default_rng(7)
    gauss = rng.standard_normal((13, 3))
    cond = (np.linalg.qr(rng.standard_normal((13, 3)))[0] * [1, 1e-4, 1e-8]) @ np.linalg.qr(
        rng.standard_normal((3, 3)))[0]
    spiky = rng.standard_normal((13, 3))
    spiky[2] = [1e6, 0, 0]
    sparse = sp.random(13, 3, density=0.3, random_state=3, format="lil")
    sparse[0, 0] = 1.0
    sparse[1, 1] = 1.0
    sparse[2, 2] = 1.0           # full column rank; other rows may be empty
    sparse = sparse.tocsr()
    return {"gauss": gauss, "cond1e8": cond, "coherent": spiky, "sparse_csr": sparse}


INST = _instances()


@pytest.mark.parametrize("kind", K.KINDS)
@pytest.mark.parametrize("name", sorted(INST))
def test_apply_and_distortion_vs_reference(mpm, kind, name):
    A = INST[name]
    n = A.shape[0]
    probs = K.leverage_probs(K.leverage_scores(A)) if kind == "leverage" else None
    for m in (5, 16):                      # m barely above d, and m > n (SRHT pads 13 -> 16)
        sk = K.draw_sketch(kind, m, n, 11, s=2 if kind == "osnap" else None, probs=probs)
        assert relerr(K.apply_sketch(sk, A), R.apply_sketch(mpm, sk, A)) < RTOL
        assert relerr(K.sketch_matrix(sk), R.sketch_matrix(mpm, sk)) < RTOL
        b = np.arange(n, dtype=float) - 3
        assert relerr(K.apply_sketch(sk, b), R.apply_sketch(mpm, sk, b.reshape(-1, 1))[:, 0]) < RTOL
        if name != "cond1e8":      # distortion of an ill-conditioned basis: checked separately at lower tol
            # distortion is an absolute quantity in [0, inf): absolute floor 1e-12 (eps * basis error)
            ref = float(R.subspace_distortion(mpm, sk, A))
            assert abs(K.subspace_distortion(sk, A) - ref) < 1e-12 + 1e-10 * ref


def test_distortion_ill_conditioned_basis(mpm):
    A = INST["cond1e8"]
    sk = K.draw_sketch("gaussian", 8, 13, 2)
    mpm2 = mpmath.MPContext()
    mpm2.dps = 40
    # the distortion is basis-invariant; kernel via QR of A, reference via Cholesky of A^T A at dps 40
    assert abs(K.subspace_distortion(sk, A) - float(R.subspace_distortion(mpm2, sk, A))) < 1e-7


def test_srht_full_rows_is_orthogonal():
    sk = K.draw_sketch("srht", 16, 16, 0)
    S = K.sketch_matrix(sk)
    assert sk.n_pad == 16 and sorted(sk.rows.tolist()) == list(range(16))
    assert np.allclose(S.T @ S, np.eye(16), atol=1e-13)
    assert K.subspace_distortion(sk, np.random.default_rng(0).standard_normal((16, 3))) < 1e-12


def test_sparse_dense_agree_and_empty_rows():
    A = INST["sparse_csr"]
    for kind in K.KINDS:
        sk = K.draw_sketch(kind, 7, 13, 5)
        assert np.allclose(K.apply_sketch(sk, A), K.apply_sketch(sk, A.toarray()), atol=1e-14, rtol=0)
    Z = sp.csr_matrix((13, 3))
    assert np.all(K.apply_sketch(K.draw_sketch("countsketch", 4, 13, 0), Z) == 0)


def test_fwht_vs_reference(mpm):
    x = np.random.default_rng(1).standard_normal((16, 2))
    assert relerr(K.fwht(x), R.fwht(mpm, x)) < RTOL
    assert np.allclose(K.fwht(K.fwht(x)), x, atol=1e-14)   # H is an involution


def test_leverage_scores_vs_reference(mpm):
    for name, A in INST.items():
        tau = K.leverage_scores(A)
        ref = R.leverage_scores(mpm, A)
        tol = 1e-7 if name == "cond1e8" else RTOL      # kernel QR loses ~ eps * kappa
        assert relerr(tau, ref) < tol, name
        assert abs(tau.sum() - 3) < 1e-9 and np.all(tau <= 1 + 1e-12) and np.all(tau >= -1e-15)
    assert K.leverage_scores(INST["coherent"])[2] > 1 - 1e-9


def test_leverage_rank_deficient(mpm):
    A = INST["gauss"].copy()
    A[:, 2] = A[:, 0] + A[:, 1]
    tau = K.leverage_scores(A)
    assert abs(tau.sum() - 2) < 1e-9
    assert relerr(tau, R.leverage_scores(mpm, A)) < 1e-9


def test_approx_leverage_vs_reference(mpm):
    A = INST["gauss"]
    for seed in (0, 3):
        fast = K.approx_leverage_scores(A, seed, m=9, k=6)
        ref = R.approx_leverage_scores(mpm, A, seed, m=9, k=6)
        assert relerr(fast, ref) < RTOL
    # a Generator in the same state reproduces the draw
    a = K.approx_leverage_scores(A, np.random.default_rng(4), m=9, k=6)
    b = K.approx_leverage_scores(A, 4, m=9, k=6)
    assert np.array_equal(a, b)


def test_attention_kernel_pieces_vs_reference(mpm):
    rng = np.random.default_rng(2)
    A = rng.standard_normal((6, 3)) * 0.8
    A[4] = A[1]                                    # duplicate
    A[5] = A[0] + 1e-9                             # near-duplicate
    assert relerr(K.attention_kernel(A), R.attention_kernel(mpm, A)) < RTOL
    G, logd = K.kernel_factors(A)
    Gr, logdr = R.kernel_factors(mpm, A)
    assert relerr(G, Gr) < RTOL and relerr(logd, logdr) < RTOL
    for q in (0, 1, 5):
        assert relerr(K.taylor_kernel(A, q), R.taylor_kernel(mpm, A, q)) < RTOL
        assert relerr(K.merged_features(A, q), R.merged_features(mpm, A, q)) < RTOL
        assert K.merged_features(A, q).shape[1] == math.comb(3 + q, q)
    for l in (0, 1, 3):
        assert relerr(K.kronecker_power(A, l), R.kronecker_power(mpm, A, l)) < RTOL
    Big = rng.standard_normal((4, 2))
    Big *= math.sqrt(600) / np.linalg.norm(Big, axis=1).max()
    assert relerr(K.attention_kernel(Big), R.attention_kernel(mpm, Big)) < RTOL


def test_sketch_sizes():
    assert K.sketch_size("gaussian", 100, 10, 0.5, 0.1)[0] == math.ceil(4 * (10 + math.log(10)) / 0.25)
    assert K.sketch_size("countsketch", 100, 10, 0.5, 0.1)[0] == 4000
    m, s = K.sketch_size("osnap", 100, 10, 0.5, 0.1)
    assert s == math.ceil(math.log(100) / 0.5) and m == math.ceil(10 * math.log(100) / 0.25)


def test_same_seed_same_draw():
    for kind in K.KINDS:
        a, b = K.draw_sketch(kind, 6, 20, 9), K.draw_sketch(kind, 6, 20, 9)
        assert np.array_equal(K.sketch_matrix(a), K.sketch_matrix(b))


@pytest.mark.parametrize(
    "call, words",
    [
        (lambda: K.draw_sketch("fourier", 3, 5, 0), ["draw_sketch", "kind", "fourier"]),
        (lambda: K.draw_sketch("gaussian", 0, 5, 0), ["draw_sketch", "m", "0"]),
        (lambda: K.draw_sketch("gaussian", 3, 5, -1), ["draw_sketch", "rng", "seed"]),
        (lambda: K.draw_sketch("osnap", 3, 5, 0, s=4), ["draw_sketch", "s", "s <= m"]),
        (lambda: K.draw_sketch("leverage", 3, 5, 0, probs=[1, -1, 0, 0, 0]), ["probs", "non-negative"]),
        (lambda: K.apply_sketch(K.draw_sketch("gaussian", 3, 5, 0), np.ones((4, 2))), ["apply_sketch", "A", "n = 5"]),
        (lambda: K.apply_sketch(K.draw_sketch("gaussian", 3, 2, 0), np.array([[np.nan], [1.0]])),
         ["apply_sketch", "A", "finite"]),
        (lambda: K.fwht(np.ones(6)), ["fwht", "x", "power of two"]),
        (lambda: K.sketch_size("srht", 10, 2, 1.5, 0.1), ["sketch_size", "eps0"]),
        (lambda: K.apply_sketch(K.draw_sketch("gaussian", 3, 2, 0), np.ones((2, 1), dtype=object)),
         ["apply_sketch", "object array", "float64"]),
    ],
)
def test_validation_messages(call, words):
    with pytest.raises(InvalidArgument) as err:
        call()
    msg = str(err.value)
    for w in words:
        assert w in msg, (w, msg)

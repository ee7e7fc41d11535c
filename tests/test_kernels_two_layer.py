"""certify.kernels.two_layer against its mpmath twin (entrywise softmax derivatives) and finite differences."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import scipy.sparse as sp

from certify.kernels import two_layer as K
from certify.reference import two_layer as R
from certify.reference._mparray import to_float


@pytest.fixture(scope="module")
def mpm():
    ctx = mpmath.MPContext()
    ctx.dps = 40
    return ctx


def _problem(seed, n=6, d=3, n2=2, sat=False):
    rng = np.random.default_rng(seed)
    C = rng.standard_normal((n, d))
    if sat:
        C[0] *= 30.0                       # one logit far ahead
    return C, rng.standard_normal((n2, n)), rng.standard_normal(n2), 0.5 + rng.random(n), rng.standard_normal(d)


def rel(fast, ref):
    ref = np.asarray(to_float(np.asarray(ref, dtype=object)), dtype=float)
    return float(np.max(np.abs(np.asarray(fast) - ref))) / max(float(np.max(np.abs(ref))), 1e-300)


def test_same_public_names():
    assert K.__all__ == R.__all__


@pytest.mark.parametrize("seed,sat", [(0, False), (1, True), (2, False)])
@pytest.mark.parametrize("fn", ["loss", "grad", "hessian", "hessian_factor"])
def test_kernel_vs_twin(mpm, seed, sat, fn):
    args = _problem(seed, sat=sat)
    assert rel(getattr(K, fn)(*args), getattr(R, fn)(mpm, *args)) < 1e-10


def test_relu_loss(mpm):
    args = _problem(3)
    assert rel([K.loss(*args, sigma2="relu")], [R.loss(mpm, *args, sigma2="relu")]) < 1e-12


def test_gradient_and_hessian_against_differences():
    C, M, b, w, x = _problem(4)
    h = 1e-6
    E = np.eye(len(x))
    fd = np.array([(K.loss(C, M, b, w, x + h * e) - K.loss(C, M, b, w, x - h * e)) / (2 * h) for e in E])
    assert np.max(np.abs(fd - K.grad(C, M, b, w, x))) < 1e-7
    h = 1e-4
    Hfd = np.array([(K.grad(C, M, b, w, x + h * e) - K.grad(C, M, b, w, x - h * e)) / (2 * h) for e in E])
    assert np.max(np.abs(Hfd - K.hessian(C, M, b, w, x))) < 1e-6


def test_structured_newton_step(mpm):
    C, M, b, w, x = _problem(5, n=9)
    exact = x - np.linalg.solve(K.hessian(C, M, b, w, x), K.grad(C, M, b, w, x))
    assert np.max(np.abs(K.newton_step_structured(C, M, b, w, x) - exact)) < 1e-10
    assert np.max(np.abs(K.newton_step_structured(sp.csr_matrix(C), M, b, w, x) - exact)) < 1e-10
    rows, wt = np.array([0, 3, 3, 8]), np.array([1.0, 0.7, 0.7, 1.5])
    assert rel(K.newton_step_structured(C, M, b, w, x, rows, wt),
               R.newton_step_structured(mpm, C, M, b, w, x, rows, wt)) < 1e-9

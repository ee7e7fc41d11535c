"""Kernel (numba float64) vs independent mpmath reference for certify.kernels.regression.

Agreement is norm-wise relative: max |kernel - reference| <= 1e-10 * max |reference| (plus, for quantities
that are sums of cancelling terms, the size of the terms). The reference differentiates the loss numerically
(mpm.diff), so a wrong closed form in the kernel is caught.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest

from certify.errors import InvalidArgument
from certify.kernels import regression as K
from certify.reference import regression as R
from certify.reference._mparray import to_float

TOL = 1e-10


def _mpm(dps=50):
    m = mpmath.MPContext()
    m.dps = dps
    return m


def _rel(k, r, scale=None):
    k = np.asarray(k, dtype=float)
    r = to_float(r) if isinstance(r, np.ndarray) else float(r)
    s = np.max(np.abs(r)) if scale is None else scale
    return float(np.max(np.abs(k - r)) / max(s, 1e-300))


def _instance(seed, n, d, scale=1.0):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((n, d))
    A /= np.linalg.norm(A, 2)
    return rng, A * scale


# ---------------------------------------------------------------------------------------------------------------
# exp / cosh / sinh regression
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("f", ["exp", "cosh", "sinh"])
@pytest.mark.parametrize("objective", ["half_squared", "squared", "norm"])
@pytest.mark.parametrize("case", ["well", "bignorm", "ones", "rankdef"])
def test_exp_family_matches_reference(f, objective, case):
    seed = hash((f, objective, case)) % 2**31
    rng, A = _instance(seed, 5, 3)
    b = rng.standard_normal(5) * 3
    w = rng.standard_normal(5)
    x = rng.standard_normal(3) * 0.7
    dps = 50
    if case == "bignorm":  # |u| up to ~300: e^{2u} ~ 1e260, still finite in float64
        x = x / np.linalg.norm(A @ x, np.inf) * 300.0
        dps = 50 + int(2 * 300 / math.log(10))
    elif case == "ones":
        A[:, 0] = 1.0
    elif case == "rankdef":
        A[:, 2] = A[:, 0] - 2 * A[:, 1]
    mpm = _mpm(dps)
    assert _rel(K.exp_loss(A, b, w, x, f, objective), R.exp_loss(mpm, A, b, w, x, f, objective)) < TOL
    assert _rel(K.exp_grad(A, b, w, x, f, objective), R.exp_grad(mpm, A, b, w, x, f, objective)) < TOL
    assert _rel(K.exp_hessian(A, b, w, x, f, objective), R.exp_hessian(mpm, A, b, w, x, f, objective)) < TOL


@pytest.mark.parametrize("f", ["exp", "cosh", "sinh"])
def test_phi_and_weights(f):
    rng, A = _instance(7, 6, 2)
    b = np.array([0.0, 4.0, -4.0, 1e3, -1e-3, 2.5])
    x = rng.standard_normal(2)
    u = A @ x
    mpm = _mpm()
    assert _rel(K.phi(u, b, f), R.phi(mpm, u, b, f)) < TOL
    w = rng.standard_normal(6)
    assert _rel(K.exp_hessian_weights(A, b, w, x, f), R.exp_hessian_weights(mpm, A, b, w, x, f)) < TOL
    # the Hessian is A^T diag(phi + w o w) A
    D = K.exp_hessian_weights(A, b, w, x, f)
    np.testing.assert_allclose(K.exp_hessian(A, b, w, x, f), A.T @ (D[:, None] * A), rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("f", ["exp", "cosh", "sinh"])
def test_phi_infimum_matches_numerical_minimisation(f):
    b = np.array([-1e3, -3.0, -1e-12, 0.0, 1e-6, 0.5, 3.999, 4.0, 4.001, 7.0, 250.0, 1e3])
    got = K.phi_infimum(b, f)
    ref = to_float(R.phi_infimum(_mpm(30), b, f))
    # absolute agreement on the scale 1 + b^2 (the infima are O(b^2))
    assert np.max(np.abs(got - ref) / (1 + b * b)) < 1e-12


def test_phi_infimum_is_a_lower_bound_and_attained():
    t = np.linspace(-30, 8, 20001)
    for f in ["exp", "cosh", "sinh"]:
        for bb in [-5.0, 0.0, 1.0, 4.0, 9.0, 100.0]:
            vals = K.phi(t, np.full_like(t, bb), f)
            inf = K.phi_infimum(np.array([bb]), f)[0]
            assert vals.min() >= inf - 1e-9 * (1 + bb * bb)
            assert vals.min() <= inf + 1e-3 * (1 + bb * bb)


# ---------------------------------------------------------------------------------------------------------------
# softmax regression
# ---------------------------------------------------------------------------------------------------------------


def _simplex(rng, n):
    v = rng.random(n)
    return v / v.sum()


@pytest.mark.parametrize("objective", ["half_squared", "squared", "norm"])
@pytest.mark.parametrize("case", ["well", "ones", "dup", "bigb"])
def test_softmax_matches_reference(objective, case):
    rng, A = _instance(11 + len(case), 6, 3, scale=2.0)
    b = _simplex(rng, 6)
    w = rng.standard_normal(6)
    x = rng.standard_normal(3)
    if case == "ones":
        A[:, 1] = 1.0
        w = None
    elif case == "dup":
        A[3] = A[1]
    elif case == "bigb":
        b = rng.standard_normal(6) * 1e3
    mpm = _mpm()
    assert _rel(K.softmax_loss(A, b, w, x, objective), R.softmax_loss(mpm, A, b, w, x, objective)) < TOL
    assert _rel(K.softmax_grad(A, b, w, x, objective), R.softmax_grad(mpm, A, b, w, x, objective)) < TOL
    href = R.softmax_hessian(mpm, A, b, w, x, objective)
    for form in ["jgamma", "expanded"]:
        assert _rel(K.softmax_hessian(A, b, w, x, objective, form), href) < TOL


@pytest.mark.parametrize("gap", [20.0, 200.0, 700.0])
def test_softmax_saturated_jgamma_is_accurate(gap):
    """SAT: one logit ahead by `gap` (probabilities down to e^-700). The J^2 + Gamma form (centred) keeps full
    relative accuracy of the tiny gradient and Hessian; the reference needs dps ~ 2 gap / ln 10."""
    rng = np.random.default_rng(int(gap))
    n, d = 5, 2
    A = rng.standard_normal((n, d)) * 0.1
    A[0] = [1.0, 0.0]
    x = np.array([gap, 0.0])
    b = _simplex(rng, n)
    mpm = _mpm(40 + int(2.2 * gap / math.log(10)))
    assert _rel(K.softmax_grad(A, b, None, x, "half_squared"), R.softmax_grad(mpm, A, b, None, x, "half_squared")) < TOL
    href = R.softmax_hessian(mpm, A, b, None, x, "half_squared")
    assert _rel(K.softmax_hessian(A, b, None, x, "half_squared", "jgamma"), href) < TOL
    u = A @ x
    f = np.exp(u - u.max())
    f /= f.sum()
    # B at the exact softmax(u) (mpmath) vs B at the float64 softmax(u): the kernel's 1 - f_k sums keep the
    # tiny entries accurate (a float f does not sum exactly to 1, so the same float f in both is not a fair test)
    m = _mpm(40 + int(2.2 * gap / math.log(10)))
    e = [m.exp(m.mpf(float(t))) for t in u]
    fm = np.array([v / m.fsum(e) for v in e] + [None], dtype=object)[:-1]
    assert _rel(K.softmax_B(f, b, "jgamma"), R.softmax_B(m, fm, b, "jgamma")) < TOL


@pytest.mark.parametrize("form", ["jgamma", "expanded"])
def test_softmax_B_forms_match_reference_and_each_other(form):
    rng = np.random.default_rng(3)
    for _ in range(5):
        n = int(rng.integers(1, 8))
        f = _simplex(rng, n)
        b = rng.standard_normal(n)
        mpm = _mpm()
        assert _rel(K.softmax_B(f, b, form), R.softmax_B(mpm, f, b, form)) < TOL
        assert _rel(to_float(R.softmax_B(mpm, f, b, "jgamma")), R.softmax_B(mpm, f, b, "expanded")) < 1e-40
        assert np.max(np.abs(K.softmax_B(f, b, form) @ np.ones(n))) < 1e-14 * (1 + np.abs(b).max())


# ---------------------------------------------------------------------------------------------------------------
# rescaled regression
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("g", ["exp", "cosh", "sinh"])
@pytest.mark.parametrize("objective", ["half_squared", "squared", "norm"])
@pytest.mark.parametrize("bsum", ["one", "zero", "other"])
def test_rescaled_matches_reference(g, objective, bsum):
    rng, A = _instance(len(g) * 7 + len(bsum), 5, 3, scale=1.5)
    b = rng.random(5)
    b = b / b.sum() if bsum == "one" else (b - b.mean() if bsum == "zero" else 3 * b)
    w = rng.standard_normal(5)
    x = rng.standard_normal(3)
    mpm = _mpm()
    assert _rel(K.rescaled_loss(A, b, w, x, g, objective), R.rescaled_loss(mpm, A, b, w, x, g, objective)) < TOL
    assert _rel(K.rescaled_grad(A, b, w, x, g, objective), R.rescaled_grad(mpm, A, b, w, x, g, objective)) < TOL
    assert _rel(K.rescaled_hessian(A, b, w, x, g, objective),
                R.rescaled_hessian(mpm, A, b, w, x, g, objective)) < TOL
    assert _rel(K.rescaled_B(A, b, x, g), R.rescaled_B(mpm, A, b, x, g)) < TOL
    if g == "exp":
        assert _rel(K.rescaled_B(A, b, x, g, "expanded"), R.rescaled_B(mpm, A, b, x, g, "expanded")) < TOL
        assert _rel(K.rescaled_hessian(A, b, w, x, g, objective, "expanded"),
                    R.rescaled_hessian(mpm, A, b, w, x, g, objective)) < TOL


def test_rescaled_bignorm():
    rng, A = _instance(5, 4, 2)
    x = rng.standard_normal(2)
    x *= 150.0 / np.abs(A @ x).max()
    b = rng.random(4)
    b /= b.sum()
    mpm = _mpm(50 + int(2 * 150 / math.log(10)))
    for g in ["exp", "cosh", "sinh"]:
        assert _rel(K.rescaled_hessian(A, b, None, x, g, "half_squared"),
                    R.rescaled_hessian(mpm, A, b, None, x, g, "half_squared")) < TOL


# ---------------------------------------------------------------------------------------------------------------
# validation
# ---------------------------------------------------------------------------------------------------------------


def test_validation_messages():
    A = np.ones((3, 2))
    b = np.zeros(3)
    x = np.zeros(2)
    with pytest.raises(InvalidArgument, match=r"exp_loss: bad A=.*2-D"):
        K.exp_loss(np.ones(3), b, None, x)
    with pytest.raises(InvalidArgument, match=r"exp_grad: bad b=.*length 3"):
        K.exp_grad(A, np.zeros(4), None, x)
    with pytest.raises(InvalidArgument, match=r"bad x=.*length 2"):
        K.softmax_grad(A, b, None, np.zeros(3))
    with pytest.raises(InvalidArgument, match=r"bad f='tanh'.*exp"):
        K.exp_hessian(A, b, None, x, "tanh")
    with pytest.raises(InvalidArgument, match=r"bad objective='l1'"):
        K.softmax_loss(A, b, None, x, objective="l1")
    with pytest.raises(InvalidArgument, match=r"non-finite"):
        K.rescaled_loss(A, np.array([0.0, np.nan, 1.0]), None, x)
    with pytest.raises(InvalidArgument, match=r"expanded.*g='exp' only"):
        K.rescaled_B(A, b, x, "cosh", "expanded")
    with pytest.raises(InvalidArgument, match=r"bad form='x'"):
        K.softmax_B(np.ones(3) / 3, b, "x")
    with pytest.raises(InvalidArgument, match=r"not differentiable at zero residual"):
        K.exp_grad(A, np.ones(3), None, x, "exp", "norm")  # e^0 - 1 = 0: zero residual
    with pytest.raises(InvalidArgument, match=r"object array"):
        K.exp_loss(A.astype(object), b, None, x)

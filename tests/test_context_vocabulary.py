"""The elementwise vocabulary and constants on fp, mp and ball, each checked against an independent reference:
mpmath at twice the precision (its own context, not the one under test), numpy for fp, enclosure of the
reference for ball (issue 10, item 7; issue 18, context vocabulary)."""

import math

import mpmath
import numpy as np
import pytest

from certify.context import ball, fp, mp

M = mp(40)
B = ball(160)
REF = mpmath.MPContext()
REF.dps = 100

# name -> (reference function on REF at 100 digits, numpy twin, sample points inside the domain)
UNARY = {
    "exp": (REF.exp, np.exp, [-3.5, 0.0, 1e-8, 2.25]),
    "log": (REF.log, np.log, [1e-5, 0.5, 1.0, 7.0]),
    "sqrt": (REF.sqrt, np.sqrt, [0.0, 1e-9, 2.0, 50.0]),
    "expm1": (REF.expm1, np.expm1, [-1.0, -1e-12, 1e-10, 0.75]),
    "log1p": (REF.log1p, np.log1p, [-0.5, 1e-13, 0.25, 9.0]),
    "cos": (REF.cos, np.cos, [-2.0, 0.0, 0.3, 10.0]),
    "sin": (REF.sin, np.sin, [-2.0, 1e-9, 0.3, 10.0]),
    "tan": (REF.tan, np.tan, [-1.2, 0.0, 0.3, 1.5]),
    "arctan": (REF.atan, np.arctan, [-30.0, -0.5, 1e-7, 4.0]),
    "cosh": (REF.cosh, np.cosh, [-3.0, 0.0, 0.5, 6.0]),
    "sinh": (REF.sinh, np.sinh, [-3.0, 1e-9, 0.5, 6.0]),
    "tanh": (REF.tanh, np.tanh, [-3.0, 1e-9, 0.5, 6.0]),
    "erf": (REF.erf, None, [-2.0, 1e-6, 0.5, 3.0]),
    "sign": (REF.sign, np.sign, [-2.5, 0.0, 3e-300, 4.0]),
    "abs": (abs, np.abs, [-2.5, -0.0, 1e-300, 4.0]),
}
BINARY = {
    "arctan2": (REF.atan2, np.arctan2),
    "minimum": (lambda a, b: min(a, b), np.minimum),
    "maximum": (lambda a, b: max(a, b), np.maximum),
}


def _close(got, want, dps):
    tol = REF.mpf(10) ** (2 - dps) * max(1, abs(want))
    return abs(REF.mpf(got) - want) <= tol


def _erf_reference_numpy(x):
    return np.array([math.erf(v) for v in np.ravel(x)]).reshape(np.shape(x))


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_against_high_precision_reference(name):
    ref, twin, pts = UNARY[name]
    x = np.array(pts)
    want = [ref(REF.mpf(v)) for v in pts]
    # mp, on a scalar and on an array (and a list), agrees with the reference to its working precision
    f = getattr(M, name)
    scalar = f(pts[2])
    assert isinstance(scalar, M.mpm.mpf) and _close(scalar, want[2], M.dps)
    arr = f(M.asarray(x))
    assert isinstance(arr, np.ndarray) and arr.dtype == object and arr.shape == x.shape
    assert all(_close(g, w, M.dps) for g, w in zip(arr, want, strict=True))
    assert all(a == b for a, b in zip(f(list(pts)), arr, strict=True))
    # fp is numpy's function, and close to the reference
    got = getattr(fp, name)(x)
    np.testing.assert_array_equal(got, (twin or _erf_reference_numpy)(x))
    np.testing.assert_allclose(got, [float(w) for w in want], rtol=4e-16, atol=0)
    # ball encloses the reference and is tight
    with B.precision():
        enc = getattr(B, name)(B.asarray(x))
        for e, w in zip(enc, want, strict=True):
            assert e.overlaps(B.flint.arb(REF.nstr(w, 90))), (name, e, w)
            assert float(e.rad()) <= 1e-40 * max(1.0, float(abs(w)))


def test_vocabulary_keeps_2d_shape_and_empty_arrays():
    x = np.array([[0.5, 1.5], [2.0, 3.0]])
    for name in UNARY:
        out = getattr(M, name)(M.asarray(x))
        assert out.shape == (2, 2)
        empty = getattr(M, name)(M.asarray(np.zeros((0, 3))))
        assert empty.shape == (0, 3) and empty.dtype == object


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_broadcast_like_numpy(name):
    ref, twin = BINARY[name]
    a = np.array([[-1.5], [0.25], [2.0]])  # (3, 1)
    b = np.array([-0.75, 0.5, 3.0, 1e-9])  # (4,)
    want_fp = twin(a, b)
    np.testing.assert_array_equal(getattr(fp, name)(a, b), want_fp)
    out = getattr(M, name)(M.asarray(a), b)
    assert out.shape == want_fp.shape == (3, 4)
    for i in range(3):
        for j in range(4):
            assert _close(out[i, j], ref(REF.mpf(a[i, 0]), REF.mpf(b[j])), M.dps)
    assert isinstance(getattr(M, name)(0.5, 2.0), M.mpm.mpf)  # scalars in, scalar out
    with B.precision():
        enc = getattr(B, name)(B.asarray(a), b)
        assert enc.shape == (3, 4)
        for i in range(3):
            for j in range(4):
                w = ref(REF.mpf(a[i, 0]), REF.mpf(b[j]))
                assert enc[i, j].overlaps(B.flint.arb(REF.nstr(w, 90)))


def test_minimum_and_maximum_propagate_nan_like_numpy():
    assert np.isnan(fp.minimum(np.nan, 1.0))
    assert M.mpm.isnan(M.minimum(M.nan, 1)) and M.mpm.isnan(M.maximum(2, M.nan))
    assert M.mpm.isnan(M.sign(M.nan))


def test_where_selects_and_broadcasts():
    cond = np.array([True, False, True])
    out = M.where(cond, M.asarray([1.0, 2.0, 3.0]), 0.5)
    assert list(out) == [1, M.mpm.mpf(0.5), 3] and all(isinstance(v, M.mpm.mpf) for v in out)
    np.testing.assert_array_equal(fp.where(cond, [1.0, 2.0, 3.0], 0.5), [1.0, 0.5, 3.0])
    # a condition computed on context numbers (an object array of bools) works, and scalars give a scalar
    x = M.asarray([-1.0, 2.0])
    assert list(M.where(x > 0, x, M.num(0))) == [0, 2]
    assert M.where(True, M.num(1) / 3, 0.0) == M.num(1) / 3
    with B.precision():
        y = B.where(np.array([[True], [False]]), B.asarray([1.0, 2.0]), 7)
        assert y.shape == (2, 2) and y[1, 0] == 7 and y[0, 1] == 2


def test_constants_against_references():
    assert fp.pi == math.pi and fp.e == math.e and fp.inf == math.inf and math.isnan(fp.nan)
    assert _close(M.pi, REF.pi, M.dps) and _close(M.e, REF.e, M.dps)
    assert isinstance(M.pi, M.mpm.mpf) and M.inf == REF.inf and M.mpm.isnan(M.nan)
    assert B.pi.overlaps(B.flint.arb(REF.nstr(REF.pi, 90))) and float(B.pi.rad()) < 1e-45
    assert B.e.overlaps(B.flint.arb(REF.nstr(REF.e, 90)))
    assert float(B.inf) == math.inf and B.nan.is_nan()


def test_eps_and_unit_roundoff_keep_the_values_the_theorem_modules_use():
    from theorems._common import unit_roundoff

    assert fp.eps == 2.0**-52 == np.finfo(float).eps == unit_roundoff(fp)
    assert fp.unit_roundoff == 2.0**-53 == fp.eps / 2  # song2023_kernel_regression's float64 value
    for dps in (30, 50):
        m = mp(dps)
        assert m.eps == unit_roundoff(m) == m.mpm.mpf(10) ** (-dps)  # bit for bit
        assert m.unit_roundoff == m.eps == m.num(10) ** (-m.dps)
        assert isinstance(m.eps, m.mpm.mpf)
    b = ball(128)
    assert b.eps.is_exact() and b.eps == b.flint.arb(2) ** -64 * b.flint.arb(2) ** -64
    assert b.unit_roundoff == b.eps


def test_norm_accepts_each_contexts_inf():
    x = np.array([3.0, -4.0])
    assert fp.norm(x, fp.inf) == 4.0
    assert M.norm(M.asarray(x), M.inf) == 4
    with B.precision():
        assert B.norm(B.asarray(x), B.inf) == 4


def test_array_builds_a_new_exact_array():
    third = M.num(1) / 3
    out = M.array([[third, 1], [0.5, third]])
    assert out.dtype == object and out.shape == (2, 2) and out[1, 1] == third
    src = M.asarray([1.0])
    assert M.array(src) is not src
    f = fp.array([[1, 2], [3, 4]])
    assert f.dtype == float and f.shape == (2, 2)
    with B.precision():
        t = B.flint.arb(1) / 3
        assert B.array([t, 2.0])[0] is t


def test_to_float_on_every_context():
    assert fp.to_float(np.float64(0.5)) == 0.5
    assert M.to_float(M.num(1) / 4) == 0.25
    np.testing.assert_array_equal(M.to_float(M.asarray([0.5, 2.0])), [0.5, 2.0])
    with B.precision():
        np.testing.assert_array_equal(B.to_float(B.asarray([0.5, 2.0])), [0.5, 2.0])


def test_magnitude_tracks_inputs_and_results():
    m = mp(30)
    m.reset_magnitude()
    assert m.magnitude == 0
    x = m.asarray([1.0, -3.0])
    assert m.magnitude == 3
    m.exp(x * 2)  # e^2 > 3
    assert m.magnitude == m.mpm.exp(2)
    m.dot(x, x)
    assert m.magnitude == 10
    m.log(m.asarray([0.0]))  # -inf is ignored
    assert m.magnitude == 10
    a = m.asarray([[4.0, 1.0], [1.0, 3.0]])
    m.inv(a)
    m.eigvalsh(a)
    assert m.magnitude == 10
    m.reset_magnitude()
    m.solve(a, m.asarray([100.0, 0.0]))
    assert m.magnitude > 100 * m.mpm.mpf(3) / 11 - 1  # the solution's largest entry, 300/11
    for order in ([np.nan, 2.0, np.inf, -1.5], [0.5, np.nan, -2.0], [-np.inf, 2.0]):
        m.reset_magnitude()
        m.asarray(order)
        assert m.magnitude == 2, order  # non-finite values are ignored wherever they sit
    m.reset_magnitude()
    m.dot(np.array([3, 4]), np.array([3, 4]))  # integer results count too, as mpf
    assert m.magnitude == 25 and isinstance(m.magnitude, m.mpm.mpf)
    m.reset_magnitude(track=False)
    m.asarray([1e300])
    assert m.magnitude is None
    b = ball(100)
    b.reset_magnitude()
    with b.precision():
        b.exp(b.asarray([1.0, 2.0]))
        assert b.magnitude.is_exact() and b.magnitude >= b.flint.arb(2).exp()
    b.reset_magnitude(track=False)
    assert fp.magnitude is None and not hasattr(fp, "reset_magnitude")


def test_vocabulary_does_not_touch_global_mpmath_precision():
    before = mpmath.mp.dps
    mp(90).sin(mp(90).asarray([0.5]))
    assert mpmath.mp.dps == before

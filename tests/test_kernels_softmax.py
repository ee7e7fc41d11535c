"""certify.kernels.softmax vs the independent mpmath twin certify.reference.softmax (1e-10 relative)."""

import mpmath
import numpy as np
import pytest

from certify.errors import InvalidArgument
from certify.kernels import softmax as K
from certify.reference import softmax as R
from certify.reference._mparray import to_float

TOL = 1e-10


def _ctx(u):
    """Precision policy (README section 9): dps >= 30 + 2 R / ln 10 for a logit range R."""
    m = mpmath.MPContext()
    m.dps = 30 + int(np.ceil((np.max(u) - np.min(u)) / np.log(10)))
    return m


def _rel(a, b, floor=0.0):
    b = to_float(b) if isinstance(b, np.ndarray) and b.dtype == object else np.asarray(b, dtype=float)
    scale = max(float(np.max(np.abs(b))) if np.size(b) else 0.0, floor)
    err = float(np.max(np.abs(np.asarray(a) - b))) if np.size(b) else 0.0
    return err / scale if scale > 0 else err


def _cases():
    rng = np.random.default_rng(7)
    u_sat = rng.normal(size=6)
    u_sat[2] = u_sat.max() + 700.0
    u_tie = rng.normal(size=5)
    u_tie[1] = u_tie[3] = u_tie.max() + 30.0
    u_big = rng.normal(size=7)
    u_big *= 700.0 / np.abs(u_big).max()
    return {
        "well": rng.normal(size=8),
        "tiny1": np.array([3.0]),
        "tiny2": np.array([-1.0, 2.5]),
        "tiny2_equal": np.array([4.0, 4.0]),
        "sat700": u_sat,
        "sat20": np.array([20.0, 0.0, -0.5, 0.3]),
        "tie": u_tie,
        "bignorm": u_big,
        "n16": rng.normal(size=16) * 4,
    }


CASES = _cases()


@pytest.mark.parametrize("name", list(CASES))
def test_softmax_and_logsumexp(name):
    u = CASES[name]
    mpm = _ctx(u)
    f = K.softmax(u)
    assert np.all(f >= 0) and abs(f.sum() - 1) < 1e-14
    assert _rel(f, R.softmax(mpm, u)) < TOL
    assert abs(K.logsumexp(u) - float(R.logsumexp(mpm, u))) <= TOL * max(1.0, abs(float(R.logsumexp(mpm, u))))
    Z = np.vstack([u, u[::-1]])
    assert _rel(K.softmax_rows(Z), R.softmax_rows(mpm, Z)) < TOL


@pytest.mark.parametrize("name", list(CASES))
def test_jacobian(name):
    u = CASES[name]
    mpm = _ctx(u)
    f_mp = R.softmax(mpm, u)
    f = K.softmax(u)
    Jr = R.jacobian(mpm, f_mp)
    J = K.jacobian(f)
    assert _rel(J, Jr, floor=1e-300) < TOL or np.max(np.abs(J - to_float(Jr))) < 1e-300
    assert np.allclose(J, J.T, rtol=0, atol=0)
    assert np.max(np.abs(J.sum(axis=1))) <= 1e-15
    assert np.linalg.norm(J, 2) <= 0.5 + 1e-15
    rng = np.random.default_rng(1)
    for v in (rng.normal(size=u.size), 1e6 + 1e-3 * rng.normal(size=u.size)):
        Jv = K.jacobian_apply(f, v)
        Jv_r = R.jacobian_apply(mpm, f_mp, v)
        # Jv is shift invariant: its scale is that of f o (v - <f,v>), not of v
        scale = np.max(np.abs(to_float(Jv_r))) + 1e-14 * np.max(np.abs(v)) * np.max(f)
        assert np.max(np.abs(Jv - to_float(Jv_r))) <= TOL * scale


def test_jacobian_diagonal_uses_sum_of_others():
    # f_k = 1 - 1e-17: 1 - f_k would round to 0 in float64, sum_{j != k} f_j does not
    f = np.array([1.0, 1e-17, 2e-20])
    J = K.jacobian(f)
    assert J[0, 0] == pytest.approx(1.0 * (1e-17 + 2e-20), rel=1e-14)


@pytest.mark.parametrize("name", ["well", "tiny1", "tiny2", "tiny2_equal", "sat20", "tie", "bignorm"])
@pytest.mark.parametrize("vkind", ["gauss", "const_noise", "big"])
def test_curvature(name, vkind):
    u = CASES[name]
    mpm = mpmath.MPContext()
    mpm.dps = 50  # normwise comparison against the natural scale: moderate precision suffices
    rng = np.random.default_rng(3)
    v = {"gauss": rng.normal(size=u.size), "const_noise": 1e6 + 1e-3 * rng.normal(size=u.size),
         "big": rng.uniform(-1e6, 1e6, size=u.size)}[vkind]
    f = K.softmax(u)
    G = K.curvature(f, v)
    Gr = to_float(R.curvature(mpm, R.softmax(mpm, u), v))
    # Normwise relative error against the operator's natural scale ||f||_inf ||v - <f, v>||_inf (Gamma is
    # shift invariant in v); at exact ties Gamma itself cancels to ~1e-14 of that scale.
    scale = max(np.max(np.abs(Gr)), np.max(f) * np.max(np.abs(v - f @ v)), 1e-300)
    assert np.max(np.abs(G - Gr)) <= TOL * scale, (np.max(np.abs(G - Gr)), scale)
    assert np.max(np.abs(G - G.T)) == 0.0
    assert np.max(np.abs(G.sum(axis=1))) <= 1e-13 * scale + 1e-300 or u.size == 1
    assert np.linalg.norm(G, 2) <= 6 * np.max(np.abs(v)) + 1e-300


def test_curvature_shift_invariance_exact_for_constant():
    f = K.softmax(np.array([0.3, -1.0, 2.0, 0.0]))
    v = np.array([1.0, -2.0, 0.5, 3.0])
    assert np.allclose(K.curvature(f, v + 1e6), K.curvature(f, v), rtol=0, atol=1e-9)
    assert np.max(np.abs(K.curvature(f, np.full(4, 7.0)))) < 1e-15


def test_curvature_is_linear_in_v():
    rng = np.random.default_rng(0)
    f = K.softmax(rng.normal(size=6))
    v1, v2 = rng.normal(size=6), rng.normal(size=6)
    assert np.allclose(K.curvature(f, 2 * v1 - 3 * v2), 2 * K.curvature(f, v1) - 3 * K.curvature(f, v2),
                       rtol=0, atol=1e-13)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: K.softmax(np.zeros((2, 2))), r"kernels\.softmax\.softmax: bad u=.*1-D"),
        (lambda: K.softmax(np.array([])), r"bad u=.*non-empty"),
        (lambda: K.softmax(np.array([1.0, np.nan])), r"bad u=.*finite"),
        (lambda: K.softmax(np.array([1.0, np.inf])), r"bad u=.*finite"),
        (lambda: K.softmax(np.array([1 + 2j])), r"bad u=.*real"),
        (lambda: K.softmax_rows(np.zeros(3)), r"softmax_rows: bad Z=.*2-D"),
        (lambda: K.logsumexp("abc"), r"logsumexp: bad u"),
        (lambda: K.jacobian_apply(np.ones(3) / 3, np.ones(4)), r"jacobian_apply: bad v=.*length 3"),
        (lambda: K.curvature(np.ones(3) / 3, np.ones(2)), r"curvature: bad v=.*length 3"),
        (lambda: K.softmax(np.array([1.0], dtype=object)), r"bad u=.*object array"),
    ],
)
def test_validation_messages(call, match):
    with pytest.raises(InvalidArgument, match=match):
        call()
    with pytest.raises(ValueError):
        call()


def test_integer_input_accepted():
    assert np.allclose(K.softmax(np.array([1, 2, 3])), K.softmax(np.array([1.0, 2.0, 3.0])))

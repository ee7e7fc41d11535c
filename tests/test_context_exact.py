"""Conversion into the reference contexts never rounds: context numbers stay exact at any nesting of lists,
tuples and object arrays, mixed with floats and ints (issue 10, item 1)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import certify
from certify.context import ball, fp, mp
from certify.reference._mparray import to_mp

M = mp(50)
B = ball(200)


def _ball_third(p, q):
    with B.precision():
        return B.flint.arb(p) / q  # a genuine ball (radius > 0)


def _leaf(ctx):
    ratio = st.tuples(st.integers(-50, 50), st.integers(1, 50).filter(lambda q: q not in (1, 2, 4, 8, 16, 32)))
    own = ratio.map(lambda pq: M.num(pq[0]) / pq[1]) if ctx is M else ratio.map(lambda pq: _ball_third(*pq))
    other = ratio.map(lambda pq: mp(120).num(pq[0]) / pq[1])  # a number of another mp context
    return st.one_of(own, st.floats(allow_nan=False, allow_infinity=False), st.integers(-10**9, 10**9), other)


@st.composite
def nests(draw, ctx):
    """A rectangular nest of leaves: each level a list, a tuple or an object array."""
    shape = draw(st.lists(st.integers(1, 3), min_size=1, max_size=3))
    flat = draw(st.lists(_leaf(ctx), min_size=int(np.prod(shape)), max_size=int(np.prod(shape))))

    def build(items, dims):
        if not dims:
            return items[0]
        step = len(items) // dims[0]
        parts = [build(items[k * step:(k + 1) * step], dims[1:]) for k in range(dims[0])]
        kind = draw(st.sampled_from(["list", "tuple", "array"]))
        if kind == "list":
            return parts
        if kind == "tuple":
            return tuple(parts)
        return np.array(parts, dtype=object)

    return shape, flat, build(flat, shape)


def _exact_in_mp(leaf):
    """The value a leaf must have in mp(50), computed without the code under test."""
    if isinstance(leaf, M.mpm.mpf):
        return leaf
    return M.mpm.mpf(leaf)  # ints and floats exactly; another precision's mpf rounded once, as arithmetic would


@settings(max_examples=60, deadline=None)
@given(nests(M))
def test_mp_asarray_keeps_every_leaf_exact(case):
    shape, flat, nest = case
    out = M.asarray(nest)
    assert out.shape == tuple(shape) and out.dtype == object
    for got, leaf in zip(out.reshape(-1), flat, strict=True):
        assert isinstance(got, M.mpm.mpf)
        want = _exact_in_mp(leaf)
        assert got == want, (got, leaf)
        if isinstance(leaf, M.mpm.mpf):
            assert got is leaf
    assert M.asarray(out) is out  # idempotent
    again = M.array(nest)
    assert again is not out and all(a == b for a, b in zip(again.reshape(-1), out.reshape(-1), strict=True))
    np.testing.assert_array_equal(to_mp(M.mpm, nest) == out, True)


@settings(max_examples=60, deadline=None)
@given(nests(B))
def test_ball_asarray_keeps_every_leaf_exact(case):
    shape, flat, nest = case
    with B.precision():
        out = B.asarray(nest)
    assert out.shape == tuple(shape)
    arb = B.flint.arb
    for got, leaf in zip(out.reshape(-1), flat, strict=True):
        assert isinstance(got, arb)
        if isinstance(leaf, arb):
            assert got is leaf
        elif isinstance(leaf, (int, float)):
            assert got.is_exact() and got == arb(leaf)
        else:  # an mpf: the same binary number, radius 0
            assert got.is_exact()
            back = mp(120).mpm.mpf(got.mid().str(80, radius=False))
            assert abs(back - leaf) <= abs(leaf) * mp(120).mpm.mpf(10) ** -75
            man, exp = got.mid().man_exp()
            assert mp(120).mpm.ldexp(int(man), int(exp)) == leaf
    assert B.asarray(out) is out


@settings(max_examples=40, deadline=None)
@given(nests(M))
def test_convert_keeps_containers_and_exact_values(case):
    _shape, flat, nest = case
    inst = {"x": nest, "n": 3, "pair": (0.1, [M.num(1) / 3]), "idx": np.arange(3), "name": "a"}
    out = M.convert(inst)
    assert out["n"] == 3 and out["name"] == "a"
    assert out["idx"].dtype == object and [type(v) for v in out["idx"]] == [int] * 3  # Python ints: no wrap-around
    assert isinstance(out["pair"], tuple) and out["pair"][0] == M.mpm.mpf(0.1)
    assert out["pair"][1][0] == M.num(1) / 3
    conv = M.asarray(out["x"])
    assert all(a == _exact_in_mp(b) for a, b in zip(conv.reshape(-1), flat, strict=True))


def test_issue_example_no_longer_goes_through_float64():
    x = M.num(1) / 3
    assert M.asarray([x])[0] == x
    assert M.asarray([[x, 0.5], (1, x)])[1, 1] == x
    assert M.asarray(np.array([x, 2.0], dtype=object))[0] == x
    assert M.convert({"q": [[x]]})["q"][0][0] == x
    with B.precision():
        third = B.flint.arb(1) / 3
        assert B.asarray([third])[0] is third
        assert B.num(x).is_exact() and B.asarray([[x]])[0, 0].is_exact()
        assert B.asarray([x])[0] != B.flint.arb(float(x))  # not the float64 rounding of x


def test_object_arrays_of_floats_are_converted_not_passed_through():
    raw = np.array([0.5, 1], dtype=object)
    out = M.asarray(raw)
    assert out is not raw and all(isinstance(v, M.mpm.mpf) for v in out)


def test_ragged_nests_are_rejected_with_the_fix():
    with pytest.raises(certify.InvalidArgument, match="rectangular"):
        M.asarray([[1.0], [1.0, 2.0]])


def test_float_special_values_convert():
    out = M.asarray([np.inf, -np.inf, np.nan])
    assert out[0] == M.inf and out[1] == -M.inf and M.mpm.isnan(out[2])
    b = B.asarray([M.inf, M.nan, 0.0])
    assert not b[0].is_finite() and b[1].is_nan() and b[2] == 0


# -- the issue's end-to-end example: an exact rotation in Cayley form -----------------------------------------

@certify.claim(
    id="ctxtest.cayley_rotation", tag="DERIVED",
    inputs=dict(t=st.floats(-10, 10), v=st.lists(st.floats(-10, 10), min_size=2, max_size=2).map(np.array)),
)
def _cayley_rotation(ctx, t, v):
    """Q = [[c, -s], [s, c]] with c = (1 - t^2)/(1 + t^2), s = 2t/(1 + t^2) is a rotation: ||Qv|| <= ||v||."""
    c = (1 - t * t) / (1 + t * t)
    s = 2 * t / (1 + t * t)
    Q = ctx.asarray([[c, -s], [s, c]])
    return certify.le(ctx.norm(Q @ v, 2), ctx.norm(v, 2))


def test_exact_rotation_is_not_refuted_end_to_end():
    v = certify.check("ctxtest.cayley_rotation", profile="smoke", seed=0)
    assert v.status != "refuted", v.reason


def test_ball_does_not_prove_the_rotation_claim_false():
    from certify.claim import get_claim
    from certify.outcome import as_outcome

    claim = get_claim("ctxtest.cayley_rotation")
    rng = np.random.default_rng(1)
    for t in [0.5, 1e-3, 3.0, 0.7071, -2.25, 0.1, 7.0]:
        for v in rng.normal(size=(4, 2)):
            inst = {"t": t, "v": v}
            with B.precision():
                ball_margin = as_outcome(claim.call(B, B.convert(inst))).margin
            assert not bool(ball_margin < 0), (t, v, str(ball_margin))
            mp_margin = as_outcome(claim.call(M, M.convert(inst))).margin
            # at most the rounding of the mp arithmetic, never the float64 rounding of c and s
            assert mp_margin >= -10 * M.eps, (t, v, mp_margin)


def test_complex_numbers_convert_exactly():
    z = M.mpm.mpc(1, M.num(1) / 3)
    out = M.asarray([z, 0.5j])
    assert out[0] is z and out[1] == M.mpm.mpc(0, 0.5)
    with B.precision():
        w = B.asarray([z, 2.0])
        assert isinstance(w[0], B.flint.acb) and w[0].imag.is_exact() and w[1] == 2


def test_convert_walks_object_arrays_of_instance_values():
    ragged = np.empty(2, dtype=object)
    ragged[0], ragged[1] = np.ones((2, 2)), [0.25, M.num(1) / 3]
    out = M.convert({"blocks": ragged})["blocks"]
    assert out.shape == (2,) and out[0].dtype == object and out[0][1, 1] == 1
    assert out[1][1] == M.num(1) / 3 and out[1][0] == M.mpm.mpf(0.25)


_LEAVES = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True), st.integers(-5, 5), st.booleans(), st.none(),
    st.floats(-1e3, 1e3).map(np.float64), st.just(np.arange(3)),
    st.lists(st.floats(-1e3, 1e3), max_size=4).map(lambda v: np.asarray(v, dtype=np.float64)),
    st.lists(st.floats(-1e3, 1e3), max_size=4).map(lambda v: np.asarray(v, dtype=np.float32)),
)
_INSTANCES = st.recursive(_LEAVES, lambda kids: st.one_of(
    st.lists(kids, max_size=3), st.lists(kids, max_size=3).map(tuple),
    st.dictionaries(st.sampled_from("abc"), kids, max_size=3)), max_leaves=8)


def _same(x, y):
    if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
        return type(x) is type(y) and x.dtype == y.dtype and np.array_equal(x, y, equal_nan=True)
    if isinstance(x, (dict, list, tuple)):
        if type(x) is not type(y) or len(x) != len(y):
            return False
        if isinstance(x, dict):
            return x.keys() == y.keys() and all(_same(x[k], y[k]) for k in x)
        return all(_same(a, b) for a, b in zip(x, y, strict=True))
    return type(x) is type(y) and (x == y or (x != x and y != y))


def _generic_convert(value):
    from certify.context._base import Context

    return Context.convert(fp, value)


@pytest.mark.parametrize("value", [
    1.5, float("nan"), 3, True, None, np.float64(0.1), np.float32(0.1), np.int64(4), np.arange(3),
    np.array([0.1, 0.2]), np.array([0.1, 0.2], dtype=np.float32), [0.1, np.float64(0.2)], (1, 2.0),
    {"u": np.array([1.0]), "n": 3, "s": [np.float64(2.0), (0.5,)]},
], ids=repr)
def test_the_float64_fast_conversion_is_the_generic_one_on_each_kind_of_leaf(value):
    # fp.convert shortcuts the common leaves on the search's hot path; it must return what Context.convert does
    assert _same(fp.convert(value), _generic_convert(value))


@settings(max_examples=300)
@given(_INSTANCES)
def test_the_float64_fast_conversion_is_the_generic_one(value):
    assert _same(fp.convert(value), _generic_convert(value))


_NUMPY_UFUNCS = ["exp", "log", "sqrt", "expm1", "log1p", "log2", "log10", "exp2", "cbrt", "sin", "cos", "tan",
                 "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh", "arcsinh", "arctanh"]


@pytest.mark.parametrize("name", _NUMPY_UFUNCS)
def test_plain_numpy_ufuncs_run_in_the_reference_at_its_precision(name):
    # a body written with np.exp / np.log must be checkable in high precision: numpy calls the element's method
    import mpmath

    M = mp(60)
    x = 0.3  # inside every function's domain
    got = getattr(np, name)(M.asarray(np.array([x])))[0]
    ref = mpmath.MPContext()
    ref.dps = 60
    names = {"arcsin": "asin", "arccos": "acos", "arctan": "atan", "arcsinh": "asinh", "arctanh": "atanh"}
    if name == "log2":
        want = ref.log(ref.mpf(x), 2)
    elif name == "exp2":
        want = ref.power(2, ref.mpf(x))
    else:
        want = getattr(ref, names.get(name, name))(ref.mpf(x))
    assert abs(got - want) <= ref.mpf(10) ** -58 * max(1, abs(want))
    assert abs(got - getattr(np, name)(x)) > 0 or got == want  # not a float64 value in disguise


def test_teaching_numpy_leaves_global_mpmath_alone():
    import mpmath

    mp(50)
    assert mpmath.mpf(6).exp == 1  # the binary exponent of 6 = 3 * 2^1, mpmath's own attribute


def test_a_plain_numpy_false_claim_is_refuted_not_inconclusive():
    @certify.claim(id="ctxexact.geo_mean", inputs=dict(x=st.lists(st.floats(0.1, 10), min_size=4, max_size=4)))
    def geo_mean(ctx, x):
        x = np.asarray(x)
        return certify.le(np.exp(np.log(x).mean()), 0.999 * x.mean())

    v = certify.check("ctxexact.geo_mean", profile="smoke")
    assert v.status == "refuted", v.reason

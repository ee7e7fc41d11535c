import numpy as np
import pytest
from hypothesis import given

import certify
from certify import strategies as cst


@given(cst.vectors(n=(1, 40), bound=3.0))
def test_vectors_stay_in_their_box(x):
    assert cst.contains(cst.vectors(n=(1, 40), bound=3.0), x)
    assert np.all(np.abs(x) <= 3.0)


def test_vectors_reach_the_boundary():
    from hypothesis import find

    find(cst.vectors(n=(1, 4), bound=2.0), lambda x: np.max(np.abs(x)) == 2.0)


@given(cst.with_condition(rows=(3, 10), cols=(1, 3), cond=(1.0, 1e6)))
def test_prescribed_condition(a):
    s = np.linalg.svd(a, compute_uv=False)
    assert a.shape[0] >= a.shape[1]
    assert s[0] / s[-1] <= 1e6 * (1 + 1e-6)


def test_condition_reaches_its_maximum():
    from hypothesis import find

    find(cst.with_condition(rows=(3, 6), cols=(2, 3), cond=(1.0, 1e8)),
         lambda a: np.linalg.cond(a) > 0.5e8)


@given(cst.pd_matrices(n=(1, 6), cond=(1.0, 1e6)))
def test_pd(h):
    w = np.linalg.eigvalsh(h)
    assert w[0] > 0 and w[-1] / w[0] <= 1e6 * 1.0001


@given(cst.spectral_norm_ball(rows=(1, 5), cols=(1, 5), radius=2.0))
def test_spectral_ball(a):
    assert np.linalg.norm(a, 2) <= 2.0 * (1 + 1e-12)


@given(cst.gram_factors(n=(1, 5), d=(1, 20), entry_bound=0.05))
def test_gram_bound(x):
    assert np.max(np.abs(x @ x.T)) <= 0.05 * (1 + 1e-12)


@given(cst.near_duplicate_rows(rows=(2, 6), cols=(1, 4), distance=(1e-10, 1e-3)))
def test_near_duplicates(a):
    d = min(np.linalg.norm(a[i] - a[j]) for i in range(len(a)) for j in range(i))
    assert d <= 1e-3 * 1.0001


@pytest.mark.parametrize("call,match", [
    (lambda: cst.vectors(n=(5, 2)), "min <= max"),
    (lambda: cst.vectors(n=3, bound=-1.0), "positive"),
    (lambda: cst.with_singular_values(cond=(0.5, 2.0)), "cond"),
    (lambda: cst.matrices(shape=3), "shape"),
    (lambda: cst.sparse_matrices(density=(0.0, 0.5)), "density"),
])
def test_arguments_validated_eagerly(call, match):
    with pytest.raises(certify.InvalidArgument, match=match):
        call()


def test_refinable_floats_find_a_needle():
    import certify

    @certify.claim(id="strattest.needle", inputs=dict(x=cst.floats(-10.0, 10.0)))
    def needle(ctx, x):
        return certify.ge(ctx.abs(x - 3.14159), 1e-3)

    v = certify.check("strattest.needle", profile="ci")
    assert v.status == "refuted"
    assert abs(v.minimal.instance["x"] - 3.14159) < 1e-3


def test_floats_validate_eagerly():
    with pytest.raises(certify.InvalidArgument, match="hi >= lo"):
        cst.floats(2.0, 1.0)

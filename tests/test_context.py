import mpmath
import numpy as np
import pytest

import certify
from certify.context import fp, mp


@pytest.fixture
def a():
    rng = np.random.default_rng(0)
    return rng.normal(size=(5, 3))


def test_mp_never_touches_global_precision():
    before = mpmath.mp.dps
    m = mp(80)
    x = m.asarray(np.array([1.0, 2.0]))
    m.sqrt(x)
    assert mpmath.mp.dps == before
    assert m.mpm.dps == 80


def test_asarray_is_idempotent_and_exact():
    m = mp(40)
    x = np.array([0.1, 1e-300, 3.0])
    once = m.asarray(x)
    assert m.asarray(once) is once
    assert [float(v) for v in once] == list(x)


@pytest.mark.parametrize("op", ["svdvals", "norm2", "fro", "inf", "cond"])
def test_generic_ops_agree_between_contexts(a, op):
    m = mp(50)
    f = {"svdvals": lambda c, x: c.svdvals(x), "norm2": lambda c, x: c.norm(x, 2),
         "fro": lambda c, x: c.norm(x, "fro"), "inf": lambda c, x: c.norm(x, c.inf),
         "cond": lambda c, x: c.cond(x)}[op]
    lo = np.asarray(f(fp, a), dtype=float)
    hi = np.asarray(m.to_float(f(m, m.asarray(a))), dtype=float)
    np.testing.assert_allclose(lo, hi, rtol=1e-12)


def test_linear_algebra_agrees(a):
    m = mp(50)
    h = a.T @ a + np.eye(3)
    b = np.arange(3.0)
    np.testing.assert_allclose(m.to_float(m.solve(m.asarray(h), m.asarray(b))), np.linalg.solve(h, b), rtol=1e-12)
    np.testing.assert_allclose(m.to_float(m.eigvalsh(m.asarray(h))), np.linalg.eigvalsh(h), rtol=1e-12)
    l_mp = m.to_float(m.cholesky(m.asarray(h)))
    np.testing.assert_allclose(l_mp, np.linalg.cholesky(h), rtol=1e-12, atol=1e-14)
    x = m.to_float(m.lstsq(m.asarray(a), m.asarray(np.ones(5))))
    np.testing.assert_allclose(x, np.linalg.lstsq(a, np.ones(5), rcond=None)[0], rtol=1e-10)


def test_softmax_and_logsumexp_are_stable():
    u = np.array([1000.0, 0.0, -1000.0])
    for c in (fp, mp(30)):
        s = c.to_float(c.softmax(c.asarray(u)))
        assert np.isfinite(s).all() and abs(sum(s) - 1) < 1e-15
        assert abs(float(c.logsumexp(c.asarray(u))) - 1000.0) < 1e-12


def test_unknown_name_is_a_clear_error():
    from certify.context import ball

    for c in (fp, mp(30), ball(100)):
        with pytest.raises(certify.CertifyError, match=r"ctx has no operation 'cosine'.*close matches: .*\bcos\b") as exc:
            getattr(c, "cosine")  # noqa: B009
        assert isinstance(exc.value, AttributeError) and "Context API" in str(exc.value)
        assert not hasattr(c, "arctan3")
        assert getattr(c, "nope", None) is None
    # domain namespaces keep working where they exist
    assert callable(fp.attention.loss) and callable(mp(30).attention.loss)


def test_bad_dps_rejected():
    with pytest.raises(certify.InvalidArgument, match="dps"):
        mp(3)


def test_same_claim_body_runs_in_both_contexts():
    def body(ctx, u, v):
        return ctx.norm(ctx.softmax(u) - ctx.softmax(v), ctx.inf)

    u, v = np.array([0.3, -1.0, 2.0]), np.array([0.0, 0.5, 1.0])
    lo = body(fp, fp.asarray(u), fp.asarray(v))
    m = mp(50)
    hi = body(m, m.asarray(u), m.asarray(v))
    assert abs(lo - float(hi)) < 1e-15


def test_ball_context_encloses_the_mp_value():
    from certify.context import ball

    b = ball(200)
    m = mp(60)
    u = np.array([3.0, -1.0, 0.25, 700.0])
    with b.precision():
        s_ball = b.softmax(b.asarray(u))
        lse = b.logsumexp(b.asarray(u))
        nrm = b.norm(b.asarray(np.array([[1.0, 2.0], [3.0, 4.0]])), 2)
    s_mp = m.softmax(m.asarray(u))
    for enc, val in zip(s_ball, s_mp, strict=True):
        assert enc.contains(b.flint.arb(str(val)).mid()) or abs(float(enc.mid()) - float(val)) < 1e-55
        assert float(enc.rad()) < 1e-50
    assert abs(float(lse.mid()) - float(m.logsumexp(m.asarray(u)))) < 1e-40
    assert abs(float(nrm.mid()) - np.linalg.norm([[1.0, 2.0], [3.0, 4.0]], 2)) < 1e-14


def test_ball_has_no_domain_namespaces():
    from certify.context import ball

    with pytest.raises(AttributeError, match="no rigorous twin"):
        getattr(ball(100), "attention")  # noqa: B009


def test_refutation_is_proven_in_ball_arithmetic_when_possible():
    import known_truth  # noqa: F401

    v = certify.check("demo.false_sum_bound", profile="smoke")
    assert v.minimal.confirmation["rigorous"] is True
    assert "proven in ball arithmetic" in v.reason


def test_softmax_is_both_the_function_and_the_domain_topic():
    u = np.array([0.5, -1.0, 2.0])
    for c in (fp, mp(30)):
        f = c.softmax(c.asarray(u))
        j = c.softmax.jacobian(f)
        np.testing.assert_allclose(np.asarray(c.to_float(j), dtype=float),
                                   np.diag(c.to_float(f)) - np.outer(c.to_float(f), c.to_float(f)), atol=1e-15)


def test_mp_solve_with_several_right_hand_sides():
    m = mp(40)
    h = np.array([[4.0, 1.0], [1.0, 3.0]])
    b = np.array([[1.0, 0.0], [2.0, 1.0]])
    np.testing.assert_allclose(m.to_float(m.solve(m.asarray(h), m.asarray(b))), np.linalg.solve(h, b), rtol=1e-14)


def test_public_contexts_are_exported():
    assert certify.fp is fp
    assert certify.mp(50) is mp(50)
    assert certify.ball(128).prec == 128

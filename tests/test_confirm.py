import numpy as np
from hypothesis import strategies as st

import certify
from certify.confirm import classify


def test_equal_violations_at_both_precisions_are_confirmed():
    assert classify(-0.25, -0.25, 1.0, 50) == "confirmed"


def test_margin_shrinking_with_precision_is_an_equality_case():
    assert classify(-1e-50, -1e-100, 1.0, 50) == "equality"


def test_reference_saying_it_holds():
    assert classify(1e-3, 1e-3, 1.0, 50) == "holds"


def test_disagreeing_reference_is_unstable():
    assert classify(-0.5, -0.4, 1.0, 50) == "unstable"
    assert classify(-0.5, 0.4, 1.0, 50) == "unstable"
    assert classify(float("nan"), -1.0, 1.0, 50) == "unstable"


def test_scale_sets_the_floor():
    # a violation of 1e-40 on quantities of size 1e10 is below the dps-50 floor (1e10 * 1e-45 = 1e-35)
    assert classify(-1e-40, -1e-40, 1e10, 50) == "equality"
    assert classify(-1e-30, -1e-30, 1e10, 50) == "confirmed"


def test_margin_shrinking_by_many_digits_is_equality_even_above_the_scale_floor():
    # noise of an intermediate quantity of size 1 around a margin whose sides are tiny
    assert classify(-1e-361, 1e-722, 1e-311, 361) == "equality"


def test_precision_widens_with_the_exponent_range_of_the_instance():
    import numpy as np

    from certify.confirm import instance_dps

    assert instance_dps({"x": 3.0}, 50) == 50
    assert instance_dps({"x": 2.39e-107}, 50) == 157
    assert instance_dps({"a": np.array([1e12, 1e-3])}, 50) == 65
    assert instance_dps({"a": np.array([1e-300, 1.0])}, 50, cap=200) == 200


def test_precision_widens_for_floats_inside_lists_and_tuples():
    from certify.confirm import instance_dps

    assert instance_dps({"v": [1.0, 1e-120]}, 50) == 170
    assert instance_dps({"v": (1.0, [1e-120])}, 50) == 170
    assert instance_dps({"v": [3, 4]}, 50) == 50  # integers are sizes and counts, not magnitudes


@certify.claim(id="confirmtest.list_cancel", inputs=dict(v=st.lists(st.floats(0, 1), min_size=2, max_size=2)))
def list_cancel(ctx, v):
    a, b = v
    return certify.ge((a + b) - a, 2 * b)  # false whenever b > 0: the margin is exactly -b


def test_a_violation_below_the_base_precision_is_confirmed_for_a_plain_list_input():
    # A plain `st.lists(st.floats())` input used to get no widened precision: at 50 and 100 digits
    # (1 + 1e-120) - 1 is 0 both times, and the violation -1e-120 read as "zero to working precision".
    from certify.confirm import confirm

    r = confirm(certify.get_claim("confirmtest.list_cancel"), {"v": [1.0, 1e-120]})
    assert r.status == "confirmed", r.reason


@certify.claim(id="confirmtest.log_exp", inputs=dict(x=st.floats(-20, 20)))
def log_exp(ctx, x):
    return certify.ge(ctx.log(ctx.exp(x)), x)


def test_log_exp_on_tiny_arguments_is_never_refuted():
    from certify.confirm import confirm

    c = certify.get_claim("confirmtest.log_exp")
    for x in (2.39e-107, 1e-311, 1e-20):
        assert confirm(c, {"x": x}).status in ("equality", "holds")
    v = certify.check(c, profile="smoke")
    assert v.status == "survived"


def test_ball_arithmetic_overrules_mpmath_that_rounds_the_same_way_twice():
    from certify.confirm import confirm

    c = certify.get_claim("confirmtest.log_exp")
    r = confirm(c, {"x": 2.39e-107}, dps=50)  # forced: 50 and 100 digits both round exp(x) to 1
    assert r.status == "equality"
    assert "ball arithmetic" in r.reason


def test_precision_for_extreme_exponent_ranges_is_capped_not_overflowing():
    import numpy as np

    from certify.confirm import instance_dps

    assert instance_dps({"a": np.array([1.7e308, 5e-324])}, 50) == 50 + 632  # 308.2 + 323.3 decades


def test_complex_reference_margin_is_unstable_with_a_reason():
    @certify.claim(id="confirmtest.sqrt_negative", inputs=dict(x=st.floats(-2.0, -1.0)))
    def sqrt_negative(ctx, x):
        return certify.ge(ctx.sqrt(ctx.num(x)), 0.0)

    from certify.confirm import confirm

    r = confirm(certify.get_claim("confirmtest.sqrt_negative"), {"x": -1.5})
    assert r.status == "unstable" and "not a real number" in r.reason
    v = certify.check("confirmtest.sqrt_negative", profile="smoke")
    assert v.status == "inconclusive"


def test_floors_below_the_float64_range_still_work():
    import mpmath

    m = mpmath.MPContext()
    m.dps = 700
    # sides of size 1e-38, margins 1e-580 and 1e-684: zero at 341 digits (the float floor 1e-374 underflows)
    assert classify(m.mpf("-8.85e-580"), m.mpf("-3.99e-684"), m.mpf("1.18e-38"), 341) == "equality"


def test_a_third_precision_decides_a_margin_exactly_zero_at_dps():
    # lambda_min of the all-ones 4x4 matrix: 0 at dps 50, -4e-101 at 100, with both sides ~0
    assert classify(0.0, -4.29e-101, 4.29e-101, 50) == "unstable"
    assert classify(0.0, -4.29e-101, 4.29e-101, 50, m3=0.0) == "equality"
    assert classify(0.0, -4.29e-101, 4.29e-101, 50, m3=-3.3e-151) == "equality"
    # a margin that stays put at 3 dps is not rounding noise
    assert classify(0.0, -4.29e-101, 4.29e-101, 50, m3=-4.29e-101) == "unstable"
    assert classify(-0.5, 0.4, 1.0, 50, m3=0.4) == "unstable"


def test_the_size_of_the_computation_includes_the_inputs():
    from certify.confirm import input_magnitude

    assert input_magnitude({"A": np.array([[1.0, -7.5]]), "j": 10**9, "x": 2.0, "k": "gauss"}) == 7.5
    assert input_magnitude({"A": np.zeros((2, 2))}) == 0.0


def test_when_dps_lost_the_margin_the_next_two_precisions_decide():
    # li2023e.hessian_pd at the certify profile: -1.3e-28 at dps 53 (digits lost to cancellation), +1.9e-28 at
    # 106 and 159 -- a float artifact, once reported inconclusive ("dps and 2 dps disagree")
    from certify.confirm import classify

    assert classify(-1.27e-28, 1.94e-28, 4.0, 53, m3=1.94e-28) == "holds"
    assert classify(-1.41e-25, 2.03e-28, 4.0, 52, m3=2.03e-28) == "holds"
    assert classify(-1.41e-25, 2.03e-28, 4.0, 52, m3=2.5e-28) == "unstable"   # 3 dps does not settle it
    assert classify(-1.0e-28, -2.0e-20, 4.0, 53, m3=-2.0e-20) == "unstable"  # a refutation needs dps and 2 dps
    assert classify(-1.0e-28, 2.0e-20, 4.0, 53, m3=-2.0e-20) == "unstable"   # 2 dps and 3 dps disagree too


def test_a_float64_only_numpy_routine_in_the_body_is_named_with_its_fix():
    # plain numpy (np.linalg) on the reference's mpmath numbers cannot run: the reason points at the line and
    # at the ctx operation to use instead, rather than only repeating numpy's dtype message
    @certify.claim(id="confirmtest.np_eigvalsh", inputs=dict(x=st.floats(-1.0, 1.0)))
    def np_eigvalsh(ctx, x):
        A = ctx.asarray([[x, 0.0], [0.0, x]])
        return certify.ge(np.linalg.eigvalsh(A @ A).min(), 0.0)

    from certify.confirm import confirm

    r = confirm(certify.get_claim("confirmtest.np_eigvalsh"), {"x": 0.5})
    assert r.status == "unavailable"
    assert "np.linalg.eigvalsh(A @ A)" in r.reason and "test_confirm.py:" in r.reason
    assert "ctx.eigvalsh" in r.reason


def test_a_body_that_computes_in_float64_by_itself_is_never_refuted():
    # math.exp(x) turns the reference's number into a float: exp(x) - 1 >= x (true) fails in float64 for tiny
    # x, and the "reference" margins at dps and 2 dps were the same float64 value: confirmed, even "proven"
    import math

    @certify.claim(id="confirmtest.math_exp", inputs=dict(x=st.floats(-1e-3, 1e-3)))
    def math_exp(ctx, x):
        return certify.ge(math.exp(x) - 1, x)

    @certify.claim(id="confirmtest.float_cast", inputs=dict(x=st.floats(-1e-3, 1e-3)))
    def float_cast(ctx, x):
        y = float(x)
        return certify.ge(np.exp(y) - 1, y)

    from certify.confirm import confirm

    for cid, line in (("confirmtest.math_exp", "math.exp(x) - 1"), ("confirmtest.float_cast", "y = float(x)")):
        r = confirm(certify.get_claim(cid), {"x": 1e-20})
        assert r.status == "unavailable" and line in r.reason and "float64" in r.reason
        v = certify.check(cid, profile="smoke")
        assert v.status != "refuted", v.reason


def test_a_body_that_keeps_the_numbers_in_the_context_is_still_decided():
    @certify.claim(id="confirmtest.ctx_exp", inputs=dict(x=st.floats(-1e-3, 1e-3)))
    def ctx_exp(ctx, x):
        return certify.ge(ctx.exp(x) - 1, x)

    @certify.claim(id="confirmtest.ctx_exp_false", inputs=dict(x=st.floats(-1e-3, 1e-3)))
    def ctx_exp_false(ctx, x):
        return certify.ge(ctx.exp(x) - 1, x + x * x)

    from certify.confirm import confirm

    assert confirm(certify.get_claim("confirmtest.ctx_exp"), {"x": 1e-20}).status == "holds"
    assert confirm(certify.get_claim("confirmtest.ctx_exp_false"), {"x": 1e-4}).status == "confirmed"


def test_a_nan_margin_from_unbounded_floats_says_how_to_bound_them():
    @certify.claim(id="confirmtest.square_any_float", inputs=dict(x=st.floats()))
    def square_any_float(ctx, x):
        return certify.ge(x * x, 0)

    from certify.confirm import confirm

    r = confirm(certify.get_claim("confirmtest.square_any_float"), {"x": float("nan")})
    assert "non-finite inputs (x)" in r.reason and "allow_nan=False" in r.reason


def test_the_step_up_rule_compares_the_higher_margins_at_their_own_precision():
    # li2023e.hessian_pd was inconclusive at the certify profile: m1 = -1.3e-28 at dps 52 (the computation lost
    # ~24 digits), m2 = m3 = +1.9e-28 at 104 and 156 digits agreeing to 1e-80. The rule compared them after
    # rounding m2 to the global 53 bits (mpmath.mpf(m2)): a difference of 1e-44 instead of 1e-80 -> unstable
    import mpmath

    c2, c3 = mpmath.MPContext(), mpmath.MPContext()
    c2.dps, c3.dps = 104, 156
    m1 = mpmath.mpf("-1.270883852253971e-28")
    true = "1.944399497854359929345509366911234567890123456789012345678901234567890123456789e-28"
    m2 = c2.mpf(true) + c2.mpf("3e-81")
    m3 = c3.mpf(true)
    assert classify(m1, m2, 4.0, 52, m3=m3) == "holds"

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

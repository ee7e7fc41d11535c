import pytest
from hypothesis import strategies as st

import certify
from certify import strategies as cst
from certify.claim import get_claim, registry


def test_duplicate_id_names_both_modules():
    @certify.claim(id="apitest.dup", inputs=dict(x=st.just(1.0)))
    def first(x):
        return 1.0

    with pytest.raises(certify.DuplicateClaim, match="defined twice") as exc:
        @certify.claim(id="apitest.dup", inputs=dict(x=st.just(1.0)))
        def second(x):
            return 1.0

    assert "test_claim_api" in str(exc.value)


@pytest.mark.parametrize("kwargs,match", [
    (dict(id="Bad Id"), "bad id"),
    (dict(id="apitest.t", tag="GUESS"), "bad tag"),
    (dict(id="apitest.k", kind="fuzzy"), "bad kind"),
    (dict(id="apitest.e", expect="maybe"), "bad expect"),
    (dict(id="apitest.i", inputs=dict(x=3)), "not a Hypothesis strategy"),
    (dict(id="apitest.p", kind="probability", delta=2.0), "delta"),
    (dict(id="apitest.m", params=dict(C=1.0), mutants=[certify.scale("D", 2.0)]), "unknown param"),
])
def test_bad_arguments_are_explained(kwargs, match):
    with pytest.raises(certify.InvalidArgument, match=match):
        certify.claim(**kwargs)


def test_missing_function_argument():
    with pytest.raises(certify.InvalidArgument, match="lacks argument 'y'"):
        @certify.claim(id="apitest.missing", inputs=dict(y=st.just(1.0)))
        def f(x):
            return 1.0


def test_param_override_parses_like_the_default():
    @certify.claim(id="apitest.params", inputs=dict(x=cst.vectors(n=2)), params=dict(C=1.0, k=2, on=True))
    def f(x, C, k, on):
        return 1.0

    c = get_claim("apitest.params").with_params({"C": "0.25", "k": "5", "on": "false"})
    assert c.params == {"C": 0.25, "k": 5, "on": False}
    with pytest.raises(certify.InvalidArgument, match="unknown param 'Z'"):
        get_claim("apitest.params").with_params({"Z": "1"})
    with pytest.raises(certify.InvalidArgument, match="bad value 'abc'"):
        get_claim("apitest.params").with_params({"C": "abc"})


def test_unknown_id_suggests_a_close_one():
    assert "apitest.params" in registry()
    with pytest.raises(certify.UnknownClaim, match="did you mean apitest.params"):
        get_claim("apitest.param")


def test_import_is_light():
    import subprocess
    import sys

    code = ("import sys, certify; heavy = [m for m in ('numba', 'mpmath', 'hypothesis', 'scipy') "
            "if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"

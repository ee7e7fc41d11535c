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
    (dict(id="apitest.d", inputs=dict(data=st.data())), r"st.data\(\), whose draws happen inside the body"),
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


# ----------------------------------------------------------------------------- one way to call a claim
def test_evaluate_converts_passes_params_ctx_and_rng():
    import numpy as np

    seen = {}

    @certify.claim(id="apitest.evaluate_bound", kind="probability", delta=0.1,
                   inputs=dict(x=cst.vectors(n=2)), params=dict(C=2.0))
    def f(ctx, x, C, rng):
        seen.update(ctx=ctx, type=type(x[0]), C=C, draw=rng.uniform())
        return certify.le(ctx.norm(x, ctx.inf), C)

    c = get_claim("apitest.evaluate_bound")
    o = c.evaluate(certify.mp(30), {"x": np.array([1.0, -3.0])}, rng=np.random.default_rng(5))
    assert o.violated and float(o.margin) == -1.0
    assert seen["ctx"].name.startswith("mp") and "mpf" in seen["type"].__name__
    assert seen["draw"] == np.random.default_rng(5).uniform()
    o2 = c.evaluate(certify.fp, {"x": np.array([1.0, -3.0])}, rng=np.random.default_rng(5), params={"C": 4.0})
    assert o2.holds and seen["C"] == 4.0 and c.params["C"] == 2.0


def test_evaluate_with_another_function_passes_only_what_it_takes():
    import numpy as np

    @certify.claim(id="apitest.evaluate_fn", inputs=dict(x=cst.vectors(n=2)), params=dict(C=2.0))
    def f(ctx, x, C):
        return certify.le(ctx.norm(x, ctx.inf), C)

    c = get_claim("apitest.evaluate_fn")
    o = c.evaluate(certify.fp, {"x": np.array([1.0, 1.0])}, fn=lambda x: certify.le(float(np.sum(x)), 1.0))
    assert o.violated and o.margin == -1.0


def test_evaluate_a_scaling_claim_returns_the_measurement():
    import numpy as np

    @certify.claim(id="apitest.evaluate_scaling", kind="scaling", sweep={"n": [1, 2, 4]}, params=dict(k=3.0))
    def f(rng, n, k):
        return k * n + rng.uniform() * 0

    c = get_claim("apitest.evaluate_scaling")
    assert c.evaluate(None, {"n": 4}, rng=np.random.default_rng(0)) == 12.0


def test_no_mutant_reason_is_recorded_and_validated():
    @certify.claim(id="apitest.no_mutant", inputs=dict(x=st.just(1.0)), no_mutant_reason="an identity")
    def f(x):
        return certify.le(x, 1.0)

    assert get_claim("apitest.no_mutant").no_mutant_reason == "an identity"
    with pytest.raises(certify.InvalidArgument, match="no_mutant_reason"):
        certify.claim(id="apitest.no_mutant_bad", no_mutant_reason=3)


def test_an_argument_certify_never_passes_is_refused_when_the_claim_is_declared():
    """Regression: `def f(context, x)` was accepted and every run ended `error` ("missing 1 required positional
    argument: 'context'"), with advice to exclude inputs by assume=."""
    with pytest.raises(certify.InvalidArgument, match="takes argument 'context'.*name the context argument 'ctx'"):
        @certify.claim(id="apitest.context_named", statement="x^2 >= 0", inputs=dict(x=st.floats(-1, 1)))
        def context_named(context, x):
            return certify.ge(x * x, 0)


def test_a_body_returning_no_margin_is_told_to_fix_the_return_not_to_exclude_inputs():
    @certify.claim(id="apitest.returns_none", statement="nothing", inputs=dict(x=st.floats(-1, 1)))
    def returns_none(ctx, x):
        return None

    v = certify.check("apitest.returns_none", profile="smoke")
    assert v.status == "error"
    assert "fix what the body returns" in v.reason and "assume=" not in v.reason, v.reason


def test_an_unknown_id_is_not_matched_by_its_module_prefix_alone():
    # regression: "apitest.nope" was answered "did you mean apitest.params?" (the shared prefix made them 60 % alike)
    with pytest.raises(certify.UnknownClaim) as info:
        certify.get_claim("apitest.nope")
    assert "did you mean" not in str(info.value) and "certify list" in str(info.value)
    with pytest.raises(certify.UnknownClaim, match="did you mean apitest.params"):
        certify.get_claim("apitesst.params")   # a typo in the prefix still finds it

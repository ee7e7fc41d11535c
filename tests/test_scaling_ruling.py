"""The ruling on scaling claims (DESIGN.md section 2): refuted only against the exponent the paper states, when the
fitted interval lies above it by the margin param; with no stated exponent, reported only."""

import pytest

import certify
from certify.profiles import get_profile
from certify.search.scaling import run_scaling


@certify.claim(id="scalingdemo.cubic", source="derived", statement="t(n) = n^3", tag="USER", kind="scaling",
               sweep={"n": [2, 4, 8, 16, 32]}, params=dict(stated_exponent=3.0, exponent_margin=0.25),
               mutants=[certify.replace(stated_exponent=1.5)])
def cubic(rng, n, stated_exponent, exponent_margin):
    return float(n) ** 3 * (1 + 0.01 * rng.random())


@certify.claim(id="scalingdemo.unstated", source="derived", statement="t(n) grows", tag="USER", kind="scaling",
               sweep={"n": [2, 4, 8, 16]}, expect=None, no_mutant_reason="no stated exponent")
def unstated(rng, n):
    return float(n) ** 5


@certify.claim(id="scalingdemo.two_axes", source="derived", statement="t(n, d) = n^2 d", tag="USER",
               kind="scaling", sweep={"n": [2, 4, 8], "d": [1, 2, 4, 8]}, expect=None,
               params=dict(stated_exponent_n=2.0, stated_exponent_d=1.0))
def two_axes(rng, n, d, stated_exponent_n, stated_exponent_d):
    return {"value": float(n) ** 2 * float(d), "baselines": {"floor": float(n)}}


def test_stated_exponent_holds_and_a_smaller_stated_exponent_is_refuted():
    prof = get_profile("smoke")
    c = certify.get_claim("scalingdemo.cubic")
    assert run_scaling(c, prof, 0).status == "survived"
    v = run_scaling(c.with_params({"stated_exponent": 2.8}), prof, 0)
    assert v.status == "survived"  # 3 is within 2.8 + 0.25: the margin protects polylog factors
    v = run_scaling(c.with_params({"stated_exponent": 2.5}), prof, 0)
    assert v.status == "refuted" and "stated 2.5" in v.reason
    v = run_scaling(c.with_params({"stated_exponent": 2.5, "exponent_margin": 1.0}), prof, 0)
    assert v.status == "survived"


def test_the_mutant_changes_the_stated_exponent_and_dies():
    v = certify.check("scalingdemo.cubic", profile="smoke", seed=0)
    assert v.status == "survived"
    assert all(m["killed"] for m in v.mutants.values()) and len(v.mutants) == 1


def test_no_stated_exponent_is_reported_only_never_refuted():
    v = run_scaling(certify.get_claim("scalingdemo.unstated"), get_profile("smoke"), 0)
    assert v.status == "survived" and "reported only" in v.reason
    assert v.scaling["exponent"] == pytest.approx(5.0)
    assert v.scaling["stated_exponent"] is None and v.scaling["exponent_bound"] is None


def test_two_axes_are_fitted_separately_with_baselines():
    v = run_scaling(certify.get_claim("scalingdemo.two_axes"), get_profile("smoke"), 0)
    ax = v.scaling["axes"]
    assert ax["n"]["exponent"] == pytest.approx(2.0) and ax["d"]["exponent"] == pytest.approx(1.0)
    assert ax["n"]["fixed"] == {"d": 1} and ax["d"]["fixed"] == {"n": 2}
    assert ax["n"]["baselines"]["floor"]["y"] == [2.0, 4.0, 8.0]
    assert v.status == "survived"
    v = run_scaling(certify.get_claim("scalingdemo.two_axes").with_params({"stated_exponent_d": 0.5}),
                    get_profile("smoke"), 0)
    assert v.status == "refuted" and "d:" in v.reason

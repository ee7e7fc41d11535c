"""`tighten` finds the edge between refuted and survived on claims whose best constant is known."""

import numpy as np
import pytest
from hypothesis import strategies as st

import certify
from certify.tighten import tighten


@certify.claim(id="tightdemo.max_below_c", source="derived", statement=r"\max_i x_i \le C", tag="USER",
               inputs=dict(x=st.lists(st.floats(0, 0.3), min_size=1, max_size=4).map(np.array)),
               params=dict(C=1.0))
def max_below_c(ctx, x, C):
    return certify.le(ctx.max(x), C)


@certify.claim(id="tightdemo.sample_size", source="derived", statement="n >= m", tag="USER",
               inputs=dict(n=st.integers(1, 37)), params=dict(m=64))
def sample_size(ctx, n, m):
    return certify.le(n, m)


@certify.claim(id="tightdemo.step_size", source="derived", statement="eta * L <= 2", tag="USER",
               inputs=dict(L=st.floats(0.0, 4.0)), params=dict(eta=0.1))
def step_size(ctx, L, eta):
    return certify.le(eta * L, 2.0)


def test_smallest_constant_of_a_bound_attained_at_the_boundary():
    r = tighten(certify.get_claim("tightdemo.max_below_c"), "C", profile="smoke", steps=8)
    assert r.stopped == "bracketed"
    assert 0.3 <= r.safe <= 0.3 * 2 ** (1 / 2 ** 7)  # the edge within the bisection's resolution
    assert r.ruled_out < 0.3 and r.counterexample["margin"] < 0
    assert "smallest C with no violation found at this budget" in r.text
    rec = r.as_record()
    assert rec["paper_value"] == 1.0 and rec["steps"][0]["value"] == 1.0


def test_integer_params_bisect_on_integers():
    r = tighten("tightdemo.sample_size", "m", profile="smoke", steps=10)
    assert (r.safe, r.ruled_out) == (37, 36)
    assert all(isinstance(s["value"], int) for s in r.steps)


def test_a_start_that_is_refuted_searches_upward():
    c = certify.get_claim("tightdemo.max_below_c").with_params({"C": 0.01})
    r = tighten(c, "C", profile="smoke", steps=6)
    assert r.steps[0]["status"] == "refuted" and 0.3 <= r.safe <= 0.33


def test_largest_safe_step():
    r = tighten("tightdemo.step_size", "eta", profile="ci", direction="largest", steps=8)
    assert 0.5 / 2 ** (1 / 2 ** 7) <= r.safe <= 0.5 and r.ruled_out > 0.5


@pytest.mark.parametrize("kw, match", [
    (dict(name="D"), "not one of its params"),
    (dict(name="C", lo=-1.0), "--lo"),
    (dict(name="C", lo=2.0, hi=1.0), "not below"),
    (dict(name="C", direction="up"), "direction"),
])
def test_bad_arguments_are_one_line(kw, match):
    name = kw.pop("name")
    with pytest.raises(certify.InvalidArgument, match=match):
        tighten("tightdemo.max_below_c", name, profile="smoke", **kw)


@certify.claim(id="tightdemo.declared", source="derived", statement=r"\max_i x_i \le C", tag="USER",
               inputs=dict(x=st.lists(st.floats(0, 0.3), min_size=1, max_size=4).map(np.array)),
               params=dict(C=1.0, eta=0.1), tighten=[dict(param="C", direction="smallest", lo=0.01, hi=10.0)])
def declared_demo(ctx, x, C, eta):
    return certify.le(ctx.max(x), C)


def test_tighten_for_record_runs_the_declared_search_and_is_plain_data():
    import json

    from certify.tighten import tighten_for_record

    r = tighten_for_record("tightdemo.declared", "smoke", 0)
    json.dumps(r, allow_nan=False)
    assert r["param"] == "C" and r["direction"] == "smallest" and r["paper_value"] == 1.0
    assert r["smallest_safe"] == r["safe"] and 0.3 <= r["safe"] <= 0.6  # the edge is max x = 0.3
    assert r["ruled_out"] is not None and r["ruled_out"] < 0.3 and r["steps"] and r["more"] == []
    assert tighten_for_record("tightdemo.max_below_c", "smoke", 0) is None  # nothing declared


def test_tighten_option_is_validated():
    with pytest.raises(certify.InvalidArgument, match="tighten"):
        certify.claim(id="tightdemo.bad", source="derived", statement="s", tag="USER", params=dict(C=1.0),
                      tighten=dict(param="D"))(lambda ctx, C: certify.le(0, C))
    with pytest.raises(certify.InvalidArgument, match="direction"):
        certify.claim(id="tightdemo.bad2", source="derived", statement="s", tag="USER", params=dict(C=1.0),
                      tighten=dict(param="C", direction="up"))(lambda ctx, C: certify.le(0, C))


@pytest.mark.parametrize("cid,param", [("gao2023.hessian_pd", "C_w"), ("deng2023s.hessian_pd", "C_w"),
                                       ("gao2023r.hessian_pd", "c0"), ("li2023e.hessian_pd", "c_f"),
                                       ("li2023e.hessian_sparsification", "C_nnz"),
                                       ("deng2023.leverage_sampling_sandwich", "C_ch"),
                                       ("deng2023.randomized_main", "C_r"), ("deng2023.deterministic_main", "C_r")])
def test_rows_asking_for_a_smallest_constant_declare_it(cid, param):
    from certify.claim import discover

    discover()
    specs = {s["param"]: s for s in certify.get_claim(cid).tighten}
    assert param in specs and specs[param]["direction"] == "smallest"


def test_tighten_records_is_the_flat_list_of_the_report_field():
    from certify.tighten import tighten_records

    recs = tighten_records("tightdemo.declared", "smoke", 0)
    assert isinstance(recs, list) and len(recs) == 1 and "more" not in recs[0]
    assert recs[0]["stopped"] in ("bracketed", "no_safe_value", "no_violation", "undecided")
    assert tighten_records("tightdemo.max_below_c", "smoke", 0) is None

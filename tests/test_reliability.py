"""A claim that raises, returns NaN, overflows, or hangs is isolated; the run continues."""

import pathological  # noqa: F401
import pytest
from hypothesis import strategies as st

import certify
from certify.runner import ProcessExecutor, Task


def task(cid, **kw):
    c = certify.get_claim(cid)
    return Task(claim_id=cid, module=c.module, path=c.path, profile="smoke", **kw)


def test_a_hanging_claim_times_out_and_the_run_goes_on():
    recs = list(ProcessExecutor(jobs=2).run([task("patho.hangs", timeout=3.0),
                                            task("patho.never_valid", timeout=60.0)]))
    by = {r["id"]: r for r in recs}
    assert by["patho.hangs"]["status"] == "inconclusive"
    assert "timed out" in by["patho.hangs"]["reason"]
    assert by["patho.never_valid"]["status"] == "inconclusive"
    assert "satisfied the hypotheses" in by["patho.never_valid"]["reason"]


def test_float64_overflow_is_confirmed_away_by_the_reference():
    v = certify.check("patho.nan_in_float64", profile="smoke")
    assert v.status == "survived"
    assert len(v.float_artifacts) > 0


def test_python_float_overflow_is_decided_by_the_reference_not_an_error():
    """Regression: a body whose Python float `**` overflows ended `error` (OverflowError) although the claim
    holds; float64 failing to represent a value is a float64 problem, decided in high precision like a NaN."""
    v = certify.check("patho.python_float_overflow", profile="smoke")
    assert v.status == "survived", (v.status, v.reason, v.error)
    raised = [a for a in v.float_artifacts if "float64_error" in a]
    assert raised and all(a["float64_error"].startswith("OverflowError") and a["status"] == "holds"
                          for a in raised)


def test_a_claim_false_only_past_the_float_range_is_refuted():
    v = certify.check("patho.false_past_overflow", profile="smoke")
    assert v.status == "refuted", (v.status, v.reason, v.error)
    assert v.counterexample is not None


def test_garbage_return_is_an_error_naming_the_fix():
    v = certify.check("patho.returns_string", profile="smoke")
    assert v.status == "error" and "return a number" in v.error


def test_nan_margin_in_every_context_is_inconclusive():
    v = certify.check("patho.nan_everywhere", profile="smoke")
    assert v.status == "inconclusive"
    assert "could not decide" in v.reason


@pytest.mark.parametrize("jobs", [0, -1])
def test_bad_jobs(jobs):
    with pytest.raises(certify.InvalidArgument, match="--jobs"):
        ProcessExecutor(jobs=jobs)


def test_the_record_builder_serves_both_paths_and_the_summary_counts_them(tmp_path):
    """One builder of the report record: a finished search and a task that never produced a verdict give
    records that every reader can use; the summary counts both."""
    import known_truth  # noqa: F401  (registers the demo claims)

    from certify.claim import get_claim
    from certify.runner import ReportWriter, Task, _failure_record, run_task
    from certify.verdict import summary

    ok = run_task(Task(claim_id="demo.softmax_sums_to_one", module=get_claim("demo.softmax_sums_to_one").module,
                       path=get_claim("demo.softmax_sums_to_one").path, profile="smoke", report_dir=str(tmp_path)))
    bad = _failure_record(Task(claim_id="demo.false_sum_bound", module="", path=""), "inconclusive", "timed out")
    readers = {"id", "status", "as_expected", "reason", "examples", "worst", "counterexample", "mutants",
               "baselines", "plots", "margins", "seed", "profile", "reproduce", "module", "expected"}
    assert readers <= set(ok) and readers <= set(bad)
    assert ok["status"] == "survived" and ok["worst"]["instance"]["npz"].startswith("instances/")
    assert (tmp_path / ok["worst"]["instance"]["npz"]).exists()
    # an inconclusive search is not what a claim expects (issue 10, item 5)
    assert summary([ok, bad]) == {"claims": 2, "by_status": {"survived": 1, "inconclusive": 1},
                                  "unexpected": ["demo.false_sum_bound"]}
    w = ReportWriter(tmp_path, {"profile": "smoke", "seed": 0})
    w.add(ok)
    w.add(bad)
    rep = w.report()
    assert rep["summary"]["by_status"] == {"inconclusive": 1, "survived": 1}
    assert rep["cards"][ok["module"]] == known_truth.__doc__.strip()


def test_check_finds_a_claim_in_a_file_and_the_verdict_becomes_a_record(tmp_path):
    import json
    import textwrap

    from certify.reportdir import check_record

    f = tmp_path / "api_claims.py"
    f.write_text(textwrap.dedent("""
        from hypothesis import strategies as st
        import certify

        @certify.claim(id="apitest.false_bound", statement="x <= 0.5", inputs=dict(x=st.floats(0, 1)))
        def false_bound(ctx, x):
            return certify.le(x, 0.5)
    """))
    v = certify.check("apitest.false_bound", paths=[str(f)], profile="smoke", seed=3)
    assert v.status == "refuted"
    rec = v.as_record(tmp_path / "rep")
    check_record(rec, "as_record")
    assert rec["id"] == "apitest.false_bound" and rec["status"] == "refuted" and rec["seed"] == 3
    assert rec["profile"] == "smoke" and rec["as_expected"] is False
    assert f"certify run {f} --no-default apitest.false_bound --profile smoke --seed 3" == rec["reproduce"]
    npz = tmp_path / "rep" / rec["counterexample"]["minimal"]["instance"]["npz"]
    assert npz.exists()
    json.dumps(rec)  # plain data


@certify.claim(id="patho.kl_zero_log_zero", statement=r"KL(p \| q) \ge 0, written with 0 log 0",
               inputs=dict(p=st.lists(st.floats(0, 1), min_size=3, max_size=3),
                           q=st.lists(st.floats(0.01, 1), min_size=3, max_size=3)),
               assume=lambda p, q: sum(p) > 0)
def _kl_zero_log_zero(ctx, p, q):
    P = ctx.asarray(p) / ctx.sum(ctx.asarray(p))
    Q = ctx.asarray(q) / ctx.sum(ctx.asarray(q))
    return certify.ge(ctx.sum(P * ctx.log(P / Q)), 0)


def test_an_undecidable_nan_margin_names_an_instance_and_the_usual_causes():
    """A NaN reference margin (0 log 0 here) left an inconclusive verdict saying only "the reference margin is
    NaN": the reason now names the first such instance and what usually makes a margin NaN."""
    v = certify.check("patho.kl_zero_log_zero", profile="smoke")
    assert v.status == "inconclusive"
    assert "the first at p=[" in v.reason and "0 * log 0" in v.reason, v.reason


def test_a_body_that_writes_into_its_inputs_leaves_the_searched_instance_unchanged():
    """The search evaluates float64 on a copy: an instance it keeps (worst, counterexample, replay) is the one
    drawn, not what the body left behind; every kind of leaf the fast path copies or passes on."""
    import numpy as np

    from certify.search.trials import fp_outcome

    @certify.claim(id="test.writes_inputs", statement="x_0 + p_{01} + t <= 100", tag="USER",
                   inputs=dict(x=st.just(np.zeros(3)), pair=st.just([np.zeros(2), 1]), t=st.just(0.5)))
    def writes_inputs(ctx, x, pair, t):
        x[0] = 5.0
        pair[0][1] = 7.0
        return certify.le(x[0] + pair[0][1] + t, 100.0)

    inst = {"x": np.array([1.0, 2.0, 3.0]), "pair": [np.array([0.5, 0.25]), 1], "t": 0.5}
    before = {"x": inst["x"].copy(), "pair0": inst["pair"][0].copy()}
    o = fp_outcome(certify.get_claim("test.writes_inputs"), inst)
    assert float(o.margin) == 100.0 - 12.5
    assert np.array_equal(inst["x"], before["x"]) and np.array_equal(inst["pair"][0], before["pair0"])
    assert inst["pair"][1] == 1 and inst["t"] == 0.5

"""A claim that raises, returns NaN, overflows, or hangs is isolated; the run continues."""

import pathological  # noqa: F401
import pytest

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

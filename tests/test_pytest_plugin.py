"""The pytest adapter (`pytest --certify`), driven through pytest's own `pytester`, in subprocesses (the plugin
is already loaded in this process through its pytest11 entry point)."""

import json
import re
import textwrap

import pytest

pytest_plugins = ["pytester"]

USER_TESTS = textwrap.dedent('''
    import certify
    from certify import strategies as cst


    @certify.claim(
        id="usertest.true_bound",
        source="|x_i| <= 1 for every entry",
        statement=r"\\max_i |x_i| \\le 2",
        tag="USER",
        inputs=dict(x=cst.vectors(n=3, bound=1.0)),
    )
    def true_bound(ctx, x):
        return certify.le(ctx.max(ctx.abs(x)), 2.0)


    @certify.claim(
        id="usertest.false_bound",
        source="deliberately false: three entries in [-1, 1] can sum to 3",
        statement=r"x_1 + x_2 + x_3 \\le c",
        tag="USER",
        inputs=dict(x=cst.vectors(n=3, bound=1.0)),
        params=dict(c=2.5),
    )
    def false_bound(ctx, x, c):
        return certify.le(ctx.sum(x), c)


    def test_plain():
        assert 1 + 1 == 2
''')


@pytest.fixture
def user_tests(pytester):
    pytester.makepyfile(test_user_claims=USER_TESTS)
    return pytester


def test_claims_are_items_and_the_false_one_fails(user_tests, tmp_path):
    rdir = tmp_path / "rep"
    r = user_tests.runpytest_subprocess("--certify", "--certify-no-catalogue", "--certify-report", str(rdir),
                                        "-v", "-p", "no:cacheprovider")
    out = r.stdout.str()
    r.assert_outcomes(passed=2, failed=1)
    # collected as certify::<id> items of the user's test module (pytest's verbose line shows the item's
    # domain with '.' turned into '::'; the node id itself keeps the claim id, as the short summary shows)
    assert re.search(r"test_user_claims.py::certify::usertest(\.|::)true_bound PASSED", out)
    assert re.search(r"test_user_claims.py::certify::usertest(\.|::)false_bound FAILED", out)
    assert "FAILED test_user_claims.py::certify::usertest.false_bound" in out
    assert "test_user_claims.py::test_plain PASSED" in out
    # the failure shows the verdict, the counterexample (with its instance) and how to reproduce it
    assert "usertest.false_bound: refuted (expected holds)" in out
    assert "counterexample margin" in out and "instance: " in out and '"x"' in out
    assert "reproduce: certify run usertest.false_bound --profile smoke --seed 0" in out
    assert f"replay:    certify replay {rdir} usertest.false_bound" in out
    # terminal summary: counts per status and the report's paths
    assert "refuted: 1, survived: 1  (2 claims)" in out
    assert f"report: {rdir / 'report.json'}" in out
    report = json.loads((rdir / "report.json").read_text())
    assert sorted(c["id"] for c in report["claims"]) == ["usertest.false_bound", "usertest.true_bound"]
    assert report["summary"]["unexpected"] == ["usertest.false_bound"]
    by = {c["id"]: c for c in report["claims"]}
    assert (rdir / by["usertest.false_bound"]["counterexample"]["minimal"]["instance"]["npz"]).exists()
    from certify.report import html  # noqa: F401 - the HTML renderer exists, so the page must be there too

    assert f"html: {rdir / 'report.html'}" in out
    assert (rdir / "report.html").exists()


def test_select_filters_claims(user_tests):
    r = user_tests.runpytest_subprocess("--certify", "--certify-no-catalogue", "--certify-select", "*.true_*",
                                        "-v", "-p", "no:cacheprovider")
    out = r.stdout.str()
    r.assert_outcomes(passed=2)
    assert re.search(r"certify::usertest(\.|::)true_bound PASSED", out)
    assert "false_bound" not in out
    assert "survived: 1  (1 claims)" in out


def test_without_certify_claims_are_not_tests(user_tests):
    r = user_tests.runpytest_subprocess("-v", "-p", "no:cacheprovider")
    out = r.stdout.str()
    r.assert_outcomes(passed=1)           # only test_plain; the claim functions are neither run nor errors
    assert "certify::" not in out
    assert "== certify ==" not in out


def test_bad_profile_is_a_usage_error(user_tests):
    r = user_tests.runpytest_subprocess("--certify", "--certify-no-catalogue", "--certify-profile", "nonsense",
                                        "-p", "no:cacheprovider")
    assert r.ret == pytest.ExitCode.USAGE_ERROR
    assert "nonsense" in r.stderr.str()


def test_xdist_workers_send_records_to_one_report(user_tests, tmp_path):
    rdir = tmp_path / "rep"
    r = user_tests.runpytest_subprocess("--certify", "--certify-no-catalogue", "--certify-report", str(rdir),
                                        "-n", "2", "-p", "no:cacheprovider")
    r.assert_outcomes(passed=2, failed=1)
    report = json.loads((rdir / "report.json").read_text())
    assert sorted(c["id"] for c in report["claims"]) == ["usertest.false_bound", "usertest.true_bound"]
    assert "(2 claims)" in r.stdout.str()

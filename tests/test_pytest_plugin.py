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
    # the reproduce line loads the test file the claim lives in (else it would say "no claim matches")
    src = user_tests.path / "test_user_claims.py"
    assert f"reproduce: certify run {src} --no-default usertest.false_bound --profile smoke --seed 0" in out
    assert f"replay:    certify replay {rdir} {src} usertest.false_bound" in out
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


def test_the_reproduce_line_of_a_test_file_claim_runs_it(user_tests, tmp_path):
    import shlex
    import subprocess
    import sys

    r = user_tests.runpytest_subprocess("--certify", "--certify-no-catalogue", "-p", "no:cacheprovider",
                                        "test_user_claims.py::certify::usertest.false_bound")
    line = next(ln for ln in r.stdout.lines if "reproduce: " in ln).split("reproduce: ", 1)[1]
    argv = shlex.split(line)
    assert argv[:2] == ["certify", "run"]
    out = subprocess.run([sys.executable, "-m", "certify", *argv[1:], "--report", str(tmp_path / "rep"),
                          "--no-html", "--quiet"], capture_output=True, text=True, timeout=300)
    assert "no claim matches" not in out.stderr, out.stderr
    assert (tmp_path / "rep" / "report.json").exists(), out.stdout + out.stderr
    rec = json.loads((tmp_path / "rep" / "report.json").read_text())["claims"]
    assert [c["id"] for c in rec] == ["usertest.false_bound"] and rec[0]["status"] == "refuted"


def test_report_option_pointing_at_a_file_is_a_usage_error(user_tests, tmp_path):
    f = tmp_path / "not_a_dir"
    f.write_text("x")
    r = user_tests.runpytest_subprocess("--certify", "--certify-no-catalogue", "--certify-report", str(f),
                                        "-p", "no:cacheprovider")
    assert r.ret == pytest.ExitCode.USAGE_ERROR
    assert "is a file; pass a directory" in r.stderr.str()
    assert "INTERNALERROR" not in r.stdout.str() + r.stderr.str()


def test_node_ids_select_claims_in_files_and_in_the_catalogue(user_tests):
    r = user_tests.runpytest_subprocess("--certify", "--co", "-q", "-p", "no:cacheprovider",
                                        "test_user_claims.py::certify::usertest.true_bound")
    assert r.ret == 0, r.stdout.str()
    assert "test_user_claims.py::certify::usertest.true_bound" in r.stdout.str()
    assert "1 test collected" in r.stdout.str()
    # (the catalogue is not imported here: pytester restores sys.modules after each test, and numpy cannot be
    # imported twice in one process)
    r = user_tests.runpytest_subprocess("--certify", "--co", "-q", "-p", "no:cacheprovider")
    cid = next(ln for ln in r.stdout.lines if ln.startswith("certify::")).split("::", 1)[1]
    r = user_tests.runpytest_subprocess("--certify", "--co", "-q", "-p", "no:cacheprovider", f"certify::{cid}")
    assert r.ret == 0, r.stdout.str() + r.stderr.str()
    assert f"certify::{cid}" in r.stdout.str() and "1 test collected" in r.stdout.str()


def test_keyword_selection_counts_the_catalogue_right(user_tests):
    r = user_tests.runpytest_subprocess("--certify", "--co", "-q", "-p", "no:cacheprovider", "-k", "true_bound")
    m = re.search(r"(\d+)/(\d+) tests collected \((\d+) deselected\)", r.stdout.str())
    assert m, r.stdout.str()[-2000:]
    selected, total, deselected = map(int, m.groups())
    assert selected == 1 and total == selected + deselected and total > 3  # the catalogue is counted


def test_junit_xml_holds_a_summary_per_claim(user_tests, tmp_path):
    import xml.etree.ElementTree as ET

    xml = tmp_path / "junit.xml"
    user_tests.runpytest_subprocess("--certify", "--certify-no-catalogue", f"--junitxml={xml}",
                                    "-p", "no:cacheprovider")
    tree = ET.parse(xml)
    props = {}
    for case in tree.iter("testcase"):
        for p in case.iter("property"):
            props.setdefault(case.get("name"), {})[p.get("name")] = p.get("value")
    claims = {k: v for k, v in props.items() if "certify_summary" in v}
    assert len(claims) == 2, props
    for p in claims.values():
        assert "certify_record" not in p and len(p["certify_summary"]) < 1000
    assert any("usertest.false_bound: refuted (expected holds)" in p["certify_summary"] for p in claims.values())
    assert "float_artifacts" not in xml.read_text()


UNDECIDED = textwrap.dedent('''
    from hypothesis import strategies as st
    import certify


    @certify.claim(id="usertest.never_valid", statement="x <= 1", inputs=dict(x=st.floats(0, 1)),
                   assume=lambda x: x > 2)
    def never_valid(ctx, x):
        return certify.le(x, 1.0)
''')


def test_an_inconclusive_claim_fails_its_item_unless_allowed(pytester):
    pytester.makepyfile(test_undecided=UNDECIDED)
    r = pytester.runpytest_subprocess("--certify", "--certify-no-catalogue", "-p", "no:cacheprovider")
    r.assert_outcomes(failed=1)
    assert "usertest.never_valid: inconclusive (expected holds)" in r.stdout.str()
    r = pytester.runpytest_subprocess("--certify", "--certify-no-catalogue", "--certify-allow-inconclusive",
                                      "-p", "no:cacheprovider")
    r.assert_outcomes(passed=1)

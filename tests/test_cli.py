"""The `certify` command end to end (subprocesses, as a user runs it)."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

TIMING = {"duration_s", "created_at", "finished_at", "wall_s", "command", "time_split"}


def certify(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "certify", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=300)


def strip_timing(obj):
    if isinstance(obj, dict):
        return {k: strip_timing(v) for k, v in obj.items() if k not in TIMING}
    if isinstance(obj, list):
        return [strip_timing(v) for v in obj]
    return obj


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, demo_path):
    d = tmp_path_factory.mktemp("run")
    r = certify("run", demo_path, "--no-default", "--profile", "smoke", "--report", str(d / "a"), "--jobs", "2",
                "--no-html")
    return d, r


def test_run_exit_code_and_summary(run_dir):
    d, r = run_dir
    assert r.returncode == 1, r.stderr  # demo.raises is an error
    assert "demo.raises" in r.stdout and "error" in r.stdout
    assert "8 claims" in r.stdout
    assert "[8/8]" in r.stderr  # progress lines
    # an error says what and where on the terminal too, not only in report.json (it printed "ERROR" alone)
    assert re.search(r"demo.raises: ZeroDivisionError: demo: division by zero in the claim body — raised at k=\d+",
                     r.stdout), r.stdout


def test_report_schema(run_dir):
    d, _ = run_dir
    report = json.loads((d / "a" / "report.json").read_text())
    assert report["schema"] == "certify-report/2"
    ids = [c["id"] for c in report["claims"]]
    assert ids == sorted(ids) and len(ids) == 8
    for c in report["claims"]:
        for key in ("id", "source", "statement", "tag", "kind", "params", "status", "expected", "examples",
                    "valid_examples", "worst", "counterexample", "float_artifacts", "baselines", "mutants",
                    "duration_s", "reproduce"):
            assert key in c, (c["id"], key)
    by = {c["id"]: c for c in report["claims"]}
    assert by["demo.false_sum_bound"]["status"] == "refuted"
    npz = d / "a" / by["demo.false_sum_bound"]["counterexample"]["minimal"]["instance"]["npz"]
    assert npz.exists()
    assert report["summary"]["unexpected"] == ["demo.raises"]


def test_same_seed_gives_identical_report(run_dir, demo_path):
    d, _ = run_dir
    r = certify("run", demo_path, "--no-default", "--profile", "smoke", "--report", str(d / "b"), "--no-html")
    assert r.returncode == 1
    a = strip_timing(json.loads((d / "a" / "report.json").read_text()))
    b = strip_timing(json.loads((d / "b" / "report.json").read_text()))
    a_txt = json.dumps(a, sort_keys=True).replace(str(d / "a"), "DIR")
    b_txt = json.dumps(b, sort_keys=True).replace(str(d / "b"), "DIR")
    assert a_txt == b_txt


def test_replay_reproduces_the_counterexample(run_dir, demo_path):
    import shlex

    d, _ = run_dir
    rec = {c["id"]: c for c in json.loads((d / "a" / "report.json").read_text())["claims"]}["demo.false_sum_bound"]
    # the command stored in the report names the claim's file: replay runs no code the user did not name
    assert rec["replay"] == f"certify replay {d / 'a'} {Path(demo_path).resolve()} demo.false_sum_bound"
    r = certify(*shlex.split(rec["replay"])[1:])
    assert r.returncode == 0, r.stdout + r.stderr
    assert "confirmed" in r.stdout and "reproduced" in r.stdout


def test_resume_keeps_finished_claims(run_dir, demo_path):
    d, _ = run_dir
    target = d / "c"
    r1 = certify("run", demo_path, "--no-default", "--profile", "smoke", "--report", str(target), "--no-html",
                 "demo.false_sum_bound")
    assert r1.returncode == 0
    r2 = certify("run", demo_path, "--no-default", "--profile", "smoke", "--report", str(target), "--no-html",
                 "--resume", "demo.false*", "demo.softmax*")
    assert "1 claim(s) already finished, 2 to go" in r2.stderr
    report = json.loads((target / "report.json").read_text())
    assert len(report["claims"]) == 3


@pytest.mark.parametrize("args,needle", [
    (("run", "no.such.claim", "--profile", "smoke"), "no claim matches"),
    (("run", "--profile", "turbo"), "unknown profile 'turbo'"),
    (("run", "demo.x", "--param", "oops"), "malformed --param"),
    (("run", "missing/file.py"), "no such file"),
    (("run", "--budget", "0"), "--budget"),
    (("show", "nope.nope"), "unknown claim id"),
    (("replay", "/nonexistent", "x.y"), "no report.json"),
    (("frobnicate",), "invalid choice"),
])
def test_user_mistakes_get_one_line_and_exit_2(args, needle):
    r = certify(*args)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert needle in r.stderr
    assert "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_param_override_from_cli(tmp_path, demo_path):
    r = certify("run", demo_path, "--no-default", "--profile", "smoke", "--report", str(tmp_path), "--no-html",
                "demo.false_sum_bound", "--param", "demo.false_sum_bound:c=3.0")
    report = json.loads((tmp_path / "report.json").read_text())
    c = report["claims"][0]
    assert c["params"]["c"] == 3.0 and c["status"] == "survived"
    assert "--param demo.false_sum_bound:c=3.0" in c["reproduce"]
    assert r.returncode == 1  # the claim expects a refutation; surviving is unexpected


def test_replay_of_a_counterexample_float64_cannot_evaluate(tmp_path):
    """Regression: replay evaluated float64 outside the search's path, so a counterexample where the body's
    Python float `**` overflows (decided by the reference) crashed `certify replay` with OverflowError."""
    import shlex

    r = certify("run", PATHO, "patho.false_past_overflow", "--no-default", "--profile", "smoke", "--report",
                str(tmp_path), "--no-html", "--quiet")
    rec = json.loads((tmp_path / "report.json").read_text())["claims"][0]
    assert rec["status"] == "refuted", (r.stdout, r.stderr)
    r = certify(*shlex.split(rec["replay"])[1:])
    assert r.returncode == 0, r.stdout + r.stderr
    assert "float64 raised OverflowError" in r.stdout and "reproduced" in r.stdout


def test_replay_of_a_probability_counterexample(run_dir, demo_path):
    d, _ = run_dir
    r = certify("replay", str(d / "a"), demo_path, "demo.coin_false")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "trials fail in float64" in r.stdout and "reproduced" in r.stdout


def test_warmup_compiles_the_catalogue():
    r = certify("warmup", "--quiet")
    assert r.returncode == 0, r.stderr
    assert "warmed" in r.stdout
    n_warmed = int(r.stdout.split("warmed ")[1].split()[0])
    assert n_warmed > 0


def test_a_file_alone_runs_only_its_claims(tmp_path, demo_path):
    r = certify("run", demo_path, "--profile", "smoke", "--report", str(tmp_path), "--no-html", "--quiet")
    report = json.loads((tmp_path / "report.json").read_text())
    assert {c["id"].split(".")[0] for c in report["claims"]} == {"demo"}
    assert r.returncode == 1


def test_timeout_flag_kills_a_hanging_claim(tmp_path):
    patho = str(Path(__file__).parent / "demo" / "pathological.py")
    r = certify("run", patho, "patho.hangs", "--no-default", "--profile", "smoke", "--timeout", "3",
                "--report", str(tmp_path), "--no-html", "--quiet")
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["claims"][0]["status"] == "inconclusive"
    assert "timed out after 3 s" in report["claims"][0]["reason"]
    assert r.returncode == 1  # a claim that hangs decided nothing: it fails the run (issue 10, item 5)


# ----------------------------------------------------------------------------- issue 13: nothing lost
import os  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import textwrap  # noqa: E402
import time  # noqa: E402

PATHO = str(Path(__file__).parent / "demo" / "pathological.py")


def one_line_exit_2(r, needle):
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert needle in r.stderr, r.stderr
    assert "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr


@pytest.fixture(scope="module")
def small_run(tmp_path_factory, demo_path):
    """Two claims at a small budget: the base of the resume and report-directory tests (copied per test)."""
    d = tmp_path_factory.mktemp("small") / "rep"
    r = certify("run", demo_path, "--no-default", "--profile", "smoke", "--budget", "20", "--report", str(d),
                "--no-html", "--quiet", "demo.softmax_sums_to_one", "demo.false_sum_bound")
    assert r.returncode == 0, r.stderr
    return d


def copy_of(src, tmp_path):
    dst = tmp_path / "rep"
    shutil.copytree(src, dst)
    return dst


@pytest.mark.parametrize("change,setting", [
    (("--budget", "21"), "budget_examples"),
    (("--budget", "20", "--seconds", "30"), "budget_seconds"),
    (("--budget", "20", "--seed", "1"), "seed"),
    (("--budget", "20", "--param", "demo.false_sum_bound:c=2.5"), "params"),
])
def test_resume_reruns_claims_run_with_other_settings(small_run, tmp_path, demo_path, change, setting):
    d = copy_of(small_run, tmp_path)
    r = certify("run", demo_path, "--no-default", "--profile", "smoke", "--report", str(d), "--no-html", "--quiet",
                "--resume", "demo.false_sum_bound", *change)
    assert f"demo.false_sum_bound was run with other settings ({setting}:" in r.stderr, r.stderr
    assert "0 claim(s) already finished, 1 to go" in r.stderr
    rec = {c["id"]: c for c in json.loads((d / "report.json").read_text())["claims"]}["demo.false_sum_bound"]
    want = {"budget_examples": 21 if "21" in change else 20, "seed": 1 if "--seed" in change else 0}
    assert rec["settings"]["budget_examples"] == want["budget_examples"]
    assert rec["seed"] == want["seed"]


def test_resume_with_another_profile_reruns(small_run, tmp_path, demo_path):
    d = copy_of(small_run, tmp_path)
    r = certify("run", demo_path, "--no-default", "--profile", "ci", "--budget", "20", "--report", str(d),
                "--no-html", "--quiet", "--resume", "demo.softmax_sums_to_one")
    assert "was run with other settings (profile: 'smoke' then, 'ci' now)" in r.stderr, r.stderr
    rec = {c["id"]: c for c in json.loads((d / "report.json").read_text())["claims"]}["demo.softmax_sums_to_one"]
    assert rec["profile"] == "ci"


def test_resume_with_nothing_to_do_rebuilds_report_json(small_run, tmp_path, demo_path):
    d = copy_of(small_run, tmp_path)
    report = json.loads((d / "report.json").read_text())
    report["claims"] = report["claims"][:1]  # report.json lagging results.jsonl (an interrupted rewrite)
    (d / "report.json").write_text(json.dumps(report))
    r = certify("run", demo_path, "--no-default", "--profile", "smoke", "--budget", "20", "--report", str(d),
                "--no-html", "--quiet", "--resume", "demo.softmax_sums_to_one", "demo.false_sum_bound")
    assert "2 claim(s) already finished, 0 to go" in r.stderr
    assert r.returncode == 0, r.stderr
    assert len(json.loads((d / "report.json").read_text())["claims"]) == 2


def test_a_second_run_on_a_locked_report_dir_fails_at_once_naming_the_holder(small_run, tmp_path, demo_path):
    from certify.reportdir import ReportLock

    d = copy_of(small_run, tmp_path)
    with ReportLock(d):
        t0 = time.monotonic()
        r = certify("run", demo_path, "--no-default", "--profile", "smoke", "--report", str(d), "--no-html",
                    "--resume", "demo.softmax_sums_to_one")
        one_line_exit_2(r, f"is in use by pid {os.getpid()}")
        assert time.monotonic() - t0 < 120


def test_results_are_not_deleted_without_resume_or_overwrite(small_run, tmp_path, demo_path):
    d = copy_of(small_run, tmp_path)
    before = (d / "results.jsonl").read_bytes()
    r = certify("run", demo_path, "--no-default", "--profile", "smoke", "--report", str(d), "--no-html",
                "demo.softmax_sums_to_one")
    one_line_exit_2(r, "pass --resume to continue that run or --overwrite to start afresh")
    assert (d / "results.jsonl").read_bytes() == before
    r = certify("run", demo_path, "--no-default", "--profile", "smoke", "--budget", "10", "--report", str(d),
                "--no-html", "--quiet", "--overwrite", "demo.softmax_sums_to_one")
    assert r.returncode == 0, r.stderr
    baks = list(d.glob("results.jsonl.*.bak"))
    assert len(baks) == 1 and baks[0].read_bytes() == before
    assert f"moved to {baks[0]}" in r.stderr


def _children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as fh:
            return [int(x) for x in fh.read().split()]
    except FileNotFoundError:
        return []


def _gone(pid):
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] == "Z"
    except (FileNotFoundError, ProcessLookupError):
        return True


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_killing_certify_run_kills_its_workers(tmp_path, sig):
    p = subprocess.Popen([sys.executable, "-m", "certify", "run", PATHO, "patho.hangs", "--no-default", "--profile",
                          "smoke", "--timeout", "300", "--report", str(tmp_path / "rep"), "--no-html", "--quiet"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    workers = []
    while not workers:
        assert time.monotonic() < deadline and p.poll() is None, "no worker started"
        workers = _children(p.pid)
        time.sleep(0.1)
    time.sleep(1.0)  # the worker is past its start-up
    p.send_signal(sig)
    out, err = p.communicate(timeout=60)
    deadline = time.monotonic() + 20
    while not all(_gone(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    alive = [w for w in workers if not _gone(w)]
    for w in alive:
        os.kill(w, signal.SIGKILL)
    assert not alive, f"workers {alive} outlived `certify run` killed by {sig.name}"
    if sig == signal.SIGTERM:
        assert p.returncode == 130 and "interrupted" in err, (p.returncode, err)


# ----------------------------------------------------------------------------- nothing read or run unasked
@pytest.fixture
def rep_copy(run_dir, tmp_path):
    d, _ = run_dir
    return copy_of(d / "a", tmp_path)


def _edit_report(d, fn):
    report = json.loads((d / "report.json").read_text())
    fn({c["id"]: c for c in report["claims"]})
    (d / "report.json").write_text(json.dumps(report))


def test_tampered_instance_paths_are_refused_by_html_and_replay(rep_copy, demo_path):
    def tamper(by):
        by["demo.false_sum_bound"]["counterexample"]["minimal"]["instance"]["npz"] = "../../../../etc/passwd"
        by["demo.softmax_sums_to_one"]["worst"]["instance"]["json"] = "/etc/passwd"

    _edit_report(rep_copy, tamper)
    r = certify("html", str(rep_copy))
    one_line_exit_2(r, "points outside the report directory")
    assert not (rep_copy / "report.html").exists()
    r = certify("replay", str(rep_copy), demo_path, "demo.false_sum_bound")
    one_line_exit_2(r, "points outside the report directory")


def test_replay_runs_no_code_the_report_names(rep_copy, tmp_path):
    marker = tmp_path / "ran"
    evil = tmp_path / "evil.py"
    evil.write_text(f"open({str(marker)!r}, 'w').write('x')\n")

    def tamper(by):
        by["demo.false_sum_bound"]["path"] = str(evil)
        by["demo.false_sum_bound"]["module"] = "certify_user_evil"

    _edit_report(rep_copy, tamper)
    r = certify("replay", str(rep_copy), "demo.false_sum_bound")
    one_line_exit_2(r, f"run `certify replay {rep_copy} {evil} demo.false_sum_bound`")
    assert "not part of the catalogue" in r.stderr
    assert not marker.exists()


@pytest.mark.parametrize("damage", ["report_not_json", "report_list", "record_not_object", "record_without_status",
                                    "report_random_bytes", "npz_truncated", "npz_random", "instance_json_truncated"])
def test_damaged_reports_get_one_line(rep_copy, demo_path, damage):
    ce = json.loads((rep_copy / "report.json").read_text())
    ce = {c["id"]: c for c in ce["claims"]}["demo.false_sum_bound"]["counterexample"]["minimal"]["instance"]
    npz, js = rep_copy / ce["npz"], rep_copy / ce["json"]
    if damage == "report_not_json":
        (rep_copy / "report.json").write_text('{"claims": [')
    elif damage == "report_list":
        (rep_copy / "report.json").write_text("[1, 2, 3]")
    elif damage == "record_not_object":
        (rep_copy / "report.json").write_text('{"schema": "certify-report/2", "claims": [[1, 2, 3]]}')
    elif damage == "record_without_status":
        (rep_copy / "report.json").write_text('{"schema": "certify-report/2", "claims": [{"id": "demo.false_sum_bound"}]}')
    elif damage == "report_random_bytes":
        (rep_copy / "report.json").write_bytes(os.urandom(256))
    elif damage == "npz_truncated":
        npz.write_bytes(npz.read_bytes()[:40])
    elif damage == "npz_random":
        npz.write_bytes(os.urandom(300))
    else:
        js.write_text(js.read_text()[:25])
    r = certify("replay", str(rep_copy), demo_path, "demo.false_sum_bound")
    assert r.returncode == 2 and "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    needle = {"report_not_json": "not valid JSON", "report_random_bytes": "not valid JSON",
              "report_list": "not a certify report", "record_not_object": "expected a result record",
              "record_without_status": "without a string 'status'"}.get(damage, "the saved instance cannot be read")
    assert needle in r.stderr, r.stderr
    if damage.startswith("report") or damage.startswith("record"):
        r = certify("html", str(rep_copy))
        assert r.returncode == 2 and "Traceback" not in r.stderr and "intact" not in r.stderr, r.stderr
        assert len(r.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("line", [b"\x8f\x00\xffgarbage\xfe", b"[1, 2, 3]", b'{"id": "demo.x"}'])
def test_resume_refuses_results_that_are_not_records(small_run, tmp_path, demo_path, line):
    d = copy_of(small_run, tmp_path)
    good = (d / "results.jsonl").read_bytes()
    (d / "results.jsonl").write_bytes(line + b"\n" + good)
    r = certify("run", demo_path, "--no-default", "--profile", "smoke", "--report", str(d), "--no-html",
                "--resume", "demo.softmax_sums_to_one")
    one_line_exit_2(r, "results.jsonl:1:")
    assert (d / "results.jsonl").read_bytes() == line + b"\n" + good  # nothing rewritten


def test_resume_drops_a_last_line_cut_by_an_interruption(small_run, tmp_path, demo_path):
    d = copy_of(small_run, tmp_path)
    with open(d / "results.jsonl", "ab") as fh:
        fh.write(b'{"id": "demo.softmax_sums_to_one", "sta')
    r = certify("run", demo_path, "--no-default", "--profile", "smoke", "--budget", "20", "--report", str(d),
                "--no-html", "--quiet", "--resume", "demo.softmax_sums_to_one", "demo.false_sum_bound")
    assert r.returncode == 0, r.stderr
    assert "cut short by an interruption" in r.stderr and "2 claim(s) already finished, 0 to go" in r.stderr


# ----------------------------------------------------------------------------- one clear line per mistake
def test_a_syntax_error_in_a_claim_file_is_file_line(tmp_path):
    bad = tmp_path / "broken_claims.py"
    bad.write_text("import certify\n\n\ndef oops(:\n    pass\n")
    r = certify("list", str(bad))
    one_line_exit_2(r, f"{bad}:4: SyntaxError: ")


def test_an_import_error_in_a_claim_file_is_file_line(tmp_path):
    bad = tmp_path / "missing_dep_claims.py"
    bad.write_text("import certify\nimport os\nimport no_such_module_for_certify\n")
    r = certify("run", str(bad), "--no-default", "--report", str(tmp_path / "rep"))
    one_line_exit_2(r, f"{bad}:3: ModuleNotFoundError: No module named 'no_such_module_for_certify'")


def test_an_unwritable_report_dir_is_refused_before_any_search(tmp_path, demo_path):
    # root ignores permission bits: a file where the instances folder goes cannot be written by anyone
    (tmp_path / "rep").mkdir()
    (tmp_path / "rep" / "instances").write_text("not a folder")
    r = certify("run", demo_path, "--no-default", "--profile", "smoke", "--report", str(tmp_path / "rep"),
                "demo.softmax_sums_to_one")
    one_line_exit_2(r, "cannot write to")
    assert not (tmp_path / "rep" / "results.jsonl").exists()
    (tmp_path / "plainfile").write_text("x")
    r = certify("run", demo_path, "--no-default", "--report", str(tmp_path / "plainfile"))
    assert r.returncode == 2 and "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_negative_seed_is_one_line(demo_path):
    one_line_exit_2(certify("run", demo_path, "--no-default", "--seed", "-1"), "--seed: bad value -1")


def test_a_crashed_worker_is_reported_by_signal_name(tmp_path):
    f = tmp_path / "segv_claims.py"
    f.write_text(textwrap.dedent("""
        import ctypes
        from hypothesis import strategies as st
        import certify

        @certify.claim(id="crash.segv", statement="dereferences NULL", inputs=dict(x=st.floats(0, 1)))
        def segv(ctx, x):
            ctypes.string_at(0)
            return 1.0
    """))
    r = certify("run", str(f), "--no-default", "--profile", "smoke", "--report", str(tmp_path / "rep"), "--no-html",
                "--quiet")
    assert r.returncode == 1
    rec = json.loads((tmp_path / "rep" / "report.json").read_text())["claims"][0]
    assert rec["status"] == "error" and "killed by SIGSEGV" in rec["reason"], rec["reason"]


# ----------------------------------------------------------------------------- what a researcher expects
def test_a_claim_file_imports_a_helper_beside_it(tmp_path):
    (tmp_path / "certify_helper_beside.py").write_text("BOUND = 2.0\n")
    (tmp_path / "uses_helper.py").write_text(textwrap.dedent("""
        from hypothesis import strategies as st
        import certify
        from certify_helper_beside import BOUND

        @certify.claim(id="helper.bounded", statement="x <= 2", inputs=dict(x=st.floats(0, 1)))
        def bounded(ctx, x):
            return certify.le(x, BOUND)
    """))
    r = certify("list", str(tmp_path / "uses_helper.py"))
    assert r.returncode == 0, r.stderr
    assert "helper.bounded" in r.stdout


def test_show_takes_files_positionally(demo_path):
    r = certify("show", demo_path, "demo.false_sum_bound")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("demo.false_sum_bound  [") and "statement:" in r.stdout


def test_readme_states_every_exit_code_and_the_dev_extra():
    import tomllib

    from certify.cli import EXIT_CODES

    root = Path(__file__).parent.parent
    readme = (root / "README.md").read_text()
    section = readme.split("### Exit codes", 1)[1].split("\n#", 1)[0]
    for code in EXIT_CODES:
        assert f"| {code} |" in section, code
    assert "pytest --certify" in readme and ".[test]" in readme
    extras = tomllib.loads((root / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert {"tox", "ruff", "pytest-xdist"} <= {d.split(">")[0].split("=")[0].split("[")[0] for d in extras["dev"]}


# ----------------------------------------------------------------------------- issue 10, item 5
@pytest.fixture(scope="module")
def undecided(tmp_path_factory):
    d = tmp_path_factory.mktemp("undecided")
    f = d / "undecided_claims.py"
    f.write_text(textwrap.dedent("""
        from hypothesis import strategies as st
        import certify

        @certify.claim(id="undecided.filter_rejects_all", statement="x <= 1",
                       inputs=dict(x=st.floats(0, 1).filter(lambda x: x > 2)))
        def filter_rejects_all(ctx, x):
            return certify.le(x, 1.0)

        @certify.claim(id="undecided.declared", statement="hypotheses never met, and it says so",
                       inputs=dict(x=st.floats(0, 1)), assume=lambda x: x > 2, expect="inconclusive")
        def declared(ctx, x):
            return certify.le(x, 1.0)
    """))
    return f


@pytest.mark.parametrize("cid", ["patho.never_valid", "patho.nan_everywhere", "undecided.filter_rejects_all"])
def test_an_inconclusive_claim_fails_the_run(tmp_path, undecided, cid):
    r = certify("run", PATHO, str(undecided), cid, "--no-default", "--profile", "smoke", "--report",
                str(tmp_path / "a"), "--no-html", "--quiet")
    rec = json.loads((tmp_path / "a" / "report.json").read_text())["claims"][0]
    assert rec["status"] == "inconclusive" and rec["as_expected"] is False, rec["reason"]
    assert r.returncode == 1, r.stderr
    r = certify("run", PATHO, str(undecided), cid, "--no-default", "--profile", "smoke", "--report",
                str(tmp_path / "b"), "--no-html", "--quiet", "--allow-inconclusive")
    assert r.returncode == 0 and "allowed by --allow-inconclusive" in r.stderr, r.stderr


def test_a_claim_that_expects_inconclusive_passes(tmp_path, undecided):
    r = certify("run", str(undecided), "undecided.declared", "--no-default", "--profile", "smoke", "--report",
                str(tmp_path), "--no-html", "--quiet")
    rec = json.loads((tmp_path / "report.json").read_text())["claims"][0]
    assert rec["status"] == "inconclusive" and rec["as_expected"] is True
    assert r.returncode == 0, r.stderr


# ----------------------------------------------------------------------------- progress
def test_progress_on_a_terminal_shows_the_bar_and_a_live_line_per_claim():
    import io

    from rich.console import Console

    from certify.progress import RunProgress

    buf = io.StringIO()
    console = Console(file=buf, force_terminal=True, width=160, color_system=None)
    with RunProgress(2, "rich", console=console) as bar:
        bar.started("demo.a", time.monotonic(), 60.0)
        bar.update("demo.a", 120, -0.25)
        bar._live.refresh()
        live = buf.getvalue()
        bar.finished("demo.a", "[1/2] demo.a: ok")
        bar._live.refresh()
    out = buf.getvalue()
    assert "claims" in live and "0/2" in live and "ETA" in live and "elapsed" in live
    assert "demo.a" in live and "120 examples" in live and "worst rel margin -0.25" in live
    assert re.search(r"(59|60) s left", live), live
    assert "[1/2] demo.a: ok" in out and "1/2" in out


def test_progress_is_plain_lines_off_a_terminal_and_nothing_when_quiet(capsys):
    from certify.progress import RunProgress, choose_mode

    assert choose_mode(quiet=True) == "quiet"
    assert choose_mode(quiet=False) == "plain"  # pytest captures stdout: not a terminal
    with RunProgress(1, "plain") as bar:
        bar.started("demo.a", time.monotonic(), 60.0)
        bar.update("demo.a", 7, None)
        bar.finished("demo.a", "[1/1] demo.a: ok")
    err = capsys.readouterr().err
    assert "  .. demo.a: 7 examples, worst relative margin -" in err and "[1/1] demo.a: ok" in err
    with RunProgress(1, "quiet") as bar:
        bar.update("demo.a", 7, None)
        bar.finished("demo.a", "[1/1] demo.a: ok")
    assert capsys.readouterr().err == ""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses a pseudo-terminal")
def test_run_on_a_terminal_draws_the_rich_progress(tmp_path, demo_path):
    import pty

    master, slave = pty.openpty()
    p = subprocess.Popen([sys.executable, "-m", "certify", "run", demo_path, "--no-default", "--profile", "smoke",
                          "--budget", "20", "--report", str(tmp_path), "--no-html", "demo.softmax_sums_to_one"],
                         stdin=subprocess.DEVNULL, stdout=slave, stderr=slave, env={**os.environ, "COLUMNS": "150"})
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the terminal's other side is closed
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    assert p.wait(120) == 0
    out = b"".join(chunks).decode("utf-8", "replace")
    assert "ETA" in out and "elapsed" in out and "claims" in out, out[-3000:]
    assert "  .. demo.softmax_sums_to_one:" not in out  # not the plain lines


TIGHTEN_CLAIMS = textwrap.dedent("""
    from hypothesis import strategies as st
    import certify

    # x <= C on [0, 1]: the smallest safe C is 1 (attained), the largest safe floor F of x >= F is 0
    @certify.claim(id="tightcli.upper", source="derived", statement="x <= C", tag="USER",
                   inputs=dict(x=st.floats(0, 1)), params=dict(C=4.0),
                   tighten=dict(param="C", lo=0.01, hi=100.0))
    def upper(ctx, x, C):
        return certify.le(x, C)

    @certify.claim(id="tightcli.lower", source="derived", statement="x + 1 >= F", tag="USER",
                   inputs=dict(x=st.floats(0, 1)), params=dict(F=0.5),
                   tighten=dict(param="F", direction="largest", lo=0.01, hi=100.0))
    def lower(ctx, x, F):
        return certify.ge(x + 1.0, F)
""")


def test_run_with_tighten_puts_the_smallest_safe_constant_in_the_report(tmp_path):
    path = tmp_path / "tight_claims.py"
    path.write_text(TIGHTEN_CLAIMS)
    rep = tmp_path / "rep"
    r = certify("run", str(path), "--no-default", "--profile", "smoke", "--tighten", "--report", str(rep))
    assert r.returncode == 0, r.stderr
    recs = {c["id"]: c for c in json.loads((rep / "report.json").read_text())["claims"]}
    (up,) = recs["tightcli.upper"]["tighten"]
    assert up["param"] == "C" and up["direction"] == "smallest"
    assert 1.0 <= up["smallest_safe"] <= 1.1, up
    (low,) = recs["tightcli.lower"]["tighten"]
    assert low["direction"] == "largest" and 0.9 <= low["largest_safe"] <= 1.0, low


def test_tighten_command_keeps_the_declared_direction(tmp_path):
    path = tmp_path / "tight_claims.py"
    path.write_text(TIGHTEN_CLAIMS)
    r = certify("tighten", str(path), "tightcli.lower", "--param", "F", "--profile", "smoke", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    out = out[0] if isinstance(out, list) else out
    assert out["direction"] == "largest", out


# ----------------------------------------------------------------------------- inputs the report must hold
COMPLEX_CLAIMS = '''
import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
import certify


@certify.claim(id="cplx.array", statement=r"|z_0| \\le 2", tag="USER",
               inputs=dict(z=hnp.arrays(np.complex128, 2, elements=st.complex_numbers(max_magnitude=1))))
def complex_array(ctx, z):
    return certify.le(ctx.abs(z[0]), 2)


@certify.claim(id="cplx.plain", statement=r"x^2 \\ge 0", tag="USER", inputs=dict(x=st.floats(-10, 10)))
def plain(ctx, x):
    return certify.ge(ctx.num(x) * ctx.num(x), 0)
'''


def _run_claims_file(tmp_path, name, text):
    """Write `text` as the claim file `name`, run it at smoke (seed 0, one job): (file, report dir, result)."""
    path = tmp_path / name
    path.write_text(text)
    rep = tmp_path / "rep"
    r = certify("run", str(path), "--no-default", "--profile", "smoke", "--seed", "0", "--jobs", "1",
                "--report", str(rep), "--no-html", cwd=tmp_path)
    return path, rep, r


def test_a_complex_array_input_is_saved_and_the_run_finishes_every_claim(tmp_path):
    path, rep, r = _run_claims_file(tmp_path, "cplx_claims.py", COMPLEX_CLAIMS)
    assert "Traceback" not in r.stderr, r.stderr
    assert r.returncode == 0, r.stdout + r.stderr
    recs = {c["id"]: c for c in json.loads((rep / "report.json").read_text())["claims"]}
    assert set(recs) == {"cplx.array", "cplx.plain"}
    summ = recs["cplx.array"]["worst"]["instance"]["summary"]["z"]
    assert summ["dtype"] == "complex128" and all(isinstance(v, str) and v.endswith("j") for v in summ["values"])
    rp = certify("replay", str(rep), str(path), "cplx.array", cwd=tmp_path)
    assert rp.returncode == 0 and "Traceback" not in rp.stderr, rp.stdout + rp.stderr


UNWRITABLE_CLAIMS = '''
from hypothesis import strategies as st
import certify
import certify.report.instances as _instances

_describe = _instances.describe_instance


def _odd_describe(instance, inline_max=36):  # a summary that is not JSON data, as a certify bug would make
    out = _describe(instance, inline_max)
    if "w" in out:
        out["w"] = {"odd": {1, 2}}
    return out


_instances.describe_instance = _odd_describe


@certify.claim(id="unwritable.a", statement="w >= 0", tag="USER", inputs=dict(w=st.floats(0, 1)))
def a(ctx, w):
    return certify.ge(ctx.num(w), 0)


@certify.claim(id="unwritable.b", statement="x >= 0", tag="USER", inputs=dict(x=st.floats(0, 1)))
def b(ctx, x):
    return certify.ge(ctx.num(x), 0)
'''


def test_a_record_that_cannot_be_written_is_an_error_and_the_run_goes_on(tmp_path):
    _, rep, r = _run_claims_file(tmp_path, "unwritable_claims.py", UNWRITABLE_CLAIMS)
    assert "Traceback" not in r.stderr, r.stderr
    assert r.returncode == 1, r.stdout + r.stderr  # as for an error
    recs = {c["id"]: c for c in json.loads((rep / "report.json").read_text())["claims"]}
    assert recs["unwritable.b"]["status"] == "survived"
    bad = recs["unwritable.a"]
    assert bad["status"] == "error"
    assert "/worst/instance/summary/w/odd" in bad["reason"] and "set" in bad["reason"], bad["reason"]


def test_replay_of_an_error_claim_says_what_raised_in_one_line(run_dir, demo_path):
    d, _ = run_dir
    r = certify("replay", str(d / "a"), demo_path, "demo.raises")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "Traceback" not in r.stdout + r.stderr
    lines = [ln for ln in (r.stdout + r.stderr).splitlines() if ln.strip()]
    assert len(lines) == 1, lines
    assert "ZeroDivisionError" in lines[0] and "k=" in lines[0] and "field 'error'" in lines[0], lines[0]


RECORD_CLAIMS = '''
import collections
import dataclasses

from hypothesis import strategies as st

import certify


@dataclasses.dataclass
class Point:
    x: float
    y: float


Pair = collections.namedtuple("Pair", "x y")


class Plain:
    def __init__(self, x, y):
        self.x, self.y = x, y


WIDE = st.floats(-1e10, 1e10)


@certify.claim(id="rec.dataclass_cancel", statement="(x + y) - x >= y", inputs=dict(p=st.builds(Point, WIDE, WIDE)))
def dataclass_cancel(ctx, p):
    return certify.ge((p.x + p.y) - p.x, p.y)


@certify.claim(id="rec.namedtuple_cancel", statement="(x + y) - x >= y", inputs=dict(p=st.builds(Pair, WIDE, WIDE)))
def namedtuple_cancel(ctx, p):
    return certify.ge((p.x + p.y) - p.x, p.y)


@certify.claim(id="rec.plain_cancel", statement="(x + y) - x >= y", inputs=dict(p=st.builds(Plain, WIDE, WIDE)),
               expect="inconclusive")
def plain_cancel(ctx, p):
    return certify.ge((p.x + p.y) - p.x, p.y)


@certify.claim(id="rec.dataclass_false", statement="x y <= 0.999", expect="refuted",
               inputs=dict(p=st.builds(Point, st.floats(0, 1), st.floats(0, 1))))
def dataclass_false(ctx, p):
    return certify.le(p.x * p.y, 0.999)
'''


def test_inputs_built_as_dataclasses_namedtuples_and_objects_are_never_refuted_by_float64_rounding(tmp_path):
    """Regression: a dataclass input reached the reference unconverted, so `(x + y) - x >= y` (true) was refuted,
    "confirmed" by float64 arithmetic at every precision; a namedtuple input made the search raise (copying it
    passed a generator to its constructor); a dataclass counterexample could not be replayed (saved as a repr).
    Dataclass fields are converted now; an object whose attributes hold floats makes the reference unavailable."""
    path, rep, r = _run_claims_file(tmp_path, "rec_claims.py", RECORD_CLAIMS)
    assert "Traceback" not in r.stderr, r.stderr
    recs = {c["id"]: c for c in json.loads((rep / "report.json").read_text())["claims"]}
    assert recs["rec.dataclass_cancel"]["status"] == "survived"
    assert recs["rec.namedtuple_cancel"]["status"] == "survived"
    assert recs["rec.plain_cancel"]["status"] == "inconclusive"
    assert "whose attributes hold floats" in recs["rec.plain_cancel"]["reason"]
    assert recs["rec.dataclass_false"]["status"] == "refuted"
    assert r.returncode == 0, r.stdout + r.stderr
    rp = certify("replay", str(rep), str(path), "rec.dataclass_false", cwd=tmp_path)
    assert rp.returncode == 0 and "reproduced" in rp.stdout, rp.stdout + rp.stderr


FLOAT_RESULT_CLAIMS = '''
import math

from hypothesis import strategies as st

import certify


@certify.claim(id="fr.lgamma_sumlog", statement="lgamma(n + 1) = sum log k", expect="inconclusive",
               inputs=dict(n=st.integers(1, 300)))
def lgamma_sumlog(ctx, n):
    return certify.close(math.lgamma(n + 1), sum(math.log(k) for k in range(1, n + 1)), rtol=0)


@certify.claim(id="fr.big_ints_differ", statement="n + 1 = n (false)", expect="refuted",
               inputs=dict(n=st.integers(2**60, 2**61)))
def big_ints_differ(ctx, n):
    return certify.close(n + 1, n, rtol=0)
'''


def test_a_margin_computed_in_float64_from_integers_never_confirms_and_integer_sides_stay_exact(tmp_path):
    """Regression: with integer inputs (passed unchanged) and math.* in the body, both sides were float64 numbers
    under the reference too, so a rounding difference was "confirmed" and a true identity refuted; and integer
    sides were rounded to float64 by certify.le/ge/close themselves (2**60 + 1 == 2**60), hiding a violation."""
    path, rep, r = _run_claims_file(tmp_path, "fr_claims.py", FLOAT_RESULT_CLAIMS)
    assert "Traceback" not in r.stderr, r.stderr
    recs = {c["id"]: c for c in json.loads((rep / "report.json").read_text())["claims"]}
    assert recs["fr.lgamma_sumlog"]["status"] == "inconclusive", recs["fr.lgamma_sumlog"]["reason"]
    assert "reached the reference as float64 numbers" in recs["fr.lgamma_sumlog"]["reason"]
    assert recs["fr.big_ints_differ"]["status"] == "refuted"
    assert r.returncode == 0, r.stdout + r.stderr

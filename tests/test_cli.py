"""The `certify` command end to end (subprocesses, as a user runs it)."""

import json
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


def test_replay_reproduces_the_counterexample(run_dir):
    d, _ = run_dir
    r = certify("replay", str(d / "a"), "demo.false_sum_bound")
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


def test_replay_of_a_probability_counterexample(run_dir):
    d, _ = run_dir
    r = certify("replay", str(d / "a"), "demo.coin_false")
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
    assert r.returncode == 0  # inconclusive is not an unexpected refutation or an error

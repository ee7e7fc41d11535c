"""Workers die with their parent; exit codes read as words; report paths stay inside the report."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

import certify
from certify.paths import inside
from certify.procs import describe_exit


def test_exit_codes_name_signals():
    assert describe_exit(-11) == "killed by SIGSEGV"
    assert describe_exit(-9) == "killed by SIGKILL"
    assert describe_exit(3) == "exit code 3"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux-only")
def test_a_worker_dies_when_its_parent_is_killed(tmp_path):
    pidfile = tmp_path / "child.pid"
    script = textwrap.dedent(f"""
        import multiprocessing, os, time
        from certify.procs import die_with_parent

        def child(ppid):
            die_with_parent(ppid)
            open({str(pidfile)!r}, "w").write(str(os.getpid()))
            time.sleep(60)

        if __name__ == "__main__":
            p = multiprocessing.get_context("fork").Process(target=child, args=(os.getpid(),))
            p.start()
            time.sleep(60)
    """)
    parent = subprocess.Popen([sys.executable, "-c", script], env={**os.environ})
    deadline = time.monotonic() + 30
    while not pidfile.exists() or not pidfile.read_text():
        assert time.monotonic() < deadline, "the child never started"
        time.sleep(0.05)
    child = int(pidfile.read_text())
    parent.send_signal(signal.SIGKILL)
    parent.wait(10)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            return
        # a zombie re-parented to init is gone for our purposes once it no longer runs
        try:
            with open(f"/proc/{child}/stat") as fh:
                if fh.read().split()[2] == "Z":
                    return
        except FileNotFoundError:
            return
        time.sleep(0.05)
    os.kill(child, signal.SIGKILL)
    pytest.fail("the worker outlived its killed parent")


def test_report_paths_stay_inside(tmp_path):
    (tmp_path / "instances").mkdir()
    (tmp_path / "instances" / "a.npz").write_bytes(b"x")
    assert inside(tmp_path, "instances/a.npz") == (tmp_path / "instances" / "a.npz").resolve()
    for bad in ("../../../../etc/passwd", "/etc/passwd", "instances/../../x"):
        with pytest.raises(certify.InvalidArgument, match="outside the report directory"):
            inside(tmp_path, bad)
    (tmp_path / "instances" / "link.npz").symlink_to("/etc/passwd")
    with pytest.raises(certify.InvalidArgument, match="outside"):
        inside(tmp_path, "instances/link.npz")


def test_a_worker_finds_the_claims_file_not_a_same_named_module_earlier_on_its_path(tmp_path):
    # A Dask worker inherits the parent's sys.path; in the test session bench/known_truth.py came before
    # tests/demo/known_truth.py, and the workers imported the wrong file: every demo claim was UnknownClaim.
    stranger, home = tmp_path / "first", tmp_path / "second"
    stranger.mkdir(), home.mkdir()
    marker = tmp_path / "stranger_ran"
    (stranger / "twin.py").write_text(f"open({str(marker)!r}, 'w').write('ran')\n")
    (home / "twin.py").write_text(textwrap.dedent("""
        from hypothesis import strategies as st
        import certify

        @certify.claim(id="twin.square", source="derived", statement="x*x >= 0", tag="USER",
                       inputs=dict(x=st.floats(-1, 1)))
        def square(ctx, x):
            return x * x
    """))
    script = textwrap.dedent(f"""
        import sys
        sys.path[:0] = [{str(stranger)!r}, {str(home)!r}]
        from certify.registry import import_claim_home
        import certify
        import_claim_home("twin", {str(home / "twin.py")!r})
        c = certify.get_claim("twin.square")
        print(c.id, c.module)
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["twin.square", "twin"], "the claim's module is named as in the parent"
    assert not marker.exists(), "the same-named module earlier on sys.path was executed"

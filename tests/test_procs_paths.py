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

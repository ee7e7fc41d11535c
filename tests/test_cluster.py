"""The Dask executor against a real distributed.LocalCluster (2 worker processes on loopback)."""

import os
import signal
import sys
import textwrap
import time

import pytest

import certify
from certify.claim import load_path, select
from certify.runner import TIMING_FIELDS, ProcessExecutor, Task

distributed = pytest.importorskip("distributed", reason="the dask extra is part of the test extra")

from certify.cluster import DaskExecutor, require_distributed  # noqa: E402

pytestmark = pytest.mark.slow


def _task(cid, **kw):
    c = certify.get_claim(cid)
    return Task(claim_id=cid, module=c.module, path=c.path, profile="smoke", seed=0, **kw)


def _untimed(rec):
    if isinstance(rec, dict):
        return {k: _untimed(v) for k, v in rec.items() if k not in TIMING_FIELDS}
    if isinstance(rec, list):
        return [_untimed(v) for v in rec]
    return rec


@pytest.fixture(scope="module")
def cluster():
    ex = DaskExecutor(workers=2, warm=False)
    yield ex
    ex.close()


def test_dask_local_gives_the_records_of_local_processes(demo_path, cluster):
    load_path(demo_path)
    ids = ["demo.softmax_sums_to_one", "demo.softmax_lipschitz", "demo.softmax_lipschitz_wrong_constant"]
    ids = [i for i in ids if i in {c.id for c in select(["demo.*"])}]
    assert len(ids) >= 2
    local = {r["id"]: _untimed(r) for r in ProcessExecutor(2).run([_task(i) for i in ids])}
    remote = {r["id"]: _untimed(r) for r in cluster.run([_task(i) for i in ids])}
    assert remote == local


def test_running_the_same_tasks_twice_runs_them_twice(tmp_path, cluster):
    # task keys were "certify-<i>-<id>": a second run of the same tasks on the same client got the first
    # run's results back from the scheduler without running anything (a stale report after a code change)
    log = tmp_path / "runs.log"
    mod = tmp_path / "counted_claims.py"
    mod.write_text(textwrap.dedent(f"""
        import os
        from hypothesis import strategies as st
        import certify

        @certify.claim(id="counted.square", source="derived", statement="x*x >= 0", tag="USER",
                       inputs=dict(x=st.floats(-1, 1)))
        def square(ctx, x):
            with open({str(log)!r}, "a") as f:
                f.write(f"{{os.getpid()}}\\n")
            return x * x
    """))
    load_path(str(mod))
    list(cluster.run([_task("counted.square", examples=3)]))
    first = set(log.read_text().split())
    list(cluster.run([_task("counted.square", examples=3)]))
    assert set(log.read_text().split()) - first, "the second run did not evaluate the claim"


def test_a_worker_killed_mid_task_still_yields_every_record_once(tmp_path, cluster):
    slow = tmp_path / "slow_claims.py"
    slow.write_text(textwrap.dedent("""
        import time
        from hypothesis import strategies as st
        import certify

        @certify.claim(id="slowdemo.sleepy", source="derived", statement="x*x >= 0", tag="USER",
                       inputs=dict(x=st.floats(-1, 1)))
        def sleepy(ctx, x):
            time.sleep(0.05)
            return x * x

        @certify.claim(id="slowdemo.quick", source="derived", statement="x*x >= 0", tag="USER",
                       inputs=dict(x=st.floats(-1, 1)))
        def quick(ctx, x):
            return x * x
    """))
    load_path(str(slow))
    tasks = [_task("slowdemo.sleepy", examples=60, timeout=120.0), _task("slowdemo.quick", examples=10)]
    pids = cluster.client.run(os.getpid)
    gen = cluster.run(tasks)
    killed = []

    def kill_busy_worker():
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            for addr, keys in cluster.client.processing().items():
                if any("sleepy" in str(k) for k in keys) and addr in pids:
                    os.kill(pids[addr], signal.SIGKILL)
                    killed.append(addr)
                    return
            time.sleep(0.2)

    import threading

    th = threading.Thread(target=lambda: (time.sleep(1.0), kill_busy_worker()))
    th.start()
    records = list(gen)
    th.join()
    assert killed, "the test did not manage to kill the worker running the slow claim"
    ids = sorted(r["id"] for r in records)
    assert ids == ["slowdemo.quick", "slowdemo.sleepy"]
    assert all(r["status"] == "survived" for r in records), [(r["id"], r["status"], r.get("reason"))
                                                             for r in records]


def test_workers_are_warmed_for_the_runs_claims(demo_path):
    load_path(demo_path)
    with DaskExecutor(workers=1, warm=True) as ex:
        before = ex.client.run(lambda: sys.modules["certify.cluster"].WARMED if "certify.cluster" in sys.modules
                               else False)
        recs = list(ex.run([_task("demo.softmax_lipschitz")]))
        after = ex.client.run(lambda: sys.modules["certify.cluster"].WARMED)
    assert list(before.values()) == [False] and list(after.values()) == [True]
    assert recs[0]["status"] == "survived"


def test_an_unreachable_scheduler_is_one_line():
    with pytest.raises(certify.InvalidArgument, match="cannot reach a Dask scheduler"):
        DaskExecutor(scheduler="tcp://127.0.0.1:9", connect_timeout=2)


def test_without_distributed_the_error_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(certify.InvalidArgument, match=r"pip install"):
        require_distributed()


def test_sharded_runs_merge_to_the_same_record_on_processes_and_dask(demo_path, cluster, tmp_path):
    from certify.runner import merge_shards, shard_tasks

    load_path(demo_path)
    base = _task("demo.softmax_lipschitz", report_dir=str(tmp_path / "a"))
    local = list(merge_shards(ProcessExecutor(2).run(shard_tasks(base, 3)), 3))
    base_b = _task("demo.softmax_lipschitz", report_dir=str(tmp_path / "b"))
    remote = list(merge_shards(cluster.run(shard_tasks(base_b, 3)), 3))
    assert len(local) == len(remote) == 1
    strip = lambda r: {k: v for k, v in _untimed(r).items() if k not in ("worst", "counterexample", "replay")}  # noqa: E731
    assert strip(local[0]) == strip(remote[0])
    assert [s["index"] for s in local[0]["shards"]] == [0, 1, 2]
    assert local[0]["examples"] == sum(s["examples"] for s in local[0]["shards"])


def test_one_shard_is_the_unsharded_task(demo_path):
    from certify.runner import shard_tasks

    load_path(demo_path)
    t = _task("demo.softmax_lipschitz")
    assert shard_tasks(t, 1) == [t]


SLOW_CLAIMS = textwrap.dedent("""
    import time
    from hypothesis import strategies as st
    import certify

    for _i in range(4):
        def _body(ctx, x, _i=_i):
            time.sleep(0.02 * (1 + _i))
            return x * x
        certify.claim(id=f"slowrun.c{_i}", source="derived", statement="x*x >= 0", tag="USER",
                      inputs=dict(x=st.floats(-1, 1)))(_body)
""")


def _cli(*args, **kw):
    import subprocess

    return subprocess.Popen([sys.executable, "-m", "certify", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kw)


def _records(path):
    import json

    p = path / "results.jsonl"
    return [json.loads(line) for line in p.read_text().splitlines() if line.strip()] if p.exists() else []


def test_resume_after_killing_the_client_keeps_every_finished_claim(tmp_path):
    claims = tmp_path / "slow_claims.py"
    claims.write_text(SLOW_CLAIMS)
    rep = tmp_path / "rep"
    args = ["run", str(claims), "--no-default", "--profile", "smoke", "--budget", "40", "--report", str(rep),
            "--executor", "dask-local", "--workers", "1"]
    proc = _cli(*args, start_new_session=True)
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and len(_records(rep)) < 1 and proc.poll() is None:
        time.sleep(0.2)
    finished = {r["id"] for r in _records(rep)}
    os.killpg(proc.pid, signal.SIGKILL)  # the client and the LocalCluster it started
    proc.wait(timeout=30)
    assert finished, "no claim finished before the kill"
    out = _cli(*args, "--resume")
    stdout, stderr = out.communicate(timeout=600)
    assert out.returncode == 0, stderr
    ids = [r["id"] for r in _records(rep)]
    assert sorted(set(ids)) == [f"slowrun.c{i}" for i in range(4)]
    assert len(ids) == len(set(ids)), ids  # every claim recorded once
    assert finished <= set(ids)


def test_the_scheduler_going_away_ends_the_run_with_one_line_and_results_kept(tmp_path):
    claims = tmp_path / "slow_claims.py"
    claims.write_text(SLOW_CLAIMS.replace("0.02 * (1 + _i)", "0.02 * (1 + 10 * _i)"))
    rep = tmp_path / "rep"
    sched = _cli_scheduler()
    try:
        proc = _cli("run", str(claims), "--no-default", "--profile", "smoke", "--budget", "40", "--report",
                    str(rep), "--executor", "dask", "--scheduler", sched.scheduler_address)
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and len(_records(rep)) < 1 and proc.poll() is None:
            time.sleep(0.2)
        kept = {r["id"] for r in _records(rep)}
        sched.close()
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        sched.close()
    assert kept, "no claim finished before the scheduler went away"
    assert proc.returncode == 2, (stdout, stderr)
    lines = [ln for ln in stderr.strip().splitlines() if ln.startswith("certify")]
    assert len(lines) == 1 and "--resume" in lines[0], stderr
    assert "Traceback" not in stderr
    assert kept <= {r["id"] for r in _records(rep)}


def _cli_scheduler():
    """A LocalCluster of one worker process in this test process; its address for the CLI."""
    return distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1",
                                    dashboard_address=None)

"""Run a certification's tasks on a Dask distributed cluster.

Contract: `DaskExecutor` has the executor interface of `certify.runner` — `run(tasks, progress)` yields one
report record per task, in completion order — so the CLI, the results file, the report and `--resume` are
the same as with local processes. Each task runs on a worker inside a forked child process with the task's
hard timeout, exactly as `ProcessExecutor` runs it locally, so a claim that hangs is still cut on the worker
and a worker never carries state from one claim to the next.

Where the claim code comes from: catalogue claims are imported by module name, so every worker needs
certify (and the `theorems` package) installed; claims from a user's file are loaded from the task's `path`,
which must be visible to every worker at the same path (a shared file system, or the same machine for
`dask-local`). The file is not shipped over the network: a scheduler runs only code its workers already see.

Resilience comes from Dask itself: a worker that dies mid-task (killed, out of memory) loses its task to the
scheduler, which reruns it on another worker (up to `allowed_failures` times); the record is yielded once,
when its future completes. A scheduler that goes away ends the run with a `ClusterLost` error after the
records already yielded (which the caller has written).
"""

from __future__ import annotations

import uuid
from typing import Callable, Iterator

from .errors import CertifyError, InvalidArgument

__all__ = ["DaskExecutor", "ClusterLost", "run_isolated", "require_distributed"]

INSTALL_HINT = "pip install 'certify[dask]'  (or: pip install 'dask[distributed]')"


class ClusterLost(CertifyError):
    """The Dask scheduler or every worker went away during a run; finished records are kept."""


def _first_line(exc) -> str:
    """distributed's messages run over several lines; a CLI error is one."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def require_distributed():
    """Import `distributed` or raise a one-line InvalidArgument that says how to install it."""
    try:
        import distributed
    except ImportError:
        raise InvalidArgument(f"--executor dask needs Dask distributed, which is not installed; {INSTALL_HINT}") \
            from None
    return distributed


def run_isolated(task) -> dict:
    """Run one task in a forked child of this (worker) process, with its hard timeout; return its record.

    The child isolates the worker from a claim that segfaults, hangs or leaks memory: the worker survives
    and the record says what happened (`error` or `inconclusive`), as under `ProcessExecutor`.
    """
    import multiprocessing

    from .runner import ProcessExecutor

    me = multiprocessing.current_process()
    if me.daemon:
        # Dask starts workers as daemonic processes unless `distributed.worker.daemon` is False, and
        # multiprocessing refuses children of daemons. The child is ours to clean up (joined or killed by
        # ProcessExecutor before this returns), and the nanny ends the worker's process group anyway.
        me._config["daemon"] = False  # noqa: SLF001 - no public switch exists
    records = list(ProcessExecutor(1).run([task]))
    return records[-1]


WARMED = False  # set on a worker once it has compiled the kernels its run's claims use


def _warm_worker(claims: list[tuple[str, str, str]]) -> bool:
    """Compile, once per worker, the kernels the run's claims use: evaluate each claim once in float64.

    Forked task processes inherit the compiled code, so compile time never counts against a claim's budget or
    timeout; with numba's on-disk cache a second run's warm-up only loads.
    """
    global WARMED
    import warnings

    import numpy as np
    from hypothesis import strategies as st
    from hypothesis.errors import NonInteractiveExampleWarning

    from .claim import get_claim, import_claim_home
    from .confirm import evaluate
    from .context import fp

    for module, path, cid in claims:
        try:
            import_claim_home(module, path)
            c = get_claim(cid)
            if c.kind == "scaling" or not c.inputs:
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", NonInteractiveExampleWarning)
                instance = st.fixed_dictionaries(c.inputs).example()
            if not c.check_assume(instance):
                continue
            rng = (lambda: np.random.default_rng(0)) if c.takes_rng else None
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                evaluate(c, fp, instance, rng)
        except Exception:  # noqa: BLE001 - warming is best effort; the task itself reports any failure
            continue
    WARMED = True
    return WARMED


class DaskExecutor:
    """Submit a run's tasks to a Dask cluster: an existing one (`scheduler`) or a LocalCluster of `workers`.

    Parameters
    ----------
    scheduler:
        Address of a running scheduler, e.g. ``"tcp://10.0.0.5:8786"``. Mutually exclusive with `workers`.
    workers:
        Start a `distributed.LocalCluster` of this many single-threaded worker processes on loopback for this
        run, closed by `close()`.
    warm:
        Compile the kernels on every worker before the first task (default True).
    """

    def __init__(self, scheduler: str | None = None, workers: int | None = None, warm: bool = True,
                 connect_timeout: float = 30.0):
        distributed = require_distributed()
        if (scheduler is None) == (workers is None):
            raise InvalidArgument("DaskExecutor: pass exactly one of scheduler= (an address such as "
                                  "tcp://HOST:8786) or workers= (a LocalCluster size)")
        self.cluster = None
        if workers is not None:
            if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
                raise InvalidArgument(f"--workers: bad value {workers!r}; pass a positive integer")
            import dask

            with dask.config.set({"distributed.worker.daemon": False}):
                self.cluster = distributed.LocalCluster(
                    n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                    dashboard_address="127.0.0.1:0", silence_logs=50)
            address = self.cluster.scheduler_address
        else:
            if not isinstance(scheduler, str) or not scheduler.strip():
                raise InvalidArgument(f"--scheduler: bad value {scheduler!r}; pass an address such as "
                                      "tcp://HOST:8786")
            address = scheduler
        try:
            self.client = distributed.Client(address, timeout=connect_timeout)
        except (OSError, TimeoutError) as exc:
            self.close()
            raise InvalidArgument(f"--scheduler: cannot reach a Dask scheduler at {address!r} ({exc}); "
                                  "start one (`dask scheduler`) or check the address") from None
        self.warm = warm

    def run(self, tasks: list, progress: Callable | None = None) -> Iterator[dict]:
        from distributed import as_completed

        if self.warm:
            self.warm_up(tasks)
        # a key of its own per run: the scheduler hands a known key's result back without running it, so the
        # same tasks submitted again (a second run on this client) would silently get the first run's records
        run = uuid.uuid4().hex[:12]
        # the scheduler starts tasks in the order given (certify.schedule: the longest first), also when they
        # outnumber the workers many times over
        futures = [self.client.submit(run_isolated, t, key=f"certify-{run}-{i}-{t.claim_id}", pure=False,
                                      priority=len(tasks) - i)
                   for i, t in enumerate(tasks)]
        try:
            for fut in as_completed(futures):
                yield fut.result()
        except (OSError, TimeoutError) as exc:
            raise ClusterLost(f"the Dask scheduler went away during the run "
                              f"({type(exc).__name__}: {_first_line(exc)}); "
                              "finished claims are kept, continue with --resume") from None
        except Exception as exc:  # distributed's CancelledError / KilledWorker and friends
            name = type(exc).__name__
            if name in ("CancelledError", "KilledWorker", "CommClosedError", "FutureCancelledError"):
                raise ClusterLost(f"the Dask cluster lost the run ({name}: {_first_line(exc)}); "
                                  "finished claims are kept, "
                                  "continue with --resume") from None
            raise
        finally:
            for f in futures:
                if not f.done():
                    f.cancel()

    def warm_up(self, tasks: list) -> None:
        """Import the tasks' claims and compile their kernels on every worker, now and on any worker that
        (re)starts later; tasks forked from a warm worker start with the compiled code."""
        claims = sorted({(t.module, t.path, t.claim_id) for t in tasks})
        if claims and claims != getattr(self, "_warmed", None):
            self.client.register_plugin(_WarmupPlugin(claims), name="certify-warmup")
            self._warmed = claims

    def close(self) -> None:
        client = getattr(self, "client", None)
        if client is not None:
            client.close()
        if self.cluster is not None:
            self.cluster.close()
            self.cluster = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _make_plugin_class():
    try:
        from distributed import WorkerPlugin
    except ImportError:
        WorkerPlugin = object  # noqa: N806 - without distributed the class is never used

    class _Plugin(WorkerPlugin):  # type: ignore[misc, valid-type]
        """Warms a worker's kernels for the run's claims when registered and whenever a worker (re)starts."""

        def __init__(self, claims):
            self.claims = list(claims)

        def setup(self, worker):
            _warm_worker(self.claims)

    return _Plugin


_WarmupPlugin = _make_plugin_class()

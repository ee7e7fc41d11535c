"""Worker processes that die with their parent, and exit statuses in words.

Contract: `die_with_parent()` is called first thing in a forked worker; on Linux it asks the kernel to send
the worker SIGKILL when its parent dies (prctl PR_SET_PDEATHSIG), so `kill -9` of `certify run` — or the
SIGTERM that `timeout` and a CI cancel send, which the CLI turns into killing its workers before it exits —
leaves no worker running. Elsewhere it is a no-op and the parent's own cleanup is the only guard.
`describe_exit(code)` turns a multiprocessing exit code into "exit code 3" or "killed by SIGSEGV".
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

__all__ = ["die_with_parent", "describe_exit"]

_PR_SET_PDEATHSIG = 1


def die_with_parent(parent_pid: int | None = None) -> bool:
    """Ask for SIGKILL when the parent dies; True if the kernel took the request."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        ok = libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False
    # the parent may have died between fork and prctl: then we were already re-parented
    if ok and parent_pid is not None and os.getppid() != parent_pid:
        os._exit(1)
    return ok


def describe_exit(code: int | None) -> str:
    if code is None:
        return "still running"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"

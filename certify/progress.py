"""Progress of `certify run`: one overall bar and a live line per running claim, or plain lines.

Contract: `RunProgress(total, mode)` with mode "rich" (a terminal: a `rich` live display with the overall bar
-- claims done / total, elapsed, ETA -- and one line per running claim: examples so far, worst relative
margin so far, seconds left before its hard timeout), "plain" (one line per progress event and per finished
claim, for logs and pipes) or "quiet" (nothing). `choose_mode(quiet)` picks rich only when both stdout and
stderr are terminals. Calls: `started(claim_id, started_at, timeout)`, `update(claim_id, examples, worst)`,
`finished(line)` with the claim's result line; use it as a context manager.
"""

from __future__ import annotations

import sys
import threading
import time

__all__ = ["RunProgress", "choose_mode"]


def choose_mode(quiet: bool) -> str:
    if quiet:
        return "quiet"
    return "rich" if sys.stdout.isatty() and sys.stderr.isatty() else "plain"


class _Running:
    """The live lines of the running claims, rendered afresh on every refresh (so the countdown ticks)."""

    def __init__(self):
        self.claims: dict[str, dict] = {}
        self.lock = threading.Lock()

    def __rich__(self):
        from rich.table import Table

        table = Table.grid(padding=(0, 2))
        now = time.monotonic()
        with self.lock:
            rows = sorted(self.claims.items(), key=lambda kv: kv[1]["started"])
        for cid, st in rows:
            worst = "-" if st["worst"] is None else f"{st['worst']:+.3g}"
            left = "" if st["timeout"] is None else f"{max(0.0, st['timeout'] - (now - st['started'])):.0f} s left"
            table.add_row(f"  {cid}", f"{st['examples']} examples", f"worst rel margin {worst}", left)
        return table


class RunProgress:
    def __init__(self, total: int, mode: str = "plain", console=None):
        if mode not in ("rich", "plain", "quiet"):
            raise ValueError(f"RunProgress: bad mode={mode!r}; use 'rich', 'plain' or 'quiet'")
        self.total, self.mode = total, mode
        self.done = 0
        self._console = console
        self._live = None
        self._running = _Running()

    def __enter__(self):
        if self.mode == "rich":
            from rich.console import Console, Group
            from rich.live import Live
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            console = self._console or Console(stderr=True)
            self._bar = Progress(TextColumn("claims"), BarColumn(), MofNCompleteColumn(), TextColumn("elapsed"),
                                 TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(), console=console)
            self._task = self._bar.add_task("claims", total=self.total)
            self._live = Live(Group(self._bar, self._running), console=console, refresh_per_second=4,
                              transient=True)
            self._live.__enter__()
        return self

    def __exit__(self, *exc):
        if self._live is not None:
            self._live.__exit__(*exc)
            self._live = None

    def started(self, claim_id: str, started_at: float, timeout: float | None) -> None:
        with self._running.lock:
            self._running.claims[claim_id] = {"started": started_at, "timeout": timeout, "examples": 0,
                                              "worst": None}

    def update(self, claim_id: str, examples: int, worst: float | None) -> None:
        if self.mode == "plain":
            w = "-" if worst is None else f"{worst:+.3g}"
            print(f"  .. {claim_id}: {examples} examples, worst relative margin {w}", file=sys.stderr, flush=True)
            return
        with self._running.lock:
            st = self._running.claims.setdefault(
                claim_id, {"started": time.monotonic(), "timeout": None, "examples": 0, "worst": None})
            st["examples"], st["worst"] = examples, worst

    def finished(self, claim_id: str, line: str) -> None:
        self.done += 1
        with self._running.lock:
            self._running.claims.pop(claim_id, None)
        if self.mode == "plain":
            print(line, file=sys.stderr, flush=True)
        elif self.mode == "rich":
            self._bar.update(self._task, completed=self.done)
            self._live.console.print(line, markup=False, highlight=False)

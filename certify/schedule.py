"""The order in which a run hands its tasks to the workers: the longest first.

A run ends when its last task does. With more tasks than workers, a long claim that happens to start last
keeps one worker busy while the others have nothing left to do; on a cluster of many workers that tail is a
large part of the wall time. Starting the longest tasks first (Graham's LPT rule) leaves only short tasks for
the end, so the workers finish close together.

How long a claim takes is known from earlier runs: every `certify run` records the duration of each claim it
ran in ``.certify/durations.json`` under the working directory (like Hypothesis' ``.hypothesis/``; the
environment variable ``CERTIFY_STORAGE_DIRECTORY`` moves it), per profile. Claims never timed go first, in the
order given (nothing says they are short). The order changes no result: each task is independent and seeded
by itself, and the report is sorted by claim id. The file is a cache: unreadable or unwritable, it is ignored.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Iterable

__all__ = ["longest_first", "load_durations", "record_durations", "durations_file"]

_FILE = "durations.json"


def durations_file() -> Path:
    return Path(os.environ.get("CERTIFY_STORAGE_DIRECTORY") or ".certify") / _FILE


def load_durations(profile: str) -> dict[str, float]:
    """{claim id: seconds} from earlier runs at `profile`; {} when there is no usable file."""
    try:
        data = json.loads(durations_file().read_text())
        known = data.get(profile, {}) if isinstance(data, dict) else {}
        return {k: float(v) for k, v in known.items()
                if isinstance(k, str) and isinstance(v, (int, float)) and math.isfinite(v) and v >= 0}
    except (OSError, ValueError, TypeError, AttributeError):
        return {}


def record_durations(profile: str, records: Iterable[dict]) -> None:
    """Merge the finished records' `duration_s` into the file (best effort: a cache, never an error)."""
    new = {r["id"]: float(r["duration_s"]) for r in records
           if isinstance(r.get("id"), str) and isinstance(r.get("duration_s"), (int, float))
           and math.isfinite(r["duration_s"])}
    if not new:
        return
    path = durations_file()
    try:
        data = json.loads(path.read_text()) if path.exists() else {}
        if not isinstance(data, dict):
            data = {}
    except (OSError, ValueError):
        data = {}
    known = data.get(profile) if isinstance(data.get(profile), dict) else {}
    data[profile] = {**known, **new}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{_FILE}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data, indent=0, sort_keys=True, allow_nan=False) + "\n")
        os.replace(tmp, path)   # a concurrent run's write is lost at worst, never half-written
    except OSError:
        pass


def longest_first(tasks: list, known: dict[str, float]) -> list:
    """`tasks` reordered: those whose claim was never timed first (as given), then by known duration, longest
    first; ties keep the given order. Shards of one claim stay together (they share the claim's duration)."""
    order = {id(t): i for i, t in enumerate(tasks)}
    return sorted(tasks, key=lambda t: (t.claim_id in known, -known.get(t.claim_id, 0.0), order[id(t)]))

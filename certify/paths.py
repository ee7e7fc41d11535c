"""Paths named inside a report stay inside the report.

Contract: `inside(root, name)` resolves `name` (a path read from report.json or an instance .json) against
the report directory `root` and returns it only if the resolved path — symlinks followed — lies inside
`root`; anything else (absolute paths, `..`, a symlink out) raises InvalidArgument naming the path. Every
reader of report-provided paths (HTML embedding, replay, instance loading) goes through it.
"""

from __future__ import annotations

from pathlib import Path

from .errors import InvalidArgument

__all__ = ["inside"]


def inside(root: str | Path, name: str | Path, what: str = "instance file") -> Path:
    base = Path(root).resolve()
    if not isinstance(name, (str, Path)) or str(name) == "":
        raise InvalidArgument(f"{what}: bad path {name!r} in the report; expected a path inside {str(base)!r}")
    p = Path(name)
    target = (p if p.is_absolute() else base / p).resolve()
    if target != base and base not in target.parents:
        raise InvalidArgument(f"{what}: {str(name)!r} points outside the report directory {str(base)!r}; "
                              "the report may have been tampered with, so it is not read")
    return target

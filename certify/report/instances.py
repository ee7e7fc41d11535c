"""Saving and loading instances: `.npz` (loaded with allow_pickle=False) plus a JSON description.

Replay never depends on Hypothesis: an instance is a dict of arrays, numbers, strings and nested dicts.
Nested keys are flattened with '/' in the npz; the JSON `layout` says how to rebuild each leaf.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["save_instance", "load_instance", "describe_instance"]


def _flatten(value, prefix, arrays, layout):
    if isinstance(value, dict):
        layout[prefix or "/"] = {"type": "dict", "keys": list(value)}
        for k, v in value.items():
            _flatten(v, f"{prefix}/{k}" if prefix else str(k), arrays, layout)
        return
    if hasattr(value, "toarray") and type(value).__module__.startswith("scipy.sparse"):
        arrays[prefix] = np.asarray(value.toarray())
        layout[prefix] = {"type": "sparse_csr"}
    elif isinstance(value, np.ndarray):
        if value.dtype == object:
            arrays[prefix] = np.vectorize(float, otypes=[float])(value)
            layout[prefix] = {"type": "ndarray", "from": "mpf"}
        else:
            arrays[prefix] = value
            layout[prefix] = {"type": "ndarray"}
    elif isinstance(value, (bool, np.bool_)):
        layout[prefix] = {"type": "bool", "value": bool(value)}
    elif isinstance(value, (int, np.integer)):
        layout[prefix] = {"type": "int", "value": int(value)}
    elif isinstance(value, (float, np.floating)):
        arrays[prefix] = np.asarray(float(value))
        layout[prefix] = {"type": "float"}
    elif isinstance(value, str):
        layout[prefix] = {"type": "str", "value": value}
    elif value is None:
        layout[prefix] = {"type": "none"}
    elif isinstance(value, (list, tuple)):
        arrays[prefix] = np.asarray(value)
        layout[prefix] = {"type": "list"}
    else:
        try:
            arrays[prefix] = np.asarray(float(value))
            layout[prefix] = {"type": "float", "from": type(value).__name__}
        except (TypeError, ValueError):
            layout[prefix] = {"type": "repr", "value": repr(value)}


def save_instance(instance: dict, path_stem: Path, extra: dict | None = None) -> dict:
    """Write `<stem>.npz` and `<stem>.json`; return the JSON description (relative file names)."""
    path_stem = Path(path_stem)
    path_stem.parent.mkdir(parents=True, exist_ok=True)
    arrays: dict = {}
    layout: dict = {}
    for k, v in instance.items():
        _flatten(v, str(k), arrays, layout)
    np.savez(str(path_stem) + ".npz", **arrays)
    desc = {"npz": path_stem.name + ".npz", "layout": layout, "summary": describe_instance(instance)}
    if extra:
        desc.update(extra)
    from . import jsonio

    with open(str(path_stem) + ".json", "w") as fh:
        jsonio.dump(desc, fh, indent=1, default=_default)
    return desc


def _default(o):
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    return repr(o)


def load_instance(path_stem: Path) -> tuple[dict, dict]:
    path_stem = Path(str(path_stem).removesuffix(".npz").removesuffix(".json"))
    from . import jsonio

    with open(str(path_stem) + ".json") as fh:
        desc = jsonio.load(fh)
    with np.load(str(path_stem) + ".npz", allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    layout = desc["layout"]

    def build(key):
        spec = layout[key]
        t = spec["type"]
        if t == "dict":
            return {k: build(f"{key}/{k}" if key != "/" else k) for k in spec["keys"]}
        if t == "ndarray":
            return arrays[key]
        if t == "sparse_csr":
            import scipy.sparse as sp

            return sp.csr_matrix(arrays[key])
        if t == "float":
            return float(arrays[key])
        if t == "list":
            return arrays[key].tolist()
        if t in ("bool", "int", "str"):
            return spec["value"]
        if t == "none":
            return None
        raise ValueError(f"cannot rebuild instance leaf {key!r} of type {t!r}")

    top = [k for k in layout if "/" not in k and k != "/"]
    return {k: build(k) for k in top}, desc


def describe_instance(instance: dict, inline_max: int = 36) -> dict:
    """A short, deterministic JSON description: shapes, norms, and small arrays inline."""
    out = {}
    for k, v in instance.items():
        out[k] = _describe(v, inline_max)
    return out


def _fl(x):
    return float(x)  # non-finite values stay floats: the JSON writer notes them (never strings)


def _describe(v, inline_max):
    if isinstance(v, dict):
        return {k: _describe(x, inline_max) for k, x in v.items()}
    if hasattr(v, "toarray") and type(v).__module__.startswith("scipy.sparse"):
        return {"sparse": True, "shape": list(v.shape), "nnz": int(v.nnz)}
    if isinstance(v, np.ndarray):
        a = np.vectorize(float, otypes=[float])(v) if v.dtype == object else v
        d = {"shape": list(a.shape), "dtype": str(a.dtype)}
        if a.size and a.dtype.kind in "fiu":
            d["max_abs"] = _fl(np.max(np.abs(a)))
            if a.ndim == 2 and a.dtype.kind == "f" and np.all(np.isfinite(a)) and min(a.shape) > 0:
                s = np.linalg.svd(a, compute_uv=False)
                d["norm2"] = _fl(s[0])
                d["sigma_min"] = _fl(s[-1])
        if a.size <= inline_max:
            d["values"] = [_fl(x) if a.dtype.kind == "f" else x for x in a.reshape(-1).tolist()]
        return d
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return _fl(v)
    if isinstance(v, str) or v is None:
        return v
    try:
        return _fl(v)
    except (TypeError, ValueError):
        return repr(v)

"""Small helpers for numpy object arrays of mpf, bound to an explicit `mpmath.MPContext`."""

from __future__ import annotations

import numpy as np


def to_mp(mpm, x):
    """Convert a number or a (nested) list, tuple or array to mpf (object arrays), exactly: floats are binary,
    and mpf of this context (also inside lists and object arrays) are kept as they are."""
    if isinstance(x, (list, tuple)):
        x = np.array(x, dtype=object)
    if isinstance(x, np.ndarray):
        out = np.empty(x.shape, dtype=object)
        flat_in, flat_out = x.reshape(-1), out.reshape(-1)
        for i in range(flat_in.size):
            flat_out[i] = _scalar(mpm, flat_in[i])
        return out
    if isinstance(x, (bool, np.bool_)):
        return x
    return _scalar(mpm, x)


def _scalar(mpm, v):
    if isinstance(v, mpm.mpf):
        return v
    if isinstance(v, (bool, np.bool_, int, np.integer)):
        return mpm.mpf(int(v))
    if isinstance(v, (float, np.floating)):
        return mpm.mpf(float(v))
    if isinstance(v, (list, tuple, np.ndarray)):
        raise ValueError(f"to_mp: ragged nesting ({type(v).__name__} where a number was expected)")
    return mpm.mpf(v)


def to_float(x):
    """Convert an mpf or object array back to float64 (rounded)."""
    if isinstance(x, np.ndarray):
        return np.vectorize(float, otypes=[float])(x) if x.size else x.astype(float)
    return float(x)


def mp_zeros(mpm, shape):
    out = np.empty(shape, dtype=object)
    out.reshape(-1)[:] = [mpm.mpf(0)] * out.size
    return out


def mp_eye(mpm, n):
    out = mp_zeros(mpm, (n, n))
    for i in range(n):
        out[i, i] = mpm.mpf(1)
    return out


def to_matrix(mpm, a):
    """numpy object array (1-D or 2-D) -> mpmath matrix of this context."""
    a = np.asarray(a, dtype=object)
    if a.ndim == 1:
        a = a.reshape(-1, 1)
    return mpm.matrix(a.tolist())


def from_matrix(m, shape=None):
    """mpmath matrix -> numpy object array (2-D, or the given shape)."""
    out = np.empty((m.rows, m.cols), dtype=object)
    for i in range(m.rows):
        for j in range(m.cols):
            out[i, j] = m[i, j]
    return out.reshape(shape) if shape is not None else out

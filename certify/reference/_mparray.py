"""Small helpers for numpy object arrays of mpf, bound to an explicit `mpmath.MPContext`."""

from __future__ import annotations

import numpy as np


def to_mp(mpm, x):
    """Convert a number or array to mpf (object arrays), exactly (floats are binary, so exact)."""
    if isinstance(x, np.ndarray):
        if x.dtype == object:
            out = np.empty(x.shape, dtype=object)
            flat_in, flat_out = x.reshape(-1), out.reshape(-1)
            for i in range(flat_in.size):
                flat_out[i] = mpm.mpf(flat_in[i])
            return out
        out = np.empty(x.shape, dtype=object)
        flat_in, flat_out = x.reshape(-1), out.reshape(-1)
        for i in range(flat_in.size):
            flat_out[i] = mpm.mpf(float(flat_in[i]))
        return out
    if isinstance(x, (list, tuple)):
        return to_mp(mpm, np.asarray(x, dtype=float))
    if isinstance(x, (bool, np.bool_)):
        return x
    if isinstance(x, (int, np.integer)):
        return mpm.mpf(int(x))
    return mpm.mpf(x)


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

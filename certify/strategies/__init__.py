"""Hypothesis strategies for structured matrices and instances.

Built constructively: Hypothesis draws the *structure* (sizes, spectrum, scale, pattern, an integer seed)
and a seeded numpy Generator fills the entries, so shrinking acts on the structure and large arrays cost
little to generate. Small vectors are drawn element-wise (they shrink entry by entry). Every strategy
reaches the boundary of its set: norms exactly at the bound, condition numbers at their maximum,
near-singular spectra, exact and near duplicates, saturation.

Each strategy carries a membership test (`certify_contains`), which the refinement phase uses to keep
perturbed instances inside the hypotheses; inputs from strategies without one are held fixed.

Arguments are validated eagerly, with messages that say how to fix them. Sizes are given as an int
``n`` (exactly n) or an inclusive ``(min, max)`` tuple; the drawn size is shrunk towards ``min``.

Example (a claim over two vectors of one length and a matrix with a prescribed condition number)::

    from certify import strategies as cst

    inputs = dict(u=cst.vectors(n=4, bound=5.0), v=cst.vectors(n=4, bound=5.0),
                  A=cst.with_condition(rows=(3, 10), cols=(1, 3), cond=(1.0, 1e6)))
"""

from __future__ import annotations

import functools
import math
from typing import Callable

import numpy as np
from hypothesis import strategies as st

from ._validate import fail, int_range, positive

__all__ = [
    "sizes", "floats", "vectors", "matrices", "with_singular_values", "with_condition", "spectral_norm_ball",
    "symmetric", "pd_matrices", "gram_factors", "near_duplicate_rows", "sparse_matrices", "simplex_points",
    "refinable", "contains", "project", "seeds", "positive_floats", "log_uniform",
]

_SMALL = 16  # up to this many entries, draw element-wise


def refinable(strategy, contains: Callable | None, project: Callable | None = None, *,
              dense: tuple | None = None):
    """Make `strategy` movable by refinement; returns the same strategy object.

    * ``contains(value) -> bool`` -- membership of the strategy's set (None: refinement holds the input
      fixed). A test that raises counts as "not a member".
    * ``project(value) -> value`` -- optional: pulls a perturbed value back into the set (clip to a box,
      rescale into a ball); refinement rejects what is still outside after projecting.
    * ``dense=(strategy, encode)`` -- optional: a strategy drawing values of the same set with every entry a
      float choice of its own, and ``encode(value) -> choices`` (the choice sequence by which it draws `value`,
      or None): choice-space refinement then moves every entry, also those the strategy draws as edge values
      or fills from a seed.

    Example::

        ball = cst.refinable(my_strategy, lambda x: np.linalg.norm(x) <= 1, lambda x: x / max(1, np.linalg.norm(x)))
    """
    strategy.certify_contains = contains
    if project is not None:
        strategy.certify_project = project
    if dense is not None:
        strategy.certify_dense = dense
    return strategy


def project(strategy, value):
    """The strategy's projection of `value` into its set (the value itself when there is none)."""
    proj = getattr(strategy, "certify_project", None)
    if proj is None:
        return value
    try:
        return proj(value)
    except Exception:  # noqa: BLE001 - a failing projector leaves the value to the membership test
        return value


def contains(strategy, value) -> bool | None:
    """Membership of `value` in the strategy's set (None when the strategy does not know)."""
    test = getattr(strategy, "certify_contains", None)
    if test is None:
        return None
    try:
        return bool(test(value))
    except Exception:  # noqa: BLE001 - a failing membership test means "not a member"
        return False


def seeds():
    """Integer seeds in [0, 2^32): the structure a strategy draws to fill large arrays from numpy."""
    return st.integers(min_value=0, max_value=2**32 - 1)


def sizes(n=(1, 8)):
    """Integers in ``n`` (an int or an inclusive (min, max) tuple, min >= 0), e.g. a dimension input::

        inputs = dict(d=cst.sizes((1, 64)))
    """
    lo, hi = int_range("sizes", "n", n)
    return st.integers(lo, hi)


def log_uniform(lo: float, hi: float):
    """Floats spread evenly in log scale over [lo, hi] (0 < lo <= hi, finite), the endpoints drawn as such
    (they are boundary cases); ``lo == hi`` is the constant. Not refinable (use `floats` for an input that
    refinement should move)::

        inputs = dict(eps=cst.log_uniform(1e-8, 1e-1))
    """
    lo_, hi_ = positive("log_uniform", "lo", lo, False), positive("log_uniform", "hi", hi, False)
    if hi_ < lo_:
        fail("log_uniform", "hi", hi, f"need hi >= lo={lo}")
    if hi_ == lo_:
        return st.just(lo_)
    expo = st.floats(math.log10(lo_), math.log10(hi_), allow_nan=False)
    return st.one_of(st.sampled_from([lo_, hi_]), expo.map(lambda e: min(hi_, max(lo_, 10.0**e))))


def positive_floats(lo: float = 1e-6, hi: float = 1e6):
    """`log_uniform(lo, hi)` with wide defaults: a positive scale or constant of unknown magnitude."""
    return log_uniform(lo, hi)


def floats(lo: float, hi: float):
    """Floats in [lo, hi] (finite, lo <= hi; both ends drawn as such) that refinement can move (clipped back
    into [lo, hi]): use this rather than `hypothesis.strategies.floats` for a continuous input::

        inputs = dict(t=cst.floats(0.0, 1.0))
    """
    for arg, v in (("lo", lo), ("hi", hi)):
        if not isinstance(v, (int, float)) or isinstance(v, bool) or not math.isfinite(v):
            fail("floats", arg, v, "pass a finite number")
    if hi < lo:
        fail("floats", "hi", hi, f"need hi >= lo={lo}")
    base = st.one_of(st.sampled_from([float(lo), float(hi)]), st.floats(float(lo), float(hi), allow_nan=False))
    return refinable(base, lambda x: isinstance(x, float) and lo <= x <= hi,
                     lambda x: float(min(hi, max(lo, x))))


_DENSE_MAX = 64   # entries up to which refinement moves every entry of a box input as a choice of its own


def _dense_box(b: float, sizes: tuple, shape_of: Callable):
    """`dense=` of a box input (entries in [-b, b]): its sizes (as drawn: integers in their ranges), then one
    float of the box per entry, row-major; `shape_of(sizes)` is the value's shape."""
    floats = functools.lru_cache(maxsize=None)(
        lambda k: st.lists(st.floats(-b, b, allow_nan=False), min_size=k, max_size=k))

    @st.composite
    def dense(draw):
        dims = tuple(draw(st.integers(lo, hi)) for lo, hi in sizes)
        return np.array(draw(floats(math.prod(dims))), dtype=float).reshape(shape_of(dims))

    def encode(value):
        if not isinstance(value, np.ndarray) or value.dtype != np.float64 or value.size > _DENSE_MAX:
            return None
        dims = value.shape if len(sizes) == value.ndim else None
        if dims is None or not all(lo <= d <= hi for d, (lo, hi) in zip(dims, sizes, strict=True)):
            return None
        return (*dims, *(float(v) for v in value.ravel()))

    return dense(), encode


def _entry_lists(b: float):
    """`size -> lists of size entries in [-b, b]` with 0 and +-b as edge values, one strategy per size built once:
    a strategy built inside a draw is validated on every draw (half the cost of drawing a small vector)."""
    elem = st.one_of(st.sampled_from([0.0, b, -b]), st.floats(-b, b, allow_nan=False))
    return functools.lru_cache(maxsize=None)(lambda size: st.lists(elem, min_size=size, max_size=size))


# ----------------------------------------------------------------------------- vectors
def vectors(n=(1, 8), bound: float = 10.0, *, scale: str = "mixed"):
    """1-D float64 arrays in the box ``|x_i| <= bound``.

    * ``n`` -- the length: an int or an inclusive (min, max) tuple, min >= 1.
    * ``bound`` -- a positive finite half-width of the box.
    * ``scale`` -- "mixed" (default) or "uniform".

    Vectors of at most 16 entries are drawn element-wise (0 and +-bound are edge values; they shrink entry by
    entry); longer ones are filled from a seed and half of them rescaled to have an entry exactly at the
    bound. Refinement clips moves back into the box. Two inputs drawn with the same int ``n`` have one
    length::

        inputs = dict(u=cst.vectors(n=4, bound=5.0), v=cst.vectors(n=4, bound=5.0))
    """
    lo, hi = int_range("vectors", "n", n, 1)
    b = positive("vectors", "bound", bound, False)
    if scale not in ("mixed", "uniform"):
        fail("vectors", "scale", scale, "use 'mixed' or 'uniform'")
    entries = _entry_lists(b)

    @st.composite
    def build(draw):
        size = draw(st.integers(lo, hi))
        if size <= _SMALL:
            return np.array(draw(entries(size)), dtype=float)
        seed = draw(seeds())
        x = np.random.default_rng(seed).uniform(-1.0, 1.0, size)
        at_bound = draw(st.booleans())
        m = np.max(np.abs(x))
        return x / m * b if at_bound and m > 0 else x * b

    return refinable(build(), lambda x: x.ndim == 1 and lo <= x.size <= hi and np.all(np.abs(x) <= b),
                     lambda x: np.clip(x, -b, b), dense=_dense_box(b, ((lo, hi),), lambda dims: dims))


def simplex_points(n=(1, 8), *, min_prob: float = 1e-300):
    """Probability vectors of length ``n`` (int or (min, max), min >= 1): interior points, points near a
    vertex (a logit up to 700 above the rest: saturated), two-way ties at the top, and the uniform vector.
    Entries are at least ``min_prob`` before renormalising. Not refinable (moves would leave the simplex)::

        inputs = dict(p=cst.simplex_points(n=(2, 10)))
    """
    lo, hi = int_range("simplex_points", "n", n, 1)

    @st.composite
    def build(draw):
        size = draw(st.integers(lo, hi))
        seed = draw(seeds())
        kind = draw(st.sampled_from(["interior", "vertex", "tie", "uniform"]))
        rng = np.random.default_rng(seed)
        if kind == "uniform":
            return np.full(size, 1.0 / size)
        logits = rng.normal(size=size)
        if kind == "vertex":
            logits[rng.integers(size)] += draw(st.floats(5.0, 700.0))
        elif kind == "tie" and size >= 2:
            i, j = rng.choice(size, 2, replace=False)
            logits[i] = logits[j] = logits.max() + draw(st.floats(0.0, 50.0))
        z = logits - logits.max()
        p = np.exp(z)
        p = np.maximum(p / p.sum(), min_prob)
        return p / p.sum()

    return refinable(build(), None)


# ----------------------------------------------------------------------------- matrices
def _orthonormal(rng, n, k):
    q, r = np.linalg.qr(rng.normal(size=(n, k)))
    return q * np.sign(np.where(np.diag(r) == 0, 1.0, np.diag(r)))


def matrices(shape=((1, 8), (1, 8)), bound: float = 10.0):
    """2-D float64 arrays with entries in [-bound, bound].

    * ``shape`` -- ``(rows, cols)``, each an int or an inclusive (min, max) tuple, min >= 1.
    * ``bound`` -- a positive finite bound on every entry.

    At most 16 entries: drawn element-wise (0 and +-bound as edge values); larger: i.i.d. uniform fills from a
    seed, half of them rescaled to have an entry exactly at the bound. Refinement clips back into the box::

        inputs = dict(A=cst.matrices(shape=((2, 6), 3), bound=1.0))
    """
    if not (isinstance(shape, tuple) and len(shape) == 2):
        fail("matrices", "shape", shape, "pass (rows, cols), each an int or a (min, max) tuple")
    rlo, rhi = int_range("matrices", "shape[0]", shape[0], 1)
    clo, chi = int_range("matrices", "shape[1]", shape[1], 1)
    b = positive("matrices", "bound", bound, False)
    entries = _entry_lists(b)

    @st.composite
    def build(draw):
        r, c = draw(st.integers(rlo, rhi)), draw(st.integers(clo, chi))
        if r * c <= _SMALL:
            return np.array(draw(entries(r * c)), dtype=float).reshape(r, c)
        rng = np.random.default_rng(draw(seeds()))
        a = rng.uniform(-1, 1, size=(r, c))
        m = np.max(np.abs(a))
        return a / m * b if draw(st.booleans()) and m > 0 else a * b

    return refinable(build(), lambda a: a.ndim == 2 and rlo <= a.shape[0] <= rhi and clo <= a.shape[1] <= chi
                     and np.all(np.abs(a) <= b), lambda a: np.clip(a, -b, b),
                     dense=_dense_box(b, ((rlo, rhi), (clo, chi)), lambda dims: dims))


_SPECTRA = ("logspaced", "two_cluster", "outlier", "nearsing", "rankdef", "equal")


def _spectrum(kind, k, smax, cond, rng, eta):
    if k == 1:
        return np.array([smax])
    smin = smax / cond
    if kind == "logspaced":
        s = np.logspace(np.log10(smax), np.log10(smin), k)
    elif kind == "two_cluster":
        s = np.where(np.arange(k) < k // 2, smax, smin).astype(float)
    elif kind == "outlier":
        s = np.full(k, smin)
        s[0] = smax
    elif kind == "nearsing":
        s = np.logspace(np.log10(smax), np.log10(max(smax / min(cond, 1e3), smin)), k)
        s[-1] = smax * eta
    elif kind == "rankdef":
        s = np.logspace(np.log10(smax), np.log10(smin), k)
        s[-max(1, int(rng.integers(1, k))):] = 0.0
    else:
        s = np.full(k, smax)
    return np.sort(s)[::-1]


def with_singular_values(rows=(2, 8), cols=(1, 6), *, sigma_max=(1e-2, 1e2), cond=(1.0, 1e8),
                         kinds=_SPECTRA, eta=(1e-14, 1e-4), tall: bool = False):
    """A = U diag(s) V^T with a prescribed spectrum: log-spaced, two clusters, one outlier, near-singular
    (one value eta * sigma_max), rank-deficient, or all equal. `cond` bounds sigma_max / sigma_min for the
    full-rank kinds; `tall=True` forces rows >= cols."""
    rlo, rhi = int_range("with_singular_values", "rows", rows, 1)
    clo, chi = int_range("with_singular_values", "cols", cols, 1)
    if tall and rhi < clo:
        fail("with_singular_values", "rows", rows, "tall=True needs some rows >= cols")
    smin_, smax_ = (sigma_max, sigma_max) if not isinstance(sigma_max, tuple) else sigma_max
    positive("with_singular_values", "sigma_max", smin_, False)
    clo_c, chi_c = (cond, cond) if not isinstance(cond, tuple) else cond
    if not (1.0 <= clo_c <= chi_c):
        fail("with_singular_values", "cond", cond, "pass a value or (min, max) with 1 <= min <= max")
    bad = [k for k in kinds if k not in _SPECTRA]
    if bad or not kinds:
        fail("with_singular_values", "kinds", kinds, f"choose from {_SPECTRA}")
    eta_lo, eta_hi = eta

    @st.composite
    def build(draw):
        c = draw(st.integers(clo, chi))
        r = draw(st.integers(max(rlo, c) if tall else rlo, rhi))
        k = min(r, c)
        kind = draw(st.sampled_from(list(kinds)))
        smax = draw(log_uniform(smin_, smax_))
        kappa = draw(log_uniform(clo_c, chi_c)) if chi_c > clo_c else clo_c
        e = draw(log_uniform(eta_lo, eta_hi))
        rng = np.random.default_rng(draw(seeds()))
        s = _spectrum(kind, k, smax, kappa, rng, e)
        u, v = _orthonormal(rng, r, k), _orthonormal(rng, c, k)
        return (u * s) @ v.T

    return refinable(build(), None)


def with_condition(rows=(2, 8), cols=(1, 6), cond=(1.0, 1e8), sigma_max=1.0, tall=True):
    """Full-rank matrices whose condition number lies in `cond` (reaching its ends)."""
    lo, hi = (cond, cond) if not isinstance(cond, tuple) else cond
    base = with_singular_values(rows, cols, sigma_max=sigma_max, cond=cond,
                                kinds=("logspaced", "two_cluster", "outlier", "equal"), tall=tall)

    def member(a):
        s = np.linalg.svd(a, compute_uv=False)
        return s[-1] > 0 and s[0] / s[-1] <= hi * (1 + 1e-9)

    return refinable(base, member)


def spectral_norm_ball(rows=(1, 8), cols=(1, 8), radius: float = 1.0):
    """Matrices with ||A||_2 <= radius, many exactly on the sphere."""
    rad = positive("spectral_norm_ball", "radius", radius, False)
    rlo, rhi = int_range("spectral_norm_ball", "rows", rows, 1)
    clo, chi = int_range("spectral_norm_ball", "cols", cols, 1)

    @st.composite
    def build(draw):
        r, c = draw(st.integers(rlo, rhi)), draw(st.integers(clo, chi))
        rng = np.random.default_rng(draw(seeds()))
        a = rng.normal(size=(r, c))
        nrm = np.linalg.norm(a, 2)
        if nrm == 0:
            return a
        t = draw(st.one_of(st.just(1.0), st.floats(0.0, 1.0)))
        return a / nrm * rad * t

    def into_ball(a):
        nrm = np.linalg.norm(a, 2)
        return a if nrm <= rad else a * (rad / nrm)

    return refinable(build(), lambda a: np.linalg.norm(a, 2) <= rad * (1 + 1e-12), into_ball)


def symmetric(n=(1, 8), bound: float = 10.0):
    lo, hi = int_range("symmetric", "n", n, 1)
    b = positive("symmetric", "bound", bound, False)

    @st.composite
    def build(draw):
        k = draw(st.integers(lo, hi))
        rng = np.random.default_rng(draw(seeds()))
        a = rng.uniform(-b, b, size=(k, k))
        return (a + a.T) / 2

    return refinable(build(), lambda a: a.ndim == 2 and np.array_equal(a, a.T) and np.all(np.abs(a) <= b),
                     lambda a: np.clip((a + a.T) / 2, -b, b))


def pd_matrices(n=(1, 8), cond=(1.0, 1e8), lam_max=(1e-2, 1e2)):
    """Symmetric positive definite matrices with condition number in `cond` (its ends included)."""
    lo, hi = int_range("pd_matrices", "n", n, 1)
    clo, chi = (cond, cond) if not isinstance(cond, tuple) else cond
    if not (1.0 <= clo <= chi):
        fail("pd_matrices", "cond", cond, "pass a value or (min, max) with 1 <= min <= max")
    llo, lhi = (lam_max, lam_max) if not isinstance(lam_max, tuple) else lam_max

    @st.composite
    def build(draw):
        k = draw(st.integers(lo, hi))
        kappa = draw(log_uniform(clo, chi)) if chi > clo else clo
        top = draw(log_uniform(llo, lhi)) if lhi > llo else llo
        kind = draw(st.sampled_from(["logspaced", "two_cluster", "outlier", "equal"]))
        rng = np.random.default_rng(draw(seeds()))
        lam = _spectrum(kind, k, top, kappa, rng, 1.0)
        q = _orthonormal(rng, k, k)
        h = (q * lam) @ q.T
        return (h + h.T) / 2

    def member(h):
        if h.ndim != 2 or not np.allclose(h, h.T, rtol=0, atol=0):
            return False
        w = np.linalg.eigvalsh(h)
        return w[0] > 0 and w[-1] / w[0] <= chi * (1 + 1e-6)

    return refinable(build(), member, lambda h: (h + h.T) / 2)


def gram_factors(n=(1, 8), d=(1, 32), entry_bound: float = 1.0, *, kinds=("dense", "aligned", "sparse")):
    """X (n x d) whose Gram matrix X X^T has max |entry| equal to `entry_bound` times a drawn u in (0, 1]:
    dense Gaussian rows, sign-aligned rows (+-v plus noise) and sparse rows."""
    nlo, nhi = int_range("gram_factors", "n", n, 1)
    dlo, dhi = int_range("gram_factors", "d", d, 1)
    b = positive("gram_factors", "entry_bound", entry_bound, False)

    @st.composite
    def build(draw):
        k, m = draw(st.integers(nlo, nhi)), draw(st.integers(dlo, dhi))
        kind = draw(st.sampled_from(list(kinds)))
        u = draw(st.one_of(st.just(1.0), st.floats(1e-3, 1.0)))
        rng = np.random.default_rng(draw(seeds()))
        if kind == "aligned":
            v = rng.normal(size=m)
            x = np.sign(rng.uniform(-1, 1, size=(k, 1))) * v + 1e-3 * rng.normal(size=(k, m))
        elif kind == "sparse":
            x = rng.normal(size=(k, m)) * (rng.uniform(size=(k, m)) < 0.1)
        else:
            x = rng.normal(size=(k, m))
        g = np.max(np.abs(x @ x.T))
        return x if g == 0 else x * math.sqrt(u * b / g)

    def into_bound(x):
        g = np.max(np.abs(x @ x.T))
        return x if g <= b else x * math.sqrt(b / g)

    return refinable(build(), lambda x: np.max(np.abs(x @ x.T)) <= b * (1 + 1e-12), into_bound)


def near_duplicate_rows(rows=(2, 8), cols=(1, 6), *, distance=(1e-10, 1e-1), bound: float = 1.0):
    """Matrices with exactly duplicated rows and rows at distance 10^-k of each other."""
    rlo, rhi = int_range("near_duplicate_rows", "rows", rows, 2)
    clo, chi = int_range("near_duplicate_rows", "cols", cols, 1)
    dlo, dhi = distance

    @st.composite
    def build(draw):
        r, c = draw(st.integers(rlo, rhi)), draw(st.integers(clo, chi))
        rng = np.random.default_rng(draw(seeds()))
        a = rng.uniform(-bound, bound, size=(r, c))
        exact = draw(st.booleans())
        dist = 0.0 if exact else draw(log_uniform(dlo, dhi))
        i, j = rng.choice(r, 2, replace=False)
        direction = rng.normal(size=c)
        a[j] = a[i] + dist * direction / max(np.linalg.norm(direction), 1e-300)
        return a

    return refinable(build(), None)


def sparse_matrices(rows=(1, 40), cols=(1, 20), density=(0.005, 0.5), *, scipy_sparse: bool = False):
    """Random sparse matrices (empty rows and columns included); densities drawn from {0.5%, 5%, 50%} and
    in between; optionally as scipy.sparse CSR."""
    rlo, rhi = int_range("sparse_matrices", "rows", rows, 1)
    clo, chi = int_range("sparse_matrices", "cols", cols, 1)
    lo, hi = density
    if not (0 < lo <= hi <= 1):
        fail("sparse_matrices", "density", density, "pass (min, max) with 0 < min <= max <= 1")

    @st.composite
    def build(draw):
        r, c = draw(st.integers(rlo, rhi)), draw(st.integers(clo, chi))
        dens = draw(st.one_of(st.sampled_from([x for x in (0.005, 0.05, 0.5) if lo <= x <= hi] or [lo]),
                              st.floats(lo, hi)))
        rng = np.random.default_rng(draw(seeds()))
        a = rng.normal(size=(r, c)) * (rng.uniform(size=(r, c)) < dens)
        if scipy_sparse:
            import scipy.sparse as sp

            return sp.csr_matrix(a)
        return a

    return refinable(build(), None)

"""Hypothesis strategies for the sketching / kernel-regression claims (claims/kernel_regression.md, song2023).

All constructive: Hypothesis draws the structure (sizes, spectrum kind, condition number, density, the number of
spiky rows, a near-duplicate distance, an integer seed) and a seeded numpy Generator fills the entries.

* ``tall_conditioned``   A = U diag(sigma) V^T (n >= n_over_d d) with kappa(A) in a range (log-spaced, two-cluster,
                         outlier, all-equal spectra; the kappa ends are drawn as boundary cases). COND / NEARSING.
* ``sparse_tall``        sparse A with nnz per row in 1..d (or a density), empty rows and (optionally) empty columns,
                         dense or scipy CSR. SPARSE.
* ``coherent``           a few rows with leverage ~ 1 (spiky) stacked on a Gaussian block. COHERENT.
* ``design``             any of the above (the union), full column rank unless ``rankdef=True``.
* ``rhs_for``            b for a given A: random, in col(A) (OPT = 0), orthogonal to col(A), aligned with the smallest
                         right singular vector (P1 adversarial), with a prescribed outside fraction.
* ``ls_instances``/``p1_instances`` dict instances {"A", "b"}.
* ``kernel_rows``        rows for exp(AA^T): Gaussian, exact duplicates, near-duplicates at 10^-k (k = 1..10), BIGNORM
                         (||a_i||^2 up to a bound), tiny rows (K -> all ones), d = 1 distinct scalars, rows on a sphere
                         (SELF), mixed row norms.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp
from hypothesis import strategies as st

from . import log_uniform, refinable, seeds
from ._validate import bound_to

__all__ = [
    "tall_conditioned", "sparse_tall", "coherent", "design", "rhs_for", "ls_instances", "p1_instances",
    "kernel_rows", "KERNEL_KINDS", "RHS_KINDS",
]

_KINDS = ("logspaced", "two_cluster", "outlier", "equal")
RHS_KINDS = ("random", "in_col", "orth", "smallest", "mixed")
_fail, _rng2 = bound_to("sketch")

KERNEL_KINDS = ("gauss", "dup", "neardup", "bignorm", "tiny", "d1", "sphere", "mixed_norms")


def _orth(rng, n, k):
    q, r = np.linalg.qr(rng.standard_normal((n, k)))
    return q * np.sign(np.where(np.diag(r) == 0, 1.0, np.diag(r)))


def _spectrum(kind, d, kappa):
    if d == 1:
        return np.ones(1)
    if kind == "logspaced":
        return np.logspace(0, -math.log10(kappa), d)
    if kind == "two_cluster":
        return np.where(np.arange(d) < d // 2, 1.0, 1.0 / kappa)
    if kind == "outlier":
        s = np.full(d, 1.0 / kappa)
        s[0] = 1.0
        return s
    return np.ones(d)


def _fill_conditioned(rng, n, d, kappa, kind, scale):
    s = _spectrum(kind, d, kappa) * scale
    return (_orth(rng, n, d) * s) @ _orth(rng, d, d).T


def tall_conditioned(n=(20, 200), d=(1, 10), cond=(1.0, 1e8), *, n_over_d=2, kinds=_KINDS, scale=(1e-2, 1e2)):
    """Tall A (n >= n_over_d * d) with kappa(A) drawn log-uniformly in `cond` (ends included)."""
    nlo, nhi = _rng2("tall_conditioned", "n", n)
    dlo, dhi = _rng2("tall_conditioned", "d", d)
    clo, chi = cond if isinstance(cond, tuple) else (cond, cond)
    if not (1.0 <= clo <= chi):
        _fail("tall_conditioned", "cond", cond, "pass (min, max) with 1 <= min <= max")
    if nhi < n_over_d * dlo:
        _fail("tall_conditioned", "n", n, f"need max n >= n_over_d * min d = {n_over_d * dlo}")
    slo, shi = scale if isinstance(scale, tuple) else (scale, scale)

    @st.composite
    def build(draw):
        dd = draw(st.integers(dlo, min(dhi, nhi // n_over_d)))
        nn = draw(st.integers(max(nlo, n_over_d * dd), nhi))
        kappa = draw(log_uniform(clo, chi)) if chi > clo else clo
        kind = draw(st.sampled_from(list(kinds)))
        sc = draw(log_uniform(slo, shi)) if shi > slo else slo
        return _fill_conditioned(np.random.default_rng(draw(seeds())), nn, dd, kappa, kind, sc)

    def member(a):
        if not (isinstance(a, np.ndarray) and a.ndim == 2 and a.shape[0] >= n_over_d * a.shape[1]):
            return False
        s = np.linalg.svd(a, compute_uv=False)
        return s[-1] > 0 and s[0] / s[-1] <= chi * (1 + 1e-6)

    return refinable(build(), member)


def _sparse_fill(rng, n, d, per_row, empty_rows, empty_cols):
    rows, cols = [], []
    live_cols = np.arange(d)
    if empty_cols and d >= 2:
        live_cols = np.sort(rng.choice(d, size=max(1, d - int(rng.integers(1, d))), replace=False))
    for i in range(n):
        if i in empty_rows:
            continue
        k = min(int(per_row[i]), live_cols.size)
        c = rng.choice(live_cols, size=k, replace=False)
        rows.extend([i] * k)
        cols.extend(c.tolist())
    vals = rng.standard_normal(len(rows))
    return sp.csr_matrix((vals, (rows, cols)), shape=(n, d))


def sparse_tall(n=(20, 200), d=(1, 10), *, nnz_per_row=(1, None), empty_rows=True, empty_cols=False,
                scipy_sparse=True, full_rank=True):
    """Sparse tall A: nnz per row drawn in `nnz_per_row` (None = d), a fraction of empty rows, optionally empty
    columns (then A is rank-deficient; `full_rank=True` forbids empty columns and repairs rank)."""
    nlo, nhi = _rng2("sparse_tall", "n", n)
    dlo, dhi = _rng2("sparse_tall", "d", d)
    klo, khi = nnz_per_row

    @st.composite
    def build(draw):
        dd = draw(st.integers(dlo, dhi))
        nn = draw(st.integers(max(nlo, 2 * dd), max(nhi, 2 * dd)))
        hi = dd if khi is None else min(khi, dd)
        k = draw(st.integers(min(klo, hi), hi))
        frac_empty = draw(st.sampled_from([0.0, 0.1, 0.5])) if empty_rows else 0.0
        ec = draw(st.booleans()) if (empty_cols and not full_rank) else False
        rng = np.random.default_rng(draw(seeds()))
        per_row = rng.integers(1, k + 1, size=nn)
        empty = set(rng.choice(nn, size=int(frac_empty * nn), replace=False).tolist()) if frac_empty else set()
        A = _sparse_fill(rng, nn, dd, per_row, empty, ec)
        if full_rank:
            # guarantee rank d: put a non-zero on the "diagonal" of d non-empty rows
            live = [i for i in range(nn) if i not in empty][:dd]
            A = A.tolil()
            for c, i in enumerate(live):
                A[i, c] = 1.0 + abs(A[i, c])
            A = A.tocsr()
            if np.linalg.matrix_rank(A.toarray()) < dd:
                A = A + sp.csr_matrix(np.vstack([np.eye(dd), np.zeros((nn - dd, dd))]))
        return A if scipy_sparse else A.toarray()

    return refinable(build(), None)


def coherent(n=(20, 200), d=(1, 10), *, spiky=(1, 3), spike=(1e2, 1e6)):
    """A Gaussian block plus `spiky` rows spike * e_c (distinct columns c): those rows have leverage ~ 1."""
    nlo, nhi = _rng2("coherent", "n", n)
    dlo, dhi = _rng2("coherent", "d", d)

    @st.composite
    def build(draw):
        dd = draw(st.integers(dlo, dhi))
        nn = draw(st.integers(max(nlo, 2 * dd + 1), max(nhi, 2 * dd + 1)))
        k = draw(st.integers(min(spiky[0], dd), min(spiky[1], dd)))
        big = draw(log_uniform(*spike))
        rng = np.random.default_rng(draw(seeds()))
        A = rng.standard_normal((nn, dd))
        idx = rng.choice(nn, size=k, replace=False)
        for t, i in enumerate(idx):
            A[i] = 0.0
            A[i, t] = big
        return A

    return refinable(build(), None)


def design(n=(20, 200), d=(1, 10), cond=(1.0, 1e8), *, sparse_as_csr=False):
    """Union of tall_conditioned, coherent and (dense or CSR) sparse_tall, all of full column rank."""
    return st.one_of(tall_conditioned(n, d, cond), coherent(n, d),
                     sparse_tall(n, d, scipy_sparse=sparse_as_csr))


def rhs_for(A, kind, rng, outside=0.5):
    """b for design A: 'random'; 'in_col' (OPT = 0); 'orth' (b orthogonal to col(A)); 'smallest' (A v_min, the
    smallest right singular direction); 'mixed' (unit in-column part plus an outside part of relative size
    `outside`). Returns a float vector of length n."""
    Ad = A.toarray() if sp.issparse(A) else np.asarray(A)
    n, d = Ad.shape
    if kind == "random":
        return rng.standard_normal(n)
    U, s, Vt = np.linalg.svd(Ad, full_matrices=False)
    r = int(np.sum(s > s[0] * 1e-12)) if s.size and s[0] > 0 else 0
    Ur = U[:, :r]
    if kind == "in_col":
        return Ad @ rng.standard_normal(d)
    if kind == "smallest":
        return Ad @ Vt[r - 1] if r else rng.standard_normal(n)
    g = rng.standard_normal(n)
    perp = g - Ur @ (Ur.T @ g)
    if kind == "orth":
        return perp if np.linalg.norm(perp) > 0 else g
    inside = Ur @ rng.standard_normal(r) if r else np.zeros(n)
    ni, npp = np.linalg.norm(inside), np.linalg.norm(perp)
    return (inside / ni if ni else inside) + outside * (perp / npp if npp else perp)


def ls_instances(n=(20, 200), d=(1, 10), cond=(1.0, 1e8), *, rhs=RHS_KINDS, sparse_as_csr=False):
    """{"A": design, "b": rhs} for least squares / P2."""
    @st.composite
    def build(draw):
        A = draw(design(n, d, cond, sparse_as_csr=sparse_as_csr))
        kind = draw(st.sampled_from(list(rhs)))
        outside = draw(st.sampled_from([0.0, 1e-8, 0.5, 10.0]))
        b = rhs_for(A, kind, np.random.default_rng(draw(seeds())), outside)
        return {"A": A, "b": b}

    return build()


def p1_instances(n=(20, 200), d=(1, 10), cond=(1.0, 1e4), *, j=(1, 6), rankdef=False, n_vec=None):
    """{"A", "b", "j"} for P1 (b in R^d: random, or aligned with the smallest eigenvector of A^T A) or, with
    n_vec=True, {"A", "b", "j"} with b in R^n of a kind of `rhs_for` (P2). rankdef=True makes some instances
    exactly rank-deficient (a column duplicated bit for bit, or a zero column)."""
    @st.composite
    def build(draw):
        A = draw(tall_conditioned(n, d, cond))
        jj = draw(st.integers(*j))
        rng = np.random.default_rng(draw(seeds()))
        if rankdef and A.shape[1] >= 2 and draw(st.booleans()):
            A = A.copy()
            if draw(st.booleans()):
                A[:, -1] = A[:, 0]
            else:
                A[:, -1] = 0.0
        if n_vec:
            b = rhs_for(A, draw(st.sampled_from(list(RHS_KINDS))), rng, draw(st.sampled_from([1e-8, 0.5, 10.0])))
        elif draw(st.booleans()):
            b = rng.standard_normal(A.shape[1])
        else:
            b = np.linalg.svd(A, full_matrices=False)[2][-1].copy()
        return {"A": A, "b": b, "j": jj}

    return build()


def kernel_rows(n=(2, 40), d=(1, 6), *, kinds=KERNEL_KINDS, max_sq_norm=50.0, distance=(1e-10, 1e-1),
                scale=(1e-3, 1.0)):
    """Rows a_i for exp(AA^T): see the module docstring. `max_sq_norm` bounds ||a_i||^2 for the BIGNORM kind
    (some instances exactly at the bound); `distance` is the near-duplicate range."""
    nlo, nhi = _rng2("kernel_rows", "n", n)
    dlo, dhi = _rng2("kernel_rows", "d", d)
    bad = [k for k in kinds if k not in KERNEL_KINDS]
    if bad or not kinds:
        _fail("kernel_rows", "kinds", kinds, f"choose from {KERNEL_KINDS}")

    @st.composite
    def build(draw):
        kind = draw(st.sampled_from(list(kinds)))
        dd = 1 if kind == "d1" else draw(st.integers(dlo, dhi))
        nn = draw(st.integers(max(nlo, 2), max(nhi, 2)))
        sc = draw(log_uniform(*scale))
        rng = np.random.default_rng(draw(seeds()))
        A = rng.standard_normal((nn, dd)) * sc
        if kind == "dup":
            i, k = rng.choice(nn, 2, replace=False)
            A[k] = A[i]
        elif kind == "neardup":
            dist = draw(st.one_of(st.sampled_from([10.0**-k for k in range(1, 11)]), log_uniform(*distance)))
            i, k = rng.choice(nn, 2, replace=False)
            u = rng.standard_normal(dd)
            A[k] = A[i] + dist * u / max(np.linalg.norm(u), 1e-300)
        elif kind == "bignorm":
            target = draw(st.one_of(st.just(max_sq_norm), log_uniform(1.0, max_sq_norm)))
            A = rng.standard_normal((nn, dd))
            A *= math.sqrt(target) / np.max(np.linalg.norm(A, axis=1))
        elif kind == "tiny":
            A = rng.standard_normal((nn, dd)) * draw(log_uniform(1e-8, 1e-3))
        elif kind == "d1":
            A = np.sort(rng.uniform(-1, 1, size=(nn, 1)) * sc * 3, axis=0)
            A[:, 0] += np.arange(nn) * 1e-3           # distinct scalars
        elif kind == "sphere":
            A = rng.standard_normal((nn, dd))
            A *= sc / np.maximum(np.linalg.norm(A, axis=1, keepdims=True), 1e-300)
        elif kind == "mixed_norms":
            A = rng.standard_normal((nn, dd)) * np.exp(rng.uniform(-3, 1, size=(nn, 1))) * sc
        return np.ascontiguousarray(A)

    return refinable(build(), None)

"""Hypothesis strategies for the Fourier-circuit claims (claims/related.md section 3, 2402.09469).

Hypothesis draws the structure: the setting (p, k) from a list (shrinking towards its first entry, so lists
are given smallest first), a seed (for a training run or an optimiser start), and for single neurons the
frequency and the phases. Polarization inputs mix integers, small rationals, huge magnitudes (up to 2^62 as
integers, up to 1e300 as floats), zeros and exact cancellations (a_j = -a_i).
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import strategies as st

from . import refinable
from ._validate import fail

__all__ = ["settings", "cosine_neurons", "polarization_inputs", "odd_primes"]


def odd_primes(lo: int, hi: int) -> list[int]:
    return [q for q in range(max(3, lo), hi + 1) if q % 2 and all(q % d for d in range(3, int(math.isqrt(q)) + 1, 2))]


def settings(pks, seeds: int = 1):
    """dict(p, k, seed) with (p, k) from `pks` and seed in [0, seeds)."""
    pks = [tuple(int(v) for v in pk) for pk in pks]
    if not pks or any(len(pk) != 2 or pk[0] < 3 or pk[0] % 2 == 0 or pk[1] < 1 for pk in pks):
        fail("fourier.settings", "pks", pks, "pass a non-empty list of (odd p >= 3, k >= 1) pairs")
    if seeds < 1:
        fail("fourier.settings", "seeds", seeds, "pass seeds >= 1")
    return st.builds(lambda pk, s: {"p": pk[0], "k": pk[1], "seed": s}, st.sampled_from(pks),
                     st.integers(0, seeds - 1))


def cosine_neurons(primes=(3, 101), k=(1, 6), zeta_max_mod: bool = True):
    """dict(p, k, zeta, phases (k,)): zeta drawn from [0, p - 1] (zeta = 0, the constant vector, is the
    boundary a claim excludes by its hypothesis), phases uniform on [-pi, pi] or at 0 / pi/2."""
    ps = odd_primes(*primes)
    if not ps:
        fail("fourier.cosine_neurons", "primes", primes, "pass a range containing an odd prime")

    @st.composite
    def build(draw):
        p = draw(st.sampled_from(ps))
        kk = draw(st.integers(*k))
        zeta = draw(st.integers(0, p - 1))
        phases = draw(st.lists(st.one_of(st.sampled_from([0.0, math.pi / 2]), st.floats(-math.pi, math.pi)),
                               min_size=kk, max_size=kk))
        return {"p": p, "k": kk, "zeta": zeta, "phases": np.asarray(phases, dtype=float)}

    def member(inst):
        ph = np.asarray(inst["phases"], dtype=float)
        return bool(ph.shape == (inst["k"],) and np.all(np.isfinite(ph)) and 0 <= inst["zeta"] < inst["p"])

    return refinable(build(), member)


def polarization_inputs(k=(1, 8)):
    """dict(num (k,) int64, den (k,) int64 > 0, real (k,) float64, kind): a_j = num_j / den_j for kind
    'rational', a_j = real_j for 'real' (any finite float, huge magnitudes included)."""

    @st.composite
    def build(draw):
        kk = draw(st.integers(*k))
        kind = draw(st.sampled_from(["rational", "real"]))
        big = st.integers(-(2**62), 2**62)
        nums = draw(st.lists(st.one_of(st.integers(-10, 10), big), min_size=kk, max_size=kk))
        dens = draw(st.lists(st.one_of(st.integers(1, 12), st.integers(1, 2**62)), min_size=kk, max_size=kk))
        reals = draw(st.lists(st.one_of(st.floats(-1e3, 1e3), st.floats(-1e300, 1e300), st.just(0.0)),
                              min_size=kk, max_size=kk))
        if kk >= 2 and draw(st.booleans()):
            nums[1], dens[1], reals[1] = -nums[0], dens[0], -reals[0]   # an exact cancellation a_2 = -a_1
        return {"num": np.asarray(nums, dtype=np.int64), "den": np.asarray(dens, dtype=np.int64),
                "real": np.asarray(reals, dtype=float), "kind": kind}

    return build()

"""Fourier-circuit kernels (2402.09469) against their mpmath twins, and the closed forms in exact arithmetic.

* every float64 kernel of `certify.kernels.fourier` agrees with `certify.reference.fourier` on random inputs;
* the explicit construction is, per frequency, exactly Re(prod_j e^{i A_j} e^{-i C}) as a polynomial in the
  cosines and sines (sympy), its margin is exactly p/2 (a cyclotomic sum) and its normalised margin equals
  the closed form gamma* exactly (sympy) on every (p, k) of the catalogue;
* the single-frequency neuron of amplitude sqrt(2/((k+1)p)) has psi = gamma* exactly on every (p, k) of the
  catalogue (group-ring arithmetic over Z_p with integer coefficients, then sympy);
* training is seeded, cached outside the repository, and the strategies validate their arguments.
"""

from __future__ import annotations

import itertools
import math

import mpmath
import numpy as np
import pytest
import sympy as sp

import certify
from certify.kernels import fourier as K
from certify.reference import fourier as R
from certify.reference._mparray import to_float
from certify.solvers import modular_training as MT
from theorems.gu2024_fourier_circuits import CATALOGUE_PK


@pytest.fixture()
def mpm():
    ctx = mpmath.MPContext()
    ctx.dps = 40
    return ctx


def _rel(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b)) / max(1.0, float(np.max(np.abs(b)))))


# ----------------------------------------------------------------------------- kernels vs twins
@pytest.mark.parametrize("p,k,m", [(3, 1, 2), (5, 2, 4), (3, 3, 3), (7, 2, 5)])
def test_network_kernels_agree_with_twins(mpm, p, k, m):
    rng = np.random.default_rng(p * 100 + k)
    U, W = rng.standard_normal((m, k, p)), rng.standard_normal((m, p))
    assert _rel(K.network_outputs(U, W, k), to_float(R.network_outputs(mpm, U, W, k))) < 1e-13
    assert _rel(K.margins(U, W, k), to_float(R.margins(mpm, U, W, k))) < 1e-13
    assert abs(K.theta_norm(U, W, k) / float(R.theta_norm(mpm, U, W, k)) - 1) < 1e-14
    assert abs(K.normalized_margin(U, W, k) - float(R.normalized_margin(mpm, U, W, k))) < 1e-13
    u, w = U[0], W[0]
    assert abs(K.psi(u, w, k) - float(R.psi(mpm, u, w, k))) < 1e-13 * max(1.0, abs(K.psi(u, w, k)))


def test_dft_power_agrees_with_twin_and_detects_one_frequency(mpm):
    rng = np.random.default_rng(3)
    V = rng.standard_normal((3, 2, 11))
    assert _rel(K.dft_power(V), to_float(R.dft_power(mpm, V))) < 1e-13
    single = np.cos(0.7 + 2 * np.pi * 3 * np.arange(11) / 11)
    share = K.dft_power(single)
    assert share.shape == (6,) and abs(share[3] - 1) < 1e-14 and share.sum() == pytest.approx(1.0)
    assert np.all(K.dft_power(np.zeros(5)) == 0)


@pytest.mark.parametrize("p,k", [(3, 2), (5, 3), (7, 2)])
def test_closed_forms_and_construction_agree_with_twins(mpm, p, k):
    assert abs(K.max_margin_value(p, k) / float(R.max_margin_value(mpm, p, k)) - 1) < 1e-15
    U, W = K.construction(p, k)
    Um, Wm = R.construction(mpm, p, k)
    assert U.shape == Um.shape == (2 ** (2 * k - 1) * (p - 1) // 2, k, p)
    assert _rel(U, to_float(Um)) < 1e-14 and _rel(W, to_float(Wm)) < 1e-14
    ph = np.array([0.3, -1.1, 2.0][:k])
    u, w = K.cosine_neuron(p, k, 2, ph, 0.4)
    um, wm = R.cosine_neuron(mpm, p, k, 2, ph, 0.4)
    assert _rel(u, to_float(um)) < 1e-14 and _rel(w, to_float(wm)) < 1e-14


def test_construction_attains_gamma_star_in_mpmath(mpm):
    for p, k in [(3, 2), (5, 2), (3, 3)]:
        U, W = R.construction(mpm, p, k)
        gap = R.normalized_margin(mpm, U, W, k) / R.max_margin_value(mpm, p, k) - 1
        assert abs(gap) < mpm.mpf(10) ** (-35), (p, k, gap)


def test_kernels_reject_bad_arguments():
    with pytest.raises(certify.InvalidArgument, match="kernels.fourier.max_margin_value: bad p=4"):
        K.max_margin_value(4, 2)
    with pytest.raises(certify.InvalidArgument, match="U/W"):
        K.network_outputs(np.zeros((2, 2, 5)), np.zeros((3, 5)), 2)
    with pytest.raises(certify.InvalidArgument, match="theta = 0"):
        K.normalized_margin(np.zeros((1, 2, 3)), np.zeros((1, 3)), 2)


# ----------------------------------------------------------------------------- exact closed forms
def _identify(vec, p, amp, zeta):
    """Which of +-amp cos / +-amp sin of frequency zeta the float vector is: (sign, 'cos' | 'sin')."""
    a = np.arange(p)
    for name, base in (("cos", np.cos(2 * np.pi * zeta * a / p)), ("sin", np.sin(2 * np.pi * zeta * a / p))):
        for sign in (1, -1):
            if np.max(np.abs(vec - sign * amp * base)) < 1e-12:
                return sign, name
    raise AssertionError(f"not a cosine/sine vector of frequency {zeta}: {vec}")


@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_construction_is_the_cosine_expansion_exactly(k):
    """Per frequency, sum of the neurons = Re(prod_j (x_j + i y_j) (cC - i sC)) as polynomials (exact)."""
    p = 7
    amp = (2.0 / (2**k * math.factorial(k))) ** (1.0 / (k + 1))
    U, W = K.construction(p, k)
    per = 2 ** (2 * k - 1)
    xs, ys = sp.symbols(f"x0:{k}", real=True), sp.symbols(f"y0:{k}", real=True)
    cC, sC = sp.symbols("cC sC", real=True)
    want = sp.expand(sp.re(sp.expand(sp.prod([x + sp.I * y for x, y in zip(xs, ys, strict=True)])
                                     * (cC - sp.I * sC))))
    for zeta in range(1, (p - 1) // 2 + 1):
        block = range((zeta - 1) * per, zeta * per)
        total = 0
        for i in block:
            pre = 0
            for j in range(k):
                sign, name = _identify(U[i, j], p, amp, zeta)
                pre += sign * (xs[j] if name == "cos" else ys[j])
            sign, name = _identify(W[i], p, amp, zeta)
            total += sign * pre**k * (cC if name == "cos" else sC)
        coef = sp.Rational(2, 2**k * math.factorial(k))          # amp^(k+1)
        assert sp.expand(coef * total - want) == 0, (k, zeta)


def _group_ring_mul(x, y):
    """Product in Z[Z_p] (cyclic convolution of integer coefficient vectors)."""
    p = len(x)
    out = [0] * p
    for i, xi in enumerate(x):
        if xi:
            for j, yj in enumerate(y):
                if yj:
                    out[(i + j) % p] += xi * yj
    return out


def _as_rational(x):
    """An element of Z[Z_p] mapped to Q(omega) (omega^0 + ... + omega^(p-1) = 0); it must be rational."""
    c = x[1:]
    assert all(v == c[0] for v in c), f"not rational in Q(omega): {x}"
    return x[0] - c[0]


@pytest.mark.parametrize("p,k", CATALOGUE_PK)
def test_construction_margin_equals_gamma_star_exactly(p, k):
    # f(a)[c] = sum_zeta cos(2 pi zeta t / p), t = sum a - c: 2 f = sum_{zeta=1}^{p-1} omega^(zeta t) = p - 1 (t = 0)
    # or -1 (t != 0), so g = ((p-1) - (-1)) / 2 = p / 2 on every point
    for t in range(p):
        elem = [0] * p
        for zeta in range(1, p):
            elem[(zeta * t) % p] += 1
        assert _as_rational(elem) == (p - 1 if t == 0 else -1)
    margin = sp.Rational(p, 2)
    # ||cos||^2 = ||sin||^2 = p/2 at zeta != 0: 4 cos^2 = 2 + omega^(2 zeta a) + omega^(-2 zeta a), summed over a
    sq = [0] * p
    for a in range(p):
        sq[0] += 2
        sq[(2 * a) % p] += 1
        sq[(-2 * a) % p] += 1
    assert sp.Rational(_as_rational(sq), 4) == sp.Rational(p, 2)
    n_neurons = 2 ** (2 * k - 1) * (p - 1) // 2
    amp2 = sp.Rational(2, 2**k * math.factorial(k)) ** sp.Rational(2, k + 1)
    neuron_norm = sp.sqrt((k + 1) * amp2 * sp.Rational(p, 2))
    gamma_c = margin / (n_neurons * neuron_norm ** (k + 1))
    gamma_star = 2 * sp.factorial(k) / (sp.Integer(2 * k + 2) ** sp.Rational(k + 1, 2) * (p - 1)
                                        * sp.Integer(p) ** sp.Rational(k - 1, 2))
    assert sp.simplify(gamma_c / gamma_star) == 1
    U, W = K.construction(p, k)
    assert U.shape == (n_neurons, k, p)
    assert abs(K.normalized_margin(U, W, k) / float(gamma_star) - 1) < 1e-12


@pytest.mark.parametrize("p,k", CATALOGUE_PK)
def test_single_frequency_neuron_reaches_gamma_star_exactly(p, k):
    """psi(u, w) for u_j = w = beta cos(2 pi a / p), beta = sqrt(2/((k+1)p)), equals gamma* exactly: the
    expectation E_a[(sum_j 2cos_j)^k 2cos_y] is computed in Z[Z_p] (2cos(2 pi a/p) = x^a + x^-a) over all of D_p."""
    two_cos = [[0] * p for _ in range(p)]
    for a in range(p):
        two_cos[a][a % p] += 1
        two_cos[a][(-a) % p] += 1
    # dynamic over inputs would reuse structure; enumerate D_p plainly (independent of the kernel's DP)
    total = [0] * p
    powers = {}
    for a in itertools.product(range(p), repeat=k):
        s = [sum(two_cos[aj][r] for aj in a) for r in range(p)]
        key = tuple(s)
        if key not in powers:
            acc = s
            for _ in range(k - 1):
                acc = _group_ring_mul(acc, s)
            powers[key] = acc
        term = _group_ring_mul(powers[key], two_cos[sum(a) % p])
        total = [t + v for t, v in zip(total, term, strict=True)]
    expect_2 = sp.Rational(_as_rational(total), p**k)       # E[(sum 2cos)^k 2cos_y]
    beta = sp.sqrt(sp.Rational(2, (k + 1) * p))
    # sum_c w(c) = 0, so g' = p/(p-1) f[y]; the factor 2^(k+1) undoes the doubled cosines
    psi = sp.Rational(p, p - 1) * beta ** (k + 1) * expect_2 / 2 ** (k + 1)
    gamma_star = 2 * sp.factorial(k) / (sp.Integer(2 * k + 2) ** sp.Rational(k + 1, 2) * (p - 1)
                                        * sp.Integer(p) ** sp.Rational(k - 1, 2))
    assert sp.simplify(psi / gamma_star) == 1
    u, w = K.cosine_neuron(p, k, 1, np.zeros(k), float(beta))
    assert abs(K.psi(u, w, k) / float(gamma_star) - 1) < 1e-12


# ----------------------------------------------------------------------------- training and strategies
def test_training_is_seeded_and_cached_outside_the_repo(tmp_path, monkeypatch):
    monkeypatch.setenv("CERTIFY_CACHE_DIR", str(tmp_path))
    MT._train_cached.cache_clear()
    U1, W1, l1 = MT.train(5, 2, 4, seed=7, steps=50)
    files = list((tmp_path / "modular_training").glob("*.npz"))
    assert len(files) == 1
    MT._train_cached.cache_clear()
    U2, W2, l2 = MT.train(5, 2, 4, seed=7, steps=50)       # read back from disk
    assert np.array_equal(U1, U2) and np.array_equal(W1, W2) and l1 == l2
    U3, _, _ = MT.train(5, 2, 4, seed=8, steps=50)
    assert not np.array_equal(U1, U3)
    assert len(list((tmp_path / "modular_training").glob("*.npz"))) == 2
    MT._train_cached.cache_clear()


def test_training_raises_the_normalised_margin():
    U0, W0, _ = MT.train(5, 2, 16, seed=0, steps=0)
    U, W, _ = MT.train(5, 2, 16, seed=0, steps=1500, lam=1e-2)
    g0 = K.normalized_margin(U0, W0, 2) / K.max_margin_value(5, 2)
    g = K.normalized_margin(U, W, 2) / K.max_margin_value(5, 2)
    assert g0 < 0.5 < g <= 1.0


def test_psi_ascent_stays_on_the_sphere_and_below_gamma_star():
    u, w = MT.maximize_psi(7, 2, seed=1)
    assert abs(np.sum(u * u) + np.sum(w * w) - 1) < 1e-12
    assert 0.99 < K.psi(u, w, 2) / K.max_margin_value(7, 2) < 1 + 1e-12


def test_strategies_validate():
    from certify.strategies import fourier as fst

    with pytest.raises(certify.InvalidArgument, match="fourier.settings"):
        fst.settings([(4, 2)])
    with pytest.raises(certify.InvalidArgument, match="seeds"):
        fst.settings([(5, 2)], seeds=0)
    assert fst.odd_primes(2, 20) == [3, 5, 7, 11, 13, 17, 19]

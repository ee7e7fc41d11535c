"""mpmath twin of `certify.kernels.fourier` (independent routes).

* network_outputs / margins: the trigonometric (or arbitrary) sums evaluated point by point over D_p with fsum,
  neuron by neuron (no GEMM, no one-hot batching);
* theta_norm: the plain (sum_i ||theta_i||^(k+1))^(1/(k+1)) (no rescaling: mpmath does not overflow);
* psi: the class-weighted margin averaged by enumerating D_p (the float64 kernel uses a residue dynamic
  programme instead);
* dft_power: the DFT as explicit sums of cos and sin with mpmath's pi (no FFT);
* max_margin_value: the closed form with mpmath factorial and powers;
* cosine_neuron / construction: cos and sin at working precision; the construction is enumerated as
  (frequency, sine pattern, sign vector), building the output coefficient from the real part of i^|S| e^{-iC}
  by complex mpmath arithmetic (the kernel uses the parity rule).

Every function takes an ``mpmath.MPContext`` ``mpm`` first; arrays are numpy object arrays of mpf.
"""

from __future__ import annotations

import itertools

import numpy as np

from certify.reference._mparray import to_mp

__all__ = ["network_outputs", "margins", "theta_norm", "normalized_margin", "psi", "dft_power",
           "max_margin_value", "cosine_neuron", "construction"]


def _arr(mpm, a):
    return to_mp(mpm, a if isinstance(a, np.ndarray) else np.asarray(a, dtype=float))


def _all_points(p, k):
    return itertools.product(range(p), repeat=k)


def network_outputs(mpm, U, W, k):
    U, W = _arr(mpm, U), _arr(mpm, W)
    m, p = W.shape
    rows = []
    for a in _all_points(p, k):
        acts = [mpm.fsum(U[i, j, a[j]] for j in range(k)) ** k for i in range(m)]
        rows.append([mpm.fsum(acts[i] * W[i, c] for i in range(m)) for c in range(p)])
    out = np.empty((len(rows), p), dtype=object)
    for r, row in enumerate(rows):
        out[r, :] = row
    return out


def margins(mpm, U, W, k):
    F = network_outputs(mpm, U, W, k)
    p = F.shape[1]
    out = np.empty(F.shape[0], dtype=object)
    for r, a in enumerate(_all_points(p, k)):
        y = sum(a) % p
        out[r] = F[r, y] - max(F[r, c] for c in range(p) if c != y)
    return out


def theta_norm(mpm, U, W, k):
    U, W = _arr(mpm, U), _arr(mpm, W)
    m = W.shape[0]
    tot = mpm.fsum(mpm.sqrt(mpm.fsum(v * v for v in U[i].reshape(-1)) + mpm.fsum(v * v for v in W[i])) ** (k + 1)
                   for i in range(m))
    return tot ** (mpm.mpf(1) / (k + 1))


def normalized_margin(mpm, U, W, k):
    return min(margins(mpm, U, W, k)) / theta_norm(mpm, U, W, k) ** (k + 1)


def psi(mpm, u, w, k):
    u, w = _arr(mpm, u), _arr(mpm, w)
    p = w.shape[0]
    total = mpm.fsum(w)
    acc = []
    for a in _all_points(p, k):
        y = sum(a) % p
        s = mpm.fsum(u[j, a[j]] for j in range(k))
        acc.append(s**k * (w[y] - (total - w[y]) / (p - 1)))
    return mpm.fsum(acc) / p**k


def dft_power(mpm, V):
    V = _arr(mpm, V)
    p = V.shape[-1]
    F = (p - 1) // 2
    flat = V.reshape(-1, p)
    out = np.empty((flat.shape[0], F + 1), dtype=object)
    for r in range(flat.shape[0]):
        power = []
        for z in range(p):
            re = mpm.fsum(flat[r, a] * mpm.cos(2 * mpm.pi * z * a / p) for a in range(p))
            im = mpm.fsum(flat[r, a] * mpm.sin(2 * mpm.pi * z * a / p) for a in range(p))
            power.append(re * re + im * im)
        folded = [power[0]] + [power[z] + power[p - z] for z in range(1, F + 1)]
        tot = mpm.fsum(folded)
        out[r, :] = [(x / tot if tot > 0 else mpm.mpf(0)) for x in folded]
    return out.reshape(V.shape[:-1] + (F + 1,))


def max_margin_value(mpm, p, k):
    return 2 * mpm.factorial(k) / (mpm.mpf(2 * k + 2) ** (mpm.mpf(k + 1) / 2) * (p - 1)
                                   * mpm.mpf(p) ** (mpm.mpf(k - 1) / 2))


def cosine_neuron(mpm, p, k, zeta, phases, beta):
    phases, beta = _arr(mpm, phases), mpm.mpf(beta)
    u = np.empty((k, p), dtype=object)
    w = np.empty(p, dtype=object)
    total = mpm.fsum(phases)
    for a in range(p):
        for j in range(k):
            u[j, a] = beta * mpm.cos(phases[j] + 2 * mpm.pi * zeta * a / p)
        w[a] = beta * mpm.cos(total + 2 * mpm.pi * zeta * a / p)
    return u, w


def construction(mpm, p, k):
    amp = (mpm.mpf(2) / (2**k * mpm.factorial(k))) ** (mpm.mpf(1) / (k + 1))
    Us, Ws = [], []
    for zeta in range(1, (p - 1) // 2 + 1):
        ang = [2 * mpm.pi * zeta * a / p for a in range(p)]
        cos = [mpm.cos(t) for t in ang]
        sin = [mpm.sin(t) for t in ang]
        for S in itertools.product((False, True), repeat=k):
            unit = mpm.mpc(0, 1) ** sum(S)
            # Re(unit * (cos C - i sin C)) = Re(unit) cos C + Im(unit) sin C
            wc = [mpm.re(unit) * cos[c] + mpm.im(unit) * sin[c] for c in range(p)]
            for signs in itertools.product((1, -1), repeat=k):
                if signs[0] != 1:
                    continue  # s and -s give the same neuron: kept once, coefficient doubled in amp
                parity = 1 if (k - sum(signs)) % 4 == 0 else -1
                Us.append([[amp * signs[j] * (sin[a] if S[j] else cos[a]) for a in range(p)] for j in range(k)])
                Ws.append([amp * parity * wc[c] for c in range(p)])
    U = np.empty((len(Us), k, p), dtype=object)
    W = np.empty((len(Ws), p), dtype=object)
    for i, (u, w) in enumerate(zip(Us, Ws, strict=True)):
        for j in range(k):
            U[i, j, :] = u[j]
        W[i, :] = w
    return U, W

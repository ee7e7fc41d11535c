"""One-hidden-layer networks for k-input modular addition over Z_p, in float64 (2402.09469; claims/related.md
section 3).

A network of width m is ``U`` (m, k, p) and ``W`` (m, p): neuron i maps a = (a_1, ..., a_k) in Z_p^k (one-hot
inputs) to (sum_j U[i, j, a_j])^k W[i, :]; f(theta, a) = sum_i of these, label y(a) = a_1 + ... + a_k mod p.
D_p = Z_p^k is enumerated lexicographically (a_1 slowest).

* ``network_outputs``: f(theta, a) for every a in D_p, shape (p^k, p) (S = one-hot sums, then S^k W: one GEMM).
* ``margins``: g(theta, a) = f[y] - max_{y' != y} f[y'] for every a; h(theta) is their minimum.
* ``theta_norm``: ||theta||_{2,k+1} = (sum_i ||theta_i||_2^(k+1))^(1/(k+1)), theta_i = (U[i, 0..k-1], W[i]).
* ``normalized_margin``: h(theta) / ||theta||_{2,k+1}^(k+1) = h(theta / ||theta||_{2,k+1}) ((k+1)-homogeneity).
* ``psi``: the single-neuron class-weighted margin E_a[f[y] - (1/(p-1)) sum_{y' != y} f[y']] for u (k, p), w (p,),
  by a dynamic programme over the residue of a_1 + ... + a_j holding the power sums of the partial pre-activation
  (O(k^2 p^2), no enumeration of D_p).
* ``dft_power``: folded power spectrum of vectors on Z_p: entry zeta of the last axis is |v^(zeta)|^2 +
  |v^(-zeta)|^2 for zeta = 1..(p-1)/2 and |v^(0)|^2 for zeta = 0, normalised to sum 1 (all zero for v = 0).
* ``max_margin_value``: gamma* = 2 k! / ((2k+2)^((k+1)/2) (p-1) p^((k-1)/2)).
* ``cosine_neuron``: u_j(a) = beta cos(phi_j + 2 pi zeta a / p), w(c) = beta cos(sum_j phi_j + 2 pi zeta c / p).
* ``construction``: the explicit network of 2^(2k-1) (p-1)/2 neurons realising
  f(a)[c] = sum_{zeta=1}^{(p-1)/2} cos(2 pi zeta (a_1 + ... + a_k - c) / p): Re(prod_j e^{i A_j} e^{-i C}) expanded into
  2^k products of cosines and sines, each product written by the polarization identity
  2^k k! prod x_j = sum_{s in {+-1}^k} (-1)^((k - sum s)/2) (sum_j s_j x_j)^k with s and -s merged
  (2^(k-1) neurons each); every neuron has all its k+1 vectors of one amplitude (coef^(1/(k+1)),
  coef = 2 / (2^k k!)), which is the balance that minimises its norm for its output.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from certify.errors import invalid
from certify.kernels._validate import float_array as _as_float_array

__all__ = ["network_outputs", "margins", "theta_norm", "normalized_margin", "psi", "dft_power",
           "max_margin_value", "cosine_neuron", "construction"]

_HERE = "kernels.fourier"


def _check_pk(where, p, k):
    if not (isinstance(p, (int, np.integer)) and p >= 3 and p % 2 == 1):
        raise invalid(where, "p", p, "pass an odd modulus p >= 3 (the catalogue uses primes)")
    if not (isinstance(k, (int, np.integer)) and k >= 1):
        raise invalid(where, "k", k, "pass the number of inputs k >= 1")


def _check_net(where, U, W, k):
    U = _as_float_array(where, "U", U, 3)
    W = _as_float_array(where, "W", W, 2)
    if U.shape[0] != W.shape[0] or U.shape[2] != W.shape[1] or U.shape[1] != k:
        raise invalid(where, "U/W", f"shapes {U.shape}, {W.shape} with k = {k}",
                      "pass U of shape (m, k, p) and W of shape (m, p)")
    return U, W


def _points(p, k):
    grids = np.meshgrid(*([np.arange(p)] * k), indexing="ij")
    return np.stack([g.reshape(-1) for g in grids], axis=1)


def network_outputs(U, W, k):
    U, W = _check_net(_HERE + ".network_outputs", U, W, k)
    p = W.shape[1]
    A = _points(p, k)
    S = np.zeros((A.shape[0], U.shape[0]))
    for j in range(k):
        S += U[:, j, A[:, j]].T
    return (S**k) @ W


def margins(U, W, k):
    F = network_outputs(U, W, k)
    p = F.shape[1]
    y = _points(p, k).sum(axis=1) % p
    rows = np.arange(F.shape[0])
    fy = F[rows, y].copy()
    F[rows, y] = -np.inf
    return fy - F.max(axis=1)


def theta_norm(U, W, k):
    U, W = _check_net(_HERE + ".theta_norm", U, W, k)
    n = np.sqrt(np.einsum("ijb,ijb->i", U, U) + np.einsum("ib,ib->i", W, W))
    top = float(n.max()) if n.size else 0.0
    if top == 0.0:
        return 0.0
    # scaled by the largest neuron norm so n^(k+1) never overflows or underflows for extreme scales
    return top * float(np.sum((n / top) ** (k + 1))) ** (1.0 / (k + 1))


def normalized_margin(U, W, k):
    nrm = theta_norm(U, W, k)
    if nrm == 0.0:
        raise invalid(_HERE + ".normalized_margin", "U/W", "theta = 0", "pass a network with a nonzero weight")
    return float(np.min(margins(U, W, k))) / nrm ** (k + 1)


def psi(u, w, k):
    where = _HERE + ".psi"
    u = _as_float_array(where, "u", u, 2)
    w = _as_float_array(where, "w", w, 1)
    p = w.shape[0]
    if u.shape != (k, p):
        raise invalid(where, "u", f"shape {u.shape}", f"pass u of shape (k, p) = ({k}, {p})")
    binom = [[math.comb(e, t) for t in range(k + 1)] for e in range(k + 1)]
    # T[r, e] = sum over (a_1..a_j) with a_1+..+a_j = r mod p of (u_1[a_1] + .. + u_j[a_j])^e
    T = np.zeros((p, k + 1))
    T[0, 0] = 1.0
    for j in range(k):
        pw = np.stack([u[j] ** e for e in range(k + 1)], axis=1)   # (p, k+1): u_j[a]^e
        new = np.zeros_like(T)
        for a in range(p):
            shifted = np.roll(T, a, axis=0)                          # residue r - a -> r
            for e in range(k + 1):
                new[:, e] += sum(binom[e][t] * shifted[:, t] * pw[a, e - t] for t in range(e + 1))
        T = new
    # g' = (p w[y] - sum w) / (p - 1) times the k-th power; averaged over the p^k points
    weight = (p * w - w.sum()) / (p - 1)
    return float(np.dot(T[:, k], weight) / p**k)


def dft_power(V):
    V = _as_float_array(_HERE + ".dft_power", "V", V, (1, 2, 3))
    p = V.shape[-1]
    P = np.abs(np.fft.fft(V, axis=-1)) ** 2
    F = (p - 1) // 2
    out = np.empty(V.shape[:-1] + (F + 1,))
    out[..., 0] = P[..., 0]
    for z in range(1, F + 1):
        out[..., z] = P[..., z] + P[..., p - z]
    if p % 2 == 0:
        out[..., F] += P[..., p // 2]
    tot = out.sum(axis=-1, keepdims=True)
    return np.divide(out, tot, out=np.zeros_like(out), where=tot > 0)


def max_margin_value(p, k):
    _check_pk(_HERE + ".max_margin_value", p, k)
    return 2.0 * math.factorial(k) / ((2 * k + 2) ** ((k + 1) / 2) * (p - 1) * p ** ((k - 1) / 2))


def cosine_neuron(p, k, zeta, phases, beta):
    where = _HERE + ".cosine_neuron"
    _check_pk(where, p, k)
    phases = _as_float_array(where, "phases", phases, 1)
    if phases.shape != (k,):
        raise invalid(where, "phases", f"shape {phases.shape}", f"pass k = {k} phases")
    a = np.arange(p)
    u = np.stack([beta * np.cos(phases[j] + 2 * np.pi * zeta * a / p) for j in range(k)])
    w = beta * np.cos(np.sum(phases) + 2 * np.pi * zeta * a / p)
    return u, w


def construction(p, k):
    _check_pk(_HERE + ".construction", p, k)
    amp = (2.0 / (2**k * math.factorial(k))) ** (1.0 / (k + 1))
    a = np.arange(p)
    Us, Ws = [], []
    for zeta in range(1, (p - 1) // 2 + 1):
        cos, sin = np.cos(2 * np.pi * zeta * a / p), np.sin(2 * np.pi * zeta * a / p)
        for S in itertools.product((0, 1), repeat=k):      # S_j = 1: the sine factor of input j
            n_sin = sum(S)
            # Re(i^|S| * (cos C - i sin C)): (-1)^(|S|/2) cos C for |S| even, (-1)^((|S|-1)/2) sin C for |S| odd
            w_base = (-1) ** (n_sin // 2) * (cos if n_sin % 2 == 0 else sin)
            for rest in itertools.product((1, -1), repeat=k - 1):
                s = (1,) + rest
                sign = (-1) ** ((k - sum(s)) // 2)
                Us.append(np.stack([amp * s[j] * (sin if S[j] else cos) for j in range(k)]))
                Ws.append(amp * sign * w_base)
    return np.stack(Us), np.stack(Ws)

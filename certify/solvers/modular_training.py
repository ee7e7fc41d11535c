"""Seeded full-batch training of the one-hidden-layer network for k-input modular addition (2402.09469;
claims/related.md section 3), in float64 numpy.

Network: f(theta, a)[c] = sum_i (sum_j U[i, j, a_j])^k W[i, c] on D_p = Z_p^k (label y = sum_j a_j mod p).
Objective: mean cross-entropy over D_p + lam * ||theta||_{2,k+1}, ||theta||_{2,k+1} = (sum_i ||theta_i||^(k+1))^(1/(k+1)),
theta_i = (U[i, 0], ..., U[i, k-1], W[i]). Adam with a fixed learning rate; analytic gradients (the model is a
polynomial, so no autograd is needed). The whole run is a deterministic function of its arguments, so results
are cached per argument tuple: in memory, and as .npz under the cache directory (``$CERTIFY_CACHE_DIR`` or
``<tmp>/certify-cache``; never inside the repository).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from functools import lru_cache
from pathlib import Path

import numpy as np

from certify.errors import invalid

__all__ = ["train", "cache_dir", "points", "maximize_psi"]

_HERE = "solvers.modular_training"
VERSION = 1  # bump when the training procedure changes (invalidates the cache)


def cache_dir() -> Path:
    root = os.environ.get("CERTIFY_CACHE_DIR") or os.path.join(tempfile.gettempdir(), "certify-cache")
    return Path(root) / "modular_training"


def points(p: int, k: int) -> np.ndarray:
    """All a in Z_p^k, lexicographic (a_1 slowest), shape (p^k, k)."""
    grids = np.meshgrid(*([np.arange(p)] * k), indexing="ij")
    return np.stack([g.reshape(-1) for g in grids], axis=1)


def _loss_grad(U, W, A, y, k, lam):
    m, _, p = U.shape
    S = np.zeros((A.shape[0], m))
    for j in range(k):
        S += U[:, j, A[:, j]].T
    P = S**k
    F = P @ W
    Z = F - F.max(axis=1, keepdims=True)
    E = np.exp(Z)
    Q = E / E.sum(axis=1, keepdims=True)
    N = A.shape[0]
    ce = float(np.mean(np.log(E.sum(axis=1)) - Z[np.arange(N), y]))
    G = Q
    G[np.arange(N), y] -= 1.0
    G /= N
    dW = P.T @ G
    dS = k * S ** (k - 1) * (G @ W.T)
    dU = np.zeros_like(U)
    for j in range(k):
        for b in range(p):
            dU[:, j, b] = dS[A[:, j] == b].sum(axis=0)
    n = np.sqrt((U**2).sum(axis=(1, 2)) + (W**2).sum(axis=1))
    tot = float(np.sum(n ** (k + 1)))
    norm = tot ** (1.0 / (k + 1))
    if lam > 0 and tot > 0:
        coef = lam * tot ** (1.0 / (k + 1) - 1.0) * n ** (k - 1)
        dU += coef[:, None, None] * U
        dW += coef[:, None] * W
    return ce + lam * norm, dU, dW


def _run(p, k, m, seed, lam, steps, lr, init_scale):
    rng = np.random.default_rng(seed)
    U = init_scale * rng.standard_normal((m, k, p))
    W = init_scale * rng.standard_normal((m, p))
    A = points(p, k)
    y = A.sum(axis=1) % p
    params = [U, W]
    mom = [np.zeros_like(U), np.zeros_like(W)]
    vel = [np.zeros_like(U), np.zeros_like(W)]
    b1, b2, eps = 0.9, 0.999, 1e-12
    loss = np.nan
    for t in range(1, steps + 1):
        loss, dU, dW = _loss_grad(params[0], params[1], A, y, k, lam)
        for q, g in enumerate((dU, dW)):
            mom[q] = b1 * mom[q] + (1 - b1) * g
            vel[q] = b2 * vel[q] + (1 - b2) * g * g
            params[q] = params[q] - lr * (mom[q] / (1 - b1**t)) / (np.sqrt(vel[q] / (1 - b2**t)) + eps)
    return params[0], params[1], float(loss)


@lru_cache(maxsize=64)
def _train_cached(p, k, m, seed, lam, steps, lr, init_scale):
    key = json.dumps([VERSION, p, k, m, seed, lam, steps, lr, init_scale])
    name = hashlib.sha256(key.encode()).hexdigest()[:20] + ".npz"
    path = cache_dir() / name
    if path.exists():
        try:
            with np.load(path, allow_pickle=False) as z:
                if str(z["key"]) == key:
                    return z["U"], z["W"], float(z["loss"])
        except (OSError, ValueError, KeyError):
            pass  # a torn or foreign file: retrain and overwrite
    U, W, loss = _run(p, k, m, seed, lam, steps, lr, init_scale)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp.npz")
        np.savez(tmp, U=U, W=W, loss=loss, key=key)
        os.replace(tmp, path)
    except OSError:
        pass  # caching is an optimisation; a read-only tmp costs time, not results
    return U, W, loss


def train(p: int, k: int, m: int, seed: int, lam: float = 1e-4, steps: int = 2000, lr: float = 0.01,
          init_scale: float = 0.3):
    """(U (m, k, p), W (m, p), final objective) of a seeded full-batch Adam run on D_p; copies (cached)."""
    if not (isinstance(p, (int, np.integer)) and p >= 3):
        raise invalid(_HERE + ".train", "p", p, "pass an odd prime p >= 3")
    if not (isinstance(k, (int, np.integer)) and k >= 1):
        raise invalid(_HERE + ".train", "k", k, "pass the number of inputs k >= 1")
    if p**k > 40000:
        raise invalid(_HERE + ".train", "p^k", p**k, "keep |D_p| = p^k <= 40000 (CPU seconds per run)")
    if not (isinstance(m, (int, np.integer)) and m >= 1):
        raise invalid(_HERE + ".train", "m", m, "pass a width m >= 1")
    if not (lam >= 0 and steps >= 0 and lr > 0 and init_scale > 0):
        raise invalid(_HERE + ".train", "lam/steps/lr/init_scale", (lam, steps, lr, init_scale),
                      "pass lam >= 0, steps >= 0, lr > 0, init_scale > 0")
    U, W, loss = _train_cached(int(p), int(k), int(m), int(seed), float(lam), int(steps), float(lr),
                               float(init_scale))
    return U.copy(), W.copy(), loss


def _psi_and_grad(u, w, A, y, k):
    p = w.shape[0]
    S = np.zeros(A.shape[0])
    for j in range(k):
        S += u[j, A[:, j]]
    v = (p * w - w.sum()) / (p - 1)
    N = A.shape[0]
    val = float(np.dot(S**k, v[y]) / N)
    Sk = S**k
    dw = (p * np.bincount(y, weights=Sk, minlength=p) - Sk.sum()) / ((p - 1) * N)
    r = k * S ** (k - 1) * v[y] / N
    du = np.stack([np.bincount(A[:, j], weights=r, minlength=p) for j in range(k)])
    return val, du, dw


def maximize_psi(p: int, k: int, seed: int, iters: int = 400, step: float = 0.1):
    """A local maximiser (u (k, p), w (p,)) of the single-neuron class-weighted margin psi on the unit sphere
    ||(u, w)||_2 = 1, by projected gradient ascent with step halving from a seeded Gaussian start (float64)."""
    if not (isinstance(p, (int, np.integer)) and p >= 3 and isinstance(k, (int, np.integer)) and k >= 1):
        raise invalid(_HERE + ".maximize_psi", "p/k", (p, k), "pass an odd modulus p >= 3 and k >= 1")
    if p**k > 40000:
        raise invalid(_HERE + ".maximize_psi", "p^k", p**k, "keep p^k <= 40000")
    rng = np.random.default_rng(seed)
    A = points(p, k)
    y = A.sum(axis=1) % p
    x = rng.standard_normal((k + 1) * p)
    x /= np.linalg.norm(x)

    def split(z):
        return z[: k * p].reshape(k, p), z[k * p:]

    val, du, dw = _psi_and_grad(*split(x), A, y, k)
    eta = step
    for _ in range(iters):
        g = np.concatenate([du.reshape(-1), dw])
        g -= np.dot(g, x) * x                                   # tangent to the sphere
        gn = np.linalg.norm(g)
        if gn < 1e-14:
            break
        g /= gn
        eta = min(2 * eta, 1.0)                                 # grow after a success, halve on failure
        while eta > 1e-12:
            cand = x + eta * g
            cand /= np.linalg.norm(cand)
            cval, cdu, cdw = _psi_and_grad(*split(cand), A, y, k)
            if cval > val:
                x, val, du, dw = cand, cval, cdu, cdw
                break
            eta /= 2
        else:
            break
    u, w = split(x)
    return u.copy(), w.copy()

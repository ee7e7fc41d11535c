"""Modern Hopfield retrieval in float64 (2402.04520; claims/related.md section 2).

Patterns are the columns of ``Xi`` (d, M); a query is ``x`` (d,) or the columns of ``X`` (d, L).

* ``retrieve``: T(x) = Xi softmax(beta Xi^T x) (stable softmax over the M scores of each query).
* ``retrieval_error``: ||T(x) - xi_mu||_2 computed as ||sum_{nu != mu} p_nu (xi_nu - xi_mu)||_2 (the same vector,
  since sum p = 1), so a p_mu close to 1 costs no cancellation; ``log_retrieval_error`` is its logarithm with the
  largest off-target probability factored out, finite even when every p_nu (nu != mu) underflows float64.
* ``separation``: query side Delta~_mu(x) = <xi_mu, x> - max_{nu != mu} <xi_nu, x>, or pattern side
  Delta_mu = <xi_mu, x> - max_{nu != mu} <xi_mu, xi_nu>.
* ``lowrank_retrieve``: T~(X) of the polynomial method: exp(beta s) replaced by its Taylor polynomial of degree g,
  factored as U V^T with monomial features phi_alpha(y) = y^alpha beta^{|alpha|/2} / sqrt(alpha!) (rank C(d+g, g));
  T~ = (Xi U) V^T / ((1^T U) V^T) column-wise, never forming the M x L matrix.
* ``pattern_retrieval_errors``: ||T(xi_mu) - xi_mu||_2 for every stored pattern (capacity experiments).
"""

from __future__ import annotations

import itertools
import math
from functools import lru_cache

import numpy as np

from certify.errors import invalid
from certify.kernels._validate import float_array as _as_float_array

__all__ = ["retrieve", "retrieval_error", "log_retrieval_error", "separation", "lowrank_retrieve",
           "pattern_retrieval_errors"]

_HERE = "kernels.hopfield"


def _probs(Xi, x, beta):
    s = beta * (Xi.T @ x)
    z = s - np.max(s, axis=0, keepdims=True)
    e = np.exp(z)
    return e / np.sum(e, axis=0, keepdims=True), s


def _check(where, Xi, x, mu=None):
    Xi = _as_float_array(where, "Xi", Xi, 2)
    x = np.asarray(x, dtype=float)
    if x.ndim not in (1, 2) or x.shape[0] != Xi.shape[0]:
        raise invalid(where, "x", f"shape {x.shape}", f"pass a query of length d = {Xi.shape[0]} (or d x L)")
    x = _as_float_array(where, "x", x, x.ndim)
    if mu is not None and not (0 <= int(mu) < Xi.shape[1]):
        raise invalid(where, "mu", mu, f"pass a pattern index in [0, {Xi.shape[1]})")
    return Xi, x


def retrieve(Xi, x, beta):
    """T(x) = Xi softmax(beta Xi^T x): (d,) for a query (d,), (d, L) for queries (d, L)."""
    Xi, x = _check(f"{_HERE}.retrieve", Xi, x)
    p, _ = _probs(Xi, x, float(beta))
    return Xi @ p


def _offtarget(Xi, x, mu, beta):
    """(c, v): T(x) - xi_mu = exp(c) v with c = log of the largest off-target probability."""
    s = float(beta) * (Xi.T @ x)
    M = s.shape[0]
    others = np.array([j for j in range(M) if j != mu], dtype=np.int64)
    lse = np.max(s) + np.log(np.sum(np.exp(s - np.max(s))))
    so = s[others]
    top = np.max(so)
    w = np.exp(so - top)
    v = (Xi[:, others] - Xi[:, [mu]]) @ w
    return top - lse, v


def retrieval_error(Xi, x, mu, beta):
    """||T(x) - xi_mu||_2 (underflows to 0 once beta * separation exceeds ~745; see log_retrieval_error)."""
    Xi, x = _check(f"{_HERE}.retrieval_error", Xi, x, mu)
    if Xi.shape[1] == 1:
        return 0.0
    c, v = _offtarget(Xi, x, int(mu), beta)
    return float(np.exp(c) * np.linalg.norm(v))


def log_retrieval_error(Xi, x, mu, beta):
    """log ||T(x) - xi_mu||_2, finite where the error itself underflows; -inf for an exact zero."""
    Xi, x = _check(f"{_HERE}.log_retrieval_error", Xi, x, mu)
    if Xi.shape[1] == 1:
        return -math.inf
    c, v = _offtarget(Xi, x, int(mu), beta)
    nv = float(np.linalg.norm(v))
    return c + math.log(nv) if nv > 0 else -math.inf


def separation(Xi, x, mu, delta_def="query_side"):
    """Delta~_mu(x) (query_side) or Delta_mu (pattern_side); +inf for a single pattern."""
    Xi, x = _check(f"{_HERE}.separation", Xi, x, mu)
    mu = int(mu)
    M = Xi.shape[1]
    if M == 1:
        return math.inf
    own = float(Xi[:, mu] @ x)
    others = [j for j in range(M) if j != mu]
    if delta_def == "query_side":
        return own - float(np.max(Xi[:, others].T @ x))
    if delta_def == "pattern_side":
        return own - float(np.max(Xi[:, others].T @ Xi[:, mu]))
    raise invalid(f"{_HERE}.separation", "delta_def", delta_def, "pass 'query_side' or 'pattern_side'")


@lru_cache(maxsize=64)
def _multi_indices(d, g):
    rows = [a for total in range(g + 1) for a in itertools.product(range(total + 1), repeat=d) if sum(a) == total] \
        if d <= 3 else [a for a in _compositions(d, g)]
    A = np.array(rows, dtype=np.int64).reshape(-1, d)
    fact = np.array([math.prod(math.factorial(int(t)) for t in a) for a in A], dtype=float)
    return A, fact


def _compositions(d, g):
    for total in range(g + 1):
        for cut in itertools.combinations(range(total + d - 1), d - 1):
            prev, out = -1, []
            for c in cut:
                out.append(c - prev - 1)
                prev = c
            out.append(total + d - 1 - prev - 1)
            yield tuple(out)


def _features(Y, beta, A, fact):
    """phi(y)_alpha = y^alpha beta^{|alpha|/2} / sqrt(alpha!) for the rows y of Y (n, d) -> (n, r)."""
    deg = A.sum(axis=1)
    F = np.prod(Y[:, None, :] ** A[None, :, :], axis=2)
    return F * (np.sqrt(beta) ** deg / np.sqrt(fact))[None, :]


def lowrank_retrieve(Xi, X, beta, degree):
    """T~(X) with exp(beta Xi^T X) replaced by the rank-C(d+g, g) Taylor factorisation (g = degree)."""
    where = f"{_HERE}.lowrank_retrieve"
    Xi, X = _check(where, Xi, X)
    if int(degree) < 0:
        raise invalid(where, "degree", degree, "pass a non-negative polynomial degree")
    one = X.ndim == 1
    Xq = X[:, None] if one else X
    A, fact = _multi_indices(Xi.shape[0], int(degree))
    U = _features(Xi.T, float(beta), A, fact)      # (M, r)
    V = _features(Xq.T, float(beta), A, fact)      # (L, r)
    num = (Xi @ U) @ V.T                           # (d, L)
    den = U.sum(axis=0) @ V.T                      # (L,)
    out = num / den[None, :]
    return out[:, 0] if one else out


def pattern_retrieval_errors(Xi, beta):
    """||T(xi_mu) - xi_mu||_2 for every column mu: Xi Q^T, Q = P with its diagonal replaced by -sum_{nu != mu}."""
    Xi = _as_float_array(f"{_HERE}.pattern_retrieval_errors", "Xi", Xi, 2)
    S = float(beta) * (Xi.T @ Xi)
    Z = S - S.max(axis=1, keepdims=True)
    E = np.exp(Z)
    P = E / E.sum(axis=1, keepdims=True)
    np.fill_diagonal(P, 0.0)
    Q = P.copy()
    np.fill_diagonal(Q, -P.sum(axis=1))
    D = Xi @ Q.T
    return np.sqrt(np.sum(D * D, axis=0))

"""mpmath twin of `certify.kernels.hopfield` (independent routes).

* softmax weights p_nu = 1 / sum_k exp(s_k - s_nu) (no max shift, no common normaliser);
* retrieval error: ||sum_{nu != mu} p_nu (xi_nu - xi_mu)||_2 with fsum, no factoring (mpmath does not underflow);
  log_retrieval_error is the plain log of it;
* lowrank_retrieve: the Taylor polynomial sum_{j <= g} (beta s)^j / j! evaluated entry by entry on the M x L
  scores (no feature map), then normalised column-wise;
* pattern_retrieval_errors: retrieval_error at each stored pattern.

Every function takes an ``mpmath.MPContext`` ``mpm`` first; arrays are numpy object arrays of mpf.
"""

from __future__ import annotations

import numpy as np

from certify.reference._mparray import to_mp

__all__ = ["retrieve", "retrieval_error", "log_retrieval_error", "separation", "lowrank_retrieve",
           "pattern_retrieval_errors"]


def _arr(mpm, a):
    return to_mp(mpm, a if isinstance(a, np.ndarray) else np.asarray(a, dtype=float))


def _dot(mpm, u, v):
    return mpm.fsum(a * b for a, b in zip(u, v, strict=True))


def _weights(mpm, Xi, x, beta):
    M = Xi.shape[1]
    s = [beta * _dot(mpm, Xi[:, j], x) for j in range(M)]
    return [1 / mpm.fsum(mpm.exp(s[k] - s[j]) for k in range(M)) for j in range(M)]


def retrieve(mpm, Xi, x, beta):
    Xi, x, beta = _arr(mpm, Xi), _arr(mpm, x), mpm.mpf(beta)
    if x.ndim == 2:
        return np.stack([retrieve(mpm, Xi, x[:, q], beta) for q in range(x.shape[1])], axis=1)
    p = _weights(mpm, Xi, x, beta)
    d, M = Xi.shape
    return np.array([mpm.fsum(Xi[i, j] * p[j] for j in range(M)) for i in range(d)] + [None], dtype=object)[:-1]


def retrieval_error(mpm, Xi, x, mu, beta):
    Xi, x, beta, mu = _arr(mpm, Xi), _arr(mpm, x), mpm.mpf(beta), int(mu)
    d, M = Xi.shape
    p = _weights(mpm, Xi, x, beta)
    diff = [mpm.fsum(p[j] * (Xi[i, j] - Xi[i, mu]) for j in range(M) if j != mu) for i in range(d)]
    return mpm.sqrt(mpm.fsum(t * t for t in diff))


def log_retrieval_error(mpm, Xi, x, mu, beta):
    e = retrieval_error(mpm, Xi, x, mu, beta)
    return mpm.log(e) if e > 0 else mpm.ninf


def separation(mpm, Xi, x, mu, delta_def="query_side"):
    Xi, x, mu = _arr(mpm, Xi), _arr(mpm, x), int(mu)
    M = Xi.shape[1]
    if M == 1:
        return mpm.inf
    own = _dot(mpm, Xi[:, mu], x)
    if delta_def == "query_side":
        return own - max(_dot(mpm, Xi[:, j], x) for j in range(M) if j != mu)
    if delta_def == "pattern_side":
        return own - max(_dot(mpm, Xi[:, j], Xi[:, mu]) for j in range(M) if j != mu)
    from certify.errors import invalid

    raise invalid("reference.hopfield.separation", "delta_def", delta_def, "pass 'query_side' or 'pattern_side'")


def lowrank_retrieve(mpm, Xi, X, beta, degree):
    Xi, X, beta, g = _arr(mpm, Xi), _arr(mpm, X), mpm.mpf(beta), int(degree)
    one = X.ndim == 1
    Xq = X.reshape(-1, 1) if one else X
    d, M = Xi.shape
    coef = [1 / mpm.factorial(j) for j in range(g + 1)]
    out = np.empty((d, Xq.shape[1]), dtype=object)
    for q in range(Xq.shape[1]):
        a = [mpm.polyval(coef[::-1], beta * _dot(mpm, Xi[:, j], Xq[:, q])) for j in range(M)]
        tot = mpm.fsum(a)
        for i in range(d):
            out[i, q] = mpm.fsum(Xi[i, j] * a[j] for j in range(M)) / tot
    return out[:, 0] if one else out


def pattern_retrieval_errors(mpm, Xi, beta):
    Xi = _arr(mpm, Xi)
    return np.array([retrieval_error(mpm, Xi, Xi[:, mu], mu, beta) for mu in range(Xi.shape[1])] + [None],
                    dtype=object)[:-1]

"""Degree and rank of the polynomial method for exp on [-R, R] (2302.13214 / 2402.04520 style), in float64.

The Taylor polynomial P_g of exp has, by the Lagrange remainder, relative error on [-R, R] at most
``e^R R^(g+1) / (g+1)!``; ``taylor_degree`` returns the smallest g meeting a target, evaluated in log form
(lgamma) so no factorial or power overflows. A relative entrywise error eps of the score matrix moves every
softmax weight by a factor within [(1-eps)/(1+eps), (1+eps)/(1-eps)], so ||T~ - T||_max <= B 2 eps / (1 - eps):
``eps_for_delta`` inverts that for a target delta_F. The feature rank of degree g in d variables is C(d+g, g).
"""

from __future__ import annotations

import math

from certify.errors import invalid

__all__ = ["taylor_log_remainder", "taylor_degree", "eps_for_delta", "rank", "crossover_bound"]


def taylor_log_remainder(R: float, g: int) -> float:
    """log of e^R R^(g+1) / (g+1)! (the relative error bound of P_g on [-R, R]); -inf for R = 0."""
    if R < 0:
        raise invalid("solvers.polynomial_method.taylor_log_remainder", "R", R, "pass a radius R >= 0")
    if R == 0:
        return -math.inf
    return R + (g + 1) * math.log(R) - math.lgamma(g + 2)


def taylor_degree(R: float, eps: float, g_max: int = 100000) -> int:
    """Smallest degree g with e^R R^(g+1)/(g+1)! <= eps."""
    if not (0 < eps < 1):
        raise invalid("solvers.polynomial_method.taylor_degree", "eps", eps, "pass a relative accuracy in (0, 1)")
    target = math.log(eps)
    g = 0
    while taylor_log_remainder(R, g) > target:
        g += 1
        if g > g_max:
            raise invalid("solvers.polynomial_method.taylor_degree", "R", R,
                          f"the degree exceeds {g_max}; lower beta, the entry bound or d")
    return g


def eps_for_delta(B: float, delta_F: float) -> float:
    """Largest eps with B 2 eps / (1 - eps) <= delta_F."""
    return delta_F / (2.0 * B + delta_F)


def rank(d: int, g: int) -> int:
    return math.comb(int(d) + int(g), int(g))


def crossover_bound(tau: float, d: int, beta: float, delta_F: float, logit_scale: str = "1",
                    lo: float = 1e-8, hi: float = 1e2, iters: int = 60) -> float:
    """Smallest entry bound B at which the rank C(d+g(B), g(B)) of the degree needed for ||T~ - T||_max <=
    delta_F reaches tau (bisection in log B; the rank is non-decreasing in B)."""
    def R_of(B):
        return beta * B * B * (d if logit_scale == "1" else 1.0)

    def big(B):
        try:
            g = taylor_degree(R_of(B), eps_for_delta(B, delta_F), g_max=20000)
        except ValueError:  # a degree beyond g_max has a rank far beyond any tau swept here
            return True
        return rank(d, g) >= tau

    if big(lo):
        return lo
    if not big(hi):
        return hi
    a, b = math.log(lo), math.log(hi)
    for _ in range(iters):
        mid = 0.5 * (a + b)
        if big(math.exp(mid)):
            b = mid
        else:
            a = mid
    return math.exp(b)

"""Maximise the sum of per-campaign response curves under the budget constraints.

Why dynamic programming first: with S-shaped curves the problem is not concave, so gradient or
KKT water-filling alone stalls in a local optimum (spreading budget thinly below every
threshold). A max-plus DP over a grid of the free budget finds the global optimum up to the grid
step for any curve shapes; a KKT polish (equalising marginal returns among campaigns that are
not at a bound, by bisection on the multiplier in the neighbourhood of the DP answer) then
removes most of the grid error. The result always goes through `Constraints.project`.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from matrix.budget.constraints import Constraints

Curve = Callable[[np.ndarray], np.ndarray]


def total_value(curves: Sequence[Curve], x: np.ndarray) -> float:
    return float(sum(float(np.asarray(c(np.array([xi])))[0]) for c, xi in zip(curves, x, strict=True)))


def dp_allocate(curves: Sequence[Curve], cons: Constraints, grid: int = 400) -> np.ndarray:
    n = cons.n
    lo, hi = cons.lo, cons.hi
    free = cons.budget - lo.sum()
    if free <= 0:
        return cons.project(lo.copy())
    step = free / grid
    kmax = np.minimum(np.floor((hi - lo) / step + 1e-9), grid).astype(int)
    dp = np.full(grid + 1, -np.inf)
    dp[0] = 0.0
    choice = np.zeros((n, grid + 1), dtype=np.int32)
    t_idx = np.arange(grid + 1)[:, None]
    for i in range(n):
        K = int(kmax[i])
        ks = np.arange(K + 1)
        vals = np.asarray(curves[i](lo[i] + ks * step), dtype=float)
        vals = vals - vals[0]
        src = t_idx - ks[None, :]
        cand = np.where(src >= 0, dp[np.clip(src, 0, None)] + vals[None, :], -np.inf)
        best = np.argmax(cand, axis=1)
        dp = cand[np.arange(grid + 1), best]
        choice[i] = best
    t = int(np.nanargmax(np.where(np.isfinite(dp), dp + 1e-12 * np.arange(grid + 1), -np.inf)))
    units = np.zeros(n, dtype=int)
    for i in range(n - 1, -1, -1):
        units[i] = choice[i, t]
        t -= units[i]
    return cons.project(lo + units * step)


def kkt_polish(curves: Sequence[Curve], cons: Constraints, x0: np.ndarray, radius: float, iters: int = 60) -> np.ndarray:
    """Local water-filling: in a box of +-radius around x0, give each campaign the spend where its
    marginal return equals a common multiplier lam, with lam bisected so the budget is used exactly.
    Within one grid cell of the DP optimum every curve is (locally) concave, so this is the KKT point.
    """
    lo = np.maximum(cons.lo, x0 - radius)
    hi = np.minimum(cons.hi, x0 + radius)
    m = 33
    grids = lo[:, None] + (hi - lo)[:, None] * np.linspace(0, 1, m)[None, :]
    vals = np.stack([np.asarray(c(g), dtype=float) for c, g in zip(curves, grids, strict=True)])

    def best_for(lam: float) -> np.ndarray:
        idx = np.argmax(vals - lam * grids, axis=1)
        return grids[np.arange(len(curves)), idx]

    a, b = 0.0, 1.0
    while best_for(b).sum() > cons.budget and b < 1e9:
        b *= 2
    for _ in range(iters):
        lam = 0.5 * (a + b)
        if best_for(lam).sum() > cons.budget:
            a = lam
        else:
            b = lam
    x = cons.project(0.5 * (best_for(a) + best_for(b)))
    return x


def maximize(curves: Sequence[Curve], cons: Constraints, grid: int = 400, polish: bool = True) -> np.ndarray:
    """Best feasible allocation for the given curves (global DP + local KKT polish, never worse)."""
    x = dp_allocate(curves, cons, grid)
    if not polish:
        return x
    best, best_v = x, total_value(curves, x)
    radius = 2.0 * (cons.budget - cons.lo.sum()) / grid
    for r in (radius, radius / 8):
        y = kkt_polish(curves, cons, best, r)
        v = total_value(curves, y)
        if v > best_v:
            best, best_v = y, v
    return best

"""Budget constraints and the one repair routine every strategy goes through.

Why one routine: strategies propose whatever they like (shares, scores, sampled optima) and
`Constraints.project` maps the proposal to the nearest feasible allocation (Euclidean
projection onto {sum x = budget, lo <= x <= hi}). Because every strategy's output passes here,
"zero violations" is a property of this function alone, and it is property-tested.

Effective bounds per campaign: [max(min_spend, prev - max_change), min(max_spend, prev + max_change)],
where max_change is the absolute cap, the fraction of the previous allocation, or both (the
tighter wins). A budget outside [sum lo, sum hi] is infeasible and raises, naming the numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

TOL = 1e-6  # relative tolerance on the total: |sum - budget| <= TOL * budget


class ConstraintError(ValueError):
    """The constraints cannot all hold at once (or were given nonsense)."""


def _vec(v: float | np.ndarray | None, n: int, default: float) -> np.ndarray:
    if v is None:
        return np.full(n, default, dtype=float)
    arr = np.asarray(v, dtype=float)
    if arr.ndim == 0:
        return np.full(n, float(arr))
    if arr.shape != (n,):
        raise ConstraintError(f"expected {n} per-campaign values, got shape {arr.shape}")
    return arr.copy()


@dataclass
class Constraints:
    budget: float
    n: int
    min_spend: float | np.ndarray | None = None
    max_spend: float | np.ndarray | None = None
    previous: np.ndarray | None = None
    max_change: float | np.ndarray | None = None
    max_change_fraction: float | None = None
    lo: np.ndarray = field(init=False, repr=False)
    hi: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not np.isfinite(self.budget) or self.budget <= 0:
            raise ConstraintError(f"budget must be a positive number, got {self.budget}")
        if self.n < 1:
            raise ConstraintError(f"need at least one campaign, got n={self.n}")
        lo = _vec(self.min_spend, self.n, 0.0)
        hi = _vec(self.max_spend, self.n, np.inf)
        if (lo < 0).any():
            raise ConstraintError(f"min_spend must be >= 0; got {lo[lo < 0].tolist()}")
        if self.previous is not None and (self.max_change is not None or self.max_change_fraction is not None):
            prev = _vec(self.previous, self.n, 0.0)
            step = _vec(self.max_change, self.n, np.inf)
            if self.max_change_fraction is not None:
                if self.max_change_fraction < 0:
                    raise ConstraintError(f"max_change_fraction must be >= 0, got {self.max_change_fraction}")
                step = np.minimum(step, self.max_change_fraction * prev)
            if (step < 0).any():
                raise ConstraintError("max_change must be >= 0")
            lo = np.maximum(lo, prev - step)
            hi = np.minimum(hi, prev + step)
        bad = np.nonzero(lo > hi + 1e-12)[0]
        if bad.size:
            i = int(bad[0])
            raise ConstraintError(f"campaign #{i}: lower bound {lo[i]:.6g} exceeds upper bound {hi[i]:.6g} "
                                  "(min_spend, max_spend and max change per period conflict)")
        hi = np.maximum(hi, lo)
        if lo.sum() > self.budget * (1 + TOL):
            raise ConstraintError(f"infeasible: minimum spends add up to {lo.sum():.6g} > budget {self.budget:.6g}")
        if hi.sum() < self.budget * (1 - TOL):
            raise ConstraintError(f"infeasible: maximum spends add up to {hi.sum():.6g} < budget {self.budget:.6g}")
        self.lo, self.hi = lo, hi

    # ---------------------------------------------------------------------------------------
    def violations(self, x: np.ndarray) -> list[str]:
        """Every broken constraint, as text (empty list = feasible)."""
        x = np.asarray(x, dtype=float)
        out = []
        if x.shape != (self.n,):
            return [f"allocation has shape {x.shape}, expected ({self.n},)"]
        if not np.isfinite(x).all():
            out.append("allocation has non-finite values")
        if abs(x.sum() - self.budget) > TOL * self.budget:
            out.append(f"total {x.sum():.9g} != budget {self.budget:.9g}")
        for i in np.nonzero(x < self.lo)[0]:
            out.append(f"campaign #{i}: {x[i]:.9g} < lower bound {self.lo[i]:.9g}")
        for i in np.nonzero(x > self.hi)[0]:
            out.append(f"campaign #{i}: {x[i]:.9g} > upper bound {self.hi[i]:.9g}")
        return out

    def project(self, y: np.ndarray) -> np.ndarray:
        """Nearest feasible allocation to `y` (non-finite entries are treated as the lower bound)."""
        y = np.asarray(y, dtype=float).reshape(-1)
        if y.shape != (self.n,):
            raise ConstraintError(f"proposal has {y.size} values, expected {self.n}")
        y = np.where(np.isfinite(y), y, self.lo)
        lo, hi, b = self.lo, self.hi, self.budget
        # x(lam) = clip(y - lam, lo, hi) is non-increasing in lam: bisection for sum = budget.
        fin_hi = np.where(np.isfinite(hi), hi, np.maximum(y, lo) + b)
        a = float(np.min(y - fin_hi)) - 1.0
        c = float(np.max(y - lo)) + 1.0
        for _ in range(200):
            m = 0.5 * (a + c)
            if np.clip(y - m, lo, hi).sum() > b:
                a = m
            else:
                c = m
            if c - a <= 1e-15 * max(1.0, abs(m)):
                break
        x = np.clip(y - 0.5 * (a + c), lo, hi)
        return self._fix_total(x)

    def _fix_total(self, x: np.ndarray) -> np.ndarray:
        """Spread the rounding residual over campaigns with room, so the total is exact."""
        for _ in range(50):
            r = self.budget - x.sum()
            if abs(r) <= 0.1 * TOL * self.budget:
                break
            room = (self.hi - x) if r > 0 else (x - self.lo)
            room = np.where(np.isfinite(room), room, abs(r))
            tot = room.sum()
            if tot <= 0:
                break
            x = np.clip(x + np.sign(r) * room * min(1.0, abs(r) / tot), self.lo, self.hi)
        return x

    def from_simplex(self, w: np.ndarray) -> np.ndarray:
        """Map simplex weights (any non-negative vector) to a feasible allocation.

        Used by allocation search: the optimizer moves on the simplex, the free budget above the
        minimums is shared by `w`, and the projection repairs upper bounds and change limits.
        """
        w = np.clip(np.asarray(w, dtype=float), 0, None)
        w = w / w.sum() if w.sum() > 0 else np.full(self.n, 1.0 / self.n)
        return self.project(self.lo + w * (self.budget - self.lo.sum()))

    def to_simplex(self, x: np.ndarray) -> np.ndarray:
        """Inverse of `from_simplex` for a feasible x (seeds a search with the current allocation)."""
        free = np.clip(np.asarray(x, dtype=float) - self.lo, 0, None)
        return free / free.sum() if free.sum() > 0 else np.full(self.n, 1.0 / self.n)

"""Safe-by-default allocation: a trust region around observed spend, pooled priors, a risk-aware
objective and a guard against doing worse than the current allocation; plus deliberate exploration.

Why: response curves fitted on history are accurate inside the observed spend range and run away
beyond it. A plan that bets on that extrapolation promises many times the historical ROAS and
delivers less than keeping the old allocation. So the default strategy:

1. moves only inside a trust region: at most `trust_multiple` x a campaign's highest observed
   daily spend (users opt into more with the `explore` strategy and its stated `explore_step`);
2. pools the curve-shape posteriors across campaigns (empirical Bayes over the shared (theta, k/
   median spend, s) grid), so one campaign with a narrow spend range borrows the shapes its
   siblings showed instead of a flat prior that happily believes "linear forever";
3. maximises a risk-adjusted curve, mean - risk x sd over posterior curve samples, which is the
   mean inside the observed range and shrinks where the data say little;
4. guards: among x_t = h + t (x* - h) (h = the current allocation rescaled to the budget) it keeps
   the t whose *lower quantile* of the gain over h is largest, so under the posterior the plan is
   at least as good as keeping the current allocation with high probability (t = 0 is h itself).

`explore` spends a chosen share of the budget on a Thompson draw within the trust region widened
by `explore_step`; its expected cost (posterior mean value lost against `safe`) goes in the notes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

from matrix.budget.constraints import Constraints
from matrix.budget.optimize import maximize
from matrix.budget.response import HillPosterior, hill
from matrix.budget.strategies import AllocationContext, Equal, Strategy, register_strategy


def pool_posteriors(posts: Sequence[HillPosterior | None], strength: float = 0.5) -> list[HillPosterior | None]:
    """Empirical-Bayes reweighting: the prior over the shared shape grid is the average posterior of
    all campaigns, mixed (1 - strength) with uniform. Needs >= 3 fitted campaigns on one grid."""
    fitted = [p for p in posts if p is not None]
    if len(fitted) < 3 or len({p.weight.size for p in fitted}) != 1:
        return list(posts)
    pooled = np.mean([p.weight for p in fitted], axis=0)
    out: list[HillPosterior | None] = []
    for p in posts:
        if p is None:
            out.append(None)
            continue
        # leave-one-out: a campaign's own data is already in its likelihood
        loo = (pooled * len(fitted) - p.weight) / max(len(fitted) - 1, 1)
        pr = (1 - strength) / loo.size + strength * loo
        w = p.weight * pr
        w = w / w.sum() if w.sum() > 0 else p.weight
        out.append(HillPosterior(p.theta, p.k, p.s, w, p.a_mean, p.a_sd, p.n_obs, p.spend_range))
    return out


@dataclass
class CurveSamples:
    """S posterior curve draws of one campaign, evaluated vectorised: (len(x), S)."""

    a: np.ndarray
    k: np.ndarray
    s: np.ndarray

    @classmethod
    def draw(cls, post: HillPosterior, n: int, rng: np.random.Generator) -> "CurveSamples":
        idx = rng.choice(post.weight.size, size=n, p=post.weight)
        a = np.maximum(rng.normal(post.a_mean[idx], post.a_sd[idx]), 0.0)
        return cls(a, post.k[idx], post.s[idx])

    def values(self, x: np.ndarray | float) -> np.ndarray:
        x = np.atleast_1d(np.asarray(x, dtype=float))
        return hill(x[:, None], self.a[None, :], self.k[None, :], self.s[None, :])


class RiskCurve:
    """Risk-aware objective for the DP: the posterior mean inside the observed spend range; beyond
    the highest observed spend only `1 - risk` of the promised extra earnings count (the curve may
    saturate right after the data, and a fitted curve is most often wrong exactly there), and the
    spread of the posterior curves is subtracted at `risk` weight as well."""

    def __init__(self, samples: CurveSamples, risk: float, observed: tuple[float, float] | None = None,
                 mean: Any = None) -> None:
        self.samples, self.risk, self.observed, self.mean = samples, min(max(risk, 0.0), 1.0), observed, mean

    def __call__(self, x: np.ndarray) -> np.ndarray:
        x = np.atleast_1d(np.asarray(x, dtype=float))
        m = self.mean(x) if self.mean is not None else self.samples.values(x).mean(axis=1)  # exact mixture mean
        if self.observed is None or not np.isfinite(self.observed[1]) or self.risk == 0:
            return m
        hi = self.observed[1]
        out = x > hi
        if not out.any():
            return m
        m_hi = float(self.mean(np.array([hi]))[0]) if self.mean is not None else float(self.samples.values(hi).mean())
        sd = self.samples.values(x[out]).std(axis=1)
        m = m.copy()
        m[out] = m_hi + (1 - self.risk) * (m[out] - m_hi) - self.risk * sd * np.clip((x[out] - hi) / hi, 0, 1)
        return m


def trust_limits(ctx: AllocationContext, multiple: float) -> tuple[np.ndarray, bool]:
    """Per-campaign upper limits: `multiple` x highest observed daily spend (inf where unknown).
    If those limits cannot hold the budget, they are widened by one common factor (flagged)."""
    obs = ctx.observed_max if ctx.observed_max is not None else np.full(ctx.n, np.nan)
    lim = np.where(np.isfinite(obs) & (obs > 0), multiple * obs, np.inf)
    c = ctx.constraints
    hi = np.minimum(c.hi, lim)
    hi = np.maximum(hi, c.lo)
    widened = False
    if hi.sum() < c.budget * (1 + 1e-9):
        # scale the finite trust limits until the budget fits (never above the hard caps)
        lo_f, hi_f = 1.0, 2.0
        while np.maximum(np.minimum(c.hi, lim * hi_f), c.lo).sum() < c.budget and hi_f < 1e6:
            hi_f *= 2
        for _ in range(60):
            m = 0.5 * (lo_f + hi_f)
            if np.maximum(np.minimum(c.hi, lim * m), c.lo).sum() < c.budget * (1 + 1e-6):
                lo_f = m
            else:
                hi_f = m
        hi = np.maximum(np.minimum(c.hi, lim * hi_f), c.lo)
        widened = True
    return hi, widened


def _within(cons: Constraints, hi: np.ndarray) -> Constraints:
    return Constraints(cons.budget, cons.n, cons.lo.copy(), hi)


def baseline_allocation(ctx: AllocationContext) -> np.ndarray:
    """Keeping what was done: recent mean spend rescaled to the budget, made feasible."""
    h = ctx.history_allocation if ctx.history_allocation is not None else ctx.current
    if h is None or not np.isfinite(h).all() or h.sum() <= 0:
        return ctx.constraints.project(np.full(ctx.n, ctx.constraints.budget / ctx.n))
    return ctx.constraints.project(h * ctx.constraints.budget / h.sum())


def guard(samples: list[CurveSamples], x_new: np.ndarray, x_old: np.ndarray, quantile: float,
          steps: int = 11) -> tuple[np.ndarray, float]:
    """The point on the segment old -> new maximising the `quantile` of the posterior gain over old."""
    base = sum(s.values(np.array([x_old[i]]))[0] for i, s in enumerate(samples))
    best_t, best_q, best_x = 0.0, 0.0, x_old
    for t in np.linspace(0, 1, steps)[1:]:
        x = x_old + t * (x_new - x_old)
        v = sum(s.values(np.array([x[i]]))[0] for i, s in enumerate(samples))
        q = float(np.quantile(v - base, quantile))
        if q > best_q:
            best_t, best_q, best_x = float(t), q, x
    return best_x, best_t


@register_strategy("safe")
class Safe(Strategy):
    """Default: trust region (<= trust_multiple x highest observed spend), risk-adjusted curves,
    guarded against doing worse than the current allocation."""

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        return {"trust_multiple": 2.0, "risk": 0.5, "guard_quantile": 0.2, "samples": 200, "grid": 300, "guard": True}

    def _samples(self, ctx: AllocationContext, seed: int = 7) -> list[CurveSamples]:
        rng = np.random.default_rng(seed)
        return [CurveSamples.draw(p, int(self.params["samples"]), rng) for p in ctx.posteriors]  # type: ignore[arg-type]

    def propose(self, ctx: AllocationContext) -> np.ndarray:
        self.info: dict[str, Any] = {}
        posts = ctx.fitted()
        if posts is None:
            self.info["fallback"] = "no fitted curves: kept the current allocation"
            return baseline_allocation(ctx) if (ctx.current is not None or ctx.history_allocation is not None) \
                else Equal().propose(ctx)
        hi, widened = trust_limits(ctx, float(self.params["trust_multiple"]))
        self.info["trust_hi"], self.info["trust_widened"] = hi, widened
        cons = _within(ctx.constraints, hi)
        samples = self._samples(ctx)
        rng_obs = [(float(ctx.observed_min[i]) if ctx.observed_min is not None else np.nan,
                    float(ctx.observed_max[i]) if ctx.observed_max is not None else np.nan) for i in range(ctx.n)]
        x = maximize([RiskCurve(s, float(self.params["risk"]), r, p.mean_curve())
                      for s, r, p in zip(samples, rng_obs, posts, strict=True)], cons, grid=int(self.params["grid"]))
        if self.params["guard"]:
            old = cons.project(np.minimum(baseline_allocation(ctx), hi))
            x, t = guard(samples, x, old, float(self.params["guard_quantile"]))
            self.info["guard_t"] = t
        return x


def _first_draw(draw: CurveSamples) -> Callable[[np.ndarray], np.ndarray]:
    """The response curve of a one-sample draw, as `maximize` takes it."""
    return lambda x: draw.values(x)[:, 0]


@register_strategy("explore")
class Explore(Strategy):
    """Spend `share` of the budget to learn: a Thompson draw (same posterior) optimised within the
    trust region widened by `explore_step` (limit = trust_multiple x (1 + explore_step) x highest
    observed spend); the rest follows `safe`. Expected cost vs `safe` is reported."""

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        return {"share": 0.2, "explore_step": 0.5, "trust_multiple": 2.0, "risk": 0.5, "guard_quantile": 0.2,
                "samples": 200, "grid": 300}

    def propose(self, ctx: AllocationContext) -> np.ndarray:
        p = self.params
        safe = Safe(trust_multiple=p["trust_multiple"], risk=p["risk"], guard_quantile=p["guard_quantile"],
                    samples=p["samples"], grid=p["grid"])
        x_safe = safe.propose(ctx)
        self.info = dict(safe.info)
        posts = ctx.fitted()
        if posts is None:
            return x_safe
        hi, _ = trust_limits(ctx, float(p["trust_multiple"]) * (1 + float(p["explore_step"])))
        cons = _within(ctx.constraints, hi)
        draws = [CurveSamples.draw(post, 1, ctx.rng) for post in posts]
        x_ts = maximize([_first_draw(d) for d in draws], cons, grid=int(p["grid"]))
        share = float(p["share"])
        x = (1 - share) * x_safe + share * x_ts
        # cost in the safe plan's own (risk-adjusted) terms: extrapolated gains count at 1 - risk
        samples = [CurveSamples.draw(post, 64, np.random.default_rng(3)) for post in posts]
        curves = [RiskCurve(sm, float(p["risk"]), (np.nan, float(ctx.observed_max[i]) if ctx.observed_max is not None
                                                   else np.nan), post.mean_curve())
                  for i, (sm, post) in enumerate(zip(samples, posts, strict=True))]
        v = lambda y: float(sum(float(cv(np.array([yi]))[0]) for cv, yi in zip(curves, y, strict=True)))  # noqa: E731
        self.info["expected_cost"] = v(x_safe) - v(x)
        self.info["explore_hi"] = hi
        return x

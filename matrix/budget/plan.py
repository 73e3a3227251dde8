"""An allocation plan: per campaign the current and proposed spend, the expected outcome with its
uncertainty (from posterior curve samples) and a one-line reason a person can check."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from matrix.budget.strategies import AllocationContext, Strategy


@dataclass
class CampaignPlan:
    campaign_id: str
    current: float | None
    proposed: float
    expected: float | None
    lower: float | None
    upper: float | None
    marginal_roas: float | None
    reason: str


@dataclass
class AllocationPlan:
    strategy: str
    params: dict[str, Any]
    budget: float
    campaigns: list[CampaignPlan]
    expected_total: float | None
    lower_total: float | None
    upper_total: float | None
    currency: str = "USD"
    interval: float = 0.8
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, default=float)

    def table(self) -> str:
        lines = [f"{'campaign':<24}{'current':>12}{'proposed':>12}{'expected':>12}  {int(self.interval*100)}% interval      reason"]
        f = lambda v: "unknown" if v is None else f"{v:,.2f}"  # noqa: E731
        for c in self.campaigns:
            iv = "unknown" if c.lower is None else f"{c.lower:,.0f}-{c.upper:,.0f}"
            lines.append(f"{c.campaign_id:<24}{f(c.current):>12}{f(c.proposed):>12}{f(c.expected):>12}  {iv:<17}{c.reason}")
        lines.append(f"total budget {self.budget:,.2f} {self.currency}; expected earnings {f(self.expected_total)} "
                     f"({f(self.lower_total)} - {f(self.upper_total)})")
        return "\n".join(lines)


def _reason(i: int, x: np.ndarray, cur: np.ndarray | None, ctx: AllocationContext, mroas: float | None) -> str:
    c = ctx.constraints
    parts = []
    if cur is not None and np.isfinite(cur[i]):
        d = x[i] - cur[i]
        rel = d / cur[i] if cur[i] > 0 else np.inf
        parts.append("hold" if abs(rel) < 0.02 else ("increase" if d > 0 else "decrease") + (f" {rel:+.0%}" if np.isfinite(rel) else ""))
    if x[i] <= c.lo[i] + 1e-6 * c.budget:
        parts.append("at its minimum" + (" (max change per period)" if c.previous is not None and c.lo[i] > _vmin(c, i) else ""))
    elif x[i] >= c.hi[i] - 1e-6 * c.budget:
        parts.append("at its cap" + (" (max change per period)" if c.previous is not None and c.hi[i] < _vmax(c, i) else ""))
    if mroas is not None:
        parts.append(f"next $1 returns ~${mroas:.2f}")
    roas = ctx.metric("roas")[i]
    if np.isfinite(roas):
        parts.append(f"historical ROAS {roas:.2f}")
    else:
        parts.append("no spend history (unknown ROAS)")
    return "; ".join(parts)


def _vmin(c: Any, i: int) -> float:
    return float(np.broadcast_to(np.asarray(c.min_spend if c.min_spend is not None else 0.0, float), (c.n,))[i])


def _vmax(c: Any, i: int) -> float:
    return float(np.broadcast_to(np.asarray(c.max_spend if c.max_spend is not None else np.inf, float), (c.n,))[i])


def make_plan(strategy: Strategy, ctx: AllocationContext, *, samples: int = 200, interval: float = 0.8,
              currency: str = "USD") -> AllocationPlan:
    x = strategy.allocate(ctx)
    cur = ctx.current
    q = (1 - interval) / 2
    rows, draws = [], []
    for i, cid in enumerate(ctx.campaign_ids):
        post = ctx.posteriors[i] if ctx.has_posteriors() else None
        exp = lo = hi = mroas = None
        if post is not None:
            d = post.predictive(np.array([x[i]]), n=samples, rng=np.random.default_rng(i))[:, 0]
            draws.append(d)
            exp, lo, hi = float(post.mean_curve()(np.array([x[i]]))[0]), float(np.quantile(d, q)), float(np.quantile(d, 1 - q))
            mroas = float(post.mean_curve().marginal(np.array([x[i]]))[0])
        rows.append(CampaignPlan(cid, None if cur is None else float(cur[i]), float(x[i]), exp, lo, hi, mroas,
                                 _reason(i, x, cur, ctx, mroas)))
    tot = lo_t = hi_t = None
    if draws and len(draws) == ctx.n:
        s = np.sum(draws, axis=0)
        tot = float(sum(r.expected for r in rows))  # type: ignore[misc]
        lo_t, hi_t = float(np.quantile(s, q)), float(np.quantile(s, 1 - q))
    notes = [] if ctx.has_posteriors() else ["no fitted curves: expected outcomes unknown"]
    return AllocationPlan(strategy.name, strategy.params, ctx.constraints.budget, rows, tot, lo_t, hi_t, currency, interval, notes)

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
        head = f"{'campaign':<24}{'current':>12}{'proposed':>12}{'expected':>12}"
        lines = [f"{head}  {int(self.interval * 100)}% interval      reason"]
        f = lambda v: "unknown" if v is None else f"{v:,.2f}"  # noqa: E731
        for c in self.campaigns:
            iv = "unknown" if c.lower is None else f"{c.lower:,.0f}-{c.upper:,.0f}"
            lines.append(f"{c.campaign_id:<24}{f(c.current):>12}{f(c.proposed):>12}{f(c.expected):>12}  {iv:<17}{c.reason}")
        lines.append(f"total budget {self.budget:,.2f} {self.currency}; expected earnings {f(self.expected_total)} "
                     f"({f(self.lower_total)} - {f(self.upper_total)})")
        lines.extend(f"note: {n}" for n in self.notes)
        return "\n".join(lines)


def _range_note(i: int, x: np.ndarray, ctx: AllocationContext) -> str | None:
    """Says when a proposal leaves the spend range the history observed (the curve there is a guess)."""
    hi = None if ctx.observed_max is None else ctx.observed_max[i]
    lo = None if ctx.observed_min is None else ctx.observed_min[i]
    if hi is not None and np.isfinite(hi) and hi > 0 and x[i] > hi * 1.001:
        return f"OUTSIDE observed range: {x[i] / hi:.1f}x the highest daily spend seen ({hi:,.2f}), extrapolated"
    if lo is not None and np.isfinite(lo) and lo > 0 and x[i] < lo * 0.999 and x[i] > 0:
        return f"below observed range (lowest daily spend seen {lo:,.2f}), extrapolated"
    return None


def _reason(i: int, x: np.ndarray, cur: np.ndarray | None, ctx: AllocationContext, mroas: float | None) -> str:
    c = ctx.constraints
    parts = []
    if cur is not None and np.isfinite(cur[i]):
        d = x[i] - cur[i]
        rel = d / cur[i] if cur[i] > 0.01 * max(x[i], 1e-9) else np.inf  # from ~0: a percentage means nothing
        word = "increase" if d > 0 else "decrease"
        parts.append("hold" if abs(rel) < 0.02 else word + (f" {rel:+.0%}" if np.isfinite(rel) else f" from {cur[i]:,.2f}"))
    if x[i] <= c.lo[i] + 1e-6 * c.budget:
        parts.append("at its minimum" + (" (max change per period)" if c.previous is not None and c.lo[i] > _vmin(c, i) else ""))
    elif x[i] >= c.hi[i] - 1e-6 * c.budget:
        parts.append("at its cap" + (" (max change per period)" if c.previous is not None and c.hi[i] < _vmax(c, i) else ""))
    note = _range_note(i, x, ctx)
    if note:
        parts.append(note)
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
            top = None if ctx.observed_max is None else ctx.observed_max[i]
            if top is not None and np.isfinite(top) and x[i] > top:
                # beyond the data the curve may saturate at once: the lower bound is the value at the
                # highest observed spend (curves never fall with spend), never the extrapolation
                d_top = post.predictive(np.array([top]), n=samples, rng=np.random.default_rng(i))[:, 0]
                lo = min(lo, float(np.quantile(d_top, q)))
                d = np.where(np.random.default_rng(i + 1).random(d.size) < 0.5, d, d_top)
                # and the expectation counts half of the promised extra (saturation is as likely)
                exp = 0.5 * (exp + float(post.mean_curve()(np.array([top]))[0]))
            lo, hi = min(lo, exp), max(hi, exp)  # a skewed posterior's mean can sit outside the quantiles
            mroas = float(post.mean_curve().marginal(np.array([x[i]]))[0])
            if top is not None and np.isfinite(top) and x[i] > top:
                mroas *= 0.5
        rows.append(CampaignPlan(cid, None if cur is None else float(cur[i]), float(x[i]), exp, lo, hi, mroas,
                                 _reason(i, x, cur, ctx, mroas)))
    tot = lo_t = hi_t = None
    if draws and len(draws) == ctx.n:
        s = np.sum(draws, axis=0)
        tot = float(sum(r.expected for r in rows))  # type: ignore[misc]
        # Campaign errors share the model's misspecification (drift, shape prior, extrapolation), so
        # they are not independent: the total's interval blends independent draws (sum of samples)
        # with fully correlated errors (sum of per-campaign bounds), mostly the latter.
        ind_lo, ind_hi = float(np.quantile(s, q)), float(np.quantile(s, 1 - q))
        com_lo, com_hi = float(sum(r.lower for r in rows)), float(sum(r.upper for r in rows))  # type: ignore[misc]
        lo_t, hi_t = _blend(ind_lo, com_lo, tot, CORRELATION), _blend(ind_hi, com_hi, tot, CORRELATION)
    notes = [] if ctx.has_posteriors() else ["no fitted curves: expected outcomes unknown"]
    info = getattr(strategy, "info", {}) or {}
    if info.get("trust_widened"):
        notes.append("the budget does not fit within 2x each campaign's highest observed spend: trust region widened")
    if "expected_cost" in info:
        notes.append(f"exploration: {strategy.params.get('share', 0):.0%} of the budget spent to learn; expected cost "
                     f"{info['expected_cost']:,.2f} {currency}/day of earnings vs the safe plan")
    if info.get("fallback"):
        notes.append(info["fallback"])
    roas_hist = _historical_roas(ctx)
    if tot is not None and roas_hist and np.isfinite(roas_hist) and roas_hist > 0:
        roas_plan = tot / ctx.constraints.budget
        if roas_plan > 1.5 * roas_hist:
            notes.append(f"WARNING: expected ROAS {roas_plan:.2f} is {roas_plan / roas_hist:.1f}x the historical ROAS "
                         f"{roas_hist:.2f}; the plan relies on curves beyond the data, treat it with caution")
    return AllocationPlan(strategy.name, strategy.params, ctx.constraints.budget, rows, tot, lo_t, hi_t, currency,
                          interval, notes)


# Weight of the fully-correlated bound in the plan total's interval (1 = comonotone), chosen on the dev
# worlds of bench/budget_regret.py (80 % interval held the truth in 83 % of them; held-out: docs/budget.md).
CORRELATION = 0.8


def _blend(independent: float, correlated: float, centre: float, weight: float) -> float:
    """Interval end between the independent-errors and correlated-errors bounds (distances from the centre)."""
    return centre + (1 - weight) * (independent - centre) + weight * (correlated - centre)


def _historical_roas(ctx: AllocationContext) -> float | None:
    t = ctx.totals
    if t is None or t.empty or t["spend"].isna().all():
        return None
    sp, cm = float(t["spend"].sum()), float(t["commission"].sum())
    return cm / sp if sp > 0 else None

"""Allocation strategies behind one interface, plus a registry for user-defined ones.

Every strategy implements `propose(ctx) -> raw allocation`; `allocate(ctx)` sends that through
`Constraints.project`, so no strategy (built-in or custom) can return an infeasible plan.

Register your own:

    from matrix.budget.strategies import Strategy, register_strategy

    @register_strategy("half_best")
    class HalfBest(Strategy):
        def propose(self, ctx):
            x = np.full(ctx.n, ctx.constraints.budget / (2 * ctx.n))
            x[np.nanargmax(ctx.metric("roas"))] += ctx.constraints.budget / 2
            return x
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import pandas as pd

from matrix.budget.constraints import Constraints
from matrix.budget.optimize import maximize
from matrix.budget.response import HillPosterior, fit_hill

METRICS = ("roas", "roi", "epc", "cvr", "commission", "conversions")


@dataclass
class AllocationContext:
    """What a strategy may look at: ids, constraints, per-campaign totals, fitted posteriors."""

    campaign_ids: list[str]
    constraints: Constraints
    totals: pd.DataFrame  # index = campaign_id; columns spend, clicks, conversions, commission (recent window)
    posteriors: list[HillPosterior | None] = field(default_factory=list)
    rng: np.random.Generator = field(default_factory=lambda: np.random.default_rng(0))
    current: np.ndarray | None = None
    observed_max: np.ndarray | None = None  # highest daily spend seen per campaign (trust region)
    observed_min: np.ndarray | None = None  # lowest positive daily spend seen per campaign
    history_allocation: np.ndarray | None = None  # mean daily spend of the last 7 days
    recent: list[tuple[np.ndarray, np.ndarray]] | None = None  # per campaign (spend, earnings) of the last 14 days
    observed_span: np.ndarray | None = None  # per campaign log(high / low) of daily spend, 2 % trimmed (evidence)
    # mean daily spend of the 7 days before the first plan was followed (`anchor_before`): the marketer's own
    # allocation, which the safe plan must beat; None = the last 7 days (history_allocation)
    anchor_allocation: np.ndarray | None = None
    followed_days: int = 0  # days of data since `anchor_before`: the loop's own evidence (plans played)

    @property
    def n(self) -> int:
        return len(self.campaign_ids)

    def metric(self, name: str) -> np.ndarray:
        """Per-campaign metric from the totals; NaN where unknown (no spend, no clicks)."""
        t = self.totals.reindex(self.campaign_ids)
        with np.errstate(divide="ignore", invalid="ignore"):
            spend = t["spend"].to_numpy(float)
            comm = t["commission"].to_numpy(float)
            clicks = t["clicks"].to_numpy(float)
            conv = t["conversions"].to_numpy(float)
            table = {"roas": comm / spend, "roi": (comm - spend) / spend, "epc": comm / clicks,
                     "cvr": conv / clicks, "commission": comm, "conversions": conv}
        if name not in table:
            raise ValueError(f"unknown metric {name!r}; allowed: {sorted(table)}")
        v = table[name]
        return np.where(np.isfinite(v), v, np.nan)

    def has_posteriors(self) -> bool:
        return len(self.posteriors) == self.n and all(p is not None for p in self.posteriors)

    def fitted(self) -> list[HillPosterior] | None:
        """Every campaign's posterior in campaign order, or None when any campaign has no fitted curve."""
        return [p for p in self.posteriors if p is not None] if self.has_posteriors() else None


def _fit_kwargs(fit_kwargs: dict[str, Any] | None, constraints: Constraints, n: int,
                followed_days: int = 0) -> dict[str, Any]:
    """`fit_hill` keywords; `k_prior_equal_share` (a share of the equal split budget / n) becomes the k prior's
    floor (`k_prior_floor`): the budget's natural scale per campaign, known from the plan, not from the data.
    `loop_s_curve_k_sd` becomes the saturation prior (`s_curve_k_sd`) once the data hold days of plans played
    (`followed_days` > 0, from `anchor_before`); a first plan is fitted without it (session 10: on a first plan it
    made the one-shot worse, dev 2.84 -> 3.20 %, sealed5 9.53 -> 10.34 % median; docs/budget.md)."""
    kw = dict(fit_kwargs or {})
    share = float(kw.pop("k_prior_equal_share", 0.0) or 0.0)
    if share > 0 and n > 0:
        kw["k_prior_floor"] = share * float(constraints.budget) / n
    loop_sd = kw.pop("loop_s_curve_k_sd", None)
    if loop_sd and followed_days > 0:
        kw["s_curve_k_sd"] = float(loop_sd)
    return kw


def build_context(history: pd.DataFrame, constraints: Constraints, campaign_ids: list[str] | None = None, *,
                  fit: bool = True, window_days: int | None = None, rng: np.random.Generator | None = None,
                  current: np.ndarray | None = None, fit_kwargs: dict[str, Any] | None = None,
                  pool: bool = False, anchor_before: Any = None) -> AllocationContext:
    """Context from a performance frame (columns campaign_id, date, spend, clicks, conversions, commission).

    `pool=True` reweights every campaign's curve posterior with the shapes its siblings showed
    (matrix.budget.safe.pool_posteriors), which keeps thinly observed campaigns from extrapolating.
    `anchor_before` (a date): the day the marketer started following plans; the allocation of the 7 days
    before it is the anchor the safe plan is judged against (weeks played since are the loop's own evidence).
    """
    ids = campaign_ids or sorted(history["campaign_id"].unique())
    h = history.sort_values("date")
    if window_days:
        cutoff = pd.to_datetime(h["date"]).max() - pd.Timedelta(days=window_days - 1)
        recent = h[pd.to_datetime(h["date"]) >= cutoff]
    else:
        recent = h
    cols = ["spend", "clicks", "conversions", "commission"]
    totals = recent.groupby("campaign_id")[cols].sum(min_count=1).reindex(ids)
    posts: list[HillPosterior | None] = []
    if fit:
        kw = _fit_kwargs(fit_kwargs, constraints, len(ids), _days_since(h, anchor_before))
        for cid in ids:
            g = h[h["campaign_id"] == cid]
            ok = g["spend"].notna() & g["commission"].notna()
            try:
                posts.append(fit_hill(g.loc[ok, "spend"].to_numpy(float), g.loc[ok, "commission"].to_numpy(float),
                                      **kw))
            except ValueError:
                posts.append(None)
    if pool and posts:
        from matrix.budget.safe import pool_posteriors

        posts = pool_posteriors(posts)
    if current is None and "spend" in h:
        last = h.groupby("campaign_id")["spend"].last().reindex(ids)
        current = last.to_numpy(float) if last.notna().all() else None
    obs_max = obs_min = hist_alloc = span = None
    if "spend" in h and h["spend"].notna().any():
        sp = h.dropna(subset=["spend"])
        span = _spend_span(sp, ids)
        obs_max = sp.groupby("campaign_id")["spend"].max().reindex(ids).to_numpy(float)
        obs_min = sp[sp["spend"] > 0].groupby("campaign_id")["spend"].min().reindex(ids).to_numpy(float)
        d = pd.to_datetime(sp["date"])
        last7 = sp[d > d.max() - pd.Timedelta(days=7)]
        hist_alloc = last7.groupby("campaign_id")["spend"].mean().reindex(ids).fillna(0.0).to_numpy(float)
    return AllocationContext(ids, constraints, totals, posts, rng or np.random.default_rng(0), current,
                             obs_max, obs_min, hist_alloc, _recent_days(h, ids), span,
                             _allocation_before(h, ids, anchor_before), _days_since(h, anchor_before))


def _days_since(h: pd.DataFrame, before: Any) -> int:
    """Distinct dates on or after `before` (0 without a date): how many days of plans the data hold."""
    if before is None or "date" not in h:
        return 0
    d = pd.to_datetime(h["date"])
    return int(d[d >= pd.Timestamp(before)].nunique())


def _allocation_before(h: pd.DataFrame, ids: list[str], before: Any, days: int = 7) -> np.ndarray | None:
    """Mean daily spend per campaign over the `days` days before `before` (None without a date or data)."""
    if before is None or "spend" not in h:
        return None
    d = pd.to_datetime(h["date"])
    cut = pd.Timestamp(before)
    prior = h[(d < cut) & (d >= cut - pd.Timedelta(days=days))].dropna(subset=["spend"])
    if prior.empty:
        raise ValueError(f"no spend recorded in the {days} days before {cut.date()} (the anchor date): "
                         "nothing to anchor the plan on")
    return prior.groupby("campaign_id")["spend"].mean().reindex(ids).fillna(0.0).to_numpy(float)


def _spend_span(sp: pd.DataFrame, ids: list[str], trim: float = 0.02) -> np.ndarray:
    """Per campaign, how far its daily spend actually varied: log(98th / 2nd percentile) of the positive
    daily spends (0 with fewer than 3 days). The trust region is sized by it: curvature is only learned
    across the levels the data span, and a week at a new level (7 of ~100 days) moves the percentile."""
    pos = sp[sp["spend"] > 0]
    g = pos.groupby("campaign_id")["spend"]
    q = g.quantile([trim, 1 - trim]).unstack()
    n = g.size().reindex(ids).fillna(0).to_numpy()
    lo = q[trim].reindex(ids).to_numpy(float) if not q.empty else np.full(len(ids), np.nan)
    hi = q[1 - trim].reindex(ids).to_numpy(float) if not q.empty else np.full(len(ids), np.nan)
    out = np.log(np.where((lo > 0) & (hi > 0), hi / np.where(lo > 0, lo, 1.0), 1.0))
    return np.where((n >= 3) & np.isfinite(out), out, 0.0)


def _recent_days(h: pd.DataFrame, ids: list[str], days: int = 14) -> list[tuple[np.ndarray, np.ndarray]] | None:
    """Per campaign, the (spend, earnings) pairs of the last `days` days with both known."""
    if not {"spend", "commission", "date"} <= set(h.columns):
        return None
    ok = h.dropna(subset=["spend", "commission"])
    if ok.empty:
        return None
    d = pd.to_datetime(ok["date"])
    last = ok[d > d.max() - pd.Timedelta(days=days)]
    groups = dict(tuple(last.groupby("campaign_id")))
    empty = np.empty(0)
    return [(groups[c]["spend"].to_numpy(float), groups[c]["commission"].to_numpy(float)) if c in groups
            else (empty, empty) for c in ids]


class Strategy:
    """Base class: subclasses implement `propose`; `allocate` guarantees feasibility."""

    name = "base"

    def __init__(self, **params: Any) -> None:
        unknown = set(params) - set(self.defaults())
        if unknown:
            raise ValueError(f"strategy {self.name!r}: unknown parameters {sorted(unknown)}; allowed: {sorted(self.defaults())}")
        self.params = {**self.defaults(), **params}

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        return {}

    def propose(self, ctx: AllocationContext) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def allocate(self, ctx: AllocationContext) -> np.ndarray:
        x = ctx.constraints.project(np.asarray(self.propose(ctx), dtype=float))
        bad = ctx.constraints.violations(x)
        if bad:  # pragma: no cover - projection guarantees this; kept as a tripwire
            raise AssertionError(f"{self.name}: infeasible allocation: {bad[:3]}")
        return x

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.params})"


_REGISTRY: dict[str, Callable[..., Strategy]] = {}


def register_strategy(name: str) -> Callable[[Any], Any]:
    """Decorator: make a Strategy subclass (or factory) available by name to the CLI, plans and Tune."""
    def deco(obj: Any) -> Any:
        if isinstance(obj, type):
            strategy_class: Any = obj  # a Strategy subclass; isinstance narrows it to a bare `type`
            strategy_class.name = name
        _REGISTRY[name] = obj
        return obj
    return deco


def available_strategies() -> list[str]:
    return sorted(_REGISTRY)


def get_strategy(name: str, **params: Any) -> Strategy:
    if name not in _REGISTRY:
        raise ValueError(f"unknown strategy {name!r}; available: {available_strategies()}")
    return _REGISTRY[name](**params)


def _fill_unknown(v: np.ndarray) -> np.ndarray:
    """Campaigns with an unknown metric get the median of the known ones (not 0: unknown is not bad)."""
    if np.isnan(v).all():
        return np.ones_like(v)
    return np.where(np.isnan(v), np.nanmedian(v), v)


@register_strategy("equal")
class Equal(Strategy):
    def propose(self, ctx: AllocationContext) -> np.ndarray:
        return np.full(ctx.n, ctx.constraints.budget / ctx.n)


@register_strategy("proportional")
class Proportional(Strategy):
    """Budget in proportion to metric**power (e.g. ROAS): simple, but blind to saturation."""

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        return {"metric": "roas", "power": 1.0}

    def propose(self, ctx: AllocationContext) -> np.ndarray:
        v = np.clip(_fill_unknown(ctx.metric(self.params["metric"])), 0, None) ** self.params["power"]
        if v.sum() <= 0:
            v = np.ones(ctx.n)
        return ctx.constraints.budget * v / v.sum()


@register_strategy("pareto")
class Pareto(Strategy):
    """The top `top_fraction` of campaigns by metric share `top_share` of the budget; the rest share the remainder."""

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        return {"metric": "roas", "top_fraction": 0.2, "top_share": 0.8}

    def propose(self, ctx: AllocationContext) -> np.ndarray:
        v = _fill_unknown(ctx.metric(self.params["metric"]))
        n_top = max(1, int(round(self.params["top_fraction"] * ctx.n)))
        order = np.argsort(-v, kind="stable")
        top = np.zeros(ctx.n, bool)
        top[order[:n_top]] = True
        b = ctx.constraints.budget
        share = self.params["top_share"] if n_top < ctx.n else 1.0
        x = np.zeros(ctx.n)
        x[top] = share * b / top.sum()
        if (~top).any():
            x[~top] = (1 - share) * b / (~top).sum()
        return x


def _curves_or_none(ctx: AllocationContext):
    posts = ctx.fitted()
    return [p.mean_curve() for p in posts] if posts is not None else None


@register_strategy("optimum")
class Optimum(Strategy):
    """Maximise the posterior-mean curves (global DP + KKT water-filling polish)."""

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        return {"grid": 400}

    def propose(self, ctx: AllocationContext) -> np.ndarray:
        curves = _curves_or_none(ctx)
        if curves is None:
            return Equal().propose(ctx)
        return maximize(curves, ctx.constraints, grid=int(self.params["grid"]))


@register_strategy("thompson")
class Thompson(Strategy):
    """Draw one curve per campaign from its posterior and optimise the draw: explores where unsure."""

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        return {"grid": 200}

    def propose(self, ctx: AllocationContext) -> np.ndarray:
        posts = ctx.fitted()
        if posts is None:
            return Equal().propose(ctx)
        curves = [p.sample_curves(1, ctx.rng)[0] for p in posts]
        return maximize(curves, ctx.constraints, grid=int(self.params["grid"]))


@register_strategy("epsilon_greedy")
class EpsilonGreedy(Strategy):
    """Optimum on the mean curves, mixed with a random (Dirichlet) allocation at rate epsilon."""

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        return {"epsilon": 0.1, "grid": 200}

    def propose(self, ctx: AllocationContext) -> np.ndarray:
        exploit = Optimum(grid=self.params["grid"]).propose(ctx)
        explore = ctx.constraints.budget * ctx.rng.dirichlet(np.ones(ctx.n))
        e = float(self.params["epsilon"])
        return (1 - e) * exploit + e * explore


from matrix.budget import safe as _safe  # noqa: E402,F401  (registers "safe" and "explore")

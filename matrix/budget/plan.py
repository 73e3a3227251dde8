"""An allocation plan: per campaign the current and proposed spend, the expected outcome with its
uncertainty (from posterior curve samples) and a one-line reason a person can check."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from statistics import NormalDist
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
    # per day of the week, each campaign's spend (the plan's play schedule: dithered spend tests; session 7), or None
    schedule: list[list[float]] | None = None

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
        if self.schedule:  # the week's play schedule, day by day per campaign
            for i, c in enumerate(self.campaigns):
                lines.append(f"schedule {c.campaign_id}: " + ", ".join(f"{day[i]:,.2f}" for day in self.schedule))
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


def level_uncertainty(ctx: AllocationContext, days: int = 14) -> float:
    """How far the fitted curves miss the current level, measured on the data itself: the robust
    spread (1.4826 x median absolute value) over campaigns of log(recent mean earnings / fitted mean
    at the recent spends), minus what the noise of a `days`-day mean explains. It carries what the
    curve posterior cannot see: a level shift too recent to detect, drift, a misspecified shape."""
    if ctx.recent is None or not ctx.has_posteriors():
        return 0.0
    logs, noise = [], []
    for i, post in enumerate(ctx.posteriors):
        sp, earn = ctx.recent[i]
        if post is None or sp.size < 3 or earn.mean() <= 0:
            continue
        fitted = post.mean_curve()(sp)
        if fitted.mean() <= 0:
            continue
        logs.append(np.log(earn.mean() / fitted.mean()))
        noise.append(np.var(earn - fitted, ddof=1) / sp.size / earn.mean() ** 2)  # squared CV of the recent mean
    if len(logs) < 3:
        return 0.0
    spread2 = (1.4826 * float(np.median(np.abs(logs)))) ** 2 - float(np.median(noise))
    return float(np.sqrt(max(spread2, 0.0)))


# Beyond the observed spend range, on either side, this share of the interval's draws holds the value of its own curve
# at the edge: the data say nothing about whether the curve keeps rising above the highest spend or keeps falling below
# the lowest (session 4, measured on 12 worlds of each development family: with the posterior alone below the data the
# plan's centre sat 3-10 % under the truth on heldout, sealed and sealed2 (median per family), and up to 45 % for the
# campaigns cut below their range; with half the draws holding, 1-2 %).
EDGE_HOLD_SHARE = 0.5
BELOW_COLLAPSE_SHARE = 0.0


def predictive_draws(post: Any, x: float, top: float | None, samples: int, rng: np.random.Generator,
                     level_sd: float = 0.0, bottom: float | None = None) -> np.ndarray:
    """Draws of a campaign's expected daily earnings at spend x: posterior curve draws (parameter
    uncertainty). Beyond the observed range `EDGE_HOLD_SHARE` of the draws hold their own curve's value at
    the edge (paired: a draw that holds keeps what *its* curve earns at `top` / `bottom`): above the highest
    spend that is saturation right after the data, below the lowest it is a curve that stops falling. So the
    interval spans both readings of the unobserved part, and its mean is not pulled to either. Optionally
    (`BELOW_COLLAPSE_SHARE`, 0 by default) a share collapses below the data as steeply as the upper tail of
    the posterior's elasticity at that edge allows. Each draw times a level factor lognormal(0, level_sd)
    for the current level the curve may have missed."""
    from matrix.budget.safe import CurveSamples, collapse, edge_steepness, interval_posterior

    # a late-launched campaign's fit on its active days (session 11: `safe.interval_posterior`); the plan used `post`
    curves = CurveSamples.draw(interval_posterior(post), samples, rng)
    d = curves.values(x)[0]
    if top is not None and np.isfinite(top) and x > top:
        d = np.where(rng.random(d.size) < EDGE_HOLD_SHARE, np.minimum(d, curves.values(top)[0]), d)
    if bottom is not None and np.isfinite(bottom) and 0 < x < bottom:
        d_bot = curves.values(bottom)[0]
        u = rng.random(d.size)
        d = np.where(u < EDGE_HOLD_SHARE, np.maximum(d, d_bot), d)
        if BELOW_COLLAPSE_SHARE > 0:
            fall = collapse(d_bot, np.array([x]), bottom, edge_steepness(curves, bottom))
            d = np.where(u >= 1 - BELOW_COLLAPSE_SHARE, np.minimum(d, fall), d)
    if level_sd > 0:
        d = d * np.exp(rng.normal(-level_sd ** 2 / 2, level_sd, d.size))
    return d


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
    level_sd = level_uncertainty(ctx)
    for i, cid in enumerate(ctx.campaign_ids):
        post = ctx.posteriors[i] if ctx.has_posteriors() else None
        exp = lo = hi = mroas = None
        if post is not None:
            top = None if ctx.observed_max is None else float(ctx.observed_max[i])
            bottom = None if ctx.observed_min is None else float(ctx.observed_min[i])
            d = predictive_draws(post, float(x[i]), top, samples, np.random.default_rng(i), level_sd, bottom)
            draws.append(d)
            lo, hi = float(np.quantile(d, q)), float(np.quantile(d, 1 - q))
            exp = central_expectation(d, q)
            mroas = float(post.mean_curve().marginal(np.array([x[i]]))[0])
            if top is not None and np.isfinite(top) and x[i] > top:
                mroas *= 0.5
        rows.append(CampaignPlan(cid, None if cur is None else float(cur[i]), float(x[i]), exp, lo, hi, mroas,
                                 _reason(i, x, cur, ctx, mroas)))
    tot = lo_t = hi_t = None
    iv_note = None
    if draws and len(draws) == ctx.n:
        tot = float(sum(r.expected for r in rows))  # type: ignore[misc]
        above, below = extrapolation_distances(x, ctx.observed_max, ctx.observed_min)
        lo_t, hi_t = plan_total_interval(draws, above, below, interval)
        lo_t, hi_t = min(lo_t, tot), max(hi_t, tot)  # the interval shown always holds the expected total shown
        iv_note = _interval_note(draws, above, below, interval)
    notes = [] if ctx.has_posteriors() else ["no fitted curves: expected outcomes unknown"]
    if iv_note:
        notes.append(iv_note)
    info = getattr(strategy, "info", {}) or {}
    if info.get("trust_widened"):
        notes.append("the budget does not fit within the trust region (each campaign's observed spend range plus the "
                     "step its data support, at most 2x): trust region widened")
    if "expected_cost" in info:
        how = {"ucb": f"on the {strategy.params.get('ucb_quantile', 0.8):.0%} quantile of the posterior curves",
               "thompson": "on a Thompson draw"}.get(str(strategy.params.get("rule")), "")
        share = info.get("explore_share", strategy.params.get("share", 0))  # the share applied (it halves in a loop)
        notes.append(f"exploration: {share:.0%} of the budget spent to learn {how}; expected cost "
                     f"{info['expected_cost']:,.2f} {currency}/day of earnings vs the safe plan")
    if info.get("fallback"):
        notes.append(info["fallback"])
    schedule = _schedule_note(info, currency, notes)
    _anchor_note(info.get("anchor"), rows, notes)
    _spread_note(info, rows, x, notes)
    roas_hist = _historical_roas(ctx)
    if tot is not None and roas_hist and np.isfinite(roas_hist) and roas_hist > 0:
        roas_plan = tot / ctx.constraints.budget
        if roas_plan > 1.5 * roas_hist:
            notes.append(f"WARNING: expected ROAS {roas_plan:.2f} is {roas_plan / roas_hist:.1f}x the historical ROAS "
                         f"{roas_hist:.2f}; the plan relies on curves beyond the data, treat it with caution")
    return AllocationPlan(strategy.name, strategy.params, ctx.constraints.budget, rows, tot, lo_t, hi_t, currency,
                          interval, notes, schedule)


def central_expectation(draws: np.ndarray, q: float) -> float:
    """The earnings a plan states for a campaign (session 16): the mean of its predictive draws after each draw is
    limited to the campaign's own central interval (its q and 1 - q quantiles), the same winsorising the plan total's
    interval starts from (`total_interval`). The plan's expected total is the sum of these, so rows add up to it.

    Why not the plain mean (sessions 1-15): beyond the observed spend the draws carry a long upper tail (the curve
    rising on) whose size, not its probability, set the mean. Measured on the safe plans of 24 worlds of each of the 17
    development families (dev, heldout, sealed-sealed15; scratch capture of the benchmark's one-shot plans): the true
    earnings were 0.53-0.99x the stated total (family medians; in 226 of 408 plans the mean lay above the 80 %
    interval's upper end, which was then stretched to hold it), while a campaign's truth sat at or above the median of
    its draws (median rank 0.57-0.77 for campaigns planned above their highest observed spend). Against the winsorised
    mean the truth is 0.91-1.03x the stated total and 0.91-1.16x a campaign's own figure (family medians), and the total
    lies inside the interval in every plan. Nothing is fitted: the cut is the plan's own interval level."""
    d = np.asarray(draws, dtype=float)
    if d.size == 0:
        return float("nan")
    lo, hi = np.quantile(d, [q, 1 - q])
    return float(np.mean(np.clip(d, lo, hi)))


def _schedule_note(info: dict, currency: str, notes: list[str]) -> list[list[float]] | None:
    """The play schedule a safe plan carries in a weekly loop (`safe.play_schedule`): what it is for and what it costs."""
    sched = info.get("schedule")
    if sched is None:
        return None
    notes.append(f"play schedule: each campaign's daily spend swings up to {float(info.get('dither', 0.0)):.0%} around "
                 f"the plan in blocks of days (zero-sum: every day's total is the budget) to measure its slope; expected "
                 f"cost {float(info.get('schedule_cost', 0.0)):,.2f} {currency}/day vs playing the plan every day; the "
                 "per-day spends are the plan's `schedule` (--json / --out)")
    return [[round(float(v), 2) for v in row] for row in sched]


ANCHOR_REASON = "kept close to the historical allocation: evidence for the move is weak"
SPREAD_REASON = "above its trust limit, moved toward its equal share (budget / campaigns)"


def _spread_note(info: dict, rows: list[CampaignPlan], x: np.ndarray, notes: list[str]) -> None:
    """When the safe plan was shrunk toward the equal split (`safe.shrink_to_equal`), the notes say by how much
    and every campaign moved above its trust limit says so in its reason (it stays <= its equal share)."""
    weight = float(info.get("spread_weight", 0.0) or 0.0)
    if weight < 0.005:
        return
    hi = info.get("trust_hi")
    if hi is not None:
        for i, r in enumerate(rows):
            if np.isfinite(hi[i]) and x[i] > hi[i] * 1.001:
                r.reason = f"{r.reason}; {SPREAD_REASON}"
    notes.append(f"shrunk {weight:.0%} toward the equal split: the history says little about the curves where the "
                 "plan moves (posterior spread at the trust limits), and with concave returns spreading is the safer bet")


def _anchor_note(check: Any, rows: list[CampaignPlan], notes: list[str]) -> None:
    """When the history-anchor guard held the plan back, every campaign's reason and the notes say so."""
    if check is None or check.t >= 1.0 or not check.moved:
        return
    for r in rows:
        r.reason = f"{r.reason}; {ANCHOR_REASON}"
    how = "the historical allocation rescaled to the budget" if check.t == 0 else \
        f"{check.t:.0%} of the way from the historical allocation (rescaled to the budget) to the optimised plan"
    notes.append(f"{ANCHOR_REASON}: the optimised plan beats that allocation with probability only "
                 f"{check.p_plan:.0%} under the posterior, so the plan is {how}")


def total_interval(draws: Sequence[np.ndarray], interval: float = 0.8) -> tuple[float, float]:
    """The independent part of a plan total's interval (session 5; since session 6 `plan_total_interval` weights it and
    adds the campaigns' shared error, and that is what a plan states), from its campaigns' predictive draws (one array
    per campaign, drawn independently): the quantiles of the summed draws after each campaign's draws are limited
    to its own `interval` interval (winsorised), widened about the sum's median by the factor that makes a
    winsorised normal's spread the normal's again (`_winsor_consistency`, 1.21 at 80 %: a property of the normal
    distribution, not a fit to any data).

    Why, against sessions 3-4 (the summed draws blended with the comonotone sum of the per-campaign bounds by the
    plan's extrapolated share; they held the truth in 92-100 % of the plans of every development family):
    - Campaign errors are close to independent. On 36 worlds of each of the six development families (safe
      plans) the spread over worlds of the mean per-campaign PIT (where the truth falls in its campaign's draws)
      was 0.8-1.7x what independent errors give (a correlation between campaigns of at most ~0.06); the comonotone
      share (correlation 1, up to the whole interval for an extrapolated plan) counted a shared error the worlds
      did not show.
    - A campaign's central interval is honest, its far tail is not. Beyond the observed spend the draws mix two
      readings (held at the edge, or the curve rising on) with a long upper tail; the variance of those draws was
      10-30x the squared error of the truth while the central 80 % held the truth in 73-92 % of campaigns. A plain
      sum of draws is governed by that variance, i.e. by rare extreme draws, so its interval was too wide and sat
      too high (it missed almost only on the low side). Winsorising keeps the tail's probability (a tenth of the
      draws on each side still count as far out as the interval's end) but not its size.
    - The factor restores what winsorising takes from honest draws, so the rule generalises in both directions:
      when each campaign's truth is one more draw of its own predictive (normal or skewed, 3 to 60 campaigns) the
      interval holds it ~80 % of the time, and when 5 % of the draws are 10x outliers the truth never shares it
      still holds ~80 %, where the plain sum's interval is 3x wider and misses low (tests/unit/
      test_budget_intervals_s5.py). Known limits: with very few campaigns it is a little wide (one campaign: 87-92 %),
      with many strongly skewed honest campaigns a little narrow (exponential draws, 60 campaigns: ~70 %).
    Nothing is fitted to a world family: no weight, scale or threshold is read from the benchmark. Not a rolling
    backtest of next week's earnings: the error that dominates a plan's total is extrapolation beyond the observed
    spend, which a backtest at the spends already played does not exercise (inside the data the campaigns'
    central intervals already held the truth at about their stated rate)."""
    _, lo, hi = _independent_total(draws, interval)
    return lo, hi


def _independent_total(draws: Sequence[np.ndarray], interval: float) -> tuple[float, float, float]:
    """(centre, lower, upper) of `total_interval`: the median of the winsorised sum and the widened quantiles."""
    if not 0 < interval < 1:
        raise ValueError(f"interval must lie strictly between 0 and 1 (e.g. 0.8 for 80 %), got {interval}")
    d = np.asarray(draws, dtype=float)
    q = (1 - interval) / 2
    lo, hi = np.quantile(d, q, axis=1), np.quantile(d, 1 - q, axis=1)
    total = np.clip(d, lo[:, None], hi[:, None]).sum(axis=0)
    centre = float(np.median(total))
    k = _winsor_consistency(q)
    return (centre, centre - k * (centre - float(np.quantile(total, q))),
            centre + k * (float(np.quantile(total, 1 - q)) - centre))


# The plan total's error model (session 6, `plan_total_interval`): the weight of the campaigns' independent errors, and
# the relative error they share: a floor for any plan plus a slope per unit of natural-log distance beyond the highest
# (above) or below the lowest (below) observed daily spend, averaged over the campaigns by their median earnings.
# Chosen once on the six development families (not sealed5 / sealed6), both plan sizes; see the function's docstring.
INDEPENDENT_WEIGHT = 0.6
SHARED_SD_FLOOR = 0.02
SHARED_SD_ABOVE = 0.05
SHARED_SD_BELOW = 0.20


def extrapolation_distances(x: np.ndarray, top: np.ndarray | None, bottom: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Per campaign, how far the proposal leaves the observed daily spend range, in natural log: log(x / highest)
    above it, log(lowest / x) below it, 0 inside it (or where the range or the spend is unknown or zero: a campaign cut
    to 0 earns 0 for certain)."""
    x = np.asarray(x, dtype=float)
    t = np.full(x.shape, np.nan) if top is None else np.asarray(top, dtype=float)
    b = np.full(x.shape, np.nan) if bottom is None else np.asarray(bottom, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        above = np.where(np.isfinite(t) & (t > 0) & (x > t), np.log(x / t), 0.0)
        below = np.where(np.isfinite(b) & (b > 0) & (x > 0) & (x < b), np.log(b / x), 0.0)
    return above, below


def shared_error_sd(draws: Sequence[np.ndarray], above: np.ndarray, below: np.ndarray) -> float:
    """The relative standard deviation of the error a plan's campaigns share: `SHARED_SD_FLOOR` plus, per campaign
    weighted by its median predicted earnings, `SHARED_SD_ABOVE` / `SHARED_SD_BELOW` per unit of log distance
    beyond / below its observed spend (`extrapolation_distances`)."""
    med = np.maximum(np.median(np.asarray(draws, dtype=float), axis=1), 0.0)
    w = med / med.sum() if med.sum() > 0 else np.full(med.size, 1.0 / max(med.size, 1))
    return float(SHARED_SD_FLOOR + SHARED_SD_ABOVE * np.dot(w, above) + SHARED_SD_BELOW * np.dot(w, below))


def plan_total_interval(draws: Sequence[np.ndarray], above: np.ndarray, below: np.ndarray,
                        interval: float = 0.8) -> tuple[float, float]:
    """The `interval` interval of a plan's total expected earnings (what `make_plan` states, session 6): about the
    centre of `total_interval` (the median of the campaigns' winsorised, independently summed draws), each side's
    half-width is sqrt((INDEPENDENT_WEIGHT x that side of `total_interval`)^2 + (z x shared sd x centre)^2), z the
    normal quantile of the interval (1.28 at 80 %) and the shared sd from `shared_error_sd`. In words: the campaigns'
    own posterior errors at 0.6 of their stated size, plus an error all campaigns share: 2 % of the total for any plan,
    plus 5 % per unit of log distance the plan moves campaigns above their highest observed spend and 20 % per unit it
    cuts them below their lowest (earnings-weighted; a campaign cut to half its lowest spend adds 0.2 x 0.69 = 14 %
    of its own earnings).

    Why (measured offline on the six development families dev / heldout / sealed / sealed2 / sealed3 / sealed4: the
    plans' draws saved once (36 worlds of 12-50 campaigns: session-5 plans; 24 worlds of 4-8 campaigns per family),
    all four strategies; sealed5 and sealed6 were not used; docs/budget.md has the benchmark's figures).
    The session-5 sum of independent errors held the truth in 83-100 %
    of the default plans (too wide) and in 44 % of proportional plans on sealed2 (too narrow):
    - Below its lowest observed spend a campaign's truth falls under its draws (median probit of the truth's rank
      among them -0.5 to -1.1 for proportional plans' cuts of more than 1.35x, on five of six families: half the
      draws hold the edge value, the curve keeps falling), and the cut campaigns of one plan err together: a shared
      error, which independent errors cannot express. A below slope (0.10-0.30) came out of every fit, on every
      subset of five families.
    - The draws are wider than the errors they describe (the truth's error is typically 0.4-0.8 of a campaign's
      stated half-width, median per family), more so summed over many campaigns: hence the weight 0.6.
    The four numbers were chosen together to bring the 80 % coverage of every (family, strategy, plan size) cell
    close to 0.80 (in-sample, 36 / 24 worlds; session 5 -> session 6): 12-50 campaigns, safe .83/.92/1.00/.86/.97/.86
    -> .86/.89/1.00/.83/.83/.78, explore .89/.94/1.00/.86/.97/.83 -> .89/.92/.97/.81/.86/.72, proportional
    .69/.78/.69/.44/1.00/.69 -> .92/.83/1.00/.72/.92/.86; 4-8 campaigns, safe .67/.88/1.00/.79/1.00/.88 ->
    .58/.75/.96/.67/.88/.88. Known limits, measured: (1) leave-one-family-out refits are not stable (the weight
    ranged 0.2-0.8, the floor 0-0.07) and their held-out coverage ranged 0.46-1.00: how a world's curves continue
    beyond the data differs between families more than any plan-level feature here explains, so a new market can
    land outside 70-90 %; (2) small plans of 4-8 campaigns on dev and sealed2 under-covered (0.54-0.71) with the
    session-6 plans; (3) where the curves beyond the data are easy to read (sealed) the interval is still too wide
    (0.96-1.00). A fit of the same four numbers on the 12-50-campaign plans alone (0.25 / 0.02 / 0.16 / 0.19) met
    70-90 % for the default on five of six families but held only 38-62 % of the 4-8-campaign plans on three: rejected.
    Nothing is keyed to a world family: the same four constants for every plan.

    By account size (session 7, `bench/budget_regret.py --campaigns`; docs/budget.md has the tables): on the
    allocation code of session 7, 54 worlds of 4-8 campaigns and 20 each of 12-20 and 35-50 per family, the pooled
    coverage of small plans is 0.80-0.87 per strategy on the six development families and 0.81-0.87 on sealed5 /
    sealed6 (the same 24 dev / sealed2 worlds that held 0.54-0.71 with session-6 plans now hold 0.62-0.92); what
    stays outside 70-90 % is by family, not by size. Weighting the independent part by the plan's effective number of
    campaigns (1 / sum of squared earnings shares), a per-campaign model error that concentrated plans do not
    dilute, an asymmetric shared error and a separate weight for campaigns inside their observed range were fitted on
    the six families and scored on sealed5 / sealed6: none was better there for small plans without an unexplained
    edge (the effective-number weight fitted to 0.79 / sqrt(n_eff) and narrowed small plans to 0.75), so the four
    constants stay."""
    centre, lo, hi = _independent_total(draws, interval)
    z = NormalDist().inv_cdf(1 - (1 - interval) / 2)
    shared = z * shared_error_sd(draws, np.asarray(above, float), np.asarray(below, float)) * abs(centre)
    return (centre - float(np.hypot(INDEPENDENT_WEIGHT * (centre - lo), shared)),
            centre + float(np.hypot(INDEPENDENT_WEIGHT * (hi - centre), shared)))


def _interval_note(draws: Sequence[np.ndarray], above: np.ndarray, below: np.ndarray, interval: float) -> str:
    """What the plan's total interval means, in one line of the plan's notes."""
    sd = shared_error_sd(draws, above, below)
    return (f"the {interval:.0%} interval of the expected total adds the campaigns' own errors and an error they share, "
            f"here {sd:.0%} (sd) of the total: {SHARED_SD_FLOOR:.0%} for any plan, more the further the plan moves "
            "beyond or below each campaign's observed spend")


def _winsor_consistency(q: float) -> float:
    """1 / the standard deviation of a standard normal winsorised at its q and 1 - q quantiles (q < 0.5)."""
    c = NormalDist().inv_cdf(1 - q)
    var = (1 - 2 * q) - 2 * c * NormalDist().pdf(c) + 2 * q * c * c
    return float(1 / np.sqrt(var))


def _historical_roas(ctx: AllocationContext) -> float | None:
    t = ctx.totals
    if t is None or t.empty or t["spend"].isna().all():
        return None
    sp, cm = float(t["spend"].sum()), float(t["commission"].sum())
    return cm / sp if sp > 0 else None

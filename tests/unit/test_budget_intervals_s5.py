"""The plan total's 80 % interval holds the truth about as often as it claims (issue 19, session 5): campaign
errors are added as independent (each campaign's draws winsorised at its own interval, summed, the spread
restored to the normal's), not blended with the comonotone sum of the bounds, and a rare extreme tail of the
draws does not widen the total."""

from __future__ import annotations

import numpy as np
import pytest

from matrix.budget.evaluate import SAFE_FIT
from matrix.budget.plan import (
    extrapolation_distances,
    level_uncertainty,
    make_plan,
    plan_total_interval,
    predictive_draws,
    total_interval,
)
from matrix.budget.simulator import make_partial_world
from matrix.budget.strategies import build_context, get_strategy


def _coverage(draw_campaign, truth_campaign, n: int, trials: int, seed: int) -> tuple[float, float, float]:
    """Share of trials whose total interval holds the summed truth, ours and the summed-draws quantiles', and the
    median ratio of the summed-draws interval's width to ours."""
    rng = np.random.default_rng(seed)
    ours = summed = 0
    ratio = []
    for _ in range(trials):
        scale = rng.uniform(5.0, 50.0, n)
        draws = [draw_campaign(rng, s, 200) for s in scale]
        truth = float(sum(truth_campaign(rng, s) for s in scale))
        lo, hi = total_interval(draws, 0.8)
        ours += lo <= truth <= hi
        s_lo, s_hi = np.quantile(np.sum(draws, axis=0), [0.1, 0.9])
        summed += s_lo <= truth <= s_hi
        ratio.append((s_hi - s_lo) / (hi - lo))
    return ours / trials, summed / trials, float(np.median(ratio))


def _normal(rng, s, size=None):
    return 100.0 + s * rng.standard_normal(size)


def _two_piece(rng, s, size=None):  # skewed: the upper side 1.6x as wide as the lower
    z = rng.standard_normal(size)
    return 100.0 + s * np.where(z > 0, 1.6 * z, z)


def _exponential(rng, s, size=None):  # strongly skewed (skewness 2): a long lower tail
    return 100.0 - s * rng.exponential(1.0, size)


@pytest.mark.parametrize("n", [3, 20, 60])
@pytest.mark.parametrize("dist", [_normal, _two_piece, _exponential])
def test_total_interval_holds_the_truth_as_often_as_claimed_when_the_draws_are_right(n, dist):
    # each campaign's predictive is right (its truth is one more draw of it), scales differ between campaigns
    ours, summed, ratio = _coverage(dist, lambda rng, s: float(dist(rng, s)), n, 400, seed=n)
    if dist is _exponential and n == 60:  # the known cost of robustness: winsorising moves a strongly skewed sum's
        assert 0.64 <= ours <= 0.8        # centre, by more than the spread restores once there are many campaigns
    else:
        assert 0.73 <= ours <= 0.88
    assert 0.73 <= summed <= 0.87 and 0.75 < ratio < 1.25  # the plain sum of draws is right here too


def test_a_rare_extreme_tail_in_the_draws_does_not_widen_the_total():
    # 5 % of each campaign's draws are a curve that keeps rising far beyond the data (10x); the truth never is.
    def tailed(rng, s, size):
        d = _normal(rng, s, size)
        return np.where(rng.random(size) < 0.05, 10 * d, d)

    ours, summed, ratio = _coverage(tailed, lambda rng, s: float(_normal(rng, s)), 20, 300, seed=5)
    assert ratio > 3  # the tail's variance makes the summed draws' interval wide (and sit too high: misses low)
    assert 0.72 <= ours <= 0.88 and summed < ours


def test_total_interval_grows_like_the_root_of_the_campaign_count_and_holds_one_campaigns_interval():
    rng = np.random.default_rng(0)
    width = {n: np.subtract(*total_interval([_normal(rng, 10.0, 400) for _ in range(n)], 0.8)[::-1])
             for n in (4, 16)}
    assert 1.6 < width[16] / width[4] < 2.4  # independent errors: sqrt(4) = 2x wider for 4x the campaigns, not 4x
    one = _normal(rng, 10.0, 4000)
    own = np.quantile(one, [0.1, 0.9])
    lo1, hi1 = total_interval([one], 0.8)
    assert lo1 <= own[0] and hi1 >= own[1] and hi1 - lo1 < 1.25 * (own[1] - own[0])
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        total_interval([one], 1.0)


def _plan_draws(plan, ctx) -> list[np.ndarray]:
    sd = level_uncertainty(ctx)
    pairs = enumerate(zip(ctx.posteriors, plan.campaigns, strict=True))
    return [predictive_draws(p, r.proposed, float(ctx.observed_max[i]), 200, np.random.default_rng(i), sd,
                             float(ctx.observed_min[i])) for i, (p, r) in pairs]


def test_fitted_plans_on_simulated_worlds_hold_the_truth_about_as_often_as_claimed():
    """24 small worlds (6 campaigns, 60 days of history, fitted as the benchmark fits them), equal split plans
    (most campaigns outside their observed range): the 80 % interval of the plan's expected earnings holds the
    true expected earnings in roughly 80 % of them, and it is narrower than the comonotone sum of the
    campaigns' intervals that sessions 3-4 blended in for extrapolated plans."""
    covered, ratio = [], []
    for seed in range(24):
        w, h, c = make_partial_world(6, 100 + seed, "dev", history_days=60)
        ctx = build_context(h, c, w.ids, fit=True, fit_kwargs=SAFE_FIT, pool=True)
        plan = make_plan(get_strategy("equal"), ctx)
        x = np.array([r.proposed for r in plan.campaigns])
        truth = w.value(x, 60)
        covered.append(plan.lower_total <= truth <= plan.upper_total)
        # session 6: the plan states `plan_total_interval` (this sum's independent part plus a shared error)
        above, below = extrapolation_distances(x, ctx.observed_max, ctx.observed_min)
        lo, hi = plan_total_interval(_plan_draws(plan, ctx), above, below, plan.interval)
        assert plan.lower_total == pytest.approx(min(lo, plan.expected_total))
        assert plan.upper_total == pytest.approx(max(hi, plan.expected_total))
        assert plan.lower_total <= plan.expected_total <= plan.upper_total
        comonotone = sum(r.upper for r in plan.campaigns) - sum(r.lower for r in plan.campaigns)
        ratio.append((plan.upper_total - plan.lower_total) / comonotone)
    assert 0.6 <= float(np.mean(covered)) <= 0.95
    assert float(np.median(ratio)) < 0.8

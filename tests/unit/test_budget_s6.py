"""Session 6 (issue 19): the trust region follows the planning budget, and the guards ask for confidence only to
leave what the data have seen."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from matrix.budget.constraints import Constraints
from matrix.budget.evaluate import SAFE_FIT, history_allocation
from matrix.budget.plan import make_plan
from matrix.budget.safe import (
    anchor_allocation,
    budget_ratio,
    known_share,
    reference_points,
    required_confidence,
    trust_floor,
    trust_limits,
)
from matrix.budget.simulator import make_partial_world
from matrix.budget.strategies import build_context, get_strategy

LEVELS = np.array([40.0, 80.0, 160.0, 320.0, 400.0])  # historical daily spend per campaign; total 1000


def _history(spread: float | tuple[float, ...] = 0.03, days: int = 40, seed: int = 0) -> pd.DataFrame:
    """Each campaign ran near one level (spend barely varied: a narrow observed range), or varied by `spread`."""
    rng = np.random.default_rng(seed)
    sd = np.broadcast_to(np.asarray(spread, float), LEVELS.shape)
    rows = [{"campaign_id": f"c{i}", "date": pd.Timestamp("2024-01-01") + pd.Timedelta(days=d),
             "spend": float(level * np.exp(rng.normal(0, sd[i]))), "commission": float(2 * level ** 0.7),
             "clicks": 10.0, "conversions": 1.0}
            for d in range(days) for i, level in enumerate(LEVELS)]
    return pd.DataFrame(rows)


def _ctx(budget: float, spread: float | tuple[float, ...] = 0.03):
    h = _history(spread)
    ids = [f"c{i}" for i in range(len(LEVELS))]
    return build_context(h, Constraints(budget, len(ids), 0.0, None), ids, fit=False)


def test_with_the_historical_budget_the_region_is_the_observed_range_unchanged():
    ctx = _ctx(1000.0)
    assert budget_ratio(ctx) == pytest.approx(1.0, rel=0.03)
    top, bottom = reference_points(ctx)
    # the ratio is ~1 (not exactly: the last 7 days' jitter), so the reference is the observed range within it
    assert np.allclose(top, ctx.observed_max * max(budget_ratio(ctx), 1.0))
    assert np.allclose(bottom, ctx.observed_min * min(budget_ratio(ctx), 1.0))
    hi_s, _ = trust_limits(ctx, 2.0)
    hi_u, _ = trust_limits(ctx, 2.0, scaled=False)
    assert np.allclose(hi_s, hi_u, rtol=0.03)
    assert np.allclose(trust_floor(ctx, 2.0, hi_s), trust_floor(ctx, 2.0, hi_u, scaled=False), rtol=0.03)


def test_a_doubled_budget_can_keep_the_historys_shape_which_the_unscaled_region_forbids():
    ctx = _ctx(2000.0, (0.03, 0.03, 0.03, 0.5, 0.5))  # three narrow campaigns, two whose spend varied widely
    assert budget_ratio(ctx) == pytest.approx(2.0, rel=0.15)
    anchor = anchor_allocation(ctx)  # the history rescaled to the budget: every campaign doubles
    hi, widened = trust_limits(ctx, 2.0)
    lo = trust_floor(ctx, 2.0, hi)
    assert not widened and (lo <= anchor + 1e-9).all() and (anchor <= hi + 1e-9).all()
    # the old region (observed max x the evidence step) holds the budget through the wide campaigns, so it is
    # not widened, and the narrow ones (step x1.25) cannot double: the history's shape is out of reach
    hi_old, widened_old = trust_limits(ctx, 2.0, scaled=False)
    assert not widened_old and (anchor[:3] > hi_old[:3]).all()
    # the equal split is not a point of the region (the `equal_reachable` option was removed in session 7)
    eq = 2000.0 / len(LEVELS)
    assert (hi < eq).any()


def test_a_halved_budget_can_cut_every_campaign_in_proportion():
    ctx = _ctx(500.0, (0.03, 0.03, 0.03, 0.5, 0.5))
    assert budget_ratio(ctx) == pytest.approx(0.5, rel=0.15)
    anchor = anchor_allocation(ctx)
    hi, _ = trust_limits(ctx, 2.0)
    lo = trust_floor(ctx, 2.0, hi)
    assert (lo <= anchor + 1e-9).all() and (anchor <= hi + 1e-9).all()
    hi_old, _ = trust_limits(ctx, 2.0, scaled=False)
    assert np.allclose(hi, hi_old)  # a cut never widens the region upwards
    # the old floors fit the budget through the wide campaigns, so the narrow ones could not be cut in proportion
    assert (trust_floor(ctx, 2.0, hi, scaled=False)[:3] > anchor[:3]).all()


def test_known_share_and_the_confidence_it_asks_for():
    ctx = _ctx(2000.0)
    hist = ctx.history_allocation
    assert known_share(ctx, hist) == pytest.approx(1.0)  # the history itself lies inside the data
    doubled = anchor_allocation(ctx)
    assert known_share(ctx, doubled) == pytest.approx(0.5, abs=0.05)  # half of each campaign's spend is beyond
    # below the data counts as known since session 7: a cut anchor keeps the full confidence (test_budget_small_accounts)
    assert known_share(ctx, hist / 4) == pytest.approx(1.0)
    assert required_confidence(0.8, 1.0) == pytest.approx(0.8)
    assert required_confidence(0.8, 0.0) == pytest.approx(0.5)
    assert 0.5 < required_confidence(0.8, 0.5) < 0.8


def test_on_the_historical_budget_the_safe_plan_is_unchanged_by_the_scaling():
    """budget_ratio ~1: the scaled and unscaled regions agree, so the plan is the same plan."""
    w, h, c = make_partial_world(8, 1, "dev", history_days=60)
    ids = w.ids
    last = history_allocation(h, ids, Constraints(1.0, len(ids), 0.0, None))  # shape only
    d = pd.to_datetime(h["date"])
    total = float(h[d > d.max() - pd.Timedelta(days=7)].groupby("campaign_id")["spend"].mean().sum())
    cons = Constraints(total, len(ids), 0.0, 0.5 * total)
    ctx = build_context(h, cons, ids, fit=True, rng=np.random.default_rng(1), fit_kwargs=SAFE_FIT, pool=True)
    assert budget_ratio(ctx) == pytest.approx(1.0) and last.sum() == pytest.approx(1.0)
    x_new = get_strategy("safe").allocate(ctx)
    x_old = get_strategy("safe", budget_scaled=False, known_scaled=False).allocate(ctx)
    assert np.allclose(x_new, x_old, atol=1e-6 * total)


@pytest.mark.parametrize("scale", [2.0, 0.5])
def test_a_changed_budget_gives_a_plan_no_worse_than_the_history_and_honest_reasons(scale):
    w, h, c = make_partial_world(10, 3, "heldout", history_days=60)
    d = pd.to_datetime(h["date"])
    total = float(h[d > d.max() - pd.Timedelta(days=7)].groupby("campaign_id")["spend"].mean().sum())
    cons = Constraints(scale * total, w.n, 0.0, 0.5 * scale * total)
    w.budget = cons.budget
    ctx = build_context(h, cons, w.ids, fit=True, rng=np.random.default_rng(3), fit_kwargs=SAFE_FIT, pool=True)
    plan = make_plan(get_strategy("safe"), ctx)
    x = np.array([p.proposed for p in plan.campaigns])
    assert cons.violations(x) == []
    day = int(d.nunique())
    assert w.value(x, day) >= w.value(history_allocation(h, w.ids, cons), day)
    for i, p in enumerate(plan.campaigns):  # leaving the observed range is always said
        assert ("OUTSIDE observed range" in p.reason) == (x[i] > ctx.observed_max[i] * 1.001)
        assert ("below observed range" in p.reason) == (0 < x[i] < ctx.observed_min[i] * 0.999)


def test_spread_weights_survive_draws_too_large_to_square():
    """A campaign whose amplitude the data never pinned can draw earnings near the float limit at its trust limit:
    its weight is computed scale-free (no OverflowError) and a non-finite mean counts as 'the history says nothing'."""
    from matrix.budget.safe import CurveSamples, spread_weights

    calm = CurveSamples(np.full(50, 100.0), np.full(50, 10.0), np.full(50, 1.0))
    huge = CurveSamples(np.linspace(1e160, 3e160, 50), np.full(50, 10.0), np.full(50, 1.0))
    endless = CurveSamples(np.full(50, 1e308), np.full(50, 1e-3), np.full(50, 1.0))
    w = spread_weights([calm, huge, endless], np.array([20.0, 20.0, 20.0]), prior_cv=0.7)
    assert np.all(np.isfinite(w)) and w[0] == 0.0
    assert 0.0 < w[1] < 1.0
    assert w[2] == 1.0

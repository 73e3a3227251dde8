"""Session 16: a plan states the winsorised mean of each campaign's predictive draws as its expected earnings
(`plan.central_expectation`), so a long upper tail beyond the data no longer sets the figure a marketer reads."""
from __future__ import annotations

import numpy as np
import pytest

from matrix.budget.evaluate import SAFE_FIT
from matrix.budget.plan import central_expectation, level_uncertainty, make_plan, predictive_draws
from matrix.budget.simulator import make_partial_world
from matrix.budget.strategies import build_context, get_strategy


def test_a_long_upper_tail_does_not_set_the_expectation():
    d = np.exp(np.random.default_rng(0).normal(0.0, 1.5, 4000))  # lognormal: mean ~3.1x the median
    e = central_expectation(d, 0.1)
    assert e < 0.7 * float(np.mean(d))
    assert float(np.quantile(d, 0.1)) < e < float(np.quantile(d, 0.9))


def test_symmetric_draws_keep_their_mean():
    d = np.random.default_rng(1).normal(100.0, 10.0, 4000)
    assert central_expectation(d, 0.1) == pytest.approx(float(np.mean(d)), rel=2e-3)


def test_the_cut_is_the_interval_level_and_empty_draws_are_unknown():
    d = np.arange(1.0, 101.0)
    d[-1] = 1e6  # one absurd draw moves the plain mean by ~10,000, the expectation not at all
    assert central_expectation(d, 0.1) == pytest.approx(float(np.mean(np.clip(d, *np.quantile(d, [0.1, 0.9])))))
    assert central_expectation(d, 0.1) < 60
    assert np.isnan(central_expectation(np.array([]), 0.1))


def test_plan_rows_state_the_winsorised_mean_and_add_up_to_the_total():
    w, h, c = make_partial_world(8, 3, "sealed7", history_days=56)
    ctx = build_context(h, c, w.ids, fit=True, fit_kwargs=SAFE_FIT, pool=True)
    plan = make_plan(get_strategy("safe"), ctx)
    level_sd = level_uncertainty(ctx)
    for i, row in enumerate(plan.campaigns):
        top, bottom = float(ctx.observed_max[i]), float(ctx.observed_min[i])
        d = predictive_draws(ctx.posteriors[i], row.proposed, top, 200, np.random.default_rng(i), level_sd, bottom)
        assert row.expected == pytest.approx(central_expectation(d, 0.1))
        assert row.lower <= row.expected <= row.upper
    assert plan.expected_total == pytest.approx(sum(r.expected for r in plan.campaigns))
    assert plan.lower_total <= plan.expected_total <= plan.upper_total

"""Session 11: a plan's interval is drawn from each campaign's fit on its active days (`response.leading_idle_days`,
`HillPosterior.interval`, `safe.interval_posterior`); plans keep the posterior fitted on every day."""

from __future__ import annotations

from typing import Any

import numpy as np

from matrix.budget.response import HillCurve, _fit_hill, fit_hill, leading_idle_days
from matrix.budget.safe import CurveSamples, interval_posterior, pool_posteriors

FIT: dict[str, Any] = {"half_life_days": 60.0, "k_prior_sd": 1.5, "temperature": 2.0, "changepoint": True}


def _late_campaign(seed: int, days: int = 60, active: int = 12) -> tuple[np.ndarray, np.ndarray, HillCurve]:
    """A campaign launched `active` days before the end of a `days`-day history: no spend and no earnings before."""
    rng = np.random.default_rng(seed)
    truth = HillCurve(300.0, 150.0, 1.0, 0.0)
    x = np.zeros(days)
    x[days - active:] = 60.0 * np.exp(rng.normal(0, 0.25, active))
    mean = truth(x)
    y = np.where(x > 0, rng.gamma(2.0, mean / 2.0), 0.0)  # daily CV ~0.7: few days pin the level loosely
    return x, y, truth


def test_leading_idle_days() -> None:
    assert leading_idle_days(np.array([0, 0, 0, 5.0, 6.0]), np.array([0, 0, 0, 1.0, 2.0])) == 3
    assert leading_idle_days(np.array([5.0, 0, 6.0]), np.array([1.0, 0, 2.0])) == 0
    # a day with earnings but no spend is data (carry-over, organic), not a day before the campaign ran
    assert leading_idle_days(np.array([0, 0, 5.0]), np.array([0, 3.0, 2.0])) == 1


def test_plan_posterior_unchanged_interval_fit_on_active_days() -> None:
    x, y, _ = _late_campaign(0)
    post = fit_hill(x, y, **FIT)
    full = _fit_hill(x, y, thetas=(0.0, 0.2, 0.4, 0.6), shapes=(0.5, 0.7, 0.85, 1.0, 1.25, 1.5, 1.8, 2.2, 2.7, 3.3),
                     k_points=40, k_span=(0.05, 20.0), half_life_days=60.0, temperature=2.0, k_prior_sd=1.5,
                     level_half_life_days=None, changepoint=True, k_prior_floor=None, s_curve_k_sd=None)
    # the posterior plans use is the every-day fit, exactly as before session 11
    np.testing.assert_array_equal(post.weight, full.weight)
    np.testing.assert_array_equal(post.a_sd, full.a_sd)
    assert post.n_obs == 60 and post.interval is not None and post.interval.n_obs == 12
    active = fit_hill(x[48:], y[48:], **FIT)
    np.testing.assert_array_equal(post.interval.weight, active.weight)
    # the idle days had shrunk the amplitude's spread by about sqrt(60 / 12)
    i = int(np.argmax(post.weight))
    assert post.interval.a_sd[i] > 1.8 * post.a_sd[i]
    # no idle days: no second fit
    assert fit_hill(x[48:], y[48:], **FIT).interval is None
    assert interval_posterior(active) is active and interval_posterior(post) is post.interval


def test_pooling_carries_the_interval_posterior() -> None:
    posts = [fit_hill(*_late_campaign(s)[:2], **FIT) for s in range(3)]
    x, y, _ = _late_campaign(9, active=60)  # ran all along: no interval posterior
    posts.append(fit_hill(x, y, **FIT))
    pooled = pool_posteriors(posts)
    for p, q in zip(posts, pooled, strict=True):
        assert q is not None
        assert (q.interval is None) == (p.interval is None)
        if p.interval is not None and q.interval is not None:
            assert abs(q.interval.weight.sum() - 1) < 1e-9
            # the same prior multiplies both: pooled / own weights agree wherever both are non-negligible
            prior = q.weight / np.maximum(p.weight, 1e-300)
            prior_iv = q.interval.weight / np.maximum(p.interval.weight, 1e-300)
            ok = (p.weight > 1e-8) & (p.interval.weight > 1e-8)
            r = prior[ok] / prior_iv[ok]
            assert np.allclose(r, r[0], rtol=1e-6)


def test_late_launch_interval_holds_the_truth_more_often() -> None:
    """Over replicate late-launched campaigns the every-day fit's 80 % interval of expected earnings at the played
    level misses the truth far more often than the active-days fit's (the idle days made it too narrow)."""
    held_full: list[bool] = []
    held_active: list[bool] = []
    for seed in range(30):
        x, y, truth = _late_campaign(100 + seed)
        post = fit_hill(x, y, **FIT)
        t = float(truth(np.array([60.0]))[0])
        for p, out in ((post, held_full), (interval_posterior(post), held_active)):
            d = CurveSamples.draw(p, 400, np.random.default_rng(seed)).values(60.0)[0]
            out.append(bool(np.quantile(d, 0.1) <= t <= np.quantile(d, 0.9)))
    assert np.mean(held_active) >= np.mean(held_full) + 0.15
    assert np.mean(held_active) >= 0.7

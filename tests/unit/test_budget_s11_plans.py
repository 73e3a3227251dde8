"""Session 11 (plans on active days): `fit_hill(..., active_days=True)` (or `response.PLANS_ON_ACTIVE_DAYS`) returns a
late-launched campaign's fit on its active days as the posterior plans use; off, plans keep the every-day fit and the
active-days fit is the interval's alone (`HillPosterior.interval`)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import matrix.budget.response as response
from matrix.budget.response import HillCurve, fit_hill
from matrix.budget.safe import interval_posterior

FIT: dict[str, Any] = {"half_life_days": 60.0, "k_prior_sd": 1.5, "temperature": 2.0, "changepoint": True}


def _late(seed: int, days: int = 60, active: int = 12) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    truth = HillCurve(300.0, 150.0, 1.0, 0.0)
    x = np.zeros(days)
    x[days - active:] = 60.0 * np.exp(rng.normal(0, 0.25, active))
    return x, np.where(x > 0, rng.gamma(2.0, truth(x) / 2.0), 0.0)


def test_active_days_switch() -> None:
    x, y = _late(0)
    on = fit_hill(x, y, active_days=True, **FIT)
    off = fit_hill(x, y, active_days=False, **FIT)
    own = fit_hill(x[48:], y[48:], **FIT)
    # on: the plan's posterior is the active-days fit itself, and its interval is drawn from the same posterior
    np.testing.assert_array_equal(on.weight, own.weight)
    np.testing.assert_array_equal(on.a_sd, own.a_sd)
    assert on.n_obs == 12 and on.interval is None and interval_posterior(on) is on
    # off: plans keep the every-day fit (session 11: interval), the interval uses the active-days one
    assert off.n_obs == 60 and off.interval is not None
    np.testing.assert_array_equal(off.interval.weight, own.weight)
    i = int(np.argmax(on.weight))
    assert on.a_sd[i] > 1.8 * off.a_sd[i]  # the idle days no longer narrow the plan's posterior


@pytest.mark.parametrize("flag", [False, True])
def test_module_default_and_no_idle_days(flag: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(response, "PLANS_ON_ACTIVE_DAYS", flag)
    x, y = _late(1)
    assert (fit_hill(x, y, **FIT).n_obs == 12) is flag
    # a campaign that ran all along, or with under 3 active days, is fitted on every day either way
    x2, y2 = _late(2, active=60)
    assert fit_hill(x2, y2, **FIT).n_obs == 60
    x3, y3 = _late(3, active=2)
    assert fit_hill(x3, y3, **FIT).n_obs == 60


def test_paused_and_trailing_days_are_kept() -> None:
    """Only days before the first spend or earnings are dropped: a pause or a stop carries adstock (theta > 0), so
    those days stay data (a campaign stopped >= `stale_days` before the data ends is left out of the plan by the CLI)."""
    x, y = _late(4, active=30)
    x[40:43] = 0.0
    x[-4:] = 0.0
    y[-4:] = 0.0
    assert fit_hill(x, y, active_days=True, **FIT).n_obs == 30

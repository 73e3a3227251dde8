"""The weekly loop's risk discount beyond the data can have a floor (issue 19, session 8; opt-in, `risk_floor=0.125`:
the sealed8 family did not confirm its development gain): the loop's evidence relaxes the discount on gains beyond each
campaign's observed range week by week, and with the floor never below `risk_floor` (docs/budget.md, "Session 8")."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from matrix.budget.evaluate import SAFE_FIT
from matrix.budget.safe import CurveSamples, RiskCurve, loop_risk
from matrix.budget.simulator import make_partial_world
from matrix.budget.strategies import build_context, get_strategy


def _looped(weeks: int, seed: int = 2) -> tuple:
    """A first-plan context and one after `weeks` weeks "played" (the history's last days re-dated and appended,
    as the loop would import them)."""
    w, h, c = make_partial_world(6, seed, "dev", 60)
    start = w.start + dt.timedelta(days=60)
    extra = h[pd.to_datetime(h["date"]) >= pd.Timestamp(w.start + dt.timedelta(days=60 - 7 * weeks))].copy()
    extra["date"] = (pd.to_datetime(extra["date"]) + pd.Timedelta(days=7 * weeks)).dt.date
    data = pd.concat([h, extra], ignore_index=True)
    first = build_context(h, c, w.ids, fit=True, fit_kwargs=SAFE_FIT, pool=True)
    looped = build_context(data, c, w.ids, fit=True, fit_kwargs=SAFE_FIT, pool=True, anchor_before=start)
    return w, c, first, looped


def test_the_discount_beyond_the_data_relaxes_with_the_loop_but_not_below_its_floor():
    _, c, first, looped = _looped(6)
    assert looped.followed_days == 42
    safe = get_strategy("safe", risk_floor=0.125)  # opt-in (sealed8 did not confirm the development gain)
    safe.allocate(first)
    assert safe.info["risk"] == pytest.approx(0.5) and safe.info["curve_risk"] == pytest.approx(0.5)
    x = safe.allocate(looped)
    # the loop's clock (guards, spreading) relaxes as before: 0.5 x 0.5^6 ...
    assert safe.info["risk"] == pytest.approx(loop_risk(looped, 0.5, 7.0)) == pytest.approx(0.5 * 0.5 ** 6)
    # ... while the objective's discount beyond the data stops at the floor (the risk after two weeks)
    assert safe.info["curve_risk"] == pytest.approx(0.125)
    assert c.violations(x) == []
    off = get_strategy("safe")  # the default 0 keeps the discount that vanishes with the loop
    off.allocate(looped)
    assert off.info["curve_risk"] == pytest.approx(0.5 * 0.5 ** 6)
    capped = get_strategy("safe", risk=0.1, risk_floor=0.125)  # a floor above the base risk never raises it
    capped.allocate(looped)
    assert capped.info["curve_risk"] == pytest.approx(0.1)


def test_a_floor_keeps_the_objective_from_believing_an_unseen_curve_beyond_the_edge():
    # one campaign whose posterior says "linear forever" beyond its highest observed spend (100): with the risk
    # relaxed to ~0 the objective counts the promised extra earnings in full; with the floor it counts less of them
    rng = np.random.default_rng(0)
    draws = CurveSamples(a=rng.uniform(500, 1500, 200), k=np.full(200, 400.0), s=np.full(200, 1.0))
    x = np.array([100.0, 200.0])
    relaxed = RiskCurve(draws, 0.5 * 0.5 ** 7, (50.0, 100.0))(x)
    floored = RiskCurve(draws, 0.125, (50.0, 100.0))(x)
    assert relaxed[0] == pytest.approx(floored[0])  # inside the data the posterior mean, whatever the risk
    assert floored[1] < relaxed[1] - 0.1 * (relaxed[1] - relaxed[0])  # beyond it the floor keeps a discount


def test_risk_floor_changes_no_first_plan_and_not_explore():
    _, c, first, looped = _looped(4, seed=4)
    a = get_strategy("safe", risk_floor=0.125).allocate(first)
    b = get_strategy("safe").allocate(first)
    np.testing.assert_allclose(a, b)  # a first plan keeps its full risk: every one-shot figure is unchanged
    assert c.violations(a) == []
    explore = get_strategy("explore")  # explore's safe part keeps the discount that vanishes (not measured with it)
    explore.allocate(looped)
    assert explore.info["curve_risk"] == pytest.approx(0.5 * 0.5 ** 4)

"""The weekly loop's oscillation is measured (issue 19, session 5): `evaluate.reversal_share` counts the
campaign moves that undo the previous week's move, `closed_loop(plays=...)` hands back each week's allocation,
and the benchmark prints the share per strategy."""

from __future__ import annotations

import numpy as np
import pytest

from matrix.budget.evaluate import closed_loop, reversal_share
from matrix.budget.simulator import make_partial_world
from matrix.budget.strategies import get_strategy


def test_reversal_share_counts_only_moves_that_undo_a_real_move():
    up_down = [np.array([100.0, 100.0]), np.array([200.0, 150.0]), np.array([100.0, 300.0])]
    # campaign 0 went up then down (a reversal), campaign 1 up then up again (none)
    assert reversal_share(up_down) == pytest.approx(0.5)
    # a steady approach never reverses; small wobbles (< 10 % in log) are not moves
    steady = [np.array([100.0]), np.array([150.0]), np.array([200.0]), np.array([204.0]), np.array([200.0])]
    assert reversal_share(steady) == 0.0
    # every week back and forth: all reversals
    zigzag = [np.array([v]) for v in (100.0, 200.0, 100.0, 200.0, 100.0)]
    assert reversal_share(zigzag) == 1.0
    # too short a loop, or nothing moved twice in a row: undefined, not 0
    assert np.isnan(reversal_share(up_down[:2]))
    assert np.isnan(reversal_share([np.array([100.0])] * 4))


def test_closed_loop_hands_back_each_weeks_allocation():
    w, h, c = make_partial_world(6, 3, "dev", 60)
    plays: list[np.ndarray] = []
    regrets, bad = closed_loop(w, h, c, get_strategy("safe"), weeks=3, seed=3, plays=plays)
    assert bad == 0 and regrets.shape == (3,)
    assert len(plays) == 3 and all(p.shape == (6,) for p in plays)
    for p in plays:  # what was played is what the plan said: feasible, on budget
        assert c.violations(p) == [] and p.sum() == pytest.approx(c.budget, rel=1e-6)
    r = reversal_share(plays)
    assert np.isnan(r) or 0.0 <= r <= 1.0


def test_explore_share_halves_per_week_the_loop_has_played_and_the_plan_states_it():
    import datetime as dt

    import pandas as pd

    from matrix.budget.evaluate import SAFE_FIT
    from matrix.budget.plan import make_plan
    from matrix.budget.strategies import build_context

    w, h, c = make_partial_world(6, 2, "dev", 60)
    # two weeks "played" after day 46: the history's last 14 days re-dated, as the loop would append them
    start = w.start + dt.timedelta(days=60)
    extra = h[pd.to_datetime(h["date"]) >= pd.Timestamp(w.start + dt.timedelta(days=46))].copy()
    extra["date"] = (pd.to_datetime(extra["date"]) + pd.Timedelta(days=14)).dt.date
    data = pd.concat([h, extra], ignore_index=True)
    first = build_context(h, c, w.ids, fit=True, fit_kwargs=SAFE_FIT, pool=True)
    looped = build_context(data, c, w.ids, fit=True, fit_kwargs=SAFE_FIT, pool=True, anchor_before=start)
    assert looped.followed_days == 14
    explore = get_strategy("explore", share=0.4)
    plan = make_plan(explore, first)
    assert explore.info["explore_share"] == pytest.approx(0.4)  # a first plan explores the full share
    assert any("exploration: 40% of the budget" in n for n in plan.notes)
    plan = make_plan(explore, looped)
    assert explore.info["explore_share"] == pytest.approx(0.4 * 0.5 ** 2)  # two weeks played: a quarter
    assert any("exploration: 10% of the budget" in n for n in plan.notes)
    assert c.violations(np.array([r.proposed for r in plan.campaigns])) == []
    fixed = get_strategy("explore", share=0.4, share_half_life_days=0)  # 0 keeps the share fixed
    fixed.allocate(looped)
    assert fixed.info["explore_share"] == pytest.approx(0.4)

"""The week's play schedule (issue 19 item 5, session 7): a safe plan carries per-day spends that dither each
campaign around its planned level in zero-sum blocks (so the daily rows identify the slope at the played level),
and the closed loop plays those days and counts the week's regret as the mean true value over them."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from matrix.budget.constraints import Constraints
from matrix.budget.evaluate import SAFE_FIT, closed_loop, played_value, week_plays
from matrix.budget.safe import CurveSamples, day_pattern, dither_signs, play_schedule, slope_sd
from matrix.budget.simulator import make_partial_world
from matrix.budget.strategies import AllocationContext, Strategy, build_context, get_strategy


def _samples(k: float, spread: float, n: int = 64) -> CurveSamples:
    rng = np.random.default_rng(0)
    return CurveSamples(np.full(n, 100.0), k * np.exp(rng.normal(0.0, spread, n)), np.full(n, 1.0))


def test_dither_moves_cancel_every_day_and_blocks_let_carry_over_settle():
    moves = dither_signs(np.array([50.0, 30.0, 20.0, 0.0, 10.0]))
    assert moves.sum() == pytest.approx(0.0, abs=1e-9)
    assert (moves > 0).any() and (moves < 0).any() and moves[3] == 0.0
    assert np.all(np.abs(moves) <= np.array([50.0, 30.0, 20.0, 0.0, 10.0]) + 1e-9)
    assert np.allclose(dither_signs(np.array([50.0, 30.0, 20.0]), flip=True), -dither_signs(np.array([50.0, 30.0, 20.0])))
    assert not dither_signs(np.array([5.0, 0.0])).any()  # one campaign alone cannot be tested zero-sum
    # 7 days, blocks of 3: +,+,+,-,-,-, plan; the week's mean is the plan's
    assert day_pattern(7, 3).tolist() == [1, 1, 1, -1, -1, -1, 0]
    assert day_pattern(7, 3).sum() == 0 and day_pattern(10, 2).sum() == 0


def test_schedule_is_feasible_zero_sum_and_sized_by_slope_uncertainty():
    x = np.array([400.0, 300.0, 200.0, 100.0])
    cons = Constraints(1000.0, 4, 0.0, np.full(4, 600.0))
    sure, unsure = _samples(300.0, 0.01), _samples(300.0, 1.5)
    assert slope_sd(unsure, 300.0) > 10 * slope_sd(sure, 300.0)
    sched = play_schedule(x, cons, [unsure, unsure, sure, unsure], 0.25)
    assert sched is not None and sched.shape == (7, 4)
    for row in sched:
        assert cons.violations(row) == [] and row.sum() == pytest.approx(1000.0, rel=1e-9)
    dev = np.abs(sched - x).max(axis=0)
    assert dev[0] > 0 and dev[1] > 0  # the uncertain campaigns are tested ...
    assert dev[2] < 0.05 * dev[1]  # ... the one whose slope is known barely moves
    assert dev[0] <= 0.25 * 400.0 + 1e-6  # never more than the amplitude
    assert np.allclose(sched[-1], x)
    capped = Constraints(1000.0, 4, 0.0, np.array([420.0, 600.0, 600.0, 600.0]))  # the trust region binds
    tight = play_schedule(x, capped, [unsure, unsure, sure, unsure], 0.25)
    assert tight is not None and tight[:, 0].max() <= 420.0 + 1e-9
    assert all(capped.violations(row) == [] and row.sum() == pytest.approx(1000.0) for row in tight)
    # a campaign the plan already moves by more than its slope uncertainty is not dithered on top
    moved = play_schedule(x, cons, [unsure] * 4, 0.25, previous=np.array([400.0, 300.0, 100.0, 100.0]))
    assert moved is not None and np.abs(moved[:, 2] - 200.0).max() < np.abs(moved[:, 1] - 300.0).max()
    assert play_schedule(x, cons, [unsure] * 4, 0.0) is None


def _looped_context(weeks: int) -> tuple[AllocationContext, Constraints]:
    w, h, c = make_partial_world(6, 2, "dev", 60)
    extra = []
    for k in range(1, weeks + 1):  # the history's last 7 days re-dated, as the loop would append them
        e = h[pd.to_datetime(h["date"]) >= pd.Timestamp(w.start + dt.timedelta(days=53))].copy()
        e["date"] = (pd.to_datetime(e["date"]) + pd.Timedelta(days=7 * k)).dt.date
        extra.append(e)
    data = pd.concat([h, *extra], ignore_index=True)
    ctx = build_context(data, c, w.ids, fit=True, fit_kwargs=SAFE_FIT, pool=True,
                        anchor_before=w.start + dt.timedelta(days=60))
    return ctx, c


def test_safe_plan_in_a_loop_carries_a_fading_schedule_with_its_cost():
    ctx, c = _looped_context(2)
    assert ctx.followed_days == 14
    default = get_strategy("safe")  # off by default (session 7 measured no gain across families): no schedule
    default.allocate(ctx)
    assert "schedule" not in default.info
    safe = get_strategy("safe", dither=0.25, dither_after_days=7, dither_net_of_move=False)
    x = safe.allocate(ctx)
    sched = safe.info["schedule"]
    assert sched.shape == (7, 6) and not np.allclose(sched, x)
    for row in sched:
        assert c.violations(row) == [] and row.sum() == pytest.approx(c.budget, rel=1e-6)
    assert np.allclose(sched.mean(axis=0), x, rtol=0.05)
    assert safe.info["dither"] == pytest.approx(0.25 * 0.5 ** ((14 - 7) / 14.0))  # halves from the first test week
    assert safe.info["schedule_cost"] >= -1e-6  # swings around a concave optimum cost, never gain, on the mean curve
    # a first plan (no week followed) carries none: it must beat the history on its own
    first = get_strategy("safe", dither=0.25, dither_after_days=0)
    first.allocate(build_context(*_first(), fit=True, fit_kwargs=SAFE_FIT, pool=True))
    assert "schedule" not in first.info
    off = get_strategy("safe", dither=0.0)
    off.allocate(ctx)
    assert "schedule" not in off.info


def _first() -> tuple[pd.DataFrame, Constraints, list[str]]:
    w, h, c = make_partial_world(6, 2, "dev", 60)
    return h, c, w.ids


class _Swing(Strategy):
    """Equal split as the plan, played as +/-100 swings between the first two campaigns."""

    name = "swing"

    def propose(self, ctx: AllocationContext) -> np.ndarray:
        x = np.full(ctx.n, ctx.constraints.budget / ctx.n)
        swing = np.zeros(ctx.n)
        swing[0], swing[1] = 100.0, -100.0
        self.info = {"schedule": np.array([x + swing, x + swing, x - swing, x - swing, x, x, x])}
        return x


def test_closed_loop_plays_the_schedule_and_counts_the_mean_of_the_days_played():
    w, h, c = make_partial_world(4, 1, "dev", 40)
    day0 = int(pd.to_datetime(h["date"]).nunique())
    strategy = _Swing()
    regrets, bad = closed_loop(w, h, c, strategy, weeks=1, seed=1)
    x = np.full(4, c.budget / 4)
    days = week_plays(strategy, x, 7)
    _, best = w.oracle(c, day0, grid=600)
    assert bad == 0
    assert regrets[0] == pytest.approx((best - played_value(w, days, day0)) / best)
    assert played_value(w, days, day0) < w.value(x, day0)  # the swings cost something: counted, not hidden
    # a plan without a schedule is played as itself every day
    assert np.allclose(week_plays(get_strategy("equal"), x, 7), np.tile(x, (7, 1)))


def test_the_loop_imports_the_days_as_played():
    seen: list[AllocationContext] = []

    class Capture(_Swing):
        def propose(self, ctx: AllocationContext) -> np.ndarray:
            seen.append(ctx)
            return super().propose(ctx)

    w, h, c = make_partial_world(4, 1, "dev", 40)
    closed_loop(w, h, c, Capture(), weeks=2, seed=1)
    recent = seen[1].recent  # the second week's context: the last 14 days, the first week's plays at the end
    assert recent is not None
    x = c.budget / 4
    assert np.allclose(recent[0][0][-7:], [x + 100, x + 100, x - 100, x - 100, x, x, x])
    assert np.allclose(recent[1][0][-7:], [x - 100, x - 100, x + 100, x + 100, x, x, x])


def test_the_plan_states_the_schedule_and_its_cost():
    from matrix.budget.plan import make_plan

    ctx, c = _looped_context(2)
    plan = make_plan(get_strategy("safe", dither=0.25, dither_net_of_move=False), ctx)
    assert plan.schedule is not None and len(plan.schedule) == 7 and all(len(d) == 6 for d in plan.schedule)
    note = [n for n in plan.notes if n.startswith("play schedule")]
    assert note and "expected cost" in note[0] and "USD/day" in note[0]
    assert '"schedule"' in plan.to_json() and f"schedule {ctx.campaign_ids[0]}:" in plan.table()


def test_explore_plays_the_same_swings_around_its_own_plan():
    ctx, c = _looped_context(2)
    explore = get_strategy("explore", dither=0.25)
    x = explore.allocate(ctx)
    sched = explore.info["schedule"]
    assert sched.shape == (7, 6) and not np.allclose(sched, x)
    for row in sched:
        assert c.violations(row) == [] and row.sum() == pytest.approx(c.budget, rel=1e-6)
    assert np.allclose(sched[-1], x)  # the plan-itself day is the exploring plan, not the safe one

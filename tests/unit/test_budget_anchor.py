"""The history anchor (issue 19): the default plan must beat the historical allocation rescaled to the
budget under the posterior, draw by draw, or it stays close to it."""

from __future__ import annotations

import numpy as np
import pandas as pd

from matrix.budget.constraints import Constraints
from matrix.budget.evaluate import SAFE_FIT
from matrix.budget.plan import ANCHOR_REASON, make_plan
from matrix.budget.response import hill
from matrix.budget.safe import baseline_allocation
from matrix.budget.strategies import build_context, get_strategy

IDS = [f"c{i}" for i in range(6)]


def _history(truth, spread: float, days: int = 60, level: float = 100.0) -> pd.DataFrame:
    """Each campaign spends around `level` a day (log-normal `spread`); earnings = truth(i, spend) x noise."""
    rng = np.random.default_rng(4)
    rows = []
    for d in range(days):
        for i, cid in enumerate(IDS):
            sp = level * float(np.exp(rng.normal(0, spread)))
            rows.append({"campaign_id": cid, "date": pd.Timestamp("2024-01-01") + pd.Timedelta(days=d), "spend": sp,
                         "commission": float(truth(i, sp)) * float(np.exp(rng.normal(0, 0.1))),
                         "clicks": 10.0, "conversions": 1.0})
    return pd.DataFrame(rows)


def _value(truth, x: np.ndarray) -> float:
    return float(sum(truth(i, float(v)) for i, v in enumerate(x)))


def _ctx(hist: pd.DataFrame, budget: float):
    cons = Constraints(budget, len(IDS), 0.0, None)
    return build_context(hist, cons, IDS, fit=True, rng=np.random.default_rng(0), fit_kwargs=SAFE_FIT, pool=True)


def test_curves_confidently_wrong_beyond_the_data_keep_the_plan_at_the_anchor():
    # campaign 0 returns 3x up to the highest spend it ever saw and nothing beyond; the rest return 1.5x.
    # Its history spans only +-5 %, so the fit reads "3x forever" with a narrow posterior: a confident,
    # wrong extrapolation that the optimiser (guard off) happily buys.
    top = float(_history(lambda i, x: x, 0.05).query("campaign_id == 'c0'")["spend"].max())
    truth = lambda i, x: (3.0 * min(x, top)) if i == 0 else 1.5 * x  # noqa: E731
    hist = _history(truth, 0.05)
    ctx = _ctx(hist, 600.0)
    anchor = baseline_allocation(ctx)
    free = get_strategy("safe", guard=False, anchor=False, risk=0.0).allocate(ctx)
    assert free[0] > 1.1 * anchor[0] and _value(truth, free) < _value(truth, anchor)  # the bet loses
    strategy = get_strategy("safe", guard=False, risk=0.0)
    plan = make_plan(strategy, ctx)
    x = np.array([c.proposed for c in plan.campaigns])
    assert np.abs(x - anchor).sum() <= 0.5 * np.abs(free - anchor).sum()
    assert strategy.info["anchor"].t < 1 and strategy.info["anchor"].p_plan < 0.8
    assert _value(truth, x) >= _value(truth, anchor) * 0.995
    assert any(n.startswith(ANCHOR_REASON) for n in plan.notes)
    assert all(ANCHOR_REASON in c.reason for c in plan.campaigns)
    assert ctx.constraints.violations(x) == []


def test_strong_evidence_still_moves_on_a_cut_and_at_the_same_budget():
    # S-shaped campaigns, one far better than the rest, histories that varied their spend (+-30 %):
    # the data say where each curve bends, so the plan should move and the anchor must not stop it.
    a = [900.0, 500.0, 500.0, 500.0, 500.0, 500.0]
    truth = lambda i, x: hill(x, a[i], 90.0, 3.0)  # noqa: E731
    hist = _history(truth, 0.3)
    for budget in (270.0, 600.0):  # a cut to 0.45x the history and the same budget
        ctx = _ctx(hist, budget)
        anchor = baseline_allocation(ctx)
        strategy = get_strategy("safe")
        plan = make_plan(strategy, ctx)
        x = np.array([c.proposed for c in plan.campaigns])
        check = strategy.info["anchor"]
        assert check.t == 1.0 and check.p_beats >= 0.8
        assert np.abs(x - anchor).sum() > 0.2 * budget  # a real move, not a rounding of the anchor
        assert _value(truth, x) > 1.02 * _value(truth, anchor)
        assert not any(ANCHOR_REASON in n for n in plan.notes)


def test_explore_keeps_its_share_on_top_of_the_anchored_plan():
    hist = _history(lambda i, x: (3.0 if i == 0 else 1.5) * x, 0.05)
    ctx = _ctx(hist, 600.0)
    safe = get_strategy("safe")
    x_safe = safe.allocate(ctx)
    explore = get_strategy("explore", share=0.2)
    x = explore.allocate(ctx)
    assert "anchor" in explore.info and ctx.constraints.violations(x) == []
    # the exploring fifth moves the plan away from the anchored safe plan
    assert np.abs(x - x_safe).sum() > 1e-6

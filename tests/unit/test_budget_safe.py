"""Safe by default, explore on purpose, plots that warn (issue 19)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from matrix.budget.constraints import Constraints
from matrix.budget.evaluate import SAFE_FIT, closed_loop, history_allocation, one_shot
from matrix.budget.plan import make_plan
from matrix.budget.response import fit_hill, hill
from matrix.budget.safe import pool_posteriors, trust_limits
from matrix.budget.simulator import make_partial_world
from matrix.budget.strategies import build_context, get_strategy


def _ctx(world, hist, cons, seed=0):
    return build_context(hist, cons, world.ids, fit=True, rng=np.random.default_rng(seed), fit_kwargs=SAFE_FIT, pool=True)


@pytest.mark.parametrize("seed", [0, 1])
def test_safe_stays_in_trust_region_beats_history_and_says_when_it_extrapolates(seed):
    w, h, c = make_partial_world(8, seed, "dev", history_days=90)
    ctx = _ctx(w, h, c, seed)
    plan = make_plan(get_strategy("safe"), ctx)
    x = np.array([p.proposed for p in plan.campaigns])
    assert c.violations(x) == []
    hi, widened = trust_limits(ctx, 2.0)
    assert not widened and (x <= hi + 1e-6 * c.budget).all() and (hi <= 2 * ctx.observed_max + 1e-9).all()
    day = h["date"].nunique()
    assert w.value(x, day) >= w.value(history_allocation(h, w.ids, c), day)  # never worse than keeping history
    for i, p in enumerate(plan.campaigns):
        assert ("OUTSIDE observed range" in p.reason) == (x[i] > ctx.observed_max[i] * 1.001)
        assert p.lower <= p.expected <= p.upper
    # the optimum on the same fitted curves (no trust region) is far worse here: that is the point
    opt = get_strategy("optimum").allocate(ctx)
    assert w.value(x, day) > w.value(opt, day)


def test_one_shot_and_loop_report_all_figures():
    w, h, c = make_partial_world(6, 3, "heldout", history_days=70)
    r = one_shot(w, h, c, get_strategy("safe"), seed=3)
    assert 0 <= r.regret < r.history_regret + 1e-9 and r.at_least_history and r.violations == 0
    assert r.covered in (True, False) and 0 <= r.trust_regret <= r.regret + 1e-9
    w, h, c = make_partial_world(6, 3, "heldout", history_days=70)
    lr, bad = closed_loop(w, h, c, get_strategy("safe"), weeks=3, seed=3)
    assert lr.shape == (3,) and bad == 0 and (lr >= -1e-9).all()


def test_explore_spends_a_share_within_the_stated_step_and_reports_its_cost():
    w, h, c = make_partial_world(6, 4, "dev", history_days=70)
    ctx = _ctx(w, h, c)
    strat = get_strategy("explore", share=0.3, explore_step=0.5)
    plan = make_plan(strat, ctx)
    x = np.array([p.proposed for p in plan.campaigns])
    assert c.violations(x) == []
    assert (x <= 2.0 * 1.5 * ctx.observed_max + 1e-6 * c.budget).all()
    assert any("exploration: 30% of the budget" in n and "expected cost" in n for n in plan.notes)
    assert np.isfinite(strat.info["expected_cost"]) and abs(strat.info["expected_cost"]) < c.budget * 10


def test_far_above_historical_roas_carries_a_warning():
    rng = np.random.default_rng(0)
    days = pd.date_range("2024-01-01", periods=60).date
    rows = []
    for cid, k in (("a", 50.0), ("b", 40.0), ("c", 45.0)):
        for d in days:
            s = 10 * float(np.exp(rng.normal(0, 0.2)))
            rows.append({"campaign_id": cid, "date": d, "spend": s, "clicks": 1.0, "conversions": 1.0,
                         "commission": float(hill(s, 40 * k, k, 1.0)) * float(np.exp(rng.normal(0, 0.05)))})
    hist = pd.DataFrame(rows)
    # an optimum that bets on the extrapolated curves at 10x the spend ever seen: far above ROAS history
    cons = Constraints(300.0, 3, 0.0, None)
    ctx = build_context(hist, cons, fit=True, fit_kwargs={})
    plan = make_plan(get_strategy("optimum"), ctx)
    assert any(n.startswith("WARNING: expected ROAS") for n in plan.notes) or \
        plan.expected_total / 300 <= 1.5 * float(hist.commission.sum() / hist.spend.sum())
    assert "OUTSIDE observed range" in plan.campaigns[0].reason
    safe = make_plan(get_strategy("safe"), build_context(hist, cons, fit=True, fit_kwargs=SAFE_FIT, pool=True))
    assert any("trust region widened" in n for n in safe.notes)  # 300/day cannot fit within 2x of ~13/day


def test_level_shift_is_found_and_pooling_keeps_a_distribution():
    rng = np.random.default_rng(1)
    x = 100 * np.exp(rng.normal(0, 0.4, 120))
    level = np.where(np.arange(120) < 70, 1.0, 0.6)
    y = hill(x, 800.0, 120.0, 1.0) * level * np.exp(rng.normal(0, 0.08, 120))
    plain = fit_hill(x, y)
    shifted = fit_hill(x, y, changepoint=True)
    truth_now = float(hill(100.0, 800.0 * 0.6, 120.0, 1.0))
    assert abs(shifted.mean_curve()(np.array([100.0]))[0] - truth_now) < abs(plain.mean_curve()(np.array([100.0]))[0] - truth_now)
    pooled = pool_posteriors([plain, shifted, fit_hill(x, y * 1.1), None])
    assert pooled[3] is None and all(abs(p.weight.sum() - 1) < 1e-9 for p in pooled[:3])


def test_response_curve_plots_page_every_proposal_largest_first(tmp_path):
    from matrix.budget import plots

    w, h, c = make_partial_world(14, 5, "dev", history_days=40)
    ctx = _ctx(w, h, c)
    plan = make_plan(get_strategy("safe"), ctx, currency="EUR")
    files = plots.response_curve_pages(dict(zip(ctx.campaign_ids, ctx.posteriors, strict=True)), h, tmp_path / "rc.png", plan)
    assert [f.name for f in files] == ["rc.png", "rc_p2.png"]
    for f in files:
        assert f.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

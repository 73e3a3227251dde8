"""The weekly loop learns while the first plan stays safe (issue 19, session 4): the history anchor is the
marketer's own allocation before following plans, the risk discount relaxes as the loop's evidence grows,
the anchor's below-range collapse reaches the curve family's steepest fall on a first plan, and the plan's
expected earnings are a mean; plus the sealed3 generator settings (structure only: no figures)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from matrix.budget.constraints import Constraints
from matrix.budget.evaluate import SAFE_FIT, closed_loop
from matrix.budget.plan import make_plan, predictive_draws
from matrix.budget.response import fit_hill, hill
from matrix.budget.safe import (
    CurveSamples,
    _collapse_steepness,
    anchor_allocation,
    baseline_allocation,
    edge_steepness,
    loop_risk,
)
from matrix.budget.simulator import FAMILIES, make_partial_world
from matrix.budget.strategies import build_context, get_strategy

IDS = ["a", "b", "c", "d"]
START = dt.date(2024, 1, 1)


def _frame(days: range, spend_of) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    rows = []
    for d in days:
        for i, cid in enumerate(IDS):
            sp = float(spend_of(d, i)) * float(np.exp(rng.normal(0, 0.2)))
            rows.append({"campaign_id": cid, "date": START + dt.timedelta(days=d), "spend": sp,
                         "commission": float(hill(sp, 800.0, 150.0, 1.0)) * float(np.exp(rng.normal(0, 0.1))),
                         "clicks": 10.0, "conversions": 1.0})
    return pd.DataFrame(rows)


def test_anchor_is_the_allocation_before_the_loop_and_the_loop_counts_as_evidence():
    # 60 days at 100/campaign, then three weeks of plans that moved everything to campaign a
    pre = _frame(range(60), lambda d, i: 100.0)
    loop = _frame(range(60, 81), lambda d, i: 300.0 if i == 0 else 33.0)
    data = pd.concat([pre, loop], ignore_index=True)
    cons = Constraints(400.0, 4, 0.0, None)
    start = START + dt.timedelta(days=60)
    ctx = build_context(data, cons, IDS, fit=False, anchor_before=start)
    assert ctx.followed_days == 21
    assert np.allclose(ctx.anchor_allocation, 100.0, rtol=0.2)  # the 7 days before the first plan
    assert ctx.history_allocation[0] > 2 * ctx.history_allocation[1]  # last week = the loop's own play
    anchor = anchor_allocation(ctx)
    assert abs(anchor.sum() - 400.0) < 1e-6 and np.allclose(anchor, 100.0, rtol=0.2)
    assert not np.allclose(anchor, baseline_allocation(ctx), rtol=0.2)
    # without a date nothing changes: the anchor is the recent allocation, no loop evidence
    plain = build_context(data, cons, IDS, fit=False)
    assert plain.anchor_allocation is None and plain.followed_days == 0
    assert np.allclose(anchor_allocation(plain), baseline_allocation(plain))
    with pytest.raises(ValueError, match="anchor date"):
        build_context(data, cons, IDS, fit=False, anchor_before=START - dt.timedelta(days=30))


def test_risk_discount_halves_with_each_week_of_plans_played():
    ctx = build_context(_frame(range(60), lambda d, i: 100.0), Constraints(400.0, 4, 0.0, None), IDS, fit=False)
    assert loop_risk(ctx, 0.5, 7.0) == 0.5  # a first plan keeps the full discount
    ctx.followed_days = 14
    assert loop_risk(ctx, 0.5, 7.0) == pytest.approx(0.125)
    assert loop_risk(ctx, 0.5, 0.0) == 0.5  # half-life 0: never relax


def test_first_plan_collapse_below_the_data_reaches_the_steepest_fall_of_the_posterior():
    # an S-curve whose history sat above its threshold: gentle at the edge, steep below it
    rng = np.random.default_rng(2)
    x = 400 * np.exp(rng.normal(0, 0.15, 90))
    post = fit_hill(x, hill(x, 900.0, 150.0, 3.0) * np.exp(rng.normal(0, 0.05, 90)), k_prior_sd=1.5)
    cs = CurveSamples.draw(post, 300, np.random.default_rng(0))
    lo = float(x.min())
    gentle = edge_steepness(cs, lo)
    full, half = _collapse_steepness(cs, lo, 1.0), _collapse_steepness(cs, lo, 0.5)
    assert _collapse_steepness(cs, lo, 0.0) is None and _collapse_steepness(cs, float("nan"), 1.0) is None
    assert full == pytest.approx(max(gentle, float(np.quantile(cs.s, 0.9))))
    assert gentle <= half <= full and (full > gentle or np.quantile(cs.s, 0.9) <= gentle)


def test_safe_info_reports_the_relaxed_risk_and_the_loop_keeps_every_constraint():
    w, h, c = make_partial_world(6, 3, "dev", history_days=60)
    day0 = w.start + dt.timedelta(days=60)
    s = get_strategy("safe")
    # append two weeks played at the history's allocation, as the loop would
    extra = h[pd.to_datetime(h["date"]) >= pd.Timestamp(w.start + dt.timedelta(days=46))].copy()
    extra["date"] = (pd.to_datetime(extra["date"]) + pd.Timedelta(days=14)).dt.date
    data = pd.concat([h, extra], ignore_index=True)
    ctx = build_context(data, c, w.ids, fit=True, fit_kwargs=SAFE_FIT, pool=True, anchor_before=day0)
    assert ctx.followed_days == 14
    x = s.allocate(ctx)
    assert s.info["risk"] == pytest.approx(0.5 * 0.5 ** 2) and c.violations(x) == []
    regrets, bad = closed_loop(w, h, c, get_strategy("safe"), weeks=2, seed=0)
    assert bad == 0 and regrets.shape == (2,) and np.isfinite(regrets).all()


def test_plan_expected_earnings_are_a_mean_and_below_the_data_the_interval_never_collapses():
    rng = np.random.default_rng(5)
    x = 100 * np.exp(rng.normal(0, 0.05, 90))
    post = fit_hill(x, hill(x, 900.0, 150.0, 1.0) * np.exp(rng.normal(0, 0.1, 90)), k_prior_sd=1.5)
    bottom = float(x.min())
    d = predictive_draws(post, 0.5 * bottom, None, 400, np.random.default_rng(0), bottom=bottom)
    plain = predictive_draws(post, 0.5 * bottom, None, 400, np.random.default_rng(0))
    assert (d >= plain - 1e-9).all()  # below the data no draw falls further than its posterior curve
    w, h, c = make_partial_world(6, 1, "dev", history_days=60)
    ctx = build_context(h, c, w.ids, fit=True, fit_kwargs=SAFE_FIT, pool=True)
    plan = make_plan(get_strategy("safe"), ctx)
    assert plan.expected_total == pytest.approx(sum(r.expected for r in plan.campaigns))
    assert all(r.lower <= r.upper for r in plan.campaigns)


def test_sealed3_generator_differs_from_every_other_family_and_is_deterministic():
    f = FAMILIES["sealed3"]
    for other, g in FAMILIES.items():
        if other != "sealed3":
            assert f != g
    w, h, c = make_partial_world(8, 0, "sealed3", history_days=60)
    again, h2, _ = make_partial_world(8, 0, "sealed3", history_days=60)
    assert h.equals(h2)
    assert (h["spend"] == 0).any()  # paused campaign-days
    assert abs(float(np.mean(w.dow)) - 1.0) < 1e-9 and w.dow[5] > w.dow[1] * 1.3  # weekend-heavy week
    assert c.violations(np.full(8, c.budget / 8)) == []
    # stepped budgets: each campaign's weekly mean spend changes by far more than its daily jitter
    wk = h.assign(week=(pd.to_datetime(h["date"]) - pd.Timestamp(w.start)).dt.days // 7)
    means = wk[wk["spend"] > 0].groupby(["campaign_id", "week"])["spend"].mean().unstack()
    assert (np.log(means.max(axis=1) / means.min(axis=1)) > 0.3).mean() > 0.5


def test_cli_allocate_takes_the_anchor_date_and_names_a_bad_one(settings, tmp_path, capsys):
    from matrix.cli import main

    data = _frame(range(70), lambda d, i: 100.0 if d < 63 else (250.0 if i == 0 else 50.0))
    p = tmp_path / "h.csv"
    data[["campaign_id", "date", "spend", "commission"]].to_csv(p, index=False)
    assert main(["budget", "import", str(p)]) == 0
    capsys.readouterr()
    assert main(["budget", "allocate", "--budget", "400", "--anchor-before", str(START + dt.timedelta(days=63))]) == 0
    assert "total budget 400.00" in capsys.readouterr().out
    assert main(["budget", "allocate", "--budget", "400", "--anchor-before", "03/04/2024"]) == 1
    out = capsys.readouterr()
    text = out.out + out.err
    assert "--anchor-before '03/04/2024': expected a date as YYYY-MM-DD" in text and "Traceback" not in text


def test_paused_days_with_zero_spend_fit_plan_and_loop_without_error():
    # real exports hold days a campaign was switched off (spend 0; carry-over may still earn)
    w, h, c = make_partial_world(6, 2, "dev", history_days=60)
    paused = np.random.default_rng(0).random(len(h)) < 0.08
    h = h.copy()
    h.loc[paused, "spend"] = 0.0
    ctx = build_context(h, c, w.ids, fit=True, fit_kwargs=SAFE_FIT, pool=True)
    assert ctx.has_posteriors() and (ctx.observed_min > 0).all()
    plan = make_plan(get_strategy("safe"), ctx)
    x = np.array([r.proposed for r in plan.campaigns])
    assert c.violations(x) == [] and plan.lower_total <= plan.expected_total <= plan.upper_total
    regrets, bad = closed_loop(w, h, c, get_strategy("explore"), weeks=2, seed=1)
    assert bad == 0 and np.isfinite(regrets).all()


# --- session 4, second pass: edge-holding interval draws, independent total, upper-quantile exploration ----------


def _narrow_posterior(seed: int = 5):
    rng = np.random.default_rng(seed)
    x = 100 * np.exp(rng.normal(0, 0.05, 90))
    return x, fit_hill(x, hill(x, 900.0, 150.0, 1.0) * np.exp(rng.normal(0, 0.1, 90)), k_prior_sd=1.5)


def test_beyond_the_data_held_draws_keep_their_own_curves_value_at_the_edge(monkeypatch):
    from matrix.budget import plan as plan_mod

    x, post = _narrow_posterior()
    top, bottom = float(x.max()), float(x.min())
    monkeypatch.setattr(plan_mod, "EDGE_HOLD_SHARE", 1.0)
    # paired: every held draw is what *its* curve earns at the edge (same rng = same curves)
    at_top = predictive_draws(post, top, top, 300, np.random.default_rng(0), bottom=bottom)
    assert np.allclose(predictive_draws(post, 3 * top, top, 300, np.random.default_rng(0), bottom=bottom), at_top)
    at_bottom = predictive_draws(post, bottom, top, 300, np.random.default_rng(0), bottom=bottom)
    assert np.allclose(predictive_draws(post, 0.4 * bottom, top, 300, np.random.default_rng(0), bottom=bottom), at_bottom)
    monkeypatch.setattr(plan_mod, "EDGE_HOLD_SHARE", 0.5)
    plain = predictive_draws(post, 0.4 * bottom, None, 300, np.random.default_rng(0))
    mixed = predictive_draws(post, 0.4 * bottom, top, 300, np.random.default_rng(0), bottom=bottom)
    held = np.isclose(mixed, at_bottom)
    assert 0.35 < held.mean() < 0.65  # about half hold, the rest follow their posterior curve down
    assert np.allclose(mixed[~held], plain[~held]) and mixed.mean() > plain.mean()


def _sum_of_draws(plan, ctx):
    from matrix.budget.plan import level_uncertainty

    x = np.array([r.proposed for r in plan.campaigns])
    sd = level_uncertainty(ctx)
    return np.sum([predictive_draws(p, float(x[i]), float(ctx.observed_max[i]), 200, np.random.default_rng(i), sd,
                                   float(ctx.observed_min[i])) for i, p in enumerate(ctx.posteriors)], axis=0)


def test_plan_total_interval_is_independent_inside_the_data_and_correlated_when_extrapolated(monkeypatch):
    from matrix.budget import plan as plan_mod

    w, h, c = make_partial_world(6, 2, "dev", history_days=60)
    ctx = build_context(h, c, w.ids, fit=True, fit_kwargs=SAFE_FIT, pool=True)
    safe, equal = make_plan(get_strategy("safe"), ctx), make_plan(get_strategy("equal"), ctx)
    share_safe = plan_mod._extrapolated_share(safe.campaigns, ctx)
    share_equal = plan_mod._extrapolated_share(equal.campaigns, ctx)
    assert 0 <= share_safe <= 1 and 0 < share_equal <= 1  # an equal split leaves the data on some campaigns
    for plan, share in ((safe, share_safe), (equal, share_equal)):
        lo, hi = np.quantile(_sum_of_draws(plan, ctx), [0.1, 0.9])
        width = plan.upper_total - plan.lower_total
        if share < 1e-9:
            assert plan.lower_total == pytest.approx(min(lo, plan.expected_total))
        assert width >= (max(hi, plan.expected_total) - min(lo, plan.expected_total)) * (1 - 1e-9)
    # with no weight on correlation the total is exactly the independent sum of the campaigns' draws
    monkeypatch.setattr(plan_mod, "CORRELATION_POWER", 1e9)
    ind = make_plan(get_strategy("equal"), ctx)
    lo, hi = np.quantile(_sum_of_draws(ind, ctx), [0.1, 0.9])
    assert ind.lower_total == pytest.approx(min(lo, ind.expected_total))
    assert ind.upper_total == pytest.approx(max(hi, ind.expected_total))
    assert equal.upper_total - equal.lower_total > ind.upper_total - ind.lower_total


def test_explore_spends_its_learning_share_where_the_posterior_is_widest_and_is_reproducible():
    w, h, c = make_partial_world(6, 4, "dev", history_days=70)
    ctx = build_context(h, c, w.ids, fit=True, fit_kwargs=SAFE_FIT, pool=True)
    ucb = get_strategy("explore", share=0.3)
    assert ucb.params["rule"] == "ucb"
    plan = make_plan(ucb, ctx)
    x = np.array([r.proposed for r in plan.campaigns])
    assert c.violations(x) == [] and (x <= 2.0 * 1.5 * ctx.observed_max + 1e-6 * c.budget).all()
    assert any("80% quantile of the posterior curves" in n and "expected cost" in n for n in plan.notes)
    # no random draw: the same data give the same plan, whatever the context's generator
    ctx2 = build_context(h, c, w.ids, fit=True, fit_kwargs=SAFE_FIT, pool=True, rng=np.random.default_rng(99))
    assert np.allclose(get_strategy("explore", share=0.3).allocate(ctx2), x)
    # the optimistic share moves budget towards the campaigns whose upper posterior gains most per dollar
    safe_x = get_strategy("safe").allocate(ctx)
    curves = ucb._learning_curves(ctx, ctx.fitted())
    gain = np.array([float(cv(np.array([1.1 * v]))[0] - cv(np.array([v]))[0]) / (0.1 * v)
                     for cv, v in zip(curves, safe_x, strict=True)])
    moved = x - safe_x
    assert np.abs(moved).sum() > 0.02 * c.budget and gain[np.argmax(moved)] >= np.median(gain)
    thompson = get_strategy("explore", share=0.3, rule="thompson")
    assert c.violations(thompson.allocate(ctx)) == []
    with pytest.raises(ValueError, match="unknown rule"):
        get_strategy("explore", rule="greedy").allocate(ctx)

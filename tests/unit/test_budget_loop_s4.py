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
from matrix.budget.plan import level_uncertainty, make_plan, predictive_draws
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


def test_plan_total_interval_adds_campaign_errors_as_independent_inside_and_outside_the_data():
    # session 5: the comonotone blend for extrapolated plans (session 4) double-counted a shared error the worlds did
    # not show; the total is now `plan.total_interval` of the campaigns' independent draws (tests in
    # test_budget_intervals_s5.py), for a plan inside the data and an equal split far from it alike
    from matrix.budget.plan import extrapolation_distances, plan_total_interval

    w, h, c = make_partial_world(6, 2, "dev", history_days=60)
    ctx = build_context(h, c, w.ids, fit=True, fit_kwargs=SAFE_FIT, pool=True)
    safe, equal = make_plan(get_strategy("safe"), ctx), make_plan(get_strategy("equal"), ctx)
    for plan in (safe, equal):
        x = np.array([r.proposed for r in plan.campaigns])
        sd = level_uncertainty(ctx)
        draws = [predictive_draws(p, float(x[i]), float(ctx.observed_max[i]), 200, np.random.default_rng(i), sd,
                                  float(ctx.observed_min[i])) for i, p in enumerate(ctx.posteriors)]
        above, below = extrapolation_distances(x, ctx.observed_max, ctx.observed_min)  # session 6: plus a shared error
        lo, hi = plan_total_interval(draws, above, below, plan.interval)
        assert plan.lower_total == pytest.approx(min(lo, plan.expected_total))
        assert plan.upper_total == pytest.approx(max(hi, plan.expected_total))
        comonotone = sum(r.upper for r in plan.campaigns) - sum(r.lower for r in plan.campaigns)
        assert 0 < plan.upper_total - plan.lower_total < comonotone


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
    assert np.abs(moved).sum() > 0.02 * c.budget
    # the campaigns that receive the learning share gain more per upper-posterior dollar than those that give it
    # (weighted by the amount moved; since the safe plan shrinks toward the equal split, the single largest
    # receiver need not be above the median)
    up, down = np.clip(moved, 0, None), np.clip(-moved, 0, None)
    assert (up * gain).sum() / up.sum() > (down * gain).sum() / down.sum()
    thompson = get_strategy("explore", share=0.3, rule="thompson")
    assert c.violations(thompson.allocate(ctx)) == []
    with pytest.raises(ValueError, match="unknown rule"):
        get_strategy("explore", rule="greedy").allocate(ctx)


# --- session 4, after the sealed3 result: a prior that favours spreading --------------------------------------


def test_sealed4_generator_has_late_launches_and_a_weekday_heavy_week():
    # structure only: the benchmark is never run on sealed4 by the developer
    f = FAMILIES["sealed4"]
    assert all(f != g for other, g in FAMILIES.items() if other != "sealed4")
    w, h, c = make_partial_world(20, 0, "sealed4", history_days=90)
    again, h2, _ = make_partial_world(20, 0, "sealed4", history_days=90)
    assert h.equals(h2)
    assert w.dow[0] > w.dow[5] * 1.2  # weekday-heavy
    first = h[h["spend"] > 0].groupby("campaign_id")["date"].min()
    late = (pd.to_datetime(first) - pd.Timestamp(w.start)).dt.days >= 90 - 31
    assert late.any() and not late.all()  # some campaigns launched in the last month only
    assert c.violations(np.full(20, c.budget / 20)) == []


def test_k_prior_floor_moves_the_saturation_prior_only_for_campaigns_run_below_it():
    rng = np.random.default_rng(3)
    x = 20.0 * np.exp(rng.normal(0, 0.1, 90))  # a campaign only ever run at ~20/day, far below the curve's k
    y = hill(x, 2000.0, 400.0, 1.0) * np.exp(rng.normal(0, 0.3, 90))
    plain = fit_hill(x, y, k_prior_sd=1.5)
    floored = fit_hill(x, y, k_prior_sd=1.5, k_prior_floor=400.0)
    k_mean = lambda p: float(np.exp((p.weight * np.log(p.k)).sum()))  # noqa: E731
    assert k_mean(floored) > 1.5 * k_mean(plain)
    # a floor below the highest observed spend changes nothing
    low = fit_hill(x, y, k_prior_sd=1.5, k_prior_floor=1.0)
    assert np.allclose(low.weight, plain.weight)
    # build_context turns k_prior_equal_share into the floor from the plan's own budget
    ids = ["a", "b", "c"]
    frame = pd.DataFrame([{"campaign_id": cid, "date": START + dt.timedelta(days=d), "spend": float(x[d]),
                           "commission": float(y[d]), "clicks": 10.0, "conversions": 1.0}
                          for d in range(90) for cid in ids])
    ctx = build_context(frame, Constraints(3 * 400.0, 3, 0.0, None), ids, fit=True,
                        fit_kwargs={"k_prior_sd": 1.5, "k_prior_equal_share": 1.0})
    assert k_mean(ctx.posteriors[0]) == pytest.approx(k_mean(floored), rel=1e-6)


def test_spread_weights_grow_as_the_posterior_says_less_and_shrink_keeps_the_budget():
    from matrix.budget.safe import shrink_to_equal, spread_weights

    tight = CurveSamples(np.full(200, 1000.0), np.full(200, 100.0), np.full(200, 1.0))
    rng = np.random.default_rng(0)
    wide = CurveSamples(1000.0 * np.exp(rng.normal(0, 0.8, 200)), 100.0 * np.exp(rng.normal(0, 0.8, 200)),
                        np.full(200, 1.0))
    w = spread_weights([tight, wide], np.array([200.0, 200.0]), prior_cv=0.7)
    assert w[0] < 1e-9 and 0.2 < w[1] < 1.0
    assert np.all(spread_weights([tight, wide], np.array([200.0, np.inf]), 0.7)[1:] == 0)  # no limit: no weight
    assert np.all(spread_weights([wide], np.array([200.0]), 0.0) == 0)  # prior_cv 0: off
    cons = Constraints(400.0, 4, 0.0, 250.0)
    x = np.array([250.0, 130.0, 15.0, 5.0])
    y = shrink_to_equal(x, np.full(4, 0.5), cons)
    assert abs(y.sum() - 400.0) < 1e-6 and cons.violations(y) == []
    assert np.all(np.abs(y - 100.0) < np.abs(x - 100.0))  # every campaign closer to its equal share
    assert np.allclose(shrink_to_equal(x, np.zeros(4), cons), x)


def test_safe_plan_shrinks_toward_equal_only_as_far_as_the_anchor_allows_says_so_and_relaxes_in_the_loop():
    w, h, c = make_partial_world(8, 2, "sealed3", history_days=60)
    ctx = build_context(h, c, w.ids, fit=True, rng=np.random.default_rng(0), fit_kwargs=SAFE_FIT, pool=True)
    safe = get_strategy("safe")
    plan = make_plan(safe, ctx)
    kept, weight = safe.info["spread_kept"], safe.info["spread_weight"]
    assert 0 < kept <= 1 and 0 < weight < kept  # applied weight = the plan's weight x the share the guard kept
    assert any(f"shrunk {weight:.0%} toward the equal split" in n for n in plan.notes)
    x = np.array([r.proposed for r in plan.campaigns])
    x_off = get_strategy("safe", spread_prior_cv=0.0).allocate(ctx)
    eq = c.budget / 8
    assert np.abs(x - eq).sum() < np.abs(x_off - eq).sum()  # closer to the equal split than without the prior
    assert c.violations(x) == []
    for i, r in enumerate(plan.campaigns):  # above the trust limit only toward the equal share, and said
        if x[i] > safe.info["trust_hi"][i] * 1.001:
            assert x[i] <= max(eq, safe.info["trust_hi"][i]) * 1.001 and "equal share" in r.reason
    # in a weekly loop the weeks played since the anchor date relax the shrink like the risk
    ctx.followed_days = 14
    later = get_strategy("safe")
    later.allocate(ctx)
    assert later.info["spread_weight"] <= 0.25 * weight / kept + 1e-9
    # where the shrunk plan would not beat the history anchor on the posterior draws, nothing is shrunk or said (the
    # full 80 % confidence: session 6 asks less where the anchor itself lies beyond the data, as it does here)
    w, h, c = make_partial_world(8, 1, "sealed3", history_days=60)
    ctx = build_context(h, c, w.ids, fit=True, rng=np.random.default_rng(0), fit_kwargs=SAFE_FIT, pool=True)
    held = get_strategy("safe", known_scaled=False)
    plan = make_plan(held, ctx)
    assert held.info["spread_kept"] == 0 and not any("toward the equal split" in n for n in plan.notes)
    assert np.allclose([r.proposed for r in plan.campaigns],
                       get_strategy("safe", spread_prior_cv=0.0, known_scaled=False).allocate(ctx))

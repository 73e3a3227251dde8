"""Budgeting: response curves, simulator, optimizer, forecasting, plans, plots, CLI, tuning objectives."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from matrix.budget.constraints import Constraints
from matrix.budget.evaluate import default_constraints, offline_regret, online_regret
from matrix.budget.forecast import backtest, forecast, smape, wape
from matrix.budget.optimize import maximize, total_value
from matrix.budget.plan import make_plan
from matrix.budget.response import HillCurve, adstock, fit_hill
from matrix.budget.simulator import make_world
from matrix.budget.strategies import build_context, get_strategy


def test_adstock_is_normalised_and_carries_over():
    a = adstock(np.array([100.0, 100, 0, 0]), 0.5)
    assert a[0] == 100 and a[1] == 100 and a[2] == 50 and a[3] == 25


def test_fit_recovers_a_known_curve_with_uncertainty():
    rng = np.random.default_rng(0)
    true = HillCurve(2000.0, 300.0, 2.0, 0.2)
    x = 300 * np.exp(rng.uniform(np.log(0.2), np.log(4), 200))
    y = true(adstock(x, 0.2)) * rng.lognormal(0, 0.1, 200)
    post = fit_hill(x, y)
    grid = np.array([150.0, 300, 600])
    assert np.allclose(post.mean_curve()(grid), true(grid), rtol=0.12)
    d = post.predictive(grid, n=300)
    assert d.shape == (300, 3) and (d.std(0) > 0).all()
    assert post.map_curve().s > 1.2  # S-shape recognised
    narrow = fit_hill(x[:20], y[:20])
    assert narrow.predictive(np.array([1200.0]), 300).std() > d[:, 2].std()  # less data, wider
    with pytest.raises(ValueError, match="at least 3"):
        fit_hill(np.array([1.0]), np.array([1.0]))


def test_optimizer_matches_brute_force_on_s_curves():
    curves = [HillCurve(1000, 200, 3.0), HillCurve(800, 100, 0.8), HillCurve(1500, 400, 2.5)]
    c = Constraints(600.0, 3, 0, 500)
    x = maximize(curves, c)
    assert c.violations(x) == []
    best = max(total_value(curves, np.array([a, b, 600 - a - b]))
               for a in np.arange(0, 501, 5.0) for b in np.arange(0, 501, 5.0) if 0 <= 600 - a - b <= 500)
    assert total_value(curves, x) >= best - 1e-6 * best


def test_simulator_noise_and_oracle():
    w = make_world(4, seed=1, drift_sd=0.02, changepoint_prob=1.0, noise="poisson")
    assert w.campaigns[0].drift.max() != w.campaigns[0].drift.min()
    h = w.history(20, np.random.default_rng(0))
    assert len(h) == 80 and (h["spend"] > 0).all() and (h["clicks"] >= h["conversions"]).all()
    c = default_constraints(w)
    x, v = w.oracle(c, 0)
    assert c.violations(x) == [] and v >= w.value(np.full(4, w.budget / 4))
    s = [make_world(3, seed=9, shape=k).campaigns[0].curve.s for k in ("concave", "s")]
    assert s[0] < 1.2 < s[1]


def test_offline_and_online_regret_are_small_for_model_based_strategies():
    w = make_world(5, seed=2)
    assert offline_regret(w, get_strategy("optimum"), history_days=120, seed=2) < 0.03
    assert offline_regret(w, get_strategy("equal"), history_days=30, seed=2) > 0.03
    res = online_regret(make_world(4, seed=5), get_strategy("thompson"), days=20, seed=5)
    assert res.allocations.shape == (20, 4) and res.final_week_regret < res.daily_regret[:3].mean()


def test_forecast_beats_naive_and_labels_conditional():
    w = make_world(2, seed=4)
    h = w.history(100, np.random.default_rng(4), hold_days=3)
    b = backtest(h, min_train=56, step=14)
    pooled = b[b.horizon == 0].set_index("method")["wape"]
    assert pooled["model"] < 0.8 * pooled.drop("model").min()
    assert set(b.horizon) == set(range(8))
    fc = forecast(h, horizon=5, planned={"c000": 400.0})
    tot = fc[fc.campaign_id == "__total__"]
    assert len(tot) == 5 and not tot["conditional"].any()
    c0 = fc[fc.campaign_id == "c000"]
    assert c0["conditional"].all() and (c0["lower"] <= c0["forecast"]).all() and (c0["forecast"] <= c0["upper"]).all()
    more = forecast(h, horizon=1, planned={"c000": 900.0})
    assert more[more.campaign_id == "c000"]["forecast"].iloc[0] > c0["forecast"].iloc[0]  # spend-aware
    assert wape(np.array([1.0, 1]), np.array([1.0, 3])) == 1.0 and smape(np.zeros(2), np.zeros(2)) == 0.0
    with pytest.raises(ValueError, match="too short"):
        backtest(h.head(20))


def test_plan_has_reasons_uncertainty_and_plots(tmp_path):
    from matrix.budget import plots

    w = make_world(4, seed=6)
    h = w.history(60, np.random.default_rng(6))
    last = h.groupby("campaign_id")["spend"].last().to_numpy()
    c = Constraints(float(last.sum()), 4, 0, None, previous=last, max_change_fraction=0.3)
    ctx = build_context(h, c)
    plan = make_plan(get_strategy("optimum"), ctx)
    assert len(plan.campaigns) == 4 and plan.lower_total <= plan.expected_total <= plan.upper_total
    for cp in plan.campaigns:
        assert cp.reason and "ROAS" in cp.reason and cp.lower <= cp.upper
    assert json.loads(plan.to_json())["strategy"] == "optimum" and "total budget" in plan.table()
    files = [plots.response_curves(dict(zip(ctx.campaign_ids, ctx.posteriors)), h, tmp_path / "r.png", plan),
             plots.allocation_before_after(plan, tmp_path / "a.png"),
             plots.forecast_vs_actuals(h, forecast(h), tmp_path / "f.png"),
             plots.regret_curves({"x": [0.1, 0.05]}, tmp_path / "g.png")]
    for f in files:
        assert f.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    empty = make_plan(get_strategy("equal"), build_context(h, c, fit=False))
    assert empty.expected_total is None and empty.notes


def test_tuning_objectives_are_deterministic():
    from matrix.budget import tuning

    a = tuning.strategy_objective("epsilon_greedy", {"epsilon": 0.1, "fit_half_life_days": 30}, worlds=1, campaigns=3, days=8)
    b = tuning.strategy_objective("epsilon_greedy", {"epsilon": 0.1, "fit_half_life_days": 30}, worlds=1, campaigns=3, days=8)
    assert a == b and 0 <= a["regret"] < 1
    world, cons, cur = tuning.allocation_world(4, 0)
    r = tuning.allocation_objective(cons.to_simplex(cur), world, cons, eval_days=2)
    assert r["violations"] == 0 and r["observed"] > 0
    assert 0 < tuning.forecaster_objective({"theta": 0.2}, worlds=1, campaigns=1, days=80)["wape"] < 1


def test_cli_end_to_end(settings, tmp_path, capsys):
    from matrix.cli import main

    csv = tmp_path / "h.csv"
    assert main(["budget", "simulate", "--campaigns", "3", "--days", "40", "--end", "2024-06-01", "--out", str(csv)]) == 0
    assert main(["budget", "import", str(csv)]) == 0
    assert main(["budget", "import", str(csv)]) == 0
    assert "inserted=0 unchanged=120" in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    bad.write_text("campaign_id,date,spend,commission\nc000,2024-01-01,-3,4\n")
    assert main(["budget", "import", str(bad)]) == 1
    assert "must be >= 0" in capsys.readouterr().out
    assert main(["budget", "report", "--by", "campaign", "--json", "--plots", str(tmp_path / "p")]) == 0
    rep = json.loads(capsys.readouterr().out.split("\n/")[0])
    assert {r["group"] for r in rep} == {"c000", "c001", "c002"} and all(r["marginal_roi"] is not None for r in rep)
    plan = tmp_path / "plan.json"
    assert main(["budget", "allocate", "--budget", "900", "--max-change-fraction", "0.5", "--out", str(plan), "--plots", str(tmp_path / "p")]) == 0
    p = json.loads(plan.read_text())
    assert abs(sum(c["proposed"] for c in p["campaigns"]) - 900) <= 900e-6
    assert main(["budget", "allocate", "--budget", "900", "--strategy", "pareto", "--param", "top_share=0.7", "--json"]) == 0
    assert main(["budget", "allocate", "--budget", "1", "--min-spend", "5"]) == 1
    capsys.readouterr()
    assert main(["budget", "forecast", "--plan", str(plan), "--campaign", "__total__", "--plots", str(tmp_path / "p")]) == 0
    assert "conditional on the plan" in capsys.readouterr().out
    assert (tmp_path / "p" / "forecast.png").exists() and (tmp_path / "p" / "allocation_before_after.png").exists()


def test_cli_without_data_fails_clearly(settings, capsys):
    from matrix.cli import main

    assert main(["budget", "report"]) == 2
    assert "matrix budget import" in capsys.readouterr().err

"""Budgeting: validation, import, storage, metrics, constraints (property tests), strategies."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings as hsettings, strategies as st

from matrix.budget import importers
from matrix.budget.constraints import ConstraintError, Constraints
from matrix.budget.metrics import summarize, to_base_currency
from matrix.budget.model import DailyPerformance, PerformanceError
from matrix.budget.store import PerformanceStore
from matrix.budget.strategies import Strategy, available_strategies, build_context, get_strategy, register_strategy
from matrix.budget.simulator import make_world
from matrix.models import PerformanceRow

D = dt.date(2024, 3, 1)


def row(cid="a", date=D, **kw):
    base = {"campaign_id": cid, "date": date, "currency": "USD", "spend": 10.0, "clicks": 5, "conversions": 1.0,
            "commission": 20.0}
    base.update(kw)
    return DailyPerformance(**base)


# --- validation -----------------------------------------------------------------------------
@pytest.mark.parametrize("kw,needle", [
    ({"spend": -1.0}, "must be >= 0"),
    ({"currency": "UDS"}, "unknown currency"),
    ({"date": dt.date.today() + dt.timedelta(days=2)}, "in the future"),
    ({"impressions": 3, "clicks": 5}, "exceed impressions"),
])
def test_invalid_rows_are_rejected_with_reason(kw, needle):
    with pytest.raises(ValueError, match=needle):
        row(**kw)


def test_csv_import_reports_every_bad_row_and_imports_nothing(tmp_path):
    p = tmp_path / "x.csv"
    p.write_text("Campaign,Day,Cost,Earnings,Currency\nA,2024-01-01,10,20,USD\nB,2024-01-01,-5,3,USD\nC,2024-01-02,1,2,XXX\n")
    with pytest.raises(PerformanceError) as e:
        importers.read_csv(p)
    msg = str(e.value)
    assert "2 invalid rows" in msg and "row 2" in msg and "row 3" in msg and "XXX" in msg


def test_csv_mapping_aliases_and_money_formats(tmp_path):
    p = tmp_path / "x.csv"
    p.write_text("Ad set,Reporting starts,Amount spent (USD),Conv value,Link clicks\n"
                 "A,2024-01-01,\"$1,200.50\",3000,40\nA,2024-01-02,,10,n/a\n")
    rows = importers.read_csv(p, {"commission": "Conv value"}, default_currency="usd")
    assert [r.campaign_id for r in rows] == ["A", "A"]
    assert rows[0].spend == pytest.approx(1200.5) and rows[0].commission == 3000 and rows[0].clicks == 40
    assert rows[1].spend is None and rows[1].clicks is None  # unknown stays unknown
    assert rows[0].currency == "USD"
    with pytest.raises(PerformanceError, match="no such column"):
        importers.read_csv(p, {"spend": "Nope"})
    with pytest.raises(PerformanceError, match="not a performance field"):
        importers.read_csv(p, {"bogus": "Ad set"})


def test_missing_required_column(tmp_path):
    p = tmp_path / "x.csv"
    p.write_text("foo,bar\n1,2\n")
    with pytest.raises(PerformanceError, match="campaign_id"):
        importers.read_csv(p)


def test_duplicate_days_error_or_explicit_merge():
    rows = [row(spend=10.0), row(spend=5.0, clicks=None)]
    with pytest.raises(PerformanceError, match="duplicate"):
        importers.merge_duplicates(rows, "error")
    (s,) = importers.merge_duplicates(rows, "sum")
    assert s.spend == 15.0 and s.clicks == 5 and s.commission == 40.0
    (last,) = importers.merge_duplicates(rows, "last")
    assert last.spend == 5.0
    with pytest.raises(PerformanceError, match="currencies differ"):
        importers.merge_duplicates([row(), row(currency="EUR")], "sum")


def test_network_report_rows_have_unknown_spend_and_merge_subids():
    reps = [PerformanceRow(date=D, network="awin", program_source_id="42", clicks=10, conversions=1, commission=5.0,
                           currency="EUR", program_id="p1"),
            PerformanceRow(date=D, network="awin", program_source_id="42", clicks=4, conversions=0, commission=0.0,
                           currency="EUR", program_id="p1")]
    (r,) = importers.from_network_report(reps)
    assert r.campaign_id == "awin:42" and r.spend is None and r.clicks == 14 and r.program_id == "p1"
    m = summarize(pd.DataFrame([r.model_dump()]), "program", fx_rates={"EUR": 1.1})
    assert m.loc[0, "group"] == "p1" and m.loc[0, "roas"] is None and m.loc[0, "epc"] == pytest.approx(5 * 1.1 / 14)


# --- store ----------------------------------------------------------------------------------
def test_store_is_idempotent_and_conflicts_are_explicit(tmp_path):
    s = PerformanceStore(tmp_path / "budget")
    rows = [row(date=D + dt.timedelta(days=i)) for i in range(3)]
    assert s.upsert(rows).inserted == 3
    rep = s.upsert(rows)
    assert (rep.inserted, rep.unchanged) == (0, 3)
    changed = [row(spend=99.0)]
    with pytest.raises(PerformanceError, match="differ from what is stored"):
        s.upsert(changed)
    assert s.performance()["spend"].tolist() == [10.0, 10.0, 10.0]  # nothing half-written
    assert s.upsert(changed, "keep").kept == 1
    assert s.performance()["spend"].iloc[0] == 10.0
    assert s.upsert(changed, "replace").replaced == 1
    df = s.performance()
    assert len(df) == 3 and df["spend"].iloc[0] == 99.0
    with pytest.raises(PerformanceError, match="inside one import"):
        s.upsert([row(), row()])


def test_campaign_table(tmp_path):
    from matrix.budget.model import Campaign

    s = PerformanceStore(tmp_path)
    assert s.campaigns().empty
    s.upsert_campaigns([Campaign(campaign_id="a", program_id="p1"), Campaign(campaign_id="b")])
    s.upsert_campaigns([Campaign(campaign_id="a", program_id="p2")])
    c = s.campaigns().set_index("campaign_id")
    assert c.loc["a", "program_id"] == "p2" and len(c) == 2


# --- metrics --------------------------------------------------------------------------------
def test_metrics_definitions_and_unknowns():
    df = pd.DataFrame([row(spend=10.0, clicks=5, conversions=1.0, commission=25.0).model_dump(),
                       row("b", spend=None, clicks=0, conversions=0.0, commission=0.0).model_dump()])
    m = summarize(df, "campaign", marginal={"a": 0.5}).set_index("group")
    assert m.loc["a", "roas"] == pytest.approx(2.5) and m.loc["a", "roi"] == pytest.approx(1.5)
    assert m.loc["a", "epc"] == pytest.approx(5) and m.loc["a", "cvr"] == pytest.approx(0.2)
    assert m.loc["a", "cpa"] == pytest.approx(10) and m.loc["a", "marginal_roi"] == pytest.approx(0.5)
    assert m.loc["b", "roas"] is None and m.loc["b", "epc"] is None and m.loc["b", "cpa"] is None
    assert summarize(df, "month").loc[0, "group"] == "2024-03"


def test_fx_conversion_requires_rates():
    df = pd.DataFrame([row(currency="EUR").model_dump()])
    with pytest.raises(PerformanceError, match="fx_rates"):
        to_base_currency(df, "USD", {})
    assert to_base_currency(df, "USD", {"EUR": 2.0})["spend"].iloc[0] == 20.0


# --- constraints: property tests ------------------------------------------------------------
@st.composite
def problems(draw):
    n = draw(st.integers(1, 30))
    budget = draw(st.floats(1.0, 1e7))
    lo = np.array(draw(st.lists(st.floats(0, 1.0), min_size=n, max_size=n))) * budget / n * draw(st.sampled_from([0, 0.5, 0.99]))
    hi = lo + np.array(draw(st.lists(st.floats(0, 5.0), min_size=n, max_size=n))) * budget / n
    if hi.sum() < budget:
        hi = hi + (budget - hi.sum()) / n * 1.001 + 1e-9
    prev = np.array(draw(st.lists(st.floats(0, 3.0), min_size=n, max_size=n))) * budget / n
    step = draw(st.one_of(st.none(), st.floats(0.0, 2.0).map(lambda f: f * budget / n)))
    y = np.array(draw(st.lists(st.one_of(st.floats(-1e9, 1e9), st.just(float("nan")), st.just(float("inf"))), min_size=n, max_size=n)))
    return budget, n, lo, hi, prev, step, y


@hsettings(max_examples=400, deadline=None)
@given(problems())
def test_projection_never_violates(p):
    budget, n, lo, hi, prev, step, y = p
    try:
        c = Constraints(budget, n, lo, hi, previous=prev, max_change=step)
    except ConstraintError:
        return  # infeasible combinations must raise, not produce a plan
    x = c.project(y)
    assert c.violations(x) == []
    assert abs(x.sum() - budget) <= 1e-6 * budget
    assert (x >= c.lo).all() and (x <= c.hi).all()
    assert c.violations(c.from_simplex(np.abs(np.nan_to_num(y)))) == []


def test_projection_is_identity_on_feasible_points():
    c = Constraints(100.0, 3, 0, 60)
    x = np.array([20.0, 30.0, 50.0])
    assert np.allclose(c.project(x), x)
    assert np.allclose(c.from_simplex(c.to_simplex(x)), x)


@pytest.mark.parametrize("kw,needle", [
    ({"budget": -1, "n": 2}, "positive"),
    ({"budget": 10, "n": 2, "min_spend": 6}, "minimum spends add up"),
    ({"budget": 10, "n": 2, "max_spend": 4}, "maximum spends add up"),
    ({"budget": 10, "n": 2, "min_spend": 5, "max_spend": [4, 9]}, "exceeds upper bound"),
    ({"budget": 10, "n": 2, "min_spend": [1, 2, 3]}, "expected 2"),
    ({"budget": 10, "n": 2, "previous": [5, 5], "max_change_fraction": -1}, ">= 0"),
])
def test_infeasible_constraints_raise_clearly(kw, needle):
    with pytest.raises(ConstraintError, match=needle):
        Constraints(**kw)


def test_violations_are_detected():
    c = Constraints(10.0, 2, 1.0, 8.0)
    v = c.violations(np.array([0.5, 9.5]))
    assert not any("total" in s for s in v) and len(v) == 2
    assert any("total" in s for s in c.violations(np.array([2.0, 7.0])))
    assert c.violations(np.array([1.0, 1.0])) and c.violations(np.array([1.0]))


# --- strategies -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def world_ctx():
    w = make_world(6, seed=3)
    hist = w.history(90, np.random.default_rng(3))
    return w, hist


@hsettings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.floats(0.2, 0.9), st.sampled_from(available_strategies()))
def test_every_strategy_respects_constraints_with_change_limits(world_ctx, seed, frac, name):
    w, hist = world_ctx
    last = hist.groupby("campaign_id")["spend"].last().to_numpy()
    budget = float(last.sum()) * (1 + (seed % 7 - 3) * 0.05 * frac)
    try:
        c = Constraints(budget, w.n, 10.0, budget * 0.5, previous=last, max_change_fraction=frac)
    except ConstraintError:
        return
    ctx = build_context(hist, c, w.ids, fit=name in ("optimum", "thompson", "epsilon_greedy"), rng=np.random.default_rng(seed))
    x = get_strategy(name).allocate(ctx)
    assert c.violations(x) == []


def test_strategies_rank_as_expected_on_a_known_world(world_ctx):
    w, hist = world_ctx
    c = Constraints(w.budget, w.n, 0, w.budget * 0.5)
    ctx = build_context(hist, c, w.ids)
    _, best = w.oracle(c, 90)
    reg = {n: (best - w.value(get_strategy(n).allocate(ctx), 90)) / best for n in ("equal", "optimum", "proportional")}
    assert reg["optimum"] < 0.02
    assert reg["optimum"] < reg["equal"] and reg["optimum"] < reg["proportional"]


def test_pareto_and_proportional_shapes():
    ids = ["a", "b", "c", "d", "e"]
    totals = pd.DataFrame({"spend": [10, 10, 10, 10, np.nan], "commission": [50, 40, 30, 10, 5],
                           "clicks": [1, 1, 1, 1, 1], "conversions": [1, 1, 1, 1, 1]}, index=ids)
    from matrix.budget.strategies import AllocationContext

    ctx = AllocationContext(ids, Constraints(100.0, 5), totals)
    x = get_strategy("pareto", top_fraction=0.2, top_share=0.8).allocate(ctx)
    assert x[0] == pytest.approx(80) and np.allclose(x[1:], 5)
    p = get_strategy("proportional").allocate(ctx)
    assert p[0] > p[1] > p[2] > p[3] and p[4] == pytest.approx(100 * 3.5 / 16.5)  # unknown ROAS gets the median (3.5), not 0
    with pytest.raises(ValueError, match="unknown parameters"):
        get_strategy("pareto", bogus=1)
    with pytest.raises(ValueError, match="available"):
        get_strategy("nope")
    with pytest.raises(ValueError, match="unknown metric"):
        ctx.metric("nope")


def test_custom_strategy_registration_cannot_break_constraints():
    @register_strategy("all_in_first_test")
    class AllIn(Strategy):
        def propose(self, ctx):
            x = np.zeros(ctx.n)
            x[0] = 10 * ctx.constraints.budget  # wildly infeasible on purpose
            return x

    assert "all_in_first_test" in available_strategies()
    ids = ["a", "b", "c"]
    from matrix.budget.strategies import AllocationContext

    c = Constraints(90.0, 3, 5.0, 60.0)
    x = get_strategy("all_in_first_test").allocate(AllocationContext(ids, c, pd.DataFrame(index=ids, columns=["spend", "commission", "clicks", "conversions"])))
    assert c.violations(x) == [] and x[0] == pytest.approx(60.0)

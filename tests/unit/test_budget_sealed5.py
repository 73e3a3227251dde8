"""The sealed5 family's structure (the benchmark is never run on it by a developer: it judges session 5's work)."""

import numpy as np

from matrix.budget.simulator import FAMILIES, make_partial_world


def test_sealed5_is_a_new_family_with_short_histories_and_expanded_budgets():
    f = FAMILIES["sealed5"]
    assert all(f != g for other, g in FAMILIES.items() if other != "sealed5")
    w, h, c = make_partial_world(18, 0, "sealed5", history_days=45)
    _, again, _ = make_partial_world(18, 0, "sealed5", history_days=45)
    assert h.equals(again)  # a family is reproducible from its seed
    assert h["date"].nunique() == 45 and h["campaign_id"].nunique() == 18
    historical_daily = h.groupby("date")["spend"].sum().median()
    assert historical_daily > 0 and np.isfinite(w.budget)
    assert c.violations(np.full(18, c.budget / 18)) == []

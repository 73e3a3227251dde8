"""The late sealed families' structure (the benchmark is never run on one by a developer: each judges one session's
work, sealed5 session 5's, sealed6 session 6's, sealed7 session 7's)."""

import numpy as np
import pytest

from matrix.budget.simulator import FAMILIES, make_partial_world


@pytest.mark.parametrize("family,n,days", [("sealed5", 18, 45), ("sealed6", 16, 70), ("sealed7", 8, 56)])
def test_a_sealed_family_is_new_reproducible_and_plannable(family, n, days):
    f = FAMILIES[family]
    assert all(f != g for other, g in FAMILIES.items() if other != family)
    w, h, c = make_partial_world(n, 0, family, history_days=days)
    _, again, _ = make_partial_world(n, 0, family, history_days=days)
    assert h.equals(again)  # a family is reproducible from its seed
    assert h["date"].nunique() == days and h["campaign_id"].nunique() == n
    historical_daily = h.groupby("date")["spend"].sum().median()
    assert historical_daily > 0 and np.isfinite(w.budget)
    assert c.violations(np.full(n, c.budget / n)) == []

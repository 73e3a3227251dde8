"""Session 9: the closed loop reports each week's best reachable regret inside its own trust region (`reach`), so a
benchmark can tell what the region still bars from what the posterior and the plan's hedges lose."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import numpy as np

from matrix.budget.evaluate import closed_loop, one_shot, trust_oracle_regret
from matrix.budget.simulator import make_partial_world
from matrix.budget.strategies import get_strategy


def _world():
    return make_partial_world(5, 3, "dev", 90)


def test_loop_reach_is_one_figure_per_week_and_starts_at_the_one_shot_region() -> None:
    w, h, c = _world()
    first = one_shot(w, h, c, get_strategy("safe"), seed=3)
    w, h, c = _world()
    reach: list[float] = []
    regrets, bad = closed_loop(w, h, c, get_strategy("safe"), weeks=2, seed=3, reach=reach)
    assert len(reach) == len(regrets) == 2 and bad == 0
    assert all(-1e-3 <= r <= 1.0 for r in reach)  # two grid optima: the region's may edge past the full one
    # week 1 plans on the history alone: its region is the one-shot plan's region
    assert math.isclose(reach[0], first.trust_regret, rel_tol=1e-9, abs_tol=1e-12)
    # the week played widens the observed ranges, so the region of week 2 reaches at least as far as week 1's
    assert reach[1] <= reach[0] + 1e-3


def test_loop_without_reach_is_unchanged() -> None:
    w, h, c = _world()
    plain, _ = closed_loop(w, h, c, get_strategy("safe"), weeks=2, seed=3)
    w, h, c = _world()
    with_reach, _ = closed_loop(w, h, c, get_strategy("safe"), weeks=2, seed=3, reach=[])
    np.testing.assert_allclose(plain, with_reach)  # recording the reach draws no random numbers


def test_trust_oracle_regret_is_zero_when_the_region_holds_the_oracle() -> None:
    w, h, c = _world()
    assert trust_oracle_regret(w, h, c, 90, multiple=1e6) <= 1e-3  # a region wide enough holds the oracle's plan


def test_bench_prints_the_loop_reach_only_when_asked(capsys) -> None:
    path = Path(__file__).resolve().parents[2] / "bench" / "budget_regret.py"
    spec = importlib.util.spec_from_file_location("budget_regret_s9", path)
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    on = bench.run_family("dev", 1, 5, 2, 90, ["safe"], (5,), reach=True)["_world"]
    assert np.isfinite(on["reach_week2"]) and -0.1 <= on["reach_week2"] <= 100.0
    off = bench.run_family("dev", 1, 5, 2, 90, ["safe"], (5,))["_world"]
    assert math.isnan(off["reach_week2"])
    bench.print_family("dev", bench.run_family("dev", 1, 5, 2, 90, ["safe"], (5,), reach=True), 0.0)
    assert "best reachable in the default loop's trust region" in capsys.readouterr().out

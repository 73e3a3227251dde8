"""Judge strategies against a simulated world's oracle: offline (fit on history, allocate once)
and online (allocate daily, see only noisy outcomes). Used by the benchmark, the tests and Tune."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from matrix.budget.constraints import Constraints
from matrix.budget.simulator import World
from matrix.budget.strategies import Strategy, build_context

ONLINE_FIT = {"thetas": (0.0, 0.2, 0.4), "shapes": (0.6, 0.85, 1.1, 1.5, 2.0, 2.6, 3.2), "k_points": 24}


def default_constraints(world: World, max_multiple: float = 3.0) -> Constraints:
    """No minimum; at most `max_multiple` x the equal share per campaign (the spend range the
    history explored: beyond it every curve is an extrapolation)."""
    cap = world.budget * min(1.0, max_multiple / world.n)
    return Constraints(world.budget, world.n, 0.0, cap)


def offline_regret(world: World, strategy: Strategy, history_days: int = 180, seed: int = 0,
                   cons: Constraints | None = None, fit_kwargs: dict[str, Any] | None = None,
                   history: pd.DataFrame | None = None) -> float:
    """Fit on `history_days` of exploring history, allocate once for the next day; regret vs oracle."""
    rng = np.random.default_rng(seed)
    hist = history if history is not None else world.history(history_days, rng)
    cons = cons or default_constraints(world)
    ctx = build_context(hist, cons, world.ids, fit=True, rng=rng, fit_kwargs=fit_kwargs)
    x = strategy.allocate(ctx)
    _, best = world.oracle(cons, history_days)
    return (best - world.value(x, history_days)) / best


@dataclass
class OnlineResult:
    cumulative_regret: float
    final_week_regret: float
    daily_regret: np.ndarray
    allocations: np.ndarray


def online_regret(world: World, strategy: Strategy, days: int = 90, seed: int = 0, cons: Constraints | None = None,
                  fit_kwargs: dict[str, Any] | None = None, refit_every: int = 1) -> OnlineResult:
    """Daily loop: allocate, observe noisy outcomes, refit. Regret uses the *expected* earnings of the
    spend actually made (adstock included) against the oracle's steady state for that day."""
    rng = np.random.default_rng(seed)
    cons = cons or default_constraints(world)
    world.reset()
    rows: list[dict[str, Any]] = []
    fit_kwargs = fit_kwargs if fit_kwargs is not None else ONLINE_FIT
    regrets, allocs = [], []
    ctx = None
    for d in range(days):
        if d == 0 or d % refit_every == 0 or ctx is None:
            hist = pd.DataFrame(rows) if rows else None
            if hist is None or len(hist) < 3 * world.n:
                x = strategy.allocate(build_context(_empty(world.ids), cons, world.ids, fit=False, rng=rng))
                # before data, explore around equal so curves become identifiable
                x = cons.project(x * np.exp(rng.uniform(-0.7, 0.7, world.n)))
            else:
                ctx = build_context(hist, cons, world.ids, fit=True, rng=rng, fit_kwargs=fit_kwargs)
                x = strategy.allocate(ctx)
        else:
            x = strategy.allocate(ctx)
        out = world.step(x, d, rng)
        _, best = world.oracle(cons, d, grid=400)
        got = float(out["expected"].sum()) / float(_dow(world, d))
        regrets.append((best - got) / best)
        allocs.append(x)
        date = world.start + dt.timedelta(days=d)
        for i, cid in enumerate(world.ids):
            rows.append({"campaign_id": cid, "date": date, "spend": float(x[i]), "clicks": float(out["clicks"][i]),
                         "conversions": float(out["conversions"][i]), "commission": float(out["commission"][i])})
    r = np.array(regrets)
    return OnlineResult(float(r.mean()), float(r[-7:].mean()), r, np.array(allocs))


def _dow(world: World, d: int) -> float:
    from matrix.budget.simulator import DOW
    return DOW[(world.start + dt.timedelta(days=d)).weekday()]


def _empty(ids: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"campaign_id": ids, "date": [dt.date(2000, 1, 1)] * len(ids), "spend": np.nan,
                         "clicks": np.nan, "conversions": np.nan, "commission": np.nan})

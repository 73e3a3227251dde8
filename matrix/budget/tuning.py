"""Objectives for hyper-parameter and allocation search (the Ray Tune job calls these).

Kept free of Ray so each objective is a plain function of (params, seed): the same call runs in a
test, a notebook or a Tune trial, and a trial's result is reproducible from its config alone.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from matrix.budget.constraints import Constraints
from matrix.budget.evaluate import ONLINE_FIT, default_constraints, online_regret
from matrix.budget.forecast import ForecastConfig, backtest
from matrix.budget.simulator import World, make_world
from matrix.budget.strategies import get_strategy

# name -> {param: (low, high, log?)}; `fit_*` params go to the curve fit, the rest to the strategy.
SEARCH_SPACES: dict[str, dict[str, tuple[float, float, bool]]] = {
    "epsilon_greedy": {"epsilon": (0.0, 0.4, False), "fit_half_life_days": (7.0, 180.0, True)},
    "thompson": {"fit_temperature": (0.5, 4.0, True), "fit_half_life_days": (7.0, 180.0, True)},
    "pareto": {"top_fraction": (0.05, 0.6, False), "top_share": (0.4, 0.95, False)},
    "proportional": {"power": (0.25, 4.0, True)},
    "optimum": {"fit_half_life_days": (7.0, 180.0, True)},
    "safe": {"risk": (0.0, 1.0, False), "guard_quantile": (0.05, 0.5, False), "fit_k_prior_sd": (0.5, 3.0, True)},
    "explore": {"share": (0.05, 0.4, False), "explore_step": (0.0, 1.0, False)},
    "forecaster": {"theta": (0.0, 0.7, False), "n_knots": (3, 9, False), "alpha": (0.01, 30.0, True),
                   "half_life_days": (7.0, 180.0, True)},
}


def split_params(params: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    strat = {k: v for k, v in params.items() if not k.startswith("fit_")}
    fit = {k[4:]: v for k, v in params.items() if k.startswith("fit_")}
    return strat, fit


def strategy_objective(strategy: str, params: dict[str, Any], *, worlds: int = 4, campaigns: int = 10,
                       days: int = 30, seed: int = 0) -> dict[str, float]:
    """Mean online regret of a strategy with these parameters over `worlds` seeded simulated worlds
    (with drift and change-points, so recency settings matter)."""
    strat_params, fit = split_params(params)
    regrets, finals = [], []
    for w in range(worlds):
        world = make_world(campaigns, seed=seed * 1000 + w, drift_sd=0.01, changepoint_prob=0.2)
        res = online_regret(world, get_strategy(strategy, **strat_params), days=days, seed=seed * 1000 + w,
                            fit_kwargs={**ONLINE_FIT, **fit})
        regrets.append(res.cumulative_regret)
        finals.append(res.final_week_regret)
    return {"regret": float(np.mean(regrets)), "final_week_regret": float(np.mean(finals))}


def forecaster_objective(params: dict[str, Any], *, worlds: int = 2, campaigns: int = 3, days: int = 100,
                         seed: int = 0) -> dict[str, float]:
    """Backtest WAPE (all horizons pooled) of the forecaster with these settings on simulated histories."""
    cfg = ForecastConfig(theta=float(params.get("theta", 0.2)), n_knots=int(params.get("n_knots", 5)),
                         alpha=float(params.get("alpha", 1.0)), half_life_days=float(params.get("half_life_days", 60)))
    w = []
    for i in range(worlds):
        world = make_world(campaigns, seed=seed * 1000 + i, drift_sd=0.01)
        hist = world.history(days, np.random.default_rng(seed * 1000 + i), hold_days=3)
        b = backtest(hist, min_train=min(56, days - 21), step=7, cfg=cfg)
        w.append(float(b[(b.method == "model") & (b.horizon == 0)]["wape"].iloc[0]))
    return {"wape": float(np.mean(w))}


def allocation_world(campaigns: int, seed: int) -> tuple[World, Constraints, np.ndarray]:
    """The world an allocation search runs against, its constraints and the 'current' allocation."""
    world = make_world(campaigns, seed=seed)
    cons = default_constraints(world)
    current = cons.project(np.full(campaigns, world.budget / campaigns))
    return world, cons, current


def allocation_objective(weights: np.ndarray, world: World, cons: Constraints, *, eval_days: int = 7,
                         seed: int = 0) -> dict[str, float]:
    """Curves unknown: run the repaired allocation for `eval_days` noisy days and report observed
    earnings (what the search maximises) and, for evaluation only, the true regret."""
    x = cons.from_simplex(weights)
    rng = np.random.default_rng(seed)
    world.reset(x)
    observed = float(np.mean([world.step(x, d, rng)["commission"].sum() for d in range(eval_days)]))
    _, best = world.oracle(cons, 0, grid=400)
    return {"observed": observed, "regret": (best - world.value(x, 0)) / best,
            "violations": float(len(cons.violations(x)))}

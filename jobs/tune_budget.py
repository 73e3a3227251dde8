"""Ray Tune + Optuna for budgeting: strategy/forecaster hyper-parameters and allocation search.

    python -m jobs.tune_budget hyper --strategy epsilon_greedy --samples 32
    python -m jobs.tune_budget allocation --campaigns 10 --samples 200
    ray job submit --working-dir . -- python -m jobs.tune_budget hyper --strategy thompson

Each trial evaluates one configuration over seeded simulated worlds (matrix.budget.tuning), so
trials run in parallel across the cluster and a run is reproducible from (seed, samples).
Results go to MATRIX_HOME/budget/tune (storage_path), never ~/ray_results.

Allocation search (curves unknown): the trial's parameters are one weight per campaign, mapped
onto the simplex and repaired to the constraints inside the trial (Constraints.from_simplex), and
the first trial is the current allocation (points_to_evaluate).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

import numpy as np
import ray
from ray import tune
from ray.tune.search.optuna import OptunaSearch

from matrix.budget import tuning
from matrix.config import Settings, load_settings


def _space(name: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for p, (lo, hi, log) in tuning.SEARCH_SPACES[name].items():
        if isinstance(lo, int) and isinstance(hi, int):
            out[p] = tune.randint(lo, hi + 1)
        else:
            out[p] = tune.loguniform(lo, hi) if log else tune.uniform(lo, hi)
    return out


def _reported(result: Any) -> dict[str, Any]:
    """The metrics a finished trial reported (Tune types them Optional; a best trial always has them)."""
    if result.metrics is None:
        raise RuntimeError("Ray Tune returned a best trial without reported metrics")
    return result.metrics


def _config(result: Any) -> dict[str, Any]:
    if result.config is None:
        raise RuntimeError("Ray Tune returned a best trial without its config")
    return result.config


def _ensure_ray(settings: Settings) -> None:
    if ray.is_initialized():
        return
    address = os.environ.get("RAY_ADDRESS") or settings.ray.address
    kw: dict[str, Any] = {"namespace": settings.ray.namespace, "include_dashboard": False}
    if address == "local":
        kw.update(address="local", num_cpus=settings.ray.num_cpus)
    else:
        kw["address"] = address
    ray.init(**kw)


def run_hyper(settings: Settings, target: str, samples: int, seed: int, worlds: int, campaigns: int, days: int,
              cpus_per_trial: float = 1.0) -> dict[str, Any]:
    """Tune one strategy's (or the forecaster's) hyper-parameters; returns the best config and score."""
    if target not in tuning.SEARCH_SPACES:
        raise ValueError(f"unknown tuning target {target!r}; allowed: {sorted(tuning.SEARCH_SPACES)}")
    metric = "wape" if target == "forecaster" else "regret"

    def trainable(config: dict[str, Any]) -> None:
        if target == "forecaster":
            tune.report(tuning.forecaster_objective(config, seed=seed))
        else:
            tune.report(tuning.strategy_objective(target, config, worlds=worlds, campaigns=campaigns, days=days, seed=seed))

    search = OptunaSearch(metric=metric, mode="min", seed=seed)
    tuner = tune.Tuner(
        tune.with_resources(trainable, {"cpu": cpus_per_trial}),
        param_space=_space(target),
        tune_config=tune.TuneConfig(
            search_alg=search,
            num_samples=samples,
            max_concurrent_trials=max(1, int(ray.available_resources().get("CPU", 1) // max(cpus_per_trial, 1e-3))),
        ),
        run_config=tune.RunConfig(name=f"budget-{target}-s{seed}", storage_path=str(settings.path("budget", "tune")), verbose=0),
    )
    grid = tuner.fit()
    best = grid.get_best_result(metric=metric, mode="min")
    return {"target": target, "metric": metric, "best": float(_reported(best)[metric]), "config": best.config,
            "trials": len(grid), "storage_path": str(settings.path("budget", "tune"))}


def run_allocation(settings: Settings, campaigns: int, samples: int, seed: int, eval_days: int = 7,
                   cpus_per_trial: float = 0.5) -> dict[str, Any]:
    """Allocation search with unknown curves on a simulated world, seeded with the current allocation."""
    world, cons, current = tuning.allocation_world(campaigns, seed)
    w0 = cons.to_simplex(current)
    keys = [f"w{i:03d}" for i in range(campaigns)]

    def trainable(config: dict[str, Any]) -> None:
        w = np.array([config[k] for k in keys])
        tune.report(tuning.allocation_objective(w, world, cons, eval_days=eval_days, seed=seed))

    search = OptunaSearch(metric="observed", mode="max", seed=seed,
                          points_to_evaluate=[{k: float(v) * campaigns for k, v in zip(keys, w0, strict=False)}])
    tuner = tune.Tuner(
        tune.with_resources(trainable, {"cpu": cpus_per_trial}),
        param_space={k: tune.uniform(0.0, 3.0) for k in keys},
        tune_config=tune.TuneConfig(search_alg=search, num_samples=samples),
        run_config=tune.RunConfig(
            name=f"budget-allocation-n{campaigns}-s{seed}", storage_path=str(settings.path("budget", "tune")), verbose=0
        ),
    )
    grid = tuner.fit()
    best = grid.get_best_result(metric="observed", mode="max")
    df = grid.get_dataframe()
    x = cons.from_simplex(np.array([_config(best)[k] for k in keys]))
    return {"target": "allocation", "best_observed": float(_reported(best)["observed"]),
            "best_true_regret": float(_reported(best)["regret"]),
            "current_true_regret": float(tuning.allocation_objective(w0, world, cons, eval_days=1, seed=seed)["regret"]),
            "max_violations": float(df["violations"].max()), "allocation": [round(float(v), 4) for v in x],
            "trials": len(grid), "storage_path": str(settings.path("budget", "tune"))}


def main(argv: list[str] | None = None, settings: Settings | None = None) -> dict[str, Any]:
    settings = settings or load_settings()
    b = settings.budget
    p = argparse.ArgumentParser(prog="jobs.tune_budget", description=__doc__.splitlines()[0])
    p.add_argument("mode", choices=["hyper", "allocation"])
    p.add_argument("--strategy", default="epsilon_greedy", help=f"tuning target: {sorted(tuning.SEARCH_SPACES)}")
    p.add_argument("--samples", type=int, default=b.tune_samples)
    p.add_argument("--seed", type=int, default=b.seed)
    p.add_argument("--worlds", type=int, default=b.tune_worlds)
    p.add_argument("--campaigns", type=int, default=b.tune_campaigns)
    p.add_argument("--days", type=int, default=b.tune_days)
    p.add_argument("--cpus-per-trial", type=float, default=None)
    p.add_argument("--out", help="write the result as JSON here")
    a = p.parse_args(argv)
    _ensure_ray(settings)
    if a.mode == "hyper":
        res = run_hyper(settings, a.strategy, a.samples, a.seed, a.worlds, a.campaigns, a.days, a.cpus_per_trial or 1.0)
    else:
        res = run_allocation(settings, a.campaigns, a.samples, a.seed, cpus_per_trial=a.cpus_per_trial or 0.5)
    text = json.dumps(res, indent=2, default=str)
    if a.out:
        with open(a.out, "w") as fh:
            fh.write(text)
    print(text)
    return res


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv[1:])
    sys.exit(0)

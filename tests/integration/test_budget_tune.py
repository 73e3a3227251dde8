"""Ray Tune + Optuna budget job on the shared test cluster (tiny sample counts)."""

from __future__ import annotations

import pytest


@pytest.mark.slow
def test_tune_hyper_and_allocation(ray_session, settings):
    from jobs import tune_budget

    res = tune_budget.run_hyper(settings, "epsilon_greedy", samples=2, seed=1, worlds=1, campaigns=3, days=8,
                                cpus_per_trial=1.0)
    assert res["trials"] == 2 and 0 <= res["best"] < 1 and set(res["config"]) == {"epsilon", "fit_half_life_days"}
    assert settings.path("budget", "tune").is_dir()
    alloc = tune_budget.run_allocation(settings, campaigns=4, samples=6, seed=0, eval_days=2, cpus_per_trial=0.5)
    assert alloc["max_violations"] == 0 and alloc["trials"] == 6
    assert abs(sum(alloc["allocation"]) - 1200.0) < 0.01
    assert alloc["best_observed"] > 0

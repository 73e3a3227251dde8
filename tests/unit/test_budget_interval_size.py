"""Session 7 (issue 19, item 1 by account size): the benchmark can run any family at chosen campaign counts
(`--campaigns`), and a posterior whose amplitude the data never pinned draws finite earnings (no overflow warnings
downstream, matrix/budget/response.py `AMPLITUDE_CAP`)."""

from __future__ import annotations

import argparse
import importlib.util
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from matrix.budget import response as R
from matrix.budget.response import adstock, fit_hill, hill
from matrix.budget.safe import CurveSamples

BENCH = Path(__file__).resolve().parents[2] / "bench" / "budget_regret.py"


def _bench():
    spec = importlib.util.spec_from_file_location("budget_regret_s7", BENCH)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


def _stopped_campaign(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """56 days near 100/day, then 28 days at 0: after the stop only carry-over earns, so a level shift fitted to the
    last weeks has an amplitude the data never pinned (1e290 before the cap)."""
    rng = np.random.default_rng(seed)
    x = np.r_[rng.uniform(80, 120, 56), np.zeros(28)]
    y = rng.poisson(hill(adstock(x, 0.5), 300.0, 100.0, 1.0)).astype(float)
    return x, y


def test_a_stopped_campaign_gets_a_bounded_amplitude_and_its_draws_square_without_overflow():
    x, y = _stopped_campaign()
    post = fit_hill(x, y, half_life_days=60.0, k_prior_sd=1.5, temperature=2.0, changepoint=True)
    cap = R.AMPLITUDE_CAP * max(float(y.max()), 1.0)
    assert np.isfinite(post.a_mean).all() and np.isfinite(post.a_sd).all()
    assert post.a_mean.max() <= cap and post.a_sd.max() <= cap
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # any overflow fails the test
        v = CurveSamples.draw(post, 200, np.random.default_rng(1)).values(np.array([100.0, 250.0]))
        sd = v.std(axis=1)
        draws = post.predictive(np.array([150.0]), 200, np.random.default_rng(2))
    assert np.isfinite(sd).all() and np.isfinite(draws).all()


def test_the_amplitude_cap_is_far_from_any_fit_the_data_pin():
    """A campaign seen far below its saturation (k 10x its spend, S-shaped) still fits an amplitude many orders of
    magnitude under the cap: the cap only ever touches amplitudes the data cannot see."""
    rng = np.random.default_rng(3)
    x = rng.uniform(10, 30, 90)
    y = rng.poisson(hill(x, 5000.0, 200.0, 2.0)).astype(float) + rng.poisson(1.0, 90)
    post = fit_hill(x, y, half_life_days=60.0, k_prior_sd=1.5, temperature=2.0, changepoint=True)
    cap = R.AMPLITUDE_CAP * max(float(y.max()), 1.0)
    assert post.a_mean[post.weight > 1e-6].max() < cap * 1e-3


def test_campaign_counts_parse_or_fail_with_a_clear_message():
    bench = _bench()
    assert bench._counts("4,8") == (4, 8)
    assert bench._counts("30") == (30,)
    for bad in ("4,x", "1", ""):
        with pytest.raises(argparse.ArgumentTypeError, match="--campaigns"):
            bench._counts(bad)


def test_the_campaigns_option_overrides_the_family_sizes_and_cycles_over_worlds():
    bench = _bench()
    seen: list[int] = []
    real = bench.make_partial_world

    def spy(n, seed, family, days):
        seen.append(n)
        return real(n, seed, family, days)

    bench.make_partial_world = spy
    out = bench.main(["--families", "sealed2", "--worlds", "2", "--campaigns", "3,5", "--no-loop", "--no-forecast",
                      "--strategies", "equal"])
    assert out["sealed2"]["_world"]["campaigns"] == "3/5"  # sealed2's own sizes are 20 and 50
    assert seen == [3, 5]
    assert out["sealed2"]["equal"]["violations"] == 0

"""Session 10: the saturation prior (`s_curve_k_sd`). The data pin a campaign's elasticity at its highest spend, not
how k and s share it; S-shaped draws with k far beyond the data keep the curve convex there and inflate the
posterior-mean marginal return beyond the data (docs/budget.md, session 10)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from matrix.budget.constraints import Constraints
from matrix.budget.evaluate import SAFE_FIT
from matrix.budget.response import HillCurve, fit_hill, s_curve_penalty
from matrix.budget.simulator import make_partial_world
from matrix.budget.strategies import _fit_kwargs, build_context


def test_penalty_is_one_sided_and_only_for_s_curves() -> None:
    k = np.array([0.5, 1.0, 2.0, 4.0, 4.0, 4.0])
    s = np.array([2.0, 2.0, 2.0, 2.0, 1.0, 0.7])
    pen = s_curve_penalty(k, s, centre=1.0, sd=0.5)
    # nothing at or below the centre, nothing for concave shapes (s <= 1) wherever their k
    assert pen[0] == 0.0 and pen[1] == 0.0 and pen[4] == 0.0 and pen[5] == 0.0
    np.testing.assert_allclose(pen[2:4], 0.5 * (np.log([2.0, 4.0]) / 0.5) ** 2)


def _s_curve_history(seed: int = 0) -> tuple[np.ndarray, np.ndarray, HillCurve]:
    """A steep S-curve seen only up to its half-saturation point (elasticity ~1.4 at the highest spend)."""
    rng = np.random.default_rng(seed)
    truth = HillCurve(a=1000.0, k=100.0, s=2.7)
    x = rng.uniform(60.0, 100.0, 90)
    y = truth(x) * rng.lognormal(0.0, 0.1, x.size)
    return x, y, truth


def test_saturation_prior_pulls_the_marginal_beyond_the_data_toward_the_truth() -> None:
    x, y, truth = _s_curve_history()
    beyond = np.array([150.0])
    true_mr = float(truth.marginal(beyond)[0])
    base = dict(k_prior_sd=1.5, temperature=2.0)
    plain = float(fit_hill(x, y, **base).mean_curve().marginal(beyond)[0])
    prior = float(fit_hill(x, y, **base, s_curve_k_sd=0.5).mean_curve().marginal(beyond)[0])
    assert plain > 1.5 * true_mr  # the over-rating the prior addresses
    assert true_mr < prior < plain  # lower, still not below the truth
    # inside the data the fit is unchanged in substance
    inside = np.array([80.0])
    p0 = float(fit_hill(x, y, **base).mean_curve()(inside)[0])
    p1 = float(fit_hill(x, y, **base, s_curve_k_sd=0.5).mean_curve()(inside)[0])
    assert abs(p1 / p0 - 1) < 0.02


def test_saturation_prior_is_for_the_loops_later_fits_only() -> None:
    """The default carries it as `loop_s_curve_k_sd`: a first plan (no days of plans played) is fitted without it."""
    assert SAFE_FIT.get("loop_s_curve_k_sd") == 0.5
    cons = Constraints(1000.0, 4)
    first = _fit_kwargs(SAFE_FIT, cons, 4, followed_days=0)
    later = _fit_kwargs(SAFE_FIT, cons, 4, followed_days=7)
    assert "s_curve_k_sd" not in first and "loop_s_curve_k_sd" not in first
    assert later["s_curve_k_sd"] == 0.5 and "loop_s_curve_k_sd" not in later
    assert {k: v for k, v in later.items() if k != "s_curve_k_sd"} == first


def test_loop_week_one_plan_is_unchanged_and_week_two_uses_the_prior() -> None:
    """build_context turns the prior on from the days played since `anchor_before`."""
    w, h, c = make_partial_world(5, 3, "dev", 90)
    day0 = int(pd.to_datetime(h["date"]).nunique())
    anchor = w.start + dt.timedelta(days=day0)
    plain = {k: v for k, v in SAFE_FIT.items() if k != "loop_s_curve_k_sd"}
    a = build_context(h, c, w.ids, fit_kwargs=SAFE_FIT, pool=True, anchor_before=anchor)
    b = build_context(h, c, w.ids, fit_kwargs=plain, pool=True, anchor_before=anchor)
    for p, q in zip(a.posteriors, b.posteriors, strict=True):  # no day played yet: identical fits
        np.testing.assert_array_equal(p.weight, q.weight)
    # a week "played" (the history's last week relabelled as played) changes the S-shaped weights
    late = w.start + dt.timedelta(days=day0 - 7)
    a = build_context(h, c, w.ids, fit_kwargs=SAFE_FIT, pool=False, anchor_before=late)
    b = build_context(h, c, w.ids, fit_kwargs=plain, pool=False, anchor_before=late)
    assert any(not np.allclose(p.weight, q.weight) for p, q in zip(a.posteriors, b.posteriors, strict=True))

"""Session 13: `Safe(honest_guard=True)` judges a move (first guard, anchor guard, spread guard) on draws from each
late-launched campaign's active-days fit (`safe.interval_posterior`), the optimiser keeping the plan's posterior.
Measured and not shipped (docs/budget.md, "Session 13"): the flag stays off, and off it changes nothing."""

from __future__ import annotations

import numpy as np
import pandas as pd

from matrix.budget.evaluate import SAFE_FIT
from matrix.budget.safe import Safe, interval_posterior
from matrix.budget.simulator import make_partial_world
from matrix.budget.strategies import build_context


def _context(family: str, n: int, seed: int, days: int):  # type: ignore[no-untyped-def]
    w, h, c = make_partial_world(n, seed, family, days)
    return w, h, build_context(h, c, w.ids, fit=True, rng=np.random.default_rng(seed), fit_kwargs=SAFE_FIT, pool=True)


def _late(h: pd.DataFrame) -> set[str]:
    first = h[h.spend > 0].groupby("campaign_id")["date"].min()
    return set(first[first > h["date"].min()].index)


def test_off_by_default_and_judged_draws_are_the_plan_draws() -> None:
    _, _, ctx = _context("sealed12", 11, 10, 42)
    s = Safe()
    assert s.params["honest_guard"] is False
    samples = s._samples(ctx)
    assert s._judge_samples(ctx, samples) is samples


def test_only_late_launches_are_judged_on_their_active_days_fit() -> None:
    w, h, ctx = _context("sealed12", 11, 10, 42)
    late = _late(h)
    assert late, "the fixture world must have a late-launched campaign"
    s = Safe(honest_guard=True)
    samples = s._samples(ctx)
    judged = s._judge_samples(ctx, samples)
    for cid, p, a, b in zip(w.ids, ctx.posteriors, samples, judged, strict=True):
        has_active_fit = interval_posterior(p) is not p
        same = np.array_equal(a.a, b.a) and np.array_equal(a.k, b.k) and np.array_equal(a.s, b.s)
        assert same != has_active_fit, cid  # drawn from the same stream: only campaigns with an active-days fit move
        if has_active_fit:
            assert cid in late
            hi = float(h[h.campaign_id == cid]["spend"].max())
            rel = [float(np.std(d.values(hi)[0]) / np.mean(d.values(hi)[0])) for d in (a, b)]
            assert rel[1] > rel[0]  # the honest posterior of a week of launch data is wider at its edge


def test_no_late_launch_means_identical_plans() -> None:
    _, h, ctx = _context("dev", 8, 0, 60)
    assert not _late(h)
    x_off = Safe().allocate(ctx)
    x_on = Safe(honest_guard=True).allocate(ctx)
    np.testing.assert_array_equal(x_off, x_on)


def test_on_a_late_launch_world_the_plan_stays_feasible() -> None:
    _, _, ctx = _context("sealed12", 11, 10, 42)
    x = Safe(honest_guard=True).allocate(ctx)
    assert abs(x.sum() - ctx.constraints.budget) < 1e-6 * ctx.constraints.budget
    assert not ctx.constraints.violations(x)

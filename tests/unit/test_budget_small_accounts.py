"""Session 7: small accounts vs history. With 4-8 campaigns a budget cut can put every campaign far below its
observed spend; the anchor guard then compared two guesses on draws that were confidently wrong below the data
and passed plans that lost 10-19 % to keeping the historical allocation (docs/budget.md)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from matrix.budget.constraints import Constraints
from matrix.budget.evaluate import one_shot
from matrix.budget.safe import CurveSamples, PairedDraws, anchor_guard, known_share, required_confidence
from matrix.budget.simulator import make_partial_world
from matrix.budget.strategies import AllocationContext, get_strategy

DRAWS = 400


def _fixed(a: float, k: float, s: float) -> CurveSamples:
    """A posterior that is certain of one Hill curve: every draw the same."""
    return CurveSamples(np.full(DRAWS, a), np.full(DRAWS, k), np.full(DRAWS, s))


def _two_campaigns() -> tuple[list[CurveSamples], list[tuple[float, float]], np.ndarray, np.ndarray]:
    """A dominant S-shaped campaign seen only at 600-1000 a day and a small one seen at 100-200; the budget cut put
    the history anchor below both ranges (300, 50). The plan cuts the big one further (150) to bring the small
    one into its data (200): its gain rests entirely on what the curves do below the data."""
    samples = [_fixed(2000.0, 500.0, 2.0), _fixed(1500.0, 200.0, 1.0)]
    return samples, [(600.0, 1000.0), (100.0, 200.0)], np.array([300.0, 50.0]), np.array([150.0, 200.0])


def test_a_plan_resting_on_values_below_the_data_is_not_certain_however_narrow_the_posterior():
    samples, observed, anchor, plan = _two_campaigns()
    narrow = PairedDraws(samples, observed, 0.0, below_sd=0.0)  # the pre-session-7 draws
    gain = narrow.total(plan) - narrow.total(anchor)
    assert np.mean(gain > 0) == 1.0  # one certain curve: the old guard saw no risk at all
    x_old, old = anchor_guard(narrow, plan, anchor, confidence=0.8)
    assert old.t > 0 and not np.allclose(x_old, anchor)

    draws = PairedDraws(samples, observed, 0.0)  # default: widened below the data
    gain = draws.total(plan) - draws.total(anchor)
    assert 0.5 < np.mean(gain > 0) < 0.8  # still the better guess, but far from a sure one
    x, check = anchor_guard(draws, plan, anchor, confidence=0.8)
    assert check.t == 0.0 and np.allclose(x, anchor) and check.p_plan < 0.8


def test_the_widening_leaves_the_data_alone_and_is_paired_across_allocations():
    samples, observed, _, _ = _two_campaigns()
    narrow, wide = PairedDraws(samples, observed, 0.0, below_sd=0.0), PairedDraws(samples, observed, 0.0)
    inside = np.array([800.0, 150.0])
    assert np.allclose(wide.total(inside), narrow.total(inside))  # inside the data: nothing changes
    above = np.array([2000.0, 400.0])
    assert np.allclose(wide.total(above), narrow.total(above))  # above it the edge draws already judge
    deep = np.array([150.0, 25.0])
    assert np.std(wide.total(deep)) > 0 and np.std(narrow.total(deep)) == pytest.approx(0.0, abs=1e-9)
    assert np.array_equal(wide.total(deep), wide.total(deep))  # the same draw for the same allocation
    # paired: draw j of a campaign errs in the same direction at every spend below its data
    r1 = wide.total(np.array([800.0, 50.0])) - narrow.total(np.array([800.0, 50.0]))
    r2 = wide.total(np.array([800.0, 25.0])) - narrow.total(np.array([800.0, 25.0]))
    assert np.array_equal(np.sign(r1), np.sign(r2))


def _ctx(hist: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> AllocationContext:
    n = hist.size
    cons = Constraints(float(hist.sum()), n, 0.0, float(hist.sum()))
    return AllocationContext(campaign_ids=[f"c{i}" for i in range(n)], constraints=cons, totals=pd.DataFrame(),
                             history_allocation=hist, observed_min=lo, observed_max=hi)


def test_a_cut_anchor_keeps_the_full_confidence_an_expanded_one_does_not():
    """Below the data the draws are no fair judge of a guess, so a cut anchor is not relaxed to even odds; above
    the data (flat edge draws, small errors) the session-6 relaxation stays."""
    hist = np.array([100.0, 200.0, 300.0])
    ctx = _ctx(hist, hist * 0.8, hist * 1.2)
    assert known_share(ctx, hist) == pytest.approx(1.0)
    assert known_share(ctx, hist / 4) == pytest.approx(1.0)
    assert known_share(ctx, hist * 2.4) == pytest.approx(0.5)
    assert required_confidence(0.8, known_share(ctx, hist / 4)) == pytest.approx(0.8)
    assert required_confidence(0.8, known_share(ctx, hist * 2.4)) < 0.8


def test_the_small_account_that_lost_to_its_history_now_keeps_at_least_it():
    """The world of the finding (sealed2, 4 campaigns, seed 0: a budget 0.32x the history's, every campaign cut
    below its data): the default plan lost 19 % to keeping the historical allocation; now it is at least as good."""
    world, hist, cons = make_partial_world(4, 0, "sealed2", 75)
    result = one_shot(world, hist, cons, get_strategy("safe"), seed=0)
    assert result.at_least_history and result.violations == 0

"""Session 9: a dedup's stage-2 EM fit (u followed the candidates) no longer follows the candidate set.

`engine.reanchor_stage_two` (called from `engine.settle_prior`) keeps the fit's m, takes u from
random pairs and its prior per record pair of the table; a fit that then implies more matches in
the table than the data allow (the rule's pairs / RULE_MIN_RECALL, or one per two records) is
replaced by the conservative model and said so (see docs/resolve.md, "Session 9").
"""

from __future__ import annotations

import numpy as np
import pytest

import matrix.resolve.engine as engine
from matrix.resolve.scoring import FellegiSunter, distinct_patterns
from tests.unit.test_resolve_s8_prior import _people


def _stage_two(shape_m=None):
    """A `fit_robust` stand-in that returns a stage-2 fit (u of the blocked fields from the
    candidates), as `fit_robust` does when every random-pair start was insane; `shape_m` may
    overwrite the fitted m (a fit that learned the blocking passes instead of identity)."""
    def fit(comps, u_levels, levels, bounds, update_u=frozenset(), **_):
        fs = FellegiSunter(comps, prior_bounds=bounds)
        fs.fit_u(u_levels)
        patterns, counts = distinct_patterns(levels)
        fs.fit_m(patterns, update_u=update_u, prior_init=0.5 * bounds[1], weights=counts)
        if shape_m is not None:
            shape_m(fs)
        return fs, {"starts": [], "fallback": None, "u_from": "candidates for " + ", ".join(sorted(update_u))}
    return fit


def test_a_stage_two_fit_gets_a_per_table_prior_that_does_not_follow_blocking(monkeypatch):
    monkeypatch.setattr(engine, "fit_robust", _stage_two())
    rec, entity = _people()
    narrow = engine.resolve_records(rec, link=False, mode="many", neighbours=2)
    wide = engine.resolve_records(rec, link=False, mode="many", neighbours=16)
    assert len(wide.candidates) > 1.5 * len(narrow.candidates)
    for res in (narrow, wide):
        assert res.model["u_from"].startswith("candidates") and not res.model["fallback"]
        assert res.model["prior_per"] == "record pair of the table"
        assert res.model["implied_matches_in_table"] <= max(len(rec) / 2, 2 * res.model["deterministic_rule_pairs_in_table"])
    # among candidates the stage-2 prior followed the candidate count; per table pair it does not
    among = wide.model["stage_two_prior_among_candidates"] / narrow.model["stage_two_prior_among_candidates"]
    table = wide.model["prior"] / narrow.model["prior"]
    assert abs(np.log(among)) > 0.3
    assert abs(np.log(table)) < 0.5 * abs(np.log(among))
    tp, fp, gold = _pair_counts(wide.labels, entity)
    assert tp >= 0.9 * gold and fp <= 0.1 * tp


def _pair_counts(labels: np.ndarray, entity: np.ndarray) -> tuple[int, int, int]:
    """(true pairs clustered together, false pairs clustered together, true pairs)."""
    i, j = np.triu_indices(labels.size, 1)
    together, same = labels[i] == labels[j], entity[i] == entity[j]
    return int((together & same).sum()), int((together & ~same).sum()), int(same.sum())


def _learned_the_first_name(fs: FellegiSunter) -> None:
    """A fit whose classes are 'same first name' and not (every other field says nothing), so the
    match class holds most candidates (the blocking passes, not identity)."""
    fs.prior = 0.9
    for c, comp in enumerate(fs.comps):
        if comp.name == "fname":
            m = np.full(comp.n_levels, 0.01)
            m[0] = 1.0
            fs.m[c] = m / m.sum()
        else:
            fs.m[c] = fs.u[c].copy()


def test_a_stage_two_fit_that_makes_random_pairs_matches_falls_back(monkeypatch, capsys):
    monkeypatch.setattr(engine, "fit_robust", _stage_two(_learned_the_first_name))
    rec, _ = _people()
    res = engine.resolve_records(rec, link=False, mode="many", neighbours=4)
    # most candidates matches: far more matches than 480 records with at most one per two records
    # (or twice the rule's pairs) allow; the conservative model is used instead, and said so
    assert res.model["implied_matches_in_table"] > max(len(rec) / 2, 2 * res.model["deterministic_rule_pairs_in_table"])
    assert res.model["fallback"] and "stage-2" in res.model["fallback"]
    assert res.model["u_from"] == "random pairs" and res.model["prior_per"] == "record pair of the table"
    assert "WARNING" in capsys.readouterr().err


def test_linkage_stage_two_fits_are_left_alone(monkeypatch):
    fs = FellegiSunter([], prior_bounds=(0.0, 0.5))
    fs.prior = 0.2
    diag = {"u_from": "candidates for name", "fallback": None}
    rec, _ = _people(n=20, dups=2)
    out = engine.settle_prior(fs, diag, rec, ((), np.zeros((0, 0)), np.zeros((0, 0))), None, True, 0, (0.0, 0.5))
    assert out is fs and fs.prior == pytest.approx(0.2) and "prior_per" not in diag

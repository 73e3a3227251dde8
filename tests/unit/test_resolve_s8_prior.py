"""Session 8: the conservative dedup model's prior is per record pair of the table, so it does not
move with how many candidate pairs blocking returns (see `engine.prior_per_record_pair`)."""

from __future__ import annotations

import functools

import numpy as np
import pytest

import matrix.resolve.engine as engine
from matrix.resolve.prepare import build_records
from matrix.resolve.scoring import Comparison, FellegiSunter, fit_robust
from matrix.resolve.spec import parse_spec

FIRST = ["anna", "bernd", "clara", "dieter", "eva", "frank", "greta", "hans", "ina", "jonas", "karl", "lena",
         "maria", "nina", "otto", "paul"]
LAST = ["becker", "fischer", "hoffmann", "koch", "meyer", "mueller", "neumann", "richter", "schmidt", "schneider",
        "schulz", "wagner", "weber", "wolf", "zimmermann", "braun"]


def _people(n: int = 400, dups: int = 80, seed: int = 3):
    """Person records (first, last name, birth year/month/day) with `dups` exact re-entries and
    many namesakes (16 x 16 names for `n` people): a dedup where the name alone is not enough."""
    rng = np.random.default_rng(seed)
    rows = [{"fname": FIRST[rng.integers(len(FIRST))], "lname": LAST[rng.integers(len(LAST))],
             "by": str(1940 + rng.integers(60)), "bm": str(1 + rng.integers(12)), "bd": str(1 + rng.integers(28))}
            for _ in range(n)]
    entity = list(range(n))
    for k in rng.choice(n, dups, replace=False).tolist():
        rows.append(dict(rows[k]))
        entity.append(k)
    spec = parse_spec({"fields": [{"name": "fname", "type": "person"}, {"name": "lname", "type": "person"},
                                  {"name": "by", "type": "categorical"}, {"name": "bm", "type": "categorical"},
                                  {"name": "bd", "type": "categorical"}]})
    rec = build_records(spec, rows, ["people.csv"] * len(rows), [str(i) for i in range(len(rows))])
    return rec, np.array(entity)


@pytest.fixture
def forced_fallback(monkeypatch):
    """No EM start at all: every resolve uses the conservative model (what RLdata10000 gets)."""
    monkeypatch.setattr(engine, "fit_robust", functools.partial(fit_robust, starts=()))


def test_fallback_prior_does_not_follow_the_candidate_count(forced_fallback, capsys):
    rec, _ = _people()
    narrow = engine.resolve_records(rec, link=False, mode="many", neighbours=2)
    wide = engine.resolve_records(rec, link=False, mode="many", neighbours=16)
    assert len(wide.candidates) > 1.5 * len(narrow.candidates)  # blocking returned far more pairs
    for res in (narrow, wide):
        assert res.model["fallback"] and res.model["prior_per"] == "record pair of the table"
    assert "WARNING" in capsys.readouterr().err
    # among candidates the rule finds fewer same-name pairs when blocking returns fewer pairs, and
    # the old prior (rule pairs / candidates) moved with both counts
    in_cands = narrow.model["deterministic_rule_pairs"], wide.model["deterministic_rule_pairs"]
    assert in_cands[0] / len(narrow.candidates) != pytest.approx(in_cands[1] / len(wide.candidates), rel=0.2)
    # over the whole table the rule's count is one figure, and so is the prior
    rule = narrow.model["deterministic_rule_pairs_in_table"]
    assert rule == wide.model["deterministic_rule_pairs_in_table"] >= max(in_cands)
    assert narrow.model["prior"] == pytest.approx(wide.model["prior"], rel=1e-9)
    pairs = len(rec) * (len(rec) - 1) / 2
    assert narrow.model["prior"] >= rule / pairs * (1 - 1e-6)


def test_table_rule_pairs_counts_same_name_pairs_outside_the_candidates():
    rec, _ = _people(n=120, dups=20)
    first, last = rec.values["fname"], rec.values["lname"]
    expected = sum(1 for i in range(len(rec)) for j in range(i + 1, len(rec)) if first[i] == first[j] and last[i] == last[j])
    comps = engine.comparisons(rec, False)
    none = np.zeros(0, np.int64)
    assert engine.table_rule_pairs(rec, comps, np.zeros((0, len(comps)), np.int8), none, none) == expected > 20


def test_fallback_keeps_duplicates_and_splits_namesakes(forced_fallback):
    rec, entity = _people()
    res = engine.resolve_records(rec, link=False, mode="many", neighbours=10)
    same_pred = res.labels[:, None] == res.labels[None, :]
    same_true = entity[:, None] == entity[None, :]
    upper = np.triu(np.ones_like(same_true), 1).astype(bool)
    tp = int((same_pred & same_true & upper).sum())
    assert tp >= 0.9 * int((same_true & upper).sum())  # re-entries found
    assert int((same_pred & ~same_true & upper).sum()) <= 0.1 * tp  # namesakes born elsewhen kept apart


def _model(m_top: float = 0.9):
    comps = [Comparison("name", 2, 1.0, None)]
    fs = FellegiSunter(comps)
    fs.u = [np.array([0.01, 0.99])]
    fs.m = [np.array([m_top, 1 - m_top])]
    return fs


def test_random_pairs_lift_the_prior_above_the_rule_when_entities_are_large():
    fs = _model()
    # 10 % of random pairs agree (large entities: most of their pairs are no candidate of anyone)
    rand = np.array([[0]] * 1000 + [[1]] * 9000, dtype=np.int8)
    lam = engine.prior_per_record_pair(fs, rule_pairs=10, n_records=1000, random_levels=rand)
    assert lam > 10 * (10 / (1000 * 999 / 2))
    assert 0.05 < lam < 0.15


def test_random_pairs_never_lower_the_rule_floor_and_empty_input_is_the_floor():
    fs = _model()
    floor = 400 / (1000 * 999 / 2)
    none_agree = np.ones((5000, 1), dtype=np.int8)
    assert engine.prior_per_record_pair(fs, 400, 1000, none_agree) == pytest.approx(floor)
    assert engine.prior_per_record_pair(fs, 400, 1000, np.zeros((0, 1), np.int8)) == pytest.approx(floor)
    assert 0 < engine.prior_per_record_pair(fs, 0, 1, none_agree) <= 0.5  # no pairs at all: still a probability


def test_compatible_pairs_closed_form_matches_the_pairwise_count():
    rng = np.random.default_rng(0)
    for cols in (0, 1, 2):
        codes = rng.integers(-1, 4, size=(60, cols)).astype(np.int64)
        brute = sum(1 for i in range(60) for j in range(i + 1, 60)
                    if all(codes[i, c] < 0 or codes[j, c] < 0 or codes[i, c] == codes[j, c] for c in range(cols)))
        assert engine._compatible_pairs(codes) == brute
        assert engine._compatible_pairs(codes, chunk=7) == brute


def test_compatible_pair_count_matches_brute_force_with_and_without_unknowns():
    """The table-wide rule count groups identical rows when nothing is unknown and compares row by row
    otherwise; both paths must count what a pair-by-pair check counts."""
    from matrix.resolve.engine import _compatible_pairs

    rng = np.random.default_rng(3)
    for trial in range(120):
        k, c = int(rng.integers(2, 30)), int(rng.integers(2, 4))
        codes = rng.integers(-1 if trial % 2 else 0, 3, size=(k, c))
        brute = sum(1 for i in range(k) for j in range(i + 1, k)
                    if all(a == b or a < 0 or b < 0 for a, b in zip(codes[i], codes[j], strict=True)))
        assert _compatible_pairs(codes) == brute

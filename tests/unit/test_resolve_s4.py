"""Session 4 of entity resolution: people shared across person fields (keys, blocker, comparison),
fields a file does not have, embeddings searched per embedded field, EM on distinct level
patterns, and the phone-country shortlist."""

from __future__ import annotations

import numpy as np
import pytest

from matrix.config import ConfigError
from matrix.resolve import blocking
from matrix.resolve.blocking import block, person_key_matrix, person_pool_pairs
from matrix.resolve.csvio import load_records
from matrix.resolve.fieldtypes import infer_region
from matrix.resolve.prepare import build_records, embedded_field, person_name_keys
from matrix.resolve.scoring import (
    PEOPLE,
    Comparison,
    FellegiSunter,
    blocking_biased,
    compare,
    comparisons,
    distinct_patterns,
    fit_robust,
)
from matrix.resolve.spec import parse_spec

FILM_SPEC = {
    "files": {"a.csv": {"columns": {"director": None}}, "b.csv": {"columns": {"writer": None}}},
    "fields": [{"name": "title", "type": "name"}, {"name": "actor", "type": "person"},
               {"name": "writer", "type": "person"}, {"name": "director", "type": "person"}],
}


def test_person_keys_ignore_order_qualifiers_and_nicknames():
    assert person_name_keys("Tipton, Ken") == person_name_keys("Ken Tipton (I)") == frozenset({"kenneth tipton"})
    assert person_name_keys("Reeves, Keanu") <= person_name_keys("Keanu Charles Reeves")
    assert person_name_keys("Bill Smith") == person_name_keys("Smith, William")
    assert person_name_keys("Matahi") == frozenset({"matahi"})  # a one-word name is its own key
    assert person_name_keys("J. Smith") == frozenset({"smith"})  # initials say too little
    assert person_name_keys(None) == person_name_keys("  ") == frozenset()
    # several people in one cell: each one's given + family name is still a key
    many = person_name_keys("Oyo Boy Sotto  Anne Curtis")
    assert "anne curtis" in many and "boy sotto" in many


def _rows(titles, actors, writers, directors):
    return [{"title": t, "actor": a, "writer": w, "director": d} for t, a, w, d in zip(titles, actors, writers, directors,
                                                                                       strict=True)]


def _films():
    """Table a lists a writer, table b a director; a0 has no title and only a writer, who is
    b0's director. a1/b1 are a titled match; the rest are unrelated films."""
    a = _rows([None, "Heart of Gold", "Cold Water", "Red Sky"],
              ["Anne Ramsay", "Mia Torres", "Oskar Lind", "Pia Holm"],
              ["Ken Tipton", "Sam Reed", "Ola Berg", "Ivo Marsh"], [None] * 4)
    b = _rows(["Heart of the Beholder (2005)", "Heart of Gold (1999)", "Blue Lake (1960)", "Night Train (1971)"],
              ["Duplaix, Daphne", "Torres, Mia", "Nyberg, Eva", "Dahl, Tor"],
              [None] * 4, ["Tipton, Ken", "Reed, Sam", "Falk, Per", "Moe, Kai"])
    spec = parse_spec(FILM_SPEC)
    return build_records(spec, a + b, ["a.csv"] * 4 + ["b.csv"] * 4, [f"a{i}" for i in range(4)] + [f"b{i}" for i in range(4)])


def test_a_field_mapped_to_null_is_absent_in_that_file(tmp_path):
    (tmp_path / "a.csv").write_text("id,title,actor,writer\n1,Heart of Gold,Mia Torres,Sam Reed\n")
    (tmp_path / "b.csv").write_text("id,title,actor,director\n7,Heart of Gold,\"Torres, Mia\",\"Reed, Sam\"\n")
    rec = load_records(parse_spec(FILM_SPEC), [tmp_path / "a.csv", tmp_path / "b.csv"])
    assert rec.raw["director"] == [None, "Reed, Sam"] and rec.raw["writer"] == ["Sam Reed", None]
    # null in every file is a mistake, said before any work starts
    bad = dict(FILM_SPEC, files={"a.csv": {"columns": {"director": None}}, "b.csv": {"columns": {"director": None}}})
    (tmp_path / "a.csv").write_text("id,title,actor,writer\n1,x,y,z\n")
    (tmp_path / "b.csv").write_text("id,title,actor,writer\n2,x,y,z\n")
    with pytest.raises(ConfigError, match="absent"):
        load_records(parse_spec(bad), [tmp_path / "a.csv", tmp_path / "b.csv"])
    # a column that is named but missing still fails as before
    with pytest.raises(ConfigError, match="not found"):
        load_records(parse_spec(FILM_SPEC), [tmp_path / "b.csv", tmp_path / "a.csv"])


def test_person_pool_finds_a_person_filed_under_another_role():
    rec = _films()
    pairs = set(zip(*person_pool_pairs(rec, budget=4, found=np.zeros(0, np.int64), cross_only=True), strict=True))
    assert (0, 4) in pairs or (4, 0) in pairs  # a0's writer is b0's director
    assert all(rec.source[a] != rec.source[b] for a, b in pairs)  # linking: never within one table
    # the budget is a degree: a record whose candidates already fill it gets none from the pool
    full = np.array([min(0, j) * 8 + max(0, j) for j in range(4, 8)], np.int64)  # a0 already has 4 candidates
    pairs = set(zip(*person_pool_pairs(rec, budget=4, found=full, cross_only=True), strict=True))
    assert not any(0 in p for p in pairs)


def test_a_frequent_name_is_no_person_key():
    rec = _films()
    x = person_key_matrix(rec)
    assert x is not None and x.nnz > 0 and blocking.PERSON_KEY_MAX_RECORDS >= 2
    assert person_key_matrix(rec, max_records=1).nnz == 0  # every shared key is on 2 records
    assert person_key_matrix(build_records(parse_spec({"fields": [{"name": "t", "type": "name"}]}), [{"t": "x"}],
                                           ["a"], ["1"])) is None  # no person field: no pool


def test_block_reports_the_person_blocker_and_keeps_embeddings_per_field():
    rec = _films()
    groups = embedded_field(rec)
    assert groups is not None and groups[0] == 1 and groups[1] == 0  # a0 is embedded by its actor
    vecs = np.eye(8, dtype=np.float32) + 0.1  # every pair similar: only the grouping keeps a0 from titles
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    c = block(rec, vecs, 2, cross_only=True)
    assert "person" in c.by_blocker
    pairs = c.pair_set()
    assert (0, 4) in pairs and (1, 5) in pairs
    comps = comparisons(rec, with_vectors=True)
    emb = next(cp for cp in comps if cp.name == "embedding")
    lv = emb.compute(rec, np.array([0, 1]), np.array([4, 5]), vecs)
    assert lv[0] == -1 and lv[1] >= 0  # actor vector vs title vector says nothing: unknown


def test_people_comparison_counts_only_cross_field_agreement():
    rec = _films()
    comps = comparisons(rec, with_vectors=False)
    assert PEOPLE in [c.name for c in comps] and PEOPLE in blocking_biased(rec, with_vectors=False)
    col = [c.name for c in comps].index(PEOPLE)
    lv = compare(rec, comps, np.array([0, 1, 2, 0]), np.array([4, 5, 6, 1]), None)[:, col]
    # writer == director, a name no other record carries (twice); nobody shared
    assert lv.tolist()[:3] == [0, 0, 2]
    assert lv[3] == 2  # a0's actor vs a1's writer (and back): known, not shared
    # the same shared name on a third record (a director with several films) is weaker evidence
    three = build_records(parse_spec(FILM_SPEC), _rows(["x", "y", "z"], [None] * 3, ["Ken Tipton", None, None],
                                                       [None, "Tipton, Ken", "Ken Tipton"]),
                          ["a.csv", "b.csv", "b.csv"], ["1", "2", "3"])
    assert compare(three, comparisons(three, False), np.array([0]), np.array([1]), None)[0, col] == 1
    # two records naming people only in one and the same field: that field's own comparison
    # decides, the cross-field one is unknown (not counted twice)
    only_actor = build_records(parse_spec(FILM_SPEC), _rows(["x", "y"], ["Mia Torres", "Torres, Mia"], [None] * 2,
                                                            [None] * 2), ["a.csv", "b.csv"], ["1", "2"])
    assert compare(only_actor, comps, np.array([0]), np.array([1]), None)[0, col] == -1
    one_person = parse_spec({"fields": [{"name": "t", "type": "name"}, {"name": "p", "type": "person"}]})
    assert PEOPLE not in [c.name for c in comparisons(build_records(one_person, [{"t": "x", "p": "y"}], ["a"], ["1"]),
                                                                  False)]


def test_em_on_distinct_patterns_equals_em_on_every_pair():
    rng = np.random.default_rng(3)
    n = 6000
    true = rng.random(n) < 0.05
    title = np.where(true, rng.integers(0, 2, n), rng.integers(1, 5, n))
    year = np.where(true, 0, np.where(rng.random(n) < 0.3, 0, 1))
    year[rng.random(n) < 0.2] = -1  # unknowns
    levels = np.stack([title, year], axis=1).astype(np.int8)
    rand = np.stack([rng.integers(1, 5, 20000), (rng.random(20000) < 0.3).astype(int) ^ 1], axis=1).astype(np.int8)
    comps = [Comparison("title", 5, 1.0, None), Comparison("year", 2, 1.0, None)]
    rows, counts = distinct_patterns(levels)
    assert rows.shape[0] <= 15 and counts.sum() == n
    full, packed = FellegiSunter(comps), FellegiSunter(comps)
    for fs in (full, packed):
        fs.fit_u(rand)
    full.fit_m(levels, prior_init=0.1)
    packed.fit_m(rows, prior_init=0.1, weights=counts)
    assert packed.prior == pytest.approx(full.prior, rel=1e-6)
    for a, b in zip(full.m, packed.m, strict=True):
        assert np.allclose(a, b, rtol=1e-6)
    assert packed.log_likelihood(rows, counts) == pytest.approx(full.log_likelihood(levels), rel=1e-9)
    assert packed.problems(rows, weights=counts) == full.problems(levels)
    model, diag = fit_robust(comps, rand, levels, (1 / n, 0.2))
    assert diag["fallback"] is None
    assert np.allclose(model.probability(levels)[true].mean(), full.probability(levels)[true].mean(), atol=0.05)


@pytest.mark.parametrize(("numbers", "region"), [
    (["(212) 677-0606", "310/246-1501", "415 555 0134", "212-555-0199"], "US"),
    (["020 7946 0958", "0161 496 0123", "0113 496 0000", "020 7123 4567"], "GB"),
    (["030 12345678", "089 1234567", "040 1234567", "0221 1234567"], "DE"),
])
def test_phone_country_shortlist_picks_the_column_country(numbers, region):
    assert infer_region(numbers * 5) == region
    assert infer_region(["+44 20 7946 0958"]) is None  # international numbers need no country
    assert infer_region(["12", "34"] * 10) is None  # valid nowhere: no country, not an error


def test_list_comparison_in_one_pass_gives_the_designed_levels():
    from matrix.resolve.scoring import leveled, list_levels

    rng = np.random.default_rng(5)
    pool = ["ann lee", "bo lee", "cy park", "di park", "ed kim", "fa kim", "gu wu"]
    rows = [{"v": None if rng.random() < 0.1 else ";".join(rng.choice(pool, rng.integers(1, 4), replace=False))}
            for _ in range(120)]
    rec = build_records(parse_spec({"fields": [{"name": "v", "type": "list", "sep": ";"}]}), rows, ["a"] * 120,
                        [str(i) for i in range(120)])
    left, right = rng.integers(0, 120, 3000), rng.integers(0, 120, 3000)
    fast = comparisons(rec, False)[0].compute(rec, left, right, None)
    slow = leveled("v", list_levels())(rec, left, right, None)
    assert np.array_equal(fast, slow) and set(fast.tolist()) >= {-1, 0, 1, 4}

"""Session 6: a linkage never compares two records of one table, and records its compared fields
cannot tell apart (bare twins) share one posterior under the 1:1 premise."""

from __future__ import annotations

import numpy as np

from matrix.resolve.blocking import block, knn_pairs
from matrix.resolve.clustering import one_to_one
from matrix.resolve.engine import bare_twin_counts, resolve_records, share_among_bare_twins, twin_groups
from matrix.resolve.prepare import build_records
from matrix.resolve.spec import parse_spec
from tests.support.resolve_data import TrigramEmbedder

MOVIES = {"fields": [{"name": "title", "type": "name"}, {"name": "actor", "type": "person"}]}


def _movies():
    """Table a lists 'Ben Hur' twice (two films, two different actors) and 'Crash' twice; table b
    lists each film once. Identical titles in a are what the neighbour search groups by text."""
    rows_a = [{"title": "Ben Hur", "actor": "William Hart"}, {"title": "Ben Hur", "actor": "Charlton Heston"},
              {"title": "Crash", "actor": "Elias Koteas"}, {"title": "Crash", "actor": "Sandra Bullock"},
              {"title": "Bambi", "actor": None}]
    rows_b = [{"title": "Ben Hur (1907)", "actor": "Hart, William S."}, {"title": "Ben-Hur (1959)", "actor": "Heston, Charlton"},
              {"title": "Crash (1996)", "actor": "Koteas, Elias"}, {"title": "Crash (2004)", "actor": "Bullock, Sandra"},
              {"title": "Bambi (1942)", "actor": "Lee, Margaret"}]
    rows = rows_a + rows_b
    spec = parse_spec(MOVIES)
    return build_records(spec, rows, ["a"] * len(rows_a) + ["b"] * len(rows_b), [str(i) for i in range(len(rows))])


def _same_table(rec, left, right) -> list[tuple[int, int]]:
    return [(a, b) for a, b in zip(left.tolist(), right.tolist(), strict=True) if rec.source[a] == rec.source[b]]


def test_linking_neighbour_search_pairs_no_identical_texts_of_one_table():
    """Identical texts are searched once and their copies inherit the neighbours; when linking, a
    copy was also paired with its representative: a same-table candidate that the 1:1 step then
    matched, using up both records (a 'Ben Hur' of IMDb 'matched' to the other 'Ben Hur' of IMDb)."""
    rec = _movies()
    vecs = TrigramEmbedder().embed(rec.embed_text)
    left, right = knn_pairs(vecs, rec, 2, cross_only=True, texts=rec.embed_text)
    assert left.size > 0 and _same_table(rec, left, right) == []
    # both copies still reach the other table: the copy inherits its representative's neighbours
    assert {rec.source[b] for a, b in zip(left.tolist(), right.tolist(), strict=True) if a == 1} == {"b"}
    # in a dedup the copies stay joined to their representative
    dl, dr = knn_pairs(vecs, rec, 2, cross_only=False, texts=rec.embed_text)
    assert (1, 0) in set(zip(dl.tolist(), dr.tolist(), strict=True))


def test_linking_block_returns_cross_table_pairs_only_and_keeps_the_true_ones():
    rec = _movies()
    cands = block(rec, TrigramEmbedder().embed(rec.embed_text), 2, cross_only=True)
    assert _same_table(rec, cands.left, cands.right) == []
    pairs = cands.pair_set()
    for i in range(5):
        assert (i, i + 5) in pairs


def test_linkage_matches_each_film_once_across_tables():
    rec = _movies()
    res = resolve_records(rec, embedder=TrigramEmbedder(), link=True, mode="one-to-one")
    lab = res.labels
    assert lab[0] != lab[1] and lab[2] != lab[3]  # two films that share a title are never one record
    same = _same_table(rec, res.candidates.left, res.candidates.right)
    assert same == []


def _restaurants():
    """'new york' three times in a with nothing else known (a city, not a restaurant), one real
    restaurant in a; b has restaurants with a phone."""
    spec = parse_spec({"fields": [{"name": "name", "type": "organisation"}, {"name": "phone", "type": "phone"}]})
    rows_a = [{"name": "new york", "phone": None}, {"name": "new york", "phone": None}, {"name": "new york", "phone": None},
              {"name": "lulu", "phone": "415-495-5775"}, {"name": "lulu", "phone": "415-495-5775"}]
    rows_b = [{"name": "new york noodletown", "phone": "212-349-0923"}, {"name": "lulu", "phone": "415/495-5775"},
              {"name": "new york deli", "phone": "212-555-0101"}]
    rows = rows_a + rows_b
    return build_records(spec, rows, ["a"] * len(rows_a) + ["b"] * len(rows_b), [str(i) for i in range(len(rows))])


def test_bare_twins_are_counted_per_table_and_full_twins_are_not():
    rec = _restaurants()
    # the three bare 'new york' records are twins of each other; the two 'lulu' records carry a
    # phone too, so they are ordinary twins (matched as one record), not bare ones
    assert bare_twin_counts(rec).tolist() == [3, 3, 3, 1, 1, 1, 1, 1]
    assert twin_groups(rec).tolist() == [0, 1, 2, 3, 3, 5, 6, 7]


def test_a_bare_twin_shares_its_posterior_and_is_left_unlinked():
    rec = _restaurants()
    left = np.array([0, 1, 2, 3, 4])
    right = np.array([5, 7, 5, 6, 6])
    prob = np.array([0.9, 0.9, 0.9, 0.99, 0.99])
    shared, n_bare = share_among_bare_twins(rec, left, right, prob)
    assert n_bare == 3
    assert np.allclose(shared, [0.3, 0.3, 0.3, 0.99, 0.99])
    labels = one_to_one(len(rec), left, right, shared, 0.5, group=twin_groups(rec))
    assert labels[0] == 0 and labels[1] == 1 and labels[2] == 2  # no 'new york' takes a partner by list order
    assert labels[5] == 5 and labels[7] == 7
    assert labels[3] == labels[4] == labels[6]  # the real restaurant (and its full twin) still links
    untouched, none = share_among_bare_twins(rec, np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))
    assert untouched.size == 0 and none == 3


def test_one_field_specs_have_no_bare_twins():
    spec = parse_spec({"fields": [{"name": "title", "type": "name"}]})
    rec = build_records(spec, [{"title": "Editorial"}, {"title": "Editorial"}, {"title": "Editorial"}], ["a", "a", "b"],
                        ["1", "2", "3"])
    assert bare_twin_counts(rec).tolist() == [1, 1, 1]


def test_resolve_reports_the_bare_twins_it_shared_posteriors_among():
    rec = _restaurants()
    res = resolve_records(rec, embedder=TrigramEmbedder(), link=True, mode="one-to-one")
    assert res.model["ambiguous_records"] == 3
    lab = res.labels
    assert len({lab[0], lab[1], lab[2]}) == 3  # the bare twins never end up as one record
    assert lab[3] == lab[6]

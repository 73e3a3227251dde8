"""Session 5 of entity resolution: person keys that survive escapes, accents and transliterated
given names; a two-table search that serves both directions from one exact pass; the sampled
n-gram projection; correlation clustering restricted to positive components (same result); the
1:1 step's tie-break among equal probabilities."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse

from matrix.resolve import blocking
from matrix.resolve.blocking import _topk_both_ways, knn_pairs, person_blocking_keys, person_pool_pairs
from matrix.resolve.clustering import _greedy_contraction, correlation_clusters, one_to_one
from matrix.resolve.engine import pair_cosines
from matrix.resolve.prepare import build_records, fold_text, person_family_key, person_name_keys
from matrix.resolve.spec import parse_spec


def test_fold_text_decodes_escapes_and_drops_accents_but_leaves_model_numbers():
    assert fold_text("Franu00E7ois Truffaut") == "Francois Truffaut"  # a bare escape left by an export
    assert fold_text(r"Jos\u00E9") == "Jose"  # a literal backslash escape
    assert fold_text("Splettstu00F6u00DFer") == "Splettstoßer"
    assert fold_text("Café Ñandú") == "Cafe Nandu"
    assert fold_text("Tru1080p Processing") == "Tru1080p Processing"  # not a Latin letter: kept
    assert fold_text("plain ascii") == "plain ascii"


def test_person_keys_agree_across_escapes_and_accents():
    assert person_name_keys("Franu00E7ois Truffaut") == person_name_keys("Truffaut, François") \
        == frozenset({"francois truffaut"})


def test_family_key_joins_spellings_of_a_given_name_and_skips_cells_with_many_people():
    assert person_family_key("Dovzhenko, Aleksandr") == person_family_key("Alexander Dovzhenko") == "dovzhenko a"
    assert person_name_keys("Dovzhenko, Aleksandr").isdisjoint(person_name_keys("Alexander Dovzhenko"))
    assert person_family_key("Kobayashi, Masaki (I)") == "kobayashi m"
    assert person_family_key("Reema") is None  # one word: already its own word key
    assert person_family_key("Suzanna Love Donald Pleasence Robert Walker") is None  # several people
    assert person_family_key("Bart, Jean, Webster") is None
    assert person_family_key(None) is None and person_family_key(float("nan")) is None
    keys = person_blocking_keys("Alexander Dovzhenko")
    assert "~dovzhenko a" in keys and "alexander dovzhenko" in keys


FILM_SPEC = {
    "files": {"a.csv": {"columns": {"director": None}}, "b.csv": {"columns": {"writer": None}}},
    "fields": [{"name": "title", "type": "name"}, {"name": "writer", "type": "person"},
               {"name": "director", "type": "person"}],
}


def test_person_pool_links_a_transliterated_name_filed_under_another_role():
    """a0 (no title) names its writer 'Alexander Dovzhenko'; b0's director is 'Dovzhenko,
    Aleksandr'. No word pair is shared; the family key links them, and only them."""
    a = [{"title": None, "writer": "Alexander Dovzhenko"}, {"title": "Red Sky", "writer": "Ivo Marsh"},
         {"title": "Blue", "writer": "Dana Dovzhenko"}]
    b = [{"title": "Zemlya (1930)", "director": "Dovzhenko, Aleksandr"}, {"title": "Night (1971)", "director": "Moe, Kai"},
         {"title": "Earth (1931)", "director": "Dovzhenko, Aleksandr"}]
    rec = build_records(parse_spec(FILM_SPEC), a + b, ["a.csv"] * 3 + ["b.csv"] * 3,
                        ["a0", "a1", "a2", "b0", "b1", "b2"])
    pairs = {tuple(sorted(p)) for p in zip(*person_pool_pairs(rec, budget=4, found=np.zeros(0, np.int64),
                                                              cross_only=True), strict=True)}
    assert (0, 3) in pairs and (0, 5) in pairs
    assert not any(2 in p for p in pairs)  # 'Dana Dovzhenko': another initial, no key shared


def _brute(a: np.ndarray, b: np.ndarray, k: int) -> tuple[set, set]:
    sims = (a @ b.T).toarray() if sparse.issparse(a) else a @ b.T
    rows = {(i, int(j)) for i in range(sims.shape[0]) for j in np.argsort(-sims[i], kind="stable")[:k] if sims[i, j] > 0}
    cols = {(int(j), i) for j in range(sims.shape[1]) for i in np.argsort(-sims[:, j], kind="stable")[:k]
            if sims[i, j] > 0}
    return rows, cols


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_one_pass_gives_the_exact_top_k_in_both_directions(seed):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((1300, 6)).astype(np.float32)  # more rows than one chunk (512)
    b = rng.standard_normal((70, 6)).astype(np.float32)
    (al, ar), (bl, br) = _topk_both_ways(a, b, 4, np.arange(1300), np.arange(70))
    rows, cols = _brute(a, b, 4)
    assert set(zip(al.tolist(), ar.tolist(), strict=True)) == rows
    assert set(zip(bl.tolist(), br.tolist(), strict=True)) == cols  # (b row, a row)


def test_one_pass_works_on_sparse_rows_and_drops_zero_similarity():
    texts_a = ["heart of gold", "cold water", "zzz", "heart of glass"]
    texts_b = ["heart of gold 1999", "qqq"]
    x = blocking.lexical_matrix(texts_a + texts_b)
    (al, ar), (bl, br) = _topk_both_ways(x[:4], x[4:], 2, np.arange(4), np.arange(4, 6))
    pairs = set(zip(al.tolist(), ar.tolist(), strict=True)) | set(zip(br.tolist(), bl.tolist(), strict=True))
    assert (0, 4) in pairs
    assert not any(5 in p for p in pairs) and not any(2 in p for p in pairs)  # nothing in common: no pair


def test_linkage_search_is_exact_both_ways_even_above_the_ann_size(monkeypatch):
    """The larger table is above the brute-force limit, the smaller below: one exact pass serves
    both directions (before, the larger side was searched approximately)."""
    monkeypatch.setattr(blocking, "ANN_MIN_TARGETS", 100)
    rng = np.random.default_rng(3)
    n_a, n_b = 400, 60
    vecs = rng.standard_normal((n_a + n_b, 8)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    spec = parse_spec({"fields": [{"name": "t", "type": "name"}]})
    rec = build_records(spec, [{"t": f"x{i}"} for i in range(n_a + n_b)], ["a"] * n_a + ["b"] * n_b,
                        [str(i) for i in range(n_a + n_b)])
    left, right = knn_pairs(vecs, rec, 3, cross_only=True)
    got = {tuple(sorted(p)) for p in zip(left.tolist(), right.tolist(), strict=True)}
    rows, cols = _brute(vecs[:n_a], vecs[n_a:], 3)
    want = {(i, j + n_a) for i, j in rows} | {(i, j + n_a) for j, i in cols}
    assert got == want


def test_sampled_projection_keeps_shape_and_unit_rows(monkeypatch):
    monkeypatch.setattr(blocking, "LEXICAL_SVD_SAMPLE", 50)
    monkeypatch.setattr(blocking, "LEXICAL_SVD_DIM", 8)
    texts = [f"title number {i} {'abc'[i % 3]}x{i % 7}" for i in range(200)]
    x = blocking._dense_for_ann(blocking.lexical_matrix(texts))
    assert x.shape == (200, 8) and x.dtype == np.float32
    assert np.allclose(np.linalg.norm(x, axis=1), 1.0, atol=1e-4)


@pytest.mark.parametrize("seed", range(5))
def test_clustering_on_positive_components_equals_the_full_contraction(seed):
    rng = np.random.default_rng(seed)
    for _ in range(40):
        n, m = int(rng.integers(2, 60)), int(rng.integers(1, 200))
        left, right = rng.integers(0, n, m), rng.integers(0, n, m)
        w = rng.normal(-0.5, 2.0, m)
        exclusive = [None if rng.random() < 0.6 else int(rng.integers(0, 3)) for _ in range(n)]
        anchors = rng.random(n) < 0.1
        assert (correlation_clusters(n, left, right, w, anchors, exclusive)
                == _greedy_contraction(n, left, right, w, anchors, exclusive)).all()
    assert (correlation_clusters(3, np.array([0]), np.array([1]), np.array([-1.0])) == [0, 1, 2]).all()


def test_one_to_one_breaks_ties_by_the_tiebreak_not_input_order():
    # record 0 ties with 1 and 2 at one probability; 2 is the closer one
    left, right = np.array([0, 0]), np.array([1, 2])
    prob = np.array([0.9, 0.9])
    assert one_to_one(3, left, right, prob, 0.5).tolist() == [0, 0, 2]  # input order
    assert one_to_one(3, left, right, prob, 0.5, tiebreak=np.array([0.2, 0.8])).tolist() == [0, 1, 0]
    # a higher probability still wins over any tie-break
    assert one_to_one(3, left, right, np.array([0.95, 0.9]), 0.5, tiebreak=np.array([0.0, 1.0])).tolist() == [0, 0, 2]


def test_pair_cosines_only_for_selected_pairs():
    v = np.array([[1, 0], [0.6, 0.8], [0, 1]], np.float32)
    out = pair_cosines(v, np.array([0, 0, 1]), np.array([1, 2, 2]), np.array([True, False, True]))
    assert np.allclose(out, [0.6, 0.0, 0.8])
    assert pair_cosines(None, np.array([0]), np.array([1]), np.array([True])) is None

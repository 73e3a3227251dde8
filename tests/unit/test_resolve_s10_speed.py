"""Session 10 speed work on resolution after embedding: every fast path must give exactly what the
per-pair reference gives (levels, n-gram matrices, neighbours, clusters), so the figures of a
resolution cannot move with it."""

from __future__ import annotations

import itertools
from collections import Counter

import numpy as np
import pytest
from rapidfuzz import fuzz
from sklearn.feature_extraction.text import TfidfVectorizer

from matrix.resolve import blocking, clustering, prepare
from matrix.resolve.prepare import build_records, person_name_keys
from matrix.resolve.scoring import (
    _CUTS,
    TYPED_LEVELS,
    _levels_from_sim,
    compare,
    comparisons,
    distinct_patterns,
    leveled,
)
from matrix.resolve.spec import parse_spec

PERSONS = ["John Smith", "J. Smith", "Smith, John", "Jon Smith", "Johnny Smith", "Smith", "John", "Mary Smith",
           "smith john", "John A. Smith", "A Smith", "Smith Smith", "Smith J", "Jo Smyth", "Bill Gates", "William Gates",
           "W Gates", "Gates", None, "Dr. John Smith Jr.", "Ann-Marie O'Neil", "O'Neil Ann", "Lee", "Lee Lee", "Lee Ann",
           "Ann Lee", "x", "Smith, J.", "Jonathan Smithe", "Smithe Jonathan", "j smith", "Mark Smith"]
ADDRESSES = ["12 Main St", "12 Main Street Apt 4", "12 main street apt 5", "14 Main St", "Main Street", "12",
             "12 14 Main St", "#4 12 Main", "Unit 4 12 Main St", "12 Oak Ave", "12 Oak Avenue", None, "12 Main St Apt",
             "12a Main St", "12-14 Main St.", "Main St Apt 4", "Mains Street", "12 Maine St", "apt 4"]
DATES = ["1990-01-02", "1990-02-01", "1990-01-20", "1991-01-02", "1990-01-01", "1990", "1989-12-31", "2090-01-02",
         "19900102", "1990-1-2", "1990-10-20", "1990-12-10", "1900-01-02", "1990-03-04", None, "1990-01-03",
         "1990-01-12", "1990-01-21", "0990-01-02", "1999-01-02"]
PHONES = ["212-677-0606", "(212) 677 0606", "718-677-0606", "677-0606", "212-555-0199", "+1 212 677 0606", "06060",
          None, "+44 20 7946 0958", "020 7946 0958", "555-0199"]


def _all_pairs(n: int) -> tuple[np.ndarray, np.ndarray]:
    pairs = np.array(list(itertools.combinations(range(n), 2)), dtype=np.int64)
    return pairs[:, 0], pairs[:, 1]


@pytest.mark.parametrize("ftype, values", [("person", PERSONS), ("address", ADDRESSES), ("date", DATES),
                                           ("phone", PHONES)])
def test_typed_comparisons_equal_the_per_pair_levels(ftype: str, values: list) -> None:
    spec = parse_spec({"fields": [{"name": "v", "type": ftype}]})
    rec = build_records(spec, [{"v": v} for v in values], ["a"] * len(values), [str(i) for i in range(len(values))])
    left, right = _all_pairs(len(values))
    left, right = np.concatenate([left, right]), np.concatenate([right, left])  # both orders
    comp = comparisons(rec, False)[0]
    fast = comp.compute(rec, left, right, None)
    reference = leveled("v", TYPED_LEVELS[ftype]())(rec, left, right, None)
    assert fast.tolist() == reference.tolist()
    assert len(set(fast.tolist())) >= 4  # the values reach most levels: the check has teeth


@pytest.mark.parametrize("ftype", ["name", "text", "categorical", "identifier", "organisation"])
def test_string_comparison_with_score_cutoff_equals_scalar_scores(ftype: str) -> None:
    values = ["Acme Corp", "ACME Inc", "Acme Corporation", "Acme", "Acne Corp", "Zebra Paints", "Zebra Paint Co",
              None, "acme corp ltd", "AC-123", "ac123", "ac 124", "The Acme Company", "Paints Zebra", "z"]
    spec = parse_spec({"fields": [{"name": "v", "type": ftype}]})
    rec = build_records(spec, [{"v": v} for v in values], ["a"] * len(values), [str(i) for i in range(len(values))])
    left, right = _all_pairs(len(values))
    got = comparisons(rec, False)[0].compute(rec, left, right, None)
    kind = "name" if ftype == "organisation" else ftype
    scorer = fuzz.token_set_ratio if kind in ("name", "text") else fuzz.ratio
    limit = 300 if kind == "text" else 200
    vals, keys = rec.values["v"], rec.keys.get("v") if kind == "name" else None
    sim = np.array([scorer((vals[i] or "")[:limit], (vals[j] or "")[:limit]) for i, j in zip(left, right, strict=True)],
                   dtype=np.float32)
    if keys is not None:
        sim[[keys[i] is not None and keys[i] == keys[j] for i, j in zip(left, right, strict=True)]] = 100.0
    want = _levels_from_sim(sim, _CUTS[kind])
    want[[vals[i] is None or vals[j] is None for i, j in zip(left, right, strict=True)]] = -1
    assert got.tolist() == want.tolist()


def _people_reference(rec, fields: list[str], left, right) -> list[int]:
    """The per-pair loop the vectorized `people` comparison replaced (session 9)."""
    per = [[(k, person_name_keys(rec.raw[f][i])) for k, f in enumerate(fields)] for i in range(len(rec))]
    rows = [[(k, ks) for k, ks in row if ks] for row in per]
    df = Counter(key for row in rows for key in frozenset().union(*(ks for _, ks in row)))
    out = []
    for i, j in zip(left.tolist(), right.tolist(), strict=True):
        best = 3
        for fa, ka in rows[i]:
            for fb, kb in rows[j]:
                if fa != fb:
                    shared = ka & kb
                    best = min(best, (0 if min(df[x] for x in shared) <= 2 else 1) if shared else 2)
        out.append(-1 if best == 3 else best)
    return out


def test_people_comparison_equals_the_per_pair_loop() -> None:
    rng = np.random.default_rng(3)
    names = ["Ken Tipton", "Tipton, Ken", "Keanu Reeves", "Reeves, Keanu", "Jean Bart, M. Coates Webster", "Matahi",
             "Bill Gates", "William Gates", None, "Ann Lee", "Lee, Ann", "John Smith", "Smith John", "Mary Major"]
    fields = ["director", "writer", "actor"]
    rows = [{f: names[int(rng.integers(len(names)))] for f in fields} for _ in range(60)]
    # a name only two records carry, in different fields: the strongest level
    rows += [{"director": "Zed Quux", "writer": None, "actor": "Ann Lee"}, {"director": None, "writer": "Quux, Zed",
                                                                          "actor": None}]
    spec = parse_spec({"fields": [{"name": f, "type": "person"} for f in fields]})
    rec = build_records(spec, rows, ["a"] * len(rows), [str(i) for i in range(len(rows))])
    comp = next(c for c in comparisons(rec, False) if c.name == "people")
    left, right = _all_pairs(len(rows))
    got = comp.compute(rec, left, right, None).tolist()
    assert got == _people_reference(rec, fields, left, right)
    assert {0, 1, 2} <= set(got)


def test_distinct_patterns_equal_numpy_unique_rows() -> None:
    rng = np.random.default_rng(0)
    for _ in range(20):
        levels = rng.integers(-1, 6, size=(int(rng.integers(1, 2000)), int(rng.integers(1, 13)))).astype(np.int8)
        rows, counts = distinct_patterns(levels)
        want_rows, want_counts = np.unique(levels, axis=0, return_counts=True)
        assert np.array_equal(rows, want_rows) and np.array_equal(counts, want_counts.astype(np.float64))


def test_compare_on_real_shape_is_chunk_and_call_independent() -> None:
    """Arrays precomputed per Records are reused across calls and chunks: two calls, and a call on a
    new Records object with other values, each give what a fresh comparison gives."""
    spec = parse_spec({"fields": [{"name": "n", "type": "person"}, {"name": "d", "type": "date"},
                                  {"name": "a", "type": "address"}]})
    mk = lambda rows: build_records(spec, rows, ["a"] * len(rows), [str(i) for i in range(len(rows))])  # noqa: E731
    one = mk([{"n": p, "d": d, "a": a} for p, d, a in zip(PERSONS[:15], DATES[:15], ADDRESSES[:15], strict=True)])
    two = mk([{"n": p, "d": d, "a": a} for p, d, a in zip(PERSONS[15:30], DATES[5:20], ADDRESSES[4:19], strict=True)])
    comps = comparisons(one, False)
    left, right = _all_pairs(15)
    a1, b1 = compare(one, comps, left, right, None), compare(two, comps, left, right, None)
    assert np.array_equal(compare(one, comps, left, right, None), a1)
    assert np.array_equal(b1, compare(two, comparisons(two, False), left, right, None))


def test_lexical_matrix_equals_sklearn_char_wb() -> None:
    texts = ["Ab  cd", "x", "ÄÖ über straße", "a\tb\nc", " lead trail ", "İstanbul", "the quick brown", "",
             "1 2 3", "John Smith", "john smith", "JOHN  SMITH ", "Jon Smyth"]
    blocking._LEXICAL_CACHE.clear()
    got = blocking.lexical_matrix(texts)
    want = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 3), sublinear_tf=True, dtype=np.float32,
                           min_df=1).fit_transform(texts).tocsr()
    assert got.shape == want.shape
    assert np.array_equal(got.indptr, want.indptr) and np.array_equal(got.indices, want.indices)
    assert np.array_equal(got.data, want.data)
    assert blocking.lexical_matrix(list(texts)) is got  # same texts again: the kept matrix
    assert blocking.lexical_matrix(texts[:-1]) is not got


def test_threaded_neighbour_search_equals_one_thread(monkeypatch) -> None:
    rng = np.random.default_rng(1)
    texts = [" ".join(rng.choice(["anna", "ann", "anne", "berg", "berger", "borg", "carl", "karl", "kurt"], 2))
             for _ in range(1500)]
    blocking._LEXICAL_CACHE.clear()
    x = blocking.lexical_matrix(texts)
    idx = np.arange(x.shape[0])
    runs = []
    for threads in (1, 2):
        monkeypatch.setattr(blocking, "SEARCH_THREADS", threads)
        runs.append(blocking._topk_dense(x, x, 5, idx, idx, same=True))
        monkeypatch.setattr(blocking, "_CHUNK", 100)  # several chunks in the second run
    assert all(np.array_equal(a, b) for a, b in zip(runs[0], runs[1], strict=True))


def test_normalizing_each_distinct_value_once_keeps_types_apart() -> None:
    spec = parse_spec({"fields": [{"name": "v", "type": "name"}, {"name": "p", "type": "person"}]})
    f = spec.fields[0]
    column = ["1", 1, 1.0, True, "Acme", "Acme", None, float("nan")]
    assert prepare.normalize_column(f, column) == [prepare.normalize_value("name", v) for v in column]
    people = ["Smith, John", "Smith, John", None]
    out = prepare.normalize_column(spec.fields[1], people)
    assert out == [prepare.normalize_value("person", v) for v in people]


def test_smallest_member_labels_and_compacted_contraction() -> None:
    rng = np.random.default_rng(2)
    for _ in range(30):
        n = int(rng.integers(1, 200))
        parent = [i if i == 0 or rng.random() < 0.3 else int(rng.integers(0, i)) for i in range(n)]
        roots = []
        for i in range(n):
            r = i
            while parent[r] != r:
                r = parent[r]
            roots.append(r)
        first: dict[int, int] = {}
        want = [first.setdefault(r, i) for i, r in enumerate(roots)]
        assert clustering._smallest_member_labels(list(parent)).tolist() == want
        m = int(rng.integers(0, 3 * n))
        left, right = rng.integers(0, n, m), rng.integers(0, n, m)
        w = np.round(rng.normal(size=m), 1)  # rounded: ties in the heap
        exclusive = [None if rng.random() < 0.7 else int(rng.integers(0, 3)) for _ in range(n)]
        anchors = rng.random(n) < 0.05
        # the session-9 path: contraction over every record, on the edges of the positive components
        keep = clustering._positive_component_edges(n, left, right, w)
        before = clustering._greedy_contraction(n, left[keep], right[keep], w[keep], anchors, exclusive)
        assert clustering.correlation_clusters(n, left, right, w, anchors, exclusive).tolist() == before.tolist()


def test_twin_groups_and_bare_counts_are_kept_per_records_object() -> None:
    from matrix.resolve.engine import bare_twin_counts, twin_groups

    spec = parse_spec({"fields": [{"name": "n", "type": "name"}, {"name": "c", "type": "categorical"}]})
    rows = [{"n": "acme", "c": "x"}, {"n": "acme", "c": "x"}, {"n": "bolt"}, {"n": "bolt"}, {"n": "acme", "c": "y"}]
    one = build_records(spec, rows, ["a"] * 5, [str(i) for i in range(5)])
    assert twin_groups(one).tolist() == [0, 0, 2, 3, 4]
    assert bare_twin_counts(one).tolist() == [1, 1, 2, 2, 1]
    other = build_records(spec, rows[::-1], ["a"] * 5, [str(i) for i in range(5)])  # a new object: recomputed
    assert twin_groups(other).tolist() == [0, 1, 2, 3, 3]
    assert bare_twin_counts(other).tolist() == [1, 2, 2, 1, 1]
    twin_groups(one)[:] = -1  # callers get a copy: the kept arrays stay as they were
    assert twin_groups(one).tolist() == [0, 0, 2, 3, 4]


def test_derived_values_are_kept_per_records_object_and_never_pickled() -> None:
    import pickle
    import threading
    spec = parse_spec({"fields": [{"name": "n", "type": "name"}]})
    one = build_records(spec, [{"n": "acme"}, {"n": "acme"}, {"n": "beta"}], ["a"] * 3, ["0", "1", "2"])
    calls: list[int] = []

    def build(rec: prepare.Records) -> int:
        calls.append(len(rec))
        return len(rec)

    assert one.derived("n", build) == 3 and one.derived("n", build) == 3
    assert calls == [3]  # built once per object
    part = one.subset([0, 2])
    assert part.derived("n", build) == 2 and calls == [3, 2]  # a subset is a new object: its own values
    seen: list[int] = []  # two records objects read in threads each get their own value
    threads = [threading.Thread(target=lambda r=r: seen.append(r.derived("n", build))) for r in (one, part)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(seen) == [2, 3]
    one.derived("closure", lambda rec: (lambda: 1))  # a closure plain pickle cannot carry
    copy = pickle.loads(pickle.dumps(one))
    assert copy.values == one.values and copy.derived("n", build) == 3 and calls[-1] == 3

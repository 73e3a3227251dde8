"""Session 15: exact faster exact-key blocking (`blocking.key_pairs` by array operations:
`_key_groups`, `_group_pairs`) and lexical texts built column by column. Each fast path is checked
against the session-14 formula (kept here as the reference) on random records with key groups of
every size class: pairs of a small group, the three-hub star of a large name-key group, the most
name-similar partner in a large other-key group, cross-source and active filters."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pytest

import matrix.resolve.blocking as blocking
from matrix.resolve.prepare import as_text, build_records
from matrix.resolve.spec import parse_spec

FIELDS = [{"name": "title", "type": "name"}, {"name": "actor", "type": "person"},
          {"name": "code", "type": "identifier"}]


def _old_key_pairs(records, cross_only, max_group, active=None):
    """The session-14 `key_pairs`: one Python loop over the groups (`_all_or_star`)."""
    ls, rs = [], []
    src = records.source
    names: list = []

    def name_matrix():
        if not names:
            names.append(blocking.lexical_matrix(blocking.lexical_texts(records)))
        return names[0]

    parts = blocking._name_parts(records, blocking._lexical_fields(records))
    lead = set(parts[0]) if parts else set()
    source = blocking._source_codes(records) if cross_only else None
    for key, keys in blocking.blocking_keys(records).items():
        groups: dict[str, list[int]] = defaultdict(list)
        for i, k in enumerate(keys):
            if k:
                groups[k].append(i)
        by_name = any(part in lead for part in key.split("~"))
        for members in groups.values():
            if max_group < len(members) <= blocking.KEY_RANK_MAX and not by_name:
                a_, b_ = blocking._best_partners(np.asarray(members, np.int64), name_matrix(), source, active)
                ls.extend(a_.tolist())
                rs.extend(b_.tolist())
                continue
            blocking._all_or_star(members, max_group, src if cross_only else None, active, ls, rs)
    return np.asarray(ls, np.int64), np.asarray(rs, np.int64)


def _records(seed: int, n: int):
    rng = np.random.default_rng(seed)
    titles = [f"film {w}" for w in ("heat", "ran", "alien", "up", "jaws", "big")]
    actors = [f"{g} {f}" for g in ("al", "bo", "cy") for f in ("pacino", "day", "lee", "kim")]
    codes = [f"c{i}" for i in range(40)]
    rows = []
    for _ in range(n):
        rows.append({"title": titles[rng.integers(len(titles))] if rng.random() < 0.8 else None,
                     # a few very common actors: groups above max_group, ranked by name
                     "actor": actors[min(rng.geometric(0.25) - 1, len(actors) - 1)] if rng.random() < 0.9 else "",
                     "code": codes[rng.integers(1 + rng.integers(len(codes)))] if rng.random() < 0.7 else None})
    spec = parse_spec({"fields": FIELDS})
    sources = ["a.csv" if rng.random() < 0.5 else "b.csv" for _ in rows]
    return build_records(spec, rows, sources, [str(i) for i in range(n)])


def _pair_set(lp, r, n):
    return blocking._canonical(np.asarray(lp), np.asarray(r), n).tolist()


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("max_group", [1, 2, 3, 8])
def test_key_pairs_match_the_loop(seed, max_group):
    rec = _records(seed, 60 + 25 * seed)
    n = len(rec)
    active = np.random.default_rng(seed).random(n) < 0.3
    for cross in (False, True):
        for act in (None, active):
            new = blocking.key_pairs(rec, cross, max_group, act)
            old = _old_key_pairs(rec, cross, max_group, act)
            assert _pair_set(*new, n) == _pair_set(*old, n)
            assert new[0].dtype == np.int64 and new[1].dtype == np.int64


def test_key_groups_and_group_pairs_by_hand():
    order, starts, sizes = blocking._key_groups(["x", None, "y", "x", "", "x", "y", "z"])
    assert order.tolist() == [0, 3, 5, 2, 6, 7] and starts.tolist() == [0, 3, 5] and sizes.tolist() == [3, 2, 1]
    use = np.array([True, True, True])
    lp, r = blocking._group_pairs(order, starts, sizes, use, max_group=3)
    assert sorted(zip(lp.tolist(), r.tolist())) == [(0, 3), (0, 5), (2, 6), (3, 5)]
    # max_group 1: every group is "large": a star on its first three records (here: all of them)
    lp, r = blocking._group_pairs(order, starts, sizes, use, max_group=1)
    assert sorted(zip(lp.tolist(), r.tolist())) == [(0, 3), (0, 5), (2, 6), (3, 5)]
    lp, r = blocking._group_pairs(order, starts, sizes, np.array([False, True, True]), max_group=3)
    assert list(zip(lp.tolist(), r.tolist())) == [(2, 6)]
    big = [str(i % 2) for i in range(12)]  # two groups of six: a star on the first three of each
    order, starts, sizes = blocking._key_groups(big)
    lp, r = blocking._group_pairs(order, starts, sizes, np.array([True, True]), max_group=4)
    assert len(set(zip(lp.tolist(), r.tolist()))) == 2 * (5 + 4 + 3)
    assert set(lp.tolist()) == {0, 2, 4, 1, 3, 5}


def test_key_groups_empty():
    order, starts, sizes = blocking._key_groups([None, ""])
    assert order.size == starts.size == sizes.size == 0
    lp, r = blocking._group_pairs(order, starts, sizes, np.zeros(0, bool), 8)
    assert lp.size == r.size == 0


@pytest.mark.parametrize("seed", range(3))
def test_lexical_texts_match_the_cell_loop(seed):
    rec = _records(seed, 50)
    cols = blocking._lexical_fields(rec)
    old = [" ".join(t for c in cols if (t := as_text(rec.values[c][i]))) or "\x00" for i in range(len(rec))]
    assert blocking.lexical_texts(rec) == old


def test_lexical_texts_without_lexical_fields():
    spec = parse_spec({"fields": [{"name": "price", "type": "number"}]})
    rec = build_records(spec, [{"price": 1}, {"price": 2}], ["a.csv", "a.csv"], ["0", "1"])
    assert blocking.lexical_texts(rec) == ["\x00", "\x00"]


@pytest.mark.parametrize("docs", [
    ["ΟΔΟΣ ΑΘΗΝΑΣ", "ΣΑΣ", "Σ", "ΑΣ'", "'Σ ΑΣ", "straße ÉCOLE", "a\x02b ΑΣ"],  # final sigma; the separator inside
    ["", "  ", "x"], ["ONE"], [], ["\t\n", "Mixed Case\u00a0Words  here"],
])
def test_lower_words_equals_per_document_split(docs):
    words, per_doc = blocking._lower_words(docs)
    ref = [d.lower().split() for d in docs]
    assert words == [w for ws in ref for w in ws]
    assert per_doc.tolist() == [len(ws) for ws in ref]


def test_trigram_tfidf_equals_sklearn_on_greek_and_separator_texts():
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = ["ΟΔΟΣ ΑΘΗΝΑΣ", "οδος αθηνας", "ΣΑΣ ΑΣ'", "a\x02b", "Film Heat", "film heat", "", "ΑΣ"]
    kw = dict(analyzer=blocking._char_wb_trigrams, sublinear_tf=True, dtype=np.float32, min_df=1)
    ref, fast = TfidfVectorizer(**kw), blocking._TrigramTfidf(**kw)
    a, b = ref.fit_transform(texts), fast.fit_transform(texts)
    assert list(ref.vocabulary_.items()) == list(fast.vocabulary_.items())
    for f in ("indptr", "indices", "data"):
        assert np.array_equal(getattr(a, f), getattr(b, f))
    texts.remove("a\x02b")  # the joined-string path (no separator in any text)
    a, b = TfidfVectorizer(**kw).fit_transform(texts), blocking._TrigramTfidf(**kw).fit_transform(texts)
    for f in ("indptr", "indices", "data"):
        assert np.array_equal(getattr(a, f), getattr(b, f))


def test_trigram_numbering_by_hand():
    vocab, terms, lens = blocking._trigram_numbering(["ab", "b"])
    assert list(vocab) == [" ab", "ab ", " b ", ] and terms.tolist() == [0, 1, 2] and lens.tolist() == [2, 1]

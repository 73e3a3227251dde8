"""Session 13: fast paths after embedding give what the straightforward formulas give, bit for bit.

Each test builds the result the old, plain way (written out here) and through the fast path, on
random inputs, and requires identical arrays (values, index order, dtypes), not merely close ones:
the candidate pairs, scores and clusters downstream must not move.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

from matrix.resolve import blocking, prepare, scoring
from matrix.resolve import fieldtypes as ft
from matrix.resolve.prepare import build_records
from matrix.resolve.spec import parse_spec

WORDS = ["anne", "Mia", "oskar", "PIA", "ken", "sam", "ola", "ivo", "éva", "tor", "per", "kai", "lena", "jon",
         "x", "ab", "Σσς", "İstanbul", "straße", "a-b", "o'neil", "\x00", "1984", "ii"]


def _random_texts(rng: np.random.Generator, n: int) -> list[str]:
    texts = []
    for _ in range(n):
        k = int(rng.integers(0, 6))
        seps = [" ", "  ", "\t", "\n", " \u00a0"]
        texts.append("".join(WORDS[int(rng.integers(len(WORDS)))] + seps[int(rng.integers(len(seps)))]
                             for _ in range(k)))
    texts += [texts[int(i)] for i in rng.integers(0, len(texts), len(texts) // 3)]  # repeated documents
    rng.shuffle(texts)
    return texts


def _same_csr(a, b) -> None:
    assert type(a) is type(b)
    assert a.shape == b.shape
    for f in ("indptr", "indices", "data"):
        x, y = getattr(a, f), getattr(b, f)
        assert x.dtype == y.dtype, f
        assert np.array_equal(x, y), f


# --- TF-IDF counting ------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", range(12))
def test_trigram_tfidf_equals_sklearn(seed: int) -> None:
    rng = np.random.default_rng(seed)
    texts = _random_texts(rng, int(rng.integers(1, 300)))
    if not any(t.split() for t in texts):
        texts.append("anne")
    kw = dict(analyzer=blocking._char_wb_trigrams, sublinear_tf=True, dtype=np.float32, min_df=1)
    ref = TfidfVectorizer(**kw)
    fast = blocking._TrigramTfidf(**kw)
    _same_csr(ref.fit_transform(texts), fast.fit_transform(texts))
    assert list(ref.vocabulary_.items()) == list(fast.vocabulary_.items())
    assert np.array_equal(ref.idf_, fast.idf_)


def test_trigram_tfidf_counts_equal_sklearn_counts() -> None:
    """The counting step alone (before idf): same vocabulary numbering and raw count matrix."""
    from sklearn.feature_extraction.text import CountVectorizer

    rng = np.random.default_rng(99)
    texts = _random_texts(rng, 400)
    ref_vocab, ref_x = CountVectorizer(analyzer=blocking._char_wb_trigrams, dtype=np.float32)._count_vocab(texts, False)
    vocab, x = blocking._TrigramTfidf(analyzer=blocking._char_wb_trigrams, dtype=np.float32)._count_vocab(texts, False)
    assert list(ref_vocab.items()) == list(vocab.items())
    _same_csr(ref_x, x)


def test_trigram_tfidf_empty_vocabulary_raises_like_sklearn() -> None:
    kw = dict(analyzer=blocking._char_wb_trigrams, sublinear_tf=True, dtype=np.float32, min_df=1)
    with pytest.raises(ValueError, match="empty vocabulary"):
        TfidfVectorizer(**kw).fit_transform(["", "  "])
    with pytest.raises(ValueError, match="empty vocabulary"):
        blocking._TrigramTfidf(**kw).fit_transform(["", "  "])


def test_trigram_tfidf_other_analyzer_falls_back_to_sklearn() -> None:
    texts = ["ab cd", "cd ef", "ab"]
    kw = dict(analyzer="char_wb", ngram_range=(2, 2), sublinear_tf=True, dtype=np.float32)
    _same_csr(TfidfVectorizer(**kw).fit_transform(texts), blocking._TrigramTfidf(**kw).fit_transform(texts))


def test_lexical_matrix_equals_plain_tfidf() -> None:
    rng = np.random.default_rng(5)
    texts = _random_texts(rng, 500)
    blocking._LEXICAL_CACHE.clear()
    ref = TfidfVectorizer(analyzer=blocking._char_wb_trigrams, sublinear_tf=True, dtype=np.float32,
                          min_df=1).fit_transform(texts).tocsr()
    _same_csr(ref, blocking.lexical_matrix(texts))


# --- person keys ------------------------------------------------------------------------------------
def _old_person_name_keys(raw: str) -> frozenset[str]:
    p = prepare.process(prepare._BRACKETED.sub(" ", prepare.fold_text(raw)))
    if not p:
        return frozenset()
    toks = [ft.NICKNAMES.get(t, t) for t in p.split() if len(t) > 1 and t not in prepare._NAME_TITLES]
    if len(toks) == 1:
        return frozenset(toks)
    window = len(toks) if len(toks) <= 4 else prepare.PERSON_KEY_WINDOW
    return frozenset(" ".join(sorted((toks[i], toks[j])))
                     for i in range(len(toks)) for j in range(i + 1, min(len(toks), i + 1 + window))
                     if toks[i] != toks[j])


def _old_person_family_key(raw: str) -> str | None:
    text = prepare.fold_text(raw)
    words = (prepare.process(prepare._BRACKETED.sub(" ", text)) or "").split()
    if not 2 <= len(words) <= 4 or text.count(",") > 1:
        return None
    p = ft.person(text)
    if p is None or not p.given or len(p.family) < 3:
        return None
    return f"{p.family} {p.given[0][0]}"


FIRST = ["Anne", "Mia", "Oskar", "Pia", "Ken", "Bill", "Ola", "Ivo", "Éva", "Franu00E7ois", "J.", "Dr", "Kai"]
LAST = ["Ramsay", "Torres", "Lind", "Holm", "Tipton", "Reed", "Bergström", "Marsh", "Ny", "Dahl (I)", "Falk", "Moe"]


def _person(rng: np.random.Generator) -> str:
    f, last = FIRST[int(rng.integers(len(FIRST)))], LAST[int(rng.integers(len(LAST)))]
    return f"{last}, {f}" if rng.random() < 0.3 else f"{f} {last}"


def _cell(rng: np.random.Generator) -> str:
    k = int(rng.integers(0, 6))
    return ", ".join(_person(rng) for _ in range(k)) if rng.random() < 0.5 else "  ".join(_person(rng) for _ in range(k))


def test_person_keys_equal_the_plain_formulas() -> None:
    rng = np.random.default_rng(11)
    cells = [_cell(rng) for _ in range(600)] + ["", "(I)", "Cher", "Smith, John, Jr", "u00E9mile Zola"]
    prepare._person_name_keys.cache_clear()
    prepare._person_family_key.cache_clear()
    prepare._folded_words.cache_clear()
    for c in cells:
        assert prepare.person_name_keys(c) == _old_person_name_keys(c), c
        assert prepare.person_family_key(c) == _old_person_family_key(c), c


SPEC = {"fields": [{"name": "title", "type": "name"}, {"name": "actors", "type": "person"},
                   {"name": "director", "type": "person"}, {"name": "writer", "type": "person"}]}


def _films(rng: np.random.Generator, n: int):
    rows = [{"title": f"Film {i}", "actors": _cell(rng) if rng.random() < 0.8 else None,
             "director": _person(rng) if rng.random() < 0.7 else None,
             "writer": _person(rng) if rng.random() < 0.3 else ""} for i in range(n)]
    sources = ["a.csv" if i < n // 2 else "b.csv" for i in range(n)]
    return build_records(parse_spec(SPEC), rows, sources, [str(i) for i in range(n)])


def _old_person_key_matrix(records, max_records: int = blocking.PERSON_KEY_MAX_RECORDS):
    """`person_key_matrix` as session 12 wrote it: a loop over records, sorted keys, one at a time."""
    fields = blocking.person_fields(records)
    vocab: dict[str, int] = {}
    rows: list[int] = []
    cols: list[int] = []
    for i in range(len(records)):
        keys = frozenset().union(*(blocking.person_blocking_keys(records.raw[f][i]) for f in fields))
        for key in sorted(keys):
            rows.append(i)
            cols.append(vocab.setdefault(key, len(vocab)))
    if not cols:
        return None
    x = sparse.csr_matrix((np.ones(len(cols), np.float32), (rows, cols)), shape=(len(records), len(vocab)))
    df = np.bincount(np.asarray(cols), minlength=len(vocab))
    weight = np.where((df >= 2) & (df <= max_records), np.log(len(records) / np.maximum(df, 1)), 0.0).astype(np.float32)
    x = (x @ sparse.diags(weight)).tocsr()
    x.eliminate_zeros()
    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1))).ravel()
    return (sparse.diags(1.0 / np.where(norms == 0, 1.0, norms)) @ x).tocsr()


@pytest.mark.parametrize("seed", range(4))
def test_person_key_matrix_equals_the_record_loop(seed: int) -> None:
    rng = np.random.default_rng(seed)
    records = _films(rng, int(rng.integers(2, 300)))
    _same_csr(_old_person_key_matrix(records), blocking.person_key_matrix(records))


# --- list comparison's set matrix -------------------------------------------------------------------
def _old_set_matrix(sets):
    vocab: dict[str, int] = {}
    rows, cols = [], []
    for i, st in enumerate(sets):
        for item in st or ():
            rows.append(i)
            cols.append(vocab.setdefault(item, len(vocab)))
    x = sparse.csr_matrix((np.ones(len(cols), np.float32), (rows, cols)), shape=(len(sets), max(len(vocab), 1)))
    return x, np.array([len(st) if st else 0 for st in sets], dtype=np.int64)


@pytest.mark.parametrize("seed", range(8))
def test_set_matrix_equals_the_item_loop(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 200))
    sets = [None if rng.random() < 0.2 else frozenset(f"item{x}" for x in rng.integers(0, 60, int(rng.integers(0, 8))))
            for _ in range(n)]
    (a, sa), (b, sb) = _old_set_matrix(sets), scoring._set_matrix(sets)
    _same_csr(a, b)
    assert sa.dtype == sb.dtype and np.array_equal(sa, sb)


def test_cached_helpers_are_bounded() -> None:
    """The shared fold/process step is cached like the two key functions (bounded, per string)."""
    for fn in (prepare._folded_words, prepare._person_name_keys, prepare._person_family_key):
        assert isinstance(fn, functools._lru_cache_wrapper)
        assert fn.cache_parameters()["maxsize"] == 1 << 16
    assert prepare._folded_words("Franu00E7ois Truffaut (I)") == ("Francois Truffaut (I)", "francois truffaut")

"""Session 11 speed work on the steps after embedding (loading, comparisons, twins): every fast
path must give exactly what the code it replaced gave, so no figure of a resolution can move."""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter

import numpy as np
import pytest
from rapidfuzz import fuzz

from matrix.resolve import prepare
from matrix.resolve.engine import _twins
from matrix.resolve.prepare import build_records, code_tokens
from matrix.resolve.scoring import TYPED_LEVELS, _people_cmp, _sorted_words, comparisons, leveled
from matrix.resolve.spec import parse_spec

_CODE_SPLIT = re.compile(r"[\s,;:()\[\]{}\"'|]+")


def _code_tokens_before(raw):
    """`code_tokens` as it was before session 11 (a regex substitution per token)."""
    if raw is None or (isinstance(raw, float) and math.isnan(raw)):
        return frozenset()
    out = set()
    for tok in _CODE_SPLIT.split(str(raw)):
        t = re.sub(r"[-/._]", "", tok).lower()
        if len(t) >= 4 and any(c.isdigit() for c in t) and any(c.isalpha() for c in t) and t.isalnum():
            out.add(t)
    return frozenset(out)


def _random_texts(n: int, alphabet: str, seed: int, longest: int = 24) -> list[str]:
    rng = np.random.default_rng(seed)
    chars = list(alphabet)
    return ["".join(rng.choice(chars, int(rng.integers(0, longest)))) for _ in range(n)]


def test_code_tokens_equal_the_regex_version_on_random_text() -> None:
    # ASCII with and without digits, separators the split and the joiners use, and digits
    # str.isdigit accepts that [0-9] does not (superscripts, Arabic-Indic): the fast path is ASCII only
    texts = _random_texts(4000, "ab XZ09-/._,;()'|\t", 0) + _random_texts(2000, "abcPS-LX ²٣é/", 1)
    texts += [None, float("nan"), 12345, "Sony PS-LX350H", "33-1/3 RPM", "PS²X1", "ab٣cd", ""]
    for t in texts:
        assert code_tokens(t) == _code_tokens_before(t), t
    assert sum(bool(code_tokens(t)) for t in texts) > 500  # the check has teeth


def _names(n: int, seed: int) -> list[str | None]:
    rng = np.random.default_rng(seed)
    words = ["john", "jon", "smith", "smyth", "ann", "lee", "bill", "william", "j.", "gates", "o'neil", "dr", "jr",
             "mary", "ann-marie", "(i)", "zhang", "wei", "li"]
    out: list[str | None] = []
    for _ in range(n):
        k = int(rng.integers(0, 6))
        ws = [str(w) for w in rng.choice(words, k)]
        if k >= 2 and rng.random() < 0.3:
            ws = [ws[-1] + ","] + ws[:-1]  # "Last, First"
        out.append(" ".join(ws) if ws else None)
    return out


def test_person_comparison_equals_the_per_pair_levels_on_random_names() -> None:
    values = _names(300, 2)
    spec = parse_spec({"fields": [{"name": "v", "type": "person"}]})
    rec = build_records(spec, [{"v": v} for v in values], ["a"] * len(values), [str(i) for i in range(len(values))])
    pairs = np.array(list(itertools.combinations(range(len(values)), 2)), dtype=np.int64)
    left, right = np.concatenate([pairs[:, 0], pairs[:, 1]]), np.concatenate([pairs[:, 1], pairs[:, 0]])
    fast = comparisons(rec, False)[0].compute(rec, left, right, None)
    reference = leveled("v", TYPED_LEVELS["person"]())(rec, left, right, None)
    assert fast.tolist() == reference.tolist()
    assert set(fast.tolist()) >= {-1, 0, 1, 2, 3, 4}  # every level is reached: the check has teeth


def test_sorted_words_ratio_is_token_sort_ratio() -> None:
    texts = _random_texts(3000, "ab cé\tXY1", 3, 15)
    for a, b in zip(texts[::2], texts[1::2], strict=True):
        assert fuzz.ratio(_sorted_words(a), _sorted_words(b)) == fuzz.token_sort_ratio(a, b)


def test_people_comparison_equals_a_per_pair_set_reference() -> None:
    """A name one record gives in one field and the other in another field: 0 when at most two
    records carry it, 1 otherwise; 2 when both name people in different fields; -1 else."""
    fields = ["actor", "director", "writer"]
    rng = np.random.default_rng(4)
    pool = ["Ken Tipton", "Tipton, Ken", "Keanu Reeves", "Ann Lee", "Bo Li", None, None]
    rows = [{f: pool[int(rng.integers(0, len(pool)))] for f in fields} for _ in range(120)]
    rows[0]["actor"], rows[1]["director"] = "Zed Quill", "Quill, Zed"  # a name two records carry: level 0
    spec = parse_spec({"fields": [{"name": f, "type": "person"} for f in fields]})
    rec = build_records(spec, rows, ["a"] * len(rows), [str(i) for i in range(len(rows))])
    keys = [[prepare.person_name_keys(r[f]) for f in fields] for r in rows]
    df = Counter(k for per in keys for k in frozenset().union(*per))
    pairs = np.array(list(itertools.combinations(range(len(rows)), 2)), dtype=np.int64)
    left, right = np.concatenate([pairs[:, 0], pairs[:, 1]]), np.concatenate([pairs[:, 1], pairs[:, 0]])
    got = _people_cmp(fields)(rec, left, right, None)
    want = []
    for a, b in zip(left.tolist(), right.tolist(), strict=True):
        shared = {k for fa in range(3) for fb in range(3) if fa != fb for k in keys[a][fa] & keys[b][fb]}
        crossed = any(keys[a][fa] and keys[b][fb] for fa in range(3) for fb in range(3) if fa != fb)
        want.append(0 if any(df[k] <= 2 for k in shared) else 1 if shared else 2 if crossed else -1)
    assert got.tolist() == want
    assert set(want) == {-1, 0, 1, 2}


def _twins_before(records):
    """`engine._build_twins` as it was before session 11 (one record at a time)."""
    cols = [f.name for f in records.spec.fields if f.weight > 0]
    groups = np.arange(len(records), dtype=np.int64)
    first: dict = {}
    keys = []
    for i in range(len(records)):
        vals = tuple(records.values[c][i] for c in cols)
        bare = sum(v is not None for v in vals) < min(2, len(cols))
        key = (records.source[i],) + vals
        if not bare:
            groups[i] = first.setdefault(key, i)
        keys.append(key if bare else None)
    counts = Counter(k for k in keys if k is not None)
    return groups, np.array([counts[k] if k is not None else 1 for k in keys], dtype=np.float64)


@pytest.mark.parametrize("n_fields", [1, 2, 3])
def test_twins_equal_the_record_by_record_version(n_fields: int) -> None:
    rng = np.random.default_rng(5)
    names = ["title", "actor", "year"][:n_fields]
    types = {"title": "name", "actor": "person", "year": "number"}
    choices = {"title": ["Friends", "friends", "Heat", None], "actor": ["Ken Tipton", "Tipton, Ken", None],
               "year": ["1999", "2001", None]}
    rows = [{f: choices[f][int(rng.integers(0, len(choices[f])))] for f in names} for _ in range(400)]
    spec = parse_spec({"fields": [{"name": f, "type": types[f]} for f in names]})
    rec = build_records(spec, rows, [("a", "b")[int(i % 3 == 0)] for i in range(len(rows))],
                        [str(i) for i in range(len(rows))])
    groups, bare = _twins(rec)
    want_groups, want_bare = _twins_before(rec)
    assert groups.tolist() == want_groups.tolist() and bare.tolist() == want_bare.tolist()
    assert (groups != np.arange(len(rows))).any()


@pytest.mark.parametrize("keep", [[], [3], [5, 1, 1, 0], list(range(9, -1, -1))])
def test_subset_picks_the_same_records(keep: list[int]) -> None:
    spec = parse_spec({"fields": [{"name": "v", "type": "name"}]})
    values = [f"Acme {i} Ltd" for i in range(10)]
    rec = build_records(spec, [{"v": v} for v in values], ["a"] * 10, [str(i) for i in range(10)])
    sub = rec.subset(keep)
    assert sub.ids == [rec.ids[i] for i in keep] and sub.values["v"] == [rec.values["v"][i] for i in keep]
    assert sub.keys == {k: [col[i] for i in keep] for k, col in rec.keys.items()}
    assert sub.embed_text == [rec.embed_text[i] for i in keep] and sub.codes == [rec.codes[i] for i in keep]


def test_paused_gc_restores_the_collector_state() -> None:
    import gc

    assert gc.isenabled()
    with prepare.paused_gc():
        assert not gc.isenabled()
        with prepare.paused_gc():  # nested: the inner block leaves it off
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with prepare.paused_gc():
            pass
        assert not gc.isenabled()  # found off: left off
    finally:
        gc.enable()
    with pytest.raises(ValueError), prepare.paused_gc():
        raise ValueError("inside")
    assert gc.isenabled()

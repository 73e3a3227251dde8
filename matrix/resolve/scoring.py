"""Scoring: comparison levels per field, an EM-fitted Fellegi-Sunter model, or a trained classifier.

Why Fellegi-Sunter with u fixed from random pairs: without labels, EM on candidate pairs alone
can drift into explaining "same city" as the match class. Random record pairs are almost all
non-matches, so their level frequencies pin down u (how often non-matches agree by chance);
EM then only has to learn m (how matches agree) and the match share. The resulting log-odds are
interpretable per field (the match report prints them) and turn into posterior probabilities,
so a threshold means the same thing on every dataset.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
from rapidfuzz import fuzz
from rapidfuzz import process as rf_process
from scipy import sparse

from matrix.resolve.arrays import unique_sorted
from matrix.resolve.fieldtypes import _digits8, date_typo, given_compatible
from matrix.resolve.prepare import Records, embedded_field, person_name_keys

_CUTS: dict[str, list[float]] = {
    "name": [99.5, 92, 80, 65],        # exact / close variant / same words mostly / related
    "text": [90, 75, 60, 45],
    "categorical": [99.5, 80],
    "identifier": [99.5, 90],
    "embedding": [0.95, 0.88, 0.80, 0.70, 0.55],
    "number": [0.005, 0.05, 0.2],     # relative difference (smaller is better)
}
# Most of the match class that may disagree on a registered domain (spec: max_mismatch per field).
DOMAIN_MISMATCH_M = 0.01
EMBED_WEIGHT_WITH_NAME = 0.5
# Sanity of an EM fit (FellegiSunter.problems): how far the prior EM asks for may exceed the
# bound before the fit counts as collapsed, and how many adjacent levels may share a factor.
PRIOR_OVER_BOUND = 3.0
MAX_TIED_LEVELS = 2


@dataclass
class Comparison:
    """One column of the comparison vector: a name, its levels (0 = strongest agreement) and weight."""

    name: str
    n_levels: int
    weight: float
    compute: Callable[[Records, np.ndarray, np.ndarray, np.ndarray | None], np.ndarray]
    # levels from `disagree_from` on mean "the two records disagree on an identifying fact"; EM may
    # give them at most `max_disagree_m` of the match class (None: no cap)
    disagree_from: int | None = None
    max_disagree_m: float | None = None
    level_names: list[str] | None = None


def _levels_from_sim(sim: np.ndarray, cuts: list[float]) -> np.ndarray:
    lv = np.full(sim.shape, len(cuts), dtype=np.int8)
    for i in reversed(range(len(cuts))):
        lv[sim >= cuts[i]] = i
    return lv


class _PerRecords:
    """Arrays a comparison derives from one column, built once per Records object.

    Why: `compare` runs on the candidate pairs and again on ~50k random pairs, in chunks; each
    per-pair Python lookup (`vals[i]`, `x is None`) was most of a comparison's time. Gathering
    precomputed arrays by pair index is one numpy call. Kept on the Records object itself
    (`Records.derived`, keyed by this comparison's builder), so they live as long as the records.
    """

    def __init__(self, build: Callable[[Records], Any]) -> None:
        self.build = build

    def __call__(self, rec: Records) -> Any:
        return rec.derived(self, self.build)


def _codes(values, key: Callable[[Any], Any] | None = None) -> np.ndarray:
    """Each value as an integer code (equal values, equal codes; `key` maps a value first); None -> -1."""
    seen: dict[Any, int] = {}
    if key is None:
        return np.array([-1 if v is None else seen.setdefault(v, len(seen)) for v in values], dtype=np.int64)
    return np.array([-1 if v is None else seen.setdefault(key(v), len(seen)) for v in values], dtype=np.int64)


def _same(codes: np.ndarray, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Both known (code >= 0) and equal."""
    a = codes[left]
    return (a >= 0) & (a == codes[right])


def _pair_scores(texts: np.ndarray, left: np.ndarray, right: np.ndarray, scorer, where: np.ndarray,
                 cutoff: float) -> np.ndarray:
    """`scorer(texts[i], texts[j])` per pair in float64, as the scalar call returns it (a float32
    result could round 87.99 up to a cut of 88), exact from `cutoff` (the lowest cut a level tests)
    up and 0 below it (the scorer stops early there); only the pairs `where` selects are scored
    (the others get -1: their level is decided without it), since the scorer is most of the cost."""
    out = np.full(left.shape[0], -1.0, dtype=np.float64)
    idx = np.flatnonzero(where)
    if idx.size:
        out[idx] = rf_process.cpdist(texts[left[idx]].tolist(), texts[right[idx]].tolist(), scorer=scorer, workers=1,
                                     dtype=np.float64, score_cutoff=cutoff)
    return out


def _string_cmp(fname: str, ftype: str) -> Callable:
    scorer = fuzz.token_set_ratio if ftype in ("name", "text") else fuzz.ratio
    cuts = _CUTS[ftype]
    limit = 300 if ftype == "text" else 200

    def build(rec: Records):
        vals = rec.values[fname]
        text = np.array([(x or "")[:limit] for x in vals] + [None], dtype=object)[:-1]  # (+None: always 1-d objects)
        missing = np.array([x is None for x in vals], dtype=bool)
        keys = rec.keys.get(fname) if ftype == "name" else None
        return text, missing, None if keys is None else _codes(keys)

    column = _PerRecords(build)

    def compute(rec: Records, left: np.ndarray, right: np.ndarray, _v) -> np.ndarray:
        text, missing, key_codes = column(rec)
        unknown = missing[left] | missing[right]
        # equal after dropping legal forms counts as exact
        same = _same(key_codes, left, right) if key_codes is not None else np.zeros(left.shape[0], dtype=bool)
        sim = np.full(left.shape[0], 100.0, dtype=np.float32)
        todo = np.flatnonzero(~unknown & ~same)  # only these need the scorer
        if todo.size:
            # exact from the lowest cut up, 0 below it (a level never needs more): the scorer stops early
            sim[todo] = rf_process.cpdist(text[left[todo]].tolist(), text[right[todo]].tolist(), scorer=scorer, workers=1,
                                          score_cutoff=min(cuts))
        lv = _levels_from_sim(sim, cuts)
        lv[unknown] = -1
        return lv

    return compute


def _equal_cmp(fname: str) -> Callable:
    column = _PerRecords(lambda rec: _codes(rec.values[fname]))

    def compute(rec: Records, left, right, _v) -> np.ndarray:
        codes = column(rec)
        out = np.where(codes[left] == codes[right], 0, 1).astype(np.int8)
        out[(codes[left] < 0) | (codes[right] < 0)] = -1
        return out

    return compute


def _domain_cmp(fname: str) -> Callable:
    """0 same registered domain, 1 same name under another suffix (a country site), 2 different."""
    column = _PerRecords(lambda rec: (_codes(rec.values[fname]), _codes(rec.values[fname], lambda d: d.split(".", 1)[0])))

    def compute(rec: Records, left, right, _v) -> np.ndarray:
        full, head = column(rec)
        out = np.full(left.shape[0], 2, dtype=np.int8)
        out[head[left] == head[right]] = 1
        out[full[left] == full[right]] = 0
        out[(full[left] < 0) | (full[right] < 0)] = -1
        return out

    return compute


def _number_cmp(fname: str) -> Callable:
    cuts = _CUTS["number"]
    column = _PerRecords(lambda rec: np.array([np.nan if v is None else v for v in rec.values[fname]] + [np.nan],
                                              dtype=np.float64)[:-1])

    def compute(rec: Records, left, right, _v) -> np.ndarray:
        vals = column(rec)
        a, b = vals[left], vals[right]
        denom = np.maximum(np.maximum(np.abs(a), np.abs(b)), 1e-9)
        with np.errstate(invalid="ignore"):
            rel = np.abs(a - b) / denom
        lv = np.full(a.shape, len(cuts), dtype=np.int8)
        for i in reversed(range(len(cuts))):
            lv[rel <= cuts[i]] = i
        lv[np.isnan(rel)] = -1
        return lv

    return compute


# --- composable comparisons (splink-style): a comparison is an ordered list of levels, the first
# level whose test a pair passes is its level; unknown on either side is -1. Levels are ordered by
# design (each is stronger evidence than the next), so EM only has to learn how much each says.
@dataclass(frozen=True)
class Level:
    """One comparison level: a name for reports and a test on two known, normalized values."""

    name: str
    test: Callable[[Any, Any], bool]


def leveled(fname: str, levels: list[Level]) -> Callable:
    """A comparison `compute` from ordered levels; pairs passing none get the last level + 1 ('else')."""

    def compute(rec: Records, left, right, _v) -> np.ndarray:
        vals = rec.values[fname]
        out = np.empty(left.shape[0], dtype=np.int8)
        n_lv = len(levels)
        for n, (i, j) in enumerate(zip(left.tolist(), right.tolist(), strict=True)):
            a, b = vals[i], vals[j]
            if a is None or b is None:
                out[n] = -1
                continue
            for k, lv in enumerate(levels):
                if lv.test(a, b):
                    out[n] = k
                    break
            else:
                out[n] = n_lv
        return out

    return compute


def _sim(a: str, b: str) -> float:
    return fuzz.token_set_ratio(a, b)


def person_levels() -> list[Level]:
    return [
        Level("same name", lambda a, b: a == b),
        Level("same family name, given name or initial agrees", lambda a, b: a.family == b.family and given_compatible(a, b)),
        Level("close spelling", lambda a, b: fuzz.token_sort_ratio(a.text, b.text) >= 88),
        Level("same family name", lambda a, b: a.family == b.family or a.family in b.given or b.family in a.given),
    ]


def address_levels() -> list[Level]:
    return [
        Level(
            "same number and street",
            lambda a, b: (
                a.number == b.number and _sim(a.street, b.street) >= 95 and (a.unit is None or b.unit is None or a.unit == b.unit)
            ),
        ),
        Level("same number, similar street", lambda a, b: a.number == b.number and _sim(a.street, b.street) >= 75),
        Level(
            "number unknown, similar street",
            lambda a, b: (a.number is None or b.number is None) and _sim(a.street, b.street) >= 85,
        ),
        Level("street differs", lambda a, b: a.number is None or b.number is None or a.number == b.number),
        # else: the house numbers differ -- strong evidence (capped m, see comparisons())
    ]


def phone_levels() -> list[Level]:
    return [Level("same number", lambda a, b: a == b),
            Level("same last 7 digits", lambda a, b: len(a) >= 7 and len(b) >= 7 and a[-7:] == b[-7:])]


def date_levels() -> list[Level]:
    return [
        Level("same date", lambda a, b: a == b),
        Level("one keying error apart", date_typo),
        Level("same year", lambda a, b: a.year == b.year),
        Level("a year apart", lambda a, b: abs(a.year - b.year) <= 1),
    ]


def _overlap(a: frozenset, b: frozenset) -> float:
    return len(a & b) / max(min(len(a), len(b)), 1)


def list_levels() -> list[Level]:
    return [
        Level("same items", lambda a, b: a.items == b.items),
        Level("half the items shared", lambda a, b: _overlap(a.items, b.items) >= 0.5),
        Level("half the last words shared", lambda a, b: _overlap(a.loose, b.loose) >= 0.5),
        Level("some overlap", lambda a, b: bool(a.loose & b.loose)),
    ]


def _set_matrix(sets: list[frozenset[str] | None]) -> tuple[sparse.csr_matrix, np.ndarray]:
    """Records x distinct items (1 where a record's set holds the item) and each set's size.

    Items are numbered in order of first appearance (records in order, each set in its iteration
    order), through C-level passes (`dict.fromkeys`, `map`) instead of a Python loop per item: the
    same matrix, ~1.3x faster (PATSTAT's co-authors and classes, items and last words: 91 -> 68 ms)."""
    sizes = [len(st) if st else 0 for st in sets]
    flat = list(itertools.chain.from_iterable(st for st in sets if st))
    items = list(dict.fromkeys(flat))
    vocab = dict(zip(items, range(len(items)), strict=True))
    cols = np.fromiter(map(vocab.__getitem__, flat), np.int64, len(flat))
    rows = np.repeat(np.arange(len(sets), dtype=np.int64), sizes)
    x = sparse.csr_matrix((np.ones(len(flat), np.float32), (rows, cols)), shape=(len(sets), max(len(vocab), 1)))
    return x, np.array(sizes, dtype=np.int64)


def _list_cmp(fname: str) -> Callable:
    """`list_levels`, vectorized: each record's items (and their last words) are a sparse row, so
    a pair's shared items are one row-wise product. The generic per-pair `leveled` loop was most
    of a dedup's time after embedding (PATSTAT: co-authors and classes on 50k random pairs)."""
    cache: list = [None, None]  # the Records last seen (held, not its id) and its matrices

    def matrices(rec: Records):
        if cache[0] is not rec:
            vals = rec.values[fname]
            cache[:] = [rec, (_set_matrix([v.items if v else None for v in vals]),
                              _set_matrix([v.loose if v else None for v in vals]),
                              np.array([v is None for v in vals], dtype=bool))]
        return cache[1]

    def compute(rec: Records, left, right, _v) -> np.ndarray:
        (xi, ni), (xl, nl), missing = matrices(rec)
        shared = np.asarray(xi[left].multiply(xi[right]).sum(axis=1)).ravel().astype(np.int64)
        shared_loose = np.asarray(xl[left].multiply(xl[right]).sum(axis=1)).ravel().astype(np.int64)
        a, b = ni[left], ni[right]
        out = np.full(left.shape[0], 4, dtype=np.int8)
        out[shared_loose > 0] = 3
        out[2 * shared_loose >= np.minimum(nl[left], nl[right])] = 2
        out[2 * shared >= np.minimum(a, b)] = 1
        out[(shared == a) & (shared == b)] = 0
        out[missing[left] | missing[right]] = -1
        return out

    return compute


def _assign_levels(n_pairs: int, tests: list[np.ndarray]) -> np.ndarray:
    """The first level whose test a pair passes (`len(tests)` for none), as `leveled` assigns it:
    the tests are applied from the last to the first, so the earliest passing one is written last."""
    out = np.full(n_pairs, len(tests), dtype=np.int8)
    for k in reversed(range(len(tests))):
        out[tests[k]] = k
    return out


def _person_columns(rec: Records, fname: str):
    """Per record: the whole name's code, the family name's, the first given name's (with its length
    and first letter), which (record, given name) pairs exist (`_given_keys`; one vocabulary with
    the family names) and the name's words sorted, for `person_levels` as array operations."""
    vals = rec.values[fname]
    n = len(vals)
    vocab: dict[str, int] = {}
    letters: dict[str, int] = {}
    family = np.full(n, -1, np.int64)
    first = np.full(n, -1, np.int64)
    first_len = np.zeros(n, np.int64)
    first_letter = np.full(n, -1, np.int64)
    owners: list[int] = []  # (record, given-name code) per given name, flat: one array build, no per-cell writes
    codes: list[int] = []
    for i, v in enumerate(vals):
        if v is None:
            continue
        family[i] = vocab.setdefault(v.family, len(vocab))
        for g in v.given:
            owners.append(i)
            codes.append(vocab.setdefault(g, len(vocab)))
        if v.given:
            first[i], first_len[i] = codes[-len(v.given)], len(v.given[0])
            first_letter[i] = letters.setdefault(v.given[0][0], len(letters))
    given = _given_keys(np.asarray(owners, np.int64), np.asarray(codes, np.int64), len(vocab))
    text = np.array([_sorted_words(v.text) if v is not None else "" for v in vals] + [None], dtype=object)[:-1]
    return _codes(vals), family, first, first_len, first_letter, given, text


def _sorted_words(text: str) -> str:
    """A name's words in sorted order: `fuzz.ratio` on these equals `fuzz.token_sort_ratio` on the
    text (which sorts the same words, by code point, on every call): sorted once per record, not
    once per pair (2.5x faster on 340k pairs, same float64 scores)."""
    return " ".join(sorted(text.split()))


def _given_keys(owners: np.ndarray, codes: np.ndarray, n_vocab: int) -> tuple[np.ndarray, int]:
    """Every (record, given-name code) as one sorted int64 key `record * width + code`, and the width.

    Why: "does record r list name c among its given names" was a (pairs x most given names)
    gather and compare (36 columns for a cast list: 100 MB per pass); a sorted key array answers
    it with one binary search per pair (`_has_given`)."""
    width = max(n_vocab, 1)
    return unique_sorted(owners * width + codes), width


def _has_given(given: tuple[np.ndarray, int], rec_idx: np.ndarray, code: np.ndarray) -> np.ndarray:
    """Per pair, whether record `rec_idx` has given name `code` (a code < 0, unknown, never does)."""
    keys, width = given
    want = rec_idx * width + code
    if keys.size == 0:
        return np.zeros(want.shape[0], dtype=bool)
    pos = np.minimum(np.searchsorted(keys, want), keys.size - 1)
    return (keys[pos] == want) & (code >= 0)


def _person_cmp(fname: str) -> Callable:
    """`person_levels` on whole arrays of pairs (same results as `leveled(fname, person_levels())`)."""
    column = _PerRecords(lambda rec: _person_columns(rec, fname))

    def compute(rec: Records, left, right, _v) -> np.ndarray:
        whole, family, first, first_len, first_letter, given, text = column(rec)
        same_family = family[left] == family[right]
        no_given = (first[left] < 0) | (first[right] < 0)
        initial = ((first_len[left] == 1) | (first_len[right] == 1)) & (first_letter[left] == first_letter[right])
        compatible = no_given | (first[left] == first[right]) | initial
        same = whole[left] == whole[right]
        unknown = (whole[left] < 0) | (whole[right] < 0)
        # `text` holds each name's words sorted: fuzz.ratio on it is token_sort_ratio (`_sorted_words`)
        close = _pair_scores(text, left, right, fuzz.ratio, ~unknown & ~same & ~(same_family & compatible), 88) >= 88
        # the last test decides only pairs no earlier test took: the name lookups run on those alone
        crossed = np.zeros(left.shape[0], dtype=bool)
        todo = np.flatnonzero(~unknown & ~same & ~same_family & ~close)
        if todo.size:
            lt, rt = left[todo], right[todo]
            crossed[todo] = _has_given(given, rt, family[lt]) | _has_given(given, lt, family[rt])
        out = _assign_levels(left.shape[0], [same, same_family & compatible, close, same_family | crossed])
        out[unknown] = -1
        return out

    return compute


def _address_columns(rec: Records, fname: str):
    vals = rec.values[fname]
    numbers: dict[str | None, int] = {}  # None is a value of its own here: two unknown numbers are "equal"
    number = np.array([numbers.setdefault(v.number, len(numbers)) if v is not None else -1 for v in vals], np.int64)
    no_number = np.array([v is not None and v.number is None for v in vals], dtype=bool)
    unit = _codes([v.unit if v is not None else None for v in vals])
    street = np.array([v.street if v is not None else "" for v in vals] + [None], dtype=object)[:-1]
    return _codes(vals), number, no_number, unit, street


def _address_cmp(fname: str) -> Callable:
    """`address_levels` on whole arrays of pairs (same results as `leveled(fname, address_levels())`)."""
    column = _PerRecords(lambda rec: _address_columns(rec, fname))

    def compute(rec: Records, left, right, _v) -> np.ndarray:
        whole, number, no_number, unit, street = column(rec)
        unknown = (whole[left] < 0) | (whole[right] < 0)
        same_number = number[left] == number[right]
        either_unknown = no_number[left] | no_number[right]
        # the street is compared only where a level could use it (the house numbers agree or one is unknown)
        sim = _pair_scores(street, left, right, fuzz.token_set_ratio, ~unknown & (same_number | either_unknown), 75)
        unit_ok = (unit[left] < 0) | (unit[right] < 0) | (unit[left] == unit[right])
        out = _assign_levels(left.shape[0], [same_number & (sim >= 95) & unit_ok, same_number & (sim >= 75),
                                             either_unknown & (sim >= 85), either_unknown | same_number])
        out[unknown] = -1
        return out

    return compute


def _date_columns(rec: Records, fname: str):
    vals = rec.values[fname]
    n = len(vals)
    year = np.array([v.year if v is not None else 0 for v in vals], np.int64)
    month = np.array([v.month if v is not None and v.month is not None else -1 for v in vals], np.int64)
    day = np.array([v.day if v is not None and v.day is not None else -1 for v in vals], np.int64)
    full = np.array([v is not None and v.month is not None and v.day is not None for v in vals], dtype=bool)
    digits = np.zeros((n, 8), np.int64)
    for i in np.flatnonzero(full).tolist():
        text = _digits8(vals[i])
        if len(text) != 8:  # a year past 9999: the generic loop decides (never met in practice)
            return None
        digits[i] = [ord(c) for c in text]
    return _codes(vals), year, month, day, full, digits


def _date_cmp(fname: str) -> Callable:
    """`date_levels` on whole arrays of pairs (same results as `leveled(fname, date_levels())`,
    `fieldtypes.date_typo` included)."""
    column = _PerRecords(lambda rec: _date_columns(rec, fname))
    generic = leveled(fname, date_levels())

    def compute(rec: Records, left, right, _v) -> np.ndarray:
        cols = column(rec)
        if cols is None:
            return generic(rec, left, right, _v)
        whole, year, month, day, full, digits = cols
        same = whole[left] == whole[right]
        same_year = year[left] == year[right]
        swapped = same_year & (month[left] == day[right]) & (day[left] == month[right])
        da, db = digits[left], digits[right]
        diff = da != db
        n_diff = diff.sum(axis=1)
        transposed = (diff[:, :-1] & diff[:, 1:] & (da[:, :-1] == db[:, 1:]) & (da[:, 1:] == db[:, :-1])).any(axis=1)
        typo = full[left] & full[right] & ~same & (swapped | (n_diff == 1) | ((n_diff == 2) & transposed))
        out = _assign_levels(left.shape[0], [same, typo, same_year, np.abs(year[left] - year[right]) <= 1])
        out[(whole[left] < 0) | (whole[right] < 0)] = -1
        return out

    return compute


def _phone_cmp(fname: str) -> Callable:
    """`phone_levels` on whole arrays of pairs (same results as `leveled(fname, phone_levels())`)."""
    column = _PerRecords(lambda rec: (_codes(rec.values[fname]),
                                      _codes([v[-7:] if v is not None and len(v) >= 7 else None for v in rec.values[fname]])))

    def compute(rec: Records, left, right, _v) -> np.ndarray:
        whole, tail = column(rec)
        out = _assign_levels(left.shape[0], [whole[left] == whole[right], _same(tail, left, right)])
        out[(whole[left] < 0) | (whole[right] < 0)] = -1
        return out

    return compute


# the typed comparisons as array operations; `leveled` with TYPED_LEVELS is their reference (tests)
VECTOR_LEVELS = {"person": _person_cmp, "address": _address_cmp, "date": _date_cmp, "phone": _phone_cmp,
                 "list": _list_cmp}
TYPED_LEVELS = {"person": person_levels, "address": address_levels, "phone": phone_levels, "date": date_levels,
                "list": list_levels}
ADDRESS_NUMBER_MISMATCH_M = 0.05  # most of the match class that may carry two different house numbers


def _row_dots(x: sparse.csr_matrix, y: sparse.csr_matrix, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Per pair, the dot product of row `left` of `x` and row `right` of `y` (shared items)."""
    return np.asarray(x[left].multiply(y[right]).sum(axis=1)).ravel()


def _codes_cmp_factory() -> Callable:
    """0 when the two records share a code token (model number, SKU), 1 when both have codes but
    none is shared, unknown otherwise; shared tokens are one sparse row product per pair."""
    column = _PerRecords(lambda rec: _set_matrix(list(rec.codes)))

    def compute(rec: Records, left, right, _v) -> np.ndarray:
        x, size = column(rec)
        out = np.where(_row_dots(x, x, left, right) > 0, 0, 1).astype(np.int8)
        out[(size[left] == 0) | (size[right] == 0)] = -1
        return out

    return compute


# pairs per gather: two (chunk x dim) float32 copies that stay in cache (6 MB at 384 dims); 65,536
# (200 MB per copy) was 2x slower, measured on 500k pairs x 384 (every copy a fresh page-faulted block)
_PAIR_CHUNK = 4_096


def _embedding_cmp(rec: Records, left, right, vectors, groups: np.ndarray | None = None) -> np.ndarray:
    """Embedding cosine levels; unknown when the two vectors embed different fields (`groups`:
    `blocking.embedded_field`): a title's vector against an actor's name says nothing."""
    # chunked: gathering vectors for every pair at once costs 2 x pairs x dim floats (2+ GB at 100k)
    sims = np.empty(left.shape[0], dtype=np.float32)
    for start in range(0, left.shape[0], _PAIR_CHUNK):
        sl = slice(start, start + _PAIR_CHUNK)
        # multiply-and-sum: 2.5x faster than einsum("ij,ij->i") here (measured, 47k pairs x 384)
        sims[sl] = (vectors[left[sl]] * vectors[right[sl]]).sum(axis=1)
    lv = _levels_from_sim(sims, _CUTS["embedding"])
    if groups is not None:
        lv[(groups[left] != groups[right]) | (groups[left] < 0)] = -1
    return lv


PEOPLE_LEVELS = ["a name shared across fields that no other record carries", "a name shared across fields", "else"]


def _people_cmp(fields: list[str]) -> Callable:
    """A person one record names in one field that the other names in *another* field (same
    name key, see `prepare.person_name_keys`): 0 when no third record carries that name (a
    one-off writer is strong evidence; a director with twenty films is not), 1 when others do
    too; 2: both name people in different fields, none shared; unknown otherwise. Same-field
    agreement is the field's own comparison, so it is not counted twice."""
    def build(rec: Records):
        """Per field: records x name keys (shared vocabulary), the same restricted to keys no more
        than two records carry, and the sum over fields; and which fields name someone."""
        per = [_names_keys(rec.raw[f]) for f in fields]
        df = Counter(key for i in range(len(rec)) for key in frozenset().union(*(col[i] for col in per)))
        vocab = {key: k for k, key in enumerate(df)}
        rare = np.zeros(max(len(vocab), 1), np.float32)
        rare[:len(vocab)] = [df[key] <= 2 for key in vocab]
        mats = [_set_matrix_in(col, vocab) for col in per]
        total = mats[0].copy()
        for x in mats[1:]:
            total = total + x
        has = np.stack([np.array([bool(ks) for ks in col], dtype=bool) for col in per], axis=1)
        return mats, rare, total.tocsr(), has

    column = _PerRecords(build)

    def compute(rec: Records, left, right, _v) -> np.ndarray:
        mats, rare, total, has = column(rec)
        out = np.full(left.shape[0], -1, dtype=np.int8)
        if left.size == 0:
            return out
        # a pair of fields fa != fb with a name on each side: count pairs minus the same-field ones
        ha, hb = has[left], has[right]
        crossed = ha.sum(axis=1) * hb.sum(axis=1) - (ha & hb).sum(axis=1) > 0
        shared = np.zeros(left.shape[0], dtype=bool)
        shared_rare = np.zeros(left.shape[0], dtype=bool)
        # a name shared across fields needs names in two different fields: only crossed pairs can have one
        todo = np.flatnonzero(crossed)
        if todo.size:
            shared[todo], shared_rare[todo] = _shared_elsewhere(mats, rare, total, left[todo], right[todo])
        out[crossed] = 2
        out[shared] = 1
        out[shared_rare] = 0
        return out

    return compute


def _shared_elsewhere(mats: list, rare: np.ndarray, total: sparse.csr_matrix, left: np.ndarray,
                      right: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per pair: whether a name key of the left record in some field is held by the right record in
    *another* field, and whether such a key is a rare one (`rare`: 1 per rare key, else 0).

    One product per field serves both answers: its entries are counts >= 0 (exact in float32), so
    its row sum is positive exactly when one key is shared, and its product with `rare` exactly
    when a rare one is (a second gather and product per field, over rare keys, said the same)."""
    shared = np.zeros(left.shape[0], dtype=bool)
    shared_rare = np.zeros(left.shape[0], dtype=bool)
    others = total[right]  # keys of the right record in any field; its same-field ones removed below
    for x in mats:
        hits = x[left].multiply(others - x[right]).tocsr()
        shared |= np.asarray(hits.sum(axis=1)).ravel() > 0
        shared_rare |= np.asarray(hits @ rare).ravel() > 0
    return shared, shared_rare


def _names_keys(column: list) -> list[frozenset[str]]:
    """`person_name_keys` of every value of a column, computed once per distinct value."""
    seen: dict[tuple[type, Any], frozenset[str]] = {}
    out = []
    for v in column:
        try:
            keys = seen[type(v), v]  # by type too: 1 and 1.0 are one dict key but not one text
        except KeyError:
            keys = seen[type(v), v] = person_name_keys(v)
        except TypeError:  # unhashable: on its own
            keys = person_name_keys(v)
        out.append(keys)
    return out


def _set_matrix_in(sets: list[frozenset[str]], vocab: dict[str, int]) -> sparse.csr_matrix:
    """Records x `vocab` (1 where a record's set holds the item); every item must be in `vocab`."""
    rows = [i for i, st in enumerate(sets) for _ in st]
    cols = [vocab[item] for st in sets for item in st]
    return sparse.csr_matrix((np.ones(len(cols), np.float32), (rows, cols)), shape=(len(sets), max(len(vocab), 1)))


def comparisons(records: Records, with_vectors: bool) -> list[Comparison]:
    comps: list[Comparison] = []
    for f in records.spec.fields:
        if f.weight == 0:
            continue
        if f.type in ("name", "text", "organisation"):
            kind = "name" if f.type == "organisation" else f.type
            comps.append(Comparison(f.name, len(_CUTS[kind]) + 1, f.weight, _string_cmp(f.name, kind)))
        elif f.type in TYPED_LEVELS:
            lv = TYPED_LEVELS[f.type]()
            cap: dict[str, Any] = dict(disagree_from=len(lv), max_disagree_m=f.max_mismatch or ADDRESS_NUMBER_MISMATCH_M) \
                if f.type == "address" else dict(disagree_from=len(lv) if f.max_mismatch else None, max_disagree_m=f.max_mismatch)
            compute = VECTOR_LEVELS[f.type](f.name) if f.type in VECTOR_LEVELS else leveled(f.name, lv)
            comps.append(Comparison(f.name, len(lv) + 1, f.weight, compute,
                                    level_names=[x.name for x in lv] + ["else"], **cap))
        elif f.type == "categorical":
            comps.append(Comparison(f.name, len(_CUTS["categorical"]) + 1, f.weight, _string_cmp(f.name, "categorical")))
        elif f.type == "identifier":
            comps.append(Comparison(f.name, len(_CUTS["identifier"]) + 1, f.weight, _string_cmp(f.name, "identifier"),
                                    disagree_from=1 if f.max_mismatch is not None else None, max_disagree_m=f.max_mismatch))
        elif f.type == "url-domain":
            # One organisation rarely publishes under two registered domains; EM cannot learn that
            # when look-alikes (same brand, another country's site) are common, because they look
            # like matches on everything else. So disagreement keeps at most a small m.
            domain_cap = f.max_mismatch if f.max_mismatch is not None else DOMAIN_MISMATCH_M
            comps.append(Comparison(f.name, 3, f.weight, _domain_cmp(f.name), disagree_from=1, max_disagree_m=domain_cap))
        elif f.type == "number":
            comps.append(Comparison(f.name, len(_CUTS["number"]) + 1, f.weight, _number_cmp(f.name)))
    if any(records.codes):
        comps.append(Comparison("codes", 2, 1.0, _codes_cmp_factory()))
    people = [f.name for f in records.spec.fields if f.type == "person" and f.weight > 0]
    if len(people) >= 2:  # one person filed under different roles by the two sources
        comps.append(Comparison(PEOPLE, len(PEOPLE_LEVELS), 1.0, _people_cmp(people), level_names=PEOPLE_LEVELS))
    if with_vectors:
        # the embedded text is mostly the name: when a name field is compared too, the two views
        # of one string share the evidence instead of counting it twice
        has_name = any(f.type == "name" and f.weight > 0 and f.embedded for f in records.spec.fields)
        groups = embedded_field(records)
        comps.append(Comparison("embedding", len(_CUTS["embedding"]) + 1, EMBED_WEIGHT_WITH_NAME if has_name else 1.0,
                                lambda rec, lp, r, v: _embedding_cmp(rec, lp, r, v, groups if rec is records else
                                                                     embedded_field(rec))))
    return comps


PEOPLE = "people"  # the cross-field person comparison (see `_people_cmp`)


def blocking_biased(records: Records, with_vectors: bool) -> frozenset[str]:
    """Comparisons whose agreement the blockers select for (lexical fields, embedded fields, exact keys)."""
    names = {f.name for f in records.spec.fields
             if f.weight > 0 and (f.embedded or f.name in records.keys or f.type in ("name", "organisation", "person"))}
    if with_vectors:
        names.add("embedding")
    if sum(f.type == "person" and f.weight > 0 for f in records.spec.fields) >= 2:
        names.add(PEOPLE)  # the person blocker selects on it
    return frozenset(names)


COMPARE_CHUNK = 100_000  # pairs per progress step


def compare(records: Records, comps: list[Comparison], left: np.ndarray, right: np.ndarray,
            vectors: np.ndarray | None, progress: bool | None = False) -> np.ndarray:
    """Level matrix (pairs x comparisons), -1 where either side is unknown.

    `progress`: a bar on stderr counting pairs compared (rate, ETA); None = only for 1,000+ pairs.
    """
    if left.size == 0:
        return np.zeros((0, len(comps)), dtype=np.int8)
    from matrix.embed import progress_bar

    out = np.empty((left.size, len(comps)), dtype=np.int8)
    with progress_bar(int(left.size), "comparing", "pairs", enabled=progress) as bar:
        for start in range(0, left.size, COMPARE_CHUNK):
            sl = slice(start, start + COMPARE_CHUNK)
            for c, comp in enumerate(comps):
                out[sl, c] = comp.compute(records, left[sl], right[sl], vectors)
            bar.update(int(left[sl].size))
    return out


def random_pairs(records: Records, n_pairs: int, cross_only: bool, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Random record pairs (cross-source when linking): almost all non-matches, used to estimate u."""
    rng = np.random.default_rng(seed)
    n = len(records)
    if n < 2:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    lp = rng.integers(0, n, n_pairs)
    r = rng.integers(0, n, n_pairs)
    keep = lp != r
    if cross_only:
        src = np.asarray(records.source)
        keep &= src[lp] != src[r]
    return lp[keep], r[keep]


def _known_column(levels: np.ndarray, c: int) -> tuple[np.ndarray, np.ndarray]:
    """Column `c` of a level matrix: the rows where it is known (bool) and their levels."""
    col = levels[:, c]
    known = col >= 0
    return known, col[known]


class _LevelIndex:
    """A level matrix as indices into all comparisons' levels laid end to end, built once for
    the EM iterations on it.

    Why: EM ran a dozen small numpy calls per comparison per iteration (mask, gather, add,
    bincount), 8 starts x ~30 iterations; here each iteration is one gather, one running sum
    and one bincount. The sums are taken in the same order as before (comparison by comparison
    for a pair's log odds, pair by pair for a level's mass), so the fit is the same to the bit.
    """

    def __init__(self, levels: np.ndarray, comps: list[Comparison]) -> None:
        sizes = np.array([c.n_levels for c in comps], dtype=np.int64)
        self.offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        self.total = int(self.offsets[-1])
        lv = levels.astype(np.int64)
        if lv.size and (lv >= sizes[None, :]).any():
            raise ValueError("a comparison level beyond the comparison's levels")
        known = lv >= 0
        # per pair and comparison: its level's slot, or the trailing slot (weight 0) when unknown
        self.flat = np.where(known, lv + self.offsets[:-1][None, :], self.total)
        self.rows = np.nonzero(known)[0]  # row-major: each level's pairs in pair order
        self.slots = self.flat[known]

    def llr(self, level_weights: np.ndarray) -> np.ndarray:
        """Per pair, the sum over comparisons (in order) of its level's weight (`level_weights`:
        one per slot, plus a trailing 0 for unknown)."""
        if self.flat.shape[1] == 0:
            return np.zeros(self.flat.shape[0], dtype=np.float64)
        return np.cumsum(level_weights[self.flat], axis=1)[:, -1]

    def masses(self, weights: np.ndarray) -> np.ndarray:
        """Per level slot, the summed `weights` of the pairs at that level."""
        return np.bincount(self.slots, weights=weights[self.rows], minlength=self.total)


@dataclass
class FellegiSunter:
    """m/u per comparison level; `log_odds` sums weighted log2(m/u) over known comparisons."""

    comps: list[Comparison]
    m: list[np.ndarray] = field(default_factory=list)
    u: list[np.ndarray] = field(default_factory=list)
    prior: float = 0.01
    iterations: int = 0

    def fit_u(self, levels: np.ndarray) -> None:
        self.u = []
        for c, comp in enumerate(self.comps):
            col = levels[:, c]
            counts = np.bincount(col[col >= 0], minlength=comp.n_levels).astype(np.float64) + 0.5
            self.u.append(counts / counts.sum())

    def _init_m(self, steep: float = 0.5) -> None:
        self.m = []
        for comp in self.comps:
            p = np.array([steep ** i for i in range(comp.n_levels)], dtype=np.float64)
            p[-1] = min(p[-1], 0.02)
            self.m.append(p / p.sum())

    def _llr(self, levels: np.ndarray) -> np.ndarray:
        """Per-pair weighted natural-log likelihood ratio."""
        total = np.zeros(levels.shape[0], dtype=np.float64)
        for c, comp in enumerate(self.comps):
            known, col = _known_column(levels, c)
            w = np.log(self.m[c]) - np.log(self.u[c])
            total[known] += comp.weight * w[col]
        return total

    def _level_weights(self) -> np.ndarray:
        """Each level's weighted log likelihood ratio, all comparisons end to end, and a trailing 0
        (the slot of an unknown comparison in `_LevelIndex`)."""
        if not self.comps:
            return np.zeros(1, dtype=np.float64)
        ratio = np.log(np.concatenate(self.m)) - np.log(np.concatenate(self.u))
        weight = np.repeat([c.weight for c in self.comps], [len(m) for m in self.m])
        return np.concatenate([weight * ratio, [0.0]])

    prior_bounds: tuple[float, float] = (1e-6, 1 - 1e-6)
    wanted_prior: float = 0.0  # the largest prior EM asked for before the bounds clipped it

    def fit_m(self, levels: np.ndarray, max_iter: int = 50, tol: float = 1e-5, update_u: frozenset[str] = frozenset(),
              prior_init: float = 0.1, steep: float = 0.5, weights: np.ndarray | None = None) -> None:
        """EM on candidate pairs; u stays at its random-pair estimate except for comparisons in `update_u`.

        `weights`: how many pairs each row of `levels` stands for (see `distinct_patterns`).

        Blocking selects candidates by name/embedding/keys, so among candidates those
        comparisons agree far more often than random pairs suggest: their u is re-estimated on
        the candidates. The others keep the unbiased random-pair u, which anchors the match class.
        """
        self._init_m(steep)
        self._cap_disagreement()
        if levels.shape[0] == 0:
            return
        lo, hi = self.prior_bounds
        prior = float(np.clip(prior_init, lo, hi))
        self.wanted_prior = 0.0
        w = np.ones(levels.shape[0]) if weights is None else np.asarray(weights, dtype=np.float64)
        total = float(w.sum())
        index = _LevelIndex(levels, self.comps)  # fixed across iterations
        off = index.offsets.tolist()
        any_u = any(comp.name in update_u for comp in self.comps)
        for it in range(max_iter):
            logit = math.log(prior / (1 - prior)) + index.llr(self._level_weights())
            post = 1.0 / (1.0 + np.exp(-np.clip(logit, -50, 50)))
            self.wanted_prior = float((post * w).sum() / total)
            new_prior = float(np.clip(self.wanted_prior, lo, hi))
            delta = abs(new_prior - prior)
            post_w = post * w
            masses = index.masses(post_w)
            umasses = index.masses((1 - post) * w) if any_u else None
            for c, comp in enumerate(self.comps):
                mass = masses[off[c]:off[c + 1]] + 1e-3
                new_m = mass / mass.sum()
                delta = max(delta, float(np.abs(new_m - self.m[c]).max()))
                self.m[c] = new_m
                if umasses is not None and comp.name in update_u:
                    umass = umasses[off[c]:off[c + 1]] + 1e-3
                    self.u[c] = umass / umass.sum()
            self._monotone()
            self._cap_disagreement()
            prior = new_prior
            self.iterations = it + 1
            if delta < tol:
                break
        self.prior = prior

    def _cap_disagreement(self) -> None:
        """Keep the m mass of 'disagree' levels under the comparison's cap (see Comparison).

        Inside the capped tail, m follows u: every kind of disagreement (another country's site,
        an unrelated domain) is then the same, strong evidence against a match, rather than EM
        deciding from look-alikes that a rare disagreement must be a match.
        """
        for c, comp in enumerate(self.comps):
            if comp.disagree_from is None or comp.max_disagree_m is None:
                continue
            m, u = self.m[c].copy(), self.u[c] if self.u else None
            k = comp.disagree_from
            tail = min(float(m[k:].sum()), comp.max_disagree_m)
            head = m[:k].sum()
            if head <= 0:
                continue
            m[:k] *= (1 - tail) / head
            w = u[k:] if u is not None and len(u) == len(m) and u[k:].sum() > 0 else np.ones(len(m) - k)
            m[k:] = tail * w / w.sum()
            self.m[c] = m

    def _rising(self) -> list[int]:
        """The comparisons whose log Bayes factor rises somewhere from one level to the next (the
        only ones `_monotone` changes), found for all comparisons at once."""
        if not self.comps:
            return []
        sizes = [len(m) for m in self.m]
        ratio = np.log(np.concatenate(self.m)) - np.log(np.concatenate(self.u))
        owner = np.repeat(np.arange(len(sizes)), sizes)
        rise = np.flatnonzero(ratio[1:] > ratio[:-1])
        return np.unique(owner[rise][owner[rise] == owner[rise + 1]]).tolist()

    def _monotone(self) -> None:
        """Stronger agreement may never be weaker evidence: pool adjacent levels that violate it."""
        for c in self._rising():  # already ordered elsewhere: nothing would be pooled
            m, u = self.m[c], self.u[c]
            log_ratio = np.log(m) - np.log(u)
            # pool-adjacent-violators on the log Bayes factor, weighted by m+u (Python floats: the
            # same IEEE doubles as numpy scalars, a fraction of the per-operation cost)
            ratio, mu = log_ratio.tolist(), (m + u).tolist()
            blocks = [[ratio[i], mu[i], [i]] for i in range(len(ratio))]
            i = 0
            while i < len(blocks) - 1:
                if blocks[i][0] < blocks[i + 1][0]:
                    a, b = blocks[i], blocks[i + 1]
                    w = a[1] + b[1]
                    blocks[i] = [(a[0] * a[1] + b[0] * b[1]) / w, w, a[2] + b[2]]
                    del blocks[i + 1]
                    i = max(i - 1, 0)
                else:
                    i += 1
            if len(blocks) == len(ratio):
                continue
            new_m, new_u = m.copy(), u.copy()
            for _val, _, idx in blocks:
                if len(idx) == 1:
                    continue
                ms, us = m[idx].sum(), u[idx].sum()
                # keep total masses, equalize the ratio inside the pooled block
                new_m[idx] = m[idx] + u[idx]
                new_m[idx] *= ms / new_m[idx].sum()
                new_u[idx] = m[idx] + u[idx]
                new_u[idx] *= us / new_u[idx].sum()
            self.m[c], self.u[c] = new_m, new_u

    def _log_u(self, levels: np.ndarray) -> np.ndarray:
        total = np.zeros(levels.shape[0], dtype=np.float64)
        for c, comp in enumerate(self.comps):
            col = levels[:, c]
            known = col >= 0
            total[known] += comp.weight * np.log(self.u[c])[col[known]]
        return total

    def log_likelihood(self, levels: np.ndarray, weights: np.ndarray | None = None) -> float:
        """Mean log-likelihood of the candidate pairs under the two-class mixture."""
        if levels.shape[0] == 0:
            return 0.0
        lu = self._log_u(levels)
        lm = lu + self._llr(levels)
        return float(np.average(np.logaddexp(math.log(self.prior) + lm, math.log1p(-self.prior) + lu), weights=weights))

    def problems(self, levels: np.ndarray, min_share: float = 0.002, min_gap_bits: float = 0.05,
                 max_over_bound: float = PRIOR_OVER_BOUND, max_tied: int = MAX_TIED_LEVELS,
                 weights: np.ndarray | None = None) -> list[str]:
        """Why this fit is not a sane model (empty list = sane).

        - the prior EM wanted lies far above what the data allow (more than `max_over_bound`
          times the bound it was clipped at: the match class is absorbing non-matches);
        - a comparison's Bayes factors are not ordered across its agreement levels: more than
          `max_tied` adjacent levels that hold data share one factor (EM decided that "exact",
          "close" and "related" say the same) and that factor alone outweighs the prior odds, so
          "somewhat similar on this field" decides a match - the collapse. Two pooled neighbours
          are ordinary isotonic smoothing of a noisy level, and a tie too weak to decide
          anything (categories that agree a little or a lot) is harmless. The factor is taken
          at the comparison's weight (what it adds to a pair's log odds): a half-weight
          embedding that only echoes the name cannot decide a match alone;
        - no comparison with data separates the classes (m == u on every one of them: the two
          classes are not matches and non-matches but something else). One field with m == u
          is no collapse: a column both sources fill with different facts (one lists the lead
          actor, the other a supporting one) is simply uninformative.
        """
        out = []
        lo, hi = self.prior_bounds
        prior_deficit = math.log2((1 - self.prior) / self.prior)  # bits a pair needs to become a match
        if self.wanted_prior > hi * max_over_bound:
            out.append(f"prior {self.wanted_prior:.4g} far above the bound {hi:.4g}")
        flat = []
        w = np.ones(levels.shape[0]) if weights is None else np.asarray(weights, dtype=np.float64)
        for c, comp in enumerate(self.comps):
            col = levels[:, c]
            known = col >= 0
            col = col[known]
            if col.size == 0:
                continue
            share = np.bincount(col, weights=w[known], minlength=comp.n_levels) / w[known].sum()
            tie = self._tied_levels(c, share, min_share, min_gap_bits, max_tied, prior_deficit)
            if tie:
                out.append(tie)
            flat.append((comp.name, float(np.abs(self.m[c] - self.u[c]).sum()) / 2 < 0.01))
        if flat and all(f for _, f in flat):
            out.append("m equals u on every comparison (" + ", ".join(n for n, _ in flat) + ")")
        return out

    def absorbed_by_u(self, update_u: frozenset[str], levels: np.ndarray, weights: np.ndarray,
                      min_known: float = 0.5) -> list[str]:
        """A comparison of the record's name whose u followed the candidates (the caller passes
        those: `update_u` & the name fields) and that ended with m == u although most candidate
        pairs have it known: its evidence was absorbed, not learned.

        Why: with u free on the fields the blockers select on, EM has a fixed point whose two
        classes are the blocking passes ("shares the first name" / "shares the surname"), not
        matches and non-matches. Measured on RLdata10000 (German person dedup, session 7): the
        surname carried 0 bits at every level, "same first name" +1.3 bits and "different first
        name" -17 bits; every other check passed and B-cubed F1 was 0.11. The record's own name
        cannot be uninformative about identity. Other fields can (imdb_dbpedia's `actor`: one
        source lists the lead, the other a supporting actor), so only the name is checked."""
        out = []
        w = np.asarray(weights, dtype=np.float64)
        for c, comp in enumerate(self.comps):
            if comp.name not in update_u:
                continue
            known = levels[:, c] >= 0
            if w[known].sum() < min_known * w.sum():
                continue
            if float(np.abs(self.m[c] - self.u[c]).sum()) / 2 < 0.01:
                out.append(f"{comp.name}: m equals u after u followed the candidates (its evidence was absorbed)")
        return out

    def _tied_levels(self, c: int, share: np.ndarray, min_share: float, min_gap_bits: float, max_tied: int,
                     prior_deficit: float) -> str | None:
        """More than `max_tied` adjacent agreement levels with data (`share`: of the known pairs per
        level) sharing one weighted Bayes factor that alone outweighs the prior odds (see
        `problems`), described; else None."""
        comp = self.comps[c]
        bf = np.log2(self.m[c] / self.u[c])
        held = [i for i in range(comp.n_levels - 1) if share[i] >= min_share]  # agreement levels with data
        run = [held[0]] if held else []
        for a, b in itertools.pairwise(held):
            run = run + [b] if bf[a] - bf[b] < min_gap_bits else [b]
            if len(run) > max_tied and comp.weight * bf[b] >= prior_deficit:
                return f"{comp.name}: levels {run[0]}..{run[-1]} share one Bayes factor ({bf[b]:.2f} bits)"
        return None

    def probability(self, levels: np.ndarray) -> np.ndarray:
        logit = math.log(self.prior / (1 - self.prior)) + self._llr(levels)
        return 1.0 / (1.0 + np.exp(-np.clip(logit, -50, 50)))

    def describe(self) -> dict[str, Any]:
        return {
            "prior": round(self.prior, 6),
            "prior_bounds": [round(float(x), 6) for x in self.prior_bounds],
            "iterations": self.iterations,
            "comparisons": {
                c.name: {"weight": c.weight,
                         "log2_bayes_factor_by_level": [round(float(x), 2) for x in np.log2(self.m[i] / self.u[i])]}
                for i, c in enumerate(self.comps)
            },
        }


def one_hot(levels: np.ndarray, comps: list[Comparison]) -> np.ndarray:
    """Levels as one-hot columns (unknown = all zeros) for a supervised classifier."""
    cols = []
    for c, comp in enumerate(comps):
        block = np.zeros((levels.shape[0], comp.n_levels), dtype=np.float32)
        known = levels[:, c] >= 0
        block[np.flatnonzero(known), levels[known, c]] = 1.0
        cols.append(block)
    return np.concatenate(cols, axis=1) if cols else np.zeros((levels.shape[0], 0), np.float32)


class TrainedScorer:
    """Logistic regression on one-hot comparison levels, trained from labelled pairs."""

    def __init__(self, comps: list[Comparison]) -> None:
        from sklearn.linear_model import LogisticRegression

        self.comps = comps
        self.model = LogisticRegression(max_iter=1000, C=1.0)

    def fit(self, levels: np.ndarray, labels: np.ndarray) -> "TrainedScorer":
        if len(set(labels.tolist())) < 2:
            raise ValueError("training labels need both matches (1) and non-matches (0)")
        self.model.fit(one_hot(levels, self.comps), labels)
        return self

    def probability(self, levels: np.ndarray) -> np.ndarray:
        if levels.shape[0] == 0:
            return np.zeros(0)
        return self.model.predict_proba(one_hot(levels, self.comps))[:, 1]

    def describe(self) -> dict[str, Any]:
        return {"model": "logistic-regression", "coefficients": int(self.model.coef_.size)}


# Several EM starts: (initial prior as a share of the upper bound, steepness of the initial m).
EM_STARTS = ((0.5, 0.5), (0.1, 0.5), (0.02, 0.3), (0.5, 0.8))


def distinct_patterns(levels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of a level matrix and how many pairs each stands for.

    Why: a pair's posterior depends only on its row of levels, and half a million candidate
    pairs hold a few hundred distinct rows; EM, likelihood and the sanity checks on the
    weighted distinct rows give the same fit for a fraction of the work (8 EM starts were most
    of the time after embedding on small sets, and 15 s on a 50k-record linkage).
    """
    if levels.shape[0] == 0:
        return levels, np.zeros(0, np.float64)
    key = _row_keys(levels)
    if key is None:
        rows, counts = np.unique(levels, axis=0, return_counts=True)
        return rows, counts.astype(np.float64)
    _, first, counts = np.unique(key, return_index=True, return_counts=True)
    return levels[first], counts.astype(np.float64)


def _row_keys(levels: np.ndarray) -> np.ndarray | None:
    """Each row of a level matrix as one int64 that sorts as the row does (lexicographically,
    column by column, -1 first), or None when the rows have too many combinations for 63 bits.

    Why: `np.unique(axis=0)` sorts rows as structured records, several times slower than sorting
    integers; the keys give the same distinct rows in the same order (so EM sums the same floats
    in the same order)."""
    lv = levels.astype(np.int64) + 1  # unknown (-1) -> 0
    if lv.size and lv.min() < 0:
        return None
    radix = lv.max(axis=0) + 1 if lv.size else np.ones(levels.shape[1], np.int64)
    if float(np.prod(radix.astype(np.float64))) >= 2.0 ** 62:
        return None
    key = np.zeros(levels.shape[0], np.int64)
    for c in range(levels.shape[1]):
        key = key * int(radix[c]) + lv[:, c]
    return key


def fit_robust(comps: list[Comparison], u_levels: np.ndarray, levels: np.ndarray, bounds: tuple[float, float],
               update_u: frozenset[str] = frozenset(), starts=EM_STARTS,
               progress: bool | None = False,
               name_fields: frozenset[str] = frozenset()) -> tuple["FellegiSunter", dict[str, Any]]:
    """EM from several starts; the best likelihood among sane fits (see `FellegiSunter.problems`).

    Why: EM on candidate pairs has more than one fixed point. On a small table linked to a big
    one, "similar title" explains most candidates, and a fit where the match class swallows
    them (prior 0.6 among candidates, all title levels one Bayes factor) can have the higher
    likelihood. The prior is therefore bounded by what the data allow, and a fit that breaks
    the design (prior far above its bound, tied levels, m == u) is never chosen.

    Two stages: first u stays fixed at its random-pair estimate for every comparison (the
    textbook model). Candidates are chosen for similar names, so non-matching candidates agree
    on names far more often than random pairs do; when that makes every fixed-u start collapse,
    the second stage lets u of the comparisons the blockers select on (`update_u`) follow the
    candidates; a second-stage fit where a field of the record's name (`name_fields`) ends with
    m == u is not sane either (`FellegiSunter.absorbed_by_u`). When no start of either stage is
    sane, the conservative model is used: m as designed (each level half as likely as the one
    above), random-pair u, and the caller sets the prior from its deterministic rule - and says so.
    """
    lo, hi = bounds
    tried = []
    best, best_ll, stage_used = None, -math.inf, None
    patterns, counts = distinct_patterns(levels)
    stages: list[tuple[str, frozenset[str]]] = [("random pairs", frozenset())]
    if update_u:
        stages.append(("candidates for " + ", ".join(sorted(update_u)), update_u))
    from matrix.embed import PROGRESS_MIN, progress_bar

    shown = progress if progress is not None else (levels.shape[0] >= PROGRESS_MIN or None)
    bar = progress_bar(len(stages) * len(starts), "fitting", "EM starts", enabled=shown)
    anchor = FellegiSunter(comps)
    anchor.fit_u(u_levels)  # the same random-pair u for every start: counted once
    for stage, upd in stages:
        for share, steep in starts:
            bar.update(1)
            fs = FellegiSunter(comps, prior_bounds=(lo, hi))
            fs.u = [x.copy() for x in anchor.u]
            fs.fit_m(patterns, update_u=upd, prior_init=max(lo, share * hi), steep=steep, weights=counts)
            ll = fs.log_likelihood(patterns, counts)
            probs = fs.problems(patterns, weights=counts) + fs.absorbed_by_u(upd & name_fields, patterns, counts)
            tried.append({"u_from": stage, "prior_init": round(max(lo, share * hi), 6), "m_steepness": steep,
                          "prior": round(fs.prior, 6), "log_likelihood": round(ll, 5), "problems": probs})
            if not probs and ll > best_ll:
                best, best_ll, stage_used = fs, ll, stage
        if best is not None:
            break
    if hasattr(bar, "close"):
        bar.close()
    diag: dict[str, Any] = {"starts": tried, "fallback": None, "u_from": stage_used}
    if best is None:
        best = conservative_model(comps, u_levels, bounds)
        diag["u_from"] = "random pairs"
        problems = "; ".join(sorted({p for t in tried for p in t["problems"]})[:6])
        diag["fallback"] = "no EM start gave a sane model (" + problems + \
            "): using the conservative model (designed m, random-pair u, prior from the deterministic rule)"
    return best, diag


def conservative_model(comps: list[Comparison], u_levels: np.ndarray, bounds: tuple[float, float]) -> "FellegiSunter":
    """The model used when no EM fit is sane: m as designed (each level half as likely as the one
    above), u from random pairs, prior at the lower bound (the caller sets it from its rule)."""
    model = FellegiSunter(comps, prior_bounds=bounds)
    model.fit_u(u_levels)
    model._init_m()
    model._monotone()
    model._cap_disagreement()
    model.prior = bounds[0]
    return model


def expected_f1_threshold(prob: np.ndarray, floor: float = 0.05, ceiling: float = 0.95) -> float:
    """The cut that maximizes F1 expected under the model's own posteriors.

    Taking the k most probable pairs, expected true positives are the sum of their
    probabilities and expected matches the sum over all pairs, so E[F1] ~ 2*sum_k / (k + sum_all).
    The cut adapts to how confident the model is instead of a fixed 0.5 that is too strict for
    one data set and too lax for another. Bounded to [floor, ceiling] so a degenerate model
    cannot cut at 0 or 1.
    """
    if prob.size == 0:
        return 0.5
    p = np.sort(prob)[::-1]
    total = float(p.sum())
    if total <= 0:
        return ceiling
    cum = np.cumsum(p)
    k = np.arange(1, p.size + 1)
    ef1 = 2 * cum / (k + total)
    best = int(np.argmax(ef1))
    return float(np.clip(p[best], floor, ceiling))

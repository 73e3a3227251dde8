"""Session 9, third part: a person whose names are typo'd on both sides but whose short fields
(sex, birth day / month / year, postcode) all agree is a candidate pair (`blocking.short_field_pairs`).

On the ONS mock census vs CIS, 451 of the 602 true pairs no blocker proposed looked like this
(KARVEY KARRIS / HARVEY HARRIS, same birth date and postcode): the name views rank closer
spellings of other people first. Reproduced here on data made here.
"""

from __future__ import annotations

import numpy as np

from matrix.resolve import blocking
from matrix.resolve.prepare import build_records
from matrix.resolve.spec import parse_spec

SPEC = {"fields": [{"name": "first", "type": "person"}, {"name": "last", "type": "person"},
                   {"name": "sex", "type": "categorical"}, {"name": "by", "type": "categorical"},
                   {"name": "bm", "type": "categorical"}, {"name": "bd", "type": "categorical"},
                   {"name": "pc", "type": "categorical"}]}


def _row(first, last, sex, by, bm, bd, pc):
    return {"first": first, "last": last, "sex": sex, "by": by, "bm": bm, "bd": bd, "pc": pc}


def _tables():
    """Table a: the typo'd person plus people spelled like the right spelling; table b: the
    person spelled right plus people spelled like the typo. Each side's nearest names are then
    other people. Returns (rows, sources, the pair)."""
    a = [_row("KARVEY", "KARRIS", "M", "1995", "5", "26", "SO145NE")]
    b = [_row("HARVEY", "HARRIS", "M", "1995", "5", "26", "SO145NE")]
    variants = [("{0}ARVEY", "{0}ARRISON"), ("{0}ARVEN", "{0}ARRIS"), ("{0}ARVE", "{0}ARRIS"),
                ("{0}ARVEY", "{0}ARRS"), ("{0}ARVY", "{0}ARRIS"), ("{0}ARVEY", "{0}ARIS")]
    for i, (f, last) in enumerate(variants):
        a.append(_row(f.format("H"), last.format("H"), "F", str(1950 + i), str(1 + i), str(10 + i), f"LS{i}1AB"))
        b.append(_row(f.format("K"), last.format("K"), "F", str(1960 + i), str(1 + i), str(10 + i), f"NW{i}1AB"))
    return a + b, ["a"] * len(a) + ["b"] * len(b), (0, len(a))


def _records(rows, sources, spec=SPEC):
    return build_records(parse_spec(spec), rows, sources, [str(i) for i in range(len(rows))])


def test_typod_names_with_every_short_field_equal_become_candidates(monkeypatch):
    rows, sources, pair = _tables()
    rec = _records(rows, sources)
    cands = blocking.block(rec, None, 1, cross_only=True)
    assert pair in cands.pair_set()
    assert cands.by_blocker["short_fields"] == 1  # only the pair itself shares every short field
    # without the short-field key, no other blocker proposes the pair (the case this rule is for)
    empty = (np.zeros(0, np.int64), np.zeros(0, np.int64))
    monkeypatch.setattr(blocking, "short_field_pairs", lambda *a, **k: empty)
    without = blocking.block(rec, None, 1, cross_only=True)
    assert pair not in without.pair_set()
    assert "short_fields" not in without.by_blocker


def test_unknown_parts_large_groups_and_single_fields_give_no_key():
    rows, sources, pair = _tables()
    rows[pair[0]] = dict(rows[pair[0]], pc="")  # one short field unknown: no key at all
    assert blocking.short_field_keys(_records(rows, sources))[pair[0]] is None
    # a group larger than SHORT_KEY_MAX_GROUP is a shared attribute, not a person: skipped
    same = [_row(f"P{i}", f"Q{i}", "M", "1990", "1", "1", "X1") for i in range(blocking.SHORT_KEY_MAX_GROUP + 1)]
    lp, _ = blocking.short_field_pairs(_records(same, ["a"] * len(same)), False)
    assert lp.size == 0
    lp, _ = blocking.short_field_pairs(_records(same[:3], ["a"] * 3), False)
    assert lp.size == 3  # a small group: every pair
    # one short field alone (a year) is no fingerprint
    one = {"fields": SPEC["fields"][:3]}
    assert blocking.short_field_keys(_records(same[:2], ["a", "b"], one)) == [None, None]


def test_linkage_pairs_only_across_tables():
    same = [_row(f"P{i}", f"Q{i}", "M", "1990", "1", "1", "X1") for i in range(3)]
    lp, r = blocking.short_field_pairs(_records(same, ["a", "a", "b"]), True)
    assert sorted(zip(lp.tolist(), r.tolist(), strict=True)) == [(0, 2), (1, 2)]

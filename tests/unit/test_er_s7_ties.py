"""Session 7: namesakes fill a name view's neighbour slots (RLdata10000, see docs/resolve.md).

When several records carry the same full name, the lexical name view searches that text once and
joins its copies to one representative only, so two copies that are the same person (born the
same day) were never a candidate pair, and nothing in blocking used the birth date to tell the
namesakes apart. The tie-break view appends a record's short fields (date, categorical codes) to
its name and is searched by records whose name is shared. Reproduced on data made here.
"""

from __future__ import annotations

import numpy as np

from matrix.resolve import blocking
from matrix.resolve.prepare import build_records
from matrix.resolve.spec import parse_spec

# exact keys on the single name parts link groups above two records as stars on a few hubs (as
# RLdata10000's hundreds of Annas and Schmidts are): only the lexical views can pair two copies
SPEC = {"max_key_group": 2, "fields": [{"name": "first", "type": "person"}, {"name": "last", "type": "person"},
                   {"name": "by", "type": "categorical"}, {"name": "bm", "type": "categorical"},
                   {"name": "bd", "type": "categorical"}]}
OTHERS = [("Karl", "Huber"), ("Eva", "Braun"), ("Jonas", "Wolf"), ("Lena", "Koch"), ("Paul", "Richter"),
          ("Mia", "Klein"), ("Tim", "Lange"), ("Ida", "Vogel")]


def _people(namesakes: int, twin_dates: tuple[tuple[str, str, str], tuple[str, str, str]]):
    """`namesakes` Anna Schmidts with distinct birth dates, the last two the same person (the
    dates given), then other people; returns (rows, index of the twin pair)."""
    rows = [{"first": "Anna", "last": "Schmidt", "by": str(1940 + i), "bm": str(1 + i % 12), "bd": str(1 + i)}
            for i in range(namesakes - 2)]
    for by, bm, bd in twin_dates:
        rows.append({"first": "Anna", "last": "Schmidt", "by": by, "bm": bm, "bd": bd})
    for j, (f, last) in enumerate(OTHERS):
        rows.append({"first": f, "last": last, "by": str(1950 + j), "bm": "3", "bd": str(10 + j)})
    return rows, (namesakes - 2, namesakes - 1)


def _block(rows, spec=SPEC):
    rec = build_records(parse_spec(spec), rows, ["a"] * len(rows), [str(i) for i in range(len(rows))])
    return blocking.block(rec, None, 1, cross_only=False)


def test_namesakes_born_the_same_day_become_candidates():
    # the twin differs by one day-of-month digit (a keying error), agreeing on year and month
    rows, (a, b) = _people(9, (("1971", "7", "24"), ("1971", "7", "21")))
    cands = _block(rows)
    assert (a, b) in cands.pair_set()
    assert cands.by_blocker.get("tie_break", 0) > 0


def _tie_pairs(rows) -> set[tuple[int, int]]:
    rec = build_records(parse_spec(SPEC), rows, ["a"] * len(rows), [str(i) for i in range(len(rows))])
    view = blocking._tie_break_view(rec, blocking.lexical_views(rec)[0])
    lp, r = blocking.tie_break_pairs(rec, view, 1, False, None)
    return {(min(x, y), max(x, y)) for x, y in zip(lp.tolist(), r.tolist(), strict=True)}


def test_namesakes_that_differ_in_every_short_field_are_not_added():
    rows, (a, b) = _people(9, (("1971", "7", "24"), ("1971", "7", "21")))
    assert (a, b) in _tie_pairs(rows)
    rows, (a, b) = _people(9, (("1971", "7", "24"), ("1933", "2", "5")))
    assert all(a not in p and b not in p for p in _tie_pairs(rows))  # no namesake shares 2 of 3


def test_a_common_name_is_no_tie_and_a_spec_without_short_fields_has_no_view():
    rows, _ = _people(blocking.TIE_GROUP_MAX + 1, (("1971", "7", "24"), ("1971", "7", "24")))
    rec = build_records(parse_spec(SPEC), rows, ["a"] * len(rows), [str(i) for i in range(len(rows))])
    assert blocking._tie_break_view(rec, blocking.lexical_views(rec)[0]) is None
    names_only = {"max_key_group": 2, "fields": SPEC["fields"][:2]}
    rows, _ = _people(9, (("1971", "7", "24"), ("1971", "7", "24")))
    cands = _block(rows, names_only)
    assert "tie_break" not in cands.by_blocker
    assert isinstance(cands.left, np.ndarray)


def test_linkage_ties_are_counted_per_table():
    """A name once in each table is no tie (the match itself); twice in one table it is."""
    rows = [{"first": "Anna", "last": "Schmidt", "by": "1971", "bm": "7", "bd": "24"}] * 2 + \
           [{"first": "Eva", "last": "Braun", "by": "1950", "bm": "1", "bd": "2"}] * 2
    rec = build_records(parse_spec(SPEC), rows, ["a", "b", "a", "a"], ["1", "2", "3", "4"])
    idx, texts, _ = blocking.lexical_views(rec)[0]
    assert blocking._tied(rec, idx, texts).tolist() == [False, False, True, True]

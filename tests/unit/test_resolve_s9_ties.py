"""Session 9: the tie-break view (`blocking._tie_break_view`) reads typed dates, and keeps a pair
only when *more* than half of the short fields known on both sides agree (see docs/resolve.md,
"Session 9")."""

from __future__ import annotations

import numpy as np

import matrix.resolve.blocking as blocking
from matrix.resolve.fieldtypes import Date
from matrix.resolve.prepare import build_records
from matrix.resolve.spec import parse_spec

SPEC = {"fields": [{"name": "given_name", "type": "person"}, {"name": "surname", "type": "person"},
                   {"name": "dob", "type": "date"}, {"name": "postcode", "type": "categorical"}]}


def _records(rows: list[dict]):
    return build_records(parse_spec(SPEC), rows, ["p.csv"] * len(rows), [str(i) for i in range(len(rows))])


def test_dates_have_a_short_text():
    assert blocking.short_text(Date(1951, 11, 26)) == "1951 11 26"
    assert blocking.short_text(Date(1951)) == "1951"
    assert blocking.short_text("2000") == "2000" and blocking.short_text(None) is None


def test_the_tie_break_view_carries_the_birth_date():
    rows = [{"given_name": "anna", "surname": "koch", "dob": "19511126", "postcode": "2000"},
            {"given_name": "anna", "surname": "koch", "dob": "19620304", "postcode": "2000"}]
    rec = _records(rows)
    _, texts, queries = blocking._tie_break_view(rec, blocking.lexical_views(rec)[0])
    assert queries.all() and "1951 11 26" in texts[0] and "1962 3 4" in texts[1]


def test_a_namesake_sharing_only_the_postcode_is_no_tie_break_pair():
    rows = [{"given_name": "anna", "surname": "koch", "dob": "19511126", "postcode": "2000"},
            {"given_name": "anna", "surname": "koch", "dob": "19620304", "postcode": "2000"},  # other person
            {"given_name": "anna", "surname": "koch", "dob": "19511126", "postcode": "2000"},  # re-entry of 0
            {"given_name": "anna", "surname": "koch", "dob": "19511126", "postcode": None}]    # postcode missing
    rec = _records(rows)
    left, right = np.array([0, 0, 0]), np.array([1, 2, 3])
    keep = blocking._agree_on_most(rec, blocking._tie_break_fields(rec), left, right)
    # before session 9 the date was invisible (1 of 1 known field agreed) and one of two was enough
    assert keep.tolist() == [False, True, True]


def test_two_of_three_short_fields_still_agree_enough():
    spec = parse_spec({"fields": [{"name": "fname", "type": "person"}, {"name": "lname", "type": "person"},
                                  {"name": "by", "type": "categorical"}, {"name": "bm", "type": "categorical"},
                                  {"name": "bd", "type": "categorical"}]})
    rows = [{"fname": "eva", "lname": "wolf", "by": "1950", "bm": "2", "bd": d} for d in ("9", "19", "9")]
    rows.append({"fname": "eva", "lname": "wolf", "by": "1961", "bm": "3", "bd": "9"})
    rec = build_records(spec, rows, ["p.csv"] * 4, ["0", "1", "2", "3"])
    keep = blocking._agree_on_most(rec, blocking._tie_break_fields(rec), np.array([0, 0, 0]), np.array([1, 2, 3]))
    assert keep.tolist() == [True, True, False]

"""Field types real records need: address, phone, person, organisation, date, list - each with
comparison levels ordered by design."""

from __future__ import annotations

import numpy as np

from matrix.resolve import fieldtypes as ft
from matrix.resolve.prepare import build_records
from matrix.resolve.scoring import comparisons, compare
from matrix.resolve.spec import parse_spec


def _levels(ftype: str, pairs: list[tuple[str, str]], **opts) -> list[int]:
    spec = parse_spec({"fields": [{"name": "v", "type": ftype, **opts}]})
    rows = [{"v": x} for ab in pairs for x in ab]
    rec = build_records(spec, rows, ["a"] * len(rows), [str(i) for i in range(len(rows))])
    comps = [c for c in comparisons(rec, False) if c.name == "v"]
    left = np.arange(0, len(rows), 2)
    return compare(rec, comps, left, left + 1, None)[:, 0].tolist()


def test_address_number_street_unit_and_number_mismatch_is_the_last_level():
    a = ft.address("12-14 Main St., Apt 4B")
    assert a == ft.Address("12", "main street", "4b")
    assert ft.address("435 S. La Cienega Blv.").street == "south la cienega boulevard"
    lv = _levels("address", [("12 Main St", "12 main street"), ("12 Main St", "12 Main Street Apt 3"),
                             ("Main Street", "12 Main St"), ("12 Main St", "12 Oak Avenue"), ("12 Main St", "14 Main St")])
    assert lv == [0, 0, 2, 3, 4]
    spec = parse_spec({"fields": [{"name": "v", "type": "address"}]})
    rec = build_records(spec, [{"v": "1 a st"}], ["a"], ["1"])
    comp = comparisons(rec, False)[0]
    assert comp.disagree_from == 4 and comp.max_disagree_m is not None  # house-number mismatch: capped m


def test_phone_normalized_with_country_from_the_spec_or_the_data():
    assert ft.phone("(212) 677-0606", "US") == "+12126770606" == ft.phone("+1 212 677 0606", None)
    assert ft.infer_region(["212-677-0606", "404/231-1368", "(310) 246-1501"]) == "US"
    assert ft.infer_region(["+44 20 7946 0958"]) is None  # international numbers need no country
    lv = _levels("phone", [("212-677-0606", "(212) 677 0606"), ("212-677-0606", "718-677-0606"), ("212-677-0606", "212-555-0199")])
    assert lv == [0, 1, 2]
    lv = _levels("phone", [("020 7946 0958", "+44 20 7946 0958")], country="GB")
    assert lv == [0]


def test_person_order_initials_nicknames():
    assert ft.person("Smith, John (I)") == ft.person("John Smith")
    assert ft.person("Bill Gates").given == ("william",)
    lv = _levels("person", [("Smith, John", "John Smith"), ("J. Smith", "John Smith"), ("Bob Dylan", "Robert Dylan"),
                            ("Jon Smyth", "Jon Smith"), ("Mary Smith", "John Smith"), ("Ann Lee", "Tom Hanks")])
    assert lv == [0, 1, 0, 2, 3, 4]


def test_organisation_legal_forms_article_and_ampersand():
    assert ft.organisation("The Acme Co.") == "acme" == ft.organisation("ACME Inc")
    assert ft.organisation("Procter & Gamble") == ft.organisation("Procter and Gamble Company")
    assert _levels("organisation", [("The Acme Co.", "ACME Inc"), ("Acme", "Zebra Paints")]) == [0, 4]


def test_dates_and_years():
    assert ft.date("1995-11-17") == ft.Date(1995, 11, 17) and ft.date("Bain el atlal (1959)") == ft.Date(1959)
    assert ft.date("2008-01-01") == ft.Date(2008)  # a padded year
    # same date / one keying error apart (session 7) / same year / a year apart / else
    lv = _levels("date", [("1995-11-17", "1995-11-17"), ("1995-11-17", "1995-11-71"), ("1995-11-17", "1995"),
                          ("1995", "1996"), ("1995", "2001")])
    assert lv == [0, 2, 2, 3, 4]  # "1995-11-71" is no date: only its year is read
    lv = _levels("date", [("1995-11-17", "1995-11-27"), ("1995-11-17", "1995-11-18")])
    assert lv == [1, 1]


def test_list_overlap_with_detected_separator():
    assert ft.detect_separator(["a**b", "c"]) == "**" and ft.detect_separator(["Comedy,Drama"]) == ","
    lv = _levels("list", [("Ann Lee, Tom Hanks", "Tom Hanks, Ann Lee"), ("Ann Lee, Tom Hanks, Al Gore", "Ann Lee, Bo Derek"),
                          ("A. Lee, T. Hanks", "Ann Lee, Tom Hanks"), ("A. Lee, X Y, Z W", "Ann Lee, Tom Hanks, Q R"),
                          ("Ann Lee", "Tom Hanks")])
    assert lv == [0, 1, 2, 3, 4]


def test_unknown_stays_unknown():
    for t in ("address", "phone", "person", "organisation", "date", "list"):
        assert _levels(t, [("", "x 1"), (None, None)]) == [-1, -1]

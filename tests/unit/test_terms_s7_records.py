"""Terms stated as key/value records (offer feeds, directory seed files, API dumps, spreadsheet rows).

Each case is written in our own wording: feeds and seed files state terms as `key: value` pairs, and the key,
not a cue word in a sentence, says what a number means. The prose rules still read prose values; the record only
fills what they left empty, and statistic keys never become terms.
"""

from __future__ import annotations

import pytest

from matrix.normalize.terms import extract_terms
from matrix.normalize.terms_records import field_of, key_tokens, record_pairs


def stated(text: str) -> dict:
    return {k: v for k, v in extract_terms(text).as_dict().items() if v is not None}


# --- detecting a record and naming its keys -------------------------------------------------------------------


@pytest.mark.parametrize("text, keys", [
    ('{"title": "Acme Hosting", "commission_pct": 15, "cookie_days": 60}', ["title", "commission_pct", "cookie_days"]),
    ("payout_type: cpl\nmin_payout: 25", ["payout_type", "min_payout"]),
    ("{'vendor': 'Zeta', 'cookieDays': 45}", ["vendor", "cookieDays"]),
    ("Cookie Duration (days) | 45 |", ["Cookie Duration (days)"]),
])
def test_record_pairs_are_found_in_json_yaml_dicts_and_table_rows(text, keys):
    assert [p.key for p in record_pairs(text)] == keys


def test_plain_prose_is_not_a_record():
    assert record_pairs("Partners earn 20% on every sale, paid monthly by PayPal.") == []
    assert record_pairs("Note: we pay 10% on each order.") == []


@pytest.mark.parametrize("key, field", [
    ("cookie_days", "cookie_days"), ("cookieWindowDays", "cookie_days"), ("Cookie Duration (days)", "cookie_days"),
    ("commission_pct", "percent"), ("revenueSharePercent", "percent"), ("commission_rate", "rate"),
    ("commission_type", "type"), ("payoutModel", "type"), ("minimum_payout", "payout_minimum"),
    ("payout_frequency", "frequency"), ("payment_methods", "methods"), ("is_recurring", "recurring"),
    ("conversion_rate", None), ("epc", None), ("aov", None), ("approval_rate", None),
    ("monthly_commission_potential", None), ("avg_commission", None), ("discount_pct", None), ("brand_color", None),
])
def test_keys_map_to_fields_by_their_tokens_and_statistics_map_to_nothing(key, field):
    assert field_of(key_tokens(key)) == field


# --- reading a record -------------------------------------------------------------------------------------------


def test_a_percent_key_gives_a_percent_commission_sold_per_sale_and_a_days_key_the_cookie():
    # a rate whose key says "pct" is a percent of the sale; with no recurrence stated that is a per-sale deal
    got = stated('{"brand": "Lumen Lamps", "commission_pct": 12.5, "cookie_days": 45, "active": true}')
    assert got["model"] == "percent" and got["percent"] == [12.5, 12.5]
    assert got["payout_type"] == "cps" and got["cookie_days"] == 45.0


def test_a_type_key_says_what_a_bare_rate_means():
    # "commission_rate": 18 is a percent only because the record's type key says percentage
    got = stated('{"shop": "Birch & Co", "commission_type": "percentage", "commission_rate": 18.00}')
    assert got["model"] == "percent" and got["percent"] == [18.0, 18.0]
    # the same figure under a flat type is an amount whose currency the record never gives: the model only
    got = stated('{"shop": "Birch & Co", "commission_type": "fixed", "commission_rate": 18.00}')
    assert got["model"] == "flat" and "flat" not in got and "percent" not in got
    # a per-unit type names the payout type even when the figure itself says nothing
    assert stated('{"shop": "Quilt Cover", "commission_type": "lead", "commission_rate": 4.0}') == {"payout_type": "cpl"}


def test_a_currency_key_makes_a_per_unit_figure_an_amount():
    got = stated('{"offer": "Solar quote", "payout_type": "CPL", "payout": 12.5, "payout_currency": "EUR"}')
    assert got["model"] == "flat" and got["flat"] == [12.5, 12.5] and got["currency"] == "EUR"
    assert got["payout_type"] == "cpl"


def test_a_percent_and_an_amount_in_one_record_are_a_hybrid_deal():
    got = stated('{"network": "X", "commission": "20-30%", "cpa": "$40-$90"}')
    assert got["model"] == "hybrid" and got["percent"] == [20.0, 30.0]
    assert got["flat"] == [40.0, 90.0] and got["currency"] == "USD" and got["payout_type"] == "cpa"


def test_flags_durations_and_payout_keys_are_read_in_yaml():
    text = ("program: Orbit CRM\ncommission_percent: 25\nrecurring: yes\nrecurring_months: 24\n"
            "min_payout_usd: 100\npayout_frequency: monthly\npayment_methods: PayPal, Wise")
    got = stated(text)
    assert got["percent"] == [25.0, 25.0] and got["recurring"] is True and got["recurring_months"] == 24
    assert got["payout_type"] == "revshare"
    assert got["payout_minimum"] == 100.0 and got["payout_currency"] == "USD"
    assert got["frequency"] == "monthly" and got["methods"] == ["paypal", "wise"]


def test_a_negated_flag_key_says_the_commission_does_not_recur():
    got = stated('{"commission_pct": 9, "non_recurring": true}')
    assert got["recurring"] is False and got["payout_type"] == "cps"
    got = stated('{"commission_pct": 9, "lifetime": true}')
    assert got["recurring"] is True and got["lifetime"] is True and got["payout_type"] == "revshare"


def test_a_table_row_key_carries_its_unit():
    assert stated("Cookie Duration (days) | 45 |")["cookie_days"] == 45.0
    assert stated("Cookie window (hours) | 48 |")["cookie_days"] == 2.0


# --- what a record never does -----------------------------------------------------------------------------------


def test_statistic_keys_never_become_terms_not_even_through_the_prose_rules():
    text = ('{"name": "Pine Tools", "epc": "$1.35", "conversion_rate": "4.2%", "aov": 140, '
            '"approval_rate": "90%", "monthly_commission_potential": "$3,000"}')
    assert stated(text) == {}


def test_the_prose_value_of_a_record_keeps_its_prose_reading():
    # the prose says 30% for a year; a weaker key guess may only add what the prose left empty
    text = '{"name": "Nova", "terms": "Earn 30% recurring commission for 12 months", "commission_pct": 10}'
    got = stated(text)
    assert got["percent"] == [30.0, 30.0] and got["recurring_months"] == 12


def test_unknown_keys_and_a_program_kind_are_ignored():
    assert stated('{"program_type": "referral", "niche": "pets", "rating": 4.5, "founded": 2015}') == {}


def test_an_ordinary_word_under_a_bare_type_key_is_no_payout_type():
    # a deal feed's "type": "sale" is a kind of deal; under a commission key the same word is the payout unit
    assert "payout_type" not in stated('{"store": "Fernway", "type": "sale", "title": "Spring clearance"}')
    assert stated('{"store": "Fernway", "payout_type": "sale"}') == {"payout_type": "cps"}
    # an unambiguous model word needs no commission key
    assert stated('{"offer": "Loan quiz", "type": "per_lead"}') == {"payout_type": "cpl"}

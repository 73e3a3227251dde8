"""The terms extractor on the failures the issue lists, one test each, plus spans and conventions.

Every sentence here is written as ordinary program-page language; none is copied from the
benchmark corpus (tests/data/terms), which measures the extractor on text it was not tuned on.
"""

from __future__ import annotations

import pytest

from matrix.models import CommissionModel as M
from matrix.models import PayoutType as P
from matrix.normalize.commission import parse_commission, parse_money
from matrix.normalize.cookie import parse_cookie, parse_cookie_days
from matrix.normalize.payout import parse_payout, parse_threshold
from matrix.normalize.terms import Found, Terms, extract_terms, find_money, payout_type_of, recurrence_of


def terms(text: str, **kw) -> dict:
    return extract_terms(text, **kw).as_dict()


# --- worked examples, thresholds, bonuses, discounts, overrides --------------------------------

def test_worked_example_is_not_the_commission():
    d = terms("Refer five friends who buy $200 and you earn $30.")
    assert d["model"] is None and d["flat"] is None
    d = terms("You earn 15% on every order. For example, a customer who orders $200 of gear earns you $30.")
    assert d["percent"] == [15.0, 15.0] and d["flat"] is None and d["model"] == "percent"


def test_payout_threshold_is_a_minimum_not_a_flat_commission():
    d = terms("Payments go out once you have accrued at least $100 in commissions.")
    assert d["model"] is None and d["flat"] is None
    assert (d["payout_minimum"], d["payout_currency"]) == (100.0, "USD")


def test_sign_up_bonus_and_volume_bonus_are_not_commission():
    d = terms("Get a $50 sign-up bonus, then earn 20% on every sale. Hit 100 sales in a month for a $500 bonus.")
    assert d["percent"] == [20.0, 20.0] and d["flat"] is None and d["model"] == "percent"
    assert terms("New partners receive a $25 welcome bonus.")["model"] is None


def test_sign_up_to_is_not_up_to():
    d = terms("Sign-up to earn 30% on each sale you refer.")
    assert d["percent"] == [30.0, 30.0]
    assert terms("Earn up to 30% on each sale.")["percent"] == [None, 30.0]


def test_customer_discount_is_not_commission():
    d = terms("Give your audience 20% off their first box and earn 10% commission on the order.")
    assert d["percent"] == [10.0, 10.0]
    assert terms("Your followers save 15% with your code.")["model"] is None


def test_sub_affiliate_override_is_not_the_commission():
    d = terms("Earn 25% on your own sales and 5% on sales made by your sub-affiliates.")
    assert d["percent"] == [25.0, 25.0]
    assert terms("We pay a 5% second-tier commission on the earnings of affiliates you recruit.")["model"] is None


def test_order_value_tier_boundaries_are_not_flat_commissions():
    d = terms("We pay a tiered rate: orders under $100 earn 8%, orders over $100 earn 12%.")
    assert d["model"] == "percent" and d["flat"] is None
    assert d["tiers"] == [8.0, 12.0] and d["percent"] == [8.0, 12.0]


def test_stale_rate_is_ignored():
    assert terms("All commissions are now raised to 35%, replacing the previous rate of 25%.")["percent"] == [35.0, 35.0]


# --- money -----------------------------------------------------------------------------------

def test_between_and_is_a_range():
    d = terms("Affiliates earn between 100 and 500 EUR per closed deal.")
    assert (d["flat"], d["currency"]) == ([100.0, 500.0], "EUR")


@pytest.mark.parametrize("text,amount,currency", [
    ("Earn 20p for every click.", 0.2, "GBP"),
    ("Earn 50 cents per install.", 0.5, "USD"),
    ("Minimum payout is ₹2,000.", 2000.0, "INR"),
    ("Minimum payout is Rs. 1,500.", 1500.0, "INR"),
    ("Earn 1.000,50 € per sale.", 1000.5, "EUR"),
    ("Earn 1 000 € per sale.", 1000.0, "EUR"),
    ("Earn $1,000.50 per sale.", 1000.5, "USD"),
    ("Earn 25 USD per lead.", 25.0, "USD"),
    ("Earn USD 25 per lead.", 25.0, "USD"),
    ("Earn ZAR500 per lead.", 500.0, "ZAR"),
    ("Earn 30EUR per lead.", 30.0, "EUR"),
])
def test_money_formats(text, amount, currency):
    got = find_money(text)
    assert got and (got[0][0], got[0][1]) == (amount, currency)
    assert text[got[0][2][0]:got[0][2][1]].strip()  # the span points at the amount


def test_two_currencies_never_make_one_range():
    d = terms("Earn $10 or €12 per lead depending on the region.")
    assert d["currency"] == "USD" and d["flat"] == [10.0, 10.0]
    assert parse_money("$10 or €12") == ([10.0], "USD")


def test_zero_is_unknown():
    assert terms("Commission: 0.00")["model"] is None
    c = parse_commission("0.00", currency_hint="USD")
    assert c.model is M.UNKNOWN and c.flat_max is None
    assert parse_commission("$0.00").model is M.UNKNOWN
    assert parse_commission("150.00", currency_hint="usd").flat_max == 150.0


# --- cookie ----------------------------------------------------------------------------------

def test_cookie_needs_a_cookie_context():
    assert terms("Commissions are held for 60 days before payout.")["cookie_days"] is None
    assert parse_cookie_days("All commissions are delayed 60 days to prevent abuse.") is None
    assert parse_cookie_days("Users have 30 days to request a refund.") is None
    assert parse_cookie("Our affiliate cookie lasts 45 days from the first click.").days == 45.0


@pytest.mark.parametrize("text,days", [
    ("Referrals are tracked for 60 days.", 60.0),
    ("We use a 24-hour cookie.", 1.0),
    ("Customers must buy within 60 days of the click.", 60.0),
    ("The attribution window is 7 days, last click wins.", 7.0),
    ("Cookie duration: 1 year.", 365.0),
    ("Cookies expire after 90 days; commissions are approved after a 30-day hold.", 90.0),
])
def test_cookie_contexts(text, days):
    t = extract_terms(text)
    assert t.cookie_days is not None and t.cookie_days.value == days
    assert t.cookie_days.quote(text)[0].isdigit() or t.cookie_days.quote(text)[0].isalpha()


def test_cookie_field_values_still_parse():
    assert parse_cookie_days("30-day") == 30.0 and parse_cookie_days("60") == 60.0
    assert parse_cookie("Lifetime cookie").lifetime is True


# --- recurring polarity ----------------------------------------------------------------------

@pytest.mark.parametrize("text,recurring,months,lifetime", [
    ("Earn 30% recurring for 12 months.", True, 12, None),
    ("Earn 20% lifetime commissions on every renewal.", True, None, True),
    ("You earn 20% as long as the customer remains subscribed.", True, None, True),
    ("Commission is paid on the first payment only.", False, None, None),
    ("The commission applies to the initial transaction only.", False, None, None),
    ("There are no commissions on renewal invoices.", False, None, None),
    ("Once a customer has purchased, you earn 20% on their order.", None, None, None),
])
def test_recurring_polarity(text, recurring, months, lifetime):
    d = terms(text)
    assert (d["recurring"], d["recurring_months"], d["lifetime"]) == (recurring, months, lifetime)


def test_recurrence_and_type_of_labels():
    assert recurrence_of("recurring") is True and recurrence_of("one-time") is False and recurrence_of("sale") is None
    assert payout_type_of("pay per lead") is P.CPL and payout_type_of("per sale") is P.CPS
    assert payout_type_of("CPA + RevShare") is P.REVSHARE and payout_type_of("banana") is P.UNKNOWN


# --- payout type convention ------------------------------------------------------------------

@pytest.mark.parametrize("text,kind", [
    ("Earn $5 per qualified lead.", "cpl"),
    ("Earn $40 for every new customer.", "cpa"),
    ("Earn $1 per click.", "cpc"),
    ("Earn $2 per install.", "cpi"),
    ("Earn $20 per sale.", "cps"),
    ("Earn 25% recurring commission.", "revshare"),
    ("Earn 10% of every order.", "cps"),
    ("Commission structure: Cost Per Lead (CPL), $3 per sign-up.", "cpl"),
])
def test_payout_type_convention(text, kind):
    assert terms(text)["payout_type"] == kind


def test_no_commission_for_clicks_does_not_make_cpc():
    assert terms("Commission 5% is paid only on completed purchases (no commission for clicks or leads).")["payout_type"] == "cps"


# --- payout terms ----------------------------------------------------------------------------

def test_payout_minimum_frequency_methods():
    d = terms("Payouts are sent on the 15th of each month via PayPal or bank transfer once your balance reaches €50.")
    assert (d["payout_minimum"], d["payout_currency"], d["frequency"]) == (50.0, "EUR", "monthly")
    assert d["methods"] == ["paypal", "bank"]
    assert terms("Our standard terms are Net 30.")["frequency"] == "net-30"
    assert terms("We check the stats and pay by PayPal.")["methods"] == ["paypal"]   # "check" the verb is no method
    assert terms("If the customer pays monthly, nothing changes.")["frequency"] is None
    assert parse_threshold("€25") == (25.0, "EUR")
    assert parse_payout(text="There is no minimum commission of Rs.10 per transaction.").minimum is None


# --- API shape -------------------------------------------------------------------------------

def test_every_value_has_a_span_into_the_original_text():
    text = "Earn 30% recurring for 12 months — cookies last 60 days; payouts monthly via PayPal, minimum $50."
    t = extract_terms(text)
    found = [t.model, t.percent_max, t.recurring, t.recurring_months, t.cookie_days, t.payout_minimum, t.frequency,
             *t.methods]
    assert all(isinstance(f, Found) for f in found)
    assert t.percent_max.quote(text) == "30%"
    assert t.cookie_days.quote(text).startswith("60")
    assert t.payout_minimum.quote(text) == "$50"
    assert t.methods[0].quote(text) == "PayPal"


def test_unknown_is_explicit():
    t = extract_terms("Join our partner community and grow with us.")
    assert isinstance(t, Terms) and set(t.unknown_fields()) == set(t.as_dict())
    c = t.to_commission()
    assert c.model is M.UNKNOWN and c.payout_type is P.UNKNOWN and c.raw.startswith("Join")
    assert extract_terms(None).as_dict()["model"] is None and extract_terms("   ").model is None


def test_to_models():
    t = extract_terms("Earn $75 per sale; payouts weekly via Payoneer once you reach $100.")
    c, p = t.to_commission(), t.to_payout()
    assert (c.model, c.flat_max, c.currency, c.payout_type) == (M.FLAT, 75.0, "USD", P.CPS)
    assert (p.minimum, p.currency, p.frequency, p.methods) == (100.0, "USD", "weekly", ["payoneer"])


def test_restrictions_are_terms():
    d = terms("Affiliates may not bid on our brand keywords, send unsolicited email or use toolbars.")
    assert d["restrictions"] == ["no-brand-bidding", "no-spam", "no-toolbar"]
    assert terms("Direct linking is required.")["restrictions"] is None

"""Property tests of the terms extractor: money formats, currency isolation, cookie context,
recurring polarity and robustness hold for generated text, not only for hand-picked strings."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matrix.normalize.commission import parse_commission
from matrix.normalize.cookie import parse_cookie_days
from matrix.normalize.terms import FIELDS, MAX_COOKIE_DAYS, extract_terms, find_money

SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "INR": "₹"}
amounts = st.decimals(min_value="0.01", max_value="999999.99", places=2).map(float)


def us_format(x: float) -> str:
    return f"{x:,.2f}"


def eu_format(x: float) -> str:
    return f"{x:,.2f}".replace(",", "_").replace(".", ",").replace("_", ".")


@SETTINGS
@given(amount=amounts, code=st.sampled_from(sorted(SYMBOLS)), style=st.sampled_from(["sym", "code_after", "code_before"]))
def test_money_round_trips_in_us_format(amount, code, style):
    s = us_format(amount)
    text = {"sym": f"{SYMBOLS[code]}{s}", "code_after": f"{s} {code}", "code_before": f"{code} {s}"}[style]
    found = find_money(f"Earn {text} per sale.")
    assert found and abs(found[0][0] - amount) < 1e-6 and found[0][1] == code


@SETTINGS
@given(amount=amounts)
def test_money_round_trips_in_european_format(amount):
    found = find_money(f"Verdienen Sie {eu_format(amount)} € pro Verkauf.")
    assert found and abs(found[0][0] - amount) < 1e-6 and found[0][1] == "EUR"


@SETTINGS
@given(a=amounts, b=amounts, pair=st.sampled_from([("USD", "EUR"), ("GBP", "USD"), ("EUR", "INR")]))
def test_two_currencies_never_share_a_range(a, b, pair):
    c1, c2 = pair
    text = f"Earn {SYMBOLS[c1]}{us_format(a)} or {SYMBOLS[c2]}{us_format(b)} per lead."
    d = extract_terms(text).as_dict()
    assert d["currency"] == c1
    assert d["flat"] == [a, a]


@SETTINGS
@given(days=st.integers(min_value=1, max_value=365),
       hold=st.sampled_from(["Commissions are held for {n} days.", "Payouts are delayed {n} days.",
                             "Customers have {n} days to ask for a refund.", "The free trial lasts {n} days."]))
def test_durations_outside_a_cookie_context_are_not_cookies(days, hold):
    assert extract_terms(hold.format(n=days)).cookie_days is None
    assert parse_cookie_days(hold.format(n=days)) is None


@SETTINGS
@given(days=st.integers(min_value=1, max_value=365),
       phrase=st.sampled_from(["Our cookie lasts {n} days.", "Referrals are tracked for {n} days.",
                               "Buy within {n} days of the click and you get credit.", "Cookie duration: {n} days."]))
def test_durations_in_a_cookie_context_are_cookies(days, phrase):
    assert extract_terms(phrase.format(n=days)).cookie_days.value == float(days)


@SETTINGS
@given(rate=st.integers(min_value=1, max_value=90), months=st.integers(min_value=2, max_value=36))
def test_recurring_polarity(rate, months):
    d = extract_terms(f"Earn {rate}% recurring commission for {months} months.").as_dict()
    assert (d["recurring"], d["recurring_months"], d["percent"]) == (True, months, [float(rate), float(rate)])
    d = extract_terms(f"Earn {rate}% on the first payment only.").as_dict()
    assert d["recurring"] is False
    d = extract_terms(f"Once a customer has purchased, you earn {rate}% of the order.").as_dict()
    assert d["recurring"] is None


@SETTINGS
@given(code=st.sampled_from(["USD", "EUR", "GBP", "usd"]), zero=st.sampled_from(["0", "0.00", "0,00", "0.0"]))
def test_zero_amounts_are_unknown(code, zero):
    assert parse_commission(zero, currency_hint=code).flat_max is None
    assert extract_terms(f"Commission: {zero} {code.upper()}").model is None


@SETTINGS
@given(st.text(max_size=300))
def test_any_text_gives_typed_or_unknown_values(text):
    t = extract_terms(text)
    d = t.as_dict()
    assert set(d) == set(FIELDS)
    assert d["cookie_days"] is None or 0 <= d["cookie_days"] <= MAX_COOKIE_DAYS
    assert d["percent"] is None or all(v is None or 0 < v <= 100 for v in d["percent"])
    found = [f for f in (t.model, t.percent_max, t.flat_max, t.cookie_days, t.payout_minimum) if f is not None]
    assert all(0 <= f.span[0] < f.span[1] <= len(text) for f in found)

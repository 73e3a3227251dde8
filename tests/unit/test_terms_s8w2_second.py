"""Session-8 (second wave, second pass) rules for recurring, recurring_months, lifetime, payout_minimum / currency,
frequency and methods.

Each rule states a general fact about how terms are written, checked on sentences written for this file (none is a
quote of a labelled corpus) in several wordings, plus look-alikes the rule must leave alone. Only the field a rule is
about is asserted, so the other fields stay free to change under their own rules.
"""

from __future__ import annotations

from typing import Any

import pytest

from matrix.normalize.terms import extract_terms


def _field(text: str, name: str) -> Any:
    value = extract_terms(text).as_dict()[name]
    return sorted(value) if isinstance(value, list) else value


# --- recurring: every purchase of one of the referred people -------------------------------------------------------

@pytest.mark.parametrize("text", [
    "You earn 30% of our service fee each time one of your referrals buys a gift box.",
    "Partners receive 20% of the trading fee every time any of your invited traders sells a coin.",
    "We pay a 5% commission whenever one of your referred customers books a room.",
    "You earn 15% commission, and we will continue to pay you while the customer keeps buying.",
])
def test_every_purchase_of_a_referred_person_recurs(text: str) -> None:
    assert _field(text, "recurring") is True


def test_a_bare_share_of_trading_fees_stays_unqualified() -> None:
    # the convention: a share of trading fees with no recurring wording says nothing about recurrence
    assert _field("Invite traders and earn 20% of their trading fees as a rebate.", "recurring") is not True


# --- recurring_months / lifetime: a window "since" registration, a quoted duration field ---------------------------

@pytest.mark.parametrize(("text", "months"), [
    ("You receive 40% of the revenue from your referrals for 90 days since your referral's registration.", 3),
    ("Affiliates get 25% of the fees within 12 months since the sign-up of the user.", 12),
    ("We share 30% of the revenue during 2 years since their registration.", 24),
])
def test_window_since_registration_caps_the_commission(text: str, months: int) -> None:
    assert _field(text, "recurring_months") == months


@pytest.mark.parametrize("text", [
    "program: { commission: '25% recurring', isRecurring: true, recurringDuration: 'lifetime' }",
    '{"commission": "20%", "commission_term": "lifetime"}',
    "A 15% commission is paid monthly. The end term of the commission payments is not set.",
])
def test_lifetime_from_a_quoted_duration_or_an_unset_end(text: str) -> None:
    assert _field(text, "lifetime") is True


def test_lifetime_cookie_field_is_not_a_commission_lifetime() -> None:
    assert _field("{ commission: '20%', cookieDuration: 'lifetime' }", "lifetime") is None


# --- recurring in other languages: a first order with no commission read says nothing ------------------------------

@pytest.mark.parametrize("text", [
    "Les points de fidélité du parrain sont crédités à la première commande du filleul.",
    "Platí pouze pro první nákup. Slevu nelze kombinovat s jinými akcemi.",
])
def test_first_order_without_a_commission_is_not_one_time(text: str) -> None:
    assert _field(text, "recurring") is None


# --- payout minimum: paid in a coin; Slovak "exceeds"; German "from a balance of" ----------------------------------

@pytest.mark.parametrize(("text", "value", "currency"), [
    ("A minimum withdrawal of 25 USD worth of Bitcoin is required to cash out.", 25.0, "USD"),
    ("The minimum payout is 50 EUR worth of USDT, sent to your wallet.", 50.0, "EUR"),
    ("Keď vaša odmena presiahne sumu 300 €, môžete požiadať o výplatu provízie.", 300.0, "EUR"),
    ("Ab einem Affiliate-Guthaben von 20€ kannst Du eine Auszahlung beantragen.", 20.0, "EUR"),
])
def test_payout_minimum_phrasings(text: str, value: float, currency: str) -> None:
    assert _field(text, "payout_minimum") == value
    assert _field(text, "payout_currency") == currency


def test_sales_worth_is_still_no_minimum() -> None:
    assert _field("Affiliates who drove $5,000 worth of sales last year get a bonus.", "payout_minimum") is None


# --- frequency: a count per month and a monthly revenue share are no payout schedule -------------------------------

@pytest.mark.parametrize("text", [
    "Rewards are capped at 10 qualified referrals per calendar month and paid by bank transfer.",
    "Partners earn a 5-10% monthly revshare on client deposits, paid by bank transfer.",
])
def test_counts_and_shares_per_month_are_no_schedule(text: str) -> None:
    assert _field(text, "frequency") is None


# --- methods: the program's points named as the reward, without an amount ------------------------------------------

@pytest.mark.parametrize("text", [
    "احصل على مكافآت مقابل كل توصية بنسبة 3% من قيمة مشتريات صديقك على شكل نقاط.",
    "Vous recevez une commission de 5 % sous forme de points sur chaque commande.",
    "Kazandığınız puanları sistemde kullanabilir veya başka hesaba transfer edebilirsiniz; komisyon %10.",
])
def test_points_named_as_the_reward_are_store_credit(text: str) -> None:
    assert "store_credit" in (_field(text, "methods") or [])

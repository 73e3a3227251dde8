"""Session 13: amounts that are no commission (payout thresholds, statistics, caps), the rupiah sign, "as high as",
and recurring / lifetime wording ("10% monthly", "Commission Type: Perpetual", "on a permanent basis").

The sentences below are written for these tests (not copied from the corpus); each rule has its guards beside it.
"""

from __future__ import annotations

import pytest

from matrix.normalize.terms import extract_terms


def _d(text: str) -> dict:
    return extract_terms(text).as_dict()


# --- a balance to reach, in other languages, is a payout threshold -------------------------------------------------

@pytest.mark.parametrize("text, minimum, currency", [
    ("Die Auszahlung erfolgt per PayPal. Die Provision kann ausgezahlt werden, sobald sie 50 EUR erreicht.", 50.0, "EUR"),
    ("Výplata provize probíhá na bankovní účet, jakmile výše provize překročí 500,-Kč.", 500.0, "CZK"),
])
def test_a_balance_to_reach_is_a_minimum_not_a_flat_commission(text: str, minimum: float, currency: str) -> None:
    d = _d(text)
    assert d["flat"] is None and d["model"] is None
    assert d["payout_minimum"] == minimum and d["payout_currency"] == currency


def test_a_reward_per_unit_in_another_language_is_still_a_flat_commission() -> None:
    d = _d("Für jede neue Anmeldung erhalten Sie eine Provision von 20 EUR.")
    assert d["flat"] == [20.0, 20.0] and d["currency"] == "EUR"


# --- the amounts under a "Minimum Payout" heading ------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "Withdrawals | Method | Minimum Payout | PayPal | $20 | Wire | $250",
    "The minimum payout for each method is as follows: PayPal $50, Payoneer $100",
])
def test_amounts_under_a_minimum_payout_heading_are_no_commission(text: str) -> None:
    d = _d(text)
    assert d["flat"] is None and d["model"] is None and d["payout_minimum"] is not None


def test_a_commission_table_with_a_threshold_column_keeps_its_commission() -> None:
    d = _d("| Provider | Commission | Type | Cookie | Min Payout | New User Deal | Status | | **Acme** | €15 credit "
           "| Credits only | - | N/A | €25 credit | Credits only |")
    assert d["flat"] == [15.0, 25.0] and d["currency"] == "EUR" and d["payout_minimum"] is None


# --- statistics and caps written as labels -------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "- Commission: 20% per sale - EPC: $112 (strong) - Cookie: 60 days",
    "Commission: 20% per sale | 7-day EPC: $48.10 | Cookie: 60 days",
    "Month 1-3: 10% of their revenue | Month 4-6: 5% of their revenue | Total Commission Cap: $2,000 per referral",
])
def test_a_statistic_or_cap_label_holds_no_flat_commission(text: str) -> None:
    d = _d(text)
    assert d["flat"] is None and d["currency"] is None


def test_a_commission_label_still_holds_a_flat_commission() -> None:
    d = _d("Commission: $40 per sale | Cookie: 30 days")
    assert d["flat"] == [40.0, 40.0] and d["currency"] == "USD"


# --- the rupiah sign -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, amount", [
    ("Komisi Rp25.000 per pendaftaran", 25000.0),
    ("You earn a commission of Rp150,000 per sale.", 150000.0),
])
def test_rp_before_an_amount_is_the_rupiah(text: str, amount: float) -> None:
    d = _d(text)
    assert d["flat"] == [amount, amount] and d["currency"] == "IDR"


def test_rp_inside_a_word_is_no_currency() -> None:
    assert _d("Our RPM is 12 and commissions are 10% per sale")["currency"] is None


# --- "as high as" caps a rate ----------------------------------------------------------------------------------------

def test_as_high_as_is_an_upper_bound() -> None:
    d = _d("The commission depends on the product you refer. It can be as high as 40% for some bundles.")
    assert d["percent"] == [None, 40.0]


def test_a_plain_rate_has_both_bounds() -> None:
    assert _d("The commission is 40% for every bundle you refer.")["percent"] == [40.0, 40.0]


# --- recurring and lifetime wording ----------------------------------------------------------------------------------

def test_a_rate_paid_monthly_is_recurring_revenue_share() -> None:
    d = _d("Once the referred user subscribes, the referrer earns 15% monthly.")
    assert d["recurring"] is True and d["payout_type"] == "revshare"


@pytest.mark.parametrize("text", [
    "Partners earn 15% on every sale. Our monthly fees start at $9.",
    "We charge a 15% monthly fee on top of the plan price.",
])
def test_monthly_not_after_a_rate_is_not_recurring(text: str) -> None:
    assert _d(text)["recurring"] is None


@pytest.mark.parametrize("text", [
    "Commission: 25% recurring | Commission Type: Perpetual (for the life of the account)",
    "Rate: 25% recurring commission. Commission duration: • Lifetime of the subscription",
])
def test_a_duration_field_answered_perpetual_or_lifetime_of_is_lifetime(text: str) -> None:
    d = _d(text)
    assert d["lifetime"] is True and d["recurring"] is True


def test_customer_lifetime_value_is_no_lifetime_commission() -> None:
    assert _d("We pay 25% per sale. Our customers have a high lifetime value.")["lifetime"] is None


def test_on_a_permanent_basis_in_russian_is_lifetime() -> None:
    d = _d("Вы получаете комиссию 20% с каждой покупки привлечённого клиента на постоянной основе.")
    assert d["lifetime"] is True and d["recurring"] is True

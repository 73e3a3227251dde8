"""Session 6 commission rules, each on sentences written here (not quotes from the corpus), several wordings per idea.

Each rule was kept only because it raised (or cut false positives on) the in-session check rounds 16-21 without
lowering any commission field there. Families: the customer's lifetime said with a possessive; "each month that
customer stays"; a months cap given as the answer right after a commission question (never a balance carried
forward); "100% free" describes, it pays nothing; a table of rates labelled by rungs (levels, metals, count bands)
with no commission word beside it.
"""

from __future__ import annotations

import pytest

from matrix.normalize.terms import extract_terms


def _fields(text: str) -> dict:
    return extract_terms(text).as_dict()


# --- the customer's lifetime, said with a possessive ---------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "Partners collect 25% recurring for the customer's lifetime.",
    "You are paid 15% of every invoice over their entire lifetime.",
    "Commission: 30% recurring for each client's whole lifetime",
    "We share 20% of what referred users pay, for the user's life.",
])
def test_a_possessive_lifetime_is_a_lifetime_commission(text: str) -> None:
    got = _fields(text)
    assert got["lifetime"] is True and got["recurring"] is True and got["recurring_months"] is None


@pytest.mark.parametrize("text", [
    "Earn 20% per sale; we rank programs by customer lifetime value.",
    "Earn 20% per sale. The tracking cookie stays for the visitor's lifetime.",
    "Earn 20% on each order, estimated over the lifetime of the cookie.",
])
def test_lifetime_value_or_a_cookie_lifetime_is_no_lifetime_commission(text: str) -> None:
    assert _fields(text)["lifetime"] is None


@pytest.mark.parametrize("text", [
    "You are paid 20% each month that customer remains subscribed.",
    "Affiliates get 25% for every month this subscriber stays active.",
    "A 10% share is credited each month a referral keeps paying.",
])
def test_each_month_that_customer_stays_is_a_lifetime(text: str) -> None:
    got = _fields(text)
    assert got["lifetime"] is True and got["recurring"] is True


# --- a months cap answered right after a commission question -------------------------------------------------------

@pytest.mark.parametrize(("text", "months"), [
    ("Are referral commissions recurring? Yes, for 12 months.", 12),
    ("Do we pay commission on renewals? Yes, up to 24 months.", 24),
    ("Is the affiliate commission ongoing? It lasts for the first 6 months.", 6),
])
def test_a_months_cap_in_the_answer_to_a_commission_question(text: str, months: int) -> None:
    got = _fields(text)
    assert got["recurring_months"] == months and got["recurring"] is True


@pytest.mark.parametrize("text", [
    "Referral commissions under $25 are not paid out. Balances are carried forward for a maximum of 6 months.",
    "Your commission balance must reach $50. Unpaid balances roll over for up to 12 months.",
    "Commissions are due once you hit the threshold. Below it, amounts wait for up to 3 months.",
])
def test_a_balance_carried_forward_caps_no_commission(text: str) -> None:
    got = _fields(text)
    assert got["recurring_months"] is None and got["recurring"] is None


# --- "100% free" describes, it pays nothing ------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "Joining the affiliate program is 100% free and takes two minutes.",
    "Our partner program is 100% online: no paperwork.",
    "Every affiliate payout goes through a 100% secure checkout.",
    "The referral program is 100% risk-free for publishers.",
])
def test_a_percent_used_as_an_adverb_is_no_commission(text: str) -> None:
    got = _fields(text)
    assert got["percent"] is None and got["model"] is None


def test_a_real_rate_beside_an_adverbial_percent_still_reads() -> None:
    got = _fields("Our affiliate program is 100% free to join, and you earn 25% commission per sale.")
    assert got["percent"] == [25.0, 25.0]


# --- a rate table labelled by rungs --------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "tiers"), [
    ("Tier 1: 8% | Tier 2: 10% | Tier 3: 12%", [8.0, 10.0, 12.0]),
    ("Bronze – 5% | Silver – 7% | Gold – 9%", [5.0, 7.0, 9.0]),
    ("1-20 orders per month: 6% | 21-60 orders per month: 8% | 61+ orders per month: 11%", [6.0, 8.0, 11.0]),
    ("Level 1 (new partners): 15% ; Level 2 (after 40 sales): 18%", [15.0, 18.0]),
])
def test_a_table_of_rates_labelled_by_rungs_is_a_tier_table(text: str, tiers: list[float]) -> None:
    got = _fields(text)
    assert got["tiers"] == tiers and got["model"] == "percent"
    assert got["percent"] == [min(tiers), max(tiers)]


@pytest.mark.parametrize("text", [
    "Gold members: 20% off | Silver members: 10% off",          # discounts, not rates paid
    "Level 1: 20% | everything else as usual",                   # one rung alone is no table
    "Tier 1: 5% fee | Tier 2: 3% fee",                          # fees charged
])
def test_rungs_without_a_rate_table_state_no_commission(text: str) -> None:
    got = _fields(text)
    assert got["tiers"] is None and got["percent"] is None

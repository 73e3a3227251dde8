"""Session 7 prose rules (ordinary pages: agency write-ups, B2B referral terms, local-business referral offers), each on
sentences written here (not quotes from any corpus), several wordings per idea.

Families: an example marker that only names a program's rate ("for instance, X pays 8%") is no worked example, while
one that works a case (money, arithmetic, a condition, a scenario told to or by a person) still is; a reward credited
against what the referrer buys ("a $200 tuition credit", "credits to use towards your next visit") is paid in store
credit, but "you receive credit for the sale" is attribution; the size of what the customer buys ("a minimum project
value of $1,000", "orders with a total of $300 or more") and the step a reward accrues in ("multiples of $10") are no
payout minimum; a share of the customer's first year of spending is recurring for 12 months; a price "reduction" is
no commission; a share of one month's revenue, a table cell "One-off" and a fee paid only on the first project are
one-time.
"""

from __future__ import annotations

import pytest

from matrix.normalize.terms import extract_terms


def _fields(text: str) -> dict:
    return extract_terms(text).as_dict()


# --- an example marker that names a rate is no worked example ------------------------------------------------------

@pytest.mark.parametrize(("text", "percent"), [
    ("For example, Acme Outdoor offers roughly 6% commission on every order through its program.", [6.0, 6.0]),
    ("Charity programs vary. For instance, HelpNow runs a tiered plan from 3% up to 9% depending on volume.", [3.0, 9.0]),
    ("Some partner programs pay well, e.g. the Lumen affiliate scheme with 12% on all plans.", [12.0, 12.0]),
    ("For example, the publisher network gives partners 15% of net revenue.", [15.0, 15.0]),
])
def test_an_example_that_names_a_rate_keeps_the_rate(text: str, percent: list[float]) -> None:
    got = _fields(text)
    assert got["model"] == "percent"
    assert got["percent"] == percent


@pytest.mark.parametrize("text", [
    "For example, if a referral buys a $250 plan, you would earn $50.",
    "For instance, when your friend spends 20% more, the reward grows as well.",
    "We could, for instance, hand out a 10% discount code. You would then earn 12% on each sale - $12.",
    "For example, suppose your visitor orders twice: the second order also earns 5%.",
])
def test_a_worked_example_still_states_no_rate(text: str) -> None:
    got = _fields(text)
    assert got["percent"] is None
    assert got["flat"] is None


def test_the_tiers_of_a_named_example_are_a_tier_ladder() -> None:
    got = _fields("For instance, HelpNow runs a tiered plan from 3% up to 9% depending on volume.")
    assert got["tiers"] == [3.0, 9.0]


# --- a reward credited against what the referrer buys is store credit -----------------------------------------------

@pytest.mark.parametrize("text", [
    "Refer a new tenant and get a $200 rent credit once they move in.",
    "Each family you refer earns you a $60 tuition credit.",
    "You will start receiving studio credit equal to 5% of what they spend.",
    "You will receive credits to use towards your next eye exam or glasses.",
    "Referral credit cannot be used towards outstanding balances.",
])
def test_a_credit_spent_with_the_merchant_is_store_credit(text: str) -> None:
    assert "store_credit" in (_fields(text)["methods"] or [])


@pytest.mark.parametrize("text", [
    "If someone clicks your link and buys within 60 days, you receive credit for that sale.",
    "As long as the cookie is set, you will receive full credit for the referral.",
    "You are entitled to receive a credit if a visitor clicks your link and subscribes.",
])
def test_credit_for_a_referral_is_attribution_not_a_method(text: str) -> None:
    assert _fields(text)["methods"] is None


# --- the size of what the customer buys is no payout minimum ---------------------------------------------------------

@pytest.mark.parametrize("text", [
    "You are paid 10% of the final invoice, with a minimum project value of $1,000.",
    "Rewards only apply to bookings with a confirmed value of $900 or above, and are paid by bank transfer.",
    "Members can refer as many friends as they like and accumulate multiples of $10 in payouts.",
    "Commissions are paid on orders with a total of $300 or more.",
])
def test_an_order_size_is_no_payout_minimum(text: str) -> None:
    assert _fields(text)["payout_minimum"] is None


def test_a_real_payout_minimum_still_reads() -> None:
    got = _fields("Orders with a value over $50 earn 8%. The minimum payout is $25, paid by PayPal.")
    assert got["payout_minimum"] == 25.0


# --- a share of the first year of spending recurs for 12 months ----------------------------------------------------

@pytest.mark.parametrize("text", [
    "You earn 10% of your referral's first year's purchases.",
    "Partners receive 20% for the customer's first year.",
    "Get 15% of every client's first-year spending with us.",
    "Earn 25% during a subscriber's first year.",
])
def test_a_share_of_the_first_year_recurs_for_twelve_months(text: str) -> None:
    got = _fields(text)
    assert got["recurring"] is True
    assert got["recurring_months"] == 12
    assert got["payout_type"] == "revshare"


# --- a price reduction is no commission ----------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "Both the new member and the referring member receive a 15% reduction on dues.",
    "Refer a neighbour and enjoy a 10% price cut on your next service.",
    "Existing clients get a 5% reduction for every friend who signs up.",
])
def test_a_reduction_is_no_commission(text: str) -> None:
    got = _fields(text)
    assert got["model"] is None
    assert got["percent"] is None


# --- one period's revenue, a "One-off" cell and a first-project fee are one-time -----------------------------------

@pytest.mark.parametrize("text", [
    "The referrer earns 30% of one month's MRR once the contract is signed.",
    "Partners get 50% of the first month's subscription fee for each new client.",
    "Business Loans | Arrangement Fee | 40% of the arrangement fee | One-off",
    "We pay 10% on a successful referral. We will only pay a referral fee for the first project a new client books.",
])
def test_a_one_period_or_first_project_reward_is_one_time(text: str) -> None:
    assert _fields(text)["recurring"] is False


def test_a_recurring_cell_beside_a_one_off_cell_still_recurs() -> None:
    got = _fields("Plan | Commission | Duration\nBasic | 20% | One-off\nTeam | 30% | Recurring monthly")
    assert got["recurring"] is True


# --- a reward handed to the referrer is a flat commission; a referred party's life is a lifetime --------------------

@pytest.mark.parametrize(("text", "amount"), [
    ("Refer a friend to the studio and we will reward you with a $35 class credit.", 35.0),
    ("Every new customer you refer equals $15 in your pocket.", 15.0),
    ("Each new member you refer gets you $40 once they join.", 40.0),
])
def test_a_reward_handed_to_the_referrer_is_a_flat_commission(text: str, amount: float) -> None:
    got = _fields(text)
    assert got["model"] == "flat"
    assert got["flat"] == [amount, amount]
    assert got["currency"] == "USD"


@pytest.mark.parametrize("text", [
    "You receive 8% of the monthly fee for the life of the referred company.",
    "Partners earn 12% of billings for the lifetime of the introduced business.",
    "A 5% commission is paid over the life of the referred account holder.",
])
def test_the_life_of_the_referred_party_is_a_lifetime(text: str) -> None:
    got = _fields(text)
    assert got["lifetime"] is True
    assert got["recurring"] is True


# --- a maximum after a per-unit amount caps the total, it is no second commission -----------------------------------

@pytest.mark.parametrize(("text", "flat"), [
    ("We pay a referral fee of $30 per seat, up to a maximum of $6,000 per account.", [30.0, 30.0]),
    ("Partners get $12 per lead, with a maximum of $900 per month.", [12.0, 12.0]),
    ("You earn $40 per install, capped at $2,000 per customer.", [40.0, 40.0]),
])
def test_a_maximum_after_a_per_unit_amount_is_no_commission(text: str, flat: list[float]) -> None:
    assert _fields(text)["flat"] == flat


def test_a_higher_per_unit_amount_still_widens_the_range() -> None:
    assert _fields("You earn $5 per sale, up to $50 per sale on premium plans.")["flat"] == [5.0, 50.0]

"""Session 7 commission rules, each on sentences written here (not quotes from any corpus), several wordings per idea.

Families, most of them guards that remove a false reading: a percent of the affiliate's own commission (an extra, a
withholding, a proration, a split) is no rate; what is withheld, deducted or kept by the merchant is no rate; the rest
of a split payment is no rate; a fee named by a way of paying, a customer discount with a word before it, a share of a
bonus pool and a step up "by N%" are no rate; a worked case that prices a purchase and states what it earns has no
rate of its own; an amount band before an arrow ("$7,000 – $49,999 → 20%") bounds a tier, it pays nothing. Readings
added: a rate range that moves with the affiliate's results or rank is a tier ladder; "up to" after "could earn" caps
a rate (a worked case is exact); a reward paid in credit ("$30 of credit per referral", "in the form of $25 credits");
keys of data files ("commission_rate", "commissionRate") are commission words.
"""

from __future__ import annotations

import pytest

from matrix.normalize.terms import extract_terms


def _fields(text: str) -> dict:
    return extract_terms(text).as_dict()


def _no_commission(text: str) -> None:
    got = _fields(text)
    assert (got["model"], got["percent"], got["flat"], got["currency"], got["tiers"]) == (None, None, None, None, None)


# --- a percent of the affiliate's own commission is no rate --------------------------------------------------------

@pytest.mark.parametrize("text", [
    "Convert your earnings to store credit and you'll get an extra 10% of your commission.",
    "Foreign publishers: we will withhold 30% of your commission for tax.",
    "We pay out 100% of the earned commission in credits once approved.",
    "The value of 50% of the Commission shall be paid on the 20th of the following month.",
    "Partners may receive 60% of their pending commission early on request.",
])
def test_a_share_of_the_affiliates_own_commission_is_no_rate(text: str) -> None:
    _no_commission(text)


@pytest.mark.parametrize("text, rate", [
    ("Referring agents earn 25% of the gross commission due to the side referred.", [25.0, 25.0]),
    ("Cashback partners receive 50% of the commission we receive from the merchant.", [50.0, 50.0]),
    ("Affiliates earn 20% commission on every sale.", [20.0, 20.0]),
    ("You get up to 30% of the trading commissions paid by your friends.", [None, 30.0]),
])
def test_a_share_of_a_commission_someone_else_is_paid_stays_a_rate(text: str, rate: list) -> None:
    assert _fields(text)["percent"] == rate


# --- what is kept back, deducted, or taken by the merchant; the rest of a split ------------------------------------

@pytest.mark.parametrize("text", [
    "We deduct 5% from every payout to cover processing.",
    "Half of your commission is paid upfront and the other 50% after 60 days.",
    "Sixty percent is released on approval and the remaining 40% once the refund window closes.",
    "We take a 15% platform cut from every sale made on the marketplace.",
    "The marketplace keeps 20% of each order as its service share.",
])
def test_withheld_deducted_or_merchant_shares_are_no_rate(text: str) -> None:
    _no_commission(text)


# --- fees of a way of paying, customer discounts, bonus pools, step-ups -------------------------------------------

@pytest.mark.parametrize("text", [
    "Payouts are sent via PayPal; a 2% PayPal fee may apply.",
    "A 1% currency conversion charge applies to payouts in EUR.",
    "The first 100 customers get a 15% lifetime discount.",
    "Shoppers enjoy a 10% first-order discount with your link.",
    "The partner earns 10% of the bonus pool, shared among the top three affiliates.",
    "You can increase your commission rate by 5% after six months of activity.",
    "Boost your earnings by 20% with our new creative kit.",
])
def test_fees_discounts_pools_and_step_ups_are_no_rate(text: str) -> None:
    _no_commission(text)


# --- a worked case has no rate of its own --------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "For a $200 sale with an 8% rate, the affiliate earns $16.",
    "If someone buys a $300 course at our 30% rate, you get $90.",
    "Say a client spends $1,000 at a 12% rate: you receive $120.",
])
def test_the_rate_inside_a_priced_worked_case_is_no_rate(text: str) -> None:
    _no_commission(text)


@pytest.mark.parametrize("text, rate", [
    ("Earn 10% on every order; a customer who buys $200 earns you $20.", [10.0, 10.0]),
    ("Earn 3% on orders up to £50 and 5% on orders above £50.", [3.0, 5.0]),
    ("Affiliates that have referred $100 worth of new business earn 20% commission.", [20.0, 20.0]),
])
def test_a_rate_stated_before_the_case_or_beside_a_condition_stays(text: str, rate: list) -> None:
    assert _fields(text)["percent"] == rate


# --- an amount band before an arrow bounds a tier ------------------------------------------------------------------

@pytest.mark.parametrize("text, tiers", [
    ("Commission tiers by monthly revenue: Tier 1: < $7,000 → 15%; Tier 2: $7,000 – $49,999 → 20%; "
     "Tier 3: $50,000+ → 25%.", [15.0, 20.0, 25.0]),
    ("Commission by monthly sales: $0 - $999 -> 10%; $1,000 - $4,999 -> 15%; $5,000+ -> 20%", [10.0, 15.0, 20.0]),
    ("Commission ladder: up to €2,000 ⇒ 8% | €2,000 - €10,000 ⇒ 10% | over €10,000 ⇒ 12%", [8.0, 10.0, 12.0]),
])
def test_amount_bands_before_an_arrow_are_tier_bounds_not_flat_amounts(text: str, tiers: list) -> None:
    got = _fields(text)
    assert got["flat"] is None and got["currency"] is None and got["model"] == "percent"
    assert got["tiers"] == tiers


# --- a rate range that moves with the affiliate's results or rank is a ladder -------------------------------------

@pytest.mark.parametrize("text, tiers", [
    ("Partners earn 30%-45% commission depending on revenue.", [30.0, 45.0]),
    ("The program pays 4 percent to 7 percent of the booking value, scaling with monthly volume.", [4.0, 7.0]),
    ("Commission rates vary with your partner level: 10% or 20%.", [10.0, 20.0]),
    ("Affiliates earn 25% for the first 500 bookings each month, then 30% for bookings above 500.", [25.0, 30.0]),
    ("Rates go from 5% for new affiliates to 12% once you pass 100 sales.", [5.0, 12.0]),
    ("Our commission is 15% to 25%, tied to the number of conversions you drive.", [15.0, 25.0]),
])
def test_a_rate_range_tied_to_results_or_rank_is_a_tier_ladder(text: str, tiers: list) -> None:
    assert _fields(text)["tiers"] == tiers


@pytest.mark.parametrize("text", [
    "We pay 10% on hoodies and 15% on shirts. Commissions are calculated based on sales revenue.",
    "Earn 5% on electronics and 8% on fashion.",
    "Earn 10% commission; students of the academy earn 20% depending on their student status.",
])
def test_rates_by_product_or_a_calculation_base_are_no_ladder(text: str) -> None:
    assert _fields(text)["tiers"] is None


# --- "could earn up to" caps the rate; a worked "could" stays out --------------------------------------------------

@pytest.mark.parametrize("text, flat", [
    ("For every new subscriber you bring, you could earn up to $36.", [None, 36.0]),
    ("Each business you refer could earn you up to $500.", [None, 500.0]),
    ("Refer a team and you could get up to £80 per signup.", [None, 80.0]),
])
def test_could_earn_up_to_states_a_capped_flat_rate(text: str, flat: list) -> None:
    got = _fields(text)
    assert got["model"] == "flat" and got["flat"] == flat


@pytest.mark.parametrize("text", [
    "A customer spending £500 would earn you £50.",
    "Ten sales a month could net you $300.",
])
def test_a_conditional_without_up_to_is_a_worked_case(text: str) -> None:
    assert _fields(text)["flat"] is None


# --- rewards paid in credit ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, amount, currency", [
    ("Referrals are rewarded in the form of $25 credits.", 25.0, "USD"),
    ("We will issue $10 in account credits for every referred customer.", 10.0, "USD"),
    ("We grant $30 of credit per referral.", 30.0, "USD"),
    ("You earn €15 in store credit for each friend who orders.", 15.0, "EUR"),
])
def test_a_reward_paid_in_credit_is_a_flat_commission(text: str, amount: float, currency: str) -> None:
    got = _fields(text)
    assert got["model"] == "flat" and got["flat"] == [amount, amount] and got["currency"] == currency


@pytest.mark.parametrize("text", [
    "New customers receive $20 in credit when they sign up.",
    "Your credit score must be above 600 to apply.",
    "Your friend gets $10 in credit on their first order.",
])
def test_credit_for_the_referred_party_or_a_credit_score_is_no_commission(text: str) -> None:
    _no_commission(text)


# --- keys of data files ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, rate", [
    ('{"program": "Acme", "commission_rate": "25%", "cookie_duration": "30 days"}', [25.0, 25.0]),
    ('{ name: "Tool", commissionRate: "18%", tier: "default" }', [18.0, 18.0]),
    ("affiliate_commission: 12% of net revenue", [12.0, 12.0]),
    ('{ "referralRewardPercent": "30%" }', [30.0, 30.0]),
])
def test_data_file_keys_are_commission_words(text: str, rate: list) -> None:
    assert _fields(text)["percent"] == rate


@pytest.mark.parametrize("text", [
    '{ name: "Tool", pricing: "$29/mo", discount_rate: "20% off annual", rating: 4.5 }',
    '{ name: "Tool", growth_rate: "35%", users: "10k+" }',
])
def test_data_file_keys_of_other_figures_state_no_commission(text: str) -> None:
    _no_commission(text)


# --- a rung that names referrals of a network depth is an override, a rung of counts stays a tier -----------------

@pytest.mark.parametrize("text, rate", [
    ("Direct referrals: 20% of their fees. Level 2 referrals: 5%. Level 3 referrals: 2%.", [20.0, 20.0]),
    ("Tier 1 - Direct Referrals: Earn 30% of each fee.\nTier 2 - Indirect Referrals: Earn 3% of each fee.", [30.0, 30.0]),
    ("Your referrals earn you 25%; line 2 friends - 5%.", [25.0, 25.0]),
])
def test_a_rung_naming_deeper_referrals_is_no_rate_of_yours(text: str, rate: list) -> None:
    got = _fields(text)
    assert got["percent"] == rate and got["tiers"] is None


@pytest.mark.parametrize("text, tiers", [
    ("Commission tiers: Tier 1 (1-9 referrals): 20%; Tier 2 (10-24 referrals): 25%; Tier 3 (25+ referrals): 30%.",
     [20.0, 25.0, 30.0]),
    ("Level 1: 20% | Level 2: 25% | Level 3: 30%", [20.0, 25.0, 30.0]),
])
def test_rungs_of_a_volume_ladder_stay_tiers(text: str, tiers: list) -> None:
    assert _fields(text)["tiers"] == tiers


# --- statistics written as data-file keys, and the processor's cut -------------------------------------------------

@pytest.mark.parametrize("text, rate", [
    ('{ name: "Tool", approvalRate: "85%", epc: "$0.45" }', None),
    ('{ name: "Tool", acceptance_rate: "~1%", commission: "30%" }', [30.0, 30.0]),
    ("Our fee is 0% of your sales; payment processing is 2.9%.", None),
    ("Commission: ~30% of each sale", [30.0, 30.0]),
])
def test_statistics_as_keys_and_processing_cuts_are_no_rate(text: str, rate: list | None) -> None:
    assert _fields(text)["percent"] == rate


# --- a yield on money held is no share of sales; cash back the affiliate earns stays a rate --------------------------

@pytest.mark.parametrize("text", [
    "Get 4.5% APY on your savings balance.",
    "Earn up to 7% APY on USDC holdings.",
    "Our loans come at 5% annual interest.",
    "The bond pays 6% p.a. to investors.",
])
def test_a_yield_or_interest_is_no_commission(text: str) -> None:
    _no_commission(text)


def test_cash_back_the_affiliate_earns_on_referred_orders_stays_a_rate() -> None:
    assert _fields("When a visitor buys through your link you earn 30% cash back on their order.")["percent"] == [30.0, 30.0]


@pytest.mark.parametrize("text", [
    "Get a 100% match on your first deposit.",
    "Get a 20% improvement in page speed with our CDN.",
    "You get a 15% stake in the joint venture.",
    "Earn 12% savings on every order you place.",
    "Members get a 10% uplift on rewards points.",
])
def test_what_a_product_or_offer_does_is_no_commission(text: str) -> None:
    _no_commission(text)


@pytest.mark.parametrize("text", [
    "Earn 8% annual return on your investment.",
    "Investors get a 7% return on their capital.",
    "Get 5% rakeback on every hand you play.",
    "Odds boost: get 25% better odds on selected games.",
])
def test_returns_on_capital_and_player_perks_are_no_commission(text: str) -> None:
    _no_commission(text)


def test_a_return_on_referred_sales_stays_a_rate() -> None:
    assert _fields("Earn 20% return on every referred sale.")["percent"] == [20.0, 20.0]

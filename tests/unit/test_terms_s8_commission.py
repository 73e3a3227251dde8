"""Session 8, commission family (model, percent, flat, currency, tiers, payout type): general facts about how
commission terms are written, each pinned by sentences written for this file (not copied from any corpus):

* an amount equal to the stated rate applied to a price written just before it is the rate worked out on a case;
* an amount that a table's next cell labels a limit, an amount per payout, and a total over several referrals are
  no reward for one referral;
* a currency named by its own word ("taka", "dirhams", "ringgit") or its local sign ("KSh") is read in English text;
* "<commission noun> for/on <what> is <amount>" ties the amount to the commission;
* a range summarising a ladder that follows ("10-20% ... 10% | 15% | 20%") is no tier of its own;
* "a percentage of the sales" / "a percentage commission on each order" is a percent model with no stated rate.
"""
import pytest

from matrix.normalize.terms import extract_terms


def _get(text: str) -> dict:
    return extract_terms(text).as_dict()


# --- an amount worked out from the stated rate --------------------------------------------------------------------
@pytest.mark.parametrize("text", [
    "You earn 25% of every order. A customer who buys a $400 bundle brings you $100.",
    "Commission: 40% per sale. On the €250 annual plan you take home €100.",
    "We pay 15% on each booking; a £1,000 holiday earns you £150.",
    "Partners keep 30% of each subscription, so a ₹2,000 plan pays them ₹600.",
])
def test_rate_worked_out_on_a_price_is_no_flat_amount(text):
    got = _get(text)
    assert got["model"] == "percent"
    assert got["flat"] is None and got["currency"] is None


def test_an_amount_that_is_no_product_of_rate_and_price_stays_a_flat_commission():
    got = _get("We pay 10% on sales plus $10 for every free trial; payouts start at $100.")
    assert got["model"] == "hybrid"
    assert got["flat"] == [10.0, 10.0]


# --- limits and totals ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text", [
    "Hold period | 30 days | $50 | Minimum payout | Monthly | Schedule",
    "Affiliate earnings | £40 | Payout threshold | Bank transfer | Method",
    "You earn 30% on every sale. Withdrawals are limited to a maximum of €2,000 per withdrawal.",
    "Earn 20% per sale; a $1 charge applies per payout request.",
])
def test_payout_limits_are_no_flat_commission(text):
    got = _get(text)
    assert got["flat"] is None
    assert got["model"] in (None, "percent")


@pytest.mark.parametrize("text, flat", [
    ("Get $25 for every friend who subscribes. Invite 4 friends and you pocket $100!", [25.0, 25.0]),
    ("We pay $50 per referral. Refer five customers, earn $250.", [50.0, 50.0]),
    ("Earn $30 for each new member you bring in - refer 10 members and that is $300 in your account.", [30.0, 30.0]),
])
def test_a_total_over_several_referrals_is_no_rate(text, flat):
    assert _get(text)["flat"] == flat


def test_an_amount_paid_for_each_of_several_referrals_is_still_the_rate():
    got = _get("Bring 3 new clients and receive $60 each.")
    assert got["flat"] == [60.0, 60.0] and got["currency"] == "USD"


# --- currencies named by their own word or local sign -----------------------------------------------------------
@pytest.mark.parametrize("text, amount, currency", [
    ("Earn 500 taka per sign-up you refer.", 500.0, "BDT"),
    ("Partners get 40 dirhams for each referred member.", 40.0, "AED"),
    ("The agent earns KSh 300 per new shop onboarded.", 300.0, "KES"),
    ("Receive 200 ringgit for every approved referral.", 200.0, "MYR"),
    ("You earn 1,000 baht per sale.", 1000.0, "THB"),
])
def test_currency_words_and_local_signs(text, amount, currency):
    got = _get(text)
    assert got["flat"] == [amount, amount]
    assert got["currency"] == currency
    assert got["model"] == "flat"


# --- "<commission> for/on <what> is <amount>" ----------------------------------------------------------------------
@pytest.mark.parametrize("text, amount, currency", [
    ("Our commission on every order is $5.", 5.0, "USD"),
    ("The referral reward for each new account is 15 EUR.", 15.0, "EUR"),
    ("Payout per approved lead: $12", 12.0, "USD"),
    ("The bounty for a paid subscription is £30.", 30.0, "GBP"),
])
def test_commission_noun_then_what_it_pays_for_then_amount(text, amount, currency):
    got = _get(text)
    assert got["model"] == "flat"
    assert got["flat"] == [amount, amount] and got["currency"] == currency


def test_a_payout_minimum_written_the_same_way_is_no_commission():
    got = _get("The minimum payout for all affiliates is $50.")
    assert got["flat"] is None and got["model"] is None


# --- a range summarising the ladder after it -----------------------------------------------------------------------
@pytest.mark.parametrize("text, tiers", [
    ("Earn 10-20% commission. 0-50 sales: 10% | 51-100 sales: 15% | 101+ sales: 20%", [10.0, 15.0, 20.0]),
    ("Commissions from 5% to 9% depending on volume: Bronze 5%, Silver 7%, Gold 9%.", [5.0, 7.0, 9.0]),
    ("Commission tiers of 20–30%: Level 1 – 20%, Level 2 – 25%, Level 3 – 30%", [20.0, 25.0, 30.0]),
])
def test_summary_range_is_not_a_tier(text, tiers):
    got = _get(text)
    assert got["tiers"] == tiers
    assert got["percent"] == [tiers[0], tiers[-1]]


# --- a percent model with no stated rate ---------------------------------------------------------------------------
@pytest.mark.parametrize("text", [
    "You earn a commission on each referral. We send you a percentage of the sales you bring in.",
    "Ambassadors receive a percentage commission on every order placed with their code.",
    "Creators earn a pre-determined percentage of each order they refer.",
])
def test_percentage_without_a_rate_is_a_percent_model(text):
    got = _get(text)
    assert got["model"] == "percent"
    assert got["percent"] is None and got["flat"] is None


@pytest.mark.parametrize("text", [
    "A percentage of every sale is donated to charity.",
    "We do not pay a percentage commission on gift cards.",
    "Customers get a percentage of their order back as store credit.",
])
def test_percentage_words_without_a_commission_are_no_model(text):
    assert _get(text)["model"] is None


# --- a balance named by a condition, a price the case is about ----------------------------------------------------
@pytest.mark.parametrize("text", [
    "Commissions are paid monthly. Even if you earn $5, we'll pay it out.",
    "Once your balance reaches €25 the money is sent to your bank.",
    "Payments go out on the 1st, as soon as you have accumulated £30.",
    "If affiliates make more than $1,000 in a month, an account manager gets in touch.",
])
def test_a_balance_named_by_a_condition_is_no_commission(text):
    got = _get(text)
    assert got["flat"] is None and got["model"] is None


def test_a_balance_condition_keeps_the_stated_rate():
    got = _get("We pay $20 per sale, paid out once your balance reaches $50.")
    assert got["flat"] == [20.0, 20.0]


@pytest.mark.parametrize("text", [
    "Worked case: a $15,000 website build earns you $1,800.",
    "For instance, a €900 kitchen order nets the partner €45.",
    "A £300 annual contract brings you £60 at renewal time.",
])
def test_the_price_of_the_thing_a_case_is_about_is_no_commission(text):
    assert _get(text)["flat"] is None


# --- a model word under a negated list header; a share the program charges or keeps ------------------------------
@pytest.mark.parametrize("text", [
    "Our platform fees: we do not: - add transaction fees - take a revenue share - charge per order",
    "What we never do: charge a CPA fee, take a revenue share or lock you in.",
    "The app doesn't: • bill per click • ask for a rev share",
])
def test_model_words_under_a_negated_list_are_no_payout_type(text):
    assert _get(text)["payout_type"] is None


@pytest.mark.parametrize("text", [
    "If you use our card processing, we charge a processing fee of 95 cents plus 5% of the transaction amount.",
    "For publishers abroad we will have to withhold 30% of your commission.",
    "The marketplace keeps 12% of every booking as its service charge.",
])
def test_a_share_the_program_charges_or_keeps_is_no_commission(text):
    got = _get(text)
    assert got["percent"] is None and got["model"] is None


@pytest.mark.parametrize("text, pct", [
    ("We take care of support and pay you 30% of every sale.", 30.0),
    ("The platform takes a 20% cut of each order; affiliates earn 10%.", 10.0),
    ("Partners earn a 20% revenue share on every subscription, no strings attached.", 20.0),
])
def test_the_affiliates_own_rate_beside_a_charge_stays(text, pct):
    assert _get(text)["percent"] == [pct, pct]

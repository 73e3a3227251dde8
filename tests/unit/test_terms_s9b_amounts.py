"""Session 9 (second wave), commission amounts, payout type and cookie: general facts about how ordinary shop / SaaS
affiliate pages write their terms, each pinned by sentences written for this file (not copied from any corpus):

* a row of a program comparison table flattened to text ("<name> <rate> <days> <niche>") gives the rate cell and,
  right after it, the cookie-length cell, with no commission or cookie word; prose joins the two with a word;
* the words around a duration are read whole: a cue or a veto is never lost because a window cut it mid-word;
* a word glued to a rate by a lost space ("Logo30%") does not hide the rate; "N% of a customer's purchase" is a share
  of what the referred customer buys;
* two plans (or two order-value bands), each named beside its own rate, make the rate depend on the plan: tiers;
* a team the affiliate builds or a referred "SuperAffiliate" earns an override, and a deduction is no rate;
* whatever is "purchased" per reward, and a reward "for the purchase", is paid per sale (CPS); an "up to" amount that
  adds up the rewards listed apart is their total, not a reward of its own;
* keeping the affiliate's ID for N days, and N days "after a visitor has clicked", state the attribution window; a
  network's "Return Days: 45" label is the cookie, and a cookie label whose value is "Session" is a 0-day cookie;
* a reward unlocked when the referred customer "spends $X", where the text states no rate, is the reward (the spend is
  its condition); with a rate stated, the same sentence is a worked example.
"""
import pytest

from matrix.normalize.terms import extract_terms


def _get(text: str) -> dict:
    return extract_terms(text).as_dict()


# --- comparison-table rows ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, percent, cookie", [
    ("Maple Garden Supply 12% 60 days Home, garden, outdoor ⭐⭐⭐ (3/5)", [12.0, 12.0], 60.0),
    ("Nordic Tea House 5–9% 30 days Loose tea, gifting, EU audience", [5.0, 9.0], 30.0),
    ("Brightline Bikes Up to 18% 45 days Cycling, commuting", [None, 18.0], 45.0),
    ("Cobalt Candles | 8% | 14 days | Home fragrance", [8.0, 8.0], 14.0),
])
def test_comparison_table_row_gives_rate_and_cookie(text, percent, cookie):
    got = _get(text)
    assert got["model"] == "percent"
    assert got["percent"] == percent
    assert got["cookie_days"] == cookie
    assert got["payout_type"] == "cps"


def test_table_row_with_unstated_cookie_still_gives_the_rate():
    got = _get("Harbor Coffee Roasters 7% (Not specified) Specialty coffee, subscriptions")
    assert got["percent"] == [7.0, 7.0]
    assert got["cookie_days"] is None


def test_months_after_a_rate_are_no_cookie_and_two_rates_are_no_row():
    assert _get("Starter Hosting 20% 12 months Web hosting")["cookie_days"] is None
    got = _get("Save 10% today, 25% for members 30 days")
    assert got["cookie_days"] is None


# --- whole words around a duration ----------------------------------------------------------------------------------
def test_cue_and_veto_words_are_read_whole():
    got = _get('condition: "Promoting the enterprise suite extends the attribution period to 180 days; '
               'withdrawable after 15 days."')
    assert got["cookie_days"] == 180.0


# --- glued rates and shares of the customer's purchase ---------------------------------------------------------------
@pytest.mark.parametrize("text, rate", [
    ("Snapframe Logo25% of a customer's first order.", 25.0),
    ("Partners take 12% of a client's first purchase.", 12.0),
    ("You keep 8% of the buyer's order, every time.", 8.0),
])
def test_glued_rate_and_share_of_customer_purchase(text, rate):
    got = _get(text)
    assert got["model"] == "percent"
    assert got["percent"] == [rate, rate]


def test_model_number_glued_to_a_word_is_still_no_rate():
    assert _get("Download the mp3 files and the W-9 form.")["percent"] is None


# --- rates per plan and per order value -----------------------------------------------------------------------------
@pytest.mark.parametrize("text, tiers", [
    ("Partners receive a 25% commission on Business plans and 15% commission on all other plans.", [25.0, 15.0]),
    ("Commission rates: - Starter Plan ($9/month): 10% commission - Agency Plan ($99/month): 22% commission",
     [10.0, 22.0]),
    ("Affiliates earn 6% commission on orders under $150 and 9% commission on orders over $150.", [6.0, 9.0]),
])
def test_rate_named_per_plan_or_order_band_is_a_tier(text, tiers):
    assert _get(text)["tiers"] == tiers


def test_one_plan_named_is_no_tier():
    got = _get("You earn 30% on the Pro plan, paid monthly. Refunded orders earn nothing; 5% of visitors convert.")
    assert got["tiers"] is None


# --- overrides and deductions ---------------------------------------------------------------------------------------
def test_team_override_and_referred_superaffiliate_are_not_the_rate():
    got = _get("You earn 12% commission on your own sales, and if you build a team you will earn 3% commission "
               "on their sales every month.")
    assert got["percent"] == [12.0, 12.0]
    got = _get("Members earn 15% on each sale. If referred SuperAffiliates sell products, the Referring "
               "SuperAffiliate will earn 2% of those sales.")
    assert got["percent"] == [15.0, 15.0]


def test_override_written_as_a_range_is_read_from_its_low_end():
    got = _get("Ambassadors earn 20% on every order. If your recruits sell products too, the referring affiliate "
               "will earn between 3-6% of those sales, depending on volume.")
    assert got["percent"] == [20.0, 20.0]
    assert got["tiers"] is None


def test_a_deduction_is_no_rate():
    got = _get("Commission is calculated after a 10% deduction of app-store fees. You earn 40% of each subscription.")
    assert got["percent"] == [40.0, 40.0]


def test_chinese_up_to_leaves_the_minimum_open():
    assert _get("每筆訂單您將會獲得高達30%的傭金。")["percent"] == [None, 30.0]


# --- payout type from what is purchased -----------------------------------------------------------------------------
@pytest.mark.parametrize("text", [
    "You will earn $15 for each yearly licence purchased with your link.",
    "Your friend gets 10% off, and you receive $12 for the purchase.",
])
def test_reward_per_purchased_thing_is_cps(text):
    got = _get(text)
    assert got["model"] == "flat"
    assert got["payout_type"] == "cps"


def test_reward_per_customer_stays_cpa():
    assert _get("You earn $40 for each new customer you refer.")["payout_type"] == "cpa"


# --- cookie wording -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, days", [
    ("Our platform keeps the affiliate ID of each visitor for 45 days, so later orders still count.", 45.0),
    ("A sale counts when it is placed within 20 days after a visitor has clicked your banner.", 20.0),
])
def test_kept_affiliate_id_and_perfect_tense_click_state_the_window(text, days):
    assert _get(text)["cookie_days"] == days


@pytest.mark.parametrize("text, days", [
    ("Return Days: 45", 45.0),
    ("Cookie Duration: Session", 0.0),
    ("Cookie life | session | Commission | 6%", 0.0),
])
def test_network_cookie_labels_with_bare_or_session_values(text, days):
    assert _get(text)["cookie_days"] == days


def test_a_withdrawal_delay_is_no_cookie():
    assert _get("Earnings are withdrawable after 30 days.")["cookie_days"] is None


def test_up_to_amount_that_adds_the_listed_rewards_is_their_total():
    got = _get("Lens orders: you receive $15 for the purchase. Frame orders: you receive $25 for the purchase. "
               "You can earn up to $40 for each friend you refer!")
    assert got["flat"] == [15.0, 25.0]
    assert got["payout_type"] == "cps"
    got = _get("You receive $15 for each lens order and $25 for each frame order, and up to $100 for each clinic "
               "you refer.")
    assert got["flat"] == [15.0, 100.0]


# --- a spend that unlocks a reward, with no rate stated -------------------------------------------------------------
def test_spend_condition_without_a_rate_keeps_the_reward():
    got = _get("Referrer gets €15 credit after the referred user spends €60.")
    assert got["model"] == "flat"
    assert got["flat"] == [15.0, 15.0]
    assert got["currency"] == "EUR"
    assert _get("If a friend you invite spends $120, you get a $20 credit.")["flat"] == [20.0, 20.0]


def test_spend_with_a_stated_rate_is_still_a_worked_example():
    got = _get("Partners earn 12% on every sale. If a shopper you refer spends $250, you earn $30.")
    assert got["model"] == "percent"
    assert got["flat"] is None

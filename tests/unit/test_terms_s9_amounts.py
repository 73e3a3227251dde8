"""Session 9, commission amounts (model, flat, currency): general facts about how a fixed reward is written, each pinned
by sentences written for this file (not copied from any corpus):

* a currency named by a local word or sign written after the figure, used by one country only ("kronor", "Franken",
  "lari", "руб.", "грн", "円", "₽", "₺", "₾"), or one of the remaining one-country signs before it ("₾", "₴", "₸",
  "₵", "₡", "₲"), is that currency; words shared by several countries ("kroner", "pesos") stay unknown;
* a refer-a-friend reward given to both sides names the referrer among its receivers ("both parties receive", "the
  referrer and the referee are each eligible for", "£30 for both referrer and referee") and is the referrer's reward;
* a reward credited to the reader's own account, bill or wallet ("a £25 credit will be applied to your bill") is the
  referrer's reward; what the friend deposits or gets off is not.
"""
import pytest

from matrix.normalize.terms import extract_terms


def _get(text: str) -> dict:
    return extract_terms(text).as_dict()


# --- currencies written as a local word or sign ---------------------------------------------------------------------
@pytest.mark.parametrize("text, amount, currency", [
    ("Refer a friend and earn 300 kronor for each new member.", 300.0, "SEK"),
    ("Du bekommst 50 Franken für jeden neuen Kunden, den du empfiehlst.", 50.0, "CHF"),
    ("You earn 10 lari for each friend who signs up through your link.", 10.0, "GEL"),
    ("Partners earn 500 руб. for every paid order.", 500.0, "RUB"),
    ("Affiliates receive 2 000 грн for every client they bring.", 2000.0, "UAH"),
    ("Commission: 1 000 ₽ per sale.", 1000.0, "RUB"),
    ("Commission: 150 ₺ per sale.", 150.0, "TRY"),
    ("Affiliate commission: 3,000円 per sale.", 3000.0, "JPY"),
    ("We pay ₾20 per referral.", 20.0, "GEL"),
    ("We pay ₴250 for every new customer you refer.", 250.0, "UAH"),
    ("Affiliates earn ₵40 per sign-up.", 40.0, "GHS"),
])
def test_local_currency_word_or_sign_names_the_currency(text, amount, currency):
    got = _get(text)
    assert got["model"] == "flat"
    assert got["flat"] == [amount, amount]
    assert got["currency"] == currency


@pytest.mark.parametrize("text", [
    "Refer a friend and earn 100 kroner for each new member.",     # Danish or Norwegian: not known which
    "Commission: 200 pesos per sale.",                             # shared by several countries
])
def test_currency_word_shared_by_several_countries_stays_unknown(text):
    assert _get(text)["currency"] is None


def test_a_distance_in_feet_is_no_forint():
    assert _get("Refer a friend who lives within 500 ft of a store.")["flat"] is None


# --- a reward shared by both sides ----------------------------------------------------------------------------------
@pytest.mark.parametrize("text, amount, currency", [
    ("Referral programme: both parties receive a $25 cash bonus once the new account is funded.", 25.0, "USD"),
    ("Once the referred customer switches, the referrer and the referee are each eligible for a $40 energy credit.",
     40.0, "USD"),
    ("Refer a colleague: the reward will be £30 for both referrer and referee.", 30.0, "GBP"),
    ("When you refer a neighbour, the friend and you get €20 each after the first month.", 20.0, "EUR"),
    ("Invite a friend: both sides will get 15 EUR after their first trade.", 15.0, "EUR"),
])
def test_reward_for_both_sides_is_the_referrers_reward(text, amount, currency):
    got = _get(text)
    assert got["model"] == "flat"
    assert got["flat"] == [amount, amount]
    assert got["currency"] == currency


# --- a reward credited to the reader's own account or bill ----------------------------------------------------------
@pytest.mark.parametrize("text, amount, currency", [
    ("A £25 credit will be applied to your bill after your referral's first payment.", 25.0, "GBP"),
    ("For every friend you refer, a $60 credit is added to your next invoice.", 60.0, "USD"),
    ("Refer a business to us: a €15 bonus is credited straight to your wallet when they sign.", 15.0, "EUR"),
])
def test_reward_credited_to_own_account_is_the_referrers_reward(text, amount, currency):
    got = _get(text)
    assert got["model"] == "flat"
    assert got["flat"] == [amount, amount]
    assert got["currency"] == currency


@pytest.mark.parametrize("text", [
    "Refer a friend: they must deposit at least $50 into your account.",
    "Your referral gets $10 off their first order when they use your code.",
    "Referral offer: your friend receives a $20 credit applied to their bill.",
])
def test_friend_deposit_discount_or_credit_is_no_reward(text):
    got = _get(text)
    assert got["flat"] is None
    assert got["model"] is None


# --- what is not the referrer's reward ------------------------------------------------------------------------------
@pytest.mark.parametrize("text", [
    "Invite a friend: you get one free month and your friend will receive a one time $10 credit toward the dues.",
    "Refer a friend and your friend gets a free $15 gift card on their first order.",
    "Referral scheme: the new customer receives a welcome £20 voucher with the first box.",
])
def test_friends_reward_with_adjectives_before_it_is_no_reward(text):
    got = _get(text)
    assert got["flat"] is None
    assert got["model"] is None


def test_bare_they_with_adjectives_stays_the_referrer():
    got = _get("If a member refers someone, they will receive a one time $50 credit when the referral joins.")
    assert got["flat"] == [50.0, 50.0]


def test_other_partys_reward_with_adjective_leaves_the_referrers_own():
    got = _get("Refer a friend: you get £20 and your friend gets a one-off £10 voucher.")
    assert got["flat"] == [20.0, 20.0]
    assert got["currency"] == "GBP"


@pytest.mark.parametrize("text", [
    "Referral programme: invite your fifth friend and you will receive a free €40 investment credit.",
    "Refer friends: when your 3rd referral signs up you get a £50 reward.",
    "Bring your tenth customer to us and we pay you $200.",
])
def test_reward_for_the_nth_referral_is_a_milestone(text):
    got = _get(text)
    assert got["flat"] is None
    assert got["model"] is None


@pytest.mark.parametrize("text, amount", [
    ("Refer your first friend and you will receive $15.", 15.0),
    ("Refer a friend: you get $20 for every friend who joins.", 20.0),
])
def test_first_or_every_referral_is_no_milestone(text, amount):
    assert _get(text)["flat"] == [amount, amount]


@pytest.mark.parametrize("text", [
    "On top of your standard commission, affiliates can earn an extra 5% during the summer promotion.",
    "In addition to the regular rate, partners who qualify receive an additional 10% or 20% payment based on sales.",
    "Over and above the base commission, publishers get a further 3% on holiday orders.",
])
def test_uplift_over_the_standard_rate_is_no_rate(text):
    got = _get(text)
    assert got["percent"] is None
    assert got["model"] is None
    assert got["tiers"] is None


def test_standard_rate_itself_is_still_read():
    assert _get("We pay a standard commission of 20% on every order.")["percent"] == [20.0, 20.0]


@pytest.mark.parametrize("text, flat", [
    ("Refer a friend and earn 20p for each new sign-up.", [0.2, 0.2]),
    ("Affiliates earn 50p per lead.", [0.5, 0.5]),
])
def test_lower_case_p_is_pence(text, flat):
    got = _get(text)
    assert got["flat"] == flat
    assert got["currency"] == "GBP"


@pytest.mark.parametrize("text", [
    "For every friend you refer you receive 3P in loyalty points.",
    "Referral reward: 100P per invited member, spendable in the app.",
])
def test_capital_p_is_points_not_pence(text):
    got = _get(text)
    assert got["currency"] != "GBP"
    assert got["flat"] is None


# --- a deeper level of the network paying less than level one -------------------------------------------------------
@pytest.mark.parametrize("text, rate", [
    ("Commission is 6% of paid orders for level 1 affiliates, 1.5% for level 2 affiliates and 0.5% for level 3 ones.",
     6.0),
    ("You earn 10% on level 1 referrals and 3% on level 2 referrals.", 10.0),
    ("Partners receive 12% on tier 1 sales and 4% on tier 2 sales.", 12.0),
    ("Our affiliates get 8% of every order for first-level referrals and 2% of every order for second-level referrals.",
     8.0),
])
def test_lower_rate_of_a_deeper_level_is_an_override(text, rate):
    got = _get(text)
    assert got["percent"] == [rate, rate]
    assert got["tiers"] is None


def test_rising_levels_are_a_ladder_not_an_override():
    got = _get("Commission is 20% for level 1 affiliates and 25% for level 2 affiliates.")
    assert got["percent"] == [20.0, 25.0]


# --- the unit written as "every time" / "whenever" ------------------------------------------------------------------
@pytest.mark.parametrize("text, amount, currency", [
    ("Affiliate terms | $10 USD every time a new member referred by you makes a first purchase.", 10.0, "USD"),
    ("You earn €5 whenever a visitor you sent signs up for a trial.", 5.0, "EUR"),
    ("Partners are paid £12 every time one of their readers opens an account.", 12.0, "GBP"),
])
def test_every_time_names_the_unit_of_a_reward(text, amount, currency):
    got = _get(text)
    assert got["flat"] == [amount, amount]
    assert got["currency"] == currency


# --- a list of rewards announced by its heading ---------------------------------------------------------------------
@pytest.mark.parametrize("text, flat, currency", [
    ("If your friend stays with us for two months, you'll receive the following: Hot Desk - 30€ | Personal Desk - 75€ "
     "| Private Office - 250€", [30.0, 250.0], "EUR"),
    ("Referral rewards are as follows: | Repair referral $20.00 | Full system replacement $50.00 | Boiler swap $25.00 |",
     [20.0, 50.0], "USD"),
    ("Partners will earn the following: Starter kit - £15 | Family kit - £40", [15.0, 40.0], "GBP"),
])
def test_cells_under_a_reward_list_heading_are_rewards(text, flat, currency):
    got = _get(text)
    assert got["model"] == "flat"
    assert got["flat"] == flat
    assert got["currency"] == currency


@pytest.mark.parametrize("text", [
    "Our prices are as follows: Hot Desk - 30€ | Personal Desk - 75€",
    "You'll receive the following: a welcome pack. Our prices: Hot Desk - 30€",
])
def test_price_list_or_ended_list_is_no_reward(text):
    assert _get(text)["flat"] is None


# --- a reward noun whose receiver, named after it, is the referred party ----------------------------------------------
@pytest.mark.parametrize("text, flat", [
    ("The refer-a-friend promotion is a £50 reward to be sent to a referrer and a £25 reward to be sent to the referee "
     "after the purchase.", [50.0, 50.0]),
    ("Referral scheme: you receive €40 and a €10 voucher is given to your friend.", [40.0, 40.0]),
    ("Refer a friend: a $20 credit for the new customer and $30 for you.", [30.0, 30.0]),
])
def test_reward_sent_to_the_referee_is_not_the_referrers(text, flat):
    assert _get(text)["flat"] == flat


@pytest.mark.parametrize("text, amount", [
    ("Commission: a $30 credit for every customer you refer.", 30.0),
    ("Partners get a €15 voucher for each new customer.", 15.0),
    ("Once the switch completes, a £25 bill credit will be applied to each of your accounts after the referral.", 25.0),
])
def test_reward_per_customer_or_to_each_own_account_is_kept(text, amount):
    assert _get(text)["flat"] == [amount, amount]


# --- a reward in kind given with its value -----------------------------------------------------------------------------
@pytest.mark.parametrize("text, flat, currency", [
    ("When a friend buys through your referral link, you will receive an Amazon Gift Card valued up to $20.",
     [None, 20.0], "USD"),
    ("Refer a friend and you get a voucher valued at €15 once they book.", [15.0, 15.0], "EUR"),
    ("Invite a colleague and you will receive free shares worth up to £40.", [None, 40.0], "GBP"),
])
def test_reward_in_kind_with_its_value_is_the_reward(text, flat, currency):
    got = _get(text)
    assert got["flat"] == flat
    assert got["currency"] == currency


def test_purchase_valued_at_an_amount_is_no_reward():
    assert _get("Refer a friend: they must make purchases valued at $100 or more.")["flat"] is None


# --- rates per billing period are plan tiers ----------------------------------------------------------------------------
@pytest.mark.parametrize("text, tiers", [
    ("Join our referral program: - Earn 15% commission on monthly paid plans - Earn 20% commission on annual paid plans",
     [15.0, 20.0]),
    ("You earn 10% of a 1-month subscription, 8% of a 3-month subscription and 6% of a 6-month subscription.",
     [10.0, 8.0, 6.0]),
    ("Partners get 12% for 6-month memberships and 18% for 12-month memberships.", [12.0, 18.0]),
])
def test_rates_of_billing_periods_are_tiers(text, tiers):
    assert _get(text)["tiers"] == tiers


@pytest.mark.parametrize("text", [
    "You earn 30% of a 12-month subscription.",
    "Affiliates earn 40% on annual plans plus 30% on renewals.",
])
def test_one_billing_period_is_no_tier(text):
    assert _get(text)["tiers"] is None


@pytest.mark.parametrize("text, tiers", [
    ("Plus vous vendez, plus votre commission augmente : de 10 % à 25 %.", [10.0, 25.0]),
    ("Cuanto más vendes, mayor es tu comisión: del 10% al 30%.", [10.0, 30.0]),
    ("Cuantas más ventas generes, más alta será tu comisión: 12% o 18%.", [12.0, 18.0]),
])
def test_the_more_the_higher_in_other_languages_is_a_ladder(text, tiers):
    assert _get(text)["tiers"] == tiers


# --- a camelCase data key naming the commission -------------------------------------------------------------------------
@pytest.mark.parametrize("text, field, value", [
    ('"partnerStackCommission": "Up to 50% for each paid customer",', "percent", [None, 50.0]),
    ('{"referralReward": "15% of the first order"}', "percent", [15.0, 15.0]),
    ('{"networkPayout": "12% per approved sale"}', "percent", [12.0, 12.0]),
])
def test_camel_case_key_with_commission_noun_is_a_cue(text, field, value):
    assert _get(text)[field] == value


def test_camel_case_key_without_commission_noun_is_no_cue():
    assert _get('{"discountRate": "15%"}')["percent"] is None


# --- a percent credited against the reader's own next purchase ------------------------------------------------------------
@pytest.mark.parametrize("text", [
    "If your friend becomes a customer, you get a 10% credit toward your next cleaning!",
    "Refer a friend and receive a 5% credit on your next order.",
    "Each referral earns you a 15% service credit against your next invoice.",
])
def test_percent_credit_on_own_next_purchase_is_no_commission(text):
    got = _get(text)
    assert got["percent"] is None
    assert got["model"] is None


def test_commission_credited_to_an_account_is_still_a_commission():
    assert _get("Partners earn 10% commission credited to your account monthly.")["percent"] == [10.0, 10.0]

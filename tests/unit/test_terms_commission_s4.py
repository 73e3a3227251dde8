"""Commission, recurrence and payout-type rules added in session 4 (issue 11, items 1-2).

Each rule is pinned with our own short phrasing (never a quote from a labelled corpus) and, where a
rule could fire too widely, with a look-alike sentence it must leave alone.
"""
from __future__ import annotations

import pytest

from matrix.normalize.terms import extract_terms
from tests.support.terms_cases import assert_states_exactly


def _d(text: str) -> dict:
    return extract_terms(text).as_dict()


# --- flat rewards named as payments, credits and bonuses --------------------------------------

@pytest.mark.parametrize("text, flat, cur", [
    ("Members who introduce a new clinic will be rewarded $75 once the clinic goes live.", [75.0, 75.0], "USD"),
    ("You earn a one-time commission payment of €120 for every studio you bring in.", [120.0, 120.0], "EUR"),
    ("For every introduction you will get a gift card to the value of £40.", [40.0, 40.0], "GBP"),
    ("You can claim $15 for each friend who joins.", [15.0, 15.0], "USD"),
])
def test_a_reward_named_as_a_payment_is_the_flat_commission(text, flat, cur):
    d = _d(text)
    assert (d["model"], d["flat"], d["currency"]) == ("flat", flat, cur)


@pytest.mark.parametrize("text, flat, cur", [
    ("Partners can receive a $300 referral bonus per new office.", [300.0, 300.0], "USD"),
    ("Bonus per qualified referee: $ 12. Bonuses are paid out every quarter.", [12.0, 12.0], "USD"),
    ("To thank you for your referral, you will get a $20 bonus.", [20.0, 20.0], "USD"),
])
def test_a_bonus_paid_for_each_referral_is_the_reward_when_nothing_else_is(text, flat, cur):
    d = _d(text)
    assert (d["model"], d["flat"], d["currency"]) == ("flat", flat, cur)


@pytest.mark.parametrize("text", [
    "There is also a $25 welcome bonus just for signing up.",
    "Affiliates with sales of at least $2,000 in a month receive a bonus of $150.",
    "Get a $40 bonus after your 5th referral.",
])
def test_sign_up_volume_and_milestone_bonuses_stay_bonuses(text):
    assert _d(text)["flat"] is None


def test_a_referral_bonus_beside_a_stated_commission_is_extra():
    d = _d("You earn 12% on every sale, and a $50 referral bonus per new store.")
    assert (d["model"], d["percent"], d["flat"]) == ("percent", [12.0, 12.0], None)


def test_an_amount_you_get_each_month_is_a_recurring_flat_commission():
    d = _d("You get $3 per month for each subscriber who stays with us.")
    assert (d["model"], d["flat"], d["recurring"]) == ("flat", [3.0, 3.0], True)


def test_a_price_per_month_is_still_no_commission():
    assert _d("Plans cost $30 per month and you earn 20% of every plan.")["flat"] is None


def test_an_amount_to_earn_before_payouts_is_a_threshold():
    d = _d("Partners must earn $40 before payouts are sent.")
    assert d["model"] is None and d["flat"] is None


def test_an_amount_required_for_a_payout_is_a_threshold():
    d = _d("Your commission rate is 8%. The balance required to request a payout is $30.")
    assert (d["model"], d["flat"]) == ("percent", None)


@pytest.mark.parametrize("text", [
    "Our typical partner payout is in the region of £400/month.",
    "Payout Requirements: $75 USD before we pay.",
])
def test_an_average_or_a_payout_requirement_is_no_commission(text):
    assert _d(text)["flat"] is None


# --- whose percent it is --------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "You receive 25% of their trading fees, and they get 10% of their fees back.",
    "Affiliates earn 25%. The referred trader receives a 10% fee rebate.",
    "Earn 25% commission plus a 10% discount for your customers.",
    "We pay 25% on each order and give a 10% rebate to the new subscriber.",
])
def test_the_referred_partys_share_is_not_the_commission(text):
    assert _d(text)["percent"] == [25.0, 25.0]


def test_a_share_named_a_commission_is_the_affiliates_even_with_an_odd_subject():
    assert _d("The referee will receive a 30% commission of the first invoice.")["percent"] == [30.0, 30.0]


def test_a_share_of_the_commissions_others_make_is_an_override():
    assert _d("Invite other partners and get 10% of any commissions they make.")["percent"] is None


def test_second_and_subsequent_sales_are_this_affiliates_sales():
    assert _d("You receive 25% on the first sale and 12% commission from second and subsequent sales.")["percent"] \
        == [12.0, 25.0]


def test_a_fee_the_partner_is_subject_to_is_no_commission():
    assert _d("Every referred project is subject to a 9% platform and referral fee.")["percent"] is None


def test_order_value_bands_before_rates_are_no_flat_commission():
    d = _d("$0-$499 - 6% commission | $500-$999 - 8% commission | $1,000 and over - 10% commission")
    assert (d["model"], d["percent"], d["flat"], d["tiers"]) == ("percent", [6.0, 10.0], None, [6.0, 8.0, 10.0])


def test_a_rate_stated_as_a_minimum_is_a_floor():
    assert _d("We offer every partner a 15% minimum commission on paid plans.")["percent"] == [15.0, None]


def test_up_to_the_top_level_of_a_rate_leaves_the_minimum_open():
    assert _d("Partners can earn up to the top level of 35% commission.")["percent"] == [None, 35.0]


# --- clauses about other programs and worked sums --------------------------------------------

def test_a_clause_about_other_programs_states_nothing_of_this_one():
    d = _d("Most affiliate programs pay 5% that only lasts for 6 months. Here you start at 20% for the lifetime "
           "of the referred account.")
    assert (d["percent"], d["recurring_months"], d["lifetime"]) == ([20.0, None], None, True)


def test_a_comparison_in_our_own_clause_keeps_our_rate():
    assert _d("Unlike most programs, we pay 18% on every renewal.")["percent"] == [18.0, 18.0]


def test_a_rate_worked_to_equal_an_amount_is_an_example():
    d = _d("The order shows a $200 sale at 10% to equal $20.")
    assert d["model"] is None and d["percent"] is None


def test_bullets_marked_with_a_star_are_no_arithmetic():
    d = _d("8% commission (entry tier) * 10% commission (unlocked after 20 completed orders)")
    assert (d["percent"], d["tiers"]) == ([8.0, 10.0], [8.0, 10.0])


# --- tiers -----------------------------------------------------------------------------------

@pytest.mark.parametrize("text, tiers", [
    ("Partner payouts: 1 - 9 approved sales = 5% 10 - 49 approved sales = 8% 50+ approved sales = 11%", [5.0, 8.0, 11.0]),
    ("Tiered rates: 10 Referrals: 6% 40 Referrals: 9%", [6.0, 9.0]),
    ("Commission | 1 – 25 Members | 4% per member | 26 – 60 Members | 6% per member", [4.0, 6.0]),
    ("Sales totaling $1 to $800 earn a 4% commission, sales totaling more than $800 earn a 7% commission.", [4.0, 7.0]),
    ("Commission Rate | $0-$2000 12% | $2001-$6000 16%", [12.0, 16.0]),
])
def test_count_and_amount_bands_make_a_rate_list_tiers(text, tiers):
    assert _d(text)["tiers"] == tiers


# --- recurring, months, lifetime ---------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "You earn 12% of that, every month, for as long as they're active.",
    "You receive 9% as long as they are a customer.",
    "You get 14% of their monthly fee for the length of time they are a paying customer.",
    "Enjoy lifetime earning on every referred buyer: 6% commission.",
    "Earn a residual 10% commission for the life of any Acme subscriptions you bring.",
    "Commission of 15% is paid throughout the entire period of referral payments.",
    "You get 8% on each order. Payments stop when the purchaser pauses their subscription.",
])
def test_an_unlimited_duration_is_recurring_and_lifetime(text):
    d = _d(text)
    assert (d["recurring"], d["lifetime"], d["recurring_months"]) == (True, True, None)


@pytest.mark.parametrize("text, months", [
    ("We pay 20% of collected revenue for the first 6 billing periods.", None),
    ("You receive 10% commission on each instalment paid.", None),
    ("We pay you 15% month after month.", None),
    ("Whenever your referred buyer places any order, you will earn 6% commission.", None),
    ("Any purchases from our shop within the following year will earn you a 5% commission.", 12),
    ("You get a 20% commission on any payment within the first year.", 12),
    ("Partners receive 20% of the first year's sales from their referrals.", 12),
    ("You earn 50% of the first payment and 20% of the next 3 months' transactions.", 3),
    ("We pay revenue shares for only the first two years of a player's activity.", 24),
    ("Every time a new member makes a payment to us, you receive your 10% commission.", None),
    ("Our commission is 30 percent for the first month and 20 percent thereafter.", None),
])
def test_a_repeated_or_capped_payment_is_recurring(text, months):
    d = _d(text)
    assert (d["recurring"], d["recurring_months"]) == (True, months)


@pytest.mark.parametrize("text", [
    "Earn 40% of a new customer's first invoice.",
    "We offer a once-off commission of 25% per subscriber.",
    "You earn 10% per sale. Repeats don't count - commission is only paid on the initial contract value.",
    "Affiliates can get a commission from the first purchase made by their referrals.",
    "You will earn the commission once per referred school.",
    "Base commission 12% | Commission Duration: One-time",
    "The commission rate is applied to first-time purchases only: 12%.",
])
def test_a_first_payment_only_commission_is_one_time(text):
    assert _d(text)["recurring"] is False


def test_a_customers_discount_or_plan_length_is_no_months_cap():
    d = _d("You earn 10% of their total payment. Your friend receives a discount of 10% for 6 months.")
    assert (d["recurring"], d["recurring_months"]) == (None, None)
    d = _d("When your friend selects a premium plan for 3 months, you receive a $10 credit for each friend.")
    assert d["recurring_months"] is None


def test_a_lifetime_discount_is_no_lifetime_commission():
    assert _d("Sign up yourself and we will give you a 20% lifetime discount.")["lifetime"] is None


def test_the_first_free_month_is_not_the_commission_when_the_clause_is_about_other_programs():
    d = _d("Other programs offer 10% that only last for 1 year.")
    assert (d["percent"], d["recurring"], d["recurring_months"]) == (None, None, None)


# --- payout type -------------------------------------------------------------------------------

@pytest.mark.parametrize("text, kind", [
    ("The affiliate earns 20% through our revenue-sharing model.", "revshare"),
    ("We are paying partners for every qualified lead.", "cpl"),
    ("Pay-Per-Sale for each order you send.", "cps"),
    ("You will earn a $30 commission when a customer purchases a yearly plan.", "cps"),
    ("Each time you refer a colleague to sign up, you'll earn $15.", "cpl"),
    ("If you invite a new user and they subscribe, you will earn 25 USD.", "cpa"),
    ("$80 One Time Referral Fee for dealers.", "cpa"),
    ("Receive a commission of €3 for every product purchased by your referrals.", "cps"),
    ("When you refer a prospect, you will receive a $50 gift card.", "cpl"),
    ("Commission Rate 20% (first payment) or $4 (per signup)", "cpl"),
])
def test_payout_type_from_the_model_word_or_the_unit(text, kind):
    assert _d(text)["payout_type"] == kind


def test_a_two_part_rate_with_a_parenthesised_unit_is_hybrid():
    d = _d("Commission Rate 20% (first payment) or $4 (per signup)")
    assert (d["model"], d["percent"], d["flat"], d["currency"]) == ("hybrid", [20.0, 20.0], [4.0, 4.0], "USD")


def test_enumerated_referral_fees_are_a_range():
    d = _d("We will pay you a referral fee of (a) $30 USD for a starter referral or (b) $90 USD for a pro referral.")
    assert (d["flat"], d["currency"]) == ([30.0, 90.0], "USD")


def test_a_lead_payout_per_registration_is_a_cpl_flat_commission():
    assert_states_exactly("25% commission on new purchases; $2 lead payout for every new member registration",
                          {"model": "hybrid", "percent": [25.0, 25.0], "flat": [2.0, 2.0], "currency": "USD",
                           "payout_type": "cpl"})


# --- rate periods, questions and the affiliate's own renewals -----------------------------------

@pytest.mark.parametrize("text, lifetime", [
    ("You earn 25% in the first year and 10% thereafter.", None),
    ("The commission is 30% in the first year; from the second year and on, you get 8% from those same clients.", True),
    ("Commission rates apply in full for the first 12 months. After 12 months, commission rates decrease to half.", None),
])
def test_a_rate_for_the_time_after_a_period_is_no_months_cap(text, lifetime):
    d = _d(text)
    assert (d["recurring"], d["recurring_months"], d["lifetime"]) == (True, None, lifetime)


def test_a_plain_first_year_is_still_a_cap():
    d = _d("You earn 25% of every payment in the first year.")
    assert (d["recurring"], d["recurring_months"]) == (True, 12)


def test_an_unanswered_question_states_no_lifetime():
    d = _d("Some ask: why not simply pay lifetime commissions? We pay 20% per sale.")
    assert (d["recurring"], d["lifetime"]) == (None, None)


def test_a_question_answered_yes_states_what_it_asks():
    assert _d("Do I earn recurring commissions? Yes, 20% on all plans.")["recurring"] is True


def test_the_renewal_of_your_own_contract_is_no_recurring_commission():
    assert _d("You get a $40 gift card per referral and a free month upon your contract renewal.")["recurring"] is None


def test_an_amount_shown_with_its_derivation_is_a_worked_example():
    d = _d("The customer pays $50 - the affiliate earns $10 (20% of $50) - the author keeps $40 (80% of $50)")
    assert (d["model"], d["percent"], d["flat"]) == (None, None, None)


@pytest.mark.parametrize("text, kind", [
    ("When someone clicks your banner and signs up for a paid plan, you will receive a $25 credit.", "cpa"),
    ("When a new household uses your code to register, you will receive a $15 credit that they can't see.", "cpl"),
])
def test_the_referred_partys_action_decides_the_type_of_a_conditional_reward(text, kind):
    assert _d(text)["payout_type"] == kind


def test_an_up_to_amount_after_a_rate_caps_it():
    d = _d("You earn 8% of each order from every referral for a year, up to $5,000 for each referral.")
    assert (d["model"], d["percent"], d["flat"]) == ("percent", [8.0, 8.0], None)


def test_an_up_to_amount_with_its_own_verb_is_a_flat_commission():
    d = _d("You earn 8% of each order. For agency plans you earn up to $500 per referral.")
    assert (d["model"], d["flat"]) == ("hybrid", [None, 500.0])


@pytest.mark.parametrize("text", [
    "La commission est de 25% pour toute la durée de la relation du client.",
    "Gana un 25% de comisión de por vida.",
])
def test_a_lifetime_said_in_french_or_spanish_is_a_lifetime(text):
    d = _d(text)
    assert (d["recurring"], d["lifetime"]) == (True, True)


def test_a_viewer_is_no_lifetime():
    assert _d("If a viewer buys, you earn a commission of 15%.")["lifetime"] is None


def test_a_commission_of_a_percent_off_every_sale_is_the_rate():
    assert _d("Partners make a commission of 30% off every sale they refer.")["percent"] == [30.0, 30.0]


def test_a_percent_off_for_customers_stays_a_discount():
    assert _d("Your customers get 30% off every order.")["percent"] is None


def test_a_rate_that_depends_on_how_the_customer_pays_is_a_tier():
    d = _d("You will earn 40% of the first invoice if they pay annually. You will earn 80% of the first invoice if they "
           "pay monthly.")
    assert (d["percent"], d["tiers"]) == ([40.0, 80.0], [40.0, 80.0])


@pytest.mark.parametrize("text, flat", [
    ("We'll send you a $120 check for every new client you introduce.", [120.0, 120.0]),
    ("Refer a business and we'll credit your account with $60.", [60.0, 60.0]),
])
def test_an_amount_sent_or_credited_to_you_is_a_flat_commission(text, flat):
    assert _d(text)["flat"] == flat


def test_a_credit_new_customers_receive_is_theirs():
    assert _d("New customers receive a $20 credit on their first order.")["flat"] is None


def test_what_the_referred_friend_must_do_decides_the_type():
    assert _d("Refer a friend and receive $25 when they make their first purchase.")["payout_type"] == "cps"
    assert _d("Refer a friend and receive $25.")["payout_type"] == "cpa"


@pytest.mark.parametrize("text, recurring, months", [
    ("You'll earn 12% of every sale for 60 days after the referral signs up.", True, 2),
    ("Earn a 15% commission on every purchase your referral makes within 6 months.", True, 6),
    ("Earn a 15% commission on any purchase made within 30 days of the click.", None, None),
    ("Affiliates earn 40% of the first payment and nothing on renewals.", False, None),
    ("Base rate: 30% | Recurring commission: No", False, None),
    ("Base rate: 30% | Recurring commission: Yes", True, None),
])
def test_purchase_windows_and_negative_answers(text, recurring, months):
    d = _d(text)
    assert (d["recurring"], d["recurring_months"]) == (recurring, months)


@pytest.mark.parametrize("text, flat", [
    ("Get paid $800 when a business you referred becomes a customer.", [800.0, 800.0]),
    ("Every referral that turns into a paying customer earns you $90.", [90.0, 90.0]),
])
def test_get_paid_and_earns_you_tie_an_amount(text, flat):
    assert _d(text)["flat"] == flat


def test_an_amount_that_a_rate_works_out_to_is_no_flat_commission():
    d = _d("We pay the highest rate on the network (60%), which means that you get paid $30 for most sales.")
    assert (d["model"], d["flat"]) == ("percent", None)


@pytest.mark.parametrize("text", [
    "Earn 25% of each monthly subscription payment.",
    "Commission: 35% of the first month, then 15% of every month after.",
    "You earn 18% on all payments the customer makes.",
    "Receive a 9% commission on every order your referrals place.",
])
def test_every_later_payment_of_the_referred_customer_is_recurring(text):
    assert _d(text)["recurring"] is True


@pytest.mark.parametrize("text", [
    "Earn 25% of each customer's first payment.",
    "Payouts go out on the 5th of each following month after you reach the threshold. Commission is 10%.",
    "Receive a 9% commission on every order you refer.",
])
def test_a_single_or_scheduled_payment_is_not_recurring(text):
    assert _d(text)["recurring"] is not True


def test_only_the_first_sale_of_a_recurring_payment_is_one_time():
    assert _d("Only the first sale of a recurring payment earns a 20% commission.")["recurring"] is False


def test_a_raise_after_a_number_of_sales_is_a_tier():
    assert _d("Standard commission of 8%, increased to 12% after 40 sales.")["tiers"] == [8.0, 12.0]


def test_an_eg_list_in_parentheses_is_no_worked_example():
    d = _d("Commission is 8% on all products except 2% on selected brands (e.g. Acme, Globex).")
    assert d["percent"] == [2.0, 8.0]


def test_a_worked_example_still_hides_its_amounts():
    d = _d("Commission is paid on sales. E.g. a $100 sale at 8% earns you $8.")
    assert (d["percent"], d["flat"]) == (None, None)


@pytest.mark.parametrize("text", [
    "Referral bonus: your friend gets $10 off their first order.",
    "Referral bonuses of $50 are available to top partners who reach 20 sales.",
])
def test_a_referral_bonus_that_is_a_discount_or_a_milestone_is_no_reward(text):
    assert _d(text)["flat"] is None


def test_a_rate_said_of_competitors_before_ours_is_theirs():
    assert _d("Competitors pay up to 50%, but we pay 30% for life.")["percent"] == [30.0, 30.0]


def test_a_rate_said_of_competitors_after_ours_is_theirs():
    assert _d("We pay 30% on every sale, while most programs pay 10%.")["percent"] == [30.0, 30.0]


def test_what_your_referral_saves_is_theirs():
    assert _d("You earn 20%; your referral saves 10%.")["percent"] == [20.0, 20.0]

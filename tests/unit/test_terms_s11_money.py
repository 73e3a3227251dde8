"""Session 11: money, payout-minimum and payout-frequency rules of the terms extractor, on short synthetic sentences.

Each rule is a general statement about how terms are phrased; each has its false-positive guards beside it.
"""

from __future__ import annotations

import pytest

from matrix.normalize.terms import extract_terms


def _d(text: str) -> dict:
    return extract_terms(text).as_dict()


# --- a capital letter glued to the figure: South African rand, Nigerian naira ----------------------------------------

@pytest.mark.parametrize("text, flat, currency", [
    ("Earn R250 for every paying customer you refer.", [250.0, 250.0], "ZAR"),
    ("Partners earn N2,500 per referral.", [2500.0, 2500.0], "NGN"),
    ("You earn R75.50 per sale.", [75.5, 75.5], "ZAR"),
])
def test_glued_currency_letter_is_money(text: str, flat: list[float], currency: str) -> None:
    d = _d(text)
    assert d["flat"] == flat and d["currency"] == currency


@pytest.mark.parametrize("text, minimum, currency", [
    ("Payouts are sent via bank transfer once you reach a minimum threshold of N5,000.", 5000.0, "NGN"),
    ("The minimum payout amount for a bank transfer is R300.", 300.0, "ZAR"),
])
def test_glued_currency_letter_in_a_threshold(text: str, minimum: float, currency: str) -> None:
    d = _d(text)
    assert d["payout_minimum"] == minimum and d["payout_currency"] == currency


@pytest.mark.parametrize("text", [
    "Earn R 250 for every paying customer you refer.",      # a letter apart from the figure: no currency
    "Earn H1N1 250 points for every referral.",             # a letter inside a word
    "Earn 25% on every sale of model XR200.",               # a letter after other letters
])
def test_glued_currency_letter_guards(text: str) -> None:
    d = _d(text)
    assert d["currency"] is None and d["flat"] is None


def test_real_sign_keeps_its_currency() -> None:
    assert _d("Earn R$50 per sale.")["currency"] == "BRL"
    assert _d("Earn Rs500 per sale.")["currency"] == "INR"


# --- a flat amount that is only a floor -------------------------------------------------------------------------------

@pytest.mark.parametrize("text, flat", [
    ("Premium hosting partner: $150+ per sale.", [150.0, None]),
    ("Typically $30 - $90+ per new customer referred.", [30.0, None]),
    ("Partners earn a minimum of $25 per new account.", [25.0, None]),
    ("We pay $120 or the first month's fee, whichever is higher.", None),   # no tie word: no commission read
    ("You earn $120 per sale or the first month's fee, whichever is higher.", [120.0, None]),
])
def test_flat_floor(text: str, flat: list | None) -> None:
    assert _d(text)["flat"] == flat


@pytest.mark.parametrize("text, flat", [
    ("You earn $120 per sale.", [120.0, 120.0]),
    ("You earn $12.00 per sale or 15% of the sale, whichever is greater.", [12.0, 12.0]),   # a flat beside a percent
    ("Earn $40 per sale. Tokens: $5+ commission balance before a withdrawal.", [40.0, 40.0]),
])
def test_flat_floor_guards(text: str, flat: list) -> None:
    assert _d(text)["flat"] == flat


def test_flat_floor_in_commission_model() -> None:
    c = extract_terms("Premium hosting partner: $150+ per sale.").to_commission()
    assert c.flat_min == 150.0 and c.flat_max is None


# --- frequency words that size a quantity, and a maturing delay counted from a month's end ----------------------------

@pytest.mark.parametrize("text", [
    "Payout $30 per approved lead | Daily Cap 300 leads/day | Allowed traffic: native",
    "Payout $30 per lead. Weekly cap: 500 leads.",
    "Rates are paid on a scale based on monthly performance volume.",
    "Payment via PayPal. Generate Monthly Net Sales > $2,000 and earn a bonus.",
    "Payouts: actions are locked 20 day(s) after end of the month they are tracked.",
])
def test_frequency_word_that_is_no_schedule(text: str) -> None:
    assert _d(text)["frequency"] is None


@pytest.mark.parametrize("text, freq", [
    ("Payments are made daily via PayPal.", "daily"),
    ("Commissions are paid on weekly net sales.", "weekly"),
    ("Payment will be made 30 days after the end of the month in which the sale occurred.", "monthly"),
    ("Commissions are paid at the end of the month.", "monthly"),
    ("We pay monthly via PayPal, with no volume caps.", "monthly"),
])
def test_frequency_schedules_kept(text: str, freq: str) -> None:
    assert _d(text)["frequency"] == freq


# --- a sign glued to a lower-case label, as scraped table cells run together ------------------------------------------

@pytest.mark.parametrize("text, flat, currency", [
    ("Offer #7 - Loan Lead (CPL) Payout$35 per approved lead Allowed GEO Tier-1", [35.0, 35.0], "USD"),
    ("Campaign Commission€12 per sale", [12.0, 12.0], "EUR"),
])
def test_sign_glued_to_a_label(text: str, flat: list[float], currency: str) -> None:
    d = _d(text)
    assert d["flat"] == flat and d["currency"] == currency


def test_capital_before_a_sign_is_no_dollar() -> None:
    assert _d("Earn N$100 per sale.")["currency"] is None      # a country's letter: not the US dollar


# --- amounts that are something else ---------------------------------------------------------------------------------

def test_amount_in_brackets_after_the_rate_restates_it() -> None:
    d = _d("Earn 40% recurring commission ($12 to $19.50+ per sale) on every plan.")
    assert d["model"] == "percent" and d["flat"] is None


def test_amount_in_brackets_after_other_words_is_kept() -> None:
    d = _d("Commission rates range from 20% to 30% based on volume ($10-$15 per participant).")
    assert d["flat"] == [10.0, 15.0]


def test_customer_spend_named_after_the_amount_is_no_minimum() -> None:
    assert _d("Paid per activation: R40. A minimum of R200 to be spent by the customer.")["payout_minimum"] is None
    assert _d("Payouts are made once you reach a minimum of R200.")["payout_minimum"] == 200.0


# --- refer-a-friend rewards addressed to the reader ------------------------------------------------------------------

def test_coupon_that_pays_the_referrer() -> None:
    d = _d("Refer your friends: each friend who orders will earn you a $15 OFF coupon.")
    assert d["flat"] == [15.0, 15.0] and d["currency"] == "USD"


@pytest.mark.parametrize("text", [
    "Refer a friend: they get $15 off coupon on their first order.",      # the friend's coupon
    "Refer a friend and you'll both get £20 off when they buy.",            # a discount, no coupon
    "Refer a friend. This coupon gets you $5 off your next order.",        # a discount on the reader's own order
])
def test_discounts_stay_discounts(text: str) -> None:
    assert _d(text)["flat"] is None


# --- lifetime / recurring --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "Earn 12% of our fee on all of your referral's trades including all their future transactions.",
    "Future purchases made by your visitors will automatically generate commissions for you. The commission is 5%.",
])
def test_future_purchases_that_earn_are_lifetime(text: str) -> None:
    d = _d(text)
    assert d["recurring"] is True and d["lifetime"] is True


def test_future_purchases_that_do_not_earn() -> None:
    d = _d("Earn 10% on the first order. Future purchases made by your referrals do not generate commissions.")
    assert d["lifetime"] is None and d["recurring"] is False


@pytest.mark.parametrize("text", [
    "Commission is paid via PayPal on the 1st of each month, as long as that day is a weekday. Earn 10% per sale.",
    "These cookies are active for 30, 60 or 90 days, or forever, depending on the creator's settings.",
])
def test_no_lifetime_from_a_weekday_or_a_cookie(text: str) -> None:
    d = _d(text)
    assert d["lifetime"] is None and d["recurring"] is None


def test_lifetime_as_long_as_a_paying_customer() -> None:
    d = _d("Earn 20% commission as long as the referral is a paying customer.")
    assert d["recurring"] is True and d["lifetime"] is True


@pytest.mark.parametrize("text", [
    "You earn 25% of every subscription payment while the referred user maintains an active subscription.",
    "Earn recurring commissions: get paid every month your referrals stay subscribed.",
    "You get a 15 percent life-time referral on all work you refer to us.",
    "You earn a commission on each order. Earnings for a referred customer are continuous.",
])
def test_lifetime_phrasings(text: str) -> None:
    d = _d(text)
    assert d["recurring"] is True and d["lifetime"] is True


def test_lifetime_value_is_no_lifetime() -> None:
    assert _d("Earn 20% commission. The lifetime value of customers is high.")["lifetime"] is None


# --- schedules: two days a month, the middle of the month, payouts on request -----------------------------------------

@pytest.mark.parametrize("text, freq", [
    ("Payments are made each month on the 25th and at month-end.", "semimonthly"),
    ("Commissions are paid on the 1st and 15th.", "semimonthly"),
    ("We pay the commissions in the middle of next month.", "monthly"),
    ("Click Redeem credits for cash. You will be paid via a PayPal payment.", "on-request"),
    ("Requests for payment of commission are made from 50€.", "on-request"),
    ("A minimum of £100 is required for withdrawal. Send an email to our team for the withdrawal.", "on-request"),
])
def test_schedule_phrasings(text: str, freq: str) -> None:
    assert _d(text)["frequency"] == freq


@pytest.mark.parametrize("text", [
    "Customers pay on the 1st and 15th of the month.",            # the customer's billing
    "Payments are made between the 1st and 15th of each month.",  # a window of days, paid once
])
def test_schedule_guards(text: str) -> None:
    assert _d(text)["frequency"] != "semimonthly"


# --- one-time rewards and the customer's recurring billing -----------------------------------------------------------

@pytest.mark.parametrize("text", [
    "Earn 12 percent any time someone buys our services for the first time from your link.",
    "You will receive a $5 coupon every time a friend places a first-time order through your link.",
])
def test_first_time_purchase_is_one_time(text: str) -> None:
    assert _d(text)["recurring"] is False


def test_staged_reward_by_first_bill_is_no_one_time_cue() -> None:
    text = "Refer a friend: $20 when they switch, $10 when they pay the bill for the first time, $10 the second time."
    assert _d(text)["recurring"] is not False


@pytest.mark.parametrize("text", [
    "You receive 3% of the total contract value (based on total monthly recurring charges x the length of term).",
    "They also receive 10% off their first recurring monthly bill. Earn 10% per sale.",
])
def test_recurring_billing_is_no_recurring_commission(text: str) -> None:
    assert _d(text)["recurring"] is None


@pytest.mark.parametrize("text", [
    "Earn 20% monthly recurring commission.",
    "Earn 20% recurring commission on monthly plans.",
])
def test_recurring_commission_kept(text: str) -> None:
    assert _d(text)["recurring"] is True


# --- other verbs that hand the amount to the affiliate ----------------------------------------------------------------

@pytest.mark.parametrize("text, flat", [
    ("B) Any subscriber off your link nets $.75, paid in 30 days arrears.", [0.75, 0.75]),
    ("For each website project you refer, I pay 400 dollars.", [400.0, 400.0]),
    ("Referral partners are provided with a one-off $300.00 payment for new customers.", [300.0, 300.0]),
    ("Hybrid: a fixed CPA (cost per acquisition) of $30-$60 is added once a user deposits.", [30.0, 60.0]),
])
def test_more_earning_ties(text: str, flat: list[float]) -> None:
    assert _d(text)["flat"] == flat


@pytest.mark.parametrize("text", [
    "The price I pay is $20 per month.",
    "The program nets over $1M a year in sales.",
])
def test_more_earning_ties_guards(text: str) -> None:
    assert _d(text)["flat"] is None


def test_compensated_is_a_payout_word() -> None:
    d = _d("You will be compensated on a quarterly basis provided that your commission meets $25 or above.")
    assert d["payout_minimum"] == 25.0 and d["payout_currency"] == "USD"

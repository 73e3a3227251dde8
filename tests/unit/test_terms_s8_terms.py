"""Session 8 (tr8): payout schedule, recurrence caps, store credit and coupon-authorisation rules.

Every behaviour is checked on sentences written for this file (not copied from any corpus), in several phrasings,
so a rule that only fits one page's wording fails here.
"""
from __future__ import annotations

import pytest

from matrix.normalize.terms import extract_terms


def _methods(text: str) -> list[str]:
    return [f.value for f in extract_terms(text).methods]


def _restrictions(text: str) -> list[str]:
    return [f.value for f in extract_terms(text).restrictions]


def _frequency(text: str):
    f = extract_terms(text).frequency
    return None if f is None else f.value


# --- a frequency word right before a payout noun names the payout schedule ----------------------------------

@pytest.mark.parametrize("text", [
    "Plan A: 25% lifetime recurring - monthly payouts - no minimum.",
    "Earn 30% on each renewal, with weekly PayPal payouts.",
    "Our partners keep 20% of recurring revenue and receive monthly commission payments.",
    "Revenue share for life, quarterly disbursements to your bank.",
])
def test_frequency_named_by_payout_noun_beside_recurrence(text):
    expected = "weekly" if "weekly" in text else "quarterly" if "quarterly" in text else "monthly"
    assert _frequency(text) == expected


@pytest.mark.parametrize("text", [
    "Earn 40% on every yearly or lifetime licence. 45-day cookie and monthly payouts via PayPal.",
    "Customers can pay annually or yearly in advance; affiliates get monthly payouts by bank transfer.",
    "Sell the annual plan and enjoy monthly payouts.",
])
def test_named_payout_schedule_outranks_context_words(text):
    assert _frequency(text) == "monthly"


def test_named_schedule_does_not_beat_net_terms_or_turn_a_request_into_a_schedule():
    assert _frequency("Monthly payouts on Net 30 terms.") == "net-30"
    assert _frequency("We transfer your money every Friday. You can request a payout from the dashboard.") == "weekly"


# --- weekday plurals and counted times per period ---------------------------------------------------------

@pytest.mark.parametrize("text", [
    "30% per sale, paid Fridays.",
    "Commissions are paid Mondays once the refund window closes.",
    "Referral earnings are sent 1 time per week.",
    "Payouts happen one time a week through Wise.",
])
def test_weekly_from_weekday_plural_or_count(text):
    assert _frequency(text) == "weekly"


def test_one_time_per_month_is_monthly():
    assert _frequency("Affiliate payments are made 1 time per month.") == "monthly"


# --- a window of days of the month is a date, not an amount -------------------------------------------------

@pytest.mark.parametrize("text", [
    "Payment will be made between 7-15 every month.",
    "Payouts go out between 1 and 5 each month.",
    "Commissions are paid from the 10th to 15th every month.",
])
def test_day_window_before_every_month(text):
    assert _frequency(text) == "monthly"


def test_an_amount_every_month_is_still_no_schedule():
    assert _frequency("We pay $50 every month to partners.") is None


# --- "reimbursed" pays the affiliate ---------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "The partner is reimbursed £10 in the first week of each month.",
    "Introducers are reimbursed monthly for every active client.",
    "Agents will be reimbursed at the end of each month.",
])
def test_reimbursed_is_a_payout_verb(text):
    assert _frequency(text) == "monthly"


# --- recurrence caps in billing cycles or short units -------------------------------------------------------

@pytest.mark.parametrize("text,months", [
    ("You earn 20% recurring commission on each payment, for up to 12 billing cycles.", 12),
    ("30% commission recurring for the next 11 billing cycles.", 11),
    ("Rate: 25% recurring (24mo)", 24),
    ("Earn 15% recurring for 6 mos on every plan.", 6),
    ("We pay 10% recurring commission over the first 18 subscription cycles.", 18),
])
def test_months_cap_in_billing_cycles_and_short_units(text, months):
    """Billing cycles are counted as months (a "billing period" of unstated length caps nothing: see s4 tests)."""
    t = extract_terms(text)
    assert t.recurring is not None and t.recurring.value is True
    assert t.recurring_months is not None and t.recurring_months.value == months
    assert t.lifetime is None


# --- renewals named in a list that is not commissionable ----------------------------------------------------

@pytest.mark.parametrize("text", [
    "We pay 25% on new sales. Renewals, upgrades, and seat expansions by existing customers are not commissionable.",
    "20% per first order. Renewals and add-ons are not eligible.",
    "Rebills, refunds or chargebacks are not counted toward commission.",
])
def test_renewals_in_an_excluded_list_mean_one_time(text):
    t = extract_terms(text)
    assert t.recurring is not None and t.recurring.value is False


# --- store credit: rewards spent with the merchant ----------------------------------------------------------

@pytest.mark.parametrize("text", [
    "For every neighbour you refer you get $25 off your next cleaning visit.",
    "We will apply the credits to your account for future bookings.",
    "You will receive a $10 coupon every time a friend completes an order.",
    "Refer a friend and you'll get rewarded with $15 worth of loyalty points.",
    "Each referral earns you a reward, issued in 300 reward points.",
])
def test_store_credit_forms(text):
    assert "store_credit" in _methods(text)


@pytest.mark.parametrize("text", [
    "Commission is earned in the form of club points, which are converted to cash at payout.",
    "The default partner rate is 15%, stored as 1500 basis points.",
    "Get 10% off your next order with code SAVE10.",
    "Your friend will get $5 off their first purchase.",
])
def test_not_store_credit(text):
    assert "store_credit" not in _methods(text)


# --- coupons qualified by their authorisation are not a coupon-site ban ------------------------------------

@pytest.mark.parametrize("text", [
    "Prohibited: offering unauthorized discounts or coupon codes.",
    "Affiliates may not use unapproved discounts, voucher codes, or invent their own codes.",
    "Violations (for example unauthorised brand bidding, coupon use, or forced clicks) void commissions.",
    "Content sites are welcome. No coupon stacking.",
])
def test_authorised_codes_rule_is_not_a_coupon_ban(text):
    assert "no-coupon" not in _restrictions(text)


@pytest.mark.parametrize("text", [
    "Affiliates may not use coupon sites or spam.",
    "Prohibited: unauthorised email campaigns, coupon sites and pop-ups.",
    "No unauthorized promo codes. Voucher websites are not allowed.",
])
def test_coupon_site_ban_is_kept(text):
    assert "no-coupon" in _restrictions(text)


# --- camelCase keys of object literals are record keys ----------------------------------------------------

@pytest.mark.parametrize("text,days", [
    ("{ slug: 'acme', rate: '12%', cookieDays: 45, payoutMin: 25 }", 45.0),
    ("shop: { title: 'Widgets', commission: '6%', cookieDays: 7,", 7.0),
    ("partner = Program(name='Foo', cookieWindowDays=90, rate=5)", 90.0),
    ("{ cookieDurationDays: 120, recurring: false }", 120.0),
])
def test_camel_case_cookie_key(text, days):
    t = extract_terms(text)
    assert t.cookie_days is not None and t.cookie_days.value == days


def test_camel_case_word_in_prose_is_not_a_record():
    t = extract_terms("Shop on eBay: 5% off everything this week.")
    assert t.cookie_days is None and t.payout_minimum is None


# --- a recurrence cap is not the attribution window ---------------------------------------------------------

@pytest.mark.parametrize("text", [
    "Smart tracking for modern teams. Partners get 20% recurring for 12 months.",
    "Partners earn a 30% commission on each plan attributed to their partner ID within the first 12 months of billing.",
    "Our tracking dashboard is live; commissions recur for 24 months per customer.",
])
def test_recurrence_cap_is_not_a_cookie(text):
    t = extract_terms(text)
    assert t.recurring_months is not None
    assert t.cookie_days is None


def test_cookie_beside_a_recurrence_cap_is_kept():
    t = extract_terms("Earn 25% recurring for 12 months; the tracking cookie lasts 60 days.")
    assert t.recurring_months.value == 12 and t.cookie_days.value == 60.0


# --- the size of the customer's purchase is not a payout threshold ------------------------------------------

@pytest.mark.parametrize("text", [
    "We send a $150 reward for any referred order totaling $2,000 or more. Rewards are paid by check.",
    "The finished renovation job must total at least $900 before the referral payment is issued.",
    "No reward is paid if the booking value is less than $400. Payouts go out by PayPal.",
    "A learner must book a minimum 12-hour package; the referrer then receives £15 by bank transfer.",
])
def test_purchase_size_is_not_a_payout_minimum(text):
    assert extract_terms(text).payout_minimum is None


@pytest.mark.parametrize("text,amount", [
    ("Payouts are sent once your balance totals at least $50.", 50.0),
    ("The minimum payout is $25, paid monthly.", 25.0),
])
def test_balance_thresholds_are_still_read(text, amount):
    assert extract_terms(text).payout_minimum.value == amount


# --- a withdrawal request filed by the affiliate is on-request ------------------------------------------------

@pytest.mark.parametrize("text", [
    "Your first withdrawal request may take up to three weeks to reach your PayPal account.",
    "Partners start a redemption request from the dashboard to move their balance to PayPal.",
    "Each withdrawal request is reviewed by our finance team before the transfer.",
])
def test_withdrawal_request_is_on_request(text):
    assert _frequency(text) == "on-request"


def test_a_fixed_schedule_wins_over_requests():
    assert _frequency("Payout requests are processed monthly.") == "monthly"


# --- SEA (search engine advertising) is search ----------------------------------------------------------

@pytest.mark.parametrize("text", [
    "SEA is not allowed within this partner programme.",
    "No SEA campaigns of any kind.",
    "Prohibited: SEA, pop-unders and toolbars.",
])
def test_sea_is_search(text):
    assert "no-search" in _restrictions(text)


def test_the_word_sea_is_not_search():
    assert "no-search" not in _restrictions("Sea freight is not allowed for oversized orders.")


# --- a monthly plan named with a word between is the customer's billing ---------------------------------------

@pytest.mark.parametrize("text", [
    "You earn 20% of the first payment: $2 on a monthly Pro subscription, $20 on a yearly one.",
    "Earn 15% commission on monthly paid plans and 20% on annual ones, via PayPal.",
    "Refer teams on monthly Business memberships and get 25% of their first invoice.",
])
def test_monthly_named_plan_is_not_a_payout_schedule(text):
    assert _frequency(text) is None


def test_monthly_payout_is_still_read():
    assert _frequency("Commissions are paid monthly via PayPal.") == "monthly"


# --- a search ban on the merchant named by its role is brand bidding ----------------------------------------

@pytest.mark.parametrize("text", [
    "Affiliates may not bid on the advertiser domain name in Google Ads.",
    "Do not run PPC ads on the company name.",
    "Publishers must not use the merchant brand name as a keyword in paid search.",
])
def test_search_ban_on_merchant_name_is_brand_bidding(text):
    found = _restrictions(text)
    assert "no-brand-bidding" in found and "no-search" not in found


def test_plain_search_ban_stays_search():
    assert _restrictions("PPC advertising is not allowed.") == ["no-search"]

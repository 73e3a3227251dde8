"""Session-3 rules of the terms extractor: what a number or word refers to decides its field.

Every phrasing here was written for this test (none is a corpus quote); each case lists every
field the text states, so a rule that fires too widely (a value for an unstated field) fails too.
The pairs show both sides of a rule: the reading it adds and the look-alike it must leave alone.
"""

from __future__ import annotations

import pytest

from matrix.normalize.terms import extract_terms

PCT20 = {"model": "percent", "percent": [20.0, 20.0]}

CASES = [
    # --- commission: context of a percent / an amount ------------------------------------------
    # a range is read from its first end: the fee word before "2" also governs "3%"
    ("Payment processing fees (typically 2-3%) are deducted from commissions.", {}),
    ("Earn a commission of 2-3% on every order.", {"model": "percent", "percent": [2.0, 3.0], "payout_type": "cps"}),
    # German merchant profiles
    ("Wir zahlen eine Provision von 7 % auf jeden Verkauf.", {"model": "percent", "percent": [7.0, 7.0], "payout_type": "cps"}),
    ("We reserve the right to change any provision of these terms.", {}),
    # commission verbs without "you": "we'll send you", "pays 4%", "N% per sale"
    ("We'll send you 20% of every sale.", {**PCT20, "payout_type": "cps"}),
    ("The program pays 4% on electronics and 8% on fashion.", {"model": "percent", "percent": [4.0, 8.0], "payout_type": "cps"}),
    ("We track referrals with a 90-day cookie and pay 8% per sale.",
     {"model": "percent", "percent": [8.0, 8.0], "payout_type": "cps", "cookie_days": 90.0}),
    ("With your code customers pay 20% less.", {}),
    ("Stripe charges 2.9% per transaction.", {}),
    # customer discounts and overrides on other affiliates
    ("You need to reach the payment threshold to get paid. Customers get $10 off their first order.", {}),
    ("Refer another affiliate and earn 5% of their earnings.", {}),
    # an amount coordinated with a commission amount is one too; a bonus word belongs to its own amount
    ("Earn $3 per free trial sign-up and $30 when the trial converts to a paid plan.",
     {"model": "flat", "flat": [3.0, 30.0], "currency": "USD", "payout_type": "cpl"}),
    ("Earn $20 per sale and $5 off for your audience.",
     {"model": "flat", "flat": [20.0, 20.0], "currency": "USD", "payout_type": "cps"}),
    ("Earn $20 per sale and a $100 bonus after 10 sales.",
     {"model": "flat", "flat": [20.0, 20.0], "currency": "USD", "payout_type": "cps"}),
    ("Get a $100 bonus and $20 per sale.", {"model": "flat", "flat": [20.0, 20.0], "currency": "USD", "payout_type": "cps"}),
    ("Get a $50 sign-up bonus.", {}),
    # tiers: the rate depends on volume
    ("Commission: 10-15% depending on volume. Cookie duration: 30 days.",
     {"model": "percent", "percent": [10.0, 15.0], "tiers": [10.0, 15.0], "payout_type": "cps", "cookie_days": 30.0}),
    # --- recurring / months / lifetime -----------------------------------------------------------
    ("Earn 10% on every single payment your referral makes.",
     {"model": "percent", "percent": [10.0, 10.0], "recurring": True, "payout_type": "revshare"}),
    ("We renew our terms every year.", {}),
    ("Recurring commissions: no, first purchase only.", {"recurring": False}),
    ("Recurring: yes, for 6 months.", {"recurring": True, "recurring_months": 6}),
    ("You receive 50% of the customer's first monthly payment.",
     {"model": "percent", "percent": [50.0, 50.0], "recurring": False, "payout_type": "cps"}),
    ("Earn 20% on each payment while your referral remains a paying customer.",
     {**PCT20, "recurring": True, "lifetime": True, "payout_type": "revshare"}),
    ("Commissions are available while your affiliate account is active.", {}),
    ("You earn 20% of every payment as long as your affiliate account is in good standing.",
     {**PCT20, "recurring": True, "payout_type": "revshare"}),
    ("Every time your customer renews, you earn 20% again.", {**PCT20, "recurring": True, "payout_type": "revshare"}),
    # a one-off amount paid in installments is not a recurring cap
    ("Earn a $100 bounty, paid out over 4 months.",
     {"model": "flat", "flat": [100.0, 100.0], "currency": "USD", "payout_type": "cpa"}),
    ("Earn 15% on renewals for 24 months.",
     {"model": "percent", "percent": [15.0, 15.0], "recurring": True, "recurring_months": 24, "payout_type": "revshare"}),
    # --- payout minimum ----------------------------------------------------------------------
    ("Minimum payout of Rs.500 applies to all withdrawals.", {"payout_minimum": 500.0, "payout_currency": "INR"}),
    ("Payouts are processed once your balance reaches the threshold. The threshold is €50.",
     {"payout_minimum": 50.0, "payout_currency": "EUR"}),
    ("Payment method: PayPal. The minimum is $25.", {"payout_minimum": 25.0, "payout_currency": "USD", "methods": ["paypal"]}),
    ("The minimum order is $40. Shipping is free.", {}),
    ("We pay out when your earnings are $50 or above.", {"payout_minimum": 50.0, "payout_currency": "USD"}),
    ("Affiliates are paid in three $10 installments over three months.", {}),
    # --- frequency: the affiliate's payout schedule, not the customer's billing ------------------
    ("Customers can choose to pay monthly or yearly; affiliates earn 20% of every payment.",
     {**PCT20, "recurring": True, "payout_type": "revshare"}),
    ("A user who chooses to pay monthly gets the same features.", {}),
    ("We pay affiliates monthly via PayPal.", {"frequency": "monthly", "methods": ["paypal"]}),
    ("Commissions are paid once per month by bank transfer.", {"frequency": "monthly", "methods": ["bank"]}),
    ("Payouts are issued on the last business day of each month.", {"frequency": "monthly"}),
    ("Earn 30% recurring (monthly) on every subscription.",
     {"model": "percent", "percent": [30.0, 30.0], "recurring": True, "payout_type": "revshare"}),
    ("Affiliates who earn more than $600 annually must submit a tax form before payments are sent.", {}),
    ("Payments are based on our customers' monthly order volume.", {}),
    ("Payout frequency: weekly.", {"frequency": "weekly"}),
    ("We process payouts every other week.", {"frequency": "biweekly"}),
    ("The commission cut-off is the 25th of every month.", {"frequency": "monthly"}),
    ("At the start of each month we mail you a cheque for the previous month's sales.",
     {"methods": ["check"], "frequency": "monthly"}),
    # --- methods ------------------------------------------------------------------------------
    ("Earn $5 for each PayPal checkout you refer.",
     {"model": "flat", "flat": [5.0, 5.0], "currency": "USD", "payout_type": "cpa"}),
    ("Choose wire transfer (enter your IBAN and SWIFT code) or Payoneer.", {"methods": ["wire", "payoneer"]}),
    ("Direct deposit: we send the money to your bank account.", {"methods": ["ach"]}),
    ("Payments go directly to your bank account.", {"methods": ["bank"]}),
    ("We pay by PayPal or straight to your bank account.", {"methods": ["paypal", "bank"]}),
    ("Payments start once your banking details are on file.", {"methods": ["bank"]}),
    ("We do not pay by check.", {}),
    ("Payouts go out via PayPal; we don't accept Payoneer.", {"methods": ["paypal"]}),
    ("Rewards are credited to your account balance and can be spent in our store.", {"methods": ["store_credit"]}),
    ("Earnings are credited to your account; we then pay them out by PayPal.", {"methods": ["paypal"]}),
    # --- cookie: a conversion deadline after a clause about tracking --------------------------------
    ("Clicks on your link are tracked. If the visitor buys within 45 days, the sale is yours.", {"cookie_days": 45.0}),
    ("Sales are tracked automatically. If the customer cancels within 30 days, no commission is due.", {}),
    ("If the customer buys within 45 days, shipping is free.", {}),
    # --- restrictions: sentence-level prohibitions ------------------------------------------------
    ("Our policy prohibits bidding on our brand and email spam.", {"restrictions": ["no-brand-bidding", "no-spam"]}),
    ("Violations such as cookie stuffing or toolbar traffic lead to termination.", {"restrictions": ["no-toolbar"]}),
    ("Do not use our trademarks in paid search ads.", {"restrictions": ["no-brand-bidding"]}),
    ("Never buy ads that target our trademarks.", {"restrictions": ["no-brand-bidding"]}),
    ("We prohibit adult sites, but coupon sites are welcome.", {"restrictions": ["no-adult"]}),
    ("We prohibit spam; email marketing to opt-in lists is allowed.", {"restrictions": ["no-spam"]}),
    ("We restrict: coupon sites; toolbar installs; unsuitable content.", {"restrictions": ["no-coupon", "no-toolbar"]}),
    ("Publishing offensive content or fake reviews is a violation.", {}),
    ("Customers who violate our terms lose their discount; email us with questions.", {}),
    ("Running PPC campaigns on brand terms is prohibited.", {"restrictions": ["no-brand-bidding"]}),
]


@pytest.mark.parametrize("text,expected", CASES, ids=[c[0][:50] for c in CASES])
def test_context_rule(text, expected):
    got = extract_terms(text).as_dict()
    assert {k: v for k, v in got.items() if v is not None} == expected


def test_rupee_amount_after_abbreviation_dot_keeps_its_span():
    text = "Withdrawals need a minimum payout of Rs.2,500."
    t = extract_terms(text)
    assert t.payout_minimum.value == 2500.0 and t.payout_currency.value == "INR"
    assert t.payout_minimum.quote(text) == "Rs.2,500"


def test_a_dot_inside_a_word_or_number_is_not_money():
    # "v.2" and "1.5" must not yield a stray "2" / "5" amount
    assert extract_terms("Version v.2 pays 1.5% per sale.").as_dict()["percent"] == [1.5, 1.5]


def test_the_one_time_answer_wins_only_over_its_own_label():
    # the label answered "no" in its own clause; a recurring statement elsewhere still counts
    t = extract_terms("Recurring transactions: initial transaction only. Upsells earn 10% on every renewal.")
    assert t.recurring.value is True


def test_carried_threshold_reaches_only_the_next_clause():
    text = "You must reach the minimum balance to get paid. Our app is great. Plans are $10."
    assert extract_terms(text).payout_minimum is None

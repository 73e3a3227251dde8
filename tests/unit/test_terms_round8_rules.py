"""Rules added after the round-8 set: one-time wording ("Renewals not counted", "exclude renewals", "a single
$40 reward"), "second and more orders", unlimited durations said in other words, a recurring window counted
from the referred user's registration, a first-year cap written "1st year", crypto and store-credit
payouts, a flat amount named as a payment per referral, brand bidding in any wording, a "not allowed
on the programme:" list label, a flat reward typed by the referred party's action, and weekday and
24-hour payout schedules.

Every phrasing here was written for this test (none is a corpus quote). Each case lists every field
the text states, so a rule that fires too widely (a value for an unstated field) fails as well; the
look-alike beside a rule is the reading it must leave alone.
"""

from __future__ import annotations

import pytest

from tests.support.terms_cases import assert_states_exactly

CPS20 = {"model": "percent", "percent": [20.0, 20.0], "payout_type": "cps"}
REV20 = {"model": "percent", "percent": [20.0, 20.0], "recurring": True, "payout_type": "revshare"}
LIFE20 = {**REV20, "lifetime": True}

CASES = [
    # --- lifetime: an unlimited duration in other words ------------------------------------------------
    ("You earn 20% of every invoice they pay. There is no time limit.", LIFE20),
    # look-alike: a time limit on the visitor's purchase is a conversion window, not the commission's
    ("You earn 20% of their first order. There is no time limit in which the visitor must buy.",
     {**CPS20, "recurring": False}),
    ("Earn 20% on every order; customers stay permanently linked to you.", LIFE20),
    # look-alike: something else "permanently" done binds no customer to the affiliate
    ("Earn 20% on every order. Your account will be permanently closed for fraud.", CPS20),
    ("Affiliates receive 20% lifetime on every plan.", LIFE20),
    # look-alike: a lifetime cookie is a cookie, not a lifetime commission
    ("Affiliates receive 20% on every plan with lifetime cookies.", CPS20),
    ("You get 20% of each invoice till the time of account cancellation.", LIFE20),
    # look-alike: "till" that waits for something else
    ("Payouts are held till the payout method is verified. You get 20% per sale.", CPS20),
    ("We pay 20% of what the client pays; it ends when the client stops paying.", LIFE20),
    # look-alike: an ending that is the cookie's, not the customer's
    ("We pay 20% per sale. The cookie ends when the visitor clears their browser.", CPS20),
    ("Partners earn 20% on all renewals.", LIFE20),
    # look-alike: renewals excluded
    ("Partners earn 20% on the first order; no commission on renewals.", {**CPS20, "recurring": False}),
    # --- recurring polarity -----------------------------------------------------------------------------
    ("Earn 20% per sale. Renewals not counted.", {**CPS20, "recurring": False}),
    # look-alike: renewals that do count
    ("Earn 20% per sale. Renewals counted as well.", REV20),
    ("Earn 20% on subscription purchases; exclude renewals and add-ons.", {**CPS20, "recurring": False}),
    ("Referrers get a single $40 reward per new customer.",
     {"model": "flat", "flat": [40.0, 40.0], "currency": "USD", "payout_type": "cpa", "recurring": False}),
    ("Earn 20% of the first order and 20% of the second and more orders.", REV20),
    # look-alike: a second order alone says nothing about later ones
    ("Earn 20% of the order amount; the second order ships free.", CPS20),
    # --- months cap ---------------------------------------------------------------------------------------
    ("Partners earn 20% of 1st year subscription fees.", {**REV20, "recurring_months": 12}),
    # look-alike: the customer's first-year discount caps nothing
    ("Partners earn 20% per sale. Customers get 10% off their 1st year plan.", CPS20),
    ("You receive 20% of the trading fees paid within 6 months after your friend's registration.",
     {**REV20, "recurring_months": 6}),
    # look-alike: a deadline for the friend's deposit is a qualification window, not a cap
    ("You receive 20% of their trading fees. Friends must make a first deposit within 90 days after registration.",
     CPS20),
    ("You receive 20% of trading fees. The reward period of the invitation is 365 days.",
     {**REV20, "recurring_months": 12}),
    # look-alike: a cookie's validity period is the cookie
    ("You receive 20% of trading fees. The cookie validity period is 60 days.", {**CPS20, "cookie_days": 60.0}),
    # --- methods: store credit and crypto named by the payout ---------------------------------------------
    ("Refer a team and you will receive $30 in credits.",
     {"model": "flat", "flat": [30.0, 30.0], "currency": "USD", "payout_type": "cpa", "methods": ["store_credit"]}),
    # look-alike: the customer's credit card is no payout method
    ("You will receive $30 per sale, paid by PayPal. Customers pay by credit card.",
     {"model": "flat", "flat": [30.0, 30.0], "currency": "USD", "payout_type": "cps", "methods": ["paypal"]}),
    ("You receive 20% of fees, paid in SOL to your wallet.", {**CPS20, "methods": ["crypto"]}),
    # look-alike: paid in a fiat currency is no crypto
    ("You receive 20% of fees, paid in USD by wire transfer.", {**CPS20, "methods": ["wire"]}),
    # --- a flat amount named as a payment per referral ------------------------------------------------
    ("The referral payment is a single $40 payment for each qualified referral.",
     {"model": "flat", "flat": [40.0, 40.0], "currency": "USD", "payout_type": "cpa", "recurring": False}),
    # look-alike: a payment per month is the customer's price
    ("Customers make one $40 payment per month.", {}),
    # --- payout type of a flat reward from the referred party's action ------------------------------
    ("If your referral starts a free trial, you will receive $15.",
     {"model": "flat", "flat": [15.0, 15.0], "currency": "USD", "payout_type": "cpl"}),
    ("You get a $15 credit once they upgrade to a paid plan.",
     {"model": "flat", "flat": [15.0, 15.0], "currency": "USD", "payout_type": "cpa", "methods": ["store_credit"]}),
    # look-alike: a condition on the affiliate, not on the referred party, types nothing
    ("You will receive $15 once you have been approved.",
     {"model": "flat", "flat": [15.0, 15.0], "currency": "USD"}),
    # --- payout schedule ----------------------------------------------------------------------------------
    ("Commissions are paid out each Friday.", {"frequency": "weekly"}),
    # look-alike: a weekday with no payout in sight
    ("The support team answers tickets each Friday.", {}),
    ("Rewards are credited to your balance every 24 hours.", {"frequency": "daily"}),
    # look-alike: a refresh is not a payout
    ("Statistics refresh every 24 hours.", {}),
    ("You will be payed once a week via PayPal.", {"frequency": "weekly", "methods": ["paypal"]}),
    # --- restrictions ---------------------------------------------------------------------------------------
    ("We do not allow affiliates to bid on brand keywords.", {"restrictions": ["no-brand-bidding"]}),
    # look-alike: bidding on generic keywords is allowed and names no brand
    ("Affiliates may bid on generic keywords.", {}),
    ("The following practices are not allowed in the program: cashback sites, coupon sites.",
     {"restrictions": ["no-incent", "no-coupon"]}),
    # look-alike: the same list under an allowing label
    ("The following practices are allowed in the program: coupon sites.", {}),
]


@pytest.mark.parametrize("text,expected", CASES, ids=[c[0][:60] for c in CASES])
def test_round8_rule(text, expected):
    assert_states_exactly(text, expected)

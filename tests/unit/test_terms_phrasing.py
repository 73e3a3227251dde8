"""Ordinary phrasings of program terms (written for this test, not taken from the corpus), each
with the fields it states; every other field must come out unknown."""

from __future__ import annotations

import pytest

from matrix.normalize.terms import extract_terms

CASES = [
    # pages that are not terms at all
    ("Try it free for 14 days. Plans start at $29/month. Save 20% with annual billing.", {}),
    ("Enjoy a 30-day money-back guarantee on all plans.", {}),
    ("Get up to 50% off your first order with code WELCOME.", {}),
    ("Our average affiliate earns $1,200 per month.", {}),
    ("The top 10% of affiliates earn over $5,000 per month.", {}),
    ("Earn 5% of each sale made by affiliates you refer to the program.", {}),
    # commission
    ("Our affiliates earn a 30% commission on every sale they refer.",
     {"model": "percent", "percent": [30.0, 30.0], "payout_type": "cps"}),
    ("Commission rate: 8% per sale. Cookie life: 45 days.",
     {"model": "percent", "percent": [8.0, 8.0], "payout_type": "cps", "cookie_days": 45.0}),
    ("We pay $0.50 per valid lead and $25 per sale.",
     {"model": "flat", "flat": [0.5, 25.0], "currency": "USD", "payout_type": "cpl"}),
    ("Get paid $200 for every enterprise client you bring in.",
     {"model": "flat", "flat": [200.0, 200.0], "currency": "USD", "payout_type": "cpa"}),
    ("Publishers receive a CPA of €40 for each new depositing player.",
     {"model": "flat", "flat": [40.0, 40.0], "currency": "EUR", "payout_type": "cpa"}),
    ("Revenue share of 35% on net gaming revenue, no negative carryover.",
     {"model": "percent", "percent": [35.0, 35.0], "recurring": True, "payout_type": "revshare"}),
    ("Give your followers $10 off and earn $10 for every order.",
     {"model": "flat", "flat": [10.0, 10.0], "currency": "USD", "payout_type": "cps"}),
    ("Receive 100% of the first month's payment.",
     {"model": "percent", "percent": [100.0, 100.0], "recurring": False, "payout_type": "cps"}),
    ("Earn $5 per install on iOS and $3 on Android.",
     {"model": "flat", "flat": [5.0, 5.0], "currency": "USD", "payout_type": "cpi"}),
    # recurring
    ("Earn 20% recurring commission for a period of 12 months.",
     {"model": "percent", "percent": [20.0, 20.0], "recurring": True, "recurring_months": 12, "payout_type": "revshare"}),
    ("We pay a 12-month recurring commission of 25%.",
     {"model": "percent", "percent": [25.0, 25.0], "recurring": True, "recurring_months": 12, "payout_type": "revshare"}),
    ("Earn 30% on payments for up to 2 years.",
     {"model": "percent", "percent": [30.0, 30.0], "recurring": True, "recurring_months": 24, "payout_type": "revshare"}),
    ("Earn 20% commission on all payments made in the first year.",
     {"model": "percent", "percent": [20.0, 20.0], "recurring": True, "recurring_months": 12, "payout_type": "revshare"}),
    ("You receive 20% on initial orders only; renewals are not commissionable.",
     {"model": "percent", "percent": [20.0, 20.0], "recurring": False, "payout_type": "cps"}),
    ("Customers pay monthly or annually; you earn 20% of each payment.",
     {"model": "percent", "percent": [20.0, 20.0], "recurring": True, "payout_type": "revshare"}),
    # cookie
    ("Partners earn 15% on all sales made within 90 days after a click on their link.",
     {"model": "percent", "percent": [15.0, 15.0], "payout_type": "cps", "cookie_days": 90.0}),
    ("Referral links remain valid for 60 days.", {"cookie_days": 60.0}),
    ("Your referral cookie expires in 2 weeks.", {"cookie_days": 14.0}),
    ("We offer a 60-day free trial and a 30-day cookie.", {"cookie_days": 30.0}),
    # payout terms
    ("Payouts start at $50.", {"payout_minimum": 50.0, "payout_currency": "USD"}),
    ("There is no minimum payout.", {}),
    ("Min. payout 50 EUR.", {"payout_minimum": 50.0, "payout_currency": "EUR"}),
    ("A £20 minimum balance is required before payment.", {"payout_minimum": 20.0, "payout_currency": "GBP"}),
    ("Affiliates can cash out anytime once they earn $10.", {"payout_minimum": 10.0, "payout_currency": "USD"}),
    ("Commissions are paid out weekly for earnings over $50.",
     {"payout_minimum": 50.0, "payout_currency": "USD", "frequency": "weekly"}),
    ("Payouts: monthly, Net-45.", {"frequency": "net-45"}),
    ("Payouts are sent every Monday via PayPal.", {"frequency": "weekly", "methods": ["paypal"]}),
    ("You can withdraw your earnings at any time via Skrill or Neteller.", {"methods": ["skrill", "neteller"]}),
    ("Affiliates are paid by direct deposit or check.", {"methods": ["ach", "check"]}),
    ("Payment options include PayPal, wire transfer and Bitcoin.", {"methods": ["paypal", "wire", "crypto"]}),
    # restrictions
    ("No incentivized traffic. No coupon sites. No adult sites.", {"restrictions": ["no-incent", "no-coupon", "no-adult"]}),
    ("Do not bid on our brand name or any variation of it.", {"restrictions": ["no-brand-bidding"]}),
    ("Affiliates must not use pop-ups or pop-unders.", {"restrictions": ["no-pop"]}),
    ("Spam of any kind is strictly prohibited.", {"restrictions": ["no-spam"]}),
]


@pytest.mark.parametrize("text,expected", CASES, ids=[c[0][:40] for c in CASES])
def test_phrasing(text, expected):
    got = extract_terms(text).as_dict()
    assert {k: v for k, v in got.items() if v is not None} == expected

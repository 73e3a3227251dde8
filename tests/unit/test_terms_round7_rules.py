"""Rules added after the round-7 set: lifetime and recurring phrasings, one-time wording, months caps,
restriction cues and table labels, payout-method context, thresholds, percent cues and tier bands.

Every phrasing here was written for this test (none is a corpus quote). Each case lists every field
the text states, so a rule that fires too widely (a value for an unstated field) fails as well; the
look-alike beside a rule is the reading it must leave alone.
"""

from __future__ import annotations

import pytest

from tests.support.terms_cases import assert_states_exactly

CPS12 = {"model": "percent", "percent": [12.0, 12.0], "payout_type": "cps"}
REV12 = {"model": "percent", "percent": [12.0, 12.0], "recurring": True, "payout_type": "revshare"}
LIFE12 = {**REV12, "lifetime": True}

CASES = [
    # --- lifetime: paid for as long as the referred customer stays a payer ---------------------------
    ("We pay you 12% for the duration that the member is a paying customer.", LIFE12),
    ("Earn 12% for each month the referred client keeps a paid plan.", LIFE12),
    ("You get 12% of each invoice while he or she is using the app.", LIFE12),
    ("Commission Rate: 12% | Commission Duration: Lifetime | Cookie Length: 45 Days",
     {**LIFE12, "cookie_days": 45.0}),
    # look-alike: a lifetime cookie is no lifetime commission
    ("Earn 12% per sale. Cookie Duration: Lifetime", {**CPS12}),
    # --- recurring: rates on later sales --------------------------------------------------------------
    ("Get 20% on the first order and 12% on 2nd and later orders.",
     {"model": "percent", "percent": [12.0, 20.0], "recurring": True, "payout_type": "revshare"}),
    # look-alike: a reward credit "used on future purchases" is how credit is spent, not a recurrence (and, since
    # session 6, rewards spent in the shop are read as the store-credit method)
    ("Receive a $10 reward per friend; rewards can be spent on future shop purchases.",
     {"model": "flat", "flat": [10.0, 10.0], "currency": "USD", "payout_type": "cpa", "methods": ["store_credit"]}),
    # --- recurring false ----------------------------------------------------------------------------------
    ("Partners are paid commission for the first order placed by each new buyer.", {"recurring": False}),
    # look-alike: the first order and every renewal is recurring
    ("Partners earn 12% commission for the first order and every renewal.", REV12),
    ("Referrers receive a 1-time payment once the client stays active for 30 days.", {"recurring": False}),
    ("Recurring tea club boxes ordered through the portal are non-commissionable.", {"recurring": False}),
    # --- months cap: consecutive months ---------------------------------------------------------------
    ("Earn 12% of billings for 24 consecutive months.", {**REV12, "recurring_months": 24}),
    # look-alike: consecutive months of an account's inactivity cap nothing
    ("Earn 12% per sale. Accounts inactive for 24 consecutive months are closed.", CPS12),
    # a period of days caps the referred customer's purchases that earn
    ("Earn 12% of each purchase a referral makes for a set period of 90 days.", {**REV12, "recurring_months": 3}),
    # look-alike: a cookie's period of days is the attribution window
    ("Earn 12% per sale. Cookies last for a period of 90 days.", {**CPS12, "cookie_days": 90.0}),
    # --- worked figures restated from the rate ----------------------------------------------------------
    ("Earn 12% of each plan. That works out to $30 per yearly plan.", CPS12),
    ("Earn 12% of every payment. I.e. you will get $3 per month per subscriber.", REV12),
    # look-alikes: a flat amount stated on its own is the commission; "i.e." inside the rate's sentence keeps the rate
    ("Earn $30 per sale.", {"model": "flat", "flat": [30.0, 30.0], "currency": "USD", "payout_type": "cps"}),
    ("Earn 12% of every payment, i.e. a share of each renewal.", REV12),
    # --- restrictions -------------------------------------------------------------------------------------
    ("Sites will not be approved if they feature pornography.", {"restrictions": ["no-adult"]}),
    # look-alike: no rejection cue, no restriction
    ("Our blog post explains why pornography filters matter.", {}),
    ("Spamming our customers is unacceptable.", {"restrictions": ["no-spam"]}),
    ("Forbidden Traffic | Pop-unders | Native Ads", {"restrictions": ["no-pop", "no-native"]}),
    # look-alike: an allowed-media cell heads an allowed list
    ("Allowed Traffic | Pop-unders | Native Ads", {}),
    ("Prohibited: coupon misuse and brand bidding.", {"restrictions": ["no-brand-bidding"]}),
    # look-alike: coupon sites themselves, prohibited
    ("Prohibited: coupon sites and brand bidding.", {"restrictions": ["no-coupon", "no-brand-bidding"]}),
    ("We do not accept spam or content locking traffic.", {"restrictions": ["no-spam"]}),
    # --- payout methods -------------------------------------------------------------------------------------
    ("Payouts are sent to your bank account with Zelle.", {"methods": ["zelle"]}),
    # look-alike: a bank account alone is a bank payment
    ("Payouts are sent to your bank account.", {"methods": ["bank"]}),
    ("Paxum – 2 days | Wire – 5 working days", {"methods": ["paxum", "wire"]}),
    # look-alike: no payment processor, no payment word: a wire is no method
    ("Wire – 5 working days", {}),
    ("We pay via Faster Payments.", {"methods": ["bank"]}),
    ("Rewards are given in the form of a cheque.", {"methods": ["check"]}),
    ("Earnings are added to your wallet balance for future orders.", {"methods": ["store_credit"]}),
    ("Commissions go to your PayPal or to your Acme credit.",
     {"methods": ["paypal", "store_credit"]}),
    # look-alike: a credit card is no store credit
    ("Commissions go to your PayPal; customers pay by credit card.", {"methods": ["paypal"]}),
    # --- payout threshold: an amount that names a threshold ---------------------------------------------------
    ("Payments go out once the $40 payout threshold is met.",
     {"payout_minimum": 40.0, "payout_currency": "USD"}),
    ("We pay monthly; the minimum commission we pay each month is $40.",
     {"payout_minimum": 40.0, "payout_currency": "USD", "frequency": "monthly"}),
    # look-alike: a per-sale commission floor stays a commission
    ("Earn a minimum $5 commission per sale.",
     {"model": "flat", "flat": [5.0, 5.0], "currency": "USD", "payout_type": "cps"}),
    # --- percent cues -------------------------------------------------------------------------------------------
    ("Partners will make 12% from every booking.", CPS12),
    ("We transfer 12% of the contract value to your account.", CPS12),
    # look-alike: a conversion figure is no commission
    ("Partners see a 12% conversion rate on average.", {}),
    # --- tiers: a count band beside a rate, or a rate that grows with volume ------------------------------
    ("Tier | Referrals | Rate | Starter | 1–9 | 12% | Pro | 10+ | 20%",
     {"model": "percent", "percent": [12.0, 20.0], "tiers": [12.0, 20.0], "payout_type": "cps"}),
    ("Earn 12% to start; your rate increases to 20% as you refer more buyers.",
     {"model": "percent", "percent": [12.0, 20.0], "tiers": [12.0, 20.0], "payout_type": "cps"}),
    # look-alike: two rates for two product kinds are no tiers
    ("Earn 12% on shoes and 20% on bags.", {"model": "percent", "percent": [12.0, 20.0], "payout_type": "cps"}),
]


@pytest.mark.parametrize("text,expected", CASES, ids=[c[0][:60] for c in CASES])
def test_round7_rule(text, expected):
    assert_states_exactly(text, expected)

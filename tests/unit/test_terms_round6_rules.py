"""Rules added after the round-6 set: restriction types, recurring polarity, payout threshold and
schedule phrasings, rate floors.

Every phrasing here was written for this test (none is a corpus quote). Each case lists every field
the text states, so a rule that fires too widely (a value for an unstated field) fails as well; the
look-alike beside a rule is the reading it must leave alone.
"""

from __future__ import annotations

import pytest

from matrix.normalize.terms import extract_terms
from tests.support.terms_cases import assert_states_exactly

CPS12 = {"model": "percent", "percent": [12.0, 12.0], "payout_type": "cps"}
REV12 = {"model": "percent", "percent": [12.0, 12.0], "recurring": True, "payout_type": "revshare"}

CASES = [
    # --- restrictions: search named only as the channel of brand bidding is brand bidding -----------
    ("Running Google Ads on our brand keywords is not allowed.", {"restrictions": ["no-brand-bidding"]}),
    ("Search ads that target Acme's keywords are prohibited.", {"restrictions": ["no-brand-bidding"]}),
    ("Partners must not bid on any Acme related keywords in paid search.", {"restrictions": ["no-brand-bidding"]}),
    # look-alike: brand and generic search as two items of one list bans both
    ("Prohibited: SEM - brand keywords | SEM - generic keywords",
     {"restrictions": ["no-search", "no-brand-bidding"]}),
    ("PPC is prohibited. Bidding on brand terms is prohibited too.",
     {"restrictions": ["no-search", "no-brand-bidding"]}),
    # --- restrictions: ordinary names and negators -------------------------------------------------
    ("You can not use pay per click advertising to send visitors to us.", {"restrictions": ["no-search"]}),
    ("We do not permit parasite software of any kind.", {"restrictions": ["no-toolbar"]}),
    ("We don't tolerate motivated traffic.", {"restrictions": ["no-incent"]}),
    ("Traffic: display | Restriction: incentivized clicks", {"restrictions": ["no-incent"]}),
    # spam and misleading claims, with a sanction anywhere, are forbidden
    ("Accounts may be terminated for these reasons. Spamming newsgroups.", {"restrictions": ["no-spam"]}),
    ("Your membership is cancelled if you publish misleading claims.", {"restrictions": ["no-misleading"]}),
    # look-alike: no sanction named, no restriction read
    ("Check your spam folder for our welcome email.", {}),
    # --- recurring polarity ---------------------------------------------------------------------------
    ("Earn 12% per sale. We do not offer recurring commissions.", {**CPS12, "recurring": False}),
    ("Earn 12% per sale. Renewals are not eligible for commission.", {**CPS12, "recurring": False}),
    ("Earn 12% on the first order and 12% of future sales from that buyer.", {**REV12, "lifetime": True}),
    ("Earn 12% on a sale; if the buyer makes any further purchases you earn again.", {**REV12, "lifetime": True}),
    ("Your referrals stay linked to you for a lifetime, at 12% commission.", {**REV12, "lifetime": True}),
    ("You get 12% of the first invoice, and that includes the initial sale and every later one.",
     {**REV12}),
    ("You earn 12% of all payments made by the referred user.", REV12),
    ("You earn 12% on all orders the shopper places within 90 days of joining.",
     {**REV12, "recurring_months": 3}),
    ("You earn 12% on each payment within the first 24 months of the subscription.",
     {**REV12, "recurring_months": 24}),
    # look-alike: a purchase window of a month or less is the cookie, not a cap
    ("You earn 12% on any order placed within 30 days of the click.", {**CPS12, "cookie_days": 30.0}),
    ("Commissions apply only to the first order of each new buyer; earn 12% per sale.", {**CPS12, "recurring": False}),
    # look-alike: a plan length compared ("6 months or less") caps nothing
    ("We pay a one-time 12% commission. Plans paid for 6 months or less earn the same rate.",
     {**CPS12, "recurring": False}),
    # --- tiers: volume wording in the rates' clause or the one after it -------------------------------
    ("You will get between 12% and 20% of each sale. The more you refer, the more you earn.",
     {"model": "percent", "percent": [12.0, 20.0], "tiers": [12.0, 20.0], "payout_type": "cps"}),
    ("Our starting commission rate is 12%; higher volume partners earn 20%.",
     {"model": "percent", "percent": [12.0, 20.0], "tiers": [12.0, 20.0], "payout_type": "cps"}),
    # look-alike: two rates for two product kinds are no tiers
    ("You earn 12% on books and 20% on courses.",
     {"model": "percent", "percent": [12.0, 20.0], "payout_type": "cps"}),
    # --- methods ----------------------------------------------------------------------------------------
    ("Payouts go out by PayPal; we do not support paper checks.", {"methods": ["paypal"]}),
    ("Payouts can be requested as Amazon vouchers or by PayPal.",
     {"methods": ["gift_card", "paypal"], "frequency": "on-request"}),
    # --- payout threshold ------------------------------------------------------------------------------
    ("You choose your payment trigger; the default is $40.", {"payout_minimum": 40.0, "payout_currency": "USD"}),
    ("You receive your commissions each month once you have at least $30.",
     {"payout_minimum": 30.0, "payout_currency": "USD", "frequency": "monthly"}),
    ("A minimum of $15 is needed before withdrawing.", {"payout_minimum": 15.0, "payout_currency": "USD"}),
    # --- payout schedule ---------------------------------------------------------------------------------
    ("We send your earnings to PayPal on a monthly basis.", {"frequency": "monthly", "methods": ["paypal"]}),
    ("Payouts are processed once a quarter.", {"frequency": "quarterly"}),
    ("Commissions are paid after each financial quarter has closed.", {"frequency": "quarterly"}),
    ("Transfers are made every calendar month.", {"frequency": "monthly"}),
    ("We pay commissions one time per month.", {"frequency": "monthly"}),
    # look-alike: a monthly figure of the customer's trading is no schedule
    ("Payments grow with the client's average monthly turnover.", {}),
    # --- cookie: the link's life after a click or visit; a return window is no cookie -----------------
    ("The link remains active for 45 days after someone clicks on it.", {"cookie_days": 45.0}),
    ("We keep track of your referrals for up to 120 calendar days.", {"cookie_days": 120.0}),
    ("You earn a commission for up to 45 days after a visitor clicks your link.", {"cookie_days": 45.0}),
    ("Commissions clear after the 30-day return window.", {}),
    ("Return Days: 45 days", {"cookie_days": 45.0}),
    # --- money: commission ties and dollar codes -------------------------------------------------------
    ("For each referral we'll reward you with $75.",
     {"model": "flat", "flat": [75.0, 75.0], "currency": "USD", "payout_type": "cpa"}),
    ("The rate is $7 per sale.", {"model": "flat", "flat": [7.0, 7.0], "currency": "USD", "payout_type": "cps"}),
    ("Earn $7 AUD per sale.", {"model": "flat", "flat": [7.0, 7.0], "currency": "AUD", "payout_type": "cps"}),
    # look-alikes: the rate of something else is no commission
    ("The exchange rate is $1.35.", {}),
    ("The shipping rate is $5.", {}),
    # --- a rate floor has no stated maximum -----------------------------------------------------------
    ("Commissions start at 12% of sales.", {**CPS12, "percent": [12.0, None]}),
    ("12%+ commission on every order.", {**CPS12, "percent": [12.0, None]}),
    # look-alike: a floor with a stated top is a range (here a volume tier: "for top sellers")
    ("Commissions start at 12% and go up to 20% for top sellers.",
     {**CPS12, "percent": [12.0, 20.0], "tiers": [12.0, 20.0]}),
]


@pytest.mark.parametrize("text,expected", CASES, ids=[c[0][:60] for c in CASES])
def test_round6_rule(text, expected):
    assert_states_exactly(text, expected)


def test_a_floor_keeps_its_minimum_in_the_commission_model():
    c = extract_terms("Commissions start at 12% of sales.").to_commission()
    assert (c.percent_min, c.percent_max) == (12.0, None)

"""Session 4 rules for cookie, payout minimum, schedule, methods and restrictions (issue 11, items 1-2).

Each case is a short sentence written for this test (not a corpus quote) that states one phrasing the
rules must read the same way on pages nobody here has seen; `assert_states_exactly` also fails when a
rule fires on a field the sentence does not state. The negative cases pin what each rule must NOT read.
"""

from __future__ import annotations

import pytest

from matrix.normalize.terms import extract_terms
from tests.support.terms_cases import assert_states_exactly

CASES = [
    # --- restrictions: a directory field whose value is "No" ---------------------------------------
    ("Email Allowed | Yes | Trademark Bidding | No |", {"restrictions": ["no-brand-bidding"]}),
    ("SOCIAL ALLOWED Yes COUPON SITES ALLOWED No", {"restrictions": ["no-coupon"]}),
    # --- restrictions: a rejection sentence bans the material it names -------------------------------
    ("We may refuse any applicant whose site hosts pornography or gambling.", {"restrictions": ["no-adult"]}),
    ("We reserve the right to reject a partner if their pages show sexual, violent or hateful content.",
     {"restrictions": ["no-adult"]}),
    ("Commissions will be denied for methods such as posting on coupon portals.", {"restrictions": ["no-coupon"]}),
    # --- restrictions: a ban heading governs the numbered / elided items after it ------------------
    ("Partners are prohibited from: 2.1. Incentivising visitors with cash rewards.", {"restrictions": ["no-incent"]}),
    ("Your pages must not: ... Show nudity. ... Install toolbars on a visitor's machine.",
     {"restrictions": ["no-adult", "no-toolbar"]}),
    ("(4) Forbidden Practices: Sending bulk spam. Bidding on our brand keywords in search ads.",
     {"restrictions": ["no-spam", "no-brand-bidding"]}),
    # --- restrictions: brand-bidding phrasings, venues, misleading, list openers --------------------
    ("No brand or generic PPC is permitted on this offer.", {"restrictions": ["no-brand-bidding"]}),
    ("You may not buy search ads on keywords that contain our store name.", {"restrictions": ["no-brand-bidding"]}),
    ("Partners cannot bid on branded terms in Google Ads, Facebook Ads or other ad platforms.",
     {"restrictions": ["no-brand-bidding"]}),
    ("We do not tolerate spamming or fake testimonials.", {"restrictions": ["no-spam", "no-misleading"]}),
    ("Sites that will not be considered include those that sell weapons; sites that show porn.",
     {"restrictions": ["no-adult"]}),
    ("We do not allow spaming of any kind.", {"restrictions": ["no-spam"]}),
    # --- methods -------------------------------------------------------------------------------------
    ("Payouts come as shopping vouchers for our webshop or as a bank transfer.", {"methods": ["store_credit", "bank"]}),
    ("You earn referral credit that is deducted from your next invoice.", {"methods": ["store_credit"]}),
    ("You can receive your payment through PayPal or Acme Studio credits.", {"methods": ["paypal", "store_credit"]}),
    ("Rewards appear as a credit on your next billing cycle.", {"methods": ["store_credit"]}),
    ("Earnings are paid via PayPal, or via check to a registered charity.", {"methods": ["paypal", "check"]}),
    ("Expect quarterly commission checks.", {"frequency": "quarterly", "methods": ["check"]}),
    ("We send payouts by direct deposits.", {"methods": ["ach"]}),
    ("Each referral is rewarded with a Tango Card sent by email.", {"methods": ["gift_card"]}),
    # --- cookie --------------------------------------------------------------------------------------
    ("Share your link with readers. If a reader purchases within 45 days, the sale is yours.", {"cookie_days": 45.0}),
    ("After a visit through your link, anything they buy within a one year period counts.", {"cookie_days": 365.0}),
    ("Each person who opens your URL stays your visitor for 20 days.", {"cookie_days": 20.0}),
    ("La cookie reste active pendant 30 jours.", {"cookie_days": 30.0}),
    ("Las cookies duran 60 días.", {"cookie_days": 60.0}),
    ("Sales are tracked through a cookie. The assignment is valid for 14 days.", {"cookie_days": 14.0}),
    # --- payout minimum ------------------------------------------------------------------------------
    ("We only process payments in excess of $40.", {"payout_minimum": 40.0, "payout_currency": "USD"}),
    ("Fees are paid out only if the amount is more than RM 200.", {"payout_minimum": 200.0, "payout_currency": "MYR"}),
    ("The minimum balance you need to hold in your partner account before we can send a payment to you is $30.00.",
     {"payout_minimum": 30.0, "payout_currency": "USD"}),
    # --- frequency -----------------------------------------------------------------------------------
    ("Commissions are sent every thirty days.", {"frequency": "monthly"}),
    ("Affiliates are paid 10 days after the end of their billing month.", {"frequency": "monthly"}),
    ("Payouts are issued on Thursdays.", {"frequency": "weekly"}),
    ("We pay commissions upon your withdrawal request.", {"frequency": "on-request"}),
    ("Hit the \"Withdraw\" button and the money is sent to you.", {"frequency": "on-request"}),
    ("Commissions are credited at 04:00 UTC every day.", {"frequency": "daily"}),
    ("Every month you will receive the profits your referrals generate.", {"frequency": "monthly"}),
    # --- a directory row cut by an ellipsis, foreign units, a conversion deadline after the click ---
    ("Program Type | Affiliate … Partner Cookie Duration | 45 Days (typical).", {"cookie_days": 45.0}),
    ("Cookie 45 dní.", {"cookie_days": 45.0}),
    ("When someone clicks your link, they have 14 days to then create an account.", {"cookie_days": 14.0}),
    # --- more schedule, method and minimum phrasings -----------------------------------------------
    ("You must achieve $120 in commissions before requesting a payment.",
     {"payout_minimum": 120.0, "payout_currency": "USD", "frequency": "on-request"}),
    ("Payment options: Cheque and Electronic Transfer.", {"methods": ["check", "bank"]}),
    ("Paiements par virement bancaire.", {"methods": ["bank"]}),
    ("Our network sends you a check for your earnings.", {"methods": ["check"]}),
    ("Payouts are available as credit for future invoices or PayPal.", {"methods": ["store_credit", "paypal"]}),
    ("Les commissions sont versées le 5 de chaque mois.", {"frequency": "monthly"}),
    # --- restrictions: verdict cells, inline list items, venues, examples, other languages ----------
    ("Explicit Content | Not allowed (see terms).", {"restrictions": ["no-adult"]}),
    ("Paid search (Brand) Forbidden | PPC (no brand) Allow | Coupons Need approval", {"restrictions": ["no-brand-bidding"]}),
    ("Your website may not: - Break any law. - Contain nudity or pornography.", {"restrictions": ["no-adult"]}),
    ("We do not approve agreements with makers of toolbars.", {"restrictions": ["no-toolbar"]}),
    ("Il est strictement interdit d'utiliser la publicité payante (Google Ads).", {"restrictions": ["no-search"]}),
    ("You may use any keyword for PPC ads except for our brand name.", {"restrictions": ["no-brand-bidding"]}),
    ("Partners cannot bid on brand terms or variations (e.g. [Brand] Coupons, [Brand] Reviews).",
     {"restrictions": ["no-brand-bidding"]}),
    ("We do not allow brand SEM bidding. We do not allow pay-per-click traffic.",
     {"restrictions": ["no-brand-bidding", "no-search"]}),
    ("We ban spam, such as texting or emailing people without consent.", {"restrictions": ["no-spam"]}),
]

NOT_STATED = [
    # a ban's negation, approval on request, material words
    ("Email marketing | Needs approval | Coupon sites | Yes", "restrictions"),
    ("Content is reviewed by our SEO team before launch.", "restrictions"),
    ("We reserve the right to reject applications; social media promotion is welcome.", "restrictions"),
    # a credit balance that is the affiliate's cash earnings is not store credit
    ("To qualify for affiliate credits, referred customers must buy once.", "methods"),
    # durations that are not an attribution window
    ("Someone may buy a year later and you still earn.", "cookie_days"),
    ("You only earn if they upgrade within 30 days from when they created their account via your link.", "cookie_days"),
    ("After you click withdraw we send your earnings within 24 hours.", "cookie_days"),
    # amounts that are not a payout minimum
    ("Any product under $500 earns 5% and any product over $500 earns 8% commission.", "payout_minimum"),
    ("Referred buyers need a minimum purchase of $75 before commission payouts apply.", "payout_minimum"),
    ("Level one needs $80 in monthly referral value; payouts follow.", "payout_minimum"),
    # schedules that are not the payout schedule
    ("You can track your earnings daily; commissions are paid each month.", "frequency-daily"),
    ("Monthly payment threshold: partners need $100 in commissions to qualify.", "frequency"),
    ("You earn a residual monthly commission on every subscription.", "frequency"),
    ("Payout rates are subject to weekly review.", "frequency"),
    ("Commissions are paid on the yearly theme membership.", "frequency"),
    ("Any bank fee is paid by the affiliate.", "methods"),
]


def test_a_bare_duration_cell_beside_a_commission_is_the_cookie():
    terms = extract_terms("25% commission | 60 days | PayPal").as_dict()
    assert terms["cookie_days"] == 60.0 and terms["methods"] == ["paypal"]
    assert extract_terms("Support hours | 60 days | PayPal").as_dict()["cookie_days"] is None


def test_a_cookie_cue_beats_a_window_read_from_wording_alone():
    text = ("Earn on payments made within the first 6 months when the buyer arrives through your link. "
            "This is backed by a 45-day cookie.")
    assert extract_terms(text).cookie_days.value == 45.0


@pytest.mark.parametrize("text,expected", CASES, ids=[c[0][:48] for c in CASES])
def test_states(text, expected):
    assert_states_exactly(text, expected)


@pytest.mark.parametrize("text,field", NOT_STATED, ids=[c[0][:48] for c in NOT_STATED])
def test_does_not_state(text, field):
    got = extract_terms(text).as_dict()
    if field == "frequency-daily":
        assert got["frequency"] != "daily"
    else:
        assert got[field] is None


def test_spans_point_at_the_words_read():
    text = "Trademark Bidding | No | Payouts only above RM 150."
    terms = extract_terms(text)
    assert [r.quote(text) for r in terms.restrictions] == ["Trademark Bidding"]
    assert terms.payout_minimum is not None and terms.payout_minimum.quote(text).endswith("150")

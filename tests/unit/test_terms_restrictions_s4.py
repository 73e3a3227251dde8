"""Session 4 rules for forbidden traffic (how real terms pages frame a ban) and payout methods (issue 11, items 1-2).

Each case is a short sentence written for this test (not a corpus quote). It states one STRUCTURE by which
pages forbid traffic (ban headings and their items, verdicts after a label, FAQ answers, blanket permissions
with exceptions, conditional bans, ...) in words of our own, so the rule must hold on pages nobody here has
seen. `assert_states_exactly` also fails when a rule fires on a field the sentence does not state; the
look-alike cases pin what each rule must NOT read.
"""

from __future__ import annotations

import pytest

from matrix.normalize.terms import extract_terms
from tests.support.terms_cases import assert_states_exactly


def _r(*types: str) -> dict:
    return {"restrictions": list(types)}


CASES = [
    # --- a ban heading and its items: inline, on their own lines, after a dash ----------------------
    ("Please do not: Run ads on keywords that contain our trademarks. Send unsolicited messages that are spam.",
     _r("no-brand-bidding", "no-spam")),
    ("Promotion methods not allowed:\n- Email\n- Pop-ups\n- Toolbars", _r("no-email", "no-pop", "no-toolbar")),
    ("PROHIBITED TRAFFIC\nAdult\nIncentivized\nSpam", _r("no-adult", "no-incent", "no-spam")),
    ("Permitted:\n- Blogs\n- Social media\nNot permitted:\n- Pop-unders", _r("no-pop")),
    ("Placements to keep away from - Porn, Hate speech.", _r("no-adult")),
    ("Unacceptable traffic: incentive, adware, pop-unders.", _r("no-incent", "no-toolbar", "no-pop")),
    # --- a ban, then its examples in the next sentence -----------------------------------------------
    ("You may not buy paid traffic of any kind. This includes: Google Ads (Search, Display); TikTok Ads.",
     _r("no-search", "no-display", "no-social")),
    # --- an opening "No" negates its whole list, up to a verdict that would otherwise read as allowed ------
    ("No spam, or any kind of email marketing is allowed.", _r("no-spam", "no-email")),
    ("No brand names, TM+ terms or direct linking.", _r("no-brand-bidding")),
    # --- verdicts after the type: elliptical, exclusion, violation, reversal, result ------------------
    ("Social ads are fine. Trademark bidding is not.", _r("no-brand-bidding")),
    ("Loyalty and reward sites are excluded from the programme.", _r("no-incent")),
    ("Advertising on adult sites is a breach of this agreement.", _r("no-adult")),
    ("Sales from cashback traffic will be reversed.", _r("no-incent")),
    ("Pop traffic results in immediate termination.", _r("no-pop")),
    ("Pop-unders or redirects are never allowed.", _r("no-pop")),
    ("Browser add-ons that overwrite cookies are strictly prohibited.", _r("no-toolbar")),
    ("Shopping apps and coupon extensions will be denied.", _r("no-toolbar")),
    # --- a title answered by a sanction; an FAQ question answered "No" --------------------------------
    ("Offering Cashback. We will void your commissions and close the account.", _r("no-incent")),
    ("Will I earn commission on coupon site sales? No.", _r("no-coupon")),
    ("Is push traffic allowed? No, sorry.", _r("no-push")),
    # --- a blanket permission with exceptions; ineligible sites ------------------------------------
    ("We accept all traffic sources except cashback sites.", _r("no-incent")),
    ("Everyone is welcome to join, except for owners of adult websites.", _r("no-adult")),
    ("Unsuitable sites include sites that: promote pornography; are a banner farm.", _r("no-adult")),
    # --- enumerated practice definitions; a bad practice opening a numbered item ----------------------
    ("c. Trademark Bidding - Buying ads on our brand name. d. Coupon Sites - Posting codes on deal portals.",
     _r("no-brand-bidding", "no-coupon")),
    ("2.4. Using spam of any kind to share links.", _r("no-spam")),
    # --- agreement and refrain verbs ----------------------------------------------------------------
    ("Partners agree not to promote pornography; gambling; or software such as toolbars.",
     _r("no-adult", "no-toolbar")),
    ("Please refrain from bidding on our brand terms.", _r("no-brand-bidding")),
    ("Affiliates will lose their commissions for using cashback offers.", _r("no-incent")),
    # --- a directory grid with check marks ------------------------------------------------------------
    ("Traffic type | Allowed\nEmail | ✓\nPop-under | ✗\nIncentive | ✗", _r("no-pop", "no-incent")),
    ("Paid search. Not allowed", _r("no-search")),
    ("Brand bidding | Allowed: No | Coupon sites | Allowed: Yes", _r("no-brand-bidding")),
    # --- an item's own verdict inside a restricted list wins over the list's label ----------------------
    ("Restricted traffic: Incentivized (no), Email (yes with approval), Social (yes)", _r("no-incent")),
    ("Partners using native ads or push traffic will be terminated.", _r("no-native", "no-push")),
    # --- a closed aside spares only its own item ------------------------------------------------------
    ("Violations include: incentive traffic (unless agreed in advance), toolbars, adult sites.",
     _r("no-toolbar", "no-adult")),
    # --- spam and misleading claims are banned wherever they are named, in any language ----------------
    ("Hindari klaim palsu atau spam.", _r("no-misleading", "no-spam")),
    ("Irreführende Werbung und Spam sind nicht erlaubt.", _r("no-misleading", "no-spam")),
    ("Спам запрещён.", _r("no-spam")),
    # --- a channel given as an example of spam is part of the spam ban --------------------------------
    ("Spam is prohibited, including sending emails to purchased contact lists.", _r("no-spam")),
    # --- keywords and quoted names: brand bidding, not coupon sites -------------------------------------
    ('You may not use "AcmeShop" or "Acme Shop" in paid search.', _r("no-brand-bidding")),
    ("Do not bid on coupon/voucher keywords or our brand terms.", _r("no-brand-bidding")),
    ("Publishing your link on promo code platforms is forbidden.", _r("no-coupon")),
    ("Ads on Google using any keyword containing our name are not permitted.", _r("no-brand-bidding")),
]

LOOK_ALIKES = [
    # a channel banned only "without approval / consent" is allowed on request (brand bidding stays banned)
    ("Affiliates must not run coupon sites without our written approval.", {}),
    ("Do not send SMS without the recipient's consent.", _r("no-spam")),     # a consent rule: spam, not SMS (s5)
    ("Do not bid on our brand keywords without prior permission.", _r("no-brand-bidding")),
    ("No coupon sites, and no email without consent.", _r("no-coupon", "no-spam")),     # the condition is the email item's only
    # the merchant's own channels, other owners' marks, mailbox folders, needs
    ("You will not be paid for photos used on the company's social media pages.", {}),
    ("Do not use third-party trademarks in your ads.", {}),
    ("If the email does not arrive, check your spam folder.", {}),
    ("Setup takes a minute, no forms or pop-ups required.", {}),
    # spam in a channel bans spam, not the channel
    ("Blog/forum spamming is prohibited.", _r("no-spam")),
    # a question about the merchant, not leave to use a channel; "No problem" is no ban
    ("Do you offer coupon codes? No, not at the moment.", {}),
    ("Can I promote on TikTok? No problem, social is welcome.", {}),
    # a numbered definition list under a permission heading
    ("Allowed methods: a. Content Sites - Writing reviews on your blog.", {}),
    # a dash bullet after a finished ban sentence heads nothing
    ("- Copying our images is prohibited. - All emails must go to opt-in lists.", {}),
]


# payout methods: a coin as the unit of an amount, a processor's fee, a bank named in a note are no method
METHOD_CASES = [
    # (the coin is no method; the amount is the payout minimum, its currency unknown: session 5, as labelled in r5105)
    ("Withdrawals are processed once you reach a 50 USDT minimum.", {"payout_minimum": 50.0}),
    ("Payout currency: USDC", {}),
    ("You earn 0.2% of the USDC trade value of every referred order.",
     {"model": "percent", "percent": [0.2, 0.2], "payout_type": "cps"}),
    ("Payouts are sent via Binance Pay or bank transfer.", {"methods": ["crypto", "bank"]}),
    ("Payouts are sent in USDT to your wallet.", {"methods": ["crypto"]}),
    ("We pay by wire transfer; fees of an intermediary bank may apply.", {"methods": ["wire"]}),
    ("You keep the sale price, minus PayPal fees.", {}),
    ("Payouts are made via PayPal or Stripe.", {"methods": ["paypal", "stripe"]}),
]


@pytest.mark.parametrize("text,expected", METHOD_CASES, ids=[c[0][:50] for c in METHOD_CASES])
def test_payout_method_is_a_way_of_getting_paid(text, expected):
    assert_states_exactly(text, expected)


@pytest.mark.parametrize("text,expected", CASES + LOOK_ALIKES, ids=[c[0][:50] for c in CASES + LOOK_ALIKES])
def test_restriction_structure(text, expected):
    assert_states_exactly(text, expected)


def test_restriction_spans_point_at_the_named_type():
    text = "We accept all traffic sources except cashback sites."
    (found,) = extract_terms(text).restrictions
    assert found.value == "no-incent" and text[found.span[0]:found.span[1]].lower() == "cashback"

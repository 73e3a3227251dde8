"""Session 11 rules for forbidden traffic and payout methods (issue 11): general phrasings of a ban or of a way of
being paid, each pinned by short sentences written for this test (not corpus quotes), with the look-alikes each rule
must NOT read."""

from __future__ import annotations

import pytest

from matrix.normalize.terms import extract_terms


def _restrictions(text: str) -> set[str]:
    return {f.value for f in extract_terms(text).restrictions}


def _methods(text: str) -> set[str]:
    return {f.value for f in extract_terms(text).methods}


RESTRICTED = [
    # --- brand bidding: the brand glued to "-branded", a word mark, brand searches, a name used "as a keyword" --------
    ("Affiliates must not bid on any Zenko-branded keywords.", {"no-brand-bidding"}),
    ("Partners may not bid on Lumora-branded search terms.", {"no-brand-bidding"}),
    ("Affiliates must not bid on the word mark 'Zenko'.", {"no-brand-bidding"}),
    ("Publishers may not bid or appear on brand searches.", {"no-brand-bidding"}),
    ("Affiliates may not purchase Zenko or any misspelling of Zenko as a keyword.", {"no-brand-bidding"}),
    ("Keine Nutzung des Markennamens als Keyword.", {"no-brand-bidding"}),
    ("Brand in URL or ad copy is prohibited.", {"no-brand-bidding"}),
    ("Media Buying - Search Brand KWs - Not Allowed", {"no-brand-bidding"}),
    # an adverb between the negator and the verb
    ("Affiliates must not directly or indirectly bid on the word mark of the company.", {"no-brand-bidding"}),
    # --- keywords the merchant reserves ------------------------------------------------------------------------------
    ("Protected keywords: Zenko, Zenko Shoes, zenko.com", {"no-brand-bidding"}),
    ("Search campaigns - Protected SEM Bidding Keywords: Zenko", {"no-brand-bidding"}),
    ("Affiliates are prohibited from bidding on the following keywords in paid search: Zenko, Zenko Shoes.",
     {"no-brand-bidding"}),
    ("The following keywords cannot be used in any paid search campaign: Zenko, Zenko Shoes.", {"no-brand-bidding"}),
    # --- a brand named as an example of a wider search ban widens it: search stays banned, brand bidding too -----------
    ("No PPC activity of any kind is allowed, including brand and generic keywords.",
     {"no-search", "no-brand-bidding"}),
    ("PPC is not permitted (including brand or non-brand terms).", {"no-search", "no-brand-bidding"}),
    # --- the examples listed right after a banned type are banned with it ---------------------------------------------
    ("Incentivised traffic is not allowed, such as cashback sites.", {"no-incent"}),
    ("We do not accept paid traffic, including pop-ups and toolbars.", {"no-pop", "no-toolbar"}),
    # --- headings that end in an ellipsis or open an elided list ------------------------------------------------------
    ("It is prohibited to... • Use pop-ups • Send spam", {"no-pop", "no-spam"}),
    ("Affiliates may not: ... use pop-unders; ... send spam;", {"no-pop", "no-spam"}),
    # --- a creative used as another type: the way it is used is what is banned -----------------------------------------
    ("Affiliates may not: ... use banners as pop-ups or pop-unders; ... send spam;", {"no-pop", "no-spam"}),
    # --- the commission passed on to the buyer is incentive traffic ---------------------------------------------------
    ("Affiliates must not share their commission with customers.", {"no-incent"}),
    ("Rebating your commission to customers is not allowed.", {"no-incent"}),
    ("Passing on commission to the buyer is forbidden.", {"no-incent"}),
    ("Die Weitergabe von Provisionen an Kunden ist nicht gestattet.", {"no-incent"}),
    # --- deceiving and impersonating are misleading -------------------------------------------------------------------
    ("Affiliates must not deceive consumers.", {"no-misleading"}),
    ("Do not impersonate Zenko in your ads.", {"no-misleading"}),
    ("Never claim to be the official Zenko store.", {"no-misleading"}),
    # --- instructions to avoid; "we don't allow / work with"; a right to reject sites ------------------------------------
    ("We ask that you avoid bidding on Zenko-branded keywords.", {"no-brand-bidding"}),
    ("The only things we don't allow are brand bidding, coupon sites, and incentivized traffic.",
     {"no-brand-bidding", "no-coupon", "no-incent"}),
    ("We reserve the right to reject sites with adult content or incentivized traffic.", {"no-adult", "no-incent"}),
    # --- spam glued to its channel, code sites coordinated with another site kind ---------------------------------------
    ("No mass-spam campaigns.", {"no-spam"}),
    ("We do not work with discount code or cashback websites.", {"no-coupon", "no-incent"}),
]


@pytest.mark.parametrize("text,expected", RESTRICTED)
def test_new_ban_phrasings(text: str, expected: set[str]) -> None:
    assert _restrictions(text) == expected


NOT_RESTRICTED = [
    # a negative keyword is not a bid
    ("Please add Zenko as a negative keyword to all campaigns.", set()),
    # "especially on branded terms" names the worst case of a search ban, not a second ban
    ("No search engine ads on Bing or Google (especially on branded terms).", {"no-search"}),
    # a brand search ban that is not an example of a wider one stays brand bidding alone
    ("No PPC on our brand terms is permitted.", {"no-brand-bidding"}),
    # a search ban naming only generic keywords as allowed keeps brand bidding alone
    ("No bidding on our brand. Generic keywords only.", {"no-brand-bidding"}),
    # examples of a ban stop at an exception or a permission
    ("Email is not allowed, including newsletters, but social media is fine.", {"no-email"}),
    # organic search and search results are not search ads
    ("Codes found through organic search will be disqualified.", set()),
    ("Do not show a substituted search engine results page.", set()),
    # "display" as a verb is not display advertising
    ("Please do not display offers that are not accurate.", set()),
    ("Your website must not display or sell advertising that breaks the law.", set()),
    ("No email or display.", {"no-email", "no-display"}),
    # rules about a practice are not a ban of it
    ("Commission is not paid if the affiliate breaches PPC, content, or brand bidding rules.", set()),
    # infringing someone's trademarks is an IP rule, not brand bidding
    ("Traffic from sites that infringe upon copyrights or trademarks is strictly prohibited.", set()),
    # a commission rebate is the affiliate's own commission, not an incentive to the buyer
    ("We do not allow users to bid on brand; doing so sets your commission rebate to zero.", {"no-brand-bidding"}),
    # a brand ban followed by a list of other bans: the later items are bans of their own, not the bid's venue
    ("We don't allow trademark bidding on paid search, fake coupon sites, and incentivized traffic.",
     {"no-brand-bidding", "no-incent"}),
    # permissions stay permissions
    ("You may promote through PPC, email and social media.", set()),
    ("Cashback sites are welcome.", set()),
    ("We will not be able to share commission details with customers.", set()),
    ("We are not liable for any deception by third parties.", set()),
]


@pytest.mark.parametrize("text,expected", NOT_RESTRICTED)
def test_look_alikes_and_guards(text: str, expected: set[str]) -> None:
    assert _restrictions(text) == expected


METHODS = [
    # earnings spent on the program's own services are store credit
    ("Referral balance can be used to buy services on our site.", {"store_credit"}),
    ("Payouts go out via PayPal. Alternatively, you may apply credit toward your own membership.",
     {"paypal", "store_credit"}),
    ("You can use your commission to offset the cost of your own hosting plan.", {"store_credit"}),
    ("Earnings are paid via PayPal or can be used as credit toward your subscription.", {"paypal", "store_credit"}),
    ("We pay out via PayPal or in the form of Zenko Credit.", {"paypal", "store_credit"}),
    # how a customer pays is not a payout method
    ("I accept the following forms of payment: PayPal, Visa/MasterCard/American Express.", set()),
    ("Customers can pay with PayPal, Apple Pay or card.", set()),
    ("We accept payments by PayPal and credit card.", set()),
]


@pytest.mark.parametrize("text,expected", METHODS)
def test_method_phrasings(text: str, expected: set[str]) -> None:
    assert _methods(text) == expected


METHOD_GUARDS = [
    # a payout to a prepaid card or a debit card is still a payout; cards beside payout words do not drop it
    ("Commissions are paid out as a prepaid Visa card.", {"gift_card"}),
    ("Commissions are paid via a prepaid Visa card, and customers can pay by Visa.", {"gift_card"}),
    ("We pay affiliate commissions via PayPal; customers may pay by Visa or MasterCard.", {"paypal"}),
    ("Commission balance cannot be used to pay for services; it is paid via PayPal.", {"paypal"}),
]


@pytest.mark.parametrize("text,expected", METHOD_GUARDS)
def test_method_guards(text: str, expected: set[str]) -> None:
    assert _methods(text) == expected

"""Session 13: restrictions (brand bids on quoted names, brand-related keywords, brand-based ads, mailers, misleading
endorsement and lies, places of spam, grounds of discrimination, banner exchanges, codes used without approval) and
store-credit phrasings of the payout method.

The sentences below are written for these tests (not copied from the corpus); each rule has its guards beside it.
"""

from __future__ import annotations

import pytest

from matrix.normalize.terms import extract_terms


def _r(text: str) -> list[str]:
    return extract_terms(text).as_dict()["restrictions"] or []


def _m(text: str) -> list[str]:
    return extract_terms(text).as_dict()["methods"] or []


# --- brand bidding ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "Search ads are fine on generic terms. No bidding on 'brightlamps', 'bright lamps' or misspellings of them.",
    "- Don't use any keywords related to the Brightlamp brand in paid advertising",
])
def test_bids_on_quoted_names_and_brand_related_keywords_are_brand_bidding(text: str) -> None:
    assert "no-brand-bidding" in _r(text)


def test_brand_based_contextual_ads_are_brand_bidding_only() -> None:
    r = _r("Spam, brand-based contextual advertising and incentivized traffic are prohibited.")
    assert "no-brand-bidding" in r and "no-contextual" not in r and {"no-spam", "no-incent"} <= set(r)


def test_contextual_ads_alone_stay_contextual() -> None:
    assert "no-contextual" in _r("Contextual advertising is prohibited.")


def test_a_coordination_of_two_site_kinds_bans_both() -> None:
    r = _r("We do not work with discount code or cashback websites.")
    assert {"no-coupon", "no-incent"} <= set(r)


# --- mailers and misleading claims ---------------------------------------------------------------------------------

def test_mailers_are_email() -> None:
    r = _r("Prohibited activities: Emailer & SMS activity is prohibited.")
    assert {"no-email", "no-sms"} <= set(r)


def test_mailers_without_a_ban_are_nothing() -> None:
    assert _r("We send emailers to our subscribers every week.") == []


@pytest.mark.parametrize("text", [
    "Affiliates must not run ads that suggest an official partnership or imply direct endorsement.",
    "Do not lie | Do not spam",
])
def test_false_endorsement_and_lies_are_misleading(text: str) -> None:
    assert "no-misleading" in _r(text)


def test_lie_as_a_verb_of_place_is_nothing() -> None:
    assert _r("The difference lies in the commission rate.") == []


# --- a type word that names a place or a ground, not a channel -------------------------------------------------------

def test_forums_and_blogs_as_places_of_spam_are_not_content_bans() -> None:
    r = _r("No spamming on forums or blogs.")
    assert r == ["no-spam"]


def test_blogs_banned_outright_stay_banned() -> None:
    assert "no-content" in _r("Blogs are not allowed to promote this offer.")


def test_sex_as_a_ground_of_discrimination_is_not_adult() -> None:
    assert "no-adult" not in _r("Prohibited: discrimination based on sex, race or religion.")


def test_adult_beside_age_restricted_content_stays_adult() -> None:
    assert "no-adult" in _r("You may not promote adult, age-restricted or violent content.")


def test_banner_exchanges_are_not_display_ads() -> None:
    r = _r("You MAY NOT use traffic from banner exchanges, click exchanges or pop-unders.")
    assert "no-display" not in r and "no-pop" in r


# --- codes used without approval -----------------------------------------------------------------------------------

def test_codes_not_approved_are_a_rule_on_codes_not_a_coupon_ban() -> None:
    assert "no-coupon" not in _r("Affiliates may not use voucher or discount codes not explicitly approved by us.")


def test_coupon_sites_banned_outright_stay_banned() -> None:
    assert "no-coupon" in _r("Coupon sites are not allowed.")


# --- store credit ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "Payment method | Bank transfer or credit to your subscription",
    "Referrer reward: $50 in hosting credits, added right after your friend subscribes.",
    "After the payment clears, you receive 10% of their spend as credit.",
    "Each time your friend tops up, we will credit your wallet with 5% of the amount.",
    "For each person you refer who upgrades, you get $15 in your Brightlamp account.",
])
def test_store_credit_phrasings(text: str) -> None:
    assert "store_credit" in _m(text)


@pytest.mark.parametrize("text", [
    "Payments are made once you reach $50 in affiliate credits. Payment is via PayPal.",
    "You get $15 in your PayPal account for every referral.",
])
def test_affiliate_credits_and_paypal_accounts_are_no_store_credit(text: str) -> None:
    assert "store_credit" not in _m(text)

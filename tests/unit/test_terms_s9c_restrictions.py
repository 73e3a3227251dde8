"""Session 9 (third wave), restrictions: general facts about how ordinary program pages and network merchant profiles
word their traffic rules, each pinned by sentences written for this file (not copied from any corpus):

* a conjunction between a search mention and a brand mention lists two bans ("PPC and brand bidding"); only a
  preposition scopes the search ban to the brand ("PPC on brand terms");
* "misspellings of <Name>" in a paid-search ban refers to the program's brand: the ban is on brand bidding;
* a quoted name used "in paid ads" / "in domain names or paid ads" is a bid on the brand;
* "purchased / rented email lists" is spam, not a ban of email marketing;
* "display domain", "display URL", "display name" are fields of an ad, not display advertising;
* "dishonest promotion / claims" is misleading promotion;
* "is not to be shared / posted on <a venue>" bans the venue;
* "no commission will be paid for <practice>" bans the practice;
* methods: the referrer's own "$10 off coupon" ("earns you", "you will receive your") and "credits which can be
  used to buy" in the shop pay in store credit; the friend's coupon is a customer discount, no payment method.
"""
import pytest

from matrix.normalize.terms import extract_terms
from matrix.normalize.text import extract_traffic


def _restrictions(text: str) -> list[str]:
    return extract_terms(text).as_dict()["restrictions"] or []


# --- search and brand: two bans or one ----------------------------------------------------------------------------------
@pytest.mark.parametrize("text", [
    "Pay-per-click advertising and trademark bidding are both strictly forbidden for partners.",
    "Search ads or brand keyword bidding will lead to removal from the programme.",
    "We do not allow PPC campaigns & brand bidding of any kind.",
])
def test_search_joined_to_brand_by_a_conjunction_is_a_second_ban(text):
    assert {"no-search", "no-brand-bidding"} <= set(_restrictions(text))


@pytest.mark.parametrize("text", [
    "PPC ads on brand terms are not allowed.",
    "Affiliates may not run search ads targeting brand keywords.",
])
def test_search_scoped_by_a_preposition_stays_a_brand_ban_only(text):
    assert _restrictions(text) == ["no-brand-bidding"]


def test_misspellings_of_the_name_scope_a_paid_search_ban_to_the_brand():
    text = ("Partners are not permitted to use Bloomly, misspellings of Bloomly or confusingly close words "
            "to run paid search campaigns.")
    assert _restrictions(text) == ["no-brand-bidding"]


@pytest.mark.parametrize("text", [
    'Never use "Harbor Lane" in paid ads.',
    'You may not use "Quillo" in domain names or paid ads without our written consent.',
])
def test_a_quoted_name_in_paid_ads_is_brand_bidding(text):
    assert "no-brand-bidding" in _restrictions(text)


# --- spam, display fields, misleading ------------------------------------------------------------------------------------
@pytest.mark.parametrize("text", [
    "Partners may not promote our offers through purchased email lists.",
    "Using rented mailing lists is forbidden.",
])
def test_bought_mail_lists_are_spam_not_email(text):
    got = _restrictions(text)
    assert "no-spam" in got and "no-email" not in got


def test_email_marketing_is_still_its_own_ban():
    assert "no-email" in _restrictions("Email marketing is not allowed on this programme.")


@pytest.mark.parametrize("field", ["display domain", "display URL", "display name"])
def test_an_ads_display_field_is_not_display_advertising(field):
    text = f"You must not show our company name as the {field} of any sponsored listing."
    assert "display" not in extract_traffic(text).forbidden
    assert "no-display" not in _restrictions(text)


def test_display_advertising_is_still_display():
    assert "no-display" in _restrictions("Display advertising is not allowed.")


def test_dishonest_promotion_is_misleading():
    assert "no-misleading" in _restrictions("No spam, no adult sites and no dishonest promotion of our products.")


# --- ban phrasings ---------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text", [
    "Your personal code is not to be shared on any public coupon website.",
    "This link is not to be posted on voucher sites.",
])
def test_not_to_be_shared_on_a_venue_bans_it(text):
    assert "no-coupon" in _restrictions(text)


def test_a_link_shared_on_social_media_by_choice_is_no_ban():
    assert "no-social" not in _restrictions("Your link can be shared on social media and in your newsletter.")


@pytest.mark.parametrize("text", [
    "No commissions will be paid for paid search activity on brand terms.",
    "No commission is paid on orders from brand bidding.",
])
def test_no_commission_paid_for_a_practice_bans_it(text):
    assert "no-brand-bidding" in _restrictions(text)


def test_no_commission_on_returns_bans_no_traffic():
    assert _restrictions("No commission will be paid for returned or cancelled orders.") == []


# --- methods (store credit) ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text", [
    "Every friend who places an order earns you a $15 off coupon.",
    "When your friend's first box arrives, you will receive your £5 off voucher.",
    "You collect credits which can be used to buy anything in our shop.",
])
def test_the_referrers_own_coupon_or_shop_credit_is_store_credit(text):
    assert extract_terms(text).as_dict()["methods"] == ["store_credit"]


def test_the_friends_coupon_is_no_payment_method():
    assert extract_terms("Your friend will receive a $10 off coupon on their first order.").as_dict()["methods"] is None

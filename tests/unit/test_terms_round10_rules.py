"""Rules added after round 10 became development data: each with our own phrasing and a look-alike
that the rule must leave alone (the phrasings are not quotes from any corpus)."""
from __future__ import annotations

import pytest

from matrix.normalize.terms import extract_terms


def _v(text: str, field: str):
    found = getattr(extract_terms(text), field)
    return found.value if found else None


def _names(text: str, field: str) -> list[str]:
    return [f.value for f in getattr(extract_terms(text), field)]


# --- cookie ----------------------------------------------------------------------------------

@pytest.mark.parametrize("text, days", [
    ("Affiliate links will stay valid for 45 days after the first click.", 45.0),
    ("Your tracking links shall remain active for ninety (90) days.", 90.0),
])
def test_a_link_that_will_remain_valid_states_the_window(text, days):
    assert _v(text, "cookie_days") == days


def test_a_link_sent_within_some_days_is_not_a_window():
    assert _v("Commission is held for fourteen (14) days before it is approved.", "cookie_days") is None


# --- payout minimum ----------------------------------------------------------------------------

def test_once_you_hit_an_amount_is_the_payout_minimum():
    t = extract_terms("Payments go out every month once you hit €40.")
    assert (t.payout_minimum.value, t.payout_currency.value) == (40.0, "EUR")


def test_once_you_hit_a_sales_count_is_not_a_payout_minimum():
    assert _v("Once you hit 100 sales you unlock a $50 bonus.", "payout_minimum") is None


def test_a_plural_balances_is_about_getting_paid():
    text = "Members may cash out when their balances reach 2000 points ($20). Payments are sent by PayPal."
    assert _v(text, "payout_minimum") == 20.0


def test_points_balances_without_an_amount_give_no_minimum():
    assert _v("Point balances reach 2000 points quickly for active members.", "payout_minimum") is None


# --- methods -----------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "We pay by paper check for every partner in the US.",
    "Commissions are paid through Venmo or a check that will be posted to your address.",
])
def test_a_mailed_or_paper_check_is_a_method(text):
    assert "check" in _names(text, "methods")


def test_we_check_is_a_verb_not_a_method():
    assert _names("Commissions are paid via PayPal. We check every order before payment.", "methods") == ["paypal"]


# --- restrictions --------------------------------------------------------------------------------

def test_ineligible_sites_listed_with_not_limited_to_are_prohibited():
    text = "Ineligible partners include, but are not limited to, coupon sites and toolbars."
    assert set(_names(text, "restrictions")) >= {"no-coupon", "no-toolbar"}


def test_an_ineligible_order_type_beside_welcome_coupons_bans_nothing():
    assert _names("Coupon sites are welcome. Ineligible orders include returns.", "restrictions") == []


def test_brand_bidding_before_a_search_word_is_brand_bidding():
    assert "no-brand-bidding" in _names("Prohibited: brand-bidding PPC campaigns.", "restrictions")


def test_brand_bidding_allowed_is_not_a_ban():
    assert "no-brand-bidding" not in _names("Brand-bidding PPC campaigns are allowed.", "restrictions")


def test_do_not_mislead_is_a_ban_on_misleading_claims():
    assert "no-misleading" in _names("Please do not mislead shoppers about prices.", "restrictions")


def test_mislead_without_a_ban_is_left_alone():
    assert _names("Our guide shows how shoppers can be misled by fake reviews.", "restrictions") == []


# --- recurrence --------------------------------------------------------------------------------

def test_a_one_time_money_commission_is_not_recurring():
    assert _v("You get a one time £15 commission for every new member.", "recurring") is False


def test_a_one_time_welcome_payment_says_nothing_about_recurrence():
    assert _v("One-time sign-up payment: $100. Commission: 10% per sale.", "recurring") is None


def test_commission_on_first_time_purchases_is_not_recurring():
    text = "Partners earn a 6% commission on the order subtotal of every qualifying first-time order."
    assert _v(text, "recurring") is False


def test_first_time_buyers_get_a_discount_is_not_a_recurrence_rule():
    assert _v("First-time orders get 10% off with your code.", "recurring") is None


def test_a_customer_permanently_linked_to_you_is_lifetime():
    t = extract_terms("After the first order, the shopper is permanently linked to your account.")
    assert (t.lifetime.value, t.recurring.value) == (True, True)


def test_something_permanently_linked_to_a_brand_is_not_lifetime():
    assert _v("Your banner is permanently linked to our brand page.", "lifetime") is None


# --- tiers -------------------------------------------------------------------------------------

def _tiers(text: str) -> list[float]:
    return [f.value for f in extract_terms(text).tiers]


def test_a_rate_that_rises_from_one_percent_to_another_is_two_tiers():
    assert _tiers("Your commission rises from 8% to 12% after your tenth referral.") == [8.0, 12.0]


def test_a_plain_percent_range_is_not_a_ladder():
    assert _tiers("Earn 8% to 12% commission depending on the product category.") == []


def test_a_starting_and_a_top_producer_commission_are_tiers():
    text = "Starting commission: 6% of each order. Top producers commission: 9% of each order."
    assert _tiers(text) == [6.0, 9.0]


def test_a_starting_price_is_not_a_tier():
    assert _tiers("Plans have a starting price of $20 and we pay 6% of each order.") == []


def test_how_long_a_referral_lasts_is_the_window():
    assert _v("Sales are credited to you: each referral for a shopper lasts 45 days.", "cookie_days") == 45.0


def test_how_long_a_referral_bonus_lasts_is_not_the_window():
    assert _v("The referral bonus lasts for 45 days.", "cookie_days") is None

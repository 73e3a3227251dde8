"""Session 9 (second wave), recurrence, payout schedule, payment methods and restrictions: general facts about how an
ordinary shop / SaaS affiliate page writes them, each pinned by sentences written for this file (not copied from any
corpus):

* recurrence: "renew your links" renews the affiliate's own things, not a customer's plan; a commission "applicable
  only to the first month's payment" is paid once; a span counted from when the affiliate sends the visitor is the
  attribution window; a cap said not to apply ("not over the first year") caps nothing; a share of "first-year
  <Plan Name> revenue" and "10% on sales for 90 days" cap the commission; "for Life Time Deals" names a product;
  "as long as the account stays" (the referred account) is a lifetime; a Chinese "最多12個月" (up to 12 months) caps it;
* schedule: "a monthly <Product Name> subscription" and "the referee's subscription payment each month" are the
  customer's billing; "cookies expire every 30 days" is no payday; "the 3rd week after the month" is a monthly one;
* methods: "a referral check", "commission payment checks" are cheques; "use as credit" beside cash methods and a
  credit "to pay for your own hosting fees" are store credit; "$50 in credits in your affiliate account" is the
  affiliate's balance, not store credit;
* payout minimum: "you receive a check when the commission total has reached $10" is a threshold;
* restrictions: "steer clear of", "prohibitions on" ban what follows; a partner-requirement item opening with "Aren't"
  bans its types; the exception of a banned item ("other than those banners we approve") is not banned; "confuse
  consumers" is misleading.
"""
import pytest

from matrix.normalize.terms import extract_terms


def _get(text: str) -> dict:
    return extract_terms(text).as_dict()


# --- recurrence --------------------------------------------------------------------------------------------------------
def test_renewing_your_own_links_is_no_recurring_commission():
    d = _get("We pay 10% per order. Our tracking links go stale, so renew your banners now and then to keep them fresh.")
    assert d["recurring"] is None
    assert _get("We pay 10% per order and again whenever the customer renews their plan.")["recurring"] is True


def test_commission_applicable_only_to_the_first_month_is_one_time():
    d = _get("Partners receive 25% of the subscription, applicable only to the first month's payment of each customer.")
    assert d["recurring"] is False


def test_span_counted_from_sending_the_visitor_is_no_cap():
    d = _get("Our long cookies mean you get 8% of any order a visitor places for up to one year from when you send them.")
    assert d["recurring_months"] is None and d["recurring"] is None


def test_cap_said_not_to_apply_caps_nothing():
    d = _get("Earn 20% on the first order only, not over the first year as on other sites.")
    assert d["recurring_months"] is None
    assert d["recurring"] is False


@pytest.mark.parametrize("text, months", [
    ("Members earn 15% of first-year Business Suite revenue for each customer they bring.", 12),
    ("Our partners get 12% on sales for 60 days for every shopper they refer.", 2),
])
def test_stated_spans_cap_the_commission(text, months):
    d = _get(text)
    assert d["recurring"] is True and d["recurring_months"] == months


def test_a_sales_span_tied_to_the_cookie_is_no_cap():
    assert _get("You get 12% on sales for 60 days thanks to our long cookie.")["recurring_months"] is None


def test_life_time_deals_are_a_product_not_a_lifetime():
    d = _get("You earn 25% recurring on monthly plans. For Life Time Deals you get a flat 15% commission.")
    assert d["lifetime"] is None
    assert _get("We pay 25% of every payment for life.")["lifetime"] is True


def test_as_long_as_the_account_stays_is_a_lifetime_but_your_account_is_not():
    assert _get("Recurring 20% commission for as long as the account stays with us.")["lifetime"] is True
    assert _get("Commissions of 20% are paid as long as your affiliate account is active.")["lifetime"] is None


def test_traditional_chinese_months_cap():
    d = _get("月度方案 推薦夥伴可獲得最多12個月高達30%的傭金。")
    assert d["recurring"] is True and d["recurring_months"] == 12


# --- payout schedule -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text", [
    "You'll earn back your monthly Green Garden Box subscription when a friend joins. Payouts go out by PayPal.",
    "Tutors earn 12% of the referee's subscription payment each month. We pay via PayPal.",
    "Please note that cookies expire every 30 days, so commissions are only paid on orders made within that time.",
])
def test_billing_and_cookie_periods_are_no_payout_schedule(text):
    assert _get(text)["frequency"] is None


def test_week_after_the_month_is_a_monthly_schedule():
    assert _get("We use PayPal. Payments are sent the 2nd week after the month in which the order shipped.")["frequency"] \
        == "monthly"
    assert _get("Affiliates get paid monthly for monthly plans.")["frequency"] == "monthly"


# --- methods ---------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text", [
    "Sit back and you get a referral check every month for the customers you send.",
    "All commission payment checks to partners are written in US dollars.",
])
def test_cheques_named_by_what_they_pay(text):
    assert _get(text)["methods"] == ["check"]


def test_credit_offered_as_a_way_of_being_paid():
    d = _get("How am I paid? You can be paid by PayPal, check or use as credit in our shop.")
    assert d["methods"] == ["paypal", "check", "store_credit"]
    d = _get("Referral fees can be credited to your own hosting account (to pay for your hosting fees), or sent by PayPal.")
    assert "store_credit" in d["methods"] and "paypal" in d["methods"]


def test_credits_in_the_affiliate_account_are_the_balance():
    d = _get("Once you hold a minimum of $40 in credits in your affiliate account, we pay you through PayPal.")
    assert d["methods"] == ["paypal"]


def test_receiving_a_check_once_a_total_is_reached_is_a_threshold():
    d = _get("You will receive a check every month once the commission total has reached $20.00.")
    assert d["payout_minimum"] == 20.0 and d["payout_currency"] == "USD"


# --- restrictions ----------------------------------------------------------------------------------------------------
def test_steer_clear_and_prohibitions_on_ban_what_follows():
    assert "no-search" in _get("Please steer clear of promoting our shop through Google Ads.")["restrictions"]
    d = _get("Affiliates agree to some limits, including prohibitions on posting our codes on coupon sites.")
    assert d["restrictions"] == ["no-coupon"]


def test_requirement_item_opening_with_arent_bans_its_types():
    d = _get("We look for partners who: Run a real blog. Aren't coupon sites or using shopping extensions.")
    assert set(d["restrictions"]) == {"no-coupon", "no-toolbar"}


def test_exception_of_a_banned_item_is_not_banned():
    d = _get("You must not: - Confuse consumers by copying our site design; - Post content other than those banners "
             "we supply.")
    assert "no-display" not in (d["restrictions"] or [])
    assert "no-misleading" in d["restrictions"]


# --- recurrence, second pass (later purchases of a referred person; one-time type fields) ----------------------------
@pytest.mark.parametrize("text", [
    "Partners earn 12% on each purchase a user makes after signing up through their link.",
    "Each time a repeat order is made by your customer, you will receive an 8% referral commission.",
    "You earn a commission every time a shop you brought in pays their subscription.",
])
def test_each_later_purchase_of_a_referred_person_is_recurring(text):
    assert _get(text)["recurring"] is True


def test_commission_continuing_with_the_customers_contract_is_a_lifetime():
    d = _get("For every client you introduce we pay a 15% commission that will continue for as long as their contract "
             "with us does.")
    assert d["recurring"] is True and d["lifetime"] is True


@pytest.mark.parametrize("text", [
    'program: { name: "Acme", commission: { type: "one-time", rate: 20, currency: "USD" }, cookieDays: 45 }',
    'name: "Acme", commission: "$40/sale", commissionType: "one-time", cookieDuration: "60 days"',
    "Commissions of 20% are paid on a one-time basis for every valid sale.",
])
def test_one_time_type_fields_and_bases(text):
    assert _get(text)["recurring"] is False


def test_a_credit_of_an_amount_given_to_the_referrer_is_store_credit():
    assert _get("When a friend orders with your code, you would get a credit of $4.00 on our site.")["methods"] \
        == ["store_credit"]
    assert _get("Your friend saves 10% and you get a credit of 5% of what they paid.")["methods"] == ["store_credit"]

"""Session 13 (third pass): restrictions, recurring months, percent and model.

A "no" before the actor ("No publisher is permitted to ..."), withheld commission as a ban, pay-per-click named by its
activity, social ad products listed as examples of a paid-search ban, keywords that "relate to" the brand; a rate
that changes after a period ("and then increased to 30%"), a span counted from the referral's sign-up in French or
Spanish; worked examples opened by "eg. if" or a counted number of referrals; the rate cell after a directory row's
network cell.

The sentences below are written for these tests (not copied from the corpus); each rule has its guards beside it.
"""

from __future__ import annotations

import pytest

from matrix.normalize.terms import extract_terms


def _d(text: str) -> dict:
    return extract_terms(text).as_dict()


def _r(text: str) -> set[str]:
    return set(_d(text)["restrictions"] or [])


# --- a "no" before the actor denies the permission to everyone ------------------------------------------------------

@pytest.mark.parametrize(("text", "want"), [
    ("No affiliate is permitted to bid on Brightwave brand terms or their misspellings.", "no-brand-bidding"),
    ("No publisher may use pop-ups or pop-unders to promote our store.", "no-pop"),
    ("No partner is allowed to place our links on cashback sites.", "no-incent"),
])
def test_no_before_the_actor_bans_the_type(text: str, want: str) -> None:
    assert want in _r(text)


@pytest.mark.parametrize("text", [
    "No affiliate is permitted to join twice, but coupon sites are welcome.",
    "No one is required to disclose their traffic sources before approval.",
])
def test_no_before_the_actor_needs_a_type_right_after(text: str) -> None:
    assert _r(text) == set()


# --- commission withheld for a practice bans it -------------------------------------------------------------------------

def test_commission_not_payable_while_bidding_on_the_brand() -> None:
    text = "Commission is not payable to publishers for any period in which you bid on brand keywords."
    assert _r(text) == {"no-brand-bidding"}


@pytest.mark.parametrize("text", [
    "Commission is not paid on returned or cancelled orders; email us with any questions.",
    "Commission will not be paid for orders placed by the affiliate's own household.",
])
def test_commission_not_paid_on_orders_bans_nothing(text: str) -> None:
    assert _r(text) == set()


# --- pay-per-click named by its activity ----------------------------------------------------------------------------------

def test_pay_per_click_activities_are_search() -> None:
    assert _r("We do not allow any pay per click activities when promoting our products.") == {"no-search"}


def test_a_payout_per_click_is_no_traffic_type() -> None:
    d = _d("We do not pay per click; the commission is 10% per sale.")
    assert d["restrictions"] is None and d["percent"] == [10.0, 10.0]


def test_bidding_contests_stay_unread() -> None:
    assert _r("You may not engage in pay per click bidding contests with our company.") == set()


# --- social ad products listed as examples of a paid-search ban --------------------------------------------------------

@pytest.mark.parametrize("text", [
    "Prohibited: paid advertising (PPC, Facebook Ads) that uses affiliate links.",
    "Affiliates are prohibited from placing links in any paid ads, including but not limited to Google Ads, Instagram Ads.",
    "Never advertise via pay-per-click systems (e.g., Bing Ads, Facebook Ads or LinkedIn Ads).",
])
def test_social_ads_as_examples_of_paid_search_are_search(text: str) -> None:
    assert _r(text) == {"no-search"}


@pytest.mark.parametrize("text", [
    "SEA campaigns and Facebook ads campaigns are forbidden.",
    "No PPC (e.g. Google Ads, Facebook Ads). No promotion on social media.",
    "Paid ads are prohibited (Meta Ads, Google Ads, etc.).",
])
def test_social_named_on_its_own_stays_banned(text: str) -> None:
    assert {"no-search", "no-social"} <= _r(text)


# --- keywords that relate to the brand ------------------------------------------------------------------------------------

def test_keywords_relating_to_the_brand_are_brand_bidding() -> None:
    assert _r("Affiliates may not bid on keywords in search engines that relate in any way to our brand.") \
        == {"no-brand-bidding"}


# --- a rate that changes after a period labels the period, it caps nothing ---------------------------------------------

def test_rate_increased_after_the_first_months_is_no_cap() -> None:
    d = _d("The partner earns 15% of all payments in the first 6 months and then increased to 25% for all later "
           "payments by the same customer.")
    assert d["recurring_months"] is None and d["recurring"] is True


def test_cap_without_a_later_rate_stays() -> None:
    d = _d("The partner earns 15% of all payments for 6 months, then the commission ends.")
    assert d["recurring_months"] == 6


# --- a span counted from the referral's sign-up (French, Spanish) --------------------------------------------------------

@pytest.mark.parametrize(("text", "months"), [
    ("Une commission vous est versée pour tout paiement de votre filleul dans les 12 mois suivant son inscription ; elle "
     "correspond à 15% du montant.", 12),
    ("Recibes un 20% de cada pago de tu referido en los 6 meses siguientes a su registro.", 6),
])
def test_span_after_sign_up_caps_the_commission(text: str, months: int) -> None:
    d = _d(text)
    assert d["recurring_months"] == months and d["percent"] is not None


def test_payment_delay_after_month_end_is_no_cap() -> None:
    d = _d("La commission de 10% est payée dans les 30 jours suivant la fin du mois.")
    assert d["recurring_months"] is None


# --- worked examples ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "The rate is set by each creator. eg. if you are on a plan that pays out a 30% commission and your referral buys "
    "a $40 plan, you would earn $12.",
    "If you referred just 20 people in a month: | every group of four earns you $5 | your earnings would be $25",
])
def test_worked_example_states_no_model(text: str) -> None:
    d = _d(text)
    assert d["model"] is None and d["percent"] is None


def test_stated_rate_before_a_counted_example_stays() -> None:
    d = _d("You earn 25% commission on every sale. If you refer 10 customers paying $50, you earn $125.")
    assert d["model"] == "percent" and d["percent"] == [25.0, 25.0]


# --- the rate cell after a directory row's network cell ------------------------------------------------------------------

@pytest.mark.parametrize(("text", "want"), [
    ("Harbor Shoes | Awin / Skimlinks | 4-8% | No coupon sites", [4.0, 8.0]),
    ("Lumen Lamps | ShareASale | up to 12% |", [None, 12.0]),
    ("Acme Outdoors | In-house (partners.acme.example) | 6% | Ships to the US only", [6.0, 6.0]),
])
def test_rate_after_network_cell(text: str, want: list) -> None:
    d = _d(text)
    assert d["model"] == "percent" and d["percent"] == want


@pytest.mark.parametrize("text", [
    "Harbor Shoes | Awin | 20% off for new customers |",
    "Harbor Shoes | Lisbon office | 8% | growth last year",
])
def test_percent_after_other_cells_is_no_rate(text: str) -> None:
    assert _d(text)["percent"] is None


# --- a code used (or not) on an order is a condition on its commission ----------------------------------------------

@pytest.mark.parametrize("text", [
    "Partners earn 6% on orders when no voucher used and 3% when a voucher code used.",
    "The full commission of 9% applies only if no discount code is used at checkout.",
])
def test_code_used_on_an_order_is_no_coupon_ban(text: str) -> None:
    assert "no-coupon" not in _r(text)


def test_voucher_sites_stay_banned() -> None:
    assert _r("No voucher sites. Coupon codes may only be shared with our approval.") >= {"no-coupon"}


# --- a deeper network level in Belarusian or Ukrainian numerals is an override ----------------------------------------

@pytest.mark.parametrize("text", [
    "Партнёр атрымлівае 15% з кожнай аплаты сваіх кліентаў і 3% з аплат кліентаў 2-га ўзроўню.",
    "Партнер отримує 15% з кожної оплати своїх клієнтів і 3% з оплат клієнтів 2-го рівня.",
])
def test_second_level_share_is_no_own_rate(text: str) -> None:
    assert _d(text)["percent"] == [15.0, 15.0]


# --- "up to $X per referral" after a rate is the most the rate yields, no flat part -------------------------------------

@pytest.mark.parametrize("text", [
    "Partners receive 25% of every subscription payment. Earn up to $240 per referral each year.",
    "Get 40% of the first invoice, which means you can make up to €90 for each customer you refer.",
])
def test_up_to_amount_per_referral_after_a_rate_is_percent(text: str) -> None:
    d = _d(text)
    assert d["model"] == "percent" and d["flat"] is None


def test_amount_added_to_the_rate_stays_hybrid() -> None:
    d = _d("Affiliates earn 10% of each sale. In addition, you earn up to $30 per referral for annual plans.")
    assert d["model"] == "hybrid"


# --- paid ads placed on the brand are brand bidding ------------------------------------------------------------------

def test_paid_ads_on_the_brand_name_are_brand_bidding() -> None:
    assert _r("No paid advertising on the Luma Labs brand name, and no coupon sites.") == {"no-brand-bidding", "no-coupon"}


def test_paid_ads_on_the_brand_allowed_with_approval_is_no_ban() -> None:
    assert _r("Paid advertising on brand terms is allowed with approval.") == set()


# --- the cookie window restated in a commission sentence is no cap (other languages) ----------------------------------

def test_cookie_window_restated_is_no_months_cap() -> None:
    d = _d("Hoa hồng 30% cho mỗi đơn hàng. | Cookie lưu trong 60 ngày. Nếu khách mua trong vòng 60 ngày, "
           "bạn vẫn được nhận hoa hồng.")
    assert d["recurring_months"] is None and d["cookie_days"] == 60


def test_commission_months_beside_a_different_cookie_stay() -> None:
    d = _d("Provision: 20% auf alle Zahlungen während 12 Monaten. Cookie-Laufzeit: 30 Tage.")
    assert d["recurring_months"] == 12 and d["cookie_days"] == 30


# --- declining to accept a type bans it --------------------------------------------------------------------------------

def test_not_looking_to_accept_cashback_sites() -> None:
    assert _r("Sadly we are not looking to accept any voucher or cashback sites onto the programme.") \
        == {"no-coupon", "no-incent"}


def test_not_looking_to_accept_new_affiliates_bans_nothing() -> None:
    assert _r("We are not looking to accept new affiliates at the moment; content sites are welcome later.") == set()

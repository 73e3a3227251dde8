"""Session-6 rules for the payout fields (payout type, methods, frequency, restrictions).

Each rule is checked on short sentences written for this file in several wordings of the same idea (none is a quote
of the labelled corpus), plus look-alikes the rule must leave alone. Only the field a rule is about is asserted, so
the commission fields stay free to change under their own rules.
"""

from __future__ import annotations

from typing import Any

import pytest

from matrix.normalize.terms import extract_terms


def _field(text: str, name: str) -> Any:
    value = extract_terms(text).as_dict()[name]
    return sorted(value) if isinstance(value, list) else value


# --- payout type: a model word that is not how this program pays -------------------------------------------------

@pytest.mark.parametrize("text", [
    "You may not use our name in any pay-per-click or Google Ads advertising to earn commissions.",
    "Commissions are void for sales from pay per click (PPC) search engines.",
    "Affiliates running pay-per-click campaigns through any pay per click network earn no commission on brand terms.",
])
def test_pay_per_click_as_an_ad_channel_is_no_cpc(text: str) -> None:
    assert _field(text, "payout_type") != "cpc"


@pytest.mark.parametrize("text", [
    "CPC campaigns pay $0.05 for every valid click.",
    "Payout model: Pay Per Click.",
    "All CPC offers on the panel have dynamic payouts.",
])
def test_pay_per_click_as_the_model_is_still_cpc(text: str) -> None:
    assert _field(text, "payout_type") == "cpc"


@pytest.mark.parametrize("text", [
    "Our bug bounty program rewards researchers who report security holes.",
    "Affiliate marketing helps a shop lower its cost per acquisition.",
    "Advertisers can set a target CPA for each campaign in the dashboard.",
    "The average CPC in this niche is about one dollar.",
    "Brands buy traffic on a CPM basis through our exchange.",
])
def test_advertiser_costs_and_bug_bounties_name_no_payout_type(text: str) -> None:
    assert _field(text, "payout_type") is None


@pytest.mark.parametrize("text", [
    "Our network supports CPA, CPL, CPS and RevShare offers.",
    "Deals can be CPL, CPA or revenue share; talk to your manager.",
    "We run CPS, CPL and CPI campaigns for many brands.",
])
def test_a_menu_of_models_without_a_rate_is_no_payout_type(text: str) -> None:
    assert _field(text, "payout_type") is None


@pytest.mark.parametrize("text", [
    "We pay a CPA of $120 per first-time depositor.",
    "Earn a 30% revenue share on net gaming revenue for life.",
    "Bounty: $40 for each new account.",
])
def test_a_stated_model_is_still_read(text: str) -> None:
    assert _field(text, "payout_type") in {"cpa", "revshare"}


@pytest.mark.parametrize(("text", "kind"), [
    ("Earn $100 for every friend who installs solar panels with us.", "cpa"),
    ("Earn $25 for each referral who books an appointment.", "cpa"),
    ("We pay $60 for each homeowner who completes an installation.", "cpa"),
    ("Get $5 for every user who installs the app.", "cpi"),
    ("Partners receive $2 for each visitor who registers for a free account.", "cpl"),
])
def test_the_unit_is_the_noun_before_a_who_clause_unless_its_act_is_a_lead_or_app_install(text: str, kind: str) -> None:
    assert _field(text, "payout_type") == kind


# --- methods: rewards in kind ------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "Refer a neighbour and get a $50 Amazon gift card.",
    "For every client you send us we'll give you a $100 prepaid Visa card.",
    "Choose your reward: a $75 e-gift card or a donation to charity.",
    "Thank-you gift: a $40 gift certificate for a local restaurant.",
    "Gift cards are emailed within two weeks of the referral's first visit.",
])
def test_a_gift_card_handed_to_the_referrer_is_a_method(text: str) -> None:
    assert _field(text, "methods") == ["gift_card"]


@pytest.mark.parametrize("text", [
    "Referral rewards are paid as a prepaid Mastercard.",
    "We will send you a $100 Visa reward card.",
    "You will receive a reward card worth $50.",
])
def test_prepaid_and_reward_cards_are_gift_cards(text: str) -> None:
    assert _field(text, "methods") == ["gift_card"]


def test_a_prepaid_card_beside_a_processor_is_that_processors_card() -> None:
    assert _field("Payouts go to Payoneer, which offers a prepaid MasterCard.", "methods") == ["payoneer"]


@pytest.mark.parametrize("text", [
    "You'll get $100 off your next bill for every business you refer.",
    "Get $50 in bill credits for each referral.",
    "We'll credit $100 to your next invoice.",
    "A $50 credit will be applied to your account.",
    "Your referral reward will be applied as a credit to your account.",
    "Earn a one-month credit on your account for each new member you refer.",
])
def test_credit_on_the_referrers_own_bill_or_account_is_store_credit(text: str) -> None:
    assert _field(text, "methods") == ["store_credit"]


@pytest.mark.parametrize("text", [
    "Commissions can be withdrawn or spent in our shop.",
    "Redeem your earnings for free products.",
    "We pay commissions in the form of a coupon code.",
    "Commissions are paid out as discount codes you can use in our store.",
    "Affiliates are paid with in-store credit.",
    "Affiliates can earn up to 5% in affiliate credit.",
])
def test_earnings_spent_in_the_merchants_store_are_store_credit(text: str) -> None:
    assert _field(text, "methods") == ["store_credit"]


@pytest.mark.parametrize(("text", "methods"), [
    ("We pay the reward via an ACH credit to your account on file.", ["ach"]),
    ("Payouts start when your account reaches $50 in affiliate credits; payment is via PayPal.", ["paypal"]),
    ("Our commission is 10% on sales without fees applied, before shipping, on all orders.", None),
    ("Customers earn points that they redeem for discounts on future orders.", None),
])
def test_credit_look_alikes_are_not_store_credit(text: str, methods: list[str] | None) -> None:
    assert _field(text, "methods") == methods


@pytest.mark.parametrize(("text", "methods"), [
    ("Le paiement se fait par chèque ou par virement bancaire chaque mois.", ["bank", "check"]),
    ("Die Auszahlung erfolgt per Scheck oder PayPal.", ["check", "paypal"]),
    ("Il pagamento della commissione avviene tramite assegno.", ["check"]),
    ("Wypłata prowizji w formie karty podarunkowej.", ["gift_card"]),
])
def test_cheques_and_gift_cards_in_other_languages(text: str, methods: list[str]) -> None:
    assert _field(text, "methods") == methods


@pytest.mark.parametrize("text", [
    "Funds are deposited directly into your bank account.",
    "Your earnings are deposited straight into your bank account every month.",
    "We deposit directly to your bank account.",
])
def test_money_deposited_directly_into_a_bank_account_is_bank(text: str) -> None:
    assert _field(text, "methods") == ["bank"]


def test_a_customer_deposit_is_no_method() -> None:
    assert _field("Customers deposit into their trading account.", "methods") is None


def test_waiting_in_polish_is_no_cheque() -> None:
    assert _field("Wypłata prowizji: trzeba czekać 30 dni na przelew.", "methods") != ["check"]


# --- frequency ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "frequency"), [
    ("Payouts: 2x per month", "semimonthly"),
    ("Commissions are paid two times a month.", "semimonthly"),
    ("Payments go out 1x per month.", "monthly"),
])
def test_times_per_month(text: str, frequency: str) -> None:
    assert _field(text, "frequency") == frequency


@pytest.mark.parametrize("text", [
    "Auszahlung: wöchentlich",
    "Paiement des commissions : hebdomadaire",
    "Auszahlung wöchentlich ab 50 € Guthaben.",
])
def test_weekly_in_a_short_foreign_payout_cell(text: str) -> None:
    assert _field(text, "frequency") == "weekly"


def test_a_weekly_newsletter_in_german_is_no_schedule() -> None:
    assert _field("Wöchentlicher Newsletter mit neuen Werbemitteln.", "frequency") is None


@pytest.mark.parametrize("text", [
    "Commissions are tracked daily and paid monthly.",
    "Earnings are monitored in real time and paid out monthly.",
    "You can view your stats daily; payouts are sent monthly.",
])
def test_a_tracking_verb_does_not_swallow_the_payout_schedule(text: str) -> None:
    assert _field(text, "frequency") == "monthly"


@pytest.mark.parametrize("text", [
    "Referral credit will be applied to your next monthly statement.",
    "You get paid 20% of every monthly payment your customers make.",
    "Earn a $30 credit on your next monthly bill.",
    "Earn 50% of every payment, monthly or yearly.",
])
def test_a_bill_or_billing_choice_is_no_payout_schedule(text: str) -> None:
    assert _field(text, "frequency") is None


@pytest.mark.parametrize("text", [
    "De commissie wordt aan het begin van de (nieuwe) maand overgemaakt.",
    "Le commissioni vengono pagate all'inizio del mese.",
    "Las comisiones se pagan a principios de cada mes.",
])
def test_start_of_the_month_in_other_languages_is_monthly(text: str) -> None:
    assert _field(text, "frequency") == "monthly"


# --- cookie -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "days"), [
    ("Your link remembers visitors for 60 days.", 60.0),
    ("Our system recognises returning customers for 45 days after their first visit.", 45.0),
    ("We remember your referrals for thirty days.", 30.0),
])
def test_remembering_the_visitor_is_the_cookie_window(text: str, days: float) -> None:
    assert _field(text, "cookie_days") == days


def test_remember_to_pay_is_no_cookie() -> None:
    assert _field("Please remember to pay the invoice within 30 days.", "cookie_days") is None


# --- restrictions ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "banned"), [
    ("❌ Incentivized traffic ❌ Brand bidding ✅ SEO ✅ Social media", ["no-brand-bidding", "no-incent"]),
    ("✗ Coupon sites  ✓ Content sites", ["no-coupon"]),
    ("🚫 Email marketing", ["no-email"]),
])
def test_a_cross_mark_before_an_item_bans_it(text: str, banned: list[str]) -> None:
    assert _field(text, "restrictions") == banned


@pytest.mark.parametrize(("text", "banned"), [
    ("PPC (brand keywords): No", ["no-brand-bidding"]),
    ("Restricted traffic sources include coupon sites and incentivized traffic.", ["no-coupon", "no-incent"]),
    ("No promotion on pornographic or hateful websites.", ["no-adult"]),
])
def test_brand_scoped_search_restricted_lists_and_pornographic_sites(text: str, banned: list[str]) -> None:
    assert _field(text, "restrictions") == banned


@pytest.mark.parametrize(("text", "banned"), [
    ("Gutscheinseiten sind nicht zugelassen.", ["no-coupon"]),
    ("Incentive-Traffic wird nicht akzeptiert.", ["no-incent"]),
    ("Il traffico incentivato non è accettato.", ["no-incent"]),
    ("No se admite tráfico incentivado.", ["no-incent"]),
    ("Sites de cupons não são aceitos.", ["no-coupon"]),
    ("Couponsites zijn niet toegelaten.", ["no-coupon"]),
    ("Ruch motywowany nie jest dozwolony.", ["no-incent"]),
])
def test_not_allowed_or_not_accepted_in_other_languages(text: str, banned: list[str]) -> None:
    assert _field(text, "restrictions") == banned


@pytest.mark.parametrize(("text", "banned"), [
    ("Zabroniony jest ruch motywowany oraz wysyłka spamu.", ["no-incent", "no-spam"]),
    ("Запрещен мотивированный трафик.", ["no-incent"]),
    ("Nie akceptujemy ruchu z serwisów kuponowych.", ["no-coupon"]),
    ("Nous n'acceptons pas le trafic incentive.", ["no-incent"]),
    ("Non accettiamo siti di coupon.", ["no-coupon"]),
])
def test_motivated_traffic_coupon_portals_and_we_do_not_accept_in_other_languages(text: str, banned: list[str]) -> None:
    assert _field(text, "restrictions") == banned


@pytest.mark.parametrize("text", [
    "✅ Incentivized traffic ✅ Coupon sites",
    "Restricted content such as coupons is shown only to logged-in members.",
])
def test_restriction_look_alikes(text: str) -> None:
    assert _field(text, "restrictions") is None

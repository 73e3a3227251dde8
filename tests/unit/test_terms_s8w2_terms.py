"""Session-8 (second wave) rules for the payout and recurrence fields: methods, frequency, recurring, lifetime,
recurring_months, cookie_days and payout_minimum.

Each rule states a general fact about how refer-a-friend and affiliate terms are written, checked here on sentences
written for this file (none is a quote of a labelled corpus) in several wordings, plus look-alikes the rule must leave
alone. Only the field a rule is about is asserted, so the commission fields stay free to change under their own rules.
"""

from __future__ import annotations

from typing import Any

import pytest

from matrix.normalize.terms import extract_terms


def _field(text: str, name: str) -> Any:
    value = extract_terms(text).as_dict()[name]
    return sorted(value) if isinstance(value, list) else value


# --- methods: a reward kept with the program is store credit ------------------------------------------------------

@pytest.mark.parametrize("text", [
    "Every reward you earn is credited to your Zumo wallet as soon as your friend tops up.",
    "The bonus is paid to the clearing account of the existing customer after six months.",
    "Commissions are credited to your Kestrel account in USD within seven business days.",
    "Once your friend's first order ships, 10% of its value is credited to your rewards account.",
    "After the friend's first order, a credit is issued to your account for future orders.",
])
def test_a_reward_credited_to_an_account_held_at_the_program_is_store_credit(text: str) -> None:
    assert _field(text, "methods") == ["store_credit"]


@pytest.mark.parametrize("text, methods", [
    # the affiliate balance is where earnings wait for a payout; a processor's account is that processor
    ("Commissions are credited to your affiliate balance once the order is confirmed.", None),
    ("Your earnings are paid to your PayPal account on the 5th of each month.", ["paypal"]),
    # the referred customer's own deposit into an account at the program is a condition, not a payout
    ("To qualify, the client must transfer or deposit at least $1 into the Savings Account within 30 days.", None),
    # a named account beside another method yields to that method
    ("Earnings are credited to your Orbit account and paid out by bank transfer every month.", ["bank"]),
])
def test_account_credit_look_alikes(text: str, methods: list[str] | None) -> None:
    assert _field(text, "methods") == methods


@pytest.mark.parametrize("text", [
    "Referral rewards cannot be withdrawn; they can only be spent on our plans.",
    "Your £5 bonus is automatically applied at checkout on your next order.",
    "You'll be rewarded with 400 loyalty points for every friend who joins.",
    "Each referral earns you a reward in the form of points that you can spend in the shop.",
    "Points are credited to your profile once the friend completes a booking.",
])
def test_a_reward_that_stays_with_the_program_is_store_credit(text: str) -> None:
    assert _field(text, "methods") == ["store_credit"]


@pytest.mark.parametrize("text", [
    "The current default commission is 20%, stored as 2000 basis points.",
    "Commission is earned in the form of Partner Points, before converting to cash upon payout.",
    "For every $1 you spend with us, you'll earn 2 loyalty points.",
    "Disallowed Media: Deals | Cashback, Reward Points, Incentives | Email",
])
def test_points_that_are_no_store_credit(text: str) -> None:
    assert "store_credit" not in (_field(text, "methods") or [])


@pytest.mark.parametrize("text", [
    "Get 5 USD in BTC for you and 5 USD in BTC for every new user you sign up.",
    "Each qualified referral brings you $20 worth of bitcoin.",
    "Earnings are paid out daily in bitcoins directly to your exchange wallet.",
])
def test_a_reward_paid_in_a_coin_is_crypto(text: str) -> None:
    assert "crypto" in (_field(text, "methods") or [])


@pytest.mark.parametrize("text, method", [
    ("Your friend must switch their existing bank into this one and pay in £1,000 to receive the bonus.", "bank"),
    ("A qualifying direct deposit is a recurring direct deposit of payroll or pension into the account.", "ach"),
])
def test_the_customers_bank_or_deposit_is_a_condition_not_a_method(text: str, method: str) -> None:
    assert method not in (_field(text, "methods") or [])


@pytest.mark.parametrize("text", [
    "Bize kazandırdığınız her yeni kullanıcının siparişinde 1000 puan kazanabilirsiniz.",
    "Por cada amigo que contrate recibirás 25 puntos para canjear por regalos de nuestro catálogo.",
    "友達を紹介すると、紹介人数1人につき、ポイント300をお渡しします。",
])
def test_an_amount_of_points_in_another_language_is_store_credit(text: str) -> None:
    assert _field(text, "methods") == ["store_credit"]


def test_a_point_of_sale_in_another_language_is_no_reward() -> None:
    text = "La comisión se paga por cada venta en nuestros puntos de venta asociados."
    assert "store_credit" not in (_field(text, "methods") or [])


@pytest.mark.parametrize("text, method", [
    ("Zodra je recht hebt op een vergoeding wordt deze overgemaakt op het bij ons bekende rekeningnummer.", "bank"),
    ("Provízie vyplácame na Vami uvedený bankový účet do 14 dní.", "bank"),
])
def test_bank_account_words_in_more_languages(text: str, method: str) -> None:
    assert method in (_field(text, "methods") or [])


# --- frequency -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, frequency", [
    ("Выплаты будут перечисляться в ваш кошелек ежедневно.", "daily"),
    ("Die Provisionen werden täglich ausgezahlt.", "daily"),
    ("De vergoeding wordt automatisch overgemaakt. We maken 1 keer per maand de bedragen over.", "monthly"),
    # a daily word yields to any other schedule: accrued daily, paid monthly
    ("Die Provision wird täglich berechnet und monatlich ausgezahlt.", "monthly"),
    ("The bonus is paid on the 10th day of a subsequent calendar month.", "monthly"),
])
def test_payout_schedules(text: str, frequency: str) -> None:
    assert _field(text, "frequency") == frequency


def test_an_average_daily_balance_is_no_schedule() -> None:
    text = "The reward is calculated on the average daily invested balance of your friend."
    assert _field(text, "frequency") != "daily"


# --- recurrence ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "TD Bank provides $50 per friend, and your friend gets $50 if they meet account activity requirements in the "
    "first two months.",
    "Discover offers a $50 statement credit, and your friend gets one after making a purchase within the first three "
    "months.",
    "The reward is calculated from the average invested balance over a 3-month period.",
])
def test_a_window_for_the_customers_action_is_no_months_cap(text: str) -> None:
    assert _field(text, "recurring_months") is None


def test_a_commission_period_is_still_a_months_cap() -> None:
    assert _field("You earn 20% commission on every payment for the first 12 months.", "recurring_months") == 12


@pytest.mark.parametrize("text, field", [
    ("A qualified referral is someone who submits an application for life insurance with us.", "lifetime"),
    ("A qualifying direct deposit is a recurring direct deposit of payroll into the account.", "recurring"),
])
def test_a_product_or_a_customer_deposit_is_no_recurrence(text: str, field: str) -> None:
    assert _field(text, field) is None


@pytest.mark.parametrize("text, field, value", [
    ("Ganas 10% de los ingresos de los creadores. La duración de las comisiones está limitada a 3 años.",
     "recurring_months", 36),
    ("A comissão é uma porcentagem dos ganhos que sua indicação gera enquanto está ativa na plataforma.",
     "lifetime", True),
])
def test_recurrence_in_other_languages(text: str, field: str, value: Any) -> None:
    assert _field(text, field) == value


# --- cookie and payout minimum -------------------------------------------------------------------------------------

def test_a_cookied_browser_is_the_cookie_window() -> None:
    text = "When someone clicks your link, their browser is cookied with your affiliate ID for 45 days."
    assert _field(text, "cookie_days") == 45


@pytest.mark.parametrize("text", [
    "The referred user must deposit at least $100 of real funds into their account.",
    "Your friend needs to top up at least $50 before the bonus is released.",
])
def test_a_deposit_the_customer_must_make_is_no_payout_minimum(text: str) -> None:
    assert _field(text, "payout_minimum") is None


def test_a_threshold_the_referred_customer_must_earn_is_no_payout_minimum() -> None:
    text = "The new member needs to earn £5 in confirmed cashback before the referral bonus is paid."
    assert _field(text, "payout_minimum") is None


def test_a_payout_minimum_is_still_read() -> None:
    assert _field("You need to earn at least $50 before we pay out your commissions.", "payout_minimum") == 50


def test_what_does_not_qualify_as_a_direct_deposit_is_no_method() -> None:
    text = "Mobile deposits and transfers between accounts do not qualify as a direct deposit."
    assert "ach" not in (_field(text, "methods") or [])


@pytest.mark.parametrize("text", [
    "You earn a 15% commission for every credit purchase made by the referral.",
    "Partners get 8% on each order placed by the customers they refer.",
])
def test_a_commission_on_every_purchase_of_the_referred_customer_recurs(text: str) -> None:
    assert _field(text, "recurring") is True


def test_the_first_purchase_of_the_referred_customer_does_not_recur() -> None:
    assert _field("You earn 15% on the first purchase made by the referral only.", "recurring") is not True


def test_a_reward_claim_window_is_no_cookie() -> None:
    text = "Timeline | 30-day tracking period | 90-day reward claim window"
    assert _field(text, "cookie_days") == 30

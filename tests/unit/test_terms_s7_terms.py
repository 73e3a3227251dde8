"""Session-7 rules for the payout and recurrence fields (methods, frequency, restrictions, recurring).

Each rule covers a family of phrasings, not one quote: it is checked on short sentences written for this file in
several wordings of the same idea (none is a quote of a labelled corpus), plus look-alikes the rule must leave alone.
Only the field a rule is about is asserted, so the commission fields stay free to change under their own rules.
"""

from __future__ import annotations

from typing import Any

import pytest

from matrix.normalize.terms import extract_terms


def _field(text: str, name: str) -> Any:
    value = extract_terms(text).as_dict()[name]
    return sorted(value) if isinstance(value, list) else value


# --- methods: a method word that names goods, a check that is a verification, a brand that names the program ---------

@pytest.mark.parametrize("text", [
    "You earn 8% on every order, excluding gift cards and shipping.",
    "Commission is not paid on gift cards or on taxes.",
    "Exclusions: gift cards, clearance items and subscription renewals.",
    "Purchases of gift cards do not qualify for a commission.",
    "Orders are rejected when the customer fails the credit check.",
    "We run a background check on every new partner before payouts start.",
    "Goal wise, most partners reach the first tier within a month.",
    "Read our review of the Wise affiliate program before you apply.",
])
def test_method_words_that_are_not_how_the_affiliate_is_paid(text: str) -> None:
    assert _field(text, "methods") is None


@pytest.mark.parametrize("text", [
    "Earn 10% per sale. If you choose to convert your commission to your account balance, you get an extra 10%.",
    "The referral fee is credited to your account balance and used first on your next invoice.",
    "Every referral earns a 500 PHP commission in the form of in-app credits.",
    "We'll credit your account $100 for each successful referral.",
    "We will credit your account with 25 euros for every friend who joins.",
    "Commissions are released after 30 days; you can use those funds towards other purchases in our store.",
])
def test_commission_kept_as_account_balance_is_store_credit(text: str) -> None:
    assert _field(text, "methods") == ["store_credit"]


@pytest.mark.parametrize(("text", "methods"), [
    ("Commissions are added to your affiliate account balance and paid monthly via PayPal.", ["paypal"]),
    ("Your earnings are credited to your account balance and paid out by bank transfer each month.", ["bank"]),
])
def test_a_balance_that_waits_for_a_named_payout_is_no_store_credit(text: str, methods: list[str]) -> None:
    assert _field(text, "methods") == methods


@pytest.mark.parametrize(("text", "methods"), [
    ("Rewards are paid as Amazon gift cards once a month.", ["gift_card"]),
    ("We pay by check every month, excluding public holidays.", ["check"]),
    ("You are paid monthly by PayPal, excluding transfer fees.", ["paypal"]),
    ("Payouts are monthly via PayPal, Wise or bank transfer.", ["bank", "paypal", "wise"]),
])
def test_method_words_that_still_name_the_payout(text: str, methods: list[str]) -> None:
    assert _field(text, "methods") == methods


# --- frequency: a payout the affiliate asks for (withdrawal requests, payout buttons) --------------------------------

@pytest.mark.parametrize("text", [
    "Payments are processed within two days after you make a withdrawal request.",
    "Once you have requested an affiliate payout, allow up to a week for the money to arrive.",
    "Submit a payout request from your dashboard and we send the money within 5 business days.",
    "Balances are paid out by our finance team when partners request it.",
    "To get paid, click the \"Withdraw\" button in your partner area.",
    "To withdraw your earnings, go to the Affiliates tab and choose a payment method.",
    "From the dashboard you can prompt a commission payout at any point.",
])
def test_withdrawals_the_affiliate_requests_are_on_request(text: str) -> None:
    assert _field(text, "frequency") == "on-request"


@pytest.mark.parametrize("text", [
    "We can make your affiliate payouts either with bitcoin or PayPal.",
    "If you have requested payment by cheque, a threshold of £50 applies.",
    "Affiliates can withdraw earnings through PayPal or bank transfer.",
    "We will start a payment transfer only when your balance reaches 150 EUR.",
])
def test_naming_a_payout_or_a_method_is_no_schedule(text: str) -> None:
    assert _field(text, "frequency") is None


def test_a_fixed_schedule_still_wins_over_a_request() -> None:
    assert _field("Payments are sent monthly; you can also submit a payout request at any time.", "frequency") == "monthly"


# --- cookie: a bare number whose unit is in the cookie label -------------------------------------------------------

@pytest.mark.parametrize(("text", "days"), [
    ("Cookie Duration (days) | 30", 30.0),
    ("Cookie length: 45 | Commission: 20%", 45.0),
    ("Attribution window (days): 14", 14.0),
    ("Cookie duration 60", 60.0),
])
def test_a_cookie_label_with_a_bare_number(text: str, days: float) -> None:
    assert _field(text, "cookie_days") == days


@pytest.mark.parametrize("text", [
    "Cookie policy 2024.",
    "We set 2 cookies | 3 are third-party",
    "Cookie ID 12345, session.",
])
def test_numbers_beside_cookie_words_that_are_no_window(text: str) -> None:
    assert _field(text, "cookie_days") in (None, 0.0)


# --- restrictions: sexual material is named only to keep it out -----------------------------------------------------

@pytest.mark.parametrize("text", [
    "Applicants must run a reputable site free of explicit content or hate speech.",
    "We do not accept illegal, violent or erotic content on partner websites.",
    "Promoting us on websites that contain illegal, adult, or hateful content.",
    "Sites showing pornographic material will be removed from the programme.",
    "Obscene or defamatory material is not tolerated anywhere near our links.",
    "Siteniz müstehcen içeriği barındırıyorsa programa kabul edilmez.",
    "Αποκλείονται ιστοσελίδες που περιλαμβάνουν πορνογραφικό υλικό.",
])
def test_sexual_material_named_in_terms_is_banned(text: str) -> None:
    assert "no-adult" in (_field(text, "restrictions") or [])


@pytest.mark.parametrize("text", [
    "Bidding on branded terms is only allowed with our prior written consent.",
    "Trademark keyword bidding is permitted only with the express permission of our team.",
])
def test_brand_bidding_allowed_only_on_consent_is_banned(text: str) -> None:
    assert _field(text, "restrictions") == ["no-brand-bidding"]


@pytest.mark.parametrize("text", [
    "Email marketing is only allowed with our prior approval.",
    "Paid search is allowed; trademark bidding requires approval.",
    "Brand bidding: allowed for all partners.",
])
def test_approval_conditions_that_ban_nothing(text: str) -> None:
    assert _field(text, "restrictions") is None


@pytest.mark.parametrize("text", [
    "You're not allowed to post our discount codes on sites like CouponFinder.",
    "Do not share promo codes on coupon websites or deal forums.",
    "Publishing voucher codes to public forums is prohibited.",
])
def test_codes_posted_on_public_sites_are_coupon_bans(text: str) -> None:
    assert _field(text, "restrictions") == ["no-coupon"]


@pytest.mark.parametrize("text", [
    "Commissions on purchases made with a coupon code not assigned to you will be reversed.",
    "Orders placed using an unauthorised voucher code are not commissionable.",
    "You can share your discount code on your own website and newsletter.",
])
def test_a_customer_code_or_a_permitted_code_is_no_coupon_ban(text: str) -> None:
    assert "no-coupon" not in (_field(text, "restrictions") or [])


@pytest.mark.parametrize("text", [
    "You must be an adult to join the programme.",
    "We welcome adult traffic and dating sites.",
    "Adult content: allowed. Coupon sites: not allowed.",
    "We are not responsible for explicit content posted by third parties.",
    "Visitors from www.privatporno.com are tracked like any other referral.",
    "Our blog explains how explicit content filters work in schools.",
])
def test_adult_words_that_ban_nothing(text: str) -> None:
    assert "no-adult" not in (_field(text, "restrictions") or [])


# --- recurring: a commission on the first payment, term or sale only ------------------------------------------------

@pytest.mark.parametrize("text", [
    "You can choose instead to get 60% cashback from your first payment.",
    "The commission of 40% is based on the first term of the placed order.",
    "They offer a flat 15% commission on any first sales you generate.",
    "Earn 100 percent of the first month's payment as your reward.",
    "The referral commission of 20% is calculated on the first billing period of each new account.",
])
def test_commission_on_the_first_payment_is_one_time(text: str) -> None:
    assert _field(text, "recurring") is False


@pytest.mark.parametrize("text", [
    "You earn 20% from the first payment and 10% on every renewal.",
    "Earn 20% of the first month and then 10% of every month after.",
])
def test_a_renewal_rate_beside_the_first_payment_stays_recurring(text: str) -> None:
    assert _field(text, "recurring") is True


@pytest.mark.parametrize("text", [
    "If a new user signs up with your referral code, you receive 10% of their subscription costs, lifetime.",
    "Earn 25% on every sale, lifetime!",
    "You get 40% on each purchase. Ongoing sales by that customer will be credited to you.",
    "You will be paid 3% of their fees over the lifetime of their partnership with us.",
    "The affiliate is paid £10 in the first week of each month that the subscription runs.",
])
def test_unlimited_durations_are_lifetime(text: str) -> None:
    assert _field(text, "lifetime") is True


@pytest.mark.parametrize("text", [
    "Cookie duration: 30 days, lifetime.",
    "Lifetime cookie tracking for every click.",
])
def test_a_lifetime_cookie_is_no_lifetime_commission(text: str) -> None:
    assert _field(text, "lifetime") is None


@pytest.mark.parametrize("text", [
    "Für jedes gelistete Produkt zahlen wir eine einmalige Provision von 20%.",
    "Za svaku prodaju dobivate jednokratnu proviziju od 15%.",
    "Za każde polecenie wypłacamy jednorazową prowizję 10%.",
])
def test_one_time_words_in_other_languages(text: str) -> None:
    assert _field(text, "recurring") is False


def test_a_negated_one_time_word_is_not_one_time() -> None:
    assert _field("Комисионите НЕ са еднократни: комисионна 10% за всяко плащане.", "recurring") is not False


# --- restrictions: ban words of other languages govern the types named beside them -------------------------------

@pytest.mark.parametrize(("text", "banned"), [
    ("Dilarang memasang iklan pop-up di situs Anda.", ["no-pop"]),
    ("Tidak boleh mengirim SMS massal kepada pelanggan.", ["no-sms"]),
    ("Ang paggamit ng pop-ups ay hindi pinapayagan.", ["no-pop"]),
    ("Τα pop-up απαγορεύονται αυστηρά.", ["no-pop"]),
    ("Pop-up reklamlar kesinlikle yasaktır.", ["no-pop"]),
    ("يمنع استخدام النوافذ pop-up في الحملات.", ["no-pop"]),
])
def test_ban_words_of_other_languages(text: str, banned: list[str]) -> None:
    assert _field(text, "restrictions") == banned


# --- months: a cap of N months written with a hyphen or an adjective --------------------------------------------

@pytest.mark.parametrize(("text", "months"), [
    ("Partners earn 8% of the monthly revenue for the first 12-months of each account.", 12),
    ("Commissions of 20% are calculated on the first six trading months of each referral.", 6),
    ("You receive 25% of every invoice during the first 24 billing months.", 24),
])
def test_months_cap_with_a_hyphen_or_an_adjective(text: str, months: int) -> None:
    assert _field(text, "recurring_months") == months


# --- guards: a term that is not in force, a monthly figure that is no payout date, a minimum that is no threshold --

@pytest.mark.parametrize("text", [
    "Previously offering a 15% recurring commission, the program has moved to a flat fee of $25.",
    "The page does not clearly state whether commission applies only to the first purchase or also to renewals.",
    "The program formerly paid commission on every renewal.",
])
def test_a_recurrence_not_in_force_is_not_stated(text: str) -> None:
    assert _field(text, "recurring") is None


def test_whether_in_a_slogan_leaves_the_recurrence_alone() -> None:
    assert _field("Whether you are a blogger or a YouTuber, earn 30% recurring commission.", "recurring") is True


@pytest.mark.parametrize("text", [
    "Your monthly total depends on how much traffic your website has.",
    "Do I receive a monthly commission for recurring orders? No, you receive 15% on the first order.",
    "Top partners make a monthly income of $5,000 from our program payouts.",
])
def test_a_monthly_amount_is_no_payout_schedule(text: str) -> None:
    assert _field(text, "frequency") is None


@pytest.mark.parametrize("text", [
    "Monthly commission payments are sent via PayPal.",
    "You will get monthly commission and bonus payments deposited in your bank account.",
])
def test_monthly_commission_payments_are_still_monthly(text: str) -> None:
    assert _field(text, "frequency") == "monthly"


@pytest.mark.parametrize("text", [
    "The referral fee is 2% of the purchase price, with a minimum referral fee of $225.",
    "Reach a combined monthly trading volume of no less than 100,000 USDT to unlock level 2 payouts.",
])
def test_a_minimum_fee_or_volume_is_no_payout_threshold(text: str) -> None:
    assert _field(text, "payout_minimum") is None


@pytest.mark.parametrize(("text", "minimum"), [
    ("Commissions under $50 roll over to the next month.", 50.0),
    ("Balances below €25 carry forward until the threshold is reached.", 25.0),
])
def test_a_balance_rolled_over_below_an_amount_names_the_minimum(text: str, minimum: float) -> None:
    assert _field(text, "payout_minimum") == minimum


@pytest.mark.parametrize(("text", "banned"), [
    ("Avoid bidding on brand terms.", ["no-brand-bidding"]),
    ("Pop-ups are an absolute no-go for us.", ["no-pop"]),
])
def test_imperative_avoid_and_no_go_are_bans(text: str, banned: list[str]) -> None:
    assert _field(text, "restrictions") == banned


def test_avoid_as_a_purpose_bans_nothing() -> None:
    assert _field("To avoid fraud, we review coupon sites manually.", "restrictions") is None


@pytest.mark.parametrize(("text", "minimum", "currency"), [
    ("Minimum payout: 500 Kč", 500.0, "CZK"),
    ("The minimum payout is 1.000 RSD.", 1000.0, "RSD"),
    ("Minimum withdrawal: 2.500 UAH", 2500.0, "UAH"),
])
def test_minimums_in_local_currencies(text: str, minimum: float, currency: str) -> None:
    assert (_field(text, "payout_minimum"), _field(text, "payout_currency")) == (minimum, currency)


# --- recurrence asked as a question or a field ---------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "Is the commission recurring? No.",
    "Recurring commissions? No | Commission type? Pay per sale.",
    "Do you pay commission on renewals? No, only on the first payment of 30%.",
])
def test_a_recurrence_question_answered_no_is_one_time(text: str) -> None:
    assert _field(text, "recurring") is False


@pytest.mark.parametrize("text", [
    "Is there a minimum payout? No. Earn 20% recurring.",
    "Do you pay recurring commissions? Yes, 20% every month.",
])
def test_other_answers_leave_the_recurrence_alone(text: str) -> None:
    assert _field(text, "recurring") is True


@pytest.mark.parametrize(("text", "months"), [
    ("Recurring: Yes (12 months)", 12),
    ("Earn 30% recurring (first 6 months) on every plan.", 6),
    ("Recurring commissions: yes (24 months)", 24),
])
def test_a_recurrence_field_with_its_cap_in_brackets(text: str, months: int) -> None:
    assert _field(text, "recurring_months") == months


@pytest.mark.parametrize("text", [
    "You earn a $3 credit every time they buy.",
    "Partners share commissions and residuals with us.",
    "You get 5% whenever your referral renews their plan.",
    "Earn 8% each time the same customer orders again.",
])
def test_the_same_customers_later_purchases_are_recurring(text: str) -> None:
    assert _field(text, "recurring") is True


def test_every_new_customers_purchase_is_not_recurring() -> None:
    assert _field("Earn 10% every time a customer buys through your link.", "recurring") is None


@pytest.mark.parametrize("text", [
    "Partner dobiva proviziju od 10% dok god je klijent korisnik naših usluga.",
    "Utapata kamisheni ya 20% kwa maisha ya mteja.",
    "Получавате комисиона 10%, докато клиентите ви имат активни услуги.",
])
def test_lifetime_in_other_languages(text: str) -> None:
    assert _field(text, "lifetime") is True

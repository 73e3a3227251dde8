"""Session-9 rules for the payout and recurrence fields: payout_minimum, methods, frequency, restrictions, recurring
and recurring_months.

Each rule states a general fact about how refer-a-friend and affiliate terms are written. The sentences below were
written for this file (none is a quote of a labelled corpus), several wordings per rule, plus look-alikes the rule must
leave alone. Only the field a rule is about is asserted, so the commission fields stay free to change under their own
rules.
"""

from __future__ import annotations

from typing import Any

import pytest

from matrix.normalize.terms import extract_terms


def _field(text: str, name: str) -> Any:
    value = extract_terms(text).as_dict()[name]
    return sorted(value) if isinstance(value, list) else value


# --- payout_minimum: money the referred customer puts in is a condition, not a payout threshold -------------------

@pytest.mark.parametrize("text", [
    "To qualify, your friend must fund their new account with at least $500 and keep that balance for 6 months "
    "before you get paid.",
    "Both accounts must be funded with at least $100 before the bonus payment is paid.",
    "Affiliates get paid once the referred user has reached at least $25 in spending.",
    "A minimum £10 top-up must be made by the new customer before we pay you.",
    "Your friend must make a bank transfer of at least 200 EUR and you get paid 15 EUR.",
])
def test_a_sum_the_referred_customer_must_put_in_is_no_payout_minimum(text: str) -> None:
    assert _field(text, "payout_minimum") is None


@pytest.mark.parametrize("text, minimum", [
    ("Payouts are made once your balance reaches at least $50.", 50.0),
    ("The minimum withdrawal is $20 via PayPal.", 20.0),
    ("We pay by bank transfer once you have earned at least £30.", 30.0),
])
def test_a_balance_the_referrer_must_reach_is_still_a_payout_minimum(text: str, minimum: float) -> None:
    assert _field(text, "payout_minimum") == minimum


def test_keeping_a_funded_balance_for_months_is_no_recurring_cap() -> None:
    text = "Your friend must fund the account with at least $1,000 and maintain that balance for 6 months; you get $100."
    assert _field(text, "recurring_months") is None


# --- methods: a reward kept with the merchant is store credit --------------------------------------------------------

@pytest.mark.parametrize("text", [
    "Your bonus will appear in your Relay account within 10 business days.",
    "You receive a $10 bonus in your Spending Account after your friend signs up.",
    "We will invest a $5 bonus into your Acorns Invest account.",
    "You and your friend each receive a credit of CHF 40 to the card account.",
])
def test_a_reward_landing_in_an_account_held_at_the_program_is_store_credit(text: str) -> None:
    assert _field(text, "methods") == ["store_credit"]


@pytest.mark.parametrize("text", [
    "You get £25 off your electricity bill for every friend who joins.",
    "We'll credit $15 to your bill and $15 to theirs: that's $15 off your phone bill for each referral.",
    "Each friend who signs up earns you €10 off your monthly invoice.",
])
def test_money_off_the_referrers_own_bill_is_store_credit(text: str) -> None:
    assert _field(text, "methods") == ["store_credit"]


@pytest.mark.parametrize("text, methods", [
    # a free trial is the customer's offer; the referrer is paid by PayPal
    ("Your customers get a 30 days free trial and you earn 20% commission paid via PayPal.", ["paypal"]),
    ("New users get 14 days free trial; you earn $10 per signup.", None),
    # a free month of service, or a bare "your wallet", is not counted as a way of paying (labelled pages leave it out)
    ("Get one free month of service for each referral.", None),
    ("The reward is credited straight into your wallet once your friend orders.", None),
    # a wallet the referrer withdraws from is where earnings wait for a payout
    ("You can only withdraw from your main wallet. Earnings are credited to your wallet every first week of the month.",
     None),
    ("The reward is paid to your PayPal wallet.", ["paypal"]),
])
def test_look_alikes_of_kept_credit(text: str, methods: list[str] | None) -> None:
    assert _field(text, "methods") == methods


@pytest.mark.parametrize("text, methods", [
    ("US Bank pays $50 by direct deposit when your friend opens a checking account.", ["ach"]),
    ("We share the Co-operative Bank's switching offer which pays you both £125.", None),
    ("Bank Referral Bonus | Requirements | Payout Time", None),
    ("Your friend must make a bank transfer of at least 200 EUR and you get paid 15 EUR.", None),
    # a bank the referrer is paid through is still a method
    ("Rewards are paid by bank transfer within 30 days.", ["bank"]),
    ("Your commission is paid to your Bank account at Barclays Bank every month.", ["bank"]),
    ("Payouts: Bank Transfer (EU), PayPal", ["bank", "paypal"]),
])
def test_a_bank_that_offers_the_reward_or_the_friends_transfer_is_no_method(text: str, methods: list[str] | None) -> None:
    assert _field(text, "methods") == methods


# --- frequency: a fixed day or week of each month, and a 90-day cycle ---------------------------------------------------

@pytest.mark.parametrize("text, frequency", [
    ("Earnings are converted every first week of new month and credited to your wallet.", "monthly"),
    ("Your rewards are paid on the last business day of each month.", "monthly"),
    ("Payments go out on the first Wednesday of each month.", "monthly"),
    ("We pay the referral fee every 90 days.", "quarterly"),
    ("Referral payouts are sent every ninety days by bank transfer.", "quarterly"),
])
def test_a_fixed_day_of_the_month_or_a_90_day_cycle_is_a_schedule(text: str, frequency: str) -> None:
    assert _field(text, "frequency") == frequency


@pytest.mark.parametrize("text", [
    "You must log in every first day of the month to keep your account active.",
    "Sales are credited to your account every day.",
])
def test_a_monthly_act_that_is_no_payout_is_no_schedule(text: str) -> None:
    assert _field(text, "frequency") is None


# --- restrictions: a practice followed by the sanction it brings ------------------------------------------------------

@pytest.mark.parametrize("text, restrictions", [
    ("Sending unsolicited invitations will get your account closed.", ["no-spam"]),
    ("We may cancel this feature if you send an excessive number of unsolicited invites.", ["no-spam"]),
    ("Posting your code on coupon sites may get your account suspended.", ["no-coupon"]),
    ("Bidding on our brand name in Google Ads will get your account terminated.", ["no-brand-bidding"]),
])
def test_a_practice_that_gets_the_account_closed_is_a_restriction(text: str, restrictions: list[str]) -> None:
    assert _field(text, "restrictions") == restrictions


def test_a_practice_said_not_to_close_the_account_is_no_restriction() -> None:
    assert _field("Using email to share your link is fine and will not get your account closed.", "restrictions") is None


# --- recurring: a share of what the customer pays over the following months ---------------------------------------------

@pytest.mark.parametrize("text, months", [
    ("You earn 15% of the revenue from the sale in the subsequent 12 months.", 12),
    ("You earn 15% of everything the customer pays us in the following 12 months.", 12),
    ("Commission: 10% of subscription fees during the next 6 months.", 6),
])
def test_a_percent_over_the_following_months_is_recurring_with_a_cap(text: str, months: int) -> None:
    assert _field(text, "recurring") is True
    assert _field(text, "recurring_months") == months


@pytest.mark.parametrize("text", [
    "You earn $50 per sale; payouts start in the next 2 months.",
    "You earn 10% per sale; payouts start in the next 2 months.",
])
def test_a_delay_before_payouts_caps_nothing(text: str) -> None:
    assert _field(text, "recurring_months") is None


# --- recurring: a friend's first purchase that triggers a flat reward says nothing about renewals -------------------

@pytest.mark.parametrize("text", [
    "Once the referred customer makes their first purchase the referrer receives $10 in their wallet.",
    "When your friend completes their first order, you both get a £20 voucher.",
    "After your friend places their first booking we send you a $15 gift card.",
])
def test_a_flat_reward_triggered_by_a_first_purchase_has_no_recurrence(text: str) -> None:
    assert _field(text, "recurring") is None


@pytest.mark.parametrize("text", [
    "You earn 10% when the customer places their first order.",
    "Affiliates receive 25% commission once the referral makes their first payment.",
])
def test_a_percent_of_a_first_purchase_is_paid_once(text: str) -> None:
    assert _field(text, "recurring") is False


# --- frequency: a payout the referrer asks for ----------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "Payout requests may be made 48 hours after the last sale. Payments are made via PayPal.",
    "To apply for and receive your reward, please contact our support team with your PayPal address.",
    "Contact our support team to request your payout.",
    "Withdrawal requests can be submitted from your dashboard; we pay through Payoneer.",
    "You can withdraw earnings once you reach the minimum threshold of $50.",
    "Once the balance reaches $50, you will be able to withdraw the funds to your Stripe account.",
])
def test_a_payout_the_referrer_asks_for_is_on_request(text: str) -> None:
    assert _field(text, "frequency") == "on-request"


@pytest.mark.parametrize("text, frequency", [
    ("Contact our support team if you have questions about payments.", None),
    ("You can withdraw your earnings via PayPal.", None),
    ("Commissions are paid monthly; payout requests can be made from the dashboard.", "monthly"),
    ("Payments are processed a month after the sale and then paid at the end of that month.", "monthly"),
])
def test_on_request_look_alikes_and_a_fixed_schedule_that_wins(text: str, frequency: str | None) -> None:
    assert _field(text, "frequency") == frequency


# --- recurring: a commission said not to repeat, or paid as long as the customer pays --------------------------------

@pytest.mark.parametrize("text", [
    "We will not pay any repeat commission on further loans to the same borrower.",
    "We pay a single introductory commission of 1% of the loan.",
    "Affiliates earn 10% of the order value. No further commissions are paid on later orders.",
])
def test_a_commission_that_does_not_repeat_is_one_time(text: str) -> None:
    assert _field(text, "recurring") is False


@pytest.mark.parametrize("text", [
    "You earn 10% as long as the referred client pays.",
    "These credits continue to apply as long as that referred client pays.",
    "Partners keep earning 20% for as long as the customer renews.",
])
def test_a_commission_paid_as_long_as_the_customer_pays_is_lifetime(text: str) -> None:
    assert _field(text, "lifetime") is True


@pytest.mark.parametrize("text", [
    "As long as a customer purchases within 30 days of the click, you get credit for the sale.",
    "You can apply one referral coupon to your next order, as long as the order has not shipped.",
])
def test_as_long_as_a_purchase_is_a_condition_not_a_lifetime(text: str) -> None:
    assert _field(text, "lifetime") is None


# --- methods: "checks" as a verb is no cheque ----------------------------------------------------------------------

@pytest.mark.parametrize("text, methods", [
    ("Our system checks to ensure that each client has paid; payouts are sent via PayPal.", ["paypal"]),
    ("The software checks whether the referral paid before any payout is made by bank transfer.", ["bank"]),
    ("Payouts are sent by check or PayPal.", ["check", "paypal"]),
    ("The network issues checks for the previous month's sales on the 20th.", ["check"]),
])
def test_checks_as_a_verb_is_no_cheque(text: str, methods: list[str]) -> None:
    assert _field(text, "methods") == methods


# --- methods: credit, a brand balance or a brand wallet listed as one way of being paid ---------------------------------

@pytest.mark.parametrize("text, methods", [
    ("Get paid monthly via bank transfer, PayPal, Payoneer, or Zumo Wallet.", ["bank", "payoneer", "paypal", "store_credit"]),
    ("Payouts - Methods: PayPal, Bank Transfer, Credits - Minimum: $50", ["bank", "paypal", "store_credit"]),
    ("Rewards are issued as either: lesson credit, or bank transfer.", ["bank", "store_credit"]),
    ("Payout methods | PayPal | Account Credit | Wire", ["paypal", "store_credit", "wire"]),
])
def test_credit_listed_beside_other_ways_of_paying_is_store_credit(text: str, methods: list[str]) -> None:
    assert _field(text, "methods") == methods


@pytest.mark.parametrize("text, methods", [
    ("Payment can be transferred by debit/credit, bank, or PayPal.", ["bank", "paypal"]),
    ("There is a holdback period to allow for product returns, credits, chargebacks, etc. Payments are made via PayPal.",
     ["paypal"]),
    ("Your affiliate balance, or PayPal, both work.", ["paypal"]),
    ("Payments are made in these ways: panel, wallet, PayPal.", ["paypal"]),
    # with no cash method beside it, a listed credit may be any reward in kind
    ("Your reward: 5,000 HUF, or SMS credit, or a free month.", None),
])
def test_a_card_a_refund_or_the_affiliate_balance_in_a_list_is_no_store_credit(text: str, methods: list[str]) -> None:
    assert _field(text, "methods") == methods


# --- restrictions: email named only as the channel of spam bans spam, not email marketing -------------------------------

@pytest.mark.parametrize("text, restrictions", [
    ("It is forbidden to spread the link with spam in any form, both by email and via messengers.", ["no-spam"]),
    ("Bulk mailing to people who do not want the email is not permitted.", ["no-spam"]),
    ("You may not send unsolicited bulk email.", ["no-spam"]),
    ("Spamming by email or SMS is prohibited.", ["no-sms", "no-spam"]),
])
def test_email_as_the_channel_of_spam_is_no_email_ban(text: str, restrictions: list[str]) -> None:
    assert _field(text, "restrictions") == restrictions


@pytest.mark.parametrize("text", [
    "No spam. No email marketing.",
    "No spamming, or any type of email promotion is allowed.",
])
def test_spam_and_email_banned_side_by_side_stay_two_bans(text: str) -> None:
    assert _field(text, "restrictions") == ["no-email", "no-spam"]


# --- cookie_days: a deadline counted from the friend's sign-up is no attribution window ----------------------------------

@pytest.mark.parametrize("text", [
    "Your friend deposits NZ$100 or more into their wallet within 30 calendar days of commencing their sign up, and you "
    "both get a reward tracked through your link.",
    "Through your link, a first purchase of at least $20 within 90 days after the referral opens an account earns you $10.",
    "You receive commission within 30 days after your referral has registered on the site via your link.",
])
def test_a_deadline_from_the_sign_up_is_no_cookie(text: str) -> None:
    assert _field(text, "cookie_days") is None


@pytest.mark.parametrize("text", [
    "Customers who click your link and buy within 30 days are credited to you.",
    "The cookie lasts 30 days after the click.",
])
def test_a_window_from_the_click_is_still_the_cookie(text: str) -> None:
    assert _field(text, "cookie_days") == 30.0

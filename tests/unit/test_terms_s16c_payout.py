"""Session 16, third pass (helper "pay3"): payout-side false positives and misses on rounds 48-49 (a rate's recurrence
read as a payday, "paid ads", a replaced schedule, a deposit or subscription read as a minimum, a method the buyer pays
with or one no longer offered, Indonesian schedules); each test fails on the second pass's code. Example sentences are
written for the tests."""
from matrix.normalize.terms import extract_terms


def d(text: str) -> dict:
    return extract_terms(text).as_dict()


def test_schedule_word_after_a_rate_is_the_commissions_recurrence():
    got = d("- Seller pays subscription → Commission starts accruing - Partners earn 20% monthly for 6 months - Balance "
            "shows in dashboard")
    assert got["frequency"] is None
    # a payday stated plainly still counts
    assert d("Commissions are paid monthly via PayPal.")["frequency"] == "monthly"


def test_a_monthly_commission_earned_is_no_payout_schedule():
    got = d("You will receive a monthly team commission for each member's orders in your own downline.To receive the "
            "commissions, you must be active.")
    assert got["frequency"] is None
    assert d("You will receive monthly commission payments by bank transfer.")["frequency"] == "monthly"


def test_paid_ads_is_no_payment_context():
    assert d("Affiliates cost less than paid ads. Teams save hours every week with automation.")["frequency"] is None
    assert d("Earnings are paid every week.")["frequency"] == "weekly"


def test_schedule_replaced_by_on_demand_payouts():
    got = d("Members can now ask for a withdrawal whenever they like instead of waiting for weekly payouts.")
    assert got["frequency"] != "weekly"
    assert d("We moved to payouts on request rather than the monthly payout run.")["frequency"] == "on-request"


def test_deposit_or_subscription_of_at_least_is_no_payout_minimum():
    got = d("To be a Qualified Referee, your invitee must: Register using your referral link | Complete a cumulative "
            "deposit of at least 200 USDT (or equivalent) | Trade within 30 days of registration")
    assert got["payout_minimum"] is None
    got = d("You will receive a team commission for each member's orders.To receive the commissions, you must be active, "
            "which means you must have a valid monthly subscription of at least 40 € + VAT.")
    assert got["payout_minimum"] is None
    assert d("Payouts are sent once your balance reaches at least $40.")["payout_minimum"] == 40


def test_what_the_buyer_pays_with_is_no_payout_method():
    got = d("No commission is due on orders paid with promo codes, loyalty points, store credit, or gift certificates.")
    assert not got["methods"]
    got = d("Purchases made using coupons, store credit or gift cards earn no commission; commissions are paid via PayPal.")
    assert got["methods"] == ["paypal"]
    # the reward itself paid as store credit is kept
    got = d("You will earn 10% of all purchases made with your personal code as store credit. Rewards are issued monthly.")
    assert got["methods"] == ["store_credit"]


def test_method_no_longer_supported():
    got = d("Commissions are paid on the 5th of each month by bank transfer. Payment by Payoneer is no longer supported.")
    assert got["methods"] == ["bank"]


def test_indonesian_weekly_and_biweekly_schedules():
    assert d("Komisi akan dibayarkan melalui dompet digital setiap 1 minggu sekali.")["frequency"] == "weekly"
    assert d("Komisi akan dibayarkan setiap 2 (dua) minggu sekali.")["frequency"] == "biweekly"
    assert d("Komisi dibayarkan tiap dua minggu.")["frequency"] == "biweekly"


def test_minimum_currency_given_as_a_labelled_field():
    got = d("Minimum payout: 25, currency: EUR. Payouts are sent monthly.")
    assert (got["payout_minimum"], got["payout_currency"]) == (25, "EUR")
    assert d("threshold: {amount: 100, currency: GBP}")["payout_currency"] == "GBP"


def test_efts_in_the_plural_are_bank_transfers():
    assert d("Affiliate payouts are sent as EFTs each month.")["methods"] == ["bank"]

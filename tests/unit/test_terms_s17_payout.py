"""Session 17 (helper "pay4"): payout-side false positives and misses on rounds 50-51 (a negative balance read as a
minimum, credits the customer buys, the merchant's Stripe customer balance, code harvesting, a "brand + coupon" keyword,
unsolicited messages, a cookie label with a foreign unit, leads that stay active, IBAN and withdrawal requests in
Turkish and Polish, credits earned); each test fails on the code before the session. Example sentences are written
for the tests."""
from matrix.normalize.terms import extract_terms


def d(text: str) -> dict:
    return extract_terms(text).as_dict()


def test_negative_balance_written_off_is_no_minimum():
    got = d("We absorb negative balances of publishers, up to and including €200 per reporting period.")
    assert got["payout_minimum"] is None and got["payout_currency"] is None
    assert d("Negative balances that exceed $150 are carried to the next period.")["payout_minimum"] is None
    # a minimum named after the debt rule in the same sentence still counts
    assert d("Negative carryover applies and payouts require a $50 minimum.")["payout_minimum"] == 50


def test_credits_the_customer_buys_are_no_payout_method():
    got = d("You earn 10% of what your referral spends. If your friend buys $500 in credits, you are paid as they "
            "use them.")
    assert got["methods"] is None
    assert d("You earn $20 in credits for every friend who signs up.")["methods"] == ["store_credit"]


def test_stripe_customer_balance_is_the_merchants_billing():
    got = d("Referrer gets a $10 credit after the friend's first payment - credits go to the Stripe customer balance")
    assert got["methods"] == ["store_credit"]
    assert d("Affiliate payouts are sent via Stripe Connect every month.")["methods"] == ["stripe"]


def test_code_harvesting_is_a_fraud_not_incentive_traffic():
    assert d("Prohibited: - Toolbars - Cookie stuffing - Voucher/incentive harvesting")["restrictions"] == ["no-toolbar"]
    assert "no-incent" in d("Prohibited: incentive traffic, toolbars.")["restrictions"]


def test_brand_plus_coupon_keyword_is_no_coupon_site_ban():
    got = d("Affiliates may NOT: | Use unapproved promo codes. | Bid on Acme brand terms in PPC. | Use “Acme + coupon” "
            "or similar phrases in paid search.")
    assert "no-coupon" not in (got["restrictions"] or [])
    assert "no-coupon" in d("No coupon sites. Do not bid on “Acme + coupon”.")["restrictions"]


def test_sending_unsolicited_messages_is_spam():
    got = d("Buy our brand name in ads. | Send unsolicited emails or text messages to anyone. | Lie about our prices.")
    assert "no-spam" in got["restrictions"]
    assert d("Members must follow current laws regarding unsolicited email.")["restrictions"] is None
    assert d("Unlike bulk email tools, we track every click.")["restrictions"] is None


def test_cookie_label_with_a_unit_of_another_language():
    assert d("Commission: - Base: 12% - Starter bonus: +3% (ilk 2 ay) - Cookie: 45 gün")["cookie_days"] == 45
    assert d("Rate 8% - Cookie duration: 60 Tage")["cookie_days"] == 60


def test_leads_that_stay_active_after_the_click():
    assert d("The commission is 12%. Leads remain active for 60 days after the first click.")["cookie_days"] == 60
    assert d("Clicks stay valid for 14 days.")["cookie_days"] == 14
    assert d("Commissions are held for 30 days after the click.")["cookie_days"] is None


def test_iban_in_another_language_is_a_bank_payout():
    assert d("Kazançlarınızı almak için ödeme sayfasında IBAN numaranızı girin.")["methods"] == ["bank"]


def test_withdrawal_request_in_turkish_and_withdrawing_in_polish():
    got = d("Para çekme talebinizden sonra tutar 2 iş günü içinde banka hesabınıza gönderilir.")
    assert got["frequency"] == "on-request" and got["methods"] == ["bank"]
    got = d("Za każdy zakup dostajesz 15% prowizji, a środki wypłacasz sam, od 100 PLN.")
    assert got["frequency"] == "on-request" and got["payout_minimum"] == 100


def test_credits_earned_by_the_referrer_are_store_credit():
    assert d("Invite a teammate: you both earn 250 bonus credits.")["methods"] == ["store_credit"]
    assert d("Your friend instantly receives 300 bonus credits after signing up.")["methods"] is None

"""Session 15: general phrasings learnt from the misses of rounds 44-45 (each test fails on the session-14 extractor)."""
from matrix.normalize.terms import extract_terms


def d(text: str) -> dict:
    return extract_terms(text).as_dict()


def test_rate_of_a_referral_link_in_a_directory_line():
    got = d("Acme Notes - affiliate details 25% referral link, instant approval, 14-day tracking")
    assert got["percent"] == [25.0, 25.0] and got["model"] == "percent" and got["payout_type"] == "cps"


def test_percent_with_a_minus_sign_is_a_price_cut():
    got = d("Followers get −15% on the Studio plan with your code.")
    assert got["percent"] is None and got["model"] is None
    # a hyphen bullet glued to a rate is no minus sign
    assert d("Why join? -5% commission on every order -45 day cookie")["percent"] == [5.0, 5.0]


def test_rate_after_versus_is_someone_elses():
    got = d("Pros: commissions lower than eBay (2-4% vs 5-6%) but steady demand")
    assert got["percent"] == [2.0, 4.0]


def test_markup_the_affiliate_sets_is_no_commission():
    got = d("Cleaning | 12% | Recurring commission on all cleaning jobs | Pickup | Variable | Markup set by partner (up to 80%)")
    assert got["percent"] == [12.0, 12.0] and got["recurring"] is True


def test_rate_on_their_payment_each_month_recurs():
    got = d("Invite friends and you will get an 11% commission on their payment each month.")
    assert got["recurring"] is True and got["payout_type"] == "revshare"


def test_one_off_in_brackets_and_one_time_rate():
    assert d("Level A: €5.00 per installed charger (one-off).")["recurring"] is False
    assert d("Please point us to the page with the 35% one-time rate.")["recurring"] is False


def test_amount_for_the_first_sale_is_paid_once():
    assert d("Sign up and earn up to $80 for the first sale you refer.")["recurring"] is False


def test_months_cap_for_next_and_whole_months():
    assert d("Earn 15% on every purchase your referrals make for next 9 months.")["recurring_months"] == 9
    assert d("Partner program: earn 40% for the whole three months")["recurring_months"] == 3


def test_cap_after_the_later_rate_counts_in_monthly_payments():
    got = d("80% of the first Pro payment, then 20% recurring on the next 5 monthly payments.")
    assert got["recurring_months"] == 5 and got["recurring"] is True


def test_payout_from_an_amount_is_a_minimum():
    got = d("Weekly PayPal payout from €30.")
    assert got["payout_minimum"] == 30.0 and got["payout_currency"] == "EUR" and got["flat"] is None
    got = d("Results vary. Withdrawals can be requested from 40 USD; balances are kept per currency.")
    assert got["payout_minimum"] == 40.0 and got["payout_currency"] == "USD"


def test_twice_a_month_written_2x_per_month():
    assert d("Minimum payout: $20. Payout schedule: 2x/month")["frequency"] == "semimonthly"


def test_per_new_customer_in_german_is_cpa():
    assert d("Die Provision beträgt 30€ je Neukunde.")["payout_type"] == "cpa"


def test_payout_requested_by_the_partner_in_other_languages():
    assert d("Partner może e-mailem zgłosić chęć wypłaty zgromadzonej prowizji.")["frequency"] == "on-request"
    assert d("Affiliaten begär själv efter avtal med shop.se när pengarna ska utbetalas.")["frequency"] == "on-request"
    assert d("佣金满100元后即可申请提现。")["frequency"] == "on-request"


def test_earnings_claims_are_misleading():
    got = d("Rules | No spam | No exaggerated income claims | Disclose the link")
    assert "no-misleading" in (got["restrictions"] or [])


# --- second pass (session 15) --------------------------------------------------------------------------------------


def test_denied_schedule_is_no_schedule():
    got = d("Cash out any time from a $25 balance, no weekly cycle.")
    assert got["frequency"] == "on-request"


def test_commission_on_the_customers_payment_each_month_is_no_payout_date():
    got = d("You will get a 20% commission on their payment each month.")
    assert got["frequency"] is None and got["recurring"] is True


def test_hebrew_months_noun_is_no_monthly_schedule():
    got = d("עמלות ישולמו בתנאי שהלקוחות השלימו בשירות לפחות 6 חודשים מלאים.")
    assert got["frequency"] is None


def test_chinese_dollar_minimum_and_coin_payout():
    got = d("当您的佣金累计达到100美元后即可申请提现，我们会向您的钱包支付等额的 USDT。")
    assert got["payout_minimum"] == 100.0 and got["payout_currency"] == "USD"
    assert "crypto" in got["methods"]


def test_minimum_in_a_value_cell_after_its_label_cell():
    got = d("| Ödeme Sıklığı | Haftalık | | Minimum Ödeme Tutarı | ₺250 | | Ödeme Yöntemi | Havale |")
    assert got["payout_minimum"] == 250.0 and got["payout_currency"] == "TRY"


def test_all_purchases_of_the_customer_in_other_languages_are_lifetime():
    got = d("Evet, davet ettiğiniz müşterinin tüm siparişlerinden komisyon kazanırsınız.")
    assert got["lifetime"] is True and got["recurring"] is True


def test_sanction_after_the_list_bans_brand_bidding():
    got = d("Spamming, bidding on our brand keywords in Google Ads, and misleading claims void the commission.")
    assert {"no-spam", "no-brand-bidding", "no-misleading"} <= set(got["restrictions"] or [])


def test_amount_for_the_first_sale_is_cps():
    assert d("Join and earn up to $50 for the first sale you refer.")["payout_type"] == "cps"


def test_first_payments_within_a_span_cap_the_recurring_commission():
    got = d("Details: - 30% recurring commission - First 6 paid subscription payments within 6 months - 30-day cookie")
    assert got["recurring_months"] == 6


def test_referred_user_who_converts_within_days_is_the_window():
    got = d("For every referred customer who subscribes within 45 days, you get a free month.")
    assert got["cookie_days"] == 45.0


def test_bare_day_window_item_in_a_program_summary():
    got = d("30% commission on every sale. 60-day window, payouts after the 30-day refund period.")
    assert got["cookie_days"] == 60.0


def test_coupon_percent_in_another_language_is_no_rate():
    got = d("Provisionen är 8 % på varje köp. Din rabattkod kommer att ge kunden 15 % och är unik för dig.")
    assert got["percent"] == [8.0, 8.0]


def test_increment_of_a_rate_is_no_rate():
    got = d("邀请奖励比例为 15%，每增加 1 个有效邀请人数，奖励比例增加 2%。")
    assert got["percent"] == [15.0, 15.0]

"""Session 16, second pass (helper "pay2"): payout-side phrasings left after the first pass on rounds 46-47 (store credit
kept in the product, on-chain payouts, attribution windows without the word cookie, minimum, schedule, restrictions);
each test fails on the first pass's code. Example sentences are written for the tests."""
from matrix.normalize.terms import extract_terms


def d(text: str) -> dict:
    return extract_terms(text).as_dict()


def test_reward_credited_to_the_referrers_wallet_or_as_program_coins():
    assert d("When the friend pays, the system credits the referrer's wallet with $5.")["methods"] == ["store_credit"]
    assert d("Payment Type: Credited as Zappo coins (Z) to wallet")["methods"] == ["store_credit"]
    # a coin of a real chain is crypto, and the wallet yields to it
    assert d("Rewards are credited as USDT tokens to your wallet.")["methods"] == ["crypto"]


def test_payout_in_goods_or_services():
    assert d("Payouts are made as cash or as goods/services (credit), after verification.")["methods"] == ["store_credit"]


def test_store_credit_in_other_languages():
    assert d("Vous pouvez gagner de l'argent sous forme de crédit Acme pour chaque commande.")["methods"] == ["store_credit"]
    assert d("Hoa hồng được cộng vào số dư ví mỗi tháng.")["methods"] == ["store_credit"]
    assert d("Số dư hoa hồng không thể rút tiền mặt. Chỉ được sử dụng trong hệ thống của chúng tôi.")["methods"] \
        == ["store_credit"]
    assert "store_credit" in d("佣金每月结算一次，可提现或抵扣续费。")["methods"]
    assert "store_credit" in d("Вознаграждением можно оплатить свою подписку или вывести на карту.")["methods"]
    assert "store_credit" in d("Кэшбэк с оплат друзей: тратьте в приложении или выводите деньгами.")["methods"]


def test_payout_made_on_chain():
    assert d("The referral payout is on-chain and automatic.")["methods"] == ["crypto"]
    got = d("Fee share: 2% (set in the smart contract) - Payment Method: Sent directly to partner address")
    assert got["methods"] == ["crypto"]
    # a cheque sent to a postal address on a page with no chain word is no crypto
    assert d("Checks are sent to the affiliate's address on file.")["methods"] == ["check"]


def test_rewards_deposited_in_a_coin():
    assert d("- claimed rewards are deposited in USDC to your trading balance")["methods"] == ["crypto"]


def test_attribution_window_in_a_list_of_conditions():
    got = d("A lesson booking is attributed to a tutor when: 1. The request arrived with ref=tutor, AND 2. The booking "
            "is confirmed within 45 days of the first request.")
    assert got["cookie_days"] == 45
    # a refund window under the same heading is no cookie
    assert d("A sale is credited to you if: - the refund window of 30 days has passed")["cookie_days"] is None


def test_referral_code_kept_in_browser_storage():
    assert d("Tracking: the ref parameter is saved in browser storage (30 day retention).")["cookie_days"] == 30
    assert d("The referral code is kept in local storage for 60 days.")["cookie_days"] == 60


def test_minimum_fee_is_no_payout_minimum():
    assert d("Payouts: weekly. Minimum Fee: $1")["payout_minimum"] is None
    assert d("Minimum payout is $50. A minimum fee of $2 is charged per withdrawal.")["payout_minimum"] == 50


def test_letter_defined_as_the_programs_unit_is_no_currency():
    got = d("Rewards are credited as Acme coins (N) to your wallet. Minimum Payout: N5")
    assert got["payout_minimum"] == 5 and got["payout_currency"] is None
    assert d("Minimum payout: N5,000 by bank transfer.")["payout_currency"] == "NGN"


def test_receiving_the_money_is_a_payout():
    got = d("You can receive the money when you gain $100 or more. If you want to receive the money, you earned, "
            "contact the help desk.")
    assert got["payout_minimum"] == 100 and got["payout_currency"] == "USD"
    assert got["frequency"] == "on-request"


def test_threshold_value_given_as_an_illustration():
    got = d("- Commissions are paid out monthly once a minimum threshold (e.g., $75) is reached.")
    assert got["payout_minimum"] == 75 and got["frequency"] == "monthly"


def test_monthly_recurring_and_the_customers_monthly_fee_are_no_schedule():
    assert d("Die Provision beträgt 15% des monatlichen Kundenentgelts.")["frequency"] is None
    assert d("Die Provision wird monatlich wiederkehrend gutgeschrieben.")["frequency"] is None


def test_brand_keywords_as_a_numbered_rule_title():
    got = d("6.1. Spam: Enviar mensagens em massa. 6.2. Anúncios em Palavras-Chave da Marca: Comprar anúncios com o "
            "nome da nossa marca.")
    assert set(got["restrictions"]) == {"no-spam", "no-brand-bidding"}


def test_channel_allowed_where_appropriate_is_no_ban():
    got = d("Don't: - Share your link in forums or social media (unless appropriate) - Spam strangers")
    assert got["restrictions"] == ["no-spam"]


def test_no_monetary_incentive_means_nothing_is_paid():
    assert d("Anti-abuse: 1. Rate limits 2. No monetary incentive: recognition only, no payments")["restrictions"] is None


def test_credits_counted_under_a_cap_are_no_method():
    assert d("- Credit only on first payment - Max 5 referral credits per month per account")["methods"] is None

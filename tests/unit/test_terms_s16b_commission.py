"""Session 16, second pass (commission side): general phrasings learnt from the misses of rounds 46-47 left by the
first pass; each test fails on the first pass's extractor. Example sentences are written for the tests."""
from matrix.normalize.terms import extract_terms


def d(text: str) -> dict:
    return extract_terms(text).as_dict()


def test_levels_named_by_letters_are_overrides():
    got = d("Every order of the shoppers you bring pays you 12% at level A, 3% at level B and 1% at level C.")
    assert got["percent"] == [12.0, 12.0] and got["tiers"] is None


def test_rate_paid_down_through_levels_is_an_override():
    got = d("You earn 25% commission on your customers' orders, and 5% on the sales of theirs, down through four (4) levels.")
    assert got["percent"] == [25.0, 25.0] and got["tiers"] is None


def test_chinese_second_level_heading_labels_the_rates_after_it():
    got = d("直接推荐 - 每位付费用户 → 返佣12% 二级推荐 - 下线用户付费 → 返佣3%")
    assert got["percent"] == [12.0, 12.0]


def test_chinese_rungs_by_number_of_people_referred_are_tiers():
    got = d("推荐2人付费 → 获得8%返佣 - 推荐6人付费 → 获得12%返佣")
    assert got["percent"] == [8.0, 12.0] and got["tiers"] == [8.0, 12.0]


def test_cashback_on_what_the_referred_people_pay_is_the_commission():
    got = d("Кэшбэк с каждой оплаты приглашённых друзей — 15% на баланс.")
    assert got["percent"] == [15.0, 15.0] and got["recurring"] is True
    # a customer's cashback stays a decoy
    assert d("Кэшбэк 5% с каждой покупки в нашем магазине.")["percent"] is None


def test_flat_ladder_per_referral_on_a_foreign_page():
    got = d("Plano escalonado: 1ª referral: R$ 5 2-10ª referral: R$ 8 cada 11ª+ referral: R$ 12 cada")
    assert got["flat"] == [5.0, 12.0] and got["currency"] == "BRL" and got["payout_type"] == "cpa" and got["tiers"] is None


def test_amount_a_raised_reward_replaces_is_a_rung():
    got = d("Top partners (10+ referrals) - $60 per referral (instead of $40) - priority support")
    assert got["flat"] == [40.0, 60.0] and got["currency"] == "USD"
    # an old amount a promotion raised is no longer paid
    assert d("For a limited time you receive a $30 credit (up from $15) for each referral.")["flat"] == [30.0, 30.0]


def test_referrer_line_of_a_two_sided_reward_list():
    got = d("When the friend signs the contract: - Referrer: £40 cashback - New customer: £25 off the first invoice")
    assert got["flat"] == [40.0, 40.0] and got["currency"] == "GBP" and got["payout_type"] is None


def test_reward_noun_then_referrer():
    got = d("How it works: $15 credit referrer + $15 credit new team account, once the team pays.")
    assert got["flat"] == [15.0, 15.0] and got["model"] == "flat"


def test_rate_table_before_its_commission_line():
    got = d("| Basic | First 6 months | 15% | | Agency (high volume) | First 6 months | 25% | - Commissions recur on "
            "every payment of the customer for the 6-month window.")
    assert got["percent"] == [15.0, 25.0] and got["tiers"] == [15.0, 25.0] and got["recurring_months"] == 6
    # a table of discounts stays out
    assert d("| Basic | 15% off | | Agency | 25% off | - Commissions are paid monthly.")["percent"] is None


def test_vietnamese_indirect_referral_amount_is_an_override():
    got = d("Khi người bạn giới thiệu tiếp tục giới thiệu shop khác → bạn nhận 200.000đ/giới thiệu gián tiếp.")
    assert got["flat"] is None and got["model"] is None


def test_portuguese_per_successful_referral_is_cpa():
    got = d("Além disso: - Maria ganha uma comissão de referência: R$ 15 por referência bem-sucedida")
    assert got["flat"] == [15.0, 15.0] and got["payout_type"] == "cpa"


def test_serbian_rate_by_number_of_clients_table_is_tiers_in_table_order():
    got = d("Partneri mogu da zarade do 40% provizije prema tabeli: Broj klijenata | 0 - 5 | 6 - 20 | 21 + | "
            "Stopa provizije | 20% | 30% | 40%")
    assert got["tiers"] == [20.0, 30.0, 40.0]


def test_share_of_revenues_received_during_the_term_recurs():
    got = d("We shall pay you a percentage of gross revenues received during the term of this Agreement.")
    assert got["recurring"] is True and got["payout_type"] == "revshare"


def test_russian_for_example_in_one_word_marks_a_worked_case():
    got = d("Например, с оплаты 500 ₽ вам начислится 150 ₽. Вознаграждение считается от оплаченной суммы.")
    assert got["flat"] is None and got["model"] is None


def test_balance_spent_on_own_renewal_is_no_renewal_commission():
    got = d("佣金发放 - 每月结算 - 打入账户余额 - 可提现或抵扣续费")
    assert got["recurring"] is None


def test_fixed_payment_per_unit_without_a_figure_is_a_flat_model():
    got = d("Partners receive a fixed cash payment for each referred customer who completes a first order.")
    assert got["model"] == "flat" and got["flat"] is None and got["payout_type"] == "cpa"
    got = d("Партнёр получает фиксированное вознаграждение за каждую продажу курса.")
    assert got["model"] == "flat" and got["payout_type"] == "cps"


def test_amount_cell_after_a_reward_per_unit_cell():
    got = d("| Partner | Deal | USD | EUR | | agency | 25% recurring share of revenue | 25% | same | "
            "| creator | flat bounty per paid signup | $8 | €7 |")
    assert got["model"] == "hybrid" and got["flat"] == [8.0, 8.0] and got["currency"] == "USD"


def test_months_cap_closing_a_recurring_phrase_after_a_comma():
    assert d("Agencies earn a 25% recurring share of revenue, 18 months.")["recurring_months"] == 18


def test_a_period_counted_from_the_first_order_is_not_one_time():
    got = d("Pagamos una comisión de 20 € por cada tienda referida, abonada desde el día de su primer pedido.")
    assert got["recurring"] is None


def test_cashback_column_beside_referred_revenue_is_a_tiered_commission():
    got = d("| total referred revenue | cashback |\n|---|---|\n| from $0 | 8% |\n| from $20,000 | 11% |\n"
            "| from $50,000 | 14% |")
    assert got["percent"] == [8.0, 14.0] and got["tiers"] == [8.0, 11.0, 14.0]
    # a customer's cashback by plan stays out
    assert d("| Plan | Price | Cashback |\n|---|---|---|\n| Pro | $20 | 5% |\n| Team | $50 | 8% |")["percent"] is None

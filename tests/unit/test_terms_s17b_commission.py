"""Session 17, fifth pass: commission side (model, percent, flat, recurring, months, lifetime, payout type) on data,
locale and template files."""

from matrix.normalize.terms import extract_terms


def _d(text: str) -> dict:
    return extract_terms(text).as_dict()


def test_amount_per_average_order_is_an_order_size():
    d = _d("Up to 12% commission on sales. $3,200 per average order. 60-day cookie.")
    assert d["flat"] is None and d["currency"] is None
    assert d["model"] == "percent"
    assert _d("Earn $15 per order you refer.")["flat"] == [15.0, 15.0]


def test_foreign_price_by_the_period_is_no_flat_reward():
    d = _d("친구가 프리미엄 구독 ($9.99/월)을 시작하면 수수료가 기록됩니다.")
    assert d["flat"] is None and d["model"] is None


def test_foreign_calculation_amounts_are_no_flat_reward():
    d = _d("결제가 완료되면 수수료가 기록됩니다 ($40 * 0.25 = $10).")
    assert d["flat"] is None and d["model"] is None and d["payout_type"] is None


def test_percentage_as_subject_of_a_conditional_is_a_design_option():
    d = _d("A percentage of each deposit would be an open-ended reward, so we chose fixed credits.")
    assert d["model"] is None and d["payout_type"] is None
    assert _d("We pay you a percentage of each sale as commission.")["model"] == "percent"


def test_what_referred_users_receive_each_month_is_no_recurring_commission():
    d = _d("Clarify the invite copy. New users receive 20GB extra storage per month, for six months after joining.")
    assert d["recurring"] is None and d["recurring_months"] is None
    assert _d("You receive commission for 6 months.")["recurring_months"] == 6


def test_rate_glossed_in_brackets_per_month_recurs():
    d = _d("You will get 15% (percent) per month of the subscription fee your referral pays.")
    assert d["recurring"] is True and d["payout_type"] == "revshare"


def test_every_time_someone_you_referred_pays_recurs():
    d = _d("Rewards: every time someone you have referred tops up their wallet you earn 8% of what they add.")
    assert d["recurring"] is True and d["payout_type"] == "revshare"


def test_bracketed_validity_of_a_fee_rebate_caps_the_months():
    d = _d("Referrers earn 20% of the trading fees paid by their invitees (valid for 180 days after registration).")
    assert d["recurring"] is True and d["recurring_months"] == 6 and d["payout_type"] == "revshare"
    assert _d("Referrers earn 20% of the trading fees (valid for 30 days).")["recurring_months"] is None


def test_czech_recurring_commission_word():
    d = _d("Získejte 25% opakující se provize z každé objednávky doporučeného klienta.")
    assert d["recurring"] is True and d["payout_type"] == "revshare"
    assert _d("파트너는 추천 고객의 결제에서 지속적으로 수수료 15%를 받습니다.")["recurring"] is True


def test_czech_and_korean_while_the_customer_pays_is_lifetime():
    d = _d("Za každou registraci dostanete 15% provizi každý měsíc, dokud zákazník platí.")
    assert d["lifetime"] is True and d["recurring"] is True
    k = _d("추천한 고객이 멤버십 구독을 유지하는 동안 매달 수수료 20%를 받습니다.")
    assert k["lifetime"] is True and k["recurring"] is True


def test_polish_every_payment_in_recurs():
    d = _d("Za każdego poleconego klienta otrzymasz 15% od każdej wpłaty na jego konto.")
    assert d["recurring"] is True and d["payout_type"] == "revshare"


def test_period_list_item_after_a_rate_item_caps_the_months():
    d = _d("KOMİSYON: - Abonelik: %25/ay - 12 ay boyunca")
    assert d["recurring"] is True and d["recurring_months"] == 12


def test_only_on_the_first_purchase_is_one_time_without_a_rate():
    d = _d("Komisyon kuralları: - Sadece davet edilen kullanıcı ilk paketini satın aldığında - Oran panelden belirlenir")
    assert d["recurring"] is False
    # "only for the first purchase" said of a discount is no one-time commission
    sleva = _d("Přítel zadá kód doporučení. Sleva platí pouze pro první nákup. Provize se řídí ceníkem.")
    assert sleva["recurring"] is None


def test_as_long_as_a_possessive_subject_stays_active_is_lifetime():
    d = _d("Is the commission recurring? Yes: as long as the member's plan stays active, you keep earning each month.")
    assert d["lifetime"] is True and d["recurring"] is True


def test_labelled_rate_given_as_a_cap():
    d = _d("Partner levels - Futures: Up to 35% of referral futures trading fees;")
    assert d["percent"] == [None, 35.0] and d["model"] == "percent" and d["payout_type"] == "cps"


def test_flat_reward_for_successfully_referring_a_named_customer_is_cpa():
    d = _d("Partners can earn $300 for successfully referring a new Acme merchant to our platform.")
    assert d["flat"] == [300.0, 300.0] and d["payout_type"] == "cpa"


def test_dotted_clause_number_before_a_percent_heading_is_no_rate():
    d = _d("4.3 Procento odměny určuje Provozovatel. Základní provize je 8 % z každé objednávky.")
    assert d["percent"] == [8.0, 8.0]


def test_bonus_column_of_a_table_without_header_rule_holds_no_rates():
    d = _d("| Level | Referrals | Commission Rate | Welcome Bonus | | Starter | 0-4 | 12% | 50% | | Pro | 5+ | 18% | 50% |")
    assert d["percent"] == [12.0, 18.0]
    assert d["tiers"] == [12.0, 18.0]

"""Session 16 (commission side): general phrasings learnt from the misses of rounds 46-47; each test fails on the
session-15 extractor. Example sentences are written for the tests, not copied from the corpus."""
from matrix.normalize.terms import extract_terms


def d(text: str) -> dict:
    return extract_terms(text).as_dict()


def test_a_monthly_commission_recurs():
    assert d("Join today and start earning a monthly commission from every studio that subscribes.")["recurring"] is True
    # the payout schedule of commissions is not a recurring commission
    assert d("You will get monthly commission and bonus payments sent to your PayPal account.")["recurring"] is None


def test_a_rate_on_what_the_customer_pays_every_month_recurs():
    got = d("We pay a 15% commission on whatever your referrals are paying, every month.")
    assert got["recurring"] is True and got["payout_type"] == "revshare"


def test_every_order_of_every_referred_person_is_lifetime():
    got = d("Every purchase by each customer you introduce pays you 12% commission.")
    assert got["recurring"] is True and got["lifetime"] is True


def test_all_deposits_of_referred_people_are_lifetime():
    got = d("All deposits made by your referred traders earn you a 7% referral commission.")
    assert got["recurring"] is True and got["lifetime"] is True


def test_a_recurrence_label_cell_answered_no():
    got = d("| Commission | 25% of each sale | | Recurring | No |")
    assert got["recurring"] is False and got["payout_type"] == "cps"
    got = d("| Commission | 25% of each sale | | Renewals | Only the first payment earns a commission |")
    assert got["recurring"] is False
    # a label answered yes still recurs
    assert d("| Commission | 25% of each sale | | Recurring | Yes, 12 months |")["recurring"] is True


def test_metal_rung_cells_make_rate_rows_tiers():
    got = d("| Bronze Partner | 1 – 9 Clinics | 15% commission | | Silver Partner | 10 – 24 Clinics | 20% commission |")
    assert got["tiers"] == [15.0, 20.0]


def test_lifetime_tier_beats_a_months_cap_of_a_lower_tier():
    got = d("| Silver Partner | 1 – 9 Shops | 20% Monthly Recurring (12 months) | | "
            "Gold Partner | 10+ Shops | 30% Lifetime Recurring |")
    assert got["lifetime"] is True and got["recurring_months"] is None
    # one rate with both words in one clause keeps the cap
    assert d("Earn 20% lifetime recurring commission for 12 months.")["recurring_months"] == 12


def test_recurring_share_wins_over_a_bounty_word():
    got = d("25% recurring commission on every subscription | $150 one-time bounty for every agency you sign up")
    assert got["payout_type"] == "revshare"


def test_months_eligibility_window_caps_recurring():
    got = d("Partners earn 10% of each payment for the referred team. The first payment starts a 12-month "
            "eligibility window.")
    assert got["recurring_months"] == 12


def test_german_as_long_as_the_referred_customer_pays():
    got = d("Der Partner erhält 15% Provision, wiederkehrend, solange der geworbene Kunde sein Abo bezahlt.")
    assert got["lifetime"] is True


def test_hebrew_construct_commission_word():
    got = d("עמלת שותף תעמוד על 25% מכל מכירה ששולמה בפועל.")
    assert got["percent"] == [25.0, 25.0]


def test_hungarian_we_pay_and_threshold_tiers():
    got = d("Minden vásárlás után 25%-ot fizetünk, amennyiben elérte a forgalom a 100.000 Ft-ot. "
            "A 100.000 Ft-os határig 15%-ot fizetünk.")
    assert got["percent"] == [15.0, 25.0] and got["tiers"] == [25.0, 15.0]


def test_russian_repeat_purchases_recur():
    got = d("За первую оплату приглашённого — 30%; за повторные — 10%. Начисления идут на баланс.")
    assert got["recurring"] is True


def test_russian_for_all_time():
    got = d("Вознаграждение партнёра: 25% со всех платежей клиента за всё время.")
    assert got["lifetime"] is True


def test_japanese_referral_fee_is_a_commission():
    got = d("紹介手数料：成約金額の12%")
    assert got["percent"] == [12.0, 12.0]


def test_chinese_renewal_share_cell_answered_none():
    got = d("您推荐的用户首次付款时，您将获得 15% 的分成。| 首单分成 | 15% | | 续费分成 | 无 |")
    assert got["recurring"] is False


def test_serbian_share_of_revenue_recurs():
    got = d("Partneri mogu da zarade deo prihoda do 30% provizije za svakog klijenta.")
    assert got["recurring"] is True


def test_levels_deep_is_an_override():
    got = d("Earn 30% on your sales and 5% on the people that they refer, three levels deep.")
    assert got["percent"] == [30.0, 30.0] and got["tiers"] is None


def test_first_charge_in_brackets_is_one_time():
    assert d("Affiliate Commission (first charge) | 40%")["recurring"] is False


def test_published_percentage_without_rate_is_a_percent_model():
    got = d("The Company shall pay you the currently published percentage of net revenues as commission.")
    assert got["model"] == "percent" and got["percent"] is None


def test_billing_plan_rows_make_tiers():
    got = d("Plan | Commission | | Monthly Pro Plan | 40% | | Yearly Pro Plan | 25% |")
    assert got["tiers"] == [40.0, 25.0]

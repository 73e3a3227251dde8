"""Session 17: commission-side false positives (model, percent, tiers, recurring, months, payout type)."""

from matrix.normalize.terms import extract_terms


def _d(text: str) -> dict:
    return extract_terms(text).as_dict()


def test_top_share_of_a_products_users_is_a_rank():
    d = _d("Only the top 2% of app users each quarter may receive referral fees.")
    assert d["percent"] is None and d["model"] is None
    assert _d("Earn the top 15% tier rate on referral sales")["percent"] == [15.0, 15.0]


def test_commission_fee_beside_a_price_is_the_platforms_charge():
    d = _d("Starter plan: $0/month (plus a 4% commission fee)")
    assert d["percent"] is None and d["model"] is None
    # the affiliate's own "commission fee" stays a rate
    kept = _d("When a visitor buys the annual plan, you will earn a 20% commission fee on the subscription.")
    assert kept["percent"] == [20.0, 20.0]


def test_months_one_has_been_an_affiliate_are_no_cap_and_no_tier():
    d = _d("New partners get 6% on every sale. Partners who have been registered for over two years get 3%.")
    assert d["recurring_months"] is None and d["recurring"] is None
    assert d["tiers"] is None
    assert d["percent"] == [3.0, 6.0]
    assert d["payout_type"] == "cps"


def test_hedged_recurrence_is_not_stated():
    d = _d("Rates are set per partner; payouts might include recurring commissions on upgrades.")
    assert d["recurring"] is None
    assert _d("We pay recurring commissions on every renewal.")["recurring"] is True


def test_hedged_percentage_without_rate_is_not_stated():
    d = _d("Commission details are still open: usually a percentage of each order.")
    assert d["model"] is None and d["payout_type"] is None
    assert _d("Commission: a percentage of each order")["model"] == "percent"


def test_worked_case_over_a_rental_keeps_its_rate_out():
    d = _d("For a booking of $300 you earn $60 (20% commission).")
    assert d["percent"] is None and d["model"] is None


def test_foreign_worked_case_with_its_rate_in_brackets():
    d = _d("Przy zakupie butów za 200 PLN, zarobisz 20-30 PLN! (10-15% prowizji)")
    assert d["percent"] is None and d["model"] is None


def test_borrowed_lifetime_word_before_a_local_commission_word():
    d = _d("Partner erhalten 25 % Lifetime-Provision auf jeden Tarif, den ihre Kunden buchen.")
    assert d["lifetime"] is True and d["recurring"] is True


def test_german_as_long_as_the_subscription_stays_active_is_lifetime():
    d = _d("Sie bekommen wiederkehrende Provisionen, solange das Abo aktiv ist.")
    assert d["lifetime"] is True


def test_rate_on_members_brought_by_your_invitees_is_an_override():
    d = _d("Rung A is the 30% commission on users you invite yourself. Rung B is the 5% commission on users "
           "brought by the friends you invited.")
    assert d["percent"] == [30.0, 30.0]
    assert d["tiers"] is None


def test_turkish_members_brought_by_your_invitees_is_an_override():
    d = _d("Birinci seviye, davet ettiğiniz üyelerden kazandığınız %20'lik paydır. İkinci seviye ise davet ettiğiniz "
           "arkadaşların getirdiği üyelerden kazandığınız %5'lik paydır.")
    assert d["percent"] == [20.0, 20.0]


def test_headline_rate_a_rung_repeats_keeps_the_rung_order():
    d = _d("Default rate: 20% on every order. Tier plan: 0-10 sales: 15%, 11-50 sales: 20%, 51+ sales: 25%.")
    assert d["tiers"] == [15.0, 20.0, 25.0]


def test_portuguese_commission_paid_once_is_one_time():
    d = _d("Comissão única: paga uma vez quando o cliente indicado assina o plano.")
    assert d["recurring"] is False
    assert _d("A comissão é paga uma vez por mês.")["recurring"] is not False


def test_unit_hyphenated_to_per_names_the_payout_type():
    assert _d("Partners are paid $40 per-customer.")["payout_type"] == "cpa"
    assert _d("Partners are paid $40 per-sale.")["payout_type"] == "cps"

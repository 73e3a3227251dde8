"""Rules added after rounds 13 and 15 (session 4): families of misses, each asserted on short sentences phrased
for this test (never copied from a round).

Families: a ban word that follows what it bans in verb-final languages, adult / pop / incent / toolbar words of
other languages, brand bids phrased with quotes or "trademarked", a channel named only as the carrier or topic of
a spam rule, "referrals earn N%", a worked "So if ..." example, thresholds written "N or more" / "N minimum" /
"after accumulating N", item labels before a "label - N%" value, "1,095 days", links "good for" N days and
commissions spent in the shop.
"""

from __future__ import annotations

import pytest

from matrix.normalize.terms import extract_terms
from tests.support.terms_cases import assert_states_exactly


@pytest.mark.parametrize(("text", "expected"), [
    # the verdict after the banned material (German, Italian, Russian)
    ("Erotische oder pornografische Seiten sind vom Programm ausgeschlossen.", ["no-adult"]),
    ("Webseiten mit sexuellen Inhalten dürfen nicht teilnehmen.", ["no-adult"]),
    ("È vietato promuovere il negozio tramite pop-up o layer.", ["no-pop"]),
    ("Non è consentito il traffico incentivato.", ["no-incent"]),
    ("Запрещены любые браузерные расширения.", ["no-toolbar"]),
    # brand bidding phrased as hijacking, with the brand in quotes, or as "trademarked terms"
    ("Prohibited: brand hijacking and email-spam.", ["no-brand-bidding", "no-spam"]),
    ("Do not bid on \u201cAcme Shoes\u201d branded keywords in paid ads.", ["no-brand-bidding"]),
    ("Partners may not bid on our trademarked terms in PPC campaigns.", ["no-brand-bidding"]),
    # a site-under is a pop-under
    ("SEM: forbidden. Site-under: forbidden.", ["no-search", "no-pop"]),
    # email named as the topic or the carrier of a spam rule is not itself banned
    ('Email guidelines You may not send unsolicited email ("spam") to anyone.', ["no-spam"]),
    ('We may close accounts that engage in email "spamming".', ["no-spam"]),
])
def test_restriction_families(text, expected):
    assert_states_exactly(text, {"restrictions": expected})


def test_spam_laws_are_not_a_spam_ban():
    assert extract_terms("Email marketing is allowed but must follow spam laws.").restrictions == []


def test_referrals_earning_a_percent_is_the_commission():
    assert_states_exactly("Most referrals earn 20% of the revenue from the deal.",
                          {"model": "percent", "percent": [20.0, 20.0], "payout_type": "cps"})


def test_so_if_example_is_arithmetic_not_a_flat_amount():
    assert_states_exactly("You earn 8% on every sale. So if your blog sells $300 of products, you earn $24.",
                          {"model": "percent", "percent": [8.0, 8.0], "payout_type": "cps"})


@pytest.mark.parametrize(("text", "minimum", "currency"), [
    ("報酬の合計が3,000円以上になると、翌月末に銀行振込で支払われます。", 3000.0, "JPY"),
    ("Wypłata jest realizowana po zgromadzeniu kwoty 50 zł na koncie.", 50.0, "PLN"),
    ("O pagamento é feito quando você acumula R$ 100,00 ou mais em comissões.", 100.0, "BRL"),
    ("Payouts. Twice a month. $40 minimum. Paid by PayPal.", 40.0, "USD"),
])
def test_payout_minimum_written_after_or_as_accumulation(text, minimum, currency):
    d = extract_terms(text).as_dict()
    assert (d["payout_minimum"], d["payout_currency"]) == (minimum, currency)
    assert d["flat"] is None


def test_japanese_bank_transfer_is_bank():
    assert extract_terms("報酬の合計が3,000円以上になると、翌月末に銀行振込で支払われます。").as_dict()["methods"] == ["bank"]


def test_item_label_number_is_not_a_range_end():
    d = extract_terms("Условия для вебмастера: - Категория 1 - 4,5% - Категория 2 - 2,25%").as_dict()
    assert d["percent"] == [2.25, 4.5]


def test_thousands_in_a_duration():
    assert extract_terms("The cookie lasts 1,095 days from the first click.").as_dict()["cookie_days"] == 1095.0


def test_link_good_for_days_is_the_cookie():
    assert extract_terms("Your affiliate link is good for 45 days.").as_dict()["cookie_days"] == 45.0


def test_commission_spent_in_the_shop_is_store_credit():
    text = "Commission can be withdrawn via PayPal, or you can use your commission to buy our products."
    assert sorted(extract_terms(text).as_dict()["methods"]) == ["paypal", "store_credit"]


@pytest.mark.parametrize(("text", "expected"), [
    ("O pagamento das comissões é feito até o dia 10 do mês seguinte.", "monthly"),   # a payment date, not a limit
    ("Vi betalar ut provision den 25:e varje månad.", "monthly"),
    ("Maximálně 1x měsíčně můžete požádat o výplatu provize.", None),                 # a limit on requests stays vetoed
])
def test_foreign_schedule_words(text, expected):
    assert extract_terms(text).as_dict()["frequency"] == expected


def test_cents_written_without_a_leading_zero():
    assert_states_exactly("Partners receive $ .40 for each customer who registers as a new member.",
                          {"model": "flat", "flat": [0.4, 0.4], "currency": "USD", "payout_type": "cpl"})


def test_money_back_guarantee_percent_is_not_a_rate():
    assert_states_exactly("All plans carry a 100% money-back guarantee for 60 days.", {})


def test_affiliate_fee_names_the_commission():
    assert_states_exactly("Each referral results in a 7% affiliate fee to you.",
                          {"model": "percent", "percent": [7.0, 7.0], "payout_type": "cps"})

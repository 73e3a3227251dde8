"""Terms written in languages other than English (matrix/normalize/terms_lang.py), on sentences of our own
wording: the commission, cookie, payout minimum, schedule and methods a careful reader takes from a page in
Czech, Russian, Vietnamese, Polish, German, Korean, Persian ... and what such a reader does NOT take (a
discount, a worked example, a percent of another affiliate's commission, the customer's monthly billing)."""

from __future__ import annotations

import pytest

from matrix.normalize.terms import extract_terms
from matrix.normalize.terms_lang import is_foreign, money
from tests.support.terms_cases import assert_states_exactly


@pytest.mark.parametrize("text, expected", [
    # the only rate of a text about commissions, whatever the language
    ("Partner získá provizi 12 % z ceny každé zaplacené objednávky.",
     {"model": "percent", "percent": [12.0, 12.0], "payout_type": "cps"}),
    ("Вознаграждение партнёра составляет 25% от стоимости оплаченного заказа.",
     {"model": "percent", "percent": [25.0, 25.0], "payout_type": "cps"}),
    # Persian digits and the word for percent
    ("پورسانت همکار ۱۵ درصد مبلغ فروش است.", {"model": "percent", "percent": [15.0, 15.0], "payout_type": "cps"}),
    # Arabic percent sign
    ("يحصل المسوق على عمولة 8٪ من قيمة الطلب.", {"model": "percent", "percent": [8.0, 8.0], "payout_type": "cps"}),
    # "až" / "สูงถึง" cap a single rate; several rates give a range
    ("Provize až 40 % z obratu vašich zákazníků.", {"model": "percent", "percent": [None, 40.0], "payout_type": "cps"}),
    ("ค่าคอมมิชชั่นสูงถึง 20 % ต่อยอดขาย", {"model": "percent", "percent": [None, 20.0], "payout_type": "cps"}),
    ("Ставка по хостингу — 15% и по серверам — 5%.", {"model": "percent", "percent": [5.0, 15.0], "payout_type": "cps"}),
])
def test_rate_read_from_a_page_in_another_language(text, expected):
    assert_states_exactly(text, expected)


def test_levels_of_rates_are_tiers():
    t = extract_terms("Úroveň provize: Start | 10 % | Pokročilý | 15 % | Expert | 20 %").as_dict()
    assert t["percent"] == [10.0, 20.0]
    assert t["tiers"] == [10.0, 15.0, 20.0]


@pytest.mark.parametrize("text", [
    "Zákazníci s vaším kódem dostanou slevu 10 % na první nákup.",           # a customer discount
    "Příklad: objednávka za 2000 Kč, vaše provize 10 % = 200 Kč.",            # a worked example
    "Z každého doporučeného partnera dostanete 5 % z jeho provizí.",          # a percent of another's commission
    "Platební brána si účtuje poplatek 2,5 % z každé platby provize.",        # a fee charged
])
def test_percents_that_are_not_the_commission(text):
    assert extract_terms(text).model is None


def test_commission_on_each_payment_is_recurring_and_first_order_only_is_not():
    each = extract_terms("Você recebe 20% de comissão a cada pagamento do seu indicado.").as_dict()
    assert (each["recurring"], each["payout_type"]) == (True, "revshare")
    once = extract_terms("Prowizja wynosi 8% i jest naliczana tylko od pierwszego zamówienia klienta.").as_dict()
    assert (once["percent"], once["recurring"]) == ([8.0, 8.0], False)


@pytest.mark.parametrize("text, days", [
    ("Soubor cookie je platný 45 dnů od první návštěvy.", 45.0),
    ("Cookie hoạt động trong vòng 14 ngày kể từ lần nhấp.", 14.0),
    ("O cookie da sua indicação fica gravado no navegador durante 1 ano.", 365.0),
    ("Cookie-ul este valabil 60 de zile.", 60.0),
    ("Переход по вашей ссылке запоминается на 30 дней.", 30.0),
])
def test_cookie_window_in_another_language(text, days):
    assert extract_terms(text).cookie_days.value == days


def test_a_hold_period_is_no_cookie():
    assert extract_terms("Výplata provize proběhne 30 dnů po vrácení zboží.").cookie_days is None


@pytest.mark.parametrize("text, amount, currency", [
    ("Minimální částka pro výplatu je 800 Kč.", 800.0, "CZK"),
    ("Минимальная сумма вывода составляет 1 500 рублей.", 1500.0, "RUB"),
    ("Số tiền thanh toán tối thiểu là 300.000đ mỗi lần.", 300000.0, "VND"),
    ("출금은 최소 3만원 이상일 때 가능합니다.", 30000.0, "KRW"),
    ("Wypłata jest możliwa od 100 zł na koncie.", 100.0, "PLN"),
])
def test_payout_minimum_with_a_local_currency(text, amount, currency):
    t = extract_terms(text)
    assert (t.payout_minimum.value, t.payout_currency.value) == (amount, currency)


def test_a_placeholder_minimum_is_not_read():
    assert extract_terms("Mức thanh toán tối thiểu là [ví dụ: 100.000đ].").payout_minimum is None


@pytest.mark.parametrize("text, frequency", [
    ("Provize vyplácíme měsíčně na účet partnera.", "monthly"),
    ("Выплаты производятся раз в неделю.", "weekly"),
    ("Wypłaty realizowane są dwa razy w miesiącu.", "semimonthly"),
    ("Hoa hồng được thanh toán vào cuối tháng.", "monthly"),
    ("Die Auszahlung kann der Partner jederzeit selbst beantragen, eine Auszahlung anfordern genügt.", "on-request"),
])
def test_payout_schedule_in_another_language(text, frequency):
    assert extract_terms(text).frequency.value == frequency


def test_the_customers_monthly_fee_is_no_payout_schedule():
    assert extract_terms("Cuando tus referidos paguen la cuota mensual, recibirás una comisión del 30%.").frequency is None


@pytest.mark.parametrize("text, methods", [
    ("Výplata provize probíhá převodem na bankovní účet.", ["bank"]),
    ("Thanh toán hoa hồng qua chuyển khoản ngân hàng hoặc PayPal.", ["bank", "paypal"]),
    ("Le paiement des commissions se fait par bon d'achat.", ["store_credit"]),
])
def test_payout_methods_in_another_language(text, methods):
    assert sorted(m.value for m in extract_terms(text).methods) == sorted(methods)


def test_language_test_and_local_money():
    assert is_foreign("Партнёр получает 10% от каждого заказа.")
    assert is_foreign("Sie erhalten eine Provision von 10 % für jede Bestellung.")
    assert not is_foreign("You earn 10% on every order and the cookie lasts 30 days.")
    assert not is_foreign("Level 1: 20% | Level 2 (over $10k in sales): 25%")
    assert [(v, c) for v, c, _, _ in money("ab 1.000 Kč, 2 triệu đồng, Rp5.000.000,-")] == \
        [(1000.0, "CZK"), (2000000.0, "VND"), (5000000.0, "IDR")]


def test_english_text_reads_as_before():
    """The fallback never runs on English: a bare percent without a commission cue stays unread."""
    t = extract_terms("Save 15% on your first order with code WELCOME.")
    assert t.model is None and t.cookie_days is None


# ---------------------------------------------------------------------------------------------
# generalisation pass: flat amounts in local money, the unit they pay for, recurrence words, short cells
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text, expected", [
    ("Wir zahlen 3 € pro Lead.", {"model": "flat", "flat": [3.0, 3.0], "currency": "EUR", "payout_type": "cpl"}),
    ("Оплата 150 ₽ за каждую регистрацию.", {"model": "flat", "flat": [150.0, 150.0], "currency": "RUB", "payout_type": "cpl"}),
    ("Ми платимо 100 грн за кожного нового клієнта.",
     {"model": "flat", "flat": [100.0, 100.0], "currency": "UAH", "payout_type": "cpa"}),
    ("Za každý prodej vyplácíme 300 Kč.", {"model": "flat", "flat": [300.0, 300.0], "currency": "CZK", "payout_type": "cps"}),
    # "Odměna" starts like "od" (from): a whole word only makes an amount a minimum
    ("Odměna 200 Kč za každého nového zákazníka.",
     {"model": "flat", "flat": [200.0, 200.0], "currency": "CZK", "payout_type": "cpa"}),
    ("Bạn nhận 50.000 đ cho mỗi đơn hàng thành công.",
     {"model": "flat", "flat": [50000.0, 50000.0], "currency": "VND", "payout_type": "cps"}),
    ("売上1件につき500円の報酬。", {"model": "flat", "flat": [500.0, 500.0], "currency": "JPY", "payout_type": "cps"}),
    ("Gagnez jusqu'à 100 € par vente.", {"model": "flat", "flat": [None, 100.0], "currency": "EUR", "payout_type": "cps"}),
])
def test_flat_commission_in_local_money_and_its_unit(text, expected):
    assert_states_exactly(text, expected)


@pytest.mark.parametrize("text, expected", [
    # a bonus, a customer discount and a payout minimum are no flat commission
    ("Jako bonus vám připíšeme 100 Kč za registraci.", {}),
    ("Kunden erhalten 10 € Rabatt auf die erste Bestellung.", {}),
    ("Minimální výplata je 500 Kč.", {"payout_minimum": 500.0, "payout_currency": "CZK"}),
])
def test_money_that_is_no_commission(text, expected):
    assert_states_exactly(text, expected)


@pytest.mark.parametrize("text, expected", [
    ("Partnerzy otrzymują 10% prowizji przez pierwsze 12 miesięcy.",
     {"model": "percent", "percent": [10.0, 10.0], "recurring": True, "recurring_months": 12, "payout_type": "revshare"}),
    ("Вы получаете 30% с каждой оплаты клиента в течение 6 месяцев.",
     {"model": "percent", "percent": [30.0, 30.0], "recurring": True, "recurring_months": 6, "payout_type": "revshare"}),
    ("Provisione ricorrente del 20% per tutta la durata dell'abbonamento.",
     {"model": "percent", "percent": [20.0, 20.0], "recurring": True, "lifetime": True, "payout_type": "revshare"}),
    ("Prowizja 15% dożywotnio od każdej płatności poleconego klienta.",
     {"model": "percent", "percent": [15.0, 15.0], "recurring": True, "lifetime": True, "payout_type": "revshare"}),
    ("Provision 10 % auf den ersten Einkauf des Kunden, nicht auf Verlängerungen.",
     {"model": "percent", "percent": [10.0, 10.0], "recurring": False, "payout_type": "cps"}),
    ("Ab 100 Verkäufen im Monat steigt die Vergütung von 8 % auf 12 %.",
     {"model": "percent", "percent": [8.0, 12.0], "tiers": [8.0, 12.0], "payout_type": "cps"}),
    # a percent written against the word before it, in a script without spaces
    ("推荐的每个订单返佣12%。", {"model": "percent", "percent": [12.0, 12.0], "payout_type": "cps"}),
])
def test_recurrence_caps_and_tiers_in_another_language(text, expected):
    assert_states_exactly(text, expected)


def test_short_cells_and_english_words():
    assert is_foreign("Vergütung: 5 % vom Umsatz")          # one function word of another language, none of English
    assert not is_foreign("Pro plan: 20% off for 12 months")
    assert not is_foreign("Level | Basic | 10% | Pro | 15% | Expert | 20%")    # "Pro" alone in a long English table
    assert extract_terms("Çerezler 45 gün boyunca geçerlidir.").cookie_days.value == 45.0
    assert [(v, c) for v, c, _, _ in money("₦5,000 · ₱500 · 20 лв. · 75 ₺")] == \
        [(5000.0, "NGN"), (500.0, "PHP"), (20.0, "BGN"), (75.0, "TRY")]


@pytest.mark.parametrize("text, expected", [
    # "лв." is an abbreviation, not a full stop: the unit after it still belongs to the amount
    ("Плащаме 15 лв. за всяка регистрация.", {"model": "flat", "flat": [15.0, 15.0], "currency": "BGN", "payout_type": "cpl"}),
    # "$ ... MXN": the code after the amount names the dollar
    ("Recibe $150 MXN por cada venta.", {"model": "flat", "flat": [150.0, 150.0], "currency": "MXN", "payout_type": "cps"}),
    # "each paid order" is a sale, not a commission on each payment
    ("Вы получаете 300 руб. за каждый оплаченный заказ.",
     {"model": "flat", "flat": [300.0, 300.0], "currency": "RUB", "payout_type": "cps"}),
    # a rate right after "dauerhaft" is no months cap; "протягом року" without a number is one
    ("Wir zahlen dauerhaft 20 % auf alle Zahlungen Ihrer Kunden.",
     {"model": "percent", "percent": [20.0, 20.0], "recurring": True, "lifetime": True, "payout_type": "revshare"}),
    ("Комісія 25% з кожного платежу клієнта протягом року.",
     {"model": "percent", "percent": [25.0, 25.0], "recurring": True, "recurring_months": 12, "payout_type": "revshare"}),
])
def test_abbreviations_codes_and_periods(text, expected):
    assert_states_exactly(text, expected)


@pytest.mark.parametrize("text, days", [
    ("Cookie – 45 Tage", 45.0),                 # a label, a dash, the value
    ("Kolačić vrijedi 60 dana.", 60.0),
    ("Çerez süresi 90 gündür.", 90.0),          # a Turkish suffix on the unit
])
def test_cookie_labels_and_suffixed_units(text, days):
    assert extract_terms(text).cookie_days.value == days


def test_krone_and_schedule_by_language():
    danish = extract_terms("Kommission udbetales, når saldoen er mindst 200 kr.")
    assert (danish.payout_minimum.value, danish.payout_currency.value) == (200.0, "DKK")
    assert extract_terms("Las comisiones se pagan una vez al mes por transferencia.").frequency.value == "monthly"
    # "mensalidade" is the customer's monthly fee, not a payout schedule
    assert extract_terms("Você recebe 30% das 6 primeiras mensalidades do cliente.").frequency is None

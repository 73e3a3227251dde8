"""Session 12: payout schedule, minimum, method and recurrence wording of other languages (synthetic sentences,
written for these tests; none is a corpus quote)."""

from __future__ import annotations

import pytest

from matrix.normalize.terms import extract_terms


def _d(text: str) -> dict:
    return extract_terms(text).as_dict()


@pytest.mark.parametrize(("text", "want"), [
    # paid on the next business day
    ("Komisi akan dibayarkan pada hari kerja berikutnya setelah transaksi disetujui.", "daily"),
    ("Die Provision wird am nächsten Werktag nach der Freigabe ausgezahlt.", "daily"),
    # every quarter
    ("Le paiement des commissions a lieu chaque trimestre, par virement.", "quarterly"),
    ("Las comisiones se pagan cada trimestre a todos los afiliados.", "quarterly"),
    # a day of the month, the first days of the month
    ("Die Provisionen werden jeweils am 10. des Monats überwiesen.", "monthly"),
    ("يتم تحويل العمولة خلال اول 10 ايام من الشهر", "monthly"),
    # two half-month periods
    ("Pedidos del día 1 al 15 se pagan el día 25; pedidos del día 16 al 31 se pagan el día 10. La comisión es del 10 %.",
     "semimonthly"),
    ("Hoa hồng cho đơn hàng từ ngày 1 - 15 được thanh toán ngày 20, đơn hàng từ ngày 16 - 30 được thanh toán ngày 5.",
     "semimonthly"),
    # a payout sentence that ends in submitting a request
    ("Чтобы получить выплату, заполните реквизиты и отправьте заявку в личном кабинете.", "on-request"),
])
def test_schedule_words(text: str, want: str) -> None:
    assert _d(text)["frequency"] == want


def test_schedule_guards() -> None:
    # rate bands by volume are not half-month periods
    assert _d("Von 1-15 Verkäufen erhalten Sie 10 % Provision, von 16-30 Verkäufen 15 % Provision.")["frequency"] is None
    # "the monthly membership fee" is the customer's billing
    assert _d("毎月の会費の20%を紹介報酬としてお支払いします。")["frequency"] is None
    # an application to join, then a fixed schedule: the schedule wins
    assert _d("Подайте заявку на участие в программе. Выплаты производятся ежемесячно.")["frequency"] == "monthly"


@pytest.mark.parametrize(("text", "amount", "cur"), [
    ("Utbetalning sker när lägsta belopp på 500 kr har uppnåtts.", 500.0, "SEK"),
    ("紹介報酬の合計が3,000円を超えた場合、翌月末にお振込みします。", 3000.0, "JPY"),
    ("El pago mínimo es de 100.000 Gs. y se realiza por transferencia.", 100000.0, "PYG"),
    ("Los pagos se realizan cuando tu saldo llega a por lo menos 30 USD.", 30.0, "USD"),
])
def test_payout_minimum(text: str, amount: float, cur: str) -> None:
    d = _d(text)
    assert (d["payout_minimum"], d["payout_currency"]) == (amount, cur)


@pytest.mark.parametrize(("text", "method"), [
    ("Wynagrodzenie wypłacamy przelewem lub w formie bonu podarunkowego do naszego sklepu.", "gift_card"),
    ("Партнерское вознаграждение можно вывести на бонусный счет или на карту.", "store_credit"),
    ("Вознаграждение доступно к выводу на бонусный или банковский счет.", "store_credit"),
    ("Die Provision wird dir als Guthaben auf dein Kundenkonto gutgeschrieben.", "store_credit"),
    ("Os pagamentos das comissões são feitos por transferências bancárias.", "bank"),
    ("I pagamenti delle commissioni avvengono tramite bonifici.", "bank"),
    ("報酬は小切手でお支払いします。", "check"),
    # a list item next to one about payouts
    ("Зачисление на банковскую карту любого банка. | Выплаты производятся два раза в месяц.", "bank"),
])
def test_methods(text: str, method: str) -> None:
    assert method in (_d(text)["methods"] or [])


def test_method_guards() -> None:
    # a delay of the banking system names no way of being paid
    assert _d("Hoa hồng được thanh toán vào ngày 15 hằng tháng, có thể chậm do hệ thống ngân hàng.")["methods"] is None
    assert "bank" not in (_d("Выплата производится 10 числа, возможны задержки из-за банковских праздников.")["methods"] or [])


def test_recurrence_and_tiers() -> None:
    # "if the customer keeps using the service" is a lifetime recurring commission
    assert _d("Você recebe 20% de comissão recorrente se o cliente continuar assinando o serviço.")["lifetime"] is True
    assert _d("Ganas un 15% de comisión recurrente si el cliente sigue pagando su suscripción.")["lifetime"] is True
    # the Japanese "affiliate" (margin) word makes a continuing program a recurring commission
    assert _d("会員の月会費から一定割合をアフィリエイトマージンとしてお支払いする継続型のプログラムです。")["recurring"] is True
    # "the commission can be raised to 8%" is a second tier
    assert _d("العمولة 5% ويمكن رفع العمولة إلى 8% عند زيادة المبيعات")["tiers"] == [5.0, 8.0]


def test_cookie_and_decoys() -> None:
    # "within 7 days of using the link" is the attribution window
    assert _d("تحصل على عمولة إذا اشترى العميل خلال 7 ايام من استخدام الرابط")["cookie_days"] == 7.0
    # an uplift on converting credits and a withdrawal fee in a compound are not the commission
    assert _d("クレジットを残高に変換すると報酬額が10%上増しされます。")["percent"] is None
    assert _d("Für die Auszahlung deiner Provision fällt eine Bearbeitungsgebühr von 5 % an.")["percent"] is None


def test_percentage_without_rate() -> None:
    # "a percentage of each sale" with no rate: a percent model whose rate is unstated
    d = _d("Recibirás un porcentaje de cada venta como comisión recurrente.")
    assert (d["model"], d["percent"], d["payout_type"]) == ("percent", None, "revshare")
    assert _d("Wir zahlen einen festen Prozentsatz vom Umsatz als Provision.")["model"] == "percent"
    # a percentage discount for the referred customers is no commission
    assert _d("Ofrecemos un porcentaje de descuento a los clientes referidos por afiliados.")["model"] is None


@pytest.mark.parametrize(("text", "want"), [
    # settlements "by the results of the month", "in monthly cycles", "in the first week of the month"
    ("Расчеты с вебмастерами производятся по итогам месяца безналичным переводом.", "monthly"),
    ("Rozliczenie z partnerem odbywa się w cyklach miesięcznych.", "monthly"),
    ("कमीशन का भुगतान महीने के पहले सप्ताह में किया जाता है।", "monthly"),
    # a payout requested in the partner area, a few words between
    ("Du kannst die Auszahlung jederzeit im Partnerbereich beantragen.", "on-request"),
])
def test_schedule_words_more(text: str, want: str) -> None:
    assert _d(text)["frequency"] == want


def test_more_languages() -> None:
    assert "bank" in (_d("Расчеты с вебмастерами производятся по итогам месяца безналичным переводом.")["methods"] or [])
    assert "stripe" in (_d("수익금은 매월 Stripe를 통해 지급됩니다.")["methods"] or [])
    d = _d("報酬が30,000ウォン以上になった場合にお支払いします。")
    assert (d["payout_minimum"], d["payout_currency"]) == (30000.0, "KRW")
    d = _d("ব্যালেন্স $10 বা তার বেশি হলে উত্তোলন করা যাবে।")
    assert (d["payout_minimum"], d["payout_currency"]) == (10.0, "USD")
    assert _d("Comenzile sunt urmărite timp de 45 de zile de la vizita pe site.")["cookie_days"] == 45.0

"""Session 11: schedule, payout-minimum, currency and bank-transfer words of other languages (synthetic sentences)."""

from __future__ import annotations

import pytest

from matrix.normalize.terms import extract_terms


def _d(text: str) -> dict:
    return extract_terms(text).as_dict()


@pytest.mark.parametrize(("text", "want"), [
    ("Pembayaran komisi dilakukan dua kali setiap bulan, pada tanggal 1 dan 16.", "semimonthly"),
    ("Pencairan komisi dilakukan 2 kali dalam 1 bulan.", "semimonthly"),
    ("Provizija se isplaćuje jednom mjesečno na vaš račun.", "monthly"),
    ("Kommissionen afregnes én gang om måneden.", "monthly"),
    ("Utbetalning av provisionen sker den 15:e påföljande månad.", "monthly"),
    ("Provizija se isplaćuje dva puta godišnje.", "semiannually"),
    ("কমিশন সাপ্তাহিক ভিত্তিতে পেমেন্ট করা হয়।", "weekly"),
    ("Po dosažení limitu stačí požádat o výplatu provize.", "on-request"),
    ("Para retirar a comissão basta clicar no botão Solicitar Retirada.", "on-request"),
])
def test_schedule_words(text: str, want: str) -> None:
    assert _d(text)["frequency"] == want


def test_schedule_guards() -> None:
    # the customer's billing and English text are not read as a payout schedule
    assert _d("We pay commissions twice a year in January and July.")["frequency"] != "monthly"
    assert _d("Hotel je udaljen 2 km od mora i ima mjesečno 300 gostiju.")["frequency"] is None


@pytest.mark.parametrize(("text", "amount", "cur"), [
    ("Minimalni iznos isplate zarade iznosi 2.000,00 RSD.", 2000.0, "RSD"),
    ("2.1 Минимальная сумма комиссии составляет 5 евро. 2.2 Комиссионные выплачиваются один раз в месяц.", 5.0, "EUR"),
    ("Мінімальна сума для зняття грошей із партнерського рахунку становить 10 USD.", 10.0, "USD"),
])
def test_payout_minimum(text: str, amount: float, cur: str) -> None:
    d = _d(text)
    assert d["payout_minimum"] == amount and d["payout_currency"] == cur
    assert d["flat"] is None


def test_rupee_sign_is_not_a_dinar_code() -> None:
    assert _d("Die Auszahlung erfolgt ab 50 Rs. monatlich.")["payout_currency"] == "PKR"
    assert _d("Die Auszahlung erfolgt ab 50 RSD monatlich.")["payout_currency"] == "RSD"


def test_bank_words() -> None:
    assert _d("Minimální částka pro výplatu provize 500 Kč, vyplácíme převodem do banky.")["methods"] == ["bank"]
    assert _d("Netdomena će Vam isplatiti proviziju na Vaš žiro-račun.")["methods"] == ["bank"]
    # no payout or commission word: a bank named by the customer is no payout method
    assert _d("Banka je otvorena od 8 do 16 sati, žiro-račun otvarate na šalteru.")["methods"] is None


def test_renewal_denied_after_the_word() -> None:
    assert _d("Você recebe 30% de comissão na primeira venda. Renovações ou upgrades não geram comissão.")["recurring"] is False
    # a renewal that does earn a commission stays recurring
    assert _d("Komisi 10% berlaku juga untuk perpanjangan layanan.")["recurring"] is True
    # a negation about something else after the renewal word, with no commission word after it
    assert _d("Provision 10 %. Verlängerungen sind nicht kostenlos.")["recurring"] is not False


def test_commission_on_each_invoice_paid_is_recurring() -> None:
    assert _d("Cette commission de 20% est créditée sur votre compte à chaque facture payée par le filleul.")["recurring"] is True
    assert _d("Provision 15 % auf die erste Bestellung.")["recurring"] is not True


@pytest.mark.parametrize(("text", "want"), [
    ("Saya setuju komisyen yang akan diberikan adalah 50% dari harga jualan.", [50.0, 50.0]),    # Malay
    ("Unaweza kupata hadi 30% ya kamisheni kwa kila mteja.", [None, 30.0]),                     # Swahili "up to"
    ("Makatanggap ng hanggang 60% na komisyon sa bawat benta.", [None, 60.0]),                  # Tagalog "up to"
    ("Du får 20% i kick-back på försäljning via din länk.", [20.0, 20.0]),                     # Swedish
])
def test_commission_words(text: str, want: list) -> None:
    assert _d(text)["percent"] == want


def test_commission_word_guards() -> None:
    # a discount with no commission word stays unread
    assert _d("Kunden får 20% rabatt på första köpet.")["percent"] is None
    # "hadi" is no cap without a rate after it
    assert _d("Komisyen 10% kwa kila mauzo, hadi mwisho wa mwezi.")["percent"] == [10.0, 10.0]

"""Non-English text: an English money-as-commission reading needs an English commission word, and short lines
without function words are still recognised as another language (terms_lang)."""

from __future__ import annotations

import pytest

from matrix.normalize.terms_lang import is_foreign
from tests.support.terms_cases import assert_states_exactly


@pytest.mark.parametrize("text", [
    "Das Paket kostet 29 € pro Monat.",            # a price with "pro Monat" after it
    "La cuota mensual es de 15 € por usuario.",    # a fee per user
    "Die Gebühr beträgt 5 € pro Auszahlung.",      # a withdrawal fee
])
def test_prices_and_fees_in_other_languages_are_no_commission(text: str) -> None:
    assert_states_exactly(text, {})


@pytest.mark.parametrize("text, minimum, currency, methods", [
    ("Auszahlung ab 75 € per PayPal.", 75.0, "EUR", ["paypal"]),
    ("Ab CHF 150 wird per Überweisung ausgezahlt.", 150.0, "CHF", ["bank"]),
    ("Paiement à partir de 40 € par virement.", 40.0, "EUR", ["bank"]),
    ("Ödeme alt sınırı 100 TL.", 100.0, "TRY", None),
])
def test_payout_thresholds_in_other_languages_are_minimums_not_flat_rates(text, minimum, currency, methods) -> None:
    expected = {"payout_minimum": minimum, "payout_currency": currency, "methods": methods}
    assert_states_exactly(text, expected)


def test_foreign_flat_commission_with_english_cue_still_stands() -> None:
    assert_states_exactly("Sie erhalten eine Provision von 20 € pro Verkauf.",
                          {"model": "flat", "flat": [20.0, 20.0], "currency": "EUR", "payout_type": "cps"})


def test_short_line_without_function_words_is_read_as_foreign() -> None:
    assert is_foreign("Komisi Rp10.000 per transaksi")
    assert_states_exactly("Komisi Rp10.000 per transaksi",
                          {"model": "flat", "flat": [10000.0, 10000.0], "currency": "IDR", "payout_type": "cps"})


@pytest.mark.parametrize("text", [
    "Commission $5 per registration",
    "Minimum payout $50 via bank transfer",
    "Pay per sale: $12",
    "Price $49 per month",
])
def test_short_english_lines_stay_english(text: str) -> None:
    assert not is_foreign(text)


def test_english_flat_commission_is_unchanged_by_the_guard() -> None:
    assert_states_exactly("Commission $5 per registration",
                          {"model": "flat", "flat": [5.0, 5.0], "currency": "USD", "payout_type": "cpl"})

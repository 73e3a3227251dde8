"""Session 13: in a pipe-delimited program-directory row, a cell holding only a duration right after a money-reward
cell is the cookie length (as after a rate cell); prices and running text are not read this way."""

from __future__ import annotations

import pytest

from matrix.normalize.terms import extract_terms


def _cookie(text: str) -> float | None:
    found = extract_terms(text).cookie_days
    return None if found is None else found.value


@pytest.mark.parametrize(("row", "days"), [
    ("| Acme Bank | FlexOffers / CJ | $40-$90 per funded account | 30 days | Moderate | Yes |", 30.0),
    ("| Northwind Cards | Impact | Varies by card ($20-$60) | 14 days | Selective |", 14.0),
    ("| Ledgerly | Awin | $5 per free trial, $40 per paid signup | 120 days | Easy |", 120.0),
    ("| Quoteco Insurance | CJ Affiliate | $4-$10 per quote | 45 days |", 45.0),
    ("| Acme Outdoor | 6% | 30 days |", 30.0),                          # after a rate cell, as before
    ("| Tallyhub | Direct | 25 EUR per sale | 60 days |", 60.0),
    ("| Dukaan | Direct | ₹500 per sale | 30 days |", 30.0),            # any currency the money reader knows
])
def test_duration_cell_after_a_reward_cell_is_the_cookie(row: str, days: float) -> None:
    assert _cookie(row) == days


@pytest.mark.parametrize("text", [
    "| Pro | $29/month | 14 days |",               # a pricing table: the trial length
    "| Team | $10 per user | 30 days |",
    "| Annual | €99 a year | 14 days |",
    "| Pro | 29 USD/month | 14 days |",
    "Pro plan $29/month, 14 days trial.",          # running text, no cells
    "| Acme | $50 per sale | 30 days of support included |",  # the cell is not only a duration
    "| Acme | Direct | 30 days |",                 # no reward before it
])
def test_other_durations_are_not_cookies(text: str) -> None:
    assert _cookie(text) is None

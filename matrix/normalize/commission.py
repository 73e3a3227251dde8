"""Commission text -> `Commission` ("20%", "up to 30%", "$5–$50", "$75 or 20%", "8.00%", "varies").

A thin front of `matrix.normalize.terms`, the one terms extractor: a commission *field* is read
with `context="commission"` (the field label is the cue prose would carry), free prose the same
way the extractor reads any page. Anything not understood stays UNKNOWN: a guessed number would
rank a program above ones whose terms are real.
"""

from __future__ import annotations

import re

from matrix.models import Commission, CommissionModel, PayoutType
from matrix.normalize.terms import extract_terms, find_money, payout_type_of, recurrence_of


def parse_money(text: str | None) -> tuple[list[float], str | None]:
    """All money amounts in `text` and the currency of the first; ([], None) when there are none.

    Each amount keeps its own currency inside the extractor; this older shape returns the first
    currency and the amounts written in it only, so two currencies are never merged."""
    found = find_money(text)
    if not found:
        return [], None
    currency = found[0][1]
    return [amount for amount, cur, _ in found if cur == currency], currency


def parse_payout_type(text: str | None) -> PayoutType:
    """CPA / CPL / CPS / RevShare / CPC / CPI / CPM from the words a network uses; UNKNOWN otherwise."""
    return payout_type_of(text)


def parse_duration_months(text: str | None) -> tuple[bool | None, int | None]:
    """A duration *field*: '12 months' -> (False, 12), 'lifetime' -> (True, None), unknown -> (None, None)."""
    if not text:
        return None, None
    t = text.lower()
    if re.search(r"lifetime|for life\b|forever|as long as .* (?:stays?|remains?|pays?)", t):
        return True, None
    m = re.search(r"(\d+)[\s-]*(months?|mo\b|mos\b|years?|yrs?\b)", t)
    if m:
        n = int(m.group(1))
        return False, n * 12 if m.group(2).startswith(("year", "yr")) else n
    if re.search(r"\b(?:first|one|1st) year\b", t):
        return False, 12
    return None, None


def parse_commission(text: str | None, currency_hint: str | None = None, kind_hint: str | None = None) -> Commission:
    """Parse a commission field or free text; anything not understood stays unknown (never 0).

    `currency_hint` is the currency column of a feed (a bare "150.00" with it is a flat amount);
    `kind_hint` the network's commission type ("sale", "lead", "recurring", "one-time")."""
    raw = text
    if text is None or not str(text).strip():
        return Commission(raw=raw)
    text = str(text)
    c = extract_terms(text, context="commission").to_commission(raw=raw, currency_hint=currency_hint)
    if c.model is CommissionModel.UNKNOWN and currency_hint:
        m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*", text)
        if m and float(m.group(1)) > 0:      # "0.00" is unknown, not a flat $0
            value = float(m.group(1))
            c.model, c.flat_min, c.flat_max, c.currency = CommissionModel.FLAT, value, value, currency_hint.upper()
    if kind_hint:
        hinted_recurring = recurrence_of(kind_hint)
        if hinted_recurring is not None:
            c.recurring = hinted_recurring
        hinted_type = payout_type_of(kind_hint)
        if hinted_type is not PayoutType.UNKNOWN and c.model is not CommissionModel.UNKNOWN:
            c.payout_type = hinted_type
    if c.model is not CommissionModel.UNKNOWN and c.payout_type is PayoutType.CPS and c.recurring and c.percent_max is not None:
        c.payout_type = PayoutType.REVSHARE
    return c

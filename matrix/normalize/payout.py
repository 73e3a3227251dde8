"""Payout terms text -> `PayoutTerms`: threshold ("$50 minimum"), methods ("PayPal, Wire") and
frequency ("Net 30", "bi-weekly").

Methods and frequencies are mapped to one small vocabulary so programs compare across sources;
text that names none of them leaves the field empty/None (unknown), never a default.
"""

from __future__ import annotations

import re
from typing import Iterable

from matrix.models import PayoutTerms
from matrix.normalize.commission import parse_money

METHODS: list[tuple[str, str]] = [
    (r"pay\s?pal", "paypal"),
    (r"payoneer", "payoneer"),
    (r"\bwire\b|wire transfer|\bswift\b", "wire"),
    (r"\bach\b|direct deposit", "ach"),
    (r"bank(?: transfer| deposit| account)?|\bsepa\b|\biban\b|\bbacs\b", "bank"),
    (r"\bcheck\b|\bcheque\b", "check"),
    (r"skrill|moneybookers", "skrill"),
    (r"paxum", "paxum"),
    (r"\bwise\b|transferwise", "wise"),
    (r"tipalti", "tipalti"),
    (r"bitcoin|\bbtc\b|crypto(?:currency)?|\busdt\b|tether", "crypto"),
    (r"webmoney", "webmoney"),
    (r"venmo", "venmo"),
    (r"gift ?cards?|amazon (?:gift|credit)", "gift_card"),
    (r"store credit|account credit", "store_credit"),
    (r"stripe", "stripe"),
]

_FREQUENCIES: list[tuple[str, str]] = [
    (r"\bnet[\s-]?(\d{1,3})\b", "net-{0}"),
    (r"\bdaily\b|every day", "daily"),
    (r"bi[\s-]?weekly|every (?:two|2) weeks|fortnightly", "biweekly"),
    (r"twice (?:a|per) month|semi[\s-]?monthly|bi[\s-]?monthly", "semimonthly"),
    (r"\bweekly\b|every week|once a week", "weekly"),
    (r"\bmonthly\b|every month|once a month|per month", "monthly"),
    (r"quarterly|every (?:three|3) months", "quarterly"),
    (r"on request|on demand|upon request", "on-request"),
]


def parse_methods(values: str | Iterable[str] | None) -> list[str]:
    """Payment methods in a fixed vocabulary, in the order first named, without duplicates."""
    if values is None:
        return []
    if not isinstance(values, str):  # a list names one method per item: "bank" and "wire" are two
        out: list[str] = []
        for v in values:
            out += [m for m in parse_methods(str(v)) if m not in out]
        return out
    t = values.lower()
    found: list[tuple[int, str]] = []
    for pattern, name in METHODS:
        m = re.search(pattern, t)
        if m and name not in [n for _, n in found]:
            if name == "bank" and re.search(r"\bwire\b", t) and not re.search(r"bank (?:transfer|deposit|account)|sepa|iban|bacs", t):
                continue  # "bank wire" is one method: wire
            found.append((m.start(), name))
    return [name for _, name in sorted(found)]


def parse_frequency(text: str | None) -> str | None:
    if not text:
        return None
    t = text.lower()
    for pattern, name in _FREQUENCIES:
        m = re.search(pattern, t)
        if m:
            return name.format(*m.groups())
    return None


def parse_threshold(text: str | None) -> tuple[float | None, str | None]:
    """Minimum payout amount and currency; a bare number is an amount of unknown currency."""
    if not text:
        return None, None
    values, currency = parse_money(text)
    if values:
        return min(values), currency
    m = re.search(r"(?:min(?:imum)?|threshold)[^\d]{0,20}(\d+(?:\.\d+)?)", text, re.I) or re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*", text)
    if m:
        return float(m.group(1)), None
    return None, None


def parse_payout(
    threshold: str | None = None,
    methods: str | Iterable[str] | None = None,
    frequency: str | None = None,
    text: str | None = None,
    currency_hint: str | None = None,
) -> PayoutTerms:
    """Combine separate labelled fields and/or one free-text blurb into `PayoutTerms` (raw kept)."""
    pieces = [p for p in (threshold, methods if isinstance(methods, str) else None, frequency, text) if p]
    if methods is not None and not isinstance(methods, str):
        pieces.append(", ".join(str(m) for m in methods))
    minimum, currency = parse_threshold(threshold)
    if minimum is None and text:
        m = re.search(r"(?:min(?:imum)?(?:\s+payout)?|threshold|payout minimum)\s*(?:of|is|:)?\s*([^,;.]*(?:\.\d+)?[^,;]*)", text, re.I)
        if m:
            minimum, currency = parse_threshold(m.group(1))
    return PayoutTerms(
        minimum=minimum,
        currency=currency or (currency_hint.upper() if currency_hint and minimum is not None else None),
        frequency=parse_frequency(frequency) or parse_frequency(text),
        methods=parse_methods(methods) or parse_methods(text),
        raw=" | ".join(pieces) if pieces else None,
    )

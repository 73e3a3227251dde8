"""Payout terms -> `PayoutTerms`: threshold ("$50 minimum"), methods ("PayPal, Wire") and
frequency ("Net 30", "bi-weekly").

A thin front of `matrix.normalize.terms`: labelled fields are read with `context="payout"`
(the label is the cue), free text the way the extractor reads any page. Methods and
frequencies map to one small vocabulary (matrix/data/terms/vocabulary.yaml) so programs compare
across sources; text that names none of them leaves the field empty/None, never a default.
"""

from __future__ import annotations

from typing import Iterable

from matrix.models import PayoutTerms
from matrix.normalize.terms import extract_terms


def parse_methods(values: str | Iterable[str] | None) -> list[str]:
    """Payment methods in a fixed vocabulary, in the order first named, without duplicates."""
    if values is None:
        return []
    if not isinstance(values, str):  # a list names one method per item: "bank" and "wire" are two
        out: list[str] = []
        for v in values:
            out += [m for m in parse_methods(str(v)) if m not in out]
        return out
    return [m.value for m in extract_terms(values, context="payout").methods]


def parse_frequency(text: str | None) -> str | None:
    if not text:
        return None
    f = extract_terms(text, context="payout").frequency
    return None if f is None else f.value


def parse_threshold(text: str | None) -> tuple[float | None, str | None]:
    """Minimum payout amount and currency from a threshold field; a bare number has no currency."""
    if not text:
        return None, None
    t = extract_terms(text, context="payout")
    if t.payout_minimum is None:
        return None, None
    return t.payout_minimum.value, None if t.payout_currency is None else t.payout_currency.value


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
    prose = extract_terms(text) if text else None
    if minimum is None and prose is not None and prose.payout_minimum is not None:
        minimum = prose.payout_minimum.value
        currency = None if prose.payout_currency is None else prose.payout_currency.value
    prose_frequency = None if prose is None or prose.frequency is None else prose.frequency.value
    return PayoutTerms(
        minimum=minimum,
        currency=currency or (currency_hint.upper() if currency_hint and minimum is not None else None),
        frequency=parse_frequency(frequency) or prose_frequency,
        methods=parse_methods(methods) or ([m.value for m in prose.methods] if prose is not None else []),
        raw=" | ".join(pieces) if pieces else None,
    )

"""Commission text -> `Commission` ("20%", "up to 30%", "$5–$50", "$75 or 20%", "8.00%", "varies")."""

from __future__ import annotations

import re

from matrix.models import Commission, CommissionModel, PayoutType

CURRENCY_SYMBOLS = {"$": "USD", "US$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR", "A$": "AUD", "C$": "CAD", "R$": "BRL"}
ISO_CURRENCIES = {"USD", "EUR", "GBP", "JPY", "INR", "AUD", "CAD", "BRL", "CHF", "SEK", "NOK", "DKK", "PLN", "NZD", "SGD", "HKD", "MXN", "ZAR", "CNY", "KRW", "TRY", "AED"}

_NUM = r"(\d{1,3}(?:[,\s]\d{3})+|\d+)(?:\.(\d+))?"
_PCT_RE = re.compile(rf"{_NUM}\s*%(?:\s*(?:-|–|—|to)\s*{_NUM}\s*%)?|{_NUM}\s*(?:-|–|—|to)\s*{_NUM}\s*%", re.I)
_MONEY_RE = re.compile(
    rf"(US\$|A\$|C\$|R\$|[$€£¥₹])\s*{_NUM}|{_NUM}\s*(USD|EUR|GBP|AUD|CAD|JPY|INR|CHF|SEK|NOK|DKK|PLN|NZD|SGD)\b|\b(USD|EUR|GBP|AUD|CAD)\s*{_NUM}",
    re.I,
)
_RANGE_SEP = re.compile(r"\s*(?:-|–|—|to)\s*$", re.I)


def _num(whole: str | None, frac: str | None) -> float | None:
    if whole is None:
        return None
    return float(re.sub(r"[,\s]", "", whole) + (f".{frac}" if frac else ""))


def _percents(text: str) -> list[float]:
    out: list[float] = []
    for m in _PCT_RE.finditer(text):
        g = m.groups()
        if g[0] is not None:
            out.append(_num(g[0], g[1]))
            if g[2] is not None:
                out.append(_num(g[2], g[3]))
        else:
            out.append(_num(g[4], g[5]))
            out.append(_num(g[6], g[7]))
    return [v for v in out if v is not None and 0 <= v <= 100]


def _money(text: str) -> tuple[list[float], str | None]:
    values: list[float] = []
    currency: str | None = None
    for m in _MONEY_RE.finditer(text):
        g = m.groups()
        if g[0]:
            values.append(_num(g[1], g[2]))
            currency = currency or CURRENCY_SYMBOLS.get(g[0].upper(), CURRENCY_SYMBOLS.get(g[0]))
        elif g[3]:
            values.append(_num(g[3], g[4]))
            currency = currency or g[5].upper()
        else:
            values.append(_num(g[7], g[8]))
            currency = currency or g[6].upper()
    # "$5–$50" is two matches; "$5-50" leaves the upper bound bare after a range separator
    for m in re.finditer(r"(?:US\$|[$€£])\s*[\d.,]+\s*(?:-|–|—|to)\s*(\d[\d.,]*)(?!\s*%)", text):
        hi = float(m.group(1).replace(",", "").rstrip("."))
        if hi not in values:
            values.append(hi)
    return [v for v in values if v is not None], currency


def parse_payout_type(text: str | None) -> PayoutType:
    if not text:
        return PayoutType.UNKNOWN
    t = text.lower()
    table = [
        (r"rev(?:enue)?[\s-]*share|revshare", PayoutType.REVSHARE),
        (r"\bcpl\b|per lead|pay per lead", PayoutType.CPL),
        (r"\bcpi\b|per install", PayoutType.CPI),
        (r"\bcpc\b|per click", PayoutType.CPC),
        (r"\bcpm\b", PayoutType.CPM),
        (r"\bcps\b|per sale|pay per sale", PayoutType.CPS),
        (r"\bcpa\b|per action|per acquisition|per signup|per sign-up", PayoutType.CPA),
    ]
    for pattern, kind in table:
        if re.search(pattern, t):
            return kind
    return PayoutType.UNKNOWN


def parse_duration_months(text: str | None) -> tuple[bool | None, int | None]:
    """('12 months' -> (False, 12)), ('lifetime' -> (True, None)), unknown -> (None, None)."""
    if not text:
        return None, None
    t = text.lower()
    if "lifetime" in t or "for life" in t:
        return True, None
    m = re.search(r"(\d+)\s*(month|mo\b|year|yr)", t)
    if m:
        n = int(m.group(1))
        return False, n * 12 if m.group(2).startswith(("year", "yr")) else n
    return None, None


def parse_commission(text: str | None, currency_hint: str | None = None, kind_hint: str | None = None) -> Commission:
    """Parse free commission text; anything not understood stays unknown (never 0)."""
    raw = text
    if text is None or not str(text).strip():
        return Commission(raw=raw)
    text = str(text).strip()
    pcts = _percents(text)
    money, cur = _money(text)
    bare = None
    if not pcts and not money:
        m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*", text)
        if m:
            bare = float(m.group(1))
    recurring_text = f"{text} {kind_hint or ''}".lower()
    recurring = True if re.search(r"recurring|monthly|per month|each month|lifetime|rebill", recurring_text) else None
    if kind_hint and kind_hint.lower() in {"one-time", "one time", "single"}:
        recurring = False
    lifetime, months = parse_duration_months(text)
    c = Commission(raw=raw, payout_type=parse_payout_type(f"{text} {kind_hint or ''}"), recurring=recurring,
                   lifetime=lifetime, duration_months=months)
    if pcts and money:
        c.model = CommissionModel.HYBRID
    elif pcts:
        c.model = CommissionModel.PERCENT
    elif money:
        c.model = CommissionModel.FLAT
    elif bare is not None and currency_hint:
        # a bare number with a currency column ("150.00" USD) is a flat amount
        c.model, money, cur = CommissionModel.FLAT, [bare], currency_hint
    else:
        return c
    if pcts:
        c.percent_min, c.percent_max = min(pcts), max(pcts)
        if re.search(r"\bup to\b", text, re.I) and len(pcts) == 1:
            c.percent_min = None
    if money:
        c.flat_min, c.flat_max = min(money), max(money)
        if re.search(r"\bup to\b", text, re.I) and len(money) == 1:
            c.flat_min = None
        c.currency = (cur or currency_hint or "").upper() or None
    elif currency_hint:
        c.currency = currency_hint.upper()
    if c.payout_type is PayoutType.UNKNOWN and c.model is CommissionModel.PERCENT:
        c.payout_type = PayoutType.REVSHARE if recurring else PayoutType.CPS
    return c

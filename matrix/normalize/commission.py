"""Commission text -> `Commission` ("20%", "up to 30%", "$5–$50", "$75 or 20%", "8.00%", "varies").

Directories publish commission as free text written by marketers, so the parser looks for
shapes (percent, money, ranges, "up to", recurring words) rather than exact phrasings, and
returns UNKNOWN for anything it cannot read: a guessed number would rank a program above
ones whose terms are real.
"""

from __future__ import annotations

import re

import pycountry

from matrix.models import Commission, CommissionModel, PayoutType

# Longest symbols first so "US$" wins over "$". Ambiguous symbols ("kr", "R") are left out on
# purpose: a wrong currency is worse than an unknown one.
CURRENCY_SYMBOLS = {
    "US$": "USD", "CA$": "CAD", "AU$": "AUD", "NZ$": "NZD", "HK$": "HKD", "MX$": "MXN", "S$": "SGD",
    "A$": "AUD", "C$": "CAD", "R$": "BRL", "$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR",
    "₩": "KRW", "₺": "TRY", "₽": "RUB", "₱": "PHP", "₫": "VND", "₪": "ILS", "฿": "THB", "₦": "NGN",
    "zł": "PLN", "Rs.": "INR", "Rs": "INR",
}
# Codes matched in any case ("25 usd"); every other ISO 4217 code only in capitals, because
# lower-case words such as "all", "top" or "try" are also currency codes.
ISO_CURRENCIES = {"USD", "EUR", "GBP", "JPY", "INR", "AUD", "CAD", "BRL", "CHF", "SEK", "NOK", "DKK", "PLN", "NZD",
                  "SGD", "HKD", "MXN", "ZAR", "CNY", "KRW", "TRY", "AED", "RUB", "CZK", "HUF", "ILS", "THB", "PHP"}
ALL_ISO_CURRENCIES = {c.alpha_3 for c in pycountry.currencies} - {"XXX", "XTS"}
CURRENCY_WORDS = {"euro": "EUR", "euros": "EUR", "us dollars": "USD", "us dollar": "USD", "usd": "USD",
                  "pounds sterling": "GBP", "british pounds": "GBP", "rupees": "INR"}

_NUM = r"(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?"
_DASH = r"(?:-|–|—|to)"
_PCT_RE = re.compile(rf"{_NUM}\s*%(?:\s*{_DASH}\s*{_NUM}\s*%)?|{_NUM}\s*{_DASH}\s*{_NUM}\s*%", re.I)
_SYM_ALT = "|".join(re.escape(s) for s in sorted(CURRENCY_SYMBOLS, key=len, reverse=True))
_MONEY_RE = re.compile(
    rf"(?P<sym>{_SYM_ALT})\s*{_NUM}"
    rf"|{_NUM}\s*(?P<sym2>[€£¥₹₩₺₽₱₫₪฿₦]|zł)"
    rf"|{_NUM}\s*(?P<code>[A-Za-z]{{3}})\b"
    rf"|\b(?P<code2>[A-Z]{{3}})\s*{_NUM}"
    rf"|{_NUM}\s*(?P<word>euros?|us dollars?|pounds sterling|british pounds|rupees)\b",
    re.I,
)


def _num(whole: str | None, frac: str | None) -> float | None:
    if whole is None:
        return None
    return float(whole.replace(",", "") + (f".{frac}" if frac else ""))


def _iso(code: str) -> str | None:
    """A three-letter token is a currency when it is a common code, or any ISO code in capitals."""
    if code.upper() in ISO_CURRENCIES:
        return code.upper()
    if code.isupper() and code in ALL_ISO_CURRENCIES:
        return code
    return None


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


def parse_money(text: str | None) -> tuple[list[float], str | None]:
    """All money amounts in `text` and the first currency named; ([], None) when there are none."""
    if not text:
        return [], None
    values: list[float] = []
    currency: str | None = None
    for m in _MONEY_RE.finditer(text):
        g = m.groups()
        sym, sym2, code, code2, word = m.group("sym"), m.group("sym2"), m.group("code"), m.group("code2"), m.group("word")
        if sym:
            value, cur = _num(g[1], g[2]), CURRENCY_SYMBOLS.get(sym) or CURRENCY_SYMBOLS.get(sym.upper())
        elif sym2:
            value, cur = _num(g[3], g[4]), CURRENCY_SYMBOLS.get(sym2) or CURRENCY_SYMBOLS.get(sym2.lower())
        elif code:
            cur = _iso(code)
            if cur is None:
                continue
            value = _num(g[6], g[7])
        elif code2:
            cur = _iso(code2)
            if cur is None:
                continue
            value = _num(g[10], g[11])
        else:
            value, cur = _num(g[12], g[13]), CURRENCY_WORDS.get(word.lower().rstrip("s")) or CURRENCY_WORDS.get(word.lower())
        if value is None:
            continue
        # "50% ... 20 USD" must not read the percent as money: a symbol-less amount right after "%" is skipped
        values.append(value)
        currency = currency or cur
    # "$5-50" leaves the upper bound bare after a range separator
    for m in re.finditer(rf"(?:{_SYM_ALT})\s*[\d.,]+\s*{_DASH}\s*(\d[\d,]*(?:\.\d+)?)(?!\s*%)(?!\s*[\d])", text):
        hi = float(m.group(1).replace(",", ""))
        if hi not in values:
            values.append(hi)
    return values, currency


_PAYOUT_TYPES = [
    (r"rev(?:enue)?[\s-]*share|\brs\b|profit share", PayoutType.REVSHARE),
    (r"\bcpl\b|per lead|pay per lead|\bppl\b|per (?:qualified )?(?:registration|sign[\s-]?up|signup|trial|submit)", PayoutType.CPL),
    (r"\bcpi\b|per install|\bppi\b", PayoutType.CPI),
    (r"\bcpc\b|per click|\bppc\b", PayoutType.CPC),
    (r"\bcpm\b|per (?:1,?000|thousand) (?:impressions|views)", PayoutType.CPM),
    (r"\bcps\b|per sale|pay per sale|\bpps\b|of (?:each |every |the )?(?:sale|order|purchase)s?\b", PayoutType.CPS),
    (r"\bcpa\b|per action|per acquisition|per (?:new )?customer|per (?:paid )?(?:conversion|subscription|deposit)|\bftd\b|bounty", PayoutType.CPA),
]


def parse_payout_type(text: str | None) -> PayoutType:
    """CPA / CPL / CPS / RevShare / CPC / CPI / CPM from the words a network uses; UNKNOWN otherwise."""
    if not text:
        return PayoutType.UNKNOWN
    t = text.lower()
    for pattern, kind in _PAYOUT_TYPES:
        if re.search(pattern, t):
            return kind
    return PayoutType.UNKNOWN


def parse_duration_months(text: str | None) -> tuple[bool | None, int | None]:
    """('12 months' -> (False, 12)), ('lifetime' -> (True, None)), unknown -> (None, None)."""
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


_RECURRING = re.compile(r"recurring|per month|each month|every month|monthly (?:commission|payment|subscription|revenue)"
                        r"|(?<!paid )monthly\b(?! payouts?)|lifetime|rebills?|for (?:the )?(?:first )?\d+\s*(?:months|years)"
                        r"|rev(?:enue)?[\s-]*share|\bsubscriptions? renew", re.I)
_ONE_TIME = re.compile(r"one[\s-]time|single payment|first (?:sale|purchase|payment|order) only|\bonce\b|non[\s-]recurring", re.I)


def parse_commission(text: str | None, currency_hint: str | None = None, kind_hint: str | None = None) -> Commission:
    """Parse free commission text; anything not understood stays unknown (never 0)."""
    raw = text
    if text is None or not str(text).strip():
        return Commission(raw=raw)
    text = " ".join(str(text).split())
    pcts = _percents(text)
    money, cur = parse_money(re.sub(_PCT_RE, " ", text))
    bare = None
    if not pcts and not money:
        m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*", text)
        if m:
            bare = float(m.group(1))
    both = f"{text} {kind_hint or ''}"
    recurring: bool | None = True if _RECURRING.search(both) else None
    if _ONE_TIME.search(both):
        recurring = False
    lifetime, months = parse_duration_months(text)
    if lifetime:
        recurring = True
    c = Commission(raw=raw, payout_type=parse_payout_type(both), recurring=recurring,
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
    up_to = re.search(r"\bup to\b|\bmax(?:imum)?\b|\bas much as\b", text, re.I) is not None
    if pcts:
        c.percent_min, c.percent_max = min(pcts), max(pcts)
        if up_to and len(pcts) == 1:
            c.percent_min = None
    if money:
        c.flat_min, c.flat_max = min(money), max(money)
        if up_to and len(money) == 1:
            c.flat_min = None
        c.currency = (cur or currency_hint or "").upper() or None
    elif currency_hint:
        c.currency = currency_hint.upper()
    if c.payout_type is PayoutType.UNKNOWN and c.model is CommissionModel.PERCENT:
        c.payout_type = PayoutType.REVSHARE if recurring else PayoutType.CPS
    return c

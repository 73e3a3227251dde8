"""Cookie duration text -> days ("90 days", "1 year", "30-day", "session", "24 hours", "60").

0.0 means a session cookie (a real, short value); None means unknown. "Lifetime" cookies are
returned as None with `lifetime=True` from `parse_cookie`, because no finite number of days is
true and the index compares days numerically.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_UNITS = {"second": 1 / 86400, "sec": 1 / 86400, "minute": 1 / 1440, "min": 1 / 1440, "hour": 1 / 24, "hr": 1 / 24,
          "h": 1 / 24, "day": 1.0, "d": 1.0, "week": 7.0, "wk": 7.0, "month": 30.0, "mo": 30.0, "year": 365.0,
          "yr": 365.0, "y": 365.0}
_WORD_NUMBERS = {"one": 1, "two": 2, "three": 3, "six": 6, "seven": 7, "ten": 10, "twelve": 12, "fourteen": 14,
                 "thirty": 30, "sixty": 60, "ninety": 90, "a": 1, "an": 1}
_AMOUNT = re.compile(
    r"\b(\d+(?:\.\d+)?|" + "|".join(_WORD_NUMBERS) + r")[\s-]*"
    r"(seconds?|secs?|minutes?|mins?|hours?|hrs?|h|days?|d|weeks?|wks?|months?|mos?|years?|yrs?|y)\b",
    re.I,
)
# Upper bound on a believable cookie: anything longer is a typo or a "lifetime" in disguise.
MAX_DAYS = 3650.0


@dataclass(frozen=True)
class CookieTerms:
    days: float | None
    lifetime: bool = False
    raw: str | None = None


def parse_cookie(text: str | int | float | None) -> CookieTerms:
    raw = None if text is None else str(text)
    if text is None or isinstance(text, bool):
        return CookieTerms(None, raw=raw)
    if isinstance(text, (int, float)):
        return CookieTerms(float(text) if 0 < text <= MAX_DAYS else None, raw=raw)
    t = " ".join(str(text).lower().split())
    if not t:
        return CookieTerms(None, raw=raw)
    if re.search(r"\blifetime\b|\bforever\b|\bunlimited\b|\bnever expires?\b|\bpermanent\b", t):
        return CookieTerms(None, lifetime=True, raw=raw)
    if re.search(r"\bsession\b|\bsame[\s-]session\b|\bno cookie\b|\bbrowser close", t):
        return CookieTerms(0.0, raw=raw)
    m = _AMOUNT.search(t)
    if m:
        n = m.group(1).lower()
        value = float(_WORD_NUMBERS.get(n, n) if n in _WORD_NUMBERS else n)
        unit = m.group(2).lower().rstrip("s") or m.group(2).lower()
        factor = _UNITS.get(unit) or _UNITS.get(unit[:-1] if unit.endswith("s") else unit)
        if factor is None:
            return CookieTerms(None, raw=raw)
        days = round(value * factor, 4)
        return CookieTerms(days if 0 < days <= MAX_DAYS else None, raw=raw)
    # a bare number in a cookie field is days ("60", "30.0")
    m = re.fullmatch(r"(\d+(?:\.\d+)?)", t)
    if m:
        days = float(m.group(1))
        return CookieTerms(days if 0 < days <= MAX_DAYS else None, raw=raw)
    return CookieTerms(None, raw=raw)


def parse_cookie_days(text: str | int | float | None) -> float | None:
    """Days, 0.0 for session cookies, None when unknown (lifetime included, see module doc)."""
    return parse_cookie(text).days

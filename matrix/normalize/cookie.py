"""Cookie duration -> days ("90 days", "1 year", "30-day", "session", "24 hours", "60").

0.0 means a session cookie (a real, short value); None means unknown. "Lifetime" cookies are
returned as None with `lifetime=True`, because no finite number of days is true and the index
compares days numerically.

A thin front of `matrix.normalize.terms`. A short *field* value ("90 days", "60") is a cookie
by its label, so any duration in it counts. Free text (a sentence or more) must say it is about
a cookie / tracking / attribution window: in "commissions are held for 60 days" the 60 days
are a hold, not a cookie.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from matrix.normalize.terms import MAX_COOKIE_DAYS, extract_terms

# Upper bound on a believable cookie: anything longer is a typo or a "lifetime" in disguise.
MAX_DAYS = MAX_COOKIE_DAYS


@dataclass(frozen=True)
class CookieTerms:
    days: float | None
    lifetime: bool = False
    raw: str | None = None


def is_field_value(text: str) -> bool:
    """A table cell or feed field ("30 days", "Session cookie", "1 year") rather than prose."""
    words = text.split()
    return len(words) <= 4 and not re.search(r"[.!?;:]\s|\b(?:held|hold|pending|delay|refund|trial|after|until)\b", text, re.I)


def parse_cookie(text: str | int | float | None) -> CookieTerms:
    raw = None if text is None else str(text)
    if text is None or isinstance(text, bool):
        return CookieTerms(None, raw=raw)
    if isinstance(text, (int, float)):
        return CookieTerms(float(text) if 0 < text <= MAX_DAYS else None, raw=raw)
    t = " ".join(str(text).split())
    if not t:
        return CookieTerms(None, raw=raw)
    terms = extract_terms(t, context="cookie" if is_field_value(t) else None)
    if terms.cookie_lifetime is not None and terms.cookie_days is None:
        return CookieTerms(None, lifetime=True, raw=raw)
    days = None if terms.cookie_days is None else terms.cookie_days.value
    return CookieTerms(days, raw=raw)


def parse_cookie_days(text: str | int | float | None) -> float | None:
    """Days, 0.0 for session cookies, None when unknown (lifetime included, see module doc)."""
    return parse_cookie(text).days

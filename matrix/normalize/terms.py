"""Free text about an affiliate program -> typed terms, each value with the span it came from.

This is the ONE place that reads commission, cookie and payout terms out of prose. Directory
sources, offer feeds, network clients and dorking hits all call `extract_terms`; the older
field parsers (`commission.parse_commission`, `cookie.parse_cookie`, `payout.parse_payout`)
delegate here whenever they are given free text.

    >>> from matrix.normalize.terms import extract_terms
    >>> t = extract_terms("Earn 30% recurring commission for 12 months. Cookies last 60 days. "
    ...                   "Payouts monthly via PayPal once your balance reaches $50.")
    >>> (t.percent_max.value, t.recurring.value, t.recurring_months.value, t.cookie_days.value)
    (30.0, True, 12, 60.0)
    >>> (t.payout_minimum.value, t.payout_currency.value, t.frequency.value, [m.value for m in t.methods])
    (50.0, 'USD', 'monthly', ['paypal'])
    >>> t.percent_max.span, "Earn 30% recurring"[5:8]
    ((5, 8), '30%')
    >>> extract_terms("For example, refer five friends who buy $200 and you earn $30.").model
    >>> extract_terms("Commission: 20%", context="commission").as_dict()["percent"]
    [20.0, 20.0]

Design: a small rule engine. Vocabulary (cue words, currencies, methods, schedules) is data in
`matrix/data/terms/vocabulary.yaml`; the functions below only decide *where* a cue must stand
relative to a number. The text is cut into clauses; every number is found once (percent, money
with its own currency, duration); each number is then given one role -- commission, payout
minimum, cookie window, months cap, or "something else" (a worked example, a threshold, a
bonus, a customer discount, a sub-affiliate override, an order-value tier boundary, a price).
Anything the text does not state stays None / UNKNOWN: a guessed value ranks a program above
ones whose terms are real.

Conventions (documented in tests/data/terms/README.md, which labels the benchmark corpus):
- payout type: explicit model word (CPL, CPC, CPI, CPM, CPA/bounty/FTD, revenue share, CPS;
  revenue share wins a two-model deal) > recurring percent = revshare > flat amount per unit
  (lead/sign-up = cpl, click = cpc, install = cpi, sale/order = cps, anything else = cpa) >
  percent = cps; a flat amount without a unit leaves the type unknown.
- money: symbol or ISO code before or after, "1,000.50" / "1.000,50" / "1 000", minor units
  ("20p" = 0.20 GBP, "50 cents"), a range only within one currency ("between 100 and 500 EUR"
  is 100-500), an amount of 0 is unknown, a bare "$" is USD.
- cookie: only a duration in a cookie / tracking / attribution clause ("tracked for 60 days",
  "24-hour cookie", "within 60 days of the click"), never a hold, refund or trial period.
- recurring: "for 12 months", "lifetime", "as long as the customer stays" -> True;
  "one-time", "first payment only", "initial transaction only" -> False; "once a customer has
  purchased" says nothing about recurrence.
"""

from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import pycountry
import yaml

from matrix.models import Commission, CommissionModel, PayoutTerms, PayoutType

VOCABULARY_PATH = Path(__file__).resolve().parents[1] / "data" / "terms" / "vocabulary.yaml"
FIELDS = ("model", "percent", "flat", "currency", "tiers", "recurring", "recurring_months", "lifetime",
          "payout_type", "cookie_days", "payout_minimum", "payout_currency", "frequency", "methods", "restrictions")
MAX_COOKIE_DAYS = 3650.0

# ---------------------------------------------------------------------------------------------
# results
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Found:
    """One extracted value and the [start, end) character span of the text it was read from."""

    value: Any
    span: tuple[int, int]

    def quote(self, text: str) -> str:
        return text[self.span[0]: self.span[1]]


@dataclass
class Terms:
    """Typed terms read from one text. Every field is None / [] when the text does not state it."""

    text: str
    model: Found | None = None              # CommissionModel
    percent_min: Found | None = None        # float, percent units (30.0 = 30 %)
    percent_max: Found | None = None
    flat_min: Found | None = None           # float, in `currency`
    flat_max: Found | None = None
    currency: Found | None = None           # ISO 4217 of the flat commission
    tiers: list[Found] = field(default_factory=list)   # volume/plan tiers, percent, in text order
    recurring: Found | None = None          # bool
    recurring_months: Found | None = None   # int cap on recurring payments
    lifetime: Found | None = None           # True when stated unlimited
    payout_type: Found | None = None        # PayoutType
    cookie_days: Found | None = None        # float; 0.0 = session cookie
    cookie_lifetime: Found | None = None    # True for a "lifetime" / "never expires" cookie
    payout_minimum: Found | None = None     # float, in `payout_currency`
    payout_currency: Found | None = None
    frequency: Found | None = None          # weekly, monthly, net-30, on-request ...
    methods: list[Found] = field(default_factory=list)
    restrictions: list[Found] = field(default_factory=list)   # "no-incent", "no-brand-bidding" ...
    _commission_nums: list[Any] = field(default_factory=list, repr=False, compare=False)

    def as_dict(self) -> dict[str, Any]:
        """Plain values in the benchmark's label shape (tests/data/terms/README.md); None = not stated."""
        v = _value
        percent = None if self.percent_max is None else [v(self.percent_min), v(self.percent_max)]
        flat = None if self.flat_max is None else [v(self.flat_min), v(self.flat_max)]
        return {
            "model": None if self.model is None else self.model.value.value,
            "percent": percent,
            "flat": flat,
            "currency": v(self.currency),
            "tiers": [t.value for t in self.tiers] or None,
            "recurring": v(self.recurring),
            "recurring_months": v(self.recurring_months),
            "lifetime": v(self.lifetime),
            "payout_type": None if self.payout_type is None else self.payout_type.value.value,
            "cookie_days": v(self.cookie_days),
            "payout_minimum": v(self.payout_minimum),
            "payout_currency": v(self.payout_currency),
            "frequency": v(self.frequency),
            "methods": [m.value for m in self.methods] or None,
            "restrictions": [r.value for r in self.restrictions] or None,
        }

    def unknown_fields(self) -> list[str]:
        return [k for k, val in self.as_dict().items() if val is None]

    def to_commission(self, raw: str | None = None, currency_hint: str | None = None) -> Commission:
        """The `Commission` model: values without spans, raw text kept (built in one validation)."""
        v = _value
        fields: dict[str, Any] = {"raw": raw if raw is not None else self.text, "recurring": v(self.recurring),
                                  "lifetime": v(self.lifetime), "duration_months": v(self.recurring_months)}
        if self.payout_type is not None:
            fields["payout_type"] = self.payout_type.value
        if self.model is not None:
            cur = v(self.currency) or (currency_hint.upper() if currency_hint and self.flat_max is not None else None)
            fields.update(model=self.model.value, percent_min=v(self.percent_min), percent_max=v(self.percent_max),
                          flat_min=v(self.flat_min), flat_max=v(self.flat_max), currency=cur)
        return Commission(**fields)

    def to_payout(self, raw: str | None = None) -> PayoutTerms:
        return PayoutTerms(minimum=_value(self.payout_minimum), currency=_value(self.payout_currency),
                           frequency=_value(self.frequency), methods=[m.value for m in self.methods],
                           raw=raw if raw is not None else self.text)


def _value(f: Found | None) -> Any:
    return None if f is None else f.value


# ---------------------------------------------------------------------------------------------
# vocabulary -> compiled rules
# ---------------------------------------------------------------------------------------------


def _alt(items: Iterable[str]) -> str:
    return "(?:" + "|".join(items) + ")"


_UNIT_ADJECTIVES = r"(?:an? |the |new |qualified |valid |paid |successful |approved |unique |active |first[- ]time |referred )*"


class _Rules:
    """Regexes compiled once from the vocabulary file."""

    def __init__(self, vocab: dict[str, Any]):
        self.vocab = vocab
        ic = re.IGNORECASE
        self.sym_before = dict(vocab["currency_symbols_before"])
        sym_alt = "|".join(re.escape(s) for s in sorted(self.sym_before, key=len, reverse=True))
        self.before_cur = re.compile(rf"(?:(?<![A-Za-z])(?P<sym>{sym_alt})|(?<![A-Za-z])(?P<code>[A-Za-z]{{3}})\.?)\s*$")
        self.sym_after = {k: (v[0], float(v[1])) for k, v in vocab["currency_symbols_after"].items()}
        after_alt = "|".join(sorted(self.sym_after, key=len, reverse=True))
        self.after_cur = re.compile(rf"\s?(?:(?P<sym>{after_alt})(?![A-Za-z])|(?P<code>[A-Za-z]{{3}})(?![A-Za-z]))", ic)
        self.common_iso = set(vocab["common_iso_codes"])
        self.all_iso = {c.alpha_3 for c in pycountry.currencies} - {"XXX", "XTS"}
        self.dot_thousands = set(vocab["dot_thousands_currencies"])
        w = lambda p: re.compile(rf"(?<![\w-]){p}(?![\w])", ic)  # noqa: E731
        self.commission_cue = w(_alt(vocab["commission_cues"]))
        self.tie_before = re.compile(rf"(?<![\w-]){_alt(vocab['money_ties_before'])}\s*$", ic)
        unit = r"([A-Za-z][\w-]*(?: [\w-]+){0,3})"
        self.unit_after = re.compile(rf"\s*{vocab['money_unit_after']}\s*{_UNIT_ADJECTIVES}{unit}", ic)
        self.noun_after = re.compile(rf"\s*{vocab['money_noun_after']}\b", ic)
        self.price_unit_after = re.compile(rf"\s*(?:/|per |a |an |each )\s*{vocab['price_units']}\b", ic)
        self.example = w(_alt(vocab["example_markers"]))
        self.purchase_before = re.compile(rf"\b{vocab['purchase_verbs']}\s+(?:a |an |the |for |of |up to )?$"
                                          r"|\b(?:sale|order|purchase|basket|cart|investment) (?:of|worth|value of)"
                                          r"\s+(?:a |an )?$",
                                          ic)
        self.pct_not_after = re.compile(rf"\s*(?:commission\s+)?{_alt(vocab['percent_not_commission_after'])}", ic)
        self.pct_not_before = re.compile(rf"(?<![\w-]){_alt(vocab['percent_not_commission_before'])}\s*\(?\s*$", ic)
        self.override = w(vocab["override_words"])
        self.bonus = w(vocab["bonus_words"])
        self.milestone_after = re.compile(rf"\s*{vocab['milestone_after']}", ic)
        self.price_before = re.compile(rf"(?<![\w-]){vocab['price_before']}\s*(?:an? |the )?$", ic)
        self.threshold = w(vocab["threshold_words"])
        self.payout_word = w(vocab["payout_words"])
        self.threshold_veto = w(vocab["threshold_vetoes"])
        self.cookie_word = w(_alt(vocab["cookie_words"]))
        self.cookie_veto = w(_alt(vocab["cookie_vetoes"]))
        self.negator = vocab["negators"]
        self.rec_true = [w(p) for p in vocab["recurring_true"]]
        self.rec_false = [w(p) for p in vocab["recurring_false"]]
        self.lifetime = [w(p) for p in vocab["lifetime"]]
        n = rf"(?P<n>\d{{1,3}}|{_alt(_WORD_NUMBERS)})"
        self.months_cap = [w(p.replace("{N}", n)) for p in vocab["months_cap"]]
        self.months_veto = re.compile(rf"(?<![\w-]){vocab['months_cap_vetoes']}\W+(?:\w+\W+){{0,2}}$", ic)
        self.type_words = {PayoutType(k): w(p) for k, p in vocab["payout_type_words"].items()}
        self.unit_types = [(PayoutType(k), re.compile(rf"\b{p}\b", ic)) for k, p in vocab["unit_types"].items()]
        self.methods = [(k, w(p)) for k, p in vocab["methods"].items()]
        self.method_context = w(vocab["method_context"])
        self.methods_anywhere = set(vocab["methods_without_context"])
        self.frequencies = [(k, w(p)) for k, p in vocab["frequencies"].items()]
        self.frequency_context = w(vocab["frequency_context"])


_WORD_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
                 "ten": 10, "twelve": 12, "fourteen": 14, "fifteen": 15, "eighteen": 18, "twenty": 20,
                 "twenty-four": 24, "thirty": 30, "forty-five": 45, "sixty": 60, "ninety": 90, "a": 1, "an": 1}


@functools.lru_cache(maxsize=1)
def vocabulary() -> dict[str, Any]:
    with open(VOCABULARY_PATH, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


@functools.lru_cache(maxsize=1)
def _rules() -> _Rules:
    return _Rules(vocabulary())


# ---------------------------------------------------------------------------------------------
# text -> clauses
# ---------------------------------------------------------------------------------------------

# Same-length replacements only, so every span indexes the caller's text.
_SAME_LENGTH = str.maketrans({"\xa0": " ", "\u2009": " ", "\u202f": " ", "\u2007": " ", "–": "-", "—": "-",
                              "−": "-", "’": "'", "‘": "'", "“": '"', "”": '"', "\t": " "})
_BOUNDARY = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[•*-]?\s*[A-Z])|\n+|\s*\|\s*|\s*•\s*|(?<=[a-z)])\s-\s(?=[A-Z])")


def _clauses(text: str) -> list[tuple[int, int]]:
    """Sentence-like clauses as spans; a short label cell ("Cookie days", "Base commission") is
    joined to the value cell after it, so table layouts read like "label value"."""
    raw: list[tuple[int, int]] = []
    pos = 0
    for m in _BOUNDARY.finditer(text):
        raw.append((pos, m.start()))
        pos = m.end()
    raw.append((pos, len(text)))
    spans = []
    for s, e in raw:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            spans.append((s, e))
    merged: list[tuple[int, int]] = []
    carry: int | None = None
    for s, e in spans:
        piece = text[s:e]
        is_label = not re.search(r"\d", piece) and len(piece.split()) <= 4 and not piece.rstrip().endswith((".", "!", "?"))
        if carry is not None:
            s = carry
            carry = None
        if is_label and (s, e) != spans[-1]:
            carry = s
            continue
        merged.append((s, e))
    if carry is not None:
        merged.append((carry, spans[-1][1]))
    return merged


# ---------------------------------------------------------------------------------------------
# numbers: percents, money, durations
# ---------------------------------------------------------------------------------------------

_NUMBER = re.compile(r"(?<![\d.,])(\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?|\d{1,3}(?:\.\d{3})+(?:,\d{1,2})?|\d+(?:[.,]\d+)?)(?!\d)")
_SPACED = re.compile(r"(?<![\d.,])\d{1,3}(?: \d{3})+(?:[.,]\d{1,2})?(?![\d])")
_PERCENT_AFTER = re.compile(r"\s*(?:%|percent\b|per cent\b|pct\b)", re.I)
_RANGE_JOIN = re.compile(r"^\s*(?:-|to|and)\s*$", re.I)


@dataclass
class _Num:
    value: float
    start: int
    end: int          # end of the number itself
    span_end: int     # end including a trailing % / currency
    kind: str         # "pct", "money", "bare"
    currency: str | None = None
    role: str | None = None
    raw: str = ""
    partner: "_Num | None" = None   # the other end of a range ("between 100 and 500 EUR")


def _parse_number(s: str, currency: str | None) -> float:
    s = s.replace(" ", "").replace("'", "")
    if "," in s and "." in s:
        dec = "," if s.rfind(",") > s.rfind(".") else "."
        s = s.replace("." if dec == "," else ",", "").replace(",", ".")
    elif "," in s:
        s = s.replace(",", "") if re.fullmatch(r"\d{1,3}(?:,\d{3})+", s) else s.replace(",", ".")
    elif "." in s:
        many_groups = re.fullmatch(r"\d{1,3}(?:\.\d{3}){2,}", s)
        if many_groups or (re.fullmatch(r"\d{1,3}\.\d{3}", s) and currency in _rules().dot_thousands):
            s = s.replace(".", "")
    return float(s)


def _currency_before(text: str, start: int) -> tuple[str | None, int]:
    r = _rules()
    m = r.before_cur.search(text, max(0, start - 6), start)
    if not m:
        return None, start
    if m.group("sym"):
        return r.sym_before[m.group("sym")], m.start()
    code = m.group("code")
    iso = _iso(code)
    return (iso, m.start()) if iso else (None, start)


def _currency_after(text: str, end: int) -> tuple[str | None, float, int]:
    r = _rules()
    m = r.after_cur.match(text, end, min(len(text), end + 20))
    if not m:
        return None, 1.0, end
    if m.group("sym"):
        sym = m.group("sym").lower()
        for key, (cur, factor) in r.sym_after.items():
            if re.fullmatch(key, sym, re.I):
                if key == "p" and (m.start("sym") != end):
                    return None, 1.0, end   # "20 p" is not pence; "20p" is
                return cur, factor, m.end()
        return None, 1.0, end
    iso = _iso(m.group("code"))
    return (iso, 1.0, m.end()) if iso else (None, 1.0, end)


def _iso(code: str) -> str | None:
    r = _rules()
    if code.upper() in r.common_iso:
        return code.upper()
    if code.isupper() and code in r.all_iso:
        return code
    return None


def _numbers(text: str) -> list[_Num]:
    """Every number once: a percent, an amount of money (with its own currency), or bare."""
    out: list[_Num] = []
    taken: list[tuple[int, int]] = []
    for m in list(_SPACED.finditer(text)) + list(_NUMBER.finditer(text)):
        if any(s < m.end() and m.start() < e for s, e in taken):
            continue
        start, end = m.start(), m.end()
        prev = text[start - 1] if start else " "
        if prev.isalpha():
            cur_b, _ = _currency_before(text, start)
            if cur_b is None:
                continue      # "W-9", "mp3", "H1": part of a word
        if m.re is _SPACED:
            cb, _ = _currency_before(text, start)
            ca, _, _ = _currency_after(text, end)
            if not (cb or ca):
                continue
        pm = _PERCENT_AFTER.match(text, end)
        if pm:
            out.append(_Num(_parse_number(m.group(0), None), start, end, pm.end(), "pct", raw=m.group(0)))
            taken.append((start, end))
            continue
        cur_b, s0 = _currency_before(text, start)
        cur_a, factor, e1 = _currency_after(text, end)
        cur = cur_b or cur_a
        if cur_b and cur_a and cur_b != cur_a and factor == 1.0:
            cur_a, e1 = None, end        # "$25 USD" agrees; "$25 EUR" keeps the symbol
        if cur:
            val = _parse_number(m.group(0), cur) * (factor if not cur_b else 1.0)
            out.append(_Num(round(val, 6), s0, end, e1 if cur_a else end, "money", cur, raw=m.group(0)))
        else:
            out.append(_Num(_parse_number(m.group(0), None), start, end, end, "bare", raw=m.group(0)))
        taken.append((start, end))
    out.sort(key=lambda n: n.start)
    _join_ranges(text, out)
    return out


def _join_ranges(text: str, nums: list[_Num]) -> None:
    """"20-30%", "$5-50", "between 100 and 500 EUR": the unit written once applies to both ends,
    but two different currencies never make one range."""
    for a, b in zip(nums, nums[1:], strict=False):
        gap = text[a.span_end:b.start]
        if b.kind == "money" and a.kind == "money":
            gap = text[a.span_end:b.start]
        if not _RANGE_JOIN.match(gap):
            continue
        if " and" in gap.lower() and not re.search(r"between\s*$", text[max(0, a.start - 12):a.start], re.I):
            continue
        a.partner, b.partner = b, a
        if a.kind == "bare" and b.kind == "pct":
            a.kind = "pct"
        elif a.kind == "bare" and b.kind == "money":
            a.kind, a.currency = "money", b.currency
            a.value = _parse_number(a.raw, b.currency)
        elif a.kind == "money" and b.kind == "bare" and not _PERCENT_AFTER.match(text, b.end):
            b.kind, b.currency = "money", a.currency
            b.value = _parse_number(b.raw, a.currency)


_DURATION = re.compile(
    r"(?<![\w.])(?P<n>\d+(?:\.\d+)?|" + "|".join(sorted(_WORD_NUMBERS, key=len, reverse=True)) + r")"
    r"(?:[\s-]*|\s*-\s*)(?P<u>seconds?|minutes?|hours?|hrs?|days?|day\(s\)|weeks?|months?|years?|yrs?)(?![\w])"
    r"|(?<![\w.])(?P<n2>\d+)(?P<u2>d)(?![\w])", re.I)
_UNIT_DAYS = {"second": 1 / 86400, "minute": 1 / 1440, "hour": 1 / 24, "hr": 1 / 24, "day": 1.0, "week": 7.0,
              "month": 30.0, "year": 365.0, "yr": 365.0, "d": 1.0}


def _durations(text: str, start: int, end: int) -> list[tuple[float, int, int]]:
    out = []
    for m in _DURATION.finditer(text, start, end):
        n, u = (m.group("n"), m.group("u")) if m.group("n") else (m.group("n2"), m.group("u2"))
        n = n.lower()
        val = float(_WORD_NUMBERS[n]) if n in _WORD_NUMBERS else float(n)
        unit = u.lower().replace("(s)", "")
        unit = unit[:-1] if unit.endswith("s") and unit[:-1] in _UNIT_DAYS else unit
        out.append((round(val * _UNIT_DAYS[unit], 4), m.start(), m.end()))
    return out


# ---------------------------------------------------------------------------------------------
# the extractor
# ---------------------------------------------------------------------------------------------


def extract_terms(text: str | None, *, context: str | None = None) -> Terms:
    """Read typed terms from free text (or from one labelled field when `context` names it:
    "commission", "cookie" or "payout" -- the label is then the cue the prose would carry)."""
    if text is None:
        return Terms(text="")
    original = str(text)
    t = original.translate(_SAME_LENGTH)
    terms = Terms(text=original)
    if not t.strip():
        return terms
    clauses = _clauses(t)
    nums = _numbers(t)
    # a labelled field is read only for what its label is about: a cookie cell has no payout terms
    wants = {"commission": {"commission"}, "cookie": {"cookie"}, "payout": {"payout"}}.get(context or "",
                                                                                         {"commission", "cookie", "payout"})
    if "commission" in wants:
        _commission(t, clauses, nums, _example_clauses(t, clauses, nums), terms, context)
        _recurrence(t, clauses, terms, context)
        _payout_type(t, clauses, terms)
    if "cookie" in wants:
        _cookie(t, clauses, terms, context)
    if "payout" in wants:
        _payout_minimum(t, clauses, nums, terms, context)
        _frequency(t, clauses, terms, context)
        _methods(t, clauses, terms, context)
    if context is None:
        _restrictions(original, terms)
    return terms


def _in(span: tuple[int, int], n: _Num) -> bool:
    return span[0] <= n.start < span[1]


def _example_clauses(t: str, clauses: list[tuple[int, int]], nums: list[_Num]) -> set[int]:
    """Indexes of clauses inside a worked example: the marker clause and the one after it."""
    r = _rules()
    out: set[int] = set()
    for i, (s, e) in enumerate(clauses):
        if r.example.search(t, s, e):
            out.update({i, i + 1})
    return out


# --- commission ------------------------------------------------------------------------------

def _pct_is_commission(t: str, n: _Num, lo: int, hi: int) -> bool:
    r = _rules()
    if not 0 < n.value <= 100:
        return False
    before = t[max(lo, n.start - 40):n.start]
    after = t[n.span_end:min(hi, n.span_end + 40)]
    if r.pct_not_after.match(after) or r.pct_not_before.search(before):
        return False
    if re.match(r"^\s*\+\s*\d", after):    # "2.9% + 30 cents" is a fee formula
        return False
    fwd = t[n.span_end:_next_number_start(t, n, hi)]
    back = t[_prev_number_end(t, n, lo):n.start]
    if r.override.search(fwd[:90]) or r.override.search(back[-60:]):
        return False
    if r.bonus.search(after[:12]):
        return False
    return True


def _next_number_start(t: str, n: _Num, hi: int) -> int:
    m = re.compile(r"\d").search(t, n.span_end, hi)
    return m.start() if m else hi


def _prev_number_end(t: str, n: _Num, lo: int) -> int:
    seg = t[lo:n.start]
    idx = max((m.end() for m in re.finditer(r"\d%?", seg)), default=0)
    return lo + idx


def _money_is_commission(t: str, n: _Num, lo: int, hi: int, implied: bool) -> bool:
    r = _rules()
    if n.value <= 0:
        return False
    before = t[max(lo, n.start - 45):n.start]
    after = t[n.span_end:min(hi, n.span_end + 60)]
    if r.price_unit_after.match(after):
        return False
    if r.bonus.search(before[-25:]) or r.bonus.search(after[:25]) or r.milestone_after.match(after):
        return False
    if r.threshold_veto.search(before[-25:]):
        return False
    back = t[_prev_number_end(t, n, lo):n.start]
    fwd = t[n.span_end:_next_number_start(t, n, hi)]
    if r.override.search(fwd[:70]) or r.override.search(back[-50:]):
        return False
    if r.threshold.search(before[-22:]) and r.payout_word.search(t, lo, hi):
        return False
    tied = bool(r.tie_before.search(before) or r.noun_after.match(after) or r.unit_after.match(after))
    if tied:
        return True
    if implied and not r.price_before.search(before) and not r.threshold.search(before[-22:]):
        return True
    return False


def _commission(t, clauses, nums, example, terms: Terms, context) -> None:
    r = _rules()
    implied = context == "commission"
    pcts: list[_Num] = []
    money: list[_Num] = []
    tier_clauses: list[int] = []
    cue_prev = False
    for i, (s, e) in enumerate(clauses):
        own_cue = implied or bool(r.commission_cue.search(t, s, e))
        cue = own_cue or cue_prev
        found = False
        # "refer five friends who buy $200, you earn $30": an earned amount next to a purchase
        # amount is arithmetic on an example, not the rate
        worked = any(n.kind == "money" and _in((s, e), n) and _purchase_amount(t, n, s) for n in nums)
        if i not in example:
            for n in nums:
                if not _in((s, e), n):
                    continue
                if n.kind == "pct" and cue and _pct_is_commission(t, n, s, e):
                    n.role = "commission"
                    pcts.append(n)
                    found = True
                    tier_clauses.append(i)
                elif n.kind == "money" and not worked and _money_is_commission(t, n, s, e, implied):
                    n.role = "commission"
                    money.append(n)
                    found = True
        cue_prev = own_cue or (cue and found)
    for group in (pcts, money):
        for n in list(group):
            p = n.partner
            if p is not None and p.kind == n.kind and p.role != "commission" and p not in group:
                p.role = "commission"
                group.append(p)
        group.sort(key=lambda n: n.start)
    if pcts:
        vals = [n.value for n in pcts]
        lo = min(pcts, key=lambda n: n.value)
        hi = max(pcts, key=lambda n: n.value)
        terms.percent_max = Found(hi.value, (hi.start, hi.span_end))
        up_to = len(set(vals)) == 1 and _up_to_before(t, pcts[0])
        terms.percent_min = None if up_to else Found(lo.value, (lo.start, lo.span_end))
        if len(set(vals)) > 1 and _tiered(t, clauses, tier_clauses):
            first_of_value: dict[float, _Num] = {}
            for n in pcts:
                first_of_value.setdefault(n.value, n)
            terms.tiers = [Found(n.value, (n.start, n.span_end)) for n in first_of_value.values()]
    if money:
        cur = money[0].currency
        same = [n for n in money if n.currency == cur]     # never mix currencies in one range
        lo = min(same, key=lambda n: n.value)
        hi = max(same, key=lambda n: n.value)
        terms.flat_max = Found(hi.value, (hi.start, hi.span_end))
        up_to = len({n.value for n in same}) == 1 and _up_to_before(t, same[0])
        terms.flat_min = None if up_to else Found(lo.value, (lo.start, lo.span_end))
        terms.currency = Found(cur, (same[0].start, same[0].span_end))
    if pcts or money:
        first = min(pcts + money, key=lambda n: n.start)
        model = CommissionModel.HYBRID if pcts and money else CommissionModel.PERCENT if pcts else CommissionModel.FLAT
        terms.model = Found(model, (first.start, first.span_end))
    terms._commission_nums = pcts + money


def _purchase_amount(t: str, n: _Num, lo: int) -> bool:
    before = t[max(lo, n.start - 30):n.start]
    return bool(_rules().purchase_before.search(before) or re.match(r"(?i)\s*worth of\b", t[n.span_end:n.span_end + 12]))


_UP_TO = re.compile(r"(?:(?<![\w-])up to|as much as|max(?:imum)?(?: of)?)\s*(?:an? )?(?:average of )?[$€£₹]?\s*$", re.I)


def _up_to_before(t: str, n: _Num) -> bool:
    """"up to 30%" caps; "sign-up to 30%" (a sign-up, then "to") does not."""
    before = t[max(0, n.start - 25):n.start]
    m = _UP_TO.search(before)
    if not m:
        return False
    pre = before[:m.start()]
    return not re.search(r"(?:sign|signs|signed|signing|set|sets|add|adds|sum|sums|end|ends)[\s-]*$", pre, re.I)


_TIER_MARKERS = re.compile(r"\btiers?\b|\blevels?\b|\bsilver\b|\bgold\b|\bbronze\b|\bplatinum\b|\bsales? (?:a|per) month\b"
                           r"|\bor more\b|\d\+|\breach(?:es)?\b|\bover\b|\bless than\b|\bup to [$€£]"
                           r"|\b\d+\s*(?:-|to)\s*\d+ sales\b|\bfor (?:subscriptions|plans|orders) of\b"
                           r"|\bmonthly (?:net )?revenue\b|\bperformance\b|\bthreshold\b", re.I)


def _tiered(t: str, clauses, idxs: list[int]) -> bool:
    text = " ".join(t[clauses[i][0]:clauses[i][1]] for i in sorted(set(idxs)))
    prev = " ".join(t[clauses[i - 1][0]:clauses[i - 1][1]] for i in sorted(set(idxs)) if i > 0)
    return bool(_TIER_MARKERS.search(text) or re.search(r"\btier", prev, re.I))


# --- recurring, months, lifetime ------------------------------------------------------------

def _negated(t: str, start: int) -> bool:
    r = _rules()
    return bool(re.search(rf"\b{r.negator}\b\W+(?:\w+\W+){{0,1}}$", t[max(0, start - 20):start], re.I))


_NEGATED_AFTER = re.compile(r"(?i)\s*(?:\w+\s+){0,2}(?:(?:are|is|do|does|will|shall)\s+not|aren'?t|isn'?t|don'?t|doesn'?t|won'?t"
                            r"|are excluded|is excluded|not (?:commissionable|eligible|included))\b")
_OTHER_SUBJECT = re.compile(r"(?i)\b(?:customers?|users?|clients?|they|subscribers?|members?|buyers?|merchants?)"
                            r"\s+(?:\w+\s+){0,3}$")
_NO_COMMISSION_ON = re.compile(r"(?i)no commissions? on\W+(?:\w+\W+){0,2}$")


def _recurrence(t: str, clauses, terms: Terms, context) -> None:
    """recurring / recurring_months / lifetime: positive cues win over "one-time" cues; a months cap
    is not a lifetime; a one-time commission has neither."""
    r = _rules()
    has_commission = terms.model is not None or context == "commission"
    true_hit = false_hit = months = life = None
    for s, e in clauses:
        clause = t[s:e]
        if r.bonus.search(clause) and not r.commission_cue.search(re.sub(r"(?i)bonus\w*", "", clause)):
            continue      # "the bonus is a 1-time bonus only" says nothing about the commission
        false_hit = false_hit or _one_time_cue(t, s, e)
        true_hit = true_hit or _recurring_cue(t, s, e)
        life = life or _lifetime_cue(t, s, e)
        if months is None and (r.commission_cue.search(clause) or has_commission):
            months = _months_cap(t, s, e)
    if months is not None:
        life = None             # a cap is not a lifetime
    positive = true_hit or months or life
    if positive is not None:
        terms.recurring = Found(True, positive.span)
        terms.recurring_months, terms.lifetime = months, life
    elif false_hit is not None:
        terms.recurring = false_hit


def _one_time_cue(t: str, s: int, e: int) -> Found | None:
    r = _rules()
    for rx in r.rec_false:
        m = rx.search(t, s, e)
        if m and not r.bonus.search(t[max(s, m.start() - 20):m.end() + 20]):
            return Found(False, (m.start(), m.end()))
    return None


def _recurring_cue(t: str, s: int, e: int) -> Found | None:
    r = _rules()
    clause = t[s:e]
    cookie_only = bool(r.cookie_word.search(clause)) and not r.commission_cue.search(clause)
    if cookie_only:
        return None
    for rx in r.rec_true:
        for m in rx.finditer(t, s, e):
            if _negated(t, m.start()) or _NEGATED_AFTER.match(t, m.end(), min(e, m.end() + 40)):
                continue     # "no recurring commission", "renewals are not commissionable"
            if re.match(r"(?i)renew", m.group(0)) and _NO_COMMISSION_ON.search(t[max(s, m.start() - 40):m.start()]):
                continue
            return Found(True, (m.start(), m.end()))
    return None


def _lifetime_cue(t: str, s: int, e: int) -> Found | None:
    for rx in _rules().lifetime:
        m = rx.search(t, s, e)
        if m and not re.search(r"(?i)cookie", t[max(s, m.start() - 15):min(e, m.end() + 15)]):
            return Found(True, (m.start(), m.end()))
    return None


def _months_cap(t: str, s: int, e: int) -> Found | None:
    """"for 12 months", "up to 2 years", "in the first year" -> months; never a trial, hold or cookie."""
    r = _rules()
    cookie_clause = bool(r.cookie_word.search(t, s, e))
    for rx in r.months_cap:
        m = rx.search(t, s, e)
        if not m:
            continue
        before = t[max(s, m.start() - 30):m.start()]
        if r.months_veto.search(before) or (cookie_clause and r.cookie_word.search(before)):
            continue
        n = m.group("n").lower()
        if n in ("first", "initial"):            # "the first year"
            return Found(12, (m.start(), m.end()))
        val = _WORD_NUMBERS.get(n) or int(n)
        unit = re.search(r"(?i)(month|year)", m.group(0)[m.end("n") - m.start():])
        months = val * 12 if unit and unit.group(1).lower() == "year" else val
        return Found(int(months), (m.start(), m.end())) if months > 1 else None
    return None


# --- payout type ----------------------------------------------------------------------------

def _payout_type(t: str, clauses, terms: Terms) -> None:
    r = _rules()
    explicit: Found | None = None
    for kind, rx in r.type_words.items():
        for m in rx.finditer(t):
            clause = next(((cs, ce) for cs, ce in clauses if cs <= m.start() < ce), (0, len(t)))
            if not (r.commission_cue.search(t, *clause) or _any_commission_in(terms, clause)):
                continue   # "run Pay Per Click campaigns" names a channel, not how the program pays
            if _negated(t, m.start()) or _NO_COMMISSION_FOR.search(t[max(0, m.start() - 40):m.start()]):
                continue
            if re.fullmatch(r"(?i)ppc", m.group(0)):
                continue
            earlier = explicit is not None and explicit.value is not PayoutType.REVSHARE and m.start() < explicit.span[0]
            if explicit is None or kind is PayoutType.REVSHARE or earlier:
                explicit = Found(kind, (m.start(), m.end()))   # "CPA $25 + 10% RevShare" is a revenue-share deal
            break
    if explicit is not None:
        terms.payout_type = explicit
        return
    if terms.model is None:
        return
    nums: list[_Num] = terms._commission_nums
    pct = [n for n in nums if n.kind == "pct"]
    flat = [n for n in nums if n.kind == "money"]
    span = terms.model.span
    if pct and terms.recurring is not None and terms.recurring.value:
        terms.payout_type = Found(PayoutType.REVSHARE, span)
        return
    if flat:
        unit_kind = _unit_type(t, flat[0])
        if unit_kind is not None:
            terms.payout_type = Found(unit_kind, span)
            return
    if pct:
        terms.payout_type = Found(PayoutType.CPS, span)   # a flat amount with no unit says nothing about the type


def _any_commission_in(terms: Terms, clause: tuple[int, int]) -> bool:
    return any(clause[0] <= n.start < clause[1] for n in terms._commission_nums)


_UNIT_PHRASE = re.compile(r"(?i)(?:per|for (?:every|each)|each|refers? (?:a|an)|creates? an?)\s+"
                          r"(?:new |qualified |valid |paid |unique |active )*([\w-]+(?: [\w-]+){0,3})")
_NO_COMMISSION_FOR = re.compile(r"(?i)\bno commission (?:for|on)\b[^.]{0,30}$")


def _unit_type(t: str, n: _Num) -> PayoutType | None:
    """Type of "per <unit>" after a flat amount, or of the unit named in its clause."""
    r = _rules()
    m = r.unit_after.match(t, n.span_end)
    phrases = []
    if m:
        phrases.append(m.group(1))
    seg_end = t.find(".", n.span_end)
    seg = t[n.span_end: seg_end if seg_end > 0 else len(t)]
    for mm in _UNIT_PHRASE.finditer(seg):
        phrases.append(mm.group(1))
    line_start = max(t.rfind(".", 0, n.start), 0)
    for mm in _UNIT_PHRASE.finditer(t[line_start:n.start]):
        phrases.append(mm.group(1))
    for phrase in phrases:
        words = re.sub(r"^account\b", "sign-up", phrase.lower()) if re.search(r"(?i)creates? an? account", t) else phrase.lower()
        if re.match(r"(?i)(?:month|mo|year|week|day)\b", words):
            continue
        for kind, rx in r.unit_types:
            if rx.search(words):
                return kind
        return PayoutType.CPA
    return None


# --- cookie ---------------------------------------------------------------------------------

_WITHIN_CLICK = re.compile(r"(?i)within\s+(?:the\s+)?(?:previous|last|past|first)?\s*$")
_WITHIN_PREVIOUS = re.compile(r"(?i)within\s+(?:the\s+)?(?:previous|last|past)\s*$")
_ATTRIB_OBJECT = re.compile(r"(?i)^\s*(?:of|after|from|following)\s+(?:the\s+|their\s+|your\s+|a\s+|an\s+|initial\s+|first\s+)*"
                            r"(?:click|click-through|clicking|referral|visit|arrival|link)")
_LINK_OR_CLICK = re.compile(r"(?i)\b(?:your|affiliate|referral|tracking)\s+link\b|\bclick")
_LIFETIME_COOKIE = re.compile(r"(?i)\b(?:lifetime|permanent|never expir\w*|unlimited)\b[^.]{0,20}\bcookies?\b"
                              r"|\bcookies?\b[^.]{0,25}\b(?:never expire\w*|lifetime|unlimited|permanent)\b")
_LIFETIME_WORD = re.compile(r"(?i)\b(?:lifetime|forever|unlimited|never expires?|permanent)\b")
_SESSION_COOKIE = re.compile(r"(?i)\bsession cookies?\b")
_SESSION_FIELD = re.compile(r"(?i)\bsession\b|\bno cookie\b|\bbrowser close")


def _cookie(t: str, clauses, terms: Terms, context) -> None:
    """The attribution window: the duration nearest a cookie / tracking / attribution cue; a field
    value (`context="cookie"`) is a cookie by its label."""
    best: tuple[float, float, int, int] | None = None     # (distance, days, start, end)
    for i, (s, e) in enumerate(clauses):
        _cookie_words_without_numbers(t, s, e, terms, context)
        if context == "cookie" and _cookie_field(t, s, e, terms):
            return
        for cand in _cookie_candidates(t, clauses, i, context):
            if best is None or cand[0] < best[0]:
                best = cand
    if best is not None:
        terms.cookie_days = Found(best[1], (best[2], best[3]))


def _cookie_words_without_numbers(t: str, s: int, e: int, terms: Terms, context) -> None:
    clause = t[s:e]
    m = _SESSION_COOKIE.search(clause)
    if m:
        terms.cookie_days = Found(0.0, (s + m.start(), s + m.end()))
    if _LIFETIME_COOKIE.search(clause) or (context == "cookie" and _LIFETIME_WORD.search(clause)):
        m = _LIFETIME_WORD.search(clause) or re.search(r"(?i)never expir\w*", clause)
        if m:
            terms.cookie_lifetime = Found(True, (s + m.start(), s + m.end()))


def _cookie_field(t: str, s: int, e: int, terms: Terms) -> bool:
    """"Session" and a bare "60" in a cookie field; True when the field is settled."""
    clause = t[s:e]
    if _SESSION_FIELD.search(clause):
        terms.cookie_days = Found(0.0, (s, e))
        return True
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*", clause)
    if m and not _durations(t, s, e) and 0 < float(m.group(1)) <= MAX_COOKIE_DAYS:
        terms.cookie_days = Found(float(m.group(1)), (s + m.start(1), s + m.end(1)))
        return True
    return False


def _cookie_keywords(t: str, clauses, i: int, context) -> list[tuple[int, int]]:
    """Spans of the cookie cues a duration in clause i may belong to."""
    r = _rules()
    s, e = clauses[i]
    clause = t[s:e]
    lo = s
    if i > 0 and re.match(r"(?i)(?:this|it|they|these|the link)\b", clause):
        ps, pe = clauses[i - 1]
        if r.cookie_word.search(t, ps, pe) is None and re.search(r"(?i)\blink\b", t[ps:pe]):
            lo = ps      # "The link ... applies your code. This will last up to 30 days."
    keywords = [(m.start(), m.end()) for m in r.cookie_word.finditer(t, lo, e)]
    if lo < s and re.search(r"(?i)\b(?:last|lasts|valid|expires?|active|remains?)\b", clause):
        keywords.append((s, s))     # the previous clause's link is what lasts
    if context == "cookie":
        keywords.append((s, s))
    return keywords


def _cookie_candidates(t: str, clauses, i: int, context) -> list[tuple[float, float, int, int]]:
    r = _rules()
    s, e = clauses[i]
    durs = _durations(t, s, e)
    if not durs:
        return []
    keywords = _cookie_keywords(t, clauses, i, context)
    out: list[tuple[float, float, int, int]] = []
    for idx, (days, ds, de) in enumerate(durs):
        if days <= 0 or days > MAX_COOKIE_DAYS:
            continue
        near = t[max(s, ds - 18):min(e, de + 14)]
        if r.cookie_veto.search(near) and not r.cookie_word.search(near):
            continue      # a hold, a refund window, a trial
        before, after = t[max(s, ds - 30):ds], t[de:min(e, de + 40)]
        attributive = bool(_WITHIN_CLICK.search(before) and (_ATTRIB_OBJECT.match(after) or _LINK_OR_CLICK.search(t, s, e)))
        referred = bool(_WITHIN_PREVIOUS.search(before) and re.search(r"(?i)\breferred\b", t[s:ds]))
        dist = min((_gap_cost(t, ke, ds) if ke <= ds else _gap_cost(t, de, ks) for ks, ke in keywords), default=None)
        if dist is None and not (attributive or referred):
            continue
        # "changed from 60 days to 600 days": the later value is the one in force
        changed = idx + 1 < len(durs) and re.fullmatch(r"(?i)\s*to\s*", t[de:durs[idx + 1][1]])
        stale = re.search(r"(?i)instead of (?:the )?(?:previous|old)?\s*$", before)
        if (changed and re.search(r"(?i)from\s*$", t[max(s, ds - 6):ds])) or stale:
            continue
        out.append((max(dist or 0, 0), days, ds, de))
    return out


def _gap_cost(t: str, a: int, b: int) -> int:
    """Characters between a cue and a value, plus a penalty for each punctuation mark that ends a
    phrase ("for 12 months - cookies last 60 days": the 60 belongs to the cookie)."""
    gap = t[a:b]
    return len(gap) + 40 * len(re.findall(r"[;,:]|\s-\s", gap))


# --- payout minimum -------------------------------------------------------------------------

_MINIMUM_PAYOUT = re.compile(r"(?i)minimum (?:payout|payment|balance|threshold|withdraw)")
_VOLUME_AFTER = re.compile(r"(?i)^\s*(?:in (?:sales|revenue)|worth|of (?:sales|revenue|new business)|sales)")
_COUNT_AFTER = re.compile(r"(?i)^\s*(?:days?|months?|weeks?|years?|hours?|%|sales|referrals|accounts|customers"
                          r"|units?|items?|orders?|subscribers|members|leads|conversions|actions|clicks)\b")


def _payout_minimum(t: str, clauses, nums: list[_Num], terms: Terms, context) -> None:
    r = _rules()
    implied = context == "payout"
    for s, e in clauses:
        clause = t[s:e]
        if r.threshold_veto.search(clause) and not _MINIMUM_PAYOUT.search(clause):
            continue
        if not (implied or (r.threshold.search(clause) and r.payout_word.search(clause))):
            continue
        best: tuple[int, _Num] | None = None
        for n in nums:
            if not _in((s, e), n) or n.role == "commission" or n.value <= 0 or n.kind == "pct":
                continue
            before = t[max(s, n.start - 40):n.start]
            after = t[n.span_end:min(e, n.span_end + 30)]
            price = r.price_before.search(before[-12:]) and not r.threshold.search(before[-20:])
            if r.bonus.search(before[-20:]) or r.bonus.search(after[:20]) or price:
                continue
            if _VOLUME_AFTER.match(after) or r.unit_after.match(after):
                continue     # "$1,000 in sales", "Rs.10 per transaction": a volume or a per-sale floor
            if n.kind == "bare":
                if not re.search(r"(?i)(?:minimum|min\.?|threshold|minimal)\b[^.\d]{0,25}$", before) and not implied:
                    continue
                if _PERCENT_AFTER.match(after) or _COUNT_AFTER.match(after):
                    continue
            d_before = [n.start - (s + m.end()) for m in r.threshold.finditer(clause) if s + m.end() <= n.start]
            d_after = [(s + m.start()) - n.span_end for m in r.threshold.finditer(clause) if s + m.start() >= n.span_end]
            dist = min(d_before + [x + 5 for x in d_after], default=None if not implied else 0)
            if dist is None or dist > 60:
                continue
            if best is None or dist < best[0]:
                best = (dist, n)
        if best is not None:
            n = best[1]
            terms.payout_minimum = Found(n.value, (n.start, n.span_end))
            if n.currency:
                terms.payout_currency = Found(n.currency, (n.start, n.span_end))
            return


# --- frequency, methods ---------------------------------------------------------------------

# A fixed schedule beats "Net N", which beats "monthly", which beats "on request".
_FREQ_PRIORITY = ["daily", "weekly", "biweekly", "semimonthly", "quarterly", "semiannually", "annually", "net", "monthly",
                  "on-request"]


def _frequency(t: str, clauses, terms: Terms, context) -> None:
    r = _rules()
    hits: list[Found] = []
    prev: tuple[int, int] | None = None
    for s, e in clauses:
        for m in re.finditer(r"(?i)\bnet[\s-]?(\d{1,3})\b(?!\s*%)", t[s:e]):
            hits.append(Found(f"net-{int(m.group(1))}", (s + m.start(), s + m.end())))
        ctx = context == "payout" or r.frequency_context.search(t, s, e) or (prev and r.frequency_context.search(t, *prev))
        prev = (s, e)
        if not ctx:
            continue
        for name, rx in r.frequencies:
            for m in rx.finditer(t, s, e):
                if _OTHER_SUBJECT.search(t[max(s, m.start() - 30):m.start()]) and not re.match(r"(?i)on|upon|by|at", m.group(0)):
                    continue     # "customers pay monthly or annually" is the customer's billing, not the payout
                hits.append(Found(name, (m.start(), m.end())))
                break
    if hits:
        rank = lambda f: _FREQ_PRIORITY.index("net" if f.value.startswith("net-") else f.value)  # noqa: E731
        terms.frequency = min(hits, key=lambda f: (rank(f), f.span[0]))


_BANK_IS_OTHER = re.compile(r"(?i)\bbank\s*\(\s*ach\s*\)|\bbank wire\b|\bwire\b")    # "bank wire" is one method: wire


def _methods(t: str, clauses, terms: Terms, context) -> None:
    r = _rules()
    found: dict[str, Found] = {}
    prev: tuple[int, int] | None = None
    for s, e in clauses:
        ctx = context == "payout" or r.method_context.search(t, s, e) or (prev and r.method_context.search(t, *prev))
        prev = (s, e)
        for name, rx in r.methods:
            if name in found or not (ctx or name in r.methods_anywhere):
                continue
            m = rx.search(t, s, e)
            if not m:
                continue
            if name == "bank" and _BANK_IS_OTHER.search(t[max(s, m.start() - 5):min(e, m.end() + 12)]):
                continue
            if name == "crypto" and _negated(t, m.start()):
                continue
            found[name] = Found(name, (m.start(), m.end()))
    terms.methods = sorted(found.values(), key=lambda f: f.span[0])


def _restrictions(text: str, terms: Terms) -> None:
    from matrix.normalize.text import extract_traffic_spans

    terms.restrictions = [Found(f"no-{name}", span) for name, span in extract_traffic_spans(text)]


# ---------------------------------------------------------------------------------------------
# helpers for callers and the benchmark
# ---------------------------------------------------------------------------------------------


def payout_type_of(text: str | None) -> PayoutType:
    """The payout type a short label names ("CPA", "pay per lead", "per sale", "RevShare"); UNKNOWN otherwise."""
    if not text:
        return PayoutType.UNKNOWN
    r = _rules()
    t = str(text).translate(_SAME_LENGTH)
    hits = [(m.start(), kind) for kind, rx in r.type_words.items() for m in [rx.search(t)] if m and not _negated(t, m.start())]
    if hits:
        kinds = [k for _, k in sorted(hits)]
        return PayoutType.REVSHARE if PayoutType.REVSHARE in kinds else kinds[0]
    m = re.search(r"(?i)\b(?:per|each|every|for (?:every|each))\s+(?:new |qualified |paid |valid )*([\w-]+)", t)
    noun = m.group(1) if m else t.strip()
    for kind, rx in r.unit_types:
        if rx.fullmatch(noun.strip().lower()) or (m and rx.search(noun)):
            return kind
    if m or re.fullmatch(r"(?i)\s*(?:action|acquisition|conversion|customer|subscription|deposit|signup bonus)s?\s*", t):
        return PayoutType.CPA
    return PayoutType.UNKNOWN


_ONE_TIME_LABEL = re.compile(r"(?i)\b(?:one[- ]?time|one[- ]off|single|non[- ]recurring"
                             r"|first (?:payment|purchase|sale|order)s? only|initial (?:payment|purchase|transaction)s? only)\b")


def recurrence_of(text: str | None) -> bool | None:
    """A commission-type label: "recurring" / "revshare" -> True, "one-time" / "first payment only" -> False."""
    if not text:
        return None
    t = str(text).translate(_SAME_LENGTH)
    if _ONE_TIME_LABEL.search(t):
        return False
    r = _rules()
    for rx in r.rec_true + r.lifetime:
        m = rx.search(t)
        if m and not _negated(t, m.start()):
            return True
    return None


def find_money(text: str | None) -> list[tuple[float, str | None, tuple[int, int]]]:
    """Every amount of money in `text` as (amount, ISO currency, span); 0 amounts are dropped."""
    if not text:
        return []
    t = str(text).translate(_SAME_LENGTH)
    return [(n.value, n.currency, (n.start, n.span_end)) for n in _numbers(t) if n.kind == "money" and n.value > 0]


def corpus_split(program: str) -> str:
    """The corpus' deterministic split: one program always lands on the same side."""
    key = re.sub(r"[^a-z0-9]+", "", program.lower())
    return "dev" if int(hashlib.sha1(key.encode()).hexdigest(), 16) % 2 == 0 else "heldout"

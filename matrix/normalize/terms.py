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
- frequency: only the affiliate's payout schedule, never the customer's billing ("customers pay
  monthly"), one billing instance ("the first monthly payment") or the commission's recurrence
  ("25% recurring (monthly)").
- methods: where the money lands ("your bank account", "IBAN") is not a second method beside the
  wire / ACH it serves; a negated method ("we do not pay by check") is not a method.
- restrictions: `matrix.normalize.text.extract_traffic` plus sentence-level prohibitions ("the terms
  prohibit trademark bidding", "violations such as brand bidding ...").
"""

from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator

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
    source: str = field(default="rules", compare=False)   # "arbiter": set by the learned arbiter (whole text)

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
    flat_open_above: bool = False           # (session 11) "$100+ per sale": flat_max holds the floor, no maximum stated
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
    # fields the learned arbiter changed: {field: {"rule": value, "arbiter": value, "probs": {class: p}}}
    arbitrated: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    _commission_nums: list[Any] = field(default_factory=list, repr=False, compare=False)

    def as_dict(self) -> dict[str, Any]:
        """Plain values in the benchmark's label shape (tests/data/terms/README.md); None = not stated."""
        v = _value
        percent = None if self.percent_max is None and self.percent_min is None else [v(self.percent_min), v(self.percent_max)]
        flat = None if self.flat_max is None else [v(self.flat_min), None if self.flat_open_above else v(self.flat_max)]
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
                          flat_min=v(self.flat_min), flat_max=None if self.flat_open_above else v(self.flat_max),
                          currency=cur)
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
        ordered = sorted(self.sym_before, key=len, reverse=True)
        sym_alt = "|".join(re.escape(s) for s in ordered)
        # (session 11) a sign alone may follow a lower-case word glued to it, as scraped table cells run a label into its
        # value ("Payout$28 per lead", "Commission€10"); a capital before it may be a country's letter ("N$" is not "$")
        sign_alt = "|".join(re.escape(s) for s in ordered if not re.search(r"[A-Za-z]", s))
        self.before_cur = re.compile(rf"(?:(?<![A-Za-z])(?P<sym>{sym_alt})|(?<=[a-z])(?P<sign>{sign_alt})"
                                     rf"|(?<![A-Za-z])(?P<code>[A-Za-z]{{3}})\.?)\s*$")
        self.sym_after = {k: (v[0], float(v[1])) for k, v in vocab["currency_symbols_after"].items()}
        after_alt = "|".join(sorted(self.sym_after, key=len, reverse=True))
        self.after_cur = re.compile(rf"(?:,-)?\s?(?:(?P<sym>{after_alt})(?![A-Za-z])|(?P<code>[A-Za-z]{{3}})(?![A-Za-z]))", ic)
        self.common_iso = set(vocab["common_iso_codes"])
        glued = vocab.get("currency_letters_glued_before", {})
        self.glued_letter = dict(glued)
        # (session 11) "R200", "N1,000": a capital letter glued to the figure, with no letter, digit or sign before it
        self.glued_cur = re.compile(rf"(?<![\w$€£&./-])(?P<sym>{'|'.join(map(re.escape, glued)) or '(?!)'})$")
        self.all_iso = {c.alpha_3 for c in pycountry.currencies} - {"XXX", "XTS"}
        self.dot_thousands = set(vocab["dot_thousands_currencies"])
        w = lambda p: re.compile(rf"(?<![\w-]){p}(?![\w])", ic)  # noqa: E731
        self.commission_cue = w(_alt(vocab["commission_cues"]))
        # an enumerated option may stand between the tie and the amount: "a referral fee of (a) $25"
        self.tie_before = re.compile(rf"(?<![\w-]){_alt(vocab['money_ties_before'])}(?:\s*[|:]\s*(?:up to)?)?"
                                     r"(?:\s*\(?[a-h1-9]\))?\s*$", ic)
        unit = r"([A-Za-z][\w-]*(?: [\w-]+){0,3})"
        # "$3 (per signup)"; (session 17) the unit hyphenated to "per": "$50 per-user"
        self.unit_after = re.compile(rf"\s*\(?{vocab['money_unit_after']}(?:-|\s*){_UNIT_ADJECTIVES}{unit}", ic)
        self.noun_after = re.compile(rf"\s*(?:{vocab['money_noun_after']}\b|{vocab['money_to_earner_after']})", ic)
        self.price_unit_after = re.compile(rf"\s*(?:/|per |a |an |each )\s*{vocab['price_units']}\b", ic)
        self.example = w(_alt(vocab["example_markers"]))
        self.example_condition = w(_alt(vocab["example_condition_words"]))
        self.comparison = w(_alt([vocab["comparison_markers"]]))
        # "buys $200", "purchases a design for $18", "orders a yearly plan at $99": what the customer pays
        self.purchase_before = re.compile(rf"\b{vocab['purchase_verbs']}\s+(?:a |an |the |for |of |up to )?$"
                                          rf"|\b{vocab['purchase_verbs']}\s+(?:an? |the |their |one )?(?:[\w-]+\s+){{1,3}}"
                                          r"(?:for|at|worth|priced at|costing)\s+$"
                                          r"|\b(?:sale|order|purchase|basket|cart|investment|rental|booking|reservation)"
                                          r" (?:of|worth|value of)\s+(?:a |an )?$"
                                          # (session 17) "Przy wynajmie auta za 400 PLN": "at a rental of a car for"
                                          r"|\bprzy (?:wynajmie|zakupie|zamówieniu|rezerwacji|sprzedaży)(?: [\w-]+){0,2}"
                                          r" (?:za|o wartości)\s+$",
                                          ic)
        self.pct_not_after = re.compile(rf"\s*(?:commission\s+(?!fees?\b))?{_alt(vocab['percent_not_commission_after'])}", ic)
        # also as a label: "Discount: 10%", "VAT - 20%", "Conversion rate: 3%"
        self.pct_not_before = re.compile(rf"(?<![\w-]){_alt(vocab['percent_not_commission_before'])}"
                                         r"[\"']?(?:\s*[:–=]|\s-(?=\s))?\s*[\"'(]?\s*~?\s*$", ic)   # 'growth_rate: "~35%"' too
        self.override = w(vocab["override_words"])
        self.range_foreign = (re.compile(rf"(?<![\w-]){vocab['range_from_words']}\s+[$€£]?\s*$", ic),
                              re.compile(rf"^\s*{vocab['range_to_words']}\s*$", ic))
        self.override_level = re.compile(rf"(?<![\w.,-]){vocab['override_level_label']}", ic)
        self.other_party_before = re.compile(vocab["percent_other_party_before"], ic)
        self.other_party_after = re.compile(vocab["percent_other_party_after"], ic)
        self.bonus = w(vocab["bonus_words"])
        self.milestone_after = re.compile(rf"\s*{vocab['milestone_after']}", ic)
        self.referral_bonus = w(_alt([vocab["referral_bonus"]]))
        self.referral_bonus_veto = w(_alt([vocab["referral_bonus_vetoes"]]))
        self.referral_act = w(vocab["referral_act"])
        self.price_before = re.compile(rf"(?<![\w-]){vocab['price_before']}\s*(?:an? |the )?$", ic)
        self.threshold = w(vocab["threshold_words"])
        self.comparative = re.compile(vocab["comparative_words"], ic)
        self.bare_minimum = re.compile(rf"(?<![\w-]){vocab['bare_minimum']}", ic)
        self.payout_word = w(vocab["payout_words"])
        self.threshold_veto = w(_alt([vocab["threshold_vetoes"], *vocab.get("order_size_vetoes", [])]))
        # a compound ending in "cookie" ("a web-cookie", "first-party-cookie") is still a cookie
        self.cookie_word = re.compile(rf"(?<![\w]){_alt(vocab['cookie_words'])}(?![\w])", ic)
        self.cookie_veto = w(_alt(vocab["cookie_vetoes"]))
        self.conversion_verb = w(vocab["conversion_verbs"])
        self.negator = vocab["negators"]
        self.rec_true = [w(p) for p in vocab["recurring_true"]]
        self.rec_false = [w(p) for p in vocab["recurring_false"]]
        self.lifetime = [w(p) for p in vocab["lifetime"]]
        n = rf"(?P<n>\d{{1,3}}|{_alt(_WORD_NUMBERS)})"
        self.months_cap = [w(p.replace("{N}", n)) for p in vocab["months_cap"]]
        self.rate_after_period = w(vocab["rate_after_period"])
        self.months_veto = re.compile(rf"(?<![\w-]){vocab['months_cap_vetoes']}\W+(?:\w+\W+){{0,2}}$", ic)
        self.months_installments = re.compile(rf"(?<![\w-]){vocab['months_cap_installments']}", ic)
        self.type_words = {PayoutType(k): w(p) for k, p in vocab["payout_type_words"].items()}
        self.unit_types = [(PayoutType(k), re.compile(rf"\b{p}\b", ic)) for k, p in vocab["unit_types"].items()]
        more = vocab.get("method_more_forms", {})
        self.methods = [(k, w(_alt([p, *more.get(k, [])]))) for k, p in vocab["methods"].items()]
        self.method_context = w(vocab["method_context"])
        self.methods_anywhere = set(vocab["methods_without_context"])
        self.method_details = {k: (re.compile(v["pattern"], ic), set(v["yields_to"])) for k, v in vocab["method_details"].items()}
        self.method_as_unit = re.compile(rf"(?<![\w-]){vocab['method_as_unit_before']}", ic)
        self.prohibition = w(vocab["prohibition_cues"])
        self.prohibition_any_side = re.compile(vocab["prohibition_cues_any_side"], ic)
        self.restriction_list_opener = w(vocab["restriction_list_openers"])
        self.restriction_negator = re.compile(rf"(?<![\w-]){vocab['restriction_negators']}", ic)
        self.restriction_positive = w(vocab["restriction_positive"])
        self.restriction_verb_use = re.compile(vocab["restriction_verb_use"], ic)
        self.restriction_qualifier = re.compile(rf"(?<![\w-]){vocab['restriction_qualifiers']}", ic)
        self.restriction_synonyms = {k: w(v) for k, v in vocab["restriction_synonyms"].items()}
        self.frequencies = [(k, w(p)) for k, p in vocab["frequencies"].items()]
        self.frequency_context = w(vocab["frequency_context"])


_WORD_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
                 "ten": 10, "twelve": 12, "fourteen": 14, "fifteen": 15, "eighteen": 18, "twenty": 20,
                 "twenty-four": 24, "thirty": 30, "forty-five": 45, "sixty": 60, "ninety": 90, "a": 1, "an": 1}
# (session 14) number words of the languages whose day / week / month units `_DURATION` reads ("sieben Tage lang",
# "trente jours", "noventa días", "dertig dagen"): a duration written in words there
_FOREIGN_WORD_NUMBERS = {
    # de
    "ein": 1, "eine": 1, "einen": 1, "zwei": 2, "drei": 3, "vier": 4, "fünf": 5, "sechs": 6, "sieben": 7, "acht": 8,
    "neun": 9, "zehn": 10, "zwölf": 12, "vierzehn": 14, "fünfzehn": 15, "zwanzig": 20, "dreißig": 30, "sechzig": 60,
    "neunzig": 90,
    # fr
    "un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "sept": 7, "huit": 8, "neuf": 9, "dix": 10,
    "douze": 12, "quinze": 15, "vingt": 20, "trente": 30, "soixante": 60, "quatre-vingt-dix": 90,
    # es / pt / it
    "uno": 1, "una": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6, "siete": 7, "ocho": 8, "nueve": 9,
    "diez": 10, "doce": 12, "quince": 15, "veinte": 20, "treinta": 30, "sesenta": 60, "noventa": 90,
    "trinta": 30, "sessenta": 60, "due": 2, "tre": 3, "sette": 7, "dieci": 10, "quindici": 15,
    "trenta": 30, "sessanta": 60, "novanta": 90,
    # nl
    "een": 1, "twee": 2, "drie": 3, "zeven": 7, "tien": 10, "veertien": 14, "dertig": 30, "zestig": 60, "negentig": 90,
}
_DURATION_WORD_NUMBERS = {**_FOREIGN_WORD_NUMBERS, **_WORD_NUMBERS}


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
# Arabic-Indic, Persian, Devanagari, Bengali, Thai and full-width digits and percent signs read as ASCII ones.
_LOCAL_DIGITS = {chr(zero + i): str(i) for zero in (0x660, 0x6F0, 0x966, 0x9E6, 0xE50, 0xFF10) for i in range(10)}
_SAME_LENGTH = str.maketrans({**_LOCAL_DIGITS, "\u066a": "%", "\uff05": "%",
                              "\xa0": " ", "\u2009": " ", "\u202f": " ", "\u2007": " ", "–": "-", "—": "-",
                              "−": "-", "\u2010": "-", "\u2011": "-", "’": "'", "‘": "'", "“": '"', "”": '"', "\t": " ",
                              "_": " "})     # a key of a data file reads as its words: "commission_rate", "cookie_days"
# (no sentence ends at the dot of "U.S." / "U.K." before a word: "Twenty-Five U.S. Dollars")
_BOUNDARY = re.compile(r"(?<=[.!?])(?<!\bU\.S\.)(?<!\bU\.K\.)\s+(?=[\"'(\[•*-]?\s*[A-Z])|\n+|\s*\|\s*|\s*•\s*"
                       r"|(?<=[a-z)])\s-\s(?=[A-Z])")


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

# not inside "1.5" or "1,000"; right after a "." only when the "." ends a currency ("Rs.1000")
# not right after a digit or a digit's separator ("1,234" is one number); a comma glued to a word is a list's
# ("Website Builder,50% commission,90 days": a CSV row)
_NUMBER = re.compile(r"(?<!\d)(?<!\d,)(?<!\d\.)"
                     r"(\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?|\d{1,3}(?:\.\d{3})+(?:,\d{1,2})?|\d+(?:[.,]\d+)?"
                     r"|(?<=[$€£])\.\d{1,2}|(?<=[$€£] )\.\d{1,2})(?!\d)")     # "$.75", "$ .50": cents without the 0
_SPACED = re.compile(r"(?<![\d.,])\d{1,3}(?: \d{3})+(?:[.,]\d{1,2})?(?![\d])")
_PERCENT_AFTER = re.compile(r"\s*(?:%|percent\b|per cent\b|pct\b)", re.I)
_KRONE_AFTER = re.compile(r"\s?kr\b\.?", re.I)
_RANGE_JOIN = re.compile(r"^\s*(?:-|to|and)\s*$", re.I)
# "from £0.01 to as much as £0.75", "start at $500 and can be up to $1,500": an open range written out
_RANGE_UP_TO_JOIN = re.compile(r"^\s*,?\s*(?:to|and)\s+(?:(?:can|could|may|might|will) )?(?:(?:go|be|reach|rise|climb) )?"
                               r"(?:up to|as much as|to as much as)\s*$", re.I)
_RANGE_OPENER = re.compile(r"(?i)\b(?:from|between|start(?:s|ing)? (?:at|from))\s*[$€£]?\s*$")


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


# (session 16) a unit of the program's own named by a letter: "credited as Acme coins (N)", "tokens (R)"
_LETTER_UNIT = re.compile(r"(?i)\b(?:coins?|tokens?|credits?|points?)\s*\(\s*(?-i:([A-Z]))\s*\)")


def _units_named_by_letter(text: str) -> set[str]:
    return {m.group(1) for m in _LETTER_UNIT.finditer(text)} if "(" in text else set()


def _currency_before(text: str, start: int) -> tuple[str | None, int]:
    r = _rules()
    m = r.before_cur.search(text, max(0, start - 6), start)
    if not m:
        g = r.glued_cur.search(text, max(0, start - 2), start)
        return (r.glued_letter[g.group("sym")], g.start()) if g else (None, start)
    if m.group("sym") or m.group("sign"):
        return r.sym_before[m.group("sym") or m.group("sign")], m.start()
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
                if key == "p" and (m.start("sym") != end or m.group("sym") == "P"):
                    return None, 1.0, end   # "20 p" is not pence; "20p" is; "3P" is points (pence is written "p")
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


# "Photodune Logo30% of ...": a page scraped without the space between an image's alt text and the rate glues a word to
# the percent; a number with its own "%" right after lower-case letters is a percent, not part of a model name
_GLUED_PERCENT = re.compile(r"[a-z]{3}\d{1,2}(?:\.\d+)?%")


def _numbers(text: str) -> list[_Num]:
    """Every number once: a percent, an amount of money (with its own currency), or bare."""
    out: list[_Num] = []
    taken: list[tuple[int, int]] = []
    for m in list(_SPACED.finditer(text)) + list(_NUMBER.finditer(text)):
        if any(s < m.end() and m.start() < e for s, e in taken):
            continue
        start, end = m.start(), m.end()
        prev = text[start - 1] if start else " "
        own_unit = False
        if (prev.isalpha() or prev == ".") and not _GLUED_PERCENT.match(text, max(0, start - 3)):
            cur_b, _ = _currency_before(text, start)
            if cur_b is None:
                continue      # "W-9", "mp3", "H1", "v.2": part of a word; "Rs.1000" is money
            # "Acme coins (N) ... Minimum Payout: N1": the glued letter is the program's own unit, no currency
            own_unit = prev in _units_named_by_letter(text)
        if m.re is _SPACED:
            cb, _ = _currency_before(text, start)
            ca, _, _ = _currency_after(text, end)
            if not (cb or ca or _KRONE_AFTER.match(text, end)):
                continue      # "1 000 kr": a thousand crowns (which krone is left unknown), not 1 and 000
        if _percent_sign_first(text, start):
            out.append(_Num(_parse_number(m.group(0), None), start - 1, end, end, "pct", raw=m.group(0)))
            taken.append((start, end))
            continue
        pm = _PERCENT_AFTER.match(text, end)
        if pm:
            out.append(_Num(_parse_number(m.group(0), None), start, end, pm.end(), "pct", raw=m.group(0)))
            taken.append((start, end))
            continue
        cur_b, s0 = _currency_before(text, start)
        if own_unit:
            cur_b, s0 = None, start
        cur_a, factor, e1 = _currency_after(text, end)
        if cur_a and re.match(r"/[A-Z]{3}\b", text[e1:e1 + 4]):
            cur_a, e1 = None, end
        if cur_b and cur_a and text[s0:start].strip() == "$" and factor == 1.0:
            cur_b = None                 # a bare "$" names no country's dollar: "$5 CAD" is in CAD
        cur = cur_b or cur_a
        if cur_b and cur_a and cur_b != cur_a and factor == 1.0:
            cur_a, e1 = None, end        # "€25 USD" keeps the symbol
        if cur:
            val = _parse_number(m.group(0), cur) * (factor if not cur_b else 1.0)
            out.append(_Num(round(val, 6), s0, end, e1 if cur_a else end, "money", cur, raw=m.group(0)))
        else:
            out.append(_Num(_parse_number(m.group(0), None), start, end, end, "bare", raw=m.group(0)))
        taken.append((start, end))
    out += [_Num(float(_WORD_PERCENTS[m.group(1).lower().replace("-", " ")]), m.start(), m.end(1), m.end(), "pct",
                 raw=m.group(1)) for m in _WORD_PERCENT.finditer(text)]
    out.sort(key=lambda n: n.start)
    _join_ranges(text, out)
    return out


_WORD_PERCENTS = {"five": 5, "ten": 10, "fifteen": 15, "twenty": 20, "twenty five": 25, "thirty": 30, "forty": 40,
                  "fifty": 50, "sixty": 60, "seventy": 70, "seventy five": 75, "eighty": 80}
_WORD_PERCENT = re.compile(r"(?i)(?<![\w-])("
                           + "|".join(k.replace(" ", "[- ]") for k in sorted(_WORD_PERCENTS, key=len, reverse=True))
                           + r")\s+(?:percent|per cent)\b")


def _percent_sign_first(text: str, start: int) -> bool:
    """"a commission payout of %15": the sign written before the number (not "20% 15 days")."""
    if start == 0 or text[start - 1] != "%":
        return False
    pre = text[:start - 1].rstrip()
    return not (pre and pre[-1].isdigit())


def _join_ranges(text: str, nums: list[_Num]) -> None:
    """"20-30%", "$5-50", "between 100 and 500 EUR": the unit written once applies to both ends,
    but two different currencies never make one range."""
    for a, b in zip(nums, nums[1:], strict=False):
        gap = text[a.span_end:b.start]
        if b.kind == "money" and a.kind == "money":
            gap = text[a.span_end:b.start]
        written_out = bool(_RANGE_UP_TO_JOIN.match(gap) and _RANGE_OPENER.search(text, max(0, a.start - 20), a.start)) \
            or _foreign_range(text, a, gap)
        if not (_RANGE_JOIN.match(gap) or written_out) or a.value >= b.value \
                or _ORDINAL_LABEL.search(text, max(0, a.start - 12), a.start):
            continue
        if " and" in gap.lower() and not written_out and not re.search(r"between\s*$", text[max(0, a.start - 12):a.start], re.I):
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


def _foreign_range(text: str, a: _Num, gap: str) -> bool:
    """"dal 5 al 15%", "von 5 bis 15 %", "от 5 до 15%": a range whose "from" and "to" are words of another language."""
    opener, joiner = _rules().range_foreign
    return bool(joiner.match(gap) and opener.search(text, max(0, a.start - 12), a.start))


# "Level 2 - 5%", "Категория 1 - 3,19%": the number after an item label names the item, never a range's low end
_ORDINAL_LABEL = re.compile(r"(?i)(?<![\w-])(?:lvl|level|tier|step|stage|rank|no\.?|#|category|group|categor[ií]a|cat[ée]gorie"
                            r"|kategori[ea]|stufe|niveau|nivel|livello|poziom|категори[яи]|уровень|группа|рівень)\s*$")

_DURATION = re.compile(
    r"(?<![\w.,])(?P<n>\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?|" + "|".join(sorted(_DURATION_WORD_NUMBERS, key=len, reverse=True))
    + r")"
    r"\)?(?:[\s-]*|\s*-\s*)(?:(?:cookie|referral|attribution|tracking|calendar)[\s-]+)?"  # "thirty (30) days", "60 referral days"
    r"(?P<u>seconds?|minutes?|hours?|hrs?|days?|day\(s\)|weeks?|months?|years?|yrs?"
    r"|d[ií]as?|jours?|tage?n?|dagen|giorni|dn[ií]|dnů|semaines?|semanas?|wochen|mois|meses|monate?n?)(?![\w])"
    r"|(?<![\w.])(?P<n2>\d+)(?P<u2>d)(?![\w])", re.I)
_UNIT_DAYS = {"second": 1 / 86400, "minute": 1 / 1440, "hour": 1 / 24, "hr": 1 / 24, "day": 1.0, "week": 7.0,
              "month": 30.0, "year": 365.0, "yr": 365.0, "d": 1.0}
# cookie windows on French, Spanish, German, Dutch and Italian pages ("durante 60 días", "30 jours", "30 Tage")
_FOREIGN_UNITS = {"día": "day", "dia": "day", "días": "day", "dias": "day", "jour": "day", "jours": "day", "tag": "day",
                  "tage": "day", "tagen": "day", "dagen": "day", "giorni": "day", "semaine": "week", "semaines": "week",
                  "semana": "week", "semanas": "week", "wochen": "week", "mois": "month", "meses": "month",
                  "monat": "month", "monate": "month", "monaten": "month", "dní": "day", "dni": "day", "dnů": "day"}


def _durations(text: str, start: int, end: int) -> list[tuple[float, int, int]]:
    out = []
    for m in _DURATION.finditer(text, start, end):
        n, u = (m.group("n"), m.group("u")) if m.group("n") else (m.group("n2"), m.group("u2"))
        n = n.lower()
        val = float(_DURATION_WORD_NUMBERS[n]) if n in _DURATION_WORD_NUMBERS else float(n.replace(",", ""))  # "1,095 days"
        unit = u.lower().replace("(s)", "")
        unit = _FOREIGN_UNITS.get(unit, unit)
        unit = unit[:-1] if unit.endswith("s") and unit[:-1] in _UNIT_DAYS else unit
        days = val * _UNIT_DAYS[unit]
        if unit == "month" and val % 12 == 0:
            days = val / 12 * _UNIT_DAYS["year"]     # "12 months" is a year: 365 days, not 360
        out.append((round(days, 4), m.start(), m.end()))
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
    if "**" in original:
        plain, where = _without_markdown(original)
        if plain != original:     # read the plain text; every span is then mapped back onto the original
            return _spans_onto(extract_terms(plain, context=context), original, where)
    t = _keep_minus_signs(original, original.translate(_SAME_LENGTH))
    terms = Terms(text=original)
    if not t.strip():
        return terms
    # both import this module: loaded on first use, not at import time; terms_records reads key/value records
    # ("commission_pct": 15) after the prose rules
    from matrix.normalize import terms_lang, terms_records
    t = terms_records.mask_statistics(original, t)  # an EPC / conversion-rate value is never a term
    clauses = _clauses(t)
    nums = _numbers(t)
    # a labelled field is read only for what its label is about: a cookie cell has no payout terms
    wants = {"commission": {"commission"}, "cookie": {"cookie"}, "payout": {"payout"}}.get(context or "",
                                                                                         {"commission", "cookie", "payout"})
    if "commission" in wants:
        example = _example_clauses(t, clauses, nums)
        _commission(t, clauses, nums, example, terms, context)
        _recurrence(t, clauses, terms, context)
        terms_lang.fill_commission(t, nums, terms)      # a page in another language: what the English rules missed
        from matrix.normalize import terms_referral
        terms_referral.fill_reward(t, clauses, nums, example, terms)    # a refer-a-friend reward, where none was found
        _payout_type(t, clauses, terms)
    if "cookie" in wants:
        _cookie(t, clauses, terms, context)
    if "payout" in wants:
        _payout_minimum(t, clauses, nums, terms, context)
        _frequency(t, clauses, terms, context)
        _methods(t, clauses, terms, context)
    terms_lang.fill_rest(t, nums, terms, wants)
    if context is None:
        _restrictions(original, terms)
    if "commission" in wants:
        _arbitrate(original, t, clauses, terms)
    if context is None:
        terms_records.fill_from_record(original, terms)   # only what the prose rules left empty
    return terms


_MARKDOWN_LABEL = re.compile(r"\*\*([^*\n]{1,40}?)(?::\*\*|\*\*\s*:)")
_MARKDOWN_EMPHASIS = re.compile(r"\*\*(?=\S)|(?<=\S)\*\*")


def _without_markdown(text: str) -> tuple[str, list[int]]:
    """`text` with Markdown bold read as plain text, and for each character of the result (plus its end) the index of
    the character of `text` it came from.

    Why: research notes, READMEs and docs pages write terms as "**Commission:** 3-5% **Payment Threshold:** $25" or
    "earn **25% of all revenue** for the **lifetime of each customer**". A bold label starts a field of its own, as a
    new line or a table cell would ("**Label:**" becomes a line break and "Label:"), and bold inside a sentence is only
    emphasis (its asterisks are dropped, so "for the lifetime of" reads as written)."""
    out: list[str] = []
    where: list[int] = []
    pos = 0
    edits = sorted([(m.start(), m.end(), "\n" + m.group(1) + ":") for m in _MARKDOWN_LABEL.finditer(text)]
                   + [(m.start(), m.end(), "") for m in _MARKDOWN_EMPHASIS.finditer(text)],
                   key=lambda edit: (edit[0], -edit[1]))     # a label before the emphasis marks inside it
    for start, end, repl in edits:
        if start < pos:
            continue            # inside a label already rewritten
        out.append(text[pos:start])
        where.extend(range(pos, start))
        if repl:                # "\nLabel:": the break at the first asterisk, the label at its own characters
            label_at = start + 2
            out.append(repl)
            where.extend([start, *range(label_at, label_at + len(repl) - 2), end - 1])
        pos = end
    out.append(text[pos:])
    where.extend(range(pos, len(text) + 1))
    return "".join(out), where


def _spans_onto(terms: Terms, original: str, where: list[int]) -> Terms:
    """`terms` read from a rewritten text, its spans mapped onto `original` through `where` (`_without_markdown`)."""
    def moved(f: Found) -> Found:
        s, e = f.span
        return Found(f.value, (where[s], where[e - 1] + 1 if e > s else where[s]), f.source)

    for name in terms.__dataclass_fields__:
        value = getattr(terms, name)
        if isinstance(value, Found):
            setattr(terms, name, moved(value))
        elif isinstance(value, list) and value and all(isinstance(v, Found) for v in value):
            setattr(terms, name, [moved(v) for v in value])
    terms.text = original
    return terms


def _arbitrate(original: str, t: str, clauses, terms: Terms) -> None:
    """The shipped learned arbiters (terms_arbiter.py: `recurring`, and `payout_type` where it ships) behind their
    evidence gate (`terms_arbiter.may_override`): they may fill a null the rules left where the rules found a commission,
    or replace a payout type derived from the commission's shape -- never a value the rules read from an explicit phrase
    ("lifetime", "for 12 months", "one-time", "CPA"). Both decide from the rules' own values, as in training.
    Consulted by default: terms_arbiter.DEFAULT_ON_FIELDS; MATRIX_TERMS_ARBITER=1 = every shipped field, =0 = none."""
    from matrix.normalize import terms_arbiter
    if not terms_arbiter.arbiter_enabled():
        return
    rule_values, evidence = terms.as_dict(), terms_arbiter.rule_evidence(terms)
    decided = terms_arbiter.decide("payout_type", original, rule_values, evidence)
    if decided is not None:
        value, probs = decided
        terms.arbitrated["payout_type"] = {"rule": rule_values["payout_type"], "arbiter": value, "probs": probs}
        terms.payout_type = None if value is None else Found(PayoutType(value), (0, len(original)), source="arbiter")
    decided = terms_arbiter.decide("recurring", original, rule_values, evidence)
    if decided is not None:
        _arbitrate_recurring(original, t, clauses, terms, *decided)


def _arbitrate_recurring(original: str, t: str, clauses, terms: Terms, recurring: Any, probs: dict[str, float]) -> None:
    """Apply the recurring arbiter's value, consistent with the labelling convention: months / lifetime only with
    recurring = true, and a payout type the rules derived from recurrence (revshare <-> cps) follows it; an explicit
    revenue-share word (which recurs by convention) keeps the rules' value."""
    if recurring is not True and _explicit_revshare(terms):
        return
    rule = None if terms.recurring is None else terms.recurring.value
    terms.arbitrated["recurring"] = {"rule": rule, "arbiter": recurring, "probs": probs}
    terms.recurring = None if recurring is None else Found(recurring, (0, len(original)), source="arbiter")
    if recurring is not True:
        terms.recurring_months = None
        terms.lifetime = None
    pt = terms.payout_type
    if pt is not None and terms.model is not None and (pt.span == terms.model.span or pt.source == "arbiter"):
        terms.payout_type = None      # derived from the model (and recurrence), or guessed: derive it again
        _payout_type(t, clauses, terms)


def _explicit_revshare(terms: Terms) -> bool:
    """A revenue-share type read from a word, not derived from a recurring percent."""
    pt = terms.payout_type
    return (pt is not None and pt.value is PayoutType.REVSHARE
            and (terms.model is None or pt.span != terms.model.span))


def _in(span: tuple[int, int], n: _Num) -> bool:
    return span[0] <= n.start < span[1]


def _example_clauses(t: str, clauses: list[tuple[int, int]], nums: list[_Num]) -> set[int]:
    """Indexes of clauses inside a worked example: the marker clause and the one after it."""
    r = _rules()
    out: set[int] = set()
    for i, (s, e) in enumerate(clauses):
        marks = [m for m in r.example.finditer(t, s, e) if not t[s:m.start()].rstrip().endswith("(")]
        if marks and _names_a_rate(t, s, e, nums):
            continue        # "For example, X offers 7% commission": an instance of a rate, no worked example
        if marks:
            out.add(i)      # "(e.g. brand names)" lists instances, it works no example
            if i + 1 < len(clauses) and "•" not in t[e:clauses[i + 1][0]]:
                out.add(i + 1)      # the example goes on in the next clause, not in the next bullet item
                out.update(_example_cells(t, clauses, i + 1))
            out.update(_example_list(t, clauses, max(j for j in out if j <= i + 1)))
        elif _ARITHMETIC.search(t, s, e) or _about_other_programs(t, s, e):
            out.add(i)      # "you will earn $1.8 ($9*20%)": a computed amount, not the rate
    return out


_LIST_ITEM_BEFORE = re.compile(r"(?:[•◦▪‣]|(?:^|\n)\s*(?:[-*]|\d{1,2}[.)]))\s*$")


def _example_list(t: str, clauses: list[tuple[int, int]], j: int) -> set[int]:
    """"For example, ... your earnings would be: • Year 1 commission: $62.25 • Future commissions: $24.90/year": an
    example clause that ends in a colon announces a list, and the list's items are the worked case too."""
    out: set[int] = set()
    while t[clauses[j][0]:clauses[j][1]].rstrip().endswith(":") or (out and j in out):
        if j + 1 >= len(clauses) or not _LIST_ITEM_BEFORE.search(t, clauses[j][1], clauses[j + 1][0]):
            break
        j += 1
        out.add(j)
    return out


def _names_a_rate(t: str, lo: int, hi: int, nums: list[_Num]) -> bool:
    """A worked example computes an earning from an amount ("for example, if a referral buys a $100 plan, you earn $30");
    "for instance, X uses a tiered structure from 2% up to 8%" only names a rate: its clause states a percent, no money
    amount, no arithmetic, no condition ("if" / "when" a referral ...) and no scenario told to or by a person."""
    inside = [n for n in nums if lo <= n.start < hi]
    return (any(n.kind == "pct" for n in inside) and not any(n.kind == "money" for n in inside)
            and not _ARITHMETIC.search(t, lo, hi) and not _rules().example_condition.search(t, lo, hi))


def _example_cells(t: str, clauses: list[tuple[int, int]], i: int) -> set[int]:
    """"Example: Product price: $25 | Commission rate: 10% | Your earning: $2.50 per sale": the cells after an example's
    first one, up to the end of its row (a pipe-separated run with no sentence end), are the same worked case."""
    out: set[int] = set()
    while i + 1 < len(clauses) and "|" in t[clauses[i][1]:clauses[i + 1][0]] \
            and not re.search(r"[.!?]\s*$", t[clauses[i][0]:clauses[i][1]]):
        i += 1
        out.add(i)
    return out


_ARITHMETIC = re.compile(r"(?i)(?:[\d%]\s*|\))[*×]\s*[$€£]?\s*\d|\d%?\s+x\s+[$€£]?\s*\d|=\s*[$€£]\s?\d|\bto equal\s+[$€£]?\s?\d"
                         r"|[$€£]\s?\d[\d.,]*\s*\(\s*\d+(?:\.\d+)?\s*%\s*of\s*[$€£]\s?\d"      # "$6 (30% of $20)"
                         r"|[$€£]\s?\d[\d.,]*\s*@\s*\d+(?:\.\d+)?\s*%")                    # "$11.70 ($39 @ 30%)"
_OWN_PROGRAM = re.compile(r"(?i)\b(?:we|we'll|we're|our|us)\b")


def _said_of_other_programs(t: str, n: _Num, lo: int) -> bool:
    """"Competitors pay up to 50%, but we pay 30%": a number after a mention of other programs, with no "we" / "our"
    between them, is theirs."""
    marks = list(_rules().comparison.finditer(t, lo, n.start))
    return bool(marks) and not _OWN_PROGRAM.search(t, marks[-1].end(), n.start)


def _about_other_programs(t: str, s: int, e: int) -> bool:
    """"Other programs offer 10% that only last for 1 year": a clause about other programs, with no "we" / "our"
    of its own, states none of this program's terms."""
    return bool(_rules().comparison.search(t, s, e) and not _OWN_PROGRAM.search(t, s, e))


# --- commission ------------------------------------------------------------------------------

def _vetoed_before(before: str) -> bool:
    """Words right before a percent that make it no commission ("VAT", "discount of", "equivalent to"), unless an
    earning verb owns the rate ("you will earn a profit equivalent to 10% of the order amount")."""
    return bool(_rules().pct_not_before.search(before)
                and not _vocab_rx("percent_earned_equivalent_before").search(before))


# (session 13) a rank among people, not a rate: "Top 1% creator: Lifetime 2% commission", "the top 5% of affiliates"
# ("the top 15% tier" names a rate's tier and stays a rate); (session 17) also the product's own users, with a word
# naming them between ("the top 1% of RSC users", "the top 5% of token holders")
_RANK_BEFORE = re.compile(r"(?i)\btop\s*$")
_RANKED_PEOPLE_AFTER = re.compile(r"(?i)\s*(?:of\s+(?:our\s+|all\s+|the\s+)?)?(?:(?!commissions?\b|rates?\b)[\w-]+\s+)?"
                                  r"(?:creators?|affiliates?|partners?|publishers?"
                                  r"|performers?|sellers?|earners?|influencers?|referrers?|ambassadors?"
                                  r"|users?|members?|customers?|holders?|traders?|players?|streamers?)\b")


# (session 17) a "commission fee" beside a price or a plan is the platform's charge, not the affiliate's share ("you
# earn a 20% commission fee on the subscription" stays a rate)
_COMMISSION_FEE_AFTER = re.compile(r"(?i)\s*(?:commission|transaction|platform|service)\s+fees?\b")
_PRICING_BEFORE = re.compile(r"(?i)\b(?:pric(?:e|es|ed|ing)|plans?|tiers? (?:costs?|is|are)|costs?|/\s?(?:mo|month|yr|year)\b"
                             r"|per (?:month|year)\b|charges?|charged|takes?|keeps?|retains?)")
_EARNED_FEE_BEFORE = re.compile(r"(?i)\b(?:earn|receive|get|gets|entitled|pay you|pays you|paid to you|awarded)\w*\b")


# (session 17b) a pipe table written without a header rule, rows closed by an empty cell: "| Tier | Rate | Bonus | | Gold |
# 20% | 100% | | ...": a column headed by a bonus, discount or fee holds no rates
_ROW_BREAK = re.compile(r"\|[ \t]*\|")
_NOT_RATE_HEADER = re.compile(r"(?i)\b(?:bonus(?:es)?|discounts?|coupons?|cash-?back|fees?|vat|tax(?:es)?|conversion|approval"
                              r"|off)\b")


def _in_not_rate_column(t: str, n: _Num) -> bool:
    first = t.find("|")
    if first < 0 or first > n.start:
        return False
    breaks = [m for m in _ROW_BREAK.finditer(t, first, n.start)]
    if not breaks or _HEADER_RULE.search(t):
        return False      # in the header row, or a table with a header rule (`_headed_rate_column` reads those)
    header = [c.strip() for c in t[first + 1:breaks[0].start()].split("|")]
    k = t.count("|", breaks[-1].end(), n.start)
    return k < len(header) and bool(_NOT_RATE_HEADER.search(header[k])) and not _RATE_COLUMN.match(header[k])


def _pct_is_commission(t: str, n: _Num, lo: int, hi: int) -> bool:
    r = _rules()
    if not 0 < n.value <= 100:
        return False
    if "|" in t and _in_not_rate_column(t, n):
        return False
    if _RANK_BEFORE.search(t, max(lo, n.start - 6), n.start) and _RANKED_PEOPLE_AFTER.match(t, n.span_end):
        return False
    first = n.start if n.partner is None else min(n.start, n.partner.start)   # "fees (usually 1.5-3.5%)"
    before = t[max(lo, first - 40):first]
    after = t[n.span_end:min(hi, n.span_end + 40)]
    if (r.pct_not_after.match(after) and not _commission_off(before, after)) or _vetoed_before(before):
        return False
    if _COMMISSION_FEE_AFTER.match(after) and _PRICING_BEFORE.search(t, max(lo, first - 60), first) \
            and not _EARNED_FEE_BEFORE.search(t, max(lo, first - 60), first):
        return False      # (session 17) "Pricing from $0/month (with a 9% commission fee)": what the platform takes
    if re.match(r"^\s*\+\s*[$€£]?\s*\d", after):    # "2.9% + 30 cents", "2.9% + $0.30" is a fee formula
        return False
    if re.search(r"(?:^|[•|;:,(]\s*)\+\s*$", t[max(0, n.start - 4):n.start]):
        return False      # "• +5% extra commission": an item that adds an uplift ("10 EUR + 1%" combines two parts)
    if _minus_signed(t, first):
        return False
    fwd = t[n.span_end:_next_number_start(t, n, hi)]
    head = n if n.partner is None or n.start < n.partner.start else n.partner     # "earn between 4-10%": from the 4
    back = t[_prev_number_end(t, head, lo):head.start]
    if _override_after(fwd) or r.override.search(back[-60:]) or r.override.match(after.lstrip()[:25]):
        return False      # "5% Tier 2 payments": the numbered tier is cut from `fwd` by its own number
    if _network_level_before(t, n) or _uplift_on_top(t, lo, hi):
        return False
    if r.bonus.search(after[:12]) or _other_party_share(before, after, fwd) or _said_of_other_programs(t, n, lo):
        return False
    from matrix.normalize import terms_referral
    if terms_referral.deeper_level_share(t, n, lo, hi):
        return False      # "8-10% from the second level": an override
    return not _charged_share(t, n, lo)


_MINUS_SIGN = re.compile(r"(?<=[\s(|:])\u2212(?=\d)")


def _keep_minus_signs(original: str, t: str) -> str:
    """(session 15) A true minus sign (U+2212) glued to a figure after a space keeps its shape in the read text, so a
    price cut ("get −20%") stays apart from a hyphen bullet ("-3% commission"); any other one reads as a hyphen."""
    if "\u2212" not in original:
        return t
    chars = list(t)
    for m in _MINUS_SIGN.finditer(original):
        chars[m.start()] = "\u2212"
    return "".join(chars)


def _minus_signed(t: str, start: int) -> bool:
    """(session 15) "Viewers get −20% on Pro", "(-15%)": a percent with a minus sign glued to it is a price cut, never a
    share paid (a hyphen after a digit or a letter joins a range or a word: "10-20%", "up-to-30%")."""
    if start <= 0:
        return False
    sign = t[start - 1]
    if sign == "\u2212":
        return True
    return sign == "-" and start >= 2 and t[start - 2] == "("     # "(-15%)"; "-3% commission" is a list item


def _uplift_on_top(t: str, lo: int, hi: int) -> bool:
    """"on top of your standard commission you can earn an extra 5% this month", "in addition to the regular rate,
    partners receive an additional 10% or 20%": a promotional uplift over a rate stated elsewhere, not the rate itself
    (session 9). Every percent of such a clause is the uplift."""
    return bool(_vocab_rx("uplift_over_standard_rate").search(t, lo, hi) and _vocab_rx("uplift_word").search(t, lo, hi))


# what the program or network charges, keeps or withholds: "we charge a fee of 95 cents plus 5%", "we will have to
# withhold 30% of your commission", "the platform takes a 20% cut" (session 8)
_CHARGE_BEFORE = re.compile(r"(?i)\b(?:we|we'll|we'd|they|the (?:company|platform|network|merchant|bank|marketplace))\s+"
                            r"(?:\w+\s+){0,3}?(?:charges?|deducts?|withholds?|retains?|keeps?|takes?|levies|levy|collects?)\b"
                            r"(?P<gap>[^.;:!?%]{0,60})$")
_PAID_TO_AFFILIATE = re.compile(r"(?i)\b(?:pay|paid|earn|get|receive|commission|reward|share with|give)\w*")


def _charged_share(t: str, n: _Num, lo: int) -> bool:
    m = _CHARGE_BEFORE.search(t, max(lo, n.start - 110), n.start)
    return m is not None and not _PAID_TO_AFFILIATE.search(m.group("gap"))


_EARN_AFTER_OVERRIDE = re.compile(r"(?i)\b(?:earn|get|receive|make|be paid|are paid|is paid)\w*\b(?:\s+\w+){0,3}\s*$")


def _override_after(fwd: str) -> bool:
    """"5% of your sub-affiliates' sales": override words after a rate make it theirs; but in "15% on your orders, and
    through the networks of those you refer, you can earn 5%" they lead to the next rate, which an earning verb names."""
    m = _rules().override.search(fwd, 0, 90)
    return m is not None and not _EARN_AFTER_OVERRIDE.search(fwd, m.end())


_UNTIL_NEXT_FIGURE = re.compile(r"[^\d.!?|;]{0,60}")
_DEPTH_AFTER = re.compile(r"\s*L[2-9]\b")


def _network_level_before(t: str, n: _Num) -> bool:
    """"2nd level: 5%", "Direkte Kunden Deiner Partner (2. Ebene): 10 %", "druhé úrovně 3 %": a rate labelled with a
    depth of the affiliate's network (in any language the vocabulary knows) is a share of other affiliates' sales."""
    from matrix.normalize import terms_lang  # imports this module: loaded on first use
    s = max(0, n.start - 40)      # not cut at the clause: "(2. Ebene): 10 %" splits after "2."
    marks = [*_rules().override_level.finditer(t, s, n.start), *terms_lang.override_marks(t, s, n.start)]
    if any(not re.search(r"\d", t[m.end():n.start]) for m in marks):
        return True
    if _DEPTH_AFTER.match(t, n.span_end):
        return True       # (session 13) "(10% L1, 5% L2)": the short depth label written after the rate
    upto = _UNTIL_NEXT_FIGURE.match(t, n.span_end)      # "5 % auf die Umsätze deiner geworbenen Partner"
    return upto is not None and bool(terms_lang.override_marks(t, n.span_end, upto.end()))


def _other_party_share(before: str, after: str, fwd: str) -> bool:
    """"they will get 5% of their fees back", "a 20% rebate to the new subscriber": the referred party's share, not
    the affiliate's; a share named a commission ("the referee will receive a 50% commission") is the affiliate's."""
    r = _rules()
    if r.other_party_after.match(fwd[:80]):
        return True
    return bool(r.other_party_before.search(before)) and not re.match(r"(?i)\s*(?:[\w-]+\s+)?commission", after)


_COMMISSION_IS_BEFORE = re.compile(r"(?i)\b(?:commissions?|referral fees?|payouts?|rewards?)\b(?:\s+[\w-]+){0,3}?"
                                   r"\s+(?:of|is|are|amounts? to|equals?)\s*$")


def _commission_off(before: str, after: str) -> bool:
    """"a commission of 20% off every sale", "a referral fee which amounts to 20% off each order": a rate the text
    names the affiliate's commission is no customer discount, whatever preposition follows it."""
    return bool(re.match(r"(?i)\s*off\b", after) and _COMMISSION_IS_BEFORE.search(before))


def _next_number_start(t: str, n: _Num, hi: int) -> int:
    m = re.compile(r"\d").search(t, n.span_end, hi)
    return m.start() if m else hi


def _prev_number_end(t: str, n: _Num, lo: int) -> int:
    seg = t[lo:n.start]
    idx = max((m.end() for m in re.finditer(r"\d%?", seg)), default=0)
    return lo + idx


# an amount that opens a list item or a labelled line as "extra" / "additional": a bonus on top of the commission
_EXTRA_ITEM_BEFORE = re.compile(r"(?i)(?:^|[:|•*]|(?<!\w)-)\s*(?:an?\s+)?(?:extra|additional)\s+$")
_BONUS_OF_PREVIOUS = re.compile(r"(?i)^\s*(?:[\w-]+\s+)?bonus(?:es)?\b")


# "once you've earned $20", "if you haven't earned $100": an accrued balance, not a rate
_ACCRUED_BEFORE = re.compile(r"(?i)(?:\bhave|\bhas|'ve|n't|\bhad)\s+(?:\w+\s+)?"
                             r"(?:earned|accrued|accumulated|made|reached|collected)"
                             r"(?:\s+(?:at least|a total of|over|more than))?\s*$")
# an estimate, not the rate: "an average of $30", "our average affiliate payout is in the range of £250"
_AVERAGE_BEFORE = re.compile(r"(?i)\b(?:an? )?(?:average|on average|typical)(?: of)?(?:\s+[\w-]+){0,8}\s*$")
# (session 16) never across the "| |" that ends a table row: "| Price | Commission | | Pro | $12.99/mo |" prices a plan
_NOUN_TIE_BEFORE = re.compile(r"(?i)\b(?:commissions?|bounty|reward|payout|referral fee|cpa|cpl|cps)\b"
                              r"(?:(?!\|\s*\|)[^$€£\d.()]){0,20}$")
# "Commission rates: ... Starter: $250 USD Professional: $500 USD": one labelled amount per plan under a commission noun
_LABEL_TIE = re.compile(r"(?:^|[\s|;,])[A-Z][\w/&+-]*(?: [\w/&+-]+){0,3}\s*(?:[:|]|(?<=\s)[-–])\s*$")   # "Pro plan – $50"
_COMMISSION_NOUN = re.compile(r"(?i)\b(?:commissions?|bount(?:y|ies)|rewards?|payouts?|cpa|cpl)\b")
_NOT_A_RATE_LABEL = re.compile(r"(?i)price|cost|order|value|min|max|cap|limit|threshold|requir|fee|spend|total|budget|revenue"
                               r"|sales|balance|bonus|example|highest|lowest|avg|average|record|typical")


_PRICE_HEADING = re.compile(r"(?i)\b(?:pric\w*|costs?|fees?|subscriptions?|billing|tariffs?)\b")


def _labelled_commission(t: str, before: str, lo: int, start: int) -> bool:
    """"Commission rates: ... Starter: $250 USD Professional: $500 USD", "Commission structure: Basic plan – $20 |
    Pro plan – $50": one labelled amount per plan under a commission noun of the same sentence (table cells included)."""
    label = _LABEL_TIE.search(before)
    if not label or _NOT_A_RATE_LABEL.search(label.group(0)):
        return False
    head = max(0, start - 150)
    ends = list(re.finditer(r"[.!?](?:\s|$)", t[head:start]))
    head = head + ends[-1].end() if ends else head      # the heading of the same sentence or table
    nouns = list(_COMMISSION_NOUN.finditer(t, min(head, lo), start))
    return bool(nouns) and not _PRICE_HEADING.search(t, nouns[-1].end(), start) \
        and not all(_threshold_noun(t, m.start(), m.end()) for m in nouns)


# "Minimum Payout", "min. payout", "payout threshold", "minimum withdrawal": the noun heads a list of thresholds
_THRESHOLD_BEFORE_NOUN = re.compile(r"(?i)\b(?:minimum|min\.?|lowest)\s*$")
_THRESHOLD_AFTER_NOUN = re.compile(r"(?i)\s*(?:thresholds?|minimums?|limits?)\b")


def _threshold_noun(t: str, a: int, b: int) -> bool:
    """(session 13) A commission noun that names a payout threshold ("| Method | Minimum Payout | PayPal | $25 | Check |
    $100", "The minimum payout for each payment is as follows: $100"): the amounts under it are what a payout must
    reach per method, not rewards, however they are laid out."""
    return bool(_THRESHOLD_BEFORE_NOUN.search(t, max(0, a - 12), a) or _THRESHOLD_AFTER_NOUN.match(t, b))


# (session 13) a label may carry a bracketed size with digits ("Small Office (2 - 4 people) - 250€"), end in a colon
# ("Smart: £125") and follow the previous cell's amount with no separator but a space ("£100 Smart: £125",
# "Evidence - $25 behandler - $50")
_LIST_CELL_LABEL = re.compile(r"(?:(?:^|[|:•;]\s*)[A-Za-z][^|$€£\d.!?:;•]{0,50}?"
                              r"|(?<=\d)\*?\s+[A-Za-z][^|$€£\d.!?:;•()]{0,50}?)"     # no bracket closing an aside
                              r"(?:\s*\([^()|$€£:]{0,25}\))?(?:\s?[-–:]|\s*\()?\s*$")


def _reward_list_cell(t: str, n: _Num, lo: int) -> bool:
    """"You'll receive the following: Hot Desk - 30€ | Private Office - 250€", "Referral bonuses are as follows: |
    Repair referral $20 | Full replacement $50": after a heading that announces a list of rewards, each cell written
    as "label amount" / "label - amount" is one reward (session 9). Price lists announce no reward."""
    heads = list(_vocab_rx("reward_list_heading").finditer(t, max(0, n.start - 400), n.start))
    if not heads or any(_threshold_noun(t, m.start(), m.end()) for m in _COMMISSION_NOUN.finditer(t, *heads[-1].span())):
        return False      # (session 13) "The minimum payout for each method is as follows:" lists thresholds
    between = t[heads[-1].end():n.start]
    if re.search(r"[.!?](?:\s|$)", re.sub(r"\d[.,]\d", "0", between)):
        return False      # the list ended before this amount
    return bool(_LIST_CELL_LABEL.search(t[max(lo, n.start - 60):n.start]))


# (session 16) a table cell that names a reward and its unit with no figure: "| flat bounty per paid conversion | $5 |"
_DEAL_CELL = re.compile(r"(?i)[^|\d$€£%]{0,40}\b(?:commissions?|bount(?:y|ies)|payouts?|rewards?|cpa|cpl|cps)\b"
                        r"[^|\d$€£%]{0,10}\b(?:per|for each|for every|each)\b[^|\d$€£%]{0,40}")


def _amount_cell_after_deal_cell(t: str, n: _Num) -> bool:
    """(session 16) "| influencer | flat bounty per paid conversion | $5 | A$8 |": an amount alone in its cell, right
    after a cell that names a reward per unit without a figure, is that reward."""
    a, b = t.rfind("|", 0, n.start), t.find("|", n.span_end)
    if a < 0 or b < 0 or t[a + 1:n.start].strip() or t[n.span_end:b].strip():
        return False
    p = t.rfind("|", 0, a)
    return p >= 0 and _DEAL_CELL.fullmatch(t, p + 1, a) is not None


_COMPARATIVE_BEFORE = re.compile(r"(?i)(?:(?<![\w-])(?:over|more than|above|greater than|exceeding|under|below|less than)"
                                 r"|[<>≤≥]=?)\s*$")
# "$100-$199 - 10% commission", "Up to $2,999.99 (10%)", "$2500-5000 = 12.5%": an order-value band labelling the rate
_BAND_BEFORE_RATE = re.compile(r"\s*\+?\s*(?:->|=>|[-=:(→⇒]|\|)\s*\d+(?:[.,]\d+)?\s*%")     # "$5000+ = 15%", "$7,000 → 20%"


def _band_before_rate(t: str, n: _Num, hi: int) -> bool:
    end = max(n.span_end, n.partner.span_end if n.partner is not None else 0)   # "$2500-5000 = 12.5%": the range's end
    return bool(_BAND_BEFORE_RATE.match(t, end, hi))


_BOUNDARY_AFTER = re.compile(r"(?i)\s*(?:\+(?=\s*(?:[|;,.)]|$))|(?:commission\s+)?(?:max|cap)\b(?!imum))")
# "25%, which is a $105 commission": an amount worked out from the rate, not a second rate
_DERIVED_BEFORE = re.compile(r"(?i)(?:\bthat is|\bthat's|\bi\.e\.,?|\bwhich (?:is|equals|means)|\bequal(?:s|ling)? to"
                             r"|%\)?,?\s*(?:which|that|this) means(?: that)?(?: [\w']+){0,4}"
                             # (session 11) "35% commission ($7 per month)", "50% lifetime recurring commission ($10 to
                             # $17.50+ per sale)": an amount opening brackets right after the rate restates it; (session
                             # 12) so does one after the rate's unit, "30% commission on every sale ($14.70 per kit)"
                             # (after other words, "20% to 30% based on volume ($10-$15 per participant)", it is kept)
                             r"|\d\s*%(?:\s*(?:lifetime|recurring|one[- ]time|commission|rev(?:enue)?[- ]?share))*"
                             r"(?:\s+(?:on|per|for)\s+(?:every|each|a|any)\s+(?:sales?|orders?|purchases?|referrals?"
                             r"|sign-?ups?|subscriptions?|customers?))?\s*"
                             r"\(\s*(?:about|around|approx\.?|approximately|~|≈|up to|roughly)?)"
                             r"(?:\s+an?)?\s*$")
# "Earn $2,000 to $3,000 per month ... (8% of gross receipts)": an amount whose own clause closes on the rate it is
# worked out from, in brackets, restates that rate
_RATE_IN_BRACKETS_AFTER = re.compile(r"(?i)[^().;!?%$€£\d]{0,80}\(\s*\d+(?:[.,]\d+)?\s*%\s+(?:(?:commission|share|cut)\s+)?of\b")


def _derived_amount(t: str, n: _Num, lo: int, hi: int) -> bool:
    """An amount worked out from the rate: "25%, which is a $105 commission", "That's $80-$400 per referral" (a range
    is read from its low end), "$2,000 per month (8% of gross receipts)"."""
    first = n.start if n.partner is None else min(n.start, n.partner.start)
    last = max(n.span_end, n.partner.span_end if n.partner is not None else 0)
    return bool(_DERIVED_BEFORE.search(t, max(lo, first - 45), first) or _RATE_IN_BRACKETS_AFTER.match(t, last, hi))


# "the $50 commission threshold", "a £25 payout minimum": the amount names a threshold, not a rate
_THRESHOLD_NOUN_AFTER = re.compile(r"(?i)\s*(?:commission |payout |payment |withdrawal )?(?:threshold|minimum)\b")
_MINIMUM_BEFORE = re.compile(r"(?i)\b(?:minimum|min\.?)\s*$")


def _bare_minimum_amount(before: str, after: str) -> bool:
    """"the minimum £25 commission in the month": an amount right after "minimum" and tied to no unit is a
    balance to reach; "a minimum $5 commission per sale" is a per-sale floor, still a rate."""
    return bool(_MINIMUM_BEFORE.search(before)) and not _rules().unit_after.match(after) \
        and not re.match(r"(?i)\s*(?:\w+\s+)?(?:per|for (?:each|every)|each)\b(?!\s+(?:month|week|year))", after)


# "commission required to receive a payout is $25": what a payout needs, not a rate
_REQUIRED_FOR_PAYOUT = re.compile(r"(?i)\b(?:required|needed|necessary) (?:to|for|before) (?:[\w-]+ ){0,3}"
                                  r"(?:payouts?|payments?|withdraw\w*|cash(?:ing)?[- ]?out)\b[^$€£\d]{0,15}$")
_OR_MORE_AFTER = re.compile(r"(?i)\s*(?:or (?:more|above|higher|greater)|and (?:above|over|up))\b")
# "referrers must earn $50 before payouts will be made": a balance to reach, not a rate
_BEFORE_PAYOUT_AFTER = re.compile(r"(?i)\s*(?:[\w-]+\s+){0,3}before\s+(?:[\w-]+\s+){0,3}"
                                  r"(?:payouts?|payments?|withdraw\w*|cash(?:ing)?[- ]?out|(?:be|get|getting) paid)\b")
# "you get $2 per month": the affiliate's own earning, so a per-month unit is no price
_EARNER_BEFORE = re.compile(r"(?i)(?:\b(?:you|affiliates?|partners?)(?:'ll| will| can| could| would)?\s+|^\s*|[.!?:|]\s*)"
                            r"(?:earn|get|receive|make)\s+(?:up to\s+|an?\s+)?(?:(?:recurring|monthly|ongoing)\s+)?$")
# "Top affiliates earn $10,000+ per month", "our best partner made $48,000 last year": what some affiliates took home,
# an earnings claim, not the rate (a rate still names its unit: "top affiliates earn $50 per sale")
_EARNINGS_CLAIM_BEFORE = re.compile(r"(?i)\b(?:top|best|leading|successful|many|some|most|high[- ]performing) (?:[\w-]+ )?"
                                    r"(?:affiliates?|partners?|earners?|performers?|publishers?|creators?|members?|referrers?)"
                                    r"(?: \w+){0,2} (?:earn|earned|earning|make|made|making|generate[sd]?|took home|take home)"
                                    r"(?: (?:over|more than|up to|as much as|around|about|between|from))?\s*$")


# "a customer spending £500 would earn you £50", "you'd get €16", "could net you $30": what a case would bring
_HYPOTHETICAL_BEFORE = re.compile(r"(?i)(?:\b(?:would|could|might)|'d)(?: \w+)? "
                                  r"(?:earn|get|receive|make|pocket|take home|be paid|net|bring|pay)"
                                  r"(?: you| affiliates?| the affiliate)?(?: up to| about| around| roughly)?(?: an?| the)?\s*$")


# "withdraw amounts between $50 and $5,000 per request": a withdrawal limit, not a reward
_WITHDRAWAL_BEFORE = re.compile(r"(?i)\bwithdraw\w*\b[^$€£\d.;|]{0,30}$")


def _withdrawal_limit(t: str, n: _Num, lo: int) -> bool:
    first = n.start if n.partner is None else min(n.start, n.partner.start)    # the range's low end
    return bool(_WITHDRAWAL_BEFORE.search(t, max(lo, first - 45), first))


def _hypothetical(before: str, after: str) -> bool:
    """An amount a conditional ("would", "could", "you'd") puts on a case is worked out, not the rate; "you would
    receive $50 for each referral" still names its unit and stays a rate, and "you could earn up to $36" caps what
    each referral pays (a worked case is exact: it has no "up to")."""
    m = _HYPOTHETICAL_BEFORE.search(before)
    if m is None:
        return False
    return not _rules().unit_after.match(after) and not re.search(r"(?i)\bup to\b", m.group(0))


def _earnings_claim(before: str, after: str) -> bool:
    r = _rules()
    return bool(_EARNINGS_CLAIM_BEFORE.search(before)) and (not r.unit_after.match(after)
                                                             or bool(r.price_unit_after.match(re.sub(r"^\+", "", after))))


# the reward words a range written in words hangs on ("rewards ranging from $50 to $500"), one list for both patterns
_RANGE_REWARD_WORDS = (r"(?i)\b(?:commissions?|rewards?|bount(?:y|ies)|payouts?|referral fees?|cp[acli]|rates?|paid"
                       r"|earn\w*|receiv\w*)\b")
_RANGE_WORD = re.compile(_RANGE_REWARD_WORDS)
_RANGE_TIE = re.compile(_RANGE_REWARD_WORDS + r"(?P<gap>[^.$€£\d|;:]{0,90}?)\b(?:between|from|ranging from|ranges? from"
                        r"|start(?:s|ing)? (?:at|from))\s*$")
# an order value, a price or a balance between the reward word and the range: "paid on orders between $50 and $500"
_RANGE_OF_PRICES = re.compile(r"(?i)\b(?:orders?|purchases?|sales?|baskets?|carts?|spend\w*|plans?|prices?|priced|costs?"
                              r"|subscriptions?|products?|items?|values?|balances?|thresholds?|minimum|withdraw\w*)\b")


_RANGE_NOT_OURS = re.compile(r"(?i)(?:\b(?:shipping|delivery|postage|tax|interest|exchange|conversion|hourly|room|ticket)\s*$"
                             r"|\b(?:customers?|clients?|buyers?|shoppers?|visitors?|friends?|referees?|invitees?|they)"
                             r"(?:\s+\w+)?\s*$)")


def _range_of_rewards(t: str, n: _Num, lo: int) -> bool:
    """"paid a referral fee in the form of a check or gift card between $50 and $500", "rewards ranging from $50 to
    $500", "Cash rewards start at $500 and can be up to $1500": a range of amounts a reward word leads to."""
    if n.partner is None or n.partner.start < n.start:
        return False
    for word in reversed(list(_RANGE_WORD.finditer(t, max(lo, n.start - 120), n.start))):    # the nearest first
        if _RANGE_NOT_OURS.search(t, max(0, word.start() - 30), word.start()):
            return False        # "shipping rates start at $5", "customers receive between $10 and $50"
        m = _RANGE_TIE.match(t, word.start(), n.start)
        if m is not None:
            return not _RANGE_OF_PRICES.search(m.group("gap"))
    return False


_RANGE_OPENER_WORD = re.compile(r"(?i)\s*(?:between|from|as much as)\s*$")


def _other_party_amount(t: str, n: _Num, lo: int) -> bool:
    """"new customers receive a $20 credit", "customers receive between $10 and $50 in store credit": an amount (or a
    range, read from its low end) that the referred party receives."""
    first = n.start if n.partner is None else min(n.start, n.partner.start)
    before = t[max(lo, first - 45):first]
    opener = _RANGE_OPENER_WORD.search(before)
    if opener is not None:
        before = before[:opener.start()]
    return bool(_rules().other_party_before.search(before))


# a field labelled as a price ("Plans: $29-399/mo", "Pricing: from $49", "- Cost: $99 one-time") or an order size
# ("AOV: $60", "Average order value: $85"): its amounts are what the customer pays, whatever the commission line before said
_PRICE_LABEL = re.compile(r"(?i)\s*(?:[-•*#]+\s*)?(?:plans?|prices?|pricing|costs?|subscription (?:prices?|costs?)"
                          r"|aov|av(?:era)?g\.? (?:order|sale|basket|cart)(?: values?| sizes?)?)\s*:")
# (session 17b) an order size named after the amount: "$5000 Per Average Order", "$120 average basket", "$80 AOV"
_AVERAGE_ORDER_AFTER = re.compile(r"(?i)\s*(?:per |an? |/\s*)?(?:average|avg\.?|typical|mean) (?:order|sale|basket|cart"
                                  r"|purchase|transaction|ticket)s?\b|\s*(?:per |in )?aov\b")


def _money_is_commission(t: str, n: _Num, lo: int, hi: int, implied: bool) -> bool:
    r = _rules()
    if n.value <= 0 or _PRICE_LABEL.match(t, lo):
        return False
    before = t[max(lo, n.start - 45):n.start]
    after = t[n.span_end:min(hi, n.span_end + 60)]
    if re.match(r"\+(?=\s+[^\W\d])(?!\s+(?:[\w-]+\s+)?(?:balances?|thresholds?|minimum|in)\b)", after):
        after = after[1:]     # (session 11) "$100+ per sale": a floor sign between the amount and the words that tie it
    tied_before = bool(_NOUN_TIE_BEFORE.search(before) or _EARNER_BEFORE.search(before))
    if (r.price_unit_after.match(after) and not tied_before) or r.pct_not_after.match(after) \
            or _AVERAGE_ORDER_AFTER.match(after):
        return False      # "$50/mo", "$10 off", "a $5 fee"; "a commission of £0.50 per month" is a commission; (session
        #                   17b) "$5000 Per Average Order" is the customer's order size, not a reward per order
    if (_other_party_amount(t, n, lo) or _vocab_rx("money_other_party_after").match(after)) \
            and not re.match(r"(?i)\s*(?:[\w-]+\s+)?commission", after):
        return False      # "new customers receive a $20 credit": the referred party's reward
    if _COMPARATIVE_BEFORE.search(before) or _BOUNDARY_AFTER.match(after) or _band_before_rate(t, n, hi):
        return False      # "over 500 USD commission", "250 001€ +", "$75 commission max": bounds, not the rate
    if _vocab_rx("money_metric_or_cap_label").search(before):
        return False      # (session 13) "EPC: $239", "Commission Cap: $5,000 per referral": a statistic or a cap
    prev_end = _prev_number_end(t, n, lo)
    back = t[prev_end:n.start]
    fwd = t[n.span_end:_next_number_start(t, n, hi)]
    # a bonus word of this amount, not of its neighbours ("$20 per sale and $100 bonus", "a $100 bonus and $20 per sale")
    own_back = _BONUS_OF_PREVIOUS.sub("", back, count=1) if prev_end > lo else back
    if r.bonus.search(own_back[-25:]) or r.bonus.search(fwd[:25]) or r.milestone_after.match(after) \
            or _vocab_rx("reward_milestone_ordinal").search(t, lo, n.start):
        return False      # ... "when your 3rd referral signs up you get £50": a reward for the n-th referral
    if _EXTRA_ITEM_BEFORE.search(before):
        return False      # (session 16) "Fast Start: Extra $25 per referral": an item that adds to the commission
    if _ACCRUED_BEFORE.search(before) or _OR_MORE_AFTER.match(after) or _AVERAGE_BEFORE.search(before) \
            or _earnings_claim(before, after) or _hypothetical(before, after) or _withdrawal_limit(t, n, lo) \
            or _BEFORE_PAYOUT_AFTER.match(after) or _limit_or_total(t, n) \
            or _derived_amount(t, n, lo, hi) or _THRESHOLD_NOUN_AFTER.match(after) or _bare_minimum_amount(before, after):
        return False      # "once you've earned $20 or more", "if you haven't earned $100": a balance, not a rate
    veto = r.threshold_veto.search(t, max(lo, n.start - 25), min(hi, n.span_end + 40))
    if veto is not None and veto.start() < n.start:
        return False      # "a minimum commission of Rs.10 per transaction" is a per-sale floor
    if r.override.search(fwd[:70]) or r.override.search(back[-50:]) or _network_level_before(t, n):
        return False      # (session 13) "Second level : 0.5$ / Third level : 0.25$" labels amounts like rates
    if (r.threshold.search(back[-45:]) and r.payout_word.search(t, lo, hi)) or _REQUIRED_FOR_PAYOUT.search(before):
        return False      # "the minimum required (commission) for a payout is $100": a threshold
    tied = bool(r.tie_before.search(before) or r.noun_after.match(after) or r.unit_after.match(after)
                or _labelled_commission(t, before, lo, n.start) or _range_of_rewards(t, n, lo)
                or _reward_list_cell(t, n, lo) or _amount_cell_after_deal_cell(t, n))
    if tied:
        return True
    if implied and not r.price_before.search(before) and not r.threshold.search(before[-22:]):
        return True
    return False


def _example_cut(t: str, s: int, e: int, i: int, example: set[int]) -> int:
    """Where the stated terms of clause i end: "40% for monthly plans - for example, if a referral buys ... you earn
    $8" states its rate before the example's marker; a clause after the marker, or one of arithmetic, states none."""
    if i not in example:
        return e
    marks = [m.start() for m in _rules().example.finditer(t, s, e) if not t[s:m.start()].rstrip().endswith("(")]
    if not marks:
        return s        # the clause after the marker, or arithmetic of its own ("you will earn $1.8 ($9*20%)")
    return min(marks + [m.start() for m in _ARITHMETIC.finditer(t, s, e)])


# (session 17b) the rate may be given as a cap after the label: "Cash Trading: Up to 40% of referral trading fees"
_RATE_LABEL_BEFORE = re.compile(r"(?:^|[|•;]\s*|[.!?]\s+)[A-Z][\w&'’.-]*(?: [\w&'’().-]+){0,5}\s*(?:[:–-])\s*"
                                r"(?:[Uu]p to\s+)?$")


# a label of something else than the rate: "Conversion: 3%", "VAT: 20%", "Approval: 85%", "Discount - 10%"
_STAT_LABEL = re.compile(r"(?i)conver|discount|coupon|promo|vat\b|tax|fee|approv|growth|rate\b|satisf|\bsale\b|\boff\b"
                         r"|sav(?:e|ing)|rebate|cash ?back|\bctr\b|\bcr\b|\broi\b|\bepc\b|margin|uptime|return|refund|churn"
                         r"|retention|interest|score|complet|accura|progress|chance|probab|humid|battery|market share"
                         r"|average|avg")
# the text is about an affiliate programme or a network offer: the words of its terms in several languages
_AFFILIATE_PAGE = re.compile(r"(?i)affiliat|partner|referr|referral|webmaster|publisher|program|commission|provision|comisi"
                             r"|comiss|prowizj|вознагражд|комисси|報酬|佣金|\bgeo\b|e?cpc\b|\bepc\b|hold period|cookie")


def _labelled_rate(t: str, clauses, nums: list[_Num], example: set[int]) -> list[_Num]:
    """"Malwarebytes: 39% ...", "Paid order - 5.30%": on an offer card or a program row the one percent labelled by a
    name is the rate, with no commission word beside it; read only where the text states no other commission and
    the percent is no fee, discount, statistic or override."""
    rates = []
    for i, (s, e) in enumerate(clauses):
        for n in nums:
            if n.kind != "pct" or not _in((s, e), n) or i in example or n.role is not None:
                continue
            label = _RATE_LABEL_BEFORE.search(t, max(0, n.start - 60), n.start)
            if label and not _STAT_LABEL.search(label.group(0)) and _pct_is_commission(t, n, s, e):
                rates.append(n)
    if len({n.value for n in rates}) != 1 or not _AFFILIATE_PAGE.search(t):
        return []
    for n in rates:
        n.role = "commission"
    return rates


# a rate labelled by its rung: "Level 2: 25%", "Tier III – 30%", "Gold: 20%", "100-499 sales: 5%", "26+ referrals per
# month = 30%" (the label ends right before the rate, after the last cell separator)
_RUNG_LABEL_BEFORE = re.compile(
    r"(?i)(?:^|[|;•,.(]\s*|\s)(?:(?:level|tier|rank|stage|step|lvl)\s*(?:\d+|[ivx]{1,4}|one|two|three|four|five)\b"
    r"|bronze|silver|gold|platinum|diamond|titanium"
    r"|(?<![\d.,$€£])\d[\d,]*\s*(?:[–-]\s*\d[\d,]*|\+)\s*(?:active |new |approved |paid |qualified )?"
    r"(?:sales|referrals|customers|clients|users|members|accounts|orders|conversions|sign-?ups)"
    r"(?:\s*(?:per|a|/)\s*(?:month|week|year|quarter))?)"
    r"[^|;•\d%$€£()]{0,25}?(?:\([^()|]{0,40}\))?\s*[:=–-]?\s*$")


def _tier_table_rates(t: str, clauses, nums: list[_Num], example: set[int]) -> list[_Num]:
    """"Level 1: 20% | Level 2: 25% | Level 3: 30%", "0-99 sales: 4% | 100-499 sales: 5%": two or more different
    rates, each labelled by a rung of a ladder (a level, a metal, a band of counts), are a commission tier table even
    with no commission word beside them; read only where the text states no other commission."""
    rates = [n for i, (s, e) in enumerate(clauses) for n in nums
             if n.kind == "pct" and _in((s, e), n) and i not in example and n.role is None
             and _RUNG_LABEL_BEFORE.search(t[max(s, n.start - 60):n.start]) and _pct_is_commission(t, n, s, e)]
    if len({n.value for n in rates}) < 2:
        return []
    for n in rates:
        n.role = "commission"
    return rates


def _rates_without_commission_word(t: str, clauses, nums: list[_Num], example: set[int]
                                   ) -> tuple[list[_Num], list[_Num], list[int]]:
    """Where no commission is stated in words, in this order: a bonus paid for each referral (the reward itself), the
    one rate a label names, a table of rates labelled by rungs (these clauses are the tier clauses)."""
    money = _referral_bonuses(t, clauses, nums, example)
    if money:
        return [], money, []
    pcts = _labelled_rate(t, clauses, nums, example)
    if pcts:
        return pcts, [], []
    pcts = _tier_table_rates(t, clauses, nums, example) or _rate_before_window_cell(t, clauses, nums, example) \
        or _rate_after_network_cell(t, clauses, nums, example) or _rate_after_name_cell(t, clauses, nums, example) \
        or _rate_table_before_commission_line(t, clauses, nums, example) or _headed_rate_column(t, clauses, nums, example)
    return pcts, [], [i for i, c in enumerate(clauses) if any(_in(c, n) for n in pcts)]


_RATE_CELL_TAIL = re.compile(r"[^|\d%$€£.!?:;]{1,30}(?=\|)")


def _rate_before_window_cell(t: str, clauses, nums: list[_Num], example: set[int]) -> list[_Num]:
    """"Venchi 2% 45 days High-end chocolate": a row of a program comparison table (name, rate, cookie length); the
    one rate (or range) written right before a cookie-length cell is the commission, with no commission word."""
    pcts = [n for n in nums if n.kind == "pct"]
    last = max(pcts, key=lambda n: n.span_end, default=None)
    if last is None or last.role is not None:
        return []
    # the rate cell: from the cell separator before the last rate; every rate of the text must be in it (one rate, a
    # range, or alternatives by product or status: "1% general / 8% home decor | 24-hour")
    cell_start = t.rfind("|", 0, last.start) + 1
    rates = [n for n in pcts if n.start >= cell_start]
    if len(rates) != len(pcts) or any(n.role is not None for n in rates):
        return []
    i = next((i for i, c in enumerate(clauses) if _in(c, last)), None)
    window = _vocab_rx("window_cell_after_rate")
    tail = _RATE_CELL_TAIL.match(t, last.span_end)  # "8% home decor | 24-hour": what the rate is for, then the cell ends
    if i is None or i in example or not (window.match(t, last.span_end) or (tail and window.match(t, tail.end()))):
        return []
    if not all(_pct_is_commission(t, n, *c) for n in rates for c in clauses if _in(c, n)):
        return []
    for n in rates:
        n.role = "commission"
    return rates


def _rate_after_network_cell(t: str, clauses, nums: list[_Num], example: set[int]) -> list[_Num]:
    """(session 13) "Nine West | FlexOffers / DCMnetwork | 3.5-7% | No coupon sites": a row of a program directory (name,
    the affiliate network or in-house program that runs it, rate); the rate cell right after the network cell is the
    commission, with no commission word. Every rate of the text must be in that one cell (one rate, a range, "up to")."""
    pcts = [n for n in nums if n.kind == "pct"]
    if not pcts or any(n.role is not None for n in pcts):
        return []
    first = min(pcts, key=lambda n: n.start)
    cell_start = t.rfind("|", 0, first.start)
    if cell_start < 0:
        return []
    cell_end = t.find("|", first.span_end)
    cell_end = len(t) if cell_end < 0 else cell_end
    if any(not cell_start < n.start < cell_end for n in pcts) \
            or not re.fullmatch(r"(?i)[\s(~]*(?:up to\s*)?", t[cell_start + 1:first.start]):
        return []      # the rate opens its cell
    prev_start = t.rfind("|", 0, cell_start) + 1
    if not _vocab_rx("affiliate_network_cell").match(t[prev_start:cell_start].strip()):
        return []
    i = next((i for i, c in enumerate(clauses) if _in(c, first)), None)
    if i is None or i in example or not all(_pct_is_commission(t, n, *c) for n in pcts for c in clauses if _in(c, n)):
        return []
    for n in pcts:
        n.role = "commission"
    return pcts


# (session 14) a row's second cell holding only a rate or a range ("| Onnit | 15% | Supplements |", "| Nordstrom | 1-11%
# (base ~1-2%) | ..."); "up to" or "~" may open it, one parenthetical aside may close it
_LONE_RATE_CELL = re.compile(r"(?i)\s*(?:up to\s*|~\s*)?\d+(?:[.,]\d+)?\s*%?(?:\s*[-–]\s*\d+(?:[.,]\d+)?)?\s*%"
                             r"\s*(?:\([^()|]{0,40}\))?\s*")
_NAME_CELL = re.compile(r"[^\d%$€£|]{2,60}")
# a row about what the reader's audience gets, what a page converts at or how a shop is rated is no commission table
_ROW_NOT_COMMISSION = re.compile(r"(?i)\b(?:discount|off|coupons?|promo|codes?|cash-?back|conversion|cr|epc|apr|apy|"
                                 r"interest|fees?|tax|vat|share of|market share|growth|trustpilot|ratings?|stars?|scores?)\b")


def _row_cells(t: str) -> list[str] | None:
    """The cells of a text that is one pipe-delimited table row ("| a | b | c |" or "a | b | c"), else None."""
    body = t.strip()
    if "\n" in body or body.count("|") < 2:
        return None
    return [c.strip() for c in body.strip("|").split("|")]


def _vetoed_elsewhere(t: str, n: _Num, clauses) -> bool:
    """A percent whose own words make it no commission ("Markup ... (up to 100%)", "VAT 20%"), judged in its clause."""
    c = next((c for c in clauses if _in(c, n)), None)
    if c is None:
        return False
    before = t[max(c[0], n.start - 40):n.start]
    return _vetoed_before(before) or bool(_rules().pct_not_after.match(t[n.span_end:min(c[1], n.span_end + 40)]))


def _rate_after_name_cell(t: str, clauses, nums: list[_Num], example: set[int]) -> list[_Num]:
    """(session 14) "| Onnit | 15% | Supplements, fitness tools | Popular among biohackers |": a header-less row of a
    program list (name, rate, notes): a second cell holding only a rate or range (`_LONE_RATE_CELL`) is the commission,
    with no commission word, when the first cell is a name (no number), the row has at least three cells, every rate
    of the text is in that cell, and the row says nothing of discounts, codes, cashback, fees or conversion rates.
    (session 15) A percent another cell names as no commission ("Markup set by affiliate (up to 100%)") is left out."""
    cells = _row_cells(t)
    pcts = [n for n in nums if n.kind == "pct" and not _vetoed_elsewhere(t, n, clauses)]
    if cells is None or len(cells) < 3 or not pcts or any(n.role is not None for n in pcts):
        return []
    name = re.sub(r"[*_`]", "", cells[0]).strip()
    if not _NAME_CELL.fullmatch(name) or not _LONE_RATE_CELL.fullmatch(cells[1]) or _ROW_NOT_COMMISSION.search(t):
        return []
    start = t.find(cells[1], t.find("|", t.find(cells[0]) + len(cells[0])))
    if start < 0 or any(not start <= n.start < start + len(cells[1]) for n in pcts):
        return []
    i = next((i for i, c in enumerate(clauses) if _in(c, pcts[0])), None)
    if i is None or i in example or not all(_pct_is_commission(t, n, *c) for n in pcts for c in clauses if _in(c, n)):
        return []
    for n in pcts:
        n.role = "commission"
    return pcts


def _rate_table_before_commission_line(t: str, clauses, nums: list[_Num], example: set[int]) -> list[_Num]:
    """(session 16) "| Standard | First 12 months | 20% | | Partner | First 12 months | 30% | - Commissions are recurring
    on the customer's payments": a table whose rates stand alone in their cells, followed at once by a line about the
    commission, is the commission table that line describes. Every rate of the text must be such a cell, and the table
    must say nothing of discounts, codes, cashback, fees or conversion rates."""
    pcts = [n for n in nums if n.kind == "pct"]
    if not pcts or any(n.role is not None for n in pcts):
        return []
    for n in pcts:
        a, b = t.rfind("|", 0, n.start), t.find("|", n.span_end)
        if a < 0 or b < 0 or not _LONE_RATE_CELL.fullmatch(t, a + 1, b):
            return []
    table_end = t.rfind("|") + 1
    line = next((c for c in clauses if c[0] >= table_end and re.search(r"[A-Za-z]", t[c[0]:c[1]])), None)
    if line is None or not _rules().commission_cue.search(t, *line) or _ROW_NOT_COMMISSION.search(t, 0, table_end):
        return []
    return _claimed_as_commission(t, clauses, pcts, example)


def _claimed_as_commission(t: str, clauses, pcts: list[_Num], example: set[int]) -> list[_Num]:
    """The rates a table rule found, marked as the commission unless one sits in a worked example or reads as no
    commission where it stands (`_pct_is_commission`); then none is."""
    if any(i in example or not _pct_is_commission(t, n, *c) for n in pcts for i, c in enumerate(clauses) if _in(c, n)):
        return []
    for n in pcts:
        n.role = "commission"
    return pcts


# (session 16) a Markdown table with a header rule: "| attributed revenue | cashback | |---|---| | from 0 | 10% | ..."
_HEADER_RULE = re.compile(r"\|(?:\s*:?-{3,}:?\s*\|){2,}")
_RATE_COLUMN = re.compile(r"(?i)^\W*(?:(?:affiliate |partner |referral )?(?:commissions?|rates?|payouts?|rev(?:enue)?[- ]?share"
                          r"|share|rewards?)|%)\W*$")
_CASHBACK_COLUMN = re.compile(r"(?i)^\W*cash-?back\W*$")
_REFERRED_COLUMN = re.compile(r"(?i)\b(?:attributed|referred|referral|affiliate|partner)\b")


def _headed_rate_column(t: str, clauses, nums: list[_Num], example: set[int]) -> list[_Num]:
    """(session 16) The rates of a Markdown table's column headed by a commission word ("| Plan | Commission |"), or
    by "cashback" when another header names the partner's attributed or referred revenue ("| lifetime attributed revenue
    | cashback |"): every rate of the text must sit in that column."""
    m = _HEADER_RULE.search(t)
    pcts = [n for n in nums if n.kind == "pct"]
    if m is None or not pcts or any(n.role is not None or n.start < m.end() for n in pcts):
        return []
    ncol = len(re.findall(r"-{3,}", m.group(0)))
    head = [c.strip() for c in t[:m.start()].rstrip(" \t\r\n|").split("|")][-ncol:]
    if len(head) != ncol:
        return []
    k = next((i for i, c in enumerate(head) if _RATE_COLUMN.match(c)), None)
    if k is None:
        k = next((i for i, c in enumerate(head) if _CASHBACK_COLUMN.match(c)), None)
        if k is None or not any(_REFERRED_COLUMN.search(c) for i, c in enumerate(head) if i != k):
            return []
    bars = [m.end() - 1 + b.start() for b in re.finditer(r"\|", t[m.end() - 1:])]
    spans = [(a + 1, b) for a, b in zip(bars, bars[1:], strict=False) if t[a + 1:b].strip()]     # body cells, by row
    column = spans[k::ncol]
    if any(not any(a <= n.start < b for a, b in column) for n in pcts):
        return []
    return _claimed_as_commission(t, clauses, pcts, example)


def _commission(t, clauses, nums, example, terms: Terms, context) -> None:
    r = _rules()
    implied = context == "commission"
    pcts: list[_Num] = []
    money: list[_Num] = []
    tier_clauses: list[int] = []
    cue_prev = False
    for i, (s, e) in enumerate(clauses):
        own_cue = implied or bool(r.commission_cue.search(t, s, e) or _vocab_rx("camel_case_cue").search(t, s, e))
        cue = own_cue or cue_prev
        found = False
        # "refer five friends who buy $200, you earn $30": an earned amount next to a purchase
        # amount is arithmetic on an example, not the rate
        worked = any(n.kind == "money" and _in((s, e), n) and _purchase_amount(t, n, s)
                     and not _spend_condition(t, n, s, nums) for n in nums)
        case_from = _worked_case(t, s, e, nums) if worked else None
        stated_end = _example_cut(t, s, e, i, example)
        for n in nums:
            if not s <= n.start < stated_end:
                continue
            if n.kind == "pct" and cue and (case_from is None or n.start < case_from) and _pct_is_commission(t, n, s, e):
                n.role = "commission"
                pcts.append(n)
                found = True
                tier_clauses.append(i)
            elif n.kind == "money" and not worked and _money_is_commission(t, n, s, e, implied):
                n.role = "commission"
                money.append(n)
                found = True
        # a cell of bare figures ("> 200 | 10%") keeps the commission context of the table it is in
        # and a clause without any number cannot end that context ("Commission: | Standard | 25%")
        no_amount = not any(_in((s, e), n) and n.kind != "bare" for n in nums)
        cue_prev = own_cue or (cue and (found or not re.search(r"[A-Za-z]", t[s:e]) or no_amount))
    money = [n for n in money if not _caps_a_rate(t, n, pcts) and not _caps_an_amount(t, n, money)] \
        + _coordinated_amounts(t, clauses, nums, example)
    money = [n for n in _without_total_cap(t, money) if not _worked_out_amount(t, n, pcts, nums)]
    money += _replaced_amounts(t, money, nums)
    if not pcts and not money:
        pcts, money, tier_clauses = _rates_without_commission_word(t, clauses, nums, example)
    for group in (pcts, money):
        for n in list(group):
            p = n.partner
            if p is not None and p.kind == n.kind and p.role != "commission" and p not in group:
                p.role = "commission"
                group.append(p)
        group.sort(key=lambda n: n.start)
    if pcts:
        _percent_range(t, clauses, tier_clauses, pcts, terms)
    if money:
        cur = money[0].currency
        same = [n for n in money if n.currency == cur]     # never mix currencies in one range
        lo = min(same, key=lambda n: n.value)
        hi = max(same, key=lambda n: n.value)
        terms.flat_max = Found(hi.value, (hi.start, hi.span_end))
        up_to = len({n.value for n in same}) == 1 and _up_to_before(t, same[0])
        terms.flat_min = None if up_to else Found(lo.value, (lo.start, lo.span_end))
        terms.flat_open_above = not up_to and _flat_floor(t, hi)
        terms.currency = Found(cur, (same[0].start, same[0].span_end))
    if pcts or money:
        first = min(pcts + money, key=lambda n: n.start)
        model = CommissionModel.HYBRID if pcts and money else CommissionModel.PERCENT if pcts else CommissionModel.FLAT
        terms.model = Found(model, (first.start, first.span_end))
    unstated_rate = None if pcts else _percentage_without_rate(t, clauses, example)
    if unstated_rate is not None:
        kind = CommissionModel.HYBRID if money else CommissionModel.PERCENT
        terms.model = Found(kind, unstated_rate.span)
    unstated_amount = None if pcts or money or unstated_rate else _fixed_amount_without_figure(t, clauses, nums, example)
    if unstated_amount is not None:
        terms.model, terms.payout_type = unstated_amount
    terms._commission_nums = pcts + money


# (session 16) "€100 per referral (instead of €75)": the amount a raised reward replaces, in brackets right after it
_INSTEAD_OF_BETWEEN = re.compile(r"(?i)[^()\d.!?|;]{0,30}\(\s*(?:instead of|rather than|i\.\s?p\.\s?v\.?|in plaats van"
                                 r"|statt|anstatt|au lieu de|en lugar de|en vez de|em vez de|ao inv[ée]s de|invece di)"
                                 r"\s*(?:[$€£]\s?)?$")


def _replaced_amounts(t: str, money: list[_Num], nums: list[_Num]) -> list[_Num]:
    """The standard amount a raised flat reward replaces ("€100 per referral (instead of €75)"): a rung of the same
    ladder of flat rewards, in the same currency; an old amount a promotion raised ("$20 credit (up from $10)", "(was
    $40)") is no longer paid and stays out."""
    out = []
    for n in money:
        m = next((m for m in nums if m.start >= n.span_end), None)
        if m is not None and m.kind == "money" and m.currency == n.currency and m.role != "commission" \
                and _INSTEAD_OF_BETWEEN.fullmatch(t, n.span_end, m.start):
            m.role = "commission"
            out.append(m)
    return out


# --- amounts that are no reward (session 8): a rate worked out, a payout limit, a total over many referrals -----------
def _spend_condition(t: str, n: _Num, s: int, nums: list[_Num]) -> bool:
    """"after the referred user spends €11.90", with no rate stated anywhere: a spend that unlocks a reward, not the
    purchase of a worked example (which works the reward out from a rate)."""
    return not any(m.kind == "pct" for m in nums) and bool(
        _vocab_rx("spend_condition_before").search(t, max(s, n.start - 30), n.start))


def _worked_out_amount(t: str, n: _Num, pcts: list[_Num], nums: list[_Num]) -> bool:
    """"80% of every sale: on a ₹1,299 plan you earn ₹1,039": an amount equal to a stated commission rate applied to
    another amount written shortly before it (a price, a purchase; never a payout threshold) is that rate worked out
    on a case, not a second, flat rate."""
    r = _rules()
    for m in nums:
        if m.kind != "money" or m is n or m.currency != n.currency or not 0 <= n.start - m.span_end <= 120 \
                or m.value <= n.value or r.threshold.search(t, max(0, m.start - 30), m.start):
            continue
        if any(abs(m.value * p.value / 100 - n.value) <= max(0.01 * n.value, 0.01) for p in pcts):
            return True
    return False


# an amount that is the next cell's limit ("₦2,000 | Minimum Threshold"), or a limit per payout ("a maximum of $500
# per withdrawal", "$2 per transfer"): what a payout may or must be, never what a referral earns
# ("limit_cell_after", "per_payout_after" in the vocabulary); "refer 10 friends, earn $500", "for every 4 friends who
# join we send you $40": a total over several referrals ("count_total_before")
@functools.lru_cache(maxsize=1)
def _limit_patterns() -> tuple[re.Pattern, re.Pattern, re.Pattern, re.Pattern]:
    v = vocabulary()
    keys = ("limit_cell_after", "per_payout_after", "count_total_before", "balance_condition_before")
    return tuple(re.compile(v[k], re.I) for k in keys)  # type: ignore[return-value]


def _limit_or_total(t: str, n: _Num) -> bool:
    """A payout limit, a balance a condition names ("even if you earn $5, we pay it out") or a total earned over a
    count of referrals, not the reward for one (see the patterns above)."""
    cell_after, per_payout, count_total, balance = _limit_patterns()
    cell_start = re.search(r"(?:^|\|)\s*$", t[max(0, n.start - 12):n.start]) is not None
    if (cell_start and cell_after.match(t, n.span_end)) or per_payout.match(t, n.span_end):
        return True
    if balance.search(t, max(0, n.start - 60), n.start) and not _rules().unit_after.match(t, n.span_end):
        return True
    first = n.start if n.partner is None else min(n.start, n.partner.start)
    total = count_total.search(t, max(0, first - 110), first)
    return total is not None and not _EACH_AFTER.match(t, n.span_end) and not _rules().unit_after.match(t, n.span_end)


_EACH_AFTER = re.compile(r"(?i)\s*(?:each|apiece|a piece|per (?:head|person))\b")     # "bring 3 clients, receive $60 each"


def _worked_case(t: str, s: int, e: int, nums: list[_Num]) -> int | None:
    """"For a $200 sale with an 8% rate, the affiliate earns $16": a clause that prices a purchase and then states what
    it earns works a case through; a percent after the price is the case's rate, which the terms may state elsewhere or
    not at all ("Earn 10% on every order; a customer who buys $200 earns you $20" states its rate first). Returns where
    the case starts, or None."""
    amounts = [n for n in nums if n.kind == "money" and _in((s, e), n) and n.partner is None]
    bought = [n for n in amounts if _purchase_amount(t, n, s)]
    # (session 17) the case may earn a range: "for a rental of 400 PLN you earn 120-200 PLN"
    earned = amounts + [n for n in nums if n.kind == "money" and _in((s, e), n) and n.partner is not None
                        and n.start < n.partner.start]
    if bought and any(n not in bought and n.start > bought[0].start and _CASE_EARNING_BEFORE.search(t, s, n.start)
                      for n in earned):
        return bought[0].start
    return None


# what a worked case earns: "the affiliate earns $16", "you get $90", "= $6.25" ("orders above £50" is a condition)
_CASE_EARNING_BEFORE = re.compile(r"(?i)(?:\b(?:earn(?:s|ed)?|gets?|receives?|makes?|pays?|paid|would be|is|equals?"
                                  # (session 17) "you earn" in the other languages of the corpus
                                  r"|zarobisz|zarabiasz|otrzymasz|dostaniesz|verdienst|erhältst|bekommst|ganas|ganarás"
                                  r"|recibes|recibirás|ganha|ganhará|recebe|receberá|gagnez|recevez|touchez|kazanırsınız)"
                                  r"(?: you| the (?:affiliate|partner|referrer))?|=)\s*(?:an? |about |around )?[$€£]?\s*\**\s*$")


_PERCENTAGE_OF = re.compile(r"(?i)\b(?:a|fixed|certain|small|(?:the )?agreed|pre-?determined|set"
                            r"|the (?:currently )?(?:published|applicable))"     # (session 16) "the published percentage of"
                            r" (?:\w+ )?percentage of\b"
                            r"|(?<![\w-])(?:a |the )?(?:fixed |set |pre-?determined )?(?:percentage|percent) commissions? "
                            r"(?:of|on|from)\b")      # the base named: "a percentage commission on every order"


def _percentage_without_rate(t: str, clauses, example: set[int]) -> Found | None:
    """"We offer a recurring commission for a percentage of your customers' invoices": a percent model
    whose rate the text leaves unstated."""
    r = _rules()
    for i, (s, e) in enumerate(clauses):
        m = _PERCENTAGE_OF.search(t, s, e)
        if m is None or i in example or _negated(t, m.start()) or _customer_subject(t[max(s, m.start() - 40):m.start()]):
            continue      # "customers get a percentage of their order back": the buyer's share
        if _HEDGED_SHARE_BEFORE.search(t, max(s, m.start() - 30), m.start()):
            continue      # (session 17) "Typically a percentage of each sale": a guess at a rate nobody states
        if _HEDGED_SHARE_AFTER.match(t, m.end(), e):
            continue      # (session 17b) "A percentage of top-ups would be ...": a design option weighed, not a term
        # "a percentage commission" names its own cue; "we pay you a percentage of each sale" needs one in the clause
        # or the clause before it ("You earn a commission. We deposit a percentage of the sales you referred.")
        cued = "commission" in m.group(0).lower() or r.commission_cue.search(t[s:m.start()] + " " + t[m.end():e]) \
            or (i > 0 and i - 1 not in example and r.commission_cue.search(t, *clauses[i - 1]))
        if cued:
            return Found(CommissionModel.PERCENT, (m.start(), m.end()))
    return None


# (session 16) a fixed payment named for its unit but given no figure: "a fixed cash payment for each referred client",
# "получает фиксированную денежную выплату за каждого приведённого клиента"
_FIXED_WITHOUT_FIGURE = re.compile(
    r"(?i)(?<![\w-])(?:(?:a|one) )?(?:fixed|flat)(?:[- ]rate)? (?:cash |money |monetary |referral )?"
    r"(?:amount|fee|payment|payout|sum|reward|bounty|commission)s? (?:for|per) (?:each|every|any|a|an) (?:[\w-]+ ){0,2}?"
    r"(?:(?P<cpa>clients?|customers?|users?|accounts?|members?|referrals?|students?)|(?P<cps>sales?|orders?|purchases?)"
    r"|(?P<cpl>leads?|sign-?ups?|registrations?))\b"
    r"|(?<![\w-])фиксированн\w* (?:денежн\w* )?(?:выплат|вознагражд|сумм|комисси|плат)\w* (?:за|с) (?:кажд\w+ )?(?:\w+ )?"
    r"(?:(?P<cpa_ru>клиент\w*|пользовател\w*|покупател\w*|реферал\w*)|(?P<cps_ru>продаж\w*|заказ\w*|покупк\w*)"
    r"|(?P<cpl_ru>регистрац\w*|заявк\w*|лид\w*))")


def _fixed_amount_without_figure(t: str, clauses, nums: list[_Num], example: set[int]) -> tuple[Found, Found] | None:
    """(session 16) A flat model (and its payout type, from the unit) whose amount the text leaves unstated, in a
    text with no amount or percent at all."""
    if any(n.kind != "bare" for n in nums):
        return None
    for i, (s, e) in enumerate(clauses):
        m = _FIXED_WITHOUT_FIGURE.search(t, s, e)
        if m is None or i in example or _negated(t, m.start()) \
                or _customer_subject(t[max(s, m.start() - 40):m.start()]):
            continue
        unit = next(k for k, v in m.groupdict().items() if v)[:3]
        return Found(CommissionModel.FLAT, m.span()), Found(PayoutType(unit), m.span())
    return None


# (session 17) the heading of a list of rungs: "Tiered System (Coming Soon):", "Commission tiers:", "Tier structure -"
_TIER_HEADING = re.compile(r"(?i)\btier(?:ed|s)?\b[^.%\d:|]{0,40}[:\-–]")


def _tier_list(t: str, pcts: list[_Num]) -> list[Found]:
    """Each rate once, in text order; an "earn up to 70%" summary that a later tier repeats is not a tier."""
    first_of_value: dict[float, _Num] = {}
    heading = _TIER_HEADING.search(t, pcts[0].start if pcts else 0)
    if heading is not None:
        # (session 17) "Standard Rate: 10% ... Tiered System: - First 10 sales: 5% - 10-50 sales: 10% - 50+ sales: 15%":
        # a rate said before the rung list that one of its rungs repeats is a headline; the rungs keep their order
        rungs = [n for n in pcts if n.start >= heading.end()]
        if len({n.value for n in rungs}) > 1 and {n.value for n in pcts} == {n.value for n in rungs}:
            pcts = rungs
    for i, n in enumerate(pcts):
        summary = (_up_to_before(t, n) and any(m.value == n.value for m in pcts[i + 1:])) or _summary_range(pcts, i)
        if not summary:
            first_of_value.setdefault(n.value, n)
    return [Found(n.value, (n.start, n.span_end)) for n in first_of_value.values()]


def _summary_range(pcts: list[_Num], i: int) -> bool:
    """"20-35% ... 1-5 sales: 20% | 6-10 sales: 25% | 21+ sales: 35%": a range whose two ends the ladder after it
    lists again as single rates summarises the ladder; it is no tier of its own (session 8)."""
    n = pcts[i]
    p = n.partner
    if p is None:
        return False
    later = {m.value for m in pcts[i + 1:] if m.partner is None}
    return n.value in later and p.value in later


# "$3 per trial and $30 per sale", "Starter: $250 USD Professional: $500 USD" (one label per amount)
_COORDINATED = re.compile(r"(?i)\b(?:and|or|plus)\s+(?:\(?[a-h1-9]\)\s*)?(?:up to\s+)?$|^\s*[,;]?\s*[A-Z][\w/&+ -]{0,30}:\s*$"
                          r"|^\s*\([^()]{1,25}\)\s*[,;/]\s*$")


# "Earn $5 for each free signup, $20 when they upgrade", "$100 for Core, $300 for Pro": list items of one shape, an
# amount and what it is paid for, separated by a comma
_PARALLEL_GAP = re.compile(r"(?i)^\s+(?:for|if|when|on|per)\b[^,;.:|$€£\d]{1,40},\s*(?:and\s+)?$")
_PARALLEL_TAIL = re.compile(r"(?i)\s+(?:for|if|when|on|per)\b")


def _parallel_item(t: str, gap: str, n: _Num) -> bool:
    return bool(_PARALLEL_GAP.search(gap) and _PARALLEL_TAIL.match(t, n.span_end))


def _coordinated_amounts(t: str, clauses, nums: list[_Num], example: set[int]) -> list[_Num]:
    """"Earn $3 per trial sign-up and $30 when it converts": an amount joined by "and"/"or"/"plus" to a
    commission amount of the same currency in the same clause is a commission too, unless it is a
    bonus, a price, a threshold or a discount."""
    out = []
    for i, (s, e) in enumerate(clauses):
        if i in example:
            continue
        in_clause = [n for n in nums if _in((s, e), n)]
        for prev, n in zip(in_clause, in_clause[1:], strict=False):
            if prev.role != "commission" or prev.kind != "money" or n.kind != "money" or n.role is not None:
                continue
            gap = t[prev.span_end:n.start]
            if n.currency != prev.currency or not (_COORDINATED.search(gap) or _parallel_item(t, gap, n)) \
                    or (":" in gap and _NOT_A_RATE_LABEL.search(gap)):
                continue
            if _money_is_commission(t, n, s, e, implied=True):
                n.role = "commission"
                out.append(n)
    return out


_EARN_VERB = re.compile(r"(?i)\b(?:earn|get|receive|make|pay|paid|reward|offer)\w*|[.!?|;]")


def _caps_a_rate(t: str, n: _Num, pcts: list[_Num]) -> bool:
    """"5% of each purchase ... for each referral, up to $250,000 for each referral": an "up to" amount that follows a
    commission rate in its sentence with no earning verb of its own caps that rate; it is no flat commission."""
    if not _up_to_before(t, n):
        return False
    if pcts and all(p.span_end <= n.start for p in pcts) and _rules().unit_after.match(t, n.span_end) \
            and not _PLUS_BEFORE.search(t, max(0, n.start - 40), n.start) \
            and not _SCOPED_TO_A_PLAN_BEFORE.search(t, max(0, n.start - 80), n.start):
        return True     # (session 13) "30% of net revenue ... Earn up to $176 per referral": the most one referral yields
    return any(p.span_end <= n.start and not _EARN_VERB.search(t, p.span_end, n.start) for p in pcts)


# "For agency plans you earn up to $500 per referral": an amount of its own for one plan or product, not the rate's cap
_SCOPED_TO_A_PLAN_BEFORE = re.compile(r"(?i)\b(?:for|on) (?:the |our |all )?(?:[\w-]+ ){0,3}(?:plans?|products?|packages?"
                                      r"|accounts?|licen[cs]es?|tiers?)\b[^.;|%]*$")
# "and you also earn up to $50 per sale", "In addition, earn up to $20 for each": a second part added to the rate
_PLUS_BEFORE = re.compile(r"(?i)\b(?:plus|and|additional|additionally|in addition|also|extra|bonus|as well as|on top)\b"
                          r"[^.;|%]{0,30}$")


_MAXIMUM_BEFORE = re.compile(r"(?i)\b(?:maximum|max\.?|capped at|a cap of|limit of)\s*(?:of\s*)?(?:[$€£]|[A-Z]{3})?\s*$")


def _caps_an_amount(t: str, n: _Num, money: list[_Num]) -> bool:
    """"$25 per employee, up to a maximum of $10,000 per client": a maximum after an amount per unit, in its sentence
    and with no earning verb of its own, caps what the per-unit amounts add up to; it is no second commission."""
    if not _MAXIMUM_BEFORE.search(t, max(0, n.start - 30), n.start):
        return False
    return any(m.span_end <= n.start and _rules().unit_after.match(t, m.span_end)
               and not _EARN_VERB.search(t, m.span_end, n.start) for m in money if m is not n)


def _without_total_cap(t: str, money: list[_Num]) -> list[_Num]:
    """"Earn up to $600 for your first three referrals ... you earn a $100 card, then $200, then $300", "Earn up to
    $5,000 per month! ... 0-30 days: $1000": an "up to" amount above every amount stated in the other sentences is
    what all of them add up to, not a rate of its own."""
    caps = [n for n in money if n.partner is None and _up_to_before(t, n)]
    if len(caps) != 1:
        return money
    cap = caps[0]
    others = [n for n in money if n is not cap and n.currency == cap.currency]
    if _rules().unit_after.match(t, cap.span_end) and not _PER_PERIOD_AFTER.match(t, cap.span_end) \
            and not _sum_of(cap, others):
        return money        # "up to $150 per referral" is a rate of its own, unless it adds the others up
    sentence_end = re.search(r"[.!?](?:\s|$)", t[cap.span_end:])
    own_end = cap.span_end + sentence_end.end() if sentence_end else len(t)
    apart = [n for n in others if n.start >= own_end or n.start < cap.start]
    if apart and len(apart) == len(others) and all(n.value < cap.value for n in others):
        cap.role = None
        return others
    return money


def _sum_of(cap: _Num, others: list[_Num]) -> bool:
    """"$20 for lenses ... $10 for glasses ... up to $30 for each person you refer": an "up to" amount equal to the sum of
    two or more amounts stated apart is their total, even with a unit after it."""
    return len(others) >= 2 and abs(sum(n.value for n in others) - cap.value) < 0.005


_YOU_RECEIVE = re.compile(r"(?i)\byou(?:'ll| will| can| may| could| would)?(?: \w+)?\s+"
                          r"(?:receive|get|earn|be (?:paid|given|rewarded))\b"
                          # an offer addressed to the reader: "Receive a $25 bonus per room when you refer ..."
                          r"|^\W*(?:receive|get|earn)\s+(?:an?\s+|up to\s+)?$")


def _referral_bonuses(t: str, clauses, nums: list[_Num], example: set[int]) -> list[_Num]:
    """"a $500 referral bonus per location", "Bonus per successful referee - $10", "as thanks for your referral you
    receive a $10 bonus": where a text states no other commission, a bonus paid for each referral is the reward
    itself. Sign-up, welcome and milestone bonuses and bonuses beside a volume figure stay bonuses."""
    out = []
    for i, (s, e) in enumerate(clauses):
        money = [n for n in nums if _in((s, e), n) and n.kind == "money"]
        if i in example or not money or len(money) != 1 + (money[0].partner is not None):
            continue      # a second amount in the clause is a volume or order figure the bonus depends on
        for n in money:
            if n.value > 0 and n.role is None and _is_referral_bonus(t, n, s, e):
                n.role = "commission"
                out.append(n)
    return out


def _is_referral_bonus(t: str, n: _Num, s: int, e: int) -> bool:
    r = _rules()
    window = t[max(s, n.start - 45):min(e, n.span_end + 60)]
    after = t[n.span_end:min(e, n.span_end + 60)]
    if not r.bonus.search(window) or r.referral_bonus_veto.search(window) or r.milestone_after.match(after):
        return False
    if re.match(r"(?i)\s*(?:off|discount)\b", after) or r.other_party_before.search(t, max(s, n.start - 45), n.start):
        return False      # "Referral bonus: your friend gets $10 off" is the friend's discount
    if r.referral_bonus.search(window):
        return True
    return bool(r.referral_act.search(t, s, e) and _YOU_RECEIVE.search(t[s:n.start]))


# "a $200 order earns you $30", "on a $99 plan": the amount prices what the customer buys
_PRICED_ITEM = re.compile(r"(?i)\s*(?:order|purchase|basket|cart|package|plan|subscription|product|item|booking|sale"
                          r"|reservation|course|deal)\b"
                          r"(?!\s+(?:commission|bonus|reward|payout)s?\b)")


# "$100 worth of", "for every £100 of sales you bring, you get £12", "$500 in sales": an amount of sales, not a payout
_SALES_VOLUME_AFTER = re.compile(r"(?i)\+?\s*(?:worth of\b|(?:of|in) (?:[\w-]+ )?(?:sales|revenue|purchases|orders|spend(?:ing)?"
                                 r"|turnover|business|goods|products|merchandise)\b)")


def _purchase_amount(t: str, n: _Num, lo: int) -> bool:
    """An amount the customer pays in a worked case ("buys $200", "a $99 plan"); "on orders of $200 or more" is a
    condition of the rate, no example."""
    before = t[max(lo, n.start - 30):n.start]
    if _OR_MORE_AFTER.match(t, n.span_end) or _COMPARATIVE_BEFORE.search(before):
        return False
    priced_item = bool(re.search(r"(?i)\b(?:a|an)\s*$", before)
                       and (_PRICED_ITEM.match(t, n.span_end) or _THING_EARNS_YOU_AFTER.match(t, n.span_end)))
    return bool(_rules().purchase_before.search(before) or _SALES_VOLUME_AFTER.match(t, n.span_end)
                or priced_item)


# "a $15,000 website build earns you $1,800", "an €80 booking brings the partner €8": the first amount prices the thing
# a worked case is about (session 8)
_THING_EARNS_YOU_AFTER = re.compile(r"(?i)\s*(?:[\w-]+\s+){1,3}(?:earns|brings|gets|pays|nets|makes)\s+"
                                    r"(?:you|the (?:affiliate|partner|referrer)|affiliates|partners)\b")


def _percent_range(t: str, clauses, tier_clauses, pcts: list[_Num], terms: Terms) -> None:
    """percent min/max and tiers from the commission percents: "up to" leaves the minimum unknown, a
    floor ("starts at 5%") the maximum."""
    vals = [n.value for n in pcts]
    lo = min(pcts, key=lambda n: n.value)
    hi = max(pcts, key=lambda n: n.value)
    terms.percent_max = Found(hi.value, (hi.start, hi.span_end))
    up_to = all(_up_to_before(t, n) for n in pcts if n.partner is None) and all(n.partner is None for n in pcts)
    terms.percent_min = None if up_to else Found(lo.value, (lo.start, lo.span_end))
    if len(set(vals)) == 1 and _floor_only(t, lo):
        terms.percent_max = None        # "commissions start at 5%", "8%+": a floor, no stated maximum
    if len(set(vals)) > 1 and _tiered(t, clauses, tier_clauses):
        terms.tiers = _tier_list(t, pcts)


_UP_TO = re.compile(r"(?:(?<![\w-])up ?to(?: the (?:top|highest|maximum) (?:level|rate|tier) of)?|(?<![\w-])bis zu"
                    r"|as (?:much|high) as"
                    r"|(?<![\w-])(?:limited to|capped at|no more than|not (?:to )?exceed(?:ing)?)(?: only)?"
                    r"|max(?:imum)?(?: of)?)\s*(?:an? )?(?:(?:average|total|combined) of )?[$€£₹]?\s*$", re.I)


def _up_to_before(t: str, n: _Num) -> bool:
    """"up to 30%" caps; "sign-up to 30%" (a sign-up, then "to") does not."""
    before = t[max(0, n.start - 25):n.start]
    m = _UP_TO.search(before)
    if not m:
        return False
    pre = before[:m.start()]
    return not re.search(r"(?:sign|signs|signed|signing|set|sets|add|adds|sum|sums|end|ends)[\s-]*$", pre, re.I)


_FLOOR_BEFORE = re.compile(r"(?i)(?:\bstart(?:s|ing|ed)?(?: [\w-]+){0,5} (?:at|from|with)"
                           r"(?: an? (?:\w+ )?(?:rate|commission) of)?|\bminimum of|\bat least)\s*$")


# "8%+", "5% minimum", "3% commission with a potential for more", "10% or more", "15% and up"
_FLOOR_AFTER = re.compile(r"(?i)\s*%?\+|\s*minimum\b|\s*(?:commission\s+)?(?:with (?:a|the) "
                          r"(?:potential|possibility|chance|option) (?:for|of|to (?:earn|get|make)) more|or more\b"
                          r"|and (?:up|upwards|above|higher)\b)")


def _floor_only(t: str, n: _Num) -> bool:
    """"starts at 5%", "start your account with a rate of 25%", "8%+": the rate is a floor, not the maximum."""
    return bool(_FLOOR_BEFORE.search(t[max(0, n.start - 50):n.start]) or _FLOOR_AFTER.match(t, n.span_end))


# (session 11) "$100+ per sale", "$40 - $100+", "a minimum of $40 per listing", "at least $200 per sale", "$200 or the
# first month's payment, whichever is higher": the highest amount is a floor, and no maximum is stated
_FLAT_FLOOR_AFTER = re.compile(r"(?i)\+(?![\d$€£])|\s*(?:or more|and (?:up|upwards|above))\b"
                               r"|[^.;|%]{0,60}?\bwhichever is (?:higher|greater|more)\b")     # not "$10 or 20%, whichever"
_FLAT_FLOOR_BEFORE = re.compile(r"(?i)(?:\bminimum of|\bat least|\bstart(?:s|ing)? (?:at|from))\s*$")


def _flat_floor(t: str, hi: _Num) -> bool:
    """The highest flat amount is only a floor: a "+" or "or more" after it, "a minimum of" / "at least" / "starts at"
    right before it, or "whichever is higher" after it in its clause."""
    return bool(_FLAT_FLOOR_AFTER.match(t, hi.span_end) or _FLAT_FLOOR_BEFORE.search(t, max(0, hi.start - 20), hi.start))


# what an affiliate's volume is counted in: "the first 500 bookings", "over 20 active merchants", "after 50 sign-ups"
_COUNT_NOUNS = (r"(?:sales|referrals|customers|clients|orders|conversions|sign-?ups|accounts|bookings|leads|subscriptions"
                r"|subscribers|players|members|users|deposits|ftds|transactions|installs|merchants|activations)")
_RATE_DEPENDS_ON = (r"(?:\b(?:depend(?:s|ing|ent)?|(?<!calculated )(?<!computed )(?<!paid )(?<!charged )based|conditional) on"
                    r"|\bscal(?:e|es|ed|ing) (?:up )?with|\bvar(?:y|ies|ying) (?:with|by|according to)|\baccording to"
                    r"|\b(?:tied|linked|pegged) to|\b(?:increas|ris|grow)(?:es|e|ing|s)? (?:with|as))"
                    r"\s+(?:the |your |their |its |our |each |an? )?(?:[\w-]+ ){0,2}?"
                    r"(?:volume|sales|plans?|performance|orders?|revenue|turnover|ranks?|levels?|tiers?|traffic"
                    r"|number of|results|ftds?|conversions|deposits|referrals|subscription)\b")
_TIER_MARKERS = re.compile(r"\btier(?:s|ed)?\b|\blevels?\b|\branks?\b|\blvl\b|\bunlock(?:s|ed)? (?:after|at|with|once)\b"
                           r"|\bsilver\b|\bgold\b|\bbronze\b|\bplatinum\b|\bsales? (?:a|per) month\b"
                           r"|\bor more\b|\d\+|\breach(?:es)?\b|\bover\b|\bless than\b|\bup to [$€£]"
                           r"|\b\d+\s*(?:-|to)\s*\d+ sales\b|\bfor (?:subscriptions|plans|orders) of\b"
                           # a count band or a count labelling a rate: "1 - 5 approved sales = 6%", "25 Referrals: 11%"
                           r"|\b\d+\s*(?:-|to)\s*\d+ (?:\w+ )?(?:sales|referrals|customers|clients|users|members|orders"
                           r"|accounts)\b"
                           r"|\b\d+\+? (?:\w+ )?(?:sales|referrals|customers|clients|users|orders)\s*[:=]"
                           r"|\b(?:sales|revenue|orders) total(?:l?ing|s)?\b"
                           # "increased to 15% after 50 sales": a rate earned by volume
                           r"|\bafter \d+ (?:\w+ )?(?:sales|referrals|orders|customers|conversions)\b"
                           # a rate that depends on the plan the customer pays: "50% if they pay annually, 100% if monthly"
                           r"|\b(?:if|when) (?:they|the customer|the client|your referral) (?:\w+ )?(?:choose to )?pays? "
                           r"(?:annually|monthly|yearly)\b"
                           # an amount band right before a rate: "$0-$1000 15%"
                           r"|[$€£]\s?\d[\d,.]*\s*(?:-|to)\s*[$€£]?\s?\d[\d,.]*\s*[-=:(]?\s*\d+(?:\.\d+)?\s*%"
                           r"|\bmonthly (?:net )?revenue\b|\bperformance\b|\bthreshold\b"
                           rf"|\b(?:first|next) \d+ (?:\w+ )?{_COUNT_NOUNS}\b|\bonwards\b"
                           # "on up to 50 referrals a month ... 40% beyond that", "above $5,000 in monthly sales, 12%"
                           rf"|\b(?:up to|over|above|beyond|more than) [$€£]?\d[\d,.]*k? (?:\w+ )?{_COUNT_NOUNS}\b"
                           r"|\bbeyond (?:that|this|it)\b"
                           # "12% once you pass 100 sales", "when your sales exceed $5,000"
                           r"|\b(?:pass(?:es)?|exceed(?:s)?|surpass(?:es)?|hits?|cross(?:es)?)\s+[$€£]?\d"
                           r"|\bstarts? (?:from|at)\b[^.]{0,40}\bgoes up ?to\b"
                           # "it will double from 5% to 10%": a rate that rises is a step up a ladder
                           r"|\b(?:increases?|rises?|grows?|doubles?|goes up|jumps?|climbs?) from \d+(?:\.\d+)?\s?% to\b"
                           # a rate that moves with a measure of the affiliate's results or rank: "30-45% depending on
                           # revenue", "4 to 7 percent, scaling with monthly volume", "varies by your partner level"
                           rf"|{_RATE_DEPENDS_ON}"
                           # a boundary of a band in a column table: "Total Referred Sales >$499 $500-999 ... 1% 2%"
                           r"|(?<![\w-])[<>≥≤]=?\s*[$€£]\s?\d", re.I)
# volume wording, in the rates' clauses or the one after them: "The more you refer, the higher ...",
# "higher volume affiliates", "up to 25% for top sellers", "$100 in sales: 40%"
_VOLUME_WORDING = re.compile(r"(?i)\bthe more (?:you|your)\b|\bhigh(?:er)?[- ]volume\b"
                             r"|\btop (?:sellers|affiliates|performers|partners|producers)\b"
                             r"|\bstarting (?:commission )?rate\b|\bstarting commission\b"
                             r"|\bin (?:monthly |quarterly |annual |yearly |total )?sales\b"
                             # "your rate increases with the number of referred accounts", "the more sales ..."
                             r"|\b(?:rate|commission)s? (?:increases?|grows?|rises?|goes up)\b"
                             r"|\bthe more (?:\w+ ){0,2}(?:sales|referrals|customers|orders|accounts)\b"
                             r"|\bdepend(?:s|ing)? on (?:the )?(?:number|volume|amount) of\b")


# a band of counts beside a rate: "0–10 active referrals | 0.6%", "Silver | 10–24 | 15%"
_COUNTED = (r"(?:active |new |approved |completed |paid |qualified )?"
            r"(?:referrals|sales|customers|clients|users|members|accounts|orders)")
_COUNT_BAND = re.compile(rf"(?i)(?<![\d.,$€£])\d+\s*[–-]\s*\d+(?:\s+{_COUNTED})?\s*$"
                         rf"|(?<![\d.,$€£])\d+\s*[–-]\s*\d+ {_COUNTED}\b")


_SALES_BAND_BEFORE = re.compile(r"(?i)[$€£]\s?\d[\d,.]*k?\+? in (?:monthly |total |referred )?(?:sales|revenue)\b")


# (session 9) also "on monthly paid plans", "of a 3-month subscription", "for 12-month memberships"
_BILLING_PLAN = re.compile(r"(?i)\b(?:for|on|of) (?:any |all |the |each |an? )?(annual|yearly|monthly|quarterly|lifetime"
                           r"|\d{1,2}[- ](?:months?|years?)|one[- ]years?|two[- ]years?) "
                           r"(?:(?:paid|billed|prepaid|pre-paid) )?(?:plans?|subscriptions?|memberships?|licen[cs]es?)\b")


# a rate given for a named plan ("30% commission on Enterprise plans and 20% on all other plans", "Professional Plan
# ($24/year): 15% commission") or for an order-value band ("25% on orders under £250 and 30% on orders of £251")
_RATE_OF_PLAN = re.compile(
    r"(?i)\d\s*%\s*(?:[\w-]+\s+){0,2}?(?:on|for|with)\s+(?P<a>(?:[\w-]+\s+){0,2}?)(?:plans?|packages?|editions?)\b"
    r"|\b(?P<b>(?-i:[A-Z][\w-]*))\s+(?:plan|package|edition)\b[^%|;.]{0,30}?[:–-]\s*\d+(?:\.\d+)?\s*%"
    r"|\d\s*%\s*(?:[\w-]+\s+){0,2}?(?:on|for)\s+(?:all\s+|any\s+)?(?:orders?|purchases?|sales|baskets?)\s+"
    r"(?P<c>under|over|above|below|of|from|up to|exceeding|less than|more than)\s*[$€£]\s?\d")
_PLAN_DETERMINERS = {"the", "all", "any", "our", "your", "a", "an", "each", "every", "its", "their"}


def _rate_per_named_plan(text: str) -> bool:
    """Two different plans (or order-value bands), each named beside its own rate: the rate depends on the plan."""
    keys = set()
    for m in _RATE_OF_PLAN.finditer(text):
        words = [w for w in (m.group("a") or m.group("b") or m.group("c") + str(m.start())).lower().split()
                 if w not in _PLAN_DETERMINERS]
        if words:
            keys.add(" ".join(words))
    return len(keys) >= 2


# (session 16) a table row naming a billing plan, then its rate: "| Monthly Pro Plan | 50% |", "| 3 Months Plan | 30% |"
_BILLING_PLAN_CELL = re.compile(r"(?i)(?:^|\|)\s*(annual|yearly|monthly|quarterly|\d{1,2}[- ]months?|\d[- ]years?)\b"
                                r"[^|%\d]{0,30}\b(?:plans?|subscriptions?|memberships?)\s*\|\s*\d+(?:\.\d+)?\s*%")


def _rate_per_billing_plan(text: str) -> bool:
    """"20% for any annual plans ... 40% for any monthly plans": rates of two billing plans (one plan named beside a
    renewal rate, "40% on annual plans plus 30% on renewals", is no plan tier)."""
    return _distinct_plans([m.group(1) for m in _BILLING_PLAN.finditer(text)])


def _distinct_plans(plans: list[str]) -> bool:
    return len({re.sub(r"[- ]", " ", p.lower()).replace("yearly", "annual") for p in plans}) >= 2


def _rate_per_billing_plan_cell(t: str, clauses, idxs: list[int]) -> bool:
    """(session 16) Two table rows, each a billing plan's cell followed by its rate cell."""
    if not idxs:
        return False
    lo, hi = clauses[min(idxs)][0], clauses[max(idxs)][1]
    return _distinct_plans([m.group(1) for m in _BILLING_PLAN_CELL.finditer(t, lo, hi)])


# (session 16) a rung named in the cell before a rate: "| Silver Partner | 1 – 5 Tradies | 20% ..."
_RUNG_NAME_BEFORE = re.compile(r"(?i)(?:^|\|\s*)(?:bronze|silver|gold|platinum|diamond)\b")


# (session 16) a band's lower bound in the cell before a rate: "| from 100 000 ₸ | 12% |", "| over $5,000 | 15% |"
_BAND_FROM_CELL = re.compile(r"(?i)\s*(?:from|over|above|≥|>=?)\s*[$€£]?\s?\d")


def _tiered(t: str, clauses, idxs: list[int]) -> bool:
    text = " ".join(t[clauses[i][0]:clauses[i][1]] for i in sorted(set(idxs)))
    text = _SENIORITY_SPAN.sub(" ", text)      # (session 17) a rate by how long one has been an affiliate is no tier
    prev = " ".join(t[clauses[i - 1][0]:clauses[i - 1][1]] for i in sorted(set(idxs)) if i > 0)
    nxt = max(idxs, default=-1) + 1
    after = t[clauses[nxt][0]:clauses[nxt][1]] if nxt < len(clauses) else ""
    # "tier", a boundary ("> 200 | 10%") or a sales band ("$100 in sales – ... 40%") just before a rate
    return bool(_TIER_MARKERS.search(text) or re.search(r"\btier|(?<![\w-])[<>≥≤]=?\s*[$€£]?\d", prev, re.I)
                or _RUNG_NAME_BEFORE.search(prev)
                or _SALES_BAND_BEFORE.search(prev) or _rate_per_billing_plan(text) or _rate_per_named_plan(text)
                or _rate_per_billing_plan_cell(t, clauses, idxs)
                or any(_COUNT_BAND.search(t, *clauses[i - 1]) for i in idxs if i > 0)
                or any(_BAND_FROM_CELL.match(t, *clauses[i - 1]) for i in idxs if i > 0)
                or _VOLUME_WORDING.search(text + " " + after)
                or any(_VOLUME_WORDING.search(t, *_table_row(t, clauses[i][0])) for i in idxs)
                or _vocab_rx("volume_wording_foreign").search(" ".join((prev, text, after))))


def _table_row(t: str, pos: int) -> tuple[int, int]:
    """(session 16) The row of a flattened Markdown table around pos ("| Partner (high volume) | 12 months | 30% |"),
    rows parted by "| |" or a line break; (pos, pos) outside a table."""
    if "| |" not in t:
        return pos, pos
    start = max(t.rfind("| |", 0, pos) + 3 if t.rfind("| |", 0, pos) >= 0 else 0, t.rfind("\n", 0, pos) + 1)
    ends = [i for i in (t.find("| |", pos), t.find("\n", pos)) if i >= 0]
    end = min(ends, default=len(t))
    return (start, end) if end - start <= 200 else (pos, pos)


# --- recurring, months, lifetime ------------------------------------------------------------

def _negated(t: str, start: int) -> bool:
    r = _rules()
    return bool(re.search(rf"\b{r.negator}\b\W+(?:\w+\W+){{0,1}}$", t[max(0, start - 20):start], re.I))


_RATE_IN = re.compile(r"(?i)\d\s*(?:%|percent\b|per cent\b)|[$€£]\s?\d")
_NEGATED_AFTER = re.compile(r"(?i)\s*(?:\w+\s+){0,2}(?:(?:are|is|do|does|will|shall)\s+not|aren'?t|isn'?t|don'?t|doesn'?t|won'?t"
                            r"|are excluded|is excluded|not (?:commissionable|eligible|included))\b"
                            r"|\s*(?:[\w-]+\s*){0,2}[:?]\s*(?:-\s*)?(?:no|none|n/a)\b(?![\s-]+(?:limit|cap|maximum|minimum))")
_OTHER_SUBJECT = re.compile(r"(?i)\b(?:customers?|users?|clients?|they|subscribers?|members?|buyers?|merchants?)"
                            r"\s+(?:\w+\s+){0,3}$")
_LABEL_AFTER = re.compile(r"(?i)(?:\s+\w+){0,2}\s*:")
_GAIN_VERB = re.compile(r"(?i)receive[sd]?|gets?|got|earn(?:s|ed)?")


def _others_gain_only(t: str, s: int, e: int) -> bool:
    """(session 17b) A clause whose only commission cues are "receive" / "get" / "earn" said of customers or users
    ("new users receive 50GB per month"): what the referred party gets, not the affiliate's commission."""
    cues = list(_rules().commission_cue.finditer(t, s, e))
    return bool(cues) and all(_GAIN_VERB.fullmatch(m.group(0)) and _customer_subject(t[max(s, m.start() - 40):m.start()])
                              for m in cues)
_OWN_CONTRACT_BEFORE = re.compile(r"(?i)\byour (?:own )?(?:contract|membership|subscription|plan|account|agreement"
                                  r"|licen[cs]e)\s+$")
_RENEW_YOUR_AFTER = re.compile(r"(?i)\s+your\b")     # (session 9) "renew your content": the affiliate's own
_NO_COMMISSION_ON = re.compile(r"(?i)no commissions? on\W+(?:\w+\W+){0,2}$")


def _recurrence(t: str, clauses, terms: Terms, context) -> None:
    """recurring / recurring_months / lifetime: positive cues win over "one-time" cues; a months cap
    is not a lifetime; a one-time commission has neither."""
    r = _rules()
    has_commission = terms.model is not None or context == "commission"
    false_hit = months = life = None
    true_hit = _amount_per_period(t, terms)
    for i, (s, e) in enumerate(clauses):
        false_hit = false_hit or _recurrence_denied(t, s, e)
        if _not_about_own_commission(t, s, e, terms):
            continue
        if not has_commission and _others_gain_only(t, s, e):
            continue      # (session 17b) "users receive 50GB per month, for three months": the customer's gift
        one_time = _one_time_cue(t, s, e) or _first_purchase_of_a_percent(t, s, e, terms)
        false_hit = false_hit or one_time or _negated_recurrence(t, s, e)
        about_commission = has_commission or r.commission_cue.search(t, clauses[max(0, i - 1)][0], e)
        cue = _recurring_cue(t, s, e) if about_commission else None     # "we renew our terms every year"
        if cue is not None and one_time is not None and _LABEL_AFTER.match(t, cue.span[1]):
            cue = None     # "Recurring transactions: initial transaction only" answers the label with "no"
        denial = _label_cell_denied(t, s, e, cue) if cue is not None else None
        if denial is not None:
            cue, false_hit = None, false_hit or denial    # "| Renewals | First payment only |", "| Recurring | No |"
        true_hit = true_hit or cue
        life = life or _lifetime_cue(t, s, e)
        if months is None and _months_context(t, clauses, i, has_commission) and not _ARITHMETIC.search(t, s, e):
            months = _months_cap(t, s, e)
    if months is not None and r.rate_after_period.search(t) and not _caps_the_later_rate(t, months):
        true_hit, months = true_hit or months, None     # "30% for the first year, 20% thereafter": a rate period
    if months is not None and life is not None and terms.tiers and _rate_of_its_own(t, clauses, life, months):
        months = None           # (session 16) tier rows "25% (12 months)" ... "30% Lifetime": the longer alternative
    if months is not None:
        life = None             # a cap is not a lifetime
    positive = true_hit or months or life
    if positive is not None:
        terms.recurring = Found(True, positive.span)
        terms.recurring_months, terms.lifetime = months, life
    elif false_hit is not None:
        terms.recurring = false_hit


_LABEL_CELL = re.compile(r"[^\d%$€£.!?:;]{1,40}")
_NONE_CELL = re.compile(r"(?i)\s*(?:no(?:ne)?|n/?a|not (?:paid|included|eligible|applicable)|[-–—]|0\s?%)\s*\.?\s*")


def _label_cell_denied(t: str, s: int, e: int, cue: Found) -> Found | None:
    """(session 16) A row whose first cell only names recurrence ("Renewals / repeat bookings", "Recurring") answered by
    its next cell with a one-time term ("Commission applies only to the first booking") or a plain "No" / "-": the row
    says the commission does not recur."""
    bar = t.find("|", s, e)
    if bar < 0 or not cue.span[1] <= bar or not _LABEL_CELL.fullmatch(t[s:bar].strip()):
        return None
    nxt = t.find("|", bar + 1, e)
    ns, ne = bar + 1, (e if nxt < 0 else nxt)
    if _NONE_CELL.fullmatch(t, ns, ne):
        return Found(False, (ns, ne))
    return _one_time_cue(t, ns, ne)


def _rate_of_its_own(t: str, clauses, life: Found, months: Found) -> bool:
    """The lifetime and the months cap stand in different clauses, each beside a rate of its own (alternative tiers)."""
    def clause_rate(pos: int) -> tuple[int, int] | None:
        c = next((c for c in clauses if c[0] <= pos < c[1]), None)
        return c if c is not None and _RATE_IN.search(t, *c) else None
    a, b = clause_rate(life.span[0]), clause_rate(months.span[0])
    return a is not None and b is not None and a != b


def _caps_the_later_rate(t: str, months: Found) -> bool:
    """(session 15) "100% of the first payment, then 25% recurring on the next 11 monthly payments": a cap said after
    the "then N%" that starts the later rate caps that later rate; it is a cap, not the length of a first rate period."""
    hits = list(_rules().rate_after_period.finditer(t))
    return bool(hits) and all(h.end() <= months.span[0] and re.search(r"(?i)\bthen\b", h.group(0)) for h in hits)


def _months_context(t: str, clauses, i: int, has_commission: bool) -> bool:
    """A months cap is read in a clause about the commission: one with a commission word, or the answer right after
    one ("Is the commission recurring? Yes, for 12 months"), unless that answer is about a balance or a threshold
    ("balances are carried forward for a maximum of 6 months")."""
    r = _rules()
    s, e = clauses[i]
    if has_commission or r.commission_cue.search(t, s, e):
        return True
    return (i > 0 and bool(r.commission_cue.search(t, *clauses[i - 1]))
            and not r.threshold.search(t, s, e) and not r.payout_word.search(t, s, e))


_PER_PERIOD_AFTER = re.compile(r"(?i)\s*(?:/|per|a|each|every)\s*(?:[\w-]+\s*/\s*(?:per\s+)?)?(?:mo|month|year|week)\b")


def _amount_per_period(t: str, terms: Terms) -> Found | None:
    """"$2.00 per account/per month", "you get $5/month": a flat commission paid each month is a recurring one."""
    for n in terms._commission_nums:
        if n.kind == "money" and _PER_PERIOD_AFTER.match(t, n.span_end):
            return Found(True, (n.start, n.span_end))
    return None


_SHARE_OF_OTHERS = re.compile(r"(?i)\d\s*%\s*(?:of|on) (?:any |all |the |their |his |her )?(?:\w+ )?"
                              r"(?:commissions?|earnings|payouts) (?:that )?"
                              r"(?:they|those|your referrals|referred \w+|other \w+) ")


def _not_about_own_commission(t: str, s: int, e: int, terms: Terms) -> bool:
    """A clause whose durations say nothing about the affiliate's own commission: "the bonus is a 1-time bonus
    only", a sub-affiliate override, "other programs offer 10% that only last for 1 year"."""
    r = _rules()
    clause = t[s:e]
    if r.bonus.search(clause) and not r.commission_cue.search(re.sub(r"(?i)bonus\w*", "", clause)):
        return True
    if (r.override.search(clause) or _SHARE_OF_OTHERS.search(clause)) and _RATE_IN.search(clause) \
            and not _any_commission_in(terms, (s, e)):
        return True     # "an ongoing 20% of any commissions they make": the override goes on, not the commission
    return _about_other_programs(t, s, e) or _unanswered_question(t, s, e)


_YES = re.compile(r"(?i)\s*(?:A:\s*)?(?:yes|yep|absolutely|of course|sure|definitely|indeed)\b")


_RECURRENCE_ASKED = re.compile(r"(?i)\b(?:recurring|recurrent|renewals?|rebills?|lifetime|residual)\b")


def _recurrence_denied(t: str, s: int, e: int) -> Found | None:
    """A question about recurrence answered "No" ("Do you pay recurring commissions? No.", "Recurring commissions? No |
    Commission type? Pay per sale") states a one-time commission; a later recurring cue still wins."""
    if not t[s:e].rstrip().endswith("?") or not _ANSWER_NO.match(t, e):
        return None
    m = _RECURRENCE_ASKED.search(t, s, e)
    return Found(False, m.span()) if m else None


def _unanswered_question(t: str, s: int, e: int) -> bool:
    """"Why not just offer lifetime commissions?" asks, it states nothing; a question answered "Yes" right after it
    ("Will I earn recurring commissions? Yes, ...") states what it asks."""
    return t[s:e].rstrip().endswith("?") and not _YES.match(t, e)


def _one_time_cue(t: str, s: int, e: int) -> Found | None:
    r = _rules()
    for rx in r.rec_false:
        m = rx.search(t, s, e)
        if m and not r.bonus.search(t[max(s, m.start() - 20):m.end() + 20]) \
                and not _NOT_IN_FORCE_BEFORE.search(t, max(s, m.start() - 140), m.start()):
            return Found(False, (m.start(), m.end()))
    return None


def _first_purchase_of_a_percent(t: str, s: int, e: int, terms: Terms) -> Found | None:
    """"10% when the customer places their first order": a percent of a first purchase is paid once. A flat reward when
    a friend makes a first purchase only names what triggers it, so it says nothing about renewals."""
    if terms.percent_min is None and terms.percent_max is None:
        return None
    m = _vocab_rx("first_purchase_trigger").search(t, s, e)
    if m is None or _rules().bonus.search(t[max(s, m.start() - 20):m.end() + 20]):
        return None
    return Found(False, (m.start(), m.end()))


_RECURRENCE_WORD = re.compile(r"(?i)\b(?:recurring|renewals?|rebills?)\b")
_SHARE_WORD = re.compile(r"(?i)revenue[- ]?shar(?:es?|ing)")     # a model name, recurring only by convention
# a recurrence that is not the program's current term: a former one ("previously offering 15% recurring") or one the
# text leaves open ("does not define whether commission also applies to renewals")
# (session 17) a guess about the terms, not the terms: "Could include recurring commissions", "might have tiers",
# "Typically a percentage of each sale" (the "typically" form only where no rate is given)
_HEDGED_BEFORE = re.compile(r"(?i)\b(?:could|might|possibly|perhaps|potentially)\s+(?:also\s+|even\s+)?"
                            r"(?:include|have|offer|involve|be)?\s*(?:an?\s+|some\s+)?$")
_HEDGED_SHARE_BEFORE = re.compile(r"(?i)\b(?:could|might|possibly|perhaps|potentially|typically|usually|generally"
                                  r"|normally|probably|likely|often)\s+(?:be\s+|is\s+|includes?\s+|pays?\s+|offers?\s+)?$")
# (session 17b) the share as the subject of a conditional: "a percentage of top-ups would therefore be ..."
_HEDGED_SHARE_AFTER = re.compile(r"(?i)(?:\s+[\w'’-]+){1,4}?\s+(?:would|could|might)(?:\s+(?:therefore|then|also|thus))?"
                                 r"\s+(?:be|become|make|mean|give|cost|create|add)\b")
_NOT_IN_FORCE_BEFORE = re.compile(r"(?i)\b(?:previously|formerly|used to|no longer"
                                  r"|(?:defin|stat|specif|confirm|check|clear|know|sure|decid)\w* whether)\b[^.;|?]*$")


def _negated_recurrence(t: str, s: int, e: int) -> Found | None:
    """"We do not offer recurring referrals", "renewals or upgrades are not associated to the referral
    system": a negated recurrence word states a one-time commission."""
    for m in _RECURRENCE_WORD.finditer(t, s, e):
        if _negated(t, m.start()) or _NEGATED_AFTER.match(t, m.end(), min(e, m.end() + 40)):
            return Found(False, m.span())
    return None


def _recurring_cue(t: str, s: int, e: int) -> Found | None:
    r = _rules()
    clause = t[s:e]
    cookie_only = bool(r.cookie_word.search(clause)) and not r.commission_cue.search(clause)
    if cookie_only:
        return None
    one_time = [m.span() for rx in r.rec_false for m in rx.finditer(t, s, e)]
    for rx in r.rec_true:
        for m in rx.finditer(t, s, e):
            if _negated(t, m.start()) or _NEGATED_AFTER.match(t, m.end(), min(e, m.end() + 40)):
                continue     # "no recurring commission", "renewals are not commissionable
            if _NOT_IN_FORCE_BEFORE.search(t, max(s, m.start() - 140), m.start()):
                continue     # "previously offering a 15% recurring commission", "whether it applies to renewals"
            if any(a <= m.start() and m.end() <= b for a, b in one_time):
                continue     # inside a one-time phrase: "no commission for add-ons or renewals"
            if _HEDGED_BEFORE.search(t, max(s, m.start() - 40), m.start()):
                continue     # (session 17) "could include recurring commissions": a guess, not a term
            if _SHARE_WORD.fullmatch(m.group(0)) and _negated_recurrence(t, s, e) is not None:
                continue     # (session 16) "renewals are not included in the revenue share": the share is one-time
            if _duration_word_names_a_product(t, m.end(), "recurring_not_commission_after"):
                continue     # "a recurring direct deposit of payroll" is the customer's deposit
            if re.match(r"(?i)renew", m.group(0)) and (_NO_COMMISSION_ON.search(t[max(s, m.start() - 40):m.start()])
                                                      or _OWN_CONTRACT_BEFORE.search(t, max(s, m.start() - 30), m.start())
                                                      or _RENEW_YOUR_AFTER.match(t, m.end())):
                continue     # "upon your contract renewal", "renew your links" renew the affiliate's own things
            return Found(True, (m.start(), m.end()))
    return None


_COOKIE_CLAUSE = re.compile(r"(?i)\bcookies?\b")
_EARNING_WORD = re.compile(r"(?i)\b(?:earn\w*|income|payouts?|revenue|rewards?|paid|pays?)\b")


def _lifetime_cue(t: str, s: int, e: int) -> Found | None:
    r = _rules()
    if _COOKIE_CLAUSE.search(t, s, e) and not r.commission_cue.search(t, s, e) and not _EARNING_WORD.search(t, s, e):
        return None       # (session 11) "cookies are active for 60, 90 days, or forever": how long a cookie lasts
    for rx in r.lifetime:
        m = rx.search(t, s, e)
        if m and _duration_word_names_a_product(t, m.end(), "lifetime_not_duration_after"):
            m = None      # "an application for life insurance"
        if m and not re.search(r"(?i)cookie", _same_field(t, m.start(), m.end(), s, e)):
            return Found(True, (m.start(), m.end()))
    return None


def _same_field(t: str, start: int, end: int, s: int, e: int, reach: int = 15) -> str:
    """The text within `reach` characters of a match, cut at "|" field separators: in "Commission
    Term: Lifetime | Cookie Duration: 30 Days" the cookie belongs to the next field, not to the lifetime."""
    before = t[max(s, start - reach):start].rsplit("|", 1)[-1]
    after = t[end:min(e, end + reach)].split("|", 1)[0]
    return before + t[start:end] + after


_MONTHS_PER_UNIT = {"year": 12.0, "años": 12.0, "ans": 12.0, "jahr": 12.0, "day": 1 / 30.4}
_AFTER_CLICK = re.compile(r"(?i)\s*(?:after|from|of) (?:the |their |a |your )?(?:[\w-]+ )?click"
                          # (session 9) "for up to one year from when you send them": counted from the visit
                          r"|\s*(?:after|from|since) (?:when |the (?:time|moment|day|date) )?"
                          r"(?:you (?:first )?(?:send|sent|direct)|they (?:first )?(?:click|visit|land|arrive))\w*\b")
# (session 9) "only the first purchase, not over the first year": a cap said not to apply
_NEGATED_CAP_BEFORE = re.compile(r"(?i)\b(?:not|rather than|instead of)\s+(?:just |only |even )?$")


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
        if m.group(0).lower().startswith("over") and r.months_installments.search(before):
            continue     # "paid out over two months": a one-off amount in installments
        if re.match(r"\s*:", t[m.end():]):
            continue     # "First 12 months: 30% | Thereafter: 20%" labels a rate period, it caps nothing
        if _AFTER_CLICK.match(t, m.end()) or _NEGATED_CAP_BEFORE.search(before):
            continue     # "paid up to 1 year after the promotion click" is the attribution window; "not over a year"
        if _customer_window(t, s, m.start()):
            continue     # "requirements in the first two months": the customer's qualifying window
        if _SENIORITY_BEFORE.search(t, max(s, m.start() - 60), m.start()):
            continue     # (session 17) "affiliates who have been registered for over one year": how long one has been a member
        if re.match(r"(?i)\s*or (?:less|more|longer|shorter)\b", t[m.end():]):
            continue     # "if the plan is paid for 6 months or less": a plan length compared, no cap
        n = m.group("n").lower()
        if n in ("first", "initial", "1st", "following", "next"):      # "the first year", "the following year"
            return Found(12, (m.start(), m.end()))
        val = _WORD_NUMBERS.get(n) or int(n)
        unit = re.search(r"(?i)(month|year|day|años|ans\b|jahr)", m.group(0)[m.end("n") - m.start():])
        unit = unit or re.search(r"(?i)(month|year|day)", m.group(0))    # (session 13) "year 1 revenue": unit first
        per_unit = _MONTHS_PER_UNIT.get(unit.group(1).lower(), 1.0) if unit else 1.0
        months = round(val * per_unit)
        return Found(int(months), (m.start(), m.end())) if months > 1 else None
    return None


@functools.lru_cache(maxsize=64)
def _vocab_rx(key: str) -> re.Pattern:
    return re.compile(vocabulary()[key], re.I)


def _customer_window(t: str, s: int, start: int) -> bool:
    """"meets account activity requirements in the first two months", "the average invested balance over a 3-month
    period": a window in which the referred customer must act, not how long the commission is paid."""
    return bool(_vocab_rx("months_customer_window_before").search(t, max(s, start - 60), start)
                or (_vocab_rx("months_stay_condition_before").search(t, max(s, start - 60), start)
                    and not _CAP_WORDS_AFTER.match(t, start)))


# (session 17) how long someone has been with the program, not how long a commission is paid: "affiliates who have
# been registered for over one year", "partners registered for more than 12 months", "once you have been a member for"
_SENIORITY = (r"(?i)(?:\b(?:have|has|had|having)\s+been\s+(?:registered|active|partnered|enrolled"
              r"|an?\s+(?:affiliate|partner|member|publisher|ambassador)|with\s+us|in\s+the\s+program(?:me)?)"
              r"|\b(?:affiliates?|partners?|publishers?|members?|ambassadors?|you)\s+(?:who\s+(?:are|were)\s+)?"
              r"(?:registered|enrolled|signed\s+up))(?:\s+with\s+us)?\s+(?:for\s+)?")
_SENIORITY_BEFORE = re.compile(_SENIORITY + "$")
# ... with its length, which is no rate band either ("over one year" beside "2%" is no tier)
_SENIORITY_SPAN = re.compile(_SENIORITY + r"(?:over|more\s+than|at\s+least|longer\s+than)?\s*[\w-]+\s+(?:months?|years?)\b")
_CAP_WORDS_AFTER = re.compile(r"(?i)(?:for\s+)?(?:up\s+to|a\s+maximum\s+of|max(?:imum)?\.?)\s")


def _duration_word_names_a_product(t: str, end: int, key: str) -> bool:
    """"for life insurance", "recurring direct deposit": the word after a lifetime / recurring cue names a product
    or the customer's own deposits."""
    return bool(_vocab_rx(key).match(t, end))


# --- payout type ----------------------------------------------------------------------------

def _payout_type(t: str, clauses, terms: Terms) -> None:
    r = _rules()
    explicit: Found | None = None
    for kind, rx in r.type_words.items():
        for m in rx.finditer(t):
            clause = next(((cs, ce) for cs, ce in clauses if cs <= m.start() < ce), (0, len(t)))
            framed = _TYPE_FRAME.match(t, m.end()) or _TYPE_LABEL_BEFORE.search(t, max(0, m.start() - 40), m.start())
            if not (framed or r.commission_cue.search(t, *clause) or _any_commission_in(terms, clause)):
                continue   # "run Pay Per Click campaigns" names a channel, not how the program pays
            if _type_word_skipped(t, kind, m, clause, terms):
                continue
            earlier = explicit is not None and explicit.value is not PayoutType.REVSHARE and m.start() < explicit.span[0]
            if explicit is None or kind is PayoutType.REVSHARE or earlier:
                explicit = Found(kind, (m.start(), m.end()))   # "CPA $25 + 10% RevShare" is a revenue-share deal
            break
    recurring_rate = (terms.recurring is not None and terms.recurring.value
                      and any(n.kind == "pct" for n in terms._commission_nums))
    if explicit is not None and explicit.value not in (PayoutType.REVSHARE, PayoutType.CPS) and recurring_rate \
            and terms.model is not None:
        explicit = Found(PayoutType.REVSHARE, terms.model.span)   # (session 16) "30% recurring | $200 bounty": two
        #                                                           models, the recurring share wins ("pay per sale" stays)
    if explicit is not None and explicit.value is PayoutType.REVSHARE and terms.recurring is not None \
            and terms.recurring.value is False:
        explicit = None     # (session 16) a revenue share paid on the first payment only is no revenue-share type
    if explicit is not None:
        terms.payout_type = explicit
        return
    if terms.model is None:
        return
    nums: list[_Num] = terms._commission_nums
    pct = [n for n in nums if n.kind == "pct"]
    flat = [n for n in nums if n.kind == "money"]
    span = terms.model.span
    pct_model = bool(pct) or terms.model.value in (CommissionModel.PERCENT, CommissionModel.HYBRID)
    if pct_model and terms.recurring is not None and terms.recurring.value:
        terms.payout_type = Found(PayoutType.REVSHARE, span)
        return
    if flat and terms.payout_type is None:     # a unit another language names was read first (terms_lang)
        unit_kind = _unit_type(t, flat[0])
        if unit_kind is not None:
            terms.payout_type = Found(unit_kind, span)
            return
    if pct_model:
        terms.payout_type = Found(PayoutType.CPS, span)   # a flat amount with no unit says nothing about the type


_TYPE_FRAME = re.compile(r"(?i)\s*(?:\([^)]{0,40}\)\s*)?(?:basis|model|deals?|program(?:me)?s?|offers?|campaigns? pay"
                         r"|for (?:each|every))\b")     # "Pay-Per-Sale for each transaction
# "Payment model: Pay Per Click", "Commission type | CPA": a field that names how the program pays
_TYPE_LABEL_BEFORE = re.compile(r"(?i)\b(?:(?:payment|payout|commission|pricing|compensation|offer|deal|billing|conversion"
                                r"|campaign|reward) )?(?:model|type|structure|basis)\s*[:|-]\s*$"
                                # "This program pays per lead", "we only pay per sale"
                                r"|\b(?:we|program(?:me)?|it|offer|partners?|affiliates?|publishers?) (?:only )?(?:pays?|are paid"
                                r"|get paid)\s+$")


# "pay-per-click or Google Ads advertising", "pay per click (PPC) campaigns", "in any pay-per-click search engine":
# the name of an advertising channel (mostly in a rule about it), not how the program pays
_AD_CHANNEL_AFTER = re.compile(r"(?i)\s*(?:\([^)]{0,12}\)\s*)?(?:(?:or|and|/|&)\s*[\w-]+(?:\s+[\w-]+)?\s+)?"
                               r"(?:advertis\w*|ads|adverts?|search(?: engines?)?|engines?|traffic|networks?"
                               r"|bidding|marketing|listings?|platforms?|keywords?|services?|management)\b")
_AD_CHANNEL_BEFORE = re.compile(r"(?i)\b(?:any|via|through|using|use|run(?:ning)?|buy(?:ing)?|paid|purchas\w+|in|on|from)"
                                r"(?: (?:any|a|an|the|their|your|other))?\s+$")


def _ad_channel(t: str, m: re.Match) -> bool:
    """"Pay per click" followed by an advertising noun or led by a verb of buying ads names where ads run."""
    return bool(_AD_CHANNEL_AFTER.match(t, m.end()) or _AD_CHANNEL_BEFORE.search(t, max(0, m.start() - 20), m.start()))


# What an advertiser spends, not how the program pays: "lower their cost per acquisition", "a target CPA",
# "Average CPC in this niche", "Advertisers pay on a CPM basis"
_BUYER_METRIC_BEFORE = re.compile(r"(?i)\b(?:lower(?:s|ing)?|reduc(?:e|es|ed|ing)|cut(?:s|ting)?|target|average|avg\.?"
                                  r"|effective|blended|max(?:imum)?|bid|(?:your|their|its) (?=cost))"
                                  r"\s+(?:(?:their|your|its|the)\s+)?$")
_BUYER_SUBJECT_BEFORE = re.compile(r"(?i)\b(?:advertisers?|brands?|merchants?)\s+(?:\w+\s+){0,2}?"
                                   r"(?:pay|pays|buy|buys|set|sets|bid|bids|choose|chooses|purchase|purchases)\b[^.;|]{0,40}$")


# an item of a list a negation heads: "We do not: - add fees - take a revenue share" (session 8)
_NEGATED_LIST_BEFORE = re.compile(r"(?i)\b(?:does not|do not|doesn'?t|don'?t|will not|won'?t|never|not)(?:\s+\w+)?\s*:[^.!?:]*$")


def _type_word_skipped(t: str, kind: PayoutType, m: re.Match, clause: tuple[int, int], terms: Terms) -> bool:
    """A model word that does not say how this program pays: negated ("no CPC"), an ad channel ("pay-per-click
    advertising"), an advertiser's cost ("lower your cost per acquisition"), or one item of a menu of models
    ("we support CPA, CPL, CPS and RevShare offers") with no rate beside it."""
    if _negated(t, m.start()) or _NO_COMMISSION_FOR.search(t[max(0, m.start() - 40):m.start()]) \
            or _NEGATED_LIST_BEFORE.search(t, max(0, m.start() - 150), m.start()):
        return True
    if re.fullmatch(r"(?i)ppc", m.group(0)) or (kind is PayoutType.CPC and _ad_channel(t, m)):
        return True
    if _BUYER_METRIC_BEFORE.search(t, max(clause[0], m.start() - 40), m.start()) \
            or _BUYER_SUBJECT_BEFORE.search(t, max(clause[0], m.start() - 80), m.start()):
        return True
    return _model_menu(t, clause, terms)


def _model_menu(t: str, clause: tuple[int, int], terms: Terms) -> bool:
    """Three or more models named in one clause with no commission figure: the menu of a network or a deal to be
    negotiated, not this program's type."""
    named = {k for k, rx in _rules().type_words.items() if rx.search(t, *clause)}
    return len(named) >= 3 and not _any_commission_in(terms, clause)


def _any_commission_in(terms: Terms, clause: tuple[int, int]) -> bool:
    return any(clause[0] <= n.start < clause[1] for n in terms._commission_nums)


_UNIT_PHRASE = re.compile(r"(?i)(?:per|for (?:every|each)|each(?!\s+time\b)|refers? (?:a|an)|creates? an?"
                          r"|for (?:the|a|an)(?=\s+(?:purchase|sale|order|lead|sign-?up)s?\b)"     # "$20 for the purchase"
                          # (session 15) "up to $100 for the first sale": the unit is the sale, however many follow
                          r"|for (?:the|a|an|your|their|each|every) (?:first|1st|initial|next)"
                          r"(?=\s+(?:purchase|sale|order|lead|sign-?up)s?\b)"
                          r"|(?<!for )every(?!\s+(?:time|month|year|week|day|quarter)\b)"
                          r"|f(?:ü|ue)r jede[nrs]?|pro)\s+"
                          r"(?:new |qualified |valid |paid |unique |active |neue[nrs]? |kostenlose[nrs]? )*"
                          r"([\w-]+(?: [\w-]+){0,3})")
_NO_COMMISSION_FOR = re.compile(r"(?i)\bno commission (?:for|on)\b[^.]{0,30}$")


_UNIT_LABEL_BEFORE = re.compile(r"(?i)(?:^|[|;•]\s*|[.!?]\s+)([\w-]+) (?:commission|payout|bounty|reward)s?\s*[:|]\s*$")
_RELATIVE_CLAUSE = re.compile(r"(?i)\s+(?:that|which|whose)\b")
# "each friend who installs solar": the unit is the friend, unless the person's act is itself a unit of a lead or an
# app ("each customer who registers", "every user who installs the app")
_WHO_CLAUSE = re.compile(r"(?i)\s+(?:who|whom)\b")
_APP_WORD = re.compile(r"(?i)\b(?:apps?|application|software|extension|game)\b")
_PERIOD_THEN_UNIT = re.compile(r"(?i)^(?:month|mo|year|week|day)s?,? (?:for (?:every|each)|per|each)"
                               r" (?:new |active |qualified |paid )*")


def _unit_type(t: str, n: _Num) -> PayoutType | None:
    """Type of "per <unit>" after a flat amount, or of the unit named in its clause."""
    r = _rules()
    phrases, referred = _unit_phrases(t, n)
    label = _UNIT_LABEL_BEFORE.search(t, max(0, n.start - 40), n.start)
    if label is not None:
        phrases.append(label.group(1))      # "Lead commission: $1.50", "Sale payout | €4": the label names the unit
    if not phrases:
        cond = _condition_type(t, n)      # "refer a friend and get $25 when they make a purchase": the friend's act
        if cond is not None or not referred:
            return cond
        phrases = referred
    for phrase in phrases:
        words = re.sub(r"^account\b", "sign-up", phrase.lower()) if re.search(r"(?i)creates? an? account", t) else phrase.lower()
        words = _PERIOD_THEN_UNIT.sub("", words)      # "per month for each active subscriber": the unit is the subscriber
        words = _RELATIVE_CLAUSE.split(words, maxsplit=1)[0]     # "each salon that books ...": the unit is the salon
        words = _person_unit(words, t)
        if re.match(r"(?i)(?:month|mo|year|week|day)\b", words):
            continue
        for kind, rx in r.unit_types:
            if rx.search(words):
                return kind
        return PayoutType.CPA
    return None


def _person_unit(words: str, t: str) -> str:
    """"friend who installs solar panels" -> "friend"; "customer who registers" and "user who installs the app" keep
    the act that is a lead or an app install."""
    head = _WHO_CLAUSE.split(words, maxsplit=1)[0]
    if head == words:
        return words
    act = words[len(head):]
    for kind, rx in _rules().unit_types:
        if rx.search(act) and (kind is PayoutType.CPL or (kind is PayoutType.CPI and _APP_WORD.search(t))):
            return words
    return head


def _unit_phrases(t: str, n: _Num) -> tuple[list[str], list[str]]:
    """The units named for an amount ("per lead", "for each sale" after it or in its sentence), and apart from them the
    party of a bare "refer a <party>", which yields to what that party must do."""
    m = _rules().unit_after.match(t, n.span_end)
    phrases = [m.group(1)] if m else []
    referred: list[str] = []
    seg_end = t.find(".", n.span_end)
    line_start = max(t.rfind(".", 0, n.start), 0)
    for seg in (t[n.span_end: seg_end if seg_end > 0 else len(t)], t[line_start:n.start]):
        for mm in _UNIT_PHRASE.finditer(seg):
            (referred if mm.group(0).lower().startswith("refer") else phrases).append(mm.group(1))
    return phrases, referred


_REFERRAL_CONDITION = re.compile(
    r"(?i)\b(?:if|when|whenever|once|after|(?:each|every) time)\s+(?:an? |the |your |each )?(?:referral|referred [\w-]+"
    r"|friends?|invitees?|they|(?:[\w-]+ )?(?:organi[sz]ation|company|business|customer|client|user|person) you refer(?:red)?"
    r"|someone|somebody|(?:new )?(?:customer|client|buyer|shopper|famil(?:y|ie)|household|colleague|person|member|visitor)s?"
    r"|you (?:refer|invite) (?:an? |someone |somebody )?(?:[\w-]+ )?)"
    r"\b(?P<act>[^.;!?]{0,80})")


def _condition_type(t: str, n: _Num) -> PayoutType | None:
    """A flat reward paid when the referred party does something ("if your referral starts a trial, you
    receive $10", "$20 credit after they upgrade to a paid plan") is paid per that action: a lead, trial or
    sign-up is CPL, a sale or purchase CPS, anything else CPA. The condition must share the amount's sentence."""
    start = max(t.rfind(".", 0, n.start), 0)
    end = t.find(".", n.span_end)
    m = _REFERRAL_CONDITION.search(t[start:end if end > 0 else len(t)])
    if m is None:
        return PayoutType.CPA if _named_per_referral(t, n) or _paid_for_referring(t[start:end if end > 0 else len(t)]) \
            else None
    act = _qualifying_act(_REFERRAL_CLICK.sub(" ", m.group("act")))     # clicking the link starts every referral
    for kind, rx in _rules().unit_types:
        if rx.search(act):
            return kind
    return PayoutType.CPA


# (session 13) what a reward is for, said as the referral itself: "earn $20 in rewards for referring friends", "$1000 to the
# referring homeowner for customer referrals", "$75.00 for each qualified referral"
# ("as our thanks for your referral", one referral thanked with a bonus, names no unit)
_FOR_REFERRING = re.compile(r"(?i)\bfor (?:(?:each|every|any|successful|qualified|valid) ){1,2}(?:[\w-]+ )?referrals?\b"
                            r"|\bfor (?:(?:your|all|the|successful|qualified|valid) ){0,2}(?:[\w-]+ )?referrals\b"
                            r"|\bfor referring (?:(?:your|a|an|new|other) )?(?:friends?|famil(?:y|ies)|customers?|clients?|people"
                            r"|colleagues?|members?|users?)\b"
                            # (session 17b) "for successfully referring a new Acme customer": an adverb, two determiners, a name
                            r"|\bfor (?:successfully |each time )?referring (?:(?:your|a|an|new|other) ){0,2}[\w-]+ "
                            r"(?:customers?|clients?|users?|members?|business(?:es)?|merchants?|restaurants?)\b")


def _paid_for_referring(sentence: str) -> bool:
    """A flat reward whose sentence says it is for the referral and names no act that would make it a sale, lead or
    install: "anything else" of the payout-type convention's rule 3 (CPA)."""
    if not _FOR_REFERRING.search(sentence):
        return False
    return not any(rx.search(sentence) for _kind, rx in _rules().unit_types)


def _qualifying_act(act: str) -> str:
    """"registers an account and makes their first transfer of $50": the reward waits for the last act the condition
    chains to the sign-up, so that act (a transfer: CPA; "and places an order": CPS) is the unit, not the sign-up."""
    further = _vocab_rx("condition_further_act").search(act)
    return act[further.start():] if further else act


_REFERRAL_CLICK = re.compile(r"(?i)\bclicks? (?:on |through )?(?:your|the|a|an|their|my) (?:[\w-]+ )?"
                             r"(?:link|banner|badge|button|ad)s?\b")


_REFERRAL_FEE_AFTER = re.compile(r"(?i)\s*(?:[A-Z]{3}\s+)?(?:(?:one[- ]time|flat|fixed|cash)\s+)?"
                                 r"referral (?:fee|bonus|reward|payment)s?\b")
_REFERRAL_FEE_BEFORE = re.compile(r"(?i)\breferral (?:fee|bonus|reward|payment)s?\s*(?:of|is|:|-)?\s*(?:up to\s*)?$")


def _named_per_referral(t: str, n: _Num) -> bool:
    """"$50 One Time Referral Fee", "a Referral Bonus of $50": an amount named a referral fee is paid per referral,
    "anything else" of the payout-type convention (CPA)."""
    return bool(_REFERRAL_FEE_AFTER.match(t, n.span_end) or _REFERRAL_FEE_BEFORE.search(t, max(0, n.start - 40), n.start))


# --- cookie ---------------------------------------------------------------------------------

_WITHIN_CLICK = re.compile(r"(?i)within\s+(?:the\s+)?(?:previous|last|past|first)?\s*$")
_WITHIN_PREVIOUS = re.compile(r"(?i)within\s+(?:the\s+)?(?:previous|last|past)\s*$")
_ATTRIB_OBJECT = re.compile(r"(?i)^\s*(?:of|after|from|following)\s+(?:(?:the|their|your|his|her|a|an|initial|first)\s+)*"
                            r"(?:click|click-through|clicking|referral|visit|arrival|link)")
_LINK_OR_CLICK = re.compile(r"(?i)\b(?:your|affiliate|referral|tracking|those|these|unique|custom|personal)\s+links?\b"
                            r"|\bclick")
# "once every 2 weeks", "each 30 days": a repeating interval is a schedule, never a window
_EVERY_BEFORE = re.compile(r"(?i)\b(?:every|each)\s+$")
# "even if they don't buy at once, but return within 5 days and buy": the time to come back and buy
_RETURN_WITHIN = re.compile(r"(?i)\b(?:return|returns|come back|comes back)\s+(?:with)?in\s+(?:the\s+next\s+)?$")
_LIFETIME_COOKIE = re.compile(r"(?i)\b(?:lifetime|permanent|never expir\w*|unlimited)\b[^.]{0,20}\bcookies?\b"
                              r"|\bcookies?\b[^.]{0,25}\b(?:never expire\w*|lifetime|unlimited|permanent)\b")
_LIFETIME_WORD = re.compile(r"(?i)\b(?:lifetime|forever|unlimited|never expires?|permanent)\b")
_SESSION_COOKIE = re.compile(r"(?i)\bsession cookies?\b")
_SESSION_FIELD = re.compile(r"(?i)\bsession\b|\bno cookie\b|\bbrowser close")
# "Cookie Duration: Session", "Cookie life | session": a cookie label whose value is the browser session (0 days)
_SESSION_LABEL = re.compile(r"(?i)\bcookies?(?:[\s-]+(?:duration|length|life(?:time|span)?|period|window))?"
                            r"\s*(?:[:|=–]|\s-)\s*(?:browser )?session\b")


def _cookie(t: str, clauses, terms: Terms, context) -> None:
    """The attribution window: the duration nearest a cookie / tracking / attribution cue; a field
    value (`context="cookie"`) is a cookie by its label."""
    best: tuple[float, float, int, int] | None = None     # (distance, days, start, end)
    for i, (s, e) in enumerate(clauses):
        _cookie_words_without_numbers(t, s, e, terms, context)
        if context == "cookie" and _cookie_field(t, s, e, terms):
            return
        for cand in _cookie_candidates(t, clauses, i, context):
            if _caps_the_commission(t, terms, cand[2], cand[3]):
                continue
            if best is None or cand[0] < best[0]:
                best = cand
    if best is not None:
        terms.cookie_days = Found(best[1], (best[2], best[3]))
    elif terms.cookie_days is None:
        terms.cookie_days = _cookie_label_number(t) or _cookie_label_duration(t)


def _whole_words(t: str, a: int, b: int, s: int, e: int) -> str:
    """The text from a to b widened (inside s..e) to whole words: a window cut mid-word would read "ibution period"
    for "attribution period" and "ithdrawable" for "withdrawable", losing the cue or the veto that word carries."""
    while a > s and t[a - 1].isalnum() and t[a].isalnum():
        a -= 1
    while b < e and t[b - 1].isalnum() and t[b].isalnum():
        b += 1
    return t[a:b]


def _caps_the_commission(t: str, terms: Terms, ds: int, de: int) -> bool:
    """A duration already read as the recurring commission's cap ("20% recurring for 12 months", "commission on each
    subscription attributed to you within the first 12 months of billing") is not the attribution window, unless a
    cookie word stands right beside it."""
    cap = terms.recurring_months
    if cap is None or cap.span[1] <= ds or de <= cap.span[0]:
        return False
    return not _rules().cookie_word.search(t, max(0, ds - 20), min(len(t), de + 12))


# A cookie label whose value is a bare number, the unit in the label or implied ("Cookie Duration (days) | 30",
# "Cookie length: 45", "Attribution window (days): 14"); a number with a unit, a percent or a decimal is not this
_COOKIE_LABEL_NUMBER = re.compile(r"(?i)\b(?:cookies?(?:[\s-]+(?:duration|length|life(?:time|span)?|period|window|days?))?"
                                  r"|(?:tracking|attribution|referral)[\s-]+(?:duration|period|window|days?)|return days)"
                                  r"\s*(?:\((?:in\s+)?days?\))?\s*[:|=–-]?\s*(\d{1,4})(?=\s*(?:$|[|;,\n]|\.(?!\d)))")


# (session 17) a cookie label whose value is a duration in another language's unit, in an English text ("- Cookie: 30 gün",
# "Cookie duration: 60 Tage"): the label makes it the window whatever the language of the unit
_COOKIE_LABEL_BEFORE_VALUE = re.compile(r"(?i)\bcookies?(?:[\s-]+(?:duration|length|life(?:time|span)?|period|window|s[üu]resi))?"
                                        r"\s*[:|=–-]\s*(?=\d)")


def _cookie_label_duration(t: str) -> Found | None:
    from matrix.normalize.terms_lang import durations

    for m in _COOKIE_LABEL_BEFORE_VALUE.finditer(t):
        for days, ds, de in durations(t, m.end(), min(len(t), m.end() + 24)):
            if ds == m.end() and 0 < days <= MAX_COOKIE_DAYS:
                return Found(days, (ds, de))
    return None


def _cookie_label_number(t: str) -> Found | None:
    m = _COOKIE_LABEL_NUMBER.search(t)
    if m is None or not 0 < float(m.group(1)) <= MAX_COOKIE_DAYS:
        return None
    return Found(float(m.group(1)), m.span(1))


def _cookie_words_without_numbers(t: str, s: int, e: int, terms: Terms, context) -> None:
    clause = t[s:e]
    m = _SESSION_COOKIE.search(clause) or _SESSION_LABEL.search(t, max(0, s - 40), e)
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


def _referred_converts_within(t: str, s: int, ds: int) -> bool:
    """(session 15) "any referred user who converts within 30 days", "referred customers that subscribe within 60 days":
    the time a referred person has to convert and still count for the referrer is the attribution window."""
    return bool(_referred_converts_rx().search(t, s, ds))


@functools.lru_cache(maxsize=1)
def _referred_converts_rx() -> re.Pattern[str]:
    """`_referred_converts_within`'s pattern, built once from the vocabulary's conversion verbs."""
    return re.compile(r"(?i)\b(?:referred|invited)\s+(?:[\w-]+\s+)?(?:users?|customers?|visitors?|friends?|persons?"
                      r"|people|buyers?|shoppers?|leads?|clients?)\s+(?:who|that)\s+(?:then\s+|later\s+)?"
                      + _rules().conversion_verb.pattern + r"\s+(?:\w+\s+)?within\s+(?:the\s+(?:first\s+|next\s+)?)?$")


# (session 15) "90-day window, commission released after ...": a bare "N-day window" standing as an item of a program
# summary (a clause or list item of its own) is the attribution window; "a 30-day window to claim" is not bare
_BARE_WINDOW_ITEM = re.compile(r"(?i)(?:^|[.;,|•:(–—]|\s-)\s*(?:an?\s+|the\s+)?\d{1,3}[- ]days?[- ](?P<w>window)\s*(?=[,.;|)]|$)")


def _bare_window_items(t: str, s: int, e: int) -> list[tuple[int, int]]:
    if not _rules().commission_cue.search(t):
        return []
    return [(s + m.start("w"), s + m.end("w")) for m in _BARE_WINDOW_ITEM.finditer(t[s:e])]


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
    if i > 0 and _DURATION.match(t, s) and _ends_with_cookie_label(t, *clauses[i - 1]):
        keywords.append((s, s))     # "… Affiliate Cookie Duration | 30 days": the label closed the clause before
    if _bare_duration_cell(t, clauses, i):
        keywords.append((s, s))
    keywords += _window_cells_after_rate(t, s, e) + _bare_window_items(t, s, e)
    if _attribution_condition(t, clauses, i):
        keywords.append((s, s))
    if context == "cookie":
        keywords.append((s, s))
    return keywords


_RATE_CELL_BEFORE = re.compile(r"\d\s*%\s*\|?\s*$")

# (session 16) a list of the conditions under which a sale is attributed: "A booking is attributed to you when: 1. ...
# 2. The booking is confirmed within 90 days of the first inquiry"
_ATTRIBUTED_WHEN = re.compile(r"(?i)\b(?:attribut\w*|credited|tracked)\b[^.;|]{0,60}?\b(?:when|if|provided(?: that)?)\s*:")
_WITHIN_IN_CLAUSE = re.compile(r"(?i)\bwithin\b")


def _attribution_condition(t: str, clauses, i: int) -> bool:
    """A clause with "within" among the items (up to three before it) that follow "attributed ... when:": its
    deadline is the attribution window."""
    s, e = clauses[i]
    if i == 0 or not _WITHIN_IN_CLAUSE.search(t, s, e):
        return False
    return any(_ATTRIBUTED_WHEN.search(t, *clauses[j]) for j in range(max(0, i - 3), i))


def _window_cells_after_rate(t: str, s: int, e: int) -> list[tuple[int, int]]:
    """"Peak Chocolate Up to 32% 90 days Health": in a comparison-table row the cell right after the rate is the
    cookie length; each such duration is its own cue. (session 13) The same holds after a money reward cell when the
    duration is a whole cell of a pipe-delimited row ("| CIT Bank | CJ | $50-$85 per funded account | 30 days |")."""
    out = []
    for _, ds, de in _durations(t, s, e):
        if _RANGE_LEAD_AFTER.match(t, de):
            continue      # "12hr-30 day": the lower end of a range cell; the longest window is the cookie
        lead = _RANGE_LEAD_BEFORE.search(t, max(s, ds - 12), ds)
        # a range cell may open its own clause ("| 2-8% | 14-30 day |"): its rate cell is then read across the border
        cell, floor = (lead.start(), 0) if lead else (ds, s)
        if (_RATE_CELL_BEFORE.search(t, max(floor, cell - 12), cell)
                and _vocab_rx("window_cell_after_rate").match(t, cell - 1)) \
                or _duration_cell_after_reward_cell(t, ds):
            out.append((ds, ds))
    return out


# (session 14) a cookie cell holding a range: the lower end before the upper duration, and after the lower duration
_RANGE_LEAD_BEFORE = re.compile(r"(?i)(?<![\w.])\d{1,3}\s*(?:h|hrs?|hours?|d|days?)?\s*[-–]\s*$")
_RANGE_LEAD_AFTER = re.compile(r"\s*[-–]\s*\d")


_WHOLE_DURATION_CELL = re.compile(r"\d{1,3}\s*-?\s*(?:days?|hours?)\s*(?:\||$)", re.I)
# (session 13) beyond the shared price units ("$29/month"): a per-seat or per-night price in a pricing table
_PRICE_CELL_UNIT = re.compile(r"(?i)\s*(?:/|per |a |an |each )\s*(?:users?|nights?)\b")


def _duration_cell_after_reward_cell(t: str, ds: int) -> bool:
    """(session 13) A cell holding only a duration, right after a cell with a money amount, in a pipe-delimited row of a
    program directory: the column after the reward is the cookie length, as after a rate (`_window_cells_after_rate`).
    Both cell borders are required, so running text ("$29/month, 14 days trial") is not read this way; the amount is
    read by `_numbers` (every currency it knows), and a price (the shared `price_units`: "$29/month", "€99 a year";
    or per user / night) is no reward, so a pricing table's trial length is no cookie."""
    end = t.rfind("|", 0, ds)
    lead = t[end + 1:ds]      # (session 14) a range cell ("| 7–30 days |") is read at its upper end
    if end < 0 or (lead.strip() and not _RANGE_LEAD_BEFORE.fullmatch(lead.lstrip())) or not _WHOLE_DURATION_CELL.match(t, ds):
        return False
    begin = t.rfind("|", 0, end)
    if begin < 0:
        return False
    cell = t[begin + 1:end]
    money = [n for n in _numbers(cell) if n.kind == "money"]
    price = _rules().price_unit_after
    return bool(money) and not any(price.match(cell, n.span_end) or _PRICE_CELL_UNIT.match(cell, n.span_end)
                                   for n in money)


def _ends_with_cookie_label(t: str, s: int, e: int) -> bool:
    """A clause ending in a cookie label ("... Affiliate Cookie Duration"), at most two words after the cue."""
    last = max((m.end() for m in _rules().cookie_word.finditer(t, max(s, e - 40), e)), default=None)
    return last is not None and bool(re.fullmatch(r"(?:[\s-]+[A-Za-z]+){0,2}\s*[:|]?\s*", t[last:e]))


_COMMISSION_CELL = re.compile(r"(?i)\d\s*%|\bcommission")


# a table's column of how long a commission is paid: "| Tier | Commission Rate | Duration |", "| Payout period |"
_DURATION_COLUMN = re.compile(r"(?i)(?:^|\|)\s*(?:commission |payout |reward |recurring |rate )?"
                              r"(?:duration|period|term)\s*(?=\||$)")


def _bare_duration_cell(t: str, clauses, i: int) -> bool:
    """A directory card "40% commission | 30 days | PayPal": a cell holding only a duration, beside a commission
    cell, is the cookie length (a hold or a payout delay always carries its own label)."""
    s, e = clauses[i]
    if not _DURATION.fullmatch(t, s, e) or not ("|" in t[max(0, s - 3):s] or "|" in t[e:e + 3]):
        return False
    if _DURATION_COLUMN.search(t) and not re.search(r"(?i)cookie", t):
        return False      # "| Commission Rate | Duration | ... | 20% | 12 months |": how long the rate is paid
    near = t[clauses[max(0, i - 2)][0]:clauses[min(len(clauses) - 1, i + 2)][1]]
    return bool(_COMMISSION_CELL.search(near))


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
        near = _whole_words(t, max(s, ds - 18), min(e, de + 14), s, e)
        if (r.cookie_veto.search(near) and not r.cookie_word.search(near)) or _EVERY_BEFORE.search(t, max(s, ds - 8), ds):
            continue      # a hold, a refund window, a trial, a payout schedule
        before, after = t[max(s, ds - 30):ds], t[de:min(e, de + 40)]
        attributive = bool((_WITHIN_CLICK.search(before) and (_ATTRIB_OBJECT.match(after) or _LINK_OR_CLICK.search(t, s, e)))
                           or (_LINK_OR_CLICK.search(t, s, e) and _time_to_convert(t, before, de))
                           or _come_back_to_buy(t, before, de) or _buys_later(t, s, before, ds, after))
        referred = bool(_WITHIN_PREVIOUS.search(before) and re.search(r"(?i)\breferred\b", t[s:ds])) \
            or _conversion_deadline(t, clauses, i, ds) or _purchase_window(t, clauses, i, ds) \
            or _referred_converts_within(t, s, ds)
        if (_NOT_A_WINDOW_AFTER.match(after) or _vocab_rx("cookie_signup_window_after").match(t[de:e])) \
                and not _UP_TO_BEFORE.search(before):
            continue      # "a year later" (not "up to 90 days later"), "within 30 days from when they created their account"
        dist = min((_gap_cost(t, ke, ds) if ke <= ds else _gap_cost(t, de, ks) for ks, ke in keywords), default=None)
        if dist is None and not (attributive or referred):
            continue
        # "changed from 60 days to 600 days": the later value is the one in force
        changed = idx + 1 < len(durs) and re.fullmatch(r"(?i)\s*to\s*", t[de:durs[idx + 1][1]])
        stale = re.search(r"(?i)instead of (?:the )?(?:previous|old)?\s*$", before)
        if (changed and re.search(r"(?i)from\s*$", t[max(s, ds - 6):ds])) or stale:
            continue
        # a window read from its wording alone yields to a duration next to a cookie cue ("a 60-day cookie")
        out.append((max(dist, 0) if dist is not None else _WORDING_ONLY_COST, days, ds, de))
    return out


# the cost of a window read from its wording alone ("a purchase within 14 days of using your link"): a duration up to
# this far from a cookie cue ("a cookie will track their use of the site for 30 days") wins over it
_WORDING_ONLY_COST = 45
_NOT_A_WINDOW_AFTER = re.compile(r"(?i)\s*(?:later|ago|earlier)\b|\s*(?:from|after|of) (?:when |the (?:date|time|day) )?"
                                 r"(?:\w+ ){0,3}(?:creat\w+|regist\w+|sign(?:s|ed)?[- ]?up|join\w*|open\w*) "
                                 r"(?:(?:a|an|the|their|his|her|your) )?(?:\w+ )?(?:account|registration)")
_UP_TO_BEFORE = re.compile(r"(?i)\bup to\s*$")
_VISIT_CONTEXT = re.compile(r"(?i)\b(?:links?|url|click\w*|visit\w*|directs?|cookies?|track\w*)\b")
_WITHIN_WINDOW = re.compile(r"(?i)\b(?:with)?in\s+(?:the\s+next\s+|an?\s+)?$")


def _purchase_window(t: str, clauses, i: int, ds: int) -> bool:
    """"After visiting through my links, anything you purchase within 30 days", "If the viewer clicks the link ...
    If the viewer purchases within 90 days": a purchase deadline after a visit through the link is the window."""
    s, _ = clauses[i]
    if not _WITHIN_WINDOW.search(t, max(s, ds - 12), ds) or not _rules().conversion_verb.search(t, max(s, ds - 45), ds):
        return False
    return bool(_VISIT_CONTEXT.search(t, clauses[max(0, i - 2)][0], ds))


_NEXT_BEFORE = re.compile(r"(?i)\b(?:over|within|in|during) (?:the )?(?:next|following)\s*$")


def _time_to_convert(t: str, before: str, de: int) -> bool:
    """After a click: "they will have 90 days to sign up", "on all purchases over the next 48 hours"."""
    r = _rules()
    to_convert = re.match(r"(?i)\s*(?:(?:from|after)\s+(?:the|that|this|their|your|a)\s+(?:first\s+)?(?:click|visit)\s+)?"
                          rf"(?:to|in which to) (?:\w+ (?:a |an )?)?{r.conversion_verb.pattern}", t[de:de + 60])
    return bool(_NEXT_BEFORE.search(before) or to_convert)


def _buys_later(t: str, s: int, before: str, ds: int, after: str) -> bool:
    """"If the customer comes back and orders up to 60 days later": how much later a referred visitor may still
    buy is the window (a refund "accepted up to 30 days later" names no purchase)."""
    return bool(_UP_TO_BEFORE.search(before) and re.match(r"(?i)\s*later\b", after)
                and _rules().conversion_verb.search(t, s, ds))


def _come_back_to_buy(t: str, before: str, de: int) -> bool:
    """"but return within 5 days and buy something": the time a visitor has to come back and buy."""
    return bool(_RETURN_WITHIN.search(before) and _rules().conversion_verb.search(t[de:de + 40]))


_CONVERTER = re.compile(r"(?i)\b(?:customers?|visitors?|users?|buyers?|referrals?|they)\b")
_IN_WITHIN = re.compile(r"(?i)\b(?:with)?in\s+(?:the\s+next\s+)?$")


def _conversion_deadline(t: str, clauses, i: int, ds: int) -> bool:
    """"Your link is tracked ... If the customer in 30 days sets up a subscription, you earn": after a
    clause about tracking, the time a referred visitor has to convert is the attribution window."""
    r = _rules()
    s, e = clauses[i]
    if i == 0 or not r.cookie_word.search(t, *clauses[i - 1]) or not _IN_WITHIN.search(t, max(s, ds - 15), ds):
        return False
    return bool(_CONVERTER.search(t, s, ds) and r.conversion_verb.search(t, s, e))


def _gap_cost(t: str, a: int, b: int) -> int:
    """Characters between a cue and a value, plus a penalty for each punctuation mark that ends a
    phrase ("for 12 months - cookies last 60 days": the 60 belongs to the cookie)."""
    gap = t[a:b]
    return len(gap) + 40 * len(re.findall(r"[;,:]|\s-\s", gap))


# --- payout minimum -------------------------------------------------------------------------

_MINIMUM_PAYOUT = re.compile(r"(?i)minimum (?:payout|payment|balance|threshold|withdraw)")
_ORDER_VALUE_BEFORE = re.compile(r"(?i)\b(?:orders?|sales?|purchases?|baskets?|carts?|transactions?|items?|products?)"
                                 r" (?:of |worth |valued at |totall?ing )?(?:at or |or )?"
                                 r"(?:over|under|above|below|exceeding|more than|less than|at least|a minimum of)\s*$")
@functools.lru_cache(maxsize=1)
def _purchase_total_rx() -> re.Pattern:
    return re.compile(vocabulary()["minimum_purchase_total_before"], re.I)


def _purchase_total_before(before: str) -> bool:
    """"a referred purchase totaling $3,000 or more", "the completed job should total at least $350": the size of
    the customer's purchase that earns a reward, not a balance the affiliate must reach."""
    return bool(_purchase_total_rx().search(before))


_VOLUME_AFTER = re.compile(r"(?i)^\s*(?:million|billion|thousand|bn\b"
                           r"|in (?:[\w-]+ ){0,2}(?:sales|revenue|value|volume|turnover)|worth"
                           r"|of (?:sales|revenue|new business)|sales)")
_COUNT_AFTER = re.compile(r"(?i)^[\s-]*(?:days?|months?|weeks?|years?|hours?|%|sales|referrals|accounts|customers"
                          r"|units?|items?|orders?|subscribers|members|leads|conversions|actions|clicks)\b")


_SPELLED_TENS = {"ten": 10, "fifteen": 15, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
                 "seventy": 70, "eighty": 80, "ninety": 90}
_SPELLED_UNITS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9}
_SPELLED_AMOUNT = re.compile(r"(?i)(?<![\w-])(?:(?P<hm>one|a|two|three|five)\s+(?P<big>hundred|thousand)"
                             rf"|(?P<tens>{_alt(_SPELLED_TENS)})(?:[- ](?P<unit>{_alt(_SPELLED_UNITS)}))?)(?![\w-])")


def _spelled_amounts(t: str) -> list[_Num]:
    """Amounts written in words with a currency after them ("fifty dollars", "one hundred euros"): a
    payout minimum in an agreement is often spelled out, the commission rarely."""
    out = []
    for m in _SPELLED_AMOUNT.finditer(t):
        if m.group("big"):
            value = float(_SPELLED_UNITS.get(m.group("hm").lower(), 1) * (100 if m.group("big").lower() == "hundred" else 1000))
        else:
            value = float(_SPELLED_TENS[m.group("tens").lower()] + _SPELLED_UNITS.get((m.group("unit") or "").lower(), 0))
        cur, factor, end = _currency_after(t, m.end())
        if cur and factor == 1.0:
            out.append(_Num(value, m.start(), m.end(), end, "money", cur, raw=m.group(0)))
    return out


def _payout_minimum(t: str, clauses, nums: list[_Num], terms: Terms, context) -> None:
    """The balance an affiliate must reach before a payout: the amount nearest a threshold word in a
    clause about getting paid. "The minimum amount ... to get paid. The default is $100." carries the
    threshold from a clause without an amount to the next one."""
    implied = context == "payout"
    carried = False
    nums = sorted(nums + _spelled_amounts(t), key=lambda n: n.start)
    for i, (s, e) in enumerate(clauses):
        topic = _threshold_topic(t, clauses, i, nums, implied)
        example = bool(_rules().example.search(t, s, e) or _ARITHMETIC.search(t, s, e))
        best = _nearest_minimum(t, (s, e), nums, implied, carried and not topic, example) if topic or carried else None
        if best is not None:
            terms.payout_minimum = Found(best.value, (best.start, best.span_end))
            if best.currency:
                terms.payout_currency = Found(best.currency, (best.start, best.span_end))
            elif (label := _CURRENCY_LABEL_AFTER.match(t, best.span_end)) is not None:
                terms.payout_currency = Found(label.group(1), (best.start, label.end()))   # "amount: 50 currency: USD"
            return
        carried = (topic or _threshold_question(t, s, e)) and not any(_in((s, e), n) for n in nums)


# (session 16c) a bare minimum followed by its currency as a labelled field ("amount: 50 currency: USD", "50, currency=EUR")
_CURRENCY_LABEL_AFTER = re.compile(r"""\s*[,;|]?\s*["']?currency["']?\s*[:=]\s*["']?((?-i:[A-Z]{3}))\b""", re.I)


def _threshold_question(t: str, s: int, e: int) -> bool:
    """"Q: Is there a minimum? A: $50.": a question about a threshold carries it to the answer."""
    return t[s:e].rstrip().endswith("?") and bool(_STRONG_THRESHOLD.search(t, s, e))


def _nearest_minimum(t: str, clause: tuple[int, int], nums: list[_Num], implied: bool, carried: bool,
                     in_example: bool) -> _Num | None:
    """The candidate amount of a threshold clause nearest its threshold word. In a worked example ("we will pay
    you $8,700 ... until you reach the threshold") only an amount right after a minimum word counts."""
    s, e = clause
    best: tuple[int, _Num] | None = None
    for n in nums:
        if not _in(clause, n) or not _minimum_candidate(t, n, s, e, implied):
            continue
        if (in_example and not _STRONG_THRESHOLD_BEFORE.search(t, max(s, n.start - 45), n.start)
                and not _THRESHOLD_FOR_EXAMPLE.search(t, max(s, n.start - 45), n.start)) or _replaced(t, n, nums):
            continue
        dist = _threshold_distance(t, n, s, e, implied or (carried and _stated_plainly(t, n, s)))
        reach = 100 if _stated_plainly(t, n, s) else 60      # "Minimum ... required to receive a payout is $25"
        if dist is not None and dist <= reach and (best is None or dist < best[0]):
            best = (dist, n)
    return None if best is None else best[1]


# (session 16) "once a minimum threshold (e.g., $50) is reached": the threshold's own value given as an illustration,
# not a worked example
_THRESHOLD_FOR_EXAMPLE = re.compile(r"(?i)\b(?:min[iu]mum|threshold)\b[^.;|\d$€£()]{0,25}\(\s*(?:e\.\s?g\.|for example|"
                                    r"for instance|say|such as)\s*,?\s*$")


def _replaced(t: str, n: _Num, nums: list[_Num]) -> bool:
    """"lowered from $100 to $50": the old value of a changed minimum is no longer in force."""
    later = next((m for m in nums if m.start >= n.span_end), None)
    return bool(later and re.search(r"(?i)\bfrom\s*$", t[max(0, n.start - 6):n.start])
                and re.fullmatch(r"(?i)\s*to\s*", t[n.span_end:later.start]))


def _stated_plainly(t: str, n: _Num, s: int) -> bool:
    """"... is $100", "... of $100", ": $100": an amount given as the value of what the clause names."""
    return n.kind == "money" and bool(re.search(r"(?i)(?:\bis|\bof|:|=)(?:\s*(?:yes|yep|it is|it's)\b[,.!]?)?\s*$",
                                                t[s:n.start]))     # "Q: Is there a minimum payout? A: Yes, £25."


def _threshold_topic(t: str, clauses, i: int, nums: list[_Num], implied: bool) -> bool:
    """Clause i is about a payout threshold: a threshold word and a payout word, or a bare "the minimum
    is $100" next to a clause about getting paid (a payout word or a payment method)."""
    r = _rules()
    s, e = clauses[i]
    clause = t[s:e]
    if r.threshold_veto.search(clause) and not _MINIMUM_PAYOUT.search(clause):
        return False
    if implied or (r.threshold.search(clause) and r.payout_word.search(clause)):
        return True
    if _STRONG_THRESHOLD.search(clause) and _names_a_cash_method(t, s, e):
        return True      # "the minimum for PayPal is $50": a way of paying names the payout as well as "payout" does
    # "the minimum is $100", "$50 minimum." or "a minimum target of 100 EUR has to be reached" beside a clause about pay
    if not any(n.kind == "money" and (r.bare_minimum.search(t, s, n.start) or _THRESHOLD_NOUN_AFTER.match(t, n.span_end)
                                      or _STRONG_THRESHOLD_BEFORE.search(t, max(s, n.start - 45), n.start))
               for n in nums if _in((s, e), n)):
        return False
    near = t[clauses[max(0, i - 2)][0]:s] + " " + (t[e:clauses[i + 1][1]] if i + 1 < len(clauses) else "")
    return bool(r.payout_word.search(near) or _names_a_cash_method(near, 0, len(near)))


# a threshold that can only be a balance to reach, whatever the clause calls the balance
_STRONG_THRESHOLD = re.compile(r"(?i)\b(?:min[iu]mum|threshold|at least|no less th[ae]n|not less than"
                               r"|(?:equal to|the same as) or (?:greater|more|higher) than)\b")
_STRONG_THRESHOLD_BEFORE = re.compile(_STRONG_THRESHOLD.pattern + r"[^.;|\d$€£]{0,30}$")
_REWARDS_IN_KIND = ("store_credit", "gift_card")      # "$25 credits", "a $50 gift card": a reward, not a way of paying


def _names_a_cash_method(t: str, s: int, e: int) -> bool:
    return any(rx.search(t, s, e) for name, rx in _rules().methods if name not in _REWARDS_IN_KIND)


_CLAIM_SUBJECT_BEFORE = re.compile(r"(?i)\b(?:top|best|leading|successful|many|some|most|high[- ]performing) (?:[\w-]+ )?"
                                  r"(?:affiliates?|partners?|earners?|performers?|publishers?|creators?|members?|referrers?)"
                                  r"(?: [\w-]+){1,4}\s*$")
_EARNED_PER_PERIOD_AFTER = re.compile(r"(?i)\s*(?:in (?:[\w-]+ )?(?:commissions?|earnings|sales|revenue|income) )?"
                                      r"(?:a|per|each|every) (?:month|year|week)\b")
# "every referral adds $10 to your shop balance": an amount put on a balance is no balance to reach
_ADDED_TO_BALANCE = re.compile(r"(?i)\s*(?:is |are |will be |gets? )?(?:added |credited )?(?:to|into) (?:your|their|the) "
                               r"(?:[\w-]+ ){0,2}(?:balance|account|wallet)\b")
_SPENT_OR_RECEIVED_BY_OTHERS = re.compile(
    r"(?i)\b(?:(?:spends?|spent|spending|buys?|purchases?|orders?|deposits?|deposited|tops? up)"
    r"\s+(?:at least|a minimum of|over|more than|upwards of)"
    r"|(?:customers?|clients?|users?|friends?|buyers?|they)\s+(?:will\s+|can\s+|also\s+|then\s+)*(?:receives?|gets?|saves?)"
    # "the new member needs to earn £5 cashback": a threshold the referred customer must reach, no payout minimum
    r"|(?:customers?|clients?|users?|friends?|members?|referees?|referrals?|they)\s+(?:also\s+)?(?:needs?|must|has|have)"
    r"\s+(?:to\s+)?(?:earn|spend|deposit|buy|purchase|top up|trade)\s+(?:at least\s+|a minimum of\s+|over\s+|more than\s+)?)"
    r"\s*$")


# a balance kept in a unit that is no currency: "a 100 USDT minimum", "no less than 15 credits"
_UNIT_OF_ACCOUNT_AFTER = re.compile(r"\s*(?:(?-i:[A-Z]{3,4})|credits?|points?|coins?|tokens?)\b", re.I)
_MINIMUM_AFTER_UNIT = re.compile(r"\s+(?:payout |payment |withdrawal )?(?:minimum|threshold)\b", re.I)


def _minimum_in_units(before: str, after: str) -> bool:
    unit = _UNIT_OF_ACCOUNT_AFTER.match(after)
    if unit is None:
        return False
    return bool(_MINIMUM_AFTER_UNIT.match(after, unit.end()) or _STRONG_THRESHOLD_BEFORE.search(before))


def _minimum_candidate(t: str, n: _Num, s: int, e: int, implied: bool) -> bool:
    """An amount that can be a minimum: not a commission, a percent, a bonus, a price, a sales
    volume ("$1,000 in sales"), a per-sale floor or a count ("50 sales")."""
    r = _rules()
    if n.role == "commission" or n.value <= 0 or n.kind == "pct":
        return False
    before = t[max(s, n.start - 40):n.start]
    after = t[n.span_end:min(e, n.span_end + 30)]
    # "Payouts are at $20 or more": an amount with a floor after it is a balance to reach, not a price
    price = r.price_before.search(before[-12:]) and not r.threshold.search(before[-20:]) and not _OR_MORE_AFTER.match(after)
    if r.bonus.search(before[-20:]) or r.bonus.search(after[:20]) or price:
        return False
    if (_VOLUME_AFTER.match(after) and not _paid_in_coin(after)) or r.unit_after.match(after) \
            or _ORDER_VALUE_BEFORE.search(before) or _purchase_total_before(before):
        return False      # "$1,000 in sales", "$5 per sale", "8% on orders over $100": not a balance
    if _negative_balance(t, n):
        return False      # (session 17) "negative balances ... up to $300 are compensated": a debt, no balance to reach
    if _SPENT_OR_RECEIVED_BY_OTHERS.search(before) or _ADDED_TO_BALANCE.match(after) or _customer_stake(before, after):
        return False      # "once a client spends at least $2,500", "the client will receive $0.5 cashback"
    if _CLAIM_SUBJECT_BEFORE.search(before) or (_EARNED_PER_PERIOD_AFTER.match(after)
                                                  and not _STRONG_THRESHOLD_BEFORE.search(before)):
        return False      # "top affiliates hit $10,000", "earn over $5,000 in commissions every month": a claim, no balance
    if n.kind == "bare":
        if not implied and not re.search(r"(?i)(?:minimum|min\.?|threshold|minimal)\b[^.\d]{0,25}$", before) \
                and not _minimum_in_units(before, after):
            return False
        if _PERCENT_AFTER.match(after) or _COUNT_AFTER.match(after):
            return False
    return True


# (session 17) a negative balance (chargebacks, costs over revenue) that is written off or carried: "compensates negative
# balances ... up to and including $300", "Negative balances that exceed $300 will be carried"; not a minimum named
# after it in the same sentence ("Negative carryover applies and payouts require a 100 USDT minimum")
_NEGATIVE_BALANCE = re.compile(r"(?i)\bnegative (?:[\w-]+ )?(?:balances?|amounts?|earnings|carry[- ]?overs?)\b")
_NOT_THE_DEBT = re.compile(r"(?i)[.;|]|\b(?:min[iu]mum|threshold|payouts?|withdraw\w*)\b")


def _negative_balance(t: str, n: _Num) -> bool:
    found = list(_NEGATIVE_BALANCE.finditer(t, max(0, n.start - 150), n.start))
    return bool(found) and not _NOT_THE_DEBT.search(t, found[-1].end(), n.start)


def _customer_stake(before: str, after: str) -> bool:
    """"fund their account with at least $500", "a minimum £10 top-up", "$25 in spending": money the referred customer
    puts in or spends to qualify the reward, never the balance the referrer must reach before a payout."""
    return bool(_vocab_rx("customer_funding_before").search(before) or _vocab_rx("customer_act_noun_after").match(after))


def _paid_in_coin(after: str) -> bool:
    """"a minimum withdrawal of 10 USD worth of Bitcoin": the amount is paid out in a coin, it is no sales volume."""
    return bool(re.match(r"(?i)\s*worth of (?:bitcoins?|btc|ethereum|eth|usdt|usdc|tether|crypto(?:currency)?)\b", after))


def _threshold_after(t: str, n: _Num, m: re.Match) -> bool:
    """A threshold word after the amount: "$50 minimum", "$50 or above"; not "$29 installments over"."""
    if not _rules().comparative.fullmatch(m.group(0)):
        return True
    return bool(re.fullmatch(r"(?i)\s*(?:or|and)\s+", t[n.span_end:m.start()]))


def _threshold_distance(t: str, n: _Num, s: int, e: int, implied: bool) -> int | None:
    """Characters from the nearest threshold word to the amount; a word after the amount costs a
    little more, and a comparative ("over", "more than") counts only before it."""
    r = _rules()
    d_before = [n.start - m.end() for m in r.threshold.finditer(t, s, e) if m.end() <= n.start]
    d_after = [m.start() - n.span_end + 5 for m in r.threshold.finditer(t, s, e)
               if m.start() >= n.span_end and _threshold_after(t, n, m)]
    return min(d_before + d_after, default=0 if implied else None)


# --- frequency, methods ---------------------------------------------------------------------

# (session 16c) a schedule the text says is replaced or gone ("instead of waiting for monthly batch payouts", "rather
# than the weekly run", "no longer monthly"), even where it names a payout
_REPLACED_SCHEDULE_BEFORE = re.compile(r"(?i)\b(?:instead of|rather than|no longer|in place of)\s+"
                                       r"(?:(?:waiting|wait)\s+(?:for\s+)?|(?:being\s+)?(?:paid\s+)?)?(?:an?\s+|the\s+|our\s+)?$")


# A fixed schedule beats "Net N", which beats "monthly", which beats "on request".
_FREQ_PRIORITY = ["daily", "weekly", "biweekly", "semimonthly", "quarterly", "semiannually", "annually", "net", "monthly",
                  "on-request"]


def _frequency(t: str, clauses, terms: Terms, context) -> None:
    r = _rules()
    hits: list[Found] = []
    prev: tuple[int, int] | None = None
    for i, (s, e) in enumerate(clauses):
        for m in re.finditer(r"(?i)\bnet[\s-]?(\d{1,3})\b(?!\s*%)", t[s:e]):
            hits.append(Found(f"net-{int(m.group(1))}", (s + m.start(), s + m.end())))
        ctx = context == "payout" or r.frequency_context.search(t, s, e) or (prev and r.frequency_context.search(t, *prev)) \
            or _date_before_payout(t, clauses, i)
        prev = (s, e)
        if not ctx:
            continue
        for name, rx in r.frequencies:
            for m in rx.finditer(t, s, e):
                if _REPLACED_SCHEDULE_BEFORE.search(t, max(s, m.start() - 40), m.start()):
                    continue      # (session 16c) "request withdrawals anytime instead of waiting for monthly payouts"
                named = name != "on-request" and _names_payout_schedule(t, m.end())
                if not named and _not_a_payout_schedule(t, s, m):
                    continue
                hits.append(Found(name, (m.start(), m.end())))
                break
    hits = _prefer_named_schedules(t, hits)
    per_tier = [h for h in hits if _FOR_TIER_AFTER.match(t, h.span[1])]
    if len({h.value for h in per_tier}) >= 2:
        terms.frequency = min(per_tier, key=lambda f: f.span[0])      # (session 17b) the first tier's schedule
    elif hits:
        rank = lambda f: _FREQ_PRIORITY.index("net" if f.value.startswith("net-") else f.value)  # noqa: E731
        terms.frequency = min(hits, key=lambda f: (rank(f), f.span[0]))


# (session 17b) schedules stated per tier ("Monthly on the 1st for Bronze/Silver, weekly for Gold, on-demand for
# Diamond", "monthly for standard partners, weekly for premium partners"): the first named is the program's base schedule,
# the faster ones are perks of higher tiers
_FOR_TIER_AFTER = re.compile(r"(?:\s+on (?:the )?\d{1,2}(?:st|nd|rd|th)?)?\s+for\s+(?:the\s+|all\s+)?(?:(?-i:[A-Z])[\w/-]*"
                             r"|(?i:(?:standard|basic|regular|premium|top|higher|new|level|tier)\b))")


@functools.lru_cache(maxsize=1)
def _payout_noun_after() -> re.Pattern:
    return re.compile(vocabulary()["frequency_payout_noun_after"], re.I)


def _names_payout_schedule(t: str, end: int) -> bool:
    """A frequency word right before a payout noun ("monthly payouts", "weekly PayPal payouts") names the
    payout schedule itself, whatever recurrence or billing words stand around it."""
    return bool(_payout_noun_after().match(t, end))


def _prefer_named_schedules(t: str, hits: list[Found]) -> list[Found]:
    """Frequency words that name a payout ("monthly payouts") outrank those that are payout dates only by their
    clause's context ("a yearly or lifetime licence ... monthly payouts"); a literal "Net N" is kept beside them."""
    named = [h for h in hits if h.value.startswith("net-")
             or (h.value != "on-request" and _names_payout_schedule(t, h.span[1]))]
    return named if len(named) > sum(h.value.startswith("net-") for h in hits) else hits


def _date_before_payout(t: str, clauses, i: int) -> bool:
    """"On the 20th of each month. ... you receive a cheque": a clause that is only a date, followed by a clause
    about getting paid, is the payment date."""
    s, e = clauses[i]
    if i + 1 >= len(clauses) or len(t[s:e].split()) > 8:
        return False
    return bool(_rules().frequency_context.search(t, *clauses[i + 1]))


_ACTIVE_PAY = re.compile(r"(?i)\bpays?\s+(?:\w+\s+(?:or|and)\s+)?$")     # "pay monthly or yearly"
_SUBJECTS = re.compile(r"(?i)\b(?:(?P<us>we|you|affiliates?|partners?|publishers?)|customers?|users?|clients?|they"
                       r"|subscribers?|members?|buyers?|merchants?)\b")
_ORDINAL_BEFORE = re.compile(r"(?i)\b(?:first|initial|second|1st|2nd)\s+$")
_MONEY_BEFORE = re.compile(r"\d(?:\s*(?:(?!UTC|GMT|CET|EST|PST)[A-Z]{3}|(?i:dollars?|euros?|pounds?)))?\s+$")   # not "5:30 UTC"
# "paid between 7-15 every month", "from the 10th to 15th each month": a window of days of the month, not an amount
_DAY_WINDOW_BEFORE = re.compile(r"(?i)\b(?:between|from|on)\s+(?:the\s+)?\d{1,2}(?:st|nd|rd|th)?\.?\s*(?:-|–|to|and)\s*"
                                r"(?:the\s+)?\d{1,2}(?:st|nd|rd|th)?\.?\s+(?:of\s+)?$")
# "rewards are capped to 500 points monthly": a count per period, not a payout date
_COUNT_BEFORE = re.compile(r"(?i)\d[\d,.]*\s+(?:(?:qualified|valid|successful|eligible|new|approved)\s+)?"
                           r"(?:points?|credits?|leads?|referrals?|sales|sign[- ]?ups?|clicks?|visits?)\s+$")
_RECURRENCE_BEFORE = re.compile(r"(?i)\b(?:recurr\w*|renew\w*|residual|rev(?:enue)?[- ]?share)\b(?P<gap>[^.]{0,25})$")
# "Commissions are calculated each month": when earnings are counted is not when they are paid
_CALCULATED_BEFORE = re.compile(r"(?i)\b(?:calculated|computed|tallied|totall?ed)\s+$")
# ... unless the same phrase pays them: "calculated monthly and paid out by bank transfer"
_AND_PAID_AFTER = re.compile(r"(?i)\s+and\s+(?:then\s+)?(?:paid|sent|issued|distributed|disbursed|transferred)\b")
# "you can track your earnings daily": how often earnings can be seen is not when they are paid
# (session 16) "rewards update weekly", "stats are refreshed daily": how often figures are refreshed, not a payday
_REFRESHED_BEFORE = re.compile(r"(?i)\b(?:updat|refresh|recalculat|recomput)(?:es|ed|e|ing|s)?\s+(?:automatically\s+)?$")
_WATCHED_BEFORE = re.compile(r"(?i)\b(?:track|monitor|view|see|watch)(?:s|ed|ing)?"
                             r"(?: (?!(?:paid|pay\w*|sent|issued|transferred|disbursed)\b)[\w']+){0,3}\s+$")
_PAYOUT_VERB = re.compile(r"(?i)\b(?:paid|payouts?|payments?|sent|issued|transferred)\b")
# (session 9) "15% of the referee's subscription payment each month", "recurring payments each month for every
# subscription": the customer's billing (or the commission's recurrence), not when the affiliate is paid
_BILLED_BEFORE = re.compile(r"(?i)\b(?:(?:their|the|your|a|each|his|her|referee'?s|customer'?s|client'?s) subscription"
                            r"(?:\s+(?:payments?|fees?|charges?|costs?))?|recurring (?:payments?|commissions?))\s+$")
# (session 9) "cookies expire every 30 days", "the cookie is reset each month": how often a cookie lapses, not a payday
_COOKIE_SUBJECT_BEFORE = re.compile(r"(?i)\bcookies?\b(?:\s+(?!(?:and|but|so|then|we|you|payments?|payouts?|commissions?)\b)"
                                    r"[\w'-]+){0,4}\s+$")


# (session 16c) a schedule word right after a rate ("earn 30% monthly for 12 months") or qualifying the commission one
# earns ("you will receive a monthly marketing commission"): how often the commission recurs, not when it is paid out
# ("monthly commission payments" names a payout first, see _names_payout_schedule)
_RATE_BEFORE = re.compile(r"\d\s*%\s+$")
_EARN_A_BEFORE = re.compile(r"(?i)\b(?:earn|receive|get|gain)(?:s|ed|ing)?\s+(?:an?\s+)$")
_COMMISSION_NOUN_AFTER = re.compile(r"(?i)\s+(?:[\w-]+\s+)?(?:commission|reward|bonus)\b"
                                    r"(?!\s+(?:payments?|payouts?|checks?|cheques?))")
# (session 15) "a monthly one", "the annual ones": the schedule word qualifies a pronoun for a plan or a customer
_PLAN_PRONOUN_AFTER = re.compile(r"(?i)\s+ones?(?![\w-])(?!\s+(?:week|day|month|business|working)s?\b)")
# (session 17b) "no more than once per week", "at most once a month", "up to once a week": how often a payout may be
# requested, not a schedule
_AT_MOST_BEFORE = re.compile(r"(?i)\b(?:no more than|not more than|at most|up to|a maximum of|max(?:imum|\.)?|limited to)\s+$")
# (session 15) a schedule word after "no" / "without" ("no monthly cycle", "without a weekly payout run") is denied
_NO_SCHEDULE_BEFORE = re.compile(r"(?i)\b(?:no|without|never|not on an?|not)\s+(?:an?\s+|any\s+|fixed\s+)?$")
# (session 15) a commission "on their payment each month", "from the customer's purchases every month": the referred
# customer's payments recur monthly; how often the affiliate is paid is another matter
_CUSTOMER_PAYMENT_BEFORE = re.compile(r"(?i)\b(?:on|of|from)\s+(?:their|his|her|(?:the |each |every )?(?:customer|client|user"
                                      r"|referee|referral|subscriber|friend|member)(?:'s|s'|’s))\s+(?:[\w-]+\s+)?"
                                      r"(?:payments?|purchases?|spend(?:ing)?|bills?|invoices?|orders?|renewals?)\s+$")
# one bill or payment of the customer (or of the referrer's own account): "a credit on your next monthly bill",
# "20% of every monthly payment your customers make"
_NEXT_BEFORE_BILL = re.compile(r"(?i)\b(?:next|upcoming|future|your|their|every|each|all|any)\s+$")
_BILL_AFTER = re.compile(r"(?i)\s+(?:[\w-]+\s+)?(?:bills?|statements?|invoices?|billing|subscriptions?|renewals?|charges?"
                         r"|plans?|fees?)\b")
_EVERY_BEFORE_PAYMENT = re.compile(r"(?i)\b(?:every|each|all|any)\s+$")
_PAYMENT_AFTER = re.compile(r"(?i)\s+(?:subscription\s+|recurring\s+)?(?:payments?|installments?|instalments?)\b")


def _customer_subject(before: str) -> bool:
    """A customer is the subject ("customers pay monthly"), not a noun naming a place ("to a customer account or
    request to withdraw")."""
    m = _OTHER_SUBJECT.search(before)
    return bool(m and not re.match(r"(?i)\w+\s+(?:accounts?|area|portal|dashboard|panel|wallet|ids?)\b", m.group(0)))


def _not_a_payout_schedule(t: str, s: int, m: re.Match) -> bool:
    """A frequency word that describes something other than when affiliates are paid: the customer's
    billing ("customers pay monthly", "a user ... chooses to pay monthly", "the customers' monthly
    order"), one billing instance ("the first monthly payment"), an amount per period ("600 USD
    annually") or the commission's recurrence ("25% recurring (monthly)", "Recurring: monthly")."""
    if _AT_MOST_BEFORE.search(t, max(s, m.start() - 20), m.start()):
        return True      # (session 17b) "upon request, and no more than once per week": a cap on requests, no schedule
    if re.match(r"(?i)on|upon|by|at", m.group(0)):
        return False
    before = t[s:m.start()]
    if _NO_SCHEDULE_BEFORE.search(before):
        return True      # (session 15) "withdraw anytime, no monthly cycle": a schedule the program says it does not have
    if _PLAN_PRONOUN_AFTER.match(t, m.end()):
        return True      # (session 15) "€7.20 ... for a monthly one": the word qualifies a plan or a subscriber
    if _CUSTOMER_PAYMENT_BEFORE.search(before):
        return True      # (session 15) "13% commission on their payment each month": the customer's billing
    if _customer_subject(before[-30:]) or re.search(r"(?i)\b(?:customers?|users?|clients?)'s?\s+$", before):
        return True
    if _ACTIVE_PAY.search(before):
        subjects = list(_SUBJECTS.finditer(before))
        if subjects and not subjects[-1].group("us"):
            return True      # the nearest subject of "pay" is the customer
    calculated = _CALCULATED_BEFORE.search(before) and not _AND_PAID_AFTER.match(t, m.end())
    money = _MONEY_BEFORE.search(before) and not _DAY_WINDOW_BEFORE.search(before)
    if _RATE_BEFORE.search(before) or (_EARN_A_BEFORE.search(before) and _COMMISSION_NOUN_AFTER.match(t, m.end())):
        return True      # (session 16c) "earn 30% monthly", "receive a monthly marketing commission": the rate recurs
    if _ORDINAL_BEFORE.search(before) or money or calculated or _WATCHED_BEFORE.search(before) \
            or _COUNT_BEFORE.search(before) or _COOKIE_SUBJECT_BEFORE.search(before) or _BILLED_BEFORE.search(before) \
            or _REFRESHED_BEFORE.search(before):
        return True
    if (_NEXT_BEFORE_BILL.search(before) and _BILL_AFTER.match(t, m.end())) \
            or (_EVERY_BEFORE_PAYMENT.search(before) and _PAYMENT_AFTER.match(t, m.end())):
        return True      # "a credit on your next monthly bill", "of every monthly payment": a bill, not a payout date
    if _MEASURE_AFTER.match(t, m.end()) or (m.group(0).lower().startswith("end of") and _LAG_BEFORE.search(before)):
        return True      # (session 11) "Daily Cap", "monthly performance volume"; "14 days after (the) end of the month"
    rec = _RECURRENCE_BEFORE.search(before)
    return bool(rec and not _PAYOUT_VERB.search(rec.group("gap")))


# (session 11) a frequency word that sizes a quantity per period ("Daily Cap 250 leads", "Monthly Net Sales > $5,000",
# "based on monthly performance volume", "Monthly number of sales"): a cap or a volume, not when affiliates are paid
_MEASURE_AFTER = re.compile(r"(?i) (?:[\w-]+ ){0,2}?(?:caps?|limits?|budgets?|volumes?|targets?|quotas?|goals?"
                            r"|number of|turnover|sales(?=\s*(?:>|≥|of\b|over\b|above\b|exceed)))(?![a-z])")
# (session 11) "Actions are locked 14 day(s) after end of the month they are tracked": when an action matures, counted
# from a month's end, is not a payout date ("paid 30 days after the end of the month" is one: no maturing verb)
_LAG_BEFORE = re.compile(r"(?i)\b(?:lock|validat|approv|confirm|clear|finali[sz]|matur)\w*\s+(?:\w+\s+){0,2}?"
                         r"(?:\d{1,3}|[a-z]+(?:[- ][a-z]+)?)\s*(?:\(\d+\)\s*)?(?:calendar |business |working )?"
                         r"(?:days?|weeks?|months?)(?:\(s\))?\s+(?:after|from|following)\s+(?:the\s+)?$")


# "bank wire" is one method (wire); "Bank (ACH)", "Bank Transfer (ACH)", "ACH (Bank Draft)", "ACH bank transfer" are one
# method (ach); "bank transfer or wire" names two
_BANK_IS_OTHER = re.compile(r"(?i)\bbank(?:\s+(?:transfers?|deposits?))?\s*\(\s*ach\s*\)|\bach\s*\(?\s*bank\b|\bbank[\s-]+wire\b"
                            r"|\bwire\b(?:[\s-]+transfer)?\s*[(/]\s*bank|\bbank\b[^,;|]{0,12}?[(/]\s*wire\b")


def _methods(t: str, clauses, terms: Terms, context) -> None:
    r = _rules()
    found: dict[str, Found] = {}
    prev: tuple[int, int] | None = None
    for s, e in clauses:
        ctx = context == "payout" or _payment_clause(t, s, e) or (prev and _payment_clause(t, *prev))
        in_kind = ctx or bool(_REWARD_RECEIVED.search(t, s, e))
        prev = (s, e)
        for name, rx in r.methods:
            if name in found or not (ctx or name in r.methods_anywhere or (in_kind and name in _REWARDS_IN_KIND)):
                continue
            hit = _method_mention(t, s, e, name, rx)
            if hit is not None:
                found[name] = hit
    _drop_destinations(t, found)
    _reward_in_coin(t, found)
    _paid_to_chain_address(t, found)
    _store_credit_listed(t, found)
    _store_credit_with_the_program(t, clauses, found)
    _drop_customer_payment_options(t, clauses, found)
    for name in [n for n, hit in found.items() if listed_after_card(t, hit.span[0])]:
        del found[name]      # (session 17b) "credit card, debit card, bank transfer or PayPal": how customers pay
    _drop_excluded_products(t, found)
    _drop_credits_bought(t, found)
    hit = found.get("store_credit")
    if hit is not None and _CREDITS_COUNTED_BEFORE.search(t, max(0, hit.span[0] - 30), hit.span[0]):
        del found["store_credit"]      # (session 16) "Max 10 referral credits per month": a cap on referrals counted
    terms.methods = sorted(found.values(), key=lambda f: f.span[0])


# (session 16) a number of credits under a cap ("Max 10 referral credits per month", "at most 5 credits"): a count of
# rewarded referrals, not a way the reward is paid
_CREDITS_COUNTED_BEFORE = re.compile(r"(?i)\b(?:max(?:imum)?\.?|at most|limit(?:ed)? (?:of|to)|cap(?:ped)? (?:of|at))\s+\d+\s+$")


# (session 14) what no commission is paid on ("Commission is not paid on gift cards, gift vouchers, ...", "no commission
# is earned on gift card purchases", "excluding gift cards"): products left out of the commission, not a payout method
_EXCLUDED_PRODUCTS_BEFORE = re.compile(r"(?i)(?:\bnot (?:be )?(?:paid|payable|earned|given|awarded|applicable|eligible)"
                                       r"|\bno commissions? (?:is |are |will be )?(?:paid|earned|given|awarded)?"
                                       r"|\bexclud(?:es|ed|ing)|\bexcept)\s+(?:on|for|from)?\s*(?:the\s+)?(?:purchases? of\s+)?"
                                       r"(?:[\w/&'-]+,?\s+){0,3}$")


# (session 16c) what the customer pays with ("purchases made using discount codes, store credit, or gift certificates",
# "orders paid with a gift card"): the buyer's means of payment, not how the affiliate is paid
_BUYER_PAID_WITH_BEFORE = re.compile(r"(?i)\b(?:purchases?|orders?|transactions?|checkouts?)\s+(?:made|paid(?:\s+for)?|placed"
                                     r"|completed)\s+(?:(?:in\s+)?(?:full|part|partly|partially)\s+)?(?:using|with|by|through)\s+"
                                     r"(?:(?!(?:via|to|into|as|paid|payouts?|commissions?)\b)[\w'-]+,?\s+){0,12}?(?:and\s+|or\s+)?$")
# ... unless the reward itself comes in that form: "15% of purchases made with your code as store credit"
_AS_REWARD = re.compile(r"(?i)(?:as|in|into)\b")


# (session 17) credits the referred customer buys or tops up ("if your friend purchases $1000 in credits", "buys 500
# credits"): the product sold, not a way the affiliate is paid
_CREDITS_BOUGHT_BEFORE = re.compile(r"(?i)\b(?:purchas(?:e|es|ed|ing)|buys?|buying|bought|tops?\s+up|topped\s+up"
                                    r"|loads?|loaded|prepays?|prepaid)\s+(?:(?:up\s+to|over|at\s+least|more\s+than)\s+)?$")


def _drop_credits_bought(t: str, found: dict[str, Found]) -> None:
    hit = found.get("store_credit")
    if hit is not None and _CREDITS_BOUGHT_BEFORE.search(t, max(0, hit.span[0] - 40), hit.span[0]) \
            and re.match(r"(?i)[$€£]?\s?\d[\d,.]*\s?(?:[$€£]\s*)?(?:in\s+|of\s+|worth\s+of\s+)?(?:[\w-]+\s+)?credits?\b",
                         t[hit.span[0]:hit.span[1] + 20]):
        del found["store_credit"]


def _drop_excluded_products(t: str, found: dict[str, Found]) -> None:
    """A gift card or voucher named among the products no commission is paid on, or among what a buyer pays with, is
    no payout method."""
    for name in ("gift_card", "store_credit"):
        hit = found.get(name)
        if hit is not None and (_EXCLUDED_PRODUCTS_BEFORE.search(t, max(0, hit.span[0] - 80), hit.span[0])
                                or (_BUYER_PAID_WITH_BEFORE.search(t, max(0, hit.span[0] - 140), hit.span[0])
                                    and not _AS_REWARD.match(t, hit.span[0]))):
            del found[name]


# (session 17b) a method listed after a card in one enumeration ("such as a credit card, debit card, bank transfer,
# cryptocurrency or PayPal", "kreditní karta, debetní karta, bankovní převod ... nebo PayPal"): the customer's ways to
# pay; affiliates are not paid to a credit card
# (a debit card may be where a payout lands, so only a credit card or a card brand opens such a list)
_CARD_WORD = re.compile(r"(?i)(?:credit cards?|master ?card|american express|apple pay|google pay"
                        r"|kreditn\w* kart\w*|kart\w* kredytow\w*|кредитн\w* карт\w*|tarjetas? de crédito"
                        r"|cartes? de crédit|cart(?:ão|ões) de crédito|cart[ae] di credito|kreditkarte\w*|kredi kart\w*"
                        r"|card(?:ul)? de credit|신용카드|信用卡|クレジットカード)")
_LIST_END = re.compile(r"[.;:!?()\n|]")
_LIST_SEPARATOR = re.compile(r"(?i)\s*(?:,|/|\b(?:or|and|nebo|albo|lub|или|ou|oder|veya|ya da|atau|hoặc)\b|或|または|또는)\s*")


def listed_after_card(t: str, start: int) -> bool:
    """The method at `start` is a later item of an enumeration that began with a card (see _CARD_WORD)."""
    lo = max(0, start - 100)
    window = _LIST_END.split(t[lo:start])[-1]
    cards = list(_CARD_WORD.finditer(window))
    if not cards:
        return False
    parts = _LIST_SEPARATOR.split(window[cards[-1].end():])
    return len(parts) >= 2 and parts[-1] == "" and all(len(p.split()) <= 3 for p in parts)


def _drop_customer_payment_options(t: str, clauses, found: dict[str, Found]) -> None:
    """(session 11) "I accept the following avenues for payment: PayPal, Visa/MasterCard/American Express": a clause
    that lists card brands and names no payout, commission or earnings is how a customer pays, not how the affiliate
    is paid; its methods are dropped (all of them when the whole text names cards and no payout)."""
    card, payout = _vocab_rx("method_customer_card"), _vocab_rx("method_payout_word")
    whole = bool(card.search(t)) and not payout.search(t)      # a text about paying the merchant only
    for name, hit in list(found.items()):
        clause = next(((s, e) for s, e in clauses if s <= hit.span[0] < e), None)
        if whole or (clause is not None and card.search(t, *clause) and not payout.search(t, *clause)):
            del found[name]


@functools.lru_cache(maxsize=1)
def _kept_credit_rules() -> tuple[re.Pattern, re.Pattern, re.Pattern, re.Pattern]:
    vocab = vocabulary()
    return (re.compile(vocab["own_account_credit"], re.I), re.compile(vocab["store_credit_self_evident"], re.I),
            re.compile(vocab["method_condition_before"], re.I), re.compile(vocab["method_condition_after"], re.I))


def _store_credit_with_the_program(t: str, clauses, found: dict[str, Found]) -> None:
    """A reward that says it stays with the program (it cannot be withdrawn, it is applied at checkout, it comes as
    points) is store credit; one credited to an account or wallet held at the program ("your Pesa wallet", "the
    clearing account") is store credit only when no other method is named, since it may be where a payout waits."""
    if "store_credit" in found:
        return
    own_account, self_evident = _kept_credit_rules()[:2]
    r = _rules()
    for s, e in clauses:
        if r.prohibition.search(t, s, e):
            continue      # "Disallowed Media: Cashback, Reward Points, Incentives": a banned kind of traffic
        m = self_evident.search(t, s, e)
        if m is not None and _vocab_rx("points_not_a_reward").search(t, s, e):
            m = None      # "points ... before converting to cash upon payout": cash in the end
        if m is None and not found:
            m = next((a for a in own_account.finditer(t, s, e)
                      if not _owner_is_a_processor(t, a) and not _cash_wallet(t, a)), None)
        if m is not None:
            found["store_credit"] = Found("store_credit", (m.start(), m.end()))
            return


def _store_credit_listed(t: str, found: dict[str, Found]) -> None:
    """"via bank transfer, PayPal, or Kauvex Wallet", "Lesson credit, or Bank transfer": credit listed next to a cash
    method is one more way of being paid; alone, "or SMS credit" may be a reward in kind of any sort."""
    cash = [f for name, f in found.items() if name not in _REWARDS_IN_KIND]
    if "store_credit" in found or not cash:
        return
    rx = _vocab_rx("store_credit_in_method_list")
    for hit in cash:
        m = rx.search(t, max(0, hit.span[0] - 100), min(len(t), hit.span[1] + 100))
        if m is not None:
            found["store_credit"] = Found("store_credit", m.span())
            return


def _reward_in_coin(t: str, found: dict[str, Found]) -> None:
    """"5 USD in BTC for you", "$20 worth of bitcoin": an amount paid in a coin is paid in crypto, even in a clause
    with no word of payment."""
    m = None if "crypto" in found else re.search(vocabulary()["coin_reward"], t, re.I)
    if m is not None and not _METHOD_NEGATED.search(t, max(0, m.start() - 40), m.start()):
        found["crypto"] = Found("crypto", (m.start(), m.end()))


# (session 16) a payout sent to the partner's address on a page about a blockchain program ("hardcoded in smart
# contract ... Payment Method: Sent directly to partner address", "an amount in wei"): the address is a wallet address
_TO_AN_ADDRESS = re.compile(r"(?i)\b(?:sent|paid|transferred|routed|goes|go)\s+(?:directly\s+|automatically\s+)?to\s+"
                            r"(?:the\s+|your\s+|their\s+)?(?:partner|affiliate|referrer|referral|integrator)?(?:'s)?\s*"
                            r"(?:wallet\s+)?address(?:es)?\b")
_CHAIN_WORD = re.compile(r"(?i)\bsmart[- ]contracts?\b|\bon[- ]?chain\b|\bblockchain\b|(?<=\d )g?wei\b")


def _paid_to_chain_address(t: str, found: dict[str, Found]) -> None:
    if "crypto" in found or not _CHAIN_WORD.search(t):
        return
    m = _TO_AN_ADDRESS.search(t)
    if m is not None:
        found["crypto"] = Found("crypto", m.span())


_WITHDRAW_FROM_WALLET = re.compile(r"(?i)\b(?:withdraw\w*|cash(?:ed|ing)?[- ]?outs?)\b[^.;|?]{0,40}?\bwallets?\b"
                                   r"|\bwallets?\b[^.;|?]{0,40}?\b(?:withdraw\w*|cash(?:ed|ing)?[- ]?outs?)\b")


def _cash_wallet(t: str, m: re.Match) -> bool:
    """"credited to your wallet ... you can only withdraw from main wallet": a wallet the referrer withdraws from holds
    earnings until a payout, like an affiliate balance; it says nothing about how they are paid."""
    return m.group(0).lower().endswith("wallet") and bool(_WITHDRAW_FROM_WALLET.search(t))


def _owner_is_a_processor(t: str, m: re.Match) -> bool:
    """"your PayPal account", "your Affiliate balance": the account of a payment processor or the affiliate balance
    that waits for a payout, not credit held with the program."""
    owner = m.groupdict().get("owner")
    if not owner:
        return False
    s, e = m.span("owner")
    return _names_a_cash_method(t, s, e) or bool(re.match(r"(?i)(?:affiliate|partner|referral|commission|earnings?"
                                                          r"|ambassador|creator|publisher)s?\b", owner))


def _method_is_a_condition(t: str, s: int, e: int, m: re.Match) -> bool:
    """"switch their existing bank", "a recurring direct deposit of payroll": the referred customer's bank account or
    deposit, a condition of the reward rather than how the referrer is paid."""
    before, after = _kept_credit_rules()[2:]
    return bool(before.search(t, max(s, m.start() - 30), m.start()) or after.match(t, m.end(), e))


# A reward in kind is paid by handing it over: "get a $50 Amazon gift card", "we'll give you a prepaid Visa card",
# "Choose your reward: ...", "Thank-you gift: ...". A gift card or credit named where the referrer receives
# something is how the referrer is paid, even with no word of payment in the clause.
_REWARD_RECEIVED = re.compile(r"(?i)\b(?:rewards?|rewarded|get|gets|getting|receive[sd]?|receiving|earn(?:s|ed|ing)?"
                              r"|(?:give|send|mail|email)(?:s|ing)? (?:you|them|the referr\w+|each referr\w+|your)"
                              r"|thank[- ]you (?:gift|present)|choose|pick|redeem\w*|e-?mail(?:s|ed)?)\b")


def _payment_clause(t: str, s: int, e: int) -> bool:
    """A clause about getting paid: it says so ("paid", "withdraw") or names a payment processor, so a
    generic method beside it ("Payoneer – same day | Wire – 1-13 days") is a payout method too."""
    r = _rules()
    return bool(r.method_context.search(t, s, e)) or any(
        rx.search(t, s, e) for name, rx in r.methods if name in r.methods_anywhere)


_METHOD_NEGATED = re.compile(r"(?i)\b(?:no|not|never|don'?t|doesn'?t|cannot|can'?t)\s+"
                             r"(?:(?:pay|paid|offer|accept|support|issue|send|use)\w*\s+)?(?:(?:by|via|with|through|in)\s+)?"
                             r"(?:(?:regular|paper|physical|postal|mailed|any)\s+)?$"     # "we do not support regular checks"
                             r"|\b(?:not|never|n't)\s+(?:receive|get|accept|offer|pay|issue|send)\w*\s+(?:[\w-]+\s+){1,3}?"
                             r"(?:or|nor)\s+$")     # "you will not receive cash or gift cards"
# (session 13) a method denied right after its name: "PayPal is not an option for us", "Can I get paid in crypto?
# A: Not currently.", "Can I withdraw to PayPal? A: Unfortunately not": the method is named only to be ruled out
_METHOD_DENIED_AFTER = re.compile(r"(?i)(?:\s+(?:is|are)\s+(?:not|no\s+longer)\s+(?:an?\s+)?"      # (16c) "no longer supported"
                                  r"(?:option|available|supported|accepted|offered|possible)\b"
                                  r"|[^.?!|\n]{0,25}\?\s*(?:A\s*[:.]\s*)?"
                                  r"(?:no\b|not\s+(?:currently|yet|at\s+(?:the\s+moment|this\s+time|present))\b"
                                  r"|unfortunately,?\s+(?:not|no)\b))")


def _method_mention(t: str, s: int, e: int, name: str, rx: re.Pattern) -> Found | None:
    """The first mention of a method in a clause that names it as a way of getting paid: not "bank"
    inside "bank wire", not a negated one ("no crypto", "we do not pay by check"), not a product after
    "per" ("$10 per Venmo sign-up")."""
    r = _rules()
    for m in rx.finditer(t, s, e):
        if name == "bank" and (_BANK_IS_OTHER.search(t[max(s, m.start() - 6):min(e, m.end() + 12)])
                               or _bank_not_a_payout(t, s, e, m)):
            continue
        if (name == "crypto" and (_negated(t, m.start()) or _crypto_amount_unit(t, m))) \
                or _METHOD_NEGATED.search(t, max(s, m.start() - 40), m.start()) or _METHOD_DENIED_AFTER.match(t, m.end()):
            continue     # "no crypto", "100 USDT minimum", "we do not pay by check", "we don't accept PayPal"
        if r.method_as_unit.search(t, max(s, m.start() - 15), m.start()) or _structure()["method_fee_after"].match(t, m.end()):
            continue     # "$10 per Venmo sign-up", "minus PayPal fees"
        if _method_not_a_payout(t, s, m) or _method_is_a_condition(t, s, e, m):
            continue     # "excluding gift cards", "the Wise affiliate program", "switch their existing bank"
        return Found(name, (m.start(), m.end()))
    return None


def _bank_not_a_payout(t: str, s: int, e: int, m: re.Match) -> bool:
    """"US Bank $50", "the Co-operative Bank's switching offer", "a bank transfer of at least 200 EUR": a bank that
    offers the reward, or the friend's qualifying transfer, is no way the referrer is paid."""
    if m.group(0) != "Bank":      # "Bank Transfer", "bank account": a way of paying, whoever runs the bank
        return bool(_vocab_rx("bank_transfer_as_condition").match(t, m.end(), e))
    institution = _vocab_rx("bank_as_institution").search(t[max(s, m.start() - 25):m.end()])
    # ("Commercial Bank of Ethiopia" in a list of ways to withdraw names where the money goes)
    return bool((institution and not re.match(r"\s+of\b", t[m.end():]))
                or _vocab_rx("bank_named_after").match(t, m.end(), e))


@functools.lru_cache(maxsize=1)
def _method_guards() -> tuple[re.Pattern, re.Pattern]:
    vocab = vocabulary()
    return (re.compile(vocab["method_as_product_before"], re.I), re.compile(vocab["method_names_program_after"], re.I))


def _method_not_a_payout(t: str, s: int, m: re.Match) -> bool:
    """A method word that names goods the commission is (not) paid on ("excluding gift cards", "Commissions are not
    paid on: Gift cards") or the program itself ("the Wise affiliate program") says nothing about how the affiliate
    is paid."""
    product_before, program_after = _method_guards()
    return bool(product_before.search(t, max(s, m.start() - 80), m.start()) or program_after.match(t, m.end()))


def _crypto_amount_unit(t: str, m: re.Match) -> bool:
    """A coin named as the unit of an amount or a field's currency ("a 100 USDT minimum", "0.30% of the USDC trade
    value", "Payment Currency: USDT") says how much, not how the affiliate is paid."""
    st = _structure()
    return bool(st["method_amount_unit_before"].search(t, max(0, m.start() - 20), m.start())
                or st["method_amount_unit_after"].match(t, m.end()))


def _drop_destinations(t: str, found: dict[str, Found]) -> None:
    """"Wire transfer - add your IBAN and bank code", "Direct deposit to your bank account", "credited to
    your account, then paid by check": where the money lands is not a second method."""
    for name, (details, yields_to) in _rules().method_details.items():
        hit = found.get(name)
        if hit is None or not details.match(t, hit.span[0]):
            continue
        others = set(found) - {name}
        if others & yields_to or ("any" in yields_to and others):
            del found[name]


def _restrictions(text: str, terms: Terms) -> None:
    """Forbidden traffic: what `matrix.normalize.text` reads ("No X", "X is not allowed", labelled
    lists) plus the sentence-level prohibitions of `_prohibited_types`."""
    from matrix.normalize.text import extract_traffic_spans

    found = {f"no-{name}": span for name, span in extract_traffic_spans(text)}
    t = text.translate(_SAME_LENGTH)
    for s, e in _clauses(t):
        for name, span in _prohibited_types(t, s, e):
            found.setdefault(f"no-{name}", span)
    for name, span in _bad_practices(t) + _adult_material(t) + _brand_bidding_on_consent(t) + _field_verdicts(t) \
            + _marked_items(t) + _headed_list_items(t) + _titles_with_sanction(t) + _practice_definitions(t) \
            + _permission_exceptions(t) + _questions_answered_no(t) + _anti_spam_rules(t) + _protected_keywords(t):
        found.setdefault(f"no-{name}", span)
    for name, span in _included_examples(t, found):
        found.setdefault(f"no-{name}", span)
    for name in [n for n, span in found.items() if _names_something_else(t, n[3:], span)]:
        del found[name]
    if "no-coupon" in found and _coupons_only_authorised(t):
        del found["no-coupon"]
    if "no-sub-affiliate" in found and _NO_OVERRIDE_AFTER.match(t, found["no-sub-affiliate"][1]):
        del found["no-sub-affiliate"]      # (session 16) "No second-level (sub-affiliate) commissions": no override paid
    if "no-incent" in found and _NO_PAY_AFTER.match(t, found["no-incent"][1]):
        del found["no-incent"]      # (session 16) "No monetary incentive: recognition only, no payments": nothing is paid
    if "no-search" in found and "no-brand-bidding" in found and _search_only_on_brand(t, found["no-search"]):
        del found["no-search"]      # "PPC advertising is not allowed on brand keywords": the ban is on brand bidding
    _search_ban_on_the_brand(t, found)
    _social_ads_as_paid_examples(t, found)
    _consent_rules_are_spam(t, found)
    if "no-spam" in found and "no-email" in found and _email_only_as_spam_channel(t):
        del found["no-email"]
    for name in [n for n, span in found.items() if _part_of_another_ban(t, n, span, found) or _conditional_ban(t, n, span)]:
        del found[name]
    terms.restrictions = [Found(name, span) for name, span in sorted(found.items(), key=lambda kv: kv[1][0])]


# (session 16) a sub-affiliate word right before a payment noun says which commissions are not paid, not what traffic
# is banned
_NO_OVERRIDE_AFTER = re.compile(r"(?i)[)\]\s-]*(?:commissions?|payouts?|overrides?|rewards?|earnings|bonus(?:es)?|levels?)\b")


# (session 16) an incentive word followed by the program's own statement that it pays nothing
_NO_PAY_AFTER = re.compile(r"(?i)[^.;|\n]{0,12}?[:(,-]\s*(?:(?:public )?(?:recognition|badges?|kudos|credit|thanks)\s+only"
                           r"|no (?:payments?|payouts?|money|cash|commissions?)\s*(?:$|[.;|\n)]))")


_EXAMPLES_STOP = re.compile(r"(?i)[.;|\n]|\b(?:but|however|except|unless|other than|apart from|allowed|permitted|welcome)\b")


def _included_examples(t: str, found: dict[str, tuple[int, int]]) -> list[tuple[str, tuple[int, int]]]:
    """(session 11) The examples a ban lists right after the banned type ("No PPC activity is allowed (including brand
    or generic keywords)", "incentivised traffic such as cashback sites"): each example is banned with it, up to the
    end of the aside or clause, or a word that permits or excepts."""
    out: list[tuple[str, tuple[int, int]]] = []
    for _a, b in list(found.values()):
        m = _structure()["restriction_inclusion"].match(t, b)
        if m is None:
            continue
        stop = _EXAMPLES_STOP.search(t, m.end())
        end = stop.start() if stop is not None else len(t)
        if "(" in t[b:m.end()]:
            close = t.find(")", m.end(), end)
            end = close if close >= 0 else end
        out.extend((name, h.span()) for name, rx in _traffic_patterns() for h in [rx.search(t, m.end(), end)]
                   if h is not None and not _described(t, m.end(), name, h.start(), h.end()))
    return out


# (session 13) an example list of paid-ads platforms that a search-ad product opens: "paid advertising (PPC, Facebook
# Ads)", "(e.g., Google Ads, Facebook Ads or LinkedIn Ads)", "platforms like Google Ads, Bing Ads, or Facebook Ads"
_PAID_ADS_EXAMPLES = re.compile(
    r"(?i)(?:\(|\b(?:e\.g\.|eg|i\.e\.|including(?: but not limited to)?|such as|like|for example)[,:]?)\s*(?:[\w-]+\s+){0,3}?"
    r"(?:ppc|google ads|bing ads|yahoo ads|adwords|microsoft ads|pay[\s-]per[\s-]click)\b[^.;|()]{0,60}?"
    r"(?:\b(?:facebook|instagram|meta|linkedin|tiktok|pinterest|twitter|snapchat)(?:/\w+)*\s+ads?\b[,\s]*(?:or\s+|and\s+)?)+")


def _social_ads_as_paid_examples(t: str, found: dict[str, tuple[int, int]]) -> None:
    """(session 13) A social network's ad product listed after a search-ad product among the examples of a paid-ads ban
    ("Paid advertising (PPC, Facebook Ads) is prohibited", "pay-per-click systems (e.g., Google Ads, Facebook Ads)") is one
    more paid-ads platform: the labelled rounds read it as the paid-search ban alone, not a ban of social media. A social
    mention anywhere else ("Social Media | Facebook Ads", "SEA and Facebook ads campaigns are forbidden") keeps it."""
    if "no-social" not in found:
        return
    lists = [m.span() for m in _PAID_ADS_EXAMPLES.finditer(t)]
    if not lists:
        return
    mentions = [m.span() for name, rx in _traffic_patterns() if name == "social" for m in rx.finditer(t)]
    if mentions and all(any(a <= ms and me <= b for a, b in lists) for ms, me in mentions):
        del found["no-social"]


def _email_only_as_spam_channel(t: str) -> bool:
    """"Spam in any form, by email or via messengers", "bulk mailing to people who do not want the email": each email
    word sits in a sentence about spam, so the ban is on spam sent by email, not on email marketing."""
    mentions = list(_vocab_rx("spam_channel_email").finditer(t))
    spam = _vocab_rx("spam_word_in_sentence")
    channel = _vocab_rx("spam_channel_before")
    return bool(mentions) and all(spam.search(_sentence_around(t, m.start()))
                                  and channel.search(t, max(0, m.start() - 30), m.start()) for m in mentions)


def _sentence_around(t: str, i: int) -> str:
    start = max(t.rfind(c, 0, i) for c in ".;!?|\n") + 1
    ends = [j for j in (t.find(c, i) for c in ".;!?|\n") if j >= 0]
    return t[start:min(ends, default=len(t))]


def _coupons_only_authorised(t: str) -> bool:
    """Every coupon word of the text is qualified by its authorisation ("unauthorized coupon codes", "unapproved
    discounts, voucher codes") or is a customer's stacking of codes: the rule is which codes may be used, not a ban
    on coupon sites. One unqualified mention ("no coupon sites") keeps the ban."""
    st = _structure()
    mentions = list(st["restriction_coupon_mention"].finditer(t))
    if st["restriction_coupon_site"].search(t):
        return False
    return bool(mentions) and all(
        st["restriction_coupon_authorised_before"].search(t, max(0, m.start() - 50), m.start())
        or st["restriction_coupon_authorised_after"].match(t, m.end())
        or st["restriction_coupon_usage_after"].match(t, m.end()) or _KEYWORD_PLUS_BEFORE.search(t, max(0, m.start() - 30),
                                                                                                   m.start())
        or _KEYWORD_PLUS_AFTER.match(t, m.end()) for m in mentions)


# (session 17) "“Acme + coupon” in paid search", "coupon + brand": a coupon word joined by "+" is a search keyword
_KEYWORD_PLUS_BEFORE = re.compile(r"\+\s*$")
_KEYWORD_PLUS_AFTER = re.compile(r"\s*\+\s*\S")


# "Anti-Spam Compliance", "must comply with anti-spam standards": a rule named against spam bans it (not a mailbox's
# "anti-spam filter"; "CAN-SPAM" is a law's name and may only set how permitted mail is sent)
_ANTI_SPAM = re.compile(r"(?i)\banti[- ]?spam\b(?!\s+(?:filters?|software|tools?|checks?|protection|systems?))")


def _anti_spam_rules(t: str) -> list[tuple[str, tuple[int, int]]]:
    m = _ANTI_SPAM.search(t)
    return [] if m is None else [("spam", (m.start(), m.end()))]


def _protected_keywords(t: str) -> list[tuple[str, tuple[int, int]]]:
    """(session 11) "Protected keywords", "Protected SEM Bidding Keywords": keywords reserved to the merchant are a ban
    on bidding on them (the brand), with or without a ban word beside them."""
    m = _structure()["restriction_protected_keywords"].search(t)
    return [] if m is None else [("brand-bidding", m.span())]


_MESSAGE_CHANNELS = ("no-email", "no-sms")


# The recipient's consent, not the merchant's approval ("without their consent", "to people who have not opted in",
# "lists you do not have permission to send to"; not "without our consent", "without prior written permission")
_RECIPIENT_CONSENT = re.compile(
    r"(?i)[^.;|]{0,60}?\b(?:(?:without|(?:do|does|did) not have|don't have|lack\w*|no)\s+"
    r"(?!(?:our|prior|written|advance|the (?:merchant|advertiser|company|program))\b)(?:[\w'’-]+\s+){0,2}?"
    r"(?:consent|opt[- ]?in|permission(?=\s+(?:from|of)\s+(?:the\s+)?(?:recipients?|users?|customers?|subscribers?|people|them)"
    r"|\s+to\s+(?:send|email|e-mail|contact|message|text)))"
    r"|(?:have|has|had) not (?:opted[\s-]in|consented|subscribed|agreed))")


def _consent_rules_are_spam(t: str, found: dict[str, tuple[int, int]]) -> None:
    """Email or SMS banned only to people who have not consented ("send SMS to people who have not opted in",
    "email without the recipient's permission") is a rule against spam, not a ban of the channel."""
    for name in [n for n in _MESSAGE_CHANNELS if n in found]:
        if _RECIPIENT_CONSENT.match(t, found[name][1]):
            found.setdefault("no-spam", found[name])
            del found[name]


def _search_ban_on_the_brand(t: str, found: dict[str, tuple[int, int]]) -> None:
    """A search ban whose clause names the program's brand ("PPC campaigns that target the Acme name", "don't bid on
    'Acme' in Google Ads", "sponsored results for our brand", "auf die Marke Acme in Google Ads") bans bidding on the
    brand, not search: the labelled rounds agree that a search ban scoped to the brand is brand bidding alone."""
    span = found.get("no-search")
    if span is None or "no-brand-bidding" in found:
        return
    clause = next(((s, e) for s, e in _clauses(t) if s <= span[0] < e), None)
    if clause is None:
        return
    brand = _structure()["restriction_brand_reference"].search(t, *clause)
    if brand is not None and not _WIDENING_BEFORE.search(t, max(clause[0], brand.start() - 30), brand.start()):
        del found["no-search"]
        found["no-brand-bidding"] = brand.span()


# "No search ads (especially on branded terms)": the brand is the worst case of a wider ban, not its scope
_WIDENING_BEFORE = re.compile(r"(?i)\b(?:especially|particularly|in particular|including|even|let alone)\b[^.;|]*$")


@functools.lru_cache(maxsize=1)
def _structure() -> dict[str, re.Pattern]:
    """The vocabulary's patterns for how a page frames a ban (its scope and its conditions) or names a coin as a unit,
    compiled once."""
    vocab = vocabulary()
    return {key: re.compile(vocab[key], re.I) for key in
            ("restriction_conditional_after", "restriction_own_channel_before", "restriction_continuation",
             "restriction_keyword_after", "restriction_sanction", "restriction_other_owner_before",
             "restriction_exception", "restriction_permission_question", "restriction_not_a_practice_after",
             "restriction_disclaimer_before", "restriction_channel_thing_after", "restriction_brand_reference",
             "method_amount_unit_before", "method_amount_unit_after",
             "method_fee_after", "restriction_coupon_mention", "restriction_coupon_site", "restriction_coupon_authorised_before",
             "restriction_coupon_usage_after", "restriction_coupon_authorised_after", "restriction_protected_keywords",
             "restriction_inclusion",
             "restriction_organic_search_before", "restriction_organic_search_after")}


def _conditional_ban(t: str, name: str, span: tuple[int, int]) -> bool:
    """A channel banned only "without prior approval" / "without consent" in its own list item is allowed on
    request (or a consent rule, i.e. spam), not a ban of the channel; brand bidding "without permission" stays
    a restriction (the labelled rounds agree on that one), and so do spam and misleading claims."""
    if name == "no-brand-bidding" or name[3:] in _BAD_PRACTICES:     # spam needs no one's approval to be banned
        return False
    return bool(_structure()["restriction_conditional_after"].match(t, span[1]))


# "Trademark Bidding | No", "COUPON SITE ALLOWED No", "Google Adwords. Not allowed": a field whose value is "No"
_VERDICT_NO = re.compile(r"(?i)(?:\s*[|:]?\s*(?:sites?|traffic|marketing|ads|advertising|allowed|permitted|accepted)\b)*"
                         r"\s*[|:.-]?\s*"
                         r"(?:no|not allowed|not permitted|prohibited|forbidden|disallowed|banned|[✗✘❌×])"
                         r"(?=\s*(?:$|[|;\n.,(]|(?-i:[A-Z]{2,})\b))")


def _field_verdicts(t: str) -> list[tuple[str, tuple[int, int]]]:
    """A traffic type used as a field label whose value is "No" (directory tables and cards)."""
    out = []
    for name, rx in _traffic_patterns():
        for m in rx.finditer(t):
            if _VERDICT_NO.match(t, m.end()) and not _NEGATED_LABEL.search(t, max(0, m.start() - 4), m.start()):
                out.append((name, m.span()))
                break
    return out


_NEGATED_LABEL = re.compile(r"(?i)\bno\s+$")

# "❌ Incentivized traffic ✅ SEO", "🚫 Coupon sites": a cross mark before an item of a traffic checklist bans it
_CROSS_BEFORE = re.compile(r"[❌✗✘✖⛔🚫]\ufe0f?\s*(?:[\w-]+\s+)?$")


def _marked_items(t: str) -> list[tuple[str, tuple[int, int]]]:
    """A traffic type led by a cross mark in a checklist (the verdict before the item instead of after it)."""
    out = []
    for name, rx in _traffic_patterns():
        for m in rx.finditer(t):
            if _CROSS_BEFORE.search(t, max(0, m.start() - 16), m.start()):
                out.append((name, m.span()))
                break
    return out


# "b. Trademark Bidding - Bidding on our brand name ...": an enumerated item that titles a practice and defines it
_PRACTICE_TITLE = re.compile(r"(?:^|(?<=[\s|;•]))\(?(?:[a-h]|\d{1,2}(?:\.\d{1,2})*)[.)]\s+"
                             r"(?P<title>(?:(?-i:[A-Z])[\w&/+-]*,?\s+(?:(?:or|and|&)\s+)?){1,6}?)-\s+(?-i:[A-Z])[a-z]+ing\b")


def _practice_definitions(t: str) -> list[tuple[str, tuple[int, int]]]:
    """Enumerated practice definitions ("a. Coupon Sites - Listing our codes on ...; b. Trademark Bidding - Bidding
    on ...") are the items of a rules list whose heading bans them; the title names the type (the definition's own
    words are detail). Not after anything positive (an "Allowed methods:" list defines its items the same way)."""
    out: list[tuple[str, tuple[int, int]]] = []
    for m in _PRACTICE_TITLE.finditer(t):
        if _rules().restriction_positive.search(t, 0, m.start()):
            break
        a, b = m.span("title")
        out.extend((name, (h.start(), h.end())) for name, rx in _traffic_patterns() for h in [rx.search(t, a, b)]
                   if h is not None)
    return out


_ANSWER_NO = re.compile(r"(?i)\s*(?:(?:a|answer)\s*:\s*)?(?:(?:unfortunately|sadly|sorry),?\s+)?(?:no|not)\b"
                        r"(?![\s,.-]*(?:problem|worries|restrictions?|limit|need|matter|only|yet)\b)")


def _questions_answered_no(t: str) -> list[tuple[str, tuple[int, int]]]:
    """An FAQ question asking leave to use a channel, answered "No" ("Can I use coupon sites? No.", "Will I be paid
    for cashback traffic? No, ..."): the channel is banned. Not "No problem", not "Do you offer coupons? No"."""
    out: list[tuple[str, tuple[int, int]]] = []
    for qs, qe in _question_spans(t):
        if _ANSWER_NO.match(t, qe) and _structure()["restriction_permission_question"].search(t, qs, qe):
            out.extend((name, (h.start(), h.end())) for name, rx in _traffic_patterns() for h in [rx.search(t, qs, qe)]
                       if h is not None and not _described(t, qs, name, h.start(), h.end()))
    return out


_SENTENCE_STOP = re.compile(r"[.?!|\n]")


def _question_spans(t: str) -> Iterator[tuple[int, int]]:
    """The spans `re.finditer(r"[^.?!|\\n]*\\?", t)` gives (each question back to the previous stop), found in one
    pass: that pattern retries from every position of a long text without a stop and is quadratic there."""
    start = 0
    for m in _SENTENCE_STOP.finditer(t):
        if m.group() == "?":
            yield start, m.end()
        start = m.end()


def _permission_exceptions(t: str) -> list[tuple[str, tuple[int, int]]]:
    """A blanket permission with exceptions ("All traffic sources are welcome except adult sites and cashback",
    "open to everyone except sites with adult content"): the exceptions are banned, up to the clause's end."""
    out: list[tuple[str, tuple[int, int]]] = []
    for s, e in _clauses(t):
        m = _structure()["restriction_exception"].search(t, s, e)
        if m is None:
            continue
        stop = min([i for i in (t.find(c, m.end(), e) for c in ";:") if i >= 0] + [e])
        out.extend((name, (h.start(), h.end())) for name, rx in _traffic_patterns() for h in [rx.search(t, m.end(), stop)]
                   if h is not None)
    return out


def _titles_with_sanction(t: str) -> list[tuple[str, tuple[int, int]]]:
    """A bare title naming a practice, answered by a sanction in the next clause ("Offering Cashback. We will
    delete your commission and remove you from the program."): the title is banned as a verdict field is."""
    clauses = _clauses(t)
    out: list[tuple[str, tuple[int, int]]] = []
    for (s, e), (s2, e2) in zip(clauses, clauses[1:], strict=False):
        if len(t[s:e].split()) <= 5 and _structure()["restriction_sanction"].search(t, s2, min(e2, s2 + 100)):
            out.extend((name, (m.start(), m.end())) for name, rx in _traffic_patterns() for m in [rx.search(t, s, e)]
                       if m is not None)
    return out
# A list heading that ends in a ban and a colon ("Affiliates are prohibited from: 1.1.", "Your site may not: ...",
# "we may reject your application if your site: 2.1.")
_HEADING_END = re.compile(r"(?i):\s*(?:\.\.\.|…|\(?(?:\d+(?:\.\d+)*|[a-z])[.)])?\s*$"
                          r"|(?<=[a-z])\s*(?:\.\.\.|…)\s*$")     # (session 11) "It is prohibited to...": an ellipsis too
# "(3) Prohibited Activities: a. b.", "The following are strictly prohibited: a. b.": a ban label opening the clause
_BAN_LABEL = re.compile(r"(?i)^\s*(?:\(?\w{1,3}[.)]\s*)?(?:[\w-]+ ){0,4}"
                        r"(?:prohibited|forbidden|restricted|not allowed|not permitted|banned|disallowed)(?: [\w-]+){0,2}"
                        r"(?:\s*:|[ \t]*\n)")     # "PROHIBITED TRAFFIC" alone on its line heads the lines below it
_BAN_HEADING = re.compile(r"(?i)\b(?:prohibited(?: from)?|forbidden|not (?:allowed|permitted)(?: to)?|may not|must not|shall not"
                          r"|cannot|do not|don't|never)\s*$")


# "Your site may not: - a", "Please do not: Purchase ...": a ban heading whose first item follows on the same line
_INLINE_ITEMS = re.compile(r"(?i)\b(?:may not|must not|shall not|cannot|do not|don't|prohibited(?: from)?"
                           r"|not (?:allowed|permitted) to)\s*:\s*(?=[-•*]\s|\d+[.)]\s|(?-i:[A-Z])[a-z]"
                           r"|(?:\.\.\.|…)\s*[a-z])")     # (session 11) "may not: ... bid on": an elided list


# "Your account will be terminated if you are found:", "Podemos cancelar tu solicitud si:", "Websites are deemed
# inappropriate if they contain sites that are:": a sanction with its condition heads a list of what it sanctions
_SANCTION_HEADING = re.compile(r"(?i)\b(?:terminat|suspend|cancel|reject|declin|den(?:y|ied)|forfeit|void|disqualif|revok"
                               r"|clos(?:e|ed)|rechaz|refus|ablehn|rifiut"
                               r"|(?:deemed|considered) (?:inappropriate|unsuitable|ineligible))\w*\b[^:.;|]{0,120}?"
                               r"\b(?:if|when|where|for|si|se|wenn|falls)\b[^:.;|]{0,80}:"
                               # "The following will lead to immediate termination:"
                               r"|\b(?:leads?|result(?:s)?) (?:to|in) (?:\w+ ){0,2}(?:termination|suspension|removal|closure"
                               r"|forfeiture|reversal)\b[^:.;|]{0,40}:")
_SANCTION_ITEMS = re.compile(r"\s*(?=[-•*]\s|\(?\d+[.)]\s|\w)")


def _ban_heading(t: str, s: int, e: int) -> bool:
    """A clause that opens a list of what is banned: a ban word right before its colon, or a prohibition cue in it
    (in another language a ban word anywhere in it: "Websites mit ... sind ausgeschlossen:")."""
    if _BAN_LABEL.match(t[s:e]):
        return True
    end = _HEADING_END.search(t, s, e)
    stop = end.start() if end is not None else e if _DASH_AFTER.match(t, e) else None
    if stop is None:     # "Traffic to be avoided from these sites - Sex, Violence": a dash opens the list as a colon does
        return False
    r = _rules()
    return bool(_BAN_HEADING.search(t, s, stop) or r.prohibition.search(t, s, stop)
                or r.prohibition_any_side.search(t, s, stop) or _SANCTION_HEADING.search(t, s, stop + 1))


_DASH_AFTER = re.compile(r"(?<![.!?])\s-\s")     # not a bullet dash after a finished sentence


def _list_item_types(t: str, s: int, e: int) -> list[tuple[str, tuple[int, int]]]:
    """The first mention of each type in one governed list item, unless it only describes the material or is the
    item's exception ("... other than those banners we approve")."""
    from matrix.normalize.text import CONDITIONAL, EXCEPTED_BEFORE, ITEM_ALLOWED_AFTER

    if CONDITIONAL.search(t, s, e):      # "SEM - needs approval" is allowed on request
        return []
    return [(name, (m.start(), m.end())) for name, rx in _traffic_patterns() for m in [rx.search(t, s, e)]
            if m is not None and not _described(t, s, name, m.start(), m.end()) and not ITEM_ALLOWED_AFTER.match(t, m.end())
            and not EXCEPTED_BEFORE.search(t, s, m.start())]


def _inline_items_start(t: str, s: int, e: int) -> int | None:
    """Where the items of a ban heading begin inside the heading's own clause ("Please do not: Purchase ...",
    "Methods not allowed:\n- Email\n- Pop-ups" read as one clause), or None."""
    inline = _INLINE_ITEMS.search(t, s, e)
    if inline is not None:
        return inline.end()
    sanction = _SANCTION_HEADING.search(t, s, e) or _rules().prohibition_any_side.search(t, s, e)
    colon = t.find(":", sanction.end() - 1, e) if sanction is not None else -1
    if colon >= 0 and t[s:colon].count(":") == 0 and _SANCTION_ITEMS.match(t, colon + 1, e):
        return colon + 1
    label = _BAN_LABEL.match(t[s:e])
    return s + label.end() if label is not None and t[s + label.end():e].strip() else None


def _headed_list_items(t: str) -> list[tuple[str, tuple[int, int]]]:
    """Types named in the clauses after a ban heading, until a clause says something positive or opens a
    new heading: the heading's ban governs every item of its list."""
    from matrix.normalize.text import ALLOWED_LABEL

    r = _rules()
    out: list[tuple[str, tuple[int, int]]] = []
    governed = after_ban = False
    for s, e in _clauses(t):
        if governed and r.restriction_positive.search(t, s, e):
            governed = False
        inline = _inline_items_start(t, s, e)      # "Your site may not: - a. - b.": the heading's own clause holds item one
        # "You may not run paid ads. This includes: Google Ads; Meta Ads": the examples of a ban are banned too
        continues = after_ban and _structure()["restriction_continuation"].match(t, s)
        permitted = ALLOWED_LABEL.search(t, s, e)      # "Prohibited: - SEM Permitted: - Content": the next list permits
        if governed or inline is not None or continues:
            out.extend(_list_item_types(t, inline if inline is not None and not governed else s,
                                        permitted.start() if permitted is not None else e))
        after_ban = _ban_sentence(t, s, e)
        if permitted is not None:
            governed = False
        elif inline is not None or _ban_heading(t, s, e):
            governed = True
        elif t[s:e].rstrip().endswith(":"):
            governed = False
    return out


_BAN_WORDS = re.compile(r"(?i)\b(?:prohibit\w*|forbid\w*|not (?:allowed|permitted|accepted|tolerated)|may not|must not"
                        r"|shall not|cannot|do not|don't|never|banned)\b")


def _ban_sentence(t: str, s: int, e: int) -> bool:
    """A clause that bans something and permits nothing ("You are strictly prohibited from running paid ads")."""
    r = _rules()
    return bool(_BAN_WORDS.search(t, s, e) or r.prohibition.search(t, s, e)) and not r.restriction_positive.search(t, s, e)


_VENUE_GAP = re.compile(r"(?i)^[^.;:|•\n]{0,60}?\b(?:in|on|via|through|across)[^\S\n]+"
                        r"(?:[\w-]+,?[^\S\n]+(?:or\s+|and\s+)?){0,6}$")     # one line: a line break ends the venue


_AD_VENUES = ("search", "social", "display", "native", "brand-bidding")


def _another_kind_between(t: str, a: int, b: int) -> bool:
    """(session 11) "trademark bidding on paid search, fake coupon sites, and incentivized traffic": a type of another
    kind than an ad venue between the brand bid and a later type makes the later one an item of a list of bans, not
    a venue of the brand bid."""
    return any(rx.search(t, a, b) for name, rx in _traffic_patterns() if name not in _AD_VENUES)


_EXAMPLES_OPEN = re.compile(r"(?i)\((?:e\.g\.?|i\.e\.?|such as|like|for example|including)[^)]*$")
# "without consent", "to lists that you do not have permission to send to", "lacking opt-in"
_WITHOUT_CONSENT = re.compile(r"(?i)[^.;|]{0,60}?\b(?:(?:without|(?:do|does|did) not have|don't have|lack\w*|no)"
                              r" (?:[\w-]+ ){0,2}(?:consent|permission|opt[- ]?in)"
                              r"|(?:have|has|had) not (?:opted[\s-]in|consented|subscribed|agreed))")


def _part_of_another_ban(t: str, name: str, span: tuple[int, int], found: dict[str, tuple[int, int]]) -> bool:
    """A type named only as a detail of another ban: the ad platforms or example keywords of a brand-bidding ban
    ("bid on branded keywords ... in Google Ads, Facebook Ads", "brand terms (e.g. [Brand Coupons])"), or the channel
    of a spam ban ("sending SMS or email without consent")."""
    if _inside_another_ban(name, span, found):
        return True
    if "no-brand-bidding" in found and name != "no-brand-bidding":
        brand_ends = [m.end() for n, rx in _traffic_patterns() if n == "brand-bidding" for m in rx.finditer(t, 0, span[0])]
        examples = _EXAMPLES_OPEN.search(t, max(0, span[0] - 120), span[0])     # inside "(e.g. [Brand Coupons]"
        # (session 15) a bad practice ("... brand terms in search ads, and cloaked or misleading links") is no venue
        venue = name[3:] not in _BAD_PRACTICES
        if brand_ends and ((venue and _VENUE_GAP.match(t[max(brand_ends):span[0]])
                            and not _another_kind_between(t, max(brand_ends), span[0]))
                           or (examples and any(examples.start() - 60 <= x <= examples.start() for x in brand_ends))):
            return True
    if name not in ("no-email", "no-sms", "no-social") or "no-spam" not in found:
        return False
    spam = found["no-spam"]     # "purchased email lists": the channel word inside the spam ban's own words
    inside = spam[0] <= span[0] and span[1] <= spam[1]
    return inside or bool(_WITHOUT_CONSENT.match(t, span[1])) or _example_of_spam(t, span)


def _inside_another_ban(name: str, span: tuple[int, int], found: dict[str, tuple[int, int]]) -> bool:
    """(session 13) A type word inside the words of a brand-bidding ban ("brand-based contextual advertising", "bid on
    "Acme" in Google Ads"): one practice is banned, bidding on the brand, named by its whole phrase (a coordination such as
    "discount code or cashback websites" bans both kinds, so only the brand ban absorbs what it contains)."""
    o = found.get("no-brand-bidding")
    return name != "no-brand-bidding" and o is not None and o[0] <= span[0] and span[1] <= o[1] \
        and o[1] - o[0] > span[1] - span[0]


_SPAM_EXAMPLES = re.compile(r"(?i)\bspam\w*\b[^.;|•]{0,120}?(?:\bincluding\b|\bsuch as\b|\be\.g\.|\bfor example\b|\(|:)[^.;|•]*$")


def _example_of_spam(t: str, span: tuple[int, int]) -> bool:
    """"Spam is prohibited, including ... such as sending emails to bought lists", "spam in any form (e-mail,
    texting, social networks)": the channel is an example of the spam ban, not banned itself."""
    return bool(_SPAM_EXAMPLES.search(t, max(0, span[0] - 240), span[0]))


_BAD_PRACTICES = ("spam", "misleading")


def _bad_practices(t: str) -> list[tuple[str, tuple[int, int]]]:
    """Spam and misleading claims are never a channel a program allows: terms that name them forbid them, in any
    language and with or without a sanction ("... will be terminated for: false claims; spamming", "1.3. Using spam
    in any form", "Hindari klaim berlebihan atau spam"). Every labelled round agrees: no quote names either without
    banning it. Not a mailbox folder ("check your spam folder") and not one followed by a permission."""
    out = []
    for name, rx in _traffic_patterns():
        m = next((m for m in rx.finditer(t) if _names_the_practice(t, m)), None) if name in _BAD_PRACTICES else None
        if m is not None and not _rules().restriction_positive.match(t, m.end() + 1):
            out.append((name, m.span()))
    return out + _listed_with_bad_practices(t, out)


# Sexual material named as such ("explicit content", "pornographic material", "erotic sites", "adult content"), not
# the bare words "adult" ("you must be an adult") or "sex" ("regardless of race or sex")
_ADULT_MATERIAL = re.compile(r"(?i)porn|explicit|sexual|nsfw|adult(?:[\s-]*|(?:,? (?:or |and )?[\w-]+){1,3},? )(?:content|sites?"
                             r"|websites?|traffic|material|themed|oriented|entertainment|products?|nature|industry)")
_UNTIL_ITEM_END = re.compile(r"[^.;|\n]{0,30}")
_IN_WORD_OR_HOST = re.compile(r"[\w.-][\w-]*\.(?:com|net|org|io|co|de|uk|fr|es|it|nl|au|ca|in|movie|tv|xxx)\b|\w", re.I)


def _adult_material(t: str) -> list[tuple[str, tuple[int, int]]]:
    """Terms pages name sexual material only to keep it away from the program ("a site free of explicit content",
    "websites that contain illegal, adult or violent content", "erotic content"): every labelled round agrees (73 of
    75 development quotes that name it ban it; the other two name a host and a template). Not where a permission
    stands beside it ("adult traffic is welcome") and not in a disclaimer."""
    from matrix.normalize.text import TRAFFIC_TYPES

    st = _structure()
    for i, (name, rx) in enumerate(_traffic_patterns()):
        if name != "adult":
            continue
        synonym = i >= len(TRAFFIC_TYPES)     # the vocabulary's own words name only the material
        for m in rx.finditer(t):
            if _IN_WORD_OR_HOST.match(t, max(0, m.start() - 1)) and m.start() > 0:
                continue     # "www.privatporno.com" names a site
            if not (synonym or _ADULT_MATERIAL.match(t, m.start(), min(len(t), m.end() + 40))) or _adult_allowed(t, m) \
                    or st["restriction_not_a_practice_after"].match(t, m.end()) \
                    or st["restriction_disclaimer_before"].search(t, max(0, m.start() - 80), m.start()):
                continue
            return [(name, m.span())]
    return []


# "... is only allowed with our prior written consent": banned unless the merchant consents ("requires approval" is
# labelled no ban in two rounds and is left alone)
_ON_CONSENT_ONLY = re.compile(r"(?i)[^.;|\n]{0,40}?\b(?:(?:is|are) (?:only|solely) (?:allowed|permitted|possible|accepted)"
                              r"|(?:is|are) (?:allowed|permitted) only)\s+"
                              r"(?:with|after|upon|by|to)?\s*(?:(?:our|the|a|prior|written|explicit|express|advance)\s+)*"
                              r"(?:consent|approval|permission|authori[sz]ation)\b")


def _brand_bidding_on_consent(t: str) -> list[tuple[str, tuple[int, int]]]:
    """Brand bidding allowed only with the merchant's consent is banned without it, and the labelled rounds read a
    brand-bidding ban "without permission" as a restriction (other channels on approval are not: `_conditional_ban`)."""
    for name, rx in _traffic_patterns():
        if name == "brand-bidding":
            m = next((m for m in rx.finditer(t) if _ON_CONSENT_ONLY.match(t, m.end())), None)
            if m is not None:
                return [(name, m.span())]
    return []


def _adult_allowed(t: str, m: re.Match) -> bool:
    """A permission in the same list item as the mention ("Adult content: allowed", "we accept adult traffic")."""
    positive = _rules().restriction_positive
    item_start = max([t.rfind(c, 0, m.start()) for c in ".;|\n"] + [m.start() - 40]) + 1
    after = _UNTIL_ITEM_END.match(t, m.end())
    return bool(positive.search(t, item_start, m.start()) or (after and positive.search(t, m.end(), after.end()))
                or re.search(r"(?i)\b(?:accept|welcome|allow|permit)s?\s+(?:\w+\s+){0,2}$", t[item_start:m.start()]))


# "Bidding on", "Using", "Sending": an item that names a practice, as the items of a list of banned acts do
_PRACTICE_ITEM = re.compile(r"(?:^|(?<=[\s|;•*-]))(?-i:[A-Z])[a-z]+ing\b")


def _listed_with_bad_practices(t: str, bad: list[tuple[str, tuple[int, int]]]) -> list[tuple[str, tuple[int, int]]]:
    """A bare list of practices with no verdict at all ("Spam (...) Misleading claims ... Bidding on "Acme" branded
    keywords in paid ads"): what is listed beside spam and misleading claims is banned with them. Only brand bidding,
    named as a practice item, and only where nothing in the text permits anything."""
    if not bad or _rules().restriction_positive.search(t):
        return []
    out: list[tuple[str, tuple[int, int]]] = []
    for name, rx in _traffic_patterns():
        if name == "brand-bidding":
            out.extend((name, m.span()) for m in rx.finditer(t)
                       if any(p.start() <= m.start() <= p.start() + 60 for p in _PRACTICE_ITEM.finditer(t, 0, m.end()))
                       or _numbered_title(t, m))
    return out[:1]


# (session 16) the title of a numbered rule, "5.3. Anúncios em Palavras-Chave da Marca: Comprar ...", like its siblings
# "5.2. Spam: ..." and "5.4. Promessas Falsas: ..."
_NUMBERED_TITLE_BEFORE = re.compile(r"(?:^|(?<=\s))\d{1,2}(?:\.\d{1,2})*\.?\s+(?:[^\W\d_][\w-]*\s+){0,3}$")
_TITLE_END_AFTER = re.compile(r"[^.:;|\n]{0,20}:")


def _numbered_title(t: str, m: re.Match) -> bool:
    return bool(_NUMBERED_TITLE_BEFORE.search(t, max(0, m.start() - 40), m.start()) and _TITLE_END_AFTER.match(t, m.end()))


_WEAK_SPAM = re.compile(r"(?i)(?:bulk|mass|unsolicited)\b")
# (session 17) "Send unsolicited email or SMS campaigns": unsolicited messages are spam by definition, in any list item
# ... unless only the law on it is named ("must comply with current laws regarding unsolicited emails"): how permitted
# mail is sent, not a ban
_LAW_ON_BEFORE = re.compile(r"(?i)\b(?:laws?|legislation|regulations?|acts?|rules)\s+(?:regarding|on|about|governing|concerning"
                            r"|relating to|against)\s+$")
_UNSOLICITED_MESSAGES = re.compile(r"(?i)unsolicited\s+(?:(?:commercial|bulk|marketing|promotional)\s+)?"
                                   r"(?:e-?mails?|e-?mailings?|messages?|sms|texts?|mail(?:ings|outs?)?|dms?|calls?)\b")


def _names_the_practice(t: str, m: re.Match) -> bool:
    """Not a mailbox folder ("check your spam folder") and not a disclaimer ("we are not responsible for misleading
    claims made by third parties")."""
    st = _structure()
    if _WEAK_SPAM.match(m.group(0)) and (not _UNSOLICITED_MESSAGES.match(t, m.start())
                                         or _LAW_ON_BEFORE.search(t, max(0, m.start() - 40), m.start())):
        return False     # "unlike bulk email services": bulk mail is banned only where a rule says so
    return not (st["restriction_not_a_practice_after"].match(t, m.end())
                or st["restriction_disclaimer_before"].search(t, max(0, m.start() - 80), m.start()))


def _search_only_on_brand(t: str, span: tuple[int, int]) -> bool:
    """Every search mention of the banned one's clause shares its list item ("|" / ";" pieces) with a brand
    mention: "PPC on brand keywords" bans brand bidding only, "SEM - Brand | SEM - Generic" bans both."""
    clause = next(((s, e) for s, e in _clauses(t) if s <= span[0] < e), None)
    if clause is None:
        return False
    pats = dict(reversed(_traffic_patterns()))     # (session 13) the core pattern of a type wins over its synonyms
    brand_ref = _structure()["restriction_brand_reference"]
    for m in re.finditer(r"[^|;]+", t[clause[0]:clause[1]]):
        piece = m.group(0)
        if pats["search"].search(piece) and not any(rx.search(piece) for n, rx in _traffic_patterns()
                                                    if n == "brand-bidding") and not brand_ref.search(piece):
            return False
        if _BRAND_AS_EXAMPLE.search(piece):
            return False     # (session 11) "No PPC (including brand or generic keywords)": the brand is an example
        if _search_apart_from_brand(piece, pats["search"]):
            return False
    return True


# (session 11) a brand named as an example of a wider search ban ("No PPC activity (including brand or generic keywords)")
# widens it: search as such stays banned
_BRAND_AS_EXAMPLE = re.compile(r"(?i)\b(?:including|incl\.|such as|e\.g\.|for example)\s+(?:on\s+)?(?:our\s+|the\s+)?"
                               r"brand(?:ed)?\b")


def _search_apart_from_brand(piece: str, search: re.Pattern) -> bool:
    """"PPC search activity and brand name bidding is forbidden": a search mention joined to the brand mention right
    after it by a conjunction is a second banned practice, not the medium of the brand bid."""
    from matrix.normalize.text import SEARCH_BRAND_COORDINATED

    brands = [b.start() for n, rx in _traffic_patterns() if n == "brand-bidding" for b in rx.finditer(piece)]
    for m in search.finditer(piece):
        nxt = min((b for b in brands if b >= m.end()), default=None)
        if nxt is not None and nxt - m.end() <= 25 and SEARCH_BRAND_COORDINATED.search(piece, m.end(), nxt):
            return True
    return False


# "spam email", "unsolicited commercial email", "search engine spam": the ban is on spam, not on the channel;
# "bidding on Google Adwords using brand keywords": the ban is on brand bidding, not on search
_SPAM_BEFORE = re.compile(r"(?i)\b(?:spam(?:my)?|unsolicited|bulk|mass|junk)\s+(?:\w+\s+)?$")
# "search engine spam", "blog/forum spamming" (on one line)
_SPAM_AFTER = re.compile(r"(?i)(?:[^\S\n]+engine)?(?:[^\S\n]*/[^\S\n]*[\w-]+)?(?:[^\S\n]+|-)[(\"'“‘]?spam")
# "Email policy", "Social media guidelines": a heading naming the topic of the rules after it, not a ban
_TOPIC_HEADING_AFTER = re.compile(r"(?i)[^\S\n]+(?:policy|policies|guidelines|rules)\b(?!\s*:)")     # (session 11) rules
# (session 17) "Code/incentive harvesting", "coupon harvesting": collecting codes or offers is a fraud, not the channel
_MISUSE_AFTER = re.compile(r"(?i)\s+(?:misuse|abuse|non[- ]?transparency|non[- ]?disclosure|harvest(?:ing|ers?)?)\b"
                           r"|\s*/\s*[\w-]+\s+harvest(?:ing|ers?)?\b")
_BID_BEFORE = re.compile(r"(?i)\bbid(?:s|ding)?\s+on\s+(?:\w+\s+)?$")
# "Prohibited Content:", "controversial content": a heading or a kind of material, not content sites
_CONTENT_ROLE = re.compile(r"(?i)\b(?:no|and|or|of|the|any|via|on|in|use|using|allowed|prohibited|restricted)\s+$")


def _names_something_else(t: str, name: str, span: tuple[int, int]) -> bool:
    a, b = span
    before = t[max(0, a - 30):a]
    if name in ("email", "search", "sms") and _SPAM_BEFORE.search(before):
        return True
    if name not in _BAD_PRACTICES and (_SPAM_AFTER.match(t, b) or _own_channel(t, name, a)):
        return True     # "forum spam" bans spam in forums; "the company's social media" is not the affiliate's channel
    if name != "spam" and _TOPIC_HEADING_AFTER.match(t, b):
        return True
    if name in ("email", "sms") and _structure()["restriction_channel_thing_after"].match(t, b):
        return True     # "cashback for newsletter sign-ups": the sign-up is rewarded, email is not the banned channel
    if name == "spam" and _structure()["restriction_not_a_practice_after"].match(t, b):
        return True     # "check your spam folder"
    if name == "brand-bidding" and _structure()["restriction_other_owner_before"].search(before):
        return True     # "third-party trademarks": an IP rule about others' marks, not bidding on the program's brand
    if name == "coupon" and (_customer_code_before(t, a) or _CODE_USED_AFTER.match(t, b)):
        return True     # "purchases made with a coupon code not assigned to you": one order's code, not coupon sites;
        #                 (session 13) so is "2% when no voucher used", "only if no voucher code is used"
    if name in ("coupon", "incent") and _structure()["restriction_keyword_after"].match(t, b):
        return True     # "coupon/discount terms", "cashback keywords": search keywords, not coupon or cashback sites
    if name == "search" and _BID_BEFORE.search(before):
        return True
    if _place_or_ground(t, name, b, before):
        return True
    if _not_the_channel(t, name, a, b, before):
        return True
    if _MISUSE_AFTER.match(t, b):
        return True     # "coupon misuse", "sub-affiliate non-transparency": a way of misusing a channel, not the channel
    if name == "content" and not re.fullmatch(r"(?i)content (?:sites?|websites?)|blogs?", t[a:b]):
        return True     # "SEO tactics", "age-restricted content", "reviews": material or a method, not content sites
    if name == "content" and t[a:b].lower().startswith("content"):
        heading = bool(re.match(r"\s*:|\s+(?:that|which|with|including|includes|lock\w*)\b", t[b:]))
        word_before = re.search(r"[A-Za-z]+\s+$", before)
        return heading or bool(word_before and not _CONTENT_ROLE.search(before))
    return False


# (session 13) "spamming on forums or blogs": the places spam is sent to; "discrimination based on sex, race ...": a ground
# of discrimination; "banner exchanges, click exchanges": a traffic-exchange scheme
_SPAM_PLACE_BEFORE = re.compile(r"(?i)\bspam\w*\s+(?:on|in|via|through|across|to)\s+(?:[\w-]+(?:,|\s+(?:or|and))?\s+){0,3}$")
_GROUND_BEFORE = re.compile(r"(?i)\b(?:based on|on the basis of|regardless of|on grounds? of)\s+"
                            r"(?:[\w-]+\s*(?:,|or|and)\s*){0,4}$")
_GROUND_AFTER = re.compile(r"(?i)\s*(?:,|or|and)\s*"
                           r"(?:race|religion|gender|age|nationality|ethnicity|colou?r|disability)(?![\w-])")
_EXCHANGE_AFTER = re.compile(r"(?i)\s*exchanges?\b")


def _place_or_ground(t: str, name: str, b: int, before: str) -> bool:
    """(session 13) A type word that names where a banned practice happens or why, not a channel of its own: content and
    social sites as the places of spam ("No spamming on forums or blogs"), sex as a ground of discrimination
    ("Discrimination based on sex, race, religion"), banners in a "banner exchange" (a traffic exchange)."""
    if name in ("content", "social") and _SPAM_PLACE_BEFORE.search(before):
        return True
    if name == "adult" and (_GROUND_BEFORE.search(before) or _GROUND_AFTER.match(t, b)):
        return True
    return name == "display" and bool(_EXCHANGE_AFTER.match(t, b))


_DISPLAY_VERB_BEFORE = re.compile(r"(?i)\b(?:not|never|n't|to|will|would|must|may|can|cannot|should|please)\s+$")
# (session 11) "banners or links as pop-ups", "our logo as a keyword": what the affiliate uses in the way named next
_USED_AS_AFTER = re.compile(r"(?i)(?:\s+(?:or|and|/)\s+[\w-]+)?\s+as\s+(?:an?\s+)?")


def _not_the_channel(t: str, name: str, a: int, b: int, before: str) -> bool:
    """(session 11) A type word that names no channel of the affiliate's: "organic search" and "search engine results"
    (rankings, not search ads), "does not display or sell advertising" (the verb), "banners or links as pop-ups" (the
    creative; the pop-up is the banned use)."""
    st = _structure()
    if name == "search" and (st["restriction_organic_search_before"].search(before)
                             or st["restriction_organic_search_after"].match(t, b)):
        return True
    if name == "display" and t[a:b].lower() == "display" and _DISPLAY_VERB_BEFORE.search(before):
        return True
    return _used_as_another_type(t, name, b)


def _used_as_another_type(t: str, name: str, b: int) -> bool:
    """A type named as the thing used in another type's way ("banners or links as pop-ups or pop-unders"): the ban is
    on the way it is used (the other type), not on the thing."""
    m = _USED_AS_AFTER.match(t, b)
    if m is None:
        return False
    return any(other != name and rx.match(t, m.end()) for other, rx in _traffic_patterns())


@functools.lru_cache(maxsize=1)
def _customer_code_rx() -> re.Pattern:
    return re.compile(vocabulary()["restriction_customer_code_before"], re.I)


# (session 13) a code used (or not) on an order: "full commission only if no voucher code is used", "1% when a voucher
# code was applied" -- a condition on one order's commission, not a ban of coupon sites
_CODE_USED_AFTER = re.compile(r"(?i)(?:\s+codes?)?\s+(?:is\s+|was\s+|are\s+|were\s+|has\s+been\s+|have\s+been\s+)?"
                              r"(?:used|applied|redeemed|entered)\b")


def _customer_code_before(t: str, a: int) -> bool:
    return bool(_customer_code_rx().search(t, max(0, a - 50), a))


def _own_channel(t: str, name: str, a: int) -> bool:
    """"our newsletter", "the company's social media pages": the merchant's own channel, named as a place (not
    brand bidding, whose "our brand" is exactly what is banned)."""
    return name != "brand-bidding" and bool(_structure()["restriction_own_channel_before"].search(t, max(0, a - 30), a))


@functools.lru_cache(maxsize=1)
def _traffic_patterns() -> list[tuple[str, re.Pattern]]:
    """Traffic types as named by `matrix.normalize.text.TRAFFIC_TYPES` plus the vocabulary's synonyms."""
    from matrix.normalize.text import NOT_IN_HOST, TRAFFIC_TYPES

    r = _rules()
    out = [(k, re.compile(rf"(?<![\w-])(?:{v})(?![\w]){NOT_IN_HOST}", re.I)) for k, v in TRAFFIC_TYPES.items()]
    return out + list(r.restriction_synonyms.items())


_NO_BEFORE = re.compile(r"(?i)\bno\s+$")
_SELF_STANDING = ("misleading", "adult", "spam")     # types that are themselves a description of the material


def _prohibited_types(t: str, s: int, e: int) -> list[tuple[str, tuple[int, int]]]:
    """Types named after a prohibition cue of the same sentence ("The terms prohibit trademark bidding",
    "Any violations (such as brand bidding) ...", "We restrict: incentivized traffic; toolbars") or a
    few words after a negator ("don't include our trademarks"), with nothing positive in between and
    not used as a description ("unsuitable content"), or followed by a verdict ("... are not permitted")."""
    from matrix.normalize.text import ban_follows

    r = _rules()
    cues = [m.end() for m in r.prohibition.finditer(t, s, e) if not _negated(t, m.start())]
    any_side = bool(r.prohibition_any_side.search(t, s, e))     # "Pornografische Inhalte sind ausgeschlossen"
    out: dict[str, tuple[int, int]] = {}
    hits = [(name, (m.start(), m.end())) for name, rx in _traffic_patterns() for m in rx.finditer(t, s, e)
            if not r.restriction_verb_use.match(t, m.end())]
    for name, (a, b) in _head_mentions(t, hits):
        governed = any(_governs(t, c, a) for c in cues) or any_side
        negated = r.restriction_negator.search(t, max(s, a - 60), a) or _bad_practice_negated(t, s, name, a) \
            or ban_follows(re.split(r"[|;:•\n]", t[b:e], maxsplit=1)[0])     # "keyword containing our name: not permitted"
        described = _described(t, s, name, a, b)
        item_end = min([i for i in (t.find(c, b, e) for c in ";,.|") if i >= 0] + [e, b + 40])
        # "We prohibit spam; email is allowed" (but "No brand PPC is permitted" bans it)
        allowed = r.restriction_positive.search(t, b, item_end) and not _NO_BEFORE.search(t, max(s, a - 4), a)
        if (governed or negated) and not described and not allowed:
            out.setdefault(name, (a, b))
    brands = [span for name, span in hits if name == "brand-bidding"]
    if "search" in out and any(_near(out["search"], b, 15) for b in brands):
        del out["search"]       # "PPC ads on brand terms", "brand-term PPC": brand bidding, not all search
    return list(out.items())


_SENTENCE_NEGATOR = re.compile(r"(?i)\b(?:not|never|no)\b(?!\s+(?:responsible|liable|accountable)\b)")


def _bad_practice_negated(t: str, s: int, name: str, a: int) -> bool:
    """Spam and misleading claims are never a channel a program allows: a negation anywhere before them
    in the sentence ("you agree not to use any method which could be viewed as spam") bans them, unless
    something positive stands between."""
    if name not in _SELF_STANDING or name == "adult":
        return False
    negs = list(_SENTENCE_NEGATOR.finditer(t, s, a))
    return bool(negs) and not _rules().restriction_positive.search(t, negs[-1].end(), a)


_DESCRIBED_AFTER = re.compile(r"(?i)\s+(?:that|which) (?:is|are)\b")


def _described(t: str, s: int, name: str, a: int, b: int) -> bool:
    """"unsuitable content", "content that is deceptive": the type word describes the banned material
    (an authorisation word describes nothing: "unauthorized brand bidding" bans brand bidding)."""
    from matrix.normalize.text import AUTHORISATION_ONLY, MATERIAL_TYPES

    if name in _SELF_STANDING:
        return False
    q = _rules().restriction_qualifier.search(t, max(s, a - 25), a)
    if q is not None and (not AUTHORISATION_ONLY.match(q.group(0)) or name in MATERIAL_TYPES):
        return True
    return bool(_DESCRIBED_AFTER.match(t, b))


_CLOSED_ASIDE = re.compile(r"\([^()]*\)")


def _governs(t: str, cue_end: int, a: int) -> bool:
    """A prohibition cue governs a type after it with nothing positive between; past a ";" only when
    the cue opens a list ("We restrict: a; b; c"). A closed aside qualifies only its own item: in "Breach: incent
    traffic (unless pre-approved), toolbars" the "unless" spares incent, not the toolbars after it."""
    r = _rules()
    between = t[cue_end:a]
    if cue_end > a or r.restriction_positive.search(_CLOSED_ASIDE.sub(" ", between)):
        return False
    return ";" not in between or bool(re.match(r"\s*:", between)) or bool(r.restriction_list_opener.search(between))


def _head_mentions(t: str, hits: list[tuple[str, tuple[int, int]]]) -> list[tuple[str, tuple[int, int]]]:
    """The traffic-type mentions that name what is banned: a mention inside a longer one ("adult
    content" is adult, not content) or modifying the next one ("email spam" is spam) is dropped."""
    inside = {(n, sp) for n, sp in hits for n2, sp2 in hits
              if n2 != n and sp2[0] <= sp[0] and sp[1] <= sp2[1] and sp2[1] - sp2[0] > sp[1] - sp[0]}
    modifier = {(n, sp) for n, sp in hits for n2, sp2 in hits
                if n2 != n and n not in _SELF_STANDING and sp[1] < sp2[0] and t[sp[1]:sp2[0]].isspace()
                and (n, n2) != ("brand-bidding", "search")}     # "brand-bidding PPC affiliates" is brand bidding
    return [h for h in hits if h not in inside and h not in modifier]


def _near(x: tuple[int, int], y: tuple[int, int], gap: int) -> bool:
    return 0 <= y[0] - x[1] <= gap or 0 <= x[0] - y[1] <= gap


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

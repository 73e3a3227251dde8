"""Terms stated as structured key/value records: a reader beside the prose rules of `terms`.

Offer feeds, directory seed files, API dumps and spreadsheets state terms as records, not sentences:
`"commission_pct": 15, "cookie_days": 60, "recurring": true`, `commission_type: flat / commission_rate: 50.00`,
`"commission": "25-45%", "cpa": "$75-$150"`, `Cookie Duration (days) | 30`. The prose rules find no cue words
there ("commission of", "30-day cookie"), so this module reads the record itself:

1. find the key/value pairs (quoted JSON / Python-dict keys, snake_case YAML or keyword keys, a table row whose
   first cell is a known key);
2. split each key into tokens ("cookieDurationDays" -> cookie, duration, days) and map it to a field with the
   token sets of `records.fields` in `matrix/data/terms/vocabulary.yaml`; the key carries the unit (`_days`,
   `_pct`, `_usd`), a type key (`commission_type: percentage | flat | lead`) says what a bare rate means;
3. read the value as a boolean, a number, a range or an amount of money.

Longer prose values (`"partnerStackCommission": "Earn 30% for the first year"`) stay with the prose rules, which
read the whole text first; the record only fills what they left empty, so an explicit prose reading is never
replaced by a key guess. Keys that are statistics or prices (conversion_rate, epc, aov, approval rate,
monthly_*_potential, retail_price) never become terms: their values are hidden from the prose rules as well.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any

from matrix.models import CommissionModel, PayoutType
from matrix.normalize import terms as _t

_Q_STRING = r'"(?:[^"\\\n]|\\.){0,400}"|\'(?:[^\'\\\n]|\\.){0,400}\''
_SCALAR = r"\[[^\]\n]{0,200}\]|[^,\n}|]{1,80}?(?=\s*(?:[,\n}|]|$|\s/\s))"
# "key": value  /  'key': value  (JSON, Python dicts)
_QUOTED_PAIR = re.compile(r"""(?P<kq>["'])(?P<key>[A-Za-z][\w .()/-]{0,50}?)(?P=kq)\s*:\s*"""
                          rf"(?P<val>{_Q_STRING}|{_SCALAR})")
# commission_type: flat  /  cookie_days=30  (YAML, keyword arguments): an identifier with an underscore
_SNAKE_PAIR = re.compile(r"(?<![\w\"'])(?P<key>[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+)\s*[:=]\s*"
                         rf"(?P<val>{_Q_STRING}|{_SCALAR})")
# cookieDays: 30  /  minPayout = 50  (JavaScript object literals, keyword arguments): a camelCase identifier
_CAMEL_PAIR = re.compile(r"(?<![\w\"'])(?P<key>[a-z][a-z0-9]*(?:[A-Z][a-z0-9]+)+)\s*[:=]\s*"
                         rf"(?P<val>{_Q_STRING}|{_SCALAR})")
# commission: '30% recurring'  (a plain word key with a quoted value: read only beside other record pairs)
_WORD_PAIR = re.compile(rf"(?<![\w\"'])(?P<key>[A-Za-z]{{2,30}})\s*:\s*(?P<val>{_Q_STRING})")
# recurring: yes  (a YAML line with a plain word key: read only in a text that is already a record)
_LINE_PAIR = re.compile(r"(?m)^[ \t]*-?[ \t]*(?P<key>[A-Za-z]{2,30})[ \t]*:[ \t]*(?P<val>[^\n{}\[\]]{1,80}?)[ \t]*,?$")
# Cookie Duration (days) | 30 |  (a table row: a label cell then a value cell)
_ROW_PAIR = re.compile(r"(?:^|\|)\s*(?P<key>[A-Za-z][A-Za-z ()/_-]{1,50}?)\s*\|\s*(?P<val>[^|\n]{1,40}?)\s*(?=\||$)",
                       re.M)
_KEY_TOKEN = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")
_PROSE_WORDS = re.compile(r"[A-Za-z]{2,}")
_DURATION_VALUE = re.compile(r"(?i)^\s*(\d+(?:\.\d+)?)\s*-?\s*([a-z]+)?\s*$")


@dataclass(frozen=True)
class Pair:
    """One key/value pair of a record, with the span of its value in the text."""

    key: str
    tokens: frozenset[str]
    value: str                 # without its quotes
    span: tuple[int, int]      # the value's [start, end)


@functools.cache
def _vocab() -> dict[str, Any]:
    return _t.vocabulary()["records"]


def key_tokens(key: str) -> frozenset[str]:
    """"commission_pct" -> {commission, pct}; "cookieDurationDays" -> {cookie, duration, days}."""
    return frozenset(tok.lower() for tok in _KEY_TOKEN.findall(key))


def _unquote(raw: str, start: int) -> tuple[str, tuple[int, int]]:
    raw_stripped = raw.rstrip()
    if len(raw_stripped) >= 2 and raw_stripped[0] in "\"'" and raw_stripped[-1] == raw_stripped[0]:
        return raw_stripped[1:-1], (start + 1, start + len(raw_stripped) - 1)
    return raw_stripped, (start, start + len(raw_stripped))


def record_pairs(text: str) -> list[Pair]:
    """The key/value pairs of a text that is (or holds) a record; [] for prose. Quoted, snake_case and camelCase keys are
    record syntax on their own; plain-word keys with quoted values count only beside two such pairs or more."""
    pairs: dict[int, Pair] = {}
    for rx in (_QUOTED_PAIR, _SNAKE_PAIR, _CAMEL_PAIR):
        for m in rx.finditer(text):
            _add(pairs, m)
    words = list(_WORD_PAIR.finditer(text))
    if len(words) >= 2:
        for m in words:
            _add(pairs, m)
    if pairs:
        for m in _LINE_PAIR.finditer(text):
            _add(pairs, m)
    for m in _ROW_PAIR.finditer(text):
        if field_of(key_tokens(m.group("key"))) not in (None, "rate") and _plain_value(m.group("val")):
            _add(pairs, m)
    return sorted(pairs.values(), key=lambda p: p.span)


def _add(pairs: dict[int, Pair], m: re.Match) -> None:
    if m.start("key") in pairs or any(p.span[0] <= m.start("key") < p.span[1] for p in pairs.values()):
        return              # a "key" inside another pair's value
    value, span = _unquote(m.group("val"), m.start("val"))
    pairs[m.start("key")] = Pair(m.group("key"), key_tokens(m.group("key")), value.strip(), span)


def _plain_value(value: str) -> bool:
    """A table cell that is a value, not a phrase: a number, amount, percent or duration ("30", "$50", "60 days")."""
    return bool(re.fullmatch(r"(?i)\s*[$€£]?\s*\d[\d.,]*\s*(?:%|[a-z]{1,7})?\s*", value))


def is_statistic(tokens: frozenset[str]) -> bool:
    return bool(tokens & set(_vocab()["statistic_tokens"]))


def fields_of(tokens: frozenset[str]) -> list[str]:
    """The fields of `records.fields` whose token sets the key holds, in vocabulary order; [] for a statistic or
    an unknown key."""
    if not tokens or is_statistic(tokens):
        return []
    return [name for name, token_sets in _vocab()["fields"].items() if any(set(ts) <= tokens for ts in token_sets)]


def field_of(tokens: frozenset[str]) -> str | None:
    """The first field a key names ("cookie_days" -> cookie_days, "conversion_rate" -> None)."""
    return next(iter(fields_of(tokens)), None)


# ---------------------------------------------------------------------------------------------
# values
# ---------------------------------------------------------------------------------------------


def _bool(value: str) -> bool | None:
    v = value.strip().lower()
    if v in _vocab()["true_words"]:
        return True
    if v in _vocab()["false_words"]:
        return False
    return None


def _is_prose(value: str) -> bool:
    """A value with words in it is prose for the prose rules ("Earn 30% for the first year")."""
    return len(_PROSE_WORDS.findall(value)) >= 3


@dataclass
class _Amount:
    lo: float | None
    hi: float
    kind: str               # "pct", "money", "bare"
    currency: str | None


def _amount(value: str) -> _Amount | None:
    """"15" / "25-45%" / "$75-$150" / "up to 30%" -> one figure or a range of one kind; None for anything else."""
    if _is_prose(value) or _bool(value) is not None:
        return None
    nums = _t._numbers(value)
    if not nums or len(nums) > 2:
        return None
    kinds = {n.kind for n in nums} - {"bare"}
    if len(kinds) > 1:
        return None
    kind = kinds.pop() if kinds else "bare"
    currency = next((n.currency for n in nums if n.currency), None)
    values = sorted(n.value for n in nums)
    lo: float | None = values[0]
    if len(values) == 1 and re.search(r"(?i)\bup\s*to\b", value):
        lo = None
    return _Amount(lo, values[-1], kind, currency)


def _key_currency(tokens: frozenset[str]) -> str | None:
    for tok in tokens:
        if len(tok) == 3 and tok.upper() in _t._rules().common_iso:
            return tok.upper()
    return None


def _days(pair: Pair) -> float | None:
    """A cookie window in days: the unit from the value ("60 days") or else from the key ("cookie_hours": 24)."""
    m = _DURATION_VALUE.match(pair.value)
    if not m:
        return None
    units = _vocab()["day_units"]
    unit = (m.group(2) or "").lower()
    if unit and unit not in units:
        return None
    if not unit:
        unit = next((tok for tok in pair.tokens if tok in units), "days")
    days = float(m.group(1)) * float(units[unit])
    return round(days, 2) if 0 < days <= _t.MAX_COOKIE_DAYS else None


def _type_value(pair: Pair) -> str | None:
    """"percentage" -> percent, "per_lead" -> cpl; a word that is ordinary elsewhere ("sale", "lead") only under a
    key that names the commission ("commission_type": "lead", not a coupon feed's "type": "sale")."""
    words = " ".join(tok.lower() for tok in _KEY_TOKEN.findall(pair.value))
    v = _vocab()
    if words in v["ambiguous_type_values"] and not pair.tokens & set(v["commission_key_tokens"]):
        return None
    return v["type_values"].get(words)


# ---------------------------------------------------------------------------------------------
# a record -> terms
# ---------------------------------------------------------------------------------------------


@dataclass
class _Reading:
    """What one record states, field by field (None = not stated)."""

    model: str | None = None
    payout_type: str | None = None
    rates: list[tuple[_Amount, Pair]] = field(default_factory=list)
    currency: str | None = None
    recurring: tuple[bool, Pair] | None = None
    lifetime: Pair | None = None
    months: tuple[int, Pair] | None = None
    cookie: tuple[float, Pair] | None = None
    minimum: tuple[_Amount, Pair] | None = None
    frequency: Pair | None = None
    methods: Pair | None = None
    type_pair: Pair | None = None


def read_record(pairs: list[Pair]) -> _Reading:
    """Each pair to the first field that can read its value; later pairs do not replace earlier ones."""
    reading = _Reading()
    for pair in pairs:
        name = next((n for n in fields_of(pair.tokens) if _fits(n, pair)), None)
        if name is not None:
            _READERS.get(name, _read_rate)(reading, pair, name)
    return reading


def _fits(name: str, pair: Pair) -> bool:
    """Whether the value has the shape the field needs: "recurring_commission": "20%" is a rate, not a flag."""
    if name in ("recurring", "lifetime"):
        return _bool(pair.value) is not None
    if name == "cookie_days":
        return _days(pair) is not None
    if name == "type":
        return _type_value(pair) is not None
    if name in ("frequency", "methods", "currency"):
        return not _is_prose(pair.value)
    if name == "recurring_months":
        return True
    return _amount(pair.value) is not None


def _read_type(r: _Reading, pair: Pair, _name: str) -> None:
    kind = _type_value(pair)
    if kind is None or r.type_pair is not None:
        return
    r.type_pair = pair
    if kind in {m.value for m in CommissionModel}:
        r.model = kind
    else:
        r.payout_type = kind
        r.model = CommissionModel.PERCENT.value if kind == "revshare" else None


def _read_rate(r: _Reading, pair: Pair, name: str) -> None:
    amount = _amount(pair.value)
    if amount is None:
        return
    r.rates.append((amount, pair))
    if name in {"cpa", "cpl", "cps", "cpc", "cpi"} and r.payout_type is None:
        r.payout_type = name


def _read_recurring(r: _Reading, pair: Pair, _name: str) -> None:
    b = _bool(pair.value)
    if b is not None and pair.tokens & set(_vocab()["negating_tokens"]):
        b = not b              # "non_recurring": true, "one_time": true
    if b is not None and r.recurring is None:
        r.recurring = (b, pair)


def _read_lifetime(r: _Reading, pair: Pair, _name: str) -> None:
    if _bool(pair.value) is True:
        r.lifetime = pair
        r.recurring = r.recurring or (True, pair)


def _read_months(r: _Reading, pair: Pair, _name: str) -> None:
    m = re.fullmatch(r"\s*(\d{1,3})\s*(?:months?|mo)?\s*", pair.value, re.I)
    if m and 0 < int(m.group(1)) <= 120:
        r.months = (int(m.group(1)), pair)


def _read_cookie(r: _Reading, pair: Pair, _name: str) -> None:
    days = _days(pair)
    if days is not None and r.cookie is None:
        r.cookie = (days, pair)


def _read_minimum(r: _Reading, pair: Pair, _name: str) -> None:
    amount = _amount(pair.value)
    if amount is not None and amount.kind != "pct" and amount.lo is not None:
        r.minimum = (amount, pair)


def _read_currency(r: _Reading, pair: Pair, _name: str) -> None:
    code = pair.value.strip().upper()
    if code in _t._rules().common_iso:
        r.currency = code


def _read_frequency(r: _Reading, pair: Pair, _name: str) -> None:
    r.frequency = r.frequency or pair


def _read_methods(r: _Reading, pair: Pair, _name: str) -> None:
    r.methods = r.methods or pair


_READERS = {"type": _read_type, "recurring": _read_recurring, "lifetime": _read_lifetime,
            "recurring_months": _read_months, "cookie_days": _read_cookie, "payout_minimum": _read_minimum,
            "currency": _read_currency, "frequency": _read_frequency, "methods": _read_methods}


_UNIT_TYPES = {"cpa", "cpl", "cps", "cpc", "cpi"}


def _rate_kind(r: _Reading, amount: _Amount, pair: Pair) -> str | None:
    """What a rate is: a percent or an amount, from the value's own sign, the key's unit token, or the type key
    (a bare figure of a per-unit type is an amount only when the record names its currency)."""
    if amount.kind in ("pct", "money"):
        return amount.kind
    if pair.tokens & set(_vocab()["percent_tokens"]):
        return "pct"
    if pair.tokens & set(_vocab()["money_tokens"]) or _key_currency(pair.tokens):
        return "money"
    if r.payout_type in _UNIT_TYPES and r.model is None and r.currency is not None:
        return "money"
    return {"percent": "pct", "revshare": "pct", "flat": "money"}.get(r.model or r.payout_type or "")


def _first_rate(r: _Reading, kind: str) -> tuple[_Amount, Pair] | None:
    return next(((a, p) for a, p in r.rates if _rate_kind(r, a, p) == kind), None)


# ---------------------------------------------------------------------------------------------
# filling the prose reading
# ---------------------------------------------------------------------------------------------


def mask_statistics(original: str, text: str) -> str:
    """`text` (the prose rules' same-length copy of `original`) with the values of statistic / price keys of
    `original` blanked, so spans stay valid: an EPC of "$1.20" or a conversion rate of "3.5%" is not a commission
    for the prose rules either."""
    pairs = record_pairs(original)
    if not pairs:
        return text
    out = text
    for p in pairs:
        if is_statistic(p.tokens):
            s, e = p.span
            out = out[:s] + " " * (e - s) + out[e:]
    return out


def fill_from_record(text: str, terms: _t.Terms) -> None:
    """Fill what the prose rules left empty from the text's key/value pairs (nothing when it has none)."""
    pairs = record_pairs(text)
    if not pairs:
        return
    r = read_record(pairs)
    _fill_commission(r, terms)
    _answer_key_read_as_cue(text, r, terms)
    _fill_type(r, terms)
    _fill_recurrence(r, terms)
    _fill_payout(r, terms)


def _fill_commission(r: _Reading, terms: _t.Terms) -> None:
    if terms.model is not None or terms.percent_max is not None or terms.flat_max is not None:
        _add_amount_to_percent(r, terms)
        return
    pct, money = _first_rate(r, "pct"), _first_rate(r, "money")
    if pct is not None and 0 < pct[0].hi <= 100:
        amount, pair = pct
        terms.model = _t.Found(CommissionModel.PERCENT, pair.span, source="record")
        terms.percent_min = None if amount.lo is None else _t.Found(amount.lo, pair.span, source="record")
        terms.percent_max = _t.Found(amount.hi, pair.span, source="record")
    currency = None if money is None else (money[0].currency or _key_currency(money[1].tokens) or r.currency)
    if money is not None and currency is not None:
        amount, pair = money
        model = CommissionModel.FLAT if terms.model is None else CommissionModel.HYBRID
        terms.model = _t.Found(model, pair.span, source="record")
        terms.flat_min = None if amount.lo is None else _t.Found(amount.lo, pair.span, source="record")
        terms.flat_max = _t.Found(amount.hi, pair.span, source="record")
        terms.currency = _t.Found(currency, pair.span, source="record")
    if terms.model is None and r.type_pair is not None and r.model not in (None, CommissionModel.PERCENT.value):
        # "commission_type": "flat" with an amount in no currency: the model is stated, the amount's unit is not
        terms.model = _t.Found(CommissionModel(r.model), r.type_pair.span, source="record")


def _add_amount_to_percent(r: _Reading, terms: _t.Terms) -> None:
    """A percent the prose read ("commission": "25-45%") beside an amount key ("cpa": "$75-$150"): both are paid."""
    money = _first_rate(r, "money")
    if terms.model is None or terms.model.value is not CommissionModel.PERCENT or terms.flat_max is not None \
            or money is None:
        return
    amount, pair = money
    currency = amount.currency or _key_currency(pair.tokens) or r.currency
    if currency is None:
        return
    terms.model = _t.Found(CommissionModel.HYBRID, terms.model.span, source="record")
    terms.flat_min = None if amount.lo is None else _t.Found(amount.lo, pair.span, source="record")
    terms.flat_max = _t.Found(amount.hi, pair.span, source="record")
    terms.currency = _t.Found(currency, pair.span, source="record")


def _fill_type(r: _Reading, terms: _t.Terms) -> None:
    if terms.payout_type is not None:
        return
    span = (r.type_pair or (r.rates[0][1] if r.rates else None) or Pair("", frozenset(), "", (0, 0))).span
    kind = r.payout_type
    if kind is None and terms.model is not None and terms.model.source == "record" \
            and terms.model.value is not CommissionModel.FLAT:
        recurring = r.recurring is not None and r.recurring[0]
        # (session 13) a recurrence the prose read ("type": "recurring" beside "commission_pct": 15) counts too
        recurring = recurring or (terms.recurring is not None and terms.recurring.value is True)
        kind = "revshare" if recurring or r.lifetime else "cps"       # the labelling convention, rules 2 and 4
    if kind is not None:
        terms.payout_type = _t.Found(PayoutType(kind), span, source="record")


def _answer_key_read_as_cue(text: str, r: _Reading, terms: _t.Terms) -> None:
    """(session 13) In `"recurring": False` the prose rules read the key itself as a recurring cue; the record's value
    answers it. A per-sale / revenue-share type derived from the model follows the answer (convention, rule 2)."""
    rec, pt, model = terms.recurring, terms.payout_type, terms.model
    if r.recurring is None or rec is None or rec.source != "rules" or rec.value == r.recurring[0]:
        return
    between = text[rec.span[1]:r.recurring[1].span[0]]
    if rec.span[1] > r.recurring[1].span[0] or not re.fullmatch(r"[\s\"':=]{1,6}", between):
        return
    terms.recurring = _t.Found(r.recurring[0], r.recurring[1].span, source="record")
    if r.recurring[0] is not True:
        terms.recurring_months = terms.lifetime = None
    if pt is not None and model is not None and pt.span == model.span and model.value is CommissionModel.PERCENT \
            and pt.value in (PayoutType.CPS, PayoutType.REVSHARE):
        kind = PayoutType.REVSHARE if r.recurring[0] is True else PayoutType.CPS
        terms.payout_type = _t.Found(kind, pt.span, source=pt.source)


def _fill_recurrence(r: _Reading, terms: _t.Terms) -> None:
    if terms.recurring is None and r.recurring is not None:
        terms.recurring = _t.Found(r.recurring[0], r.recurring[1].span, source="record")
        _rederive_revshare(terms)
    if terms.recurring is None or terms.recurring.value is not True:
        return
    if terms.lifetime is None and terms.recurring_months is None and r.lifetime is not None:
        terms.lifetime = _t.Found(True, r.lifetime.span, source="record")
    if terms.recurring_months is None and terms.lifetime is None and r.months is not None:
        terms.recurring_months = _t.Found(r.months[0], r.months[1].span, source="record")


def _fill_minimum(r: _Reading, amount: _Amount, pair: Pair, terms: _t.Terms) -> None:
    """The minimum, or only its currency when the prose read the same figure without one ("min_payout_usd": 50)."""
    currency = amount.currency or _key_currency(pair.tokens) or r.currency
    if terms.payout_minimum is None:
        terms.payout_minimum = _t.Found(amount.hi, pair.span, source="record")
        terms.payout_currency = None if currency is None else _t.Found(currency, pair.span, source="record")
    elif terms.payout_currency is None and currency is not None and terms.payout_minimum.value == amount.hi:
        terms.payout_currency = _t.Found(currency, pair.span, source="record")


def _rederive_revshare(terms: _t.Terms) -> None:
    """A per-sale type the prose derived from a one-off percent becomes revenue share once the record says the
    percent recurs (the labelling convention, rule 2); a type read from a word stays."""
    pt, model = terms.payout_type, terms.model
    if terms.recurring is None or terms.recurring.value is not True or pt is None or model is None:
        return
    if pt.value is PayoutType.CPS and model.value is CommissionModel.PERCENT and pt.span == model.span:
        terms.payout_type = _t.Found(PayoutType.REVSHARE, pt.span, source="record")


def _fill_payout(r: _Reading, terms: _t.Terms) -> None:
    if terms.cookie_days is None and r.cookie is not None:
        terms.cookie_days = _t.Found(r.cookie[0], r.cookie[1].span, source="record")
    if r.minimum is not None:
        _fill_minimum(r, r.minimum[0], r.minimum[1], terms)
    if terms.frequency is None and r.frequency is not None:
        found = _t.extract_terms(r.frequency.value, context="payout").frequency
        if found is not None:
            terms.frequency = _t.Found(found.value, r.frequency.span, source="record")
    if not terms.methods and r.methods is not None:
        found_methods = _t.extract_terms(r.methods.value, context="payout").methods
        terms.methods = [_t.Found(m.value, r.methods.span, source="record") for m in found_methods]

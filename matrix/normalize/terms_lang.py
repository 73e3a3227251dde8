"""Terms written in languages other than English: a fallback read after the English rules of `terms`.

Affiliate pages are written in every language. The English rules in `matrix.normalize.terms` decide a
number's role from English cue words ("commission", "cookie", "minimum payout"); on a Czech, Russian or
Vietnamese page they find almost nothing. This module reads such a text the way a careful reader who does
not know the language well would, with multilingual word lists kept as data in
`matrix/data/terms/vocabulary.yaml` (key `multilingual`):

- commission: the percents of a text that talks about commissions, rewards or referrals, minus those
  next to a discount / tax / fee / bonus / second-level word or inside a worked example; "do", "až",
  "bis zu", "jusqu'à", "hasta" before a single rate make it a cap, "od", "ab", "desde" a floor;
- cookie: a duration ("30 dnů", "90 Tage", "7 ngày", "1 ano") in a sentence that names the cookie
  (a word every language borrows) or what it does (tracked, remembered, a click);
- payout minimum: an amount with a local currency ("500 Kč", "1.000.000 VNĐ", "1만원", "₨1,000") near a
  minimum / threshold word in a sentence about being paid;
- frequency, methods and recurrence from the words for "monthly", "bank transfer", "each payment" ...

It runs only on text that is not English (English function words are rare in it) and only fills what
the English rules left empty, so English pages read exactly as before.
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any

from matrix.models import CommissionModel, PayoutType
from matrix.normalize import terms as _t

_LATIN_OR_CYRILLIC = re.compile(r"[A-Za-z\u00C0-\u024F\u1E00-\u1EFF\u0400-\u04FF]")
_PERCENT_SIGN = re.compile(r"%")
# (session 16) the balance spent on the affiliate's own renewal ("可提现或抵扣续费", "оплатить продление"): no renewal commission
_OWN_RENEWAL_BEFORE = re.compile(r"(?:抵扣|抵用|抵|用于|支付|充抵|оплатить|оплаты|на оплату)\s*$", re.I)
# (session 16) a period counted from an event: "tính từ ngày shop ... có đơn hàng đầu tiên", "ab dem Tag der ersten Bestellung"
_COUNTED_FROM_BEFORE = re.compile(r"(?:tính từ|kể từ|từ ngày|from the (?:day|date|moment)|à partir d|a partir d"
                                  r"|desde (?:el|la|o|a)|ab dem|ab der|vanaf de|с момента|с даты|od dnia|od chwili|od okamžiku)"
                                  r"[^.;|!?]{0,70}$", re.I)
_CASHBACK_WORD = re.compile(r"(?i)cash-?back|к[эе]шб[эе]к|кешбек")
_UNSPACED_SCRIPT = re.compile(r"[\u0E00-\u0E7F\u3040-\u30FF\u3400-\u9FFF]")     # Thai, kana, CJK: no spaces
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
# not after an ordinal ("• 2. Linie: 25 %", "1. januar"): the list item goes on
# (session 17b) nor at the ";" that closes an HTML entity ("od 10 &#8364;", "40&euro;")
_SENTENCE_END = re.compile(r"(?<=[.!?。！？؟।])(?<![\s(]\d\.)(?<![\s(]\d\d\.)\s+(?!\d)"
                           r"|\n+|\s*(?:[|•]|(?<!&#\d{4})(?<!&#\d{3})(?<!&#\d{2})(?<!&[a-z]{4})(?<!&[a-z]{3})(?<!&[a-z]{2});)\s*"
                           r"|(?<=[^\d\s])\s+-\s+|^\s*-\s+")
_MONEY_NUMBER = re.compile(r"(?<![\d.,])\d{1,3}(?:[ .]\d{3})+(?:,\d{1,2})?(?:,-)?(?![\d])"
                           r"|(?<![\d.,])\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?(?![\d])"
                           r"|(?<![\d.,])\d+(?:[.,]\d{1,2})?(?:,-)?(?![\d])")


def _alternation(entries: list[str], whole: bool = False) -> str:
    """Stems of many scripts in one pattern: a stem must start a word, except in the scripts written without
    spaces between words (Thai, Chinese, Japanese), where it may start anywhere; `whole` words must end one too."""
    parts = []
    for entry in sorted(entries, key=len, reverse=True):
        bounded = _UNSPACED_SCRIPT.match(entry) is None
        parts.append((r"(?<![^\W\d_])" if bounded else "") + f"(?:{entry})" + (r"(?![^\W\d_])" if bounded and whole else ""))
    return "(?:" + "|".join(parts) + ")"


class _Lang:
    """The `multilingual` vocabulary compiled once."""

    def __init__(self, vocab: dict[str, Any]):
        ic = re.IGNORECASE
        self.english = set(vocab["english_function_words"])
        self.foreign = set(vocab["foreign_function_words"])
        self.loanwords = set(vocab["english_loanwords"])
        rx = lambda key: re.compile(_alternation(vocab[key]), ic)  # noqa: E731
        for key in ("commission_words", "decoy_words", "charge_words", "billing_words", "override_words", "percentage_words",
                    "floor_words", "tier_words",
                    "example_words", "each_words", "payment_words", "renewal_words", "lifetime_words", "first_words",
                    "order_words", "commission_nouns", "cookie_words", "tracking_words", "cookie_veto_words", "minimum_words",
                    "payout_words", "recurring_words", "during_words", "above_words", "price_words", "or_more_words",
                    "one_time_words", "reach_words", "coupon_words", "referral_cashback_words", "only_words"):
            setattr(self, key, rx(key))
        # (session 15) a word for a rise right before the number ("增加 1%", "steigt um 1 %"), compiled once
        self.increment_before = re.compile(r"(?:" + _alternation(vocab["increment_words"]) + r")\s*(?:by\s+)?$", ic)
        for key in ("up_to_words", "from_words", "negation_words"):      # whole words: "do" is not "dostanete", "od" not "odměna"
            setattr(self, key, re.compile(_alternation(vocab[key], whole=True), ic))
        self.condition_words = re.compile(_alternation(vocab["condition_words"]) + r"(?![^\W\d_])", ic)    # whole words
        self.percent_after = re.compile(r"\s*" + _alternation(vocab["percent_words"]), ic)
        self.of_commission = re.compile(r"\s*" + _alternation(vocab["of_words"]) + r"\s+(?:[^\W\d_]+\s+)?"
                                        + _alternation(vocab["third_party_words"]) + r"\s+(?:[^\W\d_]+\s+){0,2}?"
                                        + _alternation(vocab["commission_nouns"]), ic)
        # (session 9) a unit of a script written without spaces may be followed by the next word at once ("12個月高達")
        self.units = [(unit, re.compile(_alternation(words, whole=True), ic))
                      for unit, words in vocab["duration_units"].items()]
        self.one = re.compile(_alternation(vocab["one_words"]) + r"\s+$", ic)
        # a Latin or Cyrillic currency word ends a word; "원", "đ" may carry a particle ("1만원을")
        self.cur_after = [(re.compile(r"\s?(?:" + k + ")" + (r"(?![^\W\d_])" if _LATIN_OR_CYRILLIC.match(k) else ""), ic), v)
                          for k, v in vocab["currency_after"].items()]
        self.cur_before = [(re.compile(r"(?<![^\W\d_])(?:" + k + r")\s?$", ic), v) for k, v in vocab["currency_before"].items()]
        self.multipliers = [(re.compile(r"\s?(?:" + k + ")", ic), float(v)) for k, v in vocab["multipliers"].items()]
        self.frequencies = [(name, re.compile(_alternation(words), ic)) for name, words in vocab["frequencies"].items()]
        self.methods = [(name, re.compile(_alternation(words), ic)) for name, words in vocab["methods"].items()]
        self.krone = [(iso, re.compile(_alternation(words, whole=True), ic)) for iso, words in vocab["krone_languages"].items()]
        self.per_words = re.compile(_alternation(vocab["per_words"], whole=True), ic)     # "za", not "заказ"
        self.during_after = re.compile(r"\s*" + _alternation(vocab["during_after_words"]), ic)
        self.minimum_after = re.compile(r"\s*(?:の|\))?\s*" + _alternation(vocab["minimum_after_words"]), ic)
        self.unit_types = [(PayoutType(kind), re.compile(_alternation(words), ic)) for kind, words in vocab["unit_types"].items()]
        self.dot_thousands_local = set(vocab["dot_thousands_local"])
        self.bank_not_method = re.compile(_alternation(vocab["bank_not_method_words"]), ic)
        self.billing_after = re.compile(r"\s*(?:の|的)\s*" + _alternation(vocab["billing_words"]), ic)   # "毎月の会費"
        day = _alternation(vocab["day_words"], whole=True)
        to = r"\.?\s*(?:[-–—~]|" + _alternation(vocab["day_range_to_words"], whole=True) + r")\s*"
        self.first_half = re.compile(day + r"\s*0?1" + to + r"15\.?(?!\d)", ic)
        self.second_half = re.compile(day + r"\s*16" + to + r"(?:28|29|30|31)\.?(?!\d)", ic)

    def __getattr__(self, name: str) -> re.Pattern:      # the patterns set in the loop above, for mypy
        raise AttributeError(name)


@functools.lru_cache(maxsize=1)
def _lang() -> _Lang:
    return _Lang(_t.vocabulary()["multilingual"])


# ---------------------------------------------------------------------------------------------
# which texts are read here
# ---------------------------------------------------------------------------------------------


def is_foreign(text: str) -> bool:
    """Not English: mostly letters of another script, or Latin-script words among which the function words
    of other languages outnumber the English ones ("Die Provision beträgt 10 % für jede Bestellung")."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return False
    other_script = sum(1 for c in letters if not _LATIN_OR_CYRILLIC.match(c) or "\u0400" <= c <= "\u04FF")
    if other_script / len(letters) >= 0.3:
        return True
    lang = _lang()
    words = [w.lower() for w in _WORD.findall(text)]
    english = sum(1 for w in words if w in lang.english)
    foreign = sum(1 for w in words if w in lang.foreign and w not in "ky")    # "$10k", "y-axis"
    accented = sum(1 for c in letters if not c.isascii()) >= 0.03 * len(letters)    # "služby", "thành công"
    if english == 0 and accented and len(words) >= 3:
        return True
    strong = sum(1 for w in words if w in lang.foreign and w not in lang.loanwords and w not in "ky")   # "Pro" plan
    if english == 0 and strong >= 1 and 2 <= len(words) <= 10:
        return True     # "Provision: 8 % vom Nettoumsatz": a short cell with one word of another language and none of English
    if english == 0 and 2 <= len(words) <= 8 and _vocabulary_words(words) >= 2:
        return True     # "Komisi Rp25.000 per pendaftaran": a short line with no function word at all
    if english == 0 and len(words) > 8 and _vocabulary_words(words) >= 3:
        return True     # (session 16) "Uitbetaling ... via bankoverschrijving": a longer text with no English function
        #                 word and three words of the other languages' term lists
    dense = sum(1 for c in letters if not c.isascii()) >= 0.06 * len(letters)     # "Minimalna kwota wypłaty to 100 zł"
    foreign += accented + dense
    return foreign >= 2 and (english == 0 or foreign > 2 * english)


@functools.lru_cache(maxsize=1)
def _english_vocabulary() -> str:
    """Every English word list of the vocabulary as one lower-case text, to tell a word English readers know."""
    return json.dumps({k: v for k, v in _t.vocabulary().items() if k != "multilingual"}, ensure_ascii=False).lower()


def _vocabulary_words(words: list[str]) -> int:
    """How many words name a term in the multilingual lists (commission, payout, price, minimum, a unit, a payment
    method, "per": "Komisi", "pendaftaran", "Auszahlung", "par") and are no word of the English lists ("commission",
    "sale", "per")."""
    lang = _lang()
    rxs = [lang.commission_words, lang.payout_words, lang.price_words, lang.minimum_words, lang.charge_words,
           *(rx for _, rx in lang.unit_types), *(rx for _, rx in lang.methods)]
    english = _english_vocabulary()
    count = 0
    for w in words:
        if w in lang.english or w in lang.loanwords:
            continue
        if len(w) >= 4 and any(rx.match(w) for rx in rxs):
            count += re.search(rf"(?<![a-z]){re.escape(w)}", english) is None     # a stem: "commissions" is English
        elif lang.per_words.fullmatch(w):
            count += re.search(rf"(?<![a-z]){re.escape(w)}(?![a-z])", english) is None   # "par", "za"; not "per"
    return count


def _sentences(t: str) -> list[tuple[int, int]]:
    """Sentence spans cut at any script's full stop, a list dash, a table cell or a bullet; a full stop before a
    lower-case word ends an abbreviation ("20 лв. за всеки", "mind. 50 €"), not a sentence."""
    out, pos = [], 0
    for m in _SENTENCE_END.finditer(t):
        if m.start() and t[m.start() - 1] == "." and m.end() < len(t) and t[m.end()].islower():
            continue
        if m.start() > pos:
            out.append((pos, m.start()))
        pos = max(pos, m.end())
    if pos < len(t):
        out.append((pos, len(t)))
    return out


def _sentence_of(sentences: list[tuple[int, int]], pos: int) -> tuple[int, int]:
    return next(((s, e) for s, e in sentences if s <= pos < e), (0, 0))


# ---------------------------------------------------------------------------------------------
# commission (and the recurrence a commission sentence states)
# ---------------------------------------------------------------------------------------------


def fill_commission(t: str, nums: list, terms: _t.Terms) -> None:
    """Percent commission, tiers and recurrence of a non-English text whose English reading found none."""
    if not is_foreign(t):
        return
    _drop_unsupported_money(t, terms)
    lang = _lang()
    _attached_percents(t, nums)
    if terms.model is None and (lang.commission_words.search(t) or lang.referral_cashback_words.search(t)):
        _percent_commission(t, nums, terms)
    if terms.model is None:
        _flat_commission(t, terms, nums)
    if terms.model is None:
        _percentage_without_rate(t, terms)
    about_commission = terms.model is not None or bool(lang.commission_words.search(t))
    if terms.recurring is None and about_commission:
        terms.recurring = _stated_recurrence(t, terms)
    if about_commission and terms.lifetime is None and terms.recurring_months is None \
            and terms.recurring is not None and terms.recurring.value:
        life = _lifetime_match(t)
        terms.lifetime = None if life is None else _t.Found(True, life.span())
    if terms.model is not None and terms.recurring_months is None and terms.lifetime is None \
            and (terms.recurring is None or terms.recurring.value):
        _months_cap(t, terms)
    if terms.percent_max is not None and not terms.tiers:
        _tiers(t, terms)
    if terms.model is not None and terms.model.value is CommissionModel.FLAT and terms.payout_type is None:
        terms.payout_type = _flat_unit_type(t, terms.flat_max.span[0] if terms.flat_max else terms.model.span[0])


def _drop_unsupported_money(t: str, terms: _t.Terms) -> None:
    """On a page in another language the English rules may take a price, a fee or a payout threshold for a flat
    commission because of a unit word after it ("49 € pro Monat", "CHF 100 per Banküberweisung"). That reading
    stands only where an English commission word in the amount's sentence supports it; otherwise the amounts are
    handed back to this module's reading, which knows the price, threshold and fee words of other languages."""
    money = [n for n in terms._commission_nums if n.kind == "money"]
    if not money:
        return
    cue = _t._rules().commission_cue
    sentences = _sentences(t)
    for n in money:
        s, e = _sentence_of(sentences, n.start)
        if cue.search(t, _context_start(t, sentences, s), max(e, n.span_end)):
            return
    for n in money:
        n.role = None
    terms._commission_nums = [n for n in terms._commission_nums if n.kind != "money"]
    terms.flat_min = terms.flat_max = terms.currency = None
    if terms.model is not None and terms.model.value is CommissionModel.HYBRID:
        terms.model = _t.Found(CommissionModel.PERCENT, terms.model.span)
    elif terms.model is not None and terms.model.value is CommissionModel.FLAT:
        terms.model = None


def _attached_percents(t: str, nums: list) -> None:
    """"売上の10%", "每笔订单可获得8%": in scripts without spaces a percent touches the word before it, which the
    English reader skips as part of a word."""
    taken = [(n.start, n.span_end) for n in nums]
    for m in re.finditer(r"(?<=[^\W\d_])(\d{1,3}(?:[.,]\d{1,2})?)\s?[%％]", t):
        if _LATIN_OR_CYRILLIC.match(t[m.start() - 1]) or any(a < m.end() and m.start() < b for a, b in taken):
            continue
        value = float(m.group(1).replace(",", "."))
        nums.append(_t._Num(value, m.start(), m.end(1), m.end(), "pct", raw=m.group(1)))
    nums.sort(key=lambda n: n.start)


def _percent_candidates(t: str, nums: list) -> list:
    """Percents (also "10 درصد", "15 процентов") that can be the affiliate's rate."""
    lang = _lang()
    sentences = _sentences(t)
    out = []
    for n in nums:
        word = lang.percent_after.match(t, n.end) if n.kind == "bare" else None
        if word is not None and _section_number(t, n.start, n.end, word):
            word = None       # (session 17b) "5.2 Procento provize ... stanovuje": a clause number before a heading word
        if word is not None:
            n.kind, n.span_end = "pct", word.end()       # "10 درصد", "15 процентов"
        if n.kind != "pct" or not 0 < n.value <= 100 or n.role is not None:
            continue
        s, e = _sentence_of(sentences, n.start)
        # the case's rate in brackets after it may open a sentence of its own ("zarobisz 120-200 PLN! (30-50% prowizji)")
        prev = [ps for ps, pe in sentences if pe <= s]
        head = n.start if n.partner is None else min(n.start, n.partner.start)
        cs = prev[-1] if prev and t[s:head].strip() == "(" else s
        case_from = _t._worked_case(t, cs, e, nums)
        if case_from is not None and n.start > case_from:
            continue      # (session 17) "Przy wynajmie auta za 400 PLN, zarobisz 120 PLN (30% prowizji)": the case's rate
        if not _decoy(t, n, s, e) and not _in_example(t, n.start) and not lang.charge_words.search(t, s, e):
            out.append(n)
    return out


_SECTION_NUMBER = re.compile(r"\d{1,2}(?:\.\d{1,2})+\.?")


def _section_number(t: str, start: int, end: int, word: re.Match) -> bool:
    """(session 17b) "5.2 Procento provize ..." at the start of a text, a line or a sentence: a dotted clause number
    followed by a capitalised word, not a rate written out in words."""
    return bool(_SECTION_NUMBER.fullmatch(t, start, end)) and word.group(0).strip()[:1].isupper() \
        and bool(re.search(r"(?:^|[\n.!?;:])\s*$", t[max(0, start - 4):start]))


def _in_example(t: str, pos: int) -> bool:
    """An example word earlier in the same sentence, table cells included ("Příklad ... | provize 10% |")."""
    stops = [m.end() for m in re.finditer(r"[.!?。！？؟।](?:\s|$)", t[:pos])]
    return bool(_lang().example_words.search(t, stops[-1] if stops else 0, pos))


def _worked_amount(t: str, n, s: int, e: int) -> bool:
    """"1500 টাকার 10% হিসেবে 150 টাকা": a percent of an amount worked out to another amount is arithmetic."""
    amounts = [(ms, me) for _, _, ms, me in money(t[s:e])]
    before = any(0 <= n.start - (s + me) <= 10 and not re.search(r"[|:;-]", t[s + me:n.start]) for _, me in amounts)
    return before and any(s + ms >= n.span_end for ms, _ in amounts)


def _decoy(t: str, n, s: int, e: int) -> bool:
    """A discount, tax, fee or bonus beside the percent; a second-level rate; "-20%" off a price; a percent of
    another affiliate's commission ("10% z jeho provizí")."""
    lang = _lang()
    before = t[max(s, n.start - 30):n.start]
    after = t[n.span_end:min(e, n.span_end + 30)]
    separator = re.search(r"[^\W_)]\s[-–]\s$", t[max(s, n.start - 4):n.start])     # "Kategorie 1 - 3,19%": a label's value
    if (re.search(r"(?:^|\s)-\s?$", t[max(s, n.start - 2):n.start]) and not separator) or re.match(r"\s*[x×*=]", after):
        return True
    if re.search(r"[=×*]\s*$", before):
        return True
    ours = lang.referral_cashback_words.search(t, s, e) is not None     # (session 16) the referrer's "cashback"
    if any(not (ours and _CASHBACK_WORD.fullmatch(m.group()))
           for m in (*lang.decoy_words.finditer(before[-20:]), *lang.decoy_words.finditer(after[:25]))):
        return True
    if lang.coupon_words.search(t, s, n.start) and not lang.commission_words.search(t, s, n.start):
        return True      # (session 15) "Denna kupongkod kommer att vara på 10 %": the sentence is about the code's discount
    if lang.increment_before.search(before[-20:]):
        return True      # (session 15) "奖励比例增加 1%", "steigt um 1 %": a step added to the rate, not a rate
    if _override_of(t, n, s, e) or lang.of_commission.match(after):
        return True
    return bool(_t._ARITHMETIC.search(t, s, e)) or _worked_amount(t, n, s, e)


# (session 16) a second-level word that heads a list item ("二级推荐 - 客户再推荐 → 5%", "Second level: ..."): a few
# letters after it, then the dash or colon that opens the item
_HEADS_ITEM_AFTER = re.compile(r"[^\W\d_]{0,6}\s*(?:\s[-–]\s|[:：])")


def _override_of(t: str, n, s: int, e: int) -> bool:
    """A second-level word of the sentence with no other percent between it and this one: "il 20% su ogni vendita, e
    il 5% sulle vendite dei tuoi sub-affiliati" makes the 5 % an override, not the 20 %. A second-level word that
    heads the next list item is the label of the rates after it, not of the rate before it (session 16)."""
    signs = [p.start() for p in _PERCENT_SIGN.finditer(t, s, e) if not n.start <= p.start() < n.span_end]
    lang = _lang()
    for m in lang.override_words.finditer(t, max(0, s - 12), s):     # the heading that ends the sentence before
        if _HEADS_ITEM_AFTER.match(t, m.end()) and "%" not in t[m.end():n.start]:
            return True
    for m in lang.override_words.finditer(t, s, e):
        if m.start() > n.start and _HEADS_ITEM_AFTER.match(t, m.end()):
            continue
        lo, hi = sorted((n.start, m.start()))
        if not any(lo < p < hi for p in signs):
            return True
    return False


def _percent_commission(t: str, nums: list, terms: _t.Terms) -> None:
    pcts = _percent_candidates(t, nums)
    if not pcts:
        return
    for n in pcts:
        n.role = "commission"
    lo = min(pcts, key=lambda n: n.value)
    hi = max(pcts, key=lambda n: n.value)
    single = len({n.value for n in pcts}) == 1
    terms.percent_max = _t.Found(hi.value, (hi.start, hi.span_end))
    terms.percent_min = _t.Found(lo.value, (lo.start, lo.span_end))
    if single and _word_before(t, lo, _lang().up_to_words, 14):
        terms.percent_min = None         # "až 30 %", "bis zu 15 %", "สูงถึง 15 %": a cap
    elif single and (_word_before(t, lo, _lang().floor_words, 40) or _word_before(t, lo, _lang().from_words, 5)):
        terms.percent_max = None         # "od 5 %", "ab 5 %", "تبدأ ... 5%": a floor
    terms.model = _t.Found(CommissionModel.PERCENT, (pcts[0].start, pcts[0].span_end))
    terms._commission_nums = list(pcts)


def _percentage_without_rate(t: str, terms: _t.Terms) -> None:
    """"毎月の会費から何パーセントかをアフィリエイトマージンとして": a percentage of the customer's payments with no rate, in
    a sentence about the commission (not a discount, not a worked example), is a percent model without a rate."""
    lang = _lang()
    sentences = _sentences(t)
    for m in lang.percentage_words.finditer(t):
        s, e = _sentence_of(sentences, m.start())
        if lang.commission_words.search(t, s, e) and not lang.decoy_words.search(t, s, e) \
                and not lang.example_words.search(t, s, e) and not _override_sentence(t, s, e):
            terms.model = _t.Found(CommissionModel.PERCENT, m.span())
            return


def _word_before(t: str, n, rx: re.Pattern, reach: int) -> bool:
    """One of the words of `rx` in the `reach` characters before the number, with no other number between."""
    return _word_before_pos(t, n.start, rx, reach)


def _tiers(t: str, terms: _t.Terms) -> None:
    """Several rates and a level / rank word or a rate that depends on volume: the rates are tiers."""
    pcts = [n for n in terms._commission_nums if n.kind == "pct"]
    # (session 16) "zarade i do 45% u skladu s tabelom: ... 20% | 25% | ... | 45%": the top rate said first as a cap
    # summarises the table; the rungs are in the table's order
    pcts = [n for n in pcts if not (_word_before(t, n, _lang().up_to_words, 14)
                                    and any(m.value == n.value and m.start > n.start for m in pcts))]
    values: list[float] = []
    for n in pcts:
        if n.value not in values:
            values.append(n.value)
    if len(values) > 1 and _lang().tier_words.search(t):
        terms.tiers = [_t.Found(v, (n.start, n.span_end)) for v, n in zip(values, _first_of_each(pcts), strict=True)]


def _first_of_each(pcts: list) -> list:
    seen: set[float] = set()
    out = []
    for n in pcts:
        if n.value not in seen:
            seen.add(n.value)
            out.append(n)
    return out


def override_marks(t: str, s: int, e: int) -> list[re.Match]:
    """Words of a second level or of other affiliates' commission ("2. Linie", "второго уровня") in t[s:e]."""
    return list(_lang().override_words.finditer(t, s, e))


def _override_sentence(t: str, s: int, e: int) -> bool:
    """A sentence about a second level or a percent of another affiliate's commission: its "for life" is theirs."""
    lang = _lang()
    return bool(lang.override_words.search(t, s, e)
                or any(lang.of_commission.match(t, m.end()) for m in _PERCENT_SIGN.finditer(t, s, e)))


def _stated_recurrence(t: str, terms: _t.Terms) -> _t.Found | None:
    """A "first order" read where no commission was read ("points are credited at the friend's first order", "the
    discount is valid for the first purchase only") names when a reward is given, not a one-time commission."""
    found = _recurrence(t)
    if found is not None and found.value is False and terms.model is None \
            and _lang().first_words.fullmatch(t, *found.span) and not _only_before(t, found.span[0]):
        return None
    return found


def _only_before(t: str, pos: int) -> bool:
    """(session 17b) An "only" word earlier in the same clause ("Sadece referans kullanıcı ilk aboneliği satın
    aldığında": only when the referred user buys the first subscription): the first purchase is said to be the only one."""
    lang = _lang()
    start = max([0] + [m.end() for m in re.finditer(r"[.!?;。！？|]|\s[-–•]\s", t[:pos])])
    only = lang.only_words.search(t, max(start, pos - 50), pos)
    if only is None:
        return False
    lo = max(0, only.start() - 100)     # said of a commission ("Komisyon ...: - Sadece ..."), never of a discount
    return bool(lang.commission_words.search(t, lo, pos)) and not lang.decoy_words.search(t, lo, pos)


def _recurrence(t: str) -> _t.Found | None:
    """True for a commission on each payment, on renewals or for life ("a cada pagamento", "z každé platby",
    "doživotně"); False for "the first order only" and a renewal rate of 0 %."""
    lang = _lang()
    sentences = _sentences(t)
    life = _lifetime_match(t)
    if life:
        return _t.Found(True, life.span())
    recurring = next((m for m in lang.recurring_words.finditer(t)
                      if not _override_sentence(t, *_sentence_of(sentences, m.start()))), None)
    if recurring:
        return _t.Found(True, recurring.span())     # "wiederkehrende Provision", "comisión recurrente"
    for m in lang.each_words.finditer(t):
        s, e = _sentence_of(sentences, m.start())
        about_rate = "%" in t[s:e] or lang.commission_words.search(t, s, e) \
            or lang.referral_cashback_words.search(t, s, e)      # (session 16) "кэшбэк с каждой оплаты приглашённых"
        pay = lang.payment_words.search(t, m.end(), min(e, m.end() + 25))
        if about_rate and pay and not lang.order_words.search(t, pay.end(), min(e, pay.end() + 15)):
            return _t.Found(True, m.span())
    renewal = next((m for m in lang.renewal_words.finditer(t) if not _OWN_RENEWAL_BEFORE.search(t, max(0, m.start() - 8),
                                                                                                 m.start())), None)
    if renewal and (lang.negation_words.search(t[max(0, renewal.start() - 20):renewal.start()])
                    or _renewal_denied(t, renewal.end())):
        return _t.Found(False, renewal.span())      # "nicht auf Verlängerungen", "не за продления"
    if renewal and not re.search(r"(?<![\d.,])0\s?%", t):
        return _t.Found(True, renewal.span())
    if renewal:
        return _t.Found(False, renewal.span())
    once = next((m for m in lang.one_time_words.finditer(t)
                 if not lang.negation_words.search(t[max(0, m.start() - 12):m.start()])), None)
    if once:
        return _t.Found(False, once.span())      # "einmalige Provision", "jednokratno"
    for m in lang.first_words.finditer(t):
        if lang.decoy_words.search(t, *_sentence_of(sentences, m.start())):
            continue     # "10 € Rabatt auf die erste Bestellung": the customer's discount, not a one-time commission
        if _COUNTED_FROM_BEFORE.search(t, max(0, m.start() - 80), m.start()):
            continue     # (session 16) "6 tháng, tính từ ngày ... có đơn hàng đầu tiên": when a period starts
        if lang.order_words.search(t, max(0, m.start() - 25), min(len(t), m.end() + 25)) or _first_payment(t, m.end()):
            return _t.Found(False, m.span())
    return None


# the rest of a label cell, then the next cell of the row: "续费分成 | 无 |"
_NEXT_CELL = re.compile(r"[^|\d.!?;。]{0,12}\|([^|]{1,12})(?:\||$)")


def _renewal_denied(t: str, pos: int) -> bool:
    """"Renovações ou upgrades não geram comissão", "perpanjangan ... tidak dapat komisi": a negation right after
    the renewal word, followed by a commission word in the same clause, denies a commission on renewals.
    (session 16) A table row "| 续费分成 | 无 |" ("renewal share | none"): the renewal label cell answered by a cell
    holding only a negation (or a dash, "0%") denies it too."""
    lang = _lang()
    answer = _NEXT_CELL.match(t, pos)
    if answer is not None and (lang.negation_words.fullmatch(answer.group(1).strip())
                               or _t._NONE_CELL.fullmatch(answer.group(1))):
        return True
    end = min(len(t), pos + 60)
    stop = re.search(r"[.!?;|]", t[pos:end])
    end = pos + stop.start() if stop else end
    neg = lang.negation_words.search(t, pos, min(end, pos + 30))
    return neg is not None and lang.commission_words.search(t, neg.end(), min(end, neg.end() + 30)) is not None


def _first_payment(t: str, pos: int) -> bool:
    """"erste Zahlung", "первый платёж", "im ersten Monat": the first payment or month only is a one-time commission."""
    lang = _lang()
    window = (pos, min(len(t), pos + 15))
    if re.match(r"[^\W\d_]*\s*\d", t[pos:]):
        return False        # "pierwsze 12 miesięcy": a cap of twelve months, not the first month only
    return bool(lang.payment_words.search(t, *window)
                or any(unit == "month" and rx.search(t, *window) for unit, rx in lang.units))


def _lifetime_match(t: str) -> re.Match | None:
    """"doživotně", "à vie", "solange der Kunde zahlt": an unlimited duration, not in a second-level sentence and
    not followed by a duration ("selama 12 bulan" is a cap; "dauerhaft 25 %" is not)."""
    sentences = _sentences(t)
    for m in _lang().lifetime_words.finditer(t):
        if _override_sentence(t, *_sentence_of(sentences, m.start())) \
                or any(ds - m.end() <= 3 for _, ds, _ in durations(t, m.end(), min(len(t), m.end() + 30))):
            continue
        return m
    return None


def _months_cap(t: str, terms: _t.Terms) -> None:
    """"durante 12 meses", "przez 12 miesięcy", "12 Monate lang", "протягом року": a months / years duration
    after a "for / during / first" word in a commission sentence caps the recurring commission."""
    lang = _lang()
    sentences = _sentences(t)
    cookie_spans = {days for s, e in sentences if lang.cookie_words.search(t, s, e) or lang.tracking_words.search(t, s, e)
                    for days, _ds, _de in durations(t, s, e)}
    for k, (s, e) in enumerate(sentences):
        if not ("%" in t[s:e] or lang.commission_words.search(t, s, e) or _period_item_of_rate(t, sentences, k)) \
                or lang.cookie_words.search(t, s, e) or lang.tracking_words.search(t, s, e):
            continue
        for days, ds, de in durations(t, s, e):
            months = round(days / (365 / 12))
            if days < 28 or months > 120 or lang.cookie_veto_words.search(t, max(s, ds - 25), min(e, de + 25)):
                continue
            if days in cookie_spans:
                continue     # (session 13) "Cookie 90 ngày. ... mua trong vòng 90 ngày": the cookie window restated
            before = t[max(s, ds - 25):ds]
            if lang.during_words.search(before) or lang.first_words.search(before) or lang.during_after.match(t, de):
                terms.recurring = _t.Found(True, (ds, de))
                terms.recurring_months = _t.Found(months, (ds, de))
                return
        bare = _bare_period(t, s, e)
        if bare is not None:
            terms.recurring, terms.recurring_months = _t.Found(True, bare[1]), _t.Found(bare[0], bare[1])
            return


def _period_item_of_rate(t: str, sentences: list[tuple[int, int]], k: int) -> bool:
    """(session 17b) A short list item that is only a period ("- Tekrarlayan: %10/ay - 6 ay boyunca"): it goes on from
    the rate in the item before it, with no sentence end between them."""
    s, e = sentences[k]
    if k == 0 or len(t[s:e].strip()) > 30 or re.search(r"[.!?。！？]", t[sentences[k - 1][1]:s]):
        return False
    ps, pe = sentences[k - 1]
    return "%" in t[ps:pe] and not re.search(r"[.!?。！？]\s*$", t[ps:pe])


def _bare_period(t: str, s: int, e: int) -> tuple[int, tuple[int, int]] | None:
    """"протягом року", "durante un mes" without a number: a during word right before a month or year word."""
    lang = _lang()
    for m in lang.during_words.finditer(t, s, e):
        for unit, rx in lang.units:
            u = rx.match(t, m.end() + 1, e) if unit in ("month", "year") and t[m.end():m.end() + 1].isspace() else None
            if u:
                return (12 if unit == "year" else 1), (m.start(), u.end())
    return None


# ---------------------------------------------------------------------------------------------
# flat commission: an amount in a local currency per sale, per sign-up, per customer
# ---------------------------------------------------------------------------------------------


def _flat_commission(t: str, terms: _t.Terms, nums: list | None = None) -> None:
    """The amounts of the first sentence that pays money for a unit ("5 € pro Anmeldung", "500 рублей за каждого
    клиента", "Komisi Rp50.000 untuk setiap penjualan"), never a minimum, a bonus, a price or an example."""
    sentences = _sentences(t)
    found = []
    for v, cur, ms, me in money(t):
        s, e = _sentence_of(sentences, ms)
        if v > 0 and _flat_candidate(t, ms, me, s, e, _context_start(t, sentences, s)):
            case_from = _t._worked_case(t, s, e, nums) if nums else None
            if case_from is not None and ms >= case_from:
                continue      # (session 17) "Przy zakupie za 200 PLN, zarobisz 20 PLN": the price and what the case earns
            found.append((v, cur, ms, me))
    if not found:
        return
    first = _context_start(t, sentences, _sentence_of(sentences, found[0][2])[0])
    found = [f for f in found if _context_start(t, sentences, _sentence_of(sentences, f[2])[0]) == first
             and f[1] == found[0][1]]
    lo, hi = min(found, key=lambda f: f[0]), max(found, key=lambda f: f[0])
    terms.flat_max = _t.Found(hi[0], (hi[2], hi[3]))
    terms.flat_min = _t.Found(lo[0], (lo[2], lo[3]))
    if len({f[0] for f in found}) == 1 and _word_before_pos(t, lo[2], _lang().up_to_words, 14):
        terms.flat_min = None       # "bis zu 50 €", "až 500 Kč": a cap
    terms.currency = None if hi[1] is None else _t.Found(hi[1], (hi[2], hi[3]))
    terms.model = _t.Found(CommissionModel.FLAT, (found[0][2], found[0][3]))


def _context_start(t: str, sentences: list[tuple[int, int]], s: int) -> int:
    """Where the context of a sentence starts: the list header ending in ":" it belongs to ("Вознаграждение: - заказ
    - 1200р"), else the sentence itself."""
    i = next((k for k, (a, _) in enumerate(sentences) if a == s), None)
    k = i
    while k:
        prev_s, prev_e = sentences[k - 1]
        if re.search(r"[.!?。！？]", t[prev_e:sentences[k][0]]) or t[prev_s:prev_e].rstrip().endswith((".", "!", "?")):
            break
        if t[prev_s:prev_e].rstrip().endswith(":"):
            return prev_s
        k -= 1
    return s


# (session 17b) a price by the period written with a slash ("$19.99/월", "49 zł/mies.", "290 ₽/мес") and an amount
# inside a calculation ("$19.99 * 0.3 = $5.997"): what a plan costs or what a worked case comes to, not a reward
_PERIOD_PRICE_AFTER = re.compile(r"\s*/\s*(?:월|달|月|年|년|mes|mês|mois|monat|mese|maand|měs\w*|mies\w*|мес\w*|міс\w*|ay"
                                 r"|lun[aă]|tháng|bulan|an|año|ano|rok|год|yıl|jahr)\.?(?![^\W\d_])", re.I)
_CALCULATION_BESIDE = re.compile(r"\s*[×*=]\s*[$€£¥₩₺]?\s*\d")


def _flat_candidate(t: str, ms: int, me: int, s: int, e: int, cs: int) -> bool:
    """An amount in a sentence (or a list under a header, from `cs`) about commissions or about pay per unit, with no
    percent, no minimum / threshold / order-value / price word before it and no bonus / discount / fee word beside it."""
    lang = _lang()
    if "%" in t[s:e] or _override_sentence(t, s, e) or _in_example(t, ms):
        return False
    if (_PERIOD_PRICE_AFTER.match(t, me) and not lang.commission_words.search(t, max(s, ms - 25), ms)) \
            or _CALCULATION_BESIDE.match(t, me) or re.search(r"[×*=]\s*[$€£¥₩₺]?\s*$", t[max(s, ms - 4):ms]):
        return False
    unit = any(rx.search(t, cs, e) for _, rx in lang.unit_types)
    per = lang.each_words.search(t, cs, e) or lang.per_words.search(t, cs, e) or cs < s
    if not (lang.commission_words.search(t, cs, e) or (unit and per)):
        return False
    before = t[max(s, ms - 30):ms]
    if lang.decoy_words.search(t, s, ms) or lang.decoy_words.search(t, me, min(e, me + 25)):
        return False      # "jako bonus připíšeme částku 100 Kč", "10 € Rabatt"
    if _minimum_before(t, s, ms) or (lang.payout_words.search(t, s, e) and not unit):
        return False      # "Der Mindestbetrag für die Auszahlung beträgt 50 €", "Auszahlung ab einem Guthaben von 100 €"
    if lang.or_more_words.match(t[me:me + 16].lstrip()) or _balance_to_reach(t, s, ms, me):
        return False      # "R$ 200,00 ou mais", "5,000円以上", "sobald sie 100 USD erreicht": a balance to reach
    return not (lang.above_words.search(before) or lang.price_words.search(before) or lang.charge_words.search(t, s, e))


def _word_before_pos(t: str, pos: int, rx: re.Pattern, reach: int) -> bool:
    before = re.split(r"\d", t[max(0, pos - reach):pos])[-1]
    return bool(rx.search(before))


def _flat_unit_type(t: str, pos: int) -> _t.Found | None:
    """The unit a flat amount is paid for, named in its sentence: a sale or order (CPS), a sign-up or lead (CPL), a
    click, an install, or anything else counted (a customer, a user: CPA); the first one after a "per" / "each" word
    wins ("za každou registraci"), else the first named ("заказ от нового клиента" pays for the order)."""
    lang = _lang()
    sentences = _sentences(t)
    s, e = _sentence_of(sentences, pos)
    s = _context_start(t, sentences, s)
    pers = [m.end() for rx in (lang.per_words, lang.each_words) for m in rx.finditer(t, s, e)]
    units = sorted((m.start(), kind, m.span()) for kind, rx in lang.unit_types for m in rx.finditer(t, s, e))
    after_per = [u for u in units if any(0 <= u[0] - p <= 40 for p in pers)]
    best = (after_per or units)[:1]
    return _t.Found(best[0][1], best[0][2]) if best else None


# ---------------------------------------------------------------------------------------------
# cookie, payout minimum, frequency, methods
# ---------------------------------------------------------------------------------------------


def fill_rest(t: str, nums: list, terms: _t.Terms, wants: set[str]) -> None:
    """Cookie window and payout terms of a non-English text where the English reading found none."""
    if not is_foreign(t):
        return
    if "cookie" in wants and terms.cookie_days is None:
        terms.cookie_days = _cookie_days(t)
    if "payout" not in wants:
        return
    if terms.payout_minimum is None:
        _payout_minimum(t, nums, terms)
    if terms.frequency is None:
        terms.frequency = _frequency(t)
    _methods(t, terms)


def durations(t: str, s: int, e: int) -> list[tuple[float, int, int]]:
    """(days, start, end) of every "30 dnů", "90 Tage", "30 de zile", "1 ano", "un an", "7 ngày" in [s, e)."""
    lang = _lang()
    out = []
    for m in re.finditer(r"(?<![\d.,])(\d{1,4})(?:\s*-?\s*(?:ti|ti\s|de|di)?\s*)", t[s:e]):
        start, pos, value = s + m.start(), s + m.end(), float(m.group(1))
        out += _unit_at(t, start, pos, value, e)
    for unit, rx in lang.units:
        for m in rx.finditer(t, s, e):
            if lang.one.search(t, max(s, m.start() - 12), m.start()):
                out.append((_days(1.0, unit), m.start(), m.end()))
    return sorted(set(out), key=lambda d: d[1])


def _unit_at(t: str, start: int, pos: int, value: float, e: int) -> list[tuple[float, int, int]]:
    for unit, rx in _lang().units:
        u = rx.match(t, pos, e)
        if u:
            return [(_days(value, unit), start, u.end())]
    return []


def _days(value: float, unit: str) -> float:
    per = {"hour": 1 / 24, "day": 1.0, "week": 7.0, "month": 30.0, "year": 365.0}[unit]
    if unit == "month" and value % 12 == 0:
        return value / 12 * 365.0
    return round(value * per, 4)


def _cookie_days(t: str) -> _t.Found | None:
    """The duration nearest the cookie word (or a tracking / click word) in its sentence, never one beside a
    hold, a refund or a payment."""
    lang = _lang()
    best: tuple[int, float, int, int] | None = None
    sentences = _sentences(t)
    for i, (s, e) in enumerate(sentences):
        label = sentences[i - 1][0] if i and "-" in t[sentences[i - 1][1]:s] else s     # "Cookie — 90 дней"
        # (session 17b) a sentence ending in a colon runs on into its first list item: "ID'yi 30 gün geçerli olacak
        # şekilde kaydeder: - Cookie'ye kaydeder" (where the 30-day ID is stored)
        upto = sentences[i + 1][1] if i + 1 < len(sentences) and t[s:e].rstrip().endswith(":") else e
        anchors = [m.span() for m in lang.cookie_words.finditer(t, label, upto)]
        weak = [m.span() for m in lang.tracking_words.finditer(t, s, e)]
        for days, ds, de in durations(t, s, e):
            if not 0 < days <= _t.MAX_COOKIE_DAYS or lang.cookie_veto_words.search(t, max(s, ds - 25), min(e, de + 25)):
                continue
            dist = min((abs(ds - a) for a, _ in anchors), default=None)
            if dist is None:
                dist = min((abs(ds - a) + 40 for a, _ in weak), default=None)
            if dist is not None and (best is None or dist < best[0]):
                best = (dist, days, ds, de)
    return None if best is None else _t.Found(best[1], (best[2], best[3]))


def money(t: str) -> list[tuple[float, str | None, int, int]]:
    """(amount, ISO code or None, start, end) of amounts written with a local currency word or sign, or the
    ones the English reader knows ("€", "USD"), and with a multiplier ("1만원", "2 triệu đồng")."""
    lang = _lang()
    out = []
    for m in _MONEY_NUMBER.finditer(t):
        raw = m.group(0).rstrip(",-")
        end, factor = m.end(), 1.0
        for rx, mult in lang.multipliers:
            mm = rx.match(t, end)
            if mm:
                end, factor = mm.end(), mult
                break
        cur, found, span_end = _local_currency(t, m.start(), end)
        if not found:
            continue
        if cur is None and re.search(r"(?i)(?<![^\W\d_])kr\b", t[max(0, m.start() - 4):span_end + 4]):
            cur = _krone(t)
        try:
            parse_as = "EUR" if cur is None or cur in lang.dot_thousands_local else cur    # "50.000 Gs.": fifty thousand
            value = _t._parse_number(raw.replace(" ", ""), parse_as) * factor   # "1.000 kr.": a thousand
        except ValueError:
            continue
        out.append((value, cur, m.start(), span_end))
    return out


def _local_currency(t: str, start: int, end: int) -> tuple[str | None, bool, int]:
    lang = _lang()
    for rx, cur in lang.cur_after:
        m = rx.match(t, end)
        if m:
            return cur, True, m.end()
    for rx, cur in lang.cur_before:
        if rx.search(t, max(0, start - 4), start):
            return cur, True, end
    cb, _ = _t._currency_before(t, start)
    ca, _, e1 = _t._currency_after(t, end)
    if cb and not (cb == "USD" and ca and ca != "USD"):
        return cb, True, end
    return (ca, True, e1) if ca else (None, False, end)      # "$200 MXN": the code names the dollar


def _krone(t: str) -> str | None:
    """"kr" is the Danish, Norwegian or Swedish krone: the language whose own words the text uses most names it."""
    counts = {iso: len(rx.findall(t)) for iso, rx in _lang().krone}
    best = max(counts.values(), default=0)
    winners = [iso for iso, n in counts.items() if n == best]
    return winners[0] if best and len(winners) == 1 else None


def _payout_minimum(t: str, nums: list, terms: _t.Terms) -> None:
    """The amount right after a minimum / threshold / "from" word in a sentence about being paid."""
    lang = _lang()
    sentences = _sentences(t)
    commission = {(n.start, n.end) for n in nums if n.role == "commission"}
    for i, (s, e) in enumerate(sentences):
        near = t[sentences[max(0, i - 1)][0]:e]
        if not (lang.payout_words.search(near) or _t._rules().payout_word.search(near)):
            continue
        for value, cur, ms, me in money(t[:e]) + _dash_amounts(t[:e]):
            lo = sentences[max(0, i - 1)][0] if _bare_value_cell(t[s:ms]) else s     # "Minimální výplata - | 500 Kč"
            if ms < s or value <= 0 or any(a <= ms < b for a, b in commission):
                continue
            if lang.example_words.search(t, max(s, ms - 15), ms):
                continue     # "[ví dụ: 200.000đ]": a placeholder, not the program's minimum
            minimum = _minimum_before(t, lo, ms) or bool(lang.minimum_after.match(t, me)) \
                or _balance_to_reach(t, s, ms, me)      # "5,000円以上", "sobald sie 100 USD erreicht"
            if minimum and not lang.order_words.search(t, max(s, ms - 25), ms):
                terms.payout_minimum = _t.Found(value, (ms, me))
                terms.payout_currency = None if cur is None else _t.Found(cur, (ms, me))
                return


# (session 16) "er 200,-": a whole amount written with ",-" (no minor units) is money even with no currency word
_DASH_AMOUNT = re.compile(r"(?<![\d.,])(\d{1,3}(?:[ .]\d{3})*|\d+),-(?![\d\w-])")


def _dash_amounts(t: str) -> list[tuple[float, str | None, int, int]]:
    """Amounts written "200,-" that `money` left out (it needs a currency); their currency is not stated."""
    if ",-" not in t:
        return []
    known = {ms for _, _, ms, _ in money(t)}
    return [(float(m.group(1).replace(" ", "").replace(".", "")), None, m.start(), m.end())
            for m in _DASH_AMOUNT.finditer(t) if m.start() not in known]


def _bare_value_cell(before: str) -> bool:
    """(session 15) Nothing but spaces or a currency sign stands before the amount in its cell ("| ₺100 |", "| € 50"):
    the cell is the value of the label in the cell before ("Minimum Ödeme Tutarı | ₺100")."""
    return re.fullmatch(r"[^\w]{0,3}", before.strip()) is not None


def _balance_to_reach(t: str, s: int, ms: int, me: int) -> bool:
    """(session 13) An amount the commission or balance must reach or exceed ("jakmile výše provize překročí 200,-Kč",
    "sobald sie 100 USD erreicht", "até que o total atinja R$ 300"): a threshold to withdraw, not a reward. The verb
    stands a few words before the amount, or right after it where the language puts the verb last (German, Dutch)."""
    lang = _lang()
    before = re.split(r"[\d.;:!?|]", t[max(s, ms - 30):ms])[-1]
    return bool(lang.reach_words.search(before) or lang.reach_words.match(t[me:me + 12].lstrip()))


def _minimum_before(t: str, s: int, ms: int) -> bool:
    lang = _lang()
    before = t[max(s, ms - 80):ms]
    before = re.split(r"\d[\d.,]*\s*[^\W\d_]{0,4}\s", before)[-1]
    if lang.minimum_words.search(before) or _t._rules().threshold.search(before):
        return True
    return bool(lang.from_words.search(t[max(s, ms - 30):ms]))


# a day of the month after "up to" ("até o dia 20 do mês seguinte"): a payment date, not a limit ("1x měsíčně")
_DAY_OF_MONTH = re.compile(r"(?i)\b(?:dia|día|jour|tag|dzie[nń]|dnia|день|giorno|dag|dagen)\s+\d{1,2}\b")
# (session 16) "isplaćena do 15. u sledećem mesecu": an ordinal date after "up to" in a sentence about the payout itself
# (not "schválíme do 10. dne následujícího měsíce", the approval of the commission)
_ORDINAL_DATE = re.compile(r"(?<![\d.,])\d{1,2}\.\s")


# (session 16) a period word followed by a word for "recurring" ("monatlich wiederkehrend", "mensuelle récurrente")
# says how the commission recurs, not when it is paid out
_RECURRENCE_AFTER = re.compile(r"(?i)[\s-]*(?:wiederkehrend\w*|r[ée]currente?s?|ricorrent[ei]|recurrentes?|recorrentes?"
                               r"|terugkerend\w*|cykliczn\w*|opakovan\w*|ismétlőd\w*|повторяющ\w*|recurring)(?![^\W\d_])")

# (session 17b) a period word right before a word for a subscription or its renewal ("Aylık abonelik", "매월 갱신 시",
# "abonament miesięczny" is the other order, see billing_words) names the customer's billing period, not a payday
_SUBSCRIPTION_AFTER = re.compile(r"(?i)[\s-]*(?:abonelik\w*|üyelik\w*|yenilem\w*|abonament\w*|abonnement\w*|suscripci\w*"
                                 r"|předplatn\w*|подписк\w*|assinatura\w*|abbonament\w*|subscription\w*|renouvellement\w*"
                                 r"|renovaci\w*|prodloužen\w*|продлени\w*|odnowieni\w*|rinnov\w*|verlängerung\w*|구독|갱신|订阅|续费)")
# (session 17b) a period word followed by "as long as" / "while" ("každý měsíc, dokud platí", "chaque mois tant que le
# client reste abonné"): the commission recurs while the customer pays, which says nothing of when it is paid out
_WHILE_AFTER = re.compile(r"(?i)[\s,–—-]*(?:dokud|dopóki|dopoki|пока|поки|solange|tant que|mientras|enquanto|finché|zolang"
                          r"|sürece|selama|miễn là|as long as)(?![^\W\d_])")

# (session 16) a period adjective before the customer's fee ("20% des monatlichen Kundenentgelts", "der monatlichen
# Nutzungsgebühr"): the customer's billing the rate is taken on
_CUSTOMER_FEE_AFTER = re.compile(r"(?i)[^\W\d_]{0,3}\s+(?:kunden|nutzungs|grund|mitglieds|abonnement|abo|lizenz)"
                                 r"(?:entgelt|gebühr|beitrag|preis|umsatz|zahlung)")



def _frequency(t: str) -> _t.Found | None:
    """A schedule word of another language ("měsíčně", "раз в неделю", "hàng tháng") in a text about being paid;
    a fixed schedule beats "on request"."""
    lang = _lang()
    if not (lang.payout_words.search(t) or lang.commission_words.search(t)):
        return None
    first, second = lang.first_half.search(t), lang.second_half.search(t)
    if first and second:
        return _t.Found("semimonthly", first.span())     # "ngày 1 – 15" and "ngày 16 – 31": two payment periods a month
    # a daily word yields to any other schedule: "accrued daily, paid out monthly" pays monthly
    capped = len(t)     # where a capped schedule (a limit on requests) was read
    for name, rx in sorted(lang.frequencies, key=lambda f: (f[0] == "on-request", f[0] == "daily",
                                                            _t._FREQ_PRIORITY.index(f[0]))):
        for m in rx.finditer(t):
            if lang.condition_words.search(t, max(0, m.start() - 30), m.start()) \
                    or lang.billing_words.search(t, max(0, m.start() - 15), m.start()) \
                    or lang.billing_after.match(t, m.end()):
                continue     # "if your friend pays monthly", "la cuota mensual": the customer's billing
            if name != "on-request" and (_RECURRENCE_AFTER.match(t, m.end()) or _CUSTOMER_FEE_AFTER.match(t, m.end())):
                continue     # (session 16) "monatlich wiederkehrend", "des monatlichen Kundenentgelts": no payout schedule
            if name != "on-request" and (_SUBSCRIPTION_AFTER.match(t, m.end()) or _WHILE_AFTER.match(t, m.end())):
                continue     # (session 17b) "Aylık abonelik", "매월 갱신", "každý měsíc, dokud platí": the customer's billing
            if name == "daily" and not lang.payout_words.search(t, *_sentence_of(_sentences(t), m.start())):
                continue     # "Statistiken täglich aktualisiert": a daily schedule only in a sentence about payouts
            if name == "on-request" and m.start() > capped:
                continue     # "maximálně 1x měsíčně můžete požádat o výplatu": the request is read as the limit's subject
            cap = None if name == "on-request" else lang.up_to_words.search(t, max(0, m.start() - 15), m.start())
            if cap is not None and not _DAY_OF_MONTH.search(t, max(0, m.start() - 25), m.start()) \
                    and not (_ORDINAL_DATE.search(t, cap.end(), m.start())
                             and lang.payout_words.search(t, *_sentence_of(_sentences(t), m.start()))):
                capped = min(capped, m.start())
                continue     # "maximálně 1x měsíčně": a limit on requests, no schedule ("até o dia 20 do mês" is a date)
            if _period_choice(t, name, m):
                continue     # (session 16) "(havonta, vagy évente)": two periods side by side, a billing choice
            return _t.Found(name, m.span())
    return None


_CHOICE_GAP = re.compile(r"[\s,/|()]*(?:[^\W\d_]{1,4}[\s,]+)?$")      # ", vagy ", " ou ", " / "


def _period_choice(t: str, name: str, m: re.Match) -> bool:
    """A schedule word joined to another period word by a comma, a slash or a short "or" ("havonta, vagy évente",
    "mensuel ou annuel") names the customer's choice of billing periods, not when the partner is paid."""
    for other, rx in _lang().frequencies:
        if other in (name, "on-request"):
            continue
        after = rx.search(t, m.end(), min(len(t), m.end() + 14))
        if after is not None and _CHOICE_GAP.fullmatch(t, m.end(), after.start()):
            return True
        for b in rx.finditer(t, max(0, m.start() - 24), m.start()):
            if _CHOICE_GAP.fullmatch(t, b.end(), m.start()):
                return True
    return False


def _methods(t: str, terms: _t.Terms) -> None:
    """Bank transfer, store credit and crypto named in another language in a sentence about being paid."""
    lang = _lang()
    have = {m.value for m in terms.methods}
    sentences = _sentences(t)
    for name, rx in lang.methods:
        if name in have:
            continue
        for m in rx.finditer(t):
            s, e = _sentence_of(sentences, m.start())
            if (s, e) in sentences:      # the list item before or after: "Перевод на банковскую карту. | Выплаты на ..."
                i = sentences.index((s, e))
                s, e = sentences[max(0, i - 1)][0], sentences[min(len(sentences) - 1, i + 1)][1]
            if name == "bank" and any(v.start() <= m.start() < v.end() for v in lang.bank_not_method.finditer(t, s, e)):
                continue     # "do hệ thống ngân hàng": a delay of the banking system, no method
            if _t.listed_after_card(t, m.start()):
                continue     # (session 17b) "kreditní karta, debetní karta, bankovní převod": how the customer pays
            if lang.payout_words.search(t, s, e) or lang.commission_words.search(t, s, e) \
                    or _t._rules().method_context.search(t, s, e):
                terms.methods.append(_t.Found(name, m.span()))
                break
    if "store_credit" not in {m.value for m in terms.methods}:
        points = _reward_points(t)
        if points is not None:
            terms.methods.append(points)
    terms.methods.sort(key=lambda f: f.span[0])


@functools.lru_cache(maxsize=1)
def _points_amount() -> re.Pattern:
    words = _alternation(_t.vocabulary()["multilingual"]["reward_points_words"])
    return re.compile(rf"(?<![\d.,])\d[\d.,]*\s?{words}|{words}\s?\d[\d.,]*\s?(?:P\b|pts?\b)?", re.IGNORECASE)


def _reward_points(t: str) -> _t.Found | None:
    """"1000 puan kazanabilirsiniz", "recibirás 25 puntos", "アーカイブポイント3P": an amount of the program's points
    is the referrer's reward, paid as store credit."""
    m = _points_amount().search(t) or _points_stated().search(t)
    return None if m is None else _t.Found("store_credit", m.span())


@functools.lru_cache(maxsize=1)
def _points_stated() -> re.Pattern:
    """"على شكل نقاط" (in the form of points), "les points de fidélité sont crédités": points named as the reward."""
    return re.compile(_alternation(_t.vocabulary()["multilingual"]["reward_points_stated_words"]), re.IGNORECASE)

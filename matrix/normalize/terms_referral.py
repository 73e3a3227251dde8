"""Refer-a-friend rewards: the fixed reward a bank, telecom, energy, fintech or shop pays the person who refers a friend.

Such terms rarely say "commission". They say "you'll both get £50", "£50 for the Referrer and £50 for the Friend",
"Referrers are eligible for an SGD 10 credit", "Reward for a successful recommendation: EUR 25.00", "we will reward you
with a $5 bonus ... for every qualified new member you refer", "Vi gir både deg og din venn 150 NOK". Read only where
the English and the other-language commission rules found no commission at all, only in a text about referring
someone, and only for an amount tied to the referrer by a receive verb, a reward noun or a "for you / for each
referral" phrase -- never a discount, the friend's spend, deposit or transfer, a cap, a threshold or a worked example.
The word lists are data (`referral_reward` in matrix/data/terms/vocabulary.yaml), one list per concept.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

from matrix.models import CommissionModel, PayoutType
from matrix.normalize import terms as _t


@dataclass(frozen=True)
class _Words:
    topic: re.Pattern
    receive_before: re.Pattern
    receive_before_foreign: re.Pattern
    noun_label_before: re.Pattern
    for_after: re.Pattern
    not_reward_after: re.Pattern
    not_reward_before: re.Pattern
    referral_unit: re.Pattern
    deeper_level_after: re.Pattern
    deeper_level_clause: re.Pattern


@functools.lru_cache(maxsize=1)
def _words() -> _Words:
    v = _t.vocabulary()["referral_reward"]
    nouns = "|".join(v["nouns"])
    ic = re.I
    return _Words(
        topic=re.compile(r"(?<![^\W\d_])(?:" + "|".join(v["topic"]) + r")", ic),
        receive_before=re.compile(v["receive_before"], ic),
        receive_before_foreign=re.compile(v["receive_before_foreign"], ic),
        noun_label_before=re.compile(r"(?<![^\W\d_])" + v["noun_label_before"].replace("{nouns}", nouns), ic),
        for_after=re.compile(v["for_after"], ic),
        not_reward_after=re.compile(v["not_reward_after"], ic),
        not_reward_before=re.compile(r"(?<![^\W\d_])" + v["not_reward_before"], ic),
        referral_unit=re.compile(v["referral_unit"], ic),
        deeper_level_after=re.compile(v["deeper_level_after"], ic),
        deeper_level_clause=re.compile(v["deeper_level_clause"], ic),
    )


def fill_reward(t: str, clauses: list[tuple[int, int]], nums: list[Any], example: set[int], terms: _t.Terms) -> None:
    """Flat reward (model, min/max, currency) of a refer-a-friend text where no commission was found."""
    if not _words().topic.search(t):
        return
    if terms.model is not None:
        _type_of_found_reward(t, nums, terms)
        return
    found = [n for i, (s, e) in enumerate(clauses) if i not in example
             for n in nums if _t._in((s, e), n) and _referrer_reward(t, n, s, e)]
    if not found:
        return
    found += [n.partner for n in found if n.partner is not None and n.partner.kind == "money" and n.partner not in found]
    cur = found[0].currency
    same = sorted((n for n in found if n.currency == cur), key=lambda n: n.start)
    for n in same:
        n.role = "commission"
    lo = min(same, key=lambda n: n.value)
    hi = max(same, key=lambda n: n.value)
    terms.flat_max = _t.Found(hi.value, (hi.start, hi.span_end))
    up_to = len({n.value for n in same}) == 1 and _up_to(t, same[0])
    terms.flat_min = None if up_to else _t.Found(lo.value, (lo.start, lo.span_end))
    terms.currency = None if cur is None else _t.Found(cur, (same[0].start, same[0].span_end))
    terms.model = _t.Found(CommissionModel.FLAT, (same[0].start, same[0].span_end))
    # the amounts are not handed to the commission-shape rules (terms._commission_nums): a reward's type comes only
    # from a unit named for it, never from the friend's act it waits for
    terms.payout_type = _reward_unit_type(t, same[0])


def _type_of_found_reward(t: str, nums: list[Any], terms: _t.Terms) -> None:
    """A flat amount the other rules read ("20 € pour le parrain", "Beloning voor een succesvolle aanbeveling: 25,00
    EUR") is paid per referral where its sentence names a referral as the unit."""
    model = terms.model
    if model is None or model.value is not CommissionModel.FLAT or terms.payout_type is not None or terms.flat_max is None:
        return
    at = terms.flat_max.span[0]
    n = next((m for m in nums if m.start == at and m.kind == "money"), None)
    terms.payout_type = _reward_unit_type(t, n) if n is not None else _referral_unit_at(t, at, terms.flat_max.span[1])


def _up_to(t: str, n: Any) -> bool:
    """"up to $10", "hasta $1,000 MXN", "bis zu 50 €": a cap, no minimum."""
    from matrix.normalize import terms_lang
    return _t._up_to_before(t, n) or terms_lang._word_before_pos(t, n.start, terms_lang._lang().up_to_words, 14)


def _referrer_reward(t: str, n: Any, s: int, e: int) -> bool:
    """An amount the referrer receives: tied by a receive verb or a reward noun before it, or by "for you" / "for each
    referral" after it; not the friend's reward, a discount, a spend or deposit, a cap or a threshold."""
    if n.kind != "money" or n.value <= 0 or n.role is not None or n.currency is None:
        return False
    w = _words()
    before = t[max(s, n.start - 70):n.start]
    before = re.split(r"[\d$€£%]", before)[-1]      # only the words since the previous figure
    after = t[n.span_end:min(e, n.span_end + 80)]
    if w.not_reward_after.match(after) or w.not_reward_before.search(before[-40:]):
        return False
    if _t._rules().other_party_before.search(before) or _t._OR_MORE_AFTER.match(after) \
            or _t._vocab_rx("money_other_party_after").match(after):
        return False      # "your friends receive £5 off", "a transfer of $50 or more", "a £25 voucher for the friend"
    if _milestone_or_override(t, n, s, e) or _claim_or_worked_case(t, n, s, e, before, after):
        return False
    if _t._EXTRA_ITEM_BEFORE.search(before):
        return False      # (session 16) "Fast Start: Extra $25 per referral" adds to the reward, a bonus
    return bool(w.receive_before.search(before) or w.receive_before_foreign.search(before)
                or w.noun_label_before.search(before) or w.for_after.match(after)
                or _t._vocab_rx("reward_in_kind_valued_before").search(before))


def _claim_or_worked_case(t: str, n: Any, s: int, e: int, before: str, after: str) -> bool:
    """"Most partners earn an average of $80 per referral", "you could earn $500", "once you have earned $50": a
    claim, a hypothetical or a balance; "refer five friends who buy $200 and you earn $30": a worked case (its clause
    prices a purchase)."""
    if _t._AVERAGE_BEFORE.search(before) or _t._ACCRUED_BEFORE.search(before) or _t._earnings_claim(before, after) \
            or _t._hypothetical(before, after):
        return True
    return any(m.kind == "money" and _t._in((s, e), m) and m.start != n.start and _t._purchase_amount(t, m, s)
               for m in _t._numbers(t))


def _milestone_or_override(t: str, n: Any, s: int, e: int) -> bool:
    """"£25 bonus after the 3rd referral", "sales of at least $1,000 ... receive a bonus of $100": a bonus for a
    milestone or a volume (a bonus beside another amount it depends on); "$50 per customer your sub-affiliates refer":
    an override on other affiliates' referrals. ("Bonus Amount $100 per referral | $50-75 elsewhere" is no milestone:
    only an amount before the bonus is a condition of it.)"""
    r = _t._rules()
    window = t[max(s, n.start - 45):min(e, n.span_end + 60)]
    if r.override.search(window) or _t._vocab_rx("reward_milestone_ordinal").search(t, s, n.start):
        return True       # ... or "invite your fifth friend and receive €40": a reward for the n-th referral only
    if not r.bonus.search(window):
        return False
    others = [m for m in _t._numbers(t[s:n.start]) if m.kind == "money" and m.value != n.value]
    return bool(r.referral_bonus_veto.search(window) or others)


# "you'll each get £50", "both will each receive": "each" shares the reward out, it names no unit
_DISTRIBUTIVE_EACH = re.compile(r"(?i)(?:get|gets|receive|receives|earn|earns|be|are|will|can|qualify|of|with|for)\b"
                                r"|eligible for\b")


def _reward_unit_type(t: str, n: Any) -> _t.Found | None:
    """The payout type of the reward: the unit named beside it ("per sign-up", "for each qualified referral", "a
    referral bonus of $50"), else a referral named as the unit in any language ("pour tout parrainage", "por persona
    referida", "voor een succesvolle aanbeveling"), which is "anything else" of the payout-type convention (CPA). A reward with no
    unit ("you'll both get £50 when your friend opens an account") says nothing about the type: the friend's act is a
    condition of the reward, not what it is counted per."""
    phrases = [p for p in _t._unit_phrases(t, n)[0] if not _DISTRIBUTIVE_EACH.match(p)]
    named = bool(phrases) or _t._UNIT_LABEL_BEFORE.search(t, max(0, n.start - 40), n.start) is not None
    kind = _t._unit_type(t, n) if named else PayoutType.CPA if _t._named_per_referral(t, n) else None
    if kind is None:
        return _referral_unit_at(t, n.start, n.span_end)
    return _t.Found(kind, (n.start, n.span_end))


def _referral_unit_at(t: str, start: int, end: int) -> _t.Found | None:
    """CPA where the sentence of the amount at start..end names a referral as the unit it is paid for."""
    s = max(t.rfind(".", 0, start), 0)
    stop = t.find(".", end)
    if _words().referral_unit.search(t[s:stop if stop > 0 else len(t)]):
        return _t.Found(PayoutType.CPA, (start, end))
    return None


def deeper_level_share(t: str, n: Any, lo: int, hi: int) -> bool:
    """A percent paid on a deeper level of the referral network: "you get 16-20% from the first level and 8-10% from the
    second level" (the level named after the rate), "they become your second-tier referrals and you will get 6% of
    all fees" (named before it in its clause). The first level's rate stays the commission."""
    w = _words()
    last = n if n.partner is None or n.partner.start < n.start else n.partner      # "8-10% from the second level"
    fwd = re.split(r"[.;!?]", t[last.span_end:_t._next_number_start(t, last, hi)], maxsplit=1)[0]
    if w.deeper_level_after.match(fwd) or w.deeper_level_clause.search(fwd):
        return True     # "... 10% of the fee when people who your affiliates bring on board buy"
    return bool(w.deeper_level_clause.search(t, lo, n.start)) or _below_level_one(t, last, hi)


_LEVEL_NUMBERS = {"1": 1, "one": 1, "i": 1, "first": 1, "2": 2, "two": 2, "ii": 2, "3": 3, "three": 3, "iii": 3,
                  "4": 4, "four": 4, "iv": 4, "5": 5, "five": 5, "v": 5,
                  "a": 1, "b": 2, "c": 3, "d": 4, "e": 5}     # (session 16) "level A / B / C"


def _level_after(t: str, n: Any, hi: int) -> int | None:
    """The network level a percent is labelled with right after it: "0.75% for level 2 affiliates" -> 2."""
    m = _t._vocab_rx("numbered_level_after").match(t, n.span_end, min(hi, n.span_end + 40))
    return None if m is None else _LEVEL_NUMBERS.get((m.group("k") or m.group("k2")).lower())


def _below_level_one(t: str, n: Any, hi: int) -> bool:
    """"5% for level 1 affiliates, 0.75% for level 2 affiliates and 0.25% for level 3 affiliates": a rate labelled with
    a deeper level of the network that is lower than the rate of level 1 is an override on other affiliates' sales
    (a volume ladder, "20% for level 1 affiliates, 25% for level 2 affiliates", rises instead) (session 9)."""
    level = _level_after(t, n, hi)
    if level is None or level < 2:
        return False
    return any(m.kind == "pct" and m.value > n.value and _level_after(t, m, len(t)) == 1 for m in _t._numbers(t))

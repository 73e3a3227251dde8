"""Session 6 of the terms arbiter (issue 11): the evidence gate. The learned arbiter may only speak where the rules'
evidence is weak or absent -- a null the rules left although they found a commission, or a payout type they derived
from the commission's shape -- and never overrides a value the rules read from an explicit phrase ("lifetime",
"for 12 months", "one-time", "first payment only", "CPA"). Sentences here are our own phrasing.

The gate is pinned twice: with an adversarial stand-in arbiter (always sure of the opposite class, margin 0), so that
what the gate lets through does not depend on what a trained model happens to believe, and with the shipped models."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bench.terms_arbiter_loro import EVIDENCE_MARGINS, MARGINS, choose_margin, default_on_ok, pooled
from bench.terms_quality import _same, load_corpus
from matrix.normalize import terms_arbiter as ta
from matrix.normalize.terms import extract_terms

# every recurrence value here is read from an explicit phrase by the rules
EXPLICIT_RECURRING = [
    ("Partners earn 30% recurring commission for 12 months on every plan they refer.", True),
    ("You earn a lifetime commission of 25% on all subscription payments of your referrals.", True),
    ("We pay a one-time commission of $40 for each new customer you send us.", False),
    ("Affiliates receive 15% of the first payment only.", False),
]
# two clauses, the rules found a commission but say nothing about recurrence: weak evidence, the arbiter may decide
WEAK_RECURRING = "Affiliates get 20% of what their referred customers spend with us. Reports update daily."
# marker words that belong to another field (no commission found): the rules' null stands
NO_COMMISSION = ["Lifetime cookies keep tracking your visitors.", "First-time orders get 10% off with your code.",
                 "We pay commissions one time per month."]


@dataclass
class Contrarian:
    """A stand-in arbiter that always puts probability 1 on a class other than the rules' value."""

    field: str
    margin: float = 0.0

    def proba(self, text: str, rule_values: dict[str, Any]) -> dict[str, float]:
        rule = ta.label_class(rule_values.get(self.field))
        other = {"recurring": {"true": "false", "false": "true", "null": "true"},
                 "payout_type": {"cps": "cpa", "cpa": "cpl", "cpl": "cpa", "revshare": "cpa", "null": "cpa"}}
        classes = ["true", "false", "null"] if self.field == "recurring" else ["cps", "cpa", "cpl", "revshare", "null"]
        best = other[self.field].get(rule, "null")
        return {c: 1.0 if c == best else 0.0 for c in classes}


@pytest.fixture
def contrarian(monkeypatch):
    monkeypatch.setenv(ta.ENV_SWITCH, "1")
    monkeypatch.setattr(ta, "shipped", lambda field: Contrarian(field))


def test_may_override_only_where_the_rules_evidence_is_weak() -> None:
    found = {"commission": True, "payout_type_derived": False}
    derived = {"commission": True, "payout_type_derived": True}
    none = {"commission": False, "payout_type_derived": False}
    assert ta.may_override("recurring", None, found)
    assert not ta.may_override("recurring", True, found) and not ta.may_override("recurring", False, found)
    assert not ta.may_override("recurring", None, none)          # no commission found: a marker word is another field's
    assert ta.may_override("payout_type", None, found) and ta.may_override("payout_type", "cps", derived)
    assert not ta.may_override("payout_type", "cpa", found)       # read from a word
    assert not ta.may_override("payout_type", "revshare", derived)   # follows recurrence
    assert not ta.may_override("model", None, found) and not ta.may_override("lifetime", None, found)
    assert not ta.may_override("recurring", None, dict(found, clauses=1))      # one clause: the rules' null stands
    assert not ta.may_override("payout_type", "cps", dict(derived, clauses=1))
    assert ta.may_override("recurring", None, dict(found, clauses=2))


def test_gated_never_produces_a_revenue_share_type_and_keeps_the_margin() -> None:
    derived = {"commission": True, "payout_type_derived": True}
    assert ta.gated("payout_type", {"revshare": 0.9, "cps": 0.1}, "cps", 0.0, derived) == "cps"
    assert ta.gated("payout_type", {"cpa": 0.9, "cps": 0.1}, "cps", 0.0, derived) == "cpa"
    assert ta.gated("payout_type", {"cpa": 0.5, "cps": 0.45}, "cps", 0.2, derived) == "cps"      # lead .05 < .2
    assert ta.gated("recurring", {"true": 1.0}, False, 0.0, derived) is False


def test_rule_evidence_reads_the_spans_of_the_rules() -> None:
    with ta.rules_only():
        derived = extract_terms("Earn 20% on every sale. Reports update daily.")
        worded = extract_terms("This is a CPA offer: $30 per approved sale.")
        unit = extract_terms("Earn $3 for every app install.")
        silent = extract_terms("Our banners come in three sizes.")
    assert ta.rule_evidence(derived) == {"commission": True, "payout_type_derived": True, "clauses": 2}
    assert ta.rule_evidence(worded)["payout_type_derived"] is False and worded.payout_type is not None
    assert ta.rule_evidence(unit)["payout_type_derived"] is False and unit.payout_type is not None   # a unit is a marker
    assert ta.rule_evidence(silent) == {"commission": False, "payout_type_derived": False, "clauses": 1}
    assert ta.rule_evidence(derived, n_clauses=5)["clauses"] == 5


def test_one_clause_is_never_handed_to_the_arbiter(contrarian) -> None:
    # in one clause the rules saw every word together: their null is a considered one
    one = "Affiliates get 20% of what their referred customers spend with us."
    assert ta.rule_evidence(extract_terms(one))["clauses"] == 1
    t = extract_terms(one)
    assert t.recurring is None and t.arbitrated == {}


@pytest.mark.parametrize("text, want", EXPLICIT_RECURRING)
def test_an_explicit_recurrence_marker_is_never_overridden(contrarian, text: str, want: bool) -> None:
    t = extract_terms(text)
    assert t.recurring is not None and t.recurring.value is want and t.recurring.source == "rules"
    assert "recurring" not in t.arbitrated


@pytest.mark.parametrize("text", NO_COMMISSION)
def test_without_a_commission_the_rules_null_stands(contrarian, text: str) -> None:
    t = extract_terms(text)
    assert t.recurring is None and t.payout_type is None and t.arbitrated == {}


def test_a_weak_evidence_case_is_decided_by_the_arbiter(contrarian) -> None:
    with ta.rules_only():
        rules = extract_terms(WEAK_RECURRING)
    assert rules.recurring is None and rules.model is not None
    t = extract_terms(WEAK_RECURRING)
    assert t.recurring is not None and t.recurring.value is True and t.recurring.source == "arbiter"
    assert t.arbitrated["recurring"]["rule"] is None and t.arbitrated["recurring"]["arbiter"] is True
    # the derived percent type follows the new recurrence (rule 2 of the payout-type convention)
    assert t.as_dict()["payout_type"] == "revshare"


def test_a_payout_type_read_from_a_word_is_kept_and_a_derived_one_may_change(monkeypatch) -> None:
    monkeypatch.setenv(ta.ENV_SWITCH, "1")        # the stand-in speaks for payout_type only here
    monkeypatch.setattr(ta, "shipped", lambda field: Contrarian(field) if field == "payout_type" else None)
    t = extract_terms("This is a CPA offer: $30 per approved sale.")
    assert "payout_type" not in t.arbitrated
    with ta.rules_only():
        rules = extract_terms("Earn 20% on every sale. Reports update daily.")
    t = extract_terms("Earn 20% on every sale. Reports update daily.")
    assert rules.as_dict()["payout_type"] == "cps" and t.as_dict()["payout_type"] == "cpa"
    assert t.payout_type is not None and t.payout_type.source == "arbiter"


def test_off_switch_keeps_the_rules(monkeypatch) -> None:
    monkeypatch.setattr(ta, "shipped", lambda field: Contrarian(field))
    monkeypatch.setenv(ta.ENV_SWITCH, "0")
    assert extract_terms(WEAK_RECURRING).arbitrated == {}


def _fold(acc: dict[float, float], fp: dict[float, float], n: int = 100) -> dict[float, dict[str, Any]]:
    return {m: {"stated": n, "accuracy": acc.get(m, 0.5), "unstated": n, "fp_rate": fp.get(m, 0.02)} for m in MARGINS}


def test_the_strict_margin_choice_never_lets_fp_rise_above_the_rules() -> None:
    # margin 0 is more accurate but adds false positives: strict picks the best margin at the rules' own fp
    folds = [_fold({0.0: 0.9, 0.3: 0.7}, {0.0: 0.03}), _fold({0.0: 0.9, 0.3: 0.7}, {0.0: 0.03})]
    assert choose_margin(folds, strict=True) == 0.3
    assert choose_margin(folds) == 0.0           # the old rule allowed fp up to MAX_FP
    assert pooled([folds[0][0.0], folds[1][0.0]]) == {"stated": 200, "accuracy": 0.9, "unstated": 200, "fp_rate": 0.03}


def test_default_on_bar() -> None:
    rules = {"accuracy": 0.72, "fp_rate": 0.028}
    assert default_on_ok(rules, {"accuracy": 0.73, "fp_rate": 0.028})
    assert not default_on_ok(rules, {"accuracy": 0.73, "fp_rate": 0.03})       # fp above the rules'
    assert not default_on_ok(rules, {"accuracy": 0.72, "fp_rate": 0.0})         # accuracy not up
    assert default_on_ok({"accuracy": 0.79, "fp_rate": 0.043}, {"accuracy": 0.80, "fp_rate": 0.043})


def test_the_shipped_arbiters_carry_the_evidence_margins() -> None:
    for field in ta.SHIPPED_FIELDS:
        arbiter = ta.shipped(field)
        assert arbiter is not None and arbiter.margin == EVIDENCE_MARGINS[field]
        assert arbiter.provenance["rounds"] == "4-21"


DATA = Path(__file__).resolve().parents[1] / "data" / "terms"
GATED = ("recurring", "payout_type")


def _right(field: str, got: Any, want: Any) -> bool:
    return got is None if want is None else got is not None and _same(field, got, want)


def _flips(names: tuple[str, ...]) -> tuple[list[tuple[str, str, Any, Any]], dict[str, list[int]]]:
    """Labelled values the current switch turns from right to wrong, and per field [fp off, fp on, unstated]."""
    flips, fps = [], {f: [0, 0, 0] for f in GATED}
    for r in [r for n in names for r in load_corpus(DATA / f"{n}.jsonl")]:
        with ta.rules_only():
            off = extract_terms(r["text"]).as_dict()
        on = extract_terms(r["text"]).as_dict()
        for f in GATED:
            want = r["labels"][f]
            if _right(f, off[f], want) and not _right(f, on[f], want):
                flips.append((r["id"], f, off[f], on[f]))
            if want is None:
                fps[f] = [fps[f][0] + (off[f] is not None), fps[f][1] + (on[f] is not None), fps[f][2] + 1]
    return flips, fps


def test_the_default_switch_turns_no_hand_written_or_corpus_value_wrong(monkeypatch) -> None:
    # the default-on bar of session 6, on the written battery and on corpus.jsonl (never in any arbiter's training)
    monkeypatch.delenv(ta.ENV_SWITCH, raising=False)
    flips, fps = _flips(("battery_commission", "corpus"))
    assert flips == []
    assert all(on <= off for off, on, _ in fps.values()), fps


def test_all_shipped_arbiters_on_turn_no_battery_value_wrong(monkeypatch) -> None:
    monkeypatch.setenv(ta.ENV_SWITCH, "1")
    flips, fps = _flips(("battery_commission",))
    assert flips == []
    assert all(on <= off for off, on, _ in fps.values()), fps


def test_the_real_recurring_arbiter_decides_a_weak_case_but_not_in_one_clause(monkeypatch) -> None:
    monkeypatch.setenv(ta.ENV_SWITCH, "1")
    two = "Earn 30% on every subscription you refer. Your share is paid on each monthly subscription fee they pay."
    one = "Earn 30% on every subscription you refer and your share is paid on each monthly subscription fee they pay."
    with ta.rules_only():
        assert extract_terms(two).recurring is None and extract_terms(one).recurring is None
    t = extract_terms(two)
    assert t.recurring is not None and t.recurring.value is True and t.recurring.source == "arbiter"
    assert "recurring" not in extract_terms(one).arbitrated          # one clause: the rules' null stands
    for text, want in EXPLICIT_RECURRING:                             # the real models never touch an explicit marker
        got = extract_terms(text)
        assert got.recurring is not None and got.recurring.value is want and got.recurring.source == "rules"

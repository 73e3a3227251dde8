"""Session 5 of the terms arbiter experiment (issue 11): the margin gate that keeps the rule's value unless the
arbiter beats it clearly, the margin choice of the leave-one-round-out bench, and its --rounds parsing.
Nothing is shipped (see bench/terms_arbiter_loro.py): these pin the measuring machinery."""

from __future__ import annotations

import pytest

from bench.terms_arbiter_loro import MARGINS, PREREGISTERED_MARGINS, choose_margin, parse_rounds
from matrix.normalize.terms_arbiter import ARBITER_FIELDS, fit_field, gate

NONE_RULES = {"recurring": None, "lifetime": None, "payout_type": None, "model": None}


def test_gate_keeps_a_clear_rule_value() -> None:
    # the arbiter agrees with the rule, or prefers another class by less than the margin: the rule's value stays
    assert gate("recurring", {"true": 0.9, "false": 0.05, "null": 0.05}, True, 0.3) is True
    assert gate("recurring", {"true": 0.45, "false": 0.55, "null": 0.0}, True, 0.3) is True
    assert gate("payout_type", {"cps": 0.5, "cpa": 0.5}, "cps", 0.0) == "cps"   # a tie never overrides


def test_gate_overrides_only_past_the_margin() -> None:
    probs = {"true": 0.1, "false": 0.8, "null": 0.1}
    assert gate("recurring", probs, True, 0.5) is False
    assert gate("recurring", probs, True, 0.8) is True          # 0.8 - 0.1 < 0.8
    assert gate("recurring", probs, True, 1.01) is True         # > 1 = never override
    # a rule class the arbiter never saw counts as probability 0
    assert gate("payout_type", {"cps": 0.7, "null": 0.3}, "cpl", 0.6) == "cps"
    assert gate("lifetime", {"null": 0.9, "true": 0.1}, True, 0.5) is None


def _fold(acc: dict[float, float], fp: dict[float, float]) -> dict[float, dict[str, float]]:
    return {m: {"accuracy": acc.get(m, 0.5), "fp_rate": fp.get(m, 0.0)} for m in MARGINS}


def test_choose_margin_prefers_accuracy_within_the_fp_ceiling_then_fewer_overrides() -> None:
    # best accuracy at 0.0 but fp over the ceiling there -> the next best eligible margin
    folds = [_fold({0.0: 0.9, 0.2: 0.8}, {0.0: 0.10}), _fold({0.0: 0.9, 0.2: 0.8}, {0.0: 0.10})]
    assert choose_margin(folds) == 0.2
    # equal accuracy everywhere -> the largest margin (never override)
    assert choose_margin([_fold({}, {})]) == MARGINS[-1]


def test_parse_rounds_reads_lists_and_ranges_and_refuses_missing_files() -> None:
    assert [p.stem for p in parse_rounds("16,17,18,19")] == ["round16", "round17", "round18", "round19"]
    assert [p.stem for p in parse_rounds("corpus,4-5")] == ["corpus", "round4", "round5"]
    with pytest.raises(SystemExit):
        parse_rounds("99")
    assert set(PREREGISTERED_MARGINS) == set(ARBITER_FIELDS)


def test_probabilities_are_deterministic_and_normalised() -> None:
    texts = ["paid on every renewal", "each monthly renewal pays again", "renewals pay every month too",
             "paid once on the first order", "one-time reward for a first order", "first order only pays once"] * 2
    labels: list[object] = [True] * 3 + [False] * 3
    a = fit_field("recurring", texts, [NONE_RULES] * len(texts), labels * 2)
    b = fit_field("recurring", texts, [NONE_RULES] * len(texts), labels * 2)
    pa = a.proba(["paid on every monthly renewal"], [NONE_RULES])
    assert pa == b.proba(["paid on every monthly renewal"], [NONE_RULES])
    assert abs(sum(pa[0].values()) - 1.0) < 1e-9 and pa[0]["true"] > pa[0]["false"]

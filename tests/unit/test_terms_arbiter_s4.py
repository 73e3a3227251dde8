"""The learned terms arbiter (experiment, issue 11): class mapping, determinism, what it can learn, and
the leave-one-round-out bench's scoring and ship rule."""

from __future__ import annotations

import numpy as np
import pytest

from bench.terms_arbiter_loro import field_score, round_files, verdict
from matrix.normalize.terms_arbiter import class_value, fit_field, label_class, rule_tokens

NONE_RULES = {"recurring": None, "lifetime": None, "payout_type": None, "model": None}

# short sentences of our own phrasing: recurring wording vs one-off wording vs no commission talk
RECURRING = ["You keep earning every month the customer renews", "Commission is paid on each renewal of the plan",
             "Every monthly payment of your referral earns you a share", "Renewals earn you the same share again"]
ONE_OFF = ["Paid once on the first order only", "A one-time reward for the first order",
           "Only the initial order is rewarded", "You are paid once per new customer first order"]
SILENT = ["Our support team answers within a day", "Log in to see your dashboard",
          "Banners come in three sizes", "Contact us with questions about the brand"]


def _train(texts: list[str], labels: list[object], rules: list[dict] | None = None, **kw):
    return fit_field("recurring", texts, rules or [NONE_RULES] * len(texts), labels, **kw)


def test_classes_round_trip_in_label_shape() -> None:
    for field, value in [("recurring", True), ("recurring", False), ("lifetime", True), ("payout_type", "cps"),
                         ("model", "percent"), ("recurring", None)]:
        assert class_value(field, label_class(value)) == value
    assert label_class(None) == "null" and label_class(False) == "false"


def test_rule_outputs_become_one_token_per_field() -> None:
    toks = rule_tokens({"recurring": False, "payout_type": "cpa", "lifetime": None, "model": "flat"}).split()
    assert toks == ["R_recurring_false", "R_lifetime_null", "R_payout_type_cpa", "R_model_flat"]


def test_text_arbiter_learns_wording_and_is_deterministic() -> None:
    texts = RECURRING + ONE_OFF + SILENT
    labels = [True] * 4 + [False] * 4 + [None] * 4
    a = _train(texts, labels, use_rules=False)
    b = _train(texts, labels, use_rules=False)
    probe = ["Each renewal earns you the share again", "Only the first order is paid", "Banners and a dashboard"]
    assert a.predict(probe, [NONE_RULES] * 3) == [True, False, None]
    np.testing.assert_array_equal(a.pipeline[-1].coef_, b.pipeline[-1].coef_)


def test_stacked_arbiter_can_learn_to_override_a_rule() -> None:
    # the rule always says recurring = True; the labels say it is wrong on one-off wording
    texts = RECURRING + ONE_OFF
    rules = [dict(NONE_RULES, recurring=True)] * 8
    model = _train(texts, [True] * 4 + [False] * 4, rules)
    assert model.predict(["Only the initial order is paid once"], [dict(NONE_RULES, recurring=True)]) == [False]


def test_field_score_uses_the_quality_bench_definitions() -> None:
    recs = [{"labels": {"recurring": True}}, {"labels": {"recurring": False}},
            {"labels": {"recurring": None}}, {"labels": {"recurring": None}}]
    s = field_score("recurring", [True, True, None, False], recs)
    assert s == {"stated": 2, "accuracy": 0.5, "unstated": 2, "fp_rate": 0.5}


def _per_round(pairs: list[tuple[float, float]], fp: float = 0.0) -> dict:
    return {f"r{i}": {"rules": {"accuracy": r, "fp_rate": 0.0}, "arb": {"accuracy": a, "fp_rate": fp}}
            for i, (r, a) in enumerate(pairs)}


@pytest.mark.parametrize("pairs, fp, ship", [
    ([(0.80, 0.85), (0.90, 0.92)], 0.0, True),        # +0.035 mean, no round drops
    ([(0.80, 0.81), (0.90, 0.91)], 0.0, False),       # gain below 0.02
    ([(0.80, 0.90), (0.90, 0.92)], 0.05, False),      # fp above 0.03
    ([(0.70, 0.90), (0.95, 0.91)], 0.0, False),       # one round drops by 0.04
])
def test_ship_rule(pairs: list[tuple[float, float]], fp: float, ship: bool) -> None:
    assert verdict(_per_round(pairs, fp), "arb")["ship"] is ship


def test_bench_never_reads_a_sealed_set() -> None:
    files = round_files()
    assert files and not any(p.name.startswith("sealed") for p in files)


def _write_round(path, name: str, rows: list[tuple[str, object]]) -> dict:
    import json

    from matrix.normalize.terms import FIELDS
    rules = {}
    with open(path, "w", encoding="utf-8") as fh:
        for i, (text, recurring) in enumerate(rows):
            labels = {f: None for f in FIELDS} | {"recurring": recurring}
            rid = f"{name}-{i}"
            fh.write(json.dumps({"id": rid, "split": name, "text": text, "labels": labels}) + "\n")
            rules[rid] = {f: None for f in FIELDS}     # a rule engine that never finds recurrence
    return rules


def test_loro_holds_each_round_out_and_scores_rules_beside_arbiters(tmp_path) -> None:
    import json

    from bench.terms_arbiter_loro import run
    rows = [(t, True) for t in RECURRING] + [(t, False) for t in ONE_OFF] + [(t, None) for t in SILENT]
    files, rules = [], {}
    for k in range(3):
        path = tmp_path / f"round{k}.jsonl"
        rules |= _write_round(path, f"round{k}", rows[k::3] + rows[(k + 1) % 3::3])
        files.append(path)
    saved = tmp_path / "rules.json"
    saved.write_text(json.dumps(rules), encoding="utf-8")
    res = run(("recurring",), paths=files, rules_from=saved)["recurring"]
    assert list(res["rounds"]) == ["round0", "round1", "round2"]
    for scores in res["rounds"].values():
        assert scores["rules"]["accuracy"] == 0.0            # the silent rules miss every stated quote
        assert set(scores) == {"rules", "stacked", "text"}
    assert set(res["verdicts"]) == {"stacked", "text"}
    assert res["verdicts"]["text"]["rules"]["accuracy"] == 0.0

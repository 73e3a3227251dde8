"""Session 10 of the terms arbiter experiment (issue 11): the set arbiter for `restrictions` / `methods` measured by
`bench/terms_arbiter_loro.py --sets`. The n-gram layer did not meet its pre-registered ship rule; with the MiniLM
embedding added (a second look) it met it on `methods` only, and nothing ships in the library (the lead may judge it on
a sealed round with `--sets-score-on`). These pin the measuring machinery (the decision, the threshold choice under the
rules' false-positive ceiling, the ship rule, the features)."""

from __future__ import annotations

from typing import Any

from bench.terms_arbiter_loro import (
    HELD_OUT_RULES,
    SET_NEVER,
    choose_set_thresholds,
    set_decide,
    set_score,
    set_split_probs,
    set_text_blocks,
    set_verdict,
)


def _rec(gold: list[str] | None, rules: list[str] | None) -> dict[str, Any]:
    return {"labels": {"restrictions": gold}, "rules": {"restrictions": rules}}


def test_set_decide_adds_drops_and_empties_to_unstated() -> None:
    probs = {"no-adult": 0.95, "no-spam": 0.01, "no-coupon": 0.6}
    # add above t_add to a non-empty rule set, drop a rule label below t_drop
    assert set_decide(["no-spam", "no-search"], probs, (0.9, 2.0, 0.05)) == ["no-adult", "no-search"]
    # an empty rule set only takes a label above the stricter add-to-empty threshold
    assert set_decide(None, probs, (0.5, 0.97, -1.0)) is None
    assert set_decide(None, probs, (0.5, 0.9, -1.0)) == ["no-adult"]
    # dropping every rule label leaves "not stated" (None), never an empty list
    assert set_decide(["no-spam"], {"no-spam": 0.0}, (2.0, 2.0, 0.5)) is None
    # the never-thresholds return the rules' own set
    assert set_decide(["no-spam"], probs, SET_NEVER) == ["no-spam"]


def test_set_score_counts_exact_sets_and_false_positives() -> None:
    recs = [_rec(["no-spam", "no-adult"], None), _rec(["no-spam"], None), _rec(None, None), _rec(None, None)]
    s = set_score("restrictions", [["no-adult", "no-spam"], ["no-spam", "no-pop"], ["no-pop"], None], recs)
    assert s == {"stated": 2, "correct": 1, "unstated": 2, "fp": 1}


def test_thresholds_never_buy_accuracy_with_false_positives() -> None:
    # adding no-adult everywhere would fix the stated quote and create a false positive on the unstated one
    recs = [_rec(["no-adult"], None), _rec(None, None)]
    probs = [{"no-adult": 0.99}, {"no-adult": 0.99}]
    assert choose_set_thresholds("restrictions", recs, probs)[1] == 2.0   # never add to an empty rule set
    # where the unstated quote's probability is low, adding is chosen
    probs = [{"no-adult": 0.99}, {"no-adult": 0.1}]
    assert choose_set_thresholds("restrictions", recs, probs)[1] < 0.99


def _fold(rules: tuple[int, int], gated: tuple[int, int], n: int = 20, un: int = 100) -> dict[str, Any]:
    cell = {"stated": n, "unstated": un}
    return {"rules": {**cell, "correct": rules[0], "fp": rules[1]}, "ungated": {**cell, "correct": gated[0], "fp": gated[1]},
            "gated": {**cell, "correct": gated[0], "fp": gated[1]}}


def test_ship_rule() -> None:
    good = {"round22": _fold((10, 1), (12, 1)), "round23": _fold((10, 1), (11, 1))}
    assert set_verdict(good)["ship"]
    # one more false positive than the rules: no
    assert not set_verdict({**good, "round23": _fold((10, 1), (11, 2))})["ship"]
    # a round down by 2 quotes (> .03): no, whatever the mean gain
    assert not set_verdict({"round22": _fold((10, 1), (16, 1)), "round23": _fold((10, 1), (8, 1))})["ship"]
    # gains only on old rounds while rounds >= 22 lose a quote: no
    old = {"round5": _fold((5, 0), (12, 0)), "round22": _fold((10, 0), (9, 0))}
    assert not set_verdict(old)["ship"]


def test_held_out_rules_cover_every_round_from_4_to_31() -> None:
    assert sorted(HELD_OUT_RULES) == list(range(4, 32))
    # rounds 30-31 were never seen by the rules of 727bb9b (wave 2 was developed on half of 28-29)
    assert HELD_OUT_RULES[30] == HELD_OUT_RULES[31] == "727bb9b"


def test_split_probs_learn_a_label_from_text_and_take_a_dense_block() -> None:
    import numpy as np
    texts = [f"payments are sent by paypal every month {i}" for i in range(6)] + \
            [f"we pay by bank transfer only {i}" for i in range(6)]
    records = [{"text": t, "labels": {"methods": ["paypal"] if "paypal" in t else ["bank"]}, "rules": {"methods": None}}
               for t in texts]
    dense = np.zeros((len(texts), 4), dtype=np.float64)   # an embedding-like block passes through untouched
    blocks = [*set_text_blocks(texts), dense]
    probs = set_split_probs("methods", blocks, records, list(range(0, 12, 2)), list(range(1, 12, 2)), ["paypal"])
    assert [p["paypal"] > 0.5 for p in probs] == ["paypal" in texts[i] for i in range(1, 12, 2)]

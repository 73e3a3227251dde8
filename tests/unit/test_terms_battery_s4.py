"""The commission phrasing battery (tests/data/terms/battery_commission.jsonl) and the rules it drove (session 4).

The battery is 492 short sentences written by hand in three waves, each labelled by the README convention before the
extractor ran on it: ways terms pages state a rate, a flat amount, tiers, recurrence and the payout type, with decoys (worked
examples, thresholds, bonuses, discounts, sub-affiliate rates, prices, earnings claims). Its English part must stay
above the per-field floors measured after the session-4 rules (measured minus a small margin); the sentences in
other languages (b361-b408) are reported by the bench but carry no floor here (another rule set reads them).
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from matrix.normalize.terms import extract_terms

ROOT = Path(__file__).resolve().parents[2]
BATTERY = ROOT / "tests" / "data" / "terms" / "battery_commission.jsonl"

# accuracy where stated, measured on the English sentences after the session-4 rules (minus ~0.03)
FLOORS = {"model": 0.95, "percent": 0.95, "flat": 0.94, "currency": 0.94, "tiers": 0.87, "recurring": 0.96,
          "recurring_months": 0.93, "lifetime": 0.93, "payout_type": 0.95}
MAX_FP = 0.02
OTHER_LANGUAGES = range(361, 409)


@pytest.fixture(scope="module")
def english_scores():
    spec = importlib.util.spec_from_file_location("terms_quality", ROOT / "bench" / "terms_quality.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    records = [r for r in bench.load_corpus(BATTERY) if int(r["id"][1:]) not in OTHER_LANGUAGES]
    return len(records), bench.score(records, bench.ours)


def test_battery_is_written_in_the_round_format():
    import json
    records = [json.loads(line) for line in BATTERY.read_text(encoding="utf-8").splitlines()]
    assert len(records) >= 490 and len({r["id"] for r in records}) == len(records)
    assert {r["split"] for r in records} == {"battery"} and {r["program"] for r in records} == {"battery"}
    for r in records:       # the convention's mechanical checks
        lab = r["labels"]
        assert (lab["currency"] is None) == (lab["flat"] is None), r["id"]
        assert not (lab["recurring_months"] and lab["lifetime"]), r["id"]
        if lab["recurring_months"] or lab["lifetime"] or lab["payout_type"] == "revshare":
            assert lab["recurring"] is True, r["id"]


@pytest.mark.parametrize("field", sorted(FLOORS))
def test_english_battery_accuracy_stays_above_its_floor(english_scores, field):
    n, scores = english_scores
    assert n >= 440
    assert scores[field]["accuracy"] >= FLOORS[field], (field, scores[field])
    assert scores[field]["fp_rate"] <= MAX_FP, (field, scores[field])


def _d(text: str) -> dict:
    return extract_terms(text).as_dict()


@pytest.mark.parametrize("text, flat, cur, ptype", [
    ("Display traffic pays $3 CPM.", [3.0, 3.0], "USD", "cpm"),
    ("CPC: $0.40", [0.4, 0.4], "USD", "cpc"),
    ("CPI offers up to €2", [None, 2.0], "EUR", "cpi"),
    ("Sign-up commission | £2", [2.0, 2.0], "GBP", "cpl"),
    ("Refer a studio and get 40 pounds once it becomes a customer.", [40.0, 40.0], "GBP", "cpa"),
])
def test_model_abbreviations_and_labels_tie_an_amount(text, flat, cur, ptype):
    d = _d(text)
    assert (d["flat"], d["currency"], d["payout_type"]) == (flat, cur, ptype)


@pytest.mark.parametrize("text", [
    "Our best affiliates made over $20,000 per month last year.",
    "Shoppers save up to 35% on bundles.",
    "Sellers pay a 12% platform fee on each order.",
    "Accounts with refunds above 4% of sales are reviewed.",
    "Commission is 10%, so a $300 order earns you $30.",
])
def test_claims_fees_bounds_and_worked_amounts_are_no_commission(text):
    d = _d(text)
    assert d["flat"] is None
    assert d["percent"] in (None, [10.0, 10.0])      # only the stated rate of the last sentence


@pytest.mark.parametrize("text, months, lifetime", [
    ("You earn 15% recurring, capped at 6 months.", 6, None),
    ("Commission duration: 18 months", 18, None),
    ("We pay 30% for the first 6 months, then 10% for the life of the customer.", None, True),
    ("Referral payments | Lifetime", None, True),
    ("Get 25% of every invoice they pay, with no end date.", None, True),
    ("Earn 20% on every renewal, indefinitely.", None, True),
])
def test_recurrence_caps_and_lifetimes_said_in_other_words(text, months, lifetime):
    d = _d(text)
    assert (d["recurring"], d["recurring_months"], d["lifetime"]) == (True, months, lifetime)


@pytest.mark.parametrize("text", [
    "Get a one-off £40 reward for each new member.",
    "Commission is paid once per client; later orders are not commissionable.",
    "Earn 45% on the first order and nothing after.",
    "You only earn on the initial subscription payment.",
])
def test_one_time_commissions_said_in_other_words(text):
    assert _d(text)["recurring"] is False


def test_paid_once_a_month_is_a_schedule_not_a_one_time_commission():
    assert _d("We pay commissions once per month by bank transfer.")["recurring"] is None


@pytest.mark.parametrize("text, tiers", [
    ("Base rate 6%; above $10,000 in monthly sales, 9%.", [6.0, 9.0]),
    ("You get 20% on up to 30 referrals a month and 30% beyond that.", [20.0, 30.0]),
])
def test_volume_steps_make_tiers(text, tiers):
    assert _d(text)["tiers"] == tiers


def test_a_lower_first_sales_count_is_no_one_time_rule():
    assert _d("Earn 4% on your first 20 sales each month and 6% after that.")["recurring"] is None


@pytest.mark.parametrize("text, ptype", [
    ("Pricing model: Pay Per Lead", "cpl"),
    ("This offer pays per click.", "cpc"),
    ("Lead payout: $2.20", "cpl"),
    ("You'll get €60 for each clinic that books a consultation through you.", "cpa"),
    ("Every gym you introduce earns you a $150 thank-you payment.", "cpa"),
])
def test_payout_type_from_labels_frames_and_the_unit_noun(text, ptype):
    assert _d(text)["payout_type"] == ptype


def test_a_pay_per_click_ban_names_no_payout_type():
    assert _d("Pay per click advertising on our brand name is not allowed.")["payout_type"] is None


@pytest.mark.parametrize("text, pct", [
    ("Partners pocket 18% of every booking.", [18.0, 18.0]),
    ("Each referred order nets you 9%.", [9.0, 9.0]),
    ("Pay-per-sale: 11%", [11.0, 11.0]),
    ("New partners start at 20%.", [20.0, None]),
])
def test_other_verbs_of_earning_cue_a_rate(text, pct):
    assert _d(text)["percent"] == pct


@pytest.mark.parametrize("text", [
    "Partners also get 2% of the commissions earned by another affiliate they bring in.",
    "You receive 3% of the value of the commission of another member you recruited (indirect commission).",
    "The platform fee is deducted from the plan price by 30% before any commission is worked out.",
    "Example #2: a customer buys a $40 plan and you get $8.",
])
def test_overrides_deductions_and_numbered_examples_state_no_rate(text):
    d = _d(text)
    assert (d["model"], d["percent"], d["flat"]) == (None, None, None)

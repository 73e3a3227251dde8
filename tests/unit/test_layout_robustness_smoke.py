"""Smoke test of bench/layout_robustness.py: the first dev seeds of every directory source, with the
figures asserted (deterministic: the generator is seeded). The full run (60 dev + 60 held-out
variants per source) is the benchmark, not a test."""

from __future__ import annotations

import json

import pytest

from bench.layout_robustness import evaluate, main
from bench.layout_variants import LAYOUTS, make_variant


@pytest.mark.parametrize("kind,fully_right", [("affiliatefix", 10), ("affiliateprograms", 12), ("odigger", 8),
                                               ("affplus", 9), ("offervault", 8)])
def test_first_dev_seeds_have_no_silent_loss_or_wrong_value(tmp_path, kind, fully_right):
    r = evaluate(kind, range(0, 12), str(tmp_path))
    assert r["variants"] == 12 and r["silent_loss"] == 0 and r["silent_wrong"] == 0
    assert r["fully_right"] == fully_right
    assert r["baseline_fields_right"].split("/")[0] == r["baseline_fields_right"].split("/")[1]  # originals read right
    for v in r["detail"]:  # every variant that is not fully right names each lost field in its drift report
        lost = {p["field"] for p in v["problems"]}
        assert v["fully_right"] or lost <= set(v["drift"]) | {"name"}, v


def test_variants_are_redesigns_of_every_page_and_the_cli_writes_figures(tmp_path):
    v = make_variant("odigger", 3)
    assert v.ops[0].split("=")[1] in LAYOUTS and len(v.pages) == 6
    assert all(p.truth for p in v.pages) and v.pages[0].html != make_variant("odigger", 4).pages[0].html
    out = tmp_path / "lr.json"
    assert main(["--n", "2", "--source", "odigger", "--json", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["seeds"] == [0, 2] and data["total"]["variants"] == 2 and data["sources"][0]["source"] == "odigger"

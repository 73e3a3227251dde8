"""Smoke test of bench/terms_quality.py: the figures come back as data, the corpus has the size
and split the issue asks for, and on the held-out half the extractor beats the one-line regex
baseline on the fields the baseline reads. The full targets are reported by the benchmark."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from matrix.normalize.terms import FIELDS, corpus_split

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("terms_quality", ROOT / "bench" / "terms_quality.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def figures(bench):
    return bench.measure()


def test_corpus_is_real_sized_and_split_by_program(bench):
    records = bench.load_corpus()
    programs = {r["program"] for r in records}
    assert len(records) >= 150 and len(programs) >= 100
    assert all(r["url"].startswith("http") and r["retrieved"] and r["text"].strip() for r in records)
    assert all(set(r["labels"]) == set(FIELDS) for r in records)
    for r in records:   # the split is the documented hash, so one program never lands on both sides
        assert r["split"] == corpus_split(r["program"])
    assert {r["split"] for r in records} == {"dev", "heldout"}


def test_figures_are_data(figures):
    for split in ("dev", "heldout", "all"):
        for who in ("ours", "baseline"):
            assert set(figures[split][who]) == set(FIELDS)
    cell = figures["all"]["ours"]["percent"]
    assert cell["stated"] + cell["unstated"] == figures["corpus"]["snippets"]
    assert 0 <= cell["accuracy"] <= 1 and 0 <= cell["fp_rate"] <= 1


def test_heldout_beats_the_regex_baseline(figures):
    ours, base = figures["heldout"]["ours"], figures["heldout"]["baseline"]
    for field in ("model", "percent", "cookie_days"):
        assert ours[field]["accuracy"] > base[field]["accuracy"]
        assert ours[field]["fp_rate"] < base[field]["fp_rate"]
    # fields the baseline cannot read at all: ours reads most of them
    unreadable = [f for f in FIELDS if base[f]["accuracy"] == 0 and ours[f]["stated"]]
    assert unreadable, "the corpus states fields the regex cannot read"
    assert {f: ours[f]["accuracy"] for f in unreadable if ours[f]["accuracy"] < 0.5} == {}


def test_baseline_is_the_one_liner(bench):
    d = bench.regex_baseline("Earn 30% per sale. Cookie: 60 days. Commissions held 30 days.")
    assert d["percent"] == [30.0, 30.0] and d["cookie_days"] == 60.0 and d["payout_minimum"] is None


def _renamed_copy(bench, tmp_path, name, split, n=6):
    """A few corpus records with their split renamed, written to a new file (the lead's sealed set
    has the same format; it is never read by tests)."""
    records = bench.load_corpus()[:n]
    path = tmp_path / name
    with open(path, "w", encoding="utf-8") as fh:
        for r in records:
            rec = dict(r)
            if split is None:
                rec.pop("split")
            else:
                rec["split"] = split
            fh.write(json.dumps(rec) + "\n")
    return path, records


def test_corpus_option_reports_a_file_as_one_group_named_after_its_split(bench, tmp_path, capsys):
    path, records = _renamed_copy(bench, tmp_path, "other.jsonl", "sealed")
    figures = bench.measure([path])
    assert figures["groups"] == ["sealed"] and "dev" not in figures and "all" not in figures
    assert figures["corpus"]["groups"] == {"sealed": len(records)}
    cell = figures["sealed"]["ours"]["percent"]
    assert cell["stated"] + cell["unstated"] == len(records)
    assert set(figures["sealed"]["baseline"]) == set(FIELDS) and set(figures["targets"]) == {"sealed"}
    assert bench.main(["--corpus", str(path)]) == 0
    out = capsys.readouterr().out
    assert "[sealed]" in out and "acc(base)" in out and "targets on sealed:" in out and "[dev]" not in out


def test_corpus_option_is_repeatable_and_adds_an_all_group(bench, tmp_path):
    a, ra = _renamed_copy(bench, tmp_path, "a.jsonl", "sealed", n=4)
    b, rb = _renamed_copy(bench, tmp_path, "b.jsonl", None, n=3)     # no split: grouped by file name
    figures = bench.measure([a, b])
    assert figures["groups"] == ["sealed", "b", "all"]
    assert figures["corpus"]["groups"] == {"sealed": 4, "b": 3, "all": 7}
    assert set(figures["targets"]) == {"sealed", "b"}


def test_corpus_option_rejects_a_bad_file_with_a_clear_error(bench, tmp_path, capsys):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "Earn 20%.", "labels": {"model": "percent"}}\n', encoding="utf-8")
    assert bench.main(["--corpus", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "bad.jsonl:1" in err and "percent" in err
    assert bench.main(["--corpus", str(tmp_path / "missing.jsonl")]) == 2


def test_failures_option_lists_each_miss_with_its_label_and_value(bench, tmp_path, capsys):
    labels = {f: None for f in FIELDS}
    right = {**labels, "model": "percent", "percent": [20.0, 20.0], "payout_type": "cps"}
    wrong = {**right, "percent": [25.0, 25.0]}          # a label the extractor cannot meet
    path = tmp_path / "dev.jsonl"
    path.write_text("\n".join(json.dumps({"id": i, "text": "Earn 20% per sale.", "labels": lab})
                              for i, lab in (("ok", right), ("bad", wrong))) + "\n", encoding="utf-8")
    assert bench.main(["--corpus", str(path), "--failures"]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert lines == [{"id": "bad", "field": "percent", "label": [25.0, 25.0], "extracted": [20.0, 20.0]}]


def test_weighted_mean_over_groups(bench, figures):
    """`--weights` averages each field over the named groups by weight: with all weight on one group the
    mean is that group's figure, and a group that does not exist is a clear error."""
    only_dev = bench.weighted(figures, {"dev": 1.0, "heldout": 0.0})
    for f in FIELDS:
        assert only_dev[f]["accuracy"] == figures["dev"]["ours"][f]["accuracy"]
    mixed = bench.weighted(figures, {"dev": 1.0, "heldout": 3.0})
    f = "percent"
    want = (figures["dev"]["ours"][f]["accuracy"] + 3 * figures["heldout"]["ours"][f]["accuracy"]) / 4
    assert mixed[f]["accuracy"] == pytest.approx(want, abs=1e-4)
    assert bench.parse_weights("dev=1, round5=3") == {"dev": 1.0, "round5": 3.0}
    for bad in ("dev", "dev=x", "=2", "dev=-1"):
        with pytest.raises(bench.CorpusError):
            bench.parse_weights(bad)
    with pytest.raises(bench.CorpusError, match="no group"):
        bench.weighted(figures, {"nosuch": 1.0})

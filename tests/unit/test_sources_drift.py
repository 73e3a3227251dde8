"""Field drift (matrix.sources.drift): fill rates, raw-but-unreadable counts, drift against the last
good ingest, the persisted baseline, the metric, the printed report and the triggers rule."""

from __future__ import annotations

import datetime as dt
import json

from prometheus_client import REGISTRY

from matrix.config import TriggerRuleSettings, load_settings
from matrix.normalize.listing import normalize_listing
from matrix.sources import drift
from matrix.triggers.rules import RuleState, low_quality


def listing(i: int, commission: str | None = "30%", cookie: str | None = "60 days", geo: str | None = "US"):
    raw = {"id": str(i), "name": f"P{i}", "commission": commission, "cookie": cookie, "geo": geo}
    return raw, normalize_listing(source="s", source_id=str(i), name=f"P{i}", raw=raw, commission=commission,
                                  cookie=cookie, geo=geo)


def run(settings, rows, fields=("name", "commission", "cookie", "geo")):
    t = drift.DriftTracker("dir", list(fields))
    for raw, lst in rows:
        t.observe(raw, lst)
    return drift.finish(t, settings)


def test_first_run_is_the_baseline_then_a_lost_field_drifts_and_keeps_the_baseline(tmp_path):
    settings = load_settings(overrides={"home": str(tmp_path)})
    first = run(settings, [listing(i) for i in range(4)])
    assert first["drift"] == [] and not first["baseline"] and first["fields"]["cookie"]["fill"] == 1.0
    # a redesign: "Cookie Duration" became "Cookie Life" on every page -> cookie missing, commission unreadable
    second = run(settings, [listing(i, cookie=None, commission="see below" if i == 0 else "30%") for i in range(4)])
    assert second["drift"] == ["commission", "cookie"]
    assert second["fields"]["cookie"] == {**second["fields"]["cookie"], "fill": 0.0, "last_good_fill": 1.0, "lost": 4,
                                          "drift": True}
    assert second["fields"]["commission"]["raw_unknown"] == 1 and second["fields"]["commission"]["lost_ids"] == ["0"]
    doc = json.loads((tmp_path / "drift" / "dir.json").read_text())
    assert doc["last_good"]["fields"]["cookie"]["fill"] == 1.0  # a drifting run never replaces the baseline
    assert doc["latest"]["drift"] == ["commission", "cookie"]
    labels = {"source": "dir", "field": "cookie"}
    assert REGISTRY.get_sample_value("matrix_source_field_drift", labels) == 1.0
    assert REGISTRY.get_sample_value("matrix_source_field_fill_ratio", labels) == 0.0
    lines = drift.format_summary(second)
    assert any("cookie" in l and "DRIFT" in l and "last good 100%" in l for l in lines)
    assert lines[-1] == "  field drift: commission, cookie"
    # fixed again: no drift, and the metric clears
    third = run(settings, [listing(i) for i in range(4)])
    assert third["drift"] == [] and REGISTRY.get_sample_value("matrix_source_field_drift", labels) == 0.0


def test_fill_rate_drop_on_new_records_needs_a_sample(tmp_path):
    settings = load_settings(overrides={"home": str(tmp_path)})
    run(settings, [listing(i) for i in range(40)])
    small = run(settings, [listing(100 + i, geo=None if i < 2 else "US") for i in range(5)])
    assert small["drift"] == []  # 5 new records: too few to call a 40 % drop drift
    big = run(settings, [listing(200 + i, geo=None if i < 10 else "US") for i in range(40)])
    assert big["drift"] == ["geo"] and "fill 75% < last good 100%" in big["fields"]["geo"]["why"]


def test_untracked_source_reports_the_fields_its_records_carry(tmp_path):
    t = drift.DriftTracker("feed", None)
    for raw, lst in [listing(1), listing(2, geo=None)]:
        t.observe(raw, lst)
    s = t.summary(None)
    assert set(s["fields"]) == {"name", "commission", "cookie", "geo"} and s["fields"]["geo"]["fill"] == 0.5


def test_ingest_summary_printer_and_triggers_rule_use_the_latest_report(tmp_path):
    settings = load_settings(overrides={"home": str(tmp_path)})
    run(settings, [listing(i) for i in range(4)])
    summary = run(settings, [listing(i, cookie=None) for i in range(4)])
    out: list[str] = []
    drift.print_ingest_fields({"sources": {"dir": {"fields": summary}, "empty": {"fields": None}}}, out.append)
    assert out[0].startswith("dir: field fill (4 records") and out[-1] == "dir: field drift: cookie"

    class Inputs:
        def configured_sources(self):
            return ["dir"]

        def source_quality(self):
            return {"dir": (4, 0)}

        def field_drift(self):
            return drift.store_for(settings).latest()

    rule = TriggerRuleSettings(name="drift", kind="low_quality", max_unknown_share=0.5, min_listings=1, actions=["recrawl"])
    firings = low_quality(rule, Inputs(), RuleState(), dt.datetime.now(dt.timezone.utc)).firings
    assert [f.details["drifted_fields"] for f in firings] == [["cookie"]]
    assert firings[0].payloads == {"recrawl": {"source": "dir"}} and "field drift in cookie" in firings[0].summary


def test_registry_and_non_crawled_sources_count_and_skip_malformed_records(tmp_path, caplog):
    import logging

    from matrix.sources import build_source

    reg = tmp_path / "reg.json"
    reg.write_text(json.dumps({"programs": [
        {"slug": "good", "name": "Good", "url": "https://good.example/", "commission": {"rate": "20%"}},
        "a string", {"name": "No Slug"},
        {"slug": "bad-commission", "name": "Bad", "commission": "not an object"},
    ]}))
    settings = load_settings(overrides={"home": str(tmp_path), "sources": [{"name": "oa", "kind": "openaffiliate", "path": str(reg)}]})
    src = build_source(settings.source("oa"), settings)
    with caplog.at_level(logging.WARNING):
        got = [l.source_id for l in src.listings()]
    assert got == ["good"] and src.skipped_records == 2 and src.failed_records == 1
    msgs = " ".join(f"{r.getMessage()} {getattr(r, 'record', '')}" for r in caplog.records)
    assert "#1" in msgs and "#2 (No Slug)" in msgs and "bad-commission" in msgs

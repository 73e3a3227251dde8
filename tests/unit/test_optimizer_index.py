"""Dynamic indexing: usage recording/merging and the optimizer's decisions on a real LanceDB table."""

from __future__ import annotations

import json

import pytest

from matrix.config import load_settings
from matrix.index import MasterIndex
from matrix.index.optimizer import IndexOptimizer, auto_index_name, optimize_index
from matrix.index.synthetic import synthetic_programs
from matrix.index.usage import UsageRecorder, UsageSummary, filter_columns, load_usage, pattern_key, usage_dir
from matrix.index.search import SearchFilters


class Clock:
    def __init__(self, t: float = 1_000_000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def _settings(tmp_path, **opt):
    return load_settings(overrides={"home": str(tmp_path), "optimizer": {"min_uses": 5, **opt}})


def _index(settings, n=300):
    """A programs table with only its full-text index: no scalar index yet, as before any usage."""
    from lancedb.index import FTS

    index = MasterIndex(settings)
    index.upsert_programs(list(synthetic_programs(n, seed=1)))
    index.programs.create_index("search_text", config=FTS(), replace=True)
    return index


def _record(rec, n, columns, sort="relevance", ms=10.0):
    for _ in range(n):
        rec.record("text", columns, sort, ms)


def test_filter_columns_and_pattern_keys():
    f = SearchFilters(categories=["software"], min_cookie_days=30, countries=[])
    assert filter_columns(f) == ["category", "cookie_days"]
    assert filter_columns({"networks": ["awin"], "verified_since": "2025-01-01"}) == ["last_verified", "networks"]
    assert pattern_key("text", ["b", "a"], "epc") == "text|a,b|sort=epc"
    assert pattern_key("hybrid", [], "relevance") == "hybrid|-|sort=relevance"


def test_recorders_flush_files_that_merge_and_age_out(tmp_path):
    clock = Clock()
    r1 = UsageRecorder(tmp_path, flush_every_s=1000, clock=clock, owner="a")
    r2 = UsageRecorder(tmp_path, flush_every_s=0, clock=clock, owner="b")
    _record(r1, 3, ["category"], ms=20)
    _record(r2, 2, ["category"], ms=10)  # flush_every_s=0: written on every record
    assert not (tmp_path / "usage-a.json").exists() and (tmp_path / "usage-b.json").exists()
    r1.flush()
    merged = load_usage(tmp_path)
    p = merged.patterns["text|category|sort=relevance"]
    assert (p.count, p.total_ms, p.max_ms) == (5, 80.0, 20.0)
    assert merged.columns()["category"].filtered == 5 and merged.total_queries == 5
    assert load_usage(tmp_path, since=clock.t + 1).total_queries == 0
    (tmp_path / "usage-broken.json").write_text("{not json")
    assert load_usage(tmp_path).total_queries == 5  # a corrupt file is skipped, not fatal
    assert load_usage(tmp_path / "missing").total_queries == 0
    assert json.loads((tmp_path / "usage-a.json").read_text())["owner"] == "a"


def test_frequent_filter_gets_an_index_of_the_right_kind_and_rare_ones_do_not(tmp_path):
    settings = _settings(tmp_path)
    index = _index(settings)
    rec = UsageRecorder(usage_dir(settings), clock=Clock())
    _record(rec, 30, ["cookie_days"])
    _record(rec, 20, ["category", "networks"], sort="commission")
    _record(rec, 2, ["approval"])
    tbl = index.programs
    decisions = IndexOptimizer(tbl, settings.optimizer, rec.summary()).plan()
    created = {d.target: d.index_type for d in decisions if d.action == "create_index"}
    assert created == {"cookie_days": "BTREE", "category": "BITMAP", "networks": "LABEL_LIST",
                       "commission_percent": "BTREE"}
    reason = next(d.reason for d in decisions if d.target == "cookie_days")
    assert "30 of 52 queries" in reason and "mean latency 10.0 ms" in reason


def test_apply_creates_then_later_drops_unused_auto_indexes_only(tmp_path):
    settings = _settings(tmp_path)
    index = _index(settings)
    clock = Clock()
    rec = UsageRecorder(usage_dir(settings), clock=clock)
    _record(rec, 30, ["cookie_days"])
    rec.flush()
    report = optimize_index(settings, clock=clock)
    assert any(d.action == "create_index" and d.applied for d in report.decisions)
    names = {i.name for i in index.programs.list_indices()}
    assert auto_index_name("cookie_days") in names
    plan = index.programs.search().where("cookie_days >= 30").explain_plan(True)
    assert auto_index_name("cookie_days") in plan  # the filter now uses the index
    again = optimize_index(settings, clock=clock)
    assert not any(d.action == "create_index" for d in again.decisions)
    # a week later nobody filters on cookie_days: its auto index goes, the FTS index stays
    clock.t += settings.optimizer.usage_window_s + 10
    later = optimize_index(settings, clock=clock)
    dropped = [d for d in later.decisions if d.action == "drop_index"]
    assert [d.target for d in dropped] == [auto_index_name("cookie_days")] and dropped[0].applied
    names = {i.name for i in index.programs.list_indices()}
    assert auto_index_name("cookie_days") not in names and any("search_text" in n for n in names)


def test_dry_run_changes_nothing_and_reindex_and_compact_trigger(tmp_path):
    settings = _settings(tmp_path, reindex_min_new_rows=50, compact_min_versions=3)
    index = _index(settings, n=100)
    index.upsert_programs(list(synthetic_programs(80, seed=2, start=100)))  # 80 rows the FTS index misses
    version = index.programs.version
    rec = UsageRecorder(usage_dir(settings), clock=Clock())
    _record(rec, 10, ["approval"])
    rec.flush()
    dry = optimize_index(settings, dry_run=True, clock=Clock())
    actions = {d.action for d in dry.decisions}
    assert {"create_index", "reindex", "compact"} <= actions
    assert not any(d.applied for d in dry.decisions) and index.programs.version == version
    applied = optimize_index(settings, clock=Clock())
    assert all(d.applied for d in applied.decisions if d.action != "keep"), applied.to_dict()
    fts = next(i for i in index.programs.list_indices() if i.index_type in ("FTS", "Inverted"))
    assert index.programs.index_stats(fts.name).num_unindexed_rows == 0
    assert index.programs.search("".join(synthetic_programs(1, seed=2, start=100).__next__().name.split()[:1]),
                                 query_type="fts").limit(5).to_list()


def test_nothing_to_do_is_a_keep_decision_and_missing_table_is_clear(tmp_path):
    settings = _settings(tmp_path)
    with pytest.raises(FileNotFoundError, match="matrix ingest"):
        optimize_index(settings, usage=UsageSummary())
    _index(settings, n=50)
    report = optimize_index(settings, usage=UsageSummary())
    assert [d.action for d in report.decisions] == ["keep"]


def test_cli_optimize_dry_run_prints_reasons(tmp_path, monkeypatch, capsys):
    from matrix.cli import main

    settings = _settings(tmp_path)
    _index(settings, n=50)
    rec = UsageRecorder(usage_dir(settings))
    _record(rec, 25, ["category"])
    rec.flush()
    monkeypatch.setenv("MATRIX_OPTIMIZER__MIN_USES", "5")
    assert main(["--home", str(tmp_path), "index", "optimize", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "create_index" in out and "category" in out and "planned (dry run)" in out
    assert main(["--home", str(tmp_path), "index", "optimize", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert any(d["action"] == "create_index" and d["applied"] for d in report["decisions"])
    empty = tmp_path / "empty"
    assert main(["--home", str(empty), "index", "optimize"]) == 1

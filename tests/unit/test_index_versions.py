"""Ingest versions (tags), reading at a version, restore, reader consistency, index upkeep, CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest

from matrix.cli import main
from matrix.index import MasterIndex, SearchFilters, SearchRequest, search
from matrix.index.synthetic import clustered_vectors, synthetic_programs
from tests.support.index_data import index_settings

FEW = ["category", "networks", "cookie_days"]  # fewer indexes keep these write-heavy tests fast


def _programs(n, start=0):
    ps = list(synthetic_programs(n, seed=7, start=start))
    return ps, clustered_vectors([p.category for p in ps], seed=start)


@pytest.fixture
def small(tmp_path):
    """Below vector_index_min_rows: text + scalar indexes only, exact vector search."""
    settings = index_settings(tmp_path, vector_index_min_rows=1000, scalar_index_columns=FEW)
    index = MasterIndex(settings)
    ps, vs = _programs(60)
    index.upsert_programs(ps, vs)
    index.ensure_indexes()
    return settings, index, ps, vs


def test_ensure_indexes_is_a_noop_when_nothing_changed_and_incremental_after_writes(small):
    settings, index, ps, vs = small
    cols = {ix.columns[0] for ix in index.programs.list_indices()}
    assert cols == {"search_text", *FEW}
    assert "vector" not in cols  # 60 rows < vector_index_min_rows
    version = index.programs.version
    assert index.indexes_ready()
    again = index.ensure_indexes()
    assert not again.changed and index.programs.version == version
    more, mv = _programs(5, start=60)
    more[0].name = "Qwertzuiop Special"
    index.upsert_programs(more, mv)
    assert not index.indexes_ready()
    # new rows are searchable before re-indexing (unindexed rows are scanned) ...
    assert [h["program_id"] for h in search(index, SearchRequest(q="qwertzuiop")).hits] == [more[0].program_id]
    report = index.ensure_indexes()
    assert report.updated and not report.created
    stats = index.stats()["tables"]["programs"]["indexes"]
    assert all(ix["unindexed_rows"] == 0 for ix in stats.values())
    # ... and after it, through the index
    assert [h["program_id"] for h in search(index, SearchRequest(q="qwertzuiop")).hits] == [more[0].program_id]


def test_vector_index_appears_once_the_table_is_large_enough(tmp_path):
    settings = index_settings(tmp_path, vector_index_min_rows=300, scalar_index_columns=["category"])
    index = MasterIndex(settings)
    ps, vs = _programs(200)
    index.upsert_programs(ps, vs)
    assert "vector" not in index.ensure_indexes().created
    ps2, vs2 = _programs(150, start=200)
    index.upsert_programs(ps2, vs2)
    assert not index.indexes_ready()
    assert "vector" in index.ensure_indexes().created
    assert index.indexes_ready()
    res = search(index, SearchRequest(q="x", mode="vector", limit=1), embed_query=lambda q: vs2[3])
    assert res.hits[0]["program_id"] == ps2[3].program_id


def test_each_ingest_is_one_named_version_readable_and_restorable(small):
    settings, index, ps, vs = small
    index.upsert_listings([])
    v1 = index.commit_ingest()
    assert v1.tag == "ingest-000001"
    assert index.commit_ingest() == v1  # nothing changed: no new version
    target = ps[0].model_copy(update={"name": "Renamed Programme Zeta", "content_hash": None})
    index.upsert_programs([target], vs[:1])
    index.ensure_indexes()
    v2 = index.commit_ingest()
    assert v2.tag == "ingest-000002" and v2.programs_version > v1.programs_version
    assert [iv.tag for iv in index.ingest_versions()] == ["ingest-000001", "ingest-000002"]

    latest = search(index, SearchRequest(q="zeta"))
    assert [h["name"] for h in latest.hits] == ["Renamed Programme Zeta"]
    old = search(index, SearchRequest(q="zeta", version="ingest-000001"))
    assert old.total == 0 and old.version == v1.programs_version
    old_by_number = search(index, SearchRequest(q=ps[0].name.split()[0], version=v1.programs_version))
    assert ps[0].program_id in [h["program_id"] for h in old_by_number.hits]
    assert old_by_number.hits[[h["program_id"] for h in old_by_number.hits].index(ps[0].program_id)]["name"] == ps[0].name

    out = index.restore("ingest-000001")
    assert out["programs_version"] == v1.programs_version
    assert search(index, SearchRequest(q="zeta")).total == 0
    versions = index.versions()
    assert versions[0]["latest"] and versions[0]["version"] > v2.programs_version  # restore adds, never rewrites
    assert search(index, SearchRequest(q="zeta", version="ingest-000002")).total == 1

    with pytest.raises(ValueError, match="no such ingest tag"):
        index.restore("ingest-000099")
    with pytest.raises(ValueError, match="not a programs table version"):
        index.snapshot(10_000)


def test_a_reader_opened_earlier_sees_new_versions(small):
    settings, writer, ps, vs = small
    reader = MasterIndex(settings)  # another process/replica in real life
    before = search(reader, SearchRequest(filters=SearchFilters(categories=["software", "finance", "travel"])))
    more, mv = _programs(10, start=500)
    more[0].name = "Latecomer Xylophone"
    writer.upsert_programs(more, mv)
    writer.ensure_indexes()
    after = search(reader, SearchRequest(q="xylophone"))
    assert [h["program_id"] for h in after.hits] == [more[0].program_id]
    assert after.version > before.version


def test_snapshot_is_cached_per_version(small):
    _, index, _, _ = small
    assert index.snapshot() is index.snapshot()
    assert index.snapshot().columns.nbytes > 0


def test_cli_versions_stats_restore_ensure(small, capsys, monkeypatch):
    settings, index, ps, vs = small
    monkeypatch.setenv("MATRIX_INDEX__SCALAR_INDEX_COLUMNS", "[" + ", ".join(FEW) + "]")
    home = str(settings.home)
    index.upsert_listings([])
    assert main(["--home", home, "index", "ensure", "--tag", "--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["tag"] == "ingest-000001" and first["created"] == []  # all there already
    index.upsert_programs([ps[1].model_copy(update={"name": "Cli Change", "content_hash": None})], vs[:1])
    assert main(["--home", home, "index", "ensure", "--tag"]) == 0
    assert "tagged ingest-000002" in capsys.readouterr().out

    assert main(["--home", home, "index", "versions", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["tags"] for r in rows] == [["ingest-000002"], ["ingest-000001"]]
    assert main(["--home", home, "index", "versions", "--all"]) == 0
    text = capsys.readouterr().out
    assert "ingest-000001" in text and "(latest)" in text and len(text.splitlines()) > 3

    assert main(["--home", home, "index", "stats"]) == 0
    text = capsys.readouterr().out
    assert "table programs: 60 rows" in text and "FTS on search_text" in text and "ingest versions: 2" in text
    assert main(["--home", home, "index", "stats", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["tables"]["programs"]["rows"] == 60

    assert main(["--home", home, "index", "restore", "ingest-000001"]) == 0
    assert "restored ingest-000001" in capsys.readouterr().out
    assert search(MasterIndex(settings), SearchRequest(q="cli change")).total == 0
    assert main(["--home", home, "index", "restore", "nope"]) == 2
    assert "no such ingest tag" in capsys.readouterr().out


def test_cli_without_index(tmp_path, capsys):
    for cmd in (["index", "versions"], ["index", "stats"], ["index", "restore", "1"], ["index", "ensure"]):
        assert main(["--home", str(tmp_path / "empty"), *cmd]) == 1
        assert "run `matrix ingest` first" in capsys.readouterr().out


def test_column_cache_counts_match_python(small):
    _, index, ps, _ = small
    cols = index.snapshot().columns
    rows = np.arange(cols.n)
    expected: dict[str, int] = {}
    for p in ps:
        for c in p.geo_allowed or ["unknown"]:
            expected[c] = expected.get(c, 0) + 1
    assert cols.countries.counts(rows) == dict(sorted(expected.items(), key=lambda kv: (-kv[1], kv[0])))
    assert int(cols.networks.mask(["unknown"]).sum()) == sum(1 for p in ps if not p.networks)


def test_programs_without_vectors_are_text_searchable_but_not_vector_candidates(tmp_path):
    index = MasterIndex(index_settings(tmp_path, scalar_index_columns=["category"]))
    ps, vs = _programs(40)
    index.upsert_programs(ps[:20], vs[:20])
    index.upsert_programs(ps[20:], None)
    index.ensure_indexes()
    res = search(index, SearchRequest(q="x", mode="vector", limit=50), embed_query=lambda q: vs[3])
    assert res.total == 20 and res.hits[0]["program_id"] == ps[3].program_id
    assert {h["program_id"] for h in res.hits} == {p.program_id for p in ps[:20]}
    name_word = ps[30].name.split()[0]
    assert ps[30].program_id in [h["program_id"] for h in search(index, SearchRequest(q=name_word, limit=40)).hits]


def test_hits_stay_aligned_after_deletes_and_updates(small):
    _, index, ps, vs = small
    assert index.delete_programs([ps[0].program_id, ps[5].program_id]) == 2
    index.upsert_programs([ps[9].model_copy(update={"name": "Moved To The End", "content_hash": None})], vs[:1])
    hits = search(index, SearchRequest(q="", limit=100)).hits
    by_id = {p.program_id: p for p in ps}
    assert len(hits) == 58 and ps[0].program_id not in {h["program_id"] for h in hits}
    for h in hits:
        expected = "Moved To The End" if h["program_id"] == ps[9].program_id else by_id[h["program_id"]].name
        assert h["name"] == expected

"""The ingest job end to end on a real local Ray cluster and a real LanceDB index on disk."""

from __future__ import annotations

import re

import pytest

from matrix.config import load_settings

pytestmark = [pytest.mark.slow, pytest.mark.integration]

SLICE = 40


@pytest.fixture
def slice_settings(matrix_home):
    return load_settings(overrides={"sources": [{"name": "openaffiliate", "kind": "openaffiliate", "max_pages": SLICE}]})


def test_ingest_builds_searchable_index_and_reingest_is_a_noop(ray_session, slice_settings, monkeypatch, capsys):
    from jobs.ingest import run_ingest
    from matrix.index import MasterIndex, SearchRequest, search

    monkeypatch.setenv("MATRIX_PROGRESS", "1")  # the embedding bar for any size (default: 1,000 texts or more)
    first = run_ingest(slice_settings)
    bar = capsys.readouterr().err
    assert re.search(r"embedding: 100%.*(\d+)/\1 \[.* texts/s", bar), bar[-2000:]  # count, rate (ETA while running)
    assert first["sources"]["openaffiliate"]["listings"] == SLICE, first["sources"]
    assert first["listings"]["inserted"] == SLICE
    assert first["programs"]["inserted"] >= SLICE - 2  # exact-key merge may fold same-domain entries
    index = MasterIndex(slice_settings)
    versions_before = {n: t["version"] for n, t in index.stats()["tables"].items()}
    n_programs = index.stats()["tables"]["programs"]["rows"]
    assert n_programs == first["programs"]["inserted"]

    second = run_ingest(slice_settings)
    assert second["listings"] == {**second["listings"], "inserted": 0, "updated": 0, "unchanged": SLICE}
    assert second["programs"]["written"] if "written" in second["programs"] else True
    assert second["programs"]["inserted"] == 0 and second["programs"]["updated"] == 0
    versions_after = {n: t["version"] for n, t in MasterIndex(slice_settings).stats()["tables"].items()}
    assert versions_after == versions_before, "a re-ingest of unchanged input must not write a version"

    # every stored program has a vector and is findable by its own name
    rows = index.programs.to_arrow().select(["name", "vector"]).to_pylist()
    assert all(r["vector"] is not None and len(r["vector"]) == 384 for r in rows)
    name = rows[0]["name"]
    hits = search(index, SearchRequest(q=name, limit=5)).hits
    assert name in [h["name"] for h in hits]


def test_unknown_source_fails_before_any_work(ray_session, slice_settings):
    from jobs.ingest import run_ingest
    from matrix.config import ConfigError

    with pytest.raises(ConfigError, match="no source named"):
        run_ingest(slice_settings, ["nope"])


def test_a_broken_source_is_reported_and_does_not_stop_others(ray_session, matrix_home, tmp_path):
    from jobs.ingest import run_ingest

    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    settings = load_settings(overrides={"sources": [
        {"name": "good", "kind": "openaffiliate", "max_pages": 5},
        {"name": "broken", "kind": "openaffiliate", "path": str(tmp_path / "missing.json")},
        {"name": "garbled", "kind": "openaffiliate", "path": str(bad)},
    ]})
    summary = run_ingest(settings)
    assert summary["sources"]["good"]["listings"] == 5
    assert "does not exist" in summary["sources"]["broken"]["error"]
    assert summary["sources"]["garbled"]["failed"] == 1
    assert summary["listings"]["inserted"] == 5

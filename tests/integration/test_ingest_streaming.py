"""The ingest streams (issue 18 item 1): pages stay on the Ray workers, the driver takes bounded
batches of normalized Arrow rows and writes each to LanceDB as it comes, a malformed record is
counted and named while its batch goes on, and the in-process path (`--local`) builds the same index.

Six directory files (one page each, 40 programs each, one record that cannot be normalized) with
`ingest.batch_size: 50`: the driver must write at least five listing batches, none above 50, and
must never build a source object (fetch and parse run only in workers). The model is replaced
by a deterministic hashing stand-in on the driver (the embedding cache and its fault points
still run): what is under test is the data flow, not the model.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from matrix.config import load_settings

pytestmark = [pytest.mark.slow, pytest.mark.integration]

REPO = Path(__file__).resolve().parents[2]
SOURCES, PER_SOURCE, BATCH = 6, 40, 50


def _write_sources(tmp_path: Path) -> list[dict]:
    registry = json.loads((REPO / "matrix" / "data" / "openaffiliate" / "registry.json").read_text())["programs"]
    programs = [p for p in registry if p.get("slug")]
    out = []
    for i in range(SOURCES):
        mine = programs[i * 30:i * 30 + PER_SOURCE]  # neighbours overlap by 10: programs merge across sources
        if i == 2:
            mine = [*mine[:20], {"slug": "broken-record", "name": "   "}, *mine[20:]]  # passes parse, fails normalize
        path = tmp_path / f"dir_{i}.json"
        path.write_text(json.dumps({"programs": mine}))
        out.append({"name": f"dir_{i}", "kind": "openaffiliate", "path": str(path)})
    return out


def _settings(tmp_path: Path, home: str, sources: list[dict], **extra):
    return load_settings(overrides={"home": str(tmp_path / home), "sources": sources, "ingest": {"batch_size": BATCH},
                                    "logging": {"level": "WARNING"}, **extra})


@pytest.fixture
def hash_model(monkeypatch):
    import jobs.ingest
    from tests.support.hash_embedder import hash_embedder

    def hash_vectors(self, texts):  # the cache-miss path, on the driver, without the model
        return hash_embedder(self.settings).embed_dict(texts)

    monkeypatch.setattr(jobs.ingest.RayCachedEmbedder, "embed_misses", hash_vectors)
    monkeypatch.setattr(jobs.ingest.LocalCachedEmbedder, "embed_misses", hash_vectors)


def _clusters(settings) -> set[frozenset[str]]:
    from matrix.index import MasterIndex

    return {frozenset(p.listing_keys) for p in MasterIndex(settings).all_programs()}


def test_ingest_streams_bounded_batches_and_matches_the_local_path(ray_session, tmp_path, monkeypatch, hash_model):
    import jobs.ingest
    from jobs.ingest import run_ingest, stream_tables
    from matrix.index import MasterIndex

    sources = _write_sources(tmp_path)
    settings = _settings(tmp_path, "ray", sources, resolve={"partitioned": "on"})
    names = [s["name"] for s in sources]

    # what reaches the driver: normalized Arrow rows, never a page body, at most BATCH rows at a time
    batches = list(stream_tables(settings, names))
    assert batches and all(t.num_rows <= BATCH for t in batches)
    assert all("body" not in t.column_names and "_status" in t.column_names for t in batches)
    statuses = [s for t in batches for s in t.column("_status").to_pylist()]
    assert statuses.count("report") == SOURCES and statuses.count("failed") == 1
    assert statuses.count("ok") == SOURCES * PER_SOURCE

    written: list[int] = []
    real_upsert = MasterIndex.upsert_listings

    def spy(self, listings):
        written.append(len(listings))
        return real_upsert(self, listings)

    monkeypatch.setattr(MasterIndex, "upsert_listings", spy)
    summary = run_ingest(settings)
    assert sum(written) == SOURCES * PER_SOURCE and max(written) <= BATCH and len(written) >= SOURCES * PER_SOURCE // BATCH
    assert summary["listings"]["inserted"] == SOURCES * PER_SOURCE and summary["listings"]["batches"] == len(written)
    # fetch and parse ran only in Ray workers: the driver never built a source object
    assert not [k for k in jobs.ingest._SOURCES if k[0] == settings.model_dump_json()]
    bad = summary["sources"]["dir_2"]
    assert bad["failed"] == 1 and bad["listings"] == PER_SOURCE and bad["pages"] == 1
    assert bad["dropped"][0]["record"] == "broken-record" and "must not be blank" in bad["dropped"][0]["error"]
    assert all(summary["sources"][n]["failed"] == 0 and summary["sources"][n]["fields"]["records"] == PER_SOURCE
               for n in names if n != "dir_2")
    assert summary["resolve"]["partitioned"] is True

    # the in-process path: same listings, same report, same programs (resolved in one process)
    local = _settings(tmp_path, "local", sources)
    local_summary = run_ingest(local, use_ray=False)
    assert local_summary["resolve"]["partitioned"] is False
    for n in names:
        got, want = dict(local_summary["sources"][n]), dict(summary["sources"][n])
        assert got.pop("fields")["fields"] == want.pop("fields")["fields"] and got == want, n
    same = ("inserted", "updated", "unchanged")  # batches differ: one source at a time in-process
    assert {k: local_summary["listings"][k] for k in same} == {k: summary["listings"][k] for k in same}
    assert _clusters(local) == _clusters(settings)

    # an unchanged re-run streams the same batches and writes nothing
    again = run_ingest(settings)
    assert again["listings"]["inserted"] == again["listings"]["updated"] == 0
    assert again["resolve"]["listings"] == 0 and again["programs"]["inserted"] == again["programs"]["updated"] == 0

"""The ingest job's per-record steps, run in-process (Ray workers run exactly these functions)."""

from __future__ import annotations

import json

import numpy as np

from jobs.ingest import NORMALIZED_SCHEMA, _normalize_batch, _parse_page, normalize_batch
from matrix.config import load_settings
from matrix.models import Listing
from matrix.sources import build_source
from tests.support.hash_embedder import hash_embedder  # deterministic vectors, no model, no Ray


def test_parse_and_normalize_steps_produce_listings(matrix_home):
    settings = load_settings(overrides={"sources": [{"name": "oa", "kind": "openaffiliate", "max_pages": 3}]})
    sj = settings.model_dump_json()
    page = next(build_source(settings.source("oa"), settings).fetch_pages())
    rows = _parse_page(page.to_dict(), sj)
    assert len(rows) == 3 and all(r["error"] is None for r in rows)
    batch = {k: np.array([r[k] for r in rows], dtype=object) for k in rows[0]}
    out = _normalize_batch(batch, sj)
    listings = [Listing.model_validate_json(x) for x in out["listing"]]
    assert [lst.source for lst in listings] == ["oa"] * 3
    assert listings[0].source_id == json.loads(rows[0]["raw"])["slug"]


def test_normalize_emits_arrow_rows_in_the_listing_schema(matrix_home):
    """Arrow out, whichever batch format comes in; an all-null column (NaN in a numpy batch) is no value."""
    import pyarrow as pa

    from matrix.models import from_row

    settings = load_settings(overrides={"sources": [{"name": "oa", "kind": "openaffiliate", "max_pages": 4}]})
    sj = settings.model_dump_json()
    page = next(build_source(settings.source("oa"), settings).fetch_pages())
    rows = _parse_page(page.to_dict(), sj) + [{"source": "oa", "raw": json.dumps({"slug": "blank", "name": " "}),
                                              "error": None, "fetched_at": "2026-01-01T00:00:00+00:00", "report": None}]
    as_numpy = {k: np.array([r[k] for r in rows], dtype=object) for k in rows[0]}
    as_numpy["report"] = np.full(len(rows), np.nan)  # what Ray's numpy batches make of an all-null column
    for batch in (as_numpy, pa.Table.from_pylist(rows)):
        out = normalize_batch(batch, sj)
        assert out.schema == NORMALIZED_SCHEMA
        assert out.column("_status").to_pylist() == ["ok"] * 4 + ["failed"]
        assert out.column("_record").to_pylist()[-1] == "blank" and "must not be blank" in out.column("_error").to_pylist()[-1]
        first = from_row(Listing, out.slice(0, 1).to_pylist()[0])
        assert first.source == "oa" and first.content_hash == first.compute_hash()


def test_bad_record_becomes_an_error_row_not_a_crash(matrix_home):
    settings = load_settings(overrides={"sources": [{"name": "oa", "kind": "openaffiliate"}]})
    sj = settings.model_dump_json()
    batch = {"source": np.array(["oa", "oa"], dtype=object),
             "raw": np.array([json.dumps({"name": "no slug"}), None], dtype=object),
             "error": np.array([None, "parse x: boom"], dtype=object),
             "fetched_at": np.array(["2026-01-01T00:00:00+00:00"] * 2, dtype=object)}
    out = _normalize_batch(batch, sj)
    assert out["listing"] == [None, None]
    assert "KeyError" in out["error"][0] and out["error"][1] == "parse x: boom"


def test_unparseable_page_is_reported(matrix_home):
    settings = load_settings(overrides={"sources": [{"name": "oa", "kind": "openaffiliate"}]})
    rows = _parse_page({"source": "oa", "url": "file:///x", "body": "{oops", "fetched_at": "2026-01-01T00:00:00+00:00"},
                       settings.model_dump_json())
    assert rows[0]["raw"] is None and "not valid JSON" in rows[0]["error"]


def test_index_listings_resolves_only_what_changed(matrix_home):
    """Re-ingesting unchanged listings writes nothing; one changed listing rewrites one program,
    whose vector keeps its other members' contribution (a partial batch must not erase them)."""
    from jobs.ingest import index_listings
    from matrix.index import MasterIndex

    settings = load_settings(overrides={"sources": [{"name": "oa", "kind": "openaffiliate", "max_pages": 30}]})
    listings = list(build_source(settings.source("oa"), settings).listings())
    mirror = [x.model_copy(update={"source": "mirror", "content_hash": None}) for x in listings[:5]]
    index = MasterIndex(settings)
    first = index_listings(settings, index, listings + mirror, embedder=hash_embedder(settings))
    n_programs = first["programs"]["inserted"]
    assert n_programs >= 25
    again = index_listings(settings, index, listings + mirror, embedder=hash_embedder(settings))
    assert again["programs"]["inserted"] == again["programs"]["updated"] == 0 and again["resolve"]["changed"] == 0
    # only the mirror source re-crawled, one listing changed
    target = mirror[0].model_copy(update={"cookie_days": 999.0, "content_hash": None})
    before = {p.program_id: p for p in index.all_programs()}
    owner = next(pid for pid, p in before.items() if target.key in p.listing_keys)
    assert len(before[owner].listing_keys) == 2, "the mirror copy should have joined the original program"
    old_vec = index.vectors_for([owner])[owner]
    third = index_listings(settings, index, [target, *mirror[1:]], embedder=hash_embedder(settings))
    assert third["programs"]["updated"] == 1 and third["programs"]["inserted"] == 0
    assert index.get_program(owner).listing_keys == before[owner].listing_keys
    new_vec = index.vectors_for([owner])[owner]
    assert float(new_vec @ old_vec) > 0.5, "the program vector lost the members outside this batch"
    assert index.stats()["tables"]["programs"]["rows"] == n_programs


def test_fetch_yields_pages_in_small_blocks_then_the_report(matrix_home, monkeypatch):
    """The Ray Data fetch UDF on a many-page directory (127.0.0.1): blocks of PAGES_PER_BLOCK pages that
    concatenate into one schema, the last row the source's report with the page count."""
    import pyarrow as pa

    import jobs.ingest
    from tests.integration.test_sources_sites import FAST_CRAWL
    from tests.support.site_server import Site, SiteServer

    monkeypatch.setattr(jobs.ingest, "PAGES_PER_BLOCK", 2)
    with SiteServer([Site("odigger")]) as srv:
        settings = load_settings(overrides={"crawl": FAST_CRAWL, "sources": [
            {"name": "od", "kind": "odigger", "url": srv.url("odigger"),
             "rate_limit": {"requests_per_second": 200, "burst": 10, "max_concurrency": 8}}]})
        blocks = list(jobs.ingest._fetch_pages(pa.table({"source": ["od"]}), settings.model_dump_json()))
    assert len(blocks) >= 3 and all(b.num_rows <= 2 for b in blocks)
    table = pa.concat_tables(blocks)
    reports = [r for r in table.column("report").to_pylist() if r is not None]
    assert len(reports) == 1 and table.column("report").to_pylist()[-1] == reports[0]
    done = json.loads(reports[0])
    assert done["error"] is None and done["pages"] == table.num_rows - 1 >= 5


def test_resolve_partitioned_setting(matrix_home):
    """`resolve.partitioned`: YAML's on/off booleans are read as the modes; --local never partitions."""
    from jobs.ingest import resolve_partitioned_now

    assert load_settings().resolve.partitioned == "auto"
    on = load_settings(overrides={"resolve": {"partitioned": True}})
    off = load_settings(overrides={"resolve": {"partitioned": False}})
    assert (on.resolve.partitioned, off.resolve.partitioned) == ("on", "off")
    assert resolve_partitioned_now(on, 10, use_ray=True) is True
    assert resolve_partitioned_now(on, 10, use_ray=False) is False and resolve_partitioned_now(on, 0, use_ray=True) is False
    assert resolve_partitioned_now(off, 10**6, use_ray=True) is False

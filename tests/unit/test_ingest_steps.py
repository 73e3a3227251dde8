"""The ingest job's per-record steps, run in-process (Ray workers run exactly these functions)."""

from __future__ import annotations

import json

import numpy as np

from jobs.ingest import _normalize_batch, _parse_page
from matrix.config import load_settings
from matrix.models import Listing
from matrix.sources import build_source


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

"""Re-crawls move `last_seen` without rewriting listing rows; `first_seen` never moves."""

from __future__ import annotations

import datetime as dt

from matrix.index import MasterIndex
from matrix.models import Listing

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
T1 = dt.datetime(2026, 2, 1, tzinfo=dt.timezone.utc)


def test_sightings_track_first_and_last_seen_without_new_listing_versions(settings):
    index = MasterIndex(settings)
    listings = [Listing(source="dir", source_id=str(i), name=f"Program {i}") for i in range(3)]
    index.upsert_listings(listings)
    index.record_sightings(listings, T0)
    v = index.listings.version
    assert index.upsert_listings(listings).written == 0
    index.record_sightings(listings[:2], T1)
    assert index.listings.version == v, "a re-crawl of unchanged listings must not version the listings table"
    seen = index.sightings()
    assert seen[("dir", "0")] == (T0, T1) and seen[("dir", "2")] == (T0, T0)
    assert index.stats()["last_ingest"] == {"dir": T1.isoformat()}
    got = index.listings_for(["dir:1", "dir:2"])
    assert {(x.source_id, x.first_seen, x.last_seen) for x in got} == {("1", T0, T1), ("2", T0, T0)}
    assert index.sightings([("dir", "1")]) == {("dir", "1"): (T0, T1)}
    assert index.record_sightings([]) == 0

"""The ingest's cold large run on the scalable path: listings spilled to object-store shards as they
are written, resolved by `resolve_scale` in Ray tasks, programs streamed into LanceDB in batches."""

from __future__ import annotations

import numpy as np
import pytest

from bench.synthetic_affiliate import generate
from matrix.resolve import resolve_listings
from tests.support.resolve_data import TrigramEmbedder

pytestmark = [pytest.mark.slow, pytest.mark.integration]


def _embedder(settings):
    from jobs.ingest import RayCachedEmbedder

    class TrigramIngestEmbedder(RayCachedEmbedder):
        """The ingest's embedder interface over trigram vectors (no model): the driver side and the tasks' side agree."""

        def embed_dict(self, texts):
            keys = list(texts)
            self.embedded += len(keys)
            return dict(zip(keys, TrigramEmbedder().embed([texts[k] for k in keys]), strict=True)) if keys else {}

        def for_tasks(self):
            return TrigramEmbedder()

    return TrigramIngestEmbedder(settings)


def _values(programs) -> dict[str, dict]:
    return {p.program_id: p.model_dump(exclude={"content_hash"}) for p in programs}


def test_cold_ingest_resolves_on_the_scale_path_and_reruns_write_nothing(ray_session, settings, monkeypatch):
    import jobs.ingest as ingest
    from matrix.index import MasterIndex

    monkeypatch.setattr(ingest, "SCALE_SHARD_ROWS", 250)  # several shards from a small run
    on = settings.model_copy(update={"resolve": settings.resolve.model_copy(update={"partitioned": "on"}),
                                     "ingest": settings.ingest.model_copy(update={"batch_size": 120})})
    listings, _ = generate(900, seed=11)
    listings.sort(key=lambda x: (x.source, x.source_id))
    batches = [listings[i:i + 200] for i in range(0, len(listings), 200)]
    index = MasterIndex(on)
    embedder = _embedder(on)
    steps: list[str] = []
    summary = ingest.index_batches(on, index, iter(batches), embedder=embedder, step=steps.append, use_ray=True)
    assert summary["resolve"]["scale"] is True and summary["resolve"]["listings"] == 900
    assert summary["resolve"]["program_batches"] > 1
    assert any("scalable path (4 shards" in s for s in steps), steps

    single = resolve_listings(listings, None, settings=on, embedder=TrigramEmbedder())
    assert _values(index.all_programs()) == _values(single.programs)
    assert summary["programs"]["inserted"] == len(single.programs) == summary["resolve"]["programs"]
    vecs = index.vectors_for([p.program_id for p in single.programs[:20]])
    assert len(vecs) == 20 and all(abs(float(np.linalg.norm(v)) - 1) < 1e-4 for v in vecs.values())

    again = ingest.index_batches(on, index, iter(batches), embedder=embedder, use_ray=True)
    assert again["resolve"]["scale"] is False and again["resolve"]["listings"] == 0
    assert again["listings"]["inserted"] == again["listings"]["updated"] == 0
    assert again["programs"]["inserted"] == again["programs"]["updated"] == 0


def test_listing_shards_spill_and_fall_back_exactly(ray_session):
    from jobs.ingest import ListingShards

    listings, _ = generate(40, seed=2)
    spilled: list[int] = []
    shards = ListingShards(spill=True, rows=10, on_spill=lambda s: spilled.append(len(s)))
    for x in listings:
        shards.add(x)
    assert spilled == [10] * (len(listings) // 10) and shards.clean and not shards.pending
    assert shards.listings() == sorted(listings, key=lambda x: (x.source, x.source_id))
    edited = listings[0].model_copy(update={"cookie_days": 77})
    shards.add(edited)  # a key again after its shard was spilled: only the in-process path is exact
    assert not shards.clean
    back = {x.key: x for x in shards.listings()}
    assert len(back) == len({x.key for x in listings}) and back[edited.key].cookie_days == 77

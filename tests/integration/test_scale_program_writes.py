"""Programs of the scalable resolve path reach LanceDB in bounded batches (jobs.resolve_partitioned.write_scale_programs)."""

from __future__ import annotations

import numpy as np
import pytest

from bench.synthetic_affiliate import generate
from matrix.resolve import listing_text, program_vectors, resolve_listings
from tests.support.resolve_data import TrigramEmbedder

pytestmark = [pytest.mark.slow, pytest.mark.integration]

_VOLATILE = {"content_hash"}


def _dump(programs) -> dict[str, dict]:
    """Programs by id as values (LanceDB round-trips timestamps with its own zone spelling: compare values, not JSON)."""
    return {p.program_id: p.model_dump(exclude=_VOLATILE) for p in programs}


def test_scale_programs_written_in_batches_equal_one_process(ray_session, settings):
    import ray

    from jobs.resolve_partitioned import changed_listings, resolve_changes, resolve_scale, write_scale_programs
    from matrix.index import MasterIndex

    listings, _ = generate(900, seed=4)
    emb = TrigramEmbedder()
    single = resolve_listings(listings, None, settings=settings, embedder=emb)
    shards = [ray.put(listings[:500]), ray.put(listings[500:])]
    res = resolve_scale(shards, [500, 400], settings=settings, embedder=emb, single_partition=True)
    assert len(res.programs) >= 2 and len(res.texts) == len(res.programs)  # more than one block to stream

    index = MasterIndex(settings)
    batches_seen: list[int] = []
    with index.begin_ingest() as run:
        wrote = write_scale_programs(index, res, emb, batch_size=40, on_batch=lambda w: batches_seen.append(w.batches))
        run.commit()
    assert wrote.programs == len(single.programs) == wrote.inserted and wrote.updated == 0
    assert wrote.batches > len(res.programs) and batches_seen == list(range(1, wrote.batches + 1))

    stored = index.all_programs()
    assert _dump(stored) == _dump(single.programs)
    # each program's vector is the mean of its listings' vectors, as the ingest computes it
    by_key = {x.key: x for x in listings}
    keys = sorted(by_key)
    want = program_vectors(single.programs, dict(zip(keys, emb.embed([listing_text(by_key[k]) for k in keys]), strict=True)))
    got = index.vectors_for([p.program_id for p in single.programs])
    assert set(got) == set(want)
    assert max(float(np.abs(got[k] - want[k]).max()) for k in want) < 1e-5

    # unchanged re-run: the guard lets nothing through, and even a full re-resolve writes nothing
    recrawl = [ray.put([x.model_copy() for x in listings[:500]]), ray.put(listings[500:])]
    assert resolve_changes(recrawl, changed_listings(recrawl, res.hashes, settings), res.programs,
                           settings=settings, embedder=emb) is None
    again = resolve_scale(recrawl, [500, 400], settings=settings, embedder=emb, single_partition=True)
    with index.begin_ingest() as run:
        rewrote = write_scale_programs(index, again, emb, batch_size=40)
        run.commit()
    assert rewrote.written == 0 and rewrote.unchanged == len(single.programs)
    assert len(index.all_programs()) == len(single.programs)

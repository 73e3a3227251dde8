"""Partitioned resolution on a real local Ray cluster: same programs as one process, work done in Ray tasks."""

from __future__ import annotations

import numpy as np
import pytest

from bench.synthetic_affiliate import generate
from matrix.resolve import resolve_listings
from tests.support.resolve_data import TrigramEmbedder

pytestmark = [pytest.mark.slow, pytest.mark.integration]


def test_ray_partitioned_resolution_equals_one_process(ray_session, settings):
    from jobs.resolve_partitioned import RayRunner, resolve_partitioned, task_options

    listings, _ = generate(1200, seed=9)
    emb = TrigramEmbedder()
    single = resolve_listings(listings, None, settings=settings, embedder=emb)
    parted = resolve_partitioned(listings, None, settings=settings, embedder=emb, n_partitions=4)
    assert parted.assignments == single.assignments
    assert sorted(p.model_dump_json() for p in parted.programs) == sorted(p.model_dump_json() for p in single.programs)
    # the work ran as Ray tasks (one per pair chunk and per partition), here on the one local node
    assert sum(parted.stats["nodes"].values()) == 4 + parted.stats["partitions"]
    assert parted.stats["partitions"] == 4

    again = resolve_partitioned(listings, parted.programs, settings=settings, embedder=emb)
    assert again.changed_ids == set() and again.events == []

    pinned = settings.model_copy(update={"ray": settings.ray.model_copy(update={"task_resources": {"ingest_node": 1}})})
    assert task_options(pinned) == {"num_cpus": 1, "resources": {"ingest_node": 1.0}}
    assert RayRunner(pinned, in_flight=3).in_flight == 3


def test_ray_scale_path_equals_one_process_and_guards_reruns(ray_session, settings):
    """The scalable path (listings in the object store, every step a task) on one partition equals
    `resolve_listings`; partitioned, every listing gets a program; an unchanged re-crawl resolves nothing."""
    import ray

    from jobs.resolve_partitioned import changed_listings, resolve_changes, resolve_scale
    from matrix.resolve.scale_pipeline import pair_f1_arrays

    listings, truth = generate(1200, seed=9)
    emb = TrigramEmbedder()
    single = resolve_listings(listings, None, settings=settings, embedder=emb)
    shards = [ray.put(listings[:700]), ray.put(listings[700:])]
    one = resolve_scale(shards, [700, 500], settings=settings, embedder=emb, single_partition=True)
    programs = [p for block in ray.get(one.programs) for p in block]
    assert {k: p.program_id for p in programs for k in p.listing_keys} == single.assignments
    assert sorted(p.model_dump_json() for p in programs) == sorted(p.model_dump_json() for p in single.programs)
    assert sum(one.stats["nodes"].values()) >= 3  # score, cluster and assembly tasks reported their node

    parted = resolve_scale(shards, [700, 500], settings=settings, embedder=emb, records_per_group=400)
    assert parted.stats["groups"] > 2
    labels = ray.get(parted.labels)
    codes = {v: i for i, v in enumerate(sorted(set(truth.values())))}
    f1 = pair_f1_arrays(labels, np.array([codes[truth[x.key]] for x in listings]))["f1"]
    assert f1 >= 0.9, f1
    assert sum(len(b) for b in ray.get(parted.programs)) == np.unique(labels).size

    recrawl = [ray.put([x.model_copy() for x in listings[:700]]), ray.put(listings[700:])]
    assert [len(c) for c in ray.get(changed_listings(recrawl, parted.hashes, settings))] == [0, 0]
    edited = listings[5].model_copy(update={"cookie_days": 999})
    changed = ray.get(changed_listings([ray.put([listings[4], edited])], parted.hashes, settings))
    assert changed[0].tolist() == [1]

    # incremental: an unchanged re-crawl resolves nothing; a delta keeps ids (a new source joins, an edit stays)
    assert resolve_changes(recrawl, changed_listings(recrawl, parted.hashes, settings), parted.programs,
                           settings=settings, embedder=emb) is None
    owner = {k: p.program_id for block in ray.get(parted.programs) for p in block for k in p.listing_keys}
    joiner = listings[0].model_copy(update={"source_id": "fresh-0"})
    delta = [ray.put([joiner, edited, listings[6]])]
    res = resolve_changes(delta, changed_listings(delta, parted.hashes, settings), parted.programs,
                          settings=settings, embedder=emb)
    assert set(res.assignments) == {joiner.key, edited.key}  # the unchanged listing never reached the resolver
    assert res.assignments[joiner.key] == owner[listings[0].key]
    assert res.assignments[edited.key] == owner[edited.key]
    assert not res.removed_ids

"""Partitioned resolution on a real local Ray cluster: same programs as one process, work done in Ray tasks."""

from __future__ import annotations

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

"""Partitioned resolution on Ray: each partition of the candidate graph scored and clustered in its own task.

`matrix.resolve.partition` splits the candidate graph into connected components and packs them
into balanced partitions (a component is never cut, so the result equals one process's); this
module only decides where the partitions run: one Ray task each, the shared model put into the
object store once, results collected as they finish (only node positions and labels, a few
bytes per record, come back to the driver). `ray.task_resources` pins the tasks to the nodes
that carry those resources.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
import ray

from jobs.common import limit_search_threads
from matrix.config import Settings
from matrix.resolve.partition import ClusterWork, Model, PairChunk, cluster_partition, resolve_listings_partitioned, score_chunk


def _score_chunk(chunk: PairChunk, model: Model) -> tuple[np.ndarray, str]:
    return score_chunk(chunk, model), ray.get_runtime_context().get_node_id()


def _cluster_partition(work: ClusterWork) -> tuple[np.ndarray, np.ndarray, str]:
    nodes, labels = cluster_partition(work)
    return nodes, labels, ray.get_runtime_context().get_node_id()


score_pairs_task = ray.remote(max_retries=2)(_score_chunk)
cluster_task = ray.remote(max_retries=2)(_cluster_partition)


def task_options(settings: Settings, num_cpus: float = 1) -> dict[str, Any]:
    """Ray task options every resolve task gets (`ray.task_resources` included when set)."""
    from jobs.ingest import remote_args

    return {"num_cpus": num_cpus, **remote_args(settings)}


def default_partitions() -> int:
    """Two partitions per CPU of the cluster: enough slack to balance uneven components."""
    return max(2, 2 * int(ray.cluster_resources().get("CPU", 1)))


class RayRunner:
    """`matrix.resolve.partition.Runner` on Ray: a task per pair chunk, a task per partition.

    At most `in_flight` tasks are submitted ahead, so the driver never holds every chunk's
    records in the object store at once; `nodes` counts the tasks each node ran.
    """

    def __init__(self, settings: Settings, in_flight: int | None = None) -> None:
        self.options = task_options(settings)
        self.in_flight = in_flight or default_partitions()
        self.nodes: dict[str, int] = {}

    def _count(self, node_id: str) -> None:
        self.nodes[node_id] = self.nodes.get(node_id, 0) + 1

    def _bounded(self, submit, items) -> Iterator[tuple[int, Any]]:
        """Submit `submit(item)` for each item, at most `in_flight` pending; yield (position, result) as they finish."""
        pending: dict[Any, int] = {}
        for pos, item in enumerate(items):
            pending[submit(item)] = pos
            while len(pending) >= self.in_flight:
                done, _ = ray.wait(list(pending), num_returns=1)
                yield pending.pop(done[0]), ray.get(done[0])
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            yield pending.pop(done[0]), ray.get(done[0])

    def score(self, chunks, model: Model) -> list[np.ndarray]:
        model_ref = ray.put(model)
        task = score_pairs_task.options(**self.options)
        out: dict[int, np.ndarray] = {}
        for pos, (weights, node_id) in self._bounded(lambda c: task.remote(c, model_ref), chunks):
            out[pos] = weights
            self._count(node_id)
        return [out[i] for i in range(len(out))]

    def cluster(self, works) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        task = cluster_task.options(**self.options)
        for _, (nodes, labels, node_id) in self._bounded(task.remote, works):
            self._count(node_id)
            yield nodes, labels


def resolve_partitioned(listings, existing=None, *, settings: Settings, n_partitions: int | None = None,
                        embedder=None, vectors=None):
    """`resolve_listings` (same result) with scoring and clustering fanned out over the Ray cluster.

    Needs a connected Ray (`jobs.common.connect_ray`). The result's stats carry the partition
    figures and `nodes` (node id -> tasks run there).
    """
    runner = RayRunner(settings)
    result = resolve_listings_partitioned(listings, existing, settings=settings,
                                          n_partitions=n_partitions or default_partitions(), runner=runner,
                                          embedder=embedder, vectors=vectors)
    result.stats["nodes"] = dict(runner.nodes)
    return result


# ---------------------------------------------------------------------------------------------
# The scalable path: listings stay in the object store (shards), the driver holds references only.
# ---------------------------------------------------------------------------------------------


def _node() -> str:
    return ray.get_runtime_context().get_node_id()


@ray.remote(max_retries=2)
def _features_task(listings, offset: int):
    from matrix.resolve import scale_pipeline as sp

    return sp.shard_features(listings, offset)


@ray.remote(max_retries=2)
def _hashes_task(listings):
    from matrix.resolve.scale_pipeline import shard_hashes

    return shard_hashes(listings)


@ray.remote(max_retries=2)
def _cells_task(table, embedder, n_cells: int):
    from matrix.resolve.scale_pipeline import train_cells

    return train_cells(table, embedder.embed, n_cells)


@ray.remote(max_retries=2)
def _route_task(table, plan, spec, embedder):
    from matrix.resolve.scale_pipeline import route_shard

    pieces = route_shard(table, plan, spec, embedder.embed)
    return pieces if len(pieces) > 1 else pieces[0]


@ray.remote(max_retries=2)
def _fit_task(spec, settings, embedder, k: int, *pieces):
    from matrix.resolve.scale_pipeline import concat, fit_model

    limit_search_threads()  # the blocker's neighbour search: no more threads than this task's CPUs
    return fit_model(concat(pieces), spec, settings, embedder.embed, k)


@ray.remote(max_retries=2, num_returns=3)
def _score_task(model, spec, embedder, k: int, *pieces):
    from matrix.resolve.scale_pipeline import block_and_score, concat, positive_links

    limit_search_threads()
    edges = block_and_score(concat(pieces), model, spec, embedder.embed, k)
    return positive_links(edges), edges, _node()


@ray.remote(max_retries=2)
def _components_task(n: int, *links):
    from matrix.resolve.scale_pipeline import components

    return components(n, links)


@ray.remote(max_retries=2)
def _route_edges_task(edges, comp, n_groups: int):
    from matrix.resolve.scale_pipeline import route_edges

    out = route_edges(edges, comp, n_groups)
    return out if n_groups > 1 else out[0]


@ray.remote(max_retries=2, num_returns=2)
def _cluster_task(comp, *pieces):
    from matrix.resolve.scale_pipeline import cluster_edges

    return cluster_edges(pieces, comp), _node()


@ray.remote(max_retries=2)
def _labels_task(n: int, *parts):
    from matrix.resolve.scale_pipeline import merge_labels

    return merge_labels(n, parts)


@ray.remote(max_retries=2)
def _route_listings_task(listings, offset: int, labels, n_groups: int):
    from matrix.resolve.scale_pipeline import route_listings

    out = route_listings(listings, offset, labels, n_groups)
    return out if n_groups > 1 else out[0]


@ray.remote(max_retries=2, num_returns=3)
def _assemble_task(trust, *pieces):
    from matrix.resolve.scale_pipeline import assemble_programs, member_texts

    return assemble_programs(pieces, trust), member_texts(pieces), _node()


@ray.remote(max_retries=2)
def _changed_task(listings, *stored):
    from matrix.resolve.scale_pipeline import changed_rows

    return changed_rows(listings, stored)


@dataclass
class ScaleResolution:
    """What `resolve_scale` leaves in the object store (the driver holds references only)."""

    n: int
    labels: Any  # ObjectRef: np.ndarray, cluster label (smallest member's global id) per global id
    programs: list  # ObjectRefs: list[Program] per assembly group
    hashes: list  # ObjectRefs: (key hash, content hash) per shard, the content-hash guard
    stats: dict[str, Any] = field(default_factory=dict)
    texts: list = field(default_factory=list)  # ObjectRefs: {listing key: listing_text} per assembly group


class _Stages:
    """Seconds per stage: each stage is waited for before the next starts (clean per-stage figures)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.t = time.perf_counter()

    def done(self, stage: str, refs: list) -> None:
        flat = [r for r in refs if isinstance(r, ray.ObjectRef)]
        if flat:
            ray.wait(flat, num_returns=len(flat), fetch_local=False)
        now = time.perf_counter()
        self.seconds[stage] = round(now - self.t, 3)
        self.t = now


def _as_list(refs, n: int) -> list:
    return list(refs) if n > 1 else [refs]


def _offsets(sizes: list[int]) -> list[int]:
    return [int(x) for x in np.concatenate([[0], np.cumsum(sizes)[:-1]])] if sizes else []


def resolve_scale(shards: list, sizes: list[int], *, settings: Settings, embedder, spec=None,
                  records_per_group: int = 50_000, single_partition: bool = False) -> ScaleResolution:
    """Cold resolution of listings that live in the object store (`shards`: refs to lists of Listing).

    Every step is a task over a bounded piece (matrix.resolve.scale_pipeline); between stages
    only references pass through the driver, so its memory does not grow with the input.
    `embedder` must be picklable (it runs in the tasks). `single_partition` blocks everything
    in one partition (small inputs: equal to `resolve_listings`).
    """
    from matrix.resolve.listings import LISTING_SPEC
    from matrix.resolve.scale_pipeline import plan_routes, single_partition_plan

    spec = spec or LISTING_SPEC
    opts = task_options(settings)
    n, k = int(sum(sizes)), max(1, settings.resolve.neighbours // 2)
    offsets = _offsets(sizes)
    st = _Stages()
    feats = [_features_task.options(**opts).remote(s, o) for s, o in zip(shards, offsets, strict=True)]
    hashes = [_hashes_task.options(**opts).remote(s) for s in shards]
    if single_partition:
        plan = single_partition_plan(settings.embed.dim)
    else:
        n_cells = max(1, n // 4000)
        plan = plan_routes(n, ray.get(_cells_task.options(**opts).remote(feats[0], embedder, n_cells)),
                           records_per_group)
    routed = [_as_list(_route_task.options(num_returns=plan.groups, **opts).remote(f, plan, spec, embedder), plan.groups)
              for f in feats]
    del feats
    st.done("route", [r for rs in routed for r in rs] + hashes)
    model = _fit_task.options(**opts).remote(spec, settings, embedder, k, *[rs[plan.fit_group] for rs in routed])
    st.done("fit", [model])
    scored = [_score_task.options(**opts).remote(model, spec, embedder, k, *[rs[g] for rs in routed])
              for g in range(plan.groups)]
    del routed
    st.done("block_score", [s[1] for s in scored])
    comp = _components_task.options(**opts).remote(n, *[s[0] for s in scored])
    st.done("components", [comp])
    q = max(plan.exact_groups, default_partitions())  # clustering and assembly tasks: at least 2 per CPU
    per_edges = [_as_list(_route_edges_task.options(num_returns=q, **opts).remote(s[1], comp, q), q) for s in scored]
    clustered = [_cluster_task.options(**opts).remote(comp, *[pe[g] for pe in per_edges]) for g in range(q)]
    labels = _labels_task.options(**opts).remote(n, *[c[0] for c in clustered])
    st.done("cluster", [labels])
    nodes = [s[2] for s in scored] + [c[1] for c in clustered]
    del per_edges, scored
    per_listing = [_as_list(_route_listings_task.options(num_returns=q, **opts).remote(s, o, labels, q), q)
                   for s, o in zip(shards, offsets, strict=True)]
    assembled = [_assemble_task.options(**opts).remote(settings.resolve.source_trust, *[pl[g] for pl in per_listing])
                 for g in range(q)]
    st.done("assemble", [a[0] for a in assembled])
    nodes += [a[2] for a in assembled]
    node_counts: dict[str, int] = {}
    for node_id in ray.get(nodes):
        node_counts[node_id] = node_counts.get(node_id, 0) + 1
    stats = {"listings": n, "shards": len(shards), "groups": plan.groups, "exact_subs": plan.exact_subs,
             "cells": int(plan.centroids.shape[0]), "seconds": st.seconds, "nodes": node_counts}
    return ScaleResolution(n=n, labels=labels, programs=[a[0] for a in assembled], hashes=hashes, stats=stats,
                           texts=[a[1] for a in assembled])


def changed_listings(shards: list, stored_hashes: list, settings: Settings) -> list:
    """The content-hash guard on the workers: per shard, positions of new or changed listings (refs)."""
    opts = task_options(settings)
    return [_changed_task.options(**opts).remote(s, *stored_hashes) for s in shards]


@ray.remote(max_retries=2)
def _take_task(listings, positions):
    from matrix.resolve.scale_pipeline import take

    return take(listings, positions)


@ray.remote(max_retries=2)
def _related_task(programs, keys, domain_keys, name_keys, spec):
    from matrix.resolve.scale_pipeline import related_programs

    return related_programs(programs, keys, domain_keys, name_keys, spec)


def resolve_changes(shards: list, changed: list, programs: list, *, settings: Settings, embedder, spec=None):
    """The incremental run of the scalable path: only the listings the guard let through (`changed`:
    positions per shard, from `changed_listings`) are resolved, against the programs they touch
    (owners of their keys, programs on their domains or names; found by tasks over the program
    blocks), with `resolve_partitioned`'s incremental rules (stable ids, merges need direct evidence).
    The driver holds the delta only. None when nothing changed: nothing resolved, nothing written.
    """
    from matrix.resolve.listings import LISTING_SPEC
    from matrix.resolve.scale_pipeline import route_keys, shard_features

    spec = spec or LISTING_SPEC
    opts = task_options(settings)
    todo = [x for block in ray.get([_take_task.options(**opts).remote(s, c) for s, c in zip(shards, changed, strict=True)])
            for x in block]
    if not todo:
        return None
    dom, name = route_keys(shard_features(todo, 0), spec)
    keys = {x.key for x in todo}
    related = [p for block in ray.get([_related_task.options(**opts).remote(p, keys, dom, name, spec) for p in programs])
               for p in block]
    return resolve_partitioned(todo, related, settings=settings, embedder=embedder)


# ---------------------------------------------------------------------------------------------
# Programs of the scalable path into LanceDB: one assembly block on the driver at a time.
# ---------------------------------------------------------------------------------------------


@dataclass
class ProgramWrites:
    """What `write_scale_programs` wrote: summed upsert stats, upsert batches, programs seen."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    batches: int = 0
    programs: int = 0
    version: int | None = None

    @property
    def written(self) -> int:
        return self.inserted + self.updated


def _embed_dict(embedder, texts: dict[str, str]) -> dict[str, np.ndarray]:
    """`key -> vector` through the ingest embedder's cache (`embed_dict`) or any `embed(list)` embedder."""
    if not texts:
        return {}
    if hasattr(embedder, "embed_dict"):
        return embedder.embed_dict(texts)
    keys = list(texts)
    vecs = np.asarray(embedder.embed([texts[k] for k in keys]), np.float32)
    return dict(zip(keys, vecs, strict=True))


def block_vectors(programs: list, texts: dict[str, str], embedder) -> dict[str, np.ndarray]:
    """A vector per program as the ingest computes it: the mean of its listings' vectors
    (`program_vectors`); a program with no listing text falls back to embedding `program_text`."""
    from matrix.resolve import program_text, program_vectors

    wanted = {k: texts[k] for p in programs for k in p.listing_keys if k in texts}
    vectors = program_vectors(programs, _embed_dict(embedder, wanted))
    missing = {p.program_id: program_text(p) for p in programs if p.program_id not in vectors}
    vectors.update(_embed_dict(embedder, missing))
    return vectors


def write_scale_programs(index, resolution: ScaleResolution, embedder, *, batch_size: int = 10_000,
                         on_batch=None) -> ProgramWrites:
    """Stream the programs `resolve_scale` left in the object store into `index`, block by block.

    Why: at a million listings every program at once would not fit on the driver; one assembly
    block (a few tens of thousands of programs) does. Each block is fetched alone (`ray.get` of
    one ref, dropped before the next), its vectors computed (mean of member listing vectors,
    through the embedder's cache), and upserted in batches of at most `batch_size`
    (`MasterIndex.upsert_programs`: content-hash guarded, so an unchanged re-run writes nothing).
    Call it inside the caller's `index.begin_ingest()` so the programs commit with the listings.
    """
    out = ProgramWrites()
    texts = resolution.texts or [None] * len(resolution.programs)
    for prog_ref, text_ref in zip(resolution.programs, texts, strict=True):
        programs = ray.get(prog_ref)
        member = ray.get(text_ref) if text_ref is not None else {}
        out.programs += len(programs)
        for start in range(0, len(programs), max(1, batch_size)):
            chunk = programs[start:start + batch_size]
            vectors = block_vectors(chunk, member, embedder)
            st = index.upsert_programs(chunk, [vectors[p.program_id] for p in chunk])
            out.inserted, out.updated, out.unchanged = (out.inserted + st.inserted, out.updated + st.updated,
                                                        out.unchanged + st.unchanged)
            out.version = st.version if st.version is not None else out.version
            out.batches += 1
            if on_batch is not None:
                on_batch(out)
        del programs, member
    return out


@dataclass
class CachedModelEmbedder:
    """The embedder `resolve_scale`'s tasks use in the ingest: vectors from the embedding cache
    (the driver embedded every listing text through it as the listings were spilled to shards),
    the model loaded in the worker only for a miss (a node that cannot see the cache's storage).

    Picklable (settings only). It never writes the cache: many tasks appending to one LanceDB
    table at once would race; the driver is the cache's one writer.
    """

    settings: Settings

    def embed(self, texts) -> np.ndarray:
        from matrix.embed import Embedder, EmbeddingCache

        texts = list(texts)
        if not texts:
            return np.zeros((0, self.settings.embed.dim), np.float32)
        got = EmbeddingCache(self.settings).get_many(texts)
        miss = [i for i, v in enumerate(got) if v is None]
        if miss:
            emb = self.settings.embed
            vecs = Embedder(emb.model, emb.device, emb.batch_size).embed([texts[i] for i in miss])
            for i, v in zip(miss, vecs, strict=True):
                got[i] = v
        return np.stack([np.asarray(v, np.float32) for v in got])

"""Partitioned resolution: candidate pairs scored in chunks, clustering run per connected component.

Why this is exact, not an approximation. Correlation clustering (matrix.resolve.clustering)
merges two clusters only while the summed evidence between them is positive, so every cluster
it returns is connected through pairs of positive evidence. Two records that no chain of
positive pairs joins can never share a cluster, and the merges inside one such component never
look outside it. So: (1) score every candidate pair (per pair, any chunking, any worker),
(2) take the connected components of the positive-evidence graph (union-find), (3) pack whole
components into balanced partitions and cluster each partition on its own. The labels equal one
process's as long as a component is never cut (packing moves whole components only), node and
pair order inside a partition follow the global order (the merge heap breaks ties on position
and sums evidence in pair order) and every chunk scores with the same fitted model. One limit:
between exactly tied evidence the single-process greedy picks its merge root by adjacency size,
which counts (never positive) pairs into other components, so with ties the two can differ in
which of two equal merges comes first; the synthetic-listing tests find no difference.

Components are taken over *positive* pairs, not over all candidates: k-nearest-neighbour
blocking links every record to a few others, which chains the whole candidate graph into one
giant component; the positive pairs break it into roughly one component per program.

Blocking and the (sampled) model fit stay global; pair scoring and clustering, which grow with
the candidate count, fan out. Plain Python: a `Runner` decides where chunks and partitions run
(`LocalRunner` here, one after another; Ray tasks in `jobs/resolve_partitioned.py`).
"""

from __future__ import annotations

import heapq
import time
from dataclasses import dataclass
from typing import Any, Iterable, Protocol, Sequence

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from matrix.models import Listing, Program
from matrix.resolve.arrays import unique_sorted
from matrix.resolve.clustering import correlation_clusters, edge_weights
from matrix.resolve.prepare import Records
from matrix.resolve.scoring import compare

PAIRS_PER_CHUNK = 200_000  # scoring chunk: ~2 x chunk x dim float32 of gathered vectors at most


def component_labels(n: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Connected component per node of the graph `left[i] - right[i]` (union-find in scipy's C loop)."""
    if n == 0:
        return np.zeros(0, np.int64)
    graph = sparse.coo_matrix((np.ones(left.size, np.int8), (left, right)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    return labels.astype(np.int64)


@dataclass
class PartitionPlan:
    """Whole components packed into partitions: node positions (ascending) and pair positions per partition."""

    nodes: list[np.ndarray]
    pairs: list[np.ndarray]
    components: int  # components with at least one linking pair
    largest_component: int  # nodes in the largest one

    @property
    def sizes(self) -> list[int]:
        return [int(x.size) for x in self.nodes]


def plan_partitions(n: int, left: np.ndarray, right: np.ndarray, n_partitions: int,
                    links: np.ndarray | None = None) -> PartitionPlan:
    """Pack the connected components of the `links` pairs into at most `n_partitions` partitions.

    `links` (bool per pair, default all) says which pairs join components (positive evidence);
    every pair whose two ends share a component goes with it, the others are dropped (they
    cross components, so they can never merge anything). Work of a component = its nodes + its
    pairs; largest first into the lightest partition (LPT: within 4/3 of the best packing),
    deterministic. Nodes no link touches stay out: each is its own cluster.
    """
    left, right = np.asarray(left, np.int64), np.asarray(right, np.int64)
    links = np.ones(left.size, bool) if links is None else np.asarray(links, bool)
    if not links.any():
        return PartitionPlan(nodes=[], pairs=[], components=0, largest_component=0)
    comp = component_labels(n, left[links], right[links])
    touched = np.zeros(n, bool)
    touched[left[links]] = touched[right[links]] = True
    inside = touched[left] & touched[right] & (comp[left] == comp[right])
    n_comp = int(comp.max()) + 1
    node_count = np.bincount(comp[touched], minlength=n_comp)
    pair_count = np.bincount(comp[left[inside]], minlength=n_comp)
    used = np.flatnonzero(node_count)
    work = node_count[used] + pair_count[used]
    order = used[np.lexsort((used, -work))]  # heaviest first, then by label: deterministic
    k = max(1, min(int(n_partitions), used.size))
    bins = [(0, b) for b in range(k)]
    heapq.heapify(bins)
    part_of = np.full(n_comp, -1, np.int64)
    for c in order.tolist():
        load, b = heapq.heappop(bins)
        part_of[c] = b
        heapq.heappush(bins, (load + int(node_count[c] + pair_count[c]), b))
    node_part = np.where(touched, part_of[comp], -1)
    pair_part = np.where(inside, part_of[comp[left]], -1)
    return PartitionPlan(nodes=[np.flatnonzero(node_part == b) for b in range(k)],
                         pairs=[np.flatnonzero(pair_part == b) for b in range(k)],
                         components=int(used.size), largest_component=int(node_count[used].max()))


@dataclass
class Model:
    """The fitted scoring model every chunk scores with (fitted once, globally)."""

    scorer: Any
    comps: list
    threshold: float


@dataclass
class PairChunk:
    """A run of candidate pairs with just the records they touch (local positions; picklable)."""

    records: Records
    vectors: np.ndarray | None
    left: np.ndarray
    right: np.ndarray


@dataclass
class ClusterWork:
    """One partition to cluster: global node positions (ascending), local pairs in global order, evidence."""

    nodes: np.ndarray
    left: np.ndarray
    right: np.ndarray
    weights: np.ndarray
    exclusive: list | None


def _localize(nodes: np.ndarray, n: int, *cols: np.ndarray) -> list[np.ndarray]:
    local = np.full(n, -1, np.int64)
    local[nodes] = np.arange(nodes.size)
    return [local[c] for c in cols]


def pair_chunks(records: Records, vectors: np.ndarray | None, left: np.ndarray, right: np.ndarray,
                n_chunks: int) -> Iterable[PairChunk]:
    """Cut the pairs into about `n_chunks` contiguous runs (at most PAIRS_PER_CHUNK each)."""
    size = max(1, min(PAIRS_PER_CHUNK, -(-left.size // max(1, n_chunks))))
    for start in range(0, left.size, size):
        lc, rc = left[start:start + size], right[start:start + size]
        nodes = unique_sorted(np.concatenate([lc, rc]))
        ll, rr = _localize(nodes, len(records), lc, rc)
        yield PairChunk(records=records.subset(nodes.tolist()),
                        vectors=None if vectors is None else np.ascontiguousarray(vectors[nodes]), left=ll, right=rr)


def score_chunk(chunk: PairChunk, model: Model) -> np.ndarray:
    """Signed evidence per pair of the chunk (log-odds above the threshold)."""
    prob = model.scorer.probability(compare(chunk.records, model.comps, chunk.left, chunk.right, chunk.vectors))
    return edge_weights(prob, model.threshold)


def cluster_works(n: int, left: np.ndarray, right: np.ndarray, weights: np.ndarray, exclusive: list | None,
                  plan: PartitionPlan) -> Iterable[ClusterWork]:
    for nodes, pair_idx in zip(plan.nodes, plan.pairs, strict=True):
        ll, rr = _localize(nodes, n, left[pair_idx], right[pair_idx])
        yield ClusterWork(nodes=nodes, left=ll, right=rr, weights=weights[pair_idx],
                          exclusive=None if exclusive is None else [exclusive[i] for i in nodes.tolist()])


def cluster_partition(work: ClusterWork) -> tuple[np.ndarray, np.ndarray]:
    """Cluster one partition; returns (global nodes, global labels = smallest member position)."""
    local = correlation_clusters(work.nodes.size, work.left, work.right, work.weights, exclusive=work.exclusive)
    return work.nodes, work.nodes[local]


class Runner(Protocol):
    """Where the chunks and partitions run; results may come back in any order."""

    def score(self, chunks: Iterable[PairChunk], model: Model) -> Iterable[np.ndarray]: ...  # in chunk order

    def cluster(self, works: Iterable[ClusterWork]) -> Iterable[tuple[np.ndarray, np.ndarray]]: ...


class LocalRunner:
    """Everything in this process, one after another."""

    def score(self, chunks, model):
        return [score_chunk(c, model) for c in chunks]

    def cluster(self, works):
        return (cluster_partition(w) for w in works)


def cluster_partitioned(records: Records, vectors: np.ndarray | None, left: np.ndarray, right: np.ndarray,
                        model: Model, exclusive: list | None, n_partitions: int, runner: Runner | None = None,
                        stats: dict[str, Any] | None = None) -> np.ndarray:
    """Labels for every record, equal to `correlation_clusters` over all pairs in one process
    (up to the order of exactly tied merges, see the module doc).

    `stats` (optional) receives the partition figures and seconds per phase.
    """
    runner = runner or LocalRunner()
    n = len(records)
    labels = np.arange(n, dtype=np.int64)
    if left.size == 0:
        return labels
    t0 = time.perf_counter()
    weights = np.concatenate(list(runner.score(pair_chunks(records, vectors, left, right, n_partitions), model)))
    t1 = time.perf_counter()
    plan = plan_partitions(n, left, right, n_partitions, links=weights > 0)
    for nodes, lab in runner.cluster(cluster_works(n, left, right, weights, exclusive, plan)):
        labels[nodes] = lab
    if stats is not None:
        stats.update({"partitions": len(plan.nodes), "components": plan.components,
                      "largest_component": plan.largest_component, "partition_nodes": plan.sizes,
                      "score_s": round(t1 - t0, 3), "cluster_s": round(time.perf_counter() - t1, 3)})
    return labels


def resolve_listings_partitioned(listings: list[Listing], existing: list[Program] | None = None, *, settings,
                                 n_partitions: int = 4, runner: Runner | None = None,
                                 vectors: dict[str, np.ndarray] | None = None, embedder=None, spec=None):
    """`resolve_listings` with scoring and clustering done per partition (same result, see module doc).

    The incremental rules are `resolve_listings`' own (stable ids, only new, changed or unowned
    listings placed, known listings re-checked only when renamed, merges need direct evidence):
    this function runs the very same code and swaps only its score-and-cluster step.
    """
    stats: dict[str, Any] = {}
    timings: dict[str, float] = {}

    def score_cluster(sub: Records, comps, scorer, left, right, sub_vecs, thr, exclusive) -> np.ndarray:
        return cluster_partitioned(sub, sub_vecs, left, right, Model(scorer, comps, thr), exclusive, n_partitions,
                                   runner=runner, stats=stats)

    from matrix.resolve.listings import resolve_listings

    result = resolve_listings(listings, existing, settings=settings, vectors=vectors, spec=spec, embedder=embedder,
                              score_cluster=score_cluster, timings=timings)
    result.stats.update(stats)
    result.stats["seconds"] = {k: round(v, 3) for k, v in timings.items()}
    return result


def group_sizes(labels: Sequence[int]) -> list[int]:
    """Cluster sizes, largest first (for reports)."""
    return sorted(np.bincount(np.unique(np.asarray(labels), return_inverse=True)[1]).tolist(), reverse=True)

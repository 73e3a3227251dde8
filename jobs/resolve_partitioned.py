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
from pathlib import Path
from typing import Any, Iterator

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
import ray

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

"""Partitioned resolution: components never cut, balanced packing, results equal to one process."""

from __future__ import annotations

import numpy as np
import pytest

from bench.synthetic_affiliate import generate, pair_f1
from matrix.resolve import resolve_listings
from matrix.resolve.clustering import correlation_clusters
from matrix.resolve.partition import (
    Model,
    cluster_partitioned,
    component_labels,
    group_sizes,
    plan_partitions,
    resolve_listings_partitioned,
)
from matrix.resolve.prepare import build_records
from matrix.resolve.spec import parse_spec
from tests.support.resolve_data import TrigramEmbedder


def _random_graph(n: int, n_pairs: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    left, right = rng.integers(0, n, n_pairs), rng.integers(0, n, n_pairs)
    keep = left != right
    codes = np.unique(np.minimum(left, right)[keep] * n + np.maximum(left, right)[keep])  # each pair once
    return codes // n, codes % n


def _union_find_components(n: int, left, right) -> list[set[int]]:
    parent = list(range(n))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in zip(left.tolist(), right.tolist(), strict=True):
        parent[find(a)] = find(b)
    groups: dict[int, set[int]] = {}
    for i in range(n):
        groups.setdefault(find(i), set()).add(i)
    return sorted(groups.values(), key=min)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_components_match_a_plain_union_find(seed):
    n = 300
    left, right = _random_graph(n, 250, seed)
    labels = component_labels(n, left, right)
    got: dict[int, set[int]] = {}
    for i, c in enumerate(labels.tolist()):
        got.setdefault(c, set()).add(i)
    assert sorted(got.values(), key=min) == _union_find_components(n, left, right)


def test_plan_never_cuts_a_component_and_balances_the_rest():
    n = 2000
    left, right = _random_graph(n, 1200, 7)
    # one long chain: the largest component, which no partition count may split
    chain = np.arange(1500, 1700)
    left, right = np.concatenate([left, chain[:-1]]), np.concatenate([right, chain[1:]])
    plan = plan_partitions(n, left, right, 8)
    comp = component_labels(n, left, right)
    part_of_node = {}
    for b, nodes in enumerate(plan.nodes):
        assert np.all(np.diff(nodes) > 0), "nodes keep the global order"
        for i in nodes.tolist():
            part_of_node[i] = b
    touched = set(left.tolist()) | set(right.tolist())
    assert set(part_of_node) == touched  # every node with a pair, once; isolated nodes stay out
    for c in np.unique(comp[list(touched)]).tolist():  # a component lives in exactly one partition
        assert len({part_of_node[i] for i in np.flatnonzero(comp == c).tolist()}) == 1
    for b, pairs in enumerate(plan.pairs):  # each pair goes with its nodes, in global order
        assert np.all(np.diff(pairs) > 0)
        assert all(part_of_node[i] == b for i in left[pairs].tolist())
    assert sum(p.size for p in plan.pairs) == left.size
    loads = [nodes.size + pairs.size for nodes, pairs in zip(plan.nodes, plan.pairs, strict=True)]
    heaviest_component = plan.largest_component * 3  # nodes + pairs of the chain bound any single item
    assert max(loads) <= max(heaviest_component, 4 / 3 * sum(loads) / len(loads) + heaviest_component)
    assert len(plan.nodes) == 8 and min(loads) > 0


def test_plan_with_more_partitions_than_components():
    plan = plan_partitions(6, np.array([0, 3]), np.array([1, 4]), 10)
    assert len(plan.nodes) == 2 and plan.components == 2
    empty = plan_partitions(5, np.zeros(0, np.int64), np.zeros(0, np.int64), 4)
    assert empty.nodes == [] and empty.components == 0


class _ScoreByWeight:
    """A scorer whose probability is a fixed per-pair number (level column 0 carries the pair id)."""

    def __init__(self, prob: np.ndarray) -> None:
        self.prob = prob

    def probability(self, levels):
        return self.prob[levels[:, 0].astype(np.int64)]


@pytest.mark.parametrize("n_partitions", [1, 3, 16])
def test_partitioned_clustering_equals_one_process_on_random_graphs(n_partitions):
    """Signed random evidence with conflicts: per-partition greedy == global greedy.

    Continuous probabilities: between exactly tied weights the single-process greedy's order
    depends on adjacency sizes that include pairs into other components (see the module doc).
    """
    n = 400
    left, right = _random_graph(n, 700, 11)
    rng = np.random.default_rng(3)
    prob = rng.random(left.size)
    spec = parse_spec({"fields": [{"name": "name", "type": "name"}]}, "t")
    records = build_records(spec, [{"name": f"r{i}"} for i in range(n)], ["s"] * n, [str(i) for i in range(n)])
    # the comparison reports each pair's own global id, so any partition scores it as globally
    pair_id = {(a, b): k for k, (a, b) in enumerate(zip(left.tolist(), right.tolist(), strict=True))}

    class _Comp:
        def compute(self, rec, l_, r_, _v):
            return np.array([pair_id[(int(rec.ids[a]), int(rec.ids[b]))] for a, b in zip(l_, r_, strict=True)])

    from matrix.resolve import clustering
    from matrix.resolve import partition as part

    exclusive = [None if i % 3 else f"d{i % 5}" for i in range(n)]
    expected = correlation_clusters(n, left, right, clustering.edge_weights(prob, 0.5), exclusive=exclusive)
    original = part.compare
    part.compare = lambda rec, comps, l_, r_, v: np.stack([c.compute(rec, l_, r_, v) for c in comps], axis=1)
    try:
        stats: dict = {}
        got = cluster_partitioned(records, None, left, right, Model(_ScoreByWeight(prob), [_Comp()], 0.5),
                                  exclusive, n_partitions, stats=stats)
    finally:
        part.compare = original
    assert np.array_equal(got, expected)
    assert stats["partitions"] == min(n_partitions, stats["components"])
    assert len(group_sizes(got)) == len(np.unique(expected))


@pytest.fixture(scope="module")
def synthetic():
    listings, truth = generate(1500, seed=5)
    extra, _ = generate(1600, seed=5)
    return listings, truth, extra[1500:]


def _same(a, b) -> None:
    assert a.assignments == b.assignments
    assert a.changed_ids == b.changed_ids and a.removed_ids == b.removed_ids
    dump = lambda r: sorted((p.model_dump_json() for p in r.programs))  # noqa: E731
    assert dump(a) == dump(b)
    assert a.events == b.events


def test_partitioned_resolution_equals_single_process_cold_incremental_and_rerun(settings, synthetic):
    listings, truth, extra = synthetic
    emb = TrigramEmbedder()
    single = resolve_listings(listings, None, settings=settings, embedder=emb)
    parted = resolve_listings_partitioned(listings, None, settings=settings, embedder=emb, n_partitions=5)
    _same(single, parted)
    assert parted.stats["partitions"] == 5 and parted.stats["components"] > 5
    assert set(parted.stats["seconds"]) >= {"vectors", "block", "fit", "score_cluster", "assemble"}
    assert pair_f1(parted.assignments, truth)["f1"] >= 0.9  # the resolver still resolves

    # incremental: new listings against the resolved programs; ids stay stable
    inc_single = resolve_listings(extra, single.programs, settings=settings, embedder=emb)
    inc_parted = resolve_listings_partitioned(extra, parted.programs, settings=settings, embedder=emb, n_partitions=3)
    _same(inc_single, inc_parted)
    old_ids = {p.program_id for p in parted.programs}
    joined = [k for k, pid in inc_parted.assignments.items() if pid in old_ids]
    assert joined, "some new listings join existing programs under their old ids"

    # unchanged re-run: nothing changes, nothing is written
    again = resolve_listings_partitioned(listings, parted.programs, settings=settings, embedder=emb, n_partitions=4)
    assert again.changed_ids == set() and again.events == [] and again.removed_ids == set()
    assert again.assignments == parted.assignments


def test_partitioned_resolution_of_nothing(settings):
    r = resolve_listings_partitioned([], None, settings=settings, embedder=TrigramEmbedder())
    assert r.programs == [] and r.assignments == {}

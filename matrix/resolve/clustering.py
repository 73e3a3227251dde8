"""Clustering scored pairs into entities without chaining through one bad link.

Why greedy additive edge contraction (correlation clustering) instead of connected components:
components join A and C as soon as A~B and B~C, however strongly A and C disagree. Here every
scored pair carries signed evidence (log-odds above the threshold is positive, below negative);
two clusters merge only while the *sum* of evidence between all their scored pairs stays
positive, so one spurious link cannot outvote the pairs that say "different". Pairs never
compared count as no evidence, which lets large clusters form from sparse candidate graphs.

Two clean tables (each entity at most once per table) use a 1:1 assignment instead: pairs in
descending probability, each record used once.
"""

from __future__ import annotations

import heapq
import math

import numpy as np

from matrix.resolve.arrays import unique_sorted


def logit(p: np.ndarray | float) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=np.float64), 1e-12, 1 - 1e-12)
    return np.log(p / (1 - p))


def edge_weights(prob: np.ndarray, threshold: float, clip: float = 20.0) -> np.ndarray:
    """Signed evidence: positive above the threshold, negative below."""
    return np.clip(logit(prob) - float(logit(threshold)), -clip, clip)


def correlation_clusters(n: int, left: np.ndarray, right: np.ndarray, weights: np.ndarray,
                         cannot_link: np.ndarray | None = None, exclusive: list | None = None) -> np.ndarray:
    """Greedy additive edge contraction; returns a cluster label (smallest member index) per node.

    `cannot_link` (bool per node) marks nodes no two of which may share a cluster (e.g. existing
    programs that new evidence must not silently fuse). `exclusive` (a value or None per node)
    keeps nodes with different known values apart even through members whose value is unknown:
    summed evidence would otherwise let two listings without a domain glue `acme.com` and
    `acme.co.uk` into one program.

    Only edges inside one connected component of the *positive* edges are contracted
    (`_positive_component_edges`): the result is the same, for a fraction of the Python work.
    """
    left, right, weights = np.asarray(left, np.int64), np.asarray(right, np.int64), np.asarray(weights, np.float64)
    keep = _positive_component_edges(n, left, right, weights)
    left, right, weights = left[keep], right[keep], weights[keep]
    # contract on the nodes the kept edges touch, renumbered in order (every other node is a
    # singleton): the heap breaks ties by node number, and an order-preserving renumbering keeps
    # every merge as it was, while the per-node Python state shrinks from all records to these
    nodes = unique_sorted(np.concatenate([left, right]))
    labels = np.arange(n, dtype=np.int64)
    if nodes.size == 0:
        return labels
    local = _greedy_contraction(nodes.size, np.searchsorted(nodes, left), np.searchsorted(nodes, right), weights,
                                None if cannot_link is None else np.asarray(cannot_link)[nodes],
                                None if exclusive is None else [exclusive[i] for i in nodes.tolist()])
    labels[nodes] = nodes[local]  # a local label is its cluster's smallest local index = smallest member
    return labels


def _positive_component_edges(n: int, left: np.ndarray, right: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Edges whose two ends lie in one connected component of the positive edges (bool mask).

    Why the rest can be dropped: two clusters merge only while the summed weight of the edges
    between them is positive, which needs a positive edge between them; clusters in different
    positive components only ever share non-positive edges, so they never merge, and an edge
    between them never changes a sum inside a component. Dropping them leaves every merge,
    and the order of merges inside each component, as it was.
    """
    from scipy import sparse
    from scipy.sparse.csgraph import connected_components

    left, right = np.asarray(left, np.int64), np.asarray(right, np.int64)
    pos = np.asarray(weights) > 0
    if n == 0 or not pos.any():
        return np.zeros(left.shape[0], dtype=bool)
    graph = sparse.coo_matrix((np.ones(int(pos.sum()), np.int8), (left[pos], right[pos])), shape=(n, n))
    _, comp = connected_components(graph, directed=False)
    return comp[left] == comp[right]


def _greedy_contraction(n: int, left: np.ndarray, right: np.ndarray, weights: np.ndarray,
                        cannot_link: np.ndarray | None = None, exclusive: list | None = None) -> np.ndarray:
    """The contraction itself over the given edges (see `correlation_clusters`)."""
    adj: list[dict[int, float] | None] = list(_adjacency(n, left, right, weights))
    parent = list(range(n))
    anchors = [bool(x) for x in cannot_link] if cannot_link is not None else [False] * n
    value = list(exclusive) if exclusive is not None else [None] * n  # per cluster root
    heap = [(-w, a, b) for a, d in enumerate(adj) if d is not None for b, w in d.items() if a < b and w > 0]
    heapq.heapify(heap)
    while heap:
        negw, a, b = heapq.heappop(heap)
        da, db = adj[a], adj[b]
        if da is None or db is None or not _live_edge(da, b, -negw):
            continue
        if (anchors[a] and anchors[b]) or (value[a] is not None and value[b] is not None and value[a] != value[b]):
            continue  # two anchors, or two different exclusive values, never share a cluster
        if len(da) < len(db):  # merge the smaller adjacency into the larger
            a, b, da, db = b, a, db, da
        parent[b] = a
        anchors[a] = anchors[a] or anchors[b]
        value[a] = value[a] if value[a] is not None else value[b]
        _contract(adj, a, b, da, db, heap)
    return _smallest_member_labels(parent)


def _adjacency(n: int, left: np.ndarray, right: np.ndarray, weights: np.ndarray) -> list[dict[int, float]]:
    """Summed edge weight per node pair, both directions (self-pairs ignored)."""
    adj: list[dict[int, float]] = [{} for _ in range(n)]
    for a, b, w in zip(left.tolist(), right.tolist(), weights.tolist(), strict=True):
        if a == b:
            continue
        adj[a][b] = adj[a].get(b, 0.0) + w
        adj[b][a] = adj[b].get(a, 0.0) + w
    return adj


def _live_edge(da: dict[int, float], b: int, w: float) -> bool:
    """Whether a heap entry still describes the current, positive edge (entries go stale as clusters merge)."""
    cur = da.get(b)
    return cur is not None and cur > 0 and math.isclose(cur, w, rel_tol=1e-9, abs_tol=1e-9)


def _contract(adj: list[dict[int, float] | None], a: int, b: int, da: dict[int, float], db: dict[int, float],
              heap: list[tuple[float, int, int]]) -> None:
    """Fold node b into a: b's edges are added to a's, and every changed positive edge is queued again."""
    del da[b]
    for c, w in db.items():
        if c == a:
            continue
        dc = adj[c]
        assert dc is not None  # a live neighbour of a live node is live
        del dc[b]
        nw = da.get(c, 0.0) + w
        da[c] = nw
        dc[a] = nw
        if nw > 0:
            heapq.heappush(heap, (-nw, min(a, c), max(a, c)))
    adj[b] = None


def _smallest_member_labels(parent: list[int]) -> np.ndarray:
    """Label every node with its cluster's smallest member index: deterministic whatever the merge order."""
    root = np.asarray(parent, dtype=np.int64)
    while True:  # pointer jumping: every node ends pointing at its root
        up = root[root]
        if np.array_equal(up, root):
            break
        root = up
    _, first, inverse = np.unique(root, return_index=True, return_inverse=True)
    return first[inverse].astype(np.int64)  # the first index carrying a root is its smallest member


def one_to_one(n: int, left: np.ndarray, right: np.ndarray, prob: np.ndarray, threshold: float,
               group: np.ndarray | None = None, tiebreak: np.ndarray | None = None) -> np.ndarray:
    """Greedy 1:1 assignment: best pairs first, each record matched at most once.

    `group` (per record, a representative index) makes identical twins inside one table act as
    one record: the pair's match joins every twin, and no twin is matched again elsewhere.
    `tiebreak` (per pair, higher first) orders pairs of equal probability. Why: posteriors come
    from a few discrete levels, so a title and two look-alikes ('Friends' against 'Friends (1912)'
    and 'Tokyo Friends: The Movie') often tie exactly, and input order then picked the partner.
    """
    labels = np.arange(n, dtype=np.int64)
    g = np.arange(n, dtype=np.int64) if group is None else np.asarray(group, dtype=np.int64)
    members: dict[int, list[int]] = {}
    if group is not None:
        for i, r in enumerate(g.tolist()):
            members.setdefault(r, []).append(i)
    used = np.zeros(n, dtype=bool)
    order = np.argsort(-prob, kind="stable") if tiebreak is None else np.lexsort((-np.asarray(tiebreak), -prob))
    for k in order.tolist():
        if prob[k] < threshold:
            break
        a, b = int(g[left[k]]), int(g[right[k]])
        if used[a] or used[b] or a == b:
            continue
        used[a] = used[b] = True
        both = members.get(a, [a]) + members.get(b, [b])
        labels[both] = min(both)
    return labels


def pairs_in_clusters(labels: np.ndarray) -> set[tuple[int, int]]:
    groups: dict[int, list[int]] = {}
    for i, lab in enumerate(labels.tolist()):
        groups.setdefault(lab, []).append(i)
    out = set()
    for members in groups.values():
        for x in range(len(members)):
            for y in range(x + 1, len(members)):
                out.add((members[x], members[y]))
    return out

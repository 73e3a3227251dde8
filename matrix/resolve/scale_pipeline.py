"""Resolution at scale: every step a plain function over a shard of listings or of pairs, none over all.

Why: `resolve_listings` holds every listing, record and candidate pair of a run in one process;
at a million listings its memory and its one core are the ceiling. Here each step takes a
bounded piece and returns a bounded piece, so `jobs/resolve_partitioned.py` can map the steps
over Ray tasks and the driver only passes references (never listings, records or pairs):

1. `shard_features`: a shard of listings -> compact comparison features (Arrow) with global ids.
2. `route_shard`: each record goes to two blocking partitions: one by an exact key (its
   registered domain, else its normalized name: every record sharing that key lands together)
   and one by its embedding neighbourhood (the nearest of `n_cells` k-means centroids trained on
   a sample, `train_cells`). Each partition is cut into sub-partitions of about SUB_TARGET records.
3. `block_and_score`: per sub-partition, the single-process blocker (`blocking.block`: embedding
   kNN, lexical kNN, exact keys, same caps) and the model fitted once (`fit_model`, on a bounded
   sample of whole exact-key partitions) -> signed evidence per candidate pair (global ids).
4. `component_labels` over the positive pairs (the only pairs that can join records, see
   `matrix.resolve.partition`), then `route_edges` + `cluster_edges`: correlation clustering per
   connected component, a component never split (all its pairs go to one task, by component id).
5. `route_listings` + `assemble_programs`: survivorship per cluster -> Programs with the same
   deterministic ids as `resolve_listings` (`new_program_id` of the members' keys).

What differs from one process: the kNN blockers search a record's partitions, not the whole
run, so a pair whose records share no exact key and fall in different embedding cells is never
scored. With one partition (small runs) the candidates, model and labels equal `resolve_listings`.
Incremental runs: `shard_hashes` / `changed_rows` are the content-hash guard (a re-crawl whose
listings are unchanged resolves nothing and writes nothing).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np
import pyarrow as pa

from matrix.models import Listing, Program
from matrix.resolve.blocking import Candidates, _kmeans, block, key_pairs
from matrix.resolve.clustering import correlation_clusters, edge_weights
from matrix.resolve.partition import Model, component_labels
from matrix.resolve.prepare import Records, build_records, name_key, normalize_column
from matrix.resolve.scoring import compare
from matrix.resolve.spec import ResolveSpec

SUB_TARGET = 4000  # records per blocking sub-partition: dense kNN stays ~0.3 s each
FIT_RECORDS = 10_000  # records of whole exact-key partitions the model is fitted on (independent of n)
CELL_SAMPLE = 40  # k-means training rows per centroid
FREE_PROBES = 3  # a listing without a domain goes to its 3 nearest cells: its match may sit across a cell border
Embed = Callable[[Sequence[str]], np.ndarray]

EDGE_FIELDS = ("left", "right", "weight", "excl_left", "excl_right")


def stable_u64(values: Sequence[str | None]) -> np.ndarray:
    """A 63-bit hash per string (0 for None): the same on every worker and every run (unlike `hash`)."""
    out = np.zeros(len(values), np.int64)
    for i, v in enumerate(values):
        if v is not None:
            out[i] = int.from_bytes(hashlib.blake2b(v.encode(), digest_size=8).digest(), "little") >> 1
    return out


def shard_features(listings: Sequence[Listing], offset: int) -> pa.Table:
    """Compact comparison features of a shard of listings; global ids are `offset + position`."""
    from matrix.resolve.listings import _listing_row, listing_text

    rows = [_listing_row(x) for x in listings]
    cols: dict[str, Any] = {
        "gid": pa.array(np.arange(offset, offset + len(listings), dtype=np.int64)),
        "key": [x.key for x in listings], "source": [x.source for x in listings],
        "text": [listing_text(x) for x in listings],
    }
    for name, typ in (("name", pa.string()), ("domain", pa.string()), ("network", pa.string()),
                      ("category", pa.string()), ("description", pa.string()), ("percent", pa.float64()),
                      ("cookie_days", pa.float64())):
        cols[name] = pa.array([r[name] for r in rows], typ)
    return pa.table(cols)


def table_records(table: pa.Table, spec: ResolveSpec) -> Records:
    """Records (the resolver's normalized columns) of a feature table, in row order."""
    fields = [f.name for f in spec.fields]
    data = {c: table.column(c).to_pylist() for c in fields}
    rows = [{c: data[c][i] for c in fields} for i in range(table.num_rows)]
    return build_records(spec, rows, table.column("source").to_pylist(), table.column("key").to_pylist())


def route_keys(table: pa.Table, spec: ResolveSpec) -> tuple[np.ndarray, np.ndarray]:
    """(domain key, name key) per record, hashed (0 = none): the normalized registered domain and name key."""
    fields = {f.name: f for f in spec.fields}
    dom = normalize_column(fields["domain"], table.column("domain").to_pylist())
    names = normalize_column(fields["name"], table.column("name").to_pylist())
    return (stable_u64([f"d:{d}" if d else None for d in dom]),
            stable_u64([f"n:{k}" if (k := name_key(nm)) else None for nm in names]))


def embed_rows(texts: Sequence[str], embed: Embed) -> np.ndarray:
    vec = np.asarray(embed(list(texts)), np.float32)
    norms = np.linalg.norm(vec, axis=1, keepdims=True)
    return vec / np.where(norms == 0, 1, norms)


def train_cells(table: pa.Table, embed: Embed, n_cells: int, seed: int = 0) -> np.ndarray:
    """k-means centroids of the embedding space from a sample of one shard (the neighbourhood partitions)."""
    rng = np.random.default_rng(seed)
    take = min(table.num_rows, CELL_SAMPLE * n_cells)
    pick = np.sort(rng.choice(table.num_rows, take, replace=False))
    vec = embed_rows([table.column("text")[int(i)].as_py() for i in pick], embed)
    return _kmeans(vec, max(1, min(n_cells, take)), seed=seed)


@dataclass(frozen=True)
class RoutePlan:
    """How records are spread over blocking partitions (the same on every worker)."""

    exact_groups: int  # reduce tasks for the exact-key partitions
    exact_subs: int  # sub-partitions per exact-key group
    cell_groups: int  # reduce tasks for the embedding cells
    centroids: np.ndarray  # (n_cells, dim)
    free_probes: int = FREE_PROBES  # cells a domain-less record is routed to (its nearest ones)

    @property
    def groups(self) -> int:
        return self.exact_groups + self.cell_groups

    @property
    def fit_group(self) -> int:
        """The group the model is fitted on: the first embedding-cell group (see `fit_model`)."""
        return self.exact_groups if self.cell_groups else 0


def plan_routes(n: int, centroids: np.ndarray, records_per_group: int = 100_000) -> RoutePlan:
    """Groups of about `records_per_group` records, sub-partitions of about SUB_TARGET."""
    groups = max(1, -(-n // records_per_group))
    subs = max(1, -(-n // (groups * SUB_TARGET)))
    return RoutePlan(exact_groups=groups, exact_subs=subs, cell_groups=min(groups, centroids.shape[0]),
                     centroids=centroids)


def single_partition_plan(dim: int) -> RoutePlan:
    """Everything in one exact-key partition, no cells: blocking equals one process's."""
    return RoutePlan(exact_groups=1, exact_subs=1, cell_groups=0, centroids=np.zeros((0, dim), np.float32))


# Sub-partition kinds (the top bits of `sub`): what a partition's blocker is asked to find.
BY_DOMAIN, BY_NAME, BY_CELL, EVERY_PAIR = 0, 1, 2, 3
_KIND_SHIFT = 40


def _key_piece(table: pa.Table, rows: np.ndarray, keys: np.ndarray, plan: RoutePlan, kind: int) -> pa.Table:
    sub = (keys[rows] // plan.exact_groups) % plan.exact_subs + (kind << _KIND_SHIFT)
    return table.take(pa.array(rows)).append_column("sub", pa.array(sub.astype(np.int64)))


def route_shard(table: pa.Table, plan: RoutePlan, spec: ResolveSpec, embed: Embed) -> list[pa.Table]:
    """The shard's rows per blocking group (exact-key groups first, then cell groups), with a `sub` column.

    A record goes (1) by its registered domain to a BY_DOMAIN partition (every listing of that
    domain meets there), (2) by its name key to a BY_NAME partition and (3) by its nearest
    centroid to a BY_CELL partition. Domains are exclusive (two listings on different domains
    never merge), so BY_NAME and BY_CELL partitions only look for pairs with a listing that has
    no domain; pairs on one domain are all found in BY_DOMAIN.
    """
    if plan.exact_groups == 1 and plan.exact_subs == 1 and not plan.cell_groups:  # one partition: everything
        return [table.append_column("sub", pa.array(np.full(table.num_rows, EVERY_PAIR << _KIND_SHIFT, np.int64)))]
    dom, name = route_keys(table, spec)
    table = table.append_column("dkey", pa.array(dom)).append_column("nkey", pa.array(name))
    pieces = []
    for g in range(plan.exact_groups):
        by_dom = np.flatnonzero((dom != 0) & (dom % plan.exact_groups == g))
        by_name = np.flatnonzero((name != 0) & (name % plan.exact_groups == g))
        pieces.append(concat([_key_piece(table, by_dom, dom, plan, BY_DOMAIN),
                              _key_piece(table, by_name, name, plan, BY_NAME)]))
    if plan.cell_groups:
        rows, cell = _cells_of(table, plan, embed, free=dom == 0)
        for g in range(plan.cell_groups):
            mine = cell % plan.cell_groups == g
            sub = cell[mine].astype(np.int64) + (BY_CELL << _KIND_SHIFT)
            pieces.append(table.take(pa.array(rows[mine])).append_column("sub", pa.array(sub)))
    return pieces


def _cells_of(table: pa.Table, plan: RoutePlan, embed: Embed, free: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(row, cell) routes: every row to its nearest centroid, a domain-less row also to its next nearest."""
    sims = embed_rows(table.column("text").to_pylist(), embed) @ plan.centroids.T
    probes = max(1, min(plan.free_probes, plan.centroids.shape[0]))
    near = np.argsort(-sims, axis=1)[:, :probes]
    rows = [np.arange(table.num_rows)]
    cells = [near[:, 0]]
    for p in range(1, probes):
        rows.append(np.flatnonzero(free))
        cells.append(near[free, p])
    return np.concatenate(rows), np.concatenate(cells)


def concat(pieces: Sequence[pa.Table]) -> pa.Table:
    return pa.concat_tables([p for p in pieces if p.num_rows] or list(pieces[:1]))


def sub_partitions(table: pa.Table) -> list[pa.Table]:
    """The rows of each sub-partition, each in global-id order (the single-process record order)."""
    if not table.num_rows:
        return []
    sub = table.column("sub").to_numpy()
    gid = table.column("gid").to_numpy()
    order = np.lexsort((gid, sub))
    bounds = np.flatnonzero(np.diff(sub[order])) + 1
    return [table.take(pa.array(idx)) for idx in np.split(order, bounds)]


def _block(table: pa.Table, spec: ResolveSpec, embed: Embed, k: int,
           kind: int = EVERY_PAIR) -> tuple[Records, np.ndarray | None, Any, np.ndarray]:
    """Block one partition. EVERY_PAIR: every pair, as `resolve_listings` does on a cold run (all
    records active: the very same call); BY_DOMAIN: pairs on one domain; BY_NAME / BY_CELL:
    pairs with at least one domain-less record (see `route_shard`)."""
    records = table_records(table, spec)
    vecs = embed_rows(table.column("text").to_pylist(), embed) if spec.embeddings else None
    excl = _exclusive_codes(records, spec)
    if kind == BY_DOMAIN:
        return records, vecs, domain_pairs(records, vecs, excl, spec, k), excl
    active = np.ones(len(records), bool) if kind == EVERY_PAIR else excl == 0
    if not active.any():
        return records, vecs, None, excl
    cands = block(records, vecs, k, cross_only=False, max_key_group=spec.max_key_group, active=active)
    return records, vecs, cands, excl


def _pairable(part: pa.Table, kind: int) -> pa.Table:
    """Drop rows that cannot be in any pair this partition looks for: in BY_DOMAIN the only
    listing of its domain here, in BY_NAME a name group without a domain-less listing."""
    if kind not in (BY_DOMAIN, BY_NAME):
        return part
    key = part.column("dkey" if kind == BY_DOMAIN else "nkey").to_numpy()
    uniq, inv, counts = np.unique(key, return_inverse=True, return_counts=True)
    if kind == BY_DOMAIN:
        keep = counts[inv] >= 2
    else:
        has_free = np.zeros(uniq.size, bool)
        has_free[inv[part.column("dkey").to_numpy() == 0]] = True
        keep = has_free[inv] & (counts[inv] >= 2)
    return part if keep.all() else part.filter(pa.array(keep))


def domain_pairs(records: Records, vecs: np.ndarray | None, excl: np.ndarray, spec: ResolveSpec, k: int) -> Candidates:
    """The pairs `block` finds between listings of one domain: exact-key pairs (`key_pairs`, same
    group cap) and, inside a domain group too large to pair exhaustively, the full blocker run on
    that group alone. Pairs across domains are skipped: they can never merge."""
    left, right = key_pairs(records, False, spec.max_key_group)
    same = (excl[left] == excl[right]) & (excl[left] != 0)
    ls, rs = [left[same]], [right[same]]
    codes, counts = np.unique(excl[excl != 0], return_counts=True)
    for code in codes[counts > spec.max_key_group].tolist():
        idx = np.flatnonzero(excl == code)
        c = block(records.subset(idx.tolist()), None if vecs is None else vecs[idx], k, cross_only=False,
                  max_key_group=spec.max_key_group)
        ls.append(idx[c.left])
        rs.append(idx[c.right])
    lo, hi = np.concatenate(ls), np.concatenate(rs)
    pairs = np.unique(np.stack([np.minimum(lo, hi), np.maximum(lo, hi)], axis=1), axis=0)
    return Candidates(left=pairs[:, 0], right=pairs[:, 1], by_blocker={"domain": int(pairs.shape[0])})


def empty_edges() -> dict[str, np.ndarray]:
    return {"left": np.zeros(0, np.int64), "right": np.zeros(0, np.int64), "weight": np.zeros(0, np.float32),
            "excl_left": np.zeros(0, np.int64), "excl_right": np.zeros(0, np.int64)}


def concat_edges(parts: Sequence[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    parts = [p for p in parts if p["left"].size]
    if not parts:
        return empty_edges()
    return {f: np.concatenate([p[f] for p in parts]) for f in EDGE_FIELDS}


def _exclusive_codes(records: Records, spec: ResolveSpec) -> np.ndarray:
    excl = spec.exclusive_values(records.values)
    if excl is None:
        return np.zeros(len(records), np.int64)
    return stable_u64([None if v is None else repr(v) for v in excl])


def block_and_score(table: pa.Table, model: Model, spec: ResolveSpec, embed: Embed, k: int) -> dict[str, np.ndarray]:
    """Candidate pairs of every sub-partition of `table`, scored: global ids, evidence, exclusive codes."""
    out = []
    for part in sub_partitions(table):
        if part.num_rows < 2:
            continue
        kind = int(part.column("sub")[0].as_py()) >> _KIND_SHIFT
        part = _pairable(part, kind)
        if part.num_rows < 2:
            continue
        records, vecs, cands, excl = _block(part, spec, embed, k, kind)
        if cands is None or not len(cands):
            continue
        prob = model.scorer.probability(compare(records, model.comps, cands.left, cands.right, vecs))
        gid = part.column("gid").to_numpy()
        out.append({"left": gid[cands.left], "right": gid[cands.right],
                    "weight": edge_weights(prob, model.threshold).astype(np.float32),
                    "excl_left": excl[cands.left], "excl_right": excl[cands.right]})
    return dedupe_edges(concat_edges(out))


def dedupe_edges(edges: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """One row per pair (a pair found in two partitions is scored the same in both), sorted by (left, right)."""
    if not edges["left"].size:
        return edges
    lo, hi = np.minimum(edges["left"], edges["right"]), np.maximum(edges["left"], edges["right"])
    swap = edges["left"] > edges["right"]
    el = np.where(swap, edges["excl_right"], edges["excl_left"])
    er = np.where(swap, edges["excl_left"], edges["excl_right"])
    _, first = np.unique(np.stack([lo, hi], axis=1), axis=0, return_index=True)
    return {"left": lo[first], "right": hi[first], "weight": edges["weight"][first],
            "excl_left": el[first], "excl_right": er[first]}


def fit_model(table: pa.Table, spec: ResolveSpec, settings, embed: Embed, k: int) -> Model:
    """The scoring model, fitted once on a bounded sample: whole sub-partitions of `table` (pass an
    embedding-cell group: a cell keeps every record's neighbourhood, so its candidate pairs hold
    matches and near misses in the share the whole run has, whatever the run's size), up to
    FIT_RECORDS rows, blocked and fitted exactly as `resolve_listings` fits its run."""
    from matrix.resolve.listings import _fit, match_threshold

    parts = sub_partitions(table)
    keep, total = [], 0
    for p in parts:
        if total >= FIT_RECORDS:
            break
        keep.append(p)
        total += p.num_rows
    sample = concat(keep) if keep else table
    _, first = np.unique(sample.column("gid").to_numpy(), return_index=True)  # a record may be routed twice
    sample = sample.take(pa.array(first))  # in global-id order
    records, vecs, cands, _ = _block(sample, spec, embed, k)
    scorer, comps = _fit(records, vecs, settings, spec, pairs=(cands.left, cands.right))
    return Model(scorer=scorer, comps=comps, threshold=match_threshold(spec, settings))


def positive_links(edges: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The pairs that can join two records (positive evidence), as compact int arrays."""
    pos = edges["weight"] > 0
    return edges["left"][pos], edges["right"][pos]


def components(n: int, links: Sequence[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """Connected component per global id over every partition's positive pairs."""
    left = np.concatenate([x[0] for x in links] or [np.zeros(0, np.int64)])
    right = np.concatenate([x[1] for x in links] or [np.zeros(0, np.int64)])
    return component_labels(n, left, right).astype(np.int64)


def route_edges(edges: dict[str, np.ndarray], comp: np.ndarray, n_groups: int) -> list[dict[str, np.ndarray]]:
    """Pairs inside one component, split by component id: a component's pairs all go to one group."""
    inside = comp[edges["left"]] == comp[edges["right"]]
    group = comp[edges["left"]] % n_groups
    return [{f: edges[f][inside & (group == g)] for f in EDGE_FIELDS} for g in range(n_groups)]


def cluster_edges(pieces: Sequence[dict[str, np.ndarray]], comp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Correlation clustering per component: (global ids, label = smallest member id) of clustered records."""
    edges = dedupe_edges(concat_edges(pieces))
    inside = comp[edges["left"]] == comp[edges["right"]]  # pairs across components can never merge anything
    edges = {f: v[inside] for f, v in edges.items()}
    if not edges["left"].size:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    c = comp[edges["left"]]
    order = np.lexsort((edges["right"], edges["left"], c))  # per component, pairs in global order
    edges = {f: v[order] for f, v in edges.items()}
    c = c[order]
    bounds = np.flatnonzero(np.diff(c)) + 1
    nodes_out, labels_out = [], []
    for idx in np.split(np.arange(c.size), bounds):
        nodes, lab = _cluster_component({f: v[idx] for f, v in edges.items()})
        nodes_out.append(nodes)
        labels_out.append(lab)
    return np.concatenate(nodes_out), np.concatenate(labels_out)


def _cluster_component(edges: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    ends = np.concatenate([edges["left"], edges["right"]])
    codes = np.concatenate([edges["excl_left"], edges["excl_right"]])
    nodes, first = np.unique(ends, return_index=True)
    excl = [None if x == 0 else int(x) for x in codes[first].tolist()]
    local_l, local_r = np.searchsorted(nodes, edges["left"]), np.searchsorted(nodes, edges["right"])
    local = correlation_clusters(nodes.size, local_l, local_r, edges["weight"].astype(np.float64), exclusive=excl)
    return nodes, nodes[local]


def merge_labels(n: int, parts: Sequence[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """Label per global id (its own id when no pair touched it)."""
    labels = np.arange(n, dtype=np.int64)
    for nodes, lab in parts:
        labels[nodes] = lab
    return labels


def route_listings(listings: Sequence[Listing], offset: int, labels: np.ndarray,
                   n_groups: int) -> list[list[tuple[int, Listing]]]:
    """A shard's listings with their cluster label, split by label: a cluster's listings meet in one group."""
    out: list[list[tuple[int, Listing]]] = [[] for _ in range(n_groups)]
    lab = labels[offset:offset + len(listings)]
    for x, label in zip(listings, lab.tolist(), strict=True):
        out[label % n_groups].append((label, x))
    return out


def assemble_programs(pieces: Sequence[Sequence[tuple[int, Listing]]], source_trust: Sequence[str]) -> list[Program]:
    """Survivorship per cluster -> new Programs (ids as `resolve_listings` gives them: from the members' keys)."""
    from matrix.resolve.listings import new_program_id
    from matrix.resolve.survivorship import survive

    clusters: dict[int, list[Listing]] = {}
    for piece in pieces:
        for label, x in piece:
            clusters.setdefault(label, []).append(x)
    out = []
    for members in clusters.values():
        members.sort(key=lambda x: x.key)
        out.append(survive(new_program_id([x.key for x in members]), members, None, source_trust))
    return out


def member_texts(pieces: Sequence[Sequence[tuple[int, Listing]]]) -> dict[str, str]:
    """`listing_text` per listing key of an assembly group: what the program writer embeds (a
    program's vector is the mean of its listings' vectors, as the ingest computes it)."""
    from matrix.resolve.listings import listing_text

    return {x.key: listing_text(x) for piece in pieces for _, x in piece}


def content_hashes(listings: Sequence[Listing]) -> list[str]:
    """Each listing's content hash: the one normalize stamped on it (the ingest does), else computed."""
    return [x.content_hash or x.compute_hash() for x in listings]


def shard_hashes(listings: Sequence[Listing]) -> tuple[np.ndarray, np.ndarray]:
    """(key hash, content hash) per listing, sorted by key hash: the content-hash guard of a shard."""
    keys = stable_u64([x.key for x in listings])
    content = stable_u64(content_hashes(listings))
    order = np.argsort(keys, kind="stable")
    return keys[order], content[order]


def guard_columns(listings: Sequence[Listing]) -> pa.Table:
    """The two columns the guard reads (a normalized Arrow batch of the ingest carries them)."""
    return pa.table({"key": [x.key for x in listings], "content_hash": content_hashes(listings)})


def changed_rows(listings: Sequence[Listing] | pa.Table, stored: Sequence[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """Positions of the listings that are new or whose content changed since `stored` (the guard).

    `listings`: Listing objects, or an Arrow table with `key` and `content_hash` columns (then no
    listing is materialized: the guard reads two columns)."""
    keys = np.concatenate([s[0] for s in stored] or [np.zeros(0, np.int64)])
    content = np.concatenate([s[1] for s in stored] or [np.zeros(0, np.int64)])
    order = np.argsort(keys, kind="stable")
    keys, content = keys[order], content[order]
    if isinstance(listings, pa.Table):
        mine_k = stable_u64(listings.column("key").to_pylist())
        mine_c = stable_u64(listings.column("content_hash").to_pylist())
    else:
        mine_k, mine_c = stable_u64([x.key for x in listings]), stable_u64(content_hashes(listings))
    pos = np.clip(np.searchsorted(keys, mine_k), 0, max(keys.size - 1, 0))
    if not keys.size:
        return np.arange(mine_k.size)
    same = (keys[pos] == mine_k) & (content[pos] == mine_c)
    return np.flatnonzero(~same)


def pair_f1_arrays(labels: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    """Pairwise precision / recall / F1 of cluster labels against true labels (same as `pair_f1`, on arrays)."""
    def pairs(x: np.ndarray) -> int:
        c = np.unique(x, return_counts=True)[1].astype(np.int64)
        return int((c * (c - 1) // 2).sum())

    joint = np.unique(np.stack([labels, truth], axis=1), axis=0, return_counts=True)[1].astype(np.int64)
    tp = int((joint * (joint - 1) // 2).sum())
    pp, gp = pairs(labels), pairs(truth)
    p, r = (tp / pp if pp else 0.0), (tp / gp if gp else 0.0)
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(2 * p * r / (p + r) if p + r else 0.0, 4)}


def resolve_in_process(listings: Sequence[Listing], settings, embed: Embed, *, spec: ResolveSpec | None = None,
                       single_partition: bool = False, records_per_group: int = 100_000,
                       shard_size: int = 50_000, cluster_groups: int = 2) -> tuple[np.ndarray, list[Program]]:
    """The whole scalable pipeline in this process, one step after another (tests, small inputs):
    (label per listing, programs). `jobs.resolve_partitioned.resolve_scale` runs the same steps as Ray tasks."""
    from matrix.resolve.listings import LISTING_SPEC

    spec = spec or LISTING_SPEC
    n, k = len(listings), max(1, settings.resolve.neighbours // 2)
    shards = [list(listings[o:o + shard_size]) for o in range(0, n, shard_size)]
    offsets = list(range(0, n, shard_size))
    feats = [shard_features(s, o) for s, o in zip(shards, offsets, strict=True)]
    plan = single_partition_plan(settings.embed.dim) if single_partition else \
        plan_routes(n, train_cells(feats[0], embed, max(1, n // 4000)), records_per_group)
    routed = [route_shard(f, plan, spec, embed) for f in feats]
    model = fit_model(concat([r[plan.fit_group] for r in routed]), spec, settings, embed, k)
    scored = [block_and_score(concat([r[g] for r in routed]), model, spec, embed, k) for g in range(plan.groups)]
    comp = components(n, [positive_links(e) for e in scored])
    per_edges = [route_edges(e, comp, cluster_groups) for e in scored]
    labels = merge_labels(n, [cluster_edges([pe[g] for pe in per_edges], comp) for g in range(cluster_groups)])
    per_listing = [route_listings(s, o, labels, cluster_groups) for s, o in zip(shards, offsets, strict=True)]
    programs = [p for g in range(cluster_groups)
                for p in assemble_programs([pl[g] for pl in per_listing], settings.resolve.source_trust)]
    return labels, programs


def take(listings: Sequence[Listing], positions: np.ndarray) -> list[Listing]:
    return [listings[int(i)] for i in positions]


def related_programs(programs: Sequence[Program], keys: set[str], domain_keys: np.ndarray, name_keys: np.ndarray,
                     spec: ResolveSpec) -> list[Program]:
    """The programs an incremental run must see: those owning one of `keys` (changed or re-seen
    listings) and those sharing a registered domain or a name key with the new listings."""
    if not programs:
        return []
    table = pa.table({"domain": pa.array([p.merchant_domain for p in programs], pa.string()),
                      "name": pa.array([p.name for p in programs], pa.string())})
    dom, name = route_keys(table, spec)
    hit = (np.isin(dom, domain_keys[domain_keys != 0]) | np.isin(name, name_keys[name_keys != 0]))
    return [p for p, h in zip(programs, hit.tolist(), strict=True) if h or not keys.isdisjoint(p.listing_keys)]

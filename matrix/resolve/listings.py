"""Resolving affiliate listings into Programs, incrementally and with stable ids.

Why incremental: the index holds every program seen so far; re-clustering all listings on each
ingest would cost O(everything) and could reshuffle ids users already bookmarked. Instead each
existing Program becomes one record (its surviving values), new listings are blocked and scored
against programs and each other only, and correlation clustering decides which program (if
any) each new listing joins. A listing already known keeps its program; a program keeps its id
when sources join it; two programs merge only when the evidence between them (scored directly,
not just through the new listing) is positive; a known listing that no longer resembles its
program is split off. Every merge and split is returned as an event.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from matrix.models import Listing, Program
from matrix.observability import counter, get_logger
from matrix.resolve.blocking import Candidates, block
from matrix.resolve.clustering import correlation_clusters, edge_weights
from matrix.resolve.engine import DEFAULT_THRESHOLD
from matrix.resolve.prepare import Records, build_records
from matrix.resolve.scoring import FellegiSunter, blocking_biased, compare, comparisons, random_pairs
from matrix.resolve.spec import ResolveSpec, parse_spec
from matrix.resolve.survivorship import listing_domain, survive

log = get_logger(__name__)
PROGRAM_SOURCE = "\x00program"  # the record source of existing programs (never a real source name)
FIT_SAMPLE = 4000  # records used to fit the scoring model when this run has too few candidate pairs
MIN_FIT_PAIRS = 2000  # candidate pairs enough to fit EM on directly
MAX_FIT_PAIRS = 200_000  # EM sample cap (time and memory)
SPLIT_BELOW = 0.01  # a known listing whose match probability with its program falls below this leaves it

LISTING_SPEC = parse_spec({
    "fields": [
        {"name": "name", "type": "name", "weight": 1.0},
        # one program = one merchant site: listings on different registered domains never merge
        {"name": "domain", "type": "url-domain", "weight": 1.0, "exclusive": True},
        {"name": "network", "type": "categorical", "weight": 0.2, "embed": False, "block": False},
        {"name": "category", "type": "categorical", "weight": 0.3, "embed": True, "block": False},
        {"name": "description", "type": "text", "weight": 0.3, "embed": True},
        {"name": "percent", "type": "number", "weight": 0.3},
        {"name": "cookie_days", "type": "number", "weight": 0.2},
    ],
}, "built-in listing spec")


@dataclass
class ResolveResult:
    programs: list[Program]  # every program touched by this run (new, joined, merged, refreshed)
    changed_ids: set[str]  # programs whose content changed (write these)
    assignments: dict[str, str]  # listing key -> program id, for every input listing
    events: list[dict[str, Any]] = field(default_factory=list)  # create / join / merge / split
    removed_ids: set[str] = field(default_factory=set)  # programs merged into another (delete these)
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def changed(self) -> list[Program]:
        return [p for p in self.programs if p.program_id in self.changed_ids]


def listing_text(listing: Listing) -> str:
    """The text embedded for a listing (the Ray actor pool should embed exactly this)."""
    parts = [listing.name, *listing.aliases[:3], listing_domain(listing) or "", listing.category or "",
             (listing.description or "")[:300]]
    return " ".join(p for p in parts if p)


def program_text(p: Program) -> str:
    parts = [p.name, *p.aliases[:3], p.merchant_domain or "", p.category or "", (p.description or "")[:300]]
    return " ".join(x for x in parts if x)


def program_vectors(programs: Sequence[Program], listing_vectors: dict[str, np.ndarray],
                    previous: dict[str, np.ndarray] | None = None,
                    previous_sizes: dict[str, int] | None = None) -> dict[str, np.ndarray]:
    """A vector per program without running the model: the normalized mean of its listings' vectors.

    Why: a program is the sum of its listings, so the centroid of their `listing_text`
    embeddings is what new listings should be compared with (and what the index can search);
    the ingest then embeds each listing once and never embeds programs, which keeps the whole
    pipeline close to embedding-only speed. Members without a vector in `listing_vectors` are
    represented by the program's `previous` vector, weighted by how many listings it had
    (`previous_sizes`). A program with no usable vector is left out (the caller embeds
    `program_text` for it).
    """
    previous, previous_sizes = previous or {}, previous_sizes or {}
    out: dict[str, np.ndarray] = {}
    for p in programs:
        vs = [listing_vectors[k] for k in p.listing_keys if k in listing_vectors]
        acc: np.ndarray | None = np.asarray(np.sum(vs, axis=0, dtype=np.float64)) if vs else None
        missing = len(p.listing_keys) - len(vs)
        prev = previous.get(p.program_id)
        if missing and prev is not None:
            w = min(missing, previous_sizes.get(p.program_id, missing))
            part = np.asarray(prev, np.float64) * w
            acc = part if acc is None else acc + part
        if acc is None:
            continue
        norm = float(np.linalg.norm(acc))
        if norm > 0:
            out[p.program_id] = (acc / norm).astype(np.float32)
    return out


def _listing_row(listing: Listing) -> dict[str, Any]:
    return {"name": listing.name, "domain": listing_domain(listing), "network": listing.network,
            "category": listing.category, "description": (listing.description or None),
            "percent": listing.commission.best_percent, "cookie_days": listing.cookie_days}


def _program_row(p: Program) -> dict[str, Any]:
    return {"name": p.name, "domain": p.merchant_domain, "network": p.networks[0] if len(p.networks) == 1 else None,
            "category": p.category, "description": p.description, "percent": p.commission.best_percent,
            "cookie_days": p.cookie_days}


def new_program_id(listing_keys: Sequence[str]) -> str:
    """Deterministic: the same first listing always founds the same id, across runs and machines."""
    return "p_" + hashlib.blake2b(min(listing_keys).encode(), digest_size=8).hexdigest()


def _embed(texts: list[str], settings) -> np.ndarray:
    from matrix.embed import CachedEmbedder, Embedder, EmbeddingCache

    emb = Embedder(settings.embed.model, settings.embed.device, settings.embed.batch_size)
    return CachedEmbedder(emb, EmbeddingCache(settings)).embed(texts)


@dataclass
class ListingBatch:
    """One resolve run's records: the existing programs first, then the fresh and the known listings."""

    spec: ResolveSpec
    records: Records
    programs: list[Program]  # existing programs, records positions 0..n_p-1
    fresh: list[Listing]  # listings no program owns yet
    known: list[Listing]  # listings some program already owns
    owner: dict[str, str]  # listing key -> id of the program that owns it
    by_id: dict[str, Program]

    @property
    def n_p(self) -> int:
        return len(self.programs)

    @property
    def listings(self) -> list[Listing]:
        """The placed listings in records order (positions n_p onwards)."""
        return self.fresh + self.known


@dataclass
class Placement:
    """Where correlation clustering put the placed records."""

    labels: np.ndarray  # cluster label per placed record
    placed: np.ndarray  # records positions of the placed records (programs, fresh and split listings)
    split: set[int]  # records positions of known listings split off their program


@dataclass
class _Blocked:
    """Candidate pairs among the placed records (`left`/`right` index `sub`, the placed subset)."""

    placed: np.ndarray
    sub: Records
    sub_vecs: np.ndarray | None
    left: np.ndarray
    right: np.ndarray


def listing_batch(listings: list[Listing], existing: list[Program] | None, spec: ResolveSpec) -> ListingBatch:
    """Deduplicate `listings` (the last copy of a key wins, like the index upsert) and lay out the records."""
    existing = list(existing or [])
    owner = {k: p.program_id for p in existing for k in p.listing_keys}
    unique = list({listing.key: listing for listing in listings}.values())
    known = [listing for listing in unique if listing.key in owner]
    fresh = [listing for listing in unique if listing.key not in owner]
    rec_listings = fresh + known
    rows = [_program_row(p) for p in existing] + [_listing_row(listing) for listing in rec_listings]
    sources = [PROGRAM_SOURCE] * len(existing) + [listing.source for listing in rec_listings]
    ids = [p.program_id for p in existing] + [listing.key for listing in rec_listings]
    return ListingBatch(spec, build_records(spec, rows, sources, ids), existing, fresh, known, owner,
                        {p.program_id: p for p in existing})


def match_threshold(spec: ResolveSpec, settings) -> float:
    """The spec's threshold, else the configured one, else the engine default for many-to-many matching."""
    if spec.threshold is not None:
        return spec.threshold
    return settings.resolve.threshold if settings.resolve.threshold is not None else DEFAULT_THRESHOLD["many"]


def _recheck_candidates(batch: ListingBatch) -> list[int]:
    """Known listings to re-score against their program: renamed ones in a program of several listings.

    A listing whose name the program already carries was accepted before: re-seeing it is no
    reason to re-score it, so an unchanged re-ingest never loads the model or fits anything.
    """
    n_p, records = batch.n_p, batch.records
    rec_listings = batch.listings
    recheck = []
    carried: dict[str, set[str]] = {}  # program id -> names it already carries (case-insensitive, as aliases are kept)
    for i in range(n_p + len(batch.fresh), len(records)):
        prog = batch.by_id[batch.owner[records.ids[i]]]
        names = carried.get(prog.program_id)
        if names is None:
            names = carried[prog.program_id] = {x.strip().lower() for x in [prog.name, *prog.aliases] if x}
        if len(prog.listing_keys) > 1 and (rec_listings[i - n_p].name or "").strip().lower() not in names:
            recheck.append(i)
    return recheck


def _block_placed(batch: ListingBatch, vecs: np.ndarray | None, extra: set[int], k: int) -> _Blocked:
    """Block the programs + fresh (+ `extra`, split) listings; other known listings are represented by their program."""
    n_p, n = batch.n_p, len(batch.records)
    active = np.zeros(n, dtype=bool)
    active[n_p:n_p + len(batch.fresh)] = True
    active[list(extra)] = True
    placed = np.flatnonzero(np.concatenate([np.ones(n_p, bool), active[n_p:]]))
    sub = _subset(batch.records, placed)
    sub_vecs = None if vecs is None else vecs[placed]
    sub_active = active[placed]
    if not sub_active.any():
        return _Blocked(placed, sub, sub_vecs, np.zeros(0, np.int64), np.zeros(0, np.int64))
    cands = block(sub, sub_vecs, k, cross_only=False, max_key_group=batch.spec.max_key_group, active=sub_active)
    return _Blocked(placed, sub, sub_vecs, *_with_program_pairs(cands, sub_active, n_p))


def _splits(batch: ListingBatch, recheck: list[int], scorer: FellegiSunter, comps, vecs: np.ndarray | None) -> set[int]:
    """Rechecked known listings whose match probability with their own program fell below SPLIT_BELOW."""
    records = batch.records
    prog_pos = {p.program_id: i for i, p in enumerate(batch.programs)}
    ri = np.asarray(recheck, dtype=np.int64)
    kp = np.array([prog_pos[batch.owner[records.ids[i]]] for i in recheck], dtype=np.int64)
    pk = scorer.probability(compare(records, comps, ri, kp, vecs))
    return {i for i, p_ in zip(recheck, pk.tolist(), strict=True) if p_ < SPLIT_BELOW}


# The score-and-cluster step: (placed records, comparisons, fitted model, left, right, their vectors,
# threshold, exclusive values) -> a cluster label per placed record. Partitioned resolution swaps it.
ScoreCluster = Callable[[Records, Any, FellegiSunter, np.ndarray, np.ndarray, "np.ndarray | None", float, Any], np.ndarray]


def score_and_cluster(sub: Records, comps, scorer: FellegiSunter, left: np.ndarray, right: np.ndarray,
                      sub_vecs: np.ndarray | None, thr: float, exclusive) -> np.ndarray:
    """Cluster labels of the placed records from the match probabilities of their candidate pairs (one process)."""
    prob = scorer.probability(compare(sub, comps, left, right, sub_vecs))
    return correlation_clusters(len(sub), left, right, edge_weights(prob, thr), exclusive=exclusive)


class _Laps:
    """Seconds per stage into `timings` (when given), for the scale benchmark."""

    def __init__(self, timings: dict[str, float] | None) -> None:
        self.timings, self.last = timings, time.perf_counter()

    def __call__(self, stage: str) -> None:
        now = time.perf_counter()
        if self.timings is not None:
            self.timings[stage] = self.timings.get(stage, 0.0) + now - self.last
        self.last = now


def resolve_listings(listings: list[Listing], existing: list[Program] | None = None, *, settings,
                     vectors: dict[str, np.ndarray] | None = None, spec: ResolveSpec | None = None,
                     embedder=None, score_cluster: ScoreCluster = score_and_cluster,
                     timings: dict[str, float] | None = None) -> ResolveResult:
    """Match `listings` against `existing` programs (and each other) and return what changed.

    vectors: listing key (and optionally program id) -> embedding of `listing_text` /
    `program_text`; whatever is missing is embedded here (through the text-hash cache, or the
    injected `embedder`). Pass `spec` to change fields/weights (default LISTING_SPEC).
    `score_cluster` replaces the score-and-cluster step (matrix.resolve.partition runs it per
    partition); `timings` receives seconds per stage (vectors, block, fit, score_cluster, assemble).
    """
    lap = _Laps(timings)
    spec = spec or LISTING_SPEC
    batch = listing_batch(listings, existing, spec)
    n_listings = len(batch.fresh) + len(batch.known)
    if not n_listings:
        return ResolveResult(programs=[], changed_ids=set(), assignments={}, stats={"listings": 0})
    thr = match_threshold(spec, settings)
    k = max(1, settings.resolve.neighbours // 2)

    # known listings stay with their program unless renamed and no longer resembling it (split)
    recheck = _recheck_candidates(batch)
    vecs = None
    if (batch.fresh or recheck) and spec.embeddings:
        vecs = _vectors(batch.records, batch.programs, batch.listings, vectors, settings, embedder)
    lap("vectors")
    blocked = _block_placed(batch, vecs, set(), k)
    lap("block")
    split: set[int] = set()
    labels = None
    if batch.fresh or recheck:
        scorer, comps = _fit(batch.records, vecs, settings, spec,
                             pairs=(blocked.placed[blocked.left], blocked.placed[blocked.right]))
        lap("fit")
        if recheck:
            split = _splits(batch, recheck, scorer, comps, vecs)
            if split:
                blocked = _block_placed(batch, vecs, split, k)
        if blocked.left.size:
            sub = blocked.sub
            labels = score_cluster(sub, comps, scorer, blocked.left, blocked.right, blocked.sub_vecs, thr,
                                   spec.exclusive_values(sub.values))
    else:
        lap("fit")
    if labels is None:  # nothing to place: every program stays as it is
        labels = np.arange(len(blocked.sub), dtype=np.int64)
    lap("score_cluster")

    result = _assemble(batch, Placement(labels, blocked.placed, split), settings)
    result.stats = {"listings": n_listings, "new_listings": len(batch.fresh), "known_listings": len(batch.known),
                    "existing_programs": batch.n_p, "candidate_pairs": int(blocked.left.size), "threshold": thr,
                    "splits": len(split), "changed_programs": len(result.changed_ids)}
    lap("assemble")
    counter("matrix_resolve_listings_total", "listings resolved into programs").inc(n_listings)
    log.info("resolve_listings", extra={f"resolve_{k}": v for k, v in result.stats.items()})
    return result


def _vectors(records: Records, progs: list[Program], listings: list[Listing], vectors: dict[str, np.ndarray] | None,
             settings, embedder) -> np.ndarray:
    vectors = vectors or {}
    texts = [program_text(p) for p in progs] + [listing_text(listing) for listing in listings]
    keys = [p.program_id for p in progs] + [listing.key for listing in listings]
    dim = settings.embed.dim
    out = np.zeros((len(keys), dim), dtype=np.float32)
    missing = []
    for i, k in enumerate(keys):
        v = vectors.get(k)
        if v is None:
            missing.append(i)
        else:
            out[i] = np.asarray(v, dtype=np.float32)
    if missing:
        mt = [texts[i] for i in missing]
        vec = np.asarray(embedder.embed(mt) if embedder is not None else _embed(mt, settings), dtype=np.float32)
        out[missing] = vec
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.where(norms == 0, 1, norms)


def _subset(rec: Records, keep: np.ndarray) -> Records:
    return rec.subset(keep.tolist())


def _fit(records: Records, vecs: np.ndarray | None, settings, spec: ResolveSpec,
         pairs: tuple[np.ndarray, np.ndarray] | None = None):
    """Fit the unsupervised model: u from random record pairs, m by EM on candidate pairs.

    With enough `pairs` (this run's candidates, in `records` positions) EM runs on a sample of
    them: they hold the matches in their natural share, whereas candidates found inside a
    random record sample hold almost none at scale (true pairs survive sampling with the square
    of the sampling rate). A small batch falls back to blocking a record sample of everything,
    so it still gets a sound model.
    """
    n = len(records)
    rng = np.random.default_rng(0)
    comps = comparisons(records, vecs is not None)
    scorer = FellegiSunter(comps)
    rl, rr = random_pairs(records, min(50_000, max(2000, 20 * n)), False, 0)
    scorer.fit_u(compare(records, comps, rl, rr, vecs))
    biased = blocking_biased(records, vecs is not None)
    if pairs is not None and pairs[0].size >= MIN_FIT_PAIRS:
        pl, pr = pairs
        if pl.size > MAX_FIT_PAIRS:
            pick = np.sort(rng.choice(pl.size, MAX_FIT_PAIRS, replace=False))
            pl, pr = pl[pick], pr[pick]
        scorer.fit_m(compare(records, comps, pl, pr, vecs), update_u=biased)
        return scorer, comps
    sample = np.arange(n) if n <= FIT_SAMPLE else np.sort(rng.choice(n, FIT_SAMPLE, replace=False))
    sub = _subset(records, sample)
    sv = None if vecs is None else vecs[sample]
    cands = block(sub, sv, max(1, settings.resolve.neighbours // 2), cross_only=False, max_key_group=spec.max_key_group)
    scorer.fit_m(compare(sub, comps, cands.left, cands.right, sv), update_u=biased)
    return scorer, comps


def _with_program_pairs(cands: Candidates, active: np.ndarray, n_p: int) -> tuple[np.ndarray, np.ndarray]:
    """Add program-program pairs between programs that share a new neighbour, so a merge needs direct evidence."""
    neigh: dict[int, set[int]] = {}
    for a, b in zip(cands.left.tolist(), cands.right.tolist(), strict=True):
        if active[a] and b < n_p:
            neigh.setdefault(a, set()).add(b)
        if active[b] and a < n_p:
            neigh.setdefault(b, set()).add(a)
    extra = set()
    for ps in neigh.values():
        ps_ = sorted(ps)[:10]
        for x in range(len(ps_)):
            for y in range(x + 1, len(ps_)):
                extra.add((ps_[x], ps_[y]))
    if not extra:
        return cands.left, cands.right
    el, er = zip(*sorted(extra), strict=True)
    return np.concatenate([cands.left, np.asarray(el, np.int64)]), np.concatenate([cands.right, np.asarray(er, np.int64)])


@dataclass
class _Assembly:
    """What placing the clusters decided, before survivorship builds the programs."""

    batch: dict[str, list[Listing]] = field(default_factory=dict)  # program id -> this batch's listings of it
    dropped: dict[str, set[str]] = field(default_factory=dict)  # program id -> listing keys split off it
    removed: set[str] = field(default_factory=set)  # programs merged into another
    merged_into: dict[str, str] = field(default_factory=dict)  # merged program id -> surviving program id
    events: list[dict[str, Any]] = field(default_factory=list)


def _clusters(placement: Placement) -> list[list[int]]:
    """Members (records positions) of each cluster, in first-seen label order."""
    clusters: dict[int, list[int]] = {}
    for local, lab in enumerate(placement.labels.tolist()):
        clusters.setdefault(lab, []).append(int(placement.placed[local]))
    return list(clusters.values())


def _cluster_program(p_members: list[int], l_members: list[Listing], progs: list[Program], acc: _Assembly) -> str:
    """The id a cluster keeps: its largest existing program's (the others merge into it), else a new id."""
    if not p_members:
        pid = new_program_id([listing.key for listing in l_members])
        acc.events.append({"event": "create", "program_id": pid, "listing_keys": sorted(listing.key for listing in l_members)})
        return pid
    ranked = sorted(p_members, key=lambda i: (-len(progs[i].listing_keys), progs[i].program_id))
    pid = progs[ranked[0]].program_id
    for i in ranked[1:]:
        other = progs[i].program_id
        acc.removed.add(other)
        acc.merged_into[other] = pid
        acc.events.append({"event": "merge", "program_id": pid, "merged": other, "listing_keys": list(progs[i].listing_keys)})
    return pid


def _place_cluster(members: list[int], batch: ListingBatch, acc: _Assembly) -> None:
    n_p, rec_listings = batch.n_p, batch.listings
    p_members = [i for i in members if i < n_p]
    l_members = [rec_listings[i - n_p] for i in members if i >= n_p]
    if not l_members and len(p_members) <= 1:
        return  # an existing program nothing new touched
    pid = _cluster_program(p_members, l_members, batch.programs, acc)
    for listing in l_members:
        if listing.key in batch.owner:
            old = batch.owner[listing.key]
            acc.dropped.setdefault(old, set()).add(listing.key)
            acc.events.append({"event": "split", "program_id": old, "listing_key": listing.key, "to": pid})
        elif p_members:
            acc.events.append({"event": "join", "program_id": pid, "listing_key": listing.key})
    acc.batch.setdefault(pid, []).extend(l_members)


def _refresh_known(batch: ListingBatch, split: set[int], acc: _Assembly) -> None:
    """Known listings that stayed refresh their own program (or the one it merged into)."""
    split_keys = {batch.records.ids[i] for i in split}
    for listing in batch.known:
        if listing.key in split_keys:
            continue
        pid = batch.owner[listing.key]
        pid = acc.merged_into.get(pid, pid)
        acc.batch.setdefault(pid, []).append(listing)


def _assemble(batch: ListingBatch, placement: Placement, settings) -> ResolveResult:
    """Turn the clusters into programs: create / join / merge / split events, then survivorship per program."""
    acc = _Assembly()
    for members in _clusters(placement):
        _place_cluster(members, batch, acc)
    _refresh_known(batch, placement.split, acc)
    trust = settings.resolve.source_trust
    by_id = batch.by_id
    assignments: dict[str, str] = {}
    out: list[Program] = []
    changed: set[str] = set()
    for pid, ls in acc.batch.items():
        prev = by_id.get(pid)
        base = prev
        for other, into in acc.merged_into.items():  # fold merged programs' values in as candidates
            if into == pid:
                base = _fold(base, by_id[other], settings)
        prog = survive(pid, ls, base, trust, dropped_keys=acc.dropped.get(pid, set()))
        if prev is not None:
            prog.listing_keys = sorted(set(prog.listing_keys))
        out.append(prog)
        if prev is None or prev.content_hash != prog.content_hash or prev.compute_hash() != prog.compute_hash():
            changed.add(pid)
        for listing in ls:
            assignments[listing.key] = pid
    for pid, keys in acc.dropped.items():  # programs that lost a listing but got nothing new
        if pid in acc.batch or pid in acc.removed:
            continue
        out.append(survive(pid, [], by_id[pid], trust, dropped_keys=keys))
        changed.add(pid)
    return ResolveResult(programs=out, changed_ids=changed, assignments=assignments, events=acc.events,
                         removed_ids=acc.removed)


def _fold(base: Program | None, other: Program, settings) -> Program:
    """Merge another program's listing keys into `base`; `base`'s values stay candidates via provenance."""
    if base is None:
        return other
    data = base.model_copy(deep=True)
    data.listing_keys = sorted(set(base.listing_keys) | set(other.listing_keys))
    data.sources = sorted(set(base.sources) | set(other.sources))
    data.networks = sorted(set(base.networks) | set(other.networks))
    data.aliases = sorted(set(base.aliases) | set(other.aliases) | {other.name} - {base.name})
    for f, fs in other.provenance.items():
        if f not in data.provenance and getattr(other, f, None) is not None:
            data.provenance[f] = fs
            setattr(data, f, getattr(other, f))
    return data

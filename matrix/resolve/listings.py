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

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from typing import Any, Sequence

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


def listing_text(l: Listing) -> str:
    """The text embedded for a listing (the Ray actor pool should embed exactly this)."""
    parts = [l.name, *l.aliases[:3], listing_domain(l) or "", l.category or "", (l.description or "")[:300]]
    return " ".join(p for p in parts if p)


def program_text(p: Program) -> str:
    parts = [p.name, *p.aliases[:3], p.merchant_domain or "", p.category or "", (p.description or "")[:300]]
    return " ".join(x for x in parts if x)


def program_vectors(programs: Sequence[Program], listing_vectors: dict[str, np.ndarray],
                    previous: dict[str, np.ndarray] | None = None, previous_sizes: dict[str, int] | None = None) -> dict[str, np.ndarray]:
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
        acc = np.sum(vs, axis=0, dtype=np.float64) if vs else None
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


def _listing_row(l: Listing) -> dict[str, Any]:
    return {"name": l.name, "domain": listing_domain(l), "network": l.network, "category": l.category,
            "description": (l.description or None), "percent": l.commission.best_percent, "cookie_days": l.cookie_days}


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


def resolve_listings(listings: list[Listing], existing: list[Program] | None = None, *, settings,
                     vectors: dict[str, np.ndarray] | None = None, spec: ResolveSpec | None = None,
                     embedder=None) -> ResolveResult:
    """Match `listings` against `existing` programs (and each other) and return what changed.

    vectors: listing key (and optionally program id) -> embedding of `listing_text` /
    `program_text`; whatever is missing is embedded here (through the text-hash cache, or the
    injected `embedder`). Pass `spec` to change fields/weights (default LISTING_SPEC).
    """
    spec = spec or LISTING_SPEC
    existing = list(existing or [])
    by_id = {p.program_id: p for p in existing}
    owner = {k: p.program_id for p in existing for k in p.listing_keys}
    dedup: dict[str, Listing] = {}
    for l in listings:
        dedup[l.key] = l  # the last copy of a key wins, like the index upsert
    listings = list(dedup.values())
    known = [l for l in listings if l.key in owner]
    fresh = [l for l in listings if l.key not in owner]
    if not listings:
        return ResolveResult(programs=[], changed_ids=set(), assignments={}, stats={"listings": 0})

    # records: existing programs first, then the listings being placed
    rec_progs = existing
    rec_listings = fresh + known
    rows = [_program_row(p) for p in rec_progs] + [_listing_row(l) for l in rec_listings]
    sources = [PROGRAM_SOURCE] * len(rec_progs) + [l.source for l in rec_listings]
    ids = [p.program_id for p in rec_progs] + [l.key for l in rec_listings]
    records = build_records(spec, rows, sources, ids)
    n_p, n = len(rec_progs), len(records)
    thr = spec.threshold if spec.threshold is not None else (settings.resolve.threshold if settings.resolve.threshold is not None else DEFAULT_THRESHOLD["many"])
    k = max(1, settings.resolve.neighbours // 2)

    # known listings: stay with their program unless renamed and no longer resembling it (split).
    # A listing whose name the program already carries was accepted before: re-seeing it is no
    # reason to re-score it, so an unchanged re-ingest never loads the model or fits anything.
    known_idx = np.arange(n_p + len(fresh), n)
    prog_pos = {p.program_id: i for i, p in enumerate(rec_progs)}
    events: list[dict[str, Any]] = []
    split: set[int] = set()
    recheck = []
    carried: dict[str, set[str]] = {}  # program id -> names it already carries (case-insensitive, as aliases are kept)
    for i in known_idx.tolist():
        prog = by_id[owner[records.ids[i]]]
        names = carried.get(prog.program_id)
        if names is None:
            names = carried[prog.program_id] = {x.strip().lower() for x in [prog.name, *prog.aliases] if x}
        if len(prog.listing_keys) > 1 and (rec_listings[i - n_p].name or "").strip().lower() not in names:
            recheck.append(i)
    vecs, scorer, comps = None, None, None
    if fresh or recheck:
        vecs = _vectors(records, rec_progs, rec_listings, vectors, settings, embedder) if spec.embeddings else None

    def place(extra: set[int]):
        """Block the programs + fresh (+ split) listings; pairs in `records` positions."""
        active = np.zeros(n, dtype=bool)
        active[n_p:n_p + len(fresh)] = True
        active[list(extra)] = True
        # other known listings are represented by their program
        placed = np.flatnonzero(np.concatenate([np.ones(n_p, bool), active[n_p:]]))
        sub = _subset(records, placed)
        sub_vecs = None if vecs is None else vecs[placed]
        sub_active = active[placed]
        if not sub_active.any():
            return placed, sub, sub_vecs, np.zeros(0, np.int64), np.zeros(0, np.int64)
        cands = block(sub, sub_vecs, k, cross_only=False, max_key_group=spec.max_key_group, active=sub_active)
        return (placed, sub, sub_vecs, *_with_program_pairs(cands, sub_active, n_p))

    placed, sub, sub_vecs, left, right = place(set())
    if fresh or recheck:
        scorer, comps = _fit(records, vecs, settings, spec, pairs=(placed[left], placed[right]))
    if recheck:
        ri = np.asarray(recheck, dtype=np.int64)
        kp = np.array([prog_pos[owner[records.ids[i]]] for i in recheck], dtype=np.int64)
        pk = scorer.probability(compare(records, comps, ri, kp, vecs))
        split = {i for i, p_ in zip(recheck, pk.tolist()) if p_ < SPLIT_BELOW}
        if split:
            placed, sub, sub_vecs, left, right = place(split)
    if left.size:
        prob = scorer.probability(compare(sub, comps, left, right, sub_vecs))
        labels = correlation_clusters(len(sub), left, right, edge_weights(prob, thr),
                                      exclusive=spec.exclusive_values(sub.values))
    else:  # nothing to place: every program stays as it is
        left = np.zeros(0, np.int64)
        labels = np.arange(len(sub), dtype=np.int64)

    result = _assemble(labels, placed, n_p, records, rec_progs, rec_listings, fresh, known, split, owner, by_id, settings, events)
    result.stats = {"listings": len(listings), "new_listings": len(fresh), "known_listings": len(known),
                    "existing_programs": n_p, "candidate_pairs": int(left.size), "threshold": thr,
                    "splits": len(split), "changed_programs": len(result.changed_ids)}
    counter("matrix_resolve_listings_total", "listings resolved into programs").inc(len(listings))
    log.info("resolve_listings", extra={f"resolve_{k}": v for k, v in result.stats.items()})
    return result


def _vectors(records: Records, progs: list[Program], listings: list[Listing], vectors: dict[str, np.ndarray] | None,
             settings, embedder) -> np.ndarray:
    vectors = vectors or {}
    texts = [program_text(p) for p in progs] + [listing_text(l) for l in listings]
    keys = [p.program_id for p in progs] + [l.key for l in listings]
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
    for a, b in zip(cands.left.tolist(), cands.right.tolist()):
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
    el, er = zip(*sorted(extra))
    return np.concatenate([cands.left, np.asarray(el, np.int64)]), np.concatenate([cands.right, np.asarray(er, np.int64)])


def _assemble(labels, placed, n_p, records, progs, rec_listings, fresh, known, split, owner, by_id, settings, events) -> ResolveResult:
    listing_at = {n_p + j: l for j, l in enumerate(rec_listings)}
    clusters: dict[int, list[int]] = {}
    for local, lab in enumerate(labels.tolist()):
        clusters.setdefault(lab, []).append(int(placed[local]))
    batch: dict[str, list[Listing]] = {}  # program id -> listings of this batch assigned to it
    dropped: dict[str, set[str]] = {}
    removed: set[str] = set()
    merged_into: dict[str, str] = {}
    trust = settings.resolve.source_trust
    for members in clusters.values():
        p_members = [i for i in members if i < n_p]
        l_members = [listing_at[i] for i in members if i >= n_p]
        if not l_members and len(p_members) <= 1:
            continue  # an existing program nothing new touched
        if p_members:
            ranked = sorted(p_members, key=lambda i: (-len(progs[i].listing_keys), progs[i].program_id))
            pid = progs[ranked[0]].program_id
            for i in ranked[1:]:
                other = progs[i].program_id
                removed.add(other)
                merged_into[other] = pid
                events.append({"event": "merge", "program_id": pid, "merged": other,
                               "listing_keys": list(progs[i].listing_keys)})
        else:
            pid = new_program_id([l.key for l in l_members])
            events.append({"event": "create", "program_id": pid, "listing_keys": sorted(l.key for l in l_members)})
        for l in l_members:
            if l.key in owner:
                old = owner[l.key]
                dropped.setdefault(old, set()).add(l.key)
                events.append({"event": "split", "program_id": old, "listing_key": l.key, "to": pid})
            elif p_members:
                events.append({"event": "join", "program_id": pid, "listing_key": l.key})
        batch.setdefault(pid, []).extend(l_members)
    split_keys = {records.ids[i] for i in split}
    for l in known:  # known listings refresh their own program
        if l.key in split_keys:
            continue
        pid = owner[l.key]
        pid = merged_into.get(pid, pid)
        batch.setdefault(pid, []).append(l)
    assignments: dict[str, str] = {}
    out: list[Program] = []
    changed: set[str] = set()
    for pid, ls in batch.items():
        prev = by_id.get(pid)
        base = prev
        for other, into in merged_into.items():  # fold merged programs' values in as candidates
            if into == pid:
                ls = ls + []  # listings of merged programs are represented by their values below
                base = _fold(base, by_id[other], settings)
        prog = survive(pid, ls, base, trust, dropped_keys=dropped.get(pid, set()))
        if prev is not None:
            keep_keys = sorted(set(prog.listing_keys))
            prog.listing_keys = keep_keys
        out.append(prog)
        if prev is None or prev.content_hash != prog.content_hash or prev.compute_hash() != prog.compute_hash():
            changed.add(pid)
        for l in ls:
            assignments[l.key] = pid
    for pid, keys in dropped.items():  # programs that lost a listing but got nothing new
        if pid in batch or pid in removed:
            continue
        prev = by_id[pid]
        prog = survive(pid, [], prev, trust, dropped_keys=keys)
        out.append(prog)
        changed.add(pid)
    return ResolveResult(programs=out, changed_ids=changed, assignments=assignments, events=events, removed_ids=removed)


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

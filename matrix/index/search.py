"""The library-level search API used by the CLI, notebooks and the Serve app.

`search(index, request, embed_query=None)` -> `SearchResult(hits, total, facets, version, ...)`.

Modes
- text: native full-text (BM25) over the search text; at most `index.text_candidates` matches
  are ranked, and `total_exact` says whether the cap was hit (like a search engine's
  "10,000+ results").
- vector: the `index.vector_candidates` nearest programs to the query embedding that pass the
  filters. The caller injects `embed_query` so the index layer never loads a model itself.
- hybrid: text and vector candidate lists (`index.hybrid_candidates` each) fused with
  reciprocal-rank fusion: score = sum(1 / (rrf_k + rank)).
- an empty query browses: every program that passes the filters, with an exact total.

Filters are pushed into Lance as a prefilter (served by the scalar indexes), so filtering never
drops matches that a post-filter would have cut off. Facets, totals and term sorts come from the
snapshot's in-memory column cache (see columns.py), so they cost microseconds per candidate.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable, Literal, Sequence

import numpy as np

from matrix.index.columns import UNKNOWN, ColumnCache, threshold_counts
from matrix.index.store import MasterIndex, Snapshot
from matrix.observability import SEARCH_LATENCY, SEARCH_REQUESTS

Mode = Literal["text", "vector", "hybrid"]
SortKey = Literal["relevance", "commission", "cookie_days", "epc", "last_verified", "score"]
MODES = ("text", "vector", "hybrid")
SORTS = ("relevance", "commission", "cookie_days", "epc", "last_verified", "score")
FACETS = ("network", "category", "commission_model", "commission", "cookie_days", "country", "approval", "last_verified",
          "score")
# the program score (matrix.score) reads these besides the cached filter columns
SCORE_COLUMNS = ["category", "commission", "commission_percent", "commission_flat", "cookie_days", "payout", "epc",
                 "approval", "restrictions", "last_verified", "sources"]
HIT_COLUMNS = [
    "program_id", "name", "aliases", "merchant_domain", "url", "networks", "category", "categories",
    "commission", "commission_model", "commission_percent", "commission_flat", "cookie_days",
    "geo_allowed", "approval", "epc", "last_verified", "description", "sources", "quality",
]
_DAY_S = 86400.0


@dataclass
class SearchFilters:
    """All filters AND together; inside a list, values OR. The value "unknown" selects programs
    whose field is unknown (no category, no networks, no country list, unknown model/approval)."""

    networks: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    commission_models: list[str] = field(default_factory=list)
    min_commission_percent: float | None = None
    min_cookie_days: float | None = None
    countries: list[str] = field(default_factory=list)
    approval: list[str] = field(default_factory=list)
    verified_since: str | None = None  # ISO date or datetime (UTC if no zone)
    min_score: float | None = None  # program score (0-100) under the request's weights


@dataclass
class SearchRequest:
    q: str = ""
    mode: Mode = "text"
    filters: SearchFilters = field(default_factory=SearchFilters)
    facets: list[str] = field(default_factory=list)
    sort: SortKey = "relevance"
    offset: int = 0
    limit: int = 10
    version: int | str | None = None  # None = latest; a version number or an ingest tag
    weights: str | dict[str, float] | None = None  # program-score weights over `score.weights` ("earnings:2,cookie:1")


@dataclass
class SearchResult:
    hits: list[dict[str, Any]]
    total: int
    facets: dict[str, dict[str, int]]
    version: int | None
    took_ms: float
    mode: str = "text"
    total_exact: bool = True


# --- validation -----------------------------------------------------------------------------
def validate(req: SearchRequest) -> None:
    """Bad input fails with the field, the value and what is allowed."""
    if req.mode not in MODES:
        raise ValueError(f"mode = {req.mode!r}: allowed {', '.join(MODES)}")
    if req.sort not in SORTS:
        raise ValueError(f"sort = {req.sort!r}: allowed {', '.join(SORTS)}")
    bad = [f for f in req.facets if f not in FACETS]
    if bad:
        raise ValueError(f"facets = {bad!r}: allowed {', '.join(FACETS)}")
    if req.offset < 0:
        raise ValueError(f"offset = {req.offset!r}: must be >= 0")
    if req.limit < 0:
        raise ValueError(f"limit = {req.limit!r}: must be >= 0")
    if req.weights:
        from matrix.score import parse_weights

        parse_weights(req.weights)
    f = req.filters
    for name in ("networks", "categories", "commission_models", "countries", "approval"):
        values = getattr(f, name)
        if not isinstance(values, (list, tuple)) or not all(isinstance(v, str) and v for v in values):
            raise ValueError(f"filters.{name} = {values!r}: must be a list of non-empty strings")
    for name in ("min_commission_percent", "min_cookie_days", "min_score"):
        v = getattr(f, name)
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float)) or v != v):
            raise ValueError(f"filters.{name} = {v!r}: must be a number or null")
    if f.verified_since is not None:
        parse_since(f.verified_since)


def parse_since(value: str) -> dt.datetime:
    try:
        d = dt.datetime.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"filters.verified_since = {value!r}: must be an ISO date like 2025-06-30") from None
    return d if d.tzinfo else d.replace(tzinfo=dt.timezone.utc)


# --- filters as a Lance prefilter -----------------------------------------------------------
def _q(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _labels(col: str, values: list[str], upper: bool = False) -> str:
    known = [v.upper() if upper else v for v in values if v != UNKNOWN]
    parts = [f"{col} IN (" + ", ".join(_q(v) for v in known) + ")"] if known else []
    if UNKNOWN in values:
        parts += [f"{col} IS NULL", f"{col} = 'unknown'"]
    return "(" + " OR ".join(parts) + ")"


def _lists(col: str, values: list[str], upper: bool = False) -> str:
    known = [v.upper() if upper else v for v in values if v != UNKNOWN]
    parts = [f"array_has_any({col}, make_array(" + ", ".join(_q(v) for v in known) + "))"] if known else []
    if UNKNOWN in values:
        parts += [f"{col} IS NULL", f"array_length({col}) = 0"]
    return "(" + " OR ".join(parts) + ")"


def build_where(f: SearchFilters) -> str | None:
    parts: list[str] = []
    if f.networks:
        parts.append(_lists("networks", f.networks))
    if f.categories:
        parts.append(_labels("category", f.categories))
    if f.commission_models:
        parts.append(_labels("commission_model", f.commission_models))
    if f.min_commission_percent is not None:
        parts.append(f"commission_percent >= {float(f.min_commission_percent)}")
    if f.min_cookie_days is not None:
        parts.append(f"cookie_days >= {float(f.min_cookie_days)}")
    if f.countries:
        parts.append(_lists("geo_allowed", f.countries, upper=True))
    if f.approval:
        parts.append(_labels("approval", f.approval))
    if f.verified_since:
        since = parse_since(f.verified_since).astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")
        parts.append(f"last_verified >= arrow_cast({_q(since)}, 'Timestamp(Microsecond, Some(\"UTC\"))')")
    return " AND ".join(parts) or None


# --- the same filters over the column cache (browse mode) ------------------------------------
def filter_mask(cols: ColumnCache, f: SearchFilters) -> np.ndarray:
    m = np.ones(cols.n, dtype=bool)
    if f.networks:
        m &= cols.networks.mask(f.networks)
    if f.categories:
        m &= cols.category.mask(f.categories)
    if f.commission_models:
        m &= cols.commission_model.mask(f.commission_models)
    if f.min_commission_percent is not None:
        with np.errstate(invalid="ignore"):
            m &= cols.commission_percent >= float(f.min_commission_percent)
    if f.min_cookie_days is not None:
        with np.errstate(invalid="ignore"):
            m &= cols.cookie_days >= float(f.min_cookie_days)
    if f.countries:
        m &= cols.countries.mask([c if c == UNKNOWN else c.upper() for c in f.countries])
    if f.approval:
        m &= cols.approval.mask(f.approval)
    if f.verified_since:
        with np.errstate(invalid="ignore"):
            m &= cols.last_verified >= parse_since(f.verified_since).timestamp()
    return m


# --- retrieval --------------------------------------------------------------------------------
def _text_candidates(snap: Snapshot, q: str, where: str | None, k: int) -> tuple[list[str], np.ndarray]:
    if "search_text" not in snap.indexed:
        raise RuntimeError("the programs table has no full-text index yet; run MasterIndex.ensure_indexes()")
    # Quotes would ask for a phrase query, which needs token positions the index does not keep
    # (they double its size); the words still match and rank.
    q = q.replace('"', " ").strip() or "_"
    # The pinned pylance dataset, not the LanceDB builder: same index, ~2 ms less per call.
    res = snap.dataset.to_table(columns=["program_id", "_score"], full_text_query=q, filter=where,
                                prefilter=True, limit=k)
    return res.column("program_id").to_pylist(), res.column("_score").to_numpy()


def _vector_candidates(snap: Snapshot, vec: Sequence[float], where: str | None, k: int,
                       nprobes: int, refine_candidates: int) -> tuple[list[str], np.ndarray]:
    nearest: dict[str, Any] = {"column": "vector", "q": np.asarray(vec, dtype=np.float32), "k": k, "metric": "cosine"}
    if "vector" in snap.indexed:
        # Refine re-reads k * factor full vectors; what recall@10 needs is a fixed budget of
        # re-ranked candidates, so the factor shrinks as k grows (k=100 -> 2, not 20: 10x less IO).
        nearest.update(nprobes=nprobes, refine_factor=max(1, -(-refine_candidates // k)))
    res = snap.dataset.to_table(columns=["program_id", "_distance"], nearest=nearest, filter=where, prefilter=True)
    # cosine distance -> similarity, so higher is better in every mode
    return res.column("program_id").to_pylist(), 1.0 - res.column("_distance").to_numpy()


_POOL: ThreadPoolExecutor | None = None
_POOL_LOCK = threading.Lock()


def _pool() -> ThreadPoolExecutor:
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="matrix-search")
        return _POOL


def rrf(lists: Sequence[Sequence[str]], k: int) -> tuple[list[str], np.ndarray]:
    """Reciprocal-rank fusion: robust to the different score scales of BM25 and cosine."""
    scores: dict[str, float] = {}
    for ranked in lists:
        for rank, pid in enumerate(ranked, start=1):
            scores[pid] = scores.get(pid, 0.0) + 1.0 / (k + rank)
    ordered = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
    return [pid for pid, _ in ordered], np.asarray([s for _, s in ordered], dtype=np.float64)


# --- ordering, facets, hits -------------------------------------------------------------------
def _desc_nulls_last(values: np.ndarray) -> np.ndarray:
    return np.where(np.isnan(values), np.inf, -values)


def _sort_keys(cols: ColumnCache, positions: np.ndarray, sort: str, ranked: bool,
               score: np.ndarray | None = None) -> list[np.ndarray]:
    """Sort keys, most significant first, each ascending = better. Ties end at relevance, then name."""
    if ranked:
        tail = [np.arange(len(positions))]
    else:  # browse: "relevance" = data quality, then name
        tail = [_desc_nulls_last(cols.quality[positions]), cols.name_rank[positions]]
    if sort == "relevance":
        return tail
    if sort == "score":
        if score is None:
            raise ValueError("sort = 'score' needs the program scores")
        return [_desc_nulls_last(score[positions]), *tail]
    if sort == "commission":
        return [_desc_nulls_last(cols.commission_percent[positions]),
                _desc_nulls_last(cols.commission_flat[positions]), *tail]
    return [_desc_nulls_last(getattr(cols, sort)[positions]), *tail]


def order(cols: ColumnCache, positions: np.ndarray, sort: str, ranked: bool, top: int | None = None,
          score: np.ndarray | None = None) -> np.ndarray:
    """Indices into `positions` in result order; only the first `top` are guaranteed sorted.

    Why the partition: a browse page needs 10 of maybe 100k rows; selecting the rows whose
    primary key can reach the top (np.partition) before the full multi-key sort makes it O(n).
    """
    n = len(positions)
    if ranked and sort == "relevance":
        return np.arange(n)
    keys = _sort_keys(cols, positions, sort, ranked, score)
    if top is not None and 0 < top < n // 4:
        cut = np.partition(keys[0], top - 1)[top - 1]
        cand = np.flatnonzero(keys[0] <= cut)
        sub = np.lexsort([k[cand] for k in reversed(keys)])
        return cand[sub]
    if top == 0:
        return np.zeros(0, dtype=np.int64)
    return np.lexsort(list(reversed(keys)))


def facet_counts(cols: ColumnCache, positions: np.ndarray, names: Sequence[str], cfg, now: dt.datetime | None,
                 scores: Any = None) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for name in names:
        if name == "network":
            out[name] = cols.networks.counts(positions)
        elif name == "country":
            out[name] = cols.countries.counts(positions)
        elif name in ("category", "commission_model", "approval"):
            out[name] = getattr(cols, name).counts(positions)
        elif name == "commission":
            out[name] = threshold_counts(cols.commission_percent, positions, cfg.facet_commission_thresholds)
        elif name == "cookie_days":
            out[name] = threshold_counts(cols.cookie_days, positions, cfg.facet_cookie_thresholds)
        elif name == "last_verified":
            age_days = (cols.now_s(now) - cols.last_verified) / _DAY_S
            sel = age_days[positions]
            known = sel[~np.isnan(sel)]
            counts = {f"<={d}d": int(np.count_nonzero(known <= d)) for d in cfg.facet_verified_days}
            if len(sel) - len(known):
                counts[UNKNOWN] = int(len(sel) - len(known))
            out[name] = counts
        elif name == "score" and scores is not None:
            out[name] = score_band_counts(scores.score[positions], scores.bands)
    return out


# --- the program score (matrix.score) over one snapshot -------------------------------------------
_SCORE_LOCK = threading.Lock()
_SCORE_TABLES_PER_SNAPSHOT = 8  # distinct weightings kept per version (LRU)


def program_scores(snap: Snapshot, score_cfg: Any, weights: str | dict[str, float] | None = None,
                   now: dt.datetime | None = None) -> Any:
    """The ScoreTable of every program of this snapshot, in column-cache order.

    Why at query time: category/model percentiles need the whole index; computing them here, once
    per (table version, weights, day) and held on the version's column cache, keeps ingest
    untouched and can never disagree with the pinned rows (measured in docs/score.md).
    """
    from matrix.score import parse_weights, score_programs
    from matrix.score.model import inputs_from_arrow

    w = parse_weights(weights, base=parse_weights(score_cfg.weights))
    now = now or dt.datetime.now(dt.timezone.utc)
    key = (tuple(sorted(w.items())), now.date().isoformat() if now.tzinfo else now.isoformat()[:10])
    cols = snap.columns
    with _SCORE_LOCK:
        tables = cols.__dict__.setdefault("_score_tables", {})
        if key in tables:
            tables[key] = tables.pop(key)  # most recently used last
            return tables[key]
        inputs = cols.__dict__.get("_score_inputs")
        if inputs is None:
            inputs = cols.__dict__["_score_inputs"] = inputs_from_arrow(snap.dataset.to_table(columns=SCORE_COLUMNS))
        table = score_programs(inputs, score_cfg, weights=w, now=now)
        table.bands = list(score_cfg.bands)
        tables[key] = table
        while len(tables) > _SCORE_TABLES_PER_SNAPSHOT:
            tables.pop(next(iter(tables)))
        return table


def score_band_counts(values: np.ndarray, edges: Sequence[float]) -> dict[str, int]:
    """Counts per score band ("0-20", "20-40", ... "80-100"); NaN (nothing known) under unknown."""
    bounds = [0.0, *sorted(float(e) for e in edges), 100.0]
    known = values[~np.isnan(values)]
    out: dict[str, int] = {}
    for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
        inside = (known >= lo) & ((known < hi) if hi < 100.0 else (known <= hi))
        out[f"{_fmt_band(lo)}-{_fmt_band(hi)}"] = int(np.count_nonzero(inside))
    if len(values) - len(known):
        out[UNKNOWN] = int(len(values) - len(known))
    return out


def _fmt_band(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def attach_scores(hits: list[dict[str, Any]], positions: np.ndarray, table: Any) -> None:
    """Every hit carries its program score, confidence, top reasons and components."""
    for hit, pos in zip(hits, positions, strict=True):
        info = table.explain(int(pos))
        hit["program_score"] = info["score"]
        hit["score_confidence"] = info["confidence"]
        hit["score_reasons"] = info["reasons"]
        hit["score_unknown"] = info["unknown"]
        hit["score_components"] = {k: v["value"] for k, v in info["components"].items()}


def fetch_hits(snap: Snapshot, positions: np.ndarray, scores: np.ndarray | None) -> list[dict[str, Any]]:
    if len(positions) == 0:
        return []
    rows = snap.dataset.take([int(p) for p in positions], columns=HIT_COLUMNS).to_pylist()
    by_id = {r["program_id"]: r for r in rows}
    hits = []
    for i, pos in enumerate(positions):
        row = dict(by_id[snap.columns.program_ids[pos]])
        row["score"] = None if scores is None else float(scores[i])
        hits.append(row)
    return hits


def _empty(req: SearchRequest, snap: Snapshot | None, t0: float) -> SearchResult:
    return SearchResult(hits=[], total=0, facets={name: {} for name in req.facets},
                        version=None if snap is None else snap.version,
                        took_ms=(time.perf_counter() - t0) * 1000, mode=req.mode)


def _no_embedder(q: str) -> Sequence[float]:
    raise ValueError("this search needs an embed_query function (the index never loads a model)")


def search(index: MasterIndex, req: SearchRequest, embed_query: Callable[[str], Sequence[float]] | None = None,
           now: dt.datetime | None = None) -> SearchResult:
    """Run one search against a consistent snapshot (the latest version unless `req.version`)."""
    t0 = time.perf_counter()
    status = "ok"
    try:
        validate(req)
        q = (req.q or "").strip()
        if q and req.mode in ("vector", "hybrid") and embed_query is None:
            raise ValueError(f"mode = {req.mode!r} needs an embed_query function (the index never loads a model)")
        embed = embed_query or _no_embedder  # (text mode never embeds)
        if not index.has_table(index.programs_name):
            return _empty(req, None, t0)
        snap = index.snapshot(req.version)
        if snap.rows == 0:
            return _empty(req, snap, t0)
        cfg = index.settings.index
        cols = snap.columns
        where = build_where(req.filters)
        exact = True
        if not q:
            positions = np.flatnonzero(filter_mask(cols, req.filters))
            scores = None
        else:
            if req.mode == "text":
                ids, scores = _text_candidates(snap, q, where, cfg.text_candidates)
                exact = len(ids) < cfg.text_candidates
            elif req.mode == "vector":
                ids, scores = _vector_candidates(snap, embed(q), where, cfg.vector_candidates,
                                                 cfg.vector_nprobes, cfg.vector_refine_candidates)
            else:
                vec = embed(q)
                # Both retrievals run inside Lance (GIL released): overlap them.
                fut = _pool().submit(_vector_candidates, snap, vec, where, cfg.hybrid_candidates,
                                     cfg.vector_nprobes, cfg.vector_refine_candidates)
                t_ids, _ = _text_candidates(snap, q, where, cfg.hybrid_candidates)
                v_ids, _ = fut.result()
                ids, scores = rrf([t_ids, v_ids], cfg.rrf_k)
            positions = cols.positions(ids)
        table = program_scores(snap, index.settings.score, req.weights, now)
        if req.filters.min_score is not None:  # the score is not a stored column: filtered here, exactly
            with np.errstate(invalid="ignore"):
                keep = table.score[positions] >= float(req.filters.min_score)
            positions = positions[keep]
            scores = None if scores is None else scores[keep]
        idx = order(cols, positions, req.sort, ranked=bool(q), top=req.offset + req.limit, score=table.score)
        page = idx[req.offset: req.offset + req.limit]
        hits = fetch_hits(snap, positions[page], None if scores is None else scores[page])
        attach_scores(hits, positions[page], table)
        facets = facet_counts(cols, positions, req.facets, cfg, now, scores=table)
        return SearchResult(hits=hits, total=int(len(positions)), facets=facets, version=snap.version,
                            took_ms=(time.perf_counter() - t0) * 1000, mode=req.mode, total_exact=exact)
    except Exception:
        status = "error"
        raise
    finally:
        SEARCH_REQUESTS.labels(req.mode if req.mode in MODES else "invalid", status).inc()
        SEARCH_LATENCY.labels(req.mode if req.mode in MODES else "invalid").observe(time.perf_counter() - t0)

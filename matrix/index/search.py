"""The library-level search API used by the CLI, notebooks and the Serve app.

`search(index, request)` -> `SearchResult(hits, total, facets, version)`. Modes: text (native
full-text), vector (query embedding; the caller injects `embed_query` so the index layer never
loads a model itself), hybrid (both, fused with reciprocal-rank fusion).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Literal, Sequence

from matrix.index.store import MasterIndex
from matrix.observability import SEARCH_LATENCY, SEARCH_REQUESTS

Mode = Literal["text", "vector", "hybrid"]
SortKey = Literal["relevance", "commission", "cookie_days", "epc", "last_verified"]
HIT_COLUMNS = [
    "program_id", "name", "aliases", "merchant_domain", "url", "networks", "category", "categories",
    "commission", "commission_model", "commission_percent", "commission_flat", "cookie_days",
    "geo_allowed", "approval", "epc", "last_verified", "description", "sources", "quality",
]


@dataclass
class SearchFilters:
    networks: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    commission_models: list[str] = field(default_factory=list)
    min_commission_percent: float | None = None
    min_cookie_days: float | None = None
    countries: list[str] = field(default_factory=list)
    approval: list[str] = field(default_factory=list)
    verified_since: str | None = None  # ISO date


@dataclass
class SearchRequest:
    q: str = ""
    mode: Mode = "text"
    filters: SearchFilters = field(default_factory=SearchFilters)
    facets: list[str] = field(default_factory=list)
    sort: SortKey = "relevance"
    offset: int = 0
    limit: int = 10


@dataclass
class SearchResult:
    hits: list[dict[str, Any]]
    total: int
    facets: dict[str, dict[str, int]]
    version: int | None
    took_ms: float
    mode: str = "text"


def _q(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def build_where(f: SearchFilters) -> str | None:
    parts: list[str] = []
    if f.networks:
        parts.append("array_has_any(networks, make_array(" + ", ".join(_q(n) for n in f.networks) + "))")
    if f.categories:
        parts.append("category IN (" + ", ".join(_q(c) for c in f.categories) + ")")
    if f.commission_models:
        parts.append("commission_model IN (" + ", ".join(_q(c) for c in f.commission_models) + ")")
    if f.min_commission_percent is not None:
        parts.append(f"commission_percent >= {float(f.min_commission_percent)}")
    if f.min_cookie_days is not None:
        parts.append(f"cookie_days >= {float(f.min_cookie_days)}")
    if f.countries:
        parts.append("array_has_any(geo_allowed, make_array(" + ", ".join(_q(c.upper()) for c in f.countries) + "))")
    if f.approval:
        parts.append("approval IN (" + ", ".join(_q(a) for a in f.approval) + ")")
    if f.verified_since:
        parts.append(f"last_verified >= CAST({_q(f.verified_since)} AS TIMESTAMP)")
    return " AND ".join(parts) or None


def search(index: MasterIndex, req: SearchRequest, embed_query: Callable[[str], Sequence[float]] | None = None) -> SearchResult:
    """Foundation version: text mode over the native FTS index, filters, offset/limit, total."""
    t0 = time.perf_counter()
    status = "ok"
    try:
        tbl = index.programs
        where = build_where(req.filters)
        cap = max(tbl.count_rows(), 1)
        if req.q.strip():
            query = tbl.search(req.q, query_type="fts")
        else:
            query = tbl.search()
        if where:
            query = query.where(where, prefilter=True)
        rows = query.select(HIT_COLUMNS).limit(cap).to_list()
        total = len(rows)
        hits = rows[req.offset: req.offset + req.limit]
        for h in hits:
            h.pop("vector", None)
        return SearchResult(hits=hits, total=total, facets={}, version=tbl.version,
                            took_ms=(time.perf_counter() - t0) * 1000, mode=req.mode)
    except Exception:
        status = "error"
        raise
    finally:
        SEARCH_REQUESTS.labels(req.mode, status).inc()
        SEARCH_LATENCY.labels(req.mode).observe(time.perf_counter() - t0)

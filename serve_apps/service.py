"""The search service's logic, free of Ray: one object a Serve replica, a test or a benchmark holds.

Why separate from the deployments: everything here (cache keys with the index version, JSON
shaping, usage recording, health) can be tested and benchmarked in-process, and
the Serve layer stays a thin shell that adds batching, replicas and HTTP. The bench compares
exactly this object in-process against the same calls over HTTP.
"""

from __future__ import annotations

import datetime as dt
import enum
import math
import time
from dataclasses import asdict
from typing import Any, Callable, Sequence

import numpy as np

from matrix.cache import embedding_key, make_cache, result_key
from matrix.config import Settings
from matrix.faults import fault_point
from matrix.index import MasterIndex, SearchFilters, SearchRequest, search
from matrix.index.search import FACETS as INDEX_FACETS
from matrix.index.usage import UsageRecorder, filter_columns, usage_dir
from matrix.observability import get_logger

log = get_logger(__name__)

# The index layer names the facets it can count; the API offers exactly those.
FACETS: tuple[str, ...] = tuple(INDEX_FACETS)


def jsonable(value: Any) -> Any:
    """Make index rows JSON-safe: datetimes to ISO strings, numpy to Python, NaN/inf to None."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [jsonable(v) for v in value]
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


class IndexUnavailable(RuntimeError):
    """The index cannot be read (storage gone, table files missing or corrupt)."""


class SearchService:
    """Holds the index connection, caches, the embedder hook and the usage recorder for one process."""

    def __init__(self, settings: Settings, *, index: MasterIndex | None = None,
                 embed: Callable[[Sequence[str]], np.ndarray] | None = None,
                 usage: UsageRecorder | None = None) -> None:
        self.settings = settings
        cfg = settings.serve
        self.index = index or MasterIndex(settings, read_consistency_interval_s=cfg.read_consistency_interval_s)
        self._embed = embed
        self.results = make_cache("search_results", max_entries=cfg.cache_max_entries, ttl_s=cfg.cache_ttl_s,
                                  redis_url=cfg.redis_url)
        self.embeddings = make_cache("query_embeddings", max_entries=cfg.embed_cache_entries,
                                     ttl_s=max(cfg.cache_ttl_s, 3600.0), redis_url=cfg.redis_url)
        self.usage = usage or UsageRecorder(usage_dir(settings), flush_every_s=cfg.usage_flush_s)
        self._tbl: Any = None  # a lancedb Table once the index has one

    # -- index access ------------------------------------------------------------------------
    def _table(self):
        """A held table handle: its `version` refreshes per read_consistency_interval, cheaply."""
        if self._tbl is None:
            name = self.index.programs_name
            if not self.index.has_table(name):
                return None
            self._tbl = self.index.db.open_table(name)
        return self._tbl

    def version(self) -> int | None:
        tbl = self._table()
        return None if tbl is None else tbl.version

    def check_health(self) -> dict[str, Any]:
        """Raise IndexUnavailable when the index cannot be read; an index not yet built is healthy but empty."""
        try:
            names = self.index._table_names()
            if self.index.programs_name not in names:
                return {"status": "empty", "rows": 0, "version": None,
                        "detail": "no programs table yet; run `matrix ingest`"}
            tbl = self.index.db.open_table(self.index.programs_name)
            rows = tbl.count_rows()
            tbl.search().select(["program_id"]).limit(1).to_list()  # touches data files, not only the manifest
            return {"status": "ok", "rows": rows, "version": tbl.version}
        except Exception as exc:
            self._tbl = None
            # the full reason (with the index location) goes to the log; the public answer names no path
            log.warning("index unreadable", extra={"uri": str(self.index.uri), "error": f"{type(exc).__name__}: {exc}"})
            raise IndexUnavailable(f"index is unreadable: {type(exc).__name__}") from exc

    # -- embeddings --------------------------------------------------------------------------
    def embed_cached(self, text: str) -> list[float] | None:
        return self.embeddings.get(embedding_key(self.settings.embed.model, text))

    def remember_embedding(self, text: str, vector: Sequence[float]) -> None:
        self.embeddings.set(embedding_key(self.settings.embed.model, text), [float(x) for x in vector])

    def embed_query(self, text: str) -> list[float]:
        """Cached query embedding; loads the model lazily (text-only services never pay for it)."""
        cached = self.embed_cached(text)
        if cached is not None:
            return cached
        if self._embed is None:
            from matrix.embed import Embedder

            emb = Embedder(self.settings.embed.model, self.settings.embed.device, self.settings.embed.batch_size)
            self._embed = emb.embed
        vec = [float(x) for x in np.asarray(self._embed([text]))[0]]
        self.remember_embedding(text, vec)
        return vec

    # -- search ------------------------------------------------------------------------------
    def cached(self, req: SearchRequest) -> dict[str, Any] | None:
        """The cached answer for this request on the current index version, if any (no index work)."""
        t0 = time.perf_counter()
        hit = self.results.get(result_key(self.version(), _request_params(req)))
        if hit is None:
            return None
        return {**hit, "cached": True, "took_ms": round((time.perf_counter() - t0) * 1000, 3)}

    def search(self, req: SearchRequest, vector: Sequence[float] | None = None, *, lookup: bool = True) -> dict[str, Any]:
        """One search, served from the result cache when this exact request ran on this index version.

        `lookup=False` when the caller already asked `cached()` (the Serve replica does, before
        embedding the query), so one request counts one miss.
        """
        fault_point("serve:search")  # chaos/alert tests only (matrix.faults); one dict lookup otherwise
        t0 = time.perf_counter()
        version = self.version()
        key = result_key(version, _request_params(req))
        cached = self.results.get(key) if lookup else None
        if cached is not None:
            return {**cached, "cached": True, "took_ms": round((time.perf_counter() - t0) * 1000, 3)}
        if version is None:  # nothing ingested yet: an empty answer, not an error
            out = {"hits": [], "total": 0, "facets": {f: {} for f in req.facets}, "version": None, "mode": req.mode}
        else:
            needs_vec = req.mode in ("vector", "hybrid") and req.q.strip()
            embed = None
            if needs_vec:
                vec = list(vector) if vector is not None else self.embed_query(req.q)
                embed = lambda _q, _v=vec: _v  # noqa: E731
            res = search(self.index, req, embed_query=embed)
            out = {"hits": jsonable(res.hits), "total": int(res.total), "facets": jsonable(res.facets),
                   "version": res.version if res.version is not None else version, "mode": res.mode}
        took = (time.perf_counter() - t0) * 1000
        self.usage.record(req.mode, filter_columns(req.filters), req.sort, took)
        out["offset"], out["limit"] = req.offset, req.limit
        self.results.set(key, out)
        return {**out, "cached": False, "took_ms": round(took, 3)}

    def facets(self) -> dict[str, Any]:
        res = self.search(SearchRequest(q="", facets=list(FACETS), limit=0))
        return {"facets": res["facets"], "total": res["total"], "version": res["version"]}

    # -- records -----------------------------------------------------------------------------
    def program(self, program_id: str) -> dict[str, Any] | None:
        prog = self.index.get_program(program_id)
        if prog is None:
            return None
        listings = self.index.listings_for(prog.listing_keys)
        data = prog.model_dump(mode="json")
        provenance = data.pop("provenance", {})
        return {
            "program": data,
            "provenance": provenance,
            "listings": [lst.model_dump(mode="json") for lst in listings],
            "version": self.version(),
        }

    def stats(self) -> dict[str, Any]:
        try:
            idx = self._public(jsonable(self.index.stats()))
        except Exception as exc:
            log.warning("index stats failed", extra={"error": f"{type(exc).__name__}: {exc}"})
            idx = {"error": type(exc).__name__}
        return {"index": idx, "version": self.version(),
                "cache": {"results": self.results.stats(), "embeddings": self.embeddings.stats()},
                "usage": {"queries_recorded": self.usage.summary().total_queries}}

    def _public(self, value: Any) -> Any:
        """Stats as the public may see them: no index location, no string naming a local path."""
        private = [str(p) for p in (self.settings.home, self.index.uri) if p]
        if isinstance(value, dict):
            return {k: self._public(v) for k, v in value.items() if k not in ("uri", "path", "home")}
        if isinstance(value, list):
            return [self._public(v) for v in value]
        if isinstance(value, str) and (any(p in value for p in private) or value.startswith(("/", "file:"))):
            return "<local path>"
        return value

    def optimize(self, dry_run: bool = False) -> dict[str, Any]:
        from matrix.index.optimizer import optimize_index

        self.usage.flush()
        report = optimize_index(self.settings, dry_run=dry_run, index=self.index)
        self._tbl = None
        return jsonable(report.to_dict())


def _request_params(req: SearchRequest) -> dict[str, Any]:
    """A canonical dict of everything that shapes a search answer (for cache keys)."""
    f = asdict(req.filters)
    for k, v in f.items():
        if isinstance(v, list):
            f[k] = sorted(v)
    return {"q": " ".join(req.q.split()), "mode": req.mode, "filters": f, "facets": sorted(req.facets),
            "sort": req.sort, "offset": req.offset, "limit": req.limit,
            "weights": _weights_key(req.weights)}


def _weights_key(weights: Any) -> Any:
    """Score weights in a canonical form for the cache key (None = the configured defaults)."""
    if not weights:
        return None
    from matrix.score import parse_weights

    return sorted(parse_weights(weights).items())


def build_request(*, q: str = "", mode: str = "text", network: list[str] | None = None,
                  category: list[str] | None = None, commission_model: list[str] | None = None,
                  min_commission: float | None = None, cookie_days: float | None = None,
                  country: list[str] | None = None, approval: list[str] | None = None,
                  verified_since: dt.date | str | None = None, facets: list[str] | None = None,
                  sort: str = "relevance", offset: int = 0, limit: int = 10) -> SearchRequest:
    """HTTP-shaped parameters -> the index's SearchRequest (names as in the API)."""
    return SearchRequest(
        q=q or "",
        mode=mode,  # type: ignore[arg-type]
        filters=SearchFilters(
            networks=list(network or []), categories=list(category or []),
            commission_models=list(commission_model or []), min_commission_percent=min_commission,
            min_cookie_days=cookie_days, countries=[c.upper() for c in country or []],
            approval=list(approval or []),
            verified_since=verified_since.isoformat() if isinstance(verified_since, dt.date) else verified_since,
        ),
        facets=list(facets or []), sort=sort, offset=offset, limit=limit,  # type: ignore[arg-type]
    )

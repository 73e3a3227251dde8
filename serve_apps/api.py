"""The HTTP API and web page: one FastAPI app, built from settings, talking to a search backend.

Why a factory over an abstract backend: the Serve ingress passes a backend that forwards to the
Searcher deployment's handle; tests and the benchmark pass one that calls `SearchService`
in-process. Same routes, same validation, same limits either way. Limits (page size, query
length) come from settings, so they are built into the app (and its OpenAPI) at replica start.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any, Literal, Protocol

from fastapi import Depends, FastAPI, HTTPException, Path as PathParam, Query, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, JSONResponse, PlainTextResponse
from fastapi.staticfiles import StaticFiles

from matrix.config import Settings
from matrix.index import SearchRequest
from matrix.observability import counter, get_logger
from serve_apps.security import AUTH_FAILURES, ClientRateLimiter, KeyVerifier
from serve_apps.service import FACETS, SearchService, build_request

log = get_logger(__name__)
STATIC_DIR = Path(__file__).resolve().parent / "static"
HTTP_REQUESTS = counter("matrix_http_requests_total", "HTTP requests by route and status", ["route", "status"])
API_KEY_HEADER = "X-API-Key"

Mode = Literal["text", "vector", "hybrid"]
Sort = Literal["relevance", "commission", "cookie_days", "epc", "last_verified"]
CommissionModelParam = Literal["percent", "flat", "hybrid", "unknown"]
ApprovalParam = Literal["auto", "manual", "invite", "unknown"]
MAX_FILTER_VALUES = 20
MAX_FILTER_LENGTH = 100


class Backend(Protocol):
    async def search(self, req: SearchRequest) -> dict[str, Any]: ...
    async def program(self, program_id: str) -> dict[str, Any] | None: ...
    async def facets(self) -> dict[str, Any]: ...
    async def stats(self) -> dict[str, Any]: ...
    async def health(self) -> dict[str, Any]: ...
    async def optimize(self, dry_run: bool) -> dict[str, Any]: ...
    async def metrics(self) -> str | None: ...


class LocalBackend:
    """In-process backend over a SearchService (tests, benchmark, single-process use)."""

    def __init__(self, service: SearchService) -> None:
        self.service = service

    async def search(self, req: SearchRequest) -> dict[str, Any]:
        return await asyncio.to_thread(self.service.search, req)

    async def program(self, program_id: str) -> dict[str, Any] | None:
        return await asyncio.to_thread(self.service.program, program_id)

    async def facets(self) -> dict[str, Any]:
        return await asyncio.to_thread(self.service.facets)

    async def stats(self) -> dict[str, Any]:
        return await asyncio.to_thread(self.service.stats)

    async def health(self) -> dict[str, Any]:
        try:
            return await asyncio.to_thread(self.service.check_health)
        except Exception as exc:
            return {"status": "unavailable", "detail": str(exc)}

    async def optimize(self, dry_run: bool) -> dict[str, Any]:
        return await asyncio.to_thread(self.service.optimize, dry_run)

    async def metrics(self) -> str | None:
        return None  # same process: the app exports its own registry


def _json_default(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()  # the same form FastAPI's encoder writes
    if hasattr(value, "tolist"):  # numpy scalars and arrays
        return value.tolist()
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


class FastJSON(JSONResponse):
    """JSONResponse that encodes with json.dumps (datetimes as ISO 8601) instead of walking the
    payload through jsonable_encoder first."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, default=_json_default, ensure_ascii=False, separators=(",", ":")).encode()


def _invalid(name: str, msg: str) -> HTTPException:
    return HTTPException(status_code=422, detail=[{"loc": ["query", name], "msg": msg, "type": "value_error"}])


def _clean_text(name: str, value: str | None, max_len: int) -> str:
    value = value or ""
    if len(value) > max_len:
        raise _invalid(name, f"at most {max_len} characters (got {len(value)})")
    if any(ord(c) < 32 or 0xD800 <= ord(c) <= 0xDFFF for c in value):
        raise _invalid(name, "must not contain control characters")
    return value


def _clean_list(name: str, values: list[str] | None) -> list[str]:
    values = [v.strip() for v in (values or []) if v is not None and v.strip()]
    if len(values) > MAX_FILTER_VALUES:
        raise _invalid(name, f"at most {MAX_FILTER_VALUES} values")
    for v in values:
        _clean_text(name, v, MAX_FILTER_LENGTH)
    return values


def _parse_facets(raw: str | None) -> list[str]:
    if raw is None:
        return list(FACETS)
    names = [f.strip() for f in raw.split(",") if f.strip()]
    if names == ["none"]:
        return []
    bad = [f for f in names if f not in FACETS]
    if bad:
        raise _invalid("facets", f"unknown facet(s) {bad}; allowed: {list(FACETS)} or 'none'")
    return names


def create_app(settings: Settings, backend: Backend, verifier: KeyVerifier) -> FastAPI:
    cfg = settings.serve
    app = FastAPI(
        title="Affiliate Matrix search",
        version="1",
        description="Faceted search over the master index of affiliate programs.",
    )
    app.add_middleware(CORSMiddleware, allow_origins=list(cfg.cors_origins), allow_methods=["GET", "POST"],
                       allow_headers=[API_KEY_HEADER, "Content-Type"], allow_credentials=False)
    limiter = ClientRateLimiter(cfg.rate_limit_per_minute)

    def client_id(request: Request) -> str:
        key = request.headers.get(API_KEY_HEADER)
        if key:
            return "key:" + hashlib.sha256(key.encode()).hexdigest()[:16]
        return "ip:" + (request.client.host if request.client else "unknown")

    async def rate_limited(request: Request) -> None:
        allowed, wait = limiter.allow(client_id(request))
        if not allowed:
            raise HTTPException(429, detail=f"rate limit of {cfg.rate_limit_per_minute} requests/minute exceeded",
                                headers={"Retry-After": str(max(1, int(wait + 0.999)))})

    async def _verify(ref: str, presented: str | None) -> bool:
        return await asyncio.to_thread(verifier.verify, ref, presented)

    async def search_access(request: Request) -> None:
        await rate_limited(request)
        if cfg.public_search:
            return
        presented = request.headers.get(API_KEY_HEADER)
        if not (await _verify(cfg.search_key_ref, presented) or await _verify(cfg.admin_key_ref, presented)):
            AUTH_FAILURES.labels("search").inc()
            raise HTTPException(401, detail=f"search requires a valid {API_KEY_HEADER} header",
                                headers={"WWW-Authenticate": API_KEY_HEADER})

    async def admin_access(request: Request) -> None:
        await rate_limited(request)
        if not await _verify(cfg.admin_key_ref, request.headers.get(API_KEY_HEADER)):
            AUTH_FAILURES.labels("admin").inc()
            raise HTTPException(401, detail=f"admin endpoints require a valid {API_KEY_HEADER} header",
                                headers={"WWW-Authenticate": API_KEY_HEADER})

    @app.middleware("http")
    async def count_requests(request: Request, call_next):
        response = await call_next(request)
        route = request.scope.get("route")
        HTTP_REQUESTS.labels(getattr(route, "path", "other"), str(response.status_code)).inc()
        return response

    @app.get("/", include_in_schema=False)
    async def page() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html", media_type="text/html")

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/search", dependencies=[Depends(search_access)],
             responses={401: {"description": "API key required"}, 429: {"description": "rate limited"},
                        503: {"description": "overloaded or index unavailable"}})
    async def search_route(
        q: str = Query("", max_length=cfg.max_query_length, description="free text; empty lists everything"),
        mode: Mode = Query("text", description="text (full-text), vector (semantic) or hybrid (both, fused)"),
        network: list[str] | None = Query(None, description="any of these networks"),
        category: list[str] | None = Query(None),
        commission_model: list[CommissionModelParam] | None = Query(None),
        min_commission: float | None = Query(None, ge=0, le=1000, description="minimum commission percent"),
        cookie_days: float | None = Query(None, ge=0, le=36500, description="minimum cookie days"),
        country: list[str] | None = Query(None, description="ISO 3166-1 alpha-2 codes, any of"),
        approval: list[ApprovalParam] | None = Query(None),
        verified_since: dt.date | None = Query(None, description="last verified on or after (YYYY-MM-DD)"),
        facets: str | None = Query(None, max_length=200, description=f"comma-separated subset of {list(FACETS)}, or 'none'"),
        sort: Sort = Query("relevance"),
        offset: int = Query(0, ge=0, le=cfg.max_offset),
        limit: int = Query(10, ge=1, le=cfg.max_page_size),
    ) -> dict[str, Any]:
        q = _clean_text("q", q, cfg.max_query_length)
        countries = _clean_list("country", country)
        for c in countries:
            if len(c) != 2 or not c.isascii() or not c.isalpha():
                raise _invalid("country", f"{c!r} is not an ISO 3166-1 alpha-2 code")
        if verified_since is not None and not (dt.date(1970, 1, 1) <= verified_since <= dt.date(2200, 1, 1)):
            raise _invalid("verified_since", "must be between 1970-01-01 and 2200-01-01")
        if mode != "text" and not q.strip():
            mode = "text"  # nothing to embed: a vector search without a query is a plain listing
        req = build_request(q=q, mode=mode, network=_clean_list("network", network),
                            category=_clean_list("category", category),
                            commission_model=list(commission_model or []), min_commission=min_commission,
                            cookie_days=cookie_days, country=countries, approval=list(approval or []),
                            verified_since=verified_since, facets=_parse_facets(facets), sort=sort,
                            offset=offset, limit=limit)
        try:
            # serialized directly: FastAPI's generic jsonable_encoder walk over every hit costs
            # more than the search itself on a warm cache
            return FastJSON(await backend.search(req))
        except ValueError as exc:  # the index layer's own validation: still the caller's mistake
            raise HTTPException(422, detail=[{"loc": ["query"], "msg": str(exc).splitlines()[-1][:300],
                                              "type": "value_error"}]) from None

    @app.get("/programs/{program_id}", dependencies=[Depends(search_access)],
             responses={404: {"description": "unknown program id"}})
    async def program_route(program_id: str = PathParam(..., min_length=1, max_length=200)) -> dict[str, Any]:
        program_id = _clean_text("program_id", program_id, 200)
        rec = await backend.program(program_id)
        if rec is None:
            raise HTTPException(404, detail=f"no program with id {program_id!r}")
        return rec

    @app.get("/facets", dependencies=[Depends(search_access)])
    async def facets_route() -> dict[str, Any]:
        return await backend.facets()

    @app.get("/stats", dependencies=[Depends(search_access)])
    async def stats_route() -> dict[str, Any]:
        return await backend.stats()

    @app.get("/healthz", responses={503: {"description": "index unreadable"}})
    async def healthz() -> JSONResponse:
        h = await backend.health()
        return JSONResponse(h, status_code=503 if h.get("status") == "unavailable" else 200)

    @app.get("/metrics", response_class=PlainTextResponse, dependencies=[Depends(rate_limited)])
    async def metrics() -> str:
        from prometheus_client import generate_latest

        remote = await backend.metrics()  # in Serve: the Searcher replica's search/cache metrics
        return remote if remote is not None else generate_latest().decode()

    @app.post("/admin/optimize", dependencies=[Depends(admin_access)],
              responses={401: {"description": "admin API key required"}})
    async def admin_optimize(dry_run: bool = Query(False, description="plan only; change nothing")) -> dict[str, Any]:
        try:
            return await backend.optimize(dry_run)
        except FileNotFoundError as exc:
            raise HTTPException(409, detail=str(exc)) from None

    return app

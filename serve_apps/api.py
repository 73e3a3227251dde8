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

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request, Response
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, JSONResponse, PlainTextResponse
from fastapi.staticfiles import StaticFiles

from matrix.config import ServeSettings, Settings
from matrix.index import SearchRequest
from matrix.observability import counter, get_logger
from serve_apps.security import (
    AUTH_FAILURES,
    SHED,
    AdmissionGate,
    AuthFailureGuard,
    ClientAddress,
    ClientRateLimiter,
    KeyVerifier,
    ServiceUnavailable,
)
from serve_apps.service import FACETS, SearchService, build_request

log = get_logger(__name__)
STATIC_DIR = Path(__file__).resolve().parent / "static"
HTTP_REQUESTS = counter("matrix_http_requests_total", "HTTP requests by route and status", ["route", "status"])
API_KEY_HEADER = "X-API-Key"

Mode = Literal["text", "vector", "hybrid"]
Sort = Literal["relevance", "commission", "cookie_days", "epc", "last_verified", "score"]
CommissionModelParam = Literal["percent", "flat", "hybrid", "unknown"]
ApprovalParam = Literal["auto", "manual", "invite", "unknown"]
MAX_FILTER_VALUES = 20
MAX_FILTER_LENGTH = 100
ECHO_CHARS = 40  # error bodies quote at most this much of what the client sent


def excerpt(value: Any, n: int = ECHO_CHARS) -> str:
    """A short, printable quote of client input for error messages (never the whole of it)."""
    text = value if isinstance(value, str) else repr(value)
    text = "".join(c if c.isprintable() else "?" for c in text[: n + 1])
    return text if len(text) <= n else text[:n] + "…"


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
    return HTTPException(status_code=422, detail=[{"loc": ["query", name], "msg": excerpt(msg, 200), "type": "value_error"}])


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


class Gatekeeper:
    """Who may call, how often, and how a backend call is bounded: the routes' shared dependencies.

    One per app (its limiters hold per-client state). `search_access` / `admin_access` are FastAPI
    dependencies: a valid key (search or admin) names the caller, otherwise its address does;
    both are rate limited, and wrong keys spend a small per-address budget of their own.
    """

    def __init__(self, cfg: ServeSettings, verifier: KeyVerifier) -> None:
        self.cfg = cfg
        self.verifier = verifier
        self.limiter = ClientRateLimiter(cfg.rate_limit_per_minute)
        self.key_failures = AuthFailureGuard(cfg.auth_failures_per_minute)
        self.addresses = ClientAddress(cfg.trusted_proxies)
        self.gate = AdmissionGate(cfg.admission_concurrency, cfg.admission_wait_s, cfg.admission_max_waiting,
                                  cfg.retry_after_s)

    def client_address(self, request: Request) -> str:
        """The peer (X-Forwarded-For only from `serve.trusted_proxies`): what limits are keyed on."""
        peer = request.client.host if request.client else None
        return self.addresses.resolve(peer, request.headers.getlist("x-forwarded-for"))

    def rate_limited_as(self, identity: str) -> None:
        allowed, wait = self.limiter.allow(identity)
        if not allowed:
            raise HTTPException(429, detail=f"rate limit of {self.cfg.rate_limit_per_minute} requests/minute exceeded",
                                headers={"Retry-After": str(max(1, int(wait + 0.999)))})

    async def authenticated(self, request: Request, refs: list[str], scope: str) -> str | None:
        """The caller's identity for limits: `key:<hash>` once a presented key verified, else `ip:<addr>`.

        A presented key that does not verify is a failed attempt of this address (its own small
        budget; when spent, 429 without even checking). None when no key was presented.
        """
        address = self.client_address(request)
        presented = request.headers.get(API_KEY_HEADER)
        if not presented:
            return None
        wait = self.key_failures.blocked(address)
        if wait > 0:
            raise HTTPException(429, detail="too many wrong API keys from this address",
                                headers={"Retry-After": str(max(1, int(wait + 0.999)))})
        for ref in refs:
            if await asyncio.to_thread(self.verifier.verify, ref, presented):
                return "key:" + hashlib.sha256(presented.encode()).hexdigest()[:16]
        self.key_failures.failed(address, scope)
        raise HTTPException(401, detail=f"the {API_KEY_HEADER} header does not hold a valid key",
                            headers={"WWW-Authenticate": API_KEY_HEADER})

    async def search_access(self, request: Request) -> None:
        cfg = self.cfg
        identity = await self.authenticated(request, [cfg.search_key_ref, cfg.admin_key_ref], "search")
        self.rate_limited_as(identity or "ip:" + self.client_address(request))
        if identity is None and not cfg.public_search:
            AUTH_FAILURES.labels("search").inc()
            raise HTTPException(401, detail=f"search requires a valid {API_KEY_HEADER} header",
                                headers={"WWW-Authenticate": API_KEY_HEADER})

    async def admin_access(self, request: Request) -> None:
        identity = await self.authenticated(request, [self.cfg.admin_key_ref], "admin")
        self.rate_limited_as(identity or "ip:" + self.client_address(request))
        if identity is None:
            AUTH_FAILURES.labels("admin").inc()
            raise HTTPException(401, detail=f"admin endpoints require a valid {API_KEY_HEADER} header",
                                headers={"WWW-Authenticate": API_KEY_HEADER})

    async def guarded(self, call: Any, *args: Any) -> Any:
        """A backend call under the admission gate and a deadline: overload answers 503, never a queue."""
        async with self.gate.slot():
            try:
                return await asyncio.wait_for(call(*args), self.cfg.backend_timeout_s)
            except asyncio.TimeoutError:
                SHED.labels("deadline").inc()
                raise ServiceUnavailable(f"no answer within {self.cfg.backend_timeout_s:g} s") from None


def _install_error_handlers(app: FastAPI, gatekeeper: Gatekeeper) -> None:
    @app.exception_handler(ServiceUnavailable)
    async def unavailable(request: Request, exc: ServiceUnavailable) -> JSONResponse:
        retry_after = gatekeeper.gate.retry_after_s()
        return JSONResponse({"detail": f"temporarily unavailable ({exc.reason}); retry after {retry_after} s"},
                            status_code=503, headers={"Retry-After": str(retry_after)})

    @app.exception_handler(RequestValidationError)
    async def short_validation_errors(request: Request, exc: RequestValidationError) -> JSONResponse:
        """FastAPI's default 422 echoes the whole input (a 15 kB query comes back): quote an excerpt."""
        detail = []
        for err in exc.errors()[:MAX_FILTER_VALUES]:
            item = {"loc": [str(x)[:MAX_FILTER_LENGTH] for x in err.get("loc", ())],
                    "msg": excerpt(err.get("msg", ""), 200), "type": str(err.get("type", ""))[:MAX_FILTER_LENGTH]}
            if isinstance(err.get("input"), (str, int, float, bool)):
                item["input"] = excerpt(err["input"])
            detail.append(item)
        return JSONResponse({"detail": detail}, status_code=422)

    @app.middleware("http")
    async def count_requests(request: Request, call_next):
        try:
            response = await call_next(request)
        except Exception:
            # an unhandled error becomes a 500 further out; count it, or the 5xx alert never fires
            HTTP_REQUESTS.labels(getattr(request.scope.get("route"), "path", "other"), "500").inc()
            raise
        route = request.scope.get("route")
        HTTP_REQUESTS.labels(getattr(route, "path", "other"), str(response.status_code)).inc()
        return response


def _search_request(cfg: ServeSettings, q: str, mode: str, countries: list[str], verified_since: dt.date | None,
                    **params: Any) -> SearchRequest:
    """The validated SearchRequest of GET /search (FastAPI checked types and bounds already)."""
    q = _clean_text("q", q, cfg.max_query_length)
    for c in countries:
        if len(c) != 2 or not c.isascii() or not c.isalpha():
            raise _invalid("country", f"{excerpt(c)!r} is not an ISO 3166-1 alpha-2 code")
    if verified_since is not None and not (dt.date(1970, 1, 1) <= verified_since <= dt.date(2200, 1, 1)):
        raise _invalid("verified_since", "must be between 1970-01-01 and 2200-01-01")
    if mode != "text" and not q.strip():
        mode = "text"  # nothing to embed: a vector search without a query is a plain listing
    return build_request(q=q, mode=mode, country=countries, verified_since=verified_since, **params)


def search_router(cfg: ServeSettings, backend: Backend, gatekeeper: Gatekeeper) -> APIRouter:
    """GET /search (limits such as page size and query length come from settings, into the OpenAPI too)."""
    router = APIRouter()

    @router.get("/search", response_model=dict[str, Any],
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
        weights: str | None = Query(None, max_length=300, description="program-score weights, e.g. earnings:2,cookie:1"),
        min_score: float | None = Query(None, ge=0, le=100, description="minimum program score (0-100)"),
    ) -> Response:
        req = _search_request(cfg, q, mode, _clean_list("country", country), verified_since,
                              network=_clean_list("network", network), category=_clean_list("category", category),
                              commission_model=list(commission_model or []), min_commission=min_commission,
                              cookie_days=cookie_days, approval=list(approval or []), facets=_parse_facets(facets),
                              sort=sort, offset=offset, limit=limit)
        req.weights, req.filters.min_score = weights or None, min_score  # program score (issue 16)
        try:
            # serialized directly: FastAPI's generic jsonable_encoder walk over every hit costs
            # more than the search itself on a warm cache
            return FastJSON(await gatekeeper.guarded(backend.search, req))
        except ValueError as exc:  # the index layer's own validation: still the caller's mistake
            raise HTTPException(422, detail=[{"loc": ["query"], "msg": excerpt(str(exc).splitlines()[-1], 200),
                                              "type": "value_error"}]) from None

    return router


def program_router(backend: Backend, gatekeeper: Gatekeeper) -> APIRouter:
    """GET /programs/{id}, /facets, /stats: index reads under the admission gate."""
    router = APIRouter()

    @router.get("/programs/{program_id}", responses={404: {"description": "unknown program id"}})
    async def program_route(program_id: str = PathParam(..., min_length=1, max_length=200)) -> dict[str, Any]:
        program_id = _clean_text("program_id", program_id, 200)
        rec = await gatekeeper.guarded(backend.program, program_id)
        if rec is None:
            raise HTTPException(404, detail=f"no program with id {excerpt(program_id)!r}")
        return rec

    @router.get("/facets")
    async def facets_route() -> dict[str, Any]:
        return await gatekeeper.guarded(backend.facets)

    @router.get("/stats")
    async def stats_route() -> dict[str, Any]:
        return await gatekeeper.guarded(backend.stats)

    return router


def operations_router(cfg: ServeSettings, backend: Backend, gatekeeper: Gatekeeper) -> APIRouter:
    """GET /healthz (never gated: a probe must answer under load) and GET /metrics (search access)."""
    router = APIRouter()

    @router.get("/healthz", responses={503: {"description": "index unreadable"}})
    async def healthz() -> JSONResponse:
        try:  # a probe is not gated (it must answer under load) but never hangs either
            h = await asyncio.wait_for(backend.health(), cfg.backend_timeout_s)
        except asyncio.TimeoutError:
            h = {"status": "unavailable", "detail": f"no answer within {cfg.backend_timeout_s:g} s"}
        return JSONResponse(h, status_code=503 if h.get("status") == "unavailable" else 200)

    @router.get("/metrics", response_class=PlainTextResponse, dependencies=[Depends(gatekeeper.search_access)])
    async def metrics() -> str:
        from prometheus_client import generate_latest

        remote = await gatekeeper.guarded(backend.metrics)  # in Serve: the Searcher replica's search/cache metrics
        return remote if remote is not None else generate_latest().decode()

    return router


def admin_router(cfg: ServeSettings, backend: Backend) -> APIRouter:
    """POST /admin/optimize: not gated and not held to backend_timeout_s (compaction may take minutes)."""
    router = APIRouter()

    @router.post("/admin/optimize", responses={401: {"description": "admin API key required"}})
    async def admin_optimize(dry_run: bool = Query(False, description="plan only; change nothing")) -> dict[str, Any]:
        try:
            return await asyncio.wait_for(backend.optimize(dry_run), cfg.request_timeout_s)
        except asyncio.TimeoutError:
            raise ServiceUnavailable(f"optimizer still running after {cfg.request_timeout_s:g} s") from None
        except FileNotFoundError as exc:
            raise HTTPException(409, detail=str(exc)) from None

    return router


def create_app(settings: Settings, backend: Backend, verifier: KeyVerifier) -> FastAPI:
    """The app: CORS, error handlers and request counting, then the routers with their access dependency."""
    from serve_apps.mcp_app import mcp_router  # MCP for agents at /mcp, same key check + rate limit (issue 16)
    from serve_apps.routes_compare import compare_router  # GET /compare (issue 16)
    from serve_apps.routes_history import history_router  # GET /programs/{id}/history (issue 15)

    cfg = settings.serve
    app = FastAPI(
        title="Affiliate Matrix search",
        version="1",
        description="Faceted search over the master index of affiliate programs.",
    )
    app.add_middleware(CORSMiddleware, allow_origins=list(cfg.cors_origins), allow_methods=["GET", "POST"],
                       allow_headers=[API_KEY_HEADER, "Content-Type"], allow_credentials=False)
    gatekeeper = Gatekeeper(cfg, verifier)
    _install_error_handlers(app, gatekeeper)

    @app.get("/", include_in_schema=False)
    async def page() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html", media_type="text/html")

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    search_only = [Depends(gatekeeper.search_access)]
    app.include_router(search_router(cfg, backend, gatekeeper), dependencies=search_only)
    app.include_router(program_router(backend, gatekeeper), dependencies=search_only)
    app.include_router(history_router(settings), dependencies=search_only)
    app.include_router(compare_router(settings), dependencies=search_only)
    app.include_router(mcp_router(settings, app, backend), dependencies=search_only)
    app.include_router(operations_router(cfg, backend, gatekeeper))
    app.include_router(admin_router(cfg, backend), dependencies=[Depends(gatekeeper.admin_access)])
    return app

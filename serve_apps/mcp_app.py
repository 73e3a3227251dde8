"""The MCP server (official `mcp` SDK, v2 `MCPServer`): the index as tools for AI agents (issue 16).

Tools: `search_programs`, `get_program` (provenance, listings, change history), `compare_programs`,
`list_facets`. Resources: `matrix://categories`, `matrix://networks` (JSON lists with counts).

Two ways to run it, one definition:
- stdio: `matrix mcp` -> `run_stdio(settings)`; searches run in-process (LocalBackend).
- streamable HTTP inside the Serve application: `mcp_router(settings, app, backend)` adds `/mcp`
  to the ingress FastAPI app. The route carries the search routes' dependency (API key, per-client
  rate limit), so an agent is held to exactly what an HTTP client is. The transport is stateless
  with JSON responses: any Ingress replica can answer any request (no session affinity needed).

Why tools call the `Backend` and not the index: in Serve that is the Searcher deployment (its
result cache and batched query embedder serve agents too); compare and history read the index
directly, like their HTTP routes.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any, Callable

from fastapi import APIRouter, Request
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError

from matrix.config import Settings

MAX_LIMIT = 50
SERVER_NAME = "affiliate-matrix"
# what one search hit carries for an agent (the full record is get_program's job)
HIT_FIELDS = ("program_id", "name", "merchant_domain", "url", "networks", "category", "commission_model",
              "commission_percent", "commission_flat", "cookie_days", "approval", "epc", "last_verified",
              "program_score", "score_confidence", "score_reasons", "score_unknown")


def _arg_error(name: str, message: str) -> ToolError:
    return ToolError(f"{name}: {message}")


def _strings(name: str, values: list[str] | str | None) -> list[str]:
    if values is None:
        return []
    if isinstance(values, str):
        values = [values]
    out = [v.strip() for v in values if isinstance(v, str) and v.strip()]
    if len(out) > 20 or any(len(v) > 100 for v in out):
        raise _arg_error(name, "at most 20 values of at most 100 characters")
    return out


def _check_search_args(settings: Settings, query: Any, sort: str, mode: str, limit: int, offset: int,
                       min_score: float | None) -> None:
    """search_programs' arguments within what the HTTP search route accepts (a ToolError names the argument)."""
    from matrix.index.search import MODES, SORTS

    if not isinstance(query, str) or len(query) > settings.serve.max_query_length:
        raise _arg_error("query", f"a string of at most {settings.serve.max_query_length} characters")
    if sort not in SORTS:
        raise _arg_error("sort", f"{sort!r} is not one of {', '.join(SORTS)}")
    if mode not in MODES:
        raise _arg_error("mode", f"{mode!r} is not one of {', '.join(MODES)}")
    if not 1 <= limit <= MAX_LIMIT:
        raise _arg_error("limit", f"{limit} is not between 1 and {MAX_LIMIT}")
    if not 0 <= offset <= settings.serve.max_offset:
        raise _arg_error("offset", f"{offset} is not between 0 and {settings.serve.max_offset}")
    if min_score is not None and not 0 <= min_score <= 100:
        raise _arg_error("min_score", f"{min_score} is not between 0 and 100")


def _countries(country: list[str] | str | None) -> list[str]:
    countries = _strings("country", country)
    bad = [c for c in countries if len(c) != 2 or not c.isalpha()]
    if bad:
        raise _arg_error("country", f"{bad[0]!r} is not an ISO 3166-1 alpha-2 code")
    return countries


def build_server(settings: Settings, backend: Any, get_index: Callable[[], Any]) -> MCPServer:
    """The MCP server over a search backend (serve_apps.api.Backend) and an index getter."""
    from serve_apps.service import build_request

    server = MCPServer(SERVER_NAME, title="Affiliate Matrix", log_level="WARNING",
                       instructions="Search affiliate programs, read one with its sources and history, "
                                    "compare up to four. Scores are 0-100 with a separate confidence.")

    @server.tool()
    async def search_programs(query: str = "", network: list[str] | None = None, category: list[str] | None = None,
                              commission_model: list[str] | None = None, min_commission: float | None = None,
                              min_cookie_days: float | None = None, country: list[str] | None = None,
                              min_score: float | None = None, sort: str = "score", mode: str = "hybrid",
                              weights: str | None = None, limit: int = 10, offset: int = 0) -> dict[str, Any]:
        """Search the master index of affiliate programs.

        query: free text (empty lists everything); network/category/commission_model/country: any of
        these values; min_commission: percent; sort: relevance, score, commission, cookie_days, epc,
        last_verified; mode: hybrid (default), text or vector; weights: score weights such as
        "earnings:2,cookie:1"; limit 1-50. Each hit has program_score (0-100), score_confidence and
        score_reasons.
        """
        _check_search_args(settings, query, sort, mode, limit, offset, min_score)
        countries = _countries(country)
        req = build_request(q=query, mode=mode if query.strip() else "text", network=_strings("network", network),
                            category=_strings("category", category),
                            commission_model=_strings("commission_model", commission_model),
                            min_commission=min_commission, cookie_days=min_cookie_days, country=countries,
                            facets=[], sort=sort, offset=offset, limit=limit)
        req.weights, req.filters.min_score = weights or None, min_score
        try:
            from matrix.index.search import validate

            validate(req)
            res = await backend.search(req)
        except ValueError as exc:  # the index layer names the field: "filters.x = ...", "weights: ..."
            raise ToolError(str(exc).splitlines()[-1]) from None
        hits = [{k: h.get(k) for k in HIT_FIELDS} for h in res["hits"]]
        return {"total": res["total"], "mode": res.get("mode"), "sort": sort, "version": res.get("version"),
                "hits": hits}

    @server.tool()
    async def get_program(program_id: str, history_limit: int = 20) -> dict[str, Any]:
        """One program: its canonical terms, where each field came from (provenance), the listings
        it was merged from, its score with reasons, and its change history when recorded."""
        if not isinstance(program_id, str) or not program_id.strip() or len(program_id) > 200:
            raise _arg_error("program_id", "a non-empty id of at most 200 characters")
        if not 0 <= history_limit <= 1000:
            raise _arg_error("history_limit", f"{history_limit} is not between 0 and 1000")
        rec = await backend.program(program_id)
        if rec is None:
            raise _arg_error("program_id", f"no program with id {program_id[:60]!r}")
        out = dict(rec)
        out["score"] = await asyncio.to_thread(_score_of, get_index(), settings, program_id)
        out["history"] = await asyncio.to_thread(_history, get_index(), program_id, history_limit) if history_limit else []
        return out

    @server.tool()
    async def compare_programs(program_ids: list[str], weights: str | None = None) -> dict[str, Any]:
        """2 to 4 programs side by side: each term with its source and age, `differs` marks rows
        whose values differ, score components side by side (`best` marks the leader)."""
        from matrix.score.compare import CompareError
        from matrix.score.compare import compare_programs as compare

        if not isinstance(program_ids, list):
            raise _arg_error("program_ids", "a list of 2 to 4 program ids")
        try:
            return await asyncio.to_thread(compare, get_index(), program_ids, weights)
        except CompareError as exc:
            arg = "program_ids" if exc.argument == "ids" else exc.argument
            raise _arg_error(arg, str(exc).split(": ", 1)[-1]) from None

    @server.tool()
    async def list_facets() -> dict[str, Any]:
        """Counts over the whole index per facet (network, category, commission model, score bands,
        ...): the values search_programs filters accept."""
        return await backend.facets()

    @server.resource("matrix://categories", name="categories", mime_type="application/json",
                     description="program categories with how many programs each has")
    async def categories() -> dict[str, Any]:
        return {"categories": (await backend.facets())["facets"].get("category", {})}

    @server.resource("matrix://networks", name="networks", mime_type="application/json",
                     description="affiliate networks with how many programs each has")
    async def networks() -> dict[str, Any]:
        return {"networks": (await backend.facets())["facets"].get("network", {})}

    return server


def _score_of(index: Any, settings: Settings, program_id: str) -> dict[str, Any] | None:
    from matrix.index.search import program_scores

    snap = index.snapshot()
    pos = snap.columns.position.get(program_id)
    return None if pos is None else program_scores(snap, settings.score).explain(pos)


def _history(index: Any, program_id: str, limit: int) -> list[dict[str, Any]]:
    try:
        from matrix.index.history import program_history
    except ImportError:  # history is recorded by ingest (issue 15); absent: an empty list
        return []
    from serve_apps.service import jsonable

    return jsonable(program_history(index, program_id, limit))


def mcp_router(settings: Settings, app: Any, backend: Any, index: Any = None):
    """An APIRouter serving MCP (streamable HTTP) at `/mcp` of `app`.

    The SDK's session manager needs a running task group: it is entered in `app`'s lifespan
    (chained around the existing one), which Serve runs when the Ingress replica starts.
    """
    from starlette.responses import Response

    from serve_apps.routes_compare import index_holder

    get_index = index_holder(settings, index)
    server = build_server(settings, backend, get_index)
    mcp_asgi = server.streamable_http_app(streamable_http_path="/mcp", stateless_http=True, json_response=True,
                                          host=settings.serve.host)
    previous = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(a: Any):
        async with previous(a) as state, mcp_asgi.router.lifespan_context(mcp_asgi):
            yield state

    app.router.lifespan_context = lifespan

    class _Passthrough(Response):
        """Hands the untouched request (body not yet read) to the MCP ASGI app."""

        def __init__(self, receive: Any) -> None:
            super().__init__()
            self._receive = receive

        async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
            await mcp_asgi(scope, self._receive, send)

    router = APIRouter()

    @router.api_route("/mcp", methods=["GET", "POST", "DELETE"], include_in_schema=False)
    async def mcp_endpoint(request: Request) -> Response:
        return _Passthrough(request.receive)

    return router


def run_stdio(settings: Settings) -> None:
    """`matrix mcp`: the same tools over stdin/stdout, searching in-process."""
    from serve_apps.api import LocalBackend
    from serve_apps.service import SearchService

    service = SearchService(settings)
    server = build_server(settings, LocalBackend(service), lambda: service.index)
    server.run("stdio")

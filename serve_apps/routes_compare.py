"""`GET /compare?ids=a,b,c,d`: 2-4 programs side by side (matrix.score.compare), issue 16.

A router of its own, included by serve_apps/api.py with the search routes' access rule (API key,
rate limit). Like the history router it reads the index directly (read-only, off the event loop):
a comparison is four rows plus the cached score table, no Searcher round trip needed.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from fastapi import APIRouter, HTTPException, Query

from matrix.config import Settings


def index_holder(settings: Settings, index: Any = None):
    """A lazily opened MasterIndex shared by this router's requests."""
    lock = threading.Lock()
    holder: dict[str, Any] = {"index": index}

    def get() -> Any:
        with lock:
            if holder["index"] is None:
                from matrix.index import MasterIndex

                holder["index"] = MasterIndex(settings, read_consistency_interval_s=settings.serve.read_consistency_interval_s)
            return holder["index"]

    return get


def compare_router(settings: Settings, index: Any = None) -> APIRouter:
    router = APIRouter()
    get_index = index_holder(settings, index)

    def _compare(ids: str, weights: str | None) -> dict[str, Any]:
        from matrix.score.compare import compare_programs

        return compare_programs(get_index(), ids, weights)

    @router.get("/compare", responses={404: {"description": "unknown program id"},
                                       422: {"description": "bad ids or weights"}})
    async def compare_route(
        ids: str = Query(..., min_length=1, max_length=1000, description="2 to 4 program ids, comma-separated"),
        weights: str | None = Query(None, max_length=300, description="score weights, e.g. earnings:2,cookie:1"),
    ) -> dict[str, Any]:
        from matrix.score.compare import CompareError

        try:
            return await asyncio.to_thread(_compare, ids, weights)
        except CompareError as exc:
            status = 404 if str(exc).startswith("ids: no program") else 422
            raise HTTPException(status, detail=[{"loc": ["query", exc.argument], "msg": str(exc)[:300],
                                                 "type": "value_error"}]) from None

    return router

"""`GET /programs/{program_id}/history`: a program's change log (matrix.index.history).

A router of its own, included by serve_apps/api.py with the search routes' access rule, so the
search app's module stays small. It reads the `program_history` table directly (read-only, off
the event loop): the history is small per program and needs no Searcher round trip.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from fastapi import APIRouter, HTTPException, Query
from fastapi import Path as PathParam

from matrix.config import Settings


def history_router(settings: Settings, index: Any = None) -> APIRouter:
    router = APIRouter()
    lock = threading.Lock()
    holder: dict[str, Any] = {"index": index}

    def _index() -> Any:
        with lock:
            if holder["index"] is None:
                from matrix.index import MasterIndex

                holder["index"] = MasterIndex(settings)
            return holder["index"]

    def _read(program_id: str, limit: int) -> dict[str, Any] | None:
        from matrix.index.history import program_history

        idx = _index()
        rows = program_history(idx, program_id, limit)
        if not rows and idx.get_program(program_id) is None:
            return None
        return {"program_id": program_id, "history": rows}

    @router.get("/programs/{program_id}/history", responses={404: {"description": "unknown program id"}})
    async def program_history_route(program_id: str = PathParam(..., min_length=1, max_length=200),
                                     limit: int = Query(100, ge=1, le=1000)) -> dict[str, Any]:
        if any(ord(c) < 32 for c in program_id):
            raise HTTPException(422, detail="program_id must not contain control characters")
        out = await asyncio.to_thread(_read, program_id, limit)
        if out is None:
            raise HTTPException(404, detail=f"no program with id {program_id!r}")
        return out

    return router

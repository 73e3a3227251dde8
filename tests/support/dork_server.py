"""A local stand-in for a search engine and a webhook receiver (aiohttp on 127.0.0.1, own thread).

- `GET /search?q=&format=json&pageno=` answers SearXNG-shaped JSON from `results[q]` (10 a page).
- `GET /res/v1/web/search?q=&count=&offset=` answers Brave-shaped JSON (needs X-Subscription-Token).
- `POST /hook` records the body and headers; `hook_status` sets what it answers.
- `fail_next` is a list of (status, headers) served before real answers (429 with Retry-After, 500...).
Never a live engine: every URL the tests build points here.
"""

from __future__ import annotations

import asyncio
import json
import threading
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


def searx_result(url: str, title: str, content: str, engine: str = "duckduckgo") -> dict[str, Any]:
    return {"url": url, "title": title, "content": content, "engine": engine, "engines": [engine], "score": 1.0,
            "category": "general", "parsed_url": url.split("/")}


@dataclass
class DorkServer:
    results: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    fail_next: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    hook_status: list[int] = field(default_factory=list)  # answered in order; then 200
    brave_token: str = "brave-test-token"
    requests: list[dict[str, Any]] = field(default_factory=list)
    hooks: list[dict[str, Any]] = field(default_factory=list)
    json_disabled: bool = False

    def __post_init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.port = 0

    # -- lifecycle ----------------------------------------------------------------------------
    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        app = web.Application()
        app.router.add_get("/search", self._searx)
        app.router.add_get("/res/v1/web/search", self._brave)
        app.router.add_post("/hook", self._hook)
        self._runner = web.AppRunner(app, access_log=None)
        self._loop.run_until_complete(self._runner.setup())
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        self._loop.run_until_complete(site.start())
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self._ready.set()
        self._loop.run_forever()

    def start(self) -> "DorkServer":
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("dork server did not start")
        return self

    def stop(self) -> None:
        async def _cleanup() -> None:
            await self._runner.cleanup()
        asyncio.run_coroutine_threadsafe(_cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- handlers -----------------------------------------------------------------------------
    def _failure(self) -> web.Response | None:
        if self.fail_next:
            status, headers = self.fail_next.pop(0)
            return web.Response(status=status, text="slow down", headers=headers)
        return None

    async def _searx(self, request: web.Request) -> web.Response:
        q = request.query.get("q", "")
        self.requests.append({"path": "/search", "q": q, "pageno": request.query.get("pageno"),
                              "format": request.query.get("format"), "ua": request.headers.get("User-Agent")})
        if self.json_disabled:
            return web.Response(status=403, text="Forbidden")
        fail = self._failure()
        if fail is not None:
            return fail
        page = int(request.query.get("pageno", "1"))
        rows = self.results.get(q, [])[(page - 1) * 10: page * 10]
        return web.json_response({"query": q, "number_of_results": len(self.results.get(q, [])), "results": rows})

    async def _brave(self, request: web.Request) -> web.Response:
        q = request.query.get("q", "")
        self.requests.append({"path": "/brave", "q": q, "offset": request.query.get("offset"),
                              "token": request.headers.get("X-Subscription-Token")})
        if request.headers.get("X-Subscription-Token") != self.brave_token:
            return web.json_response({"error": "bad token"}, status=401)
        fail = self._failure()
        if fail is not None:
            return fail
        count = int(request.query.get("count", "20"))
        off = int(request.query.get("offset", "0"))
        rows = self.results.get(q, [])[off * count:(off + 1) * count]
        return web.json_response({"web": {"results": [{"url": r["url"], "title": r["title"], "description": r["content"]}
                                                       for r in rows]}})

    async def _hook(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.hooks.append({"body": body, "json": json.loads(body), "headers": dict(request.headers)})
        status = self.hook_status.pop(0) if self.hook_status else 200
        return web.Response(status=status, text="ok" if status < 300 else "nope")

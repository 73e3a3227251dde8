"""A fixture web site on 127.0.0.1 that replays each directory's structure, with fault injection.

Each site is a folder under tests/support/sites/<name>/ served on its own port (a distinct
host for the crawler's per-host buckets). URL -> file: "/a/b/" -> a/b/index.html, "/a/b" ->
a/b.html or a/b, a query "?page=2" -> "@page=2" appended to the file stem ("offers@page=2.html").
`_faults.json` in a site folder maps paths to injected faults:
  {"kind": "status", "status": 429|503, "times": N, "retry_after": S}  first N requests fail, then the page
  {"kind": "slow", "seconds": S}        sleeps past the client timeout
  {"kind": "truncated"}                 Content-Length larger than the body, connection closed
  {"kind": "redirect", "to": "/x"}      (two of these pointing at each other make a loop)
  {"kind": "oversize", "bytes": N}      a body larger than crawl.max_body_bytes
Every page gets an ETag and Last-Modified, and conditional requests are answered 304.
`_spa.json` maps client-side route prefixes of a single-page app to its HTML shell.
`routes` lets a test add generated pages (path -> (body, content_type)) and `hits` counts requests.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import threading
from pathlib import Path
from typing import Any, Callable

from aiohttp import web

SITES = Path(__file__).resolve().parent / "sites"
LAST_MODIFIED = "Wed, 01 Apr 2026 10:00:00 GMT"
_TYPES = {".html": "text/html; charset=utf-8", ".json": "application/json", ".xml": "application/xml",
          ".md": "text/markdown; charset=utf-8", ".txt": "text/plain; charset=utf-8", ".js": "application/javascript",
          ".zip": "application/zip"}


class Site:
    def __init__(self, name: str | None = None, root: Path | None = None,
                 routes: dict[str, tuple[bytes | str, str]] | None = None,
                 generator: Callable[[str, str], tuple[bytes, str] | None] | None = None,
                 faults: dict[str, dict[str, Any]] | None = None) -> None:
        self.name = name or "generated"
        self.root = root or (SITES / name if name else None)
        self.routes = dict(routes or {})
        self.generator = generator
        self.faults = dict(faults or {})
        if self.root is not None and (self.root / "_faults.json").exists():
            self.faults = {**json.loads((self.root / "_faults.json").read_text()), **self.faults}
        self.spa: dict[str, str] = {}
        if self.root is not None and (self.root / "_spa.json").exists():
            self.spa = json.loads((self.root / "_spa.json").read_text())
        self.hits: dict[str, int] = {}
        self.conditional_hits = 0
        self.post_bodies: list[Any] = []
        self.base_url = ""

    def _file(self, path: str, query: str) -> Path | None:
        if self.root is None:
            return None
        rel = path.lstrip("/")
        cands = []
        stem_q = f"@{query}" if query else ""
        if rel == "" or rel.endswith("/"):
            cands.append(self.root / rel / f"index{stem_q}.html")
        else:
            cands += [self.root / f"{rel}{stem_q}", self.root / f"{rel}{stem_q}.html", self.root / f"{rel}{stem_q}.json",
                      self.root / rel / f"index{stem_q}.html"]
        # single-page apps serve one shell for every client-side route (`_spa.json`: prefix -> file)
        for prefix, shell in self.spa.items():
            if path.startswith(prefix):
                cands.append(self.root / shell)
        for c in cands:
            if c.is_file() and self.root in c.resolve().parents:
                return c
        return None

    def lookup(self, path: str, query: str) -> tuple[bytes, str] | None:
        key = f"{path}?{query}" if query else path
        if key in self.routes:
            body, ctype = self.routes[key]
            return (body.encode() if isinstance(body, str) else body), ctype
        f = self._file(path, query)
        if f is not None:
            return f.read_bytes(), _TYPES.get(f.suffix, "text/html; charset=utf-8")
        if self.generator is not None:
            return self.generator(path, query)
        return None

    async def handle(self, request: web.Request) -> web.StreamResponse:
        path, query = request.path, request.query_string
        key = f"{path}?{query}" if query else path
        self.hits[key] = self.hits.get(key, 0) + 1
        if request.method == "POST":
            try:
                self.post_bodies.append(await request.json())
            except Exception:  # noqa: BLE001
                self.post_bodies.append(None)
        fault = self.faults.get(key) or self.faults.get(path)
        if fault:
            kind = fault["kind"]
            if kind == "status" and self.hits[key] <= int(fault.get("times", 10**9)):
                headers = {"Retry-After": str(fault["retry_after"])} if "retry_after" in fault else {}
                return web.Response(status=int(fault["status"]), text="try later", headers=headers)
            if kind == "slow":
                await asyncio.sleep(float(fault.get("seconds", 5)))
            if kind == "redirect":
                raise web.HTTPFound(fault["to"])
            if kind == "oversize":
                return web.Response(body=b"<html>" + b"x" * int(fault.get("bytes", 6_000_000)), content_type="text/html")
            if kind == "truncated":
                resp = web.StreamResponse(headers={"Content-Length": "5000", "Content-Type": "text/html"})
                await resp.prepare(request)
                await resp.write(b"<html><body><h1>Cut")
                request.transport.close()
                return resp
        if request.method == "POST" and path.startswith("/api/") and self.generator is None:
            found = self.lookup(path, _post_query(self.post_bodies[-1]))
        else:
            found = self.lookup(path, query)
        if found is None:
            return web.Response(status=404, text="not found")
        body, ctype = found
        etag = '"' + hashlib.blake2b(body, digest_size=8).hexdigest() + '"'
        if request.headers.get("If-None-Match") == etag or (
            "If-None-Match" not in request.headers and request.headers.get("If-Modified-Since") == LAST_MODIFIED
        ):
            self.conditional_hits += 1
            return web.Response(status=304, headers={"ETag": etag, "Last-Modified": LAST_MODIFIED})
        return web.Response(body=body, headers={"Content-Type": ctype, "ETag": etag, "Last-Modified": LAST_MODIFIED})


def _post_query(body: Any) -> str:
    """POST /api/offers/search {"page": 2} is served from the file "search@page=2.json"."""
    if isinstance(body, dict) and "page" in body:
        return f"page={body['page']}"
    return ""


class SiteServer:
    """Runs sites in a background thread: `with SiteServer([Site("odigger")]) as srv: srv.url("odigger")`."""

    def __init__(self, sites: list[Site]) -> None:
        self.sites = {s.name: s for s in sites}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runners: list[web.AppRunner] = []

    def url(self, name: str) -> str:
        return self.sites[name].base_url

    async def _start(self) -> None:
        for site in self.sites.values():
            app = web.Application()
            app.router.add_route("*", "/{tail:.*}", site.handle)
            runner = web.AppRunner(app, access_log=None, handle_signals=False)
            await runner.setup()
            tcp = web.TCPSite(runner, "127.0.0.1", 0)
            await tcp.start()
            port = tcp._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            site.base_url = f"http://127.0.0.1:{port}"
            self._runners.append(runner)

    def __enter__(self) -> "SiteServer":
        ready = threading.Event()

        def run() -> None:
            self._loop = asyncio.new_event_loop()
            self._loop.run_until_complete(self._start())
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("fixture site server did not start")
        return self

    def __exit__(self, *exc: Any) -> None:
        assert self._loop is not None

        async def stop() -> None:
            for r in self._runners:
                await r.cleanup()

        asyncio.run_coroutine_threadsafe(stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(10)

"""matrix.http, the one polite HTTP layer, against small aiohttp servers on 127.0.0.1.

Covers what every caller relies on: Cache-Control / Expires freshness (no request while fresh),
ETag revalidation (304) once stale, no-store, retries honouring Retry-After through tenacity,
credentials never following a redirect to another host, the body cap, robots.txt, and the sync
entry point used by OpenAffiliate from inside a running event loop.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from typing import Any

import pytest
from aiohttp import web

from matrix.config import RateLimit
from matrix.http import BasicAuth, HttpClient, HttpOptions, fetch_sync, fresh_until
from matrix.ratelimit import RetryPolicy
from matrix.sources.httpcache import HttpCache

FAST = RateLimit(requests_per_second=1000, burst=100, max_concurrency=8)
DATE = "Wed, 01 Apr 2026 10:00:00 GMT"


class Server:
    """aiohttp apps on their own loop thread; `hits` counts requests per path, `seen` keeps headers."""

    def __init__(self, routes: dict[str, Any]) -> None:
        self.routes = routes
        self.hits: Counter = Counter()
        self.seen: dict[str, dict[str, str]] = {}
        self.loop = asyncio.new_event_loop()
        self.ports: list[int] = []
        self._ready = threading.Event()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.hits[request.path] += 1
        self.seen[request.path] = dict(request.headers)
        route = self.routes.get(request.path)
        if route is None:
            return web.Response(status=404)
        return route(request, self.hits[request.path])

    def __enter__(self) -> "Server":
        async def start() -> None:
            for _ in range(2):  # two ports = two hosts for the crawler's politeness key
                app = web.Application()
                app.router.add_route("*", "/{tail:.*}", self._handle)
                runner = web.AppRunner(app, access_log=None)
                await runner.setup()
                site = web.TCPSite(runner, "127.0.0.1", 0)
                await site.start()
                self.ports.append(site._server.sockets[0].getsockname()[1])  # type: ignore[union-attr]
            self._ready.set()

        threading.Thread(target=lambda: (self.loop.run_until_complete(start()), self.loop.run_forever()),
                         daemon=True).start()
        assert self._ready.wait(30)
        return self

    def __exit__(self, *exc: Any) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)

    def url(self, path: str, host: int = 0) -> str:
        return f"http://127.0.0.1:{self.ports[host]}{path}"


def _cached(headers: dict[str, str], body: bytes = b"<p>hello</p>"):
    def handle(request: web.Request, n: int) -> web.Response:
        if request.headers.get("If-None-Match") == '"v1"':
            return web.Response(status=304, headers={"ETag": '"v1"', **headers})
        return web.Response(body=body, headers={"Content-Type": "text/html; charset=utf-8", "ETag": '"v1"', **headers})
    return handle


def test_freshness_lifetime_follows_rfc_9111():
    now = 1_000_000.0
    assert fresh_until({"Cache-Control": "public, max-age=60"}, now) == now + 60
    assert fresh_until({"Cache-Control": "max-age=60", "Age": "20"}, now) == now + 40
    assert fresh_until({"Cache-Control": "max-age=60", "Age": "90"}, now) is None
    assert fresh_until({"Cache-Control": "no-cache, max-age=60"}, now) is None
    assert fresh_until({"Cache-Control": "no-store"}, now) is None
    assert fresh_until({"Expires": "Wed, 01 Apr 2026 11:00:00 GMT", "Date": DATE}, now) == now + 3600
    assert fresh_until({"Expires": "0"}, now) is None  # invalid Expires = already stale
    assert fresh_until({"ETag": '"x"', "Last-Modified": DATE}, now) is None  # no heuristic freshness
    assert fresh_until({"Cache-Control": "max-age=oops"}, now) is None


def test_fresh_is_served_from_disk_stale_is_revalidated_and_no_store_is_never_kept(tmp_path):
    routes = {"/fresh": _cached({"Cache-Control": "max-age=3600"}), "/stale": _cached({}),
              "/secret": _cached({"Cache-Control": "no-store"}), "/robots.txt": lambda r, n: web.Response(status=404)}
    with Server(routes) as srv:
        async def crawl() -> list:
            async with HttpClient(rate_limit=FAST, cache=HttpCache(tmp_path)) as http:
                return [await http.fetch(srv.url(p)) for p in ("/fresh", "/stale", "/secret")]

        first = asyncio.run(crawl())
        second = asyncio.run(crawl())
    assert [r.text for r in first] == ["<p>hello</p>"] * 3 and not any(r.not_modified for r in first)
    fresh, stale, secret = second
    assert fresh.fresh and fresh.not_modified and fresh.text == "<p>hello</p>"
    assert stale.status == 304 and stale.not_modified and not stale.fresh and stale.text == "<p>hello</p>"
    assert not secret.not_modified and secret.status == 200
    assert srv.hits["/fresh"] == 1 and srv.hits["/stale"] == 2 and srv.hits["/secret"] == 2
    assert srv.seen["/stale"].get("If-None-Match") == '"v1"'


def test_retry_after_is_honoured_then_the_request_succeeds():
    def flaky(request: web.Request, n: int) -> web.Response:
        if n == 1:
            return web.Response(status=503, text="busy", headers={"Retry-After": "0.3"})
        return web.Response(text="ok", content_type="text/plain")

    delays: list[float] = []

    async def sleep(d: float) -> None:
        delays.append(d)

    with Server({"/api": flaky}) as srv:
        async def go():
            options = HttpOptions(respect_robots=False)
            async with HttpClient(options, rate_limit=FAST, retry=RetryPolicy(max_retries=2, base_s=0.01, max_s=5),
                                  sleep=sleep) as http:
                return await http.fetch(srv.url("/api")), http.bucket(srv.url("/api"))

        resp, bucket = asyncio.run(go())
    assert resp.ok and resp.text == "ok" and resp.attempts == 2
    assert delays and delays[0] >= 0.3  # Retry-After wins over the jittered backoff
    assert bucket.waited_s >= 0.2  # ... and paused the host's bucket for the next request


def test_giving_up_returns_the_error_with_the_body_excerpt():
    with Server({"/down": lambda r, n: web.Response(status=500, text="database on fire")}) as srv:
        async def go():
            async with HttpClient(HttpOptions(respect_robots=False), rate_limit=FAST,
                                  retry=RetryPolicy(max_retries=2, base_s=0.001, max_s=0.01)) as http:
                return await http.fetch(srv.url("/down"))

        resp = asyncio.run(go())
    assert resp.error == "http_500" and resp.status == 500 and "database on fire" in resp.detail
    assert resp.attempts == 3 and srv.hits["/down"] == 3


def test_credentials_never_follow_a_redirect_to_another_host():
    with Server({}) as srv:
        srv.routes["/start"] = lambda r, n: web.Response(status=302, headers={"Location": srv.url("/land", host=1)})
        srv.routes["/land"] = lambda r, n: web.Response(text="landed", content_type="text/plain")

        async def go(**kw: Any):
            async with HttpClient(HttpOptions(respect_robots=False), rate_limit=FAST) as http:
                return await http.fetch(srv.url("/start"), **kw)

        for kw in ({"auth": BasicAuth("user", "pw")}, {"headers": {"Authorization": "Bearer secret"}}):
            resp = asyncio.run(go(**kw))
            assert resp.text == "landed" and resp.final_url == srv.url("/land", host=1)
            assert "Authorization" in srv.seen["/start"] and "Authorization" not in srv.seen["/land"]


def test_body_cap_redirect_limit_and_robots():
    with Server({}) as srv:
        srv.routes["/big"] = lambda r, n: web.Response(body=b"x" * 5000, content_type="text/plain")
        srv.routes["/loop"] = lambda r, n: web.Response(status=302, headers={"Location": "/loop2"})
        srv.routes["/loop2"] = lambda r, n: web.Response(status=302, headers={"Location": "/loop"})
        srv.routes["/robots.txt"] = lambda r, n: web.Response(text="User-agent: *\nDisallow: /private/\n")
        srv.routes["/private/x"] = lambda r, n: web.Response(text="no")

        async def go():
            async with HttpClient(HttpOptions(max_body_bytes=1000), rate_limit=FAST) as http:
                return [await http.fetch(srv.url(p)) for p in ("/big", "/loop", "/private/x")]

        big, loop, private = asyncio.run(go())
    assert big.error == "body_too_large" and loop.error == "redirect_loop" and private.error == "robots_disallowed"
    assert srv.hits["/private/x"] == 0 and srv.hits["/robots.txt"] == 1


def test_fetch_sync_works_inside_a_running_event_loop(tmp_path):
    with Server({"/feed.json": _cached({"Cache-Control": "max-age=60"}, b'{"programs": []}')}) as srv:
        async def inside_a_loop():
            return fetch_sync(srv.url("/feed.json"), HttpOptions(respect_robots=False), FAST, cache=HttpCache(tmp_path))

        first = asyncio.run(inside_a_loop())
        t0 = time.monotonic()
        again = fetch_sync(srv.url("/feed.json"), HttpOptions(respect_robots=False), FAST, cache=HttpCache(tmp_path))
    assert first.text == again.text == '{"programs": []}' and again.fresh
    assert srv.hits["/feed.json"] == 1 and time.monotonic() - t0 < 30


@pytest.mark.parametrize("client_kw", [{}, {"host_limits": {}}])
def test_a_client_without_any_limit_is_refused(client_kw):
    async def go():
        async with HttpClient(HttpOptions(respect_robots=False), **client_kw) as http:
            await http.fetch("http://127.0.0.1:9/x")

    with pytest.raises(ValueError, match="rate_limit"):
        asyncio.run(go())

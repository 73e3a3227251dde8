"""The polite async HTTP client every scraper uses (aiohttp).

Politeness and resilience live here once, so each scraper only knows its site's structure:
- per-host `TokenBucket` (rate, burst, concurrency cap) from matrix.ratelimit, shared by the
  HTTP client and the browser renderer; robots.txt `Crawl-delay` can only slow a host down;
- retries with exponential backoff + jitter (`RetryPolicy`) on 429/5xx/timeouts/broken bodies,
  honouring Retry-After, which also pauses the host's bucket for every other request;
- robots.txt for our User-Agent (RFC 9309: 4xx = allow all, 5xx/unreachable = disallow all);
- manual redirects with a hop limit and loop detection; a maximum body size checked before and
  while reading; per-request timeouts; charset from header, then <meta>, then detection;
- conditional requests against `HttpCache` so an unchanged page is a 304.
Nothing here raises for one bad page: `fetch` returns a `Response` with `error` set and the
`CrawlReport` counts and logs it.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import re
import time
import urllib.robotparser
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import aiohttp
import charset_normalizer
from multidict import CIMultiDict

from matrix.config import RateLimit, Settings
from matrix.observability import get_logger, histogram
from matrix.ratelimit import RetryPolicy, TokenBucket, parse_retry_after
from matrix.sources.httpcache import BackgroundWriter, CacheEntry, HttpCache, body_hash, cache_key
from matrix.sources.report import CrawlReport

log = get_logger("matrix.sources.crawler")
FETCH_SECONDS = histogram("matrix_crawl_fetch_seconds", "Time per fetched page including retries", ["source"])
_META_CHARSET = re.compile(rb"""<meta[^>]+charset=["']?([A-Za-z0-9_.:-]+)""", re.I)
_XML_ENCODING = re.compile(rb"""<\?xml[^>]+encoding=["']([A-Za-z0-9_.:-]+)""", re.I)
_TEXT_TYPES = ("text/", "application/json", "application/xml", "application/xhtml", "application/rss", "application/atom", "+json", "+xml")


@dataclass
class Response:
    url: str
    status: int | None = None
    final_url: str | None = None
    body: bytes | None = None
    text: str | None = None
    content_type: str | None = None
    encoding: str | None = None
    not_modified: bool = False
    error: str | None = None
    detail: str = ""
    cache_key: str | None = None
    derived: dict[str, Any] = field(default_factory=dict)
    headers: Any = field(default_factory=dict)
    body_hash: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


class _Failure(Exception):
    def __init__(self, reason: str, detail: str = "", status: int | None = None, retry_after: float | None = None,
                 retryable: bool = False) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason, self.detail, self.status, self.retry_after, self.retryable = reason, detail, status, retry_after, retryable


class HostGate:
    """Admission to one host: at most `max_concurrency` requests in flight, granted by priority,
    each paying one token of the host's `TokenBucket`.

    Why priorities: a list page yields the next batch of detail links. Queued behind the detail
    pages it produced (plain FIFO), it comes back only when the host has run dry, and every
    round trip spent waiting for it is rate-limit budget thrown away. Served first (priority 0),
    the next links are queued long before the current ones are done.
    """

    def __init__(self, bucket: TokenBucket, max_concurrency: int) -> None:
        self.bucket = bucket
        self.free = max(1, int(max_concurrency))
        self._waiters: list[tuple[int, int, asyncio.Future]] = []
        self._seq = itertools.count()

    async def enter(self, priority: int = 1) -> None:
        if self.free > 0 and not self._waiters:
            self.free -= 1
        else:
            fut = asyncio.get_running_loop().create_future()
            heapq.heappush(self._waiters, (priority, next(self._seq), fut))
            try:
                await fut
            except asyncio.CancelledError:
                if fut.done() and not fut.cancelled():
                    self.leave()  # the slot was granted just as we were cancelled: pass it on
                raise
        try:
            await self.bucket.acquire()
        except BaseException:
            self.leave()
            raise

    def leave(self) -> None:
        while self._waiters:
            _, _, fut = heapq.heappop(self._waiters)
            if not fut.done():
                fut.set_result(None)
                return
        self.free += 1

    def slot(self, priority: int = 1) -> "_Slot":
        return _Slot(self, priority)


class _Slot:
    def __init__(self, gate: HostGate, priority: int) -> None:
        self.gate, self.priority = gate, priority

    async def __aenter__(self) -> None:
        await self.gate.enter(self.priority)

    async def __aexit__(self, *exc: Any) -> None:
        self.gate.leave()


# Request priorities: lower is served first (see HostGate).
PRIORITY_LIST = 0
PRIORITY_DETAIL = 1


def host_of(url: str) -> str:
    """The politeness key: scheme-less host:port, so distinct ports are distinct hosts."""
    return urlsplit(url).netloc.lower()


def decode_body(body: bytes, content_type: str | None) -> tuple[str, str]:
    """Text and the charset used: declared header charset, then <meta>/<?xml?>, then detection."""
    declared = None
    if content_type:
        m = re.search(r"charset=([\w.:-]+)", content_type, re.I)
        if m:
            declared = m.group(1).strip("\"'")
    if not declared:
        m = _META_CHARSET.search(body[:4096]) or _XML_ENCODING.search(body[:512])
        if m:
            declared = m.group(1).decode("ascii", "ignore")
    if declared:
        try:
            return body.decode(declared), declared.lower()
        except (LookupError, UnicodeDecodeError):
            pass
    try:
        return body.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        best = charset_normalizer.from_bytes(body).best()
        if best is not None and best.encoding:
            return str(best), best.encoding
        return body.decode("utf-8", "replace"), "utf-8"


class Crawler:
    """One per source run (inside one event loop). Use as `async with Crawler(...) as c`."""

    def __init__(
        self,
        settings: Settings,
        rate_limit: RateLimit | None = None,
        report: CrawlReport | None = None,
        cache: HttpCache | None = None,
        retry: RetryPolicy | None = None,
        host_limits: dict[str, RateLimit] | None = None,
    ) -> None:
        self.settings = settings
        self.crawl = settings.crawl
        self.rate_limit = rate_limit or settings.crawl.default_rate_limit
        self.host_limits = host_limits or {}
        self.report = report or CrawlReport()
        self.cache = cache
        self.retry = retry or RetryPolicy(max_retries=self.crawl.max_retries, base_s=self.crawl.backoff_base_s,
                                          max_s=self.crawl.backoff_max_s)
        self.buckets: dict[str, TokenBucket] = {}
        self.gates: dict[str, HostGate] = {}
        self._writer: BackgroundWriter | None = None
        self._robots: dict[str, urllib.robotparser.RobotFileParser | None] = {}
        self._robots_locks: dict[str, asyncio.Lock] = {}
        self._session: aiohttp.ClientSession | None = None
        self.started = time.monotonic()

    async def __aenter__(self) -> "Crawler":
        conn = aiohttp.TCPConnector(limit=0, ttl_dns_cache=300, force_close=False)
        self._session = aiohttp.ClientSession(
            connector=conn,
            headers={"User-Agent": self.crawl.user_agent, "Accept-Encoding": "gzip, deflate"},
            auto_decompress=True,
        )
        if self.cache is not None:
            self._writer = BackgroundWriter()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._writer is not None:
            writer, self._writer = self._writer, None
            await asyncio.get_running_loop().run_in_executor(None, writer.close)

    def defer(self, fn: Any, *args: Any) -> None:
        """Run a cache write on the writer thread (inline when no crawl is open)."""
        if self._writer is not None:
            self._writer.submit(fn, *args)
        else:
            fn(*args)

    # -- politeness -------------------------------------------------------------------------
    def bucket(self, url: str) -> TokenBucket:
        host = host_of(url)
        b = self.buckets.get(host)
        if b is None:
            rl = self.host_limits.get(host, self.rate_limit)
            b = self.buckets[host] = TokenBucket(rl.requests_per_second, rl.burst, rl.max_concurrency)
        return b

    def gate(self, url: str) -> HostGate:
        host = host_of(url)
        g = self.gates.get(host)
        if g is None:
            rl = self.host_limits.get(host, self.rate_limit)
            g = self.gates[host] = HostGate(self.bucket(url), rl.max_concurrency)
        return g

    async def allowed(self, url: str) -> bool:
        """robots.txt verdict for our User-Agent (fetched once per host, through the same bucket)."""
        if not self.crawl.respect_robots:
            return True
        host = host_of(url)
        if host not in self._robots:
            lock = self._robots_locks.setdefault(host, asyncio.Lock())
            async with lock:
                if host not in self._robots:
                    self._robots[host] = await self._load_robots(url)
        rp = self._robots[host]
        if rp is None:
            return True
        return rp.can_fetch(self.crawl.user_agent, url)

    async def _load_robots(self, url: str) -> urllib.robotparser.RobotFileParser | None:
        parts = urlsplit(url)
        robots_url = f"{parts.scheme}://{parts.netloc}/robots.txt"
        resp = await self._fetch_once_with_retries(robots_url, "GET", None, None, use_cache=False, priority=PRIORITY_LIST)
        rp = urllib.robotparser.RobotFileParser(robots_url)
        if resp.ok and resp.status == 200:
            rp.parse((resp.text or "").splitlines())
            delay = rp.crawl_delay(self.crawl.user_agent)
            if delay:
                b = self.bucket(url)
                b.rate = min(b.rate, 1.0 / float(delay))
            return rp
        if resp.status is not None and 400 <= resp.status < 500:
            return None  # no robots.txt: everything allowed
        log.warning("robots.txt unreachable; treating host as disallowed", extra={"url": robots_url, "reason": resp.error})
        rp.disallow_all = True
        return rp

    # -- fetching ---------------------------------------------------------------------------
    async def fetch(
        self,
        url: str,
        method: str = "GET",
        json_body: Any = None,
        headers: dict[str, str] | None = None,
        use_cache: bool | None = None,
        priority: int = PRIORITY_DETAIL,
    ) -> Response:
        """Fetch one URL politely; never raises for HTTP/network problems (see `Response.error`).
        `priority` orders waiting requests per host (PRIORITY_LIST before PRIORITY_DETAIL)."""
        t0 = time.monotonic()
        if not await self.allowed(url):
            self.report.fail(url, "robots_disallowed")
            return Response(url=url, error="robots_disallowed")
        use_cache = self.crawl.http_cache and self.cache is not None if use_cache is None else use_cache and self.cache is not None
        resp = await self._fetch_once_with_retries(url, method, json_body, headers, use_cache=use_cache, priority=priority)
        FETCH_SECONDS.labels(self.report.source).observe(time.monotonic() - t0)
        if resp.error:
            self.report.fail(url, resp.error, resp.detail)
        elif resp.not_modified:
            self.report.not_modified += 1
        else:
            self.report.ok += 1
        return resp

    async def _fetch_once_with_retries(self, url: str, method: str, json_body: Any, headers: dict[str, str] | None,
                                       use_cache: bool, priority: int = PRIORITY_DETAIL) -> Response:
        import json as _json

        payload = None if json_body is None else _json.dumps(json_body, sort_keys=True).encode()
        key = cache_key(method, url, payload) if use_cache else None
        entry = self.cache.get(key) if (use_cache and key) else None
        attempt = 0
        while True:
            try:
                return await self._attempt(url, method, payload, headers or {}, key, entry, priority)
            except _Failure as f:
                if f.retryable and self.retry.should_retry(attempt, f.status):
                    delay = self.retry.delay(attempt, f.retry_after)
                    if f.retry_after is not None:
                        self.bucket(url).penalize(f.retry_after)
                    self.report.retries += 1
                    log.info("retrying", extra={"url": url, "reason": f.reason, "attempt": attempt + 1, "delay_s": round(delay, 3)})
                    await asyncio.sleep(delay)
                    attempt += 1
                    continue
                return Response(url=url, status=f.status, error=f.reason, detail=f.detail, cache_key=key)

    async def _attempt(self, url: str, method: str, payload: bytes | None, headers: dict[str, str], key: str | None,
                       entry: CacheEntry | None, priority: int = PRIORITY_DETAIL) -> Response:
        assert self._session is not None, "use `async with Crawler(...)`"
        hdrs = dict(headers)
        if payload is not None:
            hdrs.setdefault("Content-Type", "application/json")
        if entry is not None:
            if entry.etag:
                hdrs["If-None-Match"] = entry.etag
            if entry.last_modified:
                hdrs["If-Modified-Since"] = entry.last_modified
        current, visited = url, [url]
        timeout = aiohttp.ClientTimeout(total=self.crawl.timeout_s)
        for _hop in range(self.crawl.max_redirects + 1):
            async with self.gate(current).slot(priority):
                try:
                    async with self._session.request(method, current, data=payload, headers=hdrs, allow_redirects=False,
                                                     timeout=timeout) as r:
                        status = r.status
                        if status in (301, 302, 303, 307, 308):
                            self.report.request("redirect")
                            loc = r.headers.get("Location")
                            if not loc:
                                raise _Failure("bad_redirect", "redirect without Location", status)
                            nxt = urljoin(current, loc)
                            if nxt in visited:
                                raise _Failure("redirect_loop", " -> ".join(visited + [nxt]), status)
                            visited.append(nxt)
                            if status == 303:
                                method, payload = "GET", None
                            current = nxt
                            continue
                        if status == 304 and entry is not None:
                            self.report.request("not_modified")
                            body = self.cache.body(entry.key) if self.cache else None
                            text = body.decode(entry.encoding or "utf-8", "replace") if body is not None else None
                            return Response(url=url, status=304, final_url=entry.final_url or current, body=body, text=text,
                                            content_type=entry.content_type, encoding=entry.encoding, not_modified=True,
                                            cache_key=key, derived=dict(entry.derived), body_hash=entry.body_hash)
                        if status >= 400:
                            self.report.request(f"http_{status}")
                            retry_after = parse_retry_after(r.headers.get("Retry-After"))
                            raise _Failure(f"http_{status}", r.reason or "", status, retry_after,
                                           retryable=status in self.retry.retry_statuses)
                        length = r.headers.get("Content-Length")
                        if length and length.isdigit() and int(length) > self.crawl.max_body_bytes:
                            self.report.request("too_large")
                            raise _Failure("body_too_large", f"Content-Length {length} > {self.crawl.max_body_bytes}", status)
                        chunks, size = [], 0
                        async for chunk in r.content.iter_chunked(65536):
                            size += len(chunk)
                            if size > self.crawl.max_body_bytes:
                                self.report.request("too_large")
                                raise _Failure("body_too_large", f"more than {self.crawl.max_body_bytes} bytes", status)
                            chunks.append(chunk)
                        body = b"".join(chunks)
                        self.report.request("ok")
                        self.report.bytes_downloaded += len(body)
                        ctype = r.headers.get("Content-Type", "")
                        resp_headers = CIMultiDict(r.headers)  # header names are case-insensitive
                except _Failure:
                    raise
                except (asyncio.TimeoutError, TimeoutError) as exc:
                    self.report.request("timeout")
                    raise _Failure("timeout", f"no complete response within {self.crawl.timeout_s}s", None, retryable=True) from exc
                except aiohttp.ClientPayloadError as exc:
                    self.report.request("truncated")
                    raise _Failure("truncated", str(exc), None, retryable=True) from exc
                except aiohttp.ClientError as exc:
                    self.report.request("connect_error")
                    raise _Failure("connect_error", f"{type(exc).__name__}: {exc}", None, retryable=True) from exc
            text, encoding = (None, None)
            if any(t in ctype.lower() for t in _TEXT_TYPES) or not ctype:
                text, encoding = decode_body(body, ctype)
            digest = body_hash(body)
            stored = False
            if key and self.cache is not None and (resp_headers.get("ETag") or resp_headers.get("Last-Modified")):
                self.defer(self.cache.put, CacheEntry(key=key, url=url, etag=resp_headers.get("ETag"),
                                                      last_modified=resp_headers.get("Last-Modified"), content_type=ctype,
                                                      encoding=encoding, final_url=current, body_hash=digest), body)
                stored = True
            return Response(url=url, status=status, final_url=current, body=body, text=text, content_type=ctype,
                            encoding=encoding, cache_key=key if (stored or entry is not None) else None,
                            headers=resp_headers, body_hash=digest)
        raise _Failure("too_many_redirects", f"more than {self.crawl.max_redirects} redirects from {url}")

    async def render(self, url: str, renderer: Any, wait_for: str | None = None,
                     priority: int = PRIORITY_DETAIL) -> Response:
        """Render a JavaScript page in the browser pool under the same host bucket and robots rules."""
        if not await self.allowed(url):
            self.report.fail(url, "robots_disallowed")
            return Response(url=url, error="robots_disallowed")
        attempt = 0
        while True:
            async with self.gate(url).slot(priority):
                self.report.request("render")
                try:
                    html, final = await renderer.render(url, wait_for=wait_for, timeout_s=self.crawl.timeout_s)
                    self.report.ok += 1
                    self.report.bytes_downloaded += len(html.encode())
                    return Response(url=url, status=200, final_url=final, text=html, content_type="text/html")
                except Exception as exc:  # noqa: BLE001 - a browser can fail in many ways; all are one page's failure
                    reason = "render_timeout" if "timeout" in str(exc).lower() else "render_error"
                    err = exc
            if self.retry.should_retry(attempt, None):
                self.report.retries += 1
                await asyncio.sleep(self.retry.delay(attempt))
                attempt += 1
                continue
            self.report.fail(url, reason, str(err))
            return Response(url=url, error=reason, detail=str(err))

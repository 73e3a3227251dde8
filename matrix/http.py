"""The one polite HTTP layer: every outbound call in matrix/ goes through `HttpClient` (aiohttp).

Why one layer: the crawler, the network API clients, the dork backends and the OpenAffiliate
live URL used to carry their own sessions, retry loops and limits, and drifted apart (one
bypassed robots.txt, the rate limiter and the cache). Here, once:
- sessions: one aiohttp session per client, created inside the running event loop;
- politeness: per-host `TokenBucket` + priority `HostGate` (matrix.ratelimit), or a caller's own
  gate (a network's shared per-API limiter); robots.txt for our User-Agent (RFC 9309: 4xx =
  allow all, 5xx/unreachable = disallow all; `Crawl-delay` can only slow a host down);
- retries: tenacity drives the loop; `RetryPolicy` decides (exponential backoff with full
  jitter, Retry-After / X-RateLimit-Reset honoured and also pausing the host's bucket on 429);
- safety: manual redirects with a hop limit and loop detection (credentials never follow a
  redirect to another host), a body cap checked before and while reading, per-request
  timeouts, charset from header, then <meta>/<?xml?>, then detection;
- caching (`HttpCache`): a response still fresh by Cache-Control max-age / Expires is served
  from disk with no request at all; a stale one with an ETag / Last-Modified is revalidated
  (304 -> cached body and the data derived from it); `no-store` is never written.
Nothing here raises for one bad response: `fetch` returns a `Response` with `error` set (callers
that want exceptions, like the network transport, map it).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import email.utils
import heapq
import itertools
import json
import re
import time
import urllib.robotparser
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Coroutine, Mapping, Protocol, Self, TypeVar
from urllib.parse import urljoin, urlsplit

import aiohttp
import charset_normalizer
from multidict import CIMultiDict
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt
from yarl import URL

from matrix.observability import get_logger
from matrix.ratelimit import RetryPolicy, TokenBucket, parse_rate_limit_reset, parse_retry_after
from matrix.sources.httpcache import BackgroundWriter, CacheEntry, HttpCache, body_hash, cache_key

BasicAuth = aiohttp.BasicAuth  # re-exported: callers never import aiohttp themselves
ClientSession = aiohttp.ClientSession

log = get_logger("matrix.http")
DEFAULT_USER_AGENT = "AffiliateMatrixBot/0.1 (+https://github.com/affiliate-matrix)"
_META_CHARSET = re.compile(rb"""<meta[^>]+charset=["']?([A-Za-z0-9_.:-]+)""", re.I)
_XML_ENCODING = re.compile(rb"""<\?xml[^>]+encoding=["']([A-Za-z0-9_.:-]+)""", re.I)
_TEXT_TYPES = ("text/", "application/json", "application/xml", "application/xhtml", "application/rss",
               "application/atom", "+json", "+xml")
_REDIRECTS = (301, 302, 303, 307, 308)
ERROR_EXCERPT_BYTES = 2048

# Request priorities: lower is served first (see HostGate).
PRIORITY_LIST = 0
PRIORITY_DETAIL = 1

T = TypeVar("T")


# -- configuration and results ------------------------------------------------------------------
@dataclass(frozen=True)
class HttpOptions:
    """Limits of one client. `from_crawl` reads the `crawl` section of ray_config.yaml."""

    user_agent: str = DEFAULT_USER_AGENT
    timeout_s: float = 30.0
    max_body_bytes: int = 20_000_000
    max_redirects: int = 5
    respect_robots: bool = True

    @classmethod
    def from_crawl(cls, crawl: Any, **overrides: Any) -> "HttpOptions":
        values = {"user_agent": crawl.user_agent, "timeout_s": crawl.timeout_s, "max_body_bytes": crawl.max_body_bytes,
                  "max_redirects": crawl.max_redirects, "respect_robots": crawl.respect_robots}
        return cls(**{**values, **overrides})


class RateLimitLike(Protocol):
    requests_per_second: float
    burst: int
    max_concurrency: int


class Stats(Protocol):
    """Where a client counts what it did (matrix.sources.report.CrawlReport fits)."""

    retries: int
    bytes_downloaded: int

    def request(self, outcome: str) -> None: ...


@dataclass
class HttpStats:
    requests: int = 0
    retries: int = 0
    bytes_downloaded: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)

    def request(self, outcome: str) -> None:
        self.requests += 1
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1


@dataclass
class Response:
    url: str
    status: int | None = None
    final_url: str | None = None
    body: bytes | None = None
    text: str | None = None
    content_type: str | None = None
    encoding: str | None = None
    not_modified: bool = False  # unchanged since the cached copy (a 304, or still fresh)
    fresh: bool = False  # served from the cache without any request (Cache-Control / Expires)
    error: str | None = None
    detail: str = ""
    cache_key: str | None = None
    derived: dict[str, Any] = field(default_factory=dict)
    headers: Any = field(default_factory=dict)
    body_hash: str | None = None
    attempts: int = 1

    @property
    def ok(self) -> bool:
        return self.error is None


class Failure(Exception):
    """One failed attempt; `retryable` tells the retry loop whether another try may help."""

    def __init__(self, reason: str, detail: str = "", status: int | None = None, retry_after: float | None = None,
                 retryable: bool = False) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason, self.detail, self.status, self.retry_after, self.retryable = reason, detail, status, retry_after, retryable


# -- politeness ---------------------------------------------------------------------------------
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


class BucketGate:
    """A gate over one shared `TokenBucket` (its own concurrency cap), e.g. one API's limit for all hosts."""

    def __init__(self, bucket: TokenBucket) -> None:
        self.bucket = bucket

    def slot(self, priority: int = 1) -> TokenBucket:
        return self.bucket


Gate = HostGate | BucketGate


def host_of(url: str) -> str:
    """The politeness key: scheme-less host:port, so distinct ports are distinct hosts."""
    return urlsplit(url).netloc.lower()


def decode_body(body: bytes, content_type: str | None) -> tuple[str, str]:
    """Text and the charset used: declared header charset, then <meta>/<?xml?>, then detection."""
    declared = None
    if content_type:
        header = re.search(r"charset=([\w.:-]+)", content_type, re.I)
        if header:
            declared = header.group(1).strip("\"'")
    if not declared:
        inline = _META_CHARSET.search(body[:4096]) or _XML_ENCODING.search(body[:512])
        if inline:
            declared = inline.group(1).decode("ascii", "ignore")
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


# -- freshness (RFC 9111, private cache) --------------------------------------------------------
def _cache_directives(headers: Mapping[str, str]) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for part in (headers.get("Cache-Control") or "").split(","):
        name, _, value = part.strip().partition("=")
        if name:
            out[name.lower()] = value.strip().strip('"') or None
    return out


def _http_date(value: str | None) -> float | None:
    if not value:
        return None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return when.timestamp() if when is not None and when.tzinfo is not None else None


def storable(headers: Mapping[str, str]) -> bool:
    return "no-store" not in _cache_directives(headers)


def fresh_until(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Epoch second until which a response may be reused without asking (None: revalidate).

    Explicit freshness only (max-age, else Expires - Date); no heuristic guess from
    Last-Modified, so a resource whose server says nothing is always revalidated."""
    now = time.time() if now is None else now
    cc = _cache_directives(headers)
    if "no-cache" in cc or "no-store" in cc:
        return None
    try:
        age = max(0.0, float(headers.get("Age") or 0))
    except ValueError:
        age = 0.0
    if "max-age" in cc:
        try:
            lifetime = float(cc["max-age"] or "")
        except ValueError:
            return None
        return now + lifetime - age if lifetime > age else None
    expires = headers.get("Expires")
    if expires is None:
        return None
    expires_at = _http_date(expires)
    if expires_at is None:  # an invalid Expires (e.g. "0") means already expired
        return None
    date = _http_date(headers.get("Date")) or now
    lifetime = expires_at - date
    return now + lifetime - age if lifetime > age else None


def _is_fresh(entry: CacheEntry) -> bool:
    return entry.fresh_until is not None and entry.fresh_until > time.time()


# -- retries ------------------------------------------------------------------------------------
def retrying(policy: RetryPolicy, sleep: Callable[[float], Awaitable[None]],
             before_sleep: Callable[[Failure, int, float], None] | None = None) -> AsyncRetrying:
    """A tenacity loop that retries `Failure(retryable=True)` as `policy` says (backoff + jitter,
    Retry-After honoured); any other exception, or the last failure, propagates to the caller."""

    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome is not None else None
        return policy.delay(state.attempt_number - 1, getattr(exc, "retry_after", None))

    def _before_sleep(state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome is not None else None
        delay = state.next_action.sleep if state.next_action is not None else 0.0
        if before_sleep is not None and isinstance(exc, Failure):
            before_sleep(exc, state.attempt_number, delay)

    return AsyncRetrying(
        stop=stop_after_attempt(policy.max_retries + 1),
        retry=retry_if_exception(lambda e: isinstance(e, Failure) and e.retryable
                                 and policy.should_retry(0, e.status)),
        wait=wait, sleep=sleep, before_sleep=_before_sleep, reraise=True,
    )


# -- the client ---------------------------------------------------------------------------------
class HttpClient:
    """Sessions, gates, robots, retries, caps and the cache for one run in one event loop.

    Use as `async with HttpClient(...) as http: resp = await http.fetch(url)`; a client used
    without `async with` opens its session on first use (call `aclose()` when done).
    `gate_for(url)` replaces the per-host gates (e.g. one API limiter shared by all its hosts).
    """

    def __init__(self, options: HttpOptions | None = None, *, rate_limit: RateLimitLike | None = None,
                 host_limits: Mapping[str, RateLimitLike] | None = None, cache: HttpCache | None = None,
                 retry: RetryPolicy | None = None, stats: Stats | None = None, session: aiohttp.ClientSession | None = None,
                 gate_for: Callable[[str], Gate] | None = None, headers: Mapping[str, str] | None = None,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.options = options or HttpOptions()
        self.rate_limit = rate_limit
        self.host_limits = dict(host_limits or {})
        self.cache = cache
        self.retry = retry or RetryPolicy()
        self.stats: Stats = stats if stats is not None else HttpStats()
        self._session = session
        self._own_session = session is None
        self._gate_for = gate_for
        self._headers = {"User-Agent": self.options.user_agent, "Accept-Encoding": "gzip, deflate", **(headers or {})}
        self._sleep = sleep
        self.buckets: dict[str, TokenBucket] = {}
        self.gates: dict[str, HostGate] = {}
        self._robots: dict[str, urllib.robotparser.RobotFileParser | None] = {}
        self._robots_locks: dict[str, asyncio.Lock] = {}
        self._writer: BackgroundWriter | None = None
        self.requests_sent = 0
        self.fresh_hits = 0

    async def __aenter__(self) -> Self:
        self.session()
        if self.cache is not None:
            self._writer = BackgroundWriter()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._own_session and self._session is not None and not self._session.closed:
            await self._session.close()
        if self._own_session:
            self._session = None
        if self._writer is not None:
            writer, self._writer = self._writer, None
            await asyncio.get_running_loop().run_in_executor(None, writer.close)

    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=0, ttl_dns_cache=300)
            self._session = aiohttp.ClientSession(connector=connector, headers=self._headers, auto_decompress=True)
            self._own_session = True
        return self._session

    def defer(self, fn: Callable[..., Any], *args: Any) -> None:
        """Run a cache write on the writer thread (inline when no client is open)."""
        if self._writer is not None:
            self._writer.submit(fn, *args)
        else:
            fn(*args)

    # -- politeness -----------------------------------------------------------------------------
    def _limit(self, host: str) -> RateLimitLike:
        rl = self.host_limits.get(host, self.rate_limit)
        if rl is None:
            raise ValueError("HttpClient needs rate_limit=, host_limits= or gate_for= (no unlimited clients)")
        return rl

    def bucket(self, url: str) -> TokenBucket:
        host = host_of(url)
        b = self.buckets.get(host)
        if b is None:
            rl = self._limit(host)
            b = self.buckets[host] = TokenBucket(rl.requests_per_second, rl.burst, rl.max_concurrency)
        return b

    def gate(self, url: str) -> Gate:
        if self._gate_for is not None:
            return self._gate_for(url)
        host = host_of(url)
        g = self.gates.get(host)
        if g is None:
            g = self.gates[host] = HostGate(self.bucket(url), self._limit(host).max_concurrency)
        return g

    async def allowed(self, url: str) -> bool:
        """robots.txt verdict for our User-Agent (fetched once per host, through the same gate)."""
        if not self.options.respect_robots:
            return True
        host = host_of(url)
        if host not in self._robots:
            lock = self._robots_locks.setdefault(host, asyncio.Lock())
            async with lock:
                if host not in self._robots:
                    self._robots[host] = await self._load_robots(url)
        rp = self._robots[host]
        return True if rp is None else rp.can_fetch(self.options.user_agent, url)

    async def _load_robots(self, url: str) -> urllib.robotparser.RobotFileParser | None:
        parts = urlsplit(url)
        robots_url = f"{parts.scheme}://{parts.netloc}/robots.txt"
        key, entry = self._lookup("GET", robots_url, _Body(), self.cache is not None)
        resp = self._fresh(entry, robots_url) or await self._fetch(robots_url, "GET", _Body(), {}, None, key=key,
                                                                   entry=entry, priority=PRIORITY_LIST, on_retry=None)
        rp = urllib.robotparser.RobotFileParser(robots_url)
        if resp.ok and resp.status in (200, 304):
            rp.parse((resp.text or "").splitlines())
            delay = rp.crawl_delay(self.options.user_agent)
            if delay and self._gate_for is None:
                b = self.bucket(url)
                b.rate = min(b.rate, 1.0 / float(delay))
            return rp
        if resp.status is not None and 400 <= resp.status < 500:
            return None  # no robots.txt: everything allowed
        log.warning("robots.txt unreachable; treating host as disallowed", extra={"url": robots_url, "reason": resp.error})
        rp.disallow_all = True  # type: ignore[attr-defined]  # RobotFileParser's own flag, not in typeshed
        return rp

    # -- fetching -------------------------------------------------------------------------------
    async def fetch(self, url: str, method: str = "GET", *, params: Any = None, headers: Mapping[str, str] | None = None,
                    json_body: Any = None, data: Any = None, auth: aiohttp.BasicAuth | None = None,
                    use_cache: bool | None = None, priority: int = PRIORITY_DETAIL,
                    on_retry: Callable[[Failure, int, float], None] | None = None,
                    before_attempt: Callable[[], None] | None = None) -> Response:
        """One logical request with its retries; never raises for HTTP or network problems.
        `use_cache` None = use the cache when the client has one (GET/POST JSON bodies only).
        `before_attempt` runs before every try (a daily quota); its exceptions propagate."""
        full = str(URL(url).extend_query(params)) if params else url
        body = _Body(json_body=json_body, data=data)
        cacheable = self.cache is not None and data is None and (use_cache is None or use_cache)
        key, entry = self._lookup(method, full, body, cacheable)
        fresh = self._fresh(entry, full)
        if fresh is not None:  # no request at all, so robots.txt has nothing to allow
            return fresh
        if not await self.allowed(full):
            return Response(url=full, error="robots_disallowed")
        return await self._fetch(full, method, body, dict(headers or {}), auth, key=key, entry=entry,
                                 priority=priority, on_retry=on_retry, before_attempt=before_attempt)

    def _lookup(self, method: str, url: str, body: "_Body", use_cache: bool) -> tuple[str | None, CacheEntry | None]:
        """The cache key and the stored entry (None, None when this request is not cached)."""
        if not use_cache or self.cache is None:
            return None, None
        key = cache_key(method, url, body.payload)
        return key, self.cache.get(key)

    def _fresh(self, entry: CacheEntry | None, url: str) -> Response | None:
        """The cached response if its server declared it still fresh, else None."""
        if entry is None or not _is_fresh(entry):
            return None
        return self._from_cache(entry, url, entry.final_url or url, fresh=True)

    async def _fetch(self, url: str, method: str, body: "_Body", headers: dict[str, str], auth: aiohttp.BasicAuth | None,
                     *, key: str | None, entry: CacheEntry | None, priority: int,
                     on_retry: Callable[[Failure, int, float], None] | None,
                     before_attempt: Callable[[], None] | None = None) -> Response:
        attempts = 0

        def before_sleep(failure: Failure, attempt: int, delay: float) -> None:
            if failure.status == 429 or failure.retry_after is not None:
                pause = failure.retry_after if failure.retry_after is not None else delay
                self.gate(url).bucket.penalize(pause)
            self.stats.retries += 1
            log.info("retrying", extra={"url": url, "reason": failure.reason, "attempt": attempt, "delay_s": round(delay, 3)})
            if on_retry is not None:
                on_retry(failure, attempt, delay)

        try:
            async for attempt in retrying(self.retry, self._sleep, before_sleep):
                with attempt:
                    attempts = attempt.retry_state.attempt_number
                    if before_attempt is not None:
                        before_attempt()
                    resp = await self._attempt(url, method, body, headers, auth, key, entry, priority)
                    resp.attempts = attempts
                    return resp
        except Failure as f:
            return Response(url=url, status=f.status, error=f.reason, detail=f.detail, cache_key=key, attempts=attempts)
        raise AssertionError("unreachable: tenacity either returns or re-raises")  # pragma: no cover

    def _from_cache(self, entry: CacheEntry, url: str, final_url: str, fresh: bool) -> Response | None:
        data = self.cache.body(entry.key) if self.cache is not None else None
        if data is None and fresh:
            return None  # the body file is gone: ask the server instead
        if fresh:
            self.fresh_hits += 1
        text = data.decode(entry.encoding or "utf-8", "replace") if data is not None else None
        return Response(url=url, status=200 if fresh else 304, final_url=final_url, body=data, text=text,
                        content_type=entry.content_type, encoding=entry.encoding, not_modified=True, fresh=fresh,
                        cache_key=entry.key, derived=dict(entry.derived), body_hash=entry.body_hash)

    async def _attempt(self, url: str, method: str, body: "_Body", headers: dict[str, str], auth: aiohttp.BasicAuth | None,
                       key: str | None, entry: CacheEntry | None, priority: int) -> Response:
        hdrs = dict(headers)
        if body.payload is not None:
            hdrs.setdefault("Content-Type", "application/json")
        if entry is not None:
            if entry.etag:
                hdrs["If-None-Match"] = entry.etag
            if entry.last_modified:
                hdrs["If-Modified-Since"] = entry.last_modified
        current, visited = url, [url]
        for _hop in range(self.options.max_redirects + 1):
            async with self.gate(current).slot(priority):
                self.requests_sent += 1
                result = await self._send(method, current, body, hdrs, auth, entry)
            if isinstance(result, _Redirect):  # follow it (out of this gate, under the next host's)
                nxt = result.location
                if nxt in visited:
                    raise Failure("redirect_loop", " -> ".join(visited + [nxt]), None)
                visited.append(nxt)
                if host_of(nxt) != host_of(current):  # credentials never follow to another host
                    auth = None
                    hdrs = {k: v for k, v in hdrs.items() if k.lower() not in ("authorization", "cookie")}
                if result.status == 303:
                    method, body = "GET", _Body()
                current = nxt
                continue
            if result.not_modified:
                return self._revalidated(result, entry, url)
            return self._deliver(result, url, current, key, entry)
        raise Failure("too_many_redirects", f"more than {self.options.max_redirects} redirects from {url}")

    async def _send(self, method: str, url: str, body: "_Body", hdrs: dict[str, str], auth: aiohttp.BasicAuth | None,
                    entry: CacheEntry | None) -> "Response | _Redirect":
        """One request on the wire: a redirect to follow, a raw Response, or a Failure raised."""
        timeout = aiohttp.ClientTimeout(total=self.options.timeout_s)
        try:
            async with self.session().request(method, URL(url), data=body.wire(), headers=hdrs, auth=auth,
                                              allow_redirects=False, timeout=timeout) as r:
                status = r.status
                if status in _REDIRECTS:
                    self.stats.request("redirect")
                    loc = r.headers.get("Location")
                    if not loc:
                        raise Failure("bad_redirect", "redirect without Location", status)
                    return _Redirect(urljoin(url, loc), status)
                headers = CIMultiDict(r.headers)  # header names are case-insensitive
                if status == 304 and entry is not None:
                    self.stats.request("not_modified")
                    return Response(url=url, status=304, not_modified=True, headers=headers)
                if status >= 400:
                    self.stats.request(f"http_{status}")
                    excerpt = (await r.content.read(ERROR_EXCERPT_BYTES)).decode("utf-8", "replace")
                    retry_after = parse_retry_after(r.headers.get("Retry-After"))
                    if retry_after is None:
                        retry_after = parse_rate_limit_reset(r.headers.get("X-RateLimit-Reset"))
                    raise Failure(f"http_{status}", " ".join(excerpt.split())[:300] or (r.reason or ""), status,
                                  retry_after, retryable=status in self.retry.retry_statuses)
                data = await self._read_capped(r)
                self.stats.request("ok")
                self.stats.bytes_downloaded += len(data)
                return Response(url=url, status=status, body=data, content_type=r.headers.get("Content-Type", ""),
                                headers=headers)
        except Failure:
            raise
        except (asyncio.TimeoutError, TimeoutError) as exc:
            self.stats.request("timeout")
            raise Failure("timeout", f"no complete response within {self.options.timeout_s}s", None, retryable=True) from exc
        except aiohttp.ClientPayloadError as exc:
            self.stats.request("truncated")
            raise Failure("truncated", str(exc), None, retryable=True) from exc
        except aiohttp.ClientError as exc:
            self.stats.request("connect_error")
            raise Failure("connect_error", f"{type(exc).__name__}: {exc}", None, retryable=True) from exc

    async def _read_capped(self, r: aiohttp.ClientResponse) -> bytes:
        cap = self.options.max_body_bytes
        length = r.headers.get("Content-Length")
        if length and length.isdigit() and int(length) > cap:
            self.stats.request("too_large")
            raise Failure("body_too_large", f"Content-Length {length} > {cap}", r.status)
        chunks, size = [], 0
        async for chunk in r.content.iter_chunked(65536):
            size += len(chunk)
            if size > cap:
                self.stats.request("too_large")
                raise Failure("body_too_large", f"more than {cap} bytes", r.status)
            chunks.append(chunk)
        return b"".join(chunks)

    def _revalidated(self, result: Response, entry: CacheEntry | None, url: str) -> Response:
        """A 304: the cached body, and the entry's freshness renewed from the 304's headers."""
        assert entry is not None and self.cache is not None
        until = fresh_until(result.headers)
        if until != entry.fresh_until:
            entry.fresh_until = until
            self.defer(self.cache.put, entry, None)
        cached = self._from_cache(entry, url, entry.final_url or url, fresh=False)
        assert cached is not None
        cached.headers = result.headers
        return cached

    def _deliver(self, result: Response, url: str, final_url: str, key: str | None, entry: CacheEntry | None) -> Response:
        data = result.body or b""
        ctype = result.content_type or ""
        text, encoding = (None, None)
        if any(t in ctype.lower() for t in _TEXT_TYPES) or not ctype:
            text, encoding = decode_body(data, ctype)
        digest = body_hash(data)
        hdrs = result.headers
        until = fresh_until(hdrs)
        stored = False
        if key and self.cache is not None and storable(hdrs) and (hdrs.get("ETag") or hdrs.get("Last-Modified") or until):
            entry = CacheEntry(key=key, url=url, etag=hdrs.get("ETag"), last_modified=hdrs.get("Last-Modified"),
                               content_type=ctype, encoding=encoding, final_url=final_url, body_hash=digest,
                               fresh_until=until)
            self.defer(self.cache.put, entry, data)
            stored = True
        return Response(url=url, status=result.status, final_url=final_url, body=data, text=text, content_type=ctype,
                        encoding=encoding, cache_key=key if (stored or entry is not None) else None, headers=hdrs,
                        body_hash=digest)


@dataclass(frozen=True)
class _Redirect:
    location: str
    status: int


@dataclass
class _Body:
    """A request body: JSON (canonical bytes, so it can key the cache) or form data."""

    json_body: Any = None
    data: Any = None

    @property
    def payload(self) -> bytes | None:
        return None if self.json_body is None else json.dumps(self.json_body, sort_keys=True).encode()

    def wire(self) -> Any:
        return self.payload if self.json_body is not None else self.data


def run_sync(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine from synchronous code, also when the caller already runs an event loop
    (then on a helper thread): sync sources such as OpenAffiliate use the async client this way."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make())
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(make())).result()


def fetch_sync(url: str, options: HttpOptions, rate_limit: RateLimitLike, *, cache: HttpCache | None = None,
               retry: RetryPolicy | None = None, **kw: Any) -> Response:
    """One polite fetch from synchronous code (robots, bucket, retries, cache all apply)."""

    async def go() -> Response:
        async with HttpClient(options, rate_limit=rate_limit, cache=cache, retry=retry) as http:
            return await http.fetch(url, **kw)

    return run_sync(go)


__all__ = ["BasicAuth", "BucketGate", "ClientSession", "Failure", "HostGate", "HttpClient", "HttpOptions", "HttpStats",
           "PRIORITY_DETAIL", "PRIORITY_LIST", "Response", "decode_body", "fetch_sync", "fresh_until", "host_of",
           "retrying", "run_sync"]

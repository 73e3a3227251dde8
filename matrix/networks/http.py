"""The one HTTP path every network client uses: rate limit, daily quota, retries, auth mapping.

Built on matrix.ratelimit (the crawler's primitives) so there is exactly one limiter in the code
base. Per request: take the daily quota (fail fast when spent), wait for a token, send, then
- 2xx: read `X-RateLimit-Remaining`/`-Reset` and pause the bucket when the window is used up;
- 429 and 5xx, timeouts, connection and payload errors: back off (Retry-After / reset wins when
  longer than the jittered backoff) and retry up to `max_retries`;
- 401/403: raise `AuthRejected` at once — the client maps it to a credential error; retrying a
  rejected key only burns quota and can get an account locked.
"""

from __future__ import annotations

import asyncio
import weakref
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Mapping

import aiohttp

from matrix.config import NetworkSettings
from matrix.networks.errors import MalformedResponse, NetworkError, QuotaSpent
from matrix.observability import counter, get_logger, histogram
from matrix.ratelimit import DailyQuota, QuotaExceeded, RetryPolicy, TokenBucket, parse_rate_limit_reset, parse_retry_after

log = get_logger("matrix.networks.http")
REQUESTS = counter("matrix_network_requests_total", "Network API requests, by network and outcome", ["network", "outcome"])
LATENCY = histogram("matrix_network_request_seconds", "Network API request latency", ["network"])


class AuthRejected(Exception):
    """401/403 from the network; carries the status and a short, secret-free body excerpt."""

    def __init__(self, status: int, excerpt: str) -> None:
        self.status = status
        self.excerpt = excerpt
        super().__init__(f"HTTP {status}: {excerpt}")


@dataclass
class Response:
    status: int
    headers: Mapping[str, str]
    text: str
    url: str


@dataclass
class Limiter:
    """Token bucket + daily quota for one network, shared by every client of it in one event loop."""

    bucket: TokenBucket
    quota: DailyQuota
    throttled: int = 0  # 429s and exhausted windows seen, for reports and tests
    extra: dict[str, Any] = field(default_factory=dict)


_LIMITERS: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, Limiter]]" = weakref.WeakKeyDictionary()


def limiter_for(network: str, cfg: NetworkSettings) -> Limiter:
    """One limiter per network per event loop: Everflow's limit is shared across keys, and two
    clients of one network in one process must not each believe they own the whole rate."""
    loop = asyncio.get_running_loop()
    per_loop = _LIMITERS.setdefault(loop, {})
    lim = per_loop.get(network)
    if lim is None:
        lim = Limiter(TokenBucket(cfg.requests_per_second, cfg.burst, cfg.max_concurrency), DailyQuota(cfg.daily_quota))
        per_loop[network] = lim
    return lim


class ApiTransport:
    """aiohttp session + limiter + retry policy for one network."""

    def __init__(self, network: str, cfg: NetworkSettings, *, session: aiohttp.ClientSession | None = None,
                 limiter: Limiter | None = None, retry: RetryPolicy | None = None,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.network = network
        self.cfg = cfg
        self._session = session
        self._own_session = session is None
        self._limiter = limiter
        self.retry = retry or RetryPolicy(max_retries=cfg.max_retries, base_s=cfg.backoff_base_s, max_s=cfg.backoff_max_s)
        self._sleep = sleep
        self.requests_sent = 0

    @property
    def limiter(self) -> Limiter:
        """The injected limiter, else this network's limiter for the running event loop."""
        return self._limiter if self._limiter is not None else limiter_for(self.network, self.cfg)

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.cfg.timeout_s))
            self._own_session = True
        return self._session

    async def aclose(self) -> None:
        if self._own_session and self._session is not None and not self._session.closed:
            await self._session.close()

    def _watch_window(self, headers: Mapping[str, str]) -> float | None:
        """Pause the bucket when the server says this window's requests are used up."""
        remaining = headers.get("X-RateLimit-Remaining")
        reset = parse_rate_limit_reset(headers.get("X-RateLimit-Reset"))
        if remaining is not None and reset is not None:
            try:
                left = float(remaining)
            except ValueError:
                return None
            if left <= 0:
                self.limiter.bucket.penalize(reset)
                self.limiter.throttled += 1
                return reset
        return None

    async def request(self, method: str, url: str, *, endpoint: str, params: Any = None,
                      headers: Mapping[str, str] | None = None, data: Any = None, json_body: Any = None,
                      auth: aiohttp.BasicAuth | None = None) -> Response:
        """Send one logical request (with its retries). Raises AuthRejected, QuotaSpent, NetworkError."""
        attempt = 0
        while True:
            try:
                self.limiter.quota.take()
            except QuotaExceeded as exc:
                REQUESTS.labels(self.network, "quota").inc()
                raise QuotaSpent(self.network, endpoint, str(exc)) from None
            status: int | None = None
            retry_after: float | None = None
            problem: str
            try:
                async with self.limiter.bucket:
                    self.requests_sent += 1
                    with LATENCY.labels(self.network).time():
                        async with self._get_session().request(
                            method, url, params=params, headers=dict(headers or {}), data=data, json=json_body,
                            auth=auth, allow_redirects=True, max_redirects=5,
                        ) as resp:
                            status = resp.status
                            text = await resp.text(errors="replace")
                            resp_headers = resp.headers
                if status in (401, 403):
                    REQUESTS.labels(self.network, "auth").inc()
                    raise AuthRejected(status, " ".join(text.split())[:200])
                if 200 <= status < 300:
                    self._watch_window(resp_headers)
                    REQUESTS.labels(self.network, "ok").inc()
                    return Response(status, resp_headers, text, str(resp.url))
                retry_after = parse_retry_after(resp_headers.get("Retry-After")) or parse_rate_limit_reset(
                    resp_headers.get("X-RateLimit-Reset"))
                if status == 429:
                    self.limiter.throttled += 1
                    self.limiter.bucket.penalize(retry_after if retry_after is not None else self.retry.delay(attempt))
                problem = f"HTTP {status}: {' '.join(text.split())[:200]}"
            except aiohttp.ClientPayloadError as exc:
                status, problem = -1, f"truncated body: {exc}"
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                status, problem = None, f"{type(exc).__name__}: {exc}"
            transient = status is None or status == -1
            if not self.retry.should_retry(attempt, None if transient else status):
                REQUESTS.labels(self.network, "error").inc()
                if status == -1:
                    raise MalformedResponse(self.network, endpoint, problem)
                raise NetworkError(self.network, endpoint, f"{problem} (after {attempt + 1} attempts)", status=status)
            delay = self.retry.delay(attempt, retry_after)
            REQUESTS.labels(self.network, "retry").inc()
            log.warning("network request retry", extra={"network": self.network, "endpoint": endpoint,
                                                         "status": status, "attempt": attempt + 1, "delay_s": round(delay, 3)})
            await self._sleep(delay)
            attempt += 1

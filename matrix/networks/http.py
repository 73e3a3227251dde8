"""The network clients' view of matrix.http: a per-network limiter, daily quota and error mapping.

Sending, retries (tenacity + RetryPolicy), redirects and body caps are matrix.http's, the same
code the crawler runs; this module only adds what an API needs. Per request: take the daily
quota (fail fast when spent), wait for a token of the network's shared bucket, send, then
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

from matrix.config import NetworkSettings
from matrix.http import BasicAuth, BucketGate, ClientSession, Failure, HttpClient, HttpOptions
from matrix.networks.errors import MalformedResponse, NetworkError, QuotaSpent
from matrix.observability import counter, get_logger, histogram
from matrix.ratelimit import DailyQuota, QuotaExceeded, RetryPolicy, TokenBucket, parse_rate_limit_reset

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
    """matrix.http client + limiter + retry policy for one network."""

    def __init__(self, network: str, cfg: NetworkSettings, *, session: ClientSession | None = None,
                 limiter: Limiter | None = None, retry: RetryPolicy | None = None,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.network = network
        self.cfg = cfg
        self._limiter = limiter
        self.retry = retry or RetryPolicy(max_retries=cfg.max_retries, base_s=cfg.backoff_base_s, max_s=cfg.backoff_max_s)
        # APIs are contracted access, not crawled pages: no robots.txt; one bucket per network, any host
        self.http = HttpClient(HttpOptions(timeout_s=cfg.timeout_s, max_redirects=5, respect_robots=False),
                               retry=self.retry, session=session, sleep=sleep,
                               gate_for=lambda url: BucketGate(self.limiter.bucket))

    @property
    def limiter(self) -> Limiter:
        """The injected limiter, else this network's limiter for the running event loop."""
        return self._limiter if self._limiter is not None else limiter_for(self.network, self.cfg)

    @property
    def requests_sent(self) -> int:
        return self.http.requests_sent

    async def aclose(self) -> None:
        await self.http.aclose()

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

    def _take_quota(self, endpoint: str) -> None:
        try:
            self.limiter.quota.take()
        except QuotaExceeded as exc:
            REQUESTS.labels(self.network, "quota").inc()
            raise QuotaSpent(self.network, endpoint, str(exc)) from None

    def _on_retry(self, endpoint: str, failure: Failure, attempt: int, delay: float) -> None:
        if failure.status == 429:
            self.limiter.throttled += 1
        REQUESTS.labels(self.network, "retry").inc()
        log.warning("network request retry", extra={"network": self.network, "endpoint": endpoint,
                                                     "status": failure.status, "attempt": attempt, "delay_s": round(delay, 3)})

    async def request(self, method: str, url: str, *, endpoint: str, params: Any = None,
                      headers: Mapping[str, str] | None = None, data: Any = None, json_body: Any = None,
                      auth: BasicAuth | None = None) -> Response:
        """Send one logical request (with its retries). Raises AuthRejected, QuotaSpent, NetworkError."""
        with LATENCY.labels(self.network).time():
            resp = await self.http.fetch(url, method, params=params, headers=headers, data=data, json_body=json_body,
                                         auth=auth, use_cache=False,
                                         on_retry=lambda f, a, d: self._on_retry(endpoint, f, a, d),
                                         before_attempt=lambda: self._take_quota(endpoint))
        if resp.ok:
            self._watch_window(resp.headers)
            REQUESTS.labels(self.network, "ok").inc()
            text = resp.text if resp.text is not None else (resp.body or b"").decode("utf-8", "replace")
            return Response(resp.status or 0, resp.headers, text, resp.final_url or resp.url)
        if resp.status in (401, 403):
            REQUESTS.labels(self.network, "auth").inc()
            raise AuthRejected(resp.status, resp.detail[:200])
        if resp.status == 429:
            self.limiter.throttled += 1
        REQUESTS.labels(self.network, "error").inc()
        if resp.error == "truncated":
            raise MalformedResponse(self.network, endpoint, f"truncated body: {resp.detail}")
        problem = f"HTTP {resp.status}: {resp.detail[:200]}" if resp.status else f"{resp.error}: {resp.detail}"
        raise NetworkError(self.network, endpoint, f"{problem} (after {resp.attempts} attempts)", status=resp.status)

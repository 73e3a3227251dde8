"""Search backends for dorking: SearXNG's JSON API and the Brave Search API, behind one interface.

Why SearXNG first: it is self-hostable, aggregates several engines and answers
`GET /search?q=...&format=json` without per-query fees, so dorking stays cheap and under the
operator's control. Brave is the paid, keyed alternative. Both go through the same politeness
machinery as the crawler (matrix.ratelimit): a token bucket, exponential backoff with jitter,
and Retry-After honoured - a search engine that bans the bot would end dorking for everyone.
"""

from __future__ import annotations

import abc
import asyncio
import math
from typing import Any, Awaitable, Callable

import aiohttp

from matrix.dorking.queries import DorkQuery
from matrix.dorking.scoring import DorkHit
from matrix.observability import counter, get_logger
from matrix.ratelimit import RetryPolicy, TokenBucket, parse_retry_after

log = get_logger(__name__)
REQUESTS = counter("matrix_dork_requests_total", "Dork search requests, by backend and outcome", ["backend", "outcome"])


class DorkBackendError(RuntimeError):
    """The search backend cannot answer (misconfigured, refused, or still failing after retries)."""


class DorkBackend(abc.ABC):
    """One search engine. Use as `async with backend:` so its HTTP session and rate limit live in one loop."""

    name = "base"
    page_size = 10
    max_pages = 5

    def __init__(self, url: str, *, requests_per_second: float = 0.5, burst: int = 1, timeout_s: float = 15.0,
                 retry: RetryPolicy | None = None, user_agent: str = "AffiliateMatrixBot/0.1",
                 api_key: str | None = None, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        if not url:
            raise DorkBackendError(f"{self.name}: no url configured (triggers.dorking.url)")
        self.url = url.rstrip("/")
        self.rate, self.burst = requests_per_second, burst
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)
        self.retry = retry or RetryPolicy(max_retries=3, base_s=2.0, max_s=60.0)
        self.user_agent = user_agent
        self.api_key = api_key
        self._sleep = sleep
        self._session: aiohttp.ClientSession | None = None
        self.bucket: TokenBucket | None = None
        self.requests = 0

    async def __aenter__(self) -> "DorkBackend":
        self._session = aiohttp.ClientSession(timeout=self.timeout, headers={"User-Agent": self.user_agent,
                                                                            "Accept": "application/json"})
        self.bucket = TokenBucket(self.rate, self.burst, max_concurrency=1)
        return self

    async def __aexit__(self, *exc: Any) -> None:
        if self._session is not None:
            await self._session.close()
        self._session = None

    # -- engine specifics ----------------------------------------------------------------------
    @abc.abstractmethod
    def request(self, q: str, page: int, count: int) -> tuple[str, dict[str, Any], dict[str, str]]:
        """(url, params, headers) of one results page (page counts from 1)."""

    @abc.abstractmethod
    def results(self, payload: Any) -> list[dict[str, str]]:
        """Result dicts with url, title, snippet, engine from one decoded JSON page."""

    # -- shared machinery ----------------------------------------------------------------------
    async def search(self, query: DorkQuery, limit: int) -> list[DorkHit]:
        """Up to `limit` hits for one query; pages until enough, an empty page, or `max_pages`."""
        hits: list[DorkHit] = []
        seen: set[str] = set()
        pages = min(self.max_pages, max(1, math.ceil(limit / self.page_size)))
        for page in range(1, pages + 1):
            url, params, headers = self.request(query.text, page, min(self.page_size, limit))
            payload = await self._get_json(url, params, headers)
            rows = self.results(payload)
            for r in rows:
                u = (r.get("url") or "").strip()
                if not u.startswith(("http://", "https://")) or u in seen:
                    continue
                seen.add(u)
                hits.append(DorkHit(url=u, title=(r.get("title") or "").strip(), snippet=(r.get("snippet") or "").strip(),
                                    query=query.text, niche=query.niche, rank=len(hits), engine=r.get("engine") or self.name))
                if len(hits) >= limit:
                    return hits
            if len(rows) < min(self.page_size, limit):
                break
        return hits

    async def _get_json(self, url: str, params: dict[str, Any], headers: dict[str, str]) -> Any:
        if self._session is None or self.bucket is None:
            raise DorkBackendError(f"{self.name}: use `async with backend:` before searching")
        attempt = 0
        while True:
            status: int | None = None
            retry_after: float | None = None
            async with self.bucket:
                self.requests += 1
                try:
                    async with self._session.get(url, params=params, headers=headers, allow_redirects=False) as resp:
                        status = resp.status
                        retry_after = parse_retry_after(resp.headers.get("Retry-After"))
                        if status == 200:
                            try:
                                payload = await resp.json(content_type=None)
                            except ValueError as exc:
                                REQUESTS.labels(self.name, "bad_json").inc()
                                raise DorkBackendError(f"{self.name}: {url} did not return JSON ({exc})") from None
                            REQUESTS.labels(self.name, "ok").inc()
                            return payload
                        body = (await resp.text())[:200]
                except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                    body = f"{type(exc).__name__}: {exc}"
            REQUESTS.labels(self.name, str(status or "error")).inc()
            if status == 429 and retry_after:
                self.bucket.penalize(retry_after)
            if not self.retry.should_retry(attempt, status):
                raise DorkBackendError(self._explain(status, body))
            delay = self.retry.delay(attempt, retry_after)
            log.info("dork request retry", extra={"backend": self.name, "status": status, "attempt": attempt + 1,
                                                  "delay_s": round(delay, 2)})
            await self._sleep(delay)
            attempt += 1

    def _explain(self, status: int | None, body: str) -> str:
        return f"{self.name}: search failed (status {status if status is not None else 'none'}): {body}"


class SearxngBackend(DorkBackend):
    """SearXNG: `GET /search?q=&format=json&pageno=`; the instance must enable the json format."""

    name = "searxng"
    page_size = 10

    def request(self, q: str, page: int, count: int) -> tuple[str, dict[str, Any], dict[str, str]]:
        return f"{self.url}/search", {"q": q, "format": "json", "pageno": page, "safesearch": 0}, {}

    def results(self, payload: Any) -> list[dict[str, str]]:
        if not isinstance(payload, dict) or not isinstance(payload.get("results"), list):
            raise DorkBackendError("searxng: response has no `results` list")
        return [{"url": r.get("url"), "title": r.get("title"), "snippet": r.get("content"),
                 "engine": r.get("engine") or ",".join(r.get("engines") or [])}
                for r in payload["results"] if isinstance(r, dict)]

    def _explain(self, status: int | None, body: str) -> str:
        if status == 403:
            return ("searxng: 403 Forbidden - the instance does not serve JSON; add `json` to "
                    "search.formats in its settings.yml")
        return super()._explain(status, body)


class BraveBackend(DorkBackend):
    """Brave Search API: `GET /res/v1/web/search?q=&count=&offset=` with X-Subscription-Token."""

    name = "brave"
    page_size = 20

    def request(self, q: str, page: int, count: int) -> tuple[str, dict[str, Any], dict[str, str]]:
        if not self.api_key:
            raise DorkBackendError("brave: an API key is required (triggers.dorking.api_key_ref)")
        return (f"{self.url}/res/v1/web/search", {"q": q, "count": count, "offset": page - 1},
                {"X-Subscription-Token": self.api_key})

    def results(self, payload: Any) -> list[dict[str, str]]:
        web = payload.get("web") if isinstance(payload, dict) else None
        rows = (web or {}).get("results") or []
        return [{"url": r.get("url"), "title": r.get("title"), "snippet": r.get("description"), "engine": "brave"}
                for r in rows if isinstance(r, dict)]


BACKENDS: dict[str, type[DorkBackend]] = {"searxng": SearxngBackend, "brave": BraveBackend}


def build_backend(cfg: Any, user_agent: str = "AffiliateMatrixBot/0.1", api_key: str | None = None,
                  sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> DorkBackend:
    """A backend from `settings.triggers.dorking` (the API key, if any, is read by the caller)."""
    cls = BACKENDS.get(cfg.backend)
    if cls is None:
        raise DorkBackendError(f"triggers.dorking.backend = {cfg.backend!r}; allowed: {sorted(BACKENDS)}")
    retry = RetryPolicy(max_retries=cfg.max_retries, base_s=cfg.backoff_base_s, max_s=cfg.backoff_max_s)
    return cls(cfg.url or "", requests_per_second=cfg.requests_per_second, burst=cfg.burst, timeout_s=cfg.timeout_s,
               retry=retry, user_agent=user_agent, api_key=api_key, sleep=sleep)

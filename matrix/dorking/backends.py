"""Search backends for dorking: SearXNG's JSON API and the Brave Search API, behind one interface.

Why SearXNG first: it is self-hostable, aggregates several engines and answers
`GET /search?q=...&format=json` without per-query fees, so dorking stays cheap and under the
operator's control. Brave is the paid, keyed alternative. Both go through matrix.http, the client the crawler
uses: a token bucket, exponential backoff with jitter, and Retry-After honoured - a search
engine that bans the bot would end dorking for everyone.
"""

from __future__ import annotations

import abc
import asyncio
import json
import math
from typing import Any, Awaitable, Callable

from matrix.dorking.queries import DorkQuery
from matrix.dorking.scoring import DorkHit
from matrix.http import BucketGate, Failure, HttpClient, HttpOptions
from matrix.observability import counter, get_logger
from matrix.ratelimit import RetryPolicy, TokenBucket

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
        self.timeout_s = timeout_s
        self.retry = retry or RetryPolicy(max_retries=3, base_s=2.0, max_s=60.0)
        self.user_agent = user_agent
        self.api_key = api_key
        self._sleep = sleep
        self._http: HttpClient | None = None
        self.bucket: TokenBucket | None = None

    @property
    def requests(self) -> int:
        """Requests sent on the wire (retries included) since the backend was opened."""
        return self._http.requests_sent if self._http is not None else 0

    async def __aenter__(self) -> "DorkBackend":
        bucket = self.bucket = TokenBucket(self.rate, self.burst, max_concurrency=1)
        # a search API is not a crawled site: no robots.txt (SearXNG disallows /search for crawlers)
        options = HttpOptions(user_agent=self.user_agent, timeout_s=self.timeout_s, respect_robots=False)
        self._http = HttpClient(options, retry=self.retry, sleep=self._sleep, headers={"Accept": "application/json"},
                                gate_for=lambda url: BucketGate(bucket))
        await self._http.__aenter__()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        if self._http is not None:
            await self._http.aclose()

    # -- engine specifics ----------------------------------------------------------------------
    @abc.abstractmethod
    def request(self, q: str, page: int, count: int) -> tuple[str, dict[str, Any], dict[str, str]]:
        """(url, params, headers) of one results page (page counts from 1)."""

    @abc.abstractmethod
    def results(self, payload: Any) -> list[dict[str, Any]]:
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
        if self._http is None or self.bucket is None:
            raise DorkBackendError(f"{self.name}: use `async with backend:` before searching")

        def on_retry(failure: Failure, attempt: int, delay: float) -> None:
            REQUESTS.labels(self.name, str(failure.status or "error")).inc()
            log.info("dork request retry", extra={"backend": self.name, "status": failure.status, "attempt": attempt,
                                                  "delay_s": round(delay, 2)})

        resp = await self._http.fetch(url, params=params, headers=headers, use_cache=False, on_retry=on_retry)
        if not resp.ok:
            REQUESTS.labels(self.name, str(resp.status or "error")).inc()
            raise DorkBackendError(self._explain(resp.status, resp.detail[:200] or resp.error or ""))
        try:
            payload = json.loads(resp.body or b"")
        except ValueError as exc:
            REQUESTS.labels(self.name, "bad_json").inc()
            raise DorkBackendError(f"{self.name}: {url} did not return JSON ({exc})") from None
        REQUESTS.labels(self.name, "ok").inc()
        return payload

    def _explain(self, status: int | None, body: str) -> str:
        return f"{self.name}: search failed (status {status if status is not None else 'none'}): {body}"


class SearxngBackend(DorkBackend):
    """SearXNG: `GET /search?q=&format=json&pageno=`; the instance must enable the json format."""

    name = "searxng"
    page_size = 10

    def request(self, q: str, page: int, count: int) -> tuple[str, dict[str, Any], dict[str, str]]:
        return f"{self.url}/search", {"q": q, "format": "json", "pageno": page, "safesearch": 0}, {}

    def results(self, payload: Any) -> list[dict[str, Any]]:
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

    def results(self, payload: Any) -> list[dict[str, Any]]:
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

"""The crawler every scraper uses: matrix.http's polite client plus the source's `CrawlReport`.

Politeness and resilience (per-host buckets and priority gates, robots.txt, retries honouring
Retry-After, redirect limit, body cap, charset, the freshness + conditional cache) live once in
`matrix.http.HttpClient`; this class adds what a crawl needs on top: counting every page in the
report, the fetch-time histogram, and rendering JavaScript pages in the browser pool under the
same host gate and robots rules. Nothing here raises for one bad page: `fetch` returns a
`Response` with `error` set and the `CrawlReport` counts and logs it.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from matrix.config import RateLimit, Settings
from matrix.http import (
    PRIORITY_DETAIL,
    PRIORITY_LIST,
    Failure,
    HostGate,
    HttpClient,
    HttpOptions,
    Response,
    decode_body,
    host_of,
    retrying,
)
from matrix.observability import get_logger, histogram
from matrix.ratelimit import RetryPolicy
from matrix.sources.httpcache import HttpCache
from matrix.sources.report import CrawlReport

log = get_logger("matrix.sources.crawler")
FETCH_SECONDS = histogram("matrix_crawl_fetch_seconds", "Time per fetched page including retries", ["source"])

__all__ = ["PRIORITY_DETAIL", "PRIORITY_LIST", "Crawler", "HostGate", "Response", "decode_body", "host_of"]


class Crawler(HttpClient):
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
        self.report = report or CrawlReport()
        retry = retry or RetryPolicy(max_retries=self.crawl.max_retries, base_s=self.crawl.backoff_base_s,
                                     max_s=self.crawl.backoff_max_s)
        super().__init__(HttpOptions.from_crawl(self.crawl), rate_limit=rate_limit or self.crawl.default_rate_limit,
                         host_limits=host_limits, cache=cache, retry=retry, stats=self.report)
        self.started = time.monotonic()

    async def fetch(  # type: ignore[override]  # the crawl's narrower signature: report-counted pages
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
        cached = self.crawl.http_cache and self.cache is not None and (use_cache is None or use_cache)
        resp = await super().fetch(url, method, json_body=json_body, headers=headers, use_cache=cached, priority=priority)
        FETCH_SECONDS.labels(self.report.source).observe(time.monotonic() - t0)
        if resp.error:
            self.report.fail(url, resp.error, resp.detail)
        elif resp.not_modified:
            self.report.not_modified += 1
        else:
            self.report.ok += 1
        return resp

    async def render(self, url: str, renderer: Any, wait_for: str | None = None,
                     priority: int = PRIORITY_DETAIL) -> Response:
        """Render a JavaScript page in the browser pool under the same host gate and robots rules."""
        if not await self.allowed(url):
            self.report.fail(url, "robots_disallowed")
            return Response(url=url, error="robots_disallowed")

        def count_retry(failure: Failure, attempt: int, delay: float) -> None:
            self.report.retries += 1

        try:
            async for attempt in retrying(self.retry, asyncio.sleep, count_retry):
                with attempt:
                    return await self._render_once(url, renderer, wait_for, priority)
        except Failure as f:
            self.report.fail(url, f.reason, f.detail)
            return Response(url=url, error=f.reason, detail=f.detail)
        raise AssertionError("unreachable: tenacity either returns or re-raises")  # pragma: no cover

    async def _render_once(self, url: str, renderer: Any, wait_for: str | None, priority: int) -> Response:
        async with self.gate(url).slot(priority):
            self.report.request("render")
            try:
                html, final = await renderer.render(url, wait_for=wait_for, timeout_s=self.crawl.timeout_s)
            except Exception as exc:  # noqa: BLE001 - a browser can fail in many ways; all are one page's failure
                reason = "render_timeout" if "timeout" in str(exc).lower() else "render_error"
                raise Failure(reason, str(exc), None, retryable=True) from exc
        self.report.ok += 1
        self.report.bytes_downloaded += len(html.encode())
        return Response(url=url, status=200, final_url=final, text=html, content_type="text/html")

"""The walk every HTML directory shares: list pages -> pagination -> detail pages -> records.

Subclasses describe one site (where the list links and the next-page link are, how a detail
page reads); this class does the polite crawling (`Crawler`, optional `BrowserRenderer`), the
conditional-request shortcuts and the layout-drift bookkeeping.

Unchanged pages: a list page answered 304 reuses the links remembered in the HTTP cache; a
detail page answered 304 is yielded with `meta["records"]` from the cache, which `parse` returns
as is, so an unchanged page costs neither a download nor a parse. Records are remembered by
`remember(page, records)`, which `listings()` calls and which the ingest job may call too.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from contextlib import AsyncExitStack
from typing import Any, AsyncIterator, Callable, Iterator
from urllib.parse import urljoin

from matrix.config import Settings, SourceSettings
from matrix.models import Listing, utcnow
from matrix.sources.base import Page, Source, SourceError
from matrix.sources.crawler import Crawler, Response
from matrix.sources.extract import soup_of
from matrix.sources.httpcache import HttpCache
from matrix.sources.report import CrawlReport


def iterate_async(factory: Callable[[], AsyncIterator[Any]]) -> Iterator[Any]:
    """Drive an async generator from sync code on a private event loop, one item at a time."""
    loop = asyncio.new_event_loop()
    agen = factory()
    try:
        while True:
            try:
                item = loop.run_until_complete(agen.__anext__())
            except StopAsyncIteration:
                break
            yield item
    finally:
        try:
            loop.run_until_complete(agen.aclose())
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            loop.close()


class CrawledSource(Source):
    """A source fetched over HTTP by the shared crawler. Subclasses implement `_pages(crawler)`."""

    default_path: str = "/"
    required: tuple[str, ...] = ("name",)

    def __init__(self, cfg: SourceSettings, settings: Settings) -> None:
        super().__init__(cfg, settings)
        self.report = CrawlReport(source=cfg.name)

    # -- configuration ----------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        if not self.cfg.url:
            raise SourceError(f"sources.{self.name}.url is not set; a {self.kind} source needs the site's base URL")
        return self.cfg.url.rstrip("/") + "/"

    def start_url(self) -> str:
        return urljoin(self.base_url, str(self.cfg.options.get("start_path", self.default_path)).lstrip("/"))

    def cache(self) -> HttpCache | None:
        if not self.settings.crawl.http_cache:
            return None
        return HttpCache(self.settings.path("http_cache", self.name))

    def _crawler(self) -> Crawler:
        return Crawler(self.settings, self.cfg.rate_limit, report=self.report, cache=self.cache())

    # -- the three steps --------------------------------------------------------------------
    def fetch_pages(self) -> Iterator[Page]:
        self.report = CrawlReport(source=self.name)

        async def run() -> AsyncIterator[Page]:
            async with AsyncExitStack() as stack:
                crawler = await stack.enter_async_context(self._crawler())
                renderer = None
                if self.cfg.render_js:
                    from matrix.sources.browser import BrowserRenderer

                    renderer = await stack.enter_async_context(BrowserRenderer(self.settings))
                async for page in self._pages(crawler, renderer):
                    self.report.pages_yielded += 1
                    yield page

        yield from iterate_async(run)

    async def _pages(self, crawler: Crawler, renderer: Any) -> AsyncIterator[Page]:  # pragma: no cover - abstract
        raise NotImplementedError
        yield  # noqa

    def page_from(self, resp: Response, kind: str) -> Page:
        meta: dict[str, Any] = {"status": resp.status, "final_url": resp.final_url, "not_modified": resp.not_modified,
                                "cache_key": resp.cache_key}
        if resp.not_modified and "records" in resp.derived:
            meta["records"] = resp.derived["records"]
        return Page(source=self.name, url=resp.url, body=resp.text if resp.text is not None else (resp.body or b""),
                    content_type=resp.content_type or "text/html", status=resp.status or 0, kind=kind, meta=meta,
                    fetched_at=utcnow())

    def remember(self, page: Page, records: list[dict[str, Any]]) -> None:
        """Store parsed records beside the cached body, so a 304 next crawl skips the parse."""
        key = page.meta.get("cache_key")
        cache = self.cache()
        if key and cache is not None and not page.meta.get("records"):
            cache.set_derived(key, "records", records)

    def parse(self, page: Page) -> list[dict[str, Any]]:
        if page.meta.get("records") is not None:
            return list(page.meta["records"])
        records = self.parse_body(page)
        for r in records:
            missing = [f for f in self.required if not r.get(f)]
            if missing:
                r["_missing"] = missing
            r.setdefault("_url", page.url)
        return records

    def parse_body(self, page: Page) -> list[dict[str, Any]]:  # pragma: no cover - abstract
        raise NotImplementedError

    def listings(self) -> Iterator[Listing]:
        for page in self.fetch_pages():
            records = self.parse(page)
            self.remember(page, records)
            for raw in records:
                if raw.get("_missing"):
                    self.report.drift(page.url, raw["_missing"])
                try:
                    yield self.to_listing(raw, page.fetched_at)
                except (ValueError, KeyError) as exc:
                    self.report.fail(page.url, "unusable_record", str(exc))


class DirectorySource(CrawledSource):
    """List pages with pagination, each linking detail pages that hold one program each."""

    default_path = "/"
    detail_pattern: str = r"."
    list_wait_for: str | None = None
    detail_wait_for: str | None = None
    required = ("name", "commission")

    def max_list_pages(self) -> int:
        return int(self.cfg.options.get("max_list_pages", 1000))

    def list_links(self, html: str, url: str) -> tuple[list[str], str | None]:
        """Detail URLs and the next list page on one list page (structure-based, see extract.py)."""
        from matrix.sources.extract import links_matching, next_page

        soup = soup_of(html)
        return links_matching(soup, self.detail_pattern, url), next_page(soup, url)

    async def _get(self, crawler: Crawler, renderer: Any, url: str, wait_for: str | None) -> Response:
        if renderer is not None:
            return await crawler.render(url, renderer, wait_for=wait_for)
        return await crawler.fetch(url)

    async def _pages(self, crawler: Crawler, renderer: Any) -> AsyncIterator[Page]:
        url: str | None = self.start_url()
        seen_lists: set[str] = set()
        seen_details: set[str] = set()
        limit = self.cfg.max_pages
        tasks: set[asyncio.Task] = set()
        n_lists = 0
        cache = crawler.cache
        while url and url not in seen_lists and n_lists < self.max_list_pages():
            seen_lists.add(url)
            n_lists += 1
            resp = await self._get(crawler, renderer, url, self.list_wait_for)
            if not resp.ok:
                break  # the chain of list pages is broken; details already found still come
            if resp.not_modified and "links" in resp.derived:
                links, nxt = resp.derived["links"], resp.derived.get("next")
            else:
                links, nxt = self.list_links(resp.text or "", resp.final_url or url)
                if cache is not None and resp.cache_key:
                    cache.set_derived(resp.cache_key, "links", links)
                    cache.set_derived(resp.cache_key, "next", nxt)
            if not links:
                crawler.report.drift(url, ["detail_links"])
            for link in links:
                if link in seen_details or (limit is not None and len(seen_details) >= limit):
                    continue
                seen_details.add(link)
                tasks.add(asyncio.ensure_future(self._get(crawler, renderer, link, self.detail_wait_for)))
            done = {t for t in tasks if t.done()}
            tasks -= done
            for t in done:
                r = t.result()
                if r.ok:
                    yield self.page_from(r, "detail")
            if limit is not None and len(seen_details) >= limit:
                break
            url = nxt
        for fut in asyncio.as_completed(list(tasks)):
            r = await fut
            if r.ok:
                yield self.page_from(r, "detail")

    def parse_body(self, page: Page) -> list[dict[str, Any]]:
        if page.kind != "detail":
            return []
        body = page.body.decode("utf-8", "replace") if isinstance(page.body, bytes) else page.body
        return [self.parse_detail(soup_of(body), page.url)]

    def parse_detail(self, soup: Any, url: str) -> dict[str, Any]:  # pragma: no cover - abstract
        raise NotImplementedError

    @staticmethod
    def slug(url: str) -> str:
        from urllib.parse import urlsplit

        parts = [p for p in urlsplit(url).path.split("/") if p]
        return parts[-1] if parts else url


def now() -> dt.datetime:
    return utcnow()

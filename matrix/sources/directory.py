"""The walk every HTML directory shares: list pages -> pagination -> detail pages -> records.

Subclasses describe one site (where the list links and the next-page link are, how a detail
page reads); this class does the polite crawling (`Crawler`, optional `BrowserRenderer`), the
conditional-request shortcuts and the layout-drift bookkeeping.

Throughput: the crawl runs on its own event loop in a background thread and hands pages to the
caller through a bounded queue, so whatever the caller does with a page (parse, normalize,
ship to Ray) never stalls the loop that paces the hosts; `fetch_concurrently` drives several
sources on one loop. List pages are fetched ahead of detail pages (`HostGate` priorities) and
cache writes go to a writer thread, so a host's rate budget is never left unused while the
crawler is busy with itself.

Unchanged pages: a list page answered 304 reuses the links remembered in the HTTP cache; a
detail page answered 304 is yielded with `meta["records"]` (what `parse` produced from the same
body last time, checked against the body hash and the parser's code fingerprint), which `parse`
returns as is. `parse` itself remembers what it parsed, wherever it runs, so neither the ingest
job nor any other caller needs a special case for cached pages.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import inspect
import json
import queue
import threading
import time
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any, AsyncGenerator, AsyncIterator, Callable, Iterable, Iterator
from urllib.parse import urljoin

from matrix.config import Settings, SourceSettings
from matrix.models import Listing, utcnow
from matrix.sources.base import Page, Source, SourceError
from matrix.sources.crawler import PRIORITY_DETAIL, PRIORITY_LIST, Crawler, Response
from matrix.sources.extract import soup_of
from matrix.sources.httpcache import HttpCache
from matrix.sources.report import CrawlReport

_END = object()
_FINGERPRINTS: dict[type, str] = {}


class _Raised:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


def iterate_async(factory: Callable[[], AsyncGenerator[Any, None]], maxsize: int = 256) -> Iterator[Any]:
    """Drive an async generator on a private event loop in a background thread; yield its items here.

    Why a thread: the loop keeps fetching (and pacing hosts) while the caller works on the item
    it was handed; at most `maxsize` items wait, so a slow caller slows the crawl instead of
    filling memory. Exceptions from the generator are re-raised here; closing this iterator
    early cancels the crawl cleanly.
    """
    handoff: queue.Queue = queue.Queue()
    loop = asyncio.new_event_loop()
    state: dict[str, Any] = {}

    async def pump() -> None:
        free = state["free"] = asyncio.Semaphore(maxsize)
        agen = factory()
        try:
            async for item in agen:
                await free.acquire()
                handoff.put(item)
        except asyncio.CancelledError:
            pass
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, which re-raises
            handoff.put(_Raised(exc))
        finally:
            await agen.aclose()
            handoff.put(_END)

    def run() -> None:
        try:
            state["task"] = loop.create_task(pump())
            loop.run_until_complete(state["task"])
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            loop.close()

    thread = threading.Thread(target=run, name="crawl-loop", daemon=True)
    thread.start()
    finished = False
    try:
        while True:
            item = handoff.get()
            if item is _END:
                finished = True
                return
            if isinstance(item, _Raised):
                finished = True
                raise item.exc
            try:
                loop.call_soon_threadsafe(state["free"].release)
            except RuntimeError:  # the crawl already ended and closed its loop; nothing waits
                pass
            yield item
    finally:
        if not finished:
            try:
                loop.call_soon_threadsafe(state["task"].cancel)
            except RuntimeError:  # loop already closed
                pass
            while handoff.get() is not _END:  # drain until the pump has cleaned up
                pass
        thread.join()


def fetch_concurrently(sources: Iterable["Source"], maxsize: int = 1024) -> Iterator[Page]:
    """Pages of several sources, all crawled concurrently on ONE event loop (each with its own
    crawler, hosts and report). Non-HTTP sources are read first, in this thread."""
    crawled = [s for s in sources if isinstance(s, CrawledSource)]
    for s in sources:
        if not isinstance(s, CrawledSource):
            yield from s.fetch_pages()

    async def merged() -> AsyncGenerator[Page, None]:
        out: asyncio.Queue = asyncio.Queue(maxsize)

        async def drain(src: CrawledSource) -> None:
            async for page in src.apages():
                await out.put(page)

        tasks = [asyncio.ensure_future(drain(s)) for s in crawled]
        waiter = asyncio.ensure_future(asyncio.gather(*tasks))
        try:
            while True:
                getter = asyncio.ensure_future(out.get())
                done, _ = await asyncio.wait({getter, waiter}, return_when=asyncio.FIRST_COMPLETED)
                if getter in done:
                    yield getter.result()
                    continue
                getter.cancel()
                while not out.empty():
                    yield out.get_nowait()
                waiter.result()  # re-raise a source's failure
                return
        finally:
            for t in tasks:
                t.cancel()
            waiter.cancel()

    yield from iterate_async(merged, maxsize)


def parser_fingerprint(cls: type) -> str:
    """Hash of the code that turns a body into records (the class's modules + extract.py):
    records cached by an older parser are never handed out after the parser changed."""
    fp = _FINGERPRINTS.get(cls)
    if fp is None:
        h = hashlib.blake2b(digest_size=8)
        from matrix.sources import extract, layout

        files = {inspect.getsourcefile(k) for k in cls.__mro__ if k.__module__.startswith("matrix.")}
        files.add(inspect.getsourcefile(extract))
        files.add(inspect.getsourcefile(layout))
        files.add(str(Path(__file__).parent.parent / "data" / "sources" / "field_labels.yaml"))  # beside layout.py
        for f in sorted(x for x in files if x):
            with open(f, "rb") as fh:
                h.update(fh.read())
        fp = _FINGERPRINTS[cls] = h.hexdigest()
    return fp


class CrawledSource(Source):
    """A source fetched over HTTP by the shared crawler. Subclasses implement `_pages(crawler)`."""

    default_path: str = "/"
    required: tuple[str, ...] = ("name",)

    def __init__(self, cfg: SourceSettings, settings: Settings) -> None:
        super().__init__(cfg, settings)
        self.report = CrawlReport(source=cfg.name)
        self._http_cache: HttpCache | None = None

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
        if self._http_cache is None:
            self._http_cache = HttpCache(self.settings.path("http_cache", self.name))
        return self._http_cache

    def _crawler(self) -> Crawler:
        return Crawler(self.settings, self.cfg.rate_limit, report=self.report, cache=self.cache())

    # -- the three steps --------------------------------------------------------------------
    def fetch_pages(self) -> Iterator[Page]:
        yield from iterate_async(self.apages)

    async def apages(self) -> AsyncGenerator[Page, None]:
        """The crawl as an async generator (what `fetch_pages` and `fetch_concurrently` drive)."""
        self.report = CrawlReport(source=self.name)
        t0 = time.monotonic()
        try:
            async with AsyncExitStack() as stack:
                crawler = await stack.enter_async_context(self._crawler())
                renderer = None
                if self.cfg.render_js:
                    from matrix.sources.browser import BrowserRenderer

                    renderer = await stack.enter_async_context(BrowserRenderer(self.settings))
                async for page in self._pages(crawler, renderer):
                    self.report.pages_yielded += 1
                    yield page
        finally:
            self.report.elapsed_s = time.monotonic() - t0

    async def _pages(self, crawler: Crawler, renderer: Any) -> AsyncIterator[Page]:  # pragma: no cover - abstract
        raise NotImplementedError
        yield  # noqa

    def page_from(self, resp: Response, kind: str) -> Page:
        meta: dict[str, Any] = {"status": resp.status, "final_url": resp.final_url, "not_modified": resp.not_modified,
                                "cache_key": resp.cache_key, "body_hash": resp.body_hash}
        if resp.not_modified and resp.cache_key:
            records = self._cached_records(resp.cache_key, resp.body_hash)
            if records is not None:
                meta["records"] = records
        return Page(source=self.name, url=resp.url, body=resp.text if resp.text is not None else (resp.body or b""),
                    content_type=resp.content_type or "text/html", status=resp.status or 0, kind=kind, meta=meta,
                    fetched_at=utcnow())

    def _cached_records(self, key: str, digest: str | None) -> list[dict[str, Any]] | None:
        cache = self.cache()
        doc = cache.get_records(key) if cache is not None else None
        if not doc or not digest or doc.get("body_hash") != digest or doc.get("parser") != parser_fingerprint(type(self)):
            return None
        records = doc.get("records")
        return records if isinstance(records, list) else None

    def remember(self, page: Page, records: list[dict[str, Any]]) -> None:
        """Store parsed records beside the cached body, so a 304 next crawl skips the parse.
        `parse` calls this itself; a failed write only costs a parse next time."""
        key, digest = page.meta.get("cache_key"), page.meta.get("body_hash")
        cache = self.cache()
        if not key or not digest or cache is None or page.meta.get("records") is not None:
            return
        try:
            cache.put_records(key, {"body_hash": digest, "parser": parser_fingerprint(type(self)), "records": records})
        except OSError:
            pass

    def parse(self, page: Page) -> list[dict[str, Any]]:
        if page.meta.get("records") is not None:
            return [dict(r) for r in page.meta["records"]]
        records = self.parse_body(page)
        for r in records:
            if r.get("_error"):  # a malformed record: counted as failed when normalized, not as drift
                r.setdefault("_url", page.url)
                continue
            missing = [f for f in self.required if not r.get(f)]
            if missing:
                r["_missing"] = missing
            r.setdefault("_url", page.url)
        self.remember(page, records)
        return records

    def parse_body(self, page: Page) -> list[dict[str, Any]]:  # pragma: no cover - abstract
        raise NotImplementedError

    def listings(self) -> Iterator[Listing]:
        """Fetch -> parse -> normalize in-process. Each record is normalized on its own (a bad one is
        counted with its id and the rest go on); per-field fill and drift land in `report.fields`."""
        from matrix.sources import drift

        tracker = drift.DriftTracker(self.name, drift.tracked_fields(self))
        for page in self.fetch_pages():
            records = self.parse(page)
            for raw in records:
                if raw.get("_missing"):
                    self.report.drift(page.url, raw["_missing"])
                try:
                    listing = self.to_listing(raw, page.fetched_at)
                except Exception as exc:  # noqa: BLE001 - one malformed record never stops the page
                    tracker.fail()
                    rid = record_id(raw)
                    self.report.fail(page.url, "unusable_record", f"record {rid}: {type(exc).__name__}: {exc}")
                    continue
                tracker.observe(raw, listing)
                yield listing
        self.report.fields = drift.finish(tracker, self.settings, self.cfg.options)


def record_id(raw: Any) -> str:
    """The id a log line names a record by (whatever id-like key the source's records carry);
    `raw` may be the record or its JSON text."""
    if isinstance(raw, (str, bytes)):
        try:
            raw = json.loads(raw)
        except ValueError:
            return "?"
    if isinstance(raw, dict):
        for k in ("id", "slug", "Id", "offer_id", "source_id", "name", "url"):
            if raw.get(k) not in (None, ""):
                return str(raw[k])
    return "?"


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
        from matrix.sources.extract import list_page_links

        return list_page_links(html, self.detail_pattern, url)

    # Detail fetches queued at once per source: list pages run ahead of the details by at most
    # this many links, which keeps every host busy without holding a whole site in tasks.
    max_pending_details: int = 512

    async def _get(self, crawler: Crawler, renderer: Any, url: str, wait_for: str | None,
                   priority: int = PRIORITY_DETAIL) -> Response:
        if renderer is not None:
            return await crawler.render(url, renderer, wait_for=wait_for, priority=priority)
        return await crawler.fetch(url, priority=priority)

    async def _walk_lists(self, crawler: Crawler, renderer: Any, spawn: Callable[[str], Any]) -> None:
        """Follow the list-page chain (served before detail pages), spawning one fetch per new link."""
        url: str | None = self.start_url()
        seen_lists: set[str] = set()
        seen_details: set[str] = set()
        limit = self.cfg.max_pages
        n_lists = 0
        cache = crawler.cache
        while url and url not in seen_lists and n_lists < self.max_list_pages():
            seen_lists.add(url)
            n_lists += 1
            resp = await self._get(crawler, renderer, url, self.list_wait_for, priority=PRIORITY_LIST)
            if not resp.ok:
                return  # the chain of list pages is broken; details already found still come
            if resp.not_modified and "links" in resp.derived:
                links, nxt = resp.derived["links"], resp.derived.get("next")
            else:
                links, nxt = self.list_links(resp.text or "", resp.final_url or url)
                if cache is not None and resp.cache_key:
                    crawler.defer(cache.set_derived, resp.cache_key, "links", links)
                    crawler.defer(cache.set_derived, resp.cache_key, "next", nxt)
            if not links:
                crawler.report.drift(url, ["detail_links"])
            for link in links:
                if link in seen_details or (limit is not None and len(seen_details) >= limit):
                    continue
                seen_details.add(link)
                await spawn(link)
            if limit is not None and len(seen_details) >= limit:
                return
            url = nxt

    async def _pages(self, crawler: Crawler, renderer: Any) -> AsyncIterator[Page]:
        done: asyncio.Queue = asyncio.Queue()
        room = asyncio.Semaphore(self.max_pending_details)
        tasks: set[asyncio.Task] = set()
        outstanding = 0  # spawned detail fetches whose result was not taken yet (each puts exactly one)

        async def detail(link: str) -> None:
            r = None
            try:
                r = await self._get(crawler, renderer, link, self.detail_wait_for)
            except Exception as exc:  # noqa: BLE001 - one page's bug never stops a crawl
                crawler.report.fail(link, "internal_error", f"{type(exc).__name__}: {exc}")
            finally:
                room.release()
            done.put_nowait(r)  # always, so the consumer never waits for a page that is not coming

        async def spawn(link: str) -> None:
            nonlocal outstanding
            await room.acquire()
            outstanding += 1
            t = asyncio.ensure_future(detail(link))
            tasks.add(t)
            t.add_done_callback(tasks.discard)

        walker = asyncio.ensure_future(self._walk_lists(crawler, renderer, spawn))
        try:
            while True:
                if not done.empty():
                    r = done.get_nowait()
                    outstanding -= 1
                    if r is not None and r.ok:
                        yield self.page_from(r, "detail")
                    continue
                if walker.done() and outstanding == 0:
                    break
                getter = asyncio.ensure_future(done.get())
                finished, _ = await asyncio.wait({getter} if walker.done() else {getter, walker},
                                                 return_when=asyncio.FIRST_COMPLETED)
                if getter in finished:
                    done.put_nowait(getter.result())  # handled at the top, in arrival order
                else:
                    getter.cancel()
            walker.result()  # a bug in the walk surfaces instead of silently ending the crawl
        finally:
            walker.cancel()
            for t in list(tasks):
                t.cancel()

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


class SpecDirectorySource(DirectorySource):
    """A directory described as data (`spec`, a `SiteSpec`) and read by the one generic extractor
    (matrix.sources.layout). A site module is its spec plus `quirks()` for what really differs."""

    spec: Any = None  # SiteSpec

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        spec = cls.__dict__.get("spec")
        if spec is not None:
            cls.kind = spec.kind
            cls.default_path = spec.list_path
            cls.detail_pattern = spec.detail_pattern
            cls.required = spec.required
            cls.list_wait_for = spec.list_wait_for
            cls.detail_wait_for = spec.detail_wait_for

    def reader(self) -> Any:
        rd = self.__dict__.get("_reader")
        if rd is None:
            from matrix.sources.layout import LayoutReader

            rd = self.__dict__["_reader"] = LayoutReader(self.spec)
        return rd

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_reader", None)  # rebuilt where the source is unpickled
        return state

    def parse_detail(self, soup: Any, url: str) -> dict[str, Any]:
        read = self.reader().read(soup, url)
        return self.quirks(read.record, soup, url)

    def quirks(self, record: dict[str, Any], soup: Any, url: str) -> dict[str, Any]:
        """Site-specific touches after the generic read (default: none)."""
        return record

    def to_listing(self, raw: dict[str, Any], fetched_at: dt.datetime | None = None) -> Listing:
        from matrix.normalize.listing import normalize_listing

        sid = str(raw[self.spec.id_key])
        rules = "\n".join(x for x in (f"Allowed: {raw['traffic_allowed']}" if raw.get("traffic_allowed") else "",
                                      f"Restricted: {raw['traffic_restricted']}" if raw.get("traffic_restricted") else "")
                          if x)
        cats = raw.get("category")
        return normalize_listing(
            source=self.name, source_id=sid, name=raw.get("name") or f"unknown ({sid})", raw=raw, url=raw.get("_url"),
            fetched_at=fetched_at, commission=raw.get("commission"), currency=raw.get("currency"),
            payout_type=raw.get("payout_type"), cookie=raw.get("cookie"), geo=raw.get("geo"),
            categories=cats if isinstance(cats, list) else [cats], description=raw.get("description_html"),
            merchant_url=raw.get("website") or raw.get("preview"), network=raw.get("network"),
            payout_minimum=raw.get("payout_minimum"), payout_methods=raw.get("payout_methods"),
            payout_frequency=raw.get("payout_frequency"), approval=raw.get("approval"), epc=raw.get("epc"),
            restrictions_text=rules or None,
        )

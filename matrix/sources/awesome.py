"""Markdown "awesome" lists of affiliate programs (a README on GitHub or any URL/path).

Format relied on: `## Category` headings, then bullet lines `- [Name](https://merchant) - terms text`
(also `*` bullets and ` — `/`: ` separators). Terms text is parsed for commission and cookie
("30% recurring, 60-day cookie") by the one terms extractor (matrix.normalize.terms), which tells a
commission from a cookie window in free text. Lines that are not bullets with a link are ignored.
source_id: the merchant's registered domain, else a slug of the name.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any, AsyncIterator, Iterator

from matrix.models import Listing
from matrix.normalize.domain import registered_domain
from matrix.normalize.listing import normalize_listing
from matrix.sources.base import Page, SourceError
from matrix.sources.crawler import Crawler
from matrix.sources.directory import CrawledSource

_ITEM = re.compile(r"^\s*[-*+]\s+\[(?P<name>[^\]]+)\]\((?P<url>[^)\s]+)\)\s*(?:[-–—:]\s*(?P<terms>.*))?$")


class AwesomeListSource(CrawledSource):
    kind = "awesome"
    default_path = "/README.md"
    required = ("name", "url")

    def fetch_pages(self) -> Iterator[Page]:
        if self.cfg.path and not self.cfg.url:
            p = Path(self.cfg.path).expanduser()
            if not p.exists():
                raise SourceError(f"sources.{self.name}.path = {str(p)!r} does not exist")
            yield Page(source=self.name, url=p.resolve().as_uri(), body=p.read_text("utf-8"), content_type="text/markdown",
                       kind="feed")
            return
        yield from super().fetch_pages()

    async def _pages(self, crawler: Crawler, renderer: Any) -> AsyncIterator[Page]:
        resp = await crawler.fetch(self.start_url())
        if resp.ok:
            yield self.page_from(resp, "feed")

    def parse_body(self, page: Page) -> list[dict[str, Any]]:
        text = page.body.decode("utf-8", "replace") if isinstance(page.body, bytes) else page.body
        out, heading = [], None
        for line in text.splitlines():
            h = re.match(r"^\s*#{2,6}\s+(.+?)\s*#*\s*$", line)
            if h:
                heading = h.group(1).strip()
                continue
            m = _ITEM.match(line)
            if not m or not m.group("url").startswith(("http://", "https://")):
                continue
            out.append({"name": m.group("name").strip(), "url": m.group("url"), "terms": (m.group("terms") or "").strip() or None,
                        "section": heading, "line": line.strip()})
        return out

    def to_listing(self, raw: dict[str, Any], fetched_at: dt.datetime | None = None) -> Listing:
        terms = raw.get("terms") or ""
        sid = registered_domain(raw.get("url")) or re.sub(r"[^a-z0-9]+", "-", raw["name"].lower()).strip("-")
        return normalize_listing(
            source=self.name, source_id=sid, name=raw["name"], raw=raw, url=raw.get("_url"), fetched_at=fetched_at,
            commission=terms or None, cookie=terms or None,  # free text: the terms extractor tells them apart
            categories=[raw.get("section")], description=terms or None, merchant_url=raw.get("url"),
        )

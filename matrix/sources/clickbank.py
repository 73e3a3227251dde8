"""ClickBank marketplace feed (XML, optionally zipped): https://accounts.clickbank.com/feeds/marketplace_feed_v2.xml.zip

Structure: Catalog > Category(Name) > [Category(Name) >] Site with Id, Title, Description,
PopularityRank, Gravity, PercentPerSale, PercentPerRebill, AverageEarningsPerSale,
InitialEarningsPerSale, TotalRebillAmt, HasRecurringProducts, Commission, ActivateDate.
One feed page holds every product; categories come from the enclosing Category names.
source_id: the vendor Id. ClickBank pays per sale in USD; PercentPerSale is the commission.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from typing import Any, AsyncIterator

from bs4 import BeautifulSoup

from matrix.models import Listing, PayoutType
from matrix.normalize.listing import normalize_listing
from matrix.sources.base import Page
from matrix.sources.crawler import Crawler
from matrix.sources.directory import CrawledSource

_FIELDS = ["Id", "PopularityRank", "Title", "Description", "HasRecurringProducts", "Gravity", "PercentPerSale",
           "PercentPerRebill", "AverageEarningsPerSale", "InitialEarningsPerSale", "AverageEarningsPerRebill",
           "TotalRebillAmt", "Referred", "Commission", "ActivateDate"]


class ClickBankSource(CrawledSource):
    kind = "clickbank"
    default_path = "/feeds/marketplace_feed_v2.xml.zip"
    required = ("Id", "Title", "PercentPerSale")

    async def _pages(self, crawler: Crawler, renderer: Any) -> AsyncIterator[Page]:
        resp = await crawler.fetch(self.start_url())
        if resp.ok:
            page = self.page_from(resp, "feed")
            if resp.body is not None and resp.body[:2] == b"PK":
                page.body = resp.body  # zipped feed: parse() unzips
            yield page

    def parse_body(self, page: Page) -> list[dict[str, Any]]:
        body = page.body
        if isinstance(body, bytes) and body[:2] == b"PK":
            with zipfile.ZipFile(io.BytesIO(body)) as zf:
                name = next((n for n in zf.namelist() if n.endswith(".xml")), None)
                body = zf.read(name) if name else b""
        soup = BeautifulSoup(body, "lxml-xml")
        out = []
        for site in soup.find_all("Site"):
            rec: dict[str, Any] = {}
            for f in _FIELDS:
                el = site.find(f, recursive=False)
                rec[f] = el.get_text(strip=True) if el is not None and el.get_text(strip=True) != "" else None
            cats: list[str] = []
            for parent in site.find_parents("Category"):
                name_el = parent.find("Name", recursive=False)
                if name_el is not None:
                    cats.insert(0, name_el.get_text(strip=True))
            rec["categories"] = cats
            if rec.get("Id"):
                out.append(rec)
        limit = self.cfg.max_pages
        return out[:limit] if limit else out

    def to_listing(self, raw: dict[str, Any], fetched_at: dt.datetime | None = None) -> Listing:
        pct = raw.get("PercentPerSale")
        recurring = str(raw.get("HasRecurringProducts") or "").lower() == "true"
        text = f"{float(pct):g}%" if pct not in (None, "") and _is_num(pct) else None
        if text and recurring:
            text += " recurring"
        listing = normalize_listing(
            source=self.name, source_id=str(raw["Id"]), name=raw.get("Title") or str(raw["Id"]), raw=raw,
            url=f"https://{str(raw['Id']).lower()}.pay.clickbank.net/", fetched_at=fetched_at, commission=text,
            currency="USD", categories=list(reversed(raw.get("categories") or [])), description=raw.get("Description"),
            network="clickbank", epc=None,
        )
        c = listing.commission
        c.payout_type = PayoutType.CPS
        c.recurring = recurring if raw.get("HasRecurringProducts") is not None else None
        avg = raw.get("AverageEarningsPerSale")
        if avg and _is_num(avg) and c.model.value == "percent":
            # the feed's average dollar earning is informative but not a flat commission: keep it as a tag
            listing.tags = [*listing.tags, f"avg_earnings_usd:{float(avg):.2f}"]
        if raw.get("Gravity") and _is_num(raw["Gravity"]):
            listing.tags = [*listing.tags, f"gravity:{float(raw['Gravity']):g}"]
        return listing


def _is_num(v: Any) -> bool:
    try:
        float(v)
        return True
    except (TypeError, ValueError):
        return False

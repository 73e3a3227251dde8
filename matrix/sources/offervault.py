"""OfferVault: https://offervault.com/ (a single-page app; set `render_js: true` for HTML mode).

Two paths, picked by `options.mode`:
- "html" (default): list /offers?page=N rendered in Chromium -> detail /offer/<id>/<slug> rendered.
  Detail fields by label (<th>/<td> or <dt>/<dd>): Payout, Payout Type | Type, Category | Categories,
  Countries | Geo, Network, EPC; name = h1; description = .offer-description.
- "api": the JSON endpoints the app itself calls: GET /api/networks ({"networks": [{id, name}]}) then
  POST /api/offers/search {"query", "page", "per_page"} -> {"offers": [{id, name, payout, currency,
  payout_type, countries, categories, network_id, description, preview_url}], "page", "pages"}.
source_id: OfferVault's offer id (same in both modes, so both paths upsert the same listings).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any, AsyncIterator

from matrix.models import Listing
from matrix.normalize.listing import normalize_listing
from matrix.sources.base import Page
from matrix.sources.crawler import Crawler
from matrix.sources.directory import DirectorySource
from matrix.sources.extract import Labels, first_el, first_text


class OfferVaultSource(DirectorySource):
    kind = "offervault"
    default_path = "/offers"
    detail_pattern = r"/offer/\d+(?:/[^/?#]*)?/?$"
    list_wait_for = "a[href*='/offer/'], .no-offers"
    detail_wait_for = "h1"

    @property
    def mode(self) -> str:
        return str(self.cfg.options.get("mode", "html")).lower()

    async def _pages(self, crawler: Crawler, renderer: Any) -> AsyncIterator[Page]:
        if self.mode != "api":
            async for p in super()._pages(crawler, renderer):
                yield p
            return
        nets = await crawler.fetch(self.base_url + "api/networks")
        networks: dict[str, str] = {}
        if nets.ok:
            try:
                networks = {str(n["id"]): n.get("name") for n in json.loads(nets.text or "{}").get("networks", [])}
            except (ValueError, AttributeError, KeyError, TypeError) as exc:
                crawler.report.drift(nets.url, [f"networks json: {exc}"])
        page_no, pages = 1, 1
        per_page = int(self.cfg.options.get("per_page", 50))
        query = str(self.cfg.options.get("query", ""))
        budget = self.cfg.max_pages or 10_000
        while page_no <= pages and page_no <= budget:
            resp = await crawler.fetch(self.base_url + "api/offers/search", method="POST",
                                       json_body={"query": query, "page": page_no, "per_page": per_page})
            if not resp.ok:
                break
            try:
                pages = int(json.loads(resp.text or "{}").get("pages") or 1)
            except (ValueError, AttributeError):
                pages = page_no
            page = self.page_from(resp, "api")
            page.meta["networks"] = networks
            yield page
            page_no += 1

    def parse_body(self, page: Page) -> list[dict[str, Any]]:
        if page.kind != "api":
            return super().parse_body(page)
        try:
            doc = json.loads(page.body)
        except (ValueError, TypeError):
            return []
        nets = page.meta.get("networks") or {}
        out = []
        for o in doc.get("offers") or []:
            if not isinstance(o, dict) or o.get("id") is None:
                continue
            payout = o.get("payout")
            out.append({
                "id": str(o["id"]), "name": o.get("name"),
                "commission": None if payout in (None, "") else str(payout), "currency": o.get("currency"),
                "payout_type": o.get("payout_type"), "geo": ", ".join(o.get("countries") or []) or None,
                "category": ", ".join(o.get("categories") or []) or None,
                "network": nets.get(str(o.get("network_id"))) or o.get("network"),
                "epc": None if o.get("epc") is None else str(o.get("epc")),
                "preview": o.get("preview_url"), "description_html": o.get("description"),
                "_url": f"{self.base_url}offer/{o['id']}",
            })
        return out

    def parse_detail(self, soup: Any, url: str) -> dict[str, Any]:
        lab = Labels(soup)
        m = re.search(r"/offer/(\d+)", url)
        desc = first_el(soup, [".offer-description", ".description"])
        prev = soup.select_one("a.preview-link[href], a[data-role=preview][href]")
        return {
            "id": m.group(1) if m else self.slug(url),
            "name": first_text(soup, ["h1.offer-name", "h1"]),
            "commission": lab.get("Payout"),
            "payout_type": lab.get("Payout Type", "Type"),
            "category": lab.get("Category", "Categories"),
            "geo": lab.get("Countries", "Geo", "Geos"),
            "network": lab.get("Network"),
            "epc": lab.get("EPC"),
            "preview": prev["href"] if prev else None,
            "description_html": str(desc) if desc else None,
        }

    def to_listing(self, raw: dict[str, Any], fetched_at: dt.datetime | None = None) -> Listing:
        return normalize_listing(
            source=self.name, source_id=str(raw["id"]), name=raw.get("name") or f"offer {raw['id']}", raw=raw,
            url=raw.get("_url"), fetched_at=fetched_at, commission=raw.get("commission"), currency=raw.get("currency"),
            payout_type=raw.get("payout_type"), geo=raw.get("geo"),
            categories=re.split(r"\s*,\s*", raw["category"]) if raw.get("category") else [],
            description=raw.get("description_html"), merchant_url=raw.get("preview"), network=raw.get("network"),
            epc=raw.get("epc"),
        )

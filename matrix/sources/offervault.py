"""OfferVault: https://offervault.com/ (a single-page app; set `render_js: true` for HTML mode).

Two paths, picked by `options.mode`:
- "html" (default): list /offers?page=N rendered in Chromium -> detail /offer/<id>/<slug> rendered.
  Detail fields by label (<th>/<td> or <dt>/<dd>): Payout, Payout Type | Type, Category | Categories,
  Countries | Geo, Network, EPC; name = h1; description = .offer-description.
- "api": the JSON endpoints the app itself calls: GET /api/networks ({"networks": [{id, name, and the
  network's payout terms: minimum_payout, payment_methods, payment_frequency}]}) then POST
  /api/offers/search {"query", "page", "per_page"} -> {"offers": [...], "page", "pages"}. Offer records
  come in several real shapes (matrix.sources.offer_records): countries as codes or objects, `type` or
  `payout_type`, payout as a number or a string without currency, `landing_page_url` ... Each record
  is read on its own: a malformed one is counted and logged by id and the page goes on. The
  network's payout terms apply to its offers.
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
from matrix.sources.directory import SpecDirectorySource
from matrix.sources.layout import FieldSpec, SiteSpec
from matrix.sources.offer_records import first, network_terms, records_from

SPEC = SiteSpec(
    kind="offervault",
    list_path="/offers",
    detail_pattern=r"/offer/\d+(?:/[^/?#]*)?/?$",
    id_pattern=r"/offer/(\d+)",
    main=(".offer-detail", "main", "[role=main]", "#app", "#root"),
    name_selectors=("h1.offer-name", "h1"),
    description=(".offer-description", ".description"),
    fields=(FieldSpec("commission"), FieldSpec("payout_type"), FieldSpec("category"), FieldSpec("geo"),
            FieldSpec("network"), FieldSpec("epc"),
            FieldSpec("preview", selectors=("a.preview-link[href]", "a[data-role=preview][href]"), kind="link",
                      link_text=r"preview|preview offer|landing page")),
    list_wait_for="a[href*='/offer/'], .no-offers",
    detail_wait_for="h1",
)


class OfferVaultSource(SpecDirectorySource):
    spec = SPEC

    @property
    def mode(self) -> str:
        return str(self.cfg.options.get("mode", "html")).lower()

    async def _pages(self, crawler: Crawler, renderer: Any) -> AsyncIterator[Page]:
        if self.mode != "api":
            async for p in super()._pages(crawler, renderer):
                yield p
            return
        nets = await crawler.fetch(self.base_url + "api/networks")
        networks: dict[str, dict[str, Any]] = {}
        if nets.ok:
            try:
                networks = network_terms(json.loads(nets.text or "{}"))
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
        except (ValueError, TypeError) as exc:
            return [{"id": f"page:{page.url}", "_error": f"unreadable JSON: {exc}"}]
        offers = (
            doc
            if isinstance(doc, list)
            else first(doc, ("offers", "data", "results", "items"))
            if isinstance(doc, dict)
            else None
        )
        if isinstance(offers, dict):  # {"data": {"offers": [...]}}
            offers = first(offers, ("offers", "data", "results", "items"))
        return records_from(offers or [], page.meta.get("networks") or {}, f"{self.base_url}offer/{{id}}", self.name)

    def to_listing(self, raw: dict[str, Any], fetched_at: dt.datetime | None = None) -> Listing:
        if raw.get("_error"):
            raise ValueError(f"malformed offer record {raw.get('id')}: {raw['_error']}")
        return normalize_listing(
            source=self.name, source_id=str(raw["id"]), name=raw.get("name") or f"offer {raw['id']}", raw=raw,
            url=raw.get("_url"), fetched_at=fetched_at, commission=raw.get("commission"), currency=raw.get("currency"),
            payout_type=raw.get("payout_type"), geo=raw.get("geo"),
            categories=re.split(r"\s*,\s*", raw["category"]) if raw.get("category") else [],
            description=raw.get("description_html"), merchant_url=None if raw.get("_shared_host") else raw.get("preview"),
            network=raw.get("network"), epc=raw.get("epc"), payout_minimum=raw.get("payout_minimum"),
            payout_methods=raw.get("payout_methods"), payout_frequency=raw.get("payout_frequency"),
            payout_amount=raw.get("payout_amount"), payout_percent=raw.get("payout_percent"),
            tags=["shared_lander"] if raw.get("_shared_host") else (),
        )

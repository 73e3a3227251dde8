"""Odigger offer directory: https://odigger.com/

URLs:   list  /offers , /offers?page=N (pagination: rel=next / "Next")
        detail /offer/<slug>
Fields (label/value rows: <span class="label">Payout:</span><span class="value">...</span>):
        Payout, Payout Type, Category | Vertical, Countries | Geo | GEO Targeting, Network,
        EPC, Allowed Traffic, Restricted Traffic; name = h1; description = .offer-description.
source_id: the URL slug.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from matrix.models import Listing
from matrix.normalize.listing import normalize_listing
from matrix.sources.directory import DirectorySource
from matrix.sources.extract import Labels, first_el, first_text


class OdiggerSource(DirectorySource):
    kind = "odigger"
    default_path = "/offers"
    detail_pattern = r"/offer/[^/?#]+/?$"

    def parse_detail(self, soup: Any, url: str) -> dict[str, Any]:
        lab = Labels(soup)
        desc = first_el(soup, [".offer-description", ".description"])
        allowed, restricted = lab.get("Allowed Traffic"), lab.get("Restricted Traffic", "Not Allowed")
        preview = soup.select_one("a.preview-link[href], a[data-preview]")
        rules = "\n".join(x for x in (f"Allowed: {allowed}" if allowed else "", f"Restricted: {restricted}" if restricted else "") if x)
        return {
            "slug": self.slug(url),
            "name": first_text(soup, ["h1.offer-title", "h1"]),
            "commission": lab.get("Payout", "Commission"),
            "payout_type": lab.get("Payout Type", "Type"),
            "category": lab.get("Category", "Vertical"),
            "geo": lab.get("Countries", "Geo", "GEO Targeting", "Geos"),
            "network": lab.get("Network"),
            "epc": lab.get("EPC"),
            "traffic": rules or None,
            "preview": preview.get("href") if preview is not None else None,
            "description_html": str(desc) if desc else None,
        }

    def to_listing(self, raw: dict[str, Any], fetched_at: dt.datetime | None = None) -> Listing:
        return normalize_listing(
            source=self.name, source_id=str(raw["slug"]), name=raw.get("name") or raw["slug"], raw=raw,
            url=raw.get("_url"), fetched_at=fetched_at, commission=raw.get("commission"),
            payout_type=raw.get("payout_type"), geo=raw.get("geo"), categories=[raw.get("category")],
            description=raw.get("description_html"), merchant_url=raw.get("preview"), network=raw.get("network"),
            epc=raw.get("epc"), restrictions_text=raw.get("traffic"),
        )

"""Affplus: https://www.affplus.com/ (a single-page app; set `render_js: true`).

URLs:   list  /offers?page=N rendered (offer cards link /o/<id>-<slug>; next page by rel=next / "Next")
        detail /o/<id>-<slug> rendered
Fields (stat blocks <div class="stat-label">Payout</div><div class="stat-value">...</div>, by label):
        Payout, Type | Payout Type, Vertical | Category, GEO | Countries, Network, EPC;
        name = h1; description = .offer-description.
source_id: Affplus's numeric offer id.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from matrix.models import Listing
from matrix.normalize.listing import normalize_listing
from matrix.sources.directory import DirectorySource
from matrix.sources.extract import Labels, first_el, first_text


class AffplusSource(DirectorySource):
    kind = "affplus"
    default_path = "/offers"
    detail_pattern = r"/o/\d+[^/?#]*/?$"
    list_wait_for = "a[href*='/o/'], .empty"
    detail_wait_for = "h1"

    def parse_detail(self, soup: Any, url: str) -> dict[str, Any]:
        lab = Labels(soup)
        m = re.search(r"/o/(\d+)", url)
        desc = first_el(soup, [".offer-description", ".description"])
        return {
            "id": m.group(1) if m else self.slug(url),
            "name": first_text(soup, ["h1.offer-title", "h1"]),
            "commission": lab.get("Payout"),
            "payout_type": lab.get("Type", "Payout Type"),
            "category": lab.get("Vertical", "Category"),
            "geo": lab.get("GEO", "Countries"),
            "network": lab.get("Network"),
            "epc": lab.get("EPC"),
            "description_html": str(desc) if desc else None,
        }

    def to_listing(self, raw: dict[str, Any], fetched_at: dt.datetime | None = None) -> Listing:
        return normalize_listing(
            source=self.name, source_id=str(raw["id"]), name=raw.get("name") or f"offer {raw['id']}", raw=raw,
            url=raw.get("_url"), fetched_at=fetched_at, commission=raw.get("commission"),
            payout_type=raw.get("payout_type"), geo=raw.get("geo"), categories=[raw.get("category")],
            description=raw.get("description_html"), network=raw.get("network"), epc=raw.get("epc"),
        )

"""AffiliatePrograms.com: https://www.affiliateprograms.com/

URLs:   list  /programs/ (pagination: rel=next or a "Next" link, e.g. /programs/page/2/)
        detail /programs/<slug>/
Fields (a "program details" table, <th>label</th><td>value</td>, matched by label text):
        Commission | Commission Rate, Cookie Length | Cookie Duration, Payout Methods | Payment Methods,
        Minimum Payout, Payout Frequency, Category, Network, Website | Program URL, Countries;
        name = h1 (trailing "Affiliate Program" dropped); description = .program-description.
source_id: the URL slug.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from matrix.models import Listing
from matrix.normalize.listing import normalize_listing
from matrix.sources.directory import DirectorySource
from matrix.sources.extract import Labels, first_el, first_text


class AffiliateProgramsSource(DirectorySource):
    kind = "affiliateprograms"
    default_path = "/programs/"
    detail_pattern = r"/programs/(?!page/)[^/?#]+/?$"

    def parse_detail(self, soup: Any, url: str) -> dict[str, Any]:
        lab = Labels(soup)
        name = first_text(soup, ["h1.program-title", "h1"])
        if name:
            name = re.sub(r"\s+affiliate program$", "", name, flags=re.I).strip() or name
        site = soup.find("a", attrs={"rel": re.compile("external|nofollow")}, href=True)
        desc = first_el(soup, [".program-description", ".description", "article"])
        return {
            "slug": self.slug(url),
            "name": name,
            "commission": lab.get("Commission", "Commission Rate"),
            "cookie": lab.get("Cookie Length", "Cookie Duration", "Cookie"),
            "payout_methods": lab.get("Payout Methods", "Payment Methods"),
            "payout_minimum": lab.get("Minimum Payout", "Payout Threshold"),
            "payout_frequency": lab.get("Payout Frequency", "Payment Frequency"),
            "category": lab.get("Category", "Categories"),
            "network": lab.get("Network", "Affiliate Network"),
            "website": lab.get("Website", "Program URL") if site is None else site["href"],
            "geo": lab.get("Countries", "Geo", "Regions"),
            "description_html": str(desc) if desc else None,
        }

    def to_listing(self, raw: dict[str, Any], fetched_at: dt.datetime | None = None) -> Listing:
        return normalize_listing(
            source=self.name, source_id=str(raw["slug"]), name=raw.get("name") or raw["slug"], raw=raw,
            url=raw.get("_url"), fetched_at=fetched_at, commission=raw.get("commission"), cookie=raw.get("cookie"),
            geo=raw.get("geo"), categories=[raw.get("category")], description=raw.get("description_html"),
            merchant_url=raw.get("website"), network=raw.get("network"), payout_minimum=raw.get("payout_minimum"),
            payout_methods=raw.get("payout_methods"), payout_frequency=raw.get("payout_frequency"),
        )

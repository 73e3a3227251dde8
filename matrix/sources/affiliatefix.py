"""AffiliateFix directory (XenForo "showcase" style): https://www.affiliatefix.com/directory/

URLs:   list  /directory/ , /directory/page-N  (pagination: a.pageNav-jump--next / rel=next)
        detail /directory/items/<slug>.<id>/
Fields (labels in the custom-field <dl class="pairs"> list, matched by label text):
        Commission | Commission Rate, Cookie Duration | Cookie, Payout Methods | Payment Methods,
        Minimum Payout, Payment Frequency | Payout Frequency, Countries | GEO, Website, Network,
        Approval; name = h1 (.p-title-value); category = "Category" label or breadcrumb;
        description = .bbWrapper (message body).
source_id: the numeric XenForo item id (stable across renames); slug when absent.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from matrix.models import Listing
from matrix.normalize.listing import normalize_listing
from matrix.sources.directory import DirectorySource
from matrix.sources.extract import Labels, first_el, first_text


class AffiliateFixSource(DirectorySource):
    kind = "affiliatefix"
    default_path = "/directory/"
    detail_pattern = r"/directory/items/[^/?#]+/?$"

    def parse_detail(self, soup: Any, url: str) -> dict[str, Any]:
        main = first_el(soup, [".p-body", "main", "body"]) or soup
        lab = Labels(main)
        crumbs = [a.get_text(" ", strip=True) for a in soup.select(".p-breadcrumbs a, nav.breadcrumb a")]
        website = lab.get("Website", "Homepage", "URL")
        link = None
        for a in main.find_all("a", href=True):
            if website and a.get_text(" ", strip=True) == website:
                link = a["href"]
                break
        body = first_el(main, [".bbWrapper", ".message-body", "article"])
        m = re.search(r"\.(\d+)/?$", url)
        return {
            "id": m.group(1) if m else self.slug(url),
            "name": first_text(main, ["h1.p-title-value", "h1"]),
            "commission": lab.get("Commission", "Commission Rate", "Commissions"),
            "cookie": lab.get("Cookie Duration", "Cookie", "Cookie Length"),
            "payout_methods": lab.get("Payout Methods", "Payment Methods"),
            "payout_minimum": lab.get("Minimum Payout", "Payout Threshold"),
            "payout_frequency": lab.get("Payment Frequency", "Payout Frequency"),
            "geo": lab.get("Countries", "GEO", "Geo", "Accepted Countries"),
            "website": link or website,
            "network": lab.get("Network", "Affiliate Network"),
            "approval": lab.get("Approval", "Approval Type"),
            "category": lab.get("Category") or (crumbs[-1] if crumbs else None),
            "description_html": str(body) if body else None,
        }

    def to_listing(self, raw: dict[str, Any], fetched_at: dt.datetime | None = None) -> Listing:
        return normalize_listing(
            source=self.name, source_id=str(raw["id"]), name=raw.get("name") or f"unknown ({raw['id']})", raw=raw,
            url=raw.get("_url"), fetched_at=fetched_at, commission=raw.get("commission"), cookie=raw.get("cookie"),
            geo=raw.get("geo"), categories=[raw.get("category")], description=raw.get("description_html"),
            merchant_url=raw.get("website"), network=raw.get("network"), payout_minimum=raw.get("payout_minimum"),
            payout_methods=raw.get("payout_methods"), payout_frequency=raw.get("payout_frequency"),
            approval=raw.get("approval"),
        )

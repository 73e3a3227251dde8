"""AffiliateFix directory (XenForo "showcase" style): https://www.affiliatefix.com/directory/

URLs:   list  /directory/ , /directory/page-N  (pagination: a.pageNav-jump--next / rel=next)
        detail /directory/items/<slug>.<id>/
Fields: the custom-field pairs (<dl class="pairs"><dt>label</dt><dd>value</dd>) inside .p-body,
        read by label through the shared vocabulary (matrix.sources.layout); name = h1
        (.p-title-value); description = .bbWrapper (message body).
Quirks: category falls back to the last breadcrumb; the Website value is a link (its href wins).
source_id: the numeric XenForo item id (stable across renames); slug when absent.
"""

from __future__ import annotations

from typing import Any

from matrix.sources.directory import SpecDirectorySource
from matrix.sources.layout import FieldSpec, SiteSpec

SPEC = SiteSpec(
    kind="affiliatefix",
    list_path="/directory/",
    detail_pattern=r"/directory/items/[^/?#]+/?$",
    id_pattern=r"\.(\d+)/?$",
    main=(".p-body-main", ".p-body", "main", "[role=main]", "article"),
    name_selectors=("h1.p-title-value", "h1"),
    description=(".bbWrapper", ".message-body", "article"),
    fields=(FieldSpec("commission"), FieldSpec("cookie"), FieldSpec("payout_methods"), FieldSpec("payout_minimum"),
            FieldSpec("payout_frequency"), FieldSpec("geo"), FieldSpec("website", kind="link"), FieldSpec("network"),
            FieldSpec("approval"), FieldSpec("category")),
)


class AffiliateFixSource(SpecDirectorySource):
    spec = SPEC

    def quirks(self, record: dict[str, Any], soup: Any, url: str) -> dict[str, Any]:
        if not record.get("category"):
            crumbs = [a.get_text(" ", strip=True) for a in soup.select(".p-breadcrumbs a, nav.breadcrumb a")]
            record["category"] = crumbs[-1] if len(crumbs) > 2 else None  # Home > Directory > <category>
        return record

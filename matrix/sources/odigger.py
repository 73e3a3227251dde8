"""Odigger offer directory: https://odigger.com/

URLs:   list  /offers , /offers?page=N (pagination: rel=next / "Next")
        detail /offer/<slug>
Fields: label/value rows (<span class="label">Payout:</span><span class="value">...</span>) read by
        label through the shared vocabulary: commission (Payout), payout type, category, geo,
        network, EPC, allowed and restricted traffic; name = h1; description = .offer-description;
        merchant = the "Preview" link (the offer's landing page).
source_id: the URL slug.
"""

from __future__ import annotations

from matrix.sources.directory import SpecDirectorySource
from matrix.sources.layout import FieldSpec, SiteSpec

SPEC = SiteSpec(
    kind="odigger",
    list_path="/offers",
    detail_pattern=r"/offer/[^/?#]+/?$",
    id_key="slug",
    main=(".offer-page", "main", "[role=main]", "article"),
    name_selectors=("h1.offer-title", "h1"),
    description=(".offer-description", ".description"),
    fields=(FieldSpec("commission"), FieldSpec("payout_type"), FieldSpec("category"), FieldSpec("geo"),
            FieldSpec("network"), FieldSpec("epc"), FieldSpec("traffic_allowed"), FieldSpec("traffic_restricted"),
            FieldSpec("preview", selectors=("a.preview-link[href]", "a[data-preview]"), kind="link",
                      link_text=r"preview|preview offer|landing page|view landing page")),
)


class OdiggerSource(SpecDirectorySource):
    spec = SPEC

"""Affplus: https://www.affplus.com/ (a single-page app; set `render_js: true`).

URLs:   list  /offers?page=N rendered (offer cards link /o/<id>-<slug>; next page by rel=next / "Next")
        detail /o/<id>-<slug> rendered
Fields: stat blocks (<div class="stat-label">Payout</div><div class="stat-value">...</div>) read by
        label through the shared vocabulary: commission (Payout), payout type (Type), category
        (Vertical), geo, network, EPC; name = h1; description = .offer-description.
source_id: Affplus's numeric offer id.
"""

from __future__ import annotations

from matrix.sources.directory import SpecDirectorySource
from matrix.sources.layout import FieldSpec, SiteSpec

SPEC = SiteSpec(
    kind="affplus",
    list_path="/offers",
    detail_pattern=r"/o/\d+[^/?#]*/?$",
    id_pattern=r"/o/(\d+)",
    main=("main.offer-page", "main", "[role=main]", "#app"),
    name_selectors=("h1.offer-title", "h1"),
    description=(".offer-description", ".description"),
    fields=(FieldSpec("commission"), FieldSpec("payout_type"), FieldSpec("category"), FieldSpec("geo"),
            FieldSpec("network"), FieldSpec("epc")),
    list_wait_for="a[href*='/o/'], .empty",
    detail_wait_for="h1",
)


class AffplusSource(SpecDirectorySource):
    spec = SPEC

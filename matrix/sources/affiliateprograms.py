"""AffiliatePrograms.com: https://www.affiliateprograms.com/

URLs:   list  /programs/ (pagination: rel=next or a "Next" link, e.g. /programs/page/2/)
        detail /programs/<slug>/
Fields: a "program details" table (<th>label</th><td>value</td>) read by label through the shared
        vocabulary; name = h1 (trailing "Affiliate Program" dropped); description =
        .program-description; website = the "Visit Website" link (rel=external).
Quirk:  the details table sits in a block classed "program-sidebar": it is the page's own data
        (`own_blocks`), not a sidebar widget.
source_id: the URL slug.
"""

from __future__ import annotations

from matrix.sources.directory import SpecDirectorySource
from matrix.sources.layout import FieldSpec, SiteSpec

SPEC = SiteSpec(
    kind="affiliateprograms",
    list_path="/programs/",
    detail_pattern=r"/programs/(?!page/)[^/?#]+/?$",
    id_key="slug",
    main=("article.program", "article", "#content", "main", "[role=main]"),
    name_selectors=("h1.program-title", "h1"),
    name_strip=r"\s+affiliate program$",
    description=(".program-description", ".description"),
    own_blocks=(".program-sidebar",),
    fields=(FieldSpec("commission"), FieldSpec("cookie"), FieldSpec("payout_methods"), FieldSpec("payout_minimum"),
            FieldSpec("payout_frequency"), FieldSpec("category"), FieldSpec("network"),
            FieldSpec("website", selectors=("a[rel~=external][href]",), kind="link",
                      link_text=r"visit (?:the )?(?:web)?site|visit program|go to (?:web)?site|website"),
            FieldSpec("geo")),
)


class AffiliateProgramsSource(SpecDirectorySource):
    spec = SPEC

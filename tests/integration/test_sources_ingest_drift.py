"""The Ray Data ingest path reports per-field fill and drift like `matrix sources crawl` does: a
redesign that renames one label on every page is named in the ingest report, not lost silently."""

from __future__ import annotations

import pytest

from tests.integration.test_sources_sites import FAST_CRAWL
from tests.support.site_server import SITES, Site, SiteServer

pytestmark = [pytest.mark.slow, pytest.mark.integration]


def test_ray_ingest_reports_field_drift_after_a_label_rename(ray_session, matrix_home):
    from jobs.ingest import collect_listings
    from matrix.config import load_settings

    site = Site("odigger")
    with SiteServer([site]) as srv:
        settings = load_settings(overrides={
            "home": str(matrix_home), "crawl": FAST_CRAWL,
            "sources": [{"name": "od", "kind": "odigger", "url": srv.url("odigger"),
                         "rate_limit": {"requests_per_second": 200, "burst": 10, "max_concurrency": 8}}]})
        _, first = collect_listings(settings, ["od"])
        f1 = first["od"]["fields"]
        assert f1["records"] == 6 and f1["drift"] == [] and f1["fields"]["network"]["fill"] == pytest.approx(5 / 6, abs=1e-3)
        # the site renames "Network" to "Managed On" (a wording the vocabulary does not know) everywhere
        for page in (SITES / "odigger" / "offer").glob("*.html"):
            site.routes[f"/offer/{page.stem}"] = (page.read_text().replace("Network:", "Managed On:"), "text/html; charset=utf-8")
        listings, second = collect_listings(settings, ["od"])
    f2 = second["od"]["fields"]
    assert len(listings) == 6 and f2["drift"] == ["network"]
    assert f2["fields"]["network"]["lost"] == 5 and f2["fields"]["commission"]["drift"] is False

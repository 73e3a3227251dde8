"""The single-page-app scrapers through Debian Chromium (Playwright) against the fixture apps."""

from __future__ import annotations

import os

import pytest

from matrix.config import load_settings
from matrix.sources import build_source
from matrix.sources.base import SourceError
from tests.support.components import require, require_module
from tests.support.site_server import Site, SiteServer

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture
def needs_browser_fixture() -> None:
    """Chromium and Playwright (the [browser] extra): a skip locally, a failure under CI=true."""
    require(os.access(CHROMIUM, os.X_OK), CHROMIUM, "apt-get install chromium")
    require_module("playwright", "pip install -e '.[browser]'")


needs_browser = pytest.mark.usefixtures("needs_browser_fixture")


def _source(home, name, kind, url, **crawl):
    settings = load_settings(overrides={
        "home": str(home), "sources": [{"name": name, "kind": kind, "url": url, "render_js": True,
                                        "rate_limit": {"requests_per_second": 50, "burst": 4, "max_concurrency": 2}}],
        "crawl": {"timeout_s": 15, "max_retries": 1, "backoff_base_s": 0.05, "browser_contexts": 2, **crawl}})
    return build_source(settings.source(name), settings)


@pytest.mark.slow
@needs_browser
def test_offervault_and_affplus_render_with_chromium(matrix_home):
    with SiteServer([Site("offervault"), Site("affplus")]) as srv:
        ov = {x.source_id: x for x in _source(matrix_home, "ov", "offervault", srv.url("offervault")).listings()}
        ap_src = _source(matrix_home, "ap", "affplus", srv.url("affplus"))
        ap = {x.source_id: x for x in ap_src.listings()}
    # the static HTML has no offers at all: these values exist only after the app's scripts ran
    assert set(ov) == {"10231", "20877", "31002"}
    cpl = ov["20877"]
    assert (cpl.commission.flat_max, cpl.commission.payout_type.value, cpl.network) == (45.0, "cpl", "CJ Affiliate")
    assert ov["10231"].categories == ["mobile-apps", "gaming"] and ov["10231"].restrictions == ["no-incent"]
    assert set(ap) == {"5521", "7740", "9102"}
    assert ap["9102"].geo_excluded == ["US"] and ap["9102"].commission.flat_max == 600.0 and ap["9102"].category == "crypto"
    assert ap["7740"].restrictions == ["no-incent", "no-adult"] and ap["5521"].commission.percent_max == 40.0
    assert ap_src.report.failed_total == 0 and ap_src.report.requests >= 5


def test_missing_browser_is_a_clear_error(matrix_home):
    src = _source(matrix_home, "ov", "offervault", "http://127.0.0.1:9", browser_executable="/nonexistent/chromium")
    with pytest.raises(SourceError, match="apt-get install chromium"):
        list(src.fetch_pages())

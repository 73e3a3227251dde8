"""Every scraper against its fixture site on 127.0.0.1: correct listings, faults survived and
counted, conditional re-crawls that skip download and parse."""

from __future__ import annotations

import pickle

import pytest

from matrix.config import load_settings
from matrix.models import CommissionModel, PayoutType
from matrix.sources import SOURCE_KINDS, build_source
from tests.support.site_server import Site, SiteServer

FAST_CRAWL = {"timeout_s": 0.5, "max_retries": 2, "backoff_base_s": 0.02, "backoff_max_s": 2.0, "max_body_bytes": 200_000}


def make_source(matrix_home, name, kind, url, crawl=None, **cfg):
    settings = load_settings(overrides={
        "home": str(matrix_home),
        "sources": [{"name": name, "kind": kind, "url": url,
                     "rate_limit": {"requests_per_second": 200, "burst": 10, "max_concurrency": 8}, **cfg}],
        "crawl": {**FAST_CRAWL, **(crawl or {})},
    })
    return build_source(settings.source(name), settings)


def by_id(listings):
    return {l.source_id: l for l in listings}


def test_every_kind_is_registered():
    assert {"openaffiliate", "affiliatefix", "affiliateprograms", "offervault", "odigger", "affplus", "clickbank",
            "awesome"} <= set(SOURCE_KINDS)


def test_affiliatefix_listings_robots_drift_and_conditional_recrawl(matrix_home):
    site = Site("affiliatefix")
    with SiteServer([site]) as srv:
        src = make_source(matrix_home, "afx", "affiliatefix", srv.url("affiliatefix"))
        got = by_id(src.listings())
        assert set(got) == {"12", "57", "88", "91"}
        bh = got["12"]
        assert (bh.name, bh.commission.model, bh.commission.flat_max, bh.commission.currency) == ("Bluehost", CommissionModel.FLAT, 65.0, "USD")
        assert (bh.cookie_days, bh.payout.minimum, bh.payout.methods, bh.payout.frequency) == (90.0, 100.0, ["paypal", "wire"], "net-60")
        assert bh.merchant_domain == "bluehost.com" and bh.category == "web-hosting" and bh.network == "Impact"
        assert bh.restrictions == ["no-incent", "no-brand-bidding"] and len(bh.geo_allowed) > 200
        assert bh.raw["commission"] == "$65 per sale"  # raw kept beside parsed
        nord = got["57"]
        assert nord.geo_excluded == ["CN", "RU"] and "CN" not in nord.geo_allowed and nord.approval.value == "auto"
        assert nord.commission.percent_max == 40.0 and nord.payout.methods == ["paypal", "wire", "crypto"]
        assert nord.tags == ["traffic:email", "traffic:social", "traffic:content"]
        assert got["88"].geo_allowed == ["US", "CA", "GB", "AU"] and got["88"].cookie_days == 30.0
        # the changed layout keeps the listing with the commission unknown and reports drift
        assert got["91"].commission.model is CommissionModel.UNKNOWN and got["91"].name == "Hostinger"
        assert [d["missing"] for d in src.report.layout_drift] == [["commission"]]
        # robots.txt disallows one linked item for our User-Agent: never requested, counted
        assert src.report.failures == {"robots_disallowed": 1}
        assert "/directory/items/secret.99/" not in site.hits
        first_bytes = src.report.bytes_downloaded

        # second crawl: nothing changed -> every page is a 304, nothing downloaded or parsed
        src2 = make_source(matrix_home, "afx", "affiliatefix", srv.url("affiliatefix"))
        pages = list(src2.fetch_pages())
        robots_size = len((site.root / "robots.txt").read_bytes())
        assert src2.report.not_modified == 6 and src2.report.ok == 0
        # robots.txt is revalidated through the same HTTP cache (304), so nothing is downloaded again
        assert src2.report.bytes_downloaded == 0 < robots_size
        assert all(p.meta["not_modified"] and p.meta["records"] for p in pages)
        monkey_parsed = []
        src2.parse_detail = lambda *a: monkey_parsed.append(a)  # would record any real parse
        again = by_id(src2.to_listing(r, p.fetched_at) for p in pages for r in src2.parse(p))
        assert monkey_parsed == [] and again["12"].compute_hash() == bh.compute_hash()


def test_affiliateprograms_pagination_and_legacy_charset(matrix_home):
    with SiteServer([Site("affiliateprograms")]) as srv:
        src = make_source(matrix_home, "ap", "affiliateprograms", srv.url("affiliateprograms"))
        got = by_id(src.listings())
    assert set(got) == {"bluehost", "fiverr", "semrush"}
    assert got["fiverr"].commission.model is CommissionModel.HYBRID and got["fiverr"].commission.duration_months == 12
    assert got["fiverr"].payout.methods == ["paypal", "payoneer", "bank"] and got["fiverr"].restrictions == ["no-brand-bidding"]
    sem = got["semrush"]  # served as windows-1252: the em dash and euro sign survive decoding
    assert "—" in sem.description and "€10" in sem.raw["commission"] and sem.cookie_days == 120.0
    assert sem.category == "marketing-tools" and sem.payout.frequency == "net-30" and sem.name == "Semrush"
    assert got["bluehost"].payout.methods == ["paypal", "ach"] and src.report.failed_total == 0


def test_odigger_survives_every_injected_fault(matrix_home):
    site = Site("odigger")
    with SiteServer([site]) as srv:
        src = make_source(matrix_home, "od", "odigger", srv.url("odigger"))
        got = by_id(src.listings())
    # good pages and pages that recovered after 429 (Retry-After) and 503 are all delivered
    assert set(got) == {"sweepstakes-iphone-16", "keto-diet-trial", "flaky-429", "flaky-503", "vpn-install-android", "changed-layout"}
    assert site.hits["/offer/flaky-429"] == 2 and site.hits["/offer/flaky-503"] == 3
    rep = src.report
    assert rep.failures == {"timeout": 1, "truncated": 1, "redirect_loop": 1, "body_too_large": 1}
    assert {f["url"].rsplit("/", 1)[1]: f["reason"] for f in rep.failed} == {
        "slow": "timeout", "truncated": "truncated", "loop-a": "redirect_loop", "huge": "body_too_large"}
    assert rep.retries >= 3 + 4  # 429 once, 503 twice, then timeouts and truncation retried to the limit
    assert [d["url"].rsplit("/", 1)[1] for d in rep.layout_drift] == ["changed-layout"]
    s = got["sweepstakes-iphone-16"]
    assert (s.commission.flat_max, s.commission.payout_type, s.category, s.geo_allowed, s.epc) == (2.1, PayoutType.CPL, "sweepstakes", ["US"], 0.45)
    assert s.restrictions == ["no-incent", "no-brand-bidding"] and "traffic:email" in s.tags
    assert got["vpn-install-android"].geo_allowed == ["GB", "DE", "FR", "AE"]
    assert got["vpn-install-android"].commission.payout_type is PayoutType.CPI


def test_offervault_json_api_path(matrix_home):
    site = Site("offervault")
    with SiteServer([site]) as srv:
        src = make_source(matrix_home, "ov", "offervault", srv.url("offervault"), options={"mode": "api", "per_page": 2})
        got = by_id(src.listings())
    assert set(got) == {"10231", "20877", "31002"}
    assert site.post_bodies == [{"query": "", "page": 1, "per_page": 2}, {"query": "", "page": 2, "per_page": 2}]
    bw = got["31002"]
    assert (bw.commission.flat_max, bw.commission.currency, bw.network, bw.category) == (120.0, "EUR", "Income Access", "gambling")
    assert got["20877"].restrictions == ["no-email", "no-sms"] and got["10231"].epc == 0.12


def test_clickbank_zipped_feed(matrix_home):
    with SiteServer([Site("clickbank")]) as srv:
        src = make_source(matrix_home, "cb", "clickbank", srv.url("clickbank"))
        got = by_id(src.listings())
    assert set(got) == {"KETOGENIC", "BUILDERALL", "NOPCT"}
    k = got["KETOGENIC"]
    assert (k.commission.percent_max, k.commission.payout_type, k.commission.recurring, k.category) == (75.0, PayoutType.CPS, False, "nutra")
    assert "gravity:142.35" in k.tags and got["BUILDERALL"].commission.recurring is True
    assert got["NOPCT"].commission.model is CommissionModel.UNKNOWN
    assert src.report.layout_drift[0]["missing"] == ["PercentPerSale"]


def test_clickbank_plain_xml_and_awesome_list(matrix_home):
    with SiteServer([Site("clickbank"), Site("awesome")]) as srv:
        cb = make_source(matrix_home, "cb", "clickbank", srv.url("clickbank"), options={"start_path": "/feeds/marketplace_feed_v2.xml"})
        assert len(list(cb.listings())) == 3
        aw = make_source(matrix_home, "aw", "awesome", srv.url("awesome"))
        got = by_id(aw.listings())
    assert set(got) == {"digitalocean.com", "vultr.com", "kinsta.com", "tabnine.com", "example-tool.io"}
    assert got["kinsta.com"].commission.model is CommissionModel.HYBRID and got["kinsta.com"].cookie_days == 60.0
    assert got["tabnine.com"].commission.duration_months == 12 and got["tabnine.com"].category == "developer-tools"
    assert got["example-tool.io"].commission.model is CommissionModel.UNKNOWN
    assert got["digitalocean.com"].category == "web-hosting"


def test_awesome_list_from_path_and_openaffiliate(matrix_home, tmp_path):
    md = tmp_path / "list.md"
    md.write_text("## Finance\n- [Wise](https://wise.com/partners) - £10 per new customer\n")
    settings = load_settings(overrides={"home": str(matrix_home), "sources": [
        {"name": "aw", "kind": "awesome", "path": str(md)}, {"name": "oa", "kind": "openaffiliate", "max_pages": 50}]})
    (wise,) = list(build_source(settings.source("aw"), settings).listings())
    assert (wise.source_id, wise.commission.flat_max, wise.commission.currency, wise.category) == ("wise.com", 10.0, "GBP", "finance")
    oa = list(build_source(settings.source("oa"), settings).listings())
    assert len(oa) == 50 and all(l.category is None or l.category in __import__("matrix.normalize.category", fromlist=["x"]).TAXONOMY for l in oa)
    assert sum(1 for l in oa if l.category) >= 45 and all(set(l.payout.methods) <= {"paypal", "bank", "wire"} for l in oa)


def test_sources_pickle_and_parse_is_pure(matrix_home):
    with SiteServer([Site("odigger")]) as srv:
        src = make_source(matrix_home, "od", "odigger", srv.url("odigger"), max_pages=2)
        pages = list(src.fetch_pages())
    clone = pickle.loads(pickle.dumps(src))
    assert [clone.parse(p) for p in pages] == [src.parse(p) for p in pages]
    assert len(pages) == 2  # max_pages caps detail pages


def test_missing_url_is_a_clear_error(matrix_home):
    from matrix.sources.base import SourceError

    settings = load_settings(overrides={"home": str(matrix_home), "sources": [{"name": "x", "kind": "odigger"}]})
    with pytest.raises(SourceError, match=r"sources\.x\.url is not set"):
        list(build_source(settings.source("x"), settings).fetch_pages())

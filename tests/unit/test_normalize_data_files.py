"""Category synonyms, geo tokens and tracking hosts are data files; these tests pin what they mean."""

from __future__ import annotations

import pytest

from matrix.normalize.category import TAXONOMY, map_category, synonyms
from matrix.normalize.domain import is_tracking_host, merchant_domain, shared_hosts, tracking_hosts
from matrix.normalize.geo import all_countries, geo_tokens, parse_geo


@pytest.mark.parametrize("text,slug", [
    ("Weightloss", "nutra"), ("Weight-Loss", "nutra"), ("weight loss", "nutra"), ("Nutra", "nutra"),
    ("Weightloss Offers", "nutra"), ("Biz Opp", "business-services"), ("Sweeps", "sweepstakes"),
    ("iGaming", "gambling"), ("VPN & Security", "security-privacy"), ("Auto Insurance", "insurance"),
    ("Marketing / SEO Tools", "marketing-tools"), ("Something Unheard Of", None),
])
def test_category_synonyms_and_rules(text, slug):
    assert map_category(text) == slug


def test_every_synonym_maps_to_a_taxonomy_slug():
    assert synonyms() and set(synonyms().values()) <= set(TAXONOMY)


@pytest.mark.parametrize("text,allowed,excluded,worldwide", [
    ("US, IN, IT, NO, O1", ["US", "IN", "IT", "NO"], [], None),  # a stray O1 never switches codes off
    ("IN, IT, NO", ["IN", "IT", "NO"], [], None),
    ("WW", [], [], True),
    ("WW, -RU, -UA", [], ["RU", "UA"], True),
    ("O1", [], [], None),
    ("US, CA, UK, UAE", ["US", "CA", "GB", "AE"], [], None),
    ("DACH", ["DE", "AT", "CH"], [], None),
    ("In the US and NO other country", ["US"], [], None),  # prose: "NO" is a word
    ("Worldwide except Russia", [], ["RU"], True),
])
def test_geo_tokens(text, allowed, excluded, worldwide):
    g = parse_geo(text)
    assert (g.allowed, g.excluded, g.worldwide) == (allowed, excluded, worldwide)


def test_geo_regions_from_the_data_file_expand_and_exclusions_apply():
    latam = parse_geo("LATAM").allowed
    assert {"BR", "MX", "AR"} <= set(latam) and "US" not in latam
    eu = parse_geo("EU, -DE")
    assert "DE" not in eu.allowed and "FR" in eu.allowed and eu.excluded == ["DE"]
    assert set(c for codes in geo_tokens()["regions"].values() for c in codes) <= set(all_countries())


@pytest.mark.parametrize("url,domain", [
    ("https://www.bluehost.com/hosting", "bluehost.com"),
    ("https://clickbooth.go2cloud.org/aff_c?offer_id=1&aff_id=2", None),
    ("https://bit.ly/3abc", None),
    ("https://play.google.com/store/apps/details?id=com.x", None),
    ("https://click.linksynergy.com/deeplink?id=x&murl=https%3A%2F%2Fwww.macys.com%2Fshop", "macys.com"),
    ("https://www.anrdoezrs.net/click-1-2?url=https://www.lowes.com/", "lowes.com"),
    ("https://www.anrdoezrs.net/click-1-2?url=https://bit.ly/x", None),
    (None, None),
])
def test_tracking_and_redirect_hosts_are_never_the_merchant(url, domain):
    assert merchant_domain(url) == domain


def test_tracking_list_is_data_and_matches_subdomains():
    assert "go2cloud.org" in tracking_hosts() and is_tracking_host("https://a.b.go2cloud.org/x")
    assert not is_tracking_host("https://shopify.com/")


def test_a_host_carrying_many_unrelated_products_is_shared_but_a_brand_on_its_own_site_is_not():
    lander = [(n, "lp-host.net") for n in ("Keto Burn", "Solar Quotes", "Win an iPhone", "Crypto Pro", "VPN Shield")]
    brand = [(f"Shopify Plan {i}", "shopify.com") for i in range(8)]
    assert shared_hosts(lander + brand) == {"lp-host.net"}
    assert shared_hosts(lander[:4]) == set()  # four products: not enough evidence

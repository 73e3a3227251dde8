"""The HTTP API in-process (FastAPI TestClient over a real LanceDB index of registry programs)."""

from __future__ import annotations

import shutil

import pytest
from fastapi.testclient import TestClient

from matrix.config import load_settings
from serve_apps.api import LocalBackend, create_app
from serve_apps.security import StaticVerifier
from serve_apps.service import FACETS, SearchService
from tests.support.serve_data import build_registry_index, program_from_listing, registry_listings

ADMIN = "admin-key-0123456789"
SEARCH_KEY = "search-key-0123456789"


def _settings(home, **serve):
    base = {"read_consistency_interval_s": 0, "rate_limit_per_minute": 100000, **serve}
    return load_settings(overrides={"home": str(home), "serve": base})


@pytest.fixture(scope="module")
def indexed(tmp_path_factory):
    home = tmp_path_factory.mktemp("serve-api")
    settings = _settings(home)
    index, programs = build_registry_index(settings, n=150)
    return settings, index, programs


def _client(settings, keys=None, service=None):
    service = service or SearchService(settings)
    verifier = StaticVerifier(keys or {settings.serve.admin_key_ref: ADMIN})
    return TestClient(create_app(settings, LocalBackend(service), verifier)), service


@pytest.fixture(scope="module")
def client(indexed):
    c, _ = _client(indexed[0])
    with c:
        yield c


def test_text_search_returns_relevant_real_programs_with_total_facets_and_version(client, indexed):
    r = client.get("/search", params={"q": "email marketing", "limit": 5})
    assert r.status_code == 200
    body = r.json()
    assert body["total"] >= 5 and len(body["hits"]) == 5
    assert body["version"] == indexed[1].programs.version
    names = " ".join(h["name"].lower() + " " + (h["description"] or "").lower() for h in body["hits"])
    assert "email" in names
    assert set(body["facets"]) == set(FACETS) and {"network", "category", "commission_model", "approval"} <= set(FACETS)
    assert sum(body["facets"]["commission_model"].values()) == body["total"]


def test_filters_narrow_results_and_facet_counts_follow(client):
    everything = client.get("/search", params={"limit": 1}).json()
    cats = everything["facets"]["category"]
    top_cat, top_n = max(cats.items(), key=lambda kv: kv[1])
    narrowed = client.get("/search", params={"category": top_cat, "limit": 100}).json()
    assert narrowed["total"] == top_n < everything["total"]
    assert all(h["category"] == top_cat for h in narrowed["hits"])
    assert narrowed["facets"]["category"] == {top_cat: top_n}
    pct = client.get("/search", params={"commission_model": "percent", "min_commission": 30, "limit": 100}).json()
    assert pct["total"] > 0
    assert all(h["commission_model"] == "percent" and h["commission_percent"] >= 30 for h in pct["hits"])
    cookies = client.get("/search", params={"cookie_days": 60, "limit": 100}).json()
    assert cookies["total"] > 0 and all(h["cookie_days"] >= 60 for h in cookies["hits"])


def test_pagination_is_disjoint_and_total_stable(client):
    p1 = client.get("/search", params={"offset": 0, "limit": 10, "facets": "none"}).json()
    p2 = client.get("/search", params={"offset": 10, "limit": 10, "facets": "none"}).json()
    assert p1["total"] == p2["total"] == 150
    assert p1["facets"] == {} and p2["facets"] == {}
    assert not {h["program_id"] for h in p1["hits"]} & {h["program_id"] for h in p2["hits"]}


@pytest.mark.parametrize("params,field", [
    ({"limit": 0}, "limit"), ({"limit": 101}, "limit"), ({"offset": -1}, "offset"),
    ({"mode": "fuzzy"}, "mode"), ({"sort": "name"}, "sort"), ({"q": "x" * 257}, "q"),
    ({"min_commission": "abc"}, "min_commission"), ({"min_commission": "nan"}, "min_commission"),
    ({"verified_since": "yesterday"}, "verified_since"), ({"country": "USA"}, "country"),
    ({"approval": "sometimes"}, "approval"), ({"facets": "price"}, "facets"), ({"q": "a\x00b"}, "q"),
])
def test_bad_parameters_get_422_naming_the_field(client, params, field):
    r = client.get("/search", params=params)
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert any(field in [str(x) for x in d["loc"]] for d in detail), detail
    assert all(d["msg"] for d in detail)


def test_program_detail_has_provenance_and_source_listings_and_404(client, indexed):
    p = indexed[2][3]
    r = client.get(f"/programs/{p.program_id}")
    assert r.status_code == 200
    body = r.json()
    assert body["program"]["name"] == p.name
    assert body["provenance"]["commission"]["source"] == "openaffiliate"
    assert [lst["source_id"] for lst in body["listings"]] == [p.listing_keys[0].split(":", 1)[1]]
    missing = client.get("/programs/does-not-exist")
    assert missing.status_code == 404 and "does-not-exist" in missing.json()["detail"]
    assert client.get("/programs/it's").status_code == 404  # quotes are escaped, not SQL


def test_facets_stats_health_metrics_page_and_openapi(client):
    f = client.get("/facets").json()
    assert f["total"] == 150 and sum(f["facets"]["approval"].values()) == 150
    s = client.get("/stats").json()
    assert s["index"]["tables"]["programs"]["rows"] == 150
    assert "openaffiliate" in s["index"]["last_ingest"]
    assert client.get("/healthz").json()["status"] == "ok"
    page = client.get("/")
    assert page.status_code == 200 and "<form id=\"search-form\"" in page.text
    assert client.get("/static/app.js").status_code == 200
    assert "matrix_cache_requests_total" in client.get("/metrics").text
    spec = client.get("/openapi.json").json()
    assert {"/search", "/programs/{program_id}", "/facets", "/stats", "/healthz"} <= set(spec["paths"])
    limit = next(p for p in spec["paths"]["/search"]["get"]["parameters"] if p["name"] == "limit")
    assert limit["schema"]["maximum"] == 100


def test_result_cache_hits_then_misses_after_a_new_index_version(indexed):
    settings, index, programs = indexed
    c, service = _client(settings)
    params = {"q": "crm", "limit": 3}
    first = c.get("/search", params=params).json()
    second = c.get("/search", params=params).json()
    assert (first["cached"], second["cached"]) == (False, True)
    assert second["hits"] == first["hits"]
    # a new ingest = a new version: the same request is recomputed without any purge
    extra = registry_listings(settings, 151)[-1]
    index.upsert_programs([program_from_listing(extra)])
    index.ensure_text_index()
    third = c.get("/search", params=params).json()
    assert third["cached"] is False and third["version"] > first["version"]
    assert service.results.stats()["hits"] == 1


def test_admin_optimize_needs_the_admin_key(indexed):
    settings = indexed[0]
    c, _ = _client(settings)
    assert c.post("/admin/optimize").status_code == 401
    assert c.post("/admin/optimize", headers={"X-API-Key": "wrong"}).status_code == 401
    r = c.post("/admin/optimize", params={"dry_run": "true"}, headers={"X-API-Key": ADMIN})
    assert r.status_code == 200
    body = r.json()
    assert body["dry_run"] is True and body["decisions"] and all(d["reason"] for d in body["decisions"])


def test_keyed_search_when_public_search_is_off(indexed, tmp_path):
    settings = _settings(indexed[0].home, public_search=False)
    c, _ = _client(settings, keys={settings.serve.search_key_ref: SEARCH_KEY, settings.serve.admin_key_ref: ADMIN})
    assert c.get("/search").status_code == 401
    assert c.get("/search", headers={"X-API-Key": SEARCH_KEY}).status_code == 200
    assert c.get("/search", headers={"X-API-Key": ADMIN}).status_code == 200
    assert c.get("/healthz").status_code == 200  # probes stay open


def test_per_client_rate_limit_answers_429_with_retry_after(indexed):
    settings = _settings(indexed[0].home, rate_limit_per_minute=3)
    c, _ = _client(settings)
    codes = [c.get("/search", params={"limit": 1, "facets": "none"}).status_code for _ in range(5)]
    assert codes[:3] == [200, 200, 200] and codes[3:] == [429, 429]
    r = c.get("/search")
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
    other = TestClient(c.app, client=("192.0.2.10", 40000)).get("/search")
    assert other.status_code == 200  # a different client (address) has its own bucket
    assert c.get("/search", headers={"X-API-Key": "made-up"}).status_code == 401  # not a new identity


def test_cors_allows_only_configured_origins(client):
    ok = client.options("/search", headers={"Origin": "http://127.0.0.1:8000", "Access-Control-Request-Method": "GET"})
    assert ok.headers.get("access-control-allow-origin") == "http://127.0.0.1:8000"
    bad = client.get("/search", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in bad.headers


def test_health_is_503_when_the_index_is_unreadable(tmp_path):
    settings = _settings(tmp_path / "home")
    index, _ = build_registry_index(settings, n=20)
    c, _ = _client(settings)
    assert c.get("/healthz").status_code == 200
    shutil.rmtree(tmp_path / "home" / "index" / "programs.lance" / "data")
    r = c.get("/healthz")
    assert r.status_code == 503 and "unreadable" in r.json()["detail"]


def test_empty_home_serves_empty_results_not_errors(tmp_path):
    c, _ = _client(_settings(tmp_path / "empty"))
    assert c.get("/healthz").json()["status"] == "empty"
    r = c.get("/search", params={"q": "anything"})
    assert r.status_code == 200 and r.json()["total"] == 0 and r.json()["version"] is None

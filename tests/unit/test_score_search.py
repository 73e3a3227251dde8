"""The program score inside search, the compare table on API and CLI (real registry slice, LanceDB)."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from matrix.config import load_settings
from matrix.index import SearchFilters, SearchRequest, search
from serve_apps.api import LocalBackend, create_app
from serve_apps.security import StaticVerifier
from serve_apps.service import SearchService
from tests.support.serve_data import build_registry_index

SEARCH_KEY = "search-key-0123456789"


@pytest.fixture(scope="module")
def indexed(tmp_path_factory):
    home = tmp_path_factory.mktemp("score-search")
    settings = load_settings(overrides={"home": str(home), "serve": {
        "read_consistency_interval_s": 0, "rate_limit_per_minute": 100000}})
    index, programs = build_registry_index(settings, n=150)
    return settings, index, programs


@pytest.fixture(scope="module")
def client(indexed):
    settings = indexed[0]
    with TestClient(create_app(settings, LocalBackend(SearchService(settings)), StaticVerifier({}))) as c:
        yield c


def test_every_hit_carries_score_confidence_and_reasons_and_sorts_by_score(indexed):
    _, index, _ = indexed
    res = search(index, SearchRequest(q="marketing", sort="score", limit=20, facets=["score"]))
    assert res.total > 20
    scores = [h["program_score"] for h in res.hits]
    assert scores == sorted(scores, reverse=True) and scores[0] > scores[-1]
    for h in res.hits:
        assert 0 <= h["program_score"] <= 100 and 0 < h["score_confidence"] <= 1
        assert 1 <= len(h["score_reasons"]) <= 3 and all(isinstance(r, str) and r for r in h["score_reasons"])
        assert set(h["score_components"]) >= {"earnings", "cookie", "freshness"}
    assert sum(res.facets["score"].values()) == res.total
    # relevance order still carries the score, and the relevance value stays in `score`
    rel = search(index, SearchRequest(q="marketing", limit=5))
    assert all(h["program_score"] is not None and h["score"] is not None for h in rel.hits)


def test_min_score_filter_and_weights_change_the_ranking(indexed):
    _, index, _ = indexed
    everything = search(index, SearchRequest(sort="score", limit=200, facets=["score"]))
    top_band = everything.facets["score"]["60-80"] + everything.facets["score"]["80-100"]
    high = search(index, SearchRequest(sort="score", limit=200, filters=SearchFilters(min_score=60)))
    assert high.total == top_band and all(h["program_score"] >= 60 for h in high.hits)
    cookie_first = search(index, SearchRequest(sort="score", limit=10, weights="earnings:0,cookie:10,access:0,"
                                                                               "payout:0,freshness:0,data_quality:0"))
    days = [h["cookie_days"] for h in cookie_first.hits]
    assert days == sorted(days, reverse=True)
    assert [h["program_id"] for h in cookie_first.hits] != [h["program_id"] for h in everything.hits[:10]]
    with pytest.raises(ValueError, match="weights: unknown component 'speed'"):
        search(index, SearchRequest(weights="speed:1"))


def test_api_sort_score_weights_and_errors(client):
    r = client.get("/search", params={"q": "email", "sort": "score", "limit": 5, "facets": "score"})
    assert r.status_code == 200
    body = r.json()
    assert [h["program_score"] for h in body["hits"]] == sorted((h["program_score"] for h in body["hits"]), reverse=True)
    assert set(body["facets"]["score"]) >= {"0-20", "80-100"}
    w = client.get("/search", params={"q": "email", "sort": "score", "limit": 5, "weights": "earnings:0,cookie:9"}).json()
    assert w["hits"] != body["hits"]  # a different weighting is a different cache entry too
    bad = client.get("/search", params={"weights": "earnings:many"})
    assert bad.status_code == 422 and "weights" in bad.text and "not a number" in bad.text
    assert client.get("/search", params={"min_score": 101}).status_code == 422


def test_compare_api_shows_terms_sources_ages_differences_and_components(client, indexed):
    ids = [p.program_id for p in indexed[2][:3]]
    r = client.get("/compare", params={"ids": ",".join(ids)})
    assert r.status_code == 200, r.text
    body = r.json()
    assert [p["program_id"] for p in body["programs"]] == ids
    assert all(p["score"] is not None and p["reasons"] for p in body["programs"])
    rows = {row["field"]: row for row in body["terms"]}
    assert {"commission", "cookie_days", "payout", "approval", "last_verified"} <= set(rows)
    cell = rows["commission"]["values"][0]
    assert cell["source"] == "openaffiliate" and isinstance(cell["age_days"], int)
    for row in body["terms"]:  # `differs` is exactly "the shown values are not all equal"
        assert row["differs"] == (len({c["text"] for c in row["values"]}) > 1)
    assert any(row["differs"] for row in body["terms"])
    assert [row["component"] for row in body["score"]][:2] == ["earnings", "cookie"]
    assert all(len(row["values"]) == 3 for row in body["score"])
    # errors name the argument
    five = client.get("/compare", params={"ids": ",".join([p.program_id for p in indexed[2][:5]])})
    assert five.status_code == 422 and five.json()["detail"][0]["loc"] == ["query", "ids"]
    missing = client.get("/compare", params={"ids": f"{ids[0]},nope"})
    assert missing.status_code == 404 and "'nope'" in missing.text
    assert client.get("/compare", params={"ids": ",".join(ids[:2]), "weights": "x:1"}).status_code == 422


def test_compare_needs_the_search_key_when_search_is_private(indexed):
    settings = indexed[0].model_copy(deep=True)
    settings.serve.public_search = False
    app = create_app(settings, LocalBackend(SearchService(settings)),
                     StaticVerifier({settings.serve.search_key_ref: SEARCH_KEY}))
    ids = ",".join(p.program_id for p in indexed[2][:2])
    with TestClient(app) as c:
        assert c.get("/compare", params={"ids": ids}).status_code == 401
        assert c.get("/compare", params={"ids": ids}, headers={"X-API-Key": SEARCH_KEY}).status_code == 200


def test_cli_compare_and_search_by_score(indexed, capsys):
    from matrix.cli import main

    settings, _, programs = indexed
    ids = [p.program_id for p in programs[:2]]
    assert main(["--home", str(settings.home), "compare", *ids]) == 0
    out = capsys.readouterr().out
    assert programs[0].name[:20] in out and "Commission" in out and "earnings" in out and "[openaffiliate," in out
    assert main(["--home", str(settings.home), "compare", ids[0], "--json"]) == 2
    assert "2 to 4" in capsys.readouterr().err
    assert main(["--home", str(settings.home), "search", "marketing", "--sort", "score", "--weights", "earnings:3",
                 "--json", "--limit", "5"]) == 0
    hits = json.loads(capsys.readouterr().out)["hits"]
    assert len(hits) == 5 and all(h["score_reasons"] for h in hits)
    assert [h["program_score"] for h in hits] == sorted((h["program_score"] for h in hits), reverse=True)


def test_column_wise_inputs_equal_the_row_wise_ones(indexed):
    import numpy as np

    from matrix.index.search import SCORE_COLUMNS
    from matrix.score import ScoreInputs
    from matrix.score.model import inputs_from_arrow

    table = indexed[1].snapshot().dataset.to_table(columns=SCORE_COLUMNS)
    a, b = inputs_from_arrow(table), ScoreInputs.from_rows(table.to_pylist())
    for name in ScoreInputs.__dataclass_fields__:
        x, y = getattr(a, name), getattr(b, name)
        if isinstance(x, np.ndarray):
            np.testing.assert_allclose(x, y, equal_nan=True, err_msg=name)
        else:
            assert x == y, name

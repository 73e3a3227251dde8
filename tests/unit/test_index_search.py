"""search(): modes, filters (Lance prefilter vs column cache), facets, sorts, paging, totals."""

from __future__ import annotations

import datetime as dt
import math
import re

import numpy as np
import pytest

from matrix.index import SearchFilters, SearchRequest, search
from matrix.index.search import FACETS, build_where, rrf
from tests.support.index_data import build_index, index_settings

NOW = dt.datetime(2026, 2, 1, tzinfo=dt.timezone.utc)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    settings = index_settings(tmp_path_factory.mktemp("idx-search"))
    index, programs, vectors = build_index(settings)
    return index, programs, vectors


def _all(index, req, **kw):
    """Every hit of a request, paged 7 at a time (exercises offset/limit)."""
    out, offset = [], 0
    while True:
        page = search(index, SearchRequest(**{**req.__dict__, "offset": offset, "limit": 7}), **kw)
        out.extend(page.hits)
        offset += 7
        if offset >= page.total:
            return out, page


def _tokens(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", text.lower()))


FILTER_CASES = [
    SearchFilters(),
    SearchFilters(networks=["awin"]),
    SearchFilters(networks=["awin", "cj"], categories=["software", "travel"]),
    SearchFilters(categories=["unknown"]),
    SearchFilters(networks=["unknown"]),
    SearchFilters(commission_models=["percent"], min_commission_percent=20),
    SearchFilters(commission_models=["unknown"]),
    SearchFilters(min_cookie_days=60, countries=["de", "fr"]),
    SearchFilters(countries=["unknown"], approval=["manual", "unknown"]),
    SearchFilters(verified_since="2025-09-01"),
    SearchFilters(verified_since="2025-09-01T12:00:00+02:00", approval=["auto"], min_cookie_days=0),
]


@pytest.mark.parametrize("filters", FILTER_CASES, ids=range(len(FILTER_CASES)))
def test_browse_filters_agree_with_lance_prefilter(built, filters):
    index, _, _ = built
    res = search(index, SearchRequest(filters=filters, limit=0))
    where = build_where(filters)
    assert res.total == index.programs.count_rows(where)
    assert res.total_exact


def test_filters_select_what_they_say(built):
    index, programs, _ = built
    f = SearchFilters(networks=["awin"], min_commission_percent=20, countries=["us"], approval=["auto", "manual"])
    hits, res = _all(index, SearchRequest(filters=f))
    expected = {p.program_id for p in programs
                if "awin" in p.networks and (p.commission.best_percent or -1) >= 20
                and "US" in p.geo_allowed and p.approval.value in ("auto", "manual")}
    assert {h["program_id"] for h in hits} == expected
    assert res.total == len(expected) > 0


def test_text_search_total_paging_and_relevance(built):
    index, programs, _ = built
    expected = {p.program_id for p in programs if "loans" in _tokens(p.search_text())}
    assert expected
    hits, res = _all(index, SearchRequest(q="loans"))
    ids = [h["program_id"] for h in hits]
    assert len(ids) == len(set(ids)) == res.total
    assert set(ids) == expected
    scores = [h["score"] for h in hits]
    assert scores == sorted(scores, reverse=True)
    one = search(index, SearchRequest(q="loans", limit=len(ids)))
    assert [h["program_id"] for h in one.hits] == ids


def test_text_with_filters_and_facets_match_the_result_set(built):
    index, programs, _ = built
    req = SearchRequest(q="loans credit banking", filters=SearchFilters(min_cookie_days=30),
                        facets=list(FACETS))
    hits, res = _all(index, req, now=NOW)
    by_id = {p.program_id: p for p in programs}
    chosen = [by_id[h["program_id"]] for h in hits]
    assert chosen and all(p.cookie_days is not None and p.cookie_days >= 30 for p in chosen)
    nets: dict[str, int] = {}
    for p in chosen:
        for n in p.networks or ["unknown"]:
            nets[n] = nets.get(n, 0) + 1
    assert res.facets["network"] == dict(sorted(nets.items(), key=lambda kv: (-kv[1], kv[0])))
    assert res.facets["cookie_days"][">=30"] == len(chosen)
    assert res.facets["commission"][">=10"] == sum(1 for p in chosen if (p.commission.best_percent or -1) >= 10)
    assert res.facets["commission"].get("unknown", 0) == sum(1 for p in chosen if p.commission.best_percent is None)
    recent = sum(1 for p in chosen if p.last_verified and (NOW - p.last_verified).days <= 365)
    assert res.facets["last_verified"]["<=365d"] == recent
    assert sum(res.facets["approval"].values()) == len(chosen)


def test_unknown_is_a_facet_value_and_a_filter(built):
    index, programs, _ = built
    res = search(index, SearchRequest(q="zanzibarq", facets=["category", "network", "country", "commission_model"]))
    assert {h["program_id"] for h in res.hits} == {"edge-unknown", "edge-rich"}
    assert res.facets["category"] == {"travel": 1, "unknown": 1}
    assert res.facets["network"] == {"awin": 1, "cj": 1, "unknown": 1}
    assert res.facets["country"] == {"GB": 1, "US": 1, "unknown": 1}
    assert res.facets["commission_model"] == {"percent": 1, "unknown": 1}
    only_unknown = search(index, SearchRequest(q="zanzibarq", filters=SearchFilters(categories=["unknown"])))
    assert [h["program_id"] for h in only_unknown.hits] == ["edge-unknown"]
    hit = only_unknown.hits[0]
    assert hit["cookie_days"] is None and hit["commission_percent"] is None  # unknown stays None, never 0


@pytest.mark.parametrize("sort,column", [("commission", "commission_percent"), ("cookie_days", "cookie_days"),
                                         ("epc", "epc"), ("last_verified", "last_verified")])
def test_sorts_descend_with_unknown_last(built, sort, column):
    index, _, _ = built
    hits, res = _all(index, SearchRequest(filters=SearchFilters(categories=["software", "travel"]), sort=sort))
    values = [h[column] for h in hits]
    known = [v for v in values if v is not None]
    assert known == sorted(known, reverse=True)
    first_none = next((i for i, v in enumerate(values) if v is None), len(values))
    assert all(v is None for v in values[first_none:])
    assert len(known) < len(values)  # the data has unknowns, so the "last" part is really tested
    assert sort != "commission" or hits[0]["program_id"] == "edge-rich"  # the richest program leads


def test_vector_mode_finds_nearest_and_matches_exact_search(built):
    index, programs, vectors = built
    assert "vector" in index.snapshot().indexed  # above vector_index_min_rows: ANN + refine
    pos = [p.program_id for p in programs].index("edge-vector")
    res = search(index, SearchRequest(q="anything", mode="vector", limit=10), embed_query=lambda q: vectors[pos])
    assert res.hits[0]["program_id"] == "edge-vector"
    assert res.hits[0]["score"] == pytest.approx(1.0, abs=1e-3)
    assert res.total == index.settings.index.vector_candidates
    rng = np.random.default_rng(3)
    recalls = []
    for i in rng.integers(0, len(programs), 10):
        q = vectors[i] + rng.standard_normal(vectors.shape[1]).astype(np.float32) * 0.05
        got = [h["program_id"] for h in search(index, SearchRequest(q="x", mode="vector", limit=10),
                                               embed_query=lambda _q, v=q: v).hits]
        exact = index.programs.search(q, vector_column_name="vector").distance_type("cosine") \
            .bypass_vector_index().limit(10).select(["program_id"]).to_arrow().column("program_id").to_pylist()
        recalls.append(len(set(got) & set(exact)) / 10)
    assert np.mean(recalls) >= 0.9


def test_vector_mode_respects_filters(built):
    index, programs, vectors = built
    f = SearchFilters(categories=["finance"], min_cookie_days=30)
    res = search(index, SearchRequest(q="x", mode="vector", filters=f, limit=50), embed_query=lambda q: vectors[0])
    assert res.hits and all(h["category"] == "finance" and h["cookie_days"] >= 30 for h in res.hits)
    assert res.total == sum(1 for p in programs if p.category == "finance" and (p.cookie_days or -1) >= 30) \
        or res.total == index.settings.index.vector_candidates


def test_hybrid_fuses_text_and_vector(built):
    index, programs, vectors = built
    pos = [p.program_id for p in programs].index("edge-vector")
    res = search(index, SearchRequest(q="zanzibarq", mode="hybrid", limit=5, facets=["category"]),
                 embed_query=lambda q: vectors[pos])
    top = [h["program_id"] for h in res.hits]
    # text-only matches and the vector-only match all make the top of the fused list
    assert {"edge-unknown", "edge-rich", "edge-vector"} <= set(top[:3])
    assert res.mode == "hybrid" and res.total >= 3
    assert sum(res.facets["category"].values()) == res.total
    scores = [h["score"] for h in res.hits]
    assert scores == sorted(scores, reverse=True)


def test_rrf_formula():
    ids, scores = rrf([["a", "b", "c"], ["c", "d"]], k=60)
    assert ids[0] == "c"
    assert scores[0] == pytest.approx(1 / 63 + 1 / 61)
    assert dict(zip(ids, scores))["d"] == pytest.approx(1 / 62)
    assert set(ids) == {"a", "b", "c", "d"}


def test_text_cap_reports_inexact_total(built):
    index, _, _ = built
    capped = index.settings.model_copy(update={"index": index.settings.index.model_copy(update={"text_candidates": 10})})
    from matrix.index import MasterIndex

    small = MasterIndex(capped)
    res = search(small, SearchRequest(q="software crm analytics", limit=3))
    assert res.total == 10 and not res.total_exact
    full = search(index, SearchRequest(q="software crm analytics", limit=3))
    assert full.total > 10 and full.total_exact


@pytest.mark.parametrize("req,message", [
    (SearchRequest(mode="fuzzy"), "mode"),
    (SearchRequest(sort="price"), "sort"),
    (SearchRequest(facets=["colour"]), "facets"),
    (SearchRequest(offset=-1), "offset"),
    (SearchRequest(limit=-5), "limit"),
    (SearchRequest(filters=SearchFilters(verified_since="last tuesday")), "verified_since"),
    (SearchRequest(filters=SearchFilters(min_cookie_days="30")), "min_cookie_days"),  # type: ignore[arg-type]
    (SearchRequest(filters=SearchFilters(networks=[""])), "networks"),
    (SearchRequest(q="x", mode="vector"), "embed_query"),
])
def test_bad_requests_fail_clearly(built, req, message):
    index, _, _ = built
    with pytest.raises(ValueError, match=message):
        search(index, req)


@pytest.mark.parametrize("q", ['"zanzibarq deluxe"', "zanzibarq AND", "zanzibarq:*", "zanzibarq'"])
def test_odd_query_syntax_is_plain_words(built, q):
    index, _, _ = built
    res = search(index, SearchRequest(q=q))
    assert {"edge-rich", "edge-unknown"} <= {h["program_id"] for h in res.hits}


def test_quotes_in_filter_values_are_escaped(built):
    index, _, _ = built
    res = search(index, SearchRequest(filters=SearchFilters(categories=["o'brien"], networks=["x'); drop"])))
    assert res.total == 0


def test_empty_and_missing_index(tmp_path):
    from matrix.index import MasterIndex

    index = MasterIndex(index_settings(tmp_path))
    res = search(index, SearchRequest(q="anything", facets=["network"]))
    assert (res.total, res.hits, res.facets, res.version) == (0, [], {"network": {}}, None)
    index.upsert_programs([])
    assert search(index, SearchRequest(q="")).total == 0


def test_hits_carry_fields_and_no_vector(built):
    index, programs, _ = built
    res = search(index, SearchRequest(q="zanzibarq deluxe", limit=1))
    hit = res.hits[0]
    assert hit["program_id"] == "edge-rich" and "vector" not in hit
    assert hit["commission"]["percent_max"] == 75.0 and hit["networks"] == ["awin", "cj"]
    assert not math.isnan(hit["score"]) and res.version == index.programs.version


@pytest.mark.parametrize("sort", ["relevance", "commission", "cookie_days", "epc", "last_verified"])
@pytest.mark.parametrize("ranked", [True, False])
def test_partial_sort_equals_full_sort_on_the_page(built, sort, ranked):
    from matrix.index.search import order

    index, _, _ = built
    cols = index.snapshot().columns
    positions = np.random.default_rng(1).permutation(cols.n)[: cols.n - 3]
    full = order(cols, positions, sort, ranked)
    for top in (1, 5, 17):
        assert list(order(cols, positions, sort, ranked, top=top)[:top]) == list(full[:top])
    assert len(order(cols, positions, sort, ranked, top=0)) == 0 or ranked

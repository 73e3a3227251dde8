"""Several sources crawled on one event loop (`fetch_concurrently`) against generated sites on
127.0.0.1: every page arrives once, hosts are crawled side by side yet never faster than
allowed, and a re-crawl re-parses exactly the page that changed."""

from __future__ import annotations

from matrix.config import load_settings
from matrix.sources import build_source
from matrix.sources.directory import fetch_concurrently
from tests.support.site_server import Site, SiteServer
from tests.support.sites_generated import odigger_like

N = 60
RATE, BURST = 150.0, 4


def _sources(home, srv, names):
    settings = load_settings(overrides={
        "home": str(home), "logging": {"level": "WARNING"},
        "crawl": {"timeout_s": 5, "max_retries": 1},
        "sources": [{"name": n, "kind": "odigger", "url": srv.url(n),
                     "rate_limit": {"requests_per_second": RATE, "burst": BURST, "max_concurrency": 4}} for n in names]})
    return [build_source(settings.source(n), settings) for n in names]


def test_sources_share_one_loop_politely_and_recrawl_reparses_only_changes(matrix_home):
    versions: dict[int, int] = {}
    sites = [Site(f"g{k}", generator=odigger_like(N, host=k, versions=versions if k == 0 else None)) for k in range(3)]
    names = [s.name for s in sites]
    with SiteServer(sites) as srv:
        first = _sources(matrix_home, srv, names)
        pages = list(fetch_concurrently(first))
        by_source = {n: [p for p in pages if p.source == n] for n in names}
        assert {n: len(v) for n, v in by_source.items()} == {n: N for n in names}
        assert all(len({p.url for p in v}) == N for v in by_source.values())
        assert len({p.source for p in pages[:N]}) >= 2, "hosts were crawled one after another"
        for src in first:
            rep = src.report
            assert rep.failed_total == 0 and rep.pages_yielded == N and rep.elapsed_s > 0
            assert rep.requests <= BURST + RATE * rep.elapsed_s + 1, "faster than the host's rate limit"
        parsed = {p.url: first[names.index(p.source)].parse(p) for p in pages}
        assert all(len(r) == 1 and r[0]["commission"] for r in parsed.values())

        versions[5] = 1  # one page of g0 changes
        second = _sources(matrix_home, srv, names)
        again = list(fetch_concurrently(second))
        assert len(again) == 3 * N
        changed = [p for p in again if not p.meta["not_modified"]]
        assert [p.url for p in changed] == [srv.url("g0") + "/offer/o5"]
        assert all(p.meta.get("records") for p in again if p.meta["not_modified"])
        src0 = second[0]
        listing = src0.to_listing(src0.parse(changed[0])[0], changed[0].fetched_at)
        assert "Updated terms v1" in listing.description
        assert sum(s.report.bytes_downloaded for s in second) < 0.05 * sum(s.report.bytes_downloaded for s in first)


def test_a_failing_source_does_not_hide_the_others(matrix_home):
    good = Site("good", generator=odigger_like(10))
    with SiteServer([good]) as srv:
        settings = load_settings(overrides={
            "home": str(matrix_home), "crawl": {"timeout_s": 1, "max_retries": 0},
            "sources": [{"name": "good", "kind": "odigger", "url": srv.url("good"),
                         "rate_limit": {"requests_per_second": 100, "burst": 4, "max_concurrency": 4}},
                        {"name": "down", "kind": "odigger", "url": "http://127.0.0.1:9",
                         "rate_limit": {"requests_per_second": 100, "burst": 4, "max_concurrency": 4}}]})
        srcs = [build_source(settings.source(n), settings) for n in ("good", "down")]
        pages = list(fetch_concurrently(srcs))
    assert len(pages) == 10 and {p.source for p in pages} == {"good"}
    assert srcs[1].report.failed_total >= 1 and srcs[1].report.pages_yielded == 0

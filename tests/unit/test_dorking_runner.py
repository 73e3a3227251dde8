"""Dorking against a local SearXNG/Brave stand-in on 127.0.0.1: queries, paging, retries,
filtering against the index's domains, scoring, candidate Listings and the `dork` source."""

from __future__ import annotations

import asyncio
import json

import pytest

from matrix.config import SourceSettings, load_settings
from matrix.dorking import BraveBackend, DorkBackendError, DorkQuery, DorkRunner, SearxngBackend, expand, write_candidates
from matrix.dorking.runner import program_name
from matrix.dorking.scoring import DorkHit, score_hit
from matrix.dorking.source import DorkSource
from matrix.models import CommissionModel
from matrix.ratelimit import RetryPolicy
from tests.support.dork_server import DorkServer, searx_result

T1 = '"{niche}" "affiliate program" commission'
T2 = 'inurl:affiliate "{niche}"'


@pytest.fixture
def server():
    s = DorkServer().start()
    yield s
    s.stop()


def _sleeps():
    delays: list[float] = []

    async def sleep(d: float) -> None:
        delays.append(d)
    return delays, sleep


def _backend(server, cls=SearxngBackend, **kw):
    delays, sleep = _sleeps()
    b = cls(server.url, requests_per_second=kw.pop("rps", 100.0), burst=kw.pop("burst", 5), timeout_s=5,
            retry=RetryPolicy(max_retries=kw.pop("retries", 2), base_s=0.01, max_s=0.05), sleep=sleep, **kw)
    return b, delays


def test_expand_is_deduplicated_bounded_and_strips_quotes():
    qs = expand([T1, T2], ['email "marketing"', "email  marketing", "vpn"], max_queries=3)
    assert [q.text for q in qs] == ['"email marketing" "affiliate program" commission',
                                    'inurl:affiliate "email marketing"', '"vpn" "affiliate program" commission']
    assert qs[2].niche == "vpn" and qs[0].template == T1
    with pytest.raises(ValueError, match="must contain"):
        expand(["affiliate program"], ["vpn"])
    assert expand([T1], ["  ", '""']) == []


def test_score_rewards_program_pages_and_clamps():
    strong = DorkHit("https://acme.io/affiliates", "Acme Affiliate Program", "Earn 30% recurring commission on email marketing",
                     "q", "email marketing", 0, "x")
    weak = DorkHit("https://blog.example.com/post", "Ten tips", "Some words", "q", "email marketing", 19, "x")
    s_strong, reasons = score_hit(strong, 20, extra_queries=5)
    s_weak, _ = score_hit(weak, 20)
    assert s_strong == 1.0 and {"affiliate url", "program phrase", "commission terms", "niche mentioned"} <= set(reasons)
    assert s_weak < 0.05
    assert program_name("Acme Affiliate Program | Acme Mail", "acme.io") == "Acme Mail"
    assert program_name("Affiliate Program", "acme.io") == "Acme"


def test_searxng_pages_until_limit_and_sends_json_format(server):
    q = DorkQuery("email affiliate", "email", T1)
    server.results[q.text] = [searx_result(f"https://m{i}.com/affiliates", f"M{i}", "x") for i in range(15)]
    b, _ = _backend(server)

    async def go():
        async with b:
            return await b.search(q, 12)
    hits = asyncio.run(go())
    assert [h.url for h in hits] == [f"https://m{i}.com/affiliates" for i in range(12)]
    assert [h.rank for h in hits] == list(range(12))
    assert [(r["pageno"], r["format"]) for r in server.requests] == [("1", "json"), ("2", "json")]


def test_retry_after_is_honoured_then_gives_up_with_a_clear_error(server):
    q = DorkQuery("q1", "n", T1)
    server.results["q1"] = [searx_result("https://a.com/partners", "A", "x")]
    server.fail_next = [(429, {"Retry-After": "0.2"}), (503, {})]
    b, delays = _backend(server)

    async def go():
        async with b:
            return await b.search(q, 5), b.bucket.waited_s
    hits, waited = asyncio.run(go())
    assert len(hits) == 1 and len(server.requests) == 3
    assert delays[0] >= 0.05 and waited >= 0.15  # Retry-After (0.2 s) paused the bucket
    server.fail_next = [(500, {})] * 5
    b2, delays2 = _backend(server, retries=2)

    async def fail():
        async with b2:
            await b2.search(q, 5)
    with pytest.raises(DorkBackendError, match="status 500"):
        asyncio.run(fail())
    assert len(delays2) == 2


def test_searxng_without_json_format_explains_the_fix(server):
    server.json_disabled = True
    b, _ = _backend(server)

    async def go():
        async with b:
            await b.search(DorkQuery("x", "n", T1), 5)
    with pytest.raises(DorkBackendError, match="search.formats"):
        asyncio.run(go())


def test_brave_backend_sends_token_and_parses(server):
    server.results["vpn deals"] = [searx_result("https://vpnco.com/affiliate", "VPNCo Affiliates", "40% commission")]
    b, _ = _backend(server, cls=BraveBackend, api_key=server.brave_token)

    async def go():
        async with b:
            return await b.search(DorkQuery("vpn deals", "vpn", T1), 5)
    hits = asyncio.run(go())
    assert hits[0].snippet == "40% commission" and hits[0].engine == "brave"
    assert server.requests[0]["token"] == server.brave_token
    with pytest.raises(DorkBackendError, match="API key"):
        BraveBackend(server.url).request("x", 1, 5)


def test_runner_filters_known_and_excluded_scores_and_writes_listings(server, settings, tmp_path):
    niche = "email marketing"
    qs = expand([T1, T2], [niche])
    server.results[qs[0].text] = [
        searx_result("https://www.mailfox.io/affiliates", "MailFox Affiliate Program | MailFox",
                     "Earn 30% recurring commission on every email marketing plan"),
        searx_result("https://known.com/partners", "Known partner program", "20% commission"),
        searx_result("https://www.reddit.com/r/affiliate", "best email marketing affiliate program?", "30% commission"),
        searx_result("https://random-blog.net/post", "My week", "nothing relevant"),
    ]
    server.results[qs[1].text] = [searx_result("https://mailfox.io/partners", "MailFox partners", "")]
    b, _ = _backend(server)
    runner = DorkRunner(b, [T1, T2], known_domains=lambda: {"known.com"}, results_per_query=10, min_score=0.35)
    report = runner.run([niche])
    assert report.summary()["queries"] == 2 and report.hits == 5
    assert (report.known, report.excluded, report.low_score) == (1, 1, 1)
    [cand] = report.candidates
    assert cand.domain == "mailfox.io" and len(cand.queries) == 2 and cand.score >= 0.9
    path = write_candidates(report, tmp_path / "dorking")
    lst = json.loads(path.read_text().splitlines()[0])
    assert lst["source"] == "dork" and lst["source_id"] == "mailfox.io" and lst["name"] == "MailFox"
    assert lst["commission"]["percent_max"] == 30.0 and lst["commission"]["recurring"] is True
    assert write_candidates(type(report)(), tmp_path / "none") is None

    src = DorkSource(SourceSettings(name="dork", kind="dork", path=str(tmp_path / "dorking")), settings)
    [listing] = list(src.listings())
    assert listing.merchant_domain == "mailfox.io" and listing.commission.model == CommissionModel.PERCENT
    assert listing.raw["score"] == cand.score and "dork" in listing.tags


def test_runner_keeps_going_when_one_query_fails(server):
    qs = expand([T1, T2], ["crm"])
    server.results[qs[1].text] = [searx_result("https://crmly.com/affiliate-program", "Crmly affiliate program",
                                               "25% commission for crm referrals")]
    server.fail_next = [(500, {})] * 3  # the first query exhausts its retries
    b, _ = _backend(server, retries=2)
    report = DorkRunner(b, [T1, T2], results_per_query=10).run(["crm"])
    assert len(report.errors) == 1 and qs[0].text in report.errors[0]
    assert [c.domain for c in report.candidates] == ["crmly.com"]


def test_runner_from_settings_and_dork_source_kind(settings, server):
    s = load_settings(overrides={"home": str(settings.home), "triggers": {"allow_private_networks": ["127.0.0.1/32"], "dorking": {"url": server.url}},
                                 "sources": [{"name": "dork", "kind": "dork"}]})
    runner = DorkRunner.from_settings(s)
    assert isinstance(runner.backend, SearxngBackend) and runner.backend.user_agent == s.crawl.user_agent
    from matrix.sources import build_source

    src = build_source(s.source("dork"), s)
    assert isinstance(src, DorkSource) and list(src.listings()) == []
    with pytest.raises(DorkBackendError, match="no url"):
        DorkRunner.from_settings(load_settings(overrides={"home": str(settings.home)}))

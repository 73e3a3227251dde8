"""The crawl machinery without a network: host admission by priority, the cache writer thread,
the sync bridge over the crawl loop, Page (de)serialisation for Ray Data, the fast list-page and
label readers (checked against the bs4 versions they replace), and the parsed-records cache."""

from __future__ import annotations

import asyncio
import threading
import time

import pyarrow as pa
import pytest

from matrix.normalize.text import html_to_text
from matrix.ratelimit import TokenBucket
from matrix.sources.base import Page
from matrix.sources.crawler import PRIORITY_DETAIL, PRIORITY_LIST, HostGate
from matrix.sources.directory import iterate_async
from matrix.sources.extract import Labels, links_matching, list_page_links, next_page, soup_of
from matrix.sources.httpcache import BackgroundWriter, HttpCache
from tests.support.sites_generated import detail_html, list_html


# -- HostGate ------------------------------------------------------------------------------
def test_gate_serves_waiting_list_pages_before_detail_pages_and_caps_concurrency():
    async def scenario():
        gate = HostGate(TokenBucket(rate=1000, burst=100), max_concurrency=2)
        order, inflight, peak = [], 0, 0

        async def req(name, prio):
            nonlocal inflight, peak
            async with gate.slot(prio):
                inflight += 1
                peak = max(peak, inflight)
                order.append(name)
                await asyncio.sleep(0.01)
                inflight -= 1

        tasks = [asyncio.ensure_future(req(f"d{i}", PRIORITY_DETAIL)) for i in range(6)]
        await asyncio.sleep(0)  # d0, d1 take both slots; d2..d5 wait
        tasks.append(asyncio.ensure_future(req("list", PRIORITY_LIST)))
        await asyncio.gather(*tasks)
        return order, peak, gate.free

    order, peak, free = asyncio.run(scenario())
    assert peak == 2 and free == 2  # never more than the cap; every slot given back
    assert order.index("list") == 2, order  # first in line after the two already running


def test_gate_slot_is_not_lost_when_a_waiter_is_cancelled():
    async def scenario():
        gate = HostGate(TokenBucket(rate=1000, burst=10), max_concurrency=1)
        await gate.enter()
        waiter = asyncio.ensure_future(gate.enter())
        await asyncio.sleep(0)
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter
        gate.leave()
        await asyncio.wait_for(gate.enter(), 1)  # the slot came back despite the cancelled waiter
        gate.leave()
        return gate.free

    assert asyncio.run(scenario()) == 1


def test_gate_pays_one_token_per_request():
    async def scenario():
        gate = HostGate(TokenBucket(rate=50, burst=1), max_concurrency=8)
        t0 = time.monotonic()
        for _ in range(6):
            async with gate.slot():
                pass
        return time.monotonic() - t0

    assert asyncio.run(scenario()) >= 5 / 50 * 0.9  # 1 banked token, then 5 at 50/s


# -- BackgroundWriter ----------------------------------------------------------------------
def test_writer_keeps_order_and_drains_on_close(tmp_path):
    cache = HttpCache(tmp_path)
    writer = BackgroundWriter(poll_s=0.005)
    seen = []
    main = threading.get_ident()
    for i in range(200):
        writer.submit(lambda i=i: seen.append((i, threading.get_ident() != main)))
    writer.submit(cache._atomic_write, tmp_path / "x" / "f.bin", b"data")
    writer.close()
    assert [i for i, _ in seen] == list(range(200))
    assert all(off_thread for _, off_thread in seen)
    assert (tmp_path / "x" / "f.bin").read_bytes() == b"data"
    assert not list((tmp_path / "x").glob("*.tmp"))


def test_writer_writes_inline_when_too_much_is_pending_and_survives_disk_errors(tmp_path):
    writer = BackgroundWriter(max_pending=3, poll_s=10)  # the thread will not poll during the test
    seen = []

    def boom():
        raise OSError("disk full")

    for i in range(5):
        writer.submit(seen.append, i)
    writer.submit(boom)
    assert seen[:4] == [0, 1, 2, 3]  # back-pressure: the 4th submit drained and wrote inline
    writer.close()
    assert seen == [0, 1, 2, 3, 4] and writer.errors == 1


# -- iterate_async ---------------------------------------------------------------------------
def test_iterate_async_yields_in_order_and_reraises():
    async def gen():
        for i in range(5):
            await asyncio.sleep(0)
            yield i
        raise ValueError("site exploded")

    got = []
    with pytest.raises(ValueError, match="site exploded"):
        for x in iterate_async(gen, maxsize=2):
            got.append(x)
    assert got == [0, 1, 2, 3, 4]


def test_iterate_async_closed_early_cancels_the_producer():
    state = {"closed": False, "made": 0}

    async def gen():
        try:
            while True:
                state["made"] += 1
                yield state["made"]
                await asyncio.sleep(0.001)
        finally:
            state["closed"] = True

    it = iterate_async(gen, maxsize=4)
    assert [next(it) for _ in range(3)] == [1, 2, 3]
    it.close()
    assert state["closed"] and state["made"] <= 3 + 4 + 1  # bounded hand-off: never ran far ahead
    assert not [t for t in threading.enumerate() if t.name == "crawl-loop"]


# -- Page for Ray Data ---------------------------------------------------------------------
def test_page_meta_survives_an_arrow_round_trip_with_differently_shaped_records():
    pages = [
        Page(source="s", url="u1", body="<p>a</p>", meta={"records": [{"id": "1", "_missing": ["commission"]}], "status": 304}),
        Page(source="s", url="u2", body="<p>b</p>", meta={"records": [{"id": "2", "payout": 3.5, "tags": ["x"]}]}),
        Page(source="s", url="u3", body="<p>c</p>", meta={"networks": {"7": "Net"}}),
    ]
    table = pa.Table.from_pylist([p.to_dict() for p in pages])  # what Ray Data does with the rows
    back = [Page.from_dict(r) for r in table.to_pylist()]
    assert [b.meta for b in back] == [p.meta for p in pages]  # no keys invented, none lost
    assert back[0].fetched_at == pages[0].fetched_at and back[0].fetched_at.tzinfo is not None
    assert Page.from_dict({**pages[0].to_dict(), "meta": None}).meta == {}
    legacy = {**pages[2].to_dict(), "meta": {"a": 1}, "status": 200.0}  # an already-decoded dict still works
    assert Page.from_dict(legacy).meta == {"a": 1} and Page.from_dict(legacy).status == 200


# -- fast readers ----------------------------------------------------------------------------
LIST_CASES = [
    (list_html(1, 3, 120), r"/offer/[^/?#]+/?$"),
    (list_html(3, 3, 120), r"/offer/[^/?#]+/?$"),
    ('<a href="/x/1#a">1</a><a href="/x/1">dup</a><a class="pager-Next" href="?p=2">2</a>', r"/x/"),
    ('<a href="/x/2">»</a><a href="/y">y</a>', r"/x/"),
    ('<link rel="next"><a href="/x/3" rel="next">n</a>', r"/x/"),
    ('<a aria-label="Next page" href="/p/9">9</a>', r"/p/"),
    ("", r"/x/"),
    ("<?xml version='1.0' encoding='utf-8'?><a href='/x/4'>4</a>", r"/x/"),
]


@pytest.mark.parametrize("html,pattern", LIST_CASES)
def test_list_page_links_match_the_bs4_reader(html, pattern):
    base = "http://h:1/dir/page"
    soup = soup_of(html)
    assert list_page_links(html, pattern, base) == (links_matching(soup, pattern, base), next_page(soup, base))


def test_labels_read_every_layout_and_prefer_exact_labels():
    html = """<main><dl><dt>Commission</dt><dd>30% recurring</dd></dl>
    <table><tr><th>Cookie Duration</th><td>90 days</td></tr></table>
    <p><b>Payout:</b> $50 minimum</p><div class="row"><span>EPC</span><span>$1.20</span></div>
    <li>Payment Frequency: monthly</li><div><p>Network: Impact</p><p>Approval: manual</p></div></main>"""
    lab = Labels(soup_of(html))
    assert lab.get("Commission") == "30% recurring"
    assert lab.get("Cookie Length", "Cookie Duration") == "90 days"
    assert lab.get("Payout") == "$50 minimum" and lab.get("EPC") == "$1.20"
    assert lab.get("Payment Frequency") == "monthly" and lab.get("Network") == "Impact"
    assert lab.get("Approval") == "manual"  # inline "Label: value" in a leaf, not the wrapping div
    assert lab.get("Geo", "Countries") is None


def test_detail_labels_of_generated_page():
    lab = Labels(soup_of(detail_html(0, 7)))
    assert (lab.get("Payout"), lab.get("Payout Type"), lab.get("Countries")) == ("$38.00", "CPL", "US, CA, UK")


@pytest.mark.parametrize("fragment,expected", [
    ("<p>Hello &amp; welcome</p><p>Second<br>line</p>", "Hello & welcome\n\nSecond\n\nline"),
    ("<div>a<script>x()</script>b</div>", "ab"),
    ("x<!-- hidden -->y", "xy"),
    ("<?xml version='1.0' encoding='utf-8'?><p>x</p>", "x"),
    ("<p> </p>", None),
    ("plain  text", "plain text"),
])
def test_html_to_text(fragment, expected):
    assert html_to_text(fragment) == expected


# -- records cache ---------------------------------------------------------------------------
def _odigger(matrix_home):
    from matrix.config import load_settings
    from matrix.sources import build_source

    settings = load_settings(overrides={"home": str(matrix_home),
                                        "sources": [{"name": "od", "kind": "odigger", "url": "http://127.0.0.1:9"}]})
    return build_source(settings.source("od"), settings)


def test_parse_remembers_records_and_only_hands_them_back_for_the_same_body_and_parser(matrix_home, monkeypatch):
    from matrix.sources import directory
    from matrix.sources.crawler import Response
    from matrix.sources.httpcache import body_hash

    src = _odigger(matrix_home)
    body = detail_html(1, 3).encode()
    key, digest = "ab" * 16, body_hash(body)
    fresh = src.page_from(Response(url="http://127.0.0.1:9/offer/o3", status=200, text=body.decode(), cache_key=key,
                                   body_hash=digest), "detail")
    records = src.parse(fresh)  # parsing remembers, no extra call needed
    assert records[0]["commission"] == "Up to $150 CPA" and src.cache().get_records(key)["body_hash"] == digest

    def cached(h):
        return src.page_from(Response(url=fresh.url, status=304, text=body.decode(), cache_key=key, not_modified=True,
                                      body_hash=h), "detail")

    page = cached(digest)
    assert page.meta["records"] == records
    src.parse_detail = lambda *a: pytest.fail("a cached page must not be parsed again")
    assert src.parse(page) == records
    assert "records" not in cached("other-body").meta  # a different body: parse again
    monkeypatch.setitem(directory._FINGERPRINTS, type(src), "new-parser")
    assert "records" not in cached(digest).meta  # the scraper changed: parse again

"""The web page in Chromium (Playwright): score line and score facet, sort by score, compare view,
search state in the URL (cold open, back button), and a 375 px wide phone layout.

Served by uvicorn on 127.0.0.1 from the real ingress app (create_app + LocalBackend, no Ray: the
Serve path is covered by test_serve_app.py's page test). Screenshots go to test-artifacts/.
Index: a real slice of the bundled registry; vectors from a deterministic hashing embedder so
the page's default hybrid mode runs without the model.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from matrix.config import load_settings
from tests.support.asgi_server import hash_embed, serve_in_thread
from tests.support.serve_data import build_registry_index

pytestmark = [pytest.mark.integration]
REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
TIMEOUT_MS = 120_000
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    from serve_apps.api import LocalBackend, create_app
    from serve_apps.security import StaticVerifier
    from serve_apps.service import SearchService

    home = tmp_path_factory.mktemp("web-score")
    settings = load_settings(overrides={"home": str(home), "serve": {
        "read_consistency_interval_s": 0, "rate_limit_per_minute": 100000}})
    _, programs = build_registry_index(settings, n=120, embed=hash_embed)
    app = create_app(settings, LocalBackend(SearchService(settings, embed=hash_embed)), StaticVerifier({}))
    with serve_in_thread(app) as url:
        yield url, programs


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        yield b
        b.close()


def _badges(page) -> list[int]:
    return [int(t) for t in page.locator("#results .score-badge").all_inner_texts()]


def _wait_results(page, needle: str) -> None:
    page.wait_for_function("(n) => document.querySelector('#summary').innerText.includes(n)", arg=needle)
    page.wait_for_selector("#results .card .score-line")


def test_score_url_state_back_button_and_compare(site, browser):
    url, _ = site
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(TIMEOUT_MS)
    # a URL opened cold shows its results, in its sort and mode
    page.goto(url + "/?q=marketing&sort=score")
    _wait_results(page, "hybrid")
    assert page.input_value("#q") == "marketing" and page.input_value("#sort") == "score"
    assert page.input_value("#mode") == "hybrid"  # the page's default mode
    cold_summary = page.locator("#summary").inner_text().split(" — ")[0]
    scores = _badges(page)
    assert len(scores) == 10 and scores == sorted(scores, reverse=True)
    first = page.locator("#results .card .score-line").first.inner_text()
    assert "confidence" in first and ("cookie" in first or "%" in first)

    # score facet: cumulative "score >= x" with counts; choosing one filters and lands in the URL
    facet = page.locator(".facet[data-facet=score]")
    assert facet.locator("input[value='60']").count() == 1
    n60 = int(facet.locator("label", has=page.locator("input[value='60']")).locator(".count").inner_text())
    with page.expect_response(lambda r: "min_score=60" in r.url):
        facet.locator("input[value='60']").check()
    page.wait_for_function(f"document.querySelector('#summary').innerText.startsWith('{n60} programs')")
    assert "min_score=60" in page.url and all(s >= 60 for s in _badges(page))

    # a new query is a new history entry; back restores the previous search and its results
    page.fill("#q", "hosting")
    with page.expect_response(lambda r: "/search?" in r.url and "q=hosting" in r.url):
        page.press("#q", "Enter")
    page.wait_for_function("location.search.includes('q=hosting')")
    with page.expect_response(lambda r: "/search?" in r.url and "q=marketing" in r.url and "min_score=60" in r.url):
        page.go_back()
    assert page.input_value("#q") == "marketing"
    page.wait_for_function(f"document.querySelector('#summary').innerText.startsWith('{n60} programs')")
    with page.expect_response(lambda r: "/search?" in r.url and "min_score" not in r.url):
        page.go_back()
    page.wait_for_function(f"document.querySelector('#summary').innerText.startsWith({cold_summary!r})")

    # compare: pick three from the results, open the side-by-side view
    picks = page.locator("#results .compare-pick")
    names = [page.locator("#results .card h2").nth(i).inner_text() for i in range(3)]
    for i in range(3):
        picks.nth(i).check()
    assert page.locator("#detail").is_hidden()  # picking does not open the detail view
    assert "3 of 4 picked" in page.locator("#compare-count").inner_text()
    with page.expect_response(lambda r: "/compare?" in r.url):
        page.click("#compare-open")
    page.wait_for_selector("#compare:not([hidden]) #compare-table")
    table = page.locator("#compare-table")
    assert table.locator("tr").first.locator("th").all_inner_texts()[1:] == names
    assert "openaffiliate" in table.locator("tr[data-field=commission]").inner_text()
    assert table.locator("tr.differs").count() >= 1
    assert table.locator("tr[data-component=earnings] td").count() == 3
    page.locator("#compare .panel").screenshot(path=str(ARTIFACTS / "web_compare.png"))
    page.click("#compare-close")
    # a fourth pick is allowed, a fifth is not
    picks.nth(3).check()
    assert picks.nth(4).is_disabled()

    # the detail view with its history (issue 15) still opens from a card
    page.locator("#results .card h2").first.click()
    page.wait_for_selector("#detail:not([hidden]) #provenance")
    page.wait_for_function("!document.querySelector('#history').innerText.includes('loading')")
    page.click("#detail-close")
    page.screenshot(path=str(ARTIFACTS / "web_score.png"), full_page=True)
    page.close()


def test_phone_width_375_filters_collapse_above_results(site, browser):
    url, _ = site
    page = browser.new_page(viewport={"width": 375, "height": 812}, is_mobile=True)
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(url + "/?q=email&sort=score")
    _wait_results(page, "programs")
    # nothing is cut off at the right edge
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    for box in [page.locator("#results .card").nth(i).bounding_box() for i in range(3)]:
        assert box["x"] >= 0 and box["x"] + box["width"] <= 375
    # filters start collapsed and sit above the results
    assert page.evaluate("document.querySelector('#filters').open") is False
    filters, results = page.locator("#filters").bounding_box(), page.locator("#results").bounding_box()
    assert filters["y"] + filters["height"] <= results["y"] and filters["height"] < 120
    page.screenshot(path=str(ARTIFACTS / "web_375_results.png"), full_page=False)
    page.click("#filters > summary")
    page.wait_for_selector(".facet[data-facet=category]", state="visible")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(path=str(ARTIFACTS / "web_375_filters.png"), full_page=False)
    # compare works on a phone too (the table scrolls inside its panel)
    page.click("#filters > summary")
    for i in range(2):
        page.locator("#results .compare-pick").nth(i).check()
    with page.expect_response(lambda r: "/compare?" in r.url):
        page.click("#compare-open")
    page.wait_for_selector("#compare:not([hidden]) #compare-table")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.locator("#compare .panel").screenshot(path=str(ARTIFACTS / "web_375_compare.png"))
    page.close()

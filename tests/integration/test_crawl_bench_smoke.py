"""The crawl benchmark's smoke size, end to end; the test asserts on the figures `run()` returns.

Timing figures (CPU shares) are printed by the benchmark, never asserted here (a loaded CI
machine would make them flaky); what is asserted is what makes them small: with fresh
resources the second crawl sends no request at all, and without freshness every page is a 304.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _bench():
    spec = importlib.util.spec_from_file_location("crawl_speed", REPO / "bench" / "crawl_speed.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_fresh_resources_are_not_requested_again():
    bench = _bench()
    f = bench.run(bench.parse_args(["--smoke", "--pages", "160"]))
    assert f["first_failures"] == 0 and f["second_failures"] == 0
    assert f["first_listings"] == f["first_pages"] == f["second_listings"] == 160
    assert f["first_bytes"] > 0 and f["first_requests"] >= f["first_pages"]
    assert f["second_requests"] == 0 and f["second_bytes"] == 0  # Cache-Control: max-age -> served from disk
    assert f["second_reparsed"] == 0  # and the records cache spares the parse
    assert f["second_not_modified"] >= f["second_pages"]


@pytest.mark.slow
def test_resources_without_freshness_are_revalidated_with_304s():
    bench = _bench()
    f = bench.run(bench.parse_args(["--smoke", "--pages", "160", "--cache-control", ""]))
    assert f["first_failures"] == 0 and f["second_failures"] == 0
    assert f["second_listings"] == f["first_listings"] == 160
    assert f["second_requests"] == f["first_requests"]  # every resource asked again ...
    assert f["second_bytes"] == 0 and f["second_not_modified"] >= f["second_pages"]  # ... and each answered 304
    assert f["second_requests"] - f["second_not_modified"] == f["hosts"]  # the rest: robots.txt, also revalidated
    assert f["second_reparsed"] == 0

"""`matrix sources list | crawl NAME` against the Odigger fixture site (with its injected faults)."""

from __future__ import annotations

import json

import pytest
import yaml

from matrix.cli import main
from tests.support.site_server import Site, SiteServer

FAST_CRAWL = {"timeout_s": 0.5, "max_retries": 2, "backoff_base_s": 0.02, "backoff_max_s": 2.0, "max_body_bytes": 200_000}


@pytest.fixture
def odigger_cfg(matrix_home, tmp_path):
    with SiteServer([Site("odigger")]) as srv:
        cfg = tmp_path / "cfg.yaml"
        cfg.write_text(yaml.safe_dump({
            "crawl": FAST_CRAWL,
            "sources": [
                {"name": "od", "kind": "odigger", "url": srv.url("odigger"),
                 "rate_limit": {"requests_per_second": 200, "burst": 10, "max_concurrency": 8}},
                {"name": "reg", "kind": "openaffiliate", "enabled": False, "max_pages": 3},
            ]}))
        yield str(cfg), srv.url("odigger")


def test_list_shows_every_source_with_kind_location_and_state(odigger_cfg, capsys):
    cfg, url = odigger_cfg
    assert main(["--config", cfg, "sources", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:4] == ["NAME", "KIND", "ENABLED", "WHERE"]
    od = next(line for line in lines if line.startswith("od "))
    assert "odigger" in od and "True" in od and url in od and "200/s burst 10 x8" in od
    assert "False" in next(line for line in lines if line.startswith("reg "))
    assert main(["--config", cfg, "sources", "list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["name"], r["kind"], r["enabled"]) for r in rows] == [("od", "odigger", True), ("reg", "openaffiliate", False)]


def test_crawl_prints_counts_failures_with_reasons_and_layout_drift(odigger_cfg, capsys):
    cfg, url = odigger_cfg
    assert main(["--config", cfg, "sources", "crawl", "od", "--show", "2"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("od (odigger): 6 listings")
    assert "failures: 4 (body_too_large 1, redirect_loop 1, timeout 1, truncated 1)" in out
    assert f"timeout: {url}/offer/slow" in out and f"redirect_loop: {url}/offer/loop-a" in out
    assert "layout drift: 1 page(s)" in out and f"{url}/offer/changed-layout" in out
    assert len([line for line in out.splitlines() if line.startswith("  - ")]) == 2
    # per-field fill, first run = baseline; a second run compares against it
    assert "field fill (6 records, first run: this becomes the baseline):" in out
    commission = next(line for line in out.splitlines() if line.strip().startswith("commission "))
    assert "83%" in commission  # 5 of 6 pages state it (the changed layout does not)
    assert main(["--config", cfg, "sources", "crawl", "od", "--show", "0"]) == 0
    out = capsys.readouterr().out
    assert "(last good 83%)" in out and "field drift: none" in out


def test_crawl_limit_and_json(odigger_cfg, capsys):
    cfg, _ = odigger_cfg
    assert main(["--config", cfg, "sources", "crawl", "od", "--limit", "2", "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["listings"] == 2 and rep["kind"] == "odigger" and len(rep["sample"]) == 2
    assert rep["failed_total"] == 0 and rep["requests"] >= 3  # robots, a list page, two details
    assert main(["--config", cfg, "sources", "crawl", "reg", "--limit", "3", "--show", "0"]) == 0  # not HTTP: no request counts
    assert capsys.readouterr().out.startswith("reg (openaffiliate): 3 listings")


def test_crawl_rejects_unknown_names_and_bad_limits(odigger_cfg, capsys):
    cfg, _ = odigger_cfg
    assert main(["--config", cfg, "sources", "crawl", "nope"]) == 2
    assert "no source named 'nope'" in capsys.readouterr().err
    assert main(["--config", cfg, "sources", "crawl", "od", "--limit", "0"]) == 2


def test_crawl_of_an_unreachable_site_fails(matrix_home, tmp_path, capsys):
    cfg = tmp_path / "down.yaml"
    cfg.write_text(yaml.safe_dump({"crawl": {**FAST_CRAWL, "max_retries": 0},
                                   "sources": [{"name": "down", "kind": "odigger", "url": "http://127.0.0.1:9"}]}))
    assert main(["--config", str(cfg), "sources", "crawl", "down"]) == 1
    assert "down (odigger): 0 listings" in capsys.readouterr().out

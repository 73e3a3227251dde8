"""Networks as an ingest Source, the `matrix networks` CLI, and a whole pull through the ingest job."""

from __future__ import annotations

import json

import pytest

from matrix.cli import main
from matrix.config import SourceSettings, load_settings
from matrix.keys.manager import KeyManager
from matrix.keys.types import CredentialRef
from matrix.networks import NETWORKS
from matrix.networks.errors import MalformedResponse
from matrix.sources import build_source
from matrix.sources.base import SourceError
from tests.support.network_fakes import CREDS, FakeNetworks, Fault

ALL = sorted(NETWORKS)


@pytest.fixture(scope="module")
def fake():
    with FakeNetworks(records=5) as f:
        yield f


def _sources(names=ALL):
    return [{"name": f"net-{n}", "kind": "network", "options": {"network": n}} for n in names]


@pytest.fixture
def settings(fake, tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("MATRIX_HOME", str(home))
    fake.log.clear()
    fake.faults.clear()
    cfg = tmp_path / "config.yaml"
    cfg.write_text(json.dumps({"networks": fake.settings_overrides(rakuten={"relationship": None}), "sources": _sources()}))
    monkeypatch.setenv("MATRIX_CONFIG", str(cfg))
    s = load_settings()
    admin = KeyManager.from_settings(s, component="admin")
    for net, kinds in CREDS.items():
        for kind, value in kinds.items():
            admin.put(CredentialRef(net, "default", kind), value)
    return s


@pytest.mark.parametrize("name", ALL)
def test_network_source_yields_api_pages_and_listings(settings, name):
    src = build_source(settings.source(f"net-{name}"), settings)
    pages = list(src.fetch_pages())
    assert all(p.kind == "api" and p.source == f"net-{name}" for p in pages)
    raws = [r for p in pages for r in src.parse(p)]
    listings = [src.to_listing(r, p.fetched_at) for p in pages for r in src.parse(p)]
    assert len(raws) == 5 and len({lst.key for lst in listings}) == 5
    assert all(lst.source == name for lst in listings)
    assert src.report["records"] == 5 and src.report["error"] is None


def test_network_source_keeps_pages_before_a_failure(settings, fake):
    fake.fail("everflow", "offersrunnable", Fault.malformed(), page=3)
    src = build_source(settings.source("net-everflow"), settings)
    pages = []
    with pytest.raises(MalformedResponse):
        for p in src.fetch_pages():
            pages.append(p)
    assert sum(len(src.parse(p)) for p in pages) == 4
    assert "everflow offersrunnable" in src.report["error"]


def test_network_source_config_errors(settings):
    with pytest.raises(SourceError, match=r"sources.x.options.network = 'nope'; allowed"):
        build_source(SourceSettings(name="x", kind="network", options={"network": "nope"}), settings)
    with pytest.raises(SourceError, match="options.endpoint = 'deals'"):
        build_source(SourceSettings(name="x", kind="network", options={"network": "awin", "endpoint": "deals"}), settings)
    src = build_source(SourceSettings(name="x", kind="network", options={"network": "awin"}), settings)
    from matrix.sources.base import Page

    with pytest.raises(SourceError, match="not a network page"):
        src.parse(Page(source="x", url="awin:programs?page=1", body="{}"))


def test_offers_endpoint_as_a_source(settings):
    src = build_source(SourceSettings(name="rk-offers", kind="network", options={"network": "rakuten", "endpoint": "offers"}), settings)
    pages = list(src.fetch_pages())
    assert sum(len(src.parse(p)) for p in pages) == 5


def test_cli_list_test_pull(settings, fake, capsys, tmp_path):
    assert main(["networks", "list", "--json"]) == 0
    rows = {r["network"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["awin"]["credentials"] == {"api_token": "active", "publisher_id": "active"}
    assert rows["tune"]["base_url"] == fake.url("tune")
    assert main(["networks", "list"]) == 0
    assert "everflow" in capsys.readouterr().out

    assert main(["networks", "test", "impact"]) == 0
    assert "impact: ok" in capsys.readouterr().out

    out = tmp_path / "cj.jsonl"
    assert main(["networks", "pull", "cj", "--out", str(out)]) == 0
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(lines) == 5 and lines[0]["source"] == "cj" and lines[0]["commission"]["model"] == "hybrid"

    assert main(["networks", "pull", "tune", "--performance", "2026-11-01", "2026-11-01", "--out", str(out)]) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert rows and rows[0]["network"] == "tune" and rows[0]["clicks"] == 100

    assert main(["networks", "pull", "everflow", "--endpoint", "offers", "--out", str(out)]) == 0
    assert len(out.read_text().splitlines()) == 5


def test_cli_failures(settings, fake, capsys, tmp_path):
    KeyManager.from_settings(settings, component="admin").put(CredentialRef("everflow", "default", "api_key"), "bad-key-000")
    assert main(["networks", "test", "everflow"]) == 1
    assert "FAILED" in capsys.readouterr().err
    assert main(["networks", "list", "--json"]) == 0
    rows = {r["network"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["everflow"]["credentials"]["api_key"].startswith("unhealthy:")

    fake.fail("impact", "Campaigns", Fault.malformed(), page=2)
    out = tmp_path / "impact.jsonl"
    assert main(["networks", "pull", "impact", "--out", str(out)]) == 1
    assert "INCOMPLETE" in capsys.readouterr().err
    assert len(out.read_text().splitlines()) == 2  # page 1 kept

    fake.fail("awin", "transactions", Fault.server_error(503), times=10)
    assert main(["networks", "test", "awin"]) == 0
    assert main(["networks", "pull", "awin", "--performance", "2026-11-02", "2026-11-01"]) == 2


@pytest.mark.slow
def test_whole_pull_of_each_network_lands_in_the_listings_table(settings, fake, ray_session):
    from jobs.ingest import run_ingest
    from matrix.index import MasterIndex

    summary = run_ingest(settings, [f"net-{n}" for n in ALL])
    for n in ALL:
        assert summary["sources"][f"net-{n}"]["error"] is None
        assert summary["sources"][f"net-{n}"]["listings"] == 5
    rows = MasterIndex(settings).listings.to_arrow().select(["source", "source_id", "raw"]).to_pylist()
    by_source: dict[str, set[str]] = {}
    for r in rows:
        by_source.setdefault(r["source"], set()).add(r["source_id"])
        assert json.loads(r["raw"])["x_undocumented"].startswith(r["source"])
    assert {n: len(by_source.get(n, ())) for n in ALL} == {n: 5 for n in ALL}
    assert by_source["awin"] == {"1001", "1002", "1003", "1004", "1005"}

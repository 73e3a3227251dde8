"""Watches over the triggers app (owners from client keys), the history route on the search app,
and the CLI (`matrix triggers watch ...`, `matrix programs history ID`)."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from matrix import cli
from matrix.config import load_settings
from matrix.index.history import record_history
from matrix.keys import CredentialRef, KeyManager
from matrix.triggers.engine import TriggerEngine
from serve_apps.api import LocalBackend
from serve_apps.api import create_app as search_app
from serve_apps.security import StaticVerifier
from serve_apps.service import SearchService
from serve_apps.triggers_app import create_app, key_verifier
from tests.support.serve_data import build_registry_index

ADMIN, ALICE, BOB = "triggers-admin-key-0123456789", "alice-key-0123456789", "bob-key-0123456789"


@pytest.fixture
def app(settings):
    s = load_settings(overrides={"home": str(settings.home), "triggers": {
        "client_key_refs": ["matrix/triggers/client_alice", "matrix/triggers/client_bob"]}})
    km = KeyManager.from_settings(s, component="admin")
    for kind, key in (("admin_api_key", ADMIN), ("client_alice", ALICE), ("client_bob", BOB)):
        km.put(CredentialRef("matrix", "triggers", kind), key)
    return TestClient(create_app(s, TriggerEngine.from_settings(s), key_verifier(s)))


def test_watches_belong_to_the_key_that_created_them(app):
    a, b, adm = ({"X-API-Key": k} for k in (ALICE, BOB, ADMIN))
    assert app.get("/watches").status_code == 401 and app.get("/watches", headers={"X-API-Key": "nope"}).status_code == 401
    assert app.get("/outbox", headers=a).status_code == 401  # clients manage watches, not the outbox
    r = app.post("/watches", headers=a, json={"name": "mine", "kind": "program", "program_ids": ["p1"],
                                               "fields": ["commission"],
                                               "thresholds": {"commission": {"direction": "down", "min_change_pct": 10}}})
    assert r.status_code == 201 and r.json()["owner"] == "client_alice" and r.json()["rule"] == "program_changed"
    wid = r.json()["id"]
    s = app.post("/watches", headers=b, json={"name": "vpn", "kind": "search", "q": "vpn", "digest": "daily"})
    assert s.status_code == 201 and s.json()["rule"] == "new_match"
    assert [w["id"] for w in app.get("/watches", headers=a).json()["watches"]] == [wid]
    assert len(app.get("/watches", headers=adm).json()["watches"]) == 2
    only_bob = app.get("/watches", headers=adm, params={"owner": "client_bob"}).json()["watches"]
    assert [w["owner"] for w in only_bob] == ["client_bob"]
    assert app.get(f"/watches/{wid}", headers=b).status_code == 404  # bob cannot see alice's watch
    assert app.patch(f"/watches/{wid}", headers=b, json={"digest": "daily"}).status_code == 404
    assert app.delete(f"/watches/{wid}", headers=b).status_code == 404
    got = app.patch(f"/watches/{wid}", headers=a, json={"digest": "hourly", "fields": ["status", "cookie"]})
    assert got.status_code == 200 and got.json()["digest"] == "hourly" and got.json()["fields"] == ["status", "cookie"]
    assert app.get(f"/watches/{wid}", headers=a).json()["state"] == {}
    bad = app.post("/watches", headers=a, json={"name": "x", "kind": "program", "program_ids": [], "fields": ["vibes"]})
    assert bad.status_code == 422 and "vibes" in bad.text
    assert app.patch(f"/watches/{wid}", headers=a, json={"kind": "search"}).status_code == 422
    assert app.delete(f"/watches/{wid}", headers=a).status_code == 204
    assert app.get("/watches", headers=a).json()["watches"] == []


@pytest.fixture(scope="module")
def indexed(tmp_path_factory):
    home = tmp_path_factory.mktemp("history-api")
    settings = load_settings(overrides={"home": str(home), "serve": {"read_consistency_interval_s": 0,
                                                                     "rate_limit_per_minute": 100000}})
    index, programs = build_registry_index(settings, n=30)
    record_history(index, programs, "ingest-000001")
    changed = programs[0].model_copy(deep=True)
    changed.cookie_days = (changed.cookie_days or 0) + 30
    record_history(index, [changed], "ingest-000002")
    return settings, index, programs


def test_history_route_on_the_search_app(indexed):
    settings, index, programs = indexed
    client = TestClient(search_app(settings, LocalBackend(SearchService(settings)),
                                   StaticVerifier({settings.serve.admin_key_ref: "k" * 20})))
    pid = programs[0].program_id
    r = client.get(f"/programs/{pid}/history")
    assert r.status_code == 200
    hist = r.json()["history"]
    assert [h["ingest_version"] for h in hist] == ["ingest-000002", "ingest-000001"] and hist[1]["first"]
    assert hist[0]["changes"] == [{"field": "cookie_days", "before": programs[0].cookie_days,
                                   "after": (programs[0].cookie_days or 0) + 30,
                                   "source": hist[0]["changes"][0]["source"]}]
    assert hist[0]["changes"][0]["source"]["listing"] == programs[0].listing_keys[0]
    assert client.get("/programs/no-such-program/history").status_code == 404
    assert client.get(f"/programs/{pid}/history", params={"limit": 0}).status_code == 422
    assert "showHistory" in client.get("/static/app.js").text  # the program page renders it


def test_cli_programs_history_and_watch_commands(indexed, monkeypatch, capsys):
    settings, index, programs = indexed
    monkeypatch.setenv("MATRIX_HOME", str(settings.home))
    pid = programs[0].program_id
    assert cli.main(["programs", "history", pid]) == 0
    out = capsys.readouterr().out
    assert "ingest-000002" in out and "cookie_days" in out and programs[0].listing_keys[0] in out
    assert cli.main(["programs", "history", pid, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["history"][0]["ingest_version"] == "ingest-000002"
    assert cli.main(["programs", "history", "nope"]) == 1

    assert cli.main(["triggers", "watch", "add", "mine", "--program", pid, "--field", "commission",
                     "--threshold", "commission:down:10", "--owner", "alice", "--json"]) == 0
    w = json.loads(capsys.readouterr().out)
    assert w["thresholds"]["commission"]["min_change_pct"] == 10 and w["owner"] == "alice"
    assert cli.main(["triggers", "watch", "add", "deals", "--query", "vpn", "--filter", "min_commission_percent=30",
                     "--filter", "categories=software", "--owner", "alice"]) == 0
    capsys.readouterr()
    assert cli.main(["triggers", "watch", "list", "--owner", "alice"]) == 0
    out = capsys.readouterr().out
    assert "program_changed" in out and "new_match" in out and "min_commission_percent" in out
    assert cli.main(["triggers", "watch", "update", w["id"], "--set", "digest=daily", "--owner", "alice", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["digest"] == "daily"
    assert cli.main(["triggers", "watch", "add", "bad", "--program", pid, "--field", "vibes"]) == 2
    assert cli.main(["triggers", "watch", "delete", w["id"], "--owner", "bob"]) == 1
    assert cli.main(["triggers", "watch", "delete", w["id"], "--owner", "alice"]) == 0

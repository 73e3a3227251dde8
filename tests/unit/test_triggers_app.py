"""The triggers FastAPI app without Ray (TestClient), with a real KeyManager holding the admin key;
and the Ray job's single round in dry-run mode."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from matrix.config import load_settings
from matrix.keys import CredentialRef, KeyManager
from matrix.triggers.engine import TriggerEngine
from serve_apps.triggers_app import create_app, key_verifier

KEY = "triggers-admin-key-0123456789"


@pytest.fixture
def client(settings):
    s = load_settings(overrides={"home": str(settings.home)})
    KeyManager.from_settings(s, component="admin").put(CredentialRef("matrix", "triggers", "admin_api_key"), KEY)
    engine = TriggerEngine.from_settings(s, handlers={"notify": lambda rec: {"ok": True}})
    return TestClient(create_app(s, engine, key_verifier(s)))


def test_every_route_but_healthz_needs_the_admin_key(client):
    assert client.get("/healthz").json()["status"] == "ok"
    for method, path in (("get", "/rules"), ("get", "/outbox"), ("post", "/evaluate"), ("post", "/dispatch")):
        r = getattr(client, method)(path)
        assert r.status_code == 401 and r.headers["WWW-Authenticate"] == "X-API-Key"
        assert getattr(client, method)(path, headers={"X-API-Key": "wrong"}).status_code == 401


def test_evaluate_outbox_and_dispatch_over_the_api(client):
    h = {"X-API-Key": KEY}
    assert {r["name"] for r in client.get("/rules", headers=h).json()["rules"]} >= {"stale-sources"}
    dry = client.post("/evaluate", params={"dry_run": "true"}, headers=h).json()
    assert [f["status"] for f in dry["evaluation"]["firings"]] == ["would_queue"]
    assert client.get("/outbox", headers=h).json()["actions"] == []
    body = client.post("/evaluate", params={"rule": "stale-sources", "dispatch": "true"}, headers=h).json()
    assert body["evaluation"]["firings"][0]["status"] == "queued"
    # notify ran; recrawl had no runner wired in this test engine -> failed at once, kept in the outbox
    assert len(body["dispatch"]["done"]) == 1 and len(body["dispatch"]["failed"]) == 1
    failed = client.get("/outbox", params={"status": "failed"}, headers=h).json()["actions"]
    assert failed[0]["action"] == "recrawl" and "no handler" in failed[0]["last_error"]
    assert client.get("/outbox", params={"status": "bogus"}, headers=h).status_code == 422
    assert client.post("/evaluate", params={"rule": "ghost"}, headers=h).status_code == 422
    assert client.post("/dispatch", headers=h).json()["outbox"]["done"] == 1


def test_job_round_in_dry_run_needs_no_ray(settings, capsys):
    from jobs import triggers as job

    out = job.run_once(settings, job.build_engine(settings), dry_run=True)
    assert out["evaluation"]["dry_run"] is True and "dispatch" not in out
    assert job.main(["--dry-run"]) == 0
    printed = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert printed["evaluation"]["firings"][0]["status"] == "would_queue"

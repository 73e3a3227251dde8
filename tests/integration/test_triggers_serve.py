"""The triggers app on Ray Serve over real HTTP on 127.0.0.1 (route prefix /triggers), with the
admin key in the key manager. Short on purpose: the API itself is covered by the unit tests."""

from __future__ import annotations

import time

import httpx
import pytest

from matrix.config import load_settings
from matrix.keys import CredentialRef, KeyManager
from matrix.ports import free_port

pytestmark = [pytest.mark.slow, pytest.mark.integration]
KEY = "triggers-admin-key-abcdefghij"


def _free_port() -> int:
    return free_port()


def test_triggers_app_over_http(ray_session, tmp_path):
    from ray import serve

    from serve_apps.triggers_app import deploy

    port = _free_port()
    settings = load_settings(overrides={"home": str(tmp_path / "home"), "serve": {"port": port, "replica_cpus": 0.1}})
    KeyManager.from_settings(settings, component="admin").put(CredentialRef("matrix", "triggers", "admin_api_key"), KEY)
    try:
        url = deploy(settings)
        assert url == f"http://127.0.0.1:{port}/triggers"
        deadline = time.time() + 120
        while True:
            try:
                if httpx.get(url + "/healthz", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.time() < deadline, "triggers app did not become healthy in 120 s"
            time.sleep(0.5)
        assert httpx.get(url + "/rules", timeout=10).status_code == 401
        h = {"X-API-Key": KEY}
        r = httpx.post(url + "/evaluate", params={"dry_run": "true"}, headers=h, timeout=30)
        assert r.status_code == 200 and r.json()["evaluation"]["firings"][0]["status"] == "would_queue"
        r = httpx.post(url + "/evaluate", params={"rule": "stale-sources"}, headers=h, timeout=30)
        assert r.json()["evaluation"]["firings"][0]["status"] == "queued"
        box = httpx.get(url + "/outbox", headers=h, timeout=10).json()
        assert box["counts"]["pending"] == 2 and {a["action"] for a in box["actions"]} == {"recrawl", "notify"}
    finally:
        serve.shutdown()

"""/mcp on the ingress app is held to the search routes' rate limit (the key check is tested over
real HTTP in tests/integration/test_mcp.py)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from matrix.config import load_settings
from serve_apps.api import LocalBackend, create_app
from serve_apps.security import StaticVerifier
from serve_apps.service import SearchService


def test_mcp_route_counts_against_the_per_client_rate_limit(tmp_path):
    settings = load_settings(overrides={"home": str(tmp_path), "serve": {"rate_limit_per_minute": 3}})
    app = create_app(settings, LocalBackend(SearchService(settings)), StaticVerifier({}))
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    headers = {"Accept": "application/json, text/event-stream", "Host": "127.0.0.1:8000"}
    with TestClient(app) as c:
        codes = [c.post("/mcp", json=body, headers=headers).status_code for _ in range(3)]
        assert 429 not in codes
        limited = c.post("/mcp", json=body, headers=headers)
        assert limited.status_code == 429 and limited.headers["Retry-After"]
        # the budget is shared with the HTTP API: search is refused too
        assert c.get("/search").status_code == 429

"""The main job (`matrix up`) as a user runs it: ingest, serve on 127.0.0.1, sample query over HTTP."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import yaml
from matrix.ports import free_port

pytestmark = [pytest.mark.slow, pytest.mark.integration]
REPO = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    return free_port()


def test_matrix_up_ingests_serves_and_answers(ray_session, matrix_home, tmp_path, capsys):
    from ray import serve

    from matrix.cli import main

    port = _free_port()
    cfg = yaml.safe_load((REPO / "ray_config.yaml").read_text()) or {}  # overrides only: empty by default
    cfg["sources"] = [{"name": "openaffiliate", "kind": "openaffiliate", "max_pages": 120}]
    cfg.setdefault("serve", {})["port"] = port
    cfg_path = tmp_path / "ray_config.yaml"
    cfg_path.write_text(yaml.safe_dump(cfg))
    try:
        rc = main(["--config", str(cfg_path), "--home", str(matrix_home), "up", "--no-block",
                   "--sample-query", "email marketing"])
        out = capsys.readouterr().out
        assert rc == 0
        assert f"http://127.0.0.1:{port}/" in out
        assert "sample query" in out and "match(es)" in out
        base = f"http://127.0.0.1:{port}"
        assert httpx.get(f"{base}/healthz", timeout=30).status_code == 200
        body = httpx.get(f"{base}/search", params={"q": "email marketing", "limit": 5}, timeout=30).json()
        assert body["total"] > 0
        # the relevant programs are about email: the top hit's text mentions it
        top = body["hits"][0]
        assert "mail" in (top["name"] + " " + (top.get("description") or "") + " " + (top.get("category") or "")).lower()
        page = httpx.get(f"{base}/", timeout=30)
        assert page.status_code == 200 and "<html" in page.text.lower()
        detail = httpx.get(f"{base}/programs/{top['program_id']}", timeout=30)
        assert detail.status_code == 200 and detail.json()["program"]["program_id"] == top["program_id"] if "program" in detail.json() else detail.json()["program_id"] == top["program_id"]
        assert httpx.get(f"{base}/programs/does-not-exist", timeout=30).status_code == 404
    finally:
        serve.shutdown()

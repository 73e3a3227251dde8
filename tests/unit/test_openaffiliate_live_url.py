"""The OpenAffiliate source reads the registry from a URL when configured (served here on 127.0.0.1)."""

from __future__ import annotations

import http.server
import json
import threading

import pytest

from matrix.config import load_settings
from matrix.sources import SourceError, build_source
from matrix.sources.openaffiliate import bundled_registry_path


@pytest.fixture
def registry_server():
    doc = json.loads(bundled_registry_path().read_text())
    doc["programs"] = doc["programs"][:4]
    body = json.dumps(doc).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            if self.path != "/registry.json":
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", len(body)
    server.shutdown()


def test_reads_registry_from_url(matrix_home, registry_server):
    base, _ = registry_server
    settings = load_settings(overrides={"sources": [{"name": "oa", "kind": "openaffiliate", "url": f"{base}/registry.json"}]})
    listings = list(build_source(settings.source("oa"), settings).listings())
    assert len(listings) == 4 and all(x.source == "oa" and x.name for x in listings)


def test_url_errors_are_clear(matrix_home, registry_server):
    base, size = registry_server
    settings = load_settings(overrides={"sources": [{"name": "oa", "kind": "openaffiliate", "url": f"{base}/missing.json"}]})
    with pytest.raises(SourceError, match="cannot read"):
        list(build_source(settings.source("oa"), settings).fetch_pages())
    settings = load_settings(overrides={"sources": [{"name": "oa", "kind": "openaffiliate", "url": f"{base}/registry.json"}],
                                        "crawl": {"max_body_bytes": 1024}})
    assert size > 1024
    with pytest.raises(SourceError, match="larger than crawl.max_body_bytes"):
        list(build_source(settings.source("oa"), settings).fetch_pages())

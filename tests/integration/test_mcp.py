"""The MCP server with the SDK's own client: over stdio (`matrix mcp` as a subprocess) and over
streamable HTTP against the real ingress app served by uvicorn on 127.0.0.1 (in-process, no Ray:
the Serve deployment runs this same FastAPI app; test_serve_app.py covers Serve itself).

Index: a real slice of the bundled OpenAffiliate registry. Vectors come from a deterministic
hashing embedder, so hybrid mode runs without loading the model (ranking quality is not what is
tested here; the tools' contract, auth and errors are).
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import pytest

from matrix.config import load_settings
from tests.support.asgi_server import hash_embed, serve_in_thread
from tests.support.serve_data import build_registry_index

pytestmark = [pytest.mark.integration]
REPO = Path(__file__).resolve().parents[2]
SEARCH_KEY = "mcp-search-key-0123456789"
TOOLS = {"search_programs", "get_program", "compare_programs", "list_facets"}
N_PROGRAMS = 80


@pytest.fixture(scope="module")
def indexed(tmp_path_factory):
    home = tmp_path_factory.mktemp("mcp")
    settings = load_settings(overrides={"home": str(home), "serve": {
        "read_consistency_interval_s": 0, "rate_limit_per_minute": 100000, "public_search": False}})
    _, programs = build_registry_index(settings, n=N_PROGRAMS, embed=hash_embed)
    return settings, programs


@pytest.fixture(scope="module")
def http_url(indexed):
    from serve_apps.api import LocalBackend, create_app
    from serve_apps.security import StaticVerifier
    from serve_apps.service import SearchService

    settings, _ = indexed
    app = create_app(settings, LocalBackend(SearchService(settings, embed=hash_embed)),
                     StaticVerifier({settings.serve.search_key_ref: SEARCH_KEY}))
    with serve_in_thread(app) as url:
        yield url


def _text(result) -> str:
    return " ".join(getattr(c, "text", "") for c in result.content)


def _data(result) -> dict:
    return result.structured_content if result.structured_content is not None else json.loads(_text(result))


async def exercise(client, programs, mode: str) -> dict:
    """What every transport must do: four tools, real results, resources, errors naming arguments."""
    tools = {t.name for t in (await client.list_tools()).tools}
    assert tools == TOOLS
    found = await client.call_tool("search_programs", {"query": "email marketing", "mode": mode, "sort": "score",
                                                       "limit": 5})
    assert not found.is_error, _text(found)
    res = _data(found)
    assert res["total"] > 0 and 0 < len(res["hits"]) <= 5
    scores = [h["program_score"] for h in res["hits"]]
    assert scores == sorted(scores, reverse=True) and all(h["score_reasons"] for h in res["hits"])
    names = {p.program_id: p.name for p in programs}
    assert all(names[h["program_id"]] == h["name"] for h in res["hits"])  # real records of the index

    pid = res["hits"][0]["program_id"]
    one = _data(await client.call_tool("get_program", {"program_id": pid}))
    assert one["program"]["program_id"] == pid and one["provenance"]["commission"]["source"] == "openaffiliate"
    assert one["score"]["score"] == res["hits"][0]["program_score"] and isinstance(one["history"], list)

    ids = [h["program_id"] for h in res["hits"][:3]]
    cmp = _data(await client.call_tool("compare_programs", {"program_ids": ids}))
    assert [p["program_id"] for p in cmp["programs"]] == ids and cmp["terms"] and cmp["score"]

    facets = _data(await client.call_tool("list_facets", {}))
    assert sum(facets["facets"]["score"].values()) == len(programs)

    uris = {str(r.uri) for r in (await client.list_resources()).resources}
    assert {"matrix://categories", "matrix://networks"} <= uris
    cats = json.loads((await client.read_resource("matrix://categories")).contents[0].text)
    assert sum(cats["categories"].values()) == len(programs)

    errors = {}
    for args, name in [({"query": "x", "sort": "cheapest"}, "sort"), ({"query": "x", "limit": 500}, "limit"),
                       ({"query": "x", "weights": "speed:1"}, "weights"), ({"query": "x", "country": ["USA"]}, "country")]:
        bad = await client.call_tool("search_programs", args)
        assert bad.is_error and name in _text(bad), (args, _text(bad))
        errors[name] = _text(bad)
    bad = await client.call_tool("compare_programs", {"program_ids": [pid]})
    assert bad.is_error and "program_ids" in _text(bad)
    bad = await client.call_tool("get_program", {"program_id": "no-such-program"})
    assert bad.is_error and "program_id" in _text(bad)
    return errors


def test_mcp_over_streamable_http_with_the_api_key(indexed, http_url):
    import httpx2
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client
    from mcp.shared._httpx_utils import create_mcp_http_client

    settings, programs = indexed

    async def go():
        async with Client(streamable_http_client(
                http_url + "/mcp", http_client=create_mcp_http_client(headers={"X-API-Key": SEARCH_KEY}))) as client:
            await exercise(client, programs, mode="hybrid")

    asyncio.run(go())
    # the same key check as the HTTP API: no key, or a wrong one, is refused before MCP sees the request
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    headers = {"Accept": "application/json, text/event-stream"}
    assert httpx2.post(http_url + "/mcp", json=body, headers=headers).status_code == 401
    assert httpx2.post(http_url + "/mcp", json=body, headers={**headers, "X-API-Key": "wrong"}).status_code == 401


def test_mcp_over_stdio_as_matrix_mcp(indexed):
    from mcp import Client, StdioServerParameters

    settings, programs = indexed
    params = StdioServerParameters(
        command=sys.executable, args=["-c", "from matrix.cli import main; raise SystemExit(main())",
                                      "--home", str(settings.home), "mcp"],
        cwd=str(REPO), env={"HF_HUB_OFFLINE": "1", "PYTHONPATH": str(REPO), "RAY_USAGE_STATS_ENABLED": "0"})

    async def go():
        async with Client(params, read_timeout_seconds=120) as client:
            await exercise(client, programs, mode="text")

    asyncio.run(go())

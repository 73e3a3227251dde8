"""`matrix triggers ...` through matrix.cli.main with the repo's ray_config.yaml and a fresh home."""

from __future__ import annotations

import json

import pytest

from matrix import cli
from tests.support.dork_server import DorkServer, searx_result


@pytest.fixture
def server():
    s = DorkServer().start()
    yield s
    s.stop()


def run(capsys, *argv: str) -> tuple[int, str]:
    rc = cli.main(["triggers", *argv])
    return rc, capsys.readouterr().out


def test_list_evaluate_dispatch_and_outbox(matrix_home, monkeypatch, capsys, server):
    monkeypatch.setenv("MATRIX_TRIGGERS__ALLOW_PRIVATE_NETWORKS", '["127.0.0.1/32"]')  # the receiver is local
    monkeypatch.setenv("MATRIX_TRIGGERS__WEBHOOK_URL", server.url + "/hook")
    crawled: list[list[str]] = []
    monkeypatch.setattr("matrix.triggers.cli._ingest_runner",
                        lambda settings: lambda names: crawled.append(names) or {"listings": {"inserted": 1}})
    rc, out = run(capsys, "list")
    assert rc == 0 and "stale-sources" in out and "stale_source" in out and "pending 0" in out
    rc, out = run(capsys, "list", "--json")
    assert {r["name"] for r in json.loads(out)["rules"]} >= {"stale-sources", "keys-attention"}

    rc, out = run(capsys, "evaluate", "--dry-run")
    ev = json.loads(out)["evaluation"]
    assert rc == 0 and [f["status"] for f in ev["firings"]] == ["would_queue"]
    assert ev["firings"][0]["details"]["source"] == "openaffiliate"  # never ingested in this home

    rc, out = run(capsys, "evaluate", "--rule", "stale-sources")
    assert json.loads(out)["evaluation"]["firings"][0]["status"] == "queued"
    rc, out = run(capsys, "evaluate", "--rule", "stale-sources")
    assert json.loads(out)["evaluation"]["firings"][0]["status"] == "cooldown"

    rc, out = run(capsys, "outbox", "--status", "pending")
    assert "recrawl" in out and "notify" in out and "pending 2" in out

    rc, out = run(capsys, "dispatch")
    rep = json.loads(out)
    assert rc == 0 and len(rep["done"]) == 2 and rep["outbox"]["done"] == 2
    assert crawled == [["openaffiliate"]]
    assert server.hooks[0]["json"]["details"]["source"] == "openaffiliate"

    rc, out = run(capsys, "outbox", "--json", "--status", "done")
    assert {r["action"] for r in json.loads(out)} == {"recrawl", "notify"}
    rc, out = run(capsys, "outbox", "--retry", "nope")
    assert rc == 1 and "no failed action" in out
    assert cli.main(["triggers", "evaluate", "--rule", "ghost"]) == 2


def test_failed_actions_make_dispatch_exit_nonzero_and_can_be_requeued(matrix_home, monkeypatch, capsys):
    monkeypatch.setenv("MATRIX_TRIGGERS__MAX_ATTEMPTS", "1")

    def boom(settings):
        def run_(names):
            raise RuntimeError("ray is down")
        return run_
    monkeypatch.setattr("matrix.triggers.cli._ingest_runner", boom)
    run(capsys, "evaluate", "--rule", "stale-sources", "--dispatch")
    rc, out = run(capsys, "outbox", "--status", "failed", "--json")
    [failed] = json.loads(out)
    assert failed["action"] == "recrawl" and "ray is down" in failed["last_error"]
    rc, out = run(capsys, "outbox", "--retry", failed["id"])
    assert rc == 0 and "re-queued" in out
    rc, out = run(capsys, "dispatch")
    assert rc == 1 and json.loads(out)["failed"] == [failed["id"]]


def test_dork_command(matrix_home, monkeypatch, capsys, server):
    assert cli.main(["triggers", "dork"]) == 2
    assert "give niches" in capsys.readouterr().out
    monkeypatch.setenv("MATRIX_TRIGGERS__ALLOW_PRIVATE_NETWORKS", '["127.0.0.1/32"]')  # the stand-in is local
    monkeypatch.setenv("MATRIX_TRIGGERS__DORKING__URL", server.url)
    monkeypatch.setenv("MATRIX_TRIGGERS__DORKING__REQUESTS_PER_SECOND", "100")
    server.results['"become an affiliate" yoga'] = [
        searx_result("https://zenmat.com/affiliates", "Become an affiliate - ZenMat", "Earn 20% commission on yoga mats")]
    rc, out = run(capsys, "dork", "yoga")
    rep = json.loads(out)
    assert rc == 0 and rep["queries"] == 4 and rep["candidates"] == 1 and rep["file"].endswith(".jsonl")
    assert rep["top"][0]["domain"] == "zenmat.com"

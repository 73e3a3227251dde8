"""Two processes rotate the same credential at once: exactly one wins, no provider key is orphaned."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from matrix.keys import CredentialRef
from tests.support.vault_fixtures import PREFIX, leak_guard, local_manager, make_secret, standin, vault_manager  # noqa: F401

REPO = Path(__file__).resolve().parents[2]
REF = CredentialRef("awin", "pub-1", "api_token")


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["local", "vault"])
def test_concurrent_rotation_one_winner_no_orphan(backend, tmp_path, request):
    if backend == "vault":
        server = request.getfixturevalue("standin")
        server.kv.clear()
        km = vault_manager(server, tmp_path)
    else:
        km = local_manager(tmp_path)
    original = make_secret("orig")
    km.put(REF, original)
    ledger = tmp_path / "ledger.txt"
    spec = {"backend": backend, "home": str(tmp_path), "ref": REF.path, "ledger": str(ledger),
            "barrier": str(tmp_path / "barrier"), "parties": 2, "check_sleep": 1.0, "prefix": PREFIX}
    (tmp_path / "barrier").mkdir()
    if backend == "vault":
        spec.update(url=server.url, token=server.issue_token(["affiliate-matrix-admin"]))
    procs = [subprocess.Popen([sys.executable, "-m", "tests.support.vault_rotator", json.dumps(spec)],
                              cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = []
    for p in procs:
        out, err = p.communicate(timeout=60)
        assert p.returncode == 0, err[-2000:]
        results.append(json.loads(out.strip().splitlines()[-1]))
    winners = [r for r in results if r["ok"]]
    losers = [r for r in results if not r["ok"]]
    assert len(winners) == 1 and len(losers) == 1, results
    assert losers[0]["error"] == "RotationConflict"

    lines = [line.split(" ", 1) for line in ledger.read_text().splitlines()]
    created = {v for op, v in lines if op == "created"}
    revoked = {v for op, v in lines if op == "revoked"}
    active = km.get(REF).reveal()
    assert active in created and active not in revoked
    assert original in revoked  # grace 0: the old key was revoked at the provider by the winner
    assert created - revoked == {active}  # every key the loser created was revoked again: no orphan
    meta = km.meta(REF)
    assert not meta.staged and meta.version == winners[0]["version"]

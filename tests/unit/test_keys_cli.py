"""`matrix keys ...` through matrix.cli.main on the local backend."""

from __future__ import annotations

import io
import json

import pytest

from matrix.cli import main
from tests.support.vault_fixtures import leak_guard, leaked_in, make_secret  # noqa: F401


@pytest.fixture
def stdin(monkeypatch):
    def feed(text: str) -> None:
        monkeypatch.setattr("sys.stdin", io.StringIO(text))
    return feed


def test_put_get_list_rotate_revoke_status(matrix_home, stdin, capsys, monkeypatch):
    value, new = make_secret(), make_secret("new")
    stdin(value + "\n")
    assert main(["keys", "put", "awin/pub-1/api_token", "--max-age-days", "1", "--warn-before-days", "2"]) == 0
    assert main(["keys", "get", "awin/pub-1/api_token"]) == 0
    out = capsys.readouterr().out
    assert "stored awin/pub-1/api_token version 1 (local)" in out and value not in out
    assert main(["keys", "get", "awin/pub-1/api_token", "--reveal"]) == 0
    assert capsys.readouterr().out.strip() == value

    assert main(["keys", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed[0]["ref"] == "awin/pub-1/api_token" and listed[0]["use_count"] == 2
    assert main(["keys", "status"]) == 1  # max age 1 day, warn 2 days -> due
    assert "DUE" in capsys.readouterr().out

    monkeypatch.setenv("NEW_KEY", new)
    assert main(["keys", "rotate", "awin/pub-1/api_token", "--value-env", "NEW_KEY", "--grace-s", "0", "--skip-health-check"]) == 0
    assert main(["keys", "list"]) == 0
    assert "v3" in capsys.readouterr().out
    assert main(["keys", "--component", "serve", "get", "awin/pub-1/api_token"]) == 1
    assert "may not read" in capsys.readouterr().err
    assert main(["keys", "revoke", "awin/pub-1/api_token", "--reason", "compromised"]) == 0
    assert main(["keys", "get", "awin/pub-1/api_token"]) == 1
    captured = capsys.readouterr()
    assert "revoked" in captured.err and not leaked_in(captured.out + captured.err)
    assert main(["keys", "status", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["alerts"] == []


def test_empty_value_and_bad_ref(matrix_home, stdin, capsys):
    stdin("\n")
    assert main(["keys", "put", "awin/a/api_key"]) == 1
    assert "empty value" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["keys", "get", "awin/api_key"])
    assert "NETWORK/ACCOUNT/KIND" in capsys.readouterr().err


def test_policies_command(matrix_home, capsys):
    assert main(["keys", "policies"]) == 0
    out = capsys.readouterr().out
    for c in ("admin", "ingest", "serve", "triggers", "budget"):
        assert f"policy: affiliate-matrix-{c}" in out
    assert 'path "secret/data/affiliate-matrix/matrix/*"' in out
    assert main(["keys", "policies", "--only", "serve"]) == 0
    assert "affiliate-matrix-ingest" not in capsys.readouterr().out
    assert main(["keys", "policies", "--only", "nobody"]) == 1


def test_cli_rotation_checks_the_new_value_against_the_network(matrix_home, stdin, capsys, monkeypatch):
    """Without --skip-health-check the staged value must pass the network client's health check;
    the Awin API here is a closed local port, so the check fails and the old value stays active."""
    old, new = make_secret(), make_secret("new")
    stdin(old + "\n")
    assert main(["keys", "put", "awin/pub-2/api_token"]) == 0
    monkeypatch.setenv("MATRIX_NETWORKS__AWIN__BASE_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("MATRIX_NETWORKS__AWIN__MAX_RETRIES", "0")
    monkeypatch.setenv("NEW_KEY", new)
    assert main(["keys", "rotate", "awin/pub-2/api_token", "--value-env", "NEW_KEY", "--grace-s", "0"]) != 0
    assert main(["keys", "get", "awin/pub-2/api_token", "--reveal"]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == old

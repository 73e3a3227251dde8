"""Encryption at rest: no plaintext on disk, tampering and wrong keys are clear errors, perms checked."""

from __future__ import annotations

import os

import pytest
from cryptography.fernet import Fernet

from matrix.keys import CredentialRef
from matrix.keys.crypto import MASTER_KEY_ENV, KeyFileError, atomic_write, load_master_key
from matrix.keys.local import LocalFileBackend
from tests.support.vault_fixtures import leak_guard, leaked_in, local_manager, make_secret  # noqa: F401

REF = CredentialRef("impact", "acct", "auth_token")


def test_file_holds_no_plaintext(tmp_path):
    km = local_manager(tmp_path)
    value = make_secret()
    km.put(REF, value)
    km.rotate(REF, make_secret("next"))
    blob = (tmp_path / "credentials.enc").read_bytes()
    assert value.encode() not in blob and b"impact" not in blob and b"auth_token" not in blob
    assert (tmp_path / "credentials.enc").stat().st_mode & 0o777 == 0o600
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]  # atomic write left no temp files


def test_tampering_is_detected(tmp_path):
    km = local_manager(tmp_path)
    km.put(REF, make_secret())
    path = tmp_path / "credentials.enc"
    blob = bytearray(path.read_bytes())
    blob[-20] = ord("A") if blob[-20] != ord("A") else ord("B")
    path.write_bytes(bytes(blob))
    with pytest.raises(KeyFileError, match="integrity check failed") as exc:
        km.get(REF)
    assert not leaked_in(str(exc.value))
    path.write_bytes(b"garbage\n" + bytes(blob))
    with pytest.raises(KeyFileError, match="bad header"):
        LocalFileBackend(path, (tmp_path / "master.key").read_bytes())


def test_wrong_master_key_is_a_clear_error(tmp_path):
    local_manager(tmp_path).put(REF, make_secret())
    with pytest.raises(KeyFileError, match="wrong master key"):
        LocalFileBackend(tmp_path / "credentials.enc", Fernet.generate_key())


def test_master_key_sources_and_permissions(tmp_path):
    kf = tmp_path / "keys" / "master.key"
    key = load_master_key(kf, environ={})
    assert kf.stat().st_mode & 0o777 == 0o600 and load_master_key(kf, environ={}) == key
    env_key = Fernet.generate_key().decode()
    assert load_master_key(kf, environ={MASTER_KEY_ENV: env_key}) == env_key.encode()
    with pytest.raises(KeyFileError, match="not a valid Fernet key"):
        load_master_key(kf, environ={MASTER_KEY_ENV: "short"})
    os.chmod(kf, 0o644)
    with pytest.raises(KeyFileError, match="must be 0600"):
        load_master_key(kf, environ={})
    with pytest.raises(KeyFileError, match="no master key"):
        load_master_key(tmp_path / "absent.key", environ={}, create=False)


def test_open_credential_file_refused_at_start(tmp_path):
    local_manager(tmp_path).put(REF, make_secret())
    os.chmod(tmp_path / "credentials.enc", 0o640)
    with pytest.raises(KeyFileError, match="0600"):
        LocalFileBackend(tmp_path / "credentials.enc", (tmp_path / "master.key").read_bytes())


def test_atomic_write_keeps_old_file_on_failure(tmp_path, monkeypatch):
    target = tmp_path / "f"
    atomic_write(target, b"old")

    def boom(*a):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        atomic_write(target, b"new")
    assert target.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["f"]


def test_history_is_bounded(tmp_path):
    backend = LocalFileBackend(tmp_path / "c.enc", Fernet.generate_key(), max_versions=3)
    for i in range(5):
        backend.write("a/b/c", {"value": make_secret()}, cas=i)
    assert [v.version for v in backend.history("a/b/c")] == [3, 4, 5]
    backend.set_custom("x/y/z", {"use_count": "1"})  # unknown path: no-op
    assert backend.list_paths() == ["a/b/c"]

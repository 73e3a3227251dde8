"""Issue 12 item 6: keys under load. verify() reads memory (no store rewrite, no audit line per
request; counts flushed in batches), failed checks cannot grow the audit log without bound, and a
restored older credentials file cannot bring a revoked or retired key back."""

from __future__ import annotations

import shutil

import pytest

from matrix.keys import CredentialError, CredentialRef, KeyStatus
from tests.support.vault_fixtures import local_manager

ADMIN_KEY = CredentialRef("matrix", "serve", "admin_api_key")
VALUE = "k-" + "a1b2c3d4" * 4


def _stamp(path):
    st = path.stat()
    return st.st_mtime_ns, st.st_size, path.read_bytes()


def test_verify_reads_memory_and_flushes_counts_in_batches(tmp_path):
    admin = local_manager(tmp_path)
    admin.put(ADMIN_KEY, VALUE)
    serve = local_manager(tmp_path, "serve", use_flush_s=3600)
    store = tmp_path / "credentials.enc"
    assert serve.verify(ADMIN_KEY, VALUE)
    before, audit_lines = _stamp(store), len(serve.audit.entries())
    for _ in range(300):
        assert serve.verify(ADMIN_KEY, VALUE)
    for i in range(500):
        assert not serve.verify(ADMIN_KEY, f"guess-{i}")
    assert _stamp(store) == before  # no rewrite of credentials.enc on the request path
    assert len(serve.audit.entries()) == audit_lines  # and no audit line per check
    serve.flush_usage()
    tallies = [e for e in serve.audit.entries() if e["action"] == "verify"]
    assert tallies[-1]["accepted"] == 301 and tallies[-1]["rejected"] == 500 and tallies[-1]["outcome"] == "rejected"
    assert len(serve.audit.entries()) == audit_lines + 1  # 801 checks, one line
    assert admin.meta(ADMIN_KEY).use_count == 301
    serve.flush_usage()  # nothing pending: nothing written
    assert len(serve.audit.entries()) == audit_lines + 1


def test_verify_flushes_by_itself_when_the_interval_passed(tmp_path):
    admin = local_manager(tmp_path)
    admin.put(ADMIN_KEY, VALUE)
    serve = local_manager(tmp_path, "serve", use_flush_s=0)
    assert serve.verify(ADMIN_KEY, VALUE) and serve.verify(ADMIN_KEY, VALUE)
    assert admin.meta(ADMIN_KEY).use_count == 2


def test_revocation_elsewhere_reaches_verify_within_the_cache_interval(tmp_path):
    admin = local_manager(tmp_path)
    admin.put(ADMIN_KEY, VALUE)
    serve = local_manager(tmp_path, "serve", verify_cache_s=3600)
    assert serve.verify(ADMIN_KEY, VALUE)
    admin.revoke(ADMIN_KEY, "leaked")
    assert admin.verify(ADMIN_KEY, VALUE) is False  # the writer's own cache is dropped at once
    assert serve.verify(ADMIN_KEY, VALUE) is True  # another process: until its snapshot ages out ...
    serve.verify_cache_s = 0
    assert serve.verify(ADMIN_KEY, VALUE) is False  # ... then it re-reads


def test_restored_older_credentials_file_cannot_revive_a_revoked_key(tmp_path):
    """Old code: copying back a backup of credentials.enc made a revoked key valid again."""
    admin = local_manager(tmp_path)
    admin.put(ADMIN_KEY, VALUE)
    store = tmp_path / "credentials.enc"
    shutil.copy2(store, tmp_path / "backup.enc")
    admin.revoke(ADMIN_KEY, "leaked in a screenshot")
    shutil.copy2(tmp_path / "backup.enc", store)  # the careless restore

    fresh = local_manager(tmp_path)  # a new process, loading the restored file
    assert fresh.verify(ADMIN_KEY, VALUE) is False
    with pytest.raises(CredentialError, match="revoked"):
        fresh.get(ADMIN_KEY)
    meta = fresh.meta(ADMIN_KEY)
    assert meta.status == KeyStatus.REVOKED and "revocation log" in meta.revoked_reason
    log_text = (tmp_path / "revocations.jsonl").read_text()
    assert VALUE not in log_text and ADMIN_KEY.path in log_text  # a fingerprint, never the value
    # the way forward is a new key, which works
    fresh.put(ADMIN_KEY, VALUE + "-new")
    assert fresh.verify(ADMIN_KEY, VALUE + "-new") and not fresh.verify(ADMIN_KEY, VALUE)


def test_restored_file_cannot_revive_a_key_retired_by_rotation(tmp_path):
    admin = local_manager(tmp_path, rotation_grace_s=0)
    admin.put(ADMIN_KEY, VALUE)
    store = tmp_path / "credentials.enc"
    shutil.copy2(store, tmp_path / "backup.enc")
    admin.rotate(ADMIN_KEY, VALUE + "-2")  # no grace: the old value is retired at once
    shutil.copy2(tmp_path / "backup.enc", store)
    assert local_manager(tmp_path).verify(ADMIN_KEY, VALUE) is False


def test_revocation_log_survives_torn_lines(tmp_path):
    admin = local_manager(tmp_path)
    admin.put(ADMIN_KEY, VALUE)
    shutil.copy2(tmp_path / "credentials.enc", tmp_path / "backup.enc")
    admin.revoke(ADMIN_KEY, "x")
    with open(tmp_path / "revocations.jsonl", "a") as fh:
        fh.write('{"ref": "torn\n')
    shutil.copy2(tmp_path / "backup.enc", tmp_path / "credentials.enc")
    assert local_manager(tmp_path).verify(ADMIN_KEY, VALUE) is False

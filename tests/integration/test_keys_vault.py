"""Vault-only behaviour through real hvac against the stand-in: auth methods, token renewal,
store-side ACLs, the fallback cache during an outage, and backend selection from settings."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

from matrix.config import load_settings
from matrix.keys import AccessDenied, CredentialError, CredentialRef, KeyManager
from matrix.keys.fallback import FallbackBackend
from matrix.keys.local import LocalFileBackend
from matrix.keys.policy import policy_name
from matrix.keys.vault import VaultAuth, VaultBackend
from tests.support.vault_fixtures import PREFIX, leak_guard, leaked_in, make_secret, standin, vault_manager  # noqa: F401

AWIN = CredentialRef("awin", "pub-1", "api_token")
ADMIN_KEY = CredentialRef("matrix", "serve", "admin_api_key")


@pytest.fixture(autouse=True)
def _fresh(standin):
    standin.kv.clear()
    standin.sealed = False
    if standin._loop is None:
        standin.start()


def test_approle_login_and_renewal_before_expiry(standin, tmp_path):
    secret_id = make_secret("secretid")
    standin.approles["role-ingest"] = (secret_id, [policy_name("admin")], 60)
    auth = VaultAuth("approle", role="role-ingest", renew_before_s=59.9, environ={"VAULT_SECRET_ID": secret_id})
    km = KeyManager(VaultBackend.create(standin.url, auth, mount="secret", prefix=PREFIX))
    km.put(AWIN, make_secret())
    assert auth.logins == 1
    before = standin.requests["POST auth/token"]
    import time

    time.sleep(0.15)  # now within renew_before_s of the 60 s TTL
    km.get(AWIN)
    assert auth.renewals >= 1 and standin.requests["POST auth/token"] > before


def test_approle_bad_secret_id_is_a_clear_error(standin):
    standin.approles["r"] = (make_secret("sid"), ["root"], 60)
    bad = make_secret("wrong")
    auth = VaultAuth("approle", role="r", environ={"VAULT_SECRET_ID": bad})
    km = KeyManager(VaultBackend.create(standin.url, auth, mount="secret", prefix=PREFIX))
    with pytest.raises(CredentialError, match="vault rejected") as exc:
        km.get(AWIN)
    assert not leaked_in(str(exc.value))


def test_kubernetes_login_with_service_account_jwt(standin, tmp_path):
    jwt = make_secret("jwt")
    (tmp_path / "token").write_text(jwt)
    standin.k8s_roles["matrix-serve"] = (jwt, [policy_name("serve")], 0)
    auth = VaultAuth("kubernetes", role="matrix-serve", jwt_path=str(tmp_path / "token"))
    serve = KeyManager(VaultBackend.create(standin.url, auth, mount="secret", prefix=PREFIX), component="serve")
    admin = vault_manager(standin, tmp_path)
    admin.put(ADMIN_KEY, make_secret())
    assert serve.get(ADMIN_KEY).reveal() == admin.get(ADMIN_KEY).reveal()
    missing = VaultAuth("kubernetes", role="x", jwt_path=str(tmp_path / "absent"))
    with pytest.raises(CredentialError, match="service-account token"):
        KeyManager(VaultBackend.create(standin.url, missing, mount="secret", prefix=PREFIX)).get(ADMIN_KEY)


def test_auth_config_errors():
    with pytest.raises(CredentialError, match="vault_role"):
        VaultAuth("approle")
    with pytest.raises(CredentialError, match="allowed"):
        VaultAuth("ldap")


def test_vault_acl_holds_even_if_the_manager_check_is_bypassed(standin, tmp_path):
    admin = vault_manager(standin, tmp_path)
    admin.put(AWIN, make_secret())
    # manager thinks it is admin, but its Vault token carries only the serve policy
    sneaky = vault_manager(standin, tmp_path, "admin", token_policies=[policy_name("serve")])
    with pytest.raises(AccessDenied, match="vault policy denies"):
        sneaky.get(AWIN)
    with pytest.raises(AccessDenied):
        sneaky.put(AWIN, make_secret())


def test_token_without_renewal_fails_loudly_near_expiry(standin, tmp_path):
    token = standin.issue_token(["root"], ttl=30, renewable=False)
    auth = VaultAuth("token", renew_before_s=29.9, environ={"VAULT_TOKEN": token})
    km = KeyManager(VaultBackend.create(standin.url, auth, mount="secret", prefix=PREFIX))
    km.list()
    import time

    time.sleep(0.15)
    with pytest.raises(CredentialError, match="cannot be renewed"):
        km.list()


def test_fallback_when_vault_stops_mid_run(standin, tmp_path):
    km = vault_manager(standin, tmp_path)
    value = make_secret()
    km.put(AWIN, value)
    assert km.get(AWIN).reveal() == value  # warms the encrypted cache
    assert value.encode() not in (tmp_path / "vault-cache.enc").read_bytes()
    reads_before = REGISTRY.get_sample_value("matrix_keys_fallback_reads_total") or 0
    standin.stop()
    try:
        assert km.get(AWIN).reveal() == value
        assert km.backend.degraded
        assert REGISTRY.get_sample_value("matrix_keys_vault_up") == 0
        assert REGISTRY.get_sample_value("matrix_keys_fallback_reads_total") > reads_before
        with pytest.raises(CredentialError, match="refused: credential store unreachable") as exc:
            km.rotate(AWIN, make_secret("during-outage"))
        assert not leaked_in(str(exc.value))
        with pytest.raises(CredentialError, match="unreachable"):
            km.put(ADMIN_KEY, make_secret())
        with pytest.raises(CredentialError, match="no credential"):
            km.get(ADMIN_KEY)  # never cached: no value to fall back to
        assert [m.ref for m in km.list()] == [AWIN]
    finally:
        standin.start()
    assert km.get(AWIN).reveal() == value
    assert not km.backend.degraded and REGISTRY.get_sample_value("matrix_keys_vault_up") == 1
    meta = km.meta(AWIN)
    assert meta.version == 1 and meta.use_count == 3  # the outage read was counted, nothing lost
    outcomes = [(e["action"], e["outcome"]) for e in km.audit.entries()]
    assert ("rotate", "failed:refused") in outcomes and ("put", "refused_unavailable") in outcomes


def test_from_settings_picks_backend(standin, tmp_path, monkeypatch):
    home = tmp_path / "home"
    env = {"MATRIX_HOME": str(home), "VAULT_TOKEN": standin.issue_token([policy_name("admin")])}
    s = load_settings(environ=env, overrides={"keys": {"vault_addr": standin.url}})
    km = KeyManager.from_settings(s, environ=env)
    assert isinstance(km.backend, FallbackBackend)
    km.put(AWIN, make_secret())
    assert standin.kv[f"{PREFIX}/{AWIN.path}"].current == 1
    assert km.audit.path == s.path("keys/audit.jsonl")

    local = KeyManager.from_settings(load_settings(environ={"MATRIX_HOME": str(home)}), environ={})
    assert isinstance(local.backend, LocalFileBackend)
    assert (home / "keys" / "master.key").stat().st_mode & 0o777 == 0o600

    standin.stop()
    try:
        # auto + unreachable + a cache exists here -> stay on Vault (fallback), never fork to the local file
        km2 = KeyManager.from_settings(s, environ=env)
        assert isinstance(km2.backend, FallbackBackend)
        other = load_settings(environ={"MATRIX_HOME": str(tmp_path / "h2")}, overrides={"keys": {"vault_addr": standin.url}})
        assert isinstance(KeyManager.from_settings(other, environ={}).backend, LocalFileBackend)
    finally:
        standin.start()
    from matrix.config import ConfigError

    with pytest.raises(ConfigError, match="vault_addr"):
        KeyManager.from_settings(load_settings(environ={"MATRIX_HOME": str(home)}, overrides={"keys": {"backend": "vault"}}), environ={})
    with pytest.raises(CredentialError, match="unknown component"):
        KeyManager.from_settings(s, component="nobody", environ=env)

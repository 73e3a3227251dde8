"""One behavioural suite for KeyManager, run against both backends (local file, Vault stand-in)."""

from __future__ import annotations

import datetime as dt

import pytest
from prometheus_client import REGISTRY

from matrix.keys import AccessDenied, CredentialError, CredentialRef, KeyStatus, RotationConflict, Secret
from tests.support.vault_fixtures import (  # noqa: F401  (fixtures)
    clock,
    leak_guard,
    leaked_in,
    make_manager,
    make_secret,
    standin,
)

AWIN = CredentialRef("awin", "pub-1", "api_token")
CJ = CredentialRef("cj", "acct-9", "api_key")
ADMIN_KEY = CredentialRef("matrix", "serve", "admin_api_key")


class Check:
    """A HealthCheck that accepts only the values it was told are valid."""

    def __init__(self, *valid: str, raises: bool = False) -> None:
        self.valid = set(valid)
        self.raises = raises
        self.seen: list[str] = []

    async def check_credential(self, ref: CredentialRef, secret: Secret) -> bool:
        self.seen.append(ref.path)
        if self.raises:
            raise RuntimeError(f"provider said no to {secret.reveal()}")  # must not leak via the manager
        return secret.reveal() in self.valid


class Issuer:
    def __init__(self) -> None:
        self.created: list[str] = []
        self.revoked: list[str] = []

    def create_credential(self, ref: CredentialRef) -> Secret:
        v = make_secret("issued")
        self.created.append(v)
        return Secret(v)

    def revoke_credential(self, ref: CredentialRef, secret: Secret) -> None:
        self.revoked.append(secret.reveal())


def test_put_get_meta_and_usage(make_manager):
    km = make_manager()
    value = make_secret()
    meta = km.put(AWIN, value, max_age_days=90)
    assert meta.version == 1 and meta.status == KeyStatus.ACTIVE and meta.use_count == 0
    got = km.get(AWIN)
    assert got.reveal() == value and value not in repr(got)
    km.get(AWIN)
    meta = km.meta(AWIN)
    assert meta.use_count == 2 and meta.last_used_at is not None and meta.max_age_days == 90
    assert value not in str(meta.as_dict())
    assert REGISTRY.get_sample_value("matrix_keys_use_count", {"ref": AWIN.path}) == 2


def test_versions_are_history_and_put_keeps_policy(make_manager):
    km = make_manager()
    km.put(AWIN, make_secret(), max_age_days=30, warn_before_days=3)
    meta = km.put(AWIN, make_secret())
    assert meta.version == 2 and meta.max_age_days == 30 and meta.warn_before_days == 3
    assert [v.version for v in km.history(AWIN)] == [1, 2]


def test_missing_and_list(make_manager):
    km = make_manager()
    with pytest.raises(CredentialError, match="no credential"):
        km.get(AWIN)
    km.put(AWIN, make_secret())
    km.put(CJ, make_secret())
    km.put(ADMIN_KEY, make_secret())
    assert [m.ref for m in km.list()] == [AWIN, CJ, ADMIN_KEY]
    assert [m.ref for m in km.list("cj")] == [CJ]
    assert km.list("nobody") == []


def test_revoke_is_immediate_and_audited(make_manager):
    km = make_manager()
    value = make_secret()
    km.put(AWIN, value)
    meta = km.revoke(AWIN, "leaked in a screenshot")
    assert meta.status == KeyStatus.REVOKED and meta.revoked_reason == "leaked in a screenshot"
    with pytest.raises(CredentialError, match="revoked") as exc:
        km.get(AWIN)
    assert not leaked_in(str(exc.value))
    assert km.verify(AWIN, value) is False
    actions = [(e["action"], e["outcome"]) for e in km.audit.entries()]
    assert ("revoke", "ok") in actions and ("get", "revoked") in actions
    assert not leaked_in(km.audit.path.read_text())


def test_two_phase_rotation_with_grace(make_manager, clock):
    km = make_manager(clock=clock, rotation_grace_s=600)
    old, new = make_secret("old"), make_secret("new")
    km.put(AWIN, old)
    check = Check(new)
    meta = km.rotate(AWIN, new, health_check=check)
    assert check.seen == [AWIN.path]
    assert meta.version == 3  # stage + promote are two versions
    assert km.get(AWIN).reveal() == new
    assert km.meta(AWIN).in_grace
    assert km.verify(AWIN, old) and km.verify(AWIN, new)
    clock.advance(seconds=601)
    assert km.verify(AWIN, old) is False  # grace over: old key rejected even before cleanup
    assert km.finish_rotations() == 1
    assert not km.meta(AWIN).in_grace
    assert km.verify(AWIN, new)


def test_rotation_failing_health_check_keeps_old(make_manager):
    km = make_manager()
    old, bad = make_secret("old"), make_secret("bad")
    km.put(AWIN, old)
    with pytest.raises(CredentialError, match="health check") as exc:
        km.rotate(AWIN, bad, health_check=Check())
    assert not leaked_in(str(exc.value))
    assert km.get(AWIN).reveal() == old
    assert not km.meta(AWIN).staged
    with pytest.raises(CredentialError, match="health check raised RuntimeError") as exc:
        km.rotate(AWIN, make_secret("boom"), health_check=Check(raises=True))
    assert not leaked_in(str(exc.value))
    assert REGISTRY.get_sample_value("matrix_keys_events_total", {"event": "rotation_failed"}) >= 2


def test_rotation_with_issuer_revokes_old_and_discards_losers(make_manager):
    issuer = Issuer()
    km = make_manager(issuers={"awin": issuer}, rotation_grace_s=0)
    first = make_secret()
    km.put(AWIN, first)
    km.rotate(AWIN)  # the issuer creates the new key
    assert km.get(AWIN).reveal() == issuer.created[0]
    assert issuer.revoked == [first]  # no grace: the old key is revoked at the provider at once
    with pytest.raises(CredentialError):
        km.rotate(AWIN, health_check=Check())  # issuer-created key fails -> revoked again
    assert issuer.revoked[-1] == issuer.created[-1]
    km.put(CJ, make_secret())
    with pytest.raises(CredentialError, match="no key-creation API"):
        km.rotate(CJ)  # no issuer for cj: a person must supply the value


def test_rotation_in_progress_is_refused(make_manager):
    km = make_manager()
    km.put(AWIN, make_secret())
    other = make_manager()

    class Reentrant:
        async def check_credential(self, ref, secret):
            with pytest.raises(RotationConflict, match="already in progress"):
                other.rotate(ref, make_secret("second"))
            return True

    km.rotate(AWIN, make_secret("first"), health_check=Reentrant())
    assert km.meta(AWIN).version == 3


def test_stale_write_loses_check_and_set(make_manager):
    km = make_manager()
    km.put(AWIN, make_secret())
    stored = km.backend.read(AWIN.path)
    km.put(AWIN, make_secret())  # someone else writes version 2
    from matrix.keys.backend import CasConflict

    with pytest.raises(CasConflict):
        km.backend.write(AWIN.path, stored.doc, stored.version)


def test_component_policies(make_manager):
    admin = make_manager()
    admin.put(AWIN, make_secret())
    admin.put(ADMIN_KEY, make_secret())
    ingest = make_manager("ingest")
    assert ingest.get(AWIN).reveal()
    with pytest.raises(AccessDenied):
        ingest.get(ADMIN_KEY)
    with pytest.raises(AccessDenied):
        ingest.put(AWIN, make_secret())
    serve = make_manager("serve")
    with pytest.raises(AccessDenied):
        serve.get(AWIN)
    key = admin.get(ADMIN_KEY).reveal()
    assert serve.verify(ADMIN_KEY, key) and not serve.verify(ADMIN_KEY, key + "x")
    assert [m.ref for m in ingest.list()] == [AWIN]
    ingest.mark_unhealthy(AWIN, "401 from provider")
    assert admin.meta(AWIN).unhealthy_reason == "401 from provider"
    assert ("get", "denied") in [(e["action"], e["outcome"]) for e in admin.audit.entries()]


def test_expiry_alerts_and_metrics(make_manager, clock):
    km = make_manager(clock=clock, warn_before_days=14)
    km.put(AWIN, make_secret(), expires_at=clock.now + dt.timedelta(days=3))
    km.put(CJ, make_secret(), max_age_days=30)
    km.put(ADMIN_KEY, make_secret(), expires_at=clock.now + dt.timedelta(days=100))
    alerts = km.status()
    assert [(a.ref, a.state) for a in alerts] == [(AWIN, "expiring")]
    assert 2.9 < REGISTRY.get_sample_value("matrix_keys_days_to_expiry", {"ref": AWIN.path}) <= 3
    clock.advance(days=20)
    states = {(a.ref, a.state) for a in km.status()}
    assert states == {(AWIN, "expired"), (CJ, "due")}
    with pytest.raises(CredentialError, match="expired"):
        km.get(AWIN)
    assert km.verify(AWIN, "anything") is False
    km.mark_unhealthy(ADMIN_KEY, "provider returned 401")
    assert (ADMIN_KEY, "unhealthy") in {(a.ref, a.state) for a in km.status()}
    km.rotate(ADMIN_KEY, make_secret(), expires_at=clock.now + dt.timedelta(days=365))
    assert (ADMIN_KEY, "unhealthy") not in {(a.ref, a.state) for a in km.status()}
    assert REGISTRY.get_sample_value("matrix_keys_events_total", {"event": "expired"}) >= 1


def test_bad_input_is_rejected_cleanly(make_manager):
    km = make_manager()
    with pytest.raises(CredentialError):
        km.put(AWIN, "")
    value = make_secret()
    km.put(AWIN, value)
    with pytest.raises(CredentialError, match="same as the active"):
        km.rotate(AWIN, value)
    assert km.get(AWIN).reveal() == value

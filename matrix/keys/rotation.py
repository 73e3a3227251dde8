"""Two-phase credential rotation, one named step per phase: stage -> verify -> promote -> retire.

Kept out of KeyManager so each step reads on its own: the manager owns storage, policy and audit;
a `Rotation` owns one attempt to replace one credential. Check-and-set on every write means two
rotators cannot both win; the loser discards (and provider-revokes) what it created.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
import os
from typing import TYPE_CHECKING, Any

from matrix.keys import redact
from matrix.keys.backend import BackendUnavailable, CasConflict, PermissionDeniedByStore, Stored
from matrix.keys.metrics import EVENTS
from matrix.keys.types import CredentialError, CredentialRef, HealthCheck, KeyStatus, Secret, as_secret, from_iso, to_iso
from matrix.observability import get_logger

if TYPE_CHECKING:
    from matrix.keys.manager import CredentialMeta, KeyManager

STALE_STAGE_S = 600.0  # a staged rotation older than this is treated as abandoned (crashed rotator)

log = get_logger(__name__)


class RotationConflict(CredentialError):
    """Another writer rotated or changed this credential first; nothing of ours was kept."""


def run_health_check(check: HealthCheck, ref: CredentialRef, secret: Secret) -> tuple[bool, str]:
    """Ask the provider whether the new value works; a crashing check is a failed check (its text is not kept)."""
    try:
        coro = check.check_credential(ref, secret)
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            ok = asyncio.run(coro)
        else:  # called from async code: run the check on its own loop in a worker thread
            with concurrent.futures.ThreadPoolExecutor(1) as pool:
                ok = pool.submit(asyncio.run, coro).result()
    except Exception as exc:
        return False, f"health check raised {type(exc).__name__}"
    return bool(ok), "provider rejected it" if not ok else "ok"


class Rotation:
    """One attempt to rotate one credential through a KeyManager (which it uses for I/O, audit and metrics)."""

    def __init__(self, km: KeyManager, ref: CredentialRef, *, health_check: HealthCheck | None,
                 expires_at: dt.datetime | None, grace_s: float | None) -> None:
        self.km = km
        self.ref = ref
        self.check = health_check or km.health_checks.get(ref.network)
        self.expires_at = expires_at
        self.grace = km.rotation_grace_s if grace_s is None else grace_s
        self.created = False  # True when our issuer minted the new key (so a failure must provider-revoke it)

    def run(self, new_value: str | Secret | None) -> CredentialMeta:
        km, ref = self.km, self.ref
        km._check(ref, "write", "rotate")
        stored = km._required(ref, "rotate")
        now = km._clock()
        self._refuse_if_in_progress(stored.doc, now)
        secret = self._new_secret(new_value, stored.doc)
        staged_doc, v_staged = self._stage(stored, secret, now)
        self._verify(staged_doc, v_staged, secret)
        promoted, version = self._promote(stored.doc, v_staged, secret, now)
        self._retire_old(stored.doc, promoted, version)
        custom = self._clear_unhealthy(stored.custom)
        self._announce(version)
        result = Stored(promoted, version, custom)
        km._export(ref, result)
        return km._meta(ref, result)

    # -- steps -------------------------------------------------------------------------------
    def _refuse_if_in_progress(self, doc: dict[str, Any], now: dt.datetime) -> None:
        staged = doc.get("staged")
        if staged and (now - (from_iso(staged.get("staged_at")) or now)).total_seconds() < STALE_STAGE_S:
            self._failed("in_progress")
            raise RotationConflict(f"{self.ref.path}: a rotation by {staged.get('by')!r} is already in progress "
                                 f"(staged {staged.get('staged_at')})")

    def _new_secret(self, new_value: str | Secret | None, doc: dict[str, Any]) -> Secret:
        """The caller's value, or one minted by the network's KeyIssuer (providers with a key API)."""
        ref = self.ref
        if new_value is None:
            issuer = self.km.issuers.get(ref.network)
            if issuer is None:
                raise CredentialError(
                    f"{ref.network} has no key-creation API here: get a new key from the provider and run "
                    f"`matrix keys rotate {ref.path}` to enter it")
            secret = issuer.create_credential(ref)
            self.created = True
        else:
            secret = as_secret(new_value)
        redact.remember(secret.reveal())
        if secret.reveal() == doc.get("value"):
            raise CredentialError(f"{ref.path}: the new value is the same as the active one")
        return secret

    def _stage(self, stored: Stored, secret: Secret, now: dt.datetime) -> tuple[dict[str, Any], int]:
        """Phase 1: write the new value beside the active one, so a crashed rotator leaves a visible trace."""
        staged_doc = {**stored.doc, "staged": {"value": secret.reveal(), "staged_at": to_iso(now), "by": self.km.component,
                                               "pid": os.getpid()}}
        try:
            v_staged = self.km._write(self.ref, staged_doc, stored.version, "rotate")
        except (CasConflict, CredentialError) as exc:
            self._discard(secret)
            self._failed("conflict" if isinstance(exc, CasConflict) else "refused")
            if isinstance(exc, CasConflict):
                raise RotationConflict(f"{self.ref.path}: another writer changed it first; this rotation was discarded") from None
            raise
        self.km._audit("rotate_stage", self.ref, version=v_staged)
        return staged_doc, v_staged

    def _verify(self, staged_doc: dict[str, Any], v_staged: int, secret: Secret) -> None:
        """Phase 2: the provider must accept the new value; otherwise unstage it and keep the old one."""
        ok, why = (True, "no health check configured") if self.check is None else run_health_check(self.check, self.ref, secret)
        if ok:
            return
        try:
            self.km._write(self.ref, {**staged_doc, "staged": None}, v_staged, "rotate")
        except (CasConflict, CredentialError):
            pass  # someone else took over the record; our staged value is gone either way
        self._discard(secret)
        self._failed("health_check")
        raise CredentialError(f"{self.ref.path}: the new credential failed its health check ({why}); the old one stays active")

    def _promote(self, doc: dict[str, Any], v_staged: int, secret: Secret, now: dt.datetime) -> tuple[dict[str, Any], int]:
        """Phase 3: the new value becomes active; the old one stays acceptable for the grace period."""
        old_value = self._old_value(doc)
        previous = {"value": old_value, "revoke_after": to_iso(now + dt.timedelta(seconds=self.grace))} \
            if old_value and self.grace > 0 else None
        iso_now = to_iso(self.km._clock())
        promoted = {**doc, "value": secret.reveal(), "status": KeyStatus.ACTIVE.value, "created_at": iso_now,
                    "updated_at": iso_now, "expires_at": to_iso(self.expires_at), "staged": None, "previous": previous,
                    "revoked": None}
        try:
            version = self.km._write(self.ref, promoted, v_staged, "rotate")
        except (CasConflict, CredentialError) as exc:
            self._discard(secret)
            self._failed("conflict")
            raise RotationConflict(f"{self.ref.path}: changed during rotation ({type(exc).__name__}); "
                                 "the new value was discarded") from None
        return promoted, version

    def _retire_old(self, doc: dict[str, Any], promoted: dict[str, Any], version: int) -> None:
        """Phase 4 (after the promote: a failed promote keeps the old value active, so it must stay usable).

        The value superseded by an earlier rotation is retired now; the value we replaced is retired
        now too when there is no grace period.
        """
        km, ref = self.km, self.ref
        old_value = self._old_value(doc)
        retired_now = old_value if promoted["previous"] is None else None
        superseded = (doc.get("previous") or {}).get("value")
        km._remember_revoked(ref, [superseded, retired_now], version, "retired by rotation")
        if superseded:
            km._provider_revoke(ref, Secret(superseded))
        if retired_now:
            km._provider_revoke(ref, Secret(retired_now))

    def _clear_unhealthy(self, custom: dict[str, str]) -> dict[str, str]:
        """A new value starts healthy: drop the old value's unhealthy marks (best effort)."""
        cleared = {k: v for k, v in custom.items() if not k.startswith("unhealthy")}
        if cleared != custom:
            try:
                self.km.backend.set_custom(self.ref.path, cleared)
            except (BackendUnavailable, PermissionDeniedByStore):
                pass
        return cleared

    def _announce(self, version: int) -> None:
        EVENTS.labels("rotated").inc()
        self.km._audit("rotate_promote", self.ref, version=version, grace_s=self.grace, verified=self.check is not None)
        log.info("credential rotated", extra={"ref": self.ref.path, "version": version, "grace_s": self.grace})

    # -- failure handling --------------------------------------------------------------------
    @staticmethod
    def _old_value(doc: dict[str, Any]) -> str | None:
        return doc.get("value") if doc.get("status") == KeyStatus.ACTIVE.value else None

    def _discard(self, secret: Secret) -> None:
        if self.created:  # a key we minted and will not use must not stay valid at the provider
            self.km._provider_revoke(self.ref, secret)

    def _failed(self, why: str) -> None:
        EVENTS.labels("rotation_failed").inc()
        self.km._audit("rotate", self.ref, f"failed:{why}")
        log.warning("credential rotation failed", extra={"ref": self.ref.path, "why": why})


"""KeyManager: the one door to every credential, whichever store sits behind it.

Every call is checked against the calling component's policy, audited, and counted. The
credential document (stored per network/account/kind) holds the active value plus rotation
state; usage and health live in the store's custom metadata so a read-only component can report
them without the right to change the secret.

Document fields: value, status (active/revoked), created_at, updated_at, expires_at,
max_age_days, warn_before_days, staged {value, staged_at, by}, previous {value, revoke_after},
revoked {reason, at}. Custom metadata: use_count, last_used_at, unhealthy_reason, unhealthy_at.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
import hmac
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Literal, Mapping

from matrix.keys import redact
from matrix.keys.audit import AuditLog
from matrix.keys.backend import Backend, BackendUnavailable, CasConflict, PermissionDeniedByStore, Stored, VersionInfo
from matrix.keys.policy import COMPONENTS, ComponentPolicy, allows, policies_from_config, policy_name, render_hcl
from matrix.keys.types import (
    AccessDenied,
    CredentialError,
    CredentialRef,
    HealthCheck,
    KeyIssuer,
    KeyStatus,
    Secret,
    days_left,
)
from matrix.observability import counter, gauge, get_logger

log = get_logger(__name__)

EVENTS = counter("matrix_keys_events_total", "Key-management events (due, expiring, expired, unhealthy, rotation_failed, rotated, revoked, denied)", ["event"])
OPERATIONS = counter("matrix_keys_operations_total", "Key-management operations by action and outcome", ["action", "outcome"])
DAYS_TO_EXPIRY = gauge("matrix_keys_days_to_expiry", "Days until a credential expires (absent when it never expires)", ["ref"])
USE_COUNT = gauge("matrix_keys_use_count", "Times a credential was read through the KeyManager", ["ref"])

STALE_STAGE_S = 600.0  # a staged rotation older than this is treated as abandoned (crashed rotator)


class RotationConflict(CredentialError):
    """Another writer rotated or changed this credential first; nothing of ours was kept."""


@dataclass(frozen=True, slots=True)
class CredentialMeta:
    """Everything about a credential except its value - safe to print, log and return from APIs."""

    ref: CredentialRef
    status: KeyStatus
    version: int
    created_at: dt.datetime | None
    updated_at: dt.datetime | None
    expires_at: dt.datetime | None
    last_used_at: dt.datetime | None
    use_count: int
    max_age_days: int | None
    warn_before_days: int | None
    staged: bool
    in_grace: bool
    unhealthy_reason: str | None
    revoked_reason: str | None
    backend: str

    @property
    def rotation_due_at(self) -> dt.datetime | None:
        if self.max_age_days is None or self.created_at is None:
            return None
        return self.created_at + dt.timedelta(days=self.max_age_days)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["ref"] = self.ref.path
        out["status"] = self.status.value
        for k, v in list(out.items()):
            if isinstance(v, dt.datetime):
                out[k] = v.isoformat()
        due = self.rotation_due_at
        out["rotation_due_at"] = due.isoformat() if due else None
        return out


@dataclass(frozen=True, slots=True)
class KeyAlert:
    """One credential needing attention: expired, expiring, due (for rotation) or unhealthy."""

    ref: CredentialRef
    state: Literal["expired", "expiring", "due", "unhealthy"]
    days_left: float | None
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return {"ref": self.ref.path, "state": self.state, "days_left": self.days_left, "detail": self.detail}


def _iso(t: dt.datetime | None) -> str | None:
    return t.astimezone(dt.timezone.utc).isoformat() if t else None


def _parse(s: str | None) -> dt.datetime | None:
    if not s:
        return None
    t = dt.datetime.fromisoformat(s)
    return t if t.tzinfo else t.replace(tzinfo=dt.timezone.utc)


def _ref_of(path: str) -> CredentialRef:
    network, account, kind = path.split("/")
    return CredentialRef(network, account, kind)


def _as_secret(value: str | Secret) -> Secret:
    secret = value if isinstance(value, Secret) else Secret(value)
    if not isinstance(secret.reveal(), str) or not secret.reveal():
        raise CredentialError("a credential value must be a non-empty string")
    return secret


class KeyManager:
    """Store, read, list, rotate and revoke credentials, with policy, audit and monitoring."""

    def __init__(
        self,
        backend: Backend,
        *,
        component: str = "admin",
        policies: Mapping[str, ComponentPolicy] | None = None,
        audit: AuditLog | None = None,
        health_checks: Mapping[str, HealthCheck] | None = None,
        issuers: Mapping[str, KeyIssuer] | None = None,
        warn_before_days: int = 14,
        rotation_grace_s: float = 3600.0,
        vault_mount: str = "secret",
        vault_prefix: str = "affiliate-matrix",
        clock: Callable[[], dt.datetime] | None = None,
    ) -> None:
        self.backend = backend
        self.component = component
        self.policies = dict(policies) if policies is not None else policies_from_config(None)
        if component not in self.policies:
            raise CredentialError(f"unknown component {component!r}; known: {sorted(self.policies)}")
        self.policy = self.policies[component]
        self.audit = audit
        self.health_checks = dict(health_checks or {})
        self.issuers = dict(issuers or {})
        self.warn_before_days = warn_before_days
        self.rotation_grace_s = rotation_grace_s
        self.vault_mount = vault_mount
        self.vault_prefix = vault_prefix
        self._clock = clock or (lambda: dt.datetime.now(dt.timezone.utc))
        redact.install()

    # -- construction ------------------------------------------------------------------------
    @classmethod
    def from_settings(
        cls,
        settings: Any,
        component: str = "admin",
        health_checks: dict[str, HealthCheck] | None = None,
        issuers: dict[str, KeyIssuer] | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> "KeyManager":
        from matrix.keys.factory import build_backend

        k = settings.keys
        backend = build_backend(settings, environ=dict(os.environ if environ is None else environ))
        raw_policies = {name: p.model_dump() for name, p in (getattr(k, "policies", None) or {}).items()}
        return cls(
            backend,
            component=component,
            policies=policies_from_config(raw_policies),
            audit=AuditLog(settings.path(k.audit_log), component),
            health_checks=health_checks,
            issuers=issuers,
            warn_before_days=k.warn_before_days,
            rotation_grace_s=k.rotation_grace_s,
            vault_mount=k.vault_mount,
            vault_prefix=k.vault_prefix,
        )

    # -- helpers -----------------------------------------------------------------------------
    def _audit(self, action: str, ref: CredentialRef | None, outcome: str = "ok", **detail: Any) -> None:
        OPERATIONS.labels(action, outcome).inc()
        if self.audit is not None:
            self.audit.record(action, ref.path if ref else None, outcome, **detail)

    def _check(self, ref: CredentialRef, action: Literal["read", "write"], op: str) -> None:
        if not allows(self.policy, ref.path, action):
            EVENTS.labels("denied").inc()
            self._audit(op, ref, "denied")
            raise AccessDenied(f"component {self.component!r} may not {action} {ref.path} (policy {policy_name(self.component)})")

    def can(self, ref: CredentialRef, action: Literal["read", "write"]) -> bool:
        return allows(self.policy, ref.path, action)

    def _read(self, ref: CredentialRef, op: str) -> Stored | None:
        try:
            stored = self.backend.read(ref.path)
        except PermissionDeniedByStore as exc:
            self._audit(op, ref, "denied")
            raise AccessDenied(str(exc)) from None
        if stored is not None:
            redact.remember(stored.doc.get("value"))
            for key in ("staged", "previous"):
                if stored.doc.get(key):
                    redact.remember(stored.doc[key].get("value"))
        return stored

    def _required(self, ref: CredentialRef, op: str) -> Stored:
        stored = self._read(ref, op)
        if stored is None:
            self._audit(op, ref, "missing")
            raise CredentialError(f"no credential stored at {ref.path}")
        return stored

    def _write(self, ref: CredentialRef, doc: dict[str, Any], cas: int, op: str) -> int:
        try:
            return self.backend.write(ref.path, doc, cas)
        except BackendUnavailable as exc:
            self._audit(op, ref, "refused_unavailable")
            raise CredentialError(f"{op} {ref.path} refused: credential store unreachable ({exc}); nothing was changed") from None
        except PermissionDeniedByStore as exc:
            self._audit(op, ref, "denied")
            raise AccessDenied(str(exc)) from None

    def _meta(self, ref: CredentialRef, stored: Stored) -> CredentialMeta:
        d, c = stored.doc, stored.custom
        now = self._clock()
        prev = d.get("previous")
        return CredentialMeta(
            ref=ref,
            status=KeyStatus(d.get("status", "active")),
            version=stored.version,
            created_at=_parse(d.get("created_at")),
            updated_at=_parse(d.get("updated_at")),
            expires_at=_parse(d.get("expires_at")),
            last_used_at=_parse(c.get("last_used_at")),
            use_count=int(c.get("use_count", 0) or 0),
            max_age_days=d.get("max_age_days"),
            warn_before_days=d.get("warn_before_days"),
            staged=bool(d.get("staged")),
            in_grace=bool(prev) and (_parse(prev.get("revoke_after")) or now) > now,
            unhealthy_reason=c.get("unhealthy_reason") or None,
            revoked_reason=(d.get("revoked") or {}).get("reason"),
            backend=self.backend.name,
        )

    def _record_use(self, ref: CredentialRef, stored: Stored) -> int:
        custom = dict(stored.custom)
        count = int(custom.get("use_count", 0) or 0) + 1
        custom["use_count"] = str(count)
        custom["last_used_at"] = _iso(self._clock()) or ""
        try:
            self.backend.set_custom(ref.path, custom)
        except (BackendUnavailable, PermissionDeniedByStore) as exc:
            log.debug("usage not recorded", extra={"ref": ref.path, "error": type(exc).__name__})
        stored.custom = custom
        USE_COUNT.labels(ref.path).set(count)
        return count

    def _usable(self, ref: CredentialRef, stored: Stored, op: str) -> str:
        d = stored.doc
        if d.get("status") == KeyStatus.REVOKED.value or not d.get("value"):
            self._audit(op, ref, "revoked")
            raise CredentialError(f"credential {ref.path} is revoked ({(d.get('revoked') or {}).get('reason', 'no reason')})")
        expires = _parse(d.get("expires_at"))
        if expires is not None and expires <= self._clock():
            EVENTS.labels("expired").inc()
            self._audit(op, ref, "expired")
            log.warning("credential expired", extra={"ref": ref.path, "expired_at": _iso(expires)})
            raise CredentialError(f"credential {ref.path} expired at {_iso(expires)}; rotate it with `matrix keys rotate {ref.path}`")
        return d["value"]

    # -- public API --------------------------------------------------------------------------
    def put(
        self,
        ref: CredentialRef,
        value: str | Secret,
        *,
        expires_at: dt.datetime | None = None,
        max_age_days: int | None = None,
        warn_before_days: int | None = None,
    ) -> CredentialMeta:
        """Store a credential (a new version when one exists). Refused when someone wrote in between."""
        self._check(ref, "write", "put")
        secret = _as_secret(value)
        redact.remember(secret.reveal())
        current = self._read(ref, "put")
        old = current.doc if current else {}
        now = _iso(self._clock())
        doc = {
            "value": secret.reveal(),
            "status": KeyStatus.ACTIVE.value,
            "created_at": now,
            "updated_at": now,
            "expires_at": _iso(expires_at),
            "max_age_days": max_age_days if max_age_days is not None else old.get("max_age_days"),
            "warn_before_days": warn_before_days if warn_before_days is not None else old.get("warn_before_days"),
            "staged": None,
            "previous": None,
            "revoked": None,
        }
        try:
            version = self._write(ref, doc, current.version if current else 0, "put")
        except CasConflict:
            self._audit("put", ref, "conflict")
            raise RotationConflict(f"{ref.path} changed while writing; re-read and retry") from None
        self._audit("put", ref, version=version)
        custom = {k: v for k, v in (current.custom if current else {}).items() if not k.startswith("unhealthy")}
        stored = Stored(doc, version, custom)
        if current and current.custom != custom:
            self._set_custom(ref, custom)
        self._export(ref, stored)
        return self._meta(ref, stored)

    def get(self, ref: CredentialRef) -> Secret:
        """The active value. Raises CredentialError when missing, revoked or expired."""
        self._check(ref, "read", "get")
        stored = self._required(ref, "get")
        value = self._usable(ref, stored, "get")
        count = self._record_use(ref, stored)
        self._audit("get", ref, version=stored.version, use_count=count)
        self._export(ref, stored)
        if stored.custom.get("unhealthy_reason"):
            log.warning("serving a credential marked unhealthy", extra={"ref": ref.path, "reason": stored.custom["unhealthy_reason"]})
        return Secret(value)

    def meta(self, ref: CredentialRef) -> CredentialMeta:
        self._check(ref, "read", "meta")
        return self._meta(ref, self._required(ref, "meta"))

    def history(self, ref: CredentialRef) -> list[VersionInfo]:
        """KV versions of the credential (the rotation history), oldest first; values are not included."""
        self._check(ref, "read", "history")
        return self.backend.history(ref.path)

    def list(self, network: str | None = None) -> list[CredentialMeta]:
        """Metadata of every credential this component may read (optionally one network's)."""
        try:
            paths = self.backend.list_paths(f"{network}/" if network else "")
        except PermissionDeniedByStore as exc:
            raise AccessDenied(str(exc)) from None
        out = []
        for path in paths:
            ref = _ref_of(path)
            if not self.can(ref, "read"):
                continue
            stored = self._read(ref, "list")
            if stored is not None:
                out.append(self._meta(ref, stored))
        self._audit("list", None, network=network, count=len(out))
        return out

    def revoke(self, ref: CredentialRef, reason: str) -> CredentialMeta:
        """Immediately stop serving a credential (e.g. compromised); the provider key is revoked when possible."""
        self._check(ref, "write", "revoke")
        for _attempt in range(5):
            stored = self._required(ref, "revoke")
            d = stored.doc
            now = _iso(self._clock())
            doc = {**d, "value": None, "status": KeyStatus.REVOKED.value, "updated_at": now,
                   "staged": None, "previous": None, "revoked": {"reason": reason, "at": now, "by": self.component}}
            try:
                version = self._write(ref, doc, stored.version, "revoke")
            except CasConflict:
                continue  # revocation must win over a concurrent rotation: re-read and apply again
            break
        else:
            raise RotationConflict(f"{ref.path}: could not revoke after 5 concurrent changes; retry")
        for key in ("value",):
            if d.get(key):
                self._provider_revoke(ref, Secret(d[key]))
        for key in ("previous", "staged"):
            if d.get(key) and d[key].get("value"):
                self._provider_revoke(ref, Secret(d[key]["value"]))
        EVENTS.labels("revoked").inc()
        self._audit("revoke", ref, version=version, reason=reason)
        log.warning("credential revoked", extra={"ref": ref.path, "reason": reason})
        stored = Stored(doc, version, stored.custom)
        return self._meta(ref, stored)

    def mark_unhealthy(self, ref: CredentialRef, reason: str) -> None:
        """A consumer saw the provider reject this credential; flag it for `status` and alerts."""
        self._check(ref, "read", "mark_unhealthy")
        stored = self._required(ref, "mark_unhealthy")
        custom = {**stored.custom, "unhealthy_reason": reason[:500], "unhealthy_at": _iso(self._clock()) or ""}
        self._set_custom(ref, custom)
        EVENTS.labels("unhealthy").inc()
        self._audit("mark_unhealthy", ref, reason=reason[:500])
        log.warning("credential marked unhealthy", extra={"ref": ref.path, "reason": reason[:500]})

    def _set_custom(self, ref: CredentialRef, custom: dict[str, str]) -> None:
        try:
            self.backend.set_custom(ref.path, custom)
        except PermissionDeniedByStore as exc:
            raise AccessDenied(str(exc)) from None
        except BackendUnavailable as exc:
            raise CredentialError(f"{ref.path}: credential store unreachable ({exc})") from None

    def verify(self, ref: CredentialRef, presented: str) -> bool:
        """Constant-time check of a presented key (e.g. an admin API key); old key accepted during grace."""
        self._check(ref, "read", "verify")
        stored = self._read(ref, "verify")
        candidates: list[str] = []
        if stored is not None:
            d = stored.doc
            expires = _parse(d.get("expires_at"))
            if d.get("status") == KeyStatus.ACTIVE.value and d.get("value") and not (expires and expires <= self._clock()):
                candidates.append(d["value"])
                prev = d.get("previous")
                if prev and prev.get("value") and (_parse(prev.get("revoke_after")) or self._clock()) > self._clock():
                    candidates.append(prev["value"])
        given = (presented or "").encode()
        ok = False
        for cand in candidates or ["\0" * 32]:  # compare even when absent, so timing says nothing
            ok |= hmac.compare_digest(cand.encode(), given)
        ok = ok and bool(candidates)
        if ok:
            self._record_use(ref, stored)  # type: ignore[arg-type]
        self._audit("verify", ref, "ok" if ok else "rejected")
        return ok

    # -- rotation ----------------------------------------------------------------------------
    def rotate(
        self,
        ref: CredentialRef,
        new_value: str | Secret | None = None,
        health_check: HealthCheck | None = None,
        *,
        expires_at: dt.datetime | None = None,
        grace_s: float | None = None,
    ) -> CredentialMeta:
        """Two-phase rotation: stage -> health check -> promote -> revoke the old one after grace.

        Without `new_value` the network's KeyIssuer creates the key; without an issuer the
        caller must supply it (providers with no key API). Check-and-set on every step means two
        rotators cannot both win; the loser discards (and provider-revokes) what it created.
        """
        self._check(ref, "write", "rotate")
        stored = self._required(ref, "rotate")
        d = stored.doc
        now = self._clock()
        staged = d.get("staged")
        if staged and (now - (_parse(staged.get("staged_at")) or now)).total_seconds() < STALE_STAGE_S:
            self._rotation_failed(ref, "in_progress")
            raise RotationConflict(f"{ref.path}: a rotation by {staged.get('by')!r} is already in progress (staged {staged.get('staged_at')})")
        issuer = self.issuers.get(ref.network)
        created = False
        if new_value is None:
            if issuer is None:
                raise CredentialError(
                    f"{ref.network} has no key-creation API here: get a new key from the provider and run "
                    f"`matrix keys rotate {ref.path}` to enter it")
            secret = issuer.create_credential(ref)
            created = True
        else:
            secret = _as_secret(new_value)
        redact.remember(secret.reveal())
        if secret.reveal() == d.get("value"):
            raise CredentialError(f"{ref.path}: the new value is the same as the active one")

        # Phase 1: stage.
        staged_doc = {**d, "staged": {"value": secret.reveal(), "staged_at": _iso(now), "by": self.component,
                                      "pid": os.getpid()}}
        try:
            v_staged = self._write(ref, staged_doc, stored.version, "rotate")
        except (CasConflict, CredentialError) as exc:
            self._discard(ref, secret, created)
            self._rotation_failed(ref, "conflict" if isinstance(exc, CasConflict) else "refused")
            if isinstance(exc, CasConflict):
                raise RotationConflict(f"{ref.path}: another writer changed it first; this rotation was discarded") from None
            raise
        self._audit("rotate_stage", ref, version=v_staged)

        # Phase 2: verify with the provider.
        check = health_check or self.health_checks.get(ref.network)
        ok, why = (True, "no health check configured") if check is None else self._run_check(check, ref, secret)
        if not ok:
            try:
                self._write(ref, {**staged_doc, "staged": None}, v_staged, "rotate")
            except (CasConflict, CredentialError):
                pass  # someone else took over the record; our staged value is gone either way
            self._discard(ref, secret, created)
            self._rotation_failed(ref, "health_check")
            raise CredentialError(f"{ref.path}: the new credential failed its health check ({why}); the old one stays active")

        # Phase 3: promote; the old value stays acceptable for the grace period.
        grace = self.rotation_grace_s if grace_s is None else grace_s
        old_value = d.get("value") if d.get("status") == KeyStatus.ACTIVE.value else None
        superseded = d.get("previous")
        previous = {"value": old_value, "revoke_after": _iso(now + dt.timedelta(seconds=grace))} if old_value and grace > 0 else None
        iso_now = _iso(self._clock())
        promoted = {**d, "value": secret.reveal(), "status": KeyStatus.ACTIVE.value, "created_at": iso_now,
                    "updated_at": iso_now, "expires_at": _iso(expires_at), "staged": None, "previous": previous,
                    "revoked": None}
        try:
            version = self._write(ref, promoted, v_staged, "rotate")
        except (CasConflict, CredentialError) as exc:
            self._discard(ref, secret, created)
            self._rotation_failed(ref, "conflict")
            raise RotationConflict(f"{ref.path}: changed during rotation ({type(exc).__name__}); the new value was discarded") from None
        if superseded and superseded.get("value"):
            self._provider_revoke(ref, Secret(superseded["value"]))
        if old_value and previous is None:
            self._provider_revoke(ref, Secret(old_value))
        custom = {k: v for k, v in stored.custom.items() if not k.startswith("unhealthy")}
        if custom != stored.custom:
            try:
                self.backend.set_custom(ref.path, custom)
            except (BackendUnavailable, PermissionDeniedByStore):
                pass
        EVENTS.labels("rotated").inc()
        self._audit("rotate_promote", ref, version=version, grace_s=grace, verified=check is not None)
        log.info("credential rotated", extra={"ref": ref.path, "version": version, "grace_s": grace})
        result = Stored(promoted, version, custom)
        self._export(ref, result)
        return self._meta(ref, result)

    def finish_rotations(self) -> int:
        """Drop (and provider-revoke) old values whose grace period ended. Returns how many."""
        done = 0
        for meta in self.list():
            if not self.can(meta.ref, "write"):
                continue
            stored = self._read(meta.ref, "finish_rotation")
            if stored is None or not stored.doc.get("previous"):
                continue
            prev = stored.doc["previous"]
            if (_parse(prev.get("revoke_after")) or self._clock()) > self._clock():
                continue
            try:
                self._write(meta.ref, {**stored.doc, "previous": None}, stored.version, "finish_rotation")
            except (CasConflict, CredentialError):
                continue
            if prev.get("value"):
                self._provider_revoke(meta.ref, Secret(prev["value"]))
            self._audit("revoke_previous", meta.ref)
            done += 1
        return done

    def _run_check(self, check: HealthCheck, ref: CredentialRef, secret: Secret) -> tuple[bool, str]:
        try:
            coro = check.check_credential(ref, secret)
            try:
                asyncio.get_running_loop()
            except RuntimeError:
                ok = asyncio.run(coro)
            else:  # called from async code: run the check on its own loop in a worker thread
                with concurrent.futures.ThreadPoolExecutor(1) as pool:
                    ok = pool.submit(asyncio.run, coro).result()
        except Exception as exc:  # a crashing check is a failed check, reported without its text
            return False, f"health check raised {type(exc).__name__}"
        return bool(ok), "provider rejected it" if not ok else "ok"

    def _discard(self, ref: CredentialRef, secret: Secret, created: bool) -> None:
        if created:
            self._provider_revoke(ref, secret)

    def _provider_revoke(self, ref: CredentialRef, secret: Secret) -> None:
        issuer = self.issuers.get(ref.network)
        if issuer is None:
            return
        try:
            issuer.revoke_credential(ref, secret)
            self._audit("provider_revoke", ref)
        except Exception as exc:
            self._audit("provider_revoke", ref, "failed", error=type(exc).__name__)
            log.error("provider-side revocation failed; revoke the key manually", extra={"ref": ref.path, "error": type(exc).__name__})

    def _rotation_failed(self, ref: CredentialRef, why: str) -> None:
        EVENTS.labels("rotation_failed").inc()
        self._audit("rotate", ref, f"failed:{why}")
        log.warning("credential rotation failed", extra={"ref": ref.path, "why": why})

    # -- monitoring --------------------------------------------------------------------------
    def _export(self, ref: CredentialRef, stored: Stored) -> None:
        left = days_left(_parse(stored.doc.get("expires_at")), self._clock())
        if left is not None:
            DAYS_TO_EXPIRY.labels(ref.path).set(left)
        USE_COUNT.labels(ref.path).set(int(stored.custom.get("use_count", 0) or 0))

    def alerts_for(self, meta: CredentialMeta) -> list[KeyAlert]:
        if meta.status == KeyStatus.REVOKED:
            return []
        now = self._clock()
        warn = meta.warn_before_days if meta.warn_before_days is not None else self.warn_before_days
        out: list[KeyAlert] = []
        left = days_left(meta.expires_at, now)
        if left is not None:
            if left <= 0:
                out.append(KeyAlert(meta.ref, "expired", left, f"expired {-left:.1f} days ago"))
            elif left <= warn:
                out.append(KeyAlert(meta.ref, "expiring", left, f"expires in {left:.1f} days"))
        due = meta.rotation_due_at
        if due is not None:
            until_due = days_left(due, now)
            if until_due is not None and until_due <= warn:
                what = "overdue" if until_due <= 0 else f"due in {until_due:.1f} days"
                out.append(KeyAlert(meta.ref, "due", until_due, f"rotation {what} (max age {meta.max_age_days} days)"))
        if meta.unhealthy_reason:
            out.append(KeyAlert(meta.ref, "unhealthy", left, meta.unhealthy_reason))
        return out

    def status(self, network: str | None = None) -> list[KeyAlert]:
        """Credentials that are expired, expiring, due for rotation or unhealthy - each logged and counted."""
        alerts: list[KeyAlert] = []
        for meta in self.list(network):
            left = days_left(meta.expires_at, self._clock())
            if left is not None:
                DAYS_TO_EXPIRY.labels(meta.ref.path).set(left)
            USE_COUNT.labels(meta.ref.path).set(meta.use_count)
            for alert in self.alerts_for(meta):
                EVENTS.labels(alert.state).inc()
                log.warning("credential needs attention", extra=alert.as_dict())
                alerts.append(alert)
        return alerts

    # -- policies ----------------------------------------------------------------------------
    def policies_hcl(self, components: Iterable[str] | None = None) -> str:
        """Vault ACL policies equal to the rules this manager enforces, one block per component."""
        names = list(components) if components else [c for c in COMPONENTS if c in self.policies] + sorted(
            set(self.policies) - set(COMPONENTS))
        blocks = []
        for name in names:
            blocks.append(f"# ---- policy: {policy_name(name)} ----\n"
                          + render_hcl(name, self.policies[name], self.vault_mount, self.vault_prefix))
        return "\n".join(blocks)

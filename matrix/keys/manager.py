"""KeyManager: the one door to every credential, whichever store sits behind it.

Every call is checked against the calling component's policy, audited, and counted. The
credential document (stored per network/account/kind) holds the active value plus rotation
state; usage and health live in the store's custom metadata so a read-only component can report
them without the right to change the secret.

Document fields: value, status (active/revoked), created_at, updated_at, expires_at,
max_age_days, warn_before_days, staged {value, staged_at, by}, previous {value, revoke_after},
revoked {reason, at}. Custom metadata: use_count, last_used_at, unhealthy_reason, unhealthy_at.

`verify()` is on the request path of the search service, so it reads from memory (a snapshot of
the credential refreshed every `verify_cache_s`, dropped at once by this manager's own writes);
its use counts and accept/reject tallies are flushed every `use_flush_s` as one metadata write
and one audit line per credential, not per request. Every revoked or retired value goes to the
append-only revocation log first (matrix/keys/revocations.py), and every credential loaded is
checked against it, so a restored older store cannot bring a revoked key back.
"""

from __future__ import annotations

import atexit
import builtins
import datetime as dt
import hmac
import os
import threading
import time
import weakref
from dataclasses import asdict, dataclass
from typing import Any, Callable, Iterable, Literal, Mapping

from matrix.keys import redact
from matrix.keys.alerts import KeyAlert, alerts_for
from matrix.keys.audit import AuditLog
from matrix.keys.backend import Backend, BackendUnavailable, CasConflict, PermissionDeniedByStore, Stored, VersionInfo
from matrix.keys.metrics import DAYS_TO_EXPIRY, EVENTS, OPERATIONS, USE_COUNT
from matrix.keys.policy import COMPONENTS, ComponentPolicy, allows, policies_from_config, policy_name, render_hcl
from matrix.keys.revocations import RevocationLog
from matrix.keys.rotation import Rotation, RotationConflict
from matrix.keys.types import (
    AccessDenied,
    CredentialError,
    CredentialRef,
    HealthCheck,
    KeyIssuer,
    KeyStatus,
    Secret,
    as_secret,
    days_left,
    from_iso,
    to_iso,
)
from matrix.observability import get_logger

log = get_logger(__name__)

VERIFY_CACHE_S = 5.0  # how stale verify()'s view of a credential may be (another process's revoke)
USE_FLUSH_S = 30.0  # verify() use counts and audit tallies are written at most this often
_LIVE: "weakref.WeakSet[KeyManager]" = weakref.WeakSet()


@atexit.register
def _flush_all() -> None:  # pragma: no cover - interpreter exit
    for km in list(_LIVE):
        km.flush_usage()


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


def _in_grace(previous: dict[str, Any] | None, now: dt.datetime) -> bool:
    """Whether a rotated-out value is still accepted (its revoke_after lies in the future)."""
    if not previous:
        return False
    return (from_iso(previous.get("revoke_after")) or now) > now


def _ref_of(path: str) -> CredentialRef:
    network, account, kind = path.split("/")
    return CredentialRef(network, account, kind)


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
        revocations: RevocationLog | None = None,
        verify_cache_s: float = VERIFY_CACHE_S,
        use_flush_s: float = USE_FLUSH_S,
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
        if revocations is None and audit is not None:  # beside the audit log: MATRIX_HOME/keys/
            revocations = RevocationLog(audit.path.with_name("revocations.jsonl"))
        self.revocations = revocations
        self.verify_cache_s = verify_cache_s
        self.use_flush_s = use_flush_s
        self._snapshots: dict[str, tuple[float, Stored | None]] = {}
        self._uses: dict[str, int] = {}
        self._tally: dict[str, list[int]] = {}  # path -> [accepted, rejected] since the last flush
        self._last_flush = time.monotonic()
        self._mem_lock = threading.Lock()
        self._flush_lock = threading.Lock()
        _LIVE.add(self)
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
            stored = self._without_revoked(ref, stored)
        return stored

    def _without_revoked(self, ref: CredentialRef, stored: Stored) -> Stored:
        """The stored record minus every value the revocation log says was revoked.

        A match means the store was restored from a copy older than the revocation: the value is
        served as revoked (never as active) and the operator is told, loudly.
        """
        if self.revocations is None:
            return stored
        doc = stored.doc
        hit = self.revocations.revoked(ref.path, doc.get("value")) if doc.get("status") != KeyStatus.REVOKED.value else None
        revocations = self.revocations
        extra = {k: None for k in ("previous", "staged") if doc.get(k) and revocations.revoked(ref.path, doc[k].get("value"))}
        if hit is None and not extra:
            return stored
        EVENTS.labels("revived_blocked").inc()
        log.error("the credential store holds a value that was revoked; serving it as revoked "
                  "(was an older copy of the store restored?)", extra={"ref": ref.path, "stored_version": stored.version})
        doc = {**doc, **extra}
        if hit is not None:
            doc.update(value=None, status=KeyStatus.REVOKED.value,
                       revoked={"reason": f"{hit.get('reason', 'revoked')} (revocation log, {hit.get('at')})",
                                "at": hit.get("at"), "by": "revocation-log"})
        return Stored(doc, stored.version, stored.custom)

    def _remember_revoked(self, ref: CredentialRef, values: Iterable[str | None], version: int, reason: str) -> None:
        """Write the values to the revocation log before the store changes (a crash in between fails closed)."""
        if self.revocations is not None:
            self.revocations.record(ref.path, values, version=version, reason=reason)

    def _required(self, ref: CredentialRef, op: str) -> Stored:
        stored = self._read(ref, op)
        if stored is None:
            self._audit(op, ref, "missing")
            raise CredentialError(f"no credential stored at {ref.path}")
        return stored

    def _write(self, ref: CredentialRef, doc: dict[str, Any], cas: int, op: str) -> int:
        with self._mem_lock:
            self._snapshots.pop(ref.path, None)  # verify() sees this manager's own writes at once
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
            created_at=from_iso(d.get("created_at")),
            updated_at=from_iso(d.get("updated_at")),
            expires_at=from_iso(d.get("expires_at")),
            last_used_at=from_iso(c.get("last_used_at")),
            use_count=int(c.get("use_count", 0) or 0),
            max_age_days=d.get("max_age_days"),
            warn_before_days=d.get("warn_before_days"),
            staged=bool(d.get("staged")),
            in_grace=_in_grace(prev, now),
            unhealthy_reason=c.get("unhealthy_reason") or None,
            revoked_reason=(d.get("revoked") or {}).get("reason"),
            backend=self.backend.name,
        )

    def _record_use(self, ref: CredentialRef, stored: Stored) -> int:
        custom = dict(stored.custom)
        count = int(custom.get("use_count", 0) or 0) + 1
        custom["use_count"] = str(count)
        custom["last_used_at"] = to_iso(self._clock()) or ""
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
        expires = from_iso(d.get("expires_at"))
        if expires is not None and expires <= self._clock():
            EVENTS.labels("expired").inc()
            self._audit(op, ref, "expired")
            log.warning("credential expired", extra={"ref": ref.path, "expired_at": to_iso(expires)})
            raise CredentialError(
                f"credential {ref.path} expired at {to_iso(expires)}; rotate it with `matrix keys rotate {ref.path}`")
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
        secret = as_secret(value)
        redact.remember(secret.reveal())
        current = self._read(ref, "put")
        old = current.doc if current else {}
        now = to_iso(self._clock())
        doc = {
            "value": secret.reveal(),
            "status": KeyStatus.ACTIVE.value,
            "created_at": now,
            "updated_at": now,
            "expires_at": to_iso(expires_at),
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
            log.warning("serving a credential marked unhealthy",
                        extra={"ref": ref.path, "reason": stored.custom["unhealthy_reason"]})
        return Secret(value)

    def meta(self, ref: CredentialRef) -> CredentialMeta:
        self._check(ref, "read", "meta")
        self.flush_usage()
        return self._meta(ref, self._required(ref, "meta"))

    def history(self, ref: CredentialRef) -> list[VersionInfo]:
        """KV versions of the credential (the rotation history), oldest first; values are not included."""
        self._check(ref, "read", "history")
        return self.backend.history(ref.path)

    def list(self, network: str | None = None) -> list[CredentialMeta]:
        """Metadata of every credential this component may read (optionally one network's)."""
        self.flush_usage()
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
            now = to_iso(self._clock())
            doc = {**d, "value": None, "status": KeyStatus.REVOKED.value, "updated_at": now,
                   "staged": None, "previous": None, "revoked": {"reason": reason, "at": now, "by": self.component}}
            self._remember_revoked(ref, [d.get("value"), *((d.get(k) or {}).get("value") for k in ("previous", "staged"))],
                                   stored.version + 1, reason)
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
        custom = {**stored.custom, "unhealthy_reason": reason[:500], "unhealthy_at": to_iso(self._clock()) or ""}
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
        """Constant-time check of a presented key (e.g. an admin API key); old key accepted during grace.

        Served from memory: the credential is re-read at most every `verify_cache_s`, and use
        counts and audit tallies are written every `use_flush_s` (`flush_usage`), so a search
        request with a key costs no file rewrite and no audit line, and a run of wrong keys
        cannot grow the audit log faster than one line per credential per flush.
        """
        self._check(ref, "read", "verify")
        stored = self._snapshot(ref)
        candidates: list[str] = []
        if stored is not None:
            d = stored.doc
            expires = from_iso(d.get("expires_at"))
            if d.get("status") == KeyStatus.ACTIVE.value and d.get("value") and not (expires and expires <= self._clock()):
                candidates.append(d["value"])
                prev = d.get("previous")
                if prev and prev.get("value") and (from_iso(prev.get("revoke_after")) or self._clock()) > self._clock():
                    candidates.append(prev["value"])
        given = (presented or "").encode()
        ok = False
        for cand in candidates or ["\0" * 32]:  # compare even when absent, so timing says nothing
            ok |= hmac.compare_digest(cand.encode(), given)
        ok = ok and bool(candidates)
        with self._mem_lock:
            tally = self._tally.setdefault(ref.path, [0, 0])
            tally[0 if ok else 1] += 1
            if ok:
                self._uses[ref.path] = self._uses.get(ref.path, 0) + 1
            due = time.monotonic() - self._last_flush >= self.use_flush_s
        if due:
            self.flush_usage()
        return ok

    def _snapshot(self, ref: CredentialRef) -> Stored | None:
        """The credential as verify() sees it: from memory, re-read when older than verify_cache_s."""
        now = time.monotonic()
        with self._mem_lock:
            cached = self._snapshots.get(ref.path)
        if cached is not None and now - cached[0] < self.verify_cache_s:
            return cached[1]
        stored = self._read(ref, "verify")
        with self._mem_lock:
            self._snapshots[ref.path] = (now, stored)
        return stored

    def flush_usage(self) -> None:
        """Write pending verify() use counts (one metadata write per credential) and audit tallies."""
        with self._flush_lock:
            with self._mem_lock:
                uses, tally = self._uses, self._tally
                self._uses, self._tally = {}, {}
                self._last_flush = time.monotonic()
            for path, n in uses.items():
                try:
                    stored = self.backend.read(path)
                    if stored is not None:
                        custom = dict(stored.custom)
                        count = int(custom.get("use_count", 0) or 0) + n
                        custom.update(use_count=str(count), last_used_at=to_iso(self._clock()) or "")
                        self.backend.set_custom(path, custom)
                        USE_COUNT.labels(path).set(count)
                except Exception as exc:  # a flush never breaks a request; the count is logged instead
                    log.warning("verify use counts not recorded", extra={"ref": path, "uses": n, "error": type(exc).__name__})
            for path, (accepted, rejected) in tally.items():
                try:
                    self._audit("verify", _ref_of(path), "rejected" if rejected else "ok",
                                accepted=accepted, rejected=rejected)
                except Exception as exc:
                    log.warning("verify audit tally not written", extra={"ref": path, "error": type(exc).__name__})

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
        return Rotation(self, ref, health_check=health_check, expires_at=expires_at, grace_s=grace_s).run(new_value)

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
            if (from_iso(prev.get("revoke_after")) or self._clock()) > self._clock():
                continue
            self._remember_revoked(meta.ref, [prev.get("value")], stored.version + 1, "retired after rotation grace")
            try:
                self._write(meta.ref, {**stored.doc, "previous": None}, stored.version, "finish_rotation")
            except (CasConflict, CredentialError):
                continue
            if prev.get("value"):
                self._provider_revoke(meta.ref, Secret(prev["value"]))
            self._audit("revoke_previous", meta.ref)
            done += 1
        return done

    def _provider_revoke(self, ref: CredentialRef, secret: Secret) -> None:
        issuer = self.issuers.get(ref.network)
        if issuer is None:
            return
        try:
            issuer.revoke_credential(ref, secret)
            self._audit("provider_revoke", ref)
        except Exception as exc:
            self._audit("provider_revoke", ref, "failed", error=type(exc).__name__)
            log.error("provider-side revocation failed; revoke the key manually",
                      extra={"ref": ref.path, "error": type(exc).__name__})

    # -- monitoring --------------------------------------------------------------------------
    def _export(self, ref: CredentialRef, stored: Stored) -> None:
        left = days_left(from_iso(stored.doc.get("expires_at")), self._clock())
        if left is not None:
            DAYS_TO_EXPIRY.labels(ref.path).set(left)
        USE_COUNT.labels(ref.path).set(int(stored.custom.get("use_count", 0) or 0))

    def alerts_for(self, meta: CredentialMeta) -> builtins.list[KeyAlert]:
        return alerts_for(meta, self._clock(), self.warn_before_days)

    def status(self, network: str | None = None) -> builtins.list[KeyAlert]:
        """Credentials that are expired, expiring, due for rotation or unhealthy - each logged and counted."""
        alerts: builtins.list[KeyAlert] = []
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

"""The key-management contract that every other component codes against.

Network clients, the serve app and triggers depend only on these names; the backends
(Vault through hvac, the encrypted local file) live beside this module and fulfil them.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from typing import Protocol, runtime_checkable


class CredentialError(Exception):
    """A credential is missing, revoked, expired, rejected by its provider, or access is denied.

    Never carries the secret value in its message.
    """


class AccessDenied(CredentialError):
    """The calling component's policy does not allow this read or write."""


class KeyStatus(str, enum.Enum):
    ACTIVE = "active"
    STAGED = "staged"
    REVOKED = "revoked"


@dataclass(frozen=True, slots=True)
class CredentialRef:
    """Identifies one credential: network + account + kind (api_token, api_key, account_sid,
    auth_token, client_id, client_secret, publisher_id, requestor_cid, ...)."""

    network: str
    account: str
    kind: str

    def __post_init__(self) -> None:
        for name in ("network", "account", "kind"):
            value = getattr(self, name)
            if not value or not all(c.isalnum() or c in "-_." for c in value):
                raise ValueError(f"CredentialRef.{name} must be letters, digits, '-', '_' or '.', got {value!r}")

    @property
    def path(self) -> str:
        return f"{self.network}/{self.account}/{self.kind}"

    def __str__(self) -> str:
        return self.path


class Secret:
    """A secret value that does not print itself: repr/str/format show a mask."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def masked(self) -> str:
        v = self._value
        return "****" if len(v) < 8 else f"{v[:2]}…{v[-2:]} ({len(v)} chars)"

    def __repr__(self) -> str:
        return "Secret('****')"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __reduce__(self):  # pickling (Ray) keeps the value but never prints it
        return (Secret, (self._value,))


@runtime_checkable
class CredentialProvider(Protocol):
    """What a consumer (e.g. a network client) needs: read a credential, report its health."""

    def get(self, ref: CredentialRef) -> Secret: ...

    def mark_unhealthy(self, ref: CredentialRef, reason: str) -> None: ...


@runtime_checkable
class HealthCheck(Protocol):
    """Implemented by each network client: does this candidate credential work against the provider?

    Used by two-phase rotation: stage -> health check -> promote -> revoke old after grace.
    Must not raise for a plain rejection: return False.
    """

    async def check_credential(self, ref: CredentialRef, secret: Secret) -> bool: ...


@runtime_checkable
class KeyIssuer(Protocol):
    """Implemented by a network client whose provider has an API to create and revoke keys.

    Rotation without an issuer needs the new value from a person (`matrix keys rotate`);
    with one, the manager creates the key, and revokes it again if the rotation loses a race
    or fails its health check, so no provider-side key is left orphaned.
    """

    def create_credential(self, ref: CredentialRef) -> Secret: ...

    def revoke_credential(self, ref: CredentialRef, secret: Secret) -> None: ...


def days_left(expires_at: dt.datetime | None, now: dt.datetime | None = None) -> float | None:
    if expires_at is None:
        return None
    now = now or dt.datetime.now(dt.timezone.utc)
    return (expires_at - now).total_seconds() / 86400.0


def to_iso(t: dt.datetime | None) -> str | None:
    """A timestamp as stored in a credential document: ISO 8601 in UTC (None stays None)."""
    return t.astimezone(dt.timezone.utc).isoformat() if t else None


def from_iso(s: str | None) -> dt.datetime | None:
    """The inverse of `to_iso`; a naive timestamp (older documents) is read as UTC."""
    if not s:
        return None
    t = dt.datetime.fromisoformat(s)
    return t if t.tzinfo else t.replace(tzinfo=dt.timezone.utc)


def as_secret(value: str | Secret) -> Secret:
    """Wrap a value in Secret, refusing anything but a non-empty string."""
    secret = value if isinstance(value, Secret) else Secret(value)
    if not isinstance(secret.reveal(), str) or not secret.reveal():
        raise CredentialError("a credential value must be a non-empty string")
    return secret

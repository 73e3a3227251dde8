"""What a storage backend must do for the KeyManager: a tiny versioned key-value store.

The shape is KV v2's on purpose: each credential path holds a JSON document with numbered
versions (the history), writes carry a check-and-set version (0 = must not exist yet), and a
small map of non-secret "custom metadata" (usage counts, health) can change without creating a
new version - so readers that only report usage never need write access to the secret itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


class BackendUnavailable(Exception):
    """The store cannot be reached right now (network, server down). Reads may fall back."""


class CasConflict(Exception):
    """Check-and-set failed: someone else wrote this path since we read it."""


class PermissionDeniedByStore(Exception):
    """The store itself (e.g. a Vault ACL policy) refused the operation."""


@dataclass(slots=True)
class Stored:
    """The latest version of one credential document."""

    doc: dict[str, Any]
    version: int
    custom: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class VersionInfo:
    version: int
    created_time: str | None
    destroyed: bool = False


class Backend(Protocol):
    name: str

    def read(self, path: str) -> Stored | None: ...

    def write(self, path: str, doc: dict[str, Any], cas: int) -> int:
        """Store a new version only when the current version equals `cas`; return the new version."""
        ...

    def set_custom(self, path: str, custom: dict[str, str]) -> None:
        """Replace the path's non-secret custom metadata without creating a version."""
        ...

    def list_paths(self, prefix: str = "") -> list[str]:
        """All credential paths (network/account/kind) under `prefix` (e.g. "awin/")."""
        ...

    def history(self, path: str) -> list[VersionInfo]: ...

    def available(self) -> bool: ...

"""A monotonic record of revoked credential values, kept apart from the credential store.

Why a separate, append-only file: the store holds the current state, and restoring an older copy
of it (a backup of credentials.enc, a rolled-back volume, a stale Vault fallback cache) would bring
a revoked key back to life. Every value that is revoked (or retired after a rotation) is written
here first, before the store changes, as a salted PBKDF2 fingerprint - never the value - and
every credential the KeyManager loads is checked against it. The file only ever grows (O_APPEND,
one JSON line per revoked value, mode 0600), so nothing that rolls the store back rolls it back.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import secrets
import threading
from pathlib import Path
from typing import Any, Iterable

from matrix.observability import get_logger

log = get_logger(__name__)
ITERATIONS = 100_000  # a fingerprint must not be a cheap oracle for guessing short secrets


def _fingerprint(value: str, salt: bytes) -> str:
    return hashlib.pbkdf2_hmac("sha256", value.encode(), salt, ITERATIONS).hex()


class RevocationLog:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._by_ref: dict[str, list[dict[str, Any]]] = {}
        self._memo: dict[tuple[str, str], dict[str, Any] | None] = {}

    def record(self, ref: str, values: Iterable[str | None], *, version: int | None, reason: str) -> int:
        """Append one fingerprint per value (durably, before the store is changed). Returns how many."""
        lines = []
        now = dt.datetime.now(dt.timezone.utc).isoformat()
        for value in {v for v in values if v}:
            salt = secrets.token_bytes(16)
            lines.append(json.dumps({"ref": ref, "salt": salt.hex(), "fingerprint": _fingerprint(value, salt),
                                     "version": version, "reason": reason[:200], "at": now}, sort_keys=True))
        if not lines:
            return 0
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, ("\n".join(lines) + "\n").encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        return len(lines)

    def _load(self) -> None:
        """(Re)read the file when it changed; a torn or foreign line is skipped, loudly."""
        try:
            st = self.path.stat()
        except FileNotFoundError:
            self._stamp, self._by_ref, self._memo = None, {}, {}
            return
        stamp = (st.st_size, st.st_mtime_ns)
        if stamp == self._stamp:
            return
        by_ref: dict[str, list[dict[str, Any]]] = {}
        for n, line in enumerate(self.path.read_text().splitlines(), 1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
                by_ref.setdefault(entry["ref"], []).append(entry)
            except (ValueError, KeyError, TypeError):
                log.error("unreadable line in the revocation log", extra={"line": n})
        self._stamp, self._by_ref, self._memo = stamp, by_ref, {}

    def revoked(self, ref: str, value: str | None) -> dict[str, Any] | None:
        """The revocation entry matching this value of `ref`, if it was ever revoked."""
        if not value:
            return None
        with self._lock:
            self._load()
            entries = self._by_ref.get(ref)
            if not entries:
                return None
            key = (ref, hashlib.sha256(value.encode()).hexdigest())
            if key not in self._memo:
                self._memo[key] = next((e for e in entries if hmac.compare_digest(
                    _fingerprint(value, bytes.fromhex(e["salt"])), e["fingerprint"])), None)
            return self._memo[key]

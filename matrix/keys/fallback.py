"""Vault with a safety net: reads survive an outage, writes refuse loudly.

Every successful read from Vault refreshes an encrypted local cache of that credential (the last
known good value). While Vault is unreachable, reads are answered from that cache with a warning
log and `matrix_keys_fallback_reads_total` rising, and the gauge `matrix_keys_vault_up` at 0 so
an alert can fire. Writes and rotations are refused: applying them only locally would fork the
truth and be lost or conflict when Vault returns. Usage counts recorded during the outage are
kept in memory and merged into Vault on the next successful read, so nothing is lost.
"""

from __future__ import annotations

from typing import Any

from matrix.keys.backend import BackendUnavailable, Stored, VersionInfo
from matrix.keys.local import LocalFileBackend
from matrix.keys.vault import VaultBackend
from matrix.observability import counter, gauge, get_logger

log = get_logger(__name__)

FALLBACK_READS = counter("matrix_keys_fallback_reads_total",
                         "Credential reads served from the local cache while Vault was unreachable")
REFUSED_WRITES = counter("matrix_keys_refused_writes_total", "Credential writes refused because Vault was unreachable")
VAULT_UP = gauge("matrix_keys_vault_up", "1 when the last Vault call succeeded, 0 while serving from the fallback cache")


class FallbackBackend:
    name = "vault"

    def __init__(self, primary: VaultBackend, cache: LocalFileBackend) -> None:
        self.primary = primary
        self.cache = cache
        self.degraded = False
        # Usage recorded during an outage: extra uses (a delta, so it adds to Vault's count on
        # recovery) and the latest other fields (last_used_at, unhealthy_*).
        self._pending_uses: dict[str, int] = {}
        self._pending_custom: dict[str, dict[str, str]] = {}

    def _down(self, what: str, exc: BackendUnavailable) -> None:
        if not self.degraded:
            log.warning("ALERT vault unreachable; serving reads from the encrypted local cache, refusing writes",
                        extra={"operation": what, "error": str(exc)})
        self.degraded = True
        VAULT_UP.set(0)

    def _up(self) -> None:
        if self.degraded:
            log.warning("vault reachable again; leaving fallback mode")
        self.degraded = False
        VAULT_UP.set(1)

    def read(self, path: str) -> Stored | None:
        try:
            stored = self.primary.read(path)
        except BackendUnavailable as exc:
            self._down(f"read {path}", exc)
            FALLBACK_READS.inc()
            cached = self.cache.read(path)
            if cached is not None:
                cached.custom = self._with_pending(path, cached.custom)
            return cached
        self._up()
        if stored is None:
            self.cache.drop(path)
            return None
        if path in self._pending_custom:
            merged = self._with_pending(path, stored.custom)
            try:
                self.primary.set_custom(path, merged)
            except BackendUnavailable:
                pass  # keep pending; try again on the next read
            else:
                self._pending_custom.pop(path, None)
                self._pending_uses.pop(path, None)
                stored.custom = merged
        self.cache.put_cached(path, stored)
        return stored

    def write(self, path: str, doc: dict[str, Any], cas: int) -> int:
        try:
            version = self.primary.write(path, doc, cas)
        except BackendUnavailable as exc:
            self._down(f"write {path}", exc)
            REFUSED_WRITES.inc()
            raise
        self._up()
        previous = self.cache.read(path)
        self.cache.put_cached(path, Stored(doc, version, previous.custom if previous else {}))
        return version

    def set_custom(self, path: str, custom: dict[str, str]) -> None:
        try:
            self.primary.set_custom(path, custom)
        except BackendUnavailable as exc:
            self._down(f"usage {path}", exc)
            cached = self.cache.read(path)
            seen = int(self._with_pending(path, cached.custom if cached else {}).get("use_count", 0) or 0)
            self._pending_uses[path] = self._pending_uses.get(path, 0) + max(0, int(custom.get("use_count", 0) or 0) - seen)
            self._pending_custom[path] = {k: v for k, v in custom.items() if k != "use_count"}
            return
        self._up()

    def list_paths(self, prefix: str = "") -> list[str]:
        try:
            paths = self.primary.list_paths(prefix)
        except BackendUnavailable as exc:
            self._down("list", exc)
            return self.cache.list_paths(prefix)
        self._up()
        return paths

    def history(self, path: str) -> list[VersionInfo]:
        try:
            return self.primary.history(path)
        except BackendUnavailable as exc:
            self._down(f"history {path}", exc)
            return self.cache.history(path)

    def available(self) -> bool:
        return self.primary.available()


    def _with_pending(self, path: str, base: dict[str, str]) -> dict[str, str]:
        """`base` plus what this process recorded while Vault was down."""
        out = dict(base)
        for key, value in self._pending_custom.get(path, {}).items():
            out[key] = max(out.get(key, ""), value) if key == "last_used_at" else value
        extra = self._pending_uses.get(path, 0)
        if extra or "use_count" in out:
            out["use_count"] = str(int(out.get("use_count", 0) or 0) + extra)
        return out

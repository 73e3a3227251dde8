"""The encrypted local backend: every credential of one machine in one sealed file.

Chosen for a laptop or a single server without Vault, and reused as the Vault fallback cache.
Each read-modify-write holds an exclusive `flock` on a sibling lock file, so two processes on
the same machine serialize and check-and-set behaves exactly as in Vault (one writer wins, the
other gets CasConflict). The file is replaced atomically, so readers never see half a write.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
from pathlib import Path
from typing import Any, Iterator

from matrix.keys.backend import CasConflict, Stored, VersionInfo
from matrix.keys.crypto import SealedFile, check_private, load_master_key

MAX_VERSIONS = 10  # like KV v2's default max_versions: history without unbounded growth


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat()


class LocalFileBackend:
    name = "local"

    def __init__(self, path: Path, key: bytes, max_versions: int = MAX_VERSIONS) -> None:
        self.path = Path(path)
        self._sealed = SealedFile(self.path, key)
        self._lock_path = self.path.with_name(self.path.name + ".lock")
        self.max_versions = max_versions
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if self.path.exists():
            check_private(self.path)
            self._sealed.read()  # wrong key / tampering surfaces at start, not at first use

    @classmethod
    def open(cls, path: Path, key_file: Path, environ: dict[str, str] | None = None) -> "LocalFileBackend":
        return cls(path, load_master_key(key_file, environ))

    # -- file access ------------------------------------------------------------------------
    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def _load(self) -> dict[str, Any]:
        if not self._sealed.exists():
            return {"entries": {}}
        return self._sealed.read()

    # -- Backend ----------------------------------------------------------------------------
    def read(self, path: str) -> Stored | None:
        entry = self._load()["entries"].get(path)
        if not entry or not entry["versions"]:
            return None
        latest = entry["versions"][-1]
        return Stored(doc=latest["data"], version=latest["version"], custom=dict(entry.get("custom", {})))

    def write(self, path: str, doc: dict[str, Any], cas: int) -> int:
        with self._locked():
            state = self._load()
            entry = state["entries"].setdefault(path, {"versions": [], "custom": {}, "current": 0})
            if entry["current"] != cas:
                raise CasConflict(f"{path}: expected version {cas}, store has {entry['current']}")
            entry["current"] += 1
            entry["versions"].append({"version": entry["current"], "created_time": _now(), "data": doc})
            del entry["versions"][: -self.max_versions]
            self._sealed.write(state)
            return entry["current"]

    def set_custom(self, path: str, custom: dict[str, str]) -> None:
        with self._locked():
            state = self._load()
            entry = state["entries"].get(path)
            if entry is None:
                return
            entry["custom"] = {k: str(v) for k, v in custom.items()}
            self._sealed.write(state)

    def list_paths(self, prefix: str = "") -> list[str]:
        return sorted(p for p, e in self._load()["entries"].items() if p.startswith(prefix) and e["versions"])

    def history(self, path: str) -> list[VersionInfo]:
        entry = self._load()["entries"].get(path) or {"versions": []}
        return [VersionInfo(v["version"], v["created_time"]) for v in entry["versions"]]

    def available(self) -> bool:
        return True

    def put_cached(self, path: str, stored: Stored) -> None:
        """Mirror a version read elsewhere (the Vault fallback cache), keeping its version number."""
        with self._locked():
            state = self._load()
            old = state["entries"].get(path)
            if (old and old["current"] == stored.version and old["custom"] == stored.custom
                    and old["versions"] and old["versions"][-1]["data"] == stored.doc):
                return  # unchanged: skip the rewrite so hot reads stay cheap
            state["entries"][path] = {
                "versions": [{"version": stored.version, "created_time": _now(), "data": stored.doc}],
                "custom": dict(stored.custom), "current": stored.version}
            self._sealed.write(state)

    def drop(self, path: str) -> None:
        with self._locked():
            state = self._load()
            if state["entries"].pop(path, None) is not None:
                self._sealed.write(state)

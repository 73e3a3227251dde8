"""On-disk HTTP cache for conditional requests (ETag / Last-Modified), one folder per source.

Why: a re-crawl of an unchanged directory should cost a 304 per page, not a download and a
parse. Each entry keeps the validators, the body, and "derived" data computed from that body
(links found on a list page, records parsed from a detail page), so a 304 hands back the
derived data and nothing is parsed again. Writes are atomic (temp file + rename) so a killed
crawl never leaves a half-written entry that a later crawl would trust.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class CacheEntry:
    key: str
    url: str
    etag: str | None = None
    last_modified: str | None = None
    content_type: str | None = None
    encoding: str | None = None
    final_url: str | None = None
    body_hash: str | None = None
    derived: dict[str, Any] = field(default_factory=dict)


def cache_key(method: str, url: str, body: bytes | None = None) -> str:
    h = hashlib.blake2b(digest_size=16)
    h.update(method.upper().encode() + b" " + url.encode())
    if body:
        h.update(b"\n" + body)
    return h.hexdigest()


class HttpCache:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def _paths(self, key: str) -> tuple[Path, Path]:
        d = self.root / key[:2]
        return d / f"{key}.json", d / f"{key}.body"

    def get(self, key: str) -> CacheEntry | None:
        meta, _ = self._paths(key)
        try:
            data = json.loads(meta.read_text("utf-8"))
            return CacheEntry(**data)
        except (OSError, ValueError, TypeError):
            return None

    def body(self, key: str) -> bytes | None:
        _, body = self._paths(key)
        try:
            return body.read_bytes()
        except OSError:
            return None

    @staticmethod
    def _atomic_write(path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def put(self, entry: CacheEntry, body: bytes | None) -> None:
        meta, body_path = self._paths(entry.key)
        if body is not None:
            entry.body_hash = hashlib.blake2b(body, digest_size=16).hexdigest()
            self._atomic_write(body_path, body)
        self._atomic_write(meta, json.dumps(entry.__dict__, default=str).encode())

    def set_derived(self, key: str, name: str, value: Any) -> None:
        """Attach data computed from the cached body (links, parsed records) to an entry."""
        entry = self.get(key)
        if entry is None:
            return
        entry.derived[name] = value
        meta, _ = self._paths(key)
        self._atomic_write(meta, json.dumps(entry.__dict__, default=str).encode())

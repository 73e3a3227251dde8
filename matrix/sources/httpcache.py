"""On-disk HTTP cache, one folder per source: freshness (Cache-Control / Expires) and
conditional requests (ETag / Last-Modified). Used by matrix.http, the one HTTP layer.

Why: a re-crawl of an unchanged directory should cost nothing for a page its server declared
fresh (`fresh_until`), and a 304 for a stale one - never a download and a parse. Each entry
keeps the validators, the body, and "derived" data computed from that body (links found on a
list page, records parsed from a detail page), so a 304 hands back the derived data and nothing
is parsed again. Writes are atomic (temp file + rename) so a killed
crawl never leaves a half-written entry that a later crawl would trust.
"""

from __future__ import annotations

import collections
import hashlib
import json
import os
import threading
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
    fresh_until: float | None = None  # epoch seconds; reuse without asking until then (None: revalidate)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "CacheEntry":
        """Fields this version knows; entries written by an older or newer version still load."""
        return cls(**{k: v for k, v in data.items() if k in _ENTRY_FIELDS})


_ENTRY_FIELDS = frozenset(CacheEntry.__dataclass_fields__)


def body_hash(body: bytes) -> str:
    """Fingerprint of a response body: derived data (parsed records) is only trusted for this body."""
    return hashlib.blake2b(body, digest_size=16).hexdigest()


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
        self._root = str(self.root)
        self._dirs: set[str] = set()

    def _base(self, key: str) -> str:
        """Path of an entry without its suffix. Plain strings: a re-crawl of fresh pages opens
        three files per page, and building pathlib objects cost more than the reads."""
        return f"{self._root}/{key[:2]}/{key}"

    def _paths(self, key: str) -> tuple[str, str]:
        base = self._base(key)
        return base + ".json", base + ".body"

    @staticmethod
    def _read(path: str) -> bytes:
        with open(path, "rb") as fh:
            return fh.read()

    def get(self, key: str) -> CacheEntry | None:
        meta, _ = self._paths(key)
        try:
            data = json.loads(self._read(meta))
            return CacheEntry.from_dict(data)
        except (OSError, ValueError, TypeError):
            return None

    def body(self, key: str) -> bytes | None:
        _, body = self._paths(key)
        try:
            return self._read(body)
        except OSError:
            return None

    def _atomic_write(self, path: str, data: bytes) -> None:
        """Write to a private temp name, then rename: readers see the old file or the new one.
        Plain os.open/os.replace with a per-thread temp name: a crawl writes thousands of
        entries and mkstemp+fdopen+mkdir per write cost more than the write itself."""
        parent = os.path.dirname(path)
        if parent not in self._dirs:
            os.makedirs(parent, exist_ok=True)
            self._dirs.add(parent)
        tmp = f"{path}.{os.getpid()}-{threading.get_ident()}.tmp"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            try:
                os.write(fd, data)
            finally:
                os.close(fd)
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise

    def put(self, entry: CacheEntry, body: bytes | None) -> None:
        meta, body_path = self._paths(entry.key)
        if body is not None:
            entry.body_hash = entry.body_hash or body_hash(body)
            self._atomic_write(body_path, body)
        self._atomic_write(meta, json.dumps(entry.__dict__, default=str).encode())

    def put_records(self, key: str, doc: dict[str, Any]) -> None:
        """Records parsed from the cached body, in their own file so no write of the entry (by the
        crawler's writer thread) can race with one of the records (by a parser elsewhere)."""
        self._atomic_write(self._base(key) + ".records", json.dumps(doc, default=str).encode())

    def get_records(self, key: str) -> dict[str, Any] | None:
        try:
            doc = json.loads(self._read(self._base(key) + ".records"))
        except (OSError, ValueError):
            return None
        return doc if isinstance(doc, dict) else None

    def set_derived(self, key: str, name: str, value: Any) -> None:
        """Attach data computed from the cached body (links, parsed records) to an entry."""
        entry = self.get(key)
        if entry is None:
            return
        entry.derived[name] = value
        meta, _ = self._paths(key)
        self._atomic_write(meta, json.dumps(entry.__dict__, default=str).encode())


class BackgroundWriter:
    """Runs cache writes on one thread, in submission order, off the crawler's event loop.

    Why: a cache write is two atomic file replacements; done inline, thousands of them stall the
    loop that paces every host's requests, and a stalled loop wastes rate-limit tokens. One thread
    keeps writes ordered (a `put` always lands before a `set_derived` for the same key). The
    hand-off is a deque the writer polls, because waking a thread per submitted write (a
    Condition notify) costs the loop more than the write. Past `max_pending` queued writes the
    caller writes inline (back-pressure, bounded memory). `close()` drains everything to disk.
    """

    def __init__(self, max_pending: int = 10_000, poll_s: float = 0.02) -> None:
        self._pending: collections.deque = collections.deque()
        self._max_pending = max_pending
        self._poll_s = poll_s
        self._stop = threading.Event()
        self._lock = threading.Lock()  # one writer at a time (the thread, or an inline caller)
        self.errors = 0
        self._thread = threading.Thread(target=self._run, name="http-cache-writer", daemon=True)
        self._thread.start()

    def submit(self, fn, *args) -> None:
        if len(self._pending) >= self._max_pending:
            self._drain()
            self._call(fn, args)
            return
        self._pending.append((fn, args))

    def _call(self, fn, args) -> None:
        try:
            fn(*args)
        except OSError:  # a full disk loses a cache entry, never a page
            self.errors += 1

    def _drain(self) -> None:
        with self._lock:
            while True:
                try:
                    fn, args = self._pending.popleft()
                except IndexError:
                    return
                self._call(fn, args)

    def _run(self) -> None:
        while not self._stop.wait(self._poll_s):
            self._drain()
        self._drain()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self._drain()

"""Bounded caches for search results and query embeddings, in memory or shared through Redis.

Why the index version sits inside every result key: a new ingest commits a new LanceDB version,
so the next request computes a different key and misses; stale entries are never served and age
out through TTL/LRU without anyone having to purge them. Why a Redis option: several Serve
replicas then share one cache instead of each warming its own. A cache is an optimisation, never
a dependency: a Redis outage turns into misses (and a warning), not into failed searches.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any, Callable, Protocol

import cachetools

from matrix.models import stable_hash
from matrix.observability import counter, get_logger

log = get_logger(__name__)
_MISSING = object()

CACHE_REQUESTS = counter("matrix_cache_requests_total", "Cache lookups, by cache and outcome (hit/miss/error)",
                         ["cache", "outcome"])


class Cache(Protocol):
    """What the search service needs from any cache backend."""

    name: str

    def get(self, key: str) -> Any | None: ...

    def set(self, key: str, value: Any) -> None: ...

    def clear(self) -> None: ...

    def stats(self) -> dict[str, Any]: ...


class _Counts:
    """Hit/miss counts kept locally (for /stats) and exported as Prometheus counters."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.hits = 0
        self.misses = 0
        self.errors = 0

    def hit(self) -> None:
        self.hits += 1
        CACHE_REQUESTS.labels(self.name, "hit").inc()

    def miss(self) -> None:
        self.misses += 1
        CACHE_REQUESTS.labels(self.name, "miss").inc()

    def error(self) -> None:
        self.errors += 1
        CACHE_REQUESTS.labels(self.name, "error").inc()

    def as_dict(self) -> dict[str, Any]:
        total = self.hits + self.misses
        return {"hits": self.hits, "misses": self.misses, "errors": self.errors,
                "hit_ratio": None if total == 0 else round(self.hits / total, 4)}


class _CountingTTLCache(cachetools.TTLCache):
    """cachetools' TTL + LRU, counting the entries it evicts for lack of room."""

    evictions = 0

    def popitem(self) -> tuple[Any, Any]:
        item = super().popitem()
        self.evictions += 1
        return item


class TTLCache:
    """Thread-safe LRU with a per-entry time-to-live (cachetools). `max_entries=0` or `ttl_s=0` disables it.

    cachetools does the expiry and the LRU order; this wrapper adds the lock (cachetools caches are
    not thread-safe and Serve handles requests on several threads), hit/miss counters and /stats."""

    backend = "memory"

    def __init__(self, name: str, max_entries: int, ttl_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        if max_entries < 0 or ttl_s < 0:
            raise ValueError(f"cache {name}: max_entries and ttl_s must be >= 0, got {max_entries}, {ttl_s}")
        self.name = name
        self.max_entries = int(max_entries)
        self.ttl_s = float(ttl_s)
        self._data = _CountingTTLCache(maxsize=max(1, self.max_entries), ttl=self.ttl_s or 1.0, timer=clock)
        self._lock = threading.Lock()
        self._counts = _Counts(name)

    @property
    def enabled(self) -> bool:
        return self.max_entries > 0 and self.ttl_s > 0

    @property
    def evictions(self) -> int:
        return self._data.evictions

    def get(self, key: str) -> Any | None:
        if not self.enabled:
            self._counts.miss()
            return None
        with self._lock:
            value = self._data.get(key, _MISSING)
            if value is _MISSING:
                self._data.expire()
                self._counts.miss()
                return None
        self._counts.hit()
        return value

    def set(self, key: str, value: Any) -> None:
        if not self.enabled:
            return
        with self._lock:
            self._data[key] = value

    def clear(self) -> None:
        with self._lock:
            self._data.clear()

    def __len__(self) -> int:
        with self._lock:
            self._data.expire()
            return len(self._data)

    def stats(self) -> dict[str, Any]:
        return {"backend": self.backend, "entries": len(self), "max_entries": self.max_entries,
                "ttl_s": self.ttl_s, "evictions": self.evictions, **self._counts.as_dict()}


class RedisCache:
    """The same contract over Redis: JSON values, `SET key value EX ttl`, keys under a namespace.

    Redis bounds memory itself (maxmemory + an LRU policy on the server); here every entry gets a
    TTL so nothing outlives `ttl_s`. Values must be JSON-serialisable (search results are).
    """

    backend = "redis"

    def __init__(self, name: str, client: Any, ttl_s: float, namespace: str = "matrix") -> None:
        self.name = name
        self.client = client
        self.ttl_s = float(ttl_s)
        self.prefix = f"{namespace}:{name}:"
        self._counts = _Counts(name)

    @classmethod
    def from_url(cls, name: str, url: str, ttl_s: float, namespace: str = "matrix", timeout_s: float = 0.5) -> "RedisCache":
        import redis

        client = redis.Redis.from_url(url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s)
        return cls(name, client, ttl_s, namespace)

    def get(self, key: str) -> Any | None:
        if self.ttl_s <= 0:
            self._counts.miss()
            return None
        try:
            raw = self.client.get(self.prefix + key)
        except Exception as exc:  # an unreachable cache is a miss, never a failed search
            self._counts.error()
            log.warning("redis cache get failed", extra={"cache": self.name, "error": str(exc)})
            return None
        if raw is None:
            self._counts.miss()
            return None
        self._counts.hit()
        return json.loads(raw)

    def set(self, key: str, value: Any) -> None:
        if self.ttl_s <= 0:
            return
        try:
            self.client.set(self.prefix + key, json.dumps(value, default=str), px=max(1, int(self.ttl_s * 1000)))
        except Exception as exc:
            self._counts.error()
            log.warning("redis cache set failed", extra={"cache": self.name, "error": str(exc)})

    def clear(self) -> None:
        try:
            keys = list(self.client.scan_iter(match=self.prefix + "*", count=500))
            if keys:
                self.client.delete(*keys)
        except Exception as exc:
            log.warning("redis cache clear failed", extra={"cache": self.name, "error": str(exc)})

    def stats(self) -> dict[str, Any]:
        return {"backend": self.backend, "ttl_s": self.ttl_s, **self._counts.as_dict()}


def make_cache(name: str, *, max_entries: int, ttl_s: float, redis_url: str | None = None,
               namespace: str = "matrix") -> TTLCache | RedisCache:
    """Redis when a URL is configured (shared by replicas), else a per-process TTL+LRU."""
    if redis_url:
        return RedisCache.from_url(name, redis_url, ttl_s, namespace)
    return TTLCache(name, max_entries, ttl_s)


def result_key(version: int | None, params: dict[str, Any]) -> str:
    """Cache key for one search: the index version plus every parameter that shapes the answer."""
    return f"v{version if version is not None else 'none'}:{stable_hash(params)}"


def embedding_key(model: str, text: str) -> str:
    """Embedding cache key: the model and the normalised query text (case/space do not change meaning much)."""
    return f"{model}:{stable_hash(' '.join(text.lower().split()))}"

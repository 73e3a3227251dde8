"""Politeness and resilience primitives shared by the crawler and every network API client.

One mechanism, so a directory scraper and the Awin client back off the same way:
- `TokenBucket`: an async per-host (or per-API-key) rate limit with a burst allowance, plus a
  concurrency cap; `penalize()` pauses the bucket when a server says "slow down" (429,
  Retry-After, X-RateLimit-Reset).
- `RetryPolicy`: exponential backoff with full jitter, honouring Retry-After.
- `DailyQuota`: a request budget per day that fails fast instead of burning the account.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import random
import time
from dataclasses import dataclass, field


class QuotaExceeded(RuntimeError):
    """The configured daily request budget is spent."""


class TokenBucket:
    """Async token bucket: `rate` tokens per second, up to `burst` banked; plus `max_concurrency`."""

    def __init__(self, rate: float, burst: int = 1, max_concurrency: int = 1, clock=time.monotonic) -> None:
        if rate <= 0:
            raise ValueError(f"rate must be > 0, got {rate}")
        self.rate = float(rate)
        self.burst = max(1, int(burst))
        self._tokens = float(self.burst)
        self._clock = clock
        self._last = clock()
        self._blocked_until = 0.0
        self._lock = asyncio.Lock()
        self._sem = asyncio.Semaphore(max(1, int(max_concurrency)))
        self.waited_s = 0.0
        self.acquired = 0

    def _refill(self, now: float) -> None:
        self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
        self._last = now

    async def acquire(self) -> None:
        async with self._lock:
            while True:
                now = self._clock()
                self._refill(now)
                wait = max(0.0, self._blocked_until - now)
                if wait == 0.0 and self._tokens >= 1.0:
                    self._tokens -= 1.0
                    self.acquired += 1
                    return
                if wait == 0.0:
                    wait = (1.0 - self._tokens) / self.rate
                self.waited_s += wait
                await asyncio.sleep(wait)

    def penalize(self, seconds: float) -> None:
        """Stop handing out tokens for `seconds` (server asked us to back off)."""
        now = self._clock()
        self._blocked_until = max(self._blocked_until, now + max(0.0, seconds))
        self._tokens = 0.0
        self._last = now

    async def __aenter__(self) -> "TokenBucket":
        await self._sem.acquire()
        try:
            await self.acquire()
        except BaseException:
            self._sem.release()
            raise
        return self

    async def __aexit__(self, *exc) -> None:
        self._sem.release()


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date); None if absent/bad."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    now_ts = time.time() if now is None else now
    return max(0.0, when.timestamp() - now_ts)


def parse_rate_limit_reset(value: str | None, now: float | None = None) -> float | None:
    """Seconds until an `X-RateLimit-Reset` window ends: APIs send either delta-seconds or a Unix
    epoch timestamp (told apart by size); None if absent/bad."""
    if not value:
        return None
    try:
        n = float(value.strip())
    except ValueError:
        return parse_retry_after(value, now)
    if n > 1e9:  # an epoch timestamp, not a delay
        now_ts = time.time() if now is None else now
        return max(0.0, n - now_ts)
    return max(0.0, n)


@dataclass
class RetryPolicy:
    """Exponential backoff with full jitter; a server's Retry-After wins when it is longer."""

    max_retries: int = 4
    base_s: float = 0.5
    max_s: float = 30.0
    retry_statuses: frozenset[int] = frozenset({408, 425, 429, 500, 502, 503, 504})
    rng: random.Random = field(default_factory=random.Random)

    def should_retry(self, attempt: int, status: int | None) -> bool:
        """attempt counts from 0; status None means a network error or timeout."""
        if attempt >= self.max_retries:
            return False
        return status is None or status in self.retry_statuses

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        cap = min(self.max_s, self.base_s * (2 ** attempt))
        d = self.rng.uniform(0, cap)
        if retry_after is not None:
            d = max(d, min(retry_after, self.max_s if self.max_s > 0 else retry_after))
        return d


class DailyQuota:
    """At most `limit` requests per UTC day (None = unlimited)."""

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self._day = dt.datetime.now(dt.timezone.utc).date()
        self.used = 0

    def take(self) -> None:
        today = dt.datetime.now(dt.timezone.utc).date()
        if today != self._day:
            self._day, self.used = today, 0
        if self.limit is not None and self.used >= self.limit:
            raise QuotaExceeded(f"daily quota of {self.limit} requests is spent")
        self.used += 1

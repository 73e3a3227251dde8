"""API keys (through the key manager), per-client limits and load shedding for the search service.

Why the key manager and not a config value: admin keys are secrets; they live where every other
credential lives (Vault or the encrypted local file, policy `serve` may read `matrix/serve/*`),
rotate the same way, and never appear in ray_config.yaml or logs. Keys are compared in constant
time; a missing or unreadable key denies (fail closed).

Why limits key on the peer address (issue 12): anything the client writes (an `X-Forwarded-For`
header, an unverified `X-API-Key`) is free to vary per request, so a bucket keyed on it can be
dodged. `client_address` believes forwarding headers only from `serve.trusted_proxies`, and the
API layer uses a key as the identity only after it verified. Failed key attempts have their own
per-address budget. `AdmissionGate` bounds how many backend calls an Ingress replica runs and how
long a request may wait for one: past that the answer is 503 + Retry-After at once, so accepted
requests keep a bounded latency instead of everyone queueing.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import ipaddress
import math
import threading
import time
from collections import OrderedDict
from typing import Any, AsyncIterator, Callable, Iterable, Protocol

from matrix.observability import counter, get_logger

log = get_logger(__name__)
RATE_LIMITED = counter("matrix_serve_rate_limited_total", "Requests refused by the per-client rate limit")
AUTH_FAILURES = counter("matrix_serve_auth_failures_total", "Requests refused for a missing or wrong API key", ["scope"])
AUTH_THROTTLED = counter("matrix_serve_auth_throttled_total", "Key attempts refused because the address failed too often")
SHED = counter("matrix_serve_shed_total", "Requests answered 503 + Retry-After by the Ingress", ["reason"])
# Serve's HTTP proxy runs uvicorn with proxy headers on: for a peer in FORWARDED_ALLOW_IPS (default
# loopback) it replaces the client address with a value from X-Forwarded-For. The real peer is
# then a loopback hop; this stands in for it.
PROXY_HOP = "127.0.0.1"
MAX_ADDRESS_LENGTH = 64


class KeyVerifier(Protocol):
    def verify(self, ref: str, presented: str | None) -> bool: ...


class KeyManagerVerifier:
    """Checks a presented key against the credential stored at `ref` (network/account/kind).

    Uses `KeyManager.verify(ref, presented)` when the manager offers it, else compares with the
    revealed secret. The manager is built lazily: a service with public search and no admin use
    never touches the key store.
    """

    def __init__(self, settings: Any, manager_factory: Callable[[], Any] | None = None) -> None:
        self.settings = settings
        self._factory = manager_factory
        self._manager: Any = None
        self._lock = threading.Lock()

    def _default_factory(self) -> Any:
        from matrix import keys

        km_cls = getattr(keys, "KeyManager", None)
        if km_cls is None:
            raise RuntimeError("matrix.keys.KeyManager is not available")
        for ctor in ("from_settings", "open"):
            fn = getattr(km_cls, ctor, None)
            if fn is not None:
                try:
                    return fn(self.settings, component="serve")
                except TypeError:
                    return fn(self.settings)
        return km_cls(self.settings)

    def manager(self) -> Any:
        with self._lock:
            if self._manager is None:
                self._manager = (self._factory or self._default_factory)()
            return self._manager

    def verify(self, ref: str, presented: str | None) -> bool:
        if not presented:
            return False
        try:
            from matrix.keys import CredentialRef

            network, account, kind = ref.split("/")
            cref = CredentialRef(network, account, kind)
            km = self.manager()
            if hasattr(km, "verify"):
                return bool(km.verify(cref, presented))
            secret = km.get(cref)
            return hmac.compare_digest(secret.reveal().encode(), presented.encode())
        except Exception as exc:  # unreadable store or missing key: deny, and say why in the log only
            log.warning("api key check failed closed", extra={"ref": ref, "error": type(exc).__name__})
            return False


class StaticVerifier:
    """Keys held in memory (tests, or a deployment that injects them): ref -> key."""

    def __init__(self, keys: dict[str, str]) -> None:
        self.keys = dict(keys)

    def verify(self, ref: str, presented: str | None) -> bool:
        expected = self.keys.get(ref)
        if not presented or expected is None:
            return False
        return hmac.compare_digest(expected.encode(), presented.encode())


class ClientRateLimiter:
    """Token bucket per client (API key or address): `per_minute` requests, bursting up to that many.

    Bounded: at most `max_clients` buckets, least recently seen dropped first. Per replica: with
    N ingress replicas a client gets up to N times the limit, which is fine for abuse protection.
    """

    def __init__(self, per_minute: int, max_clients: int = 10_000, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = per_minute / 60.0
        self.capacity = float(per_minute)
        self.max_clients = max_clients
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def peek(self, client: str) -> tuple[bool, float]:
        """Like `allow` but takes nothing: would a request be allowed now?"""
        now = self._clock()
        with self._lock:
            tokens, last = self._buckets.get(client, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - last) * self.rate)
        return (True, 0.0) if tokens >= 1.0 else (False, (1.0 - tokens) / self.rate)

    def allow(self, client: str) -> tuple[bool, float]:
        """(allowed, seconds until the next request would be allowed)."""
        now = self._clock()
        with self._lock:
            tokens, last = self._buckets.get(client, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * self.rate)
            allowed = tokens >= 1.0
            if allowed:
                tokens -= 1.0
            self._buckets[client] = (tokens, now)
            self._buckets.move_to_end(client)
            while len(self._buckets) > self.max_clients:
                self._buckets.popitem(last=False)
        if not allowed:
            RATE_LIMITED.inc()
        return allowed, 0.0 if allowed else (1.0 - tokens) / self.rate


class ServiceUnavailable(Exception):
    """The backend cannot take this request now (shed, replica dead or restarting): 503 + Retry-After."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _hops(forwarded_for: Iterable[str]) -> list[str]:
    """X-Forwarded-For entries, left (client) to right (nearest proxy), ports and brackets removed."""
    out: list[str] = []
    for header in forwarded_for:
        for raw in header.split(","):
            h = raw.strip()
            if not h:
                continue
            if h.startswith("["):  # [v6]:port
                h = h[1:].split("]", 1)[0]
            elif h.count(":") == 1:  # v4:port
                h = h.split(":", 1)[0]
            out.append(h[:MAX_ADDRESS_LENGTH])
    return out


class ClientAddress:
    """The address a request's limits are keyed on: the TCP peer, unless a trusted proxy says otherwise.

    With no `trusted_proxies` (the default) `X-Forwarded-For` is ignored. When the peer is a trusted
    proxy, the client is the right-most hop that is not itself a trusted proxy (proxies append, so
    only the entries left of the last trusted hop can be forged).
    """

    def __init__(self, trusted_proxies: Iterable[str] = ()) -> None:
        self.trusted = [ipaddress.ip_network(p.strip(), strict=False) for p in trusted_proxies if p.strip()]

    def is_trusted(self, host: str) -> bool:
        try:
            ip = ipaddress.ip_address(host)
        except ValueError:
            return False
        return any(ip in net for net in self.trusted)

    def resolve(self, peer: str | None, forwarded_for: Iterable[str] = ()) -> str:
        peer = (peer or "unknown")[:MAX_ADDRESS_LENGTH]
        hops = _hops(forwarded_for)
        if hops and peer in hops:
            # The peer we were handed came out of the header (Serve's proxy rewrote it): the real
            # peer is the proxy's trusted loopback hop, never the header's value.
            peer = PROXY_HOP
        if not self.trusted or not self.is_trusted(peer):
            return peer
        for hop in reversed(hops):
            if not self.is_trusted(hop):
                return hop
        return hops[0] if hops else peer


class AuthFailureGuard:
    """Wrong-key attempts per address: a small bucket; when empty the address gets 429 without a check.

    Each failure is logged with the address, but at most once per `log_every_s` per address (with
    the count suppressed since), so a guessing run cannot flood the logs either.
    """

    def __init__(self, per_minute: int, log_every_s: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.limiter = ClientRateLimiter(per_minute, clock=clock)
        self.log_every_s = log_every_s
        self._clock = clock
        self._logged: OrderedDict[str, tuple[float, int]] = OrderedDict()
        self._lock = threading.Lock()

    def blocked(self, address: str) -> float:
        """Seconds until `address` may try a key again (0 when it may now)."""
        allowed, wait = self.limiter.peek(address)
        if not allowed:
            AUTH_THROTTLED.inc()
        return 0.0 if allowed else wait

    def failed(self, address: str, scope: str) -> None:
        self.limiter.allow(address)
        AUTH_FAILURES.labels(scope).inc()
        now = self._clock()
        with self._lock:
            last, suppressed = self._logged.get(address, (-1e18, 0))
            if now - last < self.log_every_s:
                self._logged[address] = (last, suppressed + 1)
                return
            self._logged[address] = (now, 0)
            self._logged.move_to_end(address)
            while len(self._logged) > self.limiter.max_clients:
                self._logged.popitem(last=False)
        log.warning("wrong or unknown API key", extra={"client": address, "scope": scope,
                                                       "suppressed_since_last_log": suppressed})


class AdmissionGate:
    """At most `concurrency` backend calls at once; a request waits at most `max_wait_s` for a slot.

    Why: a queue that grows without bound turns overload into everyone's latency (p99 of 9 s at
    concurrency 32 before issue 12). Refusing early (503 + Retry-After) keeps the accepted
    requests fast and tells clients when to come back. `max_waiting` refuses at once when that
    many are already waiting.

    `retry_after_s()` grows with the recent shed share (base / (1 - share), at most 10x): when
    most requests are being refused, clients that honour it come back later, so the refusals
    themselves stop eating the CPU the accepted requests need.
    """

    SHARE_ALPHA = 0.02  # per-decision weight of the shed-share average (~50 decisions of memory)
    MAX_BACKOFF = 10.0

    def __init__(self, concurrency: int, max_wait_s: float, max_waiting: int, retry_after_s: float = 1.0) -> None:
        self.concurrency = concurrency
        self.max_wait_s = max_wait_s
        self.max_waiting = max_waiting
        self.base_retry_after_s = retry_after_s
        self.waiting = 0
        self.active = 0
        self.shed_share = 0.0
        self._sem: asyncio.Semaphore | None = None

    def _decided(self, shed: bool) -> None:
        self.shed_share += self.SHARE_ALPHA * ((1.0 if shed else 0.0) - self.shed_share)

    def retry_after_s(self) -> int:
        """Whole seconds for `Retry-After`: the configured base, stretched while shedding is heavy."""
        factor = min(self.MAX_BACKOFF, 1.0 / max(1e-9, 1.0 - self.shed_share))
        base = max(1, math.ceil(self.base_retry_after_s - 1e-9))  # never earlier than configured
        return max(base, round(self.base_retry_after_s * factor))

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        if self._sem is None:
            self._sem = asyncio.Semaphore(self.concurrency)
        sem = self._sem
        if sem.locked():
            if self.waiting >= self.max_waiting:
                SHED.labels("queue_full").inc()
                self._decided(shed=True)
                raise ServiceUnavailable("overloaded: too many requests waiting")
            self.waiting += 1
            try:
                await asyncio.wait_for(sem.acquire(), self.max_wait_s)
            except asyncio.TimeoutError:
                SHED.labels("wait").inc()
                self._decided(shed=True)
                raise ServiceUnavailable("overloaded: no capacity within the wait budget") from None
            finally:
                self.waiting -= 1
        else:
            await sem.acquire()
        self._decided(shed=False)
        self.active += 1
        try:
            yield
        finally:
            self.active -= 1
            sem.release()

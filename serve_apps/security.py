"""API keys (through the key manager) and a per-client request rate limit for the search service.

Why the key manager and not a config value: admin keys are secrets; they live where every other
credential lives (Vault or the encrypted local file, policy `serve` may read `matrix/serve/*`),
rotate the same way, and never appear in ray_config.yaml or logs. Keys are compared in constant
time; a missing or unreadable key denies (fail closed).
"""

from __future__ import annotations

import hmac
import threading
import time
from collections import OrderedDict
from typing import Any, Callable, Protocol

from matrix.observability import counter, get_logger

log = get_logger(__name__)
RATE_LIMITED = counter("matrix_serve_rate_limited_total", "Requests refused by the per-client rate limit")
AUTH_FAILURES = counter("matrix_serve_auth_failures_total", "Requests refused for a missing or wrong API key", ["scope"])


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

"""Errors every network client raises, so callers handle six networks with one `except`.

Each error names the network and the endpoint, never a secret, and carries `.partial`: the
records already fetched before things went wrong, so a pull that dies on page 7 still keeps
pages 1-6 (the ingest job writes them; the CLI reports them).
"""

from __future__ import annotations

from typing import Any

from matrix.keys.types import CredentialError, CredentialRef


class NetworkError(RuntimeError):
    """A network API call failed after the retries the policy allows."""

    def __init__(self, network: str, endpoint: str, message: str, *, status: int | None = None,
                 partial: list[Any] | None = None) -> None:
        self.network = network
        self.endpoint = endpoint
        self.status = status
        self.partial: list[Any] = list(partial or [])
        self.detail = message
        super().__init__(f"{network} {endpoint}: {message}")


class MalformedResponse(NetworkError):
    """The body is not what the network documents (bad JSON/XML, missing fields, truncated)."""


class QuotaSpent(NetworkError):
    """The configured daily request budget for this network is spent; no request was sent."""


class NotSupported(NetworkError):
    """The network has no such endpoint (e.g. offers on Awin)."""


class NetworkCredentialError(CredentialError):
    """The network rejected (401/403) or we lack a credential. The key is marked unhealthy once;
    the request is not retried, so a revoked key never turns into a retry storm."""

    def __init__(self, network: str, endpoint: str, message: str, *, refs: tuple[CredentialRef, ...] = (),
                 status: int | None = None, partial: list[Any] | None = None) -> None:
        self.network = network
        self.endpoint = endpoint
        self.refs = refs
        self.status = status
        self.partial: list[Any] = list(partial or [])
        super().__init__(f"{network} {endpoint}: {message}")

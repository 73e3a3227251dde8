"""Affiliate network API clients (Awin, CJ, Impact, Rakuten, TUNE/HasOffers, Everflow).

One async interface (`NetworkClient`), one rate-limit/retry path (`ApiTransport` over
matrix.ratelimit), credentials only through the key-manager contract. See docs/networks.md.
"""

from __future__ import annotations

import importlib

from matrix.config import ConfigError, Settings
from matrix.keys.types import CredentialProvider
from matrix.networks.base import ApiRecord, NetworkClient
from matrix.networks.errors import MalformedResponse, NetworkCredentialError, NetworkError, NotSupported, QuotaSpent

NETWORKS: dict[str, str] = {
    "awin": "matrix.networks.awin:AwinClient",
    "cj": "matrix.networks.cj:CjClient",
    "impact": "matrix.networks.impact:ImpactClient",
    "rakuten": "matrix.networks.rakuten:RakutenClient",
    "tune": "matrix.networks.tune:TuneClient",
    "everflow": "matrix.networks.everflow:EverflowClient",
}


def client_class(name: str) -> type[NetworkClient]:
    target = NETWORKS.get(name)
    if target is None:
        raise ConfigError(f"network {name!r} is not known; allowed: {sorted(NETWORKS)}")
    module, cls = target.split(":")
    return getattr(importlib.import_module(module), cls)


def build_client(name: str, settings: Settings, provider: CredentialProvider, **kw) -> NetworkClient:
    """A client for `name` configured from settings.networks.<name>; kw: account, session, transport."""
    return client_class(name)(settings, provider, **kw)


def health_checks(settings: Settings, provider: CredentialProvider) -> dict[str, NetworkClient]:
    """network -> client, for `KeyManager(health_checks=...)`: rotation checks a staged key against
    the real API before promoting it. Networks without a base_url are left out."""
    out: dict[str, NetworkClient] = {}
    for name in NETWORKS:
        if settings.networks.get(name).base_url:
            out[name] = build_client(name, settings, provider)
    return out


__all__ = ["NETWORKS", "ApiRecord", "NetworkClient", "NetworkError", "MalformedResponse", "NetworkCredentialError",
           "NotSupported", "QuotaSpent", "build_client", "client_class", "health_checks"]

"""Pick and build the storage backend from settings.

`keys.backend: auto` uses Vault when an address is configured (keys.vault_addr or VAULT_ADDR) and
Vault answers its health check - or when it does not answer but this machine already holds a
Vault fallback cache, because switching silently to a different (local) store during an outage
would hand out different credentials than the fleet uses. Otherwise the encrypted local file.
"""

from __future__ import annotations

import os
from typing import Any, Mapping

from matrix.config import ConfigError
from matrix.keys.backend import Backend
from matrix.keys.crypto import load_master_key
from matrix.keys.fallback import FallbackBackend
from matrix.keys.local import LocalFileBackend
from matrix.keys.vault import DEFAULT_K8S_JWT, VaultAuth, VaultBackend
from matrix.observability import get_logger

log = get_logger(__name__)


def vault_address(settings: Any, environ: Mapping[str, str]) -> str | None:
    return settings.keys.vault_addr or environ.get("VAULT_ADDR") or None


def build_backend(settings: Any, environ: Mapping[str, str] | None = None) -> Backend:
    env = dict(os.environ if environ is None else environ)
    k = settings.keys
    addr = vault_address(settings, env)
    choice = k.backend
    if choice == "vault" and not addr:
        raise ConfigError("keys.backend = 'vault' but no address: set keys.vault_addr or VAULT_ADDR")
    master = load_master_key(settings.path(k.key_file), env)
    if choice == "local" or not addr:  # "auto" without an address ("vault" without one was refused above)
        return LocalFileBackend(settings.path(k.local_file), master)
    auth = VaultAuth(
        k.vault_auth,
        role=k.vault_role,
        mount=getattr(k, "vault_auth_mount", None),
        jwt_path=getattr(k, "vault_k8s_jwt_path", None) or DEFAULT_K8S_JWT,
        renew_before_s=getattr(k, "vault_renew_before_s", 300.0),
        environ=env,
    )
    vault = VaultBackend.create(addr, auth, mount=k.vault_mount, prefix=k.vault_prefix,
                                namespace=k.vault_namespace, timeout_s=getattr(k, "vault_timeout_s", 5.0))
    cache_path = settings.path(getattr(k, "vault_cache_file", "keys/vault-cache.enc"))
    if choice == "auto" and not vault.available() and not cache_path.exists():
        log.warning("vault configured but unreachable and no fallback cache here; using the local encrypted file",
                    extra={"vault_addr": addr})
        return LocalFileBackend(settings.path(k.local_file), master)
    return FallbackBackend(vault, LocalFileBackend(cache_path, master))

"""The Vault backend: KV v2 through the real hvac client.

Layout: `<mount>/data/<prefix>/<network>/<account>/<kind>` holds the credential document;
KV v2 versions are its history and its `custom_metadata` carries usage and health, which
readers may update without the right to write the secret. Every write passes `cas`, so two
writers that read the same version cannot both succeed.

Authentication (settings.keys.vault_auth):
- token: VAULT_TOKEN (or MATRIX_KEYS_VAULT_TOKEN) from the environment, never from config;
- approle: role_id = keys.vault_role, secret_id from VAULT_SECRET_ID / MATRIX_KEYS_VAULT_SECRET_ID;
- kubernetes: role = keys.vault_role, the pod's service-account JWT file (keys.vault_k8s_jwt_path).
The token's TTL is tracked; within `renew_before_s` of expiry it is renewed (renew-self), and
when renewal is impossible a fresh login replaces it.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any, Callable

import hvac
from hvac import exceptions as hv

from matrix.keys.backend import BackendUnavailable, CasConflict, PermissionDeniedByStore, Stored, VersionInfo
from matrix.keys.types import CredentialError
from matrix.observability import get_logger

log = get_logger(__name__)

TOKEN_ENVS = ("MATRIX_KEYS_VAULT_TOKEN", "VAULT_TOKEN")
SECRET_ID_ENVS = ("MATRIX_KEYS_VAULT_SECRET_ID", "VAULT_SECRET_ID")
DEFAULT_K8S_JWT = "/var/run/secrets/kubernetes.io/serviceaccount/token"
# hvac's transport errors (requests' ConnectionError and Timeout) are OSError subclasses: catching
# OSError keeps `requests`, hvac's private dependency, out of our imports.
_DOWN = (OSError, hv.VaultDown, hv.BadGateway)


def _first_env(names: tuple[str, ...], environ: dict[str, str]) -> str | None:
    for n in names:
        if environ.get(n):
            return environ[n]
    return None


class VaultAuth:
    """Obtains and keeps a valid token for one auth method."""

    def __init__(
        self,
        method: str = "token",
        *,
        role: str | None = None,
        mount: str | None = None,
        jwt_path: str = DEFAULT_K8S_JWT,
        renew_before_s: float = 300.0,
        environ: dict[str, str] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if method not in ("token", "approle", "kubernetes"):
            raise CredentialError(f"keys.vault_auth = {method!r}: allowed token, approle, kubernetes")
        if method in ("approle", "kubernetes") and not role:
            raise CredentialError(f"keys.vault_role must be set for vault_auth={method} (the role_id / role name)")
        self.method = method
        self.role = role
        self.mount = mount or method
        self.jwt_path = jwt_path
        self.renew_before_s = renew_before_s
        self._env = dict(os.environ if environ is None else environ)
        self._clock = clock
        self.expires_at: float | None = None  # monotonic; None = never expires (or unknown yet)
        self.renewals = 0
        self.logins = 0

    def login(self, client: hvac.Client) -> None:
        if self.method == "token":
            token = _first_env(TOKEN_ENVS, self._env)
            if not token:
                raise CredentialError("vault_auth=token needs VAULT_TOKEN (or MATRIX_KEYS_VAULT_TOKEN) in the environment")
            client.token = token
            data = client.auth.token.lookup_self()["data"]
            ttl = data.get("ttl") or 0
        elif self.method == "approle":
            secret_id = _first_env(SECRET_ID_ENVS, self._env)
            if not secret_id:
                raise CredentialError(
                    "vault_auth=approle needs VAULT_SECRET_ID (or MATRIX_KEYS_VAULT_SECRET_ID) in the environment")
            resp = client.auth.approle.login(role_id=self.role, secret_id=secret_id, mount_point=self.mount)
            ttl = resp["auth"].get("lease_duration") or 0
        else:
            try:
                jwt = Path(self.jwt_path).read_text().strip()
            except OSError as exc:
                raise CredentialError(
                    f"vault_auth=kubernetes: cannot read service-account token {self.jwt_path}: {exc.strerror}") from None
            resp = client.auth.kubernetes.login(role=self.role, jwt=jwt, mount_point=self.mount)
            ttl = resp["auth"].get("lease_duration") or 0
        self.logins += 1
        self._set_ttl(ttl)
        log.info("vault login ok", extra={"vault_auth": self.method, "ttl_s": ttl})

    def _set_ttl(self, ttl: float) -> None:
        self.expires_at = self._clock() + float(ttl) if ttl else None

    def ensure_fresh(self, client: hvac.Client) -> None:
        """Renew (or log in again) when the token is within renew_before_s of expiring."""
        if self.expires_at is None or self._clock() < self.expires_at - self.renew_before_s:
            return
        try:
            resp = client.auth.token.renew_self()
            self._set_ttl(resp["auth"].get("lease_duration") or 0)
            self.renewals += 1
            log.info("vault token renewed", extra={"vault_auth": self.method})
        except _DOWN:
            raise
        except hv.VaultError as exc:
            if self.method == "token":
                raise CredentialError(f"vault token cannot be renewed and expires soon: {type(exc).__name__}") from None
            log.warning("vault token renewal refused; logging in again", extra={"vault_auth": self.method})
            self.login(client)


class VaultBackend:
    name = "vault"

    def __init__(
        self,
        client: hvac.Client,
        auth: VaultAuth,
        *,
        mount: str = "secret",
        prefix: str = "affiliate-matrix",
    ) -> None:
        self.client = client
        self.auth = auth
        self.mount = mount
        self.prefix = prefix.strip("/")
        self._logged_in = False

    @classmethod
    def create(cls, addr: str, auth: VaultAuth, *, mount: str, prefix: str, namespace: str | None = None,
               timeout_s: float = 5.0) -> "VaultBackend":
        # strict_http: LIST is sent as GET ?list=true, which Vault accepts and proxies never mangle.
        client = hvac.Client(url=addr, namespace=namespace, timeout=timeout_s, strict_http=True)
        return cls(client, auth, mount=mount, prefix=prefix)

    # -- plumbing ----------------------------------------------------------------------------
    def _full(self, path: str) -> str:
        return f"{self.prefix}/{path}" if self.prefix else path

    def _call(self, what: str, fn: Callable[[], Any]) -> Any:
        try:
            if not self._logged_in:
                self.auth.login(self.client)
                self._logged_in = True
            else:
                self.auth.ensure_fresh(self.client)
            return fn()
        except _DOWN as exc:
            raise BackendUnavailable(f"vault unreachable during {what}: {type(exc).__name__}") from None
        except hv.Forbidden:
            raise PermissionDeniedByStore(f"vault policy denies {what}") from None
        except hv.InvalidRequest as exc:
            if "check-and-set" in str(exc):
                raise CasConflict(f"{what}: check-and-set version mismatch") from None
            raise CredentialError(f"vault rejected {what}: {exc.errors}") from None

    # -- Backend ----------------------------------------------------------------------------
    def read(self, path: str) -> Stored | None:
        def go() -> Stored | None:
            try:
                resp = self.client.secrets.kv.v2.read_secret_version(
                    path=self._full(path), mount_point=self.mount, raise_on_deleted_version=True)
            except hv.InvalidPath:
                return None
            meta = resp["data"]["metadata"]
            return Stored(doc=resp["data"]["data"], version=int(meta["version"]),
                          custom=dict(meta.get("custom_metadata") or {}))
        return self._call(f"read {path}", go)

    def write(self, path: str, doc: dict[str, Any], cas: int) -> int:
        def go() -> int:
            resp = self.client.secrets.kv.v2.create_or_update_secret(
                path=self._full(path), secret=doc, cas=cas, mount_point=self.mount)
            return int(resp["data"]["version"])
        return self._call(f"write {path}", go)

    def set_custom(self, path: str, custom: dict[str, str]) -> None:
        self._call(f"update metadata {path}", lambda: self.client.secrets.kv.v2.update_metadata(
            path=self._full(path), custom_metadata={k: str(v) for k, v in custom.items()}, mount_point=self.mount))

    def list_paths(self, prefix: str = "") -> list[str]:
        def walk(rel: str, depth: int) -> list[str]:
            try:
                keys = self.client.secrets.kv.v2.list_secrets(
                    path=self._full(rel).rstrip("/") if rel else self.prefix, mount_point=self.mount)["data"]["keys"]
            except hv.InvalidPath:
                return []
            except hv.Forbidden:
                if rel != start:
                    return []  # a denied subtree (e.g. ingest under matrix/) is simply not listed
                raise
            out: list[str] = []
            for k in keys:
                child = f"{rel}{k}"
                if k.endswith("/") and depth < 3:
                    out.extend(walk(child, depth + 1))
                elif not k.endswith("/"):
                    out.append(child)
            return out
        start = prefix if prefix.endswith("/") or not prefix else prefix + "/"
        return sorted(self._call(f"list {prefix or '/'}", lambda: walk(start, start.count("/") + 1)))

    def history(self, path: str) -> list[VersionInfo]:
        def go() -> list[VersionInfo]:
            try:
                data = self.client.secrets.kv.v2.read_secret_metadata(path=self._full(path), mount_point=self.mount)["data"]
            except hv.InvalidPath:
                return []
            return sorted((VersionInfo(int(v), info.get("created_time"), bool(info.get("destroyed")))
                           for v, info in data.get("versions", {}).items()), key=lambda x: x.version)
        return self._call(f"history {path}", go)

    def available(self) -> bool:
        try:
            resp = self.client.sys.read_health_status(method="GET")
        except Exception:
            return False
        status = getattr(resp, "status_code", 200)
        return status in (200, 429, 473)  # active, standby, performance standby

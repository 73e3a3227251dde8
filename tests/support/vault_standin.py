"""A STAND-IN for HashiCorp Vault, for tests only. It is not Vault and not a security boundary.

No Vault or OpenBao server can be installed on the test machines, so the Vault backend is tested
through the real hvac client against this small aiohttp server on 127.0.0.1. It implements only
the endpoints the backend uses, with Vault's JSON shapes and status codes:

- GET  /v1/sys/health                                   (200 active; 503 when `sealed`)
- GET  /v1/auth/token/lookup-self, POST /v1/auth/token/renew-self
- POST /v1/auth/approle/login        {role_id, secret_id}
- POST /v1/auth/kubernetes/login     {role, jwt}
- KV v2 at /v1/<mount>/:
    GET  data/<path>[?version=N]     read latest or one version (404 when absent)
    POST data/<path>                 write {data, options.cas}; cas mismatch -> 400 "check-and-set ..."
    GET  metadata/<path>             versions, current_version, custom_metadata
    POST metadata/<path>             custom_metadata update (no new version)
    LIST metadata/<path> (or GET ?list=true)   keys below a folder
    DELETE metadata/<path>
- ACL enforcement: every token carries named policies written in Vault HCL (`path "..." {
  capabilities = [...] }`), parsed here and evaluated with Vault's glob rules ('+' one segment,
  trailing '*', most specific path wins, deny wins); `root` may do anything. Token TTLs expire
  (403 afterwards) and renew-self extends them, so renewal logic is observable.

State lives in the Python object, so `stop()` then `start()` on the same port simulates an
outage and recovery without losing data. `requests` counts calls per endpoint for assertions.
"""

from __future__ import annotations

import asyncio
import collections
import datetime as dt
import re
import secrets as pysecrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

_PATH_RULE = re.compile(r'path\s+"([^"]+)"\s*\{\s*capabilities\s*=\s*\[([^\]]*)\]\s*\}', re.S)


def parse_hcl(text: str) -> list[tuple[str, set[str]]]:
    rules = []
    for path, caps in _PATH_RULE.findall(text):
        rules.append((path, {c.strip().strip('"') for c in caps.split(",") if c.strip()}))
    return rules


def _glob_match(pattern: str, path: str) -> bool:
    glob = pattern.endswith("*")
    body = pattern[:-1] if glob else pattern
    rx = "/".join("[^/]+" if seg == "+" else re.escape(seg) for seg in body.split("/"))
    return re.fullmatch(rx + (".*" if glob else ""), path) is not None


def _rank(pattern: str) -> tuple:
    wild = [i for i, c in enumerate(pattern) if c in "+*"]
    return (wild[0] if wild else 10**6, not pattern.endswith("*"), -pattern.count("+"), len(pattern), pattern)


def _now_iso() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat().replace("+00:00", "Z")


@dataclass
class Token:
    policies: list[str]
    ttl: int = 0  # 0 = never expires
    renewable: bool = True
    expires: float | None = None

    def __post_init__(self) -> None:
        if self.ttl and self.expires is None:
            self.expires = time.time() + self.ttl


@dataclass
class Entry:
    versions: dict[int, dict[str, Any]] = field(default_factory=dict)
    created: dict[int, str] = field(default_factory=dict)
    custom: dict[str, str] = field(default_factory=dict)
    current: int = 0


class VaultStandIn:
    def __init__(self, mount: str = "secret") -> None:
        self.mount = mount
        self.policies: dict[str, str] = {}
        self.tokens: dict[str, Token] = {}
        self.approles: dict[str, tuple[str, list[str], int]] = {}  # role_id -> (secret_id, policies, ttl)
        self.k8s_roles: dict[str, tuple[str, list[str], int]] = {}  # role -> (jwt, policies, ttl)
        self.kv: dict[str, Entry] = {}
        self.sealed = False
        self.requests: collections.Counter[str] = collections.Counter()
        self.port: int | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._lock = threading.Lock()

    # -- setup helpers for tests ----------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def add_policy(self, name: str, hcl: str) -> None:
        self.policies[name] = hcl

    def issue_token(self, policies: list[str], ttl: int = 0, renewable: bool = True) -> str:
        tok = "hvs.standin" + pysecrets.token_hex(8)
        self.tokens[tok] = Token(list(policies), ttl, renewable)
        return tok

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> "VaultStandIn":
        if self.port is None:
            from matrix.ports import free_port

            self.port = free_port()
        ready = threading.Event()
        self._loop = asyncio.new_event_loop()

        def run() -> None:
            asyncio.set_event_loop(self._loop)
            app = web.Application()
            app.router.add_route("*", "/v1/{tail:.*}", self._dispatch)
            self._runner = web.AppRunner(app, access_log=None)
            self._loop.run_until_complete(self._runner.setup())
            site = web.TCPSite(self._runner, "127.0.0.1", self.port, reuse_address=True)
            self._loop.run_until_complete(site.start())
            ready.set()
            self._loop.run_forever()
            self._loop.run_until_complete(self._runner.cleanup())
            self._loop.close()

        self._thread = threading.Thread(target=run, name="vault-standin", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("vault stand-in did not start")
        return self

    def stop(self) -> None:
        if self._loop is None:
            return
        self._loop.call_soon_threadsafe(self._loop.stop)
        assert self._thread is not None
        self._thread.join(10)
        self._loop = None

    # -- request handling -------------------------------------------------------------------
    @staticmethod
    def _err(status: int, *msgs: str) -> web.Response:
        return web.json_response({"errors": list(msgs)}, status=status)

    def _token(self, request: web.Request) -> Token | None:
        tok = self.tokens.get(request.headers.get("X-Vault-Token", ""))
        if tok is None or (tok.expires is not None and tok.expires < time.time()):
            return None
        return tok

    def _allowed(self, tok: Token, path: str, cap: str) -> bool:
        if "root" in tok.policies:
            return True
        granted: set[str] = set()
        for name in tok.policies:
            rules = [(p, c) for p, c in parse_hcl(self.policies.get(name, "")) if _glob_match(p, path)]
            if rules:
                granted |= max(rules, key=lambda pc: _rank(pc[0]))[1]
        return "deny" not in granted and cap in granted

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        tail = request.match_info["tail"]
        method = request.method.upper()
        if method == "GET" and request.query.get("list") == "true":
            method = "LIST"
        self.requests[f"{method} {tail.split('/')[0]}/{tail.split('/')[1] if '/' in tail else ''}"] += 1
        body: dict[str, Any] = {}
        if request.can_read_body:
            try:
                body = await request.json()
            except Exception:
                body = {}
        with self._lock:
            return self._handle(request, method, tail, body)

    def _auth_response(self, policies: list[str], ttl: int) -> web.Response:
        tok = self.issue_token(policies, ttl)
        return web.json_response({"auth": {"client_token": tok, "policies": policies, "lease_duration": ttl,
                                           "renewable": True}})

    def _handle(self, request: web.Request, method: str, tail: str, body: dict[str, Any]) -> web.Response:
        if tail == "sys/health":
            return self._err(503, "Vault is sealed") if self.sealed else web.json_response(
                {"initialized": True, "sealed": False, "standby": False, "version": "stand-in"})
        if self.sealed:
            return self._err(503, "Vault is sealed")
        if tail == "auth/approle/login" and method in ("POST", "PUT"):
            role = self.approles.get(body.get("role_id", ""))
            if role is None or not pysecrets.compare_digest(role[0], body.get("secret_id") or ""):
                return self._err(400, "invalid role or secret ID")
            return self._auth_response(role[1], role[2])
        if tail == "auth/kubernetes/login" and method in ("POST", "PUT"):
            role = self.k8s_roles.get(body.get("role", ""))
            if role is None or not pysecrets.compare_digest(role[0], body.get("jwt") or ""):
                return self._err(403, "permission denied")
            return self._auth_response(role[1], role[2])
        tok = self._token(request)
        if tok is None:
            return self._err(403, "permission denied")
        if tail == "auth/token/lookup-self":
            ttl = int(tok.expires - time.time()) if tok.expires else 0
            return web.json_response({"data": {"policies": tok.policies, "ttl": ttl, "renewable": tok.renewable}})
        if tail == "auth/token/renew-self" and method in ("POST", "PUT"):
            if not tok.renewable or not tok.ttl:
                return self._err(400, "lease is not renewable")
            tok.expires = time.time() + tok.ttl
            return web.json_response({"auth": {"client_token": request.headers["X-Vault-Token"],
                                               "lease_duration": tok.ttl, "renewable": True}})
        prefix = f"{self.mount}/"
        if not tail.startswith(prefix):
            return self._err(404, f"no handler for route {tail!r}")
        rest = tail[len(prefix):]
        kind, _, path = rest.partition("/")
        if kind == "data":
            return self._data(request, method, tail, path.strip("/"), body, tok)
        if kind == "metadata":
            return self._metadata(method, tail, path, body, tok)
        return self._err(404, f"no handler for route {tail!r}")

    def _data(self, request: web.Request, method: str, tail: str, path: str, body: dict, tok: Token) -> web.Response:
        entry = self.kv.get(path)
        if method == "GET":
            if not self._allowed(tok, tail, "read"):
                return self._err(403, "1 error occurred:\n\t* permission denied\n\n")
            if entry is None or not entry.current:
                return self._err(404)
            version = int(request.query.get("version") or entry.current)
            if version not in entry.versions:
                return self._err(404)
            return web.json_response({"data": {"data": entry.versions[version], "metadata": {
                "created_time": entry.created[version], "custom_metadata": entry.custom or None,
                "deletion_time": "", "destroyed": False, "version": version}}})
        if method in ("POST", "PUT"):
            cap = "update" if entry is not None and entry.current else "create"
            if not self._allowed(tok, tail, cap):
                return self._err(403, "1 error occurred:\n\t* permission denied\n\n")
            cas = (body.get("options") or {}).get("cas")
            current = entry.current if entry else 0
            if cas is not None and int(cas) != current:
                return self._err(400, "check-and-set parameter did not match the current version")
            entry = self.kv.setdefault(path, Entry())
            entry.current += 1
            entry.versions[entry.current] = body.get("data") or {}
            entry.created[entry.current] = _now_iso()
            return web.json_response({"data": {"created_time": entry.created[entry.current],
                                               "custom_metadata": entry.custom or None, "deletion_time": "",
                                               "destroyed": False, "version": entry.current}})
        return self._err(405, "unsupported operation")

    def _metadata(self, method: str, tail: str, path: str, body: dict, tok: Token) -> web.Response:
        if method == "LIST":
            folder = path.strip("/") + "/" if path.strip("/") else ""
            if not self._allowed(tok, tail.rstrip("/") + "/", "list"):
                return self._err(403, "1 error occurred:\n\t* permission denied\n\n")
            keys = set()
            for p, e in self.kv.items():
                if e.current and p.startswith(folder):
                    head, sep, _ = p[len(folder):].partition("/")
                    keys.add(head + sep)
            if not keys:
                return self._err(404)
            return web.json_response({"data": {"keys": sorted(keys)}})
        path = path.strip("/")
        entry = self.kv.get(path)
        if method == "GET":
            if not self._allowed(tok, tail, "read"):
                return self._err(403, "permission denied")
            if entry is None:
                return self._err(404)
            return web.json_response({"data": {
                "current_version": entry.current, "custom_metadata": entry.custom or None, "max_versions": 0,
                "versions": {str(v): {"created_time": entry.created[v], "deletion_time": "", "destroyed": False}
                             for v in entry.versions}}})
        if method in ("POST", "PUT"):
            if not self._allowed(tok, tail, "update"):
                return self._err(403, "permission denied")
            entry = self.kv.setdefault(path, Entry())
            if "custom_metadata" in body:
                entry.custom = {str(k): str(v) for k, v in (body["custom_metadata"] or {}).items()}
            return web.Response(status=204)
        if method == "DELETE":
            if not self._allowed(tok, tail, "delete"):
                return self._err(403, "permission denied")
            self.kv.pop(path, None)
            return web.Response(status=204)
        return self._err(405, "unsupported operation")

"""Fixtures shared by the key-management tests: the Vault stand-in, managers over either backend,
and the leak guard that fails a test module when any test secret reaches a log record.

Every secret a test uses is made by `make_secret()`, which registers it; the guard captures all
log records of the module (DEBUG and up, tracebacks included, WITHOUT the redaction filter, so
it proves the code never logs values rather than that the filter hides them) and checks none
of the registered values appear.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets as pysecrets
from pathlib import Path
from typing import Callable, Iterator

import pytest
from cryptography.fernet import Fernet

from matrix.keys.audit import AuditLog
from matrix.keys.fallback import FallbackBackend
from matrix.keys.local import LocalFileBackend
from matrix.keys.manager import KeyManager
from matrix.keys.policy import DEFAULT_POLICIES, policy_name, render_hcl
from matrix.keys.vault import VaultAuth, VaultBackend
from tests.support.vault_standin import VaultStandIn

SECRETS: set[str] = set()
PREFIX = "affiliate-matrix"


def make_secret(tag: str = "t") -> str:
    value = f"sk-{tag}-{pysecrets.token_hex(10)}"
    SECRETS.add(value)
    return value


def leaked_in(text: str) -> list[str]:
    return [s for s in SECRETS if s in text]


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.texts: list[str] = []
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = self.format(record)
        except Exception as exc:  # a record that cannot format is itself a bug worth seeing
            text = f"unformattable record: {exc!r}"
        extras = {k: v for k, v in record.__dict__.items() if k not in logging.LogRecord("x", 0, "x", 0, "", None, None).__dict__}
        self.texts.append(text + " " + repr(extras))


@pytest.fixture(scope="module", autouse=True)
def leak_guard() -> Iterator[_Capture]:
    root = logging.getLogger()
    cap = _Capture()
    old_level = root.level
    root.addHandler(cap)
    root.setLevel(logging.DEBUG)
    logging.getLogger("tests.leak_guard").debug("leak guard active")
    try:
        yield cap
    finally:
        root.removeHandler(cap)
        root.setLevel(old_level)
    assert any("leak guard active" in t for t in cap.texts), "the leak guard captured nothing - it would miss a leak"
    leaks = [t for t in cap.texts if leaked_in(t)]
    if leaks:
        first = leaks[0][:300]
        for value in leaked_in(first):
            first = first.replace(value, "<TEST SECRET>")
        pytest.fail(f"secret values reached log records: {len(leaks)} record(s), first: {first}")


@pytest.fixture(scope="module")
def standin() -> Iterator[VaultStandIn]:
    server = VaultStandIn().start()
    for name, pol in DEFAULT_POLICIES.items():
        server.add_policy(policy_name(name), render_hcl(name, pol, "secret", PREFIX))
    yield server
    server.stop()


class Clock:
    """A settable clock so expiry and grace periods are tested without sleeping."""

    def __init__(self) -> None:
        self.now = dt.datetime.now(dt.timezone.utc)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += dt.timedelta(**kw)


@pytest.fixture
def clock() -> Clock:
    return Clock()


ManagerFactory = Callable[..., KeyManager]


def vault_manager(server: VaultStandIn, home: Path, component: str = "admin", *, token_policies: list[str] | None = None,
                  **kw) -> KeyManager:
    token = server.issue_token(token_policies or [policy_name(component)])
    backend = VaultBackend.create(server.url, VaultAuth("token", environ={"VAULT_TOKEN": token}),
                                  mount="secret", prefix=PREFIX, timeout_s=2)
    cache = LocalFileBackend(home / "vault-cache.enc", _key(home))
    return KeyManager(FallbackBackend(backend, cache), component=component,
                      audit=AuditLog(home / "audit.jsonl", component), **kw)


def local_manager(home: Path, component: str = "admin", **kw) -> KeyManager:
    return KeyManager(LocalFileBackend(home / "credentials.enc", _key(home)), component=component,
                      audit=AuditLog(home / "audit.jsonl", component), **kw)


def _key(home: Path) -> bytes:
    kf = home / "master.key"
    if not kf.exists():
        kf.write_bytes(Fernet.generate_key())
        kf.chmod(0o600)
    return kf.read_bytes()


@pytest.fixture(params=["local", "vault"])
def make_manager(request: pytest.FixtureRequest, tmp_path: Path) -> ManagerFactory:
    """Build managers over the parametrized backend; all managers of one test share one store."""
    if request.param == "vault":
        server: VaultStandIn = request.getfixturevalue("standin")
        server.kv.clear()
        server.sealed = False
        return lambda component="admin", **kw: vault_manager(server, tmp_path, component, **kw)
    return lambda component="admin", **kw: local_manager(tmp_path, component, **kw)

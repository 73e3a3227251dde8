"""Child process for the concurrent-rotation test: rotate one credential, report the outcome.

Run as `python -m tests.support.vault_rotator '<json>'`. Both children wait at a file
barrier, then rotate through a KeyIssuer that appends `created`/`revoked` lines to a shared
ledger, so the parent can prove exactly one rotation won and no provider key was orphaned.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from pathlib import Path

from matrix.keys import CredentialError, CredentialRef, KeyManager, Secret
from matrix.keys.fallback import FallbackBackend
from matrix.keys.local import LocalFileBackend
from matrix.keys.vault import VaultAuth, VaultBackend


class LedgerIssuer:
    def __init__(self, ledger: Path) -> None:
        self.ledger = ledger

    def _log(self, what: str, value: str) -> None:
        fd = os.open(self.ledger, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, f"{what} {value}\n".encode())
        finally:
            os.close(fd)

    def create_credential(self, ref: CredentialRef) -> Secret:
        value = f"sk-rotated-{os.getpid()}-{time.time_ns()}"
        self._log("created", value)
        return Secret(value)

    def revoke_credential(self, ref: CredentialRef, secret: Secret) -> None:
        self._log("revoked", secret.reveal())


class SlowCheck:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    async def check_credential(self, ref: CredentialRef, secret: Secret) -> bool:
        await asyncio.sleep(self.seconds)
        return True


def main(spec: dict) -> dict:
    home = Path(spec["home"])
    key = (home / "master.key").read_bytes()
    if spec["backend"] == "vault":
        auth = VaultAuth("token", environ={"VAULT_TOKEN": spec["token"]})
        backend = FallbackBackend(VaultBackend.create(spec["url"], auth, mount="secret", prefix=spec["prefix"]),
                                  LocalFileBackend(home / f"cache-{os.getpid()}.enc", key))
    else:
        backend = LocalFileBackend(home / "credentials.enc", key)
    ref = CredentialRef(*spec["ref"].split("/"))
    km = KeyManager(backend, issuers={ref.network: LedgerIssuer(Path(spec["ledger"]))}, rotation_grace_s=0)
    barrier = Path(spec["barrier"])  # both children ready (imports done) before either rotates
    (barrier / str(os.getpid())).touch()
    deadline = time.time() + 60
    while len(list(barrier.iterdir())) < spec["parties"] and time.time() < deadline:
        time.sleep(0.002)
    try:
        meta = km.rotate(ref, health_check=SlowCheck(spec["check_sleep"]))
        return {"ok": True, "version": meta.version}
    except CredentialError as exc:
        return {"ok": False, "error": type(exc).__name__, "message": str(exc)}


if __name__ == "__main__":
    print(json.dumps(main(json.loads(sys.argv[1]))))

"""Append-only audit trail: who did what to which credential, when - never the value.

One JSON object per line in MATRIX_HOME/keys/audit.jsonl (mode 0600), opened with O_APPEND so
concurrent processes interleave whole lines instead of overwriting each other. Entries carry the
component (the policy identity), the OS user, host and pid, the action, the credential path and
version, and the outcome. Values are never passed in, so they cannot be written by mistake.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
import socket
from pathlib import Path
from typing import Any

from matrix.keys.redact import scrub


class AuditLog:
    def __init__(self, path: Path, component: str) -> None:
        self.path = Path(path)
        self.component = component
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            self._user = getpass.getuser()
        except Exception:  # no passwd entry inside some containers
            self._user = str(os.getuid())
        self._host = socket.gethostname()

    def record(self, action: str, ref: str | None, outcome: str = "ok", **detail: Any) -> None:
        entry = {
            "ts": dt.datetime.now(dt.timezone.utc).isoformat(),
            "component": self.component,
            "user": self._user,
            "host": self._host,
            "pid": os.getpid(),
            "action": action,
            "ref": ref,
            "outcome": outcome,
        }
        entry.update({k: v for k, v in detail.items() if v is not None})
        line = scrub(json.dumps(entry, default=str, sort_keys=True)) + "\n"
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line.encode())
        finally:
            os.close(fd)

    def entries(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text().splitlines() if line.strip()]

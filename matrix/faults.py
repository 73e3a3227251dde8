"""Named fault points: where a chaos test may kill (or freeze) the process, by environment only.

Why: "converges after any kill" is only credible when kills land in every stage, reproducibly.
The ingest calls `fault_point("write:listings")` etc. between its steps; normally that is one
dictionary lookup. With `MATRIX_FAULT_AT=write:listings` (or `name#3` for the third time the point
is reached) the process sends itself SIGKILL there: no cleanup, no atexit, exactly like
`kill -9` from outside. `MATRIX_FAULT_ACTION=stop` sends SIGSTOP instead, so a test can inspect
the frozen process tree and then kill it itself; `raise` raises `InjectedFault` there every time
from the nth hit on (an error burst, e.g. for the 5xx alert test). Never set these outside tests.
"""

from __future__ import annotations

import os
import signal
from collections import Counter

ENV_POINT = "MATRIX_FAULT_AT"
ENV_ACTION = "MATRIX_FAULT_ACTION"
_hits: Counter[str] = Counter()


def fault_point(name: str) -> None:
    """Kill (or stop) this process here when MATRIX_FAULT_AT names this point."""
    spec = os.environ.get(ENV_POINT)
    if not spec:
        return
    target, _, nth = spec.partition("#")
    if target != name:
        return
    _hits[name] += 1
    if _hits[name] < int(nth or 1):
        return
    action = os.environ.get(ENV_ACTION, "kill")
    if action == "raise":
        raise InjectedFault(f"fault injected at {name} (MATRIX_FAULT_AT)")
    os.kill(os.getpid(), signal.SIGSTOP if action == "stop" else signal.SIGKILL)


class InjectedFault(RuntimeError):
    """Raised at a fault point with MATRIX_FAULT_ACTION=raise: an unexpected error, on purpose."""

"""One dispatcher process for the multi-dispatcher kill test (tests/integration/test_triggers_outbox_kill.py).

    python -m tests.support.outbox_dispatcher DB WORLD HOOK_URL LEASE_S

Touches `ready-<pid>` beside DB once it dispatches (the test kills only ready dispatchers).

Runs the real TriggerEngine.dispatch over the shared outbox until nothing is pending or running.
Two kinds of actions:
- `notify`: the real NotifyHandler + WebhookNotifier (signed, to the receiver on 127.0.0.1); the
  User-Agent carries this process's pid so the test can tell which dispatcher sent what.
- `own`: an effect of ours through the real OwnEffect ledger: it appends (key, pid) to the WORLD
  database (a separate SQLite file, so effect and ledger are NOT one transaction - the probe
  "is the key already in the world?" is what must prevent a second effect).
Small random sleeps between steps make a SIGKILL land anywhere: before, inside or after an effect.
"""

from __future__ import annotations

import os
import random
import sqlite3
import sys
import time
from pathlib import Path


def main(db: str, world: str, hook_url: str, lease_s: float) -> int:
    from matrix.triggers.actions import NotifyHandler, OwnEffect, WebhookNotifier
    from matrix.triggers.engine import TriggerEngine
    from matrix.triggers.outbox import Outbox

    pid = os.getpid()
    rnd = random.Random(pid)
    box = Outbox(db)

    def world_db() -> sqlite3.Connection:
        c = sqlite3.connect(world, timeout=60, isolation_level=None)
        c.execute("CREATE TABLE IF NOT EXISTS effects (key TEXT NOT NULL, pid INTEGER NOT NULL)")
        return c

    effect = OwnEffect(box, "own")

    def own(rec):
        def act():
            time.sleep(rnd.random() * 0.01)
            c = world_db()
            try:
                c.execute("INSERT INTO effects (key, pid) VALUES (?, ?)", (rec.idempotency_key, pid))
            finally:
                c.close()
            time.sleep(rnd.random() * 0.01)  # a kill here: effect done, ledger not yet written
            return {"pid": pid}

        def probe(info, started):
            c = world_db()
            try:
                hit = c.execute("SELECT pid FROM effects WHERE key = ?", (rec.idempotency_key,)).fetchone()
            finally:
                c.close()
            return {"pid": hit[0]} if hit else None

        return effect.run(rec, {}, act, probe)

    hook = WebhookNotifier(hook_url, timeout_s=10, secret=lambda: "kill-test-secret", user_agent=f"disp-{pid}",
                           allow_private=["127.0.0.1/32"])
    notify = NotifyHandler([hook])

    def slow_notify(rec):
        time.sleep(rnd.random() * 0.01)
        out = notify(rec)
        time.sleep(rnd.random() * 0.01)  # a kill here: delivered, not yet marked done -> unavoidable duplicate
        return out

    engine = TriggerEngine([], None, box, {"notify": slow_notify, "own": own}, lease_s=lease_s, batch=10,
                           backoff_base_s=0.2, backoff_max_s=1.0, max_attempts=50)
    ready = Path(db).parent / f"ready-{pid}"
    while True:
        try:
            rep = engine.dispatch()
            ready.touch()
            if not (rep.done or rep.retrying or rep.failed or rep.lease_lost):
                c = rep.outbox
                if c["pending"] == 0 and c["running"] == 0:
                    return 0
                time.sleep(0.05)
        except Exception as exc:  # survive anything (a locked database...), like the real loop
            print(f"dispatcher {pid}: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
            time.sleep(0.05)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])))

"""The outbox under crashes: several dispatcher processes over 500 actions, SIGKILLed at random points.

Half the actions are webhooks (external: duplicates are allowed only where a crash made them
unavoidable, and carry the same idempotency key), half are effects of ours through the ledger
(no second effect, ever). Nothing may be lost. The figures are printed (run with -s to see them).
"""

from __future__ import annotations

import collections
import datetime as dt
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from matrix.triggers.outbox import Outbox
from matrix.triggers.webhooks import EVENT_ID_HEADER, verify_signature
from tests.support.dork_server import DorkServer

REPO = Path(__file__).resolve().parents[2]
N_NOTIFY, N_OWN = 250, 250
DISPATCHERS = 3
MAX_KILLS = int(os.environ.get("KILL_TEST_KILLS", "10"))
LEASE_S = 4.0


def _spawn(db: Path, world: Path, url: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, "-m", "tests.support.outbox_dispatcher", str(db), str(world), url, str(LEASE_S)],
                            cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


@pytest.fixture
def receiver():
    s = DorkServer().start()
    yield s
    s.stop()


def test_sigkilled_dispatchers_lose_nothing_and_never_repeat_our_effects(tmp_path, receiver):
    db, world = tmp_path / "outbox.sqlite", tmp_path / "world.sqlite"
    box = Outbox(db)
    now = dt.datetime.now(dt.timezone.utc)
    items = [("kill", f"kill:n{i}", "notify", {"summary": f"n{i}"}, f"n{i:04d}") for i in range(N_NOTIFY)]
    items += [("kill", f"kill:o{i}", "own", {"i": i}, f"o{i:04d}") for i in range(N_OWN)]
    random.Random(7).shuffle(items)
    box.enqueue_many(items, now)

    rnd = random.Random(int(os.environ.get("KILL_TEST_SEED", "15")))
    url = receiver.url + "/hook"
    procs = [_spawn(db, world, url) for _ in range(DISPATCHERS)]
    killed: set[int] = set()
    kills = 0
    t0 = time.monotonic()
    try:
        while time.monotonic() - t0 < 150:
            c = box.counts()
            if c["pending"] == 0 and c["running"] == 0:
                break
            time.sleep(rnd.uniform(0.1, 0.4))
            alive = [p for p in procs if p.poll() is None]
            ready = [p for p in alive if (tmp_path / f"ready-{p.pid}").exists()]  # importing is not dispatching
            if kills < MAX_KILLS and ready:
                victim = rnd.choice(ready)
                os.kill(victim.pid, signal.SIGKILL)
                victim.wait()
                killed.add(victim.pid)
                kills += 1
                procs.append(_spawn(db, world, url))
            if len(alive) < DISPATCHERS and kills >= MAX_KILLS and not alive:
                procs.append(_spawn(db, world, url))
        for p in procs:
            if p.poll() is None:
                p.wait(timeout=60)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    elapsed = time.monotonic() - t0
    survivors = [p for p in procs if p.pid not in killed]
    assert all(p.returncode == 0 for p in survivors), [p.stderr.read().decode()[-500:] for p in survivors if p.returncode]

    # 0 lost: every action done, every webhook delivered, every effect applied
    counts = box.counts()
    actions = {r.id: r for r in box.list(limit=10_000)}
    assert counts == {"pending": 0, "running": 0, "done": N_NOTIFY + N_OWN, "failed": 0}, counts
    deliveries: dict[str, list[int]] = collections.defaultdict(list)
    for h in receiver.hooks:
        eid = verify_signature("kill-test-secret", h["headers"], h["body"])  # signed, fresh
        assert eid == h["headers"][EVENT_ID_HEADER] == h["json"]["event_id"] == actions[eid].idempotency_key
        deliveries[eid].append(int(h["headers"]["User-Agent"].split("-")[1]))
    notify_ids = {i for i, r in actions.items() if r.action == "notify"}
    lost_webhooks = notify_ids - set(deliveries)
    w = sqlite3.connect(world)
    rows = w.execute("SELECT key, COUNT(*) FROM effects GROUP BY key").fetchall()
    w.close()
    effects = dict(rows)
    own_ids = {i for i, r in actions.items() if r.action == "own"}
    lost_effects = own_ids - set(effects)
    second_effects = sum(n - 1 for n in effects.values())

    # duplicates only where a crash made them unavoidable: every delivery but the last came from a killed process
    duplicated = {eid: pids for eid, pids in deliveries.items() if len(pids) > 1}
    avoidable = {eid: pids for eid, pids in duplicated.items() if any(p not in killed for p in pids[:-1])}
    reclaimed = sum(1 for r in actions.values() if r.attempts > 1)
    print(f"\nkill test: actions={len(actions)} (webhooks {N_NOTIFY}, own {N_OWN}) dispatchers={DISPATCHERS} "
          f"started={len(procs)} kills={kills} reclaimed_after_crash={reclaimed} lost={len(lost_webhooks) + len(lost_effects)} "
          f"second_effects={second_effects} webhook_duplicates={sum(len(p) - 1 for p in duplicated.values())} "
          f"avoidable_duplicates={len(avoidable)} seconds={elapsed:.1f}")
    assert kills >= min(5, MAX_KILLS)
    assert not lost_webhooks and not lost_effects
    assert second_effects == 0, {k: n for k, n in effects.items() if n > 1}
    assert not avoidable, avoidable
    assert sum(len(p) - 1 for p in duplicated.values()) <= kills
    assert reclaimed >= (1 if kills else 0)  # kills did land on actions in flight

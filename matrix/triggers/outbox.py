"""The durable outbox: every action a rule fires is a row in SQLite under MATRIX_HOME.

Why SQLite and not a queue: triggers run from the CLI, a Ray job and a Serve replica, sometimes
at once, on one machine or a shared volume. SQLite gives transactions across processes with no
server: the cooldown check, the firing record and the enqueued actions commit together (BEGIN
IMMEDIATE), so two evaluators cannot both fire one condition, and a crash never leaves a firing
without its actions. Action ids derive from (firing key, action, fire time): enqueueing the
same firing twice is a no-op.

Exactly-once effects, in three parts:
* **A lease per action, with a claim token.** `claim` hands out one row at a time with a fresh
  random token and its own `claimed_until`; the dispatcher renews it while the handler runs.
  `complete`/`fail`/`renew` only act when `(id, claim_token)` still match a `running` row, so a
  dispatcher whose lease expired (and whose row another dispatcher took over) cannot overwrite
  the newer holder's outcome - it learns it lost the lease instead.
* **An idempotency key per action** (stable across retries and re-claims), sent to external
  receivers (webhook header) and checked by our own effects.
* **The effects ledger** (`effects` table): an own action (re-crawl, index refresh, key
  rotation) records its key when its effect is committed; a repeat finds it and returns the stored
  result instead of acting again (`apply_effect` commits a SQLite effect and its ledger row in one
  transaction; other effects probe the world - "did a crawl of this source finish after we
  started?" - before acting again).
Nothing is deleted: `done` and `failed` (dead-letter, with `dead_reason`) rows are the audit trail.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import secrets
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

STATUSES = ("pending", "running", "done", "failed")
_SCHEMA = """
CREATE TABLE IF NOT EXISTS actions (
    id TEXT PRIMARY KEY, rule TEXT NOT NULL, firing_key TEXT NOT NULL, action TEXT NOT NULL,
    payload TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL, claimed_until REAL, created_at REAL NOT NULL, updated_at REAL NOT NULL,
    last_error TEXT, result TEXT);
CREATE INDEX IF NOT EXISTS actions_due ON actions (status, next_attempt_at);
CREATE TABLE IF NOT EXISTS firings (key TEXT PRIMARY KEY, rule TEXT NOT NULL, last_fired_at REAL NOT NULL,
    count INTEGER NOT NULL DEFAULT 1);
CREATE TABLE IF NOT EXISTS rule_state (rule TEXT PRIMARY KEY, last_evaluated_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS rule_seen (rule TEXT NOT NULL, item TEXT NOT NULL, PRIMARY KEY (rule, item));
CREATE TABLE IF NOT EXISTS effects (idempotency_key TEXT PRIMARY KEY, action TEXT NOT NULL, state TEXT NOT NULL,
    info TEXT, result TEXT, started_at REAL NOT NULL, done_at REAL);
"""
# Columns added after the first release: existing databases are migrated in place.
_ADDED_COLUMNS = {"claim_token": "TEXT", "idempotency_key": "TEXT", "dead_reason": "TEXT"}


def _ts(t: dt.datetime) -> float:
    return t.timestamp()


def _dt(x: float | None) -> dt.datetime | None:
    return None if x is None else dt.datetime.fromtimestamp(x, dt.timezone.utc)


def action_id(firing_key: str, action: str, fired_at: dt.datetime) -> str:
    return hashlib.blake2b(f"{firing_key}|{action}|{fired_at.isoformat()}".encode(), digest_size=12).hexdigest()


@dataclass(frozen=True)
class ActionRecord:
    id: str
    rule: str
    firing_key: str
    action: str
    payload: dict[str, Any]
    status: str
    attempts: int
    next_attempt_at: dt.datetime | None
    created_at: dt.datetime | None
    updated_at: dt.datetime | None
    last_error: str | None
    result: dict[str, Any] | None
    idempotency_key: str = ""
    claim_token: str | None = None
    claimed_until: dt.datetime | None = None
    dead_reason: str | None = None

    @classmethod
    def from_row(cls, r: sqlite3.Row) -> "ActionRecord":
        return cls(id=r["id"], rule=r["rule"], firing_key=r["firing_key"], action=r["action"],
                   payload=json.loads(r["payload"]), status=r["status"], attempts=r["attempts"],
                   next_attempt_at=_dt(r["next_attempt_at"]), created_at=_dt(r["created_at"]),
                   updated_at=_dt(r["updated_at"]), last_error=r["last_error"],
                   result=json.loads(r["result"]) if r["result"] else None,
                   idempotency_key=r["idempotency_key"] or r["id"], claim_token=r["claim_token"],
                   claimed_until=_dt(r["claimed_until"]), dead_reason=r["dead_reason"])

    def as_dict(self) -> dict[str, Any]:
        out = dict(vars(self))
        out.pop("claim_token")  # a capability of the holder, not something to show
        for k in ("next_attempt_at", "created_at", "updated_at", "claimed_until"):
            out[k] = out[k].isoformat() if out[k] else None
        return out


class LeaseLost(RuntimeError):
    """The row is no longer ours (lease expired and another dispatcher took it, or it finished)."""


class Outbox:
    """All reads and writes of the trigger database. One short connection per call (thread- and process-safe)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        db = sqlite3.connect(self.path, timeout=60, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")  # readers never block the evaluator's writes
            db.execute("BEGIN IMMEDIATE")  # one migrator at a time when several processes start together
            for stmt in filter(str.strip, _SCHEMA.split(";")):
                db.execute(stmt)
            have = {r[1] for r in db.execute("PRAGMA table_info(actions)")}
            for col, typ in _ADDED_COLUMNS.items():
                if col not in have:
                    db.execute(f"ALTER TABLE actions ADD COLUMN {col} {typ}")
            db.execute("COMMIT")
        finally:
            db.close()

    def _conn(self) -> sqlite3.Connection:
        """This thread's connection (kept open: closing the last WAL connection checkpoints the
        whole log, which made every short transaction pay a full sync)."""
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=60, isolation_level=None)
            db.row_factory = sqlite3.Row
            # WAL + NORMAL: a committed transaction survives any process crash (SIGKILL included); only
            # a power cut can lose the last few - and then an action runs again, never silently vanishes.
            db.execute("PRAGMA synchronous=NORMAL")
            self._local.db = db
        return db

    @contextlib.contextmanager
    def _tx(self, immediate: bool = False) -> Iterator[sqlite3.Connection]:
        db = self._conn()
        db.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")
        try:
            yield db
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise

    # -- firing ------------------------------------------------------------------------------
    def cooldown_left(self, key: str, now: dt.datetime, cooldown_s: float) -> float:
        """Seconds until `key` may fire again (0 = may fire now)."""
        with self._tx() as db:
            return self._cooldown_left(db, key, now, cooldown_s)

    @staticmethod
    def _cooldown_left(db: sqlite3.Connection, key: str, now: dt.datetime, cooldown_s: float) -> float:
        row = db.execute("SELECT last_fired_at FROM firings WHERE key = ?", (key,)).fetchone()
        if row is None:
            return 0.0
        return max(0.0, row["last_fired_at"] + cooldown_s - _ts(now))

    def fire(self, rule: str, key: str, payloads: dict[str, dict[str, Any]], now: dt.datetime,
             cooldown_s: float) -> list[str] | None:
        """Atomically: unless `key` is cooling down, record the firing and enqueue one row per action.
        Returns the action ids, or None when the cooldown suppressed it."""
        with self._tx(immediate=True) as db:
            if self._cooldown_left(db, key, now, cooldown_s) > 0:
                return None
            db.execute("INSERT INTO firings (key, rule, last_fired_at) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE "
                       "SET last_fired_at = excluded.last_fired_at, count = count + 1", (key, rule, _ts(now)))
            return [self._enqueue(db, rule, key, action, payload, now) for action, payload in payloads.items()]

    def enqueue(self, rule: str, firing_key: str, action: str, payload: dict[str, Any], now: dt.datetime,
                id: str | None = None, idempotency_key: str | None = None) -> str:
        """Add one action (idempotent: the same id twice is stored once)."""
        with self._tx(immediate=True) as db:
            return self._enqueue(db, rule, firing_key, action, payload, now, id, idempotency_key)

    def enqueue_many(self, items: Iterable[tuple[str, str, str, dict[str, Any], str | None]], now: dt.datetime) -> list[str]:
        """Many (rule, firing_key, action, payload, id) in one transaction."""
        with self._tx(immediate=True) as db:
            return [self._enqueue(db, r, k, a, p, now, i) for r, k, a, p, i in items]

    @staticmethod
    def _enqueue(db: sqlite3.Connection, rule: str, firing_key: str, action: str, payload: dict[str, Any],
                 now: dt.datetime, id: str | None = None, idempotency_key: str | None = None) -> str:
        aid = id or action_id(firing_key, action, now)
        t = _ts(now)
        db.execute("INSERT OR IGNORE INTO actions (id, rule, firing_key, action, payload, status, attempts, "
                   "next_attempt_at, created_at, updated_at, idempotency_key) "
                   "VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?, ?)",
                   (aid, rule, firing_key, action, json.dumps(payload, sort_keys=True, default=str), t, t, t,
                    idempotency_key or aid))
        return aid

    # -- rule state --------------------------------------------------------------------------
    def rule_state(self, rule: str) -> tuple[dt.datetime | None, set[str]]:
        with self._tx() as db:
            row = db.execute("SELECT last_evaluated_at FROM rule_state WHERE rule = ?", (rule,)).fetchone()
            seen = {r["item"] for r in db.execute("SELECT item FROM rule_seen WHERE rule = ?", (rule,))}
        return (_dt(row["last_evaluated_at"]) if row else None), seen

    def save_rule_state(self, rule: str, now: dt.datetime, marks: Iterable[str] = ()) -> None:
        with self._tx(immediate=True) as db:
            db.execute("INSERT INTO rule_state (rule, last_evaluated_at) VALUES (?, ?) ON CONFLICT(rule) DO UPDATE "
                       "SET last_evaluated_at = excluded.last_evaluated_at", (rule, _ts(now)))
            db.executemany("INSERT OR IGNORE INTO rule_seen (rule, item) VALUES (?, ?)", [(rule, m) for m in marks])

    # -- dispatch ----------------------------------------------------------------------------
    def claim(self, now: dt.datetime, limit: int, lease_s: float, exclude: Iterable[str] = ()) -> list[ActionRecord]:
        """Take up to `limit` due actions (pending and due, or running with an expired lease); counts an attempt.

        Each row gets its own random claim token and its own lease; the dispatcher should claim
        one at a time (`claim_one`) so no row waits, leased, behind another's slow handler."""
        t = _ts(now)
        skip = sorted(set(exclude))
        not_in = f" AND id NOT IN ({', '.join('?' * len(skip))})" if skip else ""
        with self._tx(immediate=True) as db:
            rows = db.execute(
                "SELECT id FROM actions WHERE ((status = 'pending' AND next_attempt_at <= ?) OR "
                f"(status = 'running' AND claimed_until <= ?)){not_in} ORDER BY next_attempt_at, created_at, id LIMIT ?",
                (t, t, *skip, limit)).fetchall()
            ids = [r["id"] for r in rows]
            db.executemany("UPDATE actions SET status = 'running', attempts = attempts + 1, claimed_until = ?, "
                           "claim_token = ?, updated_at = ? WHERE id = ?",
                           [(t + lease_s, secrets.token_hex(16), t, i) for i in ids])
            return [ActionRecord.from_row(db.execute("SELECT * FROM actions WHERE id = ?", (i,)).fetchone()) for i in ids]

    def claim_one(self, now: dt.datetime, lease_s: float, exclude: Iterable[str] = ()) -> ActionRecord | None:
        got = self.claim(now, 1, lease_s, exclude)
        return got[0] if got else None

    def renew(self, id: str, token: str, now: dt.datetime, lease_s: float) -> bool:
        """Extend the holder's lease; False when the row is no longer ours."""
        with self._tx(immediate=True) as db:
            cur = db.execute("UPDATE actions SET claimed_until = ? WHERE id = ? AND claim_token = ? AND status = 'running'",
                             (_ts(now) + lease_s, id, token))
            return cur.rowcount == 1

    def complete(self, id: str, token: str | None, result: dict[str, Any], now: dt.datetime) -> bool:
        """Mark done - only for the current holder (`token`). False: the lease was lost, nothing written."""
        with self._tx(immediate=True) as db:
            cur = db.execute("UPDATE actions SET status = 'done', result = ?, last_error = NULL, claimed_until = NULL, "
                             "claim_token = NULL, updated_at = ? WHERE id = ? AND claim_token IS ? AND status = 'running'",
                             (json.dumps(result, sort_keys=True, default=str), _ts(now), id, token))
            return cur.rowcount == 1

    def fail(self, id: str, token: str | None, error: str, now: dt.datetime, retry_at: dt.datetime | None,
             dead_reason: str | None = None) -> bool:
        """Record a failed attempt of the current holder: back to `pending` at `retry_at`, or dead-lettered
        (`failed`, with `dead_reason`) when None. False: the lease was lost, nothing written."""
        with self._tx(immediate=True) as db:
            if retry_at is None:
                cur = db.execute("UPDATE actions SET status = 'failed', last_error = ?, dead_reason = ?, claimed_until = NULL, "
                                 "claim_token = NULL, updated_at = ? WHERE id = ? AND claim_token IS ? AND status = 'running'",
                                 (error[:2000], (dead_reason or error)[:2000], _ts(now), id, token))
            else:
                cur = db.execute("UPDATE actions SET status = 'pending', last_error = ?, claimed_until = NULL, "
                                 "claim_token = NULL, "
                                 "next_attempt_at = ?, updated_at = ? WHERE id = ? AND claim_token IS ? AND status = 'running'",
                                 (error[:2000], _ts(retry_at), _ts(now), id, token))
            return cur.rowcount == 1

    def retry(self, id: str, now: dt.datetime) -> bool:
        """Put a dead-lettered (`failed`) action back in the queue with a fresh attempt budget (operator decision)."""
        with self._tx(immediate=True) as db:
            cur = db.execute("UPDATE actions SET status = 'pending', attempts = 0, dead_reason = NULL, next_attempt_at = ?, "
                             "updated_at = ? WHERE id = ? AND status = 'failed'", (_ts(now), _ts(now), id))
            return cur.rowcount == 1

    # -- the effects ledger (exactly-once for our own actions) --------------------------------
    def effect(self, key: str) -> dict[str, Any] | None:
        """The ledger entry for an idempotency key: {state: started|done, info, result, started_at, done_at}."""
        with self._tx() as db:
            row = db.execute("SELECT * FROM effects WHERE idempotency_key = ?", (key,)).fetchone()
        if row is None:
            return None
        return {"state": row["state"], "action": row["action"], "info": json.loads(row["info"] or "null"),
                "result": json.loads(row["result"] or "null"), "started_at": _dt(row["started_at"]),
                "done_at": _dt(row["done_at"])}

    def begin_effect(self, key: str, action: str, info: dict[str, Any], now: dt.datetime) -> dict[str, Any] | None:
        """Note that an effect is about to happen (what the world looked like before it). Returns the
        existing entry instead when there is one (a repeat: the caller must check it before acting)."""
        with self._tx(immediate=True) as db:
            row = db.execute("SELECT idempotency_key FROM effects WHERE idempotency_key = ?", (key,)).fetchone()
            if row is None:
                db.execute("INSERT INTO effects (idempotency_key, action, state, info, started_at) "
                           "VALUES (?, ?, 'started', ?, ?)",
                           (key, action, json.dumps(info, default=str), _ts(now)))
                return None
        return self.effect(key)

    def finish_effect(self, key: str, action: str, result: dict[str, Any], now: dt.datetime) -> None:
        with self._tx(immediate=True) as db:
            db.execute("INSERT INTO effects (idempotency_key, action, state, result, started_at, done_at) "
                       "VALUES (?, ?, 'done', ?, ?, ?) ON CONFLICT(idempotency_key) DO UPDATE SET state = 'done', "
                       "result = excluded.result, done_at = excluded.done_at",
                       (key, action, json.dumps(result, default=str), _ts(now), _ts(now)))

    def apply_effect(self, key: str, action: str, fn: Callable[[sqlite3.Connection], dict[str, Any]],
                     now: dt.datetime) -> tuple[dict[str, Any], bool]:
        """Run a SQLite effect and record it under `key` in ONE transaction: exactly once, whatever
        crashes. Returns (result, applied_now); a repeat returns the first result and applies nothing."""
        with self._tx(immediate=True) as db:
            row = db.execute("SELECT state, result FROM effects WHERE idempotency_key = ?", (key,)).fetchone()
            if row is not None and row["state"] == "done":
                return json.loads(row["result"] or "null") or {}, False
            result = fn(db)
            db.execute("INSERT INTO effects (idempotency_key, action, state, result, started_at, done_at) "
                       "VALUES (?, ?, 'done', ?, ?, ?) ON CONFLICT(idempotency_key) DO UPDATE SET state = 'done', "
                       "result = excluded.result, done_at = excluded.done_at",
                       (key, action, json.dumps(result, default=str), _ts(now), _ts(now)))
            return result, True

    # -- reads -------------------------------------------------------------------------------
    def get(self, id: str) -> ActionRecord | None:
        with self._tx() as db:
            row = db.execute("SELECT * FROM actions WHERE id = ?", (id,)).fetchone()
        return ActionRecord.from_row(row) if row else None

    def list(self, status: str | None = None, limit: int = 100, rule: str | None = None) -> list[ActionRecord]:
        if status is not None and status not in STATUSES:
            raise ValueError(f"status = {status!r}: allowed {', '.join(STATUSES)}")
        where, args = [], []
        if status:
            where.append("status = ?")
            args.append(status)
        if rule:
            where.append("rule = ?")
            args.append(rule)
        sql = "SELECT * FROM actions" + (" WHERE " + " AND ".join(where) if where else "")
        with self._tx() as db:
            rows = db.execute(sql + " ORDER BY created_at DESC, id LIMIT ?", (*args, limit)).fetchall()
        return [ActionRecord.from_row(r) for r in rows]

    def counts(self) -> dict[str, int]:
        with self._tx() as db:
            got = {r["status"]: r["n"] for r in db.execute("SELECT status, COUNT(*) AS n FROM actions GROUP BY status")}
        return {s: int(got.get(s, 0)) for s in STATUSES}

"""The durable outbox: every action a rule fires is a row in SQLite under MATRIX_HOME.

Why SQLite and not a queue: triggers run from the CLI, a Ray job and a Serve replica, sometimes
at once, on one machine or a shared volume. SQLite gives transactions across processes with no
server: the cooldown check, the firing record and the enqueued actions commit together (BEGIN
IMMEDIATE), so two evaluators cannot both fire one condition, and a crash never leaves a firing
without its actions. Action ids derive from (firing key, action, fire time): enqueueing the
same firing twice is a no-op. Dispatchers claim rows with a lease; a dispatcher that dies leaves
rows that are re-claimed once the lease runs out. Nothing is deleted: `done` and `failed` rows
are the audit trail.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator

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
"""


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

    @classmethod
    def from_row(cls, r: sqlite3.Row) -> "ActionRecord":
        return cls(id=r["id"], rule=r["rule"], firing_key=r["firing_key"], action=r["action"],
                   payload=json.loads(r["payload"]), status=r["status"], attempts=r["attempts"],
                   next_attempt_at=_dt(r["next_attempt_at"]), created_at=_dt(r["created_at"]),
                   updated_at=_dt(r["updated_at"]), last_error=r["last_error"],
                   result=json.loads(r["result"]) if r["result"] else None)

    def as_dict(self) -> dict[str, Any]:
        out = dict(vars(self))
        for k in ("next_attempt_at", "created_at", "updated_at"):
            out[k] = out[k].isoformat() if out[k] else None
        return out


class Outbox:
    """All reads and writes of the trigger database. One short connection per call (thread- and process-safe)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")  # readers never block the evaluator's writes
            db.executescript(_SCHEMA)
        finally:
            db.close()

    @contextlib.contextmanager
    def _tx(self, immediate: bool = False) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        db.row_factory = sqlite3.Row
        try:
            db.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        finally:
            db.close()

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
                id: str | None = None) -> str:
        """Add one action (idempotent: the same id twice is stored once)."""
        with self._tx(immediate=True) as db:
            return self._enqueue(db, rule, firing_key, action, payload, now, id)

    @staticmethod
    def _enqueue(db: sqlite3.Connection, rule: str, firing_key: str, action: str, payload: dict[str, Any],
                 now: dt.datetime, id: str | None = None) -> str:
        aid = id or action_id(firing_key, action, now)
        t = _ts(now)
        db.execute("INSERT OR IGNORE INTO actions (id, rule, firing_key, action, payload, status, attempts, "
                   "next_attempt_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?)",
                   (aid, rule, firing_key, action, json.dumps(payload, sort_keys=True, default=str), t, t, t))
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
    def claim(self, now: dt.datetime, limit: int, lease_s: float) -> list[ActionRecord]:
        """Take up to `limit` due actions (pending and due, or running with an expired lease); counts an attempt."""
        t = _ts(now)
        with self._tx(immediate=True) as db:
            rows = db.execute(
                "SELECT id FROM actions WHERE (status = 'pending' AND next_attempt_at <= ?) OR "
                "(status = 'running' AND claimed_until <= ?) ORDER BY next_attempt_at, created_at, id LIMIT ?",
                (t, t, limit)).fetchall()
            ids = [r["id"] for r in rows]
            db.executemany("UPDATE actions SET status = 'running', attempts = attempts + 1, claimed_until = ?, "
                           "updated_at = ? WHERE id = ?", [(t + lease_s, t, i) for i in ids])
            return [ActionRecord.from_row(db.execute("SELECT * FROM actions WHERE id = ?", (i,)).fetchone()) for i in ids]

    def complete(self, id: str, result: dict[str, Any], now: dt.datetime) -> None:
        with self._tx(immediate=True) as db:
            db.execute("UPDATE actions SET status = 'done', result = ?, last_error = NULL, claimed_until = NULL, "
                       "updated_at = ? WHERE id = ?", (json.dumps(result, sort_keys=True, default=str), _ts(now), id))

    def fail(self, id: str, error: str, now: dt.datetime, retry_at: dt.datetime | None) -> None:
        """Record a failed attempt: back to `pending` at `retry_at`, or `failed` for good when None."""
        with self._tx(immediate=True) as db:
            if retry_at is None:
                db.execute("UPDATE actions SET status = 'failed', last_error = ?, claimed_until = NULL, updated_at = ? "
                           "WHERE id = ?", (error[:2000], _ts(now), id))
            else:
                db.execute("UPDATE actions SET status = 'pending', last_error = ?, claimed_until = NULL, "
                           "next_attempt_at = ?, updated_at = ? WHERE id = ?", (error[:2000], _ts(retry_at), _ts(now), id))

    def retry(self, id: str, now: dt.datetime) -> bool:
        """Put a `failed` action back in the queue with a fresh attempt budget (operator decision)."""
        with self._tx(immediate=True) as db:
            cur = db.execute("UPDATE actions SET status = 'pending', attempts = 0, next_attempt_at = ?, updated_at = ? "
                             "WHERE id = ? AND status = 'failed'", (_ts(now), _ts(now), id))
            return cur.rowcount == 1

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

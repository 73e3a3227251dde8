"""Watchlists and saved searches: per-owner rules that alert on what an affiliate cares about.

Two kinds, stored with their owner (the API key's client) in the trigger database:
* `program` watch -> rule `program_changed`: the chosen terms of the watched programs
  (matrix.index.history.TERM_FIELDS, or groups: commission, cookie, payout, status, geo,
  networks), with optional thresholds ("commission_percent_max fell by >= 10 %").
* `search` watch (a saved search: query + filters) -> rule `new_match`: programs that match now
  and never matched at an earlier evaluation.

Debounce: an observation is a re-crawl of the program (the newest `last_seen` of its listings
moved), not an evaluation, so evaluating twice between crawls confirms nothing. A changed value
becomes an alert only when it is seen in `confirmations` consecutive observations (default 2);
a value that flips back before that clears the pending change and alerts nobody (join status
flapping pending -> approved -> pending stays silent). Each confirmed change alerts once, with
before and after values and the listings they came from; the baseline then moves, so the same
change never alerts again.

Digest: a watch with `digest: hourly|daily` queues its alerts per owner; once the hour (UTC) or day
is over, one notification lists them all. Alerts, digests and the watch state they advance commit
in one SQLite transaction with deterministic action ids: re-running an evaluation after a crash
queues nothing twice.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol  # _List: WatchStore.list shadows list
from typing import List as _List

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from matrix.index.history import NUMERIC_TERMS, expand_fields
from matrix.models import stable_hash
from matrix.triggers.outbox import Outbox, _ts

_SCHEMA = """
CREATE TABLE IF NOT EXISTS watches (id TEXT PRIMARY KEY, owner TEXT NOT NULL, kind TEXT NOT NULL, name TEXT NOT NULL,
    spec TEXT NOT NULL, created_at REAL NOT NULL, updated_at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS watches_owner ON watches (owner);
CREATE TABLE IF NOT EXISTS watch_state (watch_id TEXT NOT NULL, item TEXT NOT NULL, state TEXT NOT NULL,
    PRIMARY KEY (watch_id, item));
CREATE TABLE IF NOT EXISTS digest_items (id INTEGER PRIMARY KEY AUTOINCREMENT, owner TEXT NOT NULL, period TEXT NOT NULL,
    bucket TEXT NOT NULL, watch_id TEXT NOT NULL, item TEXT NOT NULL, created_at REAL NOT NULL, action_id TEXT);
CREATE INDEX IF NOT EXISTS digest_open ON digest_items (action_id, owner, period, bucket);
"""
DEFAULT_FIELDS = ["commission", "cookie", "status"]
MAX_PROGRAMS = 500


class Threshold(BaseModel):
    """When a confirmed numeric change is worth an alert."""

    model_config = ConfigDict(extra="forbid")
    direction: Literal["down", "up", "any"] = "any"
    min_change_pct: float | None = Field(default=None, ge=0)  # relative to the old value
    min_change: float | None = Field(default=None, ge=0)      # absolute (percent points, days, currency)


class WatchSpec(BaseModel):
    """A watch as a user creates it (POST /triggers/watches, `matrix triggers watch add`)."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100)
    kind: Literal["program", "search"]
    program_ids: list[str] = Field(default_factory=list)
    fields: list[str] = Field(default_factory=lambda: list(DEFAULT_FIELDS))
    thresholds: dict[str, Threshold] = Field(default_factory=dict)
    confirmations: int | None = Field(default=None, ge=1, le=10)  # None: triggers.confirmations
    q: str = Field(default="", max_length=500)
    filters: dict[str, Any] = Field(default_factory=dict)
    limit: int = Field(default=200, ge=1, le=2000)
    digest: Literal["none", "hourly", "daily"] = "none"
    enabled: bool = True

    @field_validator("fields")
    @classmethod
    def _fields(cls, v: list[str]) -> list[str]:
        expand_fields(v)  # raises naming the allowed names
        if not v:
            raise ValueError("at least one field")
        return v

    @field_validator("thresholds")
    @classmethod
    def _thresholds(cls, v: dict[str, Threshold]) -> dict[str, Threshold]:
        for k in v:
            terms = expand_fields([k])
            if not set(terms) & NUMERIC_TERMS:
                raise ValueError(f"threshold on {k!r}: thresholds apply to numeric terms {sorted(NUMERIC_TERMS)} "
                                 f"or groups containing them")
        return v

    @field_validator("filters")
    @classmethod
    def _filters(cls, v: dict[str, Any]) -> dict[str, Any]:
        from dataclasses import fields as dc_fields

        from matrix.index import SearchFilters

        allowed = {f.name for f in dc_fields(SearchFilters)}
        bad = sorted(set(v) - allowed)
        if bad:
            raise ValueError(f"unknown filter(s) {bad}; allowed: {sorted(allowed)}")
        return v

    @model_validator(mode="after")
    def _per_kind(self) -> "WatchSpec":
        if self.kind == "program":
            if not self.program_ids or len(self.program_ids) > MAX_PROGRAMS:
                raise ValueError(f"a program watch needs 1..{MAX_PROGRAMS} program_ids")
            if any(not p or len(p) > 200 for p in self.program_ids):
                raise ValueError("program_ids: 1..200 characters each")
        elif not (self.q.strip() or self.filters):
            raise ValueError("a search watch needs a query (q) or filters")
        return self


@dataclass
class Watch:
    id: str
    owner: str
    spec: WatchSpec
    created_at: dt.datetime
    updated_at: dt.datetime

    @property
    def rule(self) -> str:
        return "program_changed" if self.spec.kind == "program" else "new_match"

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "owner": self.owner, "rule": self.rule, **self.spec.model_dump(),
                "created_at": self.created_at.isoformat(), "updated_at": self.updated_at.isoformat()}


class WatchNotFound(KeyError):
    pass


class WatchInputs(Protocol):
    def program_observations(self, program_ids: list[str]) -> dict[str, dict[str, Any]]: ...

    def search_matches(self, spec: WatchSpec) -> list[dict[str, Any]]: ...


# -- pure rule logic ------------------------------------------------------------------------------
def passes_threshold(term: str, before: Any, after: Any, thresholds: dict[str, Threshold]) -> bool:
    """A confirmed change of `term` is alert-worthy under the watch's thresholds (none: always)."""
    rules = [t for k, t in thresholds.items() if term in expand_fields([k])]
    if not rules or term not in NUMERIC_TERMS:
        return True
    if not isinstance(before, (int, float)) or not isinstance(after, (int, float)):
        return False  # "fell by 10 %" needs two numbers
    delta = after - before
    for t in rules:
        if t.direction == "down" and delta >= 0 or t.direction == "up" and delta <= 0:
            return False
        if t.min_change is not None and abs(delta) < t.min_change:
            return False
        if t.min_change_pct is not None:
            if before == 0 or abs(delta) / abs(before) * 100.0 < t.min_change_pct - 1e-9:
                return False
    return True


def observe_program(terms: list[str], thresholds: dict[str, Threshold], confirmations: int, obs: dict[str, Any],
                    state: dict[str, Any] | None) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """One observation of one program against its watch state -> (confirmed changes to alert, new state)."""
    values, sources = obs["terms"], obs.get("sources") or {}
    if state is None:  # first sight: the baseline, nothing to compare with
        return [], {"obs": obs["observed"], "baseline": {t: {"value": values.get(t), "source": sources.get(t)} for t in terms},
                    "pending": {}}
    state = json.loads(json.dumps(state))
    if obs["observed"] == state.get("obs"):
        return [], state  # no re-crawl since the last evaluation: not a new observation
    alerts = []
    base, pending = state.setdefault("baseline", {}), state.setdefault("pending", {})
    for t in terms:
        cur, src = values.get(t), sources.get(t)
        if t not in base:  # a field added to the watch later starts from its current value
            base[t] = {"value": cur, "source": src}
            continue
        if cur == base[t]["value"]:
            pending.pop(t, None)  # flipped back (or never moved): nothing to say
            continue
        p = pending.get(t)
        p = {"value": cur, "source": src, "count": p["count"] + 1} if p and p["value"] == cur else \
            {"value": cur, "source": src, "count": 1}
        if p["count"] >= confirmations:
            if passes_threshold(t, base[t]["value"], cur, thresholds):
                alerts.append({"field": t, "before": base[t]["value"], "after": cur, "before_source": base[t]["source"],
                               "after_source": src, "observations": p["count"]})
            base[t] = {"value": cur, "source": src}
            pending.pop(t, None)
        else:
            pending[t] = p
    state["obs"] = obs["observed"]
    return alerts, state


def _bucket(now: dt.datetime, period: str) -> str:
    return now.strftime("%Y-%m-%dT%H") if period == "hourly" else now.strftime("%Y-%m-%d")


# -- the store + evaluation -----------------------------------------------------------------------
@dataclass
class WatchReport:
    alerts: list[dict[str, Any]] = field(default_factory=list)
    digests: list[dict[str, Any]] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    evaluated: int = 0


class WatchStore:
    """Watches in the trigger database (same file as the outbox, so alerts and state commit together)."""

    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox
        with outbox._tx(immediate=True) as db:
            for stmt in filter(str.strip, _SCHEMA.split(";")):
                db.execute(stmt)

    # CRUD -----------------------------------------------------------------------------------
    @staticmethod
    def _row(r: Any) -> Watch:
        return Watch(id=r["id"], owner=r["owner"], spec=WatchSpec.model_validate_json(r["spec"]),
                     created_at=dt.datetime.fromtimestamp(r["created_at"], dt.timezone.utc),
                     updated_at=dt.datetime.fromtimestamp(r["updated_at"], dt.timezone.utc))

    def create(self, owner: str, spec: WatchSpec, now: dt.datetime) -> Watch:
        wid = "w_" + secrets.token_hex(8)
        with self.outbox._tx(immediate=True) as db:
            db.execute("INSERT INTO watches (id, owner, kind, name, spec, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                       (wid, owner, spec.kind, spec.name, spec.model_dump_json(), _ts(now), _ts(now)))
        return self.get(wid, owner)

    def get(self, wid: str, owner: str | None) -> Watch:
        """`owner=None` (admin) sees every watch; otherwise only the owner's."""
        with self.outbox._tx() as db:
            r = db.execute("SELECT * FROM watches WHERE id = ?", (wid,)).fetchone()
        if r is None or (owner is not None and r["owner"] != owner):
            raise WatchNotFound(wid)
        return self._row(r)

    def list(self, owner: str | None = None, kind: str | None = None) -> _List[Watch]:
        sql = "SELECT * FROM watches WHERE 1 = 1"
        args: _List[str] = []
        if owner is not None:
            sql, args = sql + " AND owner = ?", [*args, owner]
        if kind is not None:
            sql, args = sql + " AND kind = ?", [*args, kind]
        with self.outbox._tx() as db:
            return [self._row(r) for r in db.execute(sql + " ORDER BY created_at, id", args).fetchall()]

    def update(self, wid: str, owner: str | None, patch: dict[str, Any], now: dt.datetime) -> Watch:
        """Apply a partial update (validated as a whole); the kind cannot change."""
        w = self.get(wid, owner)
        if "kind" in patch and patch["kind"] != w.spec.kind:
            raise ValueError("kind cannot change; delete and create a new watch")
        spec = WatchSpec.model_validate({**w.spec.model_dump(), **patch})
        with self.outbox._tx(immediate=True) as db:
            db.execute("UPDATE watches SET name = ?, spec = ?, updated_at = ? WHERE id = ?",
                       (spec.name, spec.model_dump_json(), _ts(now), wid))
            if spec.kind == "search" and (spec.q != w.spec.q or spec.filters != w.spec.filters):
                db.execute("DELETE FROM watch_state WHERE watch_id = ?", (wid,))  # a new search starts a new baseline
        return self.get(wid, owner)

    def delete(self, wid: str, owner: str | None) -> None:
        self.get(wid, owner)
        with self.outbox._tx(immediate=True) as db:
            db.execute("DELETE FROM watches WHERE id = ?", (wid,))
            db.execute("DELETE FROM watch_state WHERE watch_id = ?", (wid,))

    def state(self, wid: str) -> dict[str, Any]:
        with self.outbox._tx() as db:
            return {r["item"]: json.loads(r["state"]) for r in
                    db.execute("SELECT item, state FROM watch_state WHERE watch_id = ?", (wid,))}

    # evaluation -----------------------------------------------------------------------------
    def evaluate(self, inputs: WatchInputs, now: dt.datetime, confirmations: int = 2, dry_run: bool = False,
                 owner: str | None = None) -> WatchReport:
        """Evaluate every enabled watch once; queue alerts (or digest items) and advance state atomically."""
        report = WatchReport()
        for w in self.list(owner):
            if not w.spec.enabled:
                continue
            try:
                alerts = (self._program(w, inputs, now, confirmations, dry_run) if w.spec.kind == "program"
                          else self._search(w, inputs, now, dry_run))
            except Exception as exc:  # one broken watch must not silence the others
                report.errors[w.id] = f"{type(exc).__name__}: {exc}"
                continue
            report.evaluated += 1
            report.alerts.extend(alerts)
        if not dry_run:
            report.digests = self.flush_digests(now)
        return report

    def _program(self, w: Watch, inputs: WatchInputs, now: dt.datetime, confirmations: int,
                 dry_run: bool) -> _List[dict[str, Any]]:
        terms = expand_fields(w.spec.fields)
        need = w.spec.confirmations or confirmations
        observed = inputs.program_observations(list(w.spec.program_ids))
        states = self.state(w.id)
        out, writes = [], []
        for pid in w.spec.program_ids:
            obs = observed.get(pid)
            if obs is None:
                continue  # not in the index (yet, or merged away): nothing observed
            changes, new_state = observe_program(terms, w.spec.thresholds, need, obs, states.get(pid))
            if new_state != states.get(pid):
                writes.append((pid, new_state))
            if changes:
                what = "; ".join(f"{c['field']} {c['before']} -> {c['after']}" for c in changes)
                summary = f"{obs.get('name') or pid}: {what}"
                out.append({"watch_id": w.id, "watch": w.spec.name, "owner": w.owner, "rule": "program_changed",
                            "program_id": pid, "name": obs.get("name"), "observed": obs["observed"],
                            "summary": summary, "changes": changes})
        if not dry_run:
            self._commit(w, writes, out, now)
        return out

    def _search(self, w: Watch, inputs: WatchInputs, now: dt.datetime, dry_run: bool) -> _List[dict[str, Any]]:
        matches = inputs.search_matches(w.spec)
        states = self.state(w.id)
        first = "" not in states
        new = [m for m in matches if m["program_id"] not in states]
        writes = [(m["program_id"], {"first_matched": now.isoformat()}) for m in new]
        if first:
            writes.append(("", {"baseline_at": now.isoformat(), "matches": str(len(matches))}))
        out = []
        if new and not first:
            ids = sorted(m["program_id"] for m in new)
            out.append({"watch_id": w.id, "watch": w.spec.name, "owner": w.owner, "rule": "new_match",
                        "summary": f"{len(new)} new program(s) match saved search {w.spec.name!r}",
                        "query": {"q": w.spec.q, "filters": w.spec.filters}, "program_ids": ids,
                        "programs": new[:25], "observed": stable_hash(ids)[:16]})
        if not dry_run:
            self._commit(w, writes, out, now)
        return out

    def _commit(self, w: Watch, writes: _List[tuple[str, dict[str, Any]]], alerts: _List[dict[str, Any]],
                now: dt.datetime) -> None:
        with self.outbox._tx(immediate=True) as db:
            if db.execute("SELECT 1 FROM watches WHERE id = ?", (w.id,)).fetchone() is None:
                return  # deleted while we evaluated
            db.executemany("INSERT INTO watch_state (watch_id, item, state) VALUES (?, ?, ?) ON CONFLICT(watch_id, item) "
                           "DO UPDATE SET state = excluded.state", [(w.id, i, json.dumps(s, default=str)) for i, s in writes])
            for a in alerts:
                key = f"watch:{w.id}:{a.get('program_id', 'search')}:{a['observed']}"
                aid = "w" + stable_hash([key, a.get("changes"), a.get("program_ids")])[:23]
                a["action_id"] = aid
                if w.spec.digest != "none":
                    db.execute("INSERT INTO digest_items (owner, period, bucket, watch_id, item, created_at) "
                               "VALUES (?, ?, ?, ?, ?, ?)",
                               (w.owner, w.spec.digest, _bucket(now, w.spec.digest), w.id, json.dumps(a, default=str), _ts(now)))
                    a["digest"] = w.spec.digest
                    continue
                payload = {"rule": f"watch:{w.spec.name}", "kind": a["rule"], "owner": w.owner, "summary": a["summary"],
                           "details": {k: v for k, v in a.items() if k not in ("summary", "action_id")}}
                Outbox._enqueue(db, a["rule"], key, "notify", payload, now, aid)

    def flush_digests(self, now: dt.datetime) -> _List[dict[str, Any]]:
        """One notification per owner and closed hour/day listing every queued alert."""
        out = []
        with self.outbox._tx(immediate=True) as db:
            groups = db.execute("SELECT owner, period, bucket, COUNT(*) AS n FROM digest_items WHERE action_id IS NULL "
                                "GROUP BY owner, period, bucket ORDER BY bucket").fetchall()
            for g in groups:
                if g["bucket"] >= _bucket(now, g["period"]):
                    continue  # the hour/day is not over yet
                rows = db.execute("SELECT id, item FROM digest_items WHERE action_id IS NULL AND owner = ? AND period = ? "
                                  "AND bucket = ? ORDER BY id", (g["owner"], g["period"], g["bucket"])).fetchall()
                items = [json.loads(r["item"]) for r in rows]
                key = f"digest:{g['owner']}:{g['period']}:{g['bucket']}"
                aid = "d" + stable_hash(key)[:23]
                payload = {"rule": "digest", "kind": "digest", "owner": g["owner"],
                           "summary": f"{len(items)} change(s) for {g['owner']} ({g['period']} digest {g['bucket']})",
                           "details": {"period": g["period"], "bucket": g["bucket"], "count": len(items), "items": items,
                                       "text": "\n".join(f"- [{i['watch']}] {i['summary']}" for i in items)}}
                Outbox._enqueue(db, "digest", key, "notify", payload, now, aid)
                db.executemany("UPDATE digest_items SET action_id = ? WHERE id = ?", [(aid, r["id"]) for r in rows])
                out.append({"owner": g["owner"], "period": g["period"], "bucket": g["bucket"], "count": len(items),
                            "action_id": aid})
        return out

"""Program history: a change log of the terms an affiliate cares about, one row per program per ingest
in which any of them changed.

Why a separate table: programs rows hold only the current values, and Lance versions keep the past
only until they are cleaned up. This table keeps, forever and cheaply, what changed, when (the
ingest version and time), from what to what, and which listing said so (the field's provenance:
source, source id, fetch time). Watches (matrix.triggers.watches) read the same term extraction so
"commission fell by 10 %" means the same thing in the alert and on the program page.

Rows are written only when a program's terms differ from its latest recorded terms, so re-running
an ingest (or recording the same version twice after a crash) writes nothing new. Each recording
also writes a marker row (program_id "") naming its ingest version; when the ingest before this
one has no marker (killed between its commit and its history write, or history switched on for an
existing index), the recording catches up by diffing every program, not only this batch's.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Iterable, Sequence

import pyarrow as pa

from matrix.models import Listing, Program
from matrix.observability import get_logger

log = get_logger(__name__)

HISTORY_TABLE = "program_history"
HISTORY_SCHEMA = pa.schema([
    pa.field("program_id", pa.string()),
    pa.field("ingest_version", pa.string()),
    pa.field("recorded_at", pa.timestamp("us", tz="UTC")),
    pa.field("terms", pa.string()),     # JSON: every tracked term after this ingest
    pa.field("changes", pa.string()),   # JSON list: {field, before, after, source}
])
# Tracked term -> the Program field whose provenance names the listing that set it.
TERM_FIELDS: dict[str, str] = {
    "commission_model": "commission",
    "commission_percent_min": "commission",
    "commission_percent_max": "commission",
    "commission_flat_min": "commission",
    "commission_flat_max": "commission",
    "commission_currency": "commission",
    "payout_type": "commission",
    "recurring": "commission",
    "cookie_days": "cookie_days",
    "payout_minimum": "payout",
    "payout_currency": "payout",
    "payout_frequency": "payout",
    "approval": "approval",
    "networks": "networks",
    "geo_allowed": "geo_allowed",
    "geo_excluded": "geo_excluded",
}
# Names a user may pick instead of single terms.
TERM_GROUPS: dict[str, list[str]] = {
    "commission": ["commission_model", "commission_percent_min", "commission_percent_max", "commission_flat_min",
                   "commission_flat_max", "commission_currency", "payout_type", "recurring"],
    "cookie": ["cookie_days"],
    "payout": ["payout_minimum", "payout_currency", "payout_frequency"],
    "status": ["approval"],
    "geo": ["geo_allowed", "geo_excluded"],
}
NUMERIC_TERMS = {"commission_percent_min", "commission_percent_max", "commission_flat_min", "commission_flat_max",
                 "cookie_days", "payout_minimum"}


def expand_fields(names: Iterable[str]) -> list[str]:
    """Groups and terms -> terms (in TERM_FIELDS order); unknown names raise ValueError naming the choices."""
    out: set[str] = set()
    for n in names:
        if n in TERM_GROUPS:
            out.update(TERM_GROUPS[n])
        elif n in TERM_FIELDS:
            out.add(n)
        else:
            raise ValueError(f"unknown field {n!r}; allowed: {sorted(TERM_GROUPS)} or {list(TERM_FIELDS)}")
    return [f for f in TERM_FIELDS if f in out]


def _enum(v: Any) -> Any:
    return getattr(v, "value", v)


def program_terms(p: Program) -> dict[str, Any]:
    """The tracked terms of a program as plain JSON values (unknown = None, lists sorted)."""
    c, pay = p.commission, p.payout
    return {
        "commission_model": _enum(c.model),
        "commission_percent_min": c.percent_min,
        "commission_percent_max": c.percent_max,
        "commission_flat_min": c.flat_min,
        "commission_flat_max": c.flat_max,
        "commission_currency": c.currency,
        "payout_type": _enum(c.payout_type),
        "recurring": c.recurring,
        "cookie_days": p.cookie_days,
        "payout_minimum": pay.minimum,
        "payout_currency": pay.currency,
        "payout_frequency": pay.frequency,
        "approval": _enum(p.approval),
        "networks": sorted(p.networks),
        "geo_allowed": sorted(p.geo_allowed),
        "geo_excluded": sorted(p.geo_excluded),
    }


def term_sources(p: Program, listings: Sequence[Listing] = ()) -> dict[str, dict[str, Any] | None]:
    """Which listing each term's current value came from (provenance; networks: a listing naming it)."""
    out: dict[str, dict[str, Any] | None] = {}
    for term, attr in TERM_FIELDS.items():
        prov = p.provenance.get(attr)
        out[term] = None if prov is None else {
            "source": prov.source, "source_id": prov.source_id, "listing": f"{prov.source}:{prov.source_id}",
            "fetched_at": prov.fetched_at.isoformat() if prov.fetched_at else None}
    mine = [x for x in listings if x.key in set(p.listing_keys) and x.network]
    if mine:
        x = max(mine, key=lambda x: x.fetched_at)
        out["networks"] = {"source": x.source, "source_id": x.source_id, "listing": x.key,
                           "fetched_at": x.fetched_at.isoformat()}
    return out


def diff_terms(before: dict[str, Any] | None, after: dict[str, Any], sources: dict[str, Any]) -> list[dict[str, Any]]:
    """Changed terms, in TERM_FIELDS order. A first sighting lists every known term (before = None)."""
    before = before or {}
    changes = []
    for term in TERM_FIELDS:
        old, new = before.get(term), after.get(term)
        if old == new or (old in (None, [], "unknown") and new in (None, [], "unknown")):
            continue
        changes.append({"field": term, "before": old, "after": new, "source": sources.get(term)})
    return changes


def _table(index: Any, create: bool):
    if index.has_table(HISTORY_TABLE):
        return index.table(HISTORY_TABLE)
    return index.table(HISTORY_TABLE, HISTORY_SCHEMA) if create else None


def latest_terms(index: Any, program_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The newest recorded terms per program (only programs that have history)."""
    tbl = _table(index, create=False)
    if tbl is None or not program_ids or tbl.count_rows() == 0:
        return {}
    ds = tbl.to_lance()
    cols = ["program_id", "recorded_at", "terms"]
    ids = sorted(set(program_ids))
    rows: list[tuple[str, Any, str]] = []
    if len(ids) > 2000:  # a big ingest: one scan beats thousands of IN-list probes
        wanted = set(ids)
        a = ds.to_table(columns=cols)
        cols_ = (a.column(0).to_pylist(), a.column(1).to_pylist(), a.column(2).to_pylist())
        rows = [r for r in zip(*cols_, strict=True) if r[0] in wanted]
    else:
        for i in range(0, len(ids), 500):
            quoted = ", ".join("'" + x.replace("'", "''") + "'" for x in ids[i:i + 500])
            a = ds.to_table(columns=cols, filter=f"program_id IN ({quoted})")
            rows.extend(zip(a.column(0).to_pylist(), a.column(1).to_pylist(), a.column(2).to_pylist(), strict=True))
    best: dict[str, tuple[Any, str]] = {}
    for pid, t, terms in rows:
        if pid not in best or t >= best[pid][0]:
            best[pid] = (t, terms)
    return {pid: json.loads(terms) for pid, (_, terms) in best.items()}


def recorded_versions(index: Any) -> set[str]:
    """Ingest versions whose history was recorded (marker rows)."""
    tbl = _table(index, create=False)
    if tbl is None:
        return set()
    a = tbl.to_lance().to_table(columns=["ingest_version"], filter="program_id = ''")
    return {v for v in a.column(0).to_pylist() if v}


def _needs_catch_up(index: Any, tag: str | None) -> bool:
    try:
        tags = [iv.tag for iv in index.ingest_versions()]
    except Exception:
        return False
    earlier = [t for t in tags if t != tag]
    if tag in tags:
        earlier = tags[:tags.index(tag)]
    return bool(earlier) and earlier[-1] not in recorded_versions(index)


def record_history(index: Any, programs: Sequence[Program], version: Any = None, listings: Sequence[Listing] = (),
                   now: dt.datetime | None = None) -> int:
    """Append a row for every program whose tracked terms changed since its last recorded row
    (first sighting included). `version`: the IngestVersion (or its tag) the ingest just committed.
    Returns the number of program rows written."""
    tag = getattr(version, "tag", version)
    tag = None if tag is None else str(tag)
    now = now or dt.datetime.now(dt.timezone.utc)
    if _needs_catch_up(index, tag):
        log.info("program history catches up over every program", extra={"ingest_version": tag})
        seen = {p.program_id for p in programs}
        programs = list(programs) + [p for p in index.all_programs() if p.program_id not in seen]
    previous = latest_terms(index, [p.program_id for p in programs])
    rows = []
    for p in programs:
        terms = program_terms(p)
        changes = diff_terms(previous.get(p.program_id), terms, term_sources(p, listings))
        if not changes and p.program_id in previous:
            continue
        rows.append({"program_id": p.program_id, "ingest_version": None if tag is None else str(tag), "recorded_at": now,
                     "terms": json.dumps(terms, sort_keys=True, default=str),
                     "changes": json.dumps(changes, sort_keys=True, default=str)})
    written = len(rows)
    if tag is not None and tag not in recorded_versions(index):
        rows.append({"program_id": "", "ingest_version": tag, "recorded_at": now, "terms": "{}", "changes": "[]"})
    if rows:
        _table(index, create=True).add(pa.Table.from_pylist(rows, schema=HISTORY_SCHEMA))
    return written


def record_after_ingest(index: Any, programs: Sequence[Program], version: Any = None,
                        listings: Sequence[Listing] = ()) -> int | None:
    """What the ingest calls once its programs are committed: never fails the (already committed)
    ingest; a failure is logged and the next ingest catches up (its predecessor has no marker)."""
    try:
        n = record_history(index, programs, version, listings)
        log.info("program history recorded", extra={"programs_changed": n, "ingest_version": getattr(version, "tag", version)})
        return n
    except Exception as exc:
        log.error("program history not recorded; the next ingest catches up",
                  extra={"error": f"{type(exc).__name__}: {exc}"})
        return None


def program_history(index: Any, program_id: str, limit: int = 100) -> list[dict[str, Any]]:
    """A program's change log, newest first: {ingest_version, recorded_at, first, terms, changes[]}."""
    tbl = _table(index, create=False)
    if tbl is None:
        return []
    if not program_id:
        return []
    safe = program_id.replace("'", "''")
    a = tbl.to_lance().to_table(filter=f"program_id = '{safe}'")
    rows = a.to_pylist()
    rows.sort(key=lambda r: r["recorded_at"], reverse=True)
    out = []
    for i, r in enumerate(rows[:limit]):
        out.append({"ingest_version": r["ingest_version"], "recorded_at": r["recorded_at"].isoformat(),
                    "first": i == len(rows) - 1, "terms": json.loads(r["terms"]), "changes": json.loads(r["changes"])})
    return out

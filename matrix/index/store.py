"""The LanceDB master index: `programs` (canonical records + search text + vector) and `listings`.

Why content hashes: an ingest of unchanged input must not rewrite rows or create a version, so
each upsert first compares `content_hash` with what is stored and only merges what changed
(LanceDB's merge_insert would otherwise rewrite every matched row). Every write is one committed
LanceDB version, which readers can pin (`checkout`) or roll back to (`restore`).

Why ingest runs (`begin_ingest`): an ingest writes listings, sightings and programs in several
commits; it becomes visible only when it is committed as one ingest version (matrix.index.versions
explains the protocol). Readers here (`snapshot`, `get_program`, `listings_for`, `sightings`,
`stats`) see the last committed state while a run is open or after one died mid-way.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import os
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import lancedb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from matrix.config import Settings
from matrix.faults import fault_point
from matrix.index.columns import CACHE_COLUMNS, ColumnCache
from matrix.index.indexes import IndexReport, describe, ensure_indexes
from matrix.index.versions import (
    IngestVersion,
    close_ingest,
    commit_ingest,
    ingest_versions,
    open_ingest,
    open_versions,
    recover_open_ingest,
    resolve_version,
)
from matrix.models import LISTING_SCHEMA, PROGRAM_SCHEMA, Listing, Program, from_row, to_row
from matrix.observability import get_logger

log = get_logger(__name__)
VECTOR_DIM = 384

# Flattened columns next to the model's own: filters and facets need plain scalar columns.
PROGRAM_EXTRA_FIELDS = [
    pa.field("search_text", pa.string()),
    pa.field("commission_model", pa.string()),
    pa.field("commission_percent", pa.float64()),
    pa.field("commission_flat", pa.float64()),
    pa.field("vector", pa.list_(pa.float32(), VECTOR_DIM)),
]
PROGRAMS_TABLE_SCHEMA = pa.schema(list(PROGRAM_SCHEMA) + PROGRAM_EXTRA_FIELDS)
# When each listing was first and last seen by a crawl. Kept apart from `listings` so a re-crawl
# of unchanged pages refreshes these timestamps without rewriting (or versioning) listing rows.
SIGHTINGS_TABLE = "listing_sightings"
SIGHTINGS_SCHEMA = pa.schema([
    pa.field("source", pa.string()),
    pa.field("source_id", pa.string()),
    pa.field("first_seen", pa.timestamp("us", tz="UTC")),
    pa.field("last_seen", pa.timestamp("us", tz="UTC")),
])
LISTINGS_TABLE_SCHEMA = LISTING_SCHEMA


@dataclass
class UpsertStats:
    table: str
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    version: int | None = None
    changed_keys: set[tuple] = field(default_factory=set, repr=False)

    @property
    def written(self) -> int:
        return self.inserted + self.updated


def program_row(p: Program, vector: Sequence[float] | None = None) -> dict[str, Any]:
    row = to_row(p)
    c = p.commission
    row["search_text"] = p.search_text()
    row["commission_model"] = c.model.value
    row["commission_percent"] = c.best_percent
    row["commission_flat"] = c.flat_max if c.flat_max is not None else c.flat_min
    row["vector"] = None if vector is None else [float(x) for x in vector]
    return row


class IngestBusyError(RuntimeError):
    """Another ingest holds this index's ingest lock."""


class IngestRun:
    """One ingest's write bracket: lock, roll back a dead run, mark the base, commit as one version.

        with index.begin_ingest() as run:
            ...write listings, sightings, programs, indexes...
            run.commit()

    Leaving the block without `commit()` (an exception) rolls the writes back at once; a killed
    process leaves the marks, and the next run rolls back for it (see matrix.index.versions).
    The lock is an flock on a file beside the index: it dies with its process, so a lock is never
    left behind; for an object-store index it only excludes ingests on this machine.
    """

    def __init__(self, index: "MasterIndex") -> None:
        self.index = index
        self.recovered: dict[str, Any] = {}
        self.base: dict[str, int] = {}
        self.version: IngestVersion | None = None
        self.committed = False
        self._fd: int | None = None

    def __enter__(self) -> "IngestRun":
        self._lock()
        try:
            tables = self.index._ingest_tables()
            self.recovered = recover_open_ingest(tables, before_restore=lambda n: fault_point("recover:restore"))
            if self.recovered["rolled_back"] or self.recovered["dropped_tags"]:
                log.warning("rolled back an ingest that died before its commit", extra={"recovered": json.dumps(self.recovered)})
            self.base = open_ingest(tables)
            self.index._forget_open()
        except BaseException:
            self._unlock()
            raise
        return self

    def commit(self, tag: bool = True) -> IngestVersion | None:
        """Tag everything written since `begin_ingest` as one ingest version and make it visible."""
        iv, created = close_ingest(self.index._ingest_tables(), before_close=lambda: fault_point("commit:tagged"), tag=tag)
        self.index._forget_open()
        if created and iv is not None:
            log.info("ingest version", extra=iv.as_dict())
        self.version = iv
        self.committed = True
        return iv

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if not self.committed:  # an exception (or a caller that never committed): undo at once
                tables = self.index._ingest_tables()
                recover_open_ingest(tables)
                close_ingest(tables, tag=False)
                self.index._forget_open()
                log.warning("ingest not committed; its writes were rolled back", extra={"error": repr(exc)})
        except Exception as undo_exc:  # the next run rolls back instead; never mask the first error
            log.error("rolling back the ingest failed", extra={"error": repr(undo_exc)})
        finally:
            self._unlock()

    # -- the lock ---------------------------------------------------------------------------------
    def _lock(self) -> None:
        path = self.index.lock_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 4096, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise IngestBusyError(f"another ingest is writing {self.index.uri} ({holder}); "
                                  "run this one after it finishes") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                                  "since": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}).encode(), 0)
        self._fd = fd

    def _unlock(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor releases the flock
            self._fd = None


class MasterIndex:
    """Opens (or creates) the index at `settings.index_uri`. Cheap to construct; safe to share."""

    def __init__(self, settings: Settings, read_consistency_interval_s: float | None = None) -> None:
        self.settings = settings
        self.uri = settings.index_uri
        interval = (settings.index.read_consistency_interval_s if read_consistency_interval_s is None
                    else read_consistency_interval_s)
        kwargs: dict[str, Any] = {}
        if interval is not None:
            kwargs["read_consistency_interval"] = dt.timedelta(seconds=interval)
        self.db = lancedb.connect(self.uri, **kwargs)
        self.programs_name = settings.index.programs_table
        self.listings_name = settings.index.listings_table
        self._handles: dict[str, Any] = {}
        self._snapshots: dict[int, Snapshot] = {}
        self._lock = threading.Lock()
        self._interval_s = interval or 0.0
        self._open: tuple[float, dict[str, int]] | None = None  # (checked at, OPEN_TAG versions)
        self._pinned: dict[tuple[str, int], Any] = {}

    # -- tables ------------------------------------------------------------------------------
    def _table_names(self) -> list[str]:
        res = self.db.list_tables()
        names = getattr(res, "tables", res)
        return list(names)

    def has_table(self, name: str) -> bool:
        # Tables are never dropped by this code, so an opened handle answers without a listing.
        return name in self._handles or name in self._table_names()

    def table(self, name: str, schema: pa.Schema | None = None):
        """The latest-tracking handle of a table (opened once; sees new versions per the interval)."""
        handle = self._handles.get(name)
        if handle is not None:
            return handle
        if self.has_table(name):
            handle = self.db.open_table(name)
        elif schema is None:
            raise FileNotFoundError(f"index {self.uri}: table {name!r} does not exist yet; run `matrix ingest` first")
        else:
            handle = self.db.create_table(name, schema=schema, exist_ok=True)
        self._handles[name] = handle
        return handle

    @property
    def programs(self):
        return self.table(self.programs_name, PROGRAMS_TABLE_SCHEMA)

    @property
    def listings(self):
        return self.table(self.listings_name, LISTINGS_TABLE_SCHEMA)

    # -- writes ------------------------------------------------------------------------------
    @staticmethod
    def _existing_hashes(tbl, keys: Sequence[str], wanted: Iterable[tuple] | None = None) -> dict[tuple, str]:
        """Stored content hash per key tuple (one column scan, no row payloads).

        With `wanted` (the key tuples of the batch being written) only the matching rows are
        turned into Python objects: the scan stays columnar (Arrow `is_in` on the last key
        column), so a streamed ingest writing batch after batch into a large table does not
        pay for every stored row on every batch.
        """
        if tbl.count_rows() == 0:
            return {}
        arrow = tbl.to_lance().to_table(columns=[*keys, "content_hash"])
        if wanted is not None:
            column = arrow.column(keys[-1])
            last = pa.array(sorted({str(k[-1]) for k in wanted}), type=pa.string()).cast(column.type)
            arrow = arrow.filter(pc.is_in(column, value_set=last))
        cols = [arrow.column(k).to_pylist() for k in keys]
        return dict(zip(zip(*cols, strict=True), arrow.column("content_hash").to_pylist(), strict=True))

    def _upsert(self, tbl, name: str, keys: Sequence[str], items: Sequence[tuple[tuple, str, Callable[[], dict[str, Any]]]],
                schema: pa.Schema) -> UpsertStats:
        """Merge only items that are new or whose content hash changed: unchanged input writes nothing.

        `items` are (key, content_hash, make_row); rows are built only for what is written.
        """
        stats = UpsertStats(table=name)
        latest = {key: (h, make) for key, h, make in items}  # merge_insert does not dedupe a batch: last wins
        existing = self._existing_hashes(tbl, keys, latest.keys())
        changed = []
        for key, (h, make) in latest.items():
            old = existing.get(key)
            if old is None:
                stats.inserted += 1
            elif old != h:
                stats.updated += 1
            else:
                stats.unchanged += 1
                continue
            stats.changed_keys.add(key)
            changed.append(make())
        if changed:
            data = pa.Table.from_pylist(changed, schema=schema)
            merge = tbl.merge_insert(list(keys) if len(keys) > 1 else keys[0])
            merge.when_matched_update_all().when_not_matched_insert_all().execute(data, on_bad_vectors="null")
        stats.version = tbl.version
        log.info("upsert", extra={"table": name, "inserted": stats.inserted, "updated": stats.updated,
                                  "unchanged": stats.unchanged, "version": stats.version})
        return stats

    def upsert_programs(self, programs: Sequence[Program],
                        vectors: np.ndarray | Sequence[Sequence[float] | np.ndarray] | None = None) -> UpsertStats:
        items = []
        for i, p in enumerate(programs):
            if p.content_hash is None:
                p.content_hash = p.compute_hash()
            vec = None if vectors is None else vectors[i]
            items.append(((p.program_id,), p.content_hash, lambda p=p, vec=vec: program_row(p, vec)))
        return self._upsert(self.programs, self.programs_name, ["program_id"], items, PROGRAMS_TABLE_SCHEMA)

    def upsert_listings(self, listings: Sequence[Listing]) -> UpsertStats:
        """Listings keyed by (source, source_id); `stats.changed_keys` names the ones written."""
        items = []
        for lst in listings:
            if lst.content_hash is None:
                lst.content_hash = lst.compute_hash()
            items.append(((lst.source, lst.source_id), lst.content_hash, lambda lst=lst: to_row(lst)))
        return self._upsert(self.listings, self.listings_name, ["source", "source_id"], items, LISTINGS_TABLE_SCHEMA)

    def ensure_indexes(self, force: bool = False) -> IndexReport:
        """Full-text, scalar and (once large enough) vector indexes; cheap when nothing changed."""
        return ensure_indexes(self.programs, self.settings.index, force=force)

    def indexes_ready(self) -> bool:
        """True when `ensure_indexes()` would have nothing to do (one cheap metadata read)."""
        tbl = self.programs
        if tbl.count_rows() == 0:
            return True
        have = {ix.columns[0]: ix for ix in tbl.list_indices() if ix.columns}
        wanted = {"search_text", *self.settings.index.scalar_index_columns}
        if not wanted <= set(have) or any((getattr(ix, "num_unindexed_rows", 0) or 0) > 0 for ix in have.values()):
            return False
        return "vector" in have or tbl.count_rows("vector IS NOT NULL") < self.settings.index.vector_index_min_rows

    def ensure_text_index(self) -> None:
        """Kept for callers of the first version: all indexes are managed by `ensure_indexes`."""
        self.ensure_indexes()

    # -- ingest runs --------------------------------------------------------------------------
    def begin_ingest(self) -> IngestRun:
        """The bracket every ingest writes in (see IngestRun)."""
        return IngestRun(self)

    def lock_path(self) -> Path:
        if "://" in self.uri:  # object store: the lock can only guard this machine
            digest = hashlib.blake2b(self.uri.encode(), digest_size=8).hexdigest()
            return self.settings.path("locks", f"ingest-{digest}.lock")
        return Path(self.uri) / "_ingest.lock"

    def _ingest_tables(self) -> dict[str, Any]:
        """The tables one ingest version spans (created empty when missing, so each can be tagged)."""
        return {"programs": self.programs, "listings": self.listings,
                "sightings": self.table(SIGHTINGS_TABLE, SIGHTINGS_SCHEMA)}

    def _forget_open(self) -> None:
        self._open = None

    def open_ingest_versions(self) -> dict[str, int]:
        """Table -> version readers are held at while an ingest is open (or died open); {} otherwise.

        Re-read at most once per read-consistency interval: one tag listing per table.
        """
        now = time.monotonic()
        if self._open is not None and now - self._open[0] < self._interval_s:
            return self._open[1]
        if not self.has_table(self.programs_name):
            found: dict[str, int] = {}
        else:
            tables = {"programs": self.programs}
            if self.has_table(self.listings_name):
                tables["listings"] = self.listings
            if self.has_table(SIGHTINGS_TABLE):
                tables["sightings"] = self.table(SIGHTINGS_TABLE)
            found = open_versions(tables)
        self._open = (now, found)
        return found

    def _reader(self, name: str, role: str):
        """A handle of table `name` at its last committed version (the latest one when no ingest is open)."""
        version = self.open_ingest_versions().get(role)
        if version is None:
            return self.db.open_table(name) if role == "sightings" else self.table(name)
        key = (name, version)
        handle = self._pinned.get(key)
        if handle is None:
            handle = self.db.open_table(name)
            handle.checkout(version)
            if len(self._pinned) > 8:
                self._pinned.clear()
            self._pinned[key] = handle
        return handle

    # -- versions ----------------------------------------------------------------------------
    def commit_ingest(self) -> IngestVersion:
        """Name the current state of both tables as the next ingest version (no-op if unchanged).

        Inside an open run (`begin_ingest`) use `run.commit()`; this is for writers that do not
        bracket their writes (benchmarks, tests, `matrix index maintain --tag`).
        """
        iv, created = commit_ingest(self.programs, self.listings)
        if created:
            log.info("ingest version", extra=iv.as_dict())
        return iv

    def versions(self) -> list[dict[str, Any]]:
        """Every programs-table version, newest first, with its ingest tag where it has one."""
        tags: dict[int, list[str]] = {}
        for iv in ingest_versions(self.programs, self.listings):
            tags.setdefault(iv.programs_version, []).append(iv.tag)
        listing_of = {iv.programs_version: iv.listings_version for iv in ingest_versions(self.programs, self.listings)}
        out = []
        for v in self.programs.list_versions():
            num = int(v["version"])
            ts = v.get("timestamp")
            out.append({"version": num, "timestamp": ts.isoformat() if hasattr(ts, "isoformat") else ts,
                        "tags": tags.get(num, []), "listings_version": listing_of.get(num),
                        "latest": False})
        out.sort(key=lambda d: -d["version"])
        if out:
            out[0]["latest"] = True
        return out

    def ingest_versions(self) -> list[IngestVersion]:
        return ingest_versions(self.programs, self.listings)

    def restore(self, version: int | str) -> dict[str, Any]:
        """Make `version` (a number or an ingest tag) the latest again; history is kept, not rewritten.

        Runs under the ingest lock, after rolling back a dead ingest, so an ingest never undoes a
        restore and a restore never lands in the middle of an ingest.
        """
        with IngestRun(self) as run:
            out = self._restore(version)
            run.commit(tag=False)
        return out

    def _restore(self, version: int | str) -> dict[str, Any]:
        pv, lv = resolve_version(self.programs, self.listings, version)
        self.programs.restore(pv)
        if lv is not None and self.has_table(self.listings_name):
            self.listings.restore(lv)
        with self._lock:
            self._snapshots.clear()
        out = {"restored": str(version), "programs_version": pv, "listings_version": lv,
               "new_programs_version": self.programs.version}
        log.info("restore", extra=out)
        return out

    # -- snapshots (what search reads) -------------------------------------------------------
    def snapshot(self, version: int | str | None = None) -> "Snapshot":
        """A consistent, read-only view of the programs table at `version` (default: latest).

        Built once per version and shared: the column cache costs one scan, later searches at
        that version pay nothing. Pass an ingest tag or a number to read the past.
        """
        latest = self.programs
        if version is None:
            num = self.open_ingest_versions().get("programs")
            if num is None:
                num = latest.version
        else:
            num, _ = resolve_version(latest, self.listings if self.has_table(self.listings_name) else None, version)
        snap = self._snapshots.get(num)
        if snap is not None:
            return snap
        with self._lock:
            snap = self._snapshots.get(num)
            if snap is None:
                snap = Snapshot.open(self.db, self.programs_name, num)
                # Keep the newest few versions: the latest plus any a reader pinned recently.
                if len(self._snapshots) >= 4:
                    self._snapshots.pop(min(self._snapshots))
                self._snapshots[num] = snap
        return snap

    # -- reads -------------------------------------------------------------------------------
    def get_program(self, program_id: str) -> Program | None:
        if not self.has_table(self.programs_name):
            return None
        safe = program_id.replace("'", "''")
        rows = self._reader(self.programs_name, "programs").search().where(f"program_id = '{safe}'").limit(1).to_list()
        return from_row(Program, rows[0]) if rows else None

    def record_sightings(self, listings: Sequence[Listing], seen_at: dt.datetime | None = None) -> int:
        """Mark listings as seen by this crawl: `last_seen` moves, `first_seen` is kept."""
        if not listings:
            return 0
        seen_at = seen_at or dt.datetime.now(dt.timezone.utc)
        keys = {(x.source, x.source_id) for x in listings}
        tbl = self.table(SIGHTINGS_TABLE, SIGHTINGS_SCHEMA)
        first: dict[tuple[str, str], dt.datetime] = {}
        if tbl.count_rows():
            a = tbl.to_lance().to_table(columns=["source", "source_id", "first_seen"])
            ids = pa.array(sorted({sid for _, sid in keys}), type=pa.string()).cast(a.column(1).type)
            a = a.filter(pc.is_in(a.column(1), value_set=ids))  # columnar: only this batch's rows reach Python
            cols = (a.column(0).to_pylist(), a.column(1).to_pylist(), a.column(2).to_pylist())
            first = {(src, sid): f for src, sid, f in zip(*cols, strict=True)
                     if (src, sid) in keys}
        rows = [{"source": src, "source_id": sid, "first_seen": first.get((src, sid), seen_at), "last_seen": seen_at}
                for src, sid in sorted(keys)]
        data = pa.Table.from_pylist(rows, schema=SIGHTINGS_SCHEMA)
        tbl.merge_insert(["source", "source_id"]).when_matched_update_all().when_not_matched_insert_all().execute(data)
        return len(rows)

    def sightings(self, keys: Sequence[tuple[str, str]] | None = None) -> dict[tuple[str, str], tuple[dt.datetime, dt.datetime]]:
        """(source, source_id) -> (first_seen, last_seen), for `keys` or for every listing."""
        if not self.has_table(SIGHTINGS_TABLE) or (keys is not None and not keys):
            return {}
        q = lambda v: "'" + v.replace("'", "''") + "'"  # noqa: E731
        flt = None if keys is None else " OR ".join(f"(source = {q(a)} AND source_id = {q(b)})" for a, b in keys)
        a = self._reader(SIGHTINGS_TABLE, "sightings").to_lance().to_table(filter=flt)
        cols = (a.column(c).to_pylist() for c in ("source", "source_id", "first_seen", "last_seen"))
        return {(src, sid): (f, last) for src, sid, f, last in zip(*cols, strict=True)}

    def delete_programs(self, program_ids: Sequence[str]) -> int:
        """Remove programs the resolver merged into another (their listings now live there)."""
        if not program_ids or not self.has_table(self.programs_name):
            return 0
        tbl = self.programs
        before = tbl.count_rows()
        quoted = ", ".join("'" + p.replace("'", "''") + "'" for p in program_ids)
        tbl.delete(f"program_id IN ({quoted})")
        return before - tbl.count_rows()

    def vectors_for(self, program_ids: Sequence[str]) -> dict[str, np.ndarray]:
        """Stored vectors of these programs (those that have one)."""
        if not program_ids or not self.has_table(self.programs_name):
            return {}
        quoted = ", ".join("'" + p.replace("'", "''") + "'" for p in program_ids)
        a = self.programs.to_lance().to_table(columns=["program_id", "vector"], filter=f"program_id IN ({quoted})")
        return {pid: np.asarray(v, dtype=np.float32)
                for pid, v in zip(a.column(0).to_pylist(), a.column(1).to_pylist(), strict=True)
                if v is not None}

    def all_programs(self) -> list[Program]:
        """Every stored program (the resolver matches new listings against them)."""
        if not self.has_table(self.programs_name):
            return []
        cols = [f.name for f in PROGRAM_SCHEMA]
        return [from_row(Program, r) for r in self.programs.to_arrow().select(cols).to_pylist()]

    def listings_for(self, keys: Sequence[str]) -> list[Listing]:
        if not keys or not self.has_table(self.listings_name):
            return []
        out: list[Listing] = []
        table = self._reader(self.listings_name, "listings")
        for key in keys:
            source, _, sid = key.partition(":")
            rows = table.search().where(
                f"source = '{source.replace(chr(39), chr(39) * 2)}' AND source_id = '{sid.replace(chr(39), chr(39) * 2)}'"
            ).limit(1).to_list()
            out.extend(from_row(Listing, r) for r in rows)
        seen = self.sightings([(x.source, x.source_id) for x in out])
        for lst in out:
            if (lst.source, lst.source_id) in seen:
                lst.first_seen, lst.last_seen = seen[(lst.source, lst.source_id)]
        return out

    def stats(self) -> dict[str, Any]:
        out: dict[str, Any] = {"uri": self.uri, "tables": {}}
        pending = self.open_ingest_versions()
        if pending:  # an ingest is running, or died before its commit: show what readers see
            out["open_ingest"] = pending
        for name, role in ((self.programs_name, "programs"), (self.listings_name, "listings")):
            if self.has_table(name):
                t = self._reader(name, role)
                out["tables"][name] = {"rows": t.count_rows(), "version": t.version}
                if name == self.programs_name:
                    out["tables"][name]["indexes"] = describe(t)
                    history = ingest_versions(t, self.listings if self.has_table(self.listings_name) else None)
                    out["tables"][name]["ingest_versions"] = len(history)
                    out["tables"][name]["last_ingest_tag"] = history[-1].tag if history else None
        if self.has_table(SIGHTINGS_TABLE):
            last: dict[str, Any] = {}
            for (src, _), (_, seen) in self.sightings().items():
                if seen is not None and (src not in last or seen > last[src]):
                    last[src] = seen
            out["last_ingest"] = {s: v.isoformat() for s, v in sorted(last.items())}
        elif self.has_table(self.listings_name):
            a = self._reader(self.listings_name, "listings").to_arrow().select(["source", "fetched_at"])
            last = {}
            for s, f in zip(a.column(0).to_pylist(), a.column(1).to_pylist(), strict=True):
                if f is not None and (s not in last or f > last[s]):
                    last[s] = f
            out["last_ingest"] = {s: v.isoformat() for s, v in sorted(last.items())}
        return out


class Snapshot:
    """A table handle pinned to one version plus that version's column cache."""

    def __init__(self, table, version: int, columns: ColumnCache, indexed: set[str]) -> None:
        self.table = table
        self.dataset = table.to_lance()  # pylance dataset at the same pinned version
        self.version = version
        self.columns = columns
        self.indexed = indexed

    @classmethod
    def open(cls, db, name: str, version: int) -> "Snapshot":
        tbl = db.open_table(name)
        tbl.checkout(version)
        data = tbl.to_lance().to_table(columns=CACHE_COLUMNS)
        indexed = {ix.columns[0] for ix in tbl.list_indices() if ix.columns}
        return cls(tbl, version, ColumnCache(data, version), indexed)

    @property
    def rows(self) -> int:
        return self.columns.n

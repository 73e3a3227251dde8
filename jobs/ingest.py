"""The ingest job: sources -> normalize -> resolve -> embed -> index, streamed through Ray Data.

    ray job submit --working-dir . -- python jobs/ingest.py [--source NAME ...]
    matrix ingest [--source NAME ...]

Shape of the pipeline and why:
1. fetch   — a Ray Data dataset of source names, `map_batches` by a generator that walks one
             source politely and yields its pages in small Arrow blocks, then one report row (pages
             fetched, error, the source's crawl report). Pages live in workers and the object
             store, never on the driver; Ray Data's back-pressure pauses a crawl whose pages are
             not consumed yet. Across sources the fetches run in parallel; inside one host they
             would only fight its rate limit.
2. parse + normalize — `flat_map` / `map_batches` over the pages: CPU-bound, pure, on every
             worker; normalize emits Arrow batches in the listings table's own schema
             (`matrix.models.LISTING_SCHEMA`, derived from the pydantic model) plus status
             columns: a record that fails is a row with its id and error, never a lost batch.
3. listings — the driver takes the stream in bounded batches (`ingest.batch_size`) and upserts
             each into LanceDB keyed by (source, source_id), content-hash guarded, so a
             re-crawl of unchanged pages writes nothing. Counts, dropped records and the
             per-field fill/drift report are accumulated batch by batch (`IngestTally`). Only
             listings that need resolving (new, changed, owned by no program) are kept.
4. resolve — those listings -> canonical programs (matrix.resolve), incremental against what the
             index already holds, so program ids stay stable; in Ray tasks
             (jobs.resolve_partitioned) when `resolve.partitioned` says so. A cold Ray run (no
             stored program) spills the listings to resolve to object-store shards as they are
             written (`ListingShards`, SCALE_SHARD_ROWS each, texts embedded through the cache on
             the way); when it resolves partitioned it takes the scalable path (`resolve_scale`:
             every step a Ray task) and streams the program blocks into the index in batches
             (`write_scale_programs`), so the driver never holds the run's listings or programs.
5. embed   — only programs whose search text changed, in a Ray Data actor pool (model loaded
             once per actor), behind the text-hash embedding cache; a progress bar on stderr.
6. index   — one upsert of changed programs, then index maintenance.
7. commit  — steps 3-6 write inside one ingest run (MasterIndex.begin_ingest): the run is tagged
             as one ingest version at the end, readers never see half of it, and a run killed
             anywhere is rolled back by the next one, which resolves the same changes again.

`--local` (run_ingest(use_ray=False)) runs the very same step functions in one process.
Fault points (matrix.faults) between the steps let the chaos test kill the job in every stage.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import functools
import json
import sys
import time
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

if __package__ in (None, ""):  # `python jobs/ingest.py` from the repo root (ray job submit)
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import ray

from jobs.common import batch_job, connect_ray
from matrix.config import Settings, load_settings
from matrix.faults import fault_point
from matrix.index import MasterIndex
from matrix.index.history import record_after_ingest
from matrix.index.store import UpsertStats
from matrix.models import LISTING_SCHEMA, Listing, Program, from_row, to_row
from matrix.observability import RECORDS_INGESTED, get_logger, setup_logging
from matrix.sources import Page, build_source
from matrix.sources.base import parse_timestamp
from matrix.sources.drift import FieldReports

log = get_logger("jobs.ingest")
_SOURCES: dict[tuple[str, str], Any] = {}
PAGES_PER_BLOCK = 32  # pages a fetch task hands to Ray Data at a time (small: a slow crawl still streams)
DROPPED_SHOWN = 20  # dropped records named per source in the report (all of them are logged)
# A cold Ray run that may resolve on the scalable path spills the listings to resolve to the object
# store in shards of this many (jobs.resolve_partitioned.resolve_scale): the driver holds one shard.
SCALE_SHARD_ROWS = 10_000
# What normalize emits: the listing's own columns, then per row its status ("ok" | "failed" |
# "report"), the error and record id of a dropped record, and a source's crawl report (JSON).
NORMALIZED_SCHEMA = pa.schema(list(LISTING_SCHEMA) + [
    pa.field("_status", pa.string()), pa.field("_error", pa.string()),
    pa.field("_record", pa.string()), pa.field("_report", pa.string()),
    # the configured source the row came from: a listing's own `source` may differ (a network
    # source "net-awin" yields listings of source "awin"), and the report is per configured source
    pa.field("_origin", pa.string())])
_LISTING_COLUMNS = [f.name for f in LISTING_SCHEMA]


def remote_args(settings: Settings) -> dict[str, Any]:
    """`resources=` for every Ray task and Ray Data stage of the ingest (`ray.task_resources`), or nothing.

    Lets an operator pin the ingest to a worker group (KubeRay: nodes started with that custom
    resource) and keep it off the head.
    """
    return {"resources": dict(settings.ray.task_resources)} if settings.ray.task_resources else {}


def _source(settings_json: str, name: str):
    """Build (once per worker process) the source object used by fetch/parse/normalize."""
    key = (settings_json, name)
    if key not in _SOURCES:
        settings = Settings.model_validate_json(settings_json)
        _SOURCES[key] = build_source(settings.source(name), settings)
    return _SOURCES[key]


# --- fetch: one source's pages, then its report ------------------------------------------------


@dataclasses.dataclass
class SourceDone:
    """The end of one source's crawl: how many pages, the error that stopped it, its crawl report."""

    source: str
    pages: int
    error: str | None
    crawl: dict[str, Any] | None

    def to_json(self) -> str:
        return json.dumps({"pages": self.pages, "error": self.error, "crawl": self.crawl}, default=str)


def _crawl_report(src: Any) -> dict[str, Any] | None:
    report = getattr(src, "report", None)
    to_dict = getattr(report, "to_dict", None)
    return to_dict() if callable(to_dict) else (report if isinstance(report, dict) else None)


def iter_source(settings_json: str, name: str) -> Iterator[Page | SourceDone]:
    """Walk one source politely: its pages one at a time, then a SourceDone (never raises).

    A source that cannot be built or fails mid-crawl ends with the error in its SourceDone; the
    pages it fetched before still count, and the other sources never notice.
    """
    src, n, error = None, 0, None
    try:
        src = _source(settings_json, name)
        for page in src.fetch_pages():
            n += 1
            yield page
    except Exception as exc:  # a broken source never stops the others
        error = f"{type(exc).__name__}: {exc}"
        log.error("source failed", extra={"source": name, "error": error})
    yield SourceDone(name, n, error, _crawl_report(src))


def _page_row(page: Page) -> dict[str, Any]:
    return {**page.to_dict(), "report": None}


def _report_row(done: SourceDone, body_type: type) -> dict[str, Any]:
    """A source's report as a row shaped like its pages (same column types, so blocks concatenate)."""
    return {"source": done.source, "url": "", "body": body_type(), "content_type": "", "status": 0,
            "fetched_at": dt.datetime.now(dt.timezone.utc).isoformat(), "kind": "report", "meta": "{}",
            "report": done.to_json()}


def _fetch_pages(batch: pa.Table, settings_json: str) -> Iterator[pa.Table]:
    """Ray Data UDF: source names in, their pages out in blocks of PAGES_PER_BLOCK, each source ending with its report row."""
    for name in batch.column("source").to_pylist():
        rows: list[dict[str, Any]] = []
        body_type: type = str
        for item in iter_source(settings_json, str(name)):
            if isinstance(item, SourceDone):
                rows.append(_report_row(item, body_type))
                break
            body_type = type(item.body)
            rows.append(_page_row(item))
            if len(rows) >= PAGES_PER_BLOCK:
                yield _pages_table(rows)
                rows = []
        yield _pages_table(rows)


def _pages_table(rows: list[dict[str, Any]]) -> pa.Table:
    """Page rows as Arrow, `report` typed string even when every row's is null (blocks concatenate)."""
    table = pa.Table.from_pylist(rows)
    i = table.schema.get_field_index("report")
    return table.set_column(i, "report", table.column(i).cast(pa.string()))


def _fetch_one(settings_json: str, name: str) -> dict[str, Any]:
    """One source's pages as a list plus its report (never raises): for stage timing in bench/, not the job."""
    pages: list[dict[str, Any]] = []
    for item in iter_source(settings_json, name):
        if isinstance(item, SourceDone):
            return {"source": name, "pages": pages, "error": item.error, "report": item.crawl}
        pages.append(item.to_dict())
    raise AssertionError("iter_source always ends with SourceDone")


# --- parse and normalize: the per-record steps (Ray workers and --local run exactly these) ---------


def _parse_page(row: dict[str, Any], settings_json: str) -> list[dict[str, Any]]:
    """One page -> its raw records (JSON text); a page that does not parse is one error row; report rows pass."""
    if _text(row.get("report")) is not None:
        return [{"source": row["source"], "raw": None, "error": None, "fetched_at": row["fetched_at"],
                 "report": row["report"]}]
    page = Page.from_dict(row)
    src = _source(settings_json, page.source)
    try:
        raws = src.parse(page)
    except Exception as exc:
        return [{"source": page.source, "raw": None, "error": f"parse {page.url}: {exc}",
                 "fetched_at": page.fetched_at.isoformat(), "report": None}]
    return [{"source": page.source, "raw": json.dumps(r, default=str), "error": None,
             "fetched_at": page.fetched_at.isoformat(), "report": None} for r in raws]


def _text(value: Any) -> str | None:
    """A string cell as str, a missing one as None (numpy batches turn an all-null Arrow column into NaN)."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value if isinstance(value, str) else None


def _normalize_row(settings_json: str, source: str, raw: Any, err: Any, fetched_at: Any, report: Any) -> dict[str, Any]:
    """One parsed record -> a NORMALIZED_SCHEMA row: the listing (content hash set), or its error and id."""
    raw, err, report = _text(raw), _text(err), _text(report)
    if report is not None:
        return {"source": source, "_origin": source, "_status": "report", "_report": report}
    if raw is None:
        return {"source": source, "_origin": source, "_status": "failed", "_error": err or "no record", "_record": None}
    from matrix.sources.directory import record_id

    try:
        lst = _source(settings_json, source).to_listing(json.loads(raw), parse_timestamp(fetched_at))
        lst.content_hash = lst.content_hash or lst.compute_hash()
        return {**to_row(lst), "_origin": source, "_status": "ok"}
    except Exception as exc:
        rid = record_id(raw)
        return {"source": source, "_origin": source, "_status": "failed", "_record": rid,
                "_error": f"normalize {source} record {rid}: {type(exc).__name__}: {exc}"}


def normalize_batch(batch: dict[str, Any] | pa.Table, settings_json: str) -> pa.Table:
    """Parsed rows (an Arrow table or numpy columns) -> one Arrow batch in NORMALIZED_SCHEMA
    (listings plus error and report rows)."""
    cols = {k: batch.column(k).to_pylist() for k in batch.column_names} if isinstance(batch, pa.Table) else batch
    reports = cols.get("report")
    n = len(cols["source"])
    rows = [_normalize_row(settings_json, str(cols["source"][i]), cols["raw"][i], cols["error"][i],
                           cols["fetched_at"][i], None if reports is None else reports[i]) for i in range(n)]
    return pa.Table.from_pylist(rows, schema=NORMALIZED_SCHEMA)


def _normalize_batch(batch: dict[str, Any] | pa.Table, settings_json: str) -> dict[str, list]:
    """`normalize_batch` as JSON rows (source, listing, error): the shape bench/ stage timings read."""
    table = normalize_batch(batch, settings_json)
    listings = [from_row(Listing, r).model_dump_json() if r["_status"] == "ok" else None for r in table.to_pylist()]
    return {"source": table.column("source").to_pylist(), "listing": listings, "error": table.column("_error").to_pylist()}


def _rows_to_batch(rows: list[dict[str, Any]]) -> dict[str, np.ndarray]:
    keys = ("source", "raw", "error", "fetched_at", "report")
    return {k: np.array([r.get(k) for r in rows], dtype=object) for k in keys}



# --- the streams: Arrow batches of NORMALIZED_SCHEMA, from the cluster or from this process -----


def listing_dataset(settings: Settings, names: list[str]) -> ray.data.Dataset:
    """The lazy pipeline: source names -> pages (in workers) -> raw records -> normalized Arrow batches."""
    settings_json = settings.model_dump_json()
    ds: ray.data.Dataset = ray.data.from_items([{"source": n} for n in names], override_num_blocks=max(1, len(names)))
    ds = ds.map_batches(functools.partial(_fetch_pages, settings_json=settings_json), batch_size=1,
                        batch_format="pyarrow", num_cpus=0.5, **remote_args(settings))
    ds = ds.flat_map(functools.partial(_parse_page, settings_json=settings_json), **remote_args(settings))
    return ds.map_batches(functools.partial(normalize_batch, settings_json=settings_json), batch_size=256,
                          batch_format="pyarrow", **remote_args(settings))


def stream_tables(settings: Settings, names: list[str]) -> Iterator[pa.Table]:
    """NORMALIZED_SCHEMA batches of at most `ingest.batch_size` rows, streamed from the Ray cluster.

    The driver holds one batch (plus Ray Data's prefetch) at a time: pages and raw records stay in
    the workers and the object store, and Ray Data pauses the crawl while batches wait here.
    """
    fault_point("fetch:start")
    if names:
        for batch in listing_dataset(settings, names).iter_batches(
                batch_size=settings.ingest.batch_size, batch_format="pyarrow", prefetch_batches=1):
            table = batch if isinstance(batch, pa.Table) else pa.table(batch)
            for _ in range(table.column("_status").to_pylist().count("report")):
                fault_point("fetch:source")  # a source's crawl ended (its report row arrived)
            yield table
    fault_point("parse:done")


def stream_tables_local(settings: Settings, names: list[str]) -> Iterator[pa.Table]:
    """The same batches computed in this process, one source after another (`--local`)."""
    settings_json = settings.model_dump_json()
    fault_point("fetch:start")
    for name in names:
        pages: list[dict[str, Any]] = []
        for item in iter_source(settings_json, name):
            if isinstance(item, SourceDone):
                fault_point("fetch:source")
                rows = [r for page in pages for r in _parse_page(page, settings_json)]
                rows.append(_parse_page(_report_row(item, str), settings_json)[0])
                fault_point("parse:source")
                yield normalize_batch(_rows_to_batch(rows), settings_json)
                break
            pages.append(_page_row(item))
            if len(pages) >= PAGES_PER_BLOCK:
                rows = [r for page in pages for r in _parse_page(page, settings_json)]
                pages = []
                if rows:
                    yield normalize_batch(_rows_to_batch(rows), settings_json)
    fault_point("parse:done")


def _source_report() -> dict[str, Any]:
    return {"pages": 0, "error": None, "crawl": None, "listings": 0, "failed": 0, "dropped": []}


class IngestTally:
    """What the driver learns from the stream, batch by batch: per-source counts and crawl
    reports, dropped records (logged with their id), per-field fill and drift (matrix.sources.drift).

    Memory: the counts, at most DROPPED_SHOWN dropped records per source, and the drift
    trackers' per-record known-field sets (ids only); never the listings themselves.
    """

    def __init__(self, settings: Settings, names: list[str]) -> None:
        self.report: dict[str, Any] = {n: _source_report() for n in names}
        self.fields = FieldReports(settings, names)
        self.batch_size = settings.ingest.batch_size
        self.batches = 0

    def _source(self, name: str) -> dict[str, Any]:
        return self.report.setdefault(name, _source_report())

    def _drop(self, src: str, record: str | None, error: str) -> None:
        rep = self._source(src)
        rep["failed"] += 1
        RECORDS_INGESTED.labels(src, "failed").inc()
        log.warning("record dropped", extra={"source": src, "record_id": record, "error": error})
        if len(rep["dropped"]) < DROPPED_SHOWN:
            rep["dropped"].append({"record": record, "error": error})

    def _crawled(self, src: str, report_json: str) -> None:
        done = json.loads(report_json)
        rep = self._source(src)
        rep["pages"] += int(done.get("pages") or 0)
        rep["error"] = done.get("error")
        rep["crawl"] = done.get("crawl")

    def take(self, table: pa.Table) -> list[Listing]:
        """One normalized batch -> its listings; counts, drops and crawl reports recorded on the way."""
        status = table.column("_status").to_pylist()
        sources = table.column("_origin").to_pylist()
        ok = table.filter(pc.equal(table.column("_status"), "ok"))
        origins = [str(o) for o in ok.column("_origin").to_pylist()]
        listings = [from_row(Listing, r) for r in ok.select(_LISTING_COLUMNS).to_pylist()]
        if len(listings) < len(status):
            errors, records, reports = (table.column(c).to_pylist() for c in ("_error", "_record", "_report"))
            for i, st in enumerate(status):
                if st == "failed":
                    self._drop(str(sources[i]), records[i], str(errors[i]))
                elif st == "report":
                    self._crawled(str(sources[i]), reports[i])
        for origin in origins:
            self._source(origin)["listings"] += 1
            RECORDS_INGESTED.labels(origin, "ok").inc()
        self.fields.observe(listings, origins)
        return listings

    def listing_batches(self, tables: Iterable[pa.Table], on_end: Callable[[str], None] | None = None) -> Iterator[list[Listing]]:
        """Listings in batches of at most `ingest.batch_size`; the field report is finished when the stream ends."""
        n = 0
        for table in tables:
            for start in range(0, max(table.num_rows, 1), self.batch_size):
                listings = self.take(table.slice(start, self.batch_size))
                n += len(listings)
                if listings:
                    self.batches += 1
                    yield listings
        self.fields.finish(self.report)
        if on_end is not None:
            on_end(f"normalized {n} listings")


def _collect(settings: Settings, names: list[str], tables: Iterable[pa.Table]) -> tuple[list[Listing], dict[str, Any]]:
    tally = IngestTally(settings, names)
    listings = [x for batch in tally.listing_batches(tables) for x in batch]
    listings.sort(key=lambda x: (x.source, x.source_id))  # one order whatever order workers finished in
    return listings, tally.report


def collect_listings(settings: Settings, names: list[str]) -> tuple[list[Listing], dict[str, Any]]:
    """Every listing of the named sources in one list, plus the report (small runs, tests, tools):
    the job itself never collects, it streams (`run_ingest`)."""
    return _collect(settings, names, stream_tables(settings, names))


def collect_listings_local(settings: Settings, names: list[str]) -> tuple[list[Listing], dict[str, Any]]:
    """`collect_listings` in this process: no Ray start-up, identical records (the very functions
    the Ray path maps over its workers)."""
    return _collect(settings, names, stream_tables_local(settings, names))


# --- embedding ------------------------------------------------------------------------------


class _EmbedActor:
    """Ray Data actor: the sentence-transformer is loaded once per actor, then reused per batch."""

    def __init__(self, model: str, batch_size: int) -> None:
        from matrix.embed import Embedder

        self.embedder = Embedder(model, batch_size=batch_size)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, Any]:
        vecs = self.embedder.embed([str(t) for t in batch["text"]])
        return {"key": batch["key"], "vector": list(vecs)}


def embed_texts(settings: Settings, texts: dict[str, str]) -> dict[str, np.ndarray]:
    """Embed `key -> text` in a Ray Data actor pool; returns `key -> vector`.

    A bar on stderr (texts embedded, rate, ETA: matrix.embed.progress_bar, the one the resolver and
    the in-process embedder show) follows the batches as they come back.
    """
    from matrix.embed import progress_bar

    if not texts:
        return {}
    items = [{"key": k, "text": t} for k, t in texts.items()]
    ds: ray.data.Dataset = ray.data.from_items(items, override_num_blocks=max(1, min(len(items) // 256, 16)))
    ds = ds.map_batches(
        _EmbedActor,
        fn_constructor_args=(settings.embed.model, settings.embed.batch_size),
        batch_size=settings.embed.batch_size * 4,
        compute=ray.data.ActorPoolStrategy(min_size=1, max_size=settings.embed.actors),
        num_cpus=1,
        batch_format="numpy",
        **remote_args(settings),
    )
    out: dict[str, np.ndarray] = {}
    with progress_bar(len(items), "embedding", "texts") as bar:
        for batch in ds.iter_batches(batch_size=settings.embed.batch_size * 4, batch_format="numpy"):
            for key, vec in zip(batch["key"], batch["vector"], strict=True):
                out[str(key)] = np.asarray(vec, dtype=np.float32)
            bar.update(len(batch["key"]))
    return out


class RayCachedEmbedder:
    """The resolver's embedder: cached texts come from LanceDB, only misses reach the actor pool.

    `resolve_listings` asks for vectors lazily (only for records it has to place), so a re-ingest
    of unchanged listings embeds nothing and never loads the model.
    """

    def __init__(self, settings: Settings) -> None:
        from matrix.embed import EmbeddingCache

        self.settings = settings
        self.cache = EmbeddingCache(settings)
        self.embedded = 0

    @property
    def dim(self) -> int:
        return self.settings.embed.dim

    def embed_misses(self, texts: dict[str, str]) -> dict[str, np.ndarray]:
        """Embed texts the cache has never seen (`key -> text` to `key -> vector`)."""
        return embed_texts(self.settings, texts)

    def embed_dict(self, texts: dict[str, str]) -> dict[str, np.ndarray]:
        from matrix.embed import embed_through_cache

        def misses(d: dict[str, str]) -> dict[str, np.ndarray]:
            fault_point("embed:batch")
            return self.embed_misses(d)

        vecs, n = embed_through_cache(texts, misses, self.cache)
        if n:
            fault_point("embed:done")
        self.embedded += n
        return vecs

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        vecs = self.embed_dict({str(i): t for i, t in enumerate(texts)})
        return np.stack([vecs[str(i)] for i in range(len(texts))])

    def for_tasks(self):
        """A picklable embedder for the scalable resolver's tasks: reads the vectors this one cached."""
        from jobs.resolve_partitioned import CachedModelEmbedder

        return CachedModelEmbedder(self.settings)


class LocalCachedEmbedder(RayCachedEmbedder):
    """The same cache-first embedder with the model in this process (`--local` runs)."""

    def embed_misses(self, texts: dict[str, str]) -> dict[str, np.ndarray]:
        from matrix.embed import Embedder

        keys = list(texts)
        vecs = Embedder(self.settings.embed.model, self.settings.embed.device, self.settings.embed.batch_size).embed(
            [texts[k] for k in keys])
        return dict(zip(keys, vecs, strict=True))


# --- the index steps: each a named function, so hooks (drift report, program history) are one line --


def write_listings(index: MasterIndex, listings: list[Listing]):
    """Upsert one batch of listings (content-hash guarded) and mark them seen; returns the upsert stats."""
    lstats = index.upsert_listings(listings)
    fault_point("write:listings")
    index.record_sightings(listings)
    fault_point("write:sightings")
    return lstats


def _listing_order(x: Listing) -> tuple[str, str]:
    return (x.source, x.source_id)


class ListingShards:
    """The listings a run must resolve, kept on the driver or spilled to the object store.

    Why: a cold run of a million listings cannot keep them all on the driver as pydantic objects.
    With `spill` on (a cold Ray run that may resolve on the scalable path), every SCALE_SHARD_ROWS
    listings are put into the object store as one sorted shard (`on_spill` sees each shard first:
    the ingest embeds its texts through the cache there) and dropped here. `listings()` gives
    back everything in one sorted list, a later copy of a key winning (the in-process path);
    `clean` is False when a key came again after its shard was spilled (then only that path is exact).
    """

    def __init__(self, spill: bool = False, rows: int | None = None,
                 on_spill: Callable[[list[Listing]], None] | None = None) -> None:
        self.spill, self.rows, self.on_spill = spill, rows or SCALE_SHARD_ROWS, on_spill
        self.pending: dict[tuple[str, str], Listing] = {}
        self.refs: list[Any] = []
        self.sizes: list[int] = []
        self.spilled: set[tuple[str, str]] = set()
        self.clean = True

    @property
    def n(self) -> int:
        return sum(self.sizes) + len(self.pending)

    def add(self, x: Listing) -> None:
        key = _listing_order(x)
        if key in self.spilled:
            self.clean = False
        self.pending[key] = x
        if self.spill and len(self.pending) >= self.rows:
            self.flush()

    def flush(self) -> None:
        """Spill what is pending as one shard."""
        if not self.pending:
            return
        shard = sorted(self.pending.values(), key=_listing_order)
        if self.on_spill is not None:
            self.on_spill(shard)
        self.refs.append(ray.put(shard))
        self.sizes.append(len(shard))
        self.spilled.update(self.pending)
        self.pending = {}

    def listings(self) -> list[Listing]:
        merged: dict[tuple[str, str], Listing] = {}
        for ref in self.refs:
            merged.update((_listing_order(x), x) for x in ray.get(ref))
        merged.update(self.pending)
        return sorted(merged.values(), key=_listing_order)  # one order, whatever order batches came in


@dataclasses.dataclass
class ListingWrites:
    """All listing batches of one run: summed upsert stats, and the listings the resolver needs
    (`todo`, or still in `shards` when they were spilled to the object store)."""

    stats: UpsertStats
    todo: list[Listing]
    sources: set[str]
    batches: int = 0
    shards: ListingShards | None = None


def write_listing_batches(index: MasterIndex, batches: Iterable[list[Listing]], owned: set[str],
                          shards: ListingShards | None = None) -> ListingWrites:
    """Write each batch as it comes; keep only listings that are new, changed, or owned by no program.

    A stored program already carries its unchanged listings' values, so those are dropped as soon
    as their batch is written: the driver holds one batch plus what the resolver will need (or,
    with spilling `shards`, one shard of it: the rest is in the object store, `out.todo` empty).
    """
    total = UpsertStats(table=index.listings_name)
    keep = shards if shards is not None else ListingShards()
    out = ListingWrites(total, [], set(), shards=keep)
    for listings in batches:
        lstats = write_listings(index, listings)
        out.batches += 1
        total.inserted, total.updated = total.inserted + lstats.inserted, total.updated + lstats.updated
        total.unchanged, total.version = total.unchanged + lstats.unchanged, lstats.version
        total.changed_keys |= lstats.changed_keys
        for x in listings:
            out.sources.add(x.source)
            if (x.source, x.source_id) in lstats.changed_keys or x.key not in owned:
                keep.add(x)
    if out.batches == 0:  # nothing crawled: the run still writes (and versions) exactly as an empty batch would
        write_listings(index, [])
    if not keep.spill:
        out.todo = keep.listings()
    return out


def resolve_partitioned_now(settings: Settings, n_changed: int, use_ray: bool) -> bool:
    """`resolve.partitioned`: on, off, or auto (more than one node with CPUs, or many changed listings)."""
    mode = settings.resolve.partitioned
    if not use_ray or mode == "off" or n_changed == 0:
        return False
    if mode == "on":
        return True
    nodes = [n for n in ray.nodes() if n.get("Alive") and (n.get("Resources") or {}).get("CPU", 0) > 0]
    return len(nodes) > 1 or n_changed > settings.resolve.partition_above


def resolve_changed(settings: Settings, todo: list[Listing], existing: list[Program], embedder, use_ray: bool = False):
    """Resolve what changed since the last committed ingest into programs (new, changed, unowned listings).

    Because a run that died is rolled back to the last commit first, "changed" is always relative
    to that commit, never to a half-written run. Partitioned resolution gives the same result.
    """
    fault_point("resolve:start")
    if resolve_partitioned_now(settings, len(todo), use_ray):
        from jobs.resolve_partitioned import resolve_partitioned

        result = resolve_partitioned(todo, existing, settings=settings, embedder=embedder)
        result.stats["partitioned"] = True
    else:
        from matrix.resolve import resolve_listings

        result = resolve_listings(todo, existing, settings=settings, embedder=embedder)
    fault_point("resolve:done")
    return result


def stored_members(index: MasterIndex, changed: list[Program], have: Iterable[Listing], sources: set[str]) -> list[Listing]:
    """Listings of changed programs that this run crawled unchanged (so dropped after writing): read back.

    Their vectors come from the embedding cache; members from sources not in this run stay
    represented by the program's stored vector (see vectors_for_programs).
    """
    known = {x.key for x in have}
    want: dict[str, list[str]] = {}
    for p in changed:
        for key in p.listing_keys:
            src, _, sid = key.partition(":")
            if key not in known and src in sources:
                want.setdefault(src, []).append(sid)
    out: list[Listing] = []
    q = lambda v: "'" + v.replace("'", "''") + "'"  # noqa: E731
    for src, sids in want.items():
        for i in range(0, len(sids), 500):
            flt = f"source = {q(src)} AND source_id IN ({', '.join(q(x) for x in sids[i:i + 500])})"
            out.extend(from_row(Listing, r) for r in index.listings.to_lance().to_table(filter=flt).to_pylist())
    return out


def vectors_for_programs(index: MasterIndex, listings: list[Listing], changed: list[Program], existing: list[Program],
                         embedder) -> dict[str, np.ndarray]:
    """A vector per changed program: the mean of its listings' vectors (matrix.resolve.program_vectors).

    Programs are never embedded separately; members outside `listings` (other sources) are
    represented by the stored vector; only programs with no embedded listing fall back to
    embedding `program_text`.
    """
    from matrix.resolve import listing_text, program_text, program_vectors

    by_key = {x.key: x for x in listings}
    keys = sorted({k for p in changed for k in p.listing_keys if k in by_key})
    listing_vecs = embedder.embed_dict({k: listing_text(by_key[k]) for k in keys}) if keys else {}
    sizes = {p.program_id: len(p.listing_keys) for p in existing}
    previous = index.vectors_for([p.program_id for p in changed if p.program_id in sizes])
    vectors = program_vectors(changed, listing_vecs, previous=previous, previous_sizes=sizes)
    missing = {p.program_id: program_text(p) for p in changed if p.program_id not in vectors}
    if missing:
        vectors.update(embedder.embed_dict(missing))
    return vectors


def write_programs(index: MasterIndex, result, vectors: dict[str, np.ndarray]):
    """Delete programs merged away, upsert the changed ones; returns the upsert stats."""
    changed = result.changed
    if result.removed_ids:
        index.delete_programs(sorted(result.removed_ids))
        fault_point("write:deleted")
    pstats = index.upsert_programs(changed, [vectors[p.program_id] for p in changed] if changed else None)
    fault_point("write:programs")
    return pstats


def build_indexes(index: MasterIndex) -> None:
    index.ensure_indexes()
    fault_point("index:built")


def _stats_dict(stats) -> dict[str, Any]:
    return {k: v for k, v in vars(stats).items() if k != "changed_keys"}


def index_batches(settings: Settings, index: MasterIndex, batches: Iterable[list[Listing]],
                  embedder: RayCachedEmbedder | None = None, step: Callable[[str], None] = lambda m: None,
                  use_ray: bool | None = None) -> dict[str, Any]:
    """Listing batches -> index as ONE ingest version: listings, sightings, programs, indexes, then the tag.

    `batches` may be a live stream (the crawl runs while its batches are written). Everything is
    written inside `index.begin_ingest()`: readers keep seeing the last committed ingest until
    `run.commit()`, and a run killed anywhere in here is rolled back by the next one, which then
    finds the same listings changed and resolves them again.
    """
    embedder = embedder or RayCachedEmbedder(settings)
    use_ray = ray.is_initialized() if use_ray is None else use_ray
    before = embedder.embedded
    with index.begin_ingest() as run:
        rolled = run.recovered.get("rolled_back")
        if rolled:
            step(f"rolled back an ingest that died before committing (tables {', '.join(sorted(rolled))})")
        existing = index.all_programs()
        shards = ListingShards(spill=_may_scale(settings, existing, use_ray),
                               on_spill=lambda shard: _embed_listings(embedder, shard))
        writes = write_listing_batches(index, batches, {k for p in existing for k in p.listing_keys}, shards)
        lstats = writes.stats
        step(f"listings: {lstats.inserted} new, {lstats.updated} changed, {lstats.unchanged} unchanged "
             f"({writes.batches} batch(es)); {shards.n} to resolve")
        if shards.spill and shards.clean and resolve_partitioned_now(settings, shards.n, use_ray):
            pstats, resolved, history = resolve_and_write_scale(settings, index, shards, embedder, step)
        else:
            writes.todo = shards.listings() if shards.spill else writes.todo
            pstats, resolved, history = resolve_and_write(settings, index, writes, existing, embedder, use_ray, step,
                                                          before)
        build_indexes(index)
        version = run.commit()
    fault_point("commit:done")
    if history is not None:  # program change log (issue 15); never fails the ingest
        record_after_ingest(index, history[0], version, history[1])
    step(f"programs: {pstats.inserted} new, {pstats.updated} changed, {pstats.unchanged} unchanged")
    return {
        "listings": {**_stats_dict(lstats), "batches": writes.batches},
        "programs": _stats_dict(pstats),
        "resolve": {**resolved, "texts_embedded": embedder.embedded - before},
        "ingest_version": getattr(version, "tag", None) if version else None,
        "recovered": run.recovered if run.recovered.get("rolled_back") or run.recovered.get("dropped_tags") else None,
    }


def _may_scale(settings: Settings, existing: list[Program], use_ray: bool) -> bool:
    """Spill the listings to resolve to the object store: a cold Ray run (no stored program: no
    stable ids to keep) whose `resolve.partitioned` is not off may resolve on the scalable path."""
    return use_ray and not existing and settings.resolve.partitioned != "off"


def _embed_listings(embedder, listings: list[Listing]) -> None:
    """Embed a shard's listing texts through the cache now (the driver is the cache's one writer);
    the scalable resolver's tasks and the program writer then read them from the cache."""
    from matrix.resolve import listing_text

    embedder.embed_dict({x.key: listing_text(x) for x in listings})


def resolve_and_write(settings: Settings, index: MasterIndex, writes: ListingWrites, existing: list[Program],
                      embedder, use_ray: bool, step: Callable[[str], None], before: int = 0):
    """The resolver on the driver's listings (in process or partitioned), then one program upsert.
    Returns (program upsert stats, resolve summary, (changed programs, members) for the change log)."""
    result = resolve_changed(settings, writes.todo, existing, embedder, use_ray)
    changed = result.changed
    members = writes.todo + stored_members(index, changed, writes.todo, writes.sources)
    vectors = vectors_for_programs(index, members, changed, existing, embedder)
    step(f"resolved into {len(result.programs)} programs ({len(changed)} new or changed, "
         f"{len(result.removed_ids)} merged away); embedded {embedder.embedded - before} texts")
    pstats = write_programs(index, result, vectors)
    resolved = {"programs": len(result.programs), "changed": len(changed), "removed": len(result.removed_ids),
                "events": len(result.events), "listings": len(writes.todo),
                "partitioned": bool(result.stats.get("partitioned")), "scale": False}
    return pstats, resolved, (changed, members)


def resolve_and_write_scale(settings: Settings, index: MasterIndex, shards: ListingShards, embedder,
                            step: Callable[[str], None]):
    """A cold run's listings, already in object-store shards, resolved on the scalable path
    (`resolve_scale`: every step a Ray task) and its programs streamed into the index one block
    at a time (`write_scale_programs`). The change log is left to the next ingest's catch-up
    (it would need every program on the driver). Returns what `resolve_and_write` returns, None
    for the change log."""
    from jobs.resolve_partitioned import resolve_scale, write_scale_programs
    from matrix.resolve.scale_pipeline import SUB_TARGET

    shards.flush()
    fault_point("resolve:start")
    res = resolve_scale(shards.refs, shards.sizes, settings=settings, embedder=embedder.for_tasks(),
                        single_partition=shards.n <= SUB_TARGET)
    fault_point("resolve:done")
    wrote = write_scale_programs(index, res, embedder, batch_size=settings.ingest.batch_size)
    fault_point("write:programs")
    step(f"resolved {shards.n} listings on the scalable path ({res.stats['shards']} shards, "
         f"{len(res.stats['nodes'])} node(s)) into {wrote.programs} programs, written in {wrote.batches} batch(es)")
    pstats = UpsertStats(table=index.programs_name, inserted=wrote.inserted, updated=wrote.updated,
                         unchanged=wrote.unchanged, version=wrote.version)
    resolved = {"programs": wrote.programs, "changed": wrote.written, "removed": 0, "events": 0,
                "listings": shards.n, "partitioned": True, "scale": True, "program_batches": wrote.batches,
                "seconds": res.stats["seconds"]}
    return pstats, resolved, None


def index_listings(settings: Settings, index: MasterIndex, listings: list[Listing],
                   embedder: RayCachedEmbedder | None = None, step: Callable[[str], None] = lambda m: None) -> dict[str, Any]:
    """`index_batches` for listings already in hand (one batch: duplicates resolve as one upsert would)."""
    return index_batches(settings, index, [list(listings)] if listings else [], embedder=embedder, step=step)


@batch_job("ingest")
def run_ingest(settings: Settings, source_names: list[str] | None = None,
               on_step: Callable[[str], None] | None = None, *, use_ray: bool = True) -> dict[str, Any]:
    """Run the whole pipeline once; safe to re-run (unchanged input writes nothing), safe to kill.

    The crawl streams into the index: pages and raw records stay on the workers, the driver takes
    `ingest.batch_size` normalized listings at a time. use_ray=False runs the same steps in this
    process (no cluster): small runs, tests, laptops.
    """
    step = on_step or (lambda msg: log.info(msg))
    t0 = time.perf_counter()
    names = source_names or [s.name for s in settings.enabled_sources()]
    for n in names:
        settings.source(n)  # unknown names fail before any work starts
    if use_ray:
        connect_ray(settings)
    index = MasterIndex(settings)
    step(f"fetching {len(names)} source(s): {', '.join(names)}" + ("" if use_ray else " (in this process)"))
    tables = (stream_tables if use_ray else stream_tables_local)(settings, names)
    tally = IngestTally(settings, names)
    embedder = RayCachedEmbedder(settings) if use_ray else LocalCachedEmbedder(settings)
    indexed = index_batches(settings, index, tally.listing_batches(tables, on_end=step), embedder=embedder, step=step,
                            use_ray=use_ray)
    summary: dict[str, Any] = {"sources": tally.report, **indexed}
    summary["index"] = index.stats()
    summary["seconds"] = round(time.perf_counter() - t0, 2)
    log.info("ingest finished", extra={"summary": json.dumps(summary, default=str)})
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Ingest configured sources into the master index.")
    parser.add_argument("--source", action="append", help="only this source (repeatable)")
    parser.add_argument("--config", help="path to ray_config.yaml")
    parser.add_argument("--local", action="store_true", help="run every step in this process (no Ray cluster)")
    args = parser.parse_args(argv)
    settings = load_settings(args.config)
    setup_logging(settings.logging.level, settings.logging.json_logs)
    summary = run_ingest(settings, args.source, use_ray=not args.local)
    print(json.dumps(summary, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())

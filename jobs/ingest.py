"""The ingest job: sources -> normalize -> resolve -> embed -> index, fanned out with Ray.

    ray job submit --working-dir . -- python jobs/ingest.py [--source NAME ...]
    matrix ingest [--source NAME ...]

Shape of the pipeline and why:
1. fetch   — one Ray task per source. Fetching is I/O-bound and must respect each host's rate
             limit, so parallelism inside one host buys nothing; across sources it is free.
2. parse + normalize — Ray Data `flat_map` / `map_batches` over fetched pages: CPU-bound,
             pure, spread across every worker.
3. listings — upserted into LanceDB keyed by (source, source_id), content-hash guarded, so a
             re-crawl of unchanged pages writes nothing.
4. resolve — listings -> canonical programs (matrix.resolve), incremental against what the
             index already holds, so program ids stay stable.
5. embed   — only programs whose search text changed, in a Ray Data actor pool (model loaded
             once per actor), behind the text-hash embedding cache.
6. index   — one upsert of changed programs, then index maintenance.
7. commit  — steps 3-6 write inside one ingest run (MasterIndex.begin_ingest): the run is tagged
             as one ingest version at the end, readers never see half of it, and a run killed
             anywhere is rolled back by the next one, which resolves the same changes again.

`--local` (run_ingest(use_ray=False)) runs the very same step functions in one process.
Fault points (matrix.faults) between the steps let the chaos test kill the job in every stage.
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
import time
from pathlib import Path
from typing import Any, Callable

if __package__ in (None, ""):  # `python jobs/ingest.py` from the repo root (ray job submit)
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
import ray

from jobs.common import batch_job, connect_ray
from matrix.config import Settings, load_settings
from matrix.faults import fault_point
from matrix.index import MasterIndex
from matrix.index.history import record_after_ingest
from matrix.models import Listing, Program
from matrix.observability import RECORDS_INGESTED, get_logger, setup_logging
from matrix.sources import Page, build_source
from matrix.sources.base import parse_timestamp
from matrix.sources.drift import add_field_reports

log = get_logger("jobs.ingest")
_SOURCES: dict[tuple[str, str], Any] = {}


def remote_args(settings: Settings) -> dict[str, Any]:
    """`resources=` for every Ray task and Ray Data stage of the ingest (`ray.task_resources`), or nothing.

    Lets an operator pin the ingest to a worker group (KubeRay: nodes started with that custom
    resource) and keep it off the head.
    """
    return {"resources": dict(settings.ray.task_resources)} if settings.ray.task_resources else {}


def _source(settings_json: str, name: str):
    """Build (once per worker process) the source object used by parse/normalize."""
    key = (settings_json, name)
    if key not in _SOURCES:
        settings = Settings.model_validate_json(settings_json)
        _SOURCES[key] = build_source(settings.source(name), settings)
    return _SOURCES[key]


def _fetch_one(settings_json: str, name: str) -> dict[str, Any]:
    """Walk one source politely; return its pages plus the crawl report (never raises)."""
    src = _source(settings_json, name)
    pages, error = [], None
    try:
        for page in src.fetch_pages():
            pages.append(page.to_dict())
    except Exception as exc:  # a broken source never stops the others
        error = f"{type(exc).__name__}: {exc}"
        log.error("source failed", extra={"source": name, "error": error})
    report = getattr(src, "report", None)
    to_dict = getattr(report, "to_dict", None)
    report_dict = to_dict() if callable(to_dict) else (report if isinstance(report, dict) else None)
    return {"source": name, "pages": pages, "error": error, "report": report_dict}


fetch_source = ray.remote(num_cpus=0.5, max_retries=2)(_fetch_one)  # one Ray task per source


def _parse_page(row: dict[str, Any], settings_json: str) -> list[dict[str, Any]]:
    page = Page.from_dict(row)
    src = _source(settings_json, page.source)
    try:
        raws = src.parse(page)
    except Exception as exc:
        return [{"source": page.source, "raw": None, "error": f"parse {page.url}: {exc}",
                 "fetched_at": page.fetched_at.isoformat()}]
    return [{"source": page.source, "raw": json.dumps(r, default=str), "error": None,
             "fetched_at": page.fetched_at.isoformat()} for r in raws]


def _normalize_batch(batch: dict[str, np.ndarray], settings_json: str) -> dict[str, list]:
    listings: list[str | None] = []
    errors: list[str | None] = []
    for source, raw, err, fetched_at in zip(batch["source"], batch["raw"], batch["error"], batch["fetched_at"], strict=True):
        if err is not None and raw is None:
            listings.append(None)
            errors.append(str(err))
            continue
        try:
            lst = _source(settings_json, str(source)).to_listing(json.loads(raw), parse_timestamp(fetched_at))
            listings.append(lst.model_dump_json())
            errors.append(None)
        except Exception as exc:
            listings.append(None)
            from matrix.sources.directory import record_id

            errors.append(f"normalize {source} record {record_id(raw)}: {type(exc).__name__}: {exc}")
    return {"source": list(batch["source"]), "listing": listings, "error": errors}


class _EmbedActor:
    """Ray Data actor: the sentence-transformer is loaded once per actor, then reused per batch."""

    def __init__(self, model: str, batch_size: int) -> None:
        from matrix.embed import Embedder

        self.embedder = Embedder(model, batch_size=batch_size)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, Any]:
        vecs = self.embedder.embed([str(t) for t in batch["text"]])
        return {"key": batch["key"], "vector": list(vecs)}


def embed_texts(settings: Settings, texts: dict[str, str]) -> dict[str, np.ndarray]:
    """Embed `key -> text` in a Ray Data actor pool; returns `key -> vector`."""
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
    return {row["key"]: np.asarray(row["vector"], dtype=np.float32) for row in ds.take_all()}


def _source_report(fetched: dict[str, Any]) -> dict[str, Any]:
    return {"pages": len(fetched["pages"]), "error": fetched["error"], "crawl": fetched["report"], "listings": 0, "failed": 0}


def _keep_listings(rows, report: dict[str, Any]) -> list[Listing]:
    """Normalized rows -> listings; dropped records are counted per source and logged."""
    listings: list[Listing] = []
    for row in rows:
        src = str(row["source"])
        if row["listing"] is None:
            report[src]["failed"] += 1
            RECORDS_INGESTED.labels(src, "failed").inc()
            log.warning("record dropped", extra={"source": src, "error": row["error"]})
            continue
        listings.append(Listing.model_validate_json(row["listing"]))
        report[src]["listings"] += 1
        RECORDS_INGESTED.labels(src, "ok").inc()
    # one order whatever order workers finished in: the same input always resolves the same way
    listings.sort(key=lambda x: (x.source, x.source_id))
    return listings


def collect_listings(settings: Settings, names: list[str]) -> tuple[list[Listing], dict[str, Any]]:
    """Fetch every named source (one task each), then parse + normalize across the cluster."""
    settings_json = settings.model_dump_json()
    fault_point("fetch:start")
    fetch = fetch_source.options(**remote_args(settings)) if settings.ray.task_resources else fetch_source
    pending = [fetch.remote(settings_json, n) for n in names]
    fetched = []
    while pending:
        done, pending = ray.wait(pending, num_returns=1)
        fetched.extend(ray.get(done))
        fault_point("fetch:source")
    fetched.sort(key=lambda r: names.index(r["source"]))
    report: dict[str, Any] = {r["source"]: _source_report(r) for r in fetched}
    pages = [p for r in fetched for p in r["pages"]]
    if not pages:
        return [], report
    ds: ray.data.Dataset = ray.data.from_items(pages, override_num_blocks=max(1, min(len(pages), 64)))
    ds = ds.flat_map(functools.partial(_parse_page, settings_json=settings_json), **remote_args(settings))
    ds = ds.map_batches(functools.partial(_normalize_batch, settings_json=settings_json), batch_size=256, batch_format="numpy",
                        **remote_args(settings))
    rows = ds.take_all()
    fault_point("parse:done")
    listings = _keep_listings(rows, report)
    add_field_reports(settings, listings, report)  # per-field fill and drift per source (matrix.sources.drift)
    return listings, report


def collect_listings_local(settings: Settings, names: list[str]) -> tuple[list[Listing], dict[str, Any]]:
    """The same fetch -> parse -> normalize steps in this process, one source after another.

    For small runs and machines without a cluster (`matrix ingest --local`): no Ray start-up,
    identical records (the very functions the Ray path maps over its workers).
    """
    settings_json = settings.model_dump_json()
    fault_point("fetch:start")
    report: dict[str, Any] = {}
    rows: list[dict[str, Any]] = []
    for name in names:
        fetched = _fetch_one(settings_json, name)
        fault_point("fetch:source")
        report[name] = _source_report(fetched)
        parsed = [r for page in fetched["pages"] for r in _parse_page(page, settings_json)]
        fault_point("parse:source")
        if parsed:
            batch = {k: np.array([r[k] for r in parsed], dtype=object) for k in parsed[0]}
            out = _normalize_batch(batch, settings_json)
            rows.extend({"source": s_, "listing": l_, "error": e_}
                        for s_, l_, e_ in zip(out["source"], out["listing"], out["error"], strict=True))
    fault_point("parse:done")
    listings = _keep_listings(rows, report)
    add_field_reports(settings, listings, report)  # per-field fill and drift per source (matrix.sources.drift)
    return listings, report


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
    """Upsert listings (content-hash guarded) and mark them seen; returns the upsert stats."""
    lstats = index.upsert_listings(listings)
    fault_point("write:listings")
    index.record_sightings(listings)
    fault_point("write:sightings")
    return lstats


def resolve_changed(settings: Settings, index: MasterIndex, listings: list[Listing], lstats, embedder):
    """Resolve what changed since the last committed ingest into programs; returns (result, existing).

    Only listings that are new, changed, or owned by no program need resolving: a stored program
    already carries its unchanged listings' values. Because a run that died is rolled back to the
    last commit first, "changed" is always relative to that commit, never to a half-written run.
    """
    from matrix.resolve import resolve_listings

    existing = index.all_programs()
    fault_point("resolve:start")
    owned = {k for p in existing for k in p.listing_keys}
    todo = [x for x in listings if (x.source, x.source_id) in lstats.changed_keys or x.key not in owned]
    result = resolve_listings(todo, existing, settings=settings, embedder=embedder)
    fault_point("resolve:done")
    return result, existing


def vectors_for_programs(index: MasterIndex, listings: list[Listing], changed: list[Program], existing: list[Program],
                         embedder) -> dict[str, np.ndarray]:
    """A vector per changed program: the mean of its listings' vectors (matrix.resolve.program_vectors).

    Programs are never embedded separately; members outside this batch (other sources) are
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


def index_listings(settings: Settings, index: MasterIndex, listings: list[Listing],
                   embedder: RayCachedEmbedder | None = None, step: Callable[[str], None] = lambda m: None) -> dict[str, Any]:
    """listings -> index as ONE ingest version: listings, sightings, programs, indexes, then the tag.

    Everything is written inside `index.begin_ingest()`: readers keep seeing the last committed
    ingest until `run.commit()`, and a run killed anywhere in here is rolled back by the next one,
    which then finds the same listings changed and resolves them again.
    """
    embedder = embedder or RayCachedEmbedder(settings)
    before = embedder.embedded
    with index.begin_ingest() as run:
        rolled = run.recovered.get("rolled_back")
        if rolled:
            step(f"rolled back an ingest that died before committing (tables {', '.join(sorted(rolled))})")
        lstats = write_listings(index, listings)
        step(f"listings: {lstats.inserted} new, {lstats.updated} changed, {lstats.unchanged} unchanged")
        result, existing = resolve_changed(settings, index, listings, lstats, embedder)
        changed = result.changed
        vectors = vectors_for_programs(index, listings, changed, existing, embedder)
        step(f"resolved into {len(result.programs)} programs ({len(changed)} new or changed, "
             f"{len(result.removed_ids)} merged away); embedded {embedder.embedded - before} texts")
        pstats = write_programs(index, result, vectors)
        build_indexes(index)
        version = run.commit()
    fault_point("commit:done")
    record_after_ingest(index, changed, version, listings)  # program change log (issue 15); never fails the ingest
    step(f"programs: {pstats.inserted} new, {pstats.updated} changed, {pstats.unchanged} unchanged")
    return {
        "listings": {k: v for k, v in vars(lstats).items() if k != "changed_keys"},
        "programs": {k: v for k, v in vars(pstats).items() if k != "changed_keys"},
        "resolve": {"programs": len(result.programs), "changed": len(changed), "removed": len(result.removed_ids),
                    "events": len(result.events), "texts_embedded": embedder.embedded - before},
        "ingest_version": getattr(version, "tag", None) if version else None,
        "recovered": run.recovered if run.recovered.get("rolled_back") or run.recovered.get("dropped_tags") else None,
    }


@batch_job("ingest")
def run_ingest(settings: Settings, source_names: list[str] | None = None,
               on_step: Callable[[str], None] | None = None, *, use_ray: bool = True) -> dict[str, Any]:
    """Run the whole pipeline once; safe to re-run (unchanged input writes nothing), safe to kill.

    use_ray=False runs the same steps in this process (no cluster): small runs, tests, laptops.
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
    listings, report = (collect_listings if use_ray else collect_listings_local)(settings, names)
    step(f"normalized {len(listings)} listings")
    embedder = RayCachedEmbedder(settings) if use_ray else LocalCachedEmbedder(settings)
    summary: dict[str, Any] = {"sources": report, **index_listings(settings, index, listings, embedder=embedder, step=step)}
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

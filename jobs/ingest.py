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
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any, Callable

if __package__ in (None, ""):  # `python jobs/ingest.py` from the repo root (ray job submit)
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
import ray

from jobs.common import connect_ray
from matrix.config import Settings, load_settings
from matrix.index import MasterIndex
from matrix.models import Listing, Program
from matrix.observability import RECORDS_INGESTED, get_logger, setup_logging
from matrix.sources import Page, build_source
from matrix.sources.base import parse_timestamp

log = get_logger("jobs.ingest")
_SOURCES: dict[tuple[str, str], Any] = {}


def _source(settings_json: str, name: str):
    """Build (once per worker process) the source object used by parse/normalize."""
    key = (settings_json, name)
    if key not in _SOURCES:
        settings = Settings.model_validate_json(settings_json)
        _SOURCES[key] = build_source(settings.source(name), settings)
    return _SOURCES[key]


@ray.remote(num_cpus=0.5, max_retries=2)
def fetch_source(settings_json: str, name: str) -> dict[str, Any]:
    """Walk one source politely; return its pages plus the crawl report."""
    src = _source(settings_json, name)
    pages, error = [], None
    try:
        for page in src.fetch_pages():
            pages.append(page.to_dict())
    except Exception as exc:  # a broken source never stops the others
        error = f"{type(exc).__name__}: {exc}"
        log.error("source failed", extra={"source": name, "error": error})
    report = getattr(src, "report", None)
    report_dict = report.to_dict() if hasattr(report, "to_dict") else (report if isinstance(report, dict) else None)
    return {"source": name, "pages": pages, "error": error, "report": report_dict}


def _parse_page(row: dict[str, Any], settings_json: str) -> list[dict[str, Any]]:
    page = Page.from_dict(row)
    src = _source(settings_json, page.source)
    try:
        raws = src.parse(page)
    except Exception as exc:
        return [{"source": page.source, "raw": None, "error": f"parse {page.url}: {exc}", "fetched_at": page.fetched_at.isoformat()}]
    return [{"source": page.source, "raw": json.dumps(r, default=str), "error": None, "fetched_at": page.fetched_at.isoformat()} for r in raws]


def _normalize_batch(batch: dict[str, np.ndarray], settings_json: str) -> dict[str, list]:
    listings, errors = [], []
    for source, raw, err, fetched_at in zip(batch["source"], batch["raw"], batch["error"], batch["fetched_at"]):
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
            errors.append(f"normalize {source}: {type(exc).__name__}: {exc}")
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
    ds = ray.data.from_items(items, override_num_blocks=max(1, min(len(items) // 256, 16)))
    ds = ds.map_batches(
        _EmbedActor,
        fn_constructor_args=(settings.embed.model, settings.embed.batch_size),
        batch_size=settings.embed.batch_size * 4,
        compute=ray.data.ActorPoolStrategy(min_size=1, max_size=settings.embed.actors),
        num_cpus=1,
        batch_format="numpy",
    )
    return {row["key"]: np.asarray(row["vector"], dtype=np.float32) for row in ds.take_all()}


def collect_listings(settings: Settings, names: list[str]) -> tuple[list[Listing], dict[str, Any]]:
    """Fetch every named source (one task each), then parse + normalize across the cluster."""
    settings_json = settings.model_dump_json()
    fetched = ray.get([fetch_source.remote(settings_json, n) for n in names])
    report: dict[str, Any] = {r["source"]: {"pages": len(r["pages"]), "error": r["error"], "crawl": r["report"],
                                             "listings": 0, "failed": 0} for r in fetched}
    pages = [p for r in fetched for p in r["pages"]]
    if not pages:
        return [], report
    ds = ray.data.from_items(pages, override_num_blocks=max(1, min(len(pages), 64)))
    ds = ds.flat_map(_parse_page, fn_kwargs={"settings_json": settings_json})
    ds = ds.map_batches(_normalize_batch, fn_kwargs={"settings_json": settings_json}, batch_size=256, batch_format="numpy")
    listings: list[Listing] = []
    for row in ds.take_all():
        src = str(row["source"])
        if row["listing"] is None:
            report[src]["failed"] += 1
            RECORDS_INGESTED.labels(src, "failed").inc()
            log.warning("record dropped", extra={"source": src, "error": row["error"]})
            continue
        listings.append(Listing.model_validate_json(row["listing"]))
        report[src]["listings"] += 1
        RECORDS_INGESTED.labels(src, "ok").inc()
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

    def embed_dict(self, texts: dict[str, str]) -> dict[str, np.ndarray]:
        from matrix.embed import embed_through_cache

        vecs, n = embed_through_cache(texts, lambda d: embed_texts(self.settings, d), self.cache)
        self.embedded += n
        return vecs

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        vecs = self.embed_dict({str(i): t for i, t in enumerate(texts)})
        return np.stack([vecs[str(i)] for i in range(len(texts))])


def index_listings(settings: Settings, index: MasterIndex, listings: list[Listing],
                   embedder: RayCachedEmbedder | None = None, step: Callable[[str], None] = lambda m: None) -> dict[str, Any]:
    """listings -> index: upsert listings, resolve incrementally, program vectors, upsert programs.

    A program's vector is the mean of its listings' vectors (matrix.resolve.program_vectors), so
    programs are never embedded separately; only programs with no embedded listing fall back to
    embedding `program_text`.
    """
    from matrix.resolve import listing_text, program_text, program_vectors, resolve_listings

    embedder = embedder or RayCachedEmbedder(settings)
    before = embedder.embedded
    lstats = index.upsert_listings(listings)
    index.record_sightings(listings)
    step(f"listings: {lstats.inserted} new, {lstats.updated} changed, {lstats.unchanged} unchanged")
    existing = index.all_programs()
    # Only listings that are new, changed, or not yet in any program need resolving: a stored
    # program already carries its unchanged listings' values. (Unowned-but-stored listings are
    # what a killed ingest leaves behind; they are resolved on the next run.)
    owned = {k for p in existing for k in p.listing_keys}
    todo = [x for x in listings if (x.source, x.source_id) in lstats.changed_keys or x.key not in owned]
    result = resolve_listings(todo, existing, settings=settings, embedder=embedder)
    changed = result.changed
    by_key = {x.key: x for x in listings}
    keys = sorted({k for p in changed for k in p.listing_keys if k in by_key})
    listing_vecs = embedder.embed_dict({k: listing_text(by_key[k]) for k in keys}) if keys else {}
    # members outside this batch (other sources) are represented by the stored vector
    sizes = {p.program_id: len(p.listing_keys) for p in existing}
    previous = index.vectors_for([p.program_id for p in changed if p.program_id in sizes])
    vectors = program_vectors(changed, listing_vecs, previous=previous, previous_sizes=sizes)
    missing = {p.program_id: program_text(p) for p in changed if p.program_id not in vectors}
    if missing:
        vectors.update(embedder.embed_dict(missing))
    step(f"resolved into {len(result.programs)} programs ({len(changed)} new or changed, "
         f"{len(result.removed_ids)} merged away); embedded {embedder.embedded - before} texts")
    if result.removed_ids:
        index.delete_programs(sorted(result.removed_ids))
    pstats = index.upsert_programs(changed, [vectors[p.program_id] for p in changed] if changed else None)
    index.ensure_indexes()
    version = index.commit_ingest()
    step(f"programs: {pstats.inserted} new, {pstats.updated} changed, {pstats.unchanged} unchanged")
    return {
        "listings": {k: v for k, v in vars(lstats).items() if k != "changed_keys"},
        "programs": {k: v for k, v in vars(pstats).items() if k != "changed_keys"},
        "resolve": {"programs": len(result.programs), "changed": len(changed), "removed": len(result.removed_ids),
                    "events": len(result.events), "texts_embedded": embedder.embedded - before},
        "ingest_version": getattr(version, "tag", None) if version else None,
    }


def run_ingest(settings: Settings, source_names: list[str] | None = None,
               on_step: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Run the whole pipeline once; safe to re-run (unchanged input writes nothing)."""
    step = on_step or (lambda msg: log.info(msg))
    t0 = time.perf_counter()
    names = source_names or [s.name for s in settings.enabled_sources()]
    for n in names:
        settings.source(n)  # unknown names fail before any work starts
    connect_ray(settings)
    index = MasterIndex(settings)
    step(f"fetching {len(names)} source(s): {', '.join(names)}")
    listings, report = collect_listings(settings, names)
    step(f"normalized {len(listings)} listings")
    summary: dict[str, Any] = {"sources": report, **index_listings(settings, index, listings, step=step)}
    summary["index"] = index.stats()
    summary["seconds"] = round(time.perf_counter() - t0, 2)
    log.info("ingest finished", extra={"summary": json.dumps(summary, default=str)})
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Ingest configured sources into the master index.")
    parser.add_argument("--source", action="append", help="only this source (repeatable)")
    parser.add_argument("--config", help="path to ray_config.yaml")
    args = parser.parse_args(argv)
    settings = load_settings(args.config)
    setup_logging(settings.logging.level, settings.logging.json_logs)
    summary = run_ingest(settings, args.source)
    print(json.dumps(summary, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())

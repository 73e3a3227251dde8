"""Ingest speed: listings/s through embed -> resolve -> index vs embedding alone, and a no-op re-ingest.

Run: .venv/bin/python bench/ingest_speed.py [--smoke] [--listings 4000]

Uses the lead's pipeline pieces on synthetic affiliate listings (bench/synthetic_affiliate.py):
`jobs.ingest.embed_texts` (Ray Data actor pool, model loaded once per actor) behind the
text-hash cache (`matrix.embed.embed_through_cache`), `matrix.resolve.resolve_listings`, and
`MasterIndex.upsert_listings / upsert_programs / ensure_text_index`. A private local Ray cluster
is started under a temporary MATRIX_HOME and shut down at the end.

Prints, from one process on one machine:
- embedding-only listings/s (`embed_texts` on every listing's `listing_text`, no cache),
- full pipeline listings/s (cold: empty index and cache) and the ratio (goal >= 0.80),
- the re-ingest of the same listings (shuffled, nothing changed) as % of the cold run (goal <= 5 %).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))


class RayCachedEmbedder:
    """`embed(texts)` for resolve_listings: cache first, misses through the Ray actor pool."""

    def __init__(self, settings, cache) -> None:
        from jobs.ingest import embed_texts

        self.settings, self.cache = settings, cache
        self._embed_texts = embed_texts
        self.embedded = 0

    def embed_dict(self, texts: dict[str, str]):
        from matrix.embed import embed_through_cache

        vecs, n = embed_through_cache(texts, lambda d: self._embed_texts(self.settings, d), self.cache)
        self.embedded += n
        return vecs

    def embed(self, texts):
        import numpy as np

        vecs = self.embed_dict({str(i): t for i, t in enumerate(texts)})
        return np.stack([vecs[str(i)] for i in range(len(texts))]) if texts else np.zeros((0, 384), np.float32)


def ingest_once(settings, index, embedder, listings) -> dict:
    """One ingest of `listings`: upsert listings, resolve incrementally, vectors, upsert programs."""
    from matrix.resolve import listing_text, program_text, program_vectors, resolve_listings

    t = {}
    t0 = time.perf_counter()
    lstats = index.upsert_listings(listings)
    t["listings_upsert"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    existing = index.all_programs()
    t["load_programs"] = time.perf_counter() - t1
    t1 = time.perf_counter()
    before = embedder.embedded
    # listing vectors are fetched lazily: resolve asks only when it has something to place
    res = resolve_listings(listings, existing, settings=settings, embedder=embedder)
    t["resolve"] = time.perf_counter() - t1
    t1 = time.perf_counter()
    changed = res.changed
    lvecs = {}
    if changed:
        keys = sorted({k for p in changed for k in p.listing_keys})
        by_key = {l.key: l for l in listings}
        lvecs = embedder.embed_dict({k: listing_text(by_key[k]) for k in keys if k in by_key})
    pv = program_vectors(changed, lvecs)
    missing = {p.program_id: program_text(p) for p in changed if p.program_id not in pv}
    if missing:
        pv.update(embedder.embed_dict(missing))
    t["program_vectors"] = time.perf_counter() - t1
    t1 = time.perf_counter()
    if res.removed_ids:
        index.delete_programs(sorted(res.removed_ids))
    pstats = index.upsert_programs(changed, [pv[p.program_id] for p in changed] if changed else None)
    if pstats.written:
        index.ensure_text_index()
    t["programs_upsert"] = time.perf_counter() - t1
    t["total"] = time.perf_counter() - t0
    return {"seconds": {k: round(v, 3) for k, v in t.items()}, "listings_written": lstats.written,
            "programs_written": pstats.written, "programs": len(res.programs), "texts_embedded": embedder.embedded - before}


def run(n: int) -> dict:
    from synthetic_affiliate import generate

    from jobs.common import connect_ray
    from jobs.ingest import embed_texts
    from matrix.config import load_settings
    from matrix.embed import EmbeddingCache
    from matrix.index import MasterIndex
    from matrix.resolve import listing_text

    import ray

    listings, _ = generate(n, seed=7)
    home = tempfile.mkdtemp(prefix="mxing-", dir="/tmp")
    os.environ["MATRIX_HOME"] = home
    settings = load_settings(overrides={"home": home, "ray": {"num_cpus": os.cpu_count() or 2}})
    connect_ray(settings)
    try:
        index = MasterIndex(settings)
        embedder = RayCachedEmbedder(settings, EmbeddingCache(settings))
        embed_texts(settings, {"warm": "warm up the model files"})  # page cache + Ray workers, for both runs alike
        texts = {l.key: listing_text(l) for l in listings}
        t0 = time.perf_counter()
        embed_texts(settings, texts)
        embed_only = time.perf_counter() - t0
        cold = ingest_once(settings, index, embedder, listings)
        again = listings[:]
        random.Random(1).shuffle(again)
        rerun = ingest_once(settings, index, embedder, again)
    finally:
        ray.shutdown()
    cold_s, re_s = cold["seconds"]["total"], rerun["seconds"]["total"]
    return {
        "listings": n, "distinct_texts": len(set(texts.values())),
        "embed_only_s": round(embed_only, 2), "embed_only_listings_per_s": round(n / embed_only, 1),
        "pipeline_cold_s": round(cold_s, 2), "pipeline_listings_per_s": round(n / cold_s, 1),
        "ratio_pipeline_to_embed_only": round(embed_only / cold_s, 3),
        "reingest_s": round(re_s, 3), "reingest_pct_of_cold": round(100 * re_s / cold_s, 2),
        "cold": cold, "reingest": rerun, "embed_actors": settings.embed.actors,
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--smoke", action="store_true", help="400 listings (CI)")
    ap.add_argument("--listings", type=int, default=4000)
    args = ap.parse_args(argv)
    n = 400 if args.smoke else args.listings
    fig = run(n)
    print(json.dumps(fig), flush=True)
    print(f"\nembedding only : {fig['embed_only_listings_per_s']:8.1f} listings/s ({fig['embed_only_s']} s)")
    print(f"full pipeline  : {fig['pipeline_listings_per_s']:8.1f} listings/s ({fig['pipeline_cold_s']} s)  "
          f"ratio {fig['ratio_pipeline_to_embed_only']:.3f} (goal >= 0.80)")
    print(f"re-ingest      : {fig['reingest_s']:8.3f} s = {fig['reingest_pct_of_cold']:.2f} % of cold (goal <= 5 %)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

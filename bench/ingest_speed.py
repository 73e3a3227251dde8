"""Ingest speed: listings/s through embed -> resolve -> index vs embedding alone, and a no-op re-ingest.

Run: .venv/bin/python bench/ingest_speed.py [--smoke] [--listings 4000]

Uses the lead's pipeline pieces on synthetic affiliate listings (bench/synthetic_affiliate.py):
`jobs.ingest.embed_texts` (Ray Data actor pool, model loaded once per actor) behind the
text-hash cache (`matrix.embed.embed_through_cache`), `matrix.resolve.resolve_listings`, and
`MasterIndex.upsert_listings / upsert_programs / ensure_text_index`. A private local Ray cluster
is started under a temporary MATRIX_HOME and shut down at the end.

Prints, from one process on one machine:
- embedding-only listings/s (`embed_texts` on each distinct `listing_text` once, no cache, no
  resolve, no index; listings / seconds),
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


def ingest_once(settings, index, embedder, listings) -> dict:
    """One ingest of `listings` through the job's own embed -> resolve -> index step."""
    from jobs.ingest import index_listings

    t0 = time.perf_counter()
    out = index_listings(settings, index, listings, embedder=embedder)
    return {"seconds": {"total": round(time.perf_counter() - t0, 3)}, "listings_written": out["listings"]["inserted"]
            + out["listings"]["updated"], "programs_written": out["programs"]["inserted"] + out["programs"]["updated"],
            "programs": out["resolve"]["programs"], "texts_embedded": out["resolve"]["texts_embedded"]}


def run(n: int) -> dict:
    from synthetic_affiliate import generate

    from jobs.common import connect_ray
    from jobs.ingest import RayCachedEmbedder, embed_texts
    from matrix.config import load_settings
    from matrix.index import MasterIndex
    from matrix.resolve import listing_text

    import ray

    listings, _ = generate(n, seed=7)
    tmp = tempfile.TemporaryDirectory(prefix="mxing-", dir="/tmp", ignore_cleanup_errors=True)  # short: Ray sockets
    home = tmp.name
    os.environ["MATRIX_HOME"] = home
    settings = load_settings(overrides={"home": home, "ray": {"num_cpus": os.cpu_count() or 2}})
    connect_ray(settings)
    try:
        index = MasterIndex(settings)
        embedder = RayCachedEmbedder(settings)
        embed_texts(settings, {"warm": "warm up the model files"})  # page cache + Ray workers, for both runs alike
        texts = {l.key: listing_text(l) for l in listings}
        # the baseline embeds each distinct text once, as the pipeline's cache does: the ratio then
        # measures only what resolve + index add, not what deduplication saves
        distinct = {f"t{i}": t for i, t in enumerate(dict.fromkeys(texts.values()))}
        t0 = time.perf_counter()
        embed_texts(settings, distinct)
        embed_only = time.perf_counter() - t0
        cold = ingest_once(settings, index, embedder, listings)
        again = listings[:]
        random.Random(1).shuffle(again)
        rerun = ingest_once(settings, index, embedder, again)
    finally:
        ray.shutdown()
        tmp.cleanup()
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

"""Synthetic affiliate listings with ground truth, resolved by `resolve_listings`: F1, records/s, peak memory.

Run: .venv/bin/python bench/synthetic_affiliate.py [--smoke] [--sizes 10000 100000] [--model]

Each true program is published by 1-4 sources with name variants (case, legal suffixes,
"Affiliate Program", typos), URL variants (www, paths, http/https), different term formats and
missing fields; look-alike programs (same brand, another country domain) are different programs.
By default a hashed-trigram embedder stands in for the model (the model alone would dominate
the time on a 2-core machine); `--model` uses all-MiniLM-L6-v2 through the cache.
"""

from __future__ import annotations

import argparse
import random
import resource
import string
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from matrix.models import Approval  # noqa: E402
from tests.support.resolve_data import T0, TrigramEmbedder, listing  # noqa: E402

WORDS = ("acme bolt zephyr orbit nimbus pixel lumen quantum vertex aurora cobalt ember falcon gala harbor iris jade kite "
         "lotus maple nova onyx pine quartz raven sage tango ultra vivid willow xeno yarrow zen alpine bright coral delta "
         "echo fable grove halo indigo juniper karma lunar mosaic north oasis prism quest ripple summit terra unity").split()
NOUNS = "shoes vpn tea coffee hosting fonts lamps bikes paints cosmetics travel insurance books games pets tools".split()
SOURCES = ["awin", "cj", "impact", "rakuten", "openaffiliate", "directory1", "directory2"]


def _typo(s: str, rng: random.Random) -> str:
    if len(s) < 5:
        return s
    i = rng.randrange(1, len(s) - 1)
    return s[:i] + s[i + 1] + s[i] + s[i + 2:]


def _brand(rng: random.Random) -> tuple[str, str, str]:
    brand = f"{rng.choice(WORDS).title()} {rng.choice(WORDS).title()}" if rng.random() < 0.5 else rng.choice(WORDS).title() + "".join(rng.choices(string.ascii_lowercase, k=3))
    noun = rng.choice(NOUNS)
    return brand, noun, f"{brand} {noun.title()}"


def _emit_program(rng: random.Random, prog: int, brand: str, noun: str, name: str, listings: list, truth: dict) -> int:
    """The listings of one program (and of its look-alike, if any); returns the next program number."""
    domain = (brand + noun).replace(" ", "").lower() + rng.choice([".com", ".io", ".net"])
    variants = [(prog, name, domain)]
    if rng.random() < 0.15:  # look-alike: same brand, UK site -> a different program
        prog += 1
        variants.append((prog, name + " UK", domain.rsplit(".", 1)[0] + ".co.uk"))
    for pid, pname, pdom in variants:
        pct = rng.choice([None, 5, 8, 10, 15, 20, 30])
        cookie = rng.choice([None, 7, 30, 45, 60, 90])
        for src in rng.sample(SOURCES, rng.randint(1, 4)):
            nm = pname
            r = rng.random()
            if r < 0.2:
                nm = nm.upper()
            elif r < 0.35:
                nm = nm + rng.choice([" Inc.", " Ltd", " Affiliate Program", " Partner Program"])
            elif r < 0.45:
                nm = _typo(nm, rng)
            elif r < 0.5:
                nm = nm.replace(" ", "")
            url = None if rng.random() < 0.15 else rng.choice(["https://www.", "http://", "https://", ""]) + pdom + rng.choice(["", "/", "/partners", "/?ref=aff"])
            key_pct = None if (pct is None or rng.random() < 0.2) else pct + rng.choice([0, 0, 0, 0.5, -1])
            l = listing(src, f"{pid}-{src}", nm, url, key_pct, None if rng.random() < 0.3 else cookie,
                        approval=rng.choice([Approval.UNKNOWN, Approval.AUTO, Approval.MANUAL]))
            listings.append(l)
            truth[l.key] = pid
        prog += 1  # per variant, as before (a look-alike skips one number)
    return prog


def generate(n_listings: int, seed: int = 0):
    """(listings, truth: listing key -> true program number)."""
    rng = random.Random(seed)
    listings: list = []
    truth: dict = {}
    prog = 0
    used: set[str] = set()
    while len(listings) < n_listings:
        brand, noun, name = _brand(rng)
        if name.lower().replace(" ", "") in used:
            # two "different" programs with one name and (often) one domain would be a wrong truth,
            # not a hard case: nothing could tell them apart
            continue
        used.add(name.lower().replace(" ", ""))
        prog = _emit_program(rng, prog, brand, noun, name, listings, truth)
    return listings[:n_listings], {l.key: truth[l.key] for l in listings[:n_listings]}


CHUNK_STRIDE = 10_000_000  # program numbers per chunk: chunks never share a program number


def generate_chunk(n_listings: int, chunk: int, n_chunks: int, seed: int = 0):
    """Chunk `chunk` of `n_chunks` of a run, generated on its own (in a Ray task): (listings, truth array).

    Same distribution as `generate`; names are kept unique across chunks without a shared set:
    chunk c only takes names whose (stable) hash is c modulo `n_chunks`, so two chunks never
    publish one name as two programs. The truth comes back as an int64 array (one per listing).
    """
    import zlib

    import numpy as np

    rng = random.Random(seed * 1_000_003 + chunk)
    listings: list = []
    truth: dict = {}
    prog = chunk * CHUNK_STRIDE
    used: set[str] = set()
    while len(listings) < n_listings:
        brand, noun, name = _brand(rng)
        flat = name.lower().replace(" ", "")
        if flat in used or zlib.crc32(flat.encode()) % n_chunks != chunk:
            continue
        used.add(flat)
        prog = _emit_program(rng, prog, brand, noun, name, listings, truth)
    listings = listings[:n_listings]
    return listings, np.array([truth[x.key] for x in listings], np.int64)


def pair_f1(assign: dict[str, str], truth: dict[str, int]) -> dict[str, float]:
    def pairs(clusters: dict) -> Counter:
        return Counter(clusters.values())

    joint = Counter((assign[k], truth[k]) for k in truth)
    tp = sum(c * (c - 1) // 2 for c in joint.values())
    pp = sum(c * (c - 1) // 2 for c in pairs({k: assign[k] for k in truth}).values())
    gp = sum(c * (c - 1) // 2 for c in pairs(truth).values())
    p, r = (tp / pp if pp else 0.0), (tp / gp if gp else 0.0)
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(2 * p * r / (p + r) if p + r else 0.0, 4)}


def run(n: int, use_model: bool) -> dict:
    from matrix.config import load_settings
    from matrix.resolve import resolve_listings

    listings, truth = generate(n)
    with tempfile.TemporaryDirectory(prefix="mx-synth-") as home:
        settings = load_settings(overrides={"home": home})
        embedder = None if use_model else TrigramEmbedder()
        t0 = time.perf_counter()
        res = resolve_listings(listings, None, settings=settings, embedder=embedder)
        wall = time.perf_counter() - t0
        # incremental: 5 % new listings against the resolved index
        extra, extra_truth = generate(n + n // 20, seed=0)
        t1 = time.perf_counter()
        inc = resolve_listings(extra[n:], res.programs, settings=settings, embedder=embedder)
        wall_inc = time.perf_counter() - t1
        t2 = time.perf_counter()
        again = resolve_listings(listings, res.programs, settings=settings, embedder=embedder)
        wall_again = time.perf_counter() - t2
    out = {"listings": n, "programs_true": len(set(truth.values())), "programs_found": len(set(res.assignments.values())),
           "wall_s": round(wall, 2), "records_per_s": round(n / wall, 1),
           "incremental_new": len(extra) - n, "incremental_wall_s": round(wall_inc, 2),
           "rerun_unchanged_wall_s": round(wall_again, 2), "rerun_changed_programs": len(again.changed_ids),
           "peak_rss_gib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2),
           "embedder": "all-MiniLM-L6-v2" if use_model else "hashed-trigram", "candidate_pairs": res.stats["candidate_pairs"]}
    out.update(pair_f1(res.assignments, truth))
    return out


def run_on_ray(n: int, use_model: bool) -> dict:
    """The same run as a Ray task on a private local cluster; peak memory summed over the driver
    and every process of the cluster (GCS, raylet, workers), sampled every 0.2 s: "Ray included"."""
    import threading

    import psutil
    import ray

    from jobs.common import connect_ray
    from matrix.config import load_settings

    with tempfile.TemporaryDirectory(prefix="mxsy-", dir="/tmp") as home:
        connect_ray(load_settings(overrides={"home": home}))
        me = psutil.Process()
        peak, stop = [0], threading.Event()

        def sample() -> None:
            while not stop.is_set():
                total = 0
                for proc in [me, *me.children(recursive=True)]:
                    try:
                        total += proc.memory_info().rss
                    except psutil.Error:
                        pass
                peak[0] = max(peak[0], total)
                stop.wait(0.2)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        try:
            out = ray.get(ray.remote(num_cpus=1)(run).remote(n, use_model))
        finally:
            stop.set()
            sampler.join()
            ray.shutdown()
    out["peak_rss_gib_ray_included"] = round(peak[0] / 2**30, 2)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--sizes", nargs="*", type=int, default=[10_000, 100_000])
    ap.add_argument("--model", action="store_true", help="embed with all-MiniLM-L6-v2 instead of hashed trigrams")
    ap.add_argument("--ray", action="store_true", help="run as a Ray task and measure peak memory with Ray included")
    args = ap.parse_args(argv)
    sizes = [1000] if args.smoke else args.sizes
    import json

    for n in sizes:
        print(json.dumps((run_on_ray if args.ray else run)(n, args.model)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Driver memory of the ingest's collect-and-write stage: the old collect path against the streaming one.

Run: .venv/bin/python bench/ingest_streaming.py [--sizes 8000 32000] [--sources 16]

Both paths run in this bench run, on the same synthetic many-source crawl
(directory files made from the bundled OpenAffiliate registry, replicated with unique ids), at
each size, cold (every listing new) and again unchanged (a re-crawl):
  - collect (the pre-issue-18 path, rebuilt here as it was): one Ray task per source returns
    all its pages to the driver (`ray.get`), `from_items` feeds them back, parse and normalize
    produce JSON strings, `take_all` brings every listing to the driver, one upsert of all;
  - stream (jobs.ingest): pages stay on the workers, normalize emits Arrow batches, the driver
    takes `ingest.batch_size` rows at a time and writes each batch (jobs.ingest.write_listing_batches).
Each measurement runs in a fresh child process with its own local Ray cluster (RSS figures of one
run never carry an earlier run's freed arenas); `unchanged` re-crawls the index its `cold` run left.
Printed per run: wall seconds, the driver's peak RSS, its peak above the level before the run
(after imports, Ray start and a warm-up run on 50 records; sampled every 20 ms), the same for
private memory (RSS minus shared pages: object-store blocks the driver mapped are shared), and
listings written. Resolution is not part of
either (it needs the changed listings in memory whichever path fed it: the cold stream keeps
them for the resolver, a re-crawl keeps none).
"""

from __future__ import annotations

import argparse
import ctypes
import functools
import gc
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")

import psutil  # noqa: E402

MIB = 1024 ** 2


class PeakRss:
    """Driver RSS sampled on a thread; `peak` is the highest seen since `start`."""

    def __init__(self) -> None:
        self.proc = psutil.Process()
        self.peak = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _sample(self) -> None:
        mem = self.proc.memory_info()
        self.peak = max(self.peak, mem.rss)
        self.peak_private = max(self.peak_private, mem.rss - mem.shared)  # without mapped object-store pages

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self._sample()

    def __enter__(self) -> "PeakRss":
        gc.collect()
        try:
            ctypes.CDLL("libc.so.6").malloc_trim(0)  # hand freed arenas back so each run starts from the floor
        except OSError:
            pass
        mem = self.proc.memory_info()
        self.base, self.base_private = mem.rss, mem.rss - mem.shared
        self.peak, self.peak_private = self.base, self.base_private
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join()
        self._sample()


def write_sources(root: Path, total: int, n_sources: int) -> list[dict[str, Any]]:
    """`n_sources` directory files holding `total` programs between them (unique slugs and names)."""
    from matrix.sources.openaffiliate import bundled_registry_path

    base = [p for p in json.loads(bundled_registry_path().read_text())["programs"] if p.get("slug")]
    per = total // n_sources
    out = []
    for s in range(n_sources):
        progs = []
        for i in range(per):
            p = dict(base[(s * per + i) % len(base)])
            p["slug"], p["name"] = f"{p['slug']}-{s}-{i}", f"{p['name']} {s}-{i}"
            progs.append(p)
        path = root / f"src_{s}.json"
        path.write_text(json.dumps({"programs": progs}))
        out.append({"name": f"src_{s}", "kind": "openaffiliate", "path": str(path)})
    return out


def collect_path(settings, names: list[str]) -> int:
    """The old path: pages through the driver, JSON rows back with take_all, one upsert of everything."""
    import ray

    from jobs.ingest import _fetch_one, _normalize_batch, _parse_page
    from matrix.index import MasterIndex
    from matrix.models import Listing

    sj = settings.model_dump_json()
    fetch = ray.remote(num_cpus=0.5)(_fetch_one)
    fetched = ray.get([fetch.remote(sj, n) for n in names])
    pages = [p for r in fetched for p in r["pages"]]
    ds = ray.data.from_items(pages, override_num_blocks=max(1, min(len(pages), 64)))
    ds = ds.flat_map(functools.partial(_parse_page, settings_json=sj))
    ds = ds.map_batches(functools.partial(_normalize_batch, settings_json=sj), batch_size=256, batch_format="numpy")
    listings = [Listing.model_validate_json(r["listing"]) for r in ds.take_all() if r["listing"] is not None]
    listings.sort(key=lambda x: (x.source, x.source_id))
    index = MasterIndex(settings)
    with index.begin_ingest() as run:
        index.upsert_listings(listings)
        index.record_sightings(listings)
        run.commit()
    return len(listings)


class _EveryKey:
    def __contains__(self, key: object) -> bool:
        return True


def stream_path(settings, names: list[str]) -> int:
    """jobs.ingest: the Ray Data stream in bounded batches, each written as it comes."""
    from jobs.ingest import IngestTally, stream_tables, write_listing_batches
    from matrix.index import MasterIndex

    index = MasterIndex(settings)
    tally = IngestTally(settings, names)
    with index.begin_ingest() as run:
        # every listing counts as owned by a program: this bench resolves nothing, so the stream keeps
        # only new or changed listings (all on the cold run, none on the unchanged one), as the job does
        writes = write_listing_batches(index, tally.listing_batches(stream_tables(settings, names)), _EveryKey())
        run.commit()
    return writes.stats.inserted + writes.stats.updated + writes.stats.unchanged


def measure(label: str, fn: Callable[[], int], size: int, run: str) -> dict[str, Any]:
    with PeakRss() as rss:
        t0 = time.perf_counter()
        n = fn()
        wall = time.perf_counter() - t0
    row = {"path": label, "size": size, "run": run, "listings": n, "wall_s": round(wall, 2),
           "driver_peak_above_start_mib": round((rss.peak - rss.base) / MIB, 1), "driver_peak_mib": round(rss.peak / MIB, 1),
           "driver_private_peak_above_start_mib": round((rss.peak_private - rss.base_private) / MIB, 1),
           "load_avg": round(os.getloadavg()[0], 2)}
    print(json.dumps(row), flush=True)
    return row


def child(path: str, size: int, run: str, home: str, sources_json: str, batch_size: int) -> None:
    """One measurement in a fresh process (its own local Ray): RSS figures owe nothing to an earlier run."""
    import ray

    import jobs.ingest  # noqa: F401 - imports before the baseline RSS, in both paths alike
    from jobs.common import connect_ray
    from matrix.config import load_settings

    sources = json.loads(sources_json)
    settings = load_settings(overrides={"home": home, "sources": sources, "logging": {"level": "ERROR"},
                                        "ray": {"num_cpus": 2, "include_dashboard": False},
                                        "ingest": {"batch_size": batch_size}})
    connect_ray(settings)
    ray.data.DataContext.get_current().enable_progress_bars = False
    fn = stream_path if path == "stream" else collect_path
    # warm-up: the same path on one tiny source into a scratch index, so the baseline already holds
    # what any run loads once (Ray Data's executor, LanceDB, pydantic/Arrow caches)
    first = Path(sources[0]["path"])
    warm_file = first.with_name(first.stem + ".warm.json")
    warm_file.write_text(json.dumps({"programs": json.loads(first.read_text())["programs"][:50]}))
    warm = load_settings(overrides={"home": f"{home}-warmup", "sources": [{**sources[0], "path": str(warm_file)}],
                                    "logging": {"level": "ERROR"}, "ray": {"num_cpus": 2, "include_dashboard": False},
                                    "ingest": {"batch_size": batch_size}})
    fn(warm, [sources[0]["name"]])
    try:
        measure(path, functools.partial(fn, settings, [s["name"] for s in sources]), size, run)
    finally:
        ray.shutdown()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", nargs="*", type=int, default=[8000, 32000])
    ap.add_argument("--sources", type=int, default=16)
    ap.add_argument("--batch-size", type=int, default=2000)
    ap.add_argument("--child", nargs=5, metavar=("PATH", "SIZE", "RUN", "HOME", "SOURCES_JSON"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        path, size, run, home, sources_json = args.child
        child(path, int(size), run, home, sources_json, args.batch_size)
        return 0
    import subprocess

    root = Path(tempfile.mkdtemp(prefix="mxstream-", dir="/tmp"))
    print(json.dumps({"cpus": os.cpu_count(), "sizes": args.sizes, "sources": args.sources,
                      "batch_size": args.batch_size, "load_avg": round(os.getloadavg()[0], 2)}), flush=True)
    rows = []
    for size in args.sizes:
        data = root / f"data-{size}"
        data.mkdir()
        sources = json.dumps(write_sources(data, size, args.sources))
        for label in ("stream", "collect"):
            for run in ("cold", "unchanged"):  # unchanged: the same index again, in a new process
                cmd = [sys.executable, __file__, "--batch-size", str(args.batch_size),
                       "--child", label, str(size), run, str(root / f"{label}-{size}"), sources]
                out = subprocess.run(cmd, capture_output=True, text=True, timeout=1200)
                line = next((x for x in out.stdout.splitlines() if x.startswith('{"path"')), None)
                if out.returncode or line is None:
                    raise SystemExit(f"{label} {size} {run} failed:\n{out.stderr[-3000:]}")
                print(line, flush=True)
                rows.append(json.loads(line))
    print("\npath     size    run        listings  wall_s  driver_peak_MiB  above_start_MiB  private_above_start_MiB")
    for r in rows:
        print(f"{r['path']:<8} {r['size']:<7} {r['run']:<10} {r['listings']:<9} {r['wall_s']:<7} {r['driver_peak_mib']:<16} "
              f"{r['driver_peak_above_start_mib']:<16} {r['driver_private_peak_above_start_mib']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

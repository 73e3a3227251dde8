"""Resolution at scale: the scalable path (listings never on the driver) beside the previous one.

Run: .venv/bin/python bench/scale_ingest.py [--sizes 100000 300000 1000000] [--baseline] [--baseline-max N]
                                          [--two-node [N]] [--write 20000] [--stages] [--smoke]

Listings with known truth are generated on the fly inside Ray tasks, one shard of 50k per task
(`bench/synthetic_affiliate.generate_chunk`: 1-4 sources per program, name/URL/terms variants,
look-alike programs on other country domains), and stay in the object store; the driver holds
references only. A hashed-trigram embedder (`tests/support/resolve_data.TrigramEmbedder`)
stands in for the model so the model does not dominate at this size (`bench/ingest_speed.py`
measures the model).

Per size it prints one JSON line per mode:
- `scale`: `jobs.resolve_partitioned.resolve_scale` on a private local Ray cluster (routing,
  blocking, scoring, components, clustering and survivorship all in Ray tasks; the model fitted
  in a task on a bounded sample);
- `partitioned-driver` (--baseline, sizes <= --baseline-max): the previous path,
  `jobs.resolve_partitioned.resolve_partitioned` with every listing on the driver (blocking, fit
  and survivorship there, scoring and clustering in tasks); run after every scalable run so its
  driver memory cannot inflate theirs;
with wall time, listings/s, driver peak RSS, cluster peak memory (sampled every 0.2 s with
psutil over the driver and every Ray process: `cluster_peak_gib` counts each process's private
memory plus the shared object store once; `cluster_rss_sum_peak_gib` is the plain RSS sum, which
counts shared pages once per process that maps them), pair F1 against the truth, the unchanged
re-run (the re-crawl regenerated in tasks, then the content-hash guard on the workers; its
`rerun_listings_to_resolve` = 0 means nothing reaches the resolver and nothing is written;
regeneration is timed apart as `recrawl_generate_s`: that is crawling, not resolving), seconds
per stage, and the load average before and after (the machine is shared: figures are only
comparable within a run). `--two-node`: the scalable run on two `ray start` nodes on this
machine (head + worker, one CPU each); prints how many tasks ran on each node. `--write N`:
upserts N listings into a LanceDB index in bounded batches, then again unchanged (seconds per
1k). `--stages`: fetch, parse and normalize per 1k records through the ingest job's own
functions on the bundled OpenAffiliate registry (a local file: fetch here is a file read).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import psutil  # noqa: E402

from bench.synthetic_affiliate import generate, pair_f1  # noqa: E402
from tests.support.resolve_data import TrigramEmbedder  # noqa: E402

GIB = 2**30


class MemorySampler:
    """Peak RSS of this process and of this process + `extra()` processes (and their children)."""

    def __init__(self, extra: Callable[[], list[psutil.Process]] = lambda: []) -> None:
        self.me = psutil.Process()
        self.extra = extra
        self.driver_peak = self.cluster_peak = self.rss_sum_peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _procs(self) -> list[psutil.Process]:
        procs = {p.pid: p for p in [self.me, *self.me.children(recursive=True)]}
        for root in self.extra():
            try:
                for p in [root, *root.children(recursive=True)]:
                    procs.setdefault(p.pid, p)
            except psutil.Error:
                pass
        return list(procs.values())

    def _run(self) -> None:
        while not self._stop.is_set():
            total = private = shared = 0
            for p in self._procs():
                try:
                    mem = p.memory_info()
                except psutil.Error:
                    continue
                total += mem.rss
                private += mem.rss - mem.shared
                shared = max(shared, mem.shared)
                if p.pid == self.me.pid:
                    self.driver_peak = max(self.driver_peak, mem.rss)
            self.cluster_peak = max(self.cluster_peak, private + shared)
            self.rss_sum_peak = max(self.rss_sum_peak, total)
            self._stop.wait(0.2)

    def reset(self) -> None:
        self.driver_peak = self.me.memory_info().rss
        self.cluster_peak = self.rss_sum_peak = 0

    def __enter__(self) -> "MemorySampler":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def resolve_once(mode: str, listings, settings, embedder, existing=None):
    if mode == "one-process":
        from matrix.resolve import resolve_listings

        return resolve_listings(listings, existing, settings=settings, embedder=embedder)
    from jobs.resolve_partitioned import resolve_partitioned

    return resolve_partitioned(listings, existing, settings=settings, embedder=embedder)


def measure(mode: str, n: int, settings, sampler: MemorySampler, listings, truth) -> dict[str, Any]:
    """Cold run, then the unchanged re-run against its programs; figures for both."""
    embedder = TrigramEmbedder()
    load0 = _load()
    sampler.reset()
    t0 = time.perf_counter()
    res = resolve_once(mode, listings, settings, embedder)
    wall = time.perf_counter() - t0
    driver, cluster = sampler.driver_peak, sampler.cluster_peak
    stored = {x.key: x.compute_hash() for x in listings}  # what the index's content-hash guard holds
    t1 = time.perf_counter()
    again = resolve_once(mode, listings, settings, embedder, existing=res.programs)
    rerun = time.perf_counter() - t1
    # the ingest's own re-run: only new, changed or unowned listings reach the resolver (jobs.ingest.resolve_changed)
    t2 = time.perf_counter()
    owned = {k for p in res.programs for k in p.listing_keys}
    todo = [x for x in listings if stored.get(x.key) != x.compute_hash() or x.key not in owned]
    guarded = resolve_once(mode, todo, settings, embedder, existing=res.programs)
    rerun_guarded = time.perf_counter() - t2
    out: dict[str, Any] = {
        "mode": mode, "listings": n, "wall_s": round(wall, 2), "listings_per_s": round(n / wall, 1),
        "driver_peak_gib": round(driver / GIB, 2), "cluster_peak_gib": round(cluster / GIB, 2),
        "rerun_unchanged_s": round(rerun, 2), "rerun_pct_of_cold": round(100 * rerun / wall, 1),
        "rerun_changed_programs": len(again.changed_ids),
        "rerun_hash_guarded_s": round(rerun_guarded, 2), "rerun_hash_guarded_pct_of_cold": round(100 * rerun_guarded / wall, 1),
        "rerun_hash_guarded_resolved": len(todo), "rerun_hash_guarded_changed": len(guarded.changed_ids),
        "programs_found": len(set(res.assignments.values())),
        "programs_true": len(set(truth.values())), "candidate_pairs": res.stats.get("candidate_pairs"),
        "load_avg_before": load0, "load_avg_after": _load(),
    }
    out.update(pair_f1(res.assignments, truth))
    for key in ("seconds", "partitions", "components", "largest_component", "score_s", "cluster_s", "nodes"):
        if key in res.stats:
            out[key] = res.stats[key]
    out["_assignments"] = res.assignments
    return out


SHARD = 50_000  # listings per generated shard (one generation task each)
REGENERATE_MAX = 300_000  # above this the re-crawl reuses the generated listings (saves minutes of generation)


def _scale_tasks():
    """The bench's own Ray tasks: generation by seed range, F1 and counts on the workers."""
    import ray

    from bench.synthetic_affiliate import generate_chunk
    from matrix.resolve.scale_pipeline import pair_f1_arrays

    def f1(labels, *truth):
        import numpy as np

        return {**pair_f1_arrays(labels, np.concatenate(truth)), "programs_found": int(np.unique(labels).size)}

    def count(*blocks):
        return sum(len(b) for b in blocks)

    def delta(listings, m):
        """A small re-crawl delta from a shard: m/2 listings with edited terms, m/2 new keys (another source id)."""
        edited = [x.model_copy(update={"cookie_days": (x.cookie_days or 0) + 1}) for x in listings[:m // 2]]
        fresh = [x.model_copy(update={"source_id": "recrawl-" + x.source_id}) for x in listings[m // 2:m]]
        out = edited + fresh
        for x in out:  # normalize stamps the hash of what it just read
            x.content_hash = x.compute_hash()
        return out

    def crawl(n, chunk, n_chunks):
        """A shard as the ingest hands it over: normalized listings with their content hash stamped,
        and the batch's key and content-hash columns (what the guard reads)."""
        from matrix.resolve.scale_pipeline import guard_columns

        listings, truth = generate_chunk(n, chunk, n_chunks)
        for x in listings:
            x.content_hash = x.compute_hash()
        return listings, truth, guard_columns(listings)

    return (ray.remote(num_returns=3, max_retries=2)(crawl), ray.remote(f1), ray.remote(count),
            ray.remote(delta))


def generate_shards(n: int, gen) -> tuple[list, list, list[int], list]:
    """Listings generated inside Ray tasks, one shard of <= SHARD each: (listing refs, truth refs,
    sizes, guard-column refs)."""
    import ray

    n_chunks = max(1, -(-n // SHARD))
    sizes = [n // n_chunks + (1 if c < n % n_chunks else 0) for c in range(n_chunks)]
    refs = [gen.remote(size, c, n_chunks) for c, size in enumerate(sizes)]
    shards, truth, guards = [r[0] for r in refs], [r[1] for r in refs], [r[2] for r in refs]
    ray.wait(shards + truth + guards, num_returns=3 * len(shards), fetch_local=False)
    return shards, truth, sizes, guards


def _event_counts(events: list[dict[str, Any]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for e in events:
        out[e["event"]] = out.get(e["event"], 0) + 1
    return out


def measure_scale(n: int, settings, sampler: MemorySampler, mode: str = "scale") -> dict[str, Any]:
    """The scalable path: listings generated and kept in the object store, cold run, then the
    unchanged re-crawl through the content-hash guard on the workers."""
    import ray

    from jobs.resolve_partitioned import changed_listings, resolve_changes, resolve_scale

    gen, f1_task, count_task, delta_task = _scale_tasks()
    embedder = TrigramEmbedder()
    t_gen = time.perf_counter()
    shards, truth, sizes, guards = generate_shards(n, gen)
    gen_s = time.perf_counter() - t_gen
    load0 = _load()
    sampler.reset()
    t0 = time.perf_counter()
    res = resolve_scale(shards, sizes, settings=settings, embedder=embedder)
    wall = time.perf_counter() - t0
    driver, cluster, rss_sum = sampler.driver_peak, sampler.cluster_peak, sampler.rss_sum_peak
    quality = ray.get(f1_task.remote(res.labels, *truth))
    del truth
    # the re-crawl: the same listings generated afresh (new objects, hashes recomputed), then the guard
    t_gen2 = time.perf_counter()
    if n <= REGENERATE_MAX:
        again, _, _, again_guards = generate_shards(n, gen)
    else:  # the same listings: the guard still compares every key and content hash
        again, again_guards = shards, guards
    regen_s = time.perf_counter() - t_gen2
    t1 = time.perf_counter()
    # the guard reads the re-crawled batches' key and content-hash columns (no listing materialized)
    todo = sum(ray.get([count_task.remote(c) for c in changed_listings(again_guards, res.hashes, settings)]))
    rerun = time.perf_counter() - t1  # todo == 0: nothing reaches the resolver, nothing is written
    # a delta re-crawl (0.1 %: half edited, half new keys) through the guard and the incremental resolver
    m = max(2, n // 1000)
    delta = [delta_task.remote(again[0], m)]
    t2 = time.perf_counter()
    inc = resolve_changes(delta, changed_listings(delta, res.hashes, settings), res.programs, settings=settings,
                          embedder=embedder)
    delta_s = time.perf_counter() - t2
    del again, shards, guards, again_guards
    out: dict[str, Any] = {
        "mode": mode, "listings": n, "wall_s": round(wall, 2), "listings_per_s": round(n / wall, 1),
        "driver_peak_gib": round(driver / GIB, 2), "cluster_peak_gib": round(cluster / GIB, 2),
        "cluster_rss_sum_peak_gib": round(rss_sum / GIB, 2),
        "rerun_unchanged_s": round(rerun, 2), "rerun_pct_of_cold": round(100 * rerun / wall, 1),
        "rerun_listings_to_resolve": int(todo), "rerun_programs_written": 0 if todo == 0 else None,
        "delta_listings": m, "delta_s": round(delta_s, 2), "delta_pct_of_cold": round(100 * delta_s / wall, 1),
        "delta_resolved": 0 if inc is None else inc.stats.get("listings"),
        "delta_existing_programs_seen": 0 if inc is None else inc.stats.get("existing_programs"),
        "delta_changed_programs": 0 if inc is None else len(inc.changed_ids),
        "delta_events": {} if inc is None else _event_counts(inc.events),
        "generate_s": round(gen_s, 2), "recrawl_generate_s": round(regen_s, 2),
        "recrawl": "regenerated" if n <= REGENERATE_MAX else "the generated shards again",
        "load_avg_before": load0, "load_avg_after": _load(),
    }
    out.update(quality)
    out.update({k: res.stats[k] for k in ("seconds", "shards", "groups", "exact_subs", "cells", "nodes")})
    return out


def _print(row: dict[str, Any]) -> None:
    print(json.dumps({k: v for k, v in row.items() if not k.startswith("_")}), flush=True)


def run_local(sizes: list[int], baseline: bool, baseline_max: int = 300_000) -> list[dict[str, Any]]:
    """Every size through the scalable path first, then (--baseline) the previous partitioned path
    (listings on the driver) for the sizes up to `baseline_max`: the old path's driver memory
    stays in this process after it ran, so it must not run before a scalable run is measured."""
    import ray

    from jobs.common import connect_ray
    from matrix.config import load_settings

    rows = []
    with tempfile.TemporaryDirectory(prefix="mxscale-", dir="/tmp") as home:
        settings = load_settings(overrides={"home": home, "ray": {"include_dashboard": False}})
        connect_ray(settings)
        try:
            with MemorySampler() as sampler:
                for n in sizes:
                    row = measure_scale(n, settings, sampler)
                    _print(row)
                    rows.append(row)
                for n in sizes if baseline else []:
                    if n > baseline_max:
                        _print({"mode": "partitioned-driver", "listings": n, "skipped": (
                            f"the previous path holds every listing, record and program on the driver "
                            f"(5.04 GiB driver peak at 300k last session); above {baseline_max:,} it would take most of this "
                            f"shared 24 GiB machine")})
                        continue
                    listings, truth = generate(n)
                    row = measure("partitioned-driver", n, settings, sampler, listings, truth)
                    del listings
                    _print(row)
                    rows.append(row)
        finally:
            ray.shutdown()
    return rows


def run_two_node(n: int) -> dict[str, Any]:
    """The partitioned run on a head and a worker node (`ray start`, one CPU each, own temp dirs)."""
    import ray
    from ray.util.state import list_nodes

    from matrix.config import load_settings
    from tests.support.ray_cluster import start_head, start_worker

    head = start_head(num_cpus=1)
    try:
        worker = start_worker(head, num_cpus=1)
    except Exception:
        head.stop()
        raise
    try:
        with tempfile.TemporaryDirectory(prefix="mxscale2-", dir="/tmp") as home:
            settings = load_settings(overrides={"home": home, "ray": {"address": head.address}})
            ray.init(address=head.address, log_to_driver=False)
            try:
                roots = [psutil.Process(head.proc.pid), psutil.Process(worker.proc.pid)]
                with MemorySampler(lambda: roots) as sampler:
                    row = measure_scale(n, settings, sampler, mode="scale-two-node")
                nodes = {x.node_id: ("head" if x.is_head_node else "worker") for x in list_nodes(address=head.dashboard_url)}
                row["tasks_per_node"] = {nodes.get(k, k): v for k, v in row.pop("nodes", {}).items()}
            finally:
                ray.shutdown()
    finally:
        worker.stop()
        head.stop()
    _print(row)
    return row


def run_write(n: int, batch: int = 10_000) -> dict[str, Any]:
    """Upsert n listings into LanceDB in bounded batches, then the same again (content-hash guarded)."""
    from matrix.config import load_settings
    from matrix.index import MasterIndex

    with tempfile.TemporaryDirectory(prefix="mxscalew-", dir="/tmp") as home:
        out: dict[str, Any] = {"mode": "write-listings", "listings": n, "batch": batch}
        for label in ("cold", "unchanged"):
            # the re-crawl as a new run: a fresh index handle and fresh listing objects (hashes recomputed)
            index = MasterIndex(load_settings(overrides={"home": home}))
            listings, _ = generate(n)
            t0 = time.perf_counter()
            for start in range(0, n, batch):
                index.upsert_listings(listings[start:start + batch])
            sec = time.perf_counter() - t0
            out[f"{label}_s"] = round(sec, 2)
            out[f"{label}_s_per_1k"] = round(1000 * sec / n, 3)
    out["load_avg"] = _load()
    _print(out)
    return out


def run_write_programs(n: int, batch: int = 5_000) -> dict[str, Any]:
    """The scalable path's programs into LanceDB (`write_scale_programs`): n generated listings resolved
    with `resolve_scale`, then the program blocks streamed into a fresh index in batches of `batch`
    inside one ingest run, then the same blocks again (content-hash guarded: nothing written)."""
    import ray

    from jobs.common import connect_ray
    from jobs.resolve_partitioned import resolve_scale, write_scale_programs
    from matrix.config import load_settings
    from matrix.index import MasterIndex

    with tempfile.TemporaryDirectory(prefix="mxscalep-", dir="/tmp") as home:
        settings = load_settings(overrides={"home": home, "ray": {"include_dashboard": False}})
        connect_ray(settings)
        try:
            embedder = TrigramEmbedder()
            shards, _, sizes, _ = generate_shards(n, _scale_tasks()[0])
            res = resolve_scale(shards, sizes, settings=settings, embedder=embedder)
            ray.wait(res.programs + res.texts, num_returns=2 * len(res.programs), fetch_local=False)
            out: dict[str, Any] = {"mode": "write-programs", "listings": n, "batch": batch, "blocks": len(res.programs)}
            index = MasterIndex(settings)
            with MemorySampler() as sampler:
                for label in ("cold", "unchanged"):
                    sampler.reset()
                    t0 = time.perf_counter()
                    with index.begin_ingest() as run:
                        wrote = write_scale_programs(index, res, embedder, batch_size=batch)
                        run.commit()
                    sec = time.perf_counter() - t0
                    out.update({f"{label}_s": round(sec, 2), f"{label}_written": wrote.written,
                                f"{label}_batches": wrote.batches,
                                f"{label}_driver_peak_gib": round(sampler.driver_peak / GIB, 2),
                                f"{label}_s_per_1k_programs": round(1000 * sec / max(wrote.programs, 1), 3),
                                f"{label}_s_per_1k_listings": round(1000 * sec / n, 3)})
            out["programs"] = wrote.programs
        finally:
            ray.shutdown()
    out["load_avg"] = _load()
    _print(out)
    return out


def run_stages() -> dict[str, Any]:
    """Fetch, parse and normalize through the ingest job's functions on the bundled registry (one process)."""
    import numpy as np

    from jobs.ingest import _fetch_one, _normalize_batch, _parse_page
    from matrix.config import load_settings

    with tempfile.TemporaryDirectory(prefix="mxscales-", dir="/tmp") as home:
        settings = load_settings(overrides={"home": home,
                                            "sources": [{"name": "openaffiliate", "kind": "openaffiliate"}]})
        sj = settings.model_dump_json()
        t0 = time.perf_counter()
        fetched = _fetch_one(sj, "openaffiliate")
        t1 = time.perf_counter()
        parsed = [r for page in fetched["pages"] for r in _parse_page(page, sj)]
        t2 = time.perf_counter()
        batch = {k: np.array([r[k] for r in parsed], dtype=object) for k in parsed[0]}
        out = _normalize_batch(batch, sj)
        t3 = time.perf_counter()
    n = sum(x is not None for x in out["listing"])
    per_1k = lambda s: round(1000 * s / max(n, 1), 3)  # noqa: E731
    row = {"mode": "stages-openaffiliate", "records": n, "pages": len(fetched["pages"]),
           "fetch_s_per_1k": per_1k(t1 - t0), "parse_s_per_1k": per_1k(t2 - t1), "normalize_s_per_1k": per_1k(t3 - t2),
           "load_avg": _load()}
    _print(row)
    return row


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", nargs="*", type=int, default=[100_000, 300_000, 1_000_000])
    ap.add_argument("--baseline", action="store_true",
                    help="also run the previous partitioned path (listings on the driver) on each size")
    ap.add_argument("--baseline-max", type=int, default=300_000, help="largest size the baseline runs at")
    ap.add_argument("--two-node", type=int, nargs="?", const=100_000, default=None, metavar="N",
                    help="run N listings (default 100k) on a two-node local cluster instead of --sizes")
    ap.add_argument("--write", type=int, default=None, metavar="N", help="time LanceDB listing upserts of N listings")
    ap.add_argument("--stages", action="store_true", help="time fetch/parse/normalize on the bundled registry")
    ap.add_argument("--write-programs", type=int, default=None, metavar="N",
                    help="time the scalable path's program blocks into LanceDB for N listings (write_scale_programs)")
    ap.add_argument("--smoke", action="store_true", help="2,000 listings, baseline included (CI)")
    args = ap.parse_args(argv)
    if args.two_node:  # `ray start` nodes run with Ray's token auth on; Ray reads the mode once, at import
        os.environ.setdefault("RAY_AUTH_MODE", "token")
    print(json.dumps({"cpus": os.cpu_count(), "load_avg": _load()}), flush=True)
    if args.stages:
        run_stages()
    if args.write:
        run_write(args.write)
    if args.write_programs:
        run_write_programs(args.write_programs)
    if args.two_node:
        run_two_node(args.two_node)
    elif args.smoke:
        run_local([2000], baseline=True)  # tiny: one generated shard, the previous path beside it
    elif not (args.stages or args.write or args.write_programs):
        run_local(args.sizes, args.baseline, args.baseline_max)
    return 0


if __name__ == "__main__":
    sys.exit(main())

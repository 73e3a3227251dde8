"""Ingest at scale: partitioned resolution on Ray beside the single-process resolver, same run, same data.

Run: .venv/bin/python bench/scale_ingest.py [--sizes 100000 300000 1000000] [--baseline] [--two-node]
                                          [--write 20000] [--stages] [--smoke]

Listings with known truth are generated on the fly (`bench/synthetic_affiliate.generate`: 1-4
sources per program, name/URL/terms variants, look-alike programs on other country domains).
A hashed-trigram embedder (`tests/support/resolve_data.TrigramEmbedder`) stands in for the
model so the model does not dominate at this size (`bench/ingest_speed.py` measures the model).

Per size it prints one JSON line per mode:
- `partitioned`: `jobs.resolve_partitioned.resolve_partitioned` on a private local Ray cluster
  (blocking and the model fit on the driver, pair scoring and clustering in Ray tasks);
- `baseline` (--baseline): `matrix.resolve.resolve_listings` in this process, the current path;
with wall time, listings/s, driver peak RSS and cluster peak memory (RSS summed over the driver
and every Ray process, sampled every 0.2 s with psutil), F1 against the truth, two unchanged
re-runs (`rerun_unchanged`: every listing offered to the resolver again; `rerun_hash_guarded`:
what the ingest does, content hashes compared first so only new/changed/unowned listings are
resolved, with an in-memory hash table standing in for the LanceDB guard that `--write` times),
seconds per stage (vectors=embed, block, fit, score, cluster, assemble), and the
load average before and after (the machine is shared: figures are only comparable within a run).
`--two-node`: the partitioned run on two `ray start` nodes on this machine (head + worker, one
CPU each); prints how many tasks ran on each node. `--write N`: upserts N listings into a
LanceDB index in bounded batches, then again unchanged (seconds per 1k). `--stages`: fetch,
parse and normalize per 1k records through the ingest job's own functions on the bundled
OpenAffiliate registry (a local file: fetch here is a file read, not the network).
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
        self.driver_peak = self.cluster_peak = 0
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
            total = 0
            for p in self._procs():
                try:
                    rss = p.memory_info().rss
                except psutil.Error:
                    continue
                total += rss
                if p.pid == self.me.pid:
                    self.driver_peak = max(self.driver_peak, rss)
            self.cluster_peak = max(self.cluster_peak, total)
            self._stop.wait(0.2)

    def reset(self) -> None:
        self.driver_peak = self.me.memory_info().rss
        self.cluster_peak = 0

    def __enter__(self) -> "MemorySampler":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def resolve_once(mode: str, listings, settings, embedder, existing=None):
    if mode == "baseline":
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


def _print(row: dict[str, Any]) -> None:
    print(json.dumps({k: v for k, v in row.items() if not k.startswith("_")}), flush=True)


def run_local(sizes: list[int], baseline: bool) -> list[dict[str, Any]]:
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
                    listings, truth = generate(n)
                    part = measure("partitioned", n, settings, sampler, listings, truth)
                    _print(part)
                    rows.append(part)
                    if baseline:
                        base = measure("baseline", n, settings, sampler, listings, truth)
                        a, b = base["_assignments"], part["_assignments"]
                        base["listings_assigned_differently"] = sum(a[k] != b.get(k) for k in a)
                        base["pair_f1_partitioned_vs_baseline"] = pair_f1(b, {k: hash(v) for k, v in a.items()})["f1"]
                        _print(base)
                        rows.append(base)
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
                listings, truth = generate(n)
                with MemorySampler(lambda: roots) as sampler:
                    row = measure("partitioned-two-node", n, settings, sampler, listings, truth)
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
    ap.add_argument("--baseline", action="store_true", help="also run the single-process resolver on each size")
    ap.add_argument("--two-node", type=int, nargs="?", const=100_000, default=None, metavar="N",
                    help="run N listings (default 100k) on a two-node local cluster instead of --sizes")
    ap.add_argument("--write", type=int, default=None, metavar="N", help="time LanceDB listing upserts of N listings")
    ap.add_argument("--stages", action="store_true", help="time fetch/parse/normalize on the bundled registry")
    ap.add_argument("--smoke", action="store_true", help="2,000 listings, baseline included (CI)")
    args = ap.parse_args(argv)
    if args.two_node:  # `ray start` nodes run with Ray's token auth on; Ray reads the mode once, at import
        os.environ.setdefault("RAY_AUTH_MODE", "token")
    print(json.dumps({"cpus": os.cpu_count(), "load_avg": _load()}), flush=True)
    if args.stages:
        run_stages()
    if args.write:
        run_write(args.write)
    if args.two_node:
        run_two_node(args.two_node)
    elif args.smoke:
        run_local([2000], baseline=True)
    elif not (args.stages or args.write):
        run_local(args.sizes, args.baseline)
    return 0


if __name__ == "__main__":
    sys.exit(main())

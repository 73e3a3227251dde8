"""Dynamic indexing benchmark: a frequently filtered column gets its index and its queries get faster.

    .venv/bin/python bench/serve_optimizer.py [--n 100000] [--smoke]

1. builds a programs table of N synthetic programs with only its full-text index;
2. runs a workload that keeps filtering on one column (commission_percent ranges) through the
   search service, which records the query pattern;
3. runs the optimizer from the recorded usage (prints each decision and its reason);
4. runs the same filtered queries again and prints p50/p99 before and after, measured in this run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))]


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=60)
    ap.add_argument("--smoke", action="store_true", help="small sizes for CI (< 60 s)")
    args = ap.parse_args(argv)
    if args.smoke:
        args.n, args.queries = 5_000, 30

    from lancedb.index import FTS

    from matrix.config import load_settings
    from matrix.index import MasterIndex
    from matrix.index.optimizer import optimize_index
    from matrix.index.synthetic import synthetic_programs
    from serve_apps.service import SearchService, build_request

    home = tempfile.mkdtemp(prefix="mx-bench-opt-")
    settings = load_settings(overrides={"home": home, "serve": {"cache_max_entries": 0, "read_consistency_interval_s": 0},
                                        "optimizer": {"min_uses": 10}})
    t0 = time.perf_counter()
    index = MasterIndex(settings)
    batch = 20_000
    for start in range(0, args.n, batch):
        index.upsert_programs(list(synthetic_programs(min(batch, args.n - start), seed=7, start=start)))
    index.programs.create_index("search_text", config=FTS(), replace=True)
    print(f"built {args.n} programs (FTS only) in {time.perf_counter() - t0:.1f} s")

    # Narrow ranges: the selective filters a scalar index pays off for.
    ranges = [(10 + (i % 25) + 0.1 * (i % 7), 10 + (i % 25) + 0.1 * (i % 7) + 0.3) for i in range(args.queries)]

    def workload(service: SearchService) -> list[float]:
        lat = []
        for lo, _hi in ranges:
            req = build_request(min_commission=lo, sort="commission", limit=10, facets=[])
            t = time.perf_counter()
            service.search(req)
            lat.append((time.perf_counter() - t) * 1000)
        return lat

    def raw_filter(tbl) -> list[float]:
        lat = []
        for lo, hi in ranges:
            t = time.perf_counter()
            tbl.search().where(f"commission_percent >= {lo} AND commission_percent < {hi}").select(["program_id"]).limit(10).to_list()
            lat.append((time.perf_counter() - t) * 1000)
        return lat

    service = SearchService(settings)
    workload(service)  # warm the snapshot / column cache, and record the pattern
    before = workload(service)
    raw_before = raw_filter(index.programs)
    service.usage.flush()
    report = optimize_index(settings)
    for d in report.decisions:
        print(f"decision: {d.action} {d.target} [{d.index_type or '-'}] applied={d.applied}: {d.reason}")
    created = [d.target for d in report.decisions if d.action == "create_index" and d.applied]
    service2 = SearchService(settings)
    workload(service2)
    after = workload(service2)
    raw_after = raw_filter(index.programs)
    print(f"indexes created: {created}")
    for label, b, a in (("search() filtered on commission_percent", before, after),
                        ("Lance filter commission_percent range  ", raw_before, raw_after)):
        print(f"{label}: p50 {statistics.median(b):.2f} ms -> {statistics.median(a):.2f} ms "
              f"(x{statistics.median(b) / max(statistics.median(a), 1e-9):.2f}), "
              f"p99 {pct(b, 0.99):.2f} -> {pct(a, 0.99):.2f} ms")
    shutil.rmtree(home, ignore_errors=True)
    # the figures as data (tests assert on these, never on the printed text)
    return {"created": created, "decisions": [(d.action, d.target, d.applied) for d in report.decisions],
            "search_p50_ms": (statistics.median(before), statistics.median(after)),
            "filter_p50_ms": (statistics.median(raw_before), statistics.median(raw_after)), "queries": len(ranges)}


if __name__ == "__main__":
    sys.exit(0 if "commission_percent" in main()["created"] else 1)

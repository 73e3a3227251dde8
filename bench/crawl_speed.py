"""Crawl benchmark against a generated fixture site: politeness efficiency, parse cost, re-crawl cost.

    .venv/bin/python bench/crawl_speed.py            # 5,000 detail pages over 8 hosts
    .venv/bin/python bench/crawl_speed.py --smoke    # small, < 60 s (CI)

Setup: a separate server process serves H hosts (distinct ports on 127.0.0.1), each an
Odigger-structured site with list pages (50 links each, rel=next pagination) and detail pages.
One OdiggerSource per host, all crawled on one event loop in a background thread
(`fetch_concurrently`; `--mode threads` runs one thread per source instead, the old baseline),
each host limited to `--rate` requests/s with `--burst` and `--concurrency`.
Figures:
- achieved request rate as a share of the allowed total: requests / sum(burst + rate * elapsed)
  per host (goal >= 95 %);
- CPU seconds per 1,000 pages parsed + normalized (parse + to_listing, this process);
- second crawl with nothing changed: bytes downloaded and client CPU seconds (fetch + parse +
  normalize) as a share of the first crawl (goal <= 5 %). The fixture server sends
  `Cache-Control: max-age=3600` like a real site, so every page is still fresh and the second
  crawl sends no request at all (matrix.http's freshness cache + the records cache);
  `--cache-control ""` drops the header to measure the revalidation path (one 304 per page).
`run()` returns every figure as a dict; the smoke test asserts on those values.
"""

from __future__ import annotations

import argparse
import hashlib
import multiprocessing as mp
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support.sites_generated import PER_LIST, detail_html, list_html  # noqa: E402  (the generated site)

LAST_MODIFIED = "Wed, 01 Apr 2026 10:00:00 GMT"


def serve(hosts: int, per_host: int, ports_q: "mp.Queue", cache_control: str = "") -> None:
    import asyncio

    from aiohttp import web

    pages = -(-per_host // PER_LIST)

    def make_handler(h: int):
        async def handle(request: web.Request) -> web.Response:
            path = request.path
            if path == "/robots.txt":
                body = b"User-agent: *\nDisallow: /admin/\n"
            elif path == "/offers":
                body = list_html(int(request.query.get("page", "1")), pages, per_host).encode()
            elif path.startswith("/offer/o"):
                body = detail_html(h, int(path[len("/offer/o"):])).encode()
            else:
                return web.Response(status=404)
            etag = '"' + hashlib.blake2b(body, digest_size=8).hexdigest() + '"'
            validators = {"ETag": etag, "Last-Modified": LAST_MODIFIED}
            if cache_control:
                validators["Cache-Control"] = cache_control
            if request.headers.get("If-None-Match") == etag:
                return web.Response(status=304, headers=validators)
            return web.Response(body=body, headers={"Content-Type": "text/html; charset=utf-8", **validators})
        return handle

    async def main() -> None:
        ports = []
        for h in range(hosts):
            app = web.Application()
            app.router.add_route("GET", "/{tail:.*}", make_handler(h))
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            ports.append(site._server.sockets[0].getsockname()[1])
        ports_q.put(ports)
        await asyncio.Event().wait()

    asyncio.run(main())


def crawl_all(sources, mode: str = "loop") -> tuple[list, float, list[float]]:
    """Fetch every source; pages per source, wall seconds, per-source crawl seconds.

    mode "loop": all sources on one event loop (`fetch_concurrently`, what a multi-host crawl
    uses); mode "threads": one thread per source, each with its own loop (the old way, kept as a
    baseline)."""
    from matrix.sources.directory import fetch_concurrently

    index = {s.name: k for k, s in enumerate(sources)}
    results: list = [[] for _ in sources]
    t0 = time.monotonic()
    if mode == "loop":
        for page in fetch_concurrently(sources):
            results[index[page.source]].append(page)
    else:
        def run(k: int) -> None:
            results[k] = list(sources[k].fetch_pages())

        threads = [threading.Thread(target=run, args=(k,)) for k in range(len(sources))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    return results, time.monotonic() - t0, [s.report.elapsed_s for s in sources]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--smoke", action="store_true", help="small sizes for CI (< 60 s)")
    ap.add_argument("--pages", type=int, default=None, help="detail pages in total (default 5,000; --smoke 320)")
    ap.add_argument("--hosts", type=int, default=8)
    ap.add_argument("--rate", type=float, default=40.0, help="allowed requests/s per host")
    ap.add_argument("--burst", type=int, default=4)
    ap.add_argument("--concurrency", type=int, default=6)
    ap.add_argument("--mode", choices=["loop", "threads"], default="loop", help="one loop for all hosts, or a thread per host")
    ap.add_argument("--cache-control", default="max-age=3600",
                    help='Cache-Control the fixture server sends ("" = none: the 304 revalidation path)')
    args = ap.parse_args(argv)
    if args.pages is None:
        args.pages = 320 if args.smoke else 5000
    return args


def _parse_all(sources, pages) -> tuple[list, int]:
    """(source, page, record) for every record, and how many pages had no cached records."""
    out, reparsed = [], 0
    for src, plist in zip(sources, pages, strict=True):
        for page in plist:
            reparsed += page.meta.get("records") is None
            out.extend((src, page, r) for r in src.parse(page))  # remembers records for the next crawl
    return out, reparsed


def _normalize_all(parsed: list) -> int:
    return sum(1 for src, page, r in parsed if src.to_listing(r, page.fetched_at))


def _timed(fn, *args):
    cpu0 = time.process_time()
    out = fn(*args)
    return out, time.process_time() - cpu0


def run(args: argparse.Namespace) -> dict:
    """Both crawls against a fresh fixture server; every figure, as data."""
    from matrix.config import load_settings
    from matrix.sources import build_source

    per_host = -(-args.pages // args.hosts)
    q: mp.Queue = mp.Queue()
    server = mp.Process(target=serve, args=(args.hosts, per_host, q, args.cache_control), daemon=True)
    server.start()
    home = tempfile.mkdtemp(prefix="mx-crawl-bench-")
    try:
        ports = q.get(timeout=30)
        rl = {"requests_per_second": args.rate, "burst": args.burst, "max_concurrency": args.concurrency}
        settings = load_settings(overrides={
            "home": home, "logging": {"level": "ERROR"},
            "crawl": {"timeout_s": 10, "max_retries": 2},
            "sources": [{"name": f"h{k}", "kind": "odigger", "url": f"http://127.0.0.1:{p}", "rate_limit": rl}
                        for k, p in enumerate(ports)]})
        import logging
        logging.getLogger().setLevel(logging.ERROR)

        def sources():
            return [build_source(settings.source(f"h{k}"), settings) for k in range(len(ports))]

        # first crawl: fetch, parse, then normalize (the next pipeline stage) -----------------------
        first = sources()
        (pages, wall, elapsed), fetch_cpu = _timed(crawl_all, first, args.mode)
        (parsed, _), parse_cpu = _timed(_parse_all, first, pages)
        n_listings, norm_cpu = _timed(_normalize_all, parsed)
        # second crawl, nothing changed: the same work -----------------------------------------------
        second = sources()
        (pages2, wall2, _), fetch_cpu2 = _timed(crawl_all, second, args.mode)
        (parsed2, reparsed), parse_cpu2 = _timed(_parse_all, second, pages2)
        n2, norm_cpu2 = _timed(_normalize_all, parsed2)
        requests = [s.report.requests for s in first]
        allowed = [args.burst + args.rate * e for e in elapsed]
        bytes1 = sum(s.report.bytes_downloaded for s in first)
        return {
            "hosts": args.hosts, "per_host": per_host, "rate": args.rate, "burst": args.burst,
            "concurrency": args.concurrency, "mode": args.mode, "cache_control": args.cache_control,
            "first_pages": sum(len(p) for p in pages), "first_requests": sum(requests), "first_wall_s": wall,
            "first_failures": sum(s.report.failed_total for s in first), "first_bytes": bytes1,
            "allowed_share": sum(requests) / sum(allowed), "first_listings": n_listings,
            "first_fetch_cpu_s": fetch_cpu, "first_parse_cpu_s": parse_cpu, "first_normalize_cpu_s": norm_cpu,
            "first_cpu_s": fetch_cpu + parse_cpu,
            "second_pages": sum(len(p) for p in pages2), "second_requests": sum(s.report.requests for s in second),
            "second_not_modified": sum(s.report.not_modified for s in second), "second_wall_s": wall2,
            "second_failures": sum(s.report.failed_total for s in second),
            "second_bytes": sum(s.report.bytes_downloaded for s in second), "second_reparsed": reparsed,
            "second_listings": n2, "second_fetch_cpu_s": fetch_cpu2, "second_parse_cpu_s": parse_cpu2,
            "second_normalize_cpu_s": norm_cpu2, "second_cpu_s": fetch_cpu2 + parse_cpu2,
            "second_cpu_share": (fetch_cpu2 + parse_cpu2) / (fetch_cpu + parse_cpu),
            "second_cpu_share_with_normalize": (fetch_cpu2 + parse_cpu2 + norm_cpu2) / (fetch_cpu + parse_cpu + norm_cpu),
        }
    finally:
        server.terminate()
        server.join(5)
        shutil.rmtree(home, ignore_errors=True)


def report(f: dict) -> None:
    n_pages, first_cpu = f["first_pages"], f["first_cpu_s"]
    print(f"crawl_speed: {f['hosts']} hosts x {f['per_host']} detail pages, limit {f['rate']:g} req/s/host "
          f"(burst {f['burst']}, concurrency {f['concurrency']}), mode {f['mode']}, "
          f"Cache-Control {f['cache_control'] or '(none)'}")
    print(f"  first crawl : {n_pages} detail pages, {f['first_requests']} requests in {f['first_wall_s']:.2f} s wall, "
          f"{f['first_failures']} failures, {f['first_bytes'] / 1e6:.2f} MB")
    print(f"  achieved rate: {f['first_requests'] / f['first_wall_s']:.1f} req/s of {f['rate'] * f['hosts']:g} allowed "
          f"-> {f['allowed_share'] * 100:.1f} % of the allowed total (burst+rate*elapsed per host)")
    print(f"  CPU per 1,000 pages: fetch {f['first_fetch_cpu_s'] / n_pages * 1000:.2f} s, parse "
          f"{f['first_parse_cpu_s'] / n_pages * 1000:.2f} s, normalize {f['first_normalize_cpu_s'] / n_pages * 1000:.2f} s "
          f"({f['first_listings']} listings)")
    print(f"  second crawl: {f['second_requests']} requests, {f['second_not_modified']} pages unchanged (fresh or 304), "
          f"{f['second_bytes'] / 1e3:.1f} kB downloaded, {f['second_reparsed']} of {f['second_pages']} pages parsed "
          f"again; wall {f['second_wall_s']:.2f} s")
    print(f"  crawl client CPU (fetch + parse): first {first_cpu:.2f} s (fetch {f['first_fetch_cpu_s']:.2f} + parse "
          f"{f['first_parse_cpu_s']:.2f}), second {f['second_cpu_s']:.2f} s (fetch {f['second_fetch_cpu_s']:.2f} + parse "
          f"{f['second_parse_cpu_s']:.2f}) = {f['second_cpu_share'] * 100:.1f} % of first (goal <= 5 %)")
    print(f"  normalize stage (re-run on every record, changed or not): first {f['first_normalize_cpu_s']:.2f} s, "
          f"second {f['second_normalize_cpu_s']:.2f} s; crawl + normalize second/first = "
          f"{f['second_cpu_share_with_normalize'] * 100:.1f} %")


def main(argv: list[str] | None = None) -> dict:
    figures = run(parse_args(argv))
    report(figures)
    return figures


if __name__ == "__main__":
    f = main()
    consistent = f["first_listings"] == f["first_pages"] == f["second_listings"] and f["first_failures"] == 0
    sys.exit(0 if consistent else 1)

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
- second crawl with nothing changed: bytes downloaded and CPU seconds (fetch + parse) as a
  share of the first crawl (goal <= 5 %), thanks to conditional requests + the records cache.
"""

from __future__ import annotations

import argparse
import hashlib
import multiprocessing as mp
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support.sites_generated import PER_LIST, detail_html, list_html  # noqa: E402  (the generated site)

LAST_MODIFIED = "Wed, 01 Apr 2026 10:00:00 GMT"


def serve(hosts: int, per_host: int, ports_q: "mp.Queue") -> None:
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
            if request.headers.get("If-None-Match") == etag:
                return web.Response(status=304, headers={"ETag": etag, "Last-Modified": LAST_MODIFIED})
            return web.Response(body=body, headers={"Content-Type": "text/html; charset=utf-8", "ETag": etag,
                                                    "Last-Modified": LAST_MODIFIED})
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


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--smoke", action="store_true", help="small sizes for CI (< 60 s)")
    ap.add_argument("--pages", type=int, default=5000, help="detail pages in total")
    ap.add_argument("--hosts", type=int, default=8)
    ap.add_argument("--rate", type=float, default=40.0, help="allowed requests/s per host")
    ap.add_argument("--burst", type=int, default=4)
    ap.add_argument("--concurrency", type=int, default=6)
    ap.add_argument("--mode", choices=["loop", "threads"], default="loop", help="one loop for all hosts, or a thread per host")
    args = ap.parse_args()
    if args.smoke:
        args.pages, args.rate = 320, 40.0
    per_host = -(-args.pages // args.hosts)

    from matrix.config import load_settings
    from matrix.sources import build_source

    q: mp.Queue = mp.Queue()
    server = mp.Process(target=serve, args=(args.hosts, per_host, q), daemon=True)
    server.start()
    try:
        ports = q.get(timeout=30)
        home = tempfile.mkdtemp(prefix="mx-crawl-bench-")
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

        # first crawl -------------------------------------------------------------------------
        first = sources()
        cpu0 = time.process_time()
        pages, wall, elapsed = crawl_all(first, args.mode)
        fetch_cpu = time.process_time() - cpu0
        requests = [s.report.requests for s in first]
        allowed = [args.burst + args.rate * e for e in elapsed]
        share = sum(requests) / sum(allowed)
        n_pages = sum(len(p) for p in pages)
        bytes1 = sum(s.report.bytes_downloaded for s in first)
        failures = sum(s.report.failed_total for s in first)
        cpu0 = time.process_time()
        n_listings = 0
        for src, plist in zip(first, pages):
            for page in plist:
                recs = src.parse(page)  # also remembers the records for the next crawl's 304s
                n_listings += sum(1 for r in recs if src.to_listing(r, page.fetched_at))
        parse_cpu = time.process_time() - cpu0
        # second crawl, nothing changed -------------------------------------------------------
        second = sources()
        cpu0 = time.process_time()
        pages2, wall2, _ = crawl_all(second, args.mode)
        fetch_cpu2 = time.process_time() - cpu0
        cpu0 = time.process_time()
        n2 = reparsed = 0
        for src, plist in zip(second, pages2):
            for page in plist:
                reparsed += page.meta.get("records") is None
                recs = src.parse(page)
                n2 += len(recs)
        parse_cpu2 = time.process_time() - cpu0
        cpu0 = time.process_time()
        for src, plist in zip(second, pages2):
            for page in plist:
                for r in src.parse(page):
                    src.to_listing(r, page.fetched_at)
        norm_cpu2 = time.process_time() - cpu0 - parse_cpu2
        cpu2 = fetch_cpu2 + parse_cpu2 + norm_cpu2
        bytes2 = sum(s.report.bytes_downloaded for s in second)
        nm = sum(s.report.not_modified for s in second)

        print(f"crawl_speed: {args.hosts} hosts x {per_host} detail pages, limit {args.rate:g} req/s/host "
              f"(burst {args.burst}, concurrency {args.concurrency}), mode {args.mode}")
        print(f"  first crawl : {n_pages} detail pages, {sum(requests)} requests in {wall:.2f} s wall, "
              f"{failures} failures, {bytes1 / 1e6:.2f} MB")
        print(f"  achieved rate: {sum(requests) / wall:.1f} req/s of {args.rate * args.hosts:g} allowed "
              f"-> {share * 100:.1f} % of the allowed total (burst+rate*elapsed per host)")
        print(f"  CPU per 1,000 pages: fetch {fetch_cpu / n_pages * 1000:.2f} s, parse+normalize "
              f"{parse_cpu / n_pages * 1000:.2f} s ({n_listings} listings)")
        first_cpu = fetch_cpu + parse_cpu
        print(f"  second crawl: {nm} not-modified, {bytes2 / 1e3:.1f} kB downloaded ({bytes2 / bytes1 * 100:.2f} % of first), "
              f"{reparsed} of {sum(len(p) for p in pages2)} pages parsed again; wall {wall2:.2f} s (rate-limited like the first)")
        print(f"  second crawl CPU: {cpu2:.2f} s vs {first_cpu:.2f} s ({cpu2 / first_cpu * 100:.1f} % of first): "
              f"304 round trips {fetch_cpu2:.2f} s ({fetch_cpu2 / fetch_cpu * 100:.0f} % of the first fetch), "
              f"parse {parse_cpu2:.2f} s ({parse_cpu2 / parse_cpu * 100:.1f} % of first parse+normalize), "
              f"normalize {n2} cached records {norm_cpu2:.2f} s")
        ok = n_listings == n_pages == n2 and failures == 0
        print("  result:", "OK" if ok else "MISMATCH")
        return 0 if ok else 1
    finally:
        server.terminate()
        server.join(5)


if __name__ == "__main__":
    sys.exit(main())

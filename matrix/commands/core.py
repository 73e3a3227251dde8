"""Core commands: `matrix up | ingest | serve | search | status`.

`up` is the main job: ingest the configured sources (the bundled registry by default), start the
search service on 127.0.0.1, print where to open it and a sample query's results, keep serving.
Ray-side work is imported lazily from jobs/ and serve_apps/ so plain commands stay fast.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from rich.console import Console
from rich.table import Table

from matrix.config import Settings

console = Console(stderr=False, highlight=False)


def _step(msg: str) -> None:
    console.print(f"[bold cyan]›[/] {msg}")


def _fmt_commission(hit: dict[str, Any]) -> str:
    c = hit.get("commission") or {}
    if isinstance(c, str):
        c = json.loads(c)
    pmin, pmax, fmin, fmax = c.get("percent_min"), c.get("percent_max"), c.get("flat_min"), c.get("flat_max")
    parts = []
    if pmax is not None or pmin is not None:
        parts.append(f"{pmin:g}-{pmax:g}%" if pmin is not None and pmax is not None and pmin != pmax
                     else f"{(pmax if pmax is not None else pmin):g}%")
    if fmax is not None or fmin is not None:
        v = fmax if fmax is not None else fmin
        parts.append(f"{c.get('currency') or ''} {v:,.0f}".strip())
    text = " + ".join(parts) or "unknown"
    if c.get("recurring"):
        text += " recurring"
    return text


def render_hits(hits: list[dict[str, Any]], total: int, title: str) -> Table:
    table = Table(title=f"{title} — {total} match(es)", show_lines=False)
    for col in ("#", "program", "network", "category", "commission", "cookie", "domain"):
        table.add_column(col, overflow="fold")
    for i, h in enumerate(hits, 1):
        cookie = h.get("cookie_days")
        table.add_row(str(i), h.get("name") or "", ", ".join(h.get("networks") or []) or "unknown",
                      h.get("category") or "unknown", _fmt_commission(h),
                      "unknown" if cookie is None else f"{cookie:g} d", h.get("merchant_domain") or "")
    return table


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    from jobs.ingest import run_ingest

    summary = run_ingest(settings, args.source, on_step=_step)
    if args.json:
        print(json.dumps(summary, indent=2, default=str))
    else:
        _step(f"done in {summary['seconds']} s; index at {summary['index']['uri']}")
    failed = [n for n, r in summary["sources"].items() if r.get("error")]
    return 1 if failed and len(failed) == len(summary["sources"]) else 0


def cmd_search(args: argparse.Namespace, settings: Settings) -> int:
    from matrix.index import MasterIndex, SearchFilters, SearchRequest, search

    index = MasterIndex(settings)
    if not index.has_table(settings.index.programs_table):
        console.print(f"no index at {index.uri}; run `matrix ingest` first")
        return 1
    embed_query = None
    if args.mode != "text":
        from matrix.embed import Embedder

        embedder = Embedder(settings.embed.model)
        embed_query = lambda q: embedder.embed([q])[0]  # noqa: E731
    filters = SearchFilters(networks=args.network or [], categories=args.category or [],
                            min_commission_percent=args.min_commission, min_cookie_days=args.min_cookie_days)
    req = SearchRequest(q=args.query, mode=args.mode, filters=filters, limit=args.limit, offset=args.offset, sort=args.sort)
    result = search(index, req, embed_query=embed_query)
    if args.json:
        print(json.dumps({"total": result.total, "hits": result.hits, "version": result.version}, default=str, indent=2))
    else:
        console.print(render_hits(result.hits, result.total, f"“{args.query}”"))
    return 0


def cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    from matrix.index import MasterIndex

    stats = MasterIndex(settings).stats()
    stats["home"] = str(settings.home.expanduser().resolve())
    stats["sources"] = [s.name for s in settings.enabled_sources()]
    if args.json:
        print(json.dumps(stats, indent=2, default=str))
        return 0
    console.print(f"home:   {stats['home']}\nindex:  {stats['uri']}")
    if not stats["tables"]:
        console.print("tables: none yet (run `matrix ingest`)")
    for name, t in stats["tables"].items():
        console.print(f"table {name}: {t['rows']} rows, version {t['version']}")
    for src, when in (stats.get("last_ingest") or {}).items():
        console.print(f"last ingest of {src}: {when}")
    return 0


def _wait_forever(url: str) -> None:
    console.print(f"serving at [bold]{url}[/] — Ctrl-C to stop")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from jobs.common import connect_ray
    from serve_apps.search_app import deploy

    connect_ray(settings)
    url = deploy(settings)
    _step(f"search service at {url} (API docs at {url}/docs)")
    if not args.no_block:
        _wait_forever(url)
    return 0


def cmd_up(args: argparse.Namespace, settings: Settings) -> int:
    """The main job on embedded defaults."""
    from jobs.common import connect_ray
    from jobs.ingest import run_ingest
    from serve_apps.search_app import deploy

    _step(f"MATRIX_HOME = {settings.home.expanduser().resolve()}")
    connect_ray(settings)
    run_ingest(settings, None, on_step=_step)
    url = deploy(settings)
    _step(f"search service is up: open {url}/ in a browser (API docs: {url}/docs)")
    import httpx

    resp = httpx.get(f"{url}/search", params={"q": args.sample_query, "limit": 5}, timeout=60)
    resp.raise_for_status()
    body = resp.json()
    console.print(render_hits(body["hits"], body["total"], f"sample query “{args.sample_query}” via {url}/search"))
    if not args.no_block:
        _wait_forever(url)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("up", help="main job: ingest bundled data, start the search service, show a sample query")
    p.add_argument("--sample-query", default="email marketing")
    p.add_argument("--no-block", action="store_true", help="return after the sample query instead of serving")
    p.set_defaults(handler=cmd_up)

    p = subparsers.add_parser("ingest", help="run the ingest pipeline (all enabled sources, or --source NAME)")
    p.add_argument("--source", action="append", help="only this source (repeatable)")
    p.add_argument("--json", action="store_true", help="print the run summary as JSON")
    p.set_defaults(handler=cmd_ingest)

    p = subparsers.add_parser("serve", help="start the search service on the configured host/port")
    p.add_argument("--no-block", action="store_true")
    p.set_defaults(handler=cmd_serve)

    p = subparsers.add_parser("search", help="search the master index directly and print a table")
    p.add_argument("query")
    p.add_argument("--mode", choices=["text", "vector", "hybrid"], default="text")
    p.add_argument("--network", action="append")
    p.add_argument("--category", action="append")
    p.add_argument("--min-commission", type=float, help="minimum commission percent")
    p.add_argument("--min-cookie-days", type=float)
    p.add_argument("--sort", default="relevance", choices=["relevance", "commission", "cookie_days", "epc", "last_verified"])
    p.add_argument("--limit", type=int, default=10)
    p.add_argument("--offset", type=int, default=0)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_search)

    p = subparsers.add_parser("status", help="index location, versions, row counts, last ingest per source")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_status)

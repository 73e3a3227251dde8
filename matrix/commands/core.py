"""Core commands: `matrix up | ingest | serve | search | status`.

`up` is the main job: ingest the configured sources (the bundled registry by default), start the
search service on 127.0.0.1, print where to open it and a sample query's results, keep serving.
Ray-side work is imported lazily from jobs/ and serve_apps/ so plain commands stay fast.
"""

from __future__ import annotations

import argparse
import json
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from matrix.commands.output import add_json_flag, emit

if TYPE_CHECKING:  # imported for annotations only: `matrix status --help` must not load pydantic or rich
    from rich.console import Console
    from rich.table import Table

    from matrix.config import Settings


@lru_cache(maxsize=1)
def _console() -> Console:
    """rich is imported on first output, not when the parser is built (the [cli] extra)."""
    from matrix.extras import require

    return require("rich.console", "matrix's tables").Console(stderr=False, highlight=False)


def _step(msg: str) -> None:
    _console().print(f"[bold cyan]›[/] {msg}")


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
    from matrix.extras import require

    table = require("rich.table", "matrix's tables").Table(title=f"{title} — {total} match(es)", show_lines=False)
    for col in ("#", "program", "score", "network", "category", "commission", "cookie", "why (top reasons)"):
        table.add_column(col, overflow="fold")
    for i, h in enumerate(hits, 1):
        cookie = h.get("cookie_days")
        ps = h.get("program_score")
        score = "unknown" if ps is None else f"{ps:.0f} ({h.get('score_confidence', 0):.0%})"
        table.add_row(str(i), h.get("name") or "", score, ", ".join(h.get("networks") or []) or "unknown",
                      h.get("category") or "unknown", _fmt_commission(h),
                      "unknown" if cookie is None else f"{cookie:g} d", "; ".join(h.get("score_reasons") or []))
    return table


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    from jobs.ingest import run_ingest

    summary = run_ingest(settings, args.source, on_step=_step, use_ray=not getattr(args, "local", False))
    from matrix.sources.drift import print_ingest_fields

    def as_text(s: dict[str, Any]) -> None:
        print_ingest_fields(s, _step)
        _step(f"done in {s['seconds']} s; index at {s['index']['uri']}")

    emit(args, summary, as_text)
    failed = [n for n, r in summary["sources"].items() if r.get("error")]
    return 1 if failed and len(failed) == len(summary["sources"]) else 0


def cmd_search(args: argparse.Namespace, settings: Settings) -> int:
    from matrix.index import MasterIndex, SearchFilters, SearchRequest, search

    index = MasterIndex(settings)
    if not index.has_table(settings.index.programs_table):
        _console().print(f"no index at {index.uri}; run `matrix ingest` first")
        return 1
    embed_query = None
    if args.mode != "text":
        from matrix.embed import Embedder

        embedder = Embedder(settings.embed.model)
        embed_query = lambda q: embedder.embed([q])[0]  # noqa: E731
    filters = SearchFilters(networks=args.network or [], categories=args.category or [],
                            min_commission_percent=args.min_commission, min_cookie_days=args.min_cookie_days)
    req = SearchRequest(q=args.query, mode=args.mode, filters=filters, limit=args.limit, offset=args.offset, sort=args.sort,
                        weights=getattr(args, "weights", None))
    result = search(index, req, embed_query=embed_query)
    emit(args, {"total": result.total, "hits": result.hits, "version": result.version},
         lambda r: _console().print(render_hits(r["hits"], r["total"], f"“{args.query}”")))
    return 0


def cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    from matrix.index import MasterIndex

    stats = MasterIndex(settings).stats()
    stats["home"] = str(settings.home.expanduser().resolve())
    stats["sources"] = [s.name for s in settings.enabled_sources()]
    emit(args, stats, _print_status)
    return 0


def _print_status(stats: dict[str, Any]) -> None:
    console = _console()
    console.print(f"home:   {stats['home']}\nindex:  {stats['uri']}")
    if not stats["tables"]:
        console.print("tables: none yet (run `matrix ingest`)")
    for name, t in stats["tables"].items():
        console.print(f"table {name}: {t['rows']} rows, version {t['version']}")
    if stats.get("open_ingest"):
        console.print("an ingest is running or died before its commit: readers see the last committed ingest "
                      "(the next `matrix ingest` rolls a dead one back)")
    for src, when in (stats.get("last_ingest") or {}).items():
        console.print(f"last ingest of {src}: {when}")


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    """`matrix serve [start|stop|status] [--detach]` (matrix/commands/lifecycle.py explains why)."""
    from matrix.commands import lifecycle

    if args.action == "stop":
        return lifecycle.stop(settings, _step, timeout_s=args.timeout)
    if args.action == "status":
        code, report = lifecycle.status(settings)

        def as_text(r: dict[str, Any]) -> None:
            if not r["running"]:
                _step("not running")
            else:
                _step(f"serving at {r['url']} (pid {r['pid']}, since {r['started_at']}); "
                      f"/healthz {'answers' if r['healthy'] else 'does NOT answer'}; log {r['log']}")

        emit(args, report, as_text)
        return code
    if args.detach:
        return lifecycle.detach(settings, _step, timeout_s=args.timeout)

    def start() -> str:
        from jobs.common import connect_ray
        from serve_apps.search_app import deploy

        connect_ray(settings)
        url = deploy(settings)
        _step(f"search service at {url} (API docs at {url}/docs)")
        return url

    return lifecycle.serve_until_stopped(settings, start, _step, block=not args.no_block)


def cmd_up(args: argparse.Namespace, settings: Settings) -> int:
    """The main job on embedded defaults."""
    from jobs.common import connect_ray
    from jobs.ingest import run_ingest
    from matrix.commands.lifecycle import serve_until_stopped
    from serve_apps.search_app import deploy

    def start() -> str:
        _step(f"MATRIX_HOME = {settings.home.expanduser().resolve()}")
        connect_ray(settings)
        run_ingest(settings, None, on_step=_step)
        url = deploy(settings)
        _step(f"search service is up: open {url}/ in a browser (API docs: {url}/docs)")
        body = _sample_query(settings, url, args.sample_query)
        _console().print(render_hits(body["hits"], body["total"], f"sample query “{args.sample_query}” via {url}/search"))
        return url

    return serve_until_stopped(settings, start, _step, block=not args.no_block)


def _sample_query(settings: Settings, url: str, query: str) -> dict[str, Any]:
    """GET /search on our own service through matrix.http (no robots.txt: it is our API)."""
    from matrix.http import HttpOptions, fetch_sync

    options = HttpOptions(user_agent=settings.crawl.user_agent, timeout_s=60, respect_robots=False)
    resp = fetch_sync(f"{url}/search", options, settings.crawl.default_rate_limit, params={"q": query, "limit": 5})
    if not resp.ok:
        raise RuntimeError(f"sample query on {url}/search failed: {resp.error} {resp.detail}")
    return json.loads(resp.body or b"")


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("up", help="main job: ingest bundled data, start the search service, show a sample query")
    p.add_argument("--sample-query", default="email marketing")
    p.add_argument("--no-block", action="store_true", help="return after the sample query instead of serving")
    p.set_defaults(handler=cmd_up)

    p = subparsers.add_parser("ingest", help="run the ingest pipeline (all enabled sources, or --source NAME)")
    p.add_argument("--source", action="append", help="only this source (repeatable)")
    p.add_argument("--local", action="store_true", help="run every step in this process, without a Ray cluster")
    add_json_flag(p)
    p.set_defaults(handler=cmd_ingest)

    p = subparsers.add_parser("serve", help="start the search service on the configured host/port",
                              description="Run the search service until Ctrl-C/SIGTERM; `--detach` runs it in the "
                                          "background (pid file under MATRIX_HOME/run); `stop` / `status` manage it.")
    p.add_argument("action", nargs="?", choices=["start", "stop", "status"], default="start")
    p.add_argument("--detach", action="store_true", help="start in the background, log to MATRIX_HOME/logs/serve.log")
    p.add_argument("--no-block", action="store_true", help="deploy and return (the service lives while Ray does)")
    p.add_argument("--timeout", type=float, default=600, help="seconds to wait for start (--detach) or stop")
    add_json_flag(p)
    p.set_defaults(handler=cmd_serve)

    p = subparsers.add_parser("search", help="search the master index directly and print a table")
    p.add_argument("query")
    p.add_argument("--mode", choices=["text", "vector", "hybrid"], default="text")
    p.add_argument("--network", action="append")
    p.add_argument("--category", action="append")
    p.add_argument("--min-commission", type=float, help="minimum commission percent")
    p.add_argument("--min-cookie-days", type=float)
    p.add_argument("--sort", default="relevance",
                   choices=["relevance", "commission", "cookie_days", "epc", "last_verified", "score"])
    p.add_argument("--weights", help="program-score weights, e.g. earnings:2,cookie:1 (docs/score.md)")
    p.add_argument("--limit", type=int, default=10)
    p.add_argument("--offset", type=int, default=0)
    add_json_flag(p)
    p.set_defaults(handler=cmd_search)

    p = subparsers.add_parser("status", help="index location, versions, row counts, last ingest per source")
    add_json_flag(p)
    p.set_defaults(handler=cmd_status)

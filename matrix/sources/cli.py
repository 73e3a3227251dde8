"""`matrix sources list | crawl NAME [--limit N]`: see what is configured, try one source now.

`crawl` runs one source in-process (fetch -> parse -> normalize, no Ray, no index write), so a
user checking a new source or a changed site layout sees within seconds what came back: counts,
every failure with its reason, the pages whose labels were not found (layout drift), and per field
the fill rate against the source's last good run with a DRIFT flag (matrix.sources.drift).
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from matrix.config import Settings
from matrix.sources.base import SourceError

MAX_SHOWN_FAILURES = 20


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("sources", help="configured sources: list them, crawl one now (no index write)")
    sub = p.add_subparsers(dest="sources_command", metavar="ACTION")
    sub.required = True
    ls = sub.add_parser("list", help="every configured source with kind, URL/path, enabled and rate limit")
    ls.add_argument("--json", action="store_true", help="machine-readable output")
    ls.set_defaults(handler=run_list)
    cr = sub.add_parser("crawl", help="crawl one source in-process and print its report")
    cr.add_argument("name", help="source name from ray_config.yaml (see `matrix sources list`)")
    cr.add_argument("--limit", type=int, help="at most N detail pages (records for feeds)")
    cr.add_argument("--show", type=int, default=5, help="print the first N listings (default 5, 0 = none)")
    cr.add_argument("--json", action="store_true", help="print the report as JSON")
    cr.set_defaults(handler=run_crawl)


def _where(cfg: Any) -> str:
    if cfg.url:
        return str(cfg.url)
    if cfg.path:
        return str(cfg.path)
    return "(bundled)"


def run_list(args: argparse.Namespace, settings: Settings) -> int:
    rows = []
    for s in settings.sources:
        rl = s.rate_limit or settings.crawl.default_rate_limit
        rows.append({"name": s.name, "kind": s.kind, "enabled": s.enabled, "where": _where(s),
                     "render_js": s.render_js, "max_pages": s.max_pages,
                     "rate_limit": f"{rl.requests_per_second:g}/s burst {rl.burst} x{rl.max_concurrency}"})
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    if not rows:
        print("no sources configured (ray_config.yaml: sources)")
        return 0
    cols = ["name", "kind", "enabled", "where", "rate_limit"]
    widths = {c: max(len(c), *(len(str(r[c])) for r in rows)) for c in cols}
    print("  ".join(c.upper().ljust(widths[c]) for c in cols))
    for r in rows:
        flags = " (js)" if r["render_js"] else ""
        print("  ".join(str(r[c]).ljust(widths[c]) for c in cols) + flags)
    return 0


def run_crawl(args: argparse.Namespace, settings: Settings) -> int:
    from matrix.sources import build_source

    cfg = settings.source(args.name)  # ConfigError names the known sources
    if args.limit is not None:
        if args.limit < 1:
            print(f"matrix sources crawl: --limit = {args.limit}: must be at least 1")
            return 2
        cfg = cfg.model_copy(update={"max_pages": args.limit})
    try:
        src = build_source(cfg, settings)
        listings = list(src.listings())
    except SourceError as exc:
        print(f"matrix sources crawl {args.name}: {exc}")
        return 1
    report_as_dict = getattr(getattr(src, "report", None), "as_dict", None)
    rep: dict[str, Any] = report_as_dict() if callable(report_as_dict) else {}
    if not rep.get("fields") and listings:  # a source outside the crawler: same field report
        from matrix.sources import drift

        tracker = drift.DriftTracker(cfg.name, drift.tracked_fields(src))
        for lst in listings:
            tracker.observe(lst.raw, lst)
        rep["fields"] = drift.finish(tracker, settings, cfg.options)
    rep = {"source": args.name, "kind": cfg.kind, "listings": len(listings), **{k: v for k, v in rep.items() if k != "source"}}
    if args.json:
        rep["sample"] = [{"source_id": listing.source_id, "name": listing.name} for listing in listings[: max(0, args.show)]]
        print(json.dumps(rep, indent=2, default=str))
        return 1 if not listings and rep.get("failed_total") else 0
    _print_report(rep, listings, args.show)
    return 1 if not listings and rep.get("failed_total") else 0  # nothing came back: the source is down


def _print_report(rep: dict[str, Any], listings: list, show: int) -> None:
    elapsed = rep.get("elapsed_s")
    print(f"{rep['source']} ({rep['kind']}): {rep['listings']} listings"
          + (f" in {elapsed:.1f} s" if isinstance(elapsed, (int, float)) else ""))
    if "requests" in rep:
        print(f"  requests {rep['requests']}: {rep['ok']} ok, {rep['not_modified']} not modified (304), "
              f"{rep['retries']} retries, {rep['bytes_downloaded'] / 1e3:.1f} kB downloaded")
    failed_total = rep.get("failed_total", 0)
    print(f"  failures: {failed_total}" + (" (" + ", ".join(f"{k} {v}" for k, v in sorted(rep["failures"].items())) + ")"
                                          if failed_total else ""))
    for f in rep.get("failed", [])[:MAX_SHOWN_FAILURES]:
        detail = f" - {f['detail']}" if f.get("detail") else ""
        print(f"    {f['reason']}: {f['url']}{detail}")
    if failed_total > MAX_SHOWN_FAILURES:
        print(f"    ... {failed_total - MAX_SHOWN_FAILURES} more (use --json)")
    drift = rep.get("layout_drift", [])
    print(f"  layout drift: {len(drift)} page(s)")
    for d in drift[:MAX_SHOWN_FAILURES]:
        print(f"    missing {', '.join(d['missing'])}: {d['url']}")
    if rep.get("fields"):
        from matrix.sources.drift import format_summary

        for line in format_summary(rep["fields"]):
            print("  " + line if not line.startswith(" ") else line)
    for lst in listings[: max(0, show)]:
        com = lst.commission.raw if getattr(lst.commission, "raw", None) else "?"
        print(f"  - {lst.source_id}: {lst.name} | commission {com} | cookie "
              f"{'?' if lst.cookie_days is None else f'{lst.cookie_days:g} d'} | {lst.category or '?'}")

"""`matrix networks list | test NAME | pull NAME` - look at, health-check and pull network APIs."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

from matrix.config import Settings
from matrix.keys.types import CredentialError
from matrix.networks import NETWORKS, ApiRecord, build_client, client_class
from matrix.networks.errors import NetworkCredentialError, NetworkError


def _provider(settings: Settings):
    from matrix.networks.source import default_provider

    return default_provider(settings)


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("networks", help="affiliate network APIs (Awin, CJ, Impact, Rakuten, TUNE, Everflow)")
    sub = p.add_subparsers(dest="networks_command", metavar="ACTION")
    sub.required = True

    ls = sub.add_parser("list", help="networks, their settings and which credentials are stored")
    ls.add_argument("--json", action="store_true", help="machine-readable output")
    ls.set_defaults(handler=cmd_list)

    t = sub.add_parser("test", help="check that the stored credentials work (one cheap call)")
    t.add_argument("name", choices=sorted(NETWORKS))
    t.add_argument("--account", help="key-manager account (default: networks.NAME.account)")
    t.set_defaults(handler=cmd_test)

    pl = sub.add_parser("pull", help="pull programs (or offers, or a performance report) and write JSON lines")
    pl.add_argument("name", choices=sorted(NETWORKS))
    pl.add_argument("--account", help="key-manager account (default: networks.NAME.account)")
    pl.add_argument("--endpoint", choices=["programs", "offers"], default="programs")
    pl.add_argument("--relationship", help="network-specific filter (joined, notjoined, active ...)")
    pl.add_argument("--performance", nargs=2, metavar=("START", "END"), help="a performance report for START..END (YYYY-MM-DD)")
    pl.add_argument("--out", help="JSON-lines file (default: MATRIX_HOME/networks/NAME-<what>-<utc time>.jsonl)")
    pl.set_defaults(handler=cmd_pull)


def _stored(settings: Settings, name: str, account: str) -> dict[str, str]:
    """kind -> 'stored' | 'missing' | 'unhealthy: ...' without reading any secret value."""
    out = {}
    try:
        km = _provider(settings)
    except (CredentialError, OSError) as exc:
        return {k: f"unknown ({type(exc).__name__})" for k in client_class(name).credential_kinds}
    from matrix.keys.types import CredentialRef

    for kind in client_class(name).credential_kinds:
        try:
            meta = km.meta(CredentialRef(name, account, kind))
            out[kind] = f"unhealthy: {meta.unhealthy_reason}" if meta.unhealthy_reason else meta.status.value
        except CredentialError:
            out[kind] = "missing"
    return out


def cmd_list(args: argparse.Namespace, settings: Settings) -> int:
    rows: list[dict[str, Any]] = []
    for name in sorted(NETWORKS):
        cfg = settings.networks.get(name)
        rows.append({"network": name, "enabled": cfg.enabled, "account": cfg.account, "base_url": cfg.base_url,
                     "requests_per_second": round(cfg.requests_per_second, 4), "daily_quota": cfg.daily_quota,
                     "credentials": _stored(settings, name, cfg.account)})
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    for r in rows:
        creds = ", ".join(f"{k}={v}" for k, v in r["credentials"].items())
        print(f"{r['network']:<9} {'on ' if r['enabled'] else 'off'} account={r['account']} "
              f"rate={r['requests_per_second']}/s quota={r['daily_quota'] or '-'} {r['base_url'] or '(base_url not set)'}\n"
              f"          credentials: {creds}")
    return 0


def cmd_test(args: argparse.Namespace, settings: Settings) -> int:
    async def run() -> None:
        async with build_client(args.name, settings, _provider(settings), account=args.account) as client:
            await client.probe()

    try:
        asyncio.run(run())
    except NetworkCredentialError as exc:
        print(f"{args.name}: FAILED - {exc}", file=sys.stderr)
        return 1
    except NetworkError as exc:
        print(f"{args.name}: could not tell - {exc}", file=sys.stderr)
        return 3
    print(f"{args.name}: ok")
    return 0


def _dump(records: list[Any]) -> list[dict[str, Any]]:
    """API records as the network sent them; Listings and PerformanceRows as their JSON form."""
    return [r.raw if isinstance(r, ApiRecord) else r.model_dump(mode="json") for r in records]


def cmd_pull(args: argparse.Namespace, settings: Settings) -> int:
    what = "performance" if args.performance else args.endpoint
    out = Path(args.out) if args.out else settings.path(
        "networks", f"{args.name}-{what}-{dt.datetime.now(dt.timezone.utc):%Y%m%dT%H%M%SZ}.jsonl")

    async def run() -> list[Any]:
        async with build_client(args.name, settings, _provider(settings), account=args.account) as client:
            if args.performance:
                start, end = (dt.date.fromisoformat(d) for d in args.performance)
                return await client.performance(start, end)
            if args.endpoint == "offers":
                return await client.offers()
            return [client.to_listing(r.raw) for r in await client.programs(args.relationship)]

    error: Exception | None = None
    try:
        records = asyncio.run(run())
    except (NetworkError, NetworkCredentialError) as exc:
        error, records = exc, list(exc.partial)
        if what == "programs":
            cls = client_class(args.name)
            records = [cls.to_listing(r.raw) for r in records]
    except ValueError as exc:
        print(f"matrix: {exc}", file=sys.stderr)
        return 2
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w") as fh:
        for rec in _dump(records):
            fh.write(json.dumps(rec, default=str) + "\n")
    print(f"{args.name}: {len(records)} {what} record(s) -> {out}")
    if error is not None:
        print(f"{args.name}: INCOMPLETE - {error} ({len(records)} record(s) fetched before it were kept)", file=sys.stderr)
        return 1
    return 0

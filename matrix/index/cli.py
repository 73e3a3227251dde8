"""`matrix index versions | restore VERSION | stats | ensure`: look after the master index.

Other capabilities add their own `matrix index ...` verbs (e.g. `optimize` in optimize_cli.py):
whichever module registers first creates the `index` group and the others join it, so no module
needs to know the others' verbs or the registration order.
"""

from __future__ import annotations

import argparse
from typing import Any

from matrix.commands.output import print_json
from matrix.config import Settings

_GROUP_ATTR = "_matrix_index_group"


def index_subparsers(subparsers: argparse._SubParsersAction) -> argparse._SubParsersAction:
    """The shared `matrix index` sub-command group (created on first use)."""
    existing = getattr(subparsers, _GROUP_ATTR, None)
    if existing is not None:
        return existing
    parser = subparsers.choices.get("index")
    if parser is not None:  # another module (e.g. optimize_cli) created the group first
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                setattr(subparsers, _GROUP_ATTR, action)
                return action
    parser = parser or subparsers.add_parser("index", help="master index: versions, restore, stats, indexes")
    group = parser.add_subparsers(dest="index_command", metavar="INDEX_COMMAND")
    group.required = True
    setattr(subparsers, _GROUP_ATTR, group)
    return group


def _open(settings: Settings):
    from matrix.index.store import MasterIndex

    index = MasterIndex(settings)
    if not index.has_table(index.programs_name):
        print(f"no index at {index.uri}; run `matrix ingest` first")
        return None
    return index


def _print(obj: Any) -> None:
    print_json(obj)  # the shared --json output (matrix.commands.output)


def cmd_versions(args: argparse.Namespace, settings: Settings) -> int:
    index = _open(settings)
    if index is None:
        return 1
    rows = index.versions()
    if not args.all:
        rows = [r for r in rows if r["tags"] or r["latest"]]
    if args.json:
        _print(rows)
        return 0
    print(f"{'version':>8}  {'timestamp':<27} {'listings':>8}  tags")
    for r in rows:
        tags = ", ".join(r["tags"]) + (" (latest)" if r["latest"] else "")
        lv = "" if r["listings_version"] is None else r["listings_version"]
        print(f"{r['version']:>8}  {str(r['timestamp']):<27} {lv:>8}  {tags}")
    return 0


def cmd_restore(args: argparse.Namespace, settings: Settings) -> int:
    index = _open(settings)
    if index is None:
        return 1
    try:
        out = index.restore(args.version)
    except ValueError as exc:
        print(f"matrix index restore: {exc}")
        return 2
    if args.json:
        _print(out)
    else:
        print(f"restored {out['restored']}: programs table now at version {out['new_programs_version']} "
              f"(same data as version {out['programs_version']})")
    return 0


def cmd_stats(args: argparse.Namespace, settings: Settings) -> int:
    index = _open(settings)
    if index is None:
        return 1
    stats = index.stats()
    if args.json:
        _print(stats)
        return 0
    print(f"index: {stats['uri']}")
    for name, t in stats["tables"].items():
        print(f"table {name}: {t['rows']} rows, version {t['version']}")
        if "ingest_versions" in t:
            print(f"  ingest versions: {t['ingest_versions']} (last: {t['last_ingest_tag']})")
        for ix_name, ix in (t.get("indexes") or {}).items():
            print(f"  index {ix_name}: {ix['type']} on {ix['column']}, {ix['indexed_rows']} indexed, "
                  f"{ix['unindexed_rows']} unindexed")
    return 0


def cmd_ensure(args: argparse.Namespace, settings: Settings) -> int:
    index = _open(settings)
    if index is None:
        return 1
    report = index.ensure_indexes(force=args.force)
    iv = index.commit_ingest() if args.tag else None
    out = {"created": report.created, "updated": report.updated, "seconds": round(report.seconds, 3),
           "tag": iv.tag if iv else None}
    _print(out) if args.json else print(
        f"indexes: created {report.created or 'none'}, updated {report.updated or 'none'} in {out['seconds']} s"
        + (f"; tagged {iv.tag}" if iv else ""))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    group = index_subparsers(subparsers)
    p = group.add_parser("versions", help="list ingest versions (tags) of the programs table")
    p.add_argument("--all", action="store_true", help="every raw table version, not only tagged ingests")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_versions)

    p = group.add_parser("restore", help="make an earlier version the latest again (history is kept)")
    p.add_argument("version", help="an ingest tag (ingest-000003) or a programs table version number")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_restore)

    p = group.add_parser("stats", help="rows, versions and indexes (indexed / unindexed rows)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_stats)

    p = group.add_parser("ensure", help="create missing indexes and fold new rows into existing ones")
    p.add_argument("--force", action="store_true", help="re-optimize every index even if up to date")
    p.add_argument("--tag", action="store_true", help="then tag the result as a new ingest version")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_ensure)

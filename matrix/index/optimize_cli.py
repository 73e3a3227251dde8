"""`matrix index optimize`: apply (or with --dry-run, only print) the dynamic-indexing decisions.

Registered into an existing `index` command group when another module already created one, so the
index capability's own sub-commands and this one live side by side under `matrix index`.
"""

from __future__ import annotations

import argparse
import json

from matrix.config import Settings


def _index_group(subparsers) -> argparse._SubParsersAction:
    existing = subparsers.choices.get("index")
    if existing is not None:
        for action in existing._actions:
            if isinstance(action, argparse._SubParsersAction):
                return action
        group = existing.add_subparsers(dest="index_command", metavar="INDEX_COMMAND")
        group.required = True
        return group
    parser = subparsers.add_parser("index", help="master-index maintenance")
    group = parser.add_subparsers(dest="index_command", metavar="INDEX_COMMAND")
    group.required = True
    return group


def register(subparsers) -> None:
    p = _index_group(subparsers).add_parser(
        "optimize", help="create/drop scalar indexes from recorded query patterns, refresh FTS/vector, compact")
    p.add_argument("--dry-run", action="store_true", help="print the decisions and their reasons, change nothing")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(handler=cmd_optimize)


def cmd_optimize(args: argparse.Namespace, settings: Settings) -> int:
    from matrix.index.optimizer import optimize_index

    try:
        report = optimize_index(settings, dry_run=args.dry_run)
    except FileNotFoundError as exc:
        print(f"matrix index optimize: {exc}")
        return 1
    if args.json:
        print(json.dumps(report.to_dict(), indent=2, default=str))
    else:
        mode = "planned (dry run)" if args.dry_run else "applied"
        print(f"table {report.table}: {report.total_queries} recorded queries, version "
              f"{report.version_before} -> {report.version_after}, {report.seconds:.2f} s")
        for d in report.decisions:
            state = "error: " + d.error if d.error else (mode if d.action != "keep" else "-")
            kind = f" [{d.index_type}]" if d.index_type else ""
            print(f"  {d.action:<12} {d.target}{kind}: {d.reason}  ({state})")
    return 1 if any(d.error for d in report.decisions) else 0

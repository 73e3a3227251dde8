"""`matrix compare ID ID ...`: programs side by side (the same table as GET /compare)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matrix.config import Settings


def register(subparsers) -> None:
    from matrix.commands.output import add_json_flag

    p = subparsers.add_parser("compare", help="2 to 4 programs side by side: terms with source and age, score components")
    p.add_argument("ids", nargs="+", help="program ids (2 to 4)")
    p.add_argument("--weights", help="score weights, e.g. earnings:2,cookie:1 (docs/score.md)")
    add_json_flag(p)
    p.set_defaults(handler=cmd_compare)


def cmd_compare(args: argparse.Namespace, settings: Settings) -> int:
    import sys

    from matrix.commands.output import emit
    from matrix.index import MasterIndex
    from matrix.score.compare import CompareError, compare_programs, render_text

    index = MasterIndex(settings)
    if not index.has_table(settings.index.programs_table):
        print(f"no index at {index.uri}; run `matrix ingest` first", file=sys.stderr)
        return 1
    try:
        result = compare_programs(index, args.ids, args.weights)
    except CompareError as exc:
        print(f"matrix compare: {exc}", file=sys.stderr)
        return 2
    emit(args, result, lambda r: print(render_text(r)))
    return 0

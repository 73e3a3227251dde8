"""The one way a command prints machine-readable output: `add_json_flag` + `emit`.

Every command that has a `--json` flag registers it with `add_json_flag(parser)` and prints with
`emit(args, obj, render)`: JSON (indent 2, datetimes and paths as strings) when `--json` was given,
otherwise `render(obj)` for people. Scripts can rely on the JSON shape; the text may change.
"""

from __future__ import annotations

import argparse
import json
from typing import Any, Callable


def add_json_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON instead of text")


def to_json(obj: Any) -> str:
    return json.dumps(obj, indent=2, default=str)


def print_json(obj: Any) -> None:
    print(to_json(obj))


def emit(args: argparse.Namespace, obj: Any, render: Callable[[Any], None] | None = None) -> None:
    """JSON when `args.json` (or when there is no text renderer), else `render(obj)`."""
    if getattr(args, "json", False) or render is None:
        print_json(obj)
    else:
        render(obj)

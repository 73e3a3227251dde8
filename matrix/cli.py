"""The `matrix` command line: thin wrappers over the packages, one sub-command group per capability.

Each capability keeps its commands next to its code in `<package>/cli.py` exposing
`register(subparsers)`; this module only collects them, so adding a capability never means
editing a central switch statement. Commands that need Ray import it lazily, so `matrix --help`
and `matrix keys ...` stay fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import Callable, Sequence

from matrix.config import ConfigError, load_settings
from matrix.observability import setup_logging

# Modules that contribute sub-commands through `register(subparsers)`.
COMMAND_MODULES: list[str] = [
    "matrix.commands.core",
    "matrix.resolve.cli",
    "matrix.commands.deploy",
    "matrix.index.optimize_cli",
    "matrix.index.cli",
    "matrix.networks.cli",
    "matrix.keys.cli",
    "matrix.budget.cli",
    "matrix.triggers.cli",
    "matrix.sources.cli",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="matrix", description="Affiliate Matrix: find, rank and fund affiliate programs.")
    parser.add_argument("--config", help="path to ray_config.yaml (default: $MATRIX_CONFIG or the repo's file)")
    parser.add_argument("--home", help="override MATRIX_HOME for this command")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    subparsers.required = True
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        overrides = {"home": args.home} if args.home else None
        settings = load_settings(args.config, overrides=overrides)
    except ConfigError as exc:
        print(f"matrix: {exc}", file=sys.stderr)
        return 2
    setup_logging("DEBUG" if args.verbose else settings.logging.level, settings.logging.json_logs)
    handler: Callable[..., int | None] = args.handler
    try:
        return int(handler(args, settings) or 0)
    except ConfigError as exc:
        print(f"matrix: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("matrix: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

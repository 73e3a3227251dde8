"""The `matrix` command line: a table of sub-commands, each loaded only when it is asked for.

`COMMANDS` maps a sub-command name to the help line shown by `matrix --help` and to the
"module:function" that registers its arguments (`function(subparsers)`, which adds one parser to the
subparsers it is given). Building the top-level help imports nothing but argparse; `matrix NAME ...`
imports only NAME's module, and a handler imports its heavy libraries (Ray, LanceDB, pandas)
inside its body, so `matrix --help` and `matrix status --help` stay well under a second
(measured by bench/cli_startup.py).

Global options (`--config`, `--home`, `-v`) are accepted before or after the sub-command: they
are taken out of argv by a first, tolerant parse, and the rest goes to the sub-command's parser.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from dataclasses import dataclass
from typing import Any, Callable, Sequence


@dataclass(frozen=True)
class Command:
    """One sub-command: its help line and the "module:function"s that add its parser."""

    help: str
    registers: tuple[str, ...]


def _cmd(help_line: str, *registers: str) -> Command:
    return Command(help_line, registers)


# name -> help + register targets. Keep it sorted by the order users meet the commands in.
COMMANDS: dict[str, Command] = {
    "up": _cmd("main job: ingest bundled data, start the search service, show a sample query",
               "matrix.commands.core:register"),
    "ingest": _cmd("run the ingest pipeline (all enabled sources, or --source NAME)", "matrix.commands.core:register"),
    "serve": _cmd("run the search service (--detach), or `serve stop` / `serve status`", "matrix.commands.core:register"),
    "search": _cmd("search the master index directly and print a table", "matrix.commands.core:register"),
    "status": _cmd("index location, versions, row counts, last ingest per source", "matrix.commands.core:register"),
    "sources": _cmd("configured sources: list them, crawl one now (no index write)", "matrix.sources.cli:register"),
    "networks": _cmd("affiliate network APIs (Awin, CJ, Impact, Rakuten, TUNE, Everflow)", "matrix.networks.cli:register"),
    "resolve": _cmd("deduplicate one CSV or link two, configured by a field spec", "matrix.resolve.cli:register"),
    "index": _cmd("master index: versions, restore, stats, indexes, optimize",
                  "matrix.index.optimize_cli:register", "matrix.index.cli:register"),
    "keys": _cmd("store, read, rotate and revoke network credentials", "matrix.keys.cli:register"),
    "budget": _cmd("campaign tracking, allocation, forecasting, tuning", "matrix.budget.cli:register"),
    "triggers": _cmd("automation: trigger rules, watches, the action outbox, dorking", "matrix.triggers.cli:register"),
    "programs": _cmd("one program: its change history (commission, cookie, status...)", "matrix.triggers.cli:register_programs"),
    "compare": _cmd("2 to 4 programs side by side: terms, sources, score components", "matrix.score.cli:register"),
    "mcp": _cmd("run the MCP server for AI agents over stdio", "matrix.commands.mcp:register"),
    "kuberay": _cmd("KubeRay manifest tools", "matrix.commands.deploy:register"),
    "monitoring": _cmd("Prometheus configuration for this installation", "matrix.monitoring.cli:register"),
}

GLOBAL_EPILOG = "Global options (--config, --home, -v) may also follow the sub-command: `matrix status --home DIR`."


def _global_parser(add_help: bool) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="matrix", add_help=add_help, allow_abbrev=False, epilog=GLOBAL_EPILOG,
                                     description="Affiliate Matrix: find, rank and fund affiliate programs.")
    parser.add_argument("--config", help="path to ray_config.yaml (default: $MATRIX_CONFIG or the repo's file)")
    parser.add_argument("--home", help="override MATRIX_HOME for this command")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    return parser


def split_globals(argv: Sequence[str]) -> tuple[argparse.Namespace, list[str]]:
    """Global options wherever they stand, and the remaining argv (sub-command and its options)."""
    head = list(argv)
    tail: list[str] = []
    if "--" in head:  # everything after `--` belongs to the sub-command untouched
        cut = head.index("--")
        head, tail = head[:cut], head[cut:]
    options, rest = _global_parser(add_help=False).parse_known_args(head)
    return options, rest + tail


def _chosen_command(rest: Sequence[str]) -> str | None:
    first = next((a for a in rest if not a.startswith("-")), None)
    return first if first in COMMANDS else None


def _load(target: str) -> Callable[..., Any]:
    module, _, function = target.partition(":")
    return getattr(importlib.import_module(module), function)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser for `command` only (its module is imported), or help stubs for every command."""
    parser = _global_parser(add_help=True)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    subparsers.required = True
    if command is None:
        for name, cmd in COMMANDS.items():
            subparsers.add_parser(name, help=cmd.help, add_help=False)
        return parser
    done: set[str] = set()
    for target in COMMANDS[command].registers:
        if target not in done:
            _load(target)(subparsers)
            done.add(target)
    return parser


def resolve_handler(handler: Callable[..., Any] | str) -> Callable[..., Any]:
    """A handler set with `set_defaults(handler=...)`: a function, or "module:function" imported now."""
    return _load(handler) if isinstance(handler, str) else handler


def main(argv: Sequence[str] | None = None) -> int:
    options, rest = split_globals(sys.argv[1:] if argv is None else argv)
    args = build_parser(_chosen_command(rest)).parse_args(rest)
    for key, value in vars(options).items():
        setattr(args, key, value)
    if getattr(args, "handler", None) is None:  # a stub: the name was not in the table's first pass
        build_parser(None).print_help()
        return 2
    return _run(args)


def _run(args: argparse.Namespace) -> int:
    from matrix.config import ConfigError, load_settings
    from matrix.extras import MissingExtra
    from matrix.observability import setup_logging

    try:
        overrides = {"home": args.home} if args.home else None
        settings = load_settings(args.config, overrides=overrides)
    except ConfigError as exc:
        print(f"matrix: {exc}", file=sys.stderr)
        return 2
    setup_logging("DEBUG" if args.verbose else settings.logging.level, settings.logging.json_logs)
    handler = resolve_handler(args.handler)
    try:
        return int(handler(args, settings) or 0)
    except (ConfigError, MissingExtra) as exc:
        print(f"matrix: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("matrix: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

"""`matrix mcp`: the MCP server (serve_apps/mcp_app.py) over stdio, for a local agent."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matrix.config import Settings


def register(subparsers) -> None:
    p = subparsers.add_parser("mcp", help="run the MCP server over stdio (tools: search, get, compare, facets)")
    p.set_defaults(handler=cmd_mcp)


def cmd_mcp(args: argparse.Namespace, settings: Settings) -> int:
    # stdout is the protocol channel: nothing else may print there (logs go to stderr)
    from serve_apps.mcp_app import run_stdio

    run_stdio(settings)
    return 0

"""`matrix kuberay validate FILE...`: check manifests against the bundled KubeRay CRDs, strictly."""

from __future__ import annotations

import argparse
from pathlib import Path

from matrix.config import Settings
from matrix.deploy.kuberay import ManifestError, validate_files


def cmd_validate(args: argparse.Namespace, settings: Settings) -> int:
    try:
        n = validate_files([Path(p) for p in args.files])
    except ManifestError as exc:
        print(f"invalid: {exc}")
        return 1
    print(f"{n} KubeRay manifest(s) valid")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("kuberay", help="KubeRay manifest tools")
    sub = p.add_subparsers(dest="kuberay_command", required=True)
    v = sub.add_parser("validate", help="validate manifests against the KubeRay CRDs (unknown fields are errors)")
    v.add_argument("files", nargs="+")
    v.set_defaults(handler=cmd_validate)

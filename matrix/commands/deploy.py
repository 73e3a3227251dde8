"""`matrix kuberay validate PATH...`: every object in the manifests, strictly, plus semantic rules.

PATH is a manifest file or a kustomization directory (rendered with `kubectl kustomize`). All
objects given in one call are validated together, so a Secret or ConfigMap referenced in one
file must be defined in another of the same call (or the same kustomization).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matrix.config import Settings


def cmd_validate(args: argparse.Namespace, settings: Settings) -> int:
    from matrix.deploy.kuberay import ManifestError, validate_files  # jsonschema, kubernetes-validate: [deploy]

    try:
        report = validate_files([Path(p) for p in args.files], check_references=not args.no_references)
    except ManifestError as exc:
        print(f"invalid: {exc}")
        return 1
    print(report.summary())
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("kuberay", help="KubeRay manifest tools")
    sub = p.add_subparsers(dest="kuberay_command", required=True)
    v = sub.add_parser("validate", help="validate manifests or kustomization dirs: KubeRay CRDs and core objects "
                                        "strictly, replica bounds, no inline secrets, every reference defined")
    v.add_argument("files", nargs="+", help="manifest files and/or kustomization directories")
    v.add_argument("--no-references", action="store_true",
                   help="skip the 'every referenced Secret/ConfigMap/ServiceAccount/PVC is defined' rule")
    v.set_defaults(handler=cmd_validate)

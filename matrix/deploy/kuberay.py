"""Validate KubeRay manifests against the CRDs' openAPIV3Schema, strictly.

Why strict: the Kubernetes API server silently prunes fields its schema does not declare, so a
typo such as `rayStartParam` deploys "fine" and does nothing. Here every object schema that
lists `properties` (and neither allows extra properties nor preserves unknown fields) rejects
unknown keys, which turns such typos into errors before a cluster ever sees them.
"""

from __future__ import annotations

import copy
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

import jsonschema
import yaml

CRD_DIR = Path(__file__).resolve().parents[2] / "kuberay" / "crds"
KIND_FILES = {"RayJob": "ray.io_rayjobs.yaml", "RayCluster": "ray.io_rayclusters.yaml", "RayService": "ray.io_rayservices.yaml"}


class ManifestError(ValueError):
    """A manifest does not match its CRD; the message lists every violation with its path."""


def _strict(schema: Any) -> Any:
    if isinstance(schema, dict):
        out = {k: _strict(v) for k, v in schema.items()}
        if out.get("x-kubernetes-int-or-string"):
            out.pop("type", None)
            out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
        if ("properties" in out and "additionalProperties" not in out
                and not out.get("x-kubernetes-preserve-unknown-fields")):
            out["additionalProperties"] = False
        return out
    if isinstance(schema, list):
        return [_strict(v) for v in schema]
    return schema


@lru_cache(maxsize=None)
def crd_schema(kind: str, version: str = "v1", crd_dir: str | None = None) -> dict[str, Any]:
    if kind not in KIND_FILES:
        raise ManifestError(f"kind {kind!r} has no bundled CRD; known: {sorted(KIND_FILES)}")
    crd = yaml.safe_load((Path(crd_dir) if crd_dir else CRD_DIR).joinpath(KIND_FILES[kind]).read_text())
    for v in crd["spec"]["versions"]:
        if v["name"] == version:
            schema = copy.deepcopy(v["schema"]["openAPIV3Schema"])
            # metadata is validated by the API server itself (ObjectMeta), not by the CRD schema
            schema.setdefault("properties", {})["metadata"] = {"type": "object"}
            return _strict(schema)
    raise ManifestError(f"{kind}: CRD has no version {version!r}")


def validate_manifest(doc: dict[str, Any], crd_dir: str | None = None) -> None:
    """Raise ManifestError listing every schema violation of one manifest document."""
    if not isinstance(doc, dict):
        raise ManifestError("manifest must be a mapping")
    api = str(doc.get("apiVersion", ""))
    kind = str(doc.get("kind", ""))
    if not api.startswith("ray.io/"):
        raise ManifestError(f"apiVersion {api!r} is not ray.io/*")
    schema = crd_schema(kind, api.split("/", 1)[1], crd_dir)
    validator = jsonschema.Draft7Validator(schema)
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
    if errors:
        lines = [f"{kind} {doc.get('metadata', {}).get('name', '?')}: {len(errors)} schema violation(s)"]
        for e in errors[:50]:
            lines.append(f"  at {'.'.join(str(p) for p in e.path) or '<root>'}: {e.message}")
        raise ManifestError("\n".join(lines))


def load_manifests(paths: Iterable[Path]) -> list[tuple[Path, dict[str, Any]]]:
    out = []
    for path in paths:
        for doc in yaml.safe_load_all(Path(path).read_text()):
            if doc:
                out.append((Path(path), doc))
    return out


def validate_files(paths: Iterable[Path], crd_dir: str | None = None) -> int:
    """Validate every ray.io document in `paths`; returns how many were checked."""
    n = 0
    for path, doc in load_manifests(paths):
        if str(doc.get("apiVersion", "")).startswith("ray.io/"):
            try:
                validate_manifest(doc, crd_dir)
            except ManifestError as exc:
                raise ManifestError(f"{path}: {exc}") from None
            n += 1
    return n

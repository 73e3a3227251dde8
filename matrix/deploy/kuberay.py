"""Validate the Kubernetes manifests we ship: every object, strictly, plus what a schema cannot say.

Why strict: the Kubernetes API server silently prunes fields its schema does not declare, so a
typo such as `rayStartParam` deploys "fine" and does nothing. Every object is checked:

- KubeRay objects (RayCluster, RayJob, RayService, RayCronJob) against the bundled KubeRay CRDs,
  where every object schema that lists `properties` rejects unknown keys;
- core objects (Deployment, ConfigMap, Secret, PVC, ...) with `kubernetes-validate` in strict mode;
- the PodMonitor against a bundled strict subset of prometheus-operator's schema;
- anything else is an error ("no schema"), never a silent skip.

Then the semantic rules a schema cannot express: min ≤ replicas ≤ max per worker group, a head
that takes no work (`num-cpus: "0"`) when workers exist, no secret values written inline (env
values or a Secret's data), and every referenced Secret, ConfigMap, ServiceAccount and PVC
defined among the objects validated together. A kustomization directory is rendered with
`kubectl kustomize` (or `kustomize build`) and its output validated.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from matrix.extras import require

CRD_DIR = Path(__file__).resolve().parent / "crds"
SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
KIND_FILES = {
    "RayJob": "ray.io_rayjobs.yaml",
    "RayCluster": "ray.io_rayclusters.yaml",
    "RayService": "ray.io_rayservices.yaml",
    "RayCronJob": "ray.io_raycronjobs.yaml",
}
EXTRA_SCHEMAS = {("monitoring.coreos.com/v1", "PodMonitor"): "podmonitor.json"}
KUBERNETES_VERSION = "1.32"
SECRET_NAME = re.compile(r"(TOKEN|SECRET|PASSWORD|PASSWD|API_?KEY|ACCESS_KEY|PRIVATE_KEY|CREDENTIAL)", re.I)
KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")


class ManifestError(ValueError):
    """Manifests are invalid; the message lists every violation with the object and path."""


@dataclass
class Document:
    """One Kubernetes object and where it came from (a file, or a rendered kustomization)."""

    source: str
    body: dict[str, Any]

    @property
    def kind(self) -> str:
        return str(self.body.get("kind", ""))

    @property
    def name(self) -> str:
        return str((self.body.get("metadata") or {}).get("name", "?"))

    @property
    def namespace(self) -> str:
        return str((self.body.get("metadata") or {}).get("namespace", ""))

    @property
    def label(self) -> str:
        return f"{self.source}: {self.kind} {self.name}"


@dataclass
class Report:
    """What was validated: object counts per kind."""

    kinds: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return sum(self.kinds.values())

    def summary(self) -> str:
        parts = ", ".join(f"{n} {k}" for k, n in sorted(self.kinds.items()))
        return f"{self.total} object(s) valid ({parts})"


# --- schemas ---------------------------------------------------------------------------------

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


def _jsonschema_errors(doc: dict[str, Any], schema: dict[str, Any]) -> list[str]:
    jsonschema = require("jsonschema", "KubeRay manifest validation")  # the [deploy] extra
    validator = jsonschema.Draft7Validator(schema)
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
    return [f"at {'.'.join(str(p) for p in e.path) or '<root>'}: {e.message}" for e in errors[:50]]


def _core_errors(doc: dict[str, Any]) -> list[str]:
    kubernetes_validate = require("kubernetes_validate", "KubeRay manifest validation")  # the [deploy] extra

    try:
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.SchemaNotFoundError:
        return [f"no schema for apiVersion {doc.get('apiVersion')!r} kind {doc.get('kind')!r} "
                f"(neither KubeRay, Kubernetes {KUBERNETES_VERSION} core, nor a bundled schema)"]
    except kubernetes_validate.ValidationError as exc:
        path = ".".join(str(p) for p in getattr(exc, "path", []) or [])
        return [f"at {path or '<root>'}: {str(exc).splitlines()[0]}"]
    except kubernetes_validate.InvalidSchemaError as exc:  # pragma: no cover - a broken install
        return [f"kubernetes-validate schema error: {exc}"]
    return []


def schema_errors(doc: dict[str, Any], crd_dir: str | None = None) -> list[str]:
    """Every schema violation of one object, whichever schema governs its kind."""
    if not isinstance(doc, dict):
        return ["manifest must be a mapping"]
    api, kind = str(doc.get("apiVersion", "")), str(doc.get("kind", ""))
    if not api or not kind:
        return ["apiVersion and kind are required"]
    if api.startswith("ray.io/"):
        try:
            return _jsonschema_errors(doc, crd_schema(kind, api.split("/", 1)[1], crd_dir))
        except ManifestError as exc:
            return [str(exc)]
    extra = EXTRA_SCHEMAS.get((api, kind))
    if extra:
        return _jsonschema_errors(doc, json.loads((SCHEMA_DIR / extra).read_text()))
    return _core_errors(doc)


def validate_manifest(doc: dict[str, Any], crd_dir: str | None = None) -> None:
    """Raise ManifestError listing every schema violation of one manifest document."""
    errors = schema_errors(doc, crd_dir)
    if errors:
        name = (doc.get("metadata") or {}).get("name", "?") if isinstance(doc, dict) else "?"
        kind = doc.get("kind", "?") if isinstance(doc, dict) else "?"
        raise ManifestError("\n".join([f"{kind} {name}: {len(errors)} schema violation(s)",
                                       *(f"  {e}" for e in errors)]))


# --- walking the objects ----------------------------------------------------------------------

def _ray_cluster_specs(doc: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    spec = doc.get("spec") or {}
    kind = doc.get("kind")
    if kind == "RayCluster":
        yield "spec", spec
    elif kind == "RayJob" and spec.get("rayClusterSpec"):
        yield "spec.rayClusterSpec", spec["rayClusterSpec"]
    elif kind == "RayService" and spec.get("rayClusterConfig"):
        yield "spec.rayClusterConfig", spec["rayClusterConfig"]
    elif kind == "RayCronJob" and (spec.get("jobTemplate") or {}).get("rayClusterSpec"):
        yield "spec.jobTemplate.rayClusterSpec", spec["jobTemplate"]["rayClusterSpec"]


def pod_specs(doc: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every pod spec inside an object, with its path: Ray head/worker groups and core workloads."""
    for prefix, cluster in _ray_cluster_specs(doc):
        head = cluster.get("headGroupSpec") or {}
        yield f"{prefix}.headGroupSpec", (head.get("template") or {}).get("spec") or {}
        for i, group in enumerate(cluster.get("workerGroupSpecs") or []):
            yield f"{prefix}.workerGroupSpecs[{i}]", (group.get("template") or {}).get("spec") or {}
    spec = doc.get("spec") or {}
    kind = doc.get("kind")
    if kind == "Pod":
        yield "spec", spec
    elif kind in {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"}:
        yield "spec.template.spec", (spec.get("template") or {}).get("spec") or {}
    elif kind == "CronJob":
        job = (spec.get("jobTemplate") or {}).get("spec") or {}
        yield "spec.jobTemplate.spec.template.spec", (job.get("template") or {}).get("spec") or {}


def _runtime_envs(doc: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    spec = doc.get("spec") or {}
    for path, holder in (("spec", spec), ("spec.jobTemplate", spec.get("jobTemplate") or {})):
        raw = holder.get("runtimeEnvYAML")
        if raw:
            try:
                env = yaml.safe_load(raw) or {}
            except yaml.YAMLError as exc:
                yield f"{path}.runtimeEnvYAML", {"__error__": str(exc)}
                continue
            yield f"{path}.runtimeEnvYAML", env if isinstance(env, dict) else {"__error__": "not a mapping"}


@dataclass
class _Refs:
    """Names an object refers to, by kind."""

    secrets: set[tuple[str, str]] = field(default_factory=set)
    configmaps: set[tuple[str, str]] = field(default_factory=set)
    service_accounts: set[tuple[str, str]] = field(default_factory=set)
    claims: set[tuple[str, str]] = field(default_factory=set)


def _required_name(parent: dict[str, Any], key: str, name_key: str = "name") -> str | None:
    """The name `parent[key]` refers to, unless absent or marked optional (an optional ref may be missing)."""
    ref = parent.get(key) or {}
    return ref[name_key] if ref.get(name_key) and not ref.get("optional") else None


def _collect_container_refs(container: dict[str, Any], path: str, refs: _Refs) -> None:
    where = f"{path} container {container.get('name')}"
    for src in container.get("envFrom") or []:
        if name := _required_name(src, "secretRef"):
            refs.secrets.add((name, f"{where} envFrom"))
        if name := _required_name(src, "configMapRef"):
            refs.configmaps.add((name, f"{where} envFrom"))
    for env in container.get("env") or []:
        value_from = env.get("valueFrom") or {}
        for key, bucket in (("secretKeyRef", refs.secrets), ("configMapKeyRef", refs.configmaps)):
            if name := _required_name(value_from, key):
                bucket.add((name, f"{where} env {env.get('name')}"))


def _collect_volume_refs(vol: dict[str, Any], path: str, refs: _Refs) -> None:
    where = f"{path} volume {vol.get('name')}"
    if name := _required_name(vol, "secret", "secretName"):
        refs.secrets.add((name, where))
    if name := _required_name(vol, "configMap"):
        refs.configmaps.add((name, where))
    if claim := (vol.get("persistentVolumeClaim") or {}).get("claimName"):
        refs.claims.add((claim, where))
    for source in (vol.get("projected") or {}).get("sources") or []:
        if name := _required_name(source, "secret"):
            refs.secrets.add((name, where))
        if name := _required_name(source, "configMap"):
            refs.configmaps.add((name, where))


def _collect_pod_refs(pod: dict[str, Any], path: str, refs: _Refs) -> None:
    for container in [*(pod.get("initContainers") or []), *(pod.get("containers") or [])]:
        _collect_container_refs(container, path, refs)
    for vol in pod.get("volumes") or []:
        _collect_volume_refs(vol, path, refs)
    sa = pod.get("serviceAccountName")
    if sa and sa != "default":
        refs.service_accounts.add((sa, f"{path} serviceAccountName"))


# --- semantic rules ---------------------------------------------------------------------------

def _replica_errors(doc: dict[str, Any]) -> list[str]:
    errors = []
    for prefix, cluster in _ray_cluster_specs(doc):
        groups = cluster.get("workerGroupSpecs") or []
        for i, g in enumerate(groups):
            lo, hi, n = g.get("minReplicas"), g.get("maxReplicas"), g.get("replicas")
            where = f"{prefix}.workerGroupSpecs[{i}] ({g.get('groupName', '?')})"
            if isinstance(lo, int) and isinstance(hi, int) and lo > hi:
                errors.append(f"{where}: minReplicas {lo} > maxReplicas {hi}")
            if isinstance(n, int) and isinstance(lo, int) and n < lo:
                errors.append(f"{where}: replicas {n} < minReplicas {lo}")
            if isinstance(n, int) and isinstance(hi, int) and n > hi:
                errors.append(f"{where}: replicas {n} > maxReplicas {hi}")
        head_params = ((cluster.get("headGroupSpec") or {}).get("rayStartParams") or {})
        if groups and str(head_params.get("num-cpus", "")) != "0":
            errors.append(f"{prefix}.headGroupSpec.rayStartParams: num-cpus must be \"0\" when worker groups "
                          f"exist (keeps tasks off the head so GCS and the dashboard stay responsive); "
                          f"got {head_params.get('num-cpus')!r}")
    return errors


def _inline_secret_errors(doc: dict[str, Any]) -> list[str]:
    errors = []
    if doc.get("kind") == "Secret":
        for key in ("data", "stringData"):
            if doc.get(key):
                errors.append(f"{key}: inline secret values ({', '.join(sorted(doc[key]))}); create the Secret "
                              f"with `kubectl create secret` (see kuberay/README.md), keep the manifest empty")
    for path, pod in pod_specs(doc):
        for c in [*(pod.get("initContainers") or []), *(pod.get("containers") or [])]:
            for env in c.get("env") or []:
                if SECRET_NAME.search(str(env.get("name", ""))) and env.get("value"):
                    errors.append(f"{path} container {c.get('name')}: env {env['name']} has an inline value; "
                                  f"use valueFrom.secretKeyRef")
    for path, runtime_env in _runtime_envs(doc):
        if "__error__" in runtime_env:
            errors.append(f"{path}: not valid YAML ({runtime_env['__error__']})")
            continue
        for key, value in (runtime_env.get("env_vars") or {}).items():
            if SECRET_NAME.search(str(key)) and value:
                errors.append(f"{path}: env var {key} has an inline value; put it in a Secret")
    return errors


def _defined(docs: list[Document]) -> dict[str, set[tuple[str, str]]]:
    out: dict[str, set[tuple[str, str]]] = {"Secret": set(), "ConfigMap": set(), "ServiceAccount": set(),
                                            "PersistentVolumeClaim": set()}
    for d in docs:
        if d.kind in out:
            out[d.kind].add((d.namespace, d.name))
    return out


def _is_defined(name: str, namespace: str, defined: set[tuple[str, str]]) -> bool:
    return any(n == name and (not ns or not namespace or ns == namespace) for ns, n in defined)


def _reference_errors(doc: Document, defined: dict[str, set[tuple[str, str]]]) -> list[str]:
    refs = _Refs()
    for path, pod in pod_specs(doc.body):
        _collect_pod_refs(pod, path, refs)
    errors = []
    for kind, bucket in (("Secret", refs.secrets), ("ConfigMap", refs.configmaps),
                         ("ServiceAccount", refs.service_accounts), ("PersistentVolumeClaim", refs.claims)):
        for name, where in sorted(bucket):
            if not _is_defined(name, doc.namespace, defined[kind]):
                errors.append(f"{where}: {kind} {name!r} is referenced but not defined in the manifests")
    return errors


def semantic_errors(docs: list[Document], check_references: bool = True) -> list[str]:
    """The rules no schema can express, over all objects validated together."""
    defined = _defined(docs)
    errors = []
    for d in docs:
        problems = _replica_errors(d.body) + _inline_secret_errors(d.body)
        if check_references:
            problems += _reference_errors(d, defined)
        errors += [f"{d.label}: {p}" for p in problems]
    return errors


# --- loading ----------------------------------------------------------------------------------

def render_kustomization(directory: Path) -> str:
    """`kubectl kustomize DIR` (or `kustomize build DIR`): the objects an apply -k would send."""
    if shutil.which("kubectl"):
        cmd = ["kubectl", "kustomize", str(directory)]
    elif shutil.which("kustomize"):
        cmd = ["kustomize", "build", str(directory)]
    else:
        raise ManifestError(f"{directory}: rendering a kustomization needs `kubectl` (Debian: kubernetes-client) "
                            f"or `kustomize` on PATH")
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        raise ManifestError(f"{directory}: kustomize failed: {out.stderr.strip()[:2000]}")
    return out.stdout


def _kustomization_dir(path: Path) -> Path | None:
    if path.is_dir():
        return path if any((path / f).exists() for f in KUSTOMIZATION_FILES) else None
    return path.parent if path.name in KUSTOMIZATION_FILES else None


def load_documents(paths: Iterable[Path]) -> list[Document]:
    """Objects from files and kustomization directories (rendered); YAML errors name the file."""
    docs: list[Document] = []
    for raw in paths:
        path = Path(raw)
        kdir = _kustomization_dir(path)
        if kdir is not None:
            text, source = render_kustomization(kdir), f"{kdir} (kustomize)"
        elif path.is_file():
            text, source = path.read_text(), str(path)
        else:
            raise ManifestError(f"{path}: no such file, or a directory without kustomization.yaml")
        try:
            bodies = [b for b in yaml.safe_load_all(text) if b]
        except yaml.YAMLError as exc:
            raise ManifestError(f"{source}: not valid YAML: {exc}") from None
        docs += [Document(source, b if isinstance(b, dict) else {"__not_a_mapping__": b}) for b in bodies]
    return docs


def load_manifests(paths: Iterable[Path]) -> list[tuple[Path, dict[str, Any]]]:
    """Plain YAML documents per file (no rendering), for tests that edit a manifest."""
    return [(Path(d.source), d.body) for d in load_documents(paths)]


def validate_documents(docs: list[Document], crd_dir: str | None = None,
                       check_references: bool = True) -> Report:
    errors = []
    report = Report()
    for d in docs:
        errors += [f"{d.label}: {e}" for e in schema_errors(d.body, crd_dir)]
        report.kinds[d.kind] += 1
    errors += semantic_errors(docs, check_references)
    if not docs:
        errors.append("no Kubernetes objects found")
    if errors:
        raise ManifestError(f"{len(errors)} problem(s):\n" + "\n".join(f"  {e}" for e in errors))
    return report


def validate_files(paths: Iterable[Path], crd_dir: str | None = None, check_references: bool = True) -> Report:
    """Validate every object in `paths` together (files and kustomization dirs); raise on any problem."""
    return validate_documents(load_documents(paths), crd_dir, check_references)

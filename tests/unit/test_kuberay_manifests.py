"""The manifests we ship validate strictly, and `matrix kuberay validate` rejects what would break.

Every object is checked (KubeRay CRDs, core objects with kubernetes-validate, the PodMonitor),
then the semantic rules: replica bounds, a head without work, no inline secret values, every
referenced Secret/ConfigMap/ServiceAccount/PVC defined. Overlays are rendered with kustomize.
"""

from __future__ import annotations

import copy
import functools
import re
from pathlib import Path

import pytest
import yaml

from matrix.deploy.kuberay import (CRD_DIR, Document, ManifestError, crd_schema, load_documents, pod_specs,
                                   validate_documents, validate_files, validate_manifest)

REPO = Path(__file__).resolve().parents[2]
KUBERAY = REPO / "kuberay"
BASE = KUBERAY / "base"
OVERLAYS = [KUBERAY / "overlays" / "dev", KUBERAY / "overlays" / "prod"]
RAY_KINDS = {"RayCluster", "RayJob", "RayService", "RayCronJob"}


@functools.lru_cache(maxsize=None)
def _rendered(path: Path) -> tuple[Document, ...]:
    return tuple(load_documents([path]))


def _base_docs() -> list[Document]:
    """The base kustomization, rendered once per session; callers get their own copies."""
    return [Document(d.source, copy.deepcopy(d.body)) for d in _rendered(BASE)]


def _doc(kind: str, docs: list[Document] | None = None) -> dict:
    return copy.deepcopy(next(d.body for d in (docs or _base_docs()) if d.kind == kind))


def _with(docs: list[Document], kind: str, body: dict) -> list[Document]:
    """The base set with the first object of `kind` replaced by `body`."""
    out, done = [], False
    for d in docs:
        if d.kind == kind and not done:
            out.append(Document("edited", body))
            done = True
        else:
            out.append(d)
    return out


@pytest.mark.parametrize("path", [BASE, *OVERLAYS], ids=lambda p: p.name)
def test_base_and_overlays_validate(path: Path):
    report = validate_files([path])
    assert RAY_KINDS - {"RayCluster"} <= set(report.kinds)
    assert {"ConfigMap", "Secret", "ServiceAccount", "PersistentVolumeClaim"} <= set(report.kinds)


def test_overlays_differ_where_they_should():
    dev = {d.kind: d.body for d in _rendered(OVERLAYS[0])}
    prod = {d.kind: d.body for d in _rendered(OVERLAYS[1])}
    assert "RayCluster" not in dev and "RayCluster" in prod
    assert "PodMonitor" in prod and "PodMonitor" not in dev
    image = dev["RayJob"]["spec"]["rayClusterSpec"]["headGroupSpec"]["template"]["spec"]["containers"][0]["image"]
    assert image.endswith(":dev")
    crons = [d.body for d in _rendered(OVERLAYS[1]) if d.kind == "RayCronJob"]
    recrawl = next(c for c in crons if c["metadata"]["name"].endswith("recrawl"))
    assert recrawl["spec"]["jobTemplate"]["rayClusterSpec"]["workerGroupSpecs"][0]["maxReplicas"] == 10


def test_every_pod_gets_vault_settings_a_role_and_matrix_home():
    docs = _base_docs()
    env_cm = _doc("ConfigMap", docs)["data"]
    assert {"VAULT_ADDR", "MATRIX_KEYS__BACKEND", "MATRIX_KEYS__VAULT_AUTH", "MATRIX_HOME"} <= set(env_cm)
    checked = 0
    for d in docs:
        if d.kind not in RAY_KINDS:
            continue
        for path, pod in pod_specs(d.body):
            assert pod.get("serviceAccountName") == "affiliate-matrix", (d.label, path)
            assert pod.get("securityContext", {}).get("fsGroup") == 100, (d.label, path)
            for c in pod["containers"]:
                refs = [s.get("configMapRef", {}).get("name") for s in c.get("envFrom", [])]
                assert "affiliate-matrix-env" in refs, (d.label, path, "no Vault settings")
                roles = [e["value"] for e in c.get("env", []) if e["name"] == "MATRIX_KEYS__VAULT_ROLE"]
                assert len(roles) == 1 and roles[0].startswith("affiliate-matrix-"), (d.label, path)
                mounts = {m["mountPath"] for m in c.get("volumeMounts", [])}
                assert env_cm["MATRIX_HOME"] in mounts, (d.label, path, "MATRIX_HOME is not a mounted volume")
                checked += 1
    heads = [(d.label, pod) for d in docs if d.kind in RAY_KINDS for path, pod in pod_specs(d.body)
             if path.endswith("headGroupSpec")]
    assert len(heads) == 5
    no_pvc = [label for label, pod in heads
              if "affiliate-matrix-home" not in [v.get("persistentVolumeClaim", {}).get("claimName")
                                                 for v in pod.get("volumes", [])]]
    assert no_pvc == [], "head state must survive the pod"
    assert checked >= 9  # 4 clusters x head+worker, + the head-only triggers cron


def test_vault_role_names_agree_with_docs():
    text = (REPO / "docs" / "keys.md").read_text()
    doc_roles = {m.group(1): (m.group(2), m.group(3)) for m in re.finditer(
        r"auth/kubernetes/role/(\S+) bound_service_account_names=(\S+) \\\s*bound_service_account_namespaces=(\S+)",
        text)}
    used = set()
    for d in _base_docs():
        for _, pod in pod_specs(d.body):
            for c in pod["containers"]:
                used |= {e["value"] for e in c.get("env", []) if e["name"] == "MATRIX_KEYS__VAULT_ROLE"}
    assert used and used <= set(doc_roles), f"roles in manifests {used} vs docs {set(doc_roles)}"
    for role in used:
        assert doc_roles[role] == ("affiliate-matrix", "affiliate-matrix")


def test_crons_run_triggers_and_the_scheduled_recrawl():
    crons = {d.body["metadata"]["name"]: d.body for d in _base_docs() if d.kind == "RayCronJob"}
    entry = {n: c["spec"]["jobTemplate"]["entrypoint"] for n, c in crons.items()}
    assert any("jobs.triggers" in e for e in entry.values())
    assert any("jobs/ingest.py" in e for e in entry.values())
    for c in crons.values():
        assert len(c["spec"]["schedule"].split()) == 5


def test_unknown_field_is_an_error_not_silently_pruned():
    doc = _doc("RayJob")
    doc["spec"]["rayClusterSpec"]["headGroupSpec"]["rayStartParam"] = {}
    with pytest.raises(ManifestError, match="rayStartParam"):
        validate_manifest(doc)


def test_wrong_type_and_unknown_kind_are_errors():
    doc = _doc("RayCluster")
    doc["spec"]["workerGroupSpecs"][0]["maxReplicas"] = "many"
    with pytest.raises(ManifestError, match="maxReplicas"):
        validate_manifest(doc)
    with pytest.raises(ManifestError, match="no bundled CRD"):
        crd_schema("RayCronThing")
    with pytest.raises(ManifestError, match="no schema"):
        validate_manifest({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}})


def test_broken_core_object_is_rejected_not_skipped(tmp_path: Path):
    bad = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
           "spec": {"selector": {"matchLabels": {"a": "b"}}, "replica": 2,
                    "template": {"metadata": {"labels": {"a": "b"}},
                                 "spec": {"containers": [{"name": "c", "image": "x"}]}}}}
    with pytest.raises(ManifestError, match="replica"):
        validate_manifest(bad)
    f = tmp_path / "deploy.yaml"
    f.write_text(yaml.safe_dump(bad))
    with pytest.raises(ManifestError, match="Deployment web"):
        validate_files([f])


def test_min_above_max_replicas_and_a_working_head_are_rejected():
    docs = _base_docs()
    cluster = _doc("RayJob", docs)
    group = cluster["spec"]["rayClusterSpec"]["workerGroupSpecs"][0]
    group["minReplicas"], group["maxReplicas"] = 5, 2
    with pytest.raises(ManifestError, match="minReplicas 5 > maxReplicas 2"):
        validate_documents(_with(docs, "RayJob", cluster))
    svc = _doc("RayService", docs)
    svc["spec"]["rayClusterConfig"]["headGroupSpec"]["rayStartParams"]["num-cpus"] = "2"
    with pytest.raises(ManifestError, match="num-cpus must be"):
        validate_documents(_with(docs, "RayService", svc))


def test_inline_secret_values_are_rejected():
    docs = _base_docs()
    secret = _doc("Secret", docs)
    secret["stringData"] = {"AWS_SECRET_ACCESS_KEY": "hunter2"}
    with pytest.raises(ManifestError, match="inline secret values"):
        validate_documents(_with(docs, "Secret", secret))
    job = _doc("RayJob", docs)
    job["spec"]["rayClusterSpec"]["headGroupSpec"]["template"]["spec"]["containers"][0]["env"].append(
        {"name": "VAULT_TOKEN", "value": "hvs.abc"})
    with pytest.raises(ManifestError, match="VAULT_TOKEN has an inline value"):
        validate_documents(_with(docs, "RayJob", job))
    job = _doc("RayJob", docs)
    job["spec"]["runtimeEnvYAML"] += "  AWIN_API_TOKEN: abc\n"
    with pytest.raises(ManifestError, match="AWIN_API_TOKEN"):
        validate_documents(_with(docs, "RayJob", job))


def test_every_referenced_secret_and_configmap_must_be_defined():
    docs = [d for d in _base_docs() if d.kind != "Secret"]
    with pytest.raises(ManifestError, match="Secret 'affiliate-matrix-objectstore' is referenced but not defined"):
        validate_documents(docs)
    docs = [d for d in _base_docs() if d.kind != "ConfigMap"]
    with pytest.raises(ManifestError, match="ConfigMap 'affiliate-matrix-env'"):
        validate_documents(docs)


def test_bundled_crds_match_shared_copy(shared_dir: Path):
    for name in ("ray.io_rayjobs.yaml", "ray.io_rayclusters.yaml", "ray.io_rayservices.yaml", "ray.io_raycronjobs.yaml"):
        assert (CRD_DIR / name).read_bytes() == (shared_dir / "kuberay-crds" / name).read_bytes()


def test_cli_validate_reports_valid_and_invalid(tmp_path: Path, capsys):
    from matrix.cli import main

    assert main(["kuberay", "validate", str(OVERLAYS[1])]) == 0
    assert "valid" in capsys.readouterr().out
    doc = _doc("RayCluster")
    doc["spec"]["headGroupSpec"]["bogus"] = 1
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(doc))
    assert main(["kuberay", "validate", "--no-references", str(bad)]) == 1
    assert "bogus" in capsys.readouterr().out
    empty = tmp_path / "empty.yaml"
    empty.write_text("# nothing\n")
    assert main(["kuberay", "validate", str(empty)]) == 1


def test_dockerfile_is_set_up_by_the_same_script_as_a_laptop():
    text = (KUBERAY / "Dockerfile").read_text()
    assert "scripts/setup.sh" in text and "MATRIX_VENV=system" in text
    assert "pip install" not in text, "the image must not install torch or the package another way"
    setup = (REPO / "scripts" / "setup.sh").read_text()
    assert "chromium" in setup and "torch==2.13.0" in setup


def test_k3s_guide_validates_before_it_applies():
    text = (KUBERAY / "README.md").read_text()
    lines = [ln.strip() for ln in text.splitlines()]
    first_apply = next(i for i, ln in enumerate(lines) if ln.startswith("kubectl apply"))
    first_validate = next(i for i, ln in enumerate(lines) if "matrix kuberay validate" in ln)
    assert first_validate < first_apply


def test_rayservice_serve_config_is_a_valid_serve_deploy_schema():
    import importlib

    from ray.serve.schema import ServeDeploySchema

    doc = _doc("RayService")
    serve_cfg = yaml.safe_load(doc["spec"]["serveConfigV2"])
    schema = ServeDeploySchema.model_validate(serve_cfg)
    names = {a.name for a in schema.applications}
    assert {"matrix-search", "matrix-triggers"} <= names
    # the import paths the RayService runs are the ones the repo's own Serve config uses
    repo_cfg = yaml.safe_load((REPO / "serve_apps" / "serve_config.yaml").read_text())
    repo_paths = {a["import_path"] for a in repo_cfg["applications"]}
    assert {a.import_path for a in schema.applications} <= repo_paths | {"serve_apps.triggers_app:app_builder"}
    for app in schema.applications:
        module, attr = app.import_path.split(":")
        assert callable(getattr(importlib.import_module(module), attr))

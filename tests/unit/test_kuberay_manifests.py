"""Every KubeRay manifest we ship validates strictly against the bundled KubeRay v1.7.0 CRDs."""

from pathlib import Path

import pytest
import yaml

from matrix.deploy.kuberay import ManifestError, crd_schema, validate_files, validate_manifest

KUBERAY = Path(__file__).resolve().parents[2] / "kuberay"
MANIFESTS = sorted(p for p in KUBERAY.glob("*.yaml"))


def test_there_are_manifests_for_cluster_and_ingest_job():
    kinds = {doc["kind"] for p in MANIFESTS for doc in yaml.safe_load_all(p.read_text()) if doc}
    assert {"RayCluster", "RayJob"} <= kinds


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: p.name)
def test_manifest_is_valid(path: Path):
    assert validate_files([path]) >= 1


def test_unknown_field_is_an_error_not_silently_pruned():
    doc = yaml.safe_load((KUBERAY / "rayjob-ingest.yaml").read_text())
    doc["spec"]["rayClusterSpec"]["headGroupSpec"]["rayStartParam"] = {}
    with pytest.raises(ManifestError, match="rayStartParam"):
        validate_manifest(doc)


def test_wrong_type_and_wrong_kind_are_errors():
    doc = yaml.safe_load((KUBERAY / "raycluster.yaml").read_text())
    doc["spec"]["workerGroupSpecs"][0]["maxReplicas"] = "many"
    with pytest.raises(ManifestError, match="maxReplicas"):
        validate_manifest(doc)
    with pytest.raises(ManifestError, match="no bundled CRD"):
        crd_schema("RayCronThing")
    with pytest.raises(ManifestError, match="ray.io"):
        validate_manifest({"apiVersion": "v1", "kind": "Pod"})


def test_bundled_crds_match_shared_copy(shared_dir: Path):
    for name in ("ray.io_rayjobs.yaml", "ray.io_rayclusters.yaml"):
        assert (KUBERAY / "crds" / name).read_bytes() == (shared_dir / "kuberay-crds" / name).read_bytes()


def test_cli_validate_reports_valid_and_invalid(tmp_path: Path, capsys):
    from matrix.cli import main

    assert main(["kuberay", "validate", *map(str, MANIFESTS)]) == 0
    assert "valid" in capsys.readouterr().out
    doc = yaml.safe_load((KUBERAY / "raycluster.yaml").read_text())
    doc["spec"]["headGroupSpec"]["bogus"] = 1
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(doc))
    assert main(["kuberay", "validate", str(bad)]) == 1
    assert "bogus" in capsys.readouterr().out


def test_rayservice_serve_config_is_a_valid_serve_deploy_schema():
    from ray.serve.schema import ServeDeploySchema

    doc = yaml.safe_load((KUBERAY / "rayservice.yaml").read_text())
    serve_cfg = yaml.safe_load(doc["spec"]["serveConfigV2"])
    schema = ServeDeploySchema.model_validate(serve_cfg) if hasattr(ServeDeploySchema, "model_validate") else ServeDeploySchema.parse_obj(serve_cfg)
    names = {a.name for a in schema.applications}
    assert names == {"matrix-search", "matrix-triggers"}
    # the import paths the RayService runs are the ones the repo's own Serve config uses
    repo_cfg = yaml.safe_load((KUBERAY.parent / "serve_apps" / "serve_config.yaml").read_text())
    repo_paths = {a["import_path"] for a in repo_cfg["applications"]}
    assert {a.import_path for a in schema.applications} <= repo_paths | {"serve_apps.triggers_app:app_builder"}
    for app in schema.applications:
        module, attr = app.import_path.split(":")
        import importlib

        assert callable(getattr(importlib.import_module(module), attr))

"""The committed Serve config: valid for Ray's own schema, loopback only, and its import path builds."""

from __future__ import annotations

from pathlib import Path

import yaml

from matrix.config import load_settings

CONFIG = Path(__file__).resolve().parents[2] / "serve_apps" / "serve_config.yaml"


def test_serve_config_validates_with_rays_schema_and_binds_loopback():
    from ray.serve.schema import ServeDeploySchema

    doc = yaml.safe_load(CONFIG.read_text())
    schema = ServeDeploySchema.model_validate(doc) if hasattr(ServeDeploySchema, "model_validate") else ServeDeploySchema.parse_obj(doc)
    assert schema.http_options.host == "127.0.0.1"
    (app,) = schema.applications
    assert app.import_path == "serve_apps.search_app:app_builder" and app.route_prefix == "/"
    names = {d["name"] if isinstance(d, dict) else d.name for d in app.deployments}
    assert names == {"Searcher", "Ingress"}


def test_config_deployment_options_match_ray_config_defaults():
    from serve_apps.search_app import deployment_options

    settings = load_settings()
    opts = deployment_options(settings)
    doc = yaml.safe_load(CONFIG.read_text())
    for d in doc["applications"][0]["deployments"]:
        assert d["max_ongoing_requests"] == opts["max_ongoing_requests"] == settings.serve.max_ongoing_requests
        assert d["max_queued_requests"] == settings.serve.max_queued_requests
        assert d["ray_actor_options"]["num_cpus"] == settings.serve.replica_cpus
        assert d["autoscaling_config"]["max_replicas"] == settings.serve.max_replicas
        assert d["autoscaling_config"]["target_ongoing_requests"] == settings.serve.target_ongoing_requests
        assert d["backpressure_config"] == opts["backpressure_config"] == {
            "status_code": 503, "retry_after_s": settings.serve.retry_after_s}


def test_import_paths_build_an_application_without_ray_running(tmp_path):
    from ray.serve import Application

    from serve_apps import search_app

    app = search_app.app_builder({"home": str(tmp_path)})
    assert isinstance(app, Application)
    assert isinstance(search_app.app, Application)

"""Configuration has one source of truth: package defaults, then overrides (file, env, explicit)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from matrix.config import ConfigError, Settings, load_settings, packaged_sources, packaged_trigger_rules

REPO = Path(__file__).resolve().parents[2]
RAY_CONFIG = REPO / "ray_config.yaml"


def _close(a, b, path=""):
    """Recursive equality with a float tolerance (the file writes 0.3333 for 1/3)."""
    if isinstance(a, dict) and isinstance(b, dict):
        assert set(a) == set(b), path
        for k in a:
            _close(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, list) and isinstance(b, list):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            _close(x, y, f"{path}[{i}]")
    elif isinstance(a, float) or isinstance(b, float):
        assert a == pytest.approx(b, rel=1e-3), path
    else:
        assert a == b, path


def _defaults() -> dict:
    return Settings.model_validate({}).model_dump(mode="json")


def test_ray_config_yaml_holds_only_overrides():
    active = yaml.safe_load(RAY_CONFIG.read_text()) or {}
    defaults = _defaults()

    def differs(value, default, path):
        if isinstance(value, dict) and isinstance(default, dict):
            for k, v in value.items():
                differs(v, default.get(k), f"{path}.{k}")
        else:
            assert value != default, f"{path} repeats the default {default!r}: remove it from ray_config.yaml"

    differs(active, defaults, "")


def test_the_commented_reference_in_ray_config_yaml_is_valid_and_equals_the_defaults():
    example = "\n".join(line[2:] for line in RAY_CONFIG.read_text().splitlines() if line.startswith("# "))
    data = yaml.safe_load(example)
    assert {"ray", "index", "serve", "sources", "triggers", "budget", "logging"} <= set(data)
    documented = Settings.model_validate(data).model_dump(mode="json")
    _close(documented, _defaults())


def test_defaults_come_from_the_package_not_the_repository(tmp_path: Path):
    assert packaged_sources()[0]["name"] == "openaffiliate"
    assert {r["kind"] for r in packaged_trigger_rules()} >= {"stale_source", "key_expiry"}
    empty = tmp_path / "empty.yaml"
    empty.write_text("# nothing\n")
    settings = load_settings(empty, environ={})
    assert [s.name for s in settings.enabled_sources()] == ["openaffiliate"]
    assert len(settings.triggers.rules) == len(packaged_trigger_rules())


def test_environment_overrides_through_pydantic_settings(tmp_path: Path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text(yaml.safe_dump({"serve": {"port": 9000}, "index": {"rrf_k": 10}}))
    s = load_settings(cfg, environ={"MATRIX_SERVE__PORT": "8100", "MATRIX_INDEX__FACET_COOKIE_THRESHOLDS": "[1, 7]",
                                    "MATRIX_RAY__INCLUDE_DASHBOARD": "false", "MATRIX_HOME": "/tmp/a b",
                                    "MATRIX_KEYS_VAULT_TOKEN": "not-a-setting"})
    assert s.serve.port == 8100  # env beats the file
    assert s.index.rrf_k == 10  # the file beats the default
    assert s.index.facet_cookie_thresholds == [1.0, 7.0]
    assert s.ray.include_dashboard is False
    assert str(s.home) == "/tmp/a b"
    with pytest.raises(ConfigError, match="serve.portt"):
        load_settings(cfg, environ={"MATRIX_SERVE__PORTT": "1"})
    with pytest.raises(ConfigError, match="serve.port"):
        load_settings(cfg, environ={"MATRIX_SERVE__PORT": "eighty"})

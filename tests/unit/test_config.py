"""Configuration: defaults, env overrides, MATRIX_HOME isolation and loud failures."""

from pathlib import Path

import pytest

from matrix.config import ConfigError, load_settings


def test_repo_config_loads_with_documented_defaults(matrix_home: Path):
    s = load_settings()
    assert s.ray.address == "local"
    assert s.serve.host == "127.0.0.1"
    assert [src.name for src in s.enabled_sources()] == ["openaffiliate"]
    assert s.index_uri == str(matrix_home.resolve() / "index")


def test_env_overrides_nested_fields_with_yaml_scalars(matrix_home: Path):
    s = load_settings(environ={"MATRIX_HOME": str(matrix_home), "MATRIX_SERVE__PORT": "8123",
                               "MATRIX_SERVE__CORS_ORIGINS": "[http://a, http://b]",
                               "MATRIX_LOGGING__JSON_LOGS": "true"})
    assert s.serve.port == 8123
    assert s.serve.cors_origins == ["http://a", "http://b"]
    assert s.logging.json_logs is True


def test_object_store_uri_passes_through(matrix_home: Path):
    s = load_settings(environ={"MATRIX_INDEX__URI": "s3://bucket/matrix"})
    assert s.index_uri == "s3://bucket/matrix"


def test_unrelated_matrix_variables_are_ignored(matrix_home: Path):
    s = load_settings(environ={"MATRIX_HOME": str(matrix_home), "MATRIX_KEYS_MASTER_KEY": "x"})
    assert s.home == matrix_home


@pytest.mark.parametrize(
    "env, field, value_fragment",
    [
        ({"MATRIX_SERVE__PORT": "70000"}, "serve.port", "70000"),
        ({"MATRIX_KEYS__BACKEND": "s3"}, "keys.backend", "'s3'"),
        ({"MATRIX_SERVE__REPLICAS": "0"}, "serve.replicas", "0"),
        ({"MATRIX_RAY__BOGUS": "1"}, "ray.bogus", "1"),
    ],
)
def test_invalid_values_name_field_value_and_allowed(env, field, value_fragment):
    with pytest.raises(ConfigError) as info:
        load_settings(environ=env)
    msg = str(info.value)
    assert field in msg and value_fragment in msg
    assert ("allowed" in msg) or ("less than" in msg) or ("greater than" in msg) or ("unknown field" in msg)


def test_bad_yaml_file_and_missing_file_are_clear(tmp_path: Path):
    bad = tmp_path / "c.yaml"
    bad.write_text("serve: [unclosed")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_settings(bad, environ={})
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "missing.yaml", environ={})
    bad.write_text("- a\n- b\n")
    with pytest.raises(ConfigError, match="must be a mapping"):
        load_settings(bad, environ={})


def test_duplicate_and_unknown_sources(tmp_path: Path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("sources:\n  - {name: a, kind: openaffiliate}\n  - {name: a, kind: openaffiliate}\n")
    with pytest.raises(ConfigError, match="repeated"):
        load_settings(cfg, environ={})
    cfg.write_text("sources:\n  - {name: a, kind: openaffiliate}\n")
    s = load_settings(cfg, environ={})
    with pytest.raises(ConfigError, match="no source named 'zzz'"):
        s.source("zzz")

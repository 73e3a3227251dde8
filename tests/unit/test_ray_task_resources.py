"""`ray.task_resources`: custom resources every ingest/resolve task asks for (places work on chosen nodes)."""

from __future__ import annotations

import pytest

from matrix.config import load_settings


def test_default_is_empty_and_tasks_ask_for_cpu_only(matrix_home):
    from jobs.resolve_partitioned import task_options

    settings = load_settings()
    assert settings.ray.task_resources == {}
    assert task_options(settings) == {"num_cpus": 1}


def test_from_yaml_overrides_and_environment(matrix_home, monkeypatch):
    from jobs.resolve_partitioned import task_options

    settings = load_settings(overrides={"ray": {"task_resources": {"ingest_node": 1}}})
    assert settings.ray.task_resources == {"ingest_node": 1.0}
    assert task_options(settings, num_cpus=0.5) == {"num_cpus": 0.5, "resources": {"ingest_node": 1.0}}
    monkeypatch.setenv("MATRIX_RAY__TASK_RESOURCES", "{gpu_pool: 0.5}")
    assert load_settings().ray.task_resources == {"gpu_pool": 0.5}


@pytest.mark.parametrize("bad", [{"ingest_node": 0}, {"ingest_node": -1}, {"ingest_node": "lots"}])
def test_bad_amounts_fail_before_any_work(matrix_home, bad):
    with pytest.raises(Exception, match="task_resources"):
        load_settings(overrides={"ray": {"task_resources": bad}})


def test_ingest_tasks_and_stages_get_the_resources(matrix_home):
    from jobs.ingest import remote_args

    assert remote_args(load_settings()) == {}
    pinned = load_settings(overrides={"ray": {"task_resources": {"ingest_node": 1, "big_mem": 0.25}}})
    args = remote_args(pinned)
    assert args == {"resources": {"ingest_node": 1.0, "big_mem": 0.25}}
    args["resources"]["ingest_node"] = 9  # a copy: a stage cannot change the settings
    assert pinned.ray.task_resources["ingest_node"] == 1.0

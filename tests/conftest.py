"""Shared fixtures.

- `settings` / `matrix_home`: every test that writes gets its own MATRIX_HOME under tmp_path.
- `ray_session`: ONE local Ray cluster for the whole test session (num_cpus=2, own temp dir,
  never `ray stop`), shared by all integration tests. Tests that need Ray take this fixture.
- `shared_dir`: ../shared. Missing: a skip on a developer's machine, a FAILURE under CI=true
  (tests.support.components.require), so the CRD drift check and the entity-resolution quality
  gate can never be switched off silently by a checkout without the reference data.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# Tests must never read a developer's own config or home.
os.environ.pop("MATRIX_CONFIG", None)
_SESSION_HOME = tempfile.mkdtemp(prefix="mx-home-")
os.environ["MATRIX_HOME"] = _SESSION_HOME


@pytest.fixture
def matrix_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("MATRIX_HOME", str(home))
    return home


@pytest.fixture
def settings(matrix_home: Path):
    from matrix.config import load_settings

    return load_settings()


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    from tests.support.components import require_shared

    return require_shared()


@pytest.fixture(scope="session")
def ray_session():
    """One local Ray cluster per test session, isolated in its own short temp dir."""
    import ray

    temp_dir = tempfile.mkdtemp(prefix="mxray-", dir="/tmp")
    if not ray.is_initialized():
        ray.init(
            address="local",
            num_cpus=2,
            _temp_dir=temp_dir,
            include_dashboard=False,
            log_to_driver=False,
            namespace="matrix-tests",
            runtime_env={"env_vars": {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}},
        )
    yield ray
    try:
        from ray import serve

        serve.shutdown()
    except Exception:
        pass
    ray.shutdown()
    shutil.rmtree(temp_dir, ignore_errors=True)


def pytest_sessionfinish(session, exitstatus):
    shutil.rmtree(_SESSION_HOME, ignore_errors=True)

"""The ingest RayJob's own entrypoint and runtimeEnvYAML, submitted to a real Ray cluster.

Why: Ray 2.60 refuses to start a job driver whose `ray.init(runtime_env=)` sets an env var the
job's runtime env also sets. The manifest used to set HF_HUB_OFFLINE and MATRIX_HOME in both
places and could never start on KubeRay. Here a `ray start` head (own temp dir, 127.0.0.1) plays
the RayJob's cluster and `JobSubmissionClient` plays the KubeRay operator: same entrypoint, same
runtime env keys; only values that point at cluster storage are redirected to this machine.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml

from tests.support.ray_cluster import start_head

pytestmark = [pytest.mark.slow, pytest.mark.integration]

REPO = Path(__file__).resolve().parents[2]
MANIFEST = REPO / "kuberay" / "base" / "rayjob-ingest.yaml"
# what the image holds under /app; everything else in the checkout stays behind
EXCLUDES = [".venv", ".git", "test-artifacts", "bench", "notebooks", "tests", "docs", "*.ipynb", "kuberay/crds"]


def _rayjob() -> dict:
    return next(d for d in yaml.safe_load_all(MANIFEST.read_text()) if d and d.get("kind") == "RayJob")


@pytest.fixture
def head():
    node = start_head(num_cpus=2)
    yield node
    node.stop()


def test_ingest_rayjob_starts_and_succeeds_with_its_own_runtime_env(head, tmp_path):
    from ray.job_submission import JobStatus, JobSubmissionClient

    spec = _rayjob()["spec"]
    runtime_env = yaml.safe_load(spec["runtimeEnvYAML"])
    env_vars = runtime_env["env_vars"]
    assert {"HF_HUB_OFFLINE", "MATRIX_HOME"} <= set(env_vars), "the conflict this test guards against"
    home = tmp_path / "home"
    env_vars["MATRIX_HOME"] = str(home)
    env_vars["MATRIX_INDEX__URI"] = str(home / "index")  # the s3:// index has its own test
    small = tmp_path / "small.yaml"
    small.write_text(yaml.safe_dump({"sources": [{"name": "openaffiliate", "kind": "openaffiliate", "max_pages": 25}]}))
    env_vars["MATRIX_CONFIG"] = str(small)
    runtime_env["working_dir"] = str(REPO)
    runtime_env["excludes"] = EXCLUDES

    client = JobSubmissionClient(head.dashboard_url)
    job_id = client.submit_job(entrypoint=spec["entrypoint"], runtime_env=runtime_env)
    deadline = time.monotonic() + 600
    status = client.get_job_status(job_id)
    while not status.is_terminal() and time.monotonic() < deadline:
        time.sleep(2)
        status = client.get_job_status(job_id)
    logs = client.get_job_logs(job_id)
    assert status == JobStatus.SUCCEEDED, logs[-4000:]
    assert "Failed to merge" not in logs

    from matrix.config import load_settings
    from matrix.index import MasterIndex

    settings = load_settings(overrides={"home": str(home), "index": {"uri": str(home / "index")}})
    assert MasterIndex(settings).stats()["tables"]["programs"]["rows"] >= 20


def test_driver_runtime_env_leaves_out_what_the_job_sets():
    import json

    from jobs.common import driver_runtime_env
    from matrix.config import load_settings

    settings = load_settings()
    job_cfg = json.dumps({"runtime_env": {"env_vars": {"HF_HUB_OFFLINE": "1", "MATRIX_HOME": "/data/matrix"}}})
    env = driver_runtime_env(settings, {"RAY_JOB_CONFIG_JSON_ENV_VAR": job_cfg})["env_vars"]
    assert "HF_HUB_OFFLINE" not in env and "MATRIX_HOME" not in env
    assert env["TRANSFORMERS_OFFLINE"] == "1"
    plain = driver_runtime_env(settings, {})["env_vars"]
    assert plain["HF_HUB_OFFLINE"] == "1" and plain["MATRIX_HOME"]

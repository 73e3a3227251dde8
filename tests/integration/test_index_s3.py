"""The master index on object storage, for real: an S3-compatible server on 127.0.0.1 (moto).

`MATRIX_INDEX__URI=s3://…` is how every cluster deployment runs (kuberay/base/common.yaml). Here
`matrix ingest` (its own local Ray cluster, as an operator runs it) writes the index into the
bucket; a separate long-lived reader process builds the search app's own `SearchService` on it,
and after a second ingest that reader, without reopening anything, sees the new version and the
new programs thanks to `read_consistency_interval`. Nothing is written to local disk under the
index URI.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from tests.support.s3_server import start_s3_server

pytestmark = [pytest.mark.slow, pytest.mark.integration]

REPO = Path(__file__).resolve().parents[2]
BUCKET = "matrix-index"

READER = r"""
import json, sys, time
from matrix.config import load_settings
from serve_apps.service import SearchService, build_request

service = SearchService(load_settings())  # opened once, never reopened
start = service.version()
print(json.dumps({"ready": True, "version": start}), flush=True)
query = json.loads(sys.stdin.readline())["q"]  # sent once the second ingest has finished
deadline = time.monotonic() + 300
while time.monotonic() < deadline:
    version = service.version()
    if version is not None and start is not None and version > start:
        hits = service.search(build_request(q=query, mode="text", limit=5))
        print(json.dumps({"version": version, "names": [h["name"] for h in hits["hits"]]}), flush=True)
        sys.exit(0)
    time.sleep(0.25)
print(json.dumps({"timeout": True, "version": service.version()}), flush=True)
sys.exit(1)
"""


@pytest.fixture
def s3():
    server = start_s3_server()
    server.create_bucket(BUCKET)
    yield server
    server.stop()


def _programs(n: int, offset: int = 0) -> list[dict]:
    registry = json.loads((REPO.parent / "shared" / "data" / "openaffiliate" / "registry.json").read_text()) \
        if (REPO.parent / "shared").is_dir() else None
    if registry is None:
        from matrix.sources.openaffiliate import bundled_registry_path

        registry = json.loads(bundled_registry_path().read_text())
    return registry["programs"][offset:offset + n]


def _write_registry(path: Path, programs: list[dict]) -> None:
    path.write_text(json.dumps({"generated_at": "2026-11-30", "count": len(programs), "categories": [],
                                "programs": programs}))


def _env(s3, home: Path, config: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(s3.env())
    env.update({"MATRIX_HOME": str(home), "MATRIX_CONFIG": str(config),
                "MATRIX_INDEX__URI": f"s3://{BUCKET}/index", "MATRIX_INDEX__READ_CONSISTENCY_INTERVAL_S": "1",
                "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "RAY_USAGE_STATS_ENABLED": "0"})
    return env


def _ingest(env: dict[str, str]) -> dict:
    out = subprocess.run([sys.executable, "-m", "matrix.cli", "ingest", "--json"], env=env, cwd=REPO,
                         capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stderr[-4000:]
    return json.loads(out.stdout[out.stdout.index("{"):])


def test_ingest_writes_to_s3_and_a_running_reader_sees_the_next_version(s3, tmp_path: Path):
    registry = tmp_path / "registry.json"
    _write_registry(registry, _programs(12))
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({"sources": [{"name": "openaffiliate", "kind": "openaffiliate",
                                                   "path": str(registry)}]}))
    home = tmp_path / "home"
    env = _env(s3, home, config)

    first = _ingest(env)
    assert first["listings"]["inserted"] == 12
    keys = s3.keys(BUCKET)
    assert any(k.startswith("index/programs.lance/") for k in keys), keys[:10]
    assert not (home / "index").exists(), "the index must live in the bucket, not under MATRIX_HOME"

    reader = subprocess.Popen([sys.executable, "-c", READER], env=env, cwd=REPO,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        hello = json.loads(reader.stdout.readline() or "{}")
        assert hello.get("ready"), reader.stderr.read()[-3000:]
        v1 = hello["version"]

        newcomers = _programs(3, offset=200)
        _write_registry(registry, _programs(12) + newcomers)
        second = _ingest(env)
        assert second["listings"]["inserted"] == 3
        reader.stdin.write(json.dumps({"q": newcomers[0]["name"]}) + "\n")
        reader.stdin.flush()
        line = reader.stdout.readline()
        seen = json.loads(line or "{}")
    finally:
        reader.kill()
        reader.wait()
    assert seen.get("version") is not None and seen["version"] > v1, seen
    assert newcomers[0]["name"] in seen["names"], seen

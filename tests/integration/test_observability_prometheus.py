"""Metrics end to end with a real Prometheus server, plus the shipped alert rules and dashboard.

Prometheus (Debian's package, installed by scripts/setup.sh --dev) is started on 127.0.0.1 with
a 1 s scrape interval against this process's metrics endpoint; the test then reads the values
back through Prometheus' HTTP API, so a wrong metric name, label or exposition breaks it.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from matrix import observability
from matrix.ports import free_port

pytestmark = [pytest.mark.slow, pytest.mark.integration]
MONITORING = Path(__file__).resolve().parents[2] / "kuberay" / "monitoring"


def _free_port() -> int:
    return free_port()


def _binary(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed: run `bash scripts/setup.sh --dev`")
    return path


def test_alert_rules_pass_promtool_check_and_unit_tests():
    promtool = _binary("promtool")
    check = subprocess.run([promtool, "check", "rules", "alerts.yml"], cwd=MONITORING, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    unit = subprocess.run([promtool, "test", "rules", "alerts_test.yml"], cwd=MONITORING, capture_output=True, text=True)
    assert unit.returncode == 0, unit.stdout + unit.stderr


def _declared_metric_samples() -> set[str]:
    import importlib

    for mod in ("matrix.keys.manager", "matrix.keys.fallback", "matrix.sources.report", "matrix.networks.http",
                "matrix.cache", "matrix.triggers.engine", "serve_apps.api"):
        importlib.import_module(mod)
    from prometheus_client import REGISTRY

    return set(REGISTRY._names_to_collectors)  # sample names: x_total, x_bucket, gauges...


def test_dashboard_and_alerts_only_use_metrics_the_code_declares():
    declared = _declared_metric_samples()
    dash = json.loads((MONITORING / "grafana" / "affiliate-matrix.json").read_text())
    exprs = [t["expr"] for p in dash["panels"] for t in p["targets"]]
    exprs += re.findall(r"expr:\s*\|?\s*\n?\s*(.+)", (MONITORING / "alerts.yml").read_text())
    used = {m for e in exprs for m in re.findall(r"\bmatrix_[a-z_]+", e)}
    assert used, "no metric names found"
    missing = sorted(m for m in used if m not in declared)
    assert not missing, f"dashboard/alerts use undeclared metrics: {missing}"


def test_prometheus_scrapes_our_metrics(tmp_path: Path):
    prometheus = _binary("prometheus")
    metrics_port, prom_port = _free_port(), _free_port()
    observability.serve_metrics(metrics_port)
    observability.RECORDS_INGESTED.labels("prom-test", "ok").inc(7)
    observability.SEARCH_REQUESTS.labels("hybrid", "ok").inc(3)
    shutil.copy(MONITORING / "alerts.yml", tmp_path / "alerts.yml")
    (tmp_path / "prometheus.yml").write_text(
        "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
        "rule_files: [alerts.yml]\n"
        f"scrape_configs:\n  - job_name: matrix\n    static_configs: [{{targets: ['127.0.0.1:{metrics_port}']}}]\n")
    proc = subprocess.Popen([prometheus, f"--config.file={tmp_path / 'prometheus.yml'}",
                             f"--storage.tsdb.path={tmp_path / 'data'}", f"--web.listen-address=127.0.0.1:{prom_port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        api = f"http://127.0.0.1:{prom_port}/api/v1"
        value = None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and value is None:
            time.sleep(1)
            try:
                r = httpx.get(f"{api}/query", params={"query": 'matrix_records_ingested_total{source="prom-test",outcome="ok"}'}, timeout=5)
            except httpx.HTTPError:
                continue
            result = r.json()["data"]["result"] if r.status_code == 200 else []
            if result:
                value = float(result[0]["value"][1])
        assert value == 7.0, "Prometheus never scraped matrix_records_ingested_total"
        r = httpx.get(f"{api}/query", params={"query": 'sum(matrix_search_requests_total{mode="hybrid"})'}, timeout=5)
        assert float(r.json()["data"]["result"][0]["value"][1]) >= 3.0
        groups = {g["name"] for g in httpx.get(f"{api}/rules", timeout=5).json()["data"]["groups"]}
        assert {"affiliate-matrix-search", "affiliate-matrix-keys"} <= groups
        targets = httpx.get(f"{api}/targets", timeout=5).json()["data"]["activeTargets"]
        assert targets and targets[0]["health"] == "up"
    finally:
        proc.terminate()
        proc.wait(timeout=20)

"""Metrics from every process reach a real Prometheus, and a 5xx burst pages through Alertmanager.

Real parts, all on 127.0.0.1: Debian's Prometheus, Alertmanager and Pushgateway; `matrix ingest`
(its own short-lived Ray cluster; a batch job pushes its final figures to the Pushgateway);
`matrix serve` (a local Ray cluster with the dashboard, whose service-discovery file Prometheus
reads through the config `matrix monitoring prometheus-config` renders); a webhook receiver
(this test) behind Alertmanager. The Searcher replica is told to fail every search
(`MATRIX_FAULT_AT=serve:search`, `MATRIX_FAULT_ACTION=raise`), so the ingress answers 500: the
count must travel ingress replica -> Ray metrics agent -> Prometheus, fire MatrixHTTP5xx, and
reach the receiver.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
import yaml

from matrix.ports import free_port

pytestmark = [pytest.mark.slow, pytest.mark.integration]

REPO = Path(__file__).resolve().parents[2]
MONITORING = REPO / "kuberay" / "monitoring"


def _binary(*names: str) -> str:
    for name in names:
        path = shutil.which(name)
        if path:
            return path
    pytest.fail(f"none of {names} is installed: run `bash scripts/setup.sh --dev`")


def _wait(predicate, what: str, deadline_s: float, every: float = 1.0):
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        try:
            value = predicate()
        except (httpx.HTTPError, OSError, ValueError, KeyError):
            value = None
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"{what}: not seen within {deadline_s:.0f} s")


class _Receiver(BaseHTTPRequestHandler):
    received: list[dict] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        _Receiver.received.append(json.loads(body or b"{}"))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


def _start(cmd: list[str], env: dict[str, str] | None = None, log: Path | None = None) -> subprocess.Popen:
    out = open(log, "wb") if log else subprocess.DEVNULL
    return subprocess.Popen(cmd, env=env, cwd=REPO, start_new_session=True, stdout=out, stderr=subprocess.STDOUT)


def _stop(proc: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, sig)
            proc.wait(timeout=60)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(proc.pid, signal.SIGKILL)


def _query(api: str, q: str) -> list[dict]:
    r = httpx.get(f"{api}/query", params={"query": q}, timeout=10)
    return r.json()["data"]["result"] if r.status_code == 200 else []


@pytest.mark.timeout(1800)  # two Ray clusters, an ingest and Serve on a loaded 2-core machine
def test_prometheus_sees_every_component_and_the_5xx_alert_reaches_the_receiver(tmp_path: Path):
    prometheus = _binary("prometheus")
    alertmanager = _binary("prometheus-alertmanager", "alertmanager")
    pushgateway = _binary("prometheus-pushgateway", "pushgateway")
    procs: list[subprocess.Popen] = []
    receiver = ThreadingHTTPServer(("127.0.0.1", free_port()), _Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    try:
        # --- the monitoring stack ----------------------------------------------------------
        push_port, am_port, prom_port, serve_port = free_port(), free_port(), free_port(), free_port()
        procs.append(_start([pushgateway, f"--web.listen-address=127.0.0.1:{push_port}"]))
        (tmp_path / "am.yml").write_text(yaml.safe_dump({
            "route": {"receiver": "hook", "group_wait": "1s", "group_interval": "1s", "repeat_interval": "1h"},
            "receivers": [{"name": "hook", "webhook_configs": [
                {"url": f"http://127.0.0.1:{receiver.server_port}/alerts", "send_resolved": False}]}]}))
        procs.append(_start([alertmanager, f"--config.file={tmp_path / 'am.yml'}",
                             f"--storage.path={tmp_path / 'am-data'}", f"--web.listen-address=127.0.0.1:{am_port}",
                             "--cluster.listen-address="]))

        home = tmp_path / "home"
        registry = json.loads((REPO / "matrix" / "data" / "openaffiliate" / "registry.json").read_text())
        registry["programs"] = registry["programs"][:15]
        (tmp_path / "registry.json").write_text(json.dumps(registry))
        (tmp_path / "config.yaml").write_text(yaml.safe_dump({
            "sources": [{"name": "openaffiliate", "kind": "openaffiliate", "path": str(tmp_path / "registry.json")}],
            "serve": {"host": "127.0.0.1", "port": serve_port},
            "logging": {"pushgateway_url": f"127.0.0.1:{push_port}"}}))
        env = {k: v for k, v in os.environ.items() if not k.startswith("MATRIX_")}
        env.update({"MATRIX_HOME": str(home), "MATRIX_CONFIG": str(tmp_path / "config.yaml"),
                    "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "RAY_USAGE_STATS_ENABLED": "0"})
        cli = [sys.executable, "-m", "matrix.cli"]
        config = subprocess.run([*cli, "monitoring", "prometheus-config", "--pushgateway", f"127.0.0.1:{push_port}",
                                 "--alertmanager", f"127.0.0.1:{am_port}"], env=env, capture_output=True, text=True,
                                check=True).stdout
        prom_cfg = yaml.safe_load(config)
        prom_cfg["global"] = {"scrape_interval": "1s", "evaluation_interval": "1s"}
        prom_cfg["rule_files"] = [str(MONITORING / "alerts.yml")]
        prom_cfg["scrape_configs"] = [c for c in prom_cfg["scrape_configs"] if c["job_name"] != "matrix-processes"]
        sd_file = prom_cfg["scrape_configs"][0]["file_sd_configs"][0]["files"][0]
        assert sd_file.startswith(str(home)) or "mxray-" in sd_file, "scrape config must follow OUR Ray temp dir"
        (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(prom_cfg))
        procs.append(_start([prometheus, f"--config.file={tmp_path / 'prometheus.yml'}",
                             f"--storage.tsdb.path={tmp_path / 'prom-data'}",
                             f"--web.listen-address=127.0.0.1:{prom_port}"]))
        api = f"http://127.0.0.1:{prom_port}/api/v1"

        # --- an ingest (batch job: pushes its final figures) ------------------------------
        ingest = subprocess.run([*cli, "ingest", "--json"], env=env, capture_output=True, text=True, timeout=900)
        assert ingest.returncode == 0, ingest.stderr[-3000:]
        ok = _wait(lambda: _query(api, 'matrix_batch_last_run_success{batch="ingest"}'), "ingest job gauge", 120)
        assert float(ok[0]["value"][1]) == 1.0
        assert _query(api, 'matrix_source_last_success_timestamp_seconds{source="openaffiliate"}')
        listings = _query(api, 'matrix_source_last_run_listings{source="openaffiliate"}')
        assert float(listings[0]["value"][1]) == 15

        # --- the Serve app on a Ray cluster whose Searcher fails every search --------------
        serve_env = dict(env, MATRIX_FAULT_AT="serve:search", MATRIX_FAULT_ACTION="raise")
        serve = _start([*cli, "serve"], env=serve_env, log=tmp_path / "serve.log")
        procs.append(serve)
        base = f"http://127.0.0.1:{serve_port}"
        _wait(lambda: httpx.get(f"{base}/healthz", timeout=10).status_code == 200, "search service ready", 600, 2)

        statuses: list[int] = []

        def fired() -> bool:
            statuses.append(httpx.get(f"{base}/search", params={"q": "email"}, timeout=30).status_code)
            return bool(_query(api, 'ALERTS{alertname="MatrixHTTP5xx"}'))

        _wait(fired, "MatrixHTTP5xx in Prometheus' ALERTS", 300, 0.5)
        assert 500 in statuses and not [s for s in statuses if s not in (500, 503)]
        # the 500s came through Ray's exporter from the ingress replica (job ray), not a local registry
        series = _query(api, 'matrix_http_requests_total{status="500"}')
        assert series and all(s["metric"]["job"] == "ray" for s in series)
        assert _query(api, 'ray_serve_deployment_replica_healthy'), "Ray's own Serve metrics are scraped too"
        hooks = _wait(lambda: [a for msg in _Receiver.received for a in msg.get("alerts", [])
                               if a["labels"].get("alertname") == "MatrixHTTP5xx"],
                      "Alertmanager webhook for MatrixHTTP5xx", 120)
        assert hooks[0]["status"] == "firing"
    finally:
        for proc in reversed(procs):
            _stop(proc, signal.SIGINT if proc.args[-1] == "serve" else signal.SIGTERM)
        receiver.shutdown()

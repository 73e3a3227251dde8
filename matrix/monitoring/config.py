"""Render kuberay/monitoring/prometheus.yml for this installation.

Why rendered: Ray writes its service-discovery file (every node's metrics agent) into the
cluster's temp dir, which for a local cluster is under MATRIX_HOME (jobs.common.ray_temp_dir),
not Ray's default /tmp/ray; a static file pointing there would scrape nothing.
"""

from __future__ import annotations

from pathlib import Path

TEMPLATE = "prometheus.yml"


def template_text() -> str:
    """The template from the checkout's kuberay/monitoring (deployment files ship with the repo)."""
    path = Path(__file__).resolve().parents[2] / "kuberay" / "monitoring" / TEMPLATE
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: the monitoring files ship with the repository, not the wheel")
    return path.read_text("utf-8")


def render_prometheus_config(service_discovery_file: str | Path, pushgateway: str = "127.0.0.1:9091",
                             metrics_process: str = "127.0.0.1:9464", alertmanager: str | None = "127.0.0.1:9093",
                             rule_file: str | None = None) -> str:
    """The scrape config with this cluster's paths and addresses filled in."""
    text = template_text()
    for key, value in (("RAY_SERVICE_DISCOVERY_FILE", str(service_discovery_file)), ("PUSHGATEWAY", pushgateway),
                       ("METRICS_PROCESS", metrics_process)):
        text = text.replace("${" + key + "}", value)
    if alertmanager is None:
        text = text.replace('        - targets: ["127.0.0.1:9093"]\n', "        - targets: []\n")
    else:
        text = text.replace('"127.0.0.1:9093"', f'"{alertmanager}"')
    if rule_file is not None:
        text = text.replace("  - alerts.yml\n", f"  - {rule_file}\n")
    return text

"""Affiliate Matrix metrics through Ray's own metrics export, from every Ray process.

Every metric declared with `matrix.observability.counter/gauge/histogram` is mirrored into a
`ray.util.metrics` metric of the same name (Ray prefixes `ray_`; the shipped scrape config and
PodMonitor strip it again, so alerts and dashboards use one name). Ray's per-node metrics agent
exports them; Prometheus finds every node's agent through Ray's service-discovery file (or the
PodMonitor on KubeRay), so Serve replicas, the ingress, ingest tasks and the driver all reach it,
on any number of nodes.

`install()` is registered as the runtime env's `worker_process_setup_hook` by
`jobs.common.connect_ray`, so it runs in every worker; Serve deployments also call it in their
constructors (a RayService does not go through connect_ray). It is idempotent.
"""

from __future__ import annotations

import threading
from typing import Any

from matrix import observability
from matrix.observability import MetricSpec

_LOCK = threading.Lock()


class RayMetricsSink:
    """`matrix.observability.MetricsSink` that records into `ray.util.metrics`."""

    def __init__(self) -> None:
        self._metrics: dict[str, Any] = {}

    def _metric(self, spec: MetricSpec) -> Any:
        m = self._metrics.get(spec.name)
        if m is None:
            from ray.util import metrics as ray_metrics

            with _LOCK:
                m = self._metrics.get(spec.name)
                if m is None:
                    doc = spec.doc or spec.name
                    if spec.kind == "counter":
                        m = ray_metrics.Counter(spec.name, description=doc, tag_keys=spec.labelnames)
                    elif spec.kind == "gauge":
                        m = ray_metrics.Gauge(spec.name, description=doc, tag_keys=spec.labelnames)
                    else:
                        m = ray_metrics.Histogram(spec.name, description=doc, tag_keys=spec.labelnames,
                                                  boundaries=list(spec.buckets or (0.01, 0.1, 1, 10)))
                    self._metrics[spec.name] = m
        return m

    def record(self, spec: MetricSpec, labels: dict[str, str], op: str, value: float) -> None:
        m = self._metric(spec)
        tags = {k: labels.get(k, "") for k in spec.labelnames}
        if op == "inc":
            if value > 0:
                m.inc(value, tags=tags)
        elif op == "set":
            m.set(value, tags=tags)
        else:
            m.observe(value, tags=tags)


_INSTALLED: RayMetricsSink | None = None


def install() -> None:
    """Mirror this process's matrix metrics into Ray's exporter (no-op outside Ray, idempotent)."""
    global _INSTALLED
    if _INSTALLED is None:
        _INSTALLED = RayMetricsSink()
        observability.set_metrics_sink(_INSTALLED)

"""One logging setup and one metrics helper for every component.

Logs are JSON lines when stderr is not a TTY (Ray workers, Serve replicas, CI) so they can be
shipped and queried, and human-readable on a terminal. Metrics are prometheus_client objects
registered once per process: `counter("x_total", ...)` called twice returns the same object,
which lets modules declare their metrics where they are used without import-order games.
Redaction filters (see matrix.keys) attach to the root handler through `add_log_filter`.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import time
from typing import Any, Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, REGISTRY, start_http_server

_LOCK = threading.Lock()
_METRICS: dict[str, Any] = {}
_FILTERS: list[logging.Filter] = []
_CONFIGURED = False
_STD_ATTRS = set(vars(logging.LogRecord("x", 0, "x", 0, "x", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STD_ATTRS and not key.startswith("_"):
                payload[key] = value
        if record.exc_info:
            payload["exc"] = self.formatException(record.exc_info)
        return json.dumps(payload, default=str)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        base = super().format(record)
        extras = {k: v for k, v in record.__dict__.items() if k not in _STD_ATTRS and not k.startswith("_")}
        if extras:
            base += " " + " ".join(f"{k}={v}" for k, v in extras.items())
        return base


def setup_logging(level: str = "INFO", json_logs: bool | None = None, stream: Any = None) -> None:
    """Configure the root logger once (idempotent: later calls only change the level)."""
    global _CONFIGURED
    root = logging.getLogger()
    root.setLevel(level)
    with _LOCK:
        if _CONFIGURED:
            return
        stream = stream or sys.stderr
        if json_logs is None:
            json_logs = not getattr(stream, "isatty", lambda: False)()
        handler = logging.StreamHandler(stream)
        handler.setFormatter(JsonFormatter() if json_logs else TextFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handler.set_name("matrix")
        for f in _FILTERS:
            handler.addFilter(f)
        root.addHandler(handler)
        for noisy in ("urllib3", "httpx", "filelock", "asyncio"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
        _CONFIGURED = True


def add_log_filter(flt: logging.Filter) -> None:
    """Attach a filter (e.g. secret redaction) to every handler on the root logger, now and later."""
    with _LOCK:
        if flt not in _FILTERS:
            _FILTERS.append(flt)
    for handler in logging.getLogger().handlers:
        if flt not in handler.filters:
            handler.addFilter(flt)


def get_logger(name: str) -> logging.Logger:
    return logging.getLogger(name)


def _metric(kind: type, name: str, doc: str, labels: Iterable[str], registry: CollectorRegistry | None, **kw: Any) -> Any:
    key = f"{kind.__name__}:{name}"
    with _LOCK:
        m = _METRICS.get(key)
        if m is None:
            m = kind(name, doc, list(labels), registry=registry or REGISTRY, **kw)
            _METRICS[key] = m
        return m


def counter(name: str, doc: str, labels: Iterable[str] = (), registry: CollectorRegistry | None = None) -> Counter:
    return _metric(Counter, name, doc, labels, registry)


def gauge(name: str, doc: str, labels: Iterable[str] = (), registry: CollectorRegistry | None = None) -> Gauge:
    return _metric(Gauge, name, doc, labels, registry)


def histogram(
    name: str, doc: str, labels: Iterable[str] = (), registry: CollectorRegistry | None = None,
    buckets: tuple[float, ...] = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
) -> Histogram:
    return _metric(Histogram, name, doc, labels, registry, buckets=buckets)


def serve_metrics(port: int, addr: str = "127.0.0.1") -> None:
    """Expose this process's metrics at http://addr:port/metrics for Prometheus to scrape."""
    start_http_server(port, addr=addr)


# Metrics shared across components, declared once here so names stay consistent.
RECORDS_INGESTED = counter("matrix_records_ingested_total", "Listings ingested, by source and outcome", ["source", "outcome"])
SEARCH_REQUESTS = counter("matrix_search_requests_total", "Search requests, by mode and status", ["mode", "status"])
SEARCH_LATENCY = histogram("matrix_search_latency_seconds", "Search latency", ["mode"])

"""One logging setup and one metrics helper for every component.

Logs are JSON lines when stderr is not a TTY (Ray workers, Serve replicas, CI) so they can be
shipped and queried, and human-readable on a terminal. Metrics are prometheus_client objects
registered once per process: `counter("x_total", ...)` called twice returns the same object,
which lets modules declare their metrics where they are used without import-order games.
Redaction filters (see matrix.keys) attach to the root handler through `add_log_filter`.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from typing import Any, Iterable, NamedTuple, Protocol

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram, start_http_server
from pythonjsonlogger.json import JsonFormatter as _BaseJsonFormatter

_LOCK = threading.Lock()
_METRICS: dict[str, Any] = {}
_FILTERS: list[logging.Filter] = []
_CONFIGURED = False
_STD_ATTRS = set(vars(logging.LogRecord("x", 0, "x", 0, "x", None, None))) | {"message", "asctime"}


class JsonFormatter(_BaseJsonFormatter):
    """JSON lines (python-json-logger) with stable names for log queries: ts, level, logger, msg,
    every `extra=` field, and exc for a traceback."""

    def __init__(self) -> None:
        super().__init__("{asctime}{levelname}{name}{message}", style="{", json_default=str,
                         rename_fields={"asctime": "ts", "levelname": "level", "name": "logger", "message": "msg",
                                        "exc_info": "exc"})

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802 - logging's name
        return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z"


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


class MetricsSink(Protocol):
    """Where metric updates are mirrored besides this process's prometheus_client registry.

    Why: under Ray, a process's own registry is invisible (a Serve replica's /metrics shows that
    replica alone; a Ray task's registry dies with its worker). Ray's exporter (jobs/ray_metrics.py)
    is installed as a sink in every Ray worker, so every update also reaches the node's metrics
    agent, which Prometheus scrapes on every node. matrix/ itself stays free of Ray.
    """

    def record(self, spec: MetricSpec, labels: dict[str, str], op: str, value: float) -> None: ...


class MetricSpec(NamedTuple):
    kind: str  # "counter" | "gauge" | "histogram"
    name: str
    doc: str
    labelnames: tuple[str, ...]
    buckets: tuple[float, ...] | None


_SINK: MetricsSink | None = None


def set_metrics_sink(sink: MetricsSink | None) -> None:
    """Mirror every metric update into `sink` as well (None: stop mirroring)."""
    global _SINK
    _SINK = sink


def _forward(spec: MetricSpec, labels: dict[str, str], op: str, value: float) -> None:
    sink = _SINK
    if sink is None:
        return
    try:
        sink.record(spec, labels, op, value)
    except Exception:  # a broken exporter must never break the work being measured
        logging.getLogger(__name__).debug("metrics sink failed", exc_info=True)


class _Timer:
    def __init__(self, observe: Any) -> None:
        self._observe = observe

    def __enter__(self) -> _Timer:
        self._t0 = time.perf_counter()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._observe(time.perf_counter() - self._t0)


class _Child:
    """One labelled series: updates go to prometheus_client and to the sink."""

    def __init__(self, spec: MetricSpec, prom: Any, labels: dict[str, str]) -> None:
        self._spec, self._prom, self._labels = spec, prom, labels

    def _gauge_value(self) -> float:
        return float(self._prom._value.get())

    def inc(self, amount: float = 1) -> None:
        self._prom.inc(amount)
        if self._spec.kind == "gauge":
            _forward(self._spec, self._labels, "set", self._gauge_value())
        else:
            _forward(self._spec, self._labels, "inc", amount)

    def dec(self, amount: float = 1) -> None:
        self._prom.dec(amount)
        _forward(self._spec, self._labels, "set", self._gauge_value())

    def set(self, value: float) -> None:
        self._prom.set(value)
        _forward(self._spec, self._labels, "set", float(value))

    def set_to_current_time(self) -> None:
        self.set(time.time())

    def observe(self, value: float) -> None:
        self._prom.observe(value)
        _forward(self._spec, self._labels, "observe", float(value))

    def time(self) -> _Timer:
        return _Timer(self.observe)

    def __getattr__(self, name: str) -> Any:  # _value, _sum ... for tests and collectors
        return getattr(self._prom, name)


class Metric(_Child):
    """A declared metric: `.labels(...)` gives a series; unlabelled metrics update directly."""

    def __init__(self, spec: MetricSpec, prom: Any) -> None:
        super().__init__(spec, prom, {})

    def labels(self, *values: Any, **kw: Any) -> _Child:
        labels = (
            dict(zip(self._spec.labelnames, map(str, values), strict=False)) if values else {k: str(v) for k, v in kw.items()}
        )
        return _Child(self._spec, self._prom.labels(*values, **kw), labels)


def _metric(kind: type, name: str, doc: str, labels: Iterable[str], registry: CollectorRegistry | None, **kw: Any) -> Any:
    key = f"{kind.__name__}:{name}"
    with _LOCK:
        m = _METRICS.get(key)
        if m is None:
            labelnames = tuple(labels)
            prom = kind(name, doc, list(labelnames), registry=registry or REGISTRY, **kw)
            spec = MetricSpec(kind.__name__.lower(), name, doc, labelnames, tuple(kw["buckets"]) if "buckets" in kw else None)
            m = Metric(spec, prom)
            _METRICS[key] = m
        return m


def counter(name: str, doc: str, labels: Iterable[str] = (), registry: CollectorRegistry | None = None) -> Metric:
    return _metric(Counter, name, doc, labels, registry)


def gauge(name: str, doc: str, labels: Iterable[str] = (), registry: CollectorRegistry | None = None) -> Metric:
    return _metric(Gauge, name, doc, labels, registry)


def histogram(
    name: str, doc: str, labels: Iterable[str] = (), registry: CollectorRegistry | None = None,
    buckets: tuple[float, ...] = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
) -> Metric:
    return _metric(Histogram, name, doc, labels, registry, buckets=buckets)


def push_metrics(gateway: str, job: str, grouping: dict[str, str] | None = None) -> None:
    """Push this process's registry to a Prometheus Pushgateway (batch jobs end before a scrape)."""
    from prometheus_client import push_to_gateway

    push_to_gateway(gateway, job=job, registry=REGISTRY, grouping_key=grouping or {}, timeout=10)


def serve_metrics(port: int, addr: str = "127.0.0.1") -> None:
    """Expose this process's metrics at http://addr:port/metrics for Prometheus to scrape."""
    start_http_server(port, addr=addr)


# Metrics shared across components, declared once here so names stay consistent.
RECORDS_INGESTED = counter("matrix_records_ingested_total", "Listings ingested, by source and outcome", ["source", "outcome"])
SEARCH_REQUESTS = counter("matrix_search_requests_total", "Search requests, by mode and status", ["mode", "status"])
SEARCH_LATENCY = histogram("matrix_search_latency_seconds", "Search latency", ["mode"])
# Field drift per source (matrix.sources.drift): set at the end of every crawl/ingest of a source.
FIELD_FILL = gauge("matrix_source_field_fill_ratio", "Share of a source's records with a known value for the field",
                   ["source", "field"])
FIELD_RAW_UNKNOWN = gauge("matrix_source_field_raw_unknown", "Records whose raw field value normalized to unknown",
                          ["source", "field"])
FIELD_DRIFT = gauge("matrix_source_field_drift", "1 when the field's fill fell against the source's last good ingest",
                    ["source", "field"])
# Batch jobs and sources (jobs.common.batch_job): what the staleness and job-failure alerts read.
# label `batch`, not `job`: Prometheus and the Pushgateway own the `job` label
JOB_LAST_RUN = gauge("matrix_batch_last_run_timestamp_seconds", "When a batch job (ingest, triggers) last ended",
                     ["batch"])
JOB_LAST_SUCCESS = gauge("matrix_batch_last_success_timestamp_seconds", "When a batch job last ended without error",
                         ["batch"])
JOB_LAST_RUN_OK = gauge("matrix_batch_last_run_success", "1 when the batch job's last run succeeded, else 0",
                        ["batch"])
SOURCE_LAST_SUCCESS = gauge("matrix_source_last_success_timestamp_seconds",
                            "When a source was last ingested without a source-level error", ["source"])
SOURCE_LAST_LISTINGS = gauge("matrix_source_last_run_listings", "Listings a source yielded in the last batch run",
                             ["source"])


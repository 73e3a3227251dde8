"""What a crawl did: counts per outcome, every failure with its URL and reason, layout drift.

One object per source run, so a user (or the ingest job) sees at a glance that 3 of 5,000 pages
timed out and which ones, and a scraper whose selectors stopped matching shows up as layout
drift instead of silently producing fewer listings. Failures are also logged and counted in
Prometheus so a long crawl can be watched live.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from matrix.observability import counter, get_logger

log = get_logger("matrix.sources.crawl")
CRAWL_REQUESTS = counter("matrix_crawl_requests_total", "HTTP requests made by the crawler", ["source", "outcome"])
CRAWL_FAILURES = counter("matrix_crawl_failures_total", "Pages that could not be fetched, by reason", ["source", "reason"])
LAYOUT_DRIFT = counter("matrix_crawl_layout_drift_total", "Pages whose required fields were not found", ["source"])

# Keep the first N failure details in memory; counts stay exact beyond that.
MAX_DETAILS = 1000


@dataclass
class CrawlReport:
    source: str = ""
    requests: int = 0
    ok: int = 0
    not_modified: int = 0
    retries: int = 0
    bytes_downloaded: int = 0
    robots_blocked: int = 0
    pages_yielded: int = 0
    elapsed_s: float | None = None  # wall time of the crawl, None while it runs
    failures: Counter = field(default_factory=Counter)
    failed: list[dict[str, str]] = field(default_factory=list)
    layout_drift: list[dict[str, Any]] = field(default_factory=list)
    fields: dict[str, Any] | None = None  # per-field fill and drift (matrix.sources.drift), set when records were normalized

    def request(self, outcome: str) -> None:
        self.requests += 1
        CRAWL_REQUESTS.labels(self.source, outcome).inc()

    def fail(self, url: str, reason: str, detail: str = "") -> None:
        """Count and log one page that will not be delivered; the crawl goes on."""
        self.failures[reason] += 1
        if reason == "robots_disallowed":
            self.robots_blocked += 1
        if len(self.failed) < MAX_DETAILS:
            self.failed.append({"url": url, "reason": reason, "detail": detail[:300]})
        CRAWL_FAILURES.labels(self.source, reason).inc()
        log.warning("crawl failure", extra={"source": self.source, "url": url, "reason": reason, "detail": detail[:300]})

    def drift(self, url: str, missing: list[str]) -> None:
        """A page parsed but required fields were not where the scraper looks: layout changed?"""
        if len(self.layout_drift) < MAX_DETAILS:
            self.layout_drift.append({"url": url, "missing": list(missing)})
        LAYOUT_DRIFT.labels(self.source).inc()
        log.warning("layout drift", extra={"source": self.source, "url": url, "missing": ",".join(missing)})

    @property
    def failed_total(self) -> int:
        return sum(self.failures.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "requests": self.requests,
            "ok": self.ok,
            "not_modified": self.not_modified,
            "retries": self.retries,
            "bytes_downloaded": self.bytes_downloaded,
            "robots_blocked": self.robots_blocked,
            "pages_yielded": self.pages_yielded,
            "elapsed_s": self.elapsed_s,
            "failed_total": self.failed_total,
            "failures": dict(self.failures),
            "failed": list(self.failed),
            "layout_drift": list(self.layout_drift),
            "fields": self.fields,
        }

    to_dict = as_dict  # the ingest job's name for it

"""The Source contract: how any directory, registry, feed or network API enters the pipeline.

A source does three things, split so Ray can fan each out differently:
1. `fetch_pages()` — I/O-bound and polite: one task per source walks list pages, pagination and
   detail pages under that host's rate limit (parallelism inside one host would only break
   politeness). Yields `Page`s.
2. `parse(page)` — CPU-bound and pure: a fetched page becomes raw records (dicts of the fields
   exactly as found). Runs in parallel across workers.
3. `to_listing(raw)` — pure: one raw record becomes a normalized `Listing` (raw kept beside it).

`parse` and `to_listing` must be picklable and free of I/O so Ray Data can ship them anywhere.
"""

from __future__ import annotations

import abc
import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any, Iterator

from matrix.config import Settings, SourceSettings
from matrix.models import Listing, utcnow


@dataclass
class Page:
    """A fetched document. `body` is text (decoded) or bytes for binary formats."""

    source: str
    url: str
    body: str | bytes
    content_type: str = "text/html"
    status: int = 200
    fetched_at: dt.datetime = field(default_factory=utcnow)
    kind: str = "detail"  # list | detail | feed | api — lets parse() dispatch
    meta: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain, Arrow-friendly dict (timestamps as ISO strings) for shipping through Ray Data.

        `meta` travels as a JSON string: as an Arrow column, nested dicts of differing shapes
        (cached records, network maps) would be unified into one struct type, adding None for
        every key some other page had and failing outright on mixed value types."""
        return {"source": self.source, "url": self.url, "body": self.body, "content_type": self.content_type,
                "status": self.status, "fetched_at": self.fetched_at.isoformat(), "kind": self.kind,
                "meta": json.dumps(self.meta, default=str)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Page":
        data = {k: d[k] for k in ("source", "url", "body", "content_type", "status", "fetched_at", "kind", "meta") if k in d}
        if "fetched_at" in data:
            data["fetched_at"] = parse_timestamp(data["fetched_at"])
        if isinstance(data.get("meta"), (str, bytes)):
            data["meta"] = json.loads(data["meta"]) if data["meta"] else {}
        elif data.get("meta") is None and "meta" in data:
            data["meta"] = {}
        if "status" in data and data["status"] is not None:
            data["status"] = int(data["status"])
        return cls(**data)


def parse_timestamp(value) -> dt.datetime:
    """A timezone-aware datetime from an ISO string, datetime, numpy datetime64 or pandas Timestamp."""
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
    if hasattr(value, "to_pydatetime"):
        return parse_timestamp(value.to_pydatetime())
    if type(value).__name__ == "datetime64":
        import numpy as np

        return parse_timestamp(dt.datetime.fromisoformat(str(np.datetime_as_string(value, unit="us"))))
    return parse_timestamp(dt.datetime.fromisoformat(str(value).replace("Z", "+00:00")))


class SourceError(RuntimeError):
    """A source cannot run at all (bad configuration, missing browser, unreadable file)."""


class Source(abc.ABC):
    """Base class for every source. Subclasses set `kind` and implement the three steps."""

    kind: str = ""

    def __init__(self, cfg: SourceSettings, settings: Settings) -> None:
        self.cfg = cfg
        self.settings = settings
        self.name = cfg.name

    @abc.abstractmethod
    def fetch_pages(self) -> Iterator[Page]:
        """Walk the source politely and yield fetched pages."""

    @abc.abstractmethod
    def parse(self, page: Page) -> list[dict[str, Any]]:
        """Raw records found on one page (fields exactly as published)."""

    @abc.abstractmethod
    def to_listing(self, raw: dict[str, Any], fetched_at: dt.datetime | None = None) -> Listing:
        """Normalize one raw record."""

    def listings(self) -> Iterator[Listing]:
        """Run all three steps in-process (CLI, notebooks, tests); Ray jobs fan them out instead.

        Each record is normalized on its own: one that fails is counted (`failed_records`) and
        logged with its id, and the rest go on."""
        from matrix.observability import get_logger

        for page in self.fetch_pages():
            for raw in self.parse(page):
                try:
                    yield self.to_listing(raw, page.fetched_at)
                except (ValueError, KeyError, TypeError, AttributeError) as exc:
                    self.failed_records = getattr(self, "failed_records", 0) + 1
                    rid = next((str(raw[k]) for k in ("id", "slug", "name") if isinstance(raw, dict) and raw.get(k)), "?")
                    get_logger("matrix.sources").warning("record could not be normalized", extra={
                        "source": self.name, "record": rid, "url": page.url, "error": f"{type(exc).__name__}: {exc}"})

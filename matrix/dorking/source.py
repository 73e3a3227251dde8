"""The `dork` source: ingests candidate Listings written by dorking runs (JSONL under MATRIX_HOME).

    sources:
      - {name: dork, kind: dork}          # path: defaults to <home>/<triggers.dorking.candidates_dir>

Files are read oldest first, so a later run's view of a domain wins inside one ingest.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any, Iterator

from matrix.models import Listing
from matrix.sources.base import Page, Source, SourceError, parse_timestamp


class DorkSource(Source):
    kind = "dork"

    def directory(self) -> Path:
        if self.cfg.path:
            p = Path(self.cfg.path).expanduser()
            return p if p.is_absolute() else self.settings.path(self.cfg.path)
        return self.settings.path(self.settings.triggers.dorking.candidates_dir)

    def fetch_pages(self) -> Iterator[Page]:
        d = self.directory()
        if d.exists() and not d.is_dir():
            raise SourceError(f"sources.{self.name}.path = {str(d)!r} is not a directory")
        files = sorted(d.glob("candidates-*.jsonl")) if d.is_dir() else []
        for i, f in enumerate(files):
            if self.cfg.max_pages is not None and i >= self.cfg.max_pages:
                break
            yield Page(source=self.name, url=f.as_uri(), body=f.read_text(), content_type="application/x-ndjson", kind="feed")

    def parse(self, page: Page) -> list[dict[str, Any]]:
        out = []
        for n, line in enumerate(str(page.body).splitlines(), 1):
            if not line.strip():
                continue
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise SourceError(f"{page.url}:{n}: not JSON ({exc})") from None
        return out

    def to_listing(self, raw: dict[str, Any], fetched_at: dt.datetime | None = None) -> Listing:
        data = dict(raw)
        data["source"] = self.name
        if data.get("fetched_at"):
            data["fetched_at"] = parse_timestamp(data["fetched_at"])
        elif fetched_at is not None:
            data["fetched_at"] = fetched_at
        return Listing.model_validate(data)

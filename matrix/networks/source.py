"""Network APIs as an ingest `Source` (kind "network"), so configured networks join `matrix ingest`.

    sources:
      - name: awin
        kind: network
        options: {network: awin, account: default, endpoint: programs, relationship: joined}

fetch_pages runs the async client on a private event loop and yields one `Page(kind="api")` per
API page; its body is JSON `{network, endpoint, page, records: [raw records]}` - the records
already validated, so `parse` is a cheap, pure split and `to_listing` the client's pure mapper.
If a page fails, the pages before it were already yielded, and the failing page's good records
follow as one last page before the error is re-raised: the ingest job keeps all of them.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from typing import Any, Iterator, Sequence

from matrix.config import Settings, SourceSettings
from matrix.keys.types import CredentialProvider
from matrix.models import Listing
from matrix.networks import NETWORKS, client_class
from matrix.networks.base import NetworkClient
from matrix.networks.errors import NetworkCredentialError, NetworkError
from matrix.observability import get_logger
from matrix.sources.base import Page, Source, SourceError

log = get_logger("matrix.networks.source")
ENDPOINTS = ("programs", "offers")


def default_provider(settings: Settings) -> CredentialProvider:
    """The key manager as the ingest component sees it (read-only, policy-checked, audited)."""
    from matrix.keys.manager import KeyManager

    return KeyManager.from_settings(settings, component="ingest")


class NetworkSource(Source):
    kind = "network"

    def __init__(self, cfg: SourceSettings, settings: Settings, provider: CredentialProvider | None = None) -> None:
        super().__init__(cfg, settings)
        opts = cfg.options
        self.network = str(opts.get("network") or "")
        if self.network not in NETWORKS:
            raise SourceError(f"sources.{cfg.name}.options.network = {opts.get('network')!r}; allowed: {sorted(NETWORKS)}")
        self.endpoint = str(opts.get("endpoint") or "programs")
        if self.endpoint not in ENDPOINTS:
            raise SourceError(f"sources.{cfg.name}.options.endpoint = {self.endpoint!r}; allowed: {list(ENDPOINTS)}")
        self.account = opts.get("account") or settings.networks.get(self.network).account
        self.relationship = opts.get("relationship")
        self.client_cls = client_class(self.network)
        self._provider = provider
        self.report: dict[str, Any] = {"network": self.network, "pages": 0, "records": 0, "error": None}

    def client(self) -> NetworkClient:
        provider = self._provider if self._provider is not None else default_provider(self.settings)
        return self.client_cls(self.settings, provider, account=self.account)

    def _page(self, records: Sequence[Any], n: int) -> Page:
        body = json.dumps({"network": self.network, "endpoint": self.endpoint, "page": n,
                           "records": [r.raw if hasattr(r, "raw") else r for r in records]}, default=str)
        self.report["pages"] += 1
        self.report["records"] += len(records)
        return Page(source=self.name, url=f"{self.network}:{self.endpoint}?page={n}", body=body,
                    content_type="application/json", kind="api", meta={"network": self.network, "page": n})

    def fetch_pages(self) -> Iterator[Page]:
        loop = asyncio.new_event_loop()
        client = None
        agen = None
        n = 0
        try:
            client = self.client()
            agen = (client.iter_offers() if self.endpoint == "offers" else client.iter_programs(self.relationship))
            while True:
                try:
                    records = loop.run_until_complete(agen.__anext__())
                except StopAsyncIteration:
                    break
                n += 1
                yield self._page(records, n)
        except (NetworkError, NetworkCredentialError) as exc:
            self.report["error"] = str(exc)
            if exc.partial:
                n += 1
                yield self._page(exc.partial, n)
            log.error("network pull failed", extra={"source": self.name, "network": self.network, "error": str(exc),
                                                    "pages_kept": n})
            raise
        finally:
            if agen is not None and hasattr(agen, "aclose"):
                loop.run_until_complete(agen.aclose())
            if client is not None:
                loop.run_until_complete(client.aclose())
            loop.close()

    def parse(self, page: Page) -> list[dict[str, Any]]:
        try:
            doc = json.loads(page.body)
            records = doc["records"]
        except (ValueError, KeyError, TypeError) as exc:
            raise SourceError(f"{page.url}: not a network page ({type(exc).__name__}: {exc})") from None
        if not isinstance(records, list):
            raise SourceError(f"{page.url}: 'records' is not a list")
        return [r for r in records if isinstance(r, dict)]

    def to_listing(self, raw: dict[str, Any], fetched_at: dt.datetime | None = None) -> Listing:
        return self.client_cls.to_listing(raw, fetched_at)

"""Rakuten Advertising: OAuth token exchange, then bearer calls.

Credentials: rakuten/ACCOUNT/client_id, rakuten/ACCOUNT/client_secret and rakuten/ACCOUNT/sid
(the publisher site id, the token's scope). The token exchange posts
`grant_type=client_credentials&scope=SID` to `auth_url` with `Authorization: Bearer
base64(client_id:client_secret)`; the short-lived access token is cached and refreshed
`token_refresh_margin_s` before it expires, and once more if the API answers 401 (expired early).
Endpoints: /v2/advertisers (paged via _metadata._links.next), /v1/partnerships (relationship
status, merged into each advertiser as raw["_partnership"] when `relationship` is set),
/v1/offers, /events/1.0/transactions (performance).
"""

from __future__ import annotations

import base64
import datetime as dt
import time
from typing import Any, AsyncIterator, Callable

from pydantic import BaseModel, ConfigDict

from matrix.models import Listing, PerformanceRow
from matrix.networks.base import ApiRecord, NetworkClient, aggregate_performance, as_float, parse_records
from matrix.networks.errors import MalformedResponse
from matrix.networks.http import AuthRejected
from matrix.normalize.commission import parse_commission
from matrix.normalize.domain import merchant_domain


class _Loose(BaseModel):
    model_config = ConfigDict(extra="allow", coerce_numbers_to_str=True)


class RakutenAdvertiser(ApiRecord):
    id: str
    name: str
    url: str | None = None
    description: str | None = None
    categories: list[Any] = []


class RakutenPartnership(ApiRecord):
    advertiser: RakutenAdvertiser
    status: str | None = None


class RakutenOffer(ApiRecord):
    offer_id: str | None = None
    advertiser: _Loose | None = None
    name: str | None = None


class RakutenTransaction(ApiRecord):
    advertiser_id: str
    transaction_date: str
    sale_amount: float | None = None
    commissions: float | None = None
    currency: str | None = None


class RakutenClient(NetworkClient):
    name = "rakuten"
    credential_kinds = ("client_id", "client_secret", "sid")
    probe_kind = "client_secret"
    has_offers = True

    def __init__(self, *args: Any, clock: Callable[[], float] = time.monotonic, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self._clock = clock
        self._token: str | None = None
        self._expires_at = 0.0
        self.token_exchanges = 0

    async def _exchange(self) -> str:
        ep = "token"
        cid, secret = self.secret("client_id", ep), self.secret("client_secret", ep)
        basic = base64.b64encode(f"{cid}:{secret}".encode()).decode()
        resp = await self.call("POST", self.cfg.auth_url or self.url("/token"), endpoint=ep,
                               data={"grant_type": "client_credentials", "scope": self.secret("sid", ep)},
                               headers={"Authorization": f"Bearer {basic}", "Accept": "application/json"})
        body = self.json(resp, ep)
        if not isinstance(body, dict) or not body.get("access_token"):
            raise MalformedResponse(self.name, ep, "token response lacks access_token")
        ttl = as_float(body.get("expires_in")) or 3600.0
        self._token = str(body["access_token"])
        self._expires_at = self._clock() + ttl
        self.token_exchanges += 1
        return self._token

    async def token(self) -> str:
        if self._token is None or self._clock() >= self._expires_at - self.cfg.token_refresh_margin_s:
            return await self._exchange()
        return self._token

    async def _get(self, path_or_url: str, endpoint: str, params: dict[str, Any] | None = None) -> Any:
        url = path_or_url if path_or_url.startswith(self.base_url) else self.url(path_or_url)
        for attempt in (0, 1):
            tok = await self.token()
            try:
                resp = await self.transport.request("GET", url, endpoint=endpoint, params=params,
                                                    headers={"Authorization": f"Bearer {tok}", "Accept": "application/json"})
                return self.json(resp, endpoint)
            except AuthRejected as exc:
                if attempt == 1:
                    raise self.rejected(endpoint, exc) from None
                self._token = None  # the access token may have expired early: one fresh exchange, no mark
        raise AssertionError("unreachable")  # pragma: no cover

    async def _paged(self, path: str, key: str, model: type[ApiRecord], endpoint: str,
                     params: dict[str, Any]) -> AsyncIterator[list[Any]]:
        url: str | None = path
        query: dict[str, Any] | None = {"page": "1", "limit": str(self.cfg.page_size), **params}
        page_no = 1
        while url and self.pages_left(page_no):
            body = await self._get(url, endpoint, query)
            if not isinstance(body, dict) or not isinstance(body.get(key), list):
                raise MalformedResponse(self.name, endpoint, f"expected an object with a '{key}' array")
            page = parse_records(model, body[key], self.name, endpoint)
            if page:
                yield page
            nxt = (((body.get("_metadata") or {}).get("_links") or {}).get("next") or {})
            nxt_href = nxt.get("href") if isinstance(nxt, dict) else nxt
            if not nxt_href or not page:
                return
            url, query = str(nxt_href), None
            page_no += 1

    def auth_refs(self):
        return (self.ref("client_id"), self.ref("client_secret"))

    async def iter_programs(self, relationship: str | None = None) -> AsyncIterator[list[RakutenAdvertiser]]:
        rel = relationship or self.cfg.relationship
        status: dict[str, str] = {}
        if rel:
            async for partnerships in self.iter_partnerships(rel):
                status.update({p.advertiser.id: p.status or rel for p in partnerships})
        async for page in self._paged("/v2/advertisers", "advertisers", RakutenAdvertiser, "advertisers", {}):
            if rel:
                page = [a for a in page if a.id in status]
                for a in page:
                    a.raw["_partnership"] = {"status": status[a.id]}
            if page:
                yield page

    def iter_partnerships(self, status: str = "active") -> AsyncIterator[list[RakutenPartnership]]:
        return self._paged("/v1/partnerships", "partnerships", RakutenPartnership, "partnerships", {"partner_status": status})

    def iter_offers(self) -> AsyncIterator[list[RakutenOffer]]:
        return self._paged("/v1/offers", "offers", RakutenOffer, "offers", {})

    async def program(self, program_id: str) -> RakutenAdvertiser:
        ep = "advertisers/{id}"
        body = await self._get(f"/v2/advertisers/{program_id}", ep)
        rec = body.get("advertiser") if isinstance(body, dict) and "advertiser" in body else body
        return RakutenAdvertiser.from_raw(rec, self.name, ep)

    async def performance(self, start: dt.date, end: dt.date) -> list[PerformanceRow]:
        ep = "events/transactions"
        events: list[dict[str, Any]] = []
        params = {"process_date_start": f"{start.isoformat()} 00:00:00", "process_date_end": f"{end.isoformat()} 23:59:59",
                  "limit": str(self.cfg.page_size)}
        for page_no in range(1, 10_001):
            if not self.pages_left(page_no):
                break
            body = await self._get("/events/1.0/transactions", ep, {**params, "page": str(page_no)})
            if not isinstance(body, list):
                raise MalformedResponse(self.name, ep, "expected a JSON array of transactions")
            for t in parse_records(RakutenTransaction, body, self.name, ep):
                events.append({"date": dt.date.fromisoformat(t.transaction_date[:10]), "program_source_id": t.advertiser_id,
                               "program_name": t.raw.get("advertiser_name"), "clicks": None, "conversions": 1.0,
                               "commission": t.commissions, "revenue": t.sale_amount, "currency": t.currency})
            if len(body) < self.cfg.page_size:
                break
        return aggregate_performance(self.name, self.account, events)

    @classmethod
    def to_listing(cls, raw: dict[str, Any], fetched_at: dt.datetime | None = None) -> Listing:
        a = RakutenAdvertiser.model_validate(raw)
        rel = (raw.get("_partnership") or {}).get("status")
        details = raw.get("details") or {}
        commission = parse_commission(details.get("commission") if isinstance(details, dict) else None)
        cats = [c.get("name") if isinstance(c, dict) else str(c) for c in a.categories]
        return Listing(
            source=cls.name, source_id=a.id, name=a.name, url=a.url, merchant_url=a.url,
            merchant_domain=merchant_domain(a.url), network=cls.name, description=a.description or None,
            fetched_at=fetched_at or dt.datetime.now(dt.timezone.utc), categories=[c for c in cats if c],
            commission=commission, tags=[f"relationship:{'joined' if rel == 'active' else rel}"] if rel else [], raw=raw,
        )

"""Impact.com partner API (JSON with `Accept: application/json`, HTTP Basic AccountSID:AuthToken).

Credentials: impact/ACCOUNT/account_sid and impact/ACCOUNT/auth_token.
Campaigns: GET /Mediapartners/{AccountSID}/Campaigns, paged by `@nextpageuri` (ids arrive as
strings, booleans as "true"/"false", ShippingRegions are not ISO codes). Performance:
/Mediapartners/{sid}/Actions. 1,000 requests/hour; `X-RateLimit-*` headers are honoured by the
transport.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, AsyncIterator

from pydantic import field_validator

from matrix.http import BasicAuth
from matrix.models import Approval, Listing, PerformanceRow
from matrix.networks.base import ApiRecord, NetworkClient, aggregate_performance, as_bool, as_float, parse_records
from matrix.networks.errors import MalformedResponse
from matrix.normalize.domain import merchant_domain

# Impact writes region names ("United States", "UK", "Europe"); only unambiguous countries map.
_REGIONS = {
    "united states": "US", "usa": "US", "us": "US", "united kingdom": "GB", "uk": "GB", "great britain": "GB",
    "canada": "CA", "australia": "AU", "germany": "DE", "france": "FR", "spain": "ES", "italy": "IT",
    "netherlands": "NL", "ireland": "IE", "new zealand": "NZ", "india": "IN", "japan": "JP", "mexico": "MX",
    "brazil": "BR", "sweden": "SE", "norway": "NO", "denmark": "DK", "poland": "PL", "switzerland": "CH",
}
_CONTRACT = {"active": "joined", "pending": "pending", "expired": "expired", "declined": "declined", "not applied": "notjoined"}


def region_codes(regions: list[Any]) -> list[str]:
    out = []
    for r in regions:
        code = _REGIONS.get(str(r).strip().lower())
        if code is None and re.fullmatch(r"[A-Z]{2}", str(r).strip()):
            code = str(r).strip()
        if code and code not in out:
            out.append(code)
    return out


class ImpactCampaign(ApiRecord):
    AdvertiserId: str
    AdvertiserName: str | None = None
    AdvertiserUrl: str | None = None
    CampaignId: str
    CampaignName: str
    CampaignUrl: str | None = None
    CampaignDescription: str | None = None
    ShippingRegions: list[Any] = []
    ContractStatus: str | None = None
    TrackingLink: str | None = None
    AllowsDeeplinking: bool | None = None
    DeeplinkDomains: list[Any] = []

    @field_validator("AllowsDeeplinking", mode="before")
    @classmethod
    def _bool(cls, v: Any) -> bool | None:
        return as_bool(v)

    @field_validator("ShippingRegions", "DeeplinkDomains", mode="before")
    @classmethod
    def _list(cls, v: Any) -> list[Any]:
        return [] if v in (None, "") else (v if isinstance(v, list) else [v])


class ImpactAction(ApiRecord):
    Id: str
    CampaignId: str
    CampaignName: str | None = None
    EventDate: str
    Amount: str | None = None
    Payout: str | None = None
    Currency: str | None = None


class ImpactClient(NetworkClient):
    name = "impact"
    credential_kinds = ("account_sid", "auth_token")
    probe_kind = "auth_token"

    def _auth(self, endpoint: str) -> BasicAuth:
        return BasicAuth(self.secret("account_sid", endpoint), self.secret("auth_token", endpoint))

    async def _paged(self, path: str, key: str, model: type[ApiRecord], endpoint: str,
                     params: dict[str, Any]) -> AsyncIterator[list[Any]]:
        sid = self.secret("account_sid", endpoint)
        url: str | None = self.url(f"/Mediapartners/{sid}/{path}")
        query: dict[str, Any] | None = {"PageSize": str(self.cfg.page_size), "Page": "1", **params}
        page_no = 1
        while url and self.pages_left(page_no):
            resp = await self.call("GET", url, endpoint=endpoint, params=query, auth=self._auth(endpoint),
                                   headers={"Accept": "application/json"})
            body = self.json(resp, endpoint)
            if not isinstance(body, dict) or not isinstance(body.get(key, []), list):
                raise MalformedResponse(self.name, endpoint, f"expected an object with a '{key}' array")
            page = parse_records(model, body.get(key) or [], self.name, endpoint)
            if page:
                yield page
            nxt = body.get("@nextpageuri")
            if not nxt or not page:
                return
            url, query = self.url(nxt), None  # the next-page URI already carries the query
            page_no += 1

    def iter_programs(self, relationship: str | None = None) -> AsyncIterator[list[ImpactCampaign]]:
        return self._paged("Campaigns", "Campaigns", ImpactCampaign, "Campaigns", {})

    async def program(self, program_id: str) -> ImpactCampaign:
        ep = "Campaigns/{id}"
        sid = self.secret("account_sid", ep)
        resp = await self.call("GET", self.url(f"/Mediapartners/{sid}/Campaigns/{program_id}"), endpoint=ep,
                               auth=self._auth(ep), headers={"Accept": "application/json"})
        return ImpactCampaign.from_raw(self.json(resp, ep), self.name, ep)

    async def performance(self, start: dt.date, end: dt.date) -> list[PerformanceRow]:
        events: list[dict[str, Any]] = []
        params = {"ActionDateStart": f"{start.isoformat()}T00:00:00Z",
                  "ActionDateEnd": f"{(end + dt.timedelta(days=1)).isoformat()}T00:00:00Z"}
        async for page in self._paged("Actions", "Actions", ImpactAction, "Actions", params):
            for a in page:
                events.append({"date": dt.date.fromisoformat(a.EventDate[:10]), "program_source_id": a.CampaignId,
                               "program_name": a.CampaignName, "clicks": None, "conversions": 1.0,
                               "commission": as_float(a.Payout), "revenue": as_float(a.Amount), "currency": a.Currency})
        return aggregate_performance(self.name, self.account, events)

    @classmethod
    def to_listing(cls, raw: dict[str, Any], fetched_at: dt.datetime | None = None) -> Listing:
        c = ImpactCampaign.model_validate(raw)
        status = (c.ContractStatus or "").strip().lower()
        rel = _CONTRACT.get(status, status or None)
        url = c.CampaignUrl or c.AdvertiserUrl
        tags = [f"relationship:{rel}"] if rel else []
        if c.AllowsDeeplinking is not None:
            tags.append(f"deeplinking:{str(c.AllowsDeeplinking).lower()}")
        return Listing(
            source=cls.name, source_id=c.CampaignId, name=c.CampaignName, url=url, merchant_url=url,
            merchant_domain=merchant_domain(url), network=cls.name,
            aliases=[c.AdvertiserName] if c.AdvertiserName and c.AdvertiserName != c.CampaignName else [],
            fetched_at=fetched_at or dt.datetime.now(dt.timezone.utc), description=c.CampaignDescription or None,
            geo_allowed=region_codes(c.ShippingRegions), approval=Approval.UNKNOWN, tags=tags, raw=raw,
        )

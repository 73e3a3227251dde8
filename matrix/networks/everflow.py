"""Everflow affiliate API (`X-Eflow-API-Key` header).

Credential: everflow/ACCOUNT/api_key. Offers: GET /v1/affiliates/offersrunnable (what this
affiliate may run; the programs) and /v1/affiliates/alloffers, paged {page, page_size <= 2000,
total_count}. Performance: POST /v1/affiliates/reporting/entity grouped by offer and date.
Limit: 5 requests/second shared across keys (one limiter per network), window reset every 30 s.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any, AsyncIterator

from pydantic import BaseModel, ConfigDict

from matrix.config import ConfigError
from matrix.models import Approval, Commission, CommissionModel, Listing, PayoutType, PerformanceRow
from matrix.networks.base import ApiRecord, NetworkClient, aggregate_performance, as_float, parse_records
from matrix.networks.errors import MalformedResponse
from matrix.normalize.domain import merchant_domain

MAX_PAGE = 2000
_PAYOUT = {"cpa": PayoutType.CPA, "cps": PayoutType.CPS, "cpc": PayoutType.CPC, "cpm": PayoutType.CPM,
           "cpa_cps": PayoutType.CPA, "prv": PayoutType.REVSHARE}


class _Loose(BaseModel):
    model_config = ConfigDict(extra="allow")


class EverflowOffer(ApiRecord):
    network_offer_id: str
    name: str
    offer_status: str | None = None
    currency_id: str | None = None
    html_description: str | None = None
    preview_url: str | None = None
    tracking_url: str | None = None
    relationship: _Loose | None = None


def html_text(value: str | None) -> str | None:
    """Offer descriptions are HTML; search and embeddings want the words."""
    if not value:
        return None
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", value)).split())
    return text or None


def everflow_commission(raw: dict[str, Any]) -> Commission:
    entries = (((raw.get("relationship") or {}).get("payouts") or {}).get("entries")) or []
    flats = [v for e in entries if isinstance(e, dict) for v in [as_float(e.get("payout_amount"))] if v]
    pcts = [v for e in entries if isinstance(e, dict) for v in [as_float(e.get("payout_percentage"))] if v]
    types = [str(e.get("payout_type", "")).lower() for e in entries if isinstance(e, dict)]
    c = Commission(payout_type=_PAYOUT.get(types[0], PayoutType.UNKNOWN) if types else PayoutType.UNKNOWN,
                   raw="; ".join(f"{t}" for t in types) or None)
    if flats:
        c.flat_min, c.flat_max, c.currency = min(flats), max(flats), (raw.get("currency_id") or None)
    if pcts:
        c.percent_min, c.percent_max = min(pcts), max(pcts)
    c.model = (CommissionModel.HYBRID if flats and pcts else CommissionModel.FLAT if flats
               else CommissionModel.PERCENT if pcts else CommissionModel.UNKNOWN)
    return c


class EverflowClient(NetworkClient):
    name = "everflow"
    credential_kinds = ("api_key",)
    probe_kind = "api_key"
    has_offers = True

    def validate_config(self) -> None:
        if self.cfg.page_size > MAX_PAGE:
            raise ConfigError(f"networks.everflow.page_size = {self.cfg.page_size}: Everflow allows page_size <= {MAX_PAGE}")

    def _headers(self, endpoint: str) -> dict[str, str]:
        return {"X-Eflow-API-Key": self.secret("api_key", endpoint), "Accept": "application/json"}

    async def _paged(self, path: str, endpoint: str) -> AsyncIterator[list[EverflowOffer]]:
        page_no, seen = 1, 0
        while self.pages_left(page_no):
            resp = await self.call("GET", self.url(path), endpoint=endpoint, headers=self._headers(endpoint),
                                   params={"page": str(page_no), "page_size": str(self.cfg.page_size)})
            body = self.json(resp, endpoint)
            if not isinstance(body, dict) or not isinstance(body.get("offers"), list) or not isinstance(body.get("paging"), dict):
                raise MalformedResponse(self.name, endpoint, "expected {offers: [...], paging: {page, page_size, total_count}}")
            page = parse_records(EverflowOffer, body["offers"], self.name, endpoint)
            total = as_float(body["paging"].get("total_count"))
            if page:
                yield page
            seen += len(page)
            if not page or total is None or seen >= total:
                return
            page_no += 1

    def iter_programs(self, relationship: str | None = None) -> AsyncIterator[list[EverflowOffer]]:
        return self._paged("/v1/affiliates/offersrunnable", "offersrunnable")

    def iter_offers(self) -> AsyncIterator[list[EverflowOffer]]:
        return self._paged("/v1/affiliates/alloffers", "alloffers")

    async def program(self, program_id: str) -> EverflowOffer:
        ep = "offers/{id}"
        resp = await self.call("GET", self.url(f"/v1/affiliates/offers/{program_id}"), endpoint=ep, headers=self._headers(ep))
        return EverflowOffer.from_raw(self.json(resp, ep), self.name, ep)

    async def performance(self, start: dt.date, end: dt.date) -> list[PerformanceRow]:
        ep = "reporting/entity"
        body = {"from": start.isoformat(), "to": end.isoformat(), "timezone_id": 67, "currency_id": "USD",
                "columns": [{"column": "offer"}, {"column": "date"}], "query": {"filters": []}}
        resp = await self.call("POST", self.url("/v1/affiliates/reporting/entity"), endpoint=ep,
                               headers=self._headers(ep), json_body=body)
        doc = self.json(resp, ep)
        events = []
        try:
            for row in doc["table"]:
                cols = {c["column_type"]: c for c in row["columns"]}
                rep = row["reporting"]
                day = cols["date"].get("label") or cols["date"]["id"]
                day = (dt.datetime.fromtimestamp(int(day), dt.timezone.utc).date() if str(day).isdigit()
                       else dt.date.fromisoformat(str(day)[:10]))
                events.append({"date": day, "program_source_id": cols["offer"]["id"], "program_name": cols["offer"].get("label"),
                               "clicks": as_float(rep.get("total_click")), "conversions": as_float(rep.get("cv")),
                               "commission": as_float(rep.get("revenue")), "revenue": as_float(rep.get("sales_amount")),
                               "currency": "USD"})
        except (KeyError, TypeError, ValueError) as exc:
            raise MalformedResponse(self.name, ep, f"unexpected report shape ({type(exc).__name__}: {exc})") from None
        return aggregate_performance(self.name, self.account, events)

    @classmethod
    def to_listing(cls, raw: dict[str, Any], fetched_at: dt.datetime | None = None) -> Listing:
        o = EverflowOffer.model_validate(raw)
        rel = raw.get("relationship") or {}
        status = rel.get("offer_affiliate_status") if isinstance(rel, dict) else None
        tags = [f"relationship:{status}"] if status else []
        if o.offer_status:
            tags.append(f"status:{o.offer_status}")
        approval = {"public": Approval.AUTO, "require_approval": Approval.MANUAL, "private": Approval.INVITE}.get(
            str(raw.get("visibility") or "").lower(), Approval.UNKNOWN)
        return Listing(
            source=cls.name, source_id=o.network_offer_id, name=o.name, url=o.preview_url, merchant_url=o.preview_url,
            merchant_domain=merchant_domain(o.preview_url), network=cls.name, description=html_text(o.html_description),
            fetched_at=fetched_at or dt.datetime.now(dt.timezone.utc), commission=everflow_commission(raw),
            approval=approval, tags=tags, raw=raw,
        )

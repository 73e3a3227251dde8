"""Awin publisher API (JSON, `Authorization: Bearer <api_token>`, 20 requests/minute).

Credentials: awin/ACCOUNT/api_token and awin/ACCOUNT/publisher_id.
Endpoints: /publishers/{id}/programmes?relationship=, /programmedetails?advertiserId=,
/commissiongroups?advertiserId=, /transactions/ (performance; Awin caps a query at 31 days).
`programmes` is one unpaged array. With `fetch_details: true` each programme gets one
`programmedetails` call (KPIs: EPC, approval %, commission range) stored under raw["_details"].
"""

from __future__ import annotations

import datetime as dt
from typing import Any, AsyncIterator

from pydantic import BaseModel, ConfigDict

from matrix.models import Approval, Listing, PerformanceRow
from matrix.networks.base import ApiRecord, NetworkClient, aggregate_performance, as_float, parse_records
from matrix.networks.errors import MalformedResponse
from matrix.normalize.commission import parse_commission
from matrix.normalize.domain import merchant_domain


class _Loose(BaseModel):
    model_config = ConfigDict(extra="allow")


class AwinRegion(_Loose):
    name: str | None = None
    countryCode: str | None = None


class AwinDomain(_Loose):
    domain: str


class AwinProgramme(ApiRecord):
    id: int
    name: str
    displayUrl: str | None = None
    clickThroughUrl: str | None = None
    logoUrl: str | None = None
    currencyCode: str | None = None
    primaryRegion: AwinRegion | None = None
    validDomains: list[AwinDomain] = []


class AwinKpi(_Loose):
    averagePaymentTime: float | None = None
    approvalPercentage: float | None = None
    epc: float | None = None
    conversionRate: float | None = None
    validationDays: float | None = None
    awinIndex: float | None = None


class AwinCommissionRange(_Loose):
    min: float | None = None
    max: float | None = None
    type: str


class AwinDetails(ApiRecord):
    programmeInfo: AwinProgramme
    kpi: AwinKpi | None = None
    commissionRange: list[AwinCommissionRange] = []


class AwinCommissionGroup(ApiRecord):
    groupId: int | None = None
    groupCode: str | None = None
    groupName: str | None = None
    type: str
    amount: float | None = None
    percentage: float | None = None
    currency: str | None = None


class AwinTransaction(ApiRecord):
    id: int
    advertiserId: int
    transactionDate: str
    commissionAmount: dict[str, Any]
    saleAmount: dict[str, Any] | None = None


def commission_text(ranges: list[dict[str, Any]], currency: str | None) -> str | None:
    """commissionRange [{min,max,type: percentage|fix}] -> '3% - 8% or 5 EUR' for parse_commission."""
    parts = []
    for r in ranges:
        lo, hi = as_float(r.get("min")), as_float(r.get("max"))
        if lo is None and hi is None:
            continue
        span = f"{lo:g}" if hi is None or hi == lo else (f"{hi:g}" if lo is None else f"{lo:g} - {hi:g}")
        if str(r.get("type", "")).lower().startswith("perc"):
            parts.append(f"{span}%" if " - " not in span else span.replace(" - ", "% - ") + "%")
        else:
            parts.append(f"{span} {currency or ''}".strip())
    return " or ".join(parts) or None


class AwinClient(NetworkClient):
    name = "awin"
    credential_kinds = ("api_token", "publisher_id")
    probe_kind = "api_token"

    def _headers(self, endpoint: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.secret('api_token', endpoint)}", "Accept": "application/json"}

    def _pub(self, endpoint: str) -> str:
        return self.secret("publisher_id", endpoint)

    async def _get(self, path: str, endpoint: str, params: dict[str, Any] | None = None) -> Any:
        url = self.url(f"/publishers/{self._pub(endpoint)}/{path}")
        resp = await self.call("GET", url, endpoint=endpoint, params=params, headers=self._headers(endpoint))
        return self.json(resp, endpoint)

    async def iter_programs(self, relationship: str | None = None) -> AsyncIterator[list[AwinProgramme]]:
        ep = "programmes"
        rel = relationship or self.cfg.relationship
        body = await self._get("programmes", ep, {"relationship": rel} if rel else None)
        if not isinstance(body, list):
            raise MalformedResponse(self.name, ep, f"expected a JSON array of programmes, got {type(body).__name__}")
        page = parse_records(AwinProgramme, body, self.name, ep)
        for rec in page:
            if rel:
                rec.raw.setdefault("_relationship", rel)
        if self.cfg.fetch_details:
            for i, rec in enumerate(page):
                try:
                    details = await self.program(str(rec.id))
                except Exception as exc:
                    if hasattr(exc, "partial"):
                        exc.partial = page[:i]
                    raise
                rec.raw["_details"] = {k: v for k, v in details.raw.items() if k != "programmeInfo"}
        yield page

    async def program(self, program_id: str) -> AwinDetails:
        ep = "programmedetails"
        body = await self._get("programmedetails", ep, {"advertiserId": program_id})
        return AwinDetails.from_raw(body, self.name, ep)

    async def commission_groups(self, program_id: str) -> list[AwinCommissionGroup]:
        ep = "commissiongroups"
        body = await self._get("commissiongroups", ep, {"advertiserId": program_id})
        groups = body.get("commissionGroups") if isinstance(body, dict) else None
        if not isinstance(groups, list):
            raise MalformedResponse(self.name, ep, "expected an object with a 'commissionGroups' array")
        return parse_records(AwinCommissionGroup, groups, self.name, ep)

    async def performance(self, start: dt.date, end: dt.date) -> list[PerformanceRow]:
        from matrix.networks.base import date_windows

        ep = "transactions"
        events: list[dict[str, Any]] = []
        for lo, hi in date_windows(start, end, 31):
            body = await self._get("transactions/", ep, {
                "startDate": f"{lo.isoformat()}T00:00:00", "endDate": f"{hi.isoformat()}T23:59:59", "timezone": "UTC"})
            if not isinstance(body, list):
                raise MalformedResponse(self.name, ep, "expected a JSON array of transactions")
            for tx in parse_records(AwinTransaction, body, self.name, ep):
                sale = tx.saleAmount or {}
                events.append({
                    "date": dt.date.fromisoformat(tx.transactionDate[:10]), "program_source_id": tx.advertiserId,
                    "program_name": tx.raw.get("advertiserName"), "clicks": None, "conversions": 1.0,
                    "commission": as_float(tx.commissionAmount.get("amount")), "revenue": as_float(sale.get("amount")),
                    "currency": tx.commissionAmount.get("currency") or sale.get("currency"),
                })
        return aggregate_performance(self.name, self.account, events)

    @classmethod
    def to_listing(cls, raw: dict[str, Any], fetched_at: dt.datetime | None = None) -> Listing:
        p = AwinProgramme.model_validate(raw)
        details = raw.get("_details") or {}
        kpi = details.get("kpi") or {}
        text = commission_text(details.get("commissionRange") or [], p.currencyCode)
        commission = parse_commission(text, currency_hint=p.currencyCode)
        domains = [merchant_domain(d.domain) for d in p.validDomains]
        domain = next((d for d in domains if d), None) or merchant_domain(p.displayUrl)
        geo = [p.primaryRegion.countryCode.upper()] if p.primaryRegion and p.primaryRegion.countryCode else []
        rel = raw.get("_relationship")
        approval_pct = as_float(kpi.get("approvalPercentage"))
        return Listing(
            source=cls.name, source_id=str(p.id), name=p.name, url=p.displayUrl, merchant_url=p.displayUrl,
            merchant_domain=domain, network=cls.name, fetched_at=fetched_at or dt.datetime.now(dt.timezone.utc),
            commission=commission, geo_allowed=geo, epc=as_float(kpi.get("epc")),
            approval=Approval.UNKNOWN,  # Awin's approvalPercentage is about transactions, not joining
            tags=[t for t in (f"relationship:{rel}" if rel else None,
                              f"approval_rate:{approval_pct:g}" if approval_pct is not None else None) if t],
            raw=raw,
        )

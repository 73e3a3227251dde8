"""CJ (Commission Junction): XML advertiser lookup + GraphQL commission detail for performance.

Credentials: cj/ACCOUNT/api_token (personal access token, `Authorization: Bearer`) and
cj/ACCOUNT/requestor_cid (the publisher company id, sent as `requestor-cid`).
Advertiser lookup: GET {base_url}/v2/advertiser-lookup?advertiser-ids=joined|notjoined|CIDs
&page-number=&records-per-page=(<=100); errors come as `<cj-api><error-message>`.
Performance: POST {report_url}/query (publisherCommissions), paged by sinceCommissionId.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, AsyncIterator
from xml.etree import ElementTree as ET

from pydantic import Field

from matrix.config import ConfigError
from matrix.models import Commission, CommissionModel, Listing, PerformanceRow
from matrix.networks.base import ApiRecord, NetworkClient, aggregate_performance, as_float, parse_records
from matrix.networks.errors import MalformedResponse, NotSupported
from matrix.normalize.commission import parse_commission
from matrix.normalize.domain import merchant_domain

MAX_PAGE = 100
_AUTH_WORDS = ("not authenticated", "not authorized", "unauthorized", "invalid token", "requestor-cid", "access denied")


def xml_to_obj(el: ET.Element) -> Any:
    """Element -> dict (children by tag, a repeated tag becomes a list, attributes as '@name'),
    or its text when it is a leaf."""
    children = list(el)
    if not children and not el.attrib:
        return (el.text or "").strip() or None
    out: dict[str, Any] = {f"@{k}": v for k, v in el.attrib.items()}
    lists: set[str] = set()
    for child in children:
        val = xml_to_obj(child)
        if child.tag not in out:
            out[child.tag] = val
        elif child.tag in lists:
            out[child.tag].append(val)
        else:
            out[child.tag] = [out[child.tag], val]
            lists.add(child.tag)
    if not children and el.text and el.text.strip():
        out["#text"] = el.text.strip()
    return out


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


class CjCategory(ApiRecord):
    parent: str | None = None
    child: str | None = None


class CjAdvertiser(ApiRecord):
    advertiser_id: str = Field(alias="advertiser-id")
    advertiser_name: str = Field(alias="advertiser-name")
    account_status: str | None = Field(default=None, alias="account-status")
    seven_day_epc: str | None = Field(default=None, alias="seven-day-epc")
    three_month_epc: str | None = Field(default=None, alias="three-month-epc")
    program_url: str | None = Field(default=None, alias="program-url")
    relationship_status: str | None = Field(default=None, alias="relationship-status")
    network_rank: str | None = Field(default=None, alias="network-rank")
    primary_category: CjCategory | None = Field(default=None, alias="primary-category")
    actions: Any = None


def action_commissions(raw: dict[str, Any]) -> list[tuple[str | None, str]]:
    """[(action type, default commission text)] from actions/action/commission/default."""
    out = []
    actions = raw.get("actions") or {}
    # XML gives {"action": one-or-list}; a JSON re-serialisation may hold the list directly
    for action in as_list(actions.get("action") if isinstance(actions, dict) else actions):
        if not isinstance(action, dict):
            continue
        com = action.get("commission") or {}
        default = com.get("default") if isinstance(com, dict) else com
        if isinstance(default, dict):
            default = default.get("#text")
        if default:
            out.append((action.get("type"), str(default)))
    return out


def merge_commissions(parts: list[Commission]) -> Commission:
    """Several actions ('8.00%' sale, 'USD 5.00' lead) -> one Commission spanning them."""
    known = [c for c in parts if c.model.value != "unknown"]
    if not known:
        return parts[0] if parts else Commission()
    if len(known) == 1:
        return known[0]
    pcts = [v for c in known for v in (c.percent_min, c.percent_max) if v is not None]
    flats = [v for c in known for v in (c.flat_min, c.flat_max) if v is not None]
    model = CommissionModel.HYBRID if pcts and flats else (CommissionModel.PERCENT if pcts else CommissionModel.FLAT)
    return Commission(model=model, percent_min=min(pcts) if pcts else None, percent_max=max(pcts) if pcts else None,
                      flat_min=min(flats) if flats else None, flat_max=max(flats) if flats else None,
                      currency=next((c.currency for c in known if c.currency), None),
                      payout_type=known[0].payout_type, raw=" | ".join(c.raw or "" for c in known))


class CjClient(NetworkClient):
    name = "cj"
    credential_kinds = ("api_token", "requestor_cid")
    probe_kind = "api_token"

    def validate_config(self) -> None:
        if self.cfg.page_size > MAX_PAGE:
            raise ConfigError(f"networks.cj.page_size = {self.cfg.page_size}: CJ allows records-per-page <= {MAX_PAGE}")

    def _parse_xml(self, text: str, endpoint: str) -> ET.Element:
        if "<!DOCTYPE" in text[:500] or "<!ENTITY" in text[:2000]:
            raise MalformedResponse(self.name, endpoint, "XML with a DOCTYPE/ENTITY declaration refused")
        try:
            root = ET.fromstring(text)
        except ET.ParseError as exc:
            raise MalformedResponse(self.name, endpoint, f"body is not well-formed XML ({exc})") from None
        err = root.find("error-message")
        if err is not None:
            msg = (err.text or "").strip()
            if any(w in msg.lower() for w in _AUTH_WORDS):
                raise self.reject(endpoint, msg)
            raise MalformedResponse(self.name, endpoint, f"CJ error: {msg}")
        return root

    async def _lookup(self, ids: str, page_no: int, endpoint: str, keywords: str | None = None) -> tuple[list[CjAdvertiser], int]:
        params = {"requestor-cid": self.secret("requestor_cid", endpoint), "advertiser-ids": ids,
                  "page-number": str(page_no), "records-per-page": str(self.cfg.page_size)}
        if keywords:
            params["keywords"] = keywords
        resp = await self.call("GET", self.url("/v2/advertiser-lookup"), endpoint=endpoint, params=params,
                               headers={"Authorization": f"Bearer {self.secret('api_token', endpoint)}"})
        root = self._parse_xml(resp.text, endpoint)
        advs = root.find("advertisers")
        if advs is None:
            raise MalformedResponse(self.name, endpoint, "no <advertisers> element")
        try:
            total = int(advs.get("total-matched", "0"))
        except ValueError:
            raise MalformedResponse(
                self.name, endpoint, f"total-matched is not a number: {advs.get('total-matched')!r}"
            ) from None
        records = [xml_to_obj(a) for a in advs.findall("advertiser")]
        return parse_records(CjAdvertiser, records, self.name, endpoint), total

    async def iter_programs(self, relationship: str | None = None,
                            keywords: str | None = None) -> AsyncIterator[list[CjAdvertiser]]:
        ep = "advertiser-lookup"
        ids = relationship or self.cfg.relationship or "joined"
        page_no, seen = 1, 0
        while self.pages_left(page_no):
            page, total = await self._lookup(ids, page_no, ep, keywords)
            if not page:
                return
            seen += len(page)
            yield page
            if seen >= total:
                return
            page_no += 1

    async def program(self, program_id: str) -> CjAdvertiser:
        page, _ = await self._lookup(program_id, 1, "advertiser-lookup")
        if not page:
            raise MalformedResponse(self.name, "advertiser-lookup", f"advertiser {program_id} not found")
        return page[0]

    async def performance(self, start: dt.date, end: dt.date) -> list[PerformanceRow]:
        ep = "publisherCommissions"
        if not self.cfg.report_url:
            raise NotSupported(self.name, ep, "networks.cj.report_url is not set")
        cid = self.secret("requestor_cid", ep)
        since_id: str | None = None
        events: list[dict[str, Any]] = []
        for _ in range(10_000):  # bounded: each round moves sinceCommissionId forward
            args = (f'forPublishers: ["{cid}"], sincePostingDate: "{start.isoformat()}T00:00:00Z", '
                    f'beforePostingDate: "{(end + dt.timedelta(days=1)).isoformat()}T00:00:00Z"')
            if since_id:
                args += f', sinceCommissionId: "{since_id}"'
            query = ("{ publisherCommissions(" + args + ") { count payloadComplete maxCommissionId records "
                     "{ commissionId advertiserId advertiserName postingDate pubCommissionAmountUsd saleAmountUsd } } }")
            resp = await self.call("POST", self.url("/query", self.cfg.report_url), endpoint=ep, json_body={"query": query},
                                   headers={"Authorization": f"Bearer {self.secret('api_token', ep)}"})
            body = self.json(resp, ep)
            if isinstance(body, dict) and body.get("errors"):
                raise MalformedResponse(self.name, ep, f"GraphQL error: {json.dumps(body['errors'])[:200]}")
            pc = ((body or {}).get("data") or {}).get("publisherCommissions") if isinstance(body, dict) else None
            if not isinstance(pc, dict) or not isinstance(pc.get("records"), list):
                raise MalformedResponse(self.name, ep, "expected data.publisherCommissions.records")
            for r in pc["records"]:
                if not isinstance(r, dict) or "advertiserId" not in r or "postingDate" not in r:
                    raise MalformedResponse(self.name, ep, "commission record lacks advertiserId/postingDate")
                events.append({"date": dt.date.fromisoformat(str(r["postingDate"])[:10]), "program_source_id": r["advertiserId"],
                               "program_name": r.get("advertiserName"), "clicks": None, "conversions": 1.0,
                               "commission": as_float(r.get("pubCommissionAmountUsd")),
                               "revenue": as_float(r.get("saleAmountUsd")), "currency": "USD"})
            if pc.get("payloadComplete", True) or not pc.get("maxCommissionId") or pc.get("maxCommissionId") == since_id:
                break
            since_id = str(pc["maxCommissionId"])
        return aggregate_performance(self.name, self.account, events)

    @classmethod
    def to_listing(cls, raw: dict[str, Any], fetched_at: dt.datetime | None = None) -> Listing:
        a = CjAdvertiser.model_validate(raw)
        commission = merge_commissions([parse_commission(text, kind_hint=kind) for kind, text in action_commissions(raw)])
        cat = a.primary_category
        categories = [c for c in ((cat.parent, cat.child) if cat else ()) if c]
        epc = as_float(a.three_month_epc)
        if epc is None:
            epc = as_float(a.seven_day_epc)
        tags = [f"relationship:{a.relationship_status.lower()}"] if a.relationship_status else []
        if a.account_status:
            tags.append(f"account_status:{a.account_status.lower()}")
        if a.network_rank:
            tags.append(f"network_rank:{a.network_rank}")
        return Listing(
            source=cls.name, source_id=a.advertiser_id, name=a.advertiser_name, url=a.program_url, merchant_url=a.program_url,
            merchant_domain=merchant_domain(a.program_url), network=cls.name,
            fetched_at=fetched_at or dt.datetime.now(dt.timezone.utc), categories=categories,
            commission=commission, epc=epc, tags=tags, raw=raw,
        )

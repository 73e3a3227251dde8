"""TUNE / HasOffers affiliate API v3 (`api_key` query parameter).

Credential: tune/ACCOUNT/api_key. base_url is the network's own host
(https://NETWORK_ID.api.hasoffers.com). Offers: GET /Apiv3/json?Target=Affiliate_Offer&Method=findAll
with fields[], filters[...], contain[], limit, page. Envelope {response:{status, errorMessage, data}}:
without paging `data` is keyed by offer id; with paging it is {page, pageCount, count, data:{...}}.
Both shapes are handled. Bad keys come back as HTTP 200 with status -1: mapped to a credential
error like a 401. Performance: Target=Affiliate_Report&Method=getStats.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, AsyncIterator

from matrix.models import Approval, Commission, CommissionModel, Listing, PayoutType, PerformanceRow
from matrix.networks.base import ApiRecord, NetworkClient, aggregate_performance, as_bool, as_float, parse_records
from matrix.networks.errors import MalformedResponse
from matrix.normalize.domain import merchant_domain

OFFER_FIELDS = ["id", "name", "description", "default_payout", "percent_payout", "payout_type", "currency",
                "preview_url", "require_approval", "expiration_date", "status"]
_AUTH_WORDS = ("api key", "api_key", "authenticat", "unauthorized", "not allowed", "permission")
_PAYOUT = {"cpa_flat": PayoutType.CPA, "cpa_percentage": PayoutType.CPS, "cpa_both": PayoutType.CPA,
           "cpc": PayoutType.CPC, "cpm": PayoutType.CPM}


class TuneOffer(ApiRecord):
    id: str
    name: str
    description: str | None = None
    default_payout: str | None = None
    percent_payout: str | None = None
    payout_type: str | None = None
    currency: str | None = None
    preview_url: str | None = None
    require_approval: str | None = None
    expiration_date: str | None = None
    status: str | None = None


def tune_commission(o: dict[str, Any]) -> Commission:
    """payout_type decides which of default_payout (flat) / percent_payout counts; 0 payouts the
    network did not fill for that type stay unknown."""
    kind = str(o.get("payout_type") or "").lower()
    flat, pct = as_float(o.get("default_payout")), as_float(o.get("percent_payout"))
    currency = (o.get("currency") or None)
    c = Commission(payout_type=_PAYOUT.get(kind, PayoutType.UNKNOWN),
                   raw=f"{kind} default_payout={o.get('default_payout')} percent_payout={o.get('percent_payout')}")
    use_flat = kind in {"cpa_flat", "cpa_both", "cpc", "cpm"} and flat is not None
    use_pct = kind in {"cpa_percentage", "cpa_both"} and pct is not None
    if use_flat:
        c.flat_min = c.flat_max = flat
        c.currency = currency.upper() if currency else None
    if use_pct:
        c.percent_min = c.percent_max = pct
    c.model = (CommissionModel.HYBRID if use_flat and use_pct else CommissionModel.FLAT if use_flat
               else CommissionModel.PERCENT if use_pct else CommissionModel.UNKNOWN)
    return c


class TuneClient(NetworkClient):
    name = "tune"
    credential_kinds = ("api_key",)
    probe_kind = "api_key"

    async def _api(self, target: str, method: str, endpoint: str, params: list[tuple[str, str]]) -> Any:
        query = [("api_key", self.secret("api_key", endpoint)), ("Target", target), ("Method", method), *params]
        resp = await self.call("GET", self.url("/Apiv3/json"), endpoint=endpoint, params=query)
        body = self.json(resp, endpoint)
        r = body.get("response") if isinstance(body, dict) else None
        if not isinstance(r, dict) or "status" not in r:
            raise MalformedResponse(self.name, endpoint, "expected the {response:{status, data}} envelope")
        if str(r.get("status")) != "1":
            msg = str(r.get("errorMessage") or r.get("errors") or "status != 1")
            if any(w in msg.lower() for w in _AUTH_WORDS):
                raise self.reject(endpoint, msg)
            raise MalformedResponse(self.name, endpoint, f"API error: {msg[:200]}")
        return r.get("data")

    @staticmethod
    def _unwrap(data: Any, model_key: str) -> tuple[list[Any], int | None]:
        """(records, pageCount or None) from either data shape."""
        page_count = None
        if isinstance(data, dict) and "pageCount" in data and "data" in data:
            page_count = int(data.get("pageCount") or 0)
            data = data["data"]
        if isinstance(data, dict):
            items = list(data.values())
        elif isinstance(data, list):
            items = data
        else:
            raise ValueError("data is neither an object nor a list")
        return [i.get(model_key, i) if isinstance(i, dict) else i for i in items], page_count

    async def iter_programs(self, relationship: str | None = None) -> AsyncIterator[list[TuneOffer]]:
        ep = "Affiliate_Offer.findAll"
        page_no = 1
        while self.pages_left(page_no):
            params = [("fields[]", f) for f in OFFER_FIELDS] + [("limit", str(self.cfg.page_size)), ("page", str(page_no))]
            status = relationship or self.cfg.relationship
            if status:
                params.append(("filters[status]", status))
            data = await self._api("Affiliate_Offer", "findAll", ep, params)
            try:
                items, page_count = self._unwrap(data, "Offer")
            except (ValueError, TypeError) as exc:
                raise MalformedResponse(self.name, ep, str(exc)) from None
            page = parse_records(TuneOffer, items, self.name, ep)
            if page:
                yield page
            if page_count is None or page_no >= page_count or not page:
                return
            page_no += 1

    def iter_offers(self) -> AsyncIterator[list[TuneOffer]]:
        return self.iter_programs()

    async def program(self, program_id: str) -> TuneOffer:
        ep = "Affiliate_Offer.findById"
        data = await self._api("Affiliate_Offer", "findById", ep, [("id", program_id)])
        rec = data.get("Offer", data) if isinstance(data, dict) else data
        return TuneOffer.from_raw(rec, self.name, ep)

    async def performance(self, start: dt.date, end: dt.date) -> list[PerformanceRow]:
        ep = "Affiliate_Report.getStats"
        events: list[dict[str, Any]] = []
        fields = ["Stat.date", "Stat.offer_id", "Offer.name", "Stat.clicks", "Stat.conversions", "Stat.payout",
                  "Stat.sale_amount", "Stat.currency"]
        page_no = 1
        while self.pages_left(page_no):
            params = [("fields[]", f) for f in fields] + [
                ("groups[]", "Stat.date"), ("groups[]", "Stat.offer_id"),
                ("filters[Stat.date][conditional]", "BETWEEN"), ("filters[Stat.date][values][]", start.isoformat()),
                ("filters[Stat.date][values][]", end.isoformat()), ("limit", str(self.cfg.page_size)), ("page", str(page_no))]
            data = await self._api("Affiliate_Report", "getStats", ep, params)
            try:
                items, page_count = self._unwrap(data, "Stat")
                rows = data["data"] if isinstance(data, dict) and "data" in data else items
                rows = list(rows.values()) if isinstance(rows, dict) else rows
                for row in rows:
                    st, offer = row["Stat"], row.get("Offer") or {}
                    events.append({"date": dt.date.fromisoformat(st["date"][:10]), "program_source_id": st["offer_id"],
                                   "program_name": offer.get("name"), "clicks": as_float(st.get("clicks")),
                                   "conversions": as_float(st.get("conversions")), "commission": as_float(st.get("payout")),
                                   "revenue": as_float(st.get("sale_amount")), "currency": st.get("currency")})
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                raise MalformedResponse(self.name, ep, f"unexpected report row shape ({type(exc).__name__}: {exc})") from None
            if page_count is None or page_no >= page_count or not rows:
                break
            page_no += 1
        return aggregate_performance(self.name, self.account, events)

    @classmethod
    def to_listing(cls, raw: dict[str, Any], fetched_at: dt.datetime | None = None) -> Listing:
        o = TuneOffer.model_validate(raw)
        needs = as_bool(o.require_approval)
        tags = [f"status:{o.status}"] if o.status else []
        if o.expiration_date:
            tags.append(f"expires:{o.expiration_date[:10]}")
        return Listing(
            source=cls.name, source_id=o.id, name=o.name, url=o.preview_url, merchant_url=o.preview_url,
            merchant_domain=merchant_domain(o.preview_url), network=cls.name, description=o.description or None,
            fetched_at=fetched_at or dt.datetime.now(dt.timezone.utc), commission=tune_commission(raw),
            approval=Approval.UNKNOWN if needs is None else (Approval.MANUAL if needs else Approval.AUTO),
            tags=tags, raw=raw,
        )

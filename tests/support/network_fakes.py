"""Local fakes of the six network APIs on 127.0.0.1 (aiohttp), shaped as the issue documents.

One server, one path prefix per network (/awin, /cj, /cjc for CJ commissions, /impact, /rakuten,
/tune, /everflow), run in a background thread with its own event loop so sync code (CLI, Ray
workers) and async tests can both call it. Each network checks the auth it requires (missing or
wrong -> rejected the way that network rejects), pages, and can be told to misbehave:

    fake.fail("everflow", "offersrunnable", Fault.throttle(retry_after=0.05))   # next call 429s
    fake.fail("impact", "Campaigns", Fault.malformed(), page=2)                  # page 2 truncated

Every request is logged in `fake.log` (network, endpoint, query, status) for assertions.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

from aiohttp import web

CREDS = {
    "awin": {"api_token": "awin-token-1234", "publisher_id": "55501"},
    "cj": {"api_token": "cj-pat-abcdef12", "requestor_cid": "7700123"},
    "impact": {"account_sid": "IRsid12345", "auth_token": "impact-auth-9876"},
    "rakuten": {"client_id": "rk-client-01", "client_secret": "rk-secret-02", "sid": "3300777"},
    "tune": {"api_key": "tune-key-55aa66bb"},
    "everflow": {"api_key": "eflow-key-77cc88dd"},
}


@dataclass
class Fault:
    status: int = 200
    body: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    truncate: bool = False  # announce a longer Content-Length than we send
    passthrough: bool = False  # send the real body, only adding status/headers

    @classmethod
    def window_spent(cls, reset: float) -> "Fault":
        """A normal page that says this rate-limit window has no requests left."""
        return cls(200, None, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": f"{reset:g}"}, passthrough=True)

    @classmethod
    def throttle(cls, retry_after: float | None = 0.05, reset: float | None = None) -> "Fault":
        h = {}
        if retry_after is not None:
            h["Retry-After"] = f"{retry_after:g}"
        if reset is not None:
            h["X-RateLimit-Remaining"], h["X-RateLimit-Reset"] = "0", f"{reset:g}"
        return cls(429, '{"error": "rate limited"}', h)

    @classmethod
    def server_error(cls, status: int = 503) -> "Fault":
        return cls(status, "upstream unavailable")

    @classmethod
    def malformed(cls) -> "Fault":
        return cls(200, None)  # body: the real page cut in half

    @classmethod
    def cut_connection(cls) -> "Fault":
        return cls(200, None, truncate=True)


def programs(network: str, n: int) -> list[dict[str, Any]]:
    """n records per network with every documented field plus one the docs do not mention."""
    out = []
    for i in range(1, n + 1):
        dom = f"{network}-shop{i}.com"
        extra = {"x_undocumented": f"{network}-extra-{i}"}
        if network == "awin":
            out.append({"id": 1000 + i, "name": f"Awin Shop {i}", "displayUrl": f"https://www.{dom}",
                        "clickThroughUrl": f"https://www.awin1.com/awclick.php?mid={1000 + i}", "logoUrl": f"https://ui.awin.com/logos/{i}.png",
                        "currencyCode": "GBP", "primaryRegion": {"name": "United Kingdom", "countryCode": "GB"},
                        "validDomains": [{"domain": dom}], **extra})
        elif network == "cj":
            out.append({"advertiser-id": str(2000 + i), "account-status": "Active", "seven-day-epc": "N/A" if i == 1 else f"{i * 0.5:.2f}",
                        "three-month-epc": "N/A" if i == 1 else f"{i * 0.4:.2f}", "advertiser-name": f"CJ Store {i}",
                        "program-url": f"http://www.{dom}", "relationship-status": "joined", "network-rank": str(i % 5 + 1),
                        "primary-category": {"parent": "Shopping", "child": "Apparel"},
                        "actions": [{"name": "Sale", "type": "advanced sale", "id": str(i), "commission": {"default": f"{i + 2}.00%"}},
                                    {"name": "Lead", "type": "lead", "id": str(100 + i), "commission": {"default": f"USD {i * 5}.00"}}],
                        **extra})
        elif network == "impact":
            out.append({"AdvertiserId": str(3000 + i), "AdvertiserName": f"Impact Brand {i}", "AdvertiserUrl": f"https://{dom}",
                        "CampaignId": str(3100 + i), "CampaignName": f"Impact Brand {i} US", "CampaignUrl": f"https://www.{dom}",
                        "CampaignDescription": f"Campaign {i}", "ShippingRegions": ["United States", "Europe"],
                        "ContractStatus": "Active", "TrackingLink": f"https://impact.pxf.io/c/{i}",
                        "AllowsDeeplinking": "true" if i % 2 else "false", "DeeplinkDomains": [dom], **extra})
        elif network == "rakuten":
            out.append({"id": 4000 + i, "name": f"Rakuten Merchant {i}", "url": f"https://www.{dom}",
                        "description": f"Merchant {i}", "categories": [{"id": 1, "name": "Home"}],
                        "network": {"id": 1, "name": "US"}, **extra})
        elif network == "tune":
            out.append({"id": str(5000 + i), "name": f"Tune Offer {i}", "description": f"Offer {i}",
                        "default_payout": f"{i * 2}.00", "percent_payout": "0.00" if i % 2 else f"{i}.00",
                        "payout_type": "cpa_flat" if i % 2 else "cpa_both", "currency": "USD" if i % 2 else None,
                        "preview_url": f"https://{dom}/landing", "require_approval": "1" if i % 2 else "0",
                        "expiration_date": "2030-12-31 23:59:59", "status": "active", **extra})
        elif network == "everflow":
            out.append({"network_offer_id": 6000 + i, "network_id": 1, "name": f"Everflow Offer {i}", "offer_status": "active",
                        "currency_id": "USD", "html_description": f"<p>Offer <b>{i}</b></p>", "preview_url": f"https://{dom}",
                        "tracking_url": f"https://trk.example.net/{i}", "visibility": "require_approval",
                        "relationship": {"offer_affiliate_status": "approved",
                                         "payouts": {"total": 1, "entries": [{"payout_type": "cpa", "payout_amount": float(i * 3), "payout_percentage": 0}]}},
                        **extra})
    return out


class FakeNetworks:
    """Start with `with FakeNetworks(records=5) as fake:`; `fake.url(network)` is its base_url."""

    def __init__(self, records: int = 5, token_ttl_s: float = 3600.0) -> None:
        self.records = {n: programs(n, records) for n in CREDS}
        self.creds = {n: dict(c) for n, c in CREDS.items()}
        self.faults: dict[tuple[str, str], list[tuple[int | None, Fault]]] = {}
        self.log: list[dict[str, Any]] = []
        self.token_ttl_s = token_ttl_s
        self.tokens: dict[str, float] = {}  # rakuten access token -> expiry (monotonic)
        self.transactions = 3  # per program, for performance endpoints
        self.tune_unpaged = False  # answer findAll in the unpaged shape (data keyed by offer id)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    # lifecycle ----------------------------------------------------------------------------
    def __enter__(self) -> "FakeNetworks":
        started = threading.Event()

        def run() -> None:
            self._loop = asyncio.new_event_loop()
            asyncio.set_event_loop(self._loop)
            self._loop.run_until_complete(self._start())
            started.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, daemon=True, name="fake-networks")
        self._thread.start()
        if not started.wait(10):
            raise RuntimeError("fake network server did not start")
        return self

    def __exit__(self, *exc: Any) -> None:
        assert self._loop is not None
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{network}/{tail:.*}", self._dispatch)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]

    def url(self, prefix: str) -> str:
        return f"http://127.0.0.1:{self.port}/{prefix}"

    def settings_overrides(self, **per_network: Any) -> dict[str, Any]:
        """A `networks` settings section pointing every client here, fast limits, small pages."""
        base = {"requests_per_second": 1000.0, "burst": 100, "page_size": 2, "backoff_base_s": 0.01,
                "backoff_max_s": 0.2, "max_retries": 3, "timeout_s": 5.0, "enabled": True}
        out = {n: {**base, "base_url": self.url(n)} for n in CREDS}
        out["cj"]["report_url"] = self.url("cjc")
        out["rakuten"]["auth_url"] = self.url("rakuten") + "/token"
        out["awin"]["relationship"] = "joined"
        for n, extra in per_network.items():
            out[n].update(extra)
        return out

    def fail(self, network: str, endpoint: str, fault: Fault, page: int | None = None, times: int = 1) -> None:
        self.faults.setdefault((network, endpoint), []).extend([(page, fault)] * times)

    def requests(self, network: str, endpoint: str | None = None) -> list[dict[str, Any]]:
        return [r for r in self.log if r["network"] == network and (endpoint is None or r["endpoint"] == endpoint)]

    # dispatch -------------------------------------------------------------------------------
    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        network = request.match_info["network"]
        tail = request.match_info["tail"]
        handler = getattr(self, f"_h_{network}", None)
        if handler is None:
            return web.Response(status=404, text="no such network")
        form = dict(await request.post()) if request.method == "POST" and request.content_type.startswith("application/x-www") else {}
        js = await request.json() if request.method == "POST" and request.content_type == "application/json" else None
        entry = {"network": network, "endpoint": None, "query": request.query, "method": request.method, "status": None}
        self.log.append(entry)
        resp = handler(request, tail, form, js, entry)
        entry["status"] = resp.status
        return resp

    def _fault(self, network: str, endpoint: str, page: int | None) -> Fault | None:
        queue = self.faults.get((network, endpoint)) or []
        for i, (want, fault) in enumerate(queue):
            if want is None or want == page:
                queue.pop(i)
                return fault
        return None

    def _reply(self, network: str, endpoint: str, page: int | None, body: str, content_type: str = "application/json",
               status: int = 200, headers: dict[str, str] | None = None) -> web.StreamResponse:
        fault = self._fault(network, endpoint, page)
        if fault is not None:
            if fault.truncate:
                return _Truncated(body)
            text = body if fault.passthrough else fault.body if fault.body is not None else body[: len(body) // 2]
            return web.Response(status=fault.status, text=text, headers=fault.headers, content_type=content_type)
        return web.Response(status=status, text=body, content_type=content_type, headers=headers or {})

    @staticmethod
    def _page(items: list[Any], page: int, size: int) -> list[Any]:
        return items[(page - 1) * size: page * size]

    # networks ----------------------------------------------------------------------------------
    def _h_awin(self, req, tail, form, js, entry):
        parts = tail.strip("/").split("/")  # publishers/{id}/{endpoint}
        entry["endpoint"] = ep = parts[2] if len(parts) >= 3 else tail
        auth = req.headers.get("Authorization")
        if auth is None:
            return web.json_response({"error": "unauthorized", "description": "Missing token"}, status=401)
        if auth != f"Bearer {self.creds['awin']['api_token']}" or parts[1] != self.creds["awin"]["publisher_id"]:
            return web.json_response({"error": "forbidden", "description": "Invalid token or publisher"}, status=403)
        if ep == "programmes":
            if req.query.get("relationship") not in (None, "joined", "notjoined", "pending", "suspended", "rejected"):
                return web.json_response({"error": "bad relationship"}, status=400)
            return self._reply("awin", ep, None, json.dumps(self.records["awin"]))
        if ep in ("programmedetails", "commissiongroups"):
            adv = int(req.query["advertiserId"])
            prog = next((p for p in self.records["awin"] if p["id"] == adv), None)
            if prog is None:
                return web.json_response({"error": "not found"}, status=404)
            i = adv - 1000
            if ep == "programmedetails":
                body = {"programmeInfo": prog, "kpi": {"averagePaymentTime": 30, "approvalPercentage": 90.5, "epc": 0.1 * i,
                                                       "conversionRate": 2.5, "validationDays": 30, "awinIndex": 1.2},
                        "commissionRange": [{"min": 2.0, "max": 2.0 + i, "type": "percentage"}, {"min": 5.0, "max": 5.0, "type": "fix"}]}
            else:
                body = {"advertiser": adv, "publisher": int(parts[1]), "commissionGroups": [
                    {"groupId": 1, "groupCode": "DEFAULT", "groupName": "Default", "type": "percentage", "percentage": 2.0 + i}]}
            return self._reply("awin", ep, None, json.dumps(body))
        if ep == "transactions":
            start = dt.date.fromisoformat(req.query["startDate"][:10])
            txs = []
            for p in self.records["awin"][:2]:
                for k in range(self.transactions):
                    txs.append({"id": p["id"] * 100 + k, "advertiserId": p["id"], "advertiserName": p["name"],
                                "transactionDate": f"{start.isoformat()}T10:0{k}:00", "commissionStatus": "pending",
                                "commissionAmount": {"amount": 1.5, "currency": "GBP"}, "saleAmount": {"amount": 30.0, "currency": "GBP"}})
            return self._reply("awin", ep, None, json.dumps(txs))
        return web.json_response({"error": "not found"}, status=404)

    def _h_cj(self, req, tail, form, js, entry):
        entry["endpoint"] = ep = "advertiser-lookup"
        err = '<?xml version="1.0" encoding="UTF-8"?><cj-api><error-message>{}</error-message></cj-api>'
        if req.headers.get("Authorization") != f"Bearer {self.creds['cj']['api_token']}":
            return web.Response(status=401, text=err.format("Not Authenticated: invalid or missing token"), content_type="application/xml")
        if req.query.get("requestor-cid") != self.creds["cj"]["requestor_cid"]:
            return web.Response(status=403, text=err.format("requestor-cid is not authorized"), content_type="application/xml")
        size = int(req.query.get("records-per-page", "25"))
        if size > 100:
            return web.Response(status=200, text=err.format("records-per-page must be at most 100"), content_type="application/xml")
        page = int(req.query.get("page-number", "1"))
        ids = req.query.get("advertiser-ids", "joined")
        items = self.records["cj"] if ids in ("joined", "notjoined") else [r for r in self.records["cj"] if r["advertiser-id"] in ids.split(",")]
        chunk = self._page(items, page, size)
        xml = ['<?xml version="1.0" encoding="UTF-8"?><cj-api>',
               f'<advertisers total-matched="{len(items)}" records-returned="{len(chunk)}" page-number="{page}">']
        for a in chunk:
            xml.append("<advertiser>" + _xml(a) + "</advertiser>")
        xml.append("</advertisers></cj-api>")
        return self._reply("cj", ep, page, "".join(xml), content_type="application/xml")

    def _h_cjc(self, req, tail, form, js, entry):
        entry["endpoint"] = ep = "query"
        if req.headers.get("Authorization") != f"Bearer {self.creds['cj']['api_token']}":
            return web.json_response({"errors": [{"message": "Not Authorized"}]}, status=401)
        q = (js or {}).get("query", "")
        since = "sinceCommissionId" in q
        day = q.split('sincePostingDate: "')[1][:10]
        recs = [{"commissionId": f"c{p['advertiser-id']}{k}{int(since)}", "advertiserId": p["advertiser-id"],
                 "advertiserName": p["advertiser-name"], "postingDate": f"{day}T08:00:00Z", "pubCommissionAmountUsd": "2.50",
                 "saleAmountUsd": "50.00"} for p in self.records["cj"][:2] for k in range(self.transactions)]
        body = {"data": {"publisherCommissions": {"count": len(recs), "payloadComplete": since, "maxCommissionId": "c999",
                                                  "records": recs}}}
        return self._reply("cj", ep, 2 if since else 1, json.dumps(body))

    def _h_impact(self, req, tail, form, js, entry):
        parts = tail.strip("/").split("/")  # Mediapartners/{sid}/Campaigns|Actions[/id]
        entry["endpoint"] = ep = parts[2] if len(parts) >= 3 else tail
        c = self.creds["impact"]
        expected = "Basic " + base64.b64encode(f"{c['account_sid']}:{c['auth_token']}".encode()).decode()
        if req.headers.get("Authorization") != expected or parts[1] != c["account_sid"]:
            return web.json_response({"Status": "ERROR", "Message": "Authentication failed"}, status=401,
                                     headers={"WWW-Authenticate": 'Basic realm="impact"'})
        headers = {"X-RateLimit-Limit": "1000", "X-RateLimit-Remaining": "998", "X-RateLimit-Reset": "3600"}
        if "application/json" not in req.headers.get("Accept", ""):
            return web.Response(text="<ImpactRadiusResponse/>", content_type="application/xml")
        if len(parts) == 4:
            rec = next((r for r in self.records["impact"] if r["CampaignId"] == parts[3]), None)
            return web.json_response(rec) if rec else web.json_response({"Message": "not found"}, status=404)
        size, page = int(req.query.get("PageSize", "100")), int(req.query.get("Page", "1"))
        items = self.records["impact"] if ep == "Campaigns" else [
            {"Id": f"a{r['CampaignId']}{k}", "CampaignId": r["CampaignId"], "CampaignName": r["CampaignName"],
             "EventDate": req.query["ActionDateStart"][:10] + "T12:00:00-08:00", "Amount": "40.00", "Payout": "4.00",
             "Currency": "USD", "State": "PENDING"} for r in self.records["impact"][:2] for k in range(self.transactions)]
        chunk = self._page(items, page, size)
        pages = max(1, -(-len(items) // size))
        uri = f"/Mediapartners/{parts[1]}/{ep}"
        body = {"@page": str(page), "@numpages": str(pages), "@pagesize": str(size), "@total": str(len(items)),
                "@start": str((page - 1) * size), "@end": str((page - 1) * size + len(chunk) - 1), "@uri": uri,
                "@firstpageuri": f"{uri}?PageSize={size}&Page=1",
                "@previouspageuri": f"{uri}?PageSize={size}&Page={page - 1}" if page > 1 else "",
                "@nextpageuri": f"{uri}?PageSize={size}&Page={page + 1}" + (
                    f"&ActionDateStart={req.query['ActionDateStart']}" if ep == "Actions" else "") if page < pages else "",
                "@lastpageuri": f"{uri}?PageSize={size}&Page={pages}", ep: chunk}
        return self._reply("impact", ep, page, json.dumps(body), headers=headers)

    def _h_rakuten(self, req, tail, form, js, entry):
        path = "/" + tail.strip("/")
        c = self.creds["rakuten"]
        if path == "/token":
            entry["endpoint"] = "token"
            basic = base64.b64encode(f"{c['client_id']}:{c['client_secret']}".encode()).decode()
            if req.headers.get("Authorization") != f"Bearer {basic}":
                return web.json_response({"error": "invalid_client"}, status=401)
            if form.get("scope") != c["sid"] or form.get("grant_type") != "client_credentials":
                return web.json_response({"error": "invalid_scope"}, status=400)
            token = f"rk-access-{len(self.tokens) + 1}"
            self.tokens[token] = time.monotonic() + self.token_ttl_s
            return self._reply("rakuten", "token", None, json.dumps(
                {"token_type": "bearer", "expires_in": self.token_ttl_s, "refresh_token": "r", "access_token": token}))
        auth = (req.headers.get("Authorization") or "").removeprefix("Bearer ")
        if self.tokens.get(auth, 0) < time.monotonic():
            entry["endpoint"] = path
            return web.json_response({"errors": [{"message": "Invalid or expired token"}]}, status=401)
        page, size = int(req.query.get("page", "1")), int(req.query.get("limit", "100"))
        if path == "/events/1.0/transactions":
            entry["endpoint"] = "events/transactions"
            day = req.query["process_date_start"][:10]
            items = [{"etransaction_id": f"e{r['id']}{k}", "advertiser_id": r["id"], "advertiser_name": r["name"],
                      "transaction_date": f"{day}T09:00:00", "process_date": f"{day}T10:00:00", "sale_amount": 20.0,
                      "commissions": 1.2, "currency": "USD", "quantity": 1} for r in self.records["rakuten"][:2]
                     for k in range(self.transactions)]
            return self._reply("rakuten", "events/transactions", page, json.dumps(self._page(items, page, size)))
        key = {"/v2/advertisers": "advertisers", "/v1/partnerships": "partnerships", "/v1/offers": "offers"}.get(path)
        if key is None and path.startswith("/v2/advertisers/"):
            entry["endpoint"] = "advertisers/{id}"
            rec = next((r for r in self.records["rakuten"] if str(r["id"]) == path.rsplit("/", 1)[1]), None)
            return web.json_response({"advertiser": rec}) if rec else web.json_response({}, status=404)
        if key is None:
            return web.json_response({"errors": [{"message": "not found"}]}, status=404)
        entry["endpoint"] = key
        if key == "advertisers":
            items = self.records["rakuten"]
        elif key == "partnerships":
            items = [{"advertiser": r, "status": "active", "approve_datetime": "2024-01-01T00:00:00Z"}
                     for r in self.records["rakuten"] if r["id"] % 2 == 1]
        else:
            items = [{"offer_id": f"o{r['id']}", "name": f"{r['name']} offer", "advertiser": {"id": r["id"], "name": r["name"]},
                      "commission_terms": [{"commission": "5%"}]} for r in self.records["rakuten"]]
        chunk = self._page(items, page, size)
        more = page * size < len(items)
        meta = {"page": page, "limit": size, "total": len(items),
                "_links": {"self": {"href": f"{path}?page={page}&limit={size}"},
                           **({"next": {"href": f"{path}?page={page + 1}&limit={size}" + (
                               f"&partner_status={req.query['partner_status']}" if key == "partnerships" else "")}} if more else {})}}
        return self._reply("rakuten", key, page, json.dumps({"_metadata": meta, key: chunk}))

    def _h_tune(self, req, tail, form, js, entry):
        target, method = req.query.get("Target"), req.query.get("Method")
        entry["endpoint"] = ep = f"{target}.{method}"
        if req.query.get("api_key") != self.creds["tune"]["api_key"]:
            return web.json_response({"request": dict(req.query) | {"api_key": "***"}, "response": {
                "status": -1, "httpStatus": 200, "data": "", "errors": [{"publicMessage": "Invalid API key"}],
                "errorMessage": "Invalid API key"}})
        limit, page = req.query.get("limit"), int(req.query.get("page", "1"))
        if ep == "Affiliate_Offer.findAll":
            fields = req.query.getall("fields[]", [])
            offers = [{k: v for k, v in o.items() if not fields or k in fields or k == "x_undocumented"} for o in self.records["tune"]]
            keyed = {o["id"]: {"Offer": o} for o in offers}
            if limit is None or self.tune_unpaged:
                data: Any = keyed
            else:
                size = int(limit)
                ids = list(keyed)[(page - 1) * size: page * size]
                data = {"page": page, "current": len(ids), "count": len(keyed), "pageCount": max(1, -(-len(keyed) // size)),
                        "data": {i: keyed[i] for i in ids}}
        elif ep == "Affiliate_Offer.findById":
            o = next((o for o in self.records["tune"] if o["id"] == req.query.get("id")), None)
            data = {"Offer": o}
        elif ep == "Affiliate_Report.getStats":
            day = req.query.getall("filters[Stat.date][values][]")[0]
            rows = [{"Stat": {"date": day, "offer_id": o["id"], "clicks": "100", "conversions": "4", "payout": "8.00",
                              "sale_amount": "80.00", "currency": "USD"}, "Offer": {"name": o["name"]}}
                    for o in self.records["tune"][:3]]
            size = int(limit or 100)
            data = {"page": page, "pageCount": max(1, -(-len(rows) // size)), "count": len(rows), "data": self._page(rows, page, size)}
        else:
            return web.json_response({"response": {"status": -1, "errorMessage": f"Unknown method {ep}", "data": ""}})
        body = {"request": {"Target": target, "Method": method}, "response": {"status": 1, "httpStatus": 200, "data": data,
                                                                               "errors": [], "errorMessage": None}}
        return self._reply("tune", ep, page, json.dumps(body))

    def _h_everflow(self, req, tail, form, js, entry):
        path = "/" + tail.strip("/")
        entry["endpoint"] = ep = path.rsplit("/", 1)[1] if not path.startswith("/v1/affiliates/offers/") else "offers/{id}"
        if req.headers.get("X-Eflow-API-Key") != self.creds["everflow"]["api_key"]:
            return web.json_response({"Error": "Unauthorized: invalid API key"}, status=401)
        if ep == "entity":
            entry["endpoint"] = ep = "reporting/entity"
            ts = int(dt.datetime.fromisoformat(js["from"]).replace(tzinfo=dt.timezone.utc).timestamp())
            table = [{"columns": [{"column_type": "offer", "id": str(o["network_offer_id"]), "label": o["name"]},
                                  {"column_type": "date", "id": str(ts), "label": ""}],
                      "reporting": {"total_click": 50, "unique_click": 40, "cv": 2, "revenue": 6.0, "sales_amount": 90.0}}
                     for o in self.records["everflow"][:2]]
            return self._reply("everflow", ep, None, json.dumps({"table": table}))
        if ep == "offers/{id}":
            o = next((o for o in self.records["everflow"] if str(o["network_offer_id"]) == path.rsplit("/", 1)[1]), None)
            return web.json_response(o) if o else web.json_response({"Error": "not found"}, status=404)
        size = int(req.query.get("page_size", "50"))
        if size > 2000:
            return web.json_response({"Error": "page_size must be <= 2000"}, status=400)
        page = int(req.query.get("page", "1"))
        items = self.records["everflow"]
        body = {"offers": self._page(items, page, size), "paging": {"page": page, "page_size": size, "total_count": len(items)}}
        return self._reply("everflow", ep, page, json.dumps(body))


def _xml(obj: Any) -> str:
    if isinstance(obj, dict):
        out = []
        for k, v in obj.items():
            if k == "actions":
                out.append("<actions>" + "".join(f"<action>{_xml(a)}</action>" for a in v) + "</actions>")
            else:
                out.append(f"<{k}>{_xml(v)}</{k}>")
        return "".join(out)
    return escape(str(obj))


class _Truncated(web.StreamResponse):
    """A 200 whose Content-Length promises more than is sent, then the connection closes."""

    def __init__(self, body: str) -> None:
        super().__init__(status=200, headers={"Content-Type": "application/json"})
        self._body_bytes = body.encode()
        self.content_length = len(self._body_bytes) + 500

    async def prepare(self, request):  # type: ignore[override]
        writer = await super().prepare(request)
        await self.write(self._body_bytes[: len(self._body_bytes) // 2])
        request.transport.close()
        return writer

"""Offer-aggregator JSON records as they really come, read one at a time.

Real offer APIs (OfferVault, HasOffers/TUNE, Everflow, Affise, Offerslook, CAKE exports ...) do not
agree on shapes, and one network's feed changes over time. What this module accepts:
- id: `id` | `offer_id` | `offerid`; name: `name` | `title` | `offer_name`;
- payout: number or string ("150.00", "$1.35", "1,250.00"), or an object {amount, currency};
  `payout_percent` / `percent_payout` for revshare; 0 / "0.00" means not stated (unknown);
- currency: `currency` | `payout_currency` | `currency_code`; missing = unknown, never assumed;
- payout type: `payout_type` | `type` | `payout_model` | `price_model` | `revenue_type` | `conversion_type`;
- countries: a list of codes, a list of objects ({"code": "US"} / {"country": "US"} / {"iso": ..} /
  {"name": "United States"}), {"allow": [...], "deny": [...]} or a comma string;
- categories: strings or objects with a name; a comma string;
- merchant link: `preview_url` | `landing_page_url` | `landing_page` | `offer_url` (never the
  `tracking_link`, which is the network's click tracker);
- network: by `network_id` in the networks map, or `network` as a string or {"name": ...}.
The network's own payout terms (minimum payout, payment methods, frequency) apply to each of its
offers that does not state its own. A record that cannot be read becomes an error record
(`{"id": ..., "_error": ...}`) so the page goes on and the caller counts and logs it by id.
"""

from __future__ import annotations

import re
from typing import Any, Iterable

from matrix.normalize.domain import merchant_domain, shared_hosts
from matrix.observability import get_logger

log = get_logger("matrix.sources.offers")

_ID_KEYS = ("id", "offer_id", "offerid", "offerId")
_NAME_KEYS = ("name", "title", "offer_name", "offerName")
_PAYOUT_KEYS = ("payout", "default_payout", "payout_amount", "revenue", "rate")
_PERCENT_KEYS = ("payout_percent", "percent_payout", "percent_revenue", "payout_percentage")
_CURRENCY_KEYS = ("currency", "payout_currency", "currency_code", "currency_id")
_TYPE_KEYS = ("payout_type", "type", "payout_model", "price_model", "pricing_model", "revenue_type", "conversion_type")
_LINK_KEYS = ("preview_url", "landing_page_url", "landing_page", "offer_url", "preview", "url")
_COUNTRY_KEYS = ("countries", "country", "geo", "geos", "geo_targets", "geo_targets_details", "targeting")
_CATEGORY_KEYS = ("categories", "category", "vertical", "verticals", "categories_details")


class MalformedRecord(ValueError):
    """A record that cannot be read at all (not an object, no id)."""


def first(o: dict[str, Any], keys: Iterable[str]) -> Any:
    for k in keys:
        v = o.get(k)
        if v not in (None, "", [], {}):
            return v
    return None


def _amount(v: Any) -> float | None:
    """150, "150.00", "$1.35", "1,250.00" -> float; None for missing, zero or unreadable."""
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, (int, float)):
        return float(v) if v > 0 else None
    s = str(v).strip()
    m = re.fullmatch(r"[^\d\-]{0,4}(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?\s*[A-Za-z]{0,3}", s)
    if not m:
        return None
    x = float(m.group(1).replace(",", "") + ("." + m.group(2) if m.group(2) else ""))
    return x if x > 0 else None


def _text_list(v: Any, keys: tuple[str, ...]) -> list[str]:
    """Strings, objects with one of `keys`, or a comma string -> list of strings."""
    if v is None:
        return []
    if isinstance(v, str):
        return [p.strip() for p in re.split(r"[,;|]", v) if p.strip()]
    if isinstance(v, dict):
        got = first(v, keys)
        return _text_list(got, keys) if got is not None else []
    if isinstance(v, (list, tuple)):
        out: list[str] = []
        for x in v:
            out.extend(_text_list(x, keys))
        return out
    return [str(v)]


def countries_text(v: Any) -> str | None:
    """Any countries shape -> "US, CA" / "Worldwide except RU" text for parse_geo."""
    code_keys = ("code", "country_code", "iso", "iso2", "alpha2", "country", "name", "country_name")
    if isinstance(v, dict) and any(k in v for k in ("allow", "deny", "include", "exclude")):
        allow = _text_list(v.get("allow") or v.get("include"), code_keys)
        deny = _text_list(v.get("deny") or v.get("exclude"), code_keys)
        if allow and deny:
            return ", ".join(allow) + " except " + ", ".join(deny)
        if deny:
            return "All except " + ", ".join(deny)
        return ", ".join(allow) or None
    if isinstance(v, dict) and "country" in v and isinstance(v["country"], dict):
        return countries_text(v["country"])
    return ", ".join(_text_list(v, code_keys)) or None


def network_terms(doc: Any) -> dict[str, dict[str, Any]]:
    """/api/networks -> {id: {name, payout_minimum, payout_methods, payout_frequency}}; bad entries skipped."""
    items = doc.get("networks") if isinstance(doc, dict) else doc
    out: dict[str, dict[str, Any]] = {}
    for n in items or []:
        try:
            nid = str(first(n, ("id", "network_id")))
            methods = first(n, ("payment_methods", "payout_methods", "payment_options", "payment_method"))
            out[nid] = {
                "name": first(n, ("name", "network_name", "title")),
                "payout_minimum": _str(first(n, ("minimum_payout", "min_payout", "minimum_payment", "payout_minimum",
                                                 "payment_threshold"))),
                "payout_methods": ", ".join(_text_list(methods, ("name", "method"))) or None,
                "payout_frequency": _str(first(n, ("payment_frequency", "payout_frequency", "payment_terms",
                                                   "payout_schedule"))),
            }
        except (AttributeError, TypeError) as exc:
            log.warning("unreadable network entry skipped", extra={"entry": str(n)[:200], "error": str(exc)})
    return out


def _str(v: Any) -> str | None:
    return None if v is None else str(v)


def record_from(o: Any, networks: dict[str, Any], detail_url: str) -> dict[str, Any]:
    """One offer object -> a raw record (fields as published, shapes unified). Raises MalformedRecord."""
    if not isinstance(o, dict):
        raise MalformedRecord(f"offer is a {type(o).__name__}, not an object")
    oid = first(o, _ID_KEYS)
    if oid is None or isinstance(oid, (dict, list)):
        raise MalformedRecord("offer has no id")
    payout_v = first(o, _PAYOUT_KEYS)
    currency = first(o, _CURRENCY_KEYS)
    if isinstance(payout_v, dict):
        currency = currency or first(payout_v, ("currency", "currency_code"))
        payout_v = first(payout_v, ("amount", "value", "payout"))
    amount = _amount(payout_v)
    percent = _amount(first(o, _PERCENT_KEYS))
    ptype = first(o, _TYPE_KEYS)
    if isinstance(ptype, dict):
        ptype = first(ptype, ("name", "code", "type"))
    net = first(o, ("network", "network_name"))
    nid = first(o, ("network_id", "networkId"))
    terms = networks.get(str(nid)) if nid is not None else None
    if isinstance(terms, str):  # older callers pass id -> name
        terms = {"name": terms}
    if isinstance(net, dict):
        net = first(net, ("name", "title"))
    cats = _text_list(first(o, _CATEGORY_KEYS), ("name", "category_name", "category", "title"))
    text = o.get("payout_text") if isinstance(o.get("payout_text"), str) else None
    commission = text or (str(payout_v) if payout_v not in (None, "") else None) or (f"{percent:g}%" if percent else None)
    return {
        "id": str(oid),
        "name": _str(first(o, _NAME_KEYS)),
        "commission": commission,
        "payout_amount": amount,
        "payout_percent": percent,
        "currency": str(currency).upper() if isinstance(currency, str) and re.fullmatch(r"[A-Za-z]{3}", currency) else None,
        "payout_type": _str(ptype),
        "geo": countries_text(first(o, _COUNTRY_KEYS)),
        "category": ", ".join(cats) or None,
        "network": (terms or {}).get("name") or _str(net),
        "payout_minimum": _str(first(o, ("minimum_payout", "payout_minimum"))) or (terms or {}).get("payout_minimum"),
        "payout_methods": _str(first(o, ("payment_methods", "payout_methods"))) or (terms or {}).get("payout_methods"),
        "payout_frequency": _str(first(o, ("payment_frequency", "payout_frequency"))) or (terms or {}).get("payout_frequency"),
        "epc": None if first(o, ("epc",)) is None else str(first(o, ("epc",))),
        "preview": _str(first(o, _LINK_KEYS)),
        "description_html": _str(first(o, ("description", "offer_description"))),
        "_url": detail_url.format(id=oid),
    }


def records_from(offers: Iterable[Any], networks: dict[str, Any], detail_url: str, source: str = "",
                 min_products: int = 5) -> list[dict[str, Any]]:
    """Every offer on one page, each read on its own; bad ones become error records.

    Hosts that carry many unrelated offers on this page (shared landers) are marked so the offer's
    link is kept but never becomes its merchant domain."""
    out: list[dict[str, Any]] = []
    for i, o in enumerate(offers):
        try:
            out.append(record_from(o, networks, detail_url))
        except (MalformedRecord, TypeError, ValueError, AttributeError, KeyError) as exc:
            oid = first(o, _ID_KEYS) if isinstance(o, dict) else None
            rid = str(oid) if oid is not None and not isinstance(oid, (dict, list)) else f"#{i}"
            log.warning("malformed offer record skipped", extra={"source": source, "record": rid, "error": str(exc)})
            out.append({"id": rid, "_error": f"{type(exc).__name__}: {exc}"})
    shared = shared_hosts((r.get("name") or "", merchant_domain(r.get("preview"))) for r in out if not r.get("_error"))
    for r in out:
        if not r.get("_error") and merchant_domain(r.get("preview")) in shared:
            r["_shared_host"] = True
    return out

"""Raw fields as a directory publishes them -> a normalized `Listing`, the same way for every source.

Scrapers only find text; this module owns turning text into terms, so "90 days" means the same
thing whether AffiliateFix or Odigger printed it. The raw record is stored beside the parsed
values (`Listing.raw`) so nothing a parser missed is ever lost.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Iterable

from matrix.models import Approval, Commission, CommissionModel, Listing, PayoutType
from matrix.normalize.category import map_categories
from matrix.normalize.commission import parse_commission, parse_money, parse_payout_type
from matrix.normalize.cookie import parse_cookie
from matrix.normalize.domain import merchant_domain
from matrix.normalize.geo import parse_geo
from matrix.normalize.payout import parse_payout
from matrix.normalize.text import extract_traffic, html_to_text


def parse_approval(text: str | None) -> Approval:
    if not text:
        return Approval.UNKNOWN
    t = text.lower()
    if re.search(r"invite|private|closed", t):
        return Approval.INVITE
    if re.search(r"instant|auto(?:matic)?|immediate|open to all", t):
        return Approval.AUTO
    if re.search(r"manual|review|requires? approval|apply|application|approval needed", t):
        return Approval.MANUAL
    return Approval.UNKNOWN


def parse_epc(text: str | None) -> float | None:
    if not text:
        return None
    values, _ = parse_money(text)
    if values:
        return values[0]
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*", str(text))
    return float(m.group(1)) if m else None


def _structured_commission(com: Commission, amount: float | None, percent: float | None,
                           currency: str | None) -> Commission:
    """A feed's numeric payout fields (no text to parse): a positive amount is a flat payout in the
    stated currency (None when the feed states none: unknown, never assumed); zero is not a payout."""
    data = com.model_dump()
    if amount and amount > 0:
        data.update(model=CommissionModel.FLAT, flat_min=float(amount), flat_max=float(amount),
                    currency=currency.upper() if currency else None, raw=data.get("raw") or f"{amount:g}")
    elif percent and percent > 0:
        data.update(model=CommissionModel.PERCENT, percent_min=float(percent), percent_max=float(percent),
                    raw=data.get("raw") or f"{percent:g}%")
    return Commission(**data)


def _clean(v: Any) -> str | None:
    if v is None:
        return None
    s = " ".join(str(v).split())
    return s if s and s.lower() not in {"n/a", "na", "-", "--", "none", "null", "unknown", "not specified", "tbd"} else None


def normalize_listing(
    *,
    source: str,
    source_id: str,
    name: str,
    raw: dict[str, Any],
    url: str | None = None,
    fetched_at: dt.datetime | None = None,
    commission: str | None = None,
    currency: str | None = None,
    payout_type: str | None = None,
    cookie: str | int | float | None = None,
    geo: str | list[str] | None = None,
    categories: Iterable[str | None] = (),
    description: str | None = None,
    merchant_url: str | None = None,
    network: str | None = None,
    payout_minimum: str | None = None,
    payout_methods: str | list[str] | None = None,
    payout_frequency: str | None = None,
    approval: str | None = None,
    epc: str | None = None,
    restrictions_text: str | None = None,
    tags: Iterable[str] = (),
    signup_url: str | None = None,
    aliases: Iterable[str] = (),
    payout_amount: float | None = None,
    payout_percent: float | None = None,
) -> Listing:
    com = parse_commission(_clean(commission), currency_hint=_clean(currency), kind_hint=_clean(payout_type))
    if com.model is CommissionModel.UNKNOWN and (payout_amount or payout_percent):
        if payout_amount and not payout_percent and not _clean(currency) and payout_amount <= 100 and \
                re.search(r"rev|%|percent", payout_type or "", re.I):
            payout_amount, payout_percent = None, payout_amount  # "40" on a RevShare offer is 40 %
        com = _structured_commission(com, payout_amount, payout_percent, _clean(currency))
    if com.payout_type is PayoutType.UNKNOWN and payout_type:
        com.payout_type = parse_payout_type(payout_type)
    cookie_terms = parse_cookie(_clean(cookie) if isinstance(cookie, str) else cookie)
    geo_terms = parse_geo(_clean(geo) if isinstance(geo, str) else geo)
    text = html_to_text(description)
    traffic = extract_traffic("\n".join(t for t in (restrictions_text, text) if t))
    cats_raw = [c for c in categories if _clean(c)]
    slugs = map_categories(cats_raw)
    all_tags = [t for t in tags if t] + traffic.tags()
    if cookie_terms.lifetime:
        all_tags.append("cookie:lifetime")
    return Listing(
        source=source,
        source_id=source_id,
        url=url,
        fetched_at=fetched_at or dt.datetime.now(dt.timezone.utc),
        name=" ".join(name.split()),
        aliases=[a for a in aliases if a],
        merchant_url=_clean(merchant_url),
        merchant_domain=merchant_domain(_clean(merchant_url)),
        network=_clean(network),
        category=slugs[0] if slugs else None,
        categories=slugs,
        tags=list(dict.fromkeys(all_tags)),
        description=text,
        commission=com,
        cookie_days=cookie_terms.days,
        payout=parse_payout(
            threshold=_clean(payout_minimum),
            methods=payout_methods if not isinstance(payout_methods, str) else _clean(payout_methods),
            frequency=_clean(payout_frequency),
            currency_hint=_clean(currency),
        ),
        geo_allowed=geo_terms.allowed_expanded(),
        geo_excluded=geo_terms.excluded,
        approval=parse_approval(_clean(approval)),
        epc=parse_epc(_clean(epc)),
        restrictions=traffic.restrictions(),
        signup_url=_clean(signup_url),
        raw={k: v for k, v in raw.items()},
    )

"""The OpenAffiliate registry (Affitor/open-affiliate, MIT): 750 real programs as one JSON file.

Default: the copy bundled in `matrix/data/openaffiliate/` (see ATTRIBUTION.md there), so the main
job runs with no network. Set `url` in the source's config to read the live registry, or `path`
for another local copy. Fields relied on: programs[].{slug, name, aliases, url, category, tags,
commission{type, rate, currency, duration, conditions}, cookie_days, payout{minimum, currency,
frequency, methods}, network, approval, restrictions, signup_url, description, last_verified_at}.
"""

from __future__ import annotations

import datetime as dt
import json
import urllib.request
from importlib import resources
from pathlib import Path
from typing import Any, Iterator

from matrix.models import Approval, Listing, PayoutTerms
from matrix.normalize.category import map_categories
from matrix.normalize.commission import parse_commission
from matrix.normalize.cookie import parse_cookie
from matrix.normalize.domain import registered_domain
from matrix.normalize.payout import parse_frequency, parse_methods
from matrix.normalize.text import extract_traffic, html_to_text
from matrix.sources.base import Page, Source, SourceError

BUNDLED = "data/openaffiliate/registry.json"
_APPROVAL = {"auto": Approval.AUTO, "manual": Approval.MANUAL, "invite-only": Approval.INVITE, "invite": Approval.INVITE}


def bundled_registry_path() -> Path:
    return Path(str(resources.files("matrix").joinpath(BUNDLED)))


def _parse_date(value: Any) -> dt.datetime | None:
    if not value:
        return None
    try:
        d = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return d if d.tzinfo else d.replace(tzinfo=dt.timezone.utc)


class OpenAffiliateSource(Source):
    kind = "openaffiliate"

    def fetch_pages(self) -> Iterator[Page]:
        if self.cfg.url:
            req = urllib.request.Request(self.cfg.url, headers={"User-Agent": self.settings.crawl.user_agent})
            try:
                with urllib.request.urlopen(req, timeout=self.settings.crawl.timeout_s) as resp:  # noqa: S310
                    raw_body = resp.read(self.settings.crawl.max_body_bytes + 1)
            except OSError as exc:
                raise SourceError(f"sources.{self.name}: cannot read {self.cfg.url}: {exc}") from exc
            if len(raw_body) > self.settings.crawl.max_body_bytes:
                raise SourceError(f"sources.{self.name}: {self.cfg.url} is larger than crawl.max_body_bytes "
                                  f"({self.settings.crawl.max_body_bytes})")
            body = raw_body.decode("utf-8")
            yield Page(source=self.name, url=self.cfg.url, body=body, content_type="application/json", kind="feed")
            return
        path = Path(self.cfg.path).expanduser() if self.cfg.path else bundled_registry_path()
        if not path.exists():
            raise SourceError(f"sources.{self.name}.path = {str(path)!r} does not exist")
        yield Page(source=self.name, url=path.resolve().as_uri(), body=path.read_text("utf-8"),
                   content_type="application/json", kind="feed")

    def parse(self, page: Page) -> list[dict[str, Any]]:
        try:
            doc = json.loads(page.body)
        except json.JSONDecodeError as exc:
            raise SourceError(f"{page.url}: registry is not valid JSON: {exc}") from exc
        programs = doc.get("programs") if isinstance(doc, dict) else doc
        if not isinstance(programs, list):
            raise SourceError(f"{page.url}: expected a 'programs' list")
        limit = self.cfg.max_pages  # for a feed, max_pages caps records (small slices in tests)
        return [p for p in programs if isinstance(p, dict) and p.get("slug")][:limit]

    def to_listing(self, raw: dict[str, Any], fetched_at: dt.datetime | None = None) -> Listing:
        com = raw.get("commission") or {}
        rate = com.get("rate")
        commission = parse_commission(
            None if rate is None else str(rate), currency_hint=com.get("currency"), kind_hint=com.get("type")
        )
        if com.get("type") == "recurring":
            commission.recurring = True
        lifetime, months = commission.lifetime, commission.duration_months
        if com.get("duration"):
            from matrix.normalize.commission import parse_duration_months

            lifetime, months = parse_duration_months(str(com["duration"]))
            commission.lifetime, commission.duration_months = lifetime, months
        payout_raw = raw.get("payout") or {}
        cookie = raw.get("cookie_days")
        restrictions = [r for r in (raw.get("restrictions") or []) if isinstance(r, str)]
        traffic = extract_traffic("\n".join(restrictions))
        verified = _parse_date(raw.get("last_verified_at"))
        categories = map_categories([raw.get("category"), *(raw.get("tags") or [])])
        minimum = payout_raw.get("minimum")
        return Listing(
            source=self.name,
            source_id=str(raw["slug"]),
            url=raw.get("url"),
            fetched_at=fetched_at or dt.datetime.now(dt.timezone.utc),
            name=str(raw.get("name") or raw["slug"]),
            aliases=[a for a in (raw.get("aliases") or []) if isinstance(a, str)],
            merchant_url=raw.get("url"),
            merchant_domain=registered_domain(raw.get("url")),
            network=(raw.get("network") or None),
            category=categories[0] if categories else None,
            categories=categories,
            tags=[t for t in (raw.get("tags") or []) if isinstance(t, str)] + traffic.tags(),
            description=html_to_text(raw.get("description") or raw.get("short_description")),
            commission=commission,
            # the registry writes 0 where the cookie length is not published: unknown, not "session"
            cookie_days=parse_cookie(cookie).days if isinstance(cookie, (int, float)) and cookie > 0 else None,
            payout=PayoutTerms(
                minimum=float(minimum) if isinstance(minimum, (int, float)) and not isinstance(minimum, bool) else None,
                currency=payout_raw.get("currency"),
                frequency=parse_frequency(payout_raw.get("frequency")),
                methods=parse_methods(payout_raw.get("methods") or []),
                raw=json.dumps(payout_raw) if payout_raw else None,
            ),
            approval=_APPROVAL.get(str(raw.get("approval") or "").lower(), Approval.UNKNOWN),
            restrictions=traffic.restrictions(),
            signup_url=raw.get("signup_url"),
            last_verified=verified,
            raw=raw,
        )

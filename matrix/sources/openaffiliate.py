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
from importlib import resources
from pathlib import Path
from typing import Any, Iterator

from matrix.models import Approval, Listing, PayoutTerms
from matrix.normalize.category import map_categories
from matrix.normalize.commission import parse_commission
from matrix.normalize.cookie import parse_cookie
from matrix.normalize.domain import merchant_domain
from matrix.normalize.payout import parse_frequency, parse_methods
from matrix.normalize.text import extract_traffic, html_to_text
from matrix.observability import get_logger
from matrix.sources.base import Page, Source, SourceError

_log = get_logger("matrix.sources.openaffiliate")
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
            yield self._fetch_live(self.cfg.url)
            return
        path = Path(self.cfg.path).expanduser() if self.cfg.path else bundled_registry_path()
        if not path.exists():
            raise SourceError(f"sources.{self.name}.path = {str(path)!r} does not exist")
        yield Page(source=self.name, url=path.resolve().as_uri(), body=path.read_text("utf-8"),
                   content_type="application/json", kind="feed")

    def _fetch_live(self, url: str) -> Page:
        """The live registry through matrix.http: robots.txt, the source's rate limit, retries, the
        body cap, and the HTTP cache (fresh -> no request; stale -> a 304 re-reads nothing)."""
        from matrix.http import HttpOptions, fetch_sync
        from matrix.ratelimit import RetryPolicy
        from matrix.sources.httpcache import HttpCache

        crawl = self.settings.crawl
        cache = HttpCache(self.settings.path("http_cache", self.name)) if crawl.http_cache else None
        retry = RetryPolicy(max_retries=crawl.max_retries, base_s=crawl.backoff_base_s, max_s=crawl.backoff_max_s)
        resp = fetch_sync(url, HttpOptions.from_crawl(crawl), self.cfg.rate_limit or crawl.default_rate_limit,
                          cache=cache, retry=retry)
        if resp.error == "robots_disallowed":
            raise SourceError(f"sources.{self.name}: robots.txt disallows {url} for crawl.user_agent; use the bundled "
                              "copy (no url), a local `path`, or crawl.respect_robots: false if the site allows it")
        if resp.error == "body_too_large":
            raise SourceError(f"sources.{self.name}: {url} is larger than crawl.max_body_bytes ({crawl.max_body_bytes})")
        if resp.error:
            raise SourceError(f"sources.{self.name}: cannot read {url}: {resp.error} {resp.detail}".rstrip())
        body = resp.text if resp.text is not None else (resp.body or b"").decode("utf-8")
        return Page(source=self.name, url=url, body=body, content_type="application/json", kind="feed")

    def parse(self, page: Page) -> list[dict[str, Any]]:
        try:
            doc = json.loads(page.body)
        except json.JSONDecodeError as exc:
            raise SourceError(f"{page.url}: registry is not valid JSON: {exc}") from exc
        programs = doc.get("programs") if isinstance(doc, dict) else doc
        if not isinstance(programs, list):
            raise SourceError(f"{page.url}: expected a 'programs' list")
        limit = self.cfg.max_pages  # for a feed, max_pages caps records (small slices in tests)
        good = []
        for i, p in enumerate(programs):
            if isinstance(p, dict) and isinstance(p.get("slug"), str) and p["slug"]:
                good.append(p)
            else:  # counted and logged by position (and name if any); the rest of the registry goes on
                self.skipped_records = getattr(self, "skipped_records", 0) + 1
                name = p.get("name") if isinstance(p, dict) else None
                _log.warning("malformed registry record skipped",
                             extra={"source": self.name, "record": f"#{i}" + (f" ({name})" if name else ""),
                                    "error": "not an object" if not isinstance(p, dict) else "no slug"})
        return good[:limit]

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
            merchant_domain=merchant_domain(raw.get("url")),
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

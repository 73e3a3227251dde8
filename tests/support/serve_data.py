"""Small real indexes for the search-service tests: a slice of the bundled OpenAffiliate registry.

Listings come from the real source code path (OpenAffiliateSource.to_listing); programs are an
exact-key merge (one listing -> one program) with per-field provenance, which is what the
service must display. Vectors are optional because loading the model costs seconds.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

from matrix.config import Settings, SourceSettings
from matrix.index import MasterIndex
from matrix.models import FieldSource, Listing, Program, stable_hash
from matrix.sources.openaffiliate import OpenAffiliateSource

PROVENANCE_FIELDS = ["name", "networks", "category", "commission", "cookie_days", "geo_allowed", "approval",
                     "payout", "merchant_domain", "url", "signup_url", "last_verified", "description"]


def registry_listings(settings: Settings, n: int | None = None) -> list[Listing]:
    src = OpenAffiliateSource(SourceSettings(name="openaffiliate", kind="openaffiliate", max_pages=n), settings)
    return list(src.listings())


def program_from_listing(lst: Listing, **overrides: Any) -> Program:
    fs = FieldSource(source=lst.source, source_id=lst.source_id, fetched_at=lst.fetched_at, rule="only")
    p = Program(
        program_id="p-" + stable_hash(lst.key)[:16],
        name=lst.name, aliases=lst.aliases, merchant_domain=lst.merchant_domain, url=lst.merchant_url,
        signup_url=lst.signup_url, networks=[lst.network] if lst.network else [], category=lst.category,
        categories=lst.categories, tags=lst.tags, commission=lst.commission, cookie_days=lst.cookie_days,
        payout=lst.payout, geo_allowed=lst.geo_allowed, geo_excluded=lst.geo_excluded, approval=lst.approval,
        epc=lst.epc, restrictions=lst.restrictions, description=lst.description, last_verified=lst.last_verified,
        first_seen=lst.fetched_at, last_seen=lst.fetched_at, listing_keys=[lst.key], sources=[lst.source],
        provenance={f: fs for f in PROVENANCE_FIELDS},
    )
    for k, v in overrides.items():
        setattr(p, k, v)
    return p


def build_registry_index(settings: Settings, n: int = 150,
                         embed: Callable[[Sequence[str]], Any] | None = None) -> tuple[MasterIndex, list[Program]]:
    """Index the first `n` registry programs (with vectors when `embed` is given) and their listings."""
    listings = registry_listings(settings, n)
    programs = [program_from_listing(lst) for lst in listings]
    index = MasterIndex(settings)
    index.upsert_listings(listings)
    vectors = embed([p.search_text() for p in programs]) if embed else None
    index.upsert_programs(programs, vectors)
    index.ensure_text_index()
    return index, programs

"""Survivorship: which value of each field a Program keeps, and why (per-field provenance).

Why per field and ordered rules: a network API knows commission terms better than a directory,
but the directory may be the only one that knows the cookie length. Each field is decided on its
own: a known value beats unknown, then the more trusted source (settings.resolve.source_trust,
earlier = more trusted), then the value more sources agree on, then the most recent. The winner's
listing and the rule that decided are recorded in `Program.provenance`, so every value can be
traced and audited. The current Program's own values take part as candidates with their recorded
provenance, which is what makes incremental updates possible without the old listings.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from matrix.models import (Approval, Commission, CommissionModel, FieldSource, Listing, PayoutTerms, Program,
                           stable_hash)
from matrix.normalize.domain import registered_domain

UTC = dt.timezone.utc

# Scalar fields decided by the rules (Listing attribute -> Program attribute).
SCALAR_FIELDS: dict[str, str] = {
    "name": "name",
    "merchant_domain": "merchant_domain",
    "url": "merchant_url",
    "signup_url": "signup_url",
    "category": "category",
    "commission": "commission",
    "cookie_days": "cookie_days",
    "payout": "payout",
    "geo_allowed": "geo_allowed",
    "geo_excluded": "geo_excluded",
    "approval": "approval",
    "epc": "epc",
    "restrictions": "restrictions",
    "description": "description",
    "last_verified": "last_verified",
}
# Fields that count toward completeness in the quality score.
QUALITY_FIELDS = ("merchant_domain", "category", "commission", "cookie_days", "payout", "geo_allowed",
                  "approval", "description", "signup_url")


def listing_domain(l: Listing) -> str | None:
    return l.merchant_domain or registered_domain(l.merchant_url) or None


def is_known(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, (list, tuple, set, dict)) and not value:
        return False
    if isinstance(value, str) and not value.strip():
        return False
    if isinstance(value, Approval):
        return value is not Approval.UNKNOWN
    if isinstance(value, Commission):
        return value.model is not CommissionModel.UNKNOWN or any(
            v is not None for v in (value.percent_min, value.percent_max, value.flat_min, value.flat_max))
    if isinstance(value, PayoutTerms):
        return any(v for v in (value.minimum, value.frequency, value.methods, value.currency))
    if isinstance(value, float) and math.isnan(value):
        return False
    return True


def _comparable(value: Any) -> str:
    if hasattr(value, "model_dump"):
        d = value.model_dump(mode="json")
        d.pop("raw", None)  # same terms written differently are the same terms
        return stable_hash(d)
    if isinstance(value, str):
        return value.strip().lower()
    return stable_hash(value if not isinstance(value, (set, frozenset)) else sorted(value))


@dataclass
class Candidate:
    value: Any
    source: str
    source_id: str
    fetched_at: dt.datetime | None

    @property
    def key(self) -> str:
        return f"{self.source}:{self.source_id}"


def _aware(t: dt.datetime | None) -> dt.datetime:
    if t is None:
        return dt.datetime.min.replace(tzinfo=UTC)
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def choose(cands: Sequence[Candidate], trust: Callable[[str], int]) -> tuple[Candidate | None, str, bool]:
    """(winner, rule, all known values agree) for one field."""
    known = [c for c in cands if is_known(c.value)]
    if not known:
        return None, "only", True
    groups: dict[str, list[Candidate]] = {}
    for c in known:
        groups.setdefault(_comparable(c.value), []).append(c)
    agree = len(groups) == 1
    if len(known) == 1:
        return known[0], ("only" if len(cands) == 1 else "known-beats-unknown"), True
    if agree:
        best = min(known, key=lambda c: (trust(c.source), -_aware(c.fetched_at).timestamp(), c.key))
        return best, "agreement", True
    best_trust = min(trust(c.source) for c in known)
    top = [c for c in known if trust(c.source) == best_trust]
    if len({_comparable(c.value) for c in top}) == 1:
        best = min(top, key=lambda c: (-_aware(c.fetched_at).timestamp(), c.key))
        return best, "trust", False
    support = {k: len(v) for k, v in groups.items()}
    top_support = max(support[_comparable(c.value)] for c in top)
    top2 = [c for c in top if support[_comparable(c.value)] == top_support]
    if len({_comparable(c.value) for c in top2}) == 1 and top_support > 1:
        return min(top2, key=lambda c: (-_aware(c.fetched_at).timestamp(), c.key)), "agreement", False
    return min(top2, key=lambda c: (-_aware(c.fetched_at).timestamp(), c.key)), "recency", False


def trust_ranker(source_trust: Sequence[str]) -> Callable[[str], int]:
    order = {s: i for i, s in enumerate(source_trust)}
    return lambda s: order.get(s, len(order))


def _listing_value(l: Listing, attr: str) -> Any:
    if attr == "merchant_domain":
        return listing_domain(l)
    return getattr(l, attr)


def survive(program_id: str, listings: Sequence[Listing], previous: Program | None, source_trust: Sequence[str],
            dropped_keys: set[str] = frozenset()) -> Program:
    """The canonical Program from `previous` (may be None) and this batch's `listings` of it.

    A listing in this batch supersedes whatever `previous` recorded from the same listing; when
    its value did not change, the old provenance (and its timestamp) is kept, so re-crawling the
    same content yields the identical Program. `dropped_keys` are listings that left the program.
    """
    trust = trust_ranker(source_trust)
    batch_keys = {l.key for l in listings}
    fields: dict[str, Any] = {}
    provenance: dict[str, FieldSource] = {}
    agreements: list[bool] = []
    for pattr, lattr in SCALAR_FIELDS.items():
        cands: list[Candidate] = []
        old_prov = previous.provenance.get(pattr) if previous else None
        old_key = f"{old_prov.source}:{old_prov.source_id}" if old_prov else None
        if previous is not None and old_prov is not None and old_key not in batch_keys and old_key not in dropped_keys:
            cands.append(Candidate(getattr(previous, pattr), old_prov.source, old_prov.source_id, old_prov.fetched_at))
        for l in listings:
            cands.append(Candidate(_listing_value(l, lattr), l.source, l.source_id, l.fetched_at))
        win, rule, agree = choose(cands, trust)
        if win is None:
            fields[pattr] = None
            continue
        if len([c for c in cands if is_known(c.value)]) > 1:
            agreements.append(agree)
        fields[pattr] = win.value
        fetched = win.fetched_at
        if old_prov is not None and old_key == win.key and _comparable(getattr(previous, pattr)) == _comparable(win.value):
            fetched = old_prov.fetched_at  # unchanged value from the same listing: keep the record stable
            rule = old_prov.rule
        provenance[pattr] = FieldSource(source=win.source, source_id=win.source_id, fetched_at=fetched, rule=rule)

    keys = sorted((set(previous.listing_keys) if previous else set()) - set(dropped_keys) | batch_keys)
    prev_sources = set(previous.sources) if previous else set()
    sources = sorted({k.split(":", 1)[0] for k in keys} | ({s for s in prev_sources if any(k.startswith(s + ":") for k in keys)}))

    def union(attr: str, lattr: str | None = None) -> list[str]:
        out = list(getattr(previous, attr)) if previous else []
        for l in listings:
            v = getattr(l, lattr or attr)
            for x in (v if isinstance(v, list) else [v]):
                if x and x not in out:
                    out.append(x)
        return sorted(set(out), key=_alias_order)

    names = union("aliases")
    for l in listings:
        if l.name not in names:
            names.append(l.name)
    if previous and previous.name not in names:
        names.append(previous.name)
    name = fields.get("name") or (previous.name if previous else listings[0].name)
    aliases = sorted({n for n in names if n and n.strip().lower() != name.strip().lower()}, key=_alias_order)
    seen_times = [t for l in listings for t in (l.first_seen or l.fetched_at, l.last_seen or l.fetched_at) if t]
    first = min([_aware(t) for t in seen_times] + ([_aware(previous.first_seen)] if previous and previous.first_seen else []), default=None)
    last = max([_aware(t) for t in seen_times] + ([_aware(previous.last_seen)] if previous and previous.last_seen else []), default=None)
    prog = Program(
        program_id=program_id,
        name=name,
        aliases=aliases,
        merchant_domain=fields.get("merchant_domain"),
        url=fields.get("url"),
        signup_url=fields.get("signup_url"),
        networks=union("networks", "network"),
        category=fields.get("category"),
        categories=union("categories"),
        tags=union("tags"),
        commission=fields.get("commission") or Commission(),
        cookie_days=fields.get("cookie_days"),
        payout=fields.get("payout") or PayoutTerms(),
        geo_allowed=fields.get("geo_allowed") or [],
        geo_excluded=fields.get("geo_excluded") or [],
        approval=fields.get("approval") or Approval.UNKNOWN,
        epc=fields.get("epc"),
        restrictions=fields.get("restrictions") or [],
        description=fields.get("description"),
        first_seen=first,
        last_seen=last,
        last_verified=fields.get("last_verified"),
        listing_keys=keys,
        sources=sources,
        provenance=provenance,
    )
    prog.quality = quality(prog, agreements)
    prog.content_hash = prog.compute_hash()
    return prog


def _alias_order(s: str) -> tuple[str, str]:
    """Case-insensitive, then exact: a total order, so 'ACME' and 'Acme' never swap between runs
    (a key-only sort keeps input order for ties, and input order is not stable across ingests)."""
    return (s.lower(), s)


def quality(p: Program, agreements: Sequence[bool] = ()) -> float:
    """0..1: completeness (0.5), freshness of verification (0.25), agreement across sources (0.25).

    Freshness is measured against the newest provenance timestamp, not the wall clock, so the
    score only changes when the data does.
    """
    completeness = sum(is_known(getattr(p, f)) for f in QUALITY_FIELDS) / len(QUALITY_FIELDS)
    ref = max((_aware(fs.fetched_at) for fs in p.provenance.values() if fs.fetched_at), default=None)
    if p.last_verified is None or ref is None:
        freshness = 0.0
    else:
        age_days = max((ref - _aware(p.last_verified)).total_seconds() / 86400, 0.0)
        freshness = 0.5 ** (age_days / 180.0)
    agreement = (sum(agreements) / len(agreements)) if agreements else 0.5  # one source: no evidence either way
    return round(0.5 * completeness + 0.25 * freshness + 0.25 * agreement, 4)

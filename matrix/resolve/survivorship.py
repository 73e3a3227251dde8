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
from typing import Any, Callable, Iterable, Sequence

from matrix.models import Approval, Commission, CommissionModel, FieldSource, Listing, PayoutTerms, Program, stable_hash
from matrix.normalize.domain import registered_domain

UTC = dt.timezone.utc

# Scalar fields decided by the rules (Program attribute -> Listing attribute).
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


def listing_domain(listing: Listing) -> str | None:
    return listing.merchant_domain or registered_domain(listing.merchant_url) or None


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


def _listing_value(listing: Listing, attr: str) -> Any:
    if attr == "merchant_domain":
        return listing_domain(listing)
    return getattr(listing, attr)


# What a Program holds when no source knows a field (the model's empty value, not None).
EMPTY_VALUES: dict[str, Callable[[], Any]] = {
    "commission": Commission,
    "payout": PayoutTerms,
    "geo_allowed": list,
    "geo_excluded": list,
    "approval": lambda: Approval.UNKNOWN,
    "restrictions": list,
}
# List fields kept as the union of every listing's values (Program attribute -> Listing attribute).
UNION_FIELDS: dict[str, str] = {"networks": "network", "categories": "categories", "tags": "tags"}


@dataclass
class FieldDecision:
    """The surviving value of one scalar field, where it came from, and whether the sources agreed."""

    value: Any
    provenance: FieldSource | None
    agreement: bool | None  # None when fewer than two candidates knew a value (no evidence either way)


def _previous_candidate(previous: Program | None, pattr: str,
                        superseded: set[str]) -> tuple[Candidate | None, FieldSource | None]:
    """The current Program's value as a candidate, unless its listing is in this batch or left the program."""
    old_prov = previous.provenance.get(pattr) if previous else None
    if previous is None or old_prov is None:
        return None, old_prov
    old = Candidate(getattr(previous, pattr), old_prov.source, old_prov.source_id, old_prov.fetched_at)
    return (None if old.key in superseded else old), old_prov


def decide_field(pattr: str, lattr: str, listings: Sequence[Listing], previous: Program | None,
                 superseded: set[str], trust: Callable[[str], int]) -> FieldDecision:
    """Run the survivorship rules (known > trusted > agreed > recent) for one field."""
    old, old_prov = _previous_candidate(previous, pattr, superseded)
    cands = [old] if old is not None else []
    cands += [Candidate(_listing_value(listing, lattr), listing.source, listing.source_id, listing.fetched_at)
              for listing in listings]
    win, rule, agree = choose(cands, trust)
    if win is None:
        return FieldDecision(None, None, None)
    fetched = win.fetched_at
    if old_prov is not None and f"{old_prov.source}:{old_prov.source_id}" == win.key \
            and _comparable(getattr(previous, pattr)) == _comparable(win.value):
        fetched = old_prov.fetched_at  # unchanged value from the same listing: keep the record stable
        rule = old_prov.rule
    several = sum(is_known(c.value) for c in cands) > 1
    return FieldDecision(win.value, FieldSource(source=win.source, source_id=win.source_id, fetched_at=fetched, rule=rule),
                         agree if several else None)


def _union(previous: Program | None, listings: Sequence[Listing], attr: str, lattr: str | None = None) -> list[str]:
    """`previous`'s values of a list field plus every listing's, deduplicated, in alias order."""
    out = list(getattr(previous, attr)) if previous else []
    for listing in listings:
        v = getattr(listing, lattr or attr)
        for x in (v if isinstance(v, list) else [v]):
            if x and x not in out:
                out.append(x)
    return sorted(set(out), key=_alias_order)


def _aliases(name: str, previous: Program | None, listings: Sequence[Listing]) -> list[str]:
    """Every name the program was seen under except the surviving one (case-insensitively)."""
    names = _union(previous, listings, "aliases")
    for listing in listings:
        if listing.name not in names:
            names.append(listing.name)
    if previous and previous.name not in names:
        names.append(previous.name)
    return sorted({n for n in names if n and n.strip().lower() != name.strip().lower()}, key=_alias_order)


def _seen_span(previous: Program | None, listings: Sequence[Listing]) -> tuple[dt.datetime | None, dt.datetime | None]:
    """(first_seen, last_seen) over the batch and what `previous` recorded."""
    seen = [_aware(t) for listing in listings
            for t in (listing.first_seen or listing.fetched_at, listing.last_seen or listing.fetched_at) if t]
    first = min(seen + ([_aware(previous.first_seen)] if previous and previous.first_seen else []), default=None)
    last = max(seen + ([_aware(previous.last_seen)] if previous and previous.last_seen else []), default=None)
    return first, last


def _sources(keys: Sequence[str], previous: Program | None) -> list[str]:
    """Sources of the member listings, plus previous sources that still have a member."""
    prev_sources = set(previous.sources) if previous else set()
    return sorted({k.split(":", 1)[0] for k in keys} | {s for s in prev_sources if any(k.startswith(s + ":") for k in keys)})


def survive(program_id: str, listings: Sequence[Listing], previous: Program | None, source_trust: Sequence[str],
            dropped_keys: Iterable[str] = frozenset()) -> Program:
    """The canonical Program from `previous` (may be None) and this batch's `listings` of it.

    A listing in this batch supersedes whatever `previous` recorded from the same listing; when
    its value did not change, the old provenance (and its timestamp) is kept, so re-crawling the
    same content yields the identical Program. `dropped_keys` are listings that left the program.
    """
    trust = trust_ranker(source_trust)
    batch_keys = {listing.key for listing in listings}
    superseded = batch_keys | set(dropped_keys)
    decisions = {pattr: decide_field(pattr, lattr, listings, previous, superseded, trust)
                 for pattr, lattr in SCALAR_FIELDS.items()}
    agreements = [d.agreement for d in decisions.values() if d.agreement is not None]
    provenance = {pattr: d.provenance for pattr, d in decisions.items() if d.provenance is not None}
    values = {pattr: d.value for pattr, d in decisions.items()}
    for pattr, empty in EMPTY_VALUES.items():
        values[pattr] = values[pattr] or empty()
    name = values.pop("name") or (previous.name if previous else listings[0].name)
    keys = sorted((set(previous.listing_keys) if previous else set()) - set(dropped_keys) | batch_keys)
    first, last = _seen_span(previous, listings)
    unions: dict[str, Any] = {attr: _union(previous, listings, attr, lattr) for attr, lattr in UNION_FIELDS.items()}
    prog = Program(
        program_id=program_id,
        name=name,
        aliases=_aliases(name, previous, listings),
        **unions,
        **values,
        first_seen=first,
        last_seen=last,
        listing_keys=keys,
        sources=_sources(keys, previous),
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

"""Rule evaluation: pure functions of (rule, inputs, remembered state, now) -> firings.

Why pure: a rule that decides "this source is stale" must give the same answer when replayed
with the same clock and inputs, so tests (and a dry run) can state exactly what fires. Each
firing has a `key` naming the condition (rule + source, rule + credential + state, ...); the
engine uses it for cooldown, so a condition that stays true does not spam every evaluation.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

from matrix.config import TriggerRuleSettings
from matrix.models import stable_hash


class TriggerInputs(Protocol):
    """What rules read; the default implementation (matrix.triggers.inputs) reads index and keys."""

    def configured_sources(self) -> list[str]: ...

    def last_ingest(self) -> dict[str, dt.datetime]: ...

    def niche_programs(self, rule: TriggerRuleSettings) -> list[dict[str, Any]]: ...

    def key_alerts(self) -> list[dict[str, Any]]: ...

    def source_quality(self) -> dict[str, tuple[int, int]]: ...


@dataclass(frozen=True)
class Firing:
    """One condition that holds now, and what to do about it (one payload per action)."""

    rule: str
    kind: str
    key: str
    summary: str
    details: dict[str, Any]
    payloads: dict[str, dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "kind": self.kind, "key": self.key, "summary": self.summary,
                "details": self.details, "actions": list(self.payloads)}


@dataclass
class RuleState:
    """What the engine remembers for a rule between evaluations."""

    last_evaluated: dt.datetime | None = None
    seen: set[str] = field(default_factory=set)


@dataclass
class RuleOutcome:
    firings: list[Firing] = field(default_factory=list)
    marks: set[str] = field(default_factory=set)  # items to remember as seen (new_programs)


def _iso(t: dt.datetime | None) -> str | None:
    return t.isoformat() if t else None


def _firing(rule: TriggerRuleSettings, key: str, summary: str, details: dict[str, Any],
            extra: dict[str, dict[str, Any]]) -> Firing:
    payloads: dict[str, dict[str, Any]] = {}
    for action in rule.actions:
        if action == "notify":
            payloads[action] = {"rule": rule.name, "kind": rule.kind, "summary": summary, "details": details}
        else:
            payloads[action] = extra[action]
    return Firing(rule=rule.name, kind=rule.kind, key=f"{rule.name}:{key}", summary=summary, details=details,
                  payloads=payloads)


def _sources(rule: TriggerRuleSettings, inputs: TriggerInputs) -> list[str]:
    return sorted(rule.sources or inputs.configured_sources())


def stale_source(rule: TriggerRuleSettings, inputs: TriggerInputs, state: RuleState, now: dt.datetime) -> RuleOutcome:
    """A source whose newest listing is older than `max_age_hours` - or that was never ingested."""
    last = inputs.last_ingest()
    out = RuleOutcome()
    for source in _sources(rule, inputs):
        seen_at = last.get(source)
        age_h = None if seen_at is None else (now - seen_at).total_seconds() / 3600.0
        if age_h is not None and age_h <= rule.max_age_hours:  # type: ignore[operator]
            continue
        what = "was never ingested" if age_h is None else f"last ingested {age_h:.1f} h ago (max {rule.max_age_hours:g} h)"
        details = {"source": source, "last_ingest": _iso(seen_at), "age_hours": None if age_h is None else round(age_h, 2),
                   "max_age_hours": rule.max_age_hours}
        out.firings.append(_firing(rule, f"source={source}", f"source {source} {what}", details,
                                   {"recrawl": {"source": source}}))
    return out


def low_quality(rule: TriggerRuleSettings, inputs: TriggerInputs, state: RuleState, now: dt.datetime) -> RuleOutcome:
    """A source whose listings mostly lack commission terms, or whose field drift report (fill fell against
    its last good ingest) names fields: usually its parser broke after a site change."""
    quality = inputs.source_quality()
    out = RuleOutcome()
    for source in _sources(rule, inputs):
        total, unknown = quality.get(source, (0, 0))
        if total < rule.min_listings:
            continue
        share = unknown / total
        if share <= rule.max_unknown_share:  # type: ignore[operator]
            continue
        details = {"source": source, "listings": total, "unknown_commission": unknown, "unknown_share": round(share, 4),
                   "max_unknown_share": rule.max_unknown_share}
        out.firings.append(_firing(rule, f"source={source}",
                                   f"source {source}: {share:.0%} of {total} listings have no commission terms",
                                   details, {"recrawl": {"source": source}}))
    # per-field drift against the source's last good ingest (matrix.sources.drift), when the inputs have it
    drift: dict[str, Any] = getattr(inputs, "field_drift", dict)()
    for source in _sources(rule, inputs):
        fields = (drift.get(source) or {}).get("drift") or []
        if not fields:
            continue
        why = {f: ((drift[source].get("fields") or {}).get(f) or {}).get("why") for f in fields}
        details = {"source": source, "drifted_fields": list(fields), "why": why, "records": drift[source].get("records")}
        out.firings.append(_firing(rule, f"source={source}:fields={','.join(sorted(fields))}",
                                   f"source {source}: field drift in {', '.join(fields)} (parser no longer reads them)",
                                   details, {"recrawl": {"source": source}}))
    return out


def key_expiry(rule: TriggerRuleSettings, inputs: TriggerInputs, state: RuleState, now: dt.datetime) -> RuleOutcome:
    """Credentials the key manager reports expired, expiring, due for rotation or unhealthy."""
    out = RuleOutcome()
    for alert in sorted(inputs.key_alerts(), key=lambda a: (a["ref"], a["state"])):
        network = alert["ref"].split("/", 1)[0]
        if alert["state"] not in rule.states or (rule.networks and network not in rule.networks):
            continue
        details = {"ref": alert["ref"], "state": alert["state"], "days_left": alert.get("days_left"),
                   "detail": alert.get("detail")}
        out.firings.append(_firing(rule, f"key={alert['ref']}:{alert['state']}",
                                   f"credential {alert['ref']} {alert['state']}: {alert.get('detail') or ''}".strip(),
                                   details, {"rotate_key": {"ref": alert["ref"], "state": alert["state"]}}))
    return out


def new_programs(rule: TriggerRuleSettings, inputs: TriggerInputs, state: RuleState, now: dt.datetime) -> RuleOutcome:
    """Programs in the niche first seen since the last evaluation (first run: within `lookback_hours`).

    Every current match is remembered, so a program is announced once. A program whose first-seen
    time is unknown counts as new only after the first evaluation established the baseline.
    """
    since = state.last_evaluated or now - dt.timedelta(hours=rule.lookback_hours)
    first_run = state.last_evaluated is None
    matches = inputs.niche_programs(rule)
    out = RuleOutcome(marks={m["program_id"] for m in matches})
    new = []
    for m in matches:
        if m["program_id"] in state.seen:
            continue
        fs = m.get("first_seen")
        if (fs is None and not first_run) or (fs is not None and fs > since):
            new.append(m)
    if not new:
        return out
    new.sort(key=lambda m: (-(m.get("commission_percent") or -1), m["program_id"]))
    ids = sorted(m["program_id"] for m in new)
    niche = {"keywords": rule.keywords, "categories": rule.categories, "min_commission_percent": rule.min_commission_percent}
    details = {"niche": niche, "count": len(new), "since": _iso(since),
               "programs": [{k: (_iso(v) if isinstance(v, dt.datetime) else v) for k, v in m.items()} for m in new[:25]]}
    label = ", ".join(rule.keywords or rule.categories) or f">= {rule.min_commission_percent:g} %"
    niches = rule.dork_niches or rule.keywords or rule.categories
    out.firings.append(_firing(rule, f"new={stable_hash(ids)[:16]}", f"{len(new)} new program(s) in niche {label}",
                               details, {"dork": {"niches": list(niches)}}))
    return out


EVALUATORS: dict[str, Callable[[TriggerRuleSettings, TriggerInputs, RuleState, dt.datetime], RuleOutcome]] = {
    "stale_source": stale_source,
    "low_quality": low_quality,
    "key_expiry": key_expiry,
    "new_programs": new_programs,
}


def evaluate_rule(rule: TriggerRuleSettings, inputs: TriggerInputs, state: RuleState, now: dt.datetime) -> RuleOutcome:
    return EVALUATORS[rule.kind](rule, inputs, state, now)

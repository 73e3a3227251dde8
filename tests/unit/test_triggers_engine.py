"""Trigger rules, the engine and the outbox with an injected clock and fake inputs: what fires,
cooldown, dry runs, idempotent enqueueing, retries with backoff, permanent failures, leases."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from matrix.config import ConfigError, TriggerRuleSettings, load_settings
from matrix.observability import counter
from matrix.triggers import Outbox, RuleState, TriggerEngine, evaluate_rule
from matrix.triggers.actions import PermanentActionError
from matrix.triggers.engine import check_rules

T0 = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.timezone.utc)
H = dt.timedelta(hours=1)


class Clock:
    def __init__(self, t: dt.datetime = T0) -> None:
        self.t = t

    def __call__(self) -> dt.datetime:
        return self.t

    def advance(self, **kw: float) -> None:
        self.t += dt.timedelta(**kw)


class FakeInputs:
    def __init__(self) -> None:
        self.sources = ["affplus", "openaffiliate"]
        self.ingest: dict[str, dt.datetime] = {}
        self.programs: list[dict[str, Any]] = []
        self.alerts: list[dict[str, Any]] = []
        self.quality: dict[str, tuple[int, int]] = {}
        self.raise_on_ingest = False

    def configured_sources(self) -> list[str]:
        return self.sources

    def last_ingest(self) -> dict[str, dt.datetime]:
        if self.raise_on_ingest:
            raise OSError("index unreadable")
        return self.ingest

    def niche_programs(self, rule) -> list[dict[str, Any]]:
        return [p for p in self.programs if not rule.categories or p["category"] in rule.categories]

    def key_alerts(self) -> list[dict[str, Any]]:
        return self.alerts

    def source_quality(self) -> dict[str, tuple[int, int]]:
        return self.quality


def rule(**kw) -> TriggerRuleSettings:
    return TriggerRuleSettings(**kw)


STALE = dict(name="stale", kind="stale_source", max_age_hours=48, actions=["recrawl", "notify"], cooldown_hours=12)


def engine(tmp_path, rules, inputs, handlers=None, clock=None, **kw) -> TriggerEngine:
    return TriggerEngine(rules, inputs, Outbox(tmp_path / "outbox.sqlite"), handlers or {}, clock=clock or Clock(),
                         backoff_base_s=kw.pop("backoff_base_s", 60), backoff_max_s=kw.pop("backoff_max_s", 600), **kw)


# -- rules -----------------------------------------------------------------------------------
def test_stale_source_fires_for_old_and_never_ingested_sources_only():
    inp = FakeInputs()
    inp.ingest = {"affplus": T0 - 50 * H, "openaffiliate": T0 - 47 * H}
    out = evaluate_rule(rule(**STALE), inp, RuleState(), T0)
    assert [f.key for f in out.firings] == ["stale:source=affplus"]
    f = out.firings[0]
    assert f.details["age_hours"] == 50.0 and f.payloads["recrawl"] == {"source": "affplus"}
    assert f.payloads["notify"]["summary"] == "source affplus last ingested 50.0 h ago (max 48 h)"
    inp.ingest = {}
    out = evaluate_rule(rule(**{**STALE, "sources": ["openaffiliate"]}), inp, RuleState(), T0)
    assert [(f.details["source"], f.details["age_hours"]) for f in out.firings] == [("openaffiliate", None)]
    assert "never ingested" in out.firings[0].summary


def test_low_quality_needs_enough_listings_and_a_high_unknown_share():
    inp = FakeInputs()
    inp.quality = {"affplus": (100, 95), "openaffiliate": (10, 10)}
    r = rule(name="drift", kind="low_quality", max_unknown_share=0.8, min_listings=20, actions=["recrawl"])
    out = evaluate_rule(r, inp, RuleState(), T0)
    assert [f.details["source"] for f in out.firings] == ["affplus"] and out.firings[0].details["unknown_share"] == 0.95


def test_key_expiry_filters_states_and_networks():
    inp = FakeInputs()
    inp.alerts = [{"ref": "awin/default/api_token", "state": "expiring", "days_left": 3.0, "detail": "expires in 3.0 days"},
                  {"ref": "cj/default/api_key", "state": "expired", "days_left": -1.0, "detail": "expired"},
                  {"ref": "awin/default/api_token", "state": "unhealthy", "days_left": 3.0, "detail": "401"}]
    r = rule(name="keys", kind="key_expiry", states=["expiring", "expired"], networks=["awin"], actions=["rotate_key", "notify"])
    out = evaluate_rule(r, inp, RuleState(), T0)
    assert [f.key for f in out.firings] == ["keys:key=awin/default/api_token:expiring"]
    assert out.firings[0].payloads["rotate_key"] == {"ref": "awin/default/api_token", "state": "expiring"}


def test_new_programs_uses_first_seen_then_remembers_what_it_announced():
    inp = FakeInputs()
    inp.programs = [
        {"program_id": "old", "name": "Old", "category": "software", "commission_percent": 30, "first_seen": T0 - 72 * H},
        {"program_id": "fresh", "name": "Fresh", "category": "software", "commission_percent": 40, "first_seen": T0 - 2 * H},
        {"program_id": "nodate", "name": "No date", "category": "software", "commission_percent": None, "first_seen": None},
    ]
    r = rule(name="saas", kind="new_programs", categories=["software"], lookback_hours=24, actions=["notify", "dork"],
             keywords=["crm"])
    out = evaluate_rule(r, inp, RuleState(), T0)
    [f] = out.firings
    assert [p["program_id"] for p in f.details["programs"]] == ["fresh"]  # unknown first_seen: baseline only
    assert out.marks == {"old", "fresh", "nodate"} and f.payloads["dork"] == {"niches": ["crm"]}
    again = evaluate_rule(r, inp, RuleState(T0, out.marks), T0 + H)
    assert again.firings == []
    inp.programs.append({"program_id": "later", "name": "Later", "category": "software", "commission_percent": 5,
                         "first_seen": None})
    later = evaluate_rule(r, inp, RuleState(T0, out.marks), T0 + H)
    assert [p["program_id"] for p in later.firings[0].details["programs"]] == ["later"]


def test_rule_config_is_validated_with_field_and_allowed_values(matrix_home):
    with pytest.raises(ConfigError, match="max_age_hours is required"):
        load_settings(overrides={"triggers": {"rules": [{"name": "x", "kind": "stale_source"}]}})
    with pytest.raises(ConfigError, match="allows"):
        load_settings(overrides={"triggers": {"rules": [{"name": "x", "kind": "key_expiry", "actions": ["recrawl"]}]}})
    with pytest.raises(ConfigError, match="needs a niche"):
        load_settings(overrides={"triggers": {"rules": [{"name": "x", "kind": "new_programs"}]}})
    with pytest.raises(ConfigError, match="repeated"):
        load_settings(overrides={"triggers": {"rules": [STALE, STALE]}})
    with pytest.raises(ConfigError, match="must contain"):
        load_settings(overrides={"triggers": {"dorking": {"templates": ["affiliate"]}}})
    s = load_settings(overrides={"triggers": {"rules": [{**STALE, "sources": ["nope"]}]}})
    with pytest.raises(ConfigError, match=r"triggers.rules.0.sources .*unknown \['nope'\]"):
        check_rules(s)


# -- engine ----------------------------------------------------------------------------------
def test_evaluate_queues_actions_then_cooldown_suppresses_until_it_expires(tmp_path):
    inp, clock = FakeInputs(), Clock()
    inp.ingest = {"affplus": T0 - 50 * H, "openaffiliate": T0}
    eng = engine(tmp_path, [rule(**STALE)], inp, clock=clock)
    dry = eng.evaluate(dry_run=True)
    assert [f["status"] for f in dry.firings] == ["would_queue"] and eng.outbox.counts()["pending"] == 0
    first = eng.evaluate()
    assert first.queued == 1 and len(first.firings[0]["action_ids"]) == 2
    assert {r.action for r in eng.outbox.list("pending")} == {"recrawl", "notify"}
    clock.advance(hours=6)
    second = eng.evaluate()
    assert [f["status"] for f in second.firings] == ["cooldown"] and eng.outbox.counts()["pending"] == 2
    assert eng.evaluate(dry_run=True).firings[0]["cooldown_left_s"] == 6 * 3600
    clock.advance(hours=6, seconds=1)
    assert eng.evaluate().queued == 1 and eng.outbox.counts()["pending"] == 4


def test_a_failing_rule_is_reported_and_counted_while_others_run(tmp_path):
    inp = FakeInputs()
    inp.raise_on_ingest = True
    inp.alerts = [{"ref": "awin/a/api_token", "state": "expired", "days_left": -2, "detail": "expired"}]
    errors = counter("matrix_triggers_rule_errors_total", "", ["rule"]).labels("stale")
    before = errors._value.get()
    eng = engine(tmp_path, [rule(**STALE), rule(name="keys", kind="key_expiry", actions=["notify"])], inp)
    rep = eng.evaluate()
    assert "index unreadable" in rep.errors["stale"] and rep.queued == 1
    assert errors._value.get() == before + 1
    with pytest.raises(ConfigError, match="not in triggers.rules"):
        eng.evaluate(only=["ghost"])


def test_enqueue_is_idempotent_and_fire_is_atomic(tmp_path):
    box = Outbox(tmp_path / "o.sqlite")
    a = box.enqueue("r", "r:k", "notify", {"x": 1}, T0)
    b = box.enqueue("r", "r:k", "notify", {"x": 1}, T0)
    assert a == b and box.counts()["pending"] == 1
    ids = box.fire("r", "r:k2", {"notify": {}, "recrawl": {"source": "s"}}, T0, 3600)
    assert ids is not None and len(ids) == 2
    assert box.fire("r", "r:k2", {"notify": {}}, T0 + H / 2, 3600) is None
    assert Outbox(tmp_path / "o.sqlite").counts()["pending"] == 3  # durable: a new handle sees the rows


def test_dispatch_retries_with_backoff_then_fails_for_good_and_counts(tmp_path):
    inp, clock = FakeInputs(), Clock()
    inp.ingest = {"affplus": T0 - 50 * H, "openaffiliate": T0}
    calls: list[str] = []

    def flaky(rec):
        calls.append(rec.id)
        raise RuntimeError("ingest crashed")

    eng = engine(tmp_path, [rule(**{**STALE, "actions": ["recrawl"]})], inp, {"recrawl": flaky}, clock=clock,
                 max_attempts=3, backoff_base_s=60, backoff_max_s=100)
    failed = counter("matrix_triggers_actions_total", "", ["action", "outcome"]).labels("recrawl", "failed")
    before = failed._value.get()
    eng.evaluate()
    rep = eng.dispatch()
    [aid] = rep.retrying
    rec = eng.outbox.get(aid)
    assert rec.status == "pending" and rec.attempts == 1 and rec.next_attempt_at == T0 + dt.timedelta(seconds=60)
    assert "ingest crashed" in rec.last_error
    assert eng.dispatch().retrying == []  # not due yet
    clock.advance(seconds=60)
    eng.dispatch()
    assert eng.outbox.get(aid).next_attempt_at == clock.t + dt.timedelta(seconds=100)  # 120 capped at 100
    clock.advance(seconds=100)
    rep = eng.dispatch()
    assert rep.failed == [aid] and eng.outbox.get(aid).status == "failed" and len(calls) == 3
    assert failed._value.get() == before + 1
    clock.advance(days=1)
    assert eng.dispatch().done == []  # failed rows are kept, not re-run ...
    assert eng.outbox.retry(aid, clock.t) and eng.outbox.get(aid).attempts == 0  # ... until an operator re-queues


def test_permanent_errors_and_missing_handlers_fail_at_once(tmp_path):
    box = Outbox(tmp_path / "o.sqlite")
    box.enqueue("r", "r:1", "recrawl", {"source": "x"}, T0)
    box.enqueue("r", "r:2", "teleport", {}, T0)

    def bad(rec):
        raise PermanentActionError("source 'x' is not configured")

    eng = TriggerEngine([], FakeInputs(), box, {"recrawl": bad}, clock=Clock())
    rep = eng.dispatch()
    assert len(rep.failed) == 2 and rep.outbox["failed"] == 2
    errors = sorted(r.last_error for r in box.list("failed"))
    assert "no handler for action 'teleport'" in errors[0] and "not configured" in errors[1]


def test_success_stores_the_result_and_an_expired_lease_is_reclaimed(tmp_path):
    box = Outbox(tmp_path / "o.sqlite")
    aid = box.enqueue("r", "r:1", "notify", {"summary": "hi"}, T0)
    [claimed] = box.claim(T0, 10, lease_s=300)  # a dispatcher that then dies
    assert claimed.status == "running" and box.claim(T0 + dt.timedelta(seconds=299), 10, 300) == []
    clock = Clock(T0 + dt.timedelta(seconds=301))
    eng = TriggerEngine([], FakeInputs(), box, {"notify": lambda rec: {"ok": rec.payload["summary"]}}, clock=clock, lease_s=300)
    assert eng.dispatch().done == [aid]
    rec = box.get(aid)
    assert rec.status == "done" and rec.result == {"ok": "hi"} and rec.attempts == 2
    assert box.list("done")[0].as_dict()["created_at"] == T0.isoformat()
    with pytest.raises(ValueError, match="allowed"):
        box.list("weird")

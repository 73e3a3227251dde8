"""Action handlers against real things on 127.0.0.1: webhook delivery (signed, retried or failed),
guided key rotation through a real KeyManager, dorking into candidate files, and the index-backed
rule inputs over a real (small) LanceDB index."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json

import pytest

from matrix.config import load_settings
from matrix.index import MasterIndex
from matrix.keys import CredentialRef, KeyManager, Secret
from matrix.models import Commission, CommissionModel, Listing, Program
from matrix.triggers import Outbox, TriggerEngine
from matrix.triggers.actions import (
    EVENT_ID_HEADER,
    SIGNATURE_HEADER,
    NotifyHandler,
    PermanentActionError,
    RecrawlHandler,
    RotateKeyHandler,
    WebhookNotifier,
)
from matrix.triggers.engine import default_handlers
from matrix.triggers.inputs import IndexInputs
from matrix.triggers.outbox import ActionRecord
from matrix.triggers.webhooks import TIMESTAMP_HEADER, verify_signature
from tests.support.dork_server import DorkServer, searx_result

UTC = dt.timezone.utc
NOW = dt.datetime.now(UTC)
LOCAL = ["127.0.0.1/32"]  # only the test receivers on this machine


@pytest.fixture
def server():
    s = DorkServer().start()
    yield s
    s.stop()


def record(action: str, payload: dict, id: str = "a1") -> ActionRecord:
    return ActionRecord(id=id, rule="r", firing_key="r:k", action=action, payload=payload, status="running", attempts=1,
                        next_attempt_at=NOW, created_at=NOW, updated_at=NOW, last_error=None, result=None)


class Recorder:
    name = "rec"

    def __init__(self) -> None:
        self.events: list[tuple[dict, str]] = []

    def send(self, event, event_id):
        self.events.append((event, event_id))


def test_webhook_receives_signed_json_and_statuses_map_to_retry_or_fail(server):
    hook = WebhookNotifier(server.url + "/hook", timeout_s=5, secret=lambda: "s3cret", allow_private=LOCAL)
    NotifyHandler([hook])(record("notify", {"summary": "source affplus is stale", "details": {"source": "affplus"}}))
    [got] = server.hooks
    assert got["json"]["summary"] == "source affplus is stale" and got["json"]["event_id"] == "a1"
    assert got["headers"][EVENT_ID_HEADER] == "a1"
    ts = got["headers"][TIMESTAMP_HEADER]
    expected = hmac.new(b"s3cret", ts.encode() + b"." + got["body"], hashlib.sha256).hexdigest()
    assert got["headers"][SIGNATURE_HEADER] == f"t={ts},v1={expected}"
    assert verify_signature("s3cret", got["headers"], got["body"]) == "a1"
    server.hook_status = [503, 404]
    with pytest.raises(RuntimeError, match="503") as exc:
        hook.send({"x": 1}, "e2")
    assert not isinstance(exc.value, PermanentActionError)
    with pytest.raises(PermanentActionError, match="404"):
        hook.send({"x": 1}, "e3")
    with pytest.raises(RuntimeError, match="connect_error"):
        WebhookNotifier("http://127.0.0.1:9/hook", timeout_s=2, allow_private=LOCAL).send({}, "e4")


def test_notify_end_to_end_retries_a_failed_webhook_then_delivers(server, settings, tmp_path):
    s = load_settings(overrides={"home": str(settings.home), "triggers": {"webhook_url": server.url + "/hook",
                                                                          "backoff_base_s": 0, "allow_private_networks": LOCAL}})
    handlers = default_handlers(s, recrawl_runner=lambda names: {}, known_domains=set)
    box = Outbox(tmp_path / "o.sqlite")
    aid = box.enqueue("stale", "stale:source=x", "notify", {"summary": "x is stale"}, NOW)
    eng = TriggerEngine([], None, box, handlers, max_attempts=3, backoff_base_s=0)
    server.hook_status = [500]
    assert eng.dispatch().retrying == [aid]
    assert eng.dispatch().done == [aid]
    assert [h["json"]["summary"] for h in server.hooks] == ["x is stale", "x is stale"]  # at-least-once, same id
    assert {h["headers"][EVENT_ID_HEADER] for h in server.hooks} == {aid}
    assert SIGNATURE_HEADER not in server.hooks[0]["headers"]


def test_recrawl_calls_the_runner_for_configured_sources_only():
    calls = []
    h = RecrawlHandler(lambda names: calls.append(names) or {"listings": {"inserted": 3}, "seconds": 1.5},
                       lambda: ["affplus"])
    assert h(record("recrawl", {"source": "affplus"})) == {"source": "affplus", "listings": {"inserted": 3},
                                                           "programs": None, "seconds": 1.5}
    assert calls == [["affplus"]]
    with pytest.raises(PermanentActionError, match="not configured"):
        h(record("recrawl", {"source": "gone"}))


class Issuer:
    def __init__(self) -> None:
        self.created = 0

    def create_credential(self, ref):
        self.created += 1
        return Secret(f"new-value-{self.created}-xxxxxxxx")

    def revoke_credential(self, ref, secret):
        pass


def test_rotate_key_is_manual_without_an_issuer_and_automatic_with_one(settings):
    admin = KeyManager.from_settings(settings, component="admin")
    ref = CredentialRef("awin", "default", "api_token")
    admin.put(ref, "old-value-123456", expires_at=NOW + dt.timedelta(days=3))
    triggers_km = KeyManager.from_settings(settings, component="triggers")
    alerts = IndexInputs(settings, key_manager_factory=lambda: triggers_km).key_alerts()
    assert [(a["ref"], a["state"]) for a in alerts] == [("awin/default/api_token", "expiring")]

    rec = Recorder()
    out = RotateKeyHandler(lambda: triggers_km, [rec])(record("rotate_key", {"ref": ref.path, "state": "expiring"}))
    assert out["mode"] == "manual" and out["command"] == "matrix keys rotate awin/default/api_token"
    assert rec.events[0][0]["details"]["command"] == out["command"]
    assert admin.get(ref).reveal() == "old-value-123456"  # nothing invented, nothing changed

    issuer = Issuer()
    rotating = KeyManager.from_settings(settings, component="admin", issuers={"awin": issuer})
    out = RotateKeyHandler(lambda: rotating)(record("rotate_key", {"ref": ref.path, "state": "expiring"}))
    assert out["mode"] == "automatic" and issuer.created == 1
    assert admin.get(ref).reveal() == "new-value-1-xxxxxxxx"
    with pytest.raises(PermanentActionError, match="bad credential ref"):
        RotateKeyHandler(lambda: rotating)(record("rotate_key", {"ref": "nonsense"}))


def test_dork_action_writes_candidates_and_fails_when_every_query_fails(server, settings):
    s = load_settings(overrides={"home": str(settings.home), "triggers": {"allow_private_networks": LOCAL, "dorking": {
        "url": server.url, "templates": ['"{niche}" "affiliate program"'], "requests_per_second": 100, "max_retries": 0,
        "niches": ["pet food"]}}})
    server.results['"pet food" "affiliate program"'] = [
        searx_result("https://kibbly.com/affiliate", "Kibbly Affiliate Program", "Earn 15% commission on pet food")]
    handlers = default_handlers(s, known_domains=lambda: {"known.com"})
    out = handlers["dork"](record("dork", {}))
    assert out["candidates"] == 1 and out["top"][0]["domain"] == "kibbly.com"
    assert json.loads(open(out["file"]).readline())["merchant_domain"] == "kibbly.com"
    server.fail_next = [(500, {})]
    with pytest.raises(RuntimeError, match="every query failed"):
        handlers["dork"](record("dork", {"niches": ["pet food"]}))
    with pytest.raises(PermanentActionError, match="recrawl: no ingest runner"):
        handlers["recrawl"](record("recrawl", {"source": "openaffiliate"}))
    bare = default_handlers(load_settings(overrides={"home": str(settings.home)}), known_domains=set)
    with pytest.raises(PermanentActionError, match="no url configured"):
        bare["dork"](record("dork", {"niches": ["x"]}))
    with pytest.raises(PermanentActionError, match="no niches"):
        bare["dork"](record("dork", {}))


def _program(pid: str, name: str, category: str, pct: float | None, first_seen, domain: str) -> Program:
    c = Commission(model=CommissionModel.PERCENT, percent_max=pct) if pct is not None else Commission()
    return Program(program_id=pid, name=name, category=category, commission=c, first_seen=first_seen,
                   merchant_domain=domain, description=f"{name} {category} affiliate program")


def test_index_inputs_read_a_real_index(settings):
    index = MasterIndex(settings)
    index.upsert_programs([
        _program("p1", "CRM Rocket", "software", 30.0, NOW - dt.timedelta(hours=2), "crmrocket.com"),
        _program("p2", "CRM Snail", "software", 5.0, NOW - dt.timedelta(hours=1), "crmsnail.com"),
        _program("p3", "Travel CRM", "travel", 40.0, None, "travelcrm.com"),
    ])
    old = NOW - dt.timedelta(hours=60)
    index.upsert_listings([Listing(source="affplus", source_id=str(i), name=f"L{i}", fetched_at=old) for i in range(4)]
                          + [Listing(source="openaffiliate", source_id="x", name="X", fetched_at=NOW,
                                     commission=Commission(model=CommissionModel.FLAT, flat_max=5))])
    index.ensure_text_index()
    inp = IndexInputs(settings)
    last = inp.last_ingest()
    assert abs((last["affplus"] - old).total_seconds()) < 1 and set(last) == {"affplus", "openaffiliate"}
    assert inp.source_quality() == {"affplus": (4, 4), "openaffiliate": (1, 0)}
    assert inp.known_domains() == {"crmrocket.com", "crmsnail.com", "travelcrm.com"}
    from matrix.config import TriggerRuleSettings

    r = TriggerRuleSettings(name="crm", kind="new_programs", keywords=["crm"], categories=["software"],
                            min_commission_percent=10)
    got = inp.niche_programs(r)
    assert [(g["program_id"], g["commission_percent"]) for g in got] == [("p1", 30.0)]
    assert abs((got[0]["first_seen"] - (NOW - dt.timedelta(hours=2))).total_seconds()) < 1

    s = load_settings(overrides={"home": str(settings.home), "sources": [
        {"name": "affplus", "kind": "affplus"}, {"name": "openaffiliate", "kind": "openaffiliate"}],
        "triggers": {"rules": [
            {"name": "stale", "kind": "stale_source", "max_age_hours": 48, "actions": ["recrawl"]},
            {"name": "crm", "kind": "new_programs", "keywords": ["crm"], "actions": ["notify"]},
            {"name": "drift", "kind": "low_quality", "max_unknown_share": 0.5, "min_listings": 3, "actions": ["notify"]}]}})
    rep = TriggerEngine.from_settings(s, inputs=IndexInputs(s, index=index)).evaluate()
    assert sorted(f["key"].split(":")[0] + ":" + f["summary"][:14] for f in rep.firings) == [
        "crm:2 new program(", "drift:source affplus", "stale:source affplus"]


def test_index_inputs_on_an_empty_home(settings):
    inp = IndexInputs(settings)
    assert inp.last_ingest() == {} and inp.source_quality() == {} and inp.known_domains() == set()
    assert inp.key_alerts() == []

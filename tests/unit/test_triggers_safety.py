"""Webhook safety and the outbox's guarantees, against real things on 127.0.0.1:
SSRF rules for webhook/dorking targets, redaction of URLs and secrets (logs, last_error, the HTTP
outbox view), redirects not followed, permanent errors to the dead letter, leases with claim
tokens, the effects ledger for our own actions, re-crawl timeouts and a loop that survives errors."""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading
import time
from pathlib import Path

import pytest
from aiohttp import web
from fastapi.testclient import TestClient

from matrix.config import ConfigError, load_settings
from matrix.keys import CredentialRef, KeyManager, Secret
from matrix.triggers import Outbox, TriggerEngine
from matrix.triggers.actions import PermanentActionError, RecrawlHandler, RotateKeyHandler, WebhookNotifier
from matrix.triggers.engine import default_handlers, run_loop
from matrix.triggers.outbox import ActionRecord
from matrix.triggers.targets import UnsafeTarget, check_url
from matrix.triggers.webhooks import SignatureError, signature_header, verify_signature
from tests.support.dork_server import DorkServer

UTC = dt.timezone.utc
T0 = dt.datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
LOCAL = ["127.0.0.1/32"]
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def server():
    s = DorkServer().start()
    yield s
    s.stop()


# -- SSRF -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("url, why", [
    ("http://169.254.169.254/latest/meta-data/", "metadata"),
    ("http://[::ffff:169.254.169.254]/", "metadata"),
    ("file:///etc/passwd", "scheme 'file'"),
    ("gopher://127.0.0.1:70/", "scheme 'gopher'"),
    ("not a url", "scheme"),
    ("http://", "no host"),
    ("http://10.0.0.5/hook", "not public"),
    ("http://127.0.0.1:8080/hook", "not public"),
    ("http://localhost/hook", "not public"),
    ("http://[::1]/hook", "not public"),
    ("http://user:pw@example.com/hook", "credentials"),
])
def test_unsafe_targets_are_refused(url, why):
    with pytest.raises(UnsafeTarget, match=why):
        check_url(url, resolver=lambda h, p: ["93.184.216.34"])


def test_names_must_resolve_to_public_addresses_unless_allowed():
    assert check_url("https://hooks.example.com/x", resolver=lambda h, p: ["93.184.216.34"]) == ["93.184.216.34"]
    with pytest.raises(UnsafeTarget, match="not public"):  # DNS pointing inside
        check_url("https://evil.example.com/x", resolver=lambda h, p: ["93.184.216.34", "192.168.1.10"])
    with pytest.raises(UnsafeTarget, match="does not resolve"):
        check_url("https://nxdomain.invalid/x", resolver=lambda h, p: (_ for _ in ()).throw(OSError("nx")))
    assert check_url("http://127.0.0.1:9/x", LOCAL) == ["127.0.0.1"]
    with pytest.raises(UnsafeTarget, match="metadata"):  # a broad allowance does not open the metadata endpoint
        check_url("http://169.254.169.254/", ["169.254.0.0/16"])
    with pytest.raises(UnsafeTarget, match="not an address range"):
        check_url("http://127.0.0.1/", ["localhost"])


@pytest.mark.parametrize("field", ["webhook_url", "dorking.url"])
@pytest.mark.parametrize("bad", ["http://169.254.169.254/x", "file:///etc/passwd", "gopher://a/", "not a url"])
def test_config_rejects_unsafe_webhook_and_dorking_urls(matrix_home, field, bad):
    over = {"webhook_url": bad} if field == "webhook_url" else {"dorking": {"url": bad}}
    with pytest.raises(ConfigError, match=field.replace(".", r"\.")):
        load_settings(overrides={"triggers": over})
    ok = {"webhook_url": "http://127.0.0.1:1/x"} if field == "webhook_url" else {"dorking": {"url": "http://127.0.0.1:1"}}
    with pytest.raises(ConfigError):
        load_settings(overrides={"triggers": ok})
    assert load_settings(overrides={"triggers": {**ok, "allow_private_networks": LOCAL}})




# -- webhooks -------------------------------------------------------------------------------------
def test_signature_covers_timestamp_and_body_and_expires():
    body = b'{"a":1}'
    h = {"X-Matrix-Signature": signature_header("k3y", 1_000_000, body), "X-Matrix-Event-Id": "e1"}
    assert verify_signature("k3y", h, body, now=1_000_100) == "e1"
    with pytest.raises(SignatureError, match="tolerance"):
        verify_signature("k3y", h, body, now=1_000_000 + 301)  # a replay 5 min + 1 s later
    with pytest.raises(SignatureError, match="mismatch"):
        verify_signature("k3y", h, b'{"a":2}', now=1_000_000)
    with pytest.raises(SignatureError, match="mismatch"):  # the timestamp cannot be moved forward
        verify_signature("k3y", {**h, "X-Matrix-Signature": h["X-Matrix-Signature"].replace("t=1000000", "t=1000200")},
                         body, now=1_000_200)
    with pytest.raises(SignatureError, match="no signature"):
        verify_signature("k3y", {}, body)


def test_docs_verification_snippet_runs(server):
    """docs/triggers.md carries a standalone receiver-side check; it must accept our requests."""
    text = (REPO / "docs" / "triggers.md").read_text()
    code = re.search(r"```python verify\n(.*?)```", text, re.S).group(1)
    ns: dict = {}
    exec(compile(code, "docs/triggers.md", "exec"), ns)
    hook = WebhookNotifier(server.url + "/hook", secret=lambda: "whsec-123456", allow_private=LOCAL)
    hook.send({"summary": "hi"}, "evt-1")
    got = server.hooks[0]
    assert ns["verify"]("whsec-123456", got["headers"], got["body"]) == "evt-1"
    with pytest.raises(ValueError):
        ns["verify"]("whsec-123456", got["headers"], got["body"] + b" ")
    with pytest.raises(ValueError):
        ns["verify"]("whsec-123456", got["headers"], got["body"], now=time.time() + 400)


class Redirector:
    """A receiver that answers 302 to the metadata address: must not be followed."""

    def __init__(self) -> None:
        self.hits = 0
        self.port = 0
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        import asyncio

        self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)

        async def hook(request):
            self.hits += 1
            raise web.HTTPFound("http://169.254.169.254/latest/meta-data/")
        app = web.Application()
        app.router.add_post("/hook", hook)
        self.runner = web.AppRunner(app, access_log=None)
        self.loop.run_until_complete(self.runner.setup())
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        self.loop.run_until_complete(site.start())
        self.port = site._server.sockets[0].getsockname()[1]
        self._ready.set()
        self.loop.run_forever()

    def __enter__(self):
        self._thread.start()
        self._ready.wait(10)
        return self

    def __exit__(self, *a):
        import asyncio

        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)


def test_redirects_are_not_followed_and_permanent_errors_dead_letter_at_once(tmp_path, server):
    with Redirector() as r:
        hook = WebhookNotifier(f"http://127.0.0.1:{r.port}/hook", allow_private=LOCAL)
        with pytest.raises(PermanentActionError, match="redirect.*not followed"):
            hook.send({}, "e1")
        assert r.hits == 1
    box = Outbox(tmp_path / "o.sqlite")
    from matrix.triggers.actions import NotifyHandler

    ids = [box.enqueue("r", f"r:{i}", "notify", {"summary": str(i)}, T0) for i in range(4)]
    server.hook_status = [404, 408, 429, 500]
    eng = TriggerEngine([], None, box, {"notify": NotifyHandler([WebhookNotifier(server.url + "/hook", allow_private=LOCAL)])},
                        clock=lambda: T0, max_attempts=5)
    rep = eng.dispatch()
    order = [h["json"]["event_id"] for h in server.hooks]  # answered 404, 408, 429, 500 in this order
    assert sorted(order) == sorted(ids) and rep.failed == [order[0]] and sorted(rep.retrying) == sorted(order[1:])
    ids = order
    dead = box.get(ids[0])
    assert dead.status == "failed" and dead.dead_reason.startswith("permanent error") and "404" in dead.dead_reason
    unsafe = TriggerEngine([], None, box, {"notify": NotifyHandler([WebhookNotifier("http://10.1.2.3/hook")])},
                           clock=lambda: T0 + dt.timedelta(hours=2))
    assert sorted(unsafe.dispatch().failed) == sorted(ids[1:])  # an unsafe target is permanent too
    assert "unsafe target" in box.get(ids[1]).dead_reason


def test_webhook_url_and_secret_are_redacted_from_logs_errors_and_the_outbox_api(settings, caplog):
    """The URL lives in the key manager; a failing delivery must not reveal it anywhere."""
    secret_url = "http://127.0.0.1:9/services/T000/B000/XXXXsecretpathXXXX"
    admin = KeyManager.from_settings(settings, component="admin")
    admin.put(CredentialRef("matrix", "triggers", "webhook_url"), secret_url)
    admin.put(CredentialRef("matrix", "triggers", "webhook_secret"), "whsec-very-secret-value")
    admin.put(CredentialRef("matrix", "triggers", "admin_api_key"), "admin-key-0123456789")
    s = load_settings(overrides={"home": str(settings.home), "triggers": {
        "webhook_url_ref": "matrix/triggers/webhook_url", "webhook_secret_ref": "matrix/triggers/webhook_secret",
        "allow_private_networks": LOCAL, "max_attempts": 1}})
    eng = TriggerEngine.from_settings(s, handlers=default_handlers(s, recrawl_runner=lambda n: {}, known_domains=set))
    aid = eng.outbox.enqueue("r", "r:1", "notify", {"summary": "x"}, T0)
    with caplog.at_level(logging.DEBUG):
        rep = eng.dispatch()
    assert rep.failed == [aid]  # connection refused, out of attempts -> dead letter
    rec = eng.outbox.get(aid)
    assert "connect_error" in rec.last_error and "gave up after 1 attempt" in rec.dead_reason
    from serve_apps.triggers_app import create_app, key_verifier

    client = TestClient(create_app(s, eng, key_verifier(s)))
    body = client.get("/outbox", headers={"X-API-Key": "admin-key-0123456789"}).text
    logs = caplog.text + "".join(str(r.__dict__) for r in caplog.records)
    for where, text in (("last_error", rec.last_error + rec.dead_reason), ("GET /triggers/outbox", body), ("logs", logs)):
        assert "secretpath" not in text and "whsec-very" not in text, where
        assert "T000/B000" not in text and "127.0.0.1:9" not in text, where
    assert "webhook (matrix/triggers/webhook_url)" in rec.last_error  # named by its ref, not its value


# -- leases, tokens and the ledger ----------------------------------------------------------------
def test_only_the_current_holder_may_complete_fail_or_renew(tmp_path):
    box = Outbox(tmp_path / "o.sqlite")
    aid = box.enqueue("r", "r:1", "notify", {}, T0)
    a = box.claim_one(T0, lease_s=60)
    assert a.claim_token and box.renew(aid, a.claim_token, T0 + dt.timedelta(seconds=30), 60)
    assert box.claim_one(T0 + dt.timedelta(seconds=80), 60) is None  # renewed: still a's
    b = box.claim_one(T0 + dt.timedelta(seconds=91), 60)  # a stalled past its lease: b takes over
    assert b.id == aid and b.claim_token != a.claim_token and b.attempts == 2
    assert not box.complete(aid, a.claim_token, {"by": "a"}, T0 + dt.timedelta(seconds=95))  # stale holder refused
    assert not box.fail(aid, a.claim_token, "late", T0, None)
    assert not box.renew(aid, a.claim_token, T0, 60)
    assert box.get(aid).status == "running"
    assert box.complete(aid, b.claim_token, {"by": "b"}, T0 + dt.timedelta(seconds=96))
    assert not box.fail(aid, b.claim_token, "again", T0, T0)  # done stays done
    assert box.get(aid).result == {"by": "b"} and "claim_token" not in box.get(aid).as_dict()


def test_a_slow_action_keeps_its_lease_and_is_not_run_twice(tmp_path):
    box = Outbox(tmp_path / "o.sqlite")
    aid = box.enqueue("r", "r:1", "slow", {}, dt.datetime.now(UTC))
    started, release = threading.Event(), threading.Event()
    calls = []

    def slow(rec):
        calls.append(rec.id)
        started.set()
        release.wait(20)
        return {"ok": True}

    eng = TriggerEngine([], None, box, {"slow": slow}, lease_s=0.6)
    t = threading.Thread(target=eng.dispatch)
    t.start()
    assert started.wait(20)
    other = TriggerEngine([], None, box, {"slow": slow}, lease_s=0.6)
    deadline = time.monotonic() + 2.0  # > 3 lease periods: without renewal the row would be re-claimed
    while time.monotonic() < deadline:
        assert other.dispatch().done == []
        time.sleep(0.1)
    release.set()
    t.join(20)
    assert calls == [aid] and box.get(aid).status == "done"


def _record(action, payload, key="k1"):
    return ActionRecord(id=key, rule="r", firing_key="r:k", action=action, payload=payload, status="running", attempts=1,
                        next_attempt_at=T0, created_at=T0, updated_at=T0, last_error=None, result=None,
                        idempotency_key=key)


def test_own_actions_never_repeat_their_effect(tmp_path, settings):
    box = Outbox(tmp_path / "o.sqlite")
    crawls: list[list[str]] = []
    finished_at: dict[str, dt.datetime] = {}
    h = RecrawlHandler(lambda names: crawls.append(names) or {"listings": 1}, lambda: ["oa"], ledger=box,
                       last_ingest=lambda: finished_at)
    assert h(_record("recrawl", {"source": "oa"}))["listings"] == 1
    assert h(_record("recrawl", {"source": "oa"}))["duplicate"] is True and crawls == [["oa"]]
    # a holder that died after starting: the crawl finished (the source's last ingest moved) -> not run again
    box.begin_effect("k2", "recrawl", {"source": "oa"}, dt.datetime.now(UTC) - dt.timedelta(minutes=5))
    finished_at["oa"] = dt.datetime.now(UTC)
    assert h(_record("recrawl", {"source": "oa"}, "k2"))["recovered"] is True and len(crawls) == 1
    # ... or it did not: run it
    box.begin_effect("k3", "recrawl", {"source": "oa"}, dt.datetime.now(UTC) + dt.timedelta(minutes=5))
    h(_record("recrawl", {"source": "oa"}, "k3"))
    assert len(crawls) == 2

    class Issuer:
        created = 0

        def create_credential(self, ref):
            Issuer.created += 1
            return Secret(f"new-value-{Issuer.created}-xxxxxxxx")

        def revoke_credential(self, ref, secret):
            pass

    ref = CredentialRef("awin", "default", "api_token")
    KeyManager.from_settings(settings, component="admin").put(ref, "old-value-123456")
    km = KeyManager.from_settings(settings, component="admin", issuers={"awin": Issuer()})
    rot = RotateKeyHandler(lambda: km, ledger=box)
    first = rot(_record("rotate_key", {"ref": ref.path}, "rot-1"))
    assert first["mode"] == "automatic" and Issuer.created == 1
    assert rot(_record("rotate_key", {"ref": ref.path}, "rot-1"))["duplicate"] and Issuer.created == 1
    # crash after rotating, before the ledger write: the version moved on -> recovered, not rotated again
    v = km.meta(ref).version
    box.begin_effect("rot-2", "rotate_key", {"ref": ref.path, "version_before": v}, dt.datetime.now(UTC))
    km.rotate(ref)
    assert rot(_record("rotate_key", {"ref": ref.path}, "rot-2"))["recovered"] and Issuer.created == 2


def test_a_hung_recrawl_times_out_instead_of_outliving_its_lease():
    gate = threading.Event()
    h = RecrawlHandler(lambda names: gate.wait(30), lambda: ["oa"], timeout_s=0.3)
    t0 = time.monotonic()
    with pytest.raises(TimeoutError, match="within 0.3 s"):
        h(_record("recrawl", {"source": "oa"}))
    assert time.monotonic() - t0 < 10
    gate.set()


def test_the_interval_loop_survives_any_single_error():
    calls = {"n": 0}
    seen = []

    def round_fn():
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("database is locked")
        if calls["n"] == 3:
            raise KeyError("matrix/triggers/webhook_secret")
        return {"evaluation": {"errors": {}}, "dispatch": {"failed": []}}

    rc = run_loop(round_fn, 0.0, iterations=4, on_result=seen.append, sleep=lambda s: None)
    assert calls["n"] == 4 and rc == 0
    assert [("error" in r) for r in seen] == [False, True, True, False]
    assert "database is locked" in seen[1]["error"]
    assert run_loop(lambda: (_ for _ in ()).throw(OSError("x")), None) == 1

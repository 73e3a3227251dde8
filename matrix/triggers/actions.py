"""Action handlers: what an outbox row does when dispatched.

A handler is `handler(record) -> result dict`. Raising `PermanentActionError` means retrying
cannot help (an unknown source, a 4xx from the webhook, an unsafe target) and the row is
dead-lettered at once; any other exception is retried with backoff until `triggers.max_attempts`.
Dependencies (the ingest runner, the dork runner, the key manager, the HTTP client) are injected,
so the same handlers run in the CLI, in a Ray job (re-crawls become Ray tasks) and in tests
against local servers.

Effects: a notification is external (the receiver de-duplicates on the idempotency key, sent as
the event id); re-crawl, key rotation and index refresh are ours, so their handlers consult the
outbox's effects ledger with the record's idempotency key and never act twice for one key.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from pathlib import Path
from typing import Any, Callable, Protocol, Sequence
from urllib.parse import urlsplit

from matrix.observability import counter, get_logger
from matrix.triggers import webhooks
from matrix.triggers.outbox import ActionRecord, Outbox
from matrix.triggers.targets import UnsafeTarget, check_url
from matrix.triggers.webhooks import EVENT_ID_HEADER, IDEMPOTENCY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER  # noqa: F401

log = get_logger(__name__)
NOTIFICATIONS = counter("matrix_triggers_notifications_total", "Notifications sent, by channel and outcome",
                        ["channel", "outcome"])
REDACTED = "[REDACTED]"


class PermanentActionError(RuntimeError):
    """Retrying will not help; the action is dead-lettered immediately."""


ActionHandler = Callable[[ActionRecord], dict[str, Any]]


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def redact(text: str, *secrets_: str | None) -> str:
    """`text` with every given secret (and every secret the key manager handed out) replaced."""
    for value in sorted((v for v in secrets_ if v), key=len, reverse=True):
        text = text.replace(value, REDACTED)
    try:
        from matrix.keys.redact import scrub

        return scrub(text)
    except Exception:  # pragma: no cover - redaction must never raise
        return text


def _remember(value: str | None) -> None:
    try:
        from matrix.keys.redact import remember

        remember(value)
    except Exception:  # pragma: no cover
        pass


# -- notify ------------------------------------------------------------------------------------
class Notifier(Protocol):
    name: str

    def send(self, event: dict[str, Any], event_id: str) -> None: ...


class LogNotifier:
    """Always on: every notification is a structured log line (searchable even with no webhook)."""

    name = "log"

    def send(self, event: dict[str, Any], event_id: str) -> None:
        log.warning("trigger notification", extra={"event_id": event_id, "rule": event.get("rule"),
                                                   "summary": event.get("summary")})
        NOTIFICATIONS.labels(self.name, "ok").inc()


def _provider(value: str | Callable[[], str | None] | None) -> Callable[[], str | None]:
    if callable(value):
        return value
    return lambda: value


class WebhookNotifier:
    """POSTs the event as JSON to a target that must be http(s) and public (or explicitly allowed).

    Signs `<timestamp>.<body>` when a secret is configured (headers in matrix.triggers.webhooks);
    the event id (= the action's idempotency key) is the same on every retry, so a receiver can drop
    the duplicate a retry after a lost response delivers. The URL and the secret come from the key
    manager (callables), are never logged and are scrubbed from every error message: errors name
    the target by `label` only. Sent through the shared HTTP layer (matrix.http) in one attempt;
    redirects are not followed; 3xx and 4xx other than 408/429 are
    permanent (dead letter), 408/429/5xx and network errors are retried.
    """

    name = "webhook"

    def __init__(self, url: str | Callable[[], str | None], timeout_s: float = 10.0,
                 secret: Callable[[], str | None] | None = None,
                 user_agent: str = "AffiliateMatrixBot/0.1", allow_private: Sequence[str] = (),
                 label: str = "webhook", clock: Callable[[], float] = time.time) -> None:
        self.url = _provider(url)
        self.timeout_s = timeout_s
        self.secret = secret or (lambda: None)
        self.user_agent = user_agent
        self.allow_private = list(allow_private)
        self.label = label
        self.clock = clock

    def send(self, event: dict[str, Any], event_id: str) -> None:
        url = self.url()
        key = self.secret()
        _remember(url)
        _remember(key)
        if not url:
            raise PermanentActionError(f"{self.label}: no webhook URL configured")
        try:
            check_url(url, self.allow_private)
        except UnsafeTarget as exc:
            NOTIFICATIONS.labels(self.name, "unsafe").inc()
            raise PermanentActionError(f"{self.label}: unsafe target: {redact(str(exc), url, key)}") from None
        body = json.dumps(event, sort_keys=True, default=str).encode()
        ts = int(self.clock())
        headers = {"Content-Type": "application/json", EVENT_ID_HEADER: event_id, IDEMPOTENCY_HEADER: event_id,
                   TIMESTAMP_HEADER: str(ts), "User-Agent": self.user_agent}
        if key:
            headers[SIGNATURE_HEADER] = webhooks.signature_header(key, ts, body)
        resp = webhooks.post(url, body, headers, self.timeout_s)
        host = urlsplit(url).netloc
        secrets_ = (url, key, host, host.rsplit("@", 1)[-1].rsplit(":", 1)[0])  # errors may quote host:port
        if resp.error == "redirect":
            NOTIFICATIONS.labels(self.name, "redirect").inc()
            raise PermanentActionError(f"{self.label} answered a redirect (redirects are not followed)")
        if resp.status_code is None:  # no answer: connection refused, timeout, truncated
            NOTIFICATIONS.labels(self.name, "error").inc()
            raise RuntimeError(f"{self.label}: {resp.error}: {redact(resp.text, *secrets_)}")
        if 200 <= resp.status_code < 300:
            NOTIFICATIONS.labels(self.name, "ok").inc()
            return
        NOTIFICATIONS.labels(self.name, str(resp.status_code)).inc()
        msg = f"{self.label} answered {resp.status_code}: {redact(resp.text, *secrets_)}"
        if 300 <= resp.status_code < 400:
            raise PermanentActionError(msg + " (redirects are not followed)")
        if 400 <= resp.status_code < 500 and resp.status_code not in (408, 429):
            raise PermanentActionError(msg)
        raise RuntimeError(msg)


class NotifyHandler:
    def __init__(self, notifiers: Sequence[Notifier]) -> None:
        self.notifiers = list(notifiers)

    def __call__(self, record: ActionRecord) -> dict[str, Any]:
        key = record.idempotency_key or record.id
        event = {"event_id": key, "rule": record.rule, "firing_key": record.firing_key,
                 "created_at": record.created_at.isoformat() if record.created_at else None, **record.payload}
        for n in self.notifiers:
            n.send(event, key)
        return {"sent_to": [n.name for n in self.notifiers]}


# -- own effects: the ledger ---------------------------------------------------------------------
class OwnEffect:
    """Runs one of our own effects at most once per idempotency key.

    Before acting, `begin_effect` records what the world looked like; a repeat of the same key
    (a retry after a crash, or a second dispatcher after a lost lease) finds the entry: `done`
    returns the first result; `started` asks `probe(info, started_at)` whether the effect did
    happen (e.g. the credential version moved on, a crawl of the source finished after it began)
    and only acts again when it did not. The probe is what makes "crash after the effect, before
    the ledger write" safe.
    """

    def __init__(self, ledger: Outbox | None, action: str, clock: Callable[[], dt.datetime] = _utcnow) -> None:
        self.ledger = ledger
        self.action = action
        self.clock = clock

    def run(self, record: ActionRecord, info: dict[str, Any], act: Callable[[], dict[str, Any]],
            probe: Callable[[dict[str, Any], dt.datetime], dict[str, Any] | None] = lambda info, t: None) -> dict[str, Any]:
        if self.ledger is None:
            return act()
        key = record.idempotency_key or record.id
        prior = self.ledger.begin_effect(key, self.action, info, self.clock())
        if prior is not None:
            if prior["state"] == "done":
                return {**(prior["result"] or {}), "duplicate": True}
            happened = probe(prior["info"] or {}, prior["started_at"])
            if happened is not None:
                result = {**happened, "recovered": True}
                self.ledger.finish_effect(key, self.action, result, self.clock())
                return result
        result = act()
        self.ledger.finish_effect(key, self.action, result, self.clock())
        return result


def call_with_timeout(fn: Callable[[], Any], timeout_s: float | None, what: str) -> Any:
    """Run `fn` in a daemon thread and wait at most `timeout_s`: a hung call fails the action
    (to be retried under a new lease) instead of outliving its lease."""
    if timeout_s is None:
        return fn()
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # handed to the caller
            box["error"] = exc

    t = threading.Thread(target=target, daemon=True, name=f"action-{what}")
    t.start()
    t.join(timeout_s)
    if t.is_alive():
        raise TimeoutError(f"{what} did not finish within {timeout_s:g} s")
    if "error" in box:
        raise box["error"]
    return box.get("value")


# -- recrawl -----------------------------------------------------------------------------------
class RecrawlHandler:
    """Re-ingests one source through an injected runner (jobs.ingest.run_ingest, or a Ray task around it).

    Own effect: with a ledger, a repeated key never crawls twice; a crawl started by a holder that
    died counts as done when the source's last ingest is newer than its start (`last_ingest`)."""

    def __init__(self, runner: Callable[[list[str]], dict[str, Any]], known_sources: Callable[[], Sequence[str]],
                 ledger: Outbox | None = None, last_ingest: Callable[[], dict[str, dt.datetime]] | None = None,
                 timeout_s: float | None = None) -> None:
        self.runner = runner
        self.known_sources = known_sources
        self.effect = OwnEffect(ledger, "recrawl")
        self.last_ingest = last_ingest
        self.timeout_s = timeout_s

    def __call__(self, record: ActionRecord) -> dict[str, Any]:
        source = record.payload.get("source")
        known = list(self.known_sources())
        if not source or source not in known:
            raise PermanentActionError(f"recrawl: source {source!r} is not configured; configured: {known}")

        def act() -> dict[str, Any]:
            summary = call_with_timeout(lambda: self.runner([source]), self.timeout_s, f"recrawl {source}") or {}
            return {"source": source, "listings": summary.get("listings"), "programs": summary.get("programs"),
                    "seconds": summary.get("seconds")}

        def probe(info: dict[str, Any], started: dt.datetime) -> dict[str, Any] | None:
            if self.last_ingest is None:
                return None
            seen = self.last_ingest().get(source)
            return {"source": source, "last_ingest": seen.isoformat()} if seen is not None and seen > started else None

        return self.effect.run(record, {"source": source}, act, probe)


class RefreshIndexHandler:
    """Own effect: rebuild/refresh the index's search structures once per key (injected `refresh`)."""

    def __init__(self, refresh: Callable[[], dict[str, Any]], ledger: Outbox | None = None) -> None:
        self.refresh = refresh
        self.effect = OwnEffect(ledger, "refresh_index")

    def __call__(self, record: ActionRecord) -> dict[str, Any]:
        return self.effect.run(record, {}, lambda: dict(self.refresh() or {}))


# -- rotate_key --------------------------------------------------------------------------------
class RotateKeyHandler:
    """Guided rotation. With a provider key API (an issuer) and write rights it rotates through the
    KeyManager's two-phase rotation; otherwise it tells a person exactly what to run. It never
    invents a secret value.

    Own effect: with a ledger, one idempotency key rotates at most once; a rotation started by a
    holder that died counts as done when the credential's version moved past the one noted first."""

    def __init__(self, manager_factory: Callable[[], Any], notifiers: Sequence[Notifier] = (),
                 ledger: Outbox | None = None) -> None:
        self.manager_factory = manager_factory
        self.notifiers = list(notifiers)
        self.effect = OwnEffect(ledger, "rotate_key")

    def __call__(self, record: ActionRecord) -> dict[str, Any]:
        from matrix.keys import CredentialError, CredentialRef

        path = record.payload.get("ref", "")
        try:
            ref = CredentialRef(*path.split("/"))
        except (TypeError, ValueError) as exc:
            raise PermanentActionError(f"rotate_key: bad credential ref {path!r}: {exc}") from None
        km = self.manager_factory()
        if ref.network in getattr(km, "issuers", {}) and km.can(ref, "write"):
            def version() -> int | None:
                try:
                    return int(km.meta(ref).version)
                except Exception:
                    return None

            def act() -> dict[str, Any]:
                try:
                    meta = km.rotate(ref)
                except CredentialError as exc:
                    raise RuntimeError(f"rotate_key {path}: {exc}") from None
                return {"ref": path, "mode": "automatic", "version": meta.version}

            def probe(info: dict[str, Any], started: dt.datetime) -> dict[str, Any] | None:
                before, now_v = info.get("version_before"), version()
                if before is not None and now_v is not None and now_v > before:
                    return {"ref": path, "mode": "automatic", "version": now_v}
                return None

            return self.effect.run(record, {"ref": path, "version_before": version()}, act, probe)
        event = {"rule": record.rule, "kind": "rotate_key", "summary": f"rotate {path} by hand ({record.payload.get('state')})",
                 "details": {"ref": path, "state": record.payload.get("state"),
                             "command": f"matrix keys rotate {path}"}}
        for n in self.notifiers:
            n.send(event, (record.idempotency_key or record.id) + "-rotate")
        return {"ref": path, "mode": "manual", "command": f"matrix keys rotate {path}"}


# -- dork --------------------------------------------------------------------------------------
class DorkHandler:
    """Runs dork queries for the niches and writes candidate Listings for the `dork` source."""

    def __init__(self, runner_factory: Callable[[], Any], candidates_dir: Path, default_niches: Sequence[str] = ()) -> None:
        self.runner_factory = runner_factory
        self.candidates_dir = candidates_dir
        self.default_niches = list(default_niches)

    def __call__(self, record: ActionRecord) -> dict[str, Any]:
        from matrix.dorking import DorkBackendError, write_candidates

        niches = list(record.payload.get("niches") or self.default_niches)
        if not niches:
            raise PermanentActionError("dork: no niches (rule keywords/categories/dork_niches or triggers.dorking.niches)")
        try:
            runner = self.runner_factory()
        except DorkBackendError as exc:
            raise PermanentActionError(f"dork: {exc}") from None
        report = runner.run(niches)
        if report.queries and len(report.errors) == len(report.queries):
            raise RuntimeError(f"dork: every query failed; first: {report.errors[0]}")
        path = write_candidates(report, self.candidates_dir)
        return {**report.summary(), "file": str(path) if path else None}

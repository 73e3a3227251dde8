"""Action handlers: what an outbox row does when dispatched.

A handler is `handler(record) -> result dict`. Raising `PermanentActionError` means retrying
cannot help (an unknown source, a 4xx from the webhook) and the row is failed at once; any other
exception is retried with backoff until `triggers.max_attempts`. Dependencies (the ingest
runner, the dork runner, the key manager, the HTTP client) are injected, so the same handlers run
in the CLI, in a Ray job (re-crawls become Ray tasks) and in tests against local servers.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path
from typing import Any, Callable, Protocol, Sequence

import httpx

from matrix.observability import counter, get_logger
from matrix.triggers.outbox import ActionRecord

log = get_logger(__name__)
NOTIFICATIONS = counter("matrix_triggers_notifications_total", "Notifications sent, by channel and outcome", ["channel", "outcome"])
SIGNATURE_HEADER = "X-Matrix-Signature"
EVENT_ID_HEADER = "X-Matrix-Event-Id"


class PermanentActionError(RuntimeError):
    """Retrying will not help; the action is marked failed immediately."""


ActionHandler = Callable[[ActionRecord], dict[str, Any]]


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


class WebhookNotifier:
    """POSTs the event as JSON. With a secret, signs the body: `X-Matrix-Signature: sha256=<hmac>`.

    The event id travels in `X-Matrix-Event-Id` so a receiver can drop the duplicate a retry after
    a lost response would deliver (at-least-once delivery).
    """

    name = "webhook"

    def __init__(self, url: str, timeout_s: float = 10.0, secret: Callable[[], str | None] | None = None,
                 client: httpx.Client | None = None, user_agent: str = "AffiliateMatrixBot/0.1") -> None:
        self.url = url
        self.timeout_s = timeout_s
        self.secret = secret or (lambda: None)
        self.client = client
        self.user_agent = user_agent

    def send(self, event: dict[str, Any], event_id: str) -> None:
        body = json.dumps(event, sort_keys=True, default=str).encode()
        headers = {"Content-Type": "application/json", EVENT_ID_HEADER: event_id, "User-Agent": self.user_agent}
        key = self.secret()
        if key:
            headers[SIGNATURE_HEADER] = "sha256=" + hmac.new(key.encode(), body, hashlib.sha256).hexdigest()
        try:
            if self.client is not None:
                resp = self.client.post(self.url, content=body, headers=headers, timeout=self.timeout_s)
            else:
                with httpx.Client(follow_redirects=False) as c:
                    resp = c.post(self.url, content=body, headers=headers, timeout=self.timeout_s)
        except httpx.HTTPError as exc:
            NOTIFICATIONS.labels(self.name, "error").inc()
            raise RuntimeError(f"webhook {self.url}: {type(exc).__name__}: {exc}") from None
        if 200 <= resp.status_code < 300:
            NOTIFICATIONS.labels(self.name, "ok").inc()
            return
        NOTIFICATIONS.labels(self.name, str(resp.status_code)).inc()
        msg = f"webhook {self.url} answered {resp.status_code}: {resp.text[:200]}"
        if 400 <= resp.status_code < 500 and resp.status_code not in (408, 425, 429):
            raise PermanentActionError(msg)
        raise RuntimeError(msg)


def sign(secret: str, body: bytes) -> str:
    """The signature a receiver recomputes to check a webhook came from us."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class NotifyHandler:
    def __init__(self, notifiers: Sequence[Notifier]) -> None:
        self.notifiers = list(notifiers)

    def __call__(self, record: ActionRecord) -> dict[str, Any]:
        event = {"event_id": record.id, "rule": record.rule, "firing_key": record.firing_key,
                 "created_at": record.created_at.isoformat() if record.created_at else None, **record.payload}
        for n in self.notifiers:
            n.send(event, record.id)
        return {"sent_to": [n.name for n in self.notifiers]}


# -- recrawl -----------------------------------------------------------------------------------
class RecrawlHandler:
    """Re-ingests one source through an injected runner (jobs.ingest.run_ingest, or a Ray task around it)."""

    def __init__(self, runner: Callable[[list[str]], dict[str, Any]], known_sources: Callable[[], Sequence[str]]) -> None:
        self.runner = runner
        self.known_sources = known_sources

    def __call__(self, record: ActionRecord) -> dict[str, Any]:
        source = record.payload.get("source")
        known = list(self.known_sources())
        if not source or source not in known:
            raise PermanentActionError(f"recrawl: source {source!r} is not configured; configured: {known}")
        summary = self.runner([source]) or {}
        return {"source": source, "listings": summary.get("listings"), "programs": summary.get("programs"),
                "seconds": summary.get("seconds")}


# -- rotate_key --------------------------------------------------------------------------------
class RotateKeyHandler:
    """Guided rotation. With a provider key API (an issuer) and write rights it rotates through the
    KeyManager's two-phase rotation; otherwise it tells a person exactly what to run. It never
    invents a secret value."""

    def __init__(self, manager_factory: Callable[[], Any], notifiers: Sequence[Notifier] = ()) -> None:
        self.manager_factory = manager_factory
        self.notifiers = list(notifiers)

    def __call__(self, record: ActionRecord) -> dict[str, Any]:
        from matrix.keys import CredentialError, CredentialRef

        path = record.payload.get("ref", "")
        try:
            ref = CredentialRef(*path.split("/"))
        except (TypeError, ValueError) as exc:
            raise PermanentActionError(f"rotate_key: bad credential ref {path!r}: {exc}") from None
        km = self.manager_factory()
        if ref.network in getattr(km, "issuers", {}) and km.can(ref, "write"):
            try:
                meta = km.rotate(ref)
            except CredentialError as exc:
                raise RuntimeError(f"rotate_key {path}: {exc}") from None
            return {"ref": path, "mode": "automatic", "version": meta.version}
        event = {"rule": record.rule, "kind": "rotate_key", "summary": f"rotate {path} by hand ({record.payload.get('state')})",
                 "details": {"ref": path, "state": record.payload.get("state"),
                             "command": f"matrix keys rotate {path}"}}
        for n in self.notifiers:
            n.send(event, record.id + "-rotate")
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

"""The trigger engine: evaluate rules into the outbox, dispatch the outbox through handlers.

Two separate steps on purpose. `evaluate()` is cheap and idempotent (cooldown + idempotent
action ids), so it can run every few minutes from anywhere; `dispatch()` does the slow,
failure-prone work (re-crawls, HTTP calls) and may run elsewhere - a Ray job turns re-crawls into
Ray tasks. A rule that raises is logged and counted and the other rules still run; an action that
fails is retried with exponential backoff (`backoff_base_s * 2**(attempt-1)`, capped) and, after
`max_attempts`, dead-lettered (`failed`, with the reason) for `matrix triggers outbox --retry` -
never lost. Dispatch claims ONE action at a time with its own lease and claim token and renews
the lease from a background thread while the handler runs (`LeaseKeeper`); a dispatcher that lost
its lease learns so when `complete`/`fail` refuse its stale token, and writes nothing.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

from matrix.config import ConfigError, Settings, TriggerRuleSettings
from matrix.observability import counter, gauge, get_logger, histogram
from matrix.triggers.actions import ActionHandler, PermanentActionError, redact
from matrix.triggers.outbox import Outbox
from matrix.triggers.rules import RuleState, TriggerInputs, evaluate_rule

log = get_logger(__name__)
FIRINGS = counter("matrix_triggers_firings_total", "Rule firings, by rule and outcome (queued, cooldown)", ["rule", "outcome"])
RULE_ERRORS = counter("matrix_triggers_rule_errors_total", "Rule evaluations that raised", ["rule"])
ACTIONS = counter("matrix_triggers_actions_total", "Dispatched actions, by action and outcome (done, retry, failed)",
                  ["action", "outcome"])
ACTION_SECONDS = histogram("matrix_triggers_action_seconds", "Time spent in one action handler", ["action"],
                           buckets=(0.01, 0.1, 0.5, 1, 5, 30, 120, 600))
OUTBOX = gauge("matrix_triggers_outbox_actions", "Outbox rows by status", ["status"])
LEASES_LOST = counter("matrix_triggers_leases_lost_total", "Actions whose lease was lost before they finished", ["action"])
LOOP_ERRORS = counter("matrix_triggers_loop_errors_total", "Trigger rounds that raised (the loop went on)")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


@dataclass
class EvaluationReport:
    at: str
    dry_run: bool
    firings: list[dict[str, Any]] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    watches: dict[str, Any] = field(default_factory=dict)

    @property
    def queued(self) -> int:
        return sum(1 for f in self.firings if f["status"] == "queued")


@dataclass
class DispatchReport:
    at: str
    done: list[str] = field(default_factory=list)
    retrying: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    lease_lost: list[str] = field(default_factory=list)
    outbox: dict[str, int] = field(default_factory=dict)


class LeaseKeeper:
    """Renews one action's lease every `lease_s / 3` seconds while its handler runs.

    A renewal that finds the row no longer ours sets `lost`; the handler is not interrupted (it
    may be mid-effect), but its outcome will be refused by the outbox."""

    def __init__(self, outbox: Outbox, id: str, token: str | None, lease_s: float,
                 clock: Callable[[], dt.datetime]) -> None:
        self.outbox, self.id, self.token, self.lease_s, self.clock = outbox, id, token, lease_s, clock
        self.lost = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name=f"lease-{id}")

    def _run(self) -> None:
        while not self._stop.wait(max(0.05, self.lease_s / 3.0)):
            try:
                if not self.outbox.renew(self.id, self.token or "", self.clock(), self.lease_s):
                    self.lost = True
                    return
            except Exception as exc:  # a busy database: try again next tick, the lease has slack
                log.warning("lease renewal failed", extra={"id": self.id, "error": f"{type(exc).__name__}: {exc}"})

    def __enter__(self) -> "LeaseKeeper":
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join()


class TriggerEngine:
    def __init__(self, rules: Sequence[TriggerRuleSettings], inputs: TriggerInputs, outbox: Outbox,
                 handlers: Mapping[str, ActionHandler], *, clock: Callable[[], dt.datetime] = utcnow,
                 max_attempts: int = 5, backoff_base_s: float = 60.0, backoff_max_s: float = 3600.0,
                 lease_s: float = 900.0, batch: int = 50, watches: Any = None, confirmations: int = 2) -> None:
        self.rules = list(rules)
        self.watches = watches  # a WatchStore (program_changed / new_match), or None
        self.confirmations = confirmations
        self.inputs = inputs
        self.outbox = outbox
        self.handlers = dict(handlers)
        self.clock = clock
        self.max_attempts = max_attempts
        self.backoff_base_s = backoff_base_s
        self.backoff_max_s = backoff_max_s
        self.lease_s = lease_s
        self.batch = batch

    @classmethod
    def from_settings(cls, settings: Settings, *, inputs: TriggerInputs | None = None,
                      handlers: Mapping[str, ActionHandler] | None = None,
                      clock: Callable[[], dt.datetime] = utcnow) -> "TriggerEngine":
        t = settings.triggers
        check_rules(settings)
        from matrix.triggers.inputs import IndexInputs
        from matrix.triggers.watches import WatchStore

        outbox = Outbox(settings.path(t.outbox))
        return cls(t.rules, inputs or IndexInputs(settings), outbox, handlers or {},
                   clock=clock, max_attempts=t.max_attempts, backoff_base_s=t.backoff_base_s,
                   backoff_max_s=t.backoff_max_s, lease_s=t.lease_s, batch=t.dispatch_batch,
                   watches=WatchStore(outbox), confirmations=t.confirmations)

    # -- evaluate ----------------------------------------------------------------------------
    def evaluate(self, dry_run: bool = False, only: Sequence[str] | None = None) -> EvaluationReport:
        now = self.clock()
        report = EvaluationReport(at=now.isoformat(), dry_run=dry_run)
        rules = [r for r in self.rules if r.enabled and (not only or r.name in only)]
        if only:
            unknown = sorted(set(only) - {r.name for r in self.rules})
            if unknown:
                raise ConfigError(f"rule(s) {unknown} not in triggers.rules; configured: {[r.name for r in self.rules]}")
        for rule in rules:
            try:
                last, seen = self.outbox.rule_state(rule.name)
                outcome = evaluate_rule(rule, self.inputs, RuleState(last, seen), now)
            except Exception as exc:  # one broken input must not silence the other rules
                RULE_ERRORS.labels(rule.name).inc()
                report.errors[rule.name] = f"{type(exc).__name__}: {exc}"
                log.error("trigger rule failed", extra={"rule": rule.name, "error": report.errors[rule.name]})
                continue
            cooldown_s = rule.cooldown_hours * 3600.0
            for f in outcome.firings:
                entry = f.as_dict()
                if dry_run:
                    left = self.outbox.cooldown_left(f.key, now, cooldown_s)
                    entry.update(status="cooldown" if left > 0 else "would_queue", cooldown_left_s=round(left, 1))
                else:
                    ids = self.outbox.fire(rule.name, f.key, f.payloads, now, cooldown_s)
                    entry.update(status="queued" if ids is not None else "cooldown", action_ids=ids or [])
                    FIRINGS.labels(rule.name, entry["status"]).inc()
                    if ids is not None:
                        log.info("trigger fired", extra={"rule": rule.name, "key": f.key, "summary": f.summary})
                report.firings.append(entry)
            if not dry_run:
                self.outbox.save_rule_state(rule.name, now, outcome.marks)
        if self.watches is not None and not only:
            self._evaluate_watches(report, now, dry_run)
        self._export()
        return report

    def _evaluate_watches(self, report: EvaluationReport, now: dt.datetime, dry_run: bool) -> None:
        try:
            wr = self.watches.evaluate(self.inputs, now, self.confirmations, dry_run=dry_run)
        except Exception as exc:
            RULE_ERRORS.labels("watches").inc()
            report.errors["watches"] = redact(f"{type(exc).__name__}: {exc}")
            return
        for wid, err in wr.errors.items():
            RULE_ERRORS.labels("watches").inc()
            report.errors[f"watch:{wid}"] = redact(err)
        for a in wr.alerts:
            FIRINGS.labels(a["rule"], "digest" if a.get("digest") else ("would_queue" if dry_run else "queued")).inc()
        report.watches = {"evaluated": wr.evaluated, "alerts": wr.alerts, "digests": wr.digests}

    # -- dispatch ----------------------------------------------------------------------------
    def backoff(self, attempts: int) -> float:
        return min(self.backoff_max_s, self.backoff_base_s * (2 ** max(0, attempts - 1)))

    def dispatch(self, limit: int | None = None) -> DispatchReport:
        """Run due actions one at a time (at most `limit`/`dispatch_batch`), each under its own lease."""
        report = DispatchReport(at=self.clock().isoformat())
        ran: set[str] = set()  # one attempt per action per round, even when its retry is already due
        for _ in range(limit or self.batch):
            rec = self.outbox.claim_one(self.clock(), self.lease_s, exclude=ran)
            if rec is None:
                break
            ran.add(rec.id)
            self._run_one(rec, report)
        report.outbox = self._export()
        return report

    def _run_one(self, rec: Any, report: DispatchReport) -> None:
        handler = self.handlers.get(rec.action)
        t0 = time.perf_counter()
        try:
            with LeaseKeeper(self.outbox, rec.id, rec.claim_token, self.lease_s, self.clock):
                if handler is None:
                    raise PermanentActionError(f"no handler for action {rec.action!r}; have {sorted(self.handlers)}")
                result = handler(rec)
        except Exception as exc:
            err = redact(f"{type(exc).__name__}: {exc}")
            permanent = isinstance(exc, PermanentActionError)
            dead = permanent or rec.attempts >= self.max_attempts
            reason = None
            if dead:
                reason = (f"permanent error: {err}" if permanent
                          else f"gave up after {rec.attempts} attempt(s) (max_attempts {self.max_attempts}): {err}")
            when = self.clock()
            retry_at = None if dead else when + dt.timedelta(seconds=self.backoff(rec.attempts))
            if not self.outbox.fail(rec.id, rec.claim_token, err, when, retry_at, reason):
                self._lost(rec, report)
                return
            outcome = "failed" if dead else "retry"
            ACTIONS.labels(rec.action, outcome).inc()
            (report.failed if dead else report.retrying).append(rec.id)
            log.error("trigger action failed", extra={"action": rec.action, "id": rec.id, "attempt": rec.attempts,
                                                      "final": dead, "error": err[:500]})
        else:
            if not self.outbox.complete(rec.id, rec.claim_token, result, self.clock()):
                self._lost(rec, report)
                return
            ACTIONS.labels(rec.action, "done").inc()
            report.done.append(rec.id)
            log.info("trigger action done", extra={"action": rec.action, "id": rec.id})
        finally:
            ACTION_SECONDS.labels(rec.action).observe(time.perf_counter() - t0)

    def _lost(self, rec: Any, report: DispatchReport) -> None:
        LEASES_LOST.labels(rec.action).inc()
        report.lease_lost.append(rec.id)
        log.warning("trigger action lease lost; its outcome was not recorded (another dispatcher owns it now)",
                    extra={"action": rec.action, "id": rec.id})

    def _export(self) -> dict[str, int]:
        counts = self.outbox.counts()
        for status, n in counts.items():
            OUTBOX.labels(status).set(n)
        return counts


def check_rules(settings: Settings) -> None:
    """Rules naming sources that are not configured fail at start, naming the field and the choices."""
    names = {s.name for s in settings.sources}
    for i, rule in enumerate(settings.triggers.rules):
        bad = [s for s in rule.sources if s not in names]
        if bad:
            raise ConfigError(f"triggers.rules.{i}.sources = {rule.sources!r}: unknown {bad}; configured: {sorted(names)}")


def run_loop(round_fn: Callable[[], dict[str, Any]], interval_s: float | None, iterations: int | None = None,
             on_result: Callable[[dict[str, Any]], None] = lambda r: None, sleep: Callable[[float], None] = time.sleep) -> int:
    """Run `round_fn` once, or every `interval_s` seconds (`iterations` bounds it). A round that raises
    (a locked database, an unreadable key store, a bug in one handler) is logged, counted and
    reported as `{"error": ...}`; the loop goes on. Exit code: 1 if the last round failed or raised."""
    rounds, code = 0, 0
    while True:
        t0 = time.monotonic()
        try:
            result = round_fn()
            failed = bool(result.get("dispatch", {}).get("failed")) or bool(result.get("evaluation", {}).get("errors"))
            code = 1 if failed else 0
        except Exception as exc:
            LOOP_ERRORS.inc()
            result = {"error": redact(f"{type(exc).__name__}: {exc}")}
            log.error("trigger round failed; the loop goes on", extra={"error": result["error"][:500]})
            code = 1
        on_result(result)
        rounds += 1
        if interval_s is None or (iterations is not None and rounds >= iterations):
            return code
        sleep(max(0.0, interval_s - (time.monotonic() - t0)))


def webhook_url_provider(settings: Settings, km_factory: Callable[[], Any]) -> Callable[[], str | None] | None:
    """Where the webhook URL comes from: the key manager (`webhook_url_ref`) or config; None = no webhook."""
    t = settings.triggers
    if t.webhook_url_ref:
        ref = t.webhook_url_ref

        def read() -> str | None:
            from matrix.keys import CredentialRef

            return km_factory().get(CredentialRef(*ref.split("/"))).reveal()
        return read
    if t.webhook_url:
        url = t.webhook_url
        return lambda: url
    return None


def default_handlers(settings: Settings, *, recrawl_runner: Callable[[list[str]], dict[str, Any]] | None = None,
                     key_manager_factory: Callable[[], Any] | None = None,
                     known_domains: Callable[[], Any] | None = None,
                     recrawl_timeout_s: float | None = None) -> dict[str, ActionHandler]:
    """The standard handlers wired from settings. The library never imports jobs/: the CLI passes a
    runner that calls jobs.ingest.run_ingest, jobs/triggers.py one that submits Ray tasks.
    Own effects (recrawl, rotate_key, refresh_index) share the outbox's effects ledger."""
    from matrix.dorking import DorkRunner
    from matrix.triggers.actions import (
        DorkHandler,
        LogNotifier,
        NotifyHandler,
        RecrawlHandler,
        RefreshIndexHandler,
        RotateKeyHandler,
        WebhookNotifier,
    )
    from matrix.triggers.inputs import IndexInputs, _key_manager
    from matrix.triggers.targets import UnsafeTarget, check_url

    t = settings.triggers
    km_factory = key_manager_factory or (lambda: _key_manager(settings))
    ledger = Outbox(settings.path(t.outbox))

    def secret_of(ref: str | None) -> Callable[[], str | None]:
        def read() -> str | None:
            if not ref:
                return None
            from matrix.keys import CredentialRef

            return km_factory().get(CredentialRef(*ref.split("/"))).reveal()
        return read

    notifiers: list[Any] = [LogNotifier()]
    url = webhook_url_provider(settings, km_factory)
    if url is not None:
        label = f"webhook ({t.webhook_url_ref})" if t.webhook_url_ref else "webhook (triggers.webhook_url)"
        notifiers.append(WebhookNotifier(url, t.webhook_timeout_s, secret_of(t.webhook_secret_ref),
                                         user_agent=settings.crawl.user_agent,
                                         allow_private=t.allow_private_networks, label=label))

    def no_runner(names: list[str]) -> dict[str, Any]:
        raise PermanentActionError("recrawl: no ingest runner wired here (use `matrix triggers dispatch` or jobs/triggers.py)")

    inputs = IndexInputs(settings)
    domains = known_domains or inputs.known_domains
    d = t.dorking

    def dork_runner() -> Any:
        if d.url:
            try:
                check_url(d.url, t.allow_private_networks)
            except UnsafeTarget as exc:
                raise PermanentActionError(f"dork: triggers.dorking.url: {exc}") from None
        return DorkRunner.from_settings(settings, domains, api_key=secret_of(d.api_key_ref)())

    def refresh() -> dict[str, Any]:
        from matrix.index import MasterIndex

        rep = MasterIndex(settings).ensure_indexes()
        return {"created": list(rep.created), "updated": list(rep.updated), "seconds": round(rep.seconds, 3)}

    def last_ingest() -> dict[str, dt.datetime]:
        try:
            return inputs.last_ingest()
        except Exception:
            return {}

    timeout = recrawl_timeout_s if recrawl_timeout_s is not None else t.recrawl_timeout_s
    return {
        "notify": NotifyHandler(notifiers),
        "recrawl": RecrawlHandler(recrawl_runner or no_runner, lambda: [s.name for s in settings.sources],
                                  ledger=ledger, last_ingest=last_ingest, timeout_s=timeout),
        "rotate_key": RotateKeyHandler(km_factory, notifiers, ledger=ledger),
        "refresh_index": RefreshIndexHandler(refresh, ledger=ledger),
        "dork": DorkHandler(dork_runner, settings.path(d.candidates_dir), d.niches),
    }

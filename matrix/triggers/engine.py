"""The trigger engine: evaluate rules into the outbox, dispatch the outbox through handlers.

Two separate steps on purpose. `evaluate()` is cheap and idempotent (cooldown + idempotent
action ids), so it can run every few minutes from anywhere; `dispatch()` does the slow,
failure-prone work (re-crawls, HTTP calls) and may run elsewhere - a Ray job turns re-crawls into
Ray tasks. A rule that raises is logged and counted and the other rules still run; an action that
fails is retried with exponential backoff (`backoff_base_s * 2**(attempt-1)`, capped) and, after
`max_attempts`, kept as `failed` for `matrix triggers outbox --retry` - never lost.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

from matrix.config import ConfigError, Settings, TriggerRuleSettings
from matrix.observability import counter, gauge, get_logger, histogram
from matrix.triggers.actions import ActionHandler, PermanentActionError
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


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


@dataclass
class EvaluationReport:
    at: str
    dry_run: bool
    firings: list[dict[str, Any]] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def queued(self) -> int:
        return sum(1 for f in self.firings if f["status"] == "queued")


@dataclass
class DispatchReport:
    at: str
    done: list[str] = field(default_factory=list)
    retrying: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    outbox: dict[str, int] = field(default_factory=dict)


class TriggerEngine:
    def __init__(self, rules: Sequence[TriggerRuleSettings], inputs: TriggerInputs, outbox: Outbox,
                 handlers: Mapping[str, ActionHandler], *, clock: Callable[[], dt.datetime] = utcnow,
                 max_attempts: int = 5, backoff_base_s: float = 60.0, backoff_max_s: float = 3600.0,
                 lease_s: float = 900.0, batch: int = 50) -> None:
        self.rules = list(rules)
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

        return cls(t.rules, inputs or IndexInputs(settings), Outbox(settings.path(t.outbox)), handlers or {},
                   clock=clock, max_attempts=t.max_attempts, backoff_base_s=t.backoff_base_s,
                   backoff_max_s=t.backoff_max_s, lease_s=t.lease_s, batch=t.dispatch_batch)

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
            last, seen = self.outbox.rule_state(rule.name)
            try:
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
        self._export()
        return report

    # -- dispatch ----------------------------------------------------------------------------
    def backoff(self, attempts: int) -> float:
        return min(self.backoff_max_s, self.backoff_base_s * (2 ** max(0, attempts - 1)))

    def dispatch(self, limit: int | None = None) -> DispatchReport:
        """Run every due action once (bounded by `limit`/`dispatch_batch`)."""
        now = self.clock()
        report = DispatchReport(at=now.isoformat())
        for rec in self.outbox.claim(now, limit or self.batch, self.lease_s):
            handler = self.handlers.get(rec.action)
            t0 = time.perf_counter()
            try:
                if handler is None:
                    raise PermanentActionError(f"no handler for action {rec.action!r}; have {sorted(self.handlers)}")
                result = handler(rec)
            except Exception as exc:
                err = f"{type(exc).__name__}: {exc}"
                permanent = isinstance(exc, PermanentActionError) or rec.attempts >= self.max_attempts
                when = self.clock()
                retry_at = None if permanent else when + dt.timedelta(seconds=self.backoff(rec.attempts))
                self.outbox.fail(rec.id, err, when, retry_at)
                outcome = "failed" if permanent else "retry"
                ACTIONS.labels(rec.action, outcome).inc()
                (report.failed if permanent else report.retrying).append(rec.id)
                log.error("trigger action failed", extra={"action": rec.action, "id": rec.id, "attempt": rec.attempts,
                                                          "final": permanent, "error": err[:500]})
            else:
                self.outbox.complete(rec.id, result, self.clock())
                ACTIONS.labels(rec.action, "done").inc()
                report.done.append(rec.id)
                log.info("trigger action done", extra={"action": rec.action, "id": rec.id})
            finally:
                ACTION_SECONDS.labels(rec.action).observe(time.perf_counter() - t0)
        report.outbox = self._export()
        return report

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


def default_handlers(settings: Settings, *, recrawl_runner: Callable[[list[str]], dict[str, Any]] | None = None,
                     key_manager_factory: Callable[[], Any] | None = None,
                     known_domains: Callable[[], Any] | None = None,
                     webhook_client: Any = None) -> dict[str, ActionHandler]:
    """The standard handlers wired from settings. The library never imports jobs/: the CLI passes a
    runner that calls jobs.ingest.run_ingest, jobs/triggers.py one that submits Ray tasks."""
    from matrix.dorking import DorkRunner
    from matrix.triggers.actions import DorkHandler, LogNotifier, NotifyHandler, RecrawlHandler, RotateKeyHandler, WebhookNotifier
    from matrix.triggers.inputs import IndexInputs, _key_manager

    t = settings.triggers
    km_factory = key_manager_factory or (lambda: _key_manager(settings))

    def secret_of(ref: str | None) -> Callable[[], str | None]:
        def read() -> str | None:
            if not ref:
                return None
            from matrix.keys import CredentialRef

            return km_factory().get(CredentialRef(*ref.split("/"))).reveal()
        return read

    notifiers: list[Any] = [LogNotifier()]
    if t.webhook_url:
        notifiers.append(WebhookNotifier(t.webhook_url, t.webhook_timeout_s, secret_of(t.webhook_secret_ref),
                                         client=webhook_client, user_agent=settings.crawl.user_agent))

    def no_runner(names: list[str]) -> dict[str, Any]:
        raise PermanentActionError("recrawl: no ingest runner wired here (use `matrix triggers dispatch` or jobs/triggers.py)")

    domains = known_domains or IndexInputs(settings).known_domains
    d = t.dorking
    return {
        "notify": NotifyHandler(notifiers),
        "recrawl": RecrawlHandler(recrawl_runner or no_runner, lambda: [s.name for s in settings.sources]),
        "rotate_key": RotateKeyHandler(km_factory, notifiers),
        "dork": DorkHandler(lambda: DorkRunner.from_settings(settings, domains, api_key=secret_of(d.api_key_ref)()),
                            settings.path(d.candidates_dir), d.niches),
    }

"""`matrix triggers list | evaluate [--dry-run] | dispatch | outbox | dork NICHE...`."""

from __future__ import annotations

import argparse
import json
from typing import Any

from matrix.config import Settings


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("triggers", help="automation: trigger rules, the action outbox, dorking")
    sub = p.add_subparsers(dest="triggers_command", metavar="SUBCOMMAND")
    sub.required = True

    ls = sub.add_parser("list", help="configured rules and outbox counts")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(handler=cmd_list)

    ev = sub.add_parser("evaluate", help="evaluate rules; queue actions (unless --dry-run)")
    ev.add_argument("--dry-run", action="store_true", help="show what would fire; write nothing")
    ev.add_argument("--rule", action="append", help="only this rule (repeatable)")
    ev.add_argument("--dispatch", action="store_true", help="then dispatch due actions")
    ev.set_defaults(handler=cmd_evaluate)

    dp = sub.add_parser("dispatch", help="run due actions from the outbox (re-crawls run in-process)")
    dp.add_argument("--limit", type=int, default=None)
    dp.set_defaults(handler=cmd_dispatch)

    ob = sub.add_parser("outbox", help="list outbox actions; --retry ID re-queues a failed one")
    ob.add_argument("--status", choices=["pending", "running", "done", "failed"])
    ob.add_argument("--rule")
    ob.add_argument("--limit", type=int, default=20)
    ob.add_argument("--retry", metavar="ID")
    ob.add_argument("--json", action="store_true")
    ob.set_defaults(handler=cmd_outbox)

    dk = sub.add_parser("dork", help="run dork queries now and write candidates for the `dork` source")
    dk.add_argument("niches", nargs="*", help="niches (default: triggers.dorking.niches)")
    dk.add_argument("--no-write", action="store_true", help="report only; write no candidates file")
    dk.set_defaults(handler=cmd_dork)


def _engine(settings: Settings, with_handlers: bool = False) -> Any:
    from matrix.triggers.engine import TriggerEngine, default_handlers

    handlers = default_handlers(settings, recrawl_runner=_ingest_runner(settings)) if with_handlers else None
    return TriggerEngine.from_settings(settings, handlers=handlers)


def _ingest_runner(settings: Settings) -> Any:
    def run(names: list[str]) -> dict[str, Any]:
        from jobs.ingest import run_ingest  # lazily: only a re-crawl needs Ray

        return run_ingest(settings, names)
    return run


def _print(obj: Any) -> None:
    print(json.dumps(obj, indent=2, default=str))


def cmd_list(args: argparse.Namespace, settings: Settings) -> int:
    from matrix.triggers.outbox import Outbox

    rules = settings.triggers.rules
    counts = Outbox(settings.path(settings.triggers.outbox)).counts()
    if args.json:
        _print({"rules": [r.model_dump() for r in rules], "outbox": counts})
        return 0
    if not rules:
        print("no trigger rules configured (triggers.rules in ray_config.yaml)")
    for r in rules:
        cond = {"stale_source": f"last ingest older than {r.max_age_hours} h",
                "low_quality": f"unknown commission share > {r.max_unknown_share} (>= {r.min_listings} listings)",
                "key_expiry": f"credential {'/'.join(r.states)}",
                "new_programs": f"new programs: keywords={r.keywords} categories={r.categories} "
                                f"min_commission={r.min_commission_percent}"}[r.kind]
        state = "on " if r.enabled else "off"
        print(f"{state} {r.name:<20} {r.kind:<13} {cond}  -> {','.join(r.actions)} (cooldown {r.cooldown_hours:g} h)")
    print("outbox: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return 0


def cmd_evaluate(args: argparse.Namespace, settings: Settings) -> int:
    engine = _engine(settings, with_handlers=args.dispatch)
    report = engine.evaluate(dry_run=args.dry_run, only=args.rule)
    out: dict[str, Any] = {"evaluation": vars(report)}
    if args.dispatch and not args.dry_run:
        out["dispatch"] = vars(engine.dispatch())
    _print(out)
    return 1 if report.errors else 0


def cmd_dispatch(args: argparse.Namespace, settings: Settings) -> int:
    report = _engine(settings, with_handlers=True).dispatch(args.limit)
    _print(vars(report))
    return 1 if report.failed else 0


def cmd_outbox(args: argparse.Namespace, settings: Settings) -> int:
    from matrix.triggers.engine import utcnow
    from matrix.triggers.outbox import Outbox

    box = Outbox(settings.path(settings.triggers.outbox))
    if args.retry:
        if not box.retry(args.retry, utcnow()):
            print(f"matrix: no failed action with id {args.retry!r}")
            return 1
        print(f"re-queued {args.retry}")
        return 0
    records = box.list(args.status, args.limit, args.rule)
    if args.json:
        _print([r.as_dict() for r in records])
        return 0
    for r in records:
        err = f"  error: {r.last_error}" if r.last_error and r.status != "done" else ""
        print(f"{r.id}  {r.status:<7} {r.action:<10} {r.rule:<18} attempts={r.attempts} "
              f"{json.dumps(r.payload, default=str)[:80]}{err}")
    print("outbox: " + ", ".join(f"{k} {v}" for k, v in box.counts().items()))
    return 0


def cmd_dork(args: argparse.Namespace, settings: Settings) -> int:
    from matrix.dorking import DorkBackendError, DorkRunner, write_candidates
    from matrix.keys import CredentialRef
    from matrix.triggers.inputs import IndexInputs, _key_manager

    d = settings.triggers.dorking
    niches = args.niches or d.niches
    if not niches:
        print("matrix: give niches or set triggers.dorking.niches")
        return 2
    api_key = _key_manager(settings).get(CredentialRef(*d.api_key_ref.split("/"))).reveal() if d.api_key_ref else None
    try:
        runner = DorkRunner.from_settings(settings, IndexInputs(settings).known_domains, api_key=api_key)
    except DorkBackendError as exc:
        print(f"matrix: {exc}")
        return 2
    report = runner.run(niches)
    path = None if args.no_write else write_candidates(report, settings.path(d.candidates_dir))
    _print({**report.summary(), "file": str(path) if path else None})
    return 1 if report.queries and len(report.errors) == len(report.queries) else 0

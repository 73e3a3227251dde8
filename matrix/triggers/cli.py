"""`matrix triggers list | evaluate [--dry-run] | dispatch | outbox | dork NICHE... | watch ...`
and `matrix programs history ID`."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from matrix.commands.output import print_json

if TYPE_CHECKING:
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

    w = sub.add_parser("watch", help="watchlists and saved searches (program_changed, new_match)")
    wsub = w.add_subparsers(dest="watch_command", metavar="ACTION")
    wsub.required = True
    add = wsub.add_parser("add", help="watch programs (--program ID...) or save a search (--query/--filter)")
    add.add_argument("name")
    add.add_argument("--program", action="append", default=[], help="program id (repeatable): a program watch")
    add.add_argument("--query", default=None, help="saved search: full-text query")
    add.add_argument("--filter", action="append", default=[], metavar="KEY=VALUE",
                     help="saved search filter, e.g. categories=software, min_commission_percent=20 (repeatable)")
    add.add_argument("--field", action="append", default=None,
                     help="terms or groups to watch (commission, cookie, payout, status, geo, networks, ...)")
    add.add_argument("--threshold", action="append", default=[], metavar="FIELD:DIRECTION:PCT",
                     help="e.g. commission:down:10 = alert only when it fell by >= 10 %%")
    add.add_argument("--confirmations", type=int, default=None)
    add.add_argument("--digest", choices=["none", "hourly", "daily"], default="none")
    wls = wsub.add_parser("list", help="watches (--owner to filter)")
    wrm = wsub.add_parser("delete", help="delete a watch")
    wrm.add_argument("id")
    wup = wsub.add_parser("update", help="change a watch: --set KEY=VALUE (JSON or text), e.g. --set digest=daily")
    wup.add_argument("id")
    wup.add_argument("--set", action="append", default=[], metavar="KEY=JSON", required=True)
    for sp in (add, wls, wrm, wup):
        sp.add_argument("--owner", default="admin", help="whose watches (default: admin)")
        sp.add_argument("--json", action="store_true")
    add.set_defaults(handler=cmd_watch_add)
    wls.set_defaults(handler=cmd_watch_list)
    wrm.set_defaults(handler=cmd_watch_delete)
    wup.set_defaults(handler=cmd_watch_update)


def register_programs(subparsers: Any) -> None:
    p = subparsers.add_parser("programs", help="one program: its change history")
    sub = p.add_subparsers(dest="programs_command", metavar="SUBCOMMAND")
    sub.required = True
    h = sub.add_parser("history", help="what changed in a program's terms, per ingest, and which listing said so")
    h.add_argument("program_id")
    h.add_argument("--limit", type=int, default=50)
    h.add_argument("--json", action="store_true")
    h.set_defaults(handler=cmd_program_history)


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
    print_json(obj)  # the shared --json output (matrix.commands.output)


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


# -- watches ------------------------------------------------------------------------------------
def _store(settings: Settings) -> Any:
    from matrix.triggers.outbox import Outbox
    from matrix.triggers.watches import WatchStore

    return WatchStore(Outbox(settings.path(settings.triggers.outbox)))


def _value(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def _filters(pairs: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep:
            raise ValueError(f"--filter {pair!r}: expected KEY=VALUE")
        val = _value(raw)
        if key in ("networks", "categories", "commission_models", "countries", "approval"):
            out.setdefault(key, []).extend(val if isinstance(val, list) else [val])
        else:
            out[key] = val
    return out


def _thresholds(items: list[str]) -> dict[str, Any]:
    out = {}
    for item in items:
        parts = item.split(":")
        if len(parts) != 3:
            raise ValueError(f"--threshold {item!r}: expected FIELD:DIRECTION:PCT, e.g. commission:down:10")
        out[parts[0]] = {"direction": parts[1], "min_change_pct": float(parts[2])}
    return out


def _show_watch(w: dict[str, Any]) -> None:
    what = (f"programs {', '.join(w['program_ids'])} fields {','.join(w['fields'])}" if w["kind"] == "program"
            else f"search q={w['q']!r} filters={w['filters']}")
    print(f"{w['id']}  {w['owner']:<12} {w['rule']:<15} {w['name']!r}: {what} digest={w['digest']}"
          + ("" if w["enabled"] else " (disabled)"))


def cmd_watch_add(args: argparse.Namespace, settings: Settings) -> int:
    from pydantic import ValidationError

    from matrix.commands.output import emit
    from matrix.triggers.engine import utcnow
    from matrix.triggers.watches import WatchSpec

    try:
        body: dict[str, Any] = {"name": args.name, "kind": "program" if args.program else "search",
                                "program_ids": args.program, "q": args.query or "", "filters": _filters(args.filter),
                                "thresholds": _thresholds(args.threshold), "confirmations": args.confirmations,
                                "digest": args.digest}
        if args.field:
            body["fields"] = args.field
        spec = WatchSpec.model_validate(body)
    except (ValidationError, ValueError) as exc:
        print(f"matrix: {exc}", file=sys.stderr)
        return 2
    emit(args, _store(settings).create(args.owner, spec, utcnow()).as_dict(), _show_watch)
    return 0


def cmd_watch_list(args: argparse.Namespace, settings: Settings) -> int:
    from matrix.commands.output import emit

    watches = [w.as_dict() for w in _store(settings).list(None if args.owner == "all" else args.owner)]

    def render(ws: list[dict[str, Any]]) -> None:
        if not ws:
            print("no watches")
        for w in ws:
            _show_watch(w)
    emit(args, watches, render)
    return 0


def cmd_watch_delete(args: argparse.Namespace, settings: Settings) -> int:
    from matrix.triggers.watches import WatchNotFound

    try:
        _store(settings).delete(args.id, None if args.owner == "all" else args.owner)
    except WatchNotFound:
        print(f"matrix: no watch {args.id!r} for owner {args.owner!r}", file=sys.stderr)
        return 1
    print(f"deleted {args.id}")
    return 0


def cmd_watch_update(args: argparse.Namespace, settings: Settings) -> int:
    from matrix.commands.output import emit
    from matrix.triggers.engine import utcnow
    from matrix.triggers.watches import WatchNotFound

    patch = {}
    for item in args.set:
        key, sep, raw = item.partition("=")
        if not sep:
            print(f"matrix: --set {item!r}: expected KEY=JSON", file=sys.stderr)
            return 2
        patch[key] = _value(raw)
    try:
        w = _store(settings).update(args.id, None if args.owner == "all" else args.owner, patch, utcnow())
    except WatchNotFound:
        print(f"matrix: no watch {args.id!r} for owner {args.owner!r}", file=sys.stderr)
        return 1
    except ValueError as exc:
        print(f"matrix: {exc}", file=sys.stderr)
        return 2
    emit(args, w.as_dict(), _show_watch)
    return 0


# -- programs history --------------------------------------------------------------------------
def cmd_program_history(args: argparse.Namespace, settings: Settings) -> int:
    from matrix.commands.output import emit
    from matrix.index import MasterIndex
    from matrix.index.history import program_history

    index = MasterIndex(settings)
    hist = program_history(index, args.program_id, args.limit)
    if not hist and index.get_program(args.program_id) is None:
        print(f"matrix: no program with id {args.program_id!r}", file=sys.stderr)
        return 1

    def render(rows: list[dict[str, Any]]) -> None:
        if not rows:
            print("no recorded history yet (it starts with the next ingest)")
        for h in rows:
            label = "first seen" if h["first"] else f"{len(h['changes'])} change(s)"
            print(f"{h['recorded_at'][:19]}  {h['ingest_version'] or '-':<14} {label}")
            for c in h["changes"]:
                src = (c.get("source") or {}).get("listing") or "?"
                print(f"    {c['field']:<24} {json.dumps(c['before'])} -> {json.dumps(c['after'])}   ({src})")
    emit(args, {"program_id": args.program_id, "history": hist}, lambda o: render(o["history"]))
    return 0

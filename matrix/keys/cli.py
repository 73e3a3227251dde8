"""`matrix keys put|get|list|rotate|revoke|status|policies`.

Values never come from argv by default (argv lands in shell history and `ps`): `put` and
`rotate` read the value from stdin when it is piped, otherwise from a no-echo prompt.
`get` prints a mask unless --reveal is given. `status` exits 1 when any credential needs
attention, so it can drive a cron job or a CI check.
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import json
import os
import sys
from typing import Any

from matrix.keys.types import CredentialError, CredentialRef


def _ref(text: str) -> CredentialRef:
    parts = text.strip("/").split("/")
    if len(parts) != 3:
        raise argparse.ArgumentTypeError(f"expected NETWORK/ACCOUNT/KIND, got {text!r}")
    try:
        return CredentialRef(*parts)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _when(text: str) -> dt.datetime:
    try:
        t = dt.datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected an ISO date/time like 2026-12-31 or 2026-12-31T12:00:00Z, got {text!r}") from None
    return t if t.tzinfo else t.replace(tzinfo=dt.timezone.utc)


def _read_value(args: argparse.Namespace, prompt: str) -> str:
    if getattr(args, "value_env", None):
        value = os.environ.get(args.value_env, "")
        if not value:
            raise CredentialError(f"environment variable {args.value_env} is empty or unset")
        return value
    if sys.stdin is not None and not sys.stdin.isatty():
        value = sys.stdin.readline().rstrip("\r\n")
    else:
        value = getpass.getpass(prompt)
        if value and getpass.getpass("again: ") != value:
            raise CredentialError("the two entries differ; nothing stored")
    if not value:
        raise CredentialError("empty value; nothing stored")
    return value


def _manager(args: argparse.Namespace, settings: Any):
    from matrix.keys.manager import KeyManager

    return KeyManager.from_settings(settings, component=args.component)


def _print(obj: Any, as_json: bool) -> None:
    if as_json:
        print(json.dumps(obj, indent=2, default=str))


def cmd_put(args: argparse.Namespace, settings: Any) -> int:
    km = _manager(args, settings)
    meta = km.put(args.ref, _read_value(args, f"value for {args.ref}: "), expires_at=args.expires_at,
                  max_age_days=args.max_age_days, warn_before_days=args.warn_before_days)
    print(f"stored {meta.ref} version {meta.version} ({meta.backend})")
    return 0


def cmd_get(args: argparse.Namespace, settings: Any) -> int:
    secret = _manager(args, settings).get(args.ref)
    print(secret.reveal() if args.reveal else secret.masked())
    return 0


def cmd_list(args: argparse.Namespace, settings: Any) -> int:
    metas = _manager(args, settings).list(args.network)
    if args.json:
        _print([m.as_dict() for m in metas], True)
        return 0
    if not metas:
        print("no credentials")
    for m in metas:
        exp = m.expires_at.date().isoformat() if m.expires_at else "never"
        used = m.last_used_at.isoformat(timespec="seconds") if m.last_used_at else "never"
        flags = " ".join(f for f in ("staged" if m.staged else "", "in-grace" if m.in_grace else "",
                                     f"unhealthy({m.unhealthy_reason})" if m.unhealthy_reason else "") if f)
        line = f"{m.ref.path:<48} {m.status.value:<8} v{m.version:<3} expires={exp} uses={m.use_count} last_used={used} {flags}"
        print(line.rstrip())
    return 0


def cmd_rotate(args: argparse.Namespace, settings: Any) -> int:
    km = _manager(args, settings)
    # Check the staged value against the network's real API before promoting it. Imported here:
    # the CLI is the one place allowed to wire the keys service to its consumers.
    if not args.skip_health_check:
        from matrix.networks import health_checks

        km.health_checks.update(health_checks(settings, km))
    current = km.meta(args.ref)
    print(f"rotating {args.ref} (version {current.version}); enter the NEW value issued by {args.ref.network}", file=sys.stderr)
    meta = km.rotate(args.ref, _read_value(args, "new value: "), expires_at=args.expires_at, grace_s=args.grace_s)
    grace = km.rotation_grace_s if args.grace_s is None else args.grace_s
    print(f"rotated {meta.ref} to version {meta.version}; the old value stays valid for {grace:.0f}s - "
          f"revoke it at the provider after that")
    return 0


def cmd_revoke(args: argparse.Namespace, settings: Any) -> int:
    meta = _manager(args, settings).revoke(args.ref, args.reason)
    print(f"revoked {meta.ref} (version {meta.version}): {args.reason}")
    return 0


def cmd_status(args: argparse.Namespace, settings: Any) -> int:
    km = _manager(args, settings)
    finished = km.finish_rotations() if args.component == "admin" else 0
    alerts = km.status(args.network)
    if args.json:
        _print({"alerts": [a.as_dict() for a in alerts], "grace_periods_finished": finished}, True)
    else:
        if finished:
            print(f"revoked {finished} old value(s) whose grace period ended")
        if not alerts:
            print("all credentials ok")
        for a in alerts:
            print(f"{a.state.upper():<10} {a.ref.path:<48} {a.detail}")
    return 1 if alerts else 0


def cmd_policies(args: argparse.Namespace, settings: Any) -> int:
    from matrix.keys.policy import policies_from_config, policy_name, render_hcl

    raw = {name: p.model_dump() for name, p in settings.keys.policies.items()}
    policies = policies_from_config(raw)
    names = [args.only] if args.only else list(policies)
    for name in names:
        if name not in policies:
            raise CredentialError(f"unknown component {name!r}; known: {sorted(policies)}")
        print(f"# ---- policy: {policy_name(name)} ----")
        print(render_hcl(name, policies[name], settings.keys.vault_mount, settings.keys.vault_prefix))
    return 0


def _guard(fn):
    def run(args: argparse.Namespace, settings: Any) -> int:
        try:
            return fn(args, settings)
        except CredentialError as exc:
            print(f"matrix keys: {exc}", file=sys.stderr)
            return 1
    run.__doc__ = fn.__doc__
    return run


def register(subparsers: argparse._SubParsersAction) -> None:
    keys = subparsers.add_parser("keys", help="store, read, rotate and revoke network credentials")
    keys.add_argument("--component", default="admin", help="act as this component (its policy applies); default admin")
    sub = keys.add_subparsers(dest="keys_command", metavar="ACTION")
    sub.required = True

    def with_value(p: argparse.ArgumentParser) -> None:
        p.add_argument("--value-env", metavar="VAR", help="read the value from this environment variable instead of stdin/prompt")
        p.add_argument("--expires-at", type=_when, help="when the provider expires this credential (ISO date/time)")

    p = sub.add_parser("put", help="store a credential (value from stdin or a prompt)")
    p.add_argument("ref", type=_ref, metavar="NETWORK/ACCOUNT/KIND")
    with_value(p)
    p.add_argument("--max-age-days", type=int, help="rotation is due after this many days")
    p.add_argument("--warn-before-days", type=int, help="alert this many days before expiry / due date")
    p.set_defaults(handler=_guard(cmd_put))

    p = sub.add_parser("get", help="show a credential (masked unless --reveal)")
    p.add_argument("ref", type=_ref, metavar="NETWORK/ACCOUNT/KIND")
    p.add_argument("--reveal", action="store_true", help="print the real value")
    p.set_defaults(handler=_guard(cmd_get))

    p = sub.add_parser("list", help="credentials with status, version, expiry and usage (never values)")
    p.add_argument("--network")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_guard(cmd_list))

    p = sub.add_parser("rotate", help="guided rotation: enter the new value; it is staged, checked, promoted")
    p.add_argument("--skip-health-check", action="store_true",
                   help="promote without calling the network's API to verify the new value")
    p.add_argument("ref", type=_ref, metavar="NETWORK/ACCOUNT/KIND")
    with_value(p)
    p.add_argument("--grace-s", type=float, help="how long the old value stays valid (default keys.rotation_grace_s)")
    p.set_defaults(handler=_guard(cmd_rotate))

    p = sub.add_parser("revoke", help="stop serving a credential immediately (audited)")
    p.add_argument("ref", type=_ref, metavar="NETWORK/ACCOUNT/KIND")
    p.add_argument("--reason", required=True)
    p.set_defaults(handler=_guard(cmd_revoke))

    p = sub.add_parser("status", help="expired / expiring / due / unhealthy credentials (exit 1 when any)")
    p.add_argument("--network")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_guard(cmd_status))

    p = sub.add_parser("policies", help="print the Vault HCL policies for each component")
    p.add_argument("--only", metavar="COMPONENT", help="print one component's policy")
    p.set_defaults(handler=_guard(cmd_policies))

"""Redaction: secrets never show in reprs, log records (message, args, extras, tracebacks) or audit lines."""

from __future__ import annotations

import io
import logging

from matrix.keys import CredentialRef, Secret
from matrix.keys.redact import REDACTED, RedactionFilter, remember, scrub
from tests.support.vault_fixtures import leak_guard, leaked_in, local_manager, make_secret  # noqa: F401


def _logger_with_filter() -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactionFilter())
    handler.setFormatter(logging.Formatter("%(message)s %(detail)s"))
    logger = logging.getLogger("test.redact.isolated")
    logger.propagate = False  # keep the deliberately leaky records away from the leak guard
    logger.handlers = [handler]
    return logger, stream


def test_filter_scrubs_message_args_extras_and_traceback():
    value = make_secret()
    remember(value)
    logger, stream = _logger_with_filter()
    logger.warning("token is %s", value, extra={"detail": {"auth": value}})
    try:
        raise RuntimeError(f"provider rejected {value}")
    except RuntimeError:
        logger.exception("call failed", extra={"detail": "-"})
    out = stream.getvalue()
    assert value not in out and out.count(REDACTED) >= 3 and "RuntimeError" in out


def test_short_values_are_not_redacted_and_longest_wins():
    remember("abc")
    assert scrub("abc") == "abc"
    long_value = make_secret("long")
    remember(long_value[:12])
    remember(long_value)
    assert scrub(f"x{long_value}y") == f"x{REDACTED}y"


def test_secret_and_meta_reprs_are_masked(tmp_path):
    value = make_secret()
    s = Secret(value)
    assert value not in repr(s) and value not in f"{s}" and value not in str([s])
    km = local_manager(tmp_path)
    meta = km.put(CredentialRef("awin", "a", "api_token"), value)
    assert value not in repr(meta) and value not in repr(km.get(meta.ref))
    assert not leaked_in((tmp_path / "audit.jsonl").read_text())

"""Keep secret values out of logs, exception text and tracebacks.

`Secret` already masks itself in repr/str/format; this module is the second line of defence for
the cases it cannot cover: a raw string that escaped `.reveal()` and was interpolated into a log
message by some library, or an exception whose text quotes a request body. Every value the
KeyManager stores or hands out is remembered (in this process only, never written anywhere) and
the filter replaces it wherever it appears in a log record before any handler formats it.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from matrix.observability import add_log_filter

REDACTED = "[REDACTED]"
# Very short values would redact ordinary words ("abc"); they are too weak to be real secrets.
MIN_REDACT_LEN = 6

_LOCK = threading.Lock()
_KNOWN: set[str] = set()


def remember(value: str | None) -> None:
    """Register a secret value so the filter scrubs it from every later log record."""
    if value and len(value) >= MIN_REDACT_LEN:
        with _LOCK:
            _KNOWN.add(value)


def scrub(text: str) -> str:
    """Replace every known secret inside `text` (longest first, so prefixes cannot leak suffixes)."""
    if not text or not _KNOWN:
        return text
    with _LOCK:
        known = sorted(_KNOWN, key=len, reverse=True)
    for value in known:
        if value in text:
            text = text.replace(value, REDACTED)
    return text


def _scrub_any(value: Any) -> Any:
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, (tuple, list)):
        return type(value)(_scrub_any(v) for v in value)
    if isinstance(value, dict):
        return {k: _scrub_any(v) for k, v in value.items()}
    return value


class RedactionFilter(logging.Filter):
    """Rewrites a record in place so no handler after it (or sharing it) sees a known secret."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not _KNOWN:
            return True
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not hide the record
            message = str(record.msg)
        record.msg = scrub(message)
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            formatted = logging.Formatter().formatException(record.exc_info)
            record.exc_text = scrub(formatted)
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = scrub(record.exc_text)
        for key, value in list(record.__dict__.items()):
            if key not in ("msg", "args", "exc_info", "exc_text") and isinstance(value, (str, tuple, list, dict)):
                record.__dict__[key] = _scrub_any(value)
        return True


FILTER = RedactionFilter()
_INSTALLED = False


def install() -> RedactionFilter:
    """Attach the filter to every root handler, now and later (idempotent)."""
    global _INSTALLED
    add_log_filter(FILTER)
    _INSTALLED = True
    return FILTER

"""Logging and metrics helpers: JSON lines with extras, idempotent setup, shared metric objects."""

from __future__ import annotations

import io
import json
import logging

from matrix import observability as obs


def test_json_formatter_includes_extras_and_exceptions():
    rec = logging.LogRecord("matrix.x", logging.WARNING, __file__, 1, "hello %s", ("you",), None)
    rec.source = "awin"
    line = json.loads(obs.JsonFormatter().format(rec))
    assert line["msg"] == "hello you" and line["level"] == "WARNING" and line["source"] == "awin"
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        rec2 = logging.LogRecord("m", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    assert "ValueError: boom" in json.loads(obs.JsonFormatter().format(rec2))["exc"]


def test_text_formatter_appends_extras():
    rec = logging.LogRecord("m", logging.INFO, __file__, 1, "msg", (), None)
    rec.rows = 3
    assert obs.TextFormatter("%(message)s").format(rec) == "msg rows=3"


def test_metric_helpers_return_one_object_per_name():
    a = obs.counter("matrix_test_helper_total", "doc", ["x"])
    assert obs.counter("matrix_test_helper_total", "doc", ["x"]) is a
    g = obs.gauge("matrix_test_helper_gauge", "doc")
    g.set(2)
    h = obs.histogram("matrix_test_helper_seconds", "doc")
    h.observe(0.1)
    assert obs.histogram("matrix_test_helper_seconds", "doc") is h


def test_log_filters_apply_to_handlers():
    class Drop(logging.Filter):
        def filter(self, record):
            return "secret" not in record.getMessage()

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        flt = Drop()
        obs.add_log_filter(flt)
        logging.getLogger("t").warning("a secret here")
        logging.getLogger("t").warning("public")
        assert "secret" not in stream.getvalue() and "public" in stream.getvalue()
    finally:
        root.removeHandler(handler)


def test_free_port_is_outside_the_ephemeral_range_and_bindable():
    import socket

    from matrix.ports import HIGH, LOW, free_port

    port = free_port()
    assert LOW <= port < HIGH
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))

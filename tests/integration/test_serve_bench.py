"""The search-service benchmarks at smoke size (figures are printed, never asserted)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
pytestmark = [pytest.mark.slow, pytest.mark.integration]


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_optimizer_bench_smoke_creates_the_index(capsys):
    assert _load("serve_optimizer").main(["--smoke"]) == 0
    out = capsys.readouterr().out
    assert "create_index commission_percent" in out and "p50" in out


def test_serve_speed_bench_smoke(ray_session, capsys):
    assert _load("serve_speed").main(["--smoke"]) == 0
    out = capsys.readouterr().out
    assert "HTTP cold" in out and "in-process cold" in out and "ratio HTTP/in-process" in out

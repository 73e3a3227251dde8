"""The budget benchmark's smoke size runs and prints every section (no timing asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_budget_bench_smoke():
    out = subprocess.run([sys.executable, str(REPO / "bench" / "budget_regret.py"), "--smoke"], capture_output=True,
                         text=True, timeout=300, cwd=REPO)
    assert out.returncode == 0, out.stderr[-2000:]
    for needle in ("offline regret", "online loop", "forecast backtest", "optimum", "thompson", "lower"):
        assert needle in out.stdout

"""The crawl benchmark's smoke size runs end to end (figures are printed, never asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_crawl_speed_smoke():
    out = subprocess.run([sys.executable, str(REPO / "bench" / "crawl_speed.py"), "--smoke"], cwd=REPO,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "result: OK" in out.stdout and "second crawl:" in out.stdout

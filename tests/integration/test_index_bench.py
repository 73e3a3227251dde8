"""The search benchmark at smoke size prints every section (figures are printed, never asserted)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_search_speed_smoke():
    out = subprocess.run([sys.executable, str(REPO / "bench" / "search_speed.py"), "--smoke", "--queries", "12"],
                         capture_output=True, text=True, timeout=300, cwd=REPO)
    assert out.returncode == 0, out.stderr[-2000:]
    text = out.stdout
    for mode in ("text", "vector", "hybrid", "browse"):
        assert re.search(rf"lance {mode}\s*: p50\s+[\d.]+ ms\s+p99\s+[\d.]+ ms", text), text
    recall = float(re.search(r"recall@10\s*: ([\d.]+)", text).group(1))
    assert 0.0 <= recall <= 1.0 and "index on" in text  # the smoke size is above its vector_index_min_rows
    # PostgreSQL either ran or said why not; never silently missing
    assert re.search(r"postgres text\s*: (p50 .* ms|skipped \(.+\))", text), text
    assert "changed=False" in text  # ensure_indexes right after a build is a no-op

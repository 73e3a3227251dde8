"""The resolution benchmarks run at smoke size (CI) and print sane figures."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_er_quality_smoke(shared_dir, tmp_path):
    out = tmp_path / "er.json"
    r = subprocess.run([sys.executable, "bench/er_quality.py", "--smoke", "--no-embed", "--json", str(out)],
                       cwd=REPO, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    rows = json.loads(out.read_text())
    fz = next(x for x in rows if x["dataset"] == "fodors_zagats")
    assert fz["f1"] > 0.8 and fz["candidates_per_record"] <= 10


@pytest.mark.slow
def test_synthetic_smoke():
    r = subprocess.run([sys.executable, "bench/synthetic_affiliate.py", "--smoke"], cwd=REPO, capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    fig = json.loads([l for l in r.stdout.splitlines() if l.startswith('{"listings"')][0])
    assert fig["f1"] > 0.7 and fig["rerun_changed_programs"] == 0

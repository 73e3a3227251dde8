"""The resolution benchmarks run at smoke size (CI) and print sane figures."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_er_quality_smoke(shared_dir, tmp_path):
    out = tmp_path / "er.json"
    sets = ["fodors_zagats", "abt_buy", "patstat_orgs", "restaurants_okkam", "dblp_acm"]
    r = subprocess.run([sys.executable, "bench/er_quality.py", "--smoke", "--no-embed", "--json", str(out), "--only", *sets],
                       cwd=REPO, capture_output=True, text=True, timeout=180, env={**os.environ, "MATRIX_PROGRESS": "0"})
    assert r.returncode == 0, r.stderr[-2000:]
    rows = {x["dataset"]: x for x in json.loads(out.read_text())}
    assert set(rows) == set(sets)
    for name, row in rows.items():
        # every set reports blocking, the model's own cut and timings split into embedding and the rest
        assert 0 < row["candidates_per_record"] <= 10, (name, row["candidates_per_record"])
        assert row["pair_completeness"] >= 0.9, (name, row["pair_completeness"])
        assert 0 < row["threshold"] < 1 and row["embed_s"] == 0 and row["rest_s"] > 0
        assert row["prior"] is not None and 0 < row["prior"] < 1
    # measured figures at smoke size (whole Fodors-Zagats, 150-record slices of the rest, no embeddings)
    assert rows["fodors_zagats"]["f1"] >= 0.9 and rows["fodors_zagats"]["fallback"] is None
    assert rows["abt_buy"]["f1"] >= 0.75 and rows["restaurants_okkam"]["recall"] >= 0.9
    # a 150 x 150 slice of DBLP-ACM has few true pairs and the fitted model over-links it (F1 0.34
    # measured; 0.988 on the whole set): a known limit (docs/resolve.md), so only recall is held here
    assert rows["dblp_acm"]["recall"] >= 0.95
    assert rows["patstat_orgs"]["bcubed_f1"] >= 0.8


@pytest.mark.slow
def test_synthetic_smoke():
    r = subprocess.run([sys.executable, "bench/synthetic_affiliate.py", "--smoke"], cwd=REPO, capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    fig = json.loads([l for l in r.stdout.splitlines() if l.startswith('{"listings"')][0])
    assert fig["f1"] > 0.7 and fig["rerun_changed_programs"] == 0


@pytest.mark.slow
def test_splink_side_by_side_on_fodors_zagats(shared_dir):
    """Splink (DuckDB, unsupervised) runs on the same data and is scored by the same gold."""
    r = subprocess.run([sys.executable, "bench/er_splink.py", "--only", "fodors_zagats",
                        "--data", str(shared_dir / "data" / "er")], cwd=REPO, capture_output=True, text=True, timeout=180)
    assert r.returncode == 0, r.stderr[-2000:]
    fig = json.loads([l for l in r.stdout.splitlines() if l.startswith('{"system": "splink"')][0])
    assert "error" not in fig, fig
    assert fig["records"] == 864 and 0.5 < fig["f1"] <= 1.0 and fig["wall_s"] > 0


@pytest.mark.slow
def test_ingest_speed_smoke():
    """embed -> resolve -> index through the Ray pipeline pieces; the unchanged re-ingest embeds nothing."""
    r = subprocess.run([sys.executable, "bench/ingest_speed.py", "--listings", "150"], cwd=REPO, capture_output=True,
                       text=True, timeout=240)
    assert r.returncode == 0, r.stderr[-3000:]
    fig = json.loads([l for l in r.stdout.splitlines() if l.startswith('{"listings"')][0])
    assert fig["cold"]["programs_written"] == fig["cold"]["programs"] > 0
    assert fig["reingest"]["texts_embedded"] == 0 and fig["reingest"]["programs_written"] == 0
    assert fig["reingest"]["listings_written"] == 0
    assert fig["embed_only_listings_per_s"] > 0 and fig["ratio_pipeline_to_embed_only"] > 0

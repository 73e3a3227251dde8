"""The search benchmark at smoke size: assertions on the figures `main()` returns as data
(latencies are printed by the benchmark, never asserted: a loaded CI machine would make them flaky)."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

from tests.support.components import require, require_module

REPO = Path(__file__).resolve().parents[2]


def _bench():
    spec = importlib.util.spec_from_file_location("search_speed", REPO / "bench" / "search_speed.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_search_speed_smoke():
    pg_bin = Path(os.environ.get("MATRIX_PG_BIN", "/usr/lib/postgresql/15/bin"))  # as bench/search_pg.py
    require((pg_bin / "initdb").exists(), f"PostgreSQL ({pg_bin}/initdb)", "apt-get install postgresql-15")
    require_module("psycopg", "pip install -e '.[bench]'")
    f = _bench().main(["--smoke", "--queries", "12"])
    for mode in ("text", "vector", "hybrid", "browse"):
        assert f[f"lance_{mode}"]["n"] > 0 and 0 < f[f"lance_{mode}"]["p50"] <= f[f"lance_{mode}"]["p99"], mode
    assert 0.0 <= f["recall_at_10"] <= 1.0
    assert f["vector_index_on"]  # the smoke size is above its vector_index_min_rows
    assert f["ensure_again_changed"] is False  # ensure_indexes right after a build is a no-op
    pg = f["postgres_text"]  # PostgreSQL is a required real part here: it ran, never "skipped"
    assert "skipped" not in pg, pg
    assert pg["queries"] == 12 and 0 < pg["p50"] <= pg["p99"] and 0 <= pg["same_total"] <= 12

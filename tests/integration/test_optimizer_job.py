"""The optimizer as a Ray task (jobs/optimize_index.py) on the session cluster."""

from __future__ import annotations

import pytest

from matrix.config import load_settings
from matrix.index.usage import UsageRecorder, usage_dir
from tests.support.serve_data import build_registry_index

pytestmark = [pytest.mark.slow, pytest.mark.integration]


def test_optimize_task_plans_then_applies(ray_session, tmp_path):
    from jobs.optimize_index import run_optimize

    settings = load_settings(overrides={"home": str(tmp_path), "optimizer": {"min_uses": 3}})
    index, _ = build_registry_index(settings, n=40)
    for i in index.programs.list_indices():  # start from the full-text index only
        if i.index_type not in ("FTS", "Inverted"):
            index.programs.drop_index(i.name)
    rec = UsageRecorder(usage_dir(settings))
    for _ in range(5):
        rec.record("text", ["category"], "relevance", 5.0)
    rec.flush()
    planned = run_optimize(settings, dry_run=True)
    assert [d["target"] for d in planned["decisions"] if d["action"] == "create_index"] == ["category"]
    assert not any(d["applied"] for d in planned["decisions"])
    applied = run_optimize(settings)
    assert any(d["action"] == "create_index" and d["applied"] for d in applied["decisions"])
    assert "auto_category_idx" in {i.name for i in index.programs.list_indices()}

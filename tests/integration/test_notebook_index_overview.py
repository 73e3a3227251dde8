"""notebooks/index_overview.ipynb runs top to bottom against a real index and reports its real counts."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from matrix.config import load_settings

pytestmark = [pytest.mark.slow, pytest.mark.integration]
NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "index_overview.ipynb"


def test_index_overview_notebook_executes(ray_session, matrix_home):
    from jobs.ingest import run_ingest
    from matrix.index import MasterIndex

    settings = load_settings(overrides={"sources": [{"name": "openaffiliate", "kind": "openaffiliate", "max_pages": 30}]})
    run_ingest(settings)
    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(nb, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    summary = json.loads(text.split("SUMMARY ", 1)[1].splitlines()[0])
    categories = MasterIndex(settings).programs.to_arrow().column("category").to_pylist()
    assert summary["programs"] == len(categories)
    assert sum(summary["categories"].values()) == len(categories)
    assert (matrix_home / "reports" / "programs_overview.png").stat().st_size > 10_000

"""The budget walkthrough notebook runs top to bottom (kernel: python3 from this venv)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

NB = Path(__file__).resolve().parents[2] / "notebooks" / "budget_walkthrough.ipynb"


@pytest.mark.slow
def test_budget_notebook_executes(matrix_home, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.read(NB, as_version=4)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    client = nbclient.NotebookClient(nb, timeout=240, kernel_name="python3", resources={"metadata": {"path": str(NB.parent.parent)}})
    client.execute()
    outputs = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    assert "unchanged=" in outputs and "regret" in outputs and "__total__" in outputs
    assert (matrix_home / "budget" / "plots" / "forecast.png").exists()
    assert os.environ["MATRIX_HOME"] == str(matrix_home)

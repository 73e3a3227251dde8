"""The budget walkthrough notebook runs top to bottom (kernel: python3 from this venv)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support.components import require_module

NB = Path(__file__).resolve().parents[2] / "notebooks" / "budget_walkthrough.ipynb"


@pytest.mark.slow
def test_budget_notebook_executes(matrix_home, monkeypatch):
    require_module("nbformat", "pip install -e '.[dev]'")
    require_module("nbclient", "pip install -e '.[dev]'")
    require_module("matplotlib", "pip install -e '.[plots]'")
    import nbclient
    import nbformat

    nb = nbformat.read(NB, as_version=4)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    client = nbclient.NotebookClient(nb, timeout=240, kernel_name="python3",
                                     resources={"metadata": {"path": str(NB.parent.parent)}})
    client.execute()
    outputs = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    assert "unchanged=" in outputs and "regret" in outputs and "__total__" in outputs
    assert "week 1 (safe)" in outputs and "week 2 (explore)" in outputs and "week 3 (safe)" in outputs
    assert "expected cost" in outputs  # the exploring week says what learning costs
    assert (matrix_home / "budget" / "plots" / "forecast.png").exists()
    assert os.environ["MATRIX_HOME"] == str(matrix_home)

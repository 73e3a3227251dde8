"""An installed wheel, outside the checkout, ingests the bundled registry and searches it.

Why: defaults used to be found through the repository root, so `pip install .` (what the KubeRay
image does) silently ingested nothing. Here the project is built into a wheel, installed into a
fresh virtual environment in a temporary directory (its dependencies are borrowed from the test
environment by a plain path entry, which does NOT activate the checkout's editable install), and
`matrix ingest` + `matrix search` run from a directory that is not the checkout, with no config
file: everything they need must come from the package itself.
"""

from __future__ import annotations

import json
import os
import site
import subprocess
import sys
import venv
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.integration]

REPO = Path(__file__).resolve().parents[2]


def _build_wheel(out: Path) -> Path:
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(out), str(REPO)], check=True, capture_output=True, text=True, timeout=600)
    return next(out.glob("affiliate_matrix-*.whl"))


def _fresh_venv(where: Path) -> Path:
    venv.EnvBuilder(with_pip=False).create(where)
    py = where / "bin" / "python"
    target = Path(subprocess.check_output([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                          text=True).strip())
    # dependencies only: a plain path line adds the directory without running its .pth files, so the
    # checkout's editable install (a .pth finder there) stays inactive
    (target / "borrowed_deps.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    return py


def test_wheel_outside_the_checkout_ingests_750_programs(tmp_path: Path):
    wheel = _build_wheel(tmp_path / "dist")
    py = _fresh_venv(tmp_path / "venv")
    purelib = subprocess.check_output([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                      text=True).strip()
    install = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-compile", "-q",
                              "--target", purelib, str(wheel)], capture_output=True, text=True, timeout=600)
    assert install.returncode == 0, install.stderr
    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MATRIX_") and k != "PYTHONPATH"}
    env.update({"MATRIX_HOME": str(tmp_path / "home"), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
                "RAY_USAGE_STATS_ENABLED": "0"})

    where = subprocess.run([str(py), "-c", "import matrix, jobs, serve_apps; print(matrix.__file__)"],
                           cwd=workdir, env=env, capture_output=True, text=True)
    assert where.returncode == 0, where.stderr
    assert str(REPO) not in where.stdout, f"imported the checkout, not the wheel: {where.stdout}"

    cli = [str(py), "-m", "matrix.cli"]
    ingest = subprocess.run([*cli, "ingest", "--json"], cwd=workdir, env=env, capture_output=True, text=True,
                            timeout=1200)
    assert ingest.returncode == 0, ingest.stderr[-4000:]
    summary = json.loads(ingest.stdout[ingest.stdout.index("{"):])
    assert summary["sources"]["openaffiliate"]["listings"] == 750
    assert summary["listings"]["inserted"] == 750

    search = subprocess.run([*cli, "search", "email marketing", "--json"], cwd=workdir, env=env,
                            capture_output=True, text=True, timeout=600)
    assert search.returncode == 0, search.stderr[-3000:]
    hits = json.loads(search.stdout[search.stdout.index("{"):])
    assert hits["total"] > 0 and hits["hits"], hits
    rules = subprocess.run([str(py), "-c", "from matrix.config import load_settings; s = load_settings(); "
                            "print(len(s.sources), len(s.triggers.rules))"], cwd=workdir, env=env,
                           capture_output=True, text=True)
    n_sources, n_rules = map(int, rules.stdout.split())
    assert n_sources >= 1 and n_rules >= 1

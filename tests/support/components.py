"""Real components a test needs (redis-server, Chromium, Prometheus, PostgreSQL, ../shared, ...).

`require(ok, what, how)`: when the component is missing, a developer's run skips the test with a
clear reason, but under CI (`CI=true`) the test FAILS - a CI run that silently skipped the only
check of a real part would be green while proving nothing (issue 17).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
CHROMIUM = "/usr/bin/chromium"


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def require(ok: bool, what: str, how: str) -> None:
    """Skip (developer machine) or fail (CI) when `ok` is false."""
    if ok:
        return
    message = f"{what} is missing: {how}"
    if in_ci():
        pytest.fail(f"CI=true and {message}", pytrace=False)
    pytest.skip(message)


def require_executable(path_or_name: str, how: str) -> str:
    found = shutil.which(path_or_name)
    require(found is not None, path_or_name, how)
    assert found is not None
    return found


def require_module(name: str, how: str) -> None:
    require(importlib.util.find_spec(name) is not None, f"Python package {name!r}", how)


def require_shared() -> Path:
    require(SHARED.is_dir(), f"{SHARED} (reference data: CRDs, registry, ER gold sets)",
            "check out the shared data beside the repository (../shared)")
    return SHARED

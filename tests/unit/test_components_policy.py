"""A missing real component skips on a developer's machine and FAILS under CI=true."""

from __future__ import annotations

import pytest

from tests.support.components import require, require_module


def test_missing_component_fails_under_ci(monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true and redis-server is missing: apt-get install"):
        require(False, "redis-server", "apt-get install redis-server")
    with pytest.raises(pytest.fail.Exception, match="no_such_package_xyz"):
        require_module("no_such_package_xyz", "pip install it")


def test_missing_component_skips_elsewhere(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="redis-server is missing"):
        require(False, "redis-server", "apt-get install redis-server")
    require(True, "anything", "nothing to do")  # present: no effect

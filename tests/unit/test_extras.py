"""A missing optional library fails with the extra that provides it, not a bare ImportError."""

from __future__ import annotations

import sys

import pytest

from matrix.extras import MissingExtra, require


def test_present_module_is_returned():
    assert require("json", "anything").dumps([1]) == "[1]"


@pytest.mark.parametrize("module,extra", [("matplotlib.pyplot", "plots"), ("playwright.async_api", "browser"),
                                          ("jsonschema", "deploy"), ("rich.table", "cli")])
def test_missing_module_names_its_extra(monkeypatch, module, extra):
    if "." in module:
        monkeypatch.delitem(sys.modules, module, raising=False)
    monkeypatch.setitem(sys.modules, module.split(".")[0], None)  # None in sys.modules = "cannot be imported"
    with pytest.raises(MissingExtra, match=rf"budget plots needs the optional package .*affiliate-matrix\[{extra}\]"):
        require(module, "budget plots")

"""Lazy package exports (PEP 562): `from matrix.index import MasterIndex` works, but importing the
package (or a light sub-module such as its cli) does not load LanceDB, scikit-learn or pandas.

    __getattr__ = lazy_exports(__name__, {"MasterIndex": "matrix.index.store", ...})
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any, Callable


class _LazyPackage(types.ModuleType):
    """A package whose exported names win over same-named sub-modules (`matrix.index.search` is the
    search function, as it was when the package imported eagerly): the import system's
    `setattr(package, "search", <module>)` after loading the sub-module is ignored."""

    _lazy_exports: dict[str, str] = {}

    def __setattr__(self, name: str, value: Any) -> None:
        if name in self._lazy_exports and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


def lazy_exports(package: str, exports: dict[str, str]) -> Callable[[str], Any]:
    """The package's `__getattr__`: `name` is imported from `exports[name]` on first use, then cached."""
    module = sys.modules[package]
    module.__class__ = _LazyPackage
    module._lazy_exports = dict(exports)  # type: ignore[attr-defined]

    def __getattr__(name: str) -> Any:
        source = exports.get(name)
        if source is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(source), name)
        setattr(module, name, value)
        return value

    return __getattr__

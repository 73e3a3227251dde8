"""Optional extras: a feature whose library is not installed fails with the extra to install.

`pip install affiliate-matrix` gives the core (ingest, resolve, index, serve, networks, keys,
triggers, budget). Heavier or niche libraries live in extras (pyproject.toml
[project.optional-dependencies]): `cli` (rich tables), `plots` (matplotlib), `browser`
(playwright), `deploy` (jsonschema, KubeRay manifest validation). `scripts/setup.sh` installs
`cli` by default (what `matrix up` prints with) and every extra with `--dev`.
"""

from __future__ import annotations

import importlib
from types import ModuleType

EXTRAS: dict[str, str] = {"rich": "cli", "matplotlib": "plots", "playwright": "browser", "jsonschema": "deploy",
                          "kubernetes_validate": "deploy"}


class MissingExtra(ImportError):
    """An optional library is missing; the message names the extra that provides it."""


def require(module: str, feature: str) -> ModuleType:
    """Import `module` or raise MissingExtra naming `pip install 'affiliate-matrix[EXTRA]'`."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        top = module.split(".")[0]
        extra = EXTRAS.get(top, "dev")
        raise MissingExtra(f"{feature} needs the optional package {top!r}: "
                           f"pip install 'affiliate-matrix[{extra}]' (or bash scripts/setup.sh --dev)") from exc

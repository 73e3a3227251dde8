"""The LanceDB master index and its search API.

Names are imported on first use (PEP 562 `__getattr__`), so `import matrix.index.cli` or
`matrix --help` does not load LanceDB, pyarrow or pandas.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from matrix.lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "IndexReport": "matrix.index.indexes",
    "FACETS": "matrix.index.search",
    "SearchFilters": "matrix.index.search",
    "SearchRequest": "matrix.index.search",
    "SearchResult": "matrix.index.search",
    "search": "matrix.index.search",
    "MasterIndex": "matrix.index.store",
    "Snapshot": "matrix.index.store",
    "UpsertStats": "matrix.index.store",
    "IngestVersion": "matrix.index.versions",
}

if TYPE_CHECKING:
    from matrix.index.indexes import IndexReport
    from matrix.index.search import FACETS, SearchFilters, SearchRequest, SearchResult, search
    from matrix.index.store import MasterIndex, Snapshot, UpsertStats
    from matrix.index.versions import IngestVersion


__getattr__ = lazy_exports(__name__, _EXPORTS)

__all__ = ["FACETS", "IndexReport", "IngestVersion", "MasterIndex", "SearchFilters", "SearchRequest", "SearchResult",
           "Snapshot", "UpsertStats", "search"]

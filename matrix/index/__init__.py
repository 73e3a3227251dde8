"""The LanceDB master index and its search API."""

from matrix.index.indexes import IndexReport  # noqa: F401
from matrix.index.search import FACETS, SearchFilters, SearchRequest, SearchResult, search  # noqa: F401
from matrix.index.store import MasterIndex, Snapshot, UpsertStats  # noqa: F401
from matrix.index.versions import IngestVersion  # noqa: F401

"""The LanceDB master index and its search API."""

from matrix.index.search import SearchFilters, SearchRequest, SearchResult, search  # noqa: F401
from matrix.index.store import MasterIndex, UpsertStats  # noqa: F401

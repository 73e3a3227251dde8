"""Index management for the programs table: full-text, vector and scalar indexes.

Why one `ensure_indexes()`: the ingest calls it after every write, so it must be cheap when
nothing changed (one `list_indices()` call, no writes) and incremental when rows were added
(new rows are folded into the existing indexes with `optimize_indices`, no retraining). A vector
index is only worth its training cost once the table is large: below
`index.vector_index_min_rows` an exact scan is both faster and perfectly accurate.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

from lancedb.index import FTS, Bitmap, BTree, HnswSq, IvfPq, LabelList

from matrix.config import IndexSettings
from matrix.observability import get_logger

log = get_logger(__name__)

VECTOR_DIM = 384  # all-MiniLM-L6-v2
TEXT_COLUMN = "search_text"
VECTOR_COLUMN = "vector"
# Column -> index kind. Bitmap for low-cardinality labels, label_list for list columns
# (array_has_any filters), btree for ranges and the primary key.
SCALAR_INDEXES: dict[str, Callable[[], Any]] = {
    "program_id": BTree,
    "category": Bitmap,
    "commission_model": Bitmap,
    "approval": Bitmap,
    "networks": LabelList,
    "geo_allowed": LabelList,
    "commission_percent": BTree,
    "cookie_days": BTree,
    "epc": BTree,
    "last_verified": BTree,
}


@dataclass
class IndexReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)


def vector_index_config(cfg: IndexSettings) -> Any:
    if cfg.vector_index_type == "hnsw_sq":
        return HnswSq(distance_type="cosine")
    # 8-dim sub-vectors: 384-d MiniLM vectors -> 48 sub-vectors; the refine step re-ranks exactly.
    return IvfPq(distance_type="cosine", num_sub_vectors=VECTOR_DIM // 8)


def describe(table) -> dict[str, dict[str, Any]]:
    """Index name -> {column, type, indexed, unindexed} for `matrix index stats`."""
    out = {}
    for ix in table.list_indices():
        out[ix.name] = {
            "column": ix.columns[0] if ix.columns else None,
            "type": str(ix.index_type),
            "indexed_rows": getattr(ix, "num_indexed_rows", None),
            "unindexed_rows": getattr(ix, "num_unindexed_rows", None),
        }
    return out


def _vector_rows(table) -> int:
    return table.count_rows(f"{VECTOR_COLUMN} IS NOT NULL")


def ensure_indexes(table, cfg: IndexSettings, force: bool = False) -> IndexReport:
    """Create missing indexes and fold unindexed rows into existing ones; no-op when up to date."""
    t0 = time.perf_counter()
    report = IndexReport()
    rows = table.count_rows()
    if rows == 0:
        report.seconds = time.perf_counter() - t0
        return report
    existing = {ix.columns[0]: ix for ix in table.list_indices() if ix.columns}
    stale: list[str] = []
    for col, ix in existing.items():
        if force or (getattr(ix, "num_unindexed_rows", 0) or 0) > 0:
            stale.append(ix.name)
        else:
            report.skipped.append(col)

    if TEXT_COLUMN not in existing:
        table.create_index(TEXT_COLUMN, config=FTS(with_position=False), replace=True)
        report.created.append(TEXT_COLUMN)
    for col in cfg.scalar_index_columns:
        make = SCALAR_INDEXES[col]
        if col not in existing:
            table.create_index(col, config=make(), replace=True)
            report.created.append(col)
    if VECTOR_COLUMN not in existing and _vector_rows(table) >= cfg.vector_index_min_rows:
        table.create_index(VECTOR_COLUMN, config=vector_index_config(cfg), replace=True)
        report.created.append(VECTOR_COLUMN)

    stale = [name for name in stale if name.rsplit("_idx", 1)[0] not in report.created]
    if stale:
        # Adds new rows to the existing partitions / posting lists without retraining.
        table.to_lance().optimize.optimize_indices(index_names=stale)
        table.checkout_latest()
        report.updated.extend(stale)
    report.seconds = time.perf_counter() - t0
    if report.changed:
        log.info("indexes", extra={"indexes_created": report.created, "indexes_updated": report.updated,
                                   "seconds": round(report.seconds, 3)})
    return report

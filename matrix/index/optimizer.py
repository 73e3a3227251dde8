"""Dynamic indexing: turn recorded query patterns into index decisions on the programs table.

Why: which scalar indexes pay off depends on how people actually search (a BTree on
`cookie_days` is wasted if nobody filters on it, and every index costs write time and disk).
The optimizer reads the usage files the Serve replicas write (matrix.index.usage), then:

1. creates a scalar index for a column filtered or sorted on often enough (`min_uses` in the
   window and `min_share` of all queries): LabelList for list columns, Bitmap for
   low-cardinality strings, BTree for everything else;
2. drops an index *it created* (name `auto_<column>_idx`) that fell out of use — indexes other
   code created are never touched;
3. refreshes full-text and vector indexes once enough rows arrived since they were built;
4. compacts small fragments and removes old versions (keeping `keep_versions_s` of history so
   readers pinned to a recent version keep working).

Every decision carries its reason and is logged, whether applied or only planned (dry run).
Plain Python so it runs from the CLI (`matrix index optimize`), a Ray task (jobs/optimize_index.py)
or the admin endpoint of the search service.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Callable

import pyarrow as pa
import pyarrow.compute as pc

from matrix.config import OptimizerSettings, Settings
from matrix.index.usage import UsageSummary, load_usage, usage_dir
from matrix.observability import counter, get_logger

log = get_logger(__name__)
AUTO_PREFIX = "auto_"
DECISIONS = counter("matrix_index_optimizer_decisions_total", "Optimizer decisions, by action and outcome",
                    ["action", "outcome"])


@dataclass
class Decision:
    action: str  # create_index | drop_index | reindex | compact | keep
    target: str
    reason: str
    index_type: str | None = None
    applied: bool = False
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class OptimizeReport:
    table: str
    version_before: int | None
    version_after: int | None = None
    total_queries: int = 0
    dry_run: bool = False
    decisions: list[Decision] = field(default_factory=list)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["decisions"] = [x.to_dict() for x in self.decisions]
        return d


def auto_index_name(column: str) -> str:
    return f"{AUTO_PREFIX}{column}_idx"


def _index_type_for(tbl, column: str, arrow_type: pa.DataType, policy: OptimizerSettings) -> str:
    if pa.types.is_list(arrow_type) or pa.types.is_large_list(arrow_type) or pa.types.is_fixed_size_list(arrow_type):
        return "LABEL_LIST"
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type) or pa.types.is_boolean(arrow_type):
        col = tbl.to_lance().to_table(columns=[column]).column(0)
        distinct = len(pc.unique(col))
        return "BITMAP" if distinct <= policy.bitmap_max_distinct else "BTREE"
    return "BTREE"


def _config_for(index_type: str):
    from lancedb.index import Bitmap, BTree, LabelList

    return {"BTREE": BTree, "BITMAP": Bitmap, "LABEL_LIST": LabelList}[index_type]()


class IndexOptimizer:
    """Plans and applies index decisions for one LanceDB table from a usage summary."""

    def __init__(self, table, policy: OptimizerSettings, usage: UsageSummary,
                 clock: Callable[[], float] = time.time) -> None:
        self.table = table
        self.policy = policy
        self.usage = usage
        self.clock = clock

    # -- planning ----------------------------------------------------------------------------
    def _indices(self) -> list[Any]:
        return list(self.table.list_indices())

    def plan(self) -> list[Decision]:
        tbl, policy = self.table, self.policy
        schema = tbl.schema
        indices = self._indices()
        indexed_cols = {tuple(i.columns)[0]: i for i in indices if len(i.columns) == 1}
        columns = self.usage.columns()
        total = max(self.usage.total_queries, 1)
        out: list[Decision] = []
        for col, u in sorted(columns.items(), key=lambda kv: -kv[1].uses):
            if col not in schema.names:
                continue
            share = u.uses / total
            mean = f"{u.mean_ms:.1f} ms" if u.mean_ms is not None else "unknown"
            if col in indexed_cols:
                continue
            if u.uses >= policy.min_uses and share >= policy.min_share:
                itype = _index_type_for(tbl, col, schema.field(col).type, policy)
                out.append(Decision("create_index", col,
                                    f"used in {u.uses} of {self.usage.total_queries} queries ({share:.0%}; "
                                    f"{u.filtered} filters, {u.sorted} sorts), mean latency {mean}, no index yet",
                                    index_type=itype))
        for idx in indices:
            if not idx.name.startswith(AUTO_PREFIX) or len(idx.columns) != 1:
                continue
            col = idx.columns[0]
            uses = columns[col].uses if col in columns else 0
            if uses < policy.drop_below_uses:
                out.append(Decision("drop_index", idx.name,
                                    f"column {col} used in {uses} queries in the last "
                                    f"{policy.usage_window_s / 3600:.0f} h (< {policy.drop_below_uses})"))
        for idx in indices:
            if idx.index_type not in ("FTS", "Inverted") and not str(idx.index_type).startswith("IVF"):
                continue
            stats = tbl.index_stats(idx.name)
            pending = getattr(stats, "num_unindexed_rows", 0) if stats else 0
            if pending >= policy.reindex_min_new_rows:
                out.append(Decision("reindex", idx.name,
                                    f"{idx.index_type} index misses {pending} new rows (>= {policy.reindex_min_new_rows})"))
        versions = len(tbl.list_versions())
        frag = (tbl.stats() or {}).get("fragment_stats", {}) if hasattr(tbl, "stats") else {}
        small = frag.get("num_small_fragments", 0) if isinstance(frag, dict) else getattr(frag, "num_small_fragments", 0)
        if versions >= policy.compact_min_versions or small >= policy.compact_min_small_fragments:
            out.append(Decision("compact", tbl.name,
                                f"{versions} versions (threshold {policy.compact_min_versions}), {small} small fragments "
                                f"(threshold {policy.compact_min_small_fragments}); keeping versions newer than "
                                f"{policy.keep_versions_s:.0f} s"))
        if not out:
            out.append(Decision("keep", tbl.name, f"nothing to change ({self.usage.total_queries} queries recorded, "
                                                  f"{len(indices)} indexes, {versions} versions)"))
        return out

    # -- applying ----------------------------------------------------------------------------
    def apply(self, decisions: list[Decision]) -> list[Decision]:
        tbl = self.table
        for d in decisions:
            try:
                if d.action == "create_index":
                    tbl.create_index(d.target, config=_config_for(d.index_type or "BTREE"),
                                     name=auto_index_name(d.target), replace=True)
                elif d.action == "drop_index":
                    tbl.drop_index(d.target)
                elif d.action == "reindex":
                    tbl.to_lance().optimize.optimize_indices(index_names=[d.target])
                elif d.action == "compact":
                    tbl.compact_files()
                    tbl.cleanup_old_versions(older_than=dt.timedelta(seconds=self.policy.keep_versions_s))
                else:
                    continue
                d.applied = True
            except Exception as exc:  # one failed decision must not stop the rest
                d.error = f"{type(exc).__name__}: {exc}"
            finally:
                if d.action != "keep":
                    DECISIONS.labels(d.action, "error" if d.error else "applied").inc()
        return decisions


def optimize_index(settings: Settings, *, dry_run: bool = False, usage: UsageSummary | None = None,
                   index: Any = None, clock: Callable[[], float] = time.time) -> OptimizeReport:
    """Plan (and unless `dry_run`, apply) index decisions for the programs table; log each one."""
    from matrix.index.store import MasterIndex

    t0 = time.perf_counter()
    policy = settings.optimizer
    index = index or MasterIndex(settings)
    tbl = index.table(index.programs_name)  # raises a clear error when nothing was ingested yet
    if usage is None:
        usage = load_usage(usage_dir(settings), since=clock() - policy.usage_window_s)
    report = OptimizeReport(table=index.programs_name, version_before=tbl.version,
                            total_queries=usage.total_queries, dry_run=dry_run)
    opt = IndexOptimizer(tbl, policy, usage, clock=clock)
    decisions = opt.plan()
    if not dry_run:
        opt.apply(decisions)
    for d in decisions:
        log.info("index decision", extra={"action": d.action, "target": d.target, "reason": d.reason,
                                          "index_type": d.index_type, "applied": d.applied, "error": d.error,
                                          "dry_run": dry_run})
    report.decisions = decisions
    report.version_after = index.table(index.programs_name).version
    report.seconds = round(time.perf_counter() - t0, 3)
    return report

"""Durable performance storage: one Parquet file per table under MATRIX_HOME/budget.

Why Parquet and whole-file rewrites: budgeting data is small (campaigns x days), and an atomic
rewrite (write temp file, rename) means a crash never leaves half an import behind. Rows are
keyed by (campaign_id, date): re-importing the same file is a no-op, and a *different* value for
an existing key is a conflict the caller resolves explicitly (error / replace / keep).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Literal

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from matrix.budget.model import NUMERIC_COLUMNS, PERF_COLUMNS, Campaign, DailyPerformance, PerformanceError
from matrix.models import arrow_schema
from matrix.observability import counter, get_logger

log = get_logger(__name__)
ROWS_WRITTEN = counter("matrix_budget_rows_total", "Performance rows imported, by outcome", ["outcome"])

OnConflict = Literal["error", "replace", "keep"]
PERF_SCHEMA = arrow_schema(DailyPerformance)
CAMPAIGN_SCHEMA = arrow_schema(Campaign)
KEY = ["campaign_id", "date"]


@dataclass
class ImportReport:
    inserted: int = 0
    unchanged: int = 0
    replaced: int = 0
    kept: int = 0

    def __str__(self) -> str:
        return f"inserted={self.inserted} unchanged={self.unchanged} replaced={self.replaced} kept={self.kept}"


def _same(a: pd.DataFrame, b: pd.DataFrame) -> pd.Series:
    eq = pd.Series(True, index=a.index)
    for col in PERF_COLUMNS:
        if col in KEY or col == "source":
            continue
        x, y = a[col], b[col]
        both_na = x.isna() & y.isna()
        if col in NUMERIC_COLUMNS:
            close = (x.astype(float) - y.astype(float)).abs() <= 1e-9 * (1 + y.astype(float).abs())
            eq &= both_na | close.fillna(False)
        else:
            eq &= both_na | (x == y).fillna(False)
    return eq


class PerformanceStore:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.perf_path = self.root / "performance.parquet"
        self.campaign_path = self.root / "campaigns.parquet"

    # --- reads ------------------------------------------------------------------------------
    def performance(self, campaign_ids: Iterable[str] | None = None) -> pd.DataFrame:
        if not self.perf_path.exists():
            return pd.DataFrame({c: pd.Series(dtype="object") for c in PERF_COLUMNS})
        df = pq.read_table(self.perf_path).to_pandas()
        if campaign_ids is not None:
            df = df[df["campaign_id"].isin(list(campaign_ids))]
        return df.sort_values(KEY).reset_index(drop=True)

    def campaigns(self) -> pd.DataFrame:
        if not self.campaign_path.exists():
            return pd.DataFrame({c: pd.Series(dtype="object") for c in Campaign.model_fields})
        return pq.read_table(self.campaign_path).to_pandas()

    # --- writes -----------------------------------------------------------------------------
    def _write(self, df: pd.DataFrame, path: Path, schema: pa.Schema) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        table = pa.Table.from_pandas(df[[f.name for f in schema]], schema=schema, preserve_index=False)
        tmp = path.with_suffix(".tmp")
        pq.write_table(table, tmp)
        os.replace(tmp, path)

    def upsert_campaigns(self, campaigns: Iterable[Campaign]) -> int:
        new = pd.DataFrame([c.model_dump() for c in campaigns])
        if new.empty:
            return 0
        old = self.campaigns()
        merged = pd.concat([old[~old["campaign_id"].isin(new["campaign_id"])], new], ignore_index=True)
        self._write(merged, self.campaign_path, CAMPAIGN_SCHEMA)
        return len(new)

    def upsert(self, rows: Iterable[DailyPerformance], on_conflict: OnConflict = "error") -> ImportReport:
        """Add validated rows. Keys must be unique within `rows` (merge duplicates before calling)."""
        new = pd.DataFrame([r.model_dump() for r in rows], columns=PERF_COLUMNS)
        report = ImportReport()
        if new.empty:
            return report
        dup = new.duplicated(KEY, keep=False)
        if dup.any():
            keys = new.loc[dup, KEY].drop_duplicates().head(5).to_records(index=False).tolist()
            raise PerformanceError(f"duplicate (campaign_id, date) inside one import: {keys}; "
                                   "choose duplicates='sum' or 'last' to merge them explicitly")
        old = self.performance()
        for c in PERF_COLUMNS:
            if c not in old:
                old[c] = None
        old_i = old.set_index(KEY)
        new_i = new.set_index(KEY)
        common = new_i.index.intersection(old_i.index)
        fresh = new_i.loc[new_i.index.difference(old_i.index)]
        report.inserted = len(fresh)
        if len(common):
            a, b = new_i.loc[common], old_i.loc[common]
            same = _same(a.reset_index(), b.reset_index()).to_numpy()
            report.unchanged = int(same.sum())
            changed = common[~same]
            if len(changed):
                if on_conflict == "error":
                    ex = [(k[0], str(k[1])) for k in list(changed)[:5]]
                    raise PerformanceError(f"{len(changed)} rows differ from what is stored, e.g. {ex}; "
                                           "re-run with on_conflict='replace' (new values win) or 'keep' (stored values win)")
                if on_conflict == "replace":
                    old_i = old_i.drop(changed)
                    fresh = pd.concat([fresh, new_i.loc[changed]])
                    report.replaced = len(changed)
                else:
                    report.kept = len(changed)
        if report.inserted or report.replaced:
            merged = pd.concat([old_i, fresh]).reset_index()
            self._write(merged.sort_values(KEY), self.perf_path, PERF_SCHEMA)
        for outcome in ("inserted", "unchanged", "replaced", "kept"):
            ROWS_WRITTEN.labels(outcome).inc(getattr(report, outcome))
        log.info("budget import", extra={"report": str(report)})
        return report

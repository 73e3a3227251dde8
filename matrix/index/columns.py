"""An in-memory, read-only copy of the filter columns of one programs-table version.

Why: facet counts, exact totals for browsing and sorting by a term all need the filter columns
of every matching program. Reading them from Lance per request costs 20+ ms at 100k programs;
held as numpy arrays (built once per table version, ~40 bytes a program) a facet pass is well
under a millisecond. The copy is immutable and tied to one version, so it can never disagree
with the pinned table the hits are read from.

Unknown stays a value here: a missing category, an empty network or country list, an unknown
commission all count under the facet key `unknown`, and the filter value `unknown` selects them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

UNKNOWN = "unknown"
CACHE_COLUMNS = [
    "program_id", "networks", "category", "commission_model", "commission_percent", "commission_flat",
    "cookie_days", "geo_allowed", "approval", "last_verified", "epc", "quality", "name",
]


@dataclass(frozen=True)
class Categorical:
    """One label per row: codes into `labels`, -1 for unknown (null)."""

    codes: np.ndarray
    labels: list[str]

    @classmethod
    def from_arrow(cls, col: pa.ChunkedArray) -> "Categorical":
        enc = pc.dictionary_encode(col.combine_chunks())
        codes = pc.fill_null(enc.indices.cast(pa.int32()), -1).to_numpy(zero_copy_only=False).astype(np.int32)
        labels = [str(x) for x in enc.dictionary.to_pylist()]
        # An explicit "unknown" label (enum member) and a null mean the same thing.
        if UNKNOWN in labels:
            codes = np.where(codes == labels.index(UNKNOWN), -1, codes).astype(np.int32)
        return cls(codes=codes, labels=labels)

    def mask(self, wanted: Sequence[str]) -> np.ndarray:
        ids = [i for i, lab in enumerate(self.labels) if lab in set(wanted) and lab != UNKNOWN]
        m = np.isin(self.codes, np.asarray(ids, dtype=np.int32))
        if UNKNOWN in wanted:
            m |= self.codes < 0
        return m

    def counts(self, rows: np.ndarray) -> dict[str, int]:
        sel = self.codes[rows]
        binc = np.bincount(sel + 1, minlength=len(self.labels) + 1)
        out = {lab: int(c) for lab, c in zip(self.labels, binc[1:], strict=False) if c and lab != UNKNOWN}
        if binc[0]:
            out[UNKNOWN] = int(binc[0])
        return dict(sorted(out.items(), key=lambda kv: (-kv[1], kv[0])))


@dataclass(frozen=True)
class LabelLists:
    """Several labels per row (networks, countries) in CSR form; an empty list is unknown."""

    values: np.ndarray  # flat label codes
    row_of_value: np.ndarray  # which row each flat value belongs to
    lengths: np.ndarray
    labels: list[str]

    @classmethod
    def from_arrow(cls, col: pa.ChunkedArray, upper: bool = False) -> "LabelLists":
        arr = col.combine_chunks()
        lengths = pc.fill_null(pc.list_value_length(arr), 0).to_numpy(zero_copy_only=False).astype(np.int64)
        flat = pc.list_flatten(arr)
        if upper:
            flat = pc.utf8_upper(flat)
        enc = pc.dictionary_encode(flat)
        values = enc.indices.to_numpy(zero_copy_only=False).astype(np.int32) if len(flat) else np.zeros(0, np.int32)
        row_of_value = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)
        return cls(values=values, row_of_value=row_of_value, lengths=lengths,
                   labels=[str(x) for x in enc.dictionary.to_pylist()])

    def mask(self, wanted: Sequence[str]) -> np.ndarray:
        want = set(wanted)
        ids = np.asarray([i for i, lab in enumerate(self.labels) if lab in want], dtype=np.int32)
        m = np.zeros(len(self.lengths), dtype=bool)
        if len(ids):
            m[self.row_of_value[np.isin(self.values, ids)]] = True
        if UNKNOWN in want:
            m |= self.lengths == 0
        return m

    def counts(self, rows: np.ndarray) -> dict[str, int]:
        member = np.zeros(len(self.lengths), dtype=bool)
        member[rows] = True
        sel = self.values[member[self.row_of_value]]
        binc = np.bincount(sel, minlength=len(self.labels))
        out = {lab: int(c) for lab, c in zip(self.labels, binc, strict=False) if c}
        unknown = int(np.count_nonzero(self.lengths[rows] == 0))
        if unknown:
            out[UNKNOWN] = unknown
        return dict(sorted(out.items(), key=lambda kv: (-kv[1], kv[0])))


def _floats(col: pa.ChunkedArray) -> np.ndarray:
    return col.combine_chunks().cast(pa.float64()).to_numpy(zero_copy_only=False).astype(np.float64)


def _epoch_seconds(col: pa.ChunkedArray) -> np.ndarray:
    """Timestamps as float seconds since epoch; NaN = unknown."""
    arr = col.combine_chunks().cast(pa.timestamp("us", tz="UTC")).cast(pa.int64())
    return arr.cast(pa.float64()).to_numpy(zero_copy_only=False) / 1e6


def threshold_counts(values: np.ndarray, rows: np.ndarray, thresholds: Sequence[float]) -> dict[str, int]:
    """Cumulative `>=t` counts: each key answers "how many would a minimum of t keep"."""
    sel = values[rows]
    known = sel[~np.isnan(sel)]
    out = {f">={_fmt(t)}": int(np.count_nonzero(known >= t)) for t in thresholds}
    unknown = len(sel) - len(known)
    if unknown:
        out[UNKNOWN] = int(unknown)
    return out


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


class ColumnCache:
    """The filter columns of one table version, positioned by row offset."""

    def __init__(self, table: pa.Table, version: int) -> None:
        self.version = version
        self.n = table.num_rows
        self.program_ids: list[str] = table.column("program_id").to_pylist()
        self.position = {pid: i for i, pid in enumerate(self.program_ids)}
        self.category = Categorical.from_arrow(table.column("category"))
        self.commission_model = Categorical.from_arrow(table.column("commission_model"))
        self.approval = Categorical.from_arrow(table.column("approval"))
        self.networks = LabelLists.from_arrow(table.column("networks"))
        self.countries = LabelLists.from_arrow(table.column("geo_allowed"), upper=True)
        self.commission_percent = _floats(table.column("commission_percent"))
        self.commission_flat = _floats(table.column("commission_flat"))
        self.cookie_days = _floats(table.column("cookie_days"))
        self.epc = _floats(table.column("epc"))
        self.quality = _floats(table.column("quality"))
        self.last_verified = _epoch_seconds(table.column("last_verified"))
        names = table.column("name").to_pylist()
        # Rank of each name, for a stable alphabetical tie-break without keeping strings in sorts.
        self.name_rank = np.empty(self.n, dtype=np.int64)
        self.name_rank[np.argsort(np.asarray([(s or "").lower() for s in names], dtype=object), kind="stable")] = np.arange(
            self.n
        )

    @property
    def nbytes(self) -> int:
        arrays = [self.category.codes, self.commission_model.codes, self.approval.codes, self.networks.values,
                  self.networks.row_of_value, self.countries.values, self.countries.row_of_value,
                  self.commission_percent, self.commission_flat, self.cookie_days, self.epc, self.quality,
                  self.last_verified, self.name_rank]
        return int(sum(a.nbytes for a in arrays))

    def positions(self, program_ids: Sequence[str]) -> np.ndarray:
        pos = self.position
        return np.fromiter((pos[p] for p in program_ids), dtype=np.int64, count=len(program_ids))

    @staticmethod
    def now_s(now: dt.datetime | None) -> float:
        return (now or dt.datetime.now(dt.timezone.utc)).timestamp()

"""Query-pattern usage: which columns searches filter and sort on, and how long each pattern takes.

Why a file per process: every Serve replica records its own counts in memory and rewrites one
JSON file under `MATRIX_HOME/usage/` now and then (atomic rename), so replicas never contend on
a lock and the optimizer — a CLI command, a Ray task, another machine sharing the home — merges
whatever files it finds. Counts are cumulative per file; a restarted replica starts a new file.
"""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from matrix.observability import get_logger

log = get_logger(__name__)

# SearchFilters field -> the programs-table column it filters on.
FILTER_COLUMNS: dict[str, str] = {
    "networks": "networks",
    "categories": "category",
    "commission_models": "commission_model",
    "min_commission_percent": "commission_percent",
    "min_cookie_days": "cookie_days",
    "countries": "geo_allowed",
    "approval": "approval",
    "verified_since": "last_verified",
}
# Sort key -> column (relevance sorts by score, no column).
SORT_COLUMNS: dict[str, str] = {
    "commission": "commission_percent",
    "cookie_days": "cookie_days",
    "epc": "epc",
    "last_verified": "last_verified",
}


def filter_columns(filters: Any) -> list[str]:
    """Columns a SearchFilters (or a dict of the same fields) actually constrains."""
    get = filters.get if isinstance(filters, dict) else (lambda k, d=None: getattr(filters, k, d))
    out = []
    for name, col in FILTER_COLUMNS.items():
        value = get(name, None)
        if value is not None and value != [] and value != "":
            out.append(col)
    return sorted(set(out))


def pattern_key(mode: str, columns: Iterable[str], sort: str) -> str:
    """A stable, readable name for a query shape: `text|category,cookie_days|sort=commission`."""
    return f"{mode}|{','.join(sorted(columns)) or '-'}|sort={sort}"


@dataclass
class PatternStats:
    mode: str
    columns: list[str]
    sort: str
    count: int = 0
    total_ms: float = 0.0
    max_ms: float = 0.0
    last_seen: float = 0.0

    @property
    def mean_ms(self) -> float | None:
        return None if self.count == 0 else self.total_ms / self.count

    def add(self, latency_ms: float, now: float) -> None:
        self.count += 1
        self.total_ms += latency_ms
        self.max_ms = max(self.max_ms, latency_ms)
        self.last_seen = max(self.last_seen, now)

    def merge(self, other: "PatternStats") -> None:
        self.count += other.count
        self.total_ms += other.total_ms
        self.max_ms = max(self.max_ms, other.max_ms)
        self.last_seen = max(self.last_seen, other.last_seen)

    def to_dict(self) -> dict[str, Any]:
        return {"mode": self.mode, "columns": self.columns, "sort": self.sort, "count": self.count,
                "total_ms": round(self.total_ms, 3), "max_ms": round(self.max_ms, 3), "last_seen": self.last_seen}


@dataclass
class ColumnUsage:
    """How often one column was filtered or sorted on, when last, and the mean latency of those queries."""

    column: str
    filtered: int = 0
    sorted: int = 0
    queries: int = 0  # queries that filtered or sorted on it (one query doing both counts once)
    total_ms: float = 0.0
    last_used: float = 0.0

    @property
    def uses(self) -> int:
        return self.queries

    @property
    def mean_ms(self) -> float | None:
        return None if self.uses == 0 else self.total_ms / self.uses


@dataclass
class UsageSummary:
    """Merged usage across every replica's file."""

    patterns: dict[str, PatternStats] = field(default_factory=dict)
    total_queries: int = 0

    def columns(self) -> dict[str, ColumnUsage]:
        out: dict[str, ColumnUsage] = {}
        for p in self.patterns.values():
            sort_col = SORT_COLUMNS.get(p.sort)
            touched = set(p.columns) | ({sort_col} if sort_col else set())
            for col in touched:
                u = out.setdefault(col, ColumnUsage(col))
                if col in p.columns:
                    u.filtered += p.count
                if col == sort_col:
                    u.sorted += p.count
                u.queries += p.count
                u.total_ms += p.total_ms
                u.last_used = max(u.last_used, p.last_seen)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"total_queries": self.total_queries,
                "patterns": {k: v.to_dict() for k, v in sorted(self.patterns.items())}}


class UsageRecorder:
    """Per-process recorder; `record()` is cheap (a dict update), `flush()` writes the file."""

    def __init__(self, directory: str | Path | None, flush_every_s: float = 5.0,
                 clock: Callable[[], float] = time.time, owner: str | None = None) -> None:
        self.directory = Path(directory) if directory is not None else None
        self.flush_every_s = flush_every_s
        self._clock = clock
        self.owner = owner or f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._patterns: dict[str, PatternStats] = {}
        self._lock = threading.Lock()
        self._last_flush = clock()
        self._dirty = False

    @property
    def path(self) -> Path | None:
        return None if self.directory is None else self.directory / f"usage-{self.owner}.json"

    def record(self, mode: str, columns: Iterable[str], sort: str, latency_ms: float) -> None:
        cols = sorted(set(columns))
        key = pattern_key(mode, cols, sort)
        now = self._clock()
        with self._lock:
            stats = self._patterns.get(key)
            if stats is None:
                stats = self._patterns[key] = PatternStats(mode=mode, columns=cols, sort=sort)
            stats.add(float(latency_ms), now)
            self._dirty = True
            due = now - self._last_flush >= self.flush_every_s
        if due:
            self.flush()

    def summary(self) -> UsageSummary:
        with self._lock:
            pats = {k: PatternStats(**{**v.__dict__, "columns": list(v.columns)}) for k, v in self._patterns.items()}
        return UsageSummary(patterns=pats, total_queries=sum(p.count for p in pats.values()))

    def flush(self) -> Path | None:
        """Rewrite this process's file atomically; a failure is logged, never raised to a search."""
        path = self.path
        with self._lock:
            self._last_flush = self._clock()
            if path is None or not self._dirty:
                return path
            payload = {"owner": self.owner, "written_at": self._clock(),
                       "patterns": {k: v.to_dict() for k, v in self._patterns.items()}}
            self._dirty = False
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".tmp{os.getpid()}")
            tmp.write_text(json.dumps(payload))
            os.replace(tmp, path)
        except OSError as exc:
            log.warning("usage flush failed", extra={"path": str(path), "error": str(exc)})
        return path


def load_usage(directory: str | Path, since: float | None = None) -> UsageSummary:
    """Merge every replica's usage file; patterns last seen before `since` (epoch s) are ignored."""
    summary = UsageSummary()
    d = Path(directory)
    if not d.is_dir():
        return summary
    for f in sorted(d.glob("usage-*.json")):
        try:
            doc = json.loads(f.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            log.warning("usage file unreadable, skipped", extra={"path": str(f), "error": str(exc)})
            continue
        for key, p in (doc.get("patterns") or {}).items():
            try:
                stats = PatternStats(mode=str(p["mode"]), columns=list(p["columns"]), sort=str(p["sort"]),
                                     count=int(p["count"]), total_ms=float(p["total_ms"]),
                                     max_ms=float(p["max_ms"]), last_seen=float(p["last_seen"]))
            except (KeyError, TypeError, ValueError):
                continue
            if since is not None and stats.last_seen < since:
                continue
            if key in summary.patterns:
                summary.patterns[key].merge(stats)
            else:
                summary.patterns[key] = stats
    summary.total_queries = sum(p.count for p in summary.patterns.values())
    return summary


def usage_dir(settings: Any) -> Path:
    """Where usage files live for this MATRIX_HOME."""
    return settings.path("usage")

"""Getting performance in: CSV exports (configurable column mapping), network reports, the API.

Why validate everything before writing anything: an import either fully succeeds or changes
nothing, and the error lists every bad row (line number, field, value, rule), so the user fixes
the file once instead of once per error.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Iterable, Literal, Mapping

import pandas as pd
from pydantic import ValidationError

from matrix.budget.model import NUMERIC_COLUMNS, DailyPerformance, PerformanceError
from matrix.models import PerformanceRow

Duplicates = Literal["error", "sum", "last"]

# Field -> accepted header names (case-insensitive); a user mapping {field: header} overrides.
DEFAULT_ALIASES: dict[str, tuple[str, ...]] = {
    "campaign_id": ("campaign_id", "campaign", "campaign id", "campaign name", "ad set", "offer_id"),
    "date": ("date", "day", "reporting starts", "report date"),
    "spend": ("spend", "cost", "amount spent", "amount spent (usd)", "ad spend"),
    "impressions": ("impressions", "impr.", "impr"),
    "clicks": ("clicks", "link clicks"),
    "conversions": ("conversions", "sales", "actions", "leads"),
    "commission": ("commission", "earnings", "payout", "conversion value", "revenue"),
    "revenue": ("sale_amount", "sale value", "order value"),
    "currency": ("currency", "currency code"),
    "program_id": ("program_id",),
    "network": ("network",),
}


def _resolve_columns(headers: list[str], mapping: Mapping[str, str] | None) -> dict[str, str]:
    lower = {h.strip().lower(): h for h in headers}
    out: dict[str, str] = {}
    for field, header in (mapping or {}).items():
        if field not in DailyPerformance.model_fields:
            raise PerformanceError(f"column mapping: {field!r} is not a performance field; allowed: {sorted(DailyPerformance.model_fields)}")
        if header.strip().lower() not in lower:
            raise PerformanceError(f"column mapping: {field} -> {header!r}, but the file has no such column; columns: {headers}")
        out[field] = lower[header.strip().lower()]
    for field, aliases in DEFAULT_ALIASES.items():
        if field in out:
            continue
        for a in aliases:
            if a in lower and lower[a] not in out.values():
                out[field] = lower[a]
                break
    for required in ("campaign_id", "date"):
        if required not in out:
            raise PerformanceError(f"no column for {required!r} (looked for {DEFAULT_ALIASES[required]}); "
                                   f"pass a mapping such as {{'{required}': 'Your Header'}}; columns: {headers}")
    return out


def _num(v: Any) -> Any:
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return None
    if isinstance(v, str):
        s = v.strip().replace(",", "").replace("$", "").replace("€", "").replace("£", "")
        if s == "" or s.lower() in {"na", "n/a", "-", "null", "none"}:
            return None
        return float(s)
    return float(v)


def rows_from_records(records: Iterable[Mapping[str, Any]], *, default_currency: str | None = None,
                      source: str = "api", today: dt.date | None = None) -> list[DailyPerformance]:
    """Validate dict records; raise one PerformanceError listing every bad row (1-based)."""
    rows, errors = [], []
    for i, rec in enumerate(records, start=1):
        data = {k: v for k, v in rec.items() if k in DailyPerformance.model_fields}
        data.setdefault("source", source)
        if not data.get("currency") or (isinstance(data.get("currency"), float) and pd.isna(data["currency"])):
            data["currency"] = default_currency
        try:
            for f in NUMERIC_COLUMNS:
                if f in data:
                    data[f] = _num(data[f])
            for f in ("impressions", "clicks"):
                if data.get(f) is not None:
                    if float(data[f]) != int(float(data[f])):
                        raise ValueError(f"{f} must be a whole number, got {data[f]}")
                    data[f] = int(float(data[f]))
            if isinstance(data.get("date"), str):
                data["date"] = dt.date.fromisoformat(data["date"].strip()[:10])
            elif isinstance(data.get("date"), (pd.Timestamp, dt.datetime)):
                data["date"] = data["date"].date()
            row = DailyPerformance.model_validate(data)
            if today is not None and row.date > today:
                raise ValueError(f"date {row.date} is after {today}")
            rows.append(row)
        except (ValidationError, ValueError) as exc:
            msg = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'row'}: {e['msg']}" for e in exc.errors()) \
                if isinstance(exc, ValidationError) else str(exc)
            errors.append(f"row {i}: {msg}")
    if errors:
        more = f" (and {len(errors) - 20} more)" if len(errors) > 20 else ""
        raise PerformanceError(f"{len(errors)} invalid rows; nothing imported:\n  " + "\n  ".join(errors[:20]) + more)
    return rows


def merge_duplicates(rows: list[DailyPerformance], how: Duplicates = "error") -> list[DailyPerformance]:
    """Same campaign and day more than once: an error, or an explicit merge (sum counts/money, or keep last)."""
    seen: dict[tuple[str, dt.date], DailyPerformance] = {}
    dupes: list[tuple[str, str]] = []
    for r in rows:
        k = r.key
        if k not in seen:
            seen[k] = r
            continue
        if how == "error":
            dupes.append((k[0], str(k[1])))
        elif how == "last":
            seen[k] = r
        else:
            a = seen[k]
            if a.currency != r.currency:
                raise PerformanceError(f"cannot sum {k[0]} {k[1]}: currencies differ ({a.currency} vs {r.currency})")
            merged = a.model_dump()
            for f in NUMERIC_COLUMNS:
                x, y = getattr(a, f), getattr(r, f)
                merged[f] = None if (x is None and y is None) else (x or 0) + (y or 0)
            seen[k] = DailyPerformance.model_validate(merged)
    if dupes:
        raise PerformanceError(f"{len(dupes)} duplicate (campaign, day) rows, e.g. {dupes[:5]}; "
                               "choose duplicates='sum' (add them) or 'last' (the later row wins)")
    return list(seen.values())


def read_csv(path: str | Path, mapping: Mapping[str, str] | None = None, *, default_currency: str | None = None,
             duplicates: Duplicates = "error", source: str | None = None) -> list[DailyPerformance]:
    """Rows from an ad-platform or network CSV export."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    cols = _resolve_columns(list(df.columns), mapping)
    records = [{field: rec[col] for field, col in cols.items()} for rec in df.to_dict("records")]
    for rec in records:
        for k, v in list(rec.items()):
            if v == "":
                rec[k] = None
    rows = rows_from_records(records, default_currency=default_currency, source=source or Path(path).name)
    return merge_duplicates(rows, duplicates)


def from_network_report(rows: Iterable[PerformanceRow], *, default_currency: str | None = None,
                        duplicates: Duplicates = "sum") -> list[DailyPerformance]:
    """Network reports -> performance rows. Campaign = network:program_source_id; spend unknown (None).

    Reports often split one program-day across sub-ids, so the default merges duplicates by sum.
    """
    recs = []
    for r in rows:
        recs.append({"campaign_id": f"{r.network}:{r.program_source_id}", "date": r.date, "clicks": r.clicks,
                     "conversions": r.conversions, "commission": r.commission, "revenue": r.revenue,
                     "currency": r.currency, "program_id": r.program_id, "network": r.network, "spend": None})
    return merge_duplicates(rows_from_records(recs, default_currency=default_currency, source="network"), duplicates)

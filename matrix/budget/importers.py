"""Getting performance in: CSV exports (configurable column mapping), network reports, the API.

Why validate everything before writing anything: an import either fully succeeds or changes
nothing, and the error lists every bad row (line number, field, value, rule), so the user fixes
the file once instead of once per error.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Literal, Mapping

import pandas as pd
from pydantic import ValidationError

from matrix.budget.model import NUMERIC_COLUMNS, DailyPerformance, PerformanceError
from matrix.models import PerformanceRow

Duplicates = Literal["error", "sum", "last"]

# Field -> accepted header names (case-insensitive, first match wins; documented in docs/budget.md).
# A user mapping (--map FIELD=HEADER) overrides; a header is never used for two fields.
DEFAULT_ALIASES: dict[str, tuple[str, ...]] = {
    "campaign_id": ("campaign_id", "campaign", "campaign id", "campaign name", "campaign_name", "campaign_number",
                    "xyz_campaign_id", "ad set", "ad set name", "offer_id"),
    "date": ("date", "day", "reporting starts", "reporting_start", "report date", "date_start"),
    "spend": ("spend", "cost", "spent", "amount spent", "amount spent (usd)", "ad spend", "amount_spent"),
    "impressions": ("impressions", "impr.", "impr", "displays"),
    "clicks": ("clicks", "link clicks"),
    "conversions": ("conversions", "approved_conversion", "total_conversion", "post_click_conversions", "sales",
                    "actions", "leads", "results", "purchases"),
    "commission": ("commission", "earnings", "payout", "conversion value", "revenue"),
    "revenue": ("sale_amount", "sale value", "order value", "post_click_sales_amount", "sales amount"),
    "currency": ("currency", "currency code"),
    "program_id": ("program_id",),
    "network": ("network",),
}
# Split dates: a month column and a day column (and optionally a year column) instead of one date.
DATE_PARTS: dict[str, tuple[str, ...]] = {"month": ("month",), "day": ("day",), "year": ("year",)}
MONTHS = {m.lower(): i for i, m in enumerate(
    ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
     "November", "December"], start=1)}
MONTHS.update({k[:3]: v for k, v in list(MONTHS.items())})
FIELD_HELP = {"spend": "spend (what you paid)", "commission": "commission (what you earned)"}


@dataclass
class ImportResult:
    """Validated rows plus what the importer decided: the mapping used and every warning."""

    rows: list[DailyPerformance]
    mapping: dict[str, str]
    warnings: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)

    def mapping_line(self) -> str:
        used = ", ".join(f"{f} <- {h!r}" for f, h in self.mapping.items())
        return f"columns: {used}" + (f"; ignored: {', '.join(map(repr, self.ignored))}" if self.ignored else "")


def _cli_hint(field_name: str, header: str = "Your Header") -> str:
    return f'--map {field_name}="{header}"'


def _resolve_columns(headers: list[str], mapping: Mapping[str, str] | None,
                     warnings: list[str] | None = None, where: str = "") -> dict[str, str]:
    """Field -> header. Raises when campaign and date cannot be found (a month+day pair counts as a date)."""
    lower = {h.strip().lower(): h for h in headers}
    out: dict[str, str] = {}
    warn = warnings if warnings is not None else []
    for fld, header in (mapping or {}).items():
        if fld not in DailyPerformance.model_fields or fld in ("source",):
            raise PerformanceError(f"{where}column mapping: {fld!r} is not a performance field; "
                                   f"allowed: {sorted(set(DailyPerformance.model_fields) - {'source'})}")
        if str(header).strip().lower() not in lower:
            raise PerformanceError(f"{where}column mapping: {fld} -> {header!r}, but the file has no such column; "
                                   f"columns: {headers}")
        out[fld] = lower[str(header).strip().lower()]
    for fld, aliases in DEFAULT_ALIASES.items():
        if fld in out:
            continue
        for a in aliases:
            if fld == "date" and a == "day" and "month" in lower:
                continue  # month + day columns: a split date, assembled by the importer
            if a in lower and lower[a] not in out.values():
                out[fld] = lower[a]
                break
        else:
            taken = [a for a in aliases if a in lower and lower[a] in out.values()]
            if taken and fld in ("spend", "commission"):
                owner = next(f for f, h in out.items() if h == lower[taken[0]])
                warn.append(f"{where}{fld}: header {lower[taken[0]]!r} would be {fld} but is mapped to {owner} "
                            f"(--map); if it is {FIELD_HELP[fld]}, pass {_cli_hint(fld, lower[taken[0]])}")
    if "campaign_id" not in out:
        raise PerformanceError(f"{where}no column for campaign_id (looked for {list(DEFAULT_ALIASES['campaign_id'])}); "
                               f"pass {_cli_hint('campaign_id')}; columns: {headers}")
    if "date" not in out and not ("month" in lower and "day" in lower):
        raise PerformanceError(f"{where}no column for date (looked for {list(DEFAULT_ALIASES['date'])} or a "
                               f"month + day pair); pass {_cli_hint('date')}; columns: {headers}")
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
                      source: str = "api", today: dt.date | None = None, where: str = "",
                      columns: Mapping[str, str] | None = None, first_line: int | None = None,
                      check_clicks: bool = True) -> list[DailyPerformance]:
    """Validate dict records; raise one PerformanceError listing every bad row.

    With `where` (the file), `columns` (field -> header) and `first_line` (file line of record 1),
    every error names the file, row, line, column and value, so it can be fixed in the file."""
    rows, errors = [], []
    for i, rec in enumerate(records, start=1):
        data = {k: v for k, v in rec.items() if k in DailyPerformance.model_fields}
        data.setdefault("source", source)
        if not data.get("currency") or (isinstance(data.get("currency"), float) and pd.isna(data["currency"])):
            data["currency"] = default_currency
        try:
            _coerce(data)
            imp = data.get("impressions")
            if not check_clicks:  # breakdown rows: a click can land on a row without its display
                data["impressions"] = None
            row = DailyPerformance.model_validate(data)
            if not check_clicks and imp is not None:
                row = row.model_copy(update={"impressions": imp})
            if today is not None and row.date > today:
                raise ValueError(f"date {row.date} is after {today}")
            rows.append(row)
        except (ValidationError, ValueError) as exc:
            if isinstance(exc, ValidationError):
                parts = []
                for e in exc.errors():
                    fld = ".".join(map(str, e["loc"])) or _guess_field(e["msg"])
                    parts.append(_locate(fld, rec, columns) + f": {e['msg']}")
                msg = "; ".join(parts)
            else:
                fld = exc.field_name if isinstance(exc, _FieldError) else _guess_field(str(exc))
                msg = _locate(fld, rec, columns) + f": {exc}"
            line = f" (line {first_line + i - 1})" if first_line is not None else ""
            errors.append(f"{where}row {i}{line}, {msg}")
    if errors:
        more = f" (and {len(errors) - 20} more)" if len(errors) > 20 else ""
        raise PerformanceError(f"{len(errors)} invalid rows; nothing imported:\n  " + "\n  ".join(errors[:20]) + more)
    return rows


def _coerce(data: dict[str, Any]) -> None:
    """Numbers and dates from text, in place; raises _FieldError naming the field being read."""
    for f in NUMERIC_COLUMNS:
        if f in data:
            try:
                data[f] = _num(data[f])
            except ValueError as exc:
                raise _FieldError(f, str(exc)) from None
    for f in ("impressions", "clicks"):
        if data.get(f) is not None:
            if float(data[f]) != int(float(data[f])):
                raise _FieldError(f, f"must be a whole number, got {data[f]}")
            data[f] = int(float(data[f]))
    if isinstance(data.get("date"), str):
        try:
            data["date"] = parse_date(data["date"])
        except ValueError as exc:
            raise _FieldError("date", str(exc)) from None
    elif isinstance(data.get("date"), (pd.Timestamp, dt.datetime)):
        data["date"] = data["date"].date()


class _FieldError(ValueError):
    def __init__(self, field_name: str, msg: str) -> None:
        super().__init__(msg)
        self.field_name = field_name


def _guess_field(msg: str) -> str:
    for f in ("date", "clicks", "currency", "campaign_id"):
        if f in msg:
            return f
    return "row"


def _locate(fld: str, rec: Mapping[str, Any], columns: Mapping[str, str] | None) -> str:
    if fld == "row":
        return "row"
    header = (columns or {}).get(fld)
    col = f"column {header!r} ({fld})" if header and header != fld else f"column {fld!r}"
    return f"{col}, value {rec.get(fld)!r}"


_DMY = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$")


def parse_date(raw: str, fmt: str | None = None, year: int | None = None) -> dt.date:
    """One date. ISO (YYYY-MM-DD, optionally with a time) unless `fmt` (strftime codes) is given.
    Formats without a year take `year`; without one they are rejected (never guessed)."""
    s = str(raw).strip()
    if fmt:
        try:
            d = dt.datetime.strptime(s, fmt)
        except ValueError:
            raise ValueError(f"does not match --date-format {fmt!r}") from None
        if not re.search(r"%[Yy]", fmt):
            if year is None:
                raise ValueError(f"--date-format {fmt!r} has no year; pass --year YYYY")
            return d.date().replace(year=year)
        return d.date()
    if re.match(r"^\d{4}-\d{1,2}-\d{1,2}", s):
        try:
            return dt.date.fromisoformat(s[:10])
        except ValueError:
            raise ValueError("not a valid calendar date (YYYY-MM-DD)") from None
    if re.match(r"^\d{4}/\d{1,2}/\d{1,2}", s):
        return dt.datetime.strptime(s[:10], "%Y/%m/%d").date()
    if _DMY.match(s):
        raise ValueError("day-month or month-day order is ambiguous; pass --date-format %d-%m-%Y "
                         "(or %m/%d/%Y, matching the file's separators)")
    raise ValueError("not a date in YYYY-MM-DD; pass --date-format with strftime codes (e.g. %d/%m/%Y, %b %d %Y) "
                     "and --year when the dates have no year")


def infer_date_format(values: list[str]) -> str | None:
    """DD-MM-YYYY vs MM-DD-YYYY from the column itself: decided only when some value proves it
    (a first part > 12 means day first); otherwise None (the caller asks for --date-format)."""
    parts = [_DMY.match(v.strip()) for v in values if v and v.strip()]
    if not parts or not all(parts):
        return None
    first = [int(m.group(1)) for m in parts if m]
    second = [int(m.group(2)) for m in parts if m]
    sep = re.findall(r"[-/.]", values[0].strip())[0]
    if max(first) > 12 >= max(second):
        return f"%d{sep}%m{sep}%Y"
    if max(second) > 12 >= max(first):
        return f"%m{sep}%d{sep}%Y"
    return None


def _month(v: str) -> int:
    t = str(v).strip().lower()
    if t.isdigit() and 1 <= int(t) <= 12:
        return int(t)
    if t[:3] in MONTHS:
        return MONTHS[t[:3]]
    raise ValueError("not a month (1-12 or a month name)")


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
            try:
                seen[k] = DailyPerformance.model_validate(merged)
            except ValidationError as exc:
                raise PerformanceError(f"campaign {k[0]} on {k[1]} after adding its rows up: "
                                       + "; ".join(e["msg"] for e in exc.errors())) from None
    if dupes:
        raise PerformanceError(f"{len(dupes)} duplicate (campaign, day) rows, e.g. {dupes[:5]}; exports broken down "
                               "by ad, age, placement ... have many rows per campaign-day: pass --duplicates sum "
                               "(add them up) or --duplicates last (the later row wins)")
    return list(seen.values())


def _read_table(p: Path, where: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """(headers, [(file line, fields)]) after checking every row has as many fields as the header."""
    try:
        with open(p, newline="", encoding="utf-8-sig") as fh:
            table = list(csv.reader(fh))
    except FileNotFoundError:
        raise PerformanceError(f"{p}: no such file") from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise PerformanceError(f"{where}not a readable UTF-8 CSV file ({exc})") from None
    if not table or not any(x.strip() for x in table[0]):
        raise PerformanceError(f"{where}empty file (no header row)")
    headers = [h.strip() for h in table[0]]
    body = [(n, r) for n, r in enumerate(table[1:], start=2) if any(x.strip() for x in r)]
    bad = [f"line {n}: {len(r)} fields, the header has {len(headers)}" for n, r in body if len(r) != len(headers)]
    if bad:
        more = f" (and {len(bad) - 10} more)" if len(bad) > 10 else ""
        raise PerformanceError(f"{where}{len(bad)} rows have the wrong number of fields (short or cut-off rows); "
                               "nothing imported:\n  " + "\n  ".join(bad[:10]) + more)
    if not body:
        raise PerformanceError(f"{where}no data rows under the header")
    return headers, body


def _date_column_format(vals: list[str], header: str, date_format: str | None, where: str,
                        warnings: list[str]) -> str | None:
    """The format to read a date column with: the user's, an inferred DD-MM / MM-DD one, or None (ISO)."""
    if date_format is not None or not vals or re.match(r"^\d{4}", vals[0].strip()):
        return date_format
    fmt = infer_date_format(vals)
    if fmt:
        part = 1 if fmt.startswith("%d") else 2
        proof = next(v for v in vals if int(_DMY.match(v.strip()).group(part)) > 12)  # type: ignore[union-attr]
        warnings.append(f"{where}dates in {header!r} read as {fmt} (inferred from values such as {proof!r}); "
                        "pass --date-format to override")
    return fmt


def _row_date(r: list[str], cols: Mapping[str, str], idx: Mapping[str, int], lower: Mapping[str, int],
              fmt: str | None, year: int | None) -> dt.date | None:
    if "date" in cols:
        return parse_date(r[idx["date"]], fmt, year) if r[idx["date"]].strip() else None
    y = int(r[lower["year"]]) if "year" in lower else year
    m, d = r[lower["month"]], r[lower["day"]]
    try:
        return dt.date(y, _month(m), int(str(d).strip()))  # type: ignore[arg-type]
    except ValueError as exc:
        raise ValueError(f"month {m!r}, day {d!r}: {exc}") from None


def import_csv(path: str | Path, mapping: Mapping[str, str] | None = None, *, default_currency: str | None = None,
               duplicates: Duplicates = "error", source: str | None = None, date_format: str | None = None,
               year: int | None = None, strict: bool = False) -> ImportResult:
    """Rows from an ad-platform or network CSV export, with the resolved mapping and warnings.

    Checks the file's shape first (every row has as many fields as the header), resolves columns
    (user mapping, then the alias table), builds dates from one column (ISO, `date_format`, or an
    unambiguous DD-MM-YYYY / MM-DD-YYYY) or from month/day(/year) columns, then validates every row.
    Missing spend or commission is a warning (an error with `strict`)."""
    p = Path(path)
    where = f"{p.name}: "
    headers, body = _read_table(p, where)
    warnings: list[str] = []
    cols = _resolve_columns(headers, mapping, warnings, where)
    lower = {h.lower(): i for i, h in enumerate(headers)}
    idx = {f: headers.index(h) for f, h in cols.items()}
    shown = dict(cols)
    fmt = None
    if "date" in cols:
        fmt = _date_column_format([r[idx["date"]] for _, r in body], cols["date"], date_format, where, warnings)
    elif "year" not in lower and year is None:
        raise PerformanceError(f"{where}dates have no year (columns {headers[lower['month']]!r} and "
                               f"{headers[lower['day']]!r}, e.g. {body[0][1][lower['month']]!r} "
                               f"{body[0][1][lower['day']]!r}); pass --year YYYY")
    else:
        shown["date"] = "month+day" + ("+year" if "year" in lower else f" (+ --year {year})")
    records: list[dict[str, Any]] = []
    date_errors: list[str] = []
    for n, r in body:
        rec: dict[str, Any] = {f: (r[i].strip() or None) for f, i in idx.items()}
        try:
            rec["date"] = _row_date(r, cols, idx, lower, fmt, year)
        except ValueError as exc:
            col = cols.get("date") or "month/day"
            val = r[idx["date"]] if "date" in cols else f"{r[lower['month']]} {r[lower['day']]}"
            date_errors.append(f"{where}row {n - 1} (line {n}), column {col!r}, value {val!r}: {exc}")
        records.append(rec)
    if date_errors:
        more = f" (and {len(date_errors) - 10} more)" if len(date_errors) > 10 else ""
        raise PerformanceError(f"{len(date_errors)} rows with unreadable dates; nothing imported:\n  "
                               + "\n  ".join(date_errors[:10]) + more)
    for fld in ("spend", "commission"):
        if fld not in cols and not any(w.startswith(f"{where}{fld}:") for w in warnings):
            warnings.append(f"{where}no {FIELD_HELP[fld]} column: {fld} stays unknown and allocation/ROAS cannot use "
                            f"this file; pass {_cli_hint(fld)} if the export has one")
    if strict and ("spend" not in cols or "commission" not in cols):
        raise PerformanceError(f"{where}--strict: " + "; ".join(w[len(where):] for w in warnings
                                                                 if "spend" in w or "commission" in w))
    rows = rows_from_records(records, default_currency=default_currency, source=source or p.name, where=where,
                             columns=cols, first_line=2, check_clicks=duplicates != "sum")
    try:
        rows = merge_duplicates(rows, duplicates)
    except PerformanceError as exc:
        raise PerformanceError(f"{where}{exc}") from None
    used = set(cols.values()) | ({headers[lower[k]] for k in ("month", "day", "year") if k in lower}
                                  if "date" not in cols else set())
    return ImportResult(rows, shown, warnings, [h for h in headers if h not in used])


def read_csv(path: str | Path, mapping: Mapping[str, str] | None = None, *, default_currency: str | None = None,
             duplicates: Duplicates = "error", source: str | None = None, **kw: Any) -> list[DailyPerformance]:
    """Rows only (see `import_csv` for the mapping and warnings)."""
    return import_csv(path, mapping, default_currency=default_currency, duplicates=duplicates, source=source, **kw).rows


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

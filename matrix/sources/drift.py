"""Field drift: per source and per field, how many records came out with a known value, and
whether that fell against the source's last good ingest. Drift is never silent.

Why per field and per record: a redesign rarely loses a whole page; it loses one label ("Cookie
Duration" became "Cookie Life") on every page. A page-level "required field missing" check sees
only name and commission. Here every tracked field counts:
  - fill: share of records whose *normalized* value is known;
  - raw_unknown: records where the page had a raw value but normalization made nothing of it
    (a unit or wording the parser does not read: drift in the text, not the layout);
  - lost: records (same source_id) whose field was known at the last good ingest and is not now.
A field drifts when any record lost it (at least `min_lost_share` of those that had it) or when
its fill rate fell by more than `tolerance` against the last good ingest on a sample of at
least `min_records`. The last good report (one with no drift) is kept under
MATRIX_HOME/drift/<source>.json beside the latest; a drifting run never replaces the baseline.

Fields are checked on the normalized `Listing`, so the same rules serve every source kind
(directory pages, feeds, offer APIs) and both ingest paths (in-process and Ray Data).
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from matrix.models import Listing
from matrix.observability import get_logger

log = get_logger("matrix.sources.drift")


def _commission(lis: Listing) -> bool:
    return getattr(lis.commission.model, "value", lis.commission.model) != "unknown"


def _payout_type(lis: Listing) -> bool:
    return getattr(lis.commission.payout_type, "value", lis.commission.payout_type) != "unknown"


def _merchant_read(lis: Listing) -> bool:
    """The merchant link was read: a merchant domain, or a link known not to be one (a click
    tracker, app store or a lander shared by many offers), which is an answer, not a loss."""
    if lis.merchant_domain is not None or "shared_lander" in lis.tags:
        return True
    from matrix.normalize.domain import is_tracking_host

    return bool(lis.merchant_url) and is_tracking_host(lis.merchant_url)


def _approval(lis: Listing) -> bool:
    return getattr(lis.approval, "value", lis.approval) != "unknown"


# field -> (raw keys that carry it, whether the normalized listing knows it)
FIELD_CHECKS: dict[str, tuple[tuple[str, ...], Callable[[Listing], bool]]] = {
    "name": (("name", "Title", "title"), lambda lis: bool(lis.name) and not lis.name.startswith(("unknown (", "offer "))),
    "commission": (("commission", "PercentPerSale", "payout"), _commission),
    "payout_type": (("payout_type", "type"), _payout_type),
    "cookie": (("cookie",), lambda lis: lis.cookie_days is not None or "cookie:lifetime" in lis.tags),
    "geo": (("geo", "countries"), lambda lis: bool(lis.geo_allowed or lis.geo_excluded)),
    "category": (("category", "categories", "section"), lambda lis: lis.category is not None),
    "network": (("network",), lambda lis: bool(lis.network)),
    "website": (("website", "preview", "url", "merchant_url"), lambda lis: _merchant_read(lis)),
    "preview": (("preview",), lambda lis: _merchant_read(lis)),
    "payout_minimum": (("payout_minimum",), lambda lis: lis.payout.minimum is not None),
    "payout_methods": (("payout_methods",), lambda lis: bool(lis.payout.methods)),
    "payout_frequency": (("payout_frequency",), lambda lis: bool(lis.payout.frequency)),
    "approval": (("approval",), _approval),
    "epc": (("epc",), lambda lis: lis.epc is not None),
    "traffic_restricted": (("traffic_restricted",), lambda lis: bool(lis.restrictions)),
    "traffic_allowed": (("traffic_allowed",), lambda lis: any(t.startswith("traffic:") for t in lis.tags)),
}


def _present(raw: dict[str, Any], keys: Iterable[str]) -> bool:
    for k in keys:
        v = raw.get(k)
        if v not in (None, "", [], {}):
            return True
    return False


@dataclass
class FieldCounts:
    raw_present: int = 0
    known: int = 0
    raw_unknown: int = 0


@dataclass
class DriftTracker:
    """Accumulates one ingest of one source; `finish` compares with the last good and persists."""

    source: str
    fields: list[str] | None = None  # None: every field some record carried raw
    records: int = 0
    failed: int = 0
    counts: dict[str, FieldCounts] = field(default_factory=dict)
    known_by_id: dict[str, Sequence[str]] = field(default_factory=dict)  # id -> known fields (shared tuples)
    _shapes: dict[tuple[str, ...], tuple[str, ...]] = field(default_factory=dict, repr=False)

    def observe(self, raw: dict[str, Any] | None, listing: Listing) -> None:
        raw = raw if raw is not None else (listing.raw or {})
        self.records += 1
        known: list[str] = []
        for f, (keys, check) in FIELD_CHECKS.items():
            if self.fields is not None and f not in self.fields:
                continue
            present = _present(raw, keys)
            try:
                ok = bool(check(listing))
            except Exception:  # noqa: BLE001 - a check must never drop a record
                ok = False
            if not present and self.fields is None and f not in self.counts:
                continue
            c = self.counts.setdefault(f, FieldCounts())
            c.raw_present += present
            c.known += ok
            c.raw_unknown += present and not ok
            if ok:
                known.append(f)
        shape = tuple(known)
        self.known_by_id[str(listing.source_id)] = self._shapes.setdefault(shape, shape)

    def fail(self) -> None:
        self.failed += 1

    def summary(self, last_good: dict[str, Any] | None, tolerance: float = 0.05, min_records: int = 20,
                min_lost_share: float = 0.02) -> dict[str, Any]:
        prev_fields = (last_good or {}).get("fields", {})
        prev_known: dict[str, list[str]] = (last_good or {}).get("known", {})
        common = [i for i in self.known_by_id if i in prev_known]
        names = list(self.fields) if self.fields is not None else list(self.counts)
        for f in prev_fields:
            if f not in names and (self.fields is None or f in self.fields):
                names.append(f)
        out: dict[str, Any] = {}
        drift: list[str] = []
        for f in names:
            c = self.counts.get(f, FieldCounts())
            fill = c.known / self.records if self.records else 0.0
            had = [i for i in common if f in prev_known[i]]
            lost = [i for i in had if f not in self.known_by_id[i]]
            last_fill = prev_fields.get(f, {}).get("fill")
            reasons = []
            if lost and len(lost) / len(had) >= min_lost_share:
                reasons.append(f"lost on {len(lost)} of {len(had)} record(s) that had it")
            if last_fill is not None and self.records >= min_records and last_fill - fill > tolerance:
                reasons.append(f"fill {fill:.0%} < last good {last_fill:.0%}")
            out[f] = {"fill": round(fill, 4), "known": c.known, "raw_present": c.raw_present,
                      "raw_unknown": c.raw_unknown, "last_good_fill": last_fill, "lost": len(lost),
                      "lost_ids": sorted(lost)[:10], "drift": bool(reasons), "why": "; ".join(reasons) or None}
            if reasons:
                drift.append(f)
        return {"source": self.source, "records": self.records, "failed": self.failed, "fields": out,
                "drift": drift, "baseline": bool(last_good)}


class DriftStore:
    """MATRIX_HOME/drift/<source>.json: {"last_good": summary + known ids, "latest": summary}."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, source: str) -> Path:
        return self.root / f"{source}.json"

    def load(self, source: str) -> dict[str, Any]:
        p = self.path(source)
        if not p.exists():
            return {}
        try:
            return json.loads(p.read_text("utf-8"))
        except (OSError, ValueError) as exc:
            log.warning("unreadable drift baseline, starting a new one", extra={"path": str(p), "error": str(exc)})
            return {}

    def save(self, source: str, doc: dict[str, Any]) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=f".{source}.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(doc, fh, default=str)
        os.replace(tmp, self.path(source))

    def latest(self) -> dict[str, dict[str, Any]]:
        """Every source's latest summary (what the triggers' parser-drift rule reads)."""
        out: dict[str, dict[str, Any]] = {}
        if not self.root.exists():
            return out
        for p in sorted(self.root.glob("*.json")):
            try:
                doc = json.loads(p.read_text("utf-8"))
            except (OSError, ValueError):
                continue
            if doc.get("latest"):
                out[p.stem] = doc["latest"]
        return out


def store_for(settings: Any) -> DriftStore:
    return DriftStore(settings.path("drift"))


def finish(tracker: DriftTracker, settings: Any, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """Compare with the last good ingest, persist, export metrics, log drift; returns the summary."""
    opts = options or {}
    store = store_for(settings)
    doc = store.load(tracker.source)
    summary = tracker.summary(doc.get("last_good"), tolerance=float(opts.get("drift_tolerance", 0.05)),
                              min_records=int(opts.get("drift_min_records", 20)))
    if tracker.records:
        doc["latest"] = summary
        last = doc.get("last_good") or {}
        big_enough = not last or tracker.records >= min(int(last.get("records") or 0),
                                                         int(opts.get("drift_min_records", 20)))
        if not summary["drift"] and big_enough:  # a partial run (--limit) never becomes the baseline
            doc["last_good"] = {**summary, "known": {**(last.get("known") or {}), **tracker.known_by_id}}
        try:
            store.save(tracker.source, doc)
        except OSError as exc:
            log.warning("drift report not saved", extra={"source": tracker.source, "error": str(exc)})
    export_metrics(summary)
    for f in summary["drift"]:
        log.warning("field drift", extra={"source": tracker.source, "field": f, "why": summary["fields"][f]["why"]})
    return summary


def export_metrics(summary: dict[str, Any]) -> None:
    from matrix.observability import FIELD_DRIFT, FIELD_FILL, FIELD_RAW_UNKNOWN

    src = summary["source"]
    for f, v in summary["fields"].items():
        FIELD_FILL.labels(src, f).set(v["fill"])
        FIELD_RAW_UNKNOWN.labels(src, f).set(v["raw_unknown"])
        FIELD_DRIFT.labels(src, f).set(1 if v["drift"] else 0)


def tracked_fields(source: Any) -> list[str] | None:
    """The fields a source publishes: a spec'd directory's own list, else None (what records carry)."""
    spec = getattr(source, "spec", None)
    if spec is not None and hasattr(spec, "field_names"):
        names = ["name", *spec.field_names()]
        return [f for f in names if f in FIELD_CHECKS]
    return None


def format_summary(summary: dict[str, Any]) -> list[str]:
    """Human lines for `matrix sources crawl` and `matrix ingest`."""
    lines = [f"field fill ({summary['records']} records"
             + ("" if summary.get("baseline") else ", first run: this becomes the baseline") + "):"]
    for f, v in summary["fields"].items():
        last = "" if v["last_good_fill"] is None else f" (last good {v['last_good_fill']:.0%})"
        unk = f", {v['raw_unknown']} raw but unreadable" if v["raw_unknown"] else ""
        flag = f"  DRIFT: {v['why']}" if v["drift"] else ""
        lines.append(f"    {f:<18} {v['fill']:>5.0%}{last}{unk}{flag}")
    lines.append("  field drift: " + (", ".join(summary["drift"]) if summary["drift"] else "none"))
    return lines


def print_ingest_fields(summary: dict[str, Any], out: Callable[[str], None] = print) -> None:
    """`matrix ingest`: each source's field fill and drift, one block per source."""
    for name, rep in (summary.get("sources") or {}).items():
        fields = rep.get("fields") if isinstance(rep, dict) else None
        if not fields or not fields.get("fields"):
            continue
        lines = format_summary(fields)
        out(f"{name}: {lines[0]}")
        for line in lines[1:]:
            out("  " + line.strip() if not line.startswith("  field drift") else f"{name}: {line.strip()}")


class FieldReports:
    """Per-field fill and drift of every source of one ingest, fed batch by batch.

    Why incremental: the streaming ingest never holds all listings at once; each batch is
    observed as it passes and `finish` compares each source with its last good ingest at the end.
    """

    def __init__(self, settings: Any, names: Iterable[str]) -> None:
        from matrix.sources import build_source

        self.settings = settings
        self.trackers: dict[str, DriftTracker] = {}
        for name in names:
            try:
                fields = tracked_fields(build_source(settings.source(name), settings))
            except Exception:  # noqa: BLE001 - an unbuildable source already carries its error in the report
                fields = None
            self.trackers[name] = DriftTracker(name, fields)

    def observe(self, listings: Iterable[Listing], origins: Iterable[str] | None = None) -> None:
        """Count each listing under the configured source it came from (`origins`, same order),
        or under its own `source` when not given (they differ for network sources)."""
        listings = list(listings)
        names = list(origins) if origins is not None else [lst.source for lst in listings]
        for name, lst in zip(names, listings, strict=True):
            t = self.trackers.get(name)
            if t is not None:
                t.observe(lst.raw, lst)

    def finish(self, report: dict[str, dict[str, Any]]) -> None:
        """`report[source]["fields"]`: compared with, and persisted as, that source's baseline."""
        for name, t in self.trackers.items():
            if name not in report:
                continue
            t.failed = int(report[name].get("failed") or 0)
            opts = getattr(self.settings.source(name), "options", None) or {}
            report[name]["fields"] = finish(t, self.settings, opts) if t.records else None


def add_field_reports(settings: Any, listings: Iterable[Listing], report: dict[str, dict[str, Any]]) -> None:
    """`report[source]["fields"]` for every source in `report`, from the normalized listings (raw kept
    on each), compared with and persisted as that source's baseline (one list: see FieldReports)."""
    fields = FieldReports(settings, report)
    fields.observe(listings)
    fields.finish(report)

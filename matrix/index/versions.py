"""Ingest versions: each ingest is named by one LanceDB tag on both tables.

Why tags: one ingest writes two tables (programs, listings) and may rebuild indexes, so it spans
several raw Lance versions per table. A tag `ingest-000042` on each table marks the pair of
versions that together are "what ingest 42 produced": readers pin it, `restore` rolls both
tables back to it, and tagged versions survive `cleanup_old_versions` (Lance never prunes a
tagged version), so history users can name is never deleted under them.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass
from typing import Any

TAG_PREFIX = "ingest-"
_TAG_RE = re.compile(r"^ingest-(\d+)$")


@dataclass
class IngestVersion:
    tag: str
    programs_version: int
    listings_version: int | None
    timestamp: dt.datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["timestamp"] = self.timestamp.isoformat() if self.timestamp else None
        return d


def tag_name(n: int) -> str:
    return f"{TAG_PREFIX}{n:06d}"


def tag_number(tag: str) -> int | None:
    m = _TAG_RE.match(tag)
    return int(m.group(1)) if m else None


def _tags(table) -> dict[str, int]:
    if table is None:
        return {}
    return {name: int(info["version"] if isinstance(info, dict) else info.version)
            for name, info in table.tags.list().items()}


def _timestamps(table) -> dict[int, dt.datetime]:
    out = {}
    for v in table.list_versions():
        ts = v.get("timestamp")
        if isinstance(ts, dt.datetime) and ts.tzinfo is None:
            ts = ts.replace(tzinfo=dt.timezone.utc)
        out[int(v["version"])] = ts
    return out


def ingest_versions(programs, listings) -> list[IngestVersion]:
    """All tagged ingests, oldest first."""
    ptags, ltags = _tags(programs), _tags(listings)
    stamps = _timestamps(programs)
    out = []
    for name, v in ptags.items():
        if tag_number(name) is None:
            continue
        out.append(IngestVersion(tag=name, programs_version=v, listings_version=ltags.get(name), timestamp=stamps.get(v)))
    return sorted(out, key=lambda iv: tag_number(iv.tag) or 0)


def commit_ingest(programs, listings) -> tuple[IngestVersion, bool]:
    """Tag the current versions as the next ingest; returns (version, created).

    Nothing changed since the last tag -> the last tag is returned and nothing is written, so a
    re-run of an unchanged ingest leaves the history as it was.
    """
    history = ingest_versions(programs, listings)
    pv = programs.version
    lv = listings.version if listings is not None else None
    if history and history[-1].programs_version == pv and history[-1].listings_version == lv:
        return history[-1], False
    n = (tag_number(history[-1].tag) or 0) + 1 if history else 1
    name = tag_name(n)
    programs.tags.create(name, pv)
    if listings is not None:
        listings.tags.create(name, lv)
    return IngestVersion(tag=name, programs_version=pv, listings_version=lv,
                         timestamp=_timestamps(programs).get(pv)), True


def resolve_version(programs, listings, version: int | str) -> tuple[int, int | None]:
    """A user's version (raw programs version number, `ingest-N` tag, or N of that tag) -> table versions."""
    history = {iv.tag: iv for iv in ingest_versions(programs, listings)}
    if isinstance(version, str) and not version.isdigit():
        if version not in history:
            known = ", ".join(sorted(history)) or "none"
            raise ValueError(f"version {version!r}: no such ingest tag (known: {known})")
        iv = history[version]
        return iv.programs_version, iv.listings_version
    num = int(version)
    available = set(_timestamps(programs))
    if num not in available:
        raise ValueError(f"version {num}: not a programs table version (available: {min(available)}..{max(available)})")
    for iv in history.values():
        if iv.programs_version == num:
            return num, iv.listings_version
    return num, None

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
from typing import Any, Sequence

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


def commit_ingest(programs, listings, extra: Sequence[tuple[str, Any]] = ()) -> tuple[IngestVersion, bool]:
    """Tag the current versions as the next ingest; returns (version, created).

    Nothing changed since the last tag -> the last tag is returned and nothing is written, so a
    re-run of an unchanged ingest leaves the history as it was. `extra` tables (name, table) get
    the same tag, before programs: the programs tag is the one `ingest_versions` lists.
    """
    history = ingest_versions(programs, listings)
    pv = programs.version
    lv = listings.version if listings is not None else None
    if history and history[-1].programs_version == pv and history[-1].listings_version == lv:
        return history[-1], False
    n = (tag_number(history[-1].tag) or 0) + 1 if history else 1
    name = tag_name(n)
    for _, t in extra:
        _create_or_move(t, name, t.version)
    if listings is not None:
        _create_or_move(listings, name, listings.version)
    _create_or_move(programs, name, pv)
    return IngestVersion(tag=name, programs_version=pv, listings_version=lv,
                         timestamp=_timestamps(programs).get(pv)), True


def _create_or_move(table, name: str, version: int) -> None:
    if name in _tags(table):  # left by a run that died after tagging some tables
        table.tags.update(name, version)
    else:
        table.tags.create(name, version)


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


# --- the ingest commit protocol -----------------------------------------------------------------
# Why: one ingest writes listings, sightings and programs (several Lance commits per table), and a
# process can die between any two of them. Lance has no multi-table transaction, so the ingest
# brackets its writes with a marker tag instead:
#
#   begin   tag OPEN_TAG on every table at its current version (the last committed state)
#   write   listings, sightings, programs, indexes: any number of commits, by anyone's hands
#   commit  tag `ingest-N` (listings, sightings, then programs), then delete OPEN_TAG from programs
#           (the commit point) and from the other tables
#
# While programs carries OPEN_TAG, readers see every table at its OPEN_TAG version, so a half-done
# ingest is never visible. The next ingest that finds OPEN_TAG on programs with no live owner rolls
# every table back to its OPEN_TAG version (and drops `ingest-N` tags the dead run created), then
# runs from that state, so everything changed since the last commit is found again and resolved.
# Nothing here knows how listings reached the writer: Ray tasks, a local loop or (issue 18)
# partitioned streaming writers only have to finish their writes before `commit`.

OPEN_TAG = "ingest-open"


def open_versions(tables: dict[str, Any]) -> dict[str, int]:
    """name -> OPEN_TAG version of each table, or {} when no ingest is open (programs is the marker)."""
    programs = tables.get("programs")
    if programs is None or OPEN_TAG not in _tags(programs):
        return {}
    return {name: v for name, t in tables.items() if t is not None
            for tag, v in _tags(t).items() if tag == OPEN_TAG}


def recover_open_ingest(tables: dict[str, Any], before_restore=lambda name: None) -> dict[str, Any]:
    """Undo what an ingest that died before its commit point wrote; returns what was done.

    Only call this while holding the ingest lock (the run that left OPEN_TAG is gone).
    `tables` must hold "programs"; the other entries are the tables the ingest writes.
    """
    programs = tables["programs"]
    report: dict[str, Any] = {"rolled_back": {}, "dropped_tags": [], "stray_marks": []}
    if OPEN_TAG not in _tags(programs):
        # no run open, or one that died after its commit point: only leftover marks to clear
        for name, t in tables.items():
            if t is not None and OPEN_TAG in _tags(t):
                t.tags.delete(OPEN_TAG)
                report["stray_marks"].append(name)
        return report
    base = _tags(programs)[OPEN_TAG]
    numbered = ((tag_number(n), v) for n, v in _tags(programs).items())
    last = max((num for num, v in numbered if num is not None and v <= base), default=0)
    for name, t in tables.items():
        if t is None:
            continue
        tags = _tags(t)
        for tag in sorted(tags):  # ingest-N tags of the dead run: never committed
            n = tag_number(tag)
            if n is not None and n > last:
                t.tags.delete(tag)
                report["dropped_tags"].append(f"{name}:{tag}")
        if OPEN_TAG in tags and t.version != tags[OPEN_TAG]:
            before_restore(name)
            t.restore(tags[OPEN_TAG])
            report["rolled_back"][name] = tags[OPEN_TAG]
    return report


def open_ingest(tables: dict[str, Any]) -> dict[str, int]:
    """Mark every table's current version as the base of a new ingest (after `recover_open_ingest`)."""
    out = {}
    for name in sorted(tables, key=lambda n: n == "programs"):  # programs last: it is the marker
        t = tables[name]
        tags = _tags(t)
        if OPEN_TAG not in tags:
            t.tags.create(OPEN_TAG, t.version)
            tags[OPEN_TAG] = t.version
        out[name] = tags[OPEN_TAG]
    return out


def close_ingest(tables: dict[str, Any], before_close=lambda: None, tag: bool = True) -> tuple[IngestVersion | None, bool]:
    """Commit an open ingest: tag it `ingest-N` (if programs or listings changed), then drop OPEN_TAG.

    tag=False commits without naming a new ingest version (a restore is not an ingest).
    """
    programs, listings = tables["programs"], tables.get("listings")
    others = [(n, t) for n, t in tables.items() if n not in ("programs", "listings") and t is not None]
    iv, created = commit_ingest(programs, listings, extra=others) if tag else (None, False)
    before_close()
    for name in sorted(tables, key=lambda n: n != "programs"):  # programs first: the commit point
        t = tables[name]
        if t is not None and OPEN_TAG in _tags(t):
            t.tags.delete(OPEN_TAG)
    return iv, created

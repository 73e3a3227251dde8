"""What rules read, from the real system: the master index (read-only) and the key manager.

Why an adapter: rules stay pure functions over plain dicts and datetimes, and tests swap this
for a fake with a fixed clock; the index is opened lazily so `matrix triggers list` never
touches LanceDB.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Callable

from matrix.config import Settings, TriggerRuleSettings
from matrix.sources.base import parse_timestamp


class IndexInputs:
    def __init__(self, settings: Settings, index: Any = None, key_manager_factory: Callable[[], Any] | None = None) -> None:
        self.settings = settings
        self._index = index
        self._km_factory = key_manager_factory

    @property
    def index(self) -> Any:
        if self._index is None:
            from matrix.index import MasterIndex

            self._index = MasterIndex(self.settings)
        return self._index

    def configured_sources(self) -> list[str]:
        return [s.name for s in self.settings.enabled_sources()]

    def last_ingest(self) -> dict[str, dt.datetime]:
        """Newest fetch time per source, from MasterIndex.stats()['last_ingest']."""
        if not self.index.has_table(self.index.listings_name):
            return {}
        return {s: parse_timestamp(v) for s, v in (self.index.stats().get("last_ingest") or {}).items()}

    def niche_programs(self, rule: TriggerRuleSettings) -> list[dict[str, Any]]:
        """Programs matching the niche (text query over keywords + category + commission filters)."""
        from matrix.index import SearchFilters, SearchRequest, search

        req = SearchRequest(q=" ".join(rule.keywords), mode="text", limit=rule.max_results,
                            filters=SearchFilters(categories=list(rule.categories),
                                                  min_commission_percent=rule.min_commission_percent))
        hits = search(self.index, req).hits
        first = self._first_seen([h["program_id"] for h in hits])
        return [{"program_id": h["program_id"], "name": h["name"], "merchant_domain": h.get("merchant_domain"),
                 "category": h.get("category"), "commission_percent": h.get("commission_percent"),
                 "url": h.get("url"), "first_seen": first.get(h["program_id"])} for h in hits]

    def _first_seen(self, ids: list[str]) -> dict[str, dt.datetime | None]:
        if not ids:
            return {}
        out: dict[str, dt.datetime | None] = {}
        tbl = self.index.programs
        for i in range(0, len(ids), 200):
            chunk = ids[i:i + 200]
            quoted = ", ".join("'" + x.replace("'", "''") + "'" for x in chunk)
            rows = (tbl.search().where(f"program_id IN ({quoted})").select(["program_id", "first_seen"])
                    .limit(len(chunk)).to_list())
            for r in rows:
                fs = r.get("first_seen")
                out[r["program_id"]] = None if fs is None else parse_timestamp(fs)
        return out

    def source_quality(self) -> dict[str, tuple[int, int]]:
        """Per source: (listings, listings whose commission model is unknown)."""
        if not self.index.has_table(self.index.listings_name):
            return {}
        import pyarrow.compute as pc

        a = self.index.listings.to_arrow().select(["source", "commission"])
        models = pc.struct_field(a.column("commission"), "model").to_pylist()
        out: dict[str, list[int]] = {}
        for s, m in zip(a.column("source").to_pylist(), models, strict=True):
            c = out.setdefault(s, [0, 0])
            c[0] += 1
            c[1] += (m is None or m == "unknown")
        return {s: (v[0], v[1]) for s, v in out.items()}

    def field_drift(self) -> dict[str, dict[str, Any]]:
        """Per source, the latest field-drift summary (matrix.sources.drift, MATRIX_HOME/drift/)."""
        from matrix.sources.drift import store_for

        return store_for(self.settings).latest()

    def known_domains(self) -> set[str]:
        if not self.index.has_table(self.index.programs_name):
            return set()
        col = self.index.programs.to_arrow().select(["merchant_domain"]).column(0).to_pylist()
        return {d for d in col if d}

    # -- watches (matrix.triggers.watches) -----------------------------------------------------
    def program_observations(self, program_ids: list[str]) -> dict[str, dict[str, Any]]:
        """Per program: its tracked terms, where each came from, and the observation stamp - the newest
        `last_seen` of its listings, which only a re-crawl moves."""
        from matrix.index.history import program_terms, term_sources
        from matrix.models import Program, from_row

        if not program_ids or not self.index.has_table(self.index.programs_name):
            return {}
        out: dict[str, dict[str, Any]] = {}
        ids = sorted(set(program_ids))
        tbl = self.index.programs
        from matrix.models import PROGRAM_SCHEMA

        cols = [f.name for f in PROGRAM_SCHEMA]
        for i in range(0, len(ids), 200):
            quoted = ", ".join("'" + x.replace("'", "''") + "'" for x in ids[i:i + 200])
            rows = tbl.to_lance().to_table(columns=cols, filter=f"program_id IN ({quoted})").to_pylist()
            programs = [from_row(Program, r) for r in rows]
            keys = [tuple(k.split(":", 1)) for p in programs for k in p.listing_keys]
            seen = self.index.sightings([k for k in keys if len(k) == 2])
            for p in programs:
                stamps = [seen[tuple(k.split(":", 1))][1] for k in p.listing_keys if tuple(k.split(":", 1)) in seen]
                stamps = [t for t in stamps if t is not None]
                stamp = max(stamps) if stamps else (p.last_seen or p.content_hash)
                out[p.program_id] = {"name": p.name, "terms": program_terms(p), "sources": term_sources(p),
                                     "observed": stamp.isoformat() if hasattr(stamp, "isoformat") else str(stamp)}
        return out

    def search_matches(self, spec: Any) -> list[dict[str, Any]]:
        """Programs a saved search (query + filters) matches now."""
        from matrix.index import SearchFilters, SearchRequest, search

        if not self.index.has_table(self.index.programs_name):
            return []
        req = SearchRequest(q=spec.q, mode="text", limit=spec.limit, filters=SearchFilters(**spec.filters))
        return [{"program_id": h["program_id"], "name": h.get("name"), "merchant_domain": h.get("merchant_domain"),
                 "commission_percent": h.get("commission_percent"), "url": h.get("url")} for h in search(self.index, req).hits]

    def key_alerts(self) -> list[dict[str, Any]]:
        km = self._km_factory() if self._km_factory else _key_manager(self.settings)
        return [a.as_dict() for a in km.status()]


def _key_manager(settings: Settings) -> Any:
    from matrix.keys import KeyManager

    return KeyManager.from_settings(settings, component="triggers")

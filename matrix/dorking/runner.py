"""Run dork queries, drop what the index already knows, score the rest, emit candidate Listings.

Why candidates are Listings of a `dork` source: a new program found by a search engine should
enter the index through the same door as every other source (normalize -> resolve -> index), so
it is de-duplicated and gets provenance. The runner only writes a JSONL file of candidates under
MATRIX_HOME; `kind: dork` in `sources:` (matrix.dorking.source) ingests it on the next run.
A backend failure on one query is recorded in the report and the run goes on: one throttled
query must not cost the results of the other thirty-nine.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from matrix.dorking.backends import DorkBackend, DorkBackendError
from matrix.dorking.queries import expand
from matrix.dorking.scoring import EXCLUDED_DOMAINS, PROGRAM_PHRASE, DorkHit, score_hit
from matrix.models import Listing
from matrix.normalize.commission import parse_commission
from matrix.normalize.domain import registered_domain
from matrix.observability import counter, get_logger

log = get_logger(__name__)
CANDIDATES = counter("matrix_dork_candidates_total", "Dork hits by outcome (candidate, known, excluded, low_score)", ["outcome"])
DORK_SOURCE = "dork"
_TITLE_SPLIT = re.compile(r"\s+[|\-–—:·]\s+")


@dataclass
class Candidate:
    domain: str
    score: float
    reasons: list[str]
    hit: DorkHit
    queries: list[str]

    def to_listing(self, fetched_at: dt.datetime) -> Listing:
        h = self.hit
        commission = parse_commission(h.snippet) if re.search(r"commission|per sale|payout", h.snippet, re.I) else None
        found: dict[str, Any] = {"commission": commission} if commission is not None else {}  # else the model's default
        return Listing(
            source=DORK_SOURCE, source_id=self.domain, url=h.url, fetched_at=fetched_at, name=program_name(h.title, self.domain),
            merchant_url=f"https://{self.domain}", merchant_domain=self.domain, signup_url=h.url,
            description=h.snippet or None, tags=["dork", h.niche] if h.niche else ["dork"],
            **found,
            raw={"query": h.query, "queries": self.queries, "title": h.title, "snippet": h.snippet, "engine": h.engine,
                 "rank": h.rank, "score": self.score, "reasons": self.reasons, "niche": h.niche},
        )


@dataclass
class DorkReport:
    queries: list[str] = field(default_factory=list)
    hits: int = 0
    known: int = 0
    excluded: int = 0
    low_score: int = 0
    candidates: list[Candidate] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    requests: int = 0

    def summary(self) -> dict[str, Any]:
        return {"queries": len(self.queries), "requests": self.requests, "hits": self.hits, "known": self.known,
                "excluded": self.excluded, "low_score": self.low_score, "candidates": len(self.candidates),
                "errors": self.errors,
                "top": [{"domain": c.domain, "score": c.score, "url": c.hit.url} for c in self.candidates[:10]]}


def program_name(title: str, domain: str) -> str:
    """The merchant's name from a page title: the segment without 'affiliate' words, else the domain."""
    parts = [p.strip() for p in _TITLE_SPLIT.split(title or "") if p.strip()]
    plain = [p for p in parts if not PROGRAM_PHRASE.search(p) and not re.search(r"affiliat|partner", p, re.I)]
    if plain:
        return plain[0][:120]
    stripped = re.sub(r"(?i)\b(affiliate|partner|referral)\s+program(me)?s?\b", "", parts[0] if parts else "").strip(" -|:")
    return (stripped or domain.split(".")[0].capitalize())[:120]


class DorkRunner:
    """Queries x niches through one backend; `known_domains` is read once per run (it may hit the index)."""

    def __init__(self, backend: DorkBackend, templates: list[str], *, known_domains: Callable[[], Iterable[str]] | None = None,
                 results_per_query: int = 20, max_queries: int = 40, min_score: float = 0.35,
                 clock: Callable[[], dt.datetime] | None = None) -> None:
        self.backend = backend
        self.templates = templates
        self.known_domains = known_domains or (lambda: ())
        self.results_per_query = results_per_query
        self.max_queries = max_queries
        self.min_score = min_score
        self.clock = clock or (lambda: dt.datetime.now(dt.timezone.utc))

    @classmethod
    def from_settings(cls, settings: Any, known_domains: Callable[[], Iterable[str]] | None = None,
                      api_key: str | None = None, backend: DorkBackend | None = None) -> "DorkRunner":
        from matrix.dorking.backends import build_backend

        d = settings.triggers.dorking
        backend = backend or build_backend(d, settings.crawl.user_agent, api_key)
        return cls(backend, list(d.templates), known_domains=known_domains, results_per_query=d.results_per_query,
                   max_queries=d.max_queries, min_score=d.min_score)

    def run(self, niches: Iterable[str]) -> DorkReport:
        """Blocking entry point (CLI, trigger actions in a worker thread)."""
        return asyncio.run(self.arun(list(niches)))

    async def arun(self, niches: list[str]) -> DorkReport:
        queries = expand(self.templates, niches, self.max_queries)
        report = DorkReport(queries=[q.text for q in queries])
        known = {d.lower() for d in self.known_domains() if d}
        hits: list[DorkHit] = []
        async with self.backend:
            for q in queries:
                try:
                    hits.extend(await self.backend.search(q, self.results_per_query))
                except DorkBackendError as exc:
                    report.errors.append(f"{q.text}: {exc}")
                    log.warning("dork query failed", extra={"query": q.text, "error": str(exc)})
        report.requests = self.backend.requests
        report.hits = len(hits)
        self._select(hits, known, report)
        return report

    def _select(self, hits: list[DorkHit], known: set[str], report: DorkReport) -> None:
        by_domain: dict[str, list[DorkHit]] = {}
        for h in hits:
            domain = registered_domain(h.url)
            if domain is None or domain in EXCLUDED_DOMAINS:
                report.excluded += 1
                CANDIDATES.labels("excluded").inc()
            elif domain in known:
                report.known += 1
                CANDIDATES.labels("known").inc()
            else:
                by_domain.setdefault(domain, []).append(h)
        for domain, group in by_domain.items():
            queries = sorted({h.query for h in group})
            scored = [(score_hit(h, self.results_per_query, len(queries) - 1), h) for h in group]
            (score, reasons), best = max(scored, key=lambda s: (s[0][0], -s[1].rank))
            if score < self.min_score:
                report.low_score += 1
                CANDIDATES.labels("low_score").inc()
                continue
            CANDIDATES.labels("candidate").inc()
            report.candidates.append(Candidate(domain, score, reasons, best, queries))
        report.candidates.sort(key=lambda c: (-c.score, c.domain))


def write_candidates(report: DorkReport, directory: Path, now: dt.datetime | None = None) -> Path | None:
    """One JSONL file of candidate Listings per run (atomic rename); None when there is nothing to write."""
    if not report.candidates:
        return None
    now = now or dt.datetime.now(dt.timezone.utc)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"candidates-{now.strftime('%Y%m%dT%H%M%S%fZ')}.jsonl"
    tmp = path.with_suffix(".tmp")
    with tmp.open("w") as fh:
        for c in report.candidates:
            fh.write(json.dumps(c.to_listing(now).model_dump(mode="json"), sort_keys=True) + "\n")
    tmp.replace(path)
    return path

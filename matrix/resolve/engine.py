"""The resolution engine: records in, clusters out (block -> compare -> score -> cluster).

Plain Python and numpy so the same code runs in pytest, the CLI, a notebook or a Ray task; the
embedder is injected (or vectors passed in precomputed) so the model loads where the caller
wants it to.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Protocol, Sequence

import numpy as np

from matrix.observability import counter, get_logger, histogram
from matrix.resolve.blocking import Candidates, block
from matrix.resolve.clustering import correlation_clusters, edge_weights, one_to_one
from matrix.resolve.prepare import Records
from matrix.resolve.scoring import FellegiSunter, blocking_biased, TrainedScorer, compare, comparisons, random_pairs

log = get_logger(__name__)
# Posterior thresholds when neither the caller nor the spec sets one. Correlation clustering sums
# evidence over many pairs, and EM posteriors are over-confident both ways, so a low cut keeps
# recall while negative pairs still veto merges (measured on PATSTAT, see docs/resolve.md).
DEFAULT_THRESHOLD = {"one-to-one": 0.5, "many": 0.05}


class TextEmbedder(Protocol):
    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


@dataclass
class Resolution:
    labels: np.ndarray  # cluster label per record (smallest member index)
    candidates: Candidates
    probability: np.ndarray  # per candidate pair
    threshold: float
    mode: str
    model: dict[str, Any]
    timings: dict[str, float] = field(default_factory=dict)

    def matched_pairs(self) -> set[tuple[int, int]]:
        from matrix.resolve.clustering import pairs_in_clusters

        return pairs_in_clusters(self.labels)

    def report(self, n_records: int) -> dict[str, Any]:
        sizes = np.bincount(np.unique(self.labels, return_inverse=True)[1]) if n_records else np.zeros(0, int)
        hist, edges = np.histogram(self.probability, bins=10, range=(0, 1)) if self.probability.size else (np.zeros(10, int), None)
        return {
            "records": n_records,
            "mode": self.mode,
            "candidate_pairs": len(self.candidates),
            "candidates_per_record": round(self.candidates.per_record(n_records), 3),
            "pairs_by_blocker": self.candidates.by_blocker,
            "threshold": self.threshold,
            "pairs_above_threshold": int((self.probability >= self.threshold).sum()),
            "clusters": int(sizes.size),
            "singletons": int((sizes == 1).sum()),
            "largest_cluster": int(sizes.max()) if sizes.size else 0,
            "probability_histogram": [int(x) for x in hist],
            "model": self.model,
            "timings_s": {k: round(v, 3) for k, v in self.timings.items()},
        }


def resolve_records(records: Records, *, vectors: np.ndarray | None = None, embedder: TextEmbedder | None = None,
                    link: bool | None = None, mode: str = "auto", threshold: float | None = None,
                    neighbours: int = 10, train: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
                    active: np.ndarray | None = None, cannot_link: np.ndarray | None = None,
                    u_sample: int = 50_000, seed: int = 0) -> Resolution:
    """Resolve `records`.

    link: compare only across sources (default: when there are 2+ sources and mode is one-to-one
    or the input came as separate tables). mode: one-to-one (each record matched at most once),
    many (correlation clustering) or auto (one-to-one when linking exactly two sources).
    train: (left, right, label) index arrays of labelled pairs -> supervised scorer.
    """
    t0 = time.perf_counter()
    timings: dict[str, float] = {}
    n = len(records)
    n_sources = len(records.sources)
    if link is None:
        link = n_sources >= 2 and mode == "one-to-one"
    if mode == "auto":
        mode = "one-to-one" if link and n_sources == 2 else "many"
    spec = records.spec
    if vectors is None and embedder is not None and spec.embeddings and n:
        vectors = np.asarray(embedder.embed(records.embed_text), dtype=np.float32)
        timings["embed"] = time.perf_counter() - t0
    if vectors is not None:
        vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.shape[0] != n:
            raise ValueError(f"vectors has {vectors.shape[0]} rows for {n} records")
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        vectors = vectors / np.where(norms == 0, 1, norms)
    t = time.perf_counter()
    cands = block(records, vectors, max(1, (spec.neighbours or neighbours) // 2), cross_only=link, max_key_group=spec.max_key_group, active=active)
    timings["block"] = time.perf_counter() - t
    t = time.perf_counter()
    comps = comparisons(records, vectors is not None)
    levels = compare(records, comps, cands.left, cands.right, vectors)
    timings["compare"] = time.perf_counter() - t
    t = time.perf_counter()
    if train is not None:
        tl, tr, ty = train
        scorer: Any = TrainedScorer(comps).fit(compare(records, comps, tl, tr, vectors), ty)
    else:
        scorer = FellegiSunter(comps)
        rl, rr = random_pairs(records, min(u_sample, max(1000, 20 * n)), link, seed)
        scorer.fit_u(compare(records, comps, rl, rr, vectors))
        scorer.fit_m(levels, update_u=blocking_biased(records, with_vectors=vectors is not None))
    prob = scorer.probability(levels)
    timings["score"] = time.perf_counter() - t
    thr = threshold if threshold is not None else (spec.threshold if spec.threshold is not None else DEFAULT_THRESHOLD[mode])
    t = time.perf_counter()
    if mode == "one-to-one":
        labels = one_to_one(n, cands.left, cands.right, prob, thr)
    else:
        labels = correlation_clusters(n, cands.left, cands.right, edge_weights(prob, thr), cannot_link,
                                      exclusive=spec.exclusive_values(records.values))
    timings["cluster"] = time.perf_counter() - t
    timings["total"] = time.perf_counter() - t0
    counter("matrix_resolve_records_total", "records resolved").inc(n)
    counter("matrix_resolve_candidate_pairs_total", "candidate pairs scored").inc(len(cands))
    histogram("matrix_resolve_seconds", "resolve wall time").observe(timings["total"])
    log.info("resolved", extra={"records": n, "candidates": len(cands), "mode": mode, "threshold": thr,
                                "clusters": int(np.unique(labels).size), "seconds": round(timings["total"], 3)})
    return Resolution(labels=labels, candidates=cands, probability=prob, threshold=thr, mode=mode,
                      model=scorer.describe(), timings=timings)

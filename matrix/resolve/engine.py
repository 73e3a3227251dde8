"""The resolution engine: records in, clusters out (block -> compare -> score -> cluster).

Plain Python and numpy so the same code runs in pytest, the CLI, a notebook or a Ray task; the
embedder is injected (or vectors passed in precomputed) so the model loads where the caller
wants it to.
"""

from __future__ import annotations

import math
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Protocol, Sequence

import numpy as np

from matrix.observability import counter, get_logger, histogram
from matrix.resolve.arrays import unique_sorted
from matrix.resolve.blocking import Candidates, block
from matrix.resolve.clustering import correlation_clusters, edge_weights, one_to_one
from matrix.resolve.prepare import Records, paused_gc
from matrix.resolve.scoring import (
    TrainedScorer,
    blocking_biased,
    compare,
    comparisons,
    conservative_model,
    expected_f1_threshold,
    fit_robust,
    random_pairs,
)
from matrix.resolve.spec import NAME_TYPES

log = get_logger(__name__)
# Posterior thresholds for callers that fit no model of their own (the incremental listing
# resolver); `resolve_records` chooses its cut from the fitted model (expected F1).
DEFAULT_THRESHOLD = {"one-to-one": 0.5, "many": 0.05}
# A dedup's deterministic rule (same normalized name) finds at least this share of the true
# pairs among candidates, so the match prior is at most rule pairs / RULE_MIN_RECALL.
RULE_MIN_RECALL = 0.5
# A dedup's stage-2 fit may imply more matches than the count bound (rule pairs / RULE_MIN_RECALL,
# one per two records) only when its match class is corroborated by the fields the blockers do not
# select on: their expected evidence for a match (KL(m || u), bits, at the comparison's weight) at
# least this much, i.e. matches agree on them clearly more often than random pairs do
# (see `stage_two_evidence`).
CORROBORATION_MIN_BITS = 1.0
# A linked table "has internal duplicates" when at least this share of its records has a
# same-table pair the fitted model calls a match; then the 1:1 step is not applied.
DUPLICATE_SHARE = 0.02


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
        hist, edges = (
            np.histogram(self.probability, bins=10, range=(0, 1)) if self.probability.size else (np.zeros(10, int), None)
        )
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
    Cyclic garbage collection is paused meanwhile (`prepare.paused_gc`: full collections walked
    the whole process, a loaded model's objects included, for nothing to free).
    """
    with paused_gc():
        return _resolve_records(records, vectors=vectors, embedder=embedder, link=link, mode=mode, threshold=threshold,
                                neighbours=neighbours, train=train, active=active, cannot_link=cannot_link,
                                u_sample=u_sample, seed=seed)


def _resolve_records(records: Records, *, vectors: np.ndarray | None, embedder: TextEmbedder | None,
                     link: bool | None, mode: str, threshold: float | None, neighbours: int,
                     train: tuple[np.ndarray, np.ndarray, np.ndarray] | None, active: np.ndarray | None,
                     cannot_link: np.ndarray | None, u_sample: int, seed: int) -> Resolution:
    """`resolve_records` itself (see there)."""
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
    # each long step shows its own bar on stderr (records searched / pairs compared / EM starts,
    # with rate and ETA) from 1,000 of them on (MATRIX_PROGRESS=0/1 forces); the embedder shows texts
    t = time.perf_counter()
    cands = block(records, vectors, max(1, (spec.neighbours or neighbours) // 2), cross_only=link,
                  max_key_group=spec.max_key_group, active=active, progress=None)
    timings["block"] = time.perf_counter() - t
    t = time.perf_counter()
    comps = comparisons(records, vectors is not None)
    levels = compare(records, comps, cands.left, cands.right, vectors, progress=None)
    timings["compare"] = time.perf_counter() - t
    t = time.perf_counter()
    diagnostics: dict[str, Any] = {}
    rule = _rule_pairs(records, comps, levels)
    if train is not None:
        tl, tr, ty = train
        scorer: Any = TrainedScorer(comps).fit(compare(records, comps, tl, tr, vectors), ty)
    else:
        rl, rr = random_pairs(records, min(u_sample, max(1000, 20 * n)), link, seed)
        bounds = prior_bounds(records, len(cands), link, rule)
        random_levels = compare(records, comps, rl, rr, vectors)
        scorer, diagnostics = fit_robust(comps, random_levels, levels, bounds,
                                         update_u=blocking_biased(records, with_vectors=vectors is not None),
                                         progress=None, name_fields=record_name_fields(records))
        scorer = settle_prior(scorer, diagnostics, records, (comps, levels, random_levels), cands, link, rule, bounds)
    prob = scorer.probability(levels)
    timings["score"] = time.perf_counter() - t
    t = time.perf_counter()
    if link and mode == "one-to-one" and spec.one_to_one is None:
        # exact twins are matched as one record (twin_groups); the share is reported
        diagnostics["internal_duplicate_share"] = internal_duplicates(records)
    elif link and spec.one_to_one is not None:
        mode = "one-to-one" if spec.one_to_one else "many"
    if mode == "one-to-one":
        prob, diagnostics["ambiguous_records"] = share_among_bare_twins(records, cands.left, cands.right, prob)
    timings["duplicate_check"] = time.perf_counter() - t
    # a trained classifier's probabilities are calibrated on labels: 0.5; the unsupervised model's
    # cut comes from its own posteriors (expected F1)
    thr = threshold if threshold is not None else (spec.threshold if spec.threshold is not None else
                                                   (0.5 if train is not None else expected_f1_threshold(prob)))
    t = time.perf_counter()
    if mode == "one-to-one":
        labels = one_to_one(n, cands.left, cands.right, prob, thr, group=twin_groups(records),
                            tiebreak=pair_cosines(vectors, cands.left, cands.right, prob >= thr))
    else:
        exclusive = spec.exclusive_values(records.values)
        cluster = lambda cut: correlation_clusters(n, cands.left, cands.right, edge_weights(prob, cut), cannot_link,  # noqa: E731
                                                   exclusive=exclusive)
        if threshold is None and spec.threshold is None and train is None:
            thr, labels, diagnostics["cluster_cut_expected_f1"] = choose_cluster_cut(cluster, cands, prob)
        else:
            labels = cluster(thr)
    timings["cluster"] = time.perf_counter() - t
    timings["total"] = time.perf_counter() - t0
    counter("matrix_resolve_records_total", "records resolved").inc(n)
    counter("matrix_resolve_candidate_pairs_total", "candidate pairs scored").inc(len(cands))
    histogram("matrix_resolve_seconds", "resolve wall time").observe(timings["total"])
    log.info("resolved", extra={"records": n, "candidates": len(cands), "mode": mode, "threshold": thr,
                                "clusters": int(unique_sorted(labels).size), "seconds": round(timings["total"], 3)})
    model = scorer.describe()
    model.update({"deterministic_rule_pairs": rule, **diagnostics})
    if getattr(scorer, "wanted_prior", 0.0) > scorer.prior * 1.001 if hasattr(scorer, "prior") else False:
        model["prior_clipped_from"] = round(scorer.wanted_prior, 6)
    return Resolution(labels=labels, candidates=cands, probability=prob, threshold=thr, mode=mode,
                      model=model, timings=timings)


def pair_cosines(vectors: np.ndarray | None, left: np.ndarray, right: np.ndarray, which: np.ndarray) -> np.ndarray | None:
    """Embedding cosine of the pairs `which` selects (0 elsewhere): the 1:1 step's tie-break among
    pairs of equal probability. None without vectors. Only the pairs above the cut are computed."""
    if vectors is None:
        return None
    out = np.zeros(left.shape[0], dtype=np.float32)
    idx = np.flatnonzero(which)
    for start in range(0, idx.size, 4096):  # small gathers stay in cache (see scoring._PAIR_CHUNK)
        sl = idx[start:start + 4096]
        out[sl] = (vectors[left[sl]] * vectors[right[sl]]).sum(axis=1)
    return out


CLUSTER_CUTS = (0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9)


def choose_cluster_cut(cluster, cands, prob: np.ndarray) -> tuple[float, np.ndarray, dict[str, float]]:
    """The edge cut whose *clustering* has the best F1 expected under the model.

    Why not the pairwise cut: clustering adds every pair inside a cluster, scored or not, so
    the cut that is best pair by pair is too strict for clusters (recall through transitivity
    is lost) and a lax one chains entities. Per cluster, its unscored pairs are assumed to match
    as often as its scored ones; expected true pairs are then sum over clusters of (mean
    posterior of its scored pairs x its pairs), expected gold pairs add the posteriors of the
    scored pairs the clustering cut apart.
    """
    best: tuple[float, float, np.ndarray] = (-1.0, 0.5, np.zeros(0, np.int64))  # replaced by the first cut (f1 >= 0)
    scores: dict[str, float] = {}
    for cut in CLUSTER_CUTS:
        labels = cluster(cut)
        same = labels[cands.left] == labels[cands.right]
        sizes = np.bincount(labels, minlength=labels.size).astype(np.float64)
        pairs = sizes * (sizes - 1) / 2
        # astype: with no pair inside any cluster at this cut, bincount returns int64 even with weights
        psum = np.bincount(labels[cands.left[same]], weights=prob[same], minlength=labels.size).astype(np.float64)
        pcnt = np.bincount(labels[cands.left[same]], minlength=labels.size)
        mean_p = np.divide(psum, pcnt, out=np.zeros_like(psum), where=pcnt > 0)
        tp = float((mean_p * pairs).sum())
        gold = tp + float(prob[~same].sum())
        predicted = float(pairs.sum())
        f1 = 2 * tp / (predicted + gold) if predicted + gold > 0 else 0.0
        scores[str(cut)] = round(f1, 4)
        if f1 > best[0]:
            best = (f1, cut, labels)
    return best[1], best[2], scores


def twin_groups(records: Records) -> np.ndarray:
    """Per record, the first record of its table with identical compared values (itself if none)."""
    return _twins(records)[0].copy()


def _twins(records: Records) -> tuple[np.ndarray, np.ndarray]:
    """`twin_groups` and `bare_twin_counts` from one pass over the records, kept on the records
    (`Records.derived`): a linkage asks for them three times, and hashing every record's compared
    values (parsed names, addresses) was most of that step."""
    return records.derived("twins", _build_twins)


def _build_twins(records: Records) -> tuple[np.ndarray, np.ndarray]:
    keys, bare = _compared_values(records)
    groups = list(range(len(records)))
    first: dict[tuple, int] = {}
    for i in np.flatnonzero(~bare).tolist():  # one shared value (a bare name) says too little to call two records one
        groups[i] = first.setdefault(keys[i], i)
    counts = Counter(keys[i] for i in np.flatnonzero(bare).tolist())
    bare_counts = np.array([counts[k] if b else 1 for k, b in zip(keys, bare.tolist(), strict=True)], dtype=np.float64)
    return np.array(groups, dtype=np.int64), bare_counts


def _compared_values(records: Records) -> tuple[list[tuple], np.ndarray]:
    """Per record: (its table, its compared values), and whether it is 'bare' (known on fewer
    than two compared fields). Built column-wise (zip over the columns, one known-count per
    column): indexing every column per record was most of the twin step on 50k records."""
    cols = [records.values[f.name] for f in records.spec.fields if f.weight > 0]
    n = len(records)
    known = np.zeros(n, dtype=np.int64)
    for col in cols:
        known += np.fromiter((v is not None for v in col), dtype=bool, count=n)
    return list(zip(records.source, *cols, strict=True)), known < min(2, len(cols))


def bare_twin_counts(records: Records) -> np.ndarray:
    """Per record, how many records of its own table are bare twins of it (itself included): the
    same compared values, known on fewer than two fields. 1 for every other record."""
    return _twins(records)[1].copy()


def share_among_bare_twins(records: Records, left: np.ndarray, right: np.ndarray,
                           prob: np.ndarray) -> tuple[np.ndarray, int]:
    """Posteriors under the 1:1 premise when a record has bare twins in its own table.

    Why: a table the 1:1 step treats as duplicate-free lists k records that the compared fields
    cannot tell apart ('new york' five times with nothing else; one actor's name for five untitled
    films). They are k different entities, and every pair that links one of them has the same
    evidence as the pair that links its twin, so at most one of those k pairs is right: its
    posterior is the model's pairwise one divided by k. Without this, the 1:1 step gave each twin
    a partner of its own by list order, a guess that was wrong most of the time (session 6:
    imdb_tvdb, 248 of 319 such links; restaurants_okkam, 9 of 9). Twins with two or more fields
    known are matched as one record instead (`twin_groups`). Returns the posteriors and how many
    records were bare twins.
    """
    k = bare_twin_counts(records)
    if left.size == 0 or not (k > 1).any():
        return prob, int((k > 1).sum())
    return prob / np.maximum(k[left], k[right]), int((k > 1).sum())


def record_name_fields(records: Records) -> frozenset[str]:
    """The fields the record is called by: the leading compared fields of one name-like type
    (`given_name` + `surname`; a title alone when people follow it), as the blockers group them."""
    fields = [f for f in records.spec.fields if f.weight > 0]
    if not fields or fields[0].type not in NAME_TYPES:
        return frozenset()
    lead = []
    for f in fields:
        if f.type != fields[0].type:
            break
        lead.append(f.name)
    return frozenset(lead)


def _rule_pairs(records: Records, comps, levels: np.ndarray) -> int:
    """Candidate pairs a deterministic high-precision rule calls matches: the first name-like
    field equal after normalization, and no other name-like field known on both records
    disagreeing (Splink's `estimate_probability_two_random_records_match` uses such a rule the
    same way).

    Why every name-like field: a person split into `given_name` and `surname` columns is called
    by both; "same given name" alone is shared by thousands of different people (measured on
    FEBRL: 2,078 rule pairs for ~500 true ones), which set the dedup's prior bound so high that
    the bound and the "prior far above it" check could no longer catch a collapsed fit.
    """
    names = _rule_columns(records, comps)
    if not names or levels.shape[0] == 0:
        return 0
    return int(_rule_mask(levels, names).sum())


def _rule_columns(records: Records, comps) -> list[int]:
    """Comparison columns of the name-like fields, in spec order (the deterministic rule's)."""
    return [c for c, comp in enumerate(comps) if any(f.name == comp.name and f.type in NAME_TYPES for f in records.spec.fields)]


def _rule_mask(levels: np.ndarray, names: list[int]) -> np.ndarray:
    """Pairs the rule accepts: the first name-like field exact, every other one equal or unknown."""
    agree = levels[:, names[0]] == 0
    for c in names[1:]:
        agree &= levels[:, c] <= 0  # equal, or unknown on either side
    return agree


def _compatible_pairs(codes: np.ndarray, chunk: int = 1024) -> int:
    """Pairs of rows whose codes agree on every column or are unknown (-1) on either side."""
    k = codes.shape[0]
    if codes.shape[1] <= 1:  # closed form: equal known values, plus every pair with an unknown side
        col = codes[:, 0] if codes.shape[1] else np.full(k, -1)
        known = np.bincount(col[col >= 0]) if (col >= 0).any() else np.zeros(0, np.int64)
        miss = int((col < 0).sum())
        return int((known * (known - 1) // 2).sum()) + miss * (k - miss) + miss * (miss - 1) // 2
    if not (codes < 0).any():  # nothing unknown: compatible = identical rows, counted by grouping (no k x k work)
        _, counts = np.unique(codes, axis=0, return_counts=True)
        return int((counts * (counts - 1) // 2).sum())
    cols = np.arange(k)
    total = 0
    for start in range(0, k, chunk):
        a = codes[start:start + chunk, None, :]
        ok = ((a == codes[None, :, :]) | (a < 0) | (codes[None, :, :] < 0)).all(axis=2)
        total += int((ok & (cols[None, :] > np.arange(start, start + ok.shape[0])[:, None])).sum())
    return total


def _value_codes(values: list) -> np.ndarray:
    """Each value as an integer code (equal values, equal codes); unknown is -1."""
    seen: dict[Any, int] = {}
    return np.array([-1 if v is None else seen.setdefault(v, len(seen)) for v in values], dtype=np.int64)


def _value_equal_rule_pairs(records: Records, cols: list[str]) -> int:
    """Pairs of the whole table the rule accepts on equal values: the first name-like field equal
    (known), every other one equal or unknown. Counted per group of the first field's value."""
    first = _value_codes(records.values[cols[0]])
    others = np.stack([_value_codes(records.values[c]) for c in cols[1:]], axis=1) if len(cols) > 1 else \
        np.zeros((first.size, 0), np.int64)
    order = np.argsort(first, kind="stable")
    order = order[first[order] >= 0]
    bounds = np.flatnonzero(np.diff(first[order])) + 1
    return sum(_compatible_pairs(others[g]) for g in np.split(order, bounds) if g.size > 1)


def table_rule_pairs(records: Records, comps, levels: np.ndarray, left: np.ndarray, right: np.ndarray) -> int:
    """The deterministic rule's pairs among *all* pairs of the table, not only the candidates.

    Why: the conservative model's prior is per record pair of the table; counting the rule among
    candidates made it follow blocking again (a budget that drops some same-name pairs drops rule
    pairs). Pairs with equal values are counted over the whole table (grouped by the first
    name-like value, cheap); pairs the comparisons call equal without equal values (token order,
    legal forms) are only seen among candidates and are added from there.
    """
    names = _rule_columns(records, comps)
    if not names:
        return 0
    cols = [comps[c].name for c in names]
    exact = _value_equal_rule_pairs(records, cols)
    if levels.shape[0] == 0:
        return exact
    agree = _rule_mask(levels, names)
    vals = [records.values[c] for c in cols]
    fuzzy = sum(1 for i, j in zip(left[agree].tolist(), right[agree].tolist(), strict=True)
                if not (vals[0][i] == vals[0][j] and all(v[i] is None or v[j] is None or v[i] == v[j] for v in vals[1:])))
    return exact + fuzzy


def prior_bounds(records: Records, n_candidates: int, link: bool, rule_pairs: int) -> tuple[float, float]:
    """What the data allow for the share of matches among candidate pairs.

    Linking two tables: at most min(|A|, |B|) matches (each record of the smaller table matched
    once). Deduplicating: the deterministic rule's pairs, divided by its least plausible recall
    (RULE_MIN_RECALL), or one match per two records when the rule finds fewer.
    """
    nc = max(n_candidates, 1)
    most: float
    if link:
        sizes = [records.source.count(s) for s in records.sources]
        most = min(sizes) if len(sizes) >= 2 else len(records)
    else:
        most = max(rule_pairs / RULE_MIN_RECALL, len(records) / 2)
    hi = float(min(0.99, max(most / nc, 2.0 / nc)))
    return min(1.0 / nc, hi / 2), hi


def settle_prior(scorer, diagnostics: dict[str, Any], records: Records, levels3: tuple, cands: Candidates,
                 link: bool, rule: int, bounds: tuple[float, float]):
    """Set the unsupervised model's prior where EM could not, and return the model to use: after
    the fallback (conservative model); for a dedup, when the EM prior was pinned at its rule-based
    bound (`prior_pinned_at_bound`) or when u followed the candidates (stage 2: re-anchored on
    random pairs, `reanchor_stage_two`, and replaced by the conservative model when the re-anchored
    fit implies more matches than the count bound allows and the fields do not back it:
    `stage_two_evidence`). `levels3`: (comparisons, candidate levels, random-pair levels).
    """
    comps, levels, random_levels = levels3
    n = len(records)
    if not link and not diagnostics["fallback"] and is_stage_two(diagnostics):
        table_rule = table_rule_pairs(records, comps, levels, cands.left, cands.right)
        diagnostics["deterministic_rule_pairs_in_table"] = table_rule
        problem = reanchor_stage_two(scorer, diagnostics, n, random_levels, len(cands), table_rule,
                                     levels=levels, independent=unblocked_fields(records))
        if problem:
            scorer = conservative_model(comps, random_levels, bounds)
            diagnostics["u_from"] = "random pairs"
            diagnostics["fallback"] = "the stage-2 fit (u from candidates) is not sane once re-anchored on random " \
                f"pairs ({problem}): using the conservative model (designed m, random-pair u, prior from the deterministic rule)"
    if diagnostics["fallback"]:
        if link:
            scorer.prior = float(np.clip(rule / max(len(cands), 1), *bounds))
        else:  # designed m and random-pair u: the prior is per random pair, not per candidate
            if "deterministic_rule_pairs_in_table" not in diagnostics:
                diagnostics["deterministic_rule_pairs_in_table"] = table_rule_pairs(records, comps, levels, cands.left,
                                                                                    cands.right)
            scorer.prior = prior_per_record_pair(scorer, int(diagnostics["deterministic_rule_pairs_in_table"]), n,
                                                 random_levels)
            diagnostics["prior_per"] = "record pair of the table"
        log.warning("resolve: %s", diagnostics["fallback"])
        print(f"matrix resolve: WARNING {diagnostics['fallback']}", file=sys.stderr)
    elif not link and prior_pinned_at_bound(scorer, bounds, diagnostics):
        # the fit's expected matches among candidates are a floor; the weight is re-estimated on random pairs
        diagnostics["prior_pinned_at_bound"] = round(scorer.prior, 6)
        scorer.prior = prior_per_record_pair(scorer, round(scorer.prior * len(cands)), n, random_levels)
        diagnostics["prior_per"] = "record pair of the table"
    return scorer


def is_stage_two(diagnostics: dict[str, Any]) -> bool:
    """Whether the chosen EM fit let u follow the candidates (`fit_robust`'s second stage)."""
    return str(diagnostics.get("u_from") or "").startswith("candidates")


def reanchor_stage_two(scorer, diagnostics: dict[str, Any], n_records: int, random_levels: np.ndarray,
                       n_candidates: int, table_rule: int, levels: np.ndarray | None = None,
                       independent: frozenset[str] = frozenset()) -> str | None:
    """Re-anchor a dedup's stage-2 fit on random pairs: keep its m, take u from random pairs, and
    its prior per record pair of the table (`prior_per_record_pair`); then check that the matches
    this implies in the whole table stay within what the data allow (the deterministic rule's
    pairs in the table / RULE_MIN_RECALL, or one per two records). Returns the problem, or None.

    Why: in stage 2 the u of the blocked fields is estimated among the candidates, so the fit's
    prior and Bayes factors are relative to *this* candidate set and move with blocking: with one
    full-name key instead of per-part keys RLdata10000 passed a stage-2 start instead of falling
    back, and B-cubed F1 went 0.993 -> 0.980 (session 8). m (how matches look) is what EM learns
    among candidates; u and the prior are what random pairs measure. A stage-2 fit that learned
    the blocking passes instead of identity (weak m on names) makes random pairs look like matches:
    re-anchored, RLdata10000's implies 151,341 matches among 10,000 records (at most 16,734
    allowed), FEBRL 2 / 3's 1,925 / 6,500 (true 1,934 / 6,538); that is the check. A fit above
    that count bound is still kept when the fields back it (`stage_two_evidence`: large entities
    have more true pairs than one per two records); `levels` (candidate levels) and `independent`
    (`unblocked_fields`) are its inputs, and without them the count bound alone decides.
    """
    among_candidates, wanted = scorer.prior, scorer.wanted_prior
    scorer.fit_u(random_levels)
    scorer._monotone()
    scorer._cap_disagreement()
    scorer.prior = prior_per_record_pair(scorer, round(among_candidates * n_candidates), n_records, random_levels)
    scorer.wanted_prior = 0.0  # EM's wish was a share of candidates; said below when it was clipped
    if wanted > among_candidates * 1.001:
        diagnostics["prior_clipped_from"] = round(wanted, 6)
    diagnostics["stage_two_prior_among_candidates"] = round(among_candidates, 6)
    diagnostics["prior_per"] = "record pair of the table"
    pairs = n_records * (n_records - 1) / 2
    implied, most = scorer.prior * pairs, max(table_rule / RULE_MIN_RECALL, n_records / 2)
    diagnostics["implied_matches_in_table"] = round(implied, 1)
    if implied <= most:
        return None
    # more than the count bound: allowed only when the fields say these are matches (large entities)
    refused = stage_two_evidence(scorer, diagnostics, implied, levels, independent)
    if refused:
        return f"{implied:.0f} matches implied in the table, at most {most:.0f} allowed without field evidence, " \
            f"and {refused}"
    return None


def unblocked_fields(records: Records) -> frozenset[str]:
    """The spec's compared fields the blockers do not select on (`blocking_biased`): the fields whose
    agreement among candidates is not made by blocking. Derived comparisons (the embedding, the
    cross-field `people`) are not fields and never count."""
    biased = blocking_biased(records, with_vectors=False)
    return frozenset(f.name for f in records.spec.fields if f.weight > 0 and f.name not in biased)


def corroboration_bits(scorer, fields: frozenset[str], levels: np.ndarray | None = None) -> float:
    """Expected evidence a match of the fit gets from `fields`: sum of KL(m || u) in bits, at each
    comparison's weight (fields are conditionally independent in the model, so it adds up).

    With `levels` (the candidates), m is replaced by the candidates' own level shares: what a class
    that is simply "the candidates" would get, i.e. the agreement blocking alone brings to those
    fields (the tie-break view and the short-field key do prefer agreeing dates and codes)."""
    total = 0.0
    for c, comp in enumerate(scorer.comps):
        if comp.name in fields:
            u = np.asarray(scorer.u[c], np.float64)
            if levels is None:
                m = np.asarray(scorer.m[c], np.float64)
            else:
                col = levels[:, c]
                m = np.bincount(col[col >= 0], minlength=comp.n_levels).astype(np.float64) + 0.5
                m /= m.sum()
            total += comp.weight * float((m * np.log2(m / u)).sum())
    return total


def stage_two_evidence(scorer, diagnostics: dict[str, Any], implied: float, levels: np.ndarray | None,
                       independent: frozenset[str]) -> str | None:
    """Whether a re-anchored stage-2 fit that implies more matches than the count bound is backed by
    the fields; returns what is missing, or None.

    Why: the count bound (rule pairs / RULE_MIN_RECALL, one match per two records) assumes small
    entities. A table whose entities have many records each (a drug under its brand names, a
    company under its legal forms and typos: ER-KG-Bench mentions, 406 true pairs among 206
    records) has more true pairs than the bound, and the bound threw a good fit away (B-cubed F1
    0.686 -> 0.630, session 9). What tells such a table from a collapse is not the count but
    whether the match class is identity. A fit that learned the blocking passes ("shares the
    first name") calls matches what the blockers selected, so it differs from random pairs only
    on the fields the blockers select on, and most of the pairs it calls matches in the whole
    table are ones blocking never proposed (same first name, different everything else). Three
    checks, all from the fields, none from a count of the table:

    - corroborated: on the fields the blockers do not select on (`unblocked_fields`), its matches
      agree clearly more often than random pairs do (`corroboration_bits` >= CORROBORATION_MIN_BITS)
      and more than the candidates as a whole do (what blocking alone brings); a fit without such
      a field cannot show that its class is identity and keeps the count bound;
    - findable: the matches it implies in the table (from random pairs) are at most the matches
      it finds among the candidates (sum of its posteriors there) / RULE_MIN_RECALL: blocking
      selects on the same fields the model scores, so an identity model's matches are mostly
      candidates, while a collapsed one's lie mostly outside them;
    - sane: its Bayes factors, re-anchored, still pass `FellegiSunter.problems` on the candidates
      (levels ordered, m differs from u).
    """
    bits = corroboration_bits(scorer, independent)
    seen = levels is not None and levels.shape[0] > 0
    by_blocking = corroboration_bits(scorer, independent, levels) if seen else 0.0
    found = float(scorer.probability(levels).sum()) if seen else 0.0
    problems = scorer.problems(levels) if seen else []
    diagnostics["stage_two_evidence"] = {"unblocked_fields": sorted(independent),
                                         "corroboration_bits": round(bits, 3),
                                         "candidates_corroboration_bits": round(by_blocking, 3),
                                         "matches_found_among_candidates": round(found, 1),
                                         "problems": problems}
    missing = []
    if bits < max(CORROBORATION_MIN_BITS, by_blocking):
        missing.append(f"the fields blocking does not select on ({', '.join(sorted(independent)) or 'none'}) "
                       f"corroborate its matches by {bits:.2f} bits (< {CORROBORATION_MIN_BITS:g}, or not more than "
                       f"the candidates as a whole: {by_blocking:.2f})")
    if implied > found / RULE_MIN_RECALL:
        missing.append(f"only {found:.0f} of them are among the candidates")
    missing += problems
    return "; ".join(missing) or None


def prior_pinned_at_bound(scorer, bounds: tuple[float, float], diagnostics: dict[str, Any]) -> bool:
    """Whether a dedup EM fit with random-pair u asked for a prior above the rule-based upper bound.

    Why: the bound is the deterministic rule's pairs / its least plausible recall / candidate
    pairs, so a prior clipped to it is set by the candidate count, not by the data: on a
    namesake-heavy register (pv_inventors, session 8) the fitted prior went 0.554 / 0.651 /
    0.761 / 0.830 as blocking changed, and B-cubed F1 0.782 ... 0.880 with it. Such a fit's m
    and u (u from random pairs) still hold; only its prior is unidentified among candidates, so
    the caller re-estimates it per record pair of the table on random pairs
    (`prior_per_record_pair`), which no blocking choice touches. A fit inside its bound keeps its
    candidate prior: where being a candidate is itself evidence (patstat_orgs: 84 % of candidates
    match), a per-table prior under-merges (B-cubed 0.932 -> 0.745 when applied to every fit).
    A fit whose u followed the candidates (stage 2) is not against random pairs and is left alone.
    """
    if diagnostics.get("u_from") != "random pairs" or not hasattr(scorer, "prior"):
        return False
    return bool(getattr(scorer, "wanted_prior", 0.0) > scorer.prior * 1.001 and scorer.prior >= bounds[1] * 0.999)


def prior_per_record_pair(scorer, rule_pairs: int, n_records: int, random_levels: np.ndarray,
                          max_iter: int = 200) -> float:
    """The conservative dedup model's prior: the share of matches among *all* record pairs of the
    table (Splink's `probability_two_random_records_match`), not among candidate pairs.

    Why: the conservative model's m is designed and its u comes from random pairs, so a pair's
    Bayes factor says how much likelier its levels are for a match than for two records drawn at
    random; the prior odds it multiplies are those of two random records. The earlier prior,
    rule pairs / candidate pairs, grew as blocking returned fewer pairs (the same rule pairs over
    fewer candidates): RLdata10000's B-cubed F1 went 0.984 -> 0.969 when one full-name key
    replaced the per-part keys (session 8). Start: the deterministic rule's pairs over all pairs
    (each is a pair of the table, wherever blocking found it); then the mixture weight alone is
    re-estimated on the random pairs with m and u held (EM; never below the start), which no
    blocking choice touches and which sees the pairs of large entities the rule misses.
    """
    pairs = max(n_records * (n_records - 1) / 2, 1.0)
    floor = float(np.clip(max(rule_pairs, 1) / pairs, 1e-12, 0.5))
    lam = floor
    llr = scorer._llr(random_levels) if random_levels.shape[0] else np.zeros(0)
    for _ in range(max_iter if llr.size else 0):
        post = 1.0 / (1.0 + np.exp(-np.clip(math.log(lam / (1 - lam)) + llr, -50, 50)))
        new = float(np.clip(post.mean(), floor, 0.5))
        converged = abs(new - lam) <= 1e-4 * lam
        lam = new
        if converged:
            break
    return lam


def internal_duplicates(records: Records) -> dict[str, float]:
    """Per input table, the share of its records that have an identical twin in the same table.

    Why: the 1:1 step assumes each table lists an entity once; on a table with duplicates it
    keeps one copy and drops the true links of the others. A twin here is the deterministic,
    high-precision rule: every compared field equal after normalization, with at least two
    fields known (see `twin_groups`). It cannot see near-duplicates; say `one_to_one: false` in the spec for those. The
    fitted model is not used for this: it is calibrated on cross-table candidates, and a
    table's own nearest neighbours (same brand, same series) look like matches to it.
    """
    g = twin_groups(records)
    counts = np.bincount(g, minlength=len(records))
    has_twin = counts[g] > 1
    src = np.asarray(records.source)
    return {s_: round(float(has_twin[src == s_].mean()), 4) for s_ in records.sources}

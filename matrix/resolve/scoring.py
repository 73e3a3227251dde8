"""Scoring: comparison levels per field, an EM-fitted Fellegi-Sunter model, or a trained classifier.

Why Fellegi-Sunter with u fixed from random pairs: without labels, EM on candidate pairs alone
can drift into explaining "same city" as the match class. Random record pairs are almost all
non-matches, so their level frequencies pin down u (how often non-matches agree by chance);
EM then only has to learn m (how matches agree) and the match share. The resulting log-odds are
interpretable per field (the match report prints them) and turn into posterior probabilities,
so a threshold means the same thing on every dataset.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
from rapidfuzz import fuzz, process as rf_process

from matrix.resolve.prepare import Records

_CUTS = {
    "name": [99.5, 92, 80, 65],        # exact / close variant / same words mostly / related
    "text": [90, 75, 60, 45],
    "categorical": [99.5, 80],
    "identifier": [99.5, 90],
    "embedding": [0.95, 0.88, 0.80, 0.70, 0.55],
    "number": [0.005, 0.05, 0.2],     # relative difference (smaller is better)
}
# Most of the match class that may disagree on a registered domain (spec: max_mismatch per field).
DOMAIN_MISMATCH_M = 0.01
EMBED_WEIGHT_WITH_NAME = 0.5


@dataclass
class Comparison:
    """One column of the comparison vector: a name, its levels (0 = strongest agreement) and weight."""

    name: str
    n_levels: int
    weight: float
    compute: Callable[[Records, np.ndarray, np.ndarray, np.ndarray | None], np.ndarray]
    # levels from `disagree_from` on mean "the two records disagree on an identifying fact"; EM may
    # give them at most `max_disagree_m` of the match class (None: no cap)
    disagree_from: int | None = None
    max_disagree_m: float | None = None


def _levels_from_sim(sim: np.ndarray, cuts: list[float]) -> np.ndarray:
    lv = np.full(sim.shape, len(cuts), dtype=np.int8)
    for i in reversed(range(len(cuts))):
        lv[sim >= cuts[i]] = i
    return lv


def _string_cmp(fname: str, ftype: str) -> Callable:
    scorer = fuzz.token_set_ratio if ftype in ("name", "text") else fuzz.ratio
    cuts = _CUTS[ftype]
    limit = 300 if ftype == "text" else 200

    def compute(rec: Records, left: np.ndarray, right: np.ndarray, _v) -> np.ndarray:
        vals = rec.values[fname]
        a = [vals[i] for i in left.tolist()]
        b = [vals[i] for i in right.tolist()]
        missing = np.array([x is None or y is None for x, y in zip(a, b)], dtype=bool)
        aa = [(x or "")[:limit] for x in a]
        bb = [(y or "")[:limit] for y in b]
        sim = rf_process.cpdist(aa, bb, scorer=scorer, workers=1) if aa else np.zeros(0)
        sim = np.asarray(sim, dtype=np.float32)
        if ftype == "name":
            keys = rec.keys.get(fname)
            if keys is not None:  # equal after dropping legal forms counts as exact
                same = np.array([keys[i] is not None and keys[i] == keys[j] for i, j in zip(left.tolist(), right.tolist())], dtype=bool)
                sim[same] = 100.0
        lv = _levels_from_sim(sim, cuts)
        lv[missing] = -1
        return lv

    return compute


def _equal_cmp(fname: str) -> Callable:
    def compute(rec: Records, left, right, _v) -> np.ndarray:
        vals = rec.values[fname]
        out = np.empty(left.shape[0], dtype=np.int8)
        for n, (i, j) in enumerate(zip(left.tolist(), right.tolist())):
            a, b = vals[i], vals[j]
            out[n] = -1 if a is None or b is None else (0 if a == b else 1)
        return out

    return compute


def _domain_cmp(fname: str) -> Callable:
    """0 same registered domain, 1 same name under another suffix (a country site), 2 different."""

    def compute(rec: Records, left, right, _v) -> np.ndarray:
        vals = rec.values[fname]
        out = np.empty(left.shape[0], dtype=np.int8)
        for n, (i, j) in enumerate(zip(left.tolist(), right.tolist())):
            a, b = vals[i], vals[j]
            if a is None or b is None:
                out[n] = -1
            elif a == b:
                out[n] = 0
            else:
                out[n] = 1 if a.split(".", 1)[0] == b.split(".", 1)[0] else 2
        return out

    return compute


def _number_cmp(fname: str) -> Callable:
    cuts = _CUTS["number"]

    def compute(rec: Records, left, right, _v) -> np.ndarray:
        vals = rec.values[fname]
        a = np.array([np.nan if vals[i] is None else vals[i] for i in left.tolist()], dtype=np.float64)
        b = np.array([np.nan if vals[i] is None else vals[i] for i in right.tolist()], dtype=np.float64)
        denom = np.maximum(np.maximum(np.abs(a), np.abs(b)), 1e-9)
        with np.errstate(invalid="ignore"):
            rel = np.abs(a - b) / denom
        lv = np.full(a.shape, len(cuts), dtype=np.int8)
        for i in reversed(range(len(cuts))):
            lv[rel <= cuts[i]] = i
        lv[np.isnan(rel)] = -1
        return lv

    return compute


def _codes_cmp(rec: Records, left, right, _v) -> np.ndarray:
    codes = rec.codes
    out = np.empty(left.shape[0], dtype=np.int8)
    for n, (i, j) in enumerate(zip(left.tolist(), right.tolist())):
        a, b = codes[i], codes[j]
        out[n] = -1 if not a or not b else (0 if a & b else 1)
    return out


_PAIR_CHUNK = 65_536  # pairs per gather: two (chunk x dim) float32 copies, ~200 MB at 384 dims


def _embedding_cmp(rec: Records, left, right, vectors) -> np.ndarray:
    # chunked: gathering vectors for every pair at once costs 2 x pairs x dim floats (2+ GB at 100k)
    sims = np.empty(left.shape[0], dtype=np.float32)
    for start in range(0, left.shape[0], _PAIR_CHUNK):
        sl = slice(start, start + _PAIR_CHUNK)
        sims[sl] = np.einsum("ij,ij->i", vectors[left[sl]], vectors[right[sl]])
    return _levels_from_sim(sims, _CUTS["embedding"])


def comparisons(records: Records, with_vectors: bool) -> list[Comparison]:
    comps: list[Comparison] = []
    for f in records.spec.fields:
        if f.weight == 0:
            continue
        if f.type in ("name", "text"):
            comps.append(Comparison(f.name, len(_CUTS[f.type]) + 1, f.weight, _string_cmp(f.name, f.type)))
        elif f.type == "categorical":
            comps.append(Comparison(f.name, len(_CUTS["categorical"]) + 1, f.weight, _string_cmp(f.name, "categorical")))
        elif f.type == "identifier":
            comps.append(Comparison(f.name, len(_CUTS["identifier"]) + 1, f.weight, _string_cmp(f.name, "identifier"),
                                    disagree_from=1 if f.max_mismatch is not None else None, max_disagree_m=f.max_mismatch))
        elif f.type == "url-domain":
            # One organisation rarely publishes under two registered domains; EM cannot learn that
            # when look-alikes (same brand, another country's site) are common, because they look
            # like matches on everything else. So disagreement keeps at most a small m.
            cap = f.max_mismatch if f.max_mismatch is not None else DOMAIN_MISMATCH_M
            comps.append(Comparison(f.name, 3, f.weight, _domain_cmp(f.name), disagree_from=1, max_disagree_m=cap))
        elif f.type == "number":
            comps.append(Comparison(f.name, len(_CUTS["number"]) + 1, f.weight, _number_cmp(f.name)))
    if any(records.codes):
        comps.append(Comparison("codes", 2, 1.0, _codes_cmp))
    if with_vectors:
        # the embedded text is mostly the name: when a name field is compared too, the two views
        # of one string share the evidence instead of counting it twice
        has_name = any(f.type == "name" and f.weight > 0 and f.embedded for f in records.spec.fields)
        comps.append(Comparison("embedding", len(_CUTS["embedding"]) + 1, EMBED_WEIGHT_WITH_NAME if has_name else 1.0,
                                _embedding_cmp))
    return comps


def blocking_biased(records: Records, with_vectors: bool) -> frozenset[str]:
    """Comparisons whose agreement the blockers select for (lexical fields, embedded fields, exact keys)."""
    names = {f.name for f in records.spec.fields if f.weight > 0 and (f.embedded or f.name in records.keys or f.type == "name")}
    if with_vectors:
        names.add("embedding")
    return frozenset(names)


def compare(records: Records, comps: list[Comparison], left: np.ndarray, right: np.ndarray, vectors: np.ndarray | None) -> np.ndarray:
    """Level matrix (pairs x comparisons), -1 where either side is unknown."""
    if left.size == 0:
        return np.zeros((0, len(comps)), dtype=np.int8)
    return np.stack([c.compute(records, left, right, vectors) for c in comps], axis=1).astype(np.int8)


def random_pairs(records: Records, n_pairs: int, cross_only: bool, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Random record pairs (cross-source when linking): almost all non-matches, used to estimate u."""
    rng = np.random.default_rng(seed)
    n = len(records)
    if n < 2:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    l = rng.integers(0, n, n_pairs)
    r = rng.integers(0, n, n_pairs)
    keep = l != r
    if cross_only:
        src = np.asarray(records.source)
        keep &= src[l] != src[r]
    return l[keep], r[keep]


@dataclass
class FellegiSunter:
    """m/u per comparison level; `log_odds` sums weighted log2(m/u) over known comparisons."""

    comps: list[Comparison]
    m: list[np.ndarray] = field(default_factory=list)
    u: list[np.ndarray] = field(default_factory=list)
    prior: float = 0.01
    iterations: int = 0

    def fit_u(self, levels: np.ndarray) -> None:
        self.u = []
        for c, comp in enumerate(self.comps):
            col = levels[:, c]
            counts = np.bincount(col[col >= 0], minlength=comp.n_levels).astype(np.float64) + 0.5
            self.u.append(counts / counts.sum())

    def _init_m(self) -> None:
        self.m = []
        for comp in self.comps:
            p = np.array([0.5 ** i for i in range(comp.n_levels)], dtype=np.float64)
            p[-1] = min(p[-1], 0.02)
            self.m.append(p / p.sum())

    def _llr(self, levels: np.ndarray) -> np.ndarray:
        """Per-pair weighted natural-log likelihood ratio."""
        total = np.zeros(levels.shape[0], dtype=np.float64)
        for c, comp in enumerate(self.comps):
            col = levels[:, c]
            known = col >= 0
            w = np.log(self.m[c]) - np.log(self.u[c])
            total[known] += comp.weight * w[col[known]]
        return total

    def fit_m(self, levels: np.ndarray, max_iter: int = 50, tol: float = 1e-5, update_u: frozenset[str] = frozenset()) -> None:
        """EM on candidate pairs; u stays at its random-pair estimate except for comparisons in `update_u`.

        Blocking selects candidates by name/embedding/keys, so among candidates those
        comparisons agree far more often than random pairs suggest: their u is re-estimated on
        the candidates. The others keep the unbiased random-pair u, which anchors the match class.
        """
        self._init_m()
        self._cap_disagreement()
        if levels.shape[0] == 0:
            return
        prior = 0.1
        for it in range(max_iter):
            logit = math.log(prior / (1 - prior)) + self._llr(levels)
            post = 1.0 / (1.0 + np.exp(-np.clip(logit, -50, 50)))
            new_prior = float(np.clip(post.mean(), 1e-6, 1 - 1e-6))
            delta = abs(new_prior - prior)
            for c, comp in enumerate(self.comps):
                col = levels[:, c]
                known = col >= 0
                mass = np.bincount(col[known], weights=post[known], minlength=comp.n_levels) + 1e-3
                new_m = mass / mass.sum()
                delta = max(delta, float(np.abs(new_m - self.m[c]).max()))
                self.m[c] = new_m
                if comp.name in update_u:
                    umass = np.bincount(col[known], weights=1 - post[known], minlength=comp.n_levels) + 1e-3
                    self.u[c] = umass / umass.sum()
            self._monotone()
            self._cap_disagreement()
            prior = new_prior
            self.iterations = it + 1
            if delta < tol:
                break
        self.prior = prior

    def _cap_disagreement(self) -> None:
        """Keep the m mass of 'disagree' levels under the comparison's cap (see Comparison).

        Inside the capped tail, m follows u: every kind of disagreement (another country's site,
        an unrelated domain) is then the same, strong evidence against a match, rather than EM
        deciding from look-alikes that a rare disagreement must be a match.
        """
        for c, comp in enumerate(self.comps):
            if comp.disagree_from is None or comp.max_disagree_m is None:
                continue
            m, u = self.m[c].copy(), self.u[c] if self.u else None
            k = comp.disagree_from
            tail = min(float(m[k:].sum()), comp.max_disagree_m)
            head = m[:k].sum()
            if head <= 0:
                continue
            m[:k] *= (1 - tail) / head
            w = u[k:] if u is not None and len(u) == len(m) and u[k:].sum() > 0 else np.ones(len(m) - k)
            m[k:] = tail * w / w.sum()
            self.m[c] = m

    def _monotone(self) -> None:
        """Stronger agreement may never be weaker evidence: pool adjacent levels that violate it."""
        for c in range(len(self.comps)):
            m, u = self.m[c], self.u[c]
            ratio = list(np.log(m) - np.log(u))
            # pool-adjacent-violators on the log Bayes factor, weighted by m+u
            blocks = [[ratio[i], m[i] + u[i], [i]] for i in range(len(ratio))]
            i = 0
            while i < len(blocks) - 1:
                if blocks[i][0] < blocks[i + 1][0]:
                    a, b = blocks[i], blocks[i + 1]
                    w = a[1] + b[1]
                    blocks[i] = [(a[0] * a[1] + b[0] * b[1]) / w, w, a[2] + b[2]]
                    del blocks[i + 1]
                    i = max(i - 1, 0)
                else:
                    i += 1
            if len(blocks) == len(ratio):
                continue
            new_m, new_u = m.copy(), u.copy()
            for val, _, idx in blocks:
                if len(idx) == 1:
                    continue
                ms, us = m[idx].sum(), u[idx].sum()
                # keep total masses, equalize the ratio inside the pooled block
                new_m[idx] = m[idx] + u[idx]
                new_m[idx] *= ms / new_m[idx].sum()
                new_u[idx] = m[idx] + u[idx]
                new_u[idx] *= us / new_u[idx].sum()
            self.m[c], self.u[c] = new_m, new_u

    def probability(self, levels: np.ndarray) -> np.ndarray:
        logit = math.log(self.prior / (1 - self.prior)) + self._llr(levels)
        return 1.0 / (1.0 + np.exp(-np.clip(logit, -50, 50)))

    def describe(self) -> dict[str, Any]:
        return {
            "prior": round(self.prior, 6),
            "iterations": self.iterations,
            "comparisons": {
                c.name: {"weight": c.weight,
                         "log2_bayes_factor_by_level": [round(float(x), 2) for x in np.log2(self.m[i] / self.u[i])]}
                for i, c in enumerate(self.comps)
            },
        }


def one_hot(levels: np.ndarray, comps: list[Comparison]) -> np.ndarray:
    """Levels as one-hot columns (unknown = all zeros) for a supervised classifier."""
    cols = []
    for c, comp in enumerate(comps):
        block = np.zeros((levels.shape[0], comp.n_levels), dtype=np.float32)
        known = levels[:, c] >= 0
        block[np.flatnonzero(known), levels[known, c]] = 1.0
        cols.append(block)
    return np.concatenate(cols, axis=1) if cols else np.zeros((levels.shape[0], 0), np.float32)


class TrainedScorer:
    """Logistic regression on one-hot comparison levels, trained from labelled pairs."""

    def __init__(self, comps: list[Comparison]) -> None:
        from sklearn.linear_model import LogisticRegression

        self.comps = comps
        self.model = LogisticRegression(max_iter=1000, C=1.0)

    def fit(self, levels: np.ndarray, labels: np.ndarray) -> "TrainedScorer":
        if len(set(labels.tolist())) < 2:
            raise ValueError("training labels need both matches (1) and non-matches (0)")
        self.model.fit(one_hot(levels, self.comps), labels)
        return self

    def probability(self, levels: np.ndarray) -> np.ndarray:
        if levels.shape[0] == 0:
            return np.zeros(0)
        return self.model.predict_proba(one_hot(levels, self.comps))[:, 1]

    def describe(self) -> dict[str, Any]:
        return {"model": "logistic-regression", "coefficients": int(self.model.coef_.size)}

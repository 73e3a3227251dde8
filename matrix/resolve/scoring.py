"""Scoring: comparison levels per field, an EM-fitted Fellegi-Sunter model, or a trained classifier.

Why Fellegi-Sunter with u fixed from random pairs: without labels, EM on candidate pairs alone
can drift into explaining "same city" as the match class. Random record pairs are almost all
non-matches, so their level frequencies pin down u (how often non-matches agree by chance);
EM then only has to learn m (how matches agree) and the match share. The resulting log-odds are
interpretable per field (the match report prints them) and turn into posterior probabilities,
so a threshold means the same thing on every dataset.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
from rapidfuzz import fuzz
from rapidfuzz import process as rf_process
from scipy import sparse

from matrix.resolve.fieldtypes import date_typo, given_compatible
from matrix.resolve.prepare import Records, embedded_field, person_name_keys

_CUTS: dict[str, list[float]] = {
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
# Sanity of an EM fit (FellegiSunter.problems): how far the prior EM asks for may exceed the
# bound before the fit counts as collapsed, and how many adjacent levels may share a factor.
PRIOR_OVER_BOUND = 3.0
MAX_TIED_LEVELS = 2


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
    level_names: list[str] | None = None


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
        missing = np.array([x is None or y is None for x, y in zip(a, b, strict=True)], dtype=bool)
        aa = [(x or "")[:limit] for x in a]
        bb = [(y or "")[:limit] for y in b]
        sim = rf_process.cpdist(aa, bb, scorer=scorer, workers=1) if aa else np.zeros(0)
        sim = np.asarray(sim, dtype=np.float32)
        if ftype == "name":
            keys = rec.keys.get(fname)
            if keys is not None:  # equal after dropping legal forms counts as exact
                same = np.array(
                    [keys[i] is not None and keys[i] == keys[j] for i, j in zip(left.tolist(), right.tolist(), strict=True)],
                    dtype=bool,
                )
                sim[same] = 100.0
        lv = _levels_from_sim(sim, cuts)
        lv[missing] = -1
        return lv

    return compute


def _equal_cmp(fname: str) -> Callable:
    def compute(rec: Records, left, right, _v) -> np.ndarray:
        vals = rec.values[fname]
        out = np.empty(left.shape[0], dtype=np.int8)
        for n, (i, j) in enumerate(zip(left.tolist(), right.tolist(), strict=True)):
            a, b = vals[i], vals[j]
            out[n] = -1 if a is None or b is None else (0 if a == b else 1)
        return out

    return compute


def _domain_cmp(fname: str) -> Callable:
    """0 same registered domain, 1 same name under another suffix (a country site), 2 different."""

    def compute(rec: Records, left, right, _v) -> np.ndarray:
        vals = rec.values[fname]
        out = np.empty(left.shape[0], dtype=np.int8)
        for n, (i, j) in enumerate(zip(left.tolist(), right.tolist(), strict=True)):
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


# --- composable comparisons (splink-style): a comparison is an ordered list of levels, the first
# level whose test a pair passes is its level; unknown on either side is -1. Levels are ordered by
# design (each is stronger evidence than the next), so EM only has to learn how much each says.
@dataclass(frozen=True)
class Level:
    """One comparison level: a name for reports and a test on two known, normalized values."""

    name: str
    test: Callable[[Any, Any], bool]


def leveled(fname: str, levels: list[Level]) -> Callable:
    """A comparison `compute` from ordered levels; pairs passing none get the last level + 1 ('else')."""

    def compute(rec: Records, left, right, _v) -> np.ndarray:
        vals = rec.values[fname]
        out = np.empty(left.shape[0], dtype=np.int8)
        n_lv = len(levels)
        for n, (i, j) in enumerate(zip(left.tolist(), right.tolist(), strict=True)):
            a, b = vals[i], vals[j]
            if a is None or b is None:
                out[n] = -1
                continue
            for k, lv in enumerate(levels):
                if lv.test(a, b):
                    out[n] = k
                    break
            else:
                out[n] = n_lv
        return out

    return compute


def _sim(a: str, b: str) -> float:
    return fuzz.token_set_ratio(a, b)


def person_levels() -> list[Level]:
    return [
        Level("same name", lambda a, b: a == b),
        Level("same family name, given name or initial agrees", lambda a, b: a.family == b.family and given_compatible(a, b)),
        Level("close spelling", lambda a, b: fuzz.token_sort_ratio(a.text, b.text) >= 88),
        Level("same family name", lambda a, b: a.family == b.family or a.family in b.given or b.family in a.given),
    ]


def address_levels() -> list[Level]:
    return [
        Level(
            "same number and street",
            lambda a, b: (
                a.number == b.number and _sim(a.street, b.street) >= 95 and (a.unit is None or b.unit is None or a.unit == b.unit)
            ),
        ),
        Level("same number, similar street", lambda a, b: a.number == b.number and _sim(a.street, b.street) >= 75),
        Level(
            "number unknown, similar street",
            lambda a, b: (a.number is None or b.number is None) and _sim(a.street, b.street) >= 85,
        ),
        Level("street differs", lambda a, b: a.number is None or b.number is None or a.number == b.number),
        # else: the house numbers differ -- strong evidence (capped m, see comparisons())
    ]


def phone_levels() -> list[Level]:
    return [Level("same number", lambda a, b: a == b),
            Level("same last 7 digits", lambda a, b: len(a) >= 7 and len(b) >= 7 and a[-7:] == b[-7:])]


def date_levels() -> list[Level]:
    return [
        Level("same date", lambda a, b: a == b),
        Level("one keying error apart", date_typo),
        Level("same year", lambda a, b: a.year == b.year),
        Level("a year apart", lambda a, b: abs(a.year - b.year) <= 1),
    ]


def _overlap(a: frozenset, b: frozenset) -> float:
    return len(a & b) / max(min(len(a), len(b)), 1)


def list_levels() -> list[Level]:
    return [
        Level("same items", lambda a, b: a.items == b.items),
        Level("half the items shared", lambda a, b: _overlap(a.items, b.items) >= 0.5),
        Level("half the last words shared", lambda a, b: _overlap(a.loose, b.loose) >= 0.5),
        Level("some overlap", lambda a, b: bool(a.loose & b.loose)),
    ]


def _set_matrix(sets: list[frozenset[str] | None]) -> tuple[sparse.csr_matrix, np.ndarray]:
    """Records x distinct items (1 where a record's set holds the item) and each set's size."""
    vocab: dict[str, int] = {}
    rows, cols = [], []
    for i, st in enumerate(sets):
        for item in st or ():
            rows.append(i)
            cols.append(vocab.setdefault(item, len(vocab)))
    x = sparse.csr_matrix((np.ones(len(cols), np.float32), (rows, cols)), shape=(len(sets), max(len(vocab), 1)))
    return x, np.array([len(st) if st else 0 for st in sets], dtype=np.int64)


def _list_cmp(fname: str) -> Callable:
    """`list_levels`, vectorized: each record's items (and their last words) are a sparse row, so
    a pair's shared items are one row-wise product. The generic per-pair `leveled` loop was most
    of a dedup's time after embedding (PATSTAT: co-authors and classes on 50k random pairs)."""
    cache: list = [None, None]  # the Records last seen (held, not its id) and its matrices

    def matrices(rec: Records):
        if cache[0] is not rec:
            vals = rec.values[fname]
            cache[:] = [rec, (_set_matrix([v.items if v else None for v in vals]),
                              _set_matrix([v.loose if v else None for v in vals]),
                              np.array([v is None for v in vals], dtype=bool))]
        return cache[1]

    def compute(rec: Records, left, right, _v) -> np.ndarray:
        (xi, ni), (xl, nl), missing = matrices(rec)
        shared = np.asarray(xi[left].multiply(xi[right]).sum(axis=1)).ravel().astype(np.int64)
        shared_loose = np.asarray(xl[left].multiply(xl[right]).sum(axis=1)).ravel().astype(np.int64)
        a, b = ni[left], ni[right]
        out = np.full(left.shape[0], 4, dtype=np.int8)
        out[shared_loose > 0] = 3
        out[2 * shared_loose >= np.minimum(nl[left], nl[right])] = 2
        out[2 * shared >= np.minimum(a, b)] = 1
        out[(shared == a) & (shared == b)] = 0
        out[missing[left] | missing[right]] = -1
        return out

    return compute


TYPED_LEVELS = {"person": person_levels, "address": address_levels, "phone": phone_levels, "date": date_levels,
                "list": list_levels}
ADDRESS_NUMBER_MISMATCH_M = 0.05  # most of the match class that may carry two different house numbers


def _codes_cmp(rec: Records, left, right, _v) -> np.ndarray:
    codes = rec.codes
    out = np.empty(left.shape[0], dtype=np.int8)
    for n, (i, j) in enumerate(zip(left.tolist(), right.tolist(), strict=True)):
        a, b = codes[i], codes[j]
        out[n] = -1 if not a or not b else (0 if a & b else 1)
    return out


# pairs per gather: two (chunk x dim) float32 copies that stay in cache (6 MB at 384 dims); 65,536
# (200 MB per copy) was 2x slower, measured on 500k pairs x 384 (every copy a fresh page-faulted block)
_PAIR_CHUNK = 4_096


def _embedding_cmp(rec: Records, left, right, vectors, groups: np.ndarray | None = None) -> np.ndarray:
    """Embedding cosine levels; unknown when the two vectors embed different fields (`groups`:
    `blocking.embedded_field`): a title's vector against an actor's name says nothing."""
    # chunked: gathering vectors for every pair at once costs 2 x pairs x dim floats (2+ GB at 100k)
    sims = np.empty(left.shape[0], dtype=np.float32)
    for start in range(0, left.shape[0], _PAIR_CHUNK):
        sl = slice(start, start + _PAIR_CHUNK)
        # multiply-and-sum: 2.5x faster than einsum("ij,ij->i") here (measured, 47k pairs x 384)
        sims[sl] = (vectors[left[sl]] * vectors[right[sl]]).sum(axis=1)
    lv = _levels_from_sim(sims, _CUTS["embedding"])
    if groups is not None:
        lv[(groups[left] != groups[right]) | (groups[left] < 0)] = -1
    return lv


PEOPLE_LEVELS = ["a name shared across fields that no other record carries", "a name shared across fields", "else"]


def _people_cmp(fields: list[str]) -> Callable:
    """A person one record names in one field that the other names in *another* field (same
    name key, see `prepare.person_name_keys`): 0 when no third record carries that name (a
    one-off writer is strong evidence; a director with twenty films is not), 1 when others do
    too; 2: both name people in different fields, none shared; unknown otherwise. Same-field
    agreement is the field's own comparison, so it is not counted twice."""
    # the records last seen, their keys per record ((field index, keys) for fields naming
    # someone) and how many records carry each key; holding the Records itself (not its id) so
    # a new object can never be mistaken for it
    cache: list = [None, None, None]

    def keys_of(rec: Records) -> tuple[list[list[tuple[int, frozenset[str]]]], Counter]:
        if cache[0] is not rec:
            per = [[(k, person_name_keys(rec.raw[f][i])) for k, f in enumerate(fields)] for i in range(len(rec))]
            rows = [[(k, ks) for k, ks in row if ks] for row in per]
            df = Counter(key for row in rows for key in frozenset().union(*(ks for _, ks in row)))
            cache[:] = [rec, rows, df]
        return cache[1], cache[2]

    def compute(rec: Records, left, right, _v) -> np.ndarray:
        keys, df = keys_of(rec)
        out = np.full(left.shape[0], -1, dtype=np.int8)
        for n, (i, j) in enumerate(zip(left.tolist(), right.tolist(), strict=True)):
            best = 3
            for fa, ka in keys[i]:
                for fb, kb in keys[j]:
                    if fa != fb:
                        shared = ka & kb
                        best = min(best, (0 if min(df[x] for x in shared) <= 2 else 1) if shared else 2)
            out[n] = -1 if best == 3 else best
        return out

    return compute


def comparisons(records: Records, with_vectors: bool) -> list[Comparison]:
    comps: list[Comparison] = []
    for f in records.spec.fields:
        if f.weight == 0:
            continue
        if f.type in ("name", "text", "organisation"):
            kind = "name" if f.type == "organisation" else f.type
            comps.append(Comparison(f.name, len(_CUTS[kind]) + 1, f.weight, _string_cmp(f.name, kind)))
        elif f.type in TYPED_LEVELS:
            lv = TYPED_LEVELS[f.type]()
            cap: dict[str, Any] = dict(disagree_from=len(lv), max_disagree_m=f.max_mismatch or ADDRESS_NUMBER_MISMATCH_M) \
                if f.type == "address" else dict(disagree_from=len(lv) if f.max_mismatch else None, max_disagree_m=f.max_mismatch)
            compute = _list_cmp(f.name) if f.type == "list" else leveled(f.name, lv)
            comps.append(Comparison(f.name, len(lv) + 1, f.weight, compute,
                                    level_names=[x.name for x in lv] + ["else"], **cap))
        elif f.type == "categorical":
            comps.append(Comparison(f.name, len(_CUTS["categorical"]) + 1, f.weight, _string_cmp(f.name, "categorical")))
        elif f.type == "identifier":
            comps.append(Comparison(f.name, len(_CUTS["identifier"]) + 1, f.weight, _string_cmp(f.name, "identifier"),
                                    disagree_from=1 if f.max_mismatch is not None else None, max_disagree_m=f.max_mismatch))
        elif f.type == "url-domain":
            # One organisation rarely publishes under two registered domains; EM cannot learn that
            # when look-alikes (same brand, another country's site) are common, because they look
            # like matches on everything else. So disagreement keeps at most a small m.
            domain_cap = f.max_mismatch if f.max_mismatch is not None else DOMAIN_MISMATCH_M
            comps.append(Comparison(f.name, 3, f.weight, _domain_cmp(f.name), disagree_from=1, max_disagree_m=domain_cap))
        elif f.type == "number":
            comps.append(Comparison(f.name, len(_CUTS["number"]) + 1, f.weight, _number_cmp(f.name)))
    if any(records.codes):
        comps.append(Comparison("codes", 2, 1.0, _codes_cmp))
    people = [f.name for f in records.spec.fields if f.type == "person" and f.weight > 0]
    if len(people) >= 2:  # one person filed under different roles by the two sources
        comps.append(Comparison(PEOPLE, len(PEOPLE_LEVELS), 1.0, _people_cmp(people), level_names=PEOPLE_LEVELS))
    if with_vectors:
        # the embedded text is mostly the name: when a name field is compared too, the two views
        # of one string share the evidence instead of counting it twice
        has_name = any(f.type == "name" and f.weight > 0 and f.embedded for f in records.spec.fields)
        groups = embedded_field(records)
        comps.append(Comparison("embedding", len(_CUTS["embedding"]) + 1, EMBED_WEIGHT_WITH_NAME if has_name else 1.0,
                                lambda rec, lp, r, v: _embedding_cmp(rec, lp, r, v, groups if rec is records else
                                                                     embedded_field(rec))))
    return comps


PEOPLE = "people"  # the cross-field person comparison (see `_people_cmp`)


def blocking_biased(records: Records, with_vectors: bool) -> frozenset[str]:
    """Comparisons whose agreement the blockers select for (lexical fields, embedded fields, exact keys)."""
    names = {f.name for f in records.spec.fields
             if f.weight > 0 and (f.embedded or f.name in records.keys or f.type in ("name", "organisation", "person"))}
    if with_vectors:
        names.add("embedding")
    if sum(f.type == "person" and f.weight > 0 for f in records.spec.fields) >= 2:
        names.add(PEOPLE)  # the person blocker selects on it
    return frozenset(names)


COMPARE_CHUNK = 100_000  # pairs per progress step


def compare(records: Records, comps: list[Comparison], left: np.ndarray, right: np.ndarray,
            vectors: np.ndarray | None, progress: bool | None = False) -> np.ndarray:
    """Level matrix (pairs x comparisons), -1 where either side is unknown.

    `progress`: a bar on stderr counting pairs compared (rate, ETA); None = only for 1,000+ pairs.
    """
    if left.size == 0:
        return np.zeros((0, len(comps)), dtype=np.int8)
    from matrix.embed import progress_bar

    out = np.empty((left.size, len(comps)), dtype=np.int8)
    with progress_bar(int(left.size), "comparing", "pairs", enabled=progress) as bar:
        for start in range(0, left.size, COMPARE_CHUNK):
            sl = slice(start, start + COMPARE_CHUNK)
            for c, comp in enumerate(comps):
                out[sl, c] = comp.compute(records, left[sl], right[sl], vectors)
            bar.update(int(left[sl].size))
    return out


def random_pairs(records: Records, n_pairs: int, cross_only: bool, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Random record pairs (cross-source when linking): almost all non-matches, used to estimate u."""
    rng = np.random.default_rng(seed)
    n = len(records)
    if n < 2:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    lp = rng.integers(0, n, n_pairs)
    r = rng.integers(0, n, n_pairs)
    keep = lp != r
    if cross_only:
        src = np.asarray(records.source)
        keep &= src[lp] != src[r]
    return lp[keep], r[keep]


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

    def _init_m(self, steep: float = 0.5) -> None:
        self.m = []
        for comp in self.comps:
            p = np.array([steep ** i for i in range(comp.n_levels)], dtype=np.float64)
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

    prior_bounds: tuple[float, float] = (1e-6, 1 - 1e-6)
    wanted_prior: float = 0.0  # the largest prior EM asked for before the bounds clipped it

    def fit_m(self, levels: np.ndarray, max_iter: int = 50, tol: float = 1e-5, update_u: frozenset[str] = frozenset(),
              prior_init: float = 0.1, steep: float = 0.5, weights: np.ndarray | None = None) -> None:
        """EM on candidate pairs; u stays at its random-pair estimate except for comparisons in `update_u`.

        `weights`: how many pairs each row of `levels` stands for (see `distinct_patterns`).

        Blocking selects candidates by name/embedding/keys, so among candidates those
        comparisons agree far more often than random pairs suggest: their u is re-estimated on
        the candidates. The others keep the unbiased random-pair u, which anchors the match class.
        """
        self._init_m(steep)
        self._cap_disagreement()
        if levels.shape[0] == 0:
            return
        lo, hi = self.prior_bounds
        prior = float(np.clip(prior_init, lo, hi))
        self.wanted_prior = 0.0
        w = np.ones(levels.shape[0]) if weights is None else np.asarray(weights, dtype=np.float64)
        total = float(w.sum())
        for it in range(max_iter):
            logit = math.log(prior / (1 - prior)) + self._llr(levels)
            post = 1.0 / (1.0 + np.exp(-np.clip(logit, -50, 50)))
            self.wanted_prior = float((post * w).sum() / total)
            new_prior = float(np.clip(self.wanted_prior, lo, hi))
            delta = abs(new_prior - prior)
            for c, comp in enumerate(self.comps):
                col = levels[:, c]
                known = col >= 0
                mass = np.bincount(col[known], weights=(post * w)[known], minlength=comp.n_levels) + 1e-3
                new_m = mass / mass.sum()
                delta = max(delta, float(np.abs(new_m - self.m[c]).max()))
                self.m[c] = new_m
                if comp.name in update_u:
                    umass = np.bincount(col[known], weights=((1 - post) * w)[known], minlength=comp.n_levels) + 1e-3
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
            for _val, _, idx in blocks:
                if len(idx) == 1:
                    continue
                ms, us = m[idx].sum(), u[idx].sum()
                # keep total masses, equalize the ratio inside the pooled block
                new_m[idx] = m[idx] + u[idx]
                new_m[idx] *= ms / new_m[idx].sum()
                new_u[idx] = m[idx] + u[idx]
                new_u[idx] *= us / new_u[idx].sum()
            self.m[c], self.u[c] = new_m, new_u

    def _log_u(self, levels: np.ndarray) -> np.ndarray:
        total = np.zeros(levels.shape[0], dtype=np.float64)
        for c, comp in enumerate(self.comps):
            col = levels[:, c]
            known = col >= 0
            total[known] += comp.weight * np.log(self.u[c])[col[known]]
        return total

    def log_likelihood(self, levels: np.ndarray, weights: np.ndarray | None = None) -> float:
        """Mean log-likelihood of the candidate pairs under the two-class mixture."""
        if levels.shape[0] == 0:
            return 0.0
        lu = self._log_u(levels)
        lm = lu + self._llr(levels)
        return float(np.average(np.logaddexp(math.log(self.prior) + lm, math.log1p(-self.prior) + lu), weights=weights))

    def problems(self, levels: np.ndarray, min_share: float = 0.002, min_gap_bits: float = 0.05,
                 max_over_bound: float = PRIOR_OVER_BOUND, max_tied: int = MAX_TIED_LEVELS,
                 weights: np.ndarray | None = None) -> list[str]:
        """Why this fit is not a sane model (empty list = sane).

        - the prior EM wanted lies far above what the data allow (more than `max_over_bound`
          times the bound it was clipped at: the match class is absorbing non-matches);
        - a comparison's Bayes factors are not ordered across its agreement levels: more than
          `max_tied` adjacent levels that hold data share one factor (EM decided that "exact",
          "close" and "related" say the same) and that factor alone outweighs the prior odds, so
          "somewhat similar on this field" decides a match - the collapse. Two pooled neighbours
          are ordinary isotonic smoothing of a noisy level, and a tie too weak to decide
          anything (categories that agree a little or a lot) is harmless. The factor is taken
          at the comparison's weight (what it adds to a pair's log odds): a half-weight
          embedding that only echoes the name cannot decide a match alone;
        - no comparison with data separates the classes (m == u on every one of them: the two
          classes are not matches and non-matches but something else). One field with m == u
          is no collapse: a column both sources fill with different facts (one lists the lead
          actor, the other a supporting one) is simply uninformative.
        """
        out = []
        lo, hi = self.prior_bounds
        prior_deficit = math.log2((1 - self.prior) / self.prior)  # bits a pair needs to become a match
        if self.wanted_prior > hi * max_over_bound:
            out.append(f"prior {self.wanted_prior:.4g} far above the bound {hi:.4g}")
        flat = []
        w = np.ones(levels.shape[0]) if weights is None else np.asarray(weights, dtype=np.float64)
        for c, comp in enumerate(self.comps):
            col = levels[:, c]
            known = col >= 0
            col = col[known]
            if col.size == 0:
                continue
            share = np.bincount(col, weights=w[known], minlength=comp.n_levels) / w[known].sum()
            tie = self._tied_levels(c, share, min_share, min_gap_bits, max_tied, prior_deficit)
            if tie:
                out.append(tie)
            flat.append((comp.name, float(np.abs(self.m[c] - self.u[c]).sum()) / 2 < 0.01))
        if flat and all(f for _, f in flat):
            out.append("m equals u on every comparison (" + ", ".join(n for n, _ in flat) + ")")
        return out

    def absorbed_by_u(self, update_u: frozenset[str], levels: np.ndarray, weights: np.ndarray,
                      min_known: float = 0.5) -> list[str]:
        """A comparison of the record's name whose u followed the candidates (the caller passes
        those: `update_u` & the name fields) and that ended with m == u although most candidate
        pairs have it known: its evidence was absorbed, not learned.

        Why: with u free on the fields the blockers select on, EM has a fixed point whose two
        classes are the blocking passes ("shares the first name" / "shares the surname"), not
        matches and non-matches. Measured on RLdata10000 (German person dedup, session 7): the
        surname carried 0 bits at every level, "same first name" +1.3 bits and "different first
        name" -17 bits; every other check passed and B-cubed F1 was 0.11. The record's own name
        cannot be uninformative about identity. Other fields can (imdb_dbpedia's `actor`: one
        source lists the lead, the other a supporting actor), so only the name is checked."""
        out = []
        w = np.asarray(weights, dtype=np.float64)
        for c, comp in enumerate(self.comps):
            if comp.name not in update_u:
                continue
            known = levels[:, c] >= 0
            if w[known].sum() < min_known * w.sum():
                continue
            if float(np.abs(self.m[c] - self.u[c]).sum()) / 2 < 0.01:
                out.append(f"{comp.name}: m equals u after u followed the candidates (its evidence was absorbed)")
        return out

    def _tied_levels(self, c: int, share: np.ndarray, min_share: float, min_gap_bits: float, max_tied: int,
                     prior_deficit: float) -> str | None:
        """More than `max_tied` adjacent agreement levels with data (`share`: of the known pairs per
        level) sharing one weighted Bayes factor that alone outweighs the prior odds (see
        `problems`), described; else None."""
        comp = self.comps[c]
        bf = np.log2(self.m[c] / self.u[c])
        held = [i for i in range(comp.n_levels - 1) if share[i] >= min_share]  # agreement levels with data
        run = [held[0]] if held else []
        for a, b in itertools.pairwise(held):
            run = run + [b] if bf[a] - bf[b] < min_gap_bits else [b]
            if len(run) > max_tied and comp.weight * bf[b] >= prior_deficit:
                return f"{comp.name}: levels {run[0]}..{run[-1]} share one Bayes factor ({bf[b]:.2f} bits)"
        return None

    def probability(self, levels: np.ndarray) -> np.ndarray:
        logit = math.log(self.prior / (1 - self.prior)) + self._llr(levels)
        return 1.0 / (1.0 + np.exp(-np.clip(logit, -50, 50)))

    def describe(self) -> dict[str, Any]:
        return {
            "prior": round(self.prior, 6),
            "prior_bounds": [round(float(x), 6) for x in self.prior_bounds],
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


# Several EM starts: (initial prior as a share of the upper bound, steepness of the initial m).
EM_STARTS = ((0.5, 0.5), (0.1, 0.5), (0.02, 0.3), (0.5, 0.8))


def distinct_patterns(levels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of a level matrix and how many pairs each stands for.

    Why: a pair's posterior depends only on its row of levels, and half a million candidate
    pairs hold a few hundred distinct rows; EM, likelihood and the sanity checks on the
    weighted distinct rows give the same fit for a fraction of the work (8 EM starts were most
    of the time after embedding on small sets, and 15 s on a 50k-record linkage).
    """
    if levels.shape[0] == 0:
        return levels, np.zeros(0, np.float64)
    rows, counts = np.unique(levels, axis=0, return_counts=True)
    return rows, counts.astype(np.float64)


def fit_robust(comps: list[Comparison], u_levels: np.ndarray, levels: np.ndarray, bounds: tuple[float, float],
               update_u: frozenset[str] = frozenset(), starts=EM_STARTS,
               progress: bool | None = False,
               name_fields: frozenset[str] = frozenset()) -> tuple["FellegiSunter", dict[str, Any]]:
    """EM from several starts; the best likelihood among sane fits (see `FellegiSunter.problems`).

    Why: EM on candidate pairs has more than one fixed point. On a small table linked to a big
    one, "similar title" explains most candidates, and a fit where the match class swallows
    them (prior 0.6 among candidates, all title levels one Bayes factor) can have the higher
    likelihood. The prior is therefore bounded by what the data allow, and a fit that breaks
    the design (prior far above its bound, tied levels, m == u) is never chosen.

    Two stages: first u stays fixed at its random-pair estimate for every comparison (the
    textbook model). Candidates are chosen for similar names, so non-matching candidates agree
    on names far more often than random pairs do; when that makes every fixed-u start collapse,
    the second stage lets u of the comparisons the blockers select on (`update_u`) follow the
    candidates; a second-stage fit where a field of the record's name (`name_fields`) ends with
    m == u is not sane either (`FellegiSunter.absorbed_by_u`). When no start of either stage is
    sane, the conservative model is used: m as designed (each level half as likely as the one
    above), random-pair u, and the caller sets the prior from its deterministic rule - and says so.
    """
    lo, hi = bounds
    tried = []
    best, best_ll, stage_used = None, -math.inf, None
    patterns, counts = distinct_patterns(levels)
    stages: list[tuple[str, frozenset[str]]] = [("random pairs", frozenset())]
    if update_u:
        stages.append(("candidates for " + ", ".join(sorted(update_u)), update_u))
    from matrix.embed import PROGRESS_MIN, progress_bar

    shown = progress if progress is not None else (levels.shape[0] >= PROGRESS_MIN or None)
    bar = progress_bar(len(stages) * len(starts), "fitting", "EM starts", enabled=shown)
    for stage, upd in stages:
        for share, steep in starts:
            bar.update(1)
            fs = FellegiSunter(comps, prior_bounds=(lo, hi))
            fs.fit_u(u_levels)
            fs.fit_m(patterns, update_u=upd, prior_init=max(lo, share * hi), steep=steep, weights=counts)
            ll = fs.log_likelihood(patterns, counts)
            probs = fs.problems(patterns, weights=counts) + fs.absorbed_by_u(upd & name_fields, patterns, counts)
            tried.append({"u_from": stage, "prior_init": round(max(lo, share * hi), 6), "m_steepness": steep,
                          "prior": round(fs.prior, 6), "log_likelihood": round(ll, 5), "problems": probs})
            if not probs and ll > best_ll:
                best, best_ll, stage_used = fs, ll, stage
        if best is not None:
            break
    if hasattr(bar, "close"):
        bar.close()
    diag: dict[str, Any] = {"starts": tried, "fallback": None, "u_from": stage_used}
    if best is None:
        best = conservative_model(comps, u_levels, bounds)
        diag["u_from"] = "random pairs"
        problems = "; ".join(sorted({p for t in tried for p in t["problems"]})[:6])
        diag["fallback"] = "no EM start gave a sane model (" + problems + \
            "): using the conservative model (designed m, random-pair u, prior from the deterministic rule)"
    return best, diag


def conservative_model(comps: list[Comparison], u_levels: np.ndarray, bounds: tuple[float, float]) -> "FellegiSunter":
    """The model used when no EM fit is sane: m as designed (each level half as likely as the one
    above), u from random pairs, prior at the lower bound (the caller sets it from its rule)."""
    model = FellegiSunter(comps, prior_bounds=bounds)
    model.fit_u(u_levels)
    model._init_m()
    model._monotone()
    model._cap_disagreement()
    model.prior = bounds[0]
    return model


def expected_f1_threshold(prob: np.ndarray, floor: float = 0.05, ceiling: float = 0.95) -> float:
    """The cut that maximizes F1 expected under the model's own posteriors.

    Taking the k most probable pairs, expected true positives are the sum of their
    probabilities and expected matches the sum over all pairs, so E[F1] ~ 2*sum_k / (k + sum_all).
    The cut adapts to how confident the model is instead of a fixed 0.5 that is too strict for
    one data set and too lax for another. Bounded to [floor, ceiling] so a degenerate model
    cannot cut at 0 or 1.
    """
    if prob.size == 0:
        return 0.5
    p = np.sort(prob)[::-1]
    total = float(p.sum())
    if total <= 0:
        return ceiling
    cum = np.cumsum(p)
    k = np.arange(1, p.size + 1)
    ef1 = 2 * cum / (k + total)
    best = int(np.argmax(ef1))
    return float(np.clip(p[best], floor, ceiling))

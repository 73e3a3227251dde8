"""Session 14: fast paths after embedding give what the straightforward formulas give, bit for bit.

Each test builds the result the old, plain way (written out here) and through the fast path, on
random and edge inputs, and requires identical results (values, order, dtypes).
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import phonenumbers
import pytest
from scipy import sparse

from matrix.resolve import blocking
from matrix.resolve import fieldtypes as ft
from matrix.resolve.arrays import isin_sorted, union_sorted, unique_sorted


# --- phone region: the old rule, every probe number in every region --------------------------------
def _old_valid_counts(values, regions) -> Counter:
    scores: Counter = Counter()
    for region in regions:
        ok = 0
        for v in values:
            try:
                ok += phonenumbers.is_valid_number_for_region(phonenumbers.parse(v, region), region)
            except phonenumbers.NumberParseException:
                pass
        if ok:
            scores[region] = ok
    return scores


def _old_infer_region(values, sample: int = 300):
    raw = [str(v) for v in values if not ft.is_missing(v)][:sample]
    national = [v for v in raw if not v.strip().startswith("+")]
    if not national:
        return None
    head = _old_valid_counts(national[:12], phonenumbers.SUPPORTED_REGIONS)
    shortlist = sorted(head) or sorted(phonenumbers.SUPPORTED_REGIONS)
    scores = head + _old_valid_counts(national[12:60], shortlist)
    if not scores:
        return None
    best = max(scores.values())
    tied = sorted(r for r, c in scores.items() if c == best)
    if len(tied) == 1:
        return tied[0]
    return max(tied, key=lambda r: ft._written_like(national[:60], r))


def _old_scores(numbers: list[str]) -> dict[str, int]:
    """The old rule's full score table (regions scoring 0 left out)."""
    head = _old_valid_counts(numbers[:12], phonenumbers.SUPPORTED_REGIONS)
    shortlist = sorted(head) or sorted(phonenumbers.SUPPORTED_REGIONS)
    return dict(head + _old_valid_counts(numbers[12:60], shortlist))


_FORMATS = (phonenumbers.PhoneNumberFormat.NATIONAL, phonenumbers.PhoneNumberFormat.E164)


def _example(region: str, rng: np.random.Generator) -> str | None:
    kind = [phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.MOBILE,
            phonenumbers.PhoneNumberType.TOLL_FREE][int(rng.integers(3))]
    num = phonenumbers.example_number_for_type(region, kind)
    if num is None:
        return None
    fmt = _FORMATS[int(rng.integers(2))] if rng.random() < 0.15 else phonenumbers.PhoneNumberFormat.NATIONAL
    s = phonenumbers.format_number(num, fmt)
    if rng.random() < 0.3:  # keep the format, change the last digits: valid or not, as it falls
        digits = [i for i, c in enumerate(s) if c.isdigit()]
        chars = list(s)
        for i in digits[-2:]:
            chars[i] = str(int(rng.integers(10)))
        s = "".join(chars)
    return s


def _random_column(rng: np.random.Generator) -> list:
    regions = sorted(phonenumbers.SUPPORTED_REGIONS)
    home = [regions[int(i)] for i in rng.integers(0, len(regions), int(rng.integers(1, 4)))]
    n = int(rng.integers(1, 40))
    out: list = []
    for _ in range(n):
        r = rng.random()
        if r < 0.1:
            out.append("".join(str(int(d)) for d in rng.integers(0, 10, int(rng.integers(2, 14)))))
        elif r < 0.15:
            out.append(None if rng.random() < 0.5 else "  ")
        elif r < 0.2 and out:
            out.append(out[int(rng.integers(len(out)))])  # a repeated number
        else:
            region = home[int(rng.integers(len(home)))] if rng.random() < 0.85 else regions[int(rng.integers(len(regions)))]
            out.append(_example(region, rng))
    return out


@pytest.mark.parametrize("seed", range(8))
def test_infer_region_equals_the_old_rule(seed: int) -> None:
    rng = np.random.default_rng(seed)
    for _ in range(2):
        col = _random_column(rng)
        assert ft.infer_region(col) == _old_infer_region(col)


@pytest.mark.parametrize("col", [
    ["212-677-0606", "404/231-1368", "(310) 246-1501"],
    ["+44 20 7946 0958"],
    ["12", "34"] * 10,
    [],
    [None, float("nan"), " "],
    ["020 7946 0958"] * 3 + ["212-677-0606"] * 3,  # a tie between two countries' numbers
    ["212-677-0606"] * 70,  # more than 60 numbers, all the same
    ["0" * 11, "1" * 7, "011 44 20 7946 0958", "00 44 20 7946 0958"],  # international prefixes
])
def test_infer_region_equals_the_old_rule_on_edges(col) -> None:
    assert ft.infer_region(col) == _old_infer_region(col)


@pytest.mark.parametrize("seed", range(4))
def test_region_scores_keep_the_best_and_its_ties(seed: int) -> None:
    """`_region_scores` may leave out regions that cannot win; the best score and every region
    reaching it are those of the full table."""
    rng = np.random.default_rng(100 + seed)
    col = [v for v in _random_column(rng) if not ft.is_missing(v) and not str(v).strip().startswith("+")]
    if not col:
        col = ["212-677-0606"]
    numbers = [str(v) for v in col][:60]
    old = _old_scores(numbers)
    new = ft._region_scores(numbers, sorted(phonenumbers.SUPPORTED_REGIONS), ft.REGION_PROBE)
    assert bool(old) == bool(new)
    if old:
        best = max(old.values())
        assert max(new.values()) == best
        assert {r for r, c in new.items() if c == best} == {r for r, c in old.items() if c == best}
        assert all(old.get(r) == c for r, c in new.items())  # what it keeps is exact


# --- integer set routines ---------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint16, np.intp, np.bool_])
def test_unique_union_isin_equal_numpy(dtype) -> None:
    rng = np.random.default_rng(7)
    for n in (0, 1, 2, 3, 10, 1000):
        for hi in (2, 50, 1 << 14):
            a = rng.integers(0, hi, n).astype(dtype)
            b = rng.integers(0, hi, max(n // 2, 1)).astype(dtype)
            u = unique_sorted(a)
            assert u.dtype == np.unique(a).dtype and np.array_equal(u, np.unique(a))
            assert union_sorted(a, b).dtype == np.union1d(a, b).dtype
            assert np.array_equal(union_sorted(a, b), np.union1d(a, b))
            got = isin_sorted(a, b)
            assert got.dtype == np.bool_ and np.array_equal(got, np.isin(a, b))
    grid = rng.integers(0, 9, (4, 5)).astype(dtype)  # flattened like np.unique
    assert np.array_equal(unique_sorted(grid), np.unique(grid))


def test_unique_large_pair_codes_and_floats() -> None:
    rng = np.random.default_rng(3)
    n = 45_000
    lo, hi = rng.integers(0, n, 200_000), rng.integers(0, n, 200_000)
    codes = np.minimum(lo, hi).astype(np.int64) * n + np.maximum(lo, hi)
    assert np.array_equal(unique_sorted(codes), np.unique(codes))
    assert np.array_equal(isin_sorted(codes[::3], codes[::7]), np.isin(codes[::3], codes[::7]))
    f = np.array([1.0, np.nan, 0.0, -0.0, np.nan, 2.0])  # not integers: numpy's own answer
    assert np.array_equal(unique_sorted(f), np.unique(f), equal_nan=True)


# --- best partners in a large key group -------------------------------------------------------------
def _old_best_partners(members, names, source, active, chunk=1000):
    ls, rs = [], []
    for start in range(0, members.size, chunk):
        rows = members[start:start + chunk]
        sims = np.asarray((names[rows] @ names[members].T).todense(), dtype=np.float64)
        sims[np.arange(rows.size), np.arange(start, start + rows.size)] = -np.inf
        if source is not None:
            sims[source[rows][:, None] == source[members][None, :]] = -np.inf
        if active is not None:
            sims[~(active[rows][:, None] | active[members][None, :])] = -np.inf
        best = np.argsort(-sims, axis=1, kind="stable")[:, :blocking.KEY_GROUP_PARTNERS]
        ok = np.isfinite(np.take_along_axis(sims, best, axis=1))
        ls.append(np.repeat(rows, best.shape[1])[ok.ravel()])
        rs.append(members[best.ravel()][ok.ravel()])
    return np.concatenate(ls), np.concatenate(rs)


@pytest.mark.parametrize("seed", range(6))
def test_best_partners_equal_the_sort(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, width = 400, 60
    dense = (rng.random((n, width)) < 0.08) * rng.integers(1, 4, (n, width))
    dense[rng.integers(0, n, 40)] = dense[rng.integers(0, n, 40)]  # identical rows: tied similarities
    dense[rng.integers(0, n, 10)] = 0  # empty rows: similarity 0 to everyone
    names = sparse.csr_matrix(dense.astype(np.float32))
    norms = np.sqrt(np.asarray(names.multiply(names).sum(axis=1))).ravel()
    names = (sparse.diags(1.0 / np.where(norms == 0, 1.0, norms)) @ names).tocsr()
    source = rng.integers(0, 2, n) if seed % 2 else None
    active = rng.random(n) < 0.3 if seed % 3 == 0 else None
    for size, chunk in ((120, 1000), (120, 7), (60, 60), (300, 64)):
        members = np.sort(rng.choice(n, size, replace=False)).astype(np.int64)
        got = blocking._best_partners(members, names, source, active, chunk=chunk)
        want = _old_best_partners(members, names, source, active, chunk=chunk)
        for g, w in zip(got, want, strict=True):
            assert g.dtype == w.dtype and np.array_equal(g, w)


# --- list items -------------------------------------------------------------------------------------
def _old_items(value, sep):
    if ft.is_missing(value):
        return None
    parts = [" ".join(ft._process(p).split()) for p in str(value).split(sep)]
    parts = [p for p in parts if p]
    if not parts:
        return None
    return ft.Items(frozenset(parts), frozenset(p.split()[-1] for p in parts))


@pytest.mark.parametrize("seed", range(3))
def test_items_equal_the_old_parts(seed: int) -> None:
    rng = np.random.default_rng(seed)
    bits = ["Acme Corp", " ", "", "\t", "\x1c", "\u00a0", "Müller GmbH", "O'Neil & Sons", ";", ",", "  x  ",
            "ΣΑΣ", "1984", "-", "a\u2003b", "\x00", "\u3000"]
    for _ in range(300):
        sep = [";", ",", "|"][int(rng.integers(3))]
        value = sep.join(bits[int(i)] for i in rng.integers(0, len(bits), int(rng.integers(0, 6))))
        assert ft.items(value, sep) == _old_items(value, sep)
    for value in (None, float("nan"), "   ", 12, 3.5, ";;", " ; "):
        assert ft.items(value, ";") == _old_items(value, ";")


# --- kNN over distinct texts: copies inherit their representative's neighbours ----------------------
def _old_knn_pairs(matrix, records, k, cross_only, active=None, texts=None):
    """`knn_pairs` as session 13 left it (a Python loop per copy)."""
    rep, dup, dup_rep = blocking.representatives(records, texts, cross_only)
    is_rep = rep == np.arange(len(records))
    act = None
    if active is not None:
        act = np.zeros(len(records), dtype=bool)
        np.logical_or.at(act, rep, active)
    sub = np.flatnonzero(is_rep)
    lp, r = blocking._knn_pairs_on(matrix[sub], records, sub, k, cross_only, None if act is None else act[sub])
    extra_l, extra_r = ([], []) if cross_only else ([dup], [dup_rep])
    if dup.size and lp.size:
        order = np.argsort(lp, kind="stable")
        ls_, rs_ = lp[order], r[order]
        starts = np.searchsorted(ls_, dup_rep, side="left")
        ends = np.searchsorted(ls_, dup_rep, side="right")
        by_rep = np.argsort(dup_rep, kind="stable")
        sorted_rep = dup_rep[by_rep]
        rank = np.empty(dup.size, np.int64)
        rank[by_rep] = np.arange(dup.size) - np.searchsorted(sorted_rep, sorted_rep, side="left")
        for d, a, b in zip(dup[(rank < 2)].tolist(), starts[rank < 2].tolist(), ends[rank < 2].tolist(), strict=True):
            if b > a:
                extra_l.append(np.full(b - a, d, np.int64))
                extra_r.append(rs_[a:b])
    return np.concatenate([lp] + extra_l), np.concatenate([r] + extra_r)


@pytest.mark.parametrize("seed", range(6))
def test_knn_pairs_copies_equal_the_loop(seed: int) -> None:
    from matrix.resolve.prepare import build_records
    from matrix.resolve.spec import parse_spec

    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 120))
    pool = ["acme", "acme corp", "beta", "gamma ltd", "delta", "acme", "zeta", "eta", "theta co"]
    names = [pool[int(i)] for i in rng.integers(0, len(pool) if seed % 2 else 3, n)]
    rows = [{"name": t} for t in names]
    sources = ["a.csv" if rng.random() < 0.5 else "b.csv" for _ in range(n)]
    records = build_records(parse_spec({"fields": [{"name": "name", "type": "name"}]}), rows, sources,
                            [str(i) for i in range(n)])
    texts = [t or "" for t in names]
    matrix = blocking.lexical_matrix(texts)
    active = rng.random(n) < 0.5 if seed % 3 == 0 else None
    for cross_only in (False, True):
        for k in (1, 3):
            got = blocking.knn_pairs(matrix, records, k, cross_only, active, texts=texts)
            want = _old_knn_pairs(matrix, records, k, cross_only, active, texts=texts)
            for g, w in zip(got, want, strict=True):
                assert g.dtype == w.dtype and np.array_equal(g, w)

"""Session 14, blocking stage: each fast path of the neighbour search against the formula it replaced
(session 13's code): the bounded top-k selection (`_topk_positive`), the running
per-column top-k (`_ColumnBest`), products into reused buffers (`_product_into`), one BLAS thread
per search thread (`_OneBlasThread`), and the two searches built on them, on random inputs with ties."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse

from matrix.resolve import blocking


def _ref_positive(sims: np.ndarray, k: int, axis: int, floor=None) -> set[tuple[int, int, float]]:
    """The old selection: `_topk_lines(..., exact_above=0.0)`, then the callers' `value > 0`."""
    idx, vals = blocking._topk_lines(sims.copy(), k, axis, exact_above=0.0)
    out = set()
    for line in range(idx.shape[0]):
        for j in range(idx.shape[1]):
            v = float(vals[line, j])
            if v > 0 and (floor is None or v > floor[line]):
                out.add((line, int(idx[line, j]), v))
    return out


def _random_sims(rng, rows: int, cols: int) -> np.ndarray:
    kind = int(rng.integers(0, 4))
    if kind == 0:  # few distinct values: ties everywhere, straddling the k-th place
        sims = rng.choice(np.array([-1.0, 0.0, 0.0, 0.25, 0.5, 0.5, 0.75, 1.0], np.float32), size=(rows, cols))
    elif kind == 1:  # sparse-like: most entries 0
        sims = np.where(rng.random((rows, cols)) < 0.05, rng.random((rows, cols)), 0.0).astype(np.float32)
    elif kind == 2:  # rounded: some ties
        sims = np.round(rng.standard_normal((rows, cols)), 1).astype(np.float32)
    else:
        sims = rng.standard_normal((rows, cols)).astype(np.float32)
    if rng.random() < 0.3:  # a search's own-row mask
        d = np.arange(min(rows, cols))
        sims[d, d] = -np.inf
    return sims


@pytest.mark.parametrize("seed", range(40))
def test_topk_positive_is_the_old_selection(seed: int) -> None:
    rng = np.random.default_rng(seed)
    if seed % 2:
        rows, cols = int(rng.integers(1, 90)), int(rng.integers(1, 400))
    else:  # lines longer than the block count along both axes, uneven last blocks
        rows, cols = int(rng.integers(130, 700)), int(rng.integers(130, 1500))
    sims = _random_sims(rng, rows, cols)
    before = sims.copy()
    for axis in (0, 1):
        for k in (1, 2, 5, 9):
            line, pos, val = blocking._topk_positive(sims, k, axis)
            assert line.dtype == np.int64 and pos.dtype == np.int64 and val.dtype == np.float32
            got = list(zip(line.tolist(), pos.tolist(), val.tolist(), strict=True))
            assert len(got) == len(set(got))
            assert set(got) == _ref_positive(sims, k, axis)
            # each value is the entry it names
            assert np.array_equal(val, sims[line, pos] if axis == 1 else sims[pos, line])
            n_lines = sims.shape[1 - axis]
            floor = rng.choice(np.array([0.0, 0.25, 0.5, 0.9], np.float32), size=n_lines)
            line, pos, val = blocking._topk_positive(sims, k, axis, floor=floor)
            assert set(zip(line.tolist(), pos.tolist(), val.tolist(), strict=True)) == _ref_positive(sims, k, axis, floor)
    assert np.array_equal(sims, before)  # not modified


def test_topk_positive_blocks_and_wide_lines() -> None:
    """Lines far longer than the block count (the real search's shape), a tie run across blocks."""
    rng = np.random.default_rng(7)
    sims = np.round(rng.random((40, 5003)), 2).astype(np.float32)
    sims[3, 100:140] = 2.0  # 40 tied best entries in one row, across two blocks
    sims[:, 7] = 3.0  # one column is everyone's best
    for axis in (0, 1):
        for k in (1, 5, 6):
            line, pos, val = blocking._topk_positive(sims, k, axis)
            assert set(zip(line.tolist(), pos.tolist(), val.tolist(), strict=True)) == _ref_positive(sims, k, axis)


def test_topk_positive_other_dtypes_and_empty() -> None:
    sims = np.array([[0.5, 0.2, 0.5], [0.0, -1.0, 0.1]])
    line, pos, val = blocking._topk_positive(sims, 1, 1)  # float64 in: float32 ties, as before
    assert line.tolist() == [0, 1] and pos.tolist() == [0, 2] and val.dtype == np.float32
    for k, axis in ((0, 1), (3, 0)):
        got = blocking._topk_positive(np.zeros((0, 4), np.float32) if k else sims, k, axis)
        assert all(a.size == 0 for a in got)


@pytest.mark.parametrize("seed", range(20))
def test_column_best_is_the_old_running_merge(seed: int) -> None:
    """Rows arriving chunk by chunk: `_ColumnBest` holds the positive part of each column's k best."""
    rng = np.random.default_rng(seed)
    rows, cols, k = int(rng.integers(1, 200)), int(rng.integers(1, 60)), int(rng.integers(1, 6))
    sims = _random_sims(rng, rows, cols)
    best = blocking._ColumnBest(cols, k)
    step = int(rng.integers(1, 40))
    for start in range(0, rows, step):
        chunk = sims[start:start + step]
        col, row, val = blocking._topk_positive(chunk, min(k, chunk.shape[0]), 0, floor=best.floor.copy())
        best.add(col, row + start, val)
    col, row = best.pairs()
    want = {(c, r) for c, r, _ in _ref_positive(sims, k, 0)}
    assert set(zip(col.tolist(), row.tolist(), strict=True)) == want
    assert len(col) == len(want)


def _tfidf(rng, n: int) -> sparse.csr_matrix:
    words = ["heart", "gold", "glass", "cold", "water", "star", "wars", "the", "of", "return", "king", "ring"]
    texts = [" ".join(words[int(i)] for i in rng.integers(0, len(words), int(rng.integers(1, 5)))) for _ in range(n)]
    return blocking.lexical_matrix(texts)


@pytest.mark.parametrize("seed", range(6))
def test_product_into_is_bit_identical(seed: int) -> None:
    rng = np.random.default_rng(seed)
    bufs: dict = {}
    x = _tfidf(rng, 300)
    q, t = x[:130], x[130:]
    for chunk in (q[:64], q[64:130], q[:3]):  # a smaller chunk reuses the buffer
        got = blocking._product_into(chunk, t, blocking._targets_t(t), bufs)
        want = blocking._dense_rows(chunk @ t.T)
        assert got.dtype == want.dtype and np.array_equal(got.view(np.uint32), want.view(np.uint32))
    d = rng.standard_normal((300, 24)).astype(np.float32)
    for chunk in (d[:64], d[64:130], d[:5]):
        got = blocking._product_into(chunk, d[130:], blocking._targets_t(d[130:]), bufs)
        want = blocking._dense_rows(chunk @ d[130:].T)
        assert np.array_equal(got.view(np.uint32), want.view(np.uint32))
    got = blocking._product_into(d[:5].astype(np.float64), d[130:], blocking._targets_t(d[130:]), bufs)  # other dtypes: as before
    assert np.array_equal(got, blocking._dense_rows(d[:5].astype(np.float64) @ d[130:].T))


def test_one_blas_thread_same_product_and_restored() -> None:
    threadpoolctl = pytest.importorskip("threadpoolctl")
    rng = np.random.default_rng(3)
    a = rng.standard_normal((700, 96)).astype(np.float32)
    b = rng.standard_normal((900, 96)).astype(np.float32)
    before = [(i["prefix"], i["num_threads"]) for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"]
    want = a @ b.T
    with blocking._OneBlasThread(2):
        with blocking._OneBlasThread(2):  # nested (two searches at once): restored by the last
            pass
        inside = [i["num_threads"] for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"]
        got = a @ b.T
    assert all(n == 1 for n in inside)
    # the same product as one BLAS thread gives, bit for bit; against BLAS's own threads only to rounding (whether
    # OpenBLAS splits a product the same way on 1 and 2 threads depends on the CPU's kernel: equal bits on the
    # session-14 machine, last-bit differences on a Haswell kernel)
    with threadpoolctl.threadpool_limits(limits=1, user_api="blas"):
        one = a @ b.T
    assert np.array_equal(got.view(np.uint32), one.view(np.uint32))
    assert np.allclose(got, want, rtol=1e-5, atol=1e-5)
    after = [(i["prefix"], i["num_threads"]) for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"]
    assert after == before
    with blocking._OneBlasThread(1):  # one search thread: BLAS keeps its threads
        assert [(i["prefix"], i["num_threads"]) for i in threadpoolctl.threadpool_info()
                if i["user_api"] == "blas"] == before


# --- the searches, against the session 13 code they replaced ------------------------------------------
def _old_topk_dense(q, t, k, q_idx, t_idx, same):
    k = min(k, t.shape[0] - (1 if same else 0))
    if k <= 0:
        return set()
    out = set()
    for start in range(0, q.shape[0], blocking._CHUNK):
        sims = blocking._dense_rows(q[start:start + blocking._CHUNK] @ t.T)
        if same:
            rows = np.arange(sims.shape[0])
            sims[rows, rows + start] = -np.inf
        part, top = blocking._row_topk(sims, k, scratch=True, exact_above=0.0)
        keep = top > 0
        ql = np.repeat(q_idx[start:start + sims.shape[0]], k).reshape(-1, k)
        out |= set(zip(ql[keep].tolist(), t_idx[part][keep].tolist(), strict=True))
    return out


def _old_both_ways(a, b, k, a_idx, b_idx):
    ka, kb = min(k, b.shape[0]), min(k, a.shape[0])
    if ka <= 0 or kb <= 0:
        return set(), set()
    rows = set()
    best_v = np.zeros((b.shape[0], 0), np.float32)
    best_i = np.zeros((b.shape[0], 0), np.int64)
    for start in range(0, a.shape[0], blocking._CHUNK):
        sims = blocking._dense_rows(a[start:start + blocking._CHUNK] @ b.T)
        part, top = blocking._row_topk(sims, ka, exact_above=0.0)
        keep = top > 0
        rows |= set(zip(np.repeat(a_idx[start:start + sims.shape[0]], ka).reshape(-1, ka)[keep].tolist(),
                        b_idx[part][keep].tolist(), strict=True))
        cpart, ctop = blocking._col_topk(sims, min(kb, sims.shape[0]), exact_above=0.0)
        cand_v, cand_i = np.hstack([best_v, ctop]), np.hstack([best_i, cpart + start])
        if cand_v.shape[1] > kb:
            sel, best_v = blocking._row_topk(cand_v, kb, exact_above=0.0, keys=cand_i)
            best_i = np.take_along_axis(cand_i, np.asarray(sel, np.int64), axis=1)
        else:
            best_v, best_i = cand_v, cand_i
    keep = best_v > 0
    cols_l = np.repeat(b_idx, best_v.shape[1]).reshape(-1, best_v.shape[1])[keep]
    return rows, set(zip(cols_l.tolist(), a_idx[best_i][keep].tolist(), strict=True))


def _inputs(rng, kind: str, n_a: int, n_b: int):
    if kind == "tfidf":
        x = _tfidf(rng, n_a + n_b)
        return x[:n_a], x[n_a:]
    if kind == "ties":  # few distinct directions: many exactly equal similarities
        base = rng.standard_normal((4, 8)).astype(np.float32)
        x = base[rng.integers(0, 4, n_a + n_b)]
    else:
        x = rng.standard_normal((n_a + n_b, 8)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x[:n_a], x[n_a:]


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("threads", [1, 2])
def test_searches_find_the_old_pairs(seed: int, threads: int, monkeypatch) -> None:
    rng = np.random.default_rng(seed)
    monkeypatch.setattr(blocking, "_CHUNK", int(rng.integers(3, 40)))  # many chunks, a short last one
    monkeypatch.setattr(blocking, "SEARCH_THREADS", threads)
    kind = ["tfidf", "ties", "dense"][seed % 3]
    a, b = _inputs(rng, kind, int(rng.integers(1, 150)), int(rng.integers(1, 120)))
    ia, ib = np.arange(a.shape[0]), np.arange(a.shape[0], a.shape[0] + b.shape[0])
    for k in (1, 3, 6):
        (al, ar), (bl, br) = blocking._topk_both_ways(a, b, k, ia, ib)
        rows, cols = _old_both_ways(a, b, k, ia, ib)
        got_rows = list(zip(al.tolist(), ar.tolist(), strict=True))
        got_cols = list(zip(bl.tolist(), br.tolist(), strict=True))
        assert set(got_rows) == rows and len(got_rows) == len(rows)
        assert set(got_cols) == cols and len(got_cols) == len(cols)
        for same in (False, True):
            x = a if not same else (sparse.vstack([a, b]).tocsr() if sparse.issparse(a) else np.vstack([a, b]))
            ix = np.arange(x.shape[0])
            ql, tr = blocking._topk_dense(x, x if same else b, k, ix, ix if same else ib, same=same)
            got = list(zip(ql.tolist(), tr.tolist(), strict=True))
            assert set(got) == _old_topk_dense(x, x if same else b, k, ix, ix if same else ib, same)
            assert len(got) == len(set(got))

"""Session 11: the neighbour search's top-k is one total order on both selection paths, and its
thread count follows the process (affinity, torch, MATRIX_SEARCH_THREADS) and a Ray task's CPUs.

Before: `torch.topk` and `np.argpartition` broke ties at the k-th neighbour each their own way, so
candidate pairs depended on whether torch was imported (FEBRL 2: 43,380 vs 43,371 candidates);
and the search ran min(4, cpu_count) threads, fixed at import, even in a Ray task given one CPU.
"""

from __future__ import annotations

import sys
import threading
import time
import types

import numpy as np
import pytest
from scipy import sparse

from matrix.resolve import blocking

torch = pytest.importorskip("torch")  # the embedding model brings it; the torch path needs it


def _force(monkeypatch, which: str) -> None:
    """Every selection by torch (even narrow ones), or every one by numpy (as without torch)."""
    monkeypatch.setattr(blocking, "_torch_for", (lambda _width: torch) if which == "torch" else (lambda _width: None))


@pytest.fixture(params=["torch", "numpy"])
def path(request, monkeypatch):
    """Run the test once with torch's selection and once with numpy's."""
    _force(monkeypatch, request.param)
    return request.param


def _reference(sims: np.ndarray, k: int) -> np.ndarray:
    """Each row's k best columns by (larger value, then lower column), by a full stable sort."""
    return np.argsort(-sims, axis=1, kind="stable")[:, :k]


def _rows(idx: np.ndarray) -> list[list[int]]:
    """The selections as sets (sorted lists): `_topk_lines` returns them in no particular order."""
    return np.sort(idx, axis=1).tolist()


def _tie_heavy(rng, rows: int, cols: int) -> np.ndarray:
    sims = (rng.integers(0, 4, size=(rows, cols)) / 3).astype(np.float32)  # four values: ties everywhere
    sims[rng.random(sims.shape) < 0.1] = -np.inf
    return sims


def test_a_tie_straddling_the_kth_place_keeps_the_lower_columns(path):
    sims = np.array([[0.2, 0.5, 0.9, 0.5, 0.5, 0.5, 0.1]], np.float32)
    idx, vals = blocking._row_topk(sims.copy(), 3, scratch=True)
    assert _rows(idx) == [[1, 2, 3]]  # 0.9, then the two lowest-indexed of the four 0.5s
    assert sorted(vals[0].tolist()) == [0.5, 0.5, pytest.approx(0.9)]
    cidx, _ = blocking._col_topk(sims.T.copy(), 3)
    assert _rows(cidx) == [[1, 2, 3]]


def test_ties_mean_exact_float32_equality(path):
    a = np.float32(0.5)
    b = np.nextafter(a, np.float32(1))  # one float32 step above: a different similarity, no tolerance
    sims = np.array([[a, a, b, a]], np.float32)
    assert _rows(blocking._row_topk(sims, 2)[0]) == [[0, 2]]


@pytest.mark.parametrize("seed", range(4))
def test_row_and_column_selection_follow_the_total_order(path, seed):
    rng = np.random.default_rng(seed)
    sims = _tie_heavy(rng, 37, 53)
    for k in (1, 3, 5, 52, 53, 60):
        kk = min(k, sims.shape[1])
        want = _reference(sims, kk)
        for scratch in (False, True):
            idx, vals = blocking._row_topk(sims.copy(), k, scratch=scratch)
            assert _rows(idx) == _rows(want)
            assert np.array_equal(vals, np.take_along_axis(sims, idx, axis=1))
        cidx, cvals = blocking._col_topk(sims.T.copy(), k)
        assert _rows(cidx) == _rows(want)
        assert np.array_equal(cvals, np.take_along_axis(sims, cidx, axis=1))


def test_ties_at_or_below_exact_above_are_left_to_the_selection(path):
    """A caller that drops entries <= 0 gets the same entries above 0 on both paths; which zeros
    fill the remaining places is not resolved (nobody keeps them)."""
    sims = np.array([[0.0, 0.7, 0.0, 0.0, 0.7, 0.7, 0.0]], np.float32)
    idx, vals = blocking._row_topk(sims.copy(), 2, exact_above=0.0)
    assert _rows(idx) == [[1, 4]]  # a tie at 0.7 > 0: resolved, lower columns
    idx, vals = blocking._row_topk(sims.copy(), 5, exact_above=0.0)
    assert set(idx[0, vals[0] > 0].tolist()) == {1, 4, 5}
    assert (vals[0] == 0).sum() == 2


def test_keys_break_ties_instead_of_positions(path):
    sims = np.array([[0.5, 0.5, 0.5, 0.9]], np.float32)
    keys = np.array([[30, 10, 20, 99]])
    idx, _ = blocking._row_topk(sims, 2, keys=keys)
    assert _rows(idx) == [[1, 3]]  # 0.9, then the 0.5 with the lowest key


@pytest.mark.parametrize("seed", range(3))
def test_keys_order_ties_on_random_lines(path, seed):
    """The linkage's running per-column top-k merges old and new rows by their row in `a` (`keys`)."""
    rng = np.random.default_rng(seed)
    sims = _tie_heavy(rng, 40, 20)
    keys = np.stack([rng.permutation(1000)[:20] for _ in range(40)])
    for k in (1, 4, 10, 19):
        want = np.lexsort((keys, -sims), axis=1)[:, :k]
        idx, _ = blocking._row_topk(sims, k, keys=keys)
        assert _rows(idx) == _rows(want)


def _texts(rng, n: int) -> list[str]:
    """Few distinct names: many exact duplicates, so a record's k-th neighbour is tied with many."""
    names = ["anna smith", "john smith", "anna smyth", "jon smith", "mary jones", "maria jones"]
    return [names[i] for i in rng.integers(0, len(names), n)]


def _searches(rng) -> dict[str, set]:
    x = blocking.lexical_matrix(_texts(rng, 300)).astype(np.float32)
    a, b = x[:180], x[180:]
    ia, ib = np.arange(180), np.arange(180, 300)
    out = {}
    left, right = blocking._topk_dense(x, x, 4, np.arange(300), np.arange(300), same=True)
    out["dense"] = set(zip(left.tolist(), right.tolist(), strict=True))
    (al, ar), (bl, br) = blocking._topk_both_ways(a, b, 4, ia, ib)
    out["both_ways"] = set(zip(al.tolist(), ar.tolist(), strict=True)) | set(zip(bl.tolist(), br.tolist(), strict=True))
    dense = np.asarray(x.toarray(), np.float32)
    left, right = blocking._topk_ivf(dense, dense, 4, np.arange(300), np.arange(300))
    out["ivf"] = set(zip(left.tolist(), right.tolist(), strict=True))
    return out


def test_candidate_pairs_do_not_depend_on_whether_torch_is_loaded(monkeypatch):
    """The searches the blocker runs (brute force, both ways of a linkage, partitioned) on a
    duplicate-heavy input: the same pairs with torch's selection and with numpy's."""
    monkeypatch.setattr(blocking, "_CHUNK", 64)  # several chunks: the both-ways merge across chunks
    _force(monkeypatch, "torch")
    with_torch = _searches(np.random.default_rng(7))
    _force(monkeypatch, "numpy")
    without = _searches(np.random.default_rng(7))
    for name in with_torch:
        assert with_torch[name] == without[name], name


def test_dense_search_keeps_the_lowest_indexed_of_tied_neighbours(path):
    # 0, 2, 4, 6, 8 identical texts; 1, 3, 5, 7, 9 identical: each record's 2 neighbours are the
    # two lowest-indexed other copies of its own text
    texts = ["anna smith", "john jones"] * 5
    x = sparse.csr_matrix(blocking.lexical_matrix(texts), dtype=np.float32)
    left, right = blocking._topk_dense(x, x, 2, np.arange(10), np.arange(10), same=True)
    got = {q: sorted(r for lq, r in zip(left.tolist(), right.tolist(), strict=True) if lq == q) for q in range(10)}
    assert got[0] == [2, 4] and got[2] == [0, 4] and got[8] == [0, 2]
    assert got[1] == [3, 5] and got[9] == [1, 3]


# --- threads ---------------------------------------------------------------------------------

@pytest.fixture
def clean_threads(monkeypatch):
    monkeypatch.delenv(blocking.SEARCH_THREADS_ENV, raising=False)
    monkeypatch.setattr(blocking, "SEARCH_THREADS", None)


def test_environment_variable_is_read_at_each_search(clean_threads, monkeypatch):
    monkeypatch.setenv("MATRIX_SEARCH_THREADS", "3")
    assert blocking.search_threads() == 3
    monkeypatch.setenv("MATRIX_SEARCH_THREADS", "1")  # after import: still taken
    assert blocking.search_threads() == 1
    monkeypatch.setenv("MATRIX_SEARCH_THREADS", "many")
    with pytest.raises(ValueError, match="MATRIX_SEARCH_THREADS"):
        blocking.search_threads()


def test_default_respects_affinity_and_torch_threads(clean_threads, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)
    monkeypatch.setattr(blocking.os, "sched_getaffinity", lambda _pid: {5}, raising=False)
    assert blocking.search_threads() == 1  # one CPU allowed, whatever cpu_count says
    monkeypatch.setattr(blocking.os, "sched_getaffinity", lambda _pid: set(range(64)), raising=False)
    assert blocking.search_threads() == blocking.SEARCH_THREADS_MAX
    monkeypatch.setitem(sys.modules, "torch", types.SimpleNamespace(get_num_threads=lambda: 2))
    assert blocking.search_threads() == 2  # torch was limited to 2: so is the search
    monkeypatch.setattr(blocking, "SEARCH_THREADS", 3)  # a pinned count wins
    assert blocking.search_threads() == 3


def test_search_runs_on_no_more_threads_than_set(clean_threads, monkeypatch):
    def seen(threads: str) -> set[int]:
        monkeypatch.setenv("MATRIX_SEARCH_THREADS", threads)
        ids: set[int] = set()

        def fn(i):
            ids.add(threading.get_ident())
            time.sleep(0.01)
            return i

        assert list(blocking._in_order(fn, range(12))) == list(range(12))
        return ids

    assert seen("1") == {threading.get_ident()}
    assert 1 < len(seen("3")) <= 3


def test_ray_task_gets_its_cpus_as_search_threads():
    from jobs.common import task_search_threads

    assert task_search_threads({"CPU": 1.0}) == 1
    assert task_search_threads({"CPU": 0.5}) == 1  # a fractional CPU is one thread
    assert task_search_threads({}) == 1
    assert task_search_threads({"CPU": 3.0}) == 3
    assert task_search_threads({"CPU": 3.0}, operator="2") == 2  # an operator's cap holds
    assert task_search_threads({"CPU": 1.0}, operator="8") == 1


def test_driver_keeps_its_setting(clean_threads, ray_session):
    from jobs.common import limit_search_threads

    assert ray_session.is_initialized()  # a driver connected to the session's cluster is still no worker
    assert limit_search_threads() is None
    assert "MATRIX_SEARCH_THREADS" not in blocking.os.environ


def test_a_ray_task_searches_on_the_cpus_it_was_given(ray_session):
    """In a worker of the session's 2-CPU local cluster: a 1-CPU task searches on 1 thread (the
    process default would be 2 there), a 2-CPU task on 2, a half-CPU task on 1. ~10 s."""
    ray = ray_session

    @ray.remote
    def probe():
        from jobs.common import limit_search_threads
        from matrix.resolve import blocking as b

        return limit_search_threads(), b.search_threads()

    got = ray.get([probe.options(num_cpus=c).remote() for c in (1, 2, 0.5)])
    assert got == [(1, 1), (2, 2), (1, 1)]

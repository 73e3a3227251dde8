"""Blocking: which record pairs are worth scoring at all.

Why a union of three blockers: embeddings catch paraphrases and reordered words, character
n-gram TF-IDF catches typos and abbreviations the model never saw, and exact keys (registered
domain, normalized name, identifiers) catch matches whose text differs a lot but share one hard
fact. Each alone misses pairs the others find; together they keep pair completeness high while
every record gets only a few candidates, so scoring stays linear in the input size.
"""

from __future__ import annotations

import functools
import itertools
import os
import sys
from collections import defaultdict
from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

from matrix.resolve.arrays import isin_sorted, union_sorted, unique_sorted
from matrix.resolve.fieldtypes import Date
from matrix.resolve.prepare import Records, as_text, embedded_field, person_family_key, person_name_keys
from matrix.resolve.spec import NAME_TYPES

Tick = Callable[[int], None]  # progress callback: n more records done


def _no_tick(_n: int) -> None:
    pass

_CHUNK = 512
# Above this many targets, neighbour search is partitioned (IVF) instead of brute force: exact
# search is O(n^2) and at 100k records it alone would take tens of minutes on two cores.
ANN_MIN_TARGETS = 20_000
ANN_PROBES = 12  # lists searched per query: recall vs time
TORCH_TOPK_MIN_TARGETS = 10_000  # below this width numpy's selection is fast enough to skip importing torch
LEXICAL_SVD_DIM = 128  # large sparse n-gram matrices are projected to this many dims for the IVF
# The projection is fitted on this many rows (then applied to all): it only picks which lists a
# query searches, candidates are scored on the full n-grams, and fitting on all 40k titles of a
# 50k-record linkage took 7 s against 2.5 s on a sample (same pair completeness, measured)
LEXICAL_SVD_SAMPLE = 10_000
# A person-name key on more records than this is no blocking key (a star, a common name): it
# would cost quadratic pairs and say little about which record is which.
PERSON_KEY_MAX_RECORDS = 100
# Fields that tell namesakes apart in the tie-break view (`_tie_break_view`): short codes and
# dates, never free text (a description would outweigh the name's n-grams)
TIE_BREAK_TYPES = ("date", "categorical")
# A name carried by more records than this is a common name, not a tie: its namesakes outnumber
# a record's candidate budget (2 x neighbours pairs = degree 20 at the default 10). Without the
# cap, on PatentsView inventors (name blocks: median 71 namesakes) the view added thousands of
# namesake pairs that agree on city/state and the model chained them (B3-F1 0.854 -> 0.743)
TIE_GROUP_MAX = 20
# Neighbours per tied record in that view: a person has few records, and each extra namesake
# slot is a pair the comparison model must reject (session 7: RLdata10000 PC .900 / .939 / .959 /
# .985 at 1 / 2 / 3 / 5; PatentsView B3-F1 .862 / .876 / .782 / .779). Session 9, with dates read
# and "more than half" of the short fields agreeing (`_agree_on_most`), the full-name key, the
# best-partner rule and the stable dedup priors: RLdata10000 PC .959 / .985 at 3 / 5 (B3 .9939 /
# .9950), PatentsView B3 .937 / .934, FEBRL 3 .9992 / .9993 (docs/resolve.md, "Session 9")
TIE_NEIGHBOURS = 5
# An exact-key group larger than the spec's `max_key_group` pairs each member with this many of
# its most name-similar members (`_best_partners`), unless the key is the record's name; beyond
# KEY_RANK_MAX members (or for the name key) it is a star on 3 hubs.
KEY_GROUP_PARTNERS = 1
KEY_RANK_MAX = 5000
# A record's short fields all together (`short_field_pairs`: birth date, sex, postcode...) are a
# key only where at most this many records share them: more is a shared attribute (a city and a
# year), not one person's, and a group this small costs at most 1.5 pairs per member
SHORT_KEY_MAX_GROUP = 4


@dataclass
class Candidates:
    """Candidate pairs as two aligned index arrays with left < right, plus which blocker found each."""

    left: np.ndarray
    right: np.ndarray
    by_blocker: dict[str, int]

    def __len__(self) -> int:
        return int(self.left.shape[0])

    def per_record(self, n_records: int) -> float:
        return len(self) / max(n_records, 1)

    def pair_set(self) -> set[tuple[int, int]]:
        return set(zip(self.left.tolist(), self.right.tolist(), strict=True))


def _row_topk(sims: np.ndarray, k: int, scratch: bool = False, exact_above: float | None = None,
              keys: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(column indices, values) of each row's k largest entries: `_topk_lines` along rows.

    `scratch`: the caller is done with `sims`, which may then be overwritten (no negated copy).
    """
    return _topk_lines(sims, k, 1, scratch=scratch, exact_above=exact_above, keys=keys)


def _col_topk(sims: np.ndarray, k: int, exact_above: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(row indices, values) of each column's k largest entries, as (columns x k) arrays.

    Selected along axis 0 in place: a transposed copy first cost more than the selection."""
    return _topk_lines(sims, k, 0, exact_above=exact_above)


def _topk_lines(sims: np.ndarray, k: int, axis: int, scratch: bool = False, exact_above: float | None = None,
                keys: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(indices, values) of the k largest entries of each line of `sims` along `axis` (1: each
    row's best columns, 0: each column's best rows), as (lines x k) arrays in no particular order.

    Which k is one total order, the same whichever library selects: the larger value first and,
    among equal values, the lower index along `axis` (or the lower `keys` entry, when given: an
    array shaped like `sims`, axis 1 only). Equal means exactly equal float32 values, no tolerance
    (similarities one rounding step apart are different similarities); other dtypes are cast to
    float32 first. This includes ties that straddle the k-th place: of four entries tied for
    places 2-5 with k = 3, the two lowest-indexed are kept. `sims` must hold no NaN (-inf is fine:
    it is how a search keeps a record from being its own neighbour).
    `exact_above`: a caller that drops every entry at or below this value (a search drops
    similarity <= 0: no similarity, no candidate) may say so; entries tied at such a value then
    fill the k places in whatever order the selection found them. Why: in a sparse n-gram block
    most columns have fewer than k + 1 non-zero entries, so nearly every column is "tied" at 0,
    and resolving those exactly made a first version's column selection ~4x slower (466 vs 101 ms
    on a 512 x 23k block with 1 % non-zeros), for entries nobody keeps.

    Why one order: `torch.topk` and `np.argpartition` each break ties their own way, so before
    this the candidate pairs depended on whether torch happened to be imported (FEBRL 2: 43,380
    candidates with torch, 43,371 without).
    How, fast: the k + 1 best of each line by the fast selection (torch's when it is there, else
    numpy's) show whether a line's k-th and (k+1)-th values are equal; only those lines (a tie
    that may run past the cut) are selected again, exactly, in numpy (`_exact_ties`). A line whose
    k-th value is above the (k+1)-th is exact already: its k best are one set.

    Why torch when it is there (sentence-transformers brings it): `torch.topk` is a partial
    selection over all cores, ~10x faster than `np.argpartition` on a (512 x 23k) block, and this
    selection was most of the blocking time on a 50k-record linkage.
    """
    if sims.dtype != np.float32:  # one precision on both paths: ties are float32 ties
        sims = sims.astype(np.float32)
    n, n_lines = sims.shape[axis], sims.shape[1 - axis]
    k = min(k, n)
    if k <= 0 or n_lines == 0:
        return np.zeros((n_lines, 0), np.int64), np.zeros((n_lines, 0), np.float32)
    kk = min(k + 1, n)  # one more than asked: shows whether the k-th value's tie runs past the cut
    torch = _torch_for(n if axis == 1 else 0)
    src, negated = sims, False  # what `_exact_ties` reads (negated: it holds -sims)
    if torch is not None:  # sorted: the k-th value at k - 1, the (k+1)-th at k
        vals_t, idx_t = torch.topk(torch.from_numpy(np.ascontiguousarray(sims)), kk, dim=axis)
        vals, idx = vals_t.numpy(), idx_t.numpy()
        if axis == 0:
            vals, idx = vals.T, idx.T
        if kk == k:  # every entry is kept: no tie to break
            return np.asarray(idx, np.int64), np.asarray(vals, np.float32)
        kth = vals[:, k - 1]
    else:
        if scratch and sims.flags.writeable:  # the caller is done with `sims`: negated in place, no copy
            src, negated = np.negative(sims, out=sims), True
        neg = src if negated else -sims
        if kk == k:  # every entry is kept: no tie to break
            idx = np.broadcast_to(np.arange(n).reshape((1, n) if axis == 1 else (n, 1)), neg.shape)
            vals = src if not negated else -src
            return (np.ascontiguousarray(idx.T if axis == 0 else idx, np.int64),
                    np.ascontiguousarray(vals.T if axis == 0 else vals, np.float32))
        # place k holds the (k+1)-th value; the k before it are the k best, in no order
        idx = np.take(np.argpartition(neg, k, axis=axis), np.arange(kk), axis=axis)
        vals = -np.take_along_axis(neg, idx, axis=axis)
        if axis == 0:
            vals, idx = vals.T, idx.T
        kth = vals[:, :k].min(axis=1)
    tied = kth == vals[:, k]
    if exact_above is not None:
        tied &= kth > exact_above
    tied = np.flatnonzero(tied)
    idx, vals = np.array(idx[:, :k], np.int64), np.array(vals[:, :k], np.float32)
    if 2 * tied.size > vals.shape[0]:  # most lines: all of them, no gathered copy of the tied ones
        return _exact_ties(-src if negated else src, axis, kth, k, keys)
    if tied.size:
        block = src[tied] if axis == 1 else src[:, tied]
        idx[tied], vals[tied] = _exact_ties(-block if negated else block, axis, kth[tied], k,
                                            None if keys is None else keys[tied])
    return idx, vals


def _exact_ties(block: np.ndarray, axis: int, kth: np.ndarray, k: int, keys: np.ndarray | None = None
                ) -> tuple[np.ndarray, np.ndarray]:
    """The k best of each line of `block` along `axis` under `_topk_lines`' order, given each
    line's k-th value `kth`: every entry above it, then the entries equal to it with the lowest
    index (or `keys`, axis 1 only). (lines x k) arrays. Reads only where entries are above or equal
    (no pass of cumulative counts over the whole block: a line is thousands wide)."""
    t = kth[:, None] if axis == 1 else kth[None, :]
    n_lines = block.shape[1 - axis]
    a_r, a_c = np.nonzero(block > t)
    e_r, e_c = np.nonzero(block == t)
    if axis == 0:  # nonzero is row-major: regroup by column, rows ascending within each
        o = np.argsort(a_c, kind="stable")
        a_line, a_pos = a_c[o], a_r[o]
        o = np.argsort(e_c, kind="stable")
        e_line, e_pos = e_c[o], e_r[o]
    else:
        a_line, a_pos, e_line, e_pos = a_r, a_c, e_r, e_c
    if keys is not None:  # equal entries by key instead of position
        o = np.lexsort((keys[e_line, e_pos], e_line))
        e_line, e_pos = e_line[o], e_pos[o]
    need = k - np.bincount(a_line, minlength=n_lines)
    rank = np.arange(e_line.size) - np.searchsorted(e_line, e_line, side="left")
    take = rank < need[e_line]
    line = np.concatenate([a_line, e_line[take]])
    pos = np.concatenate([a_pos, e_pos[take]])
    pos = pos[np.argsort(line, kind="stable")].reshape(n_lines, k)  # each line keeps exactly k
    vals = np.take_along_axis(block, pos, axis=1) if axis == 1 else np.take_along_axis(block, pos.T, axis=0).T
    return pos, vals


# The smallest positive float32: `x >= _TINY` is `x > 0` for every float32 x (no NaN)
_TINY = np.float32(np.nextafter(np.float32(0), np.float32(1)))
# `_topk_positive` bounds each line's k-th value from the maxima of this many blocks per line (at
# least k): more blocks, a tighter bound and fewer entries to sort, at one more pass's cost
_TOPK_BLOCKS = 64


def _topk_positive(sims: np.ndarray, k: int, axis: int, floor: np.ndarray | None = None
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The positive entries among the k best of each line of `sims` along `axis` (1: each row's
    best columns, 0: each column's best rows), under `_topk_lines`' order (larger value first,
    equal float32 values by the lower index along `axis`), as flat (line, index, value) arrays:
    along rows by line, then index; along columns by index block, then line (reading order).

    The same set as `_topk_lines(sims, k, axis, exact_above=0.0)` followed by the callers'
    `value > 0` filter, found without a selection over every entry: each line is cut into blocks
    (`_TOPK_BLOCKS`, at least k) and the k-th largest block maximum is a lower bound on the line's
    k-th value (k distinct entries reach it), so every entry of the k best is at or above it, in a
    block whose maximum is. Only those blocks are read again, and only lines with more than k
    entries at or above the bound (and above 0) are sorted. Why: torch's selection along columns
    (each target's best queries in a 512-row chunk) took ~50 ms per chunk of imdb_dbpedia's
    search, numpy's far longer; this is one pass of block maxima and a few blocks per line
    (`tests/unit/test_resolve_s14_block.py` compares it with `_topk_lines` on random data, ties
    included). `sims` must hold no NaN (-inf is fine) and is not modified.
    `floor` (per line, >= 0): only entries above it are wanted (`_ColumnBest.floor`); the k best
    are still ranked among all entries, so this returns the k best that are above it.
    """
    from numpy.lib.stride_tricks import as_strided

    if sims.dtype != np.float32:  # ties are float32 ties, as in `_topk_lines`
        sims = sims.astype(np.float32)
    n, n_lines = sims.shape[axis], sims.shape[1 - axis]
    k = min(k, n)
    if k <= 0 or n_lines == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float32)
    width = max(1, n // max(_TOPK_BLOCKS, k))  # every block full but the last (up to 2 x width - 1)
    n_blocks = n // width
    span = n - (n_blocks - 1) * width  # the last block's length
    s0, s1 = sims.strides
    if axis == 1:  # block maxima, lines x blocks: the full blocks as a strided view (no copy)
        peaks = as_strided(sims, (n_lines, n_blocks, width), (s0, width * s1, s1), writeable=False).max(axis=2)
        if span > width:
            np.maximum(peaks[:, -1], sims[:, n_blocks * width:].max(axis=1), out=peaks[:, -1])
    else:  # reduced across rows (each a contiguous run of every line): blocks x lines
        peaks = as_strided(sims, (n_blocks, width, n_lines), (width * s0, s0, s1), writeable=False).max(axis=1)
        if span > width:
            np.maximum(peaks[-1], sims[n_blocks * width:].max(axis=0), out=peaks[-1])
    # each line's k-th largest block maximum, never below the smallest positive value
    bound = np.partition(peaks, n_blocks - k, axis=axis).take(n_blocks - k, axis=axis)
    np.maximum(bound, _TINY, out=bound)
    if floor is not None:  # above the floor is at or above the next float32 up
        np.maximum(bound, np.nextafter(floor.astype(np.float32), np.float32(np.inf)), out=bound)
    # the blocks whose maximum reaches it (along rows line by line, along columns block by block:
    # rows read in order), then their entries that do
    hit = np.flatnonzero(peaks >= (bound[:, None] if axis == 1 else bound[None, :]))
    if axis == 1:
        line, blk = np.divmod(hit, n_blocks)
    else:
        blk, line = np.divmod(hit, n_lines)
    steps = np.arange(span)
    pos = blk[:, None] * width + steps
    inside = (steps < width) | (blk[:, None] == n_blocks - 1)
    np.copyto(pos, 0, where=~inside)
    flat = (line[:, None] * n + pos) if axis == 1 else (pos * n_lines + line[:, None])
    vals = sims.ravel().take(flat) if sims.flags.c_contiguous else sims[np.divmod(flat, sims.shape[1])]
    sel = np.flatnonzero(inside & (vals >= bound[line][:, None]))
    line, pos, vals = line[sel // span], pos.ravel().take(sel), vals.ravel().take(sel)
    count = np.bincount(line, minlength=n_lines)
    over = np.flatnonzero(count[line] > k)
    if over.size:  # lines with more than k entries: their k best by value, then the lower index
        order = over[np.lexsort((pos[over], -vals[over], line[over]))]
        lo = line[order]
        rank = np.arange(lo.size) - np.searchsorted(lo, lo, side="left")
        drop = np.zeros(line.size, dtype=bool)
        drop[order[rank >= k]] = True
        line, pos, vals = line[~drop], pos[~drop], vals[~drop]
    return line.astype(np.int64), pos.astype(np.int64), vals


def _targets_t(t):
    """`t.T` ready for `_product_into`: a view of a dense array; a sparse one turned CSR once
    (each chunk's `q @ t.T` converted the transposed CSC to CSR again: same rows, same product)."""
    return t.T.tocsr() if sparse.issparse(t) else t.T


def _product_into(q, t, tt, bufs: dict) -> np.ndarray:
    """`q @ t.T` (`tt`: `_targets_t(t)`) as float32 rows, bit for bit what `_dense_rows(q @ t.T)`
    gives: the same BLAS call or the same sparse product, written into a buffer this thread
    reuses across the chunks of one search (float32 inputs; others get a new array as before).

    Why: a 512 x 15k float32 chunk is 31 MB, and a new array of that size is new pages from the
    system each time: faulting and zeroing them took longer than the product itself
    (imdb_dbpedia's embedding search: 3.2 s CPU for 20 chunks into new arrays, 1.3 s into one)."""
    if sparse.issparse(q) != sparse.issparse(t) or q.dtype != np.float32 or t.dtype != np.float32:
        return _dense_rows(q @ t.T)
    import threading

    shape = (q.shape[0], tt.shape[1])
    me = threading.get_ident()
    buf = bufs.get(me)
    if buf is None or buf.shape[1] != shape[1] or buf.shape[0] < shape[0]:
        buf = bufs[me] = np.empty((max(shape[0], _CHUNK), shape[1]), np.float32)
    out = buf[:shape[0]]
    if sparse.issparse(q):
        prod = q @ tt
        return prod.toarray(out=out) if prod.dtype == np.float32 else _dense_rows(q @ t.T)
    return np.matmul(q, tt, out=out)


_BLAS_LOCK = __import__("threading").Lock()
_BLAS_STATE: list = [0, None]  # searches running with BLAS on one thread, the limiter that set it


class _OneBlasThread:
    """While a neighbour search runs its chunks on 2+ threads, numpy's BLAS runs each product on
    one thread (`threadpoolctl`); the previous setting comes back when the last such search ends.

    Why: OpenBLAS's own threads (2 here) on top of 2 search threads oversubscribe the cores, and
    its idle threads spin: imdb_dbpedia's embedding search took 5.3-5.6 s CPU, 4.3 s with one BLAS
    thread per search thread. The product is the same bit for bit (BLAS splits rows and columns
    among its threads, never the sum over the dimensions; `tests/unit/test_resolve_s14_block.py`)."""

    def __init__(self, threads: int):
        self.on = threads >= 2

    def __enter__(self):
        if self.on:
            with _BLAS_LOCK:
                if _BLAS_STATE[0] == 0:
                    try:
                        from threadpoolctl import threadpool_limits

                        _BLAS_STATE[1] = threadpool_limits(1, user_api="blas")
                    except Exception:  # pragma: no cover - threadpoolctl comes with scikit-learn
                        _BLAS_STATE[1] = None
                _BLAS_STATE[0] += 1
        return self

    def __exit__(self, *exc):
        if self.on:
            with _BLAS_LOCK:
                _BLAS_STATE[0] -= 1
                if _BLAS_STATE[0] == 0 and _BLAS_STATE[1] is not None:
                    _BLAS_STATE[1].restore_original_limits()
                    _BLAS_STATE[1] = None
        return False


def _torch_for(width: int):
    """torch for a selection over lines `width` long, or None: numpy selects.

    torch when it is imported already; imported here only for wide rows (importing costs seconds).
    Tests replace this to force one path."""
    torch = sys.modules.get("torch")
    if torch is None and width >= TORCH_TOPK_MIN_TARGETS:
        try:  # importing torch costs seconds: worth it only for wide searches
            import torch
        except ImportError:  # pragma: no cover - torch comes with the embedding model
            torch = None
    return torch


def _topk_dense(q: np.ndarray, t: np.ndarray, k: int, q_idx: np.ndarray, t_idx: np.ndarray, same: bool,
                tick: Tick = _no_tick) -> list[np.ndarray]:
    """Top-k target indices (global) by dot product for each query row, chunked to bound memory;
    `tick(rows)` after each chunk (a progress bar). Pairs by query, then target; equal
    similarities at the k-th place go to the lower target; similarity <= 0 is no candidate."""
    out_l, out_r = [], []
    k = min(k, t.shape[0] - (1 if same else 0))
    if k <= 0:
        return [np.zeros(0, np.int64), np.zeros(0, np.int64)]
    bufs: dict = {}  # per search thread: its reused chunk buffer (`_product_into`)
    tt = _targets_t(t)

    def one(start: int) -> tuple[np.ndarray, np.ndarray, int]:
        sims = _product_into(q[start:start + _CHUNK], t, tt, bufs)
        if same:  # never one's own neighbour
            rows = np.arange(sims.shape[0])
            sims[rows, rows + start] = -np.inf
        line, part, _ = _topk_positive(sims, k, 1)
        return q_idx[start + line], t_idx[part], sims.shape[0]

    starts = range(0, q.shape[0], _CHUNK)
    with _OneBlasThread(0 if sparse.issparse(q) else min(search_threads(), len(starts))):
        for ql_, tr_, rows_done in _in_order(one, starts):
            out_l.append(ql_)
            out_r.append(tr_)
            tick(rows_done)
    return [np.concatenate(out_l), np.concatenate(out_r)]


# Chunks of a neighbour search run on `search_threads()` threads: the sparse product, the dense
# copy and the selection release the GIL, and each chunk is independent (results are taken in chunk
# order, so the output is the same as one thread's).
SEARCH_THREADS_ENV = "MATRIX_SEARCH_THREADS"
SEARCH_THREADS_MAX = 4
# Tests (or a caller) may pin the count here; None: `search_threads()` decides at each search
SEARCH_THREADS: int | None = None


def search_threads() -> int:
    """Threads for one neighbour search, decided when the search starts (not at import).

    In order: `SEARCH_THREADS` when set; the environment variable MATRIX_SEARCH_THREADS (a positive
    integer; jobs/ sets it in a Ray task from the CPUs the task was given); else at most
    SEARCH_THREADS_MAX, no more than the CPUs this process may run on (its affinity mask: a
    container or `taskset` limit, not the machine's core count) and no more than torch's intra-op
    threads when torch is imported (a worker that limited torch, e.g. through OMP_NUM_THREADS
    as Ray sets it, wants no more threads here either). Why: a fixed min(4, cpu_count) at import
    ran 4 threads in a Ray worker that was given one CPU of a 16-core node.
    """
    if SEARCH_THREADS is not None:
        return max(1, int(SEARCH_THREADS))
    raw = os.environ.get(SEARCH_THREADS_ENV, "").strip()
    if raw:
        try:
            return max(1, int(raw))
        except ValueError:
            raise ValueError(f"{SEARCH_THREADS_ENV} must be a positive integer, got {raw!r}") from None
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        cpus = os.cpu_count() or 1
    torch = sys.modules.get("torch")
    if torch is not None:
        cpus = min(cpus, torch.get_num_threads())
    return max(1, min(SEARCH_THREADS_MAX, cpus))


def _in_order(fn, items):
    """`map(fn, items)` on `search_threads()` threads, yielded in the order of `items` as they finish."""
    items = list(items)
    threads = min(search_threads(), len(items))
    if threads <= 1:
        yield from map(fn, items)
        return
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=threads) as pool:
        yield from pool.map(fn, items)


def _dense_rows(block) -> np.ndarray:
    return np.asarray(block.toarray() if sparse.issparse(block) else block, dtype=np.float32)


def _topk_both_ways(a, b, k: int, a_idx: np.ndarray, b_idx: np.ndarray,
                    tick: Tick = _no_tick) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Both directions of a two-table search from one pass over `a @ b.T`: each row of `a` gets
    its top-k of `b` (as `_topk_dense`) and each row of `b` its top-k of `a`, from the columns.

    Why: a linkage searches A against B and then B against A, computing the same similarities
    twice; one pass keeps a running top-k per column beside the per-row one.
    Exact both ways, so B -> A needs no partitioned (approximate) search even when A is too
    large for brute force, as long as B is not. Returns ([a ids, b ids] of A's queries,
    [b ids, a ids] of B's): A's by query, then target; B's by query, best first. Equal similarities
    at the k-th place go to the lower index.
    """
    ka, kb = min(k, b.shape[0]), min(k, a.shape[0])
    if ka <= 0 or kb <= 0:
        empty = np.zeros(0, np.int64)
        return [empty, empty], [empty, empty]
    rows_l, rows_r = [], []
    bufs: dict = {}  # per search thread: its reused chunk buffer (`_product_into`)
    merged = _ColumnBest(b.shape[0], kb)
    bt = _targets_t(b)

    def one(start: int):
        sims = _product_into(a[start:start + _CHUNK], b, bt, bufs)
        line, part, _ = _topk_positive(sims, ka, 1)
        # each column's best rows of this chunk that beat what earlier chunks hold already (their
        # rows are lower, so they win ties too). `merged.floor` is read while the main thread
        # merges: whatever it holds then comes from earlier chunks only (merged in order, and a
        # floor only rises), so it is a bound all the same
        col, row, val = _topk_positive(sims, min(kb, sims.shape[0]), 0, floor=merged.floor.copy())
        return a_idx[start + line], b_idx[part], col, row + start, val, sims.shape[0]

    # chunks are searched on threads; the running per-column top-k is merged in chunk order, as before
    starts = range(0, a.shape[0], _CHUNK)
    with _OneBlasThread(0 if sparse.issparse(a) else min(search_threads(), len(starts))):
        for row_l, row_r, col, row, val, n_rows in _in_order(one, starts):
            rows_l.append(row_l)
            rows_r.append(row_r)
            merged.add(col, row, val)
            tick(n_rows)
    tick(b.shape[0])
    col, row = merged.pairs()
    return [np.concatenate(rows_l), np.concatenate(rows_r)], [b_idx[col], a_idx[row]]


class _ColumnBest:
    """Per column, its best `k` rows with a positive value seen so far, rows arriving in ascending
    order (`_topk_both_ways`' chunks): larger value first, equal values by the lower row.

    `floor[c]` is column c's k-th value once it holds k rows, else 0: a later row enters only
    above it. Why this and not a selection over (held + new) per column at each chunk: after the
    first chunks most columns take nothing new, and only the columns that do are touched."""

    def __init__(self, n_cols: int, k: int):
        self.k = k
        self.val = np.zeros((n_cols, k), np.float32)  # 0: an empty slot
        self.row = np.full((n_cols, k), -1, np.int64)
        self.floor = np.zeros(n_cols, np.float32)

    def add(self, col: np.ndarray, row: np.ndarray, val: np.ndarray) -> None:
        """Merge new entries (rows above every row held; at most k per column, all positive)."""
        if col.size == 0:
            return
        cols = unique_sorted(col)
        held_v, held_r = self.val[cols], self.row[cols]
        held = held_v > 0
        line = np.concatenate([np.broadcast_to(np.arange(cols.size)[:, None], held.shape)[held],
                               np.searchsorted(cols, col)])
        r = np.concatenate([held_r[held], row])
        v = np.concatenate([held_v[held], val])
        order = np.lexsort((r, -v, line))
        line, r, v = line[order], r[order], v[order]
        rank = np.arange(line.size) - np.searchsorted(line, line, side="left")
        take = rank < self.k
        new_v = np.zeros((cols.size, self.k), np.float32)
        new_r = np.full((cols.size, self.k), -1, np.int64)
        new_v[line[take], rank[take]] = v[take]
        new_r[line[take], rank[take]] = r[take]
        self.val[cols], self.row[cols] = new_v, new_r
        self.floor[cols] = new_v[:, -1]

    def pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """(column, row) of every entry held, by column, best first."""
        keep = self.val > 0
        return np.broadcast_to(np.arange(self.val.shape[0])[:, None], keep.shape)[keep], self.row[keep]


def _kmeans(x: np.ndarray, n_lists: int, seed: int = 0, iters: int = 8) -> np.ndarray:
    """Spherical k-means centroids (rows L2-normalized), trained on a sample; deterministic per seed."""
    rng = np.random.default_rng(seed)
    sample = x[np.sort(rng.choice(x.shape[0], min(x.shape[0], 40 * n_lists), replace=False))]
    cent = sample[np.sort(rng.choice(sample.shape[0], n_lists, replace=False))].copy()
    for _ in range(iters):
        assign = np.argmax(sample @ cent.T, axis=1)
        sums = np.zeros_like(cent)
        np.add.at(sums, assign, sample)
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        empty = norms[:, 0] == 0
        cent = np.where(empty[:, None], cent, sums / np.where(norms == 0, 1, norms))
    return cent.astype(np.float32)


def _top_lists(x: np.ndarray, cent: np.ndarray, probes: int) -> np.ndarray:
    out = []
    for start in range(0, x.shape[0], 4096):
        sims = x[start:start + 4096] @ cent.T
        out.append(_row_topk(np.asarray(sims, np.float32), probes)[0])  # ties: the lower list
    return np.concatenate(out)


def _topk_ivf(q: np.ndarray, t: np.ndarray, k: int, q_idx: np.ndarray, t_idx: np.ndarray,
              exact: tuple | None = None) -> list[np.ndarray]:
    """Approximate top-k by dot product: targets in ~sqrt(n) k-means lists, each query searches its
    `ANN_PROBES` nearest lists. Same output contract as `_topk_dense`; a query never gets itself
    (same global index) as a neighbour.

    `exact` = (query rows, target rows) of the original (sparse) matrix: `q`/`t` are then only
    its projection, used to partition, and pairs inside the searched lists are scored on the
    original rows. Why: a 128-dim projection of character n-grams ranks neighbours poorly (it
    found a sixth of the title matches that exact n-gram cosine finds on a 50k-record linkage).
    """
    n_lists = max(8, int(np.sqrt(t.shape[0])))
    cent = _kmeans(t, n_lists)
    t_list = _top_lists(t, cent, 1)[:, 0]
    q_lists = _top_lists(q, cent, min(ANN_PROBES, n_lists))
    members = np.argsort(t_list, kind="stable")
    bounds = np.searchsorted(t_list[members], np.arange(n_lists + 1))
    flat_q = np.repeat(np.arange(q.shape[0]), q_lists.shape[1])
    flat_l = q_lists.reshape(-1)
    order = np.argsort(flat_l, kind="stable")
    flat_q, flat_l = flat_q[order], flat_l[order]
    qb = np.searchsorted(flat_l, np.arange(n_lists + 1))
    cq, ct, cs = [], [], []
    for li in range(n_lists):
        tm = members[bounds[li]:bounds[li + 1]]
        qs = flat_q[qb[li]:qb[li + 1]]
        if tm.size == 0 or qs.size == 0:
            continue
        sims = q[qs] @ t[tm].T if exact is None else np.asarray((exact[0][qs] @ exact[1][tm].T).toarray(), np.float32)
        sims[q_idx[qs][:, None] == t_idx[tm][None, :]] = -np.inf
        kk = min(k, tm.size)
        part, top = _row_topk(sims, kk, exact_above=0.0)  # the final `keep` drops similarity <= 0
        cq.append(np.repeat(qs, kk))
        ct.append(tm[part].reshape(-1))
        cs.append(top.reshape(-1))
    if not cq:
        return [np.zeros(0, np.int64), np.zeros(0, np.int64)]
    cq_, ct_, cs_ = np.concatenate(cq), np.concatenate(ct), np.concatenate(cs)
    order = np.lexsort((ct_, -cs_, cq_))  # by query, best first, equal similarities by target (as `_topk_lines`)
    cq_, ct_, cs_ = cq_[order], ct_[order], cs_[order]
    rank = np.arange(cq_.size) - np.searchsorted(cq_, cq_, side="left")
    keep = (rank < k) & (cs_ > 0) & np.isfinite(cs_)
    return [q_idx[cq_[keep]], t_idx[ct_[keep]]]


def _dense_for_ann(matrix) -> np.ndarray:
    """Sparse n-gram rows -> a few dense dims (truncated SVD) so they can be partitioned."""
    if not sparse.issparse(matrix):
        return np.asarray(matrix, np.float32)
    from sklearn.decomposition import TruncatedSVD

    dim = min(LEXICAL_SVD_DIM, matrix.shape[1] - 1)
    svd = TruncatedSVD(n_components=dim, algorithm="randomized", n_iter=3, random_state=0)
    if matrix.shape[0] > LEXICAL_SVD_SAMPLE:  # fit the projection on a sample, apply it to every row
        rows = np.sort(np.random.default_rng(0).choice(matrix.shape[0], LEXICAL_SVD_SAMPLE, replace=False))
        x = np.asarray(matrix @ svd.fit(matrix[rows]).components_.T)
    else:
        x = svd.fit_transform(matrix)
    x = x.astype(np.float32)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-9)


def _groups_of(source: list[str], cross_only: bool) -> list[np.ndarray]:
    """Index groups to search against each other: per source when linking, everything when deduping."""
    if not cross_only:
        return [np.arange(len(source))]
    src = np.asarray(source)
    return [np.flatnonzero(src == s) for s in dict.fromkeys(source)]


def representatives(records: Records, texts: list[str], cross_only: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One representative per identical text (per source when linking) and star pairs inside each group.

    Why: when 300 records carry the same name, their nearest neighbours are each other and the
    variants that matter never enter the top k. Searching over distinct texts spends k on
    distinct neighbours; the identical copies are joined to their representative directly.
    """
    first: dict[tuple[str, str], int] = {}
    rep = np.empty(len(records), dtype=np.int64)
    for i, t in enumerate(texts):
        key = (records.source[i] if cross_only else "", t)
        rep[i] = first.setdefault(key, i)
    others = np.flatnonzero(rep != np.arange(len(records)))
    return rep, others, rep[others]


def knn_pairs(matrix, records: Records, k: int, cross_only: bool, active: np.ndarray | None = None,
              texts: list[str] | None = None, tick: Tick = _no_tick) -> tuple[np.ndarray, np.ndarray]:
    """k nearest neighbours by cosine (rows of `matrix` are L2-normalized), within the allowed pairs.

    With `texts`, the search runs over distinct texts only and the results are expanded back to
    all records sharing them (see `representatives`).
    """
    if texts is not None:
        rep, dup, dup_rep = representatives(records, texts, cross_only)
        is_rep = rep == np.arange(len(records))
        act = None
        if active is not None:  # a representative is active when any of its copies is
            act = np.zeros(len(records), dtype=bool)
            np.logical_or.at(act, rep, active)
        sub = np.flatnonzero(is_rep)
        lp, r = _knn_pairs_on(matrix[sub], records, sub, k, cross_only, None if act is None else act[sub], tick)
        # records sharing a searched text count as done too
        tick(int((active if active is not None else np.ones(len(records), bool)).sum()
                 - (act[sub] if act is not None else np.ones(sub.size, bool)).sum()))
        # copies inherit their representative's neighbours (bounded: the first two copies only);
        # grouped by sorting, so the cost is linear in the pairs, not pairs x groups. A copy is
        # paired with its representative only in a dedup: when linking, the two share a table,
        # and such a pair, scored as a cross-table one, used up both records in the 1:1 step
        # (imdb_dbpedia, session 6: 1,319 same-table pairs above the cut)
        extra_l, extra_r = ([], []) if cross_only else ([dup], [dup_rep])
        if dup.size and lp.size:
            order = np.argsort(lp, kind="stable")
            ls_, rs_ = lp[order], r[order]
            starts = np.searchsorted(ls_, dup_rep, side="left")
            ends = np.searchsorted(ls_, dup_rep, side="right")
            # rank of each copy among the copies of its representative, in record order
            by_rep = np.argsort(dup_rep, kind="stable")
            sorted_rep = dup_rep[by_rep]
            rank = np.empty(dup.size, np.int64)
            rank[by_rep] = np.arange(dup.size) - np.searchsorted(sorted_rep, sorted_rep, side="left")
            # each kept copy d gets rs_[start:end] of its representative, in copy order: one
            # repeat and one gather for all of them (a Python loop per copy before)
            sel = (rank < 2) & (ends > starts)
            d_, a_, b_ = dup[sel], starts[sel], ends[sel]
            if d_.size:
                lens = b_ - a_
                extra_l.append(np.repeat(d_.astype(np.int64), lens))
                first = np.cumsum(lens) - lens  # where each copy's run starts in the output
                extra_r.append(rs_[np.repeat(a_ - first, lens) + np.arange(int(lens.sum()))])
        return np.concatenate([lp] + extra_l), np.concatenate([r] + extra_r)
    return _knn_pairs_on(matrix, records, np.arange(len(records)), k, cross_only, active, tick)


def _knn_pairs_on(
    matrix, records: Records, index: np.ndarray, k: int, cross_only: bool, active: np.ndarray | None,
    tick: Tick = _no_tick,
) -> tuple[np.ndarray, np.ndarray]:
    """kNN among the records `index` (rows of `matrix` align with `index`)."""
    sub_source = [records.source[i] for i in index.tolist()]
    groups = _groups_of(sub_source, cross_only)
    if cross_only and active is None and len(groups) == 2 and 0 < min(g.size for g in groups) <= ANN_MIN_TARGETS:
        # two tables, every record a query, the smaller one small enough for exact search: one pass
        # serves both directions (the larger table's rows are chunked, the smaller one is the target)
        big, small = sorted(groups, key=lambda g: -g.size)
        (al, ar), (bl, br) = _topk_both_ways(matrix[big], matrix[small], k, big, small, tick)
        return index[np.concatenate([al, bl])], index[np.concatenate([ar, br])]
    original = matrix if sparse.issparse(matrix) else None
    if max(g.size for g in groups) > ANN_MIN_TARGETS:
        matrix = _dense_for_ann(matrix)
    ls, rs = [], []
    for gi, g in enumerate(groups):
        queries = g if active is None else g[active[g]]
        if queries.size == 0:
            continue
        targets_sets = [t for tj, t in enumerate(groups) if tj != gi] if cross_only else [g]
        for t in targets_sets:
            if t.size == 0:
                continue
            same = not cross_only
            if t.size > ANN_MIN_TARGETS:
                lp, r = _topk_ivf(matrix[queries], matrix[t], k, queries, t,
                                  exact=None if original is None else (original[queries], original[t]))
                tick(queries.size)
            elif same and active is not None:
                # queries are a subset of targets: drop self by masking via global ids below
                lp, r = _topk_dense(matrix[queries], matrix[t], k + 1, queries, t, same=False, tick=tick)
                m = lp != r
                lp, r = lp[m], r[m]
            else:
                lp, r = _topk_dense(matrix[queries], matrix[t], k, queries, t, same=same, tick=tick)
            ls.append(lp)
            rs.append(r)
    if not ls:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return index[np.concatenate(ls)], index[np.concatenate(rs)]


def lexical_texts(records: Records) -> list[str]:
    """What the lexical blocker compares: the name fields (other string fields when there is no name)."""
    cols = [[as_text(v) for v in records.values[c]] for c in _lexical_fields(records)]  # column by column
    if not cols:
        return ["\x00"] * len(records)
    return [" ".join(t for t in row if t) or "\x00" for row in zip(*cols, strict=True)]


def _lexical_fields(records: Records) -> list[str]:
    spec = records.spec
    return [f.name for f in spec.fields if f.type in NAME_TYPES and f.weight > 0] or \
           [f.name for f in spec.fields if f.type in ("text", "identifier", "categorical") and f.weight > 0]


def lexical_views(records: Records) -> list[tuple[np.ndarray, list[str], np.ndarray]]:
    """(records, texts, queries) per lexical field: each field is compared with the same field.

    Why one view per field instead of one concatenated text: a film's title and its lead actor
    in one string let an actor that only one source lists drown the title's n-grams, and a
    record whose title is empty would be compared by its actor with the other side's titles.
    The first field (what a record is called) is searched by every record that has it; a
    later field is searched only by records that lack every field before it (the fallback),
    against all records that have it, so it adds few candidates.
    """
    n = len(records)
    covered = np.zeros(n, dtype=bool)
    views = []
    for group in _name_parts(records, _lexical_fields(records)):
        parts = [[as_text(v) for v in records.values[c]] for c in group]
        texts = [" ".join(t for t in row if t) or None for row in zip(*parts, strict=True)]
        has = np.array([bool(t) for t in texts], dtype=bool)
        queries = has & ~covered
        if queries.any():
            idx = np.flatnonzero(has)
            views.append((idx, [texts[i] or "" for i in idx.tolist()], queries[idx]))
        covered |= has
    return views


def _tie_break_fields(records: Records) -> list[str]:
    """Short, selective fields outside the leading name view (`TIE_BREAK_TYPES`), in spec order."""
    parts = _name_parts(records, _lexical_fields(records))
    lead = set(parts[0]) if parts else set()
    return [f.name for f in records.spec.fields
            if f.type in TIE_BREAK_TYPES and f.weight > 0 and f.name not in lead]


def _tied(records: Records, idx: np.ndarray, texts: list[str]) -> np.ndarray:
    """Per record of `idx`: whether its name text is carried by 2+ records of some one source."""
    per_source: dict[tuple[str, str], int] = defaultdict(int)
    for i, t in zip(idx.tolist(), texts, strict=True):
        per_source[(records.source[i], t)] += 1
    most: dict[str, int] = defaultdict(int)
    for (_, t), c in per_source.items():
        most[t] = max(most[t], c)
    return np.array([2 <= most[t] <= TIE_GROUP_MAX for t in texts], dtype=bool)


def _tie_break_view(records: Records, lead_view: tuple[np.ndarray, list[str], np.ndarray]
                    ) -> tuple[np.ndarray, list[str], np.ndarray] | None:
    """A second view of the name with the record's short fields appended (birth date, year,
    city...), searched only by records whose name is shared: None when nothing ties.

    Why: when six records carry the same full name, the neighbour slots of the name view fill
    with namesakes (identical texts are searched once and their copies only joined to one
    representative), so the one that is the same person, or his typo'd twin, is never a
    candidate. Measured on RLdata10000 (German persons, names + birth date): 207 of 1,000 true
    pairs were never candidates, 77 of them with identical full names. Appending the fields
    that tell namesakes apart ranks the same name *and* the same date first.
    """
    idx, texts, _ = lead_view
    fields = _tie_break_fields(records)
    if not fields:
        return None
    queries = _tied(records, idx, texts)
    if not queries.any():
        return None
    short = [short_texts(records, c) for c in fields]
    values = [[col[i] for col in short] for i in idx.tolist()]
    keyed = [" ".join([t] + [v for v in row if v]) for t, row in zip(texts, values, strict=True)]
    return idx, keyed, queries


def short_text(value) -> str | None:
    """A short field's value as text for the tie-break view: a date as 'year month day' (the parts
    it has), anything else as its normalized text.

    Why: typed dates carry no text, so until session 9 the view and its agreement filter skipped
    every `date` field (a birth date, a patent date) and kept namesakes that shared only a
    postcode: on a synthetic register that alone made EM take 'same given name and postcode' for
    a match once blocking stopped adding same-given-name pairs (precision 1.00 -> 0.57)."""
    if isinstance(value, Date):
        return " ".join(str(x) for x in (value.year, value.month, value.day) if x is not None)
    return as_text(value)


def short_texts(records: Records, field: str) -> list[str | None]:
    """`short_text` of every value of `field`, computed once per column: the tie-break view, its
    agreement filter and the short-field keys each ask for all of them. The column list itself is
    held (not its id), so another Records object is never mistaken for it."""
    col = records.values[field]
    hit = _SHORT_TEXTS.get(field)
    if hit is not None and hit[0] is col:
        return hit[1]
    out = [short_text(v) for v in col]
    _SHORT_TEXTS[field] = (col, out)
    return out


_SHORT_TEXTS: dict[str, tuple[list, list[str | None]]] = {}


def _agree_on_most(records: Records, fields: list[str], left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Per pair: known on both sides in at least one of `fields`, and equal in more than half of those.

    Why: the tie-break view returns its k nearest even when no namesake has the same birth date;
    a namesake that differs in every short field is no candidate worth a slot (measured on
    RLdata10000: unfiltered, those pairs raised the prior bound and merged namesakes). "More than
    half" since session 9: with two short fields (birth date, postcode), one shared postcode let
    namesakes in, and EM learned "same given name and postcode" as a match (synthetic register,
    `tests/unit/test_er_s7.py`); with three (year, month, day) two still suffice."""
    agree = np.zeros(left.size, np.int64)
    known = np.zeros(left.size, np.int64)
    for c in fields:
        col = np.array([t or "" for t in short_texts(records, c)], dtype=object)
        a, b = col[left], col[right]
        both = (a != "") & (b != "")
        known += both
        agree += both & (a == b)
    return (known > 0) & (2 * agree > known)


def tie_break_pairs(records: Records, view: tuple[np.ndarray, list[str], np.ndarray] | None, k: int,
                    cross_only: bool, active: np.ndarray | None, tick: Tick = _no_tick) -> tuple[np.ndarray, np.ndarray]:
    """kNN in the tie-break view (`_tie_break_view`), kept where the short fields mostly agree."""
    if view is None:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    lp, r = _lexical_pairs(records, k, cross_only, active, [view], tick=tick)
    fields = _tie_break_fields(records)
    keep = _agree_on_most(records, fields, lp, r)
    return lp[keep], r[keep]


def _name_parts(records: Records, cols: list[str]) -> list[list[str]]:
    """The lexical fields grouped into views: the leading fields of one name-like type form one
    view (a person split into `given_name` and `surname` columns is called by both), every
    other field its own view.

    Why: searched alone, a given-name column finds the other records with that given name
    (hundreds of Johns), not the same person; measured on FEBRL without its SSN column, pair
    completeness 0.88-0.97 at 11-14 candidates per record. Specs whose first name-like field is
    followed by another type (a title, then people) keep one view per field.
    """
    types = {f.name: f.type for f in records.spec.fields}
    if not cols:
        return []
    lead = [cols[0]]
    if types[cols[0]] in NAME_TYPES:
        for c in cols[1:]:
            if types[c] != types[cols[0]]:
                break
            lead.append(c)
    return [lead] + [[c] for c in cols[len(lead):]]


def _lexical_pairs(records: Records, k: int, cross_only: bool, active: np.ndarray | None, views=None,
                   tick: Tick = _no_tick) -> tuple[np.ndarray, np.ndarray]:
    """kNN over each lexical view (see `lexical_views`), in global record indices."""
    ls, rs = [], []
    for idx, texts, queries in (lexical_views(records) if views is None else views):
        if idx.size < 2:
            continue
        sub = records.subset(idx.tolist()) if idx.size < len(records) else records
        act = queries if active is None else queries & active[idx]
        if not act.any():
            continue
        lp, r = knn_pairs(lexical_matrix(texts), sub, k, cross_only, None if act.all() else act, texts=texts, tick=tick)
        ls.append(idx[lp])
        rs.append(idx[r])
    if not ls:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(ls), np.concatenate(rs)


def lexical_matrix(texts: list[str]) -> sparse.csr_matrix:
    """Character 3-gram TF-IDF rows (L2-normalized).

    The n-grams are sklearn's `char_wb` ones (lower case, per word, padded with a space),
    numbered once per distinct word (`_trigram_numbering`): names repeat their words thousands of times.
    The last matrix is kept: one blocking pass asks for the same texts more than once (the name
    view and the exact-key groups' name matrix). Callers never modify it."""
    key = tuple(texts)
    if _LEXICAL_CACHE and _LEXICAL_CACHE[0] == key:
        return _LEXICAL_CACHE[1]
    vec = _TrigramTfidf(analyzer=_char_wb_trigrams, sublinear_tf=True, dtype=np.float32, min_df=1)
    out = vec.fit_transform(texts).tocsr()
    _LEXICAL_CACHE[:] = [key, out]
    return out


_LEXICAL_CACHE: list = []  # [texts, matrix] of the last `lexical_matrix` call


class _TrigramTfidf(TfidfVectorizer):
    """sklearn's TfidfVectorizer whose counting step (`_count_vocab`) handles each distinct text
    and each distinct word once, for the `_char_wb_trigrams` analyzer; every later step (feature
    limits, sorting the vocabulary, idf, sublinear tf, normalizing) is sklearn's own.

    Why: sklearn's counting is a Python loop over every n-gram of every document (a dict lookup
    and a counter update each), most of the TF-IDF time on a 50k-record linkage. Same output, bit
    for bit: the vocabulary numbers terms in the order they are first met (a term is first met in
    the first occurrence of a word that has it, so walking first occurrences of words in document
    order meets the terms in the same order), and each row holds its terms' counts with the
    indices sorted, as sklearn's `X.sort_indices()` leaves them
    (`tests/unit/test_resolve_s13_speed.py` compares indices, data and vocabulary with sklearn's)."""

    def _count_vocab(self, raw_documents, fixed_vocab):
        docs = raw_documents if isinstance(raw_documents, list) else list(raw_documents)
        if fixed_vocab or self.analyzer is not _char_wb_trigrams or not all(type(d) is str for d in docs):
            return super()._count_vocab(docs, fixed_vocab)
        distinct = list(dict.fromkeys(docs))  # distinct documents in order of first appearance
        doc_of = np.fromiter(map(_numbering(distinct).__getitem__, docs), np.int64, len(docs))
        flat, words_per_doc = _lower_words(distinct)
        # distinct words in order of first appearance: their n-grams numbered in that order
        distinct_words = list(dict.fromkeys(flat))
        vocab, w_terms, w_len = _trigram_numbering(distinct_words)
        word_of = np.fromiter(map(_numbering(distinct_words).__getitem__, flat), np.int64, len(flat))
        w_start = np.concatenate([[0], np.cumsum(w_len)[:-1]]).astype(np.int64)
        occ_len = w_len[word_of]  # per word occurrence: its n-grams, laid end to end
        occ_first = np.repeat(w_start[word_of] - np.concatenate([[0], np.cumsum(occ_len)[:-1]]), occ_len)
        terms = w_terms[occ_first + np.arange(int(occ_len.sum()))] if occ_len.size else np.zeros(0, np.int64)
        owner = np.repeat(np.repeat(np.arange(len(distinct)), words_per_doc), occ_len)
        if not vocab:
            raise ValueError("empty vocabulary; perhaps the documents only contain stop words")
        width = len(vocab)
        code, count = np.unique(owner * width + terms, return_counts=True)
        d_nnz = np.bincount(code // width, minlength=len(distinct))  # terms per distinct document
        d_start = np.concatenate([[0], np.cumsum(d_nnz)[:-1]])
        nnz = d_nnz[doc_of]
        indptr = np.concatenate([[0], np.cumsum(nnz)])
        # each document's run of its distinct document's entries, in document order
        take = np.repeat(d_start[doc_of] - indptr[:-1], nnz) + np.arange(int(indptr[-1]))
        index_dtype = np.int32 if indptr[-1] <= np.iinfo(np.int32).max else np.int64
        x = sparse.csr_array((count[take].astype(np.intc), (code % width)[take].astype(index_dtype),
                              indptr.astype(index_dtype)), shape=(len(docs), width), dtype=self.dtype)
        x.sort_indices()
        return vocab, _align_sparse(x)


_WORD_SEP = "\x02"  # joins documents for one split (`_lower_words`); a document holding it is split alone


def _lower_words(docs: list[str]) -> tuple[list[str], np.ndarray]:
    """Every document's `d.lower().split()` laid end to end, and the number of words per document.

    Why one joined string: one `lower` and one `split` over all documents instead of one pair per
    document (a 50k-record film linkage: 0.24 -> 0.07 s for its widest view). Same words: the separator
    is a token of its own between spaces, so no word spans two documents, and `str.lower`'s only
    context rule (Greek final sigma) sees a space at each document's ends either way."""
    if not docs:
        return [], np.zeros(0, np.int64)
    if any(_WORD_SEP in d for d in docs):
        words = [d.lower().split() for d in docs]
        return list(itertools.chain.from_iterable(words)), np.fromiter(map(len, words), np.int64, len(words))
    tokens = f" {_WORD_SEP} ".join(docs).lower().split()
    bounds = np.fromiter((i for i, t in enumerate(tokens) if t == _WORD_SEP), np.int64)
    per_doc = np.diff(np.concatenate([[-1], bounds, [len(tokens)]])) - 1
    return [t for t in tokens if t != _WORD_SEP], per_doc


def _trigram_numbering(words: list[str]) -> tuple[dict[str, int], np.ndarray, np.ndarray]:
    """sklearn's `char_wb` 3-grams of each (distinct) word, numbered in order of first appearance:
    (the numbering, every word's n-gram numbers end to end, n-grams per word). Built with C-level
    passes (`dict.fromkeys`, `map`) over one flat list rather than a dict update per n-gram."""
    padded = [" " + w + " " for w in words]
    grams = [p[i:i + 3] for p in padded for i in range(len(p) - 2)]
    vocab = dict(zip(dict.fromkeys(grams), itertools.count()))
    terms = np.fromiter(map(vocab.__getitem__, grams), np.int64, len(grams))
    return vocab, terms, np.fromiter((len(p) - 2 for p in padded), np.int64, len(padded))


def _numbering(items: list) -> dict:
    """Each of `items` (distinct) -> its position."""
    return dict(zip(items, range(len(items)), strict=True))


def _align_sparse(x):
    """sklearn's own container choice for a count matrix (csr_array or csr_matrix, by its config)."""
    try:
        from sklearn.utils._sparse import _align_api_if_sparse
    except ImportError:  # pragma: no cover - older sklearn: csr_matrix throughout
        return sparse.csr_matrix(x)
    return _align_api_if_sparse(x)


def _char_wb_trigrams(doc: str) -> list[str]:
    """sklearn's `char_wb` analyzer at ngram_range (3, 3): lower case, then per whitespace-split
    word, the 3-grams of ' word ' (same n-grams, same order, so the same vocabulary and matrix)."""
    out: list[str] = []
    for w in doc.lower().split():
        out += _word_trigrams(w)
    return out


@functools.lru_cache(maxsize=1 << 17)
def _word_trigrams(word: str) -> list[str]:
    w = " " + word + " "
    return [w[i:i + 3] for i in range(len(w) - 2)]


def blocking_keys(records: Records) -> dict[str, list[str | None]]:
    """The exact-key columns blocking uses: the record's keys, except that a name split over
    several leading fields of one name-like type (`given_name` + `surname`, the lead view of
    `_name_parts`) gives one full-name key (its parts' keys joined, when at least two are known)
    instead of one key per part.

    Why: an exact key on one part of a name is "same given name" or "same surname", shared by
    hundreds of different people; it paired every namesake of a part (FEBRL 2: 31,710 of 65,900
    candidate pairs, session 8) and held most person registers above 10 candidates per record. The
    part-level evidence stays with the lexical view of the whole name, which ranks the typo'd twin
    above the namesakes.
    """
    parts = _name_parts(records, _lexical_fields(records))
    lead = set(parts[0]) if parts and len(parts[0]) >= 2 else set()
    if not lead:
        return records.keys
    out: dict[str, list[str | None]] = {}
    split = [k for k in records.keys if k.split("~")[0] in lead and k == k.split("~")[0]]
    for name, keys in records.keys.items():
        if name.split("~")[0] not in lead:
            out[name] = keys
    if len(split) >= 2:
        cols = [records.keys[k] for k in split]
        out["~".join(split)] = [" ".join(v for v in row if v) if sum(1 for v in row if v) >= 2 else None
                                for row in zip(*cols, strict=True)]
    return out


def key_pairs(records: Records, cross_only: bool, max_group: int,
              active: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Pairs sharing an exact key (`blocking_keys`). A group of up to `max_group` records gives
    every pair; a larger one a star on three hubs (enough to connect it), except that in a large
    group of a key other than the record's name (a house number, an employer) each member gets its
    most name-similar member instead (`_best_partners`, up to `KEY_RANK_MAX` members).

    Why the name keys keep the star: their members share the name, so ranking them by name says
    nothing, and a group of one organisation filed many times needs its hubs (PatStat, 150-record
    slice: B-cubed F1 0.976 with the star, 0.592 with one partner each)."""
    ls, rs = [], []
    names: list = []  # the lexical name matrix, built on first need

    def name_matrix() -> sparse.csr_matrix:
        if not names:
            names.append(lexical_matrix(lexical_texts(records)))
        return names[0]

    parts = _name_parts(records, _lexical_fields(records))
    lead = set(parts[0]) if parts else set()
    source = _source_codes(records) if cross_only else None
    for key, keys in blocking_keys(records).items():
        order, starts, sizes = _key_groups(keys)
        by_name = any(part in lead for part in key.split("~"))
        ranked = (sizes > max_group) & (sizes <= KEY_RANK_MAX) & (not by_name)
        for start, size in zip(starts[ranked].tolist(), sizes[ranked].tolist(), strict=True):
            a_, b_ = _best_partners(order[start:start + size], name_matrix(), source, active)
            ls.append(a_)
            rs.append(b_)
        a_, b_ = _group_pairs(order, starts, sizes, ~ranked, max_group)
        keep = np.ones(a_.size, dtype=bool)
        if source is not None:
            keep &= source[a_] != source[b_]
        if active is not None:
            keep &= active[a_] | active[b_]
        ls.append(a_[keep])
        rs.append(b_[keep])
    if not ls:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(ls).astype(np.int64), np.concatenate(rs).astype(np.int64)


def _key_groups(keys: list[str | None]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The records grouped by exact key (`None` / empty keys left out): `order` holds the record
    indices group after group, ascending inside each group; `starts` / `sizes` delimit the groups
    (in order of each group's first record)."""
    code: dict[str, int] = {}
    ids = np.fromiter((code.setdefault(k, len(code)) if k else -1 for k in keys), np.int64, len(keys))
    has = np.flatnonzero(ids >= 0)
    order = has[np.argsort(ids[has], kind="stable")]
    if order.size == 0:
        return order, np.zeros(0, np.int64), np.zeros(0, np.int64)
    g = ids[order]
    starts = np.flatnonzero(np.concatenate([[True], g[1:] != g[:-1]]))
    sizes = np.diff(np.concatenate([starts, [order.size]]))
    return order, starts, sizes


def _group_pairs(order: np.ndarray, starts: np.ndarray, sizes: np.ndarray, use: np.ndarray,
                 max_group: int) -> tuple[np.ndarray, np.ndarray]:
    """`_all_or_star` over every group marked in `use`, as array operations: every pair of a group of
    at most `max_group` records, and a star on its first three records for a larger one (each hub
    paired with every later member). Why: the per-group Python loop over a 50k-record linkage's
    ~170k key groups was most of `key_pairs`' time; the pairs are the same (callers take them as a set).
    """
    grp = np.repeat(np.arange(starts.size), sizes)
    rel = np.arange(order.size) - starts[grp]  # each position's rank inside its group
    size_at = sizes[grp]
    on = use[grp] & (size_at >= 2)
    small = on & (size_at <= max_group)
    ls, rs = [], []
    for d in range(1, int(min(max_group, sizes.max(initial=1))) if small.any() else 1):
        p = np.flatnonzero(small[:order.size - d] & (rel[:order.size - d] + d < size_at[:order.size - d]))
        ls.append(order[p])
        rs.append(order[p + d])
    big = on & (size_at > max_group)
    if big.any():
        big_groups = np.flatnonzero(use & (sizes > max_group))
        for j in range(3):  # hub j of each group that has a member after it
            with_hub = big_groups[sizes[big_groups] > j + 1]
            ls.append(np.repeat(order[starts[with_hub] + j], sizes[with_hub] - j - 1))
            rs.append(order[big & (rel > j)])
    if not ls:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(ls), np.concatenate(rs)


def short_field_keys(records: Records) -> list[str | None]:
    """Per record, its short fields (`_tie_break_fields`: dates and codes outside the name) joined,
    or None where any of them is unknown or the spec has fewer than two.

    Why: a register's typos hit the names hardest. On the ONS mock census vs CIS (session 9, third
    part) 451 of the 602 true pairs that no blocker proposed had typo'd names (often both, or a
    forename cut to an initial: KARVEY KARRIS / HARVEY HARRIS) and sex, birth day, month, year and
    postcode all equal: the name views rank hundreds of closer spellings first. Every short field at once is
    nearly one person's fingerprint; one field alone (a year, a city) is not, hence two or more.
    All of them, not all but one: keys leaving one field out found 124 more census pairs but paired
    co-inventors of one patent (same city and date) on PatentsView (B-cubed F1 0.940 -> 0.872)."""
    fields = _tie_break_fields(records)
    if len(fields) < 2:
        return [None] * len(records)
    cols = [short_texts(records, c) for c in fields]
    return ["\x1f".join(v or "" for v in row) if all(row) else None for row in zip(*cols, strict=True)]


def short_field_pairs(records: Records, cross_only: bool, active: np.ndarray | None = None
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Every pair of records whose short fields are all known and all equal (`short_field_keys`),
    in groups of at most `SHORT_KEY_MAX_GROUP` records (larger groups are skipped: not selective)."""
    groups: dict[str, list[int]] = defaultdict(list)
    for i, key in enumerate(short_field_keys(records)):
        if key is not None:
            groups[key].append(i)
    ls: list[int] = []
    rs: list[int] = []
    src = records.source if cross_only else None
    for members in groups.values():
        if 2 <= len(members) <= SHORT_KEY_MAX_GROUP:
            _all_or_star(members, SHORT_KEY_MAX_GROUP, src, active, ls, rs)
    return np.asarray(ls, np.int64), np.asarray(rs, np.int64)


def _all_or_star(members: list[int], max_group: int, src: list[str] | None, active: np.ndarray | None,
                 ls: list[int], rs: list[int]) -> None:
    """Every pair of a small key group; a star on its first three members for a very large one.
    `src`: the records' sources when only cross-source pairs count."""
    if len(members) < 2:
        return
    hubs = members if len(members) <= max_group else members[:3]
    hub_set = set(hubs)
    for a in hubs:
        for b in members:
            if b <= a and b in hub_set:
                continue
            if a == b or (src is not None and src[a] == src[b]):
                continue
            if active is not None and not (active[a] or active[b]):
                continue
            ls.append(a)
            rs.append(b)


def _best_partners(members: np.ndarray, names: sparse.csr_matrix, source: np.ndarray | None,
                   active: np.ndarray | None, chunk: int = 1000) -> tuple[np.ndarray, np.ndarray]:
    """In a large exact-key group, each member paired with its `KEY_GROUP_PARTNERS` most
    name-similar members (cosine of the name's 3-gram TF-IDF rows; ties: the earlier record).

    Why: a key shared by many records (a house number, an employer) says little alone. The old
    star linked every member to the group's first three records: three candidate pairs per member,
    nearly all non-matches (FEBRL 2: 12,610 `street_number` pairs, 322 true, ~2.5 candidates per
    record; now 3,949, 822 true). The member most like it by name is where its duplicate is, if
    the key is right. Only for keys other than the record's name (`key_pairs`): in a group of one
    name every member is as similar as every other. `source`: per record its table's code when
    only cross-table pairs count.
    """
    ls, rs = [], []
    # the group's rows are taken once: a chunk's rows are a slice of them (the same rows, so the
    # same products), not a second fancy index into the whole matrix (two per group were most of
    # this step's time over a film set's 1,500 large groups)
    group = names[members]
    group_t = group.T
    for start in range(0, members.size, chunk):
        rows = members[start:start + chunk]
        part = group if rows.size == members.size else group[start:start + chunk]
        sims = np.asarray((part @ group_t).todense(), dtype=np.float64)
        sims[np.arange(rows.size), np.arange(start, start + rows.size)] = -np.inf
        if source is not None:
            sims[source[rows][:, None] == source[members][None, :]] = -np.inf
        if active is not None:
            sims[~(active[rows][:, None] | active[members][None, :])] = -np.inf
        if KEY_GROUP_PARTNERS == 1:  # the stable sort's first = the first position of the row's maximum
            best = np.argmax(sims, axis=1)[:, None]
        else:
            best = np.argsort(-sims, axis=1, kind="stable")[:, :KEY_GROUP_PARTNERS]
        ok = np.isfinite(np.take_along_axis(sims, best, axis=1))
        ls.append(np.repeat(rows, best.shape[1])[ok.ravel()])
        rs.append(members[best.ravel()][ok.ravel()])
    return np.concatenate(ls), np.concatenate(rs)


def _embedding_pairs(records: Records, vectors: np.ndarray, k: int, cross_only: bool, active: np.ndarray | None,
                     tick: Tick = _no_tick) -> tuple[np.ndarray, np.ndarray]:
    """Embedding kNN, searched within each group of records embedded from the same field."""
    groups = embedded_field(records)
    if groups is None:
        return knn_pairs(vectors, records, k, cross_only, active, texts=records.embed_text, tick=tick)
    ls, rs = [], []
    for g in np.unique(groups).tolist():
        idx = np.flatnonzero(groups == g)
        act = None if active is None else active[idx]
        if g < 0 or idx.size < 2 or (act is not None and not act.any()):
            tick(int(idx.size if act is None else act.sum()))
            continue
        sub = records.subset(idx.tolist())
        lp, r = knn_pairs(vectors[idx], sub, k, cross_only, None if act is None or act.all() else act,
                          texts=sub.embed_text, tick=tick)
        ls.append(idx[lp])
        rs.append(idx[r])
    if not ls:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(ls), np.concatenate(rs)


def person_fields(records: Records) -> list[str]:
    return [f.name for f in records.spec.fields if f.type == "person" and f.weight > 0]


def person_blocking_keys(raw) -> frozenset[str]:
    """A person value's blocking keys: its word-pair keys plus, for a one-person cell, family name
    + initial (`prepare.person_family_key`, kept apart by a '~' prefix) so that spellings of the
    given name that differ across sources still share a key."""
    family = person_family_key(raw)
    keys = person_name_keys(raw)
    return keys | {"~" + family} if family else keys


def person_key_matrix(records: Records, max_records: int = PERSON_KEY_MAX_RECORDS) -> sparse.csr_matrix | None:
    """Records x person-name keys, all person fields pooled, IDF-weighted, rows L2-normalized.

    Keys: `person_blocking_keys` (word pairs, and family name + initial for a one-person cell).
    Why pooled: sources file one person under different roles (one lists a film's writer,
    the other its director; one the lead actor, the other a supporting one), so a person shared
    across *any* two person fields is evidence worth a candidate slot. Rare names weigh more
    (IDF); a name on more than `max_records` records is dropped. None without person fields.
    """
    fields = person_fields(records)
    if not fields:
        return None
    seen: dict[tuple[type, object], frozenset[str]] = {}  # per distinct value (names recur on many records)
    ordered: dict[frozenset[str], list[str]] = {}  # per distinct key set: its keys sorted

    def keys_of(value) -> frozenset[str]:
        try:
            return seen[type(value), value]
        except KeyError:
            out = seen[type(value), value] = person_blocking_keys(value)
            return out
        except TypeError:  # unhashable: on its own
            return person_blocking_keys(value)

    def sorted_keys(keys: frozenset[str]) -> list[str]:
        out = ordered.get(keys)
        if out is None:
            out = ordered[keys] = sorted(keys)
        return out

    # each record's keys sorted (not set order: that follows the process's string hashing, see
    # `_sorted_key_order`), numbered in order of first appearance over the records in order. A
    # record with keys in one field only takes that value's sorted keys as they are (most do)
    per_record: list[list[str]] = []
    for row in zip(*([keys_of(v) for v in records.raw[f]] for f in fields), strict=True):
        named = [ks for ks in row if ks]
        per_record.append(sorted_keys(named[0]) if len(named) == 1 else sorted(frozenset().union(*named)))
    vocab: dict[str, int] = {}
    cols = [vocab.setdefault(key, len(vocab)) for keys in per_record for key in keys]
    if not cols:
        return None
    rows = np.repeat(np.arange(len(records)), [len(keys) for keys in per_record])
    x = sparse.csr_matrix((np.ones(len(cols), np.float32), (rows, cols)), shape=(len(records), len(vocab)))
    df = np.bincount(np.asarray(cols), minlength=len(vocab))
    weight = np.where((df >= 2) & (df <= max_records), np.log(len(records) / np.maximum(df, 1)), 0.0).astype(np.float32)
    x = (x @ sparse.diags(weight)).tocsr()
    x.eliminate_zeros()
    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1))).ravel()
    return (sparse.diags(1.0 / np.where(norms == 0, 1.0, norms)) @ x).tocsr()


def person_pool_pairs(records: Records, budget: int, found: np.ndarray, cross_only: bool,
                      active: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Pairs sharing a person (any person field against any other), filling each record's budget.

    A record that the other blockers gave `d` candidates (`found`: canonical pair codes) gets up
    to `budget - d` more (`budget` is a degree: pairs touching the record), its best-scoring
    ones by shared rare names (cosine of the IDF-weighted key rows, `person_key_matrix`).
    Why a top-up and not a blocker of its own: records with a usable name already have their
    candidates; the ones without a name (a film listed only by its cast) are the ones left with
    empty slots, and filling those keeps the cost per record bounded. A pair between two records
    that both take top-ups is kept only within both allowances (`_mutual_allowance`).
    """
    n = len(records)
    x = person_key_matrix(records)
    if x is None or n < 2:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    deg = np.bincount(found // n, minlength=n) + np.bincount(found % n, minlength=n)
    allowance = np.maximum(budget - deg, 0)
    has_keys = np.diff(x.indptr) > 0
    is_query = (allowance > 0) & has_keys & (True if active is None else active)
    queries = np.flatnonzero(is_query)
    if queries.size == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    sims = (x[queries] @ x.T).tocoo()
    ql, r, score = queries[sims.row], sims.col.astype(np.int64), sims.data
    keep = (ql != r) & (score > 0)
    if cross_only:
        src = np.unique(np.asarray(records.source), return_inverse=True)[1]
        keep &= src[ql] != src[r]
    ql, r, score = ql[keep], r[keep], score[keep]
    lo, hi = np.minimum(ql, r), np.maximum(ql, r)
    new = ~isin_sorted(lo * n + hi, found)
    ql, r, score = ql[new], r[new], score[new]
    order = np.lexsort((r, -score, ql))  # per query, best first (ties: lower index)
    ql, r = ql[order], r[order]
    rank = np.arange(ql.size) - np.searchsorted(ql, ql, side="left")
    take = (rank < allowance[ql]) & _mutual_allowance(ql, r, rank, allowance, is_query, n)
    return ql[take], r[take]


def _mutual_allowance(ql: np.ndarray, r: np.ndarray, rank: np.ndarray, allowance: np.ndarray,
                      is_query: np.ndarray, n: int) -> np.ndarray:
    """Per proposed top-up pair (query `ql`, partner `r`, `rank` in the query's list): keep it
    unless the partner also takes top-ups and the pair is not within the partner's own allowance.

    Why: the allowance counted only the pairs a record chose, not those others chose for it, so a
    record on a common name took its own allowance plus everyone's choices of it (session 8: most
    of FEBRL's and RLdata10000's 11-14 candidates per record). A partner that is itself full
    (no allowance, or no name keys) cannot limit anything and keeps the pair as before.
    """
    if ql.size == 0:
        return np.ones(0, dtype=bool)
    code = ql * n + r
    srt = np.argsort(code, kind="stable")
    reverse = r * n + ql
    pos = np.minimum(np.searchsorted(code[srt], reverse), code.size - 1)
    reverse_rank = np.where(code[srt][pos] == reverse, rank[srt][pos], np.iinfo(np.int64).max)
    return ~is_query[r] | (reverse_rank < allowance[r])


def _source_codes(records: Records) -> np.ndarray:
    """Per record, the index of its source (table) in `records.sources`."""
    code = {s: i for i, s in enumerate(records.sources)}
    return np.array([code[s] for s in records.source], dtype=np.int64)


def _canonical(lp: np.ndarray, r: np.ndarray, n: int) -> np.ndarray:
    lo, hi = np.minimum(lp, r), np.maximum(lp, r)
    codes = lo.astype(np.int64) * n + hi
    return unique_sorted(codes[lo != hi])


def block(records: Records, vectors: np.ndarray | None, k: int, cross_only: bool, max_key_group: int = 50,
          active: np.ndarray | None = None,
          pair_filter: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
          progress: bool | None = False) -> Candidates:
    """Union of embedding kNN, lexical kNN and exact-key pairs.

    `active` (bool per record) restricts to pairs touching at least one active record: the
    incremental path compares new listings with everything without re-comparing old pairs.
    `progress`: a bar on stderr counting records searched (rate, ETA) over every neighbour
    search; None = only from 1,000 record searches on (see `matrix.embed.progress_bar`).
    """
    from matrix.embed import progress_bar

    n = len(records)
    found: dict[str, np.ndarray] = {}
    n_active = n if active is None else int(active.sum())
    views = lexical_views(records) if n > 1 else []
    tie = _tie_break_view(records, views[0]) if views else None
    total = (n_active if vectors is not None and n > 1 else 0) + \
        sum(int((q if active is None else q & active[idx]).sum()) for idx, _, q in views + ([tie] if tie else []))
    with progress_bar(total, "blocking", "records", enabled=progress) as bar:
        if vectors is not None and n > 1:
            found["embedding"] = _canonical(*_embedding_pairs(records, np.asarray(vectors, np.float32), k, cross_only,
                                                              active, tick=bar.update), n)
        if n > 1:
            found["lexical"] = _canonical(*_lexical_pairs(records, k, cross_only, active, views, tick=bar.update), n)
            if tie is not None:
                found["tie_break"] = _canonical(*tie_break_pairs(records, tie, min(k, TIE_NEIGHBOURS), cross_only,
                                                                             active, bar.update), n)
    found["exact_key"] = _canonical(*key_pairs(records, cross_only, max_key_group, active), n)
    short = _canonical(*short_field_pairs(records, cross_only, active), n)
    if short.size:
        found["short_fields"] = short
    allc = unique_sorted(np.concatenate(list(found.values()))) if found else np.zeros(0, np.int64)
    # people shared across person fields top up the records the name blockers left short, up to a
    # degree of 2 x neighbours (= 4k): every pair is a candidate of both its records, so that
    # average degree is `neighbours` candidate pairs per record
    if person_fields(records):
        found["person"] = _canonical(*person_pool_pairs(records, 4 * k, allc, cross_only, active), n)
        allc = union_sorted(allc, found["person"])
    left, right = allc // n, allc % n
    if cross_only and left.size:  # linking compares across tables only, whatever a blocker found
        src = _source_codes(records)
        keep = src[left] != src[right]
        left, right = left[keep], right[keep]
    if active is not None and left.size:  # copies of active texts may have pulled in inactive pairs
        keep = active[left] | active[right]
        left, right = left[keep], right[keep]
    if pair_filter is not None and left.size:
        keep = pair_filter(left, right)
        left, right = left[keep], right[keep]
    return Candidates(left=left, right=right, by_blocker={k_: int(v.size) for k_, v in found.items()})

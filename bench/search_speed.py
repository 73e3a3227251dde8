"""Search speed of the master index, and PostgreSQL 15 full-text search on the same data.

    .venv/bin/python bench/search_speed.py            # 100k synthetic programs
    .venv/bin/python bench/search_speed.py --smoke    # small, for CI (< 60 s)
    .venv/bin/python bench/search_speed.py --n 20000 --keep /tmp/mx-bench   # reuse a built index

Prints, per mode (text / vector / hybrid, each with filters and all facets): p50 / p99 latency
in-process through `matrix.index.search`; recall@10 of the ANN vector index (IVF-PQ + refine)
against exact search; the same text queries against PostgreSQL (tsvector + GIN, ts_rank top 10
plus total) started privately on 127.0.0.1; and, with real all-MiniLM-L6-v2 embeddings of a small
realistic set, the same recall and hybrid latency. Synthetic vectors are clustered per category
(like real embeddings) so the IVF index behaves as on real data.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("LANCE_LOG", "error")

from matrix.config import load_settings  # noqa: E402
from matrix.index import MasterIndex, SearchFilters, SearchRequest, search  # noqa: E402
from matrix.index.search import FACETS  # noqa: E402
from matrix.index.synthetic import _TOPIC_WORDS, clustered_vectors, synthetic_programs  # noqa: E402

FILTERS = [
    SearchFilters(),
    SearchFilters(networks=["awin", "cj"]),
    SearchFilters(categories=["software", "marketing"], min_commission_percent=10),
    SearchFilters(min_cookie_days=30, countries=["US", "GB"]),
    SearchFilters(approval=["auto"], verified_since="2025-06-01"),
    SearchFilters(commission_models=["percent"], min_cookie_days=60),
]
REALISTIC_QUERIES = [
    "crm software for small business", "cheap vps hosting", "dog food subscription", "luxury hotel booking",
    "online coding courses", "skincare for sensitive skin", "running shoes", "budget travel flights",
    "personal loans with low interest", "crypto exchange wallet", "email marketing automation",
    "organic coffee beans", "gaming headset", "yoga and fitness classes", "home furniture and decor",
    "wordpress hosting with cdn", "language learning app", "camping and outdoor gear", "smart home devices",
    "credit card rewards",
]


def text_queries(n: int, seed: int = 1) -> list[str]:
    rng = np.random.default_rng(seed)
    cats = sorted(_TOPIC_WORDS)
    out = []
    for i in range(n):
        words = _TOPIC_WORDS[cats[rng.integers(len(cats))]]
        k = int(rng.integers(1, 4))
        out.append(" ".join(rng.choice(words, size=k, replace=False)))
    return out


def pct(ts: list[float]) -> str:
    return f"p50 {np.percentile(ts, 50):6.1f} ms  p99 {np.percentile(ts, 99):6.1f} ms"


def pct_figures(ts: list[float]) -> dict[str, float]:
    """The same percentiles as data (what `main()` returns and the smoke test asserts on)."""
    return {"p50": float(np.percentile(ts, 50)), "p99": float(np.percentile(ts, 99)), "n": len(ts)}


def build(home: Path, n: int, min_rows: int, figures: dict | None = None) -> tuple[MasterIndex, np.ndarray, list]:
    settings = load_settings(overrides={"home": str(home), "index": {"vector_index_min_rows": min_rows}})
    index = MasterIndex(settings)
    t0 = time.perf_counter()
    programs = list(synthetic_programs(n))
    vectors = clustered_vectors([p.category for p in programs])
    if index.has_table(index.programs_name) and index.programs.count_rows() == n:
        print(f"reusing the index at {settings.index_uri} ({n} programs)")
        return index, vectors, programs
    t1 = time.perf_counter()
    index.upsert_programs(programs, vectors)
    t2 = time.perf_counter()
    index.upsert_listings([])
    report = index.ensure_indexes()
    t3 = time.perf_counter()
    index.commit_ingest()
    again = index.ensure_indexes()
    print(f"built {n} programs: generate {t1 - t0:.1f} s, upsert {t2 - t1:.1f} s ({n / (t2 - t1):,.0f} programs/s), "
          f"indexes {t3 - t2:.1f} s ({len(report.created)} created); ensure_indexes again: {again.seconds * 1000:.0f} ms, "
          f"changed={again.changed}")
    if figures is not None:
        figures.update(indexes_created=len(report.created), ensure_again_changed=again.changed)
    return index, vectors, programs


def time_mode(index, mode: str, queries: list[str], embed, facets=True) -> tuple[list[float], list]:
    ts, results = [], []
    for i, q in enumerate(queries):
        req = SearchRequest(q=q, mode=mode, filters=FILTERS[i % len(FILTERS)], facets=list(FACETS) if facets else [],
                            limit=10)
        t0 = time.perf_counter()
        res = search(index, req, embed_query=embed)
        ts.append((time.perf_counter() - t0) * 1000)
        results.append(res)
    return ts, results


def recall_at_10(index, vectors: np.ndarray, n_queries: int, seed: int = 7, noise: float = 0.05) -> float:
    rng = np.random.default_rng(seed)
    rec = []
    ids = index.snapshot().columns.program_ids  # row order == vectors order (written in one batch)
    for i in rng.integers(0, len(vectors), n_queries):
        q = vectors[i] + rng.standard_normal(vectors.shape[1]).astype(np.float32) * noise
        q /= np.linalg.norm(q)
        exact = {ids[j] for j in np.argpartition(-(vectors @ q), 10)[:10]}
        got = search(index, SearchRequest(q="x", mode="vector", limit=10), embed_query=lambda _q, v=q: v).hits
        rec.append(len(exact & {h["program_id"] for h in got}) / 10)
    return float(np.mean(rec))


def postgres_part(programs, queries: list[str], lance_totals: list[int]) -> dict:
    from search_pg import PgUnavailable, PrivatePostgres, load, text_query

    try:
        with PrivatePostgres() as pg:
            conn = pg.connect()
            rows = [(p.program_id, p.search_text(), p.category, p.networks, p.commission.best_percent, p.cookie_days,
                     p.geo_allowed, p.approval.value, p.last_verified) for p in programs]
            secs = load(conn, rows)
            for q in queries[:5]:
                text_query(conn, q, FILTERS[0])
            ts, agree = [], 0
            for i, q in enumerate(queries):
                t0 = time.perf_counter()
                _, total = text_query(conn, q, FILTERS[i % len(FILTERS)])
                ts.append((time.perf_counter() - t0) * 1000)
                agree += int(total == lance_totals[i])
            conn.close()
            print(f"postgres text  : {pct(ts)}  (top 10 by ts_rank + total, tsvector+GIN; load+index {secs:.1f} s; "
                  f"same total as LanceDB on {agree}/{len(queries)} queries)")
            return {**pct_figures(ts), "same_total": agree, "queries": len(queries)}
    except PgUnavailable as exc:
        print(f"postgres text  : skipped ({exc})")
        return {"skipped": str(exc)}


def realistic_part(home: Path, m: int) -> None:
    from matrix.embed import Embedder

    programs = list(synthetic_programs(m, seed=11))
    emb = Embedder()
    t0 = time.perf_counter()
    vectors = emb.embed([p.search_text() for p in programs])
    secs = time.perf_counter() - t0
    settings = load_settings(overrides={"home": str(home), "index": {"vector_index_min_rows": 256}})
    index = MasterIndex(settings)
    index.upsert_programs(programs, vectors)
    index.ensure_indexes()
    qv = {q: emb.embed([q])[0] for q in REALISTIC_QUERIES}
    ids = index.snapshot().columns.program_ids
    rec, ts = [], []
    for q, v in qv.items():
        exact = {ids[j] for j in np.argpartition(-(vectors @ v), 10)[:10]}
        got = search(index, SearchRequest(q=q, mode="vector", limit=10), embed_query=qv.get).hits
        rec.append(len(exact & {h["program_id"] for h in got}) / 10)
    for _ in range(3):
        for i, q in enumerate(qv):
            t1 = time.perf_counter()
            search(index, SearchRequest(q=q, mode="hybrid", filters=FILTERS[i % len(FILTERS)], facets=list(FACETS)),
                   embed_query=qv.get)
            ts.append((time.perf_counter() - t1) * 1000)
    print(f"real embeddings: {m} programs embedded in {secs:.1f} s; {len(qv)} natural-language queries: "
          f"recall@10 {np.mean(rec):.3f} (IVF-PQ+refine vs exact), hybrid {pct(ts)}")


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--smoke", action="store_true", help="small sizes for CI")
    ap.add_argument("--n", type=int, help="synthetic programs (default 100000, smoke 3000)")
    ap.add_argument("--queries", type=int, help="queries per mode (default 200, smoke 40)")
    ap.add_argument("--keep", help="build (or reuse) the index in this directory instead of a temp dir")
    ap.add_argument("--no-postgres", action="store_true")
    ap.add_argument("--no-model", action="store_true", help="skip the real-embedding part")
    ap.add_argument("--model", action="store_true", help="include the real-embedding part in --smoke")
    args = ap.parse_args(argv)
    n = args.n or (3000 if args.smoke else 100_000)
    nq = args.queries or (40 if args.smoke else 200)
    home = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="mx-bench-search-"))
    try:
        figures: dict = {"programs": n, "queries": nq}
        index, vectors, programs = build(home, n, min_rows=1000 if args.smoke else 5000, figures=figures)
        queries = text_queries(nq)
        dim = vectors.shape[1]
        rng = np.random.default_rng(2)
        qvecs = {q: (v := vectors[rng.integers(len(vectors))] + rng.standard_normal(dim).astype(np.float32) * 0.05)
                 / np.linalg.norm(v) for q in queries}
        t0 = time.perf_counter()
        index.snapshot()
        print(f"column cache   : built in {(time.perf_counter() - t0) * 1000:.0f} ms, "
              f"{index.snapshot().columns.nbytes / 1e6:.1f} MB")
        time_mode(index, "hybrid", queries[:10], qvecs.get)  # warm caches
        print(f"queries        : {nq} per mode, filters cycling over {len(FILTERS)} sets, all {len(FACETS)} facets, "
              f"limit 10, {n:,} programs")
        lance_totals: list[int] = []
        for mode in ("text", "vector", "hybrid"):
            ts, results = time_mode(index, mode, queries, qvecs.get)
            figures[f"lance_{mode}"] = pct_figures(ts)
            if mode == "text":
                lance_totals = [r.total for r in results]
                inexact = sum(1 for r in results if not r.total_exact)
                print(f"lance {mode:<9}: {pct(ts)}  (mean total {np.mean(lance_totals):,.0f}; "
                      f"{inexact} capped at text_candidates)")
            else:
                print(f"lance {mode:<9}: {pct(ts)}")
        ts, _ = time_mode(index, "text", queries, None, facets=False)
        print(f"lance text (no facets): {pct(ts)}")
        browse = [SearchRequest(q="", filters=f, facets=list(FACETS), sort="commission") for f in FILTERS]
        bt = []
        for _ in range(max(1, nq // len(browse))):
            for req in browse:
                t1 = time.perf_counter()
                search(index, req)
                bt.append((time.perf_counter() - t1) * 1000)
        print(f"lance browse   : {pct(bt)}  (filters only, exact total, sort by commission)")
        figures["lance_browse"] = pct_figures(bt)
        rec = recall_at_10(index, vectors, 20 if args.smoke else 100)
        figures.update(recall_at_10=rec, vector_index_on="vector" in index.snapshot().indexed)
        print(f"recall@10      : {rec:.3f} (vector index vs exact, nprobes {index.settings.index.vector_nprobes}, "
              f"refine candidates {index.settings.index.vector_refine_candidates}, index {'on' if 'vector' in index.snapshot().indexed else 'off'})")
        if not args.no_postgres:
            figures["postgres_text"] = postgres_part(programs, queries, lance_totals)
        if args.no_model or (args.smoke and not args.model):
            print("real embeddings: skipped" + (" in --smoke (add --model to include it)" if args.smoke else ""))
        else:
            realistic_part(home / "realistic", 300 if args.smoke else 1500)
    finally:
        if not args.keep:
            shutil.rmtree(home, ignore_errors=True)
    return figures


if __name__ == "__main__":
    main()

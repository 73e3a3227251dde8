"""Cost of the program score at query time (matrix.index.search.program_scores).

    MATRIX_HOME=... python bench/score_table.py [--scale 100000]

Prints, for the index at MATRIX_HOME: the first build of a version's score table (read the score
columns + score every program), a cached lookup, and a plain text search beside it (baseline, same
process). Then the pure scoring cost at `--scale` programs (the index's rows repeated).
"""

from __future__ import annotations

import argparse
import time


def _ms(fn, n=1):
    t = time.perf_counter()
    for _ in range(n):
        out = fn()
    return (time.perf_counter() - t) * 1000 / n, out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=int, default=100_000)
    args = ap.parse_args()
    from matrix.config import load_settings
    from matrix.index import MasterIndex, SearchRequest, search
    from matrix.index.search import SCORE_COLUMNS, program_scores
    from matrix.score import ScoreInputs, score_programs
    from matrix.score.model import inputs_from_arrow

    settings = load_settings()
    index = MasterIndex(settings)
    snap = index.snapshot()
    first_ms, _ = _ms(lambda: program_scores(snap, settings.score))  # before any search touches the version
    base_ms, _ = _ms(lambda: search(index, SearchRequest(q="email marketing", limit=10)), 20)
    cached_ms, _ = _ms(lambda: program_scores(snap, settings.score), 200)
    other_ms, _ = _ms(lambda: program_scores(snap, settings.score, "earnings:2"))
    scored_ms, _ = _ms(lambda: search(index, SearchRequest(q="email marketing", sort="score", limit=10,
                                                           facets=["score"])), 20)
    print(f"index rows {snap.rows}: text search (baseline) {base_ms:.2f} ms; same + sort/facet by score {scored_ms:.2f} ms")
    print(f"score table: first build {first_ms:.1f} ms, cached {cached_ms:.4f} ms, new weights {other_ms:.1f} ms")
    import pyarrow as pa

    table = snap.dataset.to_table(columns=SCORE_COLUMNS)
    big = pa.concat_tables([table] * (args.scale // table.num_rows + 1)).slice(0, args.scale)
    cats = pa.array([f"{c}-{i % 40}" for i, c in enumerate(big.column("category").to_pylist())])
    big = big.set_column(big.column_names.index("category"), "category", cats)  # realistic group sizes
    read_ms, _ = _ms(lambda: snap.dataset.to_table(columns=SCORE_COLUMNS), 5)
    rows_ms, _ = _ms(lambda: ScoreInputs.from_rows(big.to_pylist()))
    cols_ms, inputs = _ms(lambda: inputs_from_arrow(big))
    score_ms, _ = _ms(lambda: score_programs(inputs, settings.score))
    print(f"at {args.scale} programs: inputs column-wise {cols_ms:.0f} ms (row-wise baseline {rows_ms:.0f} ms) "
          f"+ scoring {score_ms:.0f} ms; reading the {snap.rows}-row index's score columns {read_ms:.1f} ms")


if __name__ == "__main__":
    main()

"""Reading user CSVs through a spec, and writing clusters.csv plus the match report.

Why pandas with every column as a string: ids like "007" and phone numbers must survive
unchanged, and the spec (not pandas' type guessing) decides what is a number.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from matrix.config import ConfigError
from matrix.resolve.prepare import Records, build_records, paused_gc
from matrix.resolve.spec import ResolveSpec


def read_table(path: str | Path, spec: ResolveSpec) -> tuple[list[str], list[dict[str, Any]]]:
    """(ids, rows keyed by spec field name) for one file, read as the spec says."""
    p = Path(path)
    fs = spec.file(p.name)
    if not p.is_file():
        raise ConfigError(f"input file {p} does not exist")
    try:
        df = pd.read_csv(p, sep=fs.sep, encoding=fs.encoding, dtype=str, keep_default_na=False,
                         na_values=[""], engine="python" if len(fs.sep) == 1 and fs.sep in "|#" else "c",
                         quoting=csv.QUOTE_MINIMAL, on_bad_lines="error")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{p}: cannot decode as {fs.encoding!r} ({exc.reason}); set files.{p.name}.encoding in the spec"
        ) from None
    except (pd.errors.ParserError, ValueError) as exc:
        raise ConfigError(f"{p}: cannot parse with sep={fs.sep!r}: {exc}") from None
    df.columns = [str(c).strip() for c in df.columns]
    if fs.id not in df.columns:
        raise ConfigError(
            f"{p}: id column {fs.id!r} not found; columns are {list(df.columns)} (set files.{p.name}.id in the spec)")
    ids = df[fs.id].astype(str).tolist()
    dupes = sorted({i for i in ids if ids.count(i) > 1})[:5] if len(set(ids)) != len(ids) else []
    if dupes:
        raise ConfigError(f"{p}: id column {fs.id!r} is not unique (e.g. {dupes})")
    rows: list[dict[str, Any]] = [dict() for _ in range(len(df))]
    for f in spec.fields:
        if f.name in fs.columns and fs.columns[f.name] is None:  # this file has no such column
            continue
        col = fs.columns.get(f.name) or f.source_column
        if col not in df.columns:
            raise ConfigError(f"{p}: column {col!r} for field {f.name!r} not found; columns are {list(df.columns)}")
        for r, v in zip(rows, df[col].tolist(), strict=True):
            # `v != v`: NaN (pandas' empty cell) is the one float unequal to itself; np.isnan per cell was slower
            r[f.name] = None if v is None or (isinstance(v, float) and v != v) else v
    return ids, rows


def load_records(spec: ResolveSpec, paths: Sequence[str | Path]) -> Records:
    """The records of `paths` read and normalized as `spec` says (cyclic GC paused: `paused_gc`)."""
    with paused_gc():
        return _load_records(spec, paths)


def _load_records(spec: ResolveSpec, paths: Sequence[str | Path]) -> Records:
    all_ids, all_rows, sources = [], [], []
    names = [Path(p).name for p in paths]
    if len(set(names)) != len(names):
        raise ConfigError(f"input files need distinct names (the clusters file identifies records by file name): {names}")
    for p in paths:
        ids, rows = read_table(p, spec)
        all_ids += ids
        all_rows += rows
        sources += [Path(p).name] * len(ids)
    nowhere = [f.name for f in spec.fields
               if all(f.name in spec.file(n).columns and spec.file(n).columns[f.name] is None for n in names)]
    if nowhere and paths:
        raise ConfigError(f"field(s) {nowhere} are mapped to null (absent) in every input file {names}: "
                          "map each to a column in at least one file or drop it")
    return build_records(spec, all_rows, sources, all_ids)


def cluster_ids(records: Records, labels: np.ndarray) -> list[str]:
    """Readable, deterministic cluster ids: c<source-of-first>:<id-of-first> of each cluster's smallest member."""
    return [f"{records.source[lab]}:{records.ids[lab]}" for lab in labels.tolist()]


def write_clusters(path: str | Path, records: Records, labels: np.ndarray) -> None:
    cids = cluster_ids(records, labels)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["source", "id", "cluster"])
        for s, i, c in zip(records.source, records.ids, cids, strict=True):
            w.writerow([s, i, c])


def write_report(out_dir: Path, report: dict[str, Any], records: Records, left: np.ndarray, right: np.ndarray,
                 prob: np.ndarray, threshold: float, max_pairs: int = 100_000) -> None:
    """report.json (figures, model) and matches.csv (every pair above threshold, with its probability)."""
    (out_dir / "report.json").write_text(json.dumps(report, indent=2, default=str))
    order = np.argsort(-prob, kind="stable")
    with open(out_dir / "matches.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["source_a", "id_a", "source_b", "id_b", "probability"])
        for k in order[:max_pairs].tolist():
            if prob[k] < threshold:
                break
            a, b = int(left[k]), int(right[k])
            w.writerow([records.source[a], records.ids[a], records.source[b], records.ids[b], f"{prob[k]:.4f}"])


def read_labels(path: str | Path, records: Records, link: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """labels.csv with columns id_a, id_b, match (1/0; yes/no; true/false). id_a is in the first file."""
    p = Path(path)
    df = pd.read_csv(p, dtype=str, keep_default_na=False)
    need = {"id_a", "id_b", "match"}
    if not need <= set(df.columns):
        raise ConfigError(f"{p}: label file needs columns {sorted(need)}, has {list(df.columns)}")
    srcs = records.sources
    index = {(s, i): k for k, (s, i) in enumerate(zip(records.source, records.ids, strict=True))}
    sa, sb = (srcs[0], srcs[1]) if link and len(srcs) > 1 else (srcs[0], srcs[0])
    truth = {"1": 1, "yes": 1, "true": 1, "y": 1, "0": 0, "no": 0, "false": 0, "n": 0}
    L, R, Y = [], [], []
    for row_no, (a, b, m) in enumerate(zip(df["id_a"], df["id_b"], df["match"], strict=True), start=2):
        y = truth.get(str(m).strip().lower())
        if y is None:
            raise ConfigError(f"{p}:{row_no}: match = {m!r}; allowed: 1/0, yes/no, true/false")
        ka, kb = index.get((sa, a)), index.get((sb, b))
        if ka is None or kb is None:
            raise ConfigError(f"{p}:{row_no}: unknown id {a if ka is None else b!r}")
        L.append(ka)
        R.append(kb)
        Y.append(y)
    return np.asarray(L, np.int64), np.asarray(R, np.int64), np.asarray(Y, np.int64)

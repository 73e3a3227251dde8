"""`matrix resolve --spec spec.yaml a.csv [b.csv] --out DIR [--train labels.csv]`.

One file deduplicates, two files link (1:1 unless the spec says mode: many). Writes
DIR/clusters.csv (source, id, cluster - every record, singletons too), DIR/matches.csv and
DIR/report.json.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from matrix.config import ConfigError, Settings


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("resolve", help="deduplicate one CSV or link two, configured by a field spec")
    p.add_argument("--spec", required=True, help="YAML field spec (fields, types, weights; per-file id/sep/encoding)")
    p.add_argument("files", nargs="+", help="one CSV (dedupe) or two (link)")
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--train", help="labelled pairs CSV (id_a,id_b,match) for a supervised scorer")
    p.add_argument("--threshold", type=float, help="match probability cut (default: spec, then resolve.threshold, then built-in)")
    p.add_argument("--no-embed", action="store_true", help="skip the embedding model (lexical and key blocking only)")
    p.set_defaults(handler=run_resolve)


def run_resolve(args: argparse.Namespace, settings: Settings) -> int:
    from matrix.resolve.csvio import load_records, read_labels, write_clusters, write_report
    from matrix.resolve.engine import resolve_records
    from matrix.resolve.spec import load_spec

    if len(args.files) > 2:
        raise ConfigError(f"resolve: give one file (dedupe) or two (link), got {len(args.files)}")
    if args.threshold is not None and not 0 < args.threshold < 1:
        raise ConfigError(f"--threshold = {args.threshold}: must be between 0 and 1 (exclusive)")
    spec = load_spec(args.spec)
    records = load_records(spec, args.files)
    link = len(args.files) == 2
    embedder = None
    if spec.embeddings and not args.no_embed:
        from matrix.embed import CachedEmbedder, Embedder, EmbeddingCache

        embedder = CachedEmbedder(Embedder(settings.embed.model, settings.embed.device, settings.embed.batch_size),
                                  EmbeddingCache(settings))
    train = read_labels(args.train, records, link) if args.train else None
    threshold = args.threshold if args.threshold is not None else (spec.threshold or settings.resolve.threshold)
    res = resolve_records(records, embedder=embedder, link=link, mode=spec.mode, threshold=threshold,
                          neighbours=spec.neighbours or settings.resolve.neighbours, train=train)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    write_clusters(out / "clusters.csv", records, res.labels)
    report = res.report(len(records))
    report["inputs"] = [str(f) for f in args.files]
    report["supervised"] = train is not None
    write_report(out, report, records, res.candidates.left, res.candidates.right, res.probability, res.threshold)
    summary = {
        k: report[k]
        for k in ("records", "mode", "candidates_per_record", "threshold", "clusters", "singletons", "largest_cluster")
    }
    print(json.dumps(summary))
    return 0

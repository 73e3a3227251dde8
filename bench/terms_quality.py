"""Terms extraction quality on real program text: our extractor vs a one-line regex baseline.

    python bench/terms_quality.py                      # dev, held-out and all of corpus.jsonl
    python bench/terms_quality.py --json               # the same figures as JSON
    python bench/terms_quality.py --all                # every round, the final sealed set included
    python bench/terms_quality.py --corpus other.jsonl # any labelled file(s), one group per `split`
    python bench/terms_quality.py --corpus a.jsonl --corpus b.jsonl
    python bench/terms_quality.py --corpus dev.jsonl --failures   # per-quote misses (development data only)
    python bench/terms_quality.py --corpus tests/data/terms/corpus.jsonl --corpus tests/data/terms/round4.jsonl \
        --corpus tests/data/terms/round5.jsonl --weights dev=1,heldout=1,round4=2,round5=3
                                                       # plus a weighted mean over groups per field

The default corpus is tests/data/terms/corpus.jsonl (208 quotes from 157 real programs' pages,
labelled by tests/data/terms/README.md). `--corpus` (repeatable) reads other files in the same
record format instead: records are grouped by their `split` value (a file of `"split": "sealed"`
records is reported as the group "sealed"; a record without `split` falls in a group named after
its file), and an "all" group is added when there is more than one group. For every group and field
it prints

- accuracy where the quote states the field (extracted value == label), and
- the false-positive rate where it does not (any value extracted for a field the quote leaves
  unstated),

for `matrix.normalize.terms.extract_terms` and for the baseline the issue names: the first
"NN%" is a percent commission and the first "NN days" is the cookie; the baseline states no
other field. Targets, checked per group: every field >= 0.90 accurate where stated, <= 0.03
false positives where not, and above the baseline's accuracy on every field.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from matrix.normalize.terms import FIELDS, extract_terms  # noqa: E402

CORPUS = ROOT / "tests" / "data" / "terms" / "corpus.jsonl"
# every labelled file, in collection order: rounds 1-3, rounds 4-10 (each sealed, run once, then
# development data) and the final sealed round 11 (see tests/data/terms/README.md)
# rounds that do not exist yet are skipped below, so a new roundN.jsonl is picked up as it lands
ALL_CORPORA = [CORPUS, *(CORPUS.parent / f"round{i}.jsonl" for i in range(4, 54)), CORPUS.parent / "sealed.jsonl"]
TARGET_ACCURACY = 0.90
TARGET_FP = 0.03


class CorpusError(ValueError):
    """A corpus file that cannot be scored: the message names the file and line."""


def load_corpus(path: Path = CORPUS) -> list[dict[str, Any]]:
    """The records of one JSONL file; a record without `split` is put in a group named after the file."""
    records = []
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                raise CorpusError(f"{path}:{lineno}: not JSON ({exc.msg})") from exc
            _check_record(rec, path, lineno)
            rec.setdefault("split", path.stem)
            records.append(rec)
    return records


def _check_record(rec: Any, path: Path, lineno: int) -> None:
    if not isinstance(rec, dict) or not isinstance(rec.get("text"), str) or not isinstance(rec.get("labels"), dict):
        raise CorpusError(f"{path}:{lineno}: a record needs a string `text` and a `labels` object")
    missing = [f for f in FIELDS if f not in rec["labels"]]
    if missing:
        raise CorpusError(f"{path}:{lineno}: labels lack {', '.join(missing)} (null = not stated)")


def ours(text: str) -> dict[str, Any]:
    return extract_terms(text).as_dict()


_PCT = re.compile(r"(\d+(?:\.\d+)?)\s*%")
_DAYS = re.compile(r"(\d+)\s*days?\b", re.I)


def regex_baseline(text: str) -> dict[str, Any]:
    """The one-line baseline: first "NN%" = percent commission, first "NN days" = cookie."""
    out: dict[str, Any] = {f: None for f in FIELDS}
    m = _PCT.search(text)
    if m:
        v = float(m.group(1))
        out["model"], out["percent"] = "percent", [v, v]
    d = _DAYS.search(text)
    if d:
        out["cookie_days"] = float(d.group(1))
    return out


def _same(field: str, got: Any, want: Any) -> bool:
    if field in ("percent", "flat"):
        if got is None or len(got) != 2:
            return False
        return all((a is None and b is None) or (a is not None and b is not None and abs(a - b) < 1e-6)
                   for a, b in zip(got, want, strict=False))
    if field in ("tiers",):
        return got is not None and len(got) == len(want) and all(abs(a - b) < 1e-6 for a, b in zip(got, want, strict=False))
    if field in ("methods", "restrictions"):
        return got is not None and sorted(got) == sorted(want)
    if isinstance(want, float) or isinstance(got, float):
        return got is not None and abs(float(got) - float(want)) < 1e-6
    return got == want


def score(records: list[dict[str, Any]], extractor: Callable[[str], dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per field: stated count, accuracy where stated, not-stated count, false-positive rate."""
    out: dict[str, dict[str, Any]] = {}
    predictions = [extractor(r["text"]) for r in records]
    for f in FIELDS:
        stated = [(p.get(f), r["labels"][f]) for p, r in zip(predictions, records, strict=True) if r["labels"][f] is not None]
        unstated = [p.get(f) for p, r in zip(predictions, records, strict=True) if r["labels"][f] is None]
        correct = sum(_same(f, g, w) for g, w in stated)
        fps = sum(g is not None for g in unstated)
        out[f] = {"stated": len(stated), "correct": correct,
                  "accuracy": round(correct / len(stated), 4) if stated else None,
                  "unstated": len(unstated), "false_positives": fps,
                  "fp_rate": round(fps / len(unstated), 4) if unstated else None}
    return out


def group_by_split(records: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """One group per `split` value in first-seen order ("dev", "heldout"; "sealed"), plus "all" when
    there is more than one."""
    seen: dict[str, list[dict[str, Any]]] = {}
    for r in records:
        seen.setdefault(str(r["split"]), []).append(r)
    order = {"dev": 0, "heldout": 1}
    groups = dict(sorted(seen.items(), key=lambda kv: order.get(kv[0], 2)))    # stable: others keep file order
    if len(groups) > 1:
        groups["all"] = records
    return groups


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def measure(path: Path | list[Path] = CORPUS) -> dict[str, Any]:
    """All figures as data: {group: {"ours": {field: ...}, "baseline": {field: ...}}}, the corpus
    size per group, and a target verdict per group (not for "all")."""
    paths = path if isinstance(path, list) else [path]
    records = [r for p in paths for r in load_corpus(Path(p))]
    if not records:
        raise CorpusError(f"no records in {', '.join(map(str, paths))}")
    groups = group_by_split(records)
    figures: dict[str, Any] = {"corpus": {"files": [_shown(Path(p)) for p in paths], "snippets": len(records),
                                          "programs": len({r.get("program") for r in records}),
                                          "groups": {name: len(recs) for name, recs in groups.items()}},
                               "groups": list(groups)}
    for name, recs in groups.items():
        figures[name] = {"ours": score(recs, ours), "baseline": score(recs, regex_baseline)}
    figures["targets"] = {name: _verdict(figures[name]) for name in groups if name != "all" or len(groups) == 1}
    return figures


def _verdict(split: dict[str, Any]) -> dict[str, Any]:
    ours_, base = split["ours"], split["baseline"]
    misses = []
    for f in FIELDS:
        acc, fp = ours_[f]["accuracy"], ours_[f]["fp_rate"]
        if acc is not None and acc < TARGET_ACCURACY:
            misses.append(f"{f}: accuracy {acc:.2f} < {TARGET_ACCURACY}")
        if fp is not None and fp > TARGET_FP:
            misses.append(f"{f}: false positives {fp:.3f} > {TARGET_FP}")
        b = base[f]["accuracy"]
        if acc is not None and b is not None and acc <= b and acc < 1.0:   # a tie at 1.00 cannot be beaten
            misses.append(f"{f}: accuracy {acc:.2f} not above baseline {b:.2f}")
    return {"met": not misses, "misses": misses}


def parse_weights(spec: str) -> dict[str, float]:
    """"dev=1,round5=3" -> {"dev": 1.0, "round5": 3.0}; a malformed spec is a clear error."""
    out: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        name, sep, value = part.partition("=")
        try:
            out[name.strip()] = float(value)
        except ValueError:
            sep = ""
        if not sep or not name.strip() or out.get(name.strip(), -1) < 0:
            raise CorpusError(f"bad weight {part!r}: write GROUP=NUMBER, e.g. round5=3")
    return out


def weighted(figures: dict[str, Any], weights: dict[str, float]) -> dict[str, dict[str, float | None]]:
    """Per field, the weighted mean of our accuracy and false-positive rate over the weighted groups
    (a group where the field is never stated / always stated does not count for that figure). Giving the
    newest unseen round the most weight estimates what the next unseen set will show."""
    missing = [g for g in weights if g not in figures.get("groups", [])]
    if missing:
        raise CorpusError(f"no group {', '.join(missing)} in the corpus (groups: {', '.join(figures['groups'])})")
    out: dict[str, dict[str, float | None]] = {}
    for f in FIELDS:
        out[f] = {}
        for key in ("accuracy", "fp_rate"):
            pairs = [(w, figures[g]["ours"][f][key]) for g, w in weights.items() if figures[g]["ours"][f][key] is not None]
            total = sum(w for w, _ in pairs)
            out[f][key] = round(sum(w * v for w, v in pairs) / total, 4) if total else None
    return out


def render_weighted(table: dict[str, dict[str, float | None]], weights: dict[str, float]) -> str:
    spec = ", ".join(f"{g}×{w:g}" for g, w in weights.items())
    lines = [f"[weighted: {spec}]  field          acc(ours)   fp(ours)"]
    lines += [f"  {f:<24}  {_fmt(v['accuracy'])}     {_fmt(v['fp_rate'])}" for f, v in table.items()]
    return "\n".join(lines)


def failures(paths: list[Path]) -> list[dict[str, Any]]:
    """Per-quote misses of our extractor: id, field, label, extracted value. For development data only:
    reading the misses of a set you report on turns it into development data."""
    out = []
    for p in paths:
        for r in load_corpus(Path(p)):
            got = ours(r["text"])
            for f in FIELDS:
                want = r["labels"][f]
                if (want is None and got.get(f) is not None) or (want is not None and not _same(f, got.get(f), want)):
                    out.append({"id": r.get("id"), "field": f, "label": want, "extracted": got.get(f)})
    return out


def _fmt(x: float | None) -> str:
    return "   -  " if x is None else f"{x:6.2f}"


def render(figures: dict[str, Any]) -> str:
    c = figures["corpus"]
    sizes = ", ".join(f"{name} {n}" for name, n in c["groups"].items() if name != "all")
    lines = [f"corpus: {c['snippets']} snippets from {c['programs']} programs ({sizes}) in {', '.join(c['files'])}"]
    for group in figures["groups"]:
        o, b = figures[group]["ours"], figures[group]["baseline"]
        lines.append("")
        lines.append(f"[{group}]  field              n_stated  acc(ours) acc(base)   n_unstated  fp(ours)  fp(base)")
        for f in FIELDS:
            lines.append(f"  {f:<24}{o[f]['stated']:>6}    {_fmt(o[f]['accuracy'])}    {_fmt(b[f]['accuracy'])}"
                         f"      {o[f]['unstated']:>6}    {_fmt(o[f]['fp_rate'])}    {_fmt(b[f]['fp_rate'])}")
    lines.append("")
    for group, verdict in figures["targets"].items():
        lines.append(f"targets on {group}: " + ("MET" if verdict["met"] else "MISSED: " + "; ".join(verdict["misses"])))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    ap.add_argument("--corpus", type=Path, action="append", metavar="PATH",
                    help="a labelled JSONL file (repeatable); its records are grouped by their `split` "
                         f"value. Default: {CORPUS.relative_to(ROOT)}")
    ap.add_argument("--all", action="store_true",
                    help="every labelled file: corpus.jsonl, round4-10.jsonl and the final sealed.jsonl")
    ap.add_argument("--weights", metavar="GROUP=W,...",
                    help="also print, per field, the weighted mean over these groups (e.g. round5=3,round4=2)")
    ap.add_argument("--failures", action="store_true",
                    help="list every per-quote miss instead of the table (development data only)")
    args = ap.parse_args(argv)
    if args.all:
        args.corpus = [p for p in ALL_CORPORA if p.exists()]
    try:
        if args.failures:
            for miss in failures(args.corpus or [CORPUS]):
                print(json.dumps(miss, ensure_ascii=False))
            return 0
        figures = measure(args.corpus or CORPUS)
        weights = parse_weights(args.weights) if args.weights else {}
        if weights:
            figures["weighted"] = {"weights": weights, "fields": weighted(figures, weights)}
    except (OSError, CorpusError) as exc:
        print(f"terms_quality: {exc}", file=sys.stderr)
        return 2
    text = render(figures)
    if weights:
        text += "\n\n" + render_weighted(figures["weighted"]["fields"], weights)
    print(json.dumps(figures, indent=2) if args.json else text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

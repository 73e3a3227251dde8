"""Leave-one-round-out: does a small learned arbiter beat the rules on the categorical terms fields?

    python bench/terms_arbiter_loro.py            # per-field LORO table, rules vs arbiter
    python bench/terms_arbiter_loro.py --json
    python bench/terms_arbiter_loro.py --unbalanced   # the same without balanced class weights
    python bench/terms_arbiter_loro.py --variant text --field recurring   # one arbiter, one field
    python bench/terms_arbiter_loro.py --rules-at b90d7c3   # stack on the rules as they were before
                                      # rounds 4-14 existed: then the rules' figures are held out too
    python bench/terms_arbiter_loro.py --rules-from old_rules.json   # the same from a saved {id: as_dict()}

For each labelled round file k (corpus.jsonl, round4.jsonl, ...; never a sealed*.jsonl), the arbiter of
`matrix.normalize.terms_arbiter` is trained on every OTHER file and predicts file k; the rules'
output on file k (`extract_terms`) is scored beside it with the definitions of
`bench/terms_quality.py`: accuracy where the quote states the field, false-positive rate where it does
not. The mean over folds is printed per field with the ship rule of the experiment: the arbiter must
beat the rules by >= 0.02 mean accuracy, keep mean fp <= 0.03 and drop no round by > 0.03.

Caveat printed with the table: the rules were written while looking at every one of these files, so
their figures here are in-sample (as in `terms_quality.py --all`) while the arbiter's are held out --
the comparison favours the rules, and the rules' first runs per round were lower.

Measured in session 4 (11 folds, balanced class weights), mean accuracy rules / stacked / text:
today's rules (in-sample): recurring .95/.95/.65, lifetime .95/.95/.74, payout_type .94/.94/.71,
model .95/.95/.82 -- the stacked arbiter learns to copy a rule that is right on all its training
folds, the text-only model is far worse: not shipped. `--rules-at b90d7c3` (rules written on
corpus.jsonl only, so held out on rounds 4-14): recurring .58/.71/.65, lifetime .50/.65/.74,
payout_type .73/.76/.71, model .79/.83/.82 -- stacking on held-out rules adds +.12/+.15 on
recurring/lifetime; that gain over today's rules cannot be measured until their outputs on unseen
rounds exist (a sealed round).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.terms_quality import ALL_CORPORA, _same, load_corpus  # noqa: E402
from matrix.normalize.terms import extract_terms  # noqa: E402
from matrix.normalize.terms_arbiter import ARBITER_FIELDS, fit_field  # noqa: E402

MIN_GAIN = 0.02
MAX_FP = 0.03
MAX_ROUND_DROP = 0.03


def round_files() -> list[Path]:
    """Every labelled development file that exists; sealed sets are never read."""
    return [p for p in ALL_CORPORA if p.exists() and not p.name.startswith("sealed")]


def load_rounds(paths: list[Path], rules_from: Path | None = None) -> dict[str, list[dict[str, Any]]]:
    """{file stem: records with the rules' output attached as `rules`}: today's `extract_terms`, or the
    outputs of another version of the rules read from a JSON file {quote id: as_dict()}."""
    saved = json.loads(rules_from.read_text(encoding="utf-8")) if rules_from else None
    rounds = {}
    for p in paths:
        recs = load_corpus(p)
        for r in recs:
            r["rules"] = saved[r["id"]] if saved is not None else extract_terms(r["text"]).as_dict()
        rounds[p.stem] = recs
    return rounds


_DUMP = """
import json, sys
sys.path.insert(0, sys.argv[1])
from matrix.normalize.terms import extract_terms
quotes = json.load(sys.stdin)
json.dump({i: extract_terms(t).as_dict() for i, t in quotes.items()}, sys.stdout)
"""


def rules_at(commit: str, paths: list[Path], dest: Path) -> Path:
    """The outputs of the rules as they were at `commit` on every quote of `paths`, written to `dest`
    ({id: as_dict()}). `git archive` copies that commit's `matrix/` into a temporary folder (the
    checkout is not touched) and a separate interpreter runs it. b90d7c3 holds the rules written
    against corpus.jsonl only: on every later round their figures are held out."""
    quotes = {r["id"]: r["text"] for p in paths for r in load_corpus(p)}
    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", commit, "matrix"], check=True, capture_output=True)
        subprocess.run(["tar", "-x", "-C", tmp], input=archive.stdout, check=True)
        out = subprocess.run([sys.executable, "-c", _DUMP, tmp], input=json.dumps(quotes).encode(),
                             check=True, capture_output=True, cwd=tmp)
    dest.write_bytes(out.stdout)
    return dest


def field_score(field: str, predicted: list[Any], records: list[dict[str, Any]]) -> dict[str, Any]:
    """Accuracy where stated and fp rate where not, as in bench/terms_quality.py."""
    stated = [(p, r["labels"][field]) for p, r in zip(predicted, records, strict=True) if r["labels"][field] is not None]
    unstated = [p for p, r in zip(predicted, records, strict=True) if r["labels"][field] is None]
    correct = sum(_same(field, g, w) for g, w in stated)
    return {"stated": len(stated), "accuracy": correct / len(stated) if stated else None,
            "unstated": len(unstated), "fp_rate": sum(g is not None for g in unstated) / len(unstated) if unstated else None}


# the arbiters compared: the stacked one (n-grams + the rules' outputs) and n-grams alone
VARIANTS: dict[str, dict[str, bool]] = {"stacked": {"use_rules": True}, "text": {"use_rules": False}}


def loro(rounds: dict[str, list[dict[str, Any]]], field: str, balanced: bool = True,
         variants: dict[str, dict[str, bool]] | None = None) -> dict[str, dict[str, Any]]:
    """Per held-out round: the rules' and each arbiter variant's scores on that round."""
    out = {}
    for held, test in rounds.items():
        train = [r for name, recs in rounds.items() if name != held for r in recs]
        scores = {"rules": field_score(field, [r["rules"][field] for r in test], test)}
        for name, kwargs in (variants or VARIANTS).items():
            model = fit_field(field, [r["text"] for r in train], [r["rules"] for r in train],
                              [r["labels"][field] for r in train], balanced=balanced, **kwargs)
            scores[name] = field_score(field, model.predict([r["text"] for r in test], [r["rules"] for r in test]), test)
        out[held] = scores
    return out


def _mean(values: list[float | None]) -> float | None:
    vals = [v for v in values if v is not None]
    return sum(vals) / len(vals) if vals else None


def verdict(per_round: dict[str, dict[str, Any]], who: str) -> dict[str, Any]:
    """Mean accuracy / fp over folds for the rules and one arbiter variant, the worst per-round accuracy
    drop against the rules, and whether the ship rule holds."""
    summary: dict[str, Any] = {}
    for name in ("rules", who):
        summary[name] = {k: _mean([s[name][k] for s in per_round.values()]) for k in ("accuracy", "fp_rate")}
    drops = [s["rules"]["accuracy"] - s[who]["accuracy"] for s in per_round.values()
             if s["rules"]["accuracy"] is not None and s[who]["accuracy"] is not None]
    summary["worst_drop"] = max(drops) if drops else 0.0
    gain = (summary[who]["accuracy"] or 0.0) - (summary["rules"]["accuracy"] or 0.0)
    summary["gain"] = gain
    summary["ship"] = bool(gain >= MIN_GAIN and (summary[who]["fp_rate"] or 0.0) <= MAX_FP
                           and summary["worst_drop"] <= MAX_ROUND_DROP)
    return summary


def _f(x: float | None) -> str:
    return "  -  " if x is None else f"{x:5.2f}"


def _row(label: str, n_st: str, n_un: str, cells: list[dict[str, Any]]) -> str:
    acc = "  ".join(_f(c["accuracy"]) for c in cells)
    fp = "  ".join(_f(c["fp_rate"]) for c in cells)
    return f"  {label:<10}{n_st:>5}  {acc}   {n_un:>5}  {fp}"


def render(results: dict[str, dict[str, Any]]) -> str:
    lines = []
    for field, res in results.items():
        names = ["rules", *res["verdicts"]]
        head = "  ".join(f"{n[:5]:>5}" for n in names)
        lines.append(f"[{field}]  accuracy where stated (acc) / false positives where not (fp)")
        lines.append(f"  {'held out':<10}{'n_st':>5}  {head}   {'n_un':>5}  {head}")
        for name, s in res["rounds"].items():
            lines.append(_row(name, str(s["rules"]["stated"]), str(s["rules"]["unstated"]), [s[n] for n in names]))
        first = next(iter(res["verdicts"].values()))
        means = [first["rules"]] + [v[n] for n, v in res["verdicts"].items()]
        lines.append(_row("MEAN", "", "", means))
        for n, v in res["verdicts"].items():
            lines.append(f"  {n}: gain {v['gain']:+.3f}, mean fp {_f(v[n]['fp_rate']).strip()}, worst round drop "
                         f"{v['worst_drop']:+.3f} -> " + ("SHIP" if v["ship"] else "do not ship"))
        lines.append("")
    lines.append("rules' figures are in-sample (written against every file above); the arbiters' are held out.")
    return "\n".join(lines)


def run(fields: tuple[str, ...] = ARBITER_FIELDS, balanced: bool = True,
        variants: dict[str, dict[str, bool]] | None = None, paths: list[Path] | None = None,
        rules_from: Path | None = None) -> dict[str, dict[str, Any]]:
    rounds = load_rounds(paths or round_files(), rules_from)
    results = {}
    for field in fields:
        per_round = loro(rounds, field, balanced, variants)
        results[field] = {"rounds": per_round,
                          "verdicts": {n: verdict(per_round, n) for n in (variants or VARIANTS)}}
    return results


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--unbalanced", action="store_true", help="plain class weights instead of balanced")
    ap.add_argument("--field", action="append", choices=ARBITER_FIELDS, help="only these fields (repeatable)")
    ap.add_argument("--variant", action="append", choices=list(VARIANTS),
                    help="only these arbiters (repeatable): stacked = n-grams + the rules' outputs, text = n-grams")
    ap.add_argument("--rules-from", type=Path, metavar="JSON",
                    help="the rules' outputs per quote id from another version of the rules (e.g. one written "
                         "before the later rounds existed, so its figures on them are held out too)")
    ap.add_argument("--rules-at", metavar="COMMIT",
                    help="stack on the outputs of the rules as they were at this commit (read with git "
                         "archive; e.g. b90d7c3, written before rounds 4-14 existed)")
    args = ap.parse_args(argv)
    if args.rules_at:
        args.rules_from = rules_at(args.rules_at, round_files(),
                                   Path(tempfile.gettempdir()) / f"terms_rules_{args.rules_at}.json")
    variants = {n: VARIANTS[n] for n in (args.variant or VARIANTS)}
    results = run(tuple(args.field or ARBITER_FIELDS), balanced=not args.unbalanced, variants=variants,
                  rules_from=args.rules_from)
    print(json.dumps(results, indent=2) if args.json else render(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

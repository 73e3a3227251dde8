"""Fit the shipped terms arbiters (`recurring`, `payout_type`) and write them as data: matrix/data/terms/arbiter_<field>.json.

    python bench/terms_arbiter_train.py                      # retrain every shipped field and write its JSON
    python bench/terms_arbiter_train.py --check              # retrain, compare with the stored JSONs, write nothing
    python bench/terms_arbiter_train.py --field recurring --out /tmp/a.json

Recipe (session 6): the stacked arbiter (word + char n-grams of the quote, the rules' categorical outputs as
pseudo-words; logistic regression, balanced class weights, seed 0) trained on rounds 4-21: rounds 16-21 with the
outputs of today's rules (which never saw them; computed with the arbiter off), rounds 4-10 and 11-15 with the
outputs of the rules at b90d7c3 / 2bf5fa7 (commits that predate those rounds, read with `git archive`). It is
consulted behind the evidence gate of `terms_arbiter.may_override` (it may only fill a null where the rules found a
commission, or replace a payout type derived from the commission's shape) with the margin EVIDENCE_MARGINS[field],
chosen by the leave-one-round-out over rounds 16-21 (`bench/terms_arbiter_loro.py --rounds 16-21 --train-also
4-10@b90d7c3 --train-also 11-15@2bf5fa7 --variant evidence`), i.e. on its training rounds, never on a test round.
Session 5's model (rounds 4-19, plain margin gate 0.05) was judged once on sealed rounds 20-21: recurring .71 -> .78,
fp .04 -> .04; this recipe is judged once on sealed rounds 22-23 by the lead. Retrain only with the same recipe.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.terms_arbiter_loro import EVIDENCE_MARGINS, _fit, load_extra, load_rounds, parse_rounds  # noqa: E402
from matrix.normalize.terms_arbiter import SEED, SHIPPED_FIELDS, export_field, shipped_path  # noqa: E402

ROUNDS = "16-21"
TRAIN_ALSO = ("4-10@b90d7c3", "11-15@2bf5fa7")
COEF_DIGITS = 6     # significant digits of the stored coefficients: ~4 MB for payout_type instead of ~7
EVIDENCE = ("leave-one-round-out over rounds 16-21 (today's rules out of sample there), evidence gate + margin "
            "chosen by an inner LORO: see the docstring of bench/terms_arbiter_loro.py, 'Session 6'; session 5's "
            "recurring model: sealed rounds 20-21, run once, accuracy .71 -> .78, fp .04 -> .04")


def _head() -> str:
    out = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    return out.stdout.strip() or "unknown"


def training_records() -> list[dict[str, Any]]:
    """Rounds 16-21 with today's rules' outputs (arbiter off) + rounds 4-15 with the outputs of older rules."""
    today = [r for recs in load_rounds(parse_rounds(ROUNDS)).values() for r in recs]
    return today + load_extra(list(TRAIN_ALSO))


def train(field: str, records: list[dict[str, Any]]) -> dict[str, Any]:
    model = _fit(field, records, balanced=True)
    provenance = {
        "rounds": "4-21", "rules_outputs": {ROUNDS: f"today's rules (HEAD {_head()}, arbiter off)",
                                            **{s.split("@")[0]: s.split("@")[1] for s in TRAIN_ALSO}},
        "n_quotes": len(records), "seed": SEED, "class_weight": "balanced", "trained_at": dt.date.today().isoformat(),
        "gate": "evidence (terms_arbiter.may_override) + margin", "script": "bench/terms_arbiter_train.py",
        "evidence": EVIDENCE,
    }
    return export_field(model, EVIDENCE_MARGINS[field], provenance, coef_digits=COEF_DIGITS)


def _same_model(a: dict[str, Any], b: dict[str, Any]) -> bool:
    keys = ("classes", "margin", "vectorizers", "coef", "intercept")
    return all(json.dumps(a[k]) == json.dumps(b[k]) for k in keys)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--field", action="append", choices=list(SHIPPED_FIELDS), help="only these fields (repeatable)")
    ap.add_argument("--out", type=Path, help="write / compare this file instead (with exactly one --field)")
    ap.add_argument("--check", action="store_true", help="retrain, compare with the stored files; write nothing")
    args = ap.parse_args(argv)
    fields = tuple(args.field or SHIPPED_FIELDS)
    if args.out is not None and len(fields) != 1:
        ap.error("--out needs exactly one --field")
    records = training_records()
    failed = 0
    for field in fields:
        out = args.out or shipped_path(field)
        data = train(field, records)
        if args.check:
            same = _same_model(data, json.loads(out.read_text(encoding="utf-8")))
            failed += not same
            print(f"{field}: retrained model " + ("== stored" if same else "!= stored") + f" ({out})")
            continue
        text = json.dumps(data, separators=(",", ":"))
        out.write_text(text + "\n", encoding="utf-8")
        n_feat = sum(len(v["vocabulary"]) for v in data["vectorizers"])
        print(f"wrote {out} ({len(text) / 1e6:.2f} MB, {n_feat} features, classes {data['classes']}, "
              f"margin {data['margin']}, {data['provenance']['n_quotes']} quotes)")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())

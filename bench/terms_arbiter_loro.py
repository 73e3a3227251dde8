"""Leave-one-round-out: does a small learned arbiter beat the rules on the categorical terms fields?

    python bench/terms_arbiter_loro.py            # per-field LORO table, rules vs arbiter
    python bench/terms_arbiter_loro.py --json
    python bench/terms_arbiter_loro.py --unbalanced   # the same without balanced class weights
    python bench/terms_arbiter_loro.py --variant text --field recurring   # one arbiter, one field
    python bench/terms_arbiter_loro.py --rules-at b90d7c3   # stack on the rules as they were before
                                      # rounds 4-14 existed: then the rules' figures are held out too
    python bench/terms_arbiter_loro.py --rules-from old_rules.json   # the same from a saved {id: as_dict()}
    python bench/terms_arbiter_loro.py --rounds 16,17,18,19            # folds = only these rounds (session 5)
    python bench/terms_arbiter_loro.py --rounds 16,17,18,19 --train-also 4-10@b90d7c3 --train-also 11-15@2bf5fa7
                                      # + older rounds in every training set, rule outputs from commits that
                                      # predate them (held out there too); never tested
    python bench/terms_arbiter_loro.py --rounds 16-19 --train-also 4-10@b90d7c3 --train-also 11-15@2bf5fa7 \
        --score-on NEW_ROUND.jsonl    # no LORO: train once, score a new sealed round once (pre-registered margins)

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

Session 5 (rounds 16-19: the first rounds today's rules never saw; variant `gated` = stacked, overriding the
rule only where its class probability beats the rule's class by a margin chosen by an inner LORO on the
training rounds). Mean accuracy rules / stacked / gated, mean fp in brackets:
`--rounds 16,17,18,19` (3 rounds of training): recurring .62/.62/.63, lifetime .51/.51/.51, payout_type
.80/.79/.80, model .83/.83/.83 -- no field passes the ship rule. Adding rounds 4-15 to every training set
(`--train-also 4-10@b90d7c3 --train-also 11-15@2bf5fa7`): recurring .62/.66/.63 (fp .02/.03/.03), lifetime
.51/.58/.51, payout_type .80/.84/.80 (fp .04/.06/.04), model .83/.87/.83 (fp .05/.06/.05). Plain stacked
passes the rule on recurring (+.038: 3 more of 104 stated quotes right; mean fp .021 -> .026) and lifetime
(+.071: 2 quotes of round 16); payout_type/model fail on fp. The gated arbiter, its margin chosen without
seeing the held-out round, passes on no field (+.012 / .000). Not shipped: the evidence is a handful of
quotes and `extract_terms` (terms.py) is frozen. The margins the outer LORO picks are fixed in
PREREGISTERED_MARGINS so that `--score-on` can judge the arbiter once on the next sealed rounds.
Sealed rounds 20-21 (`--score-on`, run once): gated recurring .71 -> .78 (fp .04 -> .04); that model is stored by
`bench/terms_arbiter_train.py` (matrix/data/terms/arbiter_recurring.json), off by default (MATRIX_TERMS_ARBITER=1).
The rules' outputs here are always computed with the arbiter off (`rules_only`).

Session 6 (variant `evidence`: the gated arbiter behind the evidence gate of `terms_arbiter.may_override` -- it may
fill a null where the rules found a commission in a text of two clauses or more, or replace the cps default of a
percent commission, never a value read from an explicit phrase, never a revenue-share guess -- its margin per fold
chosen by an inner LORO under the strict rule: pooled fp never above the rules'). Folds: rounds 16-21, today's rules
out of sample there (run at 19:21 UTC and again on the day's final rules at 19:51 UTC: same figures), rounds 4-15 in
every training set:
    python bench/terms_arbiter_loro.py --rounds 16-21 --train-also 4-10@b90d7c3 --train-also 11-15@2bf5fa7 \
        --variant evidence --field recurring --field payout_type
pooled over rounds 16-21, rules -> evidence: recurring acc 134/185 .724 -> 136/185 .735, fp 16/575 .028 -> 17/575 .030
(the round-16 fold's inner LORO picked margin .05 and let one false positive through: default-on bar NOT met);
payout_type acc 287/362 .793 -> 294/362 .812, fp 16/398 .040 -> 16/398 .040 (bar met; no round lower). Margins to ship
(same rule over the outer folds): recurring .60, payout_type .10 = EVIDENCE_MARGINS. Without any gate (`stacked`,
outer folds, rules of 18:20 UTC) payout_type reached .83 but at fp .060; with the gate but without its two-clause
condition, one-clause battery sentences flipped at every margin up to .8 (a new subscription read as recurring, a
unit-less referral reward typed cpa), and recurring also fails corpus.jsonl by one quote (a tiered subscription-length
scheme read as recurring): recurring stays opt-in, payout_type was switched on by default.
Judged once by the lead on the sealed rounds 22-23 (318 quotes, 219 programs, collected during session 6 by engineers who
never saw the extractor; 20:00 UTC, final rules):
    python bench/terms_arbiter_loro.py --rounds 16-21 --train-also 4-10@b90d7c3 --train-also 11-15@2bf5fa7 \
        --field recurring --field payout_type --score-on round22.jsonl round23.jsonl
pooled, rules / stacked / gated / evidence: recurring acc .88 / .90 / .90 / .88, fp .01 / .02 / .02 / .01; payout_type
acc .92 / .93 / .92 / .92, fp .03 / .06 / .03 / .04. The evidence-gated arbiters gained nothing on the sealed rounds and
payout_type added one false positive (3 -> 4 of 113): both are opt-in (terms_arbiter.DEFAULT_ON_FIELDS is empty).

Session 10: the set fields, `restrictions` and `methods` (`--sets`). Nine sessions of hand-written rules lifted the
rounds they were written on and not the next sealed ones (sealed 30-31: restrictions .62, methods .76). Question: does a
small learned layer stacked on the rules generalise better? PRE-REGISTERED at 06:36 UTC on 2026-12-01, before any fold
was scored (design, grids and ship rule are fixed in the constants of the "session 10" section and not changed after):
    python bench/terms_arbiter_loro.py --sets [--jobs 2]            # the primary table (ship rule applies here)
    python bench/terms_arbiter_loro.py --sets --sets-today          # the same with today's rules (in sample)
- Data: rounds 4-31 (corpus.jsonl has no commit whose rules never saw it: left out). Each round's rule outputs come
  from the latest commit whose rules were never developed on it (HELD_OUT_RULES, found with `git log --
  tests/data/terms` and the commit messages), so BOTH the rules' and the arbiter's figures are held out on every fold.
  Folds: leave one round out; the model of fold k is trained on the other 27 rounds (their own held-out rule outputs).
- Model, per field, per label with >= 20 positive quotes in the training split: logistic regression (C 4, plain class
  weights, seed 0; liblinear since 06:58, lbfgs was 2.5x slower on the shared machine) over tf-idf of hashed word
  1-2-grams and char_wb 3-5-grams of the whole quote (idf fitted on the training split) + the rules' own set of that
  field as indicators; target: the label is in the gold set (a quote that states no set counts as a negative, so the
  model also learns where no set is stated).
- Decision (`set_decide`): start from the rules' set; add a label where p > t_add (p > t_add_empty where the rules state
  no set: that creates a stated set, the false-positive risk); drop a rule label where p < t_drop; an emptied set is
  "not stated". Thresholds per outer fold from a grouped inner CV on the training rounds only (4 groups, round position
  mod 4; since 06:58 each inner model also leaves out the held-out round's whole group, so 10 inner models serve all
  28 folds -- `set_loro`; no model that chose fold k's thresholds saw round k): the most exact sets among grid points
  whose false positives do not exceed the rules' own on those rounds; ties go to fewer changed quotes. `ungated`
  (0.5 / 0.5 / 0.5) is reported beside it; only `gated` can ship.
- Ship rule (per field, gated, over the 28 held-out folds): mean per-round accuracy >= rules' + 0.02 AND pooled
  accuracy >= rules' + 0.02; pooled false positives not above the rules' and <= 0.03 of the unstated quotes; no round
  whose accuracy falls by more than 0.03 and by 2 quotes or more. Amended at 06:46 UTC, after the rules' own held-out
  figures were printed (rounds 4-11 at b90d7c3: restrictions 3/20 .. 9/37, far below today's rules) and before any
  arbiter figure of the full run was seen (only a smoke run on rounds 28-31 with 3 training rounds, which changed
  nothing): also pooled accuracy over rounds 22-31 (the rules of sessions 6-9, closest to today's) not below the
  rules' -- a gain made only where the old rules were weak says little about today's rules. If a field passes, a
  model trained on every round (4-31, the same held-out rule outputs) is frozen as data, opt-in, for one sealed run
  on and off; if not, the library is unchanged.
- Second variant, PRE-REGISTERED at 07:16 UTC after the primary table (below) was seen, so it is a second look and is
  judged by the same ship rule: `--set-embed` adds the quote's all-MiniLM-L6-v2 embedding (matrix/embed.py, offline,
  384 dims, unit norm) as a dense block beside the n-grams; nothing else changes.
Result (07:13 UTC, `--sets --jobs 2`, 28 folds, rules and arbiter both held out), exact sets / false positives:
    restrictions  mean per-round acc rules .483, gated .502 (+.0198 < .02); pooled 242/532 .455 -> 255/532 .479, fp 12/3632
                  both; round 8 6/15 -> 4/15; rounds 22-31 101/148 -> 98/148; rounds 30-31 35/56 -> 34/56: NOT SHIPPED (fails
                  the original rule too, before the 06:46 amendment)
    methods       mean .701 -> .711 (+.010); pooled 676/987 .685 -> 685/987 .694, fp 39/3177 both; rounds 22-31
                  225/354 -> 230/354; rounds 30-31 31/41 -> 32/41; no round down by 2: NOT SHIPPED (gain < .02)
  The gains sit where the held-out rules were weakest (rounds 4-21, rules of b90d7c3 / 2bf5fa7 / 010b19d); against
  the rules of sessions 6-9 the layer moved restrictions down 3 quotes and methods up 5 of 354. The held-out rules
  reproduce session 9's sealed figures on rounds 30-31 (restrictions 35/56 .62, methods 31/41 .76), which checks
  HELD_OUT_RULES there. The library is unchanged.
  `--sets --sets-today` (today's rules, in sample on every round; 07:40 UTC): the gated layer changes nothing (restrictions
  449/532 .844, fp 9/3632; methods 857/987 .868, fp 23/3177, both equal to the rules); ungated is lower (441, 856).
  `--sets --set-embed` (second look, 07:45 UTC): methods MEETS the ship rule -- mean .701 -> .725 (+.024), pooled
  676/987 -> 698/987 (+.022), fp 39/3177 both, no round down by 2 quotes, rounds 22-31 225/354 -> 233/354, rounds 30-31
  31/41 -> 32/41; restrictions does not (mean +.022, pooled +.026 but fp 12 -> 14, round 27 11/12 -> 9/12, rounds
  22-31 101 -> 98). Read with care: a second variant tried after the first failed, a margin of ~2 quotes over the bar
  pooled, and most of the gain on rounds whose held-out rules are old. Not frozen into the library (the extractor
  would have to load MiniLM per process, and the hook belongs in terms.py, which this helper may not edit); the lead
  can judge it once on a new sealed round, rules vs rules + layer, with
      python bench/terms_arbiter_loro.py --sets-score-on SEALED.jsonl [--set-field methods] [--jobs 2]
  (trains on rounds 4-31 with their held-out rule outputs, thresholds by the grouped CV, scores with today's rules).
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
from matrix.normalize.terms_arbiter import (  # noqa: E402
    ARBITER_FIELDS,
    SEED,
    FieldModel,
    clause_count,
    fit_field,
    gate,
    gated,
    rule_evidence,
    rules_only,
)

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
    with rules_only():   # the rules' own outputs: the shipped arbiters must not feed their own features
        for p in paths:
            recs = load_corpus(p)
            for r in recs:
                if saved is not None:
                    r["rules"] = saved[r["id"]]
                    r["evidence"] = saved_evidence(r["rules"], r["text"])
                else:
                    terms = extract_terms(r["text"])
                    r["rules"], r["evidence"] = terms.as_dict(), rule_evidence(terms)
            rounds[p.stem] = recs
    return rounds


def saved_evidence(rule_values: dict[str, Any], text: str) -> dict[str, Any]:
    """The evidence gate's input for rule outputs saved without spans (another commit's rules): a commission
    found or not; whether the payout type was derived is unknown, so it counts as read from a word (kept)."""
    return {"commission": rule_values.get("model") is not None, "payout_type_derived": False,
            "clauses": clause_count(text)}


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


# the arbiters compared: the stacked one (n-grams + the rules' outputs), n-grams alone, and the stacked one
# gated: it overrides the rule only where its class probability beats the rule's class by a margin that
# is chosen by an inner leave-one-round-out on the training rounds (never on the held-out round)
# `evidence` (session 6): the gated arbiter behind the evidence gate of `terms_arbiter.may_override` (it may fill a
# null where the rules found a commission, or replace a payout type derived from the commission's shape; a value
# the rules read from an explicit phrase is never overridden), its margin chosen by the inner LORO under the strict
# fp ceiling (pooled fp never above the rules')
VARIANTS: dict[str, dict[str, bool]] = {"stacked": {"use_rules": True}, "text": {"use_rules": False},
                                        "gated": {"use_rules": True, "gate": True},
                                        "evidence": {"use_rules": True, "gate": True, "evidence": True}}
DEFAULT_VARIANTS = ("stacked", "text")
ROUNDS_VARIANTS = ("stacked", "gated")   # the default with --rounds (rules out-of-sample: gating is the question)
MARGINS = (0.0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.01)   # 1.01 = never override = the rules


def _fit(field: str, train: list[dict[str, Any]], balanced: bool, use_rules: bool = True) -> FieldModel:
    return fit_field(field, [r["text"] for r in train], [r["rules"] for r in train],
                     [r["labels"][field] for r in train], balanced=balanced, use_rules=use_rules)


def margin_scores(field: str, model: FieldModel, test: list[dict[str, Any]],
                  evidence: bool = False) -> dict[float, dict[str, Any]]:
    """The gated arbiter's scores on `test` at every margin of MARGINS (one fit, one predict_proba); with
    `evidence`, behind the evidence gate (`terms_arbiter.gated`)."""
    probs = model.proba([r["text"] for r in test], [r["rules"] for r in test])
    rule_values = [r["rules"][field] for r in test]
    if evidence:
        evs = [r["evidence"] for r in test]
        return {m: field_score(field, [gated(field, p, v, m, e) for p, v, e in zip(probs, rule_values, evs, strict=True)],
                               test) for m in MARGINS}
    return {m: field_score(field, [gate(field, p, v, m) for p, v in zip(probs, rule_values, strict=True)], test)
            for m in MARGINS}


def pooled(scores: list[dict[str, Any]]) -> dict[str, Any]:
    """Accuracy / fp over the quotes of several folds together (each fold weighted by its number of quotes)."""
    stated = sum(s["stated"] for s in scores)
    unstated = sum(s["unstated"] for s in scores)
    correct = sum(round((s["accuracy"] or 0.0) * s["stated"]) for s in scores)
    wrong = sum(round((s["fp_rate"] or 0.0) * s["unstated"]) for s in scores)
    return {"stated": stated, "accuracy": correct / stated if stated else None,
            "unstated": unstated, "fp_rate": wrong / unstated if unstated else None}


def choose_margin(folds: list[dict[float, dict[str, Any]]], strict: bool = False) -> float:
    """The margin with the best mean accuracy over folds whose mean fp stays <= MAX_FP (or no worse than
    never overriding); ties go to the larger margin (fewer overrides). `strict` (the evidence variant): pooled
    accuracy over the folds, and pooled fp never above that of never overriding (= the rules' own)."""
    def mean(m: float, key: str) -> float:
        if strict:
            return pooled([f[m] for f in folds])[key] or 0.0
        return _mean([f[m][key] for f in folds]) or 0.0
    ceiling = mean(MARGINS[-1], "fp_rate") if strict else max(MAX_FP, mean(MARGINS[-1], "fp_rate"))
    eligible = [m for m in MARGINS if mean(m, "fp_rate") <= ceiling + 1e-9]
    return max(eligible, key=lambda m: (round(mean(m, "accuracy"), 6), m))


def inner_margin(field: str, fold_rounds: dict[str, list[dict[str, Any]]], extra: list[dict[str, Any]],
                 balanced: bool, evidence: bool = False) -> float:
    """Leave-one-round-out inside the training rounds only: the margin the gated arbiter would pick."""
    folds = []
    for held, test in fold_rounds.items():
        train = [r for n, recs in fold_rounds.items() if n != held for r in recs] + extra
        folds.append(margin_scores(field, _fit(field, train, balanced), test, evidence))
    return choose_margin(folds, strict=evidence)


def loro(rounds: dict[str, list[dict[str, Any]]], field: str, balanced: bool = True,
         variants: dict[str, dict[str, bool]] | None = None,
         extra: list[dict[str, Any]] | None = None) -> dict[str, dict[str, Any]]:
    """Per held-out round: the rules' and each arbiter variant's scores on that round. `extra` records
    (other rounds, their rules' outputs held out too) are added to every training set, never tested."""
    out = {}
    extra = extra or []
    for held, test in rounds.items():
        train_rounds = {n: recs for n, recs in rounds.items() if n != held}
        train = [r for recs in train_rounds.values() for r in recs] + extra
        scores: dict[str, Any] = {"rules": field_score(field, [r["rules"][field] for r in test], test)}
        for name, kwargs in (variants or {n: VARIANTS[n] for n in DEFAULT_VARIANTS}).items():
            model = _fit(field, train, balanced, kwargs["use_rules"])
            if kwargs.get("gate"):
                evidence = bool(kwargs.get("evidence"))
                margin = inner_margin(field, train_rounds, extra, balanced, evidence)
                per_margin = margin_scores(field, model, test, evidence)
                scores[name] = {**per_margin[margin], "margin": margin}
                scores[f"_margins_{name}"] = per_margin
            else:
                scores[name] = field_score(field, model.predict([r["text"] for r in test],
                                                                [r["rules"] for r in test]), test)
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
    if all("stated" in s[name] for s in per_round.values() for name in ("rules", who)):
        summary["pooled"] = {name: pooled([s[name] for s in per_round.values()]) for name in ("rules", who)}
        summary["default_on"] = default_on_ok(summary["pooled"]["rules"], summary["pooled"][who])
    return summary


def default_on_ok(rules: dict[str, Any], arbiter: dict[str, Any]) -> bool:
    """The session-6 bar for switching an arbiter on by default (pooled over the held-out rounds): accuracy up, fp
    not above the rules' (and <= MAX_FP where the rules are <= MAX_FP). The hand-written test expectations and
    corpus.jsonl are the other two conditions, checked by the tests with the arbiter on."""
    acc_up = (arbiter["accuracy"] or 0.0) > (rules["accuracy"] or 0.0)
    fp_r, fp_a = rules["fp_rate"] or 0.0, arbiter["fp_rate"] or 0.0
    return bool(acc_up and fp_a <= fp_r + 1e-9 and (fp_r > MAX_FP or fp_a <= MAX_FP))


def _f(x: float | None) -> str:
    return "  -  " if x is None else f"{x:5.2f}"


def _row(label: str, n_st: str, n_un: str, cells: list[dict[str, Any]]) -> str:
    acc = "  ".join(_f(c["accuracy"]) for c in cells)
    fp = "  ".join(_f(c["fp_rate"]) for c in cells)
    return f"  {label:<10}{n_st:>5}  {acc}   {n_un:>5}  {fp}"


def render(results: dict[str, dict[str, Any]], in_sample: bool = True) -> str:
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
        pooled_cells = [first["pooled"]["rules"]] + [v["pooled"][n] for n, v in res["verdicts"].items()]
        lines.append(_row("POOLED", str(pooled_cells[0]["stated"]), str(pooled_cells[0]["unstated"]), pooled_cells))
        for n, v in res["verdicts"].items():
            margins = ""
            if "ship_margin" in v:
                margins = (" (margins per fold " + "/".join(f"{s[n]['margin']:.2f}" for s in res["rounds"].values())
                           + f"; margin to ship {v['ship_margin']:.2f})")
            lines.append(f"  {n}: gain {v['gain']:+.3f}, mean fp {_f(v[n]['fp_rate']).strip()}, worst round drop "
                         f"{v['worst_drop']:+.3f} -> " + ("SHIP" if v["ship"] else "do not ship") + margins
                         + "; pooled: " + ("default-on bar met" if v["default_on"] else "default-on bar NOT met"))
        lines.append("")
    lines.append("rules' figures are in-sample (written against every file above); the arbiters' are held out."
                 if in_sample else "arbiters' figures are held out; the rules' are held out only on rounds they never saw "
                 "(today's rules: rounds 16-21; --rules-at b90d7c3: rounds 4-21).")
    return "\n".join(lines)


def parse_rounds(spec: str) -> list[Path]:
    """"16,17,18,19" / "4-10" / "corpus,4-15" -> the labelled round files (never a sealed one)."""
    names: list[str] = []
    for part in (p.strip() for p in spec.split(",") if p.strip()):
        if part == "corpus":
            names.append("corpus")
        elif "-" in part:
            lo, hi = (int(x) for x in part.split("-", 1))
            names += [f"round{i}" for i in range(lo, hi + 1)]
        else:
            names.append(f"round{int(part)}")
    paths = [p for p in round_files() if p.stem in names]
    missing = sorted(set(names) - {p.stem for p in paths})
    if missing:
        raise SystemExit(f"terms_arbiter_loro: no labelled file for {', '.join(missing)}")
    return paths


def load_extra(specs: list[str]) -> list[dict[str, Any]]:
    """Training-only records from "ROUNDS@COMMIT" specs: those rounds with the rules' outputs of COMMIT
    (a commit from before those rounds existed, so that their rule outputs are held out as well)."""
    extra: list[dict[str, Any]] = []
    for spec in specs:
        rounds_spec, _, commit = spec.partition("@")
        paths = parse_rounds(rounds_spec)
        saved = None
        if commit:
            saved = rules_at(commit, paths, Path(tempfile.gettempdir()) / f"terms_rules_{commit}_{len(paths)}.json")
        extra += [r for recs in load_rounds(paths, saved).values() for r in recs]
    return extra


def run(fields: tuple[str, ...] = ARBITER_FIELDS, balanced: bool = True,
        variants: dict[str, dict[str, bool]] | None = None, paths: list[Path] | None = None,
        rules_from: Path | None = None, extra: list[dict[str, Any]] | None = None) -> dict[str, dict[str, Any]]:
    rounds = load_rounds(paths or round_files(), rules_from)
    variants = variants or {n: VARIANTS[n] for n in DEFAULT_VARIANTS}
    results = {}
    for field in fields:
        per_round = loro(rounds, field, balanced, variants, extra)
        verdicts = {n: verdict(per_round, n) for n in variants}
        for n, kwargs in variants.items():
            if kwargs.get("gate"):   # the margin to ship: chosen by the same rule over the outer folds
                verdicts[n]["ship_margin"] = choose_margin([s[f"_margins_{n}"] for s in per_round.values()],
                                                           strict=bool(kwargs.get("evidence")))
        results[field] = {"rounds": per_round, "verdicts": verdicts}
    return results


# the margins the LORO over rounds 16-19 (+ 4-10@b90d7c3, 11-15@2bf5fa7 in training) chose on 2026-11-30 (session 5,
# `ship_margin` above), fixed here BEFORE any later round is scored with --score-on
PREREGISTERED_MARGINS = {"recurring": 0.05, "lifetime": 0.60, "payout_type": 0.60, "model": 0.80}
# session 6: the margins of the `evidence` variant, chosen by the strict rule over the outer LORO folds of rounds 16-21
# (+ 4-10@b90d7c3, 11-15@2bf5fa7 in training) -- the training rounds of the shipped arbiters, never a test round; fixed
# here before rounds 22-23 are scored (`--score-on`), and stored in the shipped JSON by bench/terms_arbiter_train.py
EVIDENCE_MARGINS: dict[str, float] = {"recurring": 0.6, "payout_type": 0.1}


def score_on(fields: tuple[str, ...], train_paths: list[Path], extra: list[dict[str, Any]], files: list[Path],
             balanced: bool = True) -> dict[str, dict[str, Any]]:
    """Train once on every record of `train_paths` (+ `extra`) and score the rules, the stacked arbiter and
    the gated one (PREREGISTERED_MARGINS) on each file of `files` -- meant for a sealed round, run once."""
    train = [r for recs in load_rounds(train_paths).values() for r in recs] + extra
    tests = load_rounds(files)
    results: dict[str, dict[str, Any]] = {}
    for field in fields:
        model = _fit(field, train, balanced)
        per_file = {}
        for name, test in tests.items():
            margin = PREREGISTERED_MARGINS[field]
            per_margin = margin_scores(field, model, test)
            per_file[name] = {"rules": field_score(field, [r["rules"][field] for r in test], test),
                              "stacked": per_margin[0.0], "gated": {**per_margin[margin], "margin": margin}}
            if field in EVIDENCE_MARGINS:   # the session-6 arbiter as shipped: evidence gate + its margin
                ev_margin = EVIDENCE_MARGINS[field]
                per_file[name]["evidence"] = {**margin_scores(field, model, test, evidence=True)[ev_margin],
                                              "margin": ev_margin}
        names = ("stacked", "gated", "evidence") if field in EVIDENCE_MARGINS else ("stacked", "gated")
        results[field] = {"rounds": per_file, "verdicts": {n: verdict(per_file, n) for n in names}}
    return results


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--unbalanced", action="store_true", help="plain class weights instead of balanced")
    ap.add_argument("--field", action="append", choices=ARBITER_FIELDS, help="only these fields (repeatable)")
    ap.add_argument("--variant", action="append", choices=list(VARIANTS),
                    help="only these arbiters (repeatable): stacked = n-grams + the rules' outputs, text = n-grams, "
                         "gated = stacked, overriding the rule only by a margin chosen in an inner LORO")
    ap.add_argument("--rounds", metavar="LIST",
                    help="the folds: only these round files (e.g. 16,17,18,19 or 4-15 or corpus,4-10); "
                         "default every labelled file")
    ap.add_argument("--train-also", action="append", default=[], metavar="ROUNDS@COMMIT",
                    help="add these rounds to every training set (never tested), with the rules' outputs of "
                         "COMMIT (e.g. 4-10@b90d7c3, 11-15@2bf5fa7: commits before those rounds existed)")
    ap.add_argument("--rules-from", type=Path, metavar="JSON",
                    help="the rules' outputs per quote id from another version of the rules (e.g. one written "
                         "before the later rounds existed, so its figures on them are held out too)")
    ap.add_argument("--rules-at", metavar="COMMIT",
                    help="stack on the outputs of the rules as they were at this commit (read with git "
                         "archive; e.g. b90d7c3, written before rounds 4-14 existed)")
    ap.add_argument("--sets", action="store_true",
                    help="session 10: the set arbiter for restrictions / methods, LORO over rounds 4-31 with every "
                         "round's rule outputs from a commit that never saw it (HELD_OUT_RULES)")
    ap.add_argument("--sets-today", action="store_true",
                    help="with --sets: the checkout's rules (in sample on every round) instead of HELD_OUT_RULES")
    ap.add_argument("--set-field", action="append", choices=SET_FIELDS, help="with --sets: only these fields")
    ap.add_argument("--set-embed", action="store_true",
                    help="with --sets: add the quote's MiniLM embedding (matrix/embed.py) to the features")
    ap.add_argument("--sets-score-on", nargs="+", type=Path, metavar="JSONL",
                    help="no LORO: train the set layer on rounds 4-31 once and score rules vs gated on these labelled "
                         "files with the checkout's rules (a new sealed round, run once); --set-field (default methods), "
                         "--set-embed is implied unless --no-set-embed")
    ap.add_argument("--no-set-embed", action="store_true", help="with --sets-score-on: n-grams only")
    ap.add_argument("--jobs", type=int, default=1, help="with --sets: outer folds in parallel")
    ap.add_argument("--score-on", nargs="+", type=Path, metavar="JSONL",
                    help="no LORO: train once on --rounds (+ --train-also) and score rules / stacked / gated "
                         "(PREREGISTERED_MARGINS) on these labelled files, e.g. new sealed rounds, run once")
    args = ap.parse_args(argv)
    if args.sets_score_on:
        scored = set_score_on(args.sets_score_on, tuple(args.set_field or ("methods",)), embed=not args.no_set_embed,
                              jobs=args.jobs)
        if args.json:
            print(json.dumps(scored, indent=2))
        for field, per_file in scored.items():
            for name, sc in per_file.items():
                print(f"[{field}] {name}: " + "  ".join(
                    f"{w} exact {sc[w]['correct']}/{sc[w]['stated']} fp {sc[w]['fp']}/{sc[w]['unstated']}"
                    for w in ("rules", "gated")) + f"  thresholds {tuple(sc['thresholds'])}")
        return 0
    if args.sets:
        rounds = [int(p.stem.removeprefix("round")) for p in parse_rounds(args.rounds)] if args.rounds else None
        set_results = set_loro(tuple(args.set_field or SET_FIELDS), rounds, jobs=args.jobs, today=args.sets_today,
                               embed=args.set_embed)
        print(json.dumps(set_results, indent=2) if args.json else render_sets(set_results))
        return 0
    paths = parse_rounds(args.rounds) if args.rounds else round_files()
    if args.score_on:
        results = score_on(tuple(args.field or ARBITER_FIELDS), paths, load_extra(args.train_also), args.score_on,
                           balanced=not args.unbalanced)
        print(json.dumps(results, indent=2) if args.json else render(results, in_sample=False))
        return 0
    if args.rules_at:
        args.rules_from = rules_at(args.rules_at, paths,
                                   Path(tempfile.gettempdir()) / f"terms_rules_{args.rules_at}.json")
    default = ROUNDS_VARIANTS if args.rounds else DEFAULT_VARIANTS
    variants = {n: VARIANTS[n] for n in (args.variant or default)}
    results = run(tuple(args.field or ARBITER_FIELDS), balanced=not args.unbalanced, variants=variants,
                  paths=paths, rules_from=args.rules_from, extra=load_extra(args.train_also))
    print(json.dumps(results, indent=2) if args.json else render(results, in_sample=not (args.rounds or args.rules_from)))
    return 0



# --- session 10: the set-valued fields (restrictions, methods) ------------------------------------------------------
#
# Pre-registered (written into this file's docstring, "Session 10", before any fold was scored): design, grids,
# thresholds' selection rule and ship rule below are fixed; nothing here is changed after the first outer run.

SET_FIELDS = ("restrictions", "methods")
# per round, the latest commit whose rules had never been developed on that round (git log -- tests/data/terms and the
# rule commits' messages): b90d7c3 was written on corpus.jsonl only; 2bf5fa7 on rounds <=11; 010b19d (session 5) was
# measured out of sample on 16-19 and run sealed on 20-21; c472721 (session 6, developed on <=15, run sealed on 22-23)
# is the 's6 code' run sealed on 24-25 (e5f98f6 already holds a wave developed on half of 24-25); 24be86d (session 8
# first wave, from 16-25) was run sealed on 26-27; c2f79b5 (session 9 wave 1, developed on 1-27) precedes the wave on
# 28-29; 727bb9b (wave 2, developed on half of 28-29) precedes the wave on 30-31. corpus.jsonl has no such commit.
HELD_OUT_RULES: dict[int, str] = {**{i: "b90d7c3" for i in range(4, 12)}, **{i: "2bf5fa7" for i in range(12, 16)},
                                  **{i: "010b19d" for i in range(16, 22)}, **{i: "c472721" for i in range(22, 26)},
                                  26: "24be86d", 27: "24be86d", 28: "c2f79b5", 29: "c2f79b5",
                                  30: "727bb9b", 31: "727bb9b"}
SET_MIN_POSITIVES = 20        # a label gets a classifier only with >= this many positive quotes in its training split
SET_C = 4.0                   # logistic regression, plain class weights (probabilities stay comparable across labels)
SET_INNER_GROUPS = 4          # thresholds per outer fold: grouped CV over the training rounds (round position mod 4)
SET_ADD = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 2.0)        # add a label to a non-empty rule set when p > t (2.0 = never)
SET_ADD_EMPTY = (0.8, 0.9, 0.95, 0.98, 2.0)           # add to an empty rule set (a new stated set: the fp risk)
SET_DROP = (-1.0, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5)      # drop a rule label when p < t (-1 = never)
SET_NEVER = (2.0, 2.0, -1.0)
SET_UNGATED = (0.5, 0.5, 0.5)
SET_MIN_GAIN = 0.02
SET_MAX_ROUND_DROP = 0.03
SET_RECENT_FROM = 22          # rounds >= this: held-out rules of sessions 6-9 (pooled accuracy there must not fall)


def held_out_set_rounds(rounds: list[int] | None = None) -> dict[str, list[dict[str, Any]]]:
    """{roundN: records}, each record's `rules` read from HELD_OUT_RULES[N] (cached per commit in the temp dir)."""
    wanted = sorted(rounds or HELD_OUT_RULES)
    by_commit: dict[str, list[Path]] = {}
    for i in wanted:
        by_commit.setdefault(HELD_OUT_RULES[i], []).extend(parse_rounds(str(i)))
    out: dict[str, list[dict[str, Any]]] = {}
    for commit, paths in by_commit.items():
        dest = Path(tempfile.gettempdir()) / f"terms_rules_{commit}_sets_{'_'.join(p.stem for p in paths)}.json"
        if not dest.exists():
            rules_at(commit, paths, dest)
        saved = json.loads(dest.read_text(encoding="utf-8"))
        for p in paths:
            recs = load_corpus(p)
            for r in recs:
                r["rules"] = saved[r["id"]]
            out[p.stem] = recs
    return {f"round{i}": out[f"round{i}"] for i in wanted}


def set_text_blocks(texts: list[str]) -> list[Any]:
    """Raw hashed counts of word 1-2-grams and char_wb 3-5-grams (stateless: no vocabulary learnt from any split)."""
    import numpy as np
    from sklearn.feature_extraction.text import HashingVectorizer
    common = {"alternate_sign": False, "norm": None, "lowercase": True, "n_features": 2 ** 18}
    blocks = [HashingVectorizer(ngram_range=(1, 2), **common).transform(texts),
              HashingVectorizer(analyzer="char_wb", ngram_range=(3, 5), **common).transform(texts)]
    # only the hashed columns some quote uses (a column no training quote uses gets weight 0 either way): same model,
    # a smaller optimisation problem
    return [b.tocsc()[:, np.unique(b.indices)].tocsr() for b in blocks]


def set_embeddings(texts: list[str]) -> Any:
    """all-MiniLM-L6-v2 embeddings of `texts` (the project's own offline model), cached in the temp dir by content."""
    import hashlib

    import numpy as np
    key = hashlib.sha1("\x00".join(texts).encode("utf-8")).hexdigest()[:16]
    cache = Path(tempfile.gettempdir()) / f"terms_set_embed_{key}.npy"
    if cache.exists():
        return np.load(cache)
    from matrix.embed import Embedder
    emb = np.asarray(Embedder().embed(texts, progress=False), dtype=np.float64)
    np.save(cache, emb)
    return emb


def set_rule_block(field: str, records: list[dict[str, Any]], vocab: list[str]) -> Any:
    """The rules' own set as indicators: one column per label of `vocab`, one for "the rules state no set"."""
    from scipy.sparse import csr_matrix
    rows, cols = [], []
    index = {lab: j for j, lab in enumerate(vocab)}
    for i, r in enumerate(records):
        got = r["rules"].get(field) or []
        for lab in got:
            if lab in index:
                rows.append(i)
                cols.append(index[lab])
        if not got:
            rows.append(i)
            cols.append(len(vocab))
    return csr_matrix(([1.0] * len(rows), (rows, cols)), shape=(len(records), len(vocab) + 1))


def set_split_probs(field: str, blocks: list[Any], records: list[dict[str, Any]], train: list[int], test: list[int],
                    labels: list[str]) -> list[dict[str, float]]:
    """Fit tf-idf weights on `train` rows, one logistic regression per label of `labels` (features: the two text
    blocks + the rules' set), and return P(label in the gold set) for every `test` row."""
    import numpy as np
    from scipy.sparse import hstack
    from sklearn.feature_extraction.text import TfidfTransformer
    from sklearn.linear_model import LogisticRegression
    tr_parts, te_parts = [], []
    for b in blocks:
        if getattr(b, "dtype", None) == np.float64 and not hasattr(b, "indices"):   # the dense embedding block
            tr_parts.append(b[train])
            te_parts.append(b[test])
            continue
        tf = TfidfTransformer(sublinear_tf=True).fit(b[train])
        tr_parts.append(tf.transform(b[train]))
        te_parts.append(tf.transform(b[test]))
    vocab = sorted({lab for i in train for src in (records[i]["labels"].get(field), records[i]["rules"].get(field))
                    for lab in (src or [])})
    tr_parts.append(set_rule_block(field, [records[i] for i in train], vocab))
    te_parts.append(set_rule_block(field, [records[i] for i in test], vocab))
    x_tr, x_te = hstack(tr_parts).tocsr(), hstack(te_parts).tocsr()
    probs: list[dict[str, float]] = [{} for _ in test]
    for lab in labels:
        y = np.array([lab in (records[i]["labels"].get(field) or []) for i in train])
        if y.all() or not y.any():
            continue
        clf = LogisticRegression(C=SET_C, max_iter=3000, solver="liblinear", random_state=SEED).fit(x_tr, y)
        for k, p in enumerate(clf.predict_proba(x_te)[:, 1]):
            probs[k][lab] = float(p)
    return probs


def set_decide(rule_set: list[str] | None, probs: dict[str, float], thresholds: tuple[float, float, float]) -> list[str] | None:
    """The rules' set, with a label added where its probability exceeds the add threshold (a stricter one where the
    rules state no set at all: that creates a stated set) and a rule label dropped below the drop threshold."""
    t_add, t_add_empty, t_drop = thresholds
    out = set(rule_set or ())
    empty = not out
    for lab, p in sorted(probs.items()):
        if lab in out:
            if p < t_drop:
                out.discard(lab)
        elif p > (t_add_empty if empty else t_add):
            out.add(lab)
    return sorted(out) or None


def set_score(field: str, predicted: list[Any], records: list[dict[str, Any]]) -> dict[str, Any]:
    """Counts: stated / correct (exact set equality) / unstated / false positives (a set where none is stated)."""
    st = [(p, r["labels"][field]) for p, r in zip(predicted, records, strict=True) if r["labels"][field] is not None]
    un = [p for p, r in zip(predicted, records, strict=True) if r["labels"][field] is None]
    return {"stated": len(st), "correct": sum(_same(field, g, w) for g, w in st),
            "unstated": len(un), "fp": sum(g is not None for g in un)}


def _rate(num: int, den: int) -> float | None:
    return num / den if den else None


def choose_set_thresholds(field: str, records: list[dict[str, Any]], probs: list[dict[str, float]]) -> tuple[float, float, float]:
    """On out-of-fold probabilities of the training rounds: the thresholds with the most exact sets where stated, among
    those whose false positives do not exceed the rules' own (and <= MAX_FP of the unstated quotes where the rules
    are); ties go to the fewest changed quotes."""
    rules_pred = [r["rules"].get(field) for r in records]
    ceiling = set_score(field, rules_pred, records)["fp"]   # never above the rules' own false positives
    best: tuple[Any, ...] | None = None
    for t in [(a, a0, d) for a in SET_ADD for a0 in SET_ADD_EMPTY for d in SET_DROP]:
        pred = [set_decide(rp, p, t) for rp, p in zip(rules_pred, probs, strict=True)]
        s = set_score(field, pred, records)
        if s["fp"] > ceiling:
            continue
        changed = sum(_label_set(a) != _label_set(b) for a, b in zip(pred, rules_pred, strict=True))
        key = (s["correct"], -changed)
        if best is None or key > best[0]:
            best = (key, t)
    return best[1] if best is not None else SET_NEVER


def _label_set(v: Any) -> tuple[str, ...]:
    return tuple(sorted(v or ()))


def set_labels_to_model(field: str, records: list[dict[str, Any]], idx: list[int]) -> list[str]:
    counts: dict[str, int] = {}
    for i in idx:
        for lab in records[i]["labels"].get(field) or []:
            counts[lab] = counts.get(lab, 0) + 1
    return sorted(lab for lab, n in counts.items() if n >= SET_MIN_POSITIVES)


def _set_task(field: str, blocks: list[Any], records: list[dict[str, Any]], train: list[int], test: list[int],
              labels: list[str]) -> dict[int, dict[str, float]]:
    return dict(zip(test, set_split_probs(field, blocks, records, train, test, labels), strict=True))


def set_loro(fields: tuple[str, ...] = SET_FIELDS, rounds: list[int] | None = None, jobs: int = 1,
             today: bool = False, embed: bool = False) -> dict[str, Any]:
    """The LORO table for the set fields. `today`: the rules' outputs of the checkout (in sample on every round)
    instead of the held-out commits'.

    Thresholds of outer fold k come from out-of-fold probabilities of its training rounds, produced by models that
    never saw round k: the rounds fall in SET_INNER_GROUPS groups (position mod 4); a training round of group a gets
    its probabilities from the model trained without groups a and g(k) (the group of k), so the inner models are the
    same for every k of one group (10 of them instead of 4 per fold; amendment of 06:58 UTC, for time, before any
    result). The outer model of fold k is trained on every other round."""
    data = held_out_set_rounds(rounds)
    if today:
        fresh = load_rounds([p for name in data for p in parse_rounds(name.removeprefix("round"))])
        data = {n: fresh[n] for n in data}
    records = [r for recs in data.values() for r in recs]
    round_of = [n for n, recs in data.items() for _ in recs]
    names = list(data)
    group = {n: k % SET_INNER_GROUPS for k, n in enumerate(names)}
    blocks = set_text_blocks([r["text"] for r in records])
    if embed:
        blocks.append(set_embeddings([r["text"] for r in records]))
    everything = list(range(len(records)))
    from joblib import Parallel, delayed
    out: dict[str, Any] = {}
    for field in fields:
        all_labels = set_labels_to_model(field, records, everything)
        pairs = sorted({(min(a, b), max(a, b)) for a in range(SET_INNER_GROUPS) for b in range(SET_INNER_GROUPS)})
        inner_specs = []
        for a, b in pairs:
            tr = [i for i in everything if group[round_of[i]] not in (a, b)]
            te = [i for i in everything if group[round_of[i]] in (a, b)]
            inner_specs.append(((a, b), tr, te))
        outer_specs = []
        for held in names:
            tr = [i for i in everything if round_of[i] != held]
            te = [i for i in everything if round_of[i] == held]
            outer_specs.append((held, tr, te, set_labels_to_model(field, records, tr)))
        tasks = [delayed(_set_task)(field, blocks, records, tr, te, all_labels) for _, tr, te in inner_specs]
        tasks += [delayed(_set_task)(field, blocks, records, tr, te, labs) for _, tr, te, labs in outer_specs]
        results = Parallel(n_jobs=jobs)(tasks)
        inner = {key: res for (key, _, _), res in zip(inner_specs, results[:len(inner_specs)], strict=True)}
        per_round: dict[str, Any] = {}
        for (held, tr, te, labs), probs in zip(outer_specs, results[len(inner_specs):], strict=True):
            g = group[held]
            oof = [{lab: p for lab, p in inner[(min(group[round_of[i]], g), max(group[round_of[i]], g))][i].items()
                    if lab in labs} for i in tr]
            thresholds = choose_set_thresholds(field, [records[i] for i in tr], oof)
            test_recs = [records[i] for i in te]
            rules_pred = [r["rules"].get(field) for r in test_recs]
            test_probs = [probs[i] for i in te]
            per_round[held] = {
                "rules": set_score(field, rules_pred, test_recs),
                "ungated": set_score(field, [set_decide(rp, p, SET_UNGATED)
                                             for rp, p in zip(rules_pred, test_probs, strict=True)], test_recs),
                "gated": set_score(field, [set_decide(rp, p, thresholds)
                                           for rp, p in zip(rules_pred, test_probs, strict=True)], test_recs),
                "thresholds": list(thresholds), "labels": labs,
                "changed": [{"id": r["id"], "rules": rp, "gated": set_decide(rp, p, thresholds)}
                            for r, rp, p in zip(test_recs, rules_pred, test_probs, strict=True)
                            if _label_set(set_decide(rp, p, thresholds)) != _label_set(rp)]}
        out[field] = {"rounds": per_round, "verdict": set_verdict(per_round)}
    return out


def set_score_on(files: list[Path], fields: tuple[str, ...] = ("methods",), embed: bool = True,
                 jobs: int = 1) -> dict[str, Any]:
    """No LORO: train the set layer once on rounds 4-31 (their held-out rule outputs, HELD_OUT_RULES), thresholds from
    the grouped CV over those rounds (4 groups, position mod 4), and score rules vs gated on each labelled file of
    `files` with the checkout's rules (arbiter off) -- meant for a new sealed round, run once. Default: the variant
    that met the ship rule on a second look (methods, n-grams + MiniLM embedding)."""
    data = held_out_set_rounds()
    train = [r for recs in data.values() for r in recs]
    tests = load_rounds(files)
    test = [r for recs in tests.values() for r in recs]
    file_of = [n for n, recs in tests.items() for _ in recs]
    records = train + test
    blocks = set_text_blocks([r["text"] for r in records])
    if embed:   # two cached calls: the training texts' embeddings are the LORO's own
        import numpy as np
        blocks.append(np.vstack([set_embeddings([r["text"] for r in train]), set_embeddings([r["text"] for r in test])]))
    names = list(data)
    group_of = [names.index(n) % SET_INNER_GROUPS for n, recs in data.items() for _ in recs]
    tr_idx = list(range(len(train)))
    te_idx = list(range(len(train), len(records)))
    from joblib import Parallel, delayed
    out: dict[str, Any] = {}
    for field in fields:
        labels = set_labels_to_model(field, records, tr_idx)
        specs = [([i for i in tr_idx if group_of[i] != g], [i for i in tr_idx if group_of[i] == g])
                 for g in range(SET_INNER_GROUPS)] + [(tr_idx, te_idx)]
        results = Parallel(n_jobs=jobs)(delayed(_set_task)(field, blocks, records, a, b, labels) for a, b in specs)
        oof: dict[int, dict[str, float]] = {}
        for res in results[:-1]:
            oof.update(res)
        thresholds = choose_set_thresholds(field, train, [oof[i] for i in tr_idx])
        per_file: dict[str, Any] = {}
        for name in tests:
            idx = [i for i in te_idx if file_of[i - len(train)] == name]
            recs = [records[i] for i in idx]
            rules_pred = [r["rules"].get(field) for r in recs]
            gated_pred = [set_decide(rp, results[-1][i], thresholds) for rp, i in zip(rules_pred, idx, strict=True)]
            per_file[name] = {"rules": set_score(field, rules_pred, recs), "gated": set_score(field, gated_pred, recs),
                              "thresholds": list(thresholds), "labels": labels}
        out[field] = per_file
    return out


def set_verdict(per_round: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The pre-registered ship rule (docstring, "Session 10") for the gated variant."""
    def mean_acc(who: str) -> float:
        vals = [s[who]["correct"] / s[who]["stated"] for s in per_round.values() if s[who]["stated"]]
        return sum(vals) / len(vals)
    pooled_s = {who: {k: sum(s[who][k] for s in per_round.values()) for k in ("stated", "correct", "unstated", "fp")}
                for who in ("rules", "ungated", "gated")}
    drops = []
    for s in per_round.values():
        n = s["rules"]["stated"]
        if n:
            lost = s["rules"]["correct"] - s["gated"]["correct"]
            if lost / n > SET_MAX_ROUND_DROP and lost >= 2:
                drops.append(lost / n)
    gain = mean_acc("gated") - mean_acc("rules")
    pg = pooled_s["gated"]
    pr = pooled_s["rules"]
    pooled_gain = pg["correct"] / pg["stated"] - pr["correct"] / pr["stated"]
    fp_ok = pg["fp"] <= pr["fp"] and pg["fp"] <= MAX_FP * pg["unstated"]
    recent = [s for n, s in per_round.items() if int(n.removeprefix("round")) >= SET_RECENT_FROM]
    recent_ok = sum(s["gated"]["correct"] for s in recent) >= sum(s["rules"]["correct"] for s in recent)
    return {"mean_acc": {w: mean_acc(w) for w in ("rules", "ungated", "gated")}, "pooled": pooled_s, "gain": gain,
            "pooled_gain": pooled_gain, "rounds_down": drops, "fp_ok": fp_ok, "recent_ok": recent_ok,
            "ship": bool(gain >= SET_MIN_GAIN and pooled_gain >= SET_MIN_GAIN and fp_ok and not drops and recent_ok)}


def render_sets(results: dict[str, Any]) -> str:
    lines = []
    for field, res in results.items():
        lines.append(f"[{field}]  exact-set accuracy where stated / false positives where not "
                     "(rules / ungated / gated; thresholds add, add-to-empty, drop)")
        for name, s in res["rounds"].items():
            cells = "  ".join(f"{s[w]['correct']:>3}/{s[w]['stated']:<3}" for w in ("rules", "ungated", "gated"))
            fps = "  ".join(f"{s[w]['fp']:>3}/{s[w]['unstated']:<3}" for w in ("rules", "ungated", "gated"))
            lines.append(f"  {name:<8} acc {cells}   fp {fps}   t={tuple(s['thresholds'])}")
        v = res["verdict"]
        ma = v["mean_acc"]
        lines.append(f"  MEAN acc rules {ma['rules']:.3f} ungated {ma['ungated']:.3f} gated {ma['gated']:.3f}")
        for w in ("rules", "ungated", "gated"):
            p = v["pooled"][w]
            lines.append(f"  POOLED {w:<8} acc {p['correct']}/{p['stated']} = {p['correct'] / p['stated']:.3f}   "
                         f"fp {p['fp']}/{p['unstated']} = {p['fp'] / p['unstated']:.3f}")
        lines.append(f"  gated: mean gain {v['gain']:+.3f}, pooled gain {v['pooled_gain']:+.3f}, fp ok {v['fp_ok']}, "
                     f"rounds down > {SET_MAX_ROUND_DROP} by >= 2 quotes: {len(v['rounds_down'])}, "
                     f"rounds >= {SET_RECENT_FROM} not lower {v['recent_ok']} -> "
                     + ("SHIP" if v["ship"] else "do not ship"))
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())

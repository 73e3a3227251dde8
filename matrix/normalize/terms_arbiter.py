"""A small learned arbiter over the rule engine's categorical terms (an experiment, issue 11).

Why: the rules in `terms.py` reach .90+ on the rounds they were written against, yet every new
round's first run is lower -- the wording of terms is a long tail. This module asks whether a
small stacked model generalises better on the categorical fields (recurring, lifetime,
payout_type, model): a logistic regression over word and character n-grams of the quote PLUS
the rules' own outputs as features, so it can keep or override the rule's value.

It is judged by leave-one-round-out (`bench/terms_arbiter_loro.py`): train on every labelled
file but one, predict that one, compare with the rules on the same file. In-sample figures of a
trained model are not evidence. Plain Python + scikit-learn; deterministic (fixed seed, lbfgs).
Result of sessions 4 and 5: not shipped -- `extract_terms` does not call this module (figures and
the reasons in the docstring of `bench/terms_arbiter_loro.py`). Session 5 measured it on rounds
16-19, where today's rules are out-of-sample: no field passes with 3 training rounds; with rounds 4-15
added (their rule outputs from commits that predate them) plain stacking passes on recurring/lifetime
by 3 and 2 quotes, the margin-gated version (`gate`) on none.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Sequence

# the categorical fields the arbiter may decide; "null" is the class "the quote does not state it"
ARBITER_FIELDS = ("recurring", "lifetime", "payout_type", "model")
NULL = "null"
SEED = 0


def label_class(value: Any) -> str:
    """A label / rule value as a class name: None -> "null", True -> "true", "cps" -> "cps"."""
    if value is None:
        return NULL
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def class_value(field: str, cls: str) -> Any:
    """The inverse of `label_class` in the benchmark's label shape."""
    if cls == NULL:
        return None
    if field in ("recurring", "lifetime"):
        return cls == "true"
    return cls


def rule_tokens(rule_values: dict[str, Any]) -> str:
    """The rules' categorical outputs as pseudo-words ("R_recurring_true ..."), one per field, so the
    model can learn when to trust the rule."""
    return " ".join(f"R_{f}_{label_class(rule_values.get(f))}" for f in ARBITER_FIELDS)


@dataclass
class FieldModel:
    """One fitted pipeline per field (text n-grams + rule tokens -> class)."""

    field: str
    pipeline: Any

    def predict(self, texts: Sequence[str], rules: Sequence[dict[str, Any]]) -> list[Any]:
        rows = [_row(t, r) for t, r in zip(texts, rules, strict=True)]
        return [class_value(self.field, c) for c in self.pipeline.predict(rows)]

    def proba(self, texts: Sequence[str], rules: Sequence[dict[str, Any]]) -> list[dict[str, float]]:
        """Per quote {class: probability} over the classes seen in training."""
        rows = [_row(t, r) for t, r in zip(texts, rules, strict=True)]
        classes = [str(c) for c in self.pipeline.classes_]
        return [dict(zip(classes, map(float, p), strict=True)) for p in self.pipeline.predict_proba(rows)]


def gate(field: str, probs: dict[str, float], rule_value: Any, margin: float) -> Any:
    """The arbiter's class only where its probability beats the rule's class by `margin`; else the rule's
    value (kept verbatim). margin 0 = plain argmax (ties keep the rule); margin > 1 = never override."""
    best = max(sorted(probs), key=lambda c: probs[c])
    rule_cls = label_class(rule_value)
    lead = probs[best] - probs.get(rule_cls, 0.0)
    if best == rule_cls or lead <= 0.0 or lead < margin:   # a tie keeps the rule
        return rule_value
    return class_value(field, best)


def _row(text: str, rule_values: dict[str, Any]) -> dict[str, str]:
    return {"text": text, "rules": rule_tokens(rule_values)}


def _pipeline(balanced: bool, use_rules: bool) -> Any:
    from sklearn.compose import ColumnTransformer
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer

    def as_frame(rows: Iterable[dict[str, str]]) -> Any:
        import pandas as pd
        return pd.DataFrame(list(rows), columns=["text", "rules"])

    parts: list[tuple[str, Any, str]] = [
        ("word", TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, lowercase=True), "text"),
        ("char", TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), min_df=3, sublinear_tf=True,
                                 lowercase=True, max_features=20000), "text"),
    ]
    if use_rules:   # the stacked arbiter: the rule's own value is a feature it may keep or override
        parts.append(("rules", TfidfVectorizer(token_pattern=r"\S+", lowercase=False, use_idf=False, norm=None),
                      "rules"))
    features = ColumnTransformer(parts)
    clf = LogisticRegression(C=4.0, class_weight="balanced" if balanced else None, max_iter=2000,
                             solver="lbfgs", random_state=SEED)
    return Pipeline([("frame", FunctionTransformer(as_frame)), ("features", features), ("clf", clf)])


def fit_field(field: str, texts: Sequence[str], rules: Sequence[dict[str, Any]], labels: Sequence[Any],
              *, balanced: bool = True, use_rules: bool = True) -> FieldModel:
    """Fit the arbiter of one field on labelled quotes and the rules' outputs for them."""
    pipe = _pipeline(balanced, use_rules)
    pipe.fit([_row(t, r) for t, r in zip(texts, rules, strict=True)], [label_class(v) for v in labels])
    return FieldModel(field, pipe)

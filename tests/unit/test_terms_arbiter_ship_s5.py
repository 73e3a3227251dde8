"""The shipped arbiters (session 5: recurring; session 6: + payout_type, both behind the evidence gate): stored as JSON
data, rebuilt once per process, consulted by `extract_terms` for DEFAULT_ON_FIELDS (none since the sealed rounds 22-23)
by default and for every shipped field with MATRIX_TERMS_ARBITER=1. These pin the storage (rebuilt probabilities == the fitted
pipeline's), the provenance of the stored models, the switch, and the consistency of what `extract_terms` returns
when an arbiter speaks. The gate itself is pinned in test_terms_arbiter_s6.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.terms_arbiter_loro import EVIDENCE_MARGINS
from bench.terms_quality import load_corpus
from matrix.models import PayoutType
from matrix.normalize import terms_arbiter as ta
from matrix.normalize.terms import extract_terms

DATA = Path(__file__).resolve().parents[1] / "data" / "terms"


def _records(*names: str) -> list[dict]:
    with ta.rules_only():
        recs = [r for n in names for r in load_corpus(DATA / f"{n}.jsonl")]
        for r in recs:
            r["rules"] = extract_terms(r["text"]).as_dict()
    return recs


@pytest.fixture(scope="module")
def small_model() -> tuple[ta.FieldModel, list[dict]]:
    train, test = _records("round16", "round17"), _records("round18")
    model = ta.fit_field("recurring", [r["text"] for r in train], [r["rules"] for r in train],
                         [r["labels"]["recurring"] for r in train])
    return model, test[:60]


def test_rebuilt_from_json_gives_the_fitted_pipelines_probabilities(small_model) -> None:
    model, test = small_model
    data = json.loads(json.dumps(ta.export_field(model, 0.05, {"rounds": "16-17"})))   # through text, as stored
    rebuilt = ta.rebuild(data)
    fitted = model.proba([r["text"] for r in test], [r["rules"] for r in test])
    assert len(fitted) == 60
    for r, want in zip(test, fitted, strict=True):
        got = rebuilt.proba(r["text"], r["rules"])
        assert set(got) == set(want)
        assert all(abs(got[c] - want[c]) <= 1e-9 for c in want), (r["id"], got, want)
    # the gate over the rebuilt probabilities decides as the fitted model's would
    decided = [rebuilt.decide(r["text"], r["rules"])[0] for r in test]
    assert decided == [ta.gate("recurring", p, r["rules"]["recurring"], 0.05) for p, r in zip(fitted, test, strict=True)]


@pytest.mark.parametrize("field", ta.SHIPPED_FIELDS)
def test_the_shipped_file_is_small_plain_data_with_its_provenance(field: str) -> None:
    path = ta.shipped_path(field)
    assert path.stat().st_size < 6_000_000
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["field"] == field and ta.NULL in data["classes"]
    if field == "recurring":
        assert data["classes"] == ["false", "null", "true"]
    assert data["margin"] == EVIDENCE_MARGINS[field]
    prov = data["provenance"]
    assert prov["rounds"] == "4-21" and prov["seed"] == ta.SEED
    assert prov["rules_outputs"]["4-10"] == "b90d7c3" and prov["rules_outputs"]["11-15"] == "2bf5fa7"
    n_features = sum(len(v["vocabulary"]) for v in data["vectorizers"])
    assert len(data["coef"]) == len(data["classes"]) and all(len(row) == n_features for row in data["coef"])
    assert [v["name"] for v in data["vectorizers"]] == ["word", "char", "rules"]


def test_the_shipped_arbiters_are_loaded_once_and_only_for_shipped_fields() -> None:
    first = ta.shipped("recurring")
    assert first is not None and first is ta.shipped("recurring")
    assert ta.shipped("payout_type") is not None
    assert ta.shipped("lifetime") is None and ta.shipped("model") is None
    probs = first.proba("Earn 30% recurring commission for 12 months.",
                        {"recurring": True, "lifetime": None, "payout_type": "revshare", "model": "percent"})
    assert abs(sum(probs.values()) - 1.0) < 1e-9 and max(probs, key=probs.__getitem__) == "true"


def test_the_switch_defaults_per_field_and_is_read_from_the_environment(monkeypatch) -> None:
    monkeypatch.delenv(ta.ENV_SWITCH, raising=False)
    assert ta.enabled_fields() == ta.DEFAULT_ON_FIELDS == ()
    assert not ta.arbiter_enabled("payout_type") and not ta.arbiter_enabled("recurring") and not ta.arbiter_enabled()
    monkeypatch.setenv(ta.ENV_SWITCH, "1")
    assert ta.enabled_fields() == ta.SHIPPED_FIELDS and ta.arbiter_enabled("recurring")
    with ta.rules_only():
        assert not ta.arbiter_enabled()
    assert ta.arbiter_enabled()          # restored
    monkeypatch.setenv(ta.ENV_SWITCH, "off")
    assert not ta.arbiter_enabled() and not ta.arbiter_enabled("payout_type")


# weak evidence (two clauses, a commission found, recurrence unstated by the rules): the opt-in recurring arbiter fills it
OVERRIDDEN = "Earn 30% on every subscription you refer. Your share is paid on each monthly subscription fee they pay."


def test_off_the_rules_value_stands(monkeypatch) -> None:
    monkeypatch.delenv(ta.ENV_SWITCH, raising=False)     # default: recurring is not consulted
    t = extract_terms(OVERRIDDEN)
    assert t.recurring is None and "recurring" not in t.arbitrated


def test_on_the_arbiters_value_is_marked_as_the_arbiters(monkeypatch) -> None:
    monkeypatch.setenv(ta.ENV_SWITCH, "1")
    t = extract_terms(OVERRIDDEN)
    assert t.recurring is not None and t.recurring.value is True
    assert t.recurring.source == "arbiter" and t.recurring.span == (0, len(OVERRIDDEN))
    assert t.arbitrated["recurring"]["rule"] is None and t.arbitrated["recurring"]["arbiter"] is True
    assert t.recurring_months is None and t.lifetime is None     # the rules had none: left as they were
    assert t.as_dict()["payout_type"] == PayoutType.REVSHARE.value   # the derived percent type follows recurrence
    # a labelled cookie cell has no commission terms: the arbiter is not asked
    assert extract_terms(OVERRIDDEN, context="cookie").arbitrated == {}


def test_on_every_arbitrated_result_keeps_the_labelling_convention(monkeypatch) -> None:
    # development rounds only (never a sealed file): months / lifetime only with recurring true, a revshare type
    # only with recurring true, and a derived percent type follows recurrence (rule 2 of the payout-type convention)
    monkeypatch.setenv(ta.ENV_SWITCH, "1")
    changed = 0
    for r in [r for n in ("round16", "round17", "corpus") for r in load_corpus(DATA / f"{n}.jsonl")]:
        t = extract_terms(r["text"])
        if not t.arbitrated:
            continue
        changed += 1
        d = t.as_dict()
        if d["recurring"] is not True:
            assert d["recurring_months"] is None and d["lifetime"] is None, r["id"]
            assert d["payout_type"] != PayoutType.REVSHARE.value, r["id"]
        elif d["model"] == "percent" and t.payout_type is not None and t.payout_type.span == t.model.span:
            assert d["payout_type"] == PayoutType.REVSHARE.value, r["id"]
    assert changed >= 3

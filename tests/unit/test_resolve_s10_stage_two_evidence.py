"""Session 10: a dedup's re-anchored stage-2 fit may imply more matches than the count bound (rule
pairs / RULE_MIN_RECALL, one per two records) when the fields back it (`engine.stage_two_evidence`):
its matches agree on the fields blocking does not select on clearly more often than random pairs
(`corroboration_bits`), the matches it implies are mostly among the candidates, and its Bayes
factors stay sane. Tables of large entities keep a good fit; a fit that learned the blocking passes
is still replaced by the conservative model (see also tests/unit/test_resolve_s9_stage_two.py).
"""

from __future__ import annotations

import numpy as np

import matrix.resolve.engine as engine
from matrix.resolve.prepare import build_records
from matrix.resolve.scoring import Comparison, FellegiSunter
from matrix.resolve.spec import parse_spec
from tests.unit.test_resolve_s8_prior import _people
from tests.unit.test_resolve_s9_stage_two import _learned_the_first_name, _pair_counts, _stage_two

SYLLABLES = ["ka", "lo", "mi", "ra", "te", "vo", "su", "ne", "di", "pa", "zu", "fe", "go", "ri", "sa", "xo"]
KINDS = ["drug", "org", "place", "person", "event"]
FORMS = ["", " inc", " ltd", " corporation", " co", " group", " plc", " gmbh", " holdings", " sa", " ag", " llc"]


def _large_entities(n_entities: int = 40, seed: int = 5):
    """Mentions of 40 entities, 5-8 each (a company under its legal forms and typos), with the
    entity's kind: far more true pairs (~700) than one per two records, and few exact-name pairs
    for the deterministic rule. The kind is a field the blockers do not select on."""
    rng = np.random.default_rng(seed)
    rows, entity = [], []
    for e in range(n_entities):
        base = "".join(SYLLABLES[k] for k in rng.choice(len(SYLLABLES), 3, replace=False))
        kind = KINDS[rng.integers(len(KINDS))]
        for _ in range(int(rng.integers(5, 9))):
            name = base
            if rng.random() < 0.6:  # a typo: a letter dropped or doubled
                i = int(rng.integers(1, len(name) - 1))
                name = name[:i] + name[i + 1:] if rng.random() < 0.5 else name[:i] + name[i] + name[i:]
            rows.append({"name": name + FORMS[rng.integers(len(FORMS))], "kind": kind})
            entity.append(e)
    spec = parse_spec({"fields": [{"name": "name", "type": "name"}, {"name": "kind", "type": "categorical"}]})
    return build_records(spec, rows, ["m.csv"] * len(rows), [str(i) for i in range(len(rows))]), np.array(entity)


def test_large_entities_keep_a_stage_two_fit_the_fields_back(monkeypatch):
    monkeypatch.setattr(engine, "fit_robust", _stage_two())
    rec, entity = _large_entities()
    res = engine.resolve_records(rec, link=False, mode="many")
    model = res.model
    assert engine.unblocked_fields(rec) == frozenset({"kind"})
    # more matches than the count bound allows: it is the fields that keep the fit
    assert model["implied_matches_in_table"] > max(len(rec) / 2, model["deterministic_rule_pairs_in_table"]
                                                   / engine.RULE_MIN_RECALL)
    assert not model["fallback"] and model["u_from"].startswith("candidates")
    ev = model["stage_two_evidence"]
    assert ev["corroboration_bits"] >= engine.CORROBORATION_MIN_BITS and not ev["problems"]
    assert model["implied_matches_in_table"] <= ev["matches_found_among_candidates"] / engine.RULE_MIN_RECALL
    tp, fp, _ = _pair_counts(res.labels, entity)
    # the count bound alone (session 9) threw this fit away for the conservative model, which finds fewer
    monkeypatch.setattr(engine, "CORROBORATION_MIN_BITS", float("inf"))
    old = engine.resolve_records(rec, link=False, mode="many")
    assert old.model["fallback"] and "stage-2" in old.model["fallback"]
    old_tp, old_fp, _ = _pair_counts(old.labels, entity)
    assert tp > old_tp and fp <= 2 * max(old_fp, 10)


def test_the_blocking_pass_fit_is_caught_for_want_of_corroboration(monkeypatch, capsys):
    monkeypatch.setattr(engine, "fit_robust", _stage_two(_learned_the_first_name))
    rec, _ = _people()
    res = engine.resolve_records(rec, link=False, mode="many", neighbours=4)
    ev = res.model["stage_two_evidence"]
    # birth year, month and day are what blocking does not select on; the fit's matches agree on them
    # no more than random pairs do
    assert ev["unblocked_fields"] == ["bd", "bm", "by"] and ev["corroboration_bits"] < 0.05
    assert res.model["fallback"] and "corroborate" in res.model["fallback"]
    assert "WARNING" in capsys.readouterr().err


def test_a_corroborated_fit_whose_matches_are_not_candidates_is_caught(monkeypatch):
    def first_name_and_birth_year(fs: FellegiSunter) -> None:
        _learned_the_first_name(fs)
        for c, comp in enumerate(fs.comps):
            if comp.name == "by":  # its matches also share the birth year: corroborated on paper
                m = np.full(comp.n_levels, 0.02)
                m[0] = 1.0
                fs.m[c] = m / m.sum()

    monkeypatch.setattr(engine, "fit_robust", _stage_two(first_name_and_birth_year))
    rec, _ = _people()
    res = engine.resolve_records(rec, link=False, mode="many", neighbours=4)
    ev = res.model["stage_two_evidence"]
    assert ev["corroboration_bits"] >= engine.CORROBORATION_MIN_BITS
    # but it implies far more matches in the table than it finds among the candidates
    assert res.model["implied_matches_in_table"] > 2 * ev["matches_found_among_candidates"]
    assert res.model["fallback"] and "among the candidates" in res.model["fallback"]


def _two_field_fit(kind_m: list[float]) -> FellegiSunter:
    comps = [Comparison("name", 3, 1.0, None), Comparison("kind", 2, 1.0, None)]
    fs = FellegiSunter(comps)
    fs.m = [np.array([0.8, 0.15, 0.05]), np.array(kind_m)]
    fs.u = [np.array([0.01, 0.09, 0.9]), np.array([0.25, 0.75])]
    fs.prior = 0.01
    return fs


def test_corroboration_is_the_evidence_of_the_unblocked_fields_only():
    backed = _two_field_fit([0.97, 0.03])
    flat = _two_field_fit([0.25, 0.75])  # matches agree on the kind as often as random pairs
    # KL(m || u) of the kind: ~1.8 bits; the name (blocked) never counts
    assert abs(engine.corroboration_bits(backed, frozenset({"kind"})) - 1.78) < 0.05
    assert engine.corroboration_bits(flat, frozenset({"kind"})) < 1e-9
    assert engine.corroboration_bits(backed, frozenset()) == 0.0
    # matches that are all candidates: only the corroboration decides
    levels = np.array([[0, 0]] * 50 + [[2, 1]] * 500, dtype=np.int8)
    assert engine.stage_two_evidence(backed, {}, 40.0, levels, frozenset({"kind"})) is None
    diag: dict = {}
    refused = engine.stage_two_evidence(flat, diag, 40.0, levels, frozenset({"kind"}))
    assert refused and "corroborate" in refused and "among the candidates" not in refused
    assert diag["stage_two_evidence"]["corroboration_bits"] < 1e-9


def test_corroboration_must_exceed_what_blocking_alone_brings():
    # every candidate shares the kind (a blocker selected on it): a class that is just "the
    # candidates" agrees on it as much as this fit's matches do, so the kind cannot vouch for it
    fit = _two_field_fit([0.97, 0.03])
    levels = np.array([[0, 0]] * 50 + [[2, 0]] * 500, dtype=np.int8)
    by_blocking = engine.corroboration_bits(fit, frozenset({"kind"}), levels)
    assert by_blocking > engine.corroboration_bits(fit, frozenset({"kind"})) >= engine.CORROBORATION_MIN_BITS
    refused = engine.stage_two_evidence(fit, {}, 40.0, levels, frozenset({"kind"}))
    assert refused and "candidates as a whole" in refused

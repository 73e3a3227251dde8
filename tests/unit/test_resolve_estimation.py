"""Estimation that cannot collapse: bounded prior, sane-start selection, fallback, model-chosen cut."""

from __future__ import annotations

import numpy as np

from matrix.resolve.clustering import one_to_one
from matrix.resolve.engine import internal_duplicates, prior_bounds, resolve_records, twin_groups
from matrix.resolve.prepare import build_records
from matrix.resolve.scoring import Comparison, FellegiSunter, expected_f1_threshold, fit_robust
from matrix.resolve.spec import parse_spec


def _collapsing_levels(seed: int = 0):
    """A 'title' comparison (5 levels) and a 'price' one (4): candidates are 60 % look-alikes that
    agree on the title at levels 0-3 but are non-matches (price disagrees), 3 % true matches."""
    rng = np.random.default_rng(seed)
    n = 4000
    title = np.where(rng.random(n) < 0.63, rng.integers(0, 4, n), 4)
    price = np.full(n, 3)
    true = rng.random(n) < 0.03
    title[true], price[true] = 0, 0
    cand = np.stack([title, price], axis=1).astype(np.int8)
    rand = np.stack([np.where(rng.random(20000) < 0.002, 0, 4), np.where(rng.random(20000) < 0.05, 0, 3)], axis=1).astype(np.int8)
    comps = [Comparison("title", 5, 1.0, None), Comparison("price", 4, 1.0, None)]
    return comps, rand, cand


def test_prior_far_above_the_bound_is_caught_and_reported(capsys):
    comps, rand, cand = _collapsing_levels()
    bound = (1 / cand.shape[0], 0.05)  # e.g. min(|A|, |B|) = 200 matches at most among 4000 candidates
    # the unguarded EM (u fixed, prior free) collapses: "similar title = match"
    free = FellegiSunter(comps)
    free.fit_u(rand)
    free.fit_m(cand)
    assert free.prior > 0.3
    # bounded: the prior EM asks for is far above the bound, every start is rejected, the
    # conservative model is used and the reason says why
    model, diag = fit_robust(comps, rand, cand, bound)
    assert diag["fallback"] and "far above the bound" in diag["fallback"]
    assert all(any("far above the bound" in p for p in s["problems"]) for s in diag["starts"])
    assert model.prior <= bound[1]
    bf = np.log2(model.m[0] / model.u[0])
    assert np.all(np.diff(bf) <= 1e-9) and bf[0] > bf[-1]  # ordered: stronger agreement is never weaker evidence


def test_collapse_is_reported_in_report_json_and_on_stderr(capsys):
    # 10 products vs 100 look-alikes sharing their words: EM would call every look-alike a match
    rows, src, ids = [], [], []
    for i in range(10):
        rows.append({"name": f"acme widget model {i}", "price": str(10 + i)})
        src.append("a.csv")
        ids.append(f"a{i}")
    for j in range(100):
        rows.append({"name": f"acme widget model {j % 10} variant {j}", "price": str(500 + 7 * j)})
        src.append("b.csv")
        ids.append(f"b{j}")
    spec = parse_spec({"fields": [{"name": "name", "type": "name"}, {"name": "price", "type": "number"}]})
    rec = build_records(spec, rows, src, ids)
    res = resolve_records(rec, link=True, mode="one-to-one")
    lo, hi = res.model["prior_bounds"]
    assert hi <= 10 / len(res.candidates) + 1e-9 and res.model["prior"] <= hi
    report = res.report(len(rec))
    assert "starts" in report["model"] and len(report["model"]["starts"]) >= 4
    assert not report["model"]["fallback"] or "WARNING" in capsys.readouterr().err  # a fallback is announced


def test_sane_fit_is_chosen_when_one_exists():
    rng = np.random.default_rng(1)
    n = 3000
    true = rng.random(n) < 0.1
    u_title, u_price = [0.001, 0.004, 0.05, 0.2, 0.745], [0.02, 0.08, 0.3, 0.6]
    # non-matching candidates agree like random pairs: the textbook case fixed-u EM recovers
    title = np.where(true, rng.choice([0, 1], n, p=[0.8, 0.2]), rng.choice(5, n, p=u_title))
    price = np.where(true, rng.choice([0, 1], n, p=[0.7, 0.3]), rng.choice(4, n, p=u_price))
    cand = np.stack([title, price], axis=1).astype(np.int8)
    rand = np.stack([rng.choice(5, 20000, p=u_title), rng.choice(4, 20000, p=u_price)], axis=1).astype(np.int8)
    comps = [Comparison("title", 5, 1.0, None), Comparison("price", 4, 1.0, None)]
    model, diag = fit_robust(comps, rand, cand, (1 / n, 0.3))
    assert diag["fallback"] is None and diag["u_from"] == "random pairs"
    assert abs(model.prior - 0.1) < 0.03
    assert not model.problems(cand)


def test_prior_bounds_link_and_dedupe():
    spec = parse_spec({"fields": [{"name": "name", "type": "name"}]})
    rec = build_records(spec, [{"name": "x"}] * 5 + [{"name": "y"}] * 50, ["a"] * 5 + ["b"] * 50, [str(i) for i in range(55)])
    lo, hi = prior_bounds(rec, 100, link=True, rule_pairs=0)
    assert hi == 5 / 100 and 0 < lo < hi
    lo, hi = prior_bounds(rec, 1000, link=False, rule_pairs=300)
    assert hi == 300 / 0.5 / 1000


def test_expected_f1_threshold_follows_the_posteriors():
    confident = np.array([0.99] * 50 + [0.01] * 500)
    assert 0.01 < expected_f1_threshold(confident) <= 0.99
    graded = np.linspace(0.0, 1.0, 101)
    t = expected_f1_threshold(graded)
    assert 0.2 < t < 0.8
    assert expected_f1_threshold(np.zeros(0)) == 0.5


def test_one_to_one_treats_identical_twins_as_one_record():
    spec = parse_spec({"fields": [{"name": "title", "type": "name"}]})
    rows = [{"title": "Editorial"}, {"title": "Editorial"}, {"title": "Deep nets"}, {"title": "Editorial"}, {"title": "Deep nets"}]
    rec = build_records(spec, rows, ["a", "a", "a", "b", "b"], ["1", "2", "3", "x", "y"])
    g = twin_groups(rec)
    assert g.tolist() == [0, 0, 2, 3, 4]
    assert internal_duplicates(rec) == {"a": round(2 / 3, 4), "b": 0.0}
    left, right, prob = np.array([0, 1, 2]), np.array([3, 3, 4]), np.array([0.9, 0.9, 0.8])
    labels = one_to_one(5, left, right, prob, 0.5, group=g)
    assert labels[0] == labels[1] == labels[3] and labels[2] == labels[4] and labels[0] != labels[2]


def test_embedder_sorts_by_length_in_chunks_keeps_order_and_shows_progress(capsys, monkeypatch):
    from matrix.embed import Embedder

    class Fake:
        calls: list[int] = []

        def encode(self, texts, batch_size, **kw):
            self.calls.append(len(texts))
            return np.array([[float(len(t))] + [0.0] * 383 for t in texts], dtype=np.float32)

    e = Embedder(batch_size=2)
    e._model = Fake()
    texts = ["a" * (i % 7 + 1) for i in range(40)]
    monkeypatch.setenv("MATRIX_PROGRESS", "1")
    out = e.embed(texts)
    assert out[:, 0].tolist() == [float(len(t)) for t in texts]  # input order kept
    assert max(Fake.calls) == 2 * 8 and sum(Fake.calls) == 40  # chunks of CHUNK_BATCHES batches
    err = capsys.readouterr().err
    assert "embedding" in err and "40/40" in err


def test_a_weak_echo_comparison_and_one_uninformative_field_are_not_a_collapse():
    """Tied levels count at the comparison's weight, and one field with m == u is no collapse;
    m == u on every comparison still is."""
    from matrix.resolve.scoring import Comparison, FellegiSunter

    comps = [Comparison("title", 3, 1.0, None), Comparison("echo", 4, 0.5, None), Comparison("actor", 2, 1.0, None)]
    fs = FellegiSunter(comps, prior_bounds=(0.001, 0.05))
    fs.prior, fs.wanted_prior = 0.05, 0.05
    fs.u = [np.array([0.01, 0.09, 0.9]), np.array([0.01, 0.01, 0.01, 0.97]), np.array([0.5, 0.5])]
    fs.m = [np.array([0.8, 0.15, 0.05]), np.array([0.3, 0.3, 0.3, 0.1]), np.array([0.5, 0.5])]
    levels = np.array([[0, 0, 0], [1, 1, 1], [2, 2, 0], [0, 3, 1]] * 50, dtype=np.int8)
    assert fs.problems(levels) == []  # echo: 4.9 bits x 0.5 < the 4.25 bits the prior needs
    comps[1].weight = 1.0
    assert any("echo: levels 0..2" in p for p in fs.problems(levels))
    fs.m = [u.copy() for u in fs.u]
    assert any("m equals u on every comparison" in p for p in fs.problems(levels))

"""Scale and quality pieces: partitioned neighbour search, domain disagreement, program vectors,
the no-model path of an unchanged re-ingest, EM fitted on this run's candidate pairs."""

from __future__ import annotations

import numpy as np
import pytest

from matrix.resolve import listing_text, program_vectors, resolve_listings
from matrix.resolve import blocking as B
from matrix.resolve.prepare import build_records
from matrix.resolve.scoring import FellegiSunter, compare, comparisons
from matrix.resolve.spec import parse_spec
from tests.support.resolve_data import TrigramEmbedder, listing


def _clustered(n: int, dim: int = 32, centers: int = 200, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    c = rng.normal(size=(centers, dim))
    x = c[rng.integers(0, centers, n)] + 0.3 * rng.normal(size=(n, dim))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def test_ivf_neighbours_match_exact_search_closely():
    x = _clustered(6000)
    idx = np.arange(x.shape[0])
    el, er = B._topk_dense(x, x, 5, idx, idx, same=True)
    al, ar = B._topk_ivf(x, x, 5, idx, idx)
    exact = set(zip(el.tolist(), er.tolist()))
    approx = set(zip(al.tolist(), ar.tolist()))
    assert not any(a == b for a, b in approx)  # never its own neighbour
    assert len(approx) <= 5 * x.shape[0]
    recall = len(exact & approx) / len(exact)
    assert recall >= 0.9, recall


def test_large_groups_switch_to_partitioned_search(monkeypatch):
    """Above ANN_MIN_TARGETS the blocker uses the IVF path, sparse lexical rows via SVD."""
    monkeypatch.setattr(B, "ANN_MIN_TARGETS", 50)
    calls = []
    real = B._topk_ivf
    monkeypatch.setattr(B, "_topk_ivf", lambda *a, **k: calls.append(a[0].shape) or real(*a, **k))
    spec = parse_spec({"fields": [{"name": "name", "type": "name"}]})
    names = [f"{w} {v} shop" for w in ("acme", "bolt", "zephyr", "orbit", "nimbus", "pixel", "lumen", "vertex")
             for v in ("shoes", "tea", "lamps", "books", "games", "tools", "pets", "bikes", "fonts", "paints")]
    names += [n.upper() + " Ltd" for n in names[:20]]
    rec = build_records(spec, [{"name": n} for n in names], ["s"] * len(names), [str(i) for i in range(len(names))])
    cands = B.block(rec, None, 3, cross_only=False)
    assert calls and all(shape[1] == min(B.LEXICAL_SVD_DIM, shape[1]) for shape in calls)
    pairs = cands.pair_set()
    # the upper-case + legal-form copy is found for every one of the 20 (exact key or lexical)
    assert all((i, 80 + i) in pairs for i in range(20))


def test_domain_disagreement_stays_strong_evidence_against():
    spec = parse_spec({"fields": [{"name": "name", "type": "name"}, {"name": "site", "type": "url-domain"}]})
    rows = [{"name": "Acme Shoes", "site": "acmeshoes.com"}, {"name": "Acme Shoes UK", "site": "https://acmeshoes.co.uk"},
            {"name": "Acme Shoes", "site": "www.acmeshoes.com/x"}, {"name": "Acme Shoes", "site": "other.io"},
            {"name": "Acme Shoes", "site": None}]
    rec = build_records(spec, rows, ["a"] * 5, list("01234"))
    comps = comparisons(rec, with_vectors=False)
    dom = next(c for c in comps if c.name == "site")
    lv = dom.compute(rec, np.array([0, 0, 0, 0]), np.array([2, 1, 3, 4]), None)
    assert lv.tolist() == [0, 1, 2, -1]  # same / same name other suffix / different / unknown
    fs = FellegiSunter(comps)
    # u: random pairs almost always disagree; candidate pairs where EM would call disagreement a match
    fs.fit_u(np.array([[4, 2]] * 50 + [[0, 0]], dtype=np.int8))
    levels = np.array([[0, 0]] * 40 + [[0, 1]] * 40 + [[0, 2]] * 20, dtype=np.int8)
    fs.fit_m(levels)
    m = fs.m[1]
    assert m[1:].sum() <= dom.max_disagree_m + 1e-9
    bf = np.log2(fs.m[1] / fs.u[1])
    assert bf[0] > 0 and bf[1] < -3 and bf[2] < -3


def test_program_vectors_are_member_centroids():
    progs = [type("P", (), {"program_id": "p1", "listing_keys": ["a:1", "b:1"]})(),
             type("P", (), {"program_id": "p2", "listing_keys": ["c:1", "d:1", "e:1"]})(),
             type("P", (), {"program_id": "p3", "listing_keys": ["z:1"]})()]
    lv = {"a:1": np.array([1, 0], np.float32), "b:1": np.array([0, 1], np.float32), "c:1": np.array([1, 0], np.float32)}
    out = program_vectors(progs, lv, previous={"p2": np.array([0, 1], np.float32)}, previous_sizes={"p2": 2})
    np.testing.assert_allclose(out["p1"], np.array([1, 1]) / np.sqrt(2), rtol=1e-6)
    np.testing.assert_allclose(out["p2"], np.array([1, 2]) / np.sqrt(5), rtol=1e-6)  # 1 new + previous x 2
    assert "p3" not in out  # nothing known: the caller embeds program_text


class CountingEmbedder(TrigramEmbedder):
    pass


def test_unchanged_reingest_never_calls_the_model_and_uses_candidate_pairs_for_em(settings, monkeypatch):
    import matrix.resolve.listings as L

    emb = CountingEmbedder()
    ls = []
    for i, brand in enumerate(["acme", "bolt", "zephyr", "orbit", "nimbus", "pixel", "lumen", "vertex", "aurora", "cobalt"]):
        for j, v in enumerate(["shoes", "tea", "lamps", "books", "games", "tools", "pets", "bikes", "fonts", "paints"]):
            dom = f"https://www.{brand}{v}.com"
            ls.append(listing("awin", f"{i}-{j}", f"{brand.title()} {v.title()}", dom, 10, 30))
            ls.append(listing("cj", f"{i}-{j}", f"{brand.upper()} {v.upper()} Inc.", dom + "/partners", 10, None))
            ls.append(listing("impact", f"{i}-{j}", f"{brand.title()}{v.title()}", None, 10, 30))
    fitted = []
    real_fit = L._fit
    monkeypatch.setattr(L, "MIN_FIT_PAIRS", 100)
    monkeypatch.setattr(L, "_fit", lambda *a, **k: fitted.append(k.get("pairs")) or real_fit(*a, **k))
    r = resolve_listings(ls, None, settings=settings, embedder=emb)
    assert len(set(r.assignments.values())) == 100
    assert fitted and fitted[0] is not None and fitted[0][0].size >= 100
    calls = emb.calls
    again = resolve_listings(list(reversed(ls)), r.programs, settings=settings, embedder=emb)
    assert emb.calls == calls and again.changed_ids == set() and again.events == []
    assert len(fitted) == 1  # nothing to place: no model fitted either
    # a renamed listing is re-checked (model used) and, still matching, stays
    renamed = listing("awin", "0-0", "Acme Shoes Store", "https://www.acmeshoes.com", 10, 30)
    third = resolve_listings([renamed], r.programs, settings=settings, embedder=emb)
    assert third.assignments["awin:0-0"] == r.assignments["awin:0-0"] and emb.calls > calls
    assert listing_text(renamed).startswith("Acme Shoes Store")


def test_exclusive_field_keeps_different_known_values_apart_through_unknowns():
    from matrix.resolve.clustering import correlation_clusters

    # 0=acme.com, 1=acme.co.uk, 2 and 3 unknown domain; strong evidence everywhere except 0-1
    left = np.array([0, 0, 1, 1, 2, 0])
    right = np.array([2, 3, 2, 3, 3, 1])
    w = np.array([5.0, 5.0, 5.0, 5.0, 5.0, -3.0])
    plain = correlation_clusters(4, left, right, w)
    assert len(set(plain.tolist())) == 1  # summed evidence glues everything
    ex = correlation_clusters(4, left, right, w, exclusive=[("acme.com",), ("acme.co.uk",), None, None])
    assert ex[0] != ex[1] and ex[2] == ex[3] and ex[2] in (ex[0], ex[1])
    spec = parse_spec({"fields": [{"name": "name", "type": "name"}, {"name": "d", "type": "url-domain", "exclusive": True}]})
    assert spec.exclusive_values({"name": ["a", "b"], "d": ["x.com", None]}) == [("x.com",), None]
    assert parse_spec({"fields": [{"name": "name", "type": "name"}]}).exclusive_values({"name": ["a"]}) is None

"""The generic engine: spec validation, blocking, EM scoring, clustering that does not chain, 1:1."""

from __future__ import annotations

import numpy as np
import pytest

from matrix.config import ConfigError
from matrix.resolve.blocking import block
from matrix.resolve.clustering import correlation_clusters, one_to_one
from matrix.resolve.engine import resolve_records
from matrix.resolve.prepare import build_records, code_tokens, name_key, parse_number
from matrix.resolve.spec import parse_spec
from tests.support.resolve_data import TrigramEmbedder

SPEC = {"fields": [{"name": "name", "type": "name"}, {"name": "site", "type": "url-domain"},
                   {"name": "price", "type": "number", "weight": 0.5}]}


def test_spec_errors_name_field_value_and_allowed():
    with pytest.raises(ConfigError) as e:
        parse_spec({"fields": [{"name": "n", "type": "fuzzy"}]})
    assert "fields.0.type" in str(e.value) and "'fuzzy'" in str(e.value) and "name" in str(e.value)
    with pytest.raises(ConfigError, match="one character"):
        parse_spec({"fields": [{"name": "n", "type": "name"}], "files": {"a.csv": {"sep": "||"}}})
    with pytest.raises(ConfigError, match="repeated"):
        parse_spec({"fields": [{"name": "n", "type": "name"}, {"name": "n", "type": "text"}]})
    assert parse_spec({"fields": [{"name": "n", "type": "name"}], "files": {"x": {"sep": "tab"}}}).file("x").sep == "\t"


def test_normalizers_keep_unknown_as_none():
    assert parse_number("$1,299.50") == 1299.5 and parse_number("n/a") is None and parse_number(None) is None
    assert name_key("acme shoes inc") == "acmeshoes" == name_key("the acme shoes")
    assert "pslx350h" in code_tokens("Sony Turntable - PS-LX350H") and not code_tokens("33-1/3 RPM")


def _dedupe_records():
    names = ["Acme Shoes", "ACME Shoes Inc.", "Acme Shoes", "Bolt VPN", "BoltVPN", "Bolt  VPN",
             "Zebra Paints", "Quantum Bikes", "Orbit Coffee", "Nimbus Hosting", "Pixel Fonts", "Lumen Lamps"]
    sites = ["acme.com", "www.acme.com", None, "boltvpn.io", "boltvpn.io", "https://boltvpn.io/x",
             "zebra.com", "qbikes.com", "orbit.coffee", "nimbus.host", "pixelfonts.net", "lumen.com"]
    rows = [{"name": n, "site": s, "price": None} for n, s in zip(names, sites)]
    spec = parse_spec(SPEC)
    return build_records(spec, rows, ["t"] * len(rows), [str(i) for i in range(len(rows))])


def test_dedupe_finds_variants_and_keeps_distinct_apart():
    rec = _dedupe_records()
    res = resolve_records(rec, embedder=TrigramEmbedder(), link=False, mode="many")
    lab = res.labels
    assert lab[0] == lab[1] == lab[2]
    assert lab[3] == lab[4] == lab[5]
    assert lab[0] != lab[3]
    assert len(set(lab[6:].tolist())) == 6  # the unrelated ones stay singletons
    rep = res.report(len(rec))
    assert rep["clusters"] == 8 and rep["candidate_pairs"] == len(res.candidates) > 0


def test_blocking_union_reports_each_blocker_and_respects_active():
    rec = _dedupe_records()
    vecs = TrigramEmbedder().embed(rec.embed_text)
    c = block(rec, vecs, 2, cross_only=False)
    assert set(c.by_blocker) == {"embedding", "lexical", "exact_key"}
    assert (0, 1) in c.pair_set() and (3, 4) in c.pair_set()
    active = np.zeros(len(rec), bool)
    active[4] = True
    ca = block(rec, vecs, 2, cross_only=False, active=active)
    assert ca.pair_set() and all(4 in p for p in ca.pair_set())


def test_correlation_clustering_does_not_chain_through_one_bad_link():
    # 0-1 strong, 1-2 strong, but 0-2 strongly negative: components would join all three
    left, right = np.array([0, 1, 0]), np.array([1, 2, 2])
    labels = correlation_clusters(3, left, right, np.array([5.0, 4.0, -20.0]))
    assert labels[0] == labels[1] and labels[2] != labels[0]
    # without the negative evidence they do join
    labels = correlation_clusters(3, left[:2], right[:2], np.array([5.0, 4.0]))
    assert len(set(labels.tolist())) == 1
    # cannot-link anchors never share a cluster
    labels = correlation_clusters(3, left[:2], right[:2], np.array([5.0, 4.0]), cannot_link=np.array([True, False, True]))
    assert labels[0] != labels[2]


def test_one_to_one_uses_each_record_once():
    labels = one_to_one(4, np.array([0, 0, 1]), np.array([2, 3, 2]), np.array([0.9, 0.8, 0.95]), 0.5)
    assert labels[1] == labels[2] and labels[0] == labels[3] and labels[0] != labels[1]


def test_link_two_tables_one_to_one_and_supervised():
    spec = parse_spec(SPEC)
    a = [("Acme Shoes", "acme.com", "10"), ("Bolt VPN", "boltvpn.io", "5"), ("Orbit Coffee", "orbit.coffee", "7")]
    b = [("ACME shoes", "acme.com", "10.0"), ("Bolt-VPN", "boltvpn.io", None), ("Zebra Paint", "zebra.com", "3")]
    rows = [{"name": n, "site": s, "price": p} for n, s, p in a + b]
    rec = build_records(spec, rows, ["a"] * 3 + ["b"] * 3, ["1", "2", "3", "1", "2", "3"])
    res = resolve_records(rec, embedder=TrigramEmbedder(), link=True)
    assert res.mode == "one-to-one"
    assert res.labels[0] == res.labels[3] and res.labels[1] == res.labels[4]
    assert res.labels[2] != res.labels[5]
    train = (np.array([0, 1, 0, 2]), np.array([3, 4, 4, 5]), np.array([1, 1, 0, 0]))
    sup = resolve_records(rec, embedder=TrigramEmbedder(), link=True, train=train)
    assert sup.model["model"] == "logistic-regression"
    assert sup.probability.shape == res.probability.shape


def test_name_core_key_ignores_qualifiers_and_inverted_articles():
    from matrix.resolve.prepare import name_core

    assert name_core("Sentinel, The (1977)") == name_core("The Sentinel") == "the sentinel"
    assert name_core("Grand jeu, Le (1934) (TV)") == "le grand jeu"
    assert name_core("Smith, Barney & Co.") == "smith barney co"  # not an article: left as is
    spec = parse_spec({"fields": [{"name": "title", "type": "name"}]})
    rec = build_records(spec, [{"title": "Sentinel, The (1977)"}, {"title": "The Sentinel"}, {"title": "Tangents"}],
                        ["a", "b", "b"], ["1", "2", "3"])
    assert rec.keys["title"][0] != rec.keys["title"][1]
    assert rec.keys["title~core"][0] == rec.keys["title~core"][1]
    pairs = block(rec, None, 1, cross_only=True).pair_set()
    assert (0, 1) in pairs


def test_lexical_blocking_falls_back_to_the_next_field_when_the_first_is_empty():
    """A record without a title is searched by its person field against the other side's people,
    never by a concatenation that would compare an actor with titles."""
    from matrix.resolve.blocking import lexical_views

    spec = parse_spec({"fields": [{"name": "title", "type": "name"}, {"name": "actor", "type": "person"}]})
    titles = ["Red River", "Blue Moon", "Green Card", "Night Watch", "Day Tripper", "Silver Lining"]
    actors = ["John Wayne", "Mary Pickford", "Gerard Depardieu", "Keanu Reeves", "Lon Chaney", "Gayne Whitman"]
    rows_a = [{"title": None, "actor": "Keanu Charles Reeves"}] + [{"title": t, "actor": None} for t in titles[:3]]
    rows_b = [{"title": f"{t} (1990)", "actor": f"{a.split()[-1]}, {a.split()[0]}"} for t, a in zip(titles, actors, strict=True)]
    rows = rows_a + rows_b
    rec = build_records(spec, rows, ["a"] * len(rows_a) + ["b"] * len(rows_b), [str(i) for i in range(len(rows))])
    views = lexical_views(rec)
    assert len(views) == 2
    idx, _texts, queries = views[1]
    assert idx[queries].tolist() == [0]  # only the title-less record searches by actor
    pairs = block(rec, None, 1, cross_only=True).pair_set()
    reeves = len(rows_a) + actors.index("Keanu Reeves")
    assert (0, reeves) in pairs
    for i in range(1, 4):  # titles still find their titles, actor names do not dilute them
        assert (i, len(rows_a) + i - 1) in pairs


def test_every_long_step_shows_a_progress_bar_on_stderr(capsys, monkeypatch):
    monkeypatch.setenv("MATRIX_PROGRESS", "1")
    rec = _dedupe_records()
    resolve_records(rec, embedder=TrigramEmbedder(), mode="many")
    err = capsys.readouterr().err
    for step, unit in (("blocking", "records"), ("comparing", "pairs"), ("fitting", "EM starts")):
        assert step in err and unit in err, (step, err[-500:])
    assert "/s" in err or "s/" in err  # a rate is shown

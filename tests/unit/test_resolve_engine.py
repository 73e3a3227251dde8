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

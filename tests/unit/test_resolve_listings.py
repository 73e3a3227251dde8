"""resolve_listings: programs with provenance, stable ids, incremental joins, merges, splits, no-op reruns."""

from __future__ import annotations

import datetime as dt

from matrix.models import Approval
from matrix.resolve import resolve_listings
from matrix.resolve.survivorship import Candidate, choose, quality, trust_ranker
from tests.support.resolve_data import T0, TrigramEmbedder, listing


def _batch():
    return [
        listing("awin", "1", "Acme Shoes", "https://www.acmeshoes.com", 10, 30),
        listing("openaffiliate", "a", "ACME Shoes Inc.", "acmeshoes.com", 12, None, approval=Approval.AUTO),
        listing("cj", "9", "Acme Shoes UK", "https://acmeshoes.co.uk", 8, 30),  # look-alike, other program
        listing("awin", "2", "Bolt VPN", "https://boltvpn.io", 40, 60),
        listing("cj", "3", "BoltVPN", "https://www.boltvpn.io/aff", 35, None),
        listing("impact", "7", "Zephyr Tea", "https://zephyrtea.com", None, 14),
    ]


def test_resolves_into_programs_with_provenance(settings):
    r = resolve_listings(_batch(), None, settings=settings, embedder=TrigramEmbedder())
    a = r.assignments
    assert a["awin:1"] == a["openaffiliate:a"] != a["cj:9"]
    assert a["awin:2"] == a["cj:3"] != a["awin:1"]
    assert len(set(a.values())) == 4 and r.changed_ids == set(a.values())
    acme = next(p for p in r.programs if p.program_id == a["awin:1"])
    # awin ranks above openaffiliate in resolve.source_trust: its commission wins on trust
    assert acme.commission.percent_max == 10 and acme.provenance["commission"].source == "awin"
    assert acme.provenance["commission"].rule == "trust"
    # only openaffiliate knows approval: known beats unknown
    assert acme.approval is Approval.AUTO and acme.provenance["approval"].rule == "known-beats-unknown"
    assert acme.cookie_days == 30 and acme.merchant_domain == "acmeshoes.com"
    assert acme.sources == ["awin", "openaffiliate"] and "ACME Shoes Inc." in acme.aliases
    assert 0 < acme.quality <= 1
    assert {e["event"] for e in r.events} == {"create"}


def test_rerun_unchanged_changes_nothing_and_ids_are_stable(settings):
    emb = TrigramEmbedder()
    r1 = resolve_listings(_batch(), None, settings=settings, embedder=emb)
    r2 = resolve_listings(_batch(), r1.programs, settings=settings, embedder=emb)
    assert r2.changed_ids == set() and r2.events == []
    assert r2.assignments == r1.assignments
    # a fresh run from scratch founds the same ids (deterministic)
    r3 = resolve_listings(list(reversed(_batch())), None, settings=settings, embedder=emb)
    assert r3.assignments == r1.assignments
    # a re-crawl (new fetched_at) with the same content does not change the program either
    later = [l.model_copy(update={"fetched_at": T0 + dt.timedelta(days=3)}) for l in _batch()]
    r4 = resolve_listings(later, r1.programs, settings=settings, embedder=emb)
    assert r4.changed_ids == set()


def test_new_source_joins_existing_program_which_keeps_its_id(settings):
    emb = TrigramEmbedder()
    r1 = resolve_listings(_batch(), None, settings=settings, embedder=emb)
    acme_id = r1.assignments["awin:1"]
    new = [listing("rakuten", "r1", "Acme Shoes", "https://acmeshoes.com/", 11, 45),
           listing("rakuten", "r2", "Totally New Widgets", "https://widgets.example", 5, 7)]
    r2 = resolve_listings(new, r1.programs, settings=settings, embedder=emb)
    assert r2.assignments["rakuten:r1"] == acme_id
    assert r2.assignments["rakuten:r2"] not in r1.assignments.values()
    assert r2.changed_ids == {acme_id, r2.assignments["rakuten:r2"]}
    acme = next(p for p in r2.programs if p.program_id == acme_id)
    assert "rakuten:r1" in acme.listing_keys and "awin:1" in acme.listing_keys
    assert acme.commission.percent_max == 10  # awin still outranks rakuten
    assert {"event": "join", "program_id": acme_id, "listing_key": "rakuten:r1"} in r2.events


def test_changed_listing_that_no_longer_matches_is_split(settings):
    emb = TrigramEmbedder()
    r1 = resolve_listings(_batch(), None, settings=settings, embedder=emb)
    bolt = r1.assignments["awin:2"]
    moved = listing("cj", "3", "Gardenia Florist Supplies", "https://gardenia-florist.com", 3, 1)
    r2 = resolve_listings([moved], r1.programs, settings=settings, embedder=emb)
    assert r2.assignments["cj:3"] != bolt
    assert any(e["event"] == "split" and e["listing_key"] == "cj:3" for e in r2.events)
    old = next(p for p in r2.programs if p.program_id == bolt)
    assert "cj:3" not in old.listing_keys and bolt in r2.changed_ids


def test_survivorship_rules_and_quality():
    trust = trust_ranker(["awin", "cj"])
    c = lambda v, s, t=T0: Candidate(v, s, "x", t)  # noqa: E731
    assert choose([c(None, "awin"), c(5, "cj")], trust)[1] == "known-beats-unknown"
    assert choose([c(5, "awin"), c(7, "cj")], trust)[0].value == 5
    assert choose([c(5, "x"), c(5, "y"), c(7, "z")], trust)[0].value == 5  # agreement among equal trust
    win, rule, _ = choose([c(5, "x"), c(7, "y", T0 + dt.timedelta(days=1))], trust)
    assert (win.value, rule) == (7, "recency")
    assert choose([c(None, "x")], trust)[0] is None
    from matrix.models import Program
    empty = Program(program_id="p", name="n")
    assert quality(empty) < 0.2

"""Re-running resolution on unchanged input changes nothing, whatever order the listings arrive in.

Regression: at 10k synthetic listings a re-run changed a few programs because aliases that differ
only in case ('ACME SHOES' / 'Acme Shoes') were sorted case-insensitively, so ties kept the
(arbitrary) input or set order and the content hash flipped.
"""

from __future__ import annotations

import itertools
import random

from matrix.resolve import resolve_listings
from matrix.resolve.survivorship import survive
from tests.support.resolve_data import TrigramEmbedder, listing

CASE_VARIANTS = ["VERTEX OASIS SHOES", "Vertex Oasis Shoes", "vertex oasis shoes", "Vertex Oasis Shoes Inc.",
                 "VERTEX OASIS SHOES INC."]


def _listings(names):
    return [listing(f"src{i}", str(i), n, "https://vertexoasisshoes.com", 10, 30) for i, n in enumerate(names)]


def test_aliases_do_not_depend_on_listing_order():
    base = _listings(CASE_VARIANTS)
    seen = set()
    for perm in itertools.permutations(base):
        p = survive("p_x", list(perm), None, ["src0", "src1", "src2", "src3", "src4"])
        seen.add((tuple(p.aliases), p.content_hash))
    assert len(seen) == 1
    aliases = next(iter(seen))[0]
    # names equal to the surviving name up to case are not aliases; the rest in a total order
    assert aliases == ("VERTEX OASIS SHOES INC.", "Vertex Oasis Shoes Inc.")


def test_refresh_from_previous_with_case_tied_aliases_is_a_no_op():
    ls = _listings(CASE_VARIANTS)
    first = survive("p_x", ls, None, [])
    rng = random.Random(3)
    for _ in range(20):
        shuffled = ls[:]
        rng.shuffle(shuffled)
        again = survive("p_x", shuffled, first, [])
        assert again.aliases == first.aliases and again.content_hash == first.content_hash


def test_rerun_in_another_order_changes_no_program(settings):
    emb = TrigramEmbedder()
    ls = _listings(CASE_VARIANTS) + [
        listing("awin", "b1", "Bolt VPN", "https://boltvpn.io", 40, 60),
        listing("cj", "b2", "BOLT VPN", "https://www.boltvpn.io/aff", 35, None),
        listing("impact", "b3", "Bolt Vpn", "boltvpn.io", None, 60),
    ]
    r = resolve_listings(ls, None, settings=settings, embedder=emb)
    assert len(set(r.assignments.values())) == 2
    again = resolve_listings(list(reversed(ls)), r.programs, settings=settings, embedder=emb)
    assert again.changed_ids == set() and again.events == []
    assert again.assignments == r.assignments

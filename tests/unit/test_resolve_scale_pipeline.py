"""The scalable resolution steps (matrix.resolve.scale_pipeline) in one process: equal to
`resolve_listings` on one partition, components never split across cluster groups, the
partitioned blocking close to one process's quality, and the content-hash guard."""

from __future__ import annotations

import numpy as np
import pytest

from bench.synthetic_affiliate import generate, generate_chunk, pair_f1
from matrix.resolve import resolve_listings
from matrix.resolve import scale_pipeline as sp
from matrix.resolve.listings import LISTING_SPEC
from tests.support.resolve_data import TrigramEmbedder


@pytest.fixture(scope="module")
def small():
    listings, truth = generate(900, seed=5)
    return listings, truth


def _keys_labels(listings, labels):
    return {x.key: int(lab) for x, lab in zip(listings, labels.tolist(), strict=True)}


def test_one_partition_equals_resolve_listings(small, settings):
    listings, _ = small
    emb = TrigramEmbedder()
    single = resolve_listings(listings, None, settings=settings, embedder=emb)
    labels, programs = sp.resolve_in_process(listings, settings, emb.embed, single_partition=True, shard_size=400)
    by_label: dict[int, list[str]] = {}
    for key, lab in _keys_labels(listings, labels).items():
        by_label.setdefault(lab, []).append(key)
    mine = {key: p.program_id for p in programs for key in p.listing_keys}
    assert mine == single.assignments
    assert sorted(p.model_dump_json() for p in programs) == sorted(p.model_dump_json() for p in single.programs)
    assert len(by_label) == len(programs)


def test_partitioned_quality_close_to_one_process(settings):
    listings, truth_arr = generate_chunk(3000, 0, 1, seed=3)
    truth = {x.key: int(t) for x, t in zip(listings, truth_arr.tolist(), strict=True)}
    emb = TrigramEmbedder()
    single = pair_f1(resolve_listings(listings, None, settings=settings, embedder=emb).assignments, truth)
    # 3 groups of ~1000 records and ~300-record sub-partitions: most true pairs cross a boundary somewhere
    labels, programs = sp.resolve_in_process(listings, settings, emb.embed, records_per_group=1000, shard_size=1000)
    parted = sp.pair_f1_arrays(labels, truth_arr)
    assert parted["f1"] >= single["f1"] - 0.02, (parted, single)
    assert len(programs) == np.unique(labels).size
    assert sp.pair_f1_arrays(labels, truth_arr) == pair_f1({k: str(v) for k, v in _keys_labels(listings, labels).items()}, truth)


def test_a_component_is_never_split_across_cluster_groups(settings):
    listings, _ = generate_chunk(1500, 0, 1, seed=4)
    emb = TrigramEmbedder()
    feats = sp.shard_features(listings, 0)
    plan = sp.plan_routes(len(listings), sp.train_cells(feats, emb.embed, 3), 500)
    assert plan.groups > 2
    routed = sp.route_shard(feats, plan, LISTING_SPEC, emb.embed)
    model = sp.fit_model(routed[0], LISTING_SPEC, settings, emb.embed, 5)
    scored = [sp.block_and_score(r, model, LISTING_SPEC, emb.embed, 5) for r in routed]
    comp = sp.components(len(listings), [sp.positive_links(e) for e in scored])
    groups = 3
    per_edges = [sp.route_edges(e, comp, groups) for e in scored]
    owner: dict[int, int] = {}
    for pe in per_edges:
        for g, piece in enumerate(pe):
            for c in np.unique(comp[piece["left"]]).tolist():
                assert owner.setdefault(c, g) == g  # every pair of a component goes to one group
            assert (comp[piece["left"]] == comp[piece["right"]]).all()
    split = sp.merge_labels(len(listings), [sp.cluster_edges([pe[g] for pe in per_edges], comp) for g in range(groups)])
    whole = sp.merge_labels(len(listings), [sp.cluster_edges(scored, comp)])  # one group, everything
    assert np.array_equal(split, whole)
    # a cluster never spans two components (and positive pairs joined something)
    assert all(np.unique(comp[split == lab]).size == 1 for lab in np.unique(split)[:200].tolist())
    assert np.unique(split).size < len(listings)


def test_content_hash_guard_finds_only_new_and_changed(small):
    listings, _ = small
    stored = [sp.shard_hashes(listings[:500]), sp.shard_hashes(listings[500:])]
    assert sp.changed_rows(listings, stored).size == 0
    edited = listings[3].model_copy(update={"cookie_days": 999})
    fresh, _ = generate(5, seed=77)
    fresh = [x.model_copy(update={"source_id": "new-" + x.source_id}) for x in fresh]
    batch = [listings[0], edited, listings[10], *fresh]
    assert sp.changed_rows(batch, stored).tolist() == [1, 3, 4, 5, 6, 7]
    # the same guard on a batch's key and content-hash columns (no listing materialized)
    assert sp.changed_rows(sp.guard_columns(batch), stored).tolist() == [1, 3, 4, 5, 6, 7]
    assert sp.changed_rows(batch, []).tolist() == list(range(len(batch)))


def test_chunked_generation_never_shares_a_program_across_chunks():
    from matrix.resolve.survivorship import listing_domain

    a, ta = generate_chunk(2000, 0, 2, seed=1)
    b, tb = generate_chunk(2000, 1, 2, seed=1)
    assert len(a) == len(b) == 2000 and ta.shape == (2000,)
    assert not set(ta.tolist()) & set(tb.tolist())
    assert not {x.key for x in a} & {x.key for x in b}
    # a domain is one program's: two chunks never publish the same site as two programs
    assert not {listing_domain(x) for x in a} - {None} & {listing_domain(x) for x in b} - {None}


def test_related_programs_are_the_owners_and_the_programs_on_the_same_domain_or_name(small, settings):
    listings, _ = small
    labels, programs = sp.resolve_in_process(listings, settings, TrigramEmbedder().embed, single_partition=True)
    owner = {k: p for p in programs for k in p.listing_keys}
    with_domain = next(x for x in listings if x.merchant_url)
    copy = with_domain.model_copy(update={"source_id": "again-" + with_domain.source_id})
    dom, name = sp.route_keys(sp.shard_features([copy], 0), LISTING_SPEC)
    related = sp.related_programs(programs, set(), dom, name, LISTING_SPEC)
    assert owner[with_domain.key] in related  # found by domain or name, without owning the new key
    assert len(related) < len(programs) / 10
    by_key = sp.related_programs(programs, {listings[7].key}, np.zeros(1, np.int64), np.zeros(1, np.int64), LISTING_SPEC)
    assert by_key == [owner[listings[7].key]]
    assert sp.take(listings, np.array([3, 1])) == [listings[3], listings[1]]
    assert sp.related_programs([], set(), dom, name, LISTING_SPEC) == []
